#include "actors/ipam_actor.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/ipam_state.hpp"
#include "net/first_usable_ip.hpp"

namespace overlayd {

namespace {

const std::string dedicated_owner_prefix = "service:";

} // namespace

void ipam_state::init(ipam_config config) {
  metrics_ = config.metrics;
  file_.emplace(config.state_file_path);
  auto loaded = file_->load();
  networks_ = std::move(loaded.state);
  for (const auto& problem : loaded.problems)
    spdlog::error("network state: {}", problem);
  if (loaded.corrupt_copy) {
    spdlog::error("network state: the damaged file was kept as {}; its good entries are "
                  "loaded",
                  *loaded.corrupt_copy);
    // Puts the good entries back where the next start looks.
    if (auto rewritten = persist(); !rewritten)
      spdlog::error("network state: rewriting {} failed: {}", file_->path(),
                    rewritten.error_message());
  }
  std::set<std::uint16_t> in_use;
  for (const auto& entry : networks_.networks)
    if (entry.owner.rfind(dedicated_owner_prefix, 0) == 0 && entry.wg_port)
      in_use.insert(*entry.wg_port);
  ports_.emplace(config.port_band_base, std::move(in_use));
  if (!config.attachments_file_path.empty())
    load_records(config.attachments_file_path);
  slice_.emplace(config.default_slice);
  // Every recorded address counts as leased from now on, before the
  // recovery has checked it against the host: whatever request comes
  // first, none is handed out twice.
  for (const auto& ip : recorded_in(slice_->slice()))
    slice_->mark_allocated(ip);
  spdlog::info("network state: {} entries from {}", networks_.networks.size(), file_->path());
}

void ipam_state::load_records(const std::string& path) {
  records_file_.emplace(path);
  auto loaded = records_file_->load();
  records_ = std::move(loaded.records);
  for (const auto& problem : loaded.problems)
    spdlog::error("attachment records: {}", problem);
  if (loaded.corrupt_copy) {
    spdlog::error("attachment records: the damaged file was kept as {}; its {} good records "
                  "are loaded",
                  *loaded.corrupt_copy, records_.size());
    if (auto rewritten = persist_records(); !rewritten)
      spdlog::error("attachment records: rewriting {} failed: {}", path,
                    rewritten.error_message());
  }
  spdlog::info("attachment records: {} from {}", records_.size(), path);
}

std::vector<net::ip_address> ipam_state::recorded_in(const net::cidr& range) const {
  return net::recorded_leases(records_, range);
}

address_reply ipam_state::bind(const net::cidr& slice) {
  if (slice_ && slice_->slice() == slice)
    return slice_->node_ip(); // same slice: the leases stay (DECISIONS 6)
  // The default slice of a fresh start is a placeholder: the leases it
  // holds for the last run's containers follow them into the slice bound
  // now (a recorded address is leased in whatever range holds it).
  auto leased = slice_ ? slice_->allocated_count() : 0;
  if (slice_ && !slice_bound_)
    for (const auto& ip : recorded_in(slice_->slice()))
      leased -= slice_->is_allocated(ip) ? 1 : 0;
  if (leased > 0)
    return make_error("node slice " + slice.to_address_string() + " conflicts with "
                      + slice_->slice().to_address_string() + ": " + std::to_string(leased)
                      + " addresses are still leased from it");
  slice_.emplace(slice);
  slice_bound_ = true;
  for (const auto& ip : recorded_in(slice))
    slice_->mark_allocated(ip);
  // No service subnet may hold the node IP: the DNS listener lives there.
  if (registry_)
    registry_->reserve_ip(slice_->node_ip());
  return slice_->node_ip();
}

address_reply ipam_state::allocate_from_slice() {
  return slice_->allocate();
}

address_reply ipam_state::allocate_from_pool(const std::string& pool) {
  auto it = pools_.find(pool);
  if (it == pools_.end())
    return make_error("no address pool " + pool);
  auto ip = it->second.allocate();
  if (!ip)
    return make_error("No available IP addresses in CIDR range "
                      + it->second.network().to_address_string());
  return *ip;
}

done_reply ipam_state::release(const net::ip_address& ip) {
  for (auto& [name, pool] : pools_)
    if (pool.contains(ip))
      return pool.release(ip);
  if (slice_->slice().contains(ip))
    return slice_->release(ip);
  spdlog::debug("release of {}: outside every pool, ignored", ip.to_string());
  return false;
}

address_reply ipam_state::open(const std::string& name, const net::cidr& subnet) {
  // The same subnet keeps its leases (a bridge set up again after a restart
  // of the service); a new subnet starts a fresh pool.
  auto it = pools_.find(name);
  if (it == pools_.end() || it->second.network() != subnet) {
    auto pool = net::pool_allocator::for_bridge(subnet);
    for (const auto& ip : recorded_in(subnet)) // containers attached before a restart
      pool.mark_allocated(ip);
    pools_.insert_or_assign(name, std::move(pool));
  }
  return net::first_usable_ip(subnet);
}

done_reply ipam_state::close(const std::string& name) {
  return pools_.erase(name) != 0;
}

subnet_reply ipam_state::assign(const std::string& service, const std::string& node,
                                const net::cidr& cluster) {
  if (!registry_) {
    // Built once, from the cluster CIDR known at first use (mechanics 3.3).
    auto made = net::service_subnet_registry::create(
      cluster, net::service_subnet_registry::default_slice_prefix(cluster));
    if (!made)
      return make_error("failed to build ServiceSubnetRegistry: " + made.error_message());
    registry_.emplace(std::move(*made));
    registry_->reserve_ip(slice_->node_ip());
  }
  return registry_->assign(service, node);
}

done_reply ipam_state::unassign(const std::string& service, const std::string& node) {
  return registry_ && registry_->release(service, node).has_value();
}

port_reply ipam_state::allocate_port() {
  return ports_->allocate();
}

done_reply ipam_state::release_port(std::uint16_t port) {
  return ports_->release(port);
}

done_reply ipam_state::save(net::network_entry entry) {
  if (entry.wg_port)
    ports_->reserve(*entry.wg_port);
  networks_.upsert(std::move(entry));
  return persist();
}

done_reply ipam_state::forget(const std::string& owner) {
  if (!networks_.remove(owner))
    return false;
  return persist();
}

network_reply ipam_state::find(const std::string& owner) const {
  if (const auto* entry = networks_.get(owner))
    return *entry;
  return std::nullopt;
}

assignments_reply ipam_state::assignments() const {
  assignments_reply out;
  if (registry_)
    for (const auto& [key, subnet] : registry_->snapshot().assignments)
      out.push_back({key.first, key.second, subnet});
  return out;
}

done_reply ipam_state::record(net::attachment_record record) {
  const auto pid = record.pid;
  std::optional<net::attachment_record> replaced;
  if (auto it = records_.find(pid); it != records_.end())
    replaced = it->second;
  records_[pid] = std::move(record);
  if (auto saved = persist_records(); !saved) {
    // Memory stays what the disk says: the caller gives up this attach.
    if (replaced)
      records_[pid] = *replaced;
    else
      records_.erase(pid);
    return saved;
  }
  if (replaced)
    for (const auto& ip : net::addresses_dropped(*replaced, records_[pid]))
      ignore_failure(release(ip));
  return true;
}

done_reply ipam_state::forget_record(std::uint32_t pid) {
  auto it = records_.find(pid);
  if (it == records_.end())
    return false;
  const auto addresses = it->second.addresses();
  records_.erase(it);
  // Released even if the write fails: the veths are gone, and a record left
  // on disk is dropped by the next start's check against the host.
  auto saved = persist_records();
  for (const auto& ip : addresses)
    ignore_failure(release(ip));
  if (!saved)
    return saved;
  return true;
}

done_reply ipam_state::forget_all_records() {
  auto forgotten = std::move(records_);
  records_.clear();
  auto saved = persist_records();
  for (const auto& [pid, record] : forgotten)
    for (const auto& ip : record.addresses())
      ignore_failure(release(ip));
  if (!saved)
    return saved;
  return true;
}

done_reply ipam_state::persist_records() {
  if (!records_file_)
    return true;
  auto saved = records_file_->save(records_);
  if (!saved) {
    spdlog::error("attachment records: {}", saved.error_message());
    return saved.err();
  }
  return true;
}

done_reply ipam_state::persist() {
  auto saved = file_->save(networks_);
  if (!saved) {
    spdlog::error("network state: {}", saved.error_message());
    return saved.err();
  }
  return true;
}

void ipam_state::publish_pools() const {
  if (!metrics_)
    return;
  std::vector<net::metrics::published_gauges::sample> samples;
  for (const auto& [name, pool] : pools_) {
    samples.push_back({"overlayd_ipam_pool_size_addresses",
                       "Usable addresses of a bridge pool.", {{"pool", name}},
                       static_cast<double>(pool.usable_count())});
    samples.push_back({"overlayd_ipam_pool_free_addresses",
                       "Addresses of a bridge pool not leased.", {{"pool", name}},
                       static_cast<double>(pool.usable_count() > pool.allocated_count()
                                             ? pool.usable_count() - pool.allocated_count()
                                             : 0)});
  }
  if (slice_)
    samples.push_back({"overlayd_ipam_node_slice_allocated_addresses",
                       "Addresses leased from the node slice.", {},
                       static_cast<double>(slice_->allocated_count())});
  metrics_->publish(std::move(samples));
}

namespace {

// A reply, after the pools it may have changed are published.
template <class Reply>
Reply published(const ipam_state& st, Reply reply) {
  st.publish_pools();
  return reply;
}

} // namespace

ipam_actor::behavior_type ipam(ipam_actor::stateful_pointer<ipam_state> self,
                               ipam_config config) {
  self->state.init(std::move(config));
  auto& st = self->state;
  return {
    [&st](const bind_node_slice& r) { return published(st, st.bind(r.slice)); },
    [&st](const allocate_node_address&) { return published(st, st.allocate_from_slice()); },
    [&st](const allocate_pool_address& r) { return published(st, st.allocate_from_pool(r.pool)); },
    [&st](const release_address& r) { return published(st, st.release(r.ip)); },
    [&st](const open_pool& r) { return published(st, st.open(r.name, r.subnet)); },
    [&st](const close_pool& r) { return published(st, st.close(r.name)); },
    [&st](const assign_service_subnet& r) { return st.assign(r.service, r.node, r.cluster); },
    [&st](const release_service_subnet& r) { return st.unassign(r.service, r.node); },
    [&st](const allocate_dedicated_port&) { return st.allocate_port(); },
    [&st](const release_dedicated_port& r) { return st.release_port(r.port); },
    [&st](save_network& r) { return st.save(std::move(r.entry)); },
    [&st](const forget_network& r) { return st.forget(r.owner); },
    [&st](const find_network& r) { return st.find(r.owner); },
    [&st](const snapshot_service_subnets&) { return st.assignments(); },
    [&st](record_attachment& r) { return published(st, st.record(std::move(r.record))); },
    [&st](const forget_attachment& r) { return published(st, st.forget_record(r.pid)); },
    [&st](const forget_all_attachments&) { return published(st, st.forget_all_records()); },
    [&st](const recorded_attachments&) -> records_reply { return st.records(); },
  };
}

} // namespace overlayd
