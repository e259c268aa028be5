#include "linux/container_plan.h"

#include <sched.h>
#include <sys/mount.h>

#include <algorithm>

#include "linux/path_in_root.h"
#include "net/network_mode.h"

namespace skiff {

namespace {

// The kernel copies mount data into one page, NUL included.
constexpr size_t kMaxMountData = 4095;

constexpr unsigned long kNoSuidExecDev = MS_NOSUID | MS_NOEXEC | MS_NODEV;

const char* const kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};

const std::pair<const char*, const char*> kDevSymlinks[] = {
    {"/proc/self/fd", "dev/fd"},       {"/proc/self/fd/0", "dev/stdin"}, {"/proc/self/fd/1", "dev/stdout"},
    {"/proc/self/fd/2", "dev/stderr"}, {"/proc/kcore", "dev/core"},      {"pts/ptmx", "dev/ptmx"},
};

bool maps_container_gid(const IdMapping& mapping, uint32_t gid) {
  for (const auto& r : mapping.gids)
    if (gid >= r.container_id && gid - r.container_id < r.count) return true;
  return false;
}

std::string join_lowers(const std::vector<std::string>& dirs, size_t strip) {
  std::string out;
  for (const auto& d : dirs) out += (out.empty() ? "" : ":") + escape_overlay_path(d.substr(strip));
  return out;
}

// The longest folder all `paths` share, ending in '/'.
std::string common_folder(const std::vector<std::string>& paths) {
  std::string prefix = paths.front().substr(0, paths.front().find_last_of('/') + 1);
  for (const auto& p : paths)
    while (!prefix.empty() && p.compare(0, prefix.size(), prefix) != 0)
      prefix = prefix.substr(0, prefix.find_last_of('/', prefix.size() - 2) + 1);
  return prefix;
}

Status check_absolute(const std::string& path, std::string_view what) {
  if (path.empty() || path[0] != '/') return make_error("{} `{}` must be an absolute path", what, path);
  return {};
}

}  // namespace

unsigned long container_clone_flags(std::string_view network, const IdMapping& mapping) {
  unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
  auto mode = parse_network_mode(network);
  bool shares_container = mode.ok() && mode->kind == NetworkMode::Kind::kContainer;
  // Sharing another container's network, its parent joined that one's user
  // namespace too (only its owner may let us into the network namespace).
  if (!mapping.identity && !shares_container) flags |= CLONE_NEWUSER;
  // A network of its own, unless it shares the host's or another container's.
  if (!mode.ok() || mode->own_namespace()) flags |= CLONE_NEWNET;
  return flags;
}

const char* rootfs_driver_name(RootfsDriver driver) {
  switch (driver) {
    case RootfsDriver::kNative: return "native";
    case RootfsDriver::kFuseOverlayfs: return "fuse-overlayfs";
    case RootfsDriver::kVfs: return "vfs";
  }
  return "native";
}

Result<RootfsDriver> parse_rootfs_driver(std::string_view name) {
  if (name == "native" || name == "overlay") return RootfsDriver::kNative;
  if (name == "fuse-overlayfs") return RootfsDriver::kFuseOverlayfs;
  if (name == "vfs") return RootfsDriver::kVfs;
  return make_error("unknown storage driver `{}` (use native, fuse-overlayfs or vfs)", name);
}

