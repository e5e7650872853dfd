// generalize(): volatile segments, path collapsing, exec args and network portability, followed
// by a check that nothing the input allowed was lost.
#include <algorithm>
#include <map>
#include <set>

#include "analyzer.h"
#include "bob/generalize.h"
#include "bob/match.h"

namespace bob::generalize {
namespace {

using profile::Container;
using profile::Endpoint;
using profile::ExecCall;
using profile::NetworkNeighbor;
using profile::OpenCall;

const std::string kDyn(match::kDynamic);
const std::string kDynArgs(match::kDynamicArgs);

std::vector<std::string> sorted_union(const std::vector<std::string>& a,
                                      const std::vector<std::string>& b) {
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  return {all.begin(), all.end()};
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& segments, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  return out;
}

// Why `to` is more general than the paths in `from`, in one sentence.
std::string explain_path(const std::vector<std::string>& from, const std::string& to,
                         const CollapseConfig& config, bool endpoints) {
  std::set<std::string> volatile_kinds;
  for (const auto& f : from) {
    for (const auto& segment : split(f)) {
      if (auto reason = volatile_reason(segment); !reason.empty()) volatile_kinds.insert(reason);
    }
  }
  std::string reason;
  const bool repaired = std::any_of(from.begin(), from.end(), [](const std::string& f) {
    return !match::partial_segment_wildcards(f).empty();
  });
  if (repaired) reason = "partial-segment wildcards (matched literally by Kubescape) made whole";
  if (!volatile_kinds.empty()) {
    if (!reason.empty()) reason += "; ";
    reason += "volatile segments (";
    bool first = true;
    for (const auto& k : volatile_kinds) reason += (first ? "" : ", ") + k, first = false;
    reason += ")";
  }
  auto segments = split(to);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (segments[i] != kDyn && segments[i] != "*") continue;
    bool explained_by_volatile = std::all_of(from.begin(), from.end(), [&](const auto& f) {
      auto fs = split(f);
      return i < fs.size() && fs[i] != kDyn && !volatile_reason(fs[i]).empty();
    });
    if (explained_by_volatile) continue;
    std::string prefix = join(segments, i);
    if (prefix.empty()) prefix = "/";
    const int threshold = config.threshold_for(prefix, endpoints);
    std::string why = segments[i] == "*" && threshold == 1
                          ? "threshold 1 for " + prefix + ": everything below becomes *"
                          : prefix + " has more distinct entries than its threshold " +
                                std::to_string(threshold);
    if (segments[i] == "*" && threshold != 1) why += " (adjacent collapses joined into *)";
    reason += (reason.empty() ? "" : "; ") + why;
    break;
  }
  return reason.empty() ? "merged entries with the same generalized path" : reason;
}

// Concrete paths a pattern path allows: `⋯` as one probe segment, every `*` as one, two or (mid
// path) zero segments. Checking these instances is how a pattern input is compared with the
// output; a literal input is its own only instance.
std::vector<std::string> instances(const std::string& path) {
  if (!match::is_path_pattern(path)) return {path};
  std::vector<std::string> out;
  auto segments = split(path);
  for (int variant = 0; variant < 3; ++variant) {
    std::string s;
    bool skip_variant = false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      std::string piece = segments[i];
      if (piece == kDyn) piece = "bob-probe-a";
      if (piece == "*") {
        const bool last = i + 1 == segments.size();
        if (variant == 0) piece = "bob-probe-b";
        if (variant == 1) piece = "bob-probe-b/bob-probe-c";
        if (variant == 2) {
          if (last) {
            skip_variant = true;
            break;
          }
          continue;  // zero segments
        }
      }
      if (i > 0) s += '/';
      s += piece;
    }
    if (!skip_variant) out.push_back(s);
  }
  return out;
}

// ---- opens ------------------------------------------------------------------------------------

struct Opens {
  std::map<std::string, std::vector<std::string>> flags;       // generalized path -> flags
  std::map<std::string, std::vector<std::string>> sources;     // generalized path -> inputs
};

