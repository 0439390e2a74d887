// issue 13, "duplicate container addresses after any restart": containers
// stay plugged in when overlayd stops (DECISIONS 14), so their addresses
// must stay leased when it starts again, until they are detached (root:
// the daemon and the containers run in namespaces of their own).
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <memory>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "netns.hpp"
#include "overlay_fixtures.hpp"
#include "support/files.hpp"

using overlayd::app::client_connection;
using overlayd::testing::call;
using overlayd::testing::container;
using overlayd::testing::daemon_process;
using overlayd::testing::network_namespace;
using overlayd::testing::temp_dir;
namespace msg = overlayd::msg;

namespace {

// Starts a daemon, sets "web" up and returns the connection.
struct running_node {
  running_node(const std::string& dir, const network_namespace& ns)
      : daemon(std::make_unique<daemon_process>(dir, std::vector<std::string>{}, &ns)) {
    REQUIRE(daemon->started());
    auto c = client_connection::connect(daemon->socket_path());
    REQUIRE(c.ok());
    conn = std::make_unique<client_connection>(std::move(*c));
    auto web = call(*conn, msg::setup_service_overlay{"web", msg::overlay_mode::automatic});
    INFO(msg::response_to_json(web));
    REQUIRE(std::holds_alternative<msg::service_overlay_info>(web));
  }

  std::string attach(const container& c) {
    auto r = call(*conn, msg::attach_container{msg::linux_pid_handle{c.pid}, "web", false, false,
                                               {}, {}, {}});
    INFO(msg::response_to_json(r));
    REQUIRE(std::holds_alternative<msg::attach_result>(r));
    return std::get<msg::attach_result>(r).ip.to_string();
  }

  void detach(const container& c) {
    REQUIRE(std::holds_alternative<msg::ok_result>(
      call(*conn, msg::detach_container{msg::linux_pid_handle{c.pid}})));
  }

  std::unique_ptr<daemon_process> daemon;
  std::unique_ptr<client_connection> conn;
};

std::string overlayd_links(const network_namespace& ns) {
  // Runs inside sh -c '...': no single quotes here.
  return ns.output_of("ip -o link show | cut -d: -f2 | cut -d@ -f1 | tr -d \" \" "
                      "| grep -E \"^(zl-|veth-|vc-)\" || true");
}

} // namespace

TEST_CASE("after a restart a new container never gets an attached one's address",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  for (int sig : {SIGTERM, SIGKILL}) {
    INFO("restart after signal " << sig);
    network_namespace node("lease-node");
    REQUIRE(node.ok());
    temp_dir dir;
    container a("lease-a");
    container b("lease-b");
    container c("lease-c");
    container d("lease-d");
    std::string a_ip, d_ip;
    {
      running_node first(dir.path(), node);
      // A service the next run never sets up: its bridge must still go
      // with the full teardown (bridges.json).
      REQUIRE(std::holds_alternative<msg::service_overlay_info>(
        call(*first.conn, msg::setup_service_overlay{"old", msg::overlay_mode::automatic})));
      a_ip = first.attach(a);
      d_ip = first.attach(d);
      CHECK(a_ip == "10.200.187.130");
      CHECK(d_ip == "10.200.187.131");
      first.daemon->signal(sig);
      first.daemon->wait_exit(10);
    }
    CHECK(overlayd::testing::read_file(dir.path() + "/attachments.json").find("\"confirmed\"")
          != std::string::npos);
    running_node second(dir.path(), node);
    // The defect: B was handed A's address.
    const auto b_ip = second.attach(b);
    CHECK(b_ip == "10.200.187.132");
    CHECK(a.ns.run("ip -o addr show dev eth0 | grep -q " + a_ip + "/26") == 0);
    CHECK(b.ns.run("ping -c 1 -W 2 " + a_ip + " >/dev/null") == 0);
    // A's lease lasts until A is detached; then it is handed out again.
    second.detach(a);
    CHECK(a.ns.run("ip link show eth0 >/dev/null 2>&1") != 0);
    CHECK(second.attach(c) == a_ip);
    // The full teardown also reverts D and the bridge of "old", made by
    // the daemon before.
    CHECK(overlayd_links(node).find("veth-" + std::to_string(d.pid) + "-s") != std::string::npos);
    CHECK(overlayd_links(node).find("zl---old-b") != std::string::npos);
    CHECK(std::holds_alternative<msg::ok_result>(call(*second.conn, msg::shutdown{})));
    CHECK(second.daemon->wait_exit(10) == 0);
    CHECK(overlayd_links(node).empty());
    CHECK(d.ns.run("ip link show eth0 >/dev/null 2>&1") != 0);
  }
}

TEST_CASE("at start an unconfirmed attach is reverted and a record without veths dropped",
          "[integration][root]") {
  if (!overlayd::testing::root_or_skip("network namespaces"))
    return;
  network_namespace node("revert-node");
  REQUIRE(node.ok());
  temp_dir dir;
  container cut("revert-cut");   // killed between its veth and the confirmation
  container gone("revert-gone"); // confirmed once, its veth since deleted
  container next("revert-next");
  container after("revert-after");
  const auto cut_veth = "veth-" + std::to_string(cut.pid) + "-s";
  REQUIRE(node.run("ip link add " + cut_veth + " type veth peer name eth0 netns "
                   + cut.ns.name()) == 0);
  REQUIRE(cut.ns.run("ip addr add 10.200.187.130/26 dev eth0 && ip link set eth0 up") == 0);
  {
    std::ofstream out(dir.path() + "/attachments.json");
    out << "{\"version\": 1, \"attachments\": [\n"
        << "{\"pid\": " << cut.pid
        << ", \"service\": \"web\", \"service_ip\": \"10.200.187.130\", \"state\": \"intent\"},\n"
        << "{\"pid\": " << gone.pid
        << ", \"service\": \"web\", \"service_ip\": \"10.200.187.131\", \"state\": "
           "\"confirmed\"}]}";
  }
  running_node daemon(dir.path(), node);
  // Attaches wait for the check against the host; both addresses are free again.
  CHECK(daemon.attach(next) == "10.200.187.130");
  CHECK(daemon.attach(after) == "10.200.187.131");
  CHECK(node.run("ip link show " + cut_veth + " >/dev/null 2>&1") != 0);
  CHECK(cut.ns.run("ip link show eth0 >/dev/null 2>&1") != 0);
  const auto records = overlayd::testing::read_file(dir.path() + "/attachments.json");
  CHECK(records.find("\"pid\": " + std::to_string(next.pid)) != std::string::npos);
  CHECK(records.find("\"pid\": " + std::to_string(cut.pid)) == std::string::npos);
  CHECK(records.find("\"pid\": " + std::to_string(gone.pid)) == std::string::npos);
}
