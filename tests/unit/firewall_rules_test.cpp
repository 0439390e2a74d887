// platform/firewall: the iptables argv sequences of mechanics.md 11, run
// against an in-memory model of iptables (no root, no real rule table).
#include <catch2/catch.hpp>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "platform/firewall.hpp"
#include "platform/iptables.hpp"
#include "support/fake_sysctls.hpp"

using overlayd::error;
using overlayd::make_error;
using overlayd::result;
using overlayd::net::cidr;
using overlayd::net::ip_address;
namespace platform = overlayd::platform;
using platform::command_output;
using platform::rule_spec;

namespace {

using argv_t = std::vector<std::string>;

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words)
    text += (text.empty() ? "" : " ") + word;
  return text;
}

// What iptables does with quoting in -S output (xtables_save_string).
std::string saved_value(const std::string& value) {
  bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-';
  });
  if (plain)
    return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\' || c == '\'')
      quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// A model of iptables/ip6tables good enough for the firewall: tables,
// built-in and user chains, -C -I -A -D -S -N -F -X with their exit codes.
// Records every argv it is given.
class fake_iptables final : public platform::command_runner {
public:
  using chains = std::map<std::string, std::vector<rule_spec>>;

  std::vector<argv_t> calls;
  std::set<std::string> not_installed;
  std::map<std::string, std::map<std::string, chains>> programs; // program -> table -> chain

