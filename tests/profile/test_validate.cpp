// bob validate: the corpus is accepted; each malformed input is reported at its exact spot.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/validate.h"

using namespace bob::profile;
namespace fs = std::filesystem;

namespace {

const std::string kHead =
    "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\n"  // line 1
    "kind: ApplicationProfile\n"                                    // line 2
    "metadata:\n"                                                   // line 3
    "  name: demo\n"                                                // line 4
    "spec:\n"                                                       // line 5
    "  architectures: [amd64]\n"                                    // line 6
    "  containers:\n"                                               // line 7
    "  - name: app\n";                                              // line 8; snippet from line 9

struct Case {
  const char* title;
  std::string text;
  const char* severity;
  int line;
  int column;
  const char* pointer;
  const char* message;
};

const char* kC = "/spec/containers/0";

std::vector<Case> cases() {
  std::string c = kC;
  return {
      {"capabilities is not a list", kHead + "    capabilities: NET_ADMIN\n", "error", 9, 19,
       "/spec/containers/0/capabilities", "expected a list of strings, found a string"},
      {"a syscall is a number", kHead + "    syscalls: [read, 42]\n", "error", 9, 22,
       "/spec/containers/0/syscalls/1", "expected a string, found an integer"},
      {"misspelt kind", "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ApplicationProfil\n"
       "metadata: {name: x}\nspec: {}\n", "error", 2, 7, "/kind", "unknown kind 'ApplicationProfil'"},
      {"wrong apiVersion", "apiVersion: spdx.softwarecomposition.kubescape.io/v1\nkind: ApplicationProfile\n"
       "metadata: {name: x}\nspec: {}\n", "error", 1, 13, "/apiVersion",
       "unknown apiVersion 'spdx.softwarecomposition.kubescape.io/v1'"},
      {"not a capability", kHead + "    capabilities: [NET_ADMIN, NET_ADMINN]\n", "error", 9, 31,
       "/spec/containers/0/capabilities/1", "'NET_ADMINN' is not a Linux capability"},
      {"lower-case capability", kHead + "    capabilities:\n    - net_raw\n", "error", 10, 7,
       "/spec/containers/0/capabilities/0", "'net_raw' is not a Linux capability"},
      {"CAP_ prefix", kHead + "    capabilities: [CAP_SYS_ADMIN]\n", "warning", 9, 20,
       "/spec/containers/0/capabilities/0", "carries the CAP_ prefix"},
      {"unknown syscall", kHead + "    syscalls:\n    - read\n    - openatt\n", "error", 11, 7,
       "/spec/containers/0/syscalls/1", "'openatt' is not a system call on amd64"},
      {"amd64-only syscall on arm64",
       "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ApplicationProfile\n"
       "metadata: {name: x}\nspec:\n  architectures: [arm64]\n  containers:\n  - name: a\n"
       "    syscalls: [open]\n", "error", 8, 16, "/spec/containers/0/syscalls/0",
       "'open' is not a system call on arm64"},
      {"unknown open flag", kHead + "    opens:\n    - path: /etc/passwd\n      flags: [O_RDONLY, O_READONLY]\n",
       "error", 11, 25, "/spec/containers/0/opens/0/flags/1", "'O_READONLY' is not an open(2) flag"},
      {"endpoint without colon", kHead + "    endpoints:\n    - endpoint: 8080/ping.php\n", "error", 10, 17,
       "/spec/containers/0/endpoints/0/endpoint", "malformed endpoint '8080/ping.php'"},
      {"endpoint port too big", kHead + "    endpoints:\n    - {endpoint: \":99999/x\", direction: inbound}\n",
       "error", 10, 18, "/spec/containers/0/endpoints/0/endpoint", "malformed endpoint ':99999/x'"},
      {"bad direction", kHead + "    endpoints:\n    - endpoint: :80/\n      direction: inside\n", "error", 11,
       18, "/spec/containers/0/endpoints/0/direction", "direction 'inside' is neither inbound nor outbound"},
      {"duplicate container name", kHead + "  initContainers:\n  - name: app\n", "error", 10, 11,
       "/spec/initContainers/0/name", "duplicate container name 'app'"},
      {"partial-segment glob", kHead + "    opens:\n    - path: /var/run/apache2/apache2.pid.*\n      flags: []\n",
       "warning", 10, 13, "/spec/containers/0/opens/0/path", "has the segment 'apache2.pid.*'"},
      {"suffix glob", kHead + "    opens:\n    - {path: /etc/apache2/*.conf, flags: [O_RDONLY]}\n", "warning",
       10, 14, "/spec/containers/0/opens/0/path", "has the segment '*.conf'"},
      {"ellipsis inside a segment", kHead + "    opens:\n    - {path: /etc/systemd/\xE2\x8B\xAF.service, flags: []}\n",
       "warning", 10, 14, "/spec/containers/0/opens/0/path", "has the segment '\xE2\x8B\xAF.service'"},
      {"Helm placeholder", kHead + "    imageTag: \"{{ .Values.image.tag }}\"\n", "warning", 9, 15,
       "/spec/containers/0/imageTag", "unrendered Helm placeholder"},
      {"volatile metadata", "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ContainerProfile\n"
       "metadata:\n  name: x\n  uid: 0b7c\nspec: {}\n", "warning", 5, 8, "/metadata/uid",
       "volatile server metadata 'uid' is present"},
      {"internal as a string", kHead + "    endpoints:\n    - endpoint: :80/\n      internal: \"false\"\n",
       "error", 11, 17, "/spec/containers/0/endpoints/0/internal", "expected true or false, found a string"},
      {"container without a name", kHead + "  - capabilities: []\n", "error", 9, 5, "/spec/containers/1",
       "the container has no name"},
      {"open without a path", kHead + "    opens:\n    - flags: [O_RDONLY]\n", "error", 10, 7,
       "/spec/containers/0/opens/0", "the open has no path"},
      {"processAllowed not a list", kHead + "    rulePolicies:\n      R0001: {processAllowed: sh}\n", "error",
       10, 31, "/spec/containers/0/rulePolicies/R0001/processAllowed", "expected a list of strings"},
      {"containerAllowed yes", kHead + "    rulePolicies:\n      R1010:\n        containerAllowed: yes\n",
       "error", 11, 27, "/spec/containers/0/rulePolicies/R1010/containerAllowed", "expected true or false"},
      {"neighbour protocol in lower case",
       "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ContainerProfile\nmetadata: {name: x}\n"
       "spec:\n  egress:\n  - identifier: a\n    type: internal\n    ports:\n    - {name: TCP-53, protocol: tcp, port: 53}\n",
       "error", 9, 32, "/spec/egress/0/ports/0/protocol", "protocol 'tcp' is not TCP, UDP or SCTP"},
      {"port out of range",
       "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ContainerProfile\nmetadata: {name: x}\n"
       "spec:\n  ingress:\n  - identifier: a\n    type: external\n    ports:\n    - name: TCP-70000\n      port: 70000\n",
       "error", 10, 13, "/spec/ingress/0/ports/0/port", "port 70000 is outside 0..65535"},
      {"neighbour type", "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ContainerProfile\n"
       "metadata: {name: x}\nspec:\n  ingress:\n  - {identifier: a, type: cluster}\n", "error", 6, 27,
       "/spec/ingress/0/type", "neighbour type 'cluster' is neither internal nor external"},
      {"ellipsis inside an argument", kHead + "    execs:\n    - path: /bin/redis\n      args: [redis, --port=\xE2\x8B\xAF]\n",
       "warning", 11, 21, "/spec/containers/0/execs/0/args/1", "holds `\xE2\x8B\xAF` inside other text"},
      {"header values not a list", kHead + "    endpoints:\n    - endpoint: :80/\n      headers: {Host: localhost}\n",
       "error", 11, 23, "/spec/containers/0/endpoints/0/headers/Host", "expected a list of strings"},
      {"misspelt field", kHead + "    capabilites: [NET_ADMIN]\n", "warning", 9, 18, "/spec/containers/0/capabilites",
       "unknown field 'capabilites' in a container"},
      {"metadata without name", "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ApplicationProfile\n"
       "metadata:\n  namespace: x\nspec: {}\n", "error", 4, 3, "/metadata", "metadata has no name"},
      {"invalid YAML", kHead + "    syscalls: [read\n    opens: []\n", "error", 10, 10, "",
       "invalid YAML"},
      {"JSON with a wrong type", "{\"apiVersion\": \"spdx.softwarecomposition.kubescape.io/v1beta1\",\n"
       " \"kind\": \"ContainerProfile\", \"metadata\": {\"name\": \"x\"},\n \"spec\": {\"syscalls\": \"read\"}}\n",
       "error", 3, 23, "/spec/syscalls", "expected a list of strings, found a string"},
      {"empty exec path", kHead + "    execs:\n    - path: \"\"\n", "error", 10, 13, "/spec/containers/0/execs/0/path",
       "the exec path is empty"},
  };
}

}  // namespace

