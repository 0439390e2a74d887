// interface_name: Linux link names for overlay devices and bridges
// (mechanics.md 4.1-4.3, ipc_contract.md 11). The names are visible to the
// main daemon (responses, prune_orphan_bridges) and to links left over from
// the Rust overlayd, so the derivation must match it byte for byte.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace overlayd::net {

// IFNAMSIZ - 1: the kernel rejects longer link names.
constexpr std::size_t max_interface_name = 15;

// "zl-" + parts joined by "-" (+ "-" + suffix) when that fits in 15 bytes;
// otherwise "zl-" + a SipHash-1-3 prefix (+ "-" + suffix), see mechanics.md 4.1.
std::string make_interface_name(const std::vector<std::string>& parts, std::string_view suffix);

// A per-service bridge ("-b") or dedicated device ("-d") that nobody claims:
// starts with "zl-", ends with "-b" or "-d", and is in neither set (mechanics.md 4.3).
bool is_orphan_service_bridge(std::string_view name, const std::set<std::string>& live,
                              const std::set<std::string>& protected_names);

} // namespace overlayd::net
