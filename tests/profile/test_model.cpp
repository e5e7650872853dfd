// The profile model: loading every corpus profile, the canonical form, and bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/profile.h"
#include "document.h"

namespace fs = std::filesystem;
using namespace bob::profile;

namespace {

const std::string kCorpus = std::string(BOB_SOURCE_ROOT) + "/testdata/corpus";
const std::string kFixtures = std::string(BOB_SOURCE_ROOT) + "/testdata/profile";

bool is_set_key(const std::string& key) {
  return key == "capabilities" || key == "syscalls" || key == "architectures" ||
         key == "processAllowed";
}

// Independent of the writer: drops everything Kubescape reads as "empty" (null, "", false, [],
// {}) except entries under rulePolicies, whose presence matters, and treats the set-like lists
// as sets. Two values equal under this are the same profile to Kubescape.
Json semantic(const Json& v, const std::string& parent_key = "") {
  if (v.is_object()) {
    Json out = Json::object();
    std::vector<std::string> keys;
    for (const auto& [k, _] : v.items()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      Json child = semantic(v[k], k);
      bool keep_empty = parent_key == "rulePolicies";
      bool empty = child.is_null() || (child.is_string() && child.get<std::string>().empty()) ||
                   (child.is_boolean() && !child.get<bool>()) ||
                   ((child.is_array() || child.is_object()) && child.empty());
      if (!empty || (keep_empty && !child.is_array())) {
        out[k] = child.is_null() ? Json::object() : child;
      }
    }
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& item : v) out.push_back(semantic(item));
    if (is_set_key(parent_key)) {
      std::vector<Json> items(out.begin(), out.end());
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
      out = Json(items);
    }
    return out;
  }
  return v;
}

std::vector<std::string> corpus_profile_files() {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
    std::string text = bob::fs::read_file(entry.path().string());
    if (text.find("{{") != std::string::npos) continue;  // Helm templates, tested separately
    if (text.find("kind: ApplicationProfile") == std::string::npos &&
        text.find("kind: ContainerProfile") == std::string::npos) {
      continue;
    }
    out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string error_of(const std::string& text, const std::string& name = "in.yaml") {
  try {
    load_string(text, name);
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::usage);
    return std::string(e.what()) + " | " + e.hint();
  }
  return "no error";
}

}  // namespace

TEST_CASE("every corpus ApplicationProfile and ContainerProfile round-trips losslessly") {
  auto files = corpus_profile_files();
  REQUIRE(files.size() >= 12);  // the 12 corpus profiles, plus any added later
  for (const auto& file : files) {
    CAPTURE(file);
    std::string text = bob::fs::read_file(file);
    auto first = load_file(file);
    REQUIRE(first.size() == 1);
    std::string yaml = to_string(first, Format::yaml);
    // The writer fills in execs and opens entry by entry; the text is the one the whole JSON
    // tree gives.
    CHECK(yaml == detail::emit_yaml(to_json(first.front())));
    auto second = load_string(yaml, file + " (rewritten)");
    CHECK(to_string(second, Format::yaml) == yaml);  // canonical form is a fixed point
    CHECK(to_json(second.front()) == to_json(first.front()));
    std::string json = to_string(first, Format::json);
    // Written in pieces (bob record), the text is the same, byte for byte.
    for (Format format : {Format::yaml, Format::json}) {
      std::string pieces;
      std::size_t calls = 0;
      write(first.front(), format, [&](std::string_view piece) {
        pieces.append(piece);
        ++calls;
      });
      CHECK(pieces == (format == Format::yaml ? yaml : json));
      CHECK(calls >= 1);
    }
    auto third = load_string(json, file + " (as JSON)");
    CHECK(to_json(third.front()) == to_json(first.front()));
    // Nothing lost against the raw document, as Kubescape would read it.
    auto documents = detail::parse_documents(text, file);
    REQUIRE(documents.size() == 1);
    CHECK(semantic(to_json(first.front())) == semantic(documents.front().value));
    // Every ⋯ in the data survives byte for byte, readable in the YAML.
    auto count = [](const std::string& s) {
      std::size_t n = 0;
      for (auto at = s.find(kDynamicSegment); at != std::string::npos;
           at = s.find(kDynamicSegment, at + 1)) {
        ++n;
      }
      return n;
    };
    CHECK(count(yaml) == count(documents.front().value.dump()));
  }
}

