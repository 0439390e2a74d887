#include "actors/global_overlay.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/device_metrics.hpp"
#include "actors/nat_link.hpp"
#include "actors/replies.hpp"
#include "net/interface_name.hpp"
#include "net/wireguard/keys.hpp"
#include "platform/wg_device.hpp"

namespace overlayd {

void bring_up_global_overlay(coordinator_actor::stateful_pointer<coordinator_state> self,
                             std::function<void(msg::response)> done) {
  auto& st = self->state;
  if (st.global_transport && st.global_interface)
    return done(msg::bridge_name{*st.global_interface});
  const std::string name = net::make_interface_name({st.deployment, st.instance_id}, "g");
  auto private_key = net::wg::generate_private_key();

  platform::wg_interface_config config;
  config.device = st.transports.device(name);
  config.private_key = private_key;
  config.listen_port = st.overlay_port;
  config.address = net::cidr(*st.node_ip, st.cluster_cidr.prefix());
  // A link left by an earlier run (a crash) would block the new one.
  make_device order{config, *st.node_ip, true};
  ask<device_made>(self, st.devices, "device maker", wait_for::host, std::move(order),
                   [self, name, private_key, address = config.address,
                    done](result<device_made> made) {
    auto& st = self->state;
    if (!made || !made->device)
      return done(engine_error(device_failure(made, "global overlay")));
    auto device = made->device;
    st.overlay_mtu = device->mtu();
    st.transport_public_key =
      net::wg::key_to_base64(net::wg::public_key_from_private(private_key));
    if (st.transports.metrics)
      collect_device_metrics(*st.transports.metrics, device);
    st.global_transport = self->system().spawn(transport, device);
    // Linked: when the coordinator ends, so does the device.
    self->link_to(*st.global_transport);
    st.global_interface = name;
    tell_nat(self, nat_use_device{device});
    caf::anon_send(st.dns, dns_overlay_address{*st.node_ip});
    // Allow and masquerade rules, unmanaged drop-ins (the bridge manager's).
    caf::anon_send(st.bridges, secure_overlay{st.cluster_cidr, name});
    spdlog::info("global overlay {} up: {} port {}, public key {}", name,
                 address.to_address_string(), device->listen_port(),
                 *st.transport_public_key);
    done(msg::bridge_name{name});
  });
}

void take_down_global_overlay(coordinator_actor::stateful_pointer<coordinator_state> self) {
  auto& st = self->state;
  if (st.global_transport) {
    self->unlink_from(*st.global_transport);
    caf::anon_send_exit(*st.global_transport, caf::exit_reason::user_shutdown);
    spdlog::info("global overlay {} down", st.global_interface.value_or("?"));
  }
  tell_nat(self, nat_use_device{nullptr});
  caf::anon_send(st.dns, dns_overlay_address{std::nullopt});
  st.global_transport.reset();
  st.global_interface.reset();
  st.transport_public_key.reset();
}

} // namespace overlayd
