// pull_profiles for a bob built without the BoB artifact code: --image cannot be used.
#include "bob/verify.h"

namespace bob::verify {

std::vector<profile::Profile> pull_profiles(const ImageRequest& request) {
  fail(Exit::registry, "cannot pull the BoB of " + request.image +
                           ": this bob was built without OCI artifact support",
       "pull it with another bob and pass --profile FILE");
}

}  // namespace bob::verify