TEST_CASE("Helm-templated profiles are refused with a hint to render them") {
  for (const char* file : {"/bobctl/example/mywebapp-chart/templates/bob.yaml",
                           "/bobctl/example/myredis-umbrella-chart/redis-bob/templates/bob.yaml"}) {
    CAPTURE(file);
    try {
      load_file(kCorpus + file);
      FAIL("expected an error");
    } catch (const bob::Error& e) {
      CHECK(e.code() == bob::Exit::usage);
      CHECK(std::string(e.hint()).find("helm template") != std::string::npos);
    }
  }
}

TEST_CASE("a learned profile reads into the model with names, groups and counts") {
  auto profiles = load_file(kCorpus + "/bobctl/testdata/parameterstudy/webapp/bob6k3s.yaml");
  const Profile& p = profiles.front();
  CHECK(p.kind == Kind::application_profile);
  CHECK(p.name() == "replicaset-webapp-mywebapp-67965968bb");
  CHECK(p.namespace_name() == "webapp");
  REQUIRE(p.containers.size() == 1);
  const Container* c = p.find_container("mywebapp-app");
  REQUIRE(c != nullptr);
  CHECK(c->group == Group::containers);
  CHECK(c->execs.size() == 12);
  CHECK(c->opens.size() == 142);
  CHECK(c->syscalls.size() == 86);
  CHECK(c->rule_policies.size() == 26);
  REQUIRE(c->endpoints.size() == 1);
  CHECK(c->endpoints[0].endpoint == ":8080/ping.php");
  CHECK(c->endpoints[0].direction == "inbound");
  CHECK(c->endpoints[0].headers["Host"].size() == 2);
  CHECK(p.find_container("nope") == nullptr);
  CHECK(c->extra.contains("seccompProfile"));
}

TEST_CASE("a flow-style ContainerProfile reads its single container, selector and neighbours") {
  auto profiles = load_file(kCorpus + "/bob/example/argocd/sbobs/cp-argocd-server.yaml");
  const Profile& p = profiles.front();
  CHECK(p.kind == Kind::container_profile);
  REQUIRE(p.containers.size() == 1);
  const Container& c = p.containers.front();
  CHECK(c.name.empty());
  CHECK(p.find_container("anything") == &c);
  CHECK(c.execs[1].path == "/usr/local/bin/argocd");
  CHECK(c.execs[1].args == std::vector<std::string>{"/usr/local/bin/argocd-server", kDynamicArgs});
  CHECK(c.ingress.size() == 1);
  CHECK(c.egress.size() == 4);
  CHECK(c.egress[0].ports[0].port == 443);
  CHECK(p.spec_extra["matchLabels"]["app.kubernetes.io/name"] == "argocd-server");
  CHECK(c.rule_policies.at("R0006").process_allowed ==
        std::vector<std::string>{"tini", "argocd-server"});
}

TEST_CASE("null, absent and [] read as the same empty list; rulePolicies keys stay") {
  const char* base = "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\n"
                     "kind: ApplicationProfile\nmetadata: {name: x}\nspec:\n  containers:\n";
  auto a = load_string(std::string(base) + "  - name: c\n    capabilities: null\n"
                       "    rulePolicies: {R0002: {}, R1010: null}\n", "a");
  auto b = load_string(std::string(base) + "  - name: c\n    capabilities: []\n"
                       "    rulePolicies:\n      R0002: {}\n      R1010: {}\n", "b");
  auto c = load_string(std::string(base) + "  - name: c\n    rulePolicies: {R0002: {}}\n", "c");
  CHECK(to_string(a, Format::yaml) == to_string(b, Format::yaml));
  CHECK(to_string(a, Format::yaml) != to_string(c, Format::yaml));
  CHECK(a[0].containers[0].rule_policies.count("R1010") == 1);
  CHECK(c[0].containers[0].rule_policies.count("R1010") == 0);
}

TEST_CASE("the canonical YAML form is exactly as documented") {
  auto profiles = load_file(kFixtures + "/canonical-input.yaml");
  std::string expected = bob::fs::read_file(kFixtures + "/canonical-output.yaml");
  CHECK(to_string(profiles, Format::yaml) == expected);
}

