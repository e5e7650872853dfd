// Tests of bob generalize and bob export (library level): volatile segments, the port of the
// dynamic path detector, the "nothing lost" guarantee over the corpus, exec args, network
// portability and the three exports.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "bob/error.h"
#include "bob/generalize.h"
#include "bob/match.h"
#include "bob/profile.h"
#if __has_include("bob/validate.h")
#include "bob/validate.h"
#define BOB_HAVE_VALIDATE 1
#endif

namespace g = bob::generalize;
namespace p = bob::profile;

namespace {

const std::string D = "\xE2\x8B\xAF";
const std::string corpus = std::string(BOB_SOURCE_ROOT) + "/testdata/corpus/";

p::Profile profile_with_opens(const std::vector<std::string>& paths,
                              std::vector<std::string> flags = {"O_RDONLY"}) {
  p::Profile prof;
  prof.metadata = {{"name", "t"}, {"namespace", "ns"}};
  p::Container c;
  c.name = "app";
  for (const auto& path : paths) c.opens.push_back({path, flags});
  prof.containers.push_back(c);
  return prof;
}

std::vector<std::string> open_paths(const p::Profile& prof) {
  std::vector<std::string> out;
  for (const auto& o : prof.containers.at(0).opens) out.push_back(o.path);
  return out;
}

g::Options only_collapse(g::CollapseConfig config) {
  g::Options o;
  o.collapse = std::move(config);
  o.volatile_segments = false;
  return o;
}

std::size_t count_opens(const p::Profile& prof) {
  std::size_t n = 0;
  for (const auto& c : prof.containers) n += c.opens.size();
  return n;
}

// Every path-like string of the output holds only whole-segment wildcards.
void check_no_partial_wildcards(const p::Profile& prof) {
  for (const auto& c : prof.containers) {
    for (const auto& o : c.opens) {
      CAPTURE(o.path);
      CHECK(bob::match::partial_segment_wildcards(o.path).empty());
    }
    for (const auto& e : c.endpoints) {
      CAPTURE(e.endpoint);
      CHECK(bob::match::partial_segment_wildcards(e.endpoint).empty());
    }
  }
#ifdef BOB_HAVE_VALIDATE
  auto text = p::to_string(prof, p::Format::yaml);
  for (const auto& problem : p::validate_string(text, "generalized.yaml")) {
    CAPTURE(problem.message);
    CHECK(problem.message.find("wildcard") == std::string::npos);
    CHECK(problem.severity != p::Severity::error);
  }
#endif
}

}  // namespace

