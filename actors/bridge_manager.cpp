#include "actors/bridge_manager.hpp"

#include <spdlog/spdlog.h>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

#include "actors/bridge_manager_state.hpp"
#include "actors/confine.hpp"
#include "net/first_usable_ip.hpp"
#include "platform/addresses.hpp"
#include "net/interface_name.hpp"
#include "platform/bridge.hpp"
#include "platform/links.hpp"
#include "platform/netlink.hpp"
#include "platform/netns.hpp"
#include "platform/orphan_veth_sweep.hpp"
#include "platform/routes.hpp"
#include "platform/veth.hpp"

namespace overlayd {

namespace {

void remember(std::vector<std::string>& record, const std::string& name) {
  if (std::find(record.begin(), record.end(), name) == record.end())
    record.push_back(name);
}

error overlay_error(const std::string& message) {
  return make_error("overlay engine error: " + message);
}

} // namespace

void bridge_manager_state::init(host_access host) {
  host_ = std::move(host);
  forwarding_.emplace(*host_.sysctl);
  firewall_.emplace(*host_.runner, *host_.sysctl);
  dropins_.emplace(*host_.runner, host_.dropin_root);
}

done_reply bridge_manager_state::secure(const secure_overlay& r) {
  // Traffic for this node's IPv6 containers arrives on the device.
  if (r.cluster.network().is_v6())
    forwarding_->enable_ipv6(r.device);
  if (host_.rootless) {
    spdlog::info("rootless mode: skipping host iptables (pasta provides egress + port "
                 "forwarding)");
    return true;
  }
  if (auto marked = dropins_->mark(); !marked)
    spdlog::warn("{}", marked.error_message());
  if (auto allowed = firewall_->ensure_overlay_subnet_rules(r.cluster); !allowed)
    spdlog::warn("{}", allowed.error_message());
  if (auto masqueraded = firewall_->ensure_overlay_masquerade(r.cluster); !masqueraded)
    spdlog::warn("{}", masqueraded.error_message());
  return true;
}

done_reply bridge_manager_state::fence(const fence_member& r) {
  if (auto fenced = firewall_->ensure_member_isolation(r.network, r.member, r.peers, r.node_ip,
                                                       r.cluster);
      !fenced)
    spdlog::warn("{}", fenced.error_message());
  return true;
}

done_reply bridge_manager_state::unfence(const unfence_member& r) {
  firewall_->remove_member_isolation(r.network, r.member, r.remaining, r.node_ip, r.cluster);
  return true;
}

// create_service_bridge steps 1-6 (mechanics 7.4).
address_reply bridge_manager_state::make(const make_bridge& r) {
  if (auto made = platform::create_bridge(r.name); !made)
    return overlay_error("create_bridge(" + r.name + ") failed: " + made.error_message());
  if (auto stp = platform::set_bridge_stp(r.name, false); !stp)
    spdlog::warn("{}", stp.error_message());
  // Heals a bridge that survived a restart with an old gateway.
  if (auto flushed = platform::flush_addresses(r.name); !flushed)
    spdlog::warn("{}", flushed.error_message());
  const auto gateway = net::first_usable_ip(r.subnet);
  const net::cidr address(gateway, r.subnet.prefix());
  if (auto added = platform::add_address_strict(r.name, address); !added) {
    ignore_failure(platform::delete_link(r.name)); // the first error is the one to report
    return overlay_error("add_address_to_link_by_name(" + r.name + ", "
                         + address.to_address_string() + ") failed: " + added.error_message());
  }
  if (auto up = platform::set_link_up(r.name); !up) {
    ignore_failure(platform::delete_link(r.name));
    return overlay_error("set_link_up_by_name(" + r.name + ") failed: " + up.error_message());
  }
  remember(created_bridges_, r.name);
  spdlog::info("bridge {} up with gateway {}", r.name, address.to_address_string());
  return gateway;
}

done_reply bridge_manager_state::remove(const delete_bridge& r) {
  if (auto deleted = platform::delete_link(r.name); !deleted)
    return deleted.err();
  return true;
}

// Steps 8-10 of attach_to_interface: both ends configured.
result<void> bridge_manager_state::plumb(const attach_veth& r, int netns_fd,
                                         const std::string& host) {
  // The container end is made in the container under its final name: one
  // message instead of the original's create, move and rename.
  if (auto made = platform::create_veth_pair(host, r.ifname, netns_fd); !made)
    return overlay_error("create veth pair: " + made.error_message());
  const unsigned prefix =
    r.bridge ? r.bridge->prefix : (r.ip.is_v4() ? 24u : 64u); // the eth1 path's fixed prefix
  // Both ends at the overlay's MTU: a container's TCP then offers an MSS
  // that fits the tunnel, instead of learning it from ICMP (or not at all
  // where ICMP is filtered).
  if (r.mtu != 0)
    if (auto sized = platform::set_link_mtu(host, r.mtu); !sized)
      return overlay_error(sized.error_message());
  auto inside = platform::run_in_netns(netns_fd, [&]() -> result<void> {
    if (r.mtu != 0)
      if (auto sized = platform::set_link_mtu(r.ifname, r.mtu); !sized)
        return sized;
    if (auto added = platform::add_address_strict(r.ifname, net::cidr(r.ip, prefix)); !added)
      return added;
    if (auto up = platform::set_link_up(r.ifname); !up)
      return up;
    if (auto lo = platform::set_link_up("lo"); !lo)
      return lo;
    if (r.bridge)
      return platform::add_default_route_via_gateway(r.bridge->gateway);
    return {};
  });
  if (!inside)
    return overlay_error("container netns ops: " + inside.error_message());
  if (auto up = platform::set_link_up(host); !up)
    return overlay_error("set " + host + " up: " + up.error_message());
  if (r.bridge) {
    if (auto enslaved = platform::add_link_to_bridge(host, r.bridge->bridge); !enslaved)
      return overlay_error("enslave " + host + " to bridge " + r.bridge->bridge + ": "
                           + enslaved.error_message());
    return {};
  }
  const unsigned host_prefix = r.ip.max_prefix();
  if (auto routed = platform::replace_route_via_dev(r.ip, host_prefix, host, r.node_ip); !routed)
    return overlay_error("host route for " + r.ip.to_string() + "/" + std::to_string(host_prefix)
                         + ": " + routed.error_message());
  return {};
}

// attach_to_interface (mechanics 7.7).
done_reply bridge_manager_state::attach(const attach_veth& r) {
  for (const auto& gone : platform::sweep_orphan_veths())
    spdlog::info("removed orphan veth {}", gone);
  const std::string host = "veth-" + std::to_string(r.pid) + "-" + r.tag;
  const std::string pending = "vc-" + std::to_string(r.pid) + "-" + r.tag;
  auto netns = platform::open_netns_of_pid(r.pid);
  if (!netns) // "Failed to open /proc/<pid>/ns/net: ..." already
    return overlay_error(netns.error_message());
  // Leftovers of an earlier attach of this pid (the original also used
  // the temporary vc- name).
  for (const auto& stale : {host, pending})
    if (auto deleted = platform::delete_link(stale); !deleted)
      return overlay_error("pre-cleanup delete " + stale + ": " + deleted.error_message());
  if (auto done = plumb(r, netns->fd(), host); !done) {
    ignore_failure(platform::delete_link(host)); // its container end goes with it
    return done.err();
  }
  forwarding_->enable_for_attach(r.ip.is_v6(), host, r.bridge ? r.bridge->bridge : "");
  remember(created_veths_, host);
  if (!r.bridge)
    created_host_routes_.push_back({r.ip, r.ip.max_prefix(), host});
  spdlog::info("pid {}: {} {} via {}", r.pid, r.ifname, r.ip.to_string(),
               r.bridge ? r.bridge->bridge : host);
  return true;
}

done_reply bridge_manager_state::detach(const detach_veths& r) {
  for (const char* tag : {"s", "g"}) {
    const std::string host = "veth-" + std::to_string(r.pid) + "-" + tag;
    if (auto deleted = platform::delete_link(host); !deleted)
      spdlog::warn("{}", deleted.error_message());
  }
  return true;
}

count_reply bridge_manager_state::members(const count_bridge_members& r) const {
  return platform::bridge_member_count(r.name);
}

names_reply bridge_manager_state::prune(const prune_bridges& r) {
  names_reply reclaimed;
  auto links = platform::list_all_links();
  if (!links) {
    spdlog::warn("prune: {}", links.error_message());
    return reclaimed;
  }
  for (const auto& link : *links) {
    if (!net::is_orphan_service_bridge(link.name, r.live, r.protected_names)
        || platform::bridge_member_count(link.name) > 0)
      continue;
    if (auto deleted = platform::delete_link(link.name); !deleted) {
      spdlog::warn("prune: {}", deleted.error_message());
      continue;
    }
    created_bridges_.erase(std::remove(created_bridges_.begin(), created_bridges_.end(), link.name),
                           created_bridges_.end());
    spdlog::info("pruned orphan bridge {}", link.name);
    reclaimed.push_back(link.name);
  }
  return reclaimed;
}

// Routes reference veths and veths sit on bridges: revert in that order.
done_reply bridge_manager_state::revert() {
  forwarding_->revert();
  firewall_->remove_overlay_masquerade();
  firewall_->remove_overlay_subnet_rules();
  firewall_->remove_overlay_isolation();
  if (auto unmarked = dropins_->unmark(); !unmarked)
    spdlog::warn("{}", unmarked.error_message());
  for (const auto& route : created_host_routes_)
    if (auto deleted = platform::delete_route_via_dev(route.ip, route.prefix, route.device);
        !deleted)
      spdlog::warn("{}", deleted.error_message());
  for (const auto& veth : created_veths_)
    if (auto deleted = platform::delete_link(veth); !deleted)
      spdlog::warn("{}", deleted.error_message());
  for (const auto& bridge : created_bridges_)
    if (auto deleted = platform::delete_link(bridge); !deleted)
      spdlog::warn("{}", deleted.error_message());
  created_host_routes_.clear();
  created_veths_.clear();
  created_bridges_.clear();
  return true;
}

bridge_manager_actor::behavior_type
bridge_manager(bridge_manager_actor::stateful_pointer<bridge_manager_state> self,
               host_access host) {
  confine(self, host.netns);
  self->state.init(std::move(host));
  auto& st = self->state;
  return {
    [&st](const make_bridge& r) { return st.make(r); },
    [&st](const delete_bridge& r) { return st.remove(r); },
    [&st](const attach_veth& r) { return st.attach(r); },
    [&st](const detach_veths& r) { return st.detach(r); },
    [&st](const count_bridge_members& r) { return st.members(r); },
    [&st](const revert_host_changes&) { return st.revert(); },
    [&st](const secure_overlay& r) { return st.secure(r); },
    [&st](const fence_member& r) { return st.fence(r); },
    [&st](const unfence_member& r) { return st.unfence(r); },
    [&st](const prune_bridges& r) { return st.prune(r); },
    [](const device_route& r) -> done_reply {
      auto network = r.prefix.network();
      auto done = r.add ? platform::replace_route_via_dev(network, r.prefix.prefix(), r.interface,
                                                          std::nullopt)
                        : platform::delete_route_via_dev(network, r.prefix.prefix(), r.interface);
      if (!done)
        return done.err();
      return true;
    },
    [](const alias_address& r) -> done_reply {
      auto done = r.add ? platform::add_address(r.interface, r.address)
                        : platform::delete_address(r.interface, r.address);
      if (!done)
        return done.err();
      return true;
    },
  };
}

} // namespace overlayd
