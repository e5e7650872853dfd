// Decoding the tracer's ring-buffer records (bpf/trace_events.h) into an Observation.
#include "decode.h"

#include <arpa/inet.h>
#include <linux/types.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <regex>
#include <vector>

#include "bob/profile.h"
#include "bob/trace.h"
#include "trace_events.h"

namespace bob::trace::detail {
namespace {

std::string text(const char* bytes, long length, std::size_t capacity) {
  if (length <= 0) return "";
  std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(length), capacity);
  std::string s(bytes, n);
  auto nul = s.find('\0');
  if (nul != std::string::npos) s.resize(nul);
  return s;
}

std::string comm_of(const bob_header& h) { return text(h.comm, sizeof(h.comm), sizeof(h.comm)); }

const char* open_syscall_name(std::uint32_t syscall) {
  switch (syscall) {
    case BOB_OPEN: return "open";
    case BOB_OPENAT: return "openat";
    case BOB_OPENAT2: return "openat2";
    case BOB_CREAT: return "creat";
    default: return "open";
  }
}

std::string protocol_name(std::uint16_t protocol) {
  switch (protocol) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 132: return "SCTP";
    default: return std::to_string(protocol);
  }
}

std::string address_text(std::uint16_t family, const std::uint8_t* addr) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET) {
    inet_ntop(AF_INET, addr, buffer, sizeof(buffer));
  } else {
    inet_ntop(AF_INET6, addr, buffer, sizeof(buffer));
  }
  return buffer;
}

std::vector<std::string> split_nul(const char* bytes, std::size_t length) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < length; ++i) {
    if (bytes[i] != '\0') continue;
    parts.emplace_back(bytes + start, i - start);
    start = i + 1;
  }
  if (start < length) parts.emplace_back(bytes + start, length - start);
  return parts;
}

// Open records are sent at their used length (bpf/trace_events.h): the lengths must fit.
bool open_record_fits(const void* data, std::size_t size) {
  const auto* ev = static_cast<const bob_open_event*>(data);
  std::size_t path = ev->path_len > 0 ? static_cast<std::size_t>(ev->path_len) : 0;
  std::size_t used = ev->fname_len + path;
  return ev->fname_len < BOB_PATH_MAX && ev->path_len < BOB_PATH_MAX &&
         offsetof(bob_open_event, data) + used <= size;
}

}  // namespace

std::vector<std::string> args_from_cmdline(const std::string& filename,
                                           const std::vector<std::string>& cmdline) {
  // A script's cmdline is [interpreter, (interpreter arg), filename, argv[1..]]; otherwise it
  // is argv itself.
  std::size_t tail = 1;
  for (std::size_t k = 1; k <= 2 && k < cmdline.size(); ++k) {
    if (cmdline[k] == filename && cmdline[0] != filename) {
      tail = k + 1;
      break;
    }
  }
  std::vector<std::string> args = {filename.substr(0, BOB_ARG_KEEP)};
  for (std::size_t i = tail; i < cmdline.size() && args.size() < BOB_ARG_COUNT; ++i)
    args.push_back(cmdline[i].substr(0, BOB_ARG_KEEP));
  return args;
}

std::string clean_path(std::string_view path) {
  std::vector<std::string_view> kept;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(i, end - i);
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
    i = end + 1;
  }
  std::string out;
  for (auto segment : kept) {
    out += '/';
    out += segment;
  }
  return out.empty() ? "/" : out;
}

std::string join_path(std::string_view directory, std::string_view name) {
  if (!name.empty() && name.front() == '/') return clean_path(name);
  std::string joined(directory);
  joined += '/';
  joined += name;
  return clean_path(joined);
}

std::string rewrite_proc_pid(std::string path) {
  static constexpr std::string_view kProc = "/proc/";
  if (path.rfind(kProc, 0) != 0) return path;
  std::size_t start = kProc.size();
  std::size_t end = path.find('/', start);
  if (end == std::string::npos) end = path.size();
  if (end == start) return path;
  for (std::size_t i = start; i < end; ++i)
    if (path[i] < '0' || path[i] > '9') return path;
  return path.substr(0, start) + profile::kDynamicSegment + path.substr(end);
}

