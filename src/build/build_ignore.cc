// How a pattern matches: each pattern compiles to a small NFA over runes
// (Go's filepath.Match works on UTF-8 runes), run as a set of states, so a
// match costs O(path length x pattern length) whatever the stars; no
// backtracking, no regex. Docker's parent rule ("a pattern matching a
// directory matches everything under it") falls out of the same run: the
// pattern matches when it has consumed the path, or a prefix ending right
// before a `/`.
//
// The walk stats each entry once (fstatat, AT_SYMLINK_NOFOLLOW) and opens
// each directory once, by one name relative to its parent's descriptor, with
// O_NOFOLLOW|O_DIRECTORY: a symlink swapped in for a directory makes the open
// fail instead of leading out of the context. Excluded files are never
// stat'ed; excluded directories are never opened unless a `!` pattern could
// match inside.
#include "build/build_ignore.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <utility>

#include "base/fs.h"
#include "base/unique_fd.h"

namespace skiff {

namespace {

// ---- Runes ----------------------------------------------------------------

// A byte that is not part of valid UTF-8 decodes to 0xDC00 + byte: a lone
// surrogate, which no valid sequence decodes to, so such a byte still
// matches itself and nothing else.
constexpr char32_t kInvalidByteBase = 0xDC00;

bool is_invalid_byte(char32_t r) { return r >= kInvalidByteBase + 0x80 && r <= kInvalidByteBase + 0xFF; }

// Decodes the rune at s[i] and moves i past it.
char32_t next_rune(std::string_view s, size_t& i) {
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};  // rejects overlong forms
  auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : b >= 0xF5 ? 0 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
  if (len == 1) {
    ++i;
    return b;
  }
  char32_t r = b & (0x7F >> len);
  bool valid = len != 0 && i + len <= s.size();
  for (size_t k = 1; valid && k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    valid = (c & 0xC0) == 0x80;
    r = (r << 6) | (c & 0x3F);
  }
  valid = valid && r >= kSmallest[len] && r <= 0x10FFFF && !(r >= 0xD800 && r <= 0xDFFF);
  if (!valid) {
    ++i;
    return kInvalidByteBase + b;
  }
  i += len;
  return r;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// ---- Compiling a pattern ----------------------------------------------------

enum class StepKind : uint8_t {
  kRune,     // one rune equal to `rune`
  kAnyRune,  // `?`: one rune but `/`
  kClass,    // `[...]`: one rune in ranges[first, first+count), or not in them when negated
  kStar,     // `*`: any runes but `/` (a state that loops on itself)
  kAnyPath,  // `**`: any runes, `/` included
  kFork,     // the start of `**/`: go on, or jump past it (zero directories)
};

struct Step {
  StepKind kind;
  bool negated = false;
  char32_t rune = 0;
  uint32_t first = 0;
  uint32_t count = 0;
};

// A state per step, plus the accepting state steps.size().
struct CompiledPattern {
  std::vector<Step> steps;
  std::vector<std::pair<char32_t, char32_t>> ranges;
  bool exclusion = false;
  // What any match must begin and end with: the pattern text before its
  // first and after its last special character. Most patterns are all
  // literal ("node_modules") or end in one ("**/*.o"); these let a match
  // of most paths be ruled out without running the NFA.
  std::string literal_prefix;
  std::string literal_suffix;
  bool literal = false;
};

constexpr std::string_view kSpecialCharacters = "*?[]\\";

void find_literal_ends(std::string_view text, CompiledPattern& out) {
  size_t first = text.find_first_of(kSpecialCharacters);
  out.literal = first == std::string_view::npos;
  out.literal_prefix = text.substr(0, first);
  if (out.literal) {
    out.literal_suffix = text;
    return;
  }
  size_t last = text.find_last_of(kSpecialCharacters);
  out.literal_suffix = text.substr(last + 1);
  // The `/` of a `**/` is not there when it stands for no directory ("**/x" matches "x").
  if (last > 0 && text.substr(last - 1).starts_with("**/")) out.literal_suffix.erase(0, 1);
}

constexpr uint32_t kForkJump = 3;  // kFork, kAnyPath, kRune '/'

// One character of a class, as Go's getEsc reads it: `\x` stands for x;
// `-`, `]`, the end and invalid UTF-8 are errors, and so is a class that
// ends right after it.
Result<char32_t> class_rune(std::string_view p, size_t& i) {
  if (i < p.size() && (p[i] == '-' || p[i] == ']'))
    return make_error("`{}` where a character class needs a character", p[i]);
  if (i < p.size() && p[i] == '\\') ++i;
  if (i >= p.size()) return make_error("`[` without its `]`");
  char32_t r = next_rune(p, i);
  if (is_invalid_byte(r)) return make_error("invalid UTF-8 in a character class");
  if (i >= p.size()) return make_error("`[` without its `]`");
  return r;
}

// Reads a class after its `[`: `^` negates, then characters and lo-hi ranges up to `]`.
Status compile_class(std::string_view p, size_t& i, CompiledPattern& out) {
  Step step{.kind = StepKind::kClass, .first = uint32_t(out.ranges.size())};
  if (i < p.size() && p[i] == '^') {
    step.negated = true;
    ++i;
  }
  for (;;) {
    if (i < p.size() && p[i] == ']' && step.count > 0) {
      ++i;
      break;
    }
    char32_t lo = TRY(class_rune(p, i));
    char32_t hi = lo;
    if (p[i] == '-') hi = TRY(class_rune(p, ++i));  // class_rune left i inside p
    out.ranges.emplace_back(lo, hi);
    step.count++;
  }
  out.steps.push_back(step);
  return {};
}

// Go's filepath.Match syntax plus `**`: `**/` is zero or more whole
// directories, any other `**` any runes at all.
Result<CompiledPattern> compile_pattern(std::string_view p) {
  CompiledPattern out;
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    if (c == '*') {
      size_t stars = 0;
      for (; i < p.size() && p[i] == '*'; ++i) stars++;
      if (stars == 1) {
        out.steps.push_back({.kind = StepKind::kStar});
      } else if (i < p.size() && p[i] == '/') {
        ++i;
        out.steps.push_back({.kind = StepKind::kFork});
        out.steps.push_back({.kind = StepKind::kAnyPath});
        out.steps.push_back({.kind = StepKind::kRune, .rune = '/'});
      } else {
        out.steps.push_back({.kind = StepKind::kAnyPath});
      }
    } else if (c == '?') {
      ++i;
      out.steps.push_back({.kind = StepKind::kAnyRune});
    } else if (c == '[') {
      ++i;
      TRY(compile_class(p, i, out));
    } else {
      if (c == '\\' && ++i == p.size()) return make_error("`\\` at the end escapes nothing");
      out.steps.push_back({.kind = StepKind::kRune, .rune = next_rune(p, i)});
    }
  }
  find_literal_ends(p, out);
  return out;
}

// ---- Running a pattern ------------------------------------------------------

// A set of NFA states: a bit per state, inline for patterns up to 255 steps.
class StateSet {
 public:
  explicit StateSet(size_t states) : words_((states + 63) / 64) {
    if (words_ > kInlineWords) heap_.assign(words_, 0);
  }
  void clear() { std::fill_n(data(), words_, 0); }
  void add(size_t s) { data()[s / 64] |= uint64_t(1) << (s % 64); }
  bool has(size_t s) const { return (data()[s / 64] >> (s % 64)) & 1; }
  bool empty() const {
    return std::all_of(data(), data() + words_, [](uint64_t w) { return w == 0; });
  }
  template <typename F>
  void for_each(F f) const {
    for (size_t w = 0; w < words_; ++w)
      for (uint64_t bits = data()[w]; bits != 0; bits &= bits - 1) f(w * 64 + std::countr_zero(bits));
  }

