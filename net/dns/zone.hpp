// zone: an immutable snapshot of the overlay DNS zone (mechanics.md 7.13):
// the origin, the TTL, the SOA serial, every registered name with its
// address, and the reverse (PTR) names of those addresses. The dns actor
// builds a new one on every change and publishes it; responder threads
// read it without locks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/base/ip_address.hpp"

namespace overlayd::net::dns {

inline constexpr const char* default_zone = "overlay.local.";
inline constexpr std::uint32_t default_ttl = 300;

struct zone_config {
  std::string origin = default_zone; // absolute, e.g. "overlay.local."
  std::uint32_t ttl = default_ttl;
};

// A registered name as the zone holds it: without a trailing dot the origin
// is appended ("web" -> "web.overlay.local."), then lowercased.
std::string qualify(std::string_view name, std::string_view origin);

// "10.0.0.7" -> "7.0.0.10.in-addr.arpa.", v6 -> the nibble form under ip6.arpa.
std::string reverse_name(const ip_address& ip);

std::string lowercase(std::string_view text);

class zone {
public:
  // `records` as registered (name -> address), names not yet qualified.
  zone(zone_config config, const std::map<std::string, ip_address>& records,
       std::uint32_t serial);

  const std::string& origin() const noexcept { return origin_; }
  std::uint32_t ttl() const noexcept { return ttl_; }
  std::uint32_t serial() const noexcept { return serial_; }

  // Lookups take lowercase absolute names.
  bool contains(std::string_view name) const; // inside the origin (or the origin)
  const ip_address* address_of(const std::string& name) const;
  // A name with no record of its own but with names below it ("b.x." when
  // "a.b.x." is registered) exists: NODATA, not NXDOMAIN (RFC 8020).
  bool is_empty_non_terminal(const std::string& name) const;
  const std::vector<std::string>* names_of_reverse(const std::string& reverse) const;

  // Every record, qualified, in name order (overlayctl dns).
  std::vector<std::pair<std::string, ip_address>> records() const;

private:
  std::string origin_;
  std::uint32_t ttl_;
  std::uint32_t serial_;
  std::unordered_map<std::string, ip_address> addresses_;
  std::unordered_set<std::string> interior_names_;
  std::unordered_map<std::string, std::vector<std::string>> reverse_;
};

using zone_pointer = std::shared_ptr<const zone>;

} // namespace overlayd::net::dns
