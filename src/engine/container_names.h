// Container names: docker's rule for what a name may be, and a random
// "adjective_noun" name for containers created without --name.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace skiff {

/// docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading "/" is accepted and dropped).
Result<std::string> check_container_name(std::string_view name);

/// "calm_heron"; with `numbered`, a digit is appended ("calm_heron4") for
/// when the plain names keep colliding.
std::string random_container_name(bool numbered);

}  // namespace skiff
