// Go's text/template language over JSON data, as the docker CLI uses it for
// --format: the same syntax, builtins, docker's extra functions (json, split,
// join, title, lower, upper, pad, truncate), value printing and error texts,
// plus docker's table/json handling and text/tabwriter column alignment.
//
// JSON stands in for Go values: an object is a struct when all its keys start
// with an upper-case ASCII letter (a missing field is an error, as for docker's
// structs), otherwise a map (a missing key is "<no value>"); null is a nil
// pointer ("<nil>"); integers are ints and other numbers float64.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

namespace template_internal {
struct Program;
}

/// A parsed template. Cheap to copy; immutable once parsed.
class Template {
 public:
  /// Parses Go text/template syntax. Errors read like Go's:
  /// "template: :1: unexpected \"}\" in operand". Nesting (parentheses and
  /// blocks) deeper than kMaxNesting is an error, never a stack overflow.
  static Result<Template> parse(std::string_view text);

  /// Executes against `data` (the dot). Errors read like Go's:
  /// "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo".
  Result<std::string> execute(const Json& data) const;

  /// Executes the way docker makes a table's header line: `header` maps field
  /// names to column titles, json/split/join/title/lower/upper/truncate return
  /// their first argument unchanged, and an unknown field prints "<no value>".
  /// On error, `partial` (when given) holds the output written before it.
  Result<std::string> execute_header(const Json& header, std::string* partial = nullptr) const;

  /// Parenthesis and block nesting allowed by parse().
  static constexpr int kMaxNesting = 200;

 private:
  explicit Template(std::shared_ptr<const template_internal::Program> program)
      : program_(std::move(program)) {}

  std::shared_ptr<const template_internal::Program> program_;
};

/// docker CLI --format handling for list commands (images, ps, volume ls...):
/// - "" or "table": use `default_table` (a "table ..." format given by the caller)
/// - "table <tmpl>": a header line made by executing <tmpl> on `header` (an object
///   mapping each field name to its column title, e.g. {"ID":"IMAGE ID"}; null or
///   {} means no header line), then one line per row, all passed through
///   align_columns(). `\t` in the template text separates cells.
/// - "json": each row as compact JSON on its own line
/// - anything else: the template executed per row, each followed by "\n"
/// Backslash-t and backslash-n written literally in `format` become tab and
/// newline first, and surrounding spaces are trimmed, as docker does.
/// Template errors are prefixed "template parsing error: " like docker's.
/// A row may have methods of one string argument, like docker's Label
/// "KEY": its key "Label()" holds their results by argument, an object;
/// `{{.Label "KEY"}}` reads it ("" for an argument it lacks), and json
/// leaves such keys out.
Result<std::string> format_rows(std::string_view format, std::string_view default_table, const Json& header,
                                const std::vector<Json>& rows);

/// format_rows a row at a time, keeping only the text: rows can be made,
/// formatted and dropped one by one.
class RowFormatter {
 public:
  /// Parses `format` as format_rows does (same errors).
  static Result<RowFormatter> make(std::string_view format, std::string_view default_table,
                                   const Json& header);

  /// False when the output can't depend on a row's field `name`: the format
  /// is a template that names its fields and `name` isn't one of them
  /// (without the dot or `$` alone, a template can't reach a field but by
  /// name). Rows may leave such fields out.
  bool uses_field(std::string_view name) const;

  /// Formats one row.
  Status add(const Json& row);

  /// The output: the header and the rows, aligned for a table.
  std::string finish() &&;

 private:
  RowFormatter() = default;
  bool json_ = false, table_ = false, whole_rows_ = false;
  std::string text_;  ///< the template's text, for uses_field
  std::optional<Template> template_;
  Json header_;
  std::string body_;
};

/// docker's inspect --format: the template executed once per item, each
/// followed by "\n"; "json" and "" are handled by the caller, not here.
Result<std::string> format_each(std::string_view format, const std::vector<Json>& items);

/// Aligns tab-terminated cells into columns exactly as Go's text/tabwriter with
/// minwidth 10, tabwidth 1, padding 3, padchar ' ' and flags 0 (docker's table
/// writer): a column is a run of consecutive lines that all have a tab-terminated
/// cell at that index; its width is the widest cell plus 3, at least 10; the
/// last cell of a line (text after its last tab) is not padded. Widths count
/// terminal columns (East Asian wide characters count 2), like docker's fork.
/// `min_width` replaces the 10 (docker top's writer uses 20).
std::string align_columns(std::string_view text, int min_width = 10);

}  // namespace skiff
