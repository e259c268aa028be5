// `skiff info`: the pure pieces. Parsers of /proc and /etc text, file
// capability decoding, and the sentences that tell a user what is missing.
#include <linux/capability.h>

#include <catch2/catch.hpp>
#include <string>

#include "engine/info.h"
#include "linux/probe.h"

using namespace skiff;

namespace {

// A security.capability value: revision 2, permitted low word, effective flag.
std::string caps_v2(uint32_t permitted, bool effective) {
  std::string out(XATTR_CAPS_SZ_2, '\0');
  uint32_t magic = VFS_CAP_REVISION_2 | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0);
  for (int i = 0; i < 4; ++i) {
    out[i] = char(magic >> (8 * i) & 0xff);
    out[4 + i] = char(permitted >> (8 * i) & 0xff);
  }
  return out;
}

CgroupFacts delegated_v2(std::vector<std::string> controllers) {
  CgroupFacts c;
  c.layout = CgroupLayout::kV2;
  c.own_path = "/user.slice/user-1000.slice/user@1000.service/app.slice";
  c.v2_mount = "/sys/fs/cgroup";
  c.v2_dir = c.v2_mount + c.own_path;
  c.v2_dir_exists = true;
  c.writable = true;
  c.subtree_control_writable = true;
  c.controllers = std::move(controllers);
  return c;
}

}  // namespace

TEST_CASE("parse_proc_cgroup reads v1 and v2 lines", "[info]") {
  auto entries = parse_proc_cgroup(
      "12:pids:/user.slice\n"
      "4:cpu,cpuacct:/\n"
      "1:name=systemd:/user.slice/session-2.scope\n"
      "0::/user.slice/session-2.scope\n");
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].hierarchy == 12);
  CHECK(entries[0].controllers == std::vector<std::string>{"pids"});
  CHECK(entries[1].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(entries[3].controllers.empty());
  CHECK(unified_cgroup_path(entries) == "/user.slice/session-2.scope");
}

TEST_CASE("parse_proc_cgroup keeps colons in paths and skips junk", "[info]") {
  auto entries = parse_proc_cgroup("garbage\nx:y:/z\n0::/a:b\n");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].path == "/a:b");
}

TEST_CASE("unified_cgroup_path is absent on a pure v1 host", "[info]") {
  CHECK_FALSE(unified_cgroup_path(parse_proc_cgroup("3:memory:/\n1:name=systemd:/\n")).has_value());
}

