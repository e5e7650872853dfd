// Text to JSON (with positions) and JSON to canonical YAML. See document.h.
#include "document.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <string_view>
#include <unordered_set>

#include "bob/error.h"
#include "yaml_stream.h"

namespace bob::profile::detail {

namespace {

// --- input hygiene ---------------------------------------------------------------------------

Position position_of_offset(const std::string& text, std::size_t offset) {
  Position p;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++p.line;
      p.column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++p.column;  // count code points, not bytes
    }
  }
  return p;
}

// The length of the well-formed UTF-8 sequence at text[i], or 0 when there is none. Per Unicode
// Table 3-7: the lead byte fixes the length and the range of the second byte (which excludes
// overlong forms, surrogates and code points > U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  unsigned char second_low = 0x80, second_high = 0xBF;
  if (c < 0x80) length = 1;
  else if (c >= 0xC2 && c <= 0xDF) length = 2;
  else if (c == 0xE0) length = 3, second_low = 0xA0;
  else if (c >= 0xE1 && c <= 0xEC) length = 3;
  else if (c == 0xED) length = 3, second_high = 0x9F;
  else if (c >= 0xEE && c <= 0xEF) length = 3;
  else if (c == 0xF0) length = 4, second_low = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) length = 4;
  else if (c == 0xF4) length = 4, second_high = 0x8F;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    auto next = static_cast<unsigned char>(text[i + k]);
    bool ok = k == 1 ? next >= second_low && next <= second_high : (next & 0xC0) == 0x80;
    if (!ok) return 0;
  }
  return length;
}

// Rejects bytes no YAML or JSON document may hold (invalid UTF-8, control characters), before a
// parser sees them, so the error can name the exact spot.
void check_characters(const std::string& text, const std::string& source) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = utf8_sequence_length(text, i);
    bool ok = length != 0;
    if (ok && length == 1 && c < 0x20) ok = c == '\t' || c == '\n' || c == '\r';
    if (ok && c == 0x7F) ok = false;
    if (!ok) {
      fail(Exit::usage,
           located(source, position_of_offset(text, i)) +
               ": the file holds a byte that is not valid UTF-8 text or is a control character",
           "profiles are UTF-8 YAML or JSON; check the file is not binary or in another encoding");
    }
    i += length;
  }
}

// JSON when the first significant character opens an array or an object whose first key is
// quoted; `{{` (a Helm template) and YAML flow mappings with plain keys go to the YAML parser.
bool looks_like_json(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return false;
  if (text[first] == '[') return true;
  if (text[first] != '{') return false;
  auto next = text.find_first_not_of(" \t\r\n", first + 1);
  return next != std::string::npos && (text[next] == '"' || text[next] == '}');
}

// Nesting depth of brackets outside strings; flow-style input is the only way to nest deeply in
// few bytes, and both parsers recurse.
void check_flow_depth(const std::string& text, const std::string& source) {
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == '\\' && quote == '"') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"') quote = '"';
    else if (c == '\'' && i > 0 && std::string_view(" \t\n[{,:").find(text[i - 1]) != std::string_view::npos) quote = '\'';
    else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n')) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) {
        fail(Exit::usage,
             located(source, position_of_offset(text, i)) + ": nesting is deeper than " +
                 std::to_string(kMaxDepth) + " levels",
             "a profile is a few levels deep; this input is malformed or hostile");
      }
    } else if (c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    }
  }
}

// Too many keys in one mapping is hostile input, not a profile.
void check_key_count(std::size_t count, const std::string& source, Position where) {
  if (count <= kMaxKeysPerMapping) return;
  fail(Exit::usage, located(source, where) + ": a mapping has more than " +
                        std::to_string(kMaxKeysPerMapping) + " keys",
       "a profile's mappings hold a few dozen keys; this input is malformed or hostile");
}

// --- JSON ----------------------------------------------------------------------------------------

// Walks JSON text that nlohmann already accepted and records where each value starts.
class JsonPositionScanner {
 public:
  JsonPositionScanner(const std::string& text, const std::string& source, Document& document)
      : text_(text), source_(source), document_(document) {}

  // Builds the value as it goes: inserting into an ordered_json object by key is a linear
  // search, so a parse into it is quadratic in the keys of one object.
  void run() { document_.value = value(""); }

