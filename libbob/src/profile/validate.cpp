// bob validate: walks the raw parsed document (not the model, which would stop at the first
// wrong type) and reports every problem with its JSON pointer and source position.
#include "bob/validate.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "document.h"
#include "tables.h"

namespace bob::profile {

namespace {

// Kernel limits (include/uapi/linux/limits.h, binfmts.h): what no traced event can exceed.
constexpr std::size_t kPathMax = 4096;
constexpr std::size_t kMaxArgStrlen = 32 * 4096;  // MAX_ARG_STRLEN
constexpr std::size_t kMaxArgBytes = (8u << 20) / 4;  // argv + envp under an 8 MiB stack rlimit

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

std::string squote(const std::string& s) { return "'" + s + "'"; }

// Does a path segment hold a wildcard token that is not the whole segment? Kubescape compares
// such a segment literally, so it only ever matches a file literally named like that.
bool partial_wildcard_segment(const std::string& segment) {
  if (segment == "*" || segment == kDynamicSegment) return false;
  return segment.find('*') != std::string::npos ||
         segment.find(kDynamicSegment) != std::string::npos;
}

std::string first_partial_wildcard(const std::string& path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    if (partial_wildcard_segment(segment)) return segment;
    start = end + 1;
  }
  return "";
}

class Validator {
 public:
  Validator(const std::string& source, const Document& document, std::vector<Problem>& out)
      : source_(source), document_(document), out_(out) {}

  void run() {
    scan_strings(document_.value, "");
    const Json& v = document_.value;
    if (!v.is_object()) {
      error("", std::string("expected a Kubernetes object, found ") + type_name(v),
            "a profile is a mapping with apiVersion, kind, metadata and spec");
      return;
    }
    std::string kind = v.contains("kind") && v["kind"].is_string() ? v["kind"].get<std::string>() : "";
    if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0) {
      if (!v.contains("items") || v["items"].is_null()) return;
      if (!v["items"].is_array()) {
        error("/items", std::string("expected a list, found ") + type_name(v["items"]),
              "a " + kind + " holds its objects in `items`");
        return;
      }
      for (std::size_t i = 0; i < v["items"].size(); ++i) {
        object(v["items"][i], "/items/" + std::to_string(i));
      }
      return;
    }
    object(v, "");
  }

 private:
  void add(Severity severity, const std::string& pointer, std::string message, std::string hint) {
    auto p = document_.where(pointer);
    out_.push_back({source_, p.line, p.column, severity, pointer, std::move(message), std::move(hint)});
  }
  void error(const std::string& pointer, std::string message, std::string hint) {
    add(Severity::error, pointer, std::move(message), std::move(hint));
  }
  void warning(const std::string& pointer, std::string message, std::string hint) {
    add(Severity::warning, pointer, std::move(message), std::move(hint));
  }

  static std::string child(const std::string& pointer, const std::string& key) {
    return pointer + "/" + escape_pointer_token(key);
  }

