// Helpers for the oci client tests: start the fake registry (tests/oci/fake_registry.py) as a
// child process, talk to its control endpoints, and seed images.
#pragma once

#include <curl/curl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/oci.h"

namespace bob::test {

// One fake registry process, stopped when the object dies.
class FakeRegistry {
 public:
  explicit FakeRegistry(std::vector<std::string> args = {}) : dir_("bob-fake-registry") {
    std::string port_file = (dir_.path() / "port").string();
    std::string script = std::string(BOB_SOURCE_ROOT) + "/tests/oci/fake_registry.py";
    std::vector<std::string> argv = {"python3", script, "--port-file", port_file};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed test
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      freopen("/dev/null", "w", stdout);
      execvp("python3", c.data());
      _exit(127);
    }
    // Wait for the port file (the server writes it once it listens).
    for (int i = 0; i < 400 && !std::filesystem::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (!std::filesystem::exists(port_file)) throw std::runtime_error("fake registry did not start");
    std::ifstream in(port_file);
    in >> port_;
  }
  ~FakeRegistry() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
  }
  FakeRegistry(const FakeRegistry&) = delete;
  FakeRegistry& operator=(const FakeRegistry&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  bob::oci::Reference repo(const std::string& name = "test/app") const {
    return bob::oci::Reference::parse(host() + "/" + name);
  }

  nlohmann::json control(const std::string& what, const nlohmann::json& body = nlohmann::json::object()) {
    std::string url = "http://" + host() + "/_control/" + what;
    std::string payload = body.dump();
    std::string response;
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                     +[](char* d, size_t s, size_t n, void* u) {
                       static_cast<std::string*>(u)->append(d, s * n);
                       return s * n;
                     });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) throw std::runtime_error("control request failed");
    return nlohmann::json::parse(response);
  }
  void quirk(const std::string& name, const nlohmann::json& value = true) {
    control("quirks", {{name, value}});
  }
  nlohmann::json log() { return control("log"); }
  void clear_log() { control("clear-log"); }
  // Requests in the log whose method matches and whose path contains `part`.
  std::vector<nlohmann::json> requests(const std::string& method, const std::string& part) {
    std::vector<nlohmann::json> out;
    for (const auto& e : log()) {
      if (e["method"] == method && e["path"].get<std::string>().find(part) != std::string::npos) {
        out.push_back(e);
      }
    }
    return out;
  }

 private:
  bob::fs::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

inline bob::oci::ClientOptions fast_options() {
  bob::oci::ClientOptions o;
  o.use_docker_config = false;
  o.retry_base_delay_ms = 5;
  o.retry_max_delay_ms = 50;
  return o;
}

// Pushes a small OCI image (config + one layer) and returns its manifest descriptor.
inline bob::oci::Descriptor push_image(bob::oci::Client& client, const bob::oci::Reference& repo,
                                       const std::string& tag = "v1",
                                       const std::string& layer_text = "layer") {
  std::string config = R"({"architecture":"amd64","os":"linux"})";
  auto c = client.push_blob(repo, config);
  auto l = client.push_blob(repo, layer_text);
  nlohmann::ordered_json m = {
      {"schemaVersion", 2},
      {"mediaType", bob::oci::kOciManifest},
      {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", c.digest},
                  {"size", config.size()}}},
      {"layers", {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", l.digest},
                   {"size", layer_text.size()}}}}};
  std::string bytes = m.dump();
  std::string digest = client.put_manifest(repo, bob::oci::kOciManifest, bytes, tag);
  bob::oci::Descriptor d;
  d.media_type = bob::oci::kOciManifest;
  d.digest = digest;
  d.size = static_cast<std::int64_t>(bytes.size());
  return d;
}

// Builds a referrer manifest (empty config, one layer) for subject, pushing its blobs.
inline std::string referrer_manifest(bob::oci::Client& client, const bob::oci::Reference& repo,
                                     const bob::oci::Descriptor& subject,
                                     const std::string& artifact_type, const std::string& payload,
                                     bool with_artifact_type = true) {
  client.push_blob(repo, "{}");
  auto layer = client.push_blob(repo, payload);
  nlohmann::ordered_json m = {{"schemaVersion", 2}, {"mediaType", bob::oci::kOciManifest}};
  if (with_artifact_type) m["artifactType"] = artifact_type;
  m["config"] = {{"mediaType", with_artifact_type ? std::string(bob::oci::kEmptyJson) : artifact_type},
                 {"digest", bob::oci::kEmptyJsonDigest},
                 {"size", 2}};
  m["layers"] = {{{"mediaType", "application/yaml"}, {"digest", layer.digest},
                  {"size", payload.size()}}};
  m["subject"] = {{"mediaType", subject.media_type}, {"digest", subject.digest},
                  {"size", subject.size}};
  m["annotations"] = {{"org.opencontainers.image.created", "2026-01-02T03:04:05Z"}};
  return m.dump();
}

// Runs f, expecting a bob::Error with `code` whose message contains `part`; returns the message.
template <typename F>
std::string expect_error(F&& f, bob::Exit code, const std::string& part) {
  try {
    f();
  } catch (const bob::Error& e) {
    std::string what = e.what();
    if (e.code() != code || what.find(part) == std::string::npos) {
      throw std::runtime_error("unexpected error (code " + std::to_string(int(e.code())) +
                               "): " + what);
    }
    return what;
  }
  throw std::runtime_error("expected an error containing '" + part + "'");
}

}  // namespace bob::test