 private:
  void skip_space() {
    while (i_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[i_]))) advance();
  }
  void advance() {
    auto c = static_cast<unsigned char>(text_[i_++]);
    if (c == '\n') {
      ++position_.line;
      position_.column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++position_.column;
    }
  }
  std::string string_token() {
    std::size_t begin = i_;
    advance();  // opening quote
    while (i_ < text_.size() && text_[i_] != '"') {
      if (text_[i_] == '\\') advance();
      advance();
    }
    advance();  // closing quote
    return Json::parse(text_.substr(begin, i_ - begin)).get<std::string>();
  }
  Json value(const std::string& pointer) {
    skip_space();
    document_.positions[pointer] = position_;
    if (i_ >= text_.size()) return nullptr;
    char c = text_[i_];
    if (c == '{') {
      advance();
      Json object = Json::object();
      auto& members = object.get_ref<Json::object_t&>();
      std::unordered_set<std::string> seen;
      skip_space();
      while (i_ < text_.size() && text_[i_] != '}') {
        Position key_position = position_;
        std::string key = string_token();
        if (!seen.insert(key).second) {
          fail(Exit::usage, located(source_, key_position) + ": duplicate key '" + key + "'",
               "each key may appear once in an object; remove one of them");
        }
        check_key_count(seen.size(), source_, key_position);
        skip_space();
        advance();  // ':'
        members.emplace_back(key, value(pointer + "/" + escape_pointer_token(key)));
        skip_space();
        if (i_ < text_.size() && text_[i_] == ',') advance();
        skip_space();
      }
      advance();
      return object;
    }
    if (c == '[') {
      advance();
      skip_space();
      Json array = Json::array();
      int index = 0;
      while (i_ < text_.size() && text_[i_] != ']') {
        array.push_back(value(pointer + "/" + std::to_string(index++)));
        skip_space();
        if (i_ < text_.size() && text_[i_] == ',') advance();
        skip_space();
      }
      advance();
      return array;
    }
    if (c == '"') return string_token();
    std::size_t begin = i_;
    Position start = position_;
    while (i_ < text_.size() && std::string_view(",]} \t\r\n").find(text_[i_]) == std::string_view::npos) {
      advance();
    }
    std::string token = text_.substr(begin, i_ - begin);
    try {
      return Json::parse(token);
    } catch (const Json::exception&) {
      // 1e999: valid JSON syntax, but no double holds it (found by fuzz_profile_json).
      fail(Exit::usage, located(source_, start) + ": invalid JSON: the number " +
                            token.substr(0, 40) + " is out of range",
           "write a number a 64-bit float can hold");
    }
  }

  const std::string& text_;
  const std::string& source_;
  Document& document_;
  std::size_t i_ = 0;
  Position position_;
};

std::vector<Document> parse_json(const std::string& text, const std::string& source) {
  Document document;
  try {
    // Syntax check only, into a hash-free tree whose key insertion is logarithmic; the scanner
    // then builds the ordered value.
    // (Held in a block: GCC's warn_unused_result cannot be silenced with a void cast.)
    { const auto syntax_checked = nlohmann::json::parse(text); }
  } catch (const Json::out_of_range&) {
    // A number no double holds; the scanner below stops at it with its position. The text
    // before it passed the syntax check.
  } catch (const Json::parse_error& e) {
    std::string message = e.what();
    auto colon = message.rfind(": ");
    if (colon != std::string::npos) message = message.substr(colon + 2);
    std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    fail(Exit::usage, located(source, position_of_offset(text, offset)) + ": invalid JSON: " + message,
         "fix the JSON syntax at that spot (a missing comma, quote or bracket)");
  }
  JsonPositionScanner(text, source, document).run();
  document.start = document.positions[""];
  std::vector<Document> documents;
  documents.push_back(std::move(document));
  return documents;
}

// --- YAML ----------------------------------------------------------------------------------------

