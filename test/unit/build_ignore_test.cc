// The build context: .dockerignore parsing and matching (cases from Docker's
// documentation and Go's filepath.Match rules), the "could anything under D
// be re-included?" answer, and walks over real temporary trees: symlinks are
// listed and never followed, excluded directories are skipped, the order is
// fixed, unreadable entries are named.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "build/build_ignore.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;

namespace {

IgnoreMatcher matcher(std::string_view text) {
  auto m = IgnoreMatcher::parse(text);
  REQUIRE_OK(m);
  return *m;
}

// The cleaned texts of the patterns, `!` put back in front of exclusions.
std::vector<std::string> pattern_texts(const IgnoreMatcher& m) {
  std::vector<std::string> out;
  for (const IgnorePattern& p : m.patterns()) out.push_back((p.exclusion ? "!" : "") + p.text);
  return out;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = std::min(text.find(' ', pos), text.size());
    if (end > pos) out.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string parse_error(std::string_view text, std::string_view source = ".dockerignore") {
  auto m = IgnoreMatcher::parse(text, source);
  REQUIRE_FALSE(m.ok());
  return m.error().text();
}

struct Case {
  const char* patterns;  // an ignore file's text
  const char* path;
  bool excluded;
};

void check(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO("patterns: " << c.patterns << "\npath: " << c.path);
    CHECK(matcher(c.patterns).excluded(c.path) == c.excluded);
  }
}

void make_directory(const std::string& path) { REQUIRE(::mkdir(path.c_str(), 0755) == 0); }

void make_file(const std::string& path, std::string_view content = "") {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(fd.valid());
  REQUIRE_OK(write_all(fd.get(), content));
}

void make_symlink(const std::string& target, const std::string& path) {
  REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);
}

std::vector<std::string> paths_of(const std::vector<ContextEntry>& entries) {
  std::vector<std::string> out;
  for (const ContextEntry& e : entries) out.push_back(e.path);
  return out;
}

std::vector<ContextEntry> walk(const std::string& root, std::string_view ignore_text = "") {
  auto entries = walk_context(root, matcher(ignore_text));
  REQUIRE_OK(entries);
  return *entries;
}

const ContextEntry& entry_named(const std::vector<ContextEntry>& entries, std::string_view path) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.path == path; });
  REQUIRE(it != entries.end());
  return *it;
}

// Runs `body` in a child process that is not root (it drops to nobody when
// the tests run as root, whom file modes do not stop) and returns what the
// body returned; nullopt when the child could not drop its privileges.
std::optional<std::string> run_unprivileged(const std::function<std::string()>& body) {
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(3);
    std::string out = body();
    ::_exit(write_all(write_end.get(), out).ok() ? 0 : 1);
  }
  write_end.reset();
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(read_end.get(), buf, sizeof buf)) > 0;) out.append(buf, n);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 3) return std::nullopt;
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

}  // namespace

// ---- Parsing ---------------------------------------------------------------

TEST_CASE("ignore file: comments, blank lines and surrounding whitespace are not patterns",
          "[build_ignore]") {
  auto m = matcher(
      "# a comment\n"
      "\n"
      "   \t  \n"
      "  node_modules  \n"
      "#*.md is a comment too\n"
      "\t*.log\r\n"
      " # not a comment: only column 1 starts one\n"
      "last-line-without-newline");
  CHECK(pattern_texts(m) == std::vector<std::string>{"node_modules", "*.log",
                                                     "# not a comment: only column 1 starts one",
                                                     "last-line-without-newline"});
  CHECK(m.patterns()[0].line == 4);
  CHECK(m.patterns()[1].line == 6);
  CHECK(m.patterns()[2].line == 7);
  CHECK(m.patterns()[3].line == 8);
  CHECK(m.excluded("a.md") == false);
  CHECK(m.excluded("x.log"));
}

TEST_CASE("ignore file: an empty file or only comments excludes nothing", "[build_ignore]") {
  CHECK(matcher("").empty());
  CHECK(matcher("# nothing\n\n").empty());
  CHECK(IgnoreMatcher().empty());
  CHECK_FALSE(IgnoreMatcher().excluded("anything"));
  CHECK_FALSE(IgnoreMatcher().may_reinclude_under("anything"));
}

TEST_CASE("ignore file: a UTF-8 byte order mark is dropped", "[build_ignore]") {
  auto m = matcher("\xEF\xBB\xBF*.tmp\n");
  CHECK(pattern_texts(m) == std::vector<std::string>{"*.tmp"});
  CHECK(m.excluded("a.tmp"));
}