void add_open(Opens& opens, const std::string& path, const std::vector<std::string>& flags,
              const std::vector<std::string>& sources) {
  auto& f = opens.flags[path];
  f = sorted_union(f, flags);
  auto& s = opens.sources[path];
  s.insert(s.end(), sources.begin(), sources.end());
}

// storage's consolidateOpens: a literal entry covered by a pattern entry goes, and its flags go
// into the first covering pattern (in path order).
void consolidate(Opens& opens) {
  std::vector<std::string> patterns;
  for (const auto& [path, unused] : opens.flags) {
    if (match::is_path_pattern(path)) patterns.push_back(path);
  }
  std::vector<std::string> literals;
  for (const auto& [path, unused] : opens.flags) {
    if (!match::is_path_pattern(path)) literals.push_back(path);
  }
  for (const auto& literal : literals) {
    auto cover = std::find_if(patterns.begin(), patterns.end(), [&](const std::string& p) {
      return match::compare_dynamic(p, literal);
    });
    if (cover == patterns.end()) continue;
    add_open(opens, *cover, opens.flags[literal], opens.sources[literal]);
    opens.flags.erase(literal);
    opens.sources.erase(literal);
  }
}

void generalize_opens(Container& c, const Options& options, Result& result) {
  const auto& input = c.opens;
  std::vector<std::string> normalized;
  for (const auto& open : input) {
    normalized.push_back(repair_partial_wildcards(
        options.volatile_segments ? normalize_volatile_path(open.path) : open.path));
  }
  Opens opens;
  if (options.collapse_paths) {
    detail::PathAnalyzer analyzer(options.collapse, false);
    for (const auto& path : normalized) analyzer.analyze(path, "opens");
    Opens first;
    for (std::size_t i = 0; i < input.size(); ++i) {
      add_open(first, analyzer.analyze(normalized[i], "opens"), input[i].flags, {input[i].path});
    }
    // Storage re-analyzes the generalized paths against the primed trie once more.
    for (const auto& [path, flags] : first.flags) {
      add_open(opens, analyzer.analyze(path, "opens"), flags, first.sources[path]);
    }
    consolidate(opens);
  } else {
    for (std::size_t i = 0; i < input.size(); ++i) {
      add_open(opens, normalized[i], input[i].flags, {input[i].path});
    }
  }

  // Guarantee: every input open is still allowed with its flags. The collapser's re-analysis
  // can turn `/a/*` back into `/a/⋯`; any input it would lose is re-added in its volatile-
  // normalized form, which matches it by construction.
  std::vector<match::PathMatcher::Entry> entries;
  for (const auto& [path, flags] : opens.flags) entries.push_back({path, flags});
  match::PathMatcher matcher(std::move(entries));
  for (std::size_t i = 0; i < input.size(); ++i) {
    const auto probes = instances(input[i].path);
    if (std::all_of(probes.begin(), probes.end(), [&](const std::string& probe) {
          return matcher.matches(probe, input[i].flags);
        })) {
      continue;
    }
    add_open(opens, normalized[i], input[i].flags, {input[i].path});
    result.restored.push_back(c.name + ": open " + input[i].path + " -> " + normalized[i]);
  }

  std::vector<OpenCall> out;
  for (const auto& [path, flags] : opens.flags) {
    OpenCall open;
    open.path = path;
    open.flags = flags;
    out.push_back(std::move(open));
    const auto& from = opens.sources[path];
    if (from.size() == 1 && from[0] == path) continue;
    result.changes.push_back({c.name, "opens", from, path,
                              explain_path(from, path, options.collapse, false)});
  }
  c.opens = std::move(out);
}

// ---- endpoints --------------------------------------------------------------------------------

struct ParsedEndpoint {
  std::string port;
  std::string path;
};

ParsedEndpoint parse_endpoint(const std::string& endpoint) {
  if (endpoint.empty() || endpoint[0] != ':') return {"", endpoint};
  auto slash = endpoint.find('/');
  if (slash == std::string::npos) return {endpoint.substr(1), ""};
  return {endpoint.substr(1, slash - 1), endpoint.substr(slash)};
}

