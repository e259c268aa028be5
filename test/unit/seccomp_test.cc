// Seccomp profiles: parsing and its error messages, and compiled filters
// loaded for real in a forked child, which reports one errno through a pipe.
// Probes are chosen so that a denial by the filter (EPERM) differs from what
// the kernel itself answers (EFAULT, EINVAL, EOPNOTSUPP...), as root and as
// an unprivileged user alike; an "unfiltered" run checks that difference
// unless this test process is already under a seccomp filter.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include "base/fs.h"
#include "linux/seccomp_profile.h"
#include "test_support.h"

using namespace skiff;
using Catch::Matchers::Contains;

// For comparing programs; found by argument-dependent lookup in the global namespace.
static bool operator==(const sock_filter& a, const sock_filter& b) {
  return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
}

namespace {

// Docker's default capability set (moby's oci/caps/defaults.go).
const std::vector<std::string> kDockerDefaultCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

std::vector<std::string> with_cap(std::vector<std::string> caps, const std::string& cap) {
  caps.push_back(cap);
  return caps;
}

// 0 when a raw syscall succeeded, else its errno.
int errno_of(long rc) { return rc < 0 ? errno : 0; }

// What a child reported: the probe's value, or how it died.
struct ChildResult {
  bool reported = false;
  int value = 0;
  int signal = 0;  // the signal that killed the child, when it did not report
};

constexpr int kSetupFailed = -10000;

// Runs `probe` in a forked child after PR_SET_NO_NEW_PRIVS and, unless
// `program` is null, load_seccomp(*program). The child makes no call but
// the probe's, write and exit_group, so a strict allow list can test it too.
ChildResult run_child(const std::vector<sock_filter>* program, int (*probe)()) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    int value = kSetupFailed;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      value = kSetupFailed - errno;
    else if (program && !load_seccomp(*program).ok())
      value = kSetupFailed - 1000 - errno;
    else
      value = probe();
    // Raw write and exit_group: the sanitizers' interceptors of write and
    // _exit may mmap, which a strict allow list denies.
    (void)::syscall(SYS_write, fds[1], &value, sizeof value);
    ::syscall(SYS_exit_group, 0);
    ::_exit(0);  // not reached
  }
  ::close(fds[1]);
  ChildResult result;
  ssize_t n;
  do n = ::read(fds[0], &result.value, sizeof result.value);
  while (n < 0 && errno == EINTR);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  result.reported = n == sizeof result.value;
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

// The probe's value under `program`; fails the test if the child could not report it.
int filtered(const std::vector<sock_filter>& program, int (*probe)()) {
  ChildResult r = run_child(&program, probe);
  INFO("child killed by signal " << r.signal);
  REQUIRE(r.reported);
  INFO("setup failed: " << r.value);
  REQUIRE(r.value > kSetupFailed / 2);
  return r.value;
}

// The probe's value without a filter; nullopt when this process already
// runs under one (a CI container), which would answer in its place.
std::optional<int> unfiltered(int (*probe)()) {
  auto status = read_file("/proc/self/status", 1 << 20);
  if (status.ok() && status->find("\nSeccomp:\t0") == std::string::npos) {
    WARN("already under a seccomp filter: skipping the unfiltered comparison");
    return std::nullopt;
  }
  ChildResult r = run_child(nullptr, probe);
  REQUIRE(r.reported);
  return r.value;
}

std::vector<sock_filter> compile_default(const std::vector<std::string>& caps) {
  auto program = compile_seccomp(default_seccomp_profile(), caps);
  REQUIRE_OK(program);
  REQUIRE_FALSE(program->empty());
  return *program;
}

std::vector<sock_filter> compile_json(const char* text) {
  auto profile = parse_seccomp_profile(Json::parse(text));
  REQUIRE_OK(profile);
  auto program = compile_seccomp(*profile, {});
  REQUIRE_OK(program);
  return *program;
}

// The error text of load_seccomp_profile on a file holding `text`.
std::string load_error(const std::string& text) {
  test::TempDir dir;
  REQUIRE_OK(write_file_atomically(dir / "profile.json", text));
  auto profile = load_seccomp_profile(dir / "profile.json");
  REQUIRE_FALSE(profile.ok());
  CHECK_THAT(profile.error().text(), Contains(dir / "profile.json"));
  return profile.error().text();
}

