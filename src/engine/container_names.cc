#include "engine/container_names.h"

#include <sys/random.h>

#include <cstdint>
#include <iterator>

namespace skiff {

namespace {

const char* const kAdjectives[] = {
    "agile",  "amber",  "bold",    "brave",  "bright", "brisk",  "calm",   "clever", "cosy",   "crisp",
    "daring", "deft",   "eager",   "fair",   "fleet",  "gentle", "glad",   "golden", "hardy",  "jolly",
    "keen",   "kind",   "lively",  "lucid",  "merry",  "mellow", "nimble", "noble",  "patient", "plucky",
    "proud",  "quick",  "quiet",   "rapid",  "serene", "sharp",  "silent", "steady", "sturdy", "sunny",
    "swift",  "tidy",   "trusty",  "vivid",  "warm",   "wise",   "witty",  "zesty"};

const char* const kNouns[] = {
    "albatross", "anchor",  "beacon",  "breeze",  "buoy",    "canoe",   "cormorant", "current", "dinghy",
    "dolphin",   "estuary", "ferry",   "fjord",   "gannet",  "gull",    "harbour",   "heron",   "inlet",
    "jetty",     "kayak",   "keel",    "kelp",    "lagoon",  "lantern", "mariner",   "mast",    "narwhal",
    "oar",       "otter",   "pelican", "petrel",  "puffin",  "quay",    "reef",      "rudder",  "sail",
    "seal",      "shoal",   "sloop",   "sound",   "tern",    "tide",    "wake",      "walrus",  "wave"};

uint32_t random_below(uint32_t n) {
  uint32_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != sizeof r) r = uint32_t(reinterpret_cast<uintptr_t>(&r));
  return r % n;
}

bool name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '.' || c == '-');
}

}  // namespace

Result<std::string> check_container_name(std::string_view name) {
  if (name.starts_with("/")) name.remove_prefix(1);
  bool ok = name.size() >= 2 && name.size() <= 253;
  for (size_t i = 0; ok && i < name.size(); ++i) ok = name_char(name[i], i == 0);
  if (!ok) return make_error("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
  return std::string(name);
}

std::string random_container_name(bool numbered) {
  std::string name = std::string(kAdjectives[random_below(std::size(kAdjectives))]) + "_" +
                     kNouns[random_below(std::size(kNouns))];
  if (numbered) name += std::to_string(random_below(10));
  return name;
}

}  // namespace skiff
