// run_traced: the pipe barrier, the timed consume loop and the end-of-run drain barrier.
#include <fcntl.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "bob/error.h"
#include "bob/log.h"
#include "bob/profile.h"
#include "bob/trace.h"
#include "bob/version.h"
#include "bpf_session.h"
#include "decode.h"

extern char** environ;

namespace bob::trace {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kConsumeInterval = std::chrono::milliseconds(5);
constexpr auto kDrainTimeout = std::chrono::seconds(10);

// The command's path, searched in PATH like execvp does, so that the child makes exactly one
// execve and failed lookups do not show up as failed execs of the traced tree.
std::string resolve_command(const std::string& name, const std::string& path_variable) {
  if (name.empty()) fail(Exit::usage, "no command to run", "put the command after `--`");
  if (name.find('/') != std::string::npos) return name;
  std::size_t start = 0;
  while (start <= path_variable.size()) {
    std::size_t end = path_variable.find(':', start);
    if (end == std::string::npos) end = path_variable.size();
    std::string directory = path_variable.substr(start, end - start);
    if (directory.empty()) directory = ".";
    std::string candidate = directory + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate))
      return candidate;
    start = end + 1;
  }
  fail(Exit::usage, "command not found: " + name, "give the full path or fix PATH");
}

std::vector<std::string> build_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    if (!overrides.count(key)) env.push_back(entry);
  }
  for (const auto& [key, value] : overrides) env.push_back(key + "=" + value);
  return env;
}

std::string lookup(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& entry : env)
    if (entry.rfind(key + "=", 0) == 0) return entry.substr(key.size() + 1);
  return "";
}

std::string canonical_or_same(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

std::string kernel_release() {
  utsname u{};
  if (uname(&u) != 0) return "";
  return u.release;
}

int shell_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Runs in the forked child: wait for the release byte, then become the command. Only
// async-signal-safe calls from here on.
// The child is tracked before its release, but the BPF side ignores everything it does except
// the execve until that exec succeeds, so its set-up here never reaches a profile.
[[noreturn]] void run_child(int release_fd, int error_fd, const char* path, char* const* argv,
                            char* const* envp, const char* directory, bool passthrough) {
  signal(SIGINT, SIG_DFL);
  signal(SIGQUIT, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  if (!passthrough) {
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) close(null);
    }
  }
  char byte = 0;
  ssize_t n;
  do {
    n = read(release_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(127);  // bob died or gave up before releasing us
  close(release_fd);
  int error = 0;
  if (directory && *directory && chdir(directory) != 0) {
    error = errno;
  } else {
    execve(path, argv, envp);
    error = errno;
  }
  ssize_t ignored = write(error_fd, &error, sizeof(error));
  (void)ignored;
  _exit(127);
}

// The signal that interrupted bob while it traces (0: none). Set by the handler only.
volatile sig_atomic_t interrupt_signal = 0;

void note_interrupt(int signal_number) { interrupt_signal = signal_number; }

// While a command is traced, SIGINT, SIGTERM and SIGHUP do not kill bob: they are noted, and the
// trace loop kills the command's whole tree, drains and returns an interrupted (inconclusive)
// observation, so that no process of the tree outlives bob and no BPF program stays attached.
// SIGQUIT is ignored, as system() does. The previous dispositions come back afterwards.
class SignalGuard {
 public:
  SignalGuard() {
    interrupt_signal = 0;
    struct sigaction note {};
    note.sa_handler = note_interrupt;
    sigemptyset(&note.sa_mask);
    for (std::size_t i = 0; i < kCaught.size(); ++i) sigaction(kCaught[i], &note, &old_[i]);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGQUIT, &ignore, &old_quit_);
  }
  ~SignalGuard() {
    for (std::size_t i = 0; i < kCaught.size(); ++i) sigaction(kCaught[i], &old_[i], nullptr);
    sigaction(SIGQUIT, &old_quit_, nullptr);
  }

 private:
  static constexpr std::array<int, 3> kCaught = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> old_{};
  struct sigaction old_quit_ {};
};

// A process is gone for good once it is a zombie or has been reaped.
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return true;
  char state = line[close + 2];
  return state == 'Z' || state == 'X';
}

