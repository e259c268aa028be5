#include "engine/container_pause.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "base/fs.h"
#include "engine/container_process.h"
#include "engine/container_processes.h"
#include "engine/resource_limits.h"

namespace skiff {

namespace {

// Every PID in cgroup.procs of `dir` and of the cgroups below it.
void collect_cgroup_processes(const std::string& dir, std::vector<pid_t>& out, int depth = 0) {
  if (auto text = read_file(dir + "/cgroup.procs", 16 << 20); text.ok()) {
    std::string_view rest = *text;
    while (!rest.empty()) {
      std::string_view line = rest.substr(0, rest.find('\n'));
      rest.remove_prefix(std::min(rest.size(), line.size() + 1));
      pid_t pid = 0;
      if (std::from_chars(line.data(), line.data() + line.size(), pid).ec == std::errc()) out.push_back(pid);
    }
  }
  if (depth > 64) return;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> children;
  while (struct dirent* e = ::readdir(d))
    if (e->d_type == DT_DIR && e->d_name[0] != '.') children.push_back(dir + "/" + e->d_name);
  ::closedir(d);
  for (const auto& child : children) collect_cgroup_processes(child, out, depth + 1);
}

struct FreezerTarget {
  FreezerFacts facts;
  std::string dir;  ///< the cgroup's folder
};

Result<FreezerTarget> freezer_target(const Container& c) {
  ContainerProcesses processes = TRY(list_container_processes(c));
  FreezerTarget t;
  CgroupFacts host = read_cgroup_facts();
  t.facts.layout = host.layout;
  for (const auto& node : processes.processes) t.facts.container_processes.push_back(node.stat.pid);
  if (host.v2_mount.empty()) return t;
  // The init's path as our cgroup namespace sees it (the container's own
  // namespace doesn't change what the host reads).
  auto text = read_file("/proc/" + std::to_string(processes.init) + "/cgroup", 1 << 20);
  if (!text.ok()) return t;
  t.facts.cgroup = unified_cgroup_path(parse_proc_cgroup(*text)).value_or("");
  if (t.facts.cgroup.empty()) return t;
  t.dir = t.facts.cgroup == "/" ? host.v2_mount : host.v2_mount + t.facts.cgroup;
  std::string freeze = t.dir + "/cgroup.freeze";
  t.facts.freeze_file = ::access(freeze.c_str(), F_OK) == 0;
  t.facts.freeze_writable = ::access(freeze.c_str(), W_OK) == 0;
  collect_cgroup_processes(t.dir, t.facts.cgroup_processes);
  return t;
}

// Writes cgroup.freeze and waits until cgroup.events says it is done
// (frozen: every process stopped; thawed: running again).
Status set_frozen(const std::string& dir, bool frozen) {
  std::string path = dir + "/cgroup.freeze";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), frozen ? "1" : "0", 1) != 1) return errno_error("write `{}`", path);
  std::string want = frozen ? "frozen 1" : "frozen 0";
  for (int attempt = 0; attempt < 500; ++attempt) {
    auto events = read_file(dir + "/cgroup.events", 1 << 16);
    if (events.ok() && events->find(want) != std::string::npos) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return make_error("`{}` did not report `{}` within 5 seconds", dir + "/cgroup.events", want);
}

}  // namespace

std::string freezer_obstacle(const FreezerFacts& f, uid_t uid) {
  std::string how =
      std::string("pausing needs the container in a delegated cgroup v2 subtree: ") + kCgroupDelegationHow;
  if (f.layout == CgroupLayout::kNone || f.layout == CgroupLayout::kV1)
    return "this host has no cgroup v2 hierarchy, and only cgroup v2 has a freezer skiff uses; " + how;
  const char* host = f.layout == CgroupLayout::kHybrid ? "cgroup v1 hybrid host: " : "";
  if (f.cgroup.empty())
    return fmt::format("{}the container's process is in no cgroup v2 cgroup; {}", host, how);
  if (f.cgroup == "/" || !f.freeze_file)
    return fmt::format("{}the container is in the root of the cgroup v2 hierarchy, which can't be frozen; {}",
                       host, how);
  if (!f.freeze_writable)
    return fmt::format(
        "{}the container's cgroup `{}` is not delegated to uid {} (its cgroup.freeze is not writable); {}",
        host, f.cgroup, uid, how);
  size_t others = 0;
  for (pid_t pid : f.cgroup_processes)
    if (std::find(f.container_processes.begin(), f.container_processes.end(), pid) ==
        f.container_processes.end())
      ++others;
  if (others > 0)
    return fmt::format(
        "the container has no cgroup of its own: `{}` also holds {} other process{}, which freezing it would "
        "stop too (a container gets its own cgroup when skiff starts it from a cgroup delegated to the user; "
        "{})",
        f.cgroup, others, others == 1 ? "" : "es", how);
  return "";
}

Status pause_container(const Store&, const Container& c) {
  if (c.status() == "paused") return make_error("Container {} is already paused", c.name());
  FreezerTarget target = TRY(freezer_target(c));
  if (std::string why = freezer_obstacle(target.facts, ::geteuid()); !why.empty())
    return make_error("{}", why);
  TRY(set_frozen(target.dir, true));
  // Frozen processes can't end, so the monitor records nothing meanwhile.
  Container paused = c;
  paused.state["Status"] = "paused";
  paused.state["Paused"] = true;
  return save_container_state(paused, false);
}

Status unpause_container(const Store&, const Container& c) {
  if (c.status() != "paused") return make_error("Container {} is not paused", c.name());
  FreezerTarget target = TRY(freezer_target(c));
  if (std::string why = freezer_obstacle(target.facts, ::geteuid()); !why.empty())
    return make_error("{}", why);
  // "running" is recorded before the thaw: a container that ends right
  // after it must find its monitor's "exited" last.
  Container running = c;
  running.state["Status"] = "running";
  running.state["Paused"] = false;
  TRY(save_container_state(running, false));
  Status thawed = set_frozen(target.dir, false);
  if (!thawed.ok()) (void)save_container_state(c, false);
  return thawed;
}

}  // namespace skiff