  // Helm placeholders can sit anywhere, so every string is looked at once.
  void scan_strings(const Json& v, const std::string& pointer) {
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      auto open = s.find("{{");
      if (open != std::string::npos && s.find("}}", open) != std::string::npos) {
        warning(pointer, "the value holds an unrendered Helm placeholder: " + squote(s),
                "render the chart with `helm template` and validate the result");
      }
    } else if (v.is_object()) {
      for (const auto& [key, value] : v.items()) scan_strings(value, child(pointer, key));
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i) scan_strings(v[i], pointer + "/" + std::to_string(i));
    }
  }

  bool expect(const Json& v, Json::value_t type, const std::string& pointer, const char* what) {
    bool ok = v.type() == type || (type == Json::value_t::number_integer && v.is_number_unsigned());
    if (!ok) {
      error(pointer, std::string("expected ") + what + ", found " + type_name(v),
            type == Json::value_t::string ? "quote the value if it is meant as text"
            : type == Json::value_t::array ? "write a list (`- item` lines or `[a, b]`), or [] when empty"
            : type == Json::value_t::boolean ? "write true or false without quotes"
            : "see docs/profile-model.md for the profile layout");
    }
    return ok;
  }

  // A field that may be absent or null; returns the value when it has the expected type.
  const Json* optional(const Json& parent, const std::string& key, const std::string& pointer,
                       Json::value_t type, const char* what) {
    if (!parent.contains(key) || parent[key].is_null()) return nullptr;
    if (!expect(parent[key], type, child(pointer, key), what)) return nullptr;
    return &parent[key];
  }

  // A list of strings; calls check(value, pointer) for each element that is a string.
  template <typename Check>
  void string_list(const Json& parent, const std::string& key, const std::string& pointer,
                   Check check) {
    const Json* list = optional(parent, key, pointer, Json::value_t::array, "a list of strings");
    if (!list) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::string p = child(pointer, key) + "/" + std::to_string(i);
      if (expect((*list)[i], Json::value_t::string, p, "a string")) check((*list)[i].get<std::string>(), p);
    }
  }
  void string_list(const Json& parent, const std::string& key, const std::string& pointer) {
    string_list(parent, key, pointer, [](const std::string&, const std::string&) {});
  }

  void unknown_keys(const Json& object, const std::string& pointer,
                    std::initializer_list<const char*> known, const char* where) {
    for (const auto& [key, _] : object.items()) {
      // A named copy of the binding: clang before 16 cannot capture structured bindings.
      const std::string& name = key;
      bool ok = std::any_of(known.begin(), known.end(), [&name](const char* k) { return name == k; });
      if (!ok) {
        warning(child(pointer, key), "unknown field " + squote(key) + " in " + where +
                                         "; Kubescape ignores it",
                "check the spelling against docs/profile-model.md; bob keeps the field as it is");
      }
    }
  }

  void object(const Json& v, const std::string& pointer) {
    if (!expect(v, Json::value_t::object, pointer, "a mapping")) return;
    std::string kind;
    if (!v.contains("kind")) {
      error(pointer, "the document has no kind",
            "add `kind: ApplicationProfile` or `kind: ContainerProfile`");
      return;
    }
    if (expect(v["kind"], Json::value_t::string, child(pointer, "kind"), "a string")) {
      kind = v["kind"].get<std::string>();
    }
    if (kind != "ApplicationProfile" && kind != "ContainerProfile") {
      if (!kind.empty()) {
        error(child(pointer, "kind"), "unknown kind " + squote(kind) + "; bob validates profiles only",
              "use ApplicationProfile or ContainerProfile (NetworkNeighborhood is not a profile)");
      }
      return;
    }
    bool flat = kind == "ContainerProfile";
    if (!v.contains("apiVersion") || v["apiVersion"].is_null()) {
      error(pointer, "the document has no apiVersion", std::string("add `apiVersion: ") + kApiVersion + "`");
    } else if (expect(v["apiVersion"], Json::value_t::string, child(pointer, "apiVersion"), "a string") &&
               v["apiVersion"] != kApiVersion) {
      error(child(pointer, "apiVersion"),
            "unknown apiVersion " + squote(v["apiVersion"].get<std::string>()) + " for a " + kind,
            std::string("Kubescape serves ") + kind + " only as " + kApiVersion);
    }
    unknown_keys(v, pointer, {"apiVersion", "kind", "metadata", "spec", "status"}, "the object");
    metadata(v, pointer);
    if (!v.contains("spec") || v["spec"].is_null()) {
      error(pointer, "the document has no spec", "add the spec with the profile's containers");
      return;
    }
    const Json& spec = v["spec"];
    std::string sp = child(pointer, "spec");
    if (!expect(spec, Json::value_t::object, sp, "a mapping")) return;
    architectures_ = {};
    string_list(spec, "architectures", sp, [this](const std::string& arch, const std::string& p) {
      if (detail::contains_name(detail::kArchitectures, arch)) {
        architectures_.insert(arch);
      } else {
        warning(p, "unknown architecture " + squote(arch) + "; syscall names are checked against "
                   "amd64 and arm64 only",
                "Kubescape records the Go architecture name: amd64 or arm64");
      }
    });
    if (flat) {
      unknown_keys(spec, sp, {"architectures", "capabilities", "execs", "opens", "syscalls",
                              "seccompProfile", "endpoints", "imageID", "imageTag", "rulePolicies",
                              "identifiedCallStacks", "matchLabels", "matchExpressions", "ingress",
                              "egress"}, "a ContainerProfile spec");
      container_fields(spec, sp);
      neighbors(spec, "ingress", sp);
      neighbors(spec, "egress", sp);
      optional(spec, "matchLabels", sp, Json::value_t::object, "a mapping");
      optional(spec, "matchExpressions", sp, Json::value_t::array, "a list");
      return;
    }
    unknown_keys(spec, sp, {"architectures", "containers", "initContainers", "ephemeralContainers"},
                 "an ApplicationProfile spec");
    std::map<std::string, std::string> names;  // container name -> pointer of first use
    for (const char* group : {"containers", "initContainers", "ephemeralContainers"}) {
      const Json* list = optional(spec, group, sp, Json::value_t::array, "a list of containers");
      if (!list) continue;
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string cp = child(sp, group) + "/" + std::to_string(i);
        const Json& c = (*list)[i];
        if (!expect(c, Json::value_t::object, cp, "a mapping")) continue;
        unknown_keys(c, cp, {"name", "capabilities", "execs", "opens", "syscalls", "seccompProfile",
                             "endpoints", "imageID", "imageTag", "rulePolicies",
                             "identifiedCallStacks"}, "a container");
        if (const Json* name = optional(c, "name", cp, Json::value_t::string, "a string");
            name && !name->get<std::string>().empty()) {
          auto [it, inserted] = names.emplace(name->get<std::string>(), child(cp, "name"));
          if (!inserted) {
            error(child(cp, "name"), "duplicate container name " + squote(it->first) +
                                         " (first used at " + it->second + ")",
                  "node-agent finds a container's profile by name, so names must be unique "
                  "across containers, initContainers and ephemeralContainers");
          }
        } else {
          error(cp, "the container has no name",
                "set `name` to the pod-spec container name; node-agent looks containers up by it");
        }
        container_fields(c, cp);
      }
    }
  }

  void metadata(const Json& v, const std::string& pointer) {
    std::string mp = child(pointer, "metadata");
    if (!v.contains("metadata") || v["metadata"].is_null()) {
      error(pointer, "the document has no metadata", "add metadata with at least a name");
      return;
    }
    const Json& m = v["metadata"];
    if (!expect(m, Json::value_t::object, mp, "a mapping")) return;
    const Json* name = optional(m, "name", mp, Json::value_t::string, "a string");
    if (!name || name->get<std::string>().empty()) {
      if (!m.contains("name") || m["name"].is_null()) {
        error(mp, "metadata has no name", "Kubernetes objects need `metadata.name`");
      }
    }
    optional(m, "namespace", mp, Json::value_t::string, "a string");
    for (const char* map_key : {"labels", "annotations"}) {
      const Json* map = optional(m, map_key, mp, Json::value_t::object, "a mapping of strings");
      if (!map) continue;
      for (const auto& [key, value] : map->items()) {
        expect(value, Json::value_t::string, child(child(mp, map_key), key), "a string");
      }
    }
    for (const char* key : {"creationTimestamp", "resourceVersion", "uid", "generation",
                            "managedFields", "selfLink"}) {
      if (m.contains(key)) {
        warning(child(mp, key), std::string("volatile server metadata ") + squote(key) + " is present",
                "remove it (bob merge and bob diff ignore it); a BoB should not carry server state");
      }
    }
    const std::pair<const char*, const char*> volatile_entries[] = {
        {"annotations", "kubescape.io/resource-size"},
        {"annotations", "kubectl.kubernetes.io/last-applied-configuration"},
        {"labels", "kubescape.io/workload-resource-version"}};
    for (const auto& [map_key, key] : volatile_entries) {
      if (m.contains(map_key) && m[map_key].is_object() && m[map_key].contains(key)) {
        warning(child(child(mp, map_key), key),
                std::string("volatile server metadata ") + squote(key) + " is present",
                "remove it (bob merge and bob diff ignore it); a BoB should not carry server state");
      }
    }
  }

  void container_fields(const Json& c, const std::string& cp) {
    string_list(c, "capabilities", cp, [this](const std::string& cap, const std::string& p) {
      capability(cap, p);
    });
    string_list(c, "syscalls", cp, [this](const std::string& name, const std::string& p) {
      syscall(name, p);
    });
    optional(c, "imageID", cp, Json::value_t::string, "a string");
    optional(c, "imageTag", cp, Json::value_t::string, "a string");
    optional(c, "seccompProfile", cp, Json::value_t::object, "a mapping");
    optional(c, "identifiedCallStacks", cp, Json::value_t::array, "a list");
    if (const Json* execs = optional(c, "execs", cp, Json::value_t::array, "a list of execs")) {
      for (std::size_t i = 0; i < execs->size(); ++i) exec((*execs)[i], child(cp, "execs") + "/" + std::to_string(i));
    }
    if (const Json* opens = optional(c, "opens", cp, Json::value_t::array, "a list of opens")) {
      for (std::size_t i = 0; i < opens->size(); ++i) open((*opens)[i], child(cp, "opens") + "/" + std::to_string(i));
    }
    if (const Json* endpoints = optional(c, "endpoints", cp, Json::value_t::array, "a list of endpoints")) {
      for (std::size_t i = 0; i < endpoints->size(); ++i) {
        endpoint((*endpoints)[i], child(cp, "endpoints") + "/" + std::to_string(i));
      }
    }
    if (const Json* policies = optional(c, "rulePolicies", cp, Json::value_t::object, "a mapping of rule ids")) {
      for (const auto& [rule, policy] : policies->items()) {
        rule_policy(rule, policy, child(child(cp, "rulePolicies"), rule));
      }
    }
  }

  void capability(const std::string& cap, const std::string& p) {
    if (detail::contains_name(detail::kCapabilities, cap)) return;
    if (cap.rfind("CAP_", 0) == 0 && detail::contains_name(detail::kCapabilities, cap.substr(4))) {
      warning(p, "capability " + squote(cap) + " carries the CAP_ prefix, which Kubescape does not "
                 "write, so it never matches an observed capability",
              "write " + squote(cap.substr(4)));
      return;
    }
    std::string upper = cap;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    std::string bare = upper.rfind("CAP_", 0) == 0 ? upper.substr(4) : upper;
    std::string hint = "use a Linux capability name without the CAP_ prefix, e.g. NET_ADMIN";
    if (detail::contains_name(detail::kCapabilities, bare)) hint = "write " + squote(bare);
    error(p, squote(cap) + " is not a Linux capability", hint);
  }

  void syscall(const std::string& name, const std::string& p) {
    bool amd64 = detail::contains_name(detail::syscalls_amd64(), name);
    bool arm64 = detail::contains_name(detail::syscalls_arm64(), name);
    bool check_amd64 = architectures_.empty() || architectures_.count("amd64");
    bool check_arm64 = architectures_.empty() || architectures_.count("arm64");
    if ((check_amd64 && amd64) || (check_arm64 && arm64)) return;
    std::string archs = architectures_.empty() ? "amd64 or arm64"
                        : check_amd64 && check_arm64 ? "amd64 or arm64"
                        : check_amd64 ? "amd64" : "arm64";
    std::string hint = "use the kernel's name, as in the syscall table (e.g. newfstatat, pread64)";
    if (amd64 || arm64) hint = squote(name) + " exists only on " + (amd64 ? "amd64" : "arm64") +
                               "; add that architecture to spec.architectures or drop the call";
    error(p, squote(name) + " is not a system call on " + archs, hint);
  }

  // Linux refuses a path of PATH_MAX (4096) bytes or more with ENAMETOOLONG, so no event ever
  // carries one: such an entry can never match. Only the head is quoted to keep output short.
  void path_length(const std::string& path, const std::string& p, const char* what) {
    if (path.size() < kPathMax) return;
    warning(p, std::string(what) + " " + squote(path.substr(0, 40) + "...") + " is " +
                   std::to_string(path.size()) + " bytes, not shorter than PATH_MAX (" +
                   std::to_string(kPathMax) + "); the kernel refuses such a path, so it never matches",
            "check the path; the tracer reports what the kernel resolved");
  }

  void path_wildcards(const std::string& path, const std::string& p, const char* what) {
    path_length(path, p, what);
    std::string segment = first_partial_wildcard(path);
    if (segment.empty()) return;
    warning(p, std::string(what) + " " + squote(path) + " has the segment " + squote(segment) +
                   ", a wildcard that is not a whole segment; Kubescape matches it literally",
            "use a whole segment: `\xE2\x8B\xAF` for exactly one segment or `*` for any number "
            "(2026), e.g. /etc/apache2/\xE2\x8B\xAF instead of /etc/apache2/*.conf");
  }

  void exec(const Json& e, const std::string& p) {
    if (!expect(e, Json::value_t::object, p, "a mapping")) return;
    unknown_keys(e, p, {"path", "args", "envs", "argsRequired"}, "an exec");
    const Json* path = optional(e, "path", p, Json::value_t::string, "a string");
    if (!path) {
      if (!e.contains("path") || e["path"].is_null()) {
        error(p, "the exec has no path", "set `path` to the executable node-agent reports");
      }
    } else if (path->get<std::string>().empty()) {
      error(child(p, "path"), "the exec path is empty", "set `path` to the executable node-agent reports");
    } else {
      path_wildcards(path->get<std::string>(), child(p, "path"), "exec path");
    }
    std::size_t arg_bytes = 0;
    string_list(e, "args", p, [this, &arg_bytes](const std::string& arg, const std::string& ap) {
      arg_bytes += arg.size() + 1;
      if (arg.size() >= kMaxArgStrlen) {
        warning(ap, "argument " + squote(arg.substr(0, 40) + "...") + " is " +
                        std::to_string(arg.size()) + " bytes; execve refuses an argument of " +
                        std::to_string(kMaxArgStrlen) + " bytes or more (MAX_ARG_STRLEN), so it never "
                        "matches", "check the argument");
      }
      if (arg != kDynamicSegment && arg != kDynamicArgs && arg.find(kDynamicSegment) != std::string::npos) {
        warning(ap, "argument " + squote(arg) + " holds `\xE2\x8B\xAF` inside other text; Kubescape "
                    "matches only a whole `\xE2\x8B\xAF` or `\xE2\x8B\xAF\xE2\x8B\xAF` argument",
                "make the wildcard its own argument");
      }
    });
    if (arg_bytes > kMaxArgBytes) {
      warning(child(p, "args"), "the arguments total " + std::to_string(arg_bytes) +
                                    " bytes, more than execve accepts under the default 8 MiB stack "
                                    "limit (" + std::to_string(kMaxArgBytes) + ")",
              "check the arguments; such an exec cannot have happened on a default system");
    }
    string_list(e, "envs", p);
    optional(e, "argsRequired", p, Json::value_t::boolean, "true or false");
  }

  void open(const Json& o, const std::string& p) {
    if (!expect(o, Json::value_t::object, p, "a mapping")) return;
    unknown_keys(o, p, {"path", "flags"}, "an open");
    const Json* path = optional(o, "path", p, Json::value_t::string, "a string");
    if (!path) {
      if (!o.contains("path") || o["path"].is_null()) {
        error(p, "the open has no path", "set `path` to the absolute file path");
      }
    } else if (path->get<std::string>().empty()) {
      error(child(p, "path"), "the open path is empty", "set `path` to the absolute file path");
    } else {
      path_wildcards(path->get<std::string>(), child(p, "path"), "open path");
    }
    string_list(o, "flags", p, [this](const std::string& flag, const std::string& fp) {
      if (!detail::contains_name(detail::kOpenFlags, flag)) {
        error(fp, squote(flag) + " is not an open(2) flag",
              "use the symbolic names node-agent records: O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, "
              "O_CLOEXEC, O_DIRECTORY, O_NONBLOCK, ...");
      }
    });
  }

  void endpoint(const Json& e, const std::string& p) {
    if (!expect(e, Json::value_t::object, p, "a mapping")) return;
    unknown_keys(e, p, {"endpoint", "methods", "internal", "direction", "headers"}, "an endpoint");
    if (const Json* text = optional(e, "endpoint", p, Json::value_t::string, "a string")) {
      const std::string& s = text->get_ref<const std::string&>();
      std::size_t i = 1;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      bool ok = s.size() > 1 && s[0] == ':' && i > 1 && i - 1 <= 5 &&
                std::stol(s.substr(1, i - 1)) <= 65535 && (i == s.size() || s[i] == '/');
      if (!ok) {
        error(child(p, "endpoint"), "malformed endpoint " + squote(s) +
                                        "; Kubescape writes ':' + port + path",
              "write it like `:8080/ping.php` (port 0 means any port)");
      } else {
        path_wildcards(s.substr(i), child(p, "endpoint"), "endpoint path");
      }
    }
    string_list(e, "methods", p);
    optional(e, "internal", p, Json::value_t::boolean, "true or false");
    if (const Json* d = optional(e, "direction", p, Json::value_t::string, "a string")) {
      if (*d != "inbound" && *d != "outbound" && *d != "") {
        error(child(p, "direction"), "direction " + squote(d->get<std::string>()) +
                                         " is neither inbound nor outbound",
              "write `direction: inbound` or `direction: outbound`");
      }
    }
    if (const Json* headers = optional(e, "headers", p, Json::value_t::object, "a mapping")) {
      for (const auto& [name, values] : headers->items()) {
        std::string hp = child(child(p, "headers"), name);
        if (!expect(values, Json::value_t::array, hp, "a list of strings")) continue;
        for (std::size_t i = 0; i < values.size(); ++i) {
          expect(values[i], Json::value_t::string, hp + "/" + std::to_string(i), "a string");
        }
      }
    }
  }

  void rule_policy(const std::string& rule, const Json& policy, const std::string& p) {
    bool id_ok = rule.size() == 5 && rule[0] == 'R' &&
                 std::all_of(rule.begin() + 1, rule.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!id_ok) {
      warning(p, "rule id " + squote(rule) + " does not look like a Kubescape rule id",
              "rule ids are R followed by four digits, e.g. R0002");
    }
    if (policy.is_null()) return;
    if (!expect(policy, Json::value_t::object, p, "a mapping")) return;
    unknown_keys(policy, p, {"processAllowed", "containerAllowed"}, "a rule policy");
    string_list(policy, "processAllowed", p);
    optional(policy, "containerAllowed", p, Json::value_t::boolean, "true or false");
  }

  void neighbors(const Json& spec, const char* key, const std::string& sp) {
    const Json* list = optional(spec, key, sp, Json::value_t::array, "a list of neighbours");
    if (!list) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::string p = child(sp, key) + "/" + std::to_string(i);
      const Json& n = (*list)[i];
      if (!expect(n, Json::value_t::object, p, "a mapping")) continue;
      unknown_keys(n, p, {"identifier", "type", "dns", "dnsNames", "ports", "podSelector",
                          "namespaceSelector", "ipAddress", "ipAddresses"}, "a network neighbour");
      optional(n, "identifier", p, Json::value_t::string, "a string");
      if (const Json* type = optional(n, "type", p, Json::value_t::string, "a string")) {
        if (*type != "internal" && *type != "external") {
          error(child(p, "type"), "neighbour type " + squote(type->get<std::string>()) +
                                      " is neither internal nor external",
                "write `type: internal` or `type: external`");
        }
      }
      optional(n, "dns", p, Json::value_t::string, "a string");
      optional(n, "ipAddress", p, Json::value_t::string, "a string");
      string_list(n, "dnsNames", p);
      string_list(n, "ipAddresses", p);
      optional(n, "podSelector", p, Json::value_t::object, "a mapping");
      optional(n, "namespaceSelector", p, Json::value_t::object, "a mapping");
      const Json* ports = optional(n, "ports", p, Json::value_t::array, "a list of ports");
      if (!ports) continue;
      for (std::size_t k = 0; k < ports->size(); ++k) {
        std::string pp = child(p, "ports") + "/" + std::to_string(k);
        const Json& port = (*ports)[k];
        if (!expect(port, Json::value_t::object, pp, "a mapping")) continue;
        unknown_keys(port, pp, {"name", "protocol", "port"}, "a port");
        optional(port, "name", pp, Json::value_t::string, "a string");
        if (const Json* proto = optional(port, "protocol", pp, Json::value_t::string, "a string")) {
          if (*proto != "TCP" && *proto != "UDP" && *proto != "SCTP") {
            error(child(pp, "protocol"), "protocol " + squote(proto->get<std::string>()) +
                                             " is not TCP, UDP or SCTP",
                  "write the protocol in capitals: TCP, UDP or SCTP");
          }
        }
        if (const Json* number = optional(port, "port", pp, Json::value_t::number_integer, "an integer")) {
          long long value = number->get<long long>();
          if (value < 0 || value > 65535) {
            error(child(pp, "port"), "port " + std::to_string(value) + " is outside 0..65535",
                  "use a TCP/UDP port number");
          }
        }
      }
    }
  }

  const std::string& source_;
  const Document& document_;
  std::vector<Problem>& out_;
  std::set<std::string> architectures_;
};

