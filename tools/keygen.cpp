// bob keygen: make an ECDSA P-256 key pair for signing BoBs.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "bob/log.h"
#include "bob/sign.h"
#include "command.h"

namespace {

int run_keygen(int argc, char** argv) {
  cxxopts::Options options("bob keygen",
                           "Write an ECDSA P-256 key pair: PREFIX.key (private, PKCS#8, mode "
                           "0600) and PREFIX.pub (public).\nThe private key is encrypted when "
                           "a passphrase is given in the environment or typed at the prompt.");
  bob::cli::add_common_options(options);
  options.add_options()
      ("o,output", "File prefix for PREFIX.key and PREFIX.pub", cxxopts::value<std::string>()
          ->default_value("bob"))
      ("passphrase-env", "Read the passphrase from this environment variable (must be set); "
          "default: BOB_KEY_PASSPHRASE when set, else ask on a terminal",
          cxxopts::value<std::string>())
      ("no-passphrase", "Write an unencrypted private key without asking")
      ("force", "Replace existing key files")
      ("format", "Output format: text or json", cxxopts::value<std::string>()
          ->default_value("text"));
  bool help_shown = false;
  auto args = bob::cli::parse(options, argc, argv, help_shown);
  if (help_shown) return 0;
  const std::string format = bob::cli::checked_format(args, {"text", "json"});
  if (!args.unmatched().empty()) {
    bob::fail(bob::Exit::usage, "unexpected argument '" + args.unmatched().front() + "'",
              "see `bob keygen --help`");
  }
  if (args.count("passphrase-env") && args.count("no-passphrase")) {
    bob::fail(bob::Exit::usage, "--passphrase-env and --no-passphrase contradict each other");
  }

  const std::string prefix = args["output"].as<std::string>();
  if (!args.count("force")) {
    // Checked before asking for a passphrase, so nobody types one for nothing; write_key_pair
    // checks again when writing.
    for (const auto& path : {prefix + ".key", prefix + ".pub"}) {
      if (std::filesystem::exists(path)) {
        bob::fail(bob::Exit::usage, path + ": exists; refusing to replace a key",
                  "choose another -o PREFIX, or pass --force");
      }
    }
  }

  std::string passphrase;
  if (!args.count("no-passphrase")) {
    bob::sign::PassphraseSource source;
    bool explicit_env = args.count("passphrase-env") > 0;
    if (explicit_env) source.env_var = args["passphrase-env"].as<std::string>();
    passphrase = bob::sign::read_new_passphrase(source, explicit_env);
  }
  bob::log::debug(std::string("generating a P-256 key, private key ") +
                  (passphrase.empty() ? "unencrypted" : "encrypted (AES-256)"));
  bob::sign::KeyPair pair = bob::sign::generate_key_pair(passphrase);
  bob::sign::write_key_pair(prefix, pair, args.count("force") > 0);

  if (format == "json") {
    nlohmann::json out = {{"privateKey", prefix + ".key"},
                          {"publicKey", prefix + ".pub"},
                          {"keyId", pair.key_id},
                          {"encrypted", !passphrase.empty()}};
    std::cout << out.dump(2) << std::endl;
  } else {
    std::cout << "wrote " << prefix << ".key (private: keep it secret) and " << prefix
              << ".pub\nkey id " << pair.key_id << std::endl;
  }
  if (passphrase.empty()) {
    bob::log::warn("the private key is not encrypted; protect " + prefix + ".key");
  }
  return 0;
}

}  // namespace

BOB_COMMAND("keygen", "Create an ECDSA P-256 key pair for signing BoBs", run_keygen);