TEST_CASE("volatile segments are recognised as whole segments only") {
  CHECK(g::normalize_volatile_segment("12345") == D);
  CHECK(g::normalize_volatile_segment("0f8fad5b-d9cb-469f-a165-70867728950e") == D);
  CHECK(g::normalize_volatile_segment("0F8FAD5B-D9CB-469F-A165-70867728950E") == D);
  CHECK(g::normalize_volatile_segment(std::string(64, 'a')) == D);
  CHECK(g::normalize_volatile_segment("0123456789abcdef0123456789abcdef") == D);
  CHECK(g::normalize_volatile_segment("pod0f8fad5b_d9cb_469f_a165_70867728950e") == D);
  CHECK(g::normalize_volatile_segment(
            "kubepods-burstable-pod0f8fad5b_d9cb_469f_a165_70867728950e.slice") == D);
  CHECK(g::normalize_volatile_segment("cri-containerd-" + std::string(64, 'e') + ".scope") == D);
  CHECK(g::normalize_volatile_segment("..2025_07_10_14_13_34.1370920659") == D);
  CHECK(g::volatile_reason("..2025_07_10_14_13_34.1370920659") == "projected-volume timestamp");
  CHECK(g::volatile_reason("cri-containerd-" + std::string(64, 'e') + ".scope") ==
        "container runtime scope");
  // Not volatile: ordinary names, short hex words, partial matches.
  for (const std::string& keep : std::vector<std::string>{"passwd", "cafe", "deadbeef", "python3", "libc-2.31.so", "..data",
                           "x12345", "12345x", "pod", "kubepods.slice", "cri-containerd-abc.scope",
                           "..2025_07_10", std::string(31, 'a'), "0f8fad5b-d9cb-469f-a165",
                           "000-default.conf", "*", D}) {
    CAPTURE(keep);
    CHECK(g::normalize_volatile_segment(keep) == keep);
  }
  // mkstemp-style random names, whole or as a `.XXXXXX` suffix.
  CHECK(g::normalize_volatile_segment("apache2.pid.C2I54g") == D);
  CHECK(g::normalize_volatile_segment("apache2.pid.yWEyYe") == D);
  CHECK(g::normalize_volatile_segment("4GusJE") == D);
  CHECK(g::volatile_reason("4GusJE") == "random temporary name");
  for (const std::string& keep : std::vector<std::string>{"GitHub", "file.Backup", "README",
                                                          "data.backup", "a.PYTHON", "abc123"}) {
    CAPTURE(keep);
    CHECK(g::normalize_volatile_segment(keep) == keep);
  }
  // mktemp's default `tmp.` + 10 of [A-Za-z0-9], mixing at least two of lower, upper, digit.
  struct Case {
    const char* segment;
    bool is_volatile;
  };
  for (const Case& c : std::vector<Case>{
           {"tmp.Qx3ZpL0aB7", true},    // all three classes
           {"tmp.qx3zpl0ab7", true},    // lower + digit
           {"tmp.QXZPL0ABC7", true},    // upper + digit
           {"tmp.QxZpLaBcDe", true},    // lower + upper
           {"tmp.QXZPLABCDE", false},   // upper only
           {"tmp.configfile", false},   // a word: lower only
           {"tmp.1234567890", false},   // digits only: not what mktemp makes (1 in 10^8)
           {"tmp.Qx3ZpL0aB", false},    // 9 characters
           {"tmp.Qx3ZpL0aB7x", false},  // 11 characters
           {"xtmp.Qx3ZpL0aB7", false},  // not the prefix `tmp.`
           {"TMP.Qx3ZpL0aB7", false},
           {"tmp.Qx3ZpL0aB7.d", false},  // not the whole segment
           {"tmp.Qx3Zp-0aB7", false},    // outside [A-Za-z0-9]
           {"tmp.", false},
       }) {
    CAPTURE(c.segment);
    CHECK(g::normalize_volatile_segment(c.segment) == (c.is_volatile ? D : c.segment));
    CHECK(g::volatile_reason(c.segment) == (c.is_volatile ? "random temporary name" : ""));
  }
  CHECK(g::normalize_volatile_path("/tmp/tmp.Qx3ZpL0aB7/file") == "/tmp/" + D + "/file");
  CHECK(g::normalize_volatile_path("/tmp/tmp.configfile/file") == "/tmp/tmp.configfile/file");
  CHECK(g::repair_partial_wildcards("/etc/**") == "/etc/*");
  CHECK(g::repair_partial_wildcards("/etc/apache2/*.conf") == "/etc/apache2/" + D);
  CHECK(g::repair_partial_wildcards("/run/" + D + ".scope/cpu") == "/run/" + D + "/cpu");
  CHECK(g::repair_partial_wildcards("/proc/" + D + "/*") == "/proc/" + D + "/*");
  CHECK(g::normalize_volatile_path("/proc/4711/task/4712/stat") == "/proc/" + D + "/task/" + D + "/stat");
  CHECK(g::normalize_volatile_path("/proc/self/mounts") == "/proc/" + D + "/mounts");
  CHECK(g::normalize_volatile_path("/proc/thread-self/attr") == "/proc/" + D + "/attr");
  CHECK(g::normalize_volatile_path("/home/self/x") == "/home/self/x");
  CHECK(g::normalize_volatile_path("/run/secrets/kubernetes.io/serviceaccount/"
                                   "..2025_07_10_14_13_34.1370920659/token") ==
        "/run/secrets/kubernetes.io/serviceaccount/" + D + "/token");
  CHECK(g::normalize_volatile_path("/var/lib/x/") == "/var/lib/x/");
  CHECK(g::normalize_volatile_path("") == "");
}

