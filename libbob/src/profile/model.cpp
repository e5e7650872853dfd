// Reading, writing and normalising profiles. The canonical form is described in
// docs/profile-model.md; every rule there is implemented in `to_json` below.
#include <algorithm>
#include <iomanip>
#include <ostream>
#include <set>
#include <streambuf>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/profile.h"
#include "document.h"

namespace bob::profile {

namespace {

using detail::Document;
using detail::escape_pointer_token;

const char* type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "a mapping";
    case Json::value_t::array: return "a list";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    default: return "an unknown value";
  }
}

// Converts a parsed document into the model, failing on the first value of the wrong type.
// validate.cpp reports all problems at once; this reader only needs the first one.
class Reader {
 public:
  Reader(std::string source, const Document* document)
      : source_(std::move(source)), document_(document) {}

  Profile profile(const Json& object, const std::string& pointer) {
    expect_object(object, pointer);
    Profile profile;
    std::string kind = string_at(object, "kind", pointer);
    if (kind == "ApplicationProfile") {
      profile.kind = Kind::application_profile;
    } else if (kind == "ContainerProfile") {
      profile.kind = Kind::container_profile;
    } else {
      fail_at(pointer + "/kind",
              kind.empty() ? "the document has no kind"
                           : "kind '" + kind + "' is not a profile bob reads",
              "bob reads ApplicationProfile and ContainerProfile (and their List kinds)");
    }
    profile.api_version = string_at(object, "apiVersion", pointer);
    if (object.contains("metadata") && !object["metadata"].is_null()) {
      expect_object(object["metadata"], pointer + "/metadata");
      profile.metadata = object["metadata"];
    }
    for (const auto& [key, value] : object.items()) {
      if (key != "apiVersion" && key != "kind" && key != "metadata" && key != "spec") {
        profile.extra[key] = value;
      }
    }
    Json spec = object.contains("spec") ? object["spec"] : Json(nullptr);
    if (spec.is_null()) spec = Json::object();
    expect_object(spec, pointer + "/spec");
    profile.architectures = strings_at(spec, "architectures", pointer + "/spec");
    if (profile.kind == Kind::container_profile) {
      read_flat_spec(spec, pointer + "/spec", profile);
    } else {
      read_spec(spec, pointer + "/spec", profile);
    }
    return profile;
  }

 private:
  [[noreturn]] void fail_at(const std::string& pointer, const std::string& message,
                            const std::string& hint) {
    std::string where = source_;
    if (document_) where = detail::located(source_, document_->where(pointer));
    fail(Exit::usage, where + ": " + (pointer.empty() ? "/" : pointer) + ": " + message, hint);
  }

  void expect_object(const Json& v, const std::string& pointer) {
    if (!v.is_object()) {
      fail_at(pointer, std::string("expected a mapping, found ") + type_name(v),
              "see docs/profile-model.md for the profile layout");
    }
  }

  std::string string_at(const Json& parent, const std::string& key, const std::string& pointer) {
    if (!parent.contains(key) || parent[key].is_null()) return "";
    const Json& v = parent[key];
    if (!v.is_string()) {
      fail_at(pointer + "/" + escape_pointer_token(key),
              std::string("expected a string, found ") + type_name(v),
              "quote the value if it is meant as text");
    }
    return v.get<std::string>();
  }

  bool bool_at(const Json& parent, const std::string& key, const std::string& pointer) {
    if (!parent.contains(key) || parent[key].is_null()) return false;
    const Json& v = parent[key];
    if (!v.is_boolean()) {
      fail_at(pointer + "/" + key, std::string("expected true or false, found ") + type_name(v),
              "write true or false without quotes");
    }
    return v.get<bool>();
  }