 private:
  static constexpr size_t kInlineWords = 4;
  uint64_t* data() { return heap_.empty() ? inline_ : heap_.data(); }
  const uint64_t* data() const { return heap_.empty() ? inline_ : heap_.data(); }
  size_t words_;
  uint64_t inline_[kInlineWords] = {};
  std::vector<uint64_t> heap_;
};

bool class_matches(const CompiledPattern& p, const Step& step, char32_t r) {
  bool in = std::any_of(p.ranges.begin() + step.first, p.ranges.begin() + step.first + step.count,
                        [r](const auto& range) { return range.first <= r && r <= range.second; });
  return in != step.negated;
}

// Adds the states reachable without consuming a rune. Those moves only go
// forward, so one pass in order reaches their chains.
void close_over_empty_moves(const CompiledPattern& p, StateSet& set) {
  for (size_t i = 0; i < p.steps.size(); ++i) {
    if (!set.has(i)) continue;
    StepKind kind = p.steps[i].kind;
    if (kind == StepKind::kStar || kind == StepKind::kAnyPath || kind == StepKind::kFork) set.add(i + 1);
    if (kind == StepKind::kFork) set.add(i + kForkJump);
  }
}

// The states `from` reaches by consuming rune r.
void consume(const CompiledPattern& p, const StateSet& from, char32_t r, StateSet& to) {
  to.clear();
  from.for_each([&](size_t i) {
    if (i == p.steps.size()) return;  // accepting: consumes nothing
    const Step& step = p.steps[i];
    switch (step.kind) {
      case StepKind::kRune:
        if (r == step.rune) to.add(i + 1);
        break;
      case StepKind::kAnyRune:
        if (r != '/') to.add(i + 1);
        break;
      case StepKind::kClass:
        if (class_matches(p, step, r)) to.add(i + 1);
        break;
      case StepKind::kStar:
        if (r != '/') to.add(i);
        break;
      case StepKind::kAnyPath:
        to.add(i);
        break;
      case StepKind::kFork:
        break;
    }
  });
  close_over_empty_moves(p, to);
}

enum class Outcome {
  kNoMatch,  // neither `input` nor anything it begins matches
  kMatch,    // matches `input`, or the part of it before one of its `/`
  kLive,     // no match, but `input` followed by more might
};

Outcome run(const CompiledPattern& p, std::string_view input) {
  size_t accept = p.steps.size();
  StateSet a(accept + 1), b(accept + 1);
  StateSet* now = &a;
  StateSet* next = &b;
  now->add(0);
  close_over_empty_moves(p, *now);
  for (size_t i = 0; i < input.size();) {
    if (input[i] == '/' && now->has(accept)) return Outcome::kMatch;  // a parent directory matches
    consume(p, *now, next_rune(input, i), *next);
    if (next->empty()) return Outcome::kNoMatch;
    std::swap(now, next);
  }
  return now->has(accept) ? Outcome::kMatch : Outcome::kLive;
}

// run(p, path) == kMatch, most often decided without running the NFA.
bool matches(const CompiledPattern& p, std::string_view path) {
  if (!path.starts_with(p.literal_prefix)) return false;
  if (p.literal) return path.size() == p.literal_prefix.size() || path[p.literal_prefix.size()] == '/';
  // A match ends at the end of `path` or before one of its `/`, with the literal suffix.
  for (size_t end = path.find('/');; end = path.find('/', end + 1)) {
    if (path.substr(0, end).ends_with(p.literal_suffix)) return run(p, path) == Outcome::kMatch;
    if (end == std::string_view::npos) return false;
  }
}

}  // namespace

