// The real overlayd on a temp socket: every request kind in both codecs, bad
// frames of every sort, many connections at once, and the ways it stops.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include "app/client_connection.hpp"
#include "daemon_process.hpp"
#include "netns.hpp"

using overlayd::app::client_connection;
using overlayd::testing::daemon_process;
using overlayd::testing::temp_dir;
namespace msg = overlayd::msg;

namespace {

const char* result_tag(const msg::response& r) {
  return std::visit([](const auto& alternative) { return alternative.tag; }, r);
}

std::string error_text(const msg::response& r) {
  auto* e = std::get_if<msg::error_result>(&r);
  return e != nullptr ? e->message : std::string();
}

client_connection connect_to(const daemon_process& d) {
  auto conn = client_connection::connect(d.socket_path());
  REQUIRE(conn.ok());
  return std::move(*conn);
}

msg::response call(client_connection& conn, const msg::request& r, msg::body_codec codec) {
  auto response = conn.call(r, codec);
  REQUIRE(response.ok());
  return *response;
}

std::string frame_of(const std::string& body) {
  std::string out;
  msg::append_frame(out, body);
  return out;
}

// Sends raw bytes and returns the next response frame.
msg::response_frame raw_exchange(client_connection& conn, const std::string& bytes) {
  REQUIRE(conn.send_raw(bytes).ok());
  auto response = conn.read_response();
  REQUIRE(response.ok());
  return *response;
}

void expect_status_answers(client_connection& conn) {
  auto r = call(conn, msg::status{}, msg::body_codec::json);
  CHECK(std::string(result_tag(r)) == "status");
}

const std::string peer_key = "cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHA="; // 32 bytes

msg::peer_spec sample_peer() {
  return msg::peer_spec{peer_key, "203.0.113.7:51820", "10.200.0.16/28", 25,
                        {{"host", "192.168.1.5:51820", 100}}};
}

} // namespace