  // null, absent and [] are all the empty list.
  const Json& list_at(const Json& parent, const std::string& key, const std::string& pointer) {
    static const Json kEmpty = Json::array();
    if (!parent.contains(key) || parent[key].is_null()) return kEmpty;
    const Json& v = parent[key];
    if (!v.is_array()) {
      fail_at(pointer + "/" + escape_pointer_token(key),
              std::string("expected a list, found ") + type_name(v),
              "write a YAML list (`- item` lines or `[a, b]`), or [] when empty");
    }
    return v;
  }

  std::vector<std::string> strings_at(const Json& parent, const std::string& key,
                                      const std::string& pointer) {
    std::vector<std::string> out;
    const Json& list = list_at(parent, key, pointer);
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) {
        fail_at(pointer + "/" + escape_pointer_token(key) + "/" + std::to_string(i),
                std::string("expected a string, found ") + type_name(list[i]),
                "quote the value if it is meant as text");
      }
      out.push_back(list[i].get<std::string>());
    }
    return out;
  }

  static Json extra_of(const Json& object, std::initializer_list<const char*> modelled) {
    Json extra = Json::object();
    for (const auto& [key, value] : object.items()) {
      // A named copy of the binding: clang before 16 cannot capture structured bindings.
      const std::string& name = key;
      bool known = std::any_of(modelled.begin(), modelled.end(),
                               [&name](const char* m) { return name == m; });
      if (!known) extra[key] = value;
    }
    return extra;
  }

  void read_spec(const Json& spec, const std::string& pointer, Profile& profile) {
    static const std::pair<const char*, Group> kGroups[] = {
        {"containers", Group::containers},
        {"initContainers", Group::init_containers},
        {"ephemeralContainers", Group::ephemeral_containers}};
    for (const auto& [key, group] : kGroups) {
      const Json& list = list_at(spec, key, pointer);
      for (std::size_t i = 0; i < list.size(); ++i) {
        std::string item_pointer = pointer + "/" + key + "/" + std::to_string(i);
        expect_object(list[i], item_pointer);
        Container container = read_container(list[i], item_pointer);
        container.name = string_at(list[i], "name", item_pointer);
        container.group = group;
        container.extra = extra_of(list[i], {"name", "capabilities", "execs", "opens", "syscalls",
                                             "endpoints", "imageID", "imageTag", "rulePolicies"});
        profile.containers.push_back(std::move(container));
      }
    }
    profile.spec_extra = extra_of(spec, {"architectures", "containers", "initContainers",
                                         "ephemeralContainers"});
  }

  void read_flat_spec(const Json& spec, const std::string& pointer, Profile& profile) {
    Container container = read_container(spec, pointer);
    container.ingress = neighbors(spec, "ingress", pointer);
    container.egress = neighbors(spec, "egress", pointer);
    // Container-level fields Kubescape defines but bob does not model travel with the container;
    // the label selector and unknown keys stay with the spec.
    for (const char* key : {"seccompProfile", "identifiedCallStacks"}) {
      if (spec.contains(key)) container.extra[key] = spec[key];
    }
    profile.spec_extra = extra_of(spec, {"architectures", "capabilities", "execs", "opens",
                                         "syscalls", "endpoints", "imageID", "imageTag",
                                         "rulePolicies", "ingress", "egress", "seccompProfile",
                                         "identifiedCallStacks"});
    profile.containers.push_back(std::move(container));
  }

  Container read_container(const Json& object, const std::string& pointer) {
    Container c;
    c.capabilities = strings_at(object, "capabilities", pointer);
    c.syscalls = strings_at(object, "syscalls", pointer);
    c.image_id = string_at(object, "imageID", pointer);
    c.image_tag = string_at(object, "imageTag", pointer);
    const Json& execs = list_at(object, "execs", pointer);
    for (std::size_t i = 0; i < execs.size(); ++i) {
      std::string p = pointer + "/execs/" + std::to_string(i);
      expect_object(execs[i], p);
      ExecCall e;
      e.path = string_at(execs[i], "path", p);
      e.args = strings_at(execs[i], "args", p);
      e.envs = strings_at(execs[i], "envs", p);
      if (execs[i].contains("argsRequired") && !execs[i]["argsRequired"].is_null()) {
        e.args_required = bool_at(execs[i], "argsRequired", p);
      }
      e.extra = extra_of(execs[i], {"path", "args", "envs", "argsRequired"});
      c.execs.push_back(std::move(e));
    }
    const Json& opens = list_at(object, "opens", pointer);
    for (std::size_t i = 0; i < opens.size(); ++i) {
      std::string p = pointer + "/opens/" + std::to_string(i);
      expect_object(opens[i], p);
      OpenCall o;
      o.path = string_at(opens[i], "path", p);
      o.flags = strings_at(opens[i], "flags", p);
      o.extra = extra_of(opens[i], {"path", "flags"});
      c.opens.push_back(std::move(o));
    }
    const Json& endpoints = list_at(object, "endpoints", pointer);
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      std::string p = pointer + "/endpoints/" + std::to_string(i);
      expect_object(endpoints[i], p);
      Endpoint e;
      e.endpoint = string_at(endpoints[i], "endpoint", p);
      e.methods = strings_at(endpoints[i], "methods", p);
      e.internal = bool_at(endpoints[i], "internal", p);
      e.direction = string_at(endpoints[i], "direction", p);
      if (endpoints[i].contains("headers") && !endpoints[i]["headers"].is_null()) {
        expect_object(endpoints[i]["headers"], p + "/headers");
        e.headers = endpoints[i]["headers"];
      }
      e.extra = extra_of(endpoints[i], {"endpoint", "methods", "internal", "direction", "headers"});
      c.endpoints.push_back(std::move(e));
    }
    if (object.contains("rulePolicies") && !object["rulePolicies"].is_null()) {
      const Json& policies = object["rulePolicies"];
      expect_object(policies, pointer + "/rulePolicies");
      for (const auto& [rule, value] : policies.items()) {
        std::string p = pointer + "/rulePolicies/" + escape_pointer_token(rule);
        RulePolicy policy;
        if (!value.is_null()) {
          expect_object(value, p);
          policy.process_allowed = strings_at(value, "processAllowed", p);
          policy.container_allowed = bool_at(value, "containerAllowed", p);
          policy.extra = extra_of(value, {"processAllowed", "containerAllowed"});
        }
        c.rule_policies[rule] = std::move(policy);
      }
    }
    return c;
  }

  std::vector<NetworkNeighbor> neighbors(const Json& spec, const char* key,
                                         const std::string& pointer) {
    std::vector<NetworkNeighbor> out;
    const Json& list = list_at(spec, key, pointer);
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string p = pointer + "/" + key + "/" + std::to_string(i);
      expect_object(list[i], p);
      NetworkNeighbor n;
      n.identifier = string_at(list[i], "identifier", p);
      n.type = string_at(list[i], "type", p);
      n.dns_names = strings_at(list[i], "dnsNames", p);
      n.ip_addresses = strings_at(list[i], "ipAddresses", p);
      const Json& ports = list_at(list[i], "ports", p);
      for (std::size_t k = 0; k < ports.size(); ++k) {
        std::string pp = p + "/ports/" + std::to_string(k);
        expect_object(ports[k], pp);
        NetworkPort port;
        port.name = string_at(ports[k], "name", pp);
        port.protocol = string_at(ports[k], "protocol", pp);
        if (ports[k].contains("port") && !ports[k]["port"].is_null()) {
          if (!ports[k]["port"].is_number_integer()) {
            fail_at(pp + "/port", std::string("expected an integer, found ") + type_name(ports[k]["port"]),
                    "write the port number without quotes");
          }
          port.port = ports[k]["port"].get<int>();
        }
        // Limitation: NetworkPort has no `extra`, so unknown keys inside a port entry are dropped
        // on load (bob validate warns about them).
        n.ports.push_back(port);
      }
      n.extra = extra_of(list[i], {"identifier", "type", "dnsNames", "ipAddresses", "ports"});
      out.push_back(std::move(n));
    }
    return out;
  }

  std::string source_;
  const Document* document_;
};

