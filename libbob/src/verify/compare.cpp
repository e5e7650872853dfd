// The comparator: every behaviour of a traced run against one profile container, with Kubescape's
// matchers, each difference turned into the alert node-agent would raise for it.
//
// Where the 2025 and 2026 engines differ, bob takes the stricter reading a supply-chain check
// needs and documents it (docs/verify-install.md): open flags must be a subset of the entry's
// flags (2025), wildcards `*` and `⋯⋯` are honoured (2026), loopback traffic is not exempt.
#include <string.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "bob/match.h"
#include "bob/trace.h"
#include "bob/verify.h"
#include "rules.h"

namespace bob::verify {
namespace {

using trace::Observation;
using trace::ProcessKey;

const char* const kZeroTime = "0001-01-01T00:00:00Z";

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

std::string annotation(const profile::Profile& profile, const std::string& key) {
  const auto& metadata = profile.metadata;
  if (!metadata.is_object() || !metadata.contains("annotations")) return {};
  const auto& annotations = metadata["annotations"];
  if (!annotations.is_object() || !annotations.contains(key)) return {};
  const auto& value = annotations[key];
  return value.is_string() ? value.get<std::string>() : std::string{};
}

// The event kinds a bob recording traced, from its bob.dev/recorded-with annotation; empty when
// the profile was not recorded by bob (a vendor's node-agent profile).
std::set<std::string> recorded_kinds(const profile::Profile& profile) {
  std::set<std::string> kinds;
  std::string text = annotation(profile, trace::kAnnotationRecordedWith);
  if (text.empty()) return kinds;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return kinds;
  for (const char* key : {"traced", "tracedKinds", "traced_kinds", "kinds", "eventKinds"}) {
    if (!parsed.contains(key) || !parsed[key].is_array()) continue;
    for (const auto& kind : parsed[key]) {
      if (kind.is_string()) kinds.insert(kind.get<std::string>());
    }
  }
  kinds.insert("recorded-by-bob");
  return kinds;
}

// bob record keeps the NetworkNeighborhood form of an ApplicationProfile recording in an
// annotation (an ApplicationProfile has no egress/ingress of its own).
const char* const kNeighborhoodAnnotation = "bob.dev/network-neighborhood";

profile::NetworkNeighbor neighbour_from_json(const Json& object) {
  profile::NetworkNeighbor n;
  auto text = [&](const char* key) {
    return object.contains(key) && object[key].is_string() ? object[key].get<std::string>()
                                                           : std::string{};
  };
  auto texts = [&](const char* key) {
    std::vector<std::string> out;
    if (!object.contains(key) || !object[key].is_array()) return out;
    for (const auto& item : object[key]) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
    return out;
  };
  n.identifier = text("identifier");
  n.type = text("type");
  n.dns_names = texts("dnsNames");
  n.ip_addresses = texts("ipAddresses");
  if (!text("dns").empty()) n.extra["dns"] = text("dns");
  if (!text("ipAddress").empty()) n.extra["ipAddress"] = text("ipAddress");
  if (object.contains("ports") && object["ports"].is_array()) {
    for (const auto& port : object["ports"]) {
      if (!port.is_object()) continue;
      profile::NetworkPort p;
      if (port.contains("name") && port["name"].is_string()) p.name = port["name"];
      if (port.contains("protocol") && port["protocol"].is_string()) p.protocol = port["protocol"];
      if (port.contains("port") && port["port"].is_number_integer()) p.port = port["port"].get<int>();
      n.ports.push_back(p);
    }
  }
  return n;
}

// The container's own neighbours plus those of the annotation, for one direction.
std::vector<profile::NetworkNeighbor> neighbours(const profile::Profile& profile,
                                                 const profile::Container& container,
                                                 const char* direction) {
  std::vector<profile::NetworkNeighbor> out =
      std::string(direction) == "egress" ? container.egress : container.ingress;
  std::string text = annotation(profile, kNeighborhoodAnnotation);
  if (text.empty()) return out;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    fail(Exit::usage, "profile '" + profile.name() + "': annotation " +
                          kNeighborhoodAnnotation + " is not a JSON object");
  }
  if (!parsed.contains(direction) || !parsed[direction].is_array()) return out;
  for (const auto& item : parsed[direction]) {
    if (item.is_object()) out.push_back(neighbour_from_json(item));
  }
  return out;
}

// Builds node-agent's processTree: the installer at the top, then each child down to `leaf`.
class ProcessTrees {
 public:
  explicit ProcessTrees(const Observation& observation) : observation_(observation) {}