// Turns a parse failure "source:line:column: message" into a problem at that spot.
Problem problem_from_error(const std::string& source, const Error& e) {
  Problem p;
  p.file = source;
  p.hint = e.hint();
  std::string text = e.what();
  std::string rest = text;
  if (text.rfind(source + ":", 0) == 0) {
    rest = text.substr(source.size() + 1);
    int line = 0;
    int column = 0;
    int consumed = 0;
    if (std::sscanf(rest.c_str(), "%d:%d: %n", &line, &column, &consumed) == 2 && consumed > 0) {
      p.line = line;
      p.column = column;
      rest = rest.substr(static_cast<std::size_t>(consumed));
    } else if (rest.rfind(" ", 0) == 0) {
      rest = rest.substr(1);
    }
  }
  p.message = rest;
  return p;
}

// How many profiles load_string would read from the documents: a *List kind contributes its
// items (none when `items` is missing or null), anything else one.
std::size_t profile_count(const std::vector<detail::Document>& documents) {
  std::size_t count = 0;
  for (const auto& document : documents) {
    const Json& v = document.value;
    std::string kind = v.is_object() && v.contains("kind") && v["kind"].is_string()
                           ? v["kind"].get<std::string>()
                           : std::string();
    bool is_list = kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0;
    if (!is_list) {
      ++count;
    } else if (v.contains("items") && v["items"].is_array()) {
      count += v["items"].size();
    }
  }
  return count;
}

}  // namespace

