// Fuzzes the referrers pagination path: bob::oci::detail::next_link over `Link` headers (one per
// input line, as a registry may send several), then resolve_url against the page URL and the
// same-origin check the client applies before following it (bug-log R33).
// Invariants: the target returned is the text between one '<' and the next '>' of some header,
// so it never contains '>'; a link that resolves on the base's origin stays same-origin when
// resolved again against itself.
#include "fuzz_common.h"
#include "oci_internal.h"

namespace {

const std::string kBase =
    "http://127.0.0.1:5000/v2/team/app/referrers/sha256:"
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bob::fuzz::quiet_logs();
  bob::oci::detail::HttpResponse response;
  response.status = 200;
  response.url = kBase;
  auto lines = bob::fuzz::split(bob::fuzz::as_text(data, size), '\n');
  for (const auto& line : lines) response.headers.items.emplace_back("Link", line);

  const std::string next = bob::oci::detail::next_link(response);
  if (next.empty()) return 0;
  BOB_FUZZ_CHECK(next.find('>') == std::string::npos, next);
  bool inside_some_header = false;
  for (const auto& line : lines) {
    if (line.find("<" + next + ">") != std::string::npos) inside_some_header = true;
  }
  BOB_FUZZ_CHECK(inside_some_header, next);

  std::string url;
  try {
    url = bob::oci::detail::resolve_url(kBase, next);
    if (!bob::oci::detail::same_origin(url, kBase)) return 0;
  } catch (const bob::Error&) {
    return 0;
  }
  try {
    std::string again = bob::oci::detail::resolve_url(url, url);
    BOB_FUZZ_CHECK(bob::oci::detail::same_origin(again, kBase), url + " -> " + again);
  } catch (const bob::Error& e) {
    bob::fuzz::invariant_failed("a resolved URL resolves against itself", __FILE__, __LINE__,
                                url + ": " + e.what());
  }
  return 0;
}
