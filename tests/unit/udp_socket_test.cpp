// Batched UDP on loopback: what goes out in one sendmmsg comes back in one
// recvmmsg, with the sender's address, for IPv4 and IPv6.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "platform/udp_socket.hpp"

using overlayd::net::endpoint;
using overlayd::net::ip_address;
using overlayd::platform::datagram;
using overlayd::platform::socket_address;
using overlayd::platform::udp_socket;

namespace {

// Receives one datagram into each buffer, in as many batches as it takes.
std::vector<datagram> receive_all(udp_socket& receiver,
                                  std::vector<std::vector<std::uint8_t>>& buffers) {
  const int count = static_cast<int>(buffers.size());
  std::vector<datagram> in(buffers.size());
  for (int i = 0; i < count; ++i)
    in[i] = datagram{buffers[i].data(), 0, buffers[i].size(), {}};
  int got = 0;
  while (got < count) {
    int n = receiver.receive_batch(in.data() + got, count - got);
    REQUIRE(n > 0);
    got += n;
  }
  return in;
}

// `count` datagrams to `to`, each filled with its index: `size` bytes each
// but the last, which has `last_size`.
struct outgoing_run {
  std::vector<std::vector<std::uint8_t>> payloads;
  std::vector<datagram> datagrams;
};

outgoing_run equal_run(int count, std::size_t size, std::size_t last_size, const endpoint& to) {
  outgoing_run run;
  run.payloads.resize(static_cast<std::size_t>(count));
  run.datagrams.resize(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto& p = run.payloads[static_cast<std::size_t>(i)];
    p.assign(i + 1 == count ? last_size : size, static_cast<std::uint8_t>(i));
    run.datagrams[static_cast<std::size_t>(i)] = datagram{p.data(), p.size(), 0, socket_address::from(to)};
  }
  return run;
}

} // namespace

TEST_CASE("udp socket: a batch goes out and comes back in order", "[platform]") {
  auto loopback = GENERATE(std::string("127.0.0.1"), std::string("::1"));
  auto ip = *ip_address::parse(loopback);
  auto receiver = udp_socket::bind(ip, 0);
  auto sender = udp_socket::bind(ip, 0);
  REQUIRE(receiver.ok());
  REQUIRE(sender.ok());
  REQUIRE(receiver->port() != 0);

  constexpr int count = 40;
  std::vector<std::vector<std::uint8_t>> payloads(count);
  std::vector<datagram> out(count);
  for (int i = 0; i < count; ++i) {
    payloads[i].assign(100 + i, static_cast<std::uint8_t>(i));
    out[i].data = payloads[i].data();
    out[i].length = payloads[i].size();
    out[i].peer = socket_address::from(endpoint{ip, receiver->port()});
  }
  REQUIRE(sender->send_batch(out.data(), count) == count);

  std::vector<std::vector<std::uint8_t>> buffers(count, std::vector<std::uint8_t>(2048));
  auto in = receive_all(*receiver, buffers);
  for (int i = 0; i < count; ++i) {
    CHECK(in[i].length == payloads[i].size());
    CHECK(buffers[i][0] == i);
    CHECK(in[i].peer.to_endpoint() == endpoint{ip, sender->port()});
  }
}

