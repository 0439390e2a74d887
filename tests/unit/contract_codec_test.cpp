// The contract's codecs against the bytes a Rust peer writes
// (data/golden_frames.txt, from shared/spec) and its accept/reject rules.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "messages/codec.hpp"
#include "messages/json.hpp"
#include "messages/msgpack_codec.hpp"

namespace msg = overlayd::msg;

namespace {

std::vector<std::string> golden_lines(const std::string& kind) {
  std::ifstream in(std::string(OVERLAYD_TEST_DATA) + "/golden_frames.txt");
  REQUIRE(in.good());
  std::vector<std::string> out;
  std::string prefix = kind + ": ";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0)
      out.push_back(line.substr(prefix.size()));
  return out;
}

msg::frame decode_ok(const std::string& body) {
  auto d = msg::decode_frame(body);
  INFO(body);
  INFO(d.error);
  REQUIRE(d.decoded);
  return *d.decoded;
}

std::string decode_error(const std::string& body) {
  auto d = msg::decode_frame(body);
  INFO(body);
  REQUIRE_FALSE(d.decoded);
  return d.error;
}

} // namespace

TEST_CASE("golden frames decode and re-encode to the same bytes", "[codec][golden]") {
  auto kind = GENERATE(as<std::string>{}, "REQ", "RESP", "EVENT");
  auto lines = golden_lines(kind);
  REQUIRE(lines.size() >= 2);
  for (const auto& line : lines) {
    auto f = decode_ok(line);
    CHECK(msg::encode_frame(f, msg::body_codec::json) == line);
  }
}

TEST_CASE("every golden request and response survives msgpack", "[codec][golden]") {
  for (const char* kind : {"REQ", "RESP", "EVENT"}) {
    for (const auto& line : golden_lines(kind)) {
      auto f = decode_ok(line);
      auto packed = msg::encode_frame(f, msg::body_codec::msgpack);
      REQUIRE(msg::detect_codec(packed) == msg::body_codec::msgpack);
      // Same document in both syntaxes (DECISIONS.md 1).
      auto json_doc = msg::parse_json(line);
      auto packed_doc = msg::parse_msgpack(packed);
      REQUIRE(json_doc.ok());
      REQUIRE(packed_doc.ok());
      CHECK(*json_doc == *packed_doc);
      auto again = decode_ok(packed);
      CHECK(msg::encode_frame(again, msg::body_codec::json) == line);
    }
  }
}

TEST_CASE("the requests golden file covers all 23 ops", "[codec][golden]") {
  std::set<std::string> ops;
  for (const auto& line : golden_lines("REQ")) {
    auto f = decode_ok(line);
    ops.insert(msg::op_name(std::get<msg::request_frame>(f).request));
  }
  // Every op but overlayd's one extension (overlayd_dns_status).
  CHECK(ops.size() == 23);
  CHECK(std::variant_size_v<msg::request> == 24);
}

