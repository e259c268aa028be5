// Internal to src/template: the parse tree of a Go text/template, shared by the
// parser (template_parse.cc), the executor (template_exec.cc) and Go's fmt
// rules for printing values (go_fmt.cc). Positions are byte offsets into the
// source, as Go's parse.Pos, so errors can name line and column.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff::template_internal {

struct Pipe;

/// An operand: the words of a command.
enum class ArgKind { Field, Variable, Chain, Identifier, Dot, Nil, Bool, Number, String, Pipe };

struct Arg {
  ArgKind kind = ArgKind::Dot;
  size_t pos = 0;
  /// Field: {"A", "B"} for .A.B; Variable: {"$x", "A"} for $x.A; Chain: the
  /// fields after the base; Identifier: {function name}.
  std::vector<std::string> idents;
  std::string text;       // Number and String: the source spelling
  Json constant;          // Bool, String: the value; Number: Go's ideal constant
  bool is_int = false;    // Number: usable where Go wants an int
  int64_t int_value = 0;  // Number: that int
  std::unique_ptr<Pipe> pipe;  // Pipe: the parenthesised pipeline
  std::unique_ptr<Arg> base;   // Chain: the term before the fields
};

struct Command {
  size_t pos = 0;
  std::vector<Arg> args;
};

struct Pipe {
  size_t pos = 0;
  bool is_assign = false;          // `$x = ...` rather than `$x := ...`
  std::vector<std::string> decl;   // declared or assigned variables
  std::vector<Command> cmds;
};

enum class NodeKind { Text, Action, If, Range, With, Template, Break, Continue, End, Else };

struct Node {
  NodeKind kind = NodeKind::Text;
  size_t pos = 0;
  std::string text;             // Text: the text; Template: the template's name
  std::unique_ptr<Pipe> pipe;   // Action, If, Range, With; Template (may be null)
  std::vector<Node> list;       // If, Range, With: the body
  std::vector<Node> else_list;  // If, Range, With: after {{else}}
  bool has_else = false;
};

using NodeList = std::vector<Node>;

/// A parsed template and the templates it defines ({{define}}, {{block}}).
struct Program {
  std::string source;
  NodeList root;
  std::map<std::string, NodeList, std::less<>> defined;
};

/// Lexes and parses `text`; errors are Go's parse errors.
Result<Program> parse_program(std::string_view text);

/// Go's Node.String() forms, used as the <context> of execution errors.
std::string to_string(const Arg& arg);
std::string to_string(const Command& cmd);
std::string to_string(const Pipe& pipe);
std::string to_string(const Node& node);

/// Executes `program` on `data`, appending to `out` (which keeps the partial
/// output on error). `header_mode` applies docker's HeaderFunctions.
Status execute_program(const Program& program, const Json& data, bool header_mode, std::string& out);

/// Is `name` a function templates may call?
bool is_function(std::string_view name);

// Go's fmt, over JSON values. A null pointer argument is Go's nil.

/// fmt.Sprint(args...): spaces between operands when neither is a string.
std::string go_sprint(std::span<const Json* const> args);
/// fmt.Sprintln(args...): spaces between all operands, then "\n".
std::string go_sprintln(std::span<const Json* const> args);
/// fmt.Sprintf(format, args...), with Go's %!verb(type=value) error forms.
std::string go_sprintf(std::string_view format, std::span<const Json* const> args);
/// fmt's %v of one value.
std::string go_print(const Json& value);
/// strconv.Quote.
std::string go_quote(std::string_view text);
/// The Go type name of a JSON-decoded value: string, int, float64, bool,
/// []interface {}, map[string]interface {}; "<nil>" for null.
std::string go_type_name(const Json& value);
/// Go's truthiness: false, 0, "", empty array/object and null are false.
bool go_truth(const Json& value);

/// Appends the code point `r` to `out` as UTF-8.
void append_rune(std::string& out, uint32_t r);

/// Is this number an integer (Go int) rather than a float64?
inline bool is_int(const Json& value) { return value.is_number_integer(); }

}  // namespace skiff::template_internal