TEST_CASE("every request kind is answered through the socket", "[integration]") {
  auto codec = GENERATE(msg::body_codec::json, msg::body_codec::msgpack);
  temp_dir dir;
  // As root the global device is really made, so the daemon gets a
  // namespace of its own; without root its creation fails with the spec's error.
  std::unique_ptr<overlayd::testing::network_namespace> ns;
  if (overlayd::testing::running_as_root()) {
    ns = std::make_unique<overlayd::testing::network_namespace>("contract");
    REQUIRE(ns->ok());
  }
  daemon_process daemon(dir.path(), {}, ns.get());
  REQUIRE(daemon.started());
  auto conn = connect_to(daemon);
  auto send = [&](const msg::request& r) { return call(conn, r, codec); };

  CHECK(result_tag(send(msg::set_local_node_id{7})) == std::string("ok"));
  CHECK(result_tag(send(msg::set_local_wg_pubkey{"bm9kZQ=="})) == std::string("ok"));

  auto fresh = send(msg::status{});
  REQUIRE(std::holds_alternative<msg::status_snapshot>(fresh));
  CHECK(std::get<msg::status_snapshot>(fresh).overlay_cidr == std::string("10.200.0.0/16"));

  msg::setup_global_overlay bad_cidr{"prod", "a1b2", "10.200.0.0/33", {}, 51820, false, {}, {}};
  CHECK(error_text(send(bad_cidr)).rfind("invalid cluster CIDR 10.200.0.0/33: ", 0) == 0);
  msg::setup_global_overlay bad_slice{"prod", "a1b2", "10.200.0.0/16", "x/28", 51820, false, {}, {}};
  CHECK(error_text(send(bad_slice)).rfind("invalid slice CIDR x/28: ", 0) == 0);

  msg::setup_global_overlay setup{"prod", "a1b2", "10.200.0.0/16", "10.200.0.16/28", 51820,
                                  false, {}, {}};
  auto set_up = send(setup);
  if (ns) {
    REQUIRE(std::holds_alternative<msg::bridge_name>(set_up));
    CHECK(std::get<msg::bridge_name>(set_up).name == "zl-prod-a1b2-g");
  } else {
    CHECK(error_text(set_up).rfind("overlay engine error: Failed to create global overlay: ", 0)
          == 0);
  }
  auto after_setup = std::get<msg::status_snapshot>(send(msg::status{}));
  REQUIRE(after_setup.node_ip);
  CHECK(after_setup.node_ip->to_string() == "10.200.0.17");
  CHECK(after_setup.slice_cidr == std::string("10.200.0.16/28"));

  auto allocated = send(msg::allocate_ip{"web", false});
  REQUIRE(std::holds_alternative<msg::ip_result>(allocated));
  auto ip = std::get<msg::ip_result>(allocated).ip;
  CHECK(ip.to_string() == "10.200.0.18");
  CHECK(result_tag(send(msg::release_ip{ip})) == std::string("ok"));
  // The released address is handed out again first.
  CHECK(std::get<msg::ip_result>(send(msg::allocate_ip{"web", false})).ip == ip);

  CHECK(result_tag(send(msg::add_peer{sample_peer(), msg::global_scope{}})) == std::string("ok"));
  if (ns) {
    auto short_key = sample_peer();
    short_key.public_key = "cGVlcg==";
    CHECK(error_text(send(msg::add_peer{short_key, msg::global_scope{}}))
          == "overlay engine error: add_peer failed: Invalid key length: expected 32 bytes, got 4");
    auto status = std::get<msg::status_snapshot>(send(msg::status{}));
    CHECK(status.interface == std::string("zl-prod-a1b2-g"));
    REQUIRE(status.peers.size() == 1);
    CHECK(status.peer_count == 1);
    CHECK(status.peers[0].endpoint == "203.0.113.7:51820");
    CHECK(status.peers[0].allowed_ips == "10.200.0.16/28");
  }
  CHECK(error_text(send(msg::add_peer{sample_peer(), msg::service_scope{"web"}}))
        == "no dedicated overlay for service web");
  auto bad_peer = sample_peer();
  bad_peer.endpoint = "not-a-socket-addr";
  CHECK(error_text(send(msg::add_peer{bad_peer, msg::global_scope{}}))
          .rfind("invalid peer endpoint not-a-socket-addr", 0)
        == 0);
  CHECK(result_tag(send(msg::add_allowed_ip{peer_key, "10.201.0.0/24", msg::global_scope{}}))
        == std::string("ok"));
  CHECK(result_tag(send(msg::remove_allowed_ip{peer_key, "10.201.0.0/24", msg::global_scope{}}))
        == std::string("ok"));
  CHECK(error_text(send(msg::add_allowed_ip{peer_key, "10.201.0.0/24", msg::service_scope{"db"}}))
        == "no dedicated overlay for service db");
  CHECK(result_tag(send(msg::remove_peer{peer_key, msg::global_scope{}})) == std::string("ok"));

  CHECK(result_tag(send(msg::register_dns{"web.zlayer.internal", ip})) == std::string("ok"));
  CHECK(result_tag(send(msg::unregister_dns{"web.zlayer.internal"})) == std::string("ok"));
  auto ip_of = [](const char* s) { return *overlayd::net::ip_address::parse(s); };
  CHECK(error_text(send(msg::write_scoped_resolver{"zlayer.internal", ip_of("10.200.0.1"), 53}))
        == "overlay engine error: scoped resolver is macOS-only");
  CHECK(error_text(send(msg::remove_scoped_resolver{"zlayer.internal"}))
        == "overlay engine error: scoped resolver is macOS-only");

  // Service bridges: made as root (in the daemon's namespace), refused with
  // the netlink error otherwise.
  for (auto mode : {msg::overlay_mode::automatic, msg::overlay_mode::shared}) {
    auto bridge = send(msg::setup_service_overlay{"web", mode});
    if (ns) {
      REQUIRE(std::holds_alternative<msg::service_overlay_info>(bridge));
      CHECK(std::get<msg::service_overlay_info>(bridge).mode == mode);
    } else {
      CHECK(error_text(bridge).rfind("overlay engine error: create_bridge(", 0) == 0);
    }
  }
  CHECK(error_text(send(msg::attach_container{msg::linux_pid_handle{4242}, "nope", false, false,
                                              {}, {}, {}}))
        == "no service bridge for service nope; call setup_service_overlay() first");
  CHECK(result_tag(send(msg::detach_container{msg::linux_pid_handle{4242}})) == std::string("ok"));
  CHECK(result_tag(send(msg::prune_orphan_bridges{{"zl-web-b"}})) == std::string("pruned_bridges"));

  // Host-shared containers and VM guests hang off the cluster device.
  auto host_shared = send(msg::attach_container{msg::host_shared_handle{"vm1"}, "web", false,
                                                false, {}, {}, {}});
  auto guest = send(msg::attach_container{msg::guest_managed_handle{"vm2"}, "web", false, false,
                                          {}, {}, std::string("zlayer.internal")});
  if (ns) {
    REQUIRE(std::holds_alternative<msg::attach_result>(host_shared));
    auto alias = std::get<msg::attach_result>(host_shared).ip.to_string() + "/32";
    CHECK(ns->run("ip -o addr show dev zl-prod-a1b2-g | grep -q " + alias) == 0);
    REQUIRE(std::holds_alternative<msg::guest_overlay_config>(guest));
    const auto& config = std::get<msg::guest_overlay_config>(guest);
    CHECK(config.private_key.size() == 44);
    CHECK(config.listen_port == 51820);
    CHECK(config.dns_domain == std::string("zlayer.internal"));
    REQUIRE(config.peers.size() == 1);
    CHECK(config.peers[0].allowed_ips == "10.200.0.0/16");
    CHECK(config.peers[0].persistent_keepalive_secs == 25);
    auto with_guest = std::get<msg::status_snapshot>(send(msg::status{}));
    CHECK(config.peers[0].public_key == *with_guest.public_key);
    CHECK(with_guest.peer_count == 1); // the guest (the peer above was removed)
    CHECK(result_tag(send(msg::detach_container{msg::host_shared_handle{"vm1"}})) == std::string("ok"));
    CHECK(result_tag(send(msg::detach_container{msg::guest_managed_handle{"vm2"}})) == std::string("ok"));
    CHECK(ns->run("ip -o addr show dev zl-prod-a1b2-g | grep -q " + alias) != 0);
    CHECK(std::get<msg::status_snapshot>(send(msg::status{})).peer_count == 0);

    // A Dedicated service's guest joins that service's device (DECISIONS 16).
    auto db = send(msg::setup_service_overlay{"db", msg::overlay_mode::dedicated});
    REQUIRE(std::holds_alternative<msg::service_overlay_info>(db));
    auto db_guest = send(msg::attach_container{msg::guest_managed_handle{"vm3"}, "db", false,
                                               false, {}, {}, {}});
    REQUIRE(std::holds_alternative<msg::guest_overlay_config>(db_guest));
    const auto& db_config = std::get<msg::guest_overlay_config>(db_guest);
    CHECK(db_config.peers.at(0).public_key
          == *std::get<msg::service_overlay_info>(db).wg_public_key);
    CHECK(db_config.listen_port == *std::get<msg::service_overlay_info>(db).wg_port);
    auto dedicated_peers = [&] {
      auto st = std::get<msg::status_snapshot>(send(msg::status{}));
      return std::make_pair(st.peer_count, st.dedicated_services.at(0).peer_count);
    };
    CHECK(dedicated_peers() == std::make_pair(0u, 1u));
    CHECK(result_tag(send(msg::detach_container{msg::guest_managed_handle{"vm3"}})) == std::string("ok"));
    CHECK(dedicated_peers() == std::make_pair(0u, 0u));
  } else {
    CHECK(error_text(host_shared)
          == "host-shared attach requires the global overlay to be set up first (no utun to "
             "alias the container /32 on)");
    CHECK(error_text(guest)
          == "guest-managed attach requires the global overlay to be set up first (no global "
             "transport)");
  }
  // Unknown ids detach quietly.
  CHECK(result_tag(send(msg::detach_container{msg::guest_managed_handle{"nobody"}})) == std::string("ok"));

  // The default NAT config contacts no server (DECISIONS 5): a tick answers
  // ok and gathers host candidates only.
  CHECK(result_tag(send(msg::nat_tick{})) == std::string("ok"));
  CHECK(error_text(send(msg::attach_container{msg::windows_container_handle{"ctr", {}}, "web",
                                              false, false, {}, {}, {}}))
        == "WindowsContainer attach is only supported on Windows");
  CHECK(result_tag(send(msg::detach_container{msg::windows_container_handle{"ctr", {}}}))
        == std::string("ok"));
  // Nothing was set up for it: teardown is a no-op that answers ok.
  CHECK(result_tag(send(msg::teardown_service_overlay{"web"})) == std::string("ok"));
  auto nat = send(msg::nat_status{});
  REQUIRE(std::holds_alternative<msg::nat_status_wire>(nat));
  for (const auto& c : std::get<msg::nat_status_wire>(nat).candidates)
    CHECK(c.candidate_type == "host");
  CHECK(std::get<msg::nat_status_wire>(nat).peers.empty());
  CHECK(result_tag(send(msg::teardown_global_overlay{})) == std::string("ok"));

  // Shutdown answers, closes the connection and ends the process with 0.
  CHECK(result_tag(send(msg::shutdown{})) == std::string("ok"));
  CHECK_FALSE(conn.read_body().ok());
  CHECK(daemon.wait_exit(10) == 0);
}

