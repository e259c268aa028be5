// make_plan: the container's namespaces and mounts, decided without a syscall.
#include <sched.h>
#include <sys/mount.h>

#include <algorithm>

#include "linux/container_plan.h"
#include "linux/path_in_root.h"
#include "test_support.h"

using namespace skiff;
using Kind = MountStep::Kind;

namespace {

IdMapping subid_mapping() {
  IdMapping m;
  m.uids = {{0, 1000, 1}, {1, 200000, 65536}};
  m.gids = {{0, 1000, 1}, {1, 200000, 65536}};
  return m;
}

IdMapping single_mapping() {
  IdMapping m;
  m.uids = {{0, 1000, 1}};
  m.gids = {{0, 1000, 1}};
  return m;
}

ContainerSpec basic_spec() {
  ContainerSpec spec;
  spec.rootfs.lower_dirs = {"/s/layers/b/diff", "/s/layers/a/diff"};
  spec.rootfs.upper_dir = "/s/containers/c/upper";
  spec.rootfs.work_dir = "/s/containers/c/work";
  spec.rootfs.merged_dir = "/run/skiff/c/merged";
  return spec;
}

const MountStep* find(const ContainerPlan& plan, const std::string& target, Kind kind) {
  for (const auto& step : plan.mounts)
    if (step.target == target && step.kind == kind) return &step;
  return nullptr;
}

size_t index_of(const ContainerPlan& plan, const std::string& target) {
  for (size_t i = 0; i < plan.mounts.size(); i++)
    if (plan.mounts[i].target == target) return i;
  return plan.mounts.size();
}

}  // namespace

TEST_CASE("a rootless container gets every namespace", "[plan]") {
  auto plan = make_plan(basic_spec(), subid_mapping());
  REQUIRE_OK(plan);
  CHECK(plan->clone_flags ==
        (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWNET));
}

TEST_CASE("real root makes no user namespace; --network host keeps the host's network", "[plan]") {
  IdMapping root;
  root.identity = true;
  root.uids = root.gids = {{0, 0, 4294967295u}};
  ContainerSpec spec = basic_spec();
  spec.network = "host";
  auto plan = make_plan(spec, root);
  REQUIRE_OK(plan);
  CHECK_FALSE(plan->clone_flags & CLONE_NEWUSER);
  CHECK_FALSE(plan->clone_flags & CLONE_NEWNET);
  CHECK(plan->clone_flags & CLONE_NEWPID);
}

TEST_CASE("--network container:NAME joins that one's user and network namespaces and mounts sysfs", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.network = "container:0123abcd";
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  // Its parent joined NAME's user namespace: none of its own, nor a network.
  CHECK_FALSE(plan->clone_flags & CLONE_NEWUSER);
  CHECK_FALSE(plan->clone_flags & CLONE_NEWNET);
  CHECK(plan->clone_flags & CLONE_NEWPID);
  CHECK(find(*plan, "sys", Kind::kMount) != nullptr);
  CHECK(find(*plan, "sys", Kind::kBind) == nullptr);
  // The host's network: its /sys bound read-only, as before.
  spec.network = "host";
  auto host = make_plan(spec, subid_mapping());
  REQUIRE_OK(host);
  CHECK(find(*host, "sys", Kind::kBind) != nullptr);
  // The default (slirp) and none: namespaces of their own.
  for (const char* own : {"", "slirp", "none", "pasta"}) {
    spec.network = own;
    auto p = make_plan(spec, subid_mapping());
    REQUIRE_OK(p);
    CHECK((p->clone_flags & (CLONE_NEWUSER | CLONE_NEWNET)) == (CLONE_NEWUSER | CLONE_NEWNET));
  }
}

TEST_CASE("overlay options list the layers top first with userxattr", "[plan]") {
  auto plan = make_plan(basic_spec(), subid_mapping());
  REQUIRE_OK(plan);
  CHECK(plan->overlay_options ==
        "lowerdir=/s/layers/b/diff:/s/layers/a/diff,upperdir=/s/containers/c/upper,"
        "workdir=/s/containers/c/work,userxattr");
  CHECK(plan->overlay_chdir.empty());
}

