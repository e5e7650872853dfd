// Fuzzes the signature side of a BoB: sign::verify_bundle (Sigstore bundle v0.3, DSSE envelope,
// in-toto statement), sign::bundle_layer_of (the signature referrer's manifest) and the strict
// JSON parser both use.
//
// Each input is tried three ways: as a whole bundle; as the DSSE payload of a bundle this
// target signs with its fixed test key (so the statement checks behind the signature are
// reached, which a mutated bundle never gets past); and as a signature manifest.
// Invariants: a verified bundle names exactly the expected manifest digest and the cosign
// predicate type; whatever the strict parser accepts, nlohmann's parser reads the same way.
#include <openssl/evp.h>

#include "bob/sign.h"
#include "fuzz_common.h"
#include "json_strict.h"
#include "openssl_util.h"

namespace {

// A P-256 key made for this fuzzer only (it signs nothing else). Seeds in
// corpus/bundle were signed with it, so they verify and mutations start from valid bundles.
constexpr std::string_view kTestKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdSvLCt8jasRotRn1
a2znFNwg37Kp3sBR+3FPidtSRyyhRANCAAQJboT+vlm16jIqO4UMt6EE1Obh6C2K
Jnj4p9JD/u+Wy6K6OLlc+YDreMxgiRvEHlRxX50smmtD8U4ZB8uXFYYU
-----END PRIVATE KEY-----
)";
// The manifest digest the seeds' statements name.
constexpr std::string_view kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const bob::sign::PrivateKey& key() {
  static const bob::sign::PrivateKey k =
      bob::sign::PrivateKey::from_pem(kTestKey, "fuzz test key", {"", false});
  return k;
}

std::string sign(std::string_view message) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::size_t length = 0;
  EVP_PKEY* pkey = key().impl().key.get();
  auto bytes = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
      EVP_DigestSign(context, nullptr, &length, bytes, message.size()) != 1) {
    std::abort();
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length, bytes,
                     message.size()) != 1) {
    std::abort();
  }
  EVP_MD_CTX_free(context);
  signature.resize(length);
  return signature;
}

void check_verified(std::string_view bundle) {
  bob::sign::VerifiedSignature result;
  try {
    result = bob::sign::verify_bundle(bundle, kDigest, {key().public_key()});
  } catch (const bob::Error& e) {
    BOB_FUZZ_CHECK(e.code() == bob::Exit::trust, e.what());
    BOB_FUZZ_CHECK(std::string_view(e.what()).rfind("signature rejected (", 0) == 0, e.what());
    return;
  }
  BOB_FUZZ_CHECK(result.manifest_digest == kDigest, result.manifest_digest);
  BOB_FUZZ_CHECK(result.predicate_type == bob::sign::kPredicateType, result.predicate_type);
  BOB_FUZZ_CHECK(result.key_id == key().public_key().key_id(), result.key_id);
}

// The input as the statement of a bundle signed with the test key.
void check_signed_payload(std::string_view payload) {
  std::string pae = bob::sign::dsse_pae(bob::sign::kInTotoPayloadType, payload);
  nlohmann::ordered_json bundle;
  bundle["mediaType"] = bob::sign::kBundleMediaType;
  bundle["verificationMaterial"] = {{"publicKey", {{"hint", key().public_key().hint()}}}};
  bundle["dsseEnvelope"] = {
      {"payload", bob::sign::detail::base64_encode(payload)},
      {"payloadType", bob::sign::kInTotoPayloadType},
      {"signatures", {{{"sig", bob::sign::detail::base64_encode(sign(pae))}, {"keyid", ""}}}}};
  check_verified(bundle.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void check_referrer(std::string_view manifest) {
  bob::sign::Descriptor layer;
  try {
    layer = bob::sign::bundle_layer_of(manifest);
  } catch (const bob::Error& e) {
    BOB_FUZZ_CHECK(e.code() == bob::Exit::trust, e.what());
    return;
  }
  BOB_FUZZ_CHECK(bob::sign::is_sha256_digest(layer.digest), layer.digest);
  BOB_FUZZ_CHECK(bob::sign::is_bundle_media_type(layer.media_type), layer.media_type);
}

void check_strict_json(std::string_view text) {
  std::string error;
  auto strict = bob::sign::detail::parse_strict(text, error);
  if (!strict) return;
  auto lenient = nlohmann::json::parse(text, nullptr, false);
  BOB_FUZZ_CHECK(!lenient.is_discarded(), std::string(text));
  BOB_FUZZ_CHECK(lenient == *strict, std::string(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bob::fuzz::quiet_logs();
  std::string_view text = bob::fuzz::as_text(data, size);
  check_strict_json(text);
  check_verified(text);
  check_signed_payload(text);
  check_referrer(text);
  return 0;
}