TEST_CASE("collapse: storage's examples") {
  SUBCASE("101 children over threshold 100 collapse to one segment") {
    std::vector<std::string> paths;
    for (int i = 0; i < 101; ++i) paths.push_back("/home/user" + std::to_string(i) + "/file.txt");
    g::CollapseConfig config;
    config.open_threshold = 100;
    config.rules.clear();
    auto out = g::generalize(profile_with_opens(paths), only_collapse(config));
    CHECK(open_paths(out.profile) == std::vector<std::string>{"/home/" + D + "/file.txt"});
    REQUIRE(out.changes.size() == 1);
    CHECK(out.changes[0].from.size() == 101);
    CHECK(out.changes[0].reason.find("/home has more distinct entries than its threshold 100") !=
          std::string::npos);
  }
  SUBCASE("100 children at threshold 100 stay literal") {
    std::vector<std::string> paths;
    for (int i = 0; i < 100; ++i) paths.push_back("/home/user" + std::to_string(i) + "/file.txt");
    g::CollapseConfig config;
    config.open_threshold = 100;
    auto out = g::generalize(profile_with_opens(paths), only_collapse(config));
    CHECK(out.profile.containers[0].opens.size() == 100);
  }
  SUBCASE("threshold 1 turns the first child into * and stops there") {
    g::CollapseConfig config;
    config.rules = {{"/instant", 1}};
    auto out = g::generalize(profile_with_opens({"/instant/only-child/data"}), only_collapse(config));
    CHECK(open_paths(out.profile) == std::vector<std::string>{"/instant/*"});
    CHECK(out.changes.at(0).reason.find("threshold 1 for /instant") != std::string::npos);
  }
  SUBCASE("prefixes match at path boundaries only; the longest wins; a trailing / is ignored") {
    g::CollapseConfig config;
    config.rules = {{"/etc/", 1}, {"/etc/keep", 50}};
    CHECK(config.threshold_for("/etc") == 1);
    CHECK(config.threshold_for("/etc/x") == 1);
    CHECK(config.threshold_for("/etcd/x") == 50);
    CHECK(config.threshold_for("/etc/keep/a") == 50);
    CHECK(config.threshold_for("/etc/keeper") == 1);
    auto out = g::generalize(profile_with_opens({"/etcd/member/snap", "/etc/passwd"}),
                             only_collapse(config));
    CHECK(open_paths(out.profile) == std::vector<std::string>{"/etc/*", "/etcd/member/snap"});
  }
  SUBCASE("equal-length prefixes: the first rule wins") {
    g::CollapseConfig config;
    config.rules = {{"/app", 7}, {"/app", 9}};
    CHECK(config.threshold_for("/app/x") == 7);
    config.rules = {{"/app", 7}, {"/app/", 9}};  // raw lengths differ: the longer one wins
    CHECK(config.threshold_for("/app/x") == 9);
  }
  SUBCASE("fan-out on two levels collapses level by level, and ⋯/⋯ becomes *") {
    // Pass two gives /grid/⋯/⋯/leaf, written /grid/*/leaf; storage's re-analysis of that path
    // walks `*` into the ⋯ subtree and emits ⋯/⋯ again, so the final entry is /grid/*.
    std::vector<std::string> paths;
    for (int i = 0; i < 60; ++i) {
      for (int j = 0; j < 60; ++j) {
        paths.push_back("/grid/r" + std::to_string(i) + "/c" + std::to_string(j) + "/leaf");
      }
    }
    auto prof = profile_with_opens(paths);
    auto out = g::generalize(prof, only_collapse(g::CollapseConfig{}));
    CHECK(open_paths(out.profile) == std::vector<std::string>{"/grid/*"});
    CHECK(g::lost_behaviour(prof, out.profile).empty());
  }
  SUBCASE("a path that already holds ⋯ folds its siblings") {
    auto prof = profile_with_opens({"/proc/" + D + "/stat", "/proc/1/stat", "/proc/2/status"});
    auto out = g::generalize(prof, only_collapse(g::CollapseConfig{}));
    CHECK(open_paths(out.profile) ==
          std::vector<std::string>{"/proc/" + D + "/stat", "/proc/" + D + "/status"});
  }
  SUBCASE("flags of merged entries are unioned and sorted") {
    std::vector<std::string> paths;
    auto prof = profile_with_opens({});
    for (int i = 0; i < 51; ++i) {
      prof.containers[0].opens.push_back(
          {"/var/spool/q" + std::to_string(i), {i == 7 ? "O_WRONLY" : "O_RDONLY", "O_CLOEXEC"}});
    }
    auto out = g::generalize(prof, only_collapse(g::CollapseConfig{}));
    REQUIRE(out.profile.containers[0].opens.size() == 1);
    CHECK(out.profile.containers[0].opens[0].path == "/var/spool/" + D);
    CHECK(out.profile.containers[0].opens[0].flags ==
          std::vector<std::string>{"O_CLOEXEC", "O_RDONLY", "O_WRONLY"});
  }
}

