// The loaded and attached BPF programs of one traced run (private to the trace module).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct bob_trace_bpf;
struct ring_buffer;
struct bpf_link;

namespace bob::trace::detail {

struct KernelCounters {
  std::uint64_t lost_ringbuf = 0;
  std::uint64_t lost_tracked = 0;
  std::uint64_t lost_pending = 0;
  // Runs of bob's programs the kernel skipped because one was already running on that CPU
  // (bpf_prog_info.recursion_misses): each is an event nobody saw.
  std::uint64_t skipped_runs = 0;
  std::uint64_t failed_execs = 0;
  std::vector<int> syscalls;      // numbers seen
  std::vector<int> capabilities;  // numbers seen
};

class BpfSession {
 public:
  using Handler = std::function<void(const void* data, std::size_t size)>;

  // Opens, loads and (unless load_only) attaches every program. Throws Error(inconclusive)
  // naming the program, its hook and the errno when a needed one fails.
  BpfSession(Handler handler, bool load_only = false);
  ~BpfSession();
  BpfSession(const BpfSession&) = delete;
  BpfSession& operator=(const BpfSession&) = delete;

  void track(pid_t pid);
  // Makes wait() return as soon as process `pid` has exited, until stop_watching_exit(); without
  // it (or on a kernel without pidfds) bob notices the exit at the next tick.
  void watch_exit(pid_t pid);
  void stop_watching_exit();
  // Consumes every record waiting in the ring buffer; returns how many.
  int consume();
  // Sleeps up to `timeout`, until the kernel wakes bob because the ring is filling up
  // (trace.bpf.c wakeup_flags), or until the watched process exits. Consumes nothing.
  void wait(std::chrono::milliseconds timeout);
  std::vector<pid_t> tracked_pids() const;
  KernelCounters counters() const;

  bool capabilities_traced() const { return capabilities_traced_; }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  void load();
  void attach();
  void release();
  std::uint64_t skipped_runs() const;

  Handler handler_;
  bob_trace_bpf* skeleton_ = nullptr;
  ring_buffer* ring_ = nullptr;
  int wait_set_ = -1;  // epoll: the ring buffer's own epoll fd, and the watched pidfd
  int exit_pidfd_ = -1;
  std::vector<bpf_link*> links_;
  bool capabilities_traced_ = true;
  long consumed_calls_ = 0;  // for BOB_TRACE_TEST_FAULT consume-error-after
  std::vector<std::string> notes_;
};

}  // namespace bob::trace::detail
