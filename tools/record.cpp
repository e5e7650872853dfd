// bob record: run a command under tracing and write the profile of what it did.
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/profile.h"
#include "bob/trace.h"
#include "command.h"

namespace {

// What follows `bob record` on its command line; --help and the hints both show it.
const std::string kSynopsis = "[OPTIONS] -- CMD [ARGS...]";

int run_record(int argc, char** argv) {
  // Everything after `--` is the command, untouched by option parsing.
  int split = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      split = i;
      break;
    }
  }
  std::vector<std::string> command(argv + std::min(split + 1, argc), argv + argc);

  cxxopts::Options options("bob record",
                           "Run CMD under eBPF tracing (as root) and write a highly specific "
                           "ApplicationProfile of what it and its descendants did.\n"
                           "Exits with the command's status (128+N when signal N killed it, "
                           "like a shell); the profile is still written then, with a warning. "
                           "Exit 5: the recording is incomplete and nothing was written (also "
                           "when bob is interrupted: SIGINT, SIGTERM and SIGHUP kill the "
                           "command's whole tree first).");
  options.custom_help(kSynopsis);
  bob::cli::add_common_options(options);
  options.add_options()
      ("name", "metadata.name of the profile (default: bob-<command>)",
       cxxopts::value<std::string>()->default_value(""))
      ("container", "name of the profile's container entry (default: the name)",
       cxxopts::value<std::string>()->default_value(""))
      ("namespace", "metadata.namespace (default: none)",
       cxxopts::value<std::string>()->default_value(""))
      ("o,output", "write the profile here (\"-\": standard output)",
       cxxopts::value<std::string>()->default_value("-"))
      ("format", "yaml or json", cxxopts::value<std::string>()->default_value("yaml"))
      ("runs", "run the command N times and combine the runs: path segments and args that "
       "differ between runs become ⋯; what only some runs did is kept",
       cxxopts::value<int>()->default_value("1"))
      ("timeout", "seconds before the command is killed (0: none); a timeout fails the recording",
       cxxopts::value<int>()->default_value("0"))
      ("prefix", "the install prefix to note among the vendor's roots",
       cxxopts::value<std::string>()->default_value(""))
      ("fresh", "with --runs: put DIR back as it was before the first run before every later "
       "run (repeatable; e.g. the install prefix, HOME, TMPDIR)",
       cxxopts::value<std::vector<std::string>>());
  bool help = false;
  auto result = bob::cli::parse(options, split, argv, help);
  if (help) return 0;
  if (!result.unmatched().empty())
    bob::fail(bob::Exit::usage, "unexpected argument '" + result.unmatched().front() + "'",
              "put the command after `--`: bob record " + kSynopsis);
  if (command.empty())
    bob::fail(bob::Exit::usage, "no command to record", "usage: bob record " + kSynopsis);
  std::string format = bob::cli::checked_format(result, {"yaml", "json"});
  int runs = result["runs"].as<int>();
  if (runs < 1 || runs > 100)
    bob::fail(bob::Exit::usage, "--runs must be between 1 and 100");
  int timeout = result["timeout"].as<int>();
  if (timeout < 0) bob::fail(bob::Exit::usage, "--timeout must not be negative");

  // Before anything runs: a mistyped -o must not cost a whole install.
  bob::fs::check_output_path(result["output"].as<std::string>());
  for (const char* option : {"name", "container", "namespace"}) {
    if (!bob::profile::is_utf8(result[option].as<std::string>()))
      bob::fail(bob::Exit::usage, std::string("--") + option + " is not UTF-8",
                "a profile is a Kubernetes object: its names are UTF-8 text");
  }

  bob::trace::TraceOptions trace_options;
  trace_options.argv = command;
  trace_options.timeout = std::chrono::seconds(timeout);
  trace_options.passthrough_stdio = true;
  trace_options.install_prefix = result["prefix"].as<std::string>();

  std::vector<std::string> fresh_dirs;
  if (result.count("fresh")) fresh_dirs = result["fresh"].as<std::vector<std::string>>();
  if (!fresh_dirs.empty() && runs < 2)
    bob::fail(bob::Exit::usage, "--fresh needs --runs 2 or more",
              "it restores the directories before the second and later runs");
  // Snapshots are taken before the first run and removed when bob returns or fails.
  bob::trace::FreshDirectories fresh(fresh_dirs);

  std::vector<bob::trace::Recording> recordings;
  int command_status = 0;
  int command_signal = 0;  // the signal behind command_status, 0 when the command exited
  for (int run = 1; run <= runs; ++run) {
    if (runs > 1) bob::log::info("record: run " + std::to_string(run) + " of " +
                                 std::to_string(runs));
    if (run > 1) fresh.restore();
    // Opens are folded into the recording while the command runs.
    auto recording = bob::trace::record_traced(trace_options);
    const auto& observation = recording.observation;
    for (const auto& note : observation.notes) bob::log::info("record: " + note);
    if (!bob::trace::complete(observation))
      bob::fail(bob::Exit::inconclusive,
                "the recording is incomplete: " + bob::trace::incompleteness_reason(observation),
                "no profile was written; see docs/tracing.md");
    if (observation.exit_status != 0 && command_status == 0) {
      command_status = observation.exit_status;
      command_signal = observation.killed_by_signal;
    }
    recordings.push_back(std::move(recording));
  }

  bob::trace::RecordOptions record_options;
  record_options.name = result["name"].as<std::string>();
  record_options.container = result["container"].as<std::string>();
  record_options.namespace_name = result["namespace"].as<std::string>();
  // The recordings are handed over: their events are released as the profile is built.
  const auto build_start = std::chrono::steady_clock::now();
  auto profile = std::make_shared<const bob::profile::Profile>(
      bob::trace::recordings_to_profile(std::move(recordings), record_options));
  bob::cli::keep_until_exit(profile);
  const auto write_start = std::chrono::steady_clock::now();
  rusage before_text{};
  getrusage(RUSAGE_SELF, &before_text);
  bob::log::debug("record: peak memory before writing the profile " +
                  std::to_string(before_text.ru_maxrss) + " KiB");
  // Written in pieces: the text of a large profile is never held whole (peak memory).
  const auto text_format =
      format == "json" ? bob::profile::Format::json : bob::profile::Format::yaml;
  bob::fs::write_file_atomic(result["output"].as<std::string>(),
                             [&](const bob::fs::PieceWriter& write) {
                               bob::profile::write(*profile, text_format, write);
                             });
  bob::log::debug("record: profile built in " + bob::log::milliseconds(write_start - build_start) +
                  ", written in " +
                  bob::log::milliseconds(std::chrono::steady_clock::now() - write_start));
  const auto& c = profile->containers.front();
  bob::log::info("record: " + std::to_string(c.execs.size()) + " execs, " +
                 std::to_string(c.opens.size()) + " opens, " +
                 std::to_string(c.syscalls.size()) + " syscalls, " +
                 std::to_string(c.capabilities.size()) + " capabilities, " +
                 std::to_string(c.endpoints.size()) + " endpoints");
  // bob's own high-water mark (not the command's): what bench/trace/bench.py reports.
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    bob::log::debug("record: peak memory " + std::to_string(usage.ru_maxrss) + " KiB (VmHWM)");
  if (command_status != 0)
    bob::log::warn("record: the command " +
                   (command_signal ? "was killed by signal " + std::to_string(command_signal)
                                   : "exited with status " + std::to_string(command_status)) +
                   "; the profile was written anyway and holds only what it did before it "
                   "stopped; bob exits with status " + std::to_string(command_status));
  return command_status;
}

}  // namespace

BOB_COMMAND("record", "Run a command under eBPF tracing and write its profile", run_record);
