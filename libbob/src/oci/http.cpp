// HTTP plumbing of the registry client: one reused libcurl handle, URL resolution with libcurl's
// URL API, digests, registry error bodies, backoff and the cross-process index lock.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>
#include <filesystem>
#include <random>
#include <thread>

#include "bob/log.h"
#include "loaded_libs.h"
#include "oci_internal.h"

namespace bob::oci::detail {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trim(std::string_view s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

// Loads libcurl (loaded_libs.h), whose loader also makes curl's global init, once.
void global_init() { curl(); }

struct CurlUrl {
  CURLU* handle = curl().url();
  ~CurlUrl() { curl().url_cleanup(handle); }
  std::string part(CURLUPart which, unsigned flags = 0) const {
    char* value = nullptr;
    if (curl().url_get(handle, which, &value, flags) != CURLUE_OK || value == nullptr) return {};
    std::string out(value);
    curl().free(value);
    return out;
  }
};

}  // namespace

// ---- Digests ---------------------------------------------------------------------------------

Hasher::Hasher(std::string_view algorithm) : algorithm_(algorithm) {
  const EVP_MD* md = algorithm_ == "sha512" ? EVP_sha512() : EVP_sha256();
  if (algorithm_ != "sha512") algorithm_ = "sha256";
  ctx_ = EVP_MD_CTX_new();
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, md, nullptr) != 1) {
    fail(Exit::registry, "cannot initialise the " + algorithm_ + " digest (OpenSSL)");
  }
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

void Hasher::update(std::string_view bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
}

std::string Hasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_, out, &length);
  static const char* hex = "0123456789abcdef";
  std::string text = algorithm_ + ":";
  for (unsigned i = 0; i < length; ++i) {
    text += hex[out[i] >> 4];
    text += hex[out[i] & 15];
  }
  return text;
}

std::string digest_bytes(std::string_view bytes, std::string_view like) {
  Hasher hasher(like.rfind("sha512:", 0) == 0 ? "sha512" : "sha256");
  hasher.update(bytes);
  return hasher.finish();
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string clean = trim(text);
  if (clean.size() % 4 != 0) fail(Exit::usage, "malformed base64 value");
  std::string out(clean.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) fail(Exit::usage, "malformed base64 value");
  std::size_t length = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  if (!clean.empty() && clean.back() == '=') --length;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') --length;
  out.resize(length);
  return out;
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// ---- URLs ------------------------------------------------------------------------------------

std::string Url::origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

Url parse_url(const std::string& url) {
  CurlUrl u;
  if (curl().url_set(u.handle, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    fail(Exit::registry, "malformed URL from the registry: " + log::redact(url.substr(0, 300)));
  }
  Url out;
  out.scheme = lower(u.part(CURLUPART_SCHEME));
  out.host = lower(u.part(CURLUPART_HOST));
  if (out.host.size() > 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  std::string port = u.part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  out.port = port.empty() ? 0 : std::atoi(port.c_str());
  return out;
}

std::string resolve_url(const std::string& base, const std::string& reference) {
  CurlUrl u;
  if (curl().url_set(u.handle, CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl().url_set(u.handle, CURLUPART_URL, reference.c_str(), CURLU_NON_SUPPORT_SCHEME) !=
          CURLUE_OK) {
    fail(Exit::registry,
         "cannot resolve the URL '" + log::redact(reference.substr(0, 300)) + "' from the registry");
  }
  return u.part(CURLUPART_URL);
}

bool same_origin(const std::string& a, const std::string& b) {
  return parse_url(a).origin() == parse_url(b).origin();
}

bool same_host(const std::string& a, const std::string& b) {
  return parse_url(a).host == parse_url(b).host;
}

bool is_loopback_host(std::string_view host_port) {
  std::string host(host_port);
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    host = host.substr(0, host.find(':'));
  }
  host = lower(host);
  if (host == "localhost" || host == "::1") return true;
  return host.rfind("127.", 0) == 0 &&
         std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(c) || c == '.'; });
}

std::string add_query(const std::string& url, std::string_view name, std::string_view value) {
  auto hash = url.find('#');
  std::string head = url.substr(0, hash);
  std::string fragment = hash == std::string::npos ? "" : url.substr(hash);
  char separator = head.find('?') == std::string::npos ? '?' : '&';
  if (!head.empty() && (head.back() == '?' || head.back() == '&')) separator = '\0';
  std::string out = head;
  if (separator != '\0') out += separator;
  out += std::string(name) + "=" + url_encode(value);
  return out + fragment;
}

// ---- Headers ---------------------------------------------------------------------------------

std::string Headers::get(std::string_view name) const {
  for (const auto& [key, value] : items) {
    if (iequals(key, name)) return value;
  }
  return {};
}

std::vector<std::string> Headers::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : items) {
    if (iequals(key, name)) out.push_back(value);
  }
  return out;
}

