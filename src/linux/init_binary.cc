#include "linux/init_binary.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

// Defined by the .S that src/init/embed.py generates around the init binary.
extern "C" {
extern const unsigned char skiff_init_binary_start[];
extern const unsigned char skiff_init_binary_end[];
}

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3; older C libraries lack the name
#endif

namespace skiff {

std::span<const unsigned char> init_binary_bytes() {
  return {skiff_init_binary_start, skiff_init_binary_end};
}

Result<UniqueFd> open_init_binary() {
  // MFD_EXEC: with vm.memfd_noexec=1 a memfd created without it is sealed
  // non-executable. Kernels before 6.3 don't know the flag (EINVAL), and
  // there every memfd is executable.
  constexpr unsigned kFlags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  UniqueFd fd(::memfd_create("skiff-init", kFlags | MFD_EXEC));
  if (!fd && errno == EINVAL) fd.reset(::memfd_create("skiff-init", kFlags));
  if (!fd) {
    if (errno == EACCES)
      return errno_error("create memfd for the container init (vm.memfd_noexec=2 forbids executable memfds)");
    return errno_error("create memfd for the container init");
  }

  std::span<const unsigned char> bytes = init_binary_bytes();
  while (!bytes.empty()) {
    ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write the container init into its memfd");
    bytes = bytes.subspan(size_t(n));
  }

  // Sealed, the file can never change again, not even through a descriptor
  // someone in the container reopens from /proc/PID/exe.
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
    return errno_error("seal the memfd of the container init");
  return fd;
}

}  // namespace skiff
