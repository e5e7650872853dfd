// Fuzzes the profile loader on JSON input. bob reads JSON with its own position-keeping scanner
// (for located errors), so besides the checks of fuzz_profile.h this target compares it with
// nlohmann's parser: when both accept one profile object, both give the same profile.
#include "fuzz_profile.h"

namespace {

void check_against_nlohmann(const std::string& text) {
  auto reference = bob::profile::Json::parse(text, nullptr, false);
  if (reference.is_discarded() || !reference.is_object()) return;
  auto kind = reference.find("kind");
  if (kind == reference.end() || !kind->is_string()) return;
  if (kind->get<std::string>().find("List") != std::string::npos) return;
  std::vector<bob::profile::Profile> ours;
  bob::profile::Profile theirs;
  try {
    ours = bob::profile::load_string(text, "fuzz.json");
    theirs = bob::profile::from_json(reference, "fuzz.json");
  } catch (const bob::Error&) {
    return;  // refusals are compared by validate in check_profile_text
  }
  BOB_FUZZ_CHECK(ours.size() == 1, text);
  BOB_FUZZ_CHECK(bob::profile::to_json(ours[0]) == bob::profile::to_json(theirs),
                 bob::profile::to_json(ours[0]).dump() + "\nvs\n" +
                     bob::profile::to_json(theirs).dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(bob::fuzz::as_text(data, size));
  bob::fuzz::check_profile_text(text, "fuzz.json");
  check_against_nlohmann(text);
  return 0;
}
