// The oci client against the fake registry (tests/oci/fake_registry.py): the spec paths, and
// one test per registry quirk of bug-log.md §1 (the row id is in each test name).
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "../../libbob/src/oci/oci_internal.h"
#include "bob/log.h"
#include "test_client_support.h"

using bob::Exit;
using bob::oci::Client;
using bob::oci::Descriptor;
using bob::oci::kOciIndex;
using bob::oci::kOciManifest;
using bob::test::expect_error;
using bob::test::FakeRegistry;
using bob::test::fast_options;
using bob::test::push_image;
using bob::test::referrer_manifest;

namespace {

const std::string kBobType = "application/vnd.bob.test+yaml";
const std::string kSigType = "application/vnd.dev.sigstore.bundle.v0.3+json";

std::vector<std::string> tags_of(Client& client, const bob::oci::Reference& repo) {
  return client.list_tags(repo);
}

bool has_fallback_tag(Client& client, const bob::oci::Reference& repo, const std::string& digest) {
  auto tags = tags_of(client, repo);
  return std::find(tags.begin(), tags.end(), bob::oci::fallback_tag(digest)) != tags.end();
}

std::set<std::string> digests(const std::vector<Descriptor>& list) {
  std::set<std::string> out;
  for (const auto& d : list) out.insert(d.digest);
  return out;
}

}  // namespace

TEST_CASE("blobs: upload once, skip when present, download verified; Location query gets &digest") {
  FakeRegistry registry;
  Client client(fast_options());
  auto repo = registry.repo();
  auto first = client.push_blob(repo, "hello blob");
  CHECK(first.uploaded);
  CHECK(first.digest == bob::oci::detail::digest_bytes("hello blob"));
  auto again = client.push_blob(repo, "hello blob");
  CHECK_FALSE(again.uploaded);
  CHECK(client.blob_exists(repo, first.digest));
  // The fake's upload Location carries ?_state=..., like docker-registry: the digest is appended.
  auto puts = registry.requests("PUT", "/blobs/uploads/");
  REQUIRE(puts.size() == 1);
  CHECK(puts[0]["path"].get<std::string>().find("?_state=") != std::string::npos);
  CHECK(puts[0]["path"].get<std::string>().find("&digest=sha256%3A") != std::string::npos);
  CHECK(puts[0]["content_type"] == "application/octet-stream");

  Descriptor d{"application/octet-stream", first.digest, 10};
  CHECK(client.fetch_blob(repo, d) == "hello blob");
  bob::fs::TempDir dir("bob-blob");
  auto path = (dir.path() / "out.bin").string();
  client.fetch_blob_to_file(repo, d, path);
  CHECK(bob::fs::read_file(path) == "hello blob");
}

TEST_CASE("blobs: a size or digest mismatch is a trust failure and returns nothing") {
  FakeRegistry registry;
  Client client(fast_options());
  auto repo = registry.repo();
  auto pushed = client.push_blob(repo, "exact bytes");
  Descriptor short_desc{"application/octet-stream", pushed.digest, 5};
  expect_error([&] { client.fetch_blob(repo, short_desc); }, Exit::trust, "larger than its descriptor");
  Descriptor long_desc{"application/octet-stream", pushed.digest, 50};
  expect_error([&] { client.fetch_blob(repo, long_desc); }, Exit::trust, "descriptor says 50");
  Descriptor huge{"application/octet-stream", pushed.digest, 1 << 20};
  expect_error([&] { client.fetch_blob(repo, huge, 1000); }, Exit::trust, "more than the allowed");
  bob::fs::TempDir dir("bob-blob");
  auto path = (dir.path() / "out.bin").string();
  CHECK_THROWS_AS(client.fetch_blob_to_file(repo, short_desc, path), bob::Error);
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 0);
  // R29: zero-length blobs are never pushed.
  expect_error([&] { client.push_blob(repo, ""); }, Exit::usage, "zero-length");
}

