// Fuzzes bob::oci::parse_www_authenticate (RFC 7235 challenges from a registry's 401) and the
// token scope parser the bearer flow applies to its `scope` parameter.
// Invariants: schemes and parameter names come back lower-case and non-empty; serialising the
// challenges again (quoted values, escapes) parses to the same challenges; scope atoms survive
// the merge into request parameters and back.
#include <algorithm>
#include <cctype>

#include "bob/oci.h"
#include "fuzz_common.h"
#include "oci_internal.h"

namespace {

using bob::oci::Challenge;

bool is_lower(const std::string& s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
}

bool token68_only(const Challenge& c) {
  auto it = c.params.find("token68");
  if (it == c.params.end()) return false;
  if (c.params.size() != 1 || it->second.empty()) return false;
  std::size_t end = it->second.find_last_not_of('=');
  if (end == std::string::npos) return false;
  return std::all_of(it->second.begin(), it->second.begin() + static_cast<long>(end) + 1,
                     [](char ch) {
                       return std::isalnum(static_cast<unsigned char>(ch)) ||
                              std::string_view("-._~+/").find(ch) != std::string_view::npos;
                     });
}

std::string quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// nullopt when a challenge cannot be written back unambiguously (a parameter literally named
// token68 next to others).
std::optional<std::string> serialise(const std::vector<Challenge>& challenges) {
  std::string out;
  for (const auto& c : challenges) {
    if (!out.empty()) out += ", ";
    out += c.scheme;
    if (token68_only(c)) {
      out += " " + c.params.at("token68");
      continue;
    }
    if (c.params.count("token68")) return std::nullopt;
    bool first = true;
    for (const auto& [name, value] : c.params) {
      out += first ? " " : ", ";
      out += name + "=" + quote(value);
      first = false;
    }
  }
  return out;
}

std::string describe(const std::vector<Challenge>& challenges) {
  std::string out;
  for (const auto& c : challenges) {
    out += "[" + c.scheme;
    for (const auto& [k, v] : c.params) out += " " + k + "=" + quote(v);
    out += "]";
  }
  return out;
}

bool same(const std::vector<Challenge>& a, const std::vector<Challenge>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].scheme != b[i].scheme || a[i].params != b[i].params) return false;
  }
  return true;
}

void check_scopes(const std::string& scope) {
  auto atoms = bob::oci::detail::scope_atoms(scope);
  std::string merged;
  for (const auto& param : bob::oci::detail::scope_params(atoms)) {
    merged += (merged.empty() ? "" : " ") + param;
  }
  BOB_FUZZ_CHECK(bob::oci::detail::scope_atoms(merged) == atoms, scope + " -> " + merged);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bob::fuzz::quiet_logs();
  std::string_view text = bob::fuzz::as_text(data, size);
  check_scopes(std::string(text));
  std::vector<Challenge> challenges;
  try {
    challenges = bob::oci::parse_www_authenticate(text);
  } catch (const bob::Error&) {
    return 0;
  }
  BOB_FUZZ_CHECK(!challenges.empty(), std::string(text));
  for (const auto& c : challenges) {
    BOB_FUZZ_CHECK(!c.scheme.empty() && is_lower(c.scheme), describe(challenges));
    for (const auto& [name, value] : c.params) {
      BOB_FUZZ_CHECK(!name.empty() && is_lower(name), describe(challenges));
    }
    auto scope = c.params.find("scope");
    if (scope != c.params.end()) check_scopes(scope->second);
  }
  auto again_text = serialise(challenges);
  if (!again_text) return 0;
  std::vector<Challenge> again;
  try {
    again = bob::oci::parse_www_authenticate(*again_text);
  } catch (const bob::Error& e) {
    bob::fuzz::invariant_failed("serialised challenges parse", __FILE__, __LINE__,
                                *again_text + ": " + e.what());
  }
  BOB_FUZZ_CHECK(same(challenges, again), describe(challenges) + " vs " + describe(again));
  return 0;
}
