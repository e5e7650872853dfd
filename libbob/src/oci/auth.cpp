// Registry authentication: WWW-Authenticate parsing (RFC 7235), the bearer token flow (GET with
// Basic, or the OAuth2 POST with a refresh token), Basic, and the per-scope token cache
// (oci-registry.md §12).
#include <algorithm>
#include <cstring>

#include "bob/log.h"
#include "oci_internal.h"

namespace bob::oci {
namespace {

// c != '\0' because strchr finds the terminator: a NUL byte is no token character.
bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool is_token68_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         (c != '\0' && std::strchr("-._~+/", c) != nullptr);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : s_(text) {}

  std::vector<Challenge> parse() {
    std::vector<Challenge> out;
    skip_separators();
    while (pos_ < s_.size()) {
      Challenge c;
      c.scheme = lower(token());
      if (c.scheme.empty()) bad("expected an auth scheme");
      parse_params(c);
      out.push_back(std::move(c));
      skip_separators();
    }
    if (out.empty()) bad("no challenge");
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string& why) {
    fail(Exit::registry, "malformed WWW-Authenticate header from the registry (" + why +
                             " at offset " + std::to_string(pos_) + ")");
  }
  void skip_spaces() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  void skip_separators() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == ',')) ++pos_;
  }
  std::string token() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && is_tchar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  std::string quoted() {
    ++pos_;  // opening quote
    std::string value;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return value;
      if (c == '\\') {
        if (pos_ >= s_.size()) break;
        c = s_[pos_++];
      }
      value += c;
    }
    bad("unterminated quoted string");
  }

  void parse_params(Challenge& c) {
    skip_spaces();
    bool first = true;
    while (pos_ < s_.size()) {
      std::size_t item_start = pos_;
      skip_separators();
      if (pos_ >= s_.size()) return;
      std::size_t name_start = pos_;
      // token68 (e.g. "Negotiate abc+/=="): only right after the scheme and a space. After a
      // comma a new challenge starts: "Negotiate, Basic" is two challenges (RFC 7235 §2.1).
      bool after_comma = s_.substr(item_start, pos_ - item_start).find(',') != std::string::npos;
      if (first && !after_comma) {
        std::size_t p = pos_;
        while (p < s_.size() && is_token68_char(s_[p])) ++p;
        std::size_t equals_end = p;
        while (equals_end < s_.size() && s_[equals_end] == '=') ++equals_end;
        std::size_t after = equals_end;
        while (after < s_.size() && (s_[after] == ' ' || s_[after] == '\t')) ++after;
        bool is_param = equals_end == p + 1 && after < s_.size() && s_[after] != ',';
        if (p > pos_ && !is_param && (after >= s_.size() || s_[after] == ',')) {
          c.params["token68"] = std::string(s_.substr(pos_, equals_end - pos_));
          pos_ = equals_end;
          return;
        }
      }
      std::string name = lower(token());
      if (name.empty()) bad("expected a parameter name");
      skip_spaces();
      if (pos_ >= s_.size() || s_[pos_] != '=') {
        // Not a parameter: the name was the scheme of the next challenge.
        pos_ = name_start;
        return;
      }
      ++pos_;
      skip_spaces();
      std::string value;
      if (pos_ < s_.size() && s_[pos_] == '"') {
        value = quoted();
      } else {
        // RFC 7235 wants a token here; real registries send bare URLs, so read up to the next
        // separator instead.
        std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ' ' && s_[pos_] != '\t') ++pos_;
        value = std::string(s_.substr(start, pos_ - start));
        if (value.empty()) bad("expected a value for " + name);
      }
      c.params[name] = value;
      first = false;
      skip_spaces();
      if (pos_ < s_.size() && s_[pos_] != ',') bad("expected ',' after parameter " + name);
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// realm validation as oras-go does it: no other schemes, no downgrade, no pointing at
// loopback/private hosts other than the registry's own.
bool is_private_ip(const std::string& host) {
  if (detail::is_loopback_host(host)) return true;
  if (host.rfind("10.", 0) == 0 || host.rfind("192.168.", 0) == 0 || host.rfind("169.254.", 0) == 0) {
    return true;
  }
  if (host.rfind("172.", 0) == 0) {
    int second = std::atoi(host.c_str() + 4);
    return second >= 16 && second <= 31;
  }
  return host.rfind("fc", 0) == 0 || host.rfind("fd", 0) == 0 || host.rfind("fe80", 0) == 0;
}

void validate_realm(const std::string& realm, const std::string& registry_url) {
  auto r = detail::parse_url(realm);
  auto reg = detail::parse_url(registry_url);
  if (r.scheme != "https" && r.scheme != "http") {
    fail(Exit::registry, "the registry names a token realm with an unsupported scheme: " + realm);
  }
  if (reg.scheme == "https" && r.scheme == "http") {
    fail(Exit::registry, "the registry " + reg.host + " (https) names a plain-http token realm " +
                             realm + "; refusing to send credentials there");
  }
  if (r.host != reg.host && is_private_ip(r.host)) {
    fail(Exit::registry, "the registry " + reg.host + " names a token realm on a private or "
                         "loopback address of another host (" + r.host + "); refused");
  }
}

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header) {
  return ChallengeParser(header).parse();
}

