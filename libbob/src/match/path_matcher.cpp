// PathMatcher: a profile's opens compiled for matching many events quickly.
//
// Scanning every entry with CompareDynamic costs O(entries) per event. Literal entries (most of
// a profile) go into a hash table, answered in O(1). Pattern entries go into a trie of segments
// with three kinds of edges: literal segments (hashed), `⋯` and `*`. An event walks the trie once,
// so its cost depends on the path's depth, not on how many patterns the profile holds. A `*` edge
// tries each split of the path; results per (`*` node, position) are memoised for the event, so
// patterns with several `*` cannot make the walk exponential.
#include <cstdint>
#include <unordered_set>

#include "segments.h"

namespace bob::match {
namespace {

// An open-addressing hash table from (scope, string) to V with a power-of-two size: one probe
// sequence and no division per lookup, which matters at millions of lookups per second. The
// scope is the parent trie node for edges, and 0 for whole literal paths.
template <typename V>
class FlatMap {
 public:
  FlatMap() : slots_(16) {}

  const V* find(std::uint32_t scope, std::string_view key) const {
    const std::uint64_t h = hash_of(scope, key);
    for (std::size_t i = h & mask(); ; i = (i + 1) & mask()) {
      const Slot& slot = slots_[i];
      if (slot.key == kEmpty) return nullptr;
      if (slot.hash == h && slot.scope == scope && keys_[slot.key] == key) return &slot.value;
    }
  }

  V& get_or_insert(std::uint32_t scope, std::string_view key) {
    if ((keys_.size() + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash_of(scope, key);
    std::size_t i = h & mask();
    for (;; i = (i + 1) & mask()) {
      Slot& slot = slots_[i];
      if (slot.key == kEmpty) break;
      if (slot.hash == h && slot.scope == scope && keys_[slot.key] == key) return slot.value;
    }
    keys_.emplace_back(key);
    slots_[i] = Slot{h, scope, static_cast<std::uint32_t>(keys_.size() - 1), V{}};
    return slots_[i].value;
  }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t scope = 0;
    std::uint32_t key = kEmpty;
    V value{};
  };

  static std::uint64_t hash_of(std::uint32_t scope, std::string_view key) {
    std::uint64_t h = std::hash<std::string_view>{}(key) ^ (scope * 0x9E3779B97F4A7C15ull);
    h ^= h >> 31;  // spread high bits into the low bits the mask keeps
    return h * 0xBF58476D1CE4E5B9ull;
  }
  std::size_t mask() const { return slots_.size() - 1; }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (auto& slot : old) {
      if (slot.key == kEmpty) continue;
      std::size_t i = slot.hash & mask();
      while (slots_[i].key != kEmpty) i = (i + 1) & mask();
      slots_[i] = std::move(slot);
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::string> keys_;
};

// 2026 ignores trailing slashes ("/etc/" is "/etc"); "/" itself is kept.
std::string_view literal_key(std::string_view path, Semantics semantics) {
  if (semantics == Semantics::v2026) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  }
  return path;
}

constexpr std::uint32_t kNone = UINT32_MAX;

struct Node {
  std::uint32_t dynamic = kNone;  // `⋯` edge
  std::uint32_t star = kNone;     // `*` edge (2026 only)
  // Entries whose pattern ends here. On a `*` node these are trailing-`*` patterns, which need
  // at least one more segment; elsewhere the path must end exactly here.
  std::vector<std::uint32_t> ends;
};

}  // namespace

struct PathMatcher::Index {
  Semantics semantics = Semantics::v2026;
  std::vector<Entry> entries;
  FlatMap<std::vector<std::uint32_t>> literals;  // scope 0
  FlatMap<std::uint32_t> edges;                   // literal trie edges, scoped by parent node
  std::vector<Node> nodes{1};                     // nodes[0] is the root
  bool has_patterns = false;

  std::uint32_t child(std::uint32_t from, std::string_view segment) {
    std::uint32_t* edge = nullptr;
    if (segment == kDynamic) {
      edge = &nodes[from].dynamic;
    } else if (segment == kWildcard && semantics == Semantics::v2026) {
      edge = &nodes[from].star;
    } else {
      std::uint32_t& to = edges.get_or_insert(from, segment);
      if (to == 0) {  // the root is never a child, so 0 means "new edge"
        to = static_cast<std::uint32_t>(nodes.size());
        nodes.emplace_back();
      }
      return to;
    }
    if (*edge == kNone) {
      const auto created = static_cast<std::uint32_t>(nodes.size());
      *edge = created;  // set before emplace_back: `edge` points into nodes
      nodes.emplace_back();
      return created;
    }
    return *edge;
  }

