// bob sign: sign an existing BoB (push a Sigstore bundle referrer of its manifest).
#include <iostream>

#include "bob/artifact.h"
#include "bob/log.h"
#include "command.h"

namespace {

int run_sign(int argc, char** argv) {
  cxxopts::Options options(argv[0], "Sign an existing BoB and print the signature's digest");
  options.positional_help("REF@DIGEST");
  options.add_options()
      ("key", "Private key (PEM, ECDSA P-256)", cxxopts::value<std::string>())
      ("bob", "", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"bob"});
  bob::cli::add_registry_options(options);
  bob::cli::add_common_options(options);
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  if (!result.count("bob") || result["bob"].as<std::vector<std::string>>().size() != 1) {
    bob::fail(bob::Exit::usage, "name exactly one BoB", "bob sign REGISTRY/REPO@sha256:... --key KEY");
  }
  if (!result.count("key")) bob::fail(bob::Exit::usage, "--key is required");
  bob::oci::Client client(bob::cli::registry_client_options(result, false));
  bob::artifact::SignRequest request;
  request.bob = result["bob"].as<std::vector<std::string>>()[0];
  request.key_path = result["key"].as<std::string>();
  auto digest = bob::artifact::sign_existing(client, request);
  bob::log::debug(bob::artifact::stats_line(client.stats()));
  std::cout << digest << "\n";
  return 0;
}

}  // namespace

BOB_COMMAND("sign", "Sign an existing BoB (Sigstore bundle referrer)", run_sign);
