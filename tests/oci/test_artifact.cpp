// Unit tests of the BoB artifact: reproducible archives, hostile archives, manifest building and
// the shape checks of pull. No network.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>

#include "bob/artifact.h"
#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/sign.h"

namespace stdfs = std::filesystem;
using namespace bob::artifact;

namespace {

const std::string kCorpus = std::string(BOB_SOURCE_ROOT) + "/testdata/corpus/";
const std::string kAppProfile = kCorpus + "bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml";
const std::string kContainerProfile = kCorpus + "bob/example/argocd/sbobs/cp-argocd-server.yaml";

void write(const stdfs::path& path, const std::string& text) {
  stdfs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

struct TarEntry {
  std::string name;
  mode_t type = AE_IFREG;
  std::string data;
  std::string link;  // symlink target or hard link
  bool hardlink = false;
};

// A tar+gzip made entry by entry, so a test can build what bob itself never would.
std::string make_tgz(const std::vector<TarEntry>& entries) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_gzip(a);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* client, const void* buffer, size_t length) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
        return static_cast<la_ssize_t>(length);
      },
      nullptr);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, 0644);
    if (e.hardlink) archive_entry_set_hardlink(entry, e.link.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (e.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 3));
    archive_entry_set_size(entry, e.type == AE_IFREG && !e.hardlink
                                      ? static_cast<la_int64_t>(e.data.size())
                                      : 0);
    archive_write_header(a, entry);
    if (!e.data.empty() && !e.hardlink) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string refusal(const std::string& tgz, const ArchiveLimits& limits = {}) {
  bob::fs::TempDir dir("bob-test");
  try {
    unpack_archive(tgz, dir.path(), limits);
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::trust);
    return e.what();
  }
  return "";
}

bob::oci::Descriptor image_subject() {
  bob::oci::Descriptor d;
  d.media_type = std::string(bob::oci::kOciManifest);
  d.digest = "sha256:" + std::string(64, 'a');
  d.size = 512;
  return d;
}

bob::oci::Manifest as_served(const std::string& bytes) {
  bob::oci::Manifest m;
  m.media_type = std::string(bob::oci::kOciManifest);
  m.bytes = bytes;
  m.digest = bob::sign::digest_of(bytes);
  return m;
}

}  // namespace