TEST_CASE("each malformed input is reported at its exact location") {
  auto all = cases();
  CHECK(all.size() >= 20);
  for (const auto& c : all) {
    CAPTURE(c.title);
    auto problems = validate_string(c.text, "t.yaml");
    auto it = std::find_if(problems.begin(), problems.end(), [&](const Problem& p) {
      return p.pointer == c.pointer && p.message.find(c.message) != std::string::npos;
    });
    std::string all_text;
    for (const auto& p : problems) all_text += format_problem(p) + "\n";
    CAPTURE(all_text);
    REQUIRE(it != problems.end());
    CHECK(it->line == c.line);
    CHECK(it->column == c.column);
    CHECK((it->severity == Severity::error ? "error" : "warning") == std::string(c.severity));
    CHECK_FALSE(it->hint.empty());
    std::string severity_errors = std::to_string(std::count_if(problems.begin(), problems.end(), [](const Problem& p) {
      return p.severity == Severity::error;
    }));
    // A warning case must not also produce errors: bob validate then exits 0.
    if (std::string(c.severity) == "warning") CHECK(severity_errors == "0");
  }
}

TEST_CASE("the printed form is file:line:column: severity: pointer: sentence") {
  auto problems = validate_string(kHead + "    capabilities: [NET_ADMINN]\n", "p.yaml");
  REQUIRE(problems.size() == 1);
  CHECK(format_problem(problems[0]) ==
        "p.yaml:9:20: error: /spec/containers/0/capabilities/0: 'NET_ADMINN' is not a Linux capability");
  auto json = problem_to_json(problems[0]);
  CHECK(json["line"] == 9);
  CHECK(json["pointer"] == "/spec/containers/0/capabilities/0");
}

