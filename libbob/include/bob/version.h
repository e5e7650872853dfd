#pragma once

namespace bob {
// The bob release, as given in meson.build.
const char* version();
}  // namespace bob