bool is_decimal(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_float(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  std::size_t i = 0;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == s.size();
}

// YAML 1.2 core schema resolution of a plain (unquoted) scalar.
// Limitation: Kubernetes' own YAML reader follows YAML 1.1, where unquoted yes/no/on/off are
// booleans; bob reads them as strings (1.2). bob always quotes such strings when it writes.
Json resolve_plain(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (is_decimal(s)) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0) return v;
    return std::strtod(s.c_str(), nullptr);
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    bool hex = s[1] == 'x';
    bool ok = std::all_of(s.begin() + 2, s.end(), [hex](char c) {
      return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '7');
    });
    if (ok && s.size() <= 18) return std::strtoll(s.c_str() + 2, nullptr, hex ? 16 : 8);
  }
  if (is_float(s)) {
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower.find("nan") != std::string::npos || lower.find("inf") != std::string::npos) {
      return s;  // JSON has no NaN or infinity; keep the text rather than lose it
    }
    return std::strtod(s.c_str(), nullptr);
  }
  return s;
}

class YamlConverter {
 public:
  YamlConverter(const std::string& source, Document& document, std::size_t byte_budget)
      : source_(source), document_(document), byte_budget_(byte_budget) {}

  Json convert(const YAML::Node& node, const std::string& pointer, int depth, Position parent) {
    if (++nodes_ > kMaxNodes) {
      fail(Exit::usage, located(source_, parent) + ": the document expands to more than " +
                            std::to_string(kMaxNodes) + " values",
           "this looks like an alias bomb (anchors referring to anchors); profiles need no aliases");
    }
    if (depth > kMaxDepth) {
      fail(Exit::usage, located(source_, parent) + ": nesting is deeper than " +
                            std::to_string(kMaxDepth) + " levels",
           "a profile is a few levels deep; this input is malformed or hostile");
    }
    Position here = parent;
    const YAML::Mark mark = node.Mark();
    if (mark.line >= 0 && mark.column >= 0) here = {mark.line + 1, mark.column + 1};
    document_.positions[pointer] = here;
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        count_bytes(node.Scalar().size(), here);
        return scalar(node);
      case YAML::NodeType::Sequence: {
        Json array = Json::array();
        int index = 0;
        for (const auto& item : node) {
          array.push_back(convert(item, pointer + "/" + std::to_string(index++), depth + 1, here));
        }
        return array;
      }
      case YAML::NodeType::Map: {
        Json object = Json::object();
        auto& members = object.get_ref<Json::object_t&>();
        std::unordered_set<std::string> seen;
        for (const auto& entry : node) {
          Position key_position = here;
          const YAML::Mark key_mark = entry.first.Mark();
          if (key_mark.line >= 0) key_position = {key_mark.line + 1, key_mark.column + 1};
          if (!entry.first.IsScalar()) {
            fail(Exit::usage, located(source_, key_position) + ": a mapping key is not a plain string",
                 "profiles use string keys only");
          }
          std::string key = entry.first.Scalar();
          if (!seen.insert(key).second) {
            fail(Exit::usage, located(source_, key_position) + ": duplicate key '" + key + "'",
                 "each key may appear once in a mapping; remove one of them");
          }
          check_key_count(seen.size(), source_, key_position);
          count_bytes(key.size(), key_position);
          members.emplace_back(key, convert(entry.second, pointer + "/" + escape_pointer_token(key),
                                            depth + 1, key_position));
        }
        return object;
      }
    }
    return nullptr;
  }

 private:
  // Aliases repeat a scalar without repeating its bytes, so a few large anchored scalars can
  // expand to gigabytes while the node count stays small; count the bytes produced.
  void count_bytes(std::size_t bytes, Position where) {
    bytes_ += bytes;
    if (bytes_ <= byte_budget_) return;
    fail(Exit::usage, located(source_, where) + ": alias expansion exceeds " +
                          std::to_string(byte_budget_ >> 20) + " MiB of text",
         "this looks like an alias bomb (anchors referring to large values); profiles need no "
         "aliases");
  }

  static Json scalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "?") return resolve_plain(text);
    if (tag == "tag:yaml.org,2002:str" || tag == "!") return text;
    if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
        tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
      return resolve_plain(text);
    }
    return text;  // an unknown explicit tag: keep the text
  }

  const std::string& source_;
  Document& document_;
  std::size_t byte_budget_;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
};

