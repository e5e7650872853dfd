// bob push: attach profiles to an image as a BoB (an OCI referrer), optionally signed.
#include <cstring>
#include <iostream>

#include "bob/artifact.h"
#include "bob/log.h"
#include "command.h"

namespace {

// --annotation values may contain commas, which cxxopts would split; take them out of argv first.
std::vector<std::string> take_annotations(int& argc, char** argv) {
  std::vector<std::string> values;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--annotation" && i + 1 < argc) {
      values.push_back(argv[++i]);
    } else if (arg.rfind("--annotation=", 0) == 0) {
      values.push_back(arg.substr(std::strlen("--annotation=")));
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return values;
}

int run_push(int argc, char** argv) {
  auto annotations = take_annotations(argc, argv);
  cxxopts::Options options(argv[0], "Attach profiles to an image as a BoB and print its digest");
  options.positional_help("PROFILE...|DIR");
  options.add_options()
      ("subject", "Image the BoB belongs to: REF@sha256:... (a :TAG is resolved to its digest)",
       cxxopts::value<std::string>())
      ("platform", "With an index subject, attach to this platform's manifest (os/arch[/variant])",
       cxxopts::value<std::string>()->default_value(""))
      ("key", "Sign with this private key (PEM, ECDSA P-256)",
       cxxopts::value<std::string>()->default_value(""))
      ("variant", "specific (installer verification) or generalized (runtime detection)",
       cxxopts::value<std::string>()->default_value("specific"))
      ("annotation", "Extra manifest annotation KEY=VALUE (repeatable)",
       cxxopts::value<std::string>())
      ("format", "Output: text or json", cxxopts::value<std::string>()->default_value("text"))
      ("inputs", "Profile files, or one folder", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"inputs"});
  bob::cli::add_registry_options(options);
  bob::cli::add_common_options(options);
  bool help = false;
  auto result = bob::cli::parse(options, argc, argv, help);
  if (help) return 0;
  auto format = bob::cli::checked_format(result, {"text", "json"});
  if (!result.count("subject")) {
    bob::fail(bob::Exit::usage, "--subject is required", "name the image: --subject REF@DIGEST");
  }
  if (!result.count("inputs")) {
    bob::fail(bob::Exit::usage, "no profile given", "name profile files or one folder");
  }

  bob::artifact::PushRequest request;
  request.subject = result["subject"].as<std::string>();
  request.platform = result["platform"].as<std::string>();
  request.inputs = result["inputs"].as<std::vector<std::string>>();
  request.key_path = result["key"].as<std::string>();
  request.pack.variant = bob::artifact::parse_variant(result["variant"].as<std::string>());
  request.pack.annotations = annotations;
  bob::oci::Client client(bob::cli::registry_client_options(result));
  auto pushed = bob::artifact::push(client, request);
  bob::log::debug(bob::artifact::stats_line(client.stats()));

  auto reference = pushed.repository.with_digest(pushed.manifest_digest).str();
  if (format == "json") {
    nlohmann::json out = {{"digest", pushed.manifest_digest},
                          {"reference", reference},
                          {"subject", pushed.subject_digest},
                          {"signature", pushed.signature_digest.empty()
                                            ? nlohmann::json(nullptr)
                                            : nlohmann::json(pushed.signature_digest)}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << pushed.manifest_digest << "\n";
  }
  bob::log::info("pushed BoB " + reference + " for image " + pushed.subject_digest +
                 (pushed.signature_digest.empty() ? " (unsigned)"
                                                  : ", signed: " + pushed.signature_digest));
  return 0;
}

}  // namespace

BOB_COMMAND("push", "Attach profiles to an image as a BoB (OCI referrer), optionally signed",
            run_push);
