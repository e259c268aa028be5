// The layer byte pipeline: compression detected from the first bytes, gzip
// (single and multi-member), zstd, xz and bzip2 inflated, truncated or corrupt input
// refused at finish(), digests that match sha256sum, and a pipe whose reader
// went away. Compressed samples are made with the real gzip, zstd, xz and
// bzip2 commands, so they are what registries serve.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>

#include "base/fs.h"
#include "image/stream.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::run_filter;
using skiff::test::StringSink;
using skiff::test::TempDir;

namespace {

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Text with numbers in it: compresses, but not to nothing, and spans many
// deflate blocks and more than one 1 MiB output buffer when large.
std::string sample(size_t size, uint32_t seed = 1) {
  std::string out;
  uint32_t x = seed;
  while (out.size() < size) {
    x = x * 1664525u + 1013904223u;
    out += fmt::format("line {} of the layer: {:08x} {}\n", out.size(), x, x % 7 ? "etc/passwd" : "usr/lib");
  }
  out.resize(size);
  return out;
}

std::string gzip(std::string_view input) { return run_filter("gzip -c -n", input); }
std::string zstd(std::string_view input) { return run_filter("zstd -q -c", input); }

std::string sha256sum(std::string_view input) {
  std::string out = run_filter("sha256sum", input);
  return "sha256:" + out.substr(0, 64);
}

// Feeds `input` into an InflatingSink in chunks of `chunk` bytes (0: at once).
struct Inflated {
  Status status;
  std::string out;
  Compression compression;
  int finishes;
};
Inflated inflate(std::string_view input, size_t chunk = 0) {
  StringSink sink;
  InflatingSink inflater(sink);
  Status status;
  if (chunk == 0) chunk = input.size() ? input.size() : 1;
  for (size_t at = 0; at < input.size() && status.ok(); at += chunk)
    status = inflater.write(bytes(input.substr(at, chunk)));
  if (status.ok()) status = inflater.finish();
  return {status, sink.out, inflater.compression(), sink.finishes};
}

bool says_truncated_or_corrupt(const Status& status) {
  if (status.ok()) return false;
  const std::string text = status.error().text();
  return text.find("unexpected end") != std::string::npos || text.find("corrupt") != std::string::npos ||
         text.find("Corrupt") != std::string::npos;
}

}  // namespace

TEST_CASE("compression names", "[stream]") {
  CHECK(std::string(compression_name(Compression::kGzip)) == "gzip");
  CHECK(std::string(compression_name(Compression::kZstd)) == "zstd");
  CHECK(std::string(compression_name(Compression::kNone)) == "none");
}

TEST_CASE("uncompressed input passes through unchanged", "[stream]") {
  std::string data = sample(3 << 20);
  auto r = inflate(data);
  REQUIRE_OK(r.status);
  CHECK(r.compression == Compression::kNone);
  CHECK(r.out == data);
  CHECK(r.finishes == 1);
}

TEST_CASE("input shorter than any magic number passes through at finish", "[stream]") {
  for (std::string data : {"a", "abc", "abcde", "\x1f"}) {
    INFO(data.size() << " bytes");
    auto r = inflate(data);
    REQUIRE_OK(r.status);
    CHECK(r.compression == Compression::kNone);
    CHECK(r.out == data);
  }
}

TEST_CASE("empty input is an empty uncompressed stream", "[stream]") {
  auto r = inflate("");
  REQUIRE_OK(r.status);
  CHECK(r.compression == Compression::kNone);
  CHECK(r.out.empty());
  CHECK(r.finishes == 1);
}

TEST_CASE("gzip input is inflated", "[stream]") {
  std::string data = sample(3 << 20);
  std::string gz = gzip(data);
  REQUIRE(gz.size() < data.size());
  auto r = inflate(gz);
  REQUIRE_OK(r.status);
  CHECK(r.compression == Compression::kGzip);
  CHECK(r.out.size() == data.size());
  CHECK(r.out == data);
  CHECK(r.finishes == 1);
}

TEST_CASE("gzip of empty content inflates to nothing", "[stream]") {
  auto r = inflate(gzip(""));
  REQUIRE_OK(r.status);
  CHECK(r.compression == Compression::kGzip);
  CHECK(r.out.empty());
}