bool Headers::has(std::string_view name) const {
  return std::any_of(items.begin(), items.end(),
                     [&](const auto& item) { return iequals(item.first, name); });
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  items.emplace_back(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  items.erase(std::remove_if(items.begin(), items.end(),
                             [&](const auto& item) { return iequals(item.first, name); }),
              items.end());
}

std::string HttpResponse::content_type() const {
  std::string type = headers.get("Content-Type");
  return lower(trim(type.substr(0, type.find(';'))));
}

// ---- Transport -------------------------------------------------------------------------------

TransportFailure transport_failure_of(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION: return TransportFailure::tls_verification;
    case CURLE_SSL_CACERT_BADFILE: return TransportFailure::ca_file;
    default: return TransportFailure::network;
  }
}

namespace {

struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* curl = nullptr;
  std::size_t received = 0;
  bool too_large = false;
  std::exception_ptr sink_error;
  bool status_line_seen = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after 100 Continue, say): forget earlier headers.
    ex->response->headers.items.clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  if (ex->response->headers.items.size() > 500) return 0;  // hostile header flood
  ex->response->headers.items.emplace_back(trim(line.substr(0, colon)),
                                           trim(line.substr(colon + 1)));
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::size_t n = size * count;
  ex->received += n;
  long status = 0;
  curl().easy_getinfo(ex->curl, CURLINFO_RESPONSE_CODE, &status);
  bool success = status >= 200 && status < 300;
  if (success && ex->request->sink) {
    if (ex->received > ex->request->max_body) {
      ex->too_large = true;
      return 0;
    }
    try {
      ex->request->sink(std::string_view(data, n));
    } catch (...) {
      ex->sink_error = std::current_exception();
      return 0;
    }
    return n;
  }
  // Error bodies are kept only up to a small bound; success bodies up to max_body.
  std::size_t limit = success ? ex->request->max_body : std::min<std::size_t>(ex->request->max_body, 64u << 10);
  if (ex->response->body.size() + n > limit) {
    if (!success) return n;  // keep the head of an error body, drop the rest
    ex->too_large = true;
    return 0;
  }
  ex->response->body.append(data, n);
  return n;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                curl_off_t ulnow) {
  auto* options = static_cast<const ClientOptions*>(user);
  if (!options->progress) return 0;
  if (ultotal > 0) {
    options->progress(static_cast<std::uint64_t>(ulnow), static_cast<std::uint64_t>(ultotal));
  } else if (dlnow > 0) {
    options->progress(static_cast<std::uint64_t>(dlnow), static_cast<std::uint64_t>(dltotal));
  }
  return 0;
}

}  // namespace

Transport::Transport(const ClientOptions& options, ClientStats& stats)
    : options_(options), stats_(stats) {
  global_init();
  curl_ = curl().easy_init();
  if (curl_ == nullptr) fail(Exit::registry, "cannot initialise libcurl");
}

Transport::~Transport() { curl().easy_cleanup(curl_); }

