#include "engine/container_prune.h"

#include "base/output.h"
#include "base/units.h"
#include "engine/container_list.h"
#include "engine/container_process.h"
#include "engine/containers.h"
#include "engine/list_filters.h"

namespace skiff {

Result<ContainerPruneOutcome> prune_containers(const Store& store,
                                               const std::vector<std::string>& filter_specs,
                                               const std::function<Result<bool>()>& confirm) {
  PruneFilters filters = TRY(PruneFilters::parse(filter_specs));
  if (!TRY(confirm())) return make_error("container prune has been cancelled");
  ContainerPruneOutcome outcome;
  for (const Container& listed : list_containers(store)) {
    if (is_live_status(listed.status())) continue;
    auto created = parse_rfc3339(listed.config.value("created", ""));
    double created_at = created ? double(created->tv_sec) : 0;
    if (!filters.match(created_at, listed.config["Config"].value("Labels", Json()))) continue;
    // Read again just before: one started since the list was made stays.
    auto c = load_container(store, listed.id);
    if (!c.ok() || is_live_status(c->status())) continue;
    uint64_t size = container_size(store, *c).rw;
    if (Status removed = remove_container(store, *c, false); !removed.ok()) {
      warn("{}", removed.error().text());
      continue;
    }
    outcome.deleted.push_back(c->id);
    outcome.reclaimed += size;
  }
  return outcome;
}

}  // namespace skiff
