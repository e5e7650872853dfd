// verify-install: compare what a traced installer did with the profile its vendor published, and
// report each difference the way Kubescape's node-agent would alert on it.
//
// The comparator is pure (an Observation and a profile container in, findings out), so every rule
// is tested without BPF. Running the installer under the tracer is a thin layer on top
// (verify_install). See docs/verify-install.md for the semantics chosen where the 2025 and 2026
// Kubescape engines differ.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bob/error.h"
#include "bob/observation.h"
#include "bob/profile.h"

namespace bob::verify {

using Json = profile::Json;

// Annotation in which `bob record` notes the vendor's roots: a JSON object whose keys are root
// names (home, cwd, tmp, prefix) and whose values are absolute paths.
inline constexpr const char* kRootsAnnotation = "bob.dev/roots";

// One Kubescape-style alert: a behaviour of the run that the profile does not allow.
struct Alert {
  std::string rule_id;     // R0001, R0002, ...
  std::string name;        // the alert name node-agent prints as `msg`
  int severity = 0;        // node-agent's scale: 0, 1, 5, 8, 10
  std::string message;     // node-agent's message text for this rule
  Json arguments;          // the rule's `arguments` object, same keys as node-agent
  Json process_tree;       // processTree: the installer root down to the process, childrenMap
  int pid = 0;             // infectedPID
  std::string unique_key;  // what node-agent hashes into uniqueID
  std::size_t occurrences = 1;  // identical events folded into this alert
  std::string detail;      // bob's explanation (e.g. the path after root mapping)
};

// A profile entry the run never exercised.
struct UnusedEntry {
  std::string rule_id;  // the rule that entry allows behaviour for
  std::string kind;     // exec, open, syscall, capability, endpoint, egress, ingress
  std::string entry;    // the entry as written in the profile
};

struct Options {
  // Unused profile entries fail verification instead of being informational.
  bool require_complete = false;
};

enum class Verdict { match, deviations, inconclusive };

struct Result {
  std::vector<Alert> alerts;        // deviations: each one fails verification
  std::vector<Alert> tolerated;     // would alert, but a documented tolerance applies
  std::vector<UnusedEntry> unused;  // failures with require_complete, else informational
  std::vector<std::string> inconclusive;  // reasons the run cannot be judged (fail closed)
  std::vector<std::string> notes;         // informational lines for the human summary
  int installer_exit_status = 0;
  bool installer_failed = false;
  bool require_complete = false;

  Verdict verdict() const;
  Exit exit_code() const;
};

// Compares one traced run with one container of a profile.
Result compare(const trace::Observation& observation, const profile::Profile& profile,
               const profile::Container& container, const Options& options = {});

// The container verify-install checks: the one named `name`, or the only one when `name` is empty.
// Throws Error(usage) naming the containers that exist when the choice is ambiguous or wrong.
const profile::Container& select_container(const profile::Profile& profile,
                                           const std::string& name);

// Roots: `vendor_roots` reads kRootsAnnotation (Error(usage) if malformed; empty if absent).
// A RootMap rewrites user paths onto the vendor's, longest user root first, whole segments only.
class RootMap {
 public:
  RootMap() = default;
  RootMap(const std::map<std::string, std::string>& user,
          const std::map<std::string, std::string>& vendor);
  std::string path(std::string_view path) const;  // a path, or "" unchanged
  std::string arg(std::string_view arg) const;    // an argv entry: a path, or --opt=PATH
  bool empty() const { return pairs_.empty(); }
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;  // user root -> vendor root
};
std::map<std::string, std::string> vendor_roots(const profile::Profile& profile);

// What the report says about where the result came from.
struct ReportInfo {
  std::vector<std::string> command;
  std::string profile_source;  // file path or image reference
  std::string profile_name;
  std::string container_name;
  std::string profile_status;      // kubescape.io/status annotation, if any
  std::string profile_completion;  // kubescape.io/completion annotation, if any
};

// Report formats: "text", "json", "junit", "sarif". Throws Error(usage) for any other name.
std::string render(const Result& result, const ReportInfo& info, std::string_view format);
// A few lines for stderr: the verdict, counts per rule, the first deviations.
std::string summary(const Result& result, const ReportInfo& info);

// Running an installer under the tracer and comparing.
struct RunRequest {
  std::vector<std::string> command;
  int timeout_seconds = 0;  // 0: no limit. On expiry the whole tree is killed: inconclusive
  std::string install_prefix;  // the user's install prefix, mapped onto the vendor's
  Options options;
};
// Never throws for what the run showed (deviations, tracer loss, timeouts end up in the
// Result); throws Error for what prevents running at all.
Result verify_install(const profile::Profile& profile, const profile::Container& container,
                      const RunRequest& request);

// The profiles of an image's `specific` BoB, pulled and signature-verified first (fail closed:
// Error(trust) or Error(registry), nothing returned, when any check fails).
struct ImageRequest {
  std::string image;  // REF@DIGEST
  std::vector<std::string> key_paths;
  std::string platform;
  std::vector<std::string> insecure_registries;
  std::vector<std::string> tls_registries;  // https even on loopback (ClientOptions)
  std::string ca_file;
};
std::vector<profile::Profile> pull_profiles(const ImageRequest& request);

}  // namespace bob::verify
