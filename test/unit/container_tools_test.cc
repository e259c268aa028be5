// top, stats, port, diff, pause and the resource limit flags: the pure
// pieces. Expected strings are what procps's `ps -ef`, docker's CLI and
// dockerd print for the same input.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "engine/container_diff.h"
#include "engine/container_pause.h"
#include "engine/container_ports.h"
#include "engine/container_processes.h"
#include "engine/container_stats.h"
#include "engine/container_top.h"
#include "engine/resource_limits.h"
#include "linux/proc_table.h"

using namespace skiff;

namespace {

ProcessNode node(pid_t pid, pid_t ppid, uint64_t ns) {
  ProcessNode n;
  n.stat.pid = pid;
  n.stat.ppid = ppid;
  n.pid_namespace = ns;
  return n;
}

std::vector<pid_t> pids_of(const std::vector<ProcessNode>& table, const std::vector<size_t>& indexes) {
  std::vector<pid_t> out;
  for (size_t i : indexes) out.push_back(table[i].stat.pid);
  return out;
}

struct tm day(int year, int yday, int hour, int minute, int month = 0, int mday = 1) {
  struct tm t {};
  t.tm_year = year - 1900;
  t.tm_yday = yday;
  t.tm_mon = month;
  t.tm_mday = mday;
  t.tm_hour = hour;
  t.tm_min = minute;
  return t;
}

// /proc/self/cgroup and the v2 folder's files of a user session.
CgroupFiles session(bool unified) {
  CgroupFiles f;
  if (unified) {
    f.proc_self_cgroup = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/skiff.scope\n";
    f.root_is_cgroup2 = true;
  } else {
    f.proc_self_cgroup =
        "12:pids:/user.slice/user-1000.slice\n4:memory:/user.slice\n2:cpu,cpuacct:/\n"
        "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n0::/user.slice/user-1000.slice/"
        "session-3.scope\n";
    f.unified_is_cgroup2 = true;
  }
  f.dir_exists = true;
  return f;
}

ResourceLimitFlags limit_flags(std::string memory, std::string swap = "", std::string cpus = "",
                               int64_t pids = 0) {
  ResourceLimitFlags f;
  f.memory = std::move(memory);
  f.memory_swap = std::move(swap);
  f.cpus = std::move(cpus);
  f.pids_limit = pids;
  return f;
}

ResourceLimits memory_limit() {
  ResourceLimits l;
  l.memory = 512 << 20;
  return l;
}

}  // namespace

// ---- /proc --------------------------------------------------------------

TEST_CASE("parse_proc_stat reads the fields top and stats need", "[tools]") {
  auto s = parse_proc_stat(
      "4242 (my (odd) cmd) S 4200 4242 4242 34817 4242 4194560 120 0 0 0 250 75 3 4 20 0 2 0 987654 "
      "8192000 523 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
  REQUIRE(s);
  CHECK(s->pid == 4242);
  CHECK(s->comm == "my (odd) cmd");
  CHECK(s->state == 'S');
  CHECK(s->ppid == 4200);
  CHECK(s->tty_nr == 34817);
  CHECK(s->utime == 250);
  CHECK(s->stime == 75);
  CHECK(s->cutime == 3);
  CHECK(s->cstime == 4);
  CHECK(s->num_threads == 2);
  CHECK(s->start_time == 987654);
  CHECK(s->rss_pages == 523);
  CHECK_FALSE(parse_proc_stat("garbage"));
  CHECK_FALSE(parse_proc_stat("12 (x) S 1 2"));
}

TEST_CASE("the /proc parsers of io, smaps_rollup and net/dev", "[tools]") {
  ProcessIo io = parse_proc_io(
      "rchar: 100\nwchar: 50\nsyscr: 3\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 8192\n"
      "cancelled_write_bytes: 0\n");
  CHECK(io.read_bytes == 4096);
  CHECK(io.write_bytes == 8192);
  CHECK(parse_proc_io("").read_bytes == 0);

  CHECK(parse_smaps_rollup_pss("55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:  1200 kB\nPss:  300 kB\n") ==
        uint64_t(300 * 1024));
  CHECK_FALSE(parse_smaps_rollup_pss("Rss: 12 kB\n"));

  NetworkBytes net = parse_net_dev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo "
      "colls "
      "carrier compressed\n"
      "    lo:   1000      10    0    0    0     0          0         0     1000      10    0    0    0     "
      "0       0 "
      "         0\n"
      "  tap0:   5000      40    0    0    0     0          0         0      700       7    0    0    0     "
      "0       0 "
      "         0\n"
      "  eth1:     10       1    0    0    0     0          0         0       20       2    0    0    0     "
      "0       0 "
      "         0\n");
  CHECK(net.received == 5010);
  CHECK(net.sent == 720);
}

