// Shared by the libFuzzer targets: input splitting and invariant checks.
//
// A target calls the real library entry point. bob::Error is the documented way to refuse bad
// input, so targets catch it and nothing else: any other exception escapes, terminates the
// process and libFuzzer records the input as a crash. A broken invariant aborts the same way.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bob/error.h"
#include "bob/log.h"

namespace bob::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits on `separator`; n separators give n + 1 parts (empty parts kept).
inline std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line,
                                          const std::string& detail) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n  %s\n", file, line, what, detail.c_str());
  std::abort();
}

// The library logs warnings for input it skips; at fuzzing speed that is only noise.
inline void quiet_logs() {
  static const bool once = [] {
    log::set_level(log::Level::quiet);
    return true;
  }();
  (void)once;
}

}  // namespace bob::fuzz

#define BOB_FUZZ_CHECK(condition, detail)                                              \
  do {                                                                                 \
    if (!(condition)) ::bob::fuzz::invariant_failed(#condition, __FILE__, __LINE__, (detail)); \
  } while (0)