std::string dns_query_name(const std::uint8_t* message, std::size_t size) {
  constexpr std::size_t kHeader = 12;
  if (size <= kHeader) return "";
  std::uint16_t questions = static_cast<std::uint16_t>((message[4] << 8) | message[5]);
  if (questions == 0) return "";
  std::string name;
  std::size_t i = kHeader;
  while (i < size) {
    std::uint8_t length = message[i++];
    if (length == 0) return name.empty() ? "." : name;
    if (length > 63 || i + length > size) return "";  // compression pointers are not in queries
    for (std::size_t k = 0; k < length; ++k) {
      // Presentation format (RFC 4343 §2.1): a byte that is not printable ASCII as \DDD, and
      // `.` and `\` inside a label escaped, so that any label is recorded, and as it was sent.
      unsigned char c = message[i + k];
      if (c == '.' || c == '\\') {
        name += '\\';
        name += static_cast<char>(c);
      } else if (c < 0x21 || c > 0x7e) {
        name += '\\';
        name += static_cast<char>('0' + c / 100);
        name += static_cast<char>('0' + c / 10 % 10);
        name += static_cast<char>('0' + c % 10);
      } else {
        name += static_cast<char>(c);
      }
    }
    name += '.';
    i += length;
    if (name.size() > 1024) return "";  // 255 bytes of name, each byte at most 4 characters
  }
  return "";  // ran out of bytes before the terminating zero label
}

ProcessKey Decoder::key_of(std::uint32_t pid, std::uint64_t start_ns) const {
  return ProcessKey{static_cast<int>(pid), start_ns};
}

Process& Decoder::process(const ProcessKey& key) {
  auto [it, inserted] = observation_.processes.try_emplace(key);
  if (inserted) it->second.key = key;
  return it->second;
}

void Decoder::handle(const void* data, std::size_t size) {
  ++records_;
  if (size < sizeof(bob_header)) {
    ++malformed_;
    return;
  }
  const auto* header = static_cast<const bob_header*>(data);
  struct Expected {
    std::uint32_t type;
    std::size_t size;
    void (Decoder::*handler)(const void*);
  };
  static const Expected kTable[] = {
      {BOB_EV_FORK, sizeof(bob_fork_event), &Decoder::on_fork},
      {BOB_EV_EXEC, sizeof(bob_exec_event), &Decoder::on_exec},
      {BOB_EV_EXEC_FAILED, sizeof(bob_exec_failed_event), &Decoder::on_exec_failed},
      {BOB_EV_EXIT, sizeof(bob_exit_event), &Decoder::on_exit},
      {BOB_EV_OPEN, offsetof(bob_open_event, data), &Decoder::on_open},
      {BOB_EV_NET, sizeof(bob_net_event), &Decoder::on_net},
      {BOB_EV_CAP, sizeof(bob_cap_event), &Decoder::on_cap},
  };
  for (const auto& entry : kTable) {
    if (entry.type != header->type) continue;
    if (size < entry.size) break;
    if (entry.type == BOB_EV_OPEN && !open_record_fits(data, size)) break;
    (this->*entry.handler)(data);
    return;
  }
  ++malformed_;
}

void Decoder::on_fork(const void* data) {
  const auto* ev = static_cast<const bob_fork_event*>(data);
  ProcessKey parent = key_of(ev->h.pid, ev->h.start_ns);
  Process& child = process(key_of(ev->child_pid, ev->child_start_ns));
  child.parent = parent;
  child.comm = comm_of(ev->h);
  child.uid = ev->h.uid;
  child.gid = ev->h.gid;
  // A child starts with its parent's image until it execs.
  auto it = observation_.processes.find(parent);
  if (it != observation_.processes.end()) {
    child.exe_path = it->second.exe_path;
    child.args = it->second.args;
    child.cwd = it->second.cwd;
  }
}

