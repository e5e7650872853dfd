// Test helper: does OUT still allow every behaviour IN allows? Checked twice, by two independent
// routes over the same bob/match.h matchers:
//   1. generalize::lost_behaviour(IN, OUT), the library check (opens with flags, execs with args,
//      endpoints, syscalls, capabilities, peers);
//   2. a replay through verify-install's comparator (verify::compare): every exec, open (with its
//      flags), syscall and capability of each IN container becomes an event of a synthetic traced
//      run, which must raise no alert against OUT. As a control the same run must raise none
//      against IN itself, so a replay the comparator rejects cannot pass by accident.
// HTTP endpoints and network peers are covered by route 1 only (the comparator needs traced
// connections, which a profile does not describe one to one).
//
// usage: profile_covers IN OUT      exit 0: covered; 1: something lost (listed); 2: bad usage
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bob/generalize.h"
#include "bob/observation.h"
#include "bob/profile.h"
#include "bob/verify.h"

namespace p = bob::profile;
namespace t = bob::trace;

namespace {

// A traced run that does exactly what one profile container allows.
t::Observation replay(const p::Container& container) {
  t::Observation run;
  run.capabilities_traced = true;
  run.traced_kinds = {"exec", "open", "syscall", "capability", "network", "dns"};
  run.root = {1000, 1};
  t::Process root;
  root.key = run.root;
  root.comm = "replay";
  root.exe_path = "/replay";
  root.cwd = "/";
  run.processes[run.root] = root;
  for (const auto& exec : container.execs) {
    t::ExecEvent event;
    event.process = run.root;
    event.filename = exec.path;
    event.exe_path = exec.path;
    // An exec without args allows any argument list: replay one the profile never saw, so an
    // output that constrains the args is caught.
    event.args = exec.args.empty() ? std::vector<std::string>{exec.path, "--bob-replay-any-arg"}
                                   : exec.args;
    event.cmdline = event.args;
    run.execs.push_back(event);
  }
  for (const auto& open : container.opens) {
    t::OpenEvent event;
    event.process = run.root;
    event.path = open.path;
    event.fname = open.path;
    event.flags = open.flags;
    event.result = 3;
    event.syscall = "openat";
    run.opens.push_back(event);
  }
  run.syscalls.insert(container.syscalls.begin(), container.syscalls.end());
  for (const auto& capability : container.capabilities) {
    run.capabilities.push_back({run.root, capability});
  }
  return run;
}

// Alerts of the replayed `container` against the same-named container of `target`.
std::vector<std::string> replay_alerts(const p::Container& container, const p::Profile& target) {
  std::vector<std::string> out;
  const p::Container* match = target.find_container(container.name);
  if (match == nullptr) return {"container '" + container.name + "' is missing"};
  if (container.execs.empty()) return {};  // the comparator needs an exec to judge a run
  auto result = bob::verify::compare(replay(container), target, *match);
  for (const auto& alert : result.alerts) {
    out.push_back(container.name + ": " + alert.rule_id + " " + alert.message);
  }
  for (const auto& alert : result.tolerated) {
    out.push_back(container.name + ": tolerated " + alert.rule_id + " " + alert.message);
  }
  for (const auto& reason : result.inconclusive) out.push_back(container.name + ": " + reason);
  return out;
}

int report(const char* what, const std::vector<std::string>& problems) {
  for (const auto& problem : problems) std::fprintf(stderr, "%s: %s\n", what, problem.c_str());
  return problems.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: profile_covers IN OUT\n");
    return 2;
  }
  std::vector<p::Profile> inputs;
  std::vector<p::Profile> outputs;
  try {
    inputs = p::load_file(argv[1]);
    outputs = p::load_file(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "profile_covers: %s\n", e.what());
    return 2;
  }
  if (inputs.size() != 1 || outputs.size() != 1) {
    std::fprintf(stderr, "profile_covers: IN and OUT must hold one profile each\n");
    return 2;
  }
  const p::Profile& in = inputs.front();
  const p::Profile& out = outputs.front();
  int failures = report("lost_behaviour", bob::generalize::lost_behaviour(in, out));
  std::size_t events = 0;
  for (const auto& container : in.containers) {
    failures |= report("replay against IN (control)", replay_alerts(container, in));
    failures |= report("replay against OUT", replay_alerts(container, out));
    events += container.execs.size() + container.opens.size() + container.syscalls.size() +
              container.capabilities.size();
  }
  if (failures != 0) return 1;
  std::printf("covered: %zu exec/open/syscall/capability events of %zu containers replayed\n",
              events, in.containers.size());
  return 0;
}
