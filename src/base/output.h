// The few places that talk to the user outside of a command's own output:
// warnings on stderr, and whether a stream is a terminal.
#pragma once

#include <fmt/format.h>

#include <string>

namespace skiff {

/// Prints "skiff: warning: <text>" on stderr.
void print_warning(const std::string& text);

template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  print_warning(fmt::format(format, std::forward<Args>(args)...));
}

/// True when file descriptor `fd` is a terminal.
bool is_terminal(int fd);

}  // namespace skiff

namespace skiff {
class Error;
/// Prints "skiff: <error text>" on stderr: for main.cc, and for commands that
/// go on to the next item after one fails (rmi a b c).
void print_error(const Error& error);
}  // namespace skiff
