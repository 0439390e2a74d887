// overlayd-peer-scale-live: ten thousand peers on a live device (issue 14).
// Against a running daemon with a global overlay: N peers through one UAPI
// `set` on the device's UAPI socket (as `wg setconf` sends them), then N
// more through `add_peer` requests on the daemon's socket (256 in flight
// on one connection), each with the time per peer and the daemon's RSS
// growth per peer, and a UAPI `get` listing them all. Real keys; allowed IPs
// from distinct /32s and /26s. tools/peer_scale_live.sh sets up the daemon
// in a namespace of its own and runs this. Prints figures, asserts nothing.
//
//   overlayd-peer-scale-live SOCKET UAPI_SOCKET DAEMON_PID [peers]   (default 10000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <string>
#include <vector>

#include "app/client_connection.hpp"
#include "app/uapi_transfer.hpp"
#include "net/base/ip_address.hpp"
#include "net/wireguard/keys.hpp"

using namespace overlayd;
using clock_type = std::chrono::steady_clock;

namespace {

long rss_kib(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atol(line.c_str() + 6);
  return 0;
}

net::wg::key32 new_public_key() {
  return net::wg::public_key_from_private(net::wg::generate_private_key());
}

// Peer i of a run: a /32 from 10.96.0.0/11 and a /26 from 100.64.0.0/10
// (both outside the overlay's 10.200.0.0/16).
std::string allowed_of(unsigned i) {
  return net::ip_address::v4(0x0A600000u + i).to_string() + "/32,"
         + net::ip_address::v4(0x64400000u + (i << 6)).to_string() + "/26";
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SOCKET UAPI_SOCKET DAEMON_PID [peers]\n", argv[0]);
    return 2;
  }
  const std::string socket = argv[1], uapi = argv[2], pid = argv[3];
  const unsigned peers = argc > 4 ? static_cast<unsigned>(std::atoi(argv[4])) : 10000;

  // Through UAPI.
  std::string set = "set=1\n";
  for (unsigned i = 0; i < peers; ++i) {
    std::string allowed = allowed_of(i);
    set += "public_key=" + net::wg::key_to_hex(new_public_key())
           + "\nreplace_allowed_ips=true\nendpoint=198.51.100."
           + std::to_string(1 + i % 250) + ":51820\nallowed_ip="
           + allowed.substr(0, allowed.find(',')) + "\nallowed_ip="
           + allowed.substr(allowed.find(',') + 1) + "\n";
  }
  set += "\n";
  long before = rss_kib(pid);
  auto start = clock_type::now();
  std::string answer = app::uapi_exchange(uapi, set, std::chrono::seconds(60));
  if (answer.empty()) {
    std::fprintf(stderr, "no answer on the UAPI socket %s\n", uapi.c_str());
    return 1;
  }
  double took = seconds_since(start);
  long after_uapi = rss_kib(pid);
  std::printf("UAPI set of %u peers (%zu bytes): %s  %.2f s, %.1f us/peer, RSS +%ld KiB "
              "(%.2f KiB/peer)\n",
              peers, set.size(), answer.substr(0, answer.find('\n')).c_str(), took,
              took * 1e6 / peers, after_uapi - before,
              static_cast<double>(after_uapi - before) / peers);

  // Through add_peer requests, 256 in flight.
  auto conn = app::client_connection::connect(socket);
  if (!conn) {
    std::fprintf(stderr, "%s\n", conn.error_message().c_str());
    return 1;
  }
  constexpr std::size_t window = 256;
  std::size_t ok = 0, failed = 0, in_flight = 0;
  std::string first_failure;
  auto read_one = [&] {
    auto response = conn->read_response();
    --in_flight;
    if (response && !msg::is_error(response->response)) {
      ++ok;
    } else {
      ++failed;
      if (first_failure.empty())
        first_failure = response ? "an error answer" : response.error_message();
    }
  };
  std::vector<std::string> keys;
  for (unsigned i = 0; i < peers; ++i)
    keys.push_back(net::wg::key_to_base64(new_public_key()));
  start = clock_type::now();
  for (unsigned i = 0; i < peers; ++i) {
    msg::add_peer request;
    request.peer.public_key = keys[i];
    request.peer.endpoint = "198.51.100." + std::to_string(1 + i % 250) + ":51821";
    request.peer.allowed_ips = allowed_of(peers + i);
    request.scope = msg::global_scope{};
    if (!conn->send_request(conn->next_id() + i, request, msg::body_codec::msgpack)) {
      std::fprintf(stderr, "send failed\n");
      return 1;
    }
    if (++in_flight == window)
      read_one();
  }
  while (in_flight > 0)
    read_one();
  took = seconds_since(start);
  long after_requests = rss_kib(pid);
  std::printf("add_peer x %u (256 in flight, msgpack): %zu ok, %zu "
              "failed%s%s  %.2f s, %.1f us/peer, RSS +%ld KiB (%.2f KiB/peer)\n",
              peers, ok, failed, first_failure.empty() ? "" : ": ", first_failure.c_str(), took,
              took * 1e6 / peers, after_requests - after_uapi,
              static_cast<double>(after_requests - after_uapi) / peers);

  start = clock_type::now();
  std::string listed = app::uapi_exchange(uapi, "get=1\n\n", std::chrono::seconds(60));
  took = seconds_since(start);
  std::printf("UAPI get: %zu peers, %zu allowed IPs, %zu bytes, %.3f s\n",
              count_of(listed, "public_key="), count_of(listed, "allowed_ip="), listed.size(),
              took);
}
