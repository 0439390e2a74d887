#include "actors/attachments.hpp"

#include <spdlog/spdlog.h>

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ask.hpp"
#include "actors/attachment_recovery.hpp"
#include "actors/attachments_state.hpp"
#include "actors/container_attach.hpp"
#include "actors/vm_attach.hpp"

namespace overlayd {

std::string attachment_key(const msg::attach_handle& handle) {
  if (auto* pid = std::get_if<msg::linux_pid_handle>(&handle))
    return "pid:" + std::to_string(pid->pid);
  if (auto* shared = std::get_if<msg::host_shared_handle>(&handle))
    return "host-shared:" + shared->id;
  if (auto* guest = std::get_if<msg::guest_managed_handle>(&handle))
    return "guest:" + guest->id;
  return "windows";
}

namespace {

void forget_all(attachments_pointer self, caf::typed_response_promise<done_reply> rp) {
  auto& st = self->state;
  auto release = [&st](const net::ip_address& ip) {
    caf::anon_send(st.ipam, release_address{ip});
  };
  for (const auto& [id, a] : st.host_shared) {
    release(a.service_ip);
    if (a.global_ip)
      release(*a.global_ip);
  }
  for (const auto& [id, g] : st.guests)
    release(g.overlay_ip);
  spdlog::info("attachments forgotten: {} containers, {} host-shared, {} guests",
               st.attached.size(), st.host_shared.size(), st.guests.size());
  st.attached.clear();
  st.host_shared.clear();
  st.guests.clear();
  st.network_members.clear();
  // Containers' records (on disk) go with their addresses, after the
  // releases above in the ipam's mailbox.
  ask<done_reply>(self, st.ipam, "ipam", wait_for::quick, forget_all_attachments{},
                  [rp](const done_reply& done) mutable { rp.deliver(done); });
}

} // namespace

attachments_actor::behavior_type attachments(attachments_pointer self, ipam_actor ipam,
                                             bridge_manager_actor bridges) {
  self->state.ipam = std::move(ipam);
  self->state.bridges = std::move(bridges);
  recover_attachments(self);
  return {
    [self](attach_order& order) -> caf::result<attach_outcome> {
      auto rp = self->make_response_promise<attach_outcome>();
      when_recovered(self, [self, order = std::move(order), rp]() mutable {
        const auto& r = order.request;
        if (auto* pid = std::get_if<msg::linux_pid_handle>(&r.handle))
          attach_linux_container(self, r, order.context, pid->pid, rp);
        else if (auto* shared = std::get_if<msg::host_shared_handle>(&r.handle))
          attach_host_shared(self, r, order.context, shared->id, rp);
        else if (auto* guest = std::get_if<msg::guest_managed_handle>(&r.handle))
          attach_guest(self, r, order.context, guest->id, rp);
        else // the coordinator answers these itself
          rp.deliver(refused("WindowsContainer attach is only supported on Windows"));
      });
      return rp;
    },
    [self](detach_order& order) -> caf::result<detach_outcome> {
      auto rp = self->make_response_promise<detach_outcome>();
      when_recovered(self, [self, order = std::move(order), rp]() mutable {
        if (auto* pid = std::get_if<msg::linux_pid_handle>(&order.handle))
          detach_linux_container(self, order.context, pid->pid, rp);
        else if (auto* shared = std::get_if<msg::host_shared_handle>(&order.handle))
          detach_host_shared(self, order.context, shared->id, rp);
        else if (auto* guest = std::get_if<msg::guest_managed_handle>(&order.handle))
          detach_guest(self, order.context, guest->id, rp);
        else // nothing was ever attached on Linux
          rp.deliver(detach_outcome{});
      });
      return rp;
    },
    [self](forget_attachments) -> caf::result<done_reply> {
      auto rp = self->make_response_promise<done_reply>();
      when_recovered(self, [self, rp] { forget_all(self, rp); });
      return rp;
    },
  };
}

} // namespace overlayd
