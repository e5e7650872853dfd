// Summary, semantic diff and merge of profiles (bob summarize, bob diff, bob merge).
#include "bob/profile_ops.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "bob/error.h"
#include "bob/log.h"

namespace bob::profile {

namespace {

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto end = s.find(separator, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

const char* type_of(Group group) {
  switch (group) {
    case Group::containers: return "container";
    case Group::init_containers: return "initContainer";
    case Group::ephemeral_containers: return "ephemeralContainer";
  }
  return "container";
}

bool is_hex_suffix(const std::string& token) {
  return token.size() >= 6 && std::all_of(token.begin(), token.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}

std::string pad(const std::string& s, std::size_t width) {
  // Width in characters, so that UTF-8 names line up like the prototype's printf did for ASCII.
  std::size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars >= width ? s : s + std::string(width - chars, ' ');
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// --- diff helpers ----------------------------------------------------------------------------

std::string container_label(const Container& c) { return c.name; }

std::string exec_key(const ExecCall& e) {
  std::string key = e.path;
  for (const auto& a : e.args) key += std::string("\x1f") + a;
  key += "\x1e";
  for (const auto& v : e.envs) key += std::string("\x1f") + v;
  if (e.args_required) key += *e.args_required ? "\x1drequired" : "\x1doptional";
  return key;
}

std::string exec_text(const ExecCall& e) {
  std::string out = e.path;
  if (!e.args.empty()) out += " [" + join(e.args, " ") + "]";
  if (!e.envs.empty()) out += " env[" + join(e.envs, " ") + "]";
  if (e.args_required && *e.args_required) out += " (argsRequired)";
  return out;
}

std::string endpoint_key(const Endpoint& e) { return e.endpoint + " " + e.direction; }

std::string set_delta(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::set<std::string> sa(a.begin(), a.end());
  std::set<std::string> sb(b.begin(), b.end());
  std::vector<std::string> parts;
  for (const auto& x : sb) {
    if (!sa.count(x)) parts.push_back("+" + x);
  }
  for (const auto& x : sa) {
    if (!sb.count(x)) parts.push_back("-" + x);
  }
  return join(parts, " ");
}

class Differ {
 public:
  explicit Differ(std::vector<Difference>& out) : out_(out) {}

  void add(const Container* c, const std::string& field, char change, const std::string& item,
           const std::string& detail = "") {
    Difference d;
    if (c) {
      d.container = container_label(*c);
      d.group = group_name(c->group);
    }
    d.field = field;
    d.change = change;
    d.item = item;
    d.detail = detail;
    out_.push_back(std::move(d));
  }

  void strings(const Container* c, const std::string& field, const std::vector<std::string>& a,
               const std::vector<std::string>& b) {
    std::set<std::string> sa(a.begin(), a.end());
    std::set<std::string> sb(b.begin(), b.end());
    for (const auto& x : sa) {
      if (!sb.count(x)) add(c, field, '-', x);
    }
    for (const auto& x : sb) {
      if (!sa.count(x)) add(c, field, '+', x);
    }
  }

  void containers(const Container& a, const Container& b) {
    const Container* c = &a;
    strings(c, "capabilities", a.capabilities, b.capabilities);
    strings(c, "syscalls", a.syscalls, b.syscalls);
    std::map<std::string, const ExecCall*> ea;
    std::map<std::string, const ExecCall*> eb;
    for (const auto& e : a.execs) ea.emplace(exec_key(e), &e);
    for (const auto& e : b.execs) eb.emplace(exec_key(e), &e);
    for (const auto& [k, e] : ea) {
      if (!eb.count(k)) add(c, "execs", '-', exec_text(*e));
    }
    for (const auto& [k, e] : eb) {
      if (!ea.count(k)) add(c, "execs", '+', exec_text(*e));
    }
    opens(c, a, b);
    endpoints(c, a, b);
    policies(c, a, b);
    if (a.image_id != b.image_id) add(c, "imageID", '~', a.image_id, "-> " + b.image_id);
    if (a.image_tag != b.image_tag) add(c, "imageTag", '~', a.image_tag, "-> " + b.image_tag);
    neighbors(c, "ingress", a.ingress, b.ingress);
    neighbors(c, "egress", a.egress, b.egress);
  }

 private:
  void opens(const Container* c, const Container& a, const Container& b) {
    std::map<std::string, std::vector<std::string>> fa;
    std::map<std::string, std::vector<std::string>> fb;
    for (const auto& o : a.opens) {
      auto& flags = fa[o.path];
      flags.insert(flags.end(), o.flags.begin(), o.flags.end());
    }
    for (const auto& o : b.opens) {
      auto& flags = fb[o.path];
      flags.insert(flags.end(), o.flags.begin(), o.flags.end());
    }
    for (const auto& [path, flags] : fa) {
      auto other = fb.find(path);
      if (other == fb.end()) {
        add(c, "opens", '-', path, "flags " + join(flags, ","));
        continue;
      }
      std::string delta = set_delta(flags, other->second);
      if (!delta.empty()) add(c, "opens", '~', path, "flags " + delta);
    }
    for (const auto& [path, flags] : fb) {
      if (!fa.count(path)) add(c, "opens", '+', path, "flags " + join(flags, ","));
    }
  }

  void endpoints(const Container* c, const Container& a, const Container& b) {
    std::map<std::string, const Endpoint*> ma;
    std::map<std::string, const Endpoint*> mb;
    for (const auto& e : a.endpoints) ma.emplace(endpoint_key(e), &e);
    for (const auto& e : b.endpoints) mb.emplace(endpoint_key(e), &e);
    for (const auto& [key, e] : ma) {
      auto other = mb.find(key);
      if (other == mb.end()) {
        add(c, "endpoints", '-', key);
        continue;
      }
      std::vector<std::string> details;
      std::string methods = set_delta(e->methods, other->second->methods);
      if (!methods.empty()) details.push_back("methods " + methods);
      if (e->internal != other->second->internal) {
        details.push_back(std::string("internal ") + (other->second->internal ? "true" : "false"));
      }
      if (e->headers != other->second->headers) details.push_back("headers " + other->second->headers.dump());
      if (!details.empty()) add(c, "endpoints", '~', key, join(details, "; "));
    }
    for (const auto& [key, e] : mb) {
      if (!ma.count(key)) add(c, "endpoints", '+', key);
    }
  }

  void policies(const Container* c, const Container& a, const Container& b) {
    for (const auto& [rule, policy] : a.rule_policies) {
      auto other = b.rule_policies.find(rule);
      if (other == b.rule_policies.end()) {
        add(c, "rulePolicies", '-', rule);
        continue;
      }
      std::vector<std::string> details;
      std::string allowed = set_delta(policy.process_allowed, other->second.process_allowed);
      if (!allowed.empty()) details.push_back("processAllowed " + allowed);
      if (policy.container_allowed != other->second.container_allowed) {
        details.push_back(std::string("containerAllowed ") +
                          (other->second.container_allowed ? "true" : "false"));
      }
      if (!details.empty()) add(c, "rulePolicies", '~', rule, join(details, "; "));
    }
    for (const auto& [rule, policy] : b.rule_policies) {
      if (!a.rule_policies.count(rule)) add(c, "rulePolicies", '+', rule);
    }
  }

  void neighbors(const Container* c, const std::string& field, const std::vector<NetworkNeighbor>& a,
                 const std::vector<NetworkNeighbor>& b) {
    auto as_json = [](const NetworkNeighbor& n) {
      Profile p;
      p.kind = Kind::container_profile;
      Container holder;
      holder.ingress.push_back(n);
      p.containers.push_back(holder);
      return to_json(p)["spec"]["ingress"][0];
    };
    std::map<std::string, Json> ma;
    std::map<std::string, Json> mb;
    for (const auto& n : a) ma.emplace(n.identifier, as_json(n));
    for (const auto& n : b) mb.emplace(n.identifier, as_json(n));
    for (const auto& [id, n] : ma) {
      auto other = mb.find(id);
      if (other == mb.end()) add(c, field, '-', id);
      else if (other->second != n) add(c, field, '~', id, "-> " + other->second.dump());
    }
    for (const auto& [id, n] : mb) {
      if (!ma.count(id)) add(c, field, '+', id);
    }
  }

  std::vector<Difference>& out_;
};

// --- merge helpers ---------------------------------------------------------------------------

template <typename T>
void append_missing(std::vector<T>& into, const std::vector<T>& from) {
  for (const auto& x : from) {
    if (std::find(into.begin(), into.end(), x) == into.end()) into.push_back(x);
  }
}

void merge_extra(Json& into, const Json& from) {
  if (!into.is_object() || !from.is_object()) return;
  for (const auto& [key, value] : from.items()) {
    if (!into.contains(key) || into[key].is_null()) into[key] = value;
  }
}

void merge_container(Container& into, const Container& from) {
  append_missing(into.capabilities, from.capabilities);
  append_missing(into.syscalls, from.syscalls);
  for (const auto& e : from.execs) {
    bool known = std::any_of(into.execs.begin(), into.execs.end(),
                             [&](const ExecCall& x) { return exec_key(x) == exec_key(e); });
    if (!known) into.execs.push_back(e);
  }
  for (const auto& o : from.opens) {
    auto it = std::find_if(into.opens.begin(), into.opens.end(),
                           [&](const OpenCall& x) { return x.path == o.path; });
    if (it == into.opens.end()) {
      into.opens.push_back(o);
    } else {
      append_missing(it->flags, o.flags);
      merge_extra(it->extra, o.extra);
    }
  }
  for (const auto& e : from.endpoints) {
    auto it = std::find_if(into.endpoints.begin(), into.endpoints.end(),
                           [&](const Endpoint& x) { return endpoint_key(x) == endpoint_key(e); });
    if (it == into.endpoints.end()) {
      into.endpoints.push_back(e);
      continue;
    }
    append_missing(it->methods, e.methods);
    it->internal = it->internal || e.internal;
    if (e.headers.is_object()) {
      if (!it->headers.is_object()) it->headers = Json::object();
      for (const auto& [name, values] : e.headers.items()) {
        Json& target = it->headers[name];
        if (!target.is_array()) target = Json::array();
        if (!values.is_array()) continue;
        for (const auto& v : values) {
          if (std::find(target.begin(), target.end(), v) == target.end()) target.push_back(v);
        }
      }
    }
    merge_extra(it->extra, e.extra);
  }
  for (const auto& [rule, policy] : from.rule_policies) {
    auto [it, inserted] = into.rule_policies.emplace(rule, policy);
    if (inserted) continue;
    append_missing(it->second.process_allowed, policy.process_allowed);
    it->second.container_allowed = it->second.container_allowed || policy.container_allowed;
    merge_extra(it->second.extra, policy.extra);
  }
  if (into.image_id.empty()) into.image_id = from.image_id;
  if (into.image_tag.empty()) into.image_tag = from.image_tag;
  if (!from.image_id.empty() && from.image_id != into.image_id) {
    log::warn("merge: container '" + into.name + "' has different imageIDs; keeping " + into.image_id);
  }
  for (auto* list : {&into.ingress, &into.egress}) {
    const auto& source = list == &into.ingress ? from.ingress : from.egress;
    for (const auto& n : source) {
      bool known = std::any_of(list->begin(), list->end(),
                               [&](const NetworkNeighbor& x) { return x.identifier == n.identifier; });
      if (!known) list->push_back(n);
    }
  }
  merge_extra(into.extra, from.extra);
}

}  // namespace

// --- summary ---------------------------------------------------------------------------------

std::string short_component_name(const std::string& profile_name) {
  static const std::set<std::string> kSetKinds = {"replicaset", "statefulset", "daemonset",
                                                   "deploymentset", "jobset", "cronjobset"};
  std::vector<std::string> tokens = split(profile_name, '-');
  for (auto& t : tokens) {
    if (kSetKinds.count(t)) t = "rs";
    else if (t == "deployment") t = "deploy";
    else if (t == "cronjob") t = "cj";
  }
  std::string name = join(tokens, "-");
  // Matrix runs of the prototype named profiles "...-other-k8s-<version>"; drop that part.
  auto other = name.find("-other-k8s-");
  if (other != std::string::npos) {
    auto end = other + 11;
    while (end < name.size() && (std::isdigit(static_cast<unsigned char>(name[end])) || name[end] == '-')) ++end;
    name.erase(other, end - other);
  }
  auto dash = name.rfind('-');
  if (dash != std::string::npos && is_hex_suffix(name.substr(dash + 1))) name.erase(dash);
  return name;
}

std::vector<SummaryRow> summarize(const Profile& profile) {
  std::vector<SummaryRow> rows;
  std::string component = short_component_name(profile.name());
  for (Group group : {Group::containers, Group::init_containers, Group::ephemeral_containers}) {
    for (const auto& c : profile.containers) {
      if (c.group != group) continue;
      SummaryRow row;
      row.component = component;
      row.container = profile.kind == Kind::container_profile && c.name.empty() ? profile.name() : c.name;
      row.type = type_of(group);
      row.capabilities = c.capabilities;
      row.endpoints = c.endpoints.size();
      row.opens = c.opens.size();
      row.execs = c.execs.size();
      row.syscalls = c.syscalls.size();
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::string summary_markdown(const std::vector<SummaryRow>& rows) {
  // Column widths are the prototype's, so that its tables and bob's compare line by line.
  static const std::size_t kWidths[] = {27, 16, 12, 35, 6, 6, 6, 8};
  auto line = [](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (std::size_t i = 0; i < cells.size(); ++i) out += " " + pad(cells[i], kWidths[i]) + " |";
    return out + "\n";
  };
  std::string out = line({"Component", "Container", "Type", "Capabilities", "Net", "Opens", "Execs", "Syscalls"});
  out += "|";
  for (std::size_t w : kWidths) out += std::string(w + 2, '-') + "|";
  out += "\n";
  for (const auto& r : rows) {
    std::string caps = r.capabilities.empty() ? "none" : join(r.capabilities, "<br>");
    out += line({r.component, r.container, r.type, caps, std::to_string(r.endpoints),
                 std::to_string(r.opens), std::to_string(r.execs), std::to_string(r.syscalls)});
  }
  return out;
}

std::string summary_csv(const std::vector<SummaryRow>& rows) {
  std::string out = "component,container,type,capabilities,net,opens,execs,syscalls\n";
  for (const auto& r : rows) {
    out += csv_field(r.component) + "," + csv_field(r.container) + "," + r.type + "," +
           csv_field(join(r.capabilities, " ")) + "," + std::to_string(r.endpoints) + "," +
           std::to_string(r.opens) + "," + std::to_string(r.execs) + "," +
           std::to_string(r.syscalls) + "\n";
  }
  return out;
}

Json summary_json(const std::vector<SummaryRow>& rows) {
  Json out = Json::array();
  for (const auto& r : rows) {
    Json row = Json::object();
    row["component"] = r.component;
    row["container"] = r.container;
    row["type"] = r.type;
    row["capabilities"] = r.capabilities;
    row["net"] = r.endpoints;
    row["opens"] = r.opens;
    row["execs"] = r.execs;
    row["syscalls"] = r.syscalls;
    out.push_back(row);
  }
  return out;
}

// --- diff ------------------------------------------------------------------------------------

std::vector<Difference> diff(const Profile& a, const Profile& b) {
  std::vector<Difference> out;
  Differ differ(out);
  if (a.kind != b.kind) {
    differ.add(nullptr, "kind", '~', a.kind == Kind::container_profile ? "ContainerProfile" : "ApplicationProfile",
               std::string("-> ") + (b.kind == Kind::container_profile ? "ContainerProfile" : "ApplicationProfile"));
  }
  differ.strings(nullptr, "architectures", a.architectures, b.architectures);
  auto match = [](const Profile& p, const Container& c) -> const Container* {
    for (const auto& x : p.containers) {
      if (x.group == c.group && x.name == c.name) return &x;
    }
    return nullptr;
  };
  for (const auto& ca : a.containers) {
    const Container* cb = match(b, ca);
    if (!cb) differ.add(&ca, "container", '-', ca.name);
    else differ.containers(ca, *cb);
  }
  for (const auto& cb : b.containers) {
    if (!match(a, cb)) differ.add(&cb, "container", '+', cb.name);
  }
  return out;
}

std::string diff_text(const std::vector<Difference>& differences) {
  std::string out;
  std::string current = "\x01";
  for (const auto& d : differences) {
    std::string heading = d.group.empty() ? "profile" : "container '" + d.container + "' (" + d.group + ")";
    if (heading != current) {
      out += heading + ":\n";
      current = heading;
    }
    out += "  " + std::string(1, d.change) + " " + d.field + " " + d.item;
    if (!d.detail.empty()) out += ": " + d.detail;
    out += "\n";
  }
  return out;
}

Json diff_json(const std::vector<Difference>& differences) {
  Json list = Json::array();
  for (const auto& d : differences) {
    Json item = Json::object();
    item["container"] = d.container;
    item["group"] = d.group;
    item["field"] = d.field;
    item["change"] = d.change == '+' ? "added" : d.change == '-' ? "removed" : "changed";
    item["item"] = d.item;
    if (!d.detail.empty()) item["detail"] = d.detail;
    list.push_back(item);
  }
  Json out = Json::object();
  out["different"] = !differences.empty();
  out["differences"] = list;
  return out;
}

// --- merge -----------------------------------------------------------------------------------

Profile merge(const std::vector<Profile>& profiles) {
  if (profiles.empty()) fail(Exit::usage, "nothing to merge", "give at least one profile");
  Profile result = profiles.front();
  strip_volatile(result);
  if (result.metadata.is_object() && result.metadata.contains("annotations") &&
      result.metadata["annotations"].is_object()) {
    // A signature over the first input does not cover the merged content.
    Json& annotations = result.metadata["annotations"];
    std::vector<std::string> stale;
    for (const auto& [key, _] : annotations.items()) {
      if (key.rfind("signature.kubescape.io/", 0) == 0) stale.push_back(key);
    }
    for (const auto& key : stale) annotations.erase(key);
  }
  for (std::size_t i = 1; i < profiles.size(); ++i) {
    const Profile& p = profiles[i];
    if (p.kind != result.kind) {
      auto kind_name = [](Kind k) {
        return std::string(k == Kind::container_profile ? "ContainerProfile" : "ApplicationProfile");
      };
      fail(Exit::usage, "cannot merge " + kind_name(p.kind) + " '" + p.name() + "' with " +
                            kind_name(result.kind) + " '" + result.name() + "'",
           "merge profiles of one kind at a time");
    }
    append_missing(result.architectures, p.architectures);
    for (const auto& c : p.containers) {
      auto it = std::find_if(result.containers.begin(), result.containers.end(), [&](const Container& x) {
        return result.kind == Kind::container_profile || (x.group == c.group && x.name == c.name);
      });
      if (it == result.containers.end()) result.containers.push_back(c);
      else merge_container(*it, c);
    }
    merge_extra(result.spec_extra, p.spec_extra);
  }
  canonicalize(result);
  return result;
}

}  // namespace bob::profile
