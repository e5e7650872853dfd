// bob discover: the tree image -> BoBs -> signatures.
#include <iostream>

#include "bob/artifact.h"
#include "bob/log.h"
#include "command.h"

namespace {

int run_discover(int argc, char** argv) {
  cxxopts::Options options(argv[0], "Show the BoBs attached to an image and their signatures");
  options.positional_help("REF[@DIGEST]");
  options.add_options()
      ("format", "Output: text or json", cxxopts::value<std::string>()->default_value("text"))
      ("image", "", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"image"});
  bob::cli::add_registry_options(options);
  bob::cli::add_common_options(options);
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  auto format = bob::cli::checked_format(result, {"text", "json"});
  if (!result.count("image") || result["image"].as<std::vector<std::string>>().size() != 1) {
    bob::fail(bob::Exit::usage, "name exactly one image", "bob discover REGISTRY/REPO@sha256:...");
  }
  bob::oci::Client client(bob::cli::registry_client_options(result, false));
  auto tree = bob::artifact::discover(client, result["image"].as<std::vector<std::string>>()[0]);
  bob::log::debug(bob::artifact::stats_line(client.stats()));
  if (format == "json") {
    std::cout << tree.dump(2) << "\n";
  } else {
    std::cout << bob::artifact::discover_text(tree);
  }
  return 0;
}

}  // namespace

BOB_COMMAND("discover", "Show the tree image -> BoBs -> signatures", run_discover);
