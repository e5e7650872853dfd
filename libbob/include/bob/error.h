// Errors and exit codes shared by the library and the CLI.
//
// Library functions throw bob::Error for every failure a user can cause or meet (bad input,
// registry trouble, a signature that does not verify, a tracer that cannot load). The error
// carries the exit code the CLI returns, so the decision "what kind of failure is this" is made
// once, where the failure is understood, and not re-guessed at the top.
#pragma once

#include <stdexcept>
#include <string>

namespace bob {

// The one table of exit codes. README.md and docs/exit-codes.md list the same values.
enum class Exit : int {
  ok = 0,
  deviations = 1,    // verification found deviations, or diff found differences
  usage = 2,         // bad command line or bad input file
  registry = 3,      // registry or network failure
  trust = 4,         // signature or trust failure
  inconclusive = 5,  // tracing unavailable, events lost, or the result cannot be trusted
};

class Error : public std::runtime_error {
 public:
  Error(Exit code, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), code_(code), hint_(std::move(hint)) {}

  Exit code() const noexcept { return code_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  Exit code_;
  std::string hint_;
};

[[noreturn]] void fail(Exit code, std::string message, std::string hint = {});

inline int exit_status(Exit code) { return static_cast<int>(code); }

}  // namespace bob
