// Builds trace::Observation values by hand, the way the tracer would fill them, for comparator
// and report tests that run without BPF.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bob/observation.h"

namespace bob::test {

class ObservationBuilder {
 public:
  using Key = trace::ProcessKey;

  ObservationBuilder() {
    observation_.capabilities_traced = true;
    observation_.kernel_release = "6.18.0-test";
  }

  // Marks every event kind as traced, as a complete tracer run does.
  void all_kinds_traced() {
    observation_.traced_kinds = {"exec", "open", "syscall", "capability", "network", "dns"};
  }

  Key root(const std::string& comm, const std::string& exe,
           const std::vector<std::string>& args, int pid = 1000) {
    all_kinds_traced();
    Key key{pid, 1};
    observation_.root = key;
    add_process(key, Key{}, comm, exe, args);
    return key;
  }

  Key child(const Key& parent, const std::string& comm, const std::string& exe,
            const std::vector<std::string>& args) {
    Key key{next_pid_++, 1};
    add_process(key, parent, comm, exe, args);
    return key;
  }

  // A process that is not part of the traced tree but is known as the installer's parent.
  void parent_of_root(const std::string& comm, int pid) {
    Key key{pid, 0};
    trace::Process process;
    process.key = key;
    process.comm = comm;
    observation_.processes[key] = process;
    observation_.processes[observation_.root].parent = key;
  }

  void open(const Key& process, const std::string& path, const std::vector<std::string>& flags,
            int result = 3) {
    trace::OpenEvent event;
    event.process = process;
    event.path = path;
    event.fname = path;
    event.flags = flags;
    event.result = result;
    event.syscall = "openat";
    observation_.opens.push_back(event);
  }

  void syscalls(const std::vector<std::string>& names) {
    observation_.syscalls.insert(names.begin(), names.end());
  }
  void capability(const Key& process, const std::string& name) {
    observation_.capabilities.push_back({process, name});
  }
  void dns(const Key& process, const std::string& name) {
    observation_.dns.push_back({process, name});
  }
  void connect(const Key& process, const std::string& address, int port,
               const std::string& protocol) {
    observation_.network.push_back({process, "outbound", protocol, address, port});
  }
  void accept(const Key& process, const std::string& address, int port,
              const std::string& protocol) {
    observation_.network.push_back({process, "inbound", protocol, address, port});
  }
  void roots(const std::map<std::string, std::string>& roots) { observation_.roots = roots; }

  Key root_key() const { return observation_.root; }
  trace::Observation& observation() { return observation_; }
  const trace::Observation& observation() const { return observation_; }

 private:
  void add_process(const Key& key, const Key& parent, const std::string& comm,
                   const std::string& exe, const std::vector<std::string>& args) {
    trace::Process process;
    process.key = key;
    process.parent = parent;
    process.comm = comm;
    process.exe_path = exe;
    process.args = args;
    process.cwd = "/";
    observation_.processes[key] = process;
    trace::ExecEvent exec;
    exec.process = key;
    exec.filename = args.empty() ? exe : args.front();
    exec.exe_path = exe;
    exec.args = args;
    exec.cmdline = args;
    observation_.execs.push_back(exec);
  }

  trace::Observation observation_;
  int next_pid_ = 2000;
};

}  // namespace bob::test