TEST_CASE("overlay option paths escape backslash, comma and colon", "[plan]") {
  CHECK(escape_overlay_path("/a,b:c\\d") == "/a\\,b\\:c\\\\d");
  CHECK(escape_overlay_path("/plain/path") == "/plain/path");
  ContainerSpec spec = basic_spec();
  spec.rootfs.lower_dirs = {"/home/a:b/x,y/diff"};
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  CHECK(plan->overlay_options.rfind("lowerdir=/home/a\\:b/x\\,y/diff,upperdir=", 0) == 0);
}

TEST_CASE("many layers switch to paths relative to their common folder", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.rootfs.lower_dirs.clear();
  for (int i = 0; i < 45; i++)
    spec.rootfs.lower_dirs.push_back("/home/someone/.local/share/skiff/layers/" + std::string(64, 'a' + i % 26) + "/diff");
  spec.rootfs.upper_dir = "/home/someone/.local/share/skiff/containers/c/upper";
  spec.rootfs.work_dir = "/home/someone/.local/share/skiff/containers/c/work";
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  CHECK(plan->overlay_chdir == "/home/someone/.local/share/skiff/");
  CHECK(plan->overlay_options.size() <= 4095);
  CHECK(plan->overlay_options.rfind("lowerdir=layers/aaaa", 0) == 0);
  CHECK(plan->overlay_options.find(",upperdir=containers/c/upper,workdir=containers/c/work,userxattr") !=
        std::string::npos);
}

TEST_CASE("more layers than fit in a page even relatively is a clear error", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.rootfs.lower_dirs.clear();
  for (int i = 0; i < 200; i++) spec.rootfs.lower_dirs.push_back("/s/layers/" + std::string(64, 'x') + "/diff");
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.error().text().find("too many layers (200)") != std::string::npos);
}

TEST_CASE("no layers, or relative store paths, are refused", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.rootfs.lower_dirs.clear();
  CHECK_FALSE(make_plan(spec, subid_mapping()).ok());
  spec = basic_spec();
  spec.rootfs.upper_dir = "relative/upper";
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.error().text() == "upper folder `relative/upper` must be an absolute path");
}

TEST_CASE("proc, a small /dev with the host's six nodes, devpts, shm, mqueue, sysfs", "[plan]") {
  auto plan = make_plan(basic_spec(), subid_mapping());
  REQUIRE_OK(plan);
  const MountStep* proc = find(*plan, "proc", Kind::kMount);
  REQUIRE(proc);
  CHECK(proc->fstype == "proc");
  CHECK(proc->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
  const MountStep* dev = find(*plan, "dev", Kind::kMount);
  REQUIRE(dev);
  CHECK(dev->fstype == "tmpfs");
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    const MountStep* d = find(*plan, std::string("dev/") + node, Kind::kDevice);
    REQUIRE(d);
    CHECK(d->source == std::string("/dev/") + node);
    CHECK(index_of(*plan, d->target) > index_of(*plan, "dev"));
  }
  const MountStep* pts = find(*plan, "dev/pts", Kind::kMount);
  REQUIRE(pts);
  CHECK(pts->data == "newinstance,ptmxmode=0666,mode=0620,gid=5");
  const MountStep* ptmx = find(*plan, "dev/ptmx", Kind::kSymlink);
  REQUIRE(ptmx);
  CHECK(ptmx->source == "pts/ptmx");
  CHECK(find(*plan, "dev/shm", Kind::kMount)->data == "mode=1777,size=65536k");
  CHECK(find(*plan, "dev/mqueue", Kind::kMount)->optional);
  const MountStep* sys = find(*plan, "sys", Kind::kMount);
  REQUIRE(sys);
  CHECK(sys->fstype == "sysfs");
  CHECK(sys->flags & MS_RDONLY);
  CHECK(find(*plan, "dev/fd", Kind::kSymlink)->source == "/proc/self/fd");
}