  fake_iptables() {
    for (const char* program : {"iptables", "ip6tables"}) {
      auto& tables = programs[program];
      for (const char* chain : {"INPUT", "FORWARD", "OUTPUT"})
        tables["filter"][chain];
      for (const char* chain : {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"})
        tables["nat"][chain];
    }
  }

  std::vector<rule_spec>& chain(const std::string& program, const std::string& table,
                                const std::string& name) {
    return programs[program][table][name];
  }
  bool has_chain(const std::string& program, const std::string& table,
                 const std::string& name) const {
    const auto& tables = programs.at(program);
    auto t = tables.find(table);
    return t != tables.end() && t->second.count(name) > 0;
  }
  // The rules of a chain as text, in order.
  std::vector<std::string> lines(const std::string& program, const std::string& table,
                                 const std::string& name) {
    std::vector<std::string> out;
    for (const auto& rule : chain(program, table, name))
      out.push_back(joined(rule));
    return out;
  }
  std::vector<std::string> calls_from(std::size_t first) const {
    std::vector<std::string> out;
    for (std::size_t i = first; i < calls.size(); ++i)
      out.push_back(joined(calls[i]));
    return out;
  }

  result<command_output> run(const argv_t& argv) override {
    calls.push_back(argv);
    if (argv.empty() || not_installed.count(argv[0]))
      return make_error("run(" + (argv.empty() ? std::string() : argv[0])
                        + "): command not found");
    auto& tables = programs.at(argv[0]);
    std::size_t i = 1;
    std::string table = "filter";
    while (i < argv.size() && (argv[i] == "-w" || argv[i] == "-t")) {
      if (argv[i] == "-t")
        table = argv[++i];
      ++i;
    }
    REQUIRE(i + 1 < argv.size());
    const auto op = argv[i];
    const auto name = argv[i + 1];
    rule_spec spec(argv.begin() + static_cast<long>(i) + 2, argv.end());
    auto& chains_of_table = tables[table];
    auto found = chains_of_table.find(name);
    const bool exists = found != chains_of_table.end();
    auto target_ok = [&](const rule_spec& rule) {
      auto j = std::find(rule.begin(), rule.end(), "-j");
      if (j == rule.end() || j + 1 == rule.end())
        return true;
      static const std::set<std::string> builtin{"ACCEPT", "DROP", "RETURN", "MASQUERADE"};
      return builtin.count(*(j + 1)) > 0 || chains_of_table.count(*(j + 1)) > 0;
    };
    auto fail = [](int code, const std::string& message) {
      return command_output{code, "", message + "\n"};
    };

    if (op == "-C") {
      if (!exists || !target_ok(spec))
        return fail(2, "iptables: No chain/target/match by that name.");
      auto& rules = found->second;
      if (std::find(rules.begin(), rules.end(), spec) == rules.end())
        return fail(1, "iptables: Bad rule (does a matching rule exist in that chain?).");
      return command_output{};
    }
    if (op == "-I" || op == "-A") {
      if (op == "-I") {
        REQUIRE(!spec.empty());
        CHECK(spec.front() == "1");
        spec.erase(spec.begin());
      }
      if (!exists || !target_ok(spec))
        return fail(1, "iptables: No chain/target/match by that name.");
      auto& rules = found->second;
      rules.insert(op == "-I" ? rules.begin() : rules.end(), spec);
      return command_output{};
    }
    if (op == "-D") {
      if (!exists)
        return fail(1, "iptables: No chain/target/match by that name.");
      auto& rules = found->second;
      auto rule = std::find(rules.begin(), rules.end(), spec);
      if (rule == rules.end())
        return fail(1, "iptables: Bad rule (does a matching rule exist in that chain?).");
      rules.erase(rule);
      return command_output{};
    }
    if (op == "-S") {
      if (!exists)
        return fail(1, "iptables: No chain/target/match by that name.");
      static const std::set<std::string> builtin{"INPUT",  "FORWARD",    "OUTPUT",
                                                 "PREROUTING", "POSTROUTING"};
      command_output out;
      out.out = builtin.count(name) ? "-P " + name + " ACCEPT\n" : "-N " + name + "\n";
      for (const auto& rule : found->second) {
        out.out += "-A " + name;
        for (std::size_t w = 0; w < rule.size(); ++w)
          out.out += " " + (w > 0 && rule[w - 1] == "--comment" ? saved_value(rule[w]) : rule[w]);
        out.out += "\n";
      }
      return out;
    }
    if (op == "-N") {
      if (exists)
        return fail(1, "iptables: Chain already exists.");
      chains_of_table[name];
      return command_output{};
    }
    if (op == "-F") {
      if (!exists)
        return fail(1, "iptables: No chain/target/match by that name.");
      found->second.clear();
      return command_output{};
    }
    if (op == "-X") {
      if (!exists)
        return fail(1, "iptables: No chain/target/match by that name.");
      for (const auto& [other, rules] : chains_of_table)
        for (const auto& rule : rules)
          if (std::find(rule.begin(), rule.end(), name) != rule.end())
            return fail(1, "iptables: Too many links.");
      if (!found->second.empty())
        return fail(1, "iptables: Directory not empty.");
      chains_of_table.erase(found);
      return command_output{};
    }
    FAIL("unexpected iptables operation " << op);
    return command_output{};
  }
};

using fake_sysctls = overlayd::testing::fake_sysctls;

cidr cluster_v4() {
  return *cidr::parse("10.200.0.0/16");
}

ip_address ip(const char* text) {
  return *ip_address::parse(text);
}

std::string filter(const std::string& program, const std::string& words) {
  return program + " -w -t filter " + words;
}

const std::string jump = "-m comment --comment zlayer-overlay-iso -j ZLAYER-OVERLAY-ISO";

std::string tagged(const std::string& match, const std::string& tag, const std::string& target) {
  return match + " -m comment --comment " + tag + " -j " + target;
}

} // namespace

TEST_CASE("firewall: subnet allow rules, exact argv, then idempotent", "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);

  REQUIRE(fw.ensure_overlay_subnet_rules(cluster_v4()).ok());
  const std::string s = "-s 10.200.0.0/16 -m comment --comment zlayer-overlay -j ACCEPT";
  const std::string d = "-d 10.200.0.0/16 -m comment --comment zlayer-overlay -j ACCEPT";
  CHECK(ipt.calls_from(0)
        == std::vector<std::string>{
            filter("iptables", "-C INPUT " + s), filter("iptables", "-I INPUT 1 " + s),
            filter("iptables", "-C FORWARD " + d), filter("iptables", "-I FORWARD 1 " + d),
            filter("iptables", "-C FORWARD " + s), filter("iptables", "-I FORWARD 1 " + s),
            // a FORWARD rule went in: is there an isolation jump to keep above it?
            filter("iptables", "-C FORWARD " + jump)});
  CHECK(ipt.lines("iptables", "filter", "INPUT") == std::vector<std::string>{s});
  CHECK(ipt.lines("iptables", "filter", "FORWARD") == std::vector<std::string>{s, d});

  // -C says present: nothing is inserted a second time.
  auto before = ipt.calls.size();
  REQUIRE(fw.ensure_overlay_subnet_rules(cluster_v4()).ok());
  CHECK(ipt.calls_from(before)
        == std::vector<std::string>{filter("iptables", "-C INPUT " + s),
                                    filter("iptables", "-C FORWARD " + d),
                                    filter("iptables", "-C FORWARD " + s)});
  CHECK(ipt.lines("iptables", "filter", "FORWARD").size() == 2);
  CHECK(ipt.lines("ip6tables", "filter", "FORWARD").empty());
}

TEST_CASE("firewall: masquerade appended in nat POSTROUTING, idempotent", "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  ipt.chain("iptables", "nat", "POSTROUTING").push_back({"-o", "eth0", "-j", "MASQUERADE"});

  REQUIRE(fw.ensure_overlay_masquerade(cluster_v4()).ok());
  const std::string rule =
      "-s 10.200.0.0/16 ! -d 10.200.0.0/16 -m comment --comment zlayer-overlay -j MASQUERADE";
  CHECK(ipt.calls_from(0)
        == std::vector<std::string>{"iptables -w -t nat -C POSTROUTING " + rule,
                                    "iptables -w -t nat -A POSTROUTING " + rule});
  CHECK(ipt.lines("iptables", "nat", "POSTROUTING")
        == std::vector<std::string>{"-o eth0 -j MASQUERADE", rule});
  REQUIRE(fw.ensure_overlay_masquerade(cluster_v4()).ok());
  CHECK(ipt.calls.size() == 3);
  CHECK(ipt.lines("iptables", "nat", "POSTROUTING").size() == 2);
}

TEST_CASE("firewall: an IPv6 cluster goes through ip6tables", "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  auto cluster = *cidr::parse("fd00:200::/64");

  REQUIRE(fw.ensure_overlay_subnet_rules(cluster).ok());
  REQUIRE(fw.ensure_overlay_masquerade(cluster).ok());
  REQUIRE(fw.ensure_member_isolation("web", ip("fd00:200::7"), {ip("fd00:200::5")},
                                     ip("fd00:200::1"), cluster)
              .ok());
  for (const auto& call : ipt.calls)
    CHECK(call.front() == "ip6tables");
  CHECK(ipt.lines("ip6tables", "filter", "INPUT")
        == std::vector<std::string>{tagged("-s fd00:200::/64", "zlayer-overlay", "ACCEPT")});
  CHECK(ipt.lines("ip6tables", "nat", "POSTROUTING").size() == 1);
  auto iso = ipt.lines("ip6tables", "filter", "ZLAYER-OVERLAY-ISO");
  CHECK(std::count(iso.begin(), iso.end(),
                   tagged("-s fd00:200::7/128 -d fd00:200::5/128", "zlayer-overlay-iso:web",
                          "ACCEPT"))
        == 1);
  CHECK(ipt.lines("iptables", "filter", "FORWARD").empty());

  // Teardown knows no CIDR: both programs are swept.
  fw.remove_overlay_subnet_rules();
  fw.remove_overlay_masquerade();
  fw.remove_overlay_isolation();
  CHECK(ipt.lines("ip6tables", "filter", "INPUT").empty());
  CHECK(ipt.lines("ip6tables", "filter", "FORWARD").empty());
  CHECK(ipt.lines("ip6tables", "nat", "POSTROUTING").empty());
  CHECK_FALSE(ipt.has_chain("ip6tables", "filter", "ZLAYER-OVERLAY-ISO"));
}

TEST_CASE("firewall: removal deletes every tagged copy and nothing else", "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  REQUIRE(fw.ensure_overlay_subnet_rules(cluster_v4()).ok());
  REQUIRE(fw.ensure_overlay_masquerade(cluster_v4()).ok());
  // Duplicates a crash or an older build may have left, and other tools' rules.
  const rule_spec masquerade{"-s",        "10.200.0.0/16", "!",  "-d",
                             "10.200.0.0/16", "-m",        "comment", "--comment",
                             "zlayer-overlay", "-j",        "MASQUERADE"};
  ipt.chain("iptables", "nat", "POSTROUTING").push_back(masquerade);
  ipt.chain("iptables", "nat", "POSTROUTING").push_back({"-o", "eth0", "-j", "MASQUERADE"});
  ipt.chain("iptables", "filter", "FORWARD").push_back(ipt.chain("iptables", "filter", "FORWARD")[0]);
  ipt.chain("iptables", "filter", "FORWARD")
      .push_back({"-m", "comment", "--comment", "someone else", "-j", "ACCEPT"});

  auto before = ipt.calls.size();
  fw.remove_overlay_masquerade();
  const std::string rule =
      "-s 10.200.0.0/16 ! -d 10.200.0.0/16 -m comment --comment zlayer-overlay -j MASQUERADE";
  CHECK(ipt.calls_from(before)
        == std::vector<std::string>{"iptables -w -t nat -S POSTROUTING",
                                    "iptables -w -t nat -D POSTROUTING " + rule,
                                    "iptables -w -t nat -D POSTROUTING " + rule,
                                    "iptables -w -t nat -S POSTROUTING",
                                    "ip6tables -w -t nat -S POSTROUTING"});
  CHECK(ipt.lines("iptables", "nat", "POSTROUTING")
        == std::vector<std::string>{"-o eth0 -j MASQUERADE"});

  fw.remove_overlay_subnet_rules();
  CHECK(ipt.lines("iptables", "filter", "INPUT").empty());
  CHECK(ipt.lines("iptables", "filter", "FORWARD")
        == std::vector<std::string>{"-m comment --comment someone else -j ACCEPT"});

  // Nothing left: removing again only lists.
  before = ipt.calls.size();
  fw.remove_overlay_subnet_rules();
  fw.remove_overlay_masquerade();
  for (const auto& call : ipt.calls_from(before))
    CHECK(call.find(" -S ") != std::string::npos);
}

TEST_CASE("firewall: isolation rule set of a member with two peers", "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  const std::string tag = "zlayer-overlay-iso:backend";
  const std::string m = "10.200.0.7/32";

  REQUIRE(fw.ensure_member_isolation("backend", ip("10.200.0.7"),
                                     {ip("10.200.0.5"), ip("10.200.0.6")}, ip("10.200.0.1"),
                                     cluster_v4())
              .ok());
  const std::vector<std::string> accepts{
      tagged("-s " + m + " -d 10.200.0.5/32", tag, "ACCEPT"),
      tagged("-s 10.200.0.5/32 -d " + m, tag, "ACCEPT"),
      tagged("-s " + m + " -d 10.200.0.6/32", tag, "ACCEPT"),
      tagged("-s 10.200.0.6/32 -d " + m, tag, "ACCEPT"),
      tagged("-s " + m + " -d 10.200.0.1/32", tag, "ACCEPT"),
      tagged("-s 10.200.0.1/32 -d " + m, tag, "ACCEPT")};
  const std::vector<std::string> drops{tagged("-s " + m + " -d 10.200.0.0/16", tag, "DROP"),
                                       tagged("-s 10.200.0.0/16 -d " + m, tag, "DROP")};
  std::vector<std::string> expected{filter("iptables", "-C FORWARD " + jump),
                                    filter("iptables", "-N ZLAYER-OVERLAY-ISO"),
                                    filter("iptables", "-I FORWARD 1 " + jump)};
  for (const auto& rule : accepts) {
    expected.push_back(filter("iptables", "-C ZLAYER-OVERLAY-ISO " + rule));
    expected.push_back(filter("iptables", "-I ZLAYER-OVERLAY-ISO 1 " + rule));
  }
  for (const auto& rule : drops) {
    expected.push_back(filter("iptables", "-C ZLAYER-OVERLAY-ISO " + rule));
    expected.push_back(filter("iptables", "-A ZLAYER-OVERLAY-ISO " + rule));
  }
  CHECK(ipt.calls_from(0) == expected);

  // Every ACCEPT before any DROP; the jump first in FORWARD.
  auto chain = ipt.lines("iptables", "filter", "ZLAYER-OVERLAY-ISO");
  REQUIRE(chain.size() == 8);
  std::vector<std::string> top(chain.begin(), chain.begin() + 6);
  std::sort(top.begin(), top.end());
  auto sorted_accepts = accepts;
  std::sort(sorted_accepts.begin(), sorted_accepts.end());
  CHECK(top == sorted_accepts);
  CHECK(std::vector<std::string>(chain.begin() + 6, chain.end()) == drops);
  CHECK(ipt.lines("iptables", "filter", "FORWARD") == std::vector<std::string>{jump});

  // Again: all present, only checks.
  auto before = ipt.calls.size();
  REQUIRE(fw.ensure_member_isolation("backend", ip("10.200.0.7"),
                                     {ip("10.200.0.5"), ip("10.200.0.6")}, ip("10.200.0.1"),
                                     cluster_v4())
              .ok());
  std::vector<std::string> checks{filter("iptables", "-C FORWARD " + jump)};
  for (const auto& rule : accepts)
    checks.push_back(filter("iptables", "-C ZLAYER-OVERLAY-ISO " + rule));
  for (const auto& rule : drops)
    checks.push_back(filter("iptables", "-C ZLAYER-OVERLAY-ISO " + rule));
  CHECK(ipt.calls_from(before) == checks);
  CHECK(ipt.lines("iptables", "filter", "ZLAYER-OVERLAY-ISO").size() == 8);
}

TEST_CASE("firewall: remove_member deletes rules naming it, keeps chain and jump",
          "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  auto node = ip("10.200.0.1");
  REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.5"), {}, node, cluster_v4()).ok());
  REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.6"), {ip("10.200.0.5")}, node,
                                     cluster_v4())
              .ok());
  REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.7"),
                                     {ip("10.200.0.5"), ip("10.200.0.6")}, node, cluster_v4())
              .ok());
  REQUIRE(ipt.lines("iptables", "filter", "ZLAYER-OVERLAY-ISO").size() == 4 + 6 + 8);

  auto names = [&](const std::string& address) {
    int n = 0;
    for (const auto& line : ipt.lines("iptables", "filter", "ZLAYER-OVERLAY-ISO"))
      n += line.find(address + "/32") != std::string::npos;
    return n;
  };
  fw.remove_member_isolation("net", ip("10.200.0.7"), {ip("10.200.0.5"), ip("10.200.0.6")}, node,
                             cluster_v4());
  CHECK(names("10.200.0.7") == 0);
  CHECK(names("10.200.0.5") == 4 + 2);       // its own + the pair with .6
  CHECK(ipt.lines("iptables", "filter", "FORWARD") == std::vector<std::string>{jump});

  // .5 leaves: the pair rules .6 installed toward it go as well.
  fw.remove_member_isolation("net", ip("10.200.0.5"), {ip("10.200.0.6")}, node, cluster_v4());
  CHECK(names("10.200.0.5") == 0);
  CHECK(ipt.lines("iptables", "filter", "ZLAYER-OVERLAY-ISO")
        == std::vector<std::string>{
            tagged("-s 10.200.0.1/32 -d 10.200.0.6/32", "zlayer-overlay-iso:net", "ACCEPT"),
            tagged("-s 10.200.0.6/32 -d 10.200.0.1/32", "zlayer-overlay-iso:net", "ACCEPT"),
            tagged("-s 10.200.0.6/32 -d 10.200.0.0/16", "zlayer-overlay-iso:net", "DROP"),
            tagged("-s 10.200.0.0/16 -d 10.200.0.6/32", "zlayer-overlay-iso:net", "DROP")});

  // The last one: chain and jump stay until global teardown.
  fw.remove_member_isolation("net", ip("10.200.0.6"), {}, node, cluster_v4());
  CHECK(ipt.lines("iptables", "filter", "ZLAYER-OVERLAY-ISO").empty());
  CHECK(ipt.has_chain("iptables", "filter", "ZLAYER-OVERLAY-ISO"));
  CHECK(ipt.lines("iptables", "filter", "FORWARD") == std::vector<std::string>{jump});
}