void sort_unique(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

Json string_list(const std::vector<std::string>& values) {
  Json out = Json::array();
  out.get_ref<Json::array_t&>().reserve(values.size());
  for (const auto& v : values) out.push_back(v);
  return out;
}

// Makes room for `more` keys in a JSON object before they are added. nlohmann's ordered_map is a
// vector of pair<const std::string, Json>, which cannot be moved: when it grows, every member is
// deep-copied, so adding keys one by one to an object that already holds a profile's 17,000
// opens copied them all, twice over.
void reserve_members(Json& object, std::size_t more) {
  if (object.is_null()) object = Json::object();
  if (!object.is_object()) return;
  auto& members = object.get_ref<Json::object_t&>();
  members.reserve(members.size() + more);
}

// The canonical (sorted, de-duplicated) form of a list, without touching the model.
Json canonical_list(std::vector<std::string> values) {
  sort_unique(values);
  return string_list(values);
}

Json neighbor_json(const NetworkNeighbor& n) {
  Json out = n.extra;
  out["identifier"] = n.identifier;
  out["type"] = n.type;
  out["dnsNames"] = string_list(n.dns_names);
  if (!n.ip_addresses.empty()) out["ipAddresses"] = string_list(n.ip_addresses);
  Json ports = Json::array();
  for (const auto& p : n.ports) {
    Json port = Json::object();
    port["name"] = p.name;
    port["protocol"] = p.protocol;
    if (p.port) port["port"] = *p.port;
    ports.push_back(port);
  }
  out["ports"] = ports;
  return out;
}

Json exec_json(const ExecCall& e) {
  Json exec = e.extra;
  reserve_members(exec, 4);
  exec["path"] = e.path;
  if (!e.args.empty()) exec["args"] = string_list(e.args);
  if (!e.envs.empty()) exec["envs"] = string_list(e.envs);
  if (e.args_required) exec["argsRequired"] = *e.args_required;
  return exec;
}

Json open_json(const OpenCall& o) {
  Json open = o.extra;
  reserve_members(open, 2);
  open["path"] = o.path;
  open["flags"] = string_list(o.flags);
  return open;
}

// A container's execs and opens can be tens of thousands of entries. When the YAML writer asks
// for them to be deferred, the tree holds a marker in their place (a binary value, which no
// loaded profile contains) and the writer turns one entry at a time into JSON as it writes.
enum class DeferredList : std::uint8_t { execs = 1, opens = 2 };

Json deferred_marker(DeferredList list, std::size_t container_index) {
  return Json::binary({static_cast<std::uint8_t>(list)}, container_index);
}

// The container fields shared by an ApplicationProfile container and a ContainerProfile spec.
// Lists that canonicalize() sorts are sorted here on a copy, so that writing a profile never
// copies the whole model (a recorded profile can hold tens of thousands of opens).
void write_container_fields(const Container& c, Json& out,
                            std::optional<std::size_t> defer_as = std::nullopt) {
  reserve_members(out, 12);
  out["capabilities"] = canonical_list(c.capabilities);
  if (defer_as) {
    out["execs"] = deferred_marker(DeferredList::execs, *defer_as);
    out["opens"] = deferred_marker(DeferredList::opens, *defer_as);
  } else {
    Json execs = Json::array();
    execs.get_ref<Json::array_t&>().reserve(c.execs.size());
    for (const auto& e : c.execs) execs.push_back(exec_json(e));
    out["execs"] = std::move(execs);
    Json opens = Json::array();
    opens.get_ref<Json::array_t&>().reserve(c.opens.size());
    for (const auto& o : c.opens) opens.push_back(open_json(o));
    out["opens"] = std::move(opens);
  }
  out["syscalls"] = canonical_list(c.syscalls);
  Json endpoints = Json::array();
  for (const auto& e : c.endpoints) {
    Json endpoint = e.extra;
    reserve_members(endpoint, 5);
    if (!e.endpoint.empty()) endpoint["endpoint"] = e.endpoint;
    if (!e.methods.empty()) endpoint["methods"] = string_list(e.methods);
    endpoint["internal"] = e.internal;
    if (!e.direction.empty()) endpoint["direction"] = e.direction;
    if (e.headers.is_object() && !e.headers.empty()) endpoint["headers"] = e.headers;
    endpoints.push_back(std::move(endpoint));
  }
  out["endpoints"] = std::move(endpoints);
  out["imageID"] = c.image_id;
  out["imageTag"] = c.image_tag;
  Json policies = Json::object();
  for (const auto& [rule, policy] : c.rule_policies) {
    Json p = policy.extra;
    if (!p.is_object()) p = Json::object();
    if (!policy.process_allowed.empty()) p["processAllowed"] = canonical_list(policy.process_allowed);
    if (policy.container_allowed) p["containerAllowed"] = true;
    policies[rule] = std::move(p);
  }
  out["rulePolicies"] = std::move(policies);
  if (!out.contains("identifiedCallStacks") || out["identifiedCallStacks"].is_null()) {
    out["identifiedCallStacks"] = Json::array();
  }
}

const char* group_key(Group group) {
  switch (group) {
    case Group::containers: return "containers";
    case Group::init_containers: return "initContainers";
    case Group::ephemeral_containers: return "ephemeralContainers";
  }
  return "containers";
}

void erase_key(Json& object, const char* key) {
  if (object.is_object()) object.erase(key);
}

}  // namespace

