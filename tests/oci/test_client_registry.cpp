// The oci client against a real docker-registry 2.8.2 (no referrers API: the fallback path),
// started by tests/oci/registry_harness.py in plain, htpasswd and token-auth modes.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "../../libbob/src/oci/oci_internal.h"
#include "prereq.h"
#include "test_client_support.h"

using bob::Exit;
using bob::oci::Client;
using bob::oci::Descriptor;
using bob::oci::kOciIndex;
using bob::oci::kOciManifest;
using bob::test::expect_error;
using bob::test::push_image;
using bob::test::referrer_manifest;

namespace {

const std::string kBobType = "application/vnd.bob.test+yaml";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string host() { return env("BOB_TEST_REGISTRY"); }
std::string mode() { return env("BOB_TEST_REGISTRY_MODE"); }

bob::oci::ClientOptions options() {
  auto o = bob::test::fast_options();
  if (mode() != "plain") {
    o.credentials[host()] =
        bob::oci::Credential{env("BOB_TEST_REGISTRY_USER"), env("BOB_TEST_REGISTRY_PASSWORD")};
  }
  return o;
}

// A repository name unique to this test case, so cases do not see each other's tags.
bob::oci::Reference fresh_repo(const std::string& name) {
  static int counter = 0;
  return bob::oci::Reference::parse(host() + "/bob-test/" + name + "-" + std::to_string(++counter));
}

std::set<std::string> digests(const std::vector<Descriptor>& list) {
  std::set<std::string> out;
  for (const auto& d : list) out.insert(d.digest);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bob::test::require(!host().empty(),
                     "a docker-registry started by tests/oci/registry_harness.py (BOB_TEST_REGISTRY)");
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  return context.run();
}

TEST_CASE("docker-registry: blobs monolithic, chunked and mounted; manifests by tag and digest") {
  Client client(options());
  auto repo = fresh_repo("blobs");
  auto image = push_image(client, repo);
  CHECK(client.resolve(repo.with_tag("v1")).digest == image.digest);
  auto m = client.get_manifest(repo.with_digest(image.digest));
  CHECK(m.media_type == kOciManifest);

  std::string big(300000, 'x');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  auto chunk_options = options();
  chunk_options.chunk_threshold = 100000;
  chunk_options.chunk_size = 65536;
  Client chunked(chunk_options);
  auto pushed = chunked.push_blob(repo, big);
  CHECK(pushed.uploaded);
  Descriptor d{"application/octet-stream", pushed.digest, static_cast<std::int64_t>(big.size())};
  CHECK(client.fetch_blob(repo, d) == big);

  auto other = fresh_repo("mount-target");
  auto mounted = client.push_blob(other, big, pushed.digest, repo.repository);
  CHECK(mounted.mounted);
  CHECK(client.blob_exists(other, pushed.digest));
  CHECK_FALSE(client.push_blob(repo, big).uploaded);  // present: skipped
}

TEST_CASE("docker-registry: the Accept quirk is real (R28) and bob's full Accept avoids it") {
  Client client(options());
  auto repo = fresh_repo("accept");
  auto image = push_image(client, repo);
  // Ask the way a careless client would: no OCI types in Accept.
  if (mode() == "plain") {
    std::string url = "http://" + host() + "/v2/" + repo.repository + "/manifests/v1";
    std::string body;
    CURL* curl = curl_easy_init();
    curl_slist* headers = curl_slist_append(nullptr, "Accept: application/vnd.docker.distribution.manifest.v2+json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* u) {
      static_cast<std::string*>(u)->append(p, s * n);
      return s * n;
    });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    REQUIRE(curl_easy_perform(curl) == CURLE_OK);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    bob::oci::detail::HttpResponse r;
    r.status = status;
    r.body = body;
    CHECK(bob::oci::detail::is_accept_quirk(r));
  }
  CHECK(client.get_manifest(repo.with_tag("v1")).digest == image.digest);
}