TEST_CASE("firewall: remove_overlay_isolation loops out every jump, drops the chain",
          "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.5"), {}, ip("10.200.0.1"),
                                     cluster_v4())
              .ok());
  auto& forward = ipt.chain("iptables", "filter", "FORWARD");
  forward.push_back(forward.front()); // a duplicate jump

  auto before = ipt.calls.size();
  fw.remove_overlay_isolation();
  CHECK(ipt.calls_from(before)
        == std::vector<std::string>{filter("iptables", "-D FORWARD " + jump),
                                    filter("iptables", "-D FORWARD " + jump),
                                    filter("iptables", "-D FORWARD " + jump),
                                    filter("iptables", "-F ZLAYER-OVERLAY-ISO"),
                                    filter("iptables", "-X ZLAYER-OVERLAY-ISO"),
                                    filter("ip6tables", "-D FORWARD " + jump),
                                    filter("ip6tables", "-F ZLAYER-OVERLAY-ISO"),
                                    filter("ip6tables", "-X ZLAYER-OVERLAY-ISO")});
  CHECK(ipt.lines("iptables", "filter", "FORWARD").empty());
  CHECK_FALSE(ipt.has_chain("iptables", "filter", "ZLAYER-OVERLAY-ISO"));
}

TEST_CASE("firewall: allow rules added after isolation keep the jump on top", "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.5"), {}, ip("10.200.0.1"),
                                     cluster_v4())
              .ok());
  REQUIRE(fw.ensure_overlay_subnet_rules(cluster_v4()).ok());
  auto forward = ipt.lines("iptables", "filter", "FORWARD");
  REQUIRE(forward.size() == 3);
  CHECK(forward.front() == jump);
}

