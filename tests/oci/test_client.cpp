// Unit tests of the oci client that need no registry: references, digests, WWW-Authenticate
// parsing, scopes and docker credentials.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "../../libbob/src/oci/oci_internal.h"
#include "bob/error.h"
#include "bob/fsutil.h"
#include "bob/log.h"
#include "bob/oci.h"

using bob::oci::Reference;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

bob::Exit parse_error_code(const std::string& text) {
  try {
    Reference::parse(text);
  } catch (const bob::Error& e) {
    return e.code();
  }
  return bob::Exit::ok;
}

}  // namespace

TEST_CASE("Reference::parse normalises Docker Hub names") {
  auto r = Reference::parse("alpine");
  CHECK(r.registry == "docker.io");
  CHECK(r.repository == "library/alpine");
  CHECK(r.tag.empty());
  CHECK(r.endpoint() == "registry-1.docker.io");
  CHECK(r.manifest_reference() == "latest");

  auto u = Reference::parse("index.docker.io/bitnami/redis:7.2");
  CHECK(u.registry == "docker.io");
  CHECK(u.repository == "bitnami/redis");
  CHECK(u.tag == "7.2");
  CHECK(Reference::parse("docker.io/nginx:1").str() == "docker.io/library/nginx:1");
}

TEST_CASE("Reference::parse handles host:port, localhost, tag and digest together") {
  auto r = Reference::parse("localhost:5000/team/app:v1.2@" + kDigest);
  CHECK(r.registry == "localhost:5000");
  CHECK(r.repository == "team/app");
  CHECK(r.tag == "v1.2");
  CHECK(r.digest == kDigest);
  CHECK(r.manifest_reference() == kDigest);
  CHECK(r.str() == "localhost:5000/team/app:v1.2@" + kDigest);

  auto l = Reference::parse("localhost/app");
  CHECK(l.registry == "localhost");
  CHECK(l.repository == "app");

  auto ip = Reference::parse("127.0.0.1:41234/x/y/z@" + kDigest);
  CHECK(ip.registry == "127.0.0.1:41234");
  CHECK(ip.repository == "x/y/z");
  CHECK(ip.tag.empty());
  CHECK(ip.endpoint() == "127.0.0.1:41234");

  auto g = Reference::parse("GHCR.io/org/repo:Tag_1");
  CHECK(g.registry == "ghcr.io");
  CHECK(g.tag == "Tag_1");
  CHECK(g.with_digest(kDigest).str() == "ghcr.io/org/repo@" + kDigest);
}

TEST_CASE("Reference::parse rejects malformed names, tags and digests with a usage error") {
  for (const std::string& bad : std::vector<std::string>{"", "Upper/case", "a//b", "repo:", "repo:-tag", "repo:" + std::string(129, 't'),
        "repo@sha256:" + std::string(64, 'A'), "repo@sha256:abc", "repo@md5:" + std::string(32, 'a'),
        "reg.io/", "has space/x", "a/b_", "a/-b"}) {
    CAPTURE(bad);
    CHECK(parse_error_code(bad) == bob::Exit::usage);
  }
  try {
    Reference::parse("repo@sha256:" + std::string(64, 'A'));
  } catch (const bob::Error& e) {
    CHECK(std::string(e.what()).find("lower-case") != std::string::npos);
  }
}

TEST_CASE("digest, tag and repository grammars") {
  CHECK(bob::oci::is_valid_digest(kDigest));
  CHECK(bob::oci::is_valid_digest("sha512:" + std::string(128, '0')));
  CHECK_FALSE(bob::oci::is_valid_digest("sha256:" + std::string(63, 'a')));
  CHECK_FALSE(bob::oci::is_valid_digest("sha256:" + std::string(64, 'g')));
  CHECK(bob::oci::is_valid_tag(std::string(128, 'x')));
  CHECK_FALSE(bob::oci::is_valid_tag(std::string(129, 'x')));
  CHECK_FALSE(bob::oci::is_valid_tag(".hidden"));
  CHECK(bob::oci::is_valid_repository("a.b/c__d/e--f"));
  CHECK_FALSE(bob::oci::is_valid_repository("a.-b"));
  CHECK(bob::oci::fallback_tag(kDigest) == "sha256-" + std::string(64, 'a'));
  CHECK_THROWS_AS(bob::oci::fallback_tag("sha256:xyz"), bob::Error);
}