void Decoder::on_exec(const void* data) {
  const auto* ev = static_cast<const bob_exec_event*>(data);
  ProcessKey key = key_of(ev->h.pid, ev->h.start_ns);
  if (static_cast<int>(ev->h.pid) == root_pid_ && observation_.root.pid == 0)
    observation_.root = key;

  ExecEvent exec;
  exec.process = key;
  const bob_exec_args& args = ev->args;
  exec.filename = text(args.filename, args.filename_len, sizeof(args.filename));
  if (ev->exe_len >= 0) {
    exec.exe_path = text(ev->exe, ev->exe_len, sizeof(ev->exe));
  } else {
    ++observation_.truncated_paths;
    observation_.notes.push_back("the executable path of pid " + std::to_string(ev->h.pid) +
                                 " exceeds " + std::to_string(BOB_PATH_MAX - 1) + " bytes");
  }
  for (std::uint32_t i = 0; i < args.argc && i < BOB_ARG_COUNT; ++i)
    exec.args.push_back(text(args.args[i], args.arg_len[i], BOB_ARG_KEEP));
  if (args.filename_fault || !ev->has_args) {
    // The user string could not be read at execve entry; the kernel's copy is exact, except
    // that an empty name with AT_EMPTY_PATH reads "/dev/fd/N" there.
    std::string given = text(ev->kernel_filename, ev->kernel_filename_len,
                             sizeof(ev->kernel_filename));
    static const std::regex dev_fd("/dev/fd/[0-9]+");
    if (std::regex_match(given, dev_fd)) given.clear();
    exec.filename = given;
    if (exec.args.empty()) exec.args.push_back(given.substr(0, BOB_ARG_KEEP));
    else exec.args[0] = given.substr(0, BOB_ARG_KEEP);
  }
  exec.args_truncated = args.truncated != 0;
  exec.cmdline = split_nul(ev->cmdline, std::min<std::size_t>(ev->cmdline_len,
                                                              sizeof(ev->cmdline)));
  if (args.truncated == 2 && !exec.cmdline.empty()) {
    // An argv string was in a page not yet faulted in at execve entry. The kernel has copied
    // the argv onto the new stack by now: rebuild the IG v0.48.1 form from it.
    exec.args = args_from_cmdline(exec.filename, exec.cmdline);
    exec.args_truncated = exec.cmdline.size() > BOB_ARG_COUNT || ev->cmdline_truncated;
    for (const auto& a : exec.cmdline)
      if (a.size() > BOB_ARG_KEEP) exec.args_truncated = true;
  } else if (ev->cmdline_truncated) {
    exec.args_truncated = true;
  }
  if (ev->cwd_len >= 0) exec.cwd = text(ev->cwd, ev->cwd_len, sizeof(ev->cwd));

  Process& p = process(key);
  p.comm = comm_of(ev->h);
  p.exe_path = exec.exe_path;
  p.args = exec.args;
  p.cwd = exec.cwd;
  p.uid = ev->h.uid;
  p.gid = ev->h.gid;
  observation_.execs.push_back(std::move(exec));
}

void Decoder::on_exec_failed(const void* data) {
  const auto* ev = static_cast<const bob_exec_failed_event*>(data);
  std::string filename = text(ev->filename, ev->filename_len, sizeof(ev->filename));
  observation_.failed_exec_paths.push_back(filename + " (" + std::strerror(ev->error) + ")");
}

void Decoder::on_exit(const void* data) {
  const auto* ev = static_cast<const bob_exit_event*>(data);
  ProcessKey key = key_of(ev->h.pid, ev->h.start_ns);
  if (static_cast<int>(ev->h.pid) == root_pid_) {
    root_exit_seen_ = true;
    if (observation_.root.pid == 0) observation_.root = key;
  }
  process(key);  // a process that never exec'd still belongs to the tree
}

