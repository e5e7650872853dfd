// Report writers: text for people, JSON with node-agent-shaped alerts, JUnit XML and SARIF 2.1.0
// for CI systems. All of them are built from the same Result, so they never disagree.
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>

#include "bob/verify.h"
#include "bob/version.h"
#include "rules.h"

namespace bob::verify {
namespace {

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

std::string md5_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    fail(Exit::inconclusive, "cannot compute an MD5 alert id: the OpenSSL MD5 digest is unavailable");
  }
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

struct Clock {
  std::string seconds;      // RFC 3339, seconds (node-agent `time`)
  std::string nanoseconds;  // RFC 3339 with nanoseconds (BaseRuntimeMetadata.timestamp)
};

Clock now() {
  auto point = std::chrono::system_clock::now();
  auto since_epoch = point.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count();
  std::time_t t = secs.count();
  std::tm utc{};
  gmtime_r(&t, &utc);
  char base[32];
  std::strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%09lld", static_cast<long long>(nanos));
  return {std::string(base) + "Z", std::string(base) + fraction + "Z"};
}

// JSON text of `value`; bytes that are not UTF-8 (see render()) become U+FFFD instead of an
// exception from nlohmann.
std::string dump_utf8(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::match: return "match";
    case Verdict::deviations: return "deviations";
    case Verdict::inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

std::string container_label(const ReportInfo& info) {
  return info.container_name.empty() ? info.profile_name : info.container_name;
}

// One alert in node-agent's stdout-exporter shape (profile-format.md §9).
Json alert_json(const Alert& alert, const ReportInfo& info, const Clock& clock) {
  const RuleInfo& rule = rule_info(alert.rule_id);
  Json profile_metadata = Json::object();
  profile_metadata["status"] = info.profile_status;
  profile_metadata["completion"] = info.profile_completion;
  profile_metadata["name"] = info.profile_name;
  profile_metadata["failOnProfile"] = true;
  profile_metadata["type"] = rule.profile_type;

  Json base = Json::object();
  base["alertName"] = alert.name;
  base["arguments"] = alert.arguments;
  base["infectedPID"] = alert.pid;
  base["severity"] = alert.severity;
  base["timestamp"] = clock.nanoseconds;
  base["trace"] = Json::object();
  base["uniqueID"] = md5_hex(alert.unique_key);
  base["profileMetadata"] = profile_metadata;

  Json out = Json::object();
  out["BaseRuntimeMetadata"] = base;
  out["CloudMetadata"] = nullptr;
  out["RuleID"] = alert.rule_id;
  out["RuntimeK8sDetails"] = Json{{"containerName", container_label(info)}};
  out["RuntimeProcessDetails"] = Json{{"processTree", alert.process_tree}, {"containerID", ""}};
  out["level"] = "error";
  out["message"] = alert.message;
  out["msg"] = alert.name;
  out["time"] = clock.seconds;
  return out;
}

Json finding_json(const Alert& alert, const ReportInfo& info, const Clock& clock) {
  return Json{{"alert", alert_json(alert, info, clock)},
              {"occurrences", alert.occurrences},
              {"detail", alert.detail}};
}

std::string render_json(const Result& result, const ReportInfo& info) {
  Clock clock = now();
  Json report = Json::object();
  report["apiVersion"] = "bob.dev/v1alpha1";
  report["kind"] = "VerifyInstallReport";
  report["verdict"] = verdict_name(result.verdict());
  report["exitCode"] = exit_status(result.exit_code());
  report["time"] = clock.seconds;
  report["bobVersion"] = bob::version();
  report["command"] = info.command;
  report["profile"] = Json{{"source", info.profile_source},
                           {"name", info.profile_name},
                           {"container", info.container_name},
                           {"status", info.profile_status},
                           {"completion", info.profile_completion}};
  report["installer"] = Json{{"exitStatus", result.installer_exit_status},
                             {"failed", result.installer_failed}};
  report["requireComplete"] = result.require_complete;
  report["inconclusive"] = result.inconclusive;
  Json counts = Json::object();
  for (const auto& alert : result.alerts) {
    counts[alert.rule_id] = counts.value(alert.rule_id, 0) + 1;
  }
  report["counts"] = counts;
  report["findings"] = Json::array();
  for (const auto& alert : result.alerts) {
    report["findings"].push_back(finding_json(alert, info, clock));
  }
  report["tolerated"] = Json::array();
  for (const auto& alert : result.tolerated) {
    report["tolerated"].push_back(finding_json(alert, info, clock));
  }
  report["unused"] = Json::array();
  for (const auto& entry : result.unused) {
    report["unused"].push_back(
        Json{{"ruleId", entry.rule_id}, {"kind", entry.kind}, {"entry", entry.entry}});
  }
  report["notes"] = result.notes;
  return dump_utf8(report, 2) + "\n";
}

std::string render_text(const Result& result, const ReportInfo& info) {
  std::ostringstream out;
  out << "verify-install: " << verdict_name(result.verdict()) << " (exit "
      << exit_status(result.exit_code()) << ")\n";
  out << "command: " << join(info.command, " ") << "\n";
  out << "profile: " << info.profile_name << " (container " << container_label(info)
      << ") from " << info.profile_source << "\n";
  out << "installer exit status: " << result.installer_exit_status
      << (result.installer_failed ? " (failed: this fails verification)" : "") << "\n";
  for (const auto& reason : result.inconclusive) out << "inconclusive: " << reason << "\n";
  for (const auto& rule : kubescape_rules()) {
    std::vector<const Alert*> matching;
    for (const auto& alert : result.alerts) {
      if (alert.rule_id == rule.id) matching.push_back(&alert);
    }
    if (matching.empty()) continue;
    out << "\n" << rule.id << " " << rule.name << " (severity " << rule.severity << "): "
        << matching.size() << "\n";
    for (const Alert* alert : matching) {
      out << "  " << alert->message;
      if (alert->occurrences > 1) out << " (x" << alert->occurrences << ")";
      out << "\n";
      if (!alert->detail.empty()) out << "    " << alert->detail << "\n";
    }
  }
  if (!result.tolerated.empty()) {
    out << "\ntolerated (not failing):\n";
    for (const auto& alert : result.tolerated) {
      out << "  " << alert.rule_id << " " << alert.message << "\n    " << alert.detail << "\n";
    }
  }
  if (!result.unused.empty()) {
    out << "\nprofile entries the run never used"
        << (result.require_complete ? " (failing: --require-complete)" : " (informational)")
        << ": " << result.unused.size() << "\n";
    for (const auto& entry : result.unused) {
      out << "  " << entry.rule_id << " " << entry.kind << " " << entry.entry << "\n";
    }
  }
  if (!result.notes.empty()) {
    out << "\nnotes:\n";
    for (const auto& note : result.notes) out << "  " << note << "\n";
  }
  return out.str();
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "?";
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

struct JunitCase {
  std::string name;
  std::vector<std::pair<std::string, std::string>> failures;  // message, body
  std::string error;                                          // inconclusive
  std::string system_out;
};

struct JunitSuite {
  std::string name;
  std::vector<JunitCase> cases;
};

// One suite per rule (and per bob check); one passing case when the rule found nothing, else
// one failing case per deviation, so every failure is its own JUnit failure element.
std::vector<JunitSuite> junit_suites(const Result& result) {
  std::vector<JunitSuite> suites;
  JunitSuite tracing{"tracing", {}};
  JunitCase tracing_case{"the run was fully traced", {}, {}, {}};
  if (!result.inconclusive.empty()) tracing_case.error = join(result.inconclusive, "; ");
  tracing_case.system_out = join(result.notes, "\n");
  tracing.cases.push_back(tracing_case);
  suites.push_back(tracing);

  JunitSuite installer{"installer", {}};
  JunitCase exit_case{"installer exit status", {}, {}, {}};
  if (result.installer_failed) {
    exit_case.failures.push_back({"the installer exited with status " +
                                      std::to_string(result.installer_exit_status),
                                  "a failing installer fails verification"});
  }
  installer.cases.push_back(exit_case);
  suites.push_back(installer);

  for (const auto& rule : kubescape_rules()) {
    JunitSuite suite{std::string(rule.id) + " " + rule.name, {}};
    for (const auto& alert : result.alerts) {
      if (alert.rule_id != rule.id) continue;
      JunitCase one{alert.message, {}, {}, {}};
      std::string body = "arguments: " + dump_utf8(alert.arguments, -1) + "\n" + alert.detail;
      if (alert.occurrences > 1) body += "\noccurrences: " + std::to_string(alert.occurrences);
      one.failures.push_back({alert.message, body});
      suite.cases.push_back(one);
    }
    if (suite.cases.empty()) suite.cases.push_back({"no " + std::string(rule.name), {}, {}, {}});
    suites.push_back(suite);
  }

  JunitSuite completeness{"profile completeness", {}};
  JunitCase unused_case{"every profile entry was used", {}, {}, {}};
  std::vector<std::string> lines;
  for (const auto& entry : result.unused) {
    lines.push_back(entry.rule_id + " " + entry.kind + " " + entry.entry);
  }
  if (result.require_complete) {
    for (const auto& line : lines) unused_case.failures.push_back({"unused: " + line, line});
  } else {
    unused_case.system_out = join(lines, "\n");
  }
  completeness.cases.push_back(unused_case);
  suites.push_back(completeness);
  return suites;
}

std::string render_junit(const Result& result) {
  auto suites = junit_suites(result);
  int tests = 0, failures = 0, errors = 0;
  for (const auto& suite : suites) {
    for (const auto& c : suite.cases) {
      ++tests;
      if (!c.failures.empty()) ++failures;
      if (!c.error.empty()) ++errors;
    }
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"bob verify-install\" tests=\"" << tests << "\" failures=\""
      << failures << "\" errors=\"" << errors << "\">\n";
  for (const auto& suite : suites) {
    int suite_failures = 0, suite_errors = 0;
    for (const auto& c : suite.cases) {
      if (!c.failures.empty()) ++suite_failures;
      if (!c.error.empty()) ++suite_errors;
    }
    out << "  <testsuite name=\"" << xml_escape(suite.name) << "\" tests=\"" << suite.cases.size()
        << "\" failures=\"" << suite_failures << "\" errors=\"" << suite_errors << "\">\n";
    for (const auto& c : suite.cases) {
      out << "    <testcase classname=\"bob.verify-install." << xml_escape(suite.name)
          << "\" name=\"" << xml_escape(c.name) << "\"";
      if (c.failures.empty() && c.error.empty() && c.system_out.empty()) {
        out << "/>\n";
        continue;
      }
      out << ">\n";
      if (!c.error.empty()) {
        out << "      <error message=\"inconclusive\" type=\"" << kInconclusiveId << "\">"
            << xml_escape(c.error) << "</error>\n";
      }
      // Several failures in one case are joined: the JUnit schema allows one failure element.
      if (!c.failures.empty()) {
        std::vector<std::string> bodies;
        for (const auto& [message, body] : c.failures) bodies.push_back(body);
        out << "      <failure message=\"" << xml_escape(c.failures.front().first)
            << "\" type=\"" << xml_escape(suite.name.substr(0, suite.name.find(' '))) << "\">"
            << xml_escape(join(bodies, "\n")) << "</failure>\n";
      }
      if (!c.system_out.empty()) {
        out << "      <system-out>" << xml_escape(c.system_out) << "</system-out>\n";
      }
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

std::string sarif_level(int severity) {
  if (severity >= 5) return "error";
  if (severity >= 1) return "warning";
  return "note";
}

std::string render_sarif(const Result& result, const ReportInfo& info) {
  Json rules = Json::array();
  std::map<std::string, int> rule_index;
  auto add_rule = [&](const std::string& id, const std::string& name, const std::string& text,
                      const std::string& level, int severity) {
    rule_index[id] = static_cast<int>(rules.size());
    rules.push_back(Json{{"id", id},
                         {"name", name},
                         {"shortDescription", {{"text", text}}},
                         {"defaultConfiguration", {{"level", level}}},
                         {"properties", {{"severity", severity}}}});
  };
  for (const auto& rule : kubescape_rules()) {
    add_rule(rule.id, rule.name,
             std::string(rule.name) + " (Kubescape 2026 name: " + rule.name_2026 + ")",
             sarif_level(rule.severity), rule.severity);
  }
  add_rule(kInstallerFailedId, "Installer failed", "The installer exited with a failure status",
           "error", 8);
  add_rule(kUnusedEntryId, "Unused profile entry",
           "The profile lists behaviour the run never showed", "note", 0);
  add_rule(kInconclusiveId, "Inconclusive run", "The run could not be fully traced", "error", 10);

  Json results = Json::array();
  auto add_result = [&](const std::string& id, const std::string& level, const std::string& text,
                        Json properties) {
    results.push_back(Json{{"ruleId", id},
                           {"ruleIndex", rule_index.at(id)},
                           {"level", level},
                           {"message", {{"text", text}}},
                           {"properties", std::move(properties)}});
  };
  for (const auto& alert : result.alerts) {
    add_result(alert.rule_id, sarif_level(alert.severity), alert.message,
               Json{{"arguments", alert.arguments},
                    {"infectedPID", alert.pid},
                    {"occurrences", alert.occurrences},
                    {"detail", alert.detail},
                    {"uniqueID", md5_hex(alert.unique_key)}});
  }
  if (result.installer_failed) {
    add_result(kInstallerFailedId, "error",
               "The installer exited with status " + std::to_string(result.installer_exit_status),
               Json{{"exitStatus", result.installer_exit_status}});
  }
  for (const auto& reason : result.inconclusive) {
    add_result(kInconclusiveId, "error", "Inconclusive: " + reason, Json::object());
  }
  for (const auto& entry : result.unused) {
    add_result(kUnusedEntryId, result.require_complete ? "error" : "note",
               "Unused profile entry (" + entry.rule_id + " " + entry.kind + "): " + entry.entry,
               Json{{"ruleId", entry.rule_id}, {"kind", entry.kind}});
  }

  Json invocation = {{"executionSuccessful", result.verdict() != Verdict::inconclusive},
                     {"exitCode", exit_status(result.exit_code())},
                     {"commandLine", join(info.command, " ")}};
  Json run = {{"tool",
               {{"driver",
                 {{"name", "bob"},
                  {"version", bob::version()},
                  {"informationUri", "https://github.com/k8sstormcenter/bob"},
                  {"rules", rules}}}}},
              {"invocations", Json::array({invocation})},
              {"results", results},
              {"properties",
               {{"verdict", verdict_name(result.verdict())},
                {"profile", info.profile_name},
                {"profileSource", info.profile_source},
                {"container", container_label(info)}}}};
  Json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                {"version", "2.1.0"},
                {"runs", Json::array({run})}};
  return dump_utf8(sarif, 2) + "\n";
}

}  // namespace

// Observed paths and arguments are bytes, not always UTF-8 (a Latin-1 file name); JSON, SARIF and
// JUnit's XML must be UTF-8, so every report writes such bytes as U+FFFD. The verdict does not
// depend on it: a name no profile can hold has already failed to match.
std::string render(const Result& result, const ReportInfo& info, std::string_view format) {
  if (format == "text") return profile::valid_utf8(render_text(result, info));
  if (format == "json") return render_json(result, info);
  if (format == "junit") return profile::valid_utf8(render_junit(result));
  if (format == "sarif") return render_sarif(result, info);
  fail(Exit::usage, "unknown report format '" + std::string(format) + "'",
       "choose one of: text, json, junit, sarif");
}

std::string summary(const Result& result, const ReportInfo& info) {
  std::ostringstream out;
  Verdict verdict = result.verdict();
  out << "verify-install: ";
  switch (verdict) {
    case Verdict::match: out << "PASS: the run matches the profile"; break;
    case Verdict::deviations: out << "FAIL: the run deviates from the profile"; break;
    case Verdict::inconclusive: out << "INCONCLUSIVE: the run could not be fully seen"; break;
  }
  out << " (" << info.profile_name << ", container " << container_label(info) << ")\n";
  for (const auto& reason : result.inconclusive) out << "  inconclusive: " << reason << "\n";
  if (result.installer_failed) {
    out << "  installer exited with status " << result.installer_exit_status << "\n";
  }
  std::map<std::string, int> counts;
  for (const auto& alert : result.alerts) counts[alert.rule_id] += 1;
  for (const auto& [id, count] : counts) {
    out << "  " << id << " " << rule_info(id).name << ": " << count << "\n";
  }
  const std::size_t shown = 10;
  for (std::size_t i = 0; i < result.alerts.size() && i < shown; ++i) {
    out << "    " << result.alerts[i].message << "\n";
  }
  if (result.alerts.size() > shown) {
    out << "    ... and " << result.alerts.size() - shown << " more (see the report)\n";
  }
  if (!result.tolerated.empty()) out << "  tolerated: " << result.tolerated.size() << "\n";
  if (!result.unused.empty()) {
    out << "  unused profile entries: " << result.unused.size()
        << (result.require_complete ? " (failing: --require-complete)" : " (informational)")
        << "\n";
  }
  return out.str();
}

}  // namespace bob::verify
