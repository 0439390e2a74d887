#include "actors/device_maker.hpp"

#include <spdlog/spdlog.h>

#include <caf/typed_event_based_actor.hpp>

#include "actors/confine.hpp"
#include "platform/egress.hpp"
#include "platform/netlink.hpp"

namespace overlayd {

std::string device_failure(const result<device_made>& made, const std::string& what) {
  if (!made)
    return "Failed to create " + what + ": " + made.error_message();
  const char* step =
    made->failure.stage == platform::bring_up_stage::create ? "create " : "configure ";
  return "Failed to " + std::string(step) + what + ": " + made->failure.message;
}

device_maker_actor::behavior_type device_maker(device_maker_actor::pointer self,
                                               std::string netns) {
  confine(self, netns);
  return {
    [](make_device& r) {
      auto& config = r.config;
      config.device.listen_address = platform::wireguard_bind_address(r.overlay_ip);
      if (config.device.mtu == 0) // derived from the underlay (the default)
        config.device.mtu = platform::derive_overlay_mtu(r.overlay_ip.fam());
      if (r.replace_stale)
        if (auto removed = platform::delete_link(config.device.interface); !removed)
          spdlog::warn("{}", removed.error_message());
      auto up = platform::bring_up_wg_interface(config);
      return device_made{std::shared_ptr<platform::wg_device>(std::move(up.device)),
                         std::move(up.failure)};
    },
  };
}

} // namespace overlayd
