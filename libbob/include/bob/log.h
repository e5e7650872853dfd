// Diagnostics on stderr, with verbosity levels and secret redaction.
//
// Every message bob prints about its own work goes through here, so that a secret registered
// with add_secret() (a password, a token, a private key) can never reach the terminal or a CI
// log, whatever the verbosity.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace bob::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };

void set_level(Level level);
Level level();

// Remembers a secret; from now on it is replaced by "***" in everything printed.
// Values shorter than 4 characters are ignored, since masking them would garble ordinary text.
void add_secret(std::string_view secret);
std::string redact(std::string_view text);

void debug(std::string_view message);    // shown with -v only
void info(std::string_view message);     // hidden with -q
void warn(std::string_view message);     // always shown, prefixed "warning: "
void error(std::string_view message);    // always shown, prefixed "error: "
void hint(std::string_view message);     // always shown, prefixed "hint: "

// "12.3 ms": how long something took, for the timings -v prints.
std::string milliseconds(std::chrono::steady_clock::duration elapsed);

}  // namespace bob::log
