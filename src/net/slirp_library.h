// libslirp, loaded with dlopen the first time a container's network carries
// a frame. Linked normally, it would bring glib and pcre2 into every skiff
// process (`skiff ps` too) and cost each start the relocations.
#pragma once

#include <slirp/libslirp.h>

#include "base/error.h"

namespace skiff {

struct SlirpLibrary {
  decltype(&slirp_new) make;
  decltype(&slirp_cleanup) cleanup;
  decltype(&slirp_pollfds_fill) pollfds_fill;
  decltype(&slirp_pollfds_poll) pollfds_poll;
  decltype(&slirp_input) input;
  decltype(&slirp_handle_timer) handle_timer;
  decltype(&slirp_version_string) version_string;
};

/// Loads libslirp.so.0 once; an Error says how to install it when it is missing.
Result<const SlirpLibrary*> slirp_library();

}  // namespace skiff