  void add_pattern(std::uint32_t entry, std::string_view path) {
    detail::Segments segments;
    detail::split_into(path, '/', segments);
    if (semantics == Semantics::v2026) {
      detail::trim_trailing_empty(segments);
      detail::collapse_adjacent_stars(segments);
    }
    std::uint32_t at = 0;
    for (auto segment : segments) at = child(at, segment);
    nodes[at].ends.push_back(entry);
    has_patterns = true;
  }
};

namespace {

// One event's walk through the trie.
class Walk {
 public:
  Walk(const std::vector<Node>& nodes, const FlatMap<std::uint32_t>& edges,
       const std::vector<PathMatcher::Entry>& entries, const detail::Segments& path,
       const std::vector<std::string>& flags, bool check_flags)
      : nodes_(nodes), edges_(edges), entries_(entries), path_(path), flags_(flags),
        check_flags_(check_flags) {}

  // Node reached after consuming path[0, i).
  long visit(std::uint32_t node, std::size_t i) {
    if (i == path_.size()) {
      if (long e = first_allowed(nodes_[node].ends); e >= 0) return e;
    }
    return descend(node, i);
  }

 private:
  long descend(std::uint32_t node, std::size_t i) {
    const Node& n = nodes_[node];
    if (i < path_.size()) {
      if (const std::uint32_t* to = edges_.find(node, path_[i])) {
        if (long e = visit(*to, i + 1); e >= 0) return e;
      }
      if (n.dynamic != kNone) {
        if (long e = visit(n.dynamic, i + 1); e >= 0) return e;
      }
    }
    if (n.star == kNone) return -1;
    // Trailing `*`: one or more segments left.
    if (i < path_.size()) {
      if (long e = first_allowed(nodes_[n.star].ends); e >= 0) return e;
    }
    // Mid `*`: skip zero or more segments, then continue below the `*` node.
    for (std::size_t j = i; j <= path_.size(); ++j) {
      if (long e = after_star(n.star, j); e >= 0) return e;
    }
    return -1;
  }

  // Before any `*` is crossed, each trie node is reached at exactly one position (its depth), so
  // the first `*` loop never repeats work. Only below a `*` can a state recur; only there is the
  // memo (and its allocation) paid for.
  long after_star(std::uint32_t star_node, std::size_t j) {
    if (stars_crossed_ > 0) {
      const std::uint64_t key = (static_cast<std::uint64_t>(star_node) << 32) | j;
      if (!tried_.insert(key).second) return -1;  // a success returns at once: a repeat failed
    }
    ++stars_crossed_;
    long e = descend(star_node, j);
    --stars_crossed_;
    return e;
  }

  long first_allowed(const std::vector<std::uint32_t>& candidates) const {
    for (auto e : candidates) {
      if (!check_flags_ || flags_subset(flags_, entries_[e].flags)) return e;
    }
    return -1;
  }

  const std::vector<Node>& nodes_;
  const FlatMap<std::uint32_t>& edges_;
  const std::vector<PathMatcher::Entry>& entries_;
  const detail::Segments& path_;
  const std::vector<std::string>& flags_;
  bool check_flags_;
  int stars_crossed_ = 0;
  std::unordered_set<std::uint64_t> tried_;
};

}  // namespace

PathMatcher::PathMatcher(std::vector<Entry> entries, Semantics semantics)
    : index_(std::make_unique<Index>()) {
  Index& ix = *index_;
  ix.semantics = semantics;
  ix.entries = std::move(entries);
  for (std::uint32_t i = 0; i < ix.entries.size(); ++i) {
    std::string_view path = ix.entries[i].path;
    if (path.empty()) continue;  // an empty entry matches nothing
    if (is_path_pattern(path, semantics)) {
      ix.add_pattern(i, path);
    } else {
      ix.literals.get_or_insert(0, literal_key(path, semantics)).push_back(i);
    }
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
  if (const auto* hit = ix.literals.find(0, literal_key(path, ix.semantics))) {
    for (auto entry : *hit) {
      if (!check_flags || flags_subset(event_flags, ix.entries[entry].flags)) return entry;
    }
  }
  if (!ix.has_patterns) return -1;
  thread_local detail::Segments segments;
  detail::split_into(path, '/', segments);
  if (ix.semantics == Semantics::v2026) detail::trim_trailing_empty(segments);
  Walk walk(ix.nodes, ix.edges, ix.entries, segments, event_flags, check_flags);
  return walk.visit(0, 0);
}

}  // namespace bob::match
