// `docker create` options turned into a container's config record: the
// command, environment, user, mounts and security settings, checked before
// anything is written. The parsers are pure and unit tested.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/containers.h"
#include "engine/volumes.h"
#include "image/store.h"
#include "linux/container_plan.h"

namespace skiff {

struct ContainerDraft {
  Json config;  ///< config.json without id, name and created
  /// The volumes the container takes (the volumes lock, shared, is held
  /// while the draft lives); keep() them once the container's record exists.
  std::optional<VolumeClaim> volumes;
  /// On a user-defined network: networks/.lock, shared, while the draft
  /// lives (engine/networks.h).
  std::optional<FileLock> network_lock;
  void keep_volumes() {
    if (volumes) volumes->keep();
  }
};

/// Resolves the image (the store only: no pull yet) and checks every option.
Result<ContainerDraft> make_container_draft(const Store& store, const CreateOptions& options);

/// A parsed -v or --mount: the mount, and what docker records with it.
struct MountFlag {
  VolumeSpec spec;
  std::string mode{};  ///< docker's Mounts[].Mode: -v's options as given ("z" for a volume without any)
  Json volume_labels = Json::object();  ///< --mount volume-label=: labels a volume made for it
};

/// `-v SRC:DST[:OPTS]` or `-v DST`: SRC an absolute host path (a bind), or
/// a volume's name (a named volume, made when missing); DST alone is an
/// anonymous volume. OPTS a comma list of ro, rw, nocopy, z, Z and
/// propagation modes (accepted and ignored).
Result<MountFlag> parse_volume_flag(std::string_view text);
/// `--mount type=bind|volume|tmpfs,source=...,target=...,readonly,...`:
/// bind-propagation=, tmpfs-size=, tmpfs-mode=, volume-nocopy,
/// volume-label=K=V, volume-driver=local (volume-opt= is refused, as by
/// `volume create -o`). A volume without source= is anonymous.
Result<MountFlag> parse_mount_flag(std::string_view text);
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

/// `--restart` as docker's HostConfig.RestartPolicy {Name, MaximumRetryCount}.
Result<Json> parse_restart_policy(std::string_view text);

/// The VolumeSpecs a config records.
std::vector<VolumeSpec> config_volumes(const Json& config);

}  // namespace skiff