TEST_CASE("parse_www_authenticate: quoted commas, escapes, several challenges, error params") {
  auto c = bob::oci::parse_www_authenticate(
      R"(Bearer realm="https://auth.example/token",service="registry.example",)"
      R"(scope="repository:samalba/my-app:pull,push",error="insufficient_scope")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].params.at("realm") == "https://auth.example/token");
  CHECK(c[0].params.at("scope") == "repository:samalba/my-app:pull,push");
  CHECK(c[0].params.at("error") == "insufficient_scope");

  auto two = bob::oci::parse_www_authenticate(
      R"(Basic realm="a \"quoted\" realm, with comma", Bearer realm=https://x/t , SERVICE = svc)");
  REQUIRE(two.size() == 2);
  CHECK(two[0].scheme == "basic");
  CHECK(two[0].params.at("realm") == "a \"quoted\" realm, with comma");
  CHECK(two[1].scheme == "bearer");
  CHECK(two[1].params.at("realm") == "https://x/t");
  CHECK(two[1].params.at("service") == "svc");

  auto t68 = bob::oci::parse_www_authenticate("Negotiate abc+/def==, Basic realm=r");
  REQUIRE(t68.size() == 2);
  CHECK(t68[0].params.at("token68") == "abc+/def==");
  CHECK(t68[1].params.at("realm") == "r");

  CHECK_THROWS_AS(bob::oci::parse_www_authenticate(R"(Bearer realm="unterminated)"), bob::Error);
  CHECK_THROWS_AS(bob::oci::parse_www_authenticate(""), bob::Error);
}

// Found by tests/fuzz (fuzz_www_authenticate): a NUL byte counted as a token character, and a
// scheme without parameters swallowed the next challenge's scheme as its token68.
TEST_CASE("parse_www_authenticate: NUL bytes are no token characters; token68 never after a comma") {
  using namespace std::string_literals;
  CHECK_THROWS_AS(bob::oci::parse_www_authenticate("Bearer \0realm=r"s), bob::Error);
  CHECK_THROWS_AS(bob::oci::parse_www_authenticate("Negotiate Bearer \0\0Bas\0 realm=r"s),
                  bob::Error);
  CHECK_THROWS_AS(bob::oci::parse_www_authenticate("Bear\0er realm=r"s), bob::Error);

  auto two = bob::oci::parse_www_authenticate("Negotiate, Basic");
  REQUIRE(two.size() == 2);
  CHECK(two[0].scheme == "negotiate");
  CHECK(two[0].params.empty());
  CHECK(two[1].scheme == "basic");
  CHECK(two[1].params.empty());

  auto t68 = bob::oci::parse_www_authenticate("Negotiate abc==, Basic, Bearer realm=r");
  REQUIRE(t68.size() == 3);
  CHECK(t68[0].params.at("token68") == "abc==");
  CHECK(t68[1].params.empty());
  CHECK(t68[2].params.at("realm") == "r");
}

// Found by tests/fuzz (fuzz_manifest): a platform holding only a variant was dropped by
// Descriptor::to_json, so a descriptor did not survive to_json/from_json.
TEST_CASE("Descriptor::to_json keeps every platform field from_json read") {
  auto entry = nlohmann::json::parse(
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
      std::string(64, 'a') + R"(","size":528,"platform":{"variant":"v8"}})");
  auto d = bob::oci::Descriptor::from_json(entry);
  REQUIRE(d.platform_variant == std::optional<std::string>("v8"));
  CHECK_FALSE(d.platform_os.has_value());
  auto again = bob::oci::Descriptor::from_json(d.to_json());
  CHECK(again.platform_variant == std::optional<std::string>("v8"));
  CHECK_FALSE(again.platform_os.has_value());
  CHECK_FALSE(again.platform_architecture.has_value());
  CHECK(d.to_json()["platform"] == nlohmann::json{{"variant", "v8"}});
}

TEST_CASE("scopes are merged per resource and compared as atoms") {
  using bob::oci::detail::scope_atoms;
  using bob::oci::detail::scope_params;
  auto atoms = scope_atoms("repository:a/b:pull,push repository:reg.io:5000/c:pull");
  CHECK(atoms.count("repository:a/b:push") == 1);
  CHECK(atoms.count("repository:reg.io:5000/c:pull") == 1);
  auto params = scope_params(atoms);
  REQUIRE(params.size() == 2);
  CHECK(params[0] == "repository:a/b:pull,push");
  CHECK(params[1] == "repository:reg.io:5000/c:pull");
}

TEST_CASE("URL helpers: relative Locations, existing queries, origins") {
  using namespace bob::oci::detail;
  CHECK(resolve_url("http://h:1/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u?_state=x") ==
        "http://h:1/v2/a/blobs/uploads/u?_state=x");
  CHECK(resolve_url("http://h:1/v2/a/blobs/uploads/", "u1") == "http://h:1/v2/a/blobs/uploads/u1");
  CHECK(add_query("http://h/u?_state=x", "digest", "sha256:ab") ==
        "http://h/u?_state=x&digest=sha256%3Aab");
  CHECK(add_query("http://h/u", "digest", "d") == "http://h/u?digest=d");
  CHECK(same_origin("https://h/a", "https://h:443/b"));
  CHECK(same_origin("http://h:80/a", "http://h/b"));
  CHECK_FALSE(same_origin("https://h/a", "http://h/a"));
  CHECK_FALSE(same_origin("http://127.0.0.1:5/a", "http://localhost:5/a"));
  CHECK(is_loopback_host("127.0.0.1:5000"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("[::1]:5000"));
  CHECK_FALSE(is_loopback_host("127.example.com"));
  CHECK_FALSE(is_loopback_host("registry.example:5000"));
}

TEST_CASE("registry error bodies: detail of any JSON type, plain text, HTML") {
  using namespace bob::oci::detail;
  HttpResponse r;
  r.status = 400;
  r.body = R"({"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown","detail":"sha256:abc"}]})";
  CHECK(describe_failure(r) == "HTTP 400 MANIFEST_BLOB_UNKNOWN: blob unknown (sha256:abc)");
  r.body = R"({"errors":[{"code":"DENIED","message":"no","detail":{}}]})";
  CHECK(describe_failure(r) == "HTTP 400 DENIED: no");
  r.body = R"({"errors":[{"code":"X","message":"m","detail":{"a":[1]}}]})";
  CHECK(describe_failure(r) == R"(HTTP 400 X: m ({"a":[1]}))");
  r.status = 404;
  r.body = "404 page not found\n";
  CHECK(describe_failure(r) == "HTTP 404: 404 page not found");
  r.body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"OCI index found, but accept header does not support OCI indexes"}]})";
  CHECK(is_accept_quirk(r));
}

