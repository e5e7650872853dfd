// The dynamic path detector, step for step as Kubescape storage runs it, so that a profile bob
// generalizes looks like one storage would have produced:
// - one trie per identifier ("opens", or the port for endpoints), one node per segment;
// - a node counts the distinct children it ever created; when a node is walked through while
//   its count exceeds the threshold of its prefix, its children are replaced by one `⋯` child
//   that absorbs all grandchildren, and that `⋯` starts with the number of children it got, so
//   fan-out one level deeper collapses on a later walk;
// - a prefix with threshold 1 turns its first new child into `*`, and emission stops at `*`;
// - a segment that already is `⋯` folds its siblings into the `⋯` child.
#include "analyzer.h"

#include "bob/match.h"

namespace bob::generalize::detail {
namespace {

const std::string kDyn(match::kDynamic);
const std::string kStar(match::kWildcard);

}  // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> kept;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view element = path.substr(start, end - start);
    start = end + 1;
    if (element.empty() || element == ".") continue;
    if (element == "..") {
      if (!kept.empty() && kept.back() != "..") {
        kept.pop_back();
      } else if (!rooted) {
        kept.push_back(element);
      }
      continue;
    }
    kept.push_back(element);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  return out.empty() ? "." : out;
}

std::string collapse_dynamic_runs(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  bool first = true;
  std::size_t run = 0;  // adjacent `⋯` segments seen and not yet written
  auto flush = [&]() {
    if (run == 0) return;
    if (!first) out += '/';
    out += run == 1 ? kDyn : kStar;
    first = false;
    run = 0;
  };
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    start = end + 1;
    if (segment == match::kDynamic) {
      ++run;
      continue;
    }
    flush();
    if (!first) out += '/';
    out += segment;
    first = false;
  }
  flush();
  return out;
}

bool PathAnalyzer::Node::next_dynamic() const { return children.count(kDyn) > 0; }

void PathAnalyzer::absorb(Node& source, Node& destination) {
  for (auto& [name, child] : source.children) {
    auto existing = destination.children.find(name);
    if (existing == destination.children.end()) {
      destination.children.emplace(name, std::move(child));
      continue;
    }
    existing->second->count += child->count;
    absorb(*child, *existing->second);
  }
}

// Replaces node's children by one child called `name` that holds all grandchildren.
PathAnalyzer::Node* PathAnalyzer::replace_children(Node& node, const char* name) {
  auto merged = std::make_unique<Node>();
  merged->name = name;
  for (auto& [unused, child] : node.children) absorb(*child, *merged);
  node.children.clear();
  Node* raw = merged.get();
  node.children.emplace(name, std::move(merged));
  return raw;
}

PathAnalyzer::Node* PathAnalyzer::step(Node& node, std::string_view segment, int insert_threshold) {
  if (segment == match::kDynamic) {
    auto it = node.children.find(kDyn);
    return it != node.children.end() ? it->second.get() : replace_children(node, kDyn.c_str());
  }
  if (auto it = node.children.find(kStar); it != node.children.end()) return it->second.get();
  if (node.next_dynamic()) {
    if (node.children.size() > 1) {
      auto keep = std::move(node.children[kDyn]);
      node.children.clear();
      node.children.emplace(kDyn, std::move(keep));
    }
    return node.children[kDyn].get();
  }
  if (auto it = node.children.find(std::string(segment)); it != node.children.end()) {
    return it->second.get();
  }
  if (insert_threshold == 1) return replace_children(node, kStar.c_str());
  ++node.count;
  auto child = std::make_unique<Node>();
  child->name = std::string(segment);
  Node* raw = child.get();
  node.children.emplace(child->name, std::move(child));
  return raw;
}

void PathAnalyzer::collapse_if_crowded(Node& node, int threshold) {
  if (node.count <= threshold || node.next_dynamic()) return;
  Node* dynamic = replace_children(node, kDyn.c_str());
  dynamic->count = static_cast<int>(dynamic->children.size());
}

std::string PathAnalyzer::analyze(std::string_view raw_path, const std::string& identifier) {
  const std::string path = clean_path(raw_path);
  auto& root = roots_[identifier];
  if (!root) {
    root = std::make_unique<Node>();
    root->name = identifier;
  }
  Node* current = root.get();
  std::string out;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    while (i < path.size() && path[i] != '/') ++i;
    std::string_view segment = std::string_view(path).substr(start, i - start);
    // The parent's prefix decides threshold-1 wildcarding; the node's own prefix decides
    // whether its children collapse.
    const int insert_threshold = threshold(std::string_view(path).substr(0, start));
    const int collapse_threshold = threshold(std::string_view(path).substr(0, i));
    current = step(*current, segment, insert_threshold);
    collapse_if_crowded(*current, collapse_threshold);
    out += current->name;
    if (current->name == kStar) break;  // `*` absorbs the rest: never /a/*/*
    ++i;
    if (path.size() < i) break;
    out += '/';
  }
  return collapse_dynamic_runs(out);
}

}  // namespace bob::generalize::detail
