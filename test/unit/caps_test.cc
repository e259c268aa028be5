// Capabilities: docker's add/drop/ALL/privileged rules, and applying a set to
// a forked child that is root in a new user namespace (or real root, where
// skiff makes no namespace), checked against /proc/self/status and against
// what the kernel then allows. Runs as root and as an unprivileged user.
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/fs.h"
#include "linux/caps.h"
#include "linux/userns.h"
#include "test_support.h"

using namespace skiff;

namespace {

// docker's CapBnd/CapEff for a root container: `docker run alpine grep Cap /proc/self/status`.
constexpr uint64_t kDockerDefaultMask = 0xa80425fb;

CapabilitySet resolved(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                       bool privileged = false) {
  auto set = resolve_capabilities(add, drop, privileged);
  REQUIRE_OK(set);
  return *set;
}

// The default set with `changes` applied by hand: "+NAME" adds, "-NAME" removes.
CapabilitySet default_with(const std::vector<std::string>& changes) {
  uint64_t mask = kDockerDefaultMask;
  for (const auto& change : changes) {
    auto number = capability_number(change.substr(1));
    REQUIRE(number);
    if (change[0] == '+') mask |= uint64_t(1) << *number;
    else mask &= ~(uint64_t(1) << *number);
  }
  return capabilities_from_mask(mask);
}

int last_cap() {
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  REQUIRE_OK(text);
  return std::stoi(*text);
}

uint64_t all_mask() {
  int count = std::min(last_cap() + 1, 41);
  return count >= 64 ? ~uint64_t(0) : (uint64_t(1) << count) - 1;
}

// The five capability sets of the calling process, from /proc/self/status.
struct CapStatus {
  uint64_t inheritable = 0, permitted = 0, effective = 0, bounding = 0, ambient = 0;
};

std::optional<CapStatus> read_cap_status() {
  auto text = read_file("/proc/self/status");
  if (!text.ok()) return std::nullopt;
  auto field = [&](std::string_view name) -> std::optional<uint64_t> {
    std::string key = "\n" + std::string(name) + ":\t";
    size_t at = text->find(key);
    if (at == std::string::npos) return std::nullopt;
    return std::stoull(text->substr(at + key.size(), 16), nullptr, 16);
  };
  auto inh = field("CapInh"), prm = field("CapPrm"), eff = field("CapEff"), bnd = field("CapBnd"),
       amb = field("CapAmb");
  if (!inh || !prm || !eff || !bnd || !amb) return std::nullopt;
  return CapStatus{*inh, *prm, *eff, *bnd, *amb};
}

// Child side: sends the five sets as one value, "inh prm eff bnd amb" in hex.
Status send_cap_status(SyncSocket& sock) {
  auto status = read_cap_status();
  if (!status) return make_error("read /proc/self/status");
  return sock.send(SyncSocket::Kind::kValue,
                   fmt::format("{:x} {:x} {:x} {:x} {:x}", status->inheritable, status->permitted,
                               status->effective, status->bounding, status->ambient));
}

CapStatus parse_cap_status(const std::string& value) {
  CapStatus s;
  std::istringstream in(value);
  in >> std::hex >> s.inheritable >> s.permitted >> s.effective >> s.bounding >> s.ambient;
  REQUIRE(in);
  return s;
}

// A container ID other than 0 that the current mapping maps: the child may
// chown to it or setuid to it. None with a single-ID mapping.
std::optional<uint32_t> other_mapped_id() {
  const IdMapping& m = current_id_mapping();
  if (m.identity) return 1234;
  if (m.uids.size() > 1 && m.gids.size() > 1) return 1;
  return std::nullopt;
}

// Runs `body` in a forked child that is root in a new user namespace (real
// root: no namespace) and returns the values it sent.
std::vector<std::string> in_child(const std::function<Status(SyncSocket&)>& body) {
  auto values = run_in_user_namespace(current_id_mapping(), body);
  REQUIRE_OK(values);
  return *values;
}

// Child: the permitted set it held before apply_capabilities, then the sets after.
std::pair<CapStatus, CapStatus> apply_in_child(const CapabilitySet& set,
                                               const std::function<Status()>& become_user = {}) {
  auto values = in_child([&](SyncSocket& sock) -> Status {
    TRY(send_cap_status(sock));
    TRY(apply_capabilities(set, become_user));
    return send_cap_status(sock);
  });
  REQUIRE(values.size() == 2);
  return {parse_cap_status(values[0]), parse_cap_status(values[1])};
}

// Child: makes `path` and tries to chown it to `id`; sends the errno (0 on success).
Status send_chown_result(SyncSocket& sock, const std::string& path, uint32_t id) {
  int rc = ::chown(path.c_str(), id, id);
  int err = rc == 0 ? 0 : errno;
  struct stat st;
  if (rc == 0 && (::stat(path.c_str(), &st) != 0 || st.st_uid != id)) return make_error("chown did nothing");
  return sock.send(SyncSocket::Kind::kValue, std::to_string(err));
}

}  // namespace

