// Ten thousand peers on a live device (issue 14): a daemon in its own
// namespace with a global overlay takes 10,000 peers through one UAPI set
// on its device's socket (as `wg setconf` sends them) and 2,000 more
// through add_peer requests, pipelined; a UAPI get then lists all 12,000
// with both allowed IPs each, and status is still answered. Times per peer
// are printed (tools/peer_scale_live.sh measures them), never asserted.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/uapi_transfer.hpp"
#include "net/base/ip_address.hpp"
#include "net/wireguard/keys.hpp"
#include "overlay_fixtures.hpp"
#include "root_tests.hpp"

using namespace overlayd;
using namespace overlayd::testing;
using clock_type = std::chrono::steady_clock;

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

net::wg::key32 new_public_key() {
  return net::wg::public_key_from_private(net::wg::generate_private_key());
}

// Peer i: a /32 from 10.96.0.0/11 and a /26 from 100.64.0.0/10.
std::string host_of(unsigned i) { return net::ip_address::v4(0x0A600000u + i).to_string() + "/32"; }
std::string subnet_of(unsigned i) {
  return net::ip_address::v4(0x64400000u + (i << 6)).to_string() + "/26";
}

// A set of 10,000 peers is applied before its answer: seconds under the sanitizers.
constexpr std::chrono::seconds uapi_patience{30};

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
    set += "public_key=" + net::wg::key_to_hex(new_public_key()) + "\nendpoint=198.51.100."
           + std::to_string(1 + i % 250) + ":51820\nallowed_ip=" + host_of(i)
           + "\nallowed_ip=" + subnet_of(i) + "\n";
  set += "\n";
  auto start = clock_type::now();
  CHECK(app::uapi_exchange(uapi, set, uapi_patience) == "errno=0\n\n");
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

  auto listed = app::uapi_exchange(uapi, "get=1\n\n", uapi_patience);
  CHECK(count_of(listed, "public_key=") == through_uapi + through_requests);
  CHECK(count_of(listed, "allowed_ip=") == 2 * (through_uapi + through_requests));
  CHECK(listed.find("allowed_ip=" + subnet_of(through_uapi + through_requests - 1))
        != std::string::npos);
  auto status = m.conn.call(msg::status{});
  REQUIRE(status.ok());
  CHECK(std::holds_alternative<msg::status_snapshot>(*status));
}
