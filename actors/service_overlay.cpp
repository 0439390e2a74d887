#include "actors/service_overlay.hpp"

#include <spdlog/spdlog.h>

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/replies.hpp"
#include "net/interface_name.hpp"
#include "net/wireguard/keys.hpp"

namespace overlayd {

namespace {

msg::response info(const std::string& name, msg::overlay_mode mode) {
  msg::service_overlay_info out;
  out.name = name;
  out.mode = mode;
  return out;
}

bool uses_shared_bridge(const coordinator_state& st, const std::string& service) {
  auto mode = st.service_modes.find(service);
  return mode != st.service_modes.end() && mode->second == msg::overlay_mode::shared;
}

// Routes the subnet to this node on the cluster device, as the original
// does: under this node's own key, which is a peer only on other nodes'
// devices; when it is not one here the device says so and it is skipped
// (DECISIONS 9: quietly).
void route_subnet_to_node(coordinator_pointer self, const net::cidr& subnet, bool add) {
  auto& st = self->state;
  if (!st.global_transport || !st.local_wg_pubkey)
    return;
  auto key = net::wg::key_from_base64(*st.local_wg_pubkey);
  if (!key)
    return;
  if (st.transport_public_key && *st.transport_public_key == *st.local_wg_pubkey)
    return; // our own device: the bridge routes the subnet locally
  ask<done_reply>(self, *st.global_transport,
                  "transport of " + st.global_interface.value_or("the cluster device"),
                  wait_for::quick, transport_allowed_ip{*key, subnet, add},
                  [subnet](const done_reply& done) {
                    if (!done)
                      spdlog::debug("subnet {} not routed on the cluster device: {}",
                                    subnet.to_string(), done.error_message());
                  });
}

using bridge_done = std::function<void(result<service_bridge>)>;

// create_service_bridge (mechanics 7.4): registry slot, bridge, pool.
void make_bridge_for(coordinator_pointer self, const std::string& key, const std::string& name,
                     bridge_done done) {
  auto& st = self->state;
  auto node = std::to_string(st.local_node_id);
  ask<subnet_reply>(
    self, st.ipam, "ipam", wait_for::quick, assign_service_subnet{key, node, st.cluster_cidr},
    [self, key, name, node, done](const subnet_reply& subnet) {
      if (!subnet) {
        done(make_error(subnet.code(), "overlay engine error: ServiceSubnetRegistry::assign("
                                         + key + ", " + node + ") failed: "
                                         + subnet.error_message()));
        return;
      }
      auto cidr = *subnet;
      ask<address_reply>(
        self, self->state.bridges, "bridge manager", wait_for::host, make_bridge{name, cidr},
        [self, name, cidr, done](const address_reply& gateway) {
          if (!gateway) {
            done(gateway.err());
            return;
          }
          service_bridge bridge{name, cidr, *gateway};
          ask<address_reply>(self, self->state.ipam, "ipam", wait_for::quick,
                             open_pool{name, cidr},
                             [bridge, done](const address_reply& opened) {
                               // The ipam's refusal is not the bridge's failure (as
                               // the original); only no answer is.
                               if (!opened && no_answer(opened))
                                 return done(opened.err());
                               done(bridge);
                             });
        });
    });
}

void deliver_error(response_promise rp, const error& e) {
  rp.deliver(msg::response{msg::error_result{e.message}});
}

// Protected: the cluster device, the shared bridge, every dedicated
// device; not the service bridges (per-job bridges must be reclaimable).
prune_bridges prune_request(const coordinator_state& st, const std::vector<std::string>& live) {
  prune_bridges request;
  request.live.insert(live.begin(), live.end());
  if (st.global_interface)
    request.protected_names.insert(*st.global_interface);
  if (st.shared_bridge)
    request.protected_names.insert(st.shared_bridge->name);
  for (const auto& [service, d] : st.dedicated)
    request.protected_names.insert(d.interface);
  return request;
}

} // namespace

void set_up_service_bridge(coordinator_pointer self, const std::string& service,
                           msg::overlay_mode mode, response_promise rp) {
  auto& st = self->state;
  if (mode == msg::overlay_mode::shared) {
    if (st.shared_bridge) {
      st.service_interfaces[service] = st.shared_bridge->name;
      rp.deliver(info(st.shared_bridge->name, msg::overlay_mode::shared));
      return;
    }
    auto name = net::make_interface_name({st.deployment, st.instance_id, "shared"}, "sh");
    make_bridge_for(self, shared_bridge_key, name,
                    [self, service, rp](result<service_bridge> made) mutable {
                      if (!made)
                        return deliver_error(rp, made.err());
                      auto& st = self->state;
                      st.shared_bridge = *made;
                      st.service_interfaces[service] = made->name;
                      route_subnet_to_node(self, made->subnet, true);
                      rp.deliver(info(made->name, msg::overlay_mode::shared));
                    });
    return;
  }
  // Auto and Isolated (the fence comes with attach's isolation_network);
  // each answers its own mode (DECISIONS 8).
  ensure_service_bridge(self, service, true,
                        [rp, mode](result<service_bridge> made) mutable {
                          if (!made)
                            return deliver_error(rp, made.err());
                          rp.deliver(info(made->name, mode));
                        });
}

void ensure_service_bridge(coordinator_pointer self, const std::string& service,
                           bool route_on_cluster,
                           std::function<void(result<service_bridge>)> done) {
  auto& st = self->state;
  if (auto it = st.service_bridges.find(service); it != st.service_bridges.end()) {
    done(it->second);
    return;
  }
  auto name = net::make_interface_name({st.deployment, st.instance_id, service}, "b");
  make_bridge_for(self, service, name,
                  [self, service, route_on_cluster,
                   done](result<service_bridge> made) {
                    if (made) {
                      auto& st = self->state;
                      st.service_bridges[service] = *made;
                      st.service_interfaces[service] = made->name;
                      if (route_on_cluster)
                        route_subnet_to_node(self, made->subnet, true);
                    }
                    done(std::move(made));
                  });
}

void take_down_service_bridge(coordinator_pointer self, const std::string& service) {
  auto& st = self->state;
  st.service_interfaces.erase(service);
  std::string name = net::make_interface_name({st.deployment, st.instance_id, service}, "b");
  if (auto it = st.service_bridges.find(service); it != st.service_bridges.end()) {
    route_subnet_to_node(self, it->second.subnet, false);
    name = it->second.name;
    caf::anon_send(st.ipam, close_pool{name});
    st.service_bridges.erase(it);
  }
  // By name even without a record: a bridge of an earlier run goes too.
  ask<done_reply>(self, st.bridges, "bridge manager", wait_for::host, delete_bridge{name},
                  [name](const done_reply& done) {
                    if (!done)
                      spdlog::warn("delete bridge {}: {}", name, done.error_message());
                  });
  caf::anon_send(st.ipam, release_service_subnet{service, std::to_string(st.local_node_id)});
}

void revert_host_plumbing(coordinator_pointer self, std::function<void()> done) {
  auto forget = [self, done] {
    auto& st = self->state;
    for (const auto& [service, bridge] : st.service_bridges)
      caf::anon_send(st.ipam, close_pool{bridge.name});
    if (st.shared_bridge)
      caf::anon_send(st.ipam, close_pool{st.shared_bridge->name});
    st.service_bridges.clear();
    st.shared_bridge.reset();
    st.service_interfaces.clear();
    done();
  };
  // The records go whatever the answer: the teardown does not stop here.
  ask<done_reply>(self, self->state.bridges, "bridge manager", wait_for::host,
                  revert_host_changes{}, [forget](const done_reply& reverted) {
                    if (!reverted)
                      spdlog::warn("revert host changes: {}", reverted.error_message());
                    forget();
                  });
}

void prune_orphan_bridges(coordinator_pointer self, const std::vector<std::string>& live,
                          response_promise rp) {
  auto reply = [rp](std::vector<std::string> names) mutable {
    rp.deliver(msg::response{msg::pruned_bridges{std::move(names)}});
  };
  ask<assignments_reply>(
    self, self->state.ipam, "ipam", wait_for::quick, snapshot_service_subnets{},
    [self, live, reply](const answer_t<assignments_reply>& assignments) mutable {
      if (!assignments)
        return reply({});
      // What is protected is read now: a device may have come while the
      // ipam answered.
      ask<names_reply>(
        self, self->state.bridges, "bridge manager", wait_for::host,
        prune_request(self->state, live),
        [self, assignments = *assignments, reply](const answer_t<names_reply>& pruned) mutable {
          if (!pruned)
            return reply({});
          const auto& reclaimed = *pruned;
          auto& st = self->state;
          for (const auto& name : reclaimed) {
            // A -b or -d name of a registry slot gives the slot back.
            for (const auto& a : assignments) {
              for (const char* suffix : {"b", "d"}) {
                if (net::make_interface_name({st.deployment, st.instance_id, a.service},
                                             suffix)
                    != name)
                  continue;
                route_subnet_to_node(self, a.subnet, false);
                caf::anon_send(st.ipam, release_service_subnet{a.service, a.node});
              }
            }
            for (auto it = st.service_bridges.begin(); it != st.service_bridges.end();) {
              if (it->second.name == name) {
                caf::anon_send(st.ipam, close_pool{name});
                it = st.service_bridges.erase(it);
              } else {
                ++it;
              }
            }
            for (auto it = st.service_interfaces.begin(); it != st.service_interfaces.end();)
              it = it->second == name ? st.service_interfaces.erase(it) : std::next(it);
          }
          reply(reclaimed);
        });
    });
}

result<service_bridge> bridge_of(const coordinator_state& st,
                                                    const std::string& service) {
  if (uses_shared_bridge(st, service)) {
    if (!st.shared_bridge)
      return make_error("no shared bridge for Shared-mode service " + service
                        + "; call setup_service_overlay() first");
    return *st.shared_bridge;
  }
  auto it = st.service_bridges.find(service);
  if (it == st.service_bridges.end())
    return make_error("no service bridge for service " + service
                      + "; call setup_service_overlay() first");
  return it->second;
}

void allocate_service_address(coordinator_pointer self, const std::string& service,
                              response_promise rp) {
  auto& st = self->state;
  auto bridge = bridge_of(st, service);
  auto answer = [rp](const char* kind, std::string name, net::cidr subnet) mutable {
    return [rp, kind, name, subnet](const address_reply& got) mutable {
      if (got)
        rp.deliver(msg::response{msg::ip_result{*got}});
      else if (kind == nullptr || no_answer(got))
        rp.deliver(engine_error(got.error_message()));
      else // a pool's refusal reads as the pool running dry, as the original's
        rp.deliver(engine_error(std::string(kind) + " " + name + " subnet " + subnet.to_string()
                                + " exhausted"));
    };
  };
  if (!bridge) {
    // No bridge (yet): the node slice, as the original does.
    ask<address_reply>(self, st.ipam, "ipam", wait_for::quick, allocate_node_address{},
                       answer(nullptr, {}, {}));
    return;
  }
  const char* kind = uses_shared_bridge(st, service) ? "shared bridge" : "service bridge";
  ask<address_reply>(self, st.ipam, "ipam", wait_for::quick, allocate_pool_address{bridge->name},
                     answer(kind, bridge->name, bridge->subnet));
}

} // namespace overlayd
