// SyncSocket frames: sizes from empty to hundreds of KiB, descriptors, EOF.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "linux/sync_socket.h"
#include "test_support.h"

using namespace skiff;

TEST_CASE("frames arrive whole, each with its own size", "[sync]") {
  auto pair = SyncSocket::make_pair();
  REQUIRE_OK(pair);
  auto& [a, b] = *pair;
  std::string big(150000, 'x');
  big.back() = 'y';
  REQUIRE_OK(a.send(SyncSocket::Kind::kValue, "small"));
  REQUIRE_OK(a.send(SyncSocket::Kind::kValue, big));
  REQUIRE_OK(a.send(SyncSocket::Kind::kOk));
  auto first = b.receive("peer");
  REQUIRE_OK(first);
  CHECK(first->payload == "small");
  auto second = b.receive("peer");
  REQUIRE_OK(second);
  CHECK(second->payload == big);
  auto third = b.receive("peer");
  REQUIRE_OK(third);
  CHECK(third->kind == SyncSocket::Kind::kOk);
  CHECK(third->payload.empty());
  a.close();
  auto eof = b.receive_or_eof("peer");
  REQUIRE_OK(eof);
  CHECK_FALSE(eof->has_value());
  auto gone = b.receive("peer");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().text() == "peer exited without reporting");
}

TEST_CASE("a descriptor travels in a frame; an error frame instead is the peer's error", "[sync]") {
  auto pair = SyncSocket::make_pair();
  REQUIRE_OK(pair);
  auto& [a, b] = *pair;
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  REQUIRE_OK(a.send_fd(null.get()));
  auto fd = b.receive_fd("peer");
  REQUIRE_OK(fd);
  CHECK(fcntl(fd->get(), F_GETFD) == FD_CLOEXEC);
  REQUIRE_OK(a.send_error(Error(ENOENT, "open `x`")));
  auto refused = b.receive_fd("peer");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().errnum() == ENOENT);
  a.close();
  auto eof = b.receive_fd("peer");
  REQUIRE_FALSE(eof.ok());
  CHECK(eof.error().text() == "peer exited without reporting");
}
