#include "actors/node.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cstdlib>
#include <thread>

#include "actors/attachments_state.hpp"
#include "actors/bridge_manager.hpp"
#include "actors/bridge_manager_state.hpp"
#include "actors/coordinator.hpp"
#include "actors/device_maker.hpp"
#include "actors/dns_actor.hpp"
#include "actors/ipam_actor.hpp"
#include "actors/ipam_state.hpp"
#include "actors/nat_traversal_state.hpp"
#include "platform/command_runner.hpp"
#include "platform/filesystem.hpp"
#include "platform/netns.hpp"
#include "platform/sysctl_access.hpp"

namespace overlayd {

namespace {

void configure(caf::actor_system_config& cfg, unsigned worker_threads) {
  if (worker_threads == 0)
    worker_threads = std::max(2u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", static_cast<size_t>(worker_threads));
  // Work sharing: idle workers block on one condition variable that each
  // enqueue signals. CAF's default, work stealing, polls instead: after each
  // job a worker sleeps 50 us at a time for some 25 ms, then wakes every
  // 10 ms; a request from the socket often waited for the next poll (some
  // 40 us a round trip here) and an idle daemon woke 200 times a second.
  // Our actors are few and mostly wait, so one shared queue costs nothing.
  cfg.set("scheduler.policy", caf::atom("sharing"));
}

} // namespace

struct node::impl {
  node_options options;
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  ipam_actor ipam;
  dns_actor dns;
  bridge_manager_actor bridges;
  nat_traversal_actor nat;
  device_maker_actor devices;
  attachments_actor attachments;
  coordinator_actor coordinator;
  std::shared_ptr<net::metrics::registry> metrics = std::make_shared<net::metrics::registry>();
  bool stopped = false;
};

namespace {

// A board the registry reads on every scrape.
std::shared_ptr<net::metrics::published_gauges> board_of(net::metrics::registry& registry) {
  auto board = std::make_shared<net::metrics::published_gauges>();
  registry.add([board](net::metrics::metric_sink& sink) {
    board->collect(sink);
    return true;
  });
  return board;
}

} // namespace

node::node(std::unique_ptr<impl> self) : self_(std::move(self)) {}

node::~node() {
  stop();
}

namespace {

// Null collaborators are the real host's.
void fill_in_real_host(host_access& host) {
  if (!host.sysctl)
    host.sysctl = std::make_shared<platform::proc_sysctl>();
  if (!host.runner)
    host.runner = std::make_shared<platform::process_runner>();
}

// A namespace that cannot be entered fails the start, before any actor
// could work in the wrong one.
result<void> check_netns(const std::string& netns) {
  if (netns.empty())
    return {};
  result<void> entered = make_error("not tried");
  std::thread probe([&] { entered = platform::enter_netns_for_good(netns); });
  probe.join();
  return entered;
}

} // namespace

result<std::unique_ptr<node>> node::start(node_options options) {
  if (auto made = platform::make_directories(options.data_dir, 0700); !made)
    return made.err();
  if (auto usable = check_netns(options.host.netns); !usable)
    return usable.err();
  fill_in_real_host(options.host);
  auto self = std::make_unique<impl>();
  configure(self->config, options.worker_threads);
  self->system = std::make_unique<caf::actor_system>(self->config);
  ipam_config ipam_cfg;
  ipam_cfg.state_file_path = options.data_dir + "/agent_network.json";
  ipam_cfg.attachments_file_path = options.data_dir + "/attachments.json";
  ipam_cfg.default_slice = *net::cidr::parse(default_cluster_cidr);
  ipam_cfg.port_band_base = default_wg_port;
  ipam_cfg.metrics = board_of(*self->metrics);
  // Detached: it writes (and fsyncs) the state file.
  self->ipam = self->system->spawn<caf::detached>(overlayd::ipam, std::move(ipam_cfg));
  // Detached: closing a listener waits (briefly) for the responder's thread.
  self->dns = self->system->spawn<dns_records, caf::detached>(options.dns, self->metrics);
  // Detached: its netlink work and namespace threads block.
  self->bridges = self->system->spawn<caf::detached>(overlayd::bridge_manager, options.host,
                                                     options.data_dir + "/bridges.json");
  // Detached: STUN and relay exchanges block for seconds.
  self->nat = self->system->spawn<caf::detached>(overlayd::nat_traversal, nat_timeouts{},
                                                  options.host.netns, board_of(*self->metrics));
  // Detached: TUN, netlink and the UAPI bind block.
  self->devices = self->system->spawn<caf::detached>(overlayd::device_maker, options.host.netns);
  self->attachments = self->system->spawn(overlayd::attachments, self->ipam, self->bridges);
  self->coordinator = self->system->spawn(
    overlayd::coordinator,
    coordinator_children{self->ipam, self->dns, self->bridges, self->nat, self->devices,
                         self->attachments},
    transport_options{options.host.uapi_dir, options.mtu, {}, options.offloads, self->metrics,
                      options.crypto_threads});
  self->options = std::move(options);
  return std::unique_ptr<node>(new node(std::move(self)));
}

caf::actor_system& node::system() {
  return *self_->system;
}

const coordinator_actor& node::coordinator() const {
  return self_->coordinator;
}

net::metrics::registry& node::metrics() {
  return *self_->metrics;
}

const node_options& node::options() const {
  return self_->options;
}

void node::stop() {
  if (!self_ || self_->stopped)
    return;
  self_->stopped = true;
  caf::anon_send_exit(self_->coordinator, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(self_->dns, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(self_->ipam, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(self_->bridges, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(self_->nat, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(self_->devices, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(self_->attachments, caf::exit_reason::user_shutdown);
  self_->coordinator = nullptr;
  self_->dns = nullptr;
  self_->ipam = nullptr;
  self_->bridges = nullptr;
  self_->nat = nullptr;
  self_->devices = nullptr;
  self_->attachments = nullptr;
  self_->system.reset(); // waits for every actor to finish
}

} // namespace overlayd
