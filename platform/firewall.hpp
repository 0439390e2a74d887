// firewall: the host iptables rules overlayd owns (mechanics.md 11, 7.11):
// allow rules so overlay traffic passes a host INPUT/FORWARD policy of DROP
// (UFW, firewalld, `iptables -P FORWARD DROP`), egress masquerade, and the
// per-network isolation fence. IPv4 rules go through iptables, an IPv6
// cluster's through ip6tables. Rules we own carry an iptables comment, so
// removal finds them without being told the CIDR (teardown has none) and
// after a restart has lost every in-memory record:
//   filter INPUT    -s <cluster> -m comment --comment zlayer-overlay -j ACCEPT
//   filter FORWARD  -s <cluster> ... -j ACCEPT, -d <cluster> ... -j ACCEPT
//                   (both inserted at the top)
//   nat POSTROUTING -s <cluster> ! -d <cluster> ... zlayer-overlay -j MASQUERADE
//   filter FORWARD  -m comment --comment zlayer-overlay-iso -j ZLAYER-OVERLAY-ISO
//                   (the isolation jump, kept above the allow rules)
//   filter ZLAYER-OVERLAY-ISO, per member M of network N, tagged
//                   "zlayer-overlay-iso:<N>": ACCEPT M<->peer (both ways),
//                   ACCEPT M<->node IP at the top; DROP -s M -d <cluster> and
//                   -s <cluster> -d M at the bottom, so every ACCEPT of any
//                   member is seen before any DROP, and egress outside the
//                   cluster still passes.
// Every ensure is idempotent (-C before -I/-A); a host without iptables gives
// an error the caller only warns about; removals are best effort, logged,
// and never fail.
//
// Members on the same Linux bridge (br_netfilter): frames switched inside
// one bridge never reach the IP FORWARD chain unless br_netfilter is loaded
// and net.bridge.bridge-nf-call-iptables (-ip6tables for IPv6) is 1. Members
// of one isolated service share its bridge and may talk anyway, so the fence
// that matters most (between services, whose bridges are routed through the
// host) holds without it; but two networks sharing a bridge (the Shared
// bridge, or an isolation_network that differs from the service) would not
// be fenced. What we do: when the module is present (the key exists under
// /proc/sys/net/bridge) and the switch is 0, ensure_member_isolation sets it
// to 1 — as Docker does — records the old value and remove_overlay_isolation
// restores it. Side effect, accepted as Docker's is: bridged traffic of other
// bridges in this namespace then also traverses FORWARD. We never load the
// module (a kernel-wide change that flips the switch on in every namespace);
// without it members on one bridge are NOT fenced from each other, and a
// warning says so once.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "net/base/cidr.hpp"
#include "net/base/ip_address.hpp"
#include "net/base/result.hpp"
#include "platform/command_runner.hpp"
#include "platform/iptables.hpp"
#include "platform/sysctl_access.hpp"

namespace overlayd::platform {

// -- names in the rule tables --

inline constexpr const char* overlay_rule_tag = "zlayer-overlay";
inline constexpr const char* isolation_chain = "ZLAYER-OVERLAY-ISO";
inline constexpr const char* isolation_jump_tag = "zlayer-overlay-iso";

// The comment on a network's isolation rules: "zlayer-overlay-iso:<N>",
// with N reduced to [A-Za-z0-9_.-] and 64 bytes. Informational (for the
// operator reading iptables-save): removal finds rules by address.
std::string isolation_rule_tag(const std::string& network);

class firewall {
public:
  // -- construction --

  // Both are borrowed and must outlive the firewall; `sysctl` is only used
  // for the br_netfilter switch.
  firewall(command_runner& runner, sysctl_access& sysctl);

  // -- global rules (SetupGlobalOverlay / teardown) --

  result<void> ensure_overlay_subnet_rules(const net::cidr& cluster);
  result<void> ensure_overlay_masquerade(const net::cidr& cluster);
  // Both families, every rule tagged zlayer-overlay in nat POSTROUTING.
  void remove_overlay_masquerade();
  // Both families, every rule tagged zlayer-overlay in INPUT and FORWARD.
  void remove_overlay_subnet_rules();

  // -- isolation networks (attach / detach / teardown) --

  // `peers`: the network's members before this one joined. Peers and a node
  // IP of the other address family are skipped (they cannot be in this
  // table); a member of the other family is an error.
  result<void> ensure_member_isolation(const std::string& network, const net::ip_address& member,
                                       const std::vector<net::ip_address>& peers,
                                       const net::ip_address& node_ip, const net::cidr& cluster);
  // Deletes every rule of the isolation chain that names the member as
  // source or destination (its own rules and the pair rules later members
  // added toward it); keeps the chain and its FORWARD jump.
  void remove_member_isolation(const std::string& network, const net::ip_address& member,
                               const std::vector<net::ip_address>& remaining,
                               const net::ip_address& node_ip, const net::cidr& cluster);
  // Global teardown: the jump, the chain, and the br_netfilter switch.
  void remove_overlay_isolation();

  // -- inspection --

  // Keys of the br_netfilter switches we turned on, with their old values.
  const std::vector<std::pair<std::string, std::string>>& bridge_netfilter_changes() const noexcept {
    return bridge_netfilter_saved_;
  }

private:
  result<void> ensure_isolation_chain(iptables& table);
  void enable_bridge_netfilter(net::ip_address::family family);
  void restore_bridge_netfilter();

  command_runner& runner_;
  sysctl_access& sysctl_;
  std::vector<std::pair<std::string, std::string>> bridge_netfilter_saved_;
  bool warned_no_bridge_netfilter_ = false;
};

} // namespace overlayd::platform