// ---- Probes ---------------------------------------------------------------

int probe_getpid() { return errno_of(::syscall(SYS_getpid)); }
int probe_kexec_load() { return errno_of(::syscall(SYS_kexec_load, 0, 0, nullptr, 0)); }
// A null key type: the kernel answers EFAULT.
int probe_add_key() { return errno_of(::syscall(SYS_add_key, nullptr, nullptr, nullptr, 0, 0)); }
// An unknown keyctl operation: the kernel answers EOPNOTSUPP.
int probe_keyctl() { return errno_of(::syscall(SYS_keyctl, -1L, 0, 0, 0, 0)); }
int probe_bpf() { return errno_of(::syscall(SYS_bpf, -1, nullptr, 0)); }
int probe_personality_query() { return errno_of(::syscall(SYS_personality, 0xffffffffUL)); }
int probe_personality_no_randomize() { return errno_of(::syscall(SYS_personality, 0x0040000UL)); }
// CLONE_NEWUSER with CLONE_FS: the kernel answers EINVAL before any other
// check, so nothing is created whatever this user may do.
int probe_clone_newuser() {
  return errno_of(::syscall(SYS_clone, CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0, 0, 0, 0));
}
// Flag bit 0x1 is not an unshare flag: the kernel answers EINVAL.
int probe_unshare_newuser() { return errno_of(::syscall(SYS_unshare, CLONE_NEWUSER | 0x1)); }
// A zero size: the kernel answers EINVAL.
int probe_clone3() { return errno_of(::syscall(SYS_clone3, nullptr, 0)); }
int probe_fork() {
  pid_t pid = ::fork();
  if (pid < 0) return errno;
  if (pid == 0) ::_exit(7);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return errno;
  return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : -1;
}
int probe_socket_vsock() { return errno_of(::syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0)); }
int probe_socket_unix() {
  long fd = ::syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  ::close(int(fd));
  return 0;
}
// A number no kernel has yet: above everything the profile names.
int probe_future_syscall() { return errno_of(::syscall(1000)); }
int probe_getuid() { return errno_of(::syscall(SYS_getuid)); }
int probe_getppid() { return errno_of(::syscall(SYS_getppid)); }
int probe_gettid() { return errno_of(::syscall(SYS_gettid)); }
int probe_dup_stdout() {
  long fd = ::syscall(SYS_dup, 1);
  if (fd < 0) return errno;
  ::syscall(SYS_close, fd);
  return 0;
}
int probe_dup_high() { return errno_of(::syscall(SYS_dup, 100)); }
int probe_umask_group() { return errno_of(::syscall(SYS_umask, 022)); }
int probe_umask_owner() { return errno_of(::syscall(SYS_umask, 0700)); }
int probe_personality_8() { return errno_of(::syscall(SYS_personality, 8UL)); }
int probe_personality_0() { return errno_of(::syscall(SYS_personality, 0UL)); }
int probe_personality_9() { return errno_of(::syscall(SYS_personality, 9UL)); }

#if defined(__x86_64__)
// A 32-bit x86 syscall through int 0x80 from this 64-bit process: the
// kernel checks it against the filter's x86 part. Returns -errno or the result.
long int80(long nr, long a = 0, long b = 0, long c = 0) {
  long ret;
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(nr), "b"(a), "c"(b), "d"(c)
               : "memory", "r8", "r9", "r10", "r11");
  return ret;
}
constexpr long kI386Getpid = 20;
constexpr long kI386KexecLoad = 283;
int probe_i386_getpid() { return int80(kI386Getpid) == ::getpid() ? 0 : -1; }
int probe_i386_kexec_load() { return int(-int80(kI386KexecLoad)); }
int probe_i386_future_syscall() { return int(-int80(1000)); }
#endif

}  // namespace

// ---- The built-in profile -------------------------------------------------

