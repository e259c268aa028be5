// What this host lets the current user do, found out by trying: `skiff info`
// asks these questions. Each probe answers with a value (works, or why not),
// never an Error: a failed probe is a fact to report, not a failure of info.
//
// The parsers of /proc and /etc text are pure and unit tested; the probes
// that fork, unshare or mount live here because src/linux is the only place
// allowed to make those calls.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

/// The answer of a probe: it works, or `error` says why not.
struct ProbeResult {
  bool works = false;
  std::string error;
};

// ---- Pure parsers -------------------------------------------------------

/// One line of /proc/self/cgroup: "hierarchy-ID:controller,list:/path".
struct ProcCgroupEntry {
  uint32_t hierarchy = 0;
  std::vector<std::string> controllers;  ///< empty for the v2 line ("0::/path")
  std::string path;
};

/// Parses /proc/PID/cgroup text; malformed lines are skipped.
std::vector<ProcCgroupEntry> parse_proc_cgroup(std::string_view text);

/// The whitespace-separated words of a kernel file (a cgroup's controller
/// list or cgroup.procs).
std::vector<std::string> kernel_file_words(std::string_view text);

/// The process's cgroup v2 path (the "0::" line), if there is one.
std::optional<std::string> unified_cgroup_path(const std::vector<ProcCgroupEntry>& entries);

/// One line of /proc/PID/mountinfo (octal escapes like \040 decoded).
struct MountInfoEntry {
  std::string root;         ///< the mounted subtree of the source file system
  std::string mount_point;
  std::string fs_type;      ///< "ext4", "fuse.sshfs", "nfs4"...
  std::string source;
  std::string options;      ///< per-mount options, "rw,relatime"
};

/// Parses /proc/PID/mountinfo text; malformed lines are skipped.
std::vector<MountInfoEntry> parse_mountinfo(std::string_view text);

/// The mount that holds absolute, symlink-free `path`: the longest mount
/// point that is `path` or a folder above it; of equal ones, the last
/// (topmost). Null when `entries` has none.
const MountInfoEntry* mount_containing(const std::vector<MountInfoEntry>& entries, std::string_view path);

/// A /proc/sys value holding one integer ("1024\n"); nullopt when it is not one.
std::optional<int64_t> parse_sysctl_int(std::string_view text);

/// A value of /etc/os-release ("PRETTY_NAME"), unquoted; "" when absent.
std::string os_release_value(std::string_view text, std::string_view key);

/// Whether a `security.capability` xattr value (struct vfs_cap_data, v1 to
/// v3) puts capability number `cap` in the permitted set and sets the
/// effective bit, so an exec of the file gains it.
bool file_caps_grant(std::string_view xattr, int cap);

/// The capability names granted by a `security.capability` value, for
/// display: "cap_setuid,cap_setgid" style for the few that matter here,
/// other bits as numbers. "" for none or a malformed value.
std::string describe_file_caps(std::string_view xattr);

// ---- Probes -------------------------------------------------------------

/// Forks a child that calls unshare(CLONE_NEWUSER): whether this user may
/// create a user namespace, and if not, why (explain_userns_errno).
ProbeResult probe_user_namespace();

/// Tries native overlayfs the way containers mount it: in a child made by
/// run_in_user_namespace(current_id_mapping()), in a new mount namespace,
/// mounts an overlay (userxattr) of folders made inside `scratch_dir`, then
/// copies a file up and deletes it (a whiteout). The child removes what it
/// made, which may belong to mapped IDs, except the empty `merged` mount
/// point: the caller removes that with `scratch_dir` itself. Takes a few
/// milliseconds (no unmount: that alone waits ~10 ms for RCU).
ProbeResult probe_native_overlay(const std::string& scratch_dir);

/// Why mount("overlay") failed with `errnum` inside a user namespace, in
/// words a user can act on ("" when there is nothing to add to strerror).
std::string explain_overlay_errno(int errnum);

