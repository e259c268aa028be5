// How a Dockerfile becomes instructions, in BuildKit's order:
//  1. Lines: a UTF-8 BOM and CR line ends go; parser directives (`# escape=`,
//     `# syntax=`, `# check=`) are read only while every line so far was one.
//  2. Logical lines: comment lines and blank lines are skipped; a line whose
//     last non-blank character is the escape character continues on the next
//     line, and comment or blank lines inside a continuation are dropped.
//  3. Each logical line splits into the instruction word, leading `--flags`
//     and the rest, which each instruction reads its own way (JSON array or
//     shell form, words, key=value pairs, a nested ONBUILD trigger).
//  4. RUN/COPY/ADD lines that name heredocs (`<<EOF`) take the following
//     physical lines as bodies, up to each delimiter in turn.
//  5. Instructions are grouped into stages by FROM.
// Variable expansion is separate (the executor calls it at dispatch time)
// and mirrors BuildKit's shell lexer, including its quirks where scripts
// depend on them: ${VAR:-word} evaluates `word` even when VAR is set, and an
// escape inside double quotes only escapes `"`, `$` and itself.
#include "build/dockerfile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <utility>

namespace skiff {

namespace {

// ---------------------------------------------------------------------------
// Small text helpers (ASCII whitespace, as Dockerfiles are written).

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_left(s);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits on runs of whitespace, ignoring quotes (BuildKit's
// parseStringsWhitespaceDelimited, used by FROM, EXPOSE, COPY, ADD, VOLUME).
std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> words;
  s = trim(s);
  while (!s.empty()) {
    size_t end = 0;
    while (end < s.size() && !is_space(s[end])) ++end;
    words.emplace_back(s.substr(0, end));
    s = trim_left(s.substr(end));
  }
  return words;
}

// The length of the UTF-8 sequence starting at s[i] (1 for invalid bytes).
size_t code_point_length(std::string_view s, size_t i) {
  size_t n = 1;
  while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
  return n;
}

bool is_code_point_start(std::string_view s, size_t i) {
  return i == 0 || i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
}

// ---------------------------------------------------------------------------
// Shell patterns for ${VAR#p} ${VAR%p} ${VAR/p/r}: `*` any run, `?` one
// character, `\x` a literal x.

bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      if (pattern[p] == '?') {
        p += 1;
        t += code_point_length(text, t);
        continue;
      }
      size_t at = (pattern[p] == '\\' && p + 1 < pattern.size()) ? p + 1 : p;
      std::string_view literal = pattern.substr(at, code_point_length(pattern, at));
      if (text.substr(t, literal.size()) == literal) {
        p = at + literal.size();
        t += literal.size();
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    star_t += code_point_length(text, star_t);
    t = star_t;
    p = star_p;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// ${VAR#p} (shortest) and ${VAR##p} (longest): drop a matching prefix.
std::string remove_prefix(const std::string& value, std::string_view pattern, bool longest) {
  for (size_t i = 0; i <= value.size(); ++i) {
    size_t cut = longest ? value.size() - i : i;
    if (is_code_point_start(value, cut) && glob_match(pattern, std::string_view(value).substr(0, cut))) {
      return value.substr(cut);
    }
  }
  return value;
}

// ${VAR%p} (shortest) and ${VAR%%p} (longest): drop a matching suffix.
std::string remove_suffix(const std::string& value, std::string_view pattern, bool longest) {
  for (size_t i = 0; i <= value.size(); ++i) {
    size_t cut = longest ? i : value.size() - i;
    if (is_code_point_start(value, cut) && glob_match(pattern, std::string_view(value).substr(cut))) {
      return value.substr(0, cut);
    }
  }
  return value;
}

// The length of the longest non-empty match of `pattern` at value[start], or 0.
size_t longest_match_at(std::string_view value, size_t start, std::string_view pattern) {
  for (size_t end = value.size(); end > start; --end) {
    if (is_code_point_start(value, end) && glob_match(pattern, value.substr(start, end - start))) {
      return end - start;
    }
  }
  return 0;
}

// ${VAR/p/r} and ${VAR//p/r}: the leftmost (every) longest match replaced.
std::string replace_matches(const std::string& value, std::string_view pattern, std::string_view replacement,
                            bool all) {
  if (pattern.empty()) return value;
  std::string out;
  size_t i = 0;
  bool replaced = false;
  while (i < value.size()) {
    size_t length = (all || !replaced) ? longest_match_at(value, i, pattern) : 0;
    if (length > 0) {
      out += replacement;
      i += length;
      replaced = true;
    } else {
      size_t n = code_point_length(value, i);
      out.append(value, i, n);
      i += n;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The shell lexer behind expand_word(), expand_words(), expand_heredoc() and
// heredoc delimiters.

// Collects words: characters from variables and plain text split on
// whitespace, quoted and escaped ones never do.
class WordSplitter {
 public:
  void add(char c) {
    if (!is_space(c)) {
      buffer_ += c;
    } else if (!buffer_.empty()) {
      words_.push_back(std::move(buffer_));
      buffer_.clear();
    }
  }
  void add(std::string_view s) {
    for (char c : s) add(c);
  }
  void add_literal(std::string_view s) { buffer_ += s; }
  std::vector<std::string> finish() {
    if (!buffer_.empty()) words_.push_back(std::move(buffer_));
    return std::move(words_);
  }

 private:
  std::string buffer_;
  std::vector<std::string> words_;
};

class WordLexer {
 public:
  // `lookup` null: `$` is an ordinary character (heredoc delimiters).
  WordLexer(std::string_view text, char escape, const VariableLookup* lookup, bool process_quotes)
      : text_(text), escape_(escape), lookup_(lookup), process_quotes_(process_quotes) {}

  // Lexes the whole text; `words` (optional) receives the split words.
  Result<std::string> run(WordSplitter* words) {
    std::string out;
    TRY(lex(kEnd, false, out, words));
    return out;
  }

  std::set<std::string> names_read;
  bool saw_quote = false;  // a quote was removed somewhere

 private:
  static constexpr int kEnd = -1;

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  // Reads up to `stop` (consumed) or the end of the text. With raw_escapes
  // (patterns of # % /), escape characters are kept for glob_match.
  Status lex(int stop, bool raw_escapes, std::string& out, WordSplitter* words) {
    while (!at_end()) {
      char c = peek();
      if (stop != kEnd && c == stop) {
        ++pos_;
        return {};
      }
      if (c == '$' && lookup_ != nullptr) {
        std::string value = TRY(dollar());
        out += value;
        if (words) words->add(value);
      } else if ((c == '\'' || c == '"') && process_quotes_) {
        std::string quoted = TRY(c == '\'' ? single_quoted() : double_quoted(raw_escapes));
        out += quoted;
        if (words) words->add_literal(quoted);
      } else if (c == escape_) {
        ++pos_;
        if (raw_escapes) out += c;  // only in nested words, which are never split
        if (at_end()) break;        // an escape at the very end is dropped
        char escaped = text_[pos_++];
        out += escaped;
        if (words) words->add_literal(std::string_view(&escaped, 1));
      } else {
        ++pos_;
        out += c;
        if (words) words->add(c);
      }
    }
    if (stop == '}') return make_error("missing '}}'");
    if (stop == '/') return make_error("missing '/' in ${{...}}");
    return {};
  }

  // '...': everything literal up to the next single quote.
  Result<std::string> single_quoted() {
    saw_quote = true;
    size_t close = text_.find('\'', pos_ + 1);
    if (close == std::string_view::npos) return make_error("unterminated single quote");
    std::string out(text_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return out;
  }

  // "...": variables expand; the escape escapes only `"`, `$` and itself.
  Result<std::string> double_quoted(bool raw_escapes) {
    saw_quote = true;
    ++pos_;
    std::string out;
    while (true) {
      if (at_end()) return make_error("unterminated double quote");
      char c = peek();
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '$' && lookup_ != nullptr) {
        out += TRY(dollar());
        continue;
      }
      ++pos_;
      if (c == escape_) {
        if (raw_escapes) out += c;
        if (at_end()) continue;
        char next = peek();
        if (next == '"' || next == '$' || next == escape_) {
          out += next;
          ++pos_;
          continue;
        }
      }
      out += c;
    }
  }

  // A name after `$`: letters, digits and `_`; or a run of digits (a
  // positional parameter); or one special parameter character.
  std::string name() {
    size_t start = pos_;
    auto is_digit = [&] { return !at_end() && std::isdigit(static_cast<unsigned char>(peek())); };
    if (is_digit()) {
      while (is_digit()) ++pos_;
    } else if (!at_end() && std::string_view("@*#?-$!").find(peek()) != std::string_view::npos) {
      ++pos_;
    } else {
      while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_')) ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  std::optional<std::string> lookup(const std::string& name) {
    names_read.insert(name);
    return (*lookup_)(name);
  }

  // At `$`: $NAME, ${NAME} or ${NAME<modifier>word}.
  Result<std::string> dollar() {
    ++pos_;
    if (at_end() || peek() != '{') {
      std::string var = name();
      if (var.empty()) return std::string("$");
      return lookup(var).value_or("");
    }
    ++pos_;
    if (at_end()) return make_error("missing '}}'");
    if (peek() == '{' || peek() == '}' || peek() == ':') return make_error("bad substitution");
    std::string var = name();
    if (at_end()) return make_error("missing '}}'");
    char op = text_[pos_++];
    if (op == '}') return lookup(var).value_or("");
    bool colon = op == ':';
    if (colon) {
      if (at_end()) return make_error("missing '}}'");
      op = text_[pos_++];
    }
    std::string modifier = std::string(colon ? ":" : "") + op;
    if (op == '-' || op == '+' || op == '?') return use_default(var, op, colon);
    if (!colon && (op == '#' || op == '%')) return trim_pattern(var, op);
    if (!colon && op == '/') return replace(var);
    return make_error("unsupported modifier ({}) in substitution", modifier);
  }

  // ${VAR-w} ${VAR:-w} ${VAR+w} ${VAR:+w} ${VAR?m} ${VAR:?m}; `colon` treats empty as unset.
  Result<std::string> use_default(const std::string& var, char op, bool colon) {
    std::string word;
    TRY(lex('}', false, word, nullptr));
    std::optional<std::string> value = lookup(var);
    bool missing = !value || (colon && value->empty());
    switch (op) {
      case '-':
        return missing ? word : *value;
      case '+':
        return missing ? std::string() : word;
      default:
        if (!missing) return *value;
        if (!word.empty()) return make_error("{}: {}", var, word);
        return make_error("{}: is not allowed to be {}", var, value ? "empty" : "unset");
    }
  }

  // ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p}.
  Result<std::string> trim_pattern(const std::string& var, char op) {
    std::string pattern;
    TRY(lex('}', true, pattern, nullptr));
    bool longest = !pattern.empty() && pattern[0] == op;
    if (longest) pattern.erase(0, 1);
    std::string value = lookup(var).value_or("");
    return op == '#' ? remove_prefix(value, pattern, longest) : remove_suffix(value, pattern, longest);
  }

  // ${VAR/p/r} ${VAR//p/r}.
  Result<std::string> replace(const std::string& var) {
    bool all = !at_end() && peek() == '/';
    if (all) ++pos_;
    std::string pattern, replacement;
    TRY(lex('/', true, pattern, nullptr));
    TRY(lex('}', false, replacement, nullptr));
    return replace_matches(lookup(var).value_or(""), pattern, replacement, all);
  }

  std::string_view text_;
  size_t pos_ = 0;
  char escape_;
  const VariableLookup* lookup_;
  bool process_quotes_;
};

// ---------------------------------------------------------------------------
// Instructions and the flags each one takes.

enum class FlagKind { kString, kBool, kList };

struct FlagSpec {
  std::string_view name;
  FlagKind kind;
};

// Every instruction, with the flags it accepts (BuildKit's stable syntax).
const std::map<std::string_view, std::vector<FlagSpec>>& instruction_table() {
  using K = FlagKind;
  static const std::map<std::string_view, std::vector<FlagSpec>> table = {
      {"FROM", {{"platform", K::kString}}},
      {"RUN", {{"mount", K::kList}, {"network", K::kString}, {"security", K::kString}}},
      {"CMD", {}},
      {"ENTRYPOINT", {}},
      {"ENV", {}},
      {"ARG", {}},
      {"LABEL", {}},
      {"EXPOSE", {}},
      {"VOLUME", {}},
      {"USER", {}},
      {"WORKDIR", {}},
      {"COPY",
       {{"from", K::kString},
        {"chown", K::kString},
        {"chmod", K::kString},
        {"link", K::kBool},
        {"parents", K::kBool},
        {"exclude", K::kList}}},
      {"ADD",
       {{"chown", K::kString},
        {"chmod", K::kString},
        {"link", K::kBool},
        {"keep-git-dir", K::kBool},
        {"checksum", K::kString},
        {"unpack", K::kBool},
        {"exclude", K::kList}}},
      {"SHELL", {}},
      {"STOPSIGNAL", {}},
      {"HEALTHCHECK",
       {{"interval", K::kString},
        {"timeout", K::kString},
        {"start-period", K::kString},
        {"start-interval", K::kString},
        {"retries", K::kString}}},
      {"ONBUILD", {}},
      {"MAINTAINER", {}},
  };
  return table;
}

// The leading `--flag` words of an instruction's arguments, with quotes and
// escapes removed, and what follows them. A lone `--` ends the flags.
std::pair<std::vector<std::string>, std::string_view> extract_flag_words(std::string_view line, char escape) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (true) {
    while (pos < line.size() && is_space(line[pos])) ++pos;
    if (line.substr(pos, 2) != "--") return {words, line.substr(pos)};
    std::string word;
    char quote = 0;
    for (; pos < line.size(); ++pos) {
      char c = line[pos];
      if (quote == 0 && is_space(c)) break;
      if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else if (quote != 0 && c == quote) {
        quote = 0;
      } else if (c == escape) {
        if (pos + 1 < line.size()) word += line[++pos];
      } else {
        word += c;
      }
    }
    if (word == "--") return {words, line.substr(pos)};
    words.push_back(std::move(word));
  }
}

Result<std::vector<InstructionFlag>> parse_flags(const std::string& instruction,
                                                 const std::vector<std::string>& words) {
  const std::vector<FlagSpec>& specs = instruction_table().at(instruction);
  std::vector<InstructionFlag> flags;
  for (const std::string& word : words) {
    size_t equals = word.find('=');
    std::string name = word.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    bool has_value = equals != std::string::npos;
    std::string value = has_value ? word.substr(equals + 1) : "";
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const FlagSpec& s) { return s.name == name; });
    if (spec == specs.end()) return make_error("unknown flag for {}: --{}", instruction, name);
    if (spec->kind != FlagKind::kList &&
        std::any_of(flags.begin(), flags.end(), [&](const InstructionFlag& f) { return f.name == name; })) {
      return make_error("duplicate flag: --{}", name);
    }
    if (spec->kind == FlagKind::kBool) {
      std::string lower = to_lower(value);
      if (has_value && value.empty()) return make_error("missing a value on flag: --{}", name);
      if (!has_value) lower = "true";
      if (lower != "true" && lower != "false") {
        return make_error("expecting a boolean value for flag --{}, not: {}", name, value);
      }
      value = lower;
    } else if (!has_value) {
      return make_error("missing a value on flag: --{}", name);
    }
    flags.push_back({std::move(name), std::move(value)});
  }
  return flags;
}

// `rest` as a JSON array of strings; nullopt when it is not a JSON array at
// all (then it is the shell form); an error when it is one with non-strings.
Result<std::optional<std::vector<std::string>>> parse_json_array(std::string_view rest) {
  using Strings = std::optional<std::vector<std::string>>;
  if (rest.empty() || rest.front() != '[') return Strings();
  nlohmann::json array = nlohmann::json::parse(rest.begin(), rest.end(), nullptr, /*allow_exceptions=*/false);
  if (array.is_discarded() || !array.is_array()) return Strings();
  std::vector<std::string> strings;
  for (const nlohmann::json& element : array) {
    if (!element.is_string()) {
      return make_error("when using JSON array syntax, arrays must be comprised of strings only");
    }
    strings.push_back(element.get<std::string>());
  }
  return Strings(std::move(strings));
}

// Words as BuildKit's parseWords splits ENV, LABEL and ARG: on whitespace
// outside quotes, keeping quotes and escapes for the expander.
std::vector<std::string> split_words_keeping_quotes(std::string_view rest, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (quote == 0 && is_space(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (quote != 0 && c == quote) {
      quote = 0;
    } else if (c == escape && quote != '\'') {
      if (i + 1 == rest.size()) continue;  // a trailing escape is dropped
      word += c;
      c = rest[++i];
    }
    word += c;
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

// ENV and LABEL: `K=V K2="v 2"`, or the legacy `K value with spaces`.
Result<std::vector<KeyValue>> parse_key_values(const std::string& instruction, std::string_view rest,
                                               char escape) {
  std::vector<std::string> words = split_words_keeping_quotes(rest, escape);
  if (words.empty()) return make_error("{} requires at least one argument", instruction);
  std::vector<KeyValue> pairs;
  if (words[0].find('=') == std::string::npos) {
    size_t end = 0;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    std::string_view value = trim_left(rest.substr(end));
    if (value.empty()) return make_error("{} must have two arguments", instruction);
    pairs.push_back({std::string(rest.substr(0, end)), std::string(value)});
    return pairs;
  }
  for (const std::string& word : words) {
    size_t equals = word.find('=');
    if (equals == std::string::npos) {
      return make_error("syntax error: can't find = in `{}`; it must be of the form name=value", word);
    }
    if (equals == 0) return make_error("{} names can not be blank", instruction);
    pairs.push_back({word.substr(0, equals), word.substr(equals + 1)});
  }
  return pairs;
}

// ARG: `NAME` or `NAME=default`, several allowed.
Result<std::vector<KeyValue>> parse_arg_pairs(std::string_view rest, char escape) {
  std::vector<KeyValue> pairs;
  for (const std::string& word : split_words_keeping_quotes(rest, escape)) {
    size_t equals = word.find('=');
    if (equals == 0) return make_error("ARG names can not be blank");
    if (equals == std::string::npos) {
      pairs.push_back({word, std::nullopt});
    } else {
      pairs.push_back({word.substr(0, equals), word.substr(equals + 1)});
    }
  }
  if (pairs.empty()) return make_error("ARG requires at least one argument");
  return pairs;
}

// ---------------------------------------------------------------------------
// Heredoc markers: `<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`, `<< EOF`.

struct HeredocMarker {
  std::string name;
  bool expand = true;
  bool strip_tabs = false;
};

// The marker that `word` is, or nullopt.
Result<std::optional<HeredocMarker>> parse_heredoc_marker(std::string_view word) {
  using Marker = std::optional<HeredocMarker>;
  size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
  if (word.substr(i, 2) != "<<") return Marker();
  i += 2;
  bool strip_tabs = i < word.size() && word[i] == '-';
  if (strip_tabs) ++i;
  std::string_view rest = trim_left(word.substr(i));
  if (rest.empty() || rest.find('<') != std::string_view::npos) return Marker();
  WordLexer lexer(rest, '\\', nullptr, true);
  WordSplitter splitter;
  TRY(lexer.run(&splitter));
  std::vector<std::string> names = splitter.finish();
  if (names.size() != 1) return Marker();
  return Marker(HeredocMarker{names[0], !lexer.saw_quote, strip_tabs});
}

// The words of a line as BuildKit looks for heredoc markers in them: quotes
// and escapes kept, and `<<` joined to the delimiter that follows it after
// blanks. An unterminated quote means no words (so no heredocs), as BuildKit.
std::vector<std::string> marker_candidate_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == '\'' || c == '"') {
      size_t j = i + 1;
      while (j < line.size() && line[j] != c) j += (c == '"' && line[j] == '\\') ? 2 : 1;
      if (j >= line.size()) return {};
      word.append(line.substr(i, j + 1 - i));
      i = j + 1;
    } else if (c == '\\') {
      word.append(line.substr(i, 2));
      i += 2;
    } else if (line.substr(i, 2) == "<<") {
      word += "<<";
      for (i += 2; i < line.size() && (line[i] == ' ' || line[i] == '\t'); ++i) word += line[i];
    } else if (is_space(c)) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
      ++i;
    } else {
      word += c;
      ++i;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::string strip_leading_tabs(std::string_view line) {
  size_t start = line.find_first_not_of('\t');
  return std::string(start == std::string_view::npos ? std::string_view() : line.substr(start));
}

// ---------------------------------------------------------------------------
// One instruction from one logical line.

// RUN CMD ENTRYPOINT SHELL (and HEALTHCHECK CMD): JSON array or one shell string.
Status set_json_or_string(Instruction& ins, std::string_view rest) {
  if (auto strings = TRY(parse_json_array(rest))) {
    ins.json_form = true;
    ins.args = std::move(*strings);
  } else if (!rest.empty()) {
    ins.args = {std::string(rest)};
  }
  return {};
}

// COPY ADD VOLUME: JSON array or whitespace-separated words.
Status set_json_or_words(Instruction& ins, std::string_view rest) {
  if (auto strings = TRY(parse_json_array(rest))) {
    ins.json_form = true;
    ins.args = std::move(*strings);
  } else {
    ins.args = split_whitespace(rest);
  }
  return {};
}

Result<Instruction> parse_instruction(std::string_view line, int line_number, char escape);

Status parse_healthcheck(Instruction& ins, std::string_view rest) {
  size_t end = 0;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  std::string type = to_upper(rest.substr(0, end));
  std::string_view command = trim_left(rest.substr(end));
  if (type.empty()) return make_error("HEALTHCHECK requires at least one argument");
  if (type == "NONE") {
    if (!command.empty()) return make_error("HEALTHCHECK NONE takes no arguments");
    ins.args = {type};
    return {};
  }
  if (type != "CMD") return make_error("unknown HEALTHCHECK type `{}` (use CMD or NONE)", type);
  TRY(set_json_or_string(ins, command));
  if (ins.args.empty()) return make_error("missing command after HEALTHCHECK CMD");
  ins.args.insert(ins.args.begin(), type);
  return {};
}

Status parse_onbuild(Instruction& ins, std::string_view rest, char escape) {
  if (rest.empty()) return make_error("ONBUILD requires at least one argument");
  Instruction trigger = TRY(parse_instruction(rest, ins.line, escape));
  if (trigger.name == "ONBUILD") return make_error("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger.name == "FROM" || trigger.name == "MAINTAINER") {
    return make_error("{} isn't allowed as an ONBUILD trigger", trigger.name);
  }
  ins.args = {std::string(rest)};
  ins.trigger = std::make_shared<const Instruction>(std::move(trigger));
  return {};
}

Status parse_from(Instruction& ins, std::string_view rest) {
  ins.args = split_whitespace(rest);
  bool named = ins.args.size() == 3 && to_lower(ins.args[1]) == "as";
  if (ins.args.size() != 1 && !named) return make_error("FROM requires either one or three arguments");
  if (named) {
    std::string name = to_lower(ins.args[2]);
    bool valid = std::islower(static_cast<unsigned char>(name[0])) &&
                 name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string::npos;
    if (!valid) {
      return make_error(
          "invalid name for build stage: `{}`, name can't start with a number or contain symbols",
          ins.args[2]);
    }
  }
  return {};
}

Status parse_copy(Instruction& ins, std::string_view rest) {
  TRY(set_json_or_words(ins, rest));
  if (ins.args.size() < 2) {
    return make_error("{} requires at least two arguments: a source and a destination", ins.name);
  }
  if (!ins.json_form && TRY(parse_heredoc_marker(ins.args.back()))) {
    return make_error("{} cannot accept a heredoc as a destination", ins.name);
  }
  return {};
}

// Reads `rest` (what follows the instruction word and its flags) into `ins`.
Status parse_arguments(Instruction& ins, std::string_view rest, char escape) {
  const std::string& name = ins.name;
  auto require_some = [&]() -> Status {
    if (ins.args.empty() && ins.pairs.empty()) return make_error("{} requires at least one argument", name);
    return {};
  };
  if (name == "FROM") return parse_from(ins, rest);
  if (name == "COPY" || name == "ADD") return parse_copy(ins, rest);
  if (name == "HEALTHCHECK") return parse_healthcheck(ins, rest);
  if (name == "ONBUILD") return parse_onbuild(ins, rest, escape);
  if (name == "RUN" || name == "CMD" || name == "ENTRYPOINT") {
    TRY(set_json_or_string(ins, rest));
    return name == "RUN" ? require_some() : Status();
  }
  if (name == "SHELL") {
    TRY(set_json_or_string(ins, rest));
    if (!ins.json_form) return make_error("SHELL requires the arguments to be in JSON form");
    return require_some();
  }
  if (name == "VOLUME") {
    TRY(set_json_or_words(ins, rest));
    for (const std::string& volume : ins.args) {
      if (trim(volume).empty()) return make_error("VOLUME specified can not be an empty string");
    }
    return require_some();
  }
  if (name == "EXPOSE") {
    ins.args = split_whitespace(rest);
    return require_some();
  }
  if (name == "ENV" || name == "LABEL") {
    ins.pairs = TRY(parse_key_values(name, rest, escape));
    return {};
  }
  if (name == "ARG") {
    ins.pairs = TRY(parse_arg_pairs(rest, escape));
    return {};
  }
  // USER WORKDIR STOPSIGNAL MAINTAINER: the rest of the line, as one argument.
  if (!rest.empty()) ins.args = {std::string(rest)};
  return require_some();
}

// Parses one logical line (or ONBUILD's trigger); errors carry no location.
Result<Instruction> parse_instruction(std::string_view line, int line_number, char escape) {
  line = trim(line);
  size_t end = 0;
  while (end < line.size() && !is_space(line[end])) ++end;
  std::string word(line.substr(0, end));
  Instruction ins;
  ins.name = to_upper(word);
  ins.line = line_number;
  ins.original = std::string(line);
  if (!instruction_table().contains(ins.name)) return make_error("unknown instruction: {}", word);
  auto [flag_words, rest] = extract_flag_words(line.substr(end), escape);
  ins.flags = TRY(parse_flags(ins.name, flag_words));
  TRY(parse_arguments(ins, trim(rest), escape));
  return ins;
}

// ---------------------------------------------------------------------------
// The whole file.

// The lines of a file: BOM gone, CR before LF gone, 1-based numbering by index + 1.
std::vector<std::string_view> split_lines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

bool is_comment(std::string_view line) {
  line = trim_left(line);
  return !line.empty() && line.front() == '#';
}

class DockerfileParser {
 public:
  DockerfileParser(std::string_view text, const std::string& file_name)
      : lines_(split_lines(text)), file_name_(file_name) {}

  Result<Dockerfile> parse() {
    while (next_ < lines_.size()) {
      int start = int(next_) + 1;
      std::string_view line = trim_left(lines_[next_++]);
      if (reading_directives_ && TRY(read_directive(line).wrap("{}:{}", file_name_, start))) continue;
      reading_directives_ = false;
      if (is_comment(line)) continue;
      auto [first, continued] = strip_continuation(line);
      if (!continued && first.empty()) continue;
      std::string logical(first);
      while (continued && next_ < lines_.size()) {
        std::string_view part = lines_[next_++];
        if (is_comment(part) || trim(part).empty()) continue;  // docker drops these inside a continuation
        auto [text, more] = strip_continuation(part);
        logical += text;
        continued = more;
      }
      TRY(add_instruction(logical, start).wrap("{}:{}", file_name_, start));
    }
    return finish();
  }

 private:
  // A `# key=value` directive before anything else: true when it was one.
  Result<bool> read_directive(std::string_view line) {
    if (!line.starts_with('#')) return false;
    std::string_view body = trim(line.substr(1));
    size_t equals = body.find('=');
    if (equals == std::string_view::npos) return false;
    std::string key = to_lower(trim(body.substr(0, equals)));
    std::string_view value = trim(body.substr(equals + 1));
    bool key_ok = !key.empty() && std::isalpha(static_cast<unsigned char>(key[0])) &&
                  std::all_of(key.begin(), key.end(),
                              [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    if (!key_ok || value.empty() || (key != "escape" && key != "syntax" && key != "check")) return false;
    if (!seen_directives_.insert(key).second) {
      return make_error("only one {} parser directive can be used", key);
    }
    if (key == "escape") {
      if (value != "\\" && value != "`") {
        return make_error("invalid escape token `{}` does not match ` or \\", value);
      }
      result_.escape = value[0];
    } else if (key == "syntax") {
      result_.syntax = std::string(value);
    }
    return true;
  }

  // The line without a trailing continuation escape (and the blanks after
  // it), and whether there was one. An escape preceded by another escape is
  // not a continuation, unless it is alone on the line (BuildKit's rule).
  std::pair<std::string_view, bool> strip_continuation(std::string_view line) const {
    std::string_view body = line;
    while (!body.empty() && (body.back() == ' ' || body.back() == '\t')) body.remove_suffix(1);
    if (body.empty() || body.back() != result_.escape) return {line, false};
    body.remove_suffix(1);
    if (!body.empty() && body.back() == result_.escape) return {line, false};
    return {body, true};
  }

  Status add_instruction(const std::string& logical, int start) {
    Instruction ins = TRY(parse_instruction(logical, start, result_.escape));
    TRY(read_heredocs(ins, logical));
    if (ins.name == "FROM") {
      Stage stage{.base = ins.args[0],
                  .name = ins.args.size() == 3 ? to_lower(ins.args[2]) : "",
                  .platform = ins.flag("platform").value_or(""),
                  .from = std::move(ins),
                  .instructions = {}};
      if (!stage.name.empty() && !stage_names_.insert(stage.name).second) {
        return make_error("duplicate stage name `{}`", stage.name);
      }
      result_.stages.push_back(std::move(stage));
    } else if (!result_.stages.empty()) {
      result_.stages.back().instructions.push_back(std::move(ins));
    } else if (ins.name == "ARG") {
      result_.global_args.push_back(std::move(ins));
    } else {
      return make_error("{} before the first FROM: only ARG may come before it", ins.name);
    }
    return {};
  }

  // For RUN, COPY and ADD in shell form (also as ONBUILD triggers): the
  // bodies of the heredocs the line names, from the lines that follow.
  Status read_heredocs(Instruction& ins, const std::string& logical) {
    Instruction* target = &ins;
    std::shared_ptr<Instruction> trigger;
    if (ins.trigger) {
      trigger = std::make_shared<Instruction>(*ins.trigger);
      target = trigger.get();
    }
    bool can_have = target->name == "RUN" || target->name == "COPY" || target->name == "ADD";
    if (!can_have || target->json_form || logical.find("<<") == std::string::npos) return {};
    for (const std::string& word : marker_candidate_words(logical)) {
      std::optional<HeredocMarker> marker = TRY(parse_heredoc_marker(word));
      if (marker) target->heredocs.push_back(TRY(read_heredoc_body(*marker)));
    }
    if (trigger) ins.trigger = std::move(trigger);
    return {};
  }

  Result<Heredoc> read_heredoc_body(const HeredocMarker& marker) {
    Heredoc heredoc{
        .name = marker.name, .body = {}, .expand = marker.expand, .strip_tabs = marker.strip_tabs};
    while (next_ < lines_.size()) {
      std::string_view line = lines_[next_++];
      std::string content = marker.strip_tabs ? strip_leading_tabs(line) : std::string(line);
      if (content == marker.name) return heredoc;
      heredoc.body += content + "\n";
    }
    return make_error("unterminated heredoc `{}`", marker.name);
  }

  Result<Dockerfile> finish() {
    if (result_.stages.empty() && result_.global_args.empty()) {
      return make_error("{}: file with no instructions", file_name_);
    }
    if (result_.stages.empty()) {
      return make_error("{}: no FROM instruction: there is no stage to build", file_name_);
    }
    return std::move(result_);
  }

  std::vector<std::string_view> lines_;
  const std::string& file_name_;
  size_t next_ = 0;
  bool reading_directives_ = true;
  std::set<std::string> seen_directives_;
  std::set<std::string> stage_names_;
  Dockerfile result_;
};

// Runs the lexer over `text`; errors read "<context>: <what>".
Result<std::string> run_lexer(WordLexer& lexer, WordSplitter* words, std::string_view context) {
  auto value = lexer.run(words);
  if (!value.ok()) return value.error().wrap("{}", context);
  return value;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API.

std::optional<std::string> Instruction::flag(std::string_view flag_name) const {
  std::optional<std::string> value;
  for (const InstructionFlag& f : flags) {
    if (f.name == flag_name) value = f.value;
  }
  return value;
}

std::vector<std::string> Instruction::flag_values(std::string_view flag_name) const {
  std::vector<std::string> values;
  for (const InstructionFlag& f : flags) {
    if (f.name == flag_name) values.push_back(f.value);
  }
  return values;
}

const Heredoc* Instruction::heredoc_for(std::string_view word) const {
  auto marker = parse_heredoc_marker(word);
  if (!marker.ok() || !*marker) return nullptr;
  for (const Heredoc& heredoc : heredocs) {
    if (heredoc.name == (*marker)->name) return &heredoc;
  }
  return nullptr;
}

Result<Dockerfile> parse_dockerfile(std::string_view text, const std::string& file_name) {
  return DockerfileParser(text, file_name).parse();
}

VariableLookup lookup_in(VariableMap values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

Result<ExpandedWord> expand_word(std::string_view text, const VariableLookup& lookup, char escape) {
  WordLexer lexer(text, escape, &lookup, true);
  std::string value = TRY(run_lexer(lexer, nullptr, fmt::format("expand `{}`", text)));
  return ExpandedWord{std::move(value), std::move(lexer.names_read)};
}

Result<ExpandedWords> expand_words(std::string_view text, const VariableLookup& lookup, char escape) {
  WordLexer lexer(text, escape, &lookup, true);
  WordSplitter splitter;
  TRY(run_lexer(lexer, &splitter, fmt::format("expand `{}`", text)));
  return ExpandedWords{splitter.finish(), std::move(lexer.names_read)};
}

Result<ExpandedWord> expand_heredoc(std::string_view body, const VariableLookup& lookup) {
  WordLexer lexer(body, '\\', &lookup, false);
  std::string value = TRY(run_lexer(lexer, nullptr, "expand heredoc"));
  return ExpandedWord{std::move(value), std::move(lexer.names_read)};
}

}  // namespace skiff
