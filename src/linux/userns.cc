#include "linux/userns.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <mutex>

#include "base/fs.h"
#include "linux/child_process.h"
#include "linux/helper_program.h"

extern char** environ;

namespace skiff {

Json IdMapping::to_json() const {
  auto ranges = [](const std::vector<IdRange>& rs) {
    Json out = Json::array();
    for (const auto& r : rs) out.push_back({r.container_id, r.host_id, r.count});
    return out;
  };
  return Json{{"identity", identity}, {"uids", ranges(uids)}, {"gids", ranges(gids)}};
}

namespace {

bool parse_u32(std::string_view text, uint32_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string find_program(const char* name) {
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  path += ":/usr/bin:/usr/sbin:/bin:/sbin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

// newuidmap/newgidmap running: `program pid  0 host 1  1 start count ...`.
using MapProgram = IdMapWriter::Helper;

Result<MapProgram> spawn_map_program(const std::string& program, pid_t pid, const std::vector<IdRange>& ranges) {
  if (program.empty()) return make_error("newuidmap/newgidmap not found (install the uidmap package)");
  std::vector<std::string> args{program, std::to_string(pid)};
  for (const auto& r : ranges) {
    args.push_back(std::to_string(r.container_id));
    args.push_back(std::to_string(r.host_id));
    args.push_back(std::to_string(r.count));
  }
  MapProgram running{program, -1, UniqueFd()};
  running.pid = TRY(spawn_helper_program(args, running.stderr_read));
  return running;
}

Status finish_map_program(MapProgram& running) {
  return finish_helper_program(running.program, running.pid, running.stderr_read.get());
}

Status write_proc_file(pid_t pid, const char* name, const std::string& content) {
  std::string path = fmt::format("/proc/{}/{}", pid, name);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), content.data(), content.size()) != ssize_t(content.size()))
    return errno_error("write `{}`", path);
  return {};
}

std::string map_text(const std::vector<IdRange>& ranges) {
  std::string text;
  for (const auto& r : ranges) text += fmt::format("{} {} {}\n", r.container_id, r.host_id, r.count);
  return text;
}

}  // namespace

// Parent: in the host user namespace, as the user. newuidmap is needed for
// more than our own ID; a single ID we may map ourselves, after denying
// setgroups (required for an unprivileged gid_map). The two helpers run at
// once, and while the caller goes on.
IdMapWriter IdMapWriter::start(pid_t pid, const IdMapping& mapping) {
  static const UsernsFacts facts = read_userns_facts();
  IdMapWriter writer(pid, mapping);
  if (mapping.uids.size() > 1) {
    auto r = spawn_map_program(facts.newuidmap, pid, mapping.uids);
    if (r.ok()) writer.running_.push_back(std::move(*r));
    else writer.spawned_ = std::move(r).error();
  }
  if (writer.spawned_.ok() && mapping.gids.size() > 1) {
    auto r = spawn_map_program(facts.newgidmap, pid, mapping.gids);
    if (r.ok()) writer.running_.push_back(std::move(*r));
    else writer.spawned_ = std::move(r).error();
  }
  return writer;
}

Status IdMapWriter::finish() {
  Status finished;
  for (auto& r : running_) {
    Status s = finish_map_program(r);
    if (finished.ok() && !s.ok()) finished = std::move(s);
  }
  running_.clear();
  TRY(std::move(spawned_));
  TRY(std::move(finished));
  if (mapping_->uids.size() == 1) TRY(write_proc_file(pid_, "uid_map", map_text(mapping_->uids)));
  if (mapping_->gids.size() == 1) {
    TRY(write_proc_file(pid_, "setgroups", "deny"));
    TRY(write_proc_file(pid_, "gid_map", map_text(mapping_->gids)));
  }
  return {};
}

IdMapWriter::~IdMapWriter() {
  for (auto& r : running_) (void)finish_map_program(r);
}

Status write_id_maps(pid_t pid, const IdMapping& mapping) { return IdMapWriter::start(pid, mapping).finish(); }

