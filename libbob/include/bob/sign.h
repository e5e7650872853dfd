// Keys, Sigstore bundles and the signature referrer: everything bob signs or trusts.
//
// A BoB manifest is signed the way cosign v3 signs an image: a Sigstore bundle v0.3 holding a
// DSSE envelope over an in-toto v1 statement whose subject is the BoB manifest digest, signed
// with an ECDSA P-256 key (SHA-256), attached as an OCI referrer of that manifest. The registry
// code (oci module) moves bytes; this module decides what the bytes mean. docs/signing.md has
// the formats and the order of the checks.
//
// Every failure is a bob::Error: Exit::usage for unreadable keys or bad arguments, Exit::trust
// for anything about a signature. Verification fails closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bob::sign {

// ---- Digests (OpenSSL SHA-256; for every module) -----------------------------------------

std::string sha256_hex(std::string_view bytes);   // 64 lower-case hex digits
std::string digest_of(std::string_view bytes);    // "sha256:<hex>"
// True for "sha256:" followed by exactly 64 lower-case hex digits.
bool is_sha256_digest(std::string_view digest);

// ---- Media types and names ---------------------------------------------------------------

inline constexpr std::string_view kBundleMediaType =
    "application/vnd.dev.sigstore.bundle.v0.3+json";
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
// cosign's own predicate type: `cosign verify --key` looks for exactly this one.
inline constexpr std::string_view kPredicateType = "https://sigstore.dev/cosign/sign/v1";
inline constexpr std::string_view kManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kEmptyMediaType = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kEmptyBlob = "{}";
inline constexpr std::string_view kEmptyDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
// Bundles larger than this are refused before parsing (a real one is about 1.5 KiB).
inline constexpr std::size_t kMaxBundleBytes = 1u << 20;

// True for the v0.3 bundle media type and the legacy `application/vnd.dev.sigstore.bundle+json;
// version=0.1|0.2|0.3` forms. Use it to pick signature layers among referrers.
bool is_bundle_media_type(std::string_view media_type);

// ---- Keys --------------------------------------------------------------------------------

// Where the passphrase of an encrypted private key comes from. The environment variable wins;
// otherwise bob asks on the controlling terminal (no echo) when allow_prompt is set and there is
// one. The passphrase is registered with log::add_secret and never printed.
struct PassphraseSource {
  std::string env_var = "BOB_KEY_PASSPHRASE";   // empty: do not look at the environment
  bool allow_prompt = true;
};

// A P-256 public key. Copies share the underlying OpenSSL key.
class PublicKey {
 public:
  // Any PEM "PUBLIC KEY" (SubjectPublicKeyInfo). `origin` names it in errors (e.g. the path).
  static PublicKey from_pem(std::string_view pem, std::string_view origin);
  static PublicKey load(const std::string& path);

  // Hex SHA-256 of the DER SubjectPublicKeyInfo: the key id bob prints and documents.
  const std::string& key_id() const;
  // Standard base64 of the same SHA-256: the Sigstore `publicKey.hint` (cosign convention).
  const std::string& hint() const;
  const std::string& origin() const;
  std::string pem() const;

  // Internal: Impl is defined inside the sign module only.
  struct Impl;
  explicit PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// A P-256 private key: PEM PKCS#8, encrypted PKCS#8, or SEC1 "EC PRIVATE KEY" (an "EC
// PARAMETERS" block before it is fine). Other curves and RSA are refused with Exit::usage.
class PrivateKey {
 public:
  static PrivateKey from_pem(std::string_view pem, std::string_view origin,
                             const PassphraseSource& passphrase = {});
  static PrivateKey load(const std::string& path, const PassphraseSource& passphrase = {});

  const PublicKey& public_key() const;
  const std::string& origin() const;

  // Internal: Impl is defined inside the sign module only.
  struct Impl;
  explicit PrivateKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// Loads the trusted keys named by repeated `--key` options. Each file must hold a public key;
// an empty list is an Exit::usage error.
std::vector<PublicKey> load_trusted_keys(const std::vector<std::string>& paths);

// A fresh key pair as PEM text. With a non-empty passphrase the private key is encrypted PKCS#8
// (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256).
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
  std::string key_id;
};
KeyPair generate_key_pair(std::string_view passphrase = {});

// Writes PREFIX.key (mode 0600) and PREFIX.pub atomically. Refuses to replace existing files
// unless overwrite is set.
void write_key_pair(const std::string& prefix, const KeyPair& pair, bool overwrite = false);

// Reads a passphrase for a new key: from source.env_var when set, else from the terminal twice
// (must match). Returns "" when neither is available and `required` is false.
std::string read_new_passphrase(const PassphraseSource& source, bool required);

// ---- Signing -----------------------------------------------------------------------------

struct SignRequest {
  std::string manifest_digest;  // "sha256:<hex>" of the BoB manifest: the in-toto subject
  std::string subject_name;     // in-toto subject name, e.g. "registry/repo"; may be empty
  std::string image_digest;     // predicate: the image the BoB belongs to; may be empty
  std::string variant;          // predicate: "specific" or "generalized"; may be empty
};

// Returns the bundle JSON (compact, bytes as they should be stored).
std::string sign_bundle(const PrivateKey& key, const SignRequest& request);

// DSSE pre-authentication encoding: the bytes that are actually signed.
std::string dsse_pae(std::string_view payload_type, std::string_view payload);

// ---- Verification ------------------------------------------------------------------------

struct VerifiedSignature {
  std::string key_id;           // the trusted key that verified
  std::string key_origin;       // where that key was loaded from
  std::string manifest_digest;  // equals the expected digest
  std::string predicate_type;
  std::string image_digest;     // from the predicate; informational, "" when absent
  std::string variant;          // from the predicate; informational, "" when absent
};

// Verifies a bundle against the trusted keys only (the bundle's hint merely orders them) and
// checks that the in-toto subject is expected_manifest_digest. Throws Error(Exit::trust) whose
// message starts "signature rejected (<check>): ", with <check> one of: size, json, mediaType,
// verificationMaterial, dsseEnvelope, payloadType, base64, signature, statement, predicateType,
// subject.
VerifiedSignature verify_bundle(std::string_view bundle_json,
                                std::string_view expected_manifest_digest,
                                const std::vector<PublicKey>& trusted_keys);

// ---- The referrer that carries a bundle --------------------------------------------------

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::int64_t size = 0;
};

// Everything to upload for one signature, cosign v3 layout: upload config_blob and bundle as
// blobs, then PUT manifest (Content-Type kManifestMediaType) by its digest.
struct SignatureReferrer {
  std::string manifest;         // exact bytes
  std::string manifest_digest;
  std::string bundle;           // the layer blob
  Descriptor bundle_layer;
  std::string config_blob;      // "{}"
  Descriptor config;
};

// created: RFC 3339 UTC time for org.opencontainers.image.created; empty means now.
SignatureReferrer build_signature_referrer(std::string bundle_json,
                                           const Descriptor& signed_manifest,
                                           std::string created = {});

// sign_bundle + build_signature_referrer in one step. request.manifest_digest may be empty (it is
// taken from signed_manifest); when given it must equal signed_manifest.digest.
SignatureReferrer sign_manifest(const PrivateKey& key, const SignRequest& request,
                                const Descriptor& signed_manifest, std::string created = {});

// For the reader: the bundle layer of a signature referrer manifest (exactly one layer whose
// mediaType is a bundle type). Throws Error(Exit::trust) when the manifest is not one.
Descriptor bundle_layer_of(std::string_view referrer_manifest);

}  // namespace bob::sign
