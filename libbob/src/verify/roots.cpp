// Root mapping: the vendor recorded under its own home, working, temp and prefix directories; the
// user runs under others. Paths are rewritten from the user's roots onto the vendor's before
// matching, so the profile can stay literal (and Kubescape-compatible) yet hold on any machine.
#include <algorithm>

#include "bob/verify.h"

namespace bob::verify {
namespace {

std::string trim_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

RootMap::RootMap(const std::map<std::string, std::string>& user,
                 const std::map<std::string, std::string>& vendor) {
  for (const auto& [name, user_root_raw] : user) {
    auto found = vendor.find(name);
    if (found == vendor.end()) continue;
    std::string user_root = trim_trailing_slashes(user_root_raw);
    std::string vendor_root = trim_trailing_slashes(found->second);
    // "/" as a root would rewrite every path; relative roots mean nothing here.
    if (user_root.size() < 2 || user_root.front() != '/') continue;
    if (vendor_root.size() < 2 || vendor_root.front() != '/') continue;
    if (user_root == vendor_root) continue;
    bool duplicate = std::any_of(pairs_.begin(), pairs_.end(),
                                 [&](const auto& p) { return p.first == user_root; });
    if (!duplicate) pairs_.emplace_back(user_root, vendor_root);
  }
  // Longest user root first, so a cwd inside the temp directory maps as the cwd.
  std::stable_sort(pairs_.begin(), pairs_.end(), [](const auto& a, const auto& b) {
    return a.first.size() > b.first.size();
  });
}

std::string RootMap::path(std::string_view path) const {
  for (const auto& [user_root, vendor_root] : pairs_) {
    if (path.size() < user_root.size()) continue;
    if (path.compare(0, user_root.size(), user_root) != 0) continue;
    if (path.size() == user_root.size()) return vendor_root;
    if (path[user_root.size()] != '/') continue;  // /home/u must not rewrite /home/user2
    return vendor_root + std::string(path.substr(user_root.size()));
  }
  return std::string(path);
}

std::string RootMap::arg(std::string_view arg) const {
  if (!arg.empty() && arg.front() == '/') return path(arg);
  // --prefix=/home/u/x and similar option forms.
  auto equals = arg.find('=');
  if (equals != std::string_view::npos && equals + 1 < arg.size() && arg[equals + 1] == '/') {
    return std::string(arg.substr(0, equals + 1)) + path(arg.substr(equals + 1));
  }
  return std::string(arg);
}

std::map<std::string, std::string> vendor_roots(const profile::Profile& profile) {
  std::map<std::string, std::string> roots;
  const auto& metadata = profile.metadata;
  if (!metadata.is_object() || !metadata.contains("annotations")) return roots;
  const auto& annotations = metadata["annotations"];
  if (!annotations.is_object() || !annotations.contains(kRootsAnnotation)) return roots;
  const auto& value = annotations[kRootsAnnotation];
  const std::string where = "profile '" + profile.name() + "': annotation " + kRootsAnnotation;
  if (!value.is_string()) fail(Exit::usage, where + " is not a string");
  Json parsed = Json::parse(value.get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    fail(Exit::usage, where + " is not a JSON object",
         "expected e.g. {\"home\":\"/root\",\"tmp\":\"/tmp\"}");
  }
  for (const auto& [name, root] : parsed.items()) {
    if (!root.is_string()) fail(Exit::usage, where + ": root '" + name + "' is not a string");
    roots[name] = root.get<std::string>();
  }
  return roots;
}

}  // namespace bob::verify
