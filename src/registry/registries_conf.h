// registries.conf, the containers-registries.conf(5) file podman and skopeo
// read (version 2, TOML): where short names are searched, which registries
// may be reached without TLS, which are blocked, and their mirrors.
//
// skiff reads $CONTAINERS_REGISTRIES_CONF when set; else
// ~/.config/containers/registries.conf when it exists, else
// /etc/containers/registries.conf; then the *.conf drop-ins of the matching
// registries.conf.d folders, in name order, each overriding what it sets.
// No file at all is fine: short names then mean docker.io, as in docker.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/reference.h"

namespace skiff {

struct RegistryMirror {
  std::string location;  ///< "mirror.example.com/path"
  bool insecure = false;
  std::string pull_from_mirror = "all";  ///< all, digest-only, tag-only
};

struct RegistryEntry {
  std::string prefix;    ///< "example.com/foo", "*.example.com"; "" only in a malformed file
  std::string location;  ///< where the prefix is fetched from ("" means the prefix itself)
  bool insecure = false;
  bool blocked = false;
  std::vector<RegistryMirror> mirrors;
};

struct RegistriesConf {
  std::vector<std::string> unqualified_search;  ///< empty: docker.io only
  std::vector<RegistryEntry> registries;

  /// The entry whose prefix matches `name` ("domain/path") best, or null.
  const RegistryEntry* find(std::string_view name) const;
};

/// Merges one file's content into `conf` (a later file's values win;
/// [[registry]] entries with the same prefix replace earlier ones).
/// `origin` names the file in errors. Version 1 files are refused.
Status parse_registries_conf(std::string_view text, std::string_view origin, RegistriesConf& conf);

/// The user's configuration, read from the files the header names.
Result<RegistriesConf> load_registries_conf();

/// One place to fetch an image from.
struct PullSource {
  std::string domain;  ///< "mirror.example.com"
  std::string path;    ///< the repository there
  bool insecure = false;
};

/// Where `ref` is fetched from, in order: its mirrors (those whose
/// pull-from-mirror allows a by-tag or by-digest pull, as `ref` is), then
/// its location. A blocked registry is an error.
Result<std::vector<PullSource>> pull_sources(const RegistriesConf& conf, const ImageReference& ref);

/// True when `text`, as a user wrote it, names no registry ("busybox",
/// "user/app:1"): a short name that the search registries may resolve.
bool is_short_name(std::string_view text);

/// The full references a short name may mean, in the order to try them:
/// each unqualified-search registry's, or docker.io's alone when none is
/// configured. `ref` is the name parsed the docker way (docker.io/...).
std::vector<ImageReference> short_name_candidates(const RegistriesConf& conf, const ImageReference& ref);

}  // namespace skiff
