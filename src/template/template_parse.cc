// The lexer and parser of Go's text/template, written to Go's grammar and
// error texts (text/template/parse: lex.go, parse.go). The lexer turns the
// whole text into tokens first, stopping at the first lexical error (which
// becomes an Error token the parser reports when it gets there, as Go does);
// the parser is recursive descent over that token list. Recursion through
// parentheses and blocks is bounded by Template::kMaxNesting.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "template/go_template.h"
#include "template/template_internal.h"

namespace skiff::template_internal {
namespace {

enum class Tok {
  Error, Bool, Char, CharConstant, Complex, Assign, Declare, Eof, Field, Identifier,
  LeftDelim, LeftParen, Number, Pipe, RawString, RightDelim, RightParen, Space, String,
  Text, Variable,
  // Keywords, printed as <word> in errors.
  Block, Break, Continue, Dot, Define, Else, End, If, Nil, Range, Template, With,
};

struct Token {
  Tok kind = Tok::Eof;
  size_t pos = 0;
  std::string text;
};

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
// Letters, digits and '_'; every non-ASCII byte counts as a letter.
bool is_alnum(char c) {
  auto u = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || u >= 0x80;
}

bool is_keyword(Tok kind) { return kind >= Tok::Block; }

int line_at(std::string_view text, size_t pos) {
  pos = std::min(pos, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

// Go's %#U of a byte: U+0041 'A'.
std::string rune_name(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("U+{:04X} '{}'", u, c);
  return fmt::format("U+{:04X}", u);
}

// Go's item.String(): EOF, error text, <keyword>, or the quoted text.
std::string token_string(const Token& t) {
  if (t.kind == Tok::Eof) return "EOF";
  if (t.kind == Tok::Error) return t.text;
  if (is_keyword(t.kind)) return "<" + t.text + ">";
  if (t.text.size() > 10) {
    // %.10q: the first 10 characters (runes), quoted.
    size_t end = 0;
    for (int runes = 0; end < t.text.size() && runes < 10; ++runes) {
      ++end;
      while (end < t.text.size() && (static_cast<unsigned char>(t.text[end]) & 0xC0) == 0x80) ++end;
    }
    return go_quote(std::string_view(t.text).substr(0, end)) + "...";
  }
  return go_quote(t.text);
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : in_(input) {}

  std::vector<Token> run() {
    bool inside = false;
    while (!done_) inside = inside ? lex_inside_action() : lex_text();
    return std::move(tokens_);
  }

 private:
  bool starts(size_t at, std::string_view s) const { return at <= in_.size() && in_.substr(at).starts_with(s); }
  char at(size_t i) const { return i < in_.size() ? in_[i] : '\0'; }
  bool has_left_trim(size_t at_pos) const { return at(at_pos) == '-' && is_space(at(at_pos + 1)); }
  bool has_right_trim(size_t at_pos) const {
    return at_pos + 1 < in_.size() && is_space(in_[at_pos]) && in_[at_pos + 1] == '-';
  }
  // Is a right delimiter (maybe with " -" trim marker) at pos_?
  bool at_right_delim(bool* trim) const {
    if (has_right_trim(pos_) && starts(pos_ + 2, kRightDelim)) {
      *trim = true;
      return true;
    }
    *trim = false;
    return starts(pos_, kRightDelim);
  }

  void emit(Tok kind) {
    tokens_.push_back({kind, start_, std::string(in_.substr(start_, pos_ - start_))});
    start_ = pos_;
  }
  // Ends lexing with an error token; the parser reports it when it gets there.
  bool error(std::string message) {
    tokens_.push_back({Tok::Error, start_, std::move(message)});
    done_ = true;
    return false;
  }

  bool lex_text() {
    size_t x = in_.find(kLeftDelim, pos_);
    if (x == std::string_view::npos) {
      pos_ = in_.size();
      if (pos_ > start_) emit(Tok::Text);
      emit(Tok::Eof);
      done_ = true;
      return false;
    }
    if (x > pos_) {
      size_t end = x;
      if (has_left_trim(x + kLeftDelim.size()))
        while (end > start_ && is_space(in_[end - 1])) --end;
      pos_ = end;
      if (pos_ > start_) emit(Tok::Text);
    }
    // The left delimiter, and a comment if one follows.
    pos_ = x + kLeftDelim.size();
    bool trim = has_left_trim(pos_);
    size_t after_marker = trim ? 2 : 0;
    if (starts(pos_ + after_marker, "/*")) {
      pos_ += after_marker + 2;
      start_ = x;
      size_t close = in_.find("*/", pos_);
      if (close == std::string_view::npos) return error("unclosed comment");
      pos_ = close + 2;
      bool right_trim = false;
      if (!at_right_delim(&right_trim)) return error("comment ends before closing delimiter");
      pos_ += (right_trim ? 2 : 0) + kRightDelim.size();
      if (right_trim)
        while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
      start_ = pos_;
      return false;
    }
    start_ = x;
    pos_ = x + kLeftDelim.size();
    emit(Tok::LeftDelim);
    pos_ += after_marker;
    start_ = pos_;
    paren_depth_ = 0;
    return true;
  }

  // Returns whether the lexer is still inside the action.
  bool lex_inside_action() {
    bool trim = false;
    if (at_right_delim(&trim)) {
      if (paren_depth_ != 0) return error("unclosed left paren");
      return lex_right_delim(trim);
    }
    if (pos_ >= in_.size()) return error("unclosed action");
    char c = in_[pos_];
    if (is_space(c)) return lex_space();
    ++pos_;
    switch (c) {
      case '=': emit(Tok::Assign); return true;
      case ':':
        if (at(pos_) != '=') return error("expected :=");
        ++pos_;
        emit(Tok::Declare);
        return true;
      case '|': emit(Tok::Pipe); return true;
      case '"': return lex_quote();
      case '`': return lex_raw_quote();
      case '$': return lex_field_or_variable(Tok::Variable);
      case '\'': return lex_char();
      case '(':
        emit(Tok::LeftParen);
        ++paren_depth_;
        return true;
      case ')':
        emit(Tok::RightParen);
        if (--paren_depth_ < 0) return error("unexpected right paren");
        return true;
      case '.':
        if (pos_ < in_.size() && !is_digit(in_[pos_])) return lex_field_or_variable(Tok::Field);
        --pos_;
        return lex_number();
      default: break;
    }
    if (c == '+' || c == '-' || is_digit(c)) {
      --pos_;
      return lex_number();
    }
    if (is_alnum(c)) {
      --pos_;
      return lex_identifier();
    }
    if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) {
      emit(Tok::Char);
      return true;
    }
    return error("unrecognized character in action: " + rune_name(c));
  }

  bool lex_space() {
    size_t n = 0;
    while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_, ++n;
    // A space before "-}}" belongs to the trim marker.
    if (has_right_trim(pos_ - 1) && starts(pos_ + 1, kRightDelim)) {
      --pos_;
      if (n == 1) return lex_right_delim(true);
    }
    emit(Tok::Space);
    return true;
  }

  bool lex_right_delim(bool trim) {
    if (trim) pos_ += 2;
    start_ = pos_;
    pos_ += kRightDelim.size();
    emit(Tok::RightDelim);
    if (trim) {
      while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
      start_ = pos_;
    }
    return false;
  }

  // After an identifier, field or variable: space, end, . , | : ( ) or }.
  bool at_terminator() const {
    if (pos_ >= in_.size()) return true;
    char c = in_[pos_];
    return is_space(c) || std::strchr(".,|:()", c) != nullptr || c == kRightDelim[0];
  }

  bool lex_identifier() {
    while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
    if (!at_terminator()) return error("bad character " + rune_name(in_[pos_]));
    static const std::map<std::string_view, Tok> kKeywords = {
        {"block", Tok::Block}, {"break", Tok::Break}, {"continue", Tok::Continue},
        {"define", Tok::Define}, {"else", Tok::Else}, {"end", Tok::End}, {"if", Tok::If},
        {"nil", Tok::Nil}, {"range", Tok::Range}, {"template", Tok::Template}, {"with", Tok::With},
    };
    std::string_view word = in_.substr(start_, pos_ - start_);
    if (auto it = kKeywords.find(word); it != kKeywords.end())
      emit(it->second);
    else if (word == "true" || word == "false")
      emit(Tok::Bool);
    else
      emit(Tok::Identifier);
    return true;
  }

  // The '.' or '$' has been read.
  bool lex_field_or_variable(Tok kind) {
    if (at_terminator()) {
      emit(kind == Tok::Variable ? Tok::Variable : Tok::Dot);
      return true;
    }
    while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
    if (!at_terminator()) return error("bad character " + rune_name(in_[pos_]));
    emit(kind);
    return true;
  }

  bool lex_char() {
    while (true) {
      char c = at(pos_);
      if (pos_ >= in_.size() || c == '\n') return error("unterminated character constant");
      ++pos_;
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return error("unterminated character constant");
        ++pos_;
      } else if (c == '\'') {
        break;
      }
    }
    emit(Tok::CharConstant);
    return true;
  }

  bool lex_quote() {
    while (true) {
      char c = at(pos_);
      if (pos_ >= in_.size() || c == '\n') return error("unterminated quoted string");
      ++pos_;
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return error("unterminated quoted string");
        ++pos_;
      } else if (c == '"') {
        break;
      }
    }
    emit(Tok::String);
    return true;
  }

