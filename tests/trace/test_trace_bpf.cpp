// The tracer against the real kernel: each case runs one of the programs in progs/ (or a shell)
// under run_traced and asserts the exact values recorded. Needs root and BPF: skipped (77)
// outside CI when missing, a failure with CI=true.
#include <bpf/libbpf.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/trace.h"
#include "kernel_btf.h"
#include "prereq.h"
#include "trace.skel.h"

namespace fs = std::filesystem;
using bob::trace::Observation;

namespace {

void need_bpf() {
  static const std::string reason = bob::trace::tracing_unavailable_reason();
  bob::test::require(reason.empty(), "BPF tracing (" + reason + ")");
}

std::string prog(const std::string& name) {
  return std::string(BOB_BUILD_ROOT) + "/tests/trace/" + name;
}

Observation trace(std::vector<std::string> argv) {
  need_bpf();
  bob::trace::TraceOptions options;
  options.argv = std::move(argv);
  options.timeout = std::chrono::seconds(60);
  options.passthrough_stdio = false;
  Observation o = bob::trace::run_traced(options);
  INFO(bob::trace::incompleteness_reason(o));
  CHECK(bob::trace::complete(o));
  return o;
}

const bob::trace::OpenEvent* find_open(const Observation& o, const std::string& path) {
  for (const auto& open : o.opens)
    if (open.path == path) return &open;
  return nullptr;
}

std::vector<const bob::trace::ExecEvent*> execs_of(const Observation& o, const std::string& exe) {
  std::vector<const bob::trace::ExecEvent*> out;
  for (const auto& e : o.execs)
    if (e.exe_path == exe) out.push_back(&e);
  return out;
}

bool has_arg_list(const Observation& o, const std::vector<std::string>& args) {
  return std::any_of(o.execs.begin(), o.execs.end(),
                     [&](const auto& e) { return e.args == args; });
}

// A directory holding rel.txt, canonical (symlinks resolved) as the kernel reports it.
struct Fixture {
  bob::fs::TempDir temp{"bob-trace-test"};
  std::string dir;
  Fixture() {
    dir = fs::canonical(temp.path()).string();
    std::ofstream(dir + "/rel.txt") << "data\n";
  }
};

}  // namespace

TEST_CASE("the root exec is captured with the pipe barrier, and syscalls are named") {
  auto o = trace({"/usr/bin/true", "first"});
  REQUIRE(!o.execs.empty());
  CHECK(o.execs.front().exe_path == "/usr/bin/true");
  CHECK(o.execs.front().filename == "/usr/bin/true");
  CHECK(o.execs.front().args == std::vector<std::string>{"/usr/bin/true", "first"});
  CHECK(o.execs.front().cmdline == std::vector<std::string>{"/usr/bin/true", "first"});
  CHECK(o.execs.front().process == o.root);
  CHECK(o.exit_status == 0);
  CHECK(o.lost_events == 0);
  CHECK(o.syscalls.count("execve") == 1);
  CHECK(o.syscalls.count("exit_group") == 1);
  CHECK(o.kernel_release.size() > 0);
}

TEST_CASE("the command's exit status is passed through") {
  auto o = trace({"/usr/bin/false"});
  CHECK(o.exit_status == 1);
}

TEST_CASE("relative and failed opens after chdir are joined onto the cwd (T4)") {
  Fixture f;
  auto o = trace({prog("relative_open"), f.dir});
  auto* rel = find_open(o, f.dir + "/rel.txt");
  REQUIRE(rel != nullptr);
  CHECK(rel->result >= 0);
  CHECK(rel->fname == "rel.txt");
  CHECK(rel->flags == std::vector<std::string>{"O_RDONLY"});
  CHECK(rel->syscall == "openat");
  auto* missing = find_open(o, f.dir + "/missing-relative.txt");
  REQUIRE(missing != nullptr);
  CHECK(missing->result == -2);  // ENOENT
  auto* absolute = find_open(o, "/nonexistent-bob-dir/probe.so");
  REQUIRE(absolute != nullptr);
  CHECK(absolute->result == -2);
}

TEST_CASE("dirfd-relative openat, and a failed one, use the dirfd's path (T2)") {
  Fixture f;
  auto o = trace({prog("dirfd_open"), f.dir});
  auto* dir = find_open(o, f.dir);
  REQUIRE(dir != nullptr);
  CHECK(dir->flags == std::vector<std::string>{"O_RDONLY", "O_CLOEXEC", "O_DIRECTORY"});
  auto* rel = find_open(o, f.dir + "/rel.txt");
  REQUIRE(rel != nullptr);
  CHECK(rel->result >= 0);
  auto* missing = find_open(o, f.dir + "/missing-dirfd.txt");
  REQUIRE(missing != nullptr);
  CHECK(missing->result == -2);
}

