// Exec matching: argv per CompareExecArgs / MatchExecArgs (profile-format.md §7.3), exec paths
// (§8.2) and the R0002 open-flags subset test (§8.1).
#include <algorithm>
#include <cstdint>

#include "segments.h"

namespace bob::match {
namespace {

// A token that contains `⋯` but is not a bare `⋯`/`⋯⋯`: split on '/', equal segment counts, a
// `⋯` segment matches any one segment, every other segment (including `*`) is literal.
bool token_matches_segmentwise(std::string_view token, std::string_view arg) {
  detail::Segments token_parts;
  detail::Segments arg_parts;
  detail::split_into(token, '/', token_parts);
  detail::split_into(arg, '/', arg_parts);
  return detail::match_segments_2025(token_parts, arg_parts);
}

bool arg_matches(std::string_view token, std::string_view arg) {
  if (token == kDynamic) return true;
  if (token.find(kDynamic) != std::string_view::npos) return token_matches_segmentwise(token, arg);
  return token == arg;
}

// Anchored match with `⋯⋯` absorbing any run of args. Answers are memoised per (profile index,
// runtime index), so a profile with many `⋯⋯` stays polynomial.
class ArgvMatcher {
 public:
  ArgvMatcher(const std::vector<std::string>& profile, const std::vector<std::string>& runtime)
      : profile_(profile), runtime_(runtime),
        memo_((profile.size() + 1) * (runtime.size() + 1), kUnknown) {}

  bool matches(std::size_t pi, std::size_t ri) {
    if (pi == profile_.size()) return ri == runtime_.size();
    std::uint8_t& cached = memo_[pi * (runtime_.size() + 1) + ri];
    if (cached != kUnknown) return cached == kYes;
    bool ok = false;
    if (profile_[pi] == kDynamicArgs) {
      ok = matches(pi + 1, ri) || (ri < runtime_.size() && matches(pi, ri + 1));
    } else if (ri < runtime_.size() && arg_matches(profile_[pi], runtime_[ri])) {
      ok = matches(pi + 1, ri + 1);
    }
    cached = ok ? kYes : kNo;
    return ok;
  }

 private:
  static constexpr std::uint8_t kUnknown = 0, kNo = 1, kYes = 2;
  const std::vector<std::string>& profile_;
  const std::vector<std::string>& runtime_;
  std::vector<std::uint8_t> memo_;
};

}  // namespace

bool compare_exec_args(const std::vector<std::string>& profile_args,
                       const std::vector<std::string>& runtime_args) {
  if (profile_args.empty()) return true;
  ArgvMatcher matcher(profile_args, runtime_args);
  return matcher.matches(0, 0);
}

bool match_exec_args(const std::vector<std::string>& profile_args, bool args_required,
                     const std::vector<std::string>& runtime_args) {
  if (!args_required) return true;
  if (profile_args.empty()) return runtime_args.empty();
  return compare_exec_args(profile_args, runtime_args);
}

bool exec_args_equal(const std::vector<std::string>& profile_args,
                     const std::vector<std::string>& runtime_args) {
  return profile_args == runtime_args;
}

bool match_exec_path(std::string_view profile_path, std::string_view exec_path,
                     Semantics semantics) {
  if (profile_path.empty() || exec_path.empty()) return false;
  if (profile_path == exec_path) return true;
  if (semantics == Semantics::v2025) return false;
  return is_path_pattern(profile_path, semantics) &&
         compare_dynamic(profile_path, exec_path, semantics);
}

bool flags_subset(const std::vector<std::string>& event_flags,
                  const std::vector<std::string>& entry_flags) {
  return std::all_of(event_flags.begin(), event_flags.end(), [&](const std::string& flag) {
    return std::find(entry_flags.begin(), entry_flags.end(), flag) != entry_flags.end();
  });
}

}  // namespace bob::match
