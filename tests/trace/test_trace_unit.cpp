// The tracer's user-space logic without BPF: path joining, the /proc rewrite, DNS parsing, names,
// and turning observations into a profile (single and multiple runs).
#include <doctest/doctest.h>

#include <linux/types.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bob/error.h"
#include "bob/trace.h"
#include "decode.h"
#include "trace_events.h"

using namespace bob::trace;
using detail::clean_path;
using detail::join_path;
using detail::rewrite_proc_pid;

namespace bob::trace::detail {
bool volatile_segment(std::string_view segment);
std::string generalize_volatile_path(const std::string& path);
}

static const std::string kDyn = "\xE2\x8B\xAF";

TEST_CASE("paths are cleaned and joined like node-agent (Go path.Clean)") {
  CHECK(clean_path("/a//b/./c/") == "/a/b/c");
  CHECK(clean_path("/a/b/../c") == "/a/c");
  CHECK(clean_path("/..") == "/");
  CHECK(join_path("/srv/data", "rel.txt") == "/srv/data/rel.txt");
  CHECK(join_path("/srv/data", "./x/../y") == "/srv/data/y");
  CHECK(join_path("/srv/data", ".") == "/srv/data");
  CHECK(join_path("/srv/data", "/abs") == "/abs");
}

TEST_CASE("/proc/<pid>/ becomes /proc/⋯/ only at the start of the path") {
  CHECK(rewrite_proc_pid("/proc/123/status") == "/proc/" + kDyn + "/status");
  CHECK(rewrite_proc_pid("/proc/42") == "/proc/" + kDyn);
  CHECK(rewrite_proc_pid("/proc/self/status") == "/proc/self/status");
  CHECK(rewrite_proc_pid("/proc/12ab/x") == "/proc/12ab/x");
  CHECK(rewrite_proc_pid("/host/proc/1/x") == "/host/proc/1/x");
  CHECK(rewrite_proc_pid("/proc/sys/kernel") == "/proc/sys/kernel");
}

static std::vector<std::uint8_t> query(const std::string& name) {
  std::vector<std::uint8_t> m = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    m.push_back(static_cast<std::uint8_t>(dot - start));
    for (std::size_t i = start; i < dot; ++i) m.push_back(static_cast<std::uint8_t>(name[i]));
    start = dot + 1;
  }
  m.insert(m.end(), {0, 0, 1, 0, 1});
  return m;
}

TEST_CASE("DNS query names are parsed with the trailing dot; malformed input gives nothing") {
  auto q = query("registry.npmjs.org");
  CHECK(detail::dns_query_name(q.data(), q.size()) == "registry.npmjs.org.");
  CHECK(detail::dns_query_name(q.data(), 12) == "");
  auto truncated = q;
  truncated.resize(20);
  CHECK(detail::dns_query_name(truncated.data(), truncated.size()) == "");
  auto pointer = q;
  pointer[12] = 0xc0;  // a compression pointer has no place in a query
  CHECK(detail::dns_query_name(pointer.data(), pointer.size()) == "");
  auto no_questions = q;
  no_questions[5] = 0;
  CHECK(detail::dns_query_name(no_questions.data(), no_questions.size()) == "");
}

TEST_CASE("syscall, flag and capability names") {
  CHECK(syscall_name(0) == "read");
  CHECK(syscall_name(59) == "execve");
  CHECK(syscall_name(257) == "openat");
  CHECK(syscall_name(435) == "clone3");
  CHECK(syscall_name(437) == "openat2");
  CHECK(syscall_name(-1) == "");
  CHECK(syscall_name(100000) == "");
  CHECK(open_flag_names(0) == std::vector<std::string>{"O_RDONLY"});
  CHECK(open_flag_names(02000000 | 01 | 0100 | 01000) ==
        std::vector<std::string>{"O_WRONLY", "O_CREAT", "O_TRUNC", "O_CLOEXEC"});
  CHECK(open_flag_names(02 | 0200000) == std::vector<std::string>{"O_RDWR", "O_DIRECTORY"});
  CHECK(open_flag_names(04010000) == std::vector<std::string>{"O_RDONLY", "O_SYNC"});
  CHECK(capability_name(0) == "CHOWN");
  CHECK(capability_name(21) == "SYS_ADMIN");
  CHECK(capability_name(40) == "CHECKPOINT_RESTORE");
  CHECK(capability_name(41) == "");
}

