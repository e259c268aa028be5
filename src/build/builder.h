// skiff build: a Dockerfile's stages run step by step in skiff's own
// rootless containers, each step kept as an image (a build step, listed by
// `images -a` only) that is the build's cache.
//
// A step's cache key is its parent image's ID and what the step does: the
// instruction as expanded, the build args in RUN's environment, for COPY
// the content of what it copies (files read only when their size, mtime,
// inode or mode changed since the last build of this context). The key
// names the step's image in <root>/build-cache/; a no-op rebuild reads
// those files and the image records, nothing else.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "image/store.h"

namespace skiff {

struct BuildOptions {
  std::string context;                  ///< a folder, a tar archive, or "-" (stdin)
  std::string dockerfile;               ///< -f ("" for Dockerfile or Containerfile in the context, "-" for stdin)
  std::vector<std::string> tags;        ///< -t
  std::vector<std::string> build_args;  ///< KEY=VALUE, or KEY (from our environment)
  std::vector<std::string> labels;      ///< KEY=VALUE, set on the final image
  std::string target;                   ///< --target stage ("": the last)
  std::string network;                  ///< RUN's network: "" or default (slirp), none, host
  std::string platform;                 ///< accepted when it is this host's
  std::string iidfile;                  ///< write the image ID there
  std::string storage_driver;
  bool no_cache = false;
  bool pull = false;                    ///< pull FROM images even when present
  bool quiet = false;                   ///< no step display, no RUN output
};

/// Builds and returns the final image's ID ("sha256:..."), named after
/// `tags`. On failure nothing is named and the steps already built stay as
/// cache.
Result<std::string> build_image(const Store& store, const BuildOptions& options);

}  // namespace skiff