TEST_CASE("consolidation: a literal covered by a pattern is folded into it with its flags") {
  auto prof = profile_with_opens({});
  prof.containers[0].opens = {{"/etc/*", {"O_RDONLY"}}, {"/etc/passwd", {"O_CLOEXEC", "O_RDONLY"}},
                              {"/usr/lib/x", {"O_RDONLY"}}};
  auto out = g::generalize(prof, only_collapse(g::CollapseConfig{}));
  const auto& opens = out.profile.containers[0].opens;
  REQUIRE(opens.size() == 2);
  CHECK(opens[0].path == "/etc/*");
  CHECK(opens[0].flags == std::vector<std::string>{"O_CLOEXEC", "O_RDONLY"});
  CHECK(opens[1].path == "/usr/lib/x");
  CHECK(g::lost_behaviour(prof, out.profile).empty());
}

TEST_CASE("lost_behaviour finds what an output no longer allows") {
  auto in = profile_with_opens({"/etc/passwd", "/a/*"});
  in.containers[0].syscalls = {"read", "write"};
  in.containers[0].execs.push_back({"/bin/sh", {"sh", "-c", "x"}});
  auto out = in;
  out.containers[0].opens = {{"/etc/passwd", {}}, {"/a/" + D, {"O_RDONLY"}}};
  out.containers[0].syscalls = {"read"};
  out.containers[0].execs[0].args = {"sh", D};
  auto lost = g::lost_behaviour(in, out);
  REQUIRE(lost.size() == 4);
  CHECK(lost[0].find("open /etc/passwd") != std::string::npos);  // flags no longer a subset
  CHECK(lost[1].find("open /a/*") != std::string::npos);         // /a/⋯ misses /a/x/y
  CHECK(lost[2].find("exec /bin/sh") != std::string::npos);
  CHECK(lost[3].find("syscall write") != std::string::npos);
  CHECK(g::lost_behaviour(in, in).empty());
}

TEST_CASE("generalize over the corpus: nothing lost, whole-segment wildcards only") {
  const std::vector<std::string> files = {
      "bobctl/testdata/parameterstudy/webapp/bob6k3s.yaml",
      "bobctl/testdata/parameterstudy/webapp/bob6587gke.yaml",
      "bobctl/testdata/parameterstudy/redis/bob-redis-ubuntu-24.04-kind-v1.33.0.yaml",
      "bobctl/testdata/parameterstudy/redis/bob-redis-ubuntu-22.04-k3s-v1.30.0.yaml",
      "bobctl/testdata/parameterstudy/redis/superset-bob.yaml",
      "bobctl/testdata/parameterstudy/redis/redisbob/statefulset-bob-redis-master_bob.yaml",
      "bobctl/testdata/parameterstudy/curing/bobcuringserver.yaml",
      "bobctl/testdata/parameterstudy/curing/bobcuringclient.yaml",
      "bob/example/redis/sbobs/cp-redis.yaml",
      "bob/example/argocd/sbobs/cp-argocd-server.yaml",
      "bob/_artifacts/log4j-sbobs/cp-chain-backend.yaml",
      "bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml",
  };
  auto collapse = g::load_collapse_config(corpus + "bob/kubescape/collapse-config.yaml");
  for (const auto& file : files) {
    for (const auto& input : p::load_file(corpus + file)) {
      for (bool exec_args : {false, true}) {
        CAPTURE(file);
        CAPTURE(exec_args);
        g::Options options;
        options.collapse = collapse;
        options.exec_args = exec_args;
        auto out = g::generalize(input, options);
        auto lost = g::lost_behaviour(input, out.profile);
        CHECK_MESSAGE(lost.empty(), (lost.empty() ? "" : lost.front()));
        CHECK(count_opens(out.profile) <= count_opens(input));
        check_no_partial_wildcards(out.profile);
        // Generalizing is idempotent enough: a second pass loses nothing either.
        auto again = g::generalize(out.profile, options);
        CHECK(g::lost_behaviour(out.profile, again.profile).empty());
      }
    }
  }
}

