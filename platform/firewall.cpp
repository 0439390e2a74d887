#include "platform/firewall.hpp"

#include <functional>
#include <set>

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace overlayd::platform {

namespace {

using family = net::ip_address::family;

constexpr family both_families[] = {family::v4, family::v6};

// Re-listing after a pass of deletions confirms the chain is clean; rules
// that keep reappearing (another agent re-adding them) stop us here.
constexpr int max_sweep_passes = 4;

// "10.200.0.5/32", "fd00::5/128": iptables prints host addresses this way.
std::string host(const net::ip_address& ip) {
  return ip.to_string() + "/" + std::to_string(ip.max_prefix());
}

rule_spec tagged(rule_spec spec, const std::string& tag, const std::string& target) {
  spec.insert(spec.end(), {"-m", "comment", "--comment", tag, "-j", target});
  return spec;
}

rule_spec isolation_jump() {
  return {"-m", "comment", "--comment", isolation_jump_tag, "-j", isolation_chain};
}

// The value after `option` in a listed rule, or "" (also when negated:
// "! -s x" is not a rule of ours).
std::string value_of(const rule_spec& rule, const std::string& option) {
  for (std::size_t i = 0; i + 1 < rule.size(); ++i)
    if (rule[i] == option)
      return (i > 0 && rule[i - 1] == "!") ? std::string() : rule[i + 1];
  return {};
}

bool names_host(const rule_spec& rule, const std::string& option, const net::ip_address& ip) {
  auto parsed = net::cidr::parse(value_of(rule, option));
  return parsed && parsed->address() == ip && parsed->prefix() == ip.max_prefix();
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// -C, then -I at the top or -A at the bottom: true when the rule was added.
result<bool> ensure_rule(iptables& table, const std::string& table_name, const std::string& chain,
                         const rule_spec& spec, bool at_top) {
  auto present = table.has_rule(table_name, chain, spec);
  if (!present)
    return present.err();
  if (*present)
    return false;
  auto added = at_top ? table.insert_rule(table_name, chain, spec)
                      : table.append_rule(table_name, chain, spec);
  if (!added)
    return added.err();
  return true;
}

// Deletes every listed rule of `chain` that `ours` accepts, re-listing until
// none is left. Best effort: a chain that cannot be listed (no program, no
// chain, no table) has nothing of ours. How many rules went.
int sweep(iptables& table, const std::string& table_name, const std::string& chain,
          const std::function<bool(const rule_spec&)>& ours) {
  int removed = 0;
  for (int pass = 0; pass < max_sweep_passes; ++pass) {
    auto rules = table.list_rules(table_name, chain);
    if (!rules) {
      spdlog::debug("firewall: {} (nothing to remove)", rules.error_message());
      break;
    }
    int found = 0, deleted = 0;
    for (const auto& rule : *rules) {
      if (!ours(rule))
        continue;
      ++found;
      auto gone = table.delete_rule(table_name, chain, rule);
      if (gone && *gone)
        ++deleted;
      else
        spdlog::warn("firewall: could not delete {} -t {} {} rule \"{}\"{}", table.program(),
                     table_name, chain, fmt::join(rule, " "),
                     gone ? "" : ": " + gone.error_message());
    }
    removed += deleted;
    if (found == 0 || deleted == 0)
      break;
  }
  return removed;
}

std::function<bool(const rule_spec&)> tagged_with(const std::string& tag) {
  return [tag](const rule_spec& rule) { return value_of(rule, "--comment") == tag; };
}

} // namespace

std::string isolation_rule_tag(const std::string& network) {
  std::string name;
  for (char c : network.substr(0, 64)) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                 || c == '_' || c == '.' || c == '-';
    name += plain ? c : '_';
  }
  return std::string(isolation_jump_tag) + ":" + name;
}

firewall::firewall(command_runner& runner, sysctl_access& sysctl)
    : runner_(runner), sysctl_(sysctl) {}

result<void> firewall::ensure_overlay_subnet_rules(const net::cidr& cluster) {
  const auto cidr = cluster.to_string();
  const auto operation = "ensure_overlay_subnet_rules(" + cidr + ")";
  iptables table(runner_, cluster.address().fam());
  struct allow {
    const char* chain;
    const char* match;
  };
  // Each goes to the top, so FORWARD ends up reading -s, then -d.
  const allow rules[] = {{"INPUT", "-s"}, {"FORWARD", "-d"}, {"FORWARD", "-s"}};
  bool forward_changed = false;
  for (const auto& rule : rules) {
    auto added = ensure_rule(table, "filter", rule.chain,
                             tagged({rule.match, cidr}, overlay_rule_tag, "ACCEPT"), true);
    if (!added)
      return make_error(operation + ": " + added.error_message());
    if (*added) {
      spdlog::info("firewall: {} {} {} {} -j ACCEPT added", table.program(), rule.chain,
                   rule.match, cidr);
      forward_changed |= std::string(rule.chain) == "FORWARD";
    }
  }
  // A fresh allow rule at the top now sits above the isolation jump and
  // would let fenced traffic through: move the jump back above it. (There is
  // a moment without the jump; it only happens when the allow rules were
  // missing while isolation already existed.)
  if (forward_changed) {
    auto jumping = table.has_rule("filter", "FORWARD", isolation_jump());
    if (jumping && *jumping) {
      auto removed = table.delete_every("filter", "FORWARD", isolation_jump());
      if (!removed)
        return make_error(operation + ": " + removed.error_message());
      if (auto again = table.insert_rule("filter", "FORWARD", isolation_jump()); !again)
        return make_error(operation + ": " + again.error_message());
    }
  }
  return {};
}

result<void> firewall::ensure_overlay_masquerade(const net::cidr& cluster) {
  const auto cidr = cluster.to_string();
  iptables table(runner_, cluster.address().fam());
  // Appended, not inserted: a more specific SNAT an operator wrote for the
  // overlay (a fixed egress address) keeps precedence over our catch-all.
  auto added = ensure_rule(table, "nat", "POSTROUTING",
                           tagged({"-s", cidr, "!", "-d", cidr}, overlay_rule_tag, "MASQUERADE"),
                           false);
  if (!added)
    return make_error("ensure_overlay_masquerade(" + cidr + "): " + added.error_message());
  if (*added)
    spdlog::info("firewall: {} nat POSTROUTING -s {} ! -d {} -j MASQUERADE added",
                 table.program(), cidr, cidr);
  return {};
}

void firewall::remove_overlay_masquerade() {
  for (auto fam : both_families) {
    iptables table(runner_, fam);
    if (int n = sweep(table, "nat", "POSTROUTING", tagged_with(overlay_rule_tag)); n > 0)
      spdlog::info("firewall: removed {} {} masquerade rule(s)", n, table.program());
  }
}

void firewall::remove_overlay_subnet_rules() {
  for (auto fam : both_families) {
    iptables table(runner_, fam);
    for (const char* chain : {"INPUT", "FORWARD"})
      if (int n = sweep(table, "filter", chain, tagged_with(overlay_rule_tag)); n > 0)
        spdlog::info("firewall: removed {} {} {} allow rule(s)", n, table.program(), chain);
  }
}

result<void> firewall::ensure_isolation_chain(iptables& table) {
  auto jumping = table.has_rule("filter", "FORWARD", isolation_jump());
  if (!jumping)
    return jumping.err();
  if (*jumping)
    return {};
  if (auto made = table.create_chain("filter", isolation_chain); !made)
    return made;
  // At the top: above the allow rules, which would otherwise accept the
  // traffic the chain is there to drop.
  if (auto inserted = table.insert_rule("filter", "FORWARD", isolation_jump()); !inserted)
    return inserted;
  spdlog::info("firewall: {} chain {} and its FORWARD jump added", table.program(),
               isolation_chain);
  return {};
}

result<void> firewall::ensure_member_isolation(const std::string& network,
                                               const net::ip_address& member,
                                               const std::vector<net::ip_address>& peers,
                                               const net::ip_address& node_ip,
                                               const net::cidr& cluster) {
  const auto operation = "ensure_member_isolation(" + network + ", " + member.to_string() + ")";
  const auto fam = cluster.address().fam();
  if (member.fam() != fam)
    return make_error(operation + ": not of the address family of the cluster "
                      + cluster.to_string());
  iptables table(runner_, fam);
  if (auto chain = ensure_isolation_chain(table); !chain)
    return make_error(operation + ": " + chain.error_message());

  const auto tag = isolation_rule_tag(network);
  const auto self = host(member);
  const auto cidr = cluster.to_string();
  std::vector<rule_spec> accepts;
  std::set<net::ip_address> seen{member};
  auto both_ways = [&](const net::ip_address& other) {
    if (other.fam() != fam || !seen.insert(other).second)
      return;
    accepts.push_back(tagged({"-s", self, "-d", host(other)}, tag, "ACCEPT"));
    accepts.push_back(tagged({"-s", host(other), "-d", self}, tag, "ACCEPT"));
  };
  for (const auto& peer : peers)
    both_ways(peer);
  both_ways(node_ip);
  const std::vector<rule_spec> drops{tagged({"-s", self, "-d", cidr}, tag, "DROP"),
                                     tagged({"-s", cidr, "-d", self}, tag, "DROP")};

  // ACCEPTs first: the member's DROPs never stand without its exceptions.
  int added = 0;
  for (const auto& spec : accepts) {
    auto one = ensure_rule(table, "filter", isolation_chain, spec, true);
    if (!one)
      return make_error(operation + ": " + one.error_message());
    added += *one ? 1 : 0;
  }
  for (const auto& spec : drops) {
    auto one = ensure_rule(table, "filter", isolation_chain, spec, false);
    if (!one)
      return make_error(operation + ": " + one.error_message());
    added += *one ? 1 : 0;
  }
  if (added > 0)
    spdlog::info("firewall: {} isolation rule(s) added for {} in network {} ({} peer(s))", added,
                 member.to_string(), network, peers.size());
  enable_bridge_netfilter(fam);
  return {};
}

void firewall::remove_member_isolation(const std::string& network, const net::ip_address& member,
                                       const std::vector<net::ip_address>& remaining,
                                       const net::ip_address& node_ip, const net::cidr& cluster) {
  // The contract passes the remaining members, node IP and cluster; listing
  // the chain finds every rule naming the member without them, including
  // pair rules toward peers a restart has forgotten.
  (void)node_ip;
  (void)cluster;
  iptables table(runner_, member.fam());
  auto names_member = [&](const rule_spec& rule) {
    return starts_with(value_of(rule, "--comment"), isolation_jump_tag)
           && (names_host(rule, "-s", member) || names_host(rule, "-d", member));
  };
  if (int n = sweep(table, "filter", isolation_chain, names_member); n > 0)
    spdlog::info("firewall: removed {} isolation rule(s) of {} in network {} ({} member(s) left)",
                 n, member.to_string(), network, remaining.size());
}

void firewall::remove_overlay_isolation() {
  for (auto fam : both_families) {
    iptables table(runner_, fam);
    auto jumps = table.delete_every("filter", "FORWARD", isolation_jump());
    if (!jumps) {
      spdlog::debug("firewall: {} (nothing to remove)", jumps.error_message());
      continue;
    }
    auto flushed = table.flush_chain("filter", isolation_chain);
    auto deleted = table.delete_chain("filter", isolation_chain);
    if (deleted && *deleted)
      spdlog::info("firewall: {} chain {} removed ({} jump(s))", table.program(),
                   isolation_chain, *jumps);
    else if (flushed && *flushed)
      spdlog::warn("firewall: {} chain {} flushed but not deleted (still referenced?)",
                   table.program(), isolation_chain);
  }
  restore_bridge_netfilter();
}

void firewall::enable_bridge_netfilter(net::ip_address::family fam) {
  const std::string key = fam == family::v4 ? "net.bridge.bridge-nf-call-iptables"
                                            : "net.bridge.bridge-nf-call-ip6tables";
  for (const auto& saved : bridge_netfilter_saved_)
    if (saved.first == key)
      return;
  auto current = sysctl_.read(key);
  if (!current) {
    if (!warned_no_bridge_netfilter_)
      spdlog::warn("firewall: br_netfilter is not loaded ({}); isolation holds between "
                   "bridges, but members on the same bridge are not fenced from each other",
                   current.error_message());
    warned_no_bridge_netfilter_ = true;
    return;
  }
  if (current->empty() || (*current)[0] != '0')
    return; // already on, and not ours to turn off later
  if (auto written = sysctl_.write(key, "1"); !written) {
    spdlog::warn("firewall: {}; members on the same bridge are not fenced from each other",
                 written.error_message());
    return;
  }
  bridge_netfilter_saved_.emplace_back(key, *current);
  spdlog::info("firewall: {} set to 1 so bridged traffic of isolated members meets FORWARD",
               key);
}

void firewall::restore_bridge_netfilter() {
  for (const auto& [key, value] : bridge_netfilter_saved_) {
    if (auto written = sysctl_.write(key, value); !written)
      spdlog::warn("firewall: {}", written.error_message());
    else
      spdlog::info("firewall: {} restored", key);
  }
  bridge_netfilter_saved_.clear();
}

} // namespace overlayd::platform
