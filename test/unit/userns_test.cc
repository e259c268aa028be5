// User namespaces: /etc/subuid parsing, ID maps, errno explanations, and a
// child that runs as root in a new user namespace. These run as real root
// (identity mapping: no namespace is made) and as an unprivileged user with
// an /etc/subuid range; both must pass.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/fs.h"
#include "linux/userns.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::single_id_mapping;


namespace {

// The user-namespace inode of the calling process.
ino_t user_namespace_inode() {
  struct stat st;
  if (::stat("/proc/self/ns/user", &st) != 0) return 0;
  return st.st_ino;
}


}  // namespace

TEST_CASE("parse_subid_file finds a user's range by name", "[userns]") {
  auto ranges = parse_subid_file("alice:100000:65536\nbob:165536:65536\n", "bob", 1002);
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0] == SubidRange{165536, 65536});
}

TEST_CASE("parse_subid_file finds a user's range by numeric ID", "[userns]") {
  auto ranges = parse_subid_file("alice:100000:65536\n1002:300000:1000\n", "bob", 1002);
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0] == SubidRange{300000, 1000});
  // A numeric owner that is someone else's ID does not match.
  CHECK(parse_subid_file("1003:300000:1000\n", "bob", 1002).empty());
}

TEST_CASE("parse_subid_file keeps every range of a user in file order", "[userns]") {
  auto ranges = parse_subid_file("bob:100000:10\nalice:5:5\nbob:200000:20\n1002:300000:30", "bob", 1002);
  REQUIRE(ranges.size() == 3);
  CHECK(ranges[0] == SubidRange{100000, 10});
  CHECK(ranges[1] == SubidRange{200000, 20});
  CHECK(ranges[2] == SubidRange{300000, 30});  // last line without a newline
}

TEST_CASE("parse_subid_file skips comments, blank and malformed lines", "[userns]") {
  const char* text =
      "# bob:1:1\n"
      "\n"
      "bob\n"
      "bob:100000\n"
      "bob:abc:10\n"
      "bob:10:abc\n"
      "bob:-5:10\n"
      "bob::10\n"
      "bob:10:\n"
      "bob:99999999999:10\n"
      "bob:200000:65536\r\n"
      "bobby:1:1\n";
  auto ranges = parse_subid_file(text, "bob", 1002);
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0] == SubidRange{200000, 65536});
}

TEST_CASE("parse_subid_file skips ranges of zero IDs", "[userns]") {
  auto ranges = parse_subid_file("bob:100000:0\nbob:200000:5\n", "bob", 1002);
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0] == SubidRange{200000, 5});
}

TEST_CASE("make_id_ranges maps container 0 to the user, then each range in order", "[userns]") {
  auto ranges = make_id_ranges(1000, {{100000, 65536}, {300000, 10}});
  REQUIRE(ranges.size() == 3);
  CHECK(ranges[0] == IdRange{0, 1000, 1});
  CHECK(ranges[1] == IdRange{1, 100000, 65536});
  CHECK(ranges[2] == IdRange{65537, 300000, 10});
  CHECK(make_id_ranges(1000, {}) == std::vector<IdRange>{{0, 1000, 1}});
}

TEST_CASE("make_id_ranges skips a range that holds the user's own ID", "[userns]") {
  auto ranges = make_id_ranges(1000, {{999, 10}, {200000, 65536}});
  REQUIRE(ranges.size() == 2);
  CHECK(ranges[0] == IdRange{0, 1000, 1});
  CHECK(ranges[1] == IdRange{1, 200000, 65536});
  // The ID at either edge of a range is inside it.
  CHECK(make_id_ranges(1000, {{1000, 1}}).size() == 1);
  CHECK(make_id_ranges(1000, {{991, 10}}).size() == 1);
  CHECK(make_id_ranges(1000, {{990, 10}}).size() == 2);  // 990..999: just below
}

TEST_CASE("explain_userns_errno names the real cause", "[userns]") {
  std::string eperm = explain_userns_errno(EPERM);
  CHECK(eperm.find("not allowed") != std::string::npos);
  CHECK(eperm.find("unprivileged_userns_clone") != std::string::npos);
  CHECK(eperm.find("AppArmor") != std::string::npos);
  std::string enospc = explain_userns_errno(ENOSPC);
  CHECK(enospc.find("user.max_user_namespaces") != std::string::npos);
  std::string einval = explain_userns_errno(EINVAL);
  CHECK(einval.find("CONFIG_USER_NS") != std::string::npos);
  CHECK(einval.find("threaded") != std::string::npos);
  CHECK(explain_userns_errno(EUSERS).find("nested") != std::string::npos);
  CHECK(explain_userns_errno(ENOMEM).find("out of memory") != std::string::npos);
  CHECK(explain_userns_errno(EIO) == std::string(strerror(EIO)));
}

TEST_CASE("the current mapping is the identity for root and starts with the user otherwise", "[userns]") {
  const IdMapping& m = current_id_mapping();
  if (::geteuid() == 0) {
    CHECK(m.identity);
    CHECK(m.has_subids());
  } else {
    CHECK_FALSE(m.identity);
    REQUIRE_FALSE(m.uids.empty());
    REQUIRE_FALSE(m.gids.empty());
    CHECK(m.uids[0] == IdRange{0, uint32_t(::geteuid()), 1});
    CHECK(m.gids[0] == IdRange{0, uint32_t(::getegid()), 1});
  }
}

