#include "actors/coordinator.hpp"

#include <spdlog/spdlog.h>

#include <functional>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/container_attach.hpp"
#include "actors/dedicated_overlay.hpp"
#include "actors/global_overlay.hpp"
#include "actors/replies.hpp"
#include "actors/service_overlay.hpp"
#include "actors/vm_attach.hpp"
#include "actors/transport_conversions.hpp"
#include "net/endpoint.hpp"
#include "net/nat/candidate.hpp"
#include "net/nat/nat_config.hpp"
#include "net/wireguard/keys.hpp"

namespace overlayd {

namespace {

using self_pointer = coordinator_actor::stateful_pointer<coordinator_state>;
using reply = caf::result<msg::response>;

bool lies_within(const net::cidr& inner, const net::cidr& outer) {
  return inner.prefix() >= outer.prefix() && outer.contains(inner.network());
}

// One handler per request (mechanics.md section 7). Handlers that wait on
// another actor return the response promise they will fulfil.
class request_handlers {
public:
  explicit request_handlers(self_pointer self) : self_(self), st_(self->state) {}

  // -- identity ------------------------------------------------------------------------

  reply operator()(msg::set_local_node_id& r) {
    st_.local_node_id = r.node_id;
    spdlog::info("local node id set to {}", r.node_id);
    return ok();
  }

  reply operator()(msg::set_local_wg_pubkey& r) {
    st_.local_wg_pubkey = r.pubkey;
    spdlog::info("local WireGuard public key set to {}", r.pubkey);
    return ok();
  }

  // -- global overlay ------------------------------------------------------------------

  reply operator()(msg::setup_global_overlay& r) {
    st_.deployment = r.deployment;
    st_.instance_id = r.instance_id;
    st_.overlay_port = r.wg_port != 0 ? r.wg_port : default_wg_port;
    auto cluster = net::cidr::parse(r.cluster_cidr);
    if (!cluster)
      return fail("invalid cluster CIDR " + r.cluster_cidr + ": " + cluster.error_message());
    st_.cluster_cidr = *cluster;
    st_.cluster_cidr_text = r.cluster_cidr;
    // Without a slice the node keeps the slice it has, as the original does,
    // unless that lies outside the new cluster (the original would then hand
    // out addresses no peer routes to).
    net::cidr slice = lies_within(st_.node_slice, *cluster) ? st_.node_slice : *cluster;
    if (r.slice_cidr) {
      auto parsed = net::cidr::parse(*r.slice_cidr);
      if (!parsed)
        return fail("invalid slice CIDR " + *r.slice_cidr + ": " + parsed.error_message());
      if (!lies_within(*parsed, *cluster))
        return fail("invalid slice CIDR " + *r.slice_cidr + ": not inside cluster CIDR "
                    + r.cluster_cidr);
      slice = *parsed;
    }
    record_nat_config(r);
    auto rp = self_->make_response_promise<msg::response>();
    auto slice_text = r.slice_cidr;
    self_->request(st_.ipam, caf::infinite, bind_node_slice{slice})
      .await(
        // The handler object is gone when this runs: reach the state
        // through the actor.
        [self = self_, rp, slice, slice_text](const address_reply& bound) mutable {
          if (!bound) {
            rp.deliver(fail(bound.error_message()));
            return;
          }
          self->state.node_slice = slice;
          if (slice_text)
            self->state.slice_cidr_text = slice_text;
          self->state.node_ip = *bound;
          spdlog::info("node slice bound: node IP {} (cluster {})", bound->to_string(),
                       self->state.cluster_cidr_text);
          rp.deliver(bring_up_global_overlay(self));
        },
        [rp](caf::error& e) mutable { rp.deliver(fail("ipam: " + caf::to_string(e))); });
    return rp;
  }

  reply operator()(msg::teardown_global_overlay&) {
    take_down_global_overlay(self_);
    auto rp = self_->make_response_promise<msg::response>();
    revert_host_plumbing(self_, [rp]() mutable { rp.deliver(ok()); });
    return rp;
  }

  // -- service overlays, containers and bridges -----------------------------------------

