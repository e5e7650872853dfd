// Internal: obtaining the passphrase of an existing encrypted key.
#pragma once

#include <string>
#include <string_view>

#include "bob/sign.h"

namespace bob::sign::detail {

// Fills `passphrase` from source.env_var when that variable is set, else by asking on the
// terminal when allowed and possible. Returns false when no passphrase can be had.
bool passphrase_for_existing_key(const PassphraseSource& source, std::string_view key_name,
                                 std::string& passphrase);

}  // namespace bob::sign::detail
