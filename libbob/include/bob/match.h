// Matchers with Kubescape's semantics: does a profile entry allow a runtime event?
//
// These are the functions node-agent and storage use to decide whether an event is in a profile
// (see docs/matching.md and ../shared/reference/profile-format.md §6.3, §7, §8). bob uses them
// to verify installers, to check that generalization never loses behaviour, and to lint.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bob::match {

inline constexpr std::string_view kDynamic = "\xE2\x8B\xAF";                  // ⋯
inline constexpr std::string_view kDynamicArgs = "\xE2\x8B\xAF\xE2\x8B\xAF";  // ⋯⋯
inline constexpr std::string_view kWildcard = "*";

// 2025: `⋯` only, equal segment counts, `*` literal, exec paths and args literal.
// 2026: adds `*` segments, trailing-slash insensitivity, `⋯⋯` in args, DNS/IP patterns.
enum class Semantics { v2025, v2026 };

// CompareDynamic(pattern, path): does a profile path (may hold `⋯` and, in 2026, `*` segments)
// match a concrete path? Patterns with several `*` use a memo table, so cost stays polynomial.
bool compare_dynamic(std::string_view pattern, std::string_view path,
                     Semantics semantics = Semantics::v2026);

// True when the path holds a whole `⋯` segment, or (2026) a whole `*` segment / bare `*`.
bool is_path_pattern(std::string_view path, Semantics semantics = Semantics::v2026);

// CompareExecArgs (2026): empty profile args match anything; otherwise an anchored match where
// `⋯⋯` absorbs 0..n args, `⋯` one arg, a token containing `⋯` is compared segment-wise on `/`,
// and everything else (including `*`) must be byte-equal.
bool compare_exec_args(const std::vector<std::string>& profile_args,
                       const std::vector<std::string>& runtime_args);

// MatchExecArgs (2026): args_required=false always matches; true is a strict anchored match in
// which an empty profile argv matches only an empty runtime argv.
bool match_exec_args(const std::vector<std::string>& profile_args, bool args_required,
                     const std::vector<std::string>& runtime_args);

// 2025 R0001 with enforceArgs: exact full-argv equality (argv[0] included).
bool exec_args_equal(const std::vector<std::string>& profile_args,
                     const std::vector<std::string>& runtime_args);

// Exec path: 2025 exact; 2026 exact, then CompareDynamic when the profile path is a pattern.
bool match_exec_path(std::string_view profile_path, std::string_view exec_path,
                     Semantics semantics = Semantics::v2026);

// R0002 (2025): every event flag is among the entry's flags; order and duplicates irrelevant.
bool flags_subset(const std::vector<std::string>& event_flags,
                  const std::vector<std::string>& entry_flags);

// DNS names (trailing dot and case ignored). 2025: literal equality. 2026: a leading `*` label is
// exactly one label, `⋯` is one label anywhere, a trailing `*` is one or more labels.
bool match_dns_name(std::string_view pattern, std::string_view name,
                    Semantics semantics = Semantics::v2026);

// IP addresses: a literal (IPv4 or IPv6, compared as addresses, so `::1` equals `0:0::1`), a
// CIDR (`10.0.0.0/8`, `fd00::/8`) or `*` (any valid address). Invalid input never matches.
bool match_ip(std::string_view pattern, std::string_view address);
// True when text is a valid IP literal, CIDR or `*` (what match_ip accepts as a pattern).
bool is_valid_ip_pattern(std::string_view pattern);

// The endpoint form Kubescape records: ":" + port + path, query string dropped.
std::string endpoint_string(int port, std::string_view path_and_query);
// CompareDynamic on endpoint strings; in 2026 a profile port `0` matches any port.
bool match_endpoint(std::string_view profile_endpoint, std::string_view runtime_endpoint,
                    Semantics semantics = Semantics::v2026);

// A path segment that holds `⋯` or `*` without being exactly `⋯` or `*` (e.g. `*.log`,
// `⋯.scope`, `⋯⋯`). Both matchers treat such segments as literals, so they are almost always
// a mistake.
bool is_partial_segment_wildcard(std::string_view segment);
// The partial-segment wildcards of a whole path, in order.
std::vector<std::string> partial_segment_wildcards(std::string_view path);

// A compiled set of open entries for fast matching: literal paths go into a hash table, pattern
// paths into buckets keyed by their first segment (or a catch-all bucket when it is a wildcard).
class PathMatcher {
 public:
  struct Entry {
    std::string path;
    std::vector<std::string> flags;
  };
  explicit PathMatcher(std::vector<Entry> entries, Semantics semantics = Semantics::v2026);
  ~PathMatcher();
  PathMatcher(PathMatcher&&) noexcept;
  PathMatcher& operator=(PathMatcher&&) noexcept;

  // Index of some entry whose path matches and (when check_flags) whose flags contain every
  // event flag; -1 when none does. Literal hits are preferred over patterns.
  long find(std::string_view path, const std::vector<std::string>& event_flags,
            bool check_flags = true) const;
  bool matches(std::string_view path, const std::vector<std::string>& event_flags,
               bool check_flags = true) const {
    return find(path, event_flags, check_flags) >= 0;
  }
  const std::vector<Entry>& entries() const;

 private:
  struct Index;
  std::unique_ptr<Index> index_;
};

}  // namespace bob::match
