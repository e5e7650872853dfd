// The client over TLS, against the fake registry serving https (fake_registry.py --tls) with a
// CA made for the test by make_test_certs.sh: verification with the CA file, the TLS error
// without it or with another CA, https -> http redirects refused, and Authorization kept off
// other hosts behind https too (G8).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "test_client_support.h"

using bob::Exit;
using bob::oci::Client;
using bob::oci::ClientOptions;
using bob::oci::Descriptor;
using bob::test::expect_error;
using bob::test::FakeRegistry;
using bob::test::fast_options;

namespace {

// Certificates for 127.0.0.1/localhost, made once per test program.
struct Certs {
  bob::fs::TempDir dir{"bob-tls-certs"};
  std::string ca, other_ca, cert, key;
  Certs() {
    std::string script = std::string(BOB_SOURCE_ROOT) + "/tests/oci/make_test_certs.sh";
    std::string command = "bash '" + script + "' '" + dir.path().string() + "' >/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("make_test_certs.sh failed");
    ca = (dir.path() / "ca.crt").string();
    other_ca = (dir.path() / "other-ca.crt").string();
    cert = (dir.path() / "server.crt").string();
    key = (dir.path() / "server.key").string();
  }
};

Certs& certs() {
  static Certs c;
  return c;
}

FakeRegistry tls_registry(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--tls", certs().cert, certs().key};
  args.insert(args.end(), extra.begin(), extra.end());
  return FakeRegistry(args);
}

ClientOptions tls_options(const FakeRegistry& registry, const std::string& ca_file) {
  ClientOptions o = fast_options();
  o.ca_file = ca_file;
  o.tls_registries = {registry.host()};
  return o;
}

// The fake's request log, read over https (FakeRegistry::control speaks plain http).
nlohmann::json tls_log(const FakeRegistry& registry) {
  std::string url = "https://" + registry.host() + "/_control/log";
  std::string response;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{}");
  curl_easy_setopt(curl, CURLOPT_CAINFO, certs().ca.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(d, s * n);
    return s * n;
  });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw std::runtime_error("log request over https failed");
  return nlohmann::json::parse(response);
}

}  // namespace

TEST_CASE("TLS: with the CA file a loopback https registry named in tls_registries works") {
  auto registry = tls_registry();
  Client client(tls_options(registry, certs().ca));
  auto repo = registry.repo();
  auto image = bob::test::push_image(client, repo);
  CHECK(client.resolve(repo.with_tag("v1")).digest == image.digest);
  auto pushed = client.push_blob(repo, "over tls");
  CHECK(client.fetch_blob(repo, Descriptor{"application/octet-stream", pushed.digest, 8}) ==
        "over tls");
  // Every request reached the https listener (the log is only reachable over https too).
  CHECK(tls_log(registry).size() >= 5);
}

TEST_CASE("TLS: without the CA, or with another CA, verification fails with exit 3") {
  auto registry = tls_registry();
  auto repo = registry.repo();
  for (const std::string& ca : {std::string(), certs().other_ca}) {
    CAPTURE(ca);
    Client client(tls_options(registry, ca));
    auto message = expect_error([&] { client.resolve(repo.with_tag("v1")); }, Exit::registry,
                                "TLS verification failed");
    CHECK(message.find("https://" + registry.host()) != std::string::npos);
    // Not retried: a certificate that does not verify will not verify a second later.
    CHECK(client.stats().requests == 1);
  }
  CHECK(tls_log(registry).empty());
}

TEST_CASE("TLS: an unreadable CA file is named in the error") {
  auto registry = tls_registry();
  Client client(tls_options(registry, "/nonexistent/ca.pem"));
  expect_error([&] { client.resolve(registry.repo().with_tag("v1")); }, Exit::registry,
               "cannot use the CA file /nonexistent/ca.pem");
}

TEST_CASE("TLS: a loopback registry not named in tls_registries is spoken to in plain HTTP") {
  auto registry = tls_registry();
  ClientOptions o = fast_options();
  o.ca_file = certs().ca;
  o.max_attempts = 1;
  Client client(o);
  // Plain HTTP against the https listener fails; nothing is sent in clear text that it accepts.
  CHECK_THROWS_AS(client.resolve(registry.repo().with_tag("v1")), bob::Error);
  CHECK(tls_log(registry).empty());
  // tls_registries wins over insecure_registries for the same name.
  o.insecure_registries = {registry.host()};
  o.tls_registries = {registry.host()};
  Client both(o);
  expect_error([&] { both.resolve(registry.repo().with_tag("v1")); }, Exit::registry,
               "manifest");  // reached over https: a registry 404, not a TLS error
}

TEST_CASE("TLS: a redirect from https to http is refused and nothing is fetched") {
  auto registry = tls_registry({"--quirk", "redirect_to_http"});
  Client client(tls_options(registry, certs().ca));
  auto repo = registry.repo();
  auto pushed = client.push_blob(repo, "downgrade");
  auto message = expect_error(
      [&] { client.fetch_blob(repo, Descriptor{"application/octet-stream", pushed.digest, 9}); },
      Exit::registry, "refusing the downgrade");
  CHECK(message.find("http://127.0.0.1") != std::string::npos);
  for (const auto& e : tls_log(registry)) CHECK(e["path"].get<std::string>().find("/_storage/") ==
                                                std::string::npos);
}

TEST_CASE("G8 over TLS: Authorization never goes to another host on a redirect") {
  auto registry = tls_registry({"--auth", "bearer", "--quirk", "blob_redirect", "--quirk",
                                "cross_host_location"});
  Client client(tls_options(registry, certs().ca));
  auto repo = registry.repo();
  auto pushed = client.push_blob(repo, "cross host tls");
  CHECK(client.fetch_blob(repo, Descriptor{"application/octet-stream", pushed.digest, 14}) ==
        "cross host tls");
  bool saw_other_host = false, saw_own_bearer = false;
  for (const auto& e : tls_log(registry)) {
    if (e["host"].get<std::string>().rfind("localhost:", 0) == 0) {
      saw_other_host = true;
      CHECK(e["auth"] == "");
    } else if (e["auth"] == "Bearer") {
      saw_own_bearer = true;
    }
  }
  CHECK(saw_other_host);
  CHECK(saw_own_bearer);
}