// The multi-distro sets are checked through the CLI (bob generalize, bob merge) by the test
// generalize-multi-distro, scripts/generalize-figures.sh.

TEST_CASE("exec args: volatile args become ⋯, many argument lists fold into prefix + ⋯⋯") {
  p::Profile prof = profile_with_opens({});
  auto& execs = prof.containers[0].execs;
  execs.push_back({"/bin/kill", {"kill", "-9", "4711"}});
  execs.push_back({"/bin/kill", {"kill", "-9", "4712"}});
  execs.push_back({"/bin/cat", {"cat", "/proc/4711/status"}});
  for (int i = 0; i < 5; ++i) {
    execs.push_back({"/usr/bin/redis-cli", {"redis-cli", "-p", "6379", "cmd" + std::to_string(i)}});
  }
  execs.push_back({"/bin/sh", {}});  // no constraint: left as it is
  execs.push_back({"/bin/sh", {"sh", "-c", "a"}});
  g::Options options;
  options.exec_args = true;
  auto out = g::generalize(prof, options);
  const auto& e = out.profile.containers[0].execs;
  REQUIRE(e.size() == 5);
  CHECK(e[0].path == "/bin/kill");
  CHECK(e[0].args == std::vector<std::string>{"kill", "-9", D});
  CHECK(e[1].args == std::vector<std::string>{"cat", D});
  // Numbers are volatile (pids, ports alike), so the port became ⋯ before the fold.
  CHECK(e[2].args == std::vector<std::string>{"redis-cli", "-p", D, D + D});
  CHECK(e[3].args.empty());
  CHECK(e[4].args == std::vector<std::string>{"sh", "-c", "a"});
  CHECK(g::lost_behaviour(prof, out.profile).empty());
  options.exec_args = false;
  CHECK(g::generalize(prof, options).profile.containers[0].execs.size() == execs.size());
}

TEST_CASE("network config: addresses to CIDRs, names to DNS patterns, Host headers too") {
  auto config = g::parse_network_config(
      "cidrs: [10.43.0.0/16, 'fd00::/8']\n"
      "dnsPatterns: ['\xE2\x8B\xAF.\xE2\x8B\xAF.svc.cluster.local.', '*.amazonaws.com.']\n",
      "net.yaml");
  p::Profile prof = profile_with_opens({});
  prof.kind = p::Kind::container_profile;
  auto& c = prof.containers[0];
  p::NetworkNeighbor a;
  a.identifier = "a";
  a.type = "internal";
  a.ip_addresses = {"10.43.1.7"};
  a.ports = {{"TCP-6379", "TCP", 6379}};
  p::NetworkNeighbor b = a;
  b.identifier = "b";
  b.ip_addresses = {"10.43.9.9"};
  p::NetworkNeighbor d;
  d.identifier = "d";
  d.dns_names = {"redis.cache.svc.cluster.local.", "s3.amazonaws.com.", "example.org."};
  d.ip_addresses = {"fd00::1", "192.168.1.1"};
  c.egress = {a, b, d};
  p::Endpoint ep;
  ep.endpoint = ":8080/ping.php";
  ep.direction = "inbound";
  ep.headers = {{"Host", {"web.shop.svc.cluster.local:8080", "localhost:8080"}}};
  c.endpoints = {ep};
  g::Options options;
  options.network = config;
  auto out = g::generalize(prof, options);
  const auto& oc = out.profile.containers[0];
  REQUIRE(oc.egress.size() == 2);  // a and b became identical
  CHECK(oc.egress[0].ip_addresses == std::vector<std::string>{"10.43.0.0/16"});
  CHECK(oc.egress[1].ip_addresses == std::vector<std::string>{"192.168.1.1", "fd00::/8"});
  CHECK(oc.egress[1].dns_names ==
        std::vector<std::string>{"*.amazonaws.com.", "example.org.",
                                 D + "." + D + ".svc.cluster.local."});
  CHECK(oc.endpoints[0].headers["Host"] ==
        p::Json::array({"localhost:8080", D + "." + D + ".svc.cluster.local:8080"}));
  CHECK(g::lost_behaviour(prof, out.profile).empty());

  CHECK_THROWS_AS(g::parse_network_config("cidrs: [10.0.0.1]\n", "n.yaml"), bob::Error);
  CHECK_THROWS_AS(g::parse_network_config("dnsPatterns: ['*foo.com.']\n", "n.yaml"), bob::Error);
  CHECK_THROWS_AS(g::parse_network_config("cidr: []\n", "n.yaml"), bob::Error);
}

