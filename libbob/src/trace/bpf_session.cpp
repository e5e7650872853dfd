// Loading, attaching and draining bob's BPF programs with libbpf 1.1.
#include "bpf_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <regex>

#include "bob/error.h"
#include "bob/log.h"
#include "kernel_btf.h"
#include "trace.skel.h"

namespace bob::trace::detail {
namespace {

// libbpf reports why a program failed to load only through its print callback. Collect the
// warnings of the current load so that the error can name the program and quote the reason.
std::mutex libbpf_log_mutex;
std::string libbpf_log;

int collect_libbpf_output(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  std::vsnprintf(line, sizeof(line), format, args);
  std::lock_guard<std::mutex> lock(libbpf_log_mutex);
  if (libbpf_log.size() < (64u << 10)) libbpf_log += line;
  return 0;
}

std::string take_libbpf_log() {
  std::lock_guard<std::mutex> lock(libbpf_log_mutex);
  std::string out;
  out.swap(libbpf_log);
  return out;
}

// The hooks the programs attach to, for error messages.
std::string hook_of(bpf_program* program) {
  const char* section = bpf_program__section_name(program);
  return section ? section : "?";
}

bool is_optional(const std::string& program) { return program == "on_cap_capable"; }

// Test-only fault injection (docs/tracing.md, "Testing the fail-closed paths"), read from
// BOB_TRACE_TEST_FAULT as comma-separated items. Each fault can only make bob see less or fail,
// never pass more, so it is compiled in; bob warns whenever it is set.
//   refuse=PROG              load program PROG (e.g. on_exec, on_cap_capable) as sleepable, which
//                            the kernel's verifier really refuses for tracepoint programs: the
//                            same failure path as a kernel lacking the hook or refusing the code
//   ringbuf-bytes=N          a ring buffer of N bytes (a power of two >= 4096, only honoured
//                            when smaller than the normal ring) to provoke loss
//   consume-error-after=N    the N+1th read of the ring buffer fails, as if the consumer died
struct TestFaults {
  std::string refuse;
  std::uint32_t ringbuf_bytes = 0;
  long consume_error_after = -1;
};

const TestFaults& test_faults() {
  static const TestFaults faults = [] {
    TestFaults f;
    const char* spec = std::getenv("BOB_TRACE_TEST_FAULT");
    if (!spec || !*spec) return f;
    log::warn(std::string("BOB_TRACE_TEST_FAULT=") + spec +
              ": test-only fault injection is active; bob sees less than it could");
    std::string items = spec;
    std::size_t start = 0;
    while (start <= items.size()) {
      std::size_t end = items.find(',', start);
      if (end == std::string::npos) end = items.size();
      std::string item = items.substr(start, end - start);
      start = end + 1;
      std::size_t eq = item.find('=');
      std::string key = item.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
      char* rest = nullptr;
      unsigned long number = std::strtoul(value.c_str(), &rest, 10);
      bool numeric = !value.empty() && rest && *rest == '\0';
      if (key == "refuse" && !value.empty()) {
        f.refuse = value;
      } else if (key == "ringbuf-bytes" && numeric && number >= 4096 && number <= (1ul << 30) &&
                 (number & (number - 1)) == 0) {
        f.ringbuf_bytes = static_cast<std::uint32_t>(number);
      } else if (key == "consume-error-after" && numeric) {
        f.consume_error_after = static_cast<long>(number);
      } else {
        fail(Exit::usage, "BOB_TRACE_TEST_FAULT: unknown or malformed item '" + item + "'",
             "see docs/tracing.md; unset the variable outside tests");
      }
    }
    return f;
  }();
  return faults;
}

// Applies the load-time faults to a freshly opened skeleton.
void apply_load_faults(bob_trace_bpf* skeleton) {
  const TestFaults& faults = test_faults();
  // Only ever a smaller ring than the normal one: the knob exists to provoke loss.
  if (faults.ringbuf_bytes && faults.ringbuf_bytes < bpf_map__max_entries(skeleton->maps.events))
    bpf_map__set_max_entries(skeleton->maps.events, faults.ringbuf_bytes);
  if (faults.refuse.empty()) return;
  bpf_program* program = bpf_object__find_program_by_name(skeleton->obj, faults.refuse.c_str());
  if (!program)
    fail(Exit::usage, "BOB_TRACE_TEST_FAULT: '" + faults.refuse + "' is not one of bob's programs");
  bpf_program__set_flags(program, bpf_program__flags(program) | BPF_F_SLEEPABLE);
}

int on_record(void* context, void* data, std::size_t size) {
  auto* handler = static_cast<BpfSession::Handler*>(context);
  (*handler)(data, size);
  return 0;
}

// The name of the program libbpf blamed in its log ("prog 'on_exec': ..."), or "".
std::string failing_program(const std::string& log) {
  static const std::regex pattern("prog '([A-Za-z0-9_]+)'");
  std::smatch match;
  std::string last;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), pattern);
       it != std::sregex_iterator(); ++it)
    last = (*it)[1];
  return last;
}

