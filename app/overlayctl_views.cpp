#include "app/overlayctl_views.hpp"

#include <cstdio>
#include <sstream>

#include "net/wireguard/keys.hpp"

namespace overlayd::app {

namespace {

template <class T>
std::string or_none(const std::optional<T>& x) {
  if (!x)
    return "(none)";
  if constexpr (std::is_same_v<T, std::string>)
    return *x;
  else
    return x->to_string();
}

std::string padded(const char* label) {
  std::string out = std::string(label) + ":";
  out.resize(15, ' ');
  return out;
}

std::string age(std::int64_t then, std::int64_t now) {
  if (then == 0)
    return "never";
  return std::to_string(now - then) + " s ago";
}

std::string bytes(std::uint64_t b) {
  char out[32];
  if (b < 1024)
    std::snprintf(out, sizeof out, "%llu B", static_cast<unsigned long long>(b));
  else if (b < 1024 * 1024)
    std::snprintf(out, sizeof out, "%.1f KiB", static_cast<double>(b) / 1024);
  else
    std::snprintf(out, sizeof out, "%.1f MiB", static_cast<double>(b) / (1024 * 1024));
  return out;
}

// The NAT status names peers by base64 key, the status dump by hex.
std::string connection_of(const peer_extras& extras, const std::string& hex_key) {
  auto it = extras.connection_type.find(hex_key);
  if (it == extras.connection_type.end())
    if (auto key = net::wg::key_from_hex(hex_key))
      it = extras.connection_type.find(net::wg::key_to_base64(*key));
  return it == extras.connection_type.end() ? "-" : it->second;
}

void peer_lines(std::ostringstream& out, const msg::status_snapshot& s,
                const peer_extras& extras, std::int64_t now) {
  for (const auto& p : s.peers) {
    std::string key = p.public_key;
    if (auto k = net::wg::key_from_hex(p.public_key))
      key = net::wg::key_to_base64(*k); // as `wg` and the main daemon show it
    out << "peer " << key << "\n";
    out << "  endpoint:        " << (p.endpoint.empty() ? "(none)" : p.endpoint) << "\n";
    out << "  connection:      " << connection_of(extras, p.public_key) << "\n";
    out << "  allowed ips:     " << p.allowed_ips << "\n";
    out << "  last handshake:  " << age(p.last_handshake_unix_secs, now) << "\n";
    if (auto t = extras.transfers.find(p.public_key); t != extras.transfers.end())
      out << "  transfer:        " << bytes(t->second.rx_bytes) << " received, "
          << bytes(t->second.tx_bytes) << " sent\n";
  }
}

} // namespace

std::string show_status(const msg::status_snapshot& s, const peer_extras& extras,
                        std::int64_t now) {
  std::ostringstream out;
  out << padded("interface") << or_none(s.interface) << "\n";
  out << padded("node IP") << or_none(s.node_ip) << "\n";
  out << padded("public key") << or_none(s.public_key) << "\n";
  out << padded("overlay CIDR") << or_none(s.overlay_cidr) << "\n";
  out << padded("slice CIDR") << or_none(s.slice_cidr) << "\n";
  out << padded("peers") << s.peer_count << "\n";
  out << padded("services") << s.service_count << "\n";
  peer_lines(out, s, extras, now);
  out << show_services(s);
  return out.str();
}

std::string show_peers(const msg::status_snapshot& s, const peer_extras& extras,
                       std::int64_t now) {
  std::ostringstream out;
  peer_lines(out, s, extras, now);
  return out.str();
}

std::string show_services(const msg::status_snapshot& s) {
  std::ostringstream out;
  for (const auto& d : s.dedicated_services)
    out << "dedicated " << d.service << " on " << d.interface << " port " << d.listen_port
        << " key " << d.public_key << " subnet " << d.subnet << " peers " << d.peer_count
        << "\n";
  return out.str();
}

std::string show_nat(const msg::nat_status_wire& s) {
  std::ostringstream out;
  out << padded("last refresh")
      << (s.last_refresh == 0 ? "never" : std::to_string(s.last_refresh) + " (unix)") << "\n";
  out << padded("candidates") << s.candidates.size() << "\n";
  for (const auto& c : s.candidates) {
    std::string type = c.candidate_type;
    type.resize(std::max<std::size_t>(type.size(), 16), ' ');
    out << "  " << type << " " << c.address << " priority " << c.priority << "\n";
  }
  out << padded("peers") << s.peers.size() << "\n";
  for (const auto& p : s.peers)
    out << "  peer " << p.node_id << " " << p.connection_type << " at "
        << or_none(p.remote_endpoint) << "\n";
  return out.str();
}

std::string show_dns(const msg::overlayd_dns_status_wire& s) {
  if (!s.enabled)
    return "dns: off (start overlayd with --dns-listen ADDR:PORT)\n";
  std::string out = "zone " + s.zone + " serial " + std::to_string(s.serial) + " ttl "
                    + std::to_string(s.ttl) + "\n";
  out += "listeners:\n";
  for (const auto& l : s.listeners)
    out += "  " + l.address + (l.serving ? "  serving" : "  not serving: " + l.error.value_or("?"))
           + "\n";
  out += "upstreams:" + std::string(s.upstreams.empty() ? " none (other names are refused)" : "")
         + "\n";
  for (const auto& u : s.upstreams)
    out += "  " + u + "\n";
  out += "records (" + std::to_string(s.records.size()) + "):\n";
  for (const auto& r : s.records)
    out += "  " + r.name + "  " + r.ip.to_string() + "\n";
  return out;
}

} // namespace overlayd::app