// ---- Cleaning ---------------------------------------------------------------

std::string clean_path(std::string_view path) {
  bool rooted = path.starts_with('/');
  std::vector<std::string_view> parts;
  for (size_t pos = 0; pos <= path.size();) {
    size_t end = std::min(path.find('/', pos), path.size());
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(part);
    } else if (!parts.empty() && parts.back() != "..") {
      parts.pop_back();
    } else if (!rooted) {
      parts.push_back(part);  // a leading ".." stays; "/.." is "/"
    }
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

// ---- The matcher ------------------------------------------------------------

struct IgnoreMatcher::Program {
  std::vector<CompiledPattern> patterns;
  bool has_exclusions = false;
};

IgnoreMatcher::IgnoreMatcher() : program_(std::make_shared<const Program>()) {}

Result<IgnoreMatcher> IgnoreMatcher::parse(std::string_view text, std::string_view source) {
  IgnoreMatcher matcher;
  auto program = std::make_shared<Program>();
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  int number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    number++;
    if (line.starts_with('#')) continue;  // a comment only in column 1, as Docker reads it
    line = trim(line);
    if (line.empty()) continue;
    IgnorePattern pattern;
    pattern.line = number;
    if (line.starts_with('!')) {
      pattern.exclusion = true;
      line = trim(line.substr(1));
      if (line.empty()) return make_error("{}:{}: `!` without a pattern to re-include", source, number);
    }
    pattern.text = clean_path(line);
    if (pattern.text.size() > 1 && pattern.text[0] == '/') pattern.text.erase(0, 1);
    auto compiled = compile_pattern(pattern.text);
    if (!compiled) {
      return make_error("{}:{}: bad pattern `{}`: {}", source, number, line, compiled.error().message());
    }
    compiled->exclusion = pattern.exclusion;
    program->has_exclusions |= pattern.exclusion;
    program->patterns.push_back(std::move(*compiled));
    matcher.patterns_.push_back(std::move(pattern));
  }
  matcher.program_ = std::move(program);
  return matcher;
}

