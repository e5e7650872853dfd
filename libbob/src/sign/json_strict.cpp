// Strict JSON for bundles and statements: duplicate keys and runaway nesting are refused.
#include "json_strict.h"

#include <algorithm>
#include <set>
#include <vector>

namespace bob::sign::detail {

namespace {
constexpr int kMaxDepth = 32;
}

std::optional<nlohmann::json> parse_strict(std::string_view text, std::string& error) {
  std::vector<std::set<std::string>> open_objects;
  std::string problem;
  auto check = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth > kMaxDepth && problem.empty()) problem = "nested deeper than 32 levels";
    if (event == Event::object_start) open_objects.emplace_back();
    if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Event::key && !open_objects.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second && problem.empty()) {
      problem = "duplicate key \"" + parsed.get<std::string>() + "\"";
    }
    return true;
  };
  try {
    nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), check);
    if (!problem.empty()) {
      error = problem;
      return std::nullopt;
    }
    return value;
  } catch (const nlohmann::json::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

std::string unknown_key(const nlohmann::json& object,
                        std::initializer_list<std::string_view> allowed) {
  for (const auto& item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) return item.key();
  }
  return {};
}

}  // namespace bob::sign::detail
