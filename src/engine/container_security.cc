#include "engine/container_security.h"

#include <seccomp.h>
#include <sys/utsname.h>

#include <cstring>

#include "base/fs.h"
#include "base/sha256.h"
#include "linux/seccomp_profile.h"

namespace skiff {

namespace {

// The program depends only on the profile, the capabilities, the kernel and
// libseccomp, so it is kept under a hash of those and compiled once per boot.
Result<std::vector<sock_filter>> compile_seccomp_cached(const Store& store, const SeccompProfile& profile,
                                                        const CapabilitySet& caps) {
  struct utsname uts;
  ::uname(&uts);
  const scmp_version* lib = seccomp_version();
  Sha256 key;
  key.update(to_compact_json(profile.json));
  for (const auto& c : caps.names) key.update(c + ",");
  key.update(fmt::format("|{}|{}|{}|{}.{}.{}", uts.release, uts.version, uts.machine, lib->major, lib->minor,
                         lib->micro));
  std::string path = store.runroot() + "/seccomp-" + key.hex_digest().substr(0, 32) + ".bpf";
  if (auto cached = read_file(path, 1 << 20);
      cached.ok() && !cached->empty() && cached->size() % sizeof(sock_filter) == 0) {
    std::vector<sock_filter> program(cached->size() / sizeof(sock_filter));
    std::memcpy(program.data(), cached->data(), cached->size());
    return program;
  }
  std::vector<sock_filter> program = TRY(compile_seccomp(profile, caps.names));
  if (!program.empty())
    (void)write_file_quickly(path, std::string_view(reinterpret_cast<const char*>(program.data()),
                                                    program.size() * sizeof(sock_filter)));
  return program;
}

Result<std::vector<sock_filter>> seccomp_program(const Store& store, const Json& setting,
                                                 const CapabilitySet& caps) {
  if (setting.is_string() && setting.get<std::string>() == "unconfined") return std::vector<sock_filter>{};
  if (setting.is_object()) return compile_seccomp_cached(store, TRY(parse_seccomp_profile(setting)), caps);
  return compile_seccomp_cached(store, default_seccomp_profile(), caps);
}

}  // namespace

Result<ContainerSecurity> container_security(const Store& store, const Container& c) {
  const Json& host = c.config["HostConfig"];
  ContainerSecurity out;
  out.capabilities = TRY(resolve_capabilities(json_strings(host["CapAdd"]), json_strings(host["CapDrop"]),
                                              host.value("Privileged", false)));
  out.seccomp = TRY(std::move(seccomp_program(store, c.config["seccomp"], out.capabilities))
                        .wrap("compile the seccomp profile"));
  out.no_new_privileges = c.config.value("no_new_privileges", false);
  return out;
}

}  // namespace skiff
