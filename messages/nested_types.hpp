// The nested types of the IPC contract (ipc_contract.md section 7), as plain
// structs. Field names are the wire names; binding.hpp maps them to the
// document tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "net/base/ip_address.hpp"

namespace overlayd::msg {

using net::ip_address;

// -- overlay mode (a bare lowercase string on the wire) ---------------------

enum class overlay_mode { automatic, shared, dedicated, isolated };

const char* to_wire(overlay_mode mode) noexcept;
std::optional<overlay_mode> overlay_mode_from_wire(const std::string& text) noexcept;

// -- attach handle (internally tagged by "platform") ------------------------

struct linux_pid_handle {
  static constexpr const char* tag = "linux_pid";
  std::uint32_t pid = 0;
};

struct windows_container_handle {
  static constexpr const char* tag = "windows_container";
  std::string container_id;
  std::optional<ip_address> ip;
};

struct host_shared_handle {
  static constexpr const char* tag = "host_shared";
  std::string id;
};

struct guest_managed_handle {
  static constexpr const char* tag = "guest_managed";
  std::string id;
};

using attach_handle = std::variant<linux_pid_handle, windows_container_handle,
                                   host_shared_handle, guest_managed_handle>;

// -- peer scope (internally tagged by "scope"; default global) ---------------

struct global_scope {
  static constexpr const char* tag = "global";
};

struct service_scope {
  static constexpr const char* tag = "service";
  std::string service;
};

using peer_scope = std::variant<global_scope, service_scope>;

// -- NAT --------------------------------------------------------------------

struct nat_candidate_wire {
  std::string candidate_type; // "host", "server-reflexive" or "relay"
  std::string address;        // ip:port
  std::uint32_t priority = 0;
};

struct turn_server_spec {
  std::string addr;
  std::string username;
  std::string credential;
};

struct relay_server_spec {
  std::uint16_t listen_port = 0;
  std::string external_addr;
  std::uint64_t max_sessions = 0;
  std::optional<std::string> auth_credential;
};

// Every field defaults on decode (the Rust type is #[serde(default)]).
struct nat_config_spec {
  bool enabled = false;
  std::vector<std::string> stun_servers;
  std::vector<turn_server_spec> turn_servers;
  std::uint64_t hole_punch_timeout_secs = 0;
  std::uint64_t stun_refresh_interval_secs = 0;
  std::uint64_t max_candidate_pairs = 0;
  std::optional<relay_server_spec> relay_server;
};

struct nat_peer_wire {
  std::string node_id;
  std::string connection_type; // "direct", "hole-punched", "relayed", "unreachable"
  std::optional<std::string> remote_endpoint;
};

// -- peers --------------------------------------------------------------------

struct peer_spec {
  std::string public_key;
  std::string endpoint;
  std::string allowed_ips; // comma-separated CIDRs
  std::uint64_t persistent_keepalive_secs = 0;
  std::vector<nat_candidate_wire> candidates;
};

struct peer_status {
  std::string public_key;
  std::string endpoint;
  std::string allowed_ips;
  std::int64_t last_handshake_unix_secs = 0;
};

struct dedicated_service_status {
  std::string service;
  std::string interface;
  std::string public_key;
  std::uint16_t listen_port = 0;
  ip_address overlay_ip;
  std::string subnet;
  std::uint32_t peer_count = 0;
};

} // namespace overlayd::msg
