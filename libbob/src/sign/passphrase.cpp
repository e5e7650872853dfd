// Passphrases: from an environment variable or typed on the terminal with echo off.
//
// The terminal is /dev/tty, not standard input, so that `bob keygen < file` or a pipe cannot feed
// a passphrase by accident and the prompt never lands in redirected output.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>

#include "bob/error.h"
#include "bob/log.h"
#include "bob/sign.h"
#include "passphrase.h"

namespace bob::sign {

namespace {

constexpr std::size_t kMaxPassphraseBytes = 1024;

std::optional<std::string> from_environment(const PassphraseSource& source) {
  if (source.env_var.empty()) return std::nullopt;
  const char* value = std::getenv(source.env_var.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// Limitation: the prompt needs a controlling terminal (/dev/tty); in scripts and CI the
// passphrase must come from the environment variable. Passphrases are not read from files.
// Closes the terminal and restores echo however the prompt ends.
class Terminal {
 public:
  Terminal() : fd_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {
    if (fd_ < 0) return;
    if (::tcgetattr(fd_, &saved_) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Terminal() {
    if (fd_ < 0) return;
    if (echo_off_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    ::close(fd_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool available() const { return fd_ >= 0; }

  std::string ask(std::string_view prompt) {
    // Echo goes off (and type-ahead is discarded) before the prompt appears, so whatever is
    // typed after the prompt is never shown and never lost.
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    echo_off_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    if (!echo_off_) fail(Exit::usage, "cannot turn off terminal echo for the passphrase");
    write_text(prompt);
    std::string line;
    char c;
    while (true) {
      ssize_t n = ::read(fd_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || c == '\n' || c == '\r') break;
      if (line.size() >= kMaxPassphraseBytes) {
        fail(Exit::usage, "passphrase longer than 1024 bytes");
      }
      line += c;
    }
    ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    echo_off_ = false;
    write_text("\n");
    return line;
  }

 private:
  void write_text(std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::write(fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  int fd_;
  termios saved_{};
  bool echo_off_ = false;
};

}  // namespace

namespace detail {

bool passphrase_for_existing_key(const PassphraseSource& source, std::string_view key_name,
                                 std::string& passphrase) {
  if (auto value = from_environment(source)) {
    passphrase = std::move(*value);
    log::add_secret(passphrase);
    return true;
  }
  if (!source.allow_prompt) return false;
  Terminal terminal;
  if (!terminal.available()) return false;
  passphrase = terminal.ask("Passphrase for " + std::string(key_name) + ": ");
  log::add_secret(passphrase);
  return true;
}

}  // namespace detail

std::string read_new_passphrase(const PassphraseSource& source, bool required) {
  if (auto value = from_environment(source)) {
    if (required && value->empty()) {
      fail(Exit::usage, "environment variable " + source.env_var + " is empty",
           "put the passphrase in it, or drop --passphrase-env for an unencrypted key");
    }
    log::add_secret(*value);
    return *value;
  }
  if (required) {
    fail(Exit::usage, "environment variable " + source.env_var + " is not set",
         "export it with the passphrase, or drop --passphrase-env");
  }
  if (!source.allow_prompt) return {};
  Terminal terminal;
  if (!terminal.available()) return {};
  std::string first = terminal.ask("Passphrase for the new private key (empty: none): ");
  log::add_secret(first);
  if (first.empty()) return {};
  std::string second = terminal.ask("Repeat the passphrase: ");
  if (first != second) fail(Exit::usage, "the two passphrases differ; no key was written");
  return first;
}

}  // namespace bob::sign
