// push, pull, verify, sign and discover BoBs over the registry client.
//
// Pull is fail-closed and transactional: everything is fetched and checked first (signature by a
// trusted key, in-toto subject = BoB manifest digest, BoB subject = the image asked for,
// artifactType, every layer's size and digest, archive safety), written into a private staging
// folder, and only then moved into place. Any failure leaves the output untouched.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "bob/artifact.h"
#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/sign.h"

namespace bob::artifact {
namespace {

namespace stdfs = std::filesystem;

constexpr std::size_t kMaxLayerBytes = 256u << 20;
constexpr std::uint64_t kProgressThreshold = 4u << 20;
constexpr std::size_t kMaxIndexChildren = 32;

[[noreturn]] void reject(std::string_view check, std::string_view detail) {
  fail(Exit::trust, "BoB rejected (" + std::string(check) + "): " + std::string(detail),
       "nothing was written; do not use this BoB");
}

bool is_index(std::string_view media_type) {
  return media_type == oci::kOciIndex || media_type == oci::kDockerManifestList;
}

std::string short_digest(const std::string& digest) {
  auto colon = digest.find(':');
  return digest.substr(0, std::min(digest.size(), colon + 1 + 12));
}

// "YYYY-MM-DDTHH:MM:SS" + the fraction padded to 9 digits: sorts RFC 3339 UTC times correctly
// whatever their precision.
// Limitation: times with a numeric offset instead of "Z" are compared as written, not converted.
std::string time_sort_key(const std::string& created) {
  if (created.size() < 19) return created;
  std::string key = created.substr(0, 19);
  std::string fraction;
  if (created.size() > 19 && created[19] == '.') {
    for (std::size_t i = 20; i < created.size() && std::isdigit(static_cast<unsigned char>(
                                                         created[i]));
         ++i) {
      fraction += created[i];
    }
  }
  fraction.resize(9, '0');
  return key + "." + fraction;
}

oci::Reference parse_image(const std::string& text, std::string_view what) {
  auto ref = oci::Reference::parse(text);
  if (ref.tag.empty() && ref.digest.empty()) {
    fail(Exit::usage, std::string(what) + " '" + text + "' names neither a tag nor a digest",
         "use REGISTRY/REPO@sha256:... (or :TAG, which bob resolves to a digest)");
  }
  return ref;
}

oci::Reference repository_of(const oci::Reference& ref) {
  oci::Reference repo = ref;
  repo.tag.clear();
  repo.digest.clear();
  return repo;
}

// Resolves a tag to its digest, telling the user to pin the digest instead.
oci::Descriptor resolve_subject(oci::Client& client, const oci::Reference& ref, bool& was_tag) {
  was_tag = ref.digest.empty();
  oci::Descriptor desc = client.resolve(ref);
  if (was_tag) {
    log::info("note: " + ref.str() + " resolved to " + desc.digest +
              "; pin images by digest (" + ref.with_digest(desc.digest).str() +
              "), a tag can move");
  }
  return desc;
}

struct Platform {
  std::string os, architecture, variant;
};

Platform parse_platform(const std::string& text) {
  Platform p;
  auto first = text.find('/');
  if (first == std::string::npos || first == 0) {
    fail(Exit::usage, "--platform '" + text + "' is not OS/ARCH[/VARIANT]");
  }
  p.os = text.substr(0, first);
  auto second = text.find('/', first + 1);
  p.architecture = text.substr(first + 1, second == std::string::npos ? std::string::npos
                                                                      : second - first - 1);
  if (second != std::string::npos) p.variant = text.substr(second + 1);
  if (p.architecture.empty()) fail(Exit::usage, "--platform '" + text + "' has no architecture");
  return p;
}

// The platform manifest of an index, by the OCI platform fields.
oci::Descriptor platform_manifest(const oci::Manifest& index, const std::string& platform_text) {
  Platform wanted = parse_platform(platform_text);
  if (!is_index(index.media_type)) {
    fail(Exit::usage, "--platform " + platform_text + " was given, but " + index.digest +
                          " is a single-platform manifest, not an index",
         "drop --platform, or name the multi-platform index");
  }
  auto j = index.json();
  if (!j.contains("manifests") || !j["manifests"].is_array()) {
    fail(Exit::registry, "index " + index.digest + " has no manifests list");
  }
  for (const auto& entry : j["manifests"]) {
    auto desc = oci::Descriptor::from_json(entry);
    if (desc.platform_os.value_or("") != wanted.os ||
        desc.platform_architecture.value_or("") != wanted.architecture) {
      continue;
    }
    if (!wanted.variant.empty() && desc.platform_variant.value_or("") != wanted.variant) continue;
    return desc;
  }
  fail(Exit::usage, "index " + index.digest + " has no manifest for platform " + platform_text);
}

// ---- Signing ------------------------------------------------------------------------------

std::string push_signature(oci::Client& client, const oci::Reference& repo,
                           const sign::PrivateKey& key, const BobManifest& bob,
                           const oci::Reference& display) {
  sign::SignRequest request;
  request.manifest_digest = bob.digest;
  request.subject_name = display.repository_name();
  request.image_digest = bob.subject.digest;
  request.variant = bob.variant;
  sign::Descriptor signed_manifest{std::string(oci::kOciManifest), bob.digest, bob.size};
  auto referrer = sign::sign_manifest(key, request, signed_manifest);
  client.push_blob(repo, referrer.config_blob, referrer.config.digest);
  client.push_blob(repo, referrer.bundle, referrer.bundle_layer.digest);
  return client.put_manifest_with_subject(repo, sign::kManifestMediaType, referrer.manifest);
}

// The first signature referrer of the BoB that verifies with a trusted key. Throws
// "BoB rejected (signature)" naming the last reason when none does.
std::optional<sign::VerifiedSignature> check_signature(oci::Client& client,
                                                       const oci::Reference& repo,
                                                       const BobManifest& bob,
                                                       const std::vector<sign::PublicKey>& keys,
                                                       bool allow_unsigned) {
  std::vector<oci::Descriptor> signatures;
  if (!keys.empty() || !allow_unsigned) {
    signatures = client.list_referrers(repo, bob.digest, sign::kBundleMediaType);
  }
  std::string reason = "no signature is attached to BoB " + bob.digest;
  // Limitation: every signature referrer is fetched and tried until one verifies; a registry
  // listing thousands of junk signatures makes pull slow (each costs two requests).
  for (const auto& sig : signatures) {
    try {
      auto manifest = client.get_manifest(repo.with_digest(sig.digest));
      auto layer = sign::bundle_layer_of(manifest.bytes);
      oci::Descriptor blob;
      blob.media_type = layer.media_type;
      blob.digest = layer.digest;
      blob.size = layer.size;
      auto bundle = client.fetch_blob(repo, blob, sign::kMaxBundleBytes);
      auto verified = sign::verify_bundle(bundle, bob.digest, keys);
      log::debug("signature " + sig.digest + " verified with key " + verified.key_id + " (" +
                 verified.key_origin + ")");
      return verified;
    } catch (const Error& e) {
      if (e.code() != Exit::trust) throw;
      reason = "signature " + short_digest(sig.digest) + ": " + e.what();
      log::debug(reason);
    }
  }
  if (allow_unsigned) {
    log::warn("!!! BoB " + bob.digest + " is NOT verified (" + reason +
              "); --allow-unsigned accepts it anyway. Anyone with push access to the "
              "repository could have written it. !!!");
    return std::nullopt;
  }
  reject("signature", reason);
}

// ---- Pull ---------------------------------------------------------------------------------

struct Candidate {
  oci::Descriptor listed;  // as the referrers listing gave it
  std::string subject;     // the digest it was listed under
  std::string created, variant;
};

struct Fetched {
  BobManifest manifest;
  std::string signed_by;
  std::vector<std::string> layer_bytes;
};

std::string annotation(const std::map<std::string, std::string>& a, std::string_view key) {
  auto it = a.find(std::string(key));
  return it == a.end() ? std::string() : it->second;
}

Fetched fetch_and_verify(oci::Client& client, const oci::Reference& repo,
                         const std::string& bob_digest, const std::string& listed_under,
                         const std::set<std::string>& allowed_subjects,
                         const std::vector<sign::PublicKey>& keys, bool allow_unsigned,
                         const Candidate* listing, const oci::Manifest* prefetched = nullptr) {
  oci::Manifest manifest;
  if (prefetched != nullptr) {
    manifest = *prefetched;
  } else {
    try {
      manifest = client.get_manifest(repo.with_digest(bob_digest));
    } catch (const Error& e) {
      if (e.code() == Exit::trust) reject("manifest digest", e.what());
      throw;
    }
  }
  Fetched out;
  out.manifest = parse_manifest(manifest);
  const auto& bob = out.manifest;

  auto signature = check_signature(client, repo, bob, keys, allow_unsigned);
  if (signature) out.signed_by = signature->key_id;

  if (!allowed_subjects.count(bob.subject.digest) ||
      (!listed_under.empty() && bob.subject.digest != listed_under)) {
    std::string asked;
    for (const auto& s : allowed_subjects) asked += (asked.empty() ? "" : " or ") + s;
    reject("subject", "BoB " + bob.digest + " belongs to image " + bob.subject.digest +
                          ", not to the image asked for (" + asked + ")");
  }
  // The listing's annotations are unauthenticated copies; the choice of "newest" was made from
  // them, so they must agree with the (digest-bound) manifest.
  if (listing != nullptr &&
      ((!listing->created.empty() && listing->created != bob.created) ||
       (!listing->variant.empty() && listing->variant != bob.variant))) {
    reject("annotations", "the referrers listing shows other annotations than BoB " + bob.digest);
  }

  for (const auto& layer : bob.layers) {
    std::string bytes;
    try {
      bytes = client.fetch_blob(repo, layer, kMaxLayerBytes);
    } catch (const Error& e) {
      if (e.code() == Exit::trust) reject("layer", e.what());
      throw;
    }
    // The client checks this already; a second look costs one hash and guards the contract.
    if (bytes.size() != static_cast<std::size_t>(layer.size) ||
        sign::digest_of(bytes) != layer.digest) {
      reject("layer", "layer " + layer.digest + " does not match its size and digest");
    }
    out.layer_bytes.push_back(std::move(bytes));
  }
  return out;
}

// A private folder next to the output, so the final rename stays on one file system.
class Staging {
 public:
  explicit Staging(const stdfs::path& parent) {
    std::string pattern = (parent / ".bob-pull-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      fail(Exit::usage, parent.string() + ": cannot create a staging folder: " +
                            std::strerror(errno));
    }
    path_ = pattern;
  }
  ~Staging() {
    if (!published_) {
      std::error_code ec;
      stdfs::remove_all(path_, ec);
    }
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  const stdfs::path& path() const { return path_; }
  void published() { published_ = true; }

 private:
  stdfs::path path_;
  bool published_ = false;
};

void write_new_file(const stdfs::path& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) fail(Exit::usage, path.string() + ": cannot create: " + std::strerror(errno));
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail(Exit::usage, path.string() + ": cannot write: " + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    fail(Exit::usage, path.string() + ": cannot write: " + std::strerror(errno));
  }
}

void stage_bob(const Fetched& bob, const stdfs::path& dir) {
  for (std::size_t i = 0; i < bob.manifest.layers.size(); ++i) {
    const auto& layer = bob.manifest.layers[i];
    if (layer.media_type == kLayerArchive) {
      try {
        unpack_archive(bob.layer_bytes[i], dir);
      } catch (const Error& e) {
        if (e.code() == Exit::trust) reject("archive", e.what());
        throw;
      }
      continue;
    }
    write_new_file(dir / layer.annotations.at(std::string(kAnnotationTitle)), bob.layer_bytes[i]);
  }
}

std::vector<std::string> list_relative(const stdfs::path& root) {
  std::vector<std::string> out;
  for (stdfs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (it->is_regular_file()) out.push_back(stdfs::relative(it->path(), root).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Moves the staged tree to `target`: one rename when the target is absent or empty, else entry by
// entry after checking that no existing folder would be replaced.
void publish(Staging& staging, const stdfs::path& target) {
  std::error_code ec;
  if (!stdfs::exists(target, ec) || (stdfs::is_directory(target, ec) &&
                                     stdfs::is_empty(target, ec))) {
    if (::rename(staging.path().c_str(), target.c_str()) != 0) {
      fail(Exit::usage, target.string() + ": cannot move the pulled files into place: " +
                            std::strerror(errno));
    }
    staging.published();
    return;
  }
  if (!stdfs::is_directory(target, ec)) {
    fail(Exit::usage, target.string() + ": exists and is not a folder");
  }
  std::vector<stdfs::path> entries;
  for (const auto& entry : stdfs::directory_iterator(staging.path())) {
    auto destination = target / entry.path().filename();
    if (stdfs::is_directory(destination, ec) || (entry.is_directory() && stdfs::exists(destination, ec))) {
      fail(Exit::usage, destination.string() + ": already exists",
           "pull into a new or empty folder");
    }
    entries.push_back(entry.path());
  }
  for (const auto& entry : entries) {
    auto destination = target / entry.filename();
    if (::rename(entry.c_str(), destination.c_str()) != 0) {
      fail(Exit::usage, destination.string() + ": cannot move into place: " +
                            std::strerror(errno));
    }
  }
}

// Limitation: the registry decides which referrers it lists. A registry (or anyone with push
// access to the fallback tag) can hide the newest BoB so that an older, still validly signed one
// is chosen; without a transparency log bob cannot detect that rollback.
std::vector<Candidate> discover_bobs(oci::Client& client, const oci::Reference& repo,
                                     const std::vector<std::string>& subjects) {
  std::vector<Candidate> out;
  std::set<std::string> seen;
  for (const auto& subject : subjects) {
    for (auto& desc : client.list_referrers(repo, subject, kArtifactType)) {
      if (!seen.insert(desc.digest).second) continue;
      Candidate c;
      c.created = annotation(desc.annotations, kAnnotationCreated);
      c.variant = annotation(desc.annotations, kAnnotationVariant);
      c.listed = std::move(desc);
      c.subject = subject;
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace

oci::ClientOptions client_options(const std::vector<std::string>& insecure_registries,
                                  const std::string& ca_file, bool progress_on_tty) {
  oci::ClientOptions options;
  options.insecure_registries = insecure_registries;
  options.ca_file = ca_file;
  // BOB_STALL_TIMEOUT (seconds, 1..3600) shortens or lengthens the stalled-transfer timeout;
  // the fault tests use it to provoke a stall without waiting a minute per attempt.
  if (const char* stall = std::getenv("BOB_STALL_TIMEOUT"); stall != nullptr && *stall != '\0') {
    char* end = nullptr;
    long seconds = std::strtol(stall, &end, 10);
    if (*end != '\0' || seconds < 1 || seconds > 3600) {
      fail(Exit::usage, "BOB_STALL_TIMEOUT must be a number of seconds from 1 to 3600");
    }
    options.stall_timeout_seconds = seconds;
  }
  if (progress_on_tty && ::isatty(STDERR_FILENO) && log::level() != log::Level::quiet) {
    options.progress = [](std::uint64_t done, std::uint64_t total) {
      if (total < kProgressThreshold) return;
      std::fprintf(stderr, "\r  %3d%% of %.1f MiB", static_cast<int>(done * 100 / total),
                   static_cast<double>(total) / (1 << 20));
      if (done >= total) std::fputc('\n', stderr);
    };
  }
  return options;
}

std::string stats_line(const oci::ClientStats& stats) {
  std::string line = "http requests: " + std::to_string(stats.requests) + " (";
  bool first = true;
  for (const auto& [method, n] : stats.by_method) {
    line += (first ? "" : ", ") + method + " " + std::to_string(n);
    first = false;
  }
  return line + ")";
}

PushResult push(oci::Client& client, const PushRequest& request) {
  auto image = parse_image(request.subject, "--subject");
  auto repo = repository_of(image);
  // Load the key first: a wrong passphrase must fail before anything is uploaded.
  std::optional<sign::PrivateKey> key;
  if (!request.key_path.empty()) key = sign::PrivateKey::load(request.key_path);

  PushResult result;
  result.repository = repo;
  oci::Descriptor subject = resolve_subject(client, image, result.subject_was_tag);
  PackOptions pack = request.pack;
  if (!request.platform.empty()) {
    auto index = client.get_manifest(image.with_digest(subject.digest));
    subject = platform_manifest(index, request.platform);
    pack.platform = request.platform;
    log::info("platform " + request.platform + " of index " + index.digest + " is " +
              subject.digest + "; the BoB is attached to that platform manifest");
  }
  // Only the descriptor's core fields belong in `subject`.
  oci::Descriptor subject_core;
  subject_core.media_type = subject.media_type;
  subject_core.digest = subject.digest;
  subject_core.size = subject.size;
  result.subject_digest = subject.digest;

  Content content = collect(request.inputs, pack);
  std::string bytes = manifest_bytes(content, subject_core);
  client.push_blob(repo, sign::kEmptyBlob, oci::kEmptyJsonDigest);
  for (const auto& layer : content.layers) client.push_blob(repo, layer.bytes, layer.digest);
  result.manifest_digest = client.put_manifest_with_subject(repo, oci::kOciManifest, bytes);
  if (result.manifest_digest != sign::digest_of(bytes)) {
    fail(Exit::registry, "the registry stored the BoB under " + result.manifest_digest +
                             ", not under the digest of the bytes sent");
  }
  if (key) {
    BobManifest bob;
    bob.digest = result.manifest_digest;
    bob.size = static_cast<std::int64_t>(bytes.size());
    bob.subject = subject_core;
    bob.variant = to_string(pack.variant);
    result.signature_digest = push_signature(client, repo, *key, bob, repo);
  }
  return result;
}

std::vector<PulledBob> pull(oci::Client& client, const PullRequest& request) {
  auto image = parse_image(request.image, "image");
  auto repo = repository_of(image);
  if (request.key_paths.empty() && !request.allow_unsigned) {
    fail(Exit::usage, "no trusted key given", "pass --key PUBLIC.pem (repeatable)");
  }
  std::vector<sign::PublicKey> keys;
  if (!request.key_paths.empty()) keys = sign::load_trusted_keys(request.key_paths);
  if (request.allow_unsigned) {
    log::warn("--allow-unsigned: BoBs without a valid signature from a trusted key will be "
              "accepted. Do not use this for anything you rely on.");
  }

  bool was_tag = false;
  std::string asked = image.digest;
  if (asked.empty()) asked = resolve_subject(client, image, was_tag).digest;
  // The subject rule (docs/artifact.md): a BoB is attached to the digest the vendor named; with
  // --platform, push attaches it to the platform manifest. A pull of an index with --platform
  // therefore looks under the platform manifest first, then under the index itself.
  std::vector<std::string> subjects;
  if (!request.platform.empty()) {
    auto index = client.get_manifest(image.with_digest(asked));
    subjects.push_back(platform_manifest(index, request.platform).digest);
  }
  subjects.push_back(asked);
  std::set<std::string> allowed(subjects.begin(), subjects.end());

  auto candidates = discover_bobs(client, repo, subjects);
  if (request.variant) {
    std::string wanted = to_string(*request.variant);
    std::erase_if(candidates, [&](const Candidate& c) {
      // Entries written by other tools may have lost their annotations; keep those and let the
      // manifest (fetched below) decide.
      return !c.variant.empty() && c.variant != wanted;
    });
  }
  if (candidates.empty()) {
    fail(Exit::trust,
         "BoB rejected (discovery): no BoB" +
             (request.variant ? " of variant " + to_string(*request.variant) : std::string()) +
             " is attached to " + image.with_digest(asked).str(),
         "check the image digest; `bob discover` lists what is attached");
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    auto ka = time_sort_key(a.created), kb = time_sort_key(b.created);
    return ka != kb ? ka > kb : a.listed.digest > b.listed.digest;
  });
  std::vector<std::string> older;  // named in the error when the newest BoB is refused
  if (!request.all) {
    for (std::size_t i = 1; i < candidates.size(); ++i) older.push_back(candidates[i].listed.digest);
    candidates.resize(1);
  }

  std::vector<Fetched> fetched;
  for (const auto& c : candidates) {
    Fetched f;
    try {
      f = fetch_and_verify(client, repo, c.listed.digest, c.subject, allowed, keys,
                           request.allow_unsigned, &c);
    } catch (const Error& e) {
      // Limitation: pull always takes the newest BoB and fails closed when it is refused, even
      // if an older BoB signed by a trusted key is attached. So anyone with push access to the
      // repository can block later pulls by attaching a newer unsigned or foreign-signed BoB;
      // the error names the older BoBs so that a person can check one with `bob verify`.
      if (e.code() != Exit::trust || older.empty()) throw;
      std::string count = std::to_string(older.size()) + " older BoB" +
                          (older.size() == 1 ? " is" : "s are");
      throw Error(Exit::trust,
                  std::string(e.what()) + " (the newest BoB; " + count + " attached" +
                      (request.variant ? " with variant " + to_string(*request.variant)
                                       : std::string()) +
                      ", the next one is " + repo.with_digest(older[0]).str() + ")",
                  "bob pull only takes the newest BoB; check an older one with `bob verify " +
                      repo.with_digest(older[0]).str() +
                      " --key KEY`, and find out who attached the newest one");
    }
    if (request.variant && f.manifest.variant != to_string(*request.variant)) {
      reject("annotations", "BoB " + f.manifest.digest + " is not of variant " +
                                to_string(*request.variant));
    }
    fetched.push_back(std::move(f));
  }

  std::vector<PulledBob> result;
  for (const auto& f : fetched) result.push_back({f.manifest, f.signed_by, {}});

  // Where to write: stdout for one plain file, a file, or a folder.
  const bool single_file = fetched.size() == 1 && fetched[0].manifest.layers.size() == 1 &&
                           fetched[0].manifest.layers[0].media_type != kLayerArchive;
  std::error_code ec;
  const bool folder = !single_file || request.all || stdfs::is_directory(request.output, ec) ||
                      (!request.output.empty() && request.output.back() == '/');
  if (request.output.empty() || request.output == "-") {
    if (!single_file) {
      fail(Exit::usage, "the BoB holds several files or a folder",
           "name an output folder with -o DIR");
    }
    fs::write_file_atomic("-", fetched[0].layer_bytes[0]);
    result[0].written.push_back("-");
    return result;
  }
  if (!folder) {
    fs::write_file_atomic(request.output, fetched[0].layer_bytes[0]);
    result[0].written.push_back(request.output);
    return result;
  }
  stdfs::path target = stdfs::absolute(request.output).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  Staging staging(target.parent_path());
  for (std::size_t i = 0; i < fetched.size(); ++i) {
    stdfs::path dir = staging.path();
    if (request.all) {
      std::string hex = fetched[i].manifest.digest.substr(fetched[i].manifest.digest.find(':') + 1);
      dir /= fetched[i].manifest.variant.empty() ? "bob-" + hex.substr(0, 12)
                                                 : fetched[i].manifest.variant + "-" +
                                                       hex.substr(0, 12);
      stdfs::create_directory(dir);
    }
    stage_bob(fetched[i], dir);
    for (const auto& name : list_relative(dir)) result[i].written.push_back((target / stdfs::relative(dir, staging.path()) / name).lexically_normal().string());
  }
  publish(staging, target);
  return result;
}

PulledBob verify(oci::Client& client, const VerifyRequest& request) {
  auto ref = oci::Reference::parse(request.bob);
  if (ref.digest.empty()) {
    fail(Exit::usage, "'" + request.bob + "' does not name the BoB by digest",
         "use REGISTRY/REPO@sha256:... as printed by `bob push` or `bob discover`");
  }
  auto keys = sign::load_trusted_keys(request.key_paths);
  // Without an expected subject, any subject is accepted; the caller sees it in the result.
  std::set<std::string> allowed;
  if (!request.expected_subject.empty()) {
    oci::require_valid_digest(request.expected_subject, "--subject");
    allowed.insert(request.expected_subject);
  }
  auto repo = repository_of(ref);
  oci::Manifest manifest;
  try {
    manifest = client.get_manifest(ref);
  } catch (const Error& e) {
    if (e.code() == Exit::trust) reject("manifest digest", e.what());
    throw;
  }
  if (allowed.empty()) allowed.insert(parse_manifest(manifest).subject.digest);
  auto f = fetch_and_verify(client, repo, ref.digest, {}, allowed, keys, false, nullptr,
                            &manifest);
  return {f.manifest, f.signed_by, {}};
}

std::string sign_existing(oci::Client& client, const SignRequest& request) {
  auto ref = oci::Reference::parse(request.bob);
  if (ref.digest.empty()) {
    fail(Exit::usage, "'" + request.bob + "' does not name the BoB by digest",
         "use REGISTRY/REPO@sha256:... as printed by `bob push` or `bob discover`");
  }
  auto key = sign::PrivateKey::load(request.key_path);
  auto bob = parse_manifest(client.get_manifest(ref));
  auto repo = repository_of(ref);
  return push_signature(client, repo, key, bob, repo);
}

nlohmann::json discover(oci::Client& client, const std::string& image_text) {
  auto image = parse_image(image_text, "image");
  auto repo = repository_of(image);
  bool was_tag = false;
  std::string digest = image.digest;
  if (digest.empty()) digest = resolve_subject(client, image, was_tag).digest;
  auto manifest = client.get_manifest(image.with_digest(digest));

  struct Subject {
    std::string digest, platform;
  };
  std::vector<Subject> subjects{{digest, ""}};
  if (is_index(manifest.media_type)) {
    auto j = manifest.json();
    if (j.contains("manifests") && j["manifests"].is_array()) {
      for (const auto& entry : j["manifests"]) {
        if (subjects.size() > kMaxIndexChildren) {
          log::warn("index " + digest + " has more than " + std::to_string(kMaxIndexChildren) +
                    " manifests; only the first are searched");
          break;
        }
        auto desc = oci::Descriptor::from_json(entry);
        std::string platform = desc.platform_os.value_or("") + "/" +
                               desc.platform_architecture.value_or("");
        if (desc.platform_variant) platform += "/" + *desc.platform_variant;
        subjects.push_back({desc.digest, platform});
      }
    }
  }

  nlohmann::json tree;
  tree["image"] = {{"reference", image.with_digest(digest).str()},
                   {"digest", digest},
                   {"mediaType", manifest.media_type}};
  tree["subjects"] = nlohmann::json::array();
  for (const auto& subject : subjects) {
    auto referrers = client.list_referrers(repo, subject.digest);
    if (referrers.empty() && subject.digest != digest) continue;
    nlohmann::json node = {{"digest", subject.digest}};
    if (!subject.platform.empty()) node["platform"] = subject.platform;
    node["bobs"] = nlohmann::json::array();
    node["others"] = nlohmann::json::array();
    std::sort(referrers.begin(), referrers.end(), [](const auto& a, const auto& b) {
      auto ka = time_sort_key(annotation(a.annotations, kAnnotationCreated));
      auto kb = time_sort_key(annotation(b.annotations, kAnnotationCreated));
      return ka != kb ? ka > kb : a.digest < b.digest;
    });
    for (const auto& r : referrers) {
      auto entry = r.to_json();
      if (r.artifact_type != kArtifactType) {
        node["others"].push_back(entry);
        continue;
      }
      entry["signatures"] = nlohmann::json::array();
      for (const auto& s : client.list_referrers(repo, r.digest, sign::kBundleMediaType)) {
        entry["signatures"].push_back(s.to_json());
      }
      node["bobs"].push_back(entry);
    }
    tree["subjects"].push_back(node);
  }
  return tree;
}

std::string discover_text(const nlohmann::json& tree) {
  std::string out = tree["image"]["reference"].get<std::string>() + "\n";
  const auto& subjects = tree["subjects"];
  for (std::size_t s = 0; s < subjects.size(); ++s) {
    const auto& subject = subjects[s];
    std::string indent;
    if (subject.contains("platform")) {
      bool last = s + 1 == subjects.size();
      out += std::string(last ? "└── " : "├── ") + "platform " +
             subject["platform"].get<std::string>() + " " +
             subject["digest"].get<std::string>() + "\n";
      indent = last ? "    " : "│   ";
    }
    std::vector<std::pair<std::string, const nlohmann::json*>> children;
    for (const auto& b : subject["bobs"]) children.push_back({"bob", &b});
    for (const auto& o : subject["others"]) children.push_back({"other", &o});
    if (children.empty() && indent.empty()) out += "(no BoBs attached)\n";
    for (std::size_t i = 0; i < children.size(); ++i) {
      const auto& node = *children[i].second;
      bool last = i + 1 == children.size();
      std::string label = node.value("artifactType", std::string("<unknown type>"));
      if (children[i].first == "bob") {
        auto annotations = node.value("annotations", nlohmann::json::object());
        label = "BoB " + annotations.value(std::string(kAnnotationVariant), std::string("?")) +
                " " + annotations.value(std::string(kAnnotationCreated), std::string());
        if (annotations.contains(std::string(kAnnotationWorkload))) {
          label += " workload=" + annotations[std::string(kAnnotationWorkload)].get<std::string>();
        }
      }
      out += indent + (last ? "└── " : "├── ") + label + " " +
             node["digest"].get<std::string>() + "\n";
      if (!node.contains("signatures")) continue;
      std::string sub = indent + (last ? "    " : "│   ");
      const auto& sigs = node["signatures"];
      if (sigs.empty()) out += sub + "└── (unsigned)\n";
      for (std::size_t k = 0; k < sigs.size(); ++k) {
        out += sub + (k + 1 == sigs.size() ? "└── " : "├── ") + "signature " +
               sigs[k]["digest"].get<std::string>() + "\n";
      }
    }
  }
  return out;
}

}  // namespace bob::artifact
