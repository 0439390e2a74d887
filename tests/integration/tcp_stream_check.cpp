#include "tcp_stream_check.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <thread>
#include <vector>

#include "platform/udp_socket.hpp"

namespace overlayd::testing {

namespace {

constexpr int accept_timeout_ms = 10000;
constexpr int read_timeout_ms = 20000;

// The stream's bytes: xorshift64, so both ends produce them without sharing a buffer.
class byte_stream {
public:
  void fill(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (left_ == 0) {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        word_ = state_;
        left_ = 8;
      }
      out[i] = static_cast<std::uint8_t>(word_);
      word_ >>= 8;
      --left_;
    }
  }

private:
  std::uint64_t state_ = 0x9e3779b97f4a7c15ull;
  std::uint64_t word_ = 0;
  int left_ = 0;
};

std::string with_errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// Listens, accepts one connection and compares everything it reads with the
// expected stream. `ready` is set once the listener is bound (or failed).
// Dual-stack IPv6 sockets, as udp_socket's: IPv4 goes v4-mapped, so one
// address type (platform::socket_address) serves both families.
int tcp_socket() {
  return ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

const sockaddr* as_sockaddr(const platform::socket_address& where) {
  return reinterpret_cast<const sockaddr*>(&where.storage);
}

stream_check receive(const platform::socket_address& where, std::size_t bytes,
                     std::promise<bool>& ready) {
  stream_check check;
  int listener = tcp_socket();
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listener < 0 || ::bind(listener, as_sockaddr(where), sizeof where.storage) != 0
      || ::listen(listener, 1) != 0) {
    check.failure = with_errno("listen");
    ready.set_value(false);
    if (listener >= 0)
      ::close(listener);
    return check;
  }
  ready.set_value(true);
  if (!wait_readable(listener, accept_timeout_ms)) {
    check.failure = "no connection within 10 s";
    ::close(listener);
    return check;
  }
  int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ::close(listener);
  if (conn < 0) {
    check.failure = with_errno("accept");
    return check;
  }
  byte_stream expected;
  std::vector<std::uint8_t> got(1 << 16), want(1 << 16);
  bool same = true;
  for (;;) {
    if (!wait_readable(conn, read_timeout_ms)) {
      check.failure = "stalled after " + std::to_string(check.received) + " bytes";
      break;
    }
    ssize_t n = ::read(conn, got.data(), got.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      check.failure = with_errno("read");
      break;
    }
    if (n == 0)
      break;
    const auto count = static_cast<std::size_t>(n);
    expected.fill(want.data(), count);
    if (same && std::memcmp(got.data(), want.data(), count) != 0) {
      same = false;
      check.failure = "bytes differ within [" + std::to_string(check.received) + ", "
                      + std::to_string(check.received + count) + ")";
    }
    check.received += count;
  }
  ::close(conn);
  check.identical = same && check.failure.empty() && check.received == bytes;
  if (check.failure.empty() && check.received != bytes)
    check.failure = "received " + std::to_string(check.received) + " of " + std::to_string(bytes);
  return check;
}

std::string send(const platform::socket_address& where, std::size_t bytes) {
  int s = tcp_socket();
  if (s < 0 || ::connect(s, as_sockaddr(where), sizeof where.storage) != 0) {
    std::string failure = with_errno("connect");
    if (s >= 0)
      ::close(s);
    return failure;
  }
  byte_stream stream;
  std::vector<std::uint8_t> chunk(1 << 16);
  std::string failure;
  for (std::size_t sent = 0; sent < bytes && failure.empty();) {
    const std::size_t n = std::min(chunk.size(), bytes - sent);
    stream.fill(chunk.data(), n);
    for (std::size_t at = 0; at < n;) {
      ssize_t w = ::write(s, chunk.data() + at, n - at);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0) {
        failure = with_errno("write");
        break;
      }
      at += static_cast<std::size_t>(w);
    }
    sent += n;
  }
  ::close(s);
  return failure;
}

} // namespace

stream_check stream_over_tcp(const network_namespace& from, const network_namespace& to,
                             const std::string& address, std::uint16_t port, std::size_t bytes) {
  auto ip = net::ip_address::parse(address);
  if (!ip)
    return stream_check{0, false, "not an IP address: " + address};
  const auto where = platform::socket_address::from(net::endpoint{*ip, port});
  std::promise<bool> ready;
  auto listening = ready.get_future();
  stream_check check;
  std::thread receiver([&] { to.enter([&] { check = receive(where, bytes, ready); }); });
  std::string send_failure;
  if (listening.get())
    from.enter([&] { send_failure = send(where, bytes); });
  receiver.join();
  if (!send_failure.empty() && check.failure.empty())
    check.failure = "sender: " + send_failure;
  return check;
}

} // namespace overlayd::testing
