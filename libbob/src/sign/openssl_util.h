// Internal helpers of the sign module: owning wrappers for OpenSSL handles, OpenSSL error text,
// strict base64, and the key Impl structs that sign.h only forward-declares.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "bob/sign.h"

namespace bob::sign::detail {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using SharedPkey = std::shared_ptr<EVP_PKEY>;

// Drains OpenSSL's error queue into one line ("" when empty), so stale errors never leak into a
// later message.
std::string openssl_errors();

std::string base64_encode(std::string_view bytes);
// Standard alphabet, padding optional but correct when present, no whitespace. Returns false on
// anything else.
bool base64_decode(std::string_view text, std::string& out);

// Raw 32-byte SHA-256.
std::string sha256_raw(std::string_view bytes);

// A short, printable rendering of untrusted text for error messages.
std::string printable(std::string_view text, std::size_t max = 80);

// Wraps a loaded key after checking that it is EC P-256; throws Error(usage) naming origin.
SharedPkey require_p256(PkeyPtr key, std::string_view origin);

}  // namespace bob::sign::detail

namespace bob::sign {

struct PublicKey::Impl {
  detail::SharedPkey key;
  std::string key_id;
  std::string hint;
  std::string origin;
  std::string der;   // DER SubjectPublicKeyInfo
};

struct PrivateKey::Impl {
  detail::SharedPkey key;
  PublicKey public_key;
  std::string origin;
};

}  // namespace bob::sign