TEST_CASE("firewall: a host without iptables is an error for ensure, quiet for remove",
          "[firewall]") {
  fake_iptables ipt;
  ipt.not_installed = {"iptables", "ip6tables"};
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);

  auto subnet = fw.ensure_overlay_subnet_rules(cluster_v4());
  REQUIRE_FALSE(subnet.ok());
  CHECK(subnet.error_message()
        == "ensure_overlay_subnet_rules(10.200.0.0/16): run(iptables): command not found");
  auto masquerade = fw.ensure_overlay_masquerade(cluster_v4());
  REQUIRE_FALSE(masquerade.ok());
  CHECK(masquerade.error_message()
        == "ensure_overlay_masquerade(10.200.0.0/16): run(iptables): command not found");
  auto member = fw.ensure_member_isolation("net", ip("10.200.0.5"), {}, ip("10.200.0.1"),
                                           cluster_v4());
  REQUIRE_FALSE(member.ok());
  CHECK(member.error_message()
        == "ensure_member_isolation(net, 10.200.0.5): run(iptables): command not found");

  auto before = ipt.calls.size();
  fw.remove_overlay_masquerade();
  fw.remove_overlay_subnet_rules();
  fw.remove_member_isolation("net", ip("10.200.0.5"), {}, ip("10.200.0.1"), cluster_v4());
  fw.remove_overlay_isolation();
  CHECK(ipt.calls.size() - before <= 10); // one failed attempt per chain and program
  CHECK(sysctls.writes.empty());
}

