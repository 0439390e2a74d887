#include "actors/coordinator.hpp"

#include <spdlog/spdlog.h>

#include <functional>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/attachment_link.hpp"
#include "actors/dedicated_overlay.hpp"
#include "actors/global_overlay.hpp"
#include "actors/nat_link.hpp"
#include "actors/replies.hpp"
#include "actors/request_lanes.hpp"
#include "actors/request_limits.hpp"
#include "actors/service_overlay.hpp"
#include "actors/transport_conversions.hpp"
#include "net/base/endpoint.hpp"
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
    ask<address_reply>(
      self_, st_.ipam, "ipam", wait_for::quick, bind_node_slice{slice},
      // The handler object is gone when this runs: reach the state through
      // the actor.
      [self = self_, rp, slice, slice_text](address_reply bound) mutable {
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
        bring_up_global_overlay(self, [rp](msg::response r) mutable { rp.deliver(std::move(r)); });
      });
    return rp;
  }

  reply operator()(msg::teardown_global_overlay&) {
    return tear_everything_down();
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
    forward_attach(self_, r, rp);
    return rp;
  }

  reply operator()(msg::detach_container& r) {
    if (std::holds_alternative<msg::windows_container_handle>(r.handle))
      return ok(); // nothing was ever attached on Linux
    auto rp = self_->make_response_promise<msg::response>();
    forward_detach(self_, r.handle, rp);
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
    ask<done_reply>(self_, st_.ipam, "ipam", wait_for::quick, release_address{r.ip},
                    [rp](done_reply released) mutable {
                      // Releasing an address that is not leased is no error (mechanics 7.6).
                      rp.deliver(released ? ok() : fail(released.error_message()));
                    });
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
    tell_nat(self_, nat_peer_candidates{r.pubkey, {}});
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

  // Answered once the responder serves the change, so that the caller's
  // next query sees it.
  reply operator()(msg::register_dns& r) {
    return change_records(dns_register{r.name, r.ip});
  }

  reply operator()(msg::unregister_dns& r) {
    return change_records(dns_unregister{r.name});
  }

  // An overlayd extension (README): what `overlayctl dns` shows.
  reply operator()(msg::overlayd_dns_status&) {
    auto rp = self_->make_response_promise<msg::response>();
    ask<dns_view>(self_, st_.dns, "dns", wait_for::quick, dns_view_request{},
                  [rp](result<dns_view> v) mutable {
                    if (!v) {
                      rp.deliver(fail(v.error_message()));
                      return;
                    }
                    msg::overlayd_dns_status_wire w;
                    w.enabled = v->enabled;
                    w.zone = v->zone;
                    w.serial = v->serial;
                    w.ttl = v->ttl;
                    for (auto& [name, ip] : v->records)
                      w.records.push_back({name, ip});
                    for (auto& l : v->listeners)
                      w.listeners.push_back(
                        {l.address, l.serving,
                         l.error.empty() ? std::nullopt : std::optional<std::string>(l.error)});
                    w.upstreams = v->upstreams;
                    rp.deliver(msg::response{std::move(w)});
                  });
    return rp;
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
    ask<transport_status_reply>(
      self_, *st_.global_transport, "transport of " + st_.global_interface.value_or("?"),
      wait_for::quick, transport_status{},
      [self = self_, rp, s](result<transport_status_reply> device) mutable {
        // As the original: a device that cannot be read shows no peers.
        if (device) {
          s.peers = peer_statuses(*device);
          s.peer_count = static_cast<std::uint32_t>(s.peers.size());
        }
        deliver_status_with_dedicated(self, std::move(s), rp);
      });
    return rp;
  }

  reply operator()(msg::nat_tick&) {
    auto rp = self_->make_response_promise<msg::response>();
    run_nat_tick(self_, rp);
    return rp;
  }

  reply operator()(msg::nat_status&) {
    auto rp = self_->make_response_promise<msg::response>();
    answer_nat_status(self_, rp);
    return rp;
  }

  reply operator()(msg::shutdown&) {
    // The full teardown; the caller (the gateway or the embedding program)
    // ends the process after this answer.
    spdlog::info("shutdown requested");
    return tear_everything_down();
  }

private:
  // The devices, the attachments and the host plumbing all go, and with
  // them every record of them, so state and host agree (DECISIONS 13).
  reply tear_everything_down() {
    take_down_global_overlay(self_);
    stop_dedicated_devices(self_);
    st_.attached_services.clear();
    auto rp = self_->make_response_promise<msg::response>();
    // The records go after the veths: a crash in between must not leave a
    // veth whose address is free again (attachment_records.hpp).
    revert_host_plumbing(self_, [self = self_, rp]() mutable {
      ask<done_reply>(self, self->state.attachments, "attachments", wait_for::host,
                      forget_attachments{}, [rp](const done_reply&) mutable { rp.deliver(ok()); });
    });
    return rp;
  }

  template <class Change>
  reply change_records(Change change) {
    auto rp = self_->make_response_promise<msg::response>();
    ask<bool>(self_, st_.dns, "dns", wait_for::quick, std::move(change),
              [rp](result<bool> done) mutable {
                rp.deliver(done ? ok() : fail(done.error_message()));
              });
    return rp;
  }

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
    }
    // A malformed CIDR is refused even without a device (the original
    // answered ok to 10.0.0.0/40 then, issue 13).
    auto prefix = net::cidr::parse(cidr);
    if (!prefix)
      return fail("invalid CIDR " + cidr + ": " + prefix.error_message());
    if (device == nullptr) {
      if (!st_.global_transport) {
        spdlog::warn("global overlay has no device; {} {} for {} skipped", what, cidr, pubkey);
        return ok();
      }
      device = &*st_.global_transport;
    }
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
    ask<done_reply>(self_, device, operation + " on its device", wait_for::quick,
                    std::move(change), [rp, operation, then](done_reply done) mutable {
                      if (done && then)
                        then();
                      rp.deliver(done ? ok()
                                      : engine_error(operation + " failed: " + done.error_message()));
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
    tell_nat(self_, std::move(usable));
  }

  // The relay credential travels to the traversal actor only, apart from
  // the config, so that no status or log can print it.
  void record_nat_config(const msg::setup_global_overlay& r) {
    if (r.nat) {
      std::optional<std::string> credential;
      if (r.nat->relay_server)
        credential = r.nat->relay_server->auth_credential;
      tell_nat(self_, nat_configure{net::nat::nat_config_from_spec(*r.nat), credential});
    } else if (r.nat_enabled) {
      auto config = net::nat::default_nat_config();
      config.enabled = *r.nat_enabled;
      tell_nat(self_, nat_configure{config, std::nullopt});
    }
  }

  self_pointer self_;
  coordinator_state& st_;
};

} // namespace