TEST_CASE("openat2 is traced and marked invisible to node-agent (T19)") {
  Fixture f;
  auto o = trace({prog("openat2_open"), f.dir + "/rel.txt"});
  auto* open = find_open(o, f.dir + "/rel.txt");
  REQUIRE(open != nullptr);
  CHECK(open->syscall == "openat2");
  CHECK_FALSE(open->visible_to_node_agent);
  CHECK(open->flags == std::vector<std::string>{"O_RDONLY", "O_CLOEXEC"});
}

TEST_CASE("/proc/self paths become /proc/⋯/ and /proc/self/fd/N resolves to the file (T1, D4)") {
  Fixture f;
  auto o = trace({prog("proc_self"), f.dir + "/rel.txt"});
  CHECK(find_open(o, "/proc/\xE2\x8B\xAF/status") != nullptr);
  int rel_opens = 0;
  for (const auto& open : o.opens) {
    CHECK(open.path.find("/proc/self") == std::string::npos);
    if (open.path == f.dir + "/rel.txt") ++rel_opens;
    // no raw pid right after /proc/
    if (open.path.rfind("/proc/", 0) == 0 && open.path.size() > 6)
      CHECK_FALSE(std::isdigit(static_cast<unsigned char>(open.path[6])));
  }
  CHECK(rel_opens == 2);  // once by name, once through /proc/self/fd/N
}

TEST_CASE("fexecve and execveat(AT_EMPTY_PATH) record the executable's real path (T6)") {
  for (std::string mode : {"fexecve", "execveat"}) {
    CAPTURE(mode);
    auto o = trace({prog("fexecve_exec"), mode});
    auto execs = execs_of(o, "/usr/bin/true");
    REQUIRE(execs.size() == 1);
    CHECK(execs[0]->filename == "");
    CHECK(execs[0]->cmdline == std::vector<std::string>{"true", mode});
    REQUIRE(execs[0]->args.size() == 2);
    CHECK(execs[0]->args[0] == "");
    CHECK(execs[0]->args[1] == mode);
  }
}

TEST_CASE("scripts: with a shebang the interpreter is the exe, the script the filename (T15)") {
  Fixture f;
  std::string script = f.dir + "/with-shebang.sh";
  std::ofstream(script) << "#!/bin/sh\nexit 0\n";
  chmod(script.c_str(), 0755);
  auto o = trace({script, "arg1"});
  std::string dash = fs::canonical("/bin/sh").string();
  auto execs = execs_of(o, dash);
  REQUIRE(execs.size() == 1);
  CHECK(execs[0]->filename == script);
  CHECK(execs[0]->args == std::vector<std::string>{script, "arg1"});
  CHECK(execs[0]->cmdline == std::vector<std::string>{"/bin/sh", script, "arg1"});
}

TEST_CASE("scripts without a shebang: a failed exec is counted, not recorded (T15, D3)") {
  Fixture f;
  std::string script = f.dir + "/no-shebang.sh";
  std::ofstream(script) << "exit 0\n";
  chmod(script.c_str(), 0755);
  auto o = trace({"/bin/sh", "-c", script + "; true"});
  CHECK(o.failed_execs >= 1);
  for (const auto& e : o.execs) CHECK(e.filename != script);
  CHECK(find_open(o, script) != nullptr);  // the shell reads it instead
}

TEST_CASE("merged-usr: exec of /bin/sh records the resolved interpreter (D1, T24)") {
  auto o = trace({"/bin/sh", "-c", "exit 0"});
  REQUIRE(!o.execs.empty());
  CHECK(o.execs.front().filename == "/bin/sh");
  CHECK(o.execs.front().exe_path == fs::canonical("/bin/sh").string());
  CHECK(o.execs.front().exe_path != "/bin/sh");
}

TEST_CASE("more than 20 args and args over 255 characters are truncated and flagged (T14)") {
  auto o = trace({prog("many_args")});
  auto execs = execs_of(o, "/usr/bin/true");
  REQUIRE(execs.size() == 1);
  const auto& e = *execs[0];
  CHECK(e.args.size() == 20);
  CHECK(e.args[0] == "/usr/bin/true");
  CHECK(e.args[1] == std::string(255, 'x'));
  CHECK(e.args[2] == "a02");
  CHECK(e.args[19] == "a19");
  CHECK(e.args_truncated);
  CHECK(e.cmdline.size() == 26);
  CHECK(e.cmdline[1] == std::string(300, 'x'));
}

