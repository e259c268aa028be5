// Seccomp profiles in docker's JSON format, compiled with libseccomp.
//
// Three steps, each as docker 25 and runc take them:
//  1. Parse and check the JSON (moby's profiles/seccomp/seccomp.go types): a
//     bad field is reported by its path, "syscalls[3].args[0].op: ...".
//  2. Keep the rules whose includes/excludes match this container and host
//     (moby's setupSeccomp): every cap in includes.caps present, none of
//     excludes.caps; this machine's docker arch name ("amd64") in or out of
//     the arches lists; the kernel's "major.minor" against minKernel. The
//     filter covers the native architecture plus, from archMap, the entry for
//     it and its sub-architectures (x86 and x32 on amd64).
//  3. Hand the rules to libseccomp (runc's InitSeccomp): SCMP_ACT_KILL means
//     KILL_THREAD, ERRNO and TRACE without errnoRet mean EPERM, rules with the
//     default action are dropped (libseccomp refuses them), conditions on the
//     same argument become separate rules (libseccomp cannot AND them), names
//     libseccomp does not know are skipped. Then export the BPF and put runc's
//     ENOSYS stub in front of it (runc's patchbpf): a syscall numbered above
//     every syscall the profile names is newer than the profile, so it gets
//     ENOSYS, which makes glibc fall back (clone3, fchmodat2...), instead of
//     the default EPERM, which makes it fail.
#include "linux/seccomp_profile.h"

#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string_view>

#include "base/unique_fd.h"

