// Sigstore bundle v0.3 with a DSSE envelope over an in-toto v1 statement: making and checking.
//
// The order of the checks in verify_bundle is the order of trust: nothing from the payload is
// believed before the signature over it verified with a key the caller trusts, and the bundle's
// own key hint only decides which trusted key is tried first (bug-log G10).
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "bob/error.h"
#include "bob/log.h"
#include "bob/sign.h"
#include "json_strict.h"
#include "openssl_util.h"

namespace bob::sign {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::size_t kMaxSignatures = 16;
constexpr std::size_t kMaxSubjects = 1024;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string ecdsa_sign(EVP_PKEY* key, std::string_view message) {
  MdCtxPtr context(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    fail(Exit::trust, "signing failed: " + detail::openssl_errors());
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    fail(Exit::trust, "signing failed: " + detail::openssl_errors());
  }
  signature.resize(length);
  return signature;
}

bool ecdsa_verify(EVP_PKEY* key, std::string_view message, std::string_view signature) {
  MdCtxPtr context(EVP_MD_CTX_new());
  bool ok = context &&
            EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(context.get(),
                             reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(message.data()),
                             message.size()) == 1;
  detail::openssl_errors();  // a bad signature leaves errors behind; they are not news
  return ok;
}

std::string dump_utf8(const ordered_json& value, std::string_view what) {
  try {
    return value.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    fail(Exit::usage, std::string(what) + " contains text that is not UTF-8");
  }
}

void check_request(const SignRequest& request) {
  if (!is_sha256_digest(request.manifest_digest)) {
    fail(Exit::usage, "cannot sign '" + detail::printable(request.manifest_digest) +
                          "': not a sha256:<64 hex> manifest digest");
  }
  if (!request.image_digest.empty() && !is_sha256_digest(request.image_digest)) {
    fail(Exit::usage,
         "image digest '" + detail::printable(request.image_digest) + "' is not sha256:<64 hex>");
  }
  if (request.subject_name.size() > 512 || request.variant.size() > 64) {
    fail(Exit::usage, "subject name or variant too long to sign");
  }
}

ordered_json statement_for(const SignRequest& request) {
  ordered_json subject;
  if (!request.subject_name.empty()) subject["name"] = request.subject_name;
  subject["digest"] = {{"sha256", request.manifest_digest.substr(7)}};
  ordered_json predicate = ordered_json::object();
  if (!request.image_digest.empty() || !request.variant.empty()) {
    ordered_json bob = ordered_json::object();
    if (!request.image_digest.empty()) bob["imageDigest"] = request.image_digest;
    if (!request.variant.empty()) bob["variant"] = request.variant;
    predicate["bob"] = bob;
  }
  ordered_json statement;
  statement["_type"] = kStatementType;
  statement["subject"] = ordered_json::array({subject});
  statement["predicateType"] = kPredicateType;
  statement["predicate"] = predicate;
  return statement;
}

// ---- Verification helpers ----------------------------------------------------------------

[[noreturn]] void reject(std::string_view check, const std::string& detail,
                         std::string hint = {}) {
  fail(Exit::trust, "signature rejected (" + std::string(check) + "): " + detail,
       std::move(hint));
}

const json& member(const json& object, const char* name, std::string_view check,
                   std::string_view where) {
  auto it = object.find(name);
  if (it == object.end()) reject(check, std::string(where) + " has no \"" + name + "\"");
  return *it;
}

const json& object_member(const json& object, const char* name, std::string_view check,
                          std::string_view where) {
  const json& value = member(object, name, check, where);
  if (!value.is_object()) reject(check, std::string(where) + "." + name + " is not an object");
  return value;
}

std::string string_member(const json& object, const char* name, std::string_view check,
                          std::string_view where) {
  const json& value = member(object, name, check, where);
  if (!value.is_string()) reject(check, std::string(where) + "." + name + " is not a string");
  return value.get<std::string>();
}

void refuse_unknown(const json& object, std::initializer_list<std::string_view> allowed,
                    std::string_view where) {
  std::string extra = detail::unknown_key(object, allowed);
  if (!extra.empty()) {
    reject("json", std::string(where) + " has an unknown field \"" + detail::printable(extra) +
                       "\"");
  }
}

std::string decode(const std::string& text, std::string_view where) {
  std::string bytes;
  if (!detail::base64_decode(text, bytes)) {
    reject("base64", std::string(where) + " is not valid standard base64");
  }
  return bytes;
}

struct Envelope {
  std::string payload_type;
  std::string payload;                 // decoded statement bytes
  std::vector<std::string> signatures; // decoded DER signatures
  std::string hint;                    // untrusted
};

// Limitation: trust is the key alone. Transparency-log entries and timestamps in a bundle
// (cosign adds them when it uploads to Rekor) are accepted but not verified, and a signature
// carries no expiry, so a key that leaked must be removed from every verifier's --key list.
// Limitation: keyless bundles (a Fulcio certificate instead of a public key) are refused.
Envelope read_bundle(std::string_view bundle_json) {
  if (bundle_json.size() > kMaxBundleBytes) {
    reject("size", "bundle is " + std::to_string(bundle_json.size()) + " bytes, over the " +
                       std::to_string(kMaxBundleBytes) + "-byte limit");
  }
  std::string parse_error;
  auto parsed = detail::parse_strict(bundle_json, parse_error);
  if (!parsed) reject("json", "bundle is not valid JSON: " + detail::printable(parse_error, 160));
  const json& bundle = *parsed;
  if (!bundle.is_object()) reject("json", "bundle is not a JSON object");
  refuse_unknown(bundle, {"mediaType", "verificationMaterial", "dsseEnvelope", "messageSignature"},
                 "bundle");

  std::string media_type = string_member(bundle, "mediaType", "mediaType", "bundle");
  if (!is_bundle_media_type(media_type)) {
    reject("mediaType", "bundle mediaType is '" + detail::printable(media_type) +
                            "', expected " + std::string(kBundleMediaType));
  }

  Envelope envelope;
  const json& material =
      object_member(bundle, "verificationMaterial", "verificationMaterial", "bundle");
  refuse_unknown(material,
                 {"publicKey", "x509CertificateChain", "certificate", "tlogEntries",
                  "timestampVerificationData"},
                 "verificationMaterial");
  if (!material.contains("publicKey")) {
    reject("verificationMaterial",
           "bundle carries no publicKey (a certificate means keyless signing, which bob does "
           "not verify)");
  }
  const json& public_key = object_member(material, "publicKey", "verificationMaterial",
                                         "verificationMaterial");
  refuse_unknown(public_key, {"hint"}, "verificationMaterial.publicKey");
  if (public_key.contains("hint")) {
    envelope.hint = string_member(public_key, "hint", "verificationMaterial",
                                  "verificationMaterial.publicKey");
  }

  if (!bundle.contains("dsseEnvelope")) {
    reject("dsseEnvelope", bundle.contains("messageSignature")
                               ? "bundle holds a messageSignature; bob signatures are DSSE "
                                 "envelopes over in-toto statements"
                               : "bundle has no dsseEnvelope");
  }
  if (bundle.contains("messageSignature")) {
    reject("dsseEnvelope", "bundle holds both a dsseEnvelope and a messageSignature");
  }
  const json& dsse = object_member(bundle, "dsseEnvelope", "dsseEnvelope", "bundle");
  refuse_unknown(dsse, {"payload", "payloadType", "signatures"}, "dsseEnvelope");

  envelope.payload_type = string_member(dsse, "payloadType", "dsseEnvelope", "dsseEnvelope");
  if (envelope.payload_type != kInTotoPayloadType) {
    reject("payloadType", "payloadType is '" + detail::printable(envelope.payload_type) +
                              "', expected " + std::string(kInTotoPayloadType));
  }
  envelope.payload =
      decode(string_member(dsse, "payload", "dsseEnvelope", "dsseEnvelope"), "payload");

  const json& signatures = member(dsse, "signatures", "dsseEnvelope", "dsseEnvelope");
  if (!signatures.is_array() || signatures.empty() || signatures.size() > kMaxSignatures) {
    reject("dsseEnvelope", "dsseEnvelope.signatures must be a list of 1 to " +
                               std::to_string(kMaxSignatures) + " signatures");
  }
  for (const json& entry : signatures) {
    if (!entry.is_object()) reject("dsseEnvelope", "a signature entry is not an object");
    refuse_unknown(entry, {"sig", "keyid"}, "signature entry");
    envelope.signatures.push_back(
        decode(string_member(entry, "sig", "dsseEnvelope", "signature entry"), "signature"));
  }
  return envelope;
}

// Trusted keys in the order to try: those whose hint matches first. The hint comes from the
// unauthenticated bundle, so it can reorder the trusted keys but never add one (G10).
std::vector<const PublicKey*> candidate_order(const std::vector<PublicKey>& trusted,
                                              const std::string& hint) {
  std::vector<const PublicKey*> order;
  for (const auto& key : trusted) {
    if (!hint.empty() && key.hint() == hint) order.push_back(&key);
  }
  for (const auto& key : trusted) {
    if (hint.empty() || key.hint() != hint) order.push_back(&key);
  }
  return order;
}

const PublicKey& verified_key(const Envelope& envelope, const std::vector<PublicKey>& trusted) {
  std::string pae = dsse_pae(envelope.payload_type, envelope.payload);
  for (const PublicKey* key : candidate_order(trusted, envelope.hint)) {
    for (const auto& signature : envelope.signatures) {
      if (ecdsa_verify(key->impl().key.get(), pae, signature)) {
        log::debug("signature verified with trusted key " + key->key_id() + " (" +
                   key->origin() + ")");
        return *key;
      }
    }
    log::debug("trusted key " + key->key_id() + " does not verify the signature");
  }
  bool hint_known = std::any_of(trusted.begin(), trusted.end(),
                                [&](const PublicKey& k) { return k.hint() == envelope.hint; });
  std::string detail = "no trusted key verifies the signature over the DSSE payload (tried " +
                       std::to_string(trusted.size()) + " key(s))";
  if (!envelope.hint.empty() && !hint_known) {
    detail += "; the bundle names key hint " + detail::printable(envelope.hint, 60) +
              ", which is not among them";
  }
  reject("signature", detail,
         "the payload was altered, or it was signed by a key you did not pass with --key");
}

void check_statement(const std::string& payload, std::string_view expected_digest,
                     VerifiedSignature& result) {
  std::string parse_error;
  auto parsed = detail::parse_strict(payload, parse_error);
  if (!parsed) {
    reject("statement", "payload is not valid JSON: " + detail::printable(parse_error, 160));
  }
  const json& statement = *parsed;
  if (!statement.is_object()) reject("statement", "payload is not a JSON object");
  std::string type = string_member(statement, "_type", "statement", "statement");
  if (type != kStatementType) {
    reject("statement", "statement _type is '" + detail::printable(type) + "', expected " +
                            std::string(kStatementType));
  }
  result.predicate_type = string_member(statement, "predicateType", "statement", "statement");
  if (result.predicate_type != kPredicateType) {
    reject("predicateType", "predicateType is '" + detail::printable(result.predicate_type) +
                                "', expected " + std::string(kPredicateType));
  }

  const json& subjects = member(statement, "subject", "statement", "statement");
  if (!subjects.is_array() || subjects.empty() || subjects.size() > kMaxSubjects) {
    reject("statement", "statement subject must be a non-empty list");
  }
  const std::string expected_hex(expected_digest.substr(7));
  std::string first_seen;
  for (const json& subject : subjects) {
    if (!subject.is_object()) reject("statement", "a statement subject is not an object");
    const json& digests = object_member(subject, "digest", "statement", "subject");
    auto sha = digests.find("sha256");
    if (sha == digests.end() || !sha->is_string()) continue;
    const std::string hex = sha->get<std::string>();
    if (hex == expected_hex) {
      result.manifest_digest = std::string(expected_digest);
      break;
    }
    if (first_seen.empty()) first_seen = hex;
  }
  if (result.manifest_digest.empty()) {
    reject("subject",
           "the statement signs " +
               (first_seen.empty() ? std::string("no sha256 digest")
                                   : "sha256:" + detail::printable(first_seen, 64)) +
               ", not the manifest " + std::string(expected_digest) + " being verified",
           "a valid signature of another manifest was attached here; do not trust this BoB");
  }

  auto predicate = statement.find("predicate");
  if (predicate == statement.end()) return;
  if (!predicate->is_object()) reject("statement", "statement predicate is not an object");
  auto bob = predicate->find("bob");
  if (bob == predicate->end()) return;
  if (!bob->is_object()) reject("statement", "predicate.bob is not an object");
  if (bob->contains("imageDigest")) {
    result.image_digest = string_member(*bob, "imageDigest", "statement", "predicate.bob");
  }
  if (bob->contains("variant")) {
    result.variant = string_member(*bob, "variant", "statement", "predicate.bob");
  }
}

}  // namespace