TEST_CASE("a msgpack request gets a msgpack answer", "[integration]") {
  temp_dir dir;
  daemon_process daemon(dir.path());
  REQUIRE(daemon.started());
  auto conn = connect_to(daemon);
  REQUIRE(conn.send_request(41, msg::status{}, msg::body_codec::msgpack).ok());
  auto body = conn.read_body();
  REQUIRE(body.ok());
  REQUIRE_FALSE(body->empty());
  CHECK(msg::detect_codec(*body) == msg::body_codec::msgpack);
  auto decoded = msg::decode_frame(*body, msg::body_codec::msgpack);
  REQUIRE(decoded.decoded);
  CHECK(std::get<msg::response_frame>(*decoded.decoded).id == 41);
}

TEST_CASE("bad frames get answers and lose nothing", "[integration]") {
  temp_dir dir;
  daemon_process daemon(dir.path());
  REQUIRE(daemon.started());
  auto conn = connect_to(daemon);

  SECTION("a body that is not JSON") {
    auto r = raw_exchange(conn, frame_of("{not json"));
    CHECK(r.id == 0);
    CHECK(error_text(r.response).rfind("frame codec error: ", 0) == 0);
    expect_status_answers(conn);
  }
  SECTION("an unknown op keeps its id and names the op") {
    auto r = raw_exchange(conn, frame_of(R"({"frame":"request","id":5,"request":{"op":"frobnicate"}})"));
    CHECK(r.id == 5);
    CHECK(error_text(r.response).find("unknown variant `frobnicate`") != std::string::npos);
    expect_status_answers(conn);
  }
  SECTION("a field of the wrong type is named") {
    auto r = raw_exchange(
      conn, frame_of(R"({"frame":"request","id":6,"request":{"op":"attach_container",)"
                     R"("handle":{"platform":"linux_pid","pid":-1},"service":"w","join_global":false}})"));
    CHECK(r.id == 6);
    CHECK(error_text(r.response).find("request.handle.pid") != std::string::npos);
    expect_status_answers(conn);
  }
  SECTION("an empty body") {
    auto r = raw_exchange(conn, frame_of(""));
    CHECK(msg::is_error(r.response));
    expect_status_answers(conn);
  }
  SECTION("msgpack garbage") {
    auto r = raw_exchange(conn, frame_of(std::string("\xc1\xc1\xc1", 3)));
    CHECK(msg::is_error(r.response));
    expect_status_answers(conn);
  }
  SECTION("a body of exactly the maximum size is accepted") {
    std::string body = R"({"frame":"request","id":9,"request":{"op":"status"}})";
    body.resize(msg::max_frame_bytes, ' ');
    auto r = raw_exchange(conn, frame_of(body));
    CHECK(r.id == 9);
    CHECK(std::string(result_tag(r.response)) == "status");
  }
  SECTION("an oversized length is answered, then that connection closes") {
    auto other = connect_to(daemon);
    std::string prefix = {'\x01', '\x00', '\x80', '\x00'}; // 8388609, little-endian
    auto r = raw_exchange(conn, prefix);
    CHECK(error_text(r.response) == "frame too large: 8388609 bytes (max 8388608)");
    CHECK_FALSE(conn.read_body().ok());
    expect_status_answers(other); // other connections are not disturbed
  }
  SECTION("a truncated frame from a client that hangs up") {
    REQUIRE(conn.send_raw(std::string("\x64\x00\x00\x00{\"frame\"", 13)).ok());
    conn = client_connection{};
    auto next = connect_to(daemon);
    expect_status_answers(next);
  }
  SECTION("a response frame sent to the daemon is ignored") {
    REQUIRE(conn.send_raw(frame_of(R"({"frame":"response","id":3,"response":{"result":"ok"}})")).ok());
    expect_status_answers(conn);
  }
  REQUIRE(daemon.running());
}

