// orphan_veths: which container veths outlived their container
// (mechanics.md 4.3, sweep_orphan_veths). Host ends are "veth-<pid>-<tag>",
// ends not yet moved into the container "vc-<pid>-<tag>"; once <pid> is
// gone nobody will delete them, so the next attach does. Pure, so the rule
// is testable without links or processes; platform/orphan_veth_sweep
// applies it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace overlayd::net {

// The pid in "veth-<pid>..." or "vc-<pid>...": the text after the prefix up
// to the first '-', read as Rust's u32 parse does (decimal, an optional
// leading '+', no overflow). Anything else: nullopt.
std::optional<std::uint32_t> veth_owner_pid(std::string_view link_name);

// The links, in the given order, whose owner pid is not alive. A reused
// pid is not detected (neither is it by the original).
std::vector<std::string> select_orphan_veths(const std::vector<std::string>& link_names,
                                             const std::function<bool(std::uint32_t)>& pid_alive);

} // namespace overlayd::net