TEST_CASE("the same folder packs to the same bytes, whatever the times and modes") {
  bob::fs::TempDir a("bob-test"), b("bob-test");
  for (const auto* root : {&a, &b}) {
    write(root->path() / "set" / "web.yaml", "kind: ApplicationProfile\n");
    write(root->path() / "set" / "db" / "db.yaml", "kind: ContainerProfile\n");
    stdfs::create_directories(root->path() / "set" / "empty");
  }
  // Different mtimes and permissions in the second copy.
  stdfs::last_write_time(b.path() / "set" / "web.yaml",
                         stdfs::last_write_time(b.path() / "set" / "web.yaml") -
                             std::chrono::hours(50));
  stdfs::permissions(b.path() / "set" / "db" / "db.yaml", stdfs::perms::owner_all);
  std::string first = pack_directory(a.path() / "set");
  std::string second = pack_directory(b.path() / "set");
  CHECK(first == second);
  REQUIRE(first.size() > 10);
  CHECK(static_cast<unsigned char>(first[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(first[1]) == 0x8b);
  CHECK(first.substr(4, 4) == std::string(4, '\0'));  // no gzip time stamp
  CHECK((static_cast<unsigned char>(first[3]) & 0x08) == 0);  // no file name (FNAME flag)

  bob::fs::TempDir out("bob-test");
  unpack_archive(first, out.path());
  CHECK(bob::fs::read_file((out.path() / "web.yaml").string()) == "kind: ApplicationProfile\n");
  CHECK(bob::fs::read_file((out.path() / "db" / "db.yaml").string()) ==
        "kind: ContainerProfile\n");
  CHECK(stdfs::is_directory(out.path() / "empty"));
  // Entries are stored sorted: db/, db/db.yaml, empty/, web.yaml.
  struct archive* r = archive_read_new();
  archive_read_support_filter_gzip(r);
  archive_read_support_format_tar(r);
  archive_read_open_memory(r, first.data(), first.size());
  std::vector<std::string> names;
  archive_entry* e = nullptr;
  while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
    names.push_back(archive_entry_pathname(e));
    CHECK(archive_entry_mtime(e) == 0);
    CHECK(archive_entry_uid(e) == 0);
    CHECK(archive_entry_gid(e) == 0);
    CHECK((archive_entry_perm(e) == 0644 || archive_entry_perm(e) == 0755));
  }
  archive_read_free(r);
  CHECK(names == std::vector<std::string>{"db/", "db/db.yaml", "empty/", "web.yaml"});
}

TEST_CASE("a changed file changes the archive") {
  bob::fs::TempDir a("bob-test");
  write(a.path() / "p.yaml", "one\n");
  auto before = pack_directory(a.path());
  write(a.path() / "p.yaml", "two\n");
  CHECK(pack_directory(a.path()) != before);
}

TEST_CASE("packing refuses symbolic links and empty folders") {
  bob::fs::TempDir a("bob-test");
  write(a.path() / "p.yaml", "x\n");
  stdfs::create_symlink("/etc/passwd", a.path() / "link");
  CHECK_THROWS_WITH_AS(pack_directory(a.path()), doctest::Contains("symbolic link"), bob::Error);
  bob::fs::TempDir empty("bob-test");
  CHECK_THROWS_WITH_AS(pack_directory(empty.path()), doctest::Contains("holds no files"),
                       bob::Error);
}

TEST_CASE("hostile archives are refused") {
  CHECK(refusal(make_tgz({{"../evil.yaml", AE_IFREG, "x"}})).find("'..'") != std::string::npos);
  CHECK(refusal(make_tgz({{"a/../../evil", AE_IFREG, "x"}})).find("'..'") != std::string::npos);
  CHECK(refusal(make_tgz({{"/etc/evil", AE_IFREG, "x"}})).find("absolute") != std::string::npos);
  CHECK(refusal(make_tgz({{"out", AE_IFLNK, "", "/etc"}})).find("symbolic link") !=
        std::string::npos);
  CHECK(refusal(make_tgz({{"a", AE_IFREG, "x"}, {"b", AE_IFREG, "", "a", true}}))
            .find("hard link") != std::string::npos);
  CHECK(refusal(make_tgz({{"null", AE_IFCHR}})).find("character device") != std::string::npos);
  CHECK(refusal(make_tgz({{"fifo", AE_IFIFO}})).find("FIFO") != std::string::npos);
  CHECK(refusal(make_tgz({{"a", AE_IFREG, "x"}, {"a", AE_IFREG, "y"}})).find("twice") !=
        std::string::npos);
  CHECK(refusal(make_tgz({{"a", AE_IFREG, "x"}, {"a/b", AE_IFREG, "y"}})).find("under the file") !=
        std::string::npos);
  CHECK(refusal("not an archive at all").find("not a tar+gzip") != std::string::npos);
}

TEST_CASE("archive limits: entry count, entry size, total size") {
  std::vector<TarEntry> bomb;
  for (int i = 0; i < 50; ++i) bomb.push_back({"f" + std::to_string(i), AE_IFREG, "x"});
  ArchiveLimits limits;
  limits.max_entries = 20;
  CHECK(refusal(make_tgz(bomb), limits).find("more than 20 entries") != std::string::npos);

  ArchiveLimits small;
  small.max_entry_bytes = 100;
  CHECK(refusal(make_tgz({{"big", AE_IFREG, std::string(1000, 'z')}}), small)
            .find("size limit") != std::string::npos);
  ArchiveLimits total;
  total.max_total_bytes = 1500;
  CHECK(refusal(make_tgz({{"a", AE_IFREG, std::string(1000, 'z')},
                          {"b", AE_IFREG, std::string(1000, 'z')}}),
                total)
            .find("size limit") != std::string::npos);
}

TEST_CASE("unpacking needs an empty folder") {
  bob::fs::TempDir dir("bob-test");
  write(dir.path() / "already", "x");
  CHECK_THROWS_AS(unpack_archive(make_tgz({{"a", AE_IFREG, "x"}}), dir.path()), bob::Error);
}

TEST_CASE("collect: one layer per file, the vendor's bytes, titled, with bob's annotations") {
  PackOptions options;
  options.variant = Variant::generalized;
  options.created = "2026-01-02T03:04:05Z";
  options.annotations = {"org.opencontainers.image.source=https://example.com/x,y"};
  auto content = collect({kAppProfile, kContainerProfile}, options);
  REQUIRE(content.layers.size() == 2);
  CHECK(content.layers[0].bytes == bob::fs::read_file(kAppProfile));
  CHECK(content.layers[0].title == "ap-chain-backend.yaml");
  CHECK(content.layers[0].media_type == kLayerYaml);
  CHECK(content.layers[0].digest == bob::sign::digest_of(content.layers[0].bytes));
  auto& a = content.annotations;
  CHECK(a.at("org.opencontainers.image.created") == "2026-01-02T03:04:05Z");
  CHECK(a.at("dev.bob.profile.variant") == "generalized");
  CHECK(a.at("dev.bob.profile.kind") == "ApplicationProfile,ContainerProfile");
  CHECK(a.at("dev.bob.profile.workload") == "argocd-server,chain-backend");
  CHECK(a.at("org.opencontainers.image.source") == "https://example.com/x,y");
  CHECK(a.count("dev.bob.profile.containers") == 1);
}

TEST_CASE("collect: input errors") {
  PackOptions options;
  CHECK_THROWS_WITH_AS(collect({}, options), doctest::Contains("no profile"), bob::Error);
  CHECK_THROWS_WITH_AS(collect({kAppProfile, kAppProfile}, options),
                       doctest::Contains("two inputs are named"), bob::Error);
  options.annotations = {"dev.bob.profile.variant=x"};
  CHECK_THROWS_WITH_AS(collect({kAppProfile}, options), doctest::Contains("reserved"), bob::Error);
  options.annotations = {"novalue"};
  CHECK_THROWS_WITH_AS(collect({kAppProfile}, options), doctest::Contains("KEY=VALUE"),
                       bob::Error);
  options.annotations = {"x.y=" + std::string(300, 'v')};
  CHECK_THROWS_WITH_AS(collect({kAppProfile}, options), doctest::Contains("longer than"),
                       bob::Error);
}

TEST_CASE("collect: a folder becomes one reproducible archive layer") {
  bob::fs::TempDir dir("bob-test");
  stdfs::create_directories(dir.path() / "set");
  stdfs::copy_file(kAppProfile, dir.path() / "set" / "ap.yaml");
  PackOptions options;
  options.created = "2026-01-02T03:04:05Z";
  auto first = collect({(dir.path() / "set").string()}, options);
  auto second = collect({(dir.path() / "set/").string()}, options);
  REQUIRE(first.layers.size() == 1);
  CHECK(first.layers[0].media_type == kLayerArchive);
  CHECK(first.layers[0].title == "set.tar.gz");
  CHECK(first.layers[0].digest == second.layers[0].digest);
  CHECK(first.annotations.at("dev.bob.profile.workload") == "chain-backend");
  CHECK(manifest_bytes(first, image_subject()) == manifest_bytes(second, image_subject()));
}

TEST_CASE("the manifest: artifactType, empty config, titled layers, subject, annotations") {
  PackOptions options;
  options.created = "2026-01-02T03:04:05Z";
  auto content = collect({kAppProfile}, options);
  auto bytes = manifest_bytes(content, image_subject());
  auto j = nlohmann::json::parse(bytes);
  CHECK(j["schemaVersion"] == 2);
  CHECK(j["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
  CHECK(j["artifactType"] == "application/vnd.bob.profile.v1+yaml");
  CHECK(j["config"]["mediaType"] == "application/vnd.oci.empty.v1+json");
  CHECK(j["config"]["digest"] == bob::oci::kEmptyJsonDigest);
  CHECK(j["config"]["size"] == 2);
  CHECK(j["layers"][0]["annotations"]["org.opencontainers.image.title"] ==
        "ap-chain-backend.yaml");
  CHECK(j["layers"][0]["size"] == bob::fs::read_file(kAppProfile).size());
  CHECK(j["subject"]["digest"] == image_subject().digest);
  CHECK(j["subject"]["size"] == 512);
  CHECK(j["annotations"]["dev.bob.profile.variant"] == "specific");

  auto parsed = parse_manifest(as_served(bytes));
  CHECK(parsed.subject.digest == image_subject().digest);
  CHECK(parsed.variant == "specific");
  CHECK(parsed.created == "2026-01-02T03:04:05Z");
  REQUIRE(parsed.layers.size() == 1);
  CHECK(parsed.layers[0].digest == content.layers[0].digest);
}

TEST_CASE("parse_manifest names the check that failed") {
  PackOptions options;
  options.created = "2026-01-02T03:04:05Z";
  auto bytes = manifest_bytes(collect({kAppProfile}, options), image_subject());
  auto j = nlohmann::json::parse(bytes);

  auto wrong_type = j;
  wrong_type["artifactType"] = "application/vnd.example+json";
  CHECK_THROWS_WITH_AS(parse_manifest(as_served(wrong_type.dump())),
                       doctest::Contains("BoB rejected (artifactType)"), bob::Error);
  // Members of the wrong JSON type are a rejection, never nlohmann's type_error (found by
  // fuzz_manifest: tests/fuzz/regressions/manifest/).
  for (const char* member : {"mediaType", "artifactType"}) {
    auto odd = j;
    odd[member] = nlohmann::json::array();
    CHECK_THROWS_AS(parse_manifest(as_served(odd.dump())), bob::Error);
  }
  auto no_subject = j;
  no_subject.erase("subject");
  CHECK_THROWS_WITH_AS(parse_manifest(as_served(no_subject.dump())),
                       doctest::Contains("BoB rejected (subject)"), bob::Error);
  auto traversal = j;
  traversal["layers"][0]["annotations"]["org.opencontainers.image.title"] = "../../etc/cron";
  CHECK_THROWS_WITH_AS(parse_manifest(as_served(traversal.dump())),
                       doctest::Contains("BoB rejected (layer)"), bob::Error);
  auto untitled = j;
  untitled["layers"][0].erase("annotations");
  CHECK_THROWS_WITH_AS(parse_manifest(as_served(untitled.dump())),
                       doctest::Contains("BoB rejected (layer)"), bob::Error);
  auto odd_layer = j;
  odd_layer["layers"][0]["mediaType"] = "application/x-sh";
  CHECK_THROWS_WITH_AS(parse_manifest(as_served(odd_layer.dump())),
                       doctest::Contains("BoB rejected (layer)"), bob::Error);
  auto real_config = j;
  real_config["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json";
  CHECK_THROWS_WITH_AS(parse_manifest(as_served(real_config.dump())),
                       doctest::Contains("BoB rejected (manifest)"), bob::Error);
  CHECK_THROWS_WITH_AS(parse_manifest(as_served("[1,2")), doctest::Contains("not JSON"),
                       bob::Error);
}

TEST_CASE("variants") {
  CHECK(parse_variant("specific") == Variant::specific);
  CHECK(parse_variant("generalized") == Variant::generalized);
  CHECK(to_string(Variant::generalized) == "generalized");
  CHECK_THROWS_AS(parse_variant("general"), bob::Error);
}