  reply operator()(msg::setup_service_overlay& r) {
    st_.service_modes[r.service] = r.mode; // kept even if the setup fails (mechanics 7.4)
    auto rp = self_->make_response_promise<msg::response>();
    if (r.mode == msg::overlay_mode::dedicated)
      set_up_dedicated_overlay(self_, r.service, rp);
    else
      set_up_service_bridge(self_, r.service, r.mode, rp);
    return rp;
  }

  reply operator()(msg::teardown_service_overlay& r) {
    st_.service_modes.erase(r.service);
    take_down_service_bridge(self_, r.service);
    take_down_dedicated_overlay(self_, r.service);
    return ok();
  }

  reply operator()(msg::prune_orphan_bridges& r) {
    auto rp = self_->make_response_promise<msg::response>();
    prune_orphan_bridges(self_, r.live_bridge_names, rp);
    return rp;
  }

  reply operator()(msg::attach_container& r) {
    if (r.dns_server)
      st_.dns_server_addr = r.dns_server->to_string() + ":53";
    if (r.dns_domain)
      st_.dns_domain = r.dns_domain;
    if (std::holds_alternative<msg::windows_container_handle>(r.handle))
      return fail("WindowsContainer attach is only supported on Windows");
    auto rp = self_->make_response_promise<msg::response>();
    if (auto* pid = std::get_if<msg::linux_pid_handle>(&r.handle))
      attach_linux_container(self_, r, pid->pid, rp);
    else if (auto* shared = std::get_if<msg::host_shared_handle>(&r.handle))
      attach_host_shared(self_, r, shared->id, rp);
    else if (auto* guest = std::get_if<msg::guest_managed_handle>(&r.handle))
      attach_guest(self_, r, guest->id, rp);
    return rp;
  }

  reply operator()(msg::detach_container& r) {
    if (std::holds_alternative<msg::windows_container_handle>(r.handle))
      return ok(); // nothing was ever attached on Linux
    auto rp = self_->make_response_promise<msg::response>();
    if (auto* pid = std::get_if<msg::linux_pid_handle>(&r.handle))
      detach_linux_container(self_, pid->pid, rp);
    else if (auto* shared = std::get_if<msg::host_shared_handle>(&r.handle))
      detach_host_shared(self_, shared->id, rp);
    else if (auto* guest = std::get_if<msg::guest_managed_handle>(&r.handle))
      detach_guest(self_, guest->id, rp);
    return rp;
  }

  // -- addresses -------------------------------------------------------------------------

  reply operator()(msg::allocate_ip& r) {
    // `join_global` is ignored, as in the original (mechanics 7.6).
    auto rp = self_->make_response_promise<msg::response>();
    allocate_service_address(self_, r.service, rp);
    return rp;
  }

  reply operator()(msg::release_ip& r) {
    auto rp = self_->make_response_promise<msg::response>();
    auto ip = r.ip;
    self_->request(st_.ipam, caf::infinite, release_address{ip})
      .await([rp](const done_reply&) mutable { rp.deliver(ok()); },
             [rp](caf::error& e) mutable { rp.deliver(fail("ipam: " + caf::to_string(e))); });
    return rp;
  }

  // -- peers ---------------------------------------------------------------------------------

  reply operator()(msg::add_peer& r) {
    if (!net::parse_endpoint(r.peer.endpoint))
      return fail("invalid peer endpoint " + r.peer.endpoint + ": invalid socket address syntax");
    const transport_actor* device = nullptr;
    if (auto* service = std::get_if<msg::service_scope>(&r.scope)) {
      if ((device = dedicated_device(service->service)) == nullptr)
        return no_dedicated_overlay(*service);
    } else {
      st_.global_peers[r.peer.public_key] = r.peer;
      if (!st_.global_transport) {
        // The original's VM-only path: warn, skip the device, keep the peer.
        spdlog::warn("global overlay has no device; peer {} recorded, not installed",
                     r.peer.public_key);
        record_candidates(r.peer);
        return ok();
      }
      device = &*st_.global_transport;
    }
    record_candidates(r.peer);
    auto config = peer_config_from_spec(r.peer);
    if (!config)
      return engine_error("add_peer failed: " + config.error_message());
    auto routes = service_routes(r.scope, config->allowed_ips, true);
    net::wg::uapi_set_request set;
    set.peers.push_back(std::move(*config));
    return change_device(*device, transport_set{std::move(set)}, "add_peer", routes);
  }

