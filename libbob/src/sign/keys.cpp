// Loading, generating and writing ECDSA P-256 keys (OpenSSL EVP and PEM only).
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/sign.h"
#include "openssl_util.h"
#include "passphrase.h"

namespace bob::sign {

namespace {

constexpr std::size_t kMaxKeyFileBytes = 64u << 10;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(std::string_view bytes) {
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) fail(Exit::usage, "out of memory reading a key");
  return bio;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string public_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key, &der);
  if (length <= 0) fail(Exit::usage, "cannot encode a public key: " + detail::openssl_errors());
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

PublicKey make_public_key(detail::SharedPkey key, std::string_view origin) {
  auto impl = std::make_shared<PublicKey::Impl>();
  impl->der = public_der(key.get());
  impl->key_id = sha256_hex(impl->der);
  impl->hint = detail::base64_encode(detail::sha256_raw(impl->der));
  impl->origin = std::string(origin);
  impl->key = std::move(key);
  return PublicKey(std::move(impl));
}

// What the PEM password callback saw, so a failed load can say why it failed.
// The passphrase is kept for the duration of one load so that a second call of the callback
// (OpenSSL may try more than one decoder) does not prompt twice.
struct PassphraseContext {
  const PassphraseSource* source;
  std::string origin;
  bool asked = false;
  bool supplied = false;
  std::string passphrase;
  ~PassphraseContext() { OPENSSL_cleanse(passphrase.data(), passphrase.size()); }
};

int passphrase_callback(char* buffer, int size, int /*rwflag*/, void* user) {
  auto* context = static_cast<PassphraseContext*>(user);
  if (!context->asked) {
    context->asked = true;
    context->supplied = detail::passphrase_for_existing_key(*context->source, context->origin,
                                                            context->passphrase);
  }
  if (!context->supplied || context->passphrase.size() > static_cast<std::size_t>(size)) {
    return -1;
  }
  std::memcpy(buffer, context->passphrase.data(), context->passphrase.size());
  return static_cast<int>(context->passphrase.size());
}

std::string passphrase_hint(const PassphraseSource& source) {
  std::string hint = "set the passphrase in the environment";
  if (!source.env_var.empty()) hint += " variable " + source.env_var;
  return hint + ", or run bob on a terminal to be asked";
}

}  // namespace

namespace detail {

SharedPkey require_p256(PkeyPtr key, std::string_view origin) {
  const std::string where(origin);
  if (!EVP_PKEY_is_a(key.get(), "EC")) {
    fail(Exit::usage,
         where + ": is a " + std::string(EVP_PKEY_get0_type_name(key.get())) +
             " key; bob signs with ECDSA P-256 keys only",
         "make one with `bob keygen` or `openssl genpkey -algorithm EC -pkeyopt "
         "ec_paramgen_curve:P-256`");
  }
  char group[64] = {0};
  std::size_t group_length = 0;
  if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &group_length) != 1) {
    openssl_errors();
    fail(Exit::usage, where + ": EC key without a named curve; bob needs a P-256 key",
         "explicit curve parameters are not supported; use a named-curve P-256 key");
  }
  if (std::string_view(group) != "prime256v1") {
    fail(Exit::usage,
         where + ": EC key on curve " + group + "; bob signs with P-256 (prime256v1) keys only",
         "make one with `bob keygen`");
  }
  return SharedPkey(key.release(), EVP_PKEY_free);
}

}  // namespace detail

// ---- PublicKey ---------------------------------------------------------------------------

PublicKey PublicKey::from_pem(std::string_view pem, std::string_view origin) {
  const std::string where(origin);
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    fail(Exit::usage, where + ": holds a private key where a public key is expected",
         "pass the .pub file; derive it with `openssl pkey -in KEY -pubout`");
  }
  BioPtr bio = memory_bio(pem);
  detail::PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    std::string why = detail::openssl_errors();
    fail(Exit::usage, where + ": no PEM public key found (expected \"BEGIN PUBLIC KEY\")",
         why.empty() ? std::string{} : "OpenSSL: " + why);
  }
  return make_public_key(detail::require_p256(std::move(key), origin), origin);
}

PublicKey PublicKey::load(const std::string& path) {
  return from_pem(fs::read_file(path, kMaxKeyFileBytes), path);
}

const std::string& PublicKey::key_id() const { return impl_->key_id; }
const std::string& PublicKey::hint() const { return impl_->hint; }
const std::string& PublicKey::origin() const { return impl_->origin; }

std::string PublicKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), impl_->key.get()) != 1) {
    fail(Exit::usage, "cannot write a public key: " + detail::openssl_errors());
  }
  return bio_text(bio.get());
}

