// Fuzzes what bob reads from a registry's manifest endpoint: oci::Manifest::json and
// ::descriptor, oci::Descriptor::from_json on every descriptor of a manifest or index (config,
// subject, layers, manifests), and artifact::parse_manifest, the shape check a BoB must pass
// before pull or verify trust it.
// Invariants: a descriptor that parsed survives to_json/from_json unchanged; a BoB manifest that
// passed has a valid subject digest, at least one layer, only bob layer types and unique titles.
#include <set>

#include "bob/artifact.h"
#include "bob/oci.h"
#include "fuzz_common.h"

namespace {

using bob::oci::Descriptor;

std::string describe(const Descriptor& d) {
  return "mediaType='" + d.media_type + "' digest='" + d.digest + "' size=" +
         std::to_string(d.size) + " artifactType='" + d.artifact_type + "' annotations=" +
         std::to_string(d.annotations.size()) + " os=" + d.platform_os.value_or("-") +
         " arch=" + d.platform_architecture.value_or("-") +
         " variant=" + d.platform_variant.value_or("-");
}

bool same(const Descriptor& a, const Descriptor& b) {
  return a.media_type == b.media_type && a.digest == b.digest && a.size == b.size &&
         a.artifact_type == b.artifact_type && a.annotations == b.annotations &&
         a.platform_os == b.platform_os && a.platform_architecture == b.platform_architecture &&
         a.platform_variant == b.platform_variant;
}

void check_descriptor(const nlohmann::json& j) {
  Descriptor d;
  try {
    d = Descriptor::from_json(j);
  } catch (const bob::Error&) {
    return;
  }
  BOB_FUZZ_CHECK(bob::oci::is_valid_digest(d.digest) && d.size >= 0, describe(d));
  Descriptor again = Descriptor::from_json(d.to_json());
  BOB_FUZZ_CHECK(same(d, again), describe(d) + " vs " + describe(again));
}

void check_descriptors(const nlohmann::json& body) {
  for (const char* single : {"config", "subject"}) {
    if (body.contains(single)) check_descriptor(body[single]);
  }
  for (const char* list : {"layers", "manifests", "blobs"}) {
    if (!body.contains(list) || !body[list].is_array()) continue;
    for (const auto& entry : body[list]) check_descriptor(entry);
  }
}

void check_bob_manifest(const bob::oci::Manifest& manifest) {
  bob::artifact::BobManifest bob;
  try {
    bob = bob::artifact::parse_manifest(manifest);
  } catch (const bob::Error& e) {
    BOB_FUZZ_CHECK(e.code() == bob::Exit::trust, e.what());
    return;
  }
  BOB_FUZZ_CHECK(bob::oci::is_valid_digest(bob.subject.digest), describe(bob.subject));
  BOB_FUZZ_CHECK(!bob.layers.empty(), manifest.bytes);
  std::set<std::string> titles;
  for (const auto& layer : bob.layers) {
    BOB_FUZZ_CHECK(layer.media_type == bob::artifact::kLayerYaml ||
                       layer.media_type == bob::artifact::kLayerJson ||
                       layer.media_type == bob::artifact::kLayerArchive,
                   describe(layer));
    auto title = layer.annotations.find("org.opencontainers.image.title");
    BOB_FUZZ_CHECK(title != layer.annotations.end(), describe(layer));
    BOB_FUZZ_CHECK(titles.insert(title->second).second, title->second);
    // Titles become file names on pull: never a path, never '.' or '..'.
    BOB_FUZZ_CHECK(title->second.find_first_of(std::string("/\\\0", 3)) == std::string::npos &&
                       title->second != "." && title->second != ".." && !title->second.empty(),
                   title->second);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bob::fuzz::quiet_logs();
  bob::oci::Manifest manifest;
  manifest.bytes = std::string(bob::fuzz::as_text(data, size));
  manifest.digest = "sha256:" + std::string(64, '1');
  manifest.media_type = std::string(bob::oci::kOciManifest);

  (void)manifest.descriptor();  // never throws: a body it cannot read gives no artifactType
  nlohmann::json body;
  try {
    body = manifest.json();
  } catch (const bob::Error& e) {
    BOB_FUZZ_CHECK(e.code() == bob::Exit::registry, e.what());
    check_bob_manifest(manifest);
    return 0;
  }
  BOB_FUZZ_CHECK(body.is_object(), manifest.bytes);
  check_descriptors(body);
  check_bob_manifest(manifest);
  return 0;
}