HttpResponse Transport::perform(const HttpRequest& request) {
  // curl_easy_reset keeps the connection cache, so keep-alive connections survive it.
  curl().easy_reset(curl_);
  HttpResponse response;
  Exchange ex{&request, &response, curl_};
  // curl's own detail ("Operation too slow. Less than 1 bytes/sec transferred the last 60
  // seconds") says more than the bare code text.
  char error_detail[CURL_ERROR_SIZE] = {};
  curl().easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_detail);
  curl().easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
  curl().easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl().easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are followed by the caller
  curl().easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 1L);
  curl().easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl().easy_setopt(curl_, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl().easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
  curl().easy_setopt(curl_, CURLOPT_TIMEOUT, options_.request_timeout_seconds);
  // A stalled transfer (under 1 byte/s for stall_timeout_seconds) is abandoned even inside the
  // total timeout, so a registry that sends headers and then nothing cannot hang bob.
  curl().easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl().easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, std::max(1L, options_.stall_timeout_seconds));
  curl().easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl().easy_setopt(curl_, CURLOPT_USERAGENT, "bob-oci/1");
  curl().easy_setopt(curl_, CURLOPT_HEADERFUNCTION, on_header);
  curl().easy_setopt(curl_, CURLOPT_HEADERDATA, &ex);
  curl().easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
  curl().easy_setopt(curl_, CURLOPT_WRITEDATA, &ex);
  if (options_.progress) {
    curl().easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl().easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl().easy_setopt(curl_, CURLOPT_XFERINFODATA, &options_);
  }

  const std::string& method = request.method;
  if (method == "HEAD") {
    curl().easy_setopt(curl_, CURLOPT_NOBODY, 1L);
  } else if (method == "GET") {
    curl().easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
  } else {
    curl().easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || method == "PUT" || method == "PATCH") {
      curl().easy_setopt(curl_, CURLOPT_POSTFIELDS, request.body.data() ? request.body.data() : "");
      curl().easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  curl_slist* header_list = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers.items) {
    if (iequals(name, "Content-Type")) has_content_type = true;
    header_list = curl().slist_append(header_list, (name + ": " + value).c_str());
  }
  // No 100-continue round trip, and no form Content-Type curl would add to a POST.
  header_list = curl().slist_append(header_list, "Expect:");
  if (!has_content_type) header_list = curl().slist_append(header_list, "Content-Type:");
  curl().easy_setopt(curl_, CURLOPT_HTTPHEADER, header_list);

  ++stats_.requests;
  ++stats_.by_method[method];
  stats_.bytes_uploaded += request.body.size();
  CURLcode code = curl().easy_perform(curl_);
  curl().easy_setopt(curl_, CURLOPT_ERRORBUFFER, nullptr);  // the buffer dies with this frame
  curl().slist_free_all(header_list);
  stats_.bytes_downloaded += ex.received;
  curl().easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response.status);
  response.url = request.url;

  std::string where = method + " " + log::redact(request.url);
  if (ex.too_large) {
    throw TransportError(TransportFailure::body_too_large, CURLE_OK,
                         where + ": the response is larger than the allowed " +
                             std::to_string(request.max_body) + " bytes");
  }
  if (ex.sink_error) std::rethrow_exception(ex.sink_error);
  if (code != CURLE_OK) {
    std::string detail = error_detail[0] != '\0' ? log::redact(trim(error_detail))
                                                 : std::string(curl().easy_strerror(code));
    switch (TransportFailure failure = transport_failure_of(code)) {
      case TransportFailure::tls_verification:
        throw TransportError(
            failure, code, where + ": TLS verification failed: " + detail,
            "give the CA that signed the registry's certificate with --ca-file; bob never turns "
            "verification off");
      case TransportFailure::ca_file:
        throw TransportError(failure, code,
                             where + ": cannot use the CA file " + options_.ca_file + ": " + detail,
                             "--ca-file must name a readable PEM bundle");
      case TransportFailure::network:
      case TransportFailure::body_too_large:
        throw TransportError(
            failure, code, where + ": " + detail,
            "check that the registry is reachable (and its TLS certificate, --ca-file)");
    }
  }
  log::debug(where + " -> " + std::to_string(response.status));
  return response;
}

// ---- Registry error bodies -------------------------------------------------------------------

std::vector<RegistryError> parse_error_body(std::string_view body) {
  std::vector<RegistryError> out;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("errors") ||
      !parsed["errors"].is_array()) {
    return out;
  }
  for (const auto& e : parsed["errors"]) {
    if (!e.is_object()) continue;
    RegistryError error;
    if (e.contains("code") && e["code"].is_string()) error.code = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) {
      error.message = e["message"].get<std::string>();
    }
    // detail may be any JSON value (bug-log R5): a string is shown as is, anything else dumped.
    if (e.contains("detail") && !e["detail"].is_null()) {
      const auto& d = e["detail"];
      if (d.is_string()) {
        error.detail = d.get<std::string>();
      } else if (!(d.is_object() && d.empty()) && !(d.is_array() && d.empty())) {
        error.detail = d.dump();
      }
    }
    out.push_back(std::move(error));
  }
  return out;
}

bool has_error_code(const HttpResponse& response, std::string_view code) {
  for (const auto& e : parse_error_body(response.body)) {
    if (e.code == code) return true;
  }
  return false;
}

bool is_accept_quirk(const HttpResponse& response) {
  if (response.status != 404) return false;
  std::string body = lower(response.body);
  return body.find("accept header does not support") != std::string::npos;
}