TEST_CASE("every ApplicationProfile and ContainerProfile in testdata validates without errors") {
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(std::string(BOB_SOURCE_ROOT) + "/testdata")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
    std::string text = bob::fs::read_file(entry.path().string());
    if (text.find("{{") != std::string::npos) continue;
    if (text.find("kind: ApplicationProfile") == std::string::npos &&
        text.find("kind: ContainerProfile") == std::string::npos) {
      continue;
    }
    if (entry.path().string().find("/invalid/") != std::string::npos) continue;
    CAPTURE(entry.path().string());
    for (const auto& p : validate_file(entry.path().string())) {
      CAPTURE(format_problem(p));
      CHECK(p.severity == Severity::warning);
    }
    ++checked;
  }
  CHECK(checked >= 16);
}

TEST_CASE("Helm chart templates are reported as such, not as a generic failure") {
  auto problems = validate_file(std::string(BOB_SOURCE_ROOT) +
                                "/testdata/corpus/bobctl/example/mywebapp-chart/templates/bob.yaml");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].severity == Severity::error);
  CHECK(problems[0].message.find("unrendered Helm template") != std::string::npos);
  CHECK(problems[0].hint.find("helm template") != std::string::npos);
}

// Found by tests/fuzz (fuzz_profile_yaml): a List whose items are missing or empty validated
// without an error, while load_string refuses the file because it holds no profile.
TEST_CASE("a file whose Lists hold no profile is an error, like for the loader") {
  const std::string head =
      "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ApplicationProfileList\n";
  for (const std::string& text : {head + "item---s:\n- a: 1\n", head + "items: []\n", head,
                                  head + "items: null\n---\n" + head + "items: []\n"}) {
    CAPTURE(text);
    auto problems = validate_string(text, "list.yaml");
    auto error = std::find_if(problems.begin(), problems.end(),
                              [](const Problem& p) { return p.severity == Severity::error; });
    REQUIRE(error != problems.end());
    CHECK(error->message == "the file holds no profile");
    CHECK_THROWS_AS(load_string(text, "list.yaml"), bob::Error);
  }
  // One List with one profile is still fine.
  auto fine = validate_string(head + "items:\n" + "- " +
                                  "{apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1, "
                                  "kind: ApplicationProfile, metadata: {name: a}, "
                                  "spec: {architectures: [amd64], containers: [{name: app}]}}\n",
                              "list.yaml");
  CHECK(std::none_of(fine.begin(), fine.end(),
                     [](const Problem& p) { return p.severity == Severity::error; }));
}
