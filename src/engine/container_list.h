// `ps`: containers as rows with docker's --format fields, their filters, and
// the pieces of docker's CLI formatter and daemon that make each column
// (command quoting, status text, sizes). Also the container inspect object as
// templates see it, which `inspect` and `container inspect` share.
#pragma once

#include <regex.h>

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/container_summary.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

struct ContainerListOptions {
  bool all = false;                  ///< stopped containers too (else running only)
  std::vector<std::string> filters;  ///< KEY=VALUE, see parse_container_filters
  bool no_trunc = false;
  bool size = false;    ///< fill Size (walks each container's upper folder)
  int last = -1;        ///< -n: the N newest (any state); <= 0 for no limit
  bool latest = false;  ///< -l: the newest (any state)
};

/// The containers `ps` lists, newest first: those the options' state,
/// filters and limit let through. Invalid filters, and a before=/since=
/// container that does not exist, are errors.
Result<std::vector<ContainerSummary>> select_listed_containers(const Store& store,
                                                               const ContainerListOptions& options);

/// Makes `ps` rows with docker's --format fields: ID, Image, Command,
/// CreatedAt, RunningFor, Ports, State, Status, Size, Names, Labels, Mounts,
/// LocalVolumes, Networks. What it looks up (images, their sizes) is
/// remembered across rows; times are relative to when it was made.
class ContainerRows {
 public:
  /// Rows have ID and the fields `wanted` accepts (all without it): a
  /// format that can't reach a field spares making it.
  ContainerRows(const Store& store, const ContainerListOptions& options,
                const std::function<bool(std::string_view)>& wanted = nullptr);

  /// The row of `c`.
  Json row(const ContainerSummary& c);

  /// The fields, in the order rows have them (alphabetical, as docker's json).
  static constexpr std::string_view kFields[] = {"Command",      "CreatedAt", "ID",    "Image",    "Labels",
                                                 "LocalVolumes", "Mounts",    "Names", "Networks", "Ports",
                                                 "RunningFor",   "Size",      "State", "Status"};

 private:
  const Store& store_;
  const ContainerListOptions& options_;
  std::vector<bool> wanted_;  ///< by index in kFields
  double now_;
  std::map<std::string, std::string> image_now_;     ///< name as typed -> the ID it means now ("" for none)
  std::map<std::string, std::string> image_column_;  ///< image + "\n" + image ID -> the IMAGE column
  std::optional<std::pair<std::string, std::string>> last_image_;  ///< image and image ID of the last row
  std::string last_image_column_;
  std::map<std::string, uint64_t> image_sizes_;
};

/// One parsed --filter. ancestor= and before=/since= need the store to be
/// resolved: select_listed_containers fills image_id and created.
struct ContainerFilter {
  std::string key, value;
  std::string image_id;  ///< ancestor: the image `value` names now, "" if none
  std::string created;   ///< before, since: that container's creation time (RFC 3339)
  /// name: `value` compiled once, null when it isn't a valid expression.
  std::shared_ptr<const regex_t> name_pattern;
};

/// Parses KEY=VALUE filters: id (ID prefix), name (POSIX extended regular
/// expression, searched in the name with and without its leading "/"),
/// label (KEY or KEY=VALUE), status, exited (an exit code), health
/// (starting, healthy, unhealthy, none), ancestor, before, since, network,
/// volume. Unknown keys and bad status/exited values
/// are errors that list the valid ones.
Result<std::vector<ContainerFilter>> parse_container_filters(const std::vector<std::string>& specs);

/// True when the container passes every filter: values of one key OR
/// together and different keys AND, as docker does; label= filters all
/// have to match (docker's MatchKVList).
bool container_matches(const std::vector<ContainerFilter>& filters, const ContainerSummary& container);

/// True when a status= filter is present: docker then lists stopped
/// containers without -a.
bool filters_imply_all(const std::vector<ContainerFilter>& filters);

/// The daemon's command summary: Path, then Args, an argument holding a
/// space wrapped in single quotes: `sh -c 'echo hi'`.
std::string container_command(const std::string& path, const std::vector<std::string>& args);

/// docker's formatter.Ellipsis: at most `max_width` terminal columns, the
/// last one "…" when cut.
std::string ellipsis(std::string_view text, size_t max_width);

/// The COMMAND column: cut to 20 columns unless `no_trunc`, then quoted as
/// Go's strconv.Quote: "\"sh -c 'echo hi'\"".
std::string command_column(std::string_view command, bool no_trunc);

/// docker's State.String() for a container's state at Unix time `now`: "Up
/// 5 seconds", "Exited (0) 3 seconds ago", "Created", "Up 2 hours (Paused)",
/// "Restarting (1) 1 second ago", "Dead".
std::string container_status_text(const ContainerSummary& state, double now);

/// docker's Size column: "0B", or "12kB (virtual 2.15MB)" when `virtual_bytes` > 0.
std::string container_size_text(uint64_t rw_bytes, uint64_t virtual_bytes);

struct ContainerSize {
  uint64_t rw = 0;       ///< the upper folder's disk usage
  uint64_t root_fs = 0;  ///< rw plus the image's size
};

/// What docker's --size reports for a container.
ContainerSize container_size(const Store& store, const Container& container);

/// The inspect object as --format templates see it: docker's optional struct
/// fields (Config.ExposedPorts, State.Health, Mounts[].Name, ...) present
/// with empty values, so `{{.Config.StopSignal}}` prints "" rather than fail.
Json container_template_view(Json inspect);

/// Adds docker's SizeRw and SizeRootFs (inspect --size) after GraphDriver.
Json with_inspect_sizes(const Json& inspect, const ContainerSize& size);

}  // namespace skiff
