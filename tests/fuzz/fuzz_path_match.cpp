// Fuzzes the path matchers: match::compare_dynamic (Kubescape's CompareDynamic, profile pattern
// with ⋯ and * against a concrete path), match::PathMatcher (the compiled index verify uses),
// match::match_exec_path, and, on the same two strings, the DNS, IP and endpoint matchers.
// Input: "PATTERN\nPATH" (everything after the first newline is the path).
// Invariants, for both the 2025 and the 2026 semantics: PathMatcher agrees with compare_dynamic
// for a one-entry profile; a path without wildcards matches itself, both ways; an exec path
// always matches itself; an empty path or pattern matches nothing.
#include "bob/match.h"
#include "fuzz_common.h"

namespace {

using bob::match::Semantics;

const char* name(Semantics s) { return s == Semantics::v2025 ? "2025" : "2026"; }

void check(const std::string& pattern, const std::string& path, Semantics s) {
  const std::string what =
      std::string(name(s)) + " pattern='" + pattern + "' path='" + path + "'";
  const bool direct = bob::match::compare_dynamic(pattern, path, s);
  bob::match::PathMatcher one({{pattern, {}}}, s);
  BOB_FUZZ_CHECK(one.matches(path, {}, false) == direct, what);
  if (pattern.empty() || path.empty()) BOB_FUZZ_CHECK(!direct, what);

  // An empty path matches nothing, not even itself (Kubescape's CompareDynamic).
  if (!path.empty() && !bob::match::is_path_pattern(path, s)) {
    BOB_FUZZ_CHECK(bob::match::compare_dynamic(path, path, s), what);
    bob::match::PathMatcher both({{pattern, {}}, {path, {"O_RDONLY"}}}, s);
    BOB_FUZZ_CHECK(both.matches(path, {"O_RDONLY"}), what);
  }
  if (!path.empty()) BOB_FUZZ_CHECK(bob::match::match_exec_path(path, path, s), what);
  (void)bob::match::match_exec_path(pattern, path, s);
  (void)bob::match::match_dns_name(pattern, path, s);
  (void)bob::match::match_endpoint(pattern, path, s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bob::fuzz::quiet_logs();
  std::string_view text = bob::fuzz::as_text(data, size);
  auto newline = text.find('\n');
  std::string pattern(text.substr(0, newline));
  std::string path(newline == std::string_view::npos ? "" : text.substr(newline + 1));
  check(pattern, path, Semantics::v2025);
  check(pattern, path, Semantics::v2026);
  (void)bob::match::partial_segment_wildcards(pattern);
  (void)bob::match::match_ip(pattern, path);
  (void)bob::match::is_valid_ip_pattern(pattern);
  return 0;
}
