// Ten thousand peers on a live device (issue 14): a daemon in its own
// namespace with a global overlay takes 10,000 peers through one UAPI set
// on its device's socket (as `wg setconf` sends them) and 2,000 more
// through add_peer requests, pipelined; a UAPI get then lists all 12,000
// with both allowed IPs each, and status is still answered. Times per peer
// are printed (tools/peer_scale_live.sh measures them), never asserted.
#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "net/base/ip_address.hpp"
#include "net/wireguard/keys.hpp"
#include "overlay_fixtures.hpp"
#include "root_tests.hpp"

using namespace overlayd;
using namespace overlayd::testing;
using clock_type = std::chrono::steady_clock;

namespace {

// One request on a UAPI socket; the answer up to its blank line.
std::string uapi_exchange(const std::string& path, const std::string& request) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = ::write(fd, request.data() + sent, request.size() - sent);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  char buffer[65536];
  while (answer.size() < 2 || answer.compare(answer.size() - 2, 2, "\n\n") != 0) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0)
      break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

std::string hex(const net::wg::key32& key) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : key) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

net::wg::key32 new_public_key() {
  return net::wg::public_key_from_private(net::wg::generate_private_key());
}

// Peer i: a /32 from 10.96.0.0/11 and a /26 from 100.64.0.0/10.
std::string host_of(unsigned i) { return net::ip_address::v4(0x0A600000u + i).to_string() + "/32"; }
std::string subnet_of(unsigned i) {
  return net::ip_address::v4(0x64400000u + (i << 6)).to_string() + "/26";
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

} // namespace

TEST_CASE("a live device takes 10,000 peers through UAPI and 2,000 through add_peer",
          "[integration][root]") {
  if (!root_or_skip("network namespaces, TUN"))
    return;
  overlay_node n("peers");
  auto m = join(n, 1, "10.200.1.0/24", "peers");
  // The global overlay's device is the only one: its UAPI socket is the one there.
  std::string uapi;
  for (const auto& entry : std::filesystem::directory_iterator(n.dir.path() + "/wg"))
    if (entry.path().extension() == ".sock")
      uapi = entry.path().string();
  REQUIRE_FALSE(uapi.empty());

  constexpr unsigned through_uapi = 10000;
  std::string set = "set=1\n";
  for (unsigned i = 0; i < through_uapi; ++i)
    set += "public_key=" + hex(new_public_key()) + "\nendpoint=198.51.100."
           + std::to_string(1 + i % 250) + ":51820\nallowed_ip=" + host_of(i)
           + "\nallowed_ip=" + subnet_of(i) + "\n";
  set += "\n";
  auto start = clock_type::now();
  CHECK(uapi_exchange(uapi, set) == "errno=0\n\n");
  std::printf("UAPI set: %u peers in %.2f s\n", through_uapi, seconds_since(start));

  constexpr unsigned through_requests = 2000;
  constexpr unsigned window = 256; // the daemon pauses a client far ahead of its answers
  std::size_t ok = 0, in_flight = 0;
  auto read_one = [&] {
    auto response = m.conn.read_response();
    REQUIRE(response.ok());
    --in_flight;
    INFO(error_of(response->response));
    CHECK(std::holds_alternative<msg::ok_result>(response->response));
    ok += std::holds_alternative<msg::ok_result>(response->response) ? 1 : 0;
  };
  start = clock_type::now();
  for (unsigned i = 0; i < through_requests; ++i) {
    unsigned at = through_uapi + i;
    msg::add_peer request{{net::wg::key_to_base64(new_public_key()), "198.51.100.7:51821",
                           host_of(at) + "," + subnet_of(at), 0, {}},
                          msg::global_scope{}};
    REQUIRE(m.conn.send_request(1000 + i, request, msg::body_codec::msgpack).ok());
    if (++in_flight == window)
      read_one();
  }
  while (in_flight > 0)
    read_one();
  CHECK(ok == through_requests);
  std::printf("add_peer: %u peers in %.2f s (key generation included)\n", through_requests,
              seconds_since(start));

  auto listed = uapi_exchange(uapi, "get=1\n\n");
  CHECK(count_of(listed, "public_key=") == through_uapi + through_requests);
  CHECK(count_of(listed, "allowed_ip=") == 2 * (through_uapi + through_requests));
  CHECK(listed.find("allowed_ip=" + subnet_of(through_uapi + through_requests - 1))
        != std::string::npos);
  auto status = m.conn.call(msg::status{});
  REQUIRE(status.ok());
  CHECK(std::holds_alternative<msg::status_snapshot>(*status));
}
