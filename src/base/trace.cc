#include "base/trace.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace skiff {


void trace(const char* phase) {
  static const bool on = [] {
    const char* v = std::getenv("SKIFF_TRACE");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  if (!on) return;
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  double now = double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
  static const double start = now;
  std::fprintf(stderr, "skiff: trace: %8.3f ms %s\n", (now - start) * 1000, phase);
}

}  // namespace skiff