  bool lex_raw_quote() {
    size_t close = in_.find('`', pos_);
    if (close == std::string_view::npos) return error("unterminated raw quoted string");
    pos_ = close + 1;
    emit(Tok::RawString);
    return true;
  }

  bool accept(std::string_view valid) {
    if (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void accept_run(std::string_view valid) {
    while (accept(valid)) {
    }
  }

  // Go's scanNumber: loose on purpose; the parser checks the spelling.
  bool scan_number() {
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX"))
        digits = "0123456789abcdefABCDEF_";
      else if (accept("oO"))
        digits = "01234567_";
      else if (accept("bB"))
        digits = "01_";
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 23 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    accept("i");
    if (pos_ < in_.size() && is_alnum(in_[pos_])) {
      ++pos_;
      return false;
    }
    return true;
  }

  bool lex_number() {
    if (!scan_number()) return error("bad number syntax: " + go_quote(in_.substr(start_, pos_ - start_)));
    if (char sign = at(pos_); sign == '+' || sign == '-') {
      if (!scan_number() || in_[pos_ - 1] != 'i')
        return error("bad number syntax: " + go_quote(in_.substr(start_, pos_ - start_)));
      emit(Tok::Complex);
      return true;
    }
    emit(Tok::Number);
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int paren_depth_ = 0;
  bool done_ = false;
  std::vector<Token> tokens_;
};


int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strconv.Unquote of a "...", `...` or '...' literal; nullopt is ErrSyntax.
std::optional<std::string> unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) return std::nullopt;
  char quote = s.front();
  std::string_view body = s.substr(1, s.size() - 2);
  std::string out;
  if (quote == '`') {
    for (char c : body)
      if (c != '\r') out += c;
    return out;
  }
  if (quote != '"' && quote != '\'') return std::nullopt;
  size_t runes = 0;
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == quote || c == '\n') return std::nullopt;
    ++runes;
    if (c != '\\') {
      out += c;
      ++i;
      // The rest of a UTF-8 sequence is one rune.
      while (i < body.size() && (static_cast<unsigned char>(body[i]) & 0xC0) == 0x80) out += body[i++];
      continue;
    }
    if (++i >= body.size()) return std::nullopt;
    char e = body[i++];
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '\'':
      case '"':
        if (e != quote) return std::nullopt;
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > body.size()) return std::nullopt;
        uint32_t value = 0;
        for (size_t k = 0; k < n; ++k) {
          int h = hex_value(body[i + k]);
          if (h < 0) return std::nullopt;
          value = value * 16 + static_cast<uint32_t>(h);
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(value);
        } else {
          if (value > 0x10FFFF || (value >= 0xD800 && value < 0xE000)) return std::nullopt;
          append_rune(out, value);
        }
        break;
      }
      default: {
        if (e < '0' || e > '7' || i + 2 > body.size()) return std::nullopt;
        uint32_t value = static_cast<uint32_t>(e - '0');
        for (size_t k = 0; k < 2; ++k) {
          char d = body[i + k];
          if (d < '0' || d > '7') return std::nullopt;
          value = value * 8 + static_cast<uint32_t>(d - '0');
        }
        if (value > 255) return std::nullopt;
        i += 2;
        out += static_cast<char>(value);
      }
    }
  }
  if (quote == '\'' && runes != 1) return std::nullopt;
  return out;
}

