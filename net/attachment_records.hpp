// attachment_records: what overlayd must know after a crash about each
// Linux container it plugs in (mechanics.md 7.7-7.8): the addresses it
// leased, and whether the host change (veth-<pid>-s, veth-<pid>-g and the
// eth1 host route, all named by the pid) was confirmed made. An attach
// records its intent before touching the host and confirms it before
// answering; a detach forgets the record only after the veths are gone.
// So on a restart every address a container may hold is still leased, and
// every veth overlayd may have made is known. Pure data; platform/
// attachment_file does the file I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/base/cidr.hpp"
#include "net/base/ip_address.hpp"

namespace overlayd::net {

struct attachment_record {
  std::uint32_t pid = 0;
  std::string service;
  ip_address service_ip; // eth0, from the service's bridge pool
  std::optional<ip_address> global_ip; // eth1, from the node slice
  bool ephemeral = false;
  std::optional<std::string> isolation_network;
  // false: only the intent is recorded; the host change may be half made.
  bool confirmed = false;

  // Every address the record leases.
  std::vector<ip_address> addresses() const;

  friend bool operator==(const attachment_record& a, const attachment_record& b) {
    return a.pid == b.pid && a.service == b.service && a.service_ip == b.service_ip
           && a.global_ip == b.global_ip && a.ephemeral == b.ephemeral
           && a.isolation_network == b.isolation_network && a.confirmed == b.confirmed;
  }
  friend bool operator!=(const attachment_record& a, const attachment_record& b) {
    return !(a == b);
  }
};

// One record per pid (a later attach of the same pid replaces it).
using attachment_records = std::map<std::uint32_t, attachment_record>;

// The recorded addresses inside `range`: what a pool (or the node slice)
// must hold as leased when it is opened (or bound).
std::vector<ip_address> recorded_leases(const attachment_records& records, const cidr& range);

// The addresses `old` leases that `replacement` does not: given back when a
// pid's record is replaced by a new attach.
std::vector<ip_address> addresses_dropped(const attachment_record& old,
                                          const attachment_record& replacement);

} // namespace overlayd::net