// Kills the command and every tracked descendant with SIGKILL, over and over until the tracked
// map is empty: a process forking while it is killed leaves a child that the next pass finds
// (tracking is inherited at fork, so setsid and double-forked daemons are in the map too). Then
// waits until every killed process is really gone. Returns how many could not be killed within
// the deadline (a process stuck in the kernel).
std::size_t kill_tree(detail::BpfSession& session, pid_t root, bool root_reaped) {
  constexpr auto kKillDeadline = std::chrono::seconds(10);
  const auto start = Clock::now();
  std::set<pid_t> killed;
  std::vector<pid_t> remaining;
  while (Clock::now() - start < kKillDeadline) {
    if (!root_reaped) kill(root, SIGKILL);
    remaining = session.tracked_pids();
    for (pid_t pid : remaining) {
      if (pid == root && root_reaped) continue;
      kill(pid, SIGKILL);
      killed.insert(pid);
    }
    try {
      session.consume();  // keeps the ring from filling while the tree dies
    } catch (...) {
      // The reader (or the decoder behind it) may be what failed, with any exception; killing
      // goes on without it, and the original failure is rethrown by the caller.
    }
    if (remaining.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  while (Clock::now() - start < kKillDeadline) {
    bool all_gone = true;
    for (pid_t pid : killed)
      if (pid != root && !process_gone(pid)) all_gone = false;
    if (all_gone) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return session.tracked_pids().size();
}

const char* signal_label(int signal_number) {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
  }
}

}  // namespace

std::string tracing_unavailable_reason() {
  try {
    detail::BpfSession session([](const void*, std::size_t) {}, /*load_only=*/true);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

Observation run_traced(const TraceOptions& options) {
  if (options.argv.empty()) fail(Exit::usage, "no command to run", "put the command after `--`");
  std::vector<std::string> env = build_environment(options.environment);
  std::string path = resolve_command(options.argv[0], lookup(env, "PATH"));

  Observation observation;
  observation.kernel_release = kernel_release();
  observation.tracer_version = std::string("bob ") + version() + "; args ig-v0.48.1";

  pid_t child = -1;
  detail::Decoder decoder(observation, 0);
  if (options.open_sink) decoder.set_open_sink(options.open_sink);
  auto handler = [&decoder](const void* data, std::size_t size) { decoder.handle(data, size); };
  SignalGuard signals;
  const auto load_start = Clock::now();
  detail::BpfSession session(handler);
  log::debug("trace: programs loaded and attached in " +
             log::milliseconds(Clock::now() - load_start));
  observation.capabilities_traced = session.capabilities_traced();
  observation.notes = session.notes();
  observation.traced_kinds = {"exec", "open", "syscall", "network", "dns"};
  if (observation.capabilities_traced) observation.traced_kinds.push_back("capability");

  // Everything the child needs is prepared before fork: it may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int release[2];
  int exec_error[2];
  if (pipe2(release, O_CLOEXEC) != 0 || pipe2(exec_error, O_CLOEXEC) != 0)
    fail(Exit::inconclusive, std::string("pipe: ") + std::strerror(errno));

  child = fork();
  if (child < 0) fail(Exit::inconclusive, std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    close(release[1]);
    close(exec_error[0]);
    run_child(release[0], exec_error[1], path.c_str(), argv.data(), envp.data(),
              options.working_directory.c_str(), options.passthrough_stdio);
  }
  close(release[0]);
  close(exec_error[1]);
  decoder.set_root_pid(child);
  try {
    session.track(child);
    session.watch_exit(child);
  } catch (...) {
    close(release[1]);  // the child sees EOF and exits without running the command
    waitpid(child, nullptr, 0);
    throw;
  }
  if (interrupt_signal != 0) {
    close(release[1]);  // the child sees EOF and exits without running the command
    waitpid(child, nullptr, 0);
    fail(Exit::inconclusive, std::string("interrupted by ") + signal_label(interrupt_signal) +
                                 " before the command started");
  }
  if (write(release[1], "x", 1) != 1) {
    close(release[1]);
    waitpid(child, nullptr, 0);
    fail(Exit::inconclusive, "cannot release the command: " + std::string(std::strerror(errno)));
  }
  close(release[1]);

  // Limitation: no cgroup is used as a second scope signal; a process that escapes the fork
  // inheritance (a full tracked map) is counted as a loss, not followed.
  // The consume loop: records are submitted without wake-ups, so they are read on a timer.
  const auto started = Clock::now();
  bool root_done = false;
  int status = 0;
  Clock::time_point root_exit_time;
  // Whatever goes wrong in here (the ring buffer cannot be read, the decoder throws), the tree
  // must not go on running untraced: kill it, then let the error out.
  try {
    while (true) {
      session.consume();
      auto now = Clock::now();
      if (!root_done && waitpid(child, &status, WNOHANG) == child) {
        root_done = true;
        root_exit_time = now;
        session.stop_watching_exit();
      }
      if (interrupt_signal != 0) {
        observation.interrupted_by = interrupt_signal;
        std::size_t left = kill_tree(session, child, root_done);
        observation.notes.push_back(std::string("bob was interrupted by ") +
                                    signal_label(interrupt_signal) +
                                    "; the command and all its descendants were killed" +
                                    (left ? " except " + std::to_string(left) : std::string()));
        break;
      }
      if (!root_done && options.timeout.count() > 0 && now - started > options.timeout &&
          !observation.timed_out) {
        observation.timed_out = true;
        observation.notes.push_back("the command did not finish within " +
                                    std::to_string(options.timeout.count()) +
                                    " s; it and its descendants were killed");
        kill_tree(session, child, root_done);
      }
      if (root_done) {
        auto remaining = session.tracked_pids();
        if (remaining.empty()) break;
        if (now - root_exit_time > options.linger) {
          // What they would do next is not seen, so they do not go on untraced: killed, as at a
          // timeout (an installer's daemon is restarted by whatever manages it, not by bob).
          observation.lingering_processes = remaining.size();
          std::size_t left = kill_tree(session, child, root_done);
          observation.notes.push_back(
              std::to_string(remaining.size()) +
              " descendant process(es) still running after the command exited were killed; the "
              "run is incomplete" +
              (left ? " (" + std::to_string(left) + " could not be killed)" : std::string()));
          break;
        }
      }
      session.wait(kConsumeInterval);
    }
    if (!root_done) {
      // Killed above: reap it so that its exit record is sent.
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      root_done = true;
    }
  } catch (...) {
    kill_tree(session, child, root_done);
    if (!root_done) waitpid(child, nullptr, 0);
    throw;
  }

  log::debug("trace: the command ran for " + log::milliseconds(Clock::now() - started));
  // Drain barrier: the root's exit record is in the ring before waitpid() returns; read until it
  // has come out, then until the ring is empty, and only then read the aggregate maps.
  auto drain_start = Clock::now();
  while (!decoder.root_exit_seen() && Clock::now() - drain_start < kDrainTimeout) {
    if (session.consume() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  while (session.consume() > 0) {
  }
  if (interrupt_signal != 0 && observation.interrupted_by == 0) {
    // A stop request during the drain: the tree is gone already, but the user asked bob to
    // stop, so the run is reported as interrupted rather than judged.
    observation.interrupted_by = interrupt_signal;
    observation.notes.push_back(std::string("bob was interrupted by ") +
                                signal_label(interrupt_signal) + " while reading the last events");
  }
  if (!decoder.root_exit_seen())
    observation.notes.push_back("the command's exit record never arrived from the kernel");

  int exec_errno = 0;
  if (read(exec_error[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno) && exec_errno) {
    close(exec_error[0]);
    fail(Exit::usage, "cannot run " + path + ": " + std::strerror(exec_errno));
  }
  close(exec_error[0]);

  auto counters = session.counters();
  observation.lost_events = counters.lost_ringbuf + counters.lost_tracked +
                            counters.lost_pending + counters.skipped_runs;
  if (decoder.malformed() > 0) observation.lost_events += decoder.malformed();
  if (!decoder.root_exit_seen()) observation.lost_events += 1;
  if (counters.lost_ringbuf)
    observation.notes.push_back(std::to_string(counters.lost_ringbuf) +
                                " events lost: the ring buffer was full");
  if (counters.lost_tracked)
    observation.notes.push_back(std::to_string(counters.lost_tracked) +
                                " child processes could not be tracked: the tracked map was full");
  if (counters.skipped_runs)
    observation.notes.push_back(std::to_string(counters.skipped_runs) +
                                " BPF program runs skipped by the kernel (recursion misses)");
  if (counters.lost_pending)
    observation.notes.push_back(std::to_string(counters.lost_pending) +
                                " exec/open arguments lost: a per-thread map was full");
  observation.failed_execs = counters.failed_execs;
  for (int number : counters.syscalls) {
    std::string name = syscall_name(number);
    observation.syscalls.insert(name.empty() ? "syscall_" + std::to_string(number) : name);
  }
  observation.exit_status = shell_status(status);
  if (WIFSIGNALED(status)) observation.killed_by_signal = WTERMSIG(status);
  if (observation.root.pid == 0) observation.root = ProcessKey{child, 0};

  observation.roots["home"] = canonical_or_same(lookup(env, "HOME"));
  std::error_code no_cwd;  // bob's working directory may have been removed: then no cwd root
  observation.roots["cwd"] = canonical_or_same(
      options.working_directory.empty() ? std::filesystem::current_path(no_cwd).string()
                                        : options.working_directory);
  std::string tmp = lookup(env, "TMPDIR");
  observation.roots["tmp"] = canonical_or_same(tmp.empty() ? "/tmp" : tmp);
  std::string prefix = options.install_prefix;
  if (prefix.empty()) prefix = lookup(env, "npm_config_prefix");
  if (prefix.empty()) prefix = lookup(env, "PREFIX");
  if (!prefix.empty()) observation.roots["prefix"] = canonical_or_same(prefix);
  for (auto it = observation.roots.begin(); it != observation.roots.end();) {
    // A root that is not UTF-8 cannot go into the profile's annotation; paths under it are then
    // matched as they are, without mapping.
    bool utf8 = profile::is_utf8(it->second);
    if (!utf8)
      observation.notes.push_back("the " + it->first + " root is not UTF-8 and is not noted");
    it = utf8 && !it->second.empty() ? std::next(it) : observation.roots.erase(it);
  }
  log::debug("trace: " + std::to_string(decoder.records()) + " records, " +
             std::to_string(observation.execs.size()) + " execs, " +
             std::to_string(decoder.opens()) + " opens");
  return observation;
}

bool complete(const Observation& observation) {
  return incompleteness_reason(observation).empty();
}

std::string incompleteness_reason(const Observation& o) {
  if (o.lost_events > 0)
    return std::to_string(o.lost_events) + " tracing event(s) were lost";
  if (o.interrupted_by != 0)
    return std::string("bob was interrupted by ") + signal_label(o.interrupted_by) +
           " and killed the command's process tree";
  if (o.timed_out) return "the command was killed at the timeout";
  if (o.lingering_processes > 0)
    return std::to_string(o.lingering_processes) +
           " descendant process(es) were still running when tracing stopped";
  if (o.truncated_paths > 0)
    return std::to_string(o.truncated_paths) +
           " path(s) exceeded the tracer's 511-byte limit and could not be recorded";
  if (o.unreadable_dns > 0)
    return std::to_string(o.unreadable_dns) +
           " datagram(s) to port 53 held no DNS query bob could read";
  return "";
}

}  // namespace bob::trace