TEST_CASE("ignore file: `!` lines are exclusions, with space allowed after the `!`", "[build_ignore]") {
  auto m = matcher("*.md\n!README.md\n!  CHANGES.md  \n");
  REQUIRE(m.patterns().size() == 3);
  CHECK_FALSE(m.patterns()[0].exclusion);
  CHECK(m.patterns()[1].exclusion);
  CHECK(m.patterns()[1].text == "README.md");
  CHECK(m.patterns()[2].exclusion);
  CHECK(m.patterns()[2].text == "CHANGES.md");
}

TEST_CASE("ignore file: patterns are cleaned like filepath.Clean and lose a leading slash",
          "[build_ignore]") {
  auto m = matcher(
      "./a//b/\n"
      "/foo/bar\n"
      "x/../y\n"
      "!/keep/./this/\n"
      "../outside\n"
      "/\n"
      "dir/sub/..\n");
  CHECK(pattern_texts(m) ==
        std::vector<std::string>{"a/b", "foo/bar", "y", "!keep/this", "../outside", "/", "dir"});
  // Docker: "/foo/bar and foo/bar both exclude a file or directory named bar in the foo subdirectory".
  CHECK(m.excluded("foo/bar"));
  CHECK(m.excluded("a/b/c"));
  CHECK_FALSE(m.excluded("x"));
  CHECK(m.excluded("y"));
  CHECK(m.excluded("dir/sub"));
}

TEST_CASE("clean_path is Go's filepath.Clean", "[build_ignore]") {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"", "."},
      {".", "."},
      {"./", "."},
      {"a", "a"},
      {"a/", "a"},
      {"a//b", "a/b"},
      {"./a/./b/.", "a/b"},
      {"a/b/../c", "a/c"},
      {"a/..", "."},
      {"a/../..", ".."},
      {"../a", "../a"},
      {"../../a/..", "../.."},
      {"/", "/"},
      {"//", "/"},
      {"/..", "/"},
      {"/../a/", "/a"},
      {"/a/b/../../..", "/"},
      {"abc/def/../../..", ".."},
      {"a/b/c/../../d", "a/d"},
  };
  for (auto [in, out] : cases) {
    INFO(in);
    CHECK(clean_path(in) == out);
  }
}

TEST_CASE("ignore file: a pattern that cannot match is an error naming its line", "[build_ignore]") {
  CHECK(parse_error("ok\n\n[a-\n") == ".dockerignore:3: bad pattern `[a-`: `[` without its `]`");
  CHECK(parse_error("a\\") == ".dockerignore:1: bad pattern `a\\`: `\\` at the end escapes nothing");
  CHECK(parse_error("# c\n  !  \n", "app.Dockerfile.dockerignore") ==
        "app.Dockerfile.dockerignore:2: `!` without a pattern to re-include");
  CHECK(parse_error("x\n!src/[]a]\n") ==
        ".dockerignore:2: bad pattern `src/[]a]`: `]` where a character class needs a character");
  // Go's ErrBadPattern cases.
  for (const char* bad : {"[", "[^", "[^bc", "a[", "[]a]", "[-]", "[x-]", "[-x]", "[a-b-c]", "[^]", "\\",
                          "[\\", "[a-\\", "a[\xff]"}) {
    INFO(bad);
    CHECK_THAT(parse_error(std::string("fine\n") + bad), Catch::StartsWith(".dockerignore:2: bad pattern"));
  }
}

// ---- Matching --------------------------------------------------------------

TEST_CASE("matching: the examples of Docker's documentation", "[build_ignore]") {
  check({
      // "*/temp*": names starting with temp in any immediate subdirectory of the root.
      {"*/temp*", "somedir/temporary.txt", true},
      {"*/temp*", "somedir/temp", true},
      {"*/temp*", "somedir/temp/inside", true},
      {"*/temp*", "temporary.txt", false},
      {"*/temp*", "a/b/temporary.txt", false},
      // "*/*/temp*": two levels below the root.
      {"*/*/temp*", "somedir/subdir/temporary.txt", true},
      {"*/*/temp*", "somedir/temporary.txt", false},
      // "temp?": one character after temp, in the root.
      {"temp?", "tempa", true},
      {"temp?", "tempb", true},
      {"temp?", "temp", false},
      {"temp?", "tempab", false},
      {"temp?", "dir/tempa", false},
      // "**/*.go": every .go file, anywhere, the root included.
      {"**/*.go", "main.go", true},
      {"**/*.go", "cmd/tool/main.go", true},
      {"**/*.go", "main.go.txt", false},
      {"**/*.go", "main.gox", false},
      // The root is both the working and the root directory.
      {"/foo/bar", "foo/bar", true},
      {"foo/bar", "foo/bar", true},
  });
}