TEST_CASE("select_container_processes: the init, its descendants and its PID namespace", "[tools]") {
  std::vector<ProcessNode> table = {
      node(1, 0, 10),      // host init
      node(100, 1, 10),    // the monitor
      node(101, 100, 20),  // the container's init
      node(102, 101, 20),  // its child
      node(103, 102, 20),  // a grandchild (a subordinate uid's: same namespace)
      node(200, 1, 10),    // skiff exec, on the host
      node(201, 200, 20),  // what exec started, in the container
      node(202, 201, 0),   // its child, whose namespace we may not read
      node(300, 1, 10),    // an unrelated host process
  };
  CHECK(pids_of(table, select_container_processes(table, 101, 20)) ==
        std::vector<pid_t>{101, 102, 103, 201, 202});
  // Without the namespace, descendants only.
  CHECK(pids_of(table, select_container_processes(table, 101, 0)) == std::vector<pid_t>{101, 102, 103});
  // An init that is gone: nothing, even if its namespace lingers.
  CHECK(select_container_processes(table, 999, 20).empty());
}

// ---- top ----------------------------------------------------------------

TEST_CASE("ps -ef's columns as procps writes them", "[tools]") {
  CHECK(ps_user_column(1000, std::string("alice")) == "alice");
  CHECK(ps_user_column(1000, std::string("skiffuse")) == "skiffuse");
  CHECK(ps_user_column(1001, std::string("skiff-test")) == "skiff-t+");
  CHECK(ps_user_column(200000, std::nullopt) == "200000");

  // 300 ticks of CPU over 10 whole seconds of life: 30%.
  CHECK(ps_cpu_column(300, 1000, 20.5, 100) == "30");
  CHECK(ps_cpu_column(0, 1000, 20.5, 100) == "0");
  CHECK(ps_cpu_column(100000, 1000, 20.5, 100) == "99");
  CHECK(ps_cpu_column(50, 2000, 20.5, 100) == "0");    // started less than a second ago
  CHECK(ps_cpu_column(300, 1090, 20.5, 100) == "30");  // 20 whole seconds up, started in second 10

  struct tm now = day(2026, 300, 15, 0, 9, 28);
  CHECK(ps_start_column(day(2026, 300, 9, 5, 9, 28), now) == "09:05");
  CHECK(ps_start_column(day(2026, 299, 23, 59, 9, 27), now) == "Oct27");
  CHECK(ps_start_column(day(2025, 300, 9, 5, 9, 28), now) == "2025");

  CHECK(ps_tty_column(0) == "?");
  CHECK(ps_tty_column(136 << 8 | 3) == "pts/3");
  CHECK(ps_tty_column(34817) == "pts/1");  // major 136, minor 1
  CHECK(ps_tty_column(137 << 8 | 2) == "pts/258");
  CHECK(ps_tty_column(4 << 8 | 1) == "tty1");
  CHECK(ps_tty_column(4 << 8 | 65) == "ttyS1");
  CHECK(ps_tty_column(10 << 8 | 1) == "?");

  CHECK(ps_time_column(0, 100) == "00:00:00");
  CHECK(ps_time_column(370199, 100) == "01:01:41");
  CHECK(ps_time_column(100 * (86400 + 3661), 100) == "1-01:01:01");

  CHECK(ps_command_column("sleep 60", "sleep", 'S') == "sleep 60");
  CHECK(ps_command_column("", "kworker/0:1", 'I') == "[kworker/0:1]");
  CHECK(ps_command_column("", "sh", 'Z') == "[sh] <defunct>");
}

