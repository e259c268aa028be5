#include "net/network_switch.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstring>

#include "net/dns_message.h"

namespace skiff {

namespace {

// The largest frame: the MTU plus an ethernet header (with a VLAN tag).
constexpr size_t kFrameRoom = 65536 + 18;
// Frames taken from one tap per round before the others get a turn.
constexpr int kFramesPerRound = 64;
// How long a resolver may keep a container's address: it changes when the
// container restarts.
constexpr uint32_t kNameTtl = 10;

constexpr size_t kEthernet = 14;

uint64_t mac_at(const uint8_t* p) {
  uint64_t mac = 0;
  for (int i = 0; i < 6; ++i) mac = mac << 8 | p[i];
  return mac;
}

uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return uint32_t(get16(p)) << 16 | get16(p + 2); }
void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

uint16_t ipv4_checksum(const uint8_t* header, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += get16(header + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

}  // namespace

NetworkSwitch::NetworkSwitch(SlirpSubnet subnet, SlirpOptions options, std::function<void(const std::string&)> warn)
    : subnet_(subnet), frame_(new char[kFrameRoom]) {
  stack_ = std::make_unique<SlirpNetwork>(
      [this](const void* frame, size_t len) { deliver(static_cast<const uint8_t*>(frame), len, kStack); }, options,
      subnet, std::move(warn));
}

int NetworkSwitch::add(SwitchPort port) {
  int key = next_key_++;
  macs_[mac_at(port.mac.data())] = key;
  ports_.emplace(key, std::move(port));
  return key;
}

void NetworkSwitch::remove(int key) {
  ports_.erase(key);
  std::erase_if(macs_, [&](const auto& entry) { return entry.second == key; });
}

std::vector<uint32_t> NetworkSwitch::resolve(const std::string& name, int from) const {
  std::string wanted = name;
  if (auto self = ports_.find(from); self != ports_.end())
    if (auto link = self->second.links.find(name); link != self->second.links.end()) wanted = link->second;
  std::vector<uint32_t> found;
  for (const auto& [key, port] : ports_)
    for (const auto& n : port.names)
      if (n == wanted) {
        found.push_back(port.address);
        break;
      }
  return found;
}

void NetworkSwitch::add_to(PollSet& set) {
  poll_index_.clear();
  for (const auto& [key, port] : ports_)
    if (port.tap) poll_index_[key] = set.add(port.tap.get(), POLLIN);
  stack_->add_to(set);
}

void NetworkSwitch::handle(const PollSet& set) {
  for (auto [key, index] : poll_index_) {
    auto it = ports_.find(key);
    if (it == ports_.end()) continue;
    short revents = set.revents(index);
    if (revents & POLLIN) {
      read_port(key);
    } else if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
      // The container's namespace is gone; its names stay until its
      // monitor leaves.
      it->second.tap.reset();
    }
  }
  stack_->handle(set);
}

void NetworkSwitch::read_port(int key) {
  int fd = ports_.at(key).tap.get();
  auto* frame = reinterpret_cast<uint8_t*>(frame_.get());
  for (int i = 0; i < kFramesPerRound; ++i) {
    ssize_t n = ::read(fd, frame, kFrameRoom);
    if (n <= 0) return;  // EAGAIN: the queue is empty
    if (!answer_dns(frame, size_t(n), key)) deliver(frame, size_t(n), key);
  }
}

void NetworkSwitch::deliver(const uint8_t* frame, size_t len, int from) {
  if (len < kEthernet) return;
  uint64_t source = mac_at(frame + 6);
  if (from == kStack) {
    // The stack's MAC is learnt (libslirp has one of its own), never a port's.
    if (!(frame[6] & 1) && !macs_.contains(source)) macs_[source] = kStack;
  } else if (!genuine(frame, len, ports_.at(from))) {
    return;
  }
  if (!(frame[0] & 1)) {
    if (auto it = macs_.find(mac_at(frame)); it != macs_.end()) {
      if (it->second != from) send_to(it->second, frame, len);
      return;
    }
  }
  // Broadcast, multicast, or a MAC not seen yet: everyone else.
  for (const auto& [key, port] : ports_)
    if (key != from) send_to(key, frame, len);
  if (from != kStack) send_to(kStack, frame, len);
}

void NetworkSwitch::send_to(int key, const uint8_t* frame, size_t len) {
  if (key == kStack) return stack_->input(frame, len);
  auto it = ports_.find(key);
  // A full queue drops the frame, as a busy link would.
  if (it != ports_.end() && it->second.tap) (void)!::write(it->second.tap.get(), frame, len);
}

bool NetworkSwitch::genuine(const uint8_t* frame, size_t len, const SwitchPort& port) {
  if (mac_at(frame + 6) != mac_at(port.mac.data())) return false;
  // Nor another's address: as the sender of an ARP message, or the source
  // of an IPv4 packet (0.0.0.0 only from a DHCP client, which has none).
  uint16_t type = get16(frame + 12);
  if (type == 0x0806) return len >= kEthernet + 28 && get32(frame + kEthernet + 14) == port.address;
  if (type == 0x0800) {
    if (len < kEthernet + 20) return false;
    uint32_t source = get32(frame + kEthernet + 12);
    return source == port.address || source == 0;
  }
  return true;
}

bool NetworkSwitch::answer_dns(const uint8_t* frame, size_t len, int from) {
  // Ethernet, IPv4 unfragmented, UDP to the resolver's port 53.
  if (len < kEthernet + 20 + 8 || get16(frame + 12) != 0x0800) return false;
  const uint8_t* ip = frame + kEthernet;
  size_t ihl = size_t(ip[0] & 0xf) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 17 || (get16(ip + 6) & 0x3fff) != 0) return false;
  if (get32(ip + 16) != ntohl(subnet_.dns.s_addr)) return false;
  size_t ip_len = std::min<size_t>(get16(ip + 2), len - kEthernet);
  if (ip_len < ihl + 8) return false;
  const uint8_t* udp = ip + ihl;
  if (get16(udp + 2) != 53) return false;
  size_t udp_len = std::min<size_t>(get16(udp + 4), ip_len - ihl);
  if (udp_len < 8) return false;
  std::span<const uint8_t> query(udp + 8, udp_len - 8);
  auto question = parse_dns_query(query);
  if (!question) return false;
  std::vector<uint32_t> addresses = resolve(question->name, from);
  if (addresses.empty()) return false;  // not a container's: the host's resolvers answer
  std::vector<uint8_t> answer = dns_answer(query, *question, addresses, kNameTtl);

  std::vector<uint8_t> reply(kEthernet + 20 + 8 + answer.size());
  uint8_t* out = reply.data();
  std::memcpy(out, frame + 6, 6);  // to the asker, from the MAC it asked
  std::memcpy(out + 6, frame, 6);
  put16(out + 12, 0x0800);
  uint8_t* rip = out + kEthernet;
  rip[0] = 0x45;
  put16(rip + 2, uint16_t(20 + 8 + answer.size()));
  put16(rip + 6, 0x4000);  // don't fragment
  rip[8] = 64;
  rip[9] = 17;
  std::memcpy(rip + 12, ip + 16, 4);
  std::memcpy(rip + 16, ip + 12, 4);
  put16(rip + 10, ipv4_checksum(rip, 20));
  uint8_t* rudp = rip + 20;
  put16(rudp, 53);
  std::memcpy(rudp + 2, udp, 2);
  put16(rudp + 4, uint16_t(8 + answer.size()));  // no checksum: optional over IPv4
  std::memcpy(rudp + 8, answer.data(), answer.size());
  send_to(from, reply.data(), reply.size());
  return true;
}

}  // namespace skiff
