// The two configuration files of `bob generalize`: Kubescape's CollapseConfiguration and bob's
// network portability file.
#include <yaml-cpp/yaml.h>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/generalize.h"
#include "bob/match.h"

namespace bob::generalize {
namespace {

// Like storage's hasPrefixAtBoundary: "/etc" covers "/etc" and "/etc/x" but not "/etcd"; a
// trailing '/' in the configured prefix is ignored; "/" and "" cover every absolute path.
bool has_prefix_at_boundary(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return true;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (!path.starts_with(prefix)) return false;
  if (path.size() == prefix.size() || prefix == "/") return true;
  return path[prefix.size()] == '/';
}

std::string where(const std::string& source, const YAML::Mark& mark) {
  if (mark.line < 0) return source;
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root || root.IsNull()) fail(Exit::usage, source + ": the file is empty");
    if (!root.IsMap()) fail(Exit::usage, where(source, root.Mark()) + ": expected a mapping");
    return root;
  } catch (const YAML::Exception& e) {
    fail(Exit::usage, where(source, e.mark) + ": " + e.msg, "check the YAML syntax");
  }
}

int read_threshold(const YAML::Node& node, const std::string& source, const char* what) {
  try {
    int value = node.as<int>();
    if (value < 1) throw YAML::Exception(node.Mark(), "");
    return value;
  } catch (const YAML::Exception&) {
    fail(Exit::usage, where(source, node.Mark()) + ": " + what + " must be a whole number >= 1",
         "thresholds count distinct children before a directory collapses to `\xE2\x8B\xAF`");
  }
}

std::vector<std::string> read_strings(const YAML::Node& node, const std::string& source,
                                      const char* what) {
  std::vector<std::string> out;
  if (!node || node.IsNull()) return out;
  if (!node.IsSequence()) fail(Exit::usage, where(source, node.Mark()) + ": " + what +
                                                " must be a list of strings");
  for (const auto& item : node) {
    if (!item.IsScalar()) fail(Exit::usage, where(source, item.Mark()) + ": " + what +
                                                " entries must be strings");
    out.push_back(item.as<std::string>());
  }
  return out;
}

}  // namespace

int CollapseConfig::threshold_for(std::string_view path_prefix, bool endpoints) const {
  if (endpoints) return endpoint_threshold;
  std::size_t best_length = 0;
  bool found = false;
  int best = open_threshold;
  for (const auto& rule : rules) {
    if ((!found || rule.prefix.size() > best_length) &&
        has_prefix_at_boundary(path_prefix, rule.prefix)) {
      best_length = rule.prefix.size();
      best = rule.threshold;
      found = true;
    }
  }
  return best;
}

CollapseConfig parse_collapse_config(const std::string& text, const std::string& source) {
  YAML::Node root = parse_yaml(text, source);
  if (root["kind"] && root["kind"].as<std::string>("") != "CollapseConfiguration") {
    fail(Exit::usage, where(source, root["kind"].Mark()) + ": kind is '" +
                          root["kind"].as<std::string>("") + "', not CollapseConfiguration");
  }
  YAML::Node spec = root["spec"] ? root["spec"] : root;
  CollapseConfig config;
  if (spec["openDynamicThreshold"]) {
    config.open_threshold = read_threshold(spec["openDynamicThreshold"], source,
                                           "openDynamicThreshold");
  }
  if (spec["endpointDynamicThreshold"]) {
    config.endpoint_threshold = read_threshold(spec["endpointDynamicThreshold"], source,
                                               "endpointDynamicThreshold");
  }
  if (YAML::Node rules = spec["collapseConfigs"]; rules && !rules.IsNull()) {
    if (!rules.IsSequence()) {
      fail(Exit::usage, where(source, rules.Mark()) + ": collapseConfigs must be a list");
    }
    config.rules.clear();
    for (const auto& rule : rules) {
      if (!rule.IsMap() || !rule["prefix"] || !rule["prefix"].IsScalar()) {
        fail(Exit::usage, where(source, rule.Mark()) + ": each collapseConfigs entry needs a "
                                                       "`prefix` and a `threshold`");
      }
      CollapseRule parsed{rule["prefix"].as<std::string>(), 0};
      if (!rule["threshold"]) {
        fail(Exit::usage, where(source, rule.Mark()) + ": collapseConfigs entry '" +
                              parsed.prefix + "' has no threshold");
      }
      parsed.threshold = read_threshold(rule["threshold"], source, "threshold");
      config.rules.push_back(parsed);
    }
  }
  return config;
}

CollapseConfig load_collapse_config(const std::string& path) {
  return parse_collapse_config(fs::read_file(path, 1u << 20), path);
}

NetworkConfig parse_network_config(const std::string& text, const std::string& source) {
  YAML::Node root = parse_yaml(text, source);
  for (const auto& item : root) {
    const auto key = item.first.as<std::string>("");
    if (key != "cidrs" && key != "dnsPatterns" && key != "apiVersion" && key != "kind") {
      fail(Exit::usage, where(source, item.first.Mark()) + ": unknown key '" + key + "'",
           "a network config has `cidrs` and `dnsPatterns` (see docs/generalize.md)");
    }
  }
  NetworkConfig config;
  config.cidrs = read_strings(root["cidrs"], source, "cidrs");
  for (std::size_t i = 0; i < config.cidrs.size(); ++i) {
    const auto& cidr = config.cidrs[i];
    if (cidr.find('/') == std::string::npos || !match::is_valid_ip_pattern(cidr)) {
      fail(Exit::usage, where(source, root["cidrs"][i].Mark()) + ": '" + cidr +
                            "' is not a CIDR", "write it like 10.96.0.0/12 or fd00::/8");
    }
  }
  config.dns_patterns = read_strings(root["dnsPatterns"], source, "dnsPatterns");
  for (std::size_t i = 0; i < config.dns_patterns.size(); ++i) {
    const auto& pattern = config.dns_patterns[i];
    for (std::size_t start = 0; start <= pattern.size();) {
      std::size_t end = pattern.find('.', start);
      if (end == std::string::npos) end = pattern.size();
      std::string_view label = std::string_view(pattern).substr(start, end - start);
      if (match::is_partial_segment_wildcard(label) || label == "**") {
        fail(Exit::usage, where(source, root["dnsPatterns"][i].Mark()) + ": '" + pattern +
                              "' has the label '" + std::string(label) +
                              "'; wildcards must be whole labels",
             "use `*.example.com.` (one label), `a.\xE2\x8B\xAF.b.` or `example.*`");
      }
      start = end + 1;
    }
  }
  return config;
}

NetworkConfig load_network_config(const std::string& path) {
  return parse_network_config(fs::read_file(path, 1u << 20), path);
}

}  // namespace bob::generalize
