#include "engine/container_processes.h"

#include <unistd.h>

#include <unordered_map>

#include "engine/container_process.h"
#include "linux/process_info.h"

namespace skiff {

std::vector<size_t> select_container_processes(const std::vector<ProcessNode>& table, pid_t init,
                                               uint64_t init_namespace) {
  std::unordered_map<pid_t, std::vector<size_t>> children;
  std::vector<size_t> pending;
  for (size_t i = 0; i < table.size(); ++i) {
    const ProcessNode& node = table[i];
    children[node.stat.ppid].push_back(i);
    if (node.stat.pid == init || (init_namespace != 0 && node.pid_namespace == init_namespace))
      pending.push_back(i);
  }
  bool init_found = false;
  for (size_t i : pending) init_found = init_found || table[i].stat.pid == init;
  if (!init_found) return {};
  std::vector<bool> member(table.size(), false);
  while (!pending.empty()) {
    size_t i = pending.back();
    pending.pop_back();
    if (member[i]) continue;
    member[i] = true;
    auto found = children.find(table[i].stat.pid);
    if (found != children.end()) pending.insert(pending.end(), found->second.begin(), found->second.end());
  }
  std::vector<size_t> out;
  for (size_t i = 0; i < table.size(); ++i)
    if (member[i]) out.push_back(i);
  return out;
}

Result<ContainerProcesses> list_container_processes(const Container& c) {
  // The pidfd proves the recorded PID is still the container's init; the
  // start time is checked again once the table is read.
  UniqueFd init_fd = TRY(open_container_init(c));
  pid_t init = c.state.value("Pid", 0);
  uint64_t start_time = c.state.value("PidStartTime", uint64_t(0));
  uint64_t init_namespace = pid_namespace_of(init);
  // An init in our own PID namespace (never made by skiff) would make every
  // host process a member: only descendants count then.
  if (init_namespace == pid_namespace_of(::getpid())) init_namespace = 0;
  std::vector<ProcessNode> table = read_process_table();
  std::vector<size_t> members = select_container_processes(table, init, init_namespace);
  if (members.empty() || process_start_time(init) != start_time)
    return make_error("container {} is not running", c.name());
  ContainerProcesses out;
  out.init = init;
  for (size_t i : members) out.processes.push_back(std::move(table[i]));
  return out;
}

}  // namespace skiff