std::vector<Problem> validate_string(const std::string& text, const std::string& source_name) {
  std::vector<Problem> problems;
  std::vector<detail::Document> documents;
  try {
    documents = detail::parse_documents(text, source_name);
  } catch (const Error& e) {
    problems.push_back(problem_from_error(source_name, e));
    return problems;
  }
  if (documents.empty()) {
    problems.push_back({source_name, 1, 1, Severity::error, "", "the file holds no document",
                        "expected an ApplicationProfile or ContainerProfile"});
  }
  for (const auto& document : documents) Validator(source_name, document, problems).run();
  // Lists whose `items` are missing, null or empty: valid documents, but load_string refuses a
  // file that holds no profile at all, so validate must not pass it (found by tests/fuzz).
  if (!documents.empty() && profile_count(documents) == 0) {
    problems.push_back({source_name, 1, 1, Severity::error, "", "the file holds no profile",
                        "expected an ApplicationProfile or ContainerProfile document"});
  }
  return problems;
}

std::vector<Problem> validate_file(const std::string& path) {
  std::string text;
  try {
    text = fs::read_file(path, detail::kMaxInputBytes);
  } catch (const Error& e) {
    // Not read (missing, a directory, too large): no line or column to give, and the message
    // already names the file.
    std::string message = e.what();
    if (message.rfind(path + ": ", 0) == 0) message.erase(0, path.size() + 2);
    return {Problem{path, 0, 0, Severity::error, "", message, e.hint()}};
  }
  return validate_string(text, path);
}

