// fmt's compiled part, built once here instead of in every file that
// formats (FMT_HEADER_ONLY made each compile ~30% slower). Debian ships fmt
// as a shared library only, and skiff links its libraries statically where
// it can (meson.build: the cost of relocations at every start), so the
// implementation comes from fmt's own header.
#include <fmt/format-inl.h>

namespace fmt {
inline namespace v9 {
namespace detail {

// The locale hooks format.h declares for char but leaves to the library.
template auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto decimal_point_impl<char>(locale_ref) -> char;

}  // namespace detail
}  // namespace v9
}  // namespace fmt