std::string escape_overlay_path(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '\\' || c == ',' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

Result<ReadOnlyOverlay> read_only_overlay_options(RootfsDriver driver, const std::vector<std::string>& layers) {
  // Overlay wants two folders at least when it has no upper one.
  if (layers.size() < 2) return make_error("a read-only overlay needs two layers or more");
  for (const auto& dir : layers) TRY(check_absolute(dir, "layer folder"));
  ReadOnlyOverlay out;
  if (driver == RootfsDriver::kFuseOverlayfs) {
    for (const auto& p : layers)
      if (p.find_first_of(",:") != std::string::npos)
        return make_error("fuse-overlayfs can't use the folder `{}`: its name holds `,` or `:`", p);
    std::string lowers;
    for (const auto& d : layers) lowers += (lowers.empty() ? "" : ":") + d;
    out.options = "lowerdir=" + lowers;
    return out;
  }
  out.options = "lowerdir=" + join_lowers(layers, 0) + ",userxattr";
  if (out.options.size() > kMaxMountData) {
    out.chdir = common_folder(layers);
    out.options = "lowerdir=" + join_lowers(layers, out.chdir.size()) + ",userxattr";
    if (out.options.size() > kMaxMountData)
      return make_error("the image has too many layers ({}) for one overlay mount", layers.size());
  }
  return out;
}

const std::vector<std::string>& docker_masked_paths() {
  static const std::vector<std::string> paths = {
      "/proc/asound",      "/proc/acpi",        "/proc/kcore",      "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
      "/proc/scsi",        "/sys/firmware",     "/sys/devices/virtual/powercap"};
  return paths;
}

const std::vector<std::string>& docker_readonly_paths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};
  return paths;
}