TEST_CASE("volatile segments: UUIDs, long hex ids, timestamps, pids") {
  CHECK(detail::volatile_segment("0b4c5e0e-8c7a-4d8e-9a53-1f2e3d4c5b6a"));
  CHECK(detail::volatile_segment("file-0b4c5e0e-8c7a-4d8e-9a53-1f2e3d4c5b6a.json"));
  CHECK(detail::volatile_segment("3f2a9c0d1e4b5a6978f0"));
  CHECK(detail::volatile_segment("2026-12-03T13_40_01_123Z-debug-0.log"));
  CHECK(detail::volatile_segment("123456"));
  CHECK_FALSE(detail::volatile_segment("node_modules"));
  CHECK_FALSE(detail::volatile_segment("lib64"));
  CHECK_FALSE(detail::volatile_segment("1.2.3"));
  CHECK_FALSE(detail::volatile_segment("ab"));
  CHECK_FALSE(detail::volatile_segment("deadbeefcafebabe"));  // letters only: a word, not an id
}

TEST_CASE("volatile segments: mktemp's default tmp.XXXXXXXXXX") {
  // `tmp.` + exactly 10 of [A-Za-z0-9] mixing at least two of lower, upper, digit; whole segment.
  struct Case {
    const char* segment;
    bool is_volatile;
  };
  for (const Case& c : std::vector<Case>{
           {"tmp.Qx3ZpL0aB7", true},    // all three classes
           {"tmp.qx3zpl0ab7", true},    // lower + digit
           {"tmp.QXZPLABCDE", false},   // upper only
           {"tmp.QxZpLaBcDe", true},    // lower + upper
           {"tmp.configfile", false},   // a word: lower only
           {"tmp.1234567890", false},   // digits only: not what mktemp makes (1 in 10^8)
           {"tmp.Qx3ZpL0aB", false},    // 9 characters
           {"tmp.Qx3ZpL0aB7x", false},  // 11 characters
           {"xtmp.Qx3ZpL0aB7", false},  // not the prefix `tmp.`
           {"TMP.Qx3ZpL0aB7", false},
           {"tmp.Qx3ZpL0aB7.d", false},  // not the whole segment
           {"tmp.Qx3Zp-0aB7", false},    // outside [A-Za-z0-9]
           {"tmp.Qx3Zp_0aB7", false},
           {"tmp.", false},
       }) {
    CAPTURE(c.segment);
    CHECK(detail::volatile_segment(c.segment) == c.is_volatile);
  }
  CHECK(detail::generalize_volatile_path("/tmp/tmp.Qx3ZpL0aB7/file") == "/tmp/" + kDyn + "/file");
  CHECK(detail::generalize_volatile_path("/tmp/tmp.configfile/file") == "/tmp/tmp.configfile/file");
}

