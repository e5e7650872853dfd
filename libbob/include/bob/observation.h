// What a traced run showed: the data the tracer produces and verification consumes.
//
// It is kept separate from the tracer so that the comparator, the report writers and their tests
// can work on observations without loading BPF.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace bob::trace {

// A process of the traced tree, keyed by pid and start time (pids are reused).
struct ProcessKey {
  int pid = 0;
  std::uint64_t start_time_ns = 0;
  auto operator<=>(const ProcessKey&) const = default;
};

struct Process {
  ProcessKey key;
  ProcessKey parent;
  std::string comm;
  std::string exe_path;            // resolved by the kernel (symlinks followed)
  std::vector<std::string> args;   // argv as captured (see ExecEvent for limits)
  std::string cwd;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

struct ExecEvent {
  ProcessKey process;
  std::string filename;            // the path given to execve, as given
  std::string exe_path;            // the executable the kernel ran (interpreter for a script)
  std::vector<std::string> args;   // argv[0] first
  bool args_truncated = false;     // more than the captured count or length
  // Added by the tracer (additive): `args` follows IG v0.48.1 (args[0] is `filename`, then the
  // caller's argv[1..19], each at most 255 characters); `cmdline` is the new image's argv as
  // /proc/<pid>/cmdline shows it (IG HEAD semantics: argv[0], a script's interpreter first).
  std::vector<std::string> cmdline;
  std::string cwd;                 // the process's working directory at exec
};

struct OpenEvent {
  ProcessKey process;
  std::string path;                // absolute; /proc/<pid>/ already written as /proc/⋯/
  std::vector<std::string> flags;  // O_* names
  int result = 0;                  // the fd, or -errno for a failed open
  std::string syscall;             // open, openat, openat2 or creat
  // Added by the tracer (additive):
  std::string fname;               // the path argument as given (may be relative)
  bool visible_to_node_agent = true;  // false for openat2 and creat, which node-agent does not trace
};

struct NetworkEvent {
  ProcessKey process;
  std::string direction;           // "outbound" (connect) or "inbound" (accept)
  std::string protocol;            // TCP or UDP
  std::string address;             // textual IPv4 or IPv6
  int port = 0;
};

struct DnsEvent {
  ProcessKey process;
  std::string name;                // fully qualified, with the trailing dot
};

struct CapabilityEvent {
  ProcessKey process;
  std::string capability;          // without the CAP_ prefix
};

struct Observation {
  std::map<ProcessKey, Process> processes;
  std::vector<ExecEvent> execs;
  std::vector<OpenEvent> opens;
  std::vector<NetworkEvent> network;
  std::vector<DnsEvent> dns;
  std::vector<CapabilityEvent> capabilities;
  std::set<std::string> syscalls;

  ProcessKey root;                 // the traced command
  int exit_status = 0;             // of the root command, as a shell reports it
  int killed_by_signal = 0;        // the signal that ended the root command, 0 if it exited
  std::uint64_t lost_events = 0;   // counted in the kernel; any loss makes a run inconclusive
  std::uint64_t failed_execs = 0;
  bool capabilities_traced = false;
  std::string kernel_release;
  std::vector<std::string> notes;  // e.g. an optional program the kernel refused

  // Added by the tracer (additive):
  bool timed_out = false;                 // the command was killed at the timeout
  // bob itself got this signal (SIGINT, SIGTERM, SIGHUP) while tracing; the whole tree was killed
  // and the run is incomplete. 0: not interrupted.
  int interrupted_by = 0;
  std::uint64_t lingering_processes = 0;  // descendants still running when tracing stopped
  std::uint64_t truncated_paths = 0;      // open/exec paths longer than the 511-byte cap
  std::uint64_t unreadable_dns = 0;       // datagrams to port 53 that are no readable query
  std::vector<std::string> failed_exec_paths;  // filenames of failed execs (not in execs)
  std::vector<std::string> traced_kinds;  // exec, open, syscall, capability, network, dns
  std::string tracer_version;             // bob version + exec-args format ("ig-v0.48.1")

  // Vendor/user roots (home, cwd, tmp, prefix) at recording time, for path mapping.
  std::map<std::string, std::string> roots;
};

}  // namespace bob::trace