// ---- Scopes ------------------------------------------------------------------------------------

namespace detail {

ScopeSet scope_atoms(std::string_view scope_list) {
  ScopeSet atoms;
  std::size_t pos = 0;
  while (pos < scope_list.size()) {
    auto end = scope_list.find(' ', pos);
    if (end == std::string_view::npos) end = scope_list.size();
    std::string scope(scope_list.substr(pos, end - pos));
    pos = end + 1;
    // type:name:actions where name may itself hold one ":port".
    auto first = scope.find(':');
    auto last = scope.rfind(':');
    if (first == std::string::npos || last == first) continue;
    std::string resource = scope.substr(0, last);
    std::string actions = scope.substr(last + 1);
    std::size_t a = 0;
    while (a <= actions.size()) {
      auto comma = actions.find(',', a);
      if (comma == std::string::npos) comma = actions.size();
      std::string action = actions.substr(a, comma - a);
      if (!action.empty()) atoms.insert(resource + ":" + action);
      a = comma + 1;
    }
  }
  return atoms;
}

std::vector<std::string> scope_params(const ScopeSet& atoms) {
  std::map<std::string, std::vector<std::string>> by_resource;
  for (const auto& atom : atoms) {
    auto last = atom.rfind(':');
    by_resource[atom.substr(0, last)].push_back(atom.substr(last + 1));
  }
  std::vector<std::string> out;
  for (auto& [resource, actions] : by_resource) {
    std::sort(actions.begin(), actions.end());
    std::string joined;
    for (const auto& a : actions) joined += (joined.empty() ? "" : ",") + a;
    out.push_back(resource + ":" + joined);
  }
  return out;
}

}  // namespace detail

detail::ScopeSet pull_scope(const Reference& repo) {
  return {"repository:" + repo.repository + ":pull"};
}

detail::ScopeSet push_scope(const Reference& repo) {
  return {"repository:" + repo.repository + ":pull", "repository:" + repo.repository + ":push"};
}

// ---- Client auth -----------------------------------------------------------------------------

const Credential& Client::Impl::credential_for(const std::string& endpoint,
                                               const std::string& registry) {
  auto& state = auth[endpoint];
  if (state.credential_loaded) return state.credential;
  state.credential_loaded = true;
  if (auto it = options.credentials.find(registry); it != options.credentials.end()) {
    state.credential = it->second;
  } else if (auto it2 = options.credentials.find(endpoint); it2 != options.credentials.end()) {
    state.credential = it2->second;
  } else if (options.use_docker_config) {
    state.credential = find_docker_credential(registry, options.docker_config_dir);
  }
  for (const auto* secret : {&state.credential.password, &state.credential.identity_token,
                             &state.credential.registry_token}) {
    if (!secret->empty()) log::add_secret(*secret);
  }
  return state.credential;
}

void Client::Impl::apply_auth(const std::string& endpoint, const detail::ScopeSet& scopes,
                              detail::Headers& headers) {
  auto it = auth.find(endpoint);
  if (it == auth.end() || !it->second.challenged) return;
  auto& state = it->second;
  if (state.scheme == "basic") {
    if (!state.basic_header.empty()) headers.set("Authorization", state.basic_header);
    return;
  }
  if (!state.credential.registry_token.empty()) {
    headers.set("Authorization", "Bearer " + state.credential.registry_token);
    return;
  }
  auto now = std::chrono::steady_clock::now();
  // Drop expired tokens, then use one that covers every scope this request needs.
  state.tokens.erase(std::remove_if(state.tokens.begin(), state.tokens.end(),
                                    [&](const detail::Token& t) { return t.expires <= now; }),
                     state.tokens.end());
  for (const auto& token : state.tokens) {
    if (std::includes(token.scopes.begin(), token.scopes.end(), scopes.begin(), scopes.end())) {
      headers.set("Authorization", "Bearer " + token.value);
      return;
    }
  }
  // The registry is known to want a bearer token: get one now rather than collect another 401.
  fetch_token(endpoint, state, scopes);
  if (!state.tokens.empty()) headers.set("Authorization", "Bearer " + state.tokens.back().value);
}

