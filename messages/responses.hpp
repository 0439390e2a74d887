// The responses of the IPC contract (ipc_contract.md section 5), tag
// "result", and the unsolicited events (section 6), tag "event".
#pragma once

#include <variant>

#include "messages/nested_types.hpp"

namespace overlayd::msg {

struct ok_result {
  static constexpr const char* tag = "ok";
};

struct ip_result {
  static constexpr const char* tag = "ip";
  ip_address ip;
};

struct attach_result {
  static constexpr const char* tag = "attached";
  ip_address ip;
  std::optional<std::string> namespace_guid;
};

struct guest_overlay_config {
  static constexpr const char* tag = "guest_config";
  ip_address overlay_ip;
  std::uint8_t prefix_len = 0;
  std::string private_key;
  std::string public_key;
  std::uint16_t listen_port = 0;
  std::vector<peer_spec> peers;
  std::optional<ip_address> dns_server;
  std::optional<std::string> dns_domain;
};

struct bridge_name {
  static constexpr const char* tag = "bridge_name";
  std::string name;
};

struct status_snapshot {
  static constexpr const char* tag = "status";
  std::optional<std::string> interface;
  std::optional<ip_address> node_ip;
  std::optional<std::string> public_key;
  std::optional<std::string> overlay_cidr;
  std::optional<std::string> slice_cidr;
  std::uint32_t peer_count = 0;
  std::uint32_t service_count = 0;
  std::vector<peer_status> peers;                          // omitted when empty
  std::vector<dedicated_service_status> dedicated_services; // omitted when empty
};

struct service_overlay_info {
  static constexpr const char* tag = "service_overlay";
  std::string name;
  overlay_mode mode = overlay_mode::automatic;
  std::optional<std::string> wg_public_key;
  std::optional<std::uint16_t> wg_port;
  std::optional<ip_address> overlay_ip;
  std::optional<std::string> subnet;
};

struct pruned_bridges {
  static constexpr const char* tag = "pruned_bridges";
  std::vector<std::string> reclaimed;
};

struct nat_status_wire {
  static constexpr const char* tag = "nat_status";
  std::vector<nat_candidate_wire> candidates;
  std::vector<nat_peer_wire> peers;
  std::uint64_t last_refresh = 0;
};

struct error_result {
  static constexpr const char* tag = "err";
  std::string message;
};

// The answer to overlayd_dns_status (an overlayd extension).
struct dns_record_wire {
  std::string name;
  ip_address ip;
};
struct dns_listener_wire {
  std::string address;
  bool serving = false;
  std::optional<std::string> error;
};
struct overlayd_dns_status_wire {
  static constexpr const char* tag = "overlayd_dns_status";
  static constexpr bool extension = true;
  bool enabled = false;
  std::string zone;
  std::uint32_t serial = 0;
  std::uint32_t ttl = 0;
  std::vector<dns_record_wire> records;
  std::vector<dns_listener_wire> listeners;
  std::vector<std::string> upstreams;
};

using response = std::variant<ok_result, ip_result, attach_result, guest_overlay_config,
                              bridge_name, status_snapshot, service_overlay_info,
                              pruned_bridges, nat_status_wire, error_result,
                              overlayd_dns_status_wire>;

inline bool is_error(const response& r) noexcept {
  return std::holds_alternative<error_result>(r);
}

inline response make_error_response(std::string message) {
  return error_result{std::move(message)};
}

// -- events -----------------------------------------------------------------

struct peer_health_changed {
  static constexpr const char* tag = "peer_health_changed";
  std::string pubkey;
  bool healthy = false;
};

struct nat_endpoint_changed {
  static constexpr const char* tag = "nat_endpoint_changed";
  std::string pubkey;
  std::string endpoint;
};

using event = std::variant<peer_health_changed, nat_endpoint_changed>;

} // namespace overlayd::msg