namespace skiff {

// The built-in profile's text, in seccomp_default_profile.cc.
extern const char kDefaultSeccompProfileJson[];

namespace {

// ---- The profile's model --------------------------------------------------

// "major.minor" of a kernel; docker ignores everything after the minor.
struct KernelVersion {
  unsigned major = 0;
  unsigned minor = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

// includes or excludes of a rule.
struct RuleFilter {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::optional<KernelVersion> min_kernel;
};

struct Rule {
  std::vector<std::string> names;
  uint32_t action = 0;
  std::vector<scmp_arg_cmp> args;
  RuleFilter includes;
  RuleFilter excludes;
};

struct ArchGroup {
  std::string arch;  // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_arches;
};

struct Profile {
  bool disabled = false;  // no defaultAction and no syscalls: docker runs unconfined
  uint32_t default_action = 0;
  std::vector<std::string> architectures;
  std::vector<ArchGroup> arch_map;
  std::vector<Rule> rules;
};

// ---- Reading JSON fields with their path in errors ------------------------

// The member `key` of `object`, or null when absent or JSON null: Go's
// decoder, which docker uses, treats the two alike.
const Json* member(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> string_field(const Json& value, const std::string& path) {
  if (!value.is_string()) return make_error("{}: expected a string, found {}", path, value.type_name());
  return value.get<std::string>();
}

Result<uint64_t> uint_field(const Json& value, const std::string& path) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer())
    return make_error("{}: expected a number of at least 0, found {}", path, value.dump());
  return make_error("{}: expected a whole number, found {}", path,
                    value.is_number() ? value.dump() : value.type_name());
}

Result<std::vector<std::string>> strings_field(const Json* value, const std::string& path) {
  std::vector<std::string> out;
  if (!value) return out;
  if (!value->is_array())
    return make_error("{}: expected an array of strings, found {}", path, value->type_name());
  for (size_t i = 0; i < value->size(); ++i)
    out.push_back(TRY(string_field((*value)[i], fmt::format("{}[{}]", path, i))));
  return out;
}

Result<uint32_t> errno_field(const Json& value, const std::string& path) {
  uint64_t n = TRY(uint_field(value, path));
  // The kernel clamps a filter's errno to 4095 (MAX_ERRNO): larger would not mean what it says.
  if (n > 4095) return make_error("{}: errno {} is out of range 0-4095", path, n);
  return uint32_t(n);
}

// A libseccomp action from docker's name; `errno_ret` for ERRNO and TRACE.
Result<uint32_t> parse_action(const std::string& name, std::optional<uint32_t> errno_ret,
                              const std::string& path) {
  uint32_t ret = errno_ret.value_or(EPERM);
  if (name == "SCMP_ACT_ALLOW") return uint32_t(SCMP_ACT_ALLOW);
  if (name == "SCMP_ACT_ERRNO") return uint32_t(SCMP_ACT_ERRNO(ret));
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return uint32_t(SCMP_ACT_KILL_THREAD);
  if (name == "SCMP_ACT_KILL_PROCESS") return uint32_t(SCMP_ACT_KILL_PROCESS);
  if (name == "SCMP_ACT_TRAP") return uint32_t(SCMP_ACT_TRAP);
  if (name == "SCMP_ACT_TRACE") return uint32_t(SCMP_ACT_TRACE(ret));
  if (name == "SCMP_ACT_LOG") return uint32_t(SCMP_ACT_LOG);
  if (name == "SCMP_ACT_NOTIFY")
    return make_error("{}: `SCMP_ACT_NOTIFY` is not supported: skiff runs no seccomp agent", path);
  return make_error(
      "{}: unknown action `{}` (expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, "
      "SCMP_ACT_KILL_THREAD, "
      "SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG)",
      path, name);
}

Result<scmp_compare> parse_op(const std::string& name, const std::string& path) {
  static constexpr std::pair<std::string_view, scmp_compare> kOps[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  for (const auto& [op_name, op] : kOps)
    if (name == op_name) return op;
  return make_error(
      "{}: unknown operator `{}` (expected SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, "
      "SCMP_CMP_GE or SCMP_CMP_MASKED_EQ)",
      path, name);
}

// libseccomp's token for "SCMP_ARCH_X86_64" (0 when it does not know it).
uint32_t arch_token(std::string_view name) {
  constexpr std::string_view kPrefix = "SCMP_ARCH_";
  if (!name.starts_with(kPrefix)) return 0;
  std::string lower(name.substr(kPrefix.size()));
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(lower.c_str());
}

// docker's "<kernel>.<major>": two numbers below 256, not both 0.
Result<KernelVersion> parse_min_kernel(const std::string& text, const std::string& path) {
  KernelVersion v;
  const char* end = text.data() + text.size();
  auto [dot, ec1] = std::from_chars(text.data(), end, v.major);
  bool ok = ec1 == std::errc() && dot < end && *dot == '.';
  if (ok) {
    auto [last, ec2] = std::from_chars(dot + 1, end, v.minor);
    ok = ec2 == std::errc() && last == end && dot + 1 < end;
  }
  if (!ok || v.major > 255 || v.minor > 255 || (v.major == 0 && v.minor == 0))
    return make_error("{}: invalid kernel version `{}`, expected \"<kernel>.<major>\" like \"4.8\"", path,
                      text);
  return v;
}

Result<RuleFilter> parse_rule_filter(const Json* value, const std::string& path) {
  RuleFilter f;
  if (!value) return f;
  if (!value->is_object()) return make_error("{}: expected an object, found {}", path, value->type_name());
  f.caps = TRY(strings_field(member(*value, "caps"), path + ".caps"));
  f.arches = TRY(strings_field(member(*value, "arches"), path + ".arches"));
  if (const Json* k = member(*value, "minKernel")) {
    std::string text = TRY(string_field(*k, path + ".minKernel"));
    if (!text.empty()) f.min_kernel = TRY(parse_min_kernel(text, path + ".minKernel"));
  }
  return f;
}

Result<scmp_arg_cmp> parse_arg(const Json& value, const std::string& path) {
  if (!value.is_object()) return make_error("{}: expected an object, found {}", path, value.type_name());
  const Json* index = member(value, "index");
  const Json* op = member(value, "op");
  const Json* datum = member(value, "value");
  if (!index) return make_error("{}.index: missing", path);
  if (!op) return make_error("{}.op: missing", path);
  uint64_t i = TRY(uint_field(*index, path + ".index"));
  if (i > 5) return make_error("{}.index: {} is not a syscall argument (0-5)", path, i);
  scmp_arg_cmp cmp{};
  cmp.arg = unsigned(i);
  cmp.op = TRY(parse_op(TRY(string_field(*op, path + ".op")), path + ".op"));
  // For SCMP_CMP_MASKED_EQ `value` is the mask and `valueTwo` what the masked argument must equal.
  cmp.datum_a = datum ? TRY(uint_field(*datum, path + ".value")) : 0;
  const Json* two = member(value, "valueTwo");
  cmp.datum_b = two ? TRY(uint_field(*two, path + ".valueTwo")) : 0;
  return cmp;
}

Result<Rule> parse_rule(const Json& value, const std::string& path) {
  if (!value.is_object()) return make_error("{}: expected an object, found {}", path, value.type_name());
  Rule rule;
  const Json* name = member(value, "name");
  const Json* names = member(value, "names");
  if (name && names) return make_error("{}: both `name` and `names` are given; use `names`", path);
  if (name)
    rule.names.push_back(TRY(string_field(*name, path + ".name")));
  else
    rule.names = TRY(strings_field(names, path + ".names"));
  for (size_t i = 0; i < rule.names.size(); ++i)
    if (rule.names[i].empty()) return make_error("{}.names[{}]: empty syscall name", path, i);

  const Json* action = member(value, "action");
  if (!action) return make_error("{}.action: missing", path);
  std::optional<uint32_t> errno_ret;
  if (const Json* e = member(value, "errnoRet")) errno_ret = TRY(errno_field(*e, path + ".errnoRet"));
  rule.action = TRY(parse_action(TRY(string_field(*action, path + ".action")), errno_ret, path + ".action"));

  if (const Json* args = member(value, "args")) {
    if (!args->is_array()) return make_error("{}.args: expected an array, found {}", path, args->type_name());
    for (size_t i = 0; i < args->size(); ++i)
      rule.args.push_back(TRY(parse_arg((*args)[i], fmt::format("{}.args[{}]", path, i))));
  }
  rule.includes = TRY(parse_rule_filter(member(value, "includes"), path + ".includes"));
  rule.excludes = TRY(parse_rule_filter(member(value, "excludes"), path + ".excludes"));
  return rule;
}

Result<Profile> parse_profile(const Json& json) {
  if (!json.is_object()) return make_error("expected a JSON object, found {}", json.type_name());
  Profile p;
  const Json* syscalls = member(json, "syscalls");
  if (syscalls && !syscalls->is_array())
    return make_error("syscalls: expected an array, found {}", syscalls->type_name());

  std::string default_action;
  if (const Json* a = member(json, "defaultAction")) default_action = TRY(string_field(*a, "defaultAction"));
  if (default_action.empty()) {
    if (!syscalls || syscalls->empty()) {
      p.disabled =
          true;  // docker: "no default action specified, no syscalls listed, assume seccomp disabled"
      return p;
    }
    return make_error("defaultAction: missing");
  }
  std::optional<uint32_t> default_errno;
  if (const Json* e = member(json, "defaultErrnoRet"))
    default_errno = TRY(errno_field(*e, "defaultErrnoRet"));
  p.default_action = TRY(parse_action(default_action, default_errno, "defaultAction"));

  p.architectures = TRY(strings_field(member(json, "architectures"), "architectures"));
  for (size_t i = 0; i < p.architectures.size(); ++i)
    if (!arch_token(p.architectures[i]))
      return make_error(
          "architectures[{}]: unknown architecture `{}` (expected a name like SCMP_ARCH_X86_64)", i,
          p.architectures[i]);
  if (const Json* map = member(json, "archMap")) {
    if (!map->is_array()) return make_error("archMap: expected an array, found {}", map->type_name());
    for (size_t i = 0; i < map->size(); ++i) {
      const Json& entry = (*map)[i];
      std::string path = fmt::format("archMap[{}]", i);
      if (!entry.is_object()) return make_error("{}: expected an object, found {}", path, entry.type_name());
      const Json* arch = member(entry, "architecture");
      if (!arch) return make_error("{}.architecture: missing", path);
      // Names are checked only for the entry this machine uses: a newer
      // profile may list architectures this libseccomp has never heard of.
      ArchGroup group;
      group.arch = TRY(string_field(*arch, path + ".architecture"));
      group.sub_arches = TRY(strings_field(member(entry, "subArchitectures"), path + ".subArchitectures"));
      p.arch_map.push_back(std::move(group));
    }
  }
  if (!p.architectures.empty() && !p.arch_map.empty())
    return make_error("both `architectures` and `archMap` are given; use one of them");

  if (syscalls)
    for (size_t i = 0; i < syscalls->size(); ++i)
      p.rules.push_back(TRY(parse_rule((*syscalls)[i], fmt::format("syscalls[{}]", i))));
  return p;
}

// ---- This machine ---------------------------------------------------------

struct Host {
  uint32_t native = 0;           // libseccomp's token
  std::string_view scmp_name;    // "SCMP_ARCH_X86_64", matched against archMap
  std::string_view docker_name;  // "amd64", matched against includes/excludes arches
  KernelVersion kernel;
};

Host current_host() {
  struct ArchName {
    uint32_t token;
    std::string_view scmp_name;
    std::string_view docker_name;
  };
  // docker names architectures in includes/excludes by Go's GOARCH mapped to libseccomp's spelling.
  static constexpr ArchName kArchNames[] = {
      {SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64", "amd64"},
      {SCMP_ARCH_X86, "SCMP_ARCH_X86", "x86"},
      {SCMP_ARCH_X32, "SCMP_ARCH_X32", "x32"},
      {SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64", "arm64"},
      {SCMP_ARCH_ARM, "SCMP_ARCH_ARM", "arm"},
      {SCMP_ARCH_MIPS, "SCMP_ARCH_MIPS", "mips"},
      {SCMP_ARCH_MIPSEL, "SCMP_ARCH_MIPSEL", "mipsel"},
      {SCMP_ARCH_MIPS64, "SCMP_ARCH_MIPS64", "mips64"},
      {SCMP_ARCH_MIPSEL64, "SCMP_ARCH_MIPSEL64", "mipsel64"},
      {SCMP_ARCH_MIPS64N32, "SCMP_ARCH_MIPS64N32", "mips64n32"},
      {SCMP_ARCH_MIPSEL64N32, "SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
      {SCMP_ARCH_PPC, "SCMP_ARCH_PPC", "ppc"},
      {SCMP_ARCH_PPC64, "SCMP_ARCH_PPC64", "ppc64"},
      {SCMP_ARCH_PPC64LE, "SCMP_ARCH_PPC64LE", "ppc64le"},
      {SCMP_ARCH_S390, "SCMP_ARCH_S390", "s390"},
      {SCMP_ARCH_S390X, "SCMP_ARCH_S390X", "s390x"},
      {SCMP_ARCH_RISCV64, "SCMP_ARCH_RISCV64", "riscv64"},
  };
  Host host;
  host.native = seccomp_arch_native();
  for (const auto& a : kArchNames)
    if (a.token == host.native) {
      host.scmp_name = a.scmp_name;
      host.docker_name = a.docker_name;
    }
  // "6.1.0-18-amd64", "3.12-1-amd64": docker reads "%d.%d" and ignores the rest.
  struct utsname uts {};
  if (::uname(&uts) == 0) std::sscanf(uts.release, "%u.%u", &host.kernel.major, &host.kernel.minor);
  return host;
}

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// Whether a rule is part of this container's filter (moby's setupSeccomp).
bool rule_applies(const Rule& rule, const std::vector<std::string>& caps, const Host& host) {
  const RuleFilter& ex = rule.excludes;
  if (!ex.arches.empty() && contains(ex.arches, host.docker_name)) return false;
  for (const auto& cap : ex.caps)
    if (contains(caps, cap)) return false;
  if (ex.min_kernel && host.kernel >= *ex.min_kernel) return false;

  const RuleFilter& in = rule.includes;
  if (!in.arches.empty() && !contains(in.arches, host.docker_name)) return false;
  for (const auto& cap : in.caps)
    if (!contains(caps, cap)) return false;
  if (in.min_kernel && host.kernel < *in.min_kernel) return false;
  return true;
}

// ---- libseccomp -----------------------------------------------------------

struct FilterContext {
  explicit FilterContext(scmp_filter_ctx c) : ctx(c) {}
  ~FilterContext() {
    if (ctx) seccomp_release(ctx);
  }
  FilterContext(const FilterContext&) = delete;
  FilterContext& operator=(const FilterContext&) = delete;
  scmp_filter_ctx ctx;
};

// libseccomp reports failures as negative errno values.
Error libseccomp_error(int rc, std::string message) { return Error(-rc, std::move(message)); }

Status add_rule(scmp_filter_ctx ctx, const Rule& rule, const std::string& name, int nr) {
  auto add = [&](const scmp_arg_cmp* args, unsigned count) -> Status {
    int rc = seccomp_rule_add_array(ctx, rule.action, nr, count, args);
    if (rc < 0) return libseccomp_error(rc, fmt::format("add seccomp rule for `{}`", name));
    return {};
  };
  // libseccomp cannot AND two comparisons of the same argument; like runc,
  // make each its own rule then (an OR), which is what profiles that list
  // several values for one argument mean.
  bool repeated = false;
  for (size_t i = 0; i < rule.args.size(); ++i)
    for (size_t j = i + 1; j < rule.args.size(); ++j) repeated |= rule.args[i].arg == rule.args[j].arg;
  if (!repeated) return add(rule.args.data(), unsigned(rule.args.size()));
  for (const auto& arg : rule.args) TRY(add(&arg, 1));
  return {};
}

Result<std::vector<sock_filter>> export_bpf(scmp_filter_ctx ctx) {
  UniqueFd fd(::memfd_create("skiff-seccomp", MFD_CLOEXEC));
  if (!fd) return errno_error("create a memfd for the seccomp program");
  if (int rc = seccomp_export_bpf(ctx, fd.get()); rc < 0)
    return libseccomp_error(rc, "export seccomp program");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("stat the seccomp program");
  if (st.st_size % sizeof(sock_filter) != 0)
    return make_error("export seccomp program: {} bytes is not a whole number of instructions", st.st_size);
  std::vector<sock_filter> program(size_t(st.st_size) / sizeof(sock_filter));
  auto* bytes = reinterpret_cast<char*>(program.data());
  size_t done = 0;
  while (done < size_t(st.st_size)) {
    ssize_t n = ::pread(fd.get(), bytes + done, size_t(st.st_size) - done, off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read the seccomp program");
    if (n == 0) return make_error("read the seccomp program: it shrank");
    done += size_t(n);
  }
  return program;
}

// ---- runc's ENOSYS stub ---------------------------------------------------

// The highest syscall number that a kernel's architecture has in the filter:
// for x86_64, separately for x32 calls (which carry bit 30).
struct ArchLimit {
  uint32_t audit_arch = 0;
  std::optional<uint32_t> max;
  std::optional<uint32_t> max_x32;
};

constexpr uint32_t kX32SyscallBit = 0x40000000;

// Straight-line BPF with forward jumps to the end of the stub (the filter)
// or to a later instruction, patched once their targets are known.
class StubBuilder {
 public:
  size_t size() const { return code_.size(); }
  size_t emit(uint16_t code, uint32_t k, uint8_t jt = 0, uint8_t jf = 0) {
    code_.push_back(sock_filter{code, jt, jf, k});
    return code_.size() - 1;
  }
  void jump_to_filter() { to_filter_.push_back(emit(BPF_JMP | BPF_JA, 0)); }
  // Makes the `ja` at `at` land on the next instruction to be emitted.
  void land_here(size_t at) { code_[at].k = uint32_t(code_.size() - at - 1); }
  // ENOSYS when the loaded syscall number is above `max`, else the filter.
  void limit(std::optional<uint32_t> max) {
    if (max) {
      emit(BPF_JMP | BPF_JGT | BPF_K, *max, 0, 1);
      emit(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS));
    }
    jump_to_filter();
  }
  std::vector<sock_filter> finish() {
    for (size_t at : to_filter_) code_[at].k = uint32_t(code_.size() - at - 1);
    return std::move(code_);
  }

 private:
  std::vector<sock_filter> code_;
  std::vector<size_t> to_filter_;
};

std::vector<sock_filter> enosys_stub(const std::vector<ArchLimit>& limits) {
  StubBuilder b;
  b.emit(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  std::vector<size_t> to_section;
  for (const auto& l : limits) {
    b.emit(BPF_JMP | BPF_JEQ | BPF_K, l.audit_arch, 0, 1);
    to_section.push_back(b.emit(BPF_JMP | BPF_JA, 0));
  }
  b.jump_to_filter();  // an architecture the filter lacks: libseccomp's bad-arch action
  for (size_t i = 0; i < limits.size(); ++i) {
    b.land_here(to_section[i]);
    b.emit(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
    if (limits[i].audit_arch == AUDIT_ARCH_X86_64) {
      // x32 calls share x86_64's audit arch and set bit 30: skip to their own limit.
      uint8_t native_part = limits[i].max ? 3 : 1;
      b.emit(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, native_part, 0);
      b.limit(limits[i].max);
      b.limit(limits[i].max_x32);
    } else {
      b.limit(limits[i].max);
    }
  }
  return b.finish();
}

// The per-architecture limits of the stub: the highest number of any syscall
// named by an applied rule, whatever its action (as runc counts).
std::vector<ArchLimit> arch_limits(const std::vector<uint32_t>& arches,
                                   const std::vector<const Rule*>& rules) {
  std::vector<ArchLimit> limits;
  for (uint32_t arch : arches) {
    bool x32 = arch == SCMP_ARCH_X32;
    uint32_t audit_arch = x32 ? AUDIT_ARCH_X86_64 : arch;  // other tokens are AUDIT_ARCH_* values
    std::optional<uint32_t> max;
    for (const Rule* rule : rules)
      for (const auto& name : rule->names) {
        int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
        if (nr >= 0 && (!max || uint32_t(nr) > *max)) max = uint32_t(nr);  // negative: unknown or multiplexed
      }
    if (!max) continue;
    auto it = std::find_if(limits.begin(), limits.end(),
                           [&](const ArchLimit& l) { return l.audit_arch == audit_arch; });
    if (it == limits.end()) {
      limits.emplace_back();
      limits.back().audit_arch = audit_arch;
      it = limits.end() - 1;
    }
    (x32 ? it->max_x32 : it->max) = max;
  }
  return limits;
}

// ENOSYS is useless where the default already allows, traces or says ENOSYS.
bool wants_enosys_stub(uint32_t default_action) {
  uint32_t kind = default_action & SECCOMP_RET_ACTION_FULL;
  return kind != SCMP_ACT_ALLOW && kind != SCMP_ACT_LOG && kind != SCMP_ACT_TRACE(0) &&
         default_action != SCMP_ACT_ERRNO(ENOSYS);
}

}  // namespace

const SeccompProfile& default_seccomp_profile() {
  // The text is checked by the unit tests; a parse failure here is a build defect.
  static const SeccompProfile profile{Json::parse(kDefaultSeccompProfileJson)};
  return profile;
}

Result<SeccompProfile> parse_seccomp_profile(Json json) {
  TRY(parse_profile(json));
  return SeccompProfile{std::move(json)};
}

Result<SeccompProfile> load_seccomp_profile(const std::string& path) {
  Json json = TRY(std::move(read_json_file(path, 4 << 20)).wrap("seccomp profile"));
  return std::move(parse_seccomp_profile(std::move(json))).wrap("seccomp profile `{}`", path);
}

Result<std::vector<sock_filter>> compile_seccomp(const SeccompProfile& profile,
                                                 const std::vector<std::string>& capabilities) {
  Profile p = TRY(std::move(parse_profile(profile.json)).wrap("seccomp profile"));
  if (p.disabled) return std::vector<sock_filter>{};
  Host host = current_host();

  std::vector<const Rule*> rules;
  for (const auto& rule : p.rules)
    if (rule_applies(rule, capabilities, host)) rules.push_back(&rule);

  FilterContext filter(seccomp_init(p.default_action));
  if (!filter.ctx)
    return make_error("seccomp: libseccomp refused the default action {:#x}", p.default_action);

  // The native architecture is always in the filter; archMap adds its sub-architectures.
  std::vector<uint32_t> arches{host.native};
  auto add_arch = [&](const std::string& name, const std::string& path) -> Status {
    uint32_t token = arch_token(name);
    if (!token) return make_error("seccomp profile: {}: unknown architecture `{}`", path, name);
    if (std::find(arches.begin(), arches.end(), token) != arches.end()) return {};
    if (int rc = seccomp_arch_add(filter.ctx, token); rc < 0 && rc != -EEXIST)
      return libseccomp_error(rc, fmt::format("add architecture `{}` to the seccomp filter", name));
    arches.push_back(token);
    return {};
  };
  for (size_t i = 0; i < p.architectures.size(); ++i)
    TRY(add_arch(p.architectures[i], fmt::format("architectures[{}]", i)));
  for (size_t i = 0; i < p.arch_map.size(); ++i) {
    if (p.arch_map[i].arch != host.scmp_name) continue;
    TRY(add_arch(p.arch_map[i].arch, fmt::format("archMap[{}].architecture", i)));
    for (size_t j = 0; j < p.arch_map[i].sub_arches.size(); ++j)
      TRY(add_arch(p.arch_map[i].sub_arches[j], fmt::format("archMap[{}].subArchitectures[{}]", i, j)));
    break;
  }

  size_t syscall_count = 0;
  for (const Rule* rule : rules) syscall_count += rule->names.size();
  // A binary tree instead of a linear list of syscalls: fewer instructions
  // per call. runc's threshold, since libseccomp <= 2.5.4 misbehaves on
  // empty trees. An older libseccomp saying no is harmless.
  if (syscall_count > 32) (void)seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  for (const Rule* rule : rules) {
    if (rule->action == p.default_action) continue;  // redundant, and libseccomp refuses it
    for (const auto& name : rule->names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp: docker skips it too
      TRY(add_rule(filter.ctx, *rule, name, nr));
    }
  }

  std::vector<sock_filter> program = TRY(export_bpf(filter.ctx));
  if (wants_enosys_stub(p.default_action)) {
    std::vector<sock_filter> stub = enosys_stub(arch_limits(arches, rules));
    program.insert(program.begin(), stub.begin(), stub.end());
  }
  if (program.size() > BPF_MAXINSNS)
    return make_error("seccomp program has {} instructions, more than the kernel's limit of {}",
                      program.size(), BPF_MAXINSNS);
  return program;
}

Status load_seccomp(const std::vector<sock_filter>& program) {
  if (program.empty()) return {};
  sock_fprog fprog{.len = static_cast<unsigned short>(program.size()),
                   .filter = const_cast<sock_filter*>(program.data())};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0) return {};
  // Kernels before 3.17 have no seccomp(); prctl loads the same filter.
  if (errno == ENOSYS && ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == 0) return {};
  // "load seccomp" fits in std::string's inline buffer: failing allocates nothing either.
  return errno_error("load seccomp");
}

}  // namespace skiff
