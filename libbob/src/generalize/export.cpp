// Exports: seccomp (OCI/Kubernetes), NetworkPolicy, Kubescape user-defined profile.
#include <sys/utsname.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "bob/error.h"
#include "bob/generalize.h"
#include "bob/match.h"

namespace bob::generalize {
namespace {

using profile::Json;

std::string host_architecture() {
  utsname u{};
  if (uname(&u) != 0) return "";
  std::string machine = u.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

const profile::Container* pick_container(const profile::Profile& p, const std::string& name) {
  if (name.empty()) return nullptr;
  if (const auto* c = p.find_container(name)) return c;
  std::string known;
  for (const auto& c : p.containers) known += (known.empty() ? "" : ", ") + c.name;
  fail(Exit::usage, "the profile has no container '" + name + "'",
       known.empty() ? "" : "its containers are: " + known);
}

// The containers an export covers: the named one, or all of them.
std::vector<const profile::Container*> containers_of(const profile::Profile& p,
                                                     const std::string& name) {
  if (const auto* c = pick_container(p, name)) return {c};
  std::vector<const profile::Container*> all;
  for (const auto& c : p.containers) all.push_back(&c);
  return all;
}

void emit(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      // Plain only for simple words YAML cannot read as anything but a string.
      const bool simple = std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '/' || c == '-' || c == '_';
      });
      const bool plain_ok = !s.empty() && simple && std::isalpha(static_cast<unsigned char>(s[0])) &&
                            s != "true" && s != "false" && s != "null" && s != "yes" && s != "no" &&
                            s != "on" && s != "off" && s != "y" && s != "n";
      if (!plain_ok) out << YAML::DoubleQuoted;
      out << s;
      return;
    }
    case Json::value_t::boolean:
      out << value.get<bool>();
      return;
    case Json::value_t::number_integer:
      out << value.get<long long>();
      return;
    case Json::value_t::number_unsigned:
      out << value.get<unsigned long long>();
      return;
    case Json::value_t::number_float:
      out << value.get<double>();
      return;
    default:
      out << YAML::Null;
      return;
  }
}

bool is_dns_1123_subdomain(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-' || c == '.')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(name.front())) &&
         std::isalnum(static_cast<unsigned char>(name.back()));
}

// ---- NetworkPolicy helpers --------------------------------------------------------------------

Json policy_ports(const std::vector<profile::NetworkPort>& ports) {
  Json out = Json::array();
  for (const auto& p : ports) {
    if (!p.port) continue;
    Json port = Json::object();
    port["protocol"] = p.protocol.empty() ? "TCP" : p.protocol;
    port["port"] = *p.port;
    out.push_back(port);
  }
  return out;
}

// NetworkPolicy peers for one neighbour; empty when the neighbour names no address or selector.
Json policy_peers(const profile::NetworkNeighbor& n, std::vector<std::string>& notes,
                  const std::string& where) {
  Json peers = Json::array();
  for (const auto& ip : n.ip_addresses) {
    if (ip == "*") {
      peers.push_back({{"ipBlock", {{"cidr", "0.0.0.0/0"}}}});
      peers.push_back({{"ipBlock", {{"cidr", "::/0"}}}});
      continue;
    }
    if (!match::is_valid_ip_pattern(ip)) {
      notes.push_back(where + ": '" + ip + "' is not an address or CIDR; skipped");
      continue;
    }
    std::string cidr = ip;
    if (cidr.find('/') == std::string::npos) cidr += ip.find(':') == std::string::npos ? "/32" : "/128";
    peers.push_back({{"ipBlock", {{"cidr", cidr}}}});
  }
  Json selector_peer = Json::object();
  for (const char* key : {"podSelector", "namespaceSelector"}) {
    if (n.extra.contains(key) && n.extra[key].is_object()) selector_peer[key] = n.extra[key];
  }
  if (!selector_peer.empty()) peers.push_back(selector_peer);
  if (!n.dns_names.empty()) {
    std::string names;
    for (const auto& d : n.dns_names) names += (names.empty() ? "" : ", ") + d;
    notes.push_back(where + ": DNS names (" + names + ") cannot be expressed in a NetworkPolicy" +
                    (peers.empty() ? "; the rule allows its ports to any address" : ""));
  }
  return peers;
}

