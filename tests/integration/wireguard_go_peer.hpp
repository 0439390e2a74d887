// A stock wireguard-go + wg peer running in a namespace the test created:
// the third-party implementation our device must interoperate with.
#pragma once

#include <string>

#include "netns.hpp"

namespace overlayd::testing {

class wireguard_go_peer {
public:
  // Starts `wireguard-go -f <interface>` inside `ns` with a fresh key,
  // listening on `port`, with `tunnel_address` (e.g. "10.77.0.2/24").
  wireguard_go_peer(const network_namespace& ns, std::string interface, int port,
                    std::string tunnel_address);
  ~wireguard_go_peer(); // stops it; its UAPI socket goes with it

  bool ok() const { return ok_; }
  const std::string& public_key() const { return public_key_; } // base64
  const std::string& interface() const { return interface_; }

  // `wg set <interface> peer <key> endpoint <endpoint> allowed-ips <ips>`.
  bool add_peer(const std::string& key, const std::string& endpoint,
                const std::string& allowed_ips);

  void stop();
  bool start(); // again after stop(), same key and port

private:
  const network_namespace& ns_;
  std::string interface_;
  int port_;
  std::string tunnel_address_;
  std::string key_file_;
  std::string public_key_;
  bool ok_ = false;
};

} // namespace overlayd::testing