void merge_headers(profile::Json& into, const profile::Json& from) {
  if (!from.is_object()) return;
  if (!into.is_object()) into = profile::Json::object();
  for (const auto& [key, values] : from.items()) {
    std::vector<std::string> merged;
    auto collect = [&](const profile::Json& list) {
      if (!list.is_array()) return;
      for (const auto& v : list) {
        if (v.is_string()) merged.push_back(v.get<std::string>());
      }
    };
    if (into.contains(key)) collect(into[key]);
    collect(values);
    std::sort(merged.begin(), merged.end());
    merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
    into[key] = merged;
  }
}

void merge_endpoint(Endpoint& into, const Endpoint& from) {
  into.methods = sorted_union(into.methods, from.methods);
  merge_headers(into.headers, from.headers);
}

// Host header values name this cluster's services; rewrite them with the DNS patterns.
void rewrite_host_headers(Endpoint& e, const NetworkConfig& network) {
  if (network.dns_patterns.empty() || !e.headers.is_object()) return;
  for (auto& [key, values] : e.headers.items()) {
    if (key != "Host" && key != "host") continue;
    if (!values.is_array()) continue;
    std::set<std::string> rewritten;
    for (const auto& v : values) {
      if (!v.is_string()) continue;
      std::string host = v.get<std::string>();
      std::string port;
      if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
        port = host.substr(colon);
        host = host.substr(0, colon);
      }
      for (const auto& pattern : network.dns_patterns) {
        if (match::match_dns_name(pattern, host)) {
          host = pattern.back() == '.' ? pattern.substr(0, pattern.size() - 1) : pattern;
          break;
        }
      }
      rewritten.insert(host + port);
    }
    values = std::vector<std::string>(rewritten.begin(), rewritten.end());
  }
}

bool endpoint_allows(const Endpoint& rule, const Endpoint& event) {
  if (rule.direction != event.direction) return false;
  if (!match::match_endpoint(rule.endpoint, event.endpoint)) return false;
  return match::flags_subset(event.methods, rule.methods) || rule.methods.empty();
}

void generalize_endpoints(Container& c, const Options& options, Result& result) {
  const auto input = c.endpoints;
  std::vector<std::string> normalized;
  for (const auto& e : input) {
    auto parsed = parse_endpoint(e.endpoint);
    if (options.volatile_segments) parsed.path = normalize_volatile_path(parsed.path);
    parsed.path = repair_partial_wildcards(parsed.path);
    normalized.push_back(":" + parsed.port + parsed.path);
  }
  std::vector<std::string> generalized = normalized;
  if (options.collapse_paths) {
    detail::PathAnalyzer analyzer(options.collapse, true);
    for (const auto& e : normalized) {
      auto parsed = parse_endpoint(e);
      if (!parsed.path.empty()) analyzer.analyze(parsed.path, parsed.port);
    }
    for (auto& e : generalized) {
      auto parsed = parse_endpoint(e);
      if (!parsed.path.empty()) e = ":" + parsed.port + analyzer.analyze(parsed.path, parsed.port);
    }
  }
  // Merge on (endpoint, direction, internal).
  std::map<std::tuple<std::string, std::string, bool>, Endpoint> merged;
  std::map<std::tuple<std::string, std::string, bool>, std::vector<std::string>> sources;
  for (std::size_t i = 0; i < input.size(); ++i) {
    Endpoint e = input[i];
    e.endpoint = generalized[i];
    rewrite_host_headers(e, options.network);
    auto key = std::make_tuple(e.endpoint, e.direction, e.internal);
    sources[key].push_back(input[i].endpoint);
    auto it = merged.find(key);
    if (it == merged.end()) {
      merged.emplace(key, e);
    } else {
      merge_endpoint(it->second, e);
    }
  }
  // 2026: concrete ports fold into an existing `:0` sibling with the same path.
  for (auto it = merged.begin(); it != merged.end();) {
    auto parsed = parse_endpoint(std::get<0>(it->first));
    auto wildcard = std::make_tuple(":0" + parsed.path, std::get<1>(it->first),
                                    std::get<2>(it->first));
    auto target = merged.find(wildcard);
    if (parsed.port == "0" || target == merged.end()) {
      ++it;
      continue;
    }
    merge_endpoint(target->second, it->second);
    auto& s = sources[wildcard];
    s.insert(s.end(), sources[it->first].begin(), sources[it->first].end());
    sources.erase(it->first);
    it = merged.erase(it);
  }
  std::vector<Endpoint> out;
  for (auto& [key, e] : merged) out.push_back(e);
  for (std::size_t i = 0; i < input.size(); ++i) {
    bool allowed = std::any_of(out.begin(), out.end(),
                               [&](const Endpoint& r) { return endpoint_allows(r, input[i]); });
    if (allowed) continue;
    Endpoint e = input[i];
    e.endpoint = normalized[i];
    out.push_back(e);
    result.restored.push_back(c.name + ": endpoint " + input[i].endpoint);
  }
  for (const auto& [key, from] : sources) {
    if (from.size() == 1 && from[0] == std::get<0>(key)) continue;
    std::vector<std::string> paths;
    for (const auto& f : from) paths.push_back(parse_endpoint(f).path);
    result.changes.push_back({c.name, "endpoints", from, std::get<0>(key),
                              explain_path(paths, parse_endpoint(std::get<0>(key)).path,
                                           options.collapse, true)});
  }
  c.endpoints = std::move(out);
}

