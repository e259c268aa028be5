// The metadata of image archives: member paths, manifest.json, index.json,
// and what save writes for them.
#include <catch2/catch.hpp>

#include "image/archive_manifest.h"
#include "image/image_config.h"

using namespace skiff;

namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kDigestC = "sha256:" + std::string(64, 'c');

}  // namespace

TEST_CASE("member paths are normalised, and `..` never is one", "[archive]") {
  CHECK(normalize_member("./manifest.json") == "manifest.json");
  CHECK(normalize_member("blobs//sha256/./abc/") == "blobs/sha256/abc");
  CHECK(normalize_member("/etc/passwd") == "etc/passwd");
  CHECK(normalize_member("a/../b") == std::nullopt);
  CHECK(normalize_member("..") == std::nullopt);
  CHECK(normalize_member("./") == std::nullopt);
  CHECK(named_member("abc/layer.tar").value() == "abc/layer.tar");
  CHECK(named_member("../../etc/passwd").error().text() ==
        "the path `../../etc/passwd` leads outside the archive");
  CHECK(!named_member("/etc/passwd").ok());
  CHECK(!named_member("a/../../b").ok());
  CHECK(!named_member("").ok());
}

TEST_CASE("links lead to members, never outside", "[archive]") {
  CHECK(link_target_member("aaa/layer.tar", "../bbb/layer.tar", true) == "bbb/layer.tar");
  CHECK(link_target_member("aaa/layer.tar", "other.tar", true) == "aaa/other.tar");
  CHECK(link_target_member("aaa/layer.tar", "bbb/layer.tar", false) == "bbb/layer.tar");
  CHECK(link_target_member("aaa/layer.tar", "../../etc/passwd", true) == std::nullopt);
  CHECK(link_target_member("layer.tar", "../x", true) == std::nullopt);
  CHECK(link_target_member("aaa/layer.tar", "/etc/passwd", true) == std::nullopt);
  CHECK(link_target_member("aaa/layer.tar", "/etc/passwd", false) == std::nullopt);
  CHECK(link_target_member("aaa/layer.tar", "..", true) == std::nullopt);
}

TEST_CASE("manifest.json: images with configs, layers and canonical names", "[archive]") {
  auto images = parse_docker_archive_manifest(
      R"([{"Config":"abc.json","RepoTags":["busybox:latest","busybox","quay.io/a/b:1"],"Layers":["l1/layer.tar","./l2/layer.tar"]},)"
      R"({"Config":"blobs/sha256/def","RepoTags":null,"Layers":[]}])");
  REQUIRE(images.ok());
  REQUIRE(images->size() == 2);
  CHECK((*images)[0].config == "abc.json");
  CHECK((*images)[0].names == std::vector<std::string>{"docker.io/library/busybox:latest", "quay.io/a/b:1"});
  CHECK((*images)[0].layers == std::vector<std::string>{"l1/layer.tar", "l2/layer.tar"});
  CHECK((*images)[1].names.empty());
}

TEST_CASE("manifest.json: what docker never writes is refused with a reason", "[archive]") {
  auto error = [](const std::string& text) { return parse_docker_archive_manifest(text).error().text(); };
  CHECK(error("[]") == "manifest.json is not a list of images");
  CHECK(error("{}") == "manifest.json is not a list of images");
  CHECK(error(R"([{"Layers":[]}])") == "manifest.json, image 1: no Config");
  CHECK(error(R"([{"Config":"c.json"}])") == "manifest.json, image 1: no Layers");
  CHECK(error(R"([{"Config":"c.json","Layers":["../../x/layer.tar"]}])") ==
        "manifest.json, image 1: the path `../../x/layer.tar` leads outside the archive");
  CHECK(error(R"([{"Config":"/etc/c.json","Layers":[]}])") ==
        "manifest.json, image 1: the path `/etc/c.json` leads outside the archive");
  CHECK(error(R"([{"Config":"c.json","Layers":[1]}])") ==
        "manifest.json, image 1: a layer path is not a string");
  CHECK(error(R"([{"Config":"c.json","Layers":[],"RepoTags":["Bad:Name"]}])")
            .starts_with("manifest.json, image 1: invalid tag `Bad:Name`"));
  CHECK(error(R"([{"Config":"c.json","Layers":[],"RepoTags":["a@)" + kDigestA + R"("]}])") ==
        "manifest.json, image 1: the tag `a@" + kDigestA + "` has a digest");
  CHECK(error("[" + std::string(kMaxManifestSize, ' ') + "]") == "manifest.json is larger than 4 MiB");
  CHECK(error("not json").starts_with("parse manifest.json: "));
}

