#include "base/error.h"

#include <cstring>

namespace skiff {

std::string Error::text() const {
  if (errnum_ == 0) return message_;
  return message_ + ": " + std::strerror(errnum_);
}

}  // namespace skiff
