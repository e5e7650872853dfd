// Fuzzes bob::oci::Reference::parse, the parser of every image and BoB reference a user types.
// Invariants: the canonical form parses back to the same fields and is a fixed point, and the
// derived forms (endpoint, with_digest, with_tag, manifest_reference) never fail on a parsed
// reference.
#include "bob/oci.h"
#include "fuzz_common.h"

namespace {

using bob::oci::Reference;

std::string fields(const Reference& r) {
  return "registry='" + r.registry + "' repository='" + r.repository + "' tag='" + r.tag +
         "' digest='" + r.digest + "'";
}

bool same(const Reference& a, const Reference& b) {
  return a.registry == b.registry && a.repository == b.repository && a.tag == b.tag &&
         a.digest == b.digest;
}

void check_parsed(const Reference& ref) {
  BOB_FUZZ_CHECK(!ref.registry.empty() && !ref.repository.empty(), fields(ref));
  BOB_FUZZ_CHECK(bob::oci::is_valid_repository(ref.repository), fields(ref));
  BOB_FUZZ_CHECK(ref.tag.empty() || bob::oci::is_valid_tag(ref.tag), fields(ref));
  BOB_FUZZ_CHECK(ref.digest.empty() || bob::oci::is_valid_digest(ref.digest), fields(ref));

  const std::string canonical = ref.str();
  Reference again;
  try {
    again = Reference::parse(canonical);
  } catch (const bob::Error& e) {
    bob::fuzz::invariant_failed("canonical form parses", __FILE__, __LINE__,
                     fields(ref) + " str='" + canonical + "': " + e.what());
  }
  BOB_FUZZ_CHECK(same(ref, again), fields(ref) + " vs " + fields(again));
  BOB_FUZZ_CHECK(again.str() == canonical, canonical + " vs " + again.str());
  BOB_FUZZ_CHECK(ref.repository_name() == ref.registry + "/" + ref.repository, fields(ref));
  BOB_FUZZ_CHECK(!ref.endpoint().empty(), fields(ref));

  const std::string reference = ref.manifest_reference();
  if (!ref.digest.empty()) BOB_FUZZ_CHECK(reference == ref.digest, fields(ref));
  else if (!ref.tag.empty()) BOB_FUZZ_CHECK(reference == ref.tag, fields(ref));
  else BOB_FUZZ_CHECK(reference == "latest", fields(ref));

  const std::string digest = "sha256:" + std::string(64, 'a');
  auto pinned = ref.with_digest(digest);
  BOB_FUZZ_CHECK(pinned.digest == digest && pinned.tag.empty(), fields(pinned));
  BOB_FUZZ_CHECK(same(Reference::parse(pinned.str()), pinned), fields(pinned));
  BOB_FUZZ_CHECK(bob::oci::fallback_tag(digest) == "sha256-" + std::string(64, 'a'), digest);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bob::fuzz::quiet_logs();
  std::string_view text = bob::fuzz::as_text(data, size);
  Reference ref;
  try {
    ref = Reference::parse(text);
  } catch (const bob::Error&) {
    return 0;
  }
  check_parsed(ref);
  // The validators are also called on their own, on user and registry input.
  (void)bob::oci::is_valid_repository(text);
  (void)bob::oci::is_valid_tag(text);
  (void)bob::oci::is_valid_digest(text);
  return 0;
}
