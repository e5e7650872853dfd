// The registry client: request pipeline (auth, redirects, retries), manifests, blobs and tags
// (oci-registry.md §2-§5, §11).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>

#include "bob/log.h"
#include "oci_internal.h"

namespace bob::oci {

using detail::HttpRequest;
using detail::HttpResponse;

namespace {

const std::string& manifest_accept() {
  static const std::string accept = std::string(kOciManifest) + ", " + std::string(kOciIndex) +
                                    ", " + std::string(kDockerManifest) + ", " +
                                    std::string(kDockerManifestList);
  return accept;
}

bool is_manifest_type(std::string_view type) {
  return type == kOciManifest || type == kOciIndex || type == kDockerManifest ||
         type == kDockerManifestList || type == "application/vnd.oci.artifact.manifest.v1+json";
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool is_retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::string algorithm_of(std::string_view digest) {
  return std::string(digest.substr(0, digest.find(':')));
}

}  // namespace

std::string state_key(const Reference& repo) { return repo.endpoint() + "/" + repo.repository; }

Client::Impl::Impl(ClientOptions opts) : options(std::move(opts)), transport(options, stats) {
  if (options.max_attempts < 1) options.max_attempts = 1;
  if (options.chunk_size < 1024) options.chunk_size = 1024;
}

namespace {

// True when `endpoint` (host[:port]) is named in `names`, as host:port or as a bare host.
bool named_in(const std::vector<std::string>& names, const std::string& endpoint) {
  std::string host = endpoint.substr(0, endpoint.rfind(':'));
  for (const auto& name : names) {
    if (name == endpoint || (name == host && endpoint.find(']') == std::string::npos)) return true;
  }
  return false;
}

}  // namespace

// Plain HTTP is chosen by name, never by probing: loopback hosts and insecure_registries use it,
// unless the registry is listed in tls_registries (a TLS registry on loopback, e.g. behind a port
// forward), which always wins so a typo can never downgrade a registry named as TLS.
std::string Client::Impl::base_url(const std::string& endpoint) const {
  bool plain = detail::is_loopback_host(endpoint) || named_in(options.insecure_registries, endpoint);
  if (named_in(options.tls_registries, endpoint)) plain = false;
  return (plain ? "http://" : "https://") + endpoint;
}

std::string Client::Impl::repo_url(const Reference& repo, std::string_view tail) const {
  return base_url(repo.endpoint()) + "/v2/" + repo.repository + "/" + std::string(tail);
}

HttpResponse Client::Impl::send(RegistryCall call) {
  std::lock_guard lock(mutex);
  const std::string registry_base = base_url(call.endpoint);
  bool reauthenticated = false;
  static std::set<std::string> warnings_shown;
  for (int attempt = 1;; ++attempt) {
    HttpRequest request = call.http;
    std::string url = request.url;
    HttpResponse response;
    bool network_failure = false;
    for (int hop = 0;; ++hop) {
      request.url = url;
      request.headers.remove("Authorization");
      // Credentials go to the registry's own origin only, never to a redirect target (G8).
      if (detail::same_origin(url, registry_base)) {
        apply_auth(call.endpoint, call.scopes, request.headers);
      }
      try {
        response = transport.perform(request);
      } catch (const detail::TransportError& e) {
        // No response at all: only a transient failure of an idempotent request is repeated
        // (an over-long body, a certificate or CA file problem would fail the same way again).
        // Errors from a sink are not TransportErrors and end the request.
        if (!detail::is_transient(e.failure()) || !call.idempotent ||
            attempt >= options.max_attempts) {
          throw;
        }
        log::debug(std::string("retrying after a network failure: ") + e.what());
        network_failure = true;
        break;
      }
      if (!is_redirect(response.status) || !response.headers.has("Location")) break;
      if (hop >= 10) fail(Exit::registry, "too many redirects from " + call.endpoint);
      std::string next = detail::resolve_url(url, response.headers.get("Location"));
      if (detail::parse_url(url).scheme == "https" && detail::parse_url(next).scheme != "https") {
        fail(Exit::registry,
             "the registry " + call.endpoint + " redirected an https request to " +
                 detail::parse_url(next).scheme + "://" + detail::parse_url(next).host +
                 "; refusing the downgrade");
      }
      if (response.status == 303 ||
          ((response.status == 301 || response.status == 302) && request.method == "POST")) {
        request.method = "GET";
        request.body = {};
      }
      log::debug("following a redirect to " + log::redact(next));
      url = next;
    }
    if (network_failure) {
      ++stats.retries;
      if (call.on_retry) call.on_retry();
      detail::backoff_sleep(options, attempt);
      continue;
    }
    response.url = url;
    for (const auto& warning : response.headers.all("Warning")) {
      // Registries send `299 - "text"`; show each once and never act on it.
      if (warning.rfind("299", 0) == 0 && warnings_shown.insert(warning).second) {
        auto first = warning.find('"');
        auto last = warning.rfind('"');
        std::string text = first != std::string::npos && last > first
                               ? warning.substr(first + 1, last - first - 1)
                               : warning;
        log::warn("registry " + call.endpoint + ": " + text.substr(0, 4096));
      }
    }
    if (response.status == 401 && !reauthenticated && detail::same_origin(url, registry_base)) {
      reauthenticated = true;
      if (handle_challenge(call.endpoint, call.scopes, response)) {
        if (call.on_retry) call.on_retry();
        --attempt;  // an auth round trip is not a failed attempt
        continue;
      }
    }
    if (call.idempotent && is_retryable_status(response.status) &&
        attempt < options.max_attempts) {
      ++stats.retries;
      auto retry_after = detail::parse_retry_after(response.headers.get("Retry-After"),
                                                   std::time(nullptr), options.retry_max_delay_ms);
      std::string wait = retry_after.delay_ms > 0
                             ? "waiting " + std::to_string(retry_after.delay_ms) + " ms as the " +
                                   detail::describe(retry_after.form) + " asks"
                             : std::string("computed backoff (") +
                                   detail::describe(retry_after.form) + ")";
      log::debug("HTTP " + std::to_string(response.status) + " from " + call.endpoint +
                 ", retrying (attempt " + std::to_string(attempt + 1) + "), " + wait);
      if (call.on_retry) call.on_retry();
      detail::backoff_sleep(options, attempt, retry_after.delay_ms);
      continue;
    }
    return response;
  }
}

void Client::Impl::fail_response(std::string_view what, const HttpResponse& response,
                                 const Reference& ref) {
  std::string where = std::string(what) + " (" + ref.repository_name() + ")";
  if (response.status == 401) {
    fail(Exit::registry, "authentication failed: " + where + ": " + detail::describe_failure(response),
         "check the credentials for " + ref.registry + " (docker login, DOCKER_CONFIG)");
  }
  if (response.status == 403) {
    fail(Exit::registry, "access denied: " + where + ": " + detail::describe_failure(response),
         "the credentials for " + ref.registry + " lack the needed permission");
  }
  fail(Exit::registry, where + " failed: " + detail::describe_failure(response));
}

// ---- Client plumbing ---------------------------------------------------------------------------

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->owner = this;
}
Client::~Client() = default;
Client::Client(Client&& other) noexcept = default;
Client& Client::operator=(Client&& other) noexcept = default;

const ClientStats& Client::stats() const { return impl_->stats; }
const ClientOptions& Client::options() const { return impl_->options; }

void Client::ping(const Reference& registry) {
  RegistryCall call;
  call.endpoint = registry.endpoint();
  call.http.url = impl_->base_url(call.endpoint) + "/v2/";
  call.idempotent = true;
  auto response = impl_->send(std::move(call));
  if (response.status == 200) return;
  if (response.status == 404) {
    fail(Exit::registry, registry.registry + " does not serve the registry API (GET /v2/ gave 404)");
  }
  impl_->fail_response("GET /v2/", response, registry);
}

// ---- Manifests ---------------------------------------------------------------------------------

HttpResponse Client::Impl::get_manifest_response(const Reference& ref, bool head) {
  RegistryCall call;
  call.endpoint = ref.endpoint();
  call.http.method = head ? "HEAD" : "GET";
  call.http.url = repo_url(ref, "manifests/" + ref.manifest_reference());
  // Always the full list: without the index type distribution answers a misleading 404 (R28).
  call.http.headers.set("Accept", manifest_accept());
  call.http.max_body = kMaxManifestBytes;
  call.scopes = pull_scope(ref);
  call.idempotent = true;
  return send(std::move(call));
}

Manifest Client::Impl::manifest_from_response(const Reference& ref, const HttpResponse& response) {
  Manifest m;
  m.bytes = response.body;
  m.media_type = response.content_type();
  auto parsed = nlohmann::json::parse(m.bytes, nullptr, false);
  std::string body_type;
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("mediaType") &&
      parsed["mediaType"].is_string()) {
    body_type = parsed["mediaType"].get<std::string>();
  }
  if (m.media_type.empty() || m.media_type == "application/json" ||
      m.media_type == "application/octet-stream" || m.media_type == "text/plain") {
    m.media_type = body_type;
  } else if (!body_type.empty() && body_type != m.media_type) {
    fail(Exit::registry, "the registry served " + ref.str() + " as " + m.media_type +
                             " but its body says mediaType " + body_type);
  }
  if (!is_manifest_type(m.media_type)) {
    fail(Exit::registry, ref.str() + " is not a manifest bob understands (Content-Type '" +
                             response.content_type() + "')");
  }
  m.digest = detail::digest_bytes(m.bytes, ref.digest.empty() ? "sha256:" : ref.digest);
  if (!ref.digest.empty() && m.digest != ref.digest) {
    fail(Exit::trust, "the registry returned a manifest for " + ref.str() +
                          " whose content has digest " + m.digest);
  }
  std::string header_digest = response.headers.get("Docker-Content-Digest");
  if (!header_digest.empty() && algorithm_of(header_digest) == algorithm_of(m.digest) &&
      header_digest != m.digest) {
    fail(Exit::trust, "the registry's Docker-Content-Digest " + header_digest.substr(0, 140) +
                          " for " + ref.str() + " does not match the content (" + m.digest + ")");
  }
  return m;
}