// ---- execs ------------------------------------------------------------------------------------

std::string generalize_arg(const std::string& arg) {
  if (arg == kDyn || arg == kDynArgs) return arg;
  if (!volatile_reason(arg).empty()) return kDyn;
  // A path argument with a volatile segment becomes a whole `⋯`: Kubescape can compare such a
  // token segment-wise, but `bob validate` asks for whole-argument wildcards only.
  if (arg.find('/') != std::string::npos && normalize_volatile_path(arg) != arg) return kDyn;
  return arg;
}

void generalize_execs(Container& c, const Options& options, Result& result) {
  std::map<std::string, std::vector<ExecCall>> by_path;
  std::vector<std::string> order;
  for (const auto& e : c.execs) {
    if (!by_path.count(e.path)) order.push_back(e.path);
    by_path[e.path].push_back(e);
  }
  std::vector<ExecCall> out;
  for (const auto& path : order) {
    const auto& group = by_path[path];
    std::vector<ExecCall> rewritten;
    for (const auto& e : group) {
      ExecCall copy = e;
      for (auto& a : copy.args) a = generalize_arg(a);
      auto same = std::find_if(rewritten.begin(), rewritten.end(), [&](const ExecCall& r) {
        return r.args == copy.args && r.args_required == copy.args_required;
      });
      if (same == rewritten.end()) {
        rewritten.push_back(copy);
      } else {
        same->envs = sorted_union(same->envs, copy.envs);
      }
    }
    const bool unconstrained = std::any_of(group.begin(), group.end(), [](const ExecCall& e) {
      return e.args.empty() && !e.args_required.value_or(false);
    });
    if (static_cast<int>(rewritten.size()) > options.exec_args_threshold && !unconstrained) {
      // Keep the common leading args, then any run.
      std::vector<std::string> prefix = rewritten.front().args;
      std::vector<std::string> envs;
      for (const auto& r : rewritten) {
        std::size_t n = 0;
        while (n < prefix.size() && n < r.args.size() && prefix[n] == r.args[n]) ++n;
        prefix.resize(n);
        envs = sorted_union(envs, r.envs);
      }
      prefix.push_back(kDynArgs);
      ExecCall folded = rewritten.front();
      folded.args = prefix;
      folded.envs = envs;
      std::vector<std::string> from;
      for (const auto& r : rewritten) {
        std::string line;
        for (const auto& a : r.args) line += (line.empty() ? "" : " ") + a;
        from.push_back(line);
      }
      std::string to;
      for (const auto& a : prefix) to += (to.empty() ? "" : " ") + a;
      result.changes.push_back({c.name, "execs", from, to,
                                std::to_string(rewritten.size()) + " argument lists for " + path +
                                    " exceed the threshold " +
                                    std::to_string(options.exec_args_threshold)});
      rewritten = {folded};
    }
    out.insert(out.end(), rewritten.begin(), rewritten.end());
  }
  c.execs = std::move(out);
}

