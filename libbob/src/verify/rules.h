// The Kubescape rules verify-install reports, with node-agent's ids, names and severities, and
// bob's own findings that have no Kubescape rule (installer failure, unused entries, tracing).
#pragma once

#include <string>
#include <vector>

namespace bob::verify {

struct RuleInfo {
  const char* id;
  const char* name;       // node-agent's alert name (2025 Go engine)
  const char* name_2026;  // the 2026 rules CR name, for the docs and SARIF descriptions
  int severity;
  const char* kind;       // what it is about: exec, open, syscall, ...
  int profile_type;       // profileMetadata.type: 0 ApplicationProfile, 1 NetworkNeighborhood
};

inline const std::vector<RuleInfo>& kubescape_rules() {
  static const std::vector<RuleInfo> rules = {
      {"R0001", "Unexpected process launched", "Unexpected process launched", 5, "exec", 0},
      {"R0040", "Unexpected process arguments", "Unexpected process arguments", 1, "exec", 0},
      {"R0002", "Unexpected file access", "Files Access Anomalies in container", 1, "open", 0},
      {"R0003", "Unexpected system call", "Syscalls Anomalies in container", 1, "syscall", 0},
      {"R0004", "Unexpected capability used", "Linux Capabilities Anomalies in container", 5,
       "capability", 0},
      {"R0005", "Unexpected domain request", "DNS Anomalies in container", 5, "dns", 1},
      {"R0006", "Unexpected Service Account Token Access",
       "Unexpected service account token access", 8, "open", 0},
      {"R0011", "Unexpected Egress Network Traffic", "Unexpected Egress Network Traffic", 5,
       "network", 1},
      {"R0012", "Unexpected Ingress Network Traffic", "Unexpected Ingress Network Traffic", 5,
       "network", 1},
  };
  return rules;
}

inline const RuleInfo& rule_info(const std::string& id) {
  for (const auto& rule : kubescape_rules()) {
    if (id == rule.id) return rule;
  }
  return kubescape_rules().front();
}

// bob's own finding ids (not Kubescape rules).
inline constexpr const char* kInstallerFailedId = "BOB-INSTALLER";
inline constexpr const char* kUnusedEntryId = "BOB-UNUSED";
inline constexpr const char* kInconclusiveId = "BOB-INCONCLUSIVE";

}  // namespace bob::verify