std::optional<Manifest> Client::find_manifest(const Reference& ref) {
  auto response = impl_->get_manifest_response(ref, false);
  if (response.status == 200) return impl_->manifest_from_response(ref, response);
  if (response.status == 404) {
    if (detail::is_accept_quirk(response)) {
      fail(Exit::registry,
           "the registry claims " + ref.str() + " is unknown because of the Accept header although "
           "bob sent the OCI index type; refusing to treat it as absent (bug-log R28): " +
               detail::describe_failure(response));
    }
    return std::nullopt;
  }
  impl_->fail_response("GET manifest " + ref.manifest_reference(), response, ref);
}

Manifest Client::get_manifest(const Reference& ref) {
  auto m = find_manifest(ref);
  if (!m) fail(Exit::registry, "manifest unknown: " + ref.str());
  return *m;
}

std::optional<Descriptor> Client::find_descriptor(const Reference& ref) {
  auto response = impl_->get_manifest_response(ref, true);
  if (response.status == 404) {
    if (detail::is_accept_quirk(response)) {
      // A HEAD has no body to inspect, so this only triggers on registries that send one.
      fail(Exit::registry, "the registry refuses " + ref.str() + " because of the Accept header");
    }
    // HEAD bodies are empty: confirm with a GET that can tell the Accept quirk from absence.
    auto m = find_manifest(ref);
    if (!m) return std::nullopt;
    auto d = m->descriptor();
    return d;
  }
  if (response.status != 200) impl_->fail_response("HEAD manifest", response, ref);
  std::string header_digest = response.headers.get("Docker-Content-Digest");
  std::string type = response.content_type();
  std::string length = response.headers.get("Content-Length");
  bool complete = is_manifest_type(type) && !length.empty() &&
                  std::all_of(length.begin(), length.end(), ::isdigit);
  if (!ref.digest.empty()) {
    if (!header_digest.empty() && header_digest != ref.digest) {
      fail(Exit::trust, "the registry answered HEAD " + ref.str() + " with digest " +
                            header_digest.substr(0, 140));
    }
    if (complete) {
      Descriptor d;
      d.media_type = type;
      d.digest = ref.digest;  // no header: trust the digest we asked for (R27)
      d.size = std::stoll(length);
      return d;
    }
  } else if (complete && is_valid_digest(header_digest)) {
    Descriptor d;
    d.media_type = type;
    d.digest = header_digest;
    d.size = std::stoll(length);
    return d;
  }
  // No usable digest or type on the HEAD (R27): GET the manifest and hash it.
  auto m = find_manifest(ref);
  if (!m) return std::nullopt;
  return m->descriptor();
}

