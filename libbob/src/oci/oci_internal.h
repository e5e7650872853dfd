// Internals shared by the oci client's source files (not installed).
#pragma once

#include <curl/curl.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bob/error.h"
#include "bob/oci.h"

namespace bob::oci::detail {

// ---- Digests -------------------------------------------------------------------------------

// Incremental sha256/sha512 over streamed bytes.
class Hasher {
 public:
  explicit Hasher(std::string_view algorithm = "sha256");
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(std::string_view bytes);
  std::string finish();  // "<algorithm>:<hex>"

 private:
  std::string algorithm_;
  EVP_MD_CTX* ctx_ = nullptr;
};

// Digest of bytes with the algorithm of `like` ("sha256:..." or "sha512:..."); sha256 default.
std::string digest_bytes(std::string_view bytes, std::string_view like = "sha256:");
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);  // throws Error(usage) on bad input
std::string url_encode(std::string_view text);

// ---- URLs ----------------------------------------------------------------------------------

struct Url {
  std::string scheme;  // lower case
  std::string host;    // lower case, without brackets
  int port = 0;        // explicit or the scheme default
  std::string origin() const;  // scheme://host:port with the default port normalised in
};
Url parse_url(const std::string& url);  // throws Error(registry) on a malformed URL
// RFC 3986 §5 resolution of `reference` against `base`.
std::string resolve_url(const std::string& base, const std::string& reference);
bool same_origin(const std::string& a, const std::string& b);
bool same_host(const std::string& a, const std::string& b);  // host only, port ignored
bool is_loopback_host(std::string_view host);
// Adds name=value to a URL with '?' or '&' as needed (value is URL-encoded).
std::string add_query(const std::string& url, std::string_view name, std::string_view value);

// ---- HTTP ----------------------------------------------------------------------------------

// Headers in arrival order; names compared case-insensitively.
struct Headers {
  std::vector<std::pair<std::string, std::string>> items;
  std::string get(std::string_view name) const;  // first value, "" when absent
  std::vector<std::string> all(std::string_view name) const;
  bool has(std::string_view name) const;
  void set(std::string name, std::string value);  // replaces
  void remove(std::string_view name);
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string_view body;
  std::size_t max_body = 1u << 20;  // larger bodies abort the request
  // When set, the body of a 2xx response is handed over in pieces instead of being buffered.
  std::function<void(std::string_view)> sink;
};

struct HttpResponse {
  long status = 0;
  Headers headers;
  std::string body;
  std::string url;  // the URL that answered (after redirects)
  std::string content_type() const;  // media type without parameters, lower case
};

// Why one HTTP exchange ended without a usable response. Decides whether the request is worth
// another attempt, so the retry logic never has to read error messages.
enum class TransportFailure {
  network,           // connection refused or reset, timeout, stall, truncated body, ...
  body_too_large,    // the answer is larger than HttpRequest::max_body: the same next time
  tls_verification,  // the server's certificate does not verify: retrying cannot help
  ca_file,           // the --ca-file bundle cannot be used
};
TransportFailure transport_failure_of(CURLcode code);  // for a curl_easy_perform result
// Only network failures are transient.
inline bool is_transient(TransportFailure failure) { return failure == TransportFailure::network; }

// The Error(registry) Transport::perform throws when there is no response; carries the kind of
// failure and libcurl's code (CURLE_OK for body_too_large).
class TransportError : public Error {
 public:
  TransportError(TransportFailure failure, CURLcode curl_code, std::string message,
                 std::string hint = {})
      : Error(Exit::registry, std::move(message), std::move(hint)),
        failure_(failure),
        curl_code_(curl_code) {}
  TransportFailure failure() const noexcept { return failure_; }
  CURLcode curl_code() const noexcept { return curl_code_; }

 private:
  TransportFailure failure_;
  CURLcode curl_code_;
};

// One libcurl easy handle, reused for every request so connections are kept alive.
class Transport {
 public:
  Transport(const ClientOptions& options, ClientStats& stats);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  // Exactly one HTTP exchange (no redirects, no auth, no retry). Throws TransportError on a
  // network failure or a body over the bound; an exception from request.sink passes through.
  HttpResponse perform(const HttpRequest& request);

 private:
  const ClientOptions& options_;
  ClientStats& stats_;
  CURL* curl_ = nullptr;
};

// ---- Registry error bodies -----------------------------------------------------------------

struct RegistryError {
  std::string code, message, detail;
};
// Parses {"errors":[{code,message,detail}]} leniently; empty for non-JSON bodies.
std::vector<RegistryError> parse_error_body(std::string_view body);
bool has_error_code(const HttpResponse& response, std::string_view code);
// The "OCI index found, but accept header does not support OCI indexes" 404 (bug-log R28).
bool is_accept_quirk(const HttpResponse& response);
// "<status> CODE: message (detail)", bounded and redacted; a short text when there is no body.
std::string describe_failure(const HttpResponse& response);

// The target of a `Link: <url>; rel="next"` header (RFC 5988), "" when absent.
std::string next_link(const HttpResponse& response);

// ---- Auth ----------------------------------------------------------------------------------

