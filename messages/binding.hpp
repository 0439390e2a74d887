// How each contract type maps to the document tree: one `fields` function per
// struct, read by both the encoder and the decoder (document_binder.hpp), so
// a field cannot be encoded one way and decoded another.
//
// Field kinds follow the serde attributes of the Rust types:
//   required   - must be present and not null
//   optional   - std::optional: missing or null is none; none is not written
//   nullable   - std::optional written as null when none (Rust's default for
//                an Option without skip_serializing_if)
//   defaulted  - #[serde(default)]: missing keeps the default; always written
//   skip_empty - #[serde(default, skip_serializing_if = "Vec::is_empty")]
//   flatten    - #[serde(flatten)]: the member's fields sit in this object
#pragma once

#include "messages/frames.hpp"

namespace overlayd::msg {

// -- tag keys of the internally tagged enums --------------------------------

template <class Variant>
struct tag_key;
template <>
struct tag_key<request> {
  static constexpr const char* value = "op";
  static constexpr const char* type_name = "OverlaydRequest";
};
template <>
struct tag_key<response> {
  static constexpr const char* value = "result";
  static constexpr const char* type_name = "OverlaydResponse";
};
template <>
struct tag_key<event> {
  static constexpr const char* value = "event";
  static constexpr const char* type_name = "OverlaydEvent";
};
template <>
struct tag_key<frame> {
  static constexpr const char* value = "frame";
  static constexpr const char* type_name = "OverlaydFrame";
};
template <>
struct tag_key<attach_handle> {
  static constexpr const char* value = "platform";
  static constexpr const char* type_name = "AttachHandle";
};
template <>
struct tag_key<peer_scope> {
  static constexpr const char* value = "scope";
  static constexpr const char* type_name = "PeerScope";
};

// -- nested types -------------------------------------------------------------

template <class F>
void fields(F& f, linux_pid_handle& x) {
  f.required("pid", x.pid);
}

template <class F>
void fields(F& f, windows_container_handle& x) {
  f.required("container_id", x.container_id);
  f.optional("ip", x.ip);
}

template <class F>
void fields(F& f, host_shared_handle& x) {
  f.required("id", x.id);
}

template <class F>
void fields(F& f, guest_managed_handle& x) {
  f.required("id", x.id);
}

template <class F>
void fields(F&, global_scope&) {}

template <class F>
void fields(F& f, service_scope& x) {
  f.required("service", x.service);
}

template <class F>
void fields(F& f, nat_candidate_wire& x) {
  f.required("candidate_type", x.candidate_type);
  f.required("address", x.address);
  f.required("priority", x.priority);
}

template <class F>
void fields(F& f, turn_server_spec& x) {
  f.defaulted("addr", x.addr);
  f.defaulted("username", x.username);
  f.defaulted("credential", x.credential);
}

template <class F>
void fields(F& f, relay_server_spec& x) {
  f.defaulted("listen_port", x.listen_port);
  f.defaulted("external_addr", x.external_addr);
  f.defaulted("max_sessions", x.max_sessions);
  f.optional("auth_credential", x.auth_credential);
}

template <class F>
void fields(F& f, nat_config_spec& x) {
  f.defaulted("enabled", x.enabled);
  f.defaulted("stun_servers", x.stun_servers);
  f.defaulted("turn_servers", x.turn_servers);
  f.defaulted("hole_punch_timeout_secs", x.hole_punch_timeout_secs);
  f.defaulted("stun_refresh_interval_secs", x.stun_refresh_interval_secs);
  f.defaulted("max_candidate_pairs", x.max_candidate_pairs);
  f.optional("relay_server", x.relay_server);
}

template <class F>
void fields(F& f, nat_peer_wire& x) {
  f.required("node_id", x.node_id);
  f.required("connection_type", x.connection_type);
  f.nullable("remote_endpoint", x.remote_endpoint);
}

template <class F>
void fields(F& f, peer_spec& x) {
  f.required("public_key", x.public_key);
  f.required("endpoint", x.endpoint);
  f.required("allowed_ips", x.allowed_ips);
  f.required("persistent_keepalive_secs", x.persistent_keepalive_secs);
  f.defaulted("candidates", x.candidates);
}

template <class F>
void fields(F& f, peer_status& x) {
  f.required("public_key", x.public_key);
  f.required("endpoint", x.endpoint);
  f.required("allowed_ips", x.allowed_ips);
  f.required("last_handshake_unix_secs", x.last_handshake_unix_secs);
}

template <class F>
void fields(F& f, dedicated_service_status& x) {
  f.required("service", x.service);
  f.required("interface", x.interface);
  f.required("public_key", x.public_key);
  f.required("listen_port", x.listen_port);
  f.required("overlay_ip", x.overlay_ip);
  f.required("subnet", x.subnet);
  f.required("peer_count", x.peer_count);
}

// -- requests -----------------------------------------------------------------

template <class F>
void fields(F& f, set_local_node_id& x) {
  f.required("node_id", x.node_id);
}

template <class F>
void fields(F& f, set_local_wg_pubkey& x) {
  f.required("pubkey", x.pubkey);
}

template <class F>
void fields(F& f, setup_global_overlay& x) {
  f.required("deployment", x.deployment);
  f.required("instance_id", x.instance_id);
  f.required("cluster_cidr", x.cluster_cidr);
  f.optional("slice_cidr", x.slice_cidr);
  f.required("wg_port", x.wg_port);
  f.defaulted("host_adapter_mandatory", x.host_adapter_mandatory);
  f.optional("nat", x.nat);
  f.optional("nat_enabled", x.nat_enabled);
}

template <class F>
void fields(F&, teardown_global_overlay&) {}

template <class F>
void fields(F& f, setup_service_overlay& x) {
  f.required("service", x.service);
  f.required("mode", x.mode);
}

template <class F>
void fields(F& f, teardown_service_overlay& x) {
  f.required("service", x.service);
}

template <class F>
void fields(F& f, allocate_ip& x) {
  f.required("service", x.service);
  f.required("join_global", x.join_global);
}

template <class F>
void fields(F& f, release_ip& x) {
  f.required("ip", x.ip);
}

template <class F>
void fields(F& f, attach_container& x) {
  f.required("handle", x.handle);
  f.required("service", x.service);
  f.required("join_global", x.join_global);
  f.defaulted("ephemeral", x.ephemeral);
  f.optional("isolation_network", x.isolation_network);
  f.optional("dns_server", x.dns_server);
  f.optional("dns_domain", x.dns_domain);
}

template <class F>
void fields(F& f, detach_container& x) {
  f.required("handle", x.handle);
}

template <class F>
void fields(F& f, add_peer& x) {
  f.flatten(x.peer);
  f.defaulted("scope", x.scope);
}

template <class F>
void fields(F& f, remove_peer& x) {
  f.required("pubkey", x.pubkey);
  f.defaulted("scope", x.scope);
}

template <class F>
void fields(F& f, add_allowed_ip& x) {
  f.required("pubkey", x.pubkey);
  f.required("cidr", x.cidr);
  f.defaulted("scope", x.scope);
}

template <class F>
void fields(F& f, remove_allowed_ip& x) {
  f.required("pubkey", x.pubkey);
  f.required("cidr", x.cidr);
  f.defaulted("scope", x.scope);
}

template <class F>
void fields(F& f, register_dns& x) {
  f.required("name", x.name);
  f.required("ip", x.ip);
}

template <class F>
void fields(F& f, unregister_dns& x) {
  f.required("name", x.name);
}

template <class F>
void fields(F& f, write_scoped_resolver& x) {
  f.required("zone", x.zone);
  f.required("node_ip", x.node_ip);
  f.optional("port", x.port);
}

template <class F>
void fields(F& f, remove_scoped_resolver& x) {
  f.required("zone", x.zone);
}

template <class F>
void fields(F& f, prune_orphan_bridges& x) {
  f.defaulted("live_bridge_names", x.live_bridge_names);
}

template <class F>
void fields(F&, status&) {}
template <class F>
void fields(F&, nat_tick&) {}
template <class F>
void fields(F&, nat_status&) {}
template <class F>
void fields(F&, shutdown&) {}
template <class F>
void fields(F&, overlayd_dns_status&) {}

// -- responses ----------------------------------------------------------------

template <class F>
void fields(F&, ok_result&) {}

template <class F>
void fields(F& f, ip_result& x) {
  f.required("ip", x.ip);
}

template <class F>
void fields(F& f, attach_result& x) {
  f.required("ip", x.ip);
  f.optional("namespace_guid", x.namespace_guid);
}

template <class F>
void fields(F& f, guest_overlay_config& x) {
  f.required("overlay_ip", x.overlay_ip);
  f.required("prefix_len", x.prefix_len);
  f.required("private_key", x.private_key);
  f.required("public_key", x.public_key);
  f.required("listen_port", x.listen_port);
  f.required("peers", x.peers);
  f.optional("dns_server", x.dns_server);
  f.optional("dns_domain", x.dns_domain);
}

template <class F>
void fields(F& f, bridge_name& x) {
  f.required("name", x.name);
}

template <class F>
void fields(F& f, status_snapshot& x) {
  f.optional("interface", x.interface);
  f.optional("node_ip", x.node_ip);
  f.optional("public_key", x.public_key);
  f.optional("overlay_cidr", x.overlay_cidr);
  f.optional("slice_cidr", x.slice_cidr);
  f.required("peer_count", x.peer_count);
  f.required("service_count", x.service_count);
  f.skip_empty("peers", x.peers);
  f.skip_empty("dedicated_services", x.dedicated_services);
}

template <class F>
void fields(F& f, service_overlay_info& x) {
  f.required("name", x.name);
  f.required("mode", x.mode);
  f.optional("wg_public_key", x.wg_public_key);
  f.optional("wg_port", x.wg_port);
  f.optional("overlay_ip", x.overlay_ip);
  f.optional("subnet", x.subnet);
}

template <class F>
void fields(F& f, pruned_bridges& x) {
  f.required("reclaimed", x.reclaimed);
}

template <class F>
void fields(F& f, nat_status_wire& x) {
  f.required("candidates", x.candidates);
  f.required("peers", x.peers);
  f.required("last_refresh", x.last_refresh);
}

template <class F>
void fields(F& f, error_result& x) {
  f.required("message", x.message);
}

template <class F>
void fields(F& f, dns_record_wire& x) {
  f.required("name", x.name);
  f.required("ip", x.ip);
}

template <class F>
void fields(F& f, dns_listener_wire& x) {
  f.required("address", x.address);
  f.required("serving", x.serving);
  f.optional("error", x.error);
}

template <class F>
void fields(F& f, overlayd_dns_status_wire& x) {
  f.required("enabled", x.enabled);
  f.required("zone", x.zone);
  f.required("serial", x.serial);
  f.required("ttl", x.ttl);
  f.required("records", x.records);
  f.required("listeners", x.listeners);
  f.required("upstreams", x.upstreams);
}

// -- events -------------------------------------------------------------------

template <class F>
void fields(F& f, peer_health_changed& x) {
  f.required("pubkey", x.pubkey);
  f.required("healthy", x.healthy);
}

template <class F>
void fields(F& f, nat_endpoint_changed& x) {
  f.required("pubkey", x.pubkey);
  f.required("endpoint", x.endpoint);
}

// -- frames -------------------------------------------------------------------

template <class F>
void fields(F& f, request_frame& x) {
  f.required("id", x.id);
  f.required("request", x.request);
}

template <class F>
void fields(F& f, response_frame& x) {
  f.required("id", x.id);
  f.required("response", x.response);
}

template <class F>
void fields(F& f, event_frame& x) {
  f.flatten(x.event);
}

} // namespace overlayd::msg
