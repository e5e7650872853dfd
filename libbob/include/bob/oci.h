// OCI distribution client: references, blobs, manifests and referrers over libcurl.
//
// One Client talks to any number of registries. It keeps one libcurl handle (so connections are
// reused), the bearer tokens it obtained (per registry and scope, until they expire) and what it
// learned about each repository's referrers support, for the lifetime of the object.
//
// Every registry or network failure throws bob::Error with Exit::registry; malformed references
// throw Exit::usage; content that does not match its digest or size throws Exit::trust. Secrets
// (passwords, tokens) are registered with bob::log::add_secret and never appear in messages.
// Details, quirks handled and the test that covers each one: docs/oci-client.md.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bob::oci {

// ---- Media types ---------------------------------------------------------------------------

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kEmptyJson = "application/vnd.oci.empty.v1+json";
// The 2-byte "{}" blob used as the empty config (and as the only layer of an empty artifact).
inline constexpr std::string_view kEmptyJsonDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
// Manifests and referrer indexes larger than this are refused on read and write.
inline constexpr std::size_t kMaxManifestBytes = 4u << 20;

// ---- Names, references, digests ------------------------------------------------------------

bool is_valid_repository(std::string_view name);  // distribution-spec name grammar
bool is_valid_tag(std::string_view tag);          // [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
// sha256:<64 lower-case hex> or sha512:<128 lower-case hex>; upper case is rejected.
bool is_valid_digest(std::string_view digest);
// Throws Error(usage) naming `what` when the digest is malformed.
void require_valid_digest(std::string_view digest, std::string_view what = "digest");
// The referrers tag-schema tag of a digest: "sha256:abc…" -> "sha256-abc…".
std::string fallback_tag(std::string_view digest);

// registry/repository[:tag][@digest]. Docker Hub names are normalised: "alpine" becomes
// registry "docker.io", repository "library/alpine". A first component is a registry when it
// contains '.' or ':' or is "localhost".
struct Reference {
  std::string registry;    // host[:port] as the user names it; "docker.io" for Docker Hub
  std::string repository;  // e.g. "library/alpine", "team/app"
  std::string tag;         // empty when not given
  std::string digest;      // empty when not given

  // Throws Error(usage) with the offending part on a malformed reference. A reference without
  // tag or digest is accepted here (repository-only references are used for listing); callers
  // that need one check it themselves.
  static Reference parse(std::string_view text);

  // The host:port the HTTP requests go to ("registry-1.docker.io" for "docker.io").
  std::string endpoint() const;
  // registry/repository
  std::string repository_name() const;
  // registry/repository[:tag][@digest], the canonical form.
  std::string str() const;
  // A copy that refers to `digest` (tag dropped).
  Reference with_digest(std::string_view digest) const;
  Reference with_tag(std::string_view tag) const;
  // The tag or digest the manifest endpoints use: the digest when set, else the tag, else
  // "latest".
  std::string manifest_reference() const;
};

// ---- Descriptors and manifests -------------------------------------------------------------

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::int64_t size = 0;
  std::string artifact_type;                       // empty when absent
  std::map<std::string, std::string> annotations;  // empty when absent
  std::optional<std::string> platform_os, platform_architecture, platform_variant;

  nlohmann::json to_json() const;  // omits empty optional fields
  // Throws Error(registry) when a required field is missing or malformed.
  static Descriptor from_json(const nlohmann::json& j);
};

// A manifest (or index) exactly as the registry served it.
struct Manifest {
  std::string media_type;  // Content-Type without parameters, checked against body mediaType
  std::string digest;      // digest of `bytes` (verified when fetched by digest)
  std::string bytes;       // the exact body; never re-serialise it
  Descriptor descriptor() const;  // {media_type, digest, bytes.size()} + artifactType if any
  nlohmann::json json() const;    // parsed body (throws Error(registry) on bad JSON)
};

// ---- Client --------------------------------------------------------------------------------

// One set of credentials for a registry.
struct Credential {
  std::string username, password;  // Basic, or the password grant of the token flow
  std::string identity_token;      // OAuth2 refresh token (docker "identitytoken")
  std::string registry_token;      // a bearer token used as is (docker "registrytoken")
  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() &&
           registry_token.empty();
  }
};

enum class ReferrersMode {
  automatic,  // detect per repository (oci-registry.md §6.3)
  api,        // always use the referrers API
  tag_schema  // always use the sha256-<hex> fallback tag
};

enum class ReferrersSupport { unknown, supported, unsupported };

struct ClientOptions {
  std::string ca_file;  // extra PEM CA bundle for TLS verification (never disables it)
  // host[:port] names that may be reached over plain HTTP. Loopback hosts (localhost,
  // 127.0.0.0/8, ::1) always use plain HTTP.
  std::vector<std::string> insecure_registries;
  // host[:port] names that always use https, even on a loopback address (a TLS registry on
  // localhost or behind a port forward). This wins over insecure_registries.
  std::vector<std::string> tls_registries;
  // Credentials given on the command line, by registry host[:port]; they win over the docker
  // config.
  std::map<std::string, Credential> credentials;
  // Directory holding config.json; empty means $DOCKER_CONFIG, else ~/.docker.
  std::string docker_config_dir;
  bool use_docker_config = true;

  long connect_timeout_seconds = 15;
  long request_timeout_seconds = 600;  // whole request, including a large blob body
  // A transfer moving under 1 byte/s for this long is abandoned (and retried when safe).
  long stall_timeout_seconds = 60;
  int max_attempts = 5;                // per idempotent request, on 429/5xx/network errors
  long retry_base_delay_ms = 250;      // jittered exponential backoff base
  long retry_max_delay_ms = 8000;      // cap, also for Retry-After
  // Blobs larger than this are uploaded in PATCH chunks of chunk_size bytes.
  std::size_t chunk_threshold = 32u << 20;
  std::size_t chunk_size = 16u << 20;

