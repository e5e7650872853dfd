// bob verify: check an existing BoB without writing anything.
#include <iostream>

#include "bob/artifact.h"
#include "bob/log.h"
#include "command.h"

namespace {

int run_verify(int argc, char** argv) {
  cxxopts::Options options(argv[0],
                           "Verify a BoB: signature by a trusted key, subject, artifactType, "
                           "every layer (exit 4 on any failure)");
  options.positional_help("REF@DIGEST");
  options.add_options()
      ("key", "Trusted public key (PEM); repeatable", cxxopts::value<std::vector<std::string>>())
      ("subject", "Require the BoB to belong to this image digest",
       cxxopts::value<std::string>()->default_value(""))
      ("format", "Output: text or json", cxxopts::value<std::string>()->default_value("text"))
      ("bob", "", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"bob"});
  bob::cli::add_registry_options(options);
  bob::cli::add_common_options(options);
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  auto format = bob::cli::checked_format(result, {"text", "json"});
  if (!result.count("bob") || result["bob"].as<std::vector<std::string>>().size() != 1) {
    bob::fail(bob::Exit::usage, "name exactly one BoB", "bob verify REGISTRY/REPO@sha256:... --key PUB");
  }
  if (!result.count("key")) {
    bob::fail(bob::Exit::usage, "no trusted key given", "pass --key PUBLIC.pem (repeatable)");
  }
  bob::oci::Client client(bob::cli::registry_client_options(result, false));
  bob::artifact::VerifyRequest request;
  request.bob = result["bob"].as<std::vector<std::string>>()[0];
  request.key_paths = result["key"].as<std::vector<std::string>>();
  request.expected_subject = result["subject"].as<std::string>();
  auto verified = bob::artifact::verify(client, request);
  bob::log::debug(bob::artifact::stats_line(client.stats()));
  const auto& m = verified.manifest;
  if (format == "json") {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : m.layers) layers.push_back(l.to_json());
    std::cout << nlohmann::json{{"digest", m.digest},
                                {"subject", m.subject.digest},
                                {"variant", m.variant},
                                {"created", m.created},
                                {"signedBy", verified.signed_by},
                                {"layers", layers}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "verified BoB " << m.digest << "\n  subject: " << m.subject.digest
              << "\n  variant: " << m.variant << "\n  created: " << m.created
              << "\n  signed by key: " << verified.signed_by << "\n  layers: " << m.layers.size()
              << "\n";
  }
  return 0;
}

}  // namespace

BOB_COMMAND("verify", "Verify an existing BoB without writing anything", run_verify);
