#include "bob/error.h"

#include "bob/version.h"
#include "bob_version.h"

namespace bob {

void fail(Exit code, std::string message, std::string hint) {
  throw Error(code, std::move(message), std::move(hint));
}

const char* version() { return BOB_VERSION; }

}  // namespace bob
