#include "actors/attachment_recovery.hpp"

#include <spdlog/spdlog.h>

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

#include "actors/ask.hpp"

namespace overlayd {

namespace {

void finish(attachments_pointer self) {
  auto& st = self->state;
  st.recovered = true;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& order : waiting)
    order();
}

void restore(attachments_state& st, const net::attachment_record& r) {
  st.attached[r.pid] = attachments_state::attachment{r.service_ip, r.service, r.global_ip,
                                                     r.ephemeral, r.isolation_network};
  // The fence's rules outlived the process; only the membership is ours.
  if (r.isolation_network)
    st.network_members[*r.isolation_network].insert(r.service_ip);
}

void check_against_host(attachments_pointer self, net::attachment_records records) {
  adopt_veths request;
  for (const auto& [pid, r] : records)
    request.claims.push_back(veth_claim{pid, r.global_ip, r.confirmed});
  ask<pids_reply>(
    self, self->state.bridges, "bridge manager", wait_for::host, std::move(request),
    [self, records](const answer_t<pids_reply>& adopted) {
      auto& st = self->state;
      if (!adopted) {
        // The records stay, and their addresses leased: a detach still
        // forgets them (detach_linux_container), nothing is handed out twice.
        spdlog::error("recovery: {}; {} attachment records kept as they are",
                      adopted.error_message(), records.size());
        return finish(self);
      }
      for (const auto& [pid, r] : records) {
        if (std::find(adopted->begin(), adopted->end(), pid) != adopted->end())
          restore(st, r);
        else
          caf::anon_send(st.ipam, forget_attachment{pid});
      }
      spdlog::info("recovery: {} container attachments adopted, {} reverted", adopted->size(),
                   records.size() - adopted->size());
      finish(self);
    });
}

} // namespace

void recover_attachments(attachments_pointer self) {
  ask<records_reply>(self, self->state.ipam, "ipam", wait_for::quick, recorded_attachments{},
                     [self](const answer_t<records_reply>& records) {
                       if (!records) {
                         spdlog::error("recovery: {}", records.error_message());
                         return finish(self);
                       }
                       if (records->empty())
                         return finish(self);
                       check_against_host(self, *records);
                     });
}

void when_recovered(attachments_pointer self, std::function<void()> order) {
  if (self->state.recovered)
    order();
  else
    self->state.waiting.push_back(std::move(order));
}

} // namespace overlayd
