// overlayd: the daemon. Starts the actor system, serves it on the socket and
// runs until SIGTERM/SIGINT (which leave container plumbing in place,
// DECISIONS.md 14) or a Shutdown request (the full teardown).
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "actors/node.hpp"
#include "actors/socket_service.hpp"
#include "app/daemon_options.hpp"
#include "app/logging.hpp"
#include "net/dns/upstreams.hpp"
#include "platform/metrics_http_server.hpp"
#include "overlayd_version.hpp"

namespace {

// SIGHUP: what changes without a restart. Today that is the log file
// (reopened after a rotation); every other setting needs a restart.
void reload(const overlayd::app::daemon_options& options) {
  if (!options.log_file) {
    spdlog::info("received SIGHUP; no --log-file to reopen, still serving");
    return;
  }
  if (auto reopened = overlayd::app::reopen_log_file(); !reopened)
    spdlog::error("received SIGHUP; {} (still writing to the old file)",
                  reopened.error_message());
  else
    spdlog::info("received SIGHUP; log file {} reopened", *options.log_file);
}

// Every thread started after this inherits the mask, so the signals reach
// only the sigwait below.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1); // raised after a Shutdown request is answered
  sigaddset(&set, SIGHUP);  // a closed terminal or a reload: neither stops us
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// The soft descriptor limit raised to the hard one (systemd and most
// shells give 1024 soft): connections and devices then have room, and the
// socket still keeps descriptors in reserve for devices below it.
void raise_descriptor_limit() {
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur >= nofile.rlim_max)
    return;
  rlim_t before = nofile.rlim_cur;
  nofile.rlim_cur = nofile.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &nofile) == 0)
    spdlog::debug("descriptor limit raised from {} to {}", before, nofile.rlim_cur);
}

overlayd::socket_options socket_options_from(const overlayd::app::daemon_options& o) {
  overlayd::socket_options out;
  out.path = o.socket_path;
  auto& limits = out.connections;
  auto seconds = [](std::uint64_t s) { return std::chrono::milliseconds(s * 1000); };
  if (o.max_connections)
    limits.max_connections = *o.max_connections;
  if (o.max_unwritten_bytes)
    limits.max_unwritten_bytes = *o.max_unwritten_bytes;
  if (o.partial_frame_timeout)
    limits.partial_frame_timeout = seconds(*o.partial_frame_timeout);
  if (o.write_stall_timeout)
    limits.write_stall_timeout = seconds(*o.write_stall_timeout);
  if (o.idle_timeout)
    limits.idle_timeout = seconds(*o.idle_timeout);
  if (o.max_document_values)
    out.documents.max_elements = *o.max_document_values;
  if (o.max_document_depth)
    out.documents.max_depth = static_cast<int>(*o.max_document_depth);
  return out;
}

// The responder's settings; without --dns-upstream the upstreams are the
// resolv.conf's nameservers that are not this host (mechanics.md 7.13).
overlayd::dns_settings dns_settings_from(const overlayd::app::daemon_options& o) {
  overlayd::dns_settings out;
  out.listen = o.dns_listen;
  out.overlay_port = o.dns_overlay_port;
  out.zone.origin = o.dns_zone;
  if (o.dns_ttl)
    out.zone.ttl = static_cast<std::uint32_t>(*o.dns_ttl);
  out.upstreams = o.dns_upstreams;
  if (!out.enabled() || !out.upstreams.empty())
    return out;
  std::ifstream file(o.dns_resolv_conf);
  if (!file) {
    spdlog::warn("dns: cannot read {}: no upstream resolver", o.dns_resolv_conf);
    return out;
  }
  std::stringstream text;
  text << file.rdbuf();
  out.upstreams = overlayd::net::dns::upstreams_from_resolv_conf(text.str());
  for (const auto& u : out.upstreams)
    spdlog::info("dns: upstream {} (from {})", u.to_string(), o.dns_resolv_conf);
  return out;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  auto options = overlayd::app::parse_daemon_options(args, error);
  if (!options) {
    std::fprintf(stderr, "overlayd: %s\n", error.c_str());
    return 2;
  }
  if (options->show_help) {
    std::fputs(overlayd::app::daemon_usage(), stdout);
    return 0;
  }
  if (options->show_version) {
    std::printf("overlayd %s\n", OVERLAYD_VERSION);
    return 0;
  }
  if (auto logging = overlayd::app::configure_logging(options->log_level, options->log_file);
      !logging) {
    std::fprintf(stderr, "overlayd: %s\n", logging.error_message().c_str());
    return 1;
  }
  raise_descriptor_limit();
  sigset_t stop_signals = block_stop_signals();

  overlayd::host_access host;
  host.dropin_root = options->dropin_root;
  host.uapi_dir = options->uapi_dir;
  host.rootless = std::getenv("ZLAYER_ROOTLESS") != nullptr; // present, any value
  auto node = overlayd::node::start({options->data_dir, 0, options->offloads, std::move(host),
                                     static_cast<unsigned>(options->mtu.value_or(0)),
                                     dns_settings_from(*options),
                                     static_cast<unsigned>(options->threads.value_or(0))});
  if (!node) {
    spdlog::error("cannot start: {}", node.error_message());
    return 1;
  }
  auto service = overlayd::socket_service::start(**node, socket_options_from(*options),
                                                 [] { ::kill(::getpid(), SIGUSR1); });
  if (!service) {
    spdlog::error("cannot serve: {}", service.error_message());
    return 1;
  }
  std::unique_ptr<overlayd::platform::metrics_http_server> metrics;
  if (options->metrics_listen) {
    auto* n = node->get();
    auto started = overlayd::platform::metrics_http_server::start(
      *overlayd::net::parse_endpoint(*options->metrics_listen),
      [n] { return n->metrics().expose(); });
    if (!started) {
      spdlog::error("cannot serve metrics: {}", started.error_message());
      return 1;
    }
    metrics = std::move(*started);
    spdlog::info("metrics at http://{}/metrics", *options->metrics_listen);
  }
  spdlog::info("overlayd {} listening on {} (data dir {}, UAPI dir {}, at most {} connections)",
               OVERLAYD_VERSION, options->socket_path, options->data_dir, options->uapi_dir,
               (*service)->connection_cap());
  // Under systemd (Type=notify) the unit is up once the socket serves;
  // elsewhere NOTIFY_SOCKET is unset and this does nothing.
  sd_notifyf(0, "READY=1\nSTATUS=serving %s", options->socket_path.c_str());

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP)
    reload(*options);
  if (signal_number == SIGUSR1)
    spdlog::info("shutdown request answered; exiting");
  else
    spdlog::info("received {}; stopping, container plumbing stays in place",
                 signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  sd_notify(0, "STOPPING=1");
  metrics.reset();
  (*service)->stop();
  (*node)->stop();
  spdlog::info("stopped");
  return 0;
}
