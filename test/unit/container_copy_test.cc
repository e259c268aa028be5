// skiff cp's pure half: how an argument names a side, and docker's rules for
// where a copy goes.
#include <catch2/catch.hpp>

#include "engine/container_copy.h"
#include "test_support.h"

using namespace skiff;

namespace {

CopyEndpoint endpoint(const std::string& argument) { return parse_copy_endpoint(argument); }

bool same(const CopyEndpoint& a, const CopyEndpoint& b) {
  return a.container == b.container && a.path == b.path;
}

CopyPlan plan(const CopySource& source, const CopyTarget& target) {
  auto p = plan_copy(source, target);
  REQUIRE_OK(p);
  return *p;
}

std::string refusal(const CopySource& source, const CopyTarget& target) {
  auto p = plan_copy(source, target);
  REQUIRE_FALSE(p.ok());
  return p.error().text();
}

const CopySource kFile{"f.txt", false, false};
const CopySource kFolder{"dir", true, false};
const CopySource kContents{"dir", true, true};
const CopyTarget kMissing{false, false, false, "new"};
const CopyTarget kMissingSlash{false, false, true, "new"};
const CopyTarget kExistingFile{true, false, false, "old.txt"};
const CopyTarget kExistingFileSlash{true, false, true, "old.txt"};
const CopyTarget kExistingFolder{true, true, false, "dest"};

}  // namespace

TEST_CASE("a copy argument names a container by NAME:PATH, unless it starts with / or .", "[cp]") {
  CHECK(same(endpoint("web:/etc/hosts"), {"web", "/etc/hosts"}));
  CHECK(same(endpoint("web:etc"), {"web", "etc"}));
  CHECK(same(endpoint("web:"), {"web", ""}));
  CHECK(same(endpoint("web:/a:b"), {"web", "/a:b"}));
  CHECK(same(endpoint("/tmp/a:b"), {"", "/tmp/a:b"}));
  CHECK(same(endpoint("./a:b"), {"", "./a:b"}));
  CHECK(same(endpoint("file"), {"", "file"}));
  CHECK(same(endpoint("-"), {"", "-"}));
}

TEST_CASE("a file is copied into a folder, over a file, or to a new name", "[cp]") {
  CopyPlan p = plan(kFile, kExistingFolder);
  CHECK_FALSE(p.into_parent);
  CHECK(p.as_name == "f.txt");
  p = plan(kFile, kExistingFile);
  CHECK(p.into_parent);
  CHECK(p.as_name == "old.txt");
  p = plan(kFile, kMissing);
  CHECK(p.into_parent);
  CHECK(p.as_name == "new");
}

TEST_CASE("a file to a missing folder or a file named with a slash is refused", "[cp]") {
  CHECK(refusal(kFile, kMissingSlash).find("does not exist") != std::string::npos);
  CHECK(refusal(kFile, kExistingFileSlash).find("not a directory") != std::string::npos);
}

TEST_CASE("a folder goes into a folder, its contents with /., or becomes a new one", "[cp]") {
  CopyPlan p = plan(kFolder, kExistingFolder);
  CHECK_FALSE(p.into_parent);
  CHECK(p.as_name == "dir");
  p = plan(kContents, kExistingFolder);
  CHECK_FALSE(p.into_parent);
  CHECK(p.as_name == "");
  for (const CopySource& source : {kFolder, kContents}) {
    for (const CopyTarget& target : {kMissing, kMissingSlash}) {
      p = plan(source, target);
      CHECK(p.into_parent);
      CHECK(p.as_name == "new");
    }
  }
}

TEST_CASE("a folder over a file is refused", "[cp]") {
  CHECK(refusal(kFolder, kExistingFile) == "cannot copy a directory to a file");
  CHECK(refusal(kContents, kExistingFile) == "cannot copy a directory to a file");
}
