// Credentials from docker's config.json and docker-credential-* helpers (oci-registry.md §13).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "bob/fsutil.h"
#include "bob/log.h"
#include "oci_internal.h"

namespace bob::oci {
namespace {

// Docker Hub credentials live under this legacy key.
constexpr const char* kDockerHubKey = "https://index.docker.io/v1/";

std::string config_path(const std::string& dir) {
  if (!dir.empty()) return (std::filesystem::path(dir) / "config.json").string();
  if (const char* env = std::getenv("DOCKER_CONFIG"); env != nullptr && *env != '\0') {
    return (std::filesystem::path(env) / "config.json").string();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return (std::filesystem::path(home) / ".docker" / "config.json").string();
  }
  return {};
}

// "https://host:5000/v1/" -> "host:5000".
std::string strip_key(std::string key) {
  for (const char* prefix : {"https://", "http://"}) {
    if (key.rfind(prefix, 0) == 0) key.erase(0, std::strlen(prefix));
  }
  return key.substr(0, key.find('/'));
}

bool is_docker_hub(std::string_view registry) {
  return registry == "docker.io" || registry == "registry-1.docker.io" ||
         registry == "index.docker.io";
}

// Runs `docker-credential-<helper> get` with the server address on stdin; returns its stdout.
// Bounded in output size and time so a broken helper cannot hang or flood bob.
std::optional<std::string> run_helper(const std::string& helper, const std::string& server) {
  if (helper.empty() || helper.find('/') != std::string::npos) {
    fail(Exit::usage, "docker config names an invalid credential helper '" + helper + "'");
  }
  std::string program = "docker-credential-" + helper;
  int in_pipe[2], out_pipe[2];
  if (pipe(in_pipe) != 0) fail(Exit::registry, "cannot run " + program + ": pipe failed");
  if (pipe(out_pipe) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    fail(Exit::registry, "cannot run " + program + ": pipe failed");
  }
  pid_t pid = fork();
  if (pid < 0) fail(Exit::registry, "cannot run " + program + ": fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2);
    close(in_pipe[0]);
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(out_pipe[1]);
    execlp(program.c_str(), program.c_str(), "get", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  // The address is a few bytes: one write cannot block on the pipe buffer.
  // A helper that exits without reading stdin must not kill bob with SIGPIPE; bob, like most
  // network tools, ignores SIGPIPE process-wide from here on.
  signal(SIGPIPE, SIG_IGN);
  ssize_t ignored = write(in_pipe[1], server.data(), server.size());
  (void)ignored;
  close(in_pipe[1]);

  std::string output;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool timed_out = false;
  char buffer[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out_pipe[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    ssize_t n = read(out_pipe[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
    if (output.size() > (64u << 10)) break;
  }
  close(out_pipe[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) fail(Exit::registry, program + " did not answer within 30 seconds");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && output.empty()) {
    fail(Exit::registry, "the credential helper " + program + " named in the docker config is not "
                         "installed (not found on PATH)");
  }
  if (output.find("credentials not found") != std::string::npos) return std::nullopt;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail(Exit::registry, "the credential helper " + program + " failed for " + server);
  }
  return output;
}

Credential credential_from_helper(const std::string& helper, const std::string& server) {
  auto output = run_helper(helper, server);
  if (!output) return {};
  auto j = nlohmann::json::parse(*output, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    fail(Exit::registry, "the credential helper docker-credential-" + helper +
                             " printed something that is not JSON");
  }
  Credential c;
  std::string username = j.value("Username", "");
  std::string secret = j.value("Secret", "");
  log::add_secret(secret);
  // "<token>" as the user name marks the secret as an identity (refresh) token.
  if (username == "<token>") {
    c.identity_token = secret;
  } else {
    c.username = username;
    c.password = secret;
  }
  return c;
}

Credential credential_from_auths_entry(const nlohmann::json& entry, const std::string& key) {
  Credential c;
  if (!entry.is_object()) return c;
  if (entry.contains("auth") && entry["auth"].is_string() &&
      !entry["auth"].get<std::string>().empty()) {
    std::string decoded;
    try {
      decoded = detail::base64_decode(entry["auth"].get<std::string>());
    } catch (const Error&) {
      fail(Exit::usage, "docker config: the \"auth\" value for " + key + " is not valid base64");
    }
    auto colon = decoded.find(':');
    if (colon == std::string::npos) {
      fail(Exit::usage, "docker config: the \"auth\" value for " + key +
                            " does not decode to user:password");
    }
    c.username = decoded.substr(0, colon);
    c.password = decoded.substr(colon + 1);
  }
  if (entry.contains("username") && entry["username"].is_string() && c.username.empty()) {
    c.username = entry["username"].get<std::string>();
  }
  if (entry.contains("password") && entry["password"].is_string() && c.password.empty()) {
    c.password = entry["password"].get<std::string>();
  }
  if (entry.contains("identitytoken") && entry["identitytoken"].is_string()) {
    c.identity_token = entry["identitytoken"].get<std::string>();
  }
  if (entry.contains("registrytoken") && entry["registrytoken"].is_string()) {
    c.registry_token = entry["registrytoken"].get<std::string>();
  }
  return c;
}

}  // namespace

Credential find_docker_credential(std::string_view registry_view, const std::string& config_dir) {
  std::string registry(registry_view);
  std::string path = config_path(config_dir);
  if (path.empty() || !std::filesystem::exists(path)) return {};
  auto j = nlohmann::json::parse(fs::read_file(path, 4u << 20), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    fail(Exit::usage, "docker config " + path + " is not valid JSON");
  }
  std::string server = is_docker_hub(registry) ? kDockerHubKey : registry;
  Credential found;

  // 1. A helper for this registry, 2. the default store, 3. the inline auths.
  if (j.contains("credHelpers") && j["credHelpers"].is_object()) {
    for (const auto& [key, value] : j["credHelpers"].items()) {
      bool match = key == server || strip_key(key) == registry ||
                   (is_docker_hub(registry) && is_docker_hub(strip_key(key)));
      if (match && value.is_string()) {
        found = credential_from_helper(value.get<std::string>(), server);
        if (!found.empty()) return found;
      }
    }
  }
  if (j.contains("credsStore") && j["credsStore"].is_string() &&
      !j["credsStore"].get<std::string>().empty()) {
    found = credential_from_helper(j["credsStore"].get<std::string>(), server);
    if (!found.empty()) return found;
  }
  if (j.contains("auths") && j["auths"].is_object()) {
    const auto& auths = j["auths"];
    if (auths.contains(server)) {
      found = credential_from_auths_entry(auths[server], server);
    } else {
      for (const auto& [key, value] : auths.items()) {
        std::string stripped = strip_key(key);
        if (stripped == registry || (is_docker_hub(registry) && is_docker_hub(stripped)) ||
            (is_docker_hub(registry) && key == kDockerHubKey)) {
          found = credential_from_auths_entry(value, key);
          break;
        }
      }
    }
  }
  for (const auto* secret : {&found.password, &found.identity_token, &found.registry_token}) {
    if (!secret->empty()) log::add_secret(*secret);
  }
  return found;
}

}  // namespace bob::oci
