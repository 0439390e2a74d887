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
  std::vector<std::vector<std::uint8_t>> payloads(count);
  std::vector<datagram> out(count);
  for (int i = 0; i < count; ++i) {
    payloads[i].assign(i + 1 == count ? 300 : 1000, static_cast<std::uint8_t>(i));
    out[i] = datagram{payloads[i].data(), payloads[i].size(), 0,
                      socket_address::from(endpoint{ip, receiver->port()})};
  }
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
