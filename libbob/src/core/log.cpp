#include "bob/log.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace bob::log {
namespace {

std::mutex mutex;
Level current = Level::normal;
std::vector<std::string> secrets;

void emit(std::string_view prefix, std::string_view message) {
  std::string line = redact(message);
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "%.*s%s\n", static_cast<int>(prefix.size()), prefix.data(), line.c_str());
}

}  // namespace

void set_level(Level level) { current = level; }
Level level() { return current; }

void add_secret(std::string_view secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(mutex);
  if (std::find(secrets.begin(), secrets.end(), secret) != secrets.end()) return;
  secrets.emplace_back(secret);
  // Longest first, so a secret that contains another one is masked whole.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
  std::string out(text);
  std::vector<std::string> copy;
  {
    std::lock_guard lock(mutex);
    copy = secrets;
  }
  for (const auto& secret : copy) {
    for (std::size_t pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + 3)) {
      out.replace(pos, secret.size(), "***");
    }
  }
  return out;
}

void debug(std::string_view message) {
  if (current >= Level::verbose) emit("debug: ", message);
}
void info(std::string_view message) {
  if (current >= Level::normal) emit("", message);
}
void warn(std::string_view message) { emit("warning: ", message); }
void error(std::string_view message) { emit("error: ", message); }
void hint(std::string_view message) { emit("hint: ", message); }

std::string milliseconds(std::chrono::steady_clock::duration elapsed) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  return std::to_string(us / 1000) + "." + std::to_string(us / 100 % 10) + " ms";
}

}  // namespace bob::log