std::vector<SubidRange> parse_subid_file(std::string_view text, std::string_view user, uint32_t id) {
  std::vector<SubidRange> out;
  std::string id_text = std::to_string(id);
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view owner = line.substr(0, c1);
    if (owner != user && owner != id_text) continue;
    SubidRange r;
    std::string_view count = line.substr(c2 + 1);
    while (!count.empty() && (count.back() == '\r' || count.back() == ' ')) count.remove_suffix(1);
    if (!parse_u32(line.substr(c1 + 1, c2 - c1 - 1), r.start) || !parse_u32(count, r.count) ||
        r.count == 0)
      continue;
    out.push_back(r);
  }
  return out;
}

std::vector<IdRange> make_id_ranges(uint32_t host_id, const std::vector<SubidRange>& subids) {
  std::vector<IdRange> out{{0, host_id, 1}};
  uint32_t next = 1;
  for (const auto& r : subids) {
    // Never map our own ID twice (newuidmap refuses overlapping ranges).
    if (host_id >= r.start && host_id - r.start < r.count) continue;
    out.push_back({next, r.start, r.count});
    next += r.count;
  }
  return out;
}

UsernsFacts read_userns_facts() {
  UsernsFacts facts;
  facts.uid = ::geteuid();
  facts.gid = ::getegid();
  // Host NSS, in the host's mount namespace: never called inside a container.
  struct passwd pw, *found = nullptr;
  char buf[4096];
  if (::getpwuid_r(facts.uid, &pw, buf, sizeof buf, &found) == 0 && found) facts.user_name = pw.pw_name;
  if (auto text = read_file("/etc/subuid", 1 << 20); text.ok())
    facts.subuids = parse_subid_file(*text, facts.user_name, facts.uid);
  if (auto text = read_file("/etc/subgid", 1 << 20); text.ok())
    facts.subgids = parse_subid_file(*text, facts.user_name, facts.uid);
  facts.newuidmap = find_program("newuidmap");
  facts.newgidmap = find_program("newgidmap");
  return facts;
}

const IdMapping& current_id_mapping() {
  static IdMapping mapping;
  static std::once_flag once;
  std::call_once(once, [] {
    UsernsFacts facts = read_userns_facts();
    if (facts.uid == 0) {
      mapping.identity = true;
      mapping.uids = mapping.gids = {{0, 0, 4294967295u}};
      return;
    }
    bool helpers = !facts.newuidmap.empty() && !facts.newgidmap.empty();
    bool ranges = !facts.subuids.empty() && !facts.subgids.empty();
    mapping.uids = make_id_ranges(facts.uid, helpers && ranges ? facts.subuids : std::vector<SubidRange>{});
    mapping.gids = make_id_ranges(facts.gid, helpers && ranges ? facts.subgids : std::vector<SubidRange>{});
  });
  return mapping;
}

std::string explain_userns_errno(int errnum) {
  switch (errnum) {
    case EPERM:
      return "user namespaces are not allowed here (sysctl kernel.unprivileged_userns_clone=0, "
             "an AppArmor or SELinux policy, or a seccomp filter of the calling sandbox)";
    case ENOSPC:
      return "the limit of user namespaces is reached (sysctl user.max_user_namespaces)";
    case EUSERS:
      return "user namespaces are nested too deeply";
    case EINVAL:
      return "the kernel refused a new user namespace (built without CONFIG_USER_NS, or the "
             "process is threaded)";
    case ENOMEM:
      return "out of memory, or the limit of user namespaces is reached";
    default:
      return std::string(strerror(errnum));
  }
}

