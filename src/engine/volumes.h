// Volumes: folders the store keeps apart from any container, bound into
// the containers that name them (DESIGN.md, "Storage"), with docker's local
// driver's commands (create, ls, inspect, rm, prune).
//
//   volumes/<name>/_data        the content, bound into containers
//   volumes/<name>/volume.json  created, driver, labels, options, anonymous
//   volumes/<name>/populated    a container's first mount filled it already
//                               (linux/volume_copy_up.h)
//   volumes/.tmp-<random>/      a volume being made, renamed into place whole
//   volumes/.trash-<random>/    a volume being removed (flock'd by its remover)
//   volumes/.lock               shared while a container being created takes
//                               volumes (until its record exists), exclusive
//                               while rm and prune decide what no one uses
//
// A volume's content may belong to subordinate IDs (a container wrote it,
// or the image's files were copied in): it is removed from inside the user
// namespace, as layers are.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/lock.h"
#include "image/store.h"

namespace skiff {

struct VolumeRecord {
  std::string name;
  std::string dir;      ///< volumes/<name>
  std::string created;  ///< RFC 3339
  Json labels;          ///< an object, or null for one made by a container without labels
  Json options;         ///< the driver's options (none are accepted yet): an object or null
  bool anonymous = false;
  std::string data_dir() const { return dir + "/_data"; }
};

/// The label docker 23 gives anonymous volumes; prune without --all removes only those.
inline constexpr const char* kAnonymousVolumeLabel = "com.docker.volume.anonymous";

struct VolumeCreateOptions {
  std::string name;  ///< "" makes a random 64-hex name
  std::string driver = "local";
  std::vector<std::string> labels{};   ///< KEY=VALUE or KEY
  std::vector<std::string> options{};  ///< -o KEY=VALUE, for the driver
};

/// docker's rule for local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (and
/// at most 255 bytes, one folder name). The error reads as docker's.
Status check_volume_name(std::string_view name);

/// Checks a driver and its -o options: only "local", and no option, since
/// each of the local driver's (type, device, o, size) mounts a file system
/// on the host, which needs root. Returns the options as a JSON object.
Result<Json> check_volume_driver_options(std::string_view driver, const std::vector<std::string>& options);

/// --label KEY=VALUE (or KEY) flags as a JSON object; an empty key is an error.
Result<Json> parse_label_flags(const std::vector<std::string>& labels);

/// `skiff volume create`: makes the volume, or returns the existing one of
/// that name (as docker does, whatever its labels). Two creators racing for
/// a name both end up with the one volume.
Result<VolumeRecord> create_volume(const Store& store, const VolumeCreateOptions& options);

/// Reads one volume: "No such volume: <name>" when it doesn't exist.
Result<VolumeRecord> load_volume(const Store& store, const std::string& name);

/// Every volume, sorted by name; unreadable ones are skipped with a warning.
std::vector<VolumeRecord> list_volumes(const Store& store);

/// The IDs of the containers (in any state) whose records use volume `name`.
std::vector<std::string> volume_users(const Store& store, const std::string& name);

/// docker's volume inspect object: CreatedAt, Driver, Labels, Mountpoint,
/// Name, Options, Scope.
Json inspect_volume(const VolumeRecord& volume);

/// `volume ls` rows with docker's --format fields (Availability, Driver,
/// Group, Labels, Links, Mountpoint, Name, Scope, Size, Status), sorted by
/// name, after the filters dangling=true|false, driver=, label=KEY[=VALUE],
/// name= (a regular expression found in the name).
Result<std::vector<Json>> list_volume_rows(const Store& store, const std::vector<std::string>& filters);

/// `volume rm`: refused while any container uses it ("volume is in use -
/// [IDs]"); a missing volume is an error unless `force`.
Status remove_volume(const Store& store, const std::string& name, bool force);

struct VolumePruneOutcome {
  std::vector<std::string> deleted;  ///< names, in name order
  uint64_t reclaimed = 0;            ///< bytes their content took
};

/// `volume prune`: removes the volumes no container uses: anonymous ones
/// only unless `all` (docker 23), and only those matching the filters
/// label=, label!= (and all=true, the same as `all`).
Result<VolumePruneOutcome> prune_volumes(const Store& store, bool all,
                                         const std::vector<std::string>& filters);

/// `rm -v` and --rm: removes the anonymous volumes a container's record
/// names (its volume_specs with "anonymous"), except those another
/// container uses. Named volumes stay.
Status remove_anonymous_volumes(const Store& store, const Json& container_config);

/// The volumes a container being created takes. Holds the volumes lock
/// shared, so rm and prune can't remove a volume between its check and the
/// container's record; destroyed without keep(), it removes the anonymous
/// volumes it made (the container never came to exist).
class VolumeClaim {
 public:
  static Result<VolumeClaim> begin(const Store& store);
  VolumeClaim(VolumeClaim&&) noexcept = default;
  VolumeClaim& operator=(VolumeClaim&&) = delete;
  ~VolumeClaim();

  /// The volume `name`, made (unlabelled) when missing; a new anonymous
  /// volume when `name` is "". `labels` label a volume made here.
  Result<VolumeRecord> take(const std::string& name, const Json& labels);
  /// The container's record exists: its volumes stay.
  void keep() { made_.clear(); }

 private:
  VolumeClaim(const Store& store, FileLock lock) : store_(&store), lock_(std::move(lock)) {}
  const Store* store_;
  FileLock lock_;
  std::vector<std::string> made_;  ///< anonymous volumes made here
};

}  // namespace skiff
