// device maker: makes WireGuard devices, the blocking part of bringing an
// overlay up (TUN, netlink, the UAPI socket). Spawned detached and confined
// to the node's namespace, so no scheduled actor waits on the kernel and
// every device lands where the node's links belong (host_access.hpp).
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

#include "net/base/ip_address.hpp"
#include "net/base/result.hpp"
#include "platform/wg_interface.hpp"

namespace overlayd {

struct make_device {
  platform::wg_interface_config config; // its listen address is chosen here
  net::ip_address overlay_ip;           // ... for this overlay address
  bool replace_stale = false;           // delete a link of the same name first (a crash's)
};

struct device_made {
  std::shared_ptr<platform::wg_device> device; // null on failure
  platform::bring_up_failure failure;
};

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::make_device)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::device_made)

namespace overlayd {

using device_maker_actor = caf::typed_actor<caf::replies_to<make_device>::with<device_made>>;

// Why `made` brought no device, in the transport's words: "Failed to create
// <what>: <why>" or "Failed to configure <what>: <why>". A device maker that
// did not answer counts as the creation failing.
std::string device_failure(const result<device_made>& made, const std::string& what);

device_maker_actor::behavior_type device_maker(device_maker_actor::pointer self,
                                               std::string netns);

} // namespace overlayd
