// service_subnet_registry: which slice of the cluster CIDR each (service,
// node) pair gets for its bridge (mechanics.md 3.3, ServiceSubnetRegistry).
// The slice is chosen by FNV-1a of the key plus linear probing, so every
// node computes the same subnet for the same key as the Rust daemon does.
// Slices come from the whole cluster CIDR, independent of node slices.
// Reserved IPs (the node IP, where the DNS listener lives) block the slice
// containing them for new assignments; they are not part of snapshots.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "net/base/cidr.hpp"
#include "net/base/result.hpp"

namespace overlayd::net {

class service_subnet_registry {
public:
  struct snapshot_data {
    cidr cluster;
    unsigned slice_prefix = 0;
    // Sorted by (service, node).
    std::vector<std::pair<std::pair<std::string, std::string>, cidr>> assignments;
  };

  // Errors: "Invalid CIDR notation: slice prefix /{s} must be more specific
  // than cluster prefix /{c}", "Invalid CIDR notation: slice prefix /{s}
  // exceeds address family max /{m}".
  static result<service_subnet_registry> create(cidr cluster, unsigned slice_prefix);
  static unsigned default_slice_prefix(const cidr& cluster); // 26 v4, 120 v6

  const cidr& cluster() const noexcept { return cluster_; } // as given
  unsigned slice_prefix() const noexcept { return slice_prefix_; }

  // An address of the cluster no future slice may contain; others ignored.
  void reserve_ip(const ip_address& ip);
  // Idempotent per key. Error when every slice is taken or reserved:
  // "No available IP addresses in CIDR range".
  result<cidr> assign(const std::string& service, const std::string& node);
  std::optional<cidr> release(const std::string& service, const std::string& node);
  std::optional<cidr> get(const std::string& service, const std::string& node) const;
  std::size_t assigned_count() const noexcept { return by_key_.size(); }
  // Number of slices, 2^(slice - cluster prefix), saturating at 2^64-1.
  std::uint64_t capacity() const noexcept { return num_slices_; }

  snapshot_data snapshot() const;
  // Replaces all assignments, or changes nothing and names the first bad
  // entry: slice prefix differs, subnet outside the cluster, slice or key
  // given twice.
  result<void> restore(const snapshot_data& snap);

private:
  using key = std::pair<std::string, std::string>;

  service_subnet_registry(cidr cluster, unsigned slice_prefix);
  cidr slice_at(std::uint64_t index) const;
  // Index of the slice holding ip; none outside the cluster or beyond the
  // (saturated) slice count.
  std::optional<std::uint64_t> index_of(const ip_address& ip) const;

  cidr cluster_;
  unsigned slice_prefix_;
  std::uint64_t num_slices_;
  std::map<key, std::uint64_t> by_key_; // key -> slice index
  std::set<std::uint64_t> taken_;       // slice indices in by_key_
  std::set<std::uint64_t> reserved_;    // slices holding a reserved IP
};

} // namespace overlayd::net