// -- ordering ----------------------------------------------------------------------------

namespace {

using resources = request_lanes::resources;

std::string service_resource(const std::string& service) {
  return "service:" + service;
}

resources of_scope(const msg::peer_scope& scope) {
  if (auto* service = std::get_if<msg::service_scope>(&scope))
    return {service_resource(service->service)};
  return {"global-peers"};
}

// A container's own resource, and its service's when it is attached (a
// detach may tear an ephemeral service down).
resources of_handle(const coordinator_state& st, const msg::attach_handle& handle) {
  auto key = attachment_key(handle);
  resources touched{key};
  if (auto it = st.attached_services.find(key); it != st.attached_services.end())
    touched.insert(service_resource(it->second));
  return touched;
}

// What a request changes, or nothing for a request answered at once:
// reads, and changes that one actor's mailbox orders already (DNS names,
// address releases).
std::optional<resources> resources_of(const msg::request& request,
                                      const coordinator_state& st) {
  return std::visit(
    [&st](const auto& r) -> std::optional<resources> {
      using T = std::decay_t<decltype(r)>;
      if constexpr (std::is_same_v<T, msg::status> || std::is_same_v<T, msg::nat_status>
                    || std::is_same_v<T, msg::nat_tick> || std::is_same_v<T, msg::release_ip>
                    || std::is_same_v<T, msg::register_dns>
                    || std::is_same_v<T, msg::unregister_dns>
                    || std::is_same_v<T, msg::overlayd_dns_status>
                    || std::is_same_v<T, msg::write_scoped_resolver>
                    || std::is_same_v<T, msg::remove_scoped_resolver>)
        return std::nullopt;
      else if constexpr (std::is_same_v<T, msg::setup_service_overlay>
                         || std::is_same_v<T, msg::teardown_service_overlay>
                         || std::is_same_v<T, msg::allocate_ip>)
        return resources{service_resource(r.service)};
      else if constexpr (std::is_same_v<T, msg::attach_container>) {
        auto touched = of_handle(st, r.handle);
        touched.insert(service_resource(r.service));
        return touched;
      } else if constexpr (std::is_same_v<T, msg::detach_container>)
        return of_handle(st, r.handle);
      else if constexpr (std::is_same_v<T, msg::add_peer> || std::is_same_v<T, msg::remove_peer>
                         || std::is_same_v<T, msg::add_allowed_ip>
                         || std::is_same_v<T, msg::remove_allowed_ip>)
        return of_scope(r.scope);
      else // identity, the global overlay, prune, shutdown: everything
        return resources{every_resource};
    },
    request);
}

// How long one queued mutation may run before its caller is told it timed
// out (it may chain several host steps of up to wait_for::host each).
constexpr std::chrono::seconds mutation_limit{120};

void start_ready(self_pointer self);

void run_queued(self_pointer self, request_lanes::job_id id) {
  auto it = self->state.queued.find(id);
  auto job = std::move(it->second);
  self->state.queued.erase(it);
  const std::string op = msg::op_name(job.request);
  // Asking itself: the answer says when the resource is free again.
  ask<msg::response>(self, caf::actor_cast<coordinator_actor>(self), op, mutation_limit, lane_run{std::move(job.request)},
                     [self, id, rp = job.rp](result<msg::response> answer) mutable {
                       rp.deliver(answer ? std::move(*answer) : fail(answer.error_message()));
                       self->state.lanes.finish(id);
                       start_ready(self);
                     });
}

void start_ready(self_pointer self) {
  for (auto id : self->state.lanes.startable())
    run_queued(self, id);
}

// Exits of linked transports are noticed and their records dropped; any
// other exit (the node stopping) ends the coordinator.
void on_exit(self_pointer self, caf::exit_msg& m) {
  auto& st = self->state;
  if (st.global_transport && m.source == st.global_transport->address()) {
    spdlog::error("the global device's transport ended: {}", caf::to_string(m.reason));
    st.global_transport.reset();
    return;
  }
  for (auto it = st.dedicated.begin(); it != st.dedicated.end(); ++it)
    if (m.source == it->second.actor.address()) {
      spdlog::error("dedicated overlay {}: its transport ended: {}", it->first,
                    caf::to_string(m.reason));
      st.dedicated.erase(it);
      return;
    }
  self->quit(m.reason);
}

} // namespace