Descriptor Client::resolve(const Reference& ref) {
  auto d = find_descriptor(ref);
  if (!d) fail(Exit::registry, "manifest unknown: " + ref.str());
  return *d;
}

namespace {

// Clear words for the ways registries refuse manifests (bug-log R4, R5, R6, R30).
[[noreturn]] void fail_manifest_put(const HttpResponse& response, const Reference& repo,
                                    bool has_subject) {
  std::string registry_text = detail::describe_failure(response);
  std::string where = "PUT manifest to " + repo.repository_name();
  long s = response.status;
  if (s == 401 || s == 403) {
    fail(Exit::registry, (s == 401 ? "authentication failed: " : "access denied: ") + where +
                             ": " + registry_text,
         "push needs pull,push rights on " + repo.repository_name());
  }
  if (s == 404 && has_subject) {
    fail(Exit::registry, "the registry rejects manifests with a subject (" + where + ": " +
                             registry_text + ")",
         "this registry cannot store OCI 1.1 referrers; use another registry or upgrade it");
  }
  if (s == 405) {
    fail(Exit::registry, "the registry does not support this manifest (unsupported by registry; " +
                             where + ": " + registry_text + ")");
  }
  if (s == 413) {
    fail(Exit::registry, "the registry refuses the manifest as too large (" + registry_text + ")");
  }
  if (s >= 500) {
    fail(Exit::registry, "the registry failed to store the manifest (" + where + ": " +
                             registry_text + "); some registries cannot store OCI artifact "
                             "manifests (artifactType, empty config" +
                             std::string(has_subject ? ", subject" : "") + ")");
  }
  if (detail::has_error_code(response, "MANIFEST_BLOB_UNKNOWN")) {
    fail(Exit::registry, "the registry refuses the manifest because a blob it names is missing (" +
                             registry_text + ")");
  }
  fail(Exit::registry, where + " failed: " + registry_text);
}

}  // namespace

