// skiff-init: the first program of every container, run from a sealed memfd
// (src/linux/init_binary.h says why), so that no process in the container is
// ever the host's skiff binary.
//
//   skiff-init [-i] [-p] [-s FD] -- PROGRAM [ARG...]
//
// It finds PROGRAM as docker does (runc's Go exec.LookPath over the
// container's PATH) and execs it with the environment it was given. With -i it
// stays PID 1 instead, as docker's --init (tini) does: PROGRAM runs in a
// child, every signal the init receives is forwarded to it, every child that
// ends up orphaned to the init is reaped, and the init exits with PROGRAM's
// code (128+N when signal N killed it). With -p it is killed when its parent
// (the container's monitor) dies.
//
// If PROGRAM can't be executed, the init says why with docker's words and
// exits 127 (not found) or 126 (not executable): on the -s socket as one
// SyncSocket error frame when given, on stderr otherwise. A successful exec
// closes that socket (it is made close-on-exec), so its reader sees EOF.
//
// C, linked statically with musl: it runs in the container's root, where no
// library of the host is, and it starts in 0.05 ms of CPU where a static
// glibc spends 0.45 ms asking the CPU (cpuid, a hypervisor exit each on a
// virtual machine) for cache sizes it would never use. No allocation; argv
// is passed on as it came.
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char** environ;

enum { kExitInitFailed = 125, kExitCannotExecute = 126, kExitNotFound = 127 };

// runc's default when the container's environment has no PATH.
static const char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// src/linux/sync_socket.cc's frame: this header, then the message bytes.
struct FrameHeader {
  uint32_t kind;
  int32_t errnum;
};
enum { kFrameError = 3 };

// The -s socket, or -1: where a failure is reported.
static int g_sync_fd = -1;