// The last few lines of the verifier or libbpf output, for the error message.
std::string tail_lines(const std::string& text, std::size_t count) {
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  std::size_t start = end;
  for (std::size_t n = 0; n < count && start > 0; ++n) {
    start = text.rfind('\n', start - 1);
    if (start == std::string::npos) {
      start = 0;
      break;
    }
  }
  std::string out = text.substr(start, end - start);
  while (!out.empty() && out.front() == '\n') out.erase(0, 1);
  return out;
}

// The tracepoints the object's BTF-typed programs attach to (SEC("bob_tp_btf/NAME")).
std::vector<std::string> btf_tracepoints(const bpf_object* object) {
  std::vector<std::string> names;
  const std::string_view prefix = kBtfTracepointSection;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, object) {
    std::string_view section = bpf_program__section_name(program);
    if (section.substr(0, prefix.size()) == prefix)
      names.emplace_back(section.substr(prefix.size()));
  }
  return names;
}

// Opens the skeleton so that libbpf relocates it against bob's small copy of the kernel's types
// (kernel_btf.h), filled on the first open. When the copy cannot be made, the object is opened
// again without it and libbpf reads the kernel's whole BTF for CO-RE, as it would anyway.
bob_trace_bpf* open_skeleton(KernelTypes& kernel_types, bool& use_copy, bool& filled) {
  register_btf_tracepoint_section();
  bpf_object_open_opts options{};
  options.sz = sizeof(options);
  if (use_copy) options.btf_custom_path = kernel_types.path().c_str();
  bob_trace_bpf* skeleton = bob_trace_bpf__open_opts(&options);
  if (!skeleton || filled) return skeleton;
  if (!kernel_types.fill(bpf_object__btf(skeleton->obj), btf_tracepoints(skeleton->obj))) {
    bob_trace_bpf__destroy(skeleton);
    fail(Exit::inconclusive, kernel_types.reason(),
         "bob needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF); see docs/tracing.md");
  }
  filled = true;
  if (use_copy && kernel_types.has_copy()) {
    log::debug("trace: CO-RE relocation against " + std::to_string(kernel_types.copied_types()) +
               " kernel types");
    return skeleton;
  }
  if (!use_copy) return skeleton;  // opened without a copy already
  log::debug("trace: CO-RE relocation against the kernel's whole BTF: " + kernel_types.reason());
  use_copy = false;
  bob_trace_bpf__destroy(skeleton);
  return bob_trace_bpf__open_opts(nullptr);
}

}  // namespace

BpfSession::BpfSession(Handler handler, bool load_only) : handler_(std::move(handler)) {
  if (geteuid() != 0)
    fail(Exit::inconclusive, "tracing needs root (CAP_BPF and CAP_PERFMON)",
         "run bob as root, e.g. with sudo");
  libbpf_set_print(collect_libbpf_output);
  try {
    load();
    if (!load_only) attach();
  } catch (...) {
    release();
    throw;
  }
}

BpfSession::~BpfSession() { release(); }

void BpfSession::release() {
  stop_watching_exit();
  if (wait_set_ >= 0) close(wait_set_);
  wait_set_ = -1;
  if (ring_) ring_buffer__free(ring_);
  ring_ = nullptr;
  for (auto* link : links_) bpf_link__destroy(link);
  links_.clear();
  if (skeleton_) bob_trace_bpf__destroy(skeleton_);
  skeleton_ = nullptr;
}