bool Client::Impl::handle_challenge(const std::string& endpoint, const detail::ScopeSet& scopes,
                                    const detail::HttpResponse& response) {
  auto header = response.headers.get("WWW-Authenticate");
  if (header.empty()) return false;
  auto challenges = parse_www_authenticate(header);
  auto& state = auth[endpoint];
  std::string registry = endpoint == "registry-1.docker.io" ? "docker.io" : endpoint;
  const Credential& credential = credential_for(endpoint, registry);
  for (const auto& challenge : challenges) {
    if (challenge.scheme == "bearer") {
      auto realm = challenge.params.find("realm");
      if (realm == challenge.params.end() || realm->second.empty()) {
        fail(Exit::registry, "the registry " + endpoint + " asks for a bearer token but names no realm");
      }
      validate_realm(realm->second, base_url(endpoint));
      state.challenged = true;
      state.scheme = "bearer";
      state.realm = realm->second;
      auto service = challenge.params.find("service");
      state.service = service == challenge.params.end() ? "" : service->second;
      if (!credential.registry_token.empty()) return true;
      detail::ScopeSet wanted = scopes;
      if (auto s = challenge.params.find("scope"); s != challenge.params.end()) {
        auto extra = detail::scope_atoms(s->second);
        wanted.insert(extra.begin(), extra.end());
      }
      fetch_token(endpoint, state, wanted);
      return true;
    }
    if (challenge.scheme == "basic") {
      state.challenged = true;
      state.scheme = "basic";
      if (credential.username.empty() && credential.password.empty()) {
        fail(Exit::registry,
             "the registry " + endpoint + " requires a username and password (HTTP Basic)",
             "log in with `docker login " + registry + "` or pass credentials to bob");
      }
      std::string basic = "Basic " + detail::base64_encode(credential.username + ":" + credential.password);
      log::add_secret(basic.substr(6));
      bool changed = basic != state.basic_header;
      state.basic_header = basic;
      return changed;
    }
  }
  return false;
}

void Client::Impl::fetch_token(const std::string& endpoint, detail::EndpointAuth& state,
                               const detail::ScopeSet& scopes) {
  const Credential& credential = state.credential;
  auto params = detail::scope_params(scopes);
  detail::HttpResponse response;
  bool done = false;

  if (!credential.identity_token.empty()) {
    // OAuth2 refresh-token grant (oauth.md); a 404 means the server only has the GET flow.
    detail::HttpRequest post;
    post.method = "POST";
    post.url = state.realm;
    std::string scope_text;
    for (const auto& p : params) scope_text += (scope_text.empty() ? "" : " ") + p;
    std::string form = "grant_type=refresh_token&client_id=bob&refresh_token=" +
                       detail::url_encode(credential.identity_token) +
                       "&service=" + detail::url_encode(state.service) +
                       "&scope=" + detail::url_encode(scope_text);
    post.headers.set("Content-Type", "application/x-www-form-urlencoded");
    post.body = form;
    ++stats.token_requests;
    response = transport.perform(post);
    done = response.status != 404;
  }
  if (!done) {
    detail::HttpRequest get;
    get.url = state.realm;
    if (!state.service.empty()) get.url = detail::add_query(get.url, "service", state.service);
    for (const auto& p : params) get.url = detail::add_query(get.url, "scope", p);
    if (!credential.username.empty() || !credential.password.empty()) {
      std::string basic = detail::base64_encode(credential.username + ":" + credential.password);
      log::add_secret(basic);
      get.headers.set("Authorization", "Basic " + basic);
    }
    ++stats.token_requests;
    response = transport.perform(get);
  }
  if (response.status == 401 || response.status == 403) {
    fail(Exit::registry,
         "the token service of " + endpoint + " refused the credentials (" +
             detail::describe_failure(response) + ")",
         "check the credentials (docker login / DOCKER_CONFIG)");
  }
  if (response.status != 200) {
    fail(Exit::registry, "the token service of " + endpoint + " failed: " +
                             detail::describe_failure(response));
  }
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    fail(Exit::registry, "the token service of " + endpoint + " answered with something that is not JSON");
  }
  std::string value;
  if (body.contains("token") && body["token"].is_string()) value = body["token"].get<std::string>();
  if (value.empty() && body.contains("access_token") && body["access_token"].is_string()) {
    value = body["access_token"].get<std::string>();
  }
  if (value.empty()) fail(Exit::registry, "the token service of " + endpoint + " returned no token");
  log::add_secret(value);
  if (body.contains("refresh_token") && body["refresh_token"].is_string()) {
    log::add_secret(body["refresh_token"].get<std::string>());
  }
  long expires_in = 60;
  if (body.contains("expires_in") && body["expires_in"].is_number_integer()) {
    expires_in = std::max<long>(body["expires_in"].get<long>(), 1);
  }
  detail::Token token;
  token.value = value;
  token.scopes = scopes;
  // Refresh a little early so a token does not expire in flight.
  token.expires = std::chrono::steady_clock::now() +
                  std::chrono::seconds(expires_in > 20 ? expires_in - 10 : expires_in);
  state.tokens.push_back(std::move(token));
  log::debug("obtained a bearer token for " + endpoint + " (" + std::to_string(scopes.size()) +
             " scope actions)");
}

}  // namespace bob::oci