  reply operator()(msg::remove_peer& r) {
    const transport_actor* device = nullptr;
    if (auto* service = std::get_if<msg::service_scope>(&r.scope)) {
      if ((device = dedicated_device(service->service)) == nullptr)
        return no_dedicated_overlay(*service);
    } else {
      st_.global_peers.erase(r.pubkey);
      if (st_.global_transport)
        device = &*st_.global_transport;
    }
    self_->send(st_.nat, nat_peer_candidates{r.pubkey, {}});
    if (device == nullptr)
      return ok();
    auto key = net::wg::key_from_base64(r.pubkey);
    if (!key)
      return engine_error("remove_peer failed: " + key.error_message());
    net::wg::uapi_set_request set;
    net::wg::uapi_peer_config gone;
    gone.public_key = *key;
    gone.remove = true;
    set.peers.push_back(gone);
    return change_device(*device, transport_set{std::move(set)}, "remove_peer");
  }

  reply operator()(msg::add_allowed_ip& r) {
    return allowed_ip_change(r.scope, r.pubkey, r.cidr, true);
  }

  reply operator()(msg::remove_allowed_ip& r) {
    return allowed_ip_change(r.scope, r.pubkey, r.cidr, false);
  }

  // -- DNS -------------------------------------------------------------------------------------

  reply operator()(msg::register_dns& r) {
    self_->send(st_.dns, dns_register{r.name, r.ip});
    return ok();
  }

  reply operator()(msg::unregister_dns& r) {
    self_->send(st_.dns, dns_unregister{r.name});
    return ok();
  }

  reply operator()(msg::write_scoped_resolver&) {
    return engine_error("scoped resolver is macOS-only");
  }

  reply operator()(msg::remove_scoped_resolver&) {
    return engine_error("scoped resolver is macOS-only");
  }

  // -- status and NAT ----------------------------------------------------------------------------

  reply operator()(msg::status&) {
    msg::status_snapshot s;
    s.interface = st_.global_interface;
    s.public_key = st_.transport_public_key;
    s.overlay_cidr = st_.cluster_cidr_text;
    s.node_ip = st_.node_ip;
    s.slice_cidr = st_.slice_cidr_text;
    auto rp = self_->make_response_promise<msg::response>();
    if (!st_.global_transport) {
      deliver_status_with_dedicated(self_, std::move(s), rp);
      return rp;
    }
    self_->request(*st_.global_transport, caf::infinite, transport_status{})
      .await(
        [self = self_, rp, s](const transport_status_reply& device) mutable {
          s.peers = peer_statuses(device);
          s.peer_count = static_cast<std::uint32_t>(s.peers.size());
          deliver_status_with_dedicated(self, std::move(s), rp);
        },
        // As the original: a device that cannot be read shows no peers.
        [self = self_, rp, s](caf::error&) mutable {
          deliver_status_with_dedicated(self, std::move(s), rp);
        });
    return rp;
  }

  reply operator()(msg::nat_tick&) {
    return ask_nat(nat_tick_request{});
  }

  reply operator()(msg::nat_status&) {
    return ask_nat(nat_status_request{});
  }

  reply operator()(msg::shutdown&) {
    // The full teardown; the caller (the gateway or the embedding program)
    // ends the process after this answer.
    spdlog::info("shutdown requested");
    take_down_global_overlay(self_);
    auto rp = self_->make_response_promise<msg::response>();
    revert_host_plumbing(self_, [rp]() mutable { rp.deliver(ok()); });
    return rp;
  }

private:
  reply no_dedicated_overlay(const msg::service_scope& scope) {
    return fail("no dedicated overlay for service " + scope.service);
  }

  // A Dedicated service's device carries its remote subnets only if they
  // are routed through it (DECISIONS 17); the global device's cluster
  // route covers its peers already.
  std::function<void()> service_routes(const msg::peer_scope& scope,
                                       std::vector<net::cidr> prefixes, bool add) {
    auto* service = std::get_if<msg::service_scope>(&scope);
    if (service == nullptr)
      return {};
    auto device = st_.dedicated.find(service->service);
    if (device == st_.dedicated.end())
      return {};
    return [bridges = st_.bridges, interface = device->second.interface, prefixes, add] {
      for (const auto& prefix : prefixes)
        caf::anon_send(bridges, device_route{interface, prefix, add});
    };
  }

