// Fuzzes the exec-argument matchers: match::compare_exec_args (2026 CompareExecArgs, with ⋯ and
// ⋯⋯), match::match_exec_args (argsRequired) and match::exec_args_equal (2025 enforceArgs).
// Input: "PROFILE ARGS\nRUNTIME ARGS", each a tab-separated argv.
// Invariants: every argv matches itself under all three; an empty profile argv matches anything
// in CompareExecArgs; argsRequired=false matches anything; exact equality implies a match.
#include "bob/match.h"
#include "fuzz_common.h"

namespace {

std::string show(const std::vector<std::string>& argv) {
  std::string out = "[";
  for (const auto& a : argv) out += "'" + a + "' ";
  return out + "]";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bob::fuzz::quiet_logs();
  std::string_view text = bob::fuzz::as_text(data, size);
  auto newline = text.find('\n');
  auto profile = bob::fuzz::split(text.substr(0, newline), '\t');
  std::vector<std::string> runtime;
  if (newline != std::string_view::npos) runtime = bob::fuzz::split(text.substr(newline + 1), '\t');
  const std::string what = show(profile) + " vs " + show(runtime);

  const bool matched = bob::match::compare_exec_args(profile, runtime);
  (void)bob::match::match_exec_args(profile, true, runtime);
  const bool equal = bob::match::exec_args_equal(profile, runtime);
  BOB_FUZZ_CHECK(equal == (profile == runtime), what);
  if (equal) BOB_FUZZ_CHECK(matched, what);

  for (const auto* argv : {&profile, &runtime}) {
    BOB_FUZZ_CHECK(bob::match::compare_exec_args(*argv, *argv), show(*argv));
    BOB_FUZZ_CHECK(bob::match::match_exec_args(*argv, true, *argv), show(*argv));
    BOB_FUZZ_CHECK(bob::match::exec_args_equal(*argv, *argv), show(*argv));
    BOB_FUZZ_CHECK(bob::match::match_exec_args(*argv, false, runtime), show(*argv));
    BOB_FUZZ_CHECK(bob::match::compare_exec_args({}, *argv), show(*argv));
  }
  return 0;
}