void BpfSession::load() {
  // The capability program is optional. On kernels before 6.14 there is no cap_capable
  // tracepoint: attaching it fails (attach() notes that). Should the verifier refuse it, libbpf
  // names the program and bob loads again without it.
  KernelTypes kernel_types;
  bool use_copy = !kernel_types.path().empty();
  if (!use_copy)
    log::debug("trace: CO-RE relocation against the kernel's whole BTF: " + kernel_types.reason());
  bool filled = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    take_libbpf_log();
    skeleton_ = open_skeleton(kernel_types, use_copy, filled);
    if (!skeleton_)
      fail(Exit::inconclusive,
           std::string("cannot open the BPF object: ") + std::strerror(errno),
           "is libbpf 1.x installed and does the kernel have BTF (/sys/kernel/btf/vmlinux)?");
    if (!capabilities_traced_)
      bpf_program__set_autoload(skeleton_->progs.on_cap_capable, false);
    apply_load_faults(skeleton_);
    int rc = bob_trace_bpf__load(skeleton_);
    if (rc == 0) break;
    int error = rc < 0 ? -rc : errno;
    std::string log = take_libbpf_log();
    std::string program = failing_program(log);
    bob_trace_bpf__destroy(skeleton_);
    skeleton_ = nullptr;
    if (is_optional(program) && capabilities_traced_) {
      capabilities_traced_ = false;
      notes_.push_back("capabilities not traced: the kernel has no capability:cap_capable "
                       "tracepoint (Linux 6.14+) or refused the program (" +
                       std::string(std::strerror(error)) + ")");
      continue;
    }
    std::string hook = "?";
    if (!program.empty()) {
      // Re-open only to read the section name of the program that failed.
      if (auto* probe = bob_trace_bpf__open()) {
        if (auto* p = bpf_object__find_program_by_name(probe->obj, program.c_str()))
          hook = hook_of(p);
        bob_trace_bpf__destroy(probe);
      }
    }
    fail(Exit::inconclusive,
         "BPF program '" + (program.empty() ? std::string("?") : program) + "' (hook " + hook +
             ") failed to load: " + std::strerror(error) + "\n" + tail_lines(log, 6),
         "bob needs a kernel with BTF, tracepoints and raw tracepoints, and root; see "
         "docs/tracing.md");
  }
  if (!skeleton_) fail(Exit::inconclusive, "the BPF object did not load");
  ring_ = ring_buffer__new(bpf_map__fd(skeleton_->maps.events), on_record, &handler_, nullptr);
  if (!ring_)
    fail(Exit::inconclusive,
         std::string("cannot map the BPF ring buffer: ") + std::strerror(errno));
  // An epoll fd is readable when one in its set is: the ring's wake-ups come through this set.
  wait_set_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ring_ready{};
  ring_ready.events = EPOLLIN;
  if (wait_set_ < 0 ||
      epoll_ctl(wait_set_, EPOLL_CTL_ADD, ring_buffer__epoll_fd(ring_), &ring_ready) != 0)
    fail(Exit::inconclusive,
         std::string("cannot wait on the BPF ring buffer: ") + std::strerror(errno));
}

void BpfSession::attach() {
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, skeleton_->obj) {
    if (!bpf_program__autoload(program)) continue;
    std::string name = bpf_program__name(program);
    take_libbpf_log();
    // A BTF-typed tracepoint of bob's own section (kernel_btf.h) has no libbpf auto-attach.
    std::string_view section = bpf_program__section_name(program);
    bool btf_typed = section.substr(0, std::strlen(kBtfTracepointSection)) ==
                     kBtfTracepointSection;
    bpf_link* link = btf_typed ? bpf_program__attach_trace(program) : bpf_program__attach(program);
    if (link) {
      links_.push_back(link);
      continue;
    }
    int error = errno;
    if (is_optional(name)) {
      capabilities_traced_ = false;
      notes_.push_back("capabilities not traced: attaching " + hook_of(program) +
                       " failed (" + std::strerror(error) +
                       "); the capability:cap_capable tracepoint is in Linux 6.14 and later");
      continue;
    }
    fail(Exit::inconclusive,
         "cannot attach BPF program '" + name + "' to " + hook_of(program) + ": " +
             std::strerror(error) + " (errno " + std::to_string(error) + ")",
         "raw tracepoints need root and a kernel with BTF; see docs/tracing.md");
  }
}

