// bob: the command-line entry point. It only dispatches; each command is a file in tools/.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>

#include "bob/artifact.h"
#include "bob/error.h"
#include "bob/log.h"
#include "bob/version.h"
#include "command.h"

namespace bob::cli {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

void add_common_options(cxxopts::Options& options) {
  options.add_options("common")
      ("h,help", "Show this help")
      ("v,verbose", "Print debug detail on stderr")
      ("q,quiet", "Print only errors and warnings");
}

void add_registry_options(cxxopts::Options& options) {
  options.add_options("registry")
      ("insecure-registry", "Allow plain HTTP to this registry host[:port] (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("tls-registry", "Always use https for this registry host[:port], even on loopback "
       "(repeatable)", cxxopts::value<std::vector<std::string>>())
      ("ca-file", "Extra PEM CA bundle for TLS", cxxopts::value<std::string>()->default_value(""));
}

oci::ClientOptions registry_client_options(const cxxopts::ParseResult& result,
                                           bool progress_on_tty) {
  auto options = artifact::client_options(insecure_registries(result),
                                          result["ca-file"].as<std::string>(), progress_on_tty);
  if (result.count("tls-registry")) {
    options.tls_registries = result["tls-registry"].as<std::vector<std::string>>();
  }
  return options;
}

std::vector<std::string> insecure_registries(const cxxopts::ParseResult& result) {
  if (!result.count("insecure-registry")) return {};
  return result["insecure-registry"].as<std::vector<std::string>>();
}

namespace {

// cxxopts says which value it could not parse ("Argument 'abc' failed to parse") but not for
// which option; this finds the option on the command line: `--name=VALUE`, `--name VALUE` or
// `-x VALUE`. "" when it cannot tell.
std::string option_given(int argc, char** argv, const std::string& value) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    std::size_t equals = arg.find('=');
    if (arg.substr(0, 2) == "--" && equals != std::string_view::npos &&
        arg.substr(equals + 1) == value)
      return std::string(arg.substr(0, equals));
    if (arg.size() > 1 && arg[0] == '-' && i + 1 < argc && value == argv[i + 1])
      return std::string(arg);
  }
  return "";
}

// cxxopts prints `(default: "")` after every option whose default is empty, which says nothing
// (and doubles the defaults that descriptions name themselves); this drops it, also where the
// help wrapped it over two lines.
std::string without_empty_defaults(std::string help) {
  const std::string marker = "(default:";
  for (std::size_t at = help.find(marker); at != std::string::npos; at = help.find(marker, at)) {
    std::size_t value = help.find_first_not_of(" \n", at + marker.size());
    if (value == std::string::npos || help.compare(value, 3, "\"\")") != 0) {
      at += marker.size();
      continue;
    }
    std::size_t start = at;
    while (start > 0 && help[start - 1] == ' ') --start;
    if (start > 0 && help[start - 1] == '\n') {  // wrapped onto a line of its own: join back
      --start;
      while (start > 0 && help[start - 1] == ' ') --start;
    }
    help.erase(start, value + 3 - start);
    at = start;
  }
  return help;
}

}  // namespace

cxxopts::ParseResult parse(cxxopts::Options& options, int argc, char** argv, bool& help_shown) {
  help_shown = false;
  try {
    auto result = options.parse(argc, argv);
    if (result.count("help")) {
      std::cout << without_empty_defaults(options.help()) << std::endl;
      help_shown = true;
    }
    if (result.count("verbose")) log::set_level(log::Level::verbose);
    if (result.count("quiet")) log::set_level(log::Level::quiet);
    return result;
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    // The message quotes the value between cxxopts' own quote marks.
    std::string message = e.what();
    std::size_t open = message.find(cxxopts::LQUOTE);
    std::size_t close = message.rfind(cxxopts::RQUOTE);
    std::string option;
    std::size_t start = open + cxxopts::LQUOTE.size();
    if (open != std::string::npos && close != std::string::npos && close >= start)
      option = option_given(argc, argv, message.substr(start, close - start));
    fail(Exit::usage, option.empty() ? message : option + ": " + message,
         "see `" + options.program() + " --help`");
  } catch (const cxxopts::exceptions::exception& e) {
    fail(Exit::usage, e.what(), "see `" + options.program() + " --help`");
  }
}