  std::vector<ProcessKey> chain(const ProcessKey& leaf) const {
    std::vector<ProcessKey> keys;
    ProcessKey current = leaf;
    // Bounded walk: a broken parent link must not loop forever.
    for (int hops = 0; hops < 256; ++hops) {
      keys.push_back(current);
      if (current == observation_.root) break;
      auto found = observation_.processes.find(current);
      if (found == observation_.processes.end()) break;
      const ProcessKey parent = found->second.parent;
      if (parent == current || observation_.processes.count(parent) == 0) break;
      current = parent;
    }
    std::reverse(keys.begin(), keys.end());
    return keys;
  }

  // `leaf_cmdline`/`leaf_path` override the leaf's last-known values with the event's own.
  Json tree(const ProcessKey& leaf, const std::vector<std::string>* leaf_cmdline = nullptr,
            const std::string* leaf_path = nullptr) const {
    std::vector<ProcessKey> keys = chain(leaf);
    Json child;
    for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
      bool is_leaf = it == keys.rbegin();
      Json node = node_json(*it, is_leaf ? leaf_cmdline : nullptr, is_leaf ? leaf_path : nullptr);
      if (!child.is_null()) {
        std::string key = child["comm"].get<std::string>() + "\xE2\x90\x9F" +
                          std::to_string(child["pid"].get<int>());
        node["childrenMap"] = Json::object({{key, child}});
      }
      child = std::move(node);
    }
    return child;
  }

  const trace::Process* find(const ProcessKey& key) const {
    auto found = observation_.processes.find(key);
    return found == observation_.processes.end() ? nullptr : &found->second;
  }

  std::string describe(const ProcessKey& leaf) const {
    std::vector<std::string> names;
    for (const auto& key : chain(leaf)) {
      const trace::Process* process = find(key);
      names.push_back((process ? process->comm : std::string("?")) + "(" +
                      std::to_string(key.pid) + ")");
    }
    return join(names, " > ");
  }

 private:
  Json node_json(const ProcessKey& key, const std::vector<std::string>* cmdline,
                 const std::string* path) const {
    const trace::Process* process = find(key);
    const trace::Process* parent = process ? find(process->parent) : nullptr;
    Json node = Json::object();
    node["pid"] = key.pid;
    node["cmdline"] = join(cmdline ? *cmdline : (process ? process->args : std::vector<std::string>{}),
                           " ");
    node["comm"] = process ? process->comm : "";
    node["ppid"] = process ? process->parent.pid : 0;
    node["pcomm"] = parent ? parent->comm : "";
    std::string exe = path ? *path : (process ? process->exe_path : "");
    node["hardlink"] = exe;
    node["uid"] = process ? process->uid : 0;
    node["gid"] = process ? process->gid : 0;
    // Limitation: the tracer keeps start times relative to boot, not wall-clock time, so the
    // tree shows Go's zero time as node-agent does when it lacks one.
    node["startTime"] = kZeroTime;
    node["upperLayer"] = false;
    node["cwd"] = process ? process->cwd : "";
    node["path"] = exe;
    return node;
  }

  const Observation& observation_;
};

// Folds identical alerts (same rule and same unique key) into one with an occurrence count.
class AlertSink {
 public:
  explicit AlertSink(std::vector<Alert>& out) : out_(out) {}
  void add(Alert alert) {
    std::string key = alert.rule_id + '\x1f' + alert.unique_key;
    auto found = index_.find(key);
    if (found != index_.end()) {
      out_[found->second].occurrences += 1;
      return;
    }
    index_[key] = out_.size();
    out_.push_back(std::move(alert));
  }

 private:
  std::vector<Alert>& out_;
  std::map<std::string, std::size_t> index_;
};