HttpResponse put_manifest_response(Client::Impl& impl, const Reference& repo,
                                   std::string_view media_type, std::string_view bytes,
                                   std::string_view reference, bool has_subject,
                                   std::string* digest_out) {
  if (bytes.size() > kMaxManifestBytes) {
    fail(Exit::usage, "the manifest is " + std::to_string(bytes.size()) +
                          " bytes; registries accept at most 4 MiB");
  }
  if (media_type.empty()) fail(Exit::usage, "a manifest needs a media type for its Content-Type");
  std::string digest = detail::digest_bytes(bytes);
  std::string ref = reference.empty() ? digest : std::string(reference);
  if (is_valid_digest(ref) && ref != digest) {
    fail(Exit::usage, "the manifest bytes have digest " + digest + ", not " + ref);
  }
  if (!is_valid_digest(ref) && !is_valid_tag(ref)) {
    fail(Exit::usage, "invalid tag '" + ref.substr(0, 140) + "'");
  }
  RegistryCall call;
  call.endpoint = repo.endpoint();
  call.http.method = "PUT";
  call.http.url = impl.repo_url(repo, "manifests/" + ref);
  call.http.headers.set("Content-Type", std::string(media_type));
  call.http.body = bytes;
  call.scopes = push_scope(repo);
  call.idempotent = true;  // PUT of the same bytes is idempotent
  auto response = impl.send(std::move(call));
  if (response.status < 200 || response.status >= 300) {
    fail_manifest_put(response, repo, has_subject);
  }
  std::string header = response.headers.get("Docker-Content-Digest");
  if (!header.empty() && header != digest) {
    fail(Exit::registry, "the registry stored the manifest under digest " + header.substr(0, 140) +
                             " but bob sent " + digest);
  }
  if (digest_out) *digest_out = digest;
  return response;
}