TEST_CASE("filter_ps_output keeps the container's lines, the last column whole", "[tools]") {
  std::string out =
      "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n"
      "root           1  0.0  0.1 167000 11000 ?        Ss   Nov23   0:03 /sbin/init splash\n"
      "alice       4101  0.0  0.0   2400   900 ?        S    10:00   0:00 sleep 60\n"
      "200001      4102  0.0  0.0   2400   900 ?        S    10:00   0:00 sh -c echo hi; sleep 9\n";
  auto table = filter_ps_output(out, {4101, 4102});
  REQUIRE(table.ok());
  CHECK(table->titles.size() == 11);
  REQUIRE(table->processes.size() == 2);
  CHECK(table->processes[0][1] == "4101");
  CHECK(table->processes[0][10] == "sleep 60");
  CHECK(table->processes[1][0] == "200001");
  CHECK(table->processes[1][10] == "sh -c echo hi; sleep 9");

  auto no_pid = filter_ps_output("USER COMMAND\nroot init\n", {1});
  REQUIRE_FALSE(no_pid.ok());
  CHECK(no_pid.error().text() == "Couldn't find PID field in ps output");
}

TEST_CASE("check_ps_args refuses a column renamed to PID", "[tools]") {
  CHECK(check_ps_args({"-o", "pid,comm"}).ok());
  CHECK(check_ps_args({"aux"}).ok());
  CHECK(check_ps_args({"-o", "pid=PID"}).ok());
  auto renamed = check_ps_args({"-o", "user=PID"});
  REQUIRE_FALSE(renamed.ok());
  CHECK(renamed.error().text() == "specifying \"user=PID\" is not allowed");
  CHECK_FALSE(check_ps_args({"-o", "pid,ppid=PIDX"}).ok());
}

// ---- port ---------------------------------------------------------------

TEST_CASE("port lines in docker's format and natural order", "[tools]") {
  CHECK(published_ports(Json()).empty());
  CHECK(published_ports(Json::object()).empty());
  Json bindings = {
      {"8080/tcp", {{{"HostIp", ""}, {"HostPort", "18080"}}}},
      {"80/tcp",
       {{{"HostIp", "127.0.0.1"}, {"HostPort", "8000"}}, {{"HostIp", "::1"}, {"HostPort", "8000"}}}},
      {"53/udp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "5353"}}}},
  };
  CHECK(published_ports(bindings) ==
        std::vector<std::string>{"53/udp -> 0.0.0.0:5353", "80/tcp -> 127.0.0.1:8000", "80/tcp -> [::1]:8000",
                                 "8080/tcp -> 0.0.0.0:18080"});
  CHECK(*published_addresses(bindings, "80", "web") ==
        std::vector<std::string>{"127.0.0.1:8000", "[::1]:8000"});
  CHECK(*published_addresses(bindings, "53/udp", "web") == std::vector<std::string>{"0.0.0.0:5353"});
  auto none = published_addresses(bindings, "53", "web");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().text() == "No public port '53' published for web");
  auto empty = published_addresses(Json(), "80/tcp", "c1");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().text() == "No public port '80/tcp' published for c1");
  CHECK(published_addresses(bindings, "http", "web").error().text() == "invalid port (http)");
  CHECK(published_addresses(bindings, "70000", "web").error().text() == "invalid port (70000)");

  CHECK(natural_less("9/tcp", "10/tcp"));
  CHECK_FALSE(natural_less("10/tcp", "9/tcp"));
  CHECK(natural_less("a2", "a10"));
  CHECK(natural_less("a", "ab"));
}

// ---- stats --------------------------------------------------------------

