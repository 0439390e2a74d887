#include <catch2/catch.hpp>

#include "net/dns/upstreams.hpp"
#include "net/dns/zone.hpp"

using namespace overlayd::net;
using namespace overlayd::net::dns;

TEST_CASE("dns zone: names without a trailing dot get the origin, lowercased", "[dns]") {
  CHECK(qualify("Web", "overlay.local.") == "web.overlay.local.");
  CHECK(qualify("web.Overlay.Local.", "overlay.local.") == "web.overlay.local.");
  CHECK(qualify("web.overlay.local", "overlay.local.") == "web.overlay.local.overlay.local.");
  zone z({"Custom.Zone", 60}, {{"api", *ip_address::parse("10.0.0.1")}}, 4);
  CHECK(z.origin() == "custom.zone.");
  CHECK(z.ttl() == 60);
  CHECK(z.serial() == 4);
  REQUIRE(z.records().size() == 1);
  CHECK(z.records()[0].first == "api.custom.zone.");
  CHECK(z.contains("custom.zone."));
  CHECK_FALSE(z.contains("xcustom.zone."));
}

TEST_CASE("dns upstreams: resolv.conf minus loopback and unspecified, deduplicated, port 53",
          "[dns]") {
  auto got = upstreams_from_resolv_conf("# comment\n"
                                        "nameserver 127.0.0.53\n"
                                        "nameserver 192.0.2.53\n"
                                        "search example\n"
                                        "nameserver ::1\n"
                                        "nameserver 0.0.0.0\n"
                                        "nameserver fe80::1%eth0\n"
                                        "nameserver 192.0.2.53\n"
                                        "nameserver not-an-ip\n"
                                        "  nameserver   198.51.100.1  \n");
  REQUIRE(got.size() == 3);
  CHECK(got[0].to_string() == "192.0.2.53:53");
  CHECK(got[1].to_string() == "[fe80::1]:53");
  CHECK(got[2].to_string() == "198.51.100.1:53");
  CHECK(upstreams_from_resolv_conf("nameserver 127.0.0.1\n").empty());
}

TEST_CASE("dns upstreams: IP or IP:PORT", "[dns]") {
  CHECK(parse_upstream("192.0.2.1")->to_string() == "192.0.2.1:53");
  CHECK(parse_upstream("192.0.2.1:5353")->to_string() == "192.0.2.1:5353");
  CHECK(parse_upstream("fd00::1")->to_string() == "[fd00::1]:53");
  CHECK(parse_upstream("[fd00::1]:54")->to_string() == "[fd00::1]:54");
  CHECK_FALSE(parse_upstream("dns.example"));
  CHECK_FALSE(parse_upstream("192.0.2.1:0"));
}
