// bob generalize: a specific profile in, a generalized one out (see docs/generalize.md).
#include <iostream>

#include "bob/fsutil.h"
#include "bob/generalize.h"
#include "bob/log.h"
#include "bob/profile.h"
#include "bob/validate.h"
#include "command.h"

namespace {

std::string joined(const std::vector<std::string>& items, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size()) + " in all)";
  return out;
}

void explain(const bob::generalize::Result& result, const std::string& profile_name) {
  for (const auto& change : result.changes) {
    std::cerr << profile_name << " " << (change.container.empty() ? "" : change.container + " ")
              << change.field << ": " << change.to << " <- " << joined(change.from, 4) << "\n"
              << "    because " << change.reason << "\n";
  }
  for (const auto& restored : result.restored) {
    std::cerr << profile_name << " kept " << restored
              << " (the collapsed form would no longer allow it)\n";
  }
}

int run_generalize(int argc, char** argv) {
  cxxopts::Options options(argv[0], "Generalize a profile for runtime anomaly detection");
  options.positional_help("IN");
  bob::cli::add_common_options(options);
  options.add_options()
      ("o,output", "Output file (written atomically; - for standard output)",
       cxxopts::value<std::string>()->default_value("-"))
      ("collapse-config", "Kubescape CollapseConfiguration (YAML/JSON) with the thresholds",
       cxxopts::value<std::string>())
      ("network-config", "CIDRs and DNS patterns for addresses and host names (YAML)",
       cxxopts::value<std::string>())
      ("exec-args", "Also generalize exec arguments with \xE2\x8B\xAF and \xE2\x8B\xAF\xE2\x8B\xAF")
      ("exec-args-threshold", "Distinct argument lists per exec path before folding into "
       "prefix + \xE2\x8B\xAF\xE2\x8B\xAF", cxxopts::value<int>()->default_value("3"))
      ("no-volatile", "Do not rewrite volatile identifiers (UUIDs, hex ids, pids, ...)")
      ("no-collapse", "Do not collapse paths with the dynamic path detector")
      ("explain", "Report on stderr what was collapsed and why (also with -v)")
      ("format", "Output format: yaml or json", cxxopts::value<std::string>()->default_value("yaml"))
      ("input", "Profile file (YAML or JSON; - for standard input)", cxxopts::value<std::string>());
  options.parse_positional({"input"});
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  std::string format = bob::cli::checked_format(result, {"yaml", "json"});
  if (!result.count("input")) {
    bob::fail(bob::Exit::usage, "no input profile given", "run `bob generalize IN -o OUT`");
  }
  bob::generalize::Options opts;
  if (result.count("collapse-config")) {
    opts.collapse = bob::generalize::load_collapse_config(result["collapse-config"].as<std::string>());
  }
  if (result.count("network-config")) {
    opts.network = bob::generalize::load_network_config(result["network-config"].as<std::string>());
  }
  opts.exec_args = result.count("exec-args") > 0;
  opts.exec_args_threshold = result["exec-args-threshold"].as<int>();
  if (opts.exec_args_threshold < 1) {
    bob::fail(bob::Exit::usage, "--exec-args-threshold must be at least 1");
  }
  opts.volatile_segments = result.count("no-volatile") == 0;
  opts.collapse_paths = result.count("no-collapse") == 0;
  const bool report = result.count("explain") > 0 || result.count("verbose") > 0;

  auto inputs = bob::profile::load_file_checked(result["input"].as<std::string>());
  std::vector<bob::profile::Profile> outputs;
  for (const auto& input : inputs) {
    auto generalized = bob::generalize::generalize(input, opts);
    auto lost = bob::generalize::lost_behaviour(input, generalized.profile);
    if (!lost.empty()) {
      // A bug in bob, never in the input: refuse to write a profile that would raise alerts.
      bob::fail(bob::Exit::usage, "internal check failed: the generalized profile no longer allows " +
                                      lost.front(), "please report this with the input profile");
    }
    if (report) explain(generalized, input.name());
    std::size_t opens_in = 0, opens_out = 0;
    for (const auto& c : input.containers) opens_in += c.opens.size();
    for (const auto& c : generalized.profile.containers) opens_out += c.opens.size();
    bob::log::info(input.name() + ": " + std::to_string(opens_in) + " opens -> " +
                   std::to_string(opens_out) + ", " + std::to_string(generalized.changes.size()) +
                   " generalizations");
    outputs.push_back(std::move(generalized.profile));
  }
  auto fmt = format == "json" ? bob::profile::Format::json : bob::profile::Format::yaml;
  std::string text = outputs.size() == 1 ? bob::profile::to_string(outputs.front(), fmt)
                                         : bob::profile::to_string(outputs, fmt);
  bob::fs::write_file_atomic(result["output"].as<std::string>(), text);
  return 0;
}

}  // namespace

BOB_COMMAND("generalize", "Generalize a profile: volatile names, fan-out collapse, args, network",
            run_generalize);