TEST_CASE("stats_row: docker's columns from two readings", "[tools]") {
  StatsReading before;
  before.id = std::string(64, 'a');
  before.name = "web";
  before.running = true;
  before.time = 100.0;
  before.cpu_ticks = 1000;
  StatsReading now = before;
  now.time = 101.0;
  now.cpu_ticks = 1050;  // half a second of CPU in one second
  now.memory = 1572864;
  now.net_received = 1234;
  now.net_sent = 648;
  now.block_read = 4096;
  now.block_written = 0;
  now.pids = 3;
  Json row = stats_row(before, now, 8005316608ULL, "web", false, 100);
  CHECK(row["Container"] == "web");
  CHECK(row["ID"] == std::string(12, 'a'));
  CHECK(row["Name"] == "web");
  CHECK(row["CPUPerc"] == "50.00%");
  CHECK(row["MemUsage"] == "1.5MiB / 7.456GiB");
  CHECK(row["MemPerc"] == "0.02%");
  CHECK(row["NetIO"] == "1.23kB / 648B");
  CHECK(row["BlockIO"] == "4.1kB / 0B");
  CHECK(row["PIDs"] == "3");
  CHECK(stats_row(before, now, 8005316608ULL, "x", true, 100)["ID"] == std::string(64, 'a'));

  // A first reading, and a counter that went down, show no use.
  CHECK(stats_row(now, now, 1 << 30, "web", false, 100)["CPUPerc"] == "0.00%");
  CHECK(stats_row(now, before, 1 << 30, "web", false, 100)["CPUPerc"] == "0.00%");

  // A stopped container: zeros, and no limit, as docker.
  StatsReading stopped;
  stopped.id = before.id;
  stopped.name = "web";
  Json zero = stats_row(stopped, stopped, 8005316608ULL, before.id, false, 100);
  CHECK(zero["CPUPerc"] == "0.00%");
  CHECK(zero["MemUsage"] == "0B / 0B");
  CHECK(zero["MemPerc"] == "0.00%");
  CHECK(zero["NetIO"] == "0B / 0B");
  CHECK(zero["BlockIO"] == "0B / 0B");
  CHECK(zero["PIDs"] == "0");
}

// ---- diff ---------------------------------------------------------------

TEST_CASE("walk_order_less puts a folder's entries right after it", "[tools]") {
  CHECK(walk_order_less("/a", "/a/b"));
  CHECK(walk_order_less("/a/b", "/a-b"));
  CHECK(walk_order_less("/a/z", "/a0"));
  CHECK(walk_order_less("/etc", "/etc/passwd"));
  CHECK_FALSE(walk_order_less("/b", "/a/c"));
}

TEST_CASE("changes_to_show hides skiff's mount points and the folders only they fill", "[tools]") {
  auto change = [](char kind, std::string path, bool dir = false, bool mount = false, bool own = false) {
    FoundChange f;
    f.change = {kind, std::move(path)};
    f.directory = dir;
    f.mount_point = mount;
    f.own_change = own;
    return f;
  };
  std::vector<FoundChange> found = {
      change('A', "/tmp/new", false),
      change('C', "/etc", true),
      change('A', "/etc/hosts", false, true),
      change('A', "/etc/hostname", false, true),
      change('C', "/tmp", true),
      change('A', "/proc", true, true),
      change('D', "/bin/vi"),
      change('C', "/bin", true),
      change('A', "/run", true, false, true),  // made only for a mount point below it
      change('A', "/run/x", false, true),
      change('A', "/empty", true, false, true),  // mkdir /empty
      change('C', "/root", true, false, true),   // chmod 700 /root
      change('A', "/tmp/new-dir", true, false, true),
      change('A', "/tmp/new-dir/f"),
  };
  std::vector<FsChange> expected = {{'C', "/bin"},         {'D', "/bin/vi"},       {'A', "/empty"},
                                    {'C', "/root"},        {'C', "/tmp"},          {'A', "/tmp/new"},
                                    {'A', "/tmp/new-dir"}, {'A', "/tmp/new-dir/f"}};
  CHECK(changes_to_show(found) == expected);
  // A folder whose own mode changed shows even when only stubs are in it.
  std::vector<FoundChange> chmod_etc = {change('C', "/etc", true, false, true),
                                        change('A', "/etc/hosts", false, true)};
  CHECK(changes_to_show(chmod_etc) == std::vector<FsChange>{{'C', "/etc"}});
  CHECK(is_skiff_mount_point("etc/resolv.conf"));
  CHECK_FALSE(is_skiff_mount_point("etc"));
}