TEST_CASE("collapse config: the corpus CollapseConfiguration and bad files") {
  auto config = g::load_collapse_config(corpus + "bob/kubescape/collapse-config.yaml");
  CHECK(config.open_threshold == 50);
  CHECK(config.endpoint_threshold == 50);
  REQUIRE(config.rules.size() == 8);
  CHECK(config.threshold_for("/tmp/_argocd-repo/abc/x") == 1);
  CHECK(config.threshold_for("/etc/apache2/mods") == 50);
  CHECK(config.threshold_for("/etc/x") == 100);
  CHECK(config.threshold_for("/srv") == 50);
  auto defaults = g::parse_collapse_config("kind: CollapseConfiguration\nspec: {}\n", "c.yaml");
  CHECK(defaults.rules.size() == 5);
  CHECK(defaults.endpoint_threshold == 100);
  try {
    g::parse_collapse_config("spec:\n  openDynamicThreshold: zero\n", "c.yaml");
    FAIL("expected an error");
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::usage);
    CHECK(std::string(e.what()).find("c.yaml:2:") != std::string::npos);
  }
  CHECK_THROWS_AS(g::parse_collapse_config("kind: Other\n", "c.yaml"), bob::Error);
  CHECK_THROWS_AS(g::parse_collapse_config("spec: {collapseConfigs: [{prefix: /x}]}\n", "c.yaml"),
                  bob::Error);
  CHECK_THROWS_AS(g::parse_collapse_config("[", "c.yaml"), bob::Error);
}

