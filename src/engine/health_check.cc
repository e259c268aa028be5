#include "engine/health_check.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/image_store.h"
#include "linux/child_process.h"

namespace skiff {

namespace {

// docker keeps the last five probes and 4 KiB of each one's output.
constexpr size_t kLogEntries = 5;
constexpr size_t kOutputLimit = 4096;

// Go's Duration.String for whole milliseconds: "500ms", "30s", "1m30s", "1h0m0s".
std::string go_duration_text(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms < 1000) return fmt::format("{}ms", ms);
  std::string seconds = fmt::format("{}", (ms % 60000) / 1000);
  if (ms % 1000) {
    std::string fraction = fmt::format("{:03d}", ms % 1000);
    fraction.erase(fraction.find_last_not_of('0') + 1);
    seconds += "." + fraction;
  }
  int64_t minutes = ms / 60000;
  if (minutes == 0) return seconds + "s";
  if (minutes < 60) return fmt::format("{}m{}s", minutes, seconds);
  return fmt::format("{}h{}m{}s", minutes / 60, minutes % 60, seconds);
}

}  // namespace

void HealthMonitor::run_started(Json& state, Clock::time_point now) {
  probe_.reset();
  run_start_ = now;
  next_probe_ = now + config_.interval;
  Json log = state.contains("Health") && state["Health"].is_object() && state["Health"].contains("Log")
                 ? state["Health"]["Log"]
                 : Json::array();
  state["Health"] = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", log}};
}

void HealthMonitor::run_ended() {
  probe_.reset();  // ExecProcess's ChildProcess kills and reaps it
  next_probe_.reset();
}

std::vector<int> HealthMonitor::fds() const {
  std::vector<int> out;
  if (!probe_) return out;
  for (const UniqueFd* fd : {&probe_->pidfd, &probe_->output[0], &probe_->output[1]})
    if (fd->valid()) out.push_back(fd->get());
  return out;
}

std::optional<HealthMonitor::Clock::time_point> HealthMonitor::deadline() const {
  if (probe_) return probe_deadline_;
  return next_probe_;
}

void HealthMonitor::read_output() {
  for (UniqueFd& fd : probe_->output) {
    while (fd.valid()) {
      char buf[4096];
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        fd.reset();
        break;
      }
      // Past the limit the rest is read and dropped: the probe never blocks on us.
      output_.append(buf, std::min(size_t(n), kOutputLimit - std::min(kOutputLimit, output_.size())));
    }
  }
}

bool HealthMonitor::step(const Store& store, const Container& c, Json& state, Clock::time_point now) {
  if (!probe_) {
    if (!next_probe_ || now < *next_probe_) return false;
    ExecOptions options;
    options.command = config_.argv;
    options.capture_output = true;
    probe_started_at_ = now_rfc3339();
    auto started = start_exec(store, c, options);
    if (!started.ok()) {
      // Not found, not executable, no such user: a failed probe, as docker's.
      record(state, started.error().exit_code() == kExitSkiffFailed ? -1 : started.error().exit_code(),
             started.error().text(), now);
      return true;
    }
    probe_ = std::move(*started);
    for (UniqueFd& fd : probe_->output) ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
    output_.clear();
    probe_deadline_ = now + config_.timeout;
    return false;
  }
  read_output();
  pollfd ended{probe_->pidfd.get(), POLLIN, 0};
  if (::poll(&ended, 1, 0) == 1) {
    auto status = probe_->process.wait();
    int code = status.ok() ? wait_status_exit_code(*status) : -1;
    read_output();  // what it wrote last, before its end
    probe_.reset();
    record(state, code, std::move(output_), now);
    return true;
  }
  if (now >= probe_deadline_) {
    probe_.reset();
    record(state, -1, fmt::format("Health check exceeded timeout ({})", go_duration_text(config_.timeout)), now);
    return true;
  }
  return false;
}

void HealthMonitor::record(Json& state, int exit_code, std::string output, Clock::time_point now) {
  Json& health = state["Health"];
  if (!health.is_object()) health = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
  Json& log = health["Log"];
  if (!log.is_array()) log = Json::array();
  log.push_back({{"Start", probe_started_at_}, {"End", now_rfc3339()}, {"ExitCode", exit_code}, {"Output", output}});
  while (log.size() > kLogEntries) log.erase(log.begin());
  if (exit_code == 0) {
    health["Status"] = "healthy";
    health["FailingStreak"] = 0;
  } else if (health.value("Status", "") == "starting" && now - run_start_ < config_.start_period) {
    // docker: failures in the start period don't count until a probe passed.
  } else {
    int streak = health.value("FailingStreak", 0) + 1;
    health["FailingStreak"] = streak;
    if (streak >= config_.retries) health["Status"] = "unhealthy";
  }
  // The next probe is an interval after this one ended, as docker's.
  next_probe_ = now + config_.interval;
}

}  // namespace skiff
