// A Dedicated service's own WireGuard device: its identity (key, port,
// interface) survives a daemon restart through the state file; teardown
// gives the port back (root: the daemon runs in a namespace of its own).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "netns.hpp"
#include "support/files.hpp"

using overlayd::app::client_connection;
using overlayd::testing::daemon_process;
using overlayd::testing::network_namespace;
using overlayd::testing::temp_dir;
namespace msg = overlayd::msg;

using overlayd::testing::read_file;

namespace {

msg::service_overlay_info dedicated(client_connection& conn, const std::string& service) {
  auto r = conn.call(msg::setup_service_overlay{service, msg::overlay_mode::dedicated});
  REQUIRE(r.ok());
  INFO(msg::response_to_json(*r));
  REQUIRE(std::holds_alternative<msg::service_overlay_info>(*r));
  return std::get<msg::service_overlay_info>(*r);
}

} // namespace

TEST_CASE("a dedicated service keeps its key, port and interface across restarts",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  network_namespace ns("dedicated");
  REQUIRE(ns.ok());
  temp_dir dir;
  msg::service_overlay_info web;
  const std::string web_device = "zl---web-d";
  {
    daemon_process daemon(dir.path(), {}, &ns);
    REQUIRE(daemon.started());
    auto conn = client_connection::connect(daemon.socket_path());
    REQUIRE(conn.ok());
    web = dedicated(*conn, "web");
    CHECK(web.mode == msg::overlay_mode::dedicated);
    CHECK(web.wg_port == std::uint16_t{51421});
    CHECK(web.subnet == std::string("10.200.187.128/26"));
    CHECK(web.overlay_ip->to_string() == "10.200.187.129");
    // The bridge owns the subnet; the device has the same address as a /32
    // (DECISIONS 17).
    CHECK(ns.run("ip -o addr show dev " + web.name + " | grep -q 10.200.187.129/26") == 0);
    CHECK(ns.run("ip -o addr show dev " + web_device + " | grep -q 10.200.187.129/32") == 0);
    // Asking again answers the same device.
    CHECK(dedicated(*conn, "web").wg_public_key == web.wg_public_key);
    auto api = dedicated(*conn, "api");
    CHECK(api.wg_port == std::uint16_t{51422});
    CHECK(api.wg_public_key != web.wg_public_key);

    // Peers and allowed IPs of the service's own device (service scope).
    const std::string guest = "Z3Vlc3RndWVzdGd1ZXN0Z3Vlc3RndWVzdGd1ZXN0Z3U="; // 32 bytes
    auto added = conn->call(msg::add_peer{
      msg::peer_spec{guest, "192.0.2.50:51820", "10.200.187.130/32", 0, {}},
      msg::service_scope{"web"}});
    REQUIRE(added.ok());
    CHECK(std::holds_alternative<msg::ok_result>(*added));
    auto widened = conn->call(
      msg::add_allowed_ip{guest, "10.200.187.131/32", msg::service_scope{"web"}});
    REQUIRE(widened.ok());
    CHECK(std::holds_alternative<msg::ok_result>(*widened));
    auto unknown = conn->call(
      msg::add_allowed_ip{web.wg_public_key.value(), "10.9.0.0/24", msg::service_scope{"web"}});
    REQUIRE(unknown.ok());
    CHECK(std::get<msg::error_result>(*unknown).message.rfind(
            "overlay engine error: add_allowed_ip failed: cannot add allowed_ip 10.9.0.0/24 "
            "to unknown peer ", 0) == 0);

    auto status = conn->call(msg::status{});
    REQUIRE(status.ok());
    auto& s = std::get<msg::status_snapshot>(*status);
    CHECK(s.service_count == 2);
    CHECK(s.peer_count == 0); // the global device is not up; the guest is web's
    REQUIRE(s.dedicated_services.size() == 2);
    CHECK(s.dedicated_services[1].service == "web");
    CHECK(s.dedicated_services[1].listen_port == 51421);
    CHECK(s.dedicated_services[1].interface == web_device);
    CHECK(s.dedicated_services[1].peer_count == 1);

    struct stat st {};
    REQUIRE(::stat((dir.path() + "/agent_network.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait_exit(10) == 0);
  }
  // The device went with the process, the bridge stayed (DECISIONS 14);
  // the identity stayed on disk.
  CHECK(ns.run("ip link show " + web_device + " >/dev/null 2>&1") != 0);
  CHECK(ns.run("ip link show " + web.name + " >/dev/null 2>&1") == 0);
  CHECK(read_file(dir.path() + "/agent_network.json").find("\"owner\": \"service:web\"")
        != std::string::npos);

  daemon_process daemon(dir.path(), {}, &ns);
  REQUIRE(daemon.started());
  auto conn = client_connection::connect(daemon.socket_path());
  REQUIRE(conn.ok());
  auto again = dedicated(*conn, "web");
  CHECK(again.wg_public_key == web.wg_public_key);
  CHECK(again.wg_port == web.wg_port);
  CHECK(again.name == web.name);
  // api's saved port stays taken although api is not up yet.
  CHECK(dedicated(*conn, "db").wg_port == std::uint16_t{51423});

  // Teardown ends the device, forgets the identity and frees the port.
  auto down = conn->call(msg::teardown_service_overlay{"web"});
  REQUIRE(down.ok());
  CHECK(std::holds_alternative<msg::ok_result>(*down));
  CHECK(ns.run("ip link show " + web.name + " >/dev/null 2>&1") != 0);
  CHECK(ns.run("ip link show " + web_device + " >/dev/null 2>&1") != 0);
  CHECK(dedicated(*conn, "cache").wg_port == std::uint16_t{51421});
  CHECK(read_file(dir.path() + "/agent_network.json").find("\"owner\": \"service:web\"")
        == std::string::npos);
}