TEST_CASE("Link header parsing") {
  bob::oci::detail::HttpResponse r;
  r.headers.items.push_back({"Link", R"(</v2/a/referrers/x?last=b>; rel="next")"});
  CHECK(bob::oci::detail::next_link(r) == "/v2/a/referrers/x?last=b");
  r.headers.items.clear();
  r.headers.items.push_back({"link", R"(<http://a/prev>; rel="prev", <http://a/next>; rel=next)"});
  CHECK(bob::oci::detail::next_link(r) == "http://a/next");
}

// ---- docker config ------------------------------------------------------------------------

namespace {

void write(const std::filesystem::path& path, const std::string& text, unsigned mode = 0644) {
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

}  // namespace

TEST_CASE("docker config: auths with base64 auth, username/password and identitytoken") {
  bob::fs::TempDir dir("bob-docker-config");
  // "alice:s3cret-pw" in base64
  write(dir.path() / "config.json", R"({"auths": {
    "https://reg.example:5000/v1/": {"auth": "YWxpY2U6czNjcmV0LXB3"},
    "other.example": {"username": "bob", "password": "hunter2-pw"},
    "https://index.docker.io/v1/": {"identitytoken": "refresh-token-123"}}})");
  auto a = bob::oci::find_docker_credential("reg.example:5000", dir.path().string());
  CHECK(a.username == "alice");
  CHECK(a.password == "s3cret-pw");
  auto b = bob::oci::find_docker_credential("other.example", dir.path().string());
  CHECK(b.username == "bob");
  CHECK(b.password == "hunter2-pw");
  auto hub = bob::oci::find_docker_credential("docker.io", dir.path().string());
  CHECK(hub.identity_token == "refresh-token-123");
  CHECK(bob::oci::find_docker_credential("none.example", dir.path().string()).empty());
  // Every secret read is masked from now on.
  CHECK(bob::log::redact("pw s3cret-pw tok refresh-token-123") == "pw *** tok ***");
}

