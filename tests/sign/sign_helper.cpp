// A small driver over the sign module for the shell tests, so they can sign and verify bundles
// without a registry:
//   sign_helper [-v] sign KEY MANIFEST_DIGEST [IMAGE_DIGEST VARIANT]   bundle JSON on stdout
//   sign_helper [-v] verify BUNDLE_FILE MANIFEST_DIGEST PUB...         key id on stdout
//   sign_helper [-v] keyid PUB                                         key id on stdout
// Exit codes follow bob::Exit, like the bob CLI.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/sign.h"

namespace {

int run(std::vector<std::string> args) {
  if (!args.empty() && args[0] == "-v") {
    bob::log::set_level(bob::log::Level::verbose);
    args.erase(args.begin());
  }
  if (args.size() >= 3 && args[0] == "sign") {
    auto key = bob::sign::PrivateKey::load(args[1]);
    bob::sign::SignRequest request;
    request.manifest_digest = args[2];
    request.subject_name = "localhost/bob/test";
    if (args.size() >= 5) {
      request.image_digest = args[3];
      request.variant = args[4];
    }
    std::cout << bob::sign::sign_bundle(key, request);
    return 0;
  }
  if (args.size() >= 4 && args[0] == "verify") {
    std::string bundle = bob::fs::read_file(args[1], 4u << 20);
    std::vector<std::string> key_paths(args.begin() + 3, args.end());
    auto result = bob::sign::verify_bundle(bundle, args[2],
                                           bob::sign::load_trusted_keys(key_paths));
    std::cout << result.key_id << "\n";
    return 0;
  }
  if (args.size() == 2 && args[0] == "keyid") {
    std::cout << bob::sign::PublicKey::load(args[1]).key_id() << "\n";
    return 0;
  }
  std::cerr << "usage: sign_helper [-v] sign KEY DIGEST [IMAGE VARIANT] | verify BUNDLE DIGEST "
               "PUB... | keyid PUB\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const bob::Error& e) {
    bob::log::error(e.what());
    if (!e.hint().empty()) bob::log::hint(e.hint());
    return bob::exit_status(e.code());
  }
}
