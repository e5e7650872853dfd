// The BoB artifact: vendor profiles packed as an OCI referrer of the image they belong to,
// signed, and pulled back only after every check passed.
//
// A BoB is an OCI image manifest with artifactType kArtifactType, the empty "{}" config, one
// layer per profile file (the vendor's bytes exactly) or one reproducible tar+gzip layer for a
// folder, and `subject` = the image manifest or index digest. Its signature is a Sigstore bundle
// referrer of the BoB manifest (see bob/sign.h). Formats: schemas/bob-artifact.md; design,
// checks and figures: docs/artifact.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bob/oci.h"

namespace bob::artifact {

// ---- Media types and annotation keys ------------------------------------------------------

// The manifest's artifactType: a set of Kubescape profiles (one or many files, YAML or JSON).
inline constexpr std::string_view kArtifactType = "application/vnd.bob.profile.v1+yaml";
inline constexpr std::string_view kLayerYaml = "application/vnd.bob.profile.v1+yaml";
inline constexpr std::string_view kLayerJson = "application/vnd.bob.profile.v1+json";
// A folder of profiles: reproducible tar (pax/ustar) compressed with gzip.
inline constexpr std::string_view kLayerArchive = "application/vnd.bob.profile.set.v1.tar+gzip";

inline constexpr std::string_view kAnnotationCreated = "org.opencontainers.image.created";
inline constexpr std::string_view kAnnotationTitle = "org.opencontainers.image.title";
// bob's own keys; the prefix is reserved: --annotation may not set keys under it.
inline constexpr std::string_view kAnnotationPrefix = "dev.bob.";
inline constexpr std::string_view kAnnotationVariant = "dev.bob.profile.variant";
inline constexpr std::string_view kAnnotationKind = "dev.bob.profile.kind";
inline constexpr std::string_view kAnnotationWorkload = "dev.bob.profile.workload";
inline constexpr std::string_view kAnnotationContainers = "dev.bob.profile.containers";
inline constexpr std::string_view kAnnotationPlatform = "dev.bob.subject.platform";

// Registries copy manifest annotations into every referrers listing, so they stay small.
inline constexpr std::size_t kMaxAnnotationValue = 256;
inline constexpr std::size_t kMaxAnnotationBytes = 4096;

enum class Variant { specific, generalized };
std::string to_string(Variant variant);
// Throws Error(usage) for anything but "specific" or "generalized".
Variant parse_variant(std::string_view text);

// ---- Archives (a folder as one layer) -----------------------------------------------------

// Packs a folder as tar+gzip: entries sorted by name, mtime 0, owner 0:0 without names, modes
// 0644 (files) and 0755 (folders), gzip without time stamp or name. The same folder contents
// always give the same bytes. Symbolic links and special files are refused (Exit::usage).
std::string pack_directory(const std::filesystem::path& dir);

struct ArchiveLimits {
  std::size_t max_entries = 10000;
  std::uint64_t max_entry_bytes = 64ull << 20;
  std::uint64_t max_total_bytes = 256ull << 20;
};

// Unpacks tar+gzip bytes into `dir`, which must exist and be empty. Refuses (Exit::trust)
// absolute names, "..", hard and symbolic links, devices, FIFOs and other special files,
// duplicate names and anything over the limits. On failure `dir` may hold part of the content:
// callers unpack into a private staging folder and discard it.
void unpack_archive(std::string_view tgz, const std::filesystem::path& dir,
                    const ArchiveLimits& limits = {});

// ---- Building and reading BoB manifests ---------------------------------------------------

struct Layer {
  std::string media_type;
  std::string title;  // a plain file name
  std::string bytes;
  std::string digest;
};

struct Content {
  std::vector<Layer> layers;
  std::map<std::string, std::string> annotations;  // manifest annotations
};

struct PackOptions {
  Variant variant = Variant::specific;
  std::vector<std::string> annotations;  // "key=value" from --annotation
  std::string created;                   // RFC 3339; empty: $SOURCE_DATE_EPOCH, else now
  std::string platform;                  // "os/arch[/variant]" recorded when given
};

// Reads profile files (one layer each) or exactly one folder (one archive layer) and derives
// bob's annotations (kind, workload and container names) from the profiles it can parse.
// Throws Error(usage) on unreadable input, clashing titles or oversized annotations.
Content collect(const std::vector<std::string>& inputs, const PackOptions& options);

// The exact manifest bytes to push (compact JSON, fixed key order).
std::string manifest_bytes(const Content& content, const oci::Descriptor& subject);

// A BoB manifest that passed the shape checks.
struct BobManifest {
  std::string digest;
  std::int64_t size = 0;
  oci::Descriptor subject;
  std::vector<oci::Descriptor> layers;
  std::map<std::string, std::string> annotations;
  std::string variant;  // from the annotation; "" when absent
  std::string created;  // from the annotation; "" when absent
};

// Checks the shape of a fetched manifest: OCI image manifest, artifactType, empty config, a
// subject, at least one layer, each layer one of bob's media types with a plain file title.
// Throws Error(trust) starting "BoB rejected (artifactType|manifest|layer): ".
BobManifest parse_manifest(const oci::Manifest& manifest);

// ---- Registry operations ------------------------------------------------------------------

// Client options from the common command-line flags. With progress_on_tty, blobs over 4 MiB
// report progress on stderr when it is a terminal.
oci::ClientOptions client_options(const std::vector<std::string>& insecure_registries,
                                  const std::string& ca_file, bool progress_on_tty = true);

// "http requests: N (GET a, HEAD b, ...)": what -v prints at the end of a command, and what the
// benchmark reads.
std::string stats_line(const oci::ClientStats& stats);

struct PushRequest {
  std::string subject;   // image reference (tag or digest)
  std::string platform;  // "os/arch[/variant]": resolve an index subject to that manifest
  std::vector<std::string> inputs;
  PackOptions pack;
  std::string key_path;  // sign when given
};

struct PushResult {
  oci::Reference repository;
  std::string subject_digest;
  std::string manifest_digest;
  std::string signature_digest;  // "" when unsigned
  bool subject_was_tag = false;
};

PushResult push(oci::Client& client, const PushRequest& request);

struct PullRequest {
  std::string image;     // REF@DIGEST (a tag is resolved, with a warning)
  std::string platform;  // also look under this platform's manifest of an index
  std::vector<std::string> key_paths;
  std::optional<Variant> variant;  // unset: any variant
  bool all = false;
  bool allow_unsigned = false;
  std::string output;  // "" = stdout (single file only); FILE or DIR
};

struct PulledBob {
  BobManifest manifest;
  std::string signed_by;  // key id, "" when unsigned
  std::vector<std::string> written;
};

// Discovers, selects, verifies everything, and only then writes. Throws Error(trust) with
// "BoB rejected (<check>): ..." and writes nothing when any check fails.
std::vector<PulledBob> pull(oci::Client& client, const PullRequest& request);

struct VerifyRequest {
  std::string bob;  // REF@DIGEST of the BoB manifest
  std::vector<std::string> key_paths;
  std::string expected_subject;  // when given, the BoB's subject digest must equal it
};

// Verifies an existing BoB (signature, subject, artifactType, every layer) without writing.
PulledBob verify(oci::Client& client, const VerifyRequest& request);

struct SignRequest {
  std::string bob;  // REF@DIGEST of the BoB manifest
  std::string key_path;
};

// Signs an existing BoB and pushes the signature referrer; returns its manifest digest.
std::string sign_existing(oci::Client& client, const SignRequest& request);

// The tree image -> BoBs -> signatures as JSON:
// {"image": {reference, digest, mediaType}, "subjects": [{digest, platform?, bobs: [{digest,
// size, artifactType, annotations, signatures: [{digest, artifactType, annotations}]}],
// others: [...]}]}
nlohmann::json discover(oci::Client& client, const std::string& image);
// The same as an indented text tree.
std::string discover_text(const nlohmann::json& tree);

}  // namespace bob::artifact
