#include "app/daemon_options.hpp"

#include <unistd.h>

#include <cstdlib>

#include "net/base/decimal.hpp"
#include "net/base/endpoint.hpp"
#include "net/dns/upstreams.hpp"
#include "net/paths.hpp"

namespace overlayd::app {

namespace {

const char* env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string platform_default_data_dir() {
  return net::default_data_dir("", ::geteuid() == 0, env_or_empty("HOME"));
}

// A flag that takes a number, where it goes and what it may be.
struct number_slot {
  const char* name;
  std::optional<std::uint64_t>* target;
  std::uint64_t min;
  std::uint64_t max;
};

// The numeric flag `arg` names (as `--flag` or `--flag=value`), if any.
std::optional<number_slot> number_flag(daemon_options& out, const std::string& arg) {
  constexpr std::uint64_t a_day = 24 * 3600;
  const number_slot slots[] = {
    {"--max-connections", &out.max_connections, 1, 1u << 20},
    {"--max-unwritten-bytes", &out.max_unwritten_bytes, 1u << 20, 1ull << 40},
    {"--partial-frame-timeout", &out.partial_frame_timeout, 1, a_day},
    {"--write-stall-timeout", &out.write_stall_timeout, 1, a_day},
    {"--idle-timeout", &out.idle_timeout, 0, a_day},
    {"--max-document-values", &out.max_document_values, 16, 1u << 24},
    {"--max-document-depth", &out.max_document_depth, 4, 128},
    {"--mtu", &out.mtu, 576, 65455},
    {"--threads", &out.threads, 1, 64},
    {"--dns-ttl", &out.dns_ttl, 0, 0x7fffffff},
  };
  auto name = arg.substr(0, arg.find('='));
  for (const auto& slot : slots)
    if (name == slot.name)
      return slot;
  return std::nullopt;
}

} // namespace

std::string environment_data_dir() {
  return net::default_data_dir(env_or_empty("ZLAYER_DATA_DIR"), ::geteuid() == 0,
                               env_or_empty("HOME"));
}

std::string socket_path_for(const std::string& data_dir) {
  return net::default_socket_path_for(data_dir, platform_default_data_dir());
}

const char* daemon_usage() {
  return "usage: overlayd [options]\n"
         "\n"
         "Owns this host's overlay network and answers the main daemon on a Unix socket.\n"
         "\n"
         "options:\n"
         "  --data-dir DIR     state directory (default: $ZLAYER_DATA_DIR, /var/lib/zlayer as\n"
         "                     root, ~/.zlayer otherwise)\n"
         "  --socket PATH      listening socket (default: derived from the data dir:\n"
         "                     <data-dir>/run/zlayer-overlayd.sock, /var/run/zlayer-overlayd.sock\n"
         "                     for the default data dir)\n"
         "  --uapi-dir DIR     WireGuard UAPI sockets (default: <data-dir>/run/wireguard;\n"
         "                     /var/run/wireguard for the default data dir)\n"
         "  --log-level LEVEL  trace, debug, info, warn, error or off (default info)\n"
         "  --log-file PATH    also log to PATH (appended; SIGHUP reopens it, for logrotate)\n"
         "  --dropin-root DIR  where the networkd/NetworkManager drop-ins go (default /;\n"
         "                     tests point it at a scratch directory)\n"
         "  --no-offloads      WireGuard devices without TUN offloads and UDP GSO/GRO: one\n"
         "                     packet per system call, for a kernel whose offloads misbehave\n"
         "  --mtu N            MTU of the WireGuard devices and container veths (576-65455;\n"
         "                     default: the egress link's MTU minus 80, 1420 without one)\n"
         "  --threads N        threads that encrypt, and as many that decrypt, per WireGuard\n"
         "                     device (1-64; packets keep their order; default: 1 on up to\n"
         "                     two cores, else half the cores, at most 4)\n"
         "  --metrics-listen ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
         "                     (off by default; give 0.0.0.0 only if you mean it)\n"
         "\n"
         "the DNS responder for the names of register_dns (off unless --dns-listen is given):\n"
         "  --dns-listen ADDR:PORT  answer on UDP and TCP at ADDR:PORT (repeatable);\n"
         "                     overlay:PORT is the node overlay IP, from global overlay\n"
         "                     setup to teardown\n"
         "  --dns-zone ZONE    the zone answered authoritatively (default overlay.local.)\n"
         "  --dns-ttl SECS     TTL of the answers (default 300)\n"
         "  --dns-upstream IP[:PORT]  where other names are forwarded (repeatable; default:\n"
         "                     the nameservers of --dns-resolv-conf minus loopback; none:\n"
         "                     other names are REFUSED)\n"
         "  --dns-resolv-conf PATH  (default /etc/resolv.conf)\n"
         "\n"
         "limits on what clients of the socket may make the daemon hold:\n"
         "  --max-connections N         open connections (default 1024; fewer when the\n"
         "                              descriptor limit minus 256 is lower)\n"
         "  --max-unwritten-bytes N     answers a client leaves unread before it is\n"
         "                              disconnected (default 67108864)\n"
         "  --write-stall-timeout SECS  unread answers without progress (default 30)\n"
         "  --partial-frame-timeout SECS  a frame begun and not finished (default 30)\n"
         "  --idle-timeout SECS         close idle connections (default 0: never)\n"
         "  --max-document-values N     values in one decoded request (default 65536)\n"
         "  --max-document-depth N      nesting of one request (default 128)\n"
         "  --version          print the version and exit\n"
         "  --help             print this help and exit\n";
}

std::optional<daemon_options> parse_daemon_options(const std::vector<std::string>& args,
                                                   std::string& error) {
  daemon_options out;
  std::optional<std::string> data_dir;
  std::optional<std::string> socket;
  std::optional<std::string> uapi_dir;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value_of = [&](const std::string& flag) -> std::optional<std::string> {
      auto prefix = flag + "=";
      if (arg.rfind(prefix, 0) == 0)
        return arg.substr(prefix.size());
      if (arg != flag)
        return std::nullopt;
      if (i + 1 >= args.size()) {
        error = flag + " needs a value";
        return std::nullopt;
      }
      return args[++i];
    };
    if (arg == "--help" || arg == "-h") {
      out.show_help = true;
    } else if (arg == "--version" || arg == "-V") {
      out.show_version = true;
    } else if (arg == "--no-offloads") {
      out.offloads = false;
    } else if (arg == "--service") {
      // Accepted for compatibility; only meaningful on Windows.
    } else if (auto v = value_of("--data-dir")) {
      data_dir = *v;
    } else if (auto v = value_of("--socket")) {
      socket = *v;
    } else if (auto v = value_of("--uapi-dir")) {
      uapi_dir = *v;
    } else if (auto v = value_of("--log-file")) {
      out.log_file = *v;
    } else if (auto v = value_of("--dropin-root")) {
      out.dropin_root = *v;
    } else if (auto slot = number_flag(out, arg)) {
      auto v = value_of(arg.substr(0, arg.find('=')));
      if (!v)
        return std::nullopt;
      auto n = parse_decimal(*v, slot->max);
      if (!n || *n < slot->min) {
        error = slot->name + std::string(" needs a number from ") + std::to_string(slot->min)
                + " to " + std::to_string(slot->max) + ", not '" + *v + "'";
        return std::nullopt;
      }
      *slot->target = *n;
    } else if (auto v = value_of("--metrics-listen")) {
      if (!net::parse_endpoint(*v)) {
        error = "--metrics-listen needs ADDR:PORT (e.g. 127.0.0.1:9587 or [::1]:9587), not '"
                + *v + "'";
        return std::nullopt;
      }
      out.metrics_listen = *v;
    } else if (auto v = value_of("--dns-listen")) {
      const std::string overlay = "overlay:";
      if (v->rfind(overlay, 0) == 0) {
        auto port = parse_decimal(v->substr(overlay.size()), 65535);
        if (!port || *port == 0) {
          error = "--dns-listen overlay:PORT needs a port from 1 to 65535, not '" + *v + "'";
          return std::nullopt;
        }
        out.dns_overlay_port = static_cast<std::uint16_t>(*port);
      } else if (auto at = net::parse_endpoint(*v)) {
        out.dns_listen.push_back(*at);
      } else {
        error = "--dns-listen needs ADDR:PORT or overlay:PORT (e.g. 127.0.0.1:5353), not '"
                + *v + "'";
        return std::nullopt;
      }
    } else if (auto v = value_of("--dns-upstream")) {
      auto at = net::dns::parse_upstream(*v);
      if (!at) {
        error = "--dns-upstream needs IP or IP:PORT (e.g. 192.0.2.53), not '" + *v + "'";
        return std::nullopt;
      }
      out.dns_upstreams.push_back(*at);
    } else if (auto v = value_of("--dns-zone")) {
      if (v->empty() || v->size() > 253 || v->find_first_of(" \t\n/\\") != std::string::npos
          || v->find("..") != std::string::npos || (*v)[0] == '.') {
        error = "--dns-zone needs a domain name (e.g. overlay.local.), not '" + *v + "'";
        return std::nullopt;
      }
      out.dns_zone = v->back() == '.' ? *v : *v + ".";
    } else if (auto v = value_of("--dns-resolv-conf")) {
      out.dns_resolv_conf = *v;
    } else if (auto v = value_of("--log-level")) {
      static const char* levels[] = {"trace", "debug", "info", "warn", "error", "off"};
      bool known = false;
      for (const char* level : levels)
        known = known || *v == level;
      if (!known) {
        error = "unknown log level '" + *v + "' (trace, debug, info, warn, error, off)";
        return std::nullopt;
      }
      out.log_level = *v;
    } else {
      if (error.empty())
        error = "unknown option '" + arg + "' (see --help)";
      return std::nullopt;
    }
    if (!error.empty())
      return std::nullopt;
  }
  out.data_dir = data_dir ? *data_dir : environment_data_dir();
  out.socket_path = socket ? *socket : socket_path_for(out.data_dir);
  // As the original: two daemons with two data dirs keep their UAPI
  // sockets apart; only the default data dir uses /var/run/wireguard.
  out.uapi_dir =
    uapi_dir ? *uapi_dir : net::default_uapi_dir_for(out.data_dir, platform_default_data_dir());
  return out;
}

} // namespace overlayd::app
