// bob merge: the superset of profiles from several runs, distros or kernels.
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/profile.h"
#include "bob/profile_ops.h"
#include "bob/validate.h"
#include "command.h"

namespace {

int run_merge(int argc, char** argv) {
  cxxopts::Options options(argv[0], "Merge profiles into their superset");
  options.positional_help("PROFILE... -o OUT");
  bob::cli::add_common_options(options);
  options.add_options()
      ("o,output", "Where to write the merged profile (- for standard output)",
       cxxopts::value<std::string>())
      ("format", "Output format: yaml or json", cxxopts::value<std::string>()->default_value("yaml"))
      ("files", "Profiles to merge", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"files"});
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  std::string format = bob::cli::checked_format(result, {"yaml", "json"});
  if (!result.count("files")) {
    bob::fail(bob::Exit::usage, "no profiles given", "run `bob merge PROFILE... -o OUT`");
  }
  if (!result.count("output")) {
    bob::fail(bob::Exit::usage, "no output file given", "add `-o OUT` (or `-o -` for standard output)");
  }
  std::vector<bob::profile::Profile> profiles;
  for (const auto& file : result["files"].as<std::vector<std::string>>()) {
    for (auto& p : bob::profile::load_file_checked(file)) profiles.push_back(std::move(p));
  }
  auto merged = bob::profile::merge(profiles);
  auto out = result["output"].as<std::string>();
  bob::fs::write_file_atomic(out, bob::profile::to_string(merged, format == "json"
                                                                      ? bob::profile::Format::json
                                                                      : bob::profile::Format::yaml));
  bob::log::info("merged " + std::to_string(profiles.size()) + " profiles into " + out);
  return 0;
}

}  // namespace

BOB_COMMAND("merge", "Merge profiles into their superset (-o OUT)", run_merge);
