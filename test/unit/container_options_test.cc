// The parsers of `create`'s mount flags: -v, --mount, --tmpfs.
#include "engine/container_options.h"
#include "test_support.h"

using namespace skiff;

namespace {

std::string error_of(const Result<MountFlag>& r) { return r.ok() ? "(ok)" : r.error().text(); }

}  // namespace

TEST_CASE("-v HOST:DST binds a host folder, with its options as the mode", "[options]") {
  auto flag = parse_volume_flag("/h/data:/data:ro,z");
  REQUIRE_OK(flag);
  CHECK(flag->spec.type == VolumeSpec::Type::kBind);
  CHECK(flag->spec.source == "/h/data");
  CHECK(flag->spec.destination == "/data");
  CHECK(flag->spec.read_only);
  CHECK(flag->spec.volume.empty());
  CHECK_FALSE(flag->spec.anonymous);
  CHECK_FALSE(flag->spec.copy_up);
  CHECK(flag->mode == "ro,z");
  auto plain = parse_volume_flag("/h:/c");
  REQUIRE_OK(plain);
  CHECK(plain->mode.empty());
  CHECK_FALSE(plain->spec.read_only);
}

TEST_CASE("-v NAME:DST is a named volume, filled from the image unless nocopy", "[options]") {
  auto flag = parse_volume_flag("db-data_1.x:/var/lib/db");
  REQUIRE_OK(flag);
  CHECK(flag->spec.volume == "db-data_1.x");
  CHECK(flag->spec.source.empty());  // the volume's folder, once it is made
  CHECK(flag->spec.destination == "/var/lib/db");
  CHECK(flag->spec.copy_up);
  CHECK_FALSE(flag->spec.anonymous);
  CHECK(flag->mode == "z");  // docker's default for a volume given with -v
  auto nocopy = parse_volume_flag("db:/d:nocopy,ro");
  REQUIRE_OK(nocopy);
  CHECK_FALSE(nocopy->spec.copy_up);
  CHECK(nocopy->spec.read_only);
  CHECK(nocopy->mode == "nocopy,ro");
}

TEST_CASE("-v DST alone is an anonymous volume", "[options]") {
  auto flag = parse_volume_flag("/cache");
  REQUIRE_OK(flag);
  CHECK(flag->spec.anonymous);
  CHECK(flag->spec.copy_up);
  CHECK(flag->spec.volume.empty());
  CHECK(flag->spec.destination == "/cache");
  CHECK(flag->mode.empty());
}

TEST_CASE("bad -v values are refused with a reason", "[options]") {
  CHECK(error_of(parse_volume_flag("./x:/c")) ==
        "invalid volume `./x:/c`: the host path must be absolute (try $PWD/./x)");
  CHECK(error_of(parse_volume_flag("a:/c")) ==
        "invalid volume `a:/c`: volume name is too short, names should be at least two alphanumeric "
        "characters");
  CHECK(error_of(parse_volume_flag("my@vol:/c")) ==
        "invalid volume `my@vol:/c`: \"my@vol\" includes invalid characters for a local volume name, only "
        "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute "
        "path");
  CHECK(error_of(parse_volume_flag("-vol:/c")).find("includes invalid characters") != std::string::npos);
  CHECK(error_of(parse_volume_flag(":/c")) == "invalid volume `:/c`: the source is empty");
  CHECK(error_of(parse_volume_flag("a:b:c:d")) == "invalid volume `a:b:c:d`: too many colons");
  CHECK(error_of(parse_volume_flag("vol:relative")) ==
        "invalid volume destination `relative`: it must be an absolute path");
  CHECK(error_of(parse_volume_flag("relative")) ==
        "invalid volume destination `relative`: it must be an absolute path");
  CHECK(error_of(parse_volume_flag("vol:/")) ==
        "invalid volume destination `/`: it can't be the root or lead out of it");
  CHECK(error_of(parse_volume_flag("/../..")) ==
        "invalid volume destination `/../..`: it can't be the root or lead out of it");
  CHECK(error_of(parse_volume_flag("vol:/c:bogus")) ==
        "invalid volume `vol:/c:bogus`: unknown option `bogus`");
}