TEST_CASE("firewall: refusals name the command; wrong-family members are refused",
          "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  ipt.programs["iptables"]["filter"].erase("INPUT"); // e.g. a broken backend
  auto subnet = fw.ensure_overlay_subnet_rules(cluster_v4());
  REQUIRE_FALSE(subnet.ok());
  CHECK(subnet.error_message()
        == "ensure_overlay_subnet_rules(10.200.0.0/16): iptables -I INPUT 1 -s 10.200.0.0/16 -m "
           "comment --comment zlayer-overlay -j ACCEPT: iptables: No chain/target/match by that "
           "name.");

  auto v6_member = fw.ensure_member_isolation("net", ip("fd00::5"), {}, ip("10.200.0.1"),
                                              cluster_v4());
  REQUIRE_FALSE(v6_member.ok());
  CHECK(v6_member.error_message()
        == "ensure_member_isolation(net, fd00::5): not of the address family of the cluster "
           "10.200.0.0/16");
}

TEST_CASE("firewall: peers of the other family, duplicates and the member itself are skipped",
          "[firewall]") {
  fake_iptables ipt;
  fake_sysctls sysctls;
  platform::firewall fw(ipt, sysctls);
  REQUIRE(fw.ensure_member_isolation(
                "net", ip("10.200.0.7"),
                {ip("10.200.0.5"), ip("10.200.0.5"), ip("10.200.0.7"), ip("fd00::1")},
                ip("10.200.0.5"), cluster_v4())
              .ok());
  CHECK(ipt.lines("iptables", "filter", "ZLAYER-OVERLAY-ISO").size() == 2 + 2);
}

