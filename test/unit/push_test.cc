// What push is made of, short of a registry (test/e2e/047-push.bats pushes
// to a real one): layers compressed with ISA-L's gzip and with zstd come
// back byte for byte through the real gzip and zstd commands and through
// InflatingSink, the same input giving the same bytes; manifests in both
// formats; upload Range headers; the blob-sources cache of a layer.
#include <catch2/catch.hpp>
#include <string>

#include "base/fs.h"
#include "base/json.h"
#include "image/blob_sources.h"
#include "image/compress.h"
#include "image/manifest.h"
#include "image/stream.h"
#include "registry/registry_client.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::run_filter;
using skiff::test::StringSink;
using skiff::test::TempDir;

namespace {

std::string text_sample(size_t size) {
  std::string out;
  for (uint32_t x = 7; out.size() < size; x = x * 1664525u + 1013904223u)
    out += fmt::format("{:08x} usr/lib/x86_64-linux-gnu/libc.so.6 {}\n", x, out.size());
  out.resize(size);
  return out;
}

// Compresses `input`, written in pieces of `piece` bytes.
std::string compress(Compression c, int level, const std::string& input, size_t piece = 65536) {
  StringSink sink;
  auto compressor = CompressingSink::create(c, level, sink);
  REQUIRE(compressor.ok());
  for (size_t at = 0; at < input.size(); at += piece)
    REQUIRE(
        (*compressor)
            ->write({reinterpret_cast<const uint8_t*>(input.data()) + at, std::min(piece, input.size() - at)})
            .ok());
  REQUIRE((*compressor)->finish().ok());
  CHECK(sink.finishes == 1);
  return sink.out;
}

std::string inflate(const std::string& input) {
  StringSink sink;
  InflatingSink inflater(sink);
  REQUIRE(inflater.write({reinterpret_cast<const uint8_t*>(input.data()), input.size()}).ok());
  REQUIRE(inflater.finish().ok());
  return sink.out;
}

}  // namespace

TEST_CASE("gzip and zstd layers come back byte for byte, the same input giving the same bytes", "[push]") {
  std::string input = text_sample(5 << 20) + std::string(1 << 20, '\0');
  for (int level = 0; level <= 3; ++level) {
    INFO("gzip level " << level);
    std::string packed = compress(Compression::kGzip, level, input);
    CHECK(packed.size() < input.size());
    CHECK(run_filter("gzip -d -c", packed) == input);
    CHECK(inflate(packed) == input);
    // However the input is cut into writes.
    CHECK(compress(Compression::kGzip, level, input, 1 << 20) == packed);
    CHECK(compress(Compression::kGzip, level, input, 4097) == packed);
  }
  std::string packed = compress(Compression::kZstd, 3, input);
  CHECK(run_filter("zstd -d -q -c", packed) == input);
  CHECK(compress(Compression::kZstd, 3, input, 1 << 20) == packed);
  CHECK(compress(Compression::kZstd, 3, input, 4097) == packed);
  CHECK(inflate(packed) == input);
  // Nothing in, a valid empty stream out.
  CHECK(run_filter("gzip -d -c", compress(Compression::kGzip, 3, "")).empty());
  CHECK(inflate(compress(Compression::kZstd, 1, "")).empty());
}

TEST_CASE("compression levels out of range are refused with the range", "[push]") {
  StringSink sink;
  auto refused = CompressingSink::create(Compression::kGzip, 9, sink);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().text() == "gzip compression levels are 0 to 3, not 9");
  CHECK_FALSE(CompressingSink::create(Compression::kZstd, 0, sink).ok());
  CHECK_FALSE(CompressingSink::create(Compression::kNone, 0, sink).ok());
}

