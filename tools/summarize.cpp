// bob summarize: the attack-surface table of one or more profiles.
#include <iostream>

#include "bob/fsutil.h"
#include "bob/profile.h"
#include "bob/profile_ops.h"
#include "bob/validate.h"
#include "command.h"

namespace {

int run_summarize(int argc, char** argv) {
  cxxopts::Options options(argv[0], "Attack-surface table: Component | Container | Type | "
                                    "Capabilities | Net | Opens | Execs | Syscalls");
  options.positional_help("FILE...");
  bob::cli::add_common_options(options);
  options.add_options()
      ("format", "Output format: markdown, csv or json",
       cxxopts::value<std::string>()->default_value("markdown"))
      ("o,output", "Write the table to this file (atomically) instead of standard output",
       cxxopts::value<std::string>()->default_value("-"))
      ("files", "Profile files", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"files"});
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  std::string format = bob::cli::checked_format(result, {"markdown", "csv", "json"});
  if (!result.count("files")) {
    bob::fail(bob::Exit::usage, "no profile files given", "run `bob summarize FILE...`");
  }
  std::vector<bob::profile::SummaryRow> rows;
  for (const auto& file : result["files"].as<std::vector<std::string>>()) {
    for (const auto& profile : bob::profile::load_file_checked(file)) {
      for (auto& row : bob::profile::summarize(profile)) rows.push_back(std::move(row));
    }
  }
  std::string text = format == "json"  ? bob::profile::summary_json(rows).dump(2) + "\n"
                     : format == "csv" ? bob::profile::summary_csv(rows)
                                       : bob::profile::summary_markdown(rows);
  bob::fs::write_file_atomic(result["output"].as<std::string>(), text);
  return 0;
}

}  // namespace

BOB_COMMAND("summarize", "Attack-surface table of profiles (markdown, csv or json)", run_summarize);
