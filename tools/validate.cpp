// bob validate: report every problem in profiles, located as file:line:column.
#include <iostream>

#include "bob/validate.h"
#include "command.h"

namespace {

int run_validate(int argc, char** argv) {
  cxxopts::Options options(argv[0], "Check ApplicationProfile and ContainerProfile files");
  options.positional_help("FILE...");
  bob::cli::add_common_options(options);
  options.add_options()
      ("format", "Output format: text or json", cxxopts::value<std::string>()->default_value("text"))
      ("files", "Profile files (YAML or JSON; - for standard input)",
       cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"files"});
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  std::string format = bob::cli::checked_format(result, {"text", "json"});
  if (!result.count("files")) {
    bob::fail(bob::Exit::usage, "no profile files given", "run `bob validate FILE...`");
  }
  std::size_t errors = 0;
  std::size_t warnings = 0;
  bob::profile::Json report = bob::profile::Json::array();
  const auto& files = result["files"].as<std::vector<std::string>>();
  for (const auto& file : files) {
    for (const auto& problem : bob::profile::validate_file(file)) {
      (problem.severity == bob::profile::Severity::error ? errors : warnings)++;
      if (format == "json") {
        report.push_back(bob::profile::problem_to_json(problem));
        continue;
      }
      bool show = problem.severity == bob::profile::Severity::error || !result.count("quiet");
      if (!show) continue;
      std::cout << bob::profile::format_problem(problem) << "\n";
      if (!problem.hint.empty()) std::cout << "  hint: " << problem.hint << "\n";
    }
  }
  if (format == "json") {
    bob::profile::Json out = bob::profile::Json::object();
    out["files"] = files.size();
    out["errors"] = errors;
    out["warnings"] = warnings;
    out["problems"] = report;
    std::cout << out.dump(2) << "\n";
  } else if (!result.count("quiet")) {
    std::cerr << files.size() << (files.size() == 1 ? " file" : " files") << " checked: " << errors
              << (errors == 1 ? " error, " : " errors, ") << warnings
              << (warnings == 1 ? " warning" : " warnings") << "\n";
  }
  return errors > 0 ? bob::exit_status(bob::Exit::usage) : 0;
}

}  // namespace

BOB_COMMAND("validate", "Check profiles; every problem as file:line:column with a hint",
            run_validate);
