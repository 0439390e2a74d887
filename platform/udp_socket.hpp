// udp_socket: the WireGuard listen socket with batched I/O (recvmmsg /
// sendmmsg, up to 128 datagrams per call as wireguard-go does) and large
// buffers. One dual-stack IPv6 socket serves both families: IPv4 peers
// appear as v4-mapped addresses, so one address type covers every peer.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"
#include "net/base/unique_fd.hpp"

namespace overlayd::platform {

// A socket address kept in the form the kernel takes, so the data plane
// never converts per packet.
struct socket_address {
  sockaddr_in6 storage{};

  static socket_address from(const net::endpoint& e);
  net::endpoint to_endpoint() const;
  friend bool operator==(const socket_address& a, const socket_address& b) noexcept;
};

// One slot of a batch: the caller owns the buffer.
struct datagram {
  std::uint8_t* data = nullptr;
  std::size_t length = 0;   // bytes used (received, or to send)
  std::size_t capacity = 0; // buffer size (receive)
  socket_address peer;
  // Received with GRO on: the buffer holds datagrams of this size back to
  // back, the last possibly shorter. 0: one datagram.
  std::uint16_t segment_size = 0;
};

// Calls visit(data, length, capacity) for each datagram a received one
// holds: itself, or with GRO each segment. `capacity` is what belongs to
// that datagram: up to the next segment, for the last the rest of the buffer.
template <typename Visit>
void for_each_segment(const datagram& d, Visit&& visit) {
  const std::size_t step = d.segment_size != 0 ? d.segment_size : d.length;
  for (std::size_t at = 0; at < d.length && step != 0; at += step) {
    const bool last = d.length - at <= step;
    visit(d.data + at, last ? d.length - at : step, last ? d.capacity - at : step);
  }
}

class udp_socket {
public:
  static constexpr int max_batch = 128;

  udp_socket() = default;
  udp_socket(udp_socket&& other) noexcept;
  udp_socket& operator=(udp_socket&& other) noexcept;
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  // Binds `address` (unspecified: every address) on `port` (0: any). The
  // socket is blocking; close() or shutdown_reads() wakes a blocked reader.
  static result<udp_socket> bind(const net::ip_address& address, std::uint16_t port);

  // Asks the kernel to hand over runs of datagrams from one sender in one
  // buffer (UDP GRO, Linux 5.0): a GSO sender's burst then crosses the
  // stack and the socket as one. False when the kernel cannot.
  bool enable_gro() noexcept;
  // Sends every datagram on its own from now on (no UDP GSO).
  void disable_gso() noexcept { gso_.store(false); }

  int fd() const noexcept { return fd_.get(); }
  std::uint16_t port() const noexcept { return port_; }

  // Waits for at least one datagram, then takes what is queued, up to
  // `count`. Returns how many, or -1 with errno.
  int receive_batch(datagram* batch, int count) noexcept;
  // Sends up to `count`; returns how many went out, or -1 with errno.
  // Runs of equal-sized datagrams to one peer go out as one UDP GSO send.
  int send_batch(const datagram* batch, int count) noexcept;

  // Makes a blocked receive_batch return at once, with nothing or with an
  // empty datagram; readers check their own stop flag after each batch.
  void shutdown_reads() noexcept;
  void close() noexcept;

private:
  bool send_one(const datagram& d) noexcept; // no GSO; false when refused

  unique_fd fd_;
  std::uint16_t port_ = 0;
  std::atomic<bool> gso_{false}; // send runs to one peer as one UDP GSO message
};

} // namespace overlayd::platform