void Decoder::on_open(const void* data) {
  const auto* ev = static_cast<const bob_open_event*>(data);
  // handle() checked that the record holds fname_len + path_len bytes of data.
  std::string fname = text(ev->data, ev->fname_len, BOB_PATH_MAX - 1);
  std::string base = ev->path_len > 0 ? text(ev->data + ev->fname_len, ev->path_len,
                                             BOB_PATH_MAX - 1)
                                      : "";
  // The kernel side reads at most BOB_PATH_MAX - 1 bytes of the name: one that fills them may
  // have been cut, and then names another file.
  bool fname_cut = ev->fname_len >= BOB_PATH_MAX - 1;
  std::string path;
  if (ev->ret >= 0) {
    // An open that succeeded is known only by the file its descriptor holds. When that could not
    // be walked (too long, too deep) the name is no substitute: through a symlink or `..` it
    // may name another file, so the open stays unresolved.
    if (ev->path_kind == BOB_PATH_FILE) path = base;
  } else if (fname_cut) {
    // A failed open of a name that may have been cut: unresolved.
  } else if (!fname.empty() && fname.front() == '/') {
    path = clean_path(fname);
  } else if ((ev->path_kind == BOB_PATH_CWD || ev->path_kind == BOB_PATH_DIRFD) &&
             !base.empty()) {
    path = join_path(base, fname);
    if (path.size() > BOB_PATH_MAX - 1) path.clear();  // fail closed, as node-agent does
  }
  if (path.empty()) {
    ++observation_.truncated_paths;
    observation_.notes.push_back("an open by pid " + std::to_string(ev->h.pid) + " of '" +
                                 fname + "' could not be resolved within " +
                                 std::to_string(BOB_PATH_MAX - 1) + " bytes");
    return;
  }
  OpenEvent open;
  open.process = key_of(ev->h.pid, ev->h.start_ns);
  open.path = rewrite_proc_pid(std::move(path));
  open.flags = open_flag_names(ev->flags);
  open.result = ev->ret;
  open.syscall = open_syscall_name(ev->syscall);
  open.fname = std::move(fname);
  open.visible_to_node_agent = ev->syscall == BOB_OPEN || ev->syscall == BOB_OPENAT;
  ++opens_;
  if (open_sink_) {
    open_sink_(std::move(open));
    return;
  }
  observation_.opens.push_back(std::move(open));
}

void Decoder::on_net(const void* data) {
  const auto* ev = static_cast<const bob_net_event*>(data);
  if (ev->family != AF_INET && ev->family != AF_INET6) return;
  NetworkEvent net;
  net.process = key_of(ev->h.pid, ev->h.start_ns);
  net.protocol = protocol_name(ev->protocol);
  net.address = address_text(ev->family, ev->addr);
  if (ev->kind == BOB_NET_ACCEPT) {
    net.direction = "inbound";
    net.port = ev->local_port;  // the service port of ours; address is the peer
  } else {
    net.direction = "outbound";
    net.port = ev->port;
  }
  observation_.network.push_back(net);
  if (ev->kind == BOB_NET_SEND && ev->payload_len > 0) {
    std::string name = dns_query_name(ev->payload, std::min<std::size_t>(ev->payload_len,
                                                                         BOB_PAYLOAD_MAX));
    if (name.empty()) {
      // Not a query bob can read (cut at BOB_PAYLOAD_MAX bytes, or not DNS at all): what it
      // carried to port 53 is unknown, so the run cannot pass as fully seen.
      ++observation_.unreadable_dns;
      observation_.notes.push_back("a datagram from pid " + std::to_string(ev->h.pid) +
                                   " to port 53 of " + net.address +
                                   " is not a DNS query bob can read (or is longer than " +
                                   std::to_string(BOB_PAYLOAD_MAX) + " bytes)");
    } else if (name != ".") {
      observation_.dns.push_back(DnsEvent{net.process, name});
    }
  }
}

void Decoder::on_cap(const void* data) {
  const auto* ev = static_cast<const bob_cap_event*>(data);
  std::string name = capability_name(ev->cap);
  if (name.empty()) name = "CAP_" + std::to_string(ev->cap);
  observation_.capabilities.push_back(
      CapabilityEvent{key_of(ev->h.pid, ev->h.start_ns), name});
}

}  // namespace bob::trace::detail
