// What the root tests build again and again: a node (a namespace running
// overlayd), a container (a sleeping process in a namespace of its own), and
// a call that must get an answer.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "netns.hpp"

namespace overlayd::testing {

inline msg::response call(app::client_connection& c, const msg::request& r) {
  auto response = c.call(r);
  REQUIRE(response.ok());
  return *response;
}

inline std::string error_of(const msg::response& r) {
  auto* e = std::get_if<msg::error_result>(&r);
  return e ? e->message : std::string("(no error)");
}

struct overlay_node {
  explicit overlay_node(const char* label, std::vector<std::string> daemon_args = {})
      : ns(label), daemon(dir.path(), std::move(daemon_args), &ns) {}

  network_namespace ns;
  temp_dir dir;
  daemon_process daemon;
};

struct container {
  explicit container(const char* label) : ns(label) {
    ns.run("sleep 600 >/dev/null 2>&1 &");
    auto pids = ns.output_of("ip netns pids " + ns.name());
    pid = static_cast<std::uint32_t>(std::stoul(pids.empty() ? "0" : pids));
  }

  network_namespace ns;
  std::uint32_t pid = 0;
};

// A node of a test's cluster, as the main daemon makes one: its node id,
// the global overlay up on `slice` of 10.200.0.0/16, service "web" set up.
struct cluster_member {
  app::client_connection conn;
  std::uint64_t node_id;
  std::string slice;
  std::string key;
  std::string interface;
};

inline cluster_member join(overlay_node& n, std::uint64_t node_id, const std::string& slice,
                          const std::string& deployment) {
  auto conn = app::client_connection::connect(n.daemon.socket_path());
  REQUIRE(conn.ok());
  cluster_member m{std::move(*conn), node_id, slice, {}, {}};
  call(m.conn, msg::set_local_node_id{node_id});
  auto up = call(m.conn, msg::setup_global_overlay{deployment, std::to_string(node_id),
                                                   "10.200.0.0/16", slice, 51820, false, {}, {}});
  REQUIRE(std::holds_alternative<msg::bridge_name>(up));
  m.interface = std::get<msg::bridge_name>(up).name;
  auto status = std::get<msg::status_snapshot>(call(m.conn, msg::status{}));
  m.key = *status.public_key;
  REQUIRE(std::holds_alternative<msg::service_overlay_info>(
    call(m.conn, msg::setup_service_overlay{"web", msg::overlay_mode::automatic})));
  return m;
}

inline net::ip_address attach(cluster_member& m, const container& c) {
  auto r = call(m.conn, msg::attach_container{msg::linux_pid_handle{c.pid}, "web", false, false,
                                              {}, {}, {}});
  REQUIRE(std::holds_alternative<msg::attach_result>(r));
  return std::get<msg::attach_result>(r).ip;
}

} // namespace overlayd::testing
