#include "platform/udp_socket.hpp"

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace overlayd::platform {

namespace {

// wireguard-go asks for 7 MiB; the *FORCE variants pass rmem_max as root.
constexpr int socket_buffer_bytes = 7 << 20;

void enlarge_buffers(int fd) {
  int size = socket_buffer_bytes;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

sockaddr_in6 mapped(const net::ip_address& ip, std::uint16_t port) {
  sockaddr_in6 out{};
  out.sin6_family = AF_INET6;
  out.sin6_port = htons(port);
  if (ip.is_v6()) {
    std::memcpy(&out.sin6_addr, ip.bytes().data(), 16);
  } else {
    out.sin6_addr.s6_addr[10] = 0xff;
    out.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&out.sin6_addr.s6_addr[12], ip.bytes().data(), 4);
  }
  return out;
}

bool is_v4_mapped(const in6_addr& a) {
  static const std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a.s6_addr, prefix, 12) == 0;
}

} // namespace

socket_address socket_address::from(const net::endpoint& e) {
  return socket_address{mapped(e.address, e.port)};
}

net::endpoint socket_address::to_endpoint() const {
  net::endpoint e;
  e.port = ntohs(storage.sin6_port);
  if (is_v4_mapped(storage.sin6_addr)) {
    const auto* b = &storage.sin6_addr.s6_addr[12];
    e.address = net::ip_address::v4((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16)
                                    | (std::uint32_t{b[2]} << 8) | b[3]);
  } else {
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), storage.sin6_addr.s6_addr, 16);
    e.address = net::ip_address::v6(bytes);
  }
  return e;
}

bool operator==(const socket_address& a, const socket_address& b) noexcept {
  return a.storage.sin6_port == b.storage.sin6_port
         && std::memcmp(&a.storage.sin6_addr, &b.storage.sin6_addr, 16) == 0;
}

// Written out only because the GSO flag is atomic.
udp_socket::udp_socket(udp_socket&& other) noexcept
    : fd_(std::move(other.fd_)), port_(other.port_), gso_(other.gso_.load()) {}

udp_socket& udp_socket::operator=(udp_socket&& other) noexcept {
  fd_ = std::move(other.fd_);
  port_ = other.port_;
  gso_.store(other.gso_.load());
  return *this;
}

result<udp_socket> udp_socket::bind(const net::ip_address& address, std::uint16_t port) {
  const std::string object = net::endpoint{address, port}.to_string();
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return make_error("bind_udp(" + object + "): " + std::strerror(errno));
  int off = 0;
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  enlarge_buffers(fd);
  sockaddr_in6 local = address.is_unspecified() && address.is_v4()
                         ? mapped(net::ip_address::v6({}), port) // :: covers IPv4 too
                         : mapped(address, port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    int err = errno;
    ::close(fd);
    return make_error("bind_udp(" + object + "): " + std::strerror(err));
  }
  socklen_t len = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  udp_socket s;
  s.fd_.reset(fd);
  s.port_ = ntohs(local.sin6_port);
  // UDP GSO (Linux 4.18): the socket accepts the option, so sends may use it.
  int segment = 0;
  socklen_t segment_len = sizeof segment;
  s.gso_.store(::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &segment_len) == 0);
  return s;
}

bool udp_socket::enable_gro() noexcept {
  int on = 1;
  return ::setsockopt(fd_.get(), SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
}

namespace {

struct alignas(cmsghdr) gro_control {
  char bytes[CMSG_SPACE(sizeof(int))];
};

std::uint16_t gro_segment_size(msghdr& m) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof size);
      return static_cast<std::uint16_t>(size);
    }
  }
  return 0;
}

} // namespace

int udp_socket::receive_batch(datagram* batch, int count) noexcept {
  if (count > max_batch)
    count = max_batch;
  mmsghdr headers[max_batch];
  iovec vectors[max_batch];
  gro_control controls[max_batch];
  for (int i = 0; i < count; ++i) {
    vectors[i] = iovec{batch[i].data, batch[i].capacity};
    headers[i] = mmsghdr{};
    msghdr& m = headers[i].msg_hdr;
    m.msg_iov = &vectors[i];
    m.msg_iovlen = 1;
    m.msg_name = &batch[i].peer.storage;
    m.msg_namelen = sizeof batch[i].peer.storage;
    m.msg_control = controls[i].bytes;
    m.msg_controllen = sizeof controls[i].bytes;
  }
  int n = ::recvmmsg(fd_.get(), headers, static_cast<unsigned>(count), MSG_WAITFORONE, nullptr);
  for (int i = 0; i < n; ++i) {
    batch[i].length = headers[i].msg_len;
    batch[i].segment_size = gro_segment_size(headers[i].msg_hdr);
  }
  return n;
}

