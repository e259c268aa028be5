// The container init (src/init/skiff_init.c) as the launcher runs it: from
// the sealed memfd open_init_binary() makes, with execveat(AT_EMPTY_PATH),
// reporting exec failures on a SyncSocket. Nothing here needs privileges or
// a namespace; the reaping tests make the init a child subreaper so orphans
// come to it as they would to a PID 1.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "linux/child_process.h"
#include "linux/init_binary.h"
#include "linux/sync_socket.h"
#include "test_support.h"

using namespace skiff;
using namespace std::chrono_literals;
using skiff::test::TempDir;

namespace {

constexpr auto kTimeout = 10s;

struct InitOptions {
  bool init = false;            // -i
  bool sync = true;             // -s FD
  bool subreaper = false;       // orphans of the init's children come to it
  bool ignore_sigchld = false;  // the init inherits SIGCHLD ignored
  std::vector<std::string> env = {"PATH=/usr/bin:/bin"};
  int stdout_fd = -1;  // replaces the init's stdout when >= 0
  int stderr_fd = -1;  // replaces the init's stderr when >= 0
  std::string cwd;     // the init's working directory when not empty
};

// A started init: its process, and our end of its sync socket. A test that
// fails before the init has exited leaves no program behind either.
struct RunningInit {
  RunningInit(ChildProcess process, SyncSocket sync) : process(std::move(process)), sync(std::move(sync)) {}
  RunningInit(RunningInit&&) = default;
  RunningInit& operator=(RunningInit&&) = default;
  ~RunningInit();

  ChildProcess process;
  SyncSocket sync;
};

RunningInit start_init(const std::vector<std::string>& command, const InitOptions& options = {}) {
  auto memfd = open_init_binary();
  REQUIRE_OK(memfd);
  auto pair = SyncSocket::make_pair();
  REQUIRE_OK(pair);
  auto& [ours, theirs] = *pair;
  // A receive that never ends would hang the suite; make it fail instead.
  struct timeval timeout = {.tv_sec = std::chrono::seconds(kTimeout).count(), .tv_usec = 0};
  REQUIRE(::setsockopt(ours.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == 0);

  // Everything the child needs is made before fork: it only calls syscalls.
  std::vector<std::string> args = {"skiff-init"};
  if (options.init) args.push_back("-i");
  if (options.sync) args.insert(args.end(), {"-s", std::to_string(theirs.fd())});
  args.push_back("--");
  // "@SYNC_FD@" in the command stands for the socket's number in the init.
  for (std::string arg : command) {
    if (size_t at = arg.find("@SYNC_FD@"); at != std::string::npos)
      arg.replace(at, 9, std::to_string(theirs.fd()));
    args.push_back(arg);
  }
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = options.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int init_fd = memfd->get(), sync_fd = theirs.fd();
  auto child = ChildProcess::fork([&]() -> int {
    if (options.stdout_fd >= 0 && ::dup2(options.stdout_fd, STDOUT_FILENO) < 0) return 120;
    if (options.stderr_fd >= 0 && ::dup2(options.stderr_fd, STDERR_FILENO) < 0) return 120;
    if (options.subreaper && ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return 121;
    if (options.ignore_sigchld) ::signal(SIGCHLD, SIG_IGN);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) return 124;
    // The socket is made close-on-exec; the init must inherit it.
    if (options.sync && ::fcntl(sync_fd, F_SETFD, 0) != 0) return 122;
    ::execveat(init_fd, "", argv.data(), envp.data(), AT_EMPTY_PATH);
    return 123;
  });
  REQUIRE_OK(child);
  theirs.close();
  return RunningInit{std::move(*child), std::move(ours)};
}

// The init's exit code; fails the test if it takes longer than kTimeout.
int wait_exit(ChildProcess& process) {
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  for (;;) {
    int status;
    pid_t pid = ::waitpid(process.pid(), &status, WNOHANG);
    if (pid < 0) FAIL("waitpid: " << std::strerror(errno));
    if (pid == process.pid()) {
      process.release();
      INFO(describe_wait_status(status));
      REQUIRE(WIFEXITED(status));
      return WEXITSTATUS(status);
    }
    if (std::chrono::steady_clock::now() > deadline) FAIL("the init is still running after 10 s");
    std::this_thread::sleep_for(5ms);
  }
}

// The frame the init sent, or nullopt when it closed the socket (EOF) by
// executing the program.
std::optional<SyncSocket::Frame> receive_report(SyncSocket& sync) {
  auto frame = sync.receive("skiff-init");
  if (frame) return *frame;
  INFO(frame.error().text());
  REQUIRE(frame.error().errnum() == 0);  // EOF; not a timeout
  return std::nullopt;
}

// Runs the init to its end: its exit code and the frame it sent, if any.
struct InitResult {
  int exit_code;
  std::optional<SyncSocket::Frame> frame;
};
InitResult run_init(const std::vector<std::string>& command, const InitOptions& options = {}) {
  RunningInit init = start_init(command, options);
  auto frame = receive_report(init.sync);
  return {wait_exit(init.process), std::move(frame)};
}

// A line from a pipe, read within kTimeout.
std::string read_line(int fd) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  char c;
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::read(fd, &c, 1);
    if (n == 1 && c == '\n') return line;
    if (n == 1) line += c;
    if (n == 0) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) break;
    if (n < 0) std::this_thread::sleep_for(5ms);
  }
  return line;
}

