#include "nat_internet.hpp"

#include <chrono>
#include <thread>

namespace overlayd::testing {

namespace {

// A home router: WAN on the public bridge, LAN toward one node, masquerade
// out, nothing in. Interface names only have to be unique inside each
// namespace, and every veth is created inside a namespace the fixture owns
// (peer created directly in the other one), so fixed short names never
// clash with a parallel run and never appear in the machine's namespace.
bool build_home(const network_namespace& public_ns, const std::string& bridge_port,
                const network_namespace& router, const std::string& wan_cidr,
                const std::string& lan_cidr, const network_namespace& node,
                const std::string& node_cidr, const std::string& gateway, nat_mapping mapping) {
  const std::string masquerade = mapping == nat_mapping::symmetric
                                   ? "-j MASQUERADE --random-fully"
                                   : "-j MASQUERADE";
  return router.run("ip link add wan type veth peer name " + bridge_port + " netns "
                    + public_ns.name())
           == 0
         && public_ns.run("ip link set " + bridge_port + " master br0 && ip link set "
                          + bridge_port + " up")
              == 0
         && router.run("ip addr add " + wan_cidr + " dev wan && ip link set wan up") == 0
         && router.run("ip link add lan type veth peer name eth0 netns " + node.name()) == 0
         && router.run("ip addr add " + lan_cidr + " dev lan && ip link set lan up") == 0
         && node.run("ip addr add " + node_cidr + " dev eth0 && ip link set eth0 up && "
                     "ip route add default via " + gateway)
              == 0
         && router.run("sysctl -qw net.ipv4.ip_forward=1") == 0
         && router.run("iptables -t nat -A POSTROUTING -o wan " + masquerade) == 0
         // Inbound only what answers the LAN's own flows, as a home router
         // does: even a neighbour that routes 192.168.x at our WAN gets
         // nothing through.
         && router.run("iptables -A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED "
                       "-j ACCEPT && iptables -A FORWARD -i wan -j DROP")
              == 0
         // A datagram from outside that matches no flow is dropped before
         // conntrack confirms it. Otherwise the router itself would keep an
         // entry for it (as the receiver of a closed port) for 30 s, and the
         // node's own answer to that sender would get a new port: the first
         // punch from the other side would break the endpoint-independent
         // mapping that hole punching counts on.
         && router.run("iptables -A INPUT -i wan -p udp -m conntrack --ctstate NEW -j DROP")
              == 0;
}

} // namespace

nat_internet::nat_internet(nat_mapping mapping) : mapping_(mapping) {
  ok_ = build();
}

bool nat_internet::build() {
  if (dir_.path().empty())
    return false;
  for (const network_namespace* ns : {&public_, &router_a_, &router_b_, &node_a_, &node_b_})
    if (!ns->ok())
      return false;
  // The internet segment: a bridge, with the public host's addresses on it.
  // No default route anywhere: nothing can leave these namespaces.
  if (public_.run(std::string("ip link add br0 type bridge && ip link set br0 up && ")
                  + "ip addr add " + public_host_ip + "/24 dev br0 && ip addr add "
                  + second_public_ip + "/24 dev br0")
      != 0)
    return false;
  return build_home(public_, "ra", router_a_, std::string(router_a_public_ip) + "/24",
                    std::string(router_a_lan_ip) + "/24", node_a_,
                    std::string(node_a_ip) + "/24", router_a_lan_ip, mapping_)
         && build_home(public_, "rb", router_b_, std::string(router_b_public_ip) + "/24",
                       std::string(router_b_lan_ip) + "/24", node_b_,
                       std::string(node_b_ip) + "/24", router_b_lan_ip, mapping_);
}

bool nat_internet::start_coturn(std::uint16_t port, const std::string& address) {
  const std::string listen = address + ":" + std::to_string(port);
  const std::string file = dir_.path() + "/coturn-" + address + "-" + std::to_string(port);
  // --pidfile keeps coturn off /var/run; the log stays for a failing test.
  if (public_.run("turnserver -n --stun-only --no-cli -L " + address + " -p "
                  + std::to_string(port) + " --pidfile " + file + ".pid --log-file stdout >"
                  + file + ".log 2>&1 &")
      != 0)
    return false;
  // Bound is enough: coturn answers as soon as its UDP socket exists, and
  // callers retry their first binding anyway.
  for (int i = 0; i < 100; ++i) {
    if (public_.run("ss -Hnlu | grep -qF \"" + listen + " \"") == 0)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

} // namespace overlayd::testing