std::vector<Document> parse_yaml(const std::string& text, const std::string& source) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = load_all_yaml(text);
  } catch (const YAML::Exception& e) {
    Position p{e.mark.line + 1, e.mark.column + 1};
    std::string what = "invalid YAML: ";
    std::string hint = "fix the YAML syntax at that spot (indentation, a quote, a colon)";
    if (text.find("{{") != std::string::npos) {
      what = "not YAML but an unrendered Helm template: ";
      hint = "the file contains Helm template placeholders `{{ ... }}`: it is a chart template, "
             "not YAML; render it first with `helm template`";
    }
    fail(Exit::usage, located(source, p) + ": " + what + e.msg, hint);
  }
  std::vector<Document> documents;
  for (const auto& node : nodes) {
    if (node.IsNull()) continue;  // an empty document, e.g. a trailing `---`
    Document document;
    YamlConverter converter(source, document, std::max(kMinExpansionBytes, 8 * text.size()));
    Position start{node.Mark().line + 1, node.Mark().column + 1};
    document.value = converter.convert(node, "", 0, start);
    document.start = start;
    documents.push_back(std::move(document));
  }
  return documents;
}

// --- YAML output ---------------------------------------------------------------------------

bool resolves_to_non_string(const std::string& s) {
  static const char* const kWords[] = {
      "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
      "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "=", "<<"};
  // Every word is at most five bytes: longer strings (most of a profile) skip the list.
  if (s.size() <= 5) {
    for (const char* word : kWords) {
      if (s == word) return true;
    }
  }
  if (is_decimal(s) || is_float(s)) return true;
  // YAML 1.1 readers also take 0x.., 0b.., 1_000, 1:30 (base 60) and 1.2e3 as numbers.
  std::string_view v(s);
  if (v[0] == '-' || v[0] == '+') v.remove_prefix(1);
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'b')) {
    bool hex = v[1] == 'x';
    if (std::all_of(v.begin() + 2, v.end(), [hex](char c) {
          return c == '_' || (hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c == '0' || c == '1'));
        })) {
      return true;
    }
  }
  if (!v.empty() && (std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '.') &&
      std::any_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
      std::all_of(v.begin(), v.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || std::string_view("_.:eE+-").find(c) != std::string_view::npos;
      })) {
    return true;
  }
  if (s.size() >= 8 && std::isdigit(static_cast<unsigned char>(s[0])) &&
      std::isdigit(static_cast<unsigned char>(s[1])) && std::isdigit(static_cast<unsigned char>(s[2])) &&
      std::isdigit(static_cast<unsigned char>(s[3])) && s[4] == '-') {
    return true;  // a timestamp to YAML 1.1
  }
  return false;
}

// Letters, digits and underscores, starting with a letter (O_RDONLY, NET_ADMIN, ...): of those,
// YAML 1.1 readers take only the words of resolves_to_non_string's list for something else.
bool is_identifier(const std::string& s) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return letter(c) || (c >= '0' && c <= '9') || c == '_';
  });
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  // Every open of a recorded profile has its flags, all identifiers: decided in one pass.
  if (is_identifier(s)) return s.size() <= 5 && resolves_to_non_string(s);
  // An absolute path (most strings of a profile) is never a YAML word, number or timestamp.
  if (s.front() != '/' && resolves_to_non_string(s)) return true;
  char first = s.front();
  if (std::string_view("?:,[]{}#&*!|>'\"%@` \t").find(first) != std::string_view::npos) return true;
  if (first == '-' && (s.size() == 1 || s[1] == ' ')) return true;
  if (s.back() == ' ' || s.back() == ':' || s.back() == '\t') return true;
  if (s.size() == 3 && (s == "---" || s == "...")) return true;
  // One pass: this runs for every path of a recorded profile. Most bytes are printable ASCII
  // other than ':' and are passed over with one table lookup.
  static constexpr auto kLookCloser = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) table[c] = c <= 0x20 || c >= 0x7F || c == ':';
    return table;
  }();
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!kLookCloser[c]) continue;
    if (c == ':') {
      if (i + 1 < s.size() && s[i + 1] == ' ') return true;  // "key: value"
      continue;
    }
    if (c == ' ') {
      if (i + 1 < s.size() && s[i + 1] == '#') return true;  // " #comment"
      continue;
    }
    if (c < 0x20 || c == 0x7F) return true;
    // U+0085, U+2028, U+2029 and U+FEFF are line breaks or a BOM to some readers.
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) return true;
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      return true;
    }
    if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB &&
        static_cast<unsigned char>(s[i + 2]) == 0xBF) {
      return true;
    }
  }
  return false;
}

