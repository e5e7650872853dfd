// Volatile identifiers: names that change on every run, pod or node and carry no meaning for a
// profile. Each rule looks at one whole path segment and answers `⋯` or leaves it alone; none of
// them ever produces a partial-segment pattern such as `⋯.scope` (which Kubescape matches
// literally, see profile-format.md §7.5).
#include <algorithm>
#include <cctype>

#include "bob/generalize.h"
#include "bob/match.h"

namespace bob::generalize {
namespace {

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_of(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

// 8-4-4-4-12 hex digits, with `-` or (systemd cgroup slices) `_` between the groups.
bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool separator = i == 8 || i == 13 || i == 18 || i == 23;
    if (separator ? (s[i] != '-' && s[i] != '_') : !is_hex(s[i])) return false;
  }
  return true;
}

bool is_long_hex(std::string_view s) { return s.size() >= 32 && all_of(s, is_hex); }

bool strip_prefix(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (!s.ends_with(suffix)) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// `pod<uid>` (cgroupfs driver) and `kubepods-<qos>-pod<uid>.slice` (systemd driver).
bool is_pod_uid_segment(std::string_view s) {
  if (strip_prefix(s, "kubepods-")) {
    if (!strip_suffix(s, ".slice")) return false;
    if (!strip_prefix(s, "burstable-")) strip_prefix(s, "besteffort-");
  }
  return strip_prefix(s, "pod") && is_uuid(s);
}

// `cri-containerd-<64 hex>.scope`, `crio-<id>.scope`, `docker-<id>.scope`, `libpod-<id>.scope`.
bool is_runtime_scope(std::string_view s) {
  if (!strip_suffix(s, ".scope")) return false;
  for (std::string_view runtime : {"cri-containerd-", "crio-", "docker-", "libpod-"}) {
    std::string_view id = s;
    if (strip_prefix(id, runtime) && is_long_hex(id)) return true;
  }
  return false;
}

// Kubernetes projected and configMap volumes: `..2025_07_10_14_13_34.1370920659`.
bool is_projected_timestamp(std::string_view s) {
  if (!strip_prefix(s, "..")) return false;
  // YYYY_MM_DD_hh_mm_ss = 19 characters, then `.` and digits.
  if (s.size() < 21 || s[19] != '.') return false;
  for (std::size_t i = 0; i < 19; ++i) {
    const bool separator = i == 4 || i == 7 || i == 10 || i == 13 || i == 16;
    if (separator ? s[i] != '_' : !is_digit(s[i])) return false;
  }
  return all_of(s.substr(20), is_digit);
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_alnum(char c) { return is_upper(c) || is_lower(c) || is_digit(c); }

// mkstemp()'s six random characters, as a whole segment (`4GusJE`: npm's cache temp dirs) or as
// a `.XXXXXX` suffix (`apache2.pid.C2I54g`). Random text mixes cases in ways words do not: the
// whole-segment form must hold a digit, an upper- and a lower-case letter; the suffix must mix
// cases other than as a capitalised word (so `.Backup` stays).
// Limitation: about one random XXXXXX in ten is single-case or capitalised and stays literal.
bool is_random_six(std::string_view s, bool need_digit) {
  if (s.size() != 6 || !std::all_of(s.begin(), s.end(), is_alnum)) return false;
  const bool upper = std::any_of(s.begin(), s.end(), is_upper);
  const bool lower = std::any_of(s.begin(), s.end(), is_lower);
  const bool digit = std::any_of(s.begin(), s.end(), is_digit);
  if (!upper || !lower) return false;
  if (need_digit) return digit;
  const bool capitalised = is_upper(s[0]) && std::none_of(s.begin() + 1, s.end(), is_upper);
  return !capitalised;
}

// mktemp(1)'s default name, also that of `mktemp -d`: `tmp.` and ten characters of [A-Za-z0-9],
// as a whole segment (`tmp.Qx3ZpL0aB7`). The ten characters must mix at least two of the classes
// lower case, upper case, digit: a real name is random over 62 symbols and is single-class about
// once in 3,000 (then it stays literal), while a word (`tmp.configfile`) or a number
// (`tmp.1234567890`, which mktemp makes about once in 10^8) is single-class and stays literal.
// A mixed name such as `tmp.backup2024` is taken as random. The same rule is in the tracer's
// detector (trace/record.cpp). Names from a user template (`foo.XXXXXX`) are not recognisable in
// general and are left to is_random_six and the fan-out collapse.
bool is_mktemp_default(std::string_view s) {
  if (!strip_prefix(s, "tmp.") || s.size() != 10 || !std::all_of(s.begin(), s.end(), is_alnum))
    return false;
  const int classes = int(std::any_of(s.begin(), s.end(), is_lower)) +
                      int(std::any_of(s.begin(), s.end(), is_upper)) +
                      int(std::any_of(s.begin(), s.end(), is_digit));
  return classes >= 2;
}

bool is_temp_name(std::string_view s) {
  if (is_random_six(s, true) || is_mktemp_default(s)) return true;
  auto dot = s.rfind('.');
  return dot != std::string_view::npos && dot > 0 && is_random_six(s.substr(dot + 1), false);
}

}  // namespace

std::string volatile_reason(std::string_view segment) {
  if (segment.empty() || segment == match::kDynamic || segment == match::kWildcard) return "";
  if (all_of(segment, is_digit)) return "numeric";
  if (is_uuid(segment)) return "uuid";
  if (is_long_hex(segment)) return "long hex id";
  if (is_pod_uid_segment(segment)) return "pod uid";
  if (is_runtime_scope(segment)) return "container runtime scope";
  if (is_projected_timestamp(segment)) return "projected-volume timestamp";
  if (is_temp_name(segment)) return "random temporary name";
  return "";
}

std::string normalize_volatile_segment(std::string_view segment) {
  if (!volatile_reason(segment).empty()) return std::string(match::kDynamic);
  return std::string(segment);
}

std::string normalize_volatile_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  std::size_t start = 0;
  std::string_view previous;
  bool first = true;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (!first) out += '/';
    // node-agent writes per-process procfs paths as /proc/⋯/...; self and thread-self are the
    // same directories seen from inside.
    const bool proc_self = previous == "proc" && out.size() == 6 &&
                           (segment == "self" || segment == "thread-self");
    out += proc_self ? std::string(match::kDynamic) : normalize_volatile_segment(segment);
    previous = segment;
    first = false;
    start = end + 1;
  }
  return out;
}

std::string repair_partial_wildcards(std::string_view path) {
  if (match::partial_segment_wildcards(path).empty()) return std::string(path);
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (start > 0) out += '/';
    if (!match::is_partial_segment_wildcard(segment)) {
      out += segment;
    } else {
      out += segment == "**" ? std::string(match::kWildcard) : std::string(match::kDynamic);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace bob::generalize
