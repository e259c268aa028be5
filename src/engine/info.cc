// `skiff info`: every fact is gathered here and reported as a value. A probe
// that fails becomes {"works": false, "error": "..."}; nothing here returns
// an Error or throws, so a half-broken host still gets a full report.
#include "engine/info.h"

#include <dirent.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <slirp/libslirp-version.h>

#include "base/fs.h"
#include "base/lock.h"
#include "image/image_config.h"
#include "linux/cgroup.h"
#include "version.h"
#include "net/slirp_library.h"

namespace skiff {

namespace {

Json probe_json(const ProbeResult& probe) { return Json{{"works", probe.works}, {"error", probe.error}}; }

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& items) {
  if (items.size() <= 1) return join(items, "");
  std::vector<std::string> head(items.begin(), items.end() - 1);
  return join(head, ", ") + " and " + items.back();
}

Json gather_host() {
  Json host = Json::object();
  struct utsname u {};
  ::uname(&u);
  Platform platform = host_platform();
  host["os"] = platform.os;
  host["arch"] = platform.architecture;
  if (!platform.variant.empty()) host["variant"] = platform.variant;
  host["kernel"] = std::string(u.release);
  host["kernelVersion"] = std::string(u.version);
  host["hostname"] = std::string(u.nodename);
  Json distribution = Json::object();
  auto os_release = read_file("/etc/os-release", 1 << 16);
  if (!os_release.ok()) os_release = read_file("/usr/lib/os-release", 1 << 16);
  std::string release_text = os_release.ok() ? *os_release : "";
  distribution["id"] = os_release_value(release_text, "ID");
  distribution["versionId"] = os_release_value(release_text, "VERSION_ID");
  distribution["prettyName"] = os_release_value(release_text, "PRETTY_NAME");
  host["distribution"] = distribution;
  host["cpus"] = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  struct sysinfo si {};
  if (::sysinfo(&si) == 0) {
    uint64_t unit = si.mem_unit ? si.mem_unit : 1;
    host["memTotal"] = uint64_t(si.totalram) * unit;
    host["memFree"] = uint64_t(si.freeram) * unit;
    host["swapTotal"] = uint64_t(si.totalswap) * unit;
    host["swapFree"] = uint64_t(si.freeswap) * unit;
    host["uptime"] = format_uptime(uint64_t(si.uptime));
    host["uptimeSeconds"] = uint64_t(si.uptime);
  }
  host["rootless"] = ::geteuid() != 0;

  ProbeResult userns = probe_user_namespace();
  Json ns = probe_json(userns);
  auto max_namespaces = read_sysctl_int("/proc/sys/user/max_user_namespaces");
  ns["maxUserNamespaces"] = max_namespaces ? Json(*max_namespaces) : Json(nullptr);
  // Debian and Ubuntu kernels only: absent elsewhere, and then not reported.
  if (auto clone = read_sysctl_int("/proc/sys/kernel/unprivileged_userns_clone"))
    ns["unprivilegedUsernsClone"] = *clone;
  host["userNamespaces"] = ns;
  return host;
}

Json ranges_json(const std::vector<IdRange>& ranges) {
  Json out = Json::array();
  for (const auto& r : ranges) out.push_back({{"containerId", r.container_id}, {"hostId", r.host_id}, {"size", r.count}});
  return out;
}

Json subids_json(const std::vector<SubidRange>& ranges) {
  Json out = Json::array();
  for (const auto& r : ranges) out.push_back({{"start", r.start}, {"count", r.count}});
  return out;
}

Json program_json(const SetidProgram& p) {
  return Json{{"path", p.path}, {"setuidRoot", p.setuid_root}, {"fileCaps", p.file_caps}, {"usable", p.usable}};
}

Json gather_id_mappings() {
  UsernsFacts facts = read_userns_facts();
  const IdMapping& mapping = current_id_mapping();
  SetidProgram newuidmap = inspect_setid_program(facts.newuidmap, CAP_SETUID);
  SetidProgram newgidmap = inspect_setid_program(facts.newgidmap, CAP_SETGID);
  Json out = Json::object();
  out["user"] = facts.user_name;
  out["uid"] = facts.uid;
  out["gid"] = facts.gid;
  out["root"] = mapping.identity;
  out["uidmap"] = ranges_json(mapping.uids);
  out["gidmap"] = ranges_json(mapping.gids);
  out["subuids"] = subids_json(facts.subuids);
  out["subgids"] = subids_json(facts.subgids);
  out["newuidmap"] = program_json(newuidmap);
  out["newgidmap"] = program_json(newgidmap);
  out["warning"] = id_mapping_warning(facts, newuidmap, newgidmap);
  return out;
}

// A scratch folder for the overlay probe on the store's own file system (an
// NFS home refuses an upper layer where /tmp would not), named and locked
// like a layer being extracted, so garbage collection removes it if we die.
ProbeResult probe_native_overlay_in(const Store& store) {
  std::string dir = store.layers_dir() + "/.tmp-" + random_hex(16);
  FileLock dir_lock;
  {
    auto store_lock = store.lock();
    if (!store_lock.ok()) return {false, store_lock.error().text()};
    if (::mkdir(dir.c_str(), 0700) != 0) return {false, errno_error("create `{}`", dir).text()};
    auto fd = open_directory(dir);
    auto held = fd.ok() ? FileLock::try_acquire_fd(std::move(*fd), dir) : Result<FileLock>(fd.error());
    if (held.ok()) dir_lock = std::move(*held);
  }
  ProbeResult result = probe_native_overlay(dir);
  (void)remove_tree(dir);  // the child emptied it; this removes what a failure left
  return result;
}

Json gather_rootfs(const Store* store, const std::string& store_error, std::string* chosen) {
  ProbeResult native = store ? probe_native_overlay_in(*store)
                             : ProbeResult{false, "not probed: the store can't be opened: " + store_error};
  ProbeResult fuse;
  std::string fuse_path = find_program("fuse-overlayfs");
  if (fuse_path.empty()) {
    fuse.error = "fuse-overlayfs is not installed (not found in PATH)";
  } else {
    fuse = probe_device_read_write("/dev/fuse");
  }
  *chosen = choose_rootfs_driver(native, fuse);
  Json fuse_json = probe_json(fuse);
  fuse_json["path"] = fuse_path;
  return Json{{"native", probe_json(native)}, {"fuseOverlayfs", fuse_json}, {"vfs", probe_json({true, ""})}};
}

Json gather_cgroups() {
  CgroupFacts facts = read_cgroup_facts();
  LimitSupport limits = assess_limits(facts, ::geteuid());
  Json out = Json::object();
  out["version"] = std::string(cgroup_layout_name(facts.layout));
  out["v2Mount"] = facts.v2_mount;
  out["cgroup"] = facts.own_path;
  out["v1Controllers"] = facts.v1_controllers;
  out["controllers"] = facts.controllers;
  out["subtreeControl"] = facts.subtree_control;
  out["delegated"] = facts.v2_dir_exists && facts.writable && facts.subtree_control_writable;
  std::string base = cgroup_base(facts);
  out["containerCgroups"] = base.empty() ? Json() : Json(base);
  out["limits"] = Json{{"memory", limits.memory}, {"cpus", limits.cpus}, {"pidsLimit", limits.pids},
                       {"warning", limits.warning}};
  return out;
}

Json gather_network() {
  Json backends = Json::object();
  ProbeResult tun = probe_device_read_write("/dev/net/tun");
  // The library as a container's network loads it (dlopen), not the headers skiff was built with.
  auto lib = slirp_library();
  std::string error = !tun.works ? tun.error + ": containers can't get a tap0 device (use --network none or host)"
                      : !lib.ok() ? lib.error().text()
                                  : "";
  backends["slirp"] = Json{{"available", error.empty()},
                           {"libslirp", lib.ok() ? Json((*lib)->version_string()) : Json(nullptr)},
                           {"tunDevice", "/dev/net/tun"},
                           {"error", error}};
  for (const char* name : {"pasta", "slirp4netns"}) {
    std::string path = find_program(name);
    backends[name] = Json{{"available", !path.empty()}, {"path", path}};
  }
  backends["host"] = Json{{"available", true}};
  backends["none"] = Json{{"available", true}};
  Json out = Json::object();
  out["defaultBackend"] = "slirp";
  out["backends"] = backends;
  auto port_start = read_sysctl_int("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  out["unprivilegedPortStart"] = port_start ? Json(*port_start) : Json(nullptr);
  return out;
}

// Entries of `dir` not starting with '.' (those are temporaries), and the
// disk space they use.
Json usage_of(const std::string& dir) {
  uint64_t count = 0, bytes = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      ++count;
      bytes += tree_disk_usage(dir + "/" + e->d_name);
    }
    ::closedir(d);
  }
  return Json{{"count", count}, {"bytes", bytes}};
}