  const transport_actor* dedicated_device(const std::string& service) const {
    auto it = st_.dedicated.find(service);
    return it == st_.dedicated.end() ? nullptr : &it->second.actor;
  }

  reply allowed_ip_change(const msg::peer_scope& scope, const std::string& pubkey,
                          const std::string& cidr, bool add) {
    const char* what = add ? "add_allowed_ip" : "remove_allowed_ip";
    const transport_actor* device = nullptr;
    if (auto* service = std::get_if<msg::service_scope>(&scope)) {
      if ((device = dedicated_device(service->service)) == nullptr)
        return no_dedicated_overlay(*service);
    } else if (st_.global_transport) {
      device = &*st_.global_transport;
    } else {
      // As the original: without a device this is skipped, even for a
      // malformed CIDR.
      spdlog::warn("global overlay has no device; {} {} for {} skipped", what, cidr, pubkey);
      return ok();
    }
    auto prefix = net::cidr::parse(cidr);
    if (!prefix)
      return fail("invalid CIDR " + cidr + ": " + prefix.error_message());
    auto key = net::wg::key_from_base64(pubkey);
    if (!key)
      return engine_error(std::string(what) + " failed: " + key.error_message());
    return change_device(*device, transport_allowed_ip{*key, *prefix, add}, what,
                         service_routes(scope, {*prefix}, add));
  }

  // Sends a change to a device and answers ok, or "<what> failed: <why>";
  // `then` runs after a change that took.
  template <class Change>
  reply change_device(const transport_actor& device, Change change, const char* what,
                      std::function<void()> then = {}) {
    auto rp = self_->make_response_promise<msg::response>();
    std::string operation = what;
    self_->request(device, caf::infinite, std::move(change))
      .await(
        [rp, operation, then](const done_reply& done) mutable {
          if (done && then)
            then();
          rp.deliver(done ? ok() : engine_error(operation + " failed: " + done.error_message()));
        },
        [rp, operation](caf::error& e) mutable {
          rp.deliver(engine_error(operation + " failed: " + caf::to_string(e)));
        });
    return rp;
  }

  template <class Request>
  reply ask_nat(Request request) {
    auto rp = self_->make_response_promise<msg::response>();
    self_->request(st_.nat, caf::infinite, request)
      .await([rp](msg::response& r) mutable { rp.deliver(std::move(r)); },
             [rp](caf::error& e) mutable {
               rp.deliver(fail("NAT traversal: " + caf::to_string(e)));
             });
    return rp;
  }

  // Candidates with an unknown type or an address that is not a socket
  // address literal are dropped (ipc_contract 4.11); none left forgets the peer's.
  void record_candidates(const msg::peer_spec& peer) {
    nat_peer_candidates usable{peer.public_key, {}};
    for (const auto& c : peer.candidates)
      if (auto parsed = net::nat::candidate_from_wire(c))
        usable.candidates.push_back(*parsed);
    self_->send(st_.nat, std::move(usable));
  }

  // The relay credential travels to the traversal actor only, apart from
  // the config, so that no status or log can print it.
  void record_nat_config(const msg::setup_global_overlay& r) {
    if (r.nat) {
      std::optional<std::string> credential;
      if (r.nat->relay_server)
        credential = r.nat->relay_server->auth_credential;
      self_->send(st_.nat, nat_configure{net::nat::nat_config_from_spec(*r.nat), credential});
    } else if (r.nat_enabled) {
      auto config = net::nat::default_nat_config();
      config.enabled = *r.nat_enabled;
      self_->send(st_.nat, nat_configure{config, std::nullopt});
    }
  }

  self_pointer self_;
  coordinator_state& st_;
};

} // namespace

coordinator_actor::behavior_type coordinator(self_pointer self, ipam_actor ipam, dns_actor dns,
                                             bridge_manager_actor bridges,
                                             nat_traversal_actor nat,
                                             transport_options transports) {
  self->state.ipam = std::move(ipam);
  self->state.nat = std::move(nat);
  self->state.bridges = std::move(bridges);
  self->state.dns = std::move(dns);
  self->state.transports = std::move(transports);
  return {
    [self](msg::request& r) -> reply {
      spdlog::debug("request {}", msg::op_name(r));
      return std::visit(request_handlers{self}, r);
    },
  };
}

} // namespace overlayd