/// A setuid helper (newuidmap, newgidmap): where it is and how it gets the
/// privilege it needs.
struct SetidProgram {
  std::string path;          ///< "" when not installed
  bool setuid_root = false;  ///< owned by root with the set-user-ID bit
  std::string file_caps;     ///< file capabilities, "" when none
  bool usable = false;       ///< setuid root, or file caps granting `cap`
};

/// Looks `path` up with stat and getxattr("security.capability"); `cap` is
/// the capability it needs (CAP_SETUID for newuidmap, CAP_SETGID for newgidmap).
SetidProgram inspect_setid_program(const std::string& path, int cap);

/// The full path of `name` in $PATH, then /usr/bin, /usr/sbin, /bin, /sbin;
/// "" when not found or not executable.
std::string find_program(std::string_view name);

/// Whether this user can open the character device `path` read-write
/// (/dev/fuse, /dev/net/tun); the open error when not.
ProbeResult probe_device_read_write(const std::string& path);

/// How cgroups are mounted at /sys/fs/cgroup.
enum class CgroupLayout { kNone, kV1, kV2, kHybrid };

/// "v1", "v2", "hybrid", "none".
std::string_view cgroup_layout_name(CgroupLayout layout);

/// What the cgroup file system offers this process.
struct CgroupFacts {
  CgroupLayout layout = CgroupLayout::kNone;
  std::string own_path;            ///< cgroup v2 path from /proc/self/cgroup ("/user.slice/...")
  std::vector<std::string> v1_controllers;  ///< controllers of v1 hierarchies this process is in
  std::string v2_mount;            ///< "/sys/fs/cgroup" or "/sys/fs/cgroup/unified"; "" without v2
  std::string v2_dir;              ///< v2_mount + own_path, "" without v2
  bool v2_dir_exists = false;
  bool writable = false;           ///< may create child cgroups in v2_dir
  bool subtree_control_writable = false;
  std::vector<std::string> controllers;      ///< v2_dir/cgroup.controllers
  std::vector<std::string> subtree_control;  ///< v2_dir/cgroup.subtree_control
};

/// What read_cgroup_facts reads: file contents and what statfs and
/// access(2) answered, for make_cgroup_facts.
struct CgroupFiles {
  std::string proc_self_cgroup;     ///< /proc/self/cgroup
  bool root_is_cgroup2 = false;     ///< /sys/fs/cgroup is a cgroup2 mount (unified)
  bool unified_is_cgroup2 = false;  ///< /sys/fs/cgroup/unified is one (systemd's hybrid)
  bool root_is_cgroup1 = false;     ///< /sys/fs/cgroup is a cgroup (v1) mount itself
  // The process's own v2 folder (v2 mount + its "0::" path):
  bool dir_exists = false;
  bool dir_writable = false;              ///< access(W_OK|X_OK)
  bool subtree_control_writable = false;  ///< access(cgroup.subtree_control, W_OK)
  std::string controllers;                ///< cgroup.controllers
  std::string subtree_control;            ///< cgroup.subtree_control
};

/// The facts `files` make (pure).
CgroupFacts make_cgroup_facts(const CgroupFiles& files);

/// The v2 mount `files` point to: "/sys/fs/cgroup", "/sys/fs/cgroup/unified", or "".
std::string cgroup_v2_mount(const CgroupFiles& files);

/// This machine's cgroup v2 mount, as cgroup_v2_mount says (two statfs).
std::string find_cgroup_v2_mount();

/// statfs /sys/fs/cgroup (and /sys/fs/cgroup/unified), /proc/self/cgroup,
/// and access(2) on the process's own v2 cgroup.
CgroupFacts read_cgroup_facts();

/// An integer from /proc/sys (e.g. "/proc/sys/user/max_user_namespaces");
/// nullopt when the file is absent or not a number.
std::optional<int64_t> read_sysctl_int(const std::string& path);

/// The type of the file system holding `path`, from /proc/self/mountinfo
/// ("ext4", "nfs4", "tmpfs"); "" when unknown.
std::string filesystem_type_of(const std::string& path);

}  // namespace skiff
