#include "net/service_subnet_registry.hpp"

#include <array>
#include <limits>

#include "net/fnv1a.hpp"

namespace overlayd::net {

namespace {

// Bit k of an address, counted from the most significant bit (k = prefix
// position), on network-order bytes.
bool test_bit(const std::array<std::uint8_t, 16>& bytes, unsigned k) {
  return (bytes[k / 8] & (0x80u >> (k % 8))) != 0;
}

void set_bit(std::array<std::uint8_t, 16>& bytes, unsigned k) {
  bytes[k / 8] = static_cast<std::uint8_t>(bytes[k / 8] | (0x80u >> (k % 8)));
}

ip_address from_bytes(bool v4, const std::array<std::uint8_t, 16>& b) {
  if (!v4)
    return ip_address::v6(b);
  return ip_address::v4((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16)
                        | (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]});
}

std::string key_text(const std::string& service, const std::string& node) {
  return "(" + service + ", " + node + ")";
}

} // namespace

service_subnet_registry::service_subnet_registry(cidr cluster, unsigned slice_prefix)
    : cluster_(cluster), slice_prefix_(slice_prefix) {
  // 2^64 slices and more do not fit; the original saturates, and so must
  // the modulus, or start indices would differ from the Rust daemon's.
  unsigned width = slice_prefix_ - cluster_.prefix();
  num_slices_ = width >= 64 ? std::numeric_limits<std::uint64_t>::max()
                            : std::uint64_t{1} << width;
}

result<service_subnet_registry> service_subnet_registry::create(cidr cluster,
                                                                unsigned slice_prefix) {
  if (slice_prefix <= cluster.prefix())
    return make_error("Invalid CIDR notation: slice prefix /" + std::to_string(slice_prefix)
                      + " must be more specific than cluster prefix /"
                      + std::to_string(cluster.prefix()));
  unsigned max = cluster.address().max_prefix();
  if (slice_prefix > max)
    return make_error("Invalid CIDR notation: slice prefix /" + std::to_string(slice_prefix)
                      + " exceeds address family max /" + std::to_string(max));
  return service_subnet_registry(cluster, slice_prefix);
}

unsigned service_subnet_registry::default_slice_prefix(const cidr& cluster) {
  return cluster.is_v4() ? 26 : 120;
}

cidr service_subnet_registry::slice_at(std::uint64_t index) const {
  // network + (index << host bits of a slice): the network's bits below the
  // cluster prefix are zero, so the add is setting the index bits in place.
  auto bytes = cluster_.network().bytes();
  for (unsigned b = 0; b < 64 && b < slice_prefix_ - cluster_.prefix(); ++b)
    if ((index >> b) & 1)
      set_bit(bytes, slice_prefix_ - 1 - b);
  return cidr{from_bytes(cluster_.is_v4(), bytes), slice_prefix_};
}

std::optional<std::uint64_t> service_subnet_registry::index_of(const ip_address& ip) const {
  if (!cluster_.contains(ip))
    return std::nullopt;
  std::uint64_t index = 0;
  for (unsigned b = 0; b < slice_prefix_ - cluster_.prefix(); ++b) {
    if (!test_bit(ip.bytes(), slice_prefix_ - 1 - b))
      continue;
    if (b >= 64)
      return std::nullopt; // a slice probing can never reach
    index |= std::uint64_t{1} << b;
  }
  if (index >= num_slices_)
    return std::nullopt;
  return index;
}

void service_subnet_registry::reserve_ip(const ip_address& ip) {
  if (auto index = index_of(ip))
    reserved_.insert(*index);
}

result<cidr> service_subnet_registry::assign(const std::string& service,
                                             const std::string& node) {
  key k{service, node};
  if (auto it = by_key_.find(k); it != by_key_.end())
    return slice_at(it->second);
  // The 0x1f separator keeps ("ab","c") and ("a","bc") apart.
  fnv1a64_hasher h;
  h.add(service);
  h.add_byte(0x1f);
  h.add(node);
  std::uint64_t index = h.value() % num_slices_;
  // Each step either succeeds or passes a blocked slice, so a probe costs
  // at most (taken + reserved + 1) look-ups, however large the cluster.
  for (std::uint64_t step = 0; step < num_slices_; ++step) {
    if (taken_.count(index) == 0 && reserved_.count(index) == 0) {
      taken_.insert(index);
      by_key_.emplace(std::move(k), index);
      return slice_at(index);
    }
    index = index + 1 == num_slices_ ? 0 : index + 1;
  }
  return make_error("No available IP addresses in CIDR range");
}

std::optional<cidr> service_subnet_registry::release(const std::string& service,
                                                     const std::string& node) {
  auto it = by_key_.find(key{service, node});
  if (it == by_key_.end())
    return std::nullopt;
  std::uint64_t index = it->second;
  taken_.erase(index);
  by_key_.erase(it);
  return slice_at(index);
}

std::optional<cidr> service_subnet_registry::get(const std::string& service,
                                                 const std::string& node) const {
  auto it = by_key_.find(key{service, node});
  if (it == by_key_.end())
    return std::nullopt;
  return slice_at(it->second);
}

service_subnet_registry::snapshot_data service_subnet_registry::snapshot() const {
  snapshot_data snap{cluster_, slice_prefix_, {}};
  snap.assignments.reserve(by_key_.size());
  for (const auto& [k, index] : by_key_) // std::map order is (service, node)
    snap.assignments.emplace_back(k, slice_at(index));
  return snap;
}

result<void> service_subnet_registry::restore(const snapshot_data& snap) {
  if (snap.slice_prefix != slice_prefix_)
    return make_error("Invalid CIDR notation: snapshot slice prefix /"
                      + std::to_string(snap.slice_prefix)
                      + " does not match registry slice prefix /" + std::to_string(slice_prefix_));
  // Build aside and swap in, so a bad snapshot leaves the registry as it was.
  std::map<key, std::uint64_t> by_key;
  std::set<std::uint64_t> taken;
  for (const auto& [k, subnet] : snap.assignments) {
    const std::string who = key_text(k.first, k.second);
    if (subnet.prefix() != slice_prefix_)
      return make_error("Invalid CIDR notation: subnet " + subnet.to_address_string() + " of "
                        + who + " is not a /" + std::to_string(slice_prefix_) + " slice");
    auto index = index_of(subnet.address());
    if (!index)
      return make_error("Invalid CIDR notation: subnet " + subnet.to_address_string() + " of "
                        + who + " is not within cluster " + cluster_.to_address_string());
    if (!taken.insert(*index).second)
      return make_error("Invalid CIDR notation: subnet " + subnet.to_string() + " of " + who
                        + " is assigned twice");
    if (!by_key.emplace(k, *index).second)
      return make_error("Invalid CIDR notation: " + who + " is assigned twice");
  }
  by_key_ = std::move(by_key);
  taken_ = std::move(taken);
  return {};
}

} // namespace overlayd::net