TEST_CASE("docker config: credHelpers win over credsStore, which wins over auths") {
  bob::fs::TempDir dir("bob-docker-config");
  auto bin = dir.path() / "bin";
  std::filesystem::create_directories(bin);
  // A helper speaking the docker-credential protocol: server address on stdin, JSON on stdout.
  write(bin / "docker-credential-fakehelper", R"(#!/bin/sh
[ "$1" = get ] || exit 3
read server
case "$server" in
  helped.example) echo '{"ServerURL":"helped.example","Username":"helper-user","Secret":"helper-secret-1"}' ;;
  tokened.example) echo '{"ServerURL":"tokened.example","Username":"<token>","Secret":"helper-refresh-2"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
)", 0755);
  write(bin / "docker-credential-store", R"(#!/bin/sh
read server
if [ "$server" = stored.example ]; then
  echo '{"ServerURL":"stored.example","Username":"store-user","Secret":"store-secret-3"}'
else
  echo "credentials not found in native keychain"; exit 1
fi
)", 0755);
  write(dir.path() / "config.json", R"({
    "credHelpers": {"helped.example": "fakehelper", "tokened.example": "fakehelper"},
    "credsStore": "store",
    "auths": {"stored.example": {"auth": "eDp5"}, "inline.example": {"auth": "aW46bGluZS1wdw=="}}})");
  std::string old_path = std::getenv("PATH");
  setenv("PATH", (bin.string() + ":" + old_path).c_str(), 1);
  auto helped = bob::oci::find_docker_credential("helped.example", dir.path().string());
  auto tokened = bob::oci::find_docker_credential("tokened.example", dir.path().string());
  auto stored = bob::oci::find_docker_credential("stored.example", dir.path().string());
  auto inline_auth = bob::oci::find_docker_credential("inline.example", dir.path().string());
  setenv("PATH", old_path.c_str(), 1);
  CHECK(helped.username == "helper-user");
  CHECK(helped.password == "helper-secret-1");
  CHECK(tokened.identity_token == "helper-refresh-2");
  CHECK(tokened.username.empty());
  CHECK(stored.username == "store-user");  // credsStore before auths
  CHECK(inline_auth.username == "in");     // store has none: falls through to auths
  CHECK(inline_auth.password == "line-pw");
  CHECK(bob::log::redact("helper-secret-1 store-secret-3") == "*** ***");
}

TEST_CASE("docker config: a missing helper and malformed auth give clear errors") {
  bob::fs::TempDir dir("bob-docker-config");
  write(dir.path() / "config.json", R"({"credHelpers": {"x.example": "definitely-not-installed"},
    "auths": {"bad.example": {"auth": "!!!"}}})");
  try {
    bob::oci::find_docker_credential("x.example", dir.path().string());
    FAIL("expected an error");
  } catch (const bob::Error& e) {
    CHECK(e.code() == bob::Exit::registry);
    CHECK(std::string(e.what()).find("docker-credential-definitely-not-installed") !=
          std::string::npos);
  }
  CHECK_THROWS_AS(bob::oci::find_docker_credential("bad.example", dir.path().string()), bob::Error);
  write(dir.path() / "config.json", "{not json");
  CHECK_THROWS_AS(bob::oci::find_docker_credential("x.example", dir.path().string()), bob::Error);
}