// ---- pause --------------------------------------------------------------

TEST_CASE("freezer_obstacle says why a container can't be frozen", "[tools]") {
  FreezerFacts v1;
  v1.layout = CgroupLayout::kV1;
  CHECK_THAT(freezer_obstacle(v1, 1000), Catch::StartsWith("this host has no cgroup v2 hierarchy"));
  CHECK_THAT(freezer_obstacle(v1, 1000), Catch::Contains("systemd.unified_cgroup_hierarchy=1"));
  CHECK_THAT(freezer_obstacle(v1, 1000), Catch::Contains("Delegate=yes"));

  FreezerFacts hybrid;
  hybrid.layout = CgroupLayout::kHybrid;
  hybrid.cgroup = "/";
  CHECK_THAT(
      freezer_obstacle(hybrid, 1000),
      Catch::StartsWith("cgroup v1 hybrid host: the container is in the root of the cgroup v2 hierarchy"));

  FreezerFacts undelegated;
  undelegated.layout = CgroupLayout::kV2;
  undelegated.cgroup = "/user.slice/user-1000.slice/session-3.scope";
  undelegated.freeze_file = true;
  CHECK_THAT(freezer_obstacle(undelegated, 1000),
             Catch::StartsWith("the container's cgroup `/user.slice/user-1000.slice/session-3.scope` is not "
                               "delegated to uid 1000"));

  FreezerFacts shared = undelegated;
  shared.freeze_writable = true;
  shared.container_processes = {50, 51};
  shared.cgroup_processes = {10, 50, 51, 12};
  CHECK_THAT(freezer_obstacle(shared, 1000), Catch::StartsWith("the container has no cgroup of its own"));
  CHECK_THAT(freezer_obstacle(shared, 1000), Catch::Contains("2 other processes"));

  FreezerFacts own = shared;
  own.cgroup_processes = {50, 51};
  CHECK(freezer_obstacle(own, 1000).empty());
}

// ---- resource limits ----------------------------------------------------

TEST_CASE("parse_memory_size reads docker's sizes", "[tools]") {
  CHECK(*parse_memory_size("1024") == 1024);
  CHECK(*parse_memory_size("64k") == 65536);
  CHECK(*parse_memory_size("512m") == 536870912);
  CHECK(*parse_memory_size("512M") == 536870912);
  CHECK(*parse_memory_size("1.5g") == 1610612736);
  CHECK(*parse_memory_size("2GiB") == 2147483648);
  CHECK(*parse_memory_size("10 mb") == 10485760);
  CHECK(*parse_memory_size("100b") == 100);
  for (const char* bad : {"", "m", "12x", "-1", "1.2.3q", "1e3", "g512"})
    CHECK_FALSE(parse_memory_size(bad).ok());
}

