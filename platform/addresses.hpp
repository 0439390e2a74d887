// addresses: the strict address primitives of the container and bridge
// plumbing (mechanics.md 5: add_address_to_link_by_name,
// flush_addresses_on_link_by_name). platform::add_address (netlink.hpp) is
// the tolerant one for overlay devices.
#pragma once

#include <string>

#include "net/base/cidr.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

// `address` keeps its host bits (10.200.3.7/26). An identical address
// already on the link is an error here: an attach that finds its address
// taken has lost track of something.
// `address` keeps its host bits (10.200.0.1/16); an existing identical
// address counts as added.
result<void> add_address(const std::string& name, const net::cidr& address);

result<void> add_address_strict(const std::string& name, const net::cidr& address);

// Removes every address of the link, both families (before a bridge gets
// its gateway, so a reused bridge does not keep an old subnet's address).
// A missing link is an error.
// A missing address or link counts as deleted.
result<void> delete_address(const std::string& name, const net::cidr& address);

result<void> flush_addresses(const std::string& name);

} // namespace overlayd::platform
