// The OCI manifest that carries a bundle as a referrer, in the layout cosign v3 writes, so that
// cosign and other Sigstore tools find bob's signatures where they look for their own.
#include <nlohmann/json.hpp>

#include <ctime>
#include <regex>
#include <string>

#include "bob/error.h"
#include "bob/sign.h"
#include "json_strict.h"
#include "openssl_util.h"

namespace bob::sign {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string utc_now_rfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

bool is_rfc3339(const std::string& text) {
  static const std::regex shape(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))");
  return std::regex_match(text, shape);
}

ordered_json descriptor_json(const Descriptor& descriptor) {
  return ordered_json{{"mediaType", descriptor.media_type},
                      {"digest", descriptor.digest},
                      {"size", descriptor.size}};
}

void check_subject(const Descriptor& subject) {
  if (!is_sha256_digest(subject.digest) || subject.size <= 0 || subject.media_type.empty() ||
      subject.media_type.size() > 255) {
    fail(Exit::usage, "the signed manifest's descriptor needs a media type, a sha256 digest and "
                      "a positive size");
  }
}

}  // namespace

SignatureReferrer build_signature_referrer(std::string bundle_json,
                                           const Descriptor& signed_manifest,
                                           std::string created) {
  check_subject(signed_manifest);
  if (created.empty()) created = utc_now_rfc3339();
  if (!is_rfc3339(created)) {
    fail(Exit::usage, "creation time '" + detail::printable(created) + "' is not RFC 3339");
  }
  if (bundle_json.empty() || bundle_json.size() > kMaxBundleBytes) {
    fail(Exit::usage, "a signature bundle must be 1 byte to 1 MiB");
  }

  SignatureReferrer referrer;
  referrer.config_blob = std::string(kEmptyBlob);
  referrer.config = {std::string(kEmptyMediaType), std::string(kEmptyDigest), 2};
  referrer.bundle_layer = {std::string(kBundleMediaType), digest_of(bundle_json),
                           static_cast<std::int64_t>(bundle_json.size())};
  referrer.bundle = std::move(bundle_json);

  ordered_json manifest;
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = kManifestMediaType;
  manifest["artifactType"] = kBundleMediaType;
  manifest["config"] = descriptor_json(referrer.config);
  manifest["layers"] = ordered_json::array({descriptor_json(referrer.bundle_layer)});
  manifest["subject"] = descriptor_json(signed_manifest);
  manifest["annotations"] = {{"dev.sigstore.bundle.content", "dsse-envelope"},
                             {"dev.sigstore.bundle.predicateType", kPredicateType},
                             {"org.opencontainers.image.created", created}};
  try {
    referrer.manifest = manifest.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    fail(Exit::usage, "the signed manifest's media type is not UTF-8");
  }
  referrer.manifest_digest = digest_of(referrer.manifest);
  return referrer;
}

SignatureReferrer sign_manifest(const PrivateKey& key, const SignRequest& request,
                                const Descriptor& signed_manifest, std::string created) {
  SignRequest filled = request;
  if (filled.manifest_digest.empty()) filled.manifest_digest = signed_manifest.digest;
  if (filled.manifest_digest != signed_manifest.digest) {
    fail(Exit::usage, "sign request digest " + detail::printable(filled.manifest_digest) +
                          " differs from the signed manifest's descriptor " +
                          detail::printable(signed_manifest.digest));
  }
  return build_signature_referrer(sign_bundle(key, filled), signed_manifest, std::move(created));
}

Descriptor bundle_layer_of(std::string_view referrer_manifest) {
  auto reject = [](const std::string& detail) -> void {
    fail(Exit::trust, "signature rejected (referrer): " + detail);
  };
  std::string parse_error;
  auto parsed = detail::parse_strict(referrer_manifest, parse_error);
  if (!parsed || !parsed->is_object()) {
    reject("signature manifest is not a JSON object: " + detail::printable(parse_error, 160));
  }
  auto layers = parsed->find("layers");
  if (layers == parsed->end() || !layers->is_array()) reject("signature manifest has no layers");

  Descriptor found;
  int bundle_layers = 0;
  for (const json& layer : *layers) {
    if (!layer.is_object()) reject("a layer of the signature manifest is not an object");
    auto media_type = layer.find("mediaType");
    if (media_type == layer.end() || !media_type->is_string() ||
        !is_bundle_media_type(media_type->get<std::string>())) {
      continue;
    }
    ++bundle_layers;
    auto digest = layer.find("digest");
    auto size = layer.find("size");
    if (digest == layer.end() || !digest->is_string() ||
        !is_sha256_digest(digest->get<std::string>()) || size == layer.end() ||
        !size->is_number_integer() || size->get<std::int64_t>() <= 0 ||
        size->get<std::int64_t>() > static_cast<std::int64_t>(kMaxBundleBytes)) {
      reject("the bundle layer needs a sha256 digest and a size of 1 byte to 1 MiB");
    }
    found = {media_type->get<std::string>(), digest->get<std::string>(),
             size->get<std::int64_t>()};
  }
  if (bundle_layers != 1) {
    reject("expected exactly one Sigstore bundle layer, found " +
           std::to_string(bundle_layers));
  }
  return found;
}

}  // namespace bob::sign