Json gather_store(const Store& store, const std::string& driver) {
  Json out = Json::object();
  out["root"] = store.root();
  out["runroot"] = store.runroot();
  out["graphDriverName"] = driver;
  out["filesystem"] = filesystem_type_of(store.root());
  struct statvfs vfs {};
  out["bytesAvailable"] = ::statvfs(store.root().c_str(), &vfs) == 0 ? uint64_t(vfs.f_bavail) * vfs.f_frsize : 0;
  out["images"] = usage_of(store.images_dir());
  out["layers"] = usage_of(store.layers_dir());
  out["containers"] = usage_of(store.containers_dir());
  out["volumes"] = usage_of(store.volumes_dir());
  return out;
}

}  // namespace

LimitSupport assess_limits(const CgroupFacts& c, uid_t uid) {
  static const char* kAll = "--memory, --cpus and --pids-limit are not available";
  LimitSupport out;
  switch (c.layout) {
    case CgroupLayout::kNone:
      out.warning = fmt::format("no cgroup file system is mounted at /sys/fs/cgroup: {}", kAll);
      return out;
    case CgroupLayout::kV1:
      out.warning = fmt::format(
          "cgroup v1 host: {}; limits need a delegated cgroup v2 subtree (boot with "
          "systemd.unified_cgroup_hierarchy=1, and a systemd user session with Delegate=yes)",
          kAll);
      return out;
    case CgroupLayout::kV2:
    case CgroupLayout::kHybrid:
      break;
  }
  if (!c.v2_dir_exists) {
    out.warning = fmt::format("this process's cgroup `{}` is not visible under {}: {}", c.own_path, c.v2_mount, kAll);
    return out;
  }
  std::vector<std::string> missing, flags;
  for (auto [controller, flag] : {std::pair{"memory", "--memory"}, {"cpu", "--cpus"}, {"pids", "--pids-limit"}})
    if (!contains(c.controllers, controller)) missing.push_back(controller), flags.push_back(flag);
  auto lost = [&] { return fmt::format("{} {} not available", join_and(flags), flags.size() == 1 ? "is" : "are"); };
  auto controller_words = [&] {
    return fmt::format("the {} controller{} {}", join_and(missing), missing.size() == 1 ? "" : "s",
                       missing.size() == 1 ? "is" : "are");
  };
  // In hybrid mode the controllers belong to the v1 hierarchies and can never
  // show up in the v2 one, whoever may write it.
  if (c.layout == CgroupLayout::kHybrid && !missing.empty()) {
    bool delegated = c.writable && c.subtree_control_writable;
    out.memory = delegated && contains(c.controllers, "memory");
    out.cpus = delegated && contains(c.controllers, "cpu");
    out.pids = delegated && contains(c.controllers, "pids");
    out.warning = fmt::format(
        "cgroup v1 hybrid host: {} bound to cgroup v1, so {}; limits need a delegated cgroup v2 subtree "
        "(boot with systemd.unified_cgroup_hierarchy=1, and a systemd user session with Delegate=yes)",
        controller_words(), lost());
    return out;
  }
  if (!c.writable || !c.subtree_control_writable) {
    out.warning = fmt::format(
        "cgroup `{}` is not writable by uid {}: {}; limits need a delegated cgroup v2 subtree (a systemd "
        "user session with Delegate=yes, e.g. `systemd-run --user --scope -p Delegate=yes skiff ...`)",
        c.v2_dir, uid, kAll);
    return out;
  }
  out.memory = contains(c.controllers, "memory");
  out.cpus = contains(c.controllers, "cpu");
  out.pids = contains(c.controllers, "pids");
  if (missing.empty()) return out;
  out.warning = fmt::format(
      "{} not delegated to cgroup `{}` (it has: {}), so {}; delegate them with Delegate=yes (or "
      "Delegate={}) for the user's systemd service",
      controller_words(), c.v2_dir, c.controllers.empty() ? "none" : join(c.controllers, " "), lost(),
      join(missing, " "));
  return out;
}

