#include "udp_burst_check.hpp"

#include <poll.h>

#include <future>
#include <set>
#include <thread>
#include <vector>

#include "platform/udp_socket.hpp"

namespace overlayd::testing {

namespace {

using platform::datagram;
using platform::socket_address;
using platform::udp_socket;

constexpr std::uint16_t burst_port = 5002;
constexpr std::size_t datagram_size = 1200;
constexpr int quiet_ms = 2000; // the burst is over after this long without a datagram

burst_check receive(const std::string& ip, int count, std::promise<bool>& ready) {
  burst_check check;
  auto address = net::ip_address::parse(ip);
  auto socket = address ? udp_socket::bind(*address, burst_port) : make_error("bad address");
  ready.set_value(socket.ok());
  if (!socket)
    return check;
  std::set<int> seen;
  std::vector<std::uint8_t> buffer(65536);
  while (static_cast<int>(seen.size()) < count) {
    pollfd p{socket->fd(), POLLIN, 0};
    if (::poll(&p, 1, quiet_ms) != 1)
      break;
    datagram d{buffer.data(), 0, buffer.size(), {}};
    if (socket->receive_batch(&d, 1) != 1)
      break;
    const int index = d.length > 0 ? buffer[0] : -1;
    bool whole = d.length == datagram_size && index < count;
    for (std::size_t i = 0; whole && i < d.length; ++i)
      whole = buffer[i] == index;
    if (whole && seen.insert(index).second)
      ++check.intact;
    else
      ++check.damaged;
  }
  return check;
}

bool send_burst(const std::string& from_ip, const std::string& to_ip, int count) {
  auto from = net::ip_address::parse(from_ip);
  auto to = net::ip_address::parse(to_ip);
  if (!from || !to)
    return false;
  auto socket = udp_socket::bind(*from, 0);
  if (!socket)
    return false;
  std::vector<std::vector<std::uint8_t>> payloads;
  std::vector<datagram> out;
  for (int i = 0; i < count; ++i)
    payloads.emplace_back(datagram_size, static_cast<std::uint8_t>(i));
  for (auto& p : payloads)
    out.push_back(datagram{p.data(), p.size(), 0, socket_address::from({*to, burst_port})});
  return socket->send_batch(out.data(), count) == count;
}

} // namespace

burst_check udp_burst(const network_namespace& from, const std::string& from_ip,
                      const network_namespace& to, const std::string& to_ip, int count) {
  std::promise<bool> ready;
  auto listening = ready.get_future();
  burst_check check;
  std::thread receiver([&] { to.enter([&] { check = receive(to_ip, count, ready); }); });
  if (listening.get())
    from.enter([&] { send_burst(from_ip, to_ip, count); });
  receiver.join();
  return check;
}

} // namespace overlayd::testing
