// The Dockerfile front end, pure logic. parse_dockerfile() turns a
// Dockerfile's text into stages of instructions as written (flags, raw
// arguments, heredoc bodies), following docker's reference and BuildKit's
// parser; expand_word() and friends substitute ARG and ENV values the way
// BuildKit's shell lexer does, for the executor to call when it dispatches an
// instruction with the values current at that point. Nothing here reads
// files, touches images or expands anything at parse time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace skiff {

/// A flag written before an instruction's arguments, e.g. `--from=build`.
struct InstructionFlag {
  std::string name;   // without the dashes: "from", "mount", "link"
  std::string value;  // quotes and escapes removed, not expanded; "true"/"false" for boolean flags
  bool operator==(const InstructionFlag&) const = default;
};

/// One ENV, LABEL or ARG entry, raw: the executor expands key and value.
struct KeyValue {
  std::string key;
  std::optional<std::string> value;  // nullopt only for `ARG NAME` without a default
  bool operator==(const KeyValue&) const = default;
};

/// A here-document: `RUN <<EOF`, `COPY <<-"EOF" /dest`.
struct Heredoc {
  std::string name;         // the delimiter with quotes removed: "EOF"
  std::string body;         // the lines before the delimiter, each ending "\n"; tabs stripped for <<-
  bool expand = true;       // false when any part of the delimiter was quoted: the body is literal
  bool strip_tabs = false;  // written `<<-`
  bool operator==(const Heredoc&) const = default;
};

/// One instruction as written. `args` holds, unexpanded:
///  - json_form (RUN CMD ENTRYPOINT SHELL COPY ADD VOLUME, HEALTHCHECK's
///    command): the JSON array's strings;
///  - RUN CMD ENTRYPOINT in shell form: one element, the command text (CMD and
///    ENTRYPOINT may have none);
///  - FROM EXPOSE, and COPY ADD VOLUME in shell form: the whitespace-separated words;
///  - USER WORKDIR STOPSIGNAL MAINTAINER: one element, the rest of the line;
///  - HEALTHCHECK: "NONE", or "CMD" followed by the command as for CMD;
///  - ONBUILD: one element, the trigger's text (parsed in `trigger`);
///  - ENV LABEL ARG: nothing; their entries are in `pairs`.
struct Instruction {
  std::string name;      // upper case: "RUN"
  int line = 0;          // the 1-based line where it starts
  std::string original;  // its text, continuation lines joined, trimmed: for history and cache keys
  std::vector<InstructionFlag> flags;  // in the order written
  std::vector<std::string> args;
  bool json_form = false;
  std::vector<KeyValue> pairs;                 // ENV, LABEL, ARG
  std::vector<Heredoc> heredocs;               // RUN, COPY, ADD: in the order written
  std::shared_ptr<const Instruction> trigger;  // ONBUILD: the instruction it defers

  /// The value of the last `--name` flag, or nullopt when absent.
  std::optional<std::string> flag(std::string_view name) const;
  /// The values of every `--name` flag in order (for --mount, --exclude).
  std::vector<std::string> flag_values(std::string_view name) const;
  /// The heredoc that a COPY/ADD source word such as "<<EOF" or "<<-'EOF'"
  /// names, or nullptr when the word is a path.
  const Heredoc* heredoc_for(std::string_view word) const;
};

/// A FROM and what follows it up to the next FROM.
struct Stage {
  std::string base;      // the image or stage to start from, raw: "golang:${GO}"
  std::string name;      // the AS name, lower-cased; "" when none
  std::string platform;  // the --platform value, raw; "" when none
  Instruction from;      // the FROM instruction itself
  std::vector<Instruction> instructions;
};

struct Dockerfile {
  char escape = '\\';                    // from `# escape=`; pass it to expand_word()/expand_words()
  std::string syntax;                    // the `# syntax=` directive, unused by skiff; "" when none
  std::vector<Instruction> global_args;  // the ARGs before the first FROM
  std::vector<Stage> stages;             // at least one
};

/// Parses a whole Dockerfile. Errors read "<file_name>:<line>: <what>", e.g.
/// "Dockerfile:3: unknown instruction: FRM"; a file without instructions or
/// without FROM is an error, so a parsed Dockerfile has at least one stage.
Result<Dockerfile> parse_dockerfile(std::string_view text, const std::string& file_name);

/// A variable's value, or nullopt when it is unset (which differs from empty
/// for ${VAR-word}, ${VAR+word} and ${VAR?msg}).
using VariableLookup = std::function<std::optional<std::string>(const std::string& name)>;
using VariableMap = std::map<std::string, std::optional<std::string>>;

/// A lookup over a copy of `values`: names absent from it, or mapped to nullopt, are unset.
VariableLookup lookup_in(VariableMap values);

struct ExpandedWord {
  std::string value;
  std::set<std::string> names_read;  // every variable the expansion looked up, set or not
};

struct ExpandedWords {
  std::vector<std::string> words;
  std::set<std::string> names_read;
};

/// Expands $VAR, ${VAR}, ${VAR:-w} ${VAR-w} ${VAR:+w} ${VAR+w} ${VAR:?m}
/// ${VAR?m} ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p} ${VAR/p/r} ${VAR//p/r},
/// removes quotes and escapes, and keeps whitespace: for ENV and LABEL values,
/// WORKDIR, USER, COPY sources and destination, flag values. An unset
/// variable is empty; `escape` escapes `$`, quotes and itself. Errors
/// (unterminated quote or ${, bad substitution, ${VAR?}) read
/// "expand `<text>`: <what>".
Result<ExpandedWord> expand_word(std::string_view text, const VariableLookup& lookup, char escape = '\\');

/// As expand_word(), then splits on whitespace that is neither quoted nor
/// escaped, variables' values included: for EXPOSE. Never yields an empty word.
Result<ExpandedWords> expand_words(std::string_view text, const VariableLookup& lookup, char escape = '\\');

/// Expands a heredoc body whose `expand` is true: variables and backslash
/// escapes as expand_word(), but quotes are ordinary characters (as BuildKit).
/// Errors read "expand heredoc: <what>".
Result<ExpandedWord> expand_heredoc(std::string_view body, const VariableLookup& lookup);

}  // namespace skiff
