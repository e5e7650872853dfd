// Report formats. The JSON alerts are compared field for field with node-agent's own alerts in
// the corpus (the webapp attack of bobctl's testdata/anomaly.json, replayed as an Observation
// against the webapp profile it was raised for); JUnit and SARIF are parsed by python3.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "bob/fsutil.h"
#include "bob/profile.h"
#include "bob/verify.h"
#include "observation_builder.h"
#include "prereq.h"

using namespace bob;
using bob::test::ObservationBuilder;
using Json = verify::Json;

namespace {

const std::string kCorpus = std::string(BOB_SOURCE_ROOT) + "/testdata/corpus/bobctl/testdata/";

profile::Profile webapp_profile() {
  auto profiles = profile::load_file(kCorpus + "parameterstudy/webapp/bob6k3s.yaml");
  REQUIRE(profiles.size() == 1);
  return profiles.front();
}

// The attack of anomaly.json: apache2 runs `sh -c "ping -c 4 1.1.1.1;cat index.html"`, cat
// reads index.html, and the tree makes a syscall the profile lacks.
ObservationBuilder webapp_attack() {
  ObservationBuilder run;
  auto sh = run.root("sh", "/bin/dash", {"/bin/sh", "-c", "ping -c 4 1.1.1.1;cat index.html"},
                     39314);
  run.parent_of_root("apache2", 32596);
  auto& observation = run.observation();
  observation.processes[sh].cwd = "/var/www/html";
  observation.processes[sh].uid = observation.processes[sh].gid = 33;
  trace::ProcessKey cat{39318, 1};
  trace::Process process;
  process.key = cat;
  process.parent = sh;
  process.comm = "cat";
  process.exe_path = "/bin/cat";
  process.args = {"/bin/cat", "index.html"};
  process.cwd = "/var/www/html";
  process.uid = process.gid = 33;
  observation.processes[cat] = process;
  trace::ExecEvent exec;
  exec.process = cat;
  exec.filename = "/bin/cat";
  exec.exe_path = "/bin/cat";
  exec.args = process.args;
  observation.execs.push_back(exec);
  run.open(cat, "/var/www/html/index.html", {"O_RDONLY"});
  run.syscalls({"getpeername"});
  return run;
}

std::string annotation(const profile::Profile& p, const std::string& key) {
  return p.metadata["annotations"].value(key, std::string{});
}

struct Rendered {
  verify::Result result;
  verify::ReportInfo info;
};

Rendered webapp_result() {
  auto profile = webapp_profile();
  const auto& container = verify::select_container(profile, "mywebapp-app");
  Rendered out;
  out.result = verify::compare(webapp_attack().observation(), profile, container);
  out.info.command = {"/bin/sh", "-c", "ping -c 4 1.1.1.1;cat index.html"};
  out.info.profile_source = "bob6k3s.yaml";
  out.info.profile_name = profile.name();
  out.info.container_name = container.name;
  out.info.profile_status = annotation(profile, "kubescape.io/status");
  out.info.profile_completion = annotation(profile, "kubescape.io/completion");
  return out;
}

std::vector<Json> corpus_alerts() {
  std::vector<Json> alerts;
  std::ifstream in(kCorpus + "anomaly.json");
  std::string line;
  while (std::getline(in, line)) {
    Json alert = Json::parse(line, nullptr, false);
    if (alert.is_object()) alerts.push_back(alert);
  }
  REQUIRE(alerts.size() >= 5);
  return alerts;
}

const Json& corpus_alert(const std::vector<Json>& alerts, const std::string& rule) {
  for (const auto& alert : alerts) {
    if (alert["RuleID"] == rule) return alert;
  }
  FAIL("no corpus alert for " << rule);
  return alerts.front();
}

// Every key bob emits exists in node-agent's alert with a value of the same JSON type.
void check_same_shape(const Json& ours, const Json& theirs, const std::string& where) {
  for (const auto& [key, value] : ours.items()) {
    // INFO captures in a lambda, which clang before 16 cannot do with a structured binding.
    const std::string& name = key;
    INFO(where << "." << name);
    REQUIRE(theirs.contains(key));
    const Json& other = theirs[key];
    bool both_numbers = value.is_number() && other.is_number();
    CHECK((value.type() == other.type() || both_numbers));
    // arguments differ per rule and are compared by value; process trees are compared below.
    if (value.is_object() && other.is_object() && key != "arguments" && key != "childrenMap" &&
        key != "processTree") {
      check_same_shape(value, other, where + "." + key);
    }
  }
}

std::string run_python_check(const std::string& format, const std::string& text) {
  fs::TempDir dir("bob-verify-test");
  std::string file = (dir.path() / ("report." + format)).string();
  fs::write_file_atomic(file, text);
  std::string command = "python3 '" + std::string(BOB_SOURCE_ROOT) +
                        "/tests/verify/check_report.py' " + format + " '" + file + "'";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  int status = pclose(pipe);
  INFO(output);
  REQUIRE(status == 0);
  return output;
}

}  // namespace

TEST_CASE("report: the corpus attack raises node-agent's alerts") {
  auto rendered = webapp_result();
  std::vector<std::string> messages;
  for (const auto& alert : rendered.result.alerts) messages.push_back(alert.rule_id + " " + alert.message);
  std::sort(messages.begin(), messages.end());
  CHECK(messages == std::vector<std::string>{
                        "R0001 Unexpected process launched: /bin/cat",
                        "R0002 Unexpected file access: /var/www/html/index.html with flags O_RDONLY",
                        "R0003 Unexpected system call: getpeername",
                        "R0040 Unexpected process arguments: /bin/dash",
                    });
}

