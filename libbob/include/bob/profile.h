// The profile model: Kubescape ApplicationProfile and ContainerProfile, as bob reads and writes
// them (see docs/profile-model.md and ../shared/reference/profile-format.md).
//
// Loading keeps everything: fields bob does not model are carried in `extra` members and written
// back, so load -> save -> load is the identity. Saving is deterministic: the same profile always
// gives the same bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bob::profile {

using Json = nlohmann::ordered_json;

inline constexpr const char* kApiVersion = "spdx.softwarecomposition.kubescape.io/v1beta1";
inline constexpr const char* kDynamicSegment = "\xE2\x8B\xAF";        // ⋯ one segment or arg
inline constexpr const char* kDynamicArgs = "\xE2\x8B\xAF\xE2\x8B\xAF";  // ⋯⋯ any run of args

// Whether `text` is well-formed UTF-8, as every string in a profile must be (a Kubernetes object
// is UTF-8 JSON or YAML, neither of which can hold other bytes).
bool is_utf8(std::string_view text);
// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

enum class Kind { application_profile, container_profile };
enum class Group { containers, init_containers, ephemeral_containers };

struct ExecCall {
  std::string path;
  std::vector<std::string> args;  // full argv including argv[0]; may hold ⋯ and ⋯⋯
  std::vector<std::string> envs;
  std::optional<bool> args_required;  // 2026 argsRequired; unset means "not written"
  Json extra = Json::object();
};

struct OpenCall {
  std::string path;
  std::vector<std::string> flags;  // O_* names
  Json extra = Json::object();
};

struct Endpoint {
  std::string endpoint;  // ":" + port + path, e.g. ":8080/ping.php"
  std::vector<std::string> methods;
  bool internal = false;
  std::string direction;  // "inbound" or "outbound"
  Json headers = Json::object();
  Json extra = Json::object();
};

struct RulePolicy {
  std::vector<std::string> process_allowed;
  bool container_allowed = false;
  Json extra = Json::object();
};

struct NetworkPort {
  std::string name;      // "<PROTO>-<port>"
  std::string protocol;  // TCP, UDP, SCTP
  std::optional<int> port;
};

struct NetworkNeighbor {
  std::string identifier;
  std::string type;  // internal or external
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<NetworkPort> ports;
  Json extra = Json::object();  // dns, ipAddress, podSelector, namespaceSelector, unknown keys
};

struct Container {
  std::string name;  // empty for a ContainerProfile, whose spec is one container
  Group group = Group::containers;
  std::vector<std::string> capabilities;  // without CAP_ prefix
  std::vector<ExecCall> execs;
  std::vector<OpenCall> opens;
  std::vector<std::string> syscalls;
  std::vector<Endpoint> endpoints;
  std::string image_id;
  std::string image_tag;
  // Key presence is significant (a present {} arms a rule under 2025 semantics).
  std::map<std::string, RulePolicy> rule_policies;
  std::vector<NetworkNeighbor> ingress;  // ContainerProfile only
  std::vector<NetworkNeighbor> egress;   // ContainerProfile only
  Json extra = Json::object();  // seccompProfile, identifiedCallStacks, unknown keys
};

struct Profile {
  Kind kind = Kind::application_profile;
  std::string api_version = kApiVersion;
  Json metadata = Json::object();
  std::vector<std::string> architectures;
  std::vector<Container> containers;  // every group, in document order
  Json spec_extra = Json::object();   // selector (ContainerProfile), unknown spec keys
  Json extra = Json::object();        // status and unknown top-level keys

  std::string name() const;
  std::string namespace_name() const;
  // The container with this name, searched in containers, initContainers, ephemeralContainers.
  const Container* find_container(const std::string& name) const;
};

// Loads every profile in a file: YAML or JSON (detected by content), multi-document YAML and
// *List kinds included. Throws Error(usage) with file:line:column on malformed input.
std::vector<Profile> load_file(const std::string& path);
std::vector<Profile> load_string(const std::string& text, const std::string& source_name);

enum class Format { yaml, json };
// Canonical, deterministic serialisation (see docs/profile-model.md for the rules).
std::string to_string(const Profile& profile, Format format);
std::string to_string(const std::vector<Profile>& profiles, Format format);
// Receives serialised text in pieces, in order.
using TextSink = std::function<void(std::string_view)>;
// The same text as to_string, handed to `sink` in pieces of about 64 KiB: a recorded profile can
// be megabytes, and bob record writes it without ever holding it whole.
void write(const Profile& profile, Format format, const TextSink& sink);
Json to_json(const Profile& profile);
Profile from_json(const Json& object, const std::string& source_name);

// Drops server bookkeeping: creationTimestamp, resourceVersion, uid, generation, managedFields,
// kubescape.io/resource-size, kubescape.io/workload-resource-version, last-applied-configuration.
void strip_volatile(Profile& profile);

// Sorts and de-duplicates the set-like lists (architectures, capabilities, syscalls,
// processAllowed) in place, as Kubescape storage does; to_json writes those lists in that
// order without changing (or copying) the profile.
void canonicalize(Profile& profile);

// "containers", "initContainers" or "ephemeralContainers": the spec key of a container group.
const char* group_name(Group group);

}  // namespace bob::profile
