#include "platform/wg_interface.hpp"

#include <spdlog/spdlog.h>

#include "platform/addresses.hpp"
#include "platform/netlink.hpp"

namespace overlayd::platform {

bring_up_result bring_up_wg_interface(const wg_interface_config& config) {
  bring_up_result out;
  const std::string& name = config.device.interface;
  auto created = wg_device::create(config.device);
  if (!created) {
    out.failure = {bring_up_stage::create, created.error_message()};
    return out;
  }
  auto fail = [&](std::string message) {
    out.failure = {bring_up_stage::configure, std::move(message)};
    return std::move(out);
  };
  net::wg::uapi_set_request set;
  set.private_key = config.private_key;
  set.listen_port = config.listen_port;
  auto configured = (*created)->configure(set);
  if (configured.code != net::wg::uapi_errno::ok)
    return fail(configured.message);
  if (auto r = add_address(name, config.address); !r)
    return fail(r.error_message());
  if (auto r = set_link_mtu(name, config.device.mtu); !r)
    spdlog::warn("{}: {}", name, r.error_message()); // the default MTU still works
  if (auto r = set_link_up(name); !r)
    return fail(r.error_message());
  net::cidr network(config.address.network(), config.address.prefix());
  if (auto r = add_link_route(name, network); !r)
    return fail(r.error_message());
  out.device = std::move(*created);
  return out;
}

} // namespace overlayd::platform