namespace {

// One sendmmsg entry: a run of datagrams to one peer, all of one size but
// the last, which the kernel sends as separate datagrams (UDP GSO).
struct send_group {
  int first = 0;
  int count = 0;
  std::uint16_t segment = 0;
};

constexpr int max_gso_segments = 64;       // the kernel's UDP_MAX_SEGMENTS
constexpr std::size_t max_gso_bytes = 65000; // below the 64 KiB UDP limit

int group_for_gso(const datagram* batch, int count, send_group* groups) {
  int n = 0;
  for (int i = 0; i < count;) {
    send_group g{i, 1, static_cast<std::uint16_t>(batch[i].length)};
    std::size_t total = batch[i].length;
    for (++i; i < count && g.count < max_gso_segments; ++i) {
      const datagram& d = batch[i];
      if (!(d.peer == batch[g.first].peer) || d.length > g.segment
          || total + d.length > max_gso_bytes)
        break;
      total += d.length;
      ++g.count;
      if (d.length < g.segment) { // a short one ends the run
        ++i;
        break;
      }
    }
    groups[n++] = g;
  }
  return n;
}

} // namespace

int udp_socket::send_batch(const datagram* batch, int count) noexcept {
  if (count > max_batch)
    count = max_batch;
  iovec vectors[max_batch];
  for (int i = 0; i < count; ++i)
    vectors[i] = iovec{batch[i].data, batch[i].length};
  send_group groups[max_batch];
  const bool gso = gso_.load(std::memory_order_relaxed);
  int group_count = 0;
  if (gso) {
    group_count = group_for_gso(batch, count, groups);
  } else {
    for (int i = 0; i < count; ++i)
      groups[group_count++] = send_group{i, 1, 0};
  }
  mmsghdr headers[max_batch];
  struct alignas(cmsghdr) control_buffer {
    char bytes[CMSG_SPACE(sizeof(std::uint16_t))];
  };
  control_buffer controls[max_batch];
  for (int g = 0; g < group_count; ++g) {
    const send_group& group = groups[g];
    headers[g] = mmsghdr{};
    msghdr& m = headers[g].msg_hdr;
    m.msg_iov = &vectors[group.first];
    m.msg_iovlen = static_cast<std::size_t>(group.count);
    m.msg_name = const_cast<sockaddr_in6*>(&batch[group.first].peer.storage);
    m.msg_namelen = sizeof batch[group.first].peer.storage;
    if (group.count > 1) {
      m.msg_control = controls[g].bytes;
      m.msg_controllen = sizeof controls[g].bytes;
      cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
      std::memcpy(CMSG_DATA(c), &group.segment, sizeof group.segment);
    }
  }
  int sent_groups = 0;
  int sent = 0;
  while (sent_groups < group_count) {
    int n = ::sendmmsg(fd_.get(), headers + sent_groups,
                       static_cast<unsigned>(group_count - sent_groups), 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EIO && gso && sent_groups == 0) {
        // The route's device cannot checksum segments: no GSO from now on.
        gso_.store(false, std::memory_order_relaxed);
        return send_batch(batch, count);
      }
      const send_group& failed = groups[sent_groups];
      if ((errno == EINVAL || errno == EMSGSIZE) && failed.count > 1) {
        // Segments larger than the path MTU the kernel learned (an ICMP
        // "fragmentation needed" from a router with a smaller link): GSO
        // refuses them, so they go one by one and the kernel fragments
        // each. No black hole; GSO stays on for paths that take it.
        for (int i = failed.first; i < failed.first + failed.count; ++i)
          if (send_one(batch[i]))
            ++sent;
        ++sent_groups;
        continue;
      }
      return sent > 0 ? sent : -1;
    }
    for (int g = sent_groups; g < sent_groups + n; ++g)
      sent += groups[g].count;
    sent_groups += n;
  }
  return sent;
}

bool udp_socket::send_one(const datagram& d) noexcept {
  while (true) {
    ssize_t n = ::sendto(fd_.get(), d.data, d.length, 0,
                         reinterpret_cast<const sockaddr*>(&d.peer.storage),
                         sizeof d.peer.storage);
    if (n >= 0)
      return true;
    if (errno != EINTR)
      return false;
  }
}

void udp_socket::shutdown_reads() noexcept {
  if (fd_.valid())
    ::shutdown(fd_.get(), SHUT_RD);
}

void udp_socket::close() noexcept {
  fd_.reset();
}

} // namespace overlayd::platform
