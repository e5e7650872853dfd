// bob verify-install: run an installer under tracing and check it against its vendor's profile.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/profile.h"
#include "bob/validate.h"
#include "bob/verify.h"
#include "command.h"

namespace {

// What follows `bob verify-install` on its command line; --help and the hints both show it.
const std::string kSynopsis =
    "(--profile FILE | --image REF@DIGEST --key PUB) [OPTIONS] -- CMD [ARGS...]";
const std::string kUsage = "usage: bob verify-install " + kSynopsis;

// The profile holding the container to check: with several profiles in one file, the one that
// has a container of that name.
const bob::profile::Profile& pick_profile(const std::vector<bob::profile::Profile>& profiles,
                                          const std::string& container, const std::string& from) {
  if (profiles.empty()) bob::fail(bob::Exit::usage, from + " holds no profile");
  if (profiles.size() == 1) return profiles.front();
  if (container.empty()) {
    bob::fail(bob::Exit::usage,
              from + " holds " + std::to_string(profiles.size()) + " profiles",
              "name the container to verify with --container");
  }
  const bob::profile::Profile* found = nullptr;
  for (const auto& profile : profiles) {
    if (profile.find_container(container) == nullptr) continue;
    if (found != nullptr) {
      bob::fail(bob::Exit::usage,
                "container '" + container + "' is in more than one profile of " + from,
                "split the file so that one profile holds the container");
    }
    found = &profile;
  }
  if (found == nullptr) {
    bob::fail(bob::Exit::usage, "no profile in " + from + " has a container '" + container + "'");
  }
  return *found;
}

std::string annotation(const bob::profile::Profile& profile, const std::string& key) {
  const auto& metadata = profile.metadata;
  if (!metadata.contains("annotations") || !metadata["annotations"].is_object()) return {};
  const auto& annotations = metadata["annotations"];
  if (!annotations.contains(key) || !annotations[key].is_string()) return {};
  return annotations[key].get<std::string>();
}

// Checked before the installer runs: a report that cannot be written would lose the verdict
// after the whole install, and one written over the profile would destroy the vendor's file.
void check_report_destination(const std::string& path, const std::string& profile_path) {
  if (path.empty() || path == "-") return;
  try {
    bob::fs::check_output_path(path);
  } catch (const bob::Error& e) {
    bob::fail(bob::Exit::usage, std::string("--report ") + e.what(), e.hint());
  }
  struct stat report {};
  struct stat profile {};
  if (!profile_path.empty() && ::stat(path.c_str(), &report) == 0 &&
      ::stat(profile_path.c_str(), &profile) == 0 && report.st_dev == profile.st_dev &&
      report.st_ino == profile.st_ino)
    bob::fail(bob::Exit::usage, "--report " + path + " is the profile itself",
              "write the report to another file");
}

int run_verify_install(int argc, char** argv) {
  // Everything after `--` is the installer command, untouched by option parsing.
  int split = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      split = i;
      break;
    }
  }
  std::vector<std::string> command(argv + std::min(split + 1, argc), argv + argc);

  cxxopts::Options options("bob verify-install",
                           "Run CMD under eBPF tracing (as root) and check that it and its "
                           "descendants did nothing beyond the vendor's profile.\n"
                           "exit: 0 match, 1 deviations or a failing installer, "
                           "5 inconclusive (also when interrupted: the installer's tree is "
                           "killed first), 2 usage, 3 registry, 4 trust");
  options.custom_help(kSynopsis);
  bob::cli::add_common_options(options);
  options.add_options()
      ("profile", "the vendor's profile (YAML or JSON)",
       cxxopts::value<std::string>()->default_value(""))
      ("image", "pull the image's `specific` BoB (REF@DIGEST), verify it, and use it",
       cxxopts::value<std::string>()->default_value(""))
      ("key", "trusted public key (PEM) for --image; repeatable",
       cxxopts::value<std::vector<std::string>>())
      ("platform", "with --image and an index, also look under this platform's manifest",
       cxxopts::value<std::string>()->default_value(""))
      ("insecure-registry", "allow plain HTTP to this registry host[:port] (repeatable)",
       cxxopts::value<std::vector<std::string>>())
      ("tls-registry", "always use https for this registry host[:port], even on loopback "
       "(repeatable)", cxxopts::value<std::vector<std::string>>())
      ("ca-file", "extra PEM CA bundle for TLS", cxxopts::value<std::string>()->default_value(""))
      ("container", "the profile container to check against (default: the only one)",
       cxxopts::value<std::string>()->default_value(""))
      ("format", "report format: text, json, junit or sarif",
       cxxopts::value<std::string>()->default_value("text"))
      ("report", "write the report to FILE (atomically) instead of standard output",
       cxxopts::value<std::string>()->default_value(""))
      ("timeout", "seconds before the installer's whole process tree is killed (inconclusive)",
       cxxopts::value<int>()->default_value("0"))
      ("prefix", "the install prefix of this run, mapped onto the vendor's",
       cxxopts::value<std::string>()->default_value(""))
      ("require-complete", "fail when the run did not use every entry of the profile");
  bool help = false;
  auto result = bob::cli::parse(options, split, argv, help);
  if (help) return 0;
  if (!result.unmatched().empty()) {
    bob::fail(bob::Exit::usage, "unexpected argument '" + result.unmatched().front() + "'",
              "put the installer after `--`: " + kUsage);
  }
  std::string format = bob::cli::checked_format(result, {"text", "json", "junit", "sarif"});
  std::string profile_path = result["profile"].as<std::string>();
  std::string image = result["image"].as<std::string>();
  if (profile_path.empty() == image.empty()) {
    bob::fail(bob::Exit::usage, "give exactly one of --profile and --image", kUsage);
  }
  std::vector<std::string> keys;
  if (result.count("key")) keys = result["key"].as<std::vector<std::string>>();
  if (!image.empty() && keys.empty()) {
    bob::fail(bob::Exit::usage, "--image needs --key: the BoB's signature is always verified",
              kUsage);
  }
  if (command.empty()) bob::fail(bob::Exit::usage, "no installer command to run", kUsage);
  int timeout = result["timeout"].as<int>();
  if (timeout < 0) bob::fail(bob::Exit::usage, "--timeout must not be negative");
  std::string report_path = result["report"].as<std::string>();
  check_report_destination(report_path, profile_path);
  std::string container_name = result["container"].as<std::string>();

  std::vector<bob::profile::Profile> profiles;
  std::string source;
  if (!image.empty()) {
    bob::verify::ImageRequest request;
    request.image = image;
    request.key_paths = keys;
    request.platform = result["platform"].as<std::string>();
    if (result.count("insecure-registry")) {
      request.insecure_registries = result["insecure-registry"].as<std::vector<std::string>>();
    }
    if (result.count("tls-registry")) {
      request.tls_registries = result["tls-registry"].as<std::vector<std::string>>();
    }
    request.ca_file = result["ca-file"].as<std::string>();
    profiles = bob::verify::pull_profiles(request);
    source = image;
  } else {
    profiles = bob::profile::load_file_checked(profile_path);
    source = profile_path;
  }
  const auto& profile = pick_profile(profiles, container_name, source);
  const auto& container = bob::verify::select_container(profile, container_name);

  bob::verify::ReportInfo info;
  info.command = command;
  info.profile_source = source;
  info.profile_name = profile.name();
  info.container_name = container.name;
  info.profile_status = annotation(profile, "kubescape.io/status");
  info.profile_completion = annotation(profile, "kubescape.io/completion");

  bob::verify::RunRequest request;
  request.command = command;
  request.timeout_seconds = timeout;
  request.install_prefix = result["prefix"].as<std::string>();
  request.options.require_complete = result.count("require-complete") > 0;
  auto outcome = bob::verify::verify_install(profile, container, request);

  std::string rendered = bob::verify::render(outcome, info, format);
  // "-" is standard output, whose write errors fail the command too (a verdict nobody got).
  std::fflush(stdout);
  bob::fs::write_file_atomic(report_path.empty() ? "-" : report_path, rendered);
  if (bob::log::level() != bob::log::Level::quiet) {
    std::cerr << bob::log::redact(bob::verify::summary(outcome, info)) << std::flush;
  }
  return bob::exit_status(outcome.exit_code());
}

}  // namespace

BOB_COMMAND("verify-install", "Run an installer under tracing and check it against its profile",
            run_verify_install);
