#include "app/daemon_options.hpp"

#include <unistd.h>

#include <cstdlib>

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
         "  --dropin-root DIR  where the networkd/NetworkManager drop-ins go (default /;\n"
         "                     tests point it at a scratch directory)\n"
         "  --no-offloads      WireGuard devices without TUN offloads and UDP GSO/GRO: one\n"
         "                     packet per system call, for a kernel whose offloads misbehave\n"
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
    } else if (auto v = value_of("--dropin-root")) {
      out.dropin_root = *v;
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
