// Opens libcurl and libarchive on first use (see loaded_libs.h).
#include "loaded_libs.h"

#include <dlfcn.h>

#include <string>

#include "bob/error.h"

namespace bob::oci::detail {
namespace {

class Library {
 public:
  // `soname` is the ABI name the headers bob was built with belong to; `package` the Debian
  // package that provides it, for the hint.
  Library(const char* soname, const char* package) : soname_(soname), package_(package) {
    handle_ = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* why = dlerror();
      fail(Exit::registry, std::string("cannot load ") + soname + ": " + (why ? why : "?"),
           std::string("install it: apt-get install ") + package);
    }
  }

  template <class Function>
  void resolve(const char* name, Function& slot) const {
    dlerror();  // clears an earlier error, so that the one below is this lookup's
    void* symbol = dlsym(handle_, name);
    if (!symbol) {
      const char* why = dlerror();
      fail(Exit::registry,
           std::string(soname_) + " has no function " + name + (why ? std::string(": ") + why : ""),
           std::string("bob needs the version of ") + package_ + " it was built against");
    }
    slot = reinterpret_cast<Function>(symbol);
  }

 private:
  const char* soname_;
  const char* package_;
  void* handle_ = nullptr;  // never closed: the functions are used until the process ends
};

#define BOB_RESOLVE(member, symbol) library.resolve(#symbol, functions.member)

CurlFunctions load_curl() {
  Library library("libcurl.so.4", "libcurl4");
  CurlFunctions functions{};
  BOB_RESOLVE(global_init, curl_global_init);
  BOB_RESOLVE(easy_init, curl_easy_init);
  BOB_RESOLVE(easy_setopt, curl_easy_setopt);
  BOB_RESOLVE(easy_perform, curl_easy_perform);
  BOB_RESOLVE(easy_getinfo, curl_easy_getinfo);
  BOB_RESOLVE(easy_reset, curl_easy_reset);
  BOB_RESOLVE(easy_cleanup, curl_easy_cleanup);
  BOB_RESOLVE(easy_strerror, curl_easy_strerror);
  BOB_RESOLVE(slist_append, curl_slist_append);
  BOB_RESOLVE(slist_free_all, curl_slist_free_all);
  BOB_RESOLVE(url, curl_url);
  BOB_RESOLVE(url_set, curl_url_set);
  BOB_RESOLVE(url_get, curl_url_get);
  BOB_RESOLVE(url_cleanup, curl_url_cleanup);
  BOB_RESOLVE(getdate, curl_getdate);
  BOB_RESOLVE(free, curl_free);
  // Not thread-safe before libcurl 7.84: done here, once, under the static's initialisation.
  CURLcode init = functions.global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK)
    fail(Exit::registry,
         std::string("libcurl could not initialise: ") + functions.easy_strerror(init));
  return functions;
}

ArchiveFunctions load_archive() {
  Library library("libarchive.so.13", "libarchive13");
  ArchiveFunctions functions{};
  BOB_RESOLVE(error_string, archive_error_string);
  BOB_RESOLVE(read_new, archive_read_new);
  BOB_RESOLVE(read_support_format_tar, archive_read_support_format_tar);
  BOB_RESOLVE(read_support_filter_gzip, archive_read_support_filter_gzip);
  BOB_RESOLVE(read_open_memory, archive_read_open_memory);
  BOB_RESOLVE(read_next_header, archive_read_next_header);
  BOB_RESOLVE(read_data, archive_read_data);
  BOB_RESOLVE(read_free, archive_read_free);
  BOB_RESOLVE(write_new, archive_write_new);
  BOB_RESOLVE(write_add_filter_gzip, archive_write_add_filter_gzip);
  BOB_RESOLVE(write_set_filter_option, archive_write_set_filter_option);
  BOB_RESOLVE(write_set_format_pax_restricted, archive_write_set_format_pax_restricted);
  BOB_RESOLVE(write_set_bytes_in_last_block, archive_write_set_bytes_in_last_block);
  BOB_RESOLVE(write_open, archive_write_open);
  BOB_RESOLVE(write_header, archive_write_header);
  BOB_RESOLVE(write_data, archive_write_data);
  BOB_RESOLVE(write_close, archive_write_close);
  BOB_RESOLVE(write_free, archive_write_free);
  BOB_RESOLVE(entry_new, archive_entry_new);
  BOB_RESOLVE(entry_free, archive_entry_free);
  BOB_RESOLVE(entry_pathname, archive_entry_pathname);
  BOB_RESOLVE(entry_hardlink, archive_entry_hardlink);
  BOB_RESOLVE(entry_filetype, archive_entry_filetype);
  BOB_RESOLVE(entry_size, archive_entry_size);
  BOB_RESOLVE(entry_size_is_set, archive_entry_size_is_set);
  BOB_RESOLVE(entry_set_pathname, archive_entry_set_pathname);
  BOB_RESOLVE(entry_set_filetype, archive_entry_set_filetype);
  BOB_RESOLVE(entry_set_perm, archive_entry_set_perm);
  BOB_RESOLVE(entry_set_size, archive_entry_set_size);
  BOB_RESOLVE(entry_set_uid, archive_entry_set_uid);
  BOB_RESOLVE(entry_set_gid, archive_entry_set_gid);
  BOB_RESOLVE(entry_set_mtime, archive_entry_set_mtime);
  return functions;
}

#undef BOB_RESOLVE

}  // namespace

// A failed load throws out of the static's initialisation, which is then tried again on the
// next call: a library installed meanwhile is found.
const CurlFunctions& curl() {
  static const CurlFunctions functions = load_curl();
  return functions;
}

const ArchiveFunctions& archive() {
  static const ArchiveFunctions functions = load_archive();
  return functions;
}

}  // namespace bob::oci::detail
