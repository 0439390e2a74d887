// iptables: one rule-table program, iptables (IPv4) or ip6tables (IPv6),
// driven through a command_runner with argv vectors (mechanics.md 11).
// Every call names the table and passes -w, so a concurrent firewall tool
// holding the xtables lock (legacy backend) makes us wait instead of fail.
// Debian 12's iptables is iptables-nft; both backends take the same argv.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/base/ip_address.hpp"
#include "net/base/result.hpp"
#include "platform/command_runner.hpp"

namespace overlayd::platform {

// The words of a rule after "<chain>": "-s 10.200.0.0/16 -j ACCEPT".
using rule_spec = std::vector<std::string>;

class iptables {
public:
  iptables(command_runner& runner, net::ip_address::family family);

  // "iptables" or "ip6tables".
  const std::string& program() const noexcept { return program_; }

  // -C. False also when the chain or a jump target does not exist.
  result<bool> has_rule(const std::string& table, const std::string& chain, const rule_spec& spec);
  // -I <chain> 1: at the top.
  result<void> insert_rule(const std::string& table, const std::string& chain,
                           const rule_spec& spec);
  // -A: at the bottom.
  result<void> append_rule(const std::string& table, const std::string& chain,
                           const rule_spec& spec);
  // -D once: true when a rule was deleted, false when none matched.
  result<bool> delete_rule(const std::string& table, const std::string& chain,
                           const rule_spec& spec);
  // -D until it fails (bounded, so a misbehaving program cannot spin us):
  // how many were deleted. Duplicates left by a crash all go.
  result<int> delete_every(const std::string& table, const std::string& chain,
                           const rule_spec& spec);
  // -S <chain>: each rule's spec, in order. An error when the chain (or
  // its table) does not exist, as for any other failure.
  result<std::vector<rule_spec>> list_rules(const std::string& table, const std::string& chain);

  // -N; a chain that already exists counts as created.
  result<void> create_chain(const std::string& table, const std::string& chain);
  // -F / -X: false when the program refused (no such chain, still
  // referenced, not empty).
  result<bool> flush_chain(const std::string& table, const std::string& chain);
  result<bool> delete_chain(const std::string& table, const std::string& chain);

private:
  result<command_output> run(const std::string& table, std::vector<std::string> words);
  error refused(const std::vector<std::string>& words, const command_output& output) const;
  // Runs `words` + `spec`; a refusal is an error.
  result<void> change(const std::string& table, std::vector<std::string> words,
                      const rule_spec& spec);

  command_runner& runner_;
  std::string program_;
};

// Splits one line of `iptables -S` output into words, undoing the quoting
// iptables applies to values such as comments ("a b\"c" -> a b"c).
std::vector<std::string> split_rule_line(std::string_view line);

} // namespace overlayd::platform