TEST_CASE("the user-namespace child runs as uid and gid 0", "[userns]") {
  auto values = run_in_user_namespace(current_id_mapping(), [](SyncSocket& sock) -> Status {
    return sock.send(SyncSocket::Kind::kValue, fmt::format("{} {} {} {}", ::getuid(), ::geteuid(), ::getgid(),
                                                          ::getegid()));
  });
  REQUIRE_OK(values);
  REQUIRE(values->size() == 1);
  CHECK(values->front() == "0 0 0 0");
}

TEST_CASE("a single-ID mapping makes a new user namespace where we are root", "[userns]") {
  ino_t parent_ns = user_namespace_inode();
  REQUIRE(parent_ns != 0);
  auto values = run_in_user_namespace(single_id_mapping(), [](SyncSocket& sock) -> Status {
    TRY(sock.send(SyncSocket::Kind::kValue, std::to_string(::getuid())));
    TRY(sock.send(SyncSocket::Kind::kValue, std::to_string(user_namespace_inode())));
    std::string map = TRY(read_file("/proc/self/uid_map"));
    return sock.send(SyncSocket::Kind::kValue, map);
  });
  REQUIRE_OK(values);
  REQUIRE(values->size() == 3);
  CHECK((*values)[0] == "0");
  CHECK((*values)[1] != std::to_string(parent_ns));
  // "         0       1001          1"
  CHECK((*values)[2].find(" " + std::to_string(::geteuid()) + " ") != std::string::npos);
}

TEST_CASE("values sent by the child come back in order", "[userns]") {
  auto values = run_in_user_namespace(current_id_mapping(), [](SyncSocket& sock) -> Status {
    TRY(sock.send(SyncSocket::Kind::kValue, "first"));
    TRY(sock.send(SyncSocket::Kind::kValue, ""));
    return sock.send(SyncSocket::Kind::kValue, std::string(100000, 'x'));
  });
  REQUIRE_OK(values);
  REQUIRE(values->size() == 3);
  CHECK((*values)[0] == "first");
  CHECK((*values)[1].empty());
  CHECK((*values)[2] == std::string(100000, 'x'));
}

TEST_CASE("a body with nothing to say returns no values", "[userns]") {
  auto values = run_in_user_namespace(current_id_mapping(), [](SyncSocket&) -> Status { return {}; });
  REQUIRE_OK(values);
  CHECK(values->empty());
}

TEST_CASE("an Error returned by the child comes back with its message and errno", "[userns]") {
  auto result = run_in_user_namespace(current_id_mapping(), [](SyncSocket& sock) -> Status {
    TRY(sock.send(SyncSocket::Kind::kValue, "partial"));
    return Error(EACCES, "chown `etc/shadow`");
  });
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().errnum() == EACCES);
  CHECK(result.error().message() == "chown `etc/shadow`");
  CHECK(result.error().text() == "chown `etc/shadow`: Permission denied");
}

TEST_CASE("an Error from a child in a single-ID namespace comes back too", "[userns]") {
  auto result = run_in_user_namespace(single_id_mapping(), [](SyncSocket&) -> Status {
    if (::chown("/", 12345, 12345) == 0) return make_error("chown of an unmapped ID worked");
    return errno_error("chown `/`");
  });
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message() == "chown `/`");
  // 12345 has no mapping in the namespace: EINVAL (EPERM if the kernel checks
  // ownership of "/" first).
  CHECK((result.error().errnum() == EINVAL || result.error().errnum() == EPERM));
}

TEST_CASE("a child that exits without reporting is described by how it exited", "[userns]") {
  auto result = run_in_user_namespace(current_id_mapping(), [](SyncSocket&) -> Status { ::_exit(7); });
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().text().find("exited with code 7") != std::string::npos);
  CHECK(result.error().text().find("user namespace child") != std::string::npos);
}

TEST_CASE("a child killed by a signal is described by the signal", "[userns]") {
  auto result = run_in_user_namespace(current_id_mapping(), [](SyncSocket&) -> Status {
    ::kill(::getpid(), SIGKILL);
    ::pause();
    return {};
  });
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().text().find("killed by signal SIGKILL") != std::string::npos);
}

TEST_CASE("a started child may be fed before finish() collects it", "[userns]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  int writer = write_end.get();
  int reader = read_end.get();
  auto child = UsernsChild::start(current_id_mapping(), [&](SyncSocket& sock) -> Status {
    ::close(writer);
    std::string got;
    char buf[64];
    ssize_t n;
    while ((n = ::read(reader, buf, sizeof buf)) > 0) got.append(buf, n);
    return sock.send(SyncSocket::Kind::kValue, got);
  });
  REQUIRE_OK(child);
  read_end.reset();
  REQUIRE(::write(write_end.get(), "hello", 5) == 5);
  write_end.reset();
  auto values = child->finish();
  REQUIRE_OK(values);
  REQUIRE(values->size() == 1);
  CHECK(values->front() == "hello");
}