TEST_CASE("parse_resource_limits checks the flags as dockerd does", "[tools]") {
  ResourceLimitFlags f;
  f.memory = "512m";
  f.memory_swap = "1g";
  f.cpus = "1.5";
  f.cpu_shares = 512;
  f.pids_limit = 100;
  auto l = parse_resource_limits(f, 4);
  REQUIRE(l.ok());
  CHECK(l->memory == 536870912);
  CHECK(l->memory_swap == 1073741824);
  CHECK(l->nano_cpus == 1500000000);
  CHECK(l->cpu_shares == 512);
  CHECK(l->pids_limit == 100);
  CHECK(limits_to_enforce(*l) ==
        std::vector<std::string>{"--memory", "--memory-swap", "--cpus", "--cpu-shares", "--pids-limit"});
  CHECK(limits_to_enforce(ResourceLimits{}).empty());

  auto error_of = [](ResourceLimitFlags flags) { return parse_resource_limits(flags, 4).error().text(); };
  CHECK(error_of(limit_flags("1m")) == "Minimum memory limit allowed is 6MB");
  CHECK(error_of(limit_flags("", "1g")) ==
        "You should always set the Memory limit when using Memoryswap limit, see usage");
  CHECK(error_of(limit_flags("1g", "512m")) ==
        "Minimum memoryswap limit should be larger than memory limit, see usage");
  CHECK(error_of(limit_flags("", "", "8")) ==
        "Range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available");
  CHECK_THAT(error_of(limit_flags("", "", "abc")), Catch::StartsWith("invalid --cpus `abc`"));
  CHECK_THAT(error_of(limit_flags("", "", "0.0000000001")), Catch::StartsWith("invalid --cpus"));
  CHECK_THAT(error_of(limit_flags("lots")),
             Catch::StartsWith("invalid --memory `lots`: invalid size: 'lots'"));
  CHECK(parse_resource_limits(limit_flags("512m", "-1"), 4)->memory_swap == -1);
  CHECK(parse_resource_limits(limit_flags("", "", "", -1), 4)->pids_limit == -1);
  CHECK(limits_to_enforce(*parse_resource_limits(limit_flags("", "", "", -1), 4)).empty());
}

TEST_CASE("check_resource_limits: cgroup v1, hybrid, undelegated and delegated v2 hosts", "[tools]") {
  // cgroup v1 only: every hierarchy a v1 one.
  CgroupFiles v1;
  v1.proc_self_cgroup = "5:memory:/user.slice\n3:cpu,cpuacct:/\n2:pids:/user.slice\n";
  v1.root_is_cgroup1 = false;
  auto refused = check_resource_limits(memory_limit(), make_cgroup_facts(v1), 1000);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().text(),
             Catch::StartsWith("--memory can't be enforced on this host: cgroup v1 host"));
  CHECK_THAT(refused.error().text(), Catch::Contains("systemd.unified_cgroup_hierarchy=1"));
  CHECK_THAT(refused.error().text(), Catch::Contains("Delegate=yes"));

  // systemd's hybrid layout: the controllers are v1's; the v2 tree has none.
  CgroupFiles hybrid = session(false);
  hybrid.dir_writable = hybrid.subtree_control_writable = true;
  CgroupFacts hybrid_facts = make_cgroup_facts(hybrid);
  CHECK(hybrid_facts.layout == CgroupLayout::kHybrid);
  CHECK(hybrid_facts.v2_dir == "/sys/fs/cgroup/unified/user.slice/user-1000.slice/session-3.scope");
  ResourceLimits both = memory_limit();
  both.pids_limit = 10;
  refused = check_resource_limits(both, hybrid_facts, 1000);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(
      refused.error().text(),
      Catch::StartsWith("--memory and --pids-limit can't be enforced on this host: cgroup v1 hybrid host"));

  // Unified, but the session's cgroup isn't the user's to write.
  CgroupFiles undelegated = session(true);
  undelegated.controllers = "cpu memory pids\n";
  refused = check_resource_limits(memory_limit(), make_cgroup_facts(undelegated), 1000);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().text(), Catch::Contains("is not writable by uid 1000"));
  CHECK_THAT(refused.error().text(), Catch::Contains("Delegate=yes"));

  // Delegated, but without the cpu controller.
  CgroupFiles no_cpu = session(true);
  no_cpu.dir_writable = no_cpu.subtree_control_writable = true;
  no_cpu.controllers = "memory pids\n";
  ResourceLimits cpus;
  cpus.nano_cpus = 1000000000;
  refused = check_resource_limits(cpus, make_cgroup_facts(no_cpu), 1000);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().text(),
             Catch::StartsWith("--cpus can't be enforced on this host: the cpu controller is "
                               "not delegated"));

  // Delegated with every controller: enforced.
  CgroupFiles delegated = no_cpu;
  delegated.controllers = "cpuset cpu io memory pids\n";
  CHECK(check_resource_limits(memory_limit(), make_cgroup_facts(delegated), 1000).ok());
  CHECK(check_resource_limits(cpus, make_cgroup_facts(delegated), 1000).ok());

  // No limit asked: fine anywhere.
  CHECK(check_resource_limits(ResourceLimits{}, make_cgroup_facts(v1), 1000).ok());
}

