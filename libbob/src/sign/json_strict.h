// Internal: JSON parsing for signed data, stricter than nlohmann's default.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace bob::sign::detail {

// Parses text, refusing duplicate object keys (two parsers could pick different values) and
// nesting deeper than 32. On failure returns nullopt and sets `error`.
std::optional<nlohmann::json> parse_strict(std::string_view text, std::string& error);

// The first key of `object` not in `allowed`, or "" when all are known.
std::string unknown_key(const nlohmann::json& object, std::initializer_list<std::string_view> allowed);

}  // namespace bob::sign::detail
