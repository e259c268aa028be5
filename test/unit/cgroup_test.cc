// ScopedCgroup on the real cgroup v2 file system: needs root (the folders
// are made at the top of the v2 hierarchy) and warns and passes without.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "base/fs.h"
#include "linux/cgroup.h"
#include "linux/child_process.h"
#include "test_support.h"

using namespace skiff;

namespace {

// A file's text, "" when it can't be read.
std::string text_of(const std::string& path) {
  auto text = read_file(path, 1 << 20);
  return text.ok() ? *text : "";
}

// A controller the v2 root offers, enabled for its children, and a file of
// it to write with a value the kernel takes back as written; empty when the
// root offers none skiff's tests can use (a hybrid host binds most to v1).
struct TestController {
  std::string name, file, value;
};

TestController usable_controller(const std::string& mount) {
  std::string offered = text_of(mount + "/cgroup.controllers");
  for (TestController c : {TestController{"pids", "pids.max", "5"}, {"memory", "memory.max", "67108864"},
                           {"hugetlb", "hugetlb.2MB.max", "0"}}) {
    if (offered.find(c.name) == std::string::npos) continue;
    UniqueFd root(::open((mount + "/cgroup.subtree_control").c_str(), O_WRONLY | O_CLOEXEC));
    std::string request = "+" + c.name;
    if (root && ::write(root.get(), request.data(), request.size()) == ssize_t(request.size())) return c;
  }
  return {};
}

}  // namespace

TEST_CASE("ScopedCgroup: the base's processes move to leaf, controllers enabled, files written, removed after",
          "[cgroup]") {
  CgroupFacts facts = read_cgroup_facts();
  if (::geteuid() != 0 || facts.v2_mount.empty()) {
    WARN("needs root and a cgroup v2 hierarchy");
    return;
  }
  std::string base = facts.v2_mount + "/skiff-unit-" + std::to_string(::getpid());
  REQUIRE(::mkdir(base.c_str(), 0755) == 0);
  // A process in the base, as the user's shell would be.
  auto sleeper = ChildProcess::fork([] {
    ::pause();
    return 0;
  });
  REQUIRE_OK(sleeper);
  {
    UniqueFd procs(::open((base + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    std::string pid = std::to_string(sleeper->pid());
    REQUIRE(::write(procs.get(), pid.data(), pid.size()) == ssize_t(pid.size()));
  }
  TestController controller = usable_controller(facts.v2_mount);
  CgroupSettings settings;
  if (!controller.name.empty()) {
    settings.controllers = {controller.name};
    settings.files = {{controller.file, controller.value}};
  } else {
    WARN("no cgroup v2 controller to enable here: only making and removing a cgroup is tested");
  }

  std::string path;
  {
    auto made = ScopedCgroup::make(base, "skiff-c1", settings);
    REQUIRE_OK(made);
    path = made->path();
    CHECK(path == base + "/skiff-c1");
    CHECK(made->fd() >= 0);
    CHECK(made->limited() == !settings.files.empty());
    struct stat st;
    CHECK(::stat(path.c_str(), &st) == 0);
    if (!controller.name.empty()) {
      // The sleeper had to leave the base for the controller to be enabled.
      CHECK(text_of(base + "/leaf/cgroup.procs") == std::to_string(sleeper->pid()) + "\n");
      CHECK(text_of(base + "/cgroup.procs").empty());
      CHECK(text_of(base + "/cgroup.subtree_control").find(controller.name) != std::string::npos);
      CHECK(text_of(path + "/" + controller.file) == controller.value + "\n");
      // A process moved to leaf makes its containers' cgroups in the base.
      CgroupFacts moved;
      moved.v2_mount = facts.v2_mount;
      moved.v2_dir = base + "/leaf";
      moved.v2_dir_exists = true;
      CHECK(cgroup_base(moved) == base);
    }
    // A cgroup of that name, still empty (a killed monitor's), is reused...
    auto again = ScopedCgroup::make(base, "skiff-c1", settings);
    REQUIRE_OK(again);
    // ...and the first to go removes it: the second finds nothing to remove.
    *again = ScopedCgroup();
    CHECK(::stat(path.c_str(), &st) != 0);
    *made = ScopedCgroup();
    made = ScopedCgroup::make(base, "skiff-c1", settings);
    REQUIRE_OK(made);

    // One with a process in it is not.
    UniqueFd procs(::open((path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    std::string pid = std::to_string(sleeper->pid());
    REQUIRE(::write(procs.get(), pid.data(), pid.size()) == ssize_t(pid.size()));
    auto busy = ScopedCgroup::make(base, "skiff-c1", settings);
    REQUIRE_FALSE(busy.ok());
    CHECK_THAT(busy.error().text(), Catch::Contains("still holds processes"));
    ::kill(sleeper->pid(), SIGKILL);
    (void)sleeper->wait();
    sleeper->release();
  }
  // Destroyed once its process ended: gone.
  struct stat st;
  CHECK(::stat(path.c_str(), &st) != 0);

  // A controller the base doesn't have is named.
  CgroupSettings impossible;
  impossible.controllers = {"no-such-controller"};
  auto refused = ScopedCgroup::make(base, "skiff-c2", impossible);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().text(), Catch::Contains("the no-such-controller controller is not delegated to cgroup"));

  ::rmdir((base + "/leaf").c_str());
  CHECK(::rmdir(base.c_str()) == 0);
}

TEST_CASE("cgroup_base: the process's own delegated cgroup, or the parent of its leaf", "[cgroup]") {
  CgroupFacts facts;
  CHECK(cgroup_base(facts).empty());  // no cgroup v2
  facts.v2_mount = "/nonexistent-v2";
  facts.v2_dir = "/nonexistent-v2/user/leaf";
  facts.v2_dir_exists = true;
  CHECK(cgroup_base(facts).empty());  // not writable: not delegated
  CHECK(container_cgroup_name("0123abc") == "skiff-0123abc");
}