// Decodes the first UTF-8 rune of `s` (a character constant's value).
int64_t first_rune(std::string_view s) {
  auto u = [&](size_t i) { return static_cast<int64_t>(static_cast<unsigned char>(s[i])); };
  if (s.empty()) return 0;
  if (u(0) < 0x80 || s.size() == 1) return u(0);
  if ((u(0) & 0xE0) == 0xC0) return ((u(0) & 0x1F) << 6) | (u(1) & 0x3F);
  if ((u(0) & 0xF0) == 0xE0 && s.size() >= 3) return ((u(0) & 0x0F) << 12) | ((u(1) & 0x3F) << 6) | (u(2) & 0x3F);
  if (s.size() >= 4)
    return ((u(0) & 0x07) << 18) | ((u(1) & 0x3F) << 12) | ((u(2) & 0x3F) << 6) | (u(3) & 0x3F);
  return u(0);
}

// strconv.ParseInt(text, 0, 64).
std::optional<int64_t> parse_go_int(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  bool prefixed = false;
  if (text.size() > 1 && text[0] == '0') {
    char p = static_cast<char>(text[1] | 0x20);
    if (p == 'x') base = 16, prefixed = true;
    else if (p == 'o') base = 8, prefixed = true;
    else if (p == 'b') base = 2, prefixed = true;
    else base = 8;
    text.remove_prefix(prefixed ? 2 : 1);
  }
  if (text.empty() && !(base == 8 && !prefixed)) return std::nullopt;
  uint64_t value = 0;
  bool last_underscore = prefixed;
  for (char c : text) {
    if (c == '_') {
      if (last_underscore) return std::nullopt;
      last_underscore = true;
      continue;
    }
    last_underscore = false;
    int d = hex_value(c);
    if (d < 0 || d >= base) return std::nullopt;
    if (value > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return std::nullopt;
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (last_underscore && !text.empty()) return std::nullopt;
  if (negative) {
    if (value > static_cast<uint64_t>(INT64_MAX) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - value);
  }
  if (value > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(value);
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens) : text_(text), tokens_(std::move(tokens)) {
    if (tokens_.empty()) tokens_.push_back({Tok::Eof, text.size(), ""});
  }

  Result<Program> run() {
    Program program;
    program.source = std::string(text_);
    program_ = &program;
    vars_ = {"$"};
    while (peek().kind != Tok::Eof) {
      if (peek().kind == Tok::LeftDelim) {
        size_t save = i_;
        next();
        if (next_non_space().kind == Tok::Define) {
          TRY(parse_definition());
          continue;
        }
        i_ = save;
      }
      Node n = TRY(text_or_action());
      if (n.kind == NodeKind::End || n.kind == NodeKind::Else) return error("unexpected " + to_string(n));
      program.root.push_back(std::move(n));
    }
    return program;
  }

 private:
  // Token cursor. The list ends with Eof or Error, which reads repeat.
  const Token& token_at(size_t i) const { return tokens_[std::min(i, tokens_.size() - 1)]; }
  const Token& next() {
    seen_ = std::max(seen_, std::min(i_, tokens_.size() - 1));
    return token_at(i_++);
  }
  void backup() { --i_; }
  const Token& peek() {
    seen_ = std::max(seen_, std::min(i_, tokens_.size() - 1));
    return token_at(i_);
  }
  const Token& next_non_space() {
    while (token_at(i_).kind == Tok::Space) next();
    return next();
  }
  const Token& peek_non_space() {
    while (token_at(i_).kind == Tok::Space) next();
    return peek();
  }

  // "template: :<line>: <message>", the line of the latest token read (Go's token[0]).
  Error error(const std::string& message) const {
    return make_error("template: :{}: {}", line_at(text_, tokens_[seen_].pos), message);
  }
  Error unexpected(const Token& t, std::string_view context) const {
    if (t.kind == Tok::Error) {
      std::string extra;
      int line = line_at(text_, t.pos);
      if (action_line_ != 0 && action_line_ != line) {
        extra = fmt::format(" in action started at :{}", action_line_);
        if (t.text.ends_with(" action")) extra = extra.substr(std::string_view(" in action").size());
      }
      return make_error("template: :{}: {}{}", line, t.text, extra);
    }
    return error(fmt::format("unexpected {} in {}", token_string(t), context));
  }
  Result<const Token*> expect(Tok kind, std::string_view context) {
    const Token& t = next_non_space();
    if (t.kind != kind) return unexpected(t, context);
    return &t;
  }

  Status enter() {
    if (++depth_ > Template::kMaxNesting) return error("max expression depth exceeded");
    return {};
  }

  Status add_definition(const std::string& name, NodeList list) {
    auto is_empty = [](const NodeList& l) {
      return std::all_of(l.begin(), l.end(), [](const Node& n) {
        return n.kind == NodeKind::Text &&
               std::all_of(n.text.begin(), n.text.end(), [](char c) { return is_space(c) || c == '\f' || c == '\v'; });
      });
    };
    auto it = program_->defined.find(name);
    if (it == program_->defined.end() || is_empty(it->second)) {
      program_->defined[name] = std::move(list);
      return {};
    }
    if (!is_empty(list)) return error(fmt::format("template: multiple definition of template {}", go_quote(name)));
    return {};
  }

  // {{define "name"}} ... {{end}}; "define" has been read.
  Status parse_definition() {
    constexpr std::string_view context = "define clause";
    const Token& name_token = next_non_space();
    if (name_token.kind != Tok::String && name_token.kind != Tok::RawString) return unexpected(name_token, context);
    auto name = unquote(name_token.text);
    if (!name) return error("invalid syntax");
    TRY(expect(Tok::RightDelim, context));
    auto [list, end] = TRY(sub_template_list());
    if (end.kind != NodeKind::End) return error(fmt::format("unexpected {} in {}", to_string(end), context));
    return add_definition(*name, std::move(list));
  }

  // A defined template's body: its own variables and no enclosing range.
  Result<std::pair<NodeList, Node>> sub_template_list() {
    std::vector<std::string> saved_vars = std::move(vars_);
    int saved_range = range_depth_;
    vars_ = {"$"};
    range_depth_ = 0;
    auto result = item_list();
    vars_ = std::move(saved_vars);
    range_depth_ = saved_range;
    return result;
  }

  // textOrAction* up to {{end}} or {{else}}, which is returned separately.
  Result<std::pair<NodeList, Node>> item_list() {
    NodeList list;
    while (peek_non_space().kind != Tok::Eof) {
      Node n = TRY(text_or_action());
      if (n.kind == NodeKind::End || n.kind == NodeKind::Else) return std::pair{std::move(list), std::move(n)};
      list.push_back(std::move(n));
    }
    return error("unexpected EOF");
  }

  Result<Node> text_or_action() {
    const Token& t = next_non_space();
    if (t.kind == Tok::Text) {
      Node n;
      n.kind = NodeKind::Text;
      n.pos = t.pos;
      n.text = t.text;
      return n;
    }
    if (t.kind == Tok::LeftDelim) {
      action_line_ = line_at(text_, t.pos);
      auto n = action();
      action_line_ = 0;
      return n;
    }
    return unexpected(t, "input");
  }

  Result<Node> action() {
    const Token& t = next_non_space();
    switch (t.kind) {
      case Tok::Block: return block_control();
      case Tok::Break: return break_control(t.pos, NodeKind::Break, "{{break}}");
      case Tok::Continue: return break_control(t.pos, NodeKind::Continue, "{{continue}}");
      case Tok::Else: return else_control();
      case Tok::End: {
        const Token* end = TRY(expect(Tok::RightDelim, "end"));
        Node n;
        n.kind = NodeKind::End;
        n.pos = end->pos;
        return n;
      }
      case Tok::If: return control(NodeKind::If, "if");
      case Tok::Range: return control(NodeKind::Range, "range");
      case Tok::Template: return template_control();
      case Tok::With: return control(NodeKind::With, "with");
      default: break;
    }
    backup();
    Node n;
    n.kind = NodeKind::Action;
    n.pos = peek().pos;
    n.pipe = TRY(pipeline("command", Tok::RightDelim));
    return n;
  }

  Result<Node> break_control(size_t pos, NodeKind kind, std::string_view context) {
    if (const Token& t = next_non_space(); t.kind != Tok::RightDelim) return unexpected(t, context);
    if (range_depth_ == 0) return error(fmt::format("{} outside {{{{range}}}}", context));
    Node n;
    n.kind = kind;
    n.pos = pos;
    return n;
  }

  Result<Node> else_control() {
    const Token& peeked = peek_non_space();
    Node n;
    n.kind = NodeKind::Else;
    if (peeked.kind == Tok::If || peeked.kind == Tok::With) {
      // {{else if ...}}: leave the "if" pending for control().
      n.pos = peeked.pos;
      return n;
    }
    const Token* t = TRY(expect(Tok::RightDelim, "else"));
    n.pos = t->pos;
    return n;
  }

  // {{if|range|with pipeline}} list [{{else}} list] {{end}}; the keyword has been read.
  Result<Node> control(NodeKind kind, std::string_view context) {
    TRY(enter());
    size_t vars_mark = vars_.size();
    Node n;
    n.kind = kind;
    n.pipe = TRY(pipeline(context, Tok::RightDelim));
    n.pos = n.pipe->pos;
    if (kind == NodeKind::Range) ++range_depth_;
    auto [list, next_node] = TRY(item_list());
    if (kind == NodeKind::Range) --range_depth_;
    n.list = std::move(list);
    if (next_node.kind == NodeKind::Else) {
      n.has_else = true;
      // {{else if x}} and {{else with x}} open a nested block closed by the same {{end}}.
      if ((kind == NodeKind::If && peek().kind == Tok::If) || (kind == NodeKind::With && peek().kind == Tok::With)) {
        next();
        n.else_list.push_back(TRY(control(kind, context)));
      } else {
        auto [else_list, end] = TRY(item_list());
        if (end.kind != NodeKind::End) return error("expected end; found " + to_string(end));
        n.else_list = std::move(else_list);
      }
    }
    vars_.resize(vars_mark);
    --depth_;
    return n;
  }

  Result<std::string> template_name(const Token& t, std::string_view context) {
    if (t.kind != Tok::String && t.kind != Tok::RawString) return unexpected(t, context);
    auto name = unquote(t.text);
    if (!name) return error("invalid syntax");
    return *name;
  }

  Result<Node> template_control() {
    constexpr std::string_view context = "template clause";
    const Token& t = next_non_space();
    Node n;
    n.kind = NodeKind::Template;
    n.pos = t.pos;
    n.text = TRY(template_name(t, context));
    if (next_non_space().kind != Tok::RightDelim) {
      backup();
      n.pipe = TRY(pipeline(context, Tok::RightDelim));
    }
    return n;
  }

  // {{block "name" pipeline}} list {{end}}: a definition and its use.
  Result<Node> block_control() {
    constexpr std::string_view context = "block clause";
    TRY(enter());
    const Token& t = next_non_space();
    Node n;
    n.kind = NodeKind::Template;
    n.pos = t.pos;
    n.text = TRY(template_name(t, context));
    n.pipe = TRY(pipeline(context, Tok::RightDelim));
    auto [list, end] = TRY(sub_template_list());
    if (end.kind != NodeKind::End) return error(fmt::format("unexpected {} in {}", to_string(end), context));
    TRY(add_definition(n.text, std::move(list)));
    --depth_;
    return n;
  }

  // declarations? command ('|' command)*, up to `end` (consumed).
  Result<std::unique_ptr<Pipe>> pipeline(std::string_view context, Tok end) {
    auto pipe = std::make_unique<Pipe>();
    pipe->pos = peek_non_space().pos;
    while (peek_non_space().kind == Tok::Variable) {
      size_t save = i_;
      const Token& v = next();
      const Token& after = peek_non_space();
      if (after.kind == Tok::Assign || after.kind == Tok::Declare) {
        pipe->is_assign = after.kind == Tok::Assign;
        next_non_space();
        pipe->decl.push_back(v.text);
        vars_.push_back(v.text);
        break;
      }
      if (after.kind == Tok::Char && after.text == ",") {
        next_non_space();
        pipe->decl.push_back(v.text);
        vars_.push_back(v.text);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok k = peek_non_space().kind;
          if (k == Tok::Variable || k == Tok::RightDelim || k == Tok::RightParen) continue;
          return error("range can only initialize variables");
        }
        return error(fmt::format("too many declarations in {}", context));
      }
      i_ = save;  // $x is an operand, not a declaration
      break;
    }
    while (true) {
      const Token& t = next_non_space();
      if (t.kind == end) {
        if (pipe->cmds.empty()) return error(fmt::format("missing value for {}", context));
        for (size_t i = 1; i < pipe->cmds.size(); ++i) {
          switch (pipe->cmds[i].args[0].kind) {
            case ArgKind::Bool:
            case ArgKind::Dot:
            case ArgKind::Nil:
            case ArgKind::Number:
            case ArgKind::String:
              return error(fmt::format("non executable command in pipeline stage {}", i + 1));
            default: break;
          }
        }
        return pipe;
      }
      switch (t.kind) {
        case Tok::Bool: case Tok::CharConstant: case Tok::Complex: case Tok::Dot: case Tok::Field:
        case Tok::Identifier: case Tok::Number: case Tok::Nil: case Tok::RawString: case Tok::String:
        case Tok::Variable: case Tok::LeftParen:
          backup();
          pipe->cmds.push_back(TRY(command()));
          break;
        default:
          return unexpected(t, context);
      }
    }
  }

  Result<Command> command() {
    Command cmd;
    cmd.pos = peek_non_space().pos;
    while (true) {
      peek_non_space();
      auto operand = TRY(parse_operand());
      if (operand) cmd.args.push_back(std::move(*operand));
      const Token& t = next();
      if (t.kind == Tok::Space) continue;
      if (t.kind == Tok::RightDelim || t.kind == Tok::RightParen) {
        backup();
      } else if (t.kind != Tok::Pipe) {
        return unexpected(t, "operand");
      }
      break;
    }
    if (cmd.args.empty()) return error("empty command");
    return cmd;
  }

  // A term followed by .Field chains.
  Result<std::optional<Arg>> parse_operand() {
    auto term = TRY(parse_term());
    if (!term || peek().kind != Tok::Field) return term;
    Arg node = std::move(*term);
    size_t chain_pos = peek().pos;
    std::vector<std::string> fields;
    while (peek().kind == Tok::Field) fields.push_back(next().text.substr(1));
    switch (node.kind) {
      case ArgKind::Field:
      case ArgKind::Variable:
        node.pos = chain_pos;
        node.idents.insert(node.idents.end(), fields.begin(), fields.end());
        return std::optional<Arg>(std::move(node));
      case ArgKind::Bool:
      case ArgKind::String:
      case ArgKind::Number:
      case ArgKind::Nil:
      case ArgKind::Dot:
        return error(fmt::format("unexpected . after term {}", go_quote(to_string(node))));
      default: {
        Arg chain;
        chain.kind = ArgKind::Chain;
        chain.pos = chain_pos;
        chain.idents = std::move(fields);
        chain.base = std::make_unique<Arg>(std::move(node));
        return std::optional<Arg>(std::move(chain));
      }
    }
  }

  Result<std::optional<Arg>> parse_term() {
    const Token& t = next_non_space();
    Arg arg;
    arg.pos = t.pos;
    switch (t.kind) {
      case Tok::Identifier:
        if (!is_function(t.text)) return error(fmt::format("function {} not defined", go_quote(t.text)));
        arg.kind = ArgKind::Identifier;
        arg.idents = {t.text};
        break;
      case Tok::Dot: arg.kind = ArgKind::Dot; break;
      case Tok::Nil: arg.kind = ArgKind::Nil; break;
      case Tok::Variable:
        if (std::find(vars_.begin(), vars_.end(), t.text) == vars_.end())
          return error(fmt::format("undefined variable {}", go_quote(t.text)));
        arg.kind = ArgKind::Variable;
        arg.idents = {t.text};
        break;
      case Tok::Field:
        arg.kind = ArgKind::Field;
        arg.idents = {t.text.substr(1)};
        break;
      case Tok::Bool:
        arg.kind = ArgKind::Bool;
        arg.constant = t.text == "true";
        break;
      case Tok::CharConstant:
      case Tok::Complex:
      case Tok::Number:
        TRY(parse_number(t, arg));
        break;
      case Tok::LeftParen: {
        TRY(enter());
        arg.kind = ArgKind::Pipe;
        arg.pipe = TRY(pipeline("parenthesized pipeline", Tok::RightParen));
        arg.pos = arg.pipe->pos;
        --depth_;
        break;
      }
      case Tok::String:
      case Tok::RawString: {
        auto value = unquote(t.text);
        if (!value) return error("invalid syntax");
        arg.kind = ArgKind::String;
        arg.text = t.text;
        arg.constant = std::move(*value);
        break;
      }
      default:
        backup();
        return std::optional<Arg>();
    }
    return std::optional<Arg>(std::move(arg));
  }

  // Go's NumberNode: an int where the spelling allows, else a float64.
  Status parse_number(const Token& t, Arg& arg) {
    arg.kind = ArgKind::Number;
    arg.text = t.text;
    if (t.kind == Tok::CharConstant) {
      auto value = unquote(t.text);
      if (!value) return error("invalid syntax");
      arg.is_int = true;
      arg.int_value = first_rune(*value);
      arg.constant = arg.int_value;
      return {};
    }
    if (t.kind == Tok::Complex || t.text.ends_with('i'))
      return error(fmt::format("complex number {} is not supported", go_quote(t.text)));
    if (auto as_int = parse_go_int(t.text)) {
      arg.is_int = true;
      arg.int_value = *as_int;
      arg.constant = *as_int;
      return {};
    }
    std::string digits;
    for (char c : t.text)
      if (c != '_') digits += c;
    char* end = nullptr;
    double value = std::strtod(digits.c_str(), &end);
    if (digits.empty() || end != digits.c_str() + digits.size())
      return error(fmt::format("illegal number syntax: {}", go_quote(t.text)));
    if (t.text.find_first_of(".eEpP") == std::string::npos)
      return error(fmt::format("integer overflow: {}", go_quote(t.text)));
    arg.constant = value;
    if (value >= -9.2e18 && value <= 9.2e18 && value == static_cast<double>(static_cast<int64_t>(value))) {
      arg.is_int = true;
      arg.int_value = static_cast<int64_t>(value);
    }
    return {};
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t i_ = 0;
  size_t seen_ = 0;
  Program* program_ = nullptr;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  int depth_ = 0;
  int action_line_ = 0;
};

void write_list(std::string& out, const NodeList& list) {
  for (const Node& n : list) out += to_string(n);
}

}  // namespace

std::string to_string(const Arg& arg) {
  switch (arg.kind) {
    case ArgKind::Field: {
      std::string s;
      for (const auto& id : arg.idents) s += "." + id;
      return s;
    }
    case ArgKind::Variable: {
      std::string s = arg.idents.empty() ? "" : arg.idents[0];
      for (size_t i = 1; i < arg.idents.size(); ++i) s += "." + arg.idents[i];
      return s;
    }
    case ArgKind::Chain: {
      std::string s;
      if (arg.base && arg.base->kind == ArgKind::Pipe)
        s = "(" + to_string(*arg.base) + ")";
      else if (arg.base)
        s = to_string(*arg.base);
      for (const auto& id : arg.idents) s += "." + id;
      return s;
    }
    case ArgKind::Identifier: return arg.idents.empty() ? "" : arg.idents[0];
    case ArgKind::Dot: return ".";
    case ArgKind::Nil: return "nil";
    case ArgKind::Bool: return arg.constant.is_boolean() && arg.constant.get<bool>() ? "true" : "false";
    case ArgKind::Number:
    case ArgKind::String: return arg.text;
    case ArgKind::Pipe: return arg.pipe ? to_string(*arg.pipe) : "";
  }
  return "";
}

std::string to_string(const Command& cmd) {
  std::string s;
  for (size_t i = 0; i < cmd.args.size(); ++i) {
    if (i > 0) s += ' ';
    if (cmd.args[i].kind == ArgKind::Pipe)
      s += "(" + to_string(cmd.args[i]) + ")";
    else
      s += to_string(cmd.args[i]);
  }
  return s;
}

std::string to_string(const Pipe& pipe) {
  std::string s;
  for (size_t i = 0; i < pipe.decl.size(); ++i) s += (i > 0 ? ", " : "") + pipe.decl[i];
  if (!pipe.decl.empty()) s += " := ";
  for (size_t i = 0; i < pipe.cmds.size(); ++i) s += (i > 0 ? " | " : "") + to_string(pipe.cmds[i]);
  return s;
}

std::string to_string(const Node& node) {
  std::string s;
  auto control = [&](std::string_view keyword) {
    s = fmt::format("{{{{{} {}}}}}", keyword, node.pipe ? to_string(*node.pipe) : "");
    write_list(s, node.list);
    if (node.has_else) {
      s += "{{else}}";
      write_list(s, node.else_list);
    }
    s += "{{end}}";
  };
  switch (node.kind) {
    case NodeKind::Text: return node.text;
    case NodeKind::Action: return "{{" + (node.pipe ? to_string(*node.pipe) : "") + "}}";
    case NodeKind::If: control("if"); return s;
    case NodeKind::Range: control("range"); return s;
    case NodeKind::With: control("with"); return s;
    case NodeKind::Template:
      if (!node.pipe) return fmt::format("{{{{template {}}}}}", go_quote(node.text));
      return fmt::format("{{{{template {} {}}}}}", go_quote(node.text), to_string(*node.pipe));
    case NodeKind::Break: return "{{break}}";
    case NodeKind::Continue: return "{{continue}}";
    case NodeKind::End: return "{{end}}";
    case NodeKind::Else: return "{{else}}";
  }
  return s;
}

Result<Program> parse_program(std::string_view text) {
  Parser parser(text, Lexer(text).run());
  return parser.run();
}

}  // namespace skiff::template_internal