bool IgnoreMatcher::excluded(std::string_view path) const {
  if (path.empty() || path == ".") return false;
  const auto& patterns = program_->patterns;
  for (size_t i = patterns.size(); i-- > 0;) {  // the last match decides
    if (matches(patterns[i], path)) return !patterns[i].exclusion;
  }
  return false;
}

bool IgnoreMatcher::may_reinclude_under(std::string_view dir) const {
  if (!program_->has_exclusions) return false;
  // "dir/": a match means a match of dir or a parent, so of all under dir;
  // a live run means some "dir/..." might match.
  std::string under = std::string(dir) + "/";
  const auto& patterns = program_->patterns;
  for (size_t i = patterns.size(); i-- > 0;) {
    Outcome outcome = run(patterns[i], under);
    if (patterns[i].exclusion && outcome != Outcome::kNoMatch) return true;
    if (!patterns[i].exclusion && outcome == Outcome::kMatch) return false;  // overrides all before it
  }
  return false;
}

// ---- The walk ---------------------------------------------------------------

namespace {

struct DirectoryName {
  std::string name;
  unsigned char type;  // d_type: DT_UNKNOWN when the file system does not say
};

// The names in the directory `path` open at `fd` (which only this walk reads), in byte order.
Result<std::vector<DirectoryName>> read_names(int fd, std::string_view path, std::vector<char>& buffer) {
  std::vector<DirectoryName> names;
  for (;;) {
    ssize_t n = ::getdents64(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read directory `{}`", path);
    if (n == 0) break;
    for (ssize_t offset = 0; offset < n;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buffer.data() + offset);
      offset += entry->d_reclen;
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.push_back({std::string(name), entry->d_type});
    }
  }
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return names;
}

// The target of symlink `name` in `dir_fd`, whose path is `path`.
Result<std::string> read_link(int dir_fd, const std::string& name, std::string_view path, size_t size_hint) {
  std::string target(std::max<size_t>(size_hint, 64) + 1, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (n < 0) return errno_error("read symlink `{}`", path);
    if (size_t(n) < target.size()) {
      target.resize(n);
      return target;
    }
    target.resize(target.size() * 2);  // it grew since lstat
  }
}

ContextEntry entry_from_stat(std::string path, const struct stat& st) {
  return {
      .path = std::move(path),
      .mode = st.st_mode,
      .size = uint64_t(st.st_size),
      .mtime_ns = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
      .uid = st.st_uid,
      .gid = st.st_gid,
      .inode = st.st_ino,
      .device = st.st_dev,
      .links = st.st_nlink,
      .rdev = st.st_rdev,
      .link_target = {},
  };
}

// One walk: the entries found so far, and the excluded directories on the
// current path not listed yet (listed, as parents, once something under
// them is re-included).
class ContextWalk {
 public:
  explicit ContextWalk(const IgnoreMatcher& ignore) : ignore_(ignore), buffer_(64 << 10) {}

