// The ZLayer main daemon's view (issue 15): one connection, the exact JSON
// its Rust client writes (compact, serde's field order, `slice_cidr: null`
// present), in the order the main daemon sends it, and every answer must
// decode into the contract's types with the values the main daemon reads.
// Then the repeated and out-of-order calls a restart or a race produces.
#include <catch2/catch.hpp>

#include <string>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "messages/codec.hpp"
#include "messages/frame_codec.hpp"
#include "overlay_fixtures.hpp"

namespace msg = overlayd::msg;
using overlayd::app::client_connection;
using overlayd::testing::container;

namespace {

// The main daemon's side of the socket: raw JSON bodies out, decoded
// answers back, ids counted as its client counts them.
class main_daemon {
public:
  explicit main_daemon(const std::string& socket_path) {
    auto conn = client_connection::connect(socket_path);
    REQUIRE(conn.ok());
    conn_ = std::move(*conn);
  }

  // `request` is the JSON object the Rust client writes for the request;
  // the answer's raw JSON is kept in last_raw.
  msg::response send(const std::string& request) {
    const auto id = next_id_++;
    std::string frame;
    msg::append_frame(frame, "{\"frame\":\"request\",\"id\":" + std::to_string(id)
                               + ",\"request\":" + request + "}");
    REQUIRE(conn_.send_raw(frame).ok());
    auto body = conn_.read_body();
    REQUIRE(body.ok());
    last_raw = *body;
    INFO(last_raw);
    auto decoded = msg::decode_frame(*body, msg::body_codec::json);
    REQUIRE(decoded.decoded);
    auto* answer = std::get_if<msg::response_frame>(&*decoded.decoded);
    REQUIRE(answer != nullptr);
    CHECK(answer->id == id);
    return answer->response;
  }

  template <class T>
  T expect(const std::string& request) {
    auto r = send(request);
    INFO(request << " -> " << last_raw);
    REQUIRE(std::holds_alternative<T>(r));
    return std::get<T>(r);
  }

  std::string last_raw;

private:
  client_connection conn_;
  std::uint64_t next_id_ = 1;
};

const char* const setup_global =
  R"({"op":"setup_global_overlay","deployment":"zlayer","instance_id":"4711",)"
  R"("cluster_cidr":"10.200.0.0/16","slice_cidr":null,"wg_port":51420,"nat_enabled":true})";

std::string setup_service(const std::string& service, const std::string& mode) {
  return R"({"op":"setup_service_overlay","service":")" + service + R"(","mode":")" + mode
         + R"("})";
}

const char* const peer_key = "cGVlci1vZi10aGUtbWFpbi1kYWVtb24tdGVzdHM0NTY=";

} // namespace