TEST_CASE("multi-document YAML, List kinds and JSON are all read") {
  auto multi = load_file(kFixtures + "/multi-document.yaml");
  REQUIRE(multi.size() == 2);
  CHECK(multi[0].kind == Kind::application_profile);
  CHECK(multi[1].kind == Kind::container_profile);
  auto list = load_file(kFixtures + "/profile-list.yaml");
  REQUIRE(list.size() == 2);
  CHECK(list[1].name() == "second");
  auto json = load_file(kFixtures + "/profile.json");
  REQUIRE(json.size() == 1);
  CHECK(json[0].containers[0].opens[0].path == "/proc/\xE2\x8B\xAF/stat");
  // Writing several profiles and reading them back keeps them all.
  CHECK(load_string(to_string(multi, Format::yaml), "x").size() == 2);
  CHECK(load_string(to_string(multi, Format::json), "x").size() == 2);
}

TEST_CASE("keys over YAML's 1024-character implicit-key limit are written in the explicit form") {
  // Found by fuzz_profile_yaml (tests/fuzz/regressions/profile_yaml/): such a key loaded, but the
  // written profile did not load back.
  std::string long_key(1500, 'k');
  // JSON input: YAML input could not even hold such a key in the implicit form.
  std::string text = R"({"apiVersion": "spdx.softwarecomposition.kubescape.io/v1beta1",
    "kind": "ApplicationProfile", "metadata": {"name": "p", "annotations": {")" +
                     long_key + R"(": "v"}}, "spec": {"containers": [{"name": "c", ")" +
                     std::string(1200, 'q') + R"(": ["a", "b"]}]}})";
  auto loaded = load_string(text, "in.json");
  REQUIRE(loaded.size() == 1);
  std::string written = to_string(loaded[0], Format::yaml);
  CHECK(written.find("? " + long_key + "\n") != std::string::npos);
  auto again = load_string(written, "again.yaml");
  REQUIRE(again.size() == 1);
  CHECK(to_string(again[0], Format::yaml) == written);
  CHECK(to_string(again[0], Format::json) == to_string(loaded[0], Format::json));
}

TEST_CASE("strings that YAML would read as something else are quoted") {
  Profile p;
  p.metadata = Json{{"name", "q"}, {"annotations", Json{{"size", "244"}, {"flag", "no"},
                                                        {"empty", ""}, {"when", "2025-07-17T11:55:37Z"}}}};
  Container c;
  c.name = "c";
  c.execs.push_back({"/bin/ping", {"/bin/ping", "-c", "4", "true", "null", "*", "a: b", "#x"}});
  c.opens.push_back({"/data/*", {"O_RDONLY"}});
  c.endpoints.push_back({":8080/x", {"GET"}, false, "inbound"});
  p.containers.push_back(c);
  std::string yaml = to_string(p, Format::yaml);
  for (const char* quoted : {"\"244\"", "\"no\"", "\"\"", "\"2025-07-17T11:55:37Z\"", "- \"4\"",
                             "- \"true\"", "- \"null\"", "- \"*\"", "\"a: b\"", "\"#x\"",
                             "\":8080/x\"", "- -c", "path: /data/*"}) {
    CAPTURE(quoted);
    CHECK(yaml.find(quoted) != std::string::npos);
  }
  auto back = load_string(yaml, "q");
  CHECK(back[0].containers[0].execs[0].args == c.execs[0].args);
  CHECK(back[0].metadata["annotations"]["size"] == "244");
}

TEST_CASE("strip_volatile removes server bookkeeping and nothing else") {
  auto p = load_file(kCorpus + "/bobctl/testdata/parameterstudy/webapp/bob6k3s.yaml").front();
  strip_volatile(p);
  CHECK_FALSE(p.metadata.contains("creationTimestamp"));
  CHECK_FALSE(p.metadata.contains("resourceVersion"));
  CHECK_FALSE(p.metadata.contains("uid"));
  CHECK_FALSE(p.metadata["annotations"].contains("kubescape.io/resource-size"));
  CHECK_FALSE(p.metadata["labels"].contains("kubescape.io/workload-resource-version"));
  CHECK(p.metadata["annotations"]["kubescape.io/status"] == "completed");
  CHECK(p.metadata["labels"]["kubescape.io/instance-template-hash"] == "67965968bb");
}