TEST_CASE("volatile segments of a path become ⋯, whole segments only, the rest stays as is") {
  using detail::generalize_volatile_path;
  const std::string uuid = "0b4c5e0e-8c7a-4d8e-9a53-1f2e3d4c5b6a";
  CHECK(generalize_volatile_path("/usr/lib/x86_64-linux-gnu") == "/usr/lib/x86_64-linux-gnu");
  CHECK(generalize_volatile_path("/") == "/");
  CHECK(generalize_volatile_path("") == "");
  CHECK(generalize_volatile_path("/tmp/" + uuid) == "/tmp/" + kDyn);
  CHECK(generalize_volatile_path("/tmp/" + uuid + "/") == "/tmp/" + kDyn + "/");
  CHECK(generalize_volatile_path("/run/123456/" + uuid + "/x.json") ==
        "/run/" + kDyn + "/" + kDyn + "/x.json");
  CHECK(generalize_volatile_path(uuid + "/rel") == kDyn + "/rel");
  CHECK(generalize_volatile_path("/a/" + uuid + ".lock/b") == "/a/" + kDyn + "/b");
  CHECK(generalize_volatile_path("/proc/1/status") == "/proc/1/status");  // 1-3 digits stay
  // O_TMPFILE: the kernel names the file `#<inode>`, a new number every run.
  CHECK(generalize_volatile_path("/tmp/#10961036") == "/tmp/" + kDyn);
  CHECK(generalize_volatile_path("/tmp/#1") == "/tmp/" + kDyn);
  CHECK(generalize_volatile_path("/tmp/#notes") == "/tmp/#notes");
}

namespace {

Observation observation(const std::vector<std::string>& paths,
                        const std::vector<std::vector<std::string>>& argvs) {
  Observation o;
  o.root = ProcessKey{100, 1};
  o.kernel_release = "6.18.44";
  o.traced_kinds = {"exec", "open", "syscall", "network", "dns", "capability"};
  o.roots = {{"home", "/home/vendor"}, {"tmp", "/tmp"}};
  for (const auto& argv : argvs) {
    ExecEvent e;
    e.process = o.root;
    e.exe_path = "/usr/bin/node";
    e.filename = argv.front();
    e.args = argv;
    o.execs.push_back(e);
  }
  for (const auto& path : paths) {
    OpenEvent open;
    open.process = o.root;
    open.path = path;
    open.flags = {"O_RDONLY", "O_CLOEXEC"};
    o.opens.push_back(open);
  }
  o.syscalls = {"openat", "read"};
  o.capabilities.push_back(CapabilityEvent{o.root, "CHOWN"});
  o.network.push_back(NetworkEvent{o.root, "outbound", "TCP", "127.0.0.1", 4873});
  o.dns.push_back(DnsEvent{o.root, "registry.npmjs.org."});
  return o;
}

std::vector<std::string> open_paths(const bob::profile::Profile& p) {
  std::vector<std::string> out;
  for (const auto& o : p.containers.front().opens) out.push_back(o.path);
  return out;
}

}  // namespace

TEST_CASE("one run: specific profile with annotations; UUID segments become ⋯") {
  auto o = observation({"/etc/passwd", "/tmp/0b4c5e0e-8c7a-4d8e-9a53-1f2e3d4c5b6a/x.json"},
                       {{"/usr/bin/node", "install.js"}});
  RecordOptions options;
  options.name = "vendor-installer";
  auto p = observation_to_profile(o, options);
  CHECK(p.metadata["name"] == "vendor-installer");
  const auto& annotations = p.metadata["annotations"];
  CHECK(annotations["kubescape.io/status"] == "completed");
  CHECK(annotations["kubescape.io/completion"] == "complete");
  auto recorded = bob::profile::Json::parse(annotations[kAnnotationRecordedWith].get<std::string>());
  CHECK(recorded["kernel"] == "6.18.44");
  CHECK(recorded["traced"].size() == 6);
  auto roots = bob::profile::Json::parse(annotations[kAnnotationRoots].get<std::string>());
  CHECK(roots["home"] == "/home/vendor");
  REQUIRE(p.containers.size() == 1);
  const auto& c = p.containers.front();
  CHECK(c.name == "vendor-installer");
  CHECK(open_paths(p) == std::vector<std::string>{"/etc/passwd", "/tmp/" + kDyn + "/x.json"});
  CHECK(c.opens.front().flags == std::vector<std::string>{"O_CLOEXEC", "O_RDONLY"});
  REQUIRE(c.execs.size() == 1);
  CHECK(c.execs.front().path == "/usr/bin/node");
  CHECK(c.execs.front().args == std::vector<std::string>{"/usr/bin/node", "install.js"});
  CHECK(c.syscalls == std::vector<std::string>{"openat", "read"});
  CHECK(c.capabilities == std::vector<std::string>{"CHOWN"});
  REQUIRE(c.endpoints.size() == 1);
  CHECK(c.endpoints.front().endpoint == ":4873");
  CHECK(c.endpoints.front().direction == "outbound");
  auto nn = bob::profile::Json::parse(annotations["bob.dev/network-neighborhood"].get<std::string>());
  CHECK(nn["egress"].size() == 2);
}

