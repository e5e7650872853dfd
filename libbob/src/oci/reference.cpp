// References, digests, descriptors: the names the distribution spec defines (oci-registry.md §1).
#include <regex>

#include "oci_internal.h"

namespace bob::oci {
namespace {

// Grammar from the distribution spec; std::regex is fast enough for names this short.
const std::regex& repository_regex() {
  static const std::regex re(
      "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
  return re;
}
const std::regex& tag_regex() {
  static const std::regex re("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
  return re;
}
// host, IPv4, [IPv6], with an optional port.
const std::regex& registry_regex() {
  static const std::regex re(
      "(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*"
      "[a-zA-Z0-9]))*|\\[[0-9a-fA-F:.]+\\])(:[0-9]{1,5})?");
  return re;
}

bool all_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool looks_like_registry(std::string_view first) {
  return first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
         first == "localhost" || (!first.empty() && first.front() == '[');
}

}  // namespace

bool is_valid_repository(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  return std::regex_match(name.begin(), name.end(), repository_regex());
}

bool is_valid_tag(std::string_view tag) {
  return !tag.empty() && std::regex_match(tag.begin(), tag.end(), tag_regex());
}

bool is_valid_digest(std::string_view digest) {
  auto colon = digest.find(':');
  if (colon == std::string_view::npos) return false;
  auto algorithm = digest.substr(0, colon);
  auto encoded = digest.substr(colon + 1);
  if (algorithm == "sha256") return encoded.size() == 64 && all_lower_hex(encoded);
  if (algorithm == "sha512") return encoded.size() == 128 && all_lower_hex(encoded);
  return false;
}

void require_valid_digest(std::string_view digest, std::string_view what) {
  if (is_valid_digest(digest)) return;
  fail(Exit::usage,
       std::string(what) + " '" + std::string(digest.substr(0, 200)) + "' is not a valid digest",
       "expected sha256: followed by 64 lower-case hex digits");
}

std::string fallback_tag(std::string_view digest) {
  require_valid_digest(digest, "subject digest");
  std::string tag(digest);
  tag[tag.find(':')] = '-';
  // v1.1.1 truncates to 64 characters of the reference part; the algorithm part stays whole.
  auto dash = tag.find('-');
  if (tag.size() - dash - 1 > 64) tag.resize(dash + 1 + 64);
  return tag;
}

Reference Reference::parse(std::string_view text) {
  const std::string original(text);
  auto bad = [&](const std::string& why) -> Reference {
    fail(Exit::usage, "invalid reference '" + original.substr(0, 300) + "': " + why,
         "expected [registry[:port]/]repository[:tag][@sha256:<64 hex>]");
  };
  if (text.empty()) return bad("it is empty");
  if (text.size() > 1024) return bad("it is too long");
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return bad("it contains whitespace");
  }
  Reference ref;
  std::string rest(text);
  if (rest.rfind("oci://", 0) == 0) rest.erase(0, 6);
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    if (!is_valid_digest(ref.digest)) {
      return bad("digest '" + ref.digest.substr(0, 140) +
                 "' must be sha256: with 64 lower-case hex digits (or sha512: with 128)");
    }
  }
  // The tag is after the last ':' that follows the last '/' (a ':' before it is a port).
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!is_valid_tag(ref.tag)) {
      return bad("tag '" + ref.tag.substr(0, 140) +
                 "' must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
    }
  }
  auto first_slash = rest.find('/');
  std::string first = rest.substr(0, first_slash);
  if (first_slash != std::string::npos && looks_like_registry(first)) {
    ref.registry = first;
    ref.repository = rest.substr(first_slash + 1);
    if (!std::regex_match(ref.registry, registry_regex())) {
      return bad("registry '" + ref.registry + "' is not a valid host[:port]");
    }
  } else {
    ref.registry = "docker.io";
    ref.repository = rest;
  }
  // Docker Hub spellings all mean the same registry, and single names live under library/.
  std::string lower_registry = ref.registry;
  for (auto& c : lower_registry) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower_registry == "index.docker.io" || lower_registry == "registry-1.docker.io" ||
      lower_registry == "docker.io") {
    ref.registry = "docker.io";
    if (ref.repository.find('/') == std::string::npos) ref.repository = "library/" + ref.repository;
  } else {
    ref.registry = lower_registry;
  }
  if (ref.repository.empty()) return bad("the repository name is missing");
  if (!is_valid_repository(ref.repository)) {
    return bad("repository '" + ref.repository.substr(0, 200) +
               "' must be lower-case path components of [a-z0-9] separated by . _ __ or -");
  }
  if (ref.registry.size() + 1 + ref.repository.size() > 255) {
    return bad("registry/repository is longer than 255 characters");
  }
  return ref;
}