TEST_CASE("malformed input fails with a usage error at file:line:column") {
  SUBCASE("invalid YAML") {
    CHECK(error_of("a: [1, 2\nb: 3\n").find("in.yaml:2:") != std::string::npos);
  }
  SUBCASE("wrong type names the pointer and the spot") {
    std::string e = error_of("apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\n"
                             "kind: ApplicationProfile\nspec:\n  containers:\n  - name: c\n"
                             "    capabilities: NET_ADMIN\n");
    CHECK(e.find("in.yaml:6:19: /spec/containers/0/capabilities: expected a list") !=
          std::string::npos);
  }
  SUBCASE("not a profile kind") {
    CHECK(error_of("apiVersion: v1\nkind: ConfigMap\n").find("in.yaml:2:7: /kind: kind 'ConfigMap'") !=
          std::string::npos);
  }
  SUBCASE("invalid JSON") {
    CHECK(error_of("{\"kind\": \"ApplicationProfile\",\n \"spec\": }", "in.json")
              .find("in.json:2:10: invalid JSON") != std::string::npos);
  }
  SUBCASE("alias bomb") {
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'j'; ++c) {
      std::string prev(1, static_cast<char>(c - 1));
      bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
              prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
              ", *" + prev + "]\n";
    }
    CHECK(error_of(bomb).find("alias bomb") != std::string::npos);
  }
  SUBCASE("deep nesting") {
    std::string deep(100000, '[');
    CHECK(error_of(deep).find("in.yaml:1:257: nesting is deeper than 256") != std::string::npos);
    CHECK(error_of(std::string(100000, '{')).find("nesting is deeper") != std::string::npos);
  }
  SUBCASE("deep block nesting") {
    std::string deep;
    for (int i = 0; i < 400; ++i) deep += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    CHECK(error_of(deep).find("deeper than") != std::string::npos);
  }
  SUBCASE("huge file") {
    std::string huge(detail::kMaxInputBytes + 10, ' ');
    CHECK(error_of(huge).find("MiB") != std::string::npos);
  }
  SUBCASE("binary bytes") {
    CHECK(error_of(std::string("kind: x\nname: a\xff\n")).find("in.yaml:2:8: the file holds a byte") !=
          std::string::npos);
    CHECK(error_of(std::string("kind: \0x\n", 9)).find("in.yaml:1:7:") != std::string::npos);
  }
  SUBCASE("duplicate keys") {
    CHECK(error_of("kind: a\nkind: b\n").find("in.yaml:2:1: duplicate key 'kind'") !=
          std::string::npos);
    CHECK(error_of("{\"kind\": 1,\n \"kind\": 2}", "in.json")
              .find("in.json:2:2: duplicate key 'kind'") != std::string::npos);
  }
  SUBCASE("empty file") {
    CHECK(error_of("# only a comment\n").find("holds no profile") != std::string::npos);
  }
  SUBCASE("a ',' after a complete document-level value (yaml-cpp 0.7 looped on it forever)") {
    // Found by fuzz_profile_json; the full input is tests/fuzz/regressions/profile_json/.
    CHECK(error_of("\"s\",\n").find("in.yaml:1:4: invalid YAML: unexpected ','") !=
          std::string::npos);
    CHECK(error_of("kind: x\n---\n[]\n,\n").find("in.yaml:4:1: invalid YAML: unexpected ','") !=
          std::string::npos);
    CHECK(error_of("{},", "in.json").find("in.json:1:3: invalid JSON") != std::string::npos);
  }
  SUBCASE("a JSON number no double holds (found by fuzz_profile_json)") {
    CHECK(error_of("{\"kind\": \"ApplicationProfile\",\n \"spec\": 1e999}", "in.json")
              .find("in.json:2:10: invalid JSON: the number 1e999 is out of range") !=
          std::string::npos);
  }
  SUBCASE("scalar document") {
    CHECK(error_of("just text\n").find("expected a Kubernetes object") != std::string::npos);
  }
}

#include "tables.h"