Result<UsernsChild> UsernsChild::start(const IdMapping& mapping,
                                       const std::function<Status(SyncSocket&)>& body) {
  auto [parent_sock, child_sock] = TRY(SyncSocket::make_pair());
  ChildProcess child = TRY(ChildProcess::fork([&, &child_sock = child_sock, &parent_sock = parent_sock]() {
    parent_sock.close();
    // Child: forked, single-threaded, still in the host user namespace.
    // unshare here rather than clone(CLONE_NEWUSER) so fork's atfork
    // handlers keep malloc usable in the child.
    if (!mapping.identity) {
      if (::unshare(CLONE_NEWUSER) != 0) {
        int saved = errno;
        (void)child_sock.send_error(Error(0, "create user namespace: " + explain_userns_errno(saved)));
        return kExitSkiffFailed;
      }
      // Wait for the parent to write our maps; until then we have no IDs.
      if (!child_sock.send(SyncSocket::Kind::kReady).ok()) return kExitSkiffFailed;
      auto go = child_sock.receive("parent");
      if (!go.ok() || go->kind != SyncSocket::Kind::kReady) return kExitSkiffFailed;
      // Child: in the new userns with maps written; become its root, which
      // holds every capability over files owned by mapped IDs.
      if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) {
        (void)child_sock.send_error(errno_error("become root in the user namespace"));
        return kExitSkiffFailed;
      }
      if (mapping.gids.size() > 1) ::setgroups(0, nullptr);
    }
    Status status = body(child_sock);
    if (!status.ok()) {
      (void)child_sock.send_error(status.error());
      return kExitSkiffFailed;
    }
    (void)child_sock.send(SyncSocket::Kind::kOk);
    return 0;
  }));
  child_sock.close();

  if (!mapping.identity) {
    // Parent: host userns, as the user. The child has unshared; map it.
    auto ready = TRY(parent_sock.receive("user namespace child"));
    if (ready.kind == SyncSocket::Kind::kError) return SyncSocket::to_error(ready);
    Status maps = write_id_maps(child.pid(), mapping);
    if (!maps.ok()) return std::move(maps).error().wrap("set up user namespace ID maps");
    TRY(parent_sock.send(SyncSocket::Kind::kReady));
  }
  return UsernsChild(std::move(child), std::move(parent_sock));
}

Result<std::vector<std::string>> UsernsChild::finish() {
  std::vector<std::string> values;
  for (;;) {
    auto frame = sock_.receive("user namespace child");
    if (!frame.ok()) {
      int status = TRY(child_.wait());
      return make_error("user namespace child {}", describe_wait_status(status));
    }
    if (frame->kind == SyncSocket::Kind::kValue) {
      values.push_back(std::move(frame->payload));
      continue;
    }
    (void)child_.wait();
    if (frame->kind == SyncSocket::Kind::kError) return SyncSocket::to_error(*frame);
    return values;
  }
}

Result<std::vector<std::string>> run_in_user_namespace(
    const IdMapping& mapping, const std::function<Status(SyncSocket&)>& body) {
  UsernsChild child = TRY(UsernsChild::start(mapping, body));
  return child.finish();
}

Result<std::vector<std::string>> stream_from_user_namespace(
    const IdMapping& mapping, const std::function<Status(int out_fd, SyncSocket&)>& body,
    const std::function<Status(std::span<const uint8_t>)>& consume) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("create pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  ::fcntl(write_end.get(), F_SETPIPE_SZ, 1 << 20);  // fewer wake-ups; fine if refused
  UsernsChild child = TRY(UsernsChild::start(mapping, [&](SyncSocket& sock) -> Status {
    // Child: keeps stdio, the pipe's write end and its socket, nothing else.
    int a = std::min(write_end.get(), sock.fd()), b = std::max(write_end.get(), sock.fd());
    if (a > 3) ::syscall(SYS_close_range, 3, a - 1, 0);
    if (b > a + 1) ::syscall(SYS_close_range, a + 1, b - 1, 0);
    ::syscall(SYS_close_range, b + 1, ~0U, 0);
    return body(write_end.get(), sock);
  }));
  write_end.reset();
  std::vector<uint8_t> buffer(1 << 20);
  for (;;) {
    ssize_t n = ::read(read_end.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read from the user namespace child");
    if (n == 0) break;
    TRY(consume({buffer.data(), size_t(n)}));
  }
  return child.finish();
}

}  // namespace skiff
