#include "engine/info.h"

namespace skiff {

Json gather_info(const Store& store) { return Json{{"store", {{"root", store.root()}}}}; }

}  // namespace skiff
