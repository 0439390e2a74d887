#include "actors/attachment_link.hpp"

#include <spdlog/spdlog.h>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/replies.hpp"
#include "actors/service_overlay.hpp"

namespace overlayd {

namespace {

node_context node_of(const coordinator_state& st) {
  return node_context{st.node_ip, st.cluster_cidr, st.global_interface, st.global_transport,
                      st.overlay_mtu};
}

attach_context attach_context_of(const coordinator_state& st, const std::string& service) {
  attach_context context;
  context.node = node_of(st);
  context.bridge = bridge_of(st, service);
  context.bridge_is_shared =
    context.bridge && st.shared_bridge && st.shared_bridge->name == context.bridge->name;
  context.node_slice_prefix = st.node_slice.prefix();
  context.cluster_cidr_text = st.cluster_cidr_text;
  context.transport_public_key = st.transport_public_key;
  context.overlay_port = st.overlay_port;
  auto mode = st.service_modes.find(service);
  auto dedicated = st.dedicated.find(service);
  if (mode != st.service_modes.end() && mode->second == msg::overlay_mode::dedicated
      && dedicated != st.dedicated.end()) {
    const auto& d = dedicated->second;
    context.dedicated_device = guest_device{d.actor, d.interface, d.public_key, d.listen_port};
  }
  context.dns_server_addr = st.dns_server_addr;
  context.dns_domain = st.dns_domain;
  return context;
}

detach_context detach_context_of(const coordinator_state& st) {
  detach_context context;
  context.node = node_of(st);
  for (const auto& [service, d] : st.dedicated)
    context.dedicated_devices.emplace(service, d.actor);
  return context;
}

// The ephemeral last-leaver rule (mechanics 7.8 step 6), then ok.
void tear_down_if_empty(coordinator_pointer self, const std::string& service,
                        response_promise rp) {
  auto& st = self->state;
  auto bridge = st.service_bridges.find(service);
  if (bridge == st.service_bridges.end()) {
    rp.deliver(ok());
    return;
  }
  ask<count_reply>(self, st.bridges, "bridge manager", wait_for::host,
                   count_bridge_members{bridge->second.name},
                   [self, service, rp](const answer_t<count_reply>& members) mutable {
                     // No count: the service stays; tearing down one in use is worse.
                     if (members && *members == 0) {
                       spdlog::info("last ephemeral container of {} left; tearing it down",
                                    service);
                       self->state.service_modes.erase(service);
                       take_down_service_bridge(self, service);
                       take_down_dedicated_overlay(self, service);
                     }
                     rp.deliver(ok());
                   });
}

} // namespace

void forward_attach(coordinator_pointer self, const msg::attach_container& request,
                    response_promise rp) {
  auto& st = self->state;
  ask<attach_outcome>(
    self, st.attachments, "attachments", wait_for::attachments,
    attach_order{request, attach_context_of(st, request.service)},
    [self, key = attachment_key(request.handle), rp](result<attach_outcome> outcome) mutable {
      if (!outcome) {
        rp.deliver(fail(outcome.error_message()));
        return;
      }
      auto& st = self->state;
      if (outcome->service)
        st.attached_services[key] = *outcome->service;
      if (outcome->guest_peer)
        st.global_peers[outcome->guest_peer->public_key] = *outcome->guest_peer;
      rp.deliver(std::move(outcome->answer));
    });
}

void forward_detach(coordinator_pointer self, const msg::attach_handle& handle,
                    response_promise rp) {
  auto& st = self->state;
  ask<detach_outcome>(
    self, st.attachments, "attachments", wait_for::attachments,
    detach_order{handle, detach_context_of(st)},
    [self, key = attachment_key(handle), rp](result<detach_outcome> outcome) mutable {
      auto& st = self->state;
      st.attached_services.erase(key);
      if (!outcome) {
        // A detach is best effort and answers ok, as when the bridge
        // manager does not answer it.
        spdlog::warn("detach {}: {}", key, outcome.error_message());
        rp.deliver(ok());
        return;
      }
      if (outcome->guest_public_key)
        st.global_peers.erase(*outcome->guest_public_key);
      if (outcome->ephemeral_service)
        return tear_down_if_empty(self, *outcome->ephemeral_service, rp);
      rp.deliver(ok());
    });
}

} // namespace overlayd
