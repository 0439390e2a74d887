#include "platform/udp_socket.hpp"

#include <arpa/inet.h>
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

udp_socket::udp_socket(udp_socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

udp_socket& udp_socket::operator=(udp_socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
  }
  return *this;
}

udp_socket::~udp_socket() {
  close();
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
  s.fd_ = fd;
  s.port_ = ntohs(local.sin6_port);
  return s;
}

int udp_socket::receive_batch(datagram* batch, int count) noexcept {
  if (count > max_batch)
    count = max_batch;
  mmsghdr headers[max_batch];
  iovec vectors[max_batch];
  for (int i = 0; i < count; ++i) {
    vectors[i] = iovec{batch[i].data, batch[i].capacity};
    headers[i] = mmsghdr{};
    headers[i].msg_hdr.msg_iov = &vectors[i];
    headers[i].msg_hdr.msg_iovlen = 1;
    headers[i].msg_hdr.msg_name = &batch[i].peer.storage;
    headers[i].msg_hdr.msg_namelen = sizeof batch[i].peer.storage;
  }
  int n = ::recvmmsg(fd_, headers, static_cast<unsigned>(count), MSG_WAITFORONE, nullptr);
  for (int i = 0; i < n; ++i)
    batch[i].length = headers[i].msg_len;
  return n;
}

int udp_socket::send_batch(const datagram* batch, int count) noexcept {
  if (count > max_batch)
    count = max_batch;
  mmsghdr headers[max_batch];
  iovec vectors[max_batch];
  for (int i = 0; i < count; ++i) {
    vectors[i] = iovec{batch[i].data, batch[i].length};
    headers[i] = mmsghdr{};
    headers[i].msg_hdr.msg_iov = &vectors[i];
    headers[i].msg_hdr.msg_iovlen = 1;
    headers[i].msg_hdr.msg_name = const_cast<sockaddr_in6*>(&batch[i].peer.storage);
    headers[i].msg_hdr.msg_namelen = sizeof batch[i].peer.storage;
  }
  int sent = 0;
  while (sent < count) {
    int n = ::sendmmsg(fd_, headers + sent, static_cast<unsigned>(count - sent), 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return sent > 0 ? sent : -1;
    }
    sent += n;
  }
  return sent;
}

void udp_socket::shutdown_reads() noexcept {
  if (fd_ >= 0)
    ::shutdown(fd_, SHUT_RD);
}

void udp_socket::close() noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

} // namespace overlayd::platform