std::string double_quoted(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          static const char* kHex = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
          out += "\\N";
          ++i;
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
          out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\L" : "\\P";
          i += 2;
        } else if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB &&
                   static_cast<unsigned char>(s[i + 2]) == 0xBF) {
          out += "\\uFEFF";
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string scalar_text(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      return needs_quotes(s) ? double_quoted(s) : s;
    }
    case Json::value_t::object: return "{}";
    case Json::value_t::array: return "[]";
    default: return v.dump();
  }
}

bool is_block(const Json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

// Where emitted YAML goes: a buffer that is handed to `sink` in pieces of about 64 KiB when a
// sink is given, so that a large profile is never held whole as text.
class YamlOut {
 public:
  YamlOut(const TextSink* sink, const DeferredLists* lists) : sink_(sink), lists_(lists) {}
  const DeferredLists* lists() const { return lists_; }
  YamlOut& operator+=(std::string_view text) {
    text_.append(text);
    return *this;
  }
  YamlOut& operator+=(char c) {
    text_.push_back(c);
    return *this;
  }
  void append(std::size_t count, char c) { text_.append(count, c); }
  std::string& text() { return text_; }
  // Called between entries: passes the buffer on once it is large enough.
  void entry_done() {
    if (sink_ && text_.size() >= kChunkBytes) flush();
  }
  void flush() {
    if (sink_ && !text_.empty()) (*sink_)(text_);
    if (sink_) text_.clear();
  }
  std::string take() { return std::move(text_); }

 private:
  static constexpr std::size_t kChunkBytes = 64u << 10;
  const TextSink* sink_;
  const DeferredLists* lists_;
  std::string text_;
};

void emit_value(const Json& v, int indent, YamlOut& out);
void emit_sequence_item(const Json& item, int indent, std::string_view pad, YamlOut& out);
void emit_deferred(const Json& marker, int indent, YamlOut& out);

// YAML limits an implicit key (`key: value`) to 1024 characters; a longer one needs the explicit
// form. Bytes are counted, which is never fewer than characters, and the margin keeps room for
// the quotes.
constexpr std::size_t kMaxImplicitKeyBytes = 1000;

void append_scalar(const Json& v, YamlOut& out) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (needs_quotes(s)) out += double_quoted(s); else out += s;
    return;
  }
  out += scalar_text(v);
}

// `? key` then `: value`; a block value goes below, indented, so a sequence is valid there too.
// `lead` is what starts the first line: the indentation, or nothing when a "- " precedes it.
void emit_explicit_entry(const std::string& key_text, const Json& value, int indent,
                         std::string_view lead, YamlOut& out) {
  out += lead;
  out += "? ";
  out += key_text;
  out += '\n';
  out.append(static_cast<std::size_t>(indent), ' ');
  out += ':';
  if (!is_block(value)) {
    out += ' ';
    append_scalar(value, out);
    out += '\n';
    return;
  }
  out += '\n';
  emit_value(value, indent + 2, out);
}

// The entries of an object at `indent`. With `inline_first`, the first line gets no indentation:
// it follows the "- " of a sequence item.
void emit_object(const Json& v, int indent, YamlOut& out, bool inline_first = false) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  bool first = true;
  for (const auto& [key, value] : v.items()) {
    std::string_view lead = first && inline_first ? std::string_view() : std::string_view(pad);
    first = false;
    std::string key_text = needs_quotes(key) ? double_quoted(key) : key;
    if (key_text.size() > kMaxImplicitKeyBytes) {
      emit_explicit_entry(key_text, value, indent, lead, out);
      continue;
    }
    out += lead;
    out += key_text;
    out += ':';
    if (value.is_binary() && out.lists()) {
      emit_deferred(value, indent, out);
    } else if (!is_block(value)) {
      out += ' ';
      append_scalar(value, out);
      out += '\n';
    } else if (value.is_object()) {
      out += '\n';
      emit_object(value, indent + 2, out);
    } else {
      out += '\n';
      emit_value(value, indent, out);  // sequences sit at their key's indentation, as kubectl does
    }
    out.entry_done();
  }
}