Json rule_for(const profile::NetworkNeighbor& n, const char* direction_key,
              std::vector<std::string>& notes, const std::string& where) {
  Json rule = Json::object();
  Json peers = policy_peers(n, notes, where);
  if (!peers.empty()) rule[direction_key] = peers;
  Json ports = policy_ports(n.ports);
  if (!ports.empty()) rule["ports"] = ports;
  return rule;
}

Json endpoint_rule(const profile::Endpoint& e, std::vector<std::string>& notes,
                   const std::string& where) {
  Json rule = Json::object();
  std::string text = e.endpoint;
  std::size_t i = 1;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (text.empty() || text[0] != ':' || i == 1) {
    notes.push_back(where + ": endpoint '" + text + "' has no port; skipped");
    return Json();
  }
  const int port = std::stoi(text.substr(1, i - 1));
  if (port == 0) {
    notes.push_back(where + ": endpoint '" + text + "' is on any port; the rule allows every port");
  } else {
    rule["ports"] = Json::array({{{"protocol", "TCP"}, {"port", port}}});
  }
  return rule;
}

const std::vector<std::string> kPolicyRules = {"R0002", "R0006", "R1010", "R1011", "R1012",
                                               "R1030"};

std::string api_group_of(const std::string& kind) {
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
      kind == "ReplicaSet") {
    return "apps";
  }
  if (kind == "Job" || kind == "CronJob") return "batch";
  return "";
}

}  // namespace

std::string to_yaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, value);
  return std::string(out.c_str()) + "\n";
}

std::string seccomp_architecture(std::string_view arch) {
  static const std::pair<const char*, const char*> table[] = {
      {"amd64", "SCMP_ARCH_X86_64"}, {"arm64", "SCMP_ARCH_AARCH64"}, {"386", "SCMP_ARCH_X86"},
      {"arm", "SCMP_ARCH_ARM"},      {"ppc64le", "SCMP_ARCH_PPC64LE"}, {"s390x", "SCMP_ARCH_S390X"},
      {"riscv64", "SCMP_ARCH_RISCV64"}, {"mips64le", "SCMP_ARCH_MIPSEL64"},
      {"loong64", "SCMP_ARCH_LOONGARCH64"}};
  for (const auto& [name, scmp] : table) {
    if (arch == name) return scmp;
  }
  return "";
}

Json export_seccomp(const profile::Profile& profile, const SeccompOptions& options) {
  std::set<std::string> syscalls;
  for (const auto* c : containers_of(profile, options.container)) {
    syscalls.insert(c->syscalls.begin(), c->syscalls.end());
  }
  if (syscalls.empty()) {
    fail(Exit::usage, "the profile lists no syscalls, so a seccomp allow-list would block every "
                      "call", "record the workload with syscalls traced, or merge a profile that has them");
  }
  std::vector<std::string> archs = profile.architectures;
  if (archs.empty()) archs.push_back(host_architecture());
  Json architectures = Json::array();
  for (const auto& a : archs) {
    std::string scmp = seccomp_architecture(a);
    if (scmp.empty()) {
      fail(Exit::usage, "architecture '" + a + "' has no seccomp equivalent",
           "use Kubernetes names such as amd64 or arm64 in spec.architectures");
    }
    architectures.push_back(scmp);
  }
  Json out = Json::object();
  out["defaultAction"] = options.log ? "SCMP_ACT_LOG" : "SCMP_ACT_ERRNO";
  if (!options.log) out["defaultErrnoRet"] = 1;  // EPERM, as container runtimes do
  out["architectures"] = architectures;
  Json rule = Json::object();
  rule["names"] = std::vector<std::string>(syscalls.begin(), syscalls.end());
  rule["action"] = "SCMP_ACT_ALLOW";
  out["syscalls"] = Json::array({rule});
  return out;
}