std::string Profile::name() const {
  if (metadata.is_object() && metadata.contains("name") && metadata["name"].is_string()) {
    return metadata["name"].get<std::string>();
  }
  return "";
}

std::string Profile::namespace_name() const {
  if (metadata.is_object() && metadata.contains("namespace") && metadata["namespace"].is_string()) {
    return metadata["namespace"].get<std::string>();
  }
  return "";
}

const Container* Profile::find_container(const std::string& container_name) const {
  for (Group group : {Group::containers, Group::init_containers, Group::ephemeral_containers}) {
    for (const auto& c : containers) {
      if (c.group == group && c.name == container_name) return &c;
    }
  }
  // A ContainerProfile holds exactly one unnamed container, which is the one asked for.
  if (kind == Kind::container_profile && containers.size() == 1) return &containers.front();
  return nullptr;
}

const char* group_name(Group group) { return group_key(group); }

void canonicalize(Profile& profile) {
  sort_unique(profile.architectures);
  for (auto& c : profile.containers) {
    sort_unique(c.capabilities);
    sort_unique(c.syscalls);
    for (auto& [_, policy] : c.rule_policies) sort_unique(policy.process_allowed);
  }
}

namespace {

// The whole profile as JSON; with `defer_lists`, containers' execs and opens are markers (see
// DeferredList) that the YAML writer fills in entry by entry.
Json to_json_tree(const Profile& profile, bool defer_lists) {
  Json out = profile.extra;
  reserve_members(out, 4);
  out["apiVersion"] = profile.api_version;
  out["kind"] = profile.kind == Kind::container_profile ? "ContainerProfile" : "ApplicationProfile";
  out["metadata"] = profile.metadata.is_object() ? profile.metadata : Json::object();
  Json spec = profile.spec_extra.is_object() ? profile.spec_extra : Json::object();
  reserve_members(spec, 16);
  spec["architectures"] = canonical_list(profile.architectures);
  if (profile.kind == Kind::container_profile) {
    static const Container kEmpty;
    const Container& single = profile.containers.empty() ? kEmpty : profile.containers.front();
    for (const auto& [key, value] : single.extra.items()) spec[key] = value;
    write_container_fields(single, spec,
                           defer_lists ? std::optional<std::size_t>(0) : std::nullopt);
    Json ingress = Json::array();
    for (const auto& n : single.ingress) ingress.push_back(neighbor_json(n));
    Json egress = Json::array();
    for (const auto& n : single.egress) egress.push_back(neighbor_json(n));
    spec["ingress"] = std::move(ingress);
    spec["egress"] = std::move(egress);
  } else {
    for (Group group : {Group::containers, Group::init_containers, Group::ephemeral_containers}) {
      Json list = Json::array();
      for (std::size_t i = 0; i < profile.containers.size(); ++i) {
        const Container& c = profile.containers[i];
        if (c.group != group) continue;
        Json container = c.extra.is_object() ? c.extra : Json::object();
        reserve_members(container, 1);
        if (!c.name.empty()) container["name"] = c.name;
        write_container_fields(c, container,
                               defer_lists ? std::optional<std::size_t>(i) : std::nullopt);
        list.push_back(std::move(container));
      }
      if (!list.empty()) spec[group_key(group)] = std::move(list);
    }
  }
  out["spec"] = std::move(spec);
  return detail::sorted_keys(std::move(out));
}

// An open entry without extra fields, as YAML: the bulk of a recorded profile, written without
// building its JSON first. The same text the generic writer gives for open_json(open) with its
// keys sorted (tests compare the two). Returns false, writing nothing, for an entry with extras.
bool write_plain_open(const OpenCall& open, std::string_view pad, std::string& out) {
  if (!open.extra.empty()) return false;
  out += pad;
  out += "- flags:";
  if (open.flags.empty()) {
    out += " []\n";
  } else {
    out += '\n';
    for (const auto& flag : open.flags) {
      out += pad;
      out += "  - ";
      detail::append_yaml_scalar(out, flag);
      out += '\n';
    }
  }
  out += pad;
  out += "  path: ";
  detail::append_yaml_scalar(out, open.path);
  out += '\n';
  return true;
}

// Writes the YAML of a profile, filling in the deferred lists one entry at a time.
void write_yaml(const Profile& profile, const TextSink& sink) {
  detail::DeferredLists lists;
  auto container_of = [&](const Json& marker) -> const Container& {
    return profile.containers.at(static_cast<std::size_t>(marker.get_binary().subtype()));
  };
  auto list_of = [](const Json& marker) {
    return static_cast<DeferredList>(marker.get_binary().at(0));
  };
  lists.size = [&](const Json& marker) {
    const Container& c = container_of(marker);
    return list_of(marker) == DeferredList::execs ? c.execs.size() : c.opens.size();
  };
  lists.item = [&](const Json& marker, std::size_t i) {
    const Container& c = container_of(marker);
    Json entry = list_of(marker) == DeferredList::execs ? exec_json(c.execs[i]) : open_json(c.opens[i]);
    return detail::sorted_keys(std::move(entry));
  };
  lists.write_item = [&](const Json& marker, std::size_t i, std::string_view pad,
                         std::string& out) {
    const Container& c = container_of(marker);
    return list_of(marker) == DeferredList::opens && write_plain_open(c.opens[i], pad, out);
  };
  detail::emit_yaml(to_json_tree(profile, true), sink, lists);
}

}  // namespace