TEST_CASE("parse_mountinfo reads fields after the separator", "[info]") {
  auto entries = parse_mountinfo(
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
      "45 22 0:40 / /home/a\\040b rw,nosuid master:3 propagation:x - nfs4 srv:/export rw\n"
      "46 22 0:41 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].mount_point == "/");
  CHECK(entries[0].fs_type == "ext4");
  CHECK(entries[0].source == "/dev/sda1");
  CHECK(entries[0].options == "rw,relatime");
  CHECK(entries[1].mount_point == "/home/a b");
  CHECK(entries[1].fs_type == "nfs4");
  CHECK(entries[2].fs_type == "cgroup2");
}

TEST_CASE("parse_mountinfo skips malformed lines", "[info]") {
  CHECK(parse_mountinfo("1 2 3\n\n22 1 8:1 / / rw shared:1 ext4 /dev/sda1 rw\n").empty());
}

TEST_CASE("mount_containing picks the deepest, topmost mount", "[info]") {
  auto entries = parse_mountinfo(
      "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "2 1 0:40 / /home rw - nfs4 srv:/home rw\n"
      "3 1 0:41 / /home2 rw - xfs /dev/sdb rw\n"
      "4 2 0:42 / /home rw - tmpfs tmpfs rw\n");
  CHECK(mount_containing(entries, "/home/a/.local")->fs_type == "tmpfs");
  CHECK(mount_containing(entries, "/home")->fs_type == "tmpfs");
  CHECK(mount_containing(entries, "/home2/x")->fs_type == "xfs");
  CHECK(mount_containing(entries, "/homely")->fs_type == "ext4");
  CHECK(mount_containing({}, "/x") == nullptr);
}

TEST_CASE("parse_sysctl_int trims and refuses non-numbers", "[info]") {
  CHECK(parse_sysctl_int("1024\n") == 1024);
  CHECK(parse_sysctl_int(" 0 \n") == 0);
  CHECK(parse_sysctl_int("-1\n") == -1);
  CHECK_FALSE(parse_sysctl_int("").has_value());
  CHECK_FALSE(parse_sysctl_int("12 34\n").has_value());
  CHECK_FALSE(parse_sysctl_int("abc").has_value());
}

TEST_CASE("os_release_value unquotes", "[info]") {
  std::string text = "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID='12'\nPRETTY_NAME=\"A \\\"b\\\"\"\n";
  CHECK(os_release_value(text, "ID") == "debian");
  CHECK(os_release_value(text, "VERSION_ID") == "12");
  CHECK(os_release_value(text, "NAME") == "Debian GNU/Linux");
  CHECK(os_release_value(text, "PRETTY_NAME") == "A \"b\"");
  CHECK(os_release_value(text, "VERSION") == "");
  CHECK(os_release_value(text, "I") == "");
}

TEST_CASE("file_caps_grant decodes vfs_cap_data", "[info]") {
  std::string setuid_ep = caps_v2(1u << CAP_SETUID, true);
  CHECK(file_caps_grant(setuid_ep, CAP_SETUID));
  CHECK_FALSE(file_caps_grant(setuid_ep, CAP_SETGID));
  CHECK_FALSE(file_caps_grant(caps_v2(1u << CAP_SETUID, false), CAP_SETUID));  // no effective bit
  CHECK_FALSE(file_caps_grant("", CAP_SETUID));
  CHECK_FALSE(file_caps_grant(setuid_ep.substr(0, 10), CAP_SETUID));
  CHECK(describe_file_caps(setuid_ep) == "cap_setuid=ep");
  CHECK(describe_file_caps(caps_v2((1u << CAP_SETUID) | (1u << CAP_SETGID), false)) == "cap_setgid,cap_setuid=p");
  CHECK(describe_file_caps("") == "");
}

TEST_CASE("file_caps_grant ignores v3 caps scoped to another namespace", "[info]") {
  std::string v3 = caps_v2(1u << CAP_SETUID, true) + std::string(4, '\0');
  v3[3] = char(VFS_CAP_REVISION_3 >> 24);
  CHECK(file_caps_grant(v3, CAP_SETUID));
  v3[20] = 1;  // rootid 1
  CHECK_FALSE(file_caps_grant(v3, CAP_SETUID));
}

TEST_CASE("explain_overlay_errno names the usual causes", "[info]") {
  CHECK_THAT(explain_overlay_errno(EPERM), Catch::Contains("5.11"));
  CHECK_THAT(explain_overlay_errno(EINVAL), Catch::Contains("userxattr"));
  CHECK_THAT(explain_overlay_errno(ENODEV), Catch::Contains("module"));
  CHECK(explain_overlay_errno(EIO) == "");
}

TEST_CASE("assess_limits: delegated v2 with all controllers", "[info]") {
  LimitSupport l = assess_limits(delegated_v2({"cpuset", "cpu", "io", "memory", "pids"}), 1000);
  CHECK(l.memory);
  CHECK(l.cpus);
  CHECK(l.pids);
  CHECK(l.warning == "");
}

TEST_CASE("assess_limits: a missing controller loses its flag", "[info]") {
  LimitSupport l = assess_limits(delegated_v2({"memory", "pids"}), 1000);
  CHECK(l.memory);
  CHECK_FALSE(l.cpus);
  CHECK(l.pids);
  CHECK_THAT(l.warning, Catch::StartsWith("the cpu controller is not delegated"));
  CHECK_THAT(l.warning, Catch::Contains("--cpus is not available"));
  CHECK_THAT(l.warning, Catch::Contains("(it has: memory pids)"));
}

TEST_CASE("assess_limits: an undelegated cgroup", "[info]") {
  CgroupFacts c = delegated_v2({"memory", "cpu", "pids"});
  c.writable = false;
  LimitSupport l = assess_limits(c, 1000);
  CHECK_FALSE(l.memory);
  CHECK_THAT(l.warning, Catch::Contains("is not writable by uid 1000"));
  CHECK_THAT(l.warning, Catch::Contains("Delegate=yes"));
}

TEST_CASE("assess_limits: v1 and hybrid hosts", "[info]") {
  CgroupFacts v1;
  v1.layout = CgroupLayout::kV1;
  CHECK_THAT(assess_limits(v1, 1000).warning, Catch::StartsWith("cgroup v1 host:"));

  CgroupFacts hybrid = delegated_v2({"hugetlb"});
  hybrid.layout = CgroupLayout::kHybrid;
  hybrid.writable = false;
  LimitSupport l = assess_limits(hybrid, 1000);
  CHECK_FALSE(l.memory);
  CHECK_THAT(l.warning, Catch::StartsWith("cgroup v1 hybrid host: the memory, cpu and pids controllers are "
                                          "bound to cgroup v1, so --memory, --cpus and --pids-limit are not "
                                          "available; limits need a delegated cgroup v2 subtree"));

  CgroupFacts none;
  CHECK_THAT(assess_limits(none, 0).warning, Catch::Contains("no cgroup file system"));
}

TEST_CASE("id_mapping_warning", "[info]") {
  UsernsFacts facts;
  facts.uid = 1000;
  facts.gid = 1000;
  facts.user_name = "ann";
  SetidProgram good{.path = "/usr/bin/newuidmap", .setuid_root = true, .file_caps = "", .usable = true};
  SetidProgram good_gid = good;
  good_gid.path = "/usr/bin/newgidmap";

  SECTION("no range") {
    std::string w = id_mapping_warning(facts, good, good_gid);
    CHECK_THAT(w, Catch::StartsWith("no subordinate ID range for user `ann` in /etc/subuid and /etc/subgid"));
    CHECK_THAT(w, Catch::Contains("lose that ownership"));
  }
  SECTION("root needs none") {
    facts.uid = 0;
    CHECK(id_mapping_warning(facts, good, good_gid) == "");
  }
  facts.subuids = {{100000, 65536}};
  facts.subgids = {{100000, 65536}};
  SECTION("full range") { CHECK(id_mapping_warning(facts, good, good_gid) == ""); }
  SECTION("gid range missing") {
    facts.subgids.clear();
    CHECK_THAT(id_mapping_warning(facts, good, good_gid), Catch::Contains("in /etc/subgid:"));
  }
  SECTION("helpers missing") {
    CHECK_THAT(id_mapping_warning(facts, SetidProgram{}, SetidProgram{}),
               Catch::StartsWith("newuidmap/newgidmap is not installed"));
  }
  SECTION("helper without privilege") {
    SetidProgram plain = good;
    plain.setuid_root = false;
    plain.usable = false;
    CHECK_THAT(id_mapping_warning(facts, plain, good_gid),
               Catch::StartsWith("`/usr/bin/newuidmap` is neither setuid root nor granted cap_setuid"));
  }
  SECTION("small range") {
    facts.subuids = {{100000, 1000}};
    CHECK_THAT(id_mapping_warning(facts, good, good_gid),
               Catch::Contains("range of `ann`, 100000-100999 (1000 IDs), covers container IDs 1-1000 only"));
  }
}

TEST_CASE("describe_subid_range", "[info]") {
  CHECK(describe_subid_range({200000, 65536}) == "200000-265535 (65536 IDs)");
  CHECK(describe_subid_range({5, 1}) == "5-5 (1 ID)");
  CHECK(describe_subid_range({4294967295u, 1}) == "4294967295-4294967295 (1 ID)");
}

TEST_CASE("choose_rootfs_driver prefers native, then fuse-overlayfs", "[info]") {
  ProbeResult yes{true, ""}, no{false, "nope"};
  CHECK(choose_rootfs_driver(yes, yes) == "native");
  CHECK(choose_rootfs_driver(no, yes) == "fuse-overlayfs");
  CHECK(choose_rootfs_driver(no, no) == "vfs");
}

TEST_CASE("format_uptime", "[info]") {
  CHECK(format_uptime(0) == "0s");
  CHECK(format_uptime(59) == "59s");
  CHECK(format_uptime(61) == "1m 1s");
  CHECK(format_uptime(7200) == "2h 0m 0s");
  CHECK(format_uptime(90061) == "1d 1h 1m 1s");
}
