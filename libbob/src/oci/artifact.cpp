// Building and reading BoB manifests: no network here, so every rule can be unit-tested.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <set>

#include "bob/artifact.h"
#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/sign.h"
#include "../profile/yaml_stream.h"

namespace bob::artifact {
namespace {

namespace stdfs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxProfileBytes = 64u << 20;

std::string rejected(std::string_view check, std::string_view detail) {
  return "BoB rejected (" + std::string(check) + "): " + std::string(detail);
}

std::string rfc3339(std::time_t seconds, int millis) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buffer;
  if (millis >= 0) {
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%03d", millis);
    out += fraction;
  }
  return out + "Z";
}

// Millisecond precision, so that BoBs pushed within one second still order by time.
std::string created_now() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch) {
    char* end = nullptr;
    long long value = std::strtoll(epoch, &end, 10);
    if (end != nullptr && *end == '\0' && value >= 0) {
      return rfc3339(static_cast<std::time_t>(value), -1);
    }
    log::warn("ignoring SOURCE_DATE_EPOCH: not a number of seconds");
  }
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return rfc3339(static_cast<std::time_t>(ms / 1000), static_cast<int>(ms % 1000));
}

bool looks_like_rfc3339(const std::string& text) {
  // 2026-01-02T03:04:05[.fff]Z or with a ±hh:mm offset; enough to keep junk out.
  if (text.size() < 20 || text.size() > 40) return false;
  for (std::size_t i : {4u, 7u}) {
    if (text[i] != '-') return false;
  }
  return text[10] == 'T' && text[13] == ':' && text[16] == ':';
}

// What the profiles say about themselves, for the annotations. Best effort: a file that is not
// parseable YAML (a Helm template, say) is still pushed byte-exact, just without annotations.
struct ProfileFacts {
  std::set<std::string> kinds, workloads, containers;
};

void add_facts_from_document(const YAML::Node& doc, ProfileFacts& facts, int depth = 0) {
  if (!doc.IsMap() || depth > 2) return;
  const YAML::Node kind = doc["kind"];
  if (kind && kind.IsScalar()) {
    std::string k = kind.as<std::string>();
    if (k.size() > 4 && k.compare(k.size() - 4, 4, "List") == 0 && doc["items"] &&
        doc["items"].IsSequence()) {
      for (const auto& item : doc["items"]) add_facts_from_document(item, facts, depth + 1);
      return;
    }
    if (k != "ApplicationProfile" && k != "ContainerProfile") return;
    facts.kinds.insert(k);
  } else {
    return;
  }
  const YAML::Node metadata = doc["metadata"];
  if (metadata && metadata.IsMap()) {
    const YAML::Node labels = metadata["labels"];
    if (labels && labels.IsMap() && labels["kubescape.io/workload-name"] &&
        labels["kubescape.io/workload-name"].IsScalar()) {
      facts.workloads.insert(labels["kubescape.io/workload-name"].as<std::string>());
    } else if (metadata["name"] && metadata["name"].IsScalar()) {
      facts.workloads.insert(metadata["name"].as<std::string>());
    }
  }
  const YAML::Node spec = doc["spec"];
  if (!spec || !spec.IsMap()) return;
  for (const char* group : {"containers", "initContainers", "ephemeralContainers"}) {
    const YAML::Node list = spec[group];
    if (!list || !list.IsSequence()) continue;
    for (const auto& c : list) {
      if (c.IsMap() && c["name"] && c["name"].IsScalar()) {
        facts.containers.insert(c["name"].as<std::string>());
      }
    }
  }
}

void add_facts(const std::string& bytes, const std::string& origin, ProfileFacts& facts) {
  try {
    for (const auto& doc : profile::detail::load_all_yaml(bytes))
      add_facts_from_document(doc, facts);
  } catch (const YAML::Exception& e) {
    log::debug(origin + ": not parsed for annotations (" + std::string(e.what()) + ")");
  }
}

// "a,b,c", cut to the value limit with a count of what was left out.
std::string joined(const std::set<std::string>& values) {
  std::string out;
  std::size_t used = 0;
  for (const auto& v : values) {
    std::string next = out.empty() ? v : out + "," + v;
    std::string more = ",+" + std::to_string(values.size() - used) + " more";
    if (next.size() + more.size() > kMaxAnnotationValue) return out + more;
    out = std::move(next);
    ++used;
  }
  return out;
}

std::string media_type_for(std::string_view bytes) {
  auto first = std::find_if(bytes.begin(), bytes.end(),
                            [](char c) { return c != ' ' && c != '\t' && c != '\n' && c != '\r'; });
  return (first != bytes.end() && *first == '{') ? std::string(kLayerJson)
                                                 : std::string(kLayerYaml);
}

bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.size() <= 255 &&
         name.find('/') == std::string::npos && name.find('\\') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