// --- names and sets ---------------------------------------------------------

TEST_CASE("the default set is docker's fourteen capabilities", "[caps]") {
  const CapabilitySet& set = default_capabilities();
  CHECK(set.names == std::vector<std::string>{
                         "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
                         "CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP",
                         "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"});
  CHECK(capability_mask(set) == kDockerDefaultMask);
  CHECK(set.contains("CAP_CHOWN"));
  CHECK_FALSE(set.contains("CAP_SYS_ADMIN"));
  CHECK_FALSE(set.contains("chown"));
}

TEST_CASE("capability numbers follow the kernel's", "[caps]") {
  CHECK(capability_number("CAP_CHOWN") == 0);
  CHECK(capability_number("CAP_SYS_ADMIN") == CAP_SYS_ADMIN);
  CHECK(capability_number("CAP_SETFCAP") == CAP_SETFCAP);
  CHECK(capability_number("CAP_AUDIT_READ") == CAP_AUDIT_READ);
  CHECK(capability_number("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK_FALSE(capability_number("chown"));
  CHECK_FALSE(capability_number("CAP_FOO"));
  CHECK(capabilities_from_mask(0).names.empty());
  CHECK(capabilities_from_mask(uint64_t(1) << CAP_SYS_ADMIN).names == std::vector<std::string>{"CAP_SYS_ADMIN"});
  CHECK(capabilities_from_mask(uint64_t(1) << 63).names.empty());  // no such capability
  CHECK(capability_mask(capabilities_from_mask(0x1234567)) == 0x1234567);
}

TEST_CASE("all capabilities are those the kernel knows", "[caps]") {
  CapabilitySet all = all_capabilities();
  CHECK(capability_mask(all) == all_mask());
  CHECK(int(all.names.size()) == std::min(last_cap() + 1, 41));
  CHECK(all.contains("CAP_SYS_ADMIN"));
  CHECK(std::is_sorted(all.names.begin(), all.names.end()));
}

TEST_CASE("names are accepted in any case, with or without CAP_", "[caps]") {
  for (const char* name : {"chown", "CHOWN", "Chown", "cap_chown", "CAP_chown", "Cap_Chown", "CAP_CHOWN"}) {
    INFO(name);
    auto normal = normalize_capability_name(name);
    REQUIRE_OK(normal);
    CHECK(*normal == "CAP_CHOWN");
  }
  for (const char* name : {"ALL", "all", "All"}) {
    auto normal = normalize_capability_name(name);
    REQUIRE_OK(normal);
    CHECK(*normal == "ALL");
  }
  CHECK(resolved({"sys_admin", "Cap_Net_Admin"}, {"cHoWn"}) ==
        default_with({"+CAP_SYS_ADMIN", "+CAP_NET_ADMIN", "-CAP_CHOWN"}));
  CHECK(resolved({"all"}, {}) == all_capabilities());
  CHECK(resolved({"net_admin"}, {"all"}).names == std::vector<std::string>{"CAP_NET_ADMIN"});
}

TEST_CASE("unknown capability names are refused, saying which flag", "[caps]") {
  auto add = resolve_capabilities({"CHOWN", "foo"}, {}, false);
  REQUIRE_FALSE(add.ok());
  CHECK(add.error().text() == "--cap-add: unknown capability `CAP_FOO`");
  CHECK(add.error().errnum() == 0);

  auto drop = resolve_capabilities({}, {"cap_sys_admn"}, false);
  REQUIRE_FALSE(drop.ok());
  CHECK(drop.error().text() == "--cap-drop: unknown capability `CAP_SYS_ADMN`");

  // "ALL" is only ALL without the prefix, as in docker.
  auto cap_all = normalize_capability_name("CAP_ALL");
  REQUIRE_FALSE(cap_all.ok());
  CHECK(cap_all.error().text() == "unknown capability `CAP_ALL`");
  CHECK_FALSE(normalize_capability_name("").ok());
  CHECK_FALSE(normalize_capability_name("CAP_").ok());
  CHECK_FALSE(normalize_capability_name(" chown").ok());
  CHECK_FALSE(normalize_capability_name("-chown").ok());
}

TEST_CASE("with no flags the container gets docker's default set", "[caps]") {
  CHECK(resolved({}, {}) == default_capabilities());
}

TEST_CASE("--cap-drop removes one capability from the default set", "[caps]") {
  CHECK(resolved({}, {"CHOWN"}) == default_with({"-CAP_CHOWN"}));
  CHECK(resolved({}, {"NET_RAW", "MKNOD"}) == default_with({"-CAP_NET_RAW", "-CAP_MKNOD"}));
  // Dropping one the default doesn't have changes nothing.
  CHECK(resolved({}, {"SYS_ADMIN"}) == default_capabilities());
}

TEST_CASE("--cap-add adds one capability to the default set", "[caps]") {
  CapabilitySet set = resolved({"SYS_ADMIN"}, {});
  CHECK(set == default_with({"+CAP_SYS_ADMIN"}));
  CHECK(set.names.size() == 15);
  CHECK(std::is_sorted(set.names.begin(), set.names.end()));
}

TEST_CASE("--cap-drop ALL --cap-add X gives exactly X", "[caps]") {
  CHECK(resolved({"NET_BIND_SERVICE"}, {"ALL"}).names == std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  CHECK(resolved({}, {"ALL"}).names.empty());
  // Other names next to ALL in the drop list change nothing.
  CHECK(resolved({"KILL"}, {"ALL", "CHOWN"}).names == std::vector<std::string>{"CAP_KILL"});
}

TEST_CASE("--cap-add ALL gives every capability but the dropped ones", "[caps]") {
  CHECK(resolved({"ALL"}, {}) == all_capabilities());
  CapabilitySet set = resolved({"ALL"}, {"SYS_ADMIN", "NET_ADMIN"});
  CHECK(capability_mask(set) ==
        (all_mask() & ~(uint64_t(1) << CAP_SYS_ADMIN) & ~(uint64_t(1) << CAP_NET_ADMIN)));
  // moby's TweakCapabilities looks at ALL in add first: add ALL + drop ALL is all.
  CHECK(resolved({"ALL"}, {"ALL"}) == all_capabilities());
  CHECK(resolved({"ALL", "CHOWN"}, {"ALL", "KILL"}) == capabilities_from_mask(all_mask() & ~(uint64_t(1) << CAP_KILL)));
}

TEST_CASE("--privileged gives every capability, whatever add and drop say", "[caps]") {
  CHECK(resolved({}, {}, true) == all_capabilities());
  CHECK(resolved({"SYS_ADMIN"}, {"ALL"}, true) == all_capabilities());
  CHECK(resolved({}, {"CHOWN"}, true) == all_capabilities());
  // Names are still checked, as dockerd does.
  auto bad = resolve_capabilities({}, {"nope"}, true);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().text() == "--cap-drop: unknown capability `CAP_NOPE`");
}

TEST_CASE("duplicate names give one entry; a name both dropped and added is kept", "[caps]") {
  CHECK(resolved({"CHOWN", "chown", "CAP_CHOWN"}, {}) == default_capabilities());
  CHECK(resolved({"SYS_ADMIN", "sys_admin"}, {}).names.size() == 15);
  CHECK(resolved({}, {"chown", "CHOWN"}) == default_with({"-CAP_CHOWN"}));
  // docker applies drops, then adds.
  CHECK(resolved({"CHOWN"}, {"CHOWN"}) == default_capabilities());
  CHECK(resolved({"SYS_ADMIN"}, {"SYS_ADMIN"}) == default_with({"+CAP_SYS_ADMIN"}));
  CHECK(resolved({"KILL", "kill"}, {"ALL"}).names == std::vector<std::string>{"CAP_KILL"});
}

// --- applying a set in a child ------------------------------------------------

TEST_CASE("applying docker's default set gives root exactly those capabilities", "[caps]") {
  auto [before, after] = apply_in_child(default_capabilities());
  // Root in a new user namespace holds every capability there; real root holds the host's.
  CHECK((before.permitted & kDockerDefaultMask) == kDockerDefaultMask);
  CHECK(after.bounding == kDockerDefaultMask);
  CHECK(after.permitted == kDockerDefaultMask);
  CHECK(after.effective == kDockerDefaultMask);
  CHECK(after.inheritable == 0);
  CHECK(after.ambient == 0);
}

TEST_CASE("a capability left out can't be raised again", "[caps]") {
  auto values = in_child([](SyncSocket& sock) -> Status {
    TRY(apply_capabilities(default_capabilities()));
    // Raising CAP_SYS_ADMIN again must fail: capset never adds to permitted,
    // and the bounding set keeps execve from giving it back.
    cap_t caps = cap_get_proc();
    if (!caps) return errno_error("cap_get_proc");
    cap_value_t admin = CAP_SYS_ADMIN;
    cap_set_flag(caps, CAP_PERMITTED, 1, &admin, CAP_SET);
    cap_set_flag(caps, CAP_EFFECTIVE, 1, &admin, CAP_SET);
    int rc = cap_set_proc(caps);
    int err = errno;
    cap_free(caps);
    TRY(sock.send(SyncSocket::Kind::kValue, rc == 0 ? "raised" : std::to_string(err)));
    return sock.send(SyncSocket::Kind::kValue, std::to_string(::prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0)));
  });
  REQUIRE(values.size() == 2);
  CHECK(values[0] == std::to_string(EPERM));
  CHECK(values[1] == "0");
}

TEST_CASE("after dropping CAP_CHOWN, chown to another ID fails with EPERM", "[caps]") {
  auto other = other_mapped_id();
  if (!other) {
    WARN("skipped: only one ID is mapped (no /etc/subuid range), there is no other owner to chown to");
    return;
  }
  test::TempDir dir;
  REQUIRE_OK(write_file_atomically(dir / "dropped", "x"));
  REQUIRE_OK(write_file_atomically(dir / "kept", "x"));
  CapabilitySet without_chown = resolved({}, {"chown"});
  auto values = in_child([&](SyncSocket& sock) -> Status {
    // Still with every capability: the control case.
    TRY(send_chown_result(sock, dir / "kept", *other));
    TRY(apply_capabilities(without_chown));
    return send_chown_result(sock, dir / "dropped", *other);
  });
  REQUIRE(values.size() == 2);
  CHECK(values[0] == "0");
  CHECK(values[1] == std::to_string(EPERM));

  // Keeping it (the default set), the same chown succeeds.
  values = in_child([&](SyncSocket& sock) -> Status {
    TRY(apply_capabilities(default_capabilities()));
    return send_chown_result(sock, dir / "dropped", *other);
  });
  REQUIRE(values.size() == 1);
  CHECK(values[0] == "0");
}

TEST_CASE("after dropping CAP_DAC_OVERRIDE, root can't write a mode-000 file", "[caps]") {
  // Works with a single-ID mapping too: the file's owner is root in the namespace.
  test::TempDir dir;
  REQUIRE_OK(write_file_atomically(dir / "locked", "x"));
  REQUIRE(::chmod((dir / "locked").c_str(), 0) == 0);
  auto try_write = [&](const CapabilitySet& set) {
    auto values = in_child([&](SyncSocket& sock) -> Status {
      TRY(apply_capabilities(set));
      int fd = ::open((dir / "locked").c_str(), O_WRONLY | O_CLOEXEC);
      int err = fd >= 0 ? 0 : errno;
      if (fd >= 0) ::close(fd);
      return sock.send(SyncSocket::Kind::kValue, std::to_string(err));
    });
    REQUIRE(values.size() == 1);
    return values[0];
  };
  CHECK(try_write(default_capabilities()) == "0");
  CapabilitySet without_dac = resolved({}, {"DAC_OVERRIDE"});
  CHECK(try_write(without_dac) == std::to_string(EACCES));
}

TEST_CASE("applying --cap-drop ALL leaves root with no capability at all", "[caps]") {
  auto [before, after] = apply_in_child(resolved({}, {"ALL"}));
  CHECK(after.bounding == 0);
  CHECK(after.permitted == 0);
  CHECK(after.effective == 0);
  CHECK(after.inheritable == 0);
  CHECK(after.ambient == 0);
}

TEST_CASE("applying --privileged gives every capability the process holds", "[caps]") {
  auto [before, after] = apply_in_child(resolved({}, {}, true));
  // In a new user namespace that is all of them; real root in a restricted
  // container gets what its own bounding set still allows.
  uint64_t expected = all_mask() & before.permitted;
  if (!current_id_mapping().identity) CHECK(expected == all_mask());
  CHECK(after.bounding == expected);
  CHECK(after.permitted == expected);
  CHECK(after.effective == expected);
  CHECK(after.inheritable == 0);
  CHECK(after.ambient == 0);
}

TEST_CASE("inherited inheritable and ambient capabilities are cleared", "[caps]") {
  auto values = in_child([](SyncSocket& sock) -> Status {
    // Make CAP_CHOWN inheritable and ambient, as a careless parent could.
    cap_t caps = cap_get_proc();
    if (!caps) return errno_error("cap_get_proc");
    cap_value_t chown_cap = CAP_CHOWN;
    cap_set_flag(caps, CAP_INHERITABLE, 1, &chown_cap, CAP_SET);
    int rc = cap_set_proc(caps);
    cap_free(caps);
    if (rc != 0) return errno_error("make CAP_CHOWN inheritable");
    if (cap_set_ambient(CAP_CHOWN, CAP_SET) != 0) return errno_error("make CAP_CHOWN ambient");
    TRY(send_cap_status(sock));
    TRY(apply_capabilities(default_capabilities()));
    return send_cap_status(sock);
  });
  REQUIRE(values.size() == 2);
  CapStatus before = parse_cap_status(values[0]), after = parse_cap_status(values[1]);
  CHECK(before.ambient == (uint64_t(1) << CAP_CHOWN));
  CHECK(before.inheritable == (uint64_t(1) << CAP_CHOWN));
  CHECK(after.inheritable == 0);
  CHECK(after.ambient == 0);
  CHECK(after.effective == kDockerDefaultMask);
}

TEST_CASE("a non-root user keeps only the bounding set, as under docker", "[caps]") {
  auto other = other_mapped_id();
  if (!other) {
    WARN("skipped: only one ID is mapped (no /etc/subuid range), there is no other user to become");
    return;
  }
  uint32_t id = *other;
  CapabilitySet with_admin = resolved({"SYS_ADMIN"}, {});
  auto values = in_child([&](SyncSocket& sock) -> Status {
    TRY(apply_capabilities(with_admin, [&]() -> Status {
      if (::setresgid(id, id, id) != 0 || ::setresuid(id, id, id) != 0) return errno_error("become {}", id);
      return {};
    }));
    TRY(send_cap_status(sock));
    TRY(sock.send(SyncSocket::Kind::kValue, fmt::format("{} {}", ::getuid(), ::getgid())));
    return sock.send(SyncSocket::Kind::kValue, std::to_string(::prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)));
  });
  REQUIRE(values.size() == 3);
  CapStatus after = parse_cap_status(values[0]);
  CHECK(after.bounding == (kDockerDefaultMask | (uint64_t(1) << CAP_SYS_ADMIN)));
  CHECK(after.permitted == 0);
  CHECK(after.effective == 0);
  CHECK(after.inheritable == 0);
  CHECK(after.ambient == 0);
  CHECK(values[1] == fmt::format("{} {}", id, id));
  CHECK(values[2] == "0");  // KEEPCAPS is off again
}

