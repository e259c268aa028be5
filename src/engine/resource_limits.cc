#include "engine/resource_limits.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "engine/info.h"

namespace skiff {

namespace {

constexpr int64_t kMinimumMemory = 6 * 1024 * 1024;  // dockerd's, for Linux

std::string join_flags(const std::vector<std::string>& flags) {
  std::string out;
  for (size_t i = 0; i < flags.size(); ++i)
    out += (i == 0 ? "" : i + 1 == flags.size() ? " and " : ", ") + flags[i];
  return out;
}

// A non-negative decimal ("1.5", "2", ".25") as an exact count of
// 10^-`decimals` units; nullopt when not one, or finer than that.
std::optional<int64_t> parse_fixed_point(std::string_view text, int decimals) {
  if (text.empty()) return std::nullopt;
  int64_t whole = 0, fraction = 0;
  int fraction_digits = 0;
  bool seen_point = false, seen_digit = false;
  for (char ch : text) {
    if (ch == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (ch < '0' || ch > '9') return std::nullopt;
    seen_digit = true;
    if (!seen_point) {
      if (whole > (INT64_MAX / 10 - 9) / 1000000000) return std::nullopt;
      whole = whole * 10 + (ch - '0');
    } else if (fraction_digits < decimals) {
      fraction = fraction * 10 + (ch - '0');
      ++fraction_digits;
    } else if (ch != '0') {
      return std::nullopt;
    }
  }
  if (!seen_digit) return std::nullopt;
  for (; fraction_digits < decimals; ++fraction_digits) fraction *= 10;
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  return whole * scale + fraction;
}

}  // namespace

Result<int64_t> parse_memory_size(std::string_view text) {
  auto invalid = [&] { return make_error("invalid size: '{}'", text); };
  // NUMBER [ ] [kmgtp] [i] [b], units of 1024, as docker's RAMInBytes.
  size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.'))
    ++end;
  std::string_view number = text.substr(0, end), unit = text.substr(end);
  if (number.empty() || !std::isdigit(static_cast<unsigned char>(number[0])) || number.back() == '.')
    return invalid();
  if (unit.starts_with(" ")) unit.remove_prefix(1);
  double multiplier = 1;
  if (!unit.empty()) {
    const std::string_view prefixes = "kmgtp";
    size_t power = prefixes.find(char(std::tolower(static_cast<unsigned char>(unit[0]))));
    if (power != std::string_view::npos) {
      multiplier = std::pow(1024.0, double(power + 1));
      unit.remove_prefix(1);
      if (!unit.empty() && (unit[0] == 'i' || unit[0] == 'I')) unit.remove_prefix(1);
    }
  }
  if (!unit.empty() && (unit[0] == 'b' || unit[0] == 'B')) unit.remove_prefix(1);
  if (!unit.empty()) return invalid();
  char* parsed_end = nullptr;
  std::string digits(number);
  double value = std::strtod(digits.c_str(), &parsed_end);
  if (*parsed_end != '\0') return invalid();
  double bytes = value * multiplier;
  if (bytes >= 9.2e18) return invalid();
  return int64_t(bytes);
}

Result<ResourceLimits> parse_resource_limits(const ResourceLimitFlags& flags, long online_cpus) {
  ResourceLimits limits;
  if (!flags.memory.empty())
    limits.memory =
        TRY(std::move(parse_memory_size(flags.memory)).wrap("invalid --memory `{}`", flags.memory));
  if (flags.memory_swap == "-1")
    limits.memory_swap = -1;
  else if (!flags.memory_swap.empty())
    limits.memory_swap = TRY(std::move(parse_memory_size(flags.memory_swap))
                                 .wrap("invalid --memory-swap `{}`", flags.memory_swap));
  if (!flags.cpus.empty()) {
    auto nano = parse_fixed_point(flags.cpus, 9);
    if (!nano)
      return make_error("invalid --cpus `{}`: expected a number of CPUs like 1.5, at most nine decimals",
                        flags.cpus);
    limits.nano_cpus = *nano;
  }
  limits.cpu_shares = flags.cpu_shares;
  limits.pids_limit = flags.pids_limit;

  // dockerd's checks, in its words.
  if (limits.memory > 0 && limits.memory < kMinimumMemory)
    return make_error("Minimum memory limit allowed is 6MB");
  if (limits.memory == 0 && limits.memory_swap > 0)
    return make_error("You should always set the Memory limit when using Memoryswap limit, see usage");
  if (limits.memory > 0 && limits.memory_swap > 0 && limits.memory_swap < limits.memory)
    return make_error("Minimum memoryswap limit should be larger than memory limit, see usage");
  if (limits.nano_cpus > int64_t(online_cpus) * 1000000000)
    return make_error("Range of CPUs is from 0.01 to {}.00, as there are only {} CPUs available", online_cpus,
                      online_cpus);
  if (limits.cpu_shares < 0)
    return make_error("invalid --cpu-shares {}: it can't be negative", limits.cpu_shares);
  return limits;
}

std::vector<std::string> limits_to_enforce(const ResourceLimits& l) {
  std::vector<std::string> flags;
  if (l.memory > 0) flags.push_back("--memory");
  if (l.memory_swap != 0) flags.push_back("--memory-swap");
  if (l.nano_cpus > 0) flags.push_back("--cpus");
  if (l.cpu_shares > 0) flags.push_back("--cpu-shares");
  if (l.pids_limit > 0) flags.push_back("--pids-limit");
  return flags;
}

Status check_resource_limits(const ResourceLimits& limits, const CgroupFacts& cgroups, uid_t uid) {
  std::vector<std::string> wanted = limits_to_enforce(limits);
  if (wanted.empty()) return {};
  LimitSupport support = assess_limits(cgroups, uid);
  std::vector<std::string> refused;
  for (const auto& flag : wanted) {
    bool works = flag == "--memory" || flag == "--memory-swap" ? support.memory
                 : flag == "--pids-limit"                      ? support.pids
                                                               : support.cpus;
    if (!works) refused.push_back(flag);
  }
  std::string flags = join_flags(refused);
  if (refused.empty()) return {};
  // assess_limits says how to delegate for most causes; the rest get it here.
  bool says_how = support.warning.find("Delegate=") != std::string::npos;
  return make_error("{} can't be enforced on this host: {}{}{}", flags, support.warning,
                    says_how ? "" : "; limits need a cgroup v2 subtree delegated to the user: ",
                    says_how ? "" : kCgroupDelegationHow);
}

void record_resource_limits(Json& host, const ResourceLimits& l) {
  host["Memory"] = l.memory;
  host["MemorySwap"] = l.memory > 0 && l.memory_swap == 0 ? l.memory * 2 : l.memory_swap;
  host["NanoCpus"] = l.nano_cpus;
  host["CpuShares"] = l.cpu_shares;
  host["PidsLimit"] = l.pids_limit == 0 ? Json() : Json(l.pids_limit);
}

ResourceLimits recorded_resource_limits(const Json& host) {
  auto number = [&](const char* key) {
    auto it = host.find(key);
    return it != host.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t(0);
  };
  ResourceLimits l;
  l.memory = number("Memory");
  l.memory_swap = number("MemorySwap");
  l.nano_cpus = number("NanoCpus");
  l.cpu_shares = number("CpuShares");
  l.pids_limit = number("PidsLimit");
  return l;
}

CgroupSettings cgroup_settings(const ResourceLimits& l) {
  CgroupSettings s;
  auto use = [&](const char* controller) {
    if (std::find(s.controllers.begin(), s.controllers.end(), controller) == s.controllers.end())
      s.controllers.push_back(controller);
  };
  if (l.memory > 0) {
    use("memory");
    s.files.push_back({"memory.max", std::to_string(l.memory)});
    // docker's MemorySwap is memory plus swap; cgroup v2 counts swap alone.
    if (l.memory_swap == -1)
      s.files.push_back({"memory.swap.max", "max"});
    else if (l.memory_swap > l.memory)
      s.files.push_back({"memory.swap.max", std::to_string(l.memory_swap - l.memory)});
  }
  if (l.nano_cpus > 0) {
    use("cpu");
    // A quota per 100 ms period; the kernel's least is 1 ms (--cpus 0.01).
    s.files.push_back({"cpu.max", fmt::format("{} 100000", std::max<int64_t>(1000, l.nano_cpus / 10000))});
  }
  if (l.cpu_shares > 0) {
    use("cpu");
    // cgroup v1 shares (2..262144, 1024 the default) onto v2 weights
    // (1..10000, 100 the default), as crun and runc map them.
    int64_t shares = std::clamp<int64_t>(l.cpu_shares, 2, 262144);
    s.files.push_back({"cpu.weight", std::to_string(1 + ((shares - 2) * 9999) / 262142)});
  }
  if (l.pids_limit > 0) {
    use("pids");
    s.files.push_back({"pids.max", std::to_string(l.pids_limit)});
  }
  return s;
}

Result<ScopedCgroup> make_container_cgroup(const std::string& name, const ResourceLimits& limits) {
  CgroupFacts facts = read_cgroup_facts();
  std::string base = cgroup_base(facts);
  CgroupSettings settings = cgroup_settings(limits);
  if (settings.files.empty()) {
    if (base.empty()) return ScopedCgroup();
    auto made = ScopedCgroup::make(base, name, settings);
    return made.ok() ? std::move(*made) : ScopedCgroup();
  }
  TRY(check_resource_limits(limits, facts, ::geteuid()));
  if (base.empty())
    return make_error("{} can't be enforced: this process's cgroup `{}` is not delegated to uid {}; {}",
                      join_flags(limits_to_enforce(limits)), facts.v2_dir, ::geteuid(), kCgroupDelegationHow);
  return std::move(ScopedCgroup::make(base, name, settings)).wrap("apply the container's limits");
}

}  // namespace skiff