TEST_CASE("firewall: br_netfilter switched on only when present and off, restored at teardown",
          "[firewall]") {
  const std::string key = "net.bridge.bridge-nf-call-iptables";
  SECTION("module present, switch off: on, then restored verbatim") {
    fake_iptables ipt;
    fake_sysctls sysctls;
    sysctls.values[key] = "0\n";
    platform::firewall fw(ipt, sysctls);
    REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.5"), {}, ip("10.200.0.1"),
                                       cluster_v4())
                .ok());
    REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.6"), {ip("10.200.0.5")},
                                       ip("10.200.0.1"), cluster_v4())
                .ok());
    CHECK(sysctls.values[key] == "1");
    CHECK(sysctls.writes == std::vector<std::string>{key + "=1"});
    fw.remove_member_isolation("net", ip("10.200.0.5"), {}, ip("10.200.0.1"), cluster_v4());
    CHECK(sysctls.values[key] == "1"); // a detach never reverts
    fw.remove_overlay_isolation();
    CHECK(sysctls.values[key] == "0\n");
    CHECK(fw.bridge_netfilter_changes().empty());
  }
  SECTION("already on: left alone and not turned off later") {
    fake_iptables ipt;
    fake_sysctls sysctls;
    sysctls.values[key] = "1\n";
    platform::firewall fw(ipt, sysctls);
    REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.5"), {}, ip("10.200.0.1"),
                                       cluster_v4())
                .ok());
    fw.remove_overlay_isolation();
    CHECK(sysctls.writes.empty());
  }
  SECTION("module absent: rules still installed, nothing written") {
    fake_iptables ipt;
    fake_sysctls sysctls;
    platform::firewall fw(ipt, sysctls);
    REQUIRE(fw.ensure_member_isolation("net", ip("10.200.0.5"), {}, ip("10.200.0.1"),
                                       cluster_v4())
                .ok());
    CHECK(ipt.lines("iptables", "filter", "ZLAYER-OVERLAY-ISO").size() == 4);
    CHECK(sysctls.writes.empty());
  }
  SECTION("IPv6 uses the ip6tables switch") {
    fake_iptables ipt;
    fake_sysctls sysctls;
    sysctls.values[key] = "0";
    sysctls.values["net.bridge.bridge-nf-call-ip6tables"] = "0";
    platform::firewall fw(ipt, sysctls);
    REQUIRE(fw.ensure_member_isolation("net", ip("fd00::5"), {}, ip("fd00::1"),
                                       *cidr::parse("fd00::/64"))
                .ok());
    CHECK(sysctls.writes == std::vector<std::string>{"net.bridge.bridge-nf-call-ip6tables=1"});
  }
}

