// The DNS responder (README "DNS") asked by real clients: dig over UDP and
// TCP inside the node's namespace, dnsmasq as the upstream in a namespace
// of its own, and a container asking for another service's name through
// the node (root only: namespaces, and the overlay's device).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "overlay_fixtures.hpp"
#include "netns.hpp"

using overlayd::app::client_connection;
using overlayd::testing::call;
using overlayd::testing::container;
using overlayd::testing::network_namespace;
using overlayd::testing::temp_dir;
namespace msg = overlayd::msg;
using node = overlayd::testing::overlay_node;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A resolv.conf with only this host's stub: no upstream is left.
std::string loopback_only_resolv_conf(const temp_dir& dir) {
  std::string path = dir.path() + "/resolv.conf";
  std::ofstream(path) << "nameserver 127.0.0.53\nnameserver ::1\n";
  return path;
}

std::string dig(const network_namespace& ns, const std::string& server, const std::string& args) {
  return ns.output_of("dig +time=3 +tries=1 @" + server + " " + args + " 2>&1");
}

void must_answer_ok(client_connection& c, const msg::request& r) {
  auto answer = call(c, r);
  REQUIRE(std::holds_alternative<msg::ok_result>(answer));
}

// The node IP once the global overlay is up.
std::string set_up_global(client_connection& c, const char* slice) {
  call(c, msg::set_local_node_id{1});
  REQUIRE(std::holds_alternative<msg::bridge_name>(call(
    c, msg::setup_global_overlay{"dns", "1", "10.200.0.0/16", slice, 51820, false, {}, {}})));
  auto status = std::get<msg::status_snapshot>(call(c, msg::status{}));
  REQUIRE(status.node_ip);
  return status.node_ip->to_string();
}

} // namespace

