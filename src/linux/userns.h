// User namespaces for an unprivileged user: which IDs map where, and a way to
// run code in a forked child that is uid 0 in a new user namespace, so it may
// chown files to any mapped ID (layer extraction, removal of layer trees).
//
// With a /etc/subuid + /etc/subgid range and newuidmap/newgidmap installed:
// container 0 -> the user, container 1..N -> the range. Without: a single-ID
// map (container 0 -> the user); files owned by other IDs can't be made.
// Run as real root, the mapping is the identity and no namespace is made.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "linux/child_process.h"
#include "linux/sync_socket.h"

namespace skiff {

struct IdRange {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t count;
  bool operator==(const IdRange&) const = default;
};

/// A line of /etc/subuid or /etc/subgid: `count` IDs from `start`.
struct SubidRange {
  uint32_t start;
  uint32_t count;
  bool operator==(const SubidRange&) const = default;
};

struct IdMapping {
  std::vector<IdRange> uids;
  std::vector<IdRange> gids;
  bool identity = false;  ///< real root: no user namespace is created

  /// More than container ID 0 is mapped.
  bool has_subids() const { return identity || uids.size() > 1; }
  Json to_json() const;
};

/// The ranges granted to a user in /etc/subuid-format `text`, matched by name
/// or by numeric ID; malformed lines are skipped, as shadow-utils does.
std::vector<SubidRange> parse_subid_file(std::string_view text, std::string_view user, uint32_t id);

/// Container 0 -> `host_id`, then each subid range in order from container 1.
std::vector<IdRange> make_id_ranges(uint32_t host_id, const std::vector<SubidRange>& subids);

/// What this host offers the current user for user namespaces.
struct UsernsFacts {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user_name;
  std::vector<SubidRange> subuids;
  std::vector<SubidRange> subgids;
  std::string newuidmap;  ///< full path, "" when not installed
  std::string newgidmap;
};

/// Reads /etc/subuid, /etc/subgid and looks for newuidmap/newgidmap in PATH
/// and /usr/bin. Never fails: missing files mean no ranges.
UsernsFacts read_userns_facts();

/// The mapping skiff uses for this user (computed once per process).
const IdMapping& current_id_mapping();

/// Parent side: writing the ID maps of process `pid`, which has just
/// created a user namespace. newuidmap/newgidmap (for ranges; ~2 ms each, a
/// secure exec) start at once and run while the caller does other work;
/// finish() waits for them, or writes /proc/PID/*_map itself for a single
/// ID. Destroyed unfinished, it still waits for the helpers it started.
class IdMapWriter {
 public:
  static IdMapWriter start(pid_t pid, const IdMapping& mapping);
  IdMapWriter(IdMapWriter&&) noexcept = default;
  IdMapWriter& operator=(IdMapWriter&&) = delete;
  ~IdMapWriter();
  /// The maps are written, or why not.
  Status finish();

  struct Helper {
    std::string program;
    pid_t pid = -1;
    UniqueFd stderr_read;  ///< its stderr, for the error when it fails
  };

 private:
  IdMapWriter(pid_t pid, const IdMapping& mapping) : pid_(pid), mapping_(&mapping) {}
  pid_t pid_;
  const IdMapping* mapping_;
  std::vector<Helper> running_;
  Status spawned_;
};

/// IdMapWriter::start(pid, mapping).finish().
Status write_id_maps(pid_t pid, const IdMapping& mapping);

/// Why creating a user namespace failed with `errnum`, in words a user can act on.
std::string explain_userns_errno(int errnum);

/// A forked child in a new user namespace with `mapping`, running as uid/gid
/// 0 there. The parent may do other work (feed it a pipe) before finish().
/// Destroyed unfinished, the child is killed and reaped.
class UsernsChild {
 public:
  /// Forks, waits until the child's ID maps are written, and lets it run
  /// `body`. The child may send kValue frames on its socket.
  static Result<UsernsChild> start(const IdMapping& mapping,
                                   const std::function<Status(SyncSocket&)>& body);
  /// Waits for the child's last frame and its exit: the kValue payloads in
  /// order, or the child's Error (or a description of its death).
  Result<std::vector<std::string>> finish();

 private:
  UsernsChild(ChildProcess child, SyncSocket sock) : child_(std::move(child)), sock_(std::move(sock)) {}
  ChildProcess child_;
  SyncSocket sock_;
};

/// start() + finish().
Result<std::vector<std::string>> run_in_user_namespace(
    const IdMapping& mapping, const std::function<Status(SyncSocket&)>& body);

/// A UsernsChild whose `body` writes a stream of bytes to the descriptor it
/// is given (a pipe) while the parent hands each piece, as it arrives, to
/// `consume`. Every other descriptor is closed in the child (one inherited
/// from another such pipe would keep that stream from ever ending). Returns
/// the child's values once the stream ended and the child exited; an error
/// from `consume` stops the child.
Result<std::vector<std::string>> stream_from_user_namespace(
    const IdMapping& mapping, const std::function<Status(int out_fd, SyncSocket&)>& body,
    const std::function<Status(std::span<const uint8_t>)>& consume);

}  // namespace skiff