TEST_CASE("udp socket: shutdown_reads wakes a blocked reader", "[platform]") {
  auto s = udp_socket::bind(*ip_address::parse("127.0.0.1"), 0);
  REQUIRE(s.ok());
  std::uint8_t buffer[64];
  datagram slot{buffer, 0, sizeof buffer, {}};
  int result = 1;
  std::thread reader([&] { result = s->receive_batch(&slot, 1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  s->shutdown_reads();
  reader.join();
  // Woken with nothing: no datagram, or the kernel's empty end-of-reads one.
  CHECK((result <= 0 || slot.length == 0));
}

TEST_CASE("udp socket: a taken port is refused with its address", "[platform]") {
  auto first = udp_socket::bind(*ip_address::parse("127.0.0.1"), 0);
  REQUIRE(first.ok());
  auto second = udp_socket::bind(*ip_address::parse("127.0.0.1"), first->port());
  REQUIRE_FALSE(second.ok());
  CHECK(second.error_message()
        == "bind_udp(127.0.0.1:" + std::to_string(first->port()) + "): Address already in use");
}

TEST_CASE("udp socket: runs of equal datagrams arrive one by one (GSO)", "[platform]") {
  auto ip = *ip_address::parse("127.0.0.1");
  auto receiver = udp_socket::bind(ip, 0);
  auto sender = udp_socket::bind(ip, 0);
  REQUIRE(receiver.ok());
  REQUIRE(sender.ok());
  // 70 of 1000 bytes (more than one GSO send holds), then a short one.
  constexpr int count = 71;
  auto [payloads, out] = equal_run(count, 1000, 300, endpoint{ip, receiver->port()});
  REQUIRE(sender->send_batch(out.data(), count) == count);
  std::vector<std::vector<std::uint8_t>> buffers(count, std::vector<std::uint8_t>(2048));
  auto in = receive_all(*receiver, buffers);
  for (int i = 0; i < count; ++i) {
    INFO(i);
    CHECK(in[i].length == payloads[i].size());
    CHECK(buffers[i][0] == i);
    CHECK(buffers[i][in[i].length - 1] == i);
  }
}

TEST_CASE("udp socket: with GRO a GSO run arrives as one buffer of segments", "[platform]") {
  auto ip = *ip_address::parse("127.0.0.1");
  auto receiver = udp_socket::bind(ip, 0);
  auto sender = udp_socket::bind(ip, 0);
  REQUIRE(receiver.ok());
  REQUIRE(sender.ok());
  REQUIRE(receiver->enable_gro());
  // 20 of 1000 bytes and a short one: one GSO send.
  constexpr int count = 21;
  auto [payloads, out] = equal_run(count, 1000, 300, endpoint{ip, receiver->port()});
  REQUIRE(sender->send_batch(out.data(), count) == count);

  // However the kernel packs them, splitting gives back every datagram in order.
  std::vector<std::vector<std::uint8_t>> buffers(count, std::vector<std::uint8_t>(65536));
  std::vector<datagram> in(count);
  std::vector<std::vector<std::uint8_t>> received;
  bool coalesced = false;
  while (received.size() < payloads.size()) {
    for (int i = 0; i < count; ++i)
      in[i] = datagram{buffers[i].data(), 0, buffers[i].size(), {}};
    int n = receiver->receive_batch(in.data(), count);
    REQUIRE(n > 0);
    for (int i = 0; i < n; ++i) {
      CHECK(in[i].peer.to_endpoint() == endpoint{ip, sender->port()});
      coalesced = coalesced || in[i].segment_size != 0;
      overlayd::platform::for_each_segment(in[i], [&](std::uint8_t* data, std::size_t length,
                                                     std::size_t) {
        received.emplace_back(data, data + length);
      });
    }
  }
  CHECK(received == payloads);
  CHECK(coalesced); // loopback keeps a GSO send whole for a GRO socket
}

TEST_CASE("udp socket: for_each_segment walks a GRO buffer", "[platform]") {
  std::vector<std::uint8_t> buffer(1000);
  struct piece {
    std::size_t at, length, capacity;
    bool operator==(const piece& o) const {
      return at == o.at && length == o.length && capacity == o.capacity;
    }
  };
  auto walk = [&](std::size_t length, std::uint16_t segment_size) {
    datagram d{buffer.data(), length, buffer.size(), {}, segment_size};
    std::vector<piece> pieces;
    overlayd::platform::for_each_segment(d, [&](std::uint8_t* data, std::size_t n, std::size_t cap) {
      pieces.push_back(piece{static_cast<std::size_t>(data - buffer.data()), n, cap});
    });
    return pieces;
  };
  // Segments own their own bytes only; the last owns the rest of the buffer.
  CHECK(walk(250, 100) == std::vector<piece>{{0, 100, 100}, {100, 100, 100}, {200, 50, 800}});
  CHECK(walk(300, 100) == std::vector<piece>{{0, 100, 100}, {100, 100, 100}, {200, 100, 800}});
  CHECK(walk(250, 0) == std::vector<piece>{{0, 250, 1000}});
  CHECK(walk(0, 0).empty());   // the empty datagram a shutdown wakes readers with
  CHECK(walk(0, 100).empty());
}