// ---- PrivateKey --------------------------------------------------------------------------

PrivateKey PrivateKey::from_pem(std::string_view pem, std::string_view origin,
                                const PassphraseSource& passphrase) {
  const std::string where(origin);
  ERR_clear_error();
  BioPtr bio = memory_bio(pem);
  PassphraseContext context{&passphrase, where};
  detail::PkeyPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &context));
  // The error queue can name the passphrase's effects but never the passphrase; still drop it.
  std::string why = detail::openssl_errors();
  if (!key) {
    if (context.asked && !context.supplied) {
      fail(Exit::usage, where + ": the private key is encrypted and no passphrase is available",
           passphrase_hint(passphrase));
    }
    if (context.asked) {
      fail(Exit::usage, where + ": cannot decrypt the private key (wrong passphrase?)");
    }
    if (pem.find("PUBLIC KEY-----") != std::string_view::npos) {
      fail(Exit::usage, where + ": holds a public key where a private key is expected");
    }
    fail(Exit::usage,
         where + ": no PEM private key found (expected PKCS#8 \"PRIVATE KEY\", \"ENCRYPTED "
                 "PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\")");
  }
  auto shared = detail::require_p256(std::move(key), origin);
  auto impl = std::make_shared<PrivateKey::Impl>(
      PrivateKey::Impl{shared, make_public_key(shared, origin), where});
  log::debug("loaded private key " + where + " (key id " + impl->public_key.key_id() + ")");
  return PrivateKey(std::move(impl));
}

PrivateKey PrivateKey::load(const std::string& path, const PassphraseSource& passphrase) {
  std::string pem = fs::read_file(path, kMaxKeyFileBytes);
  PrivateKey key = from_pem(pem, path, passphrase);
  OPENSSL_cleanse(pem.data(), pem.size());
  return key;
}

const PublicKey& PrivateKey::public_key() const { return impl_->public_key; }
const std::string& PrivateKey::origin() const { return impl_->origin; }

std::vector<PublicKey> load_trusted_keys(const std::vector<std::string>& paths) {
  if (paths.empty()) {
    fail(Exit::usage, "no trusted key given", "name the signer's public key with --key KEY.pub");
  }
  std::vector<PublicKey> keys;
  for (const auto& path : paths) keys.push_back(PublicKey::load(path));
  return keys;
}

// ---- Generation --------------------------------------------------------------------------

KeyPair generate_key_pair(std::string_view passphrase) {
  detail::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail(Exit::usage, "cannot generate a P-256 key: " + detail::openssl_errors());
  auto shared = detail::require_p256(std::move(key), "new key");

  BioPtr private_bio(BIO_new(BIO_s_mem()));
  if (!private_bio) fail(Exit::usage, "out of memory writing a key");
  int written;
  if (passphrase.empty()) {
    // PKCS#8 "PRIVATE KEY", the form every tool reads.
    written = PEM_write_bio_PKCS8PrivateKey(private_bio.get(), shared.get(), nullptr, nullptr, 0,
                                            nullptr, nullptr);
  } else {
    // PKCS#8 "ENCRYPTED PRIVATE KEY": OpenSSL 3 picks PBES2 with PBKDF2-HMAC-SHA256.
    std::string copy(passphrase);
    written = PEM_write_bio_PKCS8PrivateKey(private_bio.get(), shared.get(), EVP_aes_256_cbc(),
                                            copy.data(), static_cast<int>(copy.size()), nullptr,
                                            nullptr);
    OPENSSL_cleanse(copy.data(), copy.size());
  }
  if (written != 1) fail(Exit::usage, "cannot write the private key: " + detail::openssl_errors());

  PublicKey public_key = make_public_key(shared, "new key");
  return KeyPair{bio_text(private_bio.get()), public_key.pem(), public_key.key_id()};
}

void write_key_pair(const std::string& prefix, const KeyPair& pair, bool overwrite) {
  if (prefix.empty() || prefix == "-") {
    fail(Exit::usage, "keygen needs a file prefix, not standard output",
         "give -o PREFIX to write PREFIX.key and PREFIX.pub");
  }
  const std::string private_path = prefix + ".key";
  const std::string public_path = prefix + ".pub";
  if (!overwrite) {
    for (const auto& path : {private_path, public_path}) {
      if (std::filesystem::exists(path)) {
        fail(Exit::usage, path + ": exists; refusing to replace a key",
             "choose another -o PREFIX, or pass --force");
      }
    }
  }
  fs::write_file_atomic(private_path, pair.private_pem, 0600);
  fs::write_file_atomic(public_path, pair.public_pem, 0644);
}

}  // namespace bob::sign
