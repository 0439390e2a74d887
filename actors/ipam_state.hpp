// What the ipam actor owns (mechanics.md sections 2 and 3): the node slice,
// the per-bridge pools, the service-subnet registry, the dedicated port band
// and the persisted network entries.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/ipam_actor.hpp"
#include "net/network_state.hpp"
#include "net/node_slice_allocator.hpp"
#include "net/pool_allocator.hpp"
#include "net/port_band.hpp"
#include "net/service_subnet_registry.hpp"
#include "platform/attachment_file.hpp"
#include "platform/state_file.hpp"

namespace overlayd {

class ipam_state {
public:
  static inline const char* name = "ipam";

  // Loads the state file, rehydrates the port band, binds the default slice.
  void init(ipam_config config);

  address_reply bind(const net::cidr& slice);
  address_reply allocate_from_slice();
  address_reply allocate_from_pool(const std::string& pool);
  done_reply release(const net::ip_address& ip);
  address_reply open(const std::string& name, const net::cidr& subnet);
  done_reply close(const std::string& name);
  subnet_reply assign(const std::string& service, const std::string& node,
                      const net::cidr& cluster);
  done_reply unassign(const std::string& service, const std::string& node);
  port_reply allocate_port();
  done_reply release_port(std::uint16_t port);
  done_reply save(net::network_entry entry);
  done_reply forget(const std::string& owner);
  network_reply find(const std::string& owner) const;
  assignments_reply assignments() const;
  done_reply record(net::attachment_record record);
  done_reply forget_record(std::uint32_t pid);
  done_reply forget_all_records();
  const net::attachment_records& records() const { return records_; }

  // Publishes the pools' sizes and free addresses (after a change).
  void publish_pools() const;

private:
  done_reply persist();
  done_reply persist_records();
  void load_records(const std::string& path);
  // The recorded addresses in `range`: leased whenever it is opened.
  std::vector<net::ip_address> recorded_in(const net::cidr& range) const;

  std::shared_ptr<net::metrics::published_gauges> metrics_;
  std::optional<platform::state_file> file_;
  net::network_state networks_;
  std::optional<net::node_slice_allocator> slice_;
  bool slice_bound_ = false; // by SetupGlobalOverlay, not the start's default
  std::map<std::string, net::pool_allocator> pools_;
  std::optional<net::service_subnet_registry> registry_;
  std::optional<net::port_band> ports_;
  std::optional<platform::attachment_file> records_file_;
  net::attachment_records records_;
};

} // namespace overlayd
