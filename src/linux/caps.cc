#include "linux/caps.h"

#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <type_traits>

namespace skiff {

namespace {

// The kernel's capability numbers (include/uapi/linux/capability.h), with
// docker's spelling. skiff's own table rather than libcap's cap_to_name so
// the names don't depend on the libcap version the binary was built with.
constexpr std::array<std::string_view, 41> kCapabilityNames = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
static_assert(CAP_CHOWN == 0 && CAP_SETFCAP == 31 && CAP_AUDIT_READ == 37);
#ifdef CAP_CHECKPOINT_RESTORE
static_assert(CAP_CHECKPOINT_RESTORE == 40);
#endif
static_assert(kCapabilityNames.size() <= 64, "masks are uint64_t");

constexpr std::string_view kAll = "ALL";

// How many capabilities the running kernel has: libcap probes it once
// (PR_CAPBSET_READ), which agrees with /proc/sys/kernel/cap_last_cap + 1.
int kernel_capability_count() {
  int count = int(cap_max_bits());
  return std::clamp(count, 0, 64);
}

// The capabilities both skiff and the kernel know.
int known_capability_count() {
  return std::min(kernel_capability_count(), int(kCapabilityNames.size()));
}

CapabilitySet make_set(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return CapabilitySet{std::move(names)};
}

Result<std::vector<std::string>> normalize_all(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const auto& name : names) out.push_back(TRY(normalize_capability_name(name)));
  return out;
}

bool has_all(const std::vector<std::string>& names) {
  return std::find(names.begin(), names.end(), kAll) != names.end();
}

// libcap's cap_t, freed on every return.
struct CapFree {
  void operator()(void* caps) const { cap_free(caps); }
};
using UniqueCaps = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

// The calling process's permitted set as kernel bits.
Result<uint64_t> permitted_mask() {
  UniqueCaps caps(cap_get_proc());
  if (!caps) return errno_error("read process capabilities");
  uint64_t mask = 0;
  int count = kernel_capability_count();
  for (int cap = 0; cap < count; ++cap) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps.get(), cap_value_t(cap), CAP_PERMITTED, &value) == 0 && value == CAP_SET)
      mask |= uint64_t(1) << cap;
  }
  return mask;
}

Status apply(const CapabilitySet& set, const std::function<Status()>& become_user) {
  // Child: the container's init, uid 0 in its user namespace, every
  // capability in that namespace (none on the host), about to execve.
  uint64_t wanted = capability_mask(set) & TRY(permitted_mask());
  int count = kernel_capability_count();

  // The bounding set first, while CAP_SETPCAP is still effective: it limits
  // what execve can ever give back, including through setuid-root and
  // file-capability binaries in the image. It stays as it is for any uid.
  for (int cap = 0; cap < count; ++cap) {
    if (wanted & (uint64_t(1) << cap)) continue;
    if (cap_drop_bound(cap_value_t(cap)) != 0) {
      std::string_view name = size_t(cap) < kCapabilityNames.size() ? kCapabilityNames[cap] : "";
      return errno_error("drop capability `{}` from the bounding set",
                         name.empty() ? std::to_string(cap) : std::string(name));
    }
  }

  if (become_user) {
    // setuid from 0 to another uid clears the permitted set unless
    // KEEPCAPS is on (capabilities(7), "Effect of user ID changes"); keep it
    // so step 3 decides, then turn KEEPCAPS off so it can't leak past execve
    // (the kernel clears it there too).
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno_error("keep capabilities across setuid");
    Status switched = become_user();
    int saved = errno;
    (void)::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    errno = saved;
    if (!switched.ok()) return switched;
  }

  // Nothing ambient: docker sets none, and an ambient capability would
  // survive execve of any program for a non-root user.
  if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0) return errno_error("clear ambient capabilities");

  // uid 0 keeps the set in permitted and effective, as execve would give
  // root from its bounding set; any other uid gets none, as execve would
  // give it. Inheritable stays empty (CVE-2022-24769).
  UniqueCaps caps(cap_init());
  if (!caps) return errno_error("allocate capability state");
  if (::geteuid() == 0) {
    std::vector<cap_value_t> values;
    for (int cap = 0; cap < count; ++cap)
      if (wanted & (uint64_t(1) << cap)) values.push_back(cap_value_t(cap));
    if (!values.empty() &&
        (cap_set_flag(caps.get(), CAP_PERMITTED, int(values.size()), values.data(), CAP_SET) != 0 ||
         cap_set_flag(caps.get(), CAP_EFFECTIVE, int(values.size()), values.data(), CAP_SET) != 0))
      return errno_error("build capability state");
  }
  if (cap_set_proc(caps.get()) != 0) return errno_error("set process capabilities");
  return {};
}

}  // namespace

