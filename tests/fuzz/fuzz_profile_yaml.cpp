// Fuzzes the profile loader on YAML input (bob::profile::load_string, validate_string): yaml-cpp
// underneath, plus bob's own bounds (depth, node count, alias expansion, keys per mapping,
// UTF-8). Checks: fuzz_profile.h.
#include "fuzz_profile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bob::fuzz::check_profile_text(std::string(bob::fuzz::as_text(data, size)), "fuzz.yaml");
  return 0;
}
