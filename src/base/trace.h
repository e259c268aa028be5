// Timing of a command's phases, for finding where milliseconds go:
// with SKIFF_TRACE=1, trace("phase") prints "skiff: trace: 1.234 ms phase"
// on stderr: the time since the first trace (main() makes one first thing).
#pragma once

namespace skiff {

void trace(const char* phase);

}  // namespace skiff