TEST_CASE("devpts gets gid=5 only when group 5 is mapped", "[plan]") {
  auto plan = make_plan(basic_spec(), single_mapping());
  REQUIRE_OK(plan);
  CHECK(find(*plan, "dev/pts", Kind::kMount)->data == "newinstance,ptmxmode=0666,mode=0620");
}

TEST_CASE("with the host's network, /sys is the host's, bound read-only", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.network = "host";
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  CHECK_FALSE(find(*plan, "sys", Kind::kMount));
  const MountStep* sys = find(*plan, "sys", Kind::kBind);
  REQUIRE(sys);
  CHECK(sys->source == "/sys");
  CHECK(sys->flags == (MS_REC | MS_RDONLY));
}

TEST_CASE("hosts, hostname and resolv.conf are bound when given", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.hosts_file = "/run/skiff/c/hosts";
  spec.resolv_conf_file = "/run/skiff/c/resolv.conf";
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  CHECK(find(*plan, "etc/hosts", Kind::kBind)->source == "/run/skiff/c/hosts");
  CHECK(find(*plan, "etc/resolv.conf", Kind::kBind)->source == "/run/skiff/c/resolv.conf");
  CHECK_FALSE(find(*plan, "etc/hostname", Kind::kBind));
}

TEST_CASE("volumes mount parents before children, read-only when asked", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.volumes = {{VolumeSpec::Type::kBind, "/h/inner", "/data/inner", true, ""},
                  {VolumeSpec::Type::kBind, "/h/data", "/data/", false, ""},
                  {VolumeSpec::Type::kTmpfs, "", "/run", false, ""},
                  {VolumeSpec::Type::kTmpfs, "", "/cache", false, "size=1m,mode=0700"}};
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  CHECK(index_of(*plan, "data") < index_of(*plan, "data/inner"));
  const MountStep* inner = find(*plan, "data/inner", Kind::kBind);
  REQUIRE(inner);
  CHECK(inner->flags == (MS_REC | MS_RDONLY));
  CHECK(find(*plan, "data", Kind::kBind)->flags == MS_REC);
  const MountStep* run = find(*plan, "run", Kind::kMount);
  REQUIRE(run);
  CHECK(run->fstype == "tmpfs");
  CHECK(run->data.empty());  // no limit, as docker
  CHECK(run->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
  CHECK(find(*plan, "cache", Kind::kMount)->data == "size=1m,mode=0700");
  // volumes come after the standard mounts, so they can cover /dev/shm etc.
  CHECK(index_of(*plan, "data") > index_of(*plan, "sys"));
}

TEST_CASE("bad volume destinations and sources are refused", "[plan]") {
  struct Case {
    VolumeSpec volume;
    std::string error;
  };
  std::vector<Case> cases = {
      {{VolumeSpec::Type::kBind, "/h", "relative", false, ""}, "invalid mount destination `relative`: it must be an absolute path"},
      {{VolumeSpec::Type::kBind, "/h", "", false, ""}, "invalid mount destination ``: it must be an absolute path"},
      {{VolumeSpec::Type::kBind, "/h", "/", false, ""}, "invalid mount destination `/`: it can't be `/`"},
      {{VolumeSpec::Type::kBind, "/h", "/../..", false, ""}, "invalid mount destination `/../..`: path `/../..` leads outside the root"},
      {{VolumeSpec::Type::kBind, "rel", "/x", false, ""}, "bind mount source `rel` must be an absolute path"},
  };
  for (const auto& c : cases) {
    ContainerSpec spec = basic_spec();
    spec.volumes = {c.volume};
    auto plan = make_plan(spec, subid_mapping());
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().text() == c.error);
  }
}

TEST_CASE("a volume destination is cleaned", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.volumes = {{VolumeSpec::Type::kBind, "/h", "/a/./b//c/../d/", false, ""}};
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  CHECK(find(*plan, "a/b/d", Kind::kBind));
}