TEST_CASE("matching: the last matching pattern wins and `!` re-includes", "[build_ignore]") {
  check({
      {"*.md\n!README.md", "README.md", false},
      {"*.md\n!README.md", "CHANGES.md", true},
      // Docker's README-secret examples: order decides.
      {"*.md\n!README*.md\nREADME-secret.md", "README-secret.md", true},
      {"*.md\n!README*.md\nREADME-secret.md", "README-public.md", false},
      {"*.md\n!README*.md\nREADME-secret.md", "other.md", true},
      {"*.md\nREADME-secret.md\n!README*.md", "README-secret.md", false},
      {"*.md\nREADME-secret.md\n!README*.md", "other.md", true},
      // An exclusion before the pattern it would except does nothing.
      {"!fileutils.go\n*.go", "fileutils.go", true},
      {"*.go\n!fileutils.go", "fileutils.go", false},
      {"**\n!util/docker/web", "util/docker/web/foo", false},
      {"**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo", true},
      {"**\n!dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false},
  });
}

TEST_CASE("matching: a pattern matching a directory matches everything under it", "[build_ignore]") {
  check({
      {"docs", "docs", true},
      {"docs", "docs/a", true},
      {"docs", "docs/a/b/c.md", true},
      {"docs", "docsx", false},
      {"docs", "a/docs", false},
      {"docs/", "docs/a", true},
      {"a*", "ab/c", true},
      {"a*/b", "abc/b/deep", true},
      {"a*/b", "a/c/b", false},
      {"*", "anything/at/all", true},
      {"src/*/gen", "src/x/gen/y.c", true},
      {"src/*/gen", "src/x/y/gen", false},
  });
}

TEST_CASE("matching: `!` re-includes a file inside an excluded directory", "[build_ignore]") {
  auto m = matcher("docs\n!docs/keep.md\n");
  CHECK(m.excluded("docs"));
  CHECK(m.excluded("docs/other.md"));
  CHECK(m.excluded("docs/sub/keep.md"));
  CHECK_FALSE(m.excluded("docs/keep.md"));
  CHECK_FALSE(m.excluded("keep.md"));
  check({
      {"docs/*\n!docs/README.md", "docs/README.md", false},
      {"docs/*\n!docs/README.md", "docs/other", true},
      // An exception naming a directory re-includes all under it too.
      {"docs/*\n!docs", "docs/other", false},
      {"build\n!build/out\nbuild/out/tmp", "build/out/app", false},
      {"build\n!build/out\nbuild/out/tmp", "build/out/tmp/x", true},
  });
}

TEST_CASE("matching: Go filepath.Match syntax", "[build_ignore]") {
  check({
      {"abc", "abc", true},
      {"*", "abc", true},
      {"*c", "abc", true},
      {"a*", "a", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"*x", "xxx", true},
      {".*", ".foo", true},
      {".*", "foo", false},
      {"abc.def", "abcZdef", false},
      {"abc?def", "abcZdef", true},
      {"abc?def", "abcdef", false},
      // `*` and `?` never match a slash.
      {"a?b", "a/b", false},
      {"a*b", "a/b", false},
      // Classes.
      {"ab[c]", "abc", true},
      {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},
      {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},
      {"ab[^e-g]", "abc", true},
      {"a[b-d]e", "ae", false},
      {"[\\]a]", "]", true},
      {"[\\-]", "-", true},
      {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},
      {"[\\-x]", "x", true},
      {"[z-a]", "m", false},
      // Escapes.
      {"a\\*b", "a*b", true},
      {"a\\*b", "ab", false},
      {"a\\*b", "axb", false},
      {"a\\\\", "a\\", true},
      {"\\[x]", "[x]", true},
      {"a]b", "a]b", true},
      // Runes, not bytes.
      {"a?b", "a\u263Ab", true},
      {"a[^a]b", "a\u263Ab", true},
      {"a???b", "a\u263Ab", false},
      {"[a-\u03B6]*", "\u03B1", true},
      {"*[a-\u03B6]", "A", false},
      {"caf?", "caf\u00E9", true},
      // Bytes that are not UTF-8 match themselves, one `?` each.
      {"a\xff", "a\xff", true},
      {"a\xff", "a\xfe", false},
      {"a?", "a\xff", true},
      // Characters regexes care about are plain characters here.
      {"a(b)c/def", "a(b)c/def", true},
      {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
      {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
      // Case matters.
      {"README", "readme", false},
  });
}

TEST_CASE("matching: `**` matches any number of directories", "[build_ignore]") {
  check({
      {"**", "file", true},
      {"**", "dir/file", true},
      {"**/", "dir/file", true},
      {"**/**", "dir/file", true},
      {"dir/**", "dir/file", true},
      {"dir/**", "dir/dir2/file", true},
      {"dir/**", "dir", false},
      {"dir/**", "dirx/file", false},
      {"**/dir", "dir", true},
      {"**/dir", "dir/file", true},
      {"**/dir", "a/b/dir/file", true},
      {"**/dir", "adir", false},
      {"**/dir2/*", "dir/dir2/file", true},
      {"**/dir2/**", "dir/dir2/dir3/file", true},
      {"**file", "file", true},
      {"**file", "dir/dir/file", true},
      {"**/file*txt", "dir/dir/file.txt", true},
      {"**/**/*.txt", "dir/dir/file.txt", true},
      {"**/**/*.txt2", "dir/dir/file.txt", false},
      {"**/*.txt", "file.txt", true},
      {"a**/*.txt", "a/file.txt", true},
      {"a**/*.txt", "a/dir/dir/file.txt", true},
      {"a/*.txt", "a/dir/file.txt", false},
      {"a/*.txt**", "a/file.txt", true},
      {"a/**/b", "a/b", true},
      {"a/**/b", "a/x/y/b", true},
      {"a/**/b", "a/xb", false},
      {"**/foo/bar", "foo/bar", true},
      {"**/foo/bar", "dir/dir2/foo/bar", true},
      {"**/.foo", ".foo", true},
      {"**/.foo", "bar.foo", false},
      {"***", "a/b", true},
  });
}

TEST_CASE("matching: the context root is never excluded", "[build_ignore]") {
  for (const char* text : {"*", "**", ".", "/", "!x\n**"}) {
    INFO(text);
    auto m = matcher(text);
    CHECK_FALSE(m.excluded(""));
    CHECK_FALSE(m.excluded("."));
  }
  CHECK_FALSE(matcher(".").excluded("a"));
  CHECK_FALSE(matcher("/").excluded("a"));
  CHECK_FALSE(matcher("../outside").excluded("outside"));
}

TEST_CASE("matching: patterns with literal ends match as the same pattern without them", "[build_ignore]") {
  // "node_modules" and "[n]ode_module[s]" mean the same, but only the first
  // is decided by comparing its literal prefix and suffix with the path.
  auto without_literal_ends = [](std::string p) {
    if (std::isalnum(static_cast<unsigned char>(p.back())))
      p = p.substr(0, p.size() - 1) + "[" + p.back() + "]";
    if (std::isalnum(static_cast<unsigned char>(p[0]))) p = "[" + p.substr(0, 1) + "]" + p.substr(1);
    return p;
  };
  const auto paths = words(
      "node_modules node_modules/x node_modulesx x/node_modules a.o b/a.o b/a.oo b/a.o/c dir dir/x x/dir "
      "x/dirx a/b a/x/b a/xb a/x/b/c docs/keep.md docs/keep.md/x docs/keep.mdx x1y/z x1y/z/w xy/z x/y/z "
      "d.tmp d/e.tmp d.tmp/e");
  for (const char* pattern : {"node_modules", "**/*.o", "*.o", "dir", "**/dir", "dir/**", "a/**/b",
                              "docs/keep.md", "x*y/z", "*.tmp", "d*", "*/e*"}) {
    auto plain = matcher(pattern);
    auto rewritten = matcher(without_literal_ends(pattern));
    for (const std::string& path : paths) {
      INFO(pattern << " / " << without_literal_ends(pattern) << ": " << path);
      CHECK(plain.excluded(path) == rewritten.excluded(path));
    }
  }
}

// ---- Could anything under D be re-included? --------------------------------

TEST_CASE("may_reinclude_under: only a `!` pattern after D's last match counts", "[build_ignore]") {
  // No exclusions at all: nothing is ever re-included.
  CHECK_FALSE(matcher("node_modules\n*.o").may_reinclude_under("node_modules"));

  auto docs = matcher("docs\n!docs/keep.md\n");
  CHECK(docs.may_reinclude_under("docs"));
  CHECK_FALSE(docs.may_reinclude_under("docs/sub"));  // "docs/keep.md" is not under docs/sub
  CHECK_FALSE(docs.may_reinclude_under("other"));

  // A later pattern matching D overrides every exclusion before it.
  CHECK_FALSE(matcher("!docs/keep.md\ndocs").may_reinclude_under("docs"));
  CHECK_FALSE(matcher("docs\n!docs/keep.md\ndocs").may_reinclude_under("docs"));
  // ... but not one after it.
  CHECK(matcher("docs\n!docs/keep.md\nbuild").may_reinclude_under("docs"));

  // Exclusions with wildcards.
  CHECK(matcher("vendor\n!**/*.go").may_reinclude_under("vendor"));
  CHECK(matcher("vendor\n!**/*.go").may_reinclude_under("vendor/a/b"));
  CHECK(matcher("*\n!*/keep").may_reinclude_under("anything"));
  CHECK_FALSE(matcher("*\n!*/keep").may_reinclude_under("a/b"));      // */keep is one level down only
  CHECK(matcher("*\n!*").may_reinclude_under("a/b"));                 // `*` matches "a", so all under it
  CHECK_FALSE(matcher("build\n!*.md").may_reinclude_under("build"));  // *.md: top level only
  CHECK(matcher("build\n!build*").may_reinclude_under("build"));
  CHECK(matcher("build\n!b?ild/x").may_reinclude_under("build"));
  CHECK_FALSE(matcher("build\n!b?ild/x").may_reinclude_under("bxild/y"));
  CHECK(matcher("a\n!a/[b-d]/x").may_reinclude_under("a/c"));
  CHECK_FALSE(matcher("a\n!a/[b-d]/x").may_reinclude_under("a/e"));
  // An exclusion matching D itself, or a parent of D, re-includes all under it.
  CHECK(matcher("a/b\n!a").may_reinclude_under("a/b"));
  CHECK(matcher("a/b/c\n!a/b").may_reinclude_under("a/b/c"));
}

TEST_CASE("may_reinclude_under: false means every path under D stays excluded", "[build_ignore]") {
  // Checks the promise over a set of ignore files and every directory and path of a small tree.
  const std::vector<std::string> tree = words(
      "a a/b a/b/c.md a/b/keep a/x.go a/README.md b b/a b/a/b b/keep docs docs/keep.md docs/sub "
      "docs/sub/keep.md vendor vendor/m vendor/m/m.go vendor/m/doc.md build build/out build/out/tmp "
      "build/out/tmp/x");
  const std::vector<const char*> ignore_files = {
      "a\n!a/b",
      "*\n!*/keep",
      "*\n!**/keep",
      "docs\n!docs/keep.md",
      "docs\n!docs/*/keep.md",
      "**\n!vendor/**/*.go",
      "b\n!b/a\nb/a/b",
      "build\n!build/out\nbuild/out/tmp",
      "*\n!a/README.md\n!docs",
      "vendor\n!*.go",
      "*/*\n!*/keep\n*/k*",
      "a\nb\n!?/b",
  };
  int skips = 0;
  for (const char* text : ignore_files) {
    auto m = matcher(text);
    for (const std::string& dir : tree) {
      if (!m.excluded(dir) || m.may_reinclude_under(dir)) continue;
      skips++;
      for (const std::string& path : tree) {
        if (!path.starts_with(dir + "/")) continue;
        INFO("ignore file: " << text << "\nskipped directory: " << dir << "\npath: " << path);
        CHECK(m.excluded(path));
      }
    }
  }
  CHECK(skips > 10);  // the check above did check something
}

// ---- Walking a context -----------------------------------------------------

TEST_CASE("walk: every entry with its lstat facts, a directory before its contents", "[build_ignore]") {
  TempDir tmp;
  make_directory(tmp / "b");
  make_file(tmp / "a", "12345");
  make_file(tmp / "b/c", "x");
  make_file(tmp / "b.txt");
  REQUIRE(::link((tmp / "b/c").c_str(), (tmp / "b/hard").c_str()) == 0);
  REQUIRE(::chmod((tmp / "a").c_str(), 0751) == 0);
  const struct timespec times[2] = {{.tv_sec = 1, .tv_nsec = 0},
                                    {.tv_sec = 1700000000, .tv_nsec = 123456789}};
  REQUIRE(::utimensat(AT_FDCWD, (tmp / "a").c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);

  auto entries = walk(tmp.path);
  CHECK(paths_of(entries) == std::vector<std::string>{"a", "b", "b/c", "b/hard", "b.txt"});

  for (const ContextEntry& e : entries) {
    INFO(e.path);
    struct stat st;
    REQUIRE(::lstat((tmp / e.path).c_str(), &st) == 0);
    CHECK(e.mode == st.st_mode);
    CHECK(e.size == uint64_t(st.st_size));
    CHECK(e.mtime_ns == int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
    CHECK(e.uid == st.st_uid);
    CHECK(e.gid == st.st_gid);
    CHECK(e.inode == st.st_ino);
    CHECK(e.device == st.st_dev);
    CHECK(e.links == st.st_nlink);
    CHECK(e.link_target.empty());
    CHECK_FALSE(e.parent_only);
  }
  const ContextEntry& a = entry_named(entries, "a");
  CHECK(a.is_regular());
  CHECK((a.mode & 07777) == 0751);
  CHECK(a.size == 5);
  CHECK(a.mtime_ns == 1700000000123456789);
  CHECK(entry_named(entries, "b").is_directory());
  CHECK(entry_named(entries, "b/hard").links == 2);
  CHECK(entry_named(entries, "b/hard").inode == entry_named(entries, "b/c").inode);
}

TEST_CASE("walk: names sort by bytes within each directory", "[build_ignore]") {
  TempDir tmp;
  for (const char* dir : {"a", "a/B", "_"}) make_directory(tmp / dir);
  for (const char* file : {"a/z", "a/B/1", "a-b", "a.b", "a0", "A", "B", "\xC3\xA9", "_/x", "a/Z", "a/a"})
    make_file(tmp / file);
  CHECK(paths_of(walk(tmp.path)) == std::vector<std::string>{"A", "B", "_", "_/x", "a", "a/B", "a/B/1", "a/Z",
                                                             "a/a", "a/z", "a-b", "a.b", "a0", "\xC3\xA9"});
}

TEST_CASE("walk: a symlink out of the context is listed as a symlink, nothing outside is read",
          "[build_ignore]") {
  TempDir tmp;
  make_directory(tmp / "ctx");
  make_directory(tmp / "outside");
  make_file(tmp / "outside/secret", "do not read");
  REQUIRE(::mkfifo((tmp / "outside/fifo").c_str(), 0644) == 0);  // opening it would block the walk
  make_symlink("../outside", tmp / "ctx/relative");
  make_symlink(tmp / "outside", tmp / "ctx/absolute");
  make_symlink(tmp / "outside/fifo", tmp / "ctx/to-fifo");
  make_symlink("/nonexistent/dangling", tmp / "ctx/dangling");
  make_symlink("loop", tmp / "ctx/loop");

  auto entries = walk(tmp / "ctx");
  CHECK(paths_of(entries) == std::vector<std::string>{"absolute", "dangling", "loop", "relative", "to-fifo"});
  for (const ContextEntry& e : entries) {
    INFO(e.path);
    CHECK(e.is_symlink());
    CHECK(e.size == e.link_target.size());
  }
  CHECK(entry_named(entries, "relative").link_target == "../outside");
  CHECK(entry_named(entries, "absolute").link_target == tmp / "outside");
  CHECK(entry_named(entries, "to-fifo").link_target == tmp / "outside/fifo");
  CHECK(entry_named(entries, "dangling").link_target == "/nonexistent/dangling");
  CHECK(entry_named(entries, "loop").link_target == "loop");
}

TEST_CASE("walk: a symlink to a directory inside the context is not descended", "[build_ignore]") {
  TempDir tmp;
  make_directory(tmp / "dir");
  make_file(tmp / "dir/f");
  make_symlink("dir", tmp / "dirlink");
  make_symlink(".", tmp / "self");
  auto entries = walk(tmp.path);
  CHECK(paths_of(entries) == std::vector<std::string>{"dir", "dir/f", "dirlink", "self"});
  CHECK(entry_named(entries, "dirlink").is_symlink());
  CHECK(entry_named(entries, "dirlink").link_target == "dir");
}

TEST_CASE("walk: special files are listed from lstat, never opened", "[build_ignore]") {
  TempDir tmp;
  REQUIRE(::mkfifo((tmp / "fifo").c_str(), 0600) == 0);
  auto entries = walk(tmp.path);
  REQUIRE(paths_of(entries) == std::vector<std::string>{"fifo"});
  CHECK(S_ISFIFO(entries[0].mode));
}

TEST_CASE("walk: excluded files and directories are left out", "[build_ignore]") {
  TempDir tmp;
  for (const char* dir : {"node_modules", "node_modules/pkg", "src", "src/gen", ".git"})
    make_directory(tmp / dir);
  for (const char* file :
       {"node_modules/pkg/index.js", "src/main.c", "src/main.o", "src/gen/x.o", "src/gen/x.h", ".git/HEAD",
        "Dockerfile", ".dockerignore", "notes.md", "README.md"})
    make_file(tmp / file);
  auto entries = walk(tmp.path, "node_modules\n.git\n**/*.o\n*.md\n!README.md\n");
  CHECK(paths_of(entries) == std::vector<std::string>{".dockerignore", "Dockerfile", "README.md", "src",
                                                      "src/gen", "src/gen/x.h", "src/main.c"});
  for (const ContextEntry& e : entries) CHECK_FALSE(e.parent_only);
}

TEST_CASE("walk: everything excluded leaves an empty list, the Dockerfile too", "[build_ignore]") {
  TempDir tmp;
  make_directory(tmp / "d");
  make_file(tmp / "d/f");
  make_file(tmp / "Dockerfile");
  make_file(tmp / ".dockerignore");
  // Docker still sends the Dockerfile and .dockerignore: the executor asks the matcher itself.
  auto m = matcher("*");
  CHECK(m.excluded("Dockerfile"));
  CHECK(m.excluded(".dockerignore"));
  CHECK(walk(tmp.path, "*").empty());
  CHECK(walk(tmp.path, "**").empty());
}

TEST_CASE("walk: a file re-included inside an excluded directory comes with its parents", "[build_ignore]") {
  TempDir tmp;
  for (const char* dir : {"docs", "docs/sub", "docs/sub/deep", "docs/empty", "other"})
    make_directory(tmp / dir);
  for (const char* file : {"docs/a.md", "docs/keep.md", "docs/sub/x", "docs/sub/deep/keep.txt", "other/y"})
    make_file(tmp / file);

  auto entries = walk(tmp.path, "docs\n!docs/keep.md\n!docs/sub/deep/keep.txt\n");
  CHECK(paths_of(entries) == std::vector<std::string>{"docs", "docs/keep.md", "docs/sub", "docs/sub/deep",
                                                      "docs/sub/deep/keep.txt", "other", "other/y"});
  CHECK(entry_named(entries, "docs").parent_only);
  CHECK(entry_named(entries, "docs").is_directory());
  CHECK(entry_named(entries, "docs/sub").parent_only);
  CHECK(entry_named(entries, "docs/sub/deep").parent_only);
  CHECK_FALSE(entry_named(entries, "docs/keep.md").parent_only);
  CHECK_FALSE(entry_named(entries, "other").parent_only);

  // Nothing re-included under an excluded directory: it is not listed at all.
  CHECK(paths_of(walk(tmp.path, "docs\n!docs/missing.md\n")) == std::vector<std::string>{"other", "other/y"});
  // A re-included directory is listed as itself, with all it holds.
  auto whole = walk(tmp.path, "*\n!docs/sub\n");
  CHECK(paths_of(whole) == std::vector<std::string>{"docs", "docs/sub", "docs/sub/deep",
                                                    "docs/sub/deep/keep.txt", "docs/sub/x"});
  CHECK(entry_named(whole, "docs").parent_only);
  CHECK_FALSE(entry_named(whole, "docs/sub").parent_only);
}

TEST_CASE("walk: the caller's descriptor is not moved, so a walk can be repeated", "[build_ignore]") {
  TempDir tmp;
  make_directory(tmp / "d");
  make_file(tmp / "d/f");
  make_file(tmp / "g");
  auto root = open_directory(tmp.path);
  REQUIRE_OK(root);
  auto first = walk_context(root->get(), IgnoreMatcher());
  auto second = walk_context(root->get(), IgnoreMatcher());
  REQUIRE_OK(first);
  REQUIRE_OK(second);
  CHECK(paths_of(*first) == std::vector<std::string>{"d", "d/f", "g"});
  CHECK(paths_of(*second) == paths_of(*first));
}

TEST_CASE("walk: a context that cannot be opened is an error naming it", "[build_ignore]") {
  TempDir tmp;
  auto missing = walk_context(tmp / "missing", IgnoreMatcher());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().text() ==
        "open build context `" + (tmp / "missing") + "`: No such file or directory");
  make_file(tmp / "file");
  auto file = walk_context(tmp / "file", IgnoreMatcher());
  REQUIRE_FALSE(file.ok());
  CHECK_THAT(file.error().text(), Catch::EndsWith("Not a directory"));
}

TEST_CASE("walk: an unreadable entry is an error naming its path, unless excluded", "[build_ignore]") {
  TempDir tmp;
  REQUIRE(::chmod(tmp.path.c_str(), 0755) == 0);
  for (const char* dir : {"ctx", "ctx/open", "ctx/open/locked", "ctx/locked", "ctx/listonly"})
    make_directory(tmp / dir);
  for (const char* file : {"ctx/open/f", "ctx/open/locked/f", "ctx/locked/f", "ctx/listonly/f"})
    make_file(tmp / file);
  REQUIRE(::chmod((tmp / "ctx/locked").c_str(), 0) == 0);
  REQUIRE(::chmod((tmp / "ctx/open/locked").c_str(), 0) == 0);
  REQUIRE(::chmod((tmp / "ctx/listonly").c_str(), 0444) == 0);  // names readable, entries not

  const std::string ctx = tmp / "ctx";
  auto walk_as_nobody = [&](std::string ignore_text) {
    auto out = run_unprivileged([&]() -> std::string {
      auto m = IgnoreMatcher::parse(ignore_text);
      if (!m) return "parse: " + m.error().text();
      auto entries = walk_context(ctx, *m);
      if (!entries) return entries.error().text();
      std::string listed;
      for (const ContextEntry& e : *entries) listed += e.path + (e.parent_only ? "(parent) " : " ");
      return listed;
    });
    if (!out) WARN("cannot drop to uid 65534 here: skipping the unreadable-entry checks");
    return out;
  };

  auto out = walk_as_nobody("");
  if (!out) return;
  const std::string denied = "build context `" + ctx + "`: ";
  // `listonly` (r--): its names can be read, its entries not stat'ed.
  CHECK(*out == denied + "stat `listonly/f`: Permission denied");
  CHECK(*walk_as_nobody("listonly/f") == denied + "open directory `locked`: Permission denied");
  CHECK(*walk_as_nobody("listonly/f\nlocked") == denied + "open directory `open/locked`: Permission denied");
  CHECK(*walk_as_nobody("listonly/f\nlocked\nopen/locked") == "listonly open open/f ");
  CHECK(*walk_as_nobody("listonly\nlocked\nopen/locked") == "open open/f ");
  // A re-included entry that cannot be read is an error ...
  CHECK(*walk_as_nobody("listonly\n!listonly/f") == denied + "stat `listonly/f`: Permission denied");
  // ... but an excluded directory that a `!` pattern sends the walk into,
  // and that cannot be opened, is skipped as Docker skips it.
  CHECK(*walk_as_nobody("listonly\nlocked\nopen/locked\n!locked/f\n!open/locked/f") == "open open/f ");
}

TEST_CASE("walk: timing of a 10,000-file context", "[build_ignore]") {
  TempDir tmp;
  for (int d = 0; d < 100; ++d) {
    std::string dir = tmp / ("dir" + std::to_string(d));
    make_directory(dir);
    for (int f = 0; f < 100; ++f)
      make_file(dir + "/file" + std::to_string(f) + (f % 10 == 0 ? ".o" : ".c"), "content");
  }
  auto time_walk = [&](std::string_view ignore_text, size_t expected) {
    IgnoreMatcher m = matcher(ignore_text);
    std::vector<double> times;
    for (int run = 0; run < 21; ++run) {
      auto start = std::chrono::steady_clock::now();
      auto entries = walk_context(tmp.path, m);
      times.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      REQUIRE_OK(entries);
      REQUIRE(entries->size() == expected);
    }
    double first = times[0];
    std::sort(times.begin(), times.end());
    std::printf(
        "build_ignore: walk of 10,000 files in 100 directories, %zu patterns: first %.2f ms, "
        "median of 21 %.2f ms, best %.2f ms\n",
        m.patterns().size(), first, times[10], times[0]);
  };
  time_walk("", 10'100);
  time_walk("# a typical one\n**/*.o\n*.tmp\nnode_modules\n.git\n!dir1/file0.o\n", 10'100 - 1'000 + 1);
}

// ---- Finding the ignore file -----------------------------------------------

TEST_CASE("find_ignore_file: <Dockerfile>.dockerignore, then .dockerignore, then .containerignore",
          "[build_ignore]") {
  TempDir tmp;
  make_directory(tmp / "ctx");
  make_directory(tmp / "files");
  const std::string ctx = tmp / "ctx";
  const std::string dockerfile = tmp / "files/app.Dockerfile";
  make_file(dockerfile, "FROM scratch\n");

  auto found = [&](const std::string& df) {
    auto r = find_ignore_file(ctx, df);
    REQUIRE_OK(r);
    return r->value_or("(none)");
  };
  CHECK(found(dockerfile) == "(none)");
  make_file(ctx + "/.containerignore", "c\n");
  CHECK(found(dockerfile) == ctx + "/.containerignore");
  make_file(ctx + "/.dockerignore", "d\n");
  CHECK(found(dockerfile) == ctx + "/.dockerignore");
  make_file(dockerfile + ".dockerignore", "beside\n");
  CHECK(found(dockerfile) == dockerfile + ".dockerignore");
  // A Dockerfile from stdin has no file beside it.
  CHECK(found("-") == ctx + "/.dockerignore");
  CHECK(found("") == ctx + "/.dockerignore");

  auto m = load_ignore_file(ctx, dockerfile);
  REQUIRE_OK(m);
  CHECK(pattern_texts(*m) == std::vector<std::string>{"beside"});
  auto root = load_ignore_file(ctx, "-");
  REQUIRE_OK(root);
  CHECK(pattern_texts(*root) == std::vector<std::string>{"d"});
}

TEST_CASE("load_ignore_file: none found excludes nothing; errors name the file and line", "[build_ignore]") {
  TempDir tmp;
  auto none = load_ignore_file(tmp.path, tmp / "Dockerfile");
  REQUIRE_OK(none);
  CHECK(none->empty());

  make_file(tmp / ".dockerignore", "ok\n\n!\n");
  auto bad = load_ignore_file(tmp.path, tmp / "Dockerfile");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().text() == tmp / ".dockerignore" + ":3: `!` without a pattern to re-include");

  REQUIRE(::unlink((tmp / ".dockerignore").c_str()) == 0);
  make_symlink("/nonexistent", tmp / ".dockerignore");
  auto dangling = load_ignore_file(tmp.path, tmp / "Dockerfile");
  REQUIRE_FALSE(dangling.ok());
  CHECK(dangling.error().text() == "open `" + (tmp / ".dockerignore") + "`: No such file or directory");
}
