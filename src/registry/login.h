// skiff login / logout: credentials checked against the registry, then kept
// in podman's auth file (registry/auth_store.h) for pull, search and push.
#pragma once

#include <string>

#include "base/error.h"
#include "registry/auth_store.h"

namespace skiff {

/// The auth-file key and the registry domain a `login`/`logout` argument
/// names: "" is docker.io, "https://index.docker.io/v1/" is docker.io,
/// "quay.io/team" keys credentials for that namespace of quay.io. An
/// argument that names no registry is an Error.
struct LoginTarget {
  std::string key;     ///< "docker.io", "quay.io/team"
  std::string domain;  ///< "docker.io", "quay.io"
};
Result<LoginTarget> login_target(std::string_view registry);

struct LoginOptions {
  LoginTarget target;
  Credentials credentials;
  std::string auth_file;  ///< "" for default_auth_file()
  bool verify_tls = true;
};

/// Asks the registry's /v2/ whether it accepts the credentials, then stores
/// them. Errors read "log in to `HOST`: wrong username or password" (or the
/// transport's failure); nothing is stored then.
Status log_in(const LoginOptions& options);

/// The user name stored for the target (--get-login), from `auth_file` or
/// else every file credentials are read from; "not logged into" otherwise.
Result<std::string> logged_in_user(const LoginTarget& target, const std::string& auth_file);

/// Removes the target's entry from `auth_file` (or default_auth_file()).
/// When it has none: "not logged into `HOST`", naming the file that does
/// hold credentials for it (docker's, say), which skiff leaves alone.
Status log_out(const LoginTarget& target, const std::string& auth_file);

}  // namespace skiff
