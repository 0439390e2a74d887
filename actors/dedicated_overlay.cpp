#include "actors/dedicated_overlay.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>

#include "actors/ask.hpp"
#include "actors/device_maker.hpp"
#include "actors/device_metrics.hpp"
#include "actors/replies.hpp"
#include "actors/service_overlay.hpp"
#include "net/first_usable_ip.hpp"
#include "net/interface_name.hpp"
#include "net/wireguard/keys.hpp"
#include "platform/wg_interface.hpp"

namespace overlayd {

namespace {

std::string owner_of(const std::string& service) {
  return "service:" + service;
}

msg::response info_of(const coordinator_state::dedicated_transport& d, std::string name) {
  msg::service_overlay_info info;
  info.name = std::move(name);
  info.mode = msg::overlay_mode::dedicated;
  info.wg_public_key = d.public_key;
  info.wg_port = d.listen_port;
  info.overlay_ip = d.overlay_ip;
  info.subnet = d.subnet.to_string();
  return info;
}

// What one setup carries from step to step.
struct dedicated_setup {
  std::string service;
  response_promise rp;
  net::wg::key32 private_key{};
  std::uint16_t port = 0;
  std::string interface;
  bool port_is_new = false;
};

using setup_ptr = std::shared_ptr<dedicated_setup>;

void fail(coordinator_pointer self, const setup_ptr& s, msg::response error) {
  if (s->port_is_new)
    caf::anon_send(self->state.ipam, release_dedicated_port{s->port});
  s->rp.deliver(std::move(error));
}

// Step 7: the record, then the identity on disk, then the bridge.
void keep_device(coordinator_pointer self, const setup_ptr& s, const net::cidr& subnet,
                 const net::cidr& address, std::shared_ptr<platform::wg_device> device) {
  auto& st = self->state;
  const auto overlay_ip = address.address();
  coordinator_state::dedicated_transport record;
  st.overlay_mtu = device->mtu();
  if (st.transports.metrics)
    collect_device_metrics(*st.transports.metrics, device);
  record.actor = self->system().spawn(transport, std::move(device));
  self->link_to(record.actor);
  record.interface = s->interface;
  record.public_key = net::wg::key_to_base64(net::wg::public_key_from_private(s->private_key));
  record.listen_port = s->port;
  record.overlay_ip = overlay_ip;
  record.subnet = subnet;

  net::network_entry entry;
  entry.owner = owner_of(s->service);
  entry.kind = "wg-dedicated";
  entry.name = s->interface;
  entry.id = record.public_key;
  entry.subnet = subnet.to_string();
  entry.wg_port = s->port;
  entry.wg_private_key = net::wg::key_to_base64(s->private_key);
  entry.wg_public_key = record.public_key;
  entry.interface = s->interface;
  ask<done_reply>(self, st.ipam, "ipam", wait_for::quick, save_network{std::move(entry)},
                  [service = s->service](const done_reply& saved) {
                    if (!saved)
                      spdlog::warn("dedicated overlay {}: identity not saved: {}", service,
                                   saved.error_message());
                  });
  spdlog::info("dedicated overlay {} up: {} on {} port {}", s->service, s->interface,
               address.to_address_string(), s->port);
  auto answer = record; // the record stays even if the bridge then fails (as the original)
  st.dedicated.emplace(s->service, std::move(record));
  ensure_service_bridge(self, s->service, false,
                        [s, answer](result<service_bridge> bridge) {
                          if (!bridge) {
                            s->rp.deliver(msg::response{msg::error_result{bridge.error_message()}});
                            return;
                          }
                          s->rp.deliver(info_of(answer, bridge->name));
                        });
}

// Step 6: the device. Making it blocks on the kernel, so the device maker
// does it on its own thread; its listen address is chosen there too.
void bring_up(coordinator_pointer self, const setup_ptr& s, const net::cidr& subnet) {
  auto& st = self->state;
  const auto overlay_ip = net::first_usable_ip(subnet);
  // DECISIONS 17, worked out in namespaces (tests/integration/
  // dedicated_routing_test.cpp): the service bridge owns the subnet
  // (gateway = first usable, the connected route for local containers);
  // the device takes the same address as a /32 only, so the two never
  // hold the same connected route, and remote nodes' subnets of the
  // service are routed through the device as their allowed IPs arrive.
  const auto address = net::cidr(overlay_ip, overlay_ip.max_prefix());
  platform::wg_interface_config config;
  config.device = st.transports.device(s->interface);
  config.private_key = s->private_key;
  config.listen_port = s->port;
  config.address = address;
  ask<device_made>(
    self, st.devices, "device maker", wait_for::host,
    make_device{std::move(config), overlay_ip, /*replace_stale=*/false},
    [self, s, subnet, address](const answer_t<device_made>& made) {
      if (!made || !made->device) {
        fail(self, s, engine_error(device_failure(made, "dedicated overlay for " + s->service)));
        return;
      }
      keep_device(self, s, subnet, address, made->device);
    });
}

// Step 3: the subnet, keyed like the Auto path's.
void assign_subnet(coordinator_pointer self, const setup_ptr& s) {
  auto& st = self->state;
  auto node = std::to_string(st.local_node_id);
  ask<subnet_reply>(self, st.ipam, "ipam", wait_for::quick,
                    assign_service_subnet{s->service, node, st.cluster_cidr},
                    [self, s, node](const subnet_reply& subnet) {
                      if (!subnet) {
                        if (no_answer(subnet))
                          fail(self, s, engine_error(subnet.error_message()));
                        else
                          fail(self, s,
                               engine_error("ServiceSubnetRegistry::assign(" + s->service + ", "
                                            + node + ") failed: " + subnet.error_message()));
                        return;
                      }
                      bring_up(self, s, *subnet);
                    });
}

// Step 2: the identity of an earlier run, or a new one.
void choose_identity(coordinator_pointer self, const setup_ptr& s,
                     const network_reply& saved) {
  if (saved && saved->wg_private_key && saved->wg_public_key && saved->wg_port
      && saved->interface) {
    if (auto key = net::wg::key_from_base64(*saved->wg_private_key)) {
      s->private_key = *key;
      s->port = *saved->wg_port; // the band reserved it when the state was loaded
      s->interface = *saved->interface;
      spdlog::info("dedicated overlay {}: reusing the saved identity", s->service);
      assign_subnet(self, s);
      return;
    }
    spdlog::warn("dedicated overlay {}: saved key unusable, making a new identity", s->service);
  }
  auto& st = self->state;
  s->private_key = net::wg::generate_private_key();
  s->interface = net::make_interface_name({st.deployment, st.instance_id, s->service}, "d");
  ask<port_reply>(self, st.ipam, "ipam", wait_for::quick, allocate_dedicated_port{},
                  [self, s](const port_reply& port) {
                    if (!port) {
                      s->rp.deliver(no_answer(port)
                                      ? engine_error(port.error_message())
                                      : msg::response{msg::error_result{port.error_message()}});
                      return;
                    }
                    s->port = *port;
                    s->port_is_new = true;
                    assign_subnet(self, s);
                  });
}

} // namespace

void set_up_dedicated_overlay(coordinator_pointer self, const std::string& service,
                              response_promise rp) {
  auto& st = self->state;
  if (auto it = st.dedicated.find(service); it != st.dedicated.end()) {
    auto bridge = st.service_bridges.find(service);
    rp.deliver(info_of(it->second, bridge != st.service_bridges.end() ? bridge->second.name
                                                                      : it->second.interface));
    return;
  }
  auto s = std::make_shared<dedicated_setup>();
  s->service = service;
  s->rp = rp;
  ask<network_reply>(self, st.ipam, "ipam", wait_for::quick, find_network{owner_of(service)},
                     [self, s](const answer_t<network_reply>& saved) {
                       if (!saved) {
                         s->rp.deliver(engine_error(saved.error_message()));
                         return;
                       }
                       choose_identity(self, s, *saved);
                     });
}

namespace {

using status_ptr = std::shared_ptr<msg::status_snapshot>;
using dedicated_list = std::shared_ptr<std::vector<msg::dedicated_service_status>>;

// One device after the other, so the answer lists them in service order.
void read_next(coordinator_pointer self, status_ptr s, dedicated_list todo,
               std::vector<transport_actor> devices, std::size_t next, response_promise rp) {
  if (next == devices.size()) {
    s->dedicated_services = std::move(*todo);
    rp.deliver(msg::response{std::move(*s)});
    return;
  }
  auto step = [=](std::uint32_t peers) mutable {
    (*todo)[next].peer_count = peers;
    read_next(self, s, todo, devices, next + 1, rp);
  };
  ask<transport_status_reply>(self, devices[next], "transport of " + (*todo)[next].interface,
                              wait_for::quick, transport_status{},
                              [step](const answer_t<transport_status_reply>& r) mutable {
                                // As the original: 0 on a dump error.
                                step(r ? static_cast<std::uint32_t>(r->peers.size()) : 0);
                              });
}

} // namespace

void deliver_status_with_dedicated(coordinator_pointer self, msg::status_snapshot snapshot,
                                   response_promise rp) {
  const auto& st = self->state;
  auto todo = std::make_shared<std::vector<msg::dedicated_service_status>>();
  std::vector<transport_actor> devices;
  // Every per-service overlay (its bridge, shared or its own), plus the
  // Dedicated devices not counted there (the original's service_count).
  std::size_t services = st.service_interfaces.size();
  for (const auto& [service, d] : st.dedicated) {
    todo->push_back(msg::dedicated_service_status{service, d.interface, d.public_key,
                                                  d.listen_port, d.overlay_ip,
                                                  d.subnet.to_string(), 0});
    devices.push_back(d.actor);
    if (st.service_interfaces.count(service) == 0)
      ++services;
  }
  snapshot.service_count = static_cast<std::uint32_t>(services);
  read_next(self, std::make_shared<msg::status_snapshot>(std::move(snapshot)), todo,
            std::move(devices), 0, rp);
}

void stop_dedicated_devices(coordinator_pointer self) {
  auto& st = self->state;
  for (const auto& [service, d] : st.dedicated) {
    self->unlink_from(d.actor);
    caf::anon_send_exit(d.actor, caf::exit_reason::user_shutdown);
    spdlog::info("dedicated overlay {} down (its identity stays saved)", service);
  }
  st.dedicated.clear();
}

void take_down_dedicated_overlay(coordinator_pointer self, const std::string& service) {
  auto& st = self->state;
  auto it = st.dedicated.find(service);
  if (it == st.dedicated.end())
    return;
  self->unlink_from(it->second.actor);
  caf::anon_send_exit(it->second.actor, caf::exit_reason::user_shutdown);
  caf::anon_send(st.ipam, release_dedicated_port{it->second.listen_port});
  caf::anon_send(st.ipam, forget_network{owner_of(service)});
  spdlog::info("dedicated overlay {} down", service);
  st.dedicated.erase(it);
}

} // namespace overlayd
