// overlayctl: the operator's client. `status` shows what the daemon holds
// (node, devices, per peer endpoint, connection type, last handshake and
// transfer), `peers`, `services` and `nat` parts of it, `metrics` a
// summary of the daemon's counters, and `call` sends any request of the
// contract, written as JSON.
//
// Exit status: 0 done; 1 the daemon answered an error; 2 bad usage; 3 the
// daemon (or its metrics endpoint) cannot be reached or did not answer.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "app/client_connection.hpp"
#include "app/daemon_options.hpp"
#include "app/dns_resolve.hpp"
#include "app/metrics_scrape.hpp"
#include "app/overlayctl_views.hpp"
#include "overlayd_version.hpp"

namespace {

using overlayd::app::client_connection;
namespace app = overlayd::app;
namespace msg = overlayd::msg;

constexpr int answered_error = 1;
constexpr int bad_usage = 2;
constexpr int unreachable = 3;

const char* usage =
  "usage: overlayctl [--socket PATH | --data-dir DIR] [--uapi-dir DIR] <command>\n"
  "\n"
  "commands:\n"
  "  status [--json]       node, devices, and per peer endpoint, connection type,\n"
  "                        last handshake and transfer\n"
  "  peers [--json]        the peers of the global device\n"
  "  services [--json]     the Dedicated services and their devices\n"
  "  nat [--json]          NAT candidates, how each peer is reached, last refresh\n"
  "  metrics --metrics ADDR:PORT [--raw]\n"
  "                        a summary of the counters the daemon serves with\n"
  "                        --metrics-listen (--raw: the exposition text)\n"
  "  dns [--json]          the DNS responder: zone, listeners (and why one does not\n"
  "                        serve), upstreams, records (an overlayd extension op)\n"
  "  dns resolve NAME [TYPE]  ask the responder for NAME (A, or PTR for an address;\n"
  "                        without a trailing dot the zone is appended; exit 1\n"
  "                        unless the answer is NOERROR)\n"
  "  call '<request>'      send one request written as JSON, e.g. '{\"op\":\"status\"}',\n"
  "                        and print the response as JSON\n"
  "\n"
  "--json prints the daemon's answer as JSON. The socket and the UAPI dir default to\n"
  "the ones the daemon derives from its data dir. Transfer counters need read access\n"
  "to the device's UAPI socket (as `wg show` does).\n"
  "\n"
  "exit status: 0 done, 1 the daemon answered an error, 2 bad usage, 3 the daemon\n"
  "cannot be reached or did not answer.\n";

int fail(int code, const std::string& reason) {
  std::fprintf(stderr, "overlayctl: %s\n", reason.c_str());
  return code;
}

struct session {
  std::string socket_path;
  std::string uapi_dir;

  // The daemon's answer; nullopt after printing why there is none.
  std::optional<msg::response> ask(const msg::request& r, int& code) const {
    auto conn = client_connection::connect(socket_path);
    if (!conn) {
      code = fail(unreachable, "daemon unreachable: " + conn.error_message());
      return std::nullopt;
    }
    auto response = conn->call(r);
    if (!response) {
      code = fail(unreachable, "no answer: " + response.error_message());
      return std::nullopt;
    }
    if (auto* err = std::get_if<msg::error_result>(&*response)) {
      code = fail(answered_error, err->message);
      return std::nullopt;
    }
    return *response;
  }

  // Connection types from nat_status and transfer from the UAPI socket:
  // extras, so their absence only leaves them out.
  app::peer_extras extras(const msg::status_snapshot& s) const {
    app::peer_extras out;
    auto conn = client_connection::connect(socket_path);
    if (conn)
      if (auto nat = conn->call(msg::nat_status{}); nat)
        if (auto* n = std::get_if<msg::nat_status_wire>(&*nat))
          for (const auto& p : n->peers)
            out.connection_type[p.node_id] = p.connection_type;
    if (s.interface)
      out.transfers = app::read_transfer(uapi_dir, *s.interface);
    return out;
  }
};

int show_snapshot(const session& s, const std::string& command, bool as_json) {
  int code = 0;
  auto r = s.ask(msg::status{}, code);
  if (!r)
    return code;
  if (as_json) {
    std::printf("%s\n", msg::response_to_json(*r).c_str());
    return 0;
  }
  const auto& snapshot = std::get<msg::status_snapshot>(*r);
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::string text;
  if (command == "services")
    text = app::show_services(snapshot);
  else if (command == "peers")
    text = app::show_peers(snapshot, s.extras(snapshot), now);
  else
    text = app::show_status(snapshot, s.extras(snapshot), now);
  std::fputs(text.c_str(), stdout);
  return 0;
}

int show_metrics(const std::vector<std::string>& rest) {
  std::string at;
  bool raw = false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == "--metrics" && i + 1 < rest.size())
      at = rest[++i];
    else if (rest[i] == "--raw")
      raw = true;
    else
      return fail(bad_usage, "metrics: unknown argument '" + rest[i] + "'");
  }
  if (at.empty())
    return fail(bad_usage, "metrics needs --metrics ADDR:PORT (the daemon's --metrics-listen)");
  auto text = app::fetch_metrics(at);
  if (!text)
    return fail(unreachable, text.error_message());
  std::fputs(raw ? text->c_str() : app::summarize(app::parse_samples(*text)).c_str(), stdout);
  return 0;
}