TEST_CASE("a double-forked daemon stays tracked") {
  auto o = trace({prog("double_fork")});
  CHECK(has_arg_list(o, {"/usr/bin/true", "daemonized"}));
  CHECK(o.lingering_processes == 0);
}

TEST_CASE("vfork, clone3 and posix_spawn children are tracked") {
  auto o = trace({prog("spawners")});
  CHECK(has_arg_list(o, {"/usr/bin/true", "vfork"}));
  CHECK(has_arg_list(o, {"/usr/bin/true", "clone3"}));
  CHECK(has_arg_list(o, {"/usr/bin/true", "posix_spawn"}));
  for (const auto& e : o.execs) {
    if (e.exe_path != "/usr/bin/true") continue;
    auto it = o.processes.find(e.process);
    REQUIRE(it != o.processes.end());
    CHECK(it->second.parent == o.root);  // the parent chain leads to the command
  }
}

TEST_CASE("an exec from a thread is recorded") {
  auto o = trace({prog("thread_exec")});
  CHECK(has_arg_list(o, {"/usr/bin/true", "from-thread"}));
  CHECK(o.exit_status == 0);
}

TEST_CASE("very short-lived children are all seen (T17)") {
  auto o = trace({prog("short_lived"), "60"});
  auto execs = execs_of(o, "/usr/bin/true");
  CHECK(execs.size() == 60);
  for (int i = 0; i < 60; ++i)
    CHECK(has_arg_list(o, {"/usr/bin/true", "n" + std::to_string(i)}));
}

TEST_CASE("IPv6 connect and accept on loopback") {
  auto o = trace({prog("ipv6_connect")});
  const bob::trace::NetworkEvent* out = nullptr;
  const bob::trace::NetworkEvent* in = nullptr;
  for (const auto& n : o.network) {
    if (n.direction == "outbound" && n.address == "::1") out = &n;
    if (n.direction == "inbound" && n.address == "::1") in = &n;
  }
  REQUIRE(out != nullptr);
  REQUIRE(in != nullptr);
  CHECK(out->protocol == "TCP");
  CHECK(in->protocol == "TCP");
  CHECK(out->port > 0);
  CHECK(in->port == out->port);  // inbound: our listening port
}

