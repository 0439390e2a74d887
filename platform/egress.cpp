#include "platform/egress.hpp"

#include <arpa/inet.h>
#include <linux/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "net/overlay_mtu.hpp"
#include "platform/netlink.hpp"
#include "platform/netlink_handles.hpp"

namespace overlayd::platform {

namespace {

using nl::cache_ptr;

std::optional<net::ip_address> to_ip(nl_addr* a) {
  if (a == nullptr)
    return std::nullopt;
  const auto* bytes = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(a));
  if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4)
    return net::ip_address::v4(std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16
                               | std::uint32_t{bytes[2]} << 8 | bytes[3]);
  if (nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == 16) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), bytes, 16);
    return net::ip_address::v6(b);
  }
  return std::nullopt;
}

// The link's first global address, IPv4 before IPv6.
std::optional<net::ip_address> global_address(nl_cache* addresses, int ifindex) {
  std::optional<net::ip_address> v6;
  for (auto* o = nl_cache_get_first(addresses); o != nullptr; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE)
      continue;
    auto ip = to_ip(rtnl_addr_get_local(a));
    if (ip && ip->is_v4())
      return ip;
    if (ip && !v6)
      v6 = ip;
  }
  return v6;
}

// connect() on a UDP socket sends nothing; it only makes the kernel choose.
std::optional<net::ip_address> probe_source(int family, const char* target) {
  int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return std::nullopt;
  sockaddr_storage to{};
  socklen_t len = 0;
  if (family == AF_INET) {
    auto* s = reinterpret_cast<sockaddr_in*>(&to);
    s->sin_family = AF_INET;
    s->sin_port = htons(80);
    ::inet_pton(AF_INET, target, &s->sin_addr);
    len = sizeof *s;
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&to);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(80);
    ::inet_pton(AF_INET6, target, &s->sin6_addr);
    len = sizeof *s;
  }
  std::optional<net::ip_address> out;
  sockaddr_storage local{};
  socklen_t local_len = sizeof local;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), len) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = family == AF_INET
                        ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr)
                        : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr);
    if (::inet_ntop(family, raw, text, sizeof text) != nullptr)
      out = net::ip_address::parse(text);
  }
  ::close(fd);
  return out;
}

} // namespace

std::optional<net::ip_address> kernel_source_toward_public(net::ip_address::family family) {
  return family == net::ip_address::family::v4 ? probe_source(AF_INET, "8.8.8.8")
                                               : probe_source(AF_INET6, "2001:4860:4860::8888");
}

bool is_virtual_interface(const std::string& name) {
  static const char* prefixes[] = {"lo", "wt", "wg", "zl-", "utun", "tun", "tap",
                                   "docker", "br-", "veth", "nb"};
  return std::any_of(std::begin(prefixes), std::end(prefixes),
                     [&](const char* p) { return name.rfind(p, 0) == 0; });
}

result<egress> detect_physical_egress() {
  nl::socket_ptr sock(nl_socket_alloc());
  nl_cache *routes_raw = nullptr, *links_raw = nullptr, *addrs_raw = nullptr;
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) < 0
      || rtnl_route_alloc_cache(sock.get(), AF_UNSPEC, 0, &routes_raw) < 0
      || rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &links_raw) < 0
      || rtnl_addr_alloc_cache(sock.get(), &addrs_raw) < 0) {
    cache_ptr r(routes_raw), l(links_raw), a(addrs_raw);
    return make_error("detect_physical_egress: cannot read routes, links or addresses");
  }
  cache_ptr routes(routes_raw), links(links_raw), addresses(addrs_raw);

  // 1-2: default routes of the main table, lowest metric first (IPv4 wins ties).
  struct candidate {
    std::uint32_t metric;
    int family_rank;
    int ifindex;
  };
  std::vector<candidate> defaults;
  for (auto* o = nl_cache_get_first(routes.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || (dst && nl_addr_get_prefixlen(dst) != 0)
        || rtnl_route_get_nnexthops(r) == 0)
      continue;
    int ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
    if (ifindex > 0)
      defaults.push_back({rtnl_route_get_priority(r), rtnl_route_get_family(r) == AF_INET ? 0 : 1,
                          ifindex});
  }
  std::stable_sort(defaults.begin(), defaults.end(), [](const candidate& a, const candidate& b) {
    return a.metric != b.metric ? a.metric < b.metric : a.family_rank < b.family_rank;
  });
  char name[IFNAMSIZ] = {};
  for (const auto& c : defaults) {
    std::string link = rtnl_link_i2name(links.get(), c.ifindex, name, sizeof name);
    if (link.empty() || is_virtual_interface(link))
      continue;
    if (auto ip = global_address(addresses.get(), c.ifindex))
      return egress{link, *ip};
  }
  // 3: the first link that is up, physical and addressed.
  for (auto* o = nl_cache_get_first(links.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    std::string link = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
    if (is_virtual_interface(link) || (rtnl_link_get_flags(l) & IFF_UP) == 0)
      continue;
    if (auto ip = global_address(addresses.get(), rtnl_link_get_ifindex(l)))
      return egress{link, *ip};
  }
  // 4: where the kernel would send toward a public address.
  if (auto ip = kernel_source_toward_public(net::ip_address::family::v4))
    return egress{"", *ip};
  if (auto ip = kernel_source_toward_public(net::ip_address::family::v6))
    return egress{"", *ip};
  return make_error("detect_physical_egress: no route, link or address leads out");
}

} // namespace overlayd::platform

namespace overlayd::platform {

net::ip_address wireguard_bind_address(const net::ip_address& overlay_ip) {
  const auto unspecified = overlay_ip.is_v4() ? net::ip_address::v4(0)
                                              : net::ip_address::v6({});
  if (std::getenv("ZLAYER_ROOTLESS") != nullptr)
    return unspecified;
  auto found = detect_physical_egress();
  if (!found) {
    spdlog::warn("{}; the WireGuard socket listens on every address", found.error_message());
    return unspecified;
  }
  if (found->address.fam() != overlay_ip.fam()) {
    spdlog::warn("egress address {} is not of the overlay's family; the WireGuard socket "
                 "listens on every address",
                 found->address.to_string());
    return unspecified;
  }
  return found->address;
}

} // namespace overlayd::platform

namespace overlayd::platform {

unsigned derive_overlay_mtu(net::ip_address::family overlay_family) {
  auto out = detect_physical_egress();
  if (!out || out->interface.empty()) {
    spdlog::info("overlay MTU {}: no egress link to derive it from", net::default_overlay_mtu);
    return net::default_overlay_mtu;
  }
  auto underlay = link_mtu(out->interface);
  if (!underlay) {
    spdlog::warn("overlay MTU {}: {}", net::default_overlay_mtu, underlay.error_message());
    return net::default_overlay_mtu;
  }
  unsigned mtu = net::overlay_mtu_for(*underlay, overlay_family);
  spdlog::info("overlay MTU {}: egress {} has MTU {}, WireGuard takes up to {}", mtu,
               out->interface, *underlay, net::wireguard_overhead);
  return mtu;
}

} // namespace overlayd::platform