TEST_CASE("what a Rust peer accepts, we accept", "[codec]") {
  SECTION("legacy add_peer without scope and candidates is Global") {
    auto f = decode_ok(R"({"frame":"request","id":11,"request":{"op":"add_peer","public_key":"k",)"
                       R"("endpoint":"1.2.3.4:51820","allowed_ips":"10.200.0.2/32","persistent_keepalive_secs":25}})");
    auto& add = std::get<msg::add_peer>(std::get<msg::request_frame>(f).request);
    CHECK(std::holds_alternative<msg::global_scope>(add.scope));
    CHECK(add.peer.candidates.empty());
    CHECK(add.peer.persistent_keepalive_secs == 25);
  }
  SECTION("request before frame, unknown fields") {
    auto f = decode_ok(R"({"request":{"op":"status","extra":1},"id":3,"frame":"request","x":{"y":[1]}})");
    CHECK(std::get<msg::request_frame>(f).id == 3);
    CHECK(std::holds_alternative<msg::status>(std::get<msg::request_frame>(f).request));
  }
  SECTION("null option and the old nat_enabled field") {
    auto f = decode_ok(R"({"frame":"request","id":3,"request":{"op":"setup_global_overlay","deployment":"d",)"
                       R"("instance_id":"i","cluster_cidr":"10.200.0.0/16","slice_cidr":null,"wg_port":51820,"nat_enabled":true}})");
    auto& s = std::get<msg::setup_global_overlay>(std::get<msg::request_frame>(f).request);
    CHECK_FALSE(s.slice_cidr);
    CHECK_FALSE(s.nat);
    CHECK_FALSE(s.host_adapter_mandatory);
    CHECK(s.nat_enabled == true);
  }
  SECTION("IPv6 and u64 max id") {
    auto f = decode_ok(R"({"frame":"request","id":18446744073709551615,"request":{"op":"release_ip","ip":"fd00::5"}})");
    CHECK(std::get<msg::request_frame>(f).id == 18446744073709551615ull);
    CHECK(std::get<msg::release_ip>(std::get<msg::request_frame>(f).request).ip.to_string() == "fd00::5");
  }
  SECTION("status without its vectors") {
    auto f = decode_ok(R"({"frame":"response","id":3,"response":{"result":"status","peer_count":0,"service_count":0}})");
    auto& s = std::get<msg::status_snapshot>(std::get<msg::response_frame>(f).response);
    CHECK(s.peers.empty());
    CHECK_FALSE(s.interface);
  }
  SECTION("guest peers without candidates") {
    auto f = decode_ok(R"({"frame":"response","id":3,"response":{"result":"guest_config","overlay_ip":"10.0.0.2",)"
                       R"("prefix_len":28,"private_key":"a","public_key":"b","listen_port":1,"peers":[{"public_key":"k",)"
                       R"("endpoint":"1.2.3.4:5","allowed_ips":"x","persistent_keepalive_secs":0}]}})");
    auto& g = std::get<msg::guest_overlay_config>(std::get<msg::response_frame>(f).response);
    REQUIRE(g.peers.size() == 1);
    CHECK(g.peers[0].candidates.empty());
  }
}

TEST_CASE("what a Rust peer rejects, we reject, naming the problem", "[codec]") {
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"frobnicate"}})")
          .find("unknown variant `frobnicate`, expected one of `set_local_node_id`")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":"3","request":{"op":"status"}})")
          .find("id: invalid type: string \"3\", expected u64")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","request":{"op":"status"}})").find("missing field `id`")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"release_ip","ip":"10.0.0.1/32"}})")
          .find("request.ip: invalid IP address syntax")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"attach_container",)"
                     R"("handle":{"platform":"linux_pid","pid":-1},"service":"w","join_global":false}})")
          .find("request.handle.pid: invalid value: integer `-1`, expected u32")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"remove_peer","pubkey":"k","scope":{"scope":"service"}}})")
          .find("request.scope: missing field `service`")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"remove_peer","pubkey":"k","scope":"global"}})")
          .find("expected internally tagged enum PeerScope")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"setup_service_overlay","service":"w","mode":"Shared"}})")
          .find("unknown variant `Shared`, expected one of `auto`, `shared`, `dedicated`, `isolated`")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"response","id":3,"response":{"result":"nat_status"}})")
          .find("missing field `candidates`")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"status","op":"status"}})")
          .find("duplicate field `op`")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"set_local_node_id","node_id":1.5}})")
          .find("expected u64")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"allocate_ip","service":"w"}})")
          .find("missing field `join_global`")
        != std::string::npos);
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"setup_global_overlay","deployment":"d",)"
                     R"("instance_id":"i","cluster_cidr":"c","wg_port":70000}})")
          .find("request.wg_port: invalid value: integer `70000`, expected u16")
        != std::string::npos);
}

TEST_CASE("a decode error for the log leaves out the client's strings", "[codec]") {
  const std::string error = decode_error(
    R"({"frame":"request","id":3,"request":{"op":"setup_global_overlay","deployment":"d",)"
    R"("instance_id":"i","cluster_cidr":"c","wg_port":"hunter2 \"quoted\" secret"}})");
  CHECK(error.find("hunter2") != std::string::npos); // the client is told what it sent
  const std::string logged = msg::loggable_decode_error(error);
  CHECK(logged == "frame codec error: request.wg_port: invalid type: string \"...\", expected u16");
  CHECK(msg::loggable_decode_error("cut \"short") == "cut \"...");
  CHECK(msg::loggable_decode_error("unknown variant `x`") == "unknown variant `x`");
  // A newline in an op name cannot forge a log line.
  CHECK(msg::loggable_decode_error("unknown variant `x\n[info] forged`")
        == "unknown variant `x?[info] forged`");
}

