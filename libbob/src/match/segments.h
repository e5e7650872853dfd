// Internal helpers shared by the match module's files: splitting on '/' without allocating more
// than one vector, and the token tests every matcher needs.
#pragma once

#include <string_view>
#include <vector>

#include "bob/match.h"

namespace bob::match::detail {

using Segments = std::vector<std::string_view>;

// Splits on '/', keeping empty segments ("/a" gives "", "a"). The views point into `text`.
inline void split_into(std::string_view text, char separator, Segments& out) {
  out.clear();
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      out.push_back(text.substr(start));
      return;
    }
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// 2026 splitPath: trailing empty segments are dropped, but one segment always remains, so that
// "/" keeps its anchor shape [""].
inline void trim_trailing_empty(Segments& segments) {
  while (segments.size() > 1 && segments.back().empty()) segments.pop_back();
}

// Matches already-split segments with 2026 semantics (`⋯` one segment, mid `*` zero or more,
// trailing `*` one or more). `star_count` is the number of `*` segments in `pattern`; callers
// that compiled the pattern know it, others pass -1 to have it counted.
bool match_segments_2026(const Segments& pattern, const Segments& path, int star_count = -1);

// 2025: equal counts, `⋯` any one segment, everything else byte-equal.
bool match_segments_2025(const Segments& pattern, const Segments& path);

// Removes `*` segments that directly follow another `*` segment (their meaning is unchanged).
void collapse_adjacent_stars(Segments& pattern);

}  // namespace bob::match::detail