  // Lists what the directory open at `fd` holds; `prefix` is its path and a `/`, or "" for the root.
  Status directory(int fd, const std::string& prefix) {
    std::string_view path = prefix.empty() ? "." : std::string_view(prefix).substr(0, prefix.size() - 1);
    std::vector<DirectoryName> names = TRY(read_names(fd, path, buffer_));
    for (const DirectoryName& name : names) TRY(visit(fd, prefix + name.name, name));
    return {};
  }

  std::vector<ContextEntry> take() { return std::move(entries_); }

 private:
  Status visit(int dir_fd, std::string path, const DirectoryName& name) {
    bool excluded = ignore_.excluded(path);
    bool maybe_directory = name.type == DT_DIR || name.type == DT_UNKNOWN;
    if (excluded && (!maybe_directory || !ignore_.may_reinclude_under(path))) return {};

    struct stat st;
    if (::fstatat(dir_fd, name.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return {};  // removed since the directory was read
      if (excluded && errno == EACCES) return {};
      return errno_error("stat `{}`", path);
    }
    if (excluded && !S_ISDIR(st.st_mode)) return {};
    ContextEntry entry = entry_from_stat(path, st);
    if (entry.is_symlink()) entry.link_target = TRY(read_link(dir_fd, name.name, path, st.st_size));
    if (!entry.is_directory()) {
      add(std::move(entry));
      return {};
    }

    // O_NOFOLLOW: if a symlink replaced the directory since fstatat, fail rather than follow it.
    UniqueFd fd(::openat(dir_fd, name.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT || (excluded && errno == EACCES)) return {};
      return errno_error("open directory `{}`", path);
    }
    if (!excluded) {
      add(std::move(entry));
      return directory(fd.get(), path + "/");
    }
    entry.parent_only = true;
    unlisted_parents_.push_back(std::move(entry));
    size_t depth = unlisted_parents_.size();
    TRY(directory(fd.get(), path + "/"));
    if (unlisted_parents_.size() == depth) unlisted_parents_.pop_back();  // nothing under it was listed
    return {};
  }

  void add(ContextEntry entry) {
    for (ContextEntry& parent : unlisted_parents_) entries_.push_back(std::move(parent));
    unlisted_parents_.clear();
    entries_.push_back(std::move(entry));
  }

  const IgnoreMatcher& ignore_;
  std::vector<char> buffer_;  // for getdents64, shared by every directory
  std::vector<ContextEntry> entries_;
  std::vector<ContextEntry> unlisted_parents_;
};

}  // namespace

Result<std::vector<ContextEntry>> walk_context(int root_fd, const IgnoreMatcher& ignore) {
  // A descriptor of our own: reading the directory moves its offset, which a dup would share.
  UniqueFd fd(::openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_error("open the context directory");
  ContextWalk walk(ignore);
  TRY(walk.directory(fd.get(), ""));
  return walk.take();
}

Result<std::vector<ContextEntry>> walk_context(const std::string& root, const IgnoreMatcher& ignore) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_error("open build context `{}`", root);
  return walk_context(fd.get(), ignore).wrap("build context `{}`", root);
}

// ---- Finding the ignore file -----------------------------------------------

Result<std::optional<std::string>> find_ignore_file(const std::string& context_dir,
                                                    const std::string& dockerfile) {
  std::vector<std::string> candidates;
  if (!dockerfile.empty() && dockerfile != "-") candidates.push_back(dockerfile + ".dockerignore");
  candidates.push_back(context_dir + "/.dockerignore");
  candidates.push_back(context_dir + "/.containerignore");
  for (const std::string& candidate : candidates) {
    struct stat st;
    if (::lstat(candidate.c_str(), &st) == 0) return std::optional<std::string>(candidate);
    if (errno != ENOENT && errno != ENOTDIR) return errno_error("look for `{}`", candidate);
  }
  return std::optional<std::string>();
}

Result<IgnoreMatcher> load_ignore_file(const std::string& context_dir, const std::string& dockerfile) {
  std::optional<std::string> path = TRY(find_ignore_file(context_dir, dockerfile));
  if (!path) return IgnoreMatcher();
  std::string text = TRY(read_file(*path));
  return IgnoreMatcher::parse(text, *path);
}

}  // namespace skiff