TEST_CASE("--mount type=volume: named, anonymous, nocopy, labels", "[options]") {
  auto named =
      parse_mount_flag("type=volume,source=db,target=/data,readonly,volume-label=a=b,volume-driver=local");
  REQUIRE_OK(named);
  CHECK(named->spec.volume == "db");
  CHECK(named->spec.read_only);
  CHECK(named->spec.copy_up);
  CHECK_FALSE(named->spec.anonymous);
  CHECK(named->mode.empty());
  CHECK(named->volume_labels == Json{{"a", "b"}});
  // type=volume is the default; no source is an anonymous volume.
  auto anonymous = parse_mount_flag("dst=/cache,volume-nocopy");
  REQUIRE_OK(anonymous);
  CHECK(anonymous->spec.anonymous);
  CHECK(anonymous->spec.volume.empty());
  CHECK_FALSE(anonymous->spec.copy_up);
  auto copy = parse_mount_flag("type=volume,src=v1,destination=/d,volume-nocopy=false");
  REQUIRE_OK(copy);
  CHECK(copy->spec.copy_up);
}

TEST_CASE("--mount bind and tmpfs still work; bad fields are refused", "[options]") {
  auto bind = parse_mount_flag("type=bind,source=/,target=/host,ro");
  REQUIRE_OK(bind);
  CHECK(bind->spec.source == "/");
  CHECK(bind->spec.volume.empty());
  auto tmpfs = parse_mount_flag("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700");
  REQUIRE_OK(tmpfs);
  CHECK(tmpfs->spec.type == VolumeSpec::Type::kTmpfs);
  CHECK(tmpfs->spec.options == "size=1m,mode=700");

  CHECK(error_of(parse_mount_flag("type=volume,source=db,target=/d,volume-opt=type=tmpfs")) ==
        "invalid --mount `type=volume,source=db,target=/d,volume-opt=type=tmpfs`: the local driver can't use "
        "option "
        "\"type\" without root: it mounts a file system on the host, and skiff's volumes are folders in its "
        "store "
        "(mount it yourself and bind it with -v HOST-PATH:PATH)");
  CHECK(error_of(parse_mount_flag("type=volume,target=/d,volume-opt=color=red")) ==
        "invalid --mount `type=volume,target=/d,volume-opt=color=red`: invalid option key: \"color\"");
  CHECK(error_of(parse_mount_flag("type=volume,target=/d,volume-driver=nfs"))
            .find("skiff has only the local driver") != std::string::npos);
  CHECK(error_of(parse_mount_flag("type=bind,source=/,target=/x,volume-nocopy")) ==
        "invalid --mount `type=bind,source=/,target=/x,volume-nocopy`: volume options on a bind mount");
  CHECK(error_of(parse_mount_flag("type=volume,source=/abs,target=/x")).find("includes invalid characters") !=
        std::string::npos);
  CHECK(error_of(parse_mount_flag("type=volume,source=db")) ==
        "invalid --mount `type=volume,source=db`: target= is required");
  CHECK(error_of(parse_mount_flag("type=nfs,target=/x")) ==
        "invalid --mount `type=nfs,target=/x`: unknown type `nfs` (use bind, volume or tmpfs)");
  CHECK(error_of(parse_mount_flag("type=volume,target=/x,tmpfs-size=1m")) ==
        "invalid --mount `type=volume,target=/x,tmpfs-size=1m`: tmpfs options on a volume mount");
  CHECK(error_of(parse_mount_flag("type=volume,target=/x,colour=red")) ==
        "invalid --mount `type=volume,target=/x,colour=red`: unknown field `colour`");
}

TEST_CASE("--tmpfs DST[:OPTIONS]", "[options]") {
  auto t = parse_tmpfs_flag("/run:size=1m,exec,ro");
  REQUIRE_OK(t);
  CHECK(t->options == "size=1m");
  CHECK(t->exec);
  CHECK(t->read_only);
  CHECK_FALSE(parse_tmpfs_flag("/run:bogus").ok());
}

TEST_CASE("config_volumes reads back what a draft records", "[options]") {
  Json config = {{"volume_specs",
                  {{{"type", "bind"},
                    {"source", "/s/volumes/db/_data"},
                    {"destination", "/d"},
                    {"read_only", true},
                    {"volume", "db"},
                    {"anonymous", true},
                    {"copy_up", true}}}}};
  auto specs = config_volumes(config);
  REQUIRE(specs.size() == 1);
  CHECK(specs[0].volume == "db");
  CHECK(specs[0].anonymous);
  CHECK(specs[0].copy_up);
  CHECK(specs[0].read_only);
  CHECK(specs[0].source == "/s/volumes/db/_data");
}