// Exec paths and args with a partial-segment wildcard are made whole, whatever the options:
// the output must not hold a wildcard Kubescape would read literally.
void repair_execs(Container& c, Result& result) {
  for (auto& e : c.execs) {
    std::string path = repair_partial_wildcards(e.path);
    if (path != e.path) {
      result.changes.push_back({c.name, "execs", {e.path}, path,
                                "partial-segment wildcards (matched literally by Kubescape) made whole"});
      e.path = path;
    }
    for (auto& a : e.args) {
      if (a == kDyn || a == kDynArgs || a.find(kDyn) == std::string::npos) continue;
      result.changes.push_back({c.name, "execs", {a}, kDyn,
                                "an argument with `\xE2\x8B\xAF` inside other text became a whole `\xE2\x8B\xAF`"});
      a = kDyn;
    }
  }
}

// ---- network peers ----------------------------------------------------------------------------

std::string port_key(const std::vector<profile::NetworkPort>& ports) {
  std::string key;
  for (const auto& p : ports) key += p.protocol + "/" + std::to_string(p.port.value_or(-1)) + ",";
  return key;
}

void generalize_peers(std::vector<NetworkNeighbor>& peers, const NetworkConfig& network,
                      const std::string& container, const char* field, Result& result) {
  if (network.cidrs.empty() && network.dns_patterns.empty()) return;
  for (auto& peer : peers) {
    std::set<std::string> addresses;
    for (const auto& ip : peer.ip_addresses) {
      std::string to = ip;
      for (const auto& cidr : network.cidrs) {
        if (match::match_ip(cidr, ip)) {
          to = cidr;
          break;
        }
      }
      if (to != ip) result.changes.push_back({container, field, {ip}, to, "address inside " + to});
      addresses.insert(to);
    }
    peer.ip_addresses.assign(addresses.begin(), addresses.end());
    std::set<std::string> names;
    for (const auto& name : peer.dns_names) {
      std::string to = name;
      for (const auto& pattern : network.dns_patterns) {
        if (match::match_dns_name(pattern, name)) {
          to = pattern;
          break;
        }
      }
      if (to != name) result.changes.push_back({container, field, {name}, to, "DNS pattern " + to});
      names.insert(to);
    }
    peer.dns_names.assign(names.begin(), names.end());
  }
  // Peers that became identical (apart from their identifier) are kept once.
  std::vector<NetworkNeighbor> unique;
  std::set<std::string> seen;
  for (auto& peer : peers) {
    profile::Json rest = peer.extra;
    std::string key = peer.type + "|" + profile::Json(peer.dns_names).dump() + "|" +
                      profile::Json(peer.ip_addresses).dump() + "|" + port_key(peer.ports) + "|" +
                      rest.dump();
    if (seen.insert(key).second) unique.push_back(std::move(peer));
  }
  peers = std::move(unique);
}

// ---- lost behaviour ---------------------------------------------------------------------------

const Container* counterpart(const profile::Profile& p, const Container& c) {
  for (const auto& candidate : p.containers) {
    if (candidate.name == c.name && candidate.group == c.group) return &candidate;
  }
  return nullptr;
}

bool peer_allows(const std::vector<NetworkNeighbor>& rules, const NetworkNeighbor& event,
                 const std::string* ip, const std::string* dns) {
  for (const auto& r : rules) {
    bool address_ok = false;
    if (ip) {
      address_ok = std::any_of(r.ip_addresses.begin(), r.ip_addresses.end(),
                               [&](const std::string& p) { return p == *ip || match::match_ip(p, *ip); });
    } else if (dns) {
      address_ok = std::any_of(r.dns_names.begin(), r.dns_names.end(), [&](const std::string& p) {
        return p == *dns || match::match_dns_name(p, *dns);
      });
    }
    if (!address_ok) continue;
    if (port_key(r.ports) == port_key(event.ports) || r.ports.empty()) return true;
    bool all = std::all_of(event.ports.begin(), event.ports.end(), [&](const auto& ep) {
      return std::any_of(r.ports.begin(), r.ports.end(), [&](const auto& rp) {
        return rp.protocol == ep.protocol && rp.port == ep.port;
      });
    });
    if (all) return true;
  }
  return false;
}

