// From a specific profile to a generalized one, and from a profile to the formats enforcers read.
//
// generalize() rewrites volatile identifiers as whole `⋯` segments and collapses fan-out the way
// Kubescape storage's dynamic path detector does (profile-format.md §7.4), then checks with the
// matchers of bob/match.h that every behaviour the input allowed is still allowed. export_*()
// render a profile as a seccomp profile, a NetworkPolicy or a Kubescape user-defined profile.
// See docs/generalize.md.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bob/profile.h"

namespace bob::generalize {

// ---- collapse thresholds (Kubescape CollapseConfiguration) ----------------------------------

struct CollapseRule {
  std::string prefix;
  int threshold = 50;
};

struct CollapseConfig {
  int open_threshold = 50;       // fallback for opens (storage default)
  int endpoint_threshold = 100;  // fallback for endpoint paths (storage default)
  // Longest prefix at a path boundary wins; on equal length the first rule wins.
  std::vector<CollapseRule> rules = {
      {"/etc", 100}, {"/etc/apache2", 50}, {"/opt", 50}, {"/var/run", 50}, {"/app", 50}};

  int threshold_for(std::string_view path_prefix, bool endpoints = false) const;
};

// Reads a CollapseConfiguration object (YAML or JSON). Missing fields keep the defaults above;
// `collapseConfigs`, when present, replaces the default rules. Throws Error(usage) on bad input.
CollapseConfig load_collapse_config(const std::string& path);
CollapseConfig parse_collapse_config(const std::string& text, const std::string& source_name);

// ---- network portability (bob's own small format; see docs/generalize.md) --------------------

struct NetworkConfig {
  std::vector<std::string> cidrs;         // an address inside one of these becomes the CIDR
  std::vector<std::string> dns_patterns;  // a name one of these matches becomes the pattern
};
NetworkConfig load_network_config(const std::string& path);
NetworkConfig parse_network_config(const std::string& text, const std::string& source_name);

// ---- volatile identifiers --------------------------------------------------------------------

// `⋯` when the whole segment is a volatile identifier (UUID, hex id of 32+ digits, pod UID or
// kubepods pod slice, container-runtime scope unit, projected-volume timestamp directory, all
// digits, a mkstemp-style random name such as `4GusJE` or `apache2.pid.C2I54g`, mktemp's default
// `tmp.Qx3ZpL0aB7`); otherwise the segment unchanged. Never returns a partial-segment pattern.
std::string normalize_volatile_segment(std::string_view segment);
// Why a segment is volatile ("uuid", "numeric", ...), or "" when it is not.
std::string volatile_reason(std::string_view segment);
// Applies normalize_volatile_segment to every segment, and writes `/proc/self` and
// `/proc/thread-self` as `/proc/⋯` too (node-agent's form of per-process paths).
std::string normalize_volatile_path(std::string_view path);
// Kubescape matches a partial-segment wildcard (`*.conf`, `⋯.scope`, `**`) literally, which is
// never what its author meant. This makes each one whole: `**` becomes `*`, any other becomes `⋯`.
std::string repair_partial_wildcards(std::string_view path);

// ---- generalize ------------------------------------------------------------------------------

struct Options {
  CollapseConfig collapse;
  bool volatile_segments = true;  // rewrite volatile identifiers in opens and endpoint paths
  bool collapse_paths = true;     // run the dynamic path detector over opens and endpoints
  bool exec_args = false;         // generalize exec args with `⋯` and `⋯⋯`
  int exec_args_threshold = 3;    // more distinct argvs than this for one path -> prefix + `⋯⋯`
  NetworkConfig network;          // empty: peers and Host headers are left alone
};

// One line of the --explain report.
struct Change {
  std::string container;
  std::string field;  // opens, endpoints, execs, egress, ingress
  std::vector<std::string> from;
  std::string to;
  std::string reason;
};

struct Result {
  profile::Profile profile;
  std::vector<Change> changes;
  // Inputs the collapser alone would have lost and that were re-added (see docs); normally empty.
  std::vector<std::string> restored;
};

Result generalize(const profile::Profile& input, const Options& options);

// Does `output` allow everything `input` allows, under 2026 semantics? Every input open must be
// matched by an output open of the same container with its flags a subset; every exec by path
// and args; every endpoint (path, methods, direction); every syscall, capability; every peer
// address and DNS name. Returns one sentence per behaviour that is no longer allowed.
std::vector<std::string> lost_behaviour(const profile::Profile& input,
                                        const profile::Profile& output);

// ---- export ----------------------------------------------------------------------------------

struct SeccompOptions {
  bool log = false;       // defaultAction SCMP_ACT_LOG instead of SCMP_ACT_ERRNO
  std::string container;  // empty: union of all containers
};
// OCI / Kubernetes seccomp JSON: an allow-list of the profile's syscalls for its architectures.
profile::Json export_seccomp(const profile::Profile& profile, const SeccompOptions& options);
// "SCMP_ARCH_X86_64" for "amd64" etc.; empty for an unknown name.
std::string seccomp_architecture(std::string_view kubernetes_arch);

struct NetworkPolicyOptions {
  std::string name;            // default: <profile name>-bob
  std::string namespace_name;  // default: the profile's namespace
  std::string container;       // empty: all containers
  // Pod selector; when empty, a ContainerProfile's own selector is used, and an
  // ApplicationProfile (which has none) is refused rather than selecting every pod.
  std::map<std::string, std::string> match_labels;
};
// A Kubernetes NetworkPolicy (networking.k8s.io/v1) allowing the profile's ingress and egress.
// Returns the object and, in `notes`, what a NetworkPolicy cannot express (DNS names, paths).
profile::Json export_network_policy(const profile::Profile& profile,
                                    const NetworkPolicyOptions& options,
                                    std::vector<std::string>& notes);
// YAML text for a JSON value (for the policy and the seccomp profile alike).
std::string to_yaml(const profile::Json& value);

struct KubescapeOptions {
  std::string name;  // required: the profile name the pod label will point at
  std::string namespace_name = "default";
  std::string workload_name;  // default: name
  std::string workload_kind = "Deployment";
};
// The profile as a Kubescape user-defined profile, ready for `kubectl apply`.
profile::Profile export_kubescape(const profile::Profile& profile, const KubescapeOptions& options);
inline constexpr const char* kUserDefinedProfileLabel = "kubescape.io/user-defined-profile";

}  // namespace bob::generalize
