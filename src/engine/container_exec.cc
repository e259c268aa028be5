#include "engine/container_exec.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/pipe.h"
#include "engine/container_options.h"
#include "engine/container_security.h"
#include "engine/foreground.h"
#include "engine/resource_limits.h"
#include "image/user_spec.h"
#include "linux/cgroup.h"
#include "linux/init_binary.h"
#include "linux/namespace_join.h"
#include "linux/path_in_root.h"
#include "linux/process_info.h"
#include "linux/process_setup.h"
#include "linux/userns.h"

namespace skiff {

namespace {

Error not_running(const Container& c) { return make_error("container `{}` is not running", c.name()); }

// Whether a process can be started in `c` now: running and not paused (an
// exec'd process would join the frozen cgroup; docker's words).
Status check_can_exec(const Container& c) {
  if (c.status() == "paused")
    return make_error("Container {} is paused, unpause the container before exec", c.name());
  if (c.status() != "running") return not_running(c);
  return {};
}

// docker's exec environment: PATH, HOSTNAME and (with a tty) TERM, each
// replaced by the container's own, then the exec's.
std::vector<std::string> exec_environment(const Container& c, const ExecOptions& o) {
  const Json& cc = c.config["Config"];
  std::vector<std::string> env{kDefaultPath, "HOSTNAME=" + cc.value("Hostname", "")};
  if (o.tty) env.push_back("TERM=xterm");
  env = merge_env(env, json_strings(cc["Env"]));
  return merge_env(env, o.env);
}

// What the process inside needs, decided before the fork (the parent may
// allocate and compile; the child only carries it out).
struct ExecPlan {
  InitExec init;
  std::string user;
  std::vector<std::string> group_add;
  std::string cwd;
  bool tty = false;
  std::optional<struct winsize> window;
  int stdio[3] = {-1, -1, -1};
  int null_fd = -1;
};

// Process inside the container's namespaces, root of its user namespace,
// `/` its root; undumpable. Returns only on failure.
Status exec_child(const ExecPlan& plan, SyncSocket& sock) {
  reset_signal_handling();
  // The user from the container's own /etc/passwd and /etc/group, read by
  // descriptor inside its root (never NSS, never a symlink out).
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errno_error("open the container's root");
  UniqueFd root_dir = TRY(open_directory_in_root(root.get(), ""));
  InitExec init = plan.init;
  init.user = TRY(std::move(resolve_exec_user_in_root(root_dir.get(), plan.user, plan.group_add))
                      .wrap("resolve user `{}`", plan.user));
  if (plan.tty) TRY(set_up_pty(plan.window, sock, init.user));
  TRY(install_stdio(plan.stdio, plan.tty, plan.null_fd));
  if (::chdir(plan.cwd.c_str()) != 0) return errno_error("enter working directory `{}`", plan.cwd);
  return exec_init(init, sock);
}

}  // namespace

Result<ExecProcess> start_exec(const Store& store, const Container& c, const ExecOptions& o) {
  TRY(check_can_exec(c));
  if (o.command.empty()) return make_error("no command given");
  pid_t init_pid = c.state.value("Pid", 0);
  auto pidfd = open_process(init_pid, c.state.value("PidStartTime", uint64_t(0)));
  if (!pidfd.ok() && pidfd.error().errnum() == ESRCH) return not_running(c);
  if (!pidfd.ok()) return std::move(pidfd).error();
  auto flags = namespaces_to_join(pidfd->get(), init_pid);
  if (!flags.ok() && flags.error().errnum() == ESRCH) return not_running(c);
  if (!flags.ok()) return std::move(flags).error();

  // The init's privileges, or every capability with --privileged (the
  // seccomp program stays the container's, as docker's exec does).
  ContainerSecurity security = TRY(container_security(store, c));
  if (o.privileged) security.capabilities = TRY(resolve_capabilities({}, {}, true));
  const IdMapping& mapping = current_id_mapping();
  const Json& cc = c.config["Config"];
  UniqueFd init_binary = TRY(open_init_binary());
  // The host's /dev/null, opened here: inside, the container decides what
  // /dev/null is.
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return errno_error("open `/dev/null`");

  ExecPlan plan;
  plan.init = {.argv = o.command,
               .env = exec_environment(c, o),
               .user = {},
               .may_setgroups = mapping.identity || mapping.gids.size() > 1,
               .capabilities = security.capabilities,
               .seccomp = &security.seccomp,
               .no_new_privileges = security.no_new_privileges,
               .stay_init = false,
               .init_fd = init_binary.get()};
  plan.user = o.user.value_or(cc.value("User", ""));
  plan.group_add = json_strings(c.config["HostConfig"]["GroupAdd"]);
  plan.cwd = o.workdir.value_or(cc.value("WorkingDir", ""));
  if (plan.cwd.empty()) plan.cwd = "/";
  if (plan.cwd[0] != '/') return make_error("the working directory `{}` is not an absolute path", plan.cwd);
  plan.tty = o.tty;
  plan.window = o.window;
  for (int i = 0; i < 3; ++i) plan.stdio[i] = o.stdio[i];
  plan.null_fd = null.get();

  ExecProcess out;
  UniqueFd output_writers[2];
  if (o.capture_output) {
    for (int k = 0; k < 2; ++k) {
      auto [r, w] = TRY(make_pipe());
      out.output[k] = std::move(r);
      output_writers[k] = std::move(w);
      plan.stdio[k + 1] = output_writers[k].get();
    }
  }

  auto socks = TRY(SyncSocket::make_pair());
  SyncSocket parent_sock = std::move(socks.first), child_sock = std::move(socks.second);
  // Into the container's own cgroup, if it has one: its limits count the
  // command's processes too.
  CgroupToJoin cgroup{container_cgroup_of(init_pid, c.id),
                      !limits_to_enforce(recorded_resource_limits(c.config["HostConfig"])).empty()};
  auto spawned = spawn_in_namespaces(
      pidfd->get(), *flags,
      [&]() -> int {
        parent_sock.close();
        Status failed = exec_child(plan, child_sock);
        (void)child_sock.send_error(failed.error());
        return kExitSkiffFailed;
      },
      cgroup);
  if (!spawned.ok() && spawned.error().errnum() == ESRCH) return not_running(c);
  if (!spawned.ok()) return std::move(spawned).error().wrap("enter container `{}`", c.name());
  out.process = std::move(*spawned);
  // Parent: the command's copies are all it needs; ours would keep its
  // pipes open after it ended.
  child_sock.close();
  for (auto& w : output_writers) w.reset();

  if (o.tty) out.pty_master = TRY(parent_sock.receive_fd("container"));
  TRY(wait_for_init_exec(parent_sock, out.process));
  // Our own unreaped child: its PID can't be reused, so the pidfd is its.
  out.pidfd.reset(int(::syscall(SYS_pidfd_open, out.process.pid(), 0)));
  if (!out.pidfd) return errno_error("open the exec'd process");
  return out;
}

Result<int> exec_in_container(const Store& store, const ExecRequest& request) {
  Container c = TRY(find_container(store, request.container));
  TRY(check_can_exec(c));
  ExecOptions options = request.options;
  // The environment: the container's, then --env-file, then -e, as docker.
  EnvLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  for (const auto& file : request.env_files) {
    std::string text = TRY(std::move(read_file(file, 1 << 20)).wrap("read env file `{}`", file));
    options.env =
        merge_env(options.env, TRY(std::move(parse_env_file(text, lookup)).wrap("env file `{}`", file)));
  }
  for (const auto& e : request.env) {
    auto entry = TRY(parse_env_entry(e, lookup));
    if (entry) options.env = merge_env(options.env, {*entry});
  }

  if (request.detach) {
    // docker's exec -d: nothing attached, no terminal; the command goes on
    // after we return (then a child of whoever reaps orphans).
    options.tty = false;
    ExecProcess started = TRY(start_exec(store, c, options));
    started.process.release();
    return 0;
  }
  ForegroundSession session;
  TRY(session.prepare({.tty = options.tty, .interactive = request.interactive, .attach = true}));
  for (int i = 0; i < 3; ++i) options.stdio[i] = session.container_stdio()[i];
  if (options.tty) options.window = session.window();
  ExecProcess started = TRY(start_exec(store, c, options));
  int status = TRY(session.relay(started.process.pid(), std::move(started.pty_master)));
  started.process.release();  // reaped by relay()
  return wait_status_exit_code(status);
}

}  // namespace skiff