void lost_peers(const std::vector<NetworkNeighbor>& in, const std::vector<NetworkNeighbor>& out,
                const std::string& where, std::vector<std::string>& lost) {
  for (const auto& peer : in) {
    for (const auto& ip : peer.ip_addresses) {
      if (!peer_allows(out, peer, &ip, nullptr)) lost.push_back(where + ": peer address " + ip);
    }
    for (const auto& name : peer.dns_names) {
      if (!peer_allows(out, peer, nullptr, &name)) lost.push_back(where + ": peer name " + name);
    }
  }
}

std::vector<std::string> missing(const std::vector<std::string>& wanted,
                                 const std::vector<std::string>& have) {
  std::vector<std::string> out;
  for (const auto& w : wanted) {
    if (std::find(have.begin(), have.end(), w) == have.end()) out.push_back(w);
  }
  return out;
}

}  // namespace

Result generalize(const profile::Profile& input, const Options& options) {
  Result result{input, {}, {}};
  profile::Profile& p = result.profile;
  for (auto& c : p.containers) {
    generalize_opens(c, options, result);
    generalize_endpoints(c, options, result);
    repair_execs(c, result);
    if (options.exec_args) generalize_execs(c, options, result);
    generalize_peers(c.egress, options.network, c.name, "egress", result);
    generalize_peers(c.ingress, options.network, c.name, "ingress", result);
  }
  // The content changed: drop server bookkeeping and any in-object signature, which no longer
  // matches (profile-format.md §5.5).
  profile::strip_volatile(p);
  if (p.metadata.contains("annotations") && p.metadata["annotations"].is_object()) {
    auto& annotations = p.metadata["annotations"];
    for (auto it = annotations.begin(); it != annotations.end();) {
      if (it.key().rfind("signature.kubescape.io/", 0) == 0) {
        it = annotations.erase(it);
      } else {
        ++it;
      }
    }
  }
  return result;
}

std::vector<std::string> lost_behaviour(const profile::Profile& input,
                                        const profile::Profile& output) {
  std::vector<std::string> lost;
  for (const auto& c : input.containers) {
    const std::string where = "container '" + c.name + "'";
    const Container* o = counterpart(output, c);
    if (!o) {
      lost.push_back(where + " is missing");
      continue;
    }
    std::vector<match::PathMatcher::Entry> entries;
    for (const auto& open : o->opens) entries.push_back({open.path, open.flags});
    match::PathMatcher opens(std::move(entries));
    for (const auto& open : c.opens) {
      for (const auto& instance : instances(open.path)) {
        if (!opens.matches(instance, open.flags)) {
          lost.push_back(where + ": open " + open.path + " (as " + instance + ")");
          break;
        }
      }
    }
    for (const auto& e : c.execs) {
      bool ok = std::any_of(o->execs.begin(), o->execs.end(), [&](const ExecCall& r) {
        if (!match::match_exec_path(r.path, e.path)) return false;
        if (r.args_required.value_or(false)) return match::match_exec_args(r.args, true, e.args);
        return match::compare_exec_args(r.args, e.args);
      });
      if (!ok) lost.push_back(where + ": exec " + e.path);
    }
    for (const auto& e : c.endpoints) {
      bool ok = std::any_of(o->endpoints.begin(), o->endpoints.end(),
                            [&](const Endpoint& r) { return endpoint_allows(r, e); });
      if (!ok) lost.push_back(where + ": endpoint " + e.endpoint + " " + e.direction);
    }
    for (const auto& s : missing(c.syscalls, o->syscalls)) lost.push_back(where + ": syscall " + s);
    for (const auto& s : missing(c.capabilities, o->capabilities)) {
      lost.push_back(where + ": capability " + s);
    }
    lost_peers(c.egress, o->egress, where + " egress", lost);
    lost_peers(c.ingress, o->ingress, where + " ingress", lost);
  }
  return lost;
}

}  // namespace bob::generalize
