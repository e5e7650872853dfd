// The bob command registry and the conventions every command shares.
//
// Each command lives in its own file in tools/ and registers itself with BOB_COMMAND, so adding a
// command never touches main.cpp. A command's run function parses its own options (with the
// helpers below), calls into libbob and returns an exit code; failures are thrown as bob::Error
// and turned into one line on stderr plus a hint by main.
#pragma once

#include <cxxopts.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bob/error.h"
#include "bob/oci.h"

namespace bob::cli {

using RunFunction = int (*)(int argc, char** argv);

struct Command {
  std::string name;
  std::string summary;
  RunFunction run;
};

std::vector<Command>& registry();

struct Registrar {
  Registrar(const char* name, const char* summary, RunFunction run) {
    registry().push_back({name, summary, run});
  }
};

// Adds -h/--help, -v/--verbose and -q/--quiet to a command's options.
void add_common_options(cxxopts::Options& options);

// Adds --insecure-registry, --tls-registry (both repeatable) and --ca-file, shared by every
// command that talks to a registry; insecure_registries() reads the first back (empty when not
// given).
void add_registry_options(cxxopts::Options& options);
std::vector<std::string> insecure_registries(const cxxopts::ParseResult& result);
// Client options from those flags (--insecure-registry, --tls-registry, --ca-file); with
// progress_on_tty, large blobs show progress on stderr when it is a terminal.
oci::ClientOptions registry_client_options(const cxxopts::ParseResult& result,
                                           bool progress_on_tty = true);

// Parses argv. Prints help and returns nullopt-like false through `help_shown` on --help; turns
// option errors into Error(usage) with a hint naming `bob CMD --help`; applies -v/-q.
cxxopts::ParseResult parse(cxxopts::Options& options, int argc, char** argv, bool& help_shown);

// Keeps `object` until the process ends without ever destroying it: main() leaves through
// _Exit() (see main.cpp), and a recorded profile is tens of thousands of allocations that took
// ~4 ms to free one by one after the work was done. Under the sanitizers (and in coverage
// builds) main() returns normally and everything kept is freed then, so leak checking still
// sees a clean exit.
void keep_until_exit(std::shared_ptr<const void> object);

// Checks that --format is one of `allowed`; returns it.
std::string checked_format(const cxxopts::ParseResult& result,
                           const std::vector<std::string>& allowed);

}  // namespace bob::cli

#define BOB_CMD_CONCAT_INNER(a, b) a##b
#define BOB_CMD_CONCAT(a, b) BOB_CMD_CONCAT_INNER(a, b)
#define BOB_COMMAND(name, summary, function) \
  static ::bob::cli::Registrar BOB_CMD_CONCAT(bob_command_, __LINE__)(name, summary, function)