  ReferrersMode referrers_mode = ReferrersMode::automatic;
  // Delete the previous fallback index by digest after an update. Off by default: it is
  // destructive under races and often denied (bug-log R19/R20); failures are only warnings.
  bool referrers_gc = false;
  int index_update_attempts = 6;  // bounded read-modify-write-verify attempts on the fallback tag
  std::size_t max_referrer_pages = 100;

  // Called while a blob moves; total is 0 when unknown.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// Counters for benchmarks and tests.
struct ClientStats {
  std::uint64_t requests = 0;  // every HTTP request sent, including token requests and retries
  std::map<std::string, std::uint64_t> by_method;
  std::uint64_t token_requests = 0;
  std::uint64_t retries = 0;
  std::uint64_t bytes_uploaded = 0, bytes_downloaded = 0;
};

struct PushResult {
  std::string digest;
  bool uploaded = false;  // false when the blob was already there or was mounted
  bool mounted = false;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // GET /v2/: throws when the registry is unreachable or not a v2 registry; authenticates.
  void ping(const Reference& registry);

  // ---- Manifests ----
  // Fetches the manifest named by ref (digest wins over tag) with the full Accept list.
  // By digest: the body is hashed and must match. Throws Error(registry) "manifest unknown" on
  // 404, and a loud error on the "accept header does not support OCI indexes" 404.
  Manifest get_manifest(const Reference& ref);
  // Same, but returns nullopt when the manifest does not exist (a genuine 404 MANIFEST_UNKNOWN).
  std::optional<Manifest> find_manifest(const Reference& ref);
  // HEAD; when the registry sends no Docker-Content-Digest for a tag, falls back to GET and
  // hashes the body. Throws when not found.
  Descriptor resolve(const Reference& ref);
  std::optional<Descriptor> find_descriptor(const Reference& ref);
  // PUT with Content-Type = media_type and the exact bytes; `reference` is a tag or a digest
  // (empty = by digest). Returns the digest (verified against Docker-Content-Digest).
  // Does NOT maintain referrers: use put_manifest_with_subject for manifests with a subject.
  std::string put_manifest(const Reference& repo, std::string_view media_type,
                           std::string_view bytes, std::string_view reference = {});
  // DELETE by digest.
  void delete_manifest(const Reference& repo, std::string_view digest);
  std::vector<std::string> list_tags(const Reference& repo);

  // ---- Blobs ----
  bool blob_exists(const Reference& repo, std::string_view digest);
  // Uploads bytes unless the blob is present (HEAD). `digest` may be empty (computed) or given
  // (must match). When mount_from names another repository on the same registry, a
  // cross-repository mount is tried first; a 202 answer continues as an ordinary upload.
  PushResult push_blob(const Reference& repo, std::string_view bytes,
                       std::string_view digest = {}, std::string_view mount_from = {});
  // Downloads a blob and returns it only when its size and digest match `desc` exactly.
  // Refuses descriptors larger than max_bytes before downloading.
  std::string fetch_blob(const Reference& repo, const Descriptor& desc,
                         std::size_t max_bytes = 256u << 20);
  // Streams a blob into a file (written atomically, removed on mismatch).
  void fetch_blob_to_file(const Reference& repo, const Descriptor& desc, const std::string& path,
                          std::uint64_t max_bytes = 8ull << 30);

  // ---- Referrers ----
  // Descriptors of the manifests whose subject is subject_digest, in repo. With a non-empty
  // artifact_type only entries of that type (in the descriptor's artifactType, or in the
  // referrer manifest's artifactType or config mediaType). Entries without artifactType are
  // classified by fetching their manifest, and their artifact_type is filled in.
  std::vector<Descriptor> list_referrers(const Reference& repo, std::string_view subject_digest,
                                         std::string_view artifact_type = {});
  // Pushes a manifest that has a `subject` and makes it discoverable: checks that the subject
  // exists, PUTs the manifest (by digest, or by `tag` when given), then, unless the registry
  // serves the referrers API, adds it to the sha256-<hex> fallback index with the race-aware
  // update algorithm. Returns the manifest digest.
  std::string put_manifest_with_subject(const Reference& repo, std::string_view media_type,
                                        std::string_view bytes, std::string_view tag = {});
  // Removes a referrer: takes it out of the fallback index (an empty index stays when it was the
  // last entry), deletes the index version that still listed it by digest (a failure is only a
  // warning; R19/R20), then deletes the referrer manifest by digest when delete_manifest is true.
  void remove_referrer(const Reference& repo, std::string_view subject_digest,
                       std::string_view referrer_digest, bool delete_manifest = true);
  // What the client knows about a repository's referrers API (probes when unknown).
  ReferrersSupport referrers_support(const Reference& repo, std::string_view probe_digest = {});

  const ClientStats& stats() const;
  const ClientOptions& options() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// ---- Credentials and auth helpers (exposed for tests and `bob login`-style commands) -------

// One challenge of a WWW-Authenticate header: scheme (lower-cased) and its auth-params
// (names lower-cased, quoted values unescaped).
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
// Parses a WWW-Authenticate value per RFC 7235 (several challenges, quoted strings with commas
// and escapes, token68). Throws Error(registry) on malformed input.
std::vector<Challenge> parse_www_authenticate(std::string_view header);

// Looks the registry's credential up in docker's config (credHelpers, then credsStore, then
// auths), running docker-credential-<name> when a helper is configured. Returns an empty
// Credential when none. config_dir empty = $DOCKER_CONFIG or ~/.docker.
Credential find_docker_credential(std::string_view registry, const std::string& config_dir = {});

}  // namespace bob::oci