TEST_CASE("DNS query names are recorded without an answer (T11)") {
  auto o = trace({prog("dns_query")});
  std::vector<std::string> names;
  for (const auto& d : o.dns) names.push_back(d.name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  CHECK(names == std::vector<std::string>{"send.nxdomain.bob-test.invalid.",
                                          "sendmmsg.nxdomain.bob-test.invalid.",
                                          "sendto.nxdomain.bob-test.invalid."});
  bool udp53 = std::any_of(o.network.begin(), o.network.end(), [](const auto& n) {
    return n.protocol == "UDP" && n.port == 53 && n.address == "127.0.0.1" &&
           n.direction == "outbound";
  });
  CHECK(udp53);
}

TEST_CASE("capabilities come from cap_capable without CAP_ and without mmap noise (T27)") {
  need_bpf();
  Fixture f;
  auto o = trace({prog("capabilities"), f.dir + "/rel.txt"});
  bob::test::require(o.capabilities_traced, "the capability:cap_capable tracepoint");
  std::vector<std::string> caps;
  for (const auto& c : o.capabilities) caps.push_back(c.capability);
  CHECK(std::count(caps.begin(), caps.end(), "CHOWN") == 1);
  CHECK(std::count(caps.begin(), caps.end(), "SYS_ADMIN") == 0);
  CHECK(o.exit_status == 0);
}

const bob::trace::OpenEvent* find_open_by_fname(const Observation& o, const std::string& fname) {
  for (const auto& open : o.opens)
    if (open.fname == fname) return &open;
  return nullptr;
}

TEST_CASE("opens through a detached procfs mount keep their /proc prefix (T5)") {
  auto o = trace({prog("detached_proc")});
  REQUIRE(o.exit_status == 0);
  auto* status = find_open_by_fname(o, "self/status");
  REQUIRE(status != nullptr);
  CHECK(status->path == "/proc/\xE2\x8B\xAF/status");
  CHECK(status->result >= 0);
  auto* meminfo = find_open_by_fname(o, "meminfo");
  REQUIRE(meminfo != nullptr);
  CHECK(meminfo->path == "/proc/meminfo");
  CHECK(meminfo->flags == std::vector<std::string>{"O_RDONLY"});
  auto* missing = find_open_by_fname(o, "bob-no-such-entry");
  REQUIRE(missing != nullptr);
  CHECK(missing->path == "/proc/bob-no-such-entry");
  CHECK(missing->result == -2);
  auto* cpuinfo = find_open_by_fname(o, "cpuinfo");  // open_tree(OPEN_TREE_CLONE) of /proc
  REQUIRE(cpuinfo != nullptr);
  CHECK(cpuinfo->path == "/proc/cpuinfo");
  CHECK(find_open(o, "/meminfo") == nullptr);
}

TEST_CASE("a command that does not exist is a usage error, not a recording") {
  need_bpf();
  bob::trace::TraceOptions options;
  options.argv = {"bob-no-such-command-xyz"};
  CHECK_THROWS_AS(bob::trace::run_traced(options), bob::Error);
}

TEST_CASE("a timeout kills the tree and marks the run incomplete") {
  need_bpf();
  bob::trace::TraceOptions options;
  options.argv = {"/bin/sleep", "30"};
  options.timeout = std::chrono::seconds(1);
  options.passthrough_stdio = false;
  auto o = bob::trace::run_traced(options);
  CHECK(o.timed_out);
  CHECK_FALSE(bob::trace::complete(o));
}

namespace {

using Programs = std::map<std::string, std::vector<bpf_insn>>;

// Loads bob's BPF object as bob does, with CO-RE relocation against bob's copy of the kernel's
// types, or (with_copy false) against the kernel's whole BTF, libbpf's default, and returns each
// program's final instructions. Map references are file descriptors, different in each load:
// they are zeroed.
Programs load_programs(bool with_copy, std::size_t* copied_types = nullptr) {
  namespace detail = bob::trace::detail;
  detail::register_btf_tracepoint_section();
  detail::KernelTypes kernel_types;
  REQUIRE_FALSE(kernel_types.path().empty());
  bpf_object_open_opts options{};
  options.sz = sizeof(options);
  if (with_copy) options.btf_custom_path = kernel_types.path().c_str();
  bob_trace_bpf* skeleton = bob_trace_bpf__open_opts(&options);
  REQUIRE(skeleton != nullptr);
  std::vector<std::string> tracepoints;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, skeleton->obj) {
    std::string section = bpf_program__section_name(program);
    if (section.rfind(detail::kBtfTracepointSection, 0) == 0)
      tracepoints.push_back(section.substr(std::strlen(detail::kBtfTracepointSection)));
  }
  CHECK(tracepoints == std::vector<std::string>{"sys_enter", "sys_exit"});
  REQUIRE_MESSAGE(kernel_types.fill(bpf_object__btf(skeleton->obj), tracepoints),
                  kernel_types.reason());
  REQUIRE_MESSAGE(kernel_types.has_copy(), kernel_types.reason());
  CHECK(kernel_types.attach_ids().size() == 2);
  if (copied_types) *copied_types = kernel_types.copied_types();
  REQUIRE(bob_trace_bpf__load(skeleton) == 0);
  Programs programs;
  bpf_object__for_each_program(program, skeleton->obj) {
    const bpf_insn* insns = bpf_program__insns(program);
    std::vector<bpf_insn> copy(insns, insns + bpf_program__insn_cnt(program));
    for (std::size_t i = 0; i + 1 < copy.size(); ++i) {
      bool wide_load = copy[i].code == (BPF_LD | BPF_IMM | BPF_DW);
      if (wide_load && (copy[i].src_reg == BPF_PSEUDO_MAP_FD ||
                        copy[i].src_reg == BPF_PSEUDO_MAP_VALUE))
        copy[i].imm = 0;
      if (wide_load) ++i;  // its second half holds no map reference for these kinds
    }
    programs[bpf_program__name(program)] = std::move(copy);
  }
  bob_trace_bpf__destroy(skeleton);
  return programs;
}

bool same_instructions(const std::vector<bpf_insn>& a, const std::vector<bpf_insn>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](const bpf_insn& x, const bpf_insn& y) {
           return std::memcmp(&x, &y, sizeof(x)) == 0;
         });
}

}  // namespace

TEST_CASE("relocation against bob's small copy of the kernel's types gives the same programs") {
  need_bpf();
  std::size_t copied_types = 0;
  Programs with_copy = load_programs(true, &copied_types);
  Programs with_whole_btf = load_programs(false);
  // The copy holds the kernel's definitions of the object's structs and what they embed: some
  // hundreds of types, against ~126,000 in the kernel.
  CHECK(copied_types > 50);
  CHECK(copied_types < 5000);
  REQUIRE(with_copy.size() == 6);
  REQUIRE(with_whole_btf.size() == with_copy.size());
  for (const auto& program : with_whole_btf) {
    const std::string& name = program.first;  // not a structured binding: INFO captures it
    INFO(name);
    REQUIRE(with_copy.count(name) == 1);
    CHECK(program.second.size() > 50);
    CHECK(same_instructions(with_copy[name], program.second));
  }
}
