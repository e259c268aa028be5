#include "net/dns_message.h"

#include <algorithm>
#include <cctype>

namespace skiff {

namespace {

constexpr size_t kHeader = 12;

uint16_t get16(std::span<const uint8_t> m, size_t at) { return uint16_t(m[at] << 8 | m[at + 1]); }

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}

}  // namespace

std::optional<DnsQuestion> parse_dns_query(std::span<const uint8_t> m) {
  if (m.size() < kHeader) return std::nullopt;
  uint16_t flags = get16(m, 2);
  // QR = 0 (a query), opcode 0 (standard); one question, no answers.
  if ((flags & 0x8000) || ((flags >> 11) & 0xf) != 0) return std::nullopt;
  if (get16(m, 4) != 1 || get16(m, 6) != 0) return std::nullopt;
  DnsQuestion q;
  size_t at = kHeader;
  for (;;) {
    if (at >= m.size()) return std::nullopt;
    uint8_t len = m[at++];
    if (len == 0) break;
    if (len > 63 || at + len > m.size()) return std::nullopt;  // a pointer, or cut short
    if (!q.name.empty()) q.name += '.';
    for (size_t i = 0; i < len; ++i) q.name += char(std::tolower(m[at + i]));
    at += len;
    if (q.name.size() > 253) return std::nullopt;
  }
  if (at + 4 > m.size()) return std::nullopt;
  q.type = get16(m, at);
  q.klass = get16(m, at + 2);
  q.end = at + 4;
  return q;
}

std::vector<uint8_t> dns_answer(std::span<const uint8_t> query, const DnsQuestion& question,
                                const std::vector<uint32_t>& addresses, uint32_t ttl) {
  bool wants_a = question.klass == 1 && (question.type == kDnsTypeA || question.type == kDnsTypeAny);
  // At most 20 records (16 bytes each): with a name of up to 170 bytes the
  // answer stays within the 512 a resolver without EDNS takes over UDP.
  size_t count = wants_a ? std::min<size_t>(addresses.size(), 20) : 0;
  std::vector<uint8_t> out(query.begin(), query.begin() + question.end);
  // QR, AA and RA set; the opcode (0) and RD kept; no error.
  out[2] = uint8_t(0x80 | 0x04 | (query[2] & 0x01));
  out[3] = 0x80;
  out[6] = uint8_t(count >> 8);
  out[7] = uint8_t(count);
  for (int i = 8; i < 12; ++i) out[i] = 0;  // no authority or additional records (nor the query's EDNS)
  for (size_t i = 0; i < count; ++i) {
    put16(out, 0xc000 | kHeader);  // the name: the question's
    put16(out, kDnsTypeA);
    put16(out, 1);
    put16(out, uint16_t(ttl >> 16));
    put16(out, uint16_t(ttl));
    put16(out, 4);
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(addresses[i] >> shift));
  }
  return out;
}

}  // namespace skiff