TEST_CASE("docker-registry: attach through the fallback tag, list, filter, remove, repair") {
  Client client(options());
  auto repo = fresh_repo("referrers");
  auto image = push_image(client, repo);
  auto a = client.put_manifest_with_subject(repo, kOciManifest,
                                            referrer_manifest(client, repo, image, kBobType, "a"));
  auto sig = client.put_manifest_with_subject(
      repo, kOciManifest,
      referrer_manifest(client, repo, image, "application/vnd.dev.sigstore.bundle.v0.3+json", "s"));
  CHECK(client.referrers_support(repo) == bob::oci::ReferrersSupport::unsupported);
  auto tags = client.list_tags(repo);
  CHECK(std::find(tags.begin(), tags.end(), bob::oci::fallback_tag(image.digest)) != tags.end());
  CHECK(digests(client.list_referrers(repo, image.digest)) == std::set<std::string>{a, sig});
  auto filtered = client.list_referrers(repo, image.digest, kBobType);
  REQUIRE(filtered.size() == 1);
  CHECK(filtered[0].digest == a);
  CHECK(filtered[0].annotations.at("org.opencontainers.image.created") == "2026-01-02T03:04:05Z");

  // Idempotent: attaching again adds nothing.
  client.put_manifest_with_subject(repo, kOciManifest,
                                   referrer_manifest(client, repo, image, kBobType, "a"));
  CHECK(client.list_referrers(repo, image.digest).size() == 2);

  client.remove_referrer(repo, image.digest, sig);
  CHECK(digests(client.list_referrers(repo, image.digest)) == std::set<std::string>{a});
  client.remove_referrer(repo, image.digest, a);
  auto index = client.get_manifest(repo.with_tag(bob::oci::fallback_tag(image.digest))).json();
  CHECK(index["mediaType"] == kOciIndex);
  CHECK(index["manifests"].empty());  // R21: an empty index remains
}

TEST_CASE("docker-registry: If-Match is ignored, yet parallel attaches all land (G3, R17, R18)") {
  auto repo = fresh_repo("parallel");
  Client seeder(options());
  auto image = push_image(seeder, repo);
  std::vector<std::string> manifests;
  for (int i = 0; i < 6; ++i) {
    manifests.push_back(referrer_manifest(seeder, repo, image, kBobType, "p" + std::to_string(i)));
  }
  std::vector<std::string> results(manifests.size());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        Client client(options());
        results[i] = client.put_manifest_with_subject(repo, kOciManifest, manifests[i]);
      } catch (const std::exception& e) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(digests(seeder.list_referrers(repo, image.digest)) ==
        std::set<std::string>(results.begin(), results.end()));
}

TEST_CASE("docker-registry: old-index GC deletes by digest when enabled") {
  auto o = options();
  o.referrers_gc = true;
  Client client(o);
  auto repo = fresh_repo("gc");
  auto image = push_image(client, repo);
  client.put_manifest_with_subject(repo, kOciManifest,
                                   referrer_manifest(client, repo, image, kBobType, "one"));
  auto first = client.resolve(repo.with_tag(bob::oci::fallback_tag(image.digest))).digest;
  client.put_manifest_with_subject(repo, kOciManifest,
                                   referrer_manifest(client, repo, image, kBobType, "two"));
  CHECK_FALSE(client.find_manifest(repo.with_digest(first)).has_value());
  CHECK(client.list_referrers(repo, image.digest).size() == 2);
}

TEST_CASE("docker-registry: authentication modes") {
  if (mode() == "plain") {
    Client client(bob::test::fast_options());
    client.ping(bob::oci::Reference::parse(host() + "/x"));
    return;
  }
  auto repo = fresh_repo("auth");
  Client good(options());
  auto image = push_image(good, repo);

  auto bad_options = bob::test::fast_options();
  bad_options.credentials[host()] = bob::oci::Credential{env("BOB_TEST_REGISTRY_USER"), "wrong-pw-42"};
  Client bad(bad_options);
  auto what = expect_error([&] { bad.get_manifest(repo.with_digest(image.digest)); }, Exit::registry,
                           mode() == "token" ? "refused the credentials" : "authentication failed");
  CHECK(what.find("wrong-pw-42") == std::string::npos);

  Client anonymous(bob::test::fast_options());
  CHECK_THROWS_AS(anonymous.get_manifest(repo.with_digest(image.digest)), bob::Error);

  // The same credentials from a docker config.json ("auth" = base64 user:password).
  bob::fs::TempDir config("bob-docker-config");
  std::string auth = bob::oci::detail::base64_encode(env("BOB_TEST_REGISTRY_USER") + ":" +
                                                     env("BOB_TEST_REGISTRY_PASSWORD"));
  std::ofstream(config.path() / "config.json")
      << nlohmann::json{{"auths", {{"http://" + host(), {{"auth", auth}}}}}}.dump();
  auto from_config = bob::test::fast_options();
  from_config.use_docker_config = true;
  from_config.docker_config_dir = config.path().string();
  Client configured(from_config);
  CHECK(configured.get_manifest(repo.with_digest(image.digest)).digest == image.digest);
  if (mode() == "token") {
    CHECK(configured.stats().token_requests >= 1);
    auto before = configured.stats().token_requests;
    configured.get_manifest(repo.with_tag("v1"));
    CHECK(configured.stats().token_requests == before);  // cached per scope
  }
}
