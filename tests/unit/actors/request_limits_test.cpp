// Bad input is refused with a clear error, whatever the node's state.
#include "embedded_helpers.hpp"

namespace msg = overlayd::msg;
using overlayd::testing::confined_daemon;
using overlayd::testing::error_of;
using overlayd::testing::wait;

TEST_CASE("names longer than a DNS name or with control characters are refused", "[limits]") {
  confined_daemon node;
  auto& d = *node;
  const std::string huge(8 << 20, 'w');
  CHECK(error_of(wait(d.call(msg::setup_service_overlay{huge, msg::overlay_mode::automatic})))
        == "service name too long (8388608 bytes, at most 253)");
  CHECK(error_of(wait(d.call(msg::allocate_ip{huge, false})))
        == "service name too long (8388608 bytes, at most 253)");
  CHECK(error_of(wait(d.call(msg::register_dns{huge, *overlayd::net::ip_address::parse(
                                                       "10.200.0.5")})))
        == "DNS name too long (8388608 bytes, at most 253)");
  CHECK(error_of(wait(d.call(msg::setup_service_overlay{"web\n[info] forged",
                                                        msg::overlay_mode::automatic})))
        == "service name contains a control character");
  // 253 bytes is still a name.
  const std::string longest(253, 'w');
  CHECK_FALSE(msg::is_error(wait(d.call(msg::allocate_ip{longest, false}))));
}

TEST_CASE("a malformed CIDR is refused even before the global overlay exists", "[limits]") {
  confined_daemon node;
  auto answer = wait(node->call(
    msg::add_allowed_ip{"cGVlcg==", "10.0.0.0/40", msg::peer_scope{msg::global_scope{}}}));
  CHECK(error_of(answer).rfind("invalid CIDR 10.0.0.0/40: ", 0) == 0);
  // A well-formed one is still skipped without a device, as the original does.
  CHECK(std::holds_alternative<msg::ok_result>(wait(node->call(
    msg::add_allowed_ip{"cGVlcg==", "10.0.0.0/24", msg::peer_scope{msg::global_scope{}}}))));
}
