// Network matching: DNS name patterns, IP literals/CIDRs and HTTP endpoints
// (profile-format.md §6.3 and §8.2).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>

#include "segments.h"

namespace bob::match {
namespace {

// ---- DNS ----------------------------------------------------------------------------------

std::string canonical_dns(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Splits a canonical name into labels; an empty label anywhere makes the name invalid.
bool split_labels(const std::string& canonical, detail::Segments& labels) {
  if (canonical.empty()) return false;
  detail::split_into(canonical, '.', labels);
  return std::none_of(labels.begin(), labels.end(), [](auto l) { return l.empty(); });
}

bool dns_pattern_is_valid(const detail::Segments& labels) {
  if (std::any_of(labels.begin(), labels.end(), [](auto l) { return l == "**"; })) return false;
  // A lone `*` would match every single-label name; storage rejects it, and so do we.
  return !(labels.size() == 1 && labels[0] == kWildcard);
}

// ---- IP -----------------------------------------------------------------------------------

// An address as 16 bytes; IPv4 (and IPv4-mapped IPv6) are stored in the IPv4-mapped form so that
// `::ffff:10.0.0.1` and `10.0.0.1` compare equal, as Go's net.IP does.
struct Address {
  std::array<unsigned char, 16> bytes{};
  bool v4 = false;
};

bool is_v4_mapped(const std::array<unsigned char, 16>& b) {
  static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b.data(), prefix, 12) == 0;
}

std::optional<Address> parse_address(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string copy(text);
  Address a;
  unsigned char v4[4];
  if (inet_pton(AF_INET, copy.c_str(), v4) == 1) {
    a.bytes[10] = a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, v4, 4);
    a.v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, copy.c_str(), a.bytes.data()) == 1) {
    a.v4 = is_v4_mapped(a.bytes);
    return a;
  }
  return std::nullopt;
}

struct Cidr {
  Address network;
  int prefix_bits = 0;  // counted over the 16-byte form
};

std::optional<Cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  std::string_view bits_text = text.substr(slash + 1);
  int bits = -1;
  auto [end, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
  if (ec != std::errc() || end != bits_text.data() + bits_text.size() || bits_text.empty()) {
    return std::nullopt;
  }
  const bool written_as_v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  const int max_bits = written_as_v4 ? 32 : 128;
  if (bits < 0 || bits > max_bits) return std::nullopt;
  return Cidr{*address, written_as_v4 ? bits + 96 : bits};
}

bool cidr_contains(const Cidr& cidr, const Address& address) {
  int remaining = cidr.prefix_bits;
  for (std::size_t i = 0; i < 16 && remaining > 0; ++i, remaining -= 8) {
    const unsigned mask = remaining >= 8 ? 0xffu : (0xffu << (8 - remaining)) & 0xffu;
    if ((cidr.network.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

bool match_dns_name(std::string_view pattern, std::string_view name, Semantics semantics) {
  if (pattern.empty() || name.empty()) return false;
  if (semantics == Semantics::v2025) return pattern == name;
  const std::string pattern_text = canonical_dns(pattern);
  const std::string name_text = canonical_dns(name);
  detail::Segments want;
  detail::Segments have;
  if (!split_labels(pattern_text, want) || !dns_pattern_is_valid(want)) return false;
  if (!split_labels(name_text, have)) return false;
  std::size_t hi = 0;
  for (std::size_t wi = 0; wi < want.size(); ++wi) {
    const bool trailing_star = want[wi] == kWildcard && wi + 1 == want.size() && wi > 0;
    if (trailing_star) return hi < have.size();  // one or more labels
    if (hi >= have.size()) return false;
    // Leading `*`, `⋯` anywhere, and (defensively) a middle `*`: exactly one label.
    if (want[wi] != kWildcard && want[wi] != kDynamic && want[wi] != have[hi]) return false;
    ++hi;
  }
  return hi == have.size();
}

bool match_ip(std::string_view pattern, std::string_view address) {
  auto observed = parse_address(address);
  if (!observed || pattern.empty()) return false;
  if (pattern == kWildcard) return true;
  if (pattern.find('/') != std::string_view::npos) {
    auto cidr = parse_cidr(pattern);
    return cidr && cidr_contains(*cidr, *observed);
  }
  auto literal = parse_address(pattern);
  return literal && literal->bytes == observed->bytes;
}

bool is_valid_ip_pattern(std::string_view pattern) {
  if (pattern == kWildcard) return true;
  if (pattern.find('/') != std::string_view::npos) return parse_cidr(pattern).has_value();
  return parse_address(pattern).has_value();
}

std::string endpoint_string(int port, std::string_view path_and_query) {
  auto query = path_and_query.find('?');
  if (query != std::string_view::npos) path_and_query = path_and_query.substr(0, query);
  std::string out = ":" + std::to_string(port);
  out.append(path_and_query);
  return out;
}

bool match_endpoint(std::string_view profile_endpoint, std::string_view runtime_endpoint,
                    Semantics semantics) {
  if (profile_endpoint.empty() || runtime_endpoint.empty()) return false;
  const bool any_port = semantics == Semantics::v2026 &&
                        (profile_endpoint == ":0" || profile_endpoint.starts_with(":0/"));
  if (!any_port || runtime_endpoint.front() != ':') {
    return compare_dynamic(profile_endpoint, runtime_endpoint, semantics);
  }
  // Port 0 is the wildcard port: compare the paths with the runtime port rewritten to 0.
  auto slash = runtime_endpoint.find('/');
  std::string rewritten = ":0";
  if (slash != std::string_view::npos) rewritten.append(runtime_endpoint.substr(slash));
  return compare_dynamic(profile_endpoint, rewritten, semantics);
}

}  // namespace bob::match
