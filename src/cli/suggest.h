// "did you mean" for mistyped commands and flags, as ninja does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skiff::cli {

/// The candidate closest to `word` when it is close enough to be a typo
/// (edit distance at most 2, or a unique prefix), else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace skiff::cli