TEST_CASE("pipelined requests are each answered with their id", "[integration]") {
  temp_dir dir;
  daemon_process daemon(dir.path());
  REQUIRE(daemon.started());
  auto conn = connect_to(daemon);
  std::set<std::uint64_t> expected;
  std::string burst;
  for (std::uint64_t id = 100; id < 300; ++id) {
    auto codec = id % 2 ? msg::body_codec::json : msg::body_codec::msgpack;
    msg::append_frame(burst, msg::encode_request(id, msg::status{}, codec));
    expected.insert(id);
  }
  REQUIRE(conn.send_raw(burst).ok());
  std::set<std::uint64_t> seen;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto r = conn.read_response();
    REQUIRE(r.ok());
    seen.insert(r->id);
  }
  CHECK(seen == expected);
}

TEST_CASE("32 concurrent connections are all served", "[integration]") {
  temp_dir dir;
  daemon_process daemon(dir.path());
  REQUIRE(daemon.started());
  constexpr int clients = 32;
  constexpr int per_client = 100;
  std::vector<int> answered(clients, 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto conn = client_connection::connect(daemon.socket_path());
      if (!conn)
        return;
      auto codec = c % 2 ? msg::body_codec::json : msg::body_codec::msgpack;
      for (int i = 0; i < per_client; ++i) {
        msg::request r = i % 2 ? msg::request{msg::status{}}
                               : msg::request{msg::allocate_ip{"svc", false}};
        auto response = conn->call(r, codec);
        if (!response)
          return;
        if (auto* ip = std::get_if<msg::ip_result>(&*response))
          if (!conn->call(msg::release_ip{ip->ip}, codec))
            return;
        ++answered[c];
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (int c = 0; c < clients; ++c)
    CHECK(answered[c] == per_client);
  auto conn = connect_to(daemon);
  expect_status_answers(conn);
}

TEST_CASE("the socket is 0660, replaces a stale file, and refuses a second daemon",
          "[integration]") {
  temp_dir dir;
  std::string run_dir = dir.path() + "/run";
  ::mkdir(run_dir.c_str(), 0755);
  std::ofstream(run_dir + "/overlayd.sock") << "stale";
  daemon_process daemon(dir.path());
  REQUIRE(daemon.started());
  struct stat st {};
  REQUIRE(::stat(daemon.socket_path().c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);

  daemon_process second(dir.path());
  CHECK(second.wait_exit(10) == 1);
  auto conn = connect_to(daemon);
  expect_status_answers(conn);
}

TEST_CASE("SIGTERM and SIGINT stop the daemon with status 0", "[integration]") {
  auto sig = GENERATE(SIGTERM, SIGINT);
  temp_dir dir;
  daemon_process daemon(dir.path());
  REQUIRE(daemon.started());
  daemon.signal(sig);
  CHECK(daemon.wait_exit(10) == 0);
}

TEST_CASE("SIGHUP leaves the daemon serving", "[integration]") {
  temp_dir dir;
  daemon_process daemon(dir.path());
  REQUIRE(daemon.started());
  daemon.signal(SIGHUP);
  CHECK_FALSE(daemon.wait_exit(0.5));
  auto conn = client_connection::connect(daemon.socket_path());
  REQUIRE(conn.ok());
  auto status = conn->call(msg::status{});
  REQUIRE(status.ok());
  CHECK(std::holds_alternative<msg::status_snapshot>(*status));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait_exit(10) == 0);
}