coordinator_actor::behavior_type coordinator(self_pointer self, coordinator_children children,
                                             transport_options transports) {
  auto& st = self->state;
  st.ipam = std::move(children.ipam);
  st.nat = std::move(children.nat);
  st.bridges = std::move(children.bridges);
  st.dns = std::move(children.dns);
  st.devices = std::move(children.devices);
  st.attachments = std::move(children.attachments);
  st.transports = std::move(transports);
  // A child that ends is noticed (logged); its requests then fail at once
  // with "<who> is gone" instead of waiting for a timeout.
  self->monitor(st.ipam);
  self->monitor(st.nat);
  self->monitor(st.bridges);
  self->monitor(st.dns);
  self->monitor(st.devices);
  self->monitor(st.attachments);
  self->set_down_handler([self](caf::down_msg& m) {
    auto& st = self->state;
    const char* who = m.source == st.ipam.address()          ? "ipam"
                      : m.source == st.nat.address()         ? "NAT traversal"
                      : m.source == st.bridges.address()     ? "bridge manager"
                      : m.source == st.dns.address()         ? "dns"
                      : m.source == st.attachments.address() ? "attachments"
                                                             : "device maker";
    spdlog::error("the {} actor ended: {}", who, caf::to_string(m.reason));
  });
  self->set_exit_handler([self](caf::exit_msg& m) { on_exit(self, m); });
  return {
    [self](msg::request& r) -> reply {
      spdlog::debug("request {}", msg::op_name(r));
      if (auto sane = check_name_lengths(r); !sane)
        return fail(sane.error_message());
      auto touched = resources_of(r, self->state);
      if (!touched)
        return std::visit(request_handlers{self}, r);
      auto rp = self->make_response_promise<msg::response>();
      auto id = self->state.lanes.enqueue(std::move(*touched));
      self->state.queued.emplace(id, coordinator_state::queued_request{std::move(r), rp});
      start_ready(self);
      return rp;
    },
    [self](lane_run& run) -> reply { return std::visit(request_handlers{self}, run.request); },
  };
}

} // namespace overlayd