TEST_CASE("Retry-After: delta-seconds and HTTP dates, capped; others use the computed backoff") {
  using bob::oci::detail::parse_retry_after;
  using Form = bob::oci::detail::RetryAfter::Form;
  const std::time_t now = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT
  const long cap = 8000;
  auto check = [&](const char* value, Form form, long delay_ms) {
    CAPTURE(value);
    auto r = parse_retry_after(value, now, cap);
    CHECK(r.form == form);
    CHECK(r.delay_ms == delay_ms);
  };
  check("", Form::absent, 0);
  check("3", Form::seconds, 3000);
  check(" 3 ", Form::seconds, 3000);
  check("0", Form::seconds, 0);                                   // computed backoff
  check("999999", Form::seconds, cap);                            // the cap
  check("99999999999999999999999999999", Form::seconds, cap);     // no overflow
  // The three HTTP-date formats of RFC 9110 §5.6.7, 5 s ahead of now.
  check("Wed, 21 Oct 2015 07:28:05 GMT", Form::date, 5000);
  check("Wednesday, 21-Oct-15 07:28:05 GMT", Form::date, 5000);
  check("Wed Oct 21 07:28:05 2015", Form::date, 5000);
  // The same upper bound as delta-seconds.
  check("Wed, 21 Oct 2015 08:28:00 GMT", Form::date, cap);
  check("Wed, 21 Oct 2099 07:28:00 GMT", Form::date, cap);
  // Now or in the past: retry now-ish with the normal backoff.
  check("Wed, 21 Oct 2015 07:28:00 GMT", Form::past_date, 0);
  check("Tue, 20 Oct 2015 07:28:00 GMT", Form::past_date, 0);
  // Neither form: the normal backoff.
  check("soon", Form::unparsable, 0);
  check("-5", Form::unparsable, 0);
  check("1.5", Form::unparsable, 0);
  check("Wed, 99 Oct 2015 07:28:00 GMT", Form::unparsable, 0);
  // A small cap applies to both forms.
  CHECK(parse_retry_after("2", now, 500).delay_ms == 500);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:02 GMT", now, 500).delay_ms == 500);
}

TEST_CASE("transport failures: only network trouble is worth another attempt") {
  using bob::oci::detail::is_transient;
  using bob::oci::detail::transport_failure_of;
  using bob::oci::detail::TransportFailure;
  CHECK(transport_failure_of(CURLE_PEER_FAILED_VERIFICATION) == TransportFailure::tls_verification);
  CHECK(transport_failure_of(CURLE_SSL_CACERT_BADFILE) == TransportFailure::ca_file);
  for (CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR,
                        CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_SEND_ERROR}) {
    CAPTURE(code);
    CHECK(transport_failure_of(code) == TransportFailure::network);
  }
  CHECK(is_transient(TransportFailure::network));
  CHECK_FALSE(is_transient(TransportFailure::body_too_large));
  CHECK_FALSE(is_transient(TransportFailure::tls_verification));
  CHECK_FALSE(is_transient(TransportFailure::ca_file));
  // The error carries the decision and is still an Error(registry) with its message.
  bob::oci::detail::TransportError e(TransportFailure::tls_verification,
                                     CURLE_PEER_FAILED_VERIFICATION, "GET x: TLS verification failed",
                                     "hint");
  const bob::Error& base = e;
  CHECK(base.code() == bob::Exit::registry);
  CHECK(std::string(base.what()) == "GET x: TLS verification failed");
  CHECK(base.hint() == "hint");
  CHECK(e.curl_code() == CURLE_PEER_FAILED_VERIFICATION);
}
