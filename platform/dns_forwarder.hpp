// dns_forwarder: out-of-zone queries sent to the upstreams on the
// responder's libuv loop (mechanics.md 7.13): each attempt to the next
// upstream in turn, over UDP, with an id of its own; an answer counts only
// from the upstream asked and with that id; after `attempts` timeouts the
// query is given up. Loop thread only.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <unordered_map>
#include <vector>

#include "net/base/endpoint.hpp"

namespace overlayd::platform {

struct dns_forwarding_policy {
  std::vector<net::endpoint> upstreams;
  std::chrono::milliseconds timeout{2000};
  unsigned attempts = 2;
  std::size_t max_pending = 4096;
};

class dns_forwarder {
public:
  // The query as given, and the upstream's answer, or null after the last
  // attempt timed out (or when too many queries wait already).
  using on_answer = std::function<void(const std::vector<std::uint8_t>& query,
                                       const std::uint8_t* answer, std::size_t size)>;

  dns_forwarder(uv_loop_t* loop, dns_forwarding_policy policy);
  dns_forwarder(const dns_forwarder&) = delete;
  dns_forwarder& operator=(const dns_forwarder&) = delete;

  void forward(std::vector<std::uint8_t> query, on_answer done);
  // Closes the sockets and timers; pending queries are dropped unanswered.
  void close();

  struct pending;

private:
  void open_socket(uv_udp_t& socket, bool& open, bool v6);
  void send_attempt(pending* p);
  void on_datagram(const std::uint8_t* data, std::size_t size, const net::endpoint& from);
  void complete(pending* p, const std::uint8_t* answer, std::size_t size);

  uv_loop_t* loop_;
  dns_forwarding_policy policy_;
  uv_udp_t v4_{};
  uv_udp_t v6_{};
  bool v4_open_ = false;
  bool v6_open_ = false;
  std::unordered_map<std::uint16_t, pending*> pending_;
  std::mt19937 random_{std::random_device{}()};
};

} // namespace overlayd::platform