TEST_CASE("dns: dig gets A, AAAA, PTR, NXDOMAIN and REFUSED over UDP and TCP",
          "[integration][root][dns]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  temp_dir conf;
  node n("dns1", {"--dns-listen", "127.0.0.1:5300", "--dns-listen", "127.0.0.1:5300",
                  "--dns-resolv-conf", loopback_only_resolv_conf(conf), "--metrics-listen",
                  "127.0.0.1:9597"});
  REQUIRE(n.daemon.started());
  auto c = client_connection::connect(n.daemon.socket_path());
  REQUIRE(c.ok());
  must_answer_ok(*c, msg::register_dns{"web", *overlayd::net::ip_address::parse("10.200.0.5")});
  must_answer_ok(*c, msg::register_dns{"db.overlay.local.",
                                       *overlayd::net::ip_address::parse("fd00::7")});
  const std::string at = "127.0.0.1 -p 5300";

  for (const char* via : {"+notcp", "+tcp"}) {
    INFO(via);
    CHECK(dig(n.ns, at, std::string(via) + " +short web.overlay.local A") == "10.200.0.5\n");
    CHECK(dig(n.ns, at, std::string(via) + " +short WEB.Overlay.Local A") == "10.200.0.5\n");
    CHECK(dig(n.ns, at, std::string(via) + " +short db.overlay.local AAAA") == "fd00::7\n");
    CHECK(dig(n.ns, at, std::string(via) + " +short -x 10.200.0.5") == "web.overlay.local.\n");
    CHECK(dig(n.ns, at, std::string(via) + " +short -x fd00::7") == "db.overlay.local.\n");
    auto full = dig(n.ns, at, std::string(via) + " web.overlay.local A");
    CHECK(contains(full, "flags: qr aa rd;"));
    CHECK(contains(full, "300\tIN\tA\t10.200.0.5"));
    auto missing = dig(n.ns, at, std::string(via) + " nobody.overlay.local A");
    CHECK(contains(missing, "status: NXDOMAIN"));
    CHECK(contains(missing, "IN\tSOA\tns.overlay.local. hostmaster.overlay.local. 3 "));
    auto nodata = dig(n.ns, at, std::string(via) + " web.overlay.local AAAA");
    CHECK(contains(nodata, "status: NOERROR"));
    CHECK(contains(nodata, "ANSWER: 0, AUTHORITY: 1"));
    // Nothing to forward to: REFUSED, never a public resolver.
    CHECK(contains(dig(n.ns, at, std::string(via) + " example.com A"), "status: REFUSED"));
  }
  // An unregistration is seen by the very next query.
  must_answer_ok(*c, msg::unregister_dns{"web"});
  CHECK(contains(dig(n.ns, at, "web.overlay.local A"), "status: NXDOMAIN"));
  CHECK(contains(dig(n.ns, at, "overlay.local SOA"), "hostmaster.overlay.local. 4 "));

  // overlayctl: records, the listener that serves, and the one that could not.
  auto listing = n.ns.output_of(std::string(OVERLAYCTL_BIN) + " --socket "
                                + n.daemon.socket_path() + " dns");
  CHECK(contains(listing, "db.overlay.local.  fd00::7"));
  CHECK(contains(listing, "127.0.0.1:5300  serving"));
  CHECK(contains(listing, "127.0.0.1:5300  not serving: dns listen 127.0.0.1:5300: bind UDP: "
                          "Address already in use"));
  CHECK(contains(listing, "upstreams: none"));
  auto resolved = n.ns.output_of(std::string(OVERLAYCTL_BIN) + " --socket "
                                 + n.daemon.socket_path() + " dns resolve db AAAA");
  CHECK(contains(resolved, "NOERROR"));
  CHECK(contains(resolved, "fd00::7"));
  CHECK(n.ns.run(std::string(OVERLAYCTL_BIN) + " --socket " + n.daemon.socket_path()
                 + " dns resolve nobody >/dev/null")
        == 1);

  // The queries were counted by result.
  auto metrics = n.ns.output_of("curl -s http://127.0.0.1:9597/metrics");
  CHECK(contains(metrics, "overlayd_dns_queries_total{result=\"answered\"} "));
  CHECK_FALSE(contains(metrics, "overlayd_dns_queries_total{result=\"answered\"} 0\n"));
  CHECK_FALSE(contains(metrics, "overlayd_dns_queries_total{result=\"refused\"} 0\n"));
}

TEST_CASE("dns: out-of-zone names are forwarded to the upstream; the overlay listener follows "
          "the global overlay",
          "[integration][root][dns]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  network_namespace upstream("dnsup");
  temp_dir scratch;
  node n("dns2", {"--dns-listen", "overlay:53", "--dns-upstream", "192.168.81.2"});
  REQUIRE(n.daemon.started());
  REQUIRE(overlayd::testing::connect_namespaces(n.ns, "192.168.81.1/24", upstream,
                                                "192.168.81.2/24"));
  // dnsmasq knows example.test, says NXDOMAIN for gone.test, refuses the rest.
  REQUIRE(upstream.run("dnsmasq --keep-in-foreground --no-resolv --no-hosts "
                       "--conf-file=/dev/null --user=root --pid-file=" + scratch.path()
                       + "/dnsmasq.pid --listen-address=192.168.81.2 --bind-interfaces "
                         "--address=/example.test/192.0.2.77 --address=/gone.test/ "
                         ">/dev/null 2>&1 &")
          == 0);
  auto c = client_connection::connect(n.daemon.socket_path());
  REQUIRE(c.ok());
  const std::string overlayctl =
    std::string(OVERLAYCTL_BIN) + " --socket " + n.daemon.socket_path() + " dns";
  CHECK(contains(n.ns.output_of(overlayctl), "overlay:53  not serving: waiting for the global "
                                             "overlay"));
  auto node_ip = set_up_global(*c, "10.200.3.0/24");
  must_answer_ok(*c, msg::register_dns{"api", *overlayd::net::ip_address::parse("10.200.3.9")});
  for (const char* via : {"+notcp", "+tcp"}) {
    INFO(via);
    CHECK(dig(n.ns, node_ip, std::string(via) + " +short api.overlay.local") == "10.200.3.9\n");
    auto forwarded = dig(n.ns, node_ip, std::string(via) + " www.example.test A");
    CHECK(contains(forwarded, "status: NOERROR"));
    CHECK(contains(forwarded, "flags: qr rd ra;")); // not authoritative, recursion available
    CHECK(contains(forwarded, "192.0.2.77"));
    CHECK(contains(dig(n.ns, node_ip, std::string(via) + " gone.test A"), "status: NXDOMAIN"));
    // The upstream refuses: SERVFAIL (mechanics 7.13's mapping).
    CHECK(contains(dig(n.ns, node_ip, std::string(via) + " other.invalid A"),
                   "status: SERVFAIL"));
  }
  CHECK(contains(n.ns.output_of(overlayctl), node_ip + ":53  serving"));

  must_answer_ok(*c, msg::teardown_global_overlay{});
  // Nobody answers there any more (the address went with the device).
  CHECK_FALSE(contains(dig(n.ns, node_ip, "api.overlay.local"), "status:"));
  CHECK(contains(n.ns.output_of(overlayctl), "overlay:53  not serving: waiting"));
  // A new setup binds the node IP again at once, and the records stayed.
  CHECK(set_up_global(*c, "10.200.3.0/24") == node_ip);
  CHECK(dig(n.ns, node_ip, "+short api.overlay.local") == "10.200.3.9\n");
}