TEST_CASE("opens are listed in segment order, the same from one run and from several") {
  // Segment order: "/a/b" (segments a, b) comes before "/a-c" (segment a-c), though '-' sorts
  // before '/' as a byte; a path comes before the paths below it; flags are unioned and sorted.
  auto o = observation({"/a-c", "/a/b", "/a", "/a/b", "/ab", "/a/b/c"}, {{"/usr/bin/node"}});
  o.opens[3].flags = {"O_WRONLY", "O_CREAT"};
  const std::vector<std::string> expected = {"/a", "/a/b", "/a/b/c", "/a-c", "/ab"};
  auto one = observation_to_profile(o, RecordOptions{});
  CHECK(open_paths(one) == expected);
  CHECK(one.containers.front().opens[1].flags ==
        std::vector<std::string>{"O_CLOEXEC", "O_CREAT", "O_RDONLY", "O_WRONLY"});
  auto two = observations_to_profile({o, o}, RecordOptions{});
  CHECK(open_paths(two) == expected);
  CHECK(two.containers.front().opens[1].flags == one.containers.front().opens[1].flags);
}

namespace {

// The same runs as bob record keeps them: each run's opens folded into an OpenSet.
std::vector<Recording> as_recordings(const std::vector<Observation>& observations) {
  std::vector<Recording> runs;
  for (const auto& o : observations) {
    Recording run;
    for (const auto& open : o.opens) add_open(run, open);
    run.observation = o;
    run.observation.opens.clear();
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace

TEST_CASE("opens folded while a run goes on give the profile that kept events give") {
  auto a = observation({"/a-c", "/a/b", "/tmp/0b4c5e0e-8c7a-4d8e-9a53-1f2e3d4c5b6a/x.json",
                        "/home/vendor/.npm/_cacache/tmp/4GusJE/pkg.tgz", "/a/b"},
                       {{"/usr/bin/node", "install.js"}});
  a.opens[4].flags = {"O_WRONLY", "O_CREAT"};
  auto b = observation({"/home/vendor/.npm/_cacache/tmp/Qp9rTz/pkg.tgz", "/a/b"},
                       {{"/usr/bin/node", "install.js"}});
  OpenSet folded = as_recordings({a}).front().opens;
  REQUIRE(folded.size() == 4);
  CHECK(folded.begin()->first == "/a/b");  // segment order: "/a/b" before "/a-c"
  CHECK(folded.begin()->second ==
        std::vector<std::string>{"O_CLOEXEC", "O_CREAT", "O_RDONLY", "O_WRONLY"});
  CHECK(folded.count("/tmp/" + kDyn + "/x.json") == 1);
  for (const auto& runs : std::vector<std::vector<Observation>>{{a}, {a, b}}) {
    CAPTURE(runs.size());
    auto kept = observations_to_profile(runs, RecordOptions{"npm", "", ""});
    auto streamed = recordings_to_profile(as_recordings(runs), RecordOptions{"npm", "", ""});
    CHECK(bob::profile::to_string(streamed, bob::profile::Format::yaml) ==
          bob::profile::to_string(kept, bob::profile::Format::yaml));
  }
}

TEST_CASE("the decoder hands opens to the sink instead of keeping them") {
  bob_open_event ev{};
  ev.h.type = BOB_EV_OPEN;
  ev.h.pid = ev.h.tid = 4242;
  ev.h.start_ns = 7;
  ev.ret = 3;
  ev.flags = 0;  // O_RDONLY
  ev.syscall = BOB_OPENAT;
  ev.dirfd = -100;
  ev.path_kind = BOB_PATH_FILE;
  const std::string fname = "passwd";
  const std::string path = "/etc/passwd";
  std::memcpy(ev.data, fname.data(), fname.size());
  std::memcpy(ev.data + fname.size(), path.data(), path.size());
  ev.fname_len = static_cast<__u32>(fname.size());
  ev.path_len = static_cast<__s32>(path.size());
  const std::size_t size = offsetof(bob_open_event, data) + fname.size() + path.size();

  Observation kept;
  detail::Decoder keeping(kept, 4242);
  keeping.handle(&ev, size);
  REQUIRE(kept.opens.size() == 1);
  CHECK(kept.opens.front().path == "/etc/passwd");

  Observation observation;
  std::vector<OpenEvent> sunk;
  detail::Decoder decoder(observation, 4242);
  decoder.set_open_sink([&](OpenEvent&& open) { sunk.push_back(std::move(open)); });
  decoder.handle(&ev, size);
  CHECK(observation.opens.empty());
  REQUIRE(sunk.size() == 1);
  CHECK(sunk.front().path == "/etc/passwd");
  CHECK(sunk.front().fname == "passwd");
  CHECK(sunk.front().flags == std::vector<std::string>{"O_RDONLY"});
  CHECK(sunk.front().syscall == "openat");
  CHECK(sunk.front().process == kept.opens.front().process);
}

TEST_CASE("several runs: segments that vary between runs become ⋯, the rest stays literal") {
  auto a = observation({"/home/vendor/.npm/_cacache/tmp/4GusJE/pkg.tgz", "/etc/hosts",
                        "/home/vendor/.npm/_cacache/index-v5/first-run-only"},
                       {{"/usr/bin/node", "--tmp=/tmp/abcXYZ"}});
  auto b = observation({"/home/vendor/.npm/_cacache/tmp/Qp9rTz/pkg.tgz", "/etc/hosts"},
                       {{"/usr/bin/node", "--tmp=/tmp/zzzQQQ"}});
  auto p = observations_to_profile({a, b}, RecordOptions{"npm", "", ""});
  auto paths = open_paths(p);
  CHECK(paths == std::vector<std::string>{
                     "/etc/hosts",
                     "/home/vendor/.npm/_cacache/index-v5/first-run-only",
                     "/home/vendor/.npm/_cacache/tmp/" + kDyn + "/pkg.tgz"});
  const auto& execs = p.containers.front().execs;
  REQUIRE(execs.size() == 1);
  CHECK(execs.front().args == std::vector<std::string>{"/usr/bin/node", kDyn});
}

TEST_CASE("an incomplete run never becomes a profile") {
  auto o = observation({"/etc/passwd"}, {});
  o.lost_events = 3;
  try {
    observation_to_profile(o, RecordOptions{});
    FAIL("expected an error");
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::inconclusive);
  }
  o.lost_events = 0;
  o.timed_out = true;
  CHECK_THROWS_AS(observation_to_profile(o, RecordOptions{}), bob::Error);
  o.timed_out = false;
  o.lingering_processes = 1;
  CHECK_FALSE(complete(o));
}

// The error a recording of these opens and argv lists fails with ("" when it makes a profile).
std::string inexpressible_error(const std::vector<std::string>& paths,
                                const std::vector<std::vector<std::string>>& argvs) {
  try {
    observation_to_profile(observation(paths, argvs), RecordOptions{});
    return "";
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::inconclusive);
    return e.what();
  }
}

TEST_CASE("what a profile cannot hold as it is stops the recording") {
  // A glob that matched nothing leaves a literal `*`; in a profile it would match every file.
  CHECK(inexpressible_error({"/tmp/globdir/*"}, {}) ==
        "run 1 did what a profile cannot hold as it is: an open of '/tmp/globdir/*' holds a "
        "segment '*', which a profile reads as a wildcard; no profile written");
  CHECK(inexpressible_error({"/tmp/" + kDyn + "/x"}, {}).find("segment '" + kDyn + "'") !=
        std::string::npos);
  CHECK(inexpressible_error({"/tmp/caf\xe9/x"}, {}).find("'/tmp/caf\\xe9/x' is not UTF-8") !=
        std::string::npos);
  CHECK(inexpressible_error({}, {{"/usr/bin/node", kDyn}}).find("argument '" + kDyn + "'") !=
        std::string::npos);
  CHECK(inexpressible_error({}, {{"/usr/bin/node", "bad\xff"}}).find(
            "argument 'bad\\xff' is not UTF-8") != std::string::npos);
  // A `*` inside a segment, and `⋯`-free arguments with `*`, are literal in a profile.
  CHECK(inexpressible_error({"/tmp/a*b", "/tmp/caf\xc3\xa9"}, {{"/usr/bin/node", "*.js"}}) == "");
  // /proc/⋯/ is the decoder's rewrite of /proc/<pid>/ (node-agent's form), not the command's.
  CHECK(inexpressible_error({"/proc/" + kDyn + "/cgroup"}, {}) == "");
  CHECK(inexpressible_error({"/proc/" + kDyn + "/task/" + kDyn}, {}) != "");
}

TEST_CASE("an interrupted run never becomes a profile") {
  auto o = observation({"/etc/passwd"}, {});
  o.interrupted_by = 15;
  CHECK_FALSE(complete(o));
  CHECK(incompleteness_reason(o).find("SIGTERM") != std::string::npos);
  CHECK_THROWS_AS(observation_to_profile(o, RecordOptions{}), bob::Error);
}

TEST_CASE("a threaded program may read the online CPU list (glibc malloc arenas)") {
  auto o = observation({"/etc/hosts", "/usr/lib/x.so"}, {});
  auto plain = observation_to_profile(o, RecordOptions{});
  CHECK(open_paths(plain) == std::vector<std::string>{"/etc/hosts", "/usr/lib/x.so"});
  o.syscalls.insert("futex");
  auto threaded = observation_to_profile(o, RecordOptions{});
  CHECK(open_paths(threaded) == std::vector<std::string>{"/etc/hosts",
                                                         "/sys/devices/system/cpu/online",
                                                         "/usr/lib/x.so"});
  CHECK(threaded.containers.front().opens[1].flags ==
        std::vector<std::string>{"O_CLOEXEC", "O_RDONLY"});
  // Seen in a run with other flags: the flags are united, the entry stays single.
  OpenEvent seen;
  seen.process = o.root;
  seen.path = "/sys/devices/system/cpu/online";
  seen.flags = {"O_RDONLY"};
  o.opens.push_back(seen);
  auto both = observation_to_profile(o, RecordOptions{});
  CHECK(open_paths(both).size() == 3);
  CHECK(both.containers.front().opens[1].flags ==
        std::vector<std::string>{"O_CLOEXEC", "O_RDONLY"});
}

TEST_CASE("IG v0.48.1 args are rebuilt from the new image's argv when needed") {
  using detail::args_from_cmdline;
  using V = std::vector<std::string>;
  CHECK(args_from_cmdline("/usr/bin/true", {"true", "vfork"}) == V{"/usr/bin/true", "vfork"});
  // a script: the interpreter comes first, then the script as given, then argv[1..]
  CHECK(args_from_cmdline("./s.sh", {"/bin/sh", "./s.sh", "a"}) == V{"./s.sh", "a"});
  CHECK(args_from_cmdline("./s.py", {"/usr/bin/env", "python3", "./s.py", "a"}) ==
        V{"./s.py", "a"});
  V many = {"x"};
  for (int i = 0; i < 30; ++i) many.push_back(std::string(300, 'y'));
  auto args = args_from_cmdline("/bin/x", many);
  CHECK(args.size() == 20);
  CHECK(args[1].size() == 255);
}
