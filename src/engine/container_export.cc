#include "engine/container_export.h"

#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/output.h"
#include "engine/container_rootfs.h"
#include "image/layer_tar.h"
#include "linux/probe.h"
#include "linux/root_view.h"
#include "linux/userns.h"

namespace skiff {

namespace {

// Writes the archive to a descriptor; unlike FdSink, a reader that went
// away (EPIPE) is an error: the archive did not arrive.
class OutputSink : public ByteSink {
 public:
  explicit OutputSink(int fd) : fd_(fd) {}
  Status write(std::span<const uint8_t> data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("write the archive");
      data = data.subspan(size_t(n));
    }
    return {};
  }
  Status finish() override { return {}; }

 private:
  int fd_;
};

Result<RootViewSpec> root_view_of(const Store& store, const Container& c) {
  RootfsSpec rootfs = TRY(container_rootfs(store, c));
  RootViewSpec view;
  view.driver = rootfs.driver;
  if (view.driver != RootfsDriver::kVfs) view.layers.push_back(rootfs.upper_dir);
  view.layers.insert(view.layers.end(), rootfs.lower_dirs.begin(), rootfs.lower_dirs.end());
  view.mountpoint = c.dir + "/merged";
  view.copy = c.dir + "/rootfs";
  view.scratch = c.dir + "/.export-" + random_hex(12);
  if (view.driver == RootfsDriver::kFuseOverlayfs) view.fuse_overlayfs = find_program("fuse-overlayfs");
  return view;
}

}  // namespace

Status export_container(const Store& store, const Container& c, ByteSink& out) {
  RootViewSpec view = TRY(root_view_of(store, c));
  auto values = stream_from_user_namespace(
      current_id_mapping(),
      [&](int out_fd, SyncSocket& sock) -> Status {
        // Child: root of the containers' user namespace, where the files'
        // owners are mapped; the view is mounted in namespaces of its own.
        return with_root_view(view, sock, [&](int root_fd) { return write_tree_tar_at(root_fd, {}, out_fd); });
      },
      [&](std::span<const uint8_t> data) { return out.write(data); });
  if (!values.ok()) return std::move(values).error();
  return out.finish();
}

Status export_container_to(const Store& store, const ExportOptions& options) {
  bool to_stdout = options.output.empty() || options.output == "-";
  if (to_stdout && is_terminal(STDOUT_FILENO))
    return make_error("refusing to write the archive to a terminal: use -o or redirect stdout");
  Container c = TRY(find_container(store, options.container));
  if (to_stdout) {
    OutputSink out(STDOUT_FILENO);
    return export_container(store, c, out);
  }
  // Complete or not there at all: a temporary name in the same folder,
  // renamed when the archive is whole.
  AtomicFile file = TRY(std::move(AtomicFile::create(options.output, 0666)).wrap("write `{}`", options.output));
  OutputSink out(file.fd());
  TRY(export_container(store, c, out));
  return std::move(file.commit()).wrap("write `{}`", options.output);
}

}  // namespace skiff
