// The little of DNS a user-defined network's switch speaks itself: it reads
// a query's question and answers for the names of the containers on the
// network (net/network_switch.h); every other query goes on to libslirp,
// which forwards it to the host's resolvers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace skiff {

struct DnsQuestion {
  std::string name;  ///< lower case, without the final dot
  uint16_t type = 0;
  uint16_t klass = 0;
  size_t end = 0;  ///< where the question ends in the message
};

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypeAny = 255;

/// The question of a standard query with exactly one; nullopt for anything
/// else (a response, another opcode, a compressed or truncated name).
std::optional<DnsQuestion> parse_dns_query(std::span<const uint8_t> message);

/// The authoritative answer to `query` (whose question is `question`):
/// one A record per address (at most 20), with `ttl`, when the question asks for A (or
/// ANY) in class IN; no record otherwise ("this name has no such data"),
/// which tells a resolver asking for AAAA to use the A answer.
std::vector<uint8_t> dns_answer(std::span<const uint8_t> query, const DnsQuestion& question,
                                const std::vector<uint32_t>& addresses, uint32_t ttl);

}  // namespace skiff