std::string describe_subid_range(const SubidRange& r) {
  uint64_t last = uint64_t(r.start) + r.count - 1;
  return fmt::format("{}-{} ({} ID{})", r.start, last, r.count, r.count == 1 ? "" : "s");
}

std::string id_mapping_warning(const UsernsFacts& facts, const SetidProgram& newuidmap,
                               const SetidProgram& newgidmap) {
  if (facts.uid == 0) return "";
  static const char* kLoss =
      "containers get a single-ID user namespace (only root inside), so files in images owned by users "
      "other than root lose that ownership and become root's, and switching to another user fails";
  std::string user = facts.user_name.empty() ? std::to_string(facts.uid) : facts.user_name;
  if (facts.subuids.empty() || facts.subgids.empty()) {
    std::string which = facts.subuids.empty() && facts.subgids.empty() ? "/etc/subuid and /etc/subgid"
                        : facts.subuids.empty()                       ? "/etc/subuid"
                                                                      : "/etc/subgid";
    return fmt::format(
        "no subordinate ID range for user `{}` in {}: {}; ask an administrator to add one "
        "(`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {}`)",
        user, which, kLoss, user);
  }
  if (newuidmap.path.empty() || newgidmap.path.empty()) {
    return fmt::format(
        "{} is not installed (package uidmap or shadow-utils), so the subordinate ID ranges of `{}` "
        "can't be used: {}",
        newuidmap.path.empty() && newgidmap.path.empty() ? "newuidmap/newgidmap"
        : newuidmap.path.empty()                         ? "newuidmap"
                                                         : "newgidmap",
        user, kLoss);
  }
  for (const SetidProgram* p : {&newuidmap, &newgidmap}) {
    if (!p->usable)
      return fmt::format(
          "`{}` is neither setuid root nor granted {} by file capabilities: containers will fail to "
          "start until it is reinstalled with its privilege",
          p->path, p == &newuidmap ? "cap_setuid" : "cap_setgid");
  }
  // Images commonly use IDs up to 65534 (nobody); a smaller range loses them.
  uint64_t mapped = 0;
  for (const auto& r : facts.subuids) mapped += r.count;
  if (mapped < 65535) {
    std::vector<std::string> ranges;
    for (const auto& r : facts.subuids) ranges.push_back(describe_subid_range(r));
    bool one = facts.subuids.size() == 1;
    return fmt::format(
        "the subordinate uid range{} of `{}`, {}, cover{} container IDs 1-{} only: files owned by higher "
        "IDs (nobody is 65534) become root's",
        one ? "" : "s", user, join_and(ranges), one ? "s" : "", mapped);
  }
  return "";
}

