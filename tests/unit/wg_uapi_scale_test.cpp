// Ten thousand peers through one UAPI set, as `wg setconf` sends them:
// the request fits the reader's bound, arrives in socket-sized chunks,
// and the device engine then holds and lists every peer with its
// allowed IPs (issue 14).
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "net/wireguard/device_core.hpp"
#include "net/wireguard/keys.hpp"
#include "net/wireguard/uapi_protocol.hpp"

using namespace overlayd::net;
using namespace overlayd::net::wg;

namespace {

// Peer i: 10.0.0.0/8 + i as a /32 and the i-th /26 of 172.16.0.0/12.
std::string peer_lines(unsigned i) {
  auto key = public_key_from_private(generate_private_key());
  return "public_key=" + key_to_hex(key) + "\nreplace_allowed_ips=true\nendpoint=198.51.100."
         + std::to_string(1 + i % 250) + ":51820\nallowed_ip="
         + ip_address::v4(0x0A000000u + i).to_string() + "/32\nallowed_ip="
         + ip_address::v4(0xAC100000u + (i << 6)).to_string() + "/26\n";
}

} // namespace

TEST_CASE("UAPI: one set of 10,000 peers is read, applied and listed", "[wireguard][uapi]") {
  constexpr unsigned peers = 10000;
  std::string text =
    "set=1\nprivate_key=" + key_to_hex(generate_private_key()) + "\nlisten_port=51820\n";
  for (unsigned i = 0; i < peers; ++i)
    text += peer_lines(i);
  text += "\n";
  CHECK(text.size() > (std::size_t{1} << 20)); // past the old 1 MiB bound

  uapi_request_reader reader;
  uapi_request request;
  uapi_error error;
  auto status = uapi_request_reader::status::need_more;
  constexpr std::size_t chunk = 64 * 1024;
  for (std::size_t at = 0; at < text.size() && status == uapi_request_reader::status::need_more;
       at += chunk) {
    reader.feed(std::string_view(text).substr(at, chunk));
    status = reader.next(request, error);
  }
  INFO(error.message);
  REQUIRE(status == uapi_request_reader::status::request);
  auto parsed = parse_set_request(request.body);
  INFO(parsed.error.message);
  REQUIRE(parsed.ok());
  REQUIRE(parsed.request->peers.size() == peers);

  device_core core;
  REQUIRE(core.apply(*parsed.request, steady_time{}).code == uapi_errno::ok);
  CHECK(core.peer_count() == peers);
  auto listed = core.status();
  REQUIRE(listed.peers.size() == peers);
  std::size_t allowed = 0;
  for (const auto& p : listed.peers)
    allowed += p.allowed_ips.size();
  CHECK(allowed == 2 * peers);
  // The get answer lists them all too.
  auto answer = format_get_response(listed);
  std::size_t keys = 0;
  for (auto at = answer.find("public_key="); at != std::string::npos;
       at = answer.find("public_key=", at + 1))
    ++keys;
  CHECK(keys == peers);
}