Json to_json(const Profile& profile) { return to_json_tree(profile, false); }

Profile from_json(const Json& object, const std::string& source_name) {
  return Reader(source_name, nullptr).profile(object, "");
}

namespace detail {

std::vector<Profile> profiles_of(const Document& document, const std::string& source) {
  Reader reader(source, &document);
  std::vector<Profile> out;
  const Json& value = document.value;
  if (!value.is_object()) {
    fail(Exit::usage,
         located(source, document.start) + ": /: expected a Kubernetes object (a mapping with "
             "apiVersion, kind, metadata, spec), found " + type_name(value),
         "check that the file is a profile");
  }
  std::string kind = value.contains("kind") && value["kind"].is_string()
                         ? value["kind"].get<std::string>() : "";
  if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0) {
    if (!value.contains("items") || value["items"].is_null()) return out;
    if (!value["items"].is_array()) {
      fail(Exit::usage, located(source, document.where("/items")) + ": /items: expected a list",
           "a " + kind + " holds its objects in `items`");
    }
    for (std::size_t i = 0; i < value["items"].size(); ++i) {
      out.push_back(reader.profile(value["items"][i], "/items/" + std::to_string(i)));
    }
    return out;
  }
  out.push_back(reader.profile(value, ""));
  return out;
}

}  // namespace detail