// Reports a failure (on the sync socket, else on stderr) and exits `code`.
__attribute__((noreturn, format(printf, 3, 4))) static void fail(int code, int errnum, const char* format, ...) {
  enum { kCapacity = 4096 };  // a longer message is cut short
  char frame[sizeof(struct FrameHeader) + kCapacity];
  char* message = frame + sizeof(struct FrameHeader);
  va_list args;
  va_start(args, format);
  int n = vsnprintf(message, kCapacity, format, args);
  va_end(args);
  size_t length = n < 0 ? 0 : (size_t)n;
  if (length >= kCapacity) length = kCapacity - 1;
  if (g_sync_fd >= 0) {
    struct FrameHeader header = {kFrameError, errnum};
    memcpy(frame, &header, sizeof header);
    // One send is one frame on SOCK_SEQPACKET. MSG_NOSIGNAL: a reader that is
    // gone must not kill us with SIGPIPE before we exit with the right code.
    while (send(g_sync_fd, frame, sizeof header + length, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
  } else {
    dprintf(STDERR_FILENO, "skiff-init: %.*s\n", (int)length, message);
  }
  _exit(code);
}

// An errno as Go prints it. Go's words for what execve and fork can fail
// with (musl words some of them otherwise); any other, musl's, lowercased.
static const char* go_strerror(int errnum, char* buffer, size_t size) {
  switch (errnum) {
    case E2BIG: return "argument list too long";
    case EACCES: return "permission denied";
    case EAGAIN: return "resource temporarily unavailable";
    case EBADF: return "bad file descriptor";
    case EFAULT: return "bad address";
    case EINVAL: return "invalid argument";
    case EIO: return "input/output error";
    case EISDIR: return "is a directory";
    case ELIBBAD: return "accessing a corrupted shared library";
    case ELOOP: return "too many levels of symbolic links";
    case EMFILE: return "too many open files";
    case ENAMETOOLONG: return "file name too long";
    case ENFILE: return "too many open files in system";
    case ENOENT: return "no such file or directory";
    case ENOEXEC: return "exec format error";
    case ENOMEM: return "cannot allocate memory";
    case ENOTDIR: return "not a directory";
    case EPERM: return "operation not permitted";
    case ETXTBSY: return "text file busy";
  }
  snprintf(buffer, size, "%s", strerror(errnum));
  buffer[0] = (char)tolower((unsigned char)buffer[0]);
  return buffer;
}

// A regular file with any execute bit: what Go's exec.LookPath accepts.
static bool is_executable_file(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

// Go's exec.LookPath: a name with a '/' is used as is; otherwise the first
// executable file in PATH's entries, where an empty entry is the current
// directory. Like Go, a PATH that is set but empty has no entries. Fails
// (exit 127) when nothing is found. `buffer` holds the joined path.
static const char* find_program(const char* name, char* buffer, size_t size) {
  if (strchr(name, '/')) return name;
  const char* path = getenv("PATH");
  if (!path) path = kDefaultPath;
  const char* entry = *path ? path : NULL;  // Go splits "" into no entries
  while (entry) {
    const char* end = strchrnul(entry, ':');
    int dir_length = (int)(end - entry);
    // Go joins "" and name to "name"; "./name" is the same file.
    int n = dir_length == 0 ? snprintf(buffer, size, "./%s", name)
                            : snprintf(buffer, size, "%.*s/%s", dir_length, entry, name);
    if (n > 0 && (size_t)n < size && is_executable_file(buffer)) return buffer;
    entry = *end ? end + 1 : NULL;
  }
  fail(kExitNotFound, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

// Finds and executes argv[0]; returns only by exiting with docker's code.
__attribute__((noreturn)) static void exec_program(char** argv) {
  char path_buffer[4096];
  const char* path = find_program(argv[0], path_buffer, sizeof path_buffer);
  execve(path, argv, environ);
  int err = errno;
  char reason[256];
  fail(err == ENOENT ? kExitNotFound : kExitCannotExecute, err, "exec: \"%s\": %s", path,
       go_strerror(err, reason, sizeof reason));
}

// Child of -i: undo what the init set up for itself, then run the program
// in its own process group, in the terminal's foreground if it has one.
__attribute__((noreturn)) static void run_child(char** argv) {
  // Every handler back to the default (the init ignores SIGTTIN/SIGTTOU/
  // SIGTSTP, and an ignored signal stays ignored across execve). Errors are
  // expected for SIGKILL, SIGSTOP and the C library's internal signals.
  struct sigaction default_action = {0};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, NULL);

  // Its own process group, as tini does, so that a terminal's job control
  // signals go to it and not to the init. All signals are still blocked, so
  // tcsetpgrp from what is now a background group doesn't stop us with
  // SIGTTOU. tcgetsid fails unless stdin is our controlling terminal.
  setpgid(0, 0);
  if (isatty(STDIN_FILENO) && tcgetsid(STDIN_FILENO) == getsid(0)) tcsetpgrp(STDIN_FILENO, getpgrp());

  // The program starts with no signal blocked, as it would without -i.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  exec_program(argv);
}

// PID 1 of -i: forward signals to `child` and reap until it is gone.
__attribute__((noreturn)) static void supervise(pid_t child, const sigset_t* all) {
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(all, &info);
    if (sig < 0) continue;  // EINTR (a ptrace stop); nothing else can fail
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    // SIGCHLD is not queued per child: one may stand for many. Reap every
    // child that has ended, orphans re-parented to us included.
    for (;;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;  // 0: the rest still run; -1 ECHILD: none left
      if (pid != child) continue;
      if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
      _exit(WEXITSTATUS(status));
    }
  }
}

__attribute__((noreturn)) static void usage(void) {
  fail(kExitInitFailed, 0, "usage: skiff-init [-i] [-p] [-s FD] -- PROGRAM [ARG...]");
}

int main(int argc, char** argv) {
  bool stay_init = false;
  bool die_with_parent = false;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; ++i) {
    if (strcmp(argv[i], "-i") == 0) {
      stay_init = true;
    } else if (strcmp(argv[i], "-p") == 0) {
      die_with_parent = true;
    } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
      char* end;
      errno = 0;
      long fd = strtol(argv[++i], &end, 10);
      if (errno != 0 || end == argv[i] || *end != '\0' || fd < 0 || fd > INT32_MAX) usage();
      g_sync_fd = (int)fd;
      // Closed by a successful exec: EOF tells the reader the exec worked.
      if (fcntl(g_sync_fd, F_SETFD, FD_CLOEXEC) != 0) {
        int err = errno;
        g_sync_fd = -1;
        char reason[256];
        fail(kExitInitFailed, err, "sync socket %ld: %s", fd, go_strerror(err, reason, sizeof reason));
      }
    } else {
      usage();
    }
  }
  if (i + 1 >= argc) usage();  // no "--", or nothing after it
  char** program_argv = argv + i + 1;

  // -p: the container ends with its monitor (skiff), which has nobody else to
  // report to. The parent-death signal skiff's child set was cleared when
  // it changed credentials, so it is set again here, after the last change.
  // A monitor already gone by now shows as a hang-up on the sync socket.
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (g_sync_fd >= 0) {
      struct pollfd monitor = {g_sync_fd, POLLRDHUP, 0};
      if (poll(&monitor, 1, 0) > 0 && (monitor.revents & (POLLHUP | POLLRDHUP))) _exit(kExitInitFailed);
    }
  }

  if (!stay_init) exec_program(program_argv);

  // Every signal is blocked before the fork, so none is lost or acted on by
  // default in the gap: the child inherits the mask and clears it just before
  // exec; the init takes them one by one with sigwaitinfo. (A blocked signal
  // is queued even for a PID 1 with the default action, which the kernel
  // would otherwise drop.)
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  // The init itself must never stop for a terminal's job control; these are
  // still queued while blocked, and forwarded like any other signal.
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  // An ignored SIGCHLD (inherited across execve) would make the kernel reap
  // our children itself, and we would never learn the program's exit code.
  signal(SIGCHLD, SIG_DFL);

  pid_t child = fork();
  if (child < 0) {
    int err = errno;
    char reason[256];
    fail(kExitInitFailed, err, "fork: %s", go_strerror(err, reason, sizeof reason));
  }
  if (child == 0) run_child(program_argv);
  // Only the child may report an exec failure; with our copy closed, the
  // reader sees EOF as soon as the child's exec closes the last one.
  if (g_sync_fd >= 0) close(g_sync_fd);
  supervise(child, &all);
}