TEST_CASE("multi-member gzip inflates every member", "[stream]") {
  std::string a = sample(1500000, 1), b = sample(700000, 2), c = "tail";
  std::string gz = gzip(a) + gzip(b) + gzip(c);
  auto r = inflate(gz);
  REQUIRE_OK(r.status);
  CHECK(r.out.size() == a.size() + b.size() + c.size());
  CHECK(r.out == a + b + c);
}

TEST_CASE("zstd input is inflated", "[stream]") {
  std::string data = sample(3 << 20);
  std::string zst = zstd(data);
  REQUIRE(zst.size() < data.size());
  auto r = inflate(zst);
  REQUIRE_OK(r.status);
  CHECK(r.compression == Compression::kZstd);
  CHECK(r.out == data);
  CHECK(r.finishes == 1);
}

TEST_CASE("multi-frame zstd inflates every frame", "[stream]") {
  std::string a = sample(1200000, 3), b = sample(5000, 4);
  auto r = inflate(zstd(a) + zstd(b));
  REQUIRE_OK(r.status);
  CHECK(r.out == a + b);
}

TEST_CASE("feeding one byte at a time gives the same output as all at once", "[stream]") {
  std::string data = sample(300000, 5);
  std::string gz = gzip(data.substr(0, 200000)) + gzip(data.substr(200000));
  for (const auto& [name, input] :
       std::vector<std::pair<std::string, std::string>>{{"none", data}, {"gzip", gz}, {"zstd", zstd(data)},
                                                        {"xz", run_filter("xz -c -T1", data)},
                                                        {"bzip2", run_filter("bzip2 -c", data)}}) {
    INFO(name);
    auto whole = inflate(input);
    auto bytewise = inflate(input, 1);
    auto odd = inflate(input, 4099);
    REQUIRE_OK(whole.status);
    REQUIRE_OK(bytewise.status);
    REQUIRE_OK(odd.status);
    CHECK(whole.out == data);
    CHECK(bytewise.out == whole.out);
    CHECK(odd.out == whole.out);
    CHECK(bytewise.compression == whole.compression);
  }
}

TEST_CASE("output fed in small pieces goes on in whole 1 MiB buffers", "[stream]") {
  // A registry's body arrives in libcurl's 16 KiB pieces: each piece's
  // output must not become a write of its own to the extractor's pipe.
  std::string data = sample(3 * (1 << 20) + 12345, 9);
  for (const auto& [name, input] : std::vector<std::pair<std::string, std::string>>{
           {"none", data}, {"gzip", gzip(data)}, {"zstd", zstd(data)}, {"xz", run_filter("xz -c -T1", data)},
           {"bzip2", run_filter("bzip2 -c", data)}}) {
    INFO(name);
    StringSink sink;
    InflatingSink inflater(sink);
    for (size_t at = 0; at < input.size(); at += 16384)
      REQUIRE_OK(inflater.write(bytes(input.substr(at, 16384))));
    REQUIRE_OK(inflater.finish());
    CHECK(sink.out == data);
    CHECK(sink.writes == 4);  // three whole buffers and the rest
    CHECK(sink.finishes == 1);
  }
}

TEST_CASE("truncated gzip fails, never succeeds", "[stream]") {
  std::string data = sample(2 << 20);
  std::string gz = gzip(data);
  for (size_t keep :
       {size_t(3), size_t(10), size_t(100), gz.size() / 2, gz.size() - 8, gz.size() - 4, gz.size() - 1}) {
    INFO("keeping " << keep << " of " << gz.size() << " bytes");
    auto r = inflate(std::string_view(gz).substr(0, keep));
    CHECK_FALSE(r.status.ok());
    CHECK(says_truncated_or_corrupt(r.status));
    auto bytewise = inflate(std::string_view(gz).substr(0, keep), 1);
    CHECK(says_truncated_or_corrupt(bytewise.status));
  }
}

TEST_CASE("truncated zstd fails, never succeeds", "[stream]") {
  std::string data = sample(2 << 20);
  std::string zst = zstd(data);
  for (size_t keep : {size_t(4), size_t(10), zst.size() / 2, zst.size() - 4, zst.size() - 1}) {
    INFO("keeping " << keep << " of " << zst.size() << " bytes");
    auto r = inflate(std::string_view(zst).substr(0, keep));
    CHECK_FALSE(r.status.ok());
    CHECK(says_truncated_or_corrupt(r.status));
  }
}

