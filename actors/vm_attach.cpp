#include "actors/vm_attach.hpp"

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/isolation.hpp"
#include "net/base/endpoint.hpp"
#include "net/wireguard/keys.hpp"

namespace overlayd {

namespace {

net::cidr host_prefix(const net::ip_address& ip) {
  return net::cidr(ip, ip.max_prefix());
}

} // namespace

// -- host-shared -----------------------------------------------------------------------

void attach_host_shared(attachments_pointer self, const msg::attach_container& request,
                        const attach_context& context, const std::string& id,
                        attach_promise rp) {
  ask<address_reply>(
    self, self->state.ipam, "ipam", wait_for::quick, allocate_node_address{},
    [self, request, context, id, rp](const address_reply& ip) mutable {
      auto& st = self->state;
      if (!ip) {
        rp.deliver(refused("overlay engine error: " + ip.error_message()));
        return;
      }
      if (!context.node.global_transport || !context.node.global_interface) {
        caf::anon_send(st.ipam, release_address{*ip});
        rp.deliver(refused("host-shared attach requires the global overlay to be set up "
                           "first (no utun to alias the container /32 on)"));
        return;
      }
      auto address = *ip;
      alias_address alias{*context.node.global_interface, host_prefix(address), true};
      ask<done_reply>(
        self, st.bridges, "bridge manager", wait_for::host, alias,
        [self, request, context, id, address, alias, rp](const done_reply& aliased) mutable {
          auto& st = self->state;
          if (!aliased) {
            // Unanswered, the alias may still come: its removal queues after it.
            if (no_answer(aliased))
              caf::anon_send(st.bridges, alias_address{alias.interface, alias.address, false});
            caf::anon_send(st.ipam, release_address{address});
            rp.deliver(refused("overlay engine error: " + aliased.error_message()));
            return;
          }
          if (request.isolation_network)
            fence(self, context.node, *request.isolation_network, address);
          st.host_shared[id] = attachments_state::attachment{
            address, request.service, std::nullopt, request.ephemeral, request.isolation_network};
          rp.deliver(attach_outcome{msg::response{msg::attach_result{address, std::nullopt}},
                                    request.service, std::nullopt});
        });
    });
}

void detach_host_shared(attachments_pointer self, const detach_context& context,
                        const std::string& id, detach_promise rp) {
  auto& st = self->state;
  auto it = st.host_shared.find(id);
  if (it == st.host_shared.end()) {
    rp.deliver(detach_outcome{});
    return;
  }
  auto record = it->second;
  st.host_shared.erase(it);
  if (record.isolation_network)
    caf::anon_send(st.bridges,
                   unfence(self, context.node, *record.isolation_network, record.service_ip));
  if (context.node.global_interface)
    caf::anon_send(st.bridges, alias_address{*context.node.global_interface,
                                             host_prefix(record.service_ip), false});
  caf::anon_send(st.ipam, release_address{record.service_ip});
  rp.deliver(detach_outcome{});
}

// -- VM guests -------------------------------------------------------------------------

namespace {

const std::string guest_prefix = "guest-managed attach requires the global overlay to be set up first ";

// The device a guest of the service joins: its Dedicated device when it
// has one (DECISIONS 16), else the cluster device.
guest_device device_for_guest(const attach_context& context) {
  if (context.dedicated_device)
    return *context.dedicated_device;
  return {*context.node.global_transport,
          context.node.global_interface.value_or("the cluster device"),
          *context.transport_public_key, context.overlay_port};
}

void register_guest(attachments_pointer self, const msg::attach_container& request,
                    const attach_context& context, const std::string& id, net::ip_address ip,
                    unsigned prefix, std::string pool_service, attach_promise rp) {
  auto device = device_for_guest(context);
  auto private_key = net::wg::generate_private_key();
  auto public_key = net::wg::key_to_base64(net::wg::public_key_from_private(private_key));
  // The guest's one peer: this node's device.
  msg::peer_spec node;
  node.public_key = device.public_key;
  node.endpoint = (context.node.node_ip ? context.node.node_ip->to_string() : "0.0.0.0") + ":"
                  + std::to_string(device.port);
  node.allowed_ips = context.cluster_cidr_text;
  node.persistent_keepalive_secs = 25;
  // The guest on the cluster device: no endpoint until it sends (it roams).
  net::wg::uapi_peer_config as_peer;
  as_peer.public_key = net::wg::public_key_from_private(private_key);
  as_peer.allowed_ips = {host_prefix(ip)};
  net::wg::uapi_set_request set;
  set.peers.push_back(as_peer);
  ask<done_reply>(
    self, device.actor, "transport of " + device.interface, wait_for::quick,
    transport_set{std::move(set)},
    [self, request, context, id, ip, prefix, pool_service, private_key, public_key, node, device,
     rp](const done_reply& added) mutable {
      auto& st = self->state;
      if (!added) {
        // Unanswered, the peer may still be added: its removal queues after it.
        if (no_answer(added)) {
          net::wg::uapi_peer_config gone;
          gone.public_key = net::wg::public_key_from_private(private_key);
          gone.remove = true;
          net::wg::uapi_set_request undo;
          undo.peers.push_back(gone);
          caf::anon_send(device.actor, transport_set{std::move(undo)});
        }
        caf::anon_send(st.ipam, release_address{ip});
        rp.deliver(refused("overlay engine error: add_peer failed: " + added.error_message()));
        return;
      }
      if (request.isolation_network)
        fence(self, context.node, *request.isolation_network, ip);
      st.guests[id] = attachments_state::guest{ip, public_key, pool_service,
                                               request.isolation_network};
      msg::guest_overlay_config config;
      config.overlay_ip = ip;
      config.prefix_len = static_cast<std::uint8_t>(prefix);
      config.private_key = net::wg::key_to_base64(private_key);
      config.public_key = public_key;
      config.listen_port = device.port;
      config.peers = {node};
      config.dns_server = request.dns_server;
      if (!config.dns_server && context.dns_server_addr)
        if (auto e = net::parse_endpoint(*context.dns_server_addr))
          config.dns_server = e->address;
      config.dns_domain = request.dns_domain ? request.dns_domain : context.dns_domain;
      rp.deliver(attach_outcome{
        msg::response{std::move(config)}, pool_service,
        msg::peer_spec{public_key, "0.0.0.0:0", host_prefix(ip).to_address_string(), 0, {}}});
    });
}

} // namespace

void attach_guest(attachments_pointer self, const msg::attach_container& request,
                  const attach_context& context, const std::string& id, attach_promise rp) {
  if (!context.transport_public_key) {
    rp.deliver(refused(guest_prefix + "(no node WireGuard public key)"));
    return;
  }
  if (!context.node.global_transport) {
    rp.deliver(refused(guest_prefix + "(no global transport)"));
    return;
  }
  if (context.bridge) {
    auto b = *context.bridge;
    ask<address_reply>(
      self, self->state.ipam, "ipam", wait_for::quick, allocate_pool_address{b.name},
      [self, request, context, id, b, rp](const address_reply& ip) mutable {
        if (!ip) {
          if (no_answer(ip))
            rp.deliver(refused(ip.error_message()));
          else // any refusal reads as the pool running dry, as the original's
            rp.deliver(refused("overlay engine error: service bridge " + b.name + " subnet "
                               + b.subnet.to_string() + " exhausted"));
          return;
        }
        register_guest(self, request, context, id, *ip, b.subnet.prefix(), request.service, rp);
      });
    return;
  }
  ask<address_reply>(
    self, self->state.ipam, "ipam", wait_for::quick, allocate_node_address{},
    [self, request, context, id, rp](const address_reply& ip) mutable {
      if (!ip) {
        rp.deliver(refused("overlay engine error: " + ip.error_message()));
        return;
      }
      register_guest(self, request, context, id, *ip, context.node_slice_prefix, "", rp);
    });
}

void detach_guest(attachments_pointer self, const detach_context& context, const std::string& id,
                  detach_promise rp) {
  auto& st = self->state;
  auto it = st.guests.find(id);
  if (it == st.guests.end()) {
    rp.deliver(detach_outcome{});
    return;
  }
  auto record = it->second;
  st.guests.erase(it);
  // From the device it joined (DECISIONS 16: a Dedicated service's own).
  auto dedicated = context.dedicated_devices.find(record.service);
  std::optional<transport_actor> device = context.node.global_transport;
  if (dedicated != context.dedicated_devices.end())
    device = dedicated->second;
  if (auto key = net::wg::key_from_base64(record.public_key); key && device) {
    net::wg::uapi_peer_config gone;
    gone.public_key = *key;
    gone.remove = true;
    net::wg::uapi_set_request set;
    set.peers.push_back(gone);
    caf::anon_send(*device, transport_set{std::move(set)});
  }
  if (record.isolation_network)
    caf::anon_send(st.bridges,
                   unfence(self, context.node, *record.isolation_network, record.overlay_ip));
  caf::anon_send(st.ipam, release_address{record.overlay_ip});
  rp.deliver(detach_outcome{std::nullopt, record.public_key});
}

} // namespace overlayd