std::vector<Profile> load_string(const std::string& text, const std::string& source_name) {
  std::vector<Profile> out;
  for (const auto& document : detail::parse_documents(text, source_name)) {
    for (auto& p : detail::profiles_of(document, source_name)) out.push_back(std::move(p));
  }
  if (out.empty()) {
    fail(Exit::usage, source_name + ": the file holds no profile",
         "expected an ApplicationProfile or ContainerProfile document");
  }
  return out;
}

std::vector<Profile> load_file(const std::string& path) {
  return load_string(fs::read_file(path, detail::kMaxInputBytes), path);
}

std::string to_string(const Profile& profile, Format format) {
  if (format == Format::json) return to_json(profile).dump(2) + "\n";
  std::string text;
  write_yaml(profile, [&](std::string_view piece) { text.append(piece); });
  return text;
}

namespace {

// An output stream buffer that hands what nlohmann writes to a TextSink in 64 KiB pieces.
class SinkBuffer : public std::streambuf {
 public:
  explicit SinkBuffer(const TextSink& sink) : sink_(sink), buffer_(64u << 10) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  void flush_all() {
    std::ptrdiff_t n = pptr() - pbase();
    if (n > 0) sink_(std::string_view(pbase(), static_cast<std::size_t>(n)));
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }

 protected:
  int_type overflow(int_type c) override {
    flush_all();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    flush_all();
    return 0;
  }