Alert make_alert(const std::string& rule_id, std::string message, Json arguments, int pid,
                 Json tree, std::string unique_key) {
  const RuleInfo& rule = rule_info(rule_id);
  Alert alert;
  alert.rule_id = rule.id;
  alert.name = rule.name;
  alert.severity = rule.severity;
  alert.message = std::move(message);
  alert.arguments = std::move(arguments);
  alert.pid = pid;
  alert.process_tree = std::move(tree);
  alert.unique_key = std::move(unique_key);
  return alert;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

class Comparator {
 public:
  Comparator(const Observation& observation, const profile::Profile& profile,
             const profile::Container& container, const Options& options, Result& result)
      : observation_(observation),
        profile_(profile),
        container_(container),
        options_(options),
        result_(result),
        trees_(observation),
        alerts_(result.alerts),
        tolerated_(result.tolerated),
        roots_(observation.roots, vendor_roots(profile)),
        recorded_kinds_(recorded_kinds(profile)),
        egress_(neighbours(profile, container, "egress")),
        ingress_(neighbours(profile, container, "ingress")) {
    used_execs_.assign(container.execs.size(), false);
    used_opens_.assign(container.opens.size(), false);
    used_endpoints_.assign(container.endpoints.size(), false);
    used_egress_.assign(egress_.size(), false);
    used_ingress_.assign(ingress_.size(), false);
  }

  void run() {
    check_fidelity();
    note_roots();
    for (const auto& exec : observation_.execs) check_exec(exec);
    for (const auto& open : observation_.opens) check_open(open);
    check_syscalls();
    check_capabilities();
    for (const auto& dns : observation_.dns) check_dns(dns);
    for (const auto& connection : observation_.network) check_network(connection);
    collect_unused();
    result_.installer_exit_status = observation_.exit_status;
    result_.installer_failed = observation_.exit_status != 0;
    result_.require_complete = options_.require_complete;
  }

 private:
  bool recorded_by_bob() const { return recorded_kinds_.count("recorded-by-bob") > 0; }

  // Fail closed: anything that means the run was not fully seen makes it inconclusive.
  void check_fidelity() {
    auto& reasons = result_.inconclusive;
    if (observation_.lost_events > 0) {
      reasons.push_back(std::to_string(observation_.lost_events) +
                        " events were lost in the kernel ring buffer");
    }
    if (observation_.interrupted_by != 0) {
      const char* name = sigabbrev_np(observation_.interrupted_by);
      reasons.push_back(std::string("bob was interrupted by SIG") + (name ? name : "?") +
                        " and killed the installer's process tree, so its run is incomplete");
    }
    if (observation_.timed_out) {
      reasons.push_back("the installer was killed at the timeout, so its run is incomplete");
    }
    if (observation_.lingering_processes > 0) {
      reasons.push_back(std::to_string(observation_.lingering_processes) +
                        " descendant processes were still running when tracing stopped");
    }
    if (!observation_.capabilities_traced) {
      reasons.push_back(
          "capabilities were not traced (the capability:cap_capable tracepoint needs Linux "
          "6.14+), so capability use cannot be checked");
    }
    if (!observation_.traced_kinds.empty()) {
      for (const char* kind : {"exec", "open", "syscall", "network", "dns"}) {
        if (!contains(observation_.traced_kinds, kind)) {
          reasons.push_back(std::string("the tracer did not trace ") + kind + " events");
        }
      }
    }
    if (observation_.execs.empty()) {
      reasons.push_back("no exec of the installer was seen, so the tracer did not follow it");
    }
    if (observation_.truncated_paths > 0) {
      // An open or exec bob could not resolve within 511 bytes is behaviour it cannot check.
      reasons.push_back(std::to_string(observation_.truncated_paths) +
                        " path(s) could not be resolved within the tracer's 511-byte limit");
    }
    if (observation_.unreadable_dns > 0) {
      reasons.push_back(std::to_string(observation_.unreadable_dns) +
                        " datagram(s) to port 53 held no DNS query bob could read");
    }
    if (observation_.failed_execs > 0) {
      result_.notes.push_back(std::to_string(observation_.failed_execs) +
                              " execs failed (not matched, as node-agent does not record them): " +
                              join(observation_.failed_exec_paths, ", "));
    }
    for (const auto& note : observation_.notes) result_.notes.push_back("tracer: " + note);
  }

  void note_roots() {
    for (const auto& [user_root, vendor_root] : roots_.pairs()) {
      result_.notes.push_back("paths under " + user_root + " are matched as under " + vendor_root);
    }
    auto vendor = vendor_roots(profile_);
    if (vendor.empty() && !observation_.roots.empty()) {
      result_.notes.push_back(std::string("the profile has no ") + kRootsAnnotation +
                              " annotation: paths are matched as they are");
    }
  }

  // --- execs (R0001, R0040) -------------------------------------------------------------------

  // The exec path forms a profile may hold: the kernel exe path (2026, bob) first, then the
  // path given to execve and argv[0] (2025 vendor profiles recorded args[0]).
  std::vector<std::string> exec_path_candidates(const trace::ExecEvent& exec) const {
    std::vector<std::string> candidates;
    auto add = [&](const std::string& path) {
      if (path.empty()) return;
      std::string mapped = roots_.path(path);
      if (!contains(candidates, mapped)) candidates.push_back(mapped);
    };
    add(exec.exe_path);
    add(exec.filename);
    if (!exec.args.empty()) add(exec.args.front());
    if (!exec.cmdline.empty()) add(exec.cmdline.front());
    return candidates;
  }

  std::vector<std::vector<std::string>> runtime_arg_forms(const trace::ExecEvent& exec) const {
    std::vector<std::vector<std::string>> forms;
    auto add = [&](const std::vector<std::string>& args) {
      std::vector<std::string> mapped;
      mapped.reserve(args.size());
      for (const auto& arg : args) mapped.push_back(roots_.arg(arg));
      if (std::find(forms.begin(), forms.end(), mapped) == forms.end()) forms.push_back(mapped);
    };
    add(exec.args);  // IG v0.48.1: args[0] is the execve filename
    if (!exec.cmdline.empty()) add(exec.cmdline);  // IG HEAD: argv as /proc/<pid>/cmdline
    if (!exec.args.empty() && !exec.filename.empty() && exec.args.front() != exec.filename) {
      std::vector<std::string> with_filename = exec.args;
      with_filename.front() = exec.filename;
      add(with_filename);
    }
    return forms;
  }

  bool args_allowed(const profile::ExecCall& entry,
                    const std::vector<std::vector<std::string>>& forms) const {
    bool required = entry.args_required.value_or(false);
    if (entry.args.empty() && !required) return true;  // no constraint
    for (const auto& runtime : forms) {
      if (required ? match::match_exec_args(entry.args, true, runtime)
                   : match::compare_exec_args(entry.args, runtime)) {
        return true;
      }
    }
    return false;
  }

  bool is_entrypoint(const trace::ExecEvent& exec) const {
    if (!(exec.process == observation_.root)) return false;
    for (const auto& other : observation_.execs) {
      if (other.process == observation_.root) return &other == &exec;
    }
    return false;
  }

  void check_exec(const trace::ExecEvent& exec) {
    const auto candidates = exec_path_candidates(exec);
    std::vector<std::size_t> path_hits;
    for (std::size_t i = 0; i < container_.execs.size(); ++i) {
      for (const auto& candidate : candidates) {
        if (match::match_exec_path(container_.execs[i].path, candidate)) {
          path_hits.push_back(i);
          break;
        }
      }
    }
    const std::string exec_path = exec.exe_path.empty() ? exec.filename : exec.exe_path;
    const std::vector<std::string>& shown_args = exec.args;
    Json arguments = {{"args", shown_args}, {"exec", exec_path}, {"retval", 0}};
    Json tree = trees_.tree(exec.process, &shown_args, &exec_path);
    const trace::Process* process = trees_.find(exec.process);
    std::string comm = process ? process->comm : "";

    if (path_hits.empty()) {
      Alert alert = make_alert("R0001", "Unexpected process launched: " + exec_path, arguments,
                               exec.process.pid, tree, comm + "_" + exec_path);
      alert.detail = "matched as: " + join(candidates, " or ") + "; process: " +
                     trees_.describe(exec.process);
      // node-agent often misses the first exec of a container (node-agent #972); a vendor
      // profile without its entrypoint is tolerated and reported, a bob recording is not.
      if (!recorded_by_bob() && is_entrypoint(exec)) {
        alert.detail += "; tolerated: the profile was not recorded by bob and lacks the "
                        "entrypoint, which node-agent often misses";
        tolerated_.add(std::move(alert));
      } else {
        alerts_.add(std::move(alert));
      }
      return;
    }
    const auto forms = runtime_arg_forms(exec);
    bool allowed = false;
    for (std::size_t i : path_hits) {
      if (args_allowed(container_.execs[i], forms)) {
        used_execs_[i] = true;
        allowed = true;
      }
    }
    if (allowed) return;
    Alert alert = make_alert("R0040", "Unexpected process arguments: " + exec_path, arguments,
                             exec.process.pid, tree, comm + "_" + exec_path + "_" +
                                                         join(shown_args, "\x1f"));
    std::vector<std::string> allowed_forms;
    for (std::size_t i : path_hits) allowed_forms.push_back("[" + join(container_.execs[i].args, ", ") + "]");
    alert.detail = "the profile allows " + container_.execs[path_hits.front()].path +
                   " only with args " + join(allowed_forms, " or ") + "; process: " +
                   trees_.describe(exec.process);
    alerts_.add(std::move(alert));
  }

  // --- opens (R0002, R0006) -------------------------------------------------------------------

  static bool under_token_directory(const std::string& path) {
    static const char* const prefixes[] = {
        "/run/secrets/kubernetes.io/serviceaccount/",
        "/var/run/secrets/kubernetes.io/serviceaccount/",
        "/run/secrets/eks.amazonaws.com/serviceaccount/",
        "/var/run/secrets/eks.amazonaws.com/serviceaccount/",
    };
    for (const char* prefix : prefixes) {
      if (path.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }

  // 2025 R0006 normalises the kubelet's `..<timestamp>` directories to one name.
  static std::string normalise_token_path(const std::string& path) {
    std::string out;
    std::stringstream stream(path);
    std::string segment;
    bool first = true;
    while (std::getline(stream, segment, '/')) {
      if (segment.rfind("..", 0) == 0 && segment.find('_') != std::string::npos) {
        segment = "..timestamp";
      }
      out += (first ? "" : "/") + segment;
      first = false;
    }
    return out;
  }

  static std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string{} : path.substr(0, slash);
  }

  // Allowed by both engines: 2025 (an entry in the same normalised directory) and, for a
  // /token file, 2026 (a wildcard-free entry ending in /token).
  bool token_access_allowed(const std::string& mapped_path) const {
    std::string accessed_dir = directory_of(normalise_token_path(mapped_path));
    bool allowed_2025 = false;
    bool allowed_2026 = false;
    for (const auto& entry : container_.opens) {
      std::string entry_dir = directory_of(normalise_token_path(entry.path));
      if (match::compare_dynamic(entry_dir, accessed_dir, match::Semantics::v2025)) {
        allowed_2025 = true;
      }
      bool literal = !match::is_path_pattern(entry.path);
      if (literal && entry.path.size() >= 6 &&
          entry.path.compare(entry.path.size() - 6, 6, "/token") == 0) {
        allowed_2026 = true;
      }
    }
    bool is_token = mapped_path.size() >= 6 &&
                    mapped_path.compare(mapped_path.size() - 6, 6, "/token") == 0;
    return allowed_2025 && (!is_token || allowed_2026);
  }

  void check_open(const trace::OpenEvent& open) {
    const std::string mapped = roots_.path(open.path);
    std::vector<std::string> flags = open.flags;
    std::vector<std::string> sorted_flags = flags;
    std::sort(sorted_flags.begin(), sorted_flags.end());
    const trace::Process* process = trees_.find(open.process);
    std::string comm = process ? process->comm : "";
    Json arguments = {{"flags", flags}, {"path", open.path}};

    if (under_token_directory(mapped) && !token_access_allowed(mapped)) {
      Alert alert = make_alert(
          "R0006", "Unexpected access to service account token: " + open.path +
                       " with flags: " + join(flags, ","),
          arguments, open.process.pid, trees_.tree(open.process), comm + "_" + open.path);
      alert.detail = "process: " + trees_.describe(open.process);
      alerts_.add(std::move(alert));
    }

    bool path_seen = false;
    bool allowed = false;
    for (std::size_t i = 0; i < container_.opens.size(); ++i) {
      const auto& entry = container_.opens[i];
      if (!match::compare_dynamic(entry.path, mapped)) continue;
      path_seen = true;
      if (!match::flags_subset(flags, entry.flags)) continue;
      used_opens_[i] = true;
      allowed = true;
    }
    if (allowed) return;
    Alert alert = make_alert("R0002",
                             "Unexpected file access: " + open.path + " with flags " +
                                 join(flags, ","),
                             arguments, open.process.pid, trees_.tree(open.process),
                             open.path + "\x1f" + join(sorted_flags, ","));
    std::string detail;
    if (mapped != open.path) detail += "matched as " + mapped + "; ";
    if (path_seen) detail += "the path is in the profile, but not with these flags; ";
    if (open.result < 0) detail += "the open failed (errno " + std::to_string(-open.result) + "); ";
    if (!open.visible_to_node_agent) {
      detail += "opened with " + open.syscall + ", which node-agent does not trace; ";
    }
    detail += "process: " + trees_.describe(open.process);
    alert.detail = detail;
    alerts_.add(std::move(alert));
  }

  // --- syscalls (R0003) and capabilities (R0004): once each -----------------------------------

  void check_syscalls() {
    std::set<std::string> listed(container_.syscalls.begin(), container_.syscalls.end());
    for (const auto& syscall : observation_.syscalls) {
      if (listed.count(syscall)) {
        used_syscalls_.insert(syscall);
        continue;
      }
      Alert alert = make_alert("R0003", "Unexpected system call: " + syscall,
                               Json{{"syscall", syscall}}, observation_.root.pid,
                               trees_.tree(observation_.root), syscall);
      alert.detail = "syscalls are counted per traced tree, so the process is the installer";
      alerts_.add(std::move(alert));
    }
  }

  void check_capabilities() {
    std::set<std::string> listed(container_.capabilities.begin(), container_.capabilities.end());
    // A node-agent profile only has capabilities when it was learned in runtime-detection mode
    // (bug-log D7); an empty list there says nothing, so its misses are tolerated, not failed.
    bool tolerate = listed.empty() && !recorded_by_bob();
    std::set<std::string> reported;
    for (const auto& event : observation_.capabilities) {
      if (listed.count(event.capability)) {
        used_capabilities_.insert(event.capability);
        continue;
      }
      if (!reported.insert(event.capability).second) continue;
      const trace::Process* process = trees_.find(event.process);
      std::string comm = process ? process->comm : "";
      // Limitation: the tracer does not attribute a capability check to its syscall, so the
      // `syscall` argument is empty and the message says "unknown".
      Alert alert = make_alert(
          "R0004",
          "Unexpected capability used (capability " + event.capability +
              " used in syscall unknown)",
          Json{{"capability", event.capability}, {"syscall", ""}}, event.process.pid,
          trees_.tree(event.process), comm + "_" + event.capability);
      alert.detail = "process: " + trees_.describe(event.process);
      if (tolerate) {
        alert.detail += "; tolerated: the profile lists no capabilities and was not recorded "
                        "by bob (node-agent records them only in runtime-detection mode)";
        tolerated_.add(std::move(alert));
      } else {
        alerts_.add(std::move(alert));
      }
    }
  }

  // --- DNS (R0005) and network (R0011, R0012) -------------------------------------------------

  bool dns_in_egress(const std::string& name) {
    bool allowed = false;
    for (std::size_t i = 0; i < egress_.size(); ++i) {
      const auto& neighbour = egress_[i];
      bool hit = false;
      for (const auto& pattern : neighbour.dns_names) {
        if (match::match_dns_name(pattern, name)) hit = true;
      }
      if (neighbour.extra.contains("dns") && neighbour.extra["dns"].is_string() &&
          match::match_dns_name(neighbour.extra["dns"].get<std::string>(), name,
                                match::Semantics::v2025)) {
        hit = true;
      }
      if (hit) {
        used_egress_[i] = true;
        allowed = true;
      }
    }
    return allowed;
  }

  void check_dns(const trace::DnsEvent& dns) {
    const std::string suffix = ".svc.cluster.local.";
    if (dns.name.size() >= suffix.size() &&
        dns.name.compare(dns.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return;  // node-agent never alerts on in-cluster names
    }
    if (dns_in_egress(dns.name)) return;
    const trace::Process* process = trees_.find(dns.process);
    std::string comm = process ? process->comm : "";
    std::string container_name = container_.name.empty() ? profile_.name() : container_.name;
    // Limitation: the tracer sees the query, not the answer or the socket's source port, so
    // addresses is empty and port/protocol are those of the query (53/UDP).
    Alert alert = make_alert(
        "R0005", "Unexpected domain communication: " + dns.name + " from: " + container_name,
        Json{{"addresses", Json::array()}, {"domain", dns.name}, {"port", 53},
             {"protocol", "UDP"}},
        dns.process.pid, trees_.tree(dns.process), comm + "_" + dns.name);
    alert.detail = "process: " + trees_.describe(dns.process);
    alerts_.add(std::move(alert));
  }

  static bool port_matches(const std::vector<profile::NetworkPort>& ports, int port,
                           const std::string& protocol) {
    if (ports.empty()) return true;  // a neighbour without ports allows every port
    for (const auto& p : ports) {
      if (!p.protocol.empty() && p.protocol != protocol) continue;
      if (!p.port || *p.port == port || *p.port == 0) return true;
    }
    return false;
  }

  static bool neighbour_has_address(const profile::NetworkNeighbor& neighbour,
                                    const std::string& address) {
    for (const auto& pattern : neighbour.ip_addresses) {
      if (match::match_ip(pattern, address)) return true;
    }
    if (neighbour.extra.contains("ipAddress") && neighbour.extra["ipAddress"].is_string()) {
      std::string legacy = neighbour.extra["ipAddress"].get<std::string>();
      if (!legacy.empty() && match::match_ip(legacy, address)) return true;
    }
    return false;
  }

  // The port of an endpoint string ":PORT/path"; -1 when it has none.
  static int endpoint_port(const std::string& endpoint) {
    if (endpoint.empty() || endpoint.front() != ':') return -1;
    std::size_t end = 1;
    while (end < endpoint.size() && std::isdigit(static_cast<unsigned char>(endpoint[end]))) ++end;
    if (end == 1) return -1;
    try {
      return std::stoi(endpoint.substr(1, end - 1));
    } catch (...) {
      return -1;
    }
  }

  // An endpoint entry allows a connection when direction and port agree and, if it names hosts
  // (the Host header), one of them is the address.
  static bool endpoint_allows(const profile::Endpoint& endpoint,
                              const trace::NetworkEvent& event) {
    if (!endpoint.direction.empty() && endpoint.direction != event.direction) return false;
    int port = endpoint_port(endpoint.endpoint);
    if (port < 0 || (port != 0 && port != event.port)) return false;
    if (!endpoint.headers.is_object() || !endpoint.headers.contains("Host")) return true;
    const auto& hosts = endpoint.headers["Host"];
    if (!hosts.is_array()) return true;
    std::string with_port = event.address + ":" + std::to_string(event.port);
    std::string bracketed = "[" + event.address + "]:" + std::to_string(event.port);
    for (const auto& host : hosts) {
      if (!host.is_string()) continue;
      const std::string& h = host.get_ref<const std::string&>();
      if (h == event.address || h == with_port || h == bracketed) return true;
    }
    return false;
  }

  void check_network(const trace::NetworkEvent& event) {
    bool inbound = event.direction == "inbound";
    const auto& neighbours = inbound ? ingress_ : egress_;
    auto& used = inbound ? used_ingress_ : used_egress_;
    bool allowed = false;
    for (std::size_t i = 0; i < neighbours.size(); ++i) {
      if (neighbour_has_address(neighbours[i], event.address) &&
          port_matches(neighbours[i].ports, event.port, event.protocol)) {
        used[i] = true;
        allowed = true;
      }
    }
    for (std::size_t i = 0; i < container_.endpoints.size(); ++i) {
      if (endpoint_allows(container_.endpoints[i], event)) {
        used_endpoints_[i] = true;
        allowed = true;
      }
    }
    if (allowed) return;
    const trace::Process* process = trees_.find(event.process);
    std::string comm = process ? process->comm : "";
    std::string container_name = container_.name.empty() ? profile_.name() : container_.name;
    std::string where = event.address + ":" + std::to_string(event.port);
    std::string message =
        inbound ? "Unexpected ingress network communication from: " + where + " using " +
                      event.protocol + " to: " + container_name
                : "Unexpected egress network communication to: " + where + " using " +
                      event.protocol + " from: " + container_name;
    Alert alert = make_alert(inbound ? "R0012" : "R0011", message,
                             Json{{"ip", event.address}, {"port", event.port},
                                  {"proto", event.protocol}},
                             event.process.pid, trees_.tree(event.process),
                             comm + event.address + std::to_string(event.port) + event.protocol);
    alert.detail = "process: " + trees_.describe(event.process);
    alerts_.add(std::move(alert));
  }

  // --- what the profile lists but the run never showed ----------------------------------------

  void collect_unused() {
    auto& unused = result_.unused;
    for (std::size_t i = 0; i < container_.execs.size(); ++i) {
      if (used_execs_[i]) continue;
      const auto& exec = container_.execs[i];
      std::string entry = exec.path;
      if (!exec.args.empty()) entry += " [" + join(exec.args, ", ") + "]";
      unused.push_back({"R0001", "exec", entry});
    }
    for (std::size_t i = 0; i < container_.opens.size(); ++i) {
      if (used_opens_[i]) continue;
      const auto& open = container_.opens[i];
      unused.push_back({"R0002", "open", open.path + " [" + join(open.flags, ",") + "]"});
    }
    for (const auto& syscall : container_.syscalls) {
      if (!used_syscalls_.count(syscall)) unused.push_back({"R0003", "syscall", syscall});
    }
    for (const auto& capability : container_.capabilities) {
      if (!used_capabilities_.count(capability)) {
        unused.push_back({"R0004", "capability", capability});
      }
    }
    for (std::size_t i = 0; i < container_.endpoints.size(); ++i) {
      if (used_endpoints_[i]) continue;
      const auto& endpoint = container_.endpoints[i];
      unused.push_back({endpoint.direction == "inbound" ? "R0012" : "R0011", "endpoint",
                        endpoint.endpoint + (endpoint.direction.empty()
                                                 ? std::string{}
                                                 : " " + endpoint.direction)});
    }
    auto neighbour_text = [](const profile::NetworkNeighbor& n) {
      std::vector<std::string> parts = n.dns_names;
      parts.insert(parts.end(), n.ip_addresses.begin(), n.ip_addresses.end());
      for (const auto& port : n.ports) parts.push_back(port.name);
      return (n.identifier.empty() ? std::string{} : n.identifier + " ") + "[" +
             join(parts, ", ") + "]";
    };
    for (std::size_t i = 0; i < egress_.size(); ++i) {
      if (!used_egress_[i]) unused.push_back({"R0011", "egress", neighbour_text(egress_[i])});
    }
    for (std::size_t i = 0; i < ingress_.size(); ++i) {
      if (!used_ingress_[i]) unused.push_back({"R0012", "ingress", neighbour_text(ingress_[i])});
    }
  }

  const Observation& observation_;
  const profile::Profile& profile_;
  const profile::Container& container_;
  const Options& options_;
  Result& result_;
  ProcessTrees trees_;
  AlertSink alerts_;
  AlertSink tolerated_;
  RootMap roots_;
  std::set<std::string> recorded_kinds_;
  std::vector<profile::NetworkNeighbor> egress_, ingress_;
  std::vector<bool> used_execs_, used_opens_, used_endpoints_, used_egress_, used_ingress_;
  std::set<std::string> used_syscalls_, used_capabilities_;
};

}  // namespace

Verdict Result::verdict() const {
  if (!inconclusive.empty()) return Verdict::inconclusive;
  if (!alerts.empty() || installer_failed) return Verdict::deviations;
  if (require_complete && !unused.empty()) return Verdict::deviations;
  return Verdict::match;
}

Exit Result::exit_code() const {
  switch (verdict()) {
    case Verdict::match: return Exit::ok;
    case Verdict::deviations: return Exit::deviations;
    case Verdict::inconclusive: return Exit::inconclusive;
  }
  return Exit::inconclusive;
}

Result compare(const trace::Observation& observation, const profile::Profile& profile,
               const profile::Container& container, const Options& options) {
  Result result;
  Comparator(observation, profile, container, options, result).run();
  return result;
}

const profile::Container& select_container(const profile::Profile& profile,
                                           const std::string& name) {
  if (profile.containers.empty()) {
    fail(Exit::usage, "profile '" + profile.name() + "' has no container to verify against");
  }
  std::vector<std::string> names;
  for (const auto& container : profile.containers) {
    names.push_back(container.name.empty() ? "(unnamed)" : container.name);
  }
  if (name.empty()) {
    if (profile.containers.size() == 1) return profile.containers.front();
    fail(Exit::usage,
         "profile '" + profile.name() + "' has " + std::to_string(names.size()) + " containers",
         "choose one with --container: " + join(names, ", "));
  }
  const profile::Container* found = profile.find_container(name);
  if (found == nullptr) {
    fail(Exit::usage, "profile '" + profile.name() + "' has no container '" + name + "'",
         "its containers are: " + join(names, ", "));
  }
  return *found;
}

}  // namespace bob::verify