TEST_CASE("manifests in OCI's and docker's formats name the config and the layers", "[push]") {
  Descriptor config{
      .media_type = "", .digest = "sha256:" + std::string(64, 'c'), .size = 1234, .platform = {}};
  auto gzip = layer_media_type(ManifestFormat::kDocker, Compression::kGzip);
  REQUIRE(gzip.ok());
  Descriptor layer{
      .media_type = *gzip, .digest = "sha256:" + std::string(64, 'a'), .size = 99, .platform = {}};
  std::string docker = make_image_manifest(ManifestFormat::kDocker, config, {layer});
  auto parsed = parse_image_manifest(docker);
  REQUIRE(parsed.ok());
  CHECK(parsed->media_type == "application/vnd.docker.distribution.manifest.v2+json");
  CHECK(parsed->config.digest == config.digest);
  CHECK(parsed->config.size == 1234);
  REQUIRE(parsed->layers.size() == 1);
  CHECK(parsed->layers[0].media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip");
  CHECK(manifest_format_of(parsed->media_type) == ManifestFormat::kDocker);
  CHECK(manifest_kind(docker, "").value() == ManifestKind::kImage);

  auto zstd = layer_media_type(ManifestFormat::kOci, Compression::kZstd);
  REQUIRE(zstd.ok());
  layer.media_type = *zstd;
  auto oci = parse_image_manifest(make_image_manifest(ManifestFormat::kOci, config, {layer}));
  REQUIRE(oci.ok());
  CHECK(oci->media_type == "application/vnd.oci.image.manifest.v1+json");
  CHECK(oci->layers[0].media_type == "application/vnd.oci.image.layer.v1.tar+zstd");
  CHECK(layer_compression(oci->layers[0].media_type) == Compression::kZstd);
  CHECK_FALSE(layer_media_type(ManifestFormat::kDocker, Compression::kZstd).ok());
  CHECK(parse_manifest_format("v2s2").value() == ManifestFormat::kDocker);
  CHECK_FALSE(parse_manifest_format("v1").ok());
}

TEST_CASE("an upload's Range header says how many bytes the registry holds", "[push]") {
  CHECK(range_end("0-0").value() == 0);
  CHECK(range_end("0-65535").value() == 65536);
  CHECK(range_end("bytes=0-99").value() == 100);
  CHECK_FALSE(range_end("5-10").ok());
  CHECK_FALSE(range_end("0-").ok());
  CHECK_FALSE(range_end("0-99999999999999999999999").ok());
  CHECK_FALSE(range_end("garbage").ok());
}

TEST_CASE("a layer remembers where its blobs are, newest first, each once, at most 16", "[push]") {
  TempDir dir;
  auto store = Store::open(dir / "root", dir / "run");
  REQUIRE(store.ok());
  std::string chain = "sha256:" + std::string(64, '1');
  std::string layer_dir = store->layer_dir(chain);
  // No layer, no file; no file, nothing known.
  remember_blob_sources(*store, chain, {{"sha256:" + std::string(64, 'a'), "t", 1, "r:5000", "a/b"}});
  CHECK(read_blob_sources(*store, chain).empty());
  REQUIRE(make_directories(layer_dir).ok());
  REQUIRE(write_file_atomically(layer_dir + "/layer.json", "{}").ok());
  for (int i = 0; i < 20; ++i)
    remember_blob_sources(*store, chain,
                          {{"sha256:" + std::string(63, 'a') + char('a' + i % 6), "t", i, "r:5000", "repo"}});
  auto known = read_blob_sources(*store, chain);
  REQUIRE(known.size() == 6);  // six distinct digests
  CHECK(known[0].size == 19);
  remember_blob_sources(*store, chain, {{"sha256:" + std::string(64, 'f'), "t", 1, "other:5000", "x"}});
  for (int i = 0; i < 20; ++i)
    remember_blob_sources(*store, chain,
                          {{"sha256:" + std::string(64, 'e'), "t", 1, "r:5000", fmt::format("r{}", i)}});
  known = read_blob_sources(*store, chain);
  CHECK(known.size() == 16);
  CHECK(known[0].repository == "r19");
  // A file that is not what skiff writes reads as nothing known.
  REQUIRE(write_file_atomically(layer_dir + "/blob-sources.json", "{not json").ok());
  CHECK(read_blob_sources(*store, chain).empty());
}
