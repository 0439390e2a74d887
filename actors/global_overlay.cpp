#include "actors/global_overlay.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "net/interface_name.hpp"
#include "net/wireguard/keys.hpp"
#include "platform/netlink.hpp"
#include "platform/egress.hpp"
#include "platform/wg_interface.hpp"

namespace overlayd {

msg::response bring_up_global_overlay(coordinator_actor::stateful_pointer<coordinator_state> self) {
  auto& st = self->state;
  if (st.global_transport && st.global_interface)
    return msg::bridge_name{*st.global_interface};
  const std::string name = net::make_interface_name({st.deployment, st.instance_id}, "g");
  auto private_key = net::wg::generate_private_key();
  st.transport_public_key =
    net::wg::key_to_base64(net::wg::public_key_from_private(private_key));

  platform::wg_interface_config config;
  config.device.interface = name;
  config.device.uapi_directory = st.transports.uapi_dir;
  config.device.mtu = st.transports.mtu;
  config.device.timing = st.transports.timing;
  config.device.offloads = st.transports.offloads;
  config.device.listen_address = platform::wireguard_bind_address(*st.node_ip);
  config.private_key = private_key;
  config.listen_port = st.overlay_port;
  config.address = net::cidr(*st.node_ip, st.cluster_cidr.prefix());
  // A link left by an earlier run (a crash) would block the new one.
  if (auto removed = platform::delete_link(name); !removed)
    spdlog::warn("{}", removed.error_message());
  auto up = platform::bring_up_wg_interface(config);
  if (!up.device) {
    const char* what = up.failure.stage == platform::bring_up_stage::create
                         ? "Failed to create global overlay: "
                         : "Failed to configure global overlay: ";
    return msg::error_result{std::string("overlay engine error: ") + what + up.failure.message};
  }
  std::shared_ptr<platform::wg_device> device = std::move(up.device);
  st.global_transport = self->system().spawn(transport, device);
  // Linked: when the coordinator ends, so does the device.
  self->link_to(*st.global_transport);
  st.global_interface = name;
  caf::anon_send(st.nat, nat_use_device{device});
  // Allow and masquerade rules, unmanaged drop-ins (the bridge manager's).
  caf::anon_send(st.bridges, secure_overlay{st.cluster_cidr, name});
  spdlog::info("global overlay {} up: {} port {}, public key {}", name,
               config.address.to_address_string(), device->listen_port(),
               *st.transport_public_key);
  return msg::bridge_name{name};
}

void take_down_global_overlay(coordinator_actor::stateful_pointer<coordinator_state> self) {
  auto& st = self->state;
  if (st.global_transport) {
    self->unlink_from(*st.global_transport);
    caf::anon_send_exit(*st.global_transport, caf::exit_reason::user_shutdown);
    spdlog::info("global overlay {} down", st.global_interface.value_or("?"));
  }
  caf::anon_send(st.nat, nat_use_device{nullptr});
  st.global_transport.reset();
  st.global_interface.reset();
  st.transport_public_key.reset();
}

} // namespace overlayd