Result<ContainerPlan> make_plan(const ContainerSpec& spec, const IdMapping& mapping) {
  ContainerPlan plan;
  plan.mapping = mapping;

  // Namespaces: all of docker's, the network one unless the host's is
  // shared. Real root needs no user namespace (and keeps host IDs).
  plan.clone_flags = container_clone_flags(spec.network, mapping);

  // The root: overlay's options, paths escaped; relative when absolute
  // paths would not fit in the one page the kernel copies.
  const RootfsSpec& root = spec.rootfs;
  if (root.lower_dirs.empty()) return make_error("the image has no layers");
  for (const auto& dir : root.lower_dirs) TRY(check_absolute(dir, "layer folder"));
  TRY(check_absolute(root.upper_dir, "upper folder"));
  TRY(check_absolute(root.work_dir, "work folder"));
  TRY(check_absolute(root.merged_dir, "root folder"));
  if (root.driver == RootfsDriver::kNative) {
    plan.overlay_options = "lowerdir=" + join_lowers(root.lower_dirs, 0) +
                           ",upperdir=" + escape_overlay_path(root.upper_dir) +
                           ",workdir=" + escape_overlay_path(root.work_dir) + ",userxattr";
    if (plan.overlay_options.size() > kMaxMountData) {
      std::vector<std::string> all = root.lower_dirs;
      all.push_back(root.upper_dir);
      all.push_back(root.work_dir);
      std::string base = common_folder(all);
      plan.overlay_chdir = base;
      plan.overlay_options = "lowerdir=" + join_lowers(root.lower_dirs, base.size()) +
                             ",upperdir=" + escape_overlay_path(root.upper_dir.substr(base.size())) +
                             ",workdir=" + escape_overlay_path(root.work_dir.substr(base.size())) + ",userxattr";
      if (plan.overlay_options.size() > kMaxMountData)
        return make_error("the image has too many layers ({}) for one overlay mount", root.lower_dirs.size());
    }
  } else if (root.driver == RootfsDriver::kFuseOverlayfs) {
    // fuse-overlayfs takes its options from argv (no page limit), and its
    // parser knows no escapes: a path with `,` or `:` can't be given.
    std::vector<std::string> all = root.lower_dirs;
    all.push_back(root.upper_dir);
    all.push_back(root.work_dir);
    for (const auto& p : all)
      if (p.find_first_of(",:") != std::string::npos)
        return make_error("fuse-overlayfs can't use the folder `{}`: its name holds `,` or `:`", p);
    std::string lowers;
    for (const auto& d : root.lower_dirs) lowers += (lowers.empty() ? "" : ":") + d;
    plan.overlay_options = "lowerdir=" + lowers + ",upperdir=" + root.upper_dir + ",workdir=" + root.work_dir;
  }

  auto& m = plan.mounts;
  using K = MountStep::Kind;
  // /proc: we own its PID namespace, so a fresh proc may be mounted.
  m.push_back({K::kMount, "proc", "proc", "proc", kNoSuidExecDev, "", false});
  // /dev: a small tmpfs with the host's harmless nodes bound in (an
  // unprivileged user namespace may not mknod devices).
  m.push_back({K::kMount, "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", false});
  for (const char* dev : kDevices)
    m.push_back({K::kDevice, std::string("/dev/") + dev, std::string("dev/") + dev, "", 0, "", false});
  // devpts with its own ptmx; gid 5 (tty) only when that group is mapped.
  std::string devpts = "newinstance,ptmxmode=0666,mode=0620";
  if (maps_container_gid(mapping, 5)) devpts += ",gid=5";
  m.push_back({K::kMount, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, devpts, false});
  m.push_back({K::kMount, "shm", "dev/shm", "tmpfs", kNoSuidExecDev, "mode=1777,size=65536k", false});
  m.push_back({K::kMount, "mqueue", "dev/mqueue", "mqueue", kNoSuidExecDev, "", true});
  for (const auto& [source, target] : kDevSymlinks) m.push_back({K::kSymlink, source, target, "", 0, "", false});
  // /sys: sysfs may be mounted only by the owner of the network namespace
  // (another container's is owned by its user namespace, which we joined);
  // sharing the host's network, bind the host's /sys read-only instead.
  auto network = parse_network_mode(spec.network);
  bool joins_container = network.ok() && network->kind == NetworkMode::Kind::kContainer;
  if ((plan.clone_flags & CLONE_NEWNET) || joins_container)
    m.push_back({K::kMount, "sysfs", "sys", "sysfs", kNoSuidExecDev | MS_RDONLY, "", false});
  else
    m.push_back({K::kBind, "/sys", "sys", "", MS_REC | MS_RDONLY, "", false});

  for (const auto& [file, target] : {std::pair{&spec.hosts_file, "etc/hosts"},
                                     std::pair{&spec.hostname_file, "etc/hostname"},
                                     std::pair{&spec.resolv_conf_file, "etc/resolv.conf"}}) {
    if (file->empty()) continue;
    TRY(check_absolute(*file, target));
    m.push_back({K::kBind, *file, target, "", 0, "", false});
  }

  // Volumes, parents before children (docker sorts by path depth).
  std::vector<std::pair<std::string, const VolumeSpec*>> volumes;
  for (const auto& v : spec.volumes) {
    if (v.destination.empty() || v.destination[0] != '/')
      return make_error("invalid mount destination `{}`: it must be an absolute path", v.destination);
    std::string target = TRY(std::move(clean_relative_path(v.destination)).wrap("invalid mount destination `{}`", v.destination));
    if (target.empty()) return make_error("invalid mount destination `{}`: it can't be `/`", v.destination);
    if (v.type == VolumeSpec::Type::kBind) TRY(check_absolute(v.source, "bind mount source"));
    volumes.emplace_back(std::move(target), &v);
  }
  std::stable_sort(volumes.begin(), volumes.end(), [](const auto& a, const auto& b) {
    return std::count(a.first.begin(), a.first.end(), '/') < std::count(b.first.begin(), b.first.end(), '/');
  });
  for (const auto& [target, v] : volumes) {
    if (v->copy_up && !v->volume.empty()) plan.copy_ups.push_back({v->source, target});
    if (v->type == VolumeSpec::Type::kBind) {
      m.push_back({K::kBind, v->source, target, "", MS_REC | (v->read_only ? static_cast<unsigned long>(MS_RDONLY) : 0UL), "", false});
    } else {
      unsigned long flags = v->exec ? static_cast<unsigned long>(MS_NOSUID | MS_NODEV) : kNoSuidExecDev;
      if (v->read_only) flags |= MS_RDONLY;
      m.push_back({K::kMount, "tmpfs", target, "tmpfs", flags, v->options, false});
    }
  }

  // docker's masked and read-only kernel files; absent ones are fine.
  if (!spec.privileged) {
    for (const auto& path : docker_masked_paths())
      m.push_back({K::kMask, "", path.substr(1), "", 0, "", true});
    for (const auto& path : docker_readonly_paths())
      m.push_back({K::kReadOnly, "", path.substr(1), "", 0, "", true});
  }
  // --read-only last: remounting the root leaves the mounts on it writable.
  if (spec.read_only_rootfs) m.push_back({K::kReadOnly, "", "", "", 0, "", false});
  return plan;
}

}  // namespace skiff