std::vector<Profile> load_file_checked(const std::string& path) {
  std::string text = fs::read_file(path, detail::kMaxInputBytes);
  std::size_t errors = 0;
  const Problem* first = nullptr;
  auto problems = validate_string(text, path);
  for (const auto& problem : problems) {
    if (problem.severity != Severity::error) continue;
    if (++errors == 1) first = &problem;
  }
  if (first != nullptr) {
    fail(Exit::usage,
         first->file + ":" + std::to_string(first->line) + ":" + std::to_string(first->column) +
             ": " + (first->pointer.empty() ? "/" : first->pointer) + ": " + first->message +
             (errors > 1 ? " (and " + std::to_string(errors - 1) + " more errors)" : ""),
         "run `bob validate " + path + "` for every problem and fix the errors first");
  }
  return load_string(text, path);
}

std::string format_problem(const Problem& p) {
  const std::string severity = p.severity == Severity::error ? "error" : "warning";
  if (p.line == 0)  // the file itself could not be read: no position, no pointer
    return p.file + ": " + severity + ": " + p.message;
  return p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " +
         severity + ": " + (p.pointer.empty() ? "/" : p.pointer) + ": " + p.message;
}

Json problem_to_json(const Problem& p) {
  Json out = Json::object();
  out["file"] = p.file;
  out["line"] = p.line;
  out["column"] = p.column;
  out["severity"] = p.severity == Severity::error ? "error" : "warning";
  out["pointer"] = p.pointer;
  out["message"] = p.message;
  out["hint"] = p.hint;
  return out;
}

}  // namespace bob::profile
