// PathMatcher: a profile's opens compiled for matching many events quickly.
//
// Scanning every entry with CompareDynamic costs O(entries) per event. Most entries are literal
// paths, which a hash table answers in O(1); patterns are bucketed by their first segment after
// the leading '/', since that segment is literal in nearly every real pattern (`/proc/⋯/stat`,
// `/etc/*`). Only patterns whose first segment is itself a wildcard, or that are not anchored at
// '/', are tried for every event.
#include <cstdint>
#include <unordered_map>

#include "segments.h"

namespace bob::match {
namespace {

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using IndexMap = std::unordered_map<std::string, std::vector<std::uint32_t>, TransparentHash,
                                    std::equal_to<>>;

// 2026 ignores trailing slashes ("/etc/" is "/etc"); "/" itself is kept.
std::string_view literal_key(std::string_view path, Semantics semantics) {
  if (semantics == Semantics::v2026) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  }
  return path;
}

struct CompiledPattern {
  std::uint32_t entry = 0;
  detail::Segments segments;
  int stars = 0;
};

// The first segment after the anchor, when it is literal; empty when the pattern must be tried
// against every path.
std::string_view bucket_of(const detail::Segments& segments) {
  if (segments.size() < 2 || !segments[0].empty()) return {};
  std::string_view first = segments[1];
  if (first == kDynamic || first == kWildcard) return {};
  return first;
}

}  // namespace

struct PathMatcher::Index {
  Semantics semantics = Semantics::v2026;
  std::vector<Entry> entries;
  IndexMap literals;
  std::vector<CompiledPattern> patterns;
  IndexMap buckets;                      // first segment -> indexes into patterns
  std::vector<std::uint32_t> everywhere;  // indexes into patterns

  bool flags_ok(std::uint32_t entry, const std::vector<std::string>& event_flags,
                bool check_flags) const {
    return !check_flags || flags_subset(event_flags, entries[entry].flags);
  }

  long try_patterns(const std::vector<std::uint32_t>& candidates, const detail::Segments& path,
                    const std::vector<std::string>& event_flags, bool check_flags) const {
    for (auto p : candidates) {
      const CompiledPattern& pattern = patterns[p];
      if (!flags_ok(pattern.entry, event_flags, check_flags)) continue;
      const bool hit = semantics == Semantics::v2025
                           ? detail::match_segments_2025(pattern.segments, path)
                           : detail::match_segments_2026(pattern.segments, path, pattern.stars);
      if (hit) return pattern.entry;
    }
    return -1;
  }
};

PathMatcher::PathMatcher(std::vector<Entry> entries, Semantics semantics)
    : index_(std::make_unique<Index>()) {
  Index& ix = *index_;
  ix.semantics = semantics;
  ix.entries = std::move(entries);
  for (std::uint32_t i = 0; i < ix.entries.size(); ++i) {
    std::string_view path = ix.entries[i].path;
    if (path.empty()) continue;  // an empty entry matches nothing
    if (!is_path_pattern(path, semantics)) {
      ix.literals[std::string(literal_key(path, semantics))].push_back(i);
      continue;
    }
    CompiledPattern compiled;
    compiled.entry = i;
    detail::split_into(path, '/', compiled.segments);
    if (semantics == Semantics::v2026) {
      detail::trim_trailing_empty(compiled.segments);
      detail::collapse_adjacent_stars(compiled.segments);
    }
    for (auto s : compiled.segments) compiled.stars += s == kWildcard ? 1 : 0;
    const auto slot = static_cast<std::uint32_t>(ix.patterns.size());
    std::string_view bucket = bucket_of(compiled.segments);
    if (bucket.empty()) {
      ix.everywhere.push_back(slot);
    } else {
      ix.buckets[std::string(bucket)].push_back(slot);
    }
    ix.patterns.push_back(std::move(compiled));
  }
}

PathMatcher::~PathMatcher() = default;
PathMatcher::PathMatcher(PathMatcher&&) noexcept = default;
PathMatcher& PathMatcher::operator=(PathMatcher&&) noexcept = default;

const std::vector<PathMatcher::Entry>& PathMatcher::entries() const { return index_->entries; }

long PathMatcher::find(std::string_view path, const std::vector<std::string>& event_flags,
                       bool check_flags) const {
  const Index& ix = *index_;
  if (path.empty()) return -1;
  if (auto hit = ix.literals.find(literal_key(path, ix.semantics)); hit != ix.literals.end()) {
    for (auto entry : hit->second) {
      if (ix.flags_ok(entry, event_flags, check_flags)) return entry;
    }
  }
  if (ix.patterns.empty()) return -1;
  thread_local detail::Segments segments;
  detail::split_into(path, '/', segments);
  if (ix.semantics == Semantics::v2026) detail::trim_trailing_empty(segments);
  std::string_view bucket = segments.size() >= 2 && segments[0].empty() ? segments[1] : "";
  if (!bucket.empty()) {
    if (auto b = ix.buckets.find(bucket); b != ix.buckets.end()) {
      if (long e = ix.try_patterns(b->second, segments, event_flags, check_flags); e >= 0) {
        return e;
      }
    }
  }
  return ix.try_patterns(ix.everywhere, segments, event_flags, check_flags);
}

}  // namespace bob::match
