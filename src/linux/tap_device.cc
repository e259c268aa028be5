#include "linux/tap_device.h"

// glibc's net/if.h before any linux/ header: the kernel's then leaves out
// its own copies of the same definitions.
#include <net/if.h>
#include <net/if_arp.h>

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

namespace skiff {

namespace {

// One rtnetlink request with its attributes, built in place.
struct NetlinkMessage {
  alignas(NLMSG_ALIGNTO) char buf[256] = {};
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf); }

  template <typename Body>
  Body* begin(uint16_t type, uint16_t flags) {
    nlmsghdr* h = header();
    h->nlmsg_len = NLMSG_LENGTH(sizeof(Body));
    h->nlmsg_type = type;
    h->nlmsg_flags = uint16_t(NLM_F_REQUEST | NLM_F_ACK | flags);
    return reinterpret_cast<Body*>(NLMSG_DATA(h));
  }
  void attribute(uint16_t type, const void* data, size_t size) {
    nlmsghdr* h = header();
    auto* attr = reinterpret_cast<rtattr*>(buf + NLMSG_ALIGN(h->nlmsg_len));
    attr->rta_type = type;
    attr->rta_len = uint16_t(RTA_LENGTH(size));
    std::memcpy(RTA_DATA(attr), data, size);
    h->nlmsg_len = uint32_t(NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(attr->rta_len));
  }
};

// Sends `message` to the kernel and reads its acknowledgement.
Status netlink_request(int sock, NetlinkMessage& message) {
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  nlmsghdr* h = message.header();
  if (::sendto(sock, h, h->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return errno_error("send a netlink request");
  alignas(NLMSG_ALIGNTO) char reply[1024];
  ssize_t n = ::recv(sock, reply, sizeof reply, 0);
  if (n < 0) return errno_error("read a netlink reply");
  auto* r = reinterpret_cast<nlmsghdr*>(reply);
  if (!NLMSG_OK(r, size_t(n)) || r->nlmsg_type != NLMSG_ERROR) return make_error("unexpected netlink reply");
  auto* err = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(r));
  if (err->error != 0) return Error(-err->error, "netlink");
  return {};
}

Status add_address(int sock, int index, int family, const void* address, size_t size, int prefix) {
  NetlinkMessage m;
  auto* ifa = m.begin<ifaddrmsg>(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifa->ifa_family = uint8_t(family);
  ifa->ifa_prefixlen = uint8_t(prefix);
  // Usable at once: nobody else is on this link to collide with.
  ifa->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = unsigned(index);
  m.attribute(IFA_LOCAL, address, size);
  m.attribute(IFA_ADDRESS, address, size);
  return netlink_request(sock, m);
}

Status add_default_route(int sock, int index, int family, const void* gateway, size_t size) {
  NetlinkMessage m;
  auto* rt = m.begin<rtmsg>(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rt->rtm_family = uint8_t(family);
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  m.attribute(RTA_GATEWAY, gateway, size);
  uint32_t oif = uint32_t(index);
  m.attribute(RTA_OIF, &oif, sizeof oif);
  return netlink_request(sock, m);
}

}  // namespace

Result<UniqueFd> open_tun_device() {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    int saved = errno;
    if (saved == EACCES || saved == EPERM)
      return Error(saved,
                   "open `/dev/net/tun` for the container's network (it must be readable and writable by "
                   "everyone, mode 0666, as distributions ship it; or use --network none or host)");
    if (saved == ENOENT || saved == ENODEV || saved == ENXIO)
      return Error(saved, "open `/dev/net/tun` for the container's network (load the `tun` module; or use "
                          "--network none or host)");
    return Error(saved, "open `/dev/net/tun`");
  }
  return fd;
}

Status configure_tap(int tun, const TapConfig& config) {
  struct ifreq ifr = {};
  std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", config.name.c_str());
  // Ethernet frames without the tun packet-info header: what libslirp reads and writes.
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (::ioctl(tun, TUNSETIFF, &ifr) != 0) return errno_error("create `{}`", config.name);
  // Persistent: closing the last fd then leaves the device to the namespace,
  // whose teardown removes it in the kernel's own time. Otherwise that fd's
  // close unregisters it synchronously, an RCU grace period and more: 20 ms
  // added to every `skiff run --rm`.
  if (::ioctl(tun, TUNSETPERSIST, 1) != 0) return errno_error("make `{}` persistent", config.name);

  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return errno_error("open a socket to set up `{}`", config.name);
  ifr = {};
  std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", config.name.c_str());
  ifr.ifr_mtu = config.mtu;
  if (::ioctl(sock.get(), SIOCSIFMTU, &ifr) != 0) return errno_error("set the MTU of `{}` to {}", config.name, config.mtu);
  if (config.mac) {
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    std::memcpy(ifr.ifr_hwaddr.sa_data, config.mac->data(), 6);
    if (::ioctl(sock.get(), SIOCSIFHWADDR, &ifr) != 0) return errno_error("set the MAC address of `{}`", config.name);
  }
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) return errno_error("read the flags of `{}`", config.name);
  ifr.ifr_flags |= IFF_UP;
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) return errno_error("bring up `{}`", config.name);
  int index = int(::if_nametoindex(config.name.c_str()));
  if (index == 0) return errno_error("find `{}`", config.name);

  UniqueFd nl(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!nl) return errno_error("open a netlink socket");
  TRY(std::move(add_address(nl.get(), index, AF_INET, &config.address, sizeof config.address, config.prefix))
          .wrap("add the address of `{}`", config.name));
  TRY(std::move(add_default_route(nl.get(), index, AF_INET, &config.gateway, sizeof config.gateway))
          .wrap("add the default route"));
  if (config.ipv6) {
    // A kernel booted without IPv6 (EAFNOSUPPORT), or with it disabled for
    // new interfaces (EACCES): the container then has IPv4 only.
    Status added = add_address(nl.get(), index, AF_INET6, &config.address6, sizeof config.address6, config.prefix6);
    int why = added.ok() ? 0 : added.error().errnum();
    if (!added.ok() && why != EAFNOSUPPORT && why != EOPNOTSUPP && why != EACCES)
      return std::move(added).error().wrap("add the IPv6 address of `{}`", config.name);
    if (added.ok())
      TRY(std::move(add_default_route(nl.get(), index, AF_INET6, &config.gateway6, sizeof config.gateway6))
              .wrap("add the IPv6 default route"));
  }
  return {};
}

std::optional<std::array<uint8_t, 6>> parse_mac_address(std::string_view text) {
  std::array<uint8_t, 6> mac{};
  if (text.size() != 17) return std::nullopt;
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != ':' && text[i * 3 - 1] != '-') return std::nullopt;
    unsigned value = 0;
    for (size_t k = 0; k < 2; ++k) {
      char c = text[i * 3 + k];
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (digit < 0) return std::nullopt;
      value = value * 16 + unsigned(digit);
    }
    mac[i] = uint8_t(value);
  }
  // A multicast address can't be an interface's.
  if (mac[0] & 1) return std::nullopt;
  return mac;
}

}  // namespace skiff