TEST_CASE("corrupt gzip data is refused", "[stream]") {
  std::string data = sample(1 << 20);
  std::string gz = gzip(data);
  SECTION("garbage in the deflate stream") {
    for (size_t i = gz.size() / 3; i < gz.size() / 3 + 64; i++) gz[i] = char(gz[i] ^ 0x5a);
  }
  SECTION("a wrong CRC in the trailer") { gz[gz.size() - 8] = char(gz[gz.size() - 8] ^ 1); }
  SECTION("a wrong length in the trailer") { gz[gz.size() - 4] = char(gz[gz.size() - 4] ^ 1); }
  auto r = inflate(gz);
  CHECK_FALSE(r.status.ok());
}

TEST_CASE("a gzip header followed by garbage says corrupt", "[stream]") {
  std::string gz = gzip("hello");
  std::string bad = gz.substr(0, 10) + std::string(100, '\xff');
  auto r = inflate(bad);
  REQUIRE_FALSE(r.status.ok());
  CHECK(says_truncated_or_corrupt(r.status));
  CHECK(r.status.error().text().find("gzip") != std::string::npos);
}

TEST_CASE("corrupt zstd data is refused", "[stream]") {
  std::string zst = zstd(sample(1 << 20));
  for (size_t i = zst.size() / 2; i < zst.size() / 2 + 64; i++) zst[i] = char(zst[i] ^ 0x5a);
  auto r = inflate(zst);
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.error().text().find("zstd") != std::string::npos);
}

TEST_CASE("xz and bzip2 input is inflated, concatenated streams too", "[stream]") {
  std::string a = sample(1500000, 6), b = sample(70000, 7);
  for (const auto& [name, tool, kind] : std::vector<std::tuple<std::string, std::string, Compression>>{
           {"xz", "xz -c -T1", Compression::kXz}, {"bzip2", "bzip2 -c", Compression::kBzip2}}) {
    INFO(name);
    std::string one = run_filter(tool, a);
    REQUIRE(one.size() < a.size());
    auto r = inflate(one);
    REQUIRE_OK(r.status);
    CHECK(r.compression == kind);
    CHECK(r.out == a);
    CHECK(r.finishes == 1);
    CHECK(std::string(compression_name(kind)) == name);
    auto two = inflate(one + run_filter(tool, b), 65521);
    REQUIRE_OK(two.status);
    CHECK(two.out == a + b);
    auto empty = inflate(run_filter(tool, ""));
    REQUIRE_OK(empty.status);
    CHECK(empty.out.empty());
  }
}

TEST_CASE("truncated or corrupt xz and bzip2 fail, never succeed", "[stream]") {
  std::string data = sample(1 << 20, 8);
  for (const auto& [name, tool] :
       std::vector<std::pair<std::string, std::string>>{{"xz", "xz -c -T1"}, {"bzip2", "bzip2 -c"}}) {
    INFO(name);
    std::string packed = run_filter(tool, data);
    for (size_t keep : {size_t(6), size_t(40), packed.size() / 2, packed.size() - 4, packed.size() - 1}) {
      INFO("keeping " << keep << " of " << packed.size() << " bytes");
      auto r = inflate(std::string_view(packed).substr(0, keep));
      CHECK(says_truncated_or_corrupt(r.status));
    }
    std::string bad = packed;
    for (size_t i = bad.size() / 2; i < bad.size() / 2 + 64; i++) bad[i] = char(bad[i] ^ 0x5a);
    auto r = inflate(bad);
    REQUIRE_FALSE(r.status.ok());
    CHECK(r.status.error().text().find(name) != std::string::npos);
  }
}

TEST_CASE("junk after the last bzip2 stream is ignored, as bzip2 -d does", "[stream]") {
  std::string data = sample(100000, 10);
  auto r = inflate(run_filter("bzip2 -c", data) + std::string(1000, '\0'), 333);
  REQUIRE_OK(r.status);
  CHECK(r.out == data);
}

TEST_CASE("an xz stream asking for more memory than skiff allows is refused", "[stream]") {
  // A 1 GiB dictionary: the decoder would allocate it up front.
  std::string packed = run_filter("xz -c -T1 --lzma2=dict=1GiB", "small");
  auto r = inflate(packed);
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.error().text().find("MiB of memory") != std::string::npos);
}

