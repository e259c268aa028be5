// skiff system check: finds what a crash, a kill -9 or a hand-edited store
// left inconsistent, and with `repair` fixes what can be fixed without
// losing anything that still works.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "image/store.h"

namespace skiff {

struct StoreProblem {
  std::string what;       ///< "container 3f2a...: its name `web` points nowhere"
  bool repaired = false;  ///< fixed by this run (with `repair`)
};

/// Looks at every image, layer, container, name and runtime file:
///  - image records whose layers or config blob are missing (repair: the record goes);
///  - layers no image uses (repair: removed);
///  - unreadable container records (repair: removed), containers whose
///    image layers are missing (reported: `skiff rm` them), names that point
///    to no container or are missing for one (repair: the link is fixed),
///    live states whose monitor died (recorded as exited when seen),
///    --rm containers left behind by a dead monitor (repair: removed);
///  - what interrupted commands left (.tmp-/.trash- folders) and sockets of
///    containers that no longer run (repair: removed).
Result<std::vector<StoreProblem>> check_store(const Store& store, bool repair);

}  // namespace skiff