TEST_CASE("blobs: chunked PATCH upload with Content-Range, OCI-Chunk-Min-Length and 416 recovery") {
  FakeRegistry registry({"--quirk", "truncate_first_chunk", "--quirk", "chunk_min_length=3000"});
  auto options = fast_options();
  options.chunk_threshold = 4096;
  options.chunk_size = 2048;  // below the registry's minimum: 3000 is used
  Client client(options);
  auto repo = registry.repo();
  std::string big;
  for (int i = 0; i < 10000; ++i) big += static_cast<char>('a' + i % 26);
  auto pushed = client.push_blob(repo, big);
  CHECK(pushed.uploaded);
  auto patches = registry.requests("PATCH", "/blobs/uploads/");
  REQUIRE(patches.size() >= 4);
  CHECK(patches[0]["content_range"] == "0-2999");
  // The first chunk was half kept, so the second PATCH got 416 and bob resumed at byte 1500.
  CHECK(patches[1]["content_range"] == "3000-5999");
  CHECK(patches[2]["content_range"] == "1500-4499");
  CHECK(registry.requests("GET", "/blobs/uploads/").size() == 1);
  Descriptor d{"application/octet-stream", pushed.digest, static_cast<std::int64_t>(big.size())};
  CHECK(client.fetch_blob(repo, d) == big);
}

TEST_CASE("blobs: cross-repository mount, and fallback to upload when refused") {
  FakeRegistry registry;
  Client client(fast_options());
  auto source = registry.repo("team/base");
  auto target = registry.repo("team/app");
  auto pushed = client.push_blob(source, "shared layer");
  auto mounted = client.push_blob(target, "shared layer", pushed.digest, "team/base");
  CHECK(mounted.mounted);
  CHECK_FALSE(mounted.uploaded);
  CHECK(client.blob_exists(target, pushed.digest));

  registry.quirk("mount_unsupported");
  auto other = registry.repo("team/other");
  auto uploaded = client.push_blob(other, "shared layer", pushed.digest, "team/base");
  CHECK(uploaded.uploaded);
  CHECK_FALSE(uploaded.mounted);
  // The 202 answer to the mount opened the upload: no second POST.
  CHECK(registry.requests("POST", "/team/other/blobs/uploads/").size() == 1);
}

