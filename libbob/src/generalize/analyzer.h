// Internal: a port of Kubescape storage's dynamic path detector (2026, profile-format.md §7.4).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bob/generalize.h"

namespace bob::generalize::detail {

// Go's path.Clean: lexical; "" becomes ".", a rooted ".." stays at the root.
std::string clean_path(std::string_view path);

// Runs of two or more adjacent `⋯` segments become one `*`.
std::string collapse_dynamic_runs(std::string_view path);

class PathAnalyzer {
 public:
  PathAnalyzer(const CollapseConfig& config, bool endpoints)
      : config_(config), endpoints_(endpoints) {}

  // Inserts the path into the trie named `identifier` and returns its generalized form as far
  // as the trie knows now. Call it for every path once to prime the trie, then again to read.
  std::string analyze(std::string_view path, const std::string& identifier);

 private:
  struct Node {
    std::string name;
    int count = 0;  // distinct children ever created here
    std::map<std::string, std::unique_ptr<Node>> children;
    bool next_dynamic() const;
  };

  int threshold(std::string_view prefix) const { return config_.threshold_for(prefix, endpoints_); }
  Node* step(Node& node, std::string_view segment, int insert_threshold);
  void collapse_if_crowded(Node& node, int threshold);
  static Node* replace_children(Node& node, const char* name);
  static void absorb(Node& source, Node& destination);

  const CollapseConfig& config_;
  bool endpoints_;
  std::map<std::string, std::unique_ptr<Node>> roots_;
};

}  // namespace bob::generalize::detail
