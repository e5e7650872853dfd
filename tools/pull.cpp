// bob pull: find the BoB of an image, verify it fail-closed, and write its profiles byte-exact.
#include <iostream>

#include "bob/artifact.h"
#include "bob/log.h"
#include "command.h"

namespace {

int run_pull(int argc, char** argv) {
  cxxopts::Options options(argv[0],
                           "Verify and write the BoB attached to an image (exit 4 and write "
                           "nothing when any check fails)");
  options.positional_help("REF@DIGEST");
  options.add_options()
      ("key", "Trusted public key (PEM); repeatable", cxxopts::value<std::vector<std::string>>())
      ("variant", "Only BoBs of this variant: specific or generalized",
       cxxopts::value<std::string>()->default_value(""))
      ("all", "Pull every matching BoB, not only the newest")
      ("platform", "With an index, also look under this platform's manifest (os/arch[/variant])",
       cxxopts::value<std::string>()->default_value(""))
      ("o,output", "Output file or folder (default: standard output, for a single file)",
       cxxopts::value<std::string>()->default_value(""))
      ("allow-unsigned", "Accept BoBs without a valid signature (DANGEROUS; warns)")
      ("format", "Summary on stdout: text or json (none when writing to stdout)",
       cxxopts::value<std::string>()->default_value("text"))
      ("image", "", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"image"});
  bob::cli::add_registry_options(options);
  bob::cli::add_common_options(options);
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  auto format = bob::cli::checked_format(result, {"text", "json"});
  if (!result.count("image") || result["image"].as<std::vector<std::string>>().size() != 1) {
    bob::fail(bob::Exit::usage, "name exactly one image", "bob pull REGISTRY/REPO@sha256:...");
  }

  bob::artifact::PullRequest request;
  request.image = result["image"].as<std::vector<std::string>>()[0];
  if (result.count("key")) request.key_paths = result["key"].as<std::vector<std::string>>();
  auto variant = result["variant"].as<std::string>();
  if (!variant.empty()) request.variant = bob::artifact::parse_variant(variant);
  request.all = result.count("all") > 0;
  request.platform = result["platform"].as<std::string>();
  request.output = result["output"].as<std::string>();
  request.allow_unsigned = result.count("allow-unsigned") > 0;
  bob::oci::Client client(bob::cli::registry_client_options(result));
  auto pulled = bob::artifact::pull(client, request);
  bob::log::debug(bob::artifact::stats_line(client.stats()));

  const bool to_stdout = request.output.empty() || request.output == "-";
  nlohmann::json out = nlohmann::json::array();
  for (const auto& bob : pulled) {
    out.push_back({{"digest", bob.manifest.digest},
                   {"subject", bob.manifest.subject.digest},
                   {"variant", bob.manifest.variant},
                   {"created", bob.manifest.created},
                   {"signedBy", bob.signed_by.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(bob.signed_by)},
                   {"files", bob.written}});
    std::string line = "verified BoB " + bob.manifest.digest + " (" + bob.manifest.variant +
                       ", " + bob.manifest.created + ") for image " +
                       bob.manifest.subject.digest +
                       (bob.signed_by.empty() ? ", UNSIGNED" : ", signed by key " + bob.signed_by);
    if (to_stdout || format == "json") {
      bob::log::info(line);
    } else {
      std::cout << line << "\n";
      for (const auto& file : bob.written) std::cout << "  " << file << "\n";
    }
  }
  if (format == "json" && !to_stdout) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace

BOB_COMMAND("pull", "Verify and write the BoB of an image (fail-closed)", run_pull);
