// Prerequisites of tests that need real parts (BPF, a registry, npm, root).
//
// Outside CI a missing prerequisite skips the test with exit code 77, which meson counts as
// SKIP. In CI (CI=true) the same situation is a failure: there a skip would hide a broken
// install step.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bob::test {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

// Call before doctest runs. Exits the process when `available` is false.
inline void require(bool available, const std::string& what) {
  if (available) return;
  if (in_ci()) {
    std::fprintf(stderr, "FAIL: %s is missing, and CI=true forbids skipping\n", what.c_str());
    std::exit(1);
  }
  std::fprintf(stderr, "SKIP: %s is missing\n", what.c_str());
  std::exit(77);
}

}  // namespace bob::test