void emit_value(const Json& v, int indent, YamlOut& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    emit_object(v, indent, out);
    return;
  }
  if (!v.is_array()) {
    out += pad;
    append_scalar(v, out);
    out += '\n';
    return;
  }
  for (const auto& item : v) emit_sequence_item(item, indent, pad, out);
}

// A sequence item at `indent`, as emit_value writes each item of an array.
void emit_sequence_item(const Json& item, int indent, std::string_view pad, YamlOut& out) {
  out += pad;
  if (!is_block(item)) {
    out += "- ";
    append_scalar(item, out);
    out += '\n';
  } else if (item.is_object()) {
    out += "- ";
    emit_object(item, indent + 2, out, true);
  } else {
    out += "-\n";
    emit_value(item, indent + 2, out);
  }
  out.entry_done();
}

// A deferred list after its key's colon: " []" when empty, else its items below, at the key's
// indentation, exactly as emit_value writes an array.
void emit_deferred(const Json& marker, int indent, YamlOut& out) {
  std::size_t count = out.lists()->size(marker);
  if (count == 0) {
    out += " []\n";
    return;
  }
  out += '\n';
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  const auto& write_item = out.lists()->write_item;
  for (std::size_t i = 0; i < count; ++i) {
    if (write_item && write_item(marker, i, pad, out.text())) {
      out.entry_done();
      continue;
    }
    emit_sequence_item(out.lists()->item(marker, i), indent, pad, out);
  }
}

}  // namespace

void append_yaml_scalar(std::string& out, const std::string& text) {
  if (needs_quotes(text)) out += double_quoted(text); else out += text;
}

Position Document::where(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = positions.find(p);
    if (it != positions.end()) return it->second;
    if (p.empty()) return start;
    p = p.substr(0, p.rfind('/'));
  }
}

std::string located(const std::string& source, Position position) {
  return source + ":" + std::to_string(position.line) + ":" + std::to_string(position.column);
}

std::string escape_pointer_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::vector<Document> parse_documents(const std::string& text, const std::string& source_name) {
  if (text.size() > kMaxInputBytes) {
    fail(Exit::usage, source_name + ": the file is " + std::to_string(text.size() >> 20) +
                          " MiB, more than the " + std::to_string(kMaxInputBytes >> 20) +
                          " MiB a profile may have",
         "a real profile is well under a megabyte; check the file is the profile you meant");
  }
  check_characters(text, source_name);
  check_flow_depth(text, source_name);
  if (looks_like_json(text)) return parse_json(text, source_name);
  return parse_yaml(text, source_name);
}

void emit_yaml(const Json& value, const TextSink& sink, const DeferredLists& lists) {
  YamlOut out(&sink, &lists);
  if (is_block(value)) {
    emit_value(value, 0, out);
  } else {
    append_scalar(value, out);
    out += '\n';
  }
  out.flush();
}

std::string emit_yaml(const Json& value) {
  YamlOut out(nullptr, nullptr);
  if (is_block(value)) {
    emit_value(value, 0, out);
  } else {
    append_scalar(value, out);
    out += '\n';
  }
  return out.take();
}

Json sorted_keys(const Json& value) { return sorted_keys(Json(value)); }

// Moves the values into their new places instead of copying them: a recorded profile's tree is
// megabytes, and a deep copy of it was a large share of bob record's peak memory.
Json sorted_keys(Json&& value) {
  if (value.is_array()) {
    for (auto& item : value.get_ref<Json::array_t&>()) item = sorted_keys(std::move(item));
    return std::move(value);
  }
  if (!value.is_object()) return std::move(value);
  std::vector<Json::object_t::value_type*> members_in;
  for (auto& member : value.get_ref<Json::object_t&>()) members_in.push_back(&member);
  std::sort(members_in.begin(), members_in.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  Json out = Json::object();
  auto& members = out.get_ref<Json::object_t&>();
  members.reserve(members_in.size());
  for (auto* member : members_in)
    members.emplace_back(member->first, sorted_keys(std::move(member->second)));
  return out;
}

}  // namespace bob::profile::detail

namespace bob::profile {

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = detail::utf8_sequence_length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = detail::utf8_sequence_length(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    out.append(text, i, length);
    i += length;
  }
  return out;
}

}  // namespace bob::profile