TEST_CASE("the default profile is docker's", "[seccomp]") {
  const Json& json = default_seccomp_profile().json;
  CHECK(json["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(json["defaultErrnoRet"] == 1);
  REQUIRE(json["archMap"].is_array());
  CHECK(json["archMap"][0]["architecture"] == "SCMP_ARCH_X86_64");
  CHECK(json["archMap"][0]["subArchitectures"] == Json::array({"SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  size_t names = 0;
  for (const auto& rule : json["syscalls"]) names += rule["names"].size();
  CHECK(json["syscalls"].size() == 31);
  CHECK(names == 428);
  CHECK(json["syscalls"][0]["names"][0] == "accept");
  CHECK(parse_seccomp_profile(json).ok());
}

TEST_CASE("the default profile compiles for several capability sets", "[seccomp]") {
  auto none = compile_default({});
  auto docker = compile_default(kDockerDefaultCaps);
  auto admin = compile_default(with_cap(kDockerDefaultCaps, "CAP_SYS_ADMIN"));
  CHECK(none.size() <= BPF_MAXINSNS);
  CHECK(docker.size() <= BPF_MAXINSNS);
  CHECK(admin.size() <= BPF_MAXINSNS);
  // CAP_SYS_CHROOT adds chroot; CAP_SYS_ADMIN swaps clone's argument rule for a plain allow, and more.
  CHECK(none != docker);
  CHECK(docker != admin);
  // Deterministic: the same input gives the same program.
  CHECK(compile_default(kDockerDefaultCaps) == docker);
}

// ---- The default profile, loaded ------------------------------------------

TEST_CASE("the default profile allows ordinary syscalls", "[seccomp]") {
  auto program = compile_default(kDockerDefaultCaps);
  CHECK(filtered(program, probe_getpid) == 0);
  CHECK(filtered(program, probe_fork) == 0);
  CHECK(filtered(program, probe_socket_unix) == 0);
  CHECK(filtered(program, probe_personality_query) == 0);
}

TEST_CASE("the default profile denies what docker denies with EPERM", "[seccomp]") {
  auto program = compile_default(kDockerDefaultCaps);
  CHECK(filtered(program, probe_kexec_load) == EPERM);
  CHECK(filtered(program, probe_add_key) == EPERM);
  CHECK(filtered(program, probe_keyctl) == EPERM);
  CHECK(filtered(program, probe_bpf) == EPERM);
  CHECK(filtered(program, probe_socket_vsock) == EPERM);              // an args rule: socket(AF_VSOCK)
  CHECK(filtered(program, probe_personality_no_randomize) == EPERM);  // an args rule
  // The kernel itself answers otherwise (EFAULT, EOPNOTSUPP, success): the filter said EPERM.
  if (auto v = unfiltered(probe_add_key)) CHECK(*v != EPERM);
  if (auto v = unfiltered(probe_keyctl)) CHECK(*v != EPERM);
  if (auto v = unfiltered(probe_personality_no_randomize)) CHECK(*v != EPERM);
}

TEST_CASE("clone and unshare of namespaces need CAP_SYS_ADMIN in the set", "[seccomp]") {
  if (auto v = unfiltered(probe_clone_newuser)) REQUIRE(*v == EINVAL);
  if (auto v = unfiltered(probe_unshare_newuser)) REQUIRE(*v == EINVAL);
  if (auto v = unfiltered(probe_clone3)) REQUIRE(*v == EINVAL);

  auto without = compile_default(kDockerDefaultCaps);
  CHECK(filtered(without, probe_clone_newuser) == EPERM);  // the masked args rule
  CHECK(filtered(without, probe_unshare_newuser) == EPERM);
  CHECK(filtered(without, probe_clone3) == ENOSYS);  // so glibc falls back to clone
  CHECK(filtered(without, probe_fork) == 0);

  auto with = compile_default(with_cap(kDockerDefaultCaps, "CAP_SYS_ADMIN"));
  CHECK(filtered(with, probe_clone_newuser) == EINVAL);  // reached the kernel
  CHECK(filtered(with, probe_unshare_newuser) == EINVAL);
  CHECK(filtered(with, probe_clone3) == EINVAL);
  CHECK(filtered(with, probe_fork) == 0);
}

TEST_CASE("syscalls newer than the profile get ENOSYS, not EPERM", "[seccomp]") {
  auto program = compile_default({});
  CHECK(filtered(program, probe_future_syscall) == ENOSYS);
}

#if defined(__x86_64__)
TEST_CASE("the default profile covers 32-bit x86 calls (archMap sub-architectures)", "[seccomp]") {
  ChildResult plain = run_child(nullptr, probe_i386_getpid);
  if (!plain.reported || plain.value != 0) {
    WARN("this kernel runs no 32-bit x86 syscalls (no IA32 emulation): skipped");
    return;
  }
  auto program = compile_default(kDockerDefaultCaps);
  CHECK(filtered(program, probe_i386_getpid) == 0);
  CHECK(filtered(program, probe_i386_kexec_load) == EPERM);
  CHECK(filtered(program, probe_i386_future_syscall) == ENOSYS);
}
#endif

// ---- Custom profiles ------------------------------------------------------

TEST_CASE("a custom allow-list profile compiles and works", "[seccomp]") {
  auto program = compile_json(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 13,
    "syscalls": [
      {"names": ["read", "write", "close", "exit", "exit_group", "rt_sigreturn", "getpid"],
       "action": "SCMP_ACT_ALLOW"},
      {"names": ["no_such_syscall_anywhere"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["getppid"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
      {"names": ["gettid"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "3.0"}},
      {"names": ["getuid"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "3.0"}},
      {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95},
      {"names": ["dup"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_LE"}]},
      {"names": ["umask"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 448, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
    ]
  })");
  CHECK(filtered(program, probe_getpid) == 0);
  CHECK(filtered(program, probe_getuid) == 13);   // the default: defaultErrnoRet
  CHECK(filtered(program, probe_getppid) == 13);  // minKernel 99.0 not reached
  CHECK(filtered(program, probe_gettid) == 0);    // minKernel 3.0 reached
  CHECK(filtered(program, probe_bpf) == 95);      // the rule's errnoRet
  CHECK(filtered(program, probe_dup_stdout) == 0);
  CHECK(filtered(program, probe_dup_high) == 13);
  CHECK(filtered(program, probe_umask_group) == 0);
  CHECK(filtered(program, probe_umask_owner) == 13);
  // Two conditions on one argument are alternatives, as docker and runc read them.
  CHECK(filtered(program, probe_personality_0) == 0);
  CHECK(filtered(program, probe_personality_8) == 0);
  CHECK(filtered(program, probe_personality_9) == 13);
  CHECK(filtered(program, probe_future_syscall) == ENOSYS);
}

TEST_CASE("kill actions kill the calling process with SIGSYS", "[seccomp]") {
  for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD"}) {
    INFO(action);
    std::string text = std::string(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [)") +
                       R"({"names": ["getppid"], "action": ")" + action + R"("}]})";
    auto program = compile_json(text.c_str());
    CHECK(filtered(program, probe_getpid) == 0);
    ChildResult r = run_child(&program, probe_getppid);
    CHECK_FALSE(r.reported);
    CHECK(r.signal == SIGSYS);
  }
}

TEST_CASE("includes and excludes of capabilities decide a rule", "[seccomp]") {
  auto profile = parse_seccomp_profile(Json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
      {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95,
       "includes": {"caps": ["CAP_A", "CAP_B"]}},
      {"names": ["gettid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95, "excludes": {"caps": ["CAP_A"]}}
    ]
  })"));
  REQUIRE_OK(profile);
  auto compile = [&](std::vector<std::string> caps) {
    auto program = compile_seccomp(*profile, caps);
    REQUIRE_OK(program);
    return *program;
  };
  auto none = compile({});
  CHECK(filtered(none, probe_getppid) == 0);
  CHECK(filtered(none, probe_gettid) == 95);
  auto a = compile({"CAP_A"});
  CHECK(filtered(a, probe_getppid) == 0);  // includes needs every listed cap
  CHECK(filtered(a, probe_gettid) == 0);
  auto ab = compile({"CAP_A", "CAP_B"});
  CHECK(filtered(ab, probe_getppid) == 95);
  CHECK(filtered(ab, probe_gettid) == 0);
}

TEST_CASE("a profile without defaultAction or syscalls disables seccomp", "[seccomp]") {
  auto program = compile_json("{}");
  CHECK(program.empty());
  CHECK(load_seccomp(program).ok());
}

// ---- Errors ---------------------------------------------------------------

TEST_CASE("load_seccomp_profile reads a file", "[seccomp]") {
  test::TempDir dir;
  REQUIRE_OK(write_file_atomically(dir / "p.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]})"));
  auto profile = load_seccomp_profile(dir / "p.json");
  REQUIRE_OK(profile);
  auto program = compile_seccomp(*profile, {});
  REQUIRE_OK(program);
  CHECK(filtered(*program, probe_getppid) == EPERM);  // ERRNO without errnoRet means EPERM
}

TEST_CASE("load_seccomp_profile: a missing file", "[seccomp]") {
  test::TempDir dir;
  auto profile = load_seccomp_profile(dir / "missing.json");
  REQUIRE_FALSE(profile.ok());
  CHECK(profile.error().errnum() == ENOENT);
  CHECK_THAT(profile.error().text(), Contains("seccomp profile") && Contains(dir / "missing.json") &&
                                         Contains("No such file or directory"));
}

TEST_CASE("load_seccomp_profile: bad JSON", "[seccomp]") {
  CHECK_THAT(load_error(R"({"defaultAction": )"), Contains("seccomp profile") && Contains("parse"));
  CHECK_THAT(load_error("[1, 2]"), Contains("expected a JSON object, found array"));
}

TEST_CASE("load_seccomp_profile: an unknown action", "[seccomp]") {
  std::string text = load_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["getppid"], "action": "SCMP_ACT_MAYBE"}]})");
  CHECK_THAT(text, Contains("syscalls[1].action: unknown action `SCMP_ACT_MAYBE`"));
  CHECK_THAT(load_error(R"({"defaultAction": "ALLOW"})"), Contains("defaultAction: unknown action `ALLOW`"));
}

TEST_CASE("load_seccomp_profile: an unknown operator", "[seccomp]") {
  std::string text = load_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["dup"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": 1, "op": "SCMP_CMP_SIMILAR"}]}]})");
  CHECK_THAT(text, Contains("syscalls[0].args[1].op: unknown operator `SCMP_CMP_SIMILAR`"));
}

TEST_CASE("parse_seccomp_profile names each bad field", "[seccomp]") {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]})", "defaultAction: missing"},
      {R"({"defaultAction": 1})", "defaultAction: expected a string, found number"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})",
       "defaultErrnoRet: expected a number of at least 0"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000})",
       "defaultErrnoRet: errno 5000 is out of range"},
      {R"({"defaultAction": "SCMP_ACT_NOTIFY"})", "`SCMP_ACT_NOTIFY` is not supported"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}})", "syscalls: expected an array, found object"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"]}]})",
       "syscalls[0].action: missing"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "a", "action": "SCMP_ACT_ALLOW"}]})",
       "syscalls[0].names: expected an array of strings, found string"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO",
          "syscalls": [{"names": ["a", 7], "action": "SCMP_ACT_ALLOW"}]})",
       "syscalls[0].names[1]: expected a string, found number"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO",
          "syscalls": [{"name": "a", "names": ["a"], "action": "SCMP_ACT_ALLOW"}]})",
       "syscalls[0]: both `name` and `names` are given"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].index: 6 is not a syscall argument (0-5)"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 0, "value": 1}]}]})",
       "syscalls[0].args[0].op: missing"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 0, "value": 1.5, "op": "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].value: expected a whole number, found 1.5"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
          "includes": {"minKernel": "4"}}]})",
       "syscalls[0].includes.minKernel: invalid kernel version `4`"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
          "excludes": {"caps": "CAP_SYS_ADMIN"}}]})",
       "syscalls[0].excludes.caps: expected an array of strings, found string"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_VAX"]})",
       "architectures[0]: unknown architecture `SCMP_ARCH_VAX`"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"],
          "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})",
       "both `architectures` and `archMap` are given"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    auto profile = parse_seccomp_profile(Json::parse(c.json));
    REQUIRE_FALSE(profile.ok());
    CHECK_THAT(profile.error().text(), Contains(c.message));
  }
}

TEST_CASE("compile_seccomp reports a bad profile it is handed", "[seccomp]") {
  auto program = compile_seccomp(SeccompProfile{Json::parse(R"({"defaultAction": "SCMP_ACT_NOPE"})")}, {});
  REQUIRE_FALSE(program.ok());
  CHECK_THAT(program.error().text(),
             Contains("seccomp profile: defaultAction: unknown action `SCMP_ACT_NOPE`"));
}

TEST_CASE("profiles with explicit architectures compile", "[seccomp]") {
  auto program = compile_json(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
      "syscalls": [{"names": ["read", "write", "exit_group", "getpid"], "action": "SCMP_ACT_ALLOW"}]})");
  CHECK(filtered(program, probe_getpid) == 0);
  CHECK(filtered(program, probe_getuid) == EPERM);
}
