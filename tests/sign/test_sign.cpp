// Unit tests of the sign module: digests, keys, bundle signing and every verification check.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "bob/error.h"
#include "bob/sign.h"
#include "openssl_util.h"   // white-box: lets the tests sign arbitrary payloads

using namespace bob::sign;
using nlohmann::json;

namespace {

const std::string kDigest = digest_of("a BoB manifest");
const std::string kOtherDigest = digest_of("another BoB manifest");
const std::string kImage = digest_of("an image manifest");

PrivateKey new_key(std::string_view passphrase = {}) {
  return PrivateKey::from_pem(generate_key_pair(passphrase).private_pem, "test key");
}

// Signs any payload the way sign_bundle does, so tests can craft statements bob would never make.
std::string raw_bundle(const PrivateKey& key, std::string_view payload_type,
                       std::string_view payload, std::string hint = {}) {
  std::string pae = dsse_pae(payload_type, payload);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::size_t length = 0;
  REQUIRE(EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key.impl().key.get()) == 1);
  REQUIRE(EVP_DigestSign(context, nullptr, &length,
                         reinterpret_cast<const unsigned char*>(pae.data()), pae.size()) == 1);
  std::string signature(length, '\0');
  REQUIRE(EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                         reinterpret_cast<const unsigned char*>(pae.data()), pae.size()) == 1);
  EVP_MD_CTX_free(context);
  signature.resize(length);
  json bundle = {
      {"mediaType", kBundleMediaType},
      {"verificationMaterial",
       {{"publicKey", {{"hint", hint.empty() ? key.public_key().hint() : hint}}},
        {"tlogEntries", json::array()}}},
      {"dsseEnvelope",
       {{"payload", detail::base64_encode(payload)},
        {"payloadType", payload_type},
        {"signatures", json::array({{{"sig", detail::base64_encode(signature)}, {"keyid", ""}}})}}}};
  return bundle.dump();
}

std::string statement(std::string_view hex, std::string_view predicate_type = kPredicateType,
                      std::string_view type = kStatementType) {
  return json{{"_type", type},
              {"subject", json::array({{{"digest", {{"sha256", hex}}}}})},
              {"predicateType", predicate_type},
              {"predicate", json::object()}}
      .dump();
}

// Runs verify_bundle and returns the Exit::trust message ("" when it verified).
std::string rejection(std::string_view bundle, const std::vector<PublicKey>& keys,
                      std::string_view digest = kDigest) {
  try {
    verify_bundle(bundle, digest, keys);
    return "";
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::trust);
    return e.what();
  }
}

std::string edited(const std::string& bundle, void (*edit)(json&)) {
  json value = json::parse(bundle);
  edit(value);
  return value.dump();
}

}  // namespace