std::string describe_failure(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  auto errors = parse_error_body(response.body);
  if (!errors.empty()) {
    for (std::size_t i = 0; i < errors.size() && i < 3; ++i) {
      const auto& e = errors[i];
      text += i == 0 ? " " : "; ";
      text += e.code.empty() ? "error" : e.code;
      if (!e.message.empty()) text += ": " + e.message;
      if (!e.detail.empty()) text += " (" + e.detail.substr(0, 300) + ")";
    }
  } else {
    // Plain text, HTML or nothing: show a short, single-line excerpt.
    std::string excerpt;
    for (char c : response.body.substr(0, 200)) {
      excerpt += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    excerpt = trim(excerpt);
    if (!excerpt.empty()) text += ": " + excerpt;
  }
  return log::redact(text);
}

std::string next_link(const HttpResponse& response) {
  for (const auto& value : response.headers.all("Link")) {
    std::size_t pos = 0;
    while (pos < value.size()) {
      auto open = value.find('<', pos);
      if (open == std::string::npos) break;
      auto close = value.find('>', open);
      if (close == std::string::npos) break;
      std::string target = value.substr(open + 1, close - open - 1);
      auto next_item = value.find('<', close);
      std::string params = lower(value.substr(close + 1, next_item == std::string::npos
                                                             ? std::string::npos
                                                             : next_item - close - 1));
      auto rel = params.find("rel=");
      if (rel != std::string::npos) {
        std::string rel_value = params.substr(rel + 4);
        if (!rel_value.empty() && rel_value.front() == '"') rel_value.erase(0, 1);
        if (rel_value.rfind("next", 0) == 0) return target;
      }
      pos = close + 1;
    }
  }
  return {};
}

// ---- Backoff and locks -----------------------------------------------------------------------

RetryAfter parse_retry_after(std::string_view value, std::time_t now, long cap_ms) {
  RetryAfter result;
  std::string text = trim(value);
  if (text.empty()) return result;
  const long cap = std::max(1L, cap_ms);
  // Delay in seconds -> ms, saturating at the cap (no overflow for any number of digits).
  auto capped_ms = [cap](long double seconds) {
    return seconds * 1000 >= static_cast<long double>(cap) ? cap : static_cast<long>(seconds * 1000);
  };
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    result.form = RetryAfter::Form::seconds;
    long double seconds = 0;
    for (char c : text) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > 1e12L) break;  // far beyond any cap
    }
    result.delay_ms = capped_ms(seconds);
    return result;
  }
  std::time_t date = curl().getdate(text.c_str(), nullptr);
  if (date == -1) {
    result.form = RetryAfter::Form::unparsable;
    return result;
  }
  if (date <= now) {
    result.form = RetryAfter::Form::past_date;  // retry now-ish: the computed backoff
    return result;
  }
  result.form = RetryAfter::Form::date;
  result.delay_ms = capped_ms(static_cast<long double>(date) - static_cast<long double>(now));
  return result;
}

const char* describe(RetryAfter::Form form) {
  switch (form) {
    case RetryAfter::Form::absent: return "no Retry-After";
    case RetryAfter::Form::seconds: return "Retry-After in seconds";
    case RetryAfter::Form::date: return "Retry-After HTTP date";
    case RetryAfter::Form::past_date: return "Retry-After HTTP date in the past";
    case RetryAfter::Form::unparsable: return "unparsable Retry-After";
  }
  return "Retry-After";
}

void backoff_sleep(const ClientOptions& options, int attempt, long fixed_delay_ms) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  long cap = std::max(1L, options.retry_max_delay_ms);
  long delay;
  if (fixed_delay_ms > 0) {
    delay = std::min(cap, fixed_delay_ms);
  } else {
    long exp = options.retry_base_delay_ms << std::min(attempt - 1, 16);
    long ceiling = std::min(cap, std::max(1L, exp));
    // "Full jitter": a uniform delay up to the exponential ceiling spreads competing clients.
    delay = std::uniform_int_distribution<long>(ceiling / 2, ceiling)(random);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay));
}

IndexLock::IndexLock(const std::string& key) {
  static std::mutex table_mutex;
  static std::map<std::string, std::unique_ptr<std::mutex>> table;
  std::mutex* m;
  {
    std::lock_guard guard(table_mutex);
    auto& slot = table[key];
    if (!slot) slot = std::make_unique<std::mutex>();
    m = slot.get();
  }
  in_process_ = std::unique_lock(*m);
  // Limitation: the file lock serialises bob processes on one host only; writers on other hosts
  // are caught by the conditional PUT (where the registry honours it) and the read-after-write
  // check, which narrow the lost-update window but cannot close it on registries that ignore
  // If-Match.
  std::error_code ec;
  auto dir = std::filesystem::temp_directory_path(ec) / "bob-index-locks";
  std::filesystem::create_directories(dir, ec);
  std::string name = digest_bytes(key).substr(7, 32) + ".lock";
  fd_ = ::open((dir / name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ >= 0) {
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
}

IndexLock::~IndexLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace bob::oci::detail
