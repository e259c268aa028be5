#include "base/memory.h"

#include <sys/mman.h>

#include <cstdio>
#include <optional>
#include <vector>

namespace skiff {

void release_file_pages() {
  // smaps lists each mapping's header line, then its fields; the decision
  // needs "Anonymous:", so mappings are collected first and released after
  // the file is closed (madvise would change smaps while it is read).
  FILE* smaps = std::fopen("/proc/self/smaps", "re");
  if (!smaps) return;
  struct Range {
    unsigned long start, end;
  };
  std::vector<Range> ranges;
  std::optional<Range> candidate;
  char line[512];
  while (std::fgets(line, sizeof line, smaps)) {
    unsigned long start, end, offset, inode;
    char perms[8];
    unsigned dev_major, dev_minor;
    if (std::sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &offset, &dev_major, &dev_minor,
                    &inode) == 7) {
      candidate.reset();
      // A file's pages only, never writable: code and read-only data.
      if (inode != 0 && perms[1] != 'w' && perms[3] == 'p') candidate = Range{start, end};
      continue;
    }
    unsigned long anonymous;
    if (candidate && std::sscanf(line, "Anonymous: %lu kB", &anonymous) == 1) {
      if (anonymous == 0) ranges.push_back(*candidate);
      candidate.reset();
    }
  }
  std::fclose(smaps);
  for (const Range& r : ranges) ::madvise(reinterpret_cast<void*>(r.start), r.end - r.start, MADV_DONTNEED);
}

}  // namespace skiff
