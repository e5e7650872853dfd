// The comparator, rule by rule, on hand-built observations and corpus profiles. No BPF needed.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "bob/profile.h"
#include "bob/verify.h"
#include "observation_builder.h"

using namespace bob;
using bob::test::ObservationBuilder;

namespace {

profile::Profile profile_from(const std::string& yaml) {
  auto profiles = profile::load_string(yaml, "inline");
  REQUIRE(profiles.size() == 1);
  return profiles.front();
}

// A profile as `bob record` writes it (the recorded-with annotation makes it "bob's own").
const char* const kInstallerProfile = R"(
apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
kind: ContainerProfile
metadata:
  name: installer
  annotations:
    bob.dev/recorded-with: '{"traced":["exec","open","syscall","capability","network","dns"]}'
    bob.dev/roots: '{"home":"/home/vendor","tmp":"/tmp/vendor-tmp","cwd":"/home/vendor/proj"}'
spec:
  capabilities: [CHOWN]
  execs:
  - path: /usr/bin/dash
    args: [/bin/sh, -c, "\u22EF"]
  - path: /usr/bin/cp
    args: [/usr/bin/cp, "\u22EF\u22EF"]
  - path: /usr/bin/node
  - path: /usr/lib/node_modules/*/bin/helper
  opens:
  - path: /etc/ld.so.cache
    flags: [O_RDONLY, O_CLOEXEC]
  - path: /home/vendor/proj/package.json
    flags: [O_RDONLY]
  - path: "/tmp/vendor-tmp/\u22EF/out.txt"
    flags: [O_WRONLY, O_CREAT, O_TRUNC]
  - path: /usr/lib/node_modules/*
    flags: [O_RDONLY, O_CLOEXEC]
  syscalls: [openat, read, write, execve, exit_group]
  endpoints:
  - endpoint: ":8443"
    direction: outbound
    internal: false
  egress:
  - identifier: registry
    type: external
    dnsNames: ["registry.npmjs.org.", "*.example.com."]
    ipAddresses: ["10.1.0.0/16"]
    ports: [{name: TCP-443, protocol: TCP, port: 443}]
  ingress: []
)";

// An observation that does exactly what kInstallerProfile allows, under the vendor's own roots.
ObservationBuilder clean_run() {
  ObservationBuilder run;
  run.roots({{"home", "/home/vendor"}, {"tmp", "/tmp/vendor-tmp"}, {"cwd", "/home/vendor/proj"}});
  auto sh = run.root("sh", "/usr/bin/dash", {"/bin/sh", "-c", "cp a b"});
  auto cp = run.child(sh, "cp", "/usr/bin/cp", {"/usr/bin/cp", "-r", "a", "b"});
  run.open(sh, "/etc/ld.so.cache", {"O_RDONLY", "O_CLOEXEC"});
  run.open(cp, "/etc/ld.so.cache", {"O_RDONLY"});
  run.open(cp, "/home/vendor/proj/package.json", {"O_RDONLY"});
  run.open(cp, "/tmp/vendor-tmp/x7Kq/out.txt", {"O_WRONLY", "O_CREAT", "O_TRUNC"});
  run.syscalls({"openat", "read", "write", "execve", "exit_group"});
  run.capability(cp, "CHOWN");
  run.dns(cp, "registry.npmjs.org.");
  run.connect(cp, "10.1.2.3", 443, "TCP");
  return run;
}

verify::Result check(const ObservationBuilder& run, const char* yaml = kInstallerProfile,
                     verify::Options options = {}) {
  auto profile = profile_from(yaml);
  return verify::compare(run.observation(), profile, verify::select_container(profile, ""),
                         options);
}

std::string messages(const std::vector<verify::Alert>& alerts) {
  std::string out;
  for (const auto& alert : alerts) out += alert.rule_id + " " + alert.message + "\n";
  return out;
}

std::vector<std::string> rule_ids(const std::vector<verify::Alert>& alerts) {
  std::vector<std::string> ids;
  for (const auto& alert : alerts) ids.push_back(alert.rule_id);
  return ids;
}

}  // namespace

TEST_CASE("verify: a run that does only what the profile lists matches") {
  auto result = check(clean_run());
  INFO(messages(result.alerts));
  CHECK(rule_ids(result.alerts).empty());
  CHECK(result.inconclusive.empty());
  CHECK(result.verdict() == verify::Verdict::match);
  CHECK(result.exit_code() == Exit::ok);
}

TEST_CASE("verify: R0001 for an exec path the profile does not list") {
  auto run = clean_run();
  run.child(run.root_key(), "curl", "/usr/bin/curl", {"/usr/bin/curl", "http://x"});
  auto result = check(run);
  REQUIRE(rule_ids(result.alerts) == std::vector<std::string>{"R0001"});
  const auto& alert = result.alerts.front();
  CHECK(alert.name == "Unexpected process launched");
  CHECK(alert.severity == 5);
  CHECK(alert.message == "Unexpected process launched: /usr/bin/curl");
  CHECK(alert.arguments == verify::Json{{"args", {"/usr/bin/curl", "http://x"}},
                                        {"exec", "/usr/bin/curl"},
                                        {"retval", 0}});
  // The tree starts at the installer and leads to the new process.
  const auto& tree = alert.process_tree;
  CHECK(tree["comm"] == "sh");
  CHECK(tree["pid"] == run.root_key().pid);
  REQUIRE(tree.contains("childrenMap"));
  auto child = tree["childrenMap"].begin();
  CHECK(child.key() == "curl\xE2\x90\x9F" + std::to_string(alert.pid));
  CHECK((*child)["path"] == "/usr/bin/curl");
  CHECK((*child)["pcomm"] == "sh");
  CHECK(result.exit_code() == Exit::deviations);
}

TEST_CASE("verify: exec paths match by kernel path, 2025 argv[0] form and wildcards") {
  SUBCASE("a 2025-style profile lists /bin/sh while the kernel ran /usr/bin/dash") {
    const char* yaml = R"(
kind: ApplicationProfile
apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
metadata: {name: vendor}
spec:
  containers:
  - name: c
    execs: [{path: /bin/sh, args: [/bin/sh, -c, "true"]}]
)";
    ObservationBuilder run;
    run.root("sh", "/usr/bin/dash", {"/bin/sh", "-c", "true"});
    run.all_kinds_traced();
    auto result = check(run, yaml);
    CHECK(result.alerts.empty());
  }
  SUBCASE("a * segment in an exec path allows any package directory") {
    auto run = clean_run();
    run.child(run.root_key(), "helper", "/usr/lib/node_modules/pkg/bin/helper", {"helper"});
    CHECK(check(run).alerts.empty());
  }
  SUBCASE("a wildcard path does not allow a different tail") {
    auto run = clean_run();
    run.child(run.root_key(), "evil", "/usr/lib/node_modules/pkg/bin/evil", {"evil"});
    CHECK(rule_ids(check(run).alerts) == std::vector<std::string>{"R0001"});
  }
}

TEST_CASE("verify: R0040 when the path is allowed but the args are not") {
  auto run = clean_run();
  // The profile allows dash only as `sh -c <one arg>`.
  run.child(run.root_key(), "sh", "/usr/bin/dash", {"/bin/sh", "-c", "cp a b", "extra"});
  auto result = check(run);
  REQUIRE(rule_ids(result.alerts) == std::vector<std::string>{"R0040"});
  CHECK(result.alerts.front().name == "Unexpected process arguments");
  CHECK(result.alerts.front().message == "Unexpected process arguments: /usr/bin/dash");
  CHECK(result.alerts.front().arguments["args"].size() == 4);

  SUBCASE("⋯⋯ absorbs any run of args and an entry without args has no constraint") {
    auto ok = clean_run();
    ok.child(ok.root_key(), "cp", "/usr/bin/cp", {"/usr/bin/cp"});
    ok.child(ok.root_key(), "node", "/usr/bin/node", {"node", "anything", "at", "all"});
    CHECK(check(ok).alerts.empty());
  }
  SUBCASE("argsRequired with empty args allows only an empty argv") {
    const char* yaml = R"(
kind: ApplicationProfile
apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
metadata: {name: strict}
spec:
  containers:
  - name: c
    execs: [{path: /usr/bin/true, args: [], argsRequired: true}]
)";
    ObservationBuilder strict;
    strict.root("true", "/usr/bin/true", {"/usr/bin/true"});
    strict.all_kinds_traced();
    CHECK(rule_ids(check(strict, yaml).alerts) == std::vector<std::string>{"R0040"});
  }
}

TEST_CASE("verify: R0002 opens with CompareDynamic and flags as a subset") {
  SUBCASE("a new file") {
    auto run = clean_run();
    run.open(run.root_key(), "/home/vendor/.ssh/id_rsa", {"O_RDONLY"});
    auto result = check(run);
    REQUIRE(rule_ids(result.alerts) == std::vector<std::string>{"R0002"});
    const auto& alert = result.alerts.front();
    CHECK(alert.name == "Unexpected file access");
    CHECK(alert.severity == 1);
    CHECK(alert.message == "Unexpected file access: /home/vendor/.ssh/id_rsa with flags O_RDONLY");
    CHECK(alert.arguments ==
          verify::Json{{"flags", {"O_RDONLY"}}, {"path", "/home/vendor/.ssh/id_rsa"}});
  }
  SUBCASE("a listed path opened with a flag the entry lacks") {
    auto run = clean_run();
    run.open(run.root_key(), "/home/vendor/proj/package.json", {"O_RDWR"});
    auto result = check(run);
    REQUIRE(rule_ids(result.alerts) == std::vector<std::string>{"R0002"});
    CHECK(result.alerts.front().detail.find("not with these flags") != std::string::npos);
  }
  SUBCASE("⋯ stands for exactly one segment") {
    auto run = clean_run();
    run.open(run.root_key(), "/tmp/vendor-tmp/a/b/out.txt", {"O_WRONLY"});
    CHECK(rule_ids(check(run).alerts) == std::vector<std::string>{"R0002"});
  }
  SUBCASE("a trailing * covers one or more segments") {
    auto run = clean_run();
    run.open(run.root_key(), "/usr/lib/node_modules/pkg/lib/index.js", {"O_RDONLY"});
    run.open(run.root_key(), "/usr/lib/node_modules", {"O_RDONLY"});
    auto result = check(run);
    REQUIRE(result.alerts.size() == 1);
    CHECK(result.alerts.front().arguments["path"] == "/usr/lib/node_modules");
  }
  SUBCASE("identical opens fold into one alert with a count") {
    auto run = clean_run();
    run.open(run.root_key(), "/etc/shadow", {"O_RDONLY"});
    run.open(run.root_key(), "/etc/shadow", {"O_RDONLY"});
    auto result = check(run);
    REQUIRE(result.alerts.size() == 1);
    CHECK(result.alerts.front().occurrences == 2);
  }
}

TEST_CASE("verify: R0003 and R0004 alert once per name") {
  auto run = clean_run();
  run.syscalls({"ptrace", "getpeername"});
  run.capability(run.root_key(), "SYS_ADMIN");
  run.capability(run.root_key(), "SYS_ADMIN");
  auto result = check(run);
  auto ids = rule_ids(result.alerts);
  CHECK(std::count(ids.begin(), ids.end(), "R0003") == 2);
  CHECK(std::count(ids.begin(), ids.end(), "R0004") == 1);
  for (const auto& alert : result.alerts) {
    if (alert.rule_id == "R0003" && alert.arguments["syscall"] == "ptrace") {
      CHECK(alert.message == "Unexpected system call: ptrace");
    }
    if (alert.rule_id == "R0004") {
      CHECK(alert.arguments["capability"] == "SYS_ADMIN");
      CHECK(alert.arguments.contains("syscall"));
      CHECK(alert.name == "Unexpected capability used");
    }
  }
}

TEST_CASE("verify: a vendor profile without capabilities tolerates capability use") {
  const char* yaml = R"(
kind: ApplicationProfile
apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
metadata: {name: vendor}
spec:
  containers:
  - name: c
    execs: [{path: /usr/bin/true}]
    capabilities: []
)";
  ObservationBuilder run;
  auto root = run.root("true", "/usr/bin/true", {"true"});
  run.all_kinds_traced();
  run.capability(root, "SETUID");
  auto result = check(run, yaml);
  CHECK(result.alerts.empty());
  REQUIRE(result.tolerated.size() == 1);
  CHECK(result.tolerated.front().rule_id == "R0004");
  CHECK(result.verdict() == verify::Verdict::match);
}

TEST_CASE("verify: R0005 DNS names against egress dnsNames") {
  auto run = clean_run();
  run.dns(run.root_key(), "cdn.example.com.");          // *.example.com. is one label
  run.dns(run.root_key(), "kube-dns.svc.cluster.local.");  // never alerts
  run.dns(run.root_key(), "evil.test.");
  run.dns(run.root_key(), "a.b.example.com.");  // two labels: not covered
  auto result = check(run);
  REQUIRE(rule_ids(result.alerts) == std::vector<std::string>{"R0005", "R0005"});
  CHECK(result.alerts[0].arguments["domain"] == "evil.test.");
  CHECK(result.alerts[0].message == "Unexpected domain communication: evil.test. from: installer");
  CHECK(result.alerts[0].name == "Unexpected domain request");
  CHECK(result.alerts[1].arguments["domain"] == "a.b.example.com.");
}

TEST_CASE("verify: R0011 and R0012 network against egress/ingress and endpoints") {
  SUBCASE("a loopback connect the profile does not list alerts (no loopback exemption)") {
    auto run = clean_run();
    run.connect(run.root_key(), "127.0.0.1", 40123, "TCP");
    auto result = check(run);
    REQUIRE(rule_ids(result.alerts) == std::vector<std::string>{"R0011"});
    CHECK(result.alerts.front().arguments ==
          verify::Json{{"ip", "127.0.0.1"}, {"port", 40123}, {"proto", "TCP"}});
    CHECK(result.alerts.front().message ==
          "Unexpected egress network communication to: 127.0.0.1:40123 using TCP from: "
          "installer");
  }
  SUBCASE("an egress CIDR allows its addresses only on its ports") {
    auto run = clean_run();
    run.connect(run.root_key(), "10.1.9.9", 443, "TCP");
    run.connect(run.root_key(), "10.1.9.9", 80, "TCP");
    auto result = check(run);
    REQUIRE(result.alerts.size() == 1);
    CHECK(result.alerts.front().arguments["port"] == 80);
  }
  SUBCASE("an outbound endpoint allows its port") {
    auto run = clean_run();
    run.connect(run.root_key(), "192.0.2.7", 8443, "TCP");
    CHECK(check(run).alerts.empty());
  }
  SUBCASE("an inbound accept is R0012") {
    auto run = clean_run();
    run.accept(run.root_key(), "192.0.2.8", 5555, "TCP");
    auto result = check(run);
    REQUIRE(rule_ids(result.alerts) == std::vector<std::string>{"R0012"});
    CHECK(result.alerts.front().name == "Unexpected Ingress Network Traffic");
  }
}

TEST_CASE("verify: R0006 service account token reads") {
  auto run = clean_run();
  std::string token = "/run/secrets/kubernetes.io/serviceaccount/..2025_07_10_14_13_34.1/token";
  run.open(run.root_key(), token, {"O_RDONLY"});
  auto result = check(run);
  auto ids = rule_ids(result.alerts);
  std::sort(ids.begin(), ids.end());
  REQUIRE(ids == std::vector<std::string>{"R0002", "R0006"});
  for (const auto& alert : result.alerts) {
    if (alert.rule_id != "R0006") continue;
    CHECK(alert.severity == 8);
    CHECK(alert.message == "Unexpected access to service account token: " + token +
                               " with flags: O_RDONLY");
  }
}

TEST_CASE("verify: the user's roots are mapped onto the vendor's before matching") {
  ObservationBuilder run;
  run.roots({{"home", "/root"}, {"tmp", "/var/tmp/ci-1"}, {"cwd", "/root/proj"}});
  auto sh = run.root("sh", "/usr/bin/dash", {"/bin/sh", "-c", "cp a b"});
  auto cp = run.child(sh, "cp", "/usr/bin/cp", {"/usr/bin/cp", "/root/proj/a", "b"});
  run.open(cp, "/root/proj/package.json", {"O_RDONLY"});
  run.open(cp, "/var/tmp/ci-1/Zz9/out.txt", {"O_WRONLY", "O_CREAT", "O_TRUNC"});
  run.syscalls({"openat"});
  run.capability(cp, "CHOWN");
  auto result = check(run);
  CHECK(result.alerts.empty());
  CHECK(result.verdict() == verify::Verdict::match);

  SUBCASE("a sibling directory sharing a prefix is not a root") {
    auto other = run;
    other.open(cp, "/rootkit/proj/package.json", {"O_RDONLY"});
    auto alerts = check(other).alerts;
    REQUIRE(alerts.size() == 1);
    CHECK(alerts.front().arguments["path"] == "/rootkit/proj/package.json");
  }
  SUBCASE("without the mapping the same paths deviate") {
    auto unmapped = run;
    unmapped.roots({});
    CHECK(check(unmapped).alerts.size() == 2);
  }
}

TEST_CASE("verify: RootMap rewrites whole segments, longest root first") {
  verify::RootMap map({{"home", "/home/u"}, {"cwd", "/home/u/proj"}, {"tmp", "/"}},
                      {{"home", "/home/v"}, {"cwd", "/srv/build"}, {"tmp", "/tmp"}});
  CHECK(map.path("/home/u/proj/a.js") == "/srv/build/a.js");
  CHECK(map.path("/home/u/.npmrc") == "/home/v/.npmrc");
  CHECK(map.path("/home/u") == "/home/v");
  CHECK(map.path("/home/user2/x") == "/home/user2/x");
  CHECK(map.path("/etc/passwd") == "/etc/passwd");  // "/" is never a root
  CHECK(map.arg("--prefix=/home/u/proj/out") == "--prefix=/srv/build/out");
  CHECK(map.arg("install") == "install");
}

TEST_CASE("verify: a malformed roots annotation is an input error") {
  auto profile = profile_from(R"(
kind: ApplicationProfile
apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
metadata:
  name: bad
  annotations: {bob.dev/roots: "[1,2]"}
spec: {containers: [{name: c}]}
)");
  try {
    verify::vendor_roots(profile);
    FAIL("expected an error");
  } catch (const Error& error) {
    CHECK(error.code() == Exit::usage);
    CHECK(std::string(error.what()).find("bob.dev/roots") != std::string::npos);
  }
}

TEST_CASE("verify: fail closed - an incompletely seen run is inconclusive, never a pass") {
  SUBCASE("lost events") {
    auto run = clean_run();
    run.observation().lost_events = 3;
    auto result = check(run);
    CHECK(result.verdict() == verify::Verdict::inconclusive);
    CHECK(result.exit_code() == Exit::inconclusive);
    CHECK(result.inconclusive.front().find("3 events were lost") != std::string::npos);
  }
  SUBCASE("inconclusive wins over deviations") {
    auto run = clean_run();
    run.observation().lost_events = 1;
    run.open(run.root_key(), "/etc/shadow", {"O_RDONLY"});
    CHECK(check(run).exit_code() == Exit::inconclusive);
  }
  SUBCASE("timeout") {
    auto run = clean_run();
    run.observation().timed_out = true;
    CHECK(check(run).exit_code() == Exit::inconclusive);
  }
  SUBCASE("interrupted by a signal, even with nothing unexpected seen") {
    auto run = clean_run();
    run.observation().interrupted_by = 15;
    auto result = check(run);
    CHECK(result.exit_code() == Exit::inconclusive);
    REQUIRE(result.inconclusive.size() == 1);
    CHECK(result.inconclusive.front() ==
          "bob was interrupted by SIGTERM and killed the installer's process tree, so its run is "
          "incomplete");
  }
  SUBCASE("capabilities not traced") {
    auto run = clean_run();
    run.observation().capabilities_traced = false;
    auto result = check(run);
    CHECK(result.exit_code() == Exit::inconclusive);
    CHECK(result.inconclusive.front().find("capabilities were not traced") != std::string::npos);
  }
  SUBCASE("a kind the tracer did not trace") {
    auto run = clean_run();
    auto& kinds = run.observation().traced_kinds;
    kinds.erase(std::find(kinds.begin(), kinds.end(), "dns"));
    CHECK(check(run).exit_code() == Exit::inconclusive);
  }
  SUBCASE("descendants still running") {
    auto run = clean_run();
    run.observation().lingering_processes = 1;
    CHECK(check(run).exit_code() == Exit::inconclusive);
  }
  SUBCASE("no exec seen at all") {
    ObservationBuilder empty;
    empty.all_kinds_traced();
    CHECK(check(empty).exit_code() == Exit::inconclusive);
  }
}

TEST_CASE("verify: a failing installer fails verification") {
  auto run = clean_run();
  run.observation().exit_status = 2;
  auto result = check(run);
  CHECK(result.alerts.empty());
  CHECK(result.installer_failed);
  CHECK(result.installer_exit_status == 2);
  CHECK(result.exit_code() == Exit::deviations);
}

TEST_CASE("verify: unused profile entries are informational unless --require-complete") {
  auto run = clean_run();
  auto relaxed = check(run);
  CHECK(relaxed.verdict() == verify::Verdict::match);
  std::vector<std::string> unused;
  for (const auto& entry : relaxed.unused) unused.push_back(entry.kind + " " + entry.entry);
  CHECK(std::find(unused.begin(), unused.end(), "exec /usr/bin/node") != unused.end());
  CHECK(std::find(unused.begin(), unused.end(),
                  "open /usr/lib/node_modules/* [O_RDONLY,O_CLOEXEC]") != unused.end());
  CHECK(std::find(unused.begin(), unused.end(), "endpoint :8443 outbound") != unused.end());
  // Every syscall, the capability and the egress neighbour were used.
  for (const auto& entry : relaxed.unused) {
    CHECK(entry.kind != "syscall");
    CHECK(entry.kind != "capability");
    CHECK(entry.kind != "egress");
  }
  verify::Options strict;
  strict.require_complete = true;
  auto complete = check(run, kInstallerProfile, strict);
  CHECK(complete.verdict() == verify::Verdict::deviations);
  CHECK(complete.exit_code() == Exit::deviations);
}

TEST_CASE("verify: select_container picks by name and refuses ambiguity") {
  auto profile = profile_from(R"(
kind: ApplicationProfile
apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
metadata: {name: two}
spec:
  containers: [{name: web}]
  initContainers: [{name: setup}]
)");
  CHECK(verify::select_container(profile, "setup").name == "setup");
  CHECK_THROWS_AS(verify::select_container(profile, ""), Error);
  try {
    verify::select_container(profile, "nope");
    FAIL("expected an error");
  } catch (const Error& error) {
    CHECK(error.code() == Exit::usage);
    CHECK(error.hint().find("web") != std::string::npos);
  }
}
