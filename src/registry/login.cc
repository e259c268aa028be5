#include "registry/login.h"

#include "registry/registry_client.h"

namespace skiff {

namespace {

std::string file_or_default(const std::string& auth_file) {
  return auth_file.empty() ? default_auth_file() : auth_file;
}

// The repository path of a namespaced key ("quay.io/team" -> "team").
std::string_view key_path(const LoginTarget& target) {
  std::string_view key = target.key;
  return key.size() > target.domain.size() ? key.substr(target.domain.size() + 1) : "";
}

}  // namespace

Result<LoginTarget> login_target(std::string_view registry) {
  std::string key = normalize_auth_key(registry.empty() ? "docker.io" : registry);
  std::string domain = key.substr(0, key.find('/'));
  bool valid =
      !domain.empty() &&
      domain.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]_") ==
          std::string::npos;
  if (!valid) return make_error("`{}` is not a registry name", registry);
  return LoginTarget{std::move(key), std::move(domain)};
}

Status log_in(const LoginOptions& options) {
  const LoginTarget& target = options.target;
  const Credentials& credentials = options.credentials;
  if (credentials.username.empty()) return make_error("log in to `{}`: the username is empty", target.domain);
  // Basic authentication joins them with ':'; the password may hold one.
  if (credentials.username.find(':') != std::string::npos)
    return make_error("log in to `{}`: a username may not contain `:`", target.domain);
  if (credentials.password.empty()) return make_error("log in to `{}`: the password is empty", target.domain);
  std::string file = file_or_default(options.auth_file);
  if (file.empty())
    return make_error(
        "log in to `{}`: no place to keep credentials: set XDG_RUNTIME_DIR or HOME, or give --authfile",
        target.domain);
  RegistryClient client(target.domain, options.verify_tls, credentials);
  TRY(std::move(client.check_login()).wrap("log in to `{}`", target.domain));
  return std::move(store_credentials(file, target.key, credentials)).wrap("log in to `{}`", target.domain);
}

Result<std::string> logged_in_user(const LoginTarget& target, const std::string& auth_file) {
  auto stored = TRY(find_credentials(target.domain, key_path(target), auth_file));
  if (!stored) return make_error("not logged into `{}`", target.key);
  return stored->credentials.username;
}

Status log_out(const LoginTarget& target, const std::string& auth_file) {
  std::string file = file_or_default(auth_file);
  if (!file.empty() &&
      TRY(std::move(remove_credentials(file, target.key)).wrap("log out of `{}`", target.key)))
    return {};
  auto elsewhere = TRY(find_credentials(target.domain, key_path(target)));
  if (elsewhere && elsewhere->file != file)
    return make_error(
        "not logged into `{}` with skiff (`{}` holds credentials for it, which skiff leaves alone)",
        target.key, elsewhere->file);
  return make_error("not logged into `{}`", target.key);
}

}  // namespace skiff
