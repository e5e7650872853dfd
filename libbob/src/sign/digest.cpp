// SHA-256 helpers, strict base64 and small OpenSSL utilities shared by the sign module.
#include <openssl/err.h>
#include <openssl/evp.h>

#include <string>

#include "bob/error.h"
#include "bob/sign.h"
#include "openssl_util.h"

namespace bob::sign {

namespace detail {

std::string openssl_errors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

std::string sha256_raw(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    fail(Exit::usage, "SHA-256 failed: " + openssl_errors());
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

bool base64_decode(std::string_view text, std::string& out) {
  // EVP_DecodeBlock tolerates whitespace and ignores what a strict reader must refuse, so the
  // shape is checked here first: alphabet, padding only at the end, no impossible length.
  std::size_t data_end = text.size();
  while (data_end > 0 && text[data_end - 1] == '=') --data_end;
  std::size_t padding = text.size() - data_end;
  if (padding > 2) return false;
  for (std::size_t i = 0; i < data_end; ++i) {
    if (!is_base64_char(text[i])) return false;
  }
  if (data_end % 4 == 1) return false;
  if (padding > 0 && text.size() % 4 != 0) return false;
  std::string padded(text.substr(0, data_end));
  while (padded.size() % 4 != 0) padded += '=';
  std::size_t pad_count = padded.size() - data_end;
  out.assign(3 * (padded.size() / 4), '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  if (written < 0) return false;
  out.resize(static_cast<std::size_t>(written) - pad_count);
  // Non-canonical trailing bits ("QR==" for "A") would decode too; re-encoding catches them.
  std::string again = base64_encode(out);
  return again.substr(0, data_end) == text.substr(0, data_end);
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace detail

std::string sha256_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw = detail::sha256_raw(bytes);
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (unsigned char byte : raw) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0x0f];
  }
  return hex;
}

std::string digest_of(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

bool is_sha256_digest(std::string_view digest) {
  constexpr std::string_view prefix = "sha256:";
  if (digest.size() != prefix.size() + 64 || digest.substr(0, prefix.size()) != prefix) {
    return false;
  }
  for (char c : digest.substr(prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_bundle_media_type(std::string_view media_type) {
  return media_type == kBundleMediaType ||
         media_type == "application/vnd.dev.sigstore.bundle+json;version=0.1" ||
         media_type == "application/vnd.dev.sigstore.bundle+json;version=0.2" ||
         media_type == "application/vnd.dev.sigstore.bundle+json;version=0.3";
}

}  // namespace bob::sign
