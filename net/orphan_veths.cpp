#include "net/orphan_veths.hpp"

#include <limits>

#include "net/base/decimal.hpp"

namespace overlayd::net {

namespace {

// As Rust's u32::from_str: a leading '+' is allowed.
std::optional<std::uint32_t> parse_u32(std::string_view text) {
  if (!text.empty() && text.front() == '+')
    text.remove_prefix(1);
  auto value = parse_decimal(text, std::numeric_limits<std::uint32_t>::max());
  if (!value)
    return std::nullopt;
  return static_cast<std::uint32_t>(*value);
}

} // namespace

std::optional<std::uint32_t> veth_owner_pid(std::string_view link_name) {
  std::string_view rest;
  if (link_name.substr(0, 5) == "veth-")
    rest = link_name.substr(5);
  else if (link_name.substr(0, 3) == "vc-")
    rest = link_name.substr(3);
  else
    return std::nullopt;
  return parse_u32(rest.substr(0, rest.find('-')));
}

std::vector<std::string> select_orphan_veths(const std::vector<std::string>& link_names,
                                             const std::function<bool(std::uint32_t)>& pid_alive) {
  std::vector<std::string> orphans;
  for (const auto& name : link_names)
    if (auto pid = veth_owner_pid(name); pid && !pid_alive(*pid))
      orphans.push_back(name);
  return orphans;
}

} // namespace overlayd::net