TEST_CASE("report: JSON alerts have node-agent's shape, field for field") {
  auto rendered = webapp_result();
  Json report = Json::parse(verify::render(rendered.result, rendered.info, "json"));
  CHECK(report["verdict"] == "deviations");
  CHECK(report["exitCode"] == 1);
  CHECK(report["installer"]["exitStatus"] == 0);
  auto samples = corpus_alerts();
  int compared = 0;
  for (const auto& finding : report["findings"]) {
    const Json& ours = finding["alert"];
    std::string rule = ours["RuleID"];
    if (rule == "R0040") continue;  // a 2026 rule: no 2025 sample
    const Json& theirs = corpus_alert(samples, rule);
    INFO("rule " << rule);
    check_same_shape(ours, theirs, rule);
    // The fullest node-agent process node (R0001's) has every key bob writes on a node.
    check_same_shape(ours["RuntimeProcessDetails"]["processTree"],
                     corpus_alert(samples, "R0001")["RuntimeProcessDetails"]["processTree"],
                     rule + ".processTree");
    CHECK(ours["msg"] == theirs["msg"]);
    CHECK(ours["level"] == theirs["level"]);
    CHECK(ours["message"] == theirs["message"]);
    const Json& base = ours["BaseRuntimeMetadata"];
    const Json& their_base = theirs["BaseRuntimeMetadata"];
    CHECK(base["alertName"] == their_base["alertName"]);
    CHECK(base["arguments"] == their_base["arguments"]);
    CHECK(base["severity"] == their_base["severity"]);
    CHECK(base["profileMetadata"] == their_base["profileMetadata"]);
    CHECK(base["uniqueID"].get<std::string>().size() == 32);
    CHECK(ours["RuntimeK8sDetails"]["containerName"] ==
          theirs["RuntimeK8sDetails"]["containerName"]);
    if (rule == "R0001" || rule == "R0002") {
      // The same tree: sh (child of apache2) with cat below it, keyed "cat␟39318".
      CHECK(base["infectedPID"] == their_base["infectedPID"]);
      CHECK(ours["RuntimeProcessDetails"]["processTree"] ==
            theirs["RuntimeProcessDetails"]["processTree"]);
    }
    ++compared;
  }
  CHECK(compared == 3);
}

TEST_CASE("report: text names the verdict and every deviation") {
  auto rendered = webapp_result();
  std::string text = verify::render(rendered.result, rendered.info, "text");
  CHECK(text.rfind("verify-install: deviations (exit 1)\n", 0) == 0);
  CHECK(text.find("R0001 Unexpected process launched (severity 5): 1") != std::string::npos);
  CHECK(text.find("Unexpected file access: /var/www/html/index.html with flags O_RDONLY") !=
        std::string::npos);
  std::string summary = verify::summary(rendered.result, rendered.info);
  CHECK(summary.find("FAIL") != std::string::npos);
  CHECK(summary.find("R0003 Unexpected system call: 1") != std::string::npos);
}

TEST_CASE("report: an unknown format is a usage error") {
  auto rendered = webapp_result();
  CHECK_THROWS_AS(verify::render(rendered.result, rendered.info, "xml"), Error);
}

TEST_CASE("report: JUnit XML parses and has one failure per deviation") {
  bob::test::require(std::system("python3 --version >/dev/null 2>&1") == 0, "python3");
  auto rendered = webapp_result();
  rendered.result.installer_failed = true;
  rendered.result.installer_exit_status = 7;
  Json summary = Json::parse(
      run_python_check("junit", verify::render(rendered.result, rendered.info, "junit")));
  CHECK(summary["failures"]["R0001"] == 1);
  CHECK(summary["failures"]["R0002"] == 1);
  CHECK(summary["failures"]["R0003"] == 1);
  CHECK(summary["failures"]["R0040"] == 1);
  CHECK(summary["failures"]["installer"] == 1);
  CHECK(summary["failures"].value("R0004", 0) == 0);
  CHECK(summary["errors"] == 0);
  CHECK(summary["passing"].get<int>() >= 5);  // R0004, R0005, R0006, R0011, R0012, tracing

  rendered.result.inconclusive.push_back("2 events were lost");
  Json inconclusive = Json::parse(
      run_python_check("junit", verify::render(rendered.result, rendered.info, "junit")));
  CHECK(inconclusive["errors"] == 1);
}

TEST_CASE("report: SARIF 2.1.0 has its required fields, rules and levels") {
  bob::test::require(std::system("python3 --version >/dev/null 2>&1") == 0, "python3");
  auto rendered = webapp_result();
  Json summary = Json::parse(
      run_python_check("sarif", verify::render(rendered.result, rendered.info, "sarif")));
  CHECK(summary["version"] == "2.1.0");
  CHECK(summary["rules"].size() == 12);
  Json expected = Json::array({Json::array({"R0040", "warning"}), Json::array({"R0001", "error"}),
                               Json::array({"R0002", "warning"}), Json::array({"R0003", "warning"})});
  // Unused profile entries come after the deviations, as notes.
  Json results = summary["results"];
  REQUIRE(results.size() > 4);
  Json first_four = Json::array();
  for (int i = 0; i < 4; ++i) first_four.push_back(results[i]);
  CHECK(first_four == expected);
  for (std::size_t i = 4; i < results.size(); ++i) {
    CHECK(results[i][0] == "BOB-UNUSED");
    CHECK(results[i][1] == "note");
  }
}