 private:
  const TextSink& sink_;
  std::vector<char> buffer_;
};

}  // namespace

void write(const Profile& profile, Format format, const TextSink& sink) {
  if (format == Format::yaml) {
    write_yaml(profile, sink);
    return;
  }
  SinkBuffer buffer(sink);
  std::ostream stream(&buffer);
  // The same text as dump(2): nlohmann pretty-prints with the stream's width as indentation.
  stream << std::setw(2) << to_json(profile) << '\n';
  buffer.flush_all();
}

std::string to_string(const std::vector<Profile>& profiles, Format format) {
  if (profiles.size() == 1) return to_string(profiles.front(), format);
  if (format == Format::json) {
    Json list = Json::object();
    list["apiVersion"] = "v1";
    list["items"] = Json::array();
    for (const auto& p : profiles) list["items"].push_back(to_json(p));
    list["kind"] = "List";
    return list.dump(2) + "\n";
  }
  std::string out;
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    if (i > 0) out += "---\n";
    out += detail::emit_yaml(to_json(profiles[i]));
  }
  return out;
}

void strip_volatile(Profile& profile) {
  Json& m = profile.metadata;
  if (!m.is_object()) return;
  for (const char* key : {"creationTimestamp", "resourceVersion", "uid", "generation",
                          "managedFields", "selfLink"}) {
    erase_key(m, key);
  }
  if (m.contains("annotations") && m["annotations"].is_object()) {
    erase_key(m["annotations"], "kubescape.io/resource-size");
    erase_key(m["annotations"], "kubectl.kubernetes.io/last-applied-configuration");
    if (m["annotations"].empty()) m.erase("annotations");
  }
  if (m.contains("labels") && m["labels"].is_object()) {
    erase_key(m["labels"], "kubescape.io/workload-resource-version");
    if (m["labels"].empty()) m.erase("labels");
  }
}

}  // namespace bob::profile