std::string dsse_pae(std::string_view payload_type, std::string_view payload) {
  std::string pae = "DSSEv1 ";
  pae += std::to_string(payload_type.size());
  pae += ' ';
  pae += payload_type;
  pae += ' ';
  pae += std::to_string(payload.size());
  pae += ' ';
  pae += payload;
  return pae;
}

std::string sign_bundle(const PrivateKey& key, const SignRequest& request) {
  check_request(request);
  const std::string payload = dump_utf8(statement_for(request), "the in-toto statement");
  const std::string pae = dsse_pae(kInTotoPayloadType, payload);
  const std::string signature = ecdsa_sign(key.impl().key.get(), pae);
  // A signature that does not verify must never leave this function.
  if (!ecdsa_verify(key.public_key().impl().key.get(), pae, signature)) {
    fail(Exit::trust, "the new signature does not verify with its own key; nothing was signed");
  }

  ordered_json bundle;
  bundle["mediaType"] = kBundleMediaType;
  bundle["verificationMaterial"] = {{"publicKey", {{"hint", key.public_key().hint()}}},
                                    {"tlogEntries", ordered_json::array()}};
  ordered_json envelope;
  envelope["payload"] = detail::base64_encode(payload);
  envelope["payloadType"] = kInTotoPayloadType;
  envelope["signatures"] =
      ordered_json::array({{{"sig", detail::base64_encode(signature)}, {"keyid", ""}}});
  bundle["dsseEnvelope"] = envelope;
  log::debug("signed " + request.manifest_digest + " with key " + key.public_key().key_id());
  return dump_utf8(bundle, "the bundle");
}

VerifiedSignature verify_bundle(std::string_view bundle_json,
                                std::string_view expected_manifest_digest,
                                const std::vector<PublicKey>& trusted_keys) {
  if (!is_sha256_digest(expected_manifest_digest)) {
    fail(Exit::usage, "cannot verify against '" + detail::printable(expected_manifest_digest) +
                          "': not a sha256:<64 hex> digest");
  }
  if (trusted_keys.empty()) {
    fail(Exit::usage, "no trusted key to verify with", "pass the signer's public key with --key");
  }
  Envelope envelope = read_bundle(bundle_json);
  const PublicKey& key = verified_key(envelope, trusted_keys);
  VerifiedSignature result;
  result.key_id = key.key_id();
  result.key_origin = key.origin();
  check_statement(envelope.payload, expected_manifest_digest, result);
  return result;
}

}  // namespace bob::sign
