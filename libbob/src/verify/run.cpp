// Running the installer under the tracer, then comparing. A tracer that cannot start or dies is
// an inconclusive result, never a pass.
#include "bob/log.h"
#include "bob/trace.h"
#include "bob/verify.h"

namespace bob::verify {

Result verify_install(const profile::Profile& profile, const profile::Container& container,
                      const RunRequest& request) {
  if (request.command.empty()) {
    fail(Exit::usage, "no installer command to run", "give it after --, e.g. -- npm install");
  }
  // Read the vendor roots first: a malformed annotation is an input error, found before running.
  (void)vendor_roots(profile);

  trace::TraceOptions options;
  options.argv = request.command;
  options.timeout = std::chrono::seconds(request.timeout_seconds);
  options.passthrough_stdio = true;
  options.install_prefix = request.install_prefix;

  trace::Observation observation;
  try {
    observation = trace::run_traced(options);
  } catch (const Error& error) {
    if (error.code() != Exit::inconclusive) throw;
    Result result;
    result.require_complete = request.options.require_complete;
    result.inconclusive.push_back(std::string("tracing failed: ") + error.what());
    if (!error.hint().empty()) result.notes.push_back(error.hint());
    return result;
  }
  log::debug("traced " + std::to_string(observation.execs.size()) + " execs, " +
             std::to_string(observation.opens.size()) + " opens, " +
             std::to_string(observation.syscalls.size()) + " syscalls");
  Result result = compare(observation, profile, container, request.options);
  if (observation.timed_out) {
    result.notes.push_back("the process tree was killed after " +
                           std::to_string(request.timeout_seconds) + " s (--timeout)");
  }
  return result;
}

}  // namespace bob::verify
