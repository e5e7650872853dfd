// Referrers: the API when a repository serves it, the sha256-<hex> tag schema otherwise, and the
// race-aware update of the fallback index (oci-registry.md §6, §7; bug-log §1 and G1-G6).
#include <algorithm>

#include "bob/log.h"
#include "oci_internal.h"

namespace bob::oci {

using detail::HttpResponse;

namespace {

constexpr std::string_view kZeroDigest =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";
// Index sizes above this get a warning: distribution refuses manifests over 4 MiB (G6).
constexpr std::size_t kIndexWarnBytes = 3u << 20;

// Types that say nothing about what an artifact is; an entry carrying one is classified by
// fetching its manifest (bug-log R9, R14, R15).
bool is_generic_type(std::string_view type) {
  return type.empty() || type == kEmptyJson || type == "application/vnd.oci.image.config.v1+json" ||
         type == "application/vnd.docker.container.image.v1+json";
}

std::vector<Descriptor> descriptors_of(const nlohmann::json& index, std::string_view origin) {
  std::vector<Descriptor> out;
  if (!index.contains("manifests") || index["manifests"].is_null()) return out;
  if (!index["manifests"].is_array()) {
    fail(Exit::registry, std::string(origin) + ": \"manifests\" is not a list");
  }
  for (const auto& entry : index["manifests"]) {
    try {
      out.push_back(Descriptor::from_json(entry));
    } catch (const Error& e) {
      log::warn(std::string(origin) + ": skipping a malformed entry: " + e.what());
    }
  }
  return out;
}

bool index_lists(const nlohmann::json& index, std::string_view digest) {
  if (!index.contains("manifests") || !index["manifests"].is_array()) return false;
  for (const auto& entry : index["manifests"]) {
    if (entry.is_object() && entry.contains("digest") && entry["digest"] == digest) return true;
  }
  return false;
}

}  // namespace

// ---- Reading ---------------------------------------------------------------------------------

// Returns nullopt when the repository has no referrers API (a 404 that is not NAME_UNKNOWN).
static std::optional<std::vector<Descriptor>> api_pages(Client::Impl& impl, const Reference& repo,
                                                        std::string_view digest,
                                                        std::string_view artifact_type,
                                                        bool* filtered) {
  const std::string base = impl.base_url(repo.endpoint());
  std::string url = impl.repo_url(repo, "referrers/" + std::string(digest));
  // No n= parameter: it is not defined for referrers (R33).
  if (!artifact_type.empty()) url = detail::add_query(url, "artifactType", artifact_type);
  std::vector<Descriptor> all;
  *filtered = false;
  const std::string key = state_key(repo);
  for (std::size_t page = 0;; ++page) {
    if (page >= impl.options.max_referrer_pages) {
      fail(Exit::registry, "the referrers list of " + std::string(digest) + " in " +
                               repo.repository_name() + " has more than " +
                               std::to_string(impl.options.max_referrer_pages) + " pages; refused");
    }
    RegistryCall call;
    call.endpoint = repo.endpoint();
    call.http.url = url;
    call.http.headers.set("Accept", std::string(kOciIndex));
    call.http.max_body = kMaxManifestBytes;
    call.scopes = pull_scope(repo);
    call.idempotent = true;
    auto response = impl.send(std::move(call));
    if (response.status == 404 && page == 0) {
      if (detail::has_error_code(response, "NAME_UNKNOWN")) {
        fail(Exit::registry, "repository " + repo.repository_name() + " does not exist");
      }
      // Any other 404 (JSON or not; docker-registry sends text/plain) means "no API" (R7, R10).
      impl.referrers_state[key] = ReferrersSupport::unsupported;
      if (impl.subject_header_seen.count(key) != 0) {
        log::warn("the registry sent OCI-Subject for " + repo.repository_name() +
                  " but its referrers API answers 404; using the fallback tag");
      }
      return std::nullopt;
    }
    if (response.status != 200) {
      // 400, 401, 5xx, ...: an error, never a silent fall-back (G2, R10).
      fail(Exit::registry, "referrers API of " + repo.repository_name() + " failed: " +
                               detail::describe_failure(response) +
                               " (only a 404 means the API is absent)");
    }
    if (response.content_type() != kOciIndex) {
      // A login page served with 200 is not an empty list (R2).
      fail(Exit::registry, "the referrers API of " + repo.repository_name() +
                               " answered 200 with Content-Type '" + response.content_type() +
                               "' instead of an OCI index (a proxy or login page?)");
    }
    auto index = nlohmann::json::parse(response.body, nullptr, false);
    if (index.is_discarded() || !index.is_object()) {
      fail(Exit::registry, "the referrers API of " + repo.repository_name() + " returned invalid JSON");
    }
    if (index.contains("mediaType") && index["mediaType"] != kOciIndex) {
      fail(Exit::registry, "the referrers API of " + repo.repository_name() +
                               " returned something other than an OCI index");
    }
    impl.referrers_state[key] = ReferrersSupport::supported;
    // Was the artifactType filter applied? The header, or the annotation older RCs used (R8).
    std::string applied = response.headers.get("OCI-Filters-Applied");
    if (applied.empty() && index.contains("annotations") && index["annotations"].is_object()) {
      applied = index["annotations"].value("org.opencontainers.referrers.filtersApplied", "");
    }
    bool page_filtered =
        !artifact_type.empty() && applied.find("artifactType") != std::string::npos;
    *filtered = page == 0 ? page_filtered : (*filtered && page_filtered);
    auto page_entries = descriptors_of(index, "referrers API of " + repo.repository_name());
    all.insert(all.end(), page_entries.begin(), page_entries.end());
    std::string next = detail::next_link(response);
    if (next.empty()) return all;
    url = detail::resolve_url(url, next);
    if (!detail::same_origin(url, base)) {
      fail(Exit::registry, "the referrers API of " + repo.repository_name() +
                               " sent a pagination link to another origin; refused (R33)");
    }
  }
}

std::vector<Descriptor> Client::Impl::referrers_by_tag(const Reference& repo,
                                                       std::string_view digest) {
  Reference tag_ref = repo.with_tag(fallback_tag(digest));
  auto response = get_manifest_response(tag_ref, false);
  if (response.status == 404) {
    if (detail::is_accept_quirk(response)) {
      fail(Exit::registry,
           "the registry claims the referrers tag " + tag_ref.str() + " is absent because of the "
           "Accept header although bob sent the OCI index type (bug-log R28): " +
               detail::describe_failure(response));
    }
    return {};
  }
  if (response.status != 200) fail_response("GET referrers tag " + tag_ref.tag, response, repo);
  if (response.content_type() != kOciIndex) {
    fail(Exit::registry, "the referrers tag " + tag_ref.str() + " is not an OCI index (Content-Type '" +
                             response.content_type() + "'); refusing to use it");
  }
  auto index = nlohmann::json::parse(response.body, nullptr, false);
  if (index.is_discarded() || !index.is_object() ||
      (index.contains("mediaType") && index["mediaType"] != kOciIndex)) {
    fail(Exit::registry, "the referrers tag " + tag_ref.str() + " does not hold an OCI index");
  }
  // GitLab resolved the fallback tag to the subject itself (oras-go#1396).
  if (detail::digest_bytes(response.body) == digest) {
    fail(Exit::registry, "the referrers tag " + tag_ref.str() + " resolves to the subject itself");
  }
  return descriptors_of(index, "referrers tag " + tag_ref.str());
}

std::vector<Descriptor> Client::list_referrers(const Reference& repo,
                                               std::string_view subject_digest,
                                               std::string_view artifact_type) {
  require_valid_digest(subject_digest, "subject digest");
  auto& impl = *impl_;
  std::vector<Descriptor> entries;
  bool filtered = false;
  const std::string key = state_key(repo);
  auto mode = impl.options.referrers_mode;
  auto state = impl.referrers_state.count(key) ? impl.referrers_state[key] : ReferrersSupport::unknown;
  if (mode == ReferrersMode::tag_schema ||
      (mode == ReferrersMode::automatic && state == ReferrersSupport::unsupported)) {
    entries = impl.referrers_by_tag(repo, subject_digest);
  } else {
    auto api = api_pages(impl, repo, subject_digest, artifact_type, &filtered);
    if (api) {
      entries = std::move(*api);
    } else if (mode == ReferrersMode::api) {
      fail(Exit::registry, "the registry has no referrers API for " + repo.repository_name());
    } else {
      entries = impl.referrers_by_tag(repo, subject_digest);
    }
  }

  // Classify entries that do not say what they are, and filter when the registry did not.
  // A generic listed type (none, or a config mediaType such as the empty JSON: R9, R14) says
  // nothing, so the manifest is read whether or not a filter was asked for; otherwise an
  // unfiltered listing (bob discover) would show a BoB as "other".
  std::vector<Descriptor> out;
  for (auto& entry : entries) {
    bool matches = artifact_type.empty() || filtered || entry.artifact_type == artifact_type;
    if (is_generic_type(entry.artifact_type) &&
        (entry.media_type == kOciManifest || entry.media_type == kDockerManifest)) {
      try {
        auto manifest = get_manifest(repo.with_digest(entry.digest));
        auto j = manifest.json();
        std::string declared = j.value("artifactType", "");
        std::string config;
        if (j.contains("config") && j["config"].is_object()) config = j["config"].value("mediaType", "");
        std::string real = declared.empty() ? config : declared;
        if (!real.empty()) entry.artifact_type = real;
        if (!artifact_type.empty() && (declared == artifact_type || config == artifact_type)) {
          matches = true;
        }
      } catch (const Error& e) {
        log::warn("cannot classify referrer " + entry.digest + ": " + e.what());
      }
    }
    if (matches) out.push_back(std::move(entry));
  }
  return out;
}

ReferrersSupport Client::referrers_support(const Reference& repo, std::string_view probe_digest) {
  auto& impl = *impl_;
  const std::string key = state_key(repo);
  if (impl.options.referrers_mode == ReferrersMode::api) return ReferrersSupport::supported;
  if (impl.options.referrers_mode == ReferrersMode::tag_schema) return ReferrersSupport::unsupported;
  auto it = impl.referrers_state.find(key);
  if (it != impl.referrers_state.end() && it->second != ReferrersSupport::unknown) return it->second;
  bool filtered = false;
  auto api = api_pages(impl, repo, probe_digest.empty() ? kZeroDigest : probe_digest, {}, &filtered);
  return api ? ReferrersSupport::supported : ReferrersSupport::unsupported;
}

// ---- Writing ---------------------------------------------------------------------------------

namespace {

struct IndexState {
  nlohmann::ordered_json index;
  std::string etag;        // empty when the tag does not exist yet
  std::string old_digest;  // digest of the index read, for the optional GC
};

IndexState read_index_for_update(Client::Impl& impl, const Reference& tag_ref,
                                 std::string_view subject_digest) {
  IndexState state;
  auto response = impl.get_manifest_response(tag_ref, false);
  if (response.status == 404) {
    // The Accept quirk must never be taken for "no index yet": that would drop every other
    // tool's referrers (R28, G1).
    if (detail::is_accept_quirk(response)) {
      fail(Exit::registry, "the registry claims the referrers tag " + tag_ref.str() +
                               " is absent because of the Accept header although bob sent the OCI "
                               "index type; refusing to overwrite it (bug-log R28)");
    }
    state.index = {{"schemaVersion", 2}, {"mediaType", kOciIndex},
                   {"manifests", nlohmann::ordered_json::array()}};
    return state;
  }
  if (response.status != 200) {
    impl.fail_response("GET referrers tag " + tag_ref.tag, response, tag_ref);
  }
  if (response.content_type() != kOciIndex) {
    fail(Exit::registry, "the referrers tag " + tag_ref.str() + " holds a " +
                             response.content_type() + ", not an OCI index; refusing to change it");
  }
  state.index = nlohmann::ordered_json::parse(response.body, nullptr, false);
  if (state.index.is_discarded() || !state.index.is_object() ||
      state.index.value("mediaType", std::string(kOciIndex)) != kOciIndex) {
    fail(Exit::registry, "the referrers tag " + tag_ref.str() + " does not hold an OCI index");
  }
  state.old_digest = detail::digest_bytes(response.body);
  if (state.old_digest == subject_digest) {
    fail(Exit::registry, "the referrers tag " + tag_ref.str() + " resolves to the subject itself");
  }
  if (!state.index.contains("manifests") || state.index["manifests"].is_null()) {
    state.index["manifests"] = nlohmann::ordered_json::array();
  }
  if (!state.index["manifests"].is_array()) {
    fail(Exit::registry, "the referrers tag " + tag_ref.str() + " has a malformed manifests list");
  }
  state.etag = response.headers.get("ETag");
  if (state.etag.empty()) state.etag = "\"" + state.old_digest + "\"";
  return state;
}

// Conditional PUT of an updated index; returns false on 412 (somebody else wrote first).
bool put_index(Client::Impl& impl, const Reference& tag_ref, const IndexState& state,
               const std::string& bytes) {
  if (bytes.size() > kMaxManifestBytes) {
    fail(Exit::registry, "the referrers index " + tag_ref.str() + " would exceed 4 MiB");
  }
  if (bytes.size() > kIndexWarnBytes) {
    log::warn("the referrers index " + tag_ref.str() + " is " + std::to_string(bytes.size()) +
              " bytes, close to the 4 MiB registry limit");
  }
  RegistryCall call;
  call.endpoint = tag_ref.endpoint();
  call.http.method = "PUT";
  call.http.url = impl.repo_url(tag_ref, "manifests/" + tag_ref.tag);
  call.http.headers.set("Content-Type", std::string(kOciIndex));
  if (state.etag.empty()) {
    call.http.headers.set("If-None-Match", "*");
  } else {
    call.http.headers.set("If-Match", state.etag);
  }
  call.http.body = bytes;
  call.scopes = push_scope(tag_ref);
  call.idempotent = true;
  auto response = impl.send(std::move(call));
  if (response.status == 412) return false;
  if (response.status < 200 || response.status >= 300) {
    impl.fail_response("PUT referrers tag " + tag_ref.tag, response, tag_ref);
  }
  return true;
}

bool tag_lists(Client::Impl& impl, const Reference& tag_ref, std::string_view digest) {
  auto response = impl.get_manifest_response(tag_ref, false);
  if (response.status != 200) return false;
  auto index = nlohmann::json::parse(response.body, nullptr, false);
  return !index.is_discarded() && index_lists(index, digest);
}

void collect_old_index(Client& client, Client::Impl& impl, const Reference& repo,
                       const IndexState& state, const std::string& new_bytes) {
  if (!impl.options.referrers_gc || state.old_digest.empty()) return;
  if (state.old_digest == detail::digest_bytes(new_bytes)) return;
  try {
    client.delete_manifest(repo, state.old_digest);
  } catch (const Error& e) {
    // GHCR answers 405, many registries 401/403: the attach itself succeeded (R19, R20).
    log::warn("could not delete the previous referrers index " + state.old_digest + ": " +
              e.what());
  }
}

// After a referrer is taken out of the fallback index, the index it replaced still lists it; on
// ECR such an untagged index pins the referrer so its DELETE fails (R19). So removal always tries
// to delete that index by digest, unlike attaching, where GC is opt-in. The caller checked that
// the tag no longer lists the referrer, so the tag cannot point at the old index. A refusal
// (GHCR's 405, 401/403) is only a warning (R20).
// Limitation: older untagged indexes from earlier updates cannot be found through the
// distribution API, so only the index this removal replaced is cleaned up. Another host that
// re-attaches the same referrer at this moment writes byte-identical content; the tag is read
// again right before the DELETE so that the live index is not deleted, which narrows that race
// but cannot close it (the registry has no conditional DELETE).
void clean_up_replaced_index(Client& client, const Reference& repo, const Reference& tag_ref,
                             const IndexState& state, std::string_view referrer_digest) {
  if (state.old_digest.empty()) return;
  try {
    if (client.resolve(tag_ref).digest == state.old_digest) {
      log::debug("the referrers tag points at " + state.old_digest + " again; not deleting it");
      return;
    }
    client.delete_manifest(repo, state.old_digest);
    log::debug("deleted the replaced referrers index " + state.old_digest);
  } catch (const Error& e) {
    log::warn("the referrer " + std::string(referrer_digest) +
              " is no longer listed, but the replaced referrers index " + state.old_digest +
              " that still lists it could not be deleted (" + e.what() +
              "); some registries (ECR) keep the referrer until that index is gone");
  }
}

}  // namespace

void Client::Impl::add_to_fallback_index(const Reference& repo, std::string_view subject_digest,
                                         const Descriptor& entry) {
  Reference tag_ref = repo.with_tag(fallback_tag(subject_digest));
  detail::IndexLock lock(tag_ref.endpoint() + "/" + tag_ref.repository + ":" + tag_ref.tag);
  for (int attempt = 1; attempt <= options.index_update_attempts; ++attempt) {
    auto state = read_index_for_update(*this, tag_ref, subject_digest);
    if (index_lists(state.index, entry.digest)) {
      log::debug("referrers tag " + tag_ref.tag + " already lists " + entry.digest);
      return;
    }
    // Append only; every other entry (other tools' included) stays as it was (R14).
    state.index["manifests"].push_back(nlohmann::ordered_json::parse(entry.to_json().dump()));
    std::string bytes = state.index.dump();
    if (!put_index(*this, tag_ref, state, bytes)) {
      log::debug("referrers tag " + tag_ref.tag + " changed under us (412); retrying");
      detail::backoff_sleep(options, attempt);
      continue;
    }
    // If-Match is ignored by some registries (G3): read back and check our entry survived.
    if (!tag_lists(*this, tag_ref, entry.digest)) {
      log::debug("referrers tag " + tag_ref.tag + " lost our entry to a concurrent writer; retrying");
      detail::backoff_sleep(options, attempt);
      continue;
    }
    collect_old_index(*owner, *this, repo, state, bytes);
    return;
  }
  fail(Exit::registry, "could not add " + entry.digest + " to the referrers tag " + tag_ref.str() +
                           " after " + std::to_string(options.index_update_attempts) +
                           " attempts (concurrent writers?)",
       "run the push again: it is idempotent and repairs the index");
}

std::string Client::put_manifest_with_subject(const Reference& repo, std::string_view media_type,
                                              std::string_view bytes, std::string_view tag) {
  auto& impl = *impl_;
  auto parsed = nlohmann::json::parse(bytes, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("subject") ||
      !parsed["subject"].is_object() || !parsed["subject"].contains("digest") ||
      !parsed["subject"]["digest"].is_string()) {
    fail(Exit::usage, "put_manifest_with_subject: the manifest has no subject descriptor");
  }
  std::string subject = parsed["subject"]["digest"].get<std::string>();
  require_valid_digest(subject, "subject digest");
  // Attach only to something that exists (R11): a referrer of nothing is useless, and some
  // registries answer 500 to it.
  if (!find_descriptor(repo.with_digest(subject))) {
    fail(Exit::registry, "the subject " + subject + " does not exist in " + repo.repository_name(),
         "push the image first, or name the image by the digest the registry serves");
  }
  std::string digest;
  // The fallback index is touched only after the manifest itself is stored (R4).
  auto response = put_manifest_response(impl, repo, media_type, bytes, tag, true, &digest);

  const std::string key = state_key(repo);
  std::string subject_header = response.headers.get("OCI-Subject");
  bool legacy_hint = !response.headers.get("OCI-Subject-Processed").empty();
  if (!subject_header.empty()) {
    impl.subject_header_seen.insert(key);
    if (subject_header != subject) {
      log::warn("the registry answered OCI-Subject " + subject_header.substr(0, 140) +
                " for a manifest whose subject is " + subject);
    }
  }

  Descriptor entry;
  entry.media_type = std::string(media_type);
  entry.digest = digest;
  entry.size = static_cast<std::int64_t>(bytes.size());
  entry.artifact_type = parsed.value("artifactType", "");
  if (entry.artifact_type.empty() && parsed.contains("config") && parsed["config"].is_object()) {
    entry.artifact_type = parsed["config"].value("mediaType", "");
  }
  if (parsed.contains("annotations") && parsed["annotations"].is_object()) {
    for (const auto& [k, v] : parsed["annotations"].items()) {
      if (v.is_string()) entry.annotations[k] = v.get<std::string>();
    }
  }

  bool update_index;
  switch (impl.options.referrers_mode) {
    case ReferrersMode::api: update_index = false; break;
    case ReferrersMode::tag_schema: update_index = true; break;
    default:
      if (subject_header.empty() && !legacy_hint) {
        // No OCI-Subject: the spec makes the client maintain the fallback tag.
        update_index = true;
      } else {
        // OCI-Subject is a hint, not proof (ECR sent it without the API: R3, R12). Confirm.
        update_index = referrers_support(repo, subject) != ReferrersSupport::supported;
      }
  }
  if (update_index) impl.add_to_fallback_index(repo, subject, entry);
  return digest;
}

void Client::remove_referrer(const Reference& repo, std::string_view subject_digest,
                             std::string_view referrer_digest, bool delete_it) {
  require_valid_digest(subject_digest, "subject digest");
  require_valid_digest(referrer_digest, "referrer digest");
  auto& impl = *impl_;
  auto support = referrers_support(repo, subject_digest);
  if (support != ReferrersSupport::supported) {
    Reference tag_ref = repo.with_tag(fallback_tag(subject_digest));
    detail::IndexLock lock(tag_ref.endpoint() + "/" + tag_ref.repository + ":" + tag_ref.tag);
    bool done = false;
    for (int attempt = 1; attempt <= impl.options.index_update_attempts && !done; ++attempt) {
      auto state = read_index_for_update(impl, tag_ref, subject_digest);
      if (state.etag.empty() || !index_lists(state.index, referrer_digest)) {
        done = true;
        break;
      }
      auto& list = state.index["manifests"];
      nlohmann::ordered_json kept = nlohmann::ordered_json::array();
      for (const auto& e : list) {
        if (!(e.is_object() && e.contains("digest") && e["digest"] == referrer_digest)) {
          kept.push_back(e);
        }
      }
      // The last entry leaves an empty index ("manifests": []) rather than a deleted tag (R21).
      list = kept;
      std::string bytes = state.index.dump();
      if (!put_index(impl, tag_ref, state, bytes) || tag_lists(impl, tag_ref, referrer_digest)) {
        detail::backoff_sleep(impl.options, attempt);
        continue;
      }
      clean_up_replaced_index(*this, repo, tag_ref, state, referrer_digest);
      done = true;
    }
    if (!done) {
      fail(Exit::registry, "could not remove " + std::string(referrer_digest) +
                               " from the referrers tag " + tag_ref.str());
    }
  }
  if (!delete_it) return;
  try {
    delete_manifest(repo, referrer_digest);
  } catch (const Error& e) {
    if (support == ReferrersSupport::supported) throw;
    // A 405 means deletes are off altogether; anything else may be an old index pinning it (R19).
    std::string what = e.what();
    bool refused = what.find("does not allow deleting") != std::string::npos;
    log::warn("the referrer is no longer listed, but deleting its manifest failed: " + what +
              (refused ? "" : " (an older referrers index that still lists it may pin it)"));
  }
}

}  // namespace bob::oci
