// The checks shared by the profile loader targets (fuzz_profile_yaml.cpp, fuzz_profile_json.cpp).
//
// Invariants: validate_string never throws; a text without validation errors loads; every loaded
// profile serialises (YAML and JSON) to text that loads back to the same serialisation; and
// canonicalize is idempotent.
#pragma once

#include "bob/profile.h"
#include "bob/validate.h"
#include "fuzz_common.h"

namespace bob::fuzz {

inline void check_round_trip(const profile::Profile& p, profile::Format format) {
  const std::string text = profile::to_string(p, format);
  std::vector<profile::Profile> again;
  try {
    again = profile::load_string(text, "round-trip");
  } catch (const Error& e) {
    invariant_failed("a serialised profile loads", __FILE__, __LINE__, text + "\n" + e.what());
  }
  BOB_FUZZ_CHECK(again.size() == 1, text);
  BOB_FUZZ_CHECK(profile::to_string(again[0], format) == text,
                 text + "\nvs\n" + profile::to_string(again[0], format));
}

inline void check_profile_text(const std::string& text, const char* source) {
  quiet_logs();
  std::vector<profile::Problem> problems;
  try {
    problems = profile::validate_string(text, source);
  } catch (const std::exception& e) {
    invariant_failed("validate_string never throws", __FILE__, __LINE__, e.what());
  }
  bool has_error = false;
  for (const auto& problem : problems) {
    if (problem.severity == profile::Severity::error) has_error = true;
  }

  std::vector<profile::Profile> profiles;
  try {
    profiles = profile::load_string(text, source);
  } catch (const Error& e) {
    BOB_FUZZ_CHECK(has_error, std::string("validate found no error, load failed: ") + e.what());
    return;
  }
  for (auto& p : profiles) {
    check_round_trip(p, profile::Format::yaml);
    check_round_trip(p, profile::Format::json);
    profile::canonicalize(p);
    const std::string once = profile::to_string(p, profile::Format::json);
    profile::canonicalize(p);
    BOB_FUZZ_CHECK(profile::to_string(p, profile::Format::json) == once, once);
  }
}

}  // namespace bob::fuzz