std::string Reference::endpoint() const {
  return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

std::string Reference::repository_name() const { return registry + "/" + repository; }

std::string Reference::str() const {
  std::string out = repository_name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Reference Reference::with_digest(std::string_view d) const {
  Reference copy = *this;
  copy.tag.clear();
  copy.digest = d;
  return copy;
}

Reference Reference::with_tag(std::string_view t) const {
  Reference copy = *this;
  copy.digest.clear();
  copy.tag = t;
  return copy;
}

std::string Reference::manifest_reference() const {
  if (!digest.empty()) return digest;
  if (!tag.empty()) return tag;
  return "latest";
}

// ---- Descriptors -----------------------------------------------------------------------------

nlohmann::json Descriptor::to_json() const {
  nlohmann::json j = {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
  if (!artifact_type.empty()) j["artifactType"] = artifact_type;
  if (!annotations.empty()) j["annotations"] = annotations;
  // Any platform field read by from_json is written back, or a variant alone would be lost.
  if (platform_os || platform_architecture || platform_variant) {
    nlohmann::json p;
    if (platform_architecture) p["architecture"] = *platform_architecture;
    if (platform_os) p["os"] = *platform_os;
    if (platform_variant) p["variant"] = *platform_variant;
    j["platform"] = p;
  }
  return j;
}

Descriptor Descriptor::from_json(const nlohmann::json& j) {
  auto bad = [](const std::string& why) -> Descriptor {
    fail(Exit::registry, "malformed descriptor from the registry: " + why);
  };
  if (!j.is_object()) return bad("not a JSON object");
  Descriptor d;
  if (!j.contains("mediaType") || !j["mediaType"].is_string()) return bad("mediaType missing");
  if (!j.contains("digest") || !j["digest"].is_string()) return bad("digest missing");
  if (!j.contains("size") || !j["size"].is_number_integer()) return bad("size missing");
  d.media_type = j["mediaType"].get<std::string>();
  d.digest = j["digest"].get<std::string>();
  d.size = j["size"].get<std::int64_t>();
  if (!is_valid_digest(d.digest)) return bad("digest '" + d.digest.substr(0, 140) + "' invalid");
  if (d.size < 0) return bad("negative size");
  if (j.contains("artifactType") && j["artifactType"].is_string()) {
    d.artifact_type = j["artifactType"].get<std::string>();
  }
  if (j.contains("annotations") && j["annotations"].is_object()) {
    for (const auto& [key, value] : j["annotations"].items()) {
      if (value.is_string()) d.annotations[key] = value.get<std::string>();
    }
  }
  if (j.contains("platform") && j["platform"].is_object()) {
    const auto& p = j["platform"];
    if (p.contains("os") && p["os"].is_string()) d.platform_os = p["os"].get<std::string>();
    if (p.contains("architecture") && p["architecture"].is_string()) {
      d.platform_architecture = p["architecture"].get<std::string>();
    }
    if (p.contains("variant") && p["variant"].is_string()) {
      d.platform_variant = p["variant"].get<std::string>();
    }
  }
  return d;
}

nlohmann::json Manifest::json() const {
  auto parsed = nlohmann::json::parse(bytes, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    fail(Exit::registry, "manifest " + digest + " is not a JSON object");
  }
  return parsed;
}

Descriptor Manifest::descriptor() const {
  Descriptor d;
  d.media_type = media_type;
  d.digest = digest;
  d.size = static_cast<std::int64_t>(bytes.size());
  auto parsed = nlohmann::json::parse(bytes, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("artifactType") &&
      parsed["artifactType"].is_string()) {
    d.artifact_type = parsed["artifactType"].get<std::string>();
  }
  return d;
}

}  // namespace bob::oci