std::string checked_format(const cxxopts::ParseResult& result,
                           const std::vector<std::string>& allowed) {
  std::string format = result["format"].as<std::string>();
  if (std::find(allowed.begin(), allowed.end(), format) != allowed.end()) return format;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  fail(Exit::usage, "unknown --format '" + format + "'", "choose one of: " + list);
}

}  // namespace bob::cli

namespace {

void print_usage() {
  auto commands = bob::cli::registry();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::printf("bob %s: Bill of Behavior profiles for installers and workloads\n\n",
              bob::version());
  std::printf("usage: bob COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
  for (const auto& c : commands) std::printf("  %-16s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\nRun `bob COMMAND --help` for a command's options.\n"
              "Exit codes: 0 ok, 1 deviations or differences, 2 usage or input error,\n"
              "3 registry or network error, 4 signature or trust failure,\n"
              "5 tracing unavailable or inconclusive.\n");
}

int report(const bob::Error& e) {
  bob::log::error(e.what());
  if (!e.hint().empty()) bob::log::hint(e.hint());
  return bob::exit_status(e.code());
}

// Objects kept until the process ends (keep_until_exit); destroyed only where the normal exit
// runs (BOB_NORMAL_EXIT).
std::vector<std::shared_ptr<const void>>& kept_objects() {
  static auto* kept = new std::vector<std::shared_ptr<const void>>;
  return *kept;
}

// Builds whose tools do their work at a normal exit: LeakSanitizer checks for leaks from an exit
// handler, and gcov writes its counts from one. GCC says AddressSanitizer with
// __SANITIZE_ADDRESS__, clang before 21 only through __has_feature; meson.build defines
// BOB_NORMAL_EXIT for coverage builds.
#if defined(__SANITIZE_ADDRESS__)
#define BOB_NORMAL_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define BOB_NORMAL_EXIT 1
#endif
#endif

// Ends the process after a command. Output is flushed; destructors and the libraries' exit
// handlers are skipped (they only give memory back that the kernel takes back anyway: ~4 ms
// after a large `bob record`). Under the sanitizers and coverage the normal exit runs.
int finish(int status) {
#if defined(BOB_NORMAL_EXIT)
  kept_objects().clear();
  return status;
#else
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(status);
#endif
}

int run_command(int argc, char** argv);

}  // namespace

namespace bob::cli {

void keep_until_exit(std::shared_ptr<const void> object) {
  kept_objects().push_back(std::move(object));
}

}  // namespace bob::cli

int main(int argc, char** argv) { return finish(run_command(argc, argv)); }

namespace {

int run_command(int argc, char** argv) {
  if (argc < 2) {
    print_usage();
    return bob::exit_status(bob::Exit::usage);
  }
  std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    print_usage();
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::printf("bob %s\n", bob::version());
    return 0;
  }
  const auto& commands = bob::cli::registry();
  auto it = std::find_if(commands.begin(), commands.end(),
                         [&](const auto& c) { return c.name == name; });
  if (it == commands.end()) {
    bob::log::error("unknown command '" + name + "'");
    bob::log::hint("run `bob --help` for the list of commands");
    return bob::exit_status(bob::Exit::usage);
  }
  // The command sees its own name as argv[0], so its help reads `bob-CMD`-style usage lines.
  std::string program = "bob " + name;
  std::vector<char*> args;
  args.push_back(program.data());
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  try {
    return it->run(static_cast<int>(args.size()), args.data());
  } catch (const bob::Error& e) {
    return report(e);
  } catch (const std::bad_alloc&) {
    bob::log::error("out of memory");
    return bob::exit_status(bob::Exit::usage);
  } catch (const std::exception& e) {
    // Reaching this is a bug in bob: every expected failure is a bob::Error. Still exit cleanly.
    bob::log::error(std::string("internal error: ") + e.what());
    bob::log::hint("please report this together with the command line that caused it");
    return bob::exit_status(bob::Exit::usage);
  }
}

}  // namespace