struct Pipe {
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    REQUIRE(::fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);  // read_line has a deadline
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
  UniqueFd read_end, write_end;
};

// The pid and state (/proc/PID/stat) of every process whose parent is `parent`.
std::vector<std::pair<pid_t, char>> children_of(pid_t parent) {
  std::vector<std::pair<pid_t, char>> out;
  for (const std::string& name : skiff::test::entries("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = read_file("/proc/" + name + "/stat", 4096);
    if (!stat) continue;  // gone meanwhile
    // "pid (comm) state ppid ...": comm may hold spaces, so parse after ')'.
    size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat->c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
      out.emplace_back(std::stoi(name), state);
  }
  return out;
}

RunningInit::~RunningInit() {
  if (process.pid() > 0)
    for (auto [pid, state] : children_of(process.pid())) ::kill(pid, SIGKILL);
}

}  // namespace

TEST_CASE("open_init_binary holds the embedded init, sealed", "[init]") {
  auto fd = open_init_binary();
  REQUIRE_OK(fd);
  auto bytes = init_binary_bytes();
  REQUIRE(bytes.size() > 4);
  CHECK(std::memcmp(bytes.data(), "\177ELF", 4) == 0);

  int seals = ::fcntl(fd->get(), F_GET_SEALS);
  int wanted = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  CHECK((seals & wanted) == wanted);
  CHECK((::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC) != 0);

  struct stat st;
  REQUIRE(::fstat(fd->get(), &st) == 0);
  CHECK(size_t(st.st_size) == bytes.size());
  CHECK((st.st_mode & 0111) != 0);
  std::vector<unsigned char> copy(bytes.size());
  CHECK(::pread(fd->get(), copy.data(), copy.size(), 0) == ssize_t(copy.size()));
  CHECK(std::memcmp(copy.data(), bytes.data(), bytes.size()) == 0);

  // Nobody can change it, not even through this descriptor.
  CHECK(::pwrite(fd->get(), "x", 1, 0) == -1);
  CHECK(errno == EPERM);
  CHECK(::write(fd->get(), "x", 1) == -1);
  CHECK(errno == EPERM);
  CHECK(::ftruncate(fd->get(), 0) == -1);
  CHECK(errno == EPERM);
  CHECK(::fcntl(fd->get(), F_ADD_SEALS, F_SEAL_WRITE) == -1);  // F_SEAL_SEAL
  CHECK(errno == EPERM);
}

TEST_CASE("the init executes the program, which gets the environment and its exit code", "[init]") {
  auto result = run_init({"/bin/sh", "-c", "exit 7"});
  CHECK(!result.frame);
  CHECK(result.exit_code == 7);

  InitOptions options;
  options.env = {"PATH=/usr/bin:/bin", "SKIFF_TEST=value with spaces"};
  result = run_init({"sh", "-c", "test \"$SKIFF_TEST\" = 'value with spaces' && test \"$0\" = sh"}, options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 0);
}

