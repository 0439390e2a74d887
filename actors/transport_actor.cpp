#include "actors/transport_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

#include "platform/wg_device.hpp"

namespace overlayd {

namespace {

done_reply applied(const net::wg::uapi_error& e) {
  if (e.code != net::wg::uapi_errno::ok)
    return make_error(e.message);
  return true;
}

done_reply change_allowed_ip(platform::wg_device& device, const transport_allowed_ip& r) {
  auto status = device.status();
  auto peer = std::find_if(status.peers.begin(), status.peers.end(),
                           [&](const auto& p) { return net::wg::keys_equal(p.public_key, r.peer); });
  if (peer == status.peers.end()) {
    if (!r.add)
      return false;
    return make_error("cannot add allowed_ip " + r.prefix.to_address_string()
                      + " to unknown peer " + net::wg::key_to_base64(r.peer));
  }
  // The device stores prefixes masked; compare the same way.
  net::cidr wanted(r.prefix.network(), r.prefix.prefix());
  auto& ips = peer->allowed_ips;
  auto present = std::find(ips.begin(), ips.end(), wanted);
  if (r.add == (present != ips.end()))
    return true; // already as asked
  net::wg::uapi_peer_config change;
  change.public_key = r.peer;
  change.update_only = true;
  change.replace_allowed_ips = true;
  change.allowed_ips = ips;
  if (r.add)
    change.allowed_ips.push_back(wanted);
  else
    change.allowed_ips.erase(present - ips.begin() + change.allowed_ips.begin());
  net::wg::uapi_set_request set;
  set.peers.push_back(std::move(change));
  return applied(device.configure(set));
}

} // namespace

transport_actor::behavior_type
transport(transport_actor::stateful_pointer<transport_state> self,
          std::shared_ptr<platform::wg_device> device) {
  self->state.device = std::move(device);
  return {
    [self](const transport_set& r) { return applied(self->state.device->configure(r.set)); },
    [self](const transport_allowed_ip& r) { return change_allowed_ip(*self->state.device, r); },
    [self](const transport_status&) { return self->state.device->status(); },
  };
}

} // namespace overlayd
