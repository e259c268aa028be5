#include "engine/container_stats.h"

#include <time.h>

#include "base/fs.h"
#include "base/units.h"
#include "engine/container_processes.h"
#include "linux/proc_table.h"

namespace skiff {

namespace {

double monotonic_seconds() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string percent(double value) { return fmt::format("{:.2f}%", value); }

}  // namespace

StatsReading read_container_stats(const Container& c) {
  StatsReading r;
  r.id = c.id;
  r.name = c.name();
  r.time = monotonic_seconds();
  auto processes = list_container_processes(c);
  if (!processes.ok()) return r;
  r.running = true;
  for (const ProcessNode& node : processes->processes) {
    const ProcessStat& s = node.stat;
    r.cpu_ticks += s.utime + s.stime + s.cutime + s.cstime;
    r.memory += process_memory_bytes(s.pid, s.rss_pages);
    ProcessIo io = process_io(s.pid);
    r.block_read += io.read_bytes;
    r.block_written += io.write_bytes;
    r.pids += s.num_threads;
  }
  // The init's network namespace is the container's; with the host's
  // network, docker reports none.
  if (c.config["HostConfig"].value("NetworkMode", "none") != "host") {
    auto text = read_file("/proc/" + std::to_string(processes->init) + "/net/dev", 1 << 20);
    if (text.ok()) {
      NetworkBytes net = parse_net_dev(*text);
      r.net_received = net.received;
      r.net_sent = net.sent;
    }
  }
  return r;
}

Json stats_row(const StatsReading& before, const StatsReading& now, uint64_t memory_limit,
               const std::string& shown_as, bool no_trunc, long ticks_per_second) {
  double cpu = 0;
  double elapsed = now.time - before.time;
  // Processes that ended unwaited-for take their time with them: a counter
  // that went down counts as idle, never as negative use.
  if (now.running && before.running && before.id == now.id && elapsed > 0 && now.cpu_ticks > before.cpu_ticks)
    cpu = double(now.cpu_ticks - before.cpu_ticks) / double(ticks_per_second) / elapsed * 100.0;
  uint64_t limit = now.running ? memory_limit : 0;
  double memory_percent = limit ? double(now.memory) / double(limit) * 100.0 : 0;
  // In docker's order: its JSON is a map, keys sorted.
  return Json{
      {"BlockIO", human_size(double(now.block_read)) + " / " + human_size(double(now.block_written))},
      {"CPUPerc", percent(cpu)},
      {"Container", shown_as},
      {"ID", no_trunc ? now.id : now.id.substr(0, 12)},
      {"MemPerc", percent(memory_percent)},
      {"MemUsage", binary_size(double(now.memory)) + " / " + binary_size(double(limit))},
      {"Name", now.name},
      {"NetIO", human_size(double(now.net_received)) + " / " + human_size(double(now.net_sent))},
      {"PIDs", std::to_string(now.pids)},
  };
}

}  // namespace skiff
