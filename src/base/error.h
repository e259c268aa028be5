// Errors are values: every fallible function returns Result<T>, and callers
// add context with wrap(). main.cc is the only place that prints one.
// The printed shape is `skiff: <context>: <message>: <strerror>`.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace skiff {

/// Exit codes shared with docker and podman.
inline constexpr int kExitSkiffFailed = 125;
inline constexpr int kExitCannotExecute = 126;
inline constexpr int kExitNotFound = 127;

/// A failure: what failed (innermost first, wrapped outward), the errno that
/// caused it (0 when none), and the process exit code it maps to.
class Error {
 public:
  Error() = default;
  Error(int errnum, std::string message, int exit_code = kExitSkiffFailed)
      : errnum_(errnum), message_(std::move(message)), exit_code_(exit_code) {}

  /// The full text, without the `skiff: ` prefix: "ctx: msg: strerror".
  std::string text() const;
  int errnum() const { return errnum_; }
  int exit_code() const { return exit_code_; }
  const std::string& message() const { return message_; }

  /// Adds outer context: "context: <previous message>".
  template <typename... Args>
  Error wrap(fmt::format_string<Args...> format, Args&&... args) const& {
    Error e = *this;
    e.message_ = fmt::format(format, std::forward<Args>(args)...) + ": " + message_;
    return e;
  }
  Error with_exit_code(int code) const {
    Error e = *this;
    e.exit_code_ = code;
    return e;
  }

 private:
  int errnum_ = 0;
  std::string message_;
  int exit_code_ = kExitSkiffFailed;
};

/// An error with a message and no errno.
template <typename... Args>
Error make_error(fmt::format_string<Args...> format, Args&&... args) {
  return Error(0, fmt::format(format, std::forward<Args>(args)...));
}

/// An error carrying the current errno; call right after the failing syscall.
template <typename... Args>
Error errno_error(fmt::format_string<Args...> format, Args&&... args) {
  int saved = errno;
  return Error(saved, fmt::format(format, std::forward<Args>(args)...));
}

/// A value or an Error, shaped like std::expected.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

  template <typename... Args>
  Result wrap(fmt::format_string<Args...> format, Args&&... args) && {
    if (ok()) return std::move(*this);
    return std::get<1>(v_).wrap(format, std::forward<Args>(args)...);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : failed_(true), error_(std::move(error)) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  void value() const {}
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

  template <typename... Args>
  Result wrap(fmt::format_string<Args...> format, Args&&... args) && {
    if (ok()) return std::move(*this);
    return error_.wrap(format, std::forward<Args>(args)...);
  }

 private:
  bool failed_ = false;
  Error error_;
};

using Status = Result<void>;

}  // namespace skiff

/// Evaluates a Result; on error returns it from the enclosing function,
/// otherwise yields the value. (A GNU statement expression: gcc and clang.)
#define TRY(expr)                                              \
  ({                                                           \
    auto&& try_result_ = (expr);                               \
    if (!try_result_.ok()) return std::move(try_result_).error(); \
    std::move(try_result_).value();                            \
  })
