// --image: the image's `specific` BoB, pulled and verified by the artifact code before any
// installer runs. Any failed check throws (trust or registry) and nothing is returned.
#include <filesystem>

#include "bob/artifact.h"
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/validate.h"
#include "bob/verify.h"

namespace bob::verify {

std::vector<profile::Profile> pull_profiles(const ImageRequest& request) {
  if (request.key_paths.empty()) {
    fail(Exit::usage, "--image needs --key: the BoB's signature is always verified");
  }
  fs::TempDir staging("bob-verify-image");
  artifact::PullRequest pull;
  pull.image = request.image;
  pull.platform = request.platform;
  pull.key_paths = request.key_paths;
  pull.variant = artifact::Variant::specific;
  pull.all = false;
  pull.allow_unsigned = false;  // verify-install never trusts an unsigned profile
  pull.output = (staging.path() / "bob").string() + "/";
  auto options = artifact::client_options(request.insecure_registries, request.ca_file);
  options.tls_registries = request.tls_registries;
  oci::Client client(options);
  auto pulled = artifact::pull(client, pull);

  std::vector<profile::Profile> profiles;
  for (const auto& bob : pulled) {
    log::info("verify-install: using BoB " + bob.manifest.digest + " (" + bob.manifest.variant +
              ") of " + bob.manifest.subject.digest + ", signed by key " + bob.signed_by);
    for (const auto& file : bob.written) {
      auto extension = std::filesystem::path(file).extension().string();
      if (extension != ".yaml" && extension != ".yml" && extension != ".json") continue;
      for (auto& profile : profile::load_file_checked(file)) profiles.push_back(std::move(profile));
    }
  }
  if (profiles.empty()) {
    fail(Exit::trust, "the BoB of " + request.image + " holds no profile");
  }
  return profiles;
}

}  // namespace bob::verify
