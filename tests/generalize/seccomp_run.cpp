// Test helper: run a command under a seccomp profile in the OCI/Kubernetes JSON format that
// `bob export --format seccomp` writes, loaded with libseccomp the way a container runtime does.
//
// usage: seccomp_run PROFILE.json /ABSOLUTE/CMD [ARGS...]
// Exit status: the command's own, 128+signal if it was killed, 2 for a bad profile or usage.
// (C++ rather than C so that the JSON is read by nlohmann-json, not by hand.)
#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "seccomp_run: %s\n", message.c_str());
  return 2;
}

bool action_of(const std::string& name, unsigned errno_ret, uint32_t& action) {
  if (name == "SCMP_ACT_ALLOW") action = SCMP_ACT_ALLOW;
  else if (name == "SCMP_ACT_ERRNO") action = SCMP_ACT_ERRNO(errno_ret);
  else if (name == "SCMP_ACT_LOG") action = SCMP_ACT_LOG;
  else if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") action = SCMP_ACT_KILL;
  else if (name == "SCMP_ACT_KILL_PROCESS") action = SCMP_ACT_KILL_PROCESS;
  else return false;
  return true;
}

// Builds and loads the filter, then execs. Runs in the child; returns only on failure.
int load_and_exec(const nlohmann::json& profile, char** command) {
  const unsigned errno_ret = profile.value("defaultErrnoRet", EPERM);
  uint32_t default_action = 0;
  if (!action_of(profile.value("defaultAction", ""), errno_ret, default_action)) {
    return usage_error("unknown defaultAction");
  }
  scmp_filter_ctx ctx = seccomp_init(default_action);
  if (!ctx) return usage_error("seccomp_init failed");
  bool native_listed = false;
  for (const auto& arch : profile.value("architectures", nlohmann::json::array())) {
    std::string name = arch.get<std::string>();
    if (name.rfind("SCMP_ARCH_", 0) != 0) return usage_error("bad architecture " + name);
    std::string lower = name.substr(10);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    uint32_t token = seccomp_arch_resolve_name(lower.c_str());
    if (token == 0) return usage_error("libseccomp does not know " + name);
    if (token == seccomp_arch_native()) {
      native_listed = true;
      continue;
    }
    int rc = seccomp_arch_add(ctx, token);
    if (rc != 0 && rc != -EEXIST) return usage_error("cannot add " + name);
  }
  if (!native_listed) return usage_error("the profile does not list this machine's architecture");
  for (const auto& rule : profile.value("syscalls", nlohmann::json::array())) {
    uint32_t action = 0;
    if (!action_of(rule.value("action", ""), errno_ret, action)) {
      return usage_error("unknown rule action");
    }
    for (const auto& name : rule.value("names", nlohmann::json::array())) {
      int nr = seccomp_syscall_resolve_name(name.get<std::string>().c_str());
      if (nr == __NR_SCMP_ERROR) {
        std::fprintf(stderr, "seccomp_run: unknown syscall %s skipped\n",
                     name.get<std::string>().c_str());
        continue;
      }
      if (seccomp_rule_add(ctx, action, nr, 0) != 0) return usage_error("seccomp_rule_add failed");
    }
  }
  if (seccomp_load(ctx) != 0) return usage_error("seccomp_load failed");
  // From here on the only syscall before the command runs is its execve: the context is not
  // released (free could call munmap or brk), as the exec discards this address space anyway.
  execv(command[0], command);
  return 127;  // nothing may be printable any more: the filter may forbid write
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argv[2][0] != '/') {
    return usage_error("usage: seccomp_run PROFILE.json /ABSOLUTE/CMD [ARGS...]");
  }
  std::ifstream file(argv[1]);
  if (!file) return usage_error(std::string("cannot read ") + argv[1]);
  std::stringstream text;
  text << file.rdbuf();
  nlohmann::json profile;
  try {
    profile = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    return usage_error(std::string("bad JSON: ") + e.what());
  }
  std::fflush(nullptr);
  pid_t child = fork();
  if (child < 0) return usage_error(std::string("fork: ") + std::strerror(errno));
  if (child == 0) _exit(load_and_exec(profile, argv + 2));
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return usage_error(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
