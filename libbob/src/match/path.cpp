// CompareDynamic, 2025 and 2026 (profile-format.md §7.2), and the wildcard-shape helpers.
#include <cstdint>

#include "segments.h"

namespace bob::match {
namespace detail {

namespace {

// One or zero `*`: a plain left-to-right walk. Backtracking only happens at the single mid `*`,
// so the cost is bounded by pattern length × path length.
bool walk(const Segments& pattern, std::size_t pi, const Segments& path, std::size_t ri) {
  while (pi < pattern.size()) {
    std::string_view token = pattern[pi];
    if (token == kWildcard) {
      if (pi + 1 == pattern.size()) return ri < path.size();  // trailing: one or more
      for (std::size_t skip = ri; skip <= path.size(); ++skip) {
        if (walk(pattern, pi + 1, path, skip)) return true;
      }
      return false;
    }
    if (ri >= path.size()) return false;
    if (token != kDynamic && token != path[ri]) return false;
    ++pi;
    ++ri;
  }
  return ri == path.size();
}

// Two or more non-adjacent `*`: the naive walk can revisit the same (pattern, path) position
// exponentially often, so the answers are computed once per position, bottom-up.
bool table_match(const Segments& pattern, const Segments& path) {
  const std::size_t np = pattern.size();
  const std::size_t nr = path.size();
  // can[pi][ri]: pattern[pi..] matches path[ri..].
  std::vector<std::uint8_t> can((np + 1) * (nr + 1), 0);
  auto at = [&](std::size_t pi, std::size_t ri) -> std::uint8_t& { return can[pi * (nr + 1) + ri]; };
  at(np, nr) = 1;
  for (std::size_t pi = np; pi-- > 0;) {
    std::string_view token = pattern[pi];
    const bool last = pi + 1 == np;
    for (std::size_t ri = nr + 1; ri-- > 0;) {
      bool ok = false;
      if (token == kWildcard) {
        if (last) {
          ok = ri < nr;
        } else {
          // Zero segments, or one segment and stay on this `*`.
          ok = at(pi + 1, ri) || (ri < nr && at(pi, ri + 1));
        }
      } else if (ri < nr && (token == kDynamic || token == path[ri])) {
        ok = at(pi + 1, ri + 1);
      }
      at(pi, ri) = ok ? 1 : 0;
    }
  }
  return at(0, 0) != 0;
}

int count_stars(const Segments& pattern) {
  int stars = 0;
  for (auto s : pattern) stars += s == kWildcard ? 1 : 0;
  return stars;
}

}  // namespace

void collapse_adjacent_stars(Segments& pattern) {
  std::size_t out = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == kWildcard && out > 0 && pattern[out - 1] == kWildcard) continue;
    pattern[out++] = pattern[i];
  }
  pattern.resize(out);
}

bool match_segments_2026(const Segments& pattern, const Segments& path, int star_count) {
  if (star_count < 0) star_count = count_stars(pattern);
  if (star_count >= 2) return table_match(pattern, path);
  return walk(pattern, 0, path, 0);
}

bool match_segments_2025(const Segments& pattern, const Segments& path) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != kDynamic && pattern[i] != path[i]) return false;
  }
  return true;
}

}  // namespace detail

using detail::Segments;

bool compare_dynamic(std::string_view pattern, std::string_view path, Semantics semantics) {
  if (pattern.empty() || path.empty()) return false;
  thread_local Segments pattern_segments;
  thread_local Segments path_segments;
  detail::split_into(pattern, '/', pattern_segments);
  detail::split_into(path, '/', path_segments);
  if (semantics == Semantics::v2025) {
    return detail::match_segments_2025(pattern_segments, path_segments);
  }
  detail::trim_trailing_empty(pattern_segments);
  detail::trim_trailing_empty(path_segments);
  detail::collapse_adjacent_stars(pattern_segments);
  return detail::match_segments_2026(pattern_segments, path_segments);
}

bool is_path_pattern(std::string_view path, Semantics semantics) {
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment == kDynamic) return true;
    if (semantics == Semantics::v2026 && segment == kWildcard) return true;
    start = end + 1;
  }
  return false;
}

bool is_partial_segment_wildcard(std::string_view segment) {
  if (segment == kDynamic || segment == kWildcard) return false;
  return segment.find(kDynamic) != std::string_view::npos ||
         segment.find('*') != std::string_view::npos;
}

std::vector<std::string> partial_segment_wildcards(std::string_view path) {
  std::vector<std::string> found;
  Segments segments;
  detail::split_into(path, '/', segments);
  for (auto segment : segments) {
    if (is_partial_segment_wildcard(segment)) found.emplace_back(segment);
  }
  return found;
}

}  // namespace bob::match