void BpfSession::track(pid_t pid) {
  __u32 key = static_cast<__u32>(pid);
  // BOB_TRACK_AWAITING_EXEC in trace.bpf.c: only the execve counts until the command runs.
  __u64 value = 1;
  if (bpf_map__update_elem(skeleton_->maps.tracked, &key, sizeof(key), &value, sizeof(value),
                           BPF_ANY) != 0)
    fail(Exit::inconclusive,
         std::string("cannot insert the command's pid into the tracked map: ") +
             std::strerror(errno));
  // The programs' per-syscall test reads this mirror of the map (trace.bpf.c, active_tgids).
  __atomic_store_n(&skeleton_->bss->awaiting_exec_tgid, key, __ATOMIC_SEQ_CST);
}

int BpfSession::consume() {
  long error_after = test_faults().consume_error_after;
  if (error_after >= 0 && consumed_calls_++ >= error_after)
    fail(Exit::inconclusive, "reading the BPF ring buffer failed: " +
                                 std::string(std::strerror(EIO)) +
                                 " (injected by BOB_TRACE_TEST_FAULT)");
  int n = ring_buffer__consume(ring_);
  if (n < 0 && n != -EINTR)
    fail(Exit::inconclusive, std::string("reading the BPF ring buffer failed: ") +
                                 std::strerror(-n));
  return n < 0 ? 0 : n;
}

void BpfSession::watch_exit(pid_t pid) {
  stop_watching_exit();
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return;  // Linux < 5.3: the exit is seen at the next tick instead
  epoll_event exited{};
  exited.events = EPOLLIN;
  if (epoll_ctl(wait_set_, EPOLL_CTL_ADD, pidfd, &exited) != 0) {
    close(pidfd);
    return;
  }
  exit_pidfd_ = pidfd;
}

void BpfSession::stop_watching_exit() {
  if (exit_pidfd_ < 0) return;
  // An exited process's pidfd stays readable: left in the set, it would end every wait at once.
  epoll_ctl(wait_set_, EPOLL_CTL_DEL, exit_pidfd_, nullptr);
  close(exit_pidfd_);
  exit_pidfd_ = -1;
}

void BpfSession::wait(std::chrono::milliseconds timeout) {
  epoll_event ready[2];
  if (epoll_wait(wait_set_, ready, 2, static_cast<int>(timeout.count())) < 0 && errno != EINTR)
    fail(Exit::inconclusive, std::string("waiting on the BPF ring buffer failed: ") +
                                 std::strerror(errno));
}

std::vector<pid_t> BpfSession::tracked_pids() const {
  std::vector<pid_t> pids;
  __u32 key = 0;
  __u32 next = 0;
  const void* previous = nullptr;
  while (bpf_map__get_next_key(skeleton_->maps.tracked, previous, &next, sizeof(next)) == 0) {
    pids.push_back(static_cast<pid_t>(next));
    key = next;
    previous = &key;
    if (pids.size() > 100000) break;  // the map holds 16384 at most; guards a broken iteration
  }
  return pids;
}

std::uint64_t BpfSession::skipped_runs() const {
  // The kernel does not run a tracing program on a CPU where it is already running (a nested
  // tracepoint, or a task preempted inside a faultable syscall tracepoint); it only counts the
  // miss. A missed run is a lost event, so the count joins the loss counters.
  std::uint64_t total = 0;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, skeleton_->obj) {
    int fd = bpf_program__fd(program);
    if (fd < 0) continue;  // not loaded: an optional program the kernel refused
    bpf_prog_info info{};
    __u32 length = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) {
      ++total;  // unreadable: bob cannot show that no run was skipped, so it counts as one
      continue;
    }
    total += info.recursion_misses;
  }
  return total;
}

KernelCounters BpfSession::counters() const {
  KernelCounters c;
  c.skipped_runs = skipped_runs();
  const auto* bss = skeleton_->bss;
  c.lost_ringbuf = __atomic_load_n(&bss->lost_ringbuf, __ATOMIC_SEQ_CST);
  c.lost_tracked = __atomic_load_n(&bss->lost_tracked, __ATOMIC_SEQ_CST);
  c.lost_pending = __atomic_load_n(&bss->lost_pending, __ATOMIC_SEQ_CST);
  c.failed_execs = __atomic_load_n(&bss->failed_execs, __ATOMIC_SEQ_CST);
  for (int i = 0; i < static_cast<int>(sizeof(bss->syscalls_seen)); ++i)
    if (bss->syscalls_seen[i]) c.syscalls.push_back(i);
  for (int i = 0; i < static_cast<int>(sizeof(bss->caps_seen)); ++i)
    if (bss->caps_seen[i]) c.capabilities.push_back(i);
  return c;
}

}  // namespace bob::trace::detail
