#include "wireguard_go_peer.hpp"

#include <unistd.h>

#include <chrono>
#include <thread>

namespace overlayd::testing {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

} // namespace

wireguard_go_peer::wireguard_go_peer(const network_namespace& ns, std::string interface,
                                     int port, std::string tunnel_address)
    : ns_(ns), interface_(std::move(interface)), port_(port),
      tunnel_address_(std::move(tunnel_address)) {
  char pattern[] = "/tmp/overlayd-wgkey-XXXXXX";
  int fd = ::mkstemp(pattern);
  if (fd < 0)
    return;
  ::close(fd);
  key_file_ = pattern;
  if (ns_.run("wg genkey > " + key_file_) != 0)
    return;
  public_key_ = trimmed(ns_.output_of("wg pubkey < " + key_file_));
  ok_ = !public_key_.empty() && start();
}

wireguard_go_peer::~wireguard_go_peer() {
  stop();
  if (!key_file_.empty())
    ::unlink(key_file_.c_str());
}

bool wireguard_go_peer::start() {
  // -f keeps it in the foreground, so it is one of the namespace's
  // processes and dies with it.
  if (ns_.run("wireguard-go -f " + interface_ + " >/dev/null 2>&1 &") != 0)
    return false;
  for (int i = 0; i < 100; ++i) {
    if (ns_.run("test -S /var/run/wireguard/" + interface_ + ".sock") == 0)
      return ns_.run("wg set " + interface_ + " private-key " + key_file_ + " listen-port "
                     + std::to_string(port_))
               == 0
             && ns_.run("ip addr add " + tunnel_address_ + " dev " + interface_) == 0
             && ns_.run("ip link set " + interface_ + " up") == 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void wireguard_go_peer::stop() {
  ns_.run("pkill -f \"wireguard-go -f " + interface_ + "$\"; sleep 0.2; rm -f /var/run/wireguard/"
          + interface_ + ".sock");
}

bool wireguard_go_peer::add_peer(const std::string& key, const std::string& endpoint,
                                 const std::string& allowed_ips) {
  return ns_.run("wg set " + interface_ + " peer " + key + " endpoint " + endpoint
                 + " allowed-ips " + allowed_ips)
         == 0;
}

} // namespace overlayd::testing