// Scopes as atoms "repository:<name>:<action>", so set inclusion answers "is this token enough".
using ScopeSet = std::set<std::string>;
ScopeSet scope_atoms(std::string_view scope_list);  // "repository:a:pull,push repository:b:pull"
std::vector<std::string> scope_params(const ScopeSet& atoms);  // merged per resource, sorted

struct Token {
  std::string value;
  ScopeSet scopes;
  std::chrono::steady_clock::time_point expires;
};

// Per registry endpoint: what the registry asked for and what was obtained.
struct EndpointAuth {
  bool challenged = false;
  std::string scheme;  // "bearer" or "basic"
  std::string realm, service;
  std::vector<Token> tokens;
  std::string basic_header;  // "Basic ..." once known
  Credential credential;
  bool credential_loaded = false;
};

// ---- Locks ---------------------------------------------------------------------------------

// Serialises fallback-index updates per (endpoint, repository, tag): an in-process mutex plus an
// flock on a file under the temp dir, so parallel `bob` processes on one host also take turns.
class IndexLock {
 public:
  explicit IndexLock(const std::string& key);
  ~IndexLock();
  IndexLock(const IndexLock&) = delete;
  IndexLock& operator=(const IndexLock&) = delete;

 private:
  std::unique_lock<std::mutex> in_process_;
  int fd_ = -1;
};

// A Retry-After header (RFC 9110 §10.2.3): delta-seconds or an HTTP date.
struct RetryAfter {
  enum class Form { absent, seconds, date, past_date, unparsable };
  Form form = Form::absent;
  // The wait it asks for in ms, at most cap_ms; 0 means "use the computed backoff" (absent,
  // "0", a date not in the future, or a value that is neither form).
  long delay_ms = 0;
};
// `now` is the current time (a parameter so tests can fix it). Dates are parsed by libcurl's
// curl_getdate (the three HTTP-date formats of RFC 9110 §5.6.7).
RetryAfter parse_retry_after(std::string_view value, std::time_t now, long cap_ms);
const char* describe(RetryAfter::Form form);

// Sleeps a jittered exponential delay for attempt (1-based), capped; fixed_delay_ms > 0 (a
// Retry-After, see parse_retry_after) replaces the computed delay (still capped).
void backoff_sleep(const ClientOptions& options, int attempt, long fixed_delay_ms = 0);

}  // namespace bob::oci::detail

namespace bob::oci {

// What one registry request needs besides the HTTP request itself.
struct RegistryCall {
  detail::HttpRequest http;
  std::string endpoint;            // host:port of the registry (for auth and origin checks)
  detail::ScopeSet scopes;         // scopes this request needs
  bool idempotent = false;         // may be retried on 429/5xx/network errors
  std::function<void()> on_retry;  // resets a sink before a retry
};

struct Client::Impl {
  explicit Impl(ClientOptions opts);

  ClientOptions options;
  ClientStats stats;
  detail::Transport transport;
  std::map<std::string, detail::EndpointAuth> auth;             // by endpoint
  std::map<std::string, ReferrersSupport> referrers_state;      // by endpoint/repository
  std::set<std::string> subject_header_seen;                    // endpoint/repository
  std::recursive_mutex mutex;  // one request at a time on the shared handle

  // Base URL of an endpoint: http for loopback and insecure registries, else https.
  std::string base_url(const std::string& endpoint) const;
  std::string repo_url(const Reference& repo, std::string_view tail) const;

  // Sends with auth, manual redirects and retries. Returns every final response (callers decide
  // what a status means); throws only for network trouble and refused redirects.
  detail::HttpResponse send(RegistryCall call);

  // Auth helpers (auth.cpp)
  void apply_auth(const std::string& endpoint, const detail::ScopeSet& scopes,
                  detail::Headers& headers);
  // Handles a 401: returns true when new auth was obtained and the request should be repeated.
  bool handle_challenge(const std::string& endpoint, const detail::ScopeSet& scopes,
                        const detail::HttpResponse& response);
  const Credential& credential_for(const std::string& endpoint, const std::string& registry);
  void fetch_token(const std::string& endpoint, detail::EndpointAuth& state,
                   const detail::ScopeSet& scopes);

  // Manifests (client.cpp)
  detail::HttpResponse get_manifest_response(const Reference& ref, bool head);
  Manifest manifest_from_response(const Reference& ref, const detail::HttpResponse& response);

  // Throws Error(registry) describing a failed response of `what`.
  [[noreturn]] void fail_response(std::string_view what, const detail::HttpResponse& response,
                                  const Reference& ref);

  // Referrers (referrers.cpp)
  std::vector<Descriptor> referrers_by_tag(const Reference& repo, std::string_view digest);
  void add_to_fallback_index(const Reference& repo, std::string_view subject_digest,
                             const Descriptor& entry);
  Client* owner = nullptr;
};

// PUT of a manifest with the error mapping of bug-log R4/R5/R6/R30; returns the response (for
// OCI-Subject) and the digest of the bytes.
detail::HttpResponse put_manifest_response(Client::Impl& impl, const Reference& repo,
                                           std::string_view media_type, std::string_view bytes,
                                           std::string_view reference, bool has_subject,
                                           std::string* digest_out);

detail::ScopeSet pull_scope(const Reference& repo);
detail::ScopeSet push_scope(const Reference& repo);
std::string state_key(const Reference& repo);

}  // namespace bob::oci