TEST_CASE("export seccomp: allow-list, architectures, errno or log") {
  auto prof = p::load_file(corpus + "bobctl/testdata/parameterstudy/webapp/bob6k3s.yaml").at(0);
  auto json = g::export_seccomp(prof, {});
  CHECK(json["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(json["defaultErrnoRet"] == 1);
  CHECK(json["architectures"] == p::Json::array({"SCMP_ARCH_X86_64"}));
  REQUIRE(json["syscalls"].size() == 1);
  CHECK(json["syscalls"][0]["action"] == "SCMP_ACT_ALLOW");
  auto names = json["syscalls"][0]["names"].get<std::vector<std::string>>();
  CHECK(names.size() == prof.containers[0].syscalls.size());
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::find(names.begin(), names.end(), "openat") != names.end());
  g::SeccompOptions log;
  log.log = true;
  auto logged = g::export_seccomp(prof, log);
  CHECK(logged["defaultAction"] == "SCMP_ACT_LOG");
  CHECK_FALSE(logged.contains("defaultErrnoRet"));
  CHECK(g::seccomp_architecture("arm64") == "SCMP_ARCH_AARCH64");
  CHECK(g::seccomp_architecture("sparc") == "");
  prof.architectures = {"sparc"};
  CHECK_THROWS_AS(g::export_seccomp(prof, {}), bob::Error);
  auto empty = profile_with_opens({"/x"});
  CHECK_THROWS_AS(g::export_seccomp(empty, {}), bob::Error);
  g::SeccompOptions missing;
  missing.container = "nope";
  CHECK_THROWS_AS(g::export_seccomp(prof, missing), bob::Error);
}

TEST_CASE("export networkpolicy from the log4j ContainerProfile") {
  auto prof = p::load_file(corpus + "bob/_artifacts/log4j-sbobs/cp-chain-backend.yaml").at(0);
  std::vector<std::string> notes;
  auto policy = g::export_network_policy(prof, {}, notes);
  CHECK(policy["apiVersion"] == "networking.k8s.io/v1");
  CHECK(policy["kind"] == "NetworkPolicy");
  CHECK(policy["metadata"]["namespace"] == prof.namespace_name());
  CHECK(policy["spec"]["podSelector"] == p::Json{{"matchLabels", prof.spec_extra["matchLabels"]}});
  CHECK(policy["spec"]["policyTypes"] == p::Json::array({"Ingress", "Egress"}));
  // The kube-dns neighbour keeps its selectors and both DNS ports.
  const auto& egress = policy["spec"]["egress"];
  REQUIRE(egress.size() >= 2);
  CHECK(egress[0]["to"][0]["podSelector"]["matchLabels"]["k8s-app"] == "kube-dns");
  CHECK(egress[0]["ports"] == p::Json::array({{{"protocol", "UDP"}, {"port", 53}},
                                              {{"protocol", "TCP"}, {"port", 53}}}));
  CHECK(egress[1]["to"][0]["podSelector"]["matchLabels"]["app"] == "chain-postgres");
  auto yaml = g::to_yaml(policy);
  CHECK(yaml.find("kind: NetworkPolicy") != std::string::npos);
  CHECK(p::Json::parse(policy.dump()) == policy);

  auto ap = p::load_file(corpus + "bobctl/testdata/parameterstudy/webapp/bob6k3s.yaml").at(0);
  CHECK_THROWS_AS(g::export_network_policy(ap, {}, notes), bob::Error);  // no selector
  g::NetworkPolicyOptions with_selector;
  with_selector.match_labels = {{"app", "webapp"}};
  notes.clear();
  auto web = g::export_network_policy(ap, with_selector, notes);
  CHECK(web["spec"]["ingress"] ==
        p::Json::array({{{"ports", p::Json::array({{{"protocol", "TCP"}, {"port", 8080}}})}}}));
  CHECK(web["spec"]["egress"] == p::Json::array());
}

TEST_CASE("export kubescape: a user-defined profile ready for kubectl apply") {
  auto prof = p::load_file(corpus + "bobctl/testdata/parameterstudy/webapp/bob6k3s.yaml").at(0);
  g::KubescapeOptions o;
  o.name = "webapp-bob";
  o.namespace_name = "shop";
  auto out = g::export_kubescape(prof, o);
  const auto& meta = out.metadata;
  CHECK(meta["name"] == "webapp-bob");
  CHECK(meta["namespace"] == "shop");
  CHECK(meta["annotations"]["kubescape.io/managed-by"] == "User");
  CHECK(meta["annotations"]["kubescape.io/status"] == "completed");
  CHECK(meta["annotations"]["kubescape.io/completion"] == "complete");
  CHECK_FALSE(meta["annotations"].contains("kubescape.io/resource-size"));
  CHECK_FALSE(meta["annotations"].contains("kubescape.io/instance-id"));
  CHECK_FALSE(meta.contains("uid"));
  CHECK_FALSE(meta.contains("creationTimestamp"));
  CHECK_FALSE(meta.contains("resourceVersion"));
  CHECK(meta["labels"]["kubescape.io/workload-name"] == "webapp-bob");
  CHECK(meta["labels"]["kubescape.io/workload-kind"] == "Deployment");
  CHECK(meta["labels"]["kubescape.io/workload-api-group"] == "apps");
  for (const auto& c : out.containers) {
    for (const char* rule : {"R0002", "R0006", "R1010", "R1011", "R1012", "R1030"}) {
      CAPTURE(rule);
      CHECK(c.rule_policies.count(rule) == 1);
    }
  }
  // The behaviour is untouched.
  CHECK(g::lost_behaviour(prof, out).empty());
  CHECK(g::lost_behaviour(out, prof).empty());
  o.name = "Bad_Name";
  CHECK_THROWS_AS(g::export_kubescape(prof, o), bob::Error);
}
