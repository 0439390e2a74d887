#include "actors/isolation.hpp"

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace overlayd {

namespace {

// The node IP the fence rules name, with the original's default before
// SetupGlobalOverlay.
net::ip_address fence_node_ip(const node_context& node) {
  return node.node_ip.value_or(*net::ip_address::parse("10.200.0.1"));
}

} // namespace

void fence(attachments_pointer self, const node_context& node, const std::string& network,
           const net::ip_address& member) {
  auto& st = self->state;
  auto& members = st.network_members[network];
  std::vector<net::ip_address> peers(members.begin(), members.end());
  caf::anon_send(st.bridges, fence_member{network, member, std::move(peers), fence_node_ip(node),
                                          node.cluster_cidr});
  members.insert(member);
}

unfence_member unfence(attachments_pointer self, const node_context& node,
                       const std::string& network, const net::ip_address& member) {
  auto& st = self->state;
  std::vector<net::ip_address> remaining;
  if (auto it = st.network_members.find(network); it != st.network_members.end()) {
    it->second.erase(member);
    remaining.assign(it->second.begin(), it->second.end());
    if (it->second.empty())
      st.network_members.erase(it);
  }
  return unfence_member{network, member, std::move(remaining), fence_node_ip(node),
                        node.cluster_cidr};
}

} // namespace overlayd