TEST_CASE("DigestingSink digest and size match sha256sum", "[stream]") {
  std::string data = sample(1234567);
  StringSink end;
  DigestingSink digesting(end);
  for (size_t at = 0; at < data.size(); at += 65521)
    REQUIRE_OK(digesting.write(bytes(std::string_view(data).substr(at, 65521))));
  REQUIRE_OK(digesting.finish());
  CHECK(digesting.size() == data.size());
  CHECK(digesting.digest() == sha256sum(data));
  CHECK(end.out == data);
  CHECK(end.finishes == 1);
}

TEST_CASE("DigestingSink of nothing is the empty digest", "[stream]") {
  StringSink end;
  DigestingSink digesting(end);
  REQUIRE_OK(digesting.finish());
  CHECK(digesting.size() == 0);
  CHECK(digesting.digest() == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("digests before and after inflating are of the compressed and the plain bytes", "[stream]") {
  std::string data = sample(2 << 20);
  std::string gz = gzip(data);
  StringSink end;
  DigestingSink uncompressed(end);
  InflatingSink inflater(uncompressed);
  DigestingSink compressed(inflater);
  REQUIRE_OK(compressed.write(bytes(gz)));
  REQUIRE_OK(compressed.finish());
  CHECK(compressed.size() == gz.size());
  CHECK(compressed.digest() == sha256sum(gz));
  CHECK(uncompressed.size() == data.size());
  CHECK(uncompressed.digest() == sha256sum(data));
  CHECK(end.finishes == 1);
}

TEST_CASE("FdSink writes everything to its descriptor", "[stream]") {
  TempDir dir;
  UniqueFd fd(::open((dir / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  REQUIRE(fd);
  std::string data = sample(3 << 20);
  FdSink sink(fd.get());
  REQUIRE_OK(sink.write(bytes(data)));
  REQUIRE_OK(sink.finish());
  CHECK_FALSE(sink.reader_gone());
  fd.reset();
  CHECK(read_file(dir / "out").value() == data);
}

TEST_CASE("FdSink to a pipe whose reader closed reports reader_gone, not an error", "[stream]") {
  // skiff ignores SIGPIPE in main(); so does this process from here on.
  ::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  read_end.reset();
  FdSink sink(write_end.get());
  std::string data = sample(100000);
  Status status = sink.write(bytes(data));
  CHECK(status.ok());
  CHECK(sink.reader_gone());
  // Later writes are dropped quietly too.
  CHECK(sink.write(bytes(data)).ok());
  CHECK(sink.finish().ok());
}

TEST_CASE("FdSink on a closed descriptor is an error", "[stream]") {
  FdSink sink(-1);
  Status status = sink.write(bytes("x"));
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().errnum() == EBADF);
  CHECK_FALSE(sink.reader_gone());
}

TEST_CASE("pump_fd reads a descriptor to its end and finishes the sink", "[stream]") {
  TempDir dir;
  std::string data = sample(2500000);
  std::string zst = zstd(data);
  REQUIRE_OK(write_file_atomically(dir / "layer.zst", zst));
  UniqueFd fd(::open((dir / "layer.zst").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  StringSink end;
  InflatingSink inflater(end);
  REQUIRE_OK(pump_fd(fd.get(), inflater, "layer"));
  CHECK(end.out == data);
  CHECK(end.finishes == 1);
}

TEST_CASE("pump_fd reports a read error with what it was reading", "[stream]") {
  TempDir dir;
  UniqueFd fd(::open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  StringSink end;
  Status status = pump_fd(fd.get(), end, "layer `x.tar`");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().errnum() == EISDIR);
  CHECK(status.error().text().find("layer `x.tar`") != std::string::npos);
  CHECK(end.finishes == 0);
}

TEST_CASE("zero padding after the last gzip member is ignored, as gzip -d does", "[stream]") {
  std::string data = sample(100000);
  std::string padded = gzip(data) + std::string(10240, '\0');
  for (size_t chunk : {size_t(0), size_t(1000)}) {
    auto r = inflate(padded, chunk);
    REQUIRE_OK(r.status);
    CHECK(r.compression == Compression::kGzip);
    CHECK(r.out == data);
  }
}

TEST_CASE("a second gzip member cut short still fails", "[stream]") {
  std::string data = sample(50000);
  std::string second = gzip(data);
  auto r = inflate(gzip(data) + second.substr(0, second.size() / 2));
  CHECK_FALSE(r.status.ok());
}