void add_user_annotations(const std::vector<std::string>& pairs,
                          std::map<std::string, std::string>& annotations) {
  for (const auto& pair : pairs) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      fail(Exit::usage, "--annotation '" + pair + "' is not KEY=VALUE");
    }
    std::string key = pair.substr(0, eq);
    std::string value = pair.substr(eq + 1);
    if (key.rfind(kAnnotationPrefix, 0) == 0) {
      fail(Exit::usage, "--annotation key '" + key + "' uses bob's reserved prefix",
           "bob sets the dev.bob.* keys itself; use your own reverse-DNS prefix");
    }
    if (key == kAnnotationCreated && !looks_like_rfc3339(value)) {
      fail(Exit::usage, "--annotation " + key + " must be an RFC 3339 time");
    }
    if (key.find_first_of(" \t\n\"") != std::string::npos) {
      fail(Exit::usage, "--annotation key '" + key + "' contains white space or quotes");
    }
    if (value.size() > kMaxAnnotationValue) {
      fail(Exit::usage, "--annotation " + key + " is longer than " +
                            std::to_string(kMaxAnnotationValue) + " bytes",
           "registries copy annotations into every referrers listing; put data in a layer");
    }
    annotations[key] = value;
  }
}

}  // namespace

std::string to_string(Variant variant) {
  return variant == Variant::specific ? "specific" : "generalized";
}

Variant parse_variant(std::string_view text) {
  if (text == "specific") return Variant::specific;
  if (text == "generalized") return Variant::generalized;
  fail(Exit::usage, "unknown variant '" + std::string(text) + "'",
       "use specific (installer verification) or generalized (runtime detection)");
}

Content collect(const std::vector<std::string>& inputs, const PackOptions& options) {
  if (inputs.empty()) fail(Exit::usage, "no profile given", "name profile files or one folder");
  Content content;
  ProfileFacts facts;
  std::error_code ec;
  const bool folder = inputs.size() == 1 && stdfs::is_directory(inputs[0], ec);
  if (folder) {
    stdfs::path dir = inputs[0];
    stdfs::path absolute = stdfs::absolute(dir).lexically_normal();
    if (!absolute.has_filename()) absolute = absolute.parent_path();
    std::string name = absolute.filename().string();
    if (name.empty()) name = "profiles";
    Layer layer{std::string(kLayerArchive), name + ".tar.gz", pack_directory(dir), ""};
    layer.digest = sign::digest_of(layer.bytes);
    for (stdfs::recursive_directory_iterator it(dir), end; it != end; ++it) {
      if (!it->is_regular_file()) continue;
      auto ext = it->path().extension().string();
      if (ext == ".yaml" || ext == ".yml" || ext == ".json") {
        add_facts(fs::read_file(it->path().string(), kMaxProfileBytes), it->path().string(),
                  facts);
      }
    }
    content.layers.push_back(std::move(layer));
  } else {
    std::set<std::string> titles;
    for (const auto& input : inputs) {
      if (stdfs::is_directory(input, ec)) {
        fail(Exit::usage, input + ": a folder can only be pushed on its own",
             "push either profile files or exactly one folder");
      }
      Layer layer;
      layer.bytes = fs::read_file(input, kMaxProfileBytes);
      if (layer.bytes.empty()) fail(Exit::usage, input + ": is empty");
      layer.title = stdfs::path(input).filename().string();
      if (!is_plain_file_name(layer.title)) fail(Exit::usage, input + ": has no file name");
      if (!titles.insert(layer.title).second) {
        fail(Exit::usage, "two inputs are named '" + layer.title + "'",
             "layer titles must be unique; rename one of the files");
      }
      layer.media_type = media_type_for(layer.bytes);
      layer.digest = sign::digest_of(layer.bytes);
      add_facts(layer.bytes, input, facts);
      content.layers.push_back(std::move(layer));
    }
  }

  auto& a = content.annotations;
  add_user_annotations(options.annotations, a);
  if (!a.count(std::string(kAnnotationCreated))) {
    a[std::string(kAnnotationCreated)] =
        options.created.empty() ? created_now() : options.created;
  }
  a[std::string(kAnnotationVariant)] = to_string(options.variant);
  if (!facts.kinds.empty()) a[std::string(kAnnotationKind)] = joined(facts.kinds);
  if (!facts.workloads.empty()) a[std::string(kAnnotationWorkload)] = joined(facts.workloads);
  if (!facts.containers.empty()) a[std::string(kAnnotationContainers)] = joined(facts.containers);
  if (!options.platform.empty()) a[std::string(kAnnotationPlatform)] = options.platform;

  std::size_t total = 0;
  for (const auto& [k, v] : a) total += k.size() + v.size();
  if (total > kMaxAnnotationBytes) {
    fail(Exit::usage, "the annotations add up to " + std::to_string(total) + " bytes (limit " +
                          std::to_string(kMaxAnnotationBytes) + ")",
         "registries copy annotations into every referrers listing; put data in a layer");
  }
  return content;
}

