// What `ps` lists and filters on, read from a container's config.json and
// state.json without building their JSON trees: nlohmann's SAX interface
// hands each key and value to a reader that keeps only these fields, so a
// thousand containers cost a thousand small structs, not a thousand DOMs.
//
// The values are the records' own (inspect shows the same ones). A field
// may be missing (it reads as empty, a status as "created"); one of the
// wrong type is an error that names it, as is text that is not JSON.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

struct ContainerSummary {
  std::string id;

  // From config.json.
  std::string name, image, image_id, created;               ///< created: RFC 3339
  std::string path;                                         ///< Path
  std::vector<std::string> args;                            ///< Args (strings only, as json_strings)
  std::vector<std::pair<std::string, std::string>> labels;  ///< Config.Labels, in record order
  std::string network;                                      ///< HostConfig.NetworkMode
  std::string storage_driver;
  struct Mount {
    std::string type, name, source, destination;
  };
  std::vector<Mount> mounts;  ///< Mounts

  // From state.json.
  std::string status = "created";
  std::string started_at, finished_at;  ///< RFC 3339; Go's zero time for never
  std::string health;                   ///< State.Health.Status, "" without a health check
  std::string ports;                    ///< PortsText: ps's PORTS while it runs
  int exit_code = 0;
  bool paused = false, dead = false;
};

/// config.json's text for `config`: the record, opened by a summary of the
/// fields read here and a checksum of the rest, so that `ps` parses a few
/// hundred bytes of it; a summary whose checksum doesn't match (a writer
/// that didn't update it) is ignored and the record read in full. Any
/// summary already in `config` is replaced.
std::string container_config_text(const Json& config);

/// Removes the summary keys from a config.json read in full, so that they
/// never reach inspect or a rewritten record.
void drop_config_listing(Json& config);

/// Fills the config.json fields of `out` from `text` (from its summary when
/// that checks out). The error says what is wrong, not which file.
Status parse_summary_config(std::string_view text, ContainerSummary& out);

/// Fills the state.json fields of `out` from `text`.
Status parse_summary_state(std::string_view text, ContainerSummary& out);

/// The summary of a container read in full (load_container).
Result<ContainerSummary> summarize_container(const Container& container);

/// Every container that `keep` accepts (all without one), newest first.
/// One that can't be read is left out with a warning naming it and why. A
/// live one whose monitor is gone reads as exited, recorded as
/// load_container does.
std::vector<ContainerSummary> list_container_summaries(
    const Store& store, const std::function<bool(const ContainerSummary&)>& keep = nullptr);

}  // namespace skiff
