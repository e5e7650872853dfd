// Internal: every document of a YAML stream, with a guard against a yaml-cpp 0.7 endless loop.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace bob::profile::detail {

// Like YAML::LoadAll, but it always ends. yaml-cpp 0.7 never consumes a ',' that follows a
// document-level flow node (`{},` or `"s",`): LoadAll then appends empty documents without end,
// allocating until memory runs out. This throws YAML::ParserException at that ',' instead.
std::vector<YAML::Node> load_all_yaml(const std::string& text);

}  // namespace bob::profile::detail