TEST_CASE("index.json: names from containerd's annotation, else a ref.name that is a reference",
          "[archive]") {
  auto entry = [](const std::string& digest, const std::string& annotations) {
    return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest +
           R"(","size":10)" + (annotations.empty() ? "" : R"(,"annotations":)" + annotations) + "}";
  };
  auto entries = parse_oci_layout_index(
      R"({"schemaVersion":2,"manifests":[)" +
      entry(kDigestA, R"({"org.opencontainers.image.ref.name":"busybox:1"})") + "," +
      entry(kDigestB, R"({"org.opencontainers.image.ref.name":"latest"})") + "," +
      entry(
          kDigestC,
          R"({"io.containerd.image.name":"docker.io/library/x:2","org.opencontainers.image.ref.name":"2"})") +
      "," + entry(kDigestA, "") + "]}");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 4);
  CHECK((*entries)[0].name == "docker.io/library/busybox:1");
  CHECK((*entries)[0].descriptor.digest == kDigestA);
  CHECK((*entries)[1].name == "");
  CHECK((*entries)[2].name == "docker.io/library/x:2");
  CHECK((*entries)[3].name == "");
  CHECK(parse_oci_layout_index(R"({"schemaVersion":2,"manifests":[]})").error().text() ==
        "index.json lists no image");
  CHECK(parse_oci_layout_index(R"({"manifests":[{"digest":"md5:x"}]})").error().text() ==
        "index.json, entry 1: unsupported digest `md5:x`");
}

TEST_CASE("diff IDs: one sha256 digest per layer", "[archive]") {
  Json config =
      Json::parse(R"({"rootfs":{"type":"layers","diff_ids":[")" + kDigestA + R"(",")" + kDigestB + R"("]}})");
  CHECK(diff_ids_of(config, 2).value() == std::vector<std::string>{kDigestA, kDigestB});
  CHECK(diff_ids_of(config, 1).error().text() ==
        "the image has 1 layer(s) but its config lists 2 diff ID(s)");
  CHECK(diff_ids_of(Json::parse("{}"), 0).error().text() == "the image config has no rootfs.diff_ids");
  CHECK(diff_ids_of(Json::parse(R"({"rootfs":{"diff_ids":["x"]}})"), 1).error().text() ==
        "the image config has a malformed diff ID");
}

TEST_CASE("save's metadata reads back as load parses it", "[archive]") {
  ArchiveImage tagged{.config_digest = kDigestA,
                      .config_size = 5,
                      .names = {"docker.io/library/busybox:latest", "quay.io/a/b:1"},
                      .layers = {{kDigestB, 10}, {kDigestC, 20}}};
  ArchiveImage nameless{.config_digest = kDigestB, .config_size = 6, .names = {}, .layers = {{kDigestC, 20}}};
  std::vector<ArchiveImage> both{tagged, nameless};

  auto images = parse_docker_archive_manifest(make_docker_archive_manifest(both));
  REQUIRE(images.ok());
  REQUIRE(images->size() == 2);
  CHECK((*images)[0].config == "blobs/sha256/" + std::string(64, 'a'));
  CHECK((*images)[0].names == tagged.names);
  CHECK((*images)[0].layers == std::vector<std::string>{blob_member(kDigestB), blob_member(kDigestC)});
  CHECK((*images)[1].names.empty());
  CHECK(make_docker_archive_manifest({tagged}).find(R"("RepoTags":["busybox:latest","quay.io/a/b:1"])") !=
        std::string::npos);

  Json repositories = Json::parse(make_repositories(both));
  CHECK(repositories["busybox"]["latest"] == std::string(64, 'c'));
  CHECK(repositories["quay.io/a/b"]["1"] == std::string(64, 'c'));
  CHECK(repositories.size() == 2);

  Json manifest = Json::parse(make_oci_manifest(tagged));
  CHECK(manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
  CHECK(manifest["config"]["digest"] == kDigestA);
  CHECK(manifest["config"]["size"] == 5);
  CHECK(manifest["layers"][1]["mediaType"] == "application/vnd.oci.image.layer.v1.tar");
  CHECK(manifest["layers"][1]["size"] == 20);

  auto entries = parse_oci_layout_index(make_oci_layout_index(both, {{kDigestB, 100}, {kDigestC, 200}}));
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[0].name == "docker.io/library/busybox:latest");
  CHECK((*entries)[1].name == "quay.io/a/b:1");
  CHECK((*entries)[1].descriptor.digest == kDigestB);
  CHECK((*entries)[2].name == "");
  CHECK((*entries)[2].descriptor.size == 200);
}