TEST_CASE("sha256 helpers match known vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(digest_of(kEmptyBlob) == kEmptyDigest);
  CHECK(is_sha256_digest(kEmptyDigest));
  CHECK_FALSE(is_sha256_digest("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  CHECK_FALSE(is_sha256_digest("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_FALSE(is_sha256_digest("sha256:e3b0"));
}

TEST_CASE("strict base64") {
  std::string out;
  CHECK(detail::base64_decode("aGVsbG8=", out));
  CHECK(out == "hello");
  CHECK(detail::base64_decode("aGVsbG8", out));   // unpadded is accepted
  CHECK(out == "hello");
  CHECK(detail::base64_decode("", out));
  CHECK(out.empty());
  CHECK_FALSE(detail::base64_decode("aGVs bG8=", out));   // whitespace
  CHECK_FALSE(detail::base64_decode("aGVsbG8-", out));    // URL alphabet
  CHECK_FALSE(detail::base64_decode("aGVsbG8==", out));   // wrong padding
  CHECK_FALSE(detail::base64_decode("QR==", out));        // non-canonical trailing bits
  CHECK_FALSE(detail::base64_decode("a", out));
  CHECK_FALSE(detail::base64_decode("=aGV", out));
}

TEST_CASE("bundle media types") {
  CHECK(is_bundle_media_type("application/vnd.dev.sigstore.bundle.v0.3+json"));
  CHECK(is_bundle_media_type("application/vnd.dev.sigstore.bundle+json;version=0.2"));
  CHECK_FALSE(is_bundle_media_type("application/vnd.dev.sigstore.bundle+json"));
  CHECK_FALSE(is_bundle_media_type("application/vnd.oci.image.manifest.v1+json"));
}

TEST_CASE("a signed bundle has the documented shape and verifies") {
  PrivateKey key = new_key();
  SignRequest request{kDigest, "registry.local/app", kImage, "specific"};
  std::string bundle_text = sign_bundle(key, request);
  json bundle = json::parse(bundle_text);
  CHECK(bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json");
  CHECK(bundle["verificationMaterial"]["publicKey"]["hint"] == key.public_key().hint());
  CHECK(bundle["verificationMaterial"]["tlogEntries"] == json::array());
  CHECK(bundle["dsseEnvelope"]["payloadType"] == "application/vnd.in-toto+json");
  REQUIRE(bundle["dsseEnvelope"]["signatures"].size() == 1);

  std::string payload;
  REQUIRE(detail::base64_decode(bundle["dsseEnvelope"]["payload"].get<std::string>(), payload));
  json expected_statement = {
      {"_type", "https://in-toto.io/Statement/v1"},
      {"subject", json::array({{{"name", "registry.local/app"},
                                {"digest", {{"sha256", kDigest.substr(7)}}}}})},
      {"predicateType", "https://sigstore.dev/cosign/sign/v1"},
      {"predicate", {{"bob", {{"imageDigest", kImage}, {"variant", "specific"}}}}}};
  CHECK(json::parse(payload) == expected_statement);

  // The hint and key id are both SHA-256 of the DER SubjectPublicKeyInfo.
  std::string raw_hint;
  REQUIRE(detail::base64_decode(key.public_key().hint(), raw_hint));
  CHECK(raw_hint.size() == 32);
  CHECK(key.public_key().key_id() == sha256_hex(key.public_key().impl().der));

  VerifiedSignature result = verify_bundle(bundle_text, kDigest, {key.public_key()});
  CHECK(result.key_id == key.public_key().key_id());
  CHECK(result.key_origin == "test key");
  CHECK(result.manifest_digest == kDigest);
  CHECK(result.predicate_type == kPredicateType);
  CHECK(result.image_digest == kImage);
  CHECK(result.variant == "specific");
}

TEST_CASE("signing refuses bad requests") {
  PrivateKey key = new_key();
  CHECK_THROWS_AS(sign_bundle(key, {"sha256:abc", "", "", ""}), bob::Error);
  CHECK_THROWS_AS(sign_bundle(key, {kDigest, "", "latest", ""}), bob::Error);
  CHECK_THROWS_AS(sign_bundle(key, {kDigest, "\xff\xfe", "", ""}), bob::Error);
}

TEST_CASE("verification: the signature must come from a trusted key (G10)") {
  PrivateKey signer = new_key();
  PrivateKey stranger = new_key();
  PublicKey trusted = signer.public_key();
  std::string good = sign_bundle(signer, {kDigest, "", "", ""});

  SUBCASE("wrong key") {
    std::string message = rejection(good, {stranger.public_key()});
    CHECK(message.find("signature rejected (signature)") == 0);
    CHECK(message.find("not among them") != std::string::npos);
  }
  SUBCASE("an attacker's bundle naming the trusted key's hint") {
    std::string forged = raw_bundle(stranger, kInTotoPayloadType, statement(kDigest.substr(7)),
                                    trusted.hint());
    CHECK(rejection(forged, {trusted}).find("(signature)") != std::string::npos);
  }
  SUBCASE("a wrong hint does not stop a trusted key") {
    std::string relabelled = edited(good, [](json& b) {
      b["verificationMaterial"]["publicKey"]["hint"] = "bm90IGEga2V5";
    });
    CHECK(rejection(relabelled, {trusted}).empty());
  }
  SUBCASE("the verifying key is found among several") {
    VerifiedSignature result = verify_bundle(good, kDigest, {stranger.public_key(), trusted});
    CHECK(result.key_id == trusted.key_id());
  }
  SUBCASE("one good signature among junk ones is enough") {
    std::string padded = edited(good, [](json& b) {
      auto& signatures = b["dsseEnvelope"]["signatures"];
      signatures.insert(signatures.begin(), json{{"sig", "MEUCIQ=="}, {"keyid", "x"}});
    });
    CHECK(rejection(padded, {trusted}).empty());
  }
  SUBCASE("no trusted keys at all is a usage error") {
    CHECK_THROWS_AS(verify_bundle(good, kDigest, {}), bob::Error);
  }
}

TEST_CASE("verification: each check names itself") {
  PrivateKey signer = new_key();
  std::vector<PublicKey> trusted = {signer.public_key()};
  std::string good = sign_bundle(signer, {kDigest, "", kImage, "generalized"});
  REQUIRE(rejection(good, trusted).empty());
  auto fails_at = [&](const std::string& bundle, const std::string& check) {
    std::string message = rejection(bundle, trusted);
    INFO(message);
    CHECK(message.find("signature rejected (" + check + ")") == 0);
  };

  SUBCASE("tampered payload") {
    std::string payload;
    json value = json::parse(good);
    REQUIRE(detail::base64_decode(value["dsseEnvelope"]["payload"].get<std::string>(), payload));
    payload.replace(payload.find("generalized"), 11, "specific!!!");
    value["dsseEnvelope"]["payload"] = detail::base64_encode(payload);
    fails_at(value.dump(), "signature");
  }
  SUBCASE("another manifest's digest (G11)") {
    std::string message = rejection(good, trusted, kOtherDigest);
    CHECK(message.find("signature rejected (subject)") == 0);
    CHECK(message.find(kDigest) != std::string::npos);
  }
  SUBCASE("malformed base64 in the payload") {
    fails_at(edited(good, [](json& b) { b["dsseEnvelope"]["payload"] = "eyJf!dHlw"; }), "base64");
  }
  SUBCASE("malformed base64 in the signature") {
    fails_at(edited(good, [](json& b) { b["dsseEnvelope"]["signatures"][0]["sig"] = "MEU CIQ"; }),
             "base64");
  }
  SUBCASE("payloadType") {
    fails_at(edited(good, [](json& b) { b["dsseEnvelope"]["payloadType"] = "text/plain"; }),
             "payloadType");
  }
  SUBCASE("mediaType wrong or missing") {
    fails_at(edited(good, [](json& b) { b["mediaType"] = "application/json"; }), "mediaType");
    fails_at(edited(good, [](json& b) { b.erase("mediaType"); }), "mediaType");
  }
  SUBCASE("verificationMaterial missing, or a certificate instead of a key") {
    fails_at(edited(good, [](json& b) { b.erase("verificationMaterial"); }),
             "verificationMaterial");
    fails_at(edited(good, [](json& b) {
               b["verificationMaterial"] = {{"certificate", {{"rawBytes", "AAAA"}}}};
             }),
             "verificationMaterial");
  }
  SUBCASE("dsseEnvelope missing, replaced, or without signatures") {
    fails_at(edited(good, [](json& b) { b.erase("dsseEnvelope"); }), "dsseEnvelope");
    fails_at(edited(good, [](json& b) {
               b.erase("dsseEnvelope");
               b["messageSignature"] = json::object();
             }),
             "dsseEnvelope");
    fails_at(edited(good, [](json& b) { b["dsseEnvelope"]["signatures"] = json::array(); }),
             "dsseEnvelope");
    fails_at(edited(good, [](json& b) { b["dsseEnvelope"].erase("payload"); }), "dsseEnvelope");
    fails_at(edited(good, [](json& b) { b["dsseEnvelope"]["signatures"][0].erase("sig"); }),
             "dsseEnvelope");
  }
  SUBCASE("not JSON, duplicate keys, unknown fields") {
    fails_at("{\"mediaType\":", "json");
    fails_at("[]", "json");
    std::string duplicated = good;
    duplicated.insert(1, "\"mediaType\":\"application/json\",");
    fails_at(duplicated, "json");
    fails_at(edited(good, [](json& b) { b["extra"] = 1; }), "json");
  }
  SUBCASE("oversized") {
    fails_at(std::string(kMaxBundleBytes + 1, ' '), "size");
  }
  SUBCASE("a signed statement with another predicateType") {
    fails_at(raw_bundle(signer, kInTotoPayloadType,
                        statement(kDigest.substr(7), "https://example.com/other/v1")),
             "predicateType");
  }
  SUBCASE("a signed statement with another _type, or not JSON") {
    fails_at(raw_bundle(signer, kInTotoPayloadType,
                        statement(kDigest.substr(7), kPredicateType,
                                  "https://in-toto.io/Statement/v0.1")),
             "statement");
    fails_at(raw_bundle(signer, kInTotoPayloadType, "not json"), "statement");
  }
  SUBCASE("a signed statement whose subject has no sha256") {
    std::string payload = json{{"_type", kStatementType},
                               {"subject", json::array({{{"digest", {{"sha512", "00"}}}}})},
                               {"predicateType", kPredicateType}}
                              .dump();
    fails_at(raw_bundle(signer, kInTotoPayloadType, payload), "subject");
  }
  SUBCASE("a malformed expected digest is a usage error") {
    try {
      verify_bundle(good, "sha256:nothex", trusted);
      FAIL("accepted a malformed digest");
    } catch (const bob::Error& e) {
      CHECK(e.code() == bob::Exit::usage);
    }
  }
}

TEST_CASE("keys: encrypted PKCS#8 and its passphrase") {
  KeyPair pair = generate_key_pair("pass phrase 123");
  CHECK(pair.private_pem.find("BEGIN ENCRYPTED PRIVATE KEY") != std::string::npos);
  CHECK(pair.public_pem.find("BEGIN PUBLIC KEY") != std::string::npos);

  ::setenv("BOB_TEST_PASS", "pass phrase 123", 1);
  PrivateKey key = PrivateKey::from_pem(pair.private_pem, "enc", {"BOB_TEST_PASS", false});
  CHECK(key.public_key().key_id() == pair.key_id);
  CHECK(PublicKey::from_pem(pair.public_pem, "pub").key_id() == pair.key_id);

  auto load_error = [&](const char* env_var) {
    try {
      PrivateKey::from_pem(pair.private_pem, "enc.key", {env_var, false});
      return std::string("loaded");
    } catch (const bob::Error& e) {
      CHECK(e.code() == bob::Exit::usage);
      return std::string(e.what());
    }
  };
  ::setenv("BOB_TEST_WRONG", "pass phrase 124", 1);
  CHECK(load_error("BOB_TEST_WRONG").find("wrong passphrase") != std::string::npos);
  ::unsetenv("BOB_TEST_UNSET");
  CHECK(load_error("BOB_TEST_UNSET").find("encrypted and no passphrase") != std::string::npos);
}

TEST_CASE("keys: other algorithms and curves are refused") {
  auto pem_of = [](EVP_PKEY* key, bool is_public) {
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE((is_public ? PEM_write_bio_PUBKEY(bio, key)
                       : PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr,
                                                       nullptr)) == 1);
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return text;
  };
  auto refusal = [](auto load) {
    try {
      load();
      return std::string("loaded");
    } catch (const bob::Error& e) {
      CHECK(e.code() == bob::Exit::usage);
      return std::string(e.what());
    }
  };
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  REQUIRE(rsa != nullptr);
  REQUIRE(p384 != nullptr);
  std::string rsa_private = pem_of(rsa, false), p384_public = pem_of(p384, true);
  EVP_PKEY_free(rsa);
  EVP_PKEY_free(p384);
  CHECK(refusal([&] { PrivateKey::from_pem(rsa_private, "rsa.key"); })
            .find("rsa.key: is a RSA key; bob signs with ECDSA P-256 keys only") == 0);
  CHECK(refusal([&] { PublicKey::from_pem(p384_public, "p384.pub"); })
            .find("p384.pub: EC key on curve secp384r1") == 0);
  CHECK(refusal([&] { PublicKey::from_pem("hello", "x.pub"); }).find("no PEM public key") !=
        std::string::npos);
  CHECK_THROWS_AS(load_trusted_keys({}), bob::Error);
}

TEST_CASE("the signature referrer has cosign's layout, byte for byte") {
  const std::string bundle = R"({"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"})";
  Descriptor signed_manifest{"application/vnd.oci.image.manifest.v1+json", kDigest, 812};
  SignatureReferrer referrer =
      build_signature_referrer(bundle, signed_manifest, "2026-01-02T03:04:05Z");
  const std::string expected =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json",)"
      R"("config":{"mediaType":"application/vnd.oci.empty.v1+json",)"
      R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
      R"("size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",)"
      R"("digest":")" + digest_of(bundle) + R"(","size":)" + std::to_string(bundle.size()) +
      R"(}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      kDigest + R"(","size":812},"annotations":{"dev.sigstore.bundle.content":"dsse-envelope",)"
      R"("dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1",)"
      R"("org.opencontainers.image.created":"2026-01-02T03:04:05Z"}})";
  CHECK(referrer.manifest == expected);
  CHECK(referrer.manifest_digest == digest_of(expected));
  CHECK(referrer.bundle == bundle);
  CHECK(referrer.config_blob == "{}");
  CHECK(referrer.config.digest == digest_of(referrer.config_blob));

  Descriptor layer = bundle_layer_of(referrer.manifest);
  CHECK(layer.media_type == kBundleMediaType);
  CHECK(layer.digest == digest_of(bundle));
  CHECK(layer.size == static_cast<std::int64_t>(bundle.size()));

  // A default creation time is "now" in RFC 3339 UTC.
  json now = json::parse(build_signature_referrer(bundle, signed_manifest).manifest);
  CHECK(now["annotations"]["org.opencontainers.image.created"].get<std::string>().size() == 20);

  CHECK_THROWS_AS(build_signature_referrer(bundle, signed_manifest, "yesterday"), bob::Error);
  CHECK_THROWS_AS(build_signature_referrer(bundle, {"", kDigest, 1}), bob::Error);
  CHECK_THROWS_AS(build_signature_referrer("", signed_manifest), bob::Error);
}

TEST_CASE("sign_manifest signs the descriptor's digest") {
  PrivateKey key = new_key();
  Descriptor signed_manifest{"application/vnd.oci.image.manifest.v1+json", kDigest, 500};
  SignatureReferrer referrer = sign_manifest(key, {"", "repo", kImage, "specific"},
                                             signed_manifest);
  CHECK(verify_bundle(referrer.bundle, kDigest, {key.public_key()}).variant == "specific");
  CHECK(json::parse(referrer.manifest)["subject"]["digest"] == kDigest);
  CHECK_THROWS_AS(sign_manifest(key, {kOtherDigest, "", "", ""}, signed_manifest), bob::Error);
}

TEST_CASE("bundle_layer_of refuses what is not a signature manifest") {
  auto refused = [](const std::string& manifest) {
    try {
      bundle_layer_of(manifest);
      return false;
    } catch (const bob::Error& e) {
      return e.code() == bob::Exit::trust;
    }
  };
  const std::string layer = R"({"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",)"
                            R"("digest":")" + kDigest + R"(","size":10})";
  CHECK(refused("not json"));
  CHECK(refused(R"({"layers":[]})"));
  CHECK(refused(R"({"layers":[)" + layer + "," + layer + "]}"));
  CHECK(refused(R"({"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",)"
                R"("digest":"sha256:00","size":10}]})"));
  CHECK(refused(R"({"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",)"
                R"("digest":")" + kDigest + R"(","size":99999999}]})"));
  CHECK_FALSE(refused(R"({"layers":[)" + layer + "]}"));
}