bool CapabilitySet::contains(std::string_view name) const {
  return std::binary_search(names.begin(), names.end(), name);
}

const CapabilitySet& default_capabilities() {
  static const CapabilitySet set = make_set({
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_FSETID",
      "CAP_FOWNER",
      "CAP_MKNOD",
      "CAP_NET_RAW",
      "CAP_SETGID",
      "CAP_SETUID",
      "CAP_SETFCAP",
      "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE",
      "CAP_SYS_CHROOT",
      "CAP_KILL",
      "CAP_AUDIT_WRITE",
  });
  return set;
}

CapabilitySet all_capabilities() {
  std::vector<std::string> names;
  int known = known_capability_count();
  for (int cap = 0; cap < known; ++cap) names.emplace_back(kCapabilityNames[cap]);
  return make_set(std::move(names));
}

std::optional<int> capability_number(std::string_view name) {
  auto it = std::find(kCapabilityNames.begin(), kCapabilityNames.end(), name);
  if (it == kCapabilityNames.end()) return std::nullopt;
  return int(it - kCapabilityNames.begin());
}

Result<std::string> normalize_capability_name(std::string_view name) {
  // As moby's NormalizeLegacyCapabilities: upper-case, then add CAP_.
  std::string upper(name);
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (upper == kAll) return upper;
  if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
  auto number = capability_number(upper);
  if (!number) return make_error("unknown capability `{}`", upper);
  if (*number >= kernel_capability_count())
    return make_error("capability `{}` is not supported by this kernel", upper);
  return upper;
}

uint64_t capability_mask(const CapabilitySet& set) {
  uint64_t mask = 0;
  for (const auto& name : set.names)
    if (auto number = capability_number(name)) mask |= uint64_t(1) << *number;
  return mask;
}

CapabilitySet capabilities_from_mask(uint64_t mask) {
  std::vector<std::string> names;
  for (size_t cap = 0; cap < kCapabilityNames.size(); ++cap)
    if (mask & (uint64_t(1) << cap)) names.emplace_back(kCapabilityNames[cap]);
  return make_set(std::move(names));
}

Result<CapabilitySet> resolve_capabilities(const std::vector<std::string>& add,
                                           const std::vector<std::string>& drop, bool privileged) {
  // dockerd checks every name before it looks at --privileged.
  std::vector<std::string> adds = TRY(normalize_all(add).wrap("--cap-add"));
  std::vector<std::string> drops = TRY(normalize_all(drop).wrap("--cap-drop"));
  if (privileged) return all_capabilities();

  // moby's order: "ALL" in add wins over "ALL" in drop.
  std::vector<std::string> names;
  if (has_all(adds)) {
    for (auto& name : all_capabilities().names)
      if (std::find(drops.begin(), drops.end(), name) == drops.end()) names.push_back(std::move(name));
  } else if (has_all(drops)) {
    names = std::move(adds);
  } else {
    for (const auto& name : default_capabilities().names)
      if (std::find(drops.begin(), drops.end(), name) == drops.end()) names.push_back(name);
    names.insert(names.end(), adds.begin(), adds.end());
  }
  return make_set(std::move(names));
}

CapabilitySet held_capabilities() {
  auto mask = permitted_mask();
  return capabilities_from_mask(mask.ok() ? *mask : 0);
}

Status apply_capabilities(const CapabilitySet& set, const std::function<Status()>& become_user) {
  try {
    return apply(set, become_user);
  } catch (...) {
    // Out of memory, or an exception from become_user: never unwind out of
    // a forked child.
    return make_error("set process capabilities: unexpected exception");
  }
}

}  // namespace skiff