std::string choose_rootfs_driver(const ProbeResult& native, const ProbeResult& fuse_overlayfs) {
  if (native.works) return "native";
  if (fuse_overlayfs.works) return "fuse-overlayfs";
  return "vfs";
}

std::string format_uptime(uint64_t seconds) {
  uint64_t days = seconds / 86400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60, secs = seconds % 60;
  if (days > 0) return fmt::format("{}d {}h {}m {}s", days, hours, minutes, secs);
  if (hours > 0) return fmt::format("{}h {}m {}s", hours, minutes, secs);
  if (minutes > 0) return fmt::format("{}m {}s", minutes, secs);
  return fmt::format("{}s", secs);
}

namespace {

Json gather_all(const Store* store, const std::string& root, const std::string& runroot,
                const std::string& store_error) {
  Json info = Json::object();
  info["host"] = gather_host();
  info["idMappings"] = gather_id_mappings();
  std::string driver;
  Json drivers = gather_rootfs(store, store_error, &driver);
  info["rootfsDriver"] = driver;
  info["rootfsDrivers"] = drivers;
  info["cgroups"] = gather_cgroups();
  info["network"] = gather_network();
  if (store) {
    info["store"] = gather_store(*store, driver);
  } else {
    info["store"] = Json{{"root", root}, {"runroot", runroot}, {"graphDriverName", driver}, {"error", store_error}};
  }
  info["version"] = Json{{"version", SKIFF_VERSION}, {"gitCommit", SKIFF_GIT_COMMIT}};
  return info;
}

}  // namespace

Json gather_info(const Store& store) { return gather_all(&store, store.root(), store.runroot(), ""); }

Json gather_info_without_store(const std::string& root, const std::string& runroot, const Error& store_error) {
  return gather_all(nullptr, root, runroot, store_error.text());
}

}  // namespace skiff
