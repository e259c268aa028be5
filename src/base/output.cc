#include "base/output.h"

#include <unistd.h>

#include <cstdio>

namespace skiff {

void print_warning(const std::string& text) {
  std::fflush(stdout);
  std::fprintf(stderr, "skiff: warning: %s\n", text.c_str());
}

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

}  // namespace skiff

#include "base/error.h"

namespace skiff {
void print_error(const Error& error) {
  std::fflush(stdout);
  std::fprintf(stderr, "skiff: %s\n", error.text().c_str());
}
}  // namespace skiff
