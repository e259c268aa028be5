// skiff login [-u USER] [-p PASS | --password-stdin] [--authfile F] [--tls-verify=false] [--get-login]
// [REGISTRY] skiff logout [--authfile F] [-a] [REGISTRY]
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/output.h"
#include "cli/command.h"
#include "registry/login.h"

namespace skiff::cli {

namespace {

struct LoginFlags {
  std::string registry, username, password, auth_file;
  bool password_stdin = false, get_login = false, verify_tls = true;
};

// Turns the terminal's echo off while it lives (for a password).
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~tcflag_t(ECHO);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// One line from the terminal, after `prompt`; echo off for a secret.
std::string ask(const std::string& prompt, bool secret) {
  print_out(prompt);
  std::fflush(stdout);
  std::string line;
  if (secret) {
    EchoOff quiet;
    std::getline(std::cin, line);
    print_out("\n");
  } else {
    std::getline(std::cin, line);
  }
  if (line.ends_with('\r')) line.pop_back();
  return line;
}

// All of stdin, less one trailing newline (as docker's --password-stdin).
std::string read_stdin_password() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (text.ends_with('\n')) text.pop_back();
  if (text.ends_with('\r')) text.pop_back();
  return text;
}

Result<int> login(const LoginFlags& flags) {
  LoginTarget target = TRY(login_target(flags.registry));
  if (flags.get_login) {
    print_out(TRY(logged_in_user(target, flags.auth_file)) + "\n");
    return 0;
  }
  LoginOptions options{.target = target,
                       .credentials = {flags.username, flags.password},
                       .auth_file = flags.auth_file,
                       .verify_tls = flags.verify_tls};
  Credentials& credentials = options.credentials;
  if (flags.password_stdin) {
    if (!flags.password.empty()) return make_error("--password and --password-stdin are mutually exclusive");
    if (credentials.username.empty()) return make_error("--password-stdin needs --username");
    credentials.password = read_stdin_password();
  }
  bool terminal = is_terminal(STDIN_FILENO);
  if (credentials.username.empty()) {
    if (!terminal)
      return make_error("log in to `{}`: no username: give -u (stdin is not a terminal to ask on)",
                        target.domain);
    auto known = logged_in_user(target, flags.auth_file);
    std::string fallback = known.ok() ? *known : "";
    credentials.username = ask(fallback.empty() ? "Username: " : "Username (" + fallback + "): ", false);
    if (credentials.username.empty()) credentials.username = fallback;
  }
  if (credentials.password.empty()) {
    if (!terminal)
      return make_error(
          "log in to `{}`: no password: give -p or --password-stdin (stdin is not a terminal to ask on)",
          target.domain);
    credentials.password = ask("Password: ", true);
  }
  TRY(log_in(options));
  print_out("Login Succeeded!\n");
  return 0;
}

struct LogoutFlags {
  std::string registry, auth_file;
  bool all = false;
};

Result<int> logout(const LogoutFlags& flags) {
  if (flags.all) {
    if (!flags.registry.empty()) return make_error("--all takes no registry");
    std::string file = flags.auth_file.empty() ? default_auth_file() : flags.auth_file;
    if (!file.empty()) TRY(std::move(remove_all_credentials(file)).wrap("log out"));
    print_out("Removed login credentials for all registries\n");
    return 0;
  }
  LoginTarget target = TRY(login_target(flags.registry));
  TRY(log_out(target, flags.auth_file));
  print_out("Removed login credentials for " + target.key + "\n");
  return 0;
}

void define_login(CLI::App* in, Context& ctx) {
  if (!ctx.wants(in)) return;
  auto in_flags = std::make_shared<LoginFlags>();
  in->add_option("registry", in_flags->registry, "The registry (default docker.io)");
  in->add_option("-u,--username", in_flags->username, "Username");
  in->add_option("-p,--password", in_flags->password,
                 "Password (visible to other users in the process list)");
  in->add_flag("--password-stdin", in_flags->password_stdin, "Read the password from stdin");
  in->add_option(
      "--authfile", in_flags->auth_file,
      "The credentials file (default $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)");
  in->add_flag("--tls-verify", in_flags->verify_tls,
               "Verify the registry's TLS certificate (--tls-verify=false also allows plain HTTP)");
  in->add_flag("--get-login", in_flags->get_login, "Print the username stored for the registry");
  in->callback([in_flags, &ctx] { ctx.action = [in_flags] { return login(*in_flags); }; });
}

void define_logout(CLI::App* out, Context& ctx) {
  if (!ctx.wants(out)) return;
  auto out_flags = std::make_shared<LogoutFlags>();
  out->add_option("registry", out_flags->registry, "The registry (default docker.io)");
  out->add_option(
      "--authfile", out_flags->auth_file,
      "The credentials file (default $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)");
  out->add_flag("-a,--all", out_flags->all, "Remove the credentials of every registry from the file");
  out->callback([out_flags, &ctx] { ctx.action = [out_flags] { return logout(*out_flags); }; });
}

}  // namespace

void add_login_commands(CLI::App& app, Context& ctx) {
  define_login(app.add_subcommand("login", "Log in to a registry"), ctx);
  define_logout(app.add_subcommand("logout", "Log out of a registry"), ctx);
}

}  // namespace skiff::cli
