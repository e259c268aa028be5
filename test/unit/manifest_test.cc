// Manifests, indexes and the registry client's small parsers.
#include <catch2/catch.hpp>

#include "image/manifest.h"
#include "registry/registry_client.h"
#include "test_support.h"

using namespace skiff;

namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

std::string oci_manifest(const std::string& layer_type, int64_t config_size = 100) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         kDigestA + R"(","size":)" + std::to_string(config_size) + R"(},"layers":[{"mediaType":")" + layer_type +
         R"(","digest":")" + kDigestB + R"(","size":5}]})";
}

std::string index_of(const std::string& entries) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" + entries +
         "]}";
}

std::string entry(const std::string& digest, const std::string& os, const std::string& arch,
                  const std::string& variant = "") {
  return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest +
         R"(","size":10,"platform":{"os":")" + os + R"(","architecture":")" + arch + R"(")" +
         (variant.empty() ? "" : R"(,"variant":")" + variant + R"(")") + "}}";
}

}  // namespace

TEST_CASE("manifest kinds come from mediaType, Content-Type or shape; schema 1 is refused", "[manifest]") {
  CHECK(manifest_kind(oci_manifest("application/vnd.oci.image.layer.v1.tar+gzip"), "").value() == ManifestKind::kImage);
  CHECK(manifest_kind(index_of(""), "").value() == ManifestKind::kIndex);
  CHECK(manifest_kind(R"({"schemaVersion":2,"manifests":[]})",
                      "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8")
            .value() == ManifestKind::kIndex);
  CHECK(manifest_kind(R"({"schemaVersion":2,"config":{},"layers":[]})", "").value() == ManifestKind::kImage);
  auto v1 = manifest_kind(R"({"schemaVersion":1,"fsLayers":[]})", "application/vnd.docker.distribution.manifest.v1+prettyjws");
  REQUIRE_FALSE(v1.ok());
  CHECK(v1.error().text().find("schema 1") != std::string::npos);
  CHECK_FALSE(manifest_kind("not json", "").ok());
  CHECK_FALSE(manifest_kind(R"({"schemaVersion":2})", "text/html").ok());
  CHECK_FALSE(manifest_kind(std::string(kMaxManifestSize + 1, ' '), "").ok());
}

TEST_CASE("image manifests: tar layers only, checked digests and sizes", "[manifest]") {
  auto m = parse_image_manifest(oci_manifest("application/vnd.oci.image.layer.v1.tar+zstd"));
  REQUIRE_OK(m);
  CHECK(m->config.digest == kDigestA);
  REQUIRE(m->layers.size() == 1);
  CHECK(m->layers[0].digest == kDigestB);
  CHECK(m->layers[0].size == 5);

  auto foreign = parse_image_manifest(oci_manifest("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"));
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().text().find("foreign layer") != std::string::npos);
  auto helm = parse_image_manifest(oci_manifest("application/vnd.cncf.helm.chart.content.v1.tar+gzip"));
  REQUIRE_FALSE(helm.ok());
  CHECK(helm.error().text().find("not a tar layer") != std::string::npos);
  auto huge = parse_image_manifest(oci_manifest("application/vnd.oci.image.layer.v1.tar", int64_t(kMaxConfigSize) + 1));
  CHECK_FALSE(huge.ok());
  std::string bad_digest = oci_manifest("application/vnd.oci.image.layer.v1.tar");
  bad_digest.replace(bad_digest.find(kDigestB), kDigestB.size(), "sha256:../../etc/passwd");
  auto escaped = parse_image_manifest(bad_digest);
  REQUIRE_FALSE(escaped.ok());
  CHECK(escaped.error().text().find("unsupported digest") != std::string::npos);
  CHECK_FALSE(parse_image_manifest(R"({"schemaVersion":2,"layers":[]})").ok());
}

TEST_CASE("an index entry is chosen by os, architecture and variant", "[manifest]") {
  std::string index = index_of(entry(kDigestA, "linux", "amd64") + "," + entry(kDigestB, "linux", "arm64", "v8") + "," +
                               entry("sha256:" + std::string(64, 'c'), "unknown", "unknown"));
  CHECK(choose_from_index(index, {"linux", "amd64", ""}).value().digest == kDigestA);
  CHECK(choose_from_index(index, {"linux", "arm64", ""}).value().digest == kDigestB);
  CHECK(choose_from_index(index, {"linux", "arm64", "v8"}).value().digest == kDigestB);
  auto none = choose_from_index(index, {"linux", "arm", "v7"});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().text() == "no image for linux/arm/v7 in the manifest list (it has: linux/amd64, linux/arm64/v8)");
}

TEST_CASE("bearer challenges, URL encoding and loopback registries", "[registry]") {
  auto c = parse_bearer_challenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push")");
  CHECK(c.realm == "https://auth.docker.io/token");
  CHECK(c.service == "registry.docker.io");
  CHECK(c.scope == "repository:library/busybox:pull,push");
  CHECK(parse_bearer_challenge(R"(Basic realm="x")").realm.empty());
  CHECK(parse_bearer_challenge("bearer realm=http://a/t, service=s").service == "s");
  CHECK(url_encode("repository:a/b:pull") == "repository%3Aa%2Fb%3Apull");
  CHECK(is_loopback_registry("localhost:5000"));
  CHECK(is_loopback_registry("127.0.0.1:41234"));
  CHECK(is_loopback_registry("[::1]:5000"));
  CHECK_FALSE(is_loopback_registry("docker.io"));
  CHECK_FALSE(is_loopback_registry("127.example.com"));
}