TEST_CASE("become_user runs with every capability and root stays root", "[caps]") {
  CapabilitySet without_set_ids = resolved({}, {"SETGID", "SETUID"});
  auto values = in_child([&](SyncSocket& sock) -> Status {
    // CAP_SETGID is not in the set, yet become_user may still use it.
    TRY(apply_capabilities(without_set_ids, []() -> Status {
      if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) return errno_error("become root");
      return {};
    }));
    return send_cap_status(sock);
  });
  REQUIRE(values.size() == 1);
  CapStatus after = parse_cap_status(values[0]);
  uint64_t expected = kDockerDefaultMask & ~(uint64_t(1) << CAP_SETGID) & ~(uint64_t(1) << CAP_SETUID);
  CHECK(after.bounding == expected);
  CHECK(after.permitted == expected);
  CHECK(after.effective == expected);
}

TEST_CASE("a failing become_user is reported and turns KEEPCAPS off", "[caps]") {
  auto values = in_child([&](SyncSocket& sock) -> Status {
    Status status = apply_capabilities(default_capabilities(), []() -> Status {
      errno = EINVAL;
      return errno_error("become `nobody`");
    });
    TRY(sock.send(SyncSocket::Kind::kValue, status.ok() ? "ok" : status.error().text()));
    return sock.send(SyncSocket::Kind::kValue, std::to_string(::prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)));
  });
  REQUIRE(values.size() == 2);
  CHECK(values[0] == "become `nobody`: " + std::string(strerror(EINVAL)));
  CHECK(values[1] == "0");
}

TEST_CASE("an exception from become_user becomes an error", "[caps]") {
  auto values = in_child([&](SyncSocket& sock) -> Status {
    Status status = apply_capabilities(default_capabilities(), []() -> Status { throw std::runtime_error("boom"); });
    return sock.send(SyncSocket::Kind::kValue, status.ok() ? "ok" : status.error().text());
  });
  REQUIRE(values.size() == 1);
  CHECK(values[0].find("unexpected exception") != std::string::npos);
}