TEST_CASE("the JSON Schemas list exactly bob's capability, syscall and flag tables") {
  for (const char* name : {"/schemas/application-profile.schema.json", "/schemas/container-profile.schema.json"}) {
    CAPTURE(name);
    Json schema = Json::parse(bob::fs::read_file(std::string(BOB_SOURCE_ROOT) + name));
    std::set<std::string> syscalls;
    for (const char* s : detail::syscalls_amd64()) syscalls.insert(s);
    for (const char* s : detail::syscalls_arm64()) syscalls.insert(s);
    std::set<std::string> in_schema;
    for (const auto& s : schema["$defs"]["syscall"]["enum"]) in_schema.insert(s.get<std::string>());
    CHECK(in_schema == syscalls);
    std::set<std::string> caps;
    for (const char* c : detail::kCapabilities) {
      caps.insert(c);
      caps.insert(std::string("CAP_") + c);
    }
    std::set<std::string> caps_in_schema;
    for (const auto& c : schema["$defs"]["capability"]["enum"]) caps_in_schema.insert(c.get<std::string>());
    CHECK(caps_in_schema == caps);
    std::set<std::string> flags(std::begin(detail::kOpenFlags), std::end(detail::kOpenFlags));
    std::set<std::string> flags_in_schema;
    for (const auto& f : schema["$defs"]["openFlag"]["enum"]) flags_in_schema.insert(f.get<std::string>());
    CHECK(flags_in_schema == flags);
    CHECK(std::size(detail::kCapabilities) == 41);
    CHECK(detail::syscalls_amd64().size() == 382);
  }
}

TEST_CASE("a large profile written in pieces is the same text as its whole JSON tree gives") {
  Profile p;
  p.kind = Kind::application_profile;
  p.metadata["name"] = "large";
  Container c;
  c.name = "large";
  for (int i = 0; i < 5000; ++i) {
    OpenCall open;
    open.path = "/usr/share/doc/package-" + std::to_string(i) + "/changelog.Debian.gz";
    open.flags = {"O_RDONLY", "O_CLOEXEC"};
    if (i == 7) open.extra["zz-unknown"] = Json::array({1, "two"});  // kept, sorted last
    if (i == 8) open.flags.clear();                                   // flags: []
    if (i == 9) open.path = "yes";                                    // quoted
    if (i == 10) open.path = "/tmp/a: b #c";                          // quoted, not a key
    if (i == 11) open.path = "/tmp/tab\there\x7f";                    // escaped
    if (i == 12) open.path = std::string(1200, 'x');                   // long, still a value
    if (i == 13) open.flags = {"O_RDONLY", "- odd", "yes"};            // flags quoted alike
    c.opens.push_back(open);
  }
  ExecCall exec;
  exec.path = "/bin/sh";
  exec.args = {"/bin/sh", "-c", "true: 1"};
  exec.envs = {"A=1"};
  exec.args_required = true;
  exec.extra["aa-unknown"] = "first";
  c.execs.push_back(exec);
  c.execs.push_back(ExecCall{"/bin/true", {}, {}, std::nullopt, Json::object()});
  p.containers.push_back(c);
  Container init;  // no execs, no opens: `[]`
  init.name = "init";
  init.group = Group::init_containers;
  p.containers.push_back(init);
  const std::string tree_yaml = detail::emit_yaml(to_json(p));
  for (Format format : {Format::yaml, Format::json}) {
    CAPTURE(static_cast<int>(format));
    std::string whole = to_string(p, format);
    REQUIRE(whole.size() > 4 * (64u << 10));
    if (format == Format::yaml) CHECK(whole == tree_yaml);
    std::string pieces;
    std::size_t calls = 0;
    write(p, format, [&](std::string_view piece) {
      CHECK(piece.size() > 0);
      pieces.append(piece);
      ++calls;
    });
    CHECK(pieces == whole);
    CHECK(calls >= 4);
  }
  CHECK(tree_yaml.find("    execs: []\n") != std::string::npos);
  CHECK(tree_yaml.find("      zz-unknown:\n") != std::string::npos);
  CHECK(tree_yaml.find("path: \"yes\"") != std::string::npos);
  CHECK(tree_yaml.find("path: \"/tmp/a: b #c\"") != std::string::npos);
  CHECK(tree_yaml.find("      - \"- odd\"\n      - \"yes\"\n") != std::string::npos);
}