TEST_CASE("R23/R25: relative and odd-path upload Locations are resolved and used verbatim") {
  FakeRegistry registry({"--quirk", "relative_location", "--quirk", "odd_upload_path"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto pushed = client.push_blob(repo, "relative");
  CHECK(pushed.uploaded);
  auto puts = registry.requests("PUT", "/artifacts-uploads/");
  REQUIRE(puts.size() == 1);
  CHECK(puts[0]["path"].get<std::string>().find("?_state=") != std::string::npos);
  CHECK(client.blob_exists(repo, pushed.digest));
}

TEST_CASE("G8: Authorization never goes to another host (upload Location, blob redirect)") {
  FakeRegistry registry({"--auth", "bearer", "--quirk", "cross_host_location", "--quirk",
                         "blob_redirect"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto pushed = client.push_blob(repo, "cross host");
  Descriptor d{"application/octet-stream", pushed.digest, 10};
  CHECK(client.fetch_blob(repo, d) == "cross host");
  bool saw_other_host = false;
  for (const auto& e : registry.log()) {
    if (e["host"].get<std::string>().rfind("localhost:", 0) == 0) {
      saw_other_host = true;
      CHECK(e["auth"] == "");
    }
  }
  CHECK(saw_other_host);
  // The registry's own host did get the bearer token.
  CHECK_FALSE(registry.requests("HEAD", "/blobs/").empty());
  CHECK(registry.requests("HEAD", "/blobs/").back()["auth"] == "Bearer");
}

TEST_CASE("manifests: full Accept list, Content-Type = mediaType, digest returned and verified") {
  FakeRegistry registry({"--quirk", "accept_strict"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto put = registry.requests("PUT", "/manifests/v1");
  REQUIRE(put.size() == 1);
  CHECK(put[0]["content_type"] == std::string(kOciManifest));
  auto m = client.get_manifest(repo.with_tag("v1"));
  CHECK(m.digest == image.digest);
  CHECK(m.media_type == kOciManifest);
  auto gets = registry.requests("GET", "/manifests/v1");
  REQUIRE_FALSE(gets.empty());
  auto accept = gets[0]["accept"].get<std::string>();
  for (auto type : {bob::oci::kOciManifest, bob::oci::kOciIndex, bob::oci::kDockerManifest,
                    bob::oci::kDockerManifestList}) {
    CHECK(accept.find(type) != std::string::npos);
  }
  auto d = client.resolve(repo.with_tag("v1"));
  CHECK(d.digest == image.digest);
  CHECK(d.size == image.size);
  CHECK_FALSE(client.find_manifest(repo.with_tag("nope")).has_value());
  expect_error([&] { client.get_manifest(repo.with_tag("nope")); }, Exit::registry, "manifest unknown");
  expect_error([&] { client.put_manifest(repo, kOciManifest, std::string(5u << 20, ' '), "big"); },
               Exit::usage, "4 MiB");
}

TEST_CASE("R26/R27: no Docker-Content-Digest: computed from the body; HEAD by tag falls back to GET") {
  FakeRegistry registry({"--quirk", "no_digest_header"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  registry.clear_log();
  auto by_tag = client.resolve(repo.with_tag("v1"));
  CHECK(by_tag.digest == image.digest);
  CHECK(registry.requests("HEAD", "/manifests/v1").size() == 1);
  CHECK(registry.requests("GET", "/manifests/v1").size() == 1);
  registry.clear_log();
  auto by_digest = client.resolve(repo.with_digest(image.digest));
  CHECK(by_digest.digest == image.digest);
  CHECK(registry.requests("GET", "/manifests/").empty());  // HEAD by digest is trusted
  auto m = client.get_manifest(repo.with_digest(image.digest));
  CHECK(m.digest == image.digest);
}

TEST_CASE("R28: the 'accept header does not support OCI indexes' 404 fails loudly, never 'absent'") {
  FakeRegistry registry({"--quirk", "no_referrers_api"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto first = referrer_manifest(client, repo, image, kBobType, "profile one");
  client.put_manifest_with_subject(repo, kOciManifest, first);
  registry.quirk("accept_quirk_always");
  auto second = referrer_manifest(client, repo, image, kBobType, "profile two");
  expect_error([&] { client.put_manifest_with_subject(repo, kOciManifest, second); }, Exit::registry,
               "R28");
  expect_error([&] { client.list_referrers(repo, image.digest); }, Exit::registry, "Accept header");
  registry.quirk("accept_quirk_always", false);
  // The existing index was not overwritten.
  auto listed = client.list_referrers(repo, image.digest);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].digest == bob::oci::detail::digest_bytes(first));
}

TEST_CASE("referrers API: OCI-Subject, artifactType filter, pagination without n=, no fallback tag") {
  FakeRegistry registry({"--page-size", "1"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto a = client.put_manifest_with_subject(repo, kOciManifest,
                                            referrer_manifest(client, repo, image, kBobType, "a"));
  auto b = client.put_manifest_with_subject(repo, kOciManifest,
                                            referrer_manifest(client, repo, image, kBobType, "b"));
  auto s = client.put_manifest_with_subject(repo, kOciManifest,
                                            referrer_manifest(client, repo, image, kSigType, "s"));
  CHECK(client.referrers_support(repo) == bob::oci::ReferrersSupport::supported);
  CHECK_FALSE(has_fallback_tag(client, repo, image.digest));
  auto all = client.list_referrers(repo, image.digest);
  CHECK(digests(all) == std::set<std::string>{a, b, s});
  auto bobs = client.list_referrers(repo, image.digest, kBobType);
  CHECK(digests(bobs) == std::set<std::string>{a, b});
  for (const auto& d : bobs) {
    CHECK(d.artifact_type == kBobType);
    CHECK(d.annotations.at("org.opencontainers.image.created") == "2026-01-02T03:04:05Z");
  }
  auto pages = registry.requests("GET", "/referrers/");
  CHECK(pages.size() >= 5);
  for (const auto& p : pages) CHECK(p["path"].get<std::string>().find("n=") == std::string::npos);
}

TEST_CASE("R2: a 200 HTML page on /referrers is an error, not an empty list") {
  FakeRegistry registry({"--quirk", "referrers_html"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  expect_error([&] { client.list_referrers(repo, image.digest); }, Exit::registry, "text/html");
}

TEST_CASE("R3: OCI-Subject without a referrers API still maintains the fallback tag") {
  FakeRegistry registry({"--quirk", "subject_header_without_api"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto digest = client.put_manifest_with_subject(
      repo, kOciManifest, referrer_manifest(client, repo, image, kBobType, "ecr"));
  CHECK(has_fallback_tag(client, repo, image.digest));
  auto listed = client.list_referrers(repo, image.digest, kBobType);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].digest == digest);
  CHECK(listed[0].artifact_type == kBobType);
}

TEST_CASE("R4: a 404 on a subject manifest PUT says the registry rejects subjects; no index written") {
  FakeRegistry registry({"--quirk", "no_referrers_api", "--quirk", "reject_subject_put=404"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto m = referrer_manifest(client, repo, image, kBobType, "hub");
  expect_error([&] { client.put_manifest_with_subject(repo, kOciManifest, m); }, Exit::registry,
               "rejects manifests with a subject");
  CHECK_FALSE(has_fallback_tag(client, repo, image.digest));
}

TEST_CASE("R5: error detail of any JSON type is shown with code and message") {
  FakeRegistry registry({"--quirk", "subject_blob_unknown"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto m = referrer_manifest(client, repo, image, kBobType, "x");
  auto what = expect_error([&] { client.put_manifest_with_subject(repo, kOciManifest, m); },
                           Exit::registry, "MANIFEST_BLOB_UNKNOWN: blob unknown to registry");
  CHECK(what.find("sha256:0000") != std::string::npos);
}

TEST_CASE("R6: 405 on a manifest PUT is 'unsupported by registry' with the registry's message") {
  FakeRegistry registry({"--quirk", "reject_subject_put=405"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto m = referrer_manifest(client, repo, image, kBobType, "x");
  auto what = expect_error([&] { client.put_manifest_with_subject(repo, kOciManifest, m); },
                           Exit::registry, "unsupported by registry");
  CHECK(what.find("manifest with subject refused") != std::string::npos);
}

TEST_CASE("R7: a JSON 404 MANIFEST_UNKNOWN on referrers falls back to the tag schema") {
  FakeRegistry registry({"--quirk", "referrers_404_json"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  CHECK(client.list_referrers(repo, image.digest).empty());  // empty fallback: no referrers
  auto digest = client.put_manifest_with_subject(
      repo, kOciManifest, referrer_manifest(client, repo, image, kBobType, "quay"));
  CHECK(client.referrers_support(repo) == bob::oci::ReferrersSupport::unsupported);
  auto listed = client.list_referrers(repo, image.digest);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].digest == digest);
}

TEST_CASE("R8: without OCI-Filters-Applied the client filters by artifactType itself") {
  FakeRegistry registry({"--quirk", "no_filters_applied"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto a = client.put_manifest_with_subject(repo, kOciManifest,
                                            referrer_manifest(client, repo, image, kBobType, "a"));
  client.put_manifest_with_subject(repo, kOciManifest,
                                   referrer_manifest(client, repo, image, kSigType, "s"));
  auto listed = client.list_referrers(repo, image.digest, kBobType);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].digest == a);
}

TEST_CASE("R9: descriptors carrying the config mediaType are classified from the manifest") {
  FakeRegistry registry({"--quirk", "referrers_config_type"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto a = client.put_manifest_with_subject(repo, kOciManifest,
                                            referrer_manifest(client, repo, image, kBobType, "a"));
  auto listed = client.list_referrers(repo, image.digest, kBobType);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].digest == a);
  CHECK(listed[0].artifact_type == kBobType);
  // Unfiltered (what `bob discover` asks for): the listed config type must still be replaced
  // by the manifest's artifactType, or the BoB shows as "other" and its signatures vanish.
  auto sig = client.put_manifest_with_subject(repo, kOciManifest,
                                              referrer_manifest(client, repo, image, kSigType, "s"));
  auto all = client.list_referrers(repo, image.digest, "");
  REQUIRE(all.size() == 2);
  for (const auto& entry : all) {
    CHECK(entry.artifact_type == (entry.digest == a ? kBobType : kSigType));
  }
  CHECK(digests(all) == std::set<std::string>{a, sig});
}

TEST_CASE("R10: a non-404 error on referrers is an error, never a fallback") {
  for (int status : {400, 403, 500}) {
    CAPTURE(status);
    FakeRegistry registry({"--quirk", "referrers_status=" + std::to_string(status)});
    Client client(fast_options());
    auto repo = registry.repo();
    auto image = push_image(client, repo);
    expect_error([&] { client.list_referrers(repo, image.digest); }, Exit::registry,
                 "only a 404 means the API is absent");
  }
}

TEST_CASE("R11: the subject is checked before the PUT; 5xx and 429 on safe requests are retried") {
  FakeRegistry registry({"--quirk", "subject_missing_500"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  Descriptor ghost{std::string(kOciManifest), "sha256:" + std::string(64, 'e'), 100};
  auto m = referrer_manifest(client, repo, ghost, kBobType, "orphan");
  registry.clear_log();
  expect_error([&] { client.put_manifest_with_subject(repo, kOciManifest, m); }, Exit::registry,
               "does not exist");
  CHECK(registry.requests("PUT", "/manifests/").empty());

  registry.quirk("fail_next", "2:503");
  auto got = client.get_manifest(repo.with_digest(image.digest));
  CHECK(got.digest == image.digest);
  CHECK(client.stats().retries == 2);
  registry.quirk("fail_next", "2:429");
  registry.quirk("retry_after", 1);
  CHECK(client.resolve(repo.with_tag("v1")).digest == image.digest);
  CHECK(client.stats().retries == 4);
  // Bounded: a registry that keeps failing gives up with the status.
  registry.quirk("fail_next", "50:503");
  expect_error([&] { client.get_manifest(repo.with_tag("v1")); }, Exit::registry, "HTTP 503");
}

TEST_CASE("R12: the legacy OCI-Subject-Processed header is a hint confirmed by a probe") {
  FakeRegistry registry({"--quirk", "legacy_subject_header"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto a = client.put_manifest_with_subject(repo, kOciManifest,
                                            referrer_manifest(client, repo, image, kBobType, "a"));
  CHECK_FALSE(has_fallback_tag(client, repo, image.digest));  // probe said: API present
  CHECK(digests(client.list_referrers(repo, image.digest)) == std::set<std::string>{a});
}

TEST_CASE("R14/R15: other tools' entries without artifactType are kept and classified") {
  FakeRegistry registry({"--quirk", "no_referrers_api"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  // A cosign-style referrer: no artifactType, the type only in the config mediaType.
  auto foreign = referrer_manifest(client, repo, image, "application/vnd.foreign.sig", "sig",
                                   /*with_artifact_type=*/false);
  client.push_blob(repo, "{}");
  auto foreign_digest = client.put_manifest(repo, kOciManifest, foreign);
  nlohmann::json index = {{"schemaVersion", 2}, {"mediaType", kOciIndex},
                          {"manifests", {{{"mediaType", kOciManifest}, {"digest", foreign_digest},
                                          {"size", foreign.size()}}}}};
  registry.control("put-tag", {{"repo", "test/app"}, {"tag", bob::oci::fallback_tag(image.digest)},
                               {"media_type", kOciIndex}, {"body", index.dump()}});
  auto mine = client.put_manifest_with_subject(
      repo, kOciManifest, referrer_manifest(client, repo, image, kBobType, "mine"));
  auto stored = client.get_manifest(repo.with_tag(bob::oci::fallback_tag(image.digest))).json();
  REQUIRE(stored["manifests"].size() == 2);
  CHECK(stored["manifests"][0] == index["manifests"][0]);  // unchanged, still no artifactType
  CHECK(stored["manifests"][1]["artifactType"] == kBobType);
  CHECK(stored["manifests"][1]["digest"] == mine);
  auto foreign_listed = client.list_referrers(repo, image.digest, "application/vnd.foreign.sig");
  REQUIRE(foreign_listed.size() == 1);
  CHECK(foreign_listed[0].digest == foreign_digest);
  CHECK(foreign_listed[0].artifact_type == "application/vnd.foreign.sig");
}

TEST_CASE("R17: a conditional PUT that loses (412) is retried on top of the other writer") {
  FakeRegistry registry({"--quirk", "no_referrers_api", "--quirk", "conflict_once"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto mine = client.put_manifest_with_subject(
      repo, kOciManifest, referrer_manifest(client, repo, image, kBobType, "race"));
  auto listed = client.list_referrers(repo, image.digest);
  CHECK(listed.size() == 2);  // the foreign writer's entry and ours
  CHECK(digests(listed).count(mine) == 1);
  auto puts = registry.requests("PUT", "/manifests/sha256-");
  REQUIRE(puts.size() == 2);
  CHECK(puts[0]["if_none_match"] == "*");
  CHECK(puts[1]["if_match"].get<std::string>().rfind("\"sha256:", 0) == 0);
}

TEST_CASE("G3/R32: an ignored If-Match that loses our entry is caught by read-after-write") {
  FakeRegistry registry({"--quirk", "no_referrers_api", "--quirk", "ignore_if_match", "--quirk",
                         "lose_write_once"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto mine = client.put_manifest_with_subject(
      repo, kOciManifest, referrer_manifest(client, repo, image, kBobType, "lost"));
  auto listed = client.list_referrers(repo, image.digest);
  CHECK(digests(listed).count(mine) == 1);
  CHECK(listed.size() == 2);
  CHECK(registry.requests("PUT", "/manifests/sha256-").size() == 2);
}

TEST_CASE("R18: parallel attaches to one subject in one process all end up in the index") {
  FakeRegistry registry({"--quirk", "no_referrers_api", "--quirk", "ignore_if_match"});
  auto repo = registry.repo();
  Client seeder(fast_options());
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
        Client client(fast_options());
        results[i] = client.put_manifest_with_subject(repo, kOciManifest, manifests[i]);
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  auto listed = seeder.list_referrers(repo, image.digest, kBobType);
  CHECK(digests(listed) == std::set<std::string>(results.begin(), results.end()));
  CHECK(listed.size() == manifests.size());
}

TEST_CASE("R19/R20: old-index GC is opt-in and its failures are warnings") {
  FakeRegistry registry({"--quirk", "no_referrers_api"});
  auto options = fast_options();
  options.referrers_gc = true;
  Client client(options);
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  client.put_manifest_with_subject(repo, kOciManifest,
                                   referrer_manifest(client, repo, image, kBobType, "one"));
  auto first_index = client.resolve(repo.with_tag(bob::oci::fallback_tag(image.digest))).digest;
  client.put_manifest_with_subject(repo, kOciManifest,
                                   referrer_manifest(client, repo, image, kBobType, "two"));
  // GC allowed: the previous index is gone.
  CHECK_FALSE(client.find_manifest(repo.with_digest(first_index)).has_value());
  auto second_index = client.resolve(repo.with_tag(bob::oci::fallback_tag(image.digest))).digest;
  registry.quirk("delete_status", 405);
  client.put_manifest_with_subject(repo, kOciManifest,
                                   referrer_manifest(client, repo, image, kBobType, "three"));
  CHECK(client.list_referrers(repo, image.digest).size() == 3);
  CHECK(client.find_manifest(repo.with_digest(second_index)).has_value());  // kept, warned
}

TEST_CASE("R19: removing a referrer deletes the index version that still listed it") {
  FakeRegistry registry({"--quirk", "no_referrers_api"});
  Client client(fast_options());  // referrers_gc stays off: attaches keep old indexes
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto tag = repo.with_tag(bob::oci::fallback_tag(image.digest));
  auto one = client.put_manifest_with_subject(
      repo, kOciManifest, referrer_manifest(client, repo, image, kBobType, "one"));
  auto index_with_one = client.resolve(tag).digest;
  auto two = client.put_manifest_with_subject(
      repo, kOciManifest, referrer_manifest(client, repo, image, kBobType, "two"));
  auto index_with_both = client.resolve(tag).digest;
  // GC off: the attach left the first index in place.
  CHECK(client.find_manifest(repo.with_digest(index_with_one)).has_value());

  client.remove_referrer(repo, image.digest, two);
  auto current = client.resolve(tag).digest;
  CHECK(current != index_with_both);
  // The replaced index listed `two`; it is deleted by digest so it cannot pin `two` (ECR).
  CHECK_FALSE(client.find_manifest(repo.with_digest(index_with_both)).has_value());
  auto deletes = registry.requests("DELETE", "/manifests/" + index_with_both);
  CHECK(deletes.size() == 1);
  CHECK_FALSE(client.find_manifest(repo.with_digest(two)).has_value());
  auto left = client.list_referrers(repo, image.digest);
  REQUIRE(left.size() == 1);
  CHECK(left[0].digest == one);
  // Limitation: the older index from the first attach is not found and stays.
  CHECK(client.find_manifest(repo.with_digest(index_with_one)).has_value());

  // A registry that refuses deletes (GHCR's 405): the entry is still removed, only warnings.
  registry.quirk("delete_status", 405);
  client.remove_referrer(repo, image.digest, one);
  CHECK(client.list_referrers(repo, image.digest).empty());
  CHECK(client.find_manifest(repo.with_digest(current)).has_value());  // kept, warned
  CHECK(client.find_manifest(repo.with_digest(one)).has_value());      // kept, warned
}

TEST_CASE("R21: removing the last referrer leaves an empty index") {
  FakeRegistry registry({"--quirk", "no_referrers_api"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto only = client.put_manifest_with_subject(
      repo, kOciManifest, referrer_manifest(client, repo, image, kBobType, "only"));
  client.remove_referrer(repo, image.digest, only);
  auto index = client.get_manifest(repo.with_tag(bob::oci::fallback_tag(image.digest))).json();
  CHECK(index["manifests"].is_array());
  CHECK(index["manifests"].empty());
  CHECK(client.list_referrers(repo, image.digest).empty());
  CHECK_FALSE(client.find_manifest(repo.with_digest(only)).has_value());
}

TEST_CASE("R22: re-tagging a referrer manifest does not touch any fallback index") {
  FakeRegistry registry({"--quirk", "no_referrers_api"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto m = referrer_manifest(client, repo, image, kBobType, "tagged");
  client.put_manifest(repo, kOciManifest, m, "release");
  CHECK_FALSE(has_fallback_tag(client, repo, image.digest));
}

TEST_CASE("R30: 5xx on a manifest PUT names the registry limitation") {
  for (int status : {500, 501}) {
    CAPTURE(status);
    FakeRegistry registry;
    Client client(fast_options());
    auto repo = registry.repo();
    auto image = push_image(client, repo);
    registry.quirk("manifest_put_status", status);
    auto m = referrer_manifest(client, repo, image, kBobType, "x");
    auto what = expect_error([&] { client.put_manifest_with_subject(repo, kOciManifest, m); },
                             Exit::registry, "cannot store OCI artifact manifests");
    CHECK(what.find("HTTP " + std::to_string(status)) != std::string::npos);
  }
}

TEST_CASE("R31: re-attaching repairs a deleted fallback tag (idempotent attach)") {
  FakeRegistry registry({"--quirk", "no_referrers_api"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto m = referrer_manifest(client, repo, image, kBobType, "repair");
  auto digest = client.put_manifest_with_subject(repo, kOciManifest, m);
  registry.control("delete-tag", {{"repo", "test/app"}, {"tag", bob::oci::fallback_tag(image.digest)}});
  CHECK(client.list_referrers(repo, image.digest).empty());
  CHECK(client.put_manifest_with_subject(repo, kOciManifest, m) == digest);
  CHECK(digests(client.list_referrers(repo, image.digest)) == std::set<std::string>{digest});
}

TEST_CASE("R33: pagination stays on the origin and is capped") {
  FakeRegistry registry({"--page-size", "1", "--quirk", "cross_origin_link"});
  auto options = fast_options();
  options.max_referrer_pages = 5;
  Client client(options);
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  for (const char* p : {"a", "b"}) {
    client.put_manifest_with_subject(repo, kOciManifest,
                                     referrer_manifest(client, repo, image, kBobType, p));
  }
  expect_error([&] { client.list_referrers(repo, image.digest); }, Exit::registry, "another origin");
  registry.quirk("cross_origin_link", false);
  registry.quirk("endless_link");
  expect_error([&] { client.list_referrers(repo, image.digest); }, Exit::registry, "more than 5 pages");
}

TEST_CASE("R34: referrers support is detected per repository, never per registry") {
  FakeRegistry registry({"--quirk", "no_api_repos=legacy/app"});
  Client client(fast_options());
  auto modern = registry.repo("modern/app");
  auto legacy = registry.repo("legacy/app");
  auto image_m = push_image(client, modern);
  auto image_l = push_image(client, legacy);
  client.put_manifest_with_subject(modern, kOciManifest,
                                   referrer_manifest(client, modern, image_m, kBobType, "m"));
  client.put_manifest_with_subject(legacy, kOciManifest,
                                   referrer_manifest(client, legacy, image_l, kBobType, "l"));
  CHECK(client.referrers_support(modern) == bob::oci::ReferrersSupport::supported);
  CHECK(client.referrers_support(legacy) == bob::oci::ReferrersSupport::unsupported);
  CHECK_FALSE(has_fallback_tag(client, modern, image_m.digest));
  CHECK(has_fallback_tag(client, legacy, image_l.digest));
  CHECK(client.list_referrers(modern, image_m.digest).size() == 1);
  CHECK(client.list_referrers(legacy, image_l.digest).size() == 1);
}

TEST_CASE("GitLab quirk: a fallback tag that resolves to the subject itself is refused") {
  FakeRegistry registry({"--quirk", "no_referrers_api", "--quirk", "fallback_is_subject"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  expect_error([&] { client.list_referrers(repo, image.digest); }, Exit::registry, "not an OCI index");
}

TEST_CASE("auth: anonymous bearer tokens are fetched once per scope and cached") {
  FakeRegistry registry({"--auth", "bearer"});
  Client client(fast_options());
  auto repo = registry.repo();
  auto image = push_image(client, repo);
  auto tokens_after_push = client.stats().token_requests;
  CHECK(tokens_after_push >= 1);
  for (int i = 0; i < 3; ++i) client.get_manifest(repo.with_digest(image.digest));
  CHECK(client.stats().token_requests == tokens_after_push);  // pull,push token covers pull
  auto token_gets = registry.requests("GET", "/token?");
  REQUIRE_FALSE(token_gets.empty());
  bool asked_push = false;
  for (const auto& t : token_gets) {
    auto path = t["path"].get<std::string>();
    if (path.find("scope=repository%3Atest%2Fapp%3Apull%2Cpush") != std::string::npos) asked_push = true;
    CHECK(path.find("service=fake-registry") != std::string::npos);
  }
  CHECK(asked_push);
}

TEST_CASE("auth: bearer with credentials, wrong password never echoed, Basic, OAuth2 refresh") {
  FakeRegistry bearer({"--auth", "bearer", "--user", "alice:correct-horse-9"});
  auto options = fast_options();
  options.credentials[bearer.host()] = bob::oci::Credential{"alice", "correct-horse-9"};
  Client good(options);
  auto repo = bearer.repo();
  auto image = push_image(good, repo);
  REQUIRE_FALSE(bearer.requests("GET", "/token?").empty());
  CHECK(bearer.requests("GET", "/token?").back()["auth"] == "Basic");

  auto wrong = fast_options();
  wrong.credentials[bearer.host()] = bob::oci::Credential{"alice", "wrong-password-7"};
  Client bad(wrong);
  auto what = expect_error([&] { bad.get_manifest(repo.with_digest(image.digest)); }, Exit::registry,
                           "refused the credentials");
  CHECK(what.find("wrong-password-7") == std::string::npos);

  Client anonymous(fast_options());
  expect_error([&] { anonymous.get_manifest(repo.with_digest(image.digest)); }, Exit::registry,
               "authentication failed");

  // OAuth2: an identity token from the docker config goes to POST <realm> as a refresh token.
  bearer.control("refresh-token", {{"token", "refresh-abc-123"}});
  bob::fs::TempDir config("bob-docker-config");
  std::ofstream(config.path() / "config.json")
      << nlohmann::json{{"auths", {{bearer.host(), {{"identitytoken", "refresh-abc-123"}}}}}}.dump();
  auto oauth_options = fast_options();
  oauth_options.use_docker_config = true;
  oauth_options.docker_config_dir = config.path().string();
  Client oauth(oauth_options);
  CHECK(oauth.get_manifest(repo.with_digest(image.digest)).digest == image.digest);
  CHECK_FALSE(bearer.requests("POST", "/token").empty());

  FakeRegistry basic({"--auth", "basic", "--user", "bob:basic-pass-5"});
  auto basic_options = fast_options();
  basic_options.credentials[basic.host()] = bob::oci::Credential{"bob", "basic-pass-5"};
  Client basic_client(basic_options);
  auto basic_image = push_image(basic_client, basic.repo());
  CHECK(basic_client.resolve(basic.repo().with_tag("v1")).digest == basic_image.digest);
  REQUIRE_FALSE(basic.requests("HEAD", "/manifests/v1").empty());
  CHECK(basic.requests("HEAD", "/manifests/v1").back()["auth"] == "Basic");
  Client no_credentials(fast_options());
  expect_error([&] { no_credentials.resolve(basic.repo().with_tag("v1")); }, Exit::registry,
               "requires a username and password");
}

TEST_CASE("tags/list and ping") {
  FakeRegistry registry;
  Client client(fast_options());
  auto repo = registry.repo();
  client.ping(repo);
  push_image(client, repo, "one");
  push_image(client, repo, "two", "other layer");
  auto tags = client.list_tags(repo);
  CHECK(tags == std::vector<std::string>{"one", "two"});
  CHECK(client.stats().requests > 0);
}
