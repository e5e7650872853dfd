// bob diff: what two profiles allow differently, per container.
#include <iostream>

#include "bob/profile.h"
#include "bob/profile_ops.h"
#include "bob/validate.h"
#include "command.h"

namespace {

bob::profile::Profile load_one(const std::string& file) {
  auto profiles = bob::profile::load_file_checked(file);
  if (profiles.size() != 1) {
    bob::fail(bob::Exit::usage, file + ": holds " + std::to_string(profiles.size()) + " profiles",
              "bob diff compares one profile with one profile; split the file first");
  }
  return profiles.front();
}

int run_diff(int argc, char** argv) {
  cxxopts::Options options(argv[0], "Semantic diff of two profiles (metadata ignored); exit 1 when "
                                    "they differ");
  options.positional_help("A B");
  bob::cli::add_common_options(options);
  options.add_options()
      ("format", "Output format: text or json", cxxopts::value<std::string>()->default_value("text"))
      ("files", "The two profiles", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"files"});
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  std::string format = bob::cli::checked_format(result, {"text", "json"});
  std::vector<std::string> files;
  if (result.count("files")) files = result["files"].as<std::vector<std::string>>();
  if (files.size() != 2) {
    bob::fail(bob::Exit::usage, "bob diff needs exactly two profiles", "run `bob diff A B`");
  }
  auto differences = bob::profile::diff(load_one(files[0]), load_one(files[1]));
  if (format == "json") {
    std::cout << bob::profile::diff_json(differences).dump(2) << "\n";
  } else if (!result.count("quiet")) {
    std::cout << (differences.empty() ? "no differences\n" : bob::profile::diff_text(differences));
  }
  return differences.empty() ? 0 : bob::exit_status(bob::Exit::deviations);
}

}  // namespace

BOB_COMMAND("diff", "Semantic diff of two profiles per container; exit 1 when different", run_diff);