TEST_CASE("error texts echo at most 128 bytes of a client's value", "[codec]") {
  const std::string op(8 << 20, 'o');
  const std::string error = decode_error(
    R"({"frame":"request","id":3,"request":{"op":")" + op + R"("}})");
  INFO(error.substr(0, 300));
  CHECK(error.find("unknown variant `" + std::string(128, 'o')
                   + "... (8388608 bytes)`, expected one of ")
        != std::string::npos);
  CHECK(error.size() < 2048);
  const std::string port = decode_error(
    R"({"frame":"request","id":3,"request":{"op":"setup_global_overlay","deployment":"d",)"
    R"("instance_id":"i","cluster_cidr":"c","wg_port":")" + std::string(1000, 'p') + R"("}})");
  CHECK(port.find("invalid type: string \"" + std::string(128, 'p') + "\"... (1000 bytes), "
                  "expected u16")
        != std::string::npos);
  // Short values are echoed whole, as serde does.
  CHECK(decode_error(R"({"frame":"request","id":3,"request":{"op":"nope"}})")
          .find("unknown variant `nope`")
        != std::string::npos);
}

TEST_CASE("a failed decode still reports a readable id", "[codec]") {
  auto d = msg::decode_frame(R"({"frame":"request","id":77,"request":{"op":"nope"}})");
  CHECK_FALSE(d.decoded);
  CHECK(d.id == 77);
  CHECK(d.error.rfind("frame codec error: ", 0) == 0);
  CHECK(msg::decode_frame("{").id == 0);
}

TEST_CASE("every request and response type round-trips in both codecs", "[codec]") {
  auto ip = *overlayd::net::ip_address::parse("fd00::7");
  msg::peer_spec peer{"cGVlcg==", "[fd00::1]:51820", "fd00::/120,10.0.0.0/8", 5,
                      {{"relay", "198.51.100.1:3478", 7}}};
  msg::nat_config_spec nat{true, {"10.0.0.1:3478"}, {{"10.0.0.2:3478", "u", "p"}}, 1, 2, 3,
                           msg::relay_server_spec{3478, "198.51.100.1:3478", 9, "cred"}};
  std::vector<msg::request> requests = {
    msg::set_local_node_id{42},
    msg::set_local_wg_pubkey{"key"},
    msg::setup_global_overlay{"d", "i", "fd00::/64", "fd00::/112", 1, true, nat, false},
    msg::teardown_global_overlay{},
    msg::setup_service_overlay{"s", msg::overlay_mode::isolated},
    msg::teardown_service_overlay{"s"},
    msg::allocate_ip{"s", true},
    msg::release_ip{ip},
    msg::attach_container{msg::guest_managed_handle{"vm"}, "s", true, true, "net", ip, "dom"},
    msg::detach_container{msg::host_shared_handle{"h"}},
    msg::add_peer{peer, msg::service_scope{"s"}},
    msg::remove_peer{"k", msg::service_scope{"s"}},
    msg::add_allowed_ip{"k", "10.0.0.0/8", msg::global_scope{}},
    msg::remove_allowed_ip{"k", "10.0.0.0/8", msg::service_scope{"t"}},
    msg::register_dns{"n", ip},
    msg::unregister_dns{"n"},
    msg::write_scoped_resolver{"z", ip, std::nullopt},
    msg::remove_scoped_resolver{"z"},
    msg::prune_orphan_bridges{{"a", "b"}},
    msg::status{},
    msg::nat_tick{},
    msg::nat_status{},
    msg::shutdown{},
    msg::overlayd_dns_status{},
  };
  REQUIRE(requests.size() == std::variant_size_v<msg::request>);
  std::vector<msg::response> responses = {
    msg::ok_result{},
    msg::ip_result{ip},
    msg::attach_result{ip, "guid"},
    msg::guest_overlay_config{ip, 120, "priv", "pub", 9, {peer}, ip, "dom"},
    msg::bridge_name{"zl-x-g"},
    msg::status_snapshot{"if", ip, "pk", "fd00::/64", "fd00::/112", 1, 2,
                         {{"k", "e", "a", -5}}, {{"s", "if", "pk", 3, ip, "sub", 4}}},
    msg::service_overlay_info{"n", msg::overlay_mode::dedicated, "k", 7, ip, "sub"},
    msg::pruned_bridges{{}},
    msg::nat_status_wire{{{"host", "1.2.3.4:5", 1}}, {{"n", "relayed", "1.2.3.4:5"}}, 17},
    msg::error_result{"boom \"quoted\" \n ünïcode"},
    msg::overlayd_dns_status_wire{true, "overlay.local.", 3, 300, {{"web.overlay.local.", ip}},
                                  {{"10.0.0.1:53", true, std::nullopt},
                                   {"overlay:53", false, "waiting"}},
                                  {"192.0.2.1:53"}},
  };
  REQUIRE(responses.size() == std::variant_size_v<msg::response>);

  auto codec = GENERATE(msg::body_codec::json, msg::body_codec::msgpack);
  auto roundtrip = [&](const msg::frame& f) {
    auto body = msg::encode_frame(f, codec);
    auto again = decode_ok(body);
    // Equal documents mean equal values: every field is written.
    CHECK(msg::frame_to_document(again) == msg::frame_to_document(f));
  };
  std::uint64_t id = 1;
  for (const auto& r : requests)
    roundtrip(msg::request_frame{id++, r});
  for (const auto& r : responses)
    roundtrip(msg::response_frame{id++, r});
  roundtrip(msg::event_frame{msg::nat_endpoint_changed{"k", "1.2.3.4:5"}});
}

