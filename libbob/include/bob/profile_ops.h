// What bob does with whole profiles: the attack-surface summary, a semantic diff and a merge.
// Semantics are described in docs/profile-model.md.
#pragma once

#include <string>
#include <vector>

#include "bob/profile.h"

namespace bob::profile {

// --- summary ---------------------------------------------------------------------------------

struct SummaryRow {
  std::string component;  // the profile name, shortened (see short_component_name)
  std::string container;
  std::string type;  // container, initContainer or ephemeralContainer
  std::vector<std::string> capabilities;
  std::size_t endpoints = 0;  // the "Net" column
  std::size_t opens = 0;
  std::size_t execs = 0;
  std::size_t syscalls = 0;
};

// "statefulset-bob-redis-master-668c4559b4" -> "rs-bob-redis-master", as the prototype's
// attack-surface script named components (it abbreviated every *set owner kind to rs).
std::string short_component_name(const std::string& profile_name);
std::vector<SummaryRow> summarize(const Profile& profile);
std::string summary_markdown(const std::vector<SummaryRow>& rows);
std::string summary_csv(const std::vector<SummaryRow>& rows);
Json summary_json(const std::vector<SummaryRow>& rows);

// --- diff ------------------------------------------------------------------------------------

struct Difference {
  std::string container;  // "" for profile-level differences (kind, architectures)
  std::string group;      // containers, initContainers or ephemeralContainers
  std::string field;      // container, capabilities, syscalls, execs, opens, endpoints, ...
  char change = '~';      // '+' only in B, '-' only in A, '~' in both but different
  std::string item;       // the entry, e.g. the open path
  std::string detail;     // for '~': what differs, e.g. "flags +O_CLOEXEC"
};

// Behaviour differences from a to b, per container (matched by group and name). Metadata is
// not compared, so volatile server fields never show up.
std::vector<Difference> diff(const Profile& a, const Profile& b);
std::string diff_text(const std::vector<Difference>& differences);
Json diff_json(const std::vector<Difference>& differences);

// --- merge -----------------------------------------------------------------------------------

// The superset of the profiles: containers matched by group and name, sets unioned, open flags
// unioned per path, rule policies merged (processAllowed unioned, containerAllowed OR-ed).
// Metadata comes from the first profile without volatile fields or stale signatures. Throws
// Error(usage) when the kinds differ or the list is empty.
Profile merge(const std::vector<Profile>& profiles);

}  // namespace bob::profile
