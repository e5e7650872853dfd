// verify_install for a bob built without the tracer module: every run is inconclusive, so a
// build that cannot trace can never report a pass.
#include "bob/verify.h"

namespace bob::verify {

Result verify_install(const profile::Profile& profile, const profile::Container&,
                      const RunRequest& request) {
  if (request.command.empty()) {
    fail(Exit::usage, "no installer command to run", "give it after --, e.g. -- npm install");
  }
  (void)vendor_roots(profile);
  Result result;
  result.require_complete = request.options.require_complete;
  result.inconclusive.push_back("this bob was built without the eBPF tracer, so nothing was run");
  return result;
}

}  // namespace bob::verify