TEST_CASE("overlayctl's request syntax is the bare request object", "[codec]") {
  std::string error;
  auto r = msg::request_from_json(R"({"op":"allocate_ip","service":"web","join_global":false})", error);
  REQUIRE(r);
  CHECK(std::get<msg::allocate_ip>(*r).service == "web");
  CHECK_FALSE(msg::request_from_json(R"({"op":"allocate_ip"})", error));
  CHECK(error == "missing field `service`");
  CHECK(msg::response_to_json(msg::ok_result{}) == R"({"result":"ok"})");
}

namespace {

// One to four random edits: a flipped bit, a byte a parser cares about
// (JSON punctuation, msgpack's container and string markers), a cut, a
// repeated or a removed span.
void mutate(std::string& body, std::mt19937& rng) {
  static const unsigned char special[] = {0x00, 0xff, '"', '{', '}', '[', ']', ':', ',', '\\',
                                          '9',  '-',  'e', 0xc1, 0xdc, 0xdd, 0xde, 0xdf, 0xdb,
                                          0xc4, 0xc6, 0xcf, 0xd3, 0x7f, 0x80, 0x90, 0xa0};
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !body.empty(); ++e) {
    const std::size_t at = rng() % body.size();
    switch (rng() % 6) {
    case 0:
      body[at] = static_cast<char>(body[at] ^ (1u << (rng() % 8)));
      break;
    case 1:
    case 2:
      body[at] = static_cast<char>(special[rng() % sizeof special]);
      break;
    case 3:
      body.resize(at);
      break;
    case 4:
      body.insert(at, body.substr(at, rng() % 16));
      break;
    default:
      body.erase(at, rng() % 8);
      break;
    }
  }
}

} // namespace

TEST_CASE("mutated frames in either codec decode or fail cleanly", "[codec]") {
  std::vector<std::string> bodies;
  for (const char* kind : {"REQ", "RESP", "EVENT"}) {
    for (const auto& line : golden_lines(kind)) {
      bodies.push_back(line);
      bodies.push_back(msg::encode_frame(decode_ok(line), msg::body_codec::msgpack));
    }
  }
  std::mt19937 rng(2026);
  std::size_t decoded = 0, refused = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string body = bodies[rng() % bodies.size()];
    mutate(body, rng);
    auto d = msg::decode_frame(body);
    if (!d.decoded) {
      ++refused;
      REQUIRE_FALSE(d.error.empty());
      continue;
    }
    ++decoded;
    // Whatever decodes encodes to something that decodes to itself.
    for (auto codec : {msg::body_codec::json, msg::body_codec::msgpack}) {
      const std::string again = msg::encode_frame(*d.decoded, codec);
      auto d2 = msg::decode_frame(again);
      INFO(d2.error);
      REQUIRE(d2.decoded);
      REQUIRE(msg::encode_frame(*d2.decoded, codec) == again);
    }
  }
  CHECK(decoded > 500);
  CHECK(refused > 5000);
}
