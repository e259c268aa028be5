// A fresh directory under $TMPDIR for one test, removed with all it holds
// when the test ends (read-only directories included: see remove_tree).
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "base/fs.h"

namespace skiff::test {

class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/skiff-test-XXXXXX";
    if (!::mkdtemp(templ.data()))
      throw std::runtime_error("mkdtemp `" + templ + "`: " + std::strerror(errno));
    path = templ;
  }
  ~TempDir() { (void)remove_tree(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// `path + "/" + name`.
  std::string operator/(std::string_view name) const { return path + "/" + std::string(name); }

  std::string path;
};

}  // namespace skiff::test