std::string manifest_bytes(const Content& content, const oci::Descriptor& subject) {
  Json manifest = Json::object();
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = std::string(oci::kOciManifest);
  manifest["artifactType"] = std::string(kArtifactType);
  manifest["config"] = {{"mediaType", std::string(oci::kEmptyJson)},
                        {"digest", std::string(oci::kEmptyJsonDigest)},
                        {"size", 2}};
  Json layers = Json::array();
  for (const auto& layer : content.layers) {
    layers.push_back({{"mediaType", layer.media_type},
                      {"digest", layer.digest},
                      {"size", layer.bytes.size()},
                      {"annotations", {{std::string(kAnnotationTitle), layer.title}}}});
  }
  manifest["layers"] = std::move(layers);
  manifest["subject"] = {{"mediaType", subject.media_type},
                         {"digest", subject.digest},
                         {"size", subject.size}};
  Json annotations = Json::object();
  for (const auto& [k, v] : content.annotations) annotations[k] = v;
  manifest["annotations"] = std::move(annotations);
  return manifest.dump();
}

// A string member or "" (json::value throws type_error when the member is not a string, and a
// registry's manifest is untrusted; found by fuzz_manifest).
static std::string string_field(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

BobManifest parse_manifest(const oci::Manifest& manifest) {
  BobManifest bob;
  bob.digest = manifest.digest;
  bob.size = static_cast<std::int64_t>(manifest.bytes.size());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(manifest.bytes);
  } catch (const nlohmann::json::exception&) {
    fail(Exit::trust, rejected("manifest", manifest.digest + " is not JSON"));
  }
  if (!j.is_object()) fail(Exit::trust, rejected("manifest", manifest.digest + " is not an object"));
  if (manifest.media_type != oci::kOciManifest ||
      string_field(j, "mediaType") != oci::kOciManifest) {
    fail(Exit::trust, rejected("manifest", manifest.digest + " is not an OCI image manifest"));
  }
  std::string artifact_type = string_field(j, "artifactType");
  if (artifact_type != kArtifactType) {
    fail(Exit::trust, rejected("artifactType", manifest.digest + " has artifactType '" +
                                                   artifact_type + "', expected '" +
                                                   std::string(kArtifactType) + "'"));
  }
  try {
    auto config = oci::Descriptor::from_json(j.at("config"));
    if (config.media_type != oci::kEmptyJson || config.digest != oci::kEmptyJsonDigest ||
        config.size != 2) {
      fail(Exit::trust, rejected("manifest", "the config is not the empty {} descriptor"));
    }
    if (!j.contains("subject")) {
      fail(Exit::trust, rejected("subject", manifest.digest + " names no subject image"));
    }
    bob.subject = oci::Descriptor::from_json(j.at("subject"));
    if (!j.contains("layers") || !j["layers"].is_array() || j["layers"].empty()) {
      fail(Exit::trust, rejected("layer", manifest.digest + " has no layers"));
    }
    std::set<std::string> titles;
    for (const auto& entry : j["layers"]) {
      auto layer = oci::Descriptor::from_json(entry);
      if (layer.media_type != kLayerYaml && layer.media_type != kLayerJson &&
          layer.media_type != kLayerArchive) {
        fail(Exit::trust, rejected("layer", "unexpected layer media type '" + layer.media_type +
                                                "'"));
      }
      auto title = layer.annotations.find(std::string(kAnnotationTitle));
      if (title == layer.annotations.end() || !is_plain_file_name(title->second)) {
        fail(Exit::trust, rejected("layer", "layer " + layer.digest +
                                                " has no title, or one that is not a plain file "
                                                "name"));
      }
      if (!titles.insert(title->second).second) {
        fail(Exit::trust, rejected("layer", "two layers are titled '" + title->second + "'"));
      }
      if (layer.size < 0) fail(Exit::trust, rejected("layer", "negative layer size"));
      bob.layers.push_back(std::move(layer));
    }
    for (const auto& layer : bob.layers) {
      if (layer.media_type == kLayerArchive && bob.layers.size() != 1) {
        fail(Exit::trust, rejected("layer", "an archive layer must be the only layer"));
      }
    }
  } catch (const Error& e) {
    if (e.code() == Exit::trust) throw;
    fail(Exit::trust, rejected("manifest", e.what()));
  } catch (const nlohmann::json::exception& e) {
    fail(Exit::trust, rejected("manifest", e.what()));
  }
  if (j.contains("annotations") && j["annotations"].is_object()) {
    for (const auto& [k, v] : j["annotations"].items()) {
      if (v.is_string()) bob.annotations[k] = v.get<std::string>();
    }
  }
  auto find = [&](std::string_view key) {
    auto it = bob.annotations.find(std::string(key));
    return it == bob.annotations.end() ? std::string() : it->second;
  };
  bob.variant = find(kAnnotationVariant);
  bob.created = find(kAnnotationCreated);
  return bob;
}

}  // namespace bob::artifact
