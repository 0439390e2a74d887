#include "net/attachment_records.hpp"

#include <algorithm>

namespace overlayd::net {

std::vector<ip_address> attachment_record::addresses() const {
  std::vector<ip_address> out{service_ip};
  if (global_ip)
    out.push_back(*global_ip);
  return out;
}

std::vector<ip_address> recorded_leases(const attachment_records& records, const cidr& range) {
  std::vector<ip_address> out;
  for (const auto& [pid, record] : records)
    for (const auto& ip : record.addresses())
      if (range.contains(ip))
        out.push_back(ip);
  return out;
}

std::vector<ip_address> addresses_dropped(const attachment_record& old,
                                          const attachment_record& replacement) {
  std::vector<ip_address> out;
  const auto kept = replacement.addresses();
  for (const auto& ip : old.addresses())
    if (std::find(kept.begin(), kept.end(), ip) == kept.end())
      out.push_back(ip);
  return out;
}

} // namespace overlayd::net