TEST_CASE("firewall: network names become safe comment tags", "[firewall]") {
  CHECK(platform::isolation_rule_tag("backend") == "zlayer-overlay-iso:backend");
  CHECK(platform::isolation_rule_tag("a b\"c\n.d-e_f") == "zlayer-overlay-iso:a_b_c_.d-e_f");
  CHECK(platform::isolation_rule_tag(std::string(100, 'x')).size()
        == std::string("zlayer-overlay-iso:").size() + 64);
}

TEST_CASE("iptables -S lines split into argv words, quotes undone", "[firewall]") {
  CHECK(platform::split_rule_line(
            "-A ZLAYER-OVERLAY-ISO -s 10.200.0.5/32 -d 10.200.0.0/16 -m comment --comment "
            "\"zlayer-overlay-iso:we b\\\"x\\\\y\" -j DROP")
        == std::vector<std::string>{"-A", "ZLAYER-OVERLAY-ISO", "-s", "10.200.0.5/32", "-d",
                                    "10.200.0.0/16", "-m", "comment", "--comment",
                                    "zlayer-overlay-iso:we b\"x\\y", "-j", "DROP"});
  CHECK(platform::split_rule_line("-P INPUT ACCEPT")
        == std::vector<std::string>{"-P", "INPUT", "ACCEPT"});
  CHECK(platform::split_rule_line("  ").empty());
}