TEST_CASE("a volume is bound like a host folder; one to fill is copied up before the mounts", "[plan]") {
  ContainerSpec spec = basic_spec();
  VolumeSpec named{VolumeSpec::Type::kBind, "/s/volumes/db/_data", "/var/lib/db/", false, ""};
  named.volume = "db";
  named.copy_up = true;
  VolumeSpec nocopy{VolumeSpec::Type::kBind, "/s/volumes/x/_data", "/x", true, ""};
  nocopy.volume = "x";
  VolumeSpec bind{VolumeSpec::Type::kBind, "/h", "/h", false, ""};
  bind.copy_up = true;  // not a volume: nothing to fill
  spec.volumes = {named, nocopy, bind};
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  const MountStep* db = find(*plan, "var/lib/db", Kind::kBind);
  REQUIRE(db);
  CHECK(db->source == "/s/volumes/db/_data");
  CHECK(db->flags == MS_REC);
  CHECK(find(*plan, "x", Kind::kBind)->flags == (MS_REC | MS_RDONLY));
  REQUIRE(plan->copy_ups.size() == 1);
  CHECK(plan->copy_ups[0] == CopyUpStep{"/s/volumes/db/_data", "var/lib/db"});
}

TEST_CASE("docker's masked and read-only paths, skipped with --privileged", "[plan]") {
  auto plan = make_plan(basic_spec(), subid_mapping());
  REQUIRE_OK(plan);
  for (const auto& path : docker_masked_paths()) {
    const MountStep* mask = find(*plan, path.substr(1), Kind::kMask);
    REQUIRE(mask);
    CHECK(mask->optional);
    CHECK(index_of(*plan, path.substr(1)) > index_of(*plan, "proc"));
  }
  for (const auto& path : docker_readonly_paths()) CHECK(find(*plan, path.substr(1), Kind::kReadOnly));
  CHECK(find(*plan, "proc/kcore", Kind::kMask));
  CHECK(find(*plan, "proc/sys", Kind::kReadOnly));
  CHECK(docker_masked_paths().size() == 11);

  ContainerSpec spec = basic_spec();
  spec.privileged = true;
  auto privileged = make_plan(spec, subid_mapping());
  REQUIRE_OK(privileged);
  for (const auto& step : privileged->mounts) {
    CHECK(step.kind != Kind::kMask);
    CHECK(step.kind != Kind::kReadOnly);
  }
}

TEST_CASE("--read-only remounts the root last", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.read_only_rootfs = true;
  spec.volumes = {{VolumeSpec::Type::kTmpfs, "", "/tmp", false, ""}};
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  const MountStep& last = plan->mounts.back();
  CHECK(last.kind == Kind::kReadOnly);
  CHECK(last.target.empty());
  CHECK_FALSE(last.optional);
}

TEST_CASE("every mount target is a clean relative path", "[plan]") {
  ContainerSpec spec = basic_spec();
  spec.volumes = {{VolumeSpec::Type::kBind, "/h", "/x/../y", false, ""}};
  spec.hosts_file = "/f/hosts";
  auto plan = make_plan(spec, subid_mapping());
  REQUIRE_OK(plan);
  for (const auto& step : plan->mounts) {
    INFO(step.target);
    CHECK((step.target.empty() || step.target[0] != '/'));
    auto clean = clean_relative_path(step.target);
    REQUIRE_OK(clean);
    CHECK(*clean == step.target);
  }
}

TEST_CASE("storage driver names", "[plan]") {
  CHECK(parse_rootfs_driver("native").value() == RootfsDriver::kNative);
  CHECK(parse_rootfs_driver("overlay").value() == RootfsDriver::kNative);
  CHECK(parse_rootfs_driver("fuse-overlayfs").value() == RootfsDriver::kFuseOverlayfs);
  CHECK(parse_rootfs_driver("vfs").value() == RootfsDriver::kVfs);
  auto bad = parse_rootfs_driver("btrfs");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().text() == "unknown storage driver `btrfs` (use native, fuse-overlayfs or vfs)");
  CHECK(std::string(rootfs_driver_name(RootfsDriver::kFuseOverlayfs)) == "fuse-overlayfs");
}
