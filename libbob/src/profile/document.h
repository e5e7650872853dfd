// Internal: text (YAML or JSON) to JSON values with source positions, and JSON to canonical YAML.
//
// Validation needs to say where a problem is, so every value parsed keeps the line and column it
// started at, keyed by its JSON pointer. Both YAML and JSON input end up as nlohmann JSON, so the
// rest of the profile module only ever looks at one representation.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bob/profile.h"

namespace bob::profile::detail {

struct Position {
  int line = 1;  // 1-based
  int column = 1;  // 1-based
};

struct Document {
  Json value;
  std::map<std::string, Position> positions;  // JSON pointer -> where that value starts
  Position start;

  Position where(const std::string& pointer) const;  // nearest known ancestor's position
};

// Bounds that keep hostile input from exhausting memory or stack.
inline constexpr std::size_t kMaxInputBytes = 64u << 20;
inline constexpr int kMaxDepth = 256;
inline constexpr std::size_t kMaxNodes = 4'000'000;  // after alias expansion
inline constexpr std::size_t kMaxKeysPerMapping = 200'000;
// Text produced by YAML alias expansion: at least this, or 8 times the input size.
inline constexpr std::size_t kMinExpansionBytes = 64u << 20;

// Parses every document in `text`. JSON is detected by content (first significant character
// `{` or `[`); anything else is YAML, including multi-document streams. Throws Error(usage) with
// source:line:column on malformed input.
std::vector<Document> parse_documents(const std::string& text, const std::string& source_name);

// Deterministic block-style YAML for a JSON value. Keys are written in the order the value
// holds them; strings are quoted whenever a YAML 1.1 or 1.2 reader could take them for anything
// other than that string. UTF-8 is written as is (⋯ stays readable).
std::string emit_yaml(const Json& value);
// Where a writer finds the entries of a list it deferred: a binary value in the tree stands for
// a list of size(marker) entries, each produced by item(marker, i) only when it is written.
struct DeferredLists {
  std::function<std::size_t(const Json& marker)> size;
  std::function<Json(const Json& marker, std::size_t index)> item;
  // Optional: writes entry `index` as a sequence item at indentation `pad` straight into `out`,
  // byte for byte what item() would give, and returns true; returns false to leave the entry to
  // item(). Lets the bulk of a recorded profile skip its JSON form.
  std::function<bool(const Json& marker, std::size_t index, std::string_view pad,
                     std::string& out)>
      write_item;
};
// Appends `text` as a YAML scalar, quoted when emit_yaml would quote it.
void append_yaml_scalar(std::string& out, const std::string& text);
// The same, handed to `sink` in pieces (a large profile is never held whole as text); binary
// values are deferred lists, written as sequences through `lists`.
void emit_yaml(const Json& value, const TextSink& sink, const DeferredLists& lists);

// Returns a copy with the keys of every object sorted by byte order.
Json sorted_keys(const Json& value);
Json sorted_keys(Json&& value);

std::string located(const std::string& source, Position position);

// "a/b" -> "a~1b" for use inside a JSON pointer.
std::string escape_pointer_token(const std::string& token);

}  // namespace bob::profile::detail

namespace bob::profile::detail {
// The profiles in one parsed document: one, or the items of a *List kind. Throws Error(usage)
// with the location of the first value of the wrong type.
std::vector<Profile> profiles_of(const Document& document, const std::string& source);
}  // namespace bob::profile::detail