TEST_CASE("the main daemon's requests in its order get answers it decodes",
          "[integration][root][contract]") {
  if (!overlayd::testing::root_or_skip("network namespaces, TUN"))
    return;
  overlayd::testing::overlay_node node("conform");
  REQUIRE(node.daemon.started());
  main_daemon zlayer(node.daemon.socket_path());

  // Start-up: identity, the global overlay, its status.
  zlayer.expect<msg::ok_result>(R"({"op":"set_local_node_id","node_id":0})");
  const auto global = zlayer.expect<msg::bridge_name>(setup_global).name;
  CHECK(global.size() <= 15);
  CHECK(global.substr(global.size() - 2) == "-g");
  auto status = zlayer.expect<msg::status_snapshot>(R"({"op":"status"})");
  CHECK(status.interface == global);
  // The main daemon binds its DNS listeners on node_ip.
  REQUIRE(status.node_ip);
  CHECK(status.node_ip->to_string() == "10.200.0.1");
  CHECK(status.overlay_cidr == std::string("10.200.0.0/16"));
  // No STUN servers configured: nothing public is contacted (DECISIONS 5).
  CHECK_FALSE(msg::is_error(zlayer.send(R"({"op":"nat_tick"})")));
  zlayer.expect<msg::ok_result>(R"({"op":"set_local_wg_pubkey","pubkey":"bm9kZS1rZXk="})");

  // One service of every mode.
  auto web = zlayer.expect<msg::service_overlay_info>(setup_service("web", "auto"));
  CHECK(web.mode == msg::overlay_mode::automatic);
  auto cache = zlayer.expect<msg::service_overlay_info>(setup_service("cache", "shared"));
  CHECK(cache.mode == msg::overlay_mode::shared);
  auto jobs = zlayer.expect<msg::service_overlay_info>(setup_service("jobs", "isolated"));
  CHECK(jobs.mode == msg::overlay_mode::isolated);
  CHECK(zlayer.last_raw.find(R"("mode":"isolated")") != std::string::npos);
  auto db = zlayer.expect<msg::service_overlay_info>(setup_service("db", "dedicated"));
  CHECK(db.mode == msg::overlay_mode::dedicated);
  CHECK(db.wg_public_key);
  CHECK(db.wg_port);

  // A container joins web and the global overlay, with the DNS defaults.
  container c("conform-c");
  REQUIRE(c.pid != 0);
  auto attached = zlayer.expect<msg::attach_result>(
    R"({"op":"attach_container","handle":{"platform":"linux_pid","pid":)" + std::to_string(c.pid)
    + R"(},"service":"web","join_global":true,"ephemeral":false,)"
      R"("dns_server":"10.200.0.1","dns_domain":"zlayer.internal"})");
  CHECK(attached.ip.to_string().rfind("10.200.", 0) == 0);

  // Peers of the global overlay and of the Dedicated service.
  const std::string global_scope = R"("scope":{"scope":"global"})";
  zlayer.expect<msg::ok_result>(
    std::string(R"({"op":"add_peer","public_key":")") + peer_key
    + R"(","endpoint":"192.0.2.10:51420","allowed_ips":"10.200.9.0/24",)"
      R"("persistent_keepalive_secs":0,"candidates":[],)" + global_scope + "}");
  zlayer.expect<msg::ok_result>(std::string(R"({"op":"add_allowed_ip","pubkey":")") + peer_key
                                + R"(","cidr":"10.201.9.0/24",)" + global_scope + "}");
  zlayer.expect<msg::ok_result>(
    std::string(R"({"op":"add_peer","public_key":")") + peer_key
    + R"(","endpoint":"192.0.2.10:51421","allowed_ips":"10.202.9.0/24",)"
      R"("persistent_keepalive_secs":0,"candidates":[],"scope":{"scope":"service","service":"db"}})");

  // Its API's service figures: every per-service overlay counts.
  status = zlayer.expect<msg::status_snapshot>(R"({"op":"status"})");
  CHECK(status.peer_count == 1);
  CHECK(status.service_count == 4);
  REQUIRE(status.dedicated_services.size() == 1);
  CHECK(status.dedicated_services[0].service == "db");
  CHECK(status.dedicated_services[0].peer_count == 1);

  zlayer.expect<msg::ok_result>(std::string(R"({"op":"remove_peer","pubkey":")") + peer_key
                                + R"(",)" + global_scope + "}");
  CHECK(zlayer.expect<msg::status_snapshot>(R"({"op":"status"})").peer_count == 0);

  // Out of order and repeated, as races and restarts produce them.
  CHECK(zlayer.expect<msg::error_result>(
              std::string(R"({"op":"add_peer","public_key":")") + peer_key
              + R"(","endpoint":"192.0.2.10:51420","allowed_ips":"10.203.0.0/24",)"
                R"("persistent_keepalive_secs":0,"candidates":[],)"
                R"("scope":{"scope":"service","service":"nope"}})")
          .message
        == "no dedicated overlay for service nope");
  container early("conform-e");
  REQUIRE(early.pid != 0);
  CHECK(zlayer.expect<msg::error_result>(
              R"({"op":"attach_container","handle":{"platform":"linux_pid","pid":)"
              + std::to_string(early.pid)
              + R"(},"service":"later","join_global":false,"ephemeral":false})")
          .message
        == "no service bridge for service later; call setup_service_overlay() first");
  CHECK(zlayer.expect<msg::bridge_name>(setup_global).name == global);
  CHECK(zlayer.expect<msg::service_overlay_info>(setup_service("db", "dedicated")).wg_public_key
        == db.wg_public_key);

  // Exit: the teardown clears what it tears down (DECISIONS 13).
  zlayer.expect<msg::ok_result>(R"({"op":"teardown_global_overlay"})");
  status = zlayer.expect<msg::status_snapshot>(R"({"op":"status"})");
  CHECK_FALSE(status.interface);
  CHECK(status.dedicated_services.empty());
  CHECK(status.service_count == 0);
  zlayer.expect<msg::ok_result>(R"({"op":"teardown_global_overlay"})");
  // The next start-up gets the global device again, and a Dedicated service
  // its saved identity back.
  CHECK(zlayer.expect<msg::bridge_name>(setup_global).name == global);
  CHECK(zlayer.expect<msg::service_overlay_info>(setup_service("db", "dedicated")).wg_public_key
        == db.wg_public_key);
}