// `dns`: the responder's state; `dns resolve NAME [TYPE]`: a query through
// its first serving listener.
int show_dns(const session& s, const std::vector<std::string>& rest) {
  bool as_json = rest.size() == 1 && rest[0] == "--json";
  bool resolve = !rest.empty() && rest[0] == "resolve";
  if (!rest.empty() && !as_json && !(resolve && (rest.size() == 2 || rest.size() == 3)))
    return fail(bad_usage, "usage: dns [--json] | dns resolve NAME [TYPE]");
  int code = 0;
  auto r = s.ask(msg::overlayd_dns_status{}, code);
  if (!r)
    return code;
  if (as_json) {
    std::printf("%s\n", msg::response_to_json(*r).c_str());
    return 0;
  }
  const auto* status = std::get_if<msg::overlayd_dns_status_wire>(&*r);
  if (status == nullptr)
    return fail(answered_error, "the daemon does not know overlayd_dns_status");
  if (!resolve) {
    std::fputs(app::show_dns(*status).c_str(), stdout);
    return 0;
  }
  for (const auto& l : status->listeners) {
    auto at = l.serving ? overlayd::net::parse_endpoint(l.address) : std::nullopt;
    if (!at)
      continue;
    auto answer = app::resolve_through(app::reachable(*at), rest[1],
                                       rest.size() == 3 ? rest[2] : "", status->zone);
    if (!answer)
      return fail(answer.code() == overlayd::error_code::invalid_argument ? bad_usage
                                                                          : unreachable,
                  answer.error_message());
    std::printf("%s (from %s)\n%s%s", answer->rcode.c_str(), l.address.c_str(),
                answer->answer.c_str(), answer->authority.c_str());
    return answer->rcode == "NOERROR" ? 0 : answered_error;
  }
  return fail(unreachable, "the DNS responder serves on no address (see overlayctl dns)");
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  session s;
  std::string data_dir = app::environment_data_dir();
  std::string socket_flag, uapi_flag;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    bool has_value = i + 1 < args.size();
    if (args[i] == "--socket" && has_value) {
      socket_flag = args[++i];
    } else if (args[i] == "--data-dir" && has_value) {
      data_dir = args[++i];
    } else if (args[i] == "--uapi-dir" && has_value) {
      uapi_flag = args[++i];
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else if (args[i] == "--version") {
      std::printf("overlayctl %s\n", OVERLAYD_VERSION);
      return 0;
    } else {
      break;
    }
  }
  if (i >= args.size()) {
    std::fputs(usage, stderr);
    return bad_usage;
  }
  // The paths the daemon itself derives from the same data dir.
  std::string error;
  auto derived = app::parse_daemon_options({"--data-dir", data_dir}, error);
  s.socket_path = !socket_flag.empty() ? socket_flag : derived->socket_path;
  s.uapi_dir = !uapi_flag.empty() ? uapi_flag : derived->uapi_dir;

  const std::string command = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  bool as_json = rest.size() == 1 && rest[0] == "--json";
  if (!rest.empty() && !as_json && command != "call" && command != "metrics"
      && command != "dns")
    return fail(bad_usage, command + ": unknown argument '" + rest[0] + "'");

  if (command == "status" || command == "peers" || command == "services")
    return show_snapshot(s, command, as_json);
  if (command == "metrics")
    return show_metrics(rest);
  if (command == "dns")
    return show_dns(s, rest);
  if (command == "nat" || command == "call") {
    msg::request request = msg::nat_status{};
    if (command == "call") {
      if (rest.empty())
        return fail(bad_usage, "call needs a request, e.g. '{\"op\":\"status\"}'");
      auto parsed = msg::request_from_json(rest[0], error);
      if (!parsed)
        return fail(answered_error, "bad request: " + error);
      request = std::move(*parsed);
      as_json = true;
    }
    int code = 0;
    auto r = s.ask(request, code);
    if (!r)
      return code;
    if (as_json)
      std::printf("%s\n", msg::response_to_json(*r).c_str());
    else
      std::fputs(app::show_nat(std::get<msg::nat_status_wire>(*r)).c_str(), stdout);
    return 0;
  }
  std::fputs(usage, stderr);
  return bad_usage;
}
