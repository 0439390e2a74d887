// The 23 requests of the IPC contract (ipc_contract.md section 4), tag "op".
// Each struct's `tag` is its wire name.
#pragma once

#include <type_traits>
#include <variant>

#include "messages/nested_types.hpp"

namespace overlayd::msg {

struct set_local_node_id {
  static constexpr const char* tag = "set_local_node_id";
  std::uint64_t node_id = 0;
};

struct set_local_wg_pubkey {
  static constexpr const char* tag = "set_local_wg_pubkey";
  std::string pubkey;
};

struct setup_global_overlay {
  static constexpr const char* tag = "setup_global_overlay";
  std::string deployment;
  std::string instance_id;
  std::string cluster_cidr;
  std::optional<std::string> slice_cidr;
  std::uint16_t wg_port = 0;
  bool host_adapter_mandatory = false;
  std::optional<nat_config_spec> nat;
  // 0.12 senders use this instead of `nat` (DECISIONS.md 4).
  std::optional<bool> nat_enabled;
};

struct teardown_global_overlay {
  static constexpr const char* tag = "teardown_global_overlay";
};

struct setup_service_overlay {
  static constexpr const char* tag = "setup_service_overlay";
  std::string service;
  overlay_mode mode = overlay_mode::automatic;
};

struct teardown_service_overlay {
  static constexpr const char* tag = "teardown_service_overlay";
  std::string service;
};

struct allocate_ip {
  static constexpr const char* tag = "allocate_ip";
  std::string service;
  bool join_global = false;
};

struct release_ip {
  static constexpr const char* tag = "release_ip";
  ip_address ip;
};

struct attach_container {
  static constexpr const char* tag = "attach_container";
  attach_handle handle;
  std::string service;
  bool join_global = false;
  bool ephemeral = false;
  std::optional<std::string> isolation_network;
  std::optional<ip_address> dns_server;
  std::optional<std::string> dns_domain;
};

struct detach_container {
  static constexpr const char* tag = "detach_container";
  attach_handle handle;
};

struct add_peer {
  static constexpr const char* tag = "add_peer";
  peer_spec peer; // flattened into the request object
  peer_scope scope;
};

struct remove_peer {
  static constexpr const char* tag = "remove_peer";
  std::string pubkey;
  peer_scope scope;
};

struct add_allowed_ip {
  static constexpr const char* tag = "add_allowed_ip";
  std::string pubkey;
  std::string cidr;
  peer_scope scope;
};

struct remove_allowed_ip {
  static constexpr const char* tag = "remove_allowed_ip";
  std::string pubkey;
  std::string cidr;
  peer_scope scope;
};

struct register_dns {
  static constexpr const char* tag = "register_dns";
  std::string name;
  ip_address ip;
};

struct unregister_dns {
  static constexpr const char* tag = "unregister_dns";
  std::string name;
};

struct write_scoped_resolver {
  static constexpr const char* tag = "write_scoped_resolver";
  std::string zone;
  ip_address node_ip;
  std::optional<std::uint16_t> port;
};

struct remove_scoped_resolver {
  static constexpr const char* tag = "remove_scoped_resolver";
  std::string zone;
};

struct prune_orphan_bridges {
  static constexpr const char* tag = "prune_orphan_bridges";
  std::vector<std::string> live_bridge_names;
};

struct status {
  static constexpr const char* tag = "status";
};

struct nat_tick {
  static constexpr const char* tag = "nat_tick";
};

struct nat_status {
  static constexpr const char* tag = "nat_status";
};

struct shutdown {
  static constexpr const char* tag = "shutdown";
};

// -- overlayd extensions ------------------------------------------------------
// Ops the original does not have (README "Extensions of the contract"):
// named overlayd_*, after every op of the contract, and left out of the
// contract's "expected one of" error so that its text stays the original's.

// The DNS responder's records, listeners and upstreams (overlayctl dns).
struct overlayd_dns_status {
  static constexpr const char* tag = "overlayd_dns_status";
  static constexpr bool extension = true;
};

// Declaration order of the Rust enum (used in "expected one of" errors),
// then the extensions.
using request = std::variant<
  set_local_node_id, set_local_wg_pubkey, setup_global_overlay, teardown_global_overlay,
  setup_service_overlay, teardown_service_overlay, allocate_ip, release_ip,
  attach_container, detach_container, add_peer, remove_peer, add_allowed_ip,
  remove_allowed_ip, register_dns, unregister_dns, write_scoped_resolver,
  remove_scoped_resolver, prune_orphan_bridges, status, nat_tick, nat_status, shutdown,
  overlayd_dns_status>;

// Alternatives that are overlayd extensions, not the contract's.
template <class T, class = void>
struct is_extension : std::false_type {};
template <class T>
struct is_extension<T, std::void_t<decltype(T::extension)>> : std::bool_constant<T::extension> {};

// The wire name of a request ("status", "add_peer", ...).
const char* op_name(const request& r) noexcept;

} // namespace overlayd::msg