TEST_CASE("the init closes the sync socket by executing the program", "[init]") {
  // The init made the socket close-on-exec: the program never sees it.
  auto result = run_init({"/bin/sh", "-c", "test ! -e /proc/$$/fd/@SYNC_FD@"});
  CHECK(!result.frame);
  CHECK(result.exit_code == 0);
}

TEST_CASE("the init finds a program in PATH as docker does", "[init]") {
  TempDir dir;
  for (const char* sub : {"a", "a/prog", "b", "d"}) REQUIRE(::mkdir((dir / sub).c_str(), 0755) == 0);
  // Skipped: a directory (a/prog) and a file without an execute bit (b/prog).
  REQUIRE_OK(write_file_atomically(dir / "b/prog", "#!/bin/sh\nexit 1\n", 0644));
  REQUIRE_OK(write_file_atomically(dir / "d/prog", "#!/bin/sh\nexit 9\n", 0700));

  InitOptions options;
  options.env = {"PATH=" + (dir / "nonexistent") + ":" + (dir / "a") + ":" + (dir / "b") + ":" + (dir / "d")};
  auto result = run_init({"prog"}, options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 9);

  // An empty entry is the current directory.
  options.cwd = dir / "d";
  options.env = {"PATH=" + (dir / "a") + "::" + (dir / "b")};
  result = run_init({"prog"}, options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 9);

  // Without PATH, runc's default is searched.
  options.env = {};
  result = run_init({"sh", "-c", "exit 4"}, options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 4);
}

TEST_CASE("the init reports a program not found in PATH: 127", "[init]") {
  auto result = run_init({"skiff-no-such-program", "arg"});
  CHECK(result.exit_code == 127);
  REQUIRE(result.frame);
  CHECK(result.frame->kind == SyncSocket::Kind::kError);
  CHECK(result.frame->errnum == ENOENT);
  CHECK(result.frame->payload == "exec: \"skiff-no-such-program\": executable file not found in $PATH");

  // A PATH that is set but empty has no entries, as in Go.
  InitOptions options;
  options.env = {"PATH="};
  result = run_init({"sh", "-c", "exit 0"}, options);
  CHECK(result.exit_code == 127);
  REQUIRE(result.frame);
  CHECK(result.frame->payload == "exec: \"sh\": executable file not found in $PATH");
}

TEST_CASE("the init reports a missing path: 127", "[init]") {
  auto result = run_init({"/nonexistent/skiff-prog"});
  CHECK(result.exit_code == 127);
  REQUIRE(result.frame);
  CHECK(result.frame->errnum == ENOENT);
  CHECK(result.frame->payload == "exec: \"/nonexistent/skiff-prog\": no such file or directory");
}

TEST_CASE("the init reports a program it can't execute: 126", "[init]") {
  TempDir dir;
  SECTION("a directory") {
    auto result = run_init({dir.path});
    CHECK(result.exit_code == 126);
    REQUIRE(result.frame);
    CHECK(result.frame->errnum == EACCES);
    CHECK(result.frame->payload == "exec: \"" + dir.path + "\": permission denied");
  }
  SECTION("a file in an unknown format") {
    REQUIRE_OK(write_file_atomically(dir / "junk", std::string(64, '\x01'), 0755));
    auto result = run_init({dir / "junk"});
    CHECK(result.exit_code == 126);
    REQUIRE(result.frame);
    CHECK(result.frame->errnum == ENOEXEC);
    CHECK(result.frame->payload == "exec: \"" + (dir / "junk") + "\": exec format error");
  }
}