TEST_CASE("record_resource_limits writes HostConfig as docker inspect shows it", "[tools]") {
  Json host = Json::object();
  record_resource_limits(host, ResourceLimits{});
  CHECK(host["Memory"] == 0);
  CHECK(host["MemorySwap"] == 0);
  CHECK(host["NanoCpus"] == 0);
  CHECK(host["CpuShares"] == 0);
  CHECK(host["PidsLimit"].is_null());
  ResourceLimits l = memory_limit();
  l.pids_limit = 64;
  record_resource_limits(host, l);
  CHECK(host["Memory"] == 536870912);
  CHECK(host["MemorySwap"] == 1073741824);  // twice the memory, as dockerd
  CHECK(host["PidsLimit"] == 64);
}

TEST_CASE("recorded limits read back what record_resource_limits wrote", "[tools]") {
  Json host = Json::object();
  ResourceLimits l;
  l.memory = 64 << 20;
  l.nano_cpus = 1500000000;
  l.cpu_shares = 512;
  l.pids_limit = 20;
  record_resource_limits(host, l);
  ResourceLimits back = recorded_resource_limits(host);
  CHECK(back.memory == l.memory);
  CHECK(back.memory_swap == 2 * l.memory);
  CHECK(back.nano_cpus == l.nano_cpus);
  CHECK(back.cpu_shares == 512);
  CHECK(back.pids_limit == 20);
  // Nothing recorded (a container made before limits existed): none.
  CHECK(limits_to_enforce(recorded_resource_limits(Json::object())).empty());
  CHECK(limits_to_enforce(recorded_resource_limits(Json{{"PidsLimit", nullptr}})).empty());
}

TEST_CASE("cgroup_settings writes the cgroup v2 files crun writes", "[tools]") {
  CHECK(cgroup_settings(ResourceLimits{}).files.empty());
  CHECK(cgroup_settings(ResourceLimits{}).controllers.empty());

  ResourceLimits l;
  l.memory = 64 << 20;
  l.memory_swap = 96 << 20;
  l.nano_cpus = 500000000;
  l.cpu_shares = 512;
  l.pids_limit = 8;
  CgroupSettings s = cgroup_settings(l);
  CHECK(s.controllers == std::vector<std::string>{"memory", "cpu", "pids"});
  using File = std::pair<std::string, std::string>;
  CHECK(s.files == std::vector<File>{{"memory.max", "67108864"},
                                     {"memory.swap.max", "33554432"},  // the swap beyond the memory
                                     {"cpu.max", "50000 100000"},
                                     {"cpu.weight", "20"},
                                     {"pids.max", "8"}});

  // Unlimited swap; the least quota the kernel takes; shares at the ends.
  ResourceLimits edge;
  edge.memory = 6 << 20;
  edge.memory_swap = -1;
  edge.nano_cpus = 1;
  CHECK(cgroup_settings(edge).files ==
        std::vector<File>{{"memory.max", "6291456"}, {"memory.swap.max", "max"}, {"cpu.max", "1000 100000"}});
  ResourceLimits shares;
  shares.cpu_shares = 1024;
  CHECK(cgroup_settings(shares).files == std::vector<File>{{"cpu.weight", "39"}});
  shares.cpu_shares = 262144;
  CHECK(cgroup_settings(shares).files == std::vector<File>{{"cpu.weight", "10000"}});
  shares.cpu_shares = 1;
  CHECK(cgroup_settings(shares).files == std::vector<File>{{"cpu.weight", "1"}});
  // --memory alone: docker records twice the memory, so as much swap again.
  ResourceLimits memory_only;
  memory_only.memory = 64 << 20;
  memory_only.memory_swap = 128 << 20;
  CHECK(cgroup_settings(memory_only).files ==
        std::vector<File>{{"memory.max", "67108864"}, {"memory.swap.max", "67108864"}});
}