TEST_CASE("dns: a container resolves another service's name through its node",
          "[integration][root][dns]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  temp_dir conf;
  node n("dns3", {"--dns-listen", "overlay:53", "--dns-resolv-conf",
                  loopback_only_resolv_conf(conf)});
  REQUIRE(n.daemon.started());
  auto c = client_connection::connect(n.daemon.socket_path());
  REQUIRE(c.ok());
  auto node_ip = set_up_global(*c, "10.200.4.0/24");
  for (const char* service : {"web", "api"})
    REQUIRE(std::holds_alternative<msg::service_overlay_info>(
      call(*c, msg::setup_service_overlay{service, msg::overlay_mode::automatic})));
  container web("dns-web");
  container api("dns-api");
  auto attach = [&](const container& x, const char* service) {
    auto r = call(*c, msg::attach_container{msg::linux_pid_handle{x.pid}, service, false, false,
                                            {}, {}, {}});
    REQUIRE(std::holds_alternative<msg::attach_result>(r));
    return std::get<msg::attach_result>(r).ip;
  };
  attach(web, "web");
  auto api_ip = attach(api, "api");
  // What the main daemon does once api's container runs.
  must_answer_ok(*c, msg::register_dns{"api", api_ip});
  CHECK(dig(web.ns, node_ip, "+short api.overlay.local") == api_ip.to_string() + "\n");
  CHECK(dig(web.ns, node_ip, "+tcp +short api.overlay.local") == api_ip.to_string() + "\n");
}

TEST_CASE("dns: an upstream that never answers costs 2 attempts of 2 s, then SERVFAIL",
          "[integration][root][dns]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  // Nobody listens on 127.0.0.1:5399 in the node's namespace.
  node n("dns4", {"--dns-listen", "127.0.0.1:5300", "--dns-upstream", "127.0.0.1:5399"});
  REQUIRE(n.daemon.started());
  auto started = std::chrono::steady_clock::now();
  auto answer = dig(n.ns, "127.0.0.1 -p 5300", "+time=10 example.com A");
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CHECK(contains(answer, "status: SERVFAIL"));
  CHECK(took > 3.5);
  CHECK(took < 6.0);
  // The zone still answers meanwhile and afterwards.
  CHECK(contains(dig(n.ns, "127.0.0.1 -p 5300", "nobody.overlay.local"), "status: NXDOMAIN"));
}