TEST_CASE("without -s the init reports on stderr", "[init]") {
  TempDir dir;
  UniqueFd err(::open((dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  REQUIRE(err);
  InitOptions options;
  options.sync = false;
  options.stderr_fd = err.get();
  auto result = run_init({"skiff-no-such-program"}, options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 127);
  auto text = read_file(dir / "stderr", 4096);
  REQUIRE_OK(text);
  CHECK(*text == "skiff-init: exec: \"skiff-no-such-program\": executable file not found in $PATH\n");
}

TEST_CASE("the init rejects a malformed command line: 125", "[init]") {
  InitOptions options;
  auto result = run_init({}, options);  // nothing after --
  CHECK(result.exit_code == 125);
  REQUIRE(result.frame);
  CHECK(result.frame->payload == "usage: skiff-init [-i] [-p] [-s FD] -- PROGRAM [ARG...]");
}

TEST_CASE("-i: the init passes on the program's exit code and reports exec failures", "[init]") {
  InitOptions options;
  options.init = true;
  auto result = run_init({"/bin/sh", "-c", "exit 7"}, options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 7);

  result = run_init({"skiff-no-such-program"}, options);
  CHECK(result.exit_code == 127);
  REQUIRE(result.frame);
  CHECK(result.frame->payload == "exec: \"skiff-no-such-program\": executable file not found in $PATH");

  TempDir dir;
  result = run_init({dir.path}, options);
  CHECK(result.exit_code == 126);
  REQUIRE(result.frame);
  CHECK(result.frame->errnum == EACCES);

  // SIGCHLD ignored by whoever started the init would make the kernel reap
  // the program unseen; the init restores it.
  options.ignore_sigchld = true;
  result = run_init({"/bin/sh", "-c", "exit 8"}, options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 8);
}

TEST_CASE("-i: a program killed by a signal makes the init exit 128+N", "[init]") {
  InitOptions options;
  options.init = true;
  auto result = run_init({"/bin/sh", "-c", "kill -TERM $$; sleep 5"}, options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 128 + SIGTERM);
}

TEST_CASE("-i: the init forwards signals to the program", "[init]") {
  Pipe out;
  InitOptions options;
  options.init = true;
  options.stdout_fd = out.write_end.get();
  RunningInit init =
      start_init({"/bin/sh", "-c", "trap 'exit 3' USR1; echo ready; while :; do sleep 0.05; done"}, options);
  out.write_end.reset();
  // EOF while the program runs: the init closed its copy of the socket.
  CHECK(!receive_report(init.sync));
  REQUIRE(read_line(out.read_end.get()) == "ready");
  REQUIRE(::kill(init.process.pid(), SIGUSR1) == 0);
  CHECK(wait_exit(init.process) == 3);

  // SIGTERM to the init kills a program that doesn't handle it.
  options.stdout_fd = -1;
  init = start_init({"sleep", "5"}, options);
  CHECK(!receive_report(init.sync));
  REQUIRE(::kill(init.process.pid(), SIGTERM) == 0);
  CHECK(wait_exit(init.process) == 128 + SIGTERM);
}

TEST_CASE("-i: the program runs in its own process group with no signal blocked or ignored", "[init]") {
  InitOptions options;
  options.init = true;
  auto result = run_init({"/bin/sh", "-c",
                          "set -- $(cat /proc/$$/stat); [ \"$5\" = $$ ] || exit 1; "
                          "grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status || exit 2; "
                          "grep -q '^SigIgn:[[:space:]]*0*$' /proc/self/status || exit 3"},
                         options);
  CHECK(!result.frame);
  CHECK(result.exit_code == 0);
}

TEST_CASE("-i: the init reaps orphans and exits with the program, not after them", "[init]") {
  InitOptions options;
  options.init = true;
  options.subreaper = true;

  SECTION("an orphan that ends is reaped, leaving no zombie") {
    // The subshell exits at once, so `sleep 0.5` is orphaned to the init.
    Pipe out;
    options.stdout_fd = out.write_end.get();
    RunningInit init =
        start_init({"/bin/sh", "-c", "(sleep 0.5 >/dev/null &); echo ready; exec sleep 5"}, options);
    out.write_end.reset();
    REQUIRE(read_line(out.read_end.get()) == "ready");
    auto children = children_of(init.process.pid());
    CHECK(children.size() == 2);  // the program and the orphan
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (children.size() != 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      children = children_of(init.process.pid());
    }
    REQUIRE(children.size() == 1);  // the program only: the orphan was reaped
    CHECK(children[0].second != 'Z');
    REQUIRE(::kill(init.process.pid(), SIGTERM) == 0);
    CHECK(wait_exit(init.process) == 128 + SIGTERM);
  }

  SECTION("the init exits when the program does, even with an orphan still running") {
    auto start = std::chrono::steady_clock::now();
    auto result = run_init({"/bin/sh", "-c", "sleep 1 >/dev/null 2>&1 & exit 5"}, options);
    CHECK(!result.frame);
    CHECK(result.exit_code == 5);
    CHECK(std::chrono::steady_clock::now() - start < 800ms);
  }
}
