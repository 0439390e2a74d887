#include "net/dns/zone.hpp"

#include <algorithm>

namespace overlayd::net::dns {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string qualify(std::string_view name, std::string_view origin) {
  if (!name.empty() && name.back() == '.')
    return lowercase(name);
  return lowercase(std::string(name) + "." + std::string(origin));
}

std::string reverse_name(const ip_address& ip) {
  static const char hex[] = "0123456789abcdef";
  const auto& b = ip.bytes();
  std::string out;
  if (ip.is_v4()) {
    for (int i = 3; i >= 0; --i)
      out += std::to_string(b[static_cast<std::size_t>(i)]) + ".";
    return out + "in-addr.arpa.";
  }
  for (int i = 15; i >= 0; --i) {
    auto byte = b[static_cast<std::size_t>(i)];
    out += hex[byte & 0xf];
    out += '.';
    out += hex[byte >> 4];
    out += '.';
  }
  return out + "ip6.arpa.";
}

namespace {

bool ends_with_label(std::string_view name, std::string_view suffix) {
  if (name.size() == suffix.size())
    return name == suffix;
  return name.size() > suffix.size()
         && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0
         && name[name.size() - suffix.size() - 1] == '.';
}

} // namespace

zone::zone(zone_config config, const std::map<std::string, ip_address>& records,
           std::uint32_t serial)
  : origin_(qualify(config.origin, "")), ttl_(config.ttl), serial_(serial) {
  if (origin_.empty() || origin_.back() != '.')
    origin_ += '.';
  for (const auto& [registered, ip] : records) {
    auto name = qualify(registered, origin_);
    if (!contains(name) || name == origin_)
      continue; // out of the zone (or its apex): never answered from here
    addresses_[name] = ip;
    // Every ancestor between the name and the origin exists.
    for (auto dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
      auto parent = name.substr(dot + 1);
      if (parent.size() <= origin_.size())
        break;
      interior_names_.insert(parent);
    }
    reverse_[reverse_name(ip)].push_back(name);
  }
}

bool zone::contains(std::string_view name) const {
  return ends_with_label(name, origin_);
}

const ip_address* zone::address_of(const std::string& name) const {
  auto it = addresses_.find(name);
  return it == addresses_.end() ? nullptr : &it->second;
}

bool zone::is_empty_non_terminal(const std::string& name) const {
  return interior_names_.count(name) != 0;
}

const std::vector<std::string>* zone::names_of_reverse(const std::string& reverse) const {
  auto it = reverse_.find(reverse);
  return it == reverse_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, ip_address>> zone::records() const {
  std::vector<std::pair<std::string, ip_address>> out(addresses_.begin(), addresses_.end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

} // namespace overlayd::net::dns
