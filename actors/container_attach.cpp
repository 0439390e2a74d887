#include "actors/container_attach.hpp"

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>

#include "actors/ask.hpp"
#include "actors/isolation.hpp"

namespace overlayd {

namespace {

// What one attach carries from step to step.
struct attach_job {
  std::uint32_t pid = 0;
  msg::attach_container request;
  attach_context context;
  service_bridge bridge;
  net::ip_address service_ip;
  std::optional<net::ip_address> global_ip;
  attach_promise rp;
};

using job_ptr = std::shared_ptr<attach_job>;

void fail(const job_ptr& job, const std::string& message) {
  job->rp.deliver(refused(message));
}

// Undoes what an attach did so far and answers the error (DECISIONS 10).
// The veths go even when the bridge manager refused or did not answer: it
// may have made one half, or still be making them (its mailbox keeps this
// detach after that attach), and detaching is idempotent.
void roll_back(attachments_pointer self, const job_ptr& job, const std::string& message) {
  auto& st = self->state;
  caf::anon_send(st.ipam, release_address{job->service_ip});
  if (job->global_ip)
    caf::anon_send(st.ipam, release_address{*job->global_ip});
  ask<done_reply>(self, st.bridges, "bridge manager", wait_for::host, detach_veths{job->pid},
                  // Best effort: the attach's error is the answer either way.
                  [job, message](const done_reply&) { fail(job, message); });
}

void finish(attachments_pointer self, const job_ptr& job) {
  auto& st = self->state;
  // Only the eth0 address is fenced; eth1 is not (as the original).
  if (job->request.isolation_network)
    fence(self, job->context.node, *job->request.isolation_network, job->service_ip);
  attachments_state::attachment record{job->service_ip, job->request.service, job->global_ip,
                                       job->request.ephemeral,
                                       job->request.isolation_network};
  st.attached[job->pid] = record;
  job->rp.deliver(attach_outcome{msg::response{msg::attach_result{job->service_ip, std::nullopt}},
                                 job->request.service, std::nullopt});
}

// eth1 on the global overlay: a node-slice address routed by a host /32.
void attach_global(attachments_pointer self, const job_ptr& job) {
  ask<address_reply>(
    self, self->state.ipam, "ipam", wait_for::quick, allocate_node_address{},
    [self, job](const address_reply& ip) {
      if (!ip)
        return roll_back(self, job, "overlay engine error: " + ip.error_message());
      job->global_ip = *ip;
      attach_veth veth{job->pid, *ip, "g", "eth1", std::nullopt, job->context.node.node_ip,
                       job->context.node.mtu};
      ask<done_reply>(self, self->state.bridges, "bridge manager", wait_for::host, veth,
                      [self, job](const done_reply& done) {
                        if (!done)
                          return roll_back(self, job, done.error_message());
                        finish(self, job);
                      });
    });
}

// eth0 on the service's bridge.
void attach_service(attachments_pointer self, const job_ptr& job) {
  attach_veth veth{job->pid, job->service_ip, "s", "eth0",
                   bridge_port{job->bridge.name, job->bridge.gateway, job->bridge.subnet.prefix()},
                   job->context.node.node_ip, job->context.node.mtu};
  ask<done_reply>(self, self->state.bridges, "bridge manager", wait_for::host, std::move(veth),
                  [self, job](const done_reply& done) {
                    if (!done)
                      return roll_back(self, job, done.error_message());
                    if (job->request.join_global && job->context.node.global_interface)
                      return attach_global(self, job);
                    finish(self, job);
                  });
}

} // namespace

void attach_linux_container(attachments_pointer self, const msg::attach_container& request,
                            const attach_context& context, std::uint32_t pid, attach_promise rp) {
  if (!context.bridge) {
    rp.deliver(refused(context.bridge.error_message()));
    return;
  }
  auto job = std::make_shared<attach_job>();
  job->pid = pid;
  job->request = request;
  job->context = context;
  job->bridge = *context.bridge;
  job->rp = rp;
  ask<address_reply>(
    self, self->state.ipam, "ipam", wait_for::quick, allocate_pool_address{job->bridge.name},
    [self, job](const address_reply& ip) {
      if (!ip) {
        if (no_answer(ip))
          return fail(job, ip.error_message());
        // Any refusal reads as the pool running dry, as the original's does.
        return fail(job, "overlay engine error: "
                           + std::string(job->context.bridge_is_shared ? "shared bridge "
                                                                       : "service bridge ")
                           + job->bridge.name + " subnet " + job->bridge.subnet.to_string()
                           + " exhausted");
      }
      job->service_ip = *ip;
      attach_service(self, job);
    });
}

void detach_linux_container(attachments_pointer self, const detach_context& context,
                            std::uint32_t pid, detach_promise rp) {
  auto& st = self->state;
  std::optional<attachments_state::attachment> record;
  if (auto it = st.attached.find(pid); it != st.attached.end()) {
    record = it->second;
    st.attached.erase(it);
  }
  // The ephemeral last-leaver rule (mechanics 7.8 step 6) is the
  // coordinator's: it owns the service's bridge.
  auto done = [rp, record]() mutable {
    detach_outcome outcome;
    if (record && record->ephemeral)
      outcome.ephemeral_service = record->service;
    rp.deliver(std::move(outcome));
  };
  // Best effort from here on: a detach always answers ok. Whatever the
  // bridge manager answers, the record is gone, so the addresses go back
  // now or never; a veth it is still deleting is ahead of any new attach in
  // its mailbox, so a reused address cannot meet the old veth.
  ask<done_reply>(
    self, st.bridges, "bridge manager", wait_for::host, detach_veths{pid},
    [self, context, record, done](const done_reply&) mutable {
      auto& st = self->state;
      if (!record)
        return done();
      // The pools hold the addresses by subnet; the node slice the rest.
      caf::anon_send(st.ipam, release_address{record->service_ip});
      if (record->global_ip)
        caf::anon_send(st.ipam, release_address{*record->global_ip});
      if (!record->isolation_network)
        return done();
      // The fence goes before the answer: a caller may look right after.
      ask<done_reply>(self, st.bridges, "bridge manager", wait_for::host,
                      unfence(self, context.node, *record->isolation_network, record->service_ip),
                      [done](const done_reply&) mutable { done(); });
    });
}

} // namespace overlayd
