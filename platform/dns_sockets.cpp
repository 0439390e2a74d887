#include "platform/dns_sockets.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace overlayd::platform {

socklen_t to_sockaddr(const net::endpoint& e, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (e.address.is_v4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&out);
    a->sin_family = AF_INET;
    a->sin_port = htons(e.port);
    std::memcpy(&a->sin_addr, e.address.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&out);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(e.port);
  std::memcpy(&a->sin6_addr, e.address.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

net::endpoint from_sockaddr(const sockaddr* a) {
  net::endpoint e;
  if (a->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(a);
    e.address = net::ip_address::v4(ntohl(v4->sin_addr.s_addr));
    e.port = ntohs(v4->sin_port);
  } else if (a->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &v6->sin6_addr, 16);
    e.address = net::ip_address::v6(bytes);
    e.port = ntohs(v6->sin6_port);
  }
  return e;
}

namespace {

constexpr int udp_receive_buffer = 4 << 20;

error socket_error(const char* what, const net::endpoint& at, int err) {
  return make_error(error_code_from_errno(err), std::string("dns listen ") + at.to_string()
                                                  + ": " + what + ": " + std::strerror(err));
}

result<unique_fd> bound(int type, const net::endpoint& at, bool freebind) {
  const bool v6 = at.address.is_v6();
  unique_fd fd(::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return socket_error("socket", at, errno);
  int on = 1;
  if (type == SOCK_DGRAM) {
    // Room for bursts: the default (~200 KiB) holds some 270 queries, which
    // a client with 500 outstanding overflows whenever the responder's
    // thread waits for a core. FORCE needs CAP_NET_ADMIN; without it the
    // kernel's rmem_max caps the plain request.
    int bytes = udp_receive_buffer;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (type == SOCK_STREAM)
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (v6)
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (freebind) {
    if (v6)
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_FREEBIND, &on, sizeof on);
    else
      ::setsockopt(fd.get(), IPPROTO_IP, IP_FREEBIND, &on, sizeof on);
  }
  sockaddr_storage addr{};
  socklen_t len = to_sockaddr(at, addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return socket_error(type == SOCK_STREAM ? "bind TCP" : "bind UDP", at, errno);
  if (type == SOCK_STREAM && ::listen(fd.get(), 128) != 0)
    return socket_error("listen TCP", at, errno);
  return fd;
}

} // namespace

result<bound_pair> bind_dns_sockets(const net::endpoint& at, bool freebind) {
  auto udp = bound(SOCK_DGRAM, at, freebind);
  if (!udp)
    return udp.err();
  net::endpoint actual = at;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(udp->get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    actual.port = from_sockaddr(reinterpret_cast<sockaddr*>(&addr)).port;
  auto tcp = bound(SOCK_STREAM, actual, freebind);
  if (!tcp)
    return tcp.err();
  return bound_pair{std::move(*udp), std::move(*tcp), actual};
}

result<unique_fd> unbound_udp_socket(bool v6) {
  net::endpoint any{v6 ? *net::ip_address::parse("::") : net::ip_address{}, 0};
  return bound(SOCK_DGRAM, any, false);
}

} // namespace overlayd::platform
