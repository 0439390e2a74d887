// wg_interface: brings a WireGuard interface all the way up, as the
// transport's create_interface + configure do (nat_transport.md 2.4-2.5):
// the device with its key and port, its overlay address, MTU, link up and
// a route for the overlay network through it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/base/cidr.hpp"
#include "net/base/result.hpp"
#include "net/wireguard/keys.hpp"
#include "platform/wg_device.hpp"

namespace overlayd::platform {

struct wg_interface_config {
  wg_device_options device;
  net::wg::key32 private_key{};
  std::uint16_t listen_port = 0;
  net::cidr address; // e.g. 10.200.0.1/16: the node IP with the overlay prefix
};

enum class bring_up_stage { create, configure };

struct bring_up_failure {
  bring_up_stage stage;
  std::string message;
};

// On failure nothing is left behind (the device is dropped) and the
// failure says which step it was, for the caller's error text.
struct bring_up_result {
  std::unique_ptr<wg_device> device;
  bring_up_failure failure{bring_up_stage::create, {}};
};

bring_up_result bring_up_wg_interface(const wg_interface_config& config);

} // namespace overlayd::platform
