#include "net/slirp_library.h"

#include "base/shared_library.h"

namespace skiff {

namespace {

Status load(SlirpLibrary& lib) {
  void* handle =
      TRY(open_shared_library("libslirp.so.0", "install the libslirp0 package, or use --network none"));
  // 4.7's symbols: slirp_handle_timer came with SlirpConfig version 4.
  const char* name = "libslirp (skiff needs 4.7 or later)";
  TRY(find_symbol(handle, lib.make, "slirp_new", name));
  TRY(find_symbol(handle, lib.cleanup, "slirp_cleanup", name));
  TRY(find_symbol(handle, lib.pollfds_fill, "slirp_pollfds_fill", name));
  TRY(find_symbol(handle, lib.pollfds_poll, "slirp_pollfds_poll", name));
  TRY(find_symbol(handle, lib.input, "slirp_input", name));
  TRY(find_symbol(handle, lib.handle_timer, "slirp_handle_timer", name));
  TRY(find_symbol(handle, lib.version_string, "slirp_version_string", name));
  return {};
}

}  // namespace

Result<const SlirpLibrary*> slirp_library() { return load_once(&load); }

}  // namespace skiff