Json export_network_policy(const profile::Profile& profile, const NetworkPolicyOptions& options,
                           std::vector<std::string>& notes) {
  Json selector = Json::object();
  if (!options.match_labels.empty()) {
    selector["matchLabels"] = Json(options.match_labels);
  } else {
    for (const char* key : {"matchLabels", "matchExpressions"}) {
      if (profile.spec_extra.contains(key) && !profile.spec_extra[key].is_null()) {
        selector[key] = profile.spec_extra[key];
      }
    }
    if (selector.empty()) {
      fail(Exit::usage, "the profile has no pod selector, and a NetworkPolicy without one would "
                        "apply to every pod in the namespace",
           "pass --selector key=value (repeatable) with the workload's pod labels");
    }
  }
  Json ingress = Json::array();
  Json egress = Json::array();
  bool needs_dns = false;
  for (const auto* c : containers_of(profile, options.container)) {
    const std::string where = "container '" + c->name + "'";
    for (const auto& n : c->ingress) ingress.push_back(rule_for(n, "from", notes, where));
    for (const auto& n : c->egress) {
      egress.push_back(rule_for(n, "to", notes, where));
      needs_dns = needs_dns || !n.dns_names.empty();
    }
    for (const auto& e : c->endpoints) {
      Json rule = endpoint_rule(e, notes, where);
      if (rule.is_null()) continue;
      (e.direction == "outbound" ? egress : ingress).push_back(rule);
    }
  }
  if (needs_dns) {
    // Names are resolved through the cluster DNS; without this rule no name could be looked up.
    egress.push_back({{"to", Json::array({{{"namespaceSelector", Json::object()},
                                           {"podSelector",
                                            {{"matchLabels", {{"k8s-app", "kube-dns"}}}}}}})},
                      {"ports", Json::array({{{"protocol", "UDP"}, {"port", 53}},
                                             {{"protocol", "TCP"}, {"port", 53}}})}});
  }
  auto dedupe = [](Json& rules) {
    Json unique = Json::array();
    std::set<std::string> seen;
    for (auto& r : rules) {
      if (seen.insert(r.dump()).second) unique.push_back(r);
    }
    rules = unique;
  };
  dedupe(ingress);
  dedupe(egress);
  std::string name = options.name.empty() ? profile.name() + "-bob" : options.name;
  std::string ns = options.namespace_name.empty() ? profile.namespace_name() : options.namespace_name;
  Json out = Json::object();
  out["apiVersion"] = "networking.k8s.io/v1";
  out["kind"] = "NetworkPolicy";
  out["metadata"] = {{"name", name}};
  if (!ns.empty()) out["metadata"]["namespace"] = ns;
  out["spec"] = {{"podSelector", selector},
                 {"policyTypes", Json::array({"Ingress", "Egress"})},
                 {"ingress", ingress},
                 {"egress", egress}};
  return out;
}

profile::Profile export_kubescape(const profile::Profile& input, const KubescapeOptions& options) {
  if (!is_dns_1123_subdomain(options.name)) {
    fail(Exit::usage, "--name '" + options.name + "' is not a valid Kubernetes object name",
         "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit");
  }
  if (!options.namespace_name.empty() && !is_dns_1123_subdomain(options.namespace_name)) {
    fail(Exit::usage, "--namespace '" + options.namespace_name + "' is not a valid namespace");
  }
  profile::Profile p = input;
  profile::strip_volatile(p);
  Json& meta = p.metadata;
  if (!meta.is_object()) meta = Json::object();
  meta["name"] = options.name;
  meta["namespace"] = options.namespace_name;
  Json annotations = meta.contains("annotations") && meta["annotations"].is_object()
                         ? meta["annotations"]
                         : Json::object();
  for (auto it = annotations.begin(); it != annotations.end();) {
    const std::string& key = it.key();
    const bool learned_binding = key == "kubescape.io/instance-id" || key == "kubescape.io/wlid" ||
                                 key == "kubescape.io/sync-checksum";
    if (learned_binding || key.rfind("signature.kubescape.io/", 0) == 0) {
      it = annotations.erase(it);
    } else {
      ++it;
    }
  }
  annotations["kubescape.io/managed-by"] = "User";
  annotations["kubescape.io/status"] = "completed";
  annotations["kubescape.io/completion"] = "complete";
  meta["annotations"] = annotations;
  const std::string workload = options.workload_name.empty() ? options.name : options.workload_name;
  Json labels = Json::object();
  labels["kubescape.io/workload-api-group"] = api_group_of(options.workload_kind);
  labels["kubescape.io/workload-api-version"] = "v1";
  labels["kubescape.io/workload-kind"] = options.workload_kind;
  labels["kubescape.io/workload-name"] = workload;
  labels["kubescape.io/workload-namespace"] = options.namespace_name;
  meta["labels"] = labels;
  for (auto& c : p.containers) {
    for (const auto& rule : kPolicyRules) {
      if (!c.rule_policies.count(rule)) c.rule_policies[rule] = profile::RulePolicy{};
    }
  }
  p.extra["status"] = Json::object();
  return p;
}

}  // namespace bob::generalize