std::string Client::put_manifest(const Reference& repo, std::string_view media_type,
                                 std::string_view bytes, std::string_view reference) {
  std::string digest;
  auto parsed = nlohmann::json::parse(bytes, nullptr, false);
  bool has_subject = !parsed.is_discarded() && parsed.is_object() && parsed.contains("subject");
  put_manifest_response(*impl_, repo, media_type, bytes, reference, has_subject, &digest);
  return digest;
}

void Client::delete_manifest(const Reference& repo, std::string_view digest) {
  require_valid_digest(digest, "manifest digest");
  RegistryCall call;
  call.endpoint = repo.endpoint();
  call.http.method = "DELETE";
  call.http.url = impl_->repo_url(repo, "manifests/" + std::string(digest));
  call.scopes = {"repository:" + repo.repository + ":delete"};
  call.idempotent = true;
  auto response = impl_->send(std::move(call));
  if (response.status == 202 || response.status == 200 || response.status == 204) return;
  if (response.status == 405) {
    fail(Exit::registry, "the registry does not allow deleting manifests in " +
                             repo.repository_name() + " (" + detail::describe_failure(response) + ")");
  }
  impl_->fail_response("DELETE manifest " + std::string(digest), response, repo);
}

std::vector<std::string> Client::list_tags(const Reference& repo) {
  std::vector<std::string> tags;
  std::string url = impl_->repo_url(repo, "tags/list");
  const std::string base = impl_->base_url(repo.endpoint());
  for (std::size_t page = 0; page < impl_->options.max_referrer_pages; ++page) {
    RegistryCall call;
    call.endpoint = repo.endpoint();
    call.http.url = url;
    call.scopes = pull_scope(repo);
    call.idempotent = true;
    call.http.max_body = 16u << 20;
    auto response = impl_->send(std::move(call));
    if (response.status == 404 && page == 0) return tags;
    if (response.status != 200) impl_->fail_response("GET tags/list", response, repo);
    auto j = nlohmann::json::parse(response.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(Exit::registry, "tags/list answer is not JSON");
    if (j.contains("tags") && j["tags"].is_array()) {
      for (const auto& t : j["tags"]) {
        if (t.is_string()) tags.push_back(t.get<std::string>());
      }
    }
    std::string next = detail::next_link(response);
    if (next.empty()) return tags;
    url = detail::resolve_url(url, next);
    if (!detail::same_origin(url, base)) {
      fail(Exit::registry, "the registry sent a pagination link to another origin; refused");
    }
  }
  fail(Exit::registry, "tags/list of " + repo.repository_name() + " has more than " +
                           std::to_string(impl_->options.max_referrer_pages) + " pages");
}

// ---- Blobs -------------------------------------------------------------------------------------

bool Client::blob_exists(const Reference& repo, std::string_view digest) {
  require_valid_digest(digest, "blob digest");
  RegistryCall call;
  call.endpoint = repo.endpoint();
  call.http.method = "HEAD";
  call.http.url = impl_->repo_url(repo, "blobs/" + std::string(digest));
  call.scopes = pull_scope(repo);
  call.idempotent = true;
  auto response = impl_->send(std::move(call));
  if (response.status == 200) return true;
  if (response.status == 404) return false;
  impl_->fail_response("HEAD blob " + std::string(digest), response, repo);
}

namespace {

std::string upload_location(const HttpResponse& response, const Reference& repo) {
  std::string location = response.headers.get("Location");
  if (location.empty()) {
    fail(Exit::registry, "the registry opened an upload in " + repo.repository_name() +
                             " without a Location header");
  }
  // Relative Locations are resolved against the request URL, whatever their path shape (R23,
  // R25); query parameters are kept verbatim.
  return detail::resolve_url(response.url, location);
}

// "0-<end>" -> end, or -1.
long long range_end(const HttpResponse& response) {
  std::string range = response.headers.get("Range");
  if (range.rfind("bytes=", 0) == 0) range.erase(0, 6);
  auto dash = range.find('-');
  if (dash == std::string::npos || dash + 1 >= range.size()) return -1;
  std::string end = range.substr(dash + 1);
  if (!std::all_of(end.begin(), end.end(), ::isdigit) || end.size() > 18) return -1;
  return std::stoll(end);
}

}  // namespace

PushResult Client::push_blob(const Reference& repo, std::string_view bytes,
                             std::string_view digest_in, std::string_view mount_from) {
  if (bytes.empty()) {
    fail(Exit::usage, "refusing to push a zero-length blob",
         "several registries fail on empty blobs; use the 2-byte {} empty blob instead");
  }
  if (!digest_in.empty()) require_valid_digest(digest_in, "blob digest");
  std::string digest = detail::digest_bytes(bytes, digest_in.empty() ? "sha256:" : digest_in);
  if (!digest_in.empty() && digest != digest_in) {
    fail(Exit::usage, "the blob bytes have digest " + digest + ", not " + std::string(digest_in));
  }
  PushResult result;
  result.digest = digest;
  if (blob_exists(repo, digest)) return result;

  auto& impl = *impl_;
  std::string location;
  HttpResponse opened;
  if (!mount_from.empty() && mount_from != repo.repository) {
    if (!is_valid_repository(mount_from)) {
      fail(Exit::usage, "invalid repository '" + std::string(mount_from) + "' to mount from");
    }
    RegistryCall call;
    call.endpoint = repo.endpoint();
    call.http.method = "POST";
    call.http.url = detail::add_query(
        detail::add_query(impl.repo_url(repo, "blobs/uploads/"), "mount", digest), "from",
        mount_from);
    call.scopes = push_scope(repo);
    call.scopes.insert("repository:" + std::string(mount_from) + ":pull");
    opened = impl.send(std::move(call));
    if (opened.status == 201) {
      result.mounted = true;
      return result;
    }
    if (opened.status == 202) {
      location = upload_location(opened, repo);  // the mount failed but an upload is open
    } else {
      log::debug("cross-repository mount refused (" + detail::describe_failure(opened) +
                 "); uploading instead");
    }
  }
  if (location.empty()) {
    RegistryCall call;
    call.endpoint = repo.endpoint();
    call.http.method = "POST";
    call.http.url = impl.repo_url(repo, "blobs/uploads/");
    call.scopes = push_scope(repo);
    opened = impl.send(std::move(call));
    if (opened.status != 202 && opened.status != 201) {
      impl.fail_response("POST blobs/uploads/", opened, repo);
    }
    location = upload_location(opened, repo);
  }

  // Limitation: upload requests (POST, PATCH, PUT of the session) are not retried on 5xx, since
  // an upload session cannot be replayed safely; the whole command has to be run again.
  HttpResponse done;
  if (bytes.size() <= impl.options.chunk_threshold) {
    RegistryCall call;
    call.endpoint = repo.endpoint();
    call.http.method = "PUT";
    call.http.url = detail::add_query(location, "digest", digest);
    call.http.headers.set("Content-Type", "application/octet-stream");
    call.http.body = bytes;
    call.scopes = push_scope(repo);
    done = impl.send(std::move(call));
  } else {
    std::size_t chunk = impl.options.chunk_size;
    std::string min_text = opened.headers.get("OCI-Chunk-Min-Length");
    if (!min_text.empty() && min_text.size() < 12 &&
        std::all_of(min_text.begin(), min_text.end(), ::isdigit)) {
      chunk = std::max<std::size_t>(chunk, std::stoull(min_text));
    }
    std::size_t offset = 0;
    int recoveries = 0;
    while (offset < bytes.size()) {
      std::size_t n = std::min(chunk, bytes.size() - offset);
      RegistryCall call;
      call.endpoint = repo.endpoint();
      call.http.method = "PATCH";
      call.http.url = location;
      call.http.headers.set("Content-Type", "application/octet-stream");
      call.http.headers.set("Content-Range",
                            std::to_string(offset) + "-" + std::to_string(offset + n - 1));
      call.http.body = bytes.substr(offset, n);
      call.scopes = push_scope(repo);
      auto response = impl.send(std::move(call));
      if (response.status == 202) {
        if (response.headers.has("Location")) location = upload_location(response, repo);
        long long end = range_end(response);
        offset = end >= 0 ? static_cast<std::size_t>(end + 1) : offset + n;
        if (impl.options.progress) impl.options.progress(offset, bytes.size());
        continue;
      }
      if (response.status == 416 && ++recoveries <= 3) {
        // The registry has a different idea of the offset: ask it, then resume from there.
        RegistryCall status_call;
        status_call.endpoint = repo.endpoint();
        status_call.http.url = location;
        status_call.scopes = push_scope(repo);
        status_call.idempotent = true;
        auto status = impl.send(std::move(status_call));
        if (status.status != 204 && status.status != 200) {
          impl.fail_response("GET upload status", status, repo);
        }
        if (status.headers.has("Location")) location = upload_location(status, repo);
        long long end = range_end(status);
        offset = end >= 0 ? static_cast<std::size_t>(end + 1) : 0;
        log::debug("upload offset mismatch (416); resuming at byte " + std::to_string(offset));
        continue;
      }
      impl.fail_response("PATCH blob chunk", response, repo);
    }
    RegistryCall call;
    call.endpoint = repo.endpoint();
    call.http.method = "PUT";
    call.http.url = detail::add_query(location, "digest", digest);
    call.http.headers.set("Content-Type", "application/octet-stream");
    call.scopes = push_scope(repo);
    done = impl.send(std::move(call));
  }
  if (done.status != 201 && done.status != 204 && done.status != 200) {
    impl.fail_response("PUT blob " + digest, done, repo);
  }
  std::string header = done.headers.get("Docker-Content-Digest");
  if (!header.empty() && header != digest) {
    fail(Exit::registry, "the registry stored the blob as " + header.substr(0, 140) +
                             " but bob sent " + digest);
  }
  result.uploaded = true;
  return result;
}

namespace {

void check_descriptor_for_fetch(const Descriptor& desc, std::uint64_t max_bytes) {
  require_valid_digest(desc.digest, "blob digest");
  if (desc.size < 0 || static_cast<std::uint64_t>(desc.size) > max_bytes) {
    fail(Exit::trust, "blob " + desc.digest + " is declared as " + std::to_string(desc.size) +
                          " bytes, more than the allowed " + std::to_string(max_bytes));
  }
}

// Streams a blob body through `consume`, verifying size and digest at the end.
void stream_blob(Client::Impl& impl, const Reference& repo, const Descriptor& desc,
                 const std::function<void(std::string_view)>& consume,
                 const std::function<void()>& restart) {
  auto hasher = std::make_shared<std::unique_ptr<detail::Hasher>>(
      std::make_unique<detail::Hasher>(algorithm_of(desc.digest)));
  auto received = std::make_shared<std::uint64_t>(0);
  const auto expected = static_cast<std::uint64_t>(desc.size);
  RegistryCall call;
  call.endpoint = repo.endpoint();
  call.http.url = impl.repo_url(repo, "blobs/" + desc.digest);
  // The sink enforces the descriptor's size itself, with a trust error.
  call.http.max_body = std::numeric_limits<std::size_t>::max();
  call.http.sink = [&, hasher, received](std::string_view piece) {
    *received += piece.size();
    if (*received > expected) {
      fail(Exit::trust, "blob " + desc.digest + " is larger than its descriptor says (" +
                            std::to_string(expected) + " bytes)");
    }
    (*hasher)->update(piece);
    consume(piece);
  };
  call.on_retry = [&, hasher, received] {
    *hasher = std::make_unique<detail::Hasher>(algorithm_of(desc.digest));
    *received = 0;
    restart();
  };
  call.scopes = pull_scope(repo);
  call.idempotent = true;
  auto response = impl.send(std::move(call));
  if (response.status == 404) {
    fail(Exit::registry, "blob unknown: " + repo.repository_name() + "@" + desc.digest);
  }
  if (response.status != 200) impl.fail_response("GET blob " + desc.digest, response, repo);
  if (*received != expected) {
    fail(Exit::trust, "blob " + desc.digest + " has " + std::to_string(*received) +
                          " bytes, but its descriptor says " + std::to_string(expected));
  }
  std::string actual = (*hasher)->finish();
  if (actual != desc.digest) {
    fail(Exit::trust, "blob " + desc.digest + " does not match its digest (content hashes to " +
                          actual + ")");
  }
}

}  // namespace

std::string Client::fetch_blob(const Reference& repo, const Descriptor& desc,
                               std::size_t max_bytes) {
  check_descriptor_for_fetch(desc, max_bytes);
  std::string bytes;
  stream_blob(
      *impl_, repo, desc, [&](std::string_view piece) { bytes.append(piece); },
      [&] { bytes.clear(); });
  return bytes;
}

void Client::fetch_blob_to_file(const Reference& repo, const Descriptor& desc,
                                const std::string& path, std::uint64_t max_bytes) {
  check_descriptor_for_fetch(desc, max_bytes);
  std::filesystem::path target(path);
  std::string pattern =
      (target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path()) /
      ("." + target.filename().string() + ".partial-XXXXXX");
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) fail(Exit::usage, "cannot create a file next to " + path);
  auto cleanup = [&] {
    if (fd >= 0) ::close(fd);
    fd = -1;
    ::unlink(pattern.c_str());
  };
  try {
    stream_blob(
        *impl_, repo, desc,
        [&](std::string_view piece) {
          std::size_t written = 0;
          while (written < piece.size()) {
            ssize_t n = ::write(fd, piece.data() + written, piece.size() - written);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail(Exit::usage, "cannot write " + path);
            written += static_cast<std::size_t>(n);
          }
        },
        [&] {
          if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
            fail(Exit::usage, "cannot rewind " + pattern);
          }
        });
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) fail(Exit::usage, "cannot write " + path);
    ::close(fd);
    fd = -1;
    if (std::rename(pattern.c_str(), path.c_str()) != 0) {
      fail(Exit::usage, "cannot move the downloaded blob to " + path);
    }
  } catch (...) {
    cleanup();
    throw;
  }
}

}  // namespace bob::oci
