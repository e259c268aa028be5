// `docker create` options turned into a container's config record: the
// command, environment, user, mounts and security settings, checked before
// anything is written. The parsers are pure and unit tested.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/containers.h"
#include "image/store.h"
#include "linux/container_plan.h"

namespace skiff {

struct ContainerDraft {
  Json config;  ///< config.json without id, name and created
};

/// Resolves the image (the store only: no pull yet) and checks every option.
Result<ContainerDraft> make_container_draft(const Store& store, const CreateOptions& options);

/// `-v SRC:DST[:OPTS]`: SRC must be an absolute host path (named and
/// anonymous volumes come later); OPTS a comma list of ro, rw, z, Z and
/// propagation modes (accepted and ignored).
Result<VolumeSpec> parse_volume_flag(std::string_view text);
/// `--mount type=bind|tmpfs,source=...,target=...,readonly,tmpfs-size=...,tmpfs-mode=...`
Result<VolumeSpec> parse_mount_flag(std::string_view text);
/// `--tmpfs DST[:OPTS]`: OPTS are tmpfs options (size=, mode=, uid=, gid=)
/// and the flags ro, rw, exec, noexec, nosuid, nodev; noexec by default, as docker.
Result<VolumeSpec> parse_tmpfs_flag(std::string_view text);

/// runc's PATH for an image whose environment has none.
inline constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Looks a variable up in skiff's own environment (-e NAME, --env-file lines without "=").
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
/// One -e value or env-file line as NAME=value; nullopt for "NAME" unset in `lookup`.
Result<std::optional<std::string>> parse_env_entry(std::string_view entry, const EnvLookup& lookup);
/// An --env-file's lines (blank lines and # comments skipped).
Result<std::vector<std::string>> parse_env_file(std::string_view text, const EnvLookup& lookup);
/// `base` with each of `overrides` replacing the entry of the same name, or appended.
std::vector<std::string> merge_env(std::vector<std::string> base, const std::vector<std::string>& overrides);

/// The VolumeSpecs a config records.
std::vector<VolumeSpec> config_volumes(const Json& config);

}  // namespace skiff
