// overlayctl: the operator's client. `status` shows what the daemon holds,
// `nat` its NAT candidates and how each peer is reached; `call` sends any
// request of the contract, written as JSON.
#include <cstdio>
#include <string>
#include <vector>

#include "app/client_connection.hpp"
#include "app/daemon_options.hpp"
#include "overlayd_version.hpp"

namespace {

using overlayd::app::client_connection;
namespace msg = overlayd::msg;

const char* usage =
  "usage: overlayctl [--socket PATH | --data-dir DIR] <command>\n"
  "\n"
  "commands:\n"
  "  status [--json]       what the daemon holds: addressing, peers, services\n"
  "  nat [--json]          NAT candidates, how each peer is reached, last refresh\n"
  "  call '<request>'      send one request written as JSON, e.g. '{\"op\":\"status\"}',\n"
  "                        and print the response as JSON\n"
  "\n"
  "The socket defaults to the one the daemon derives from its data dir.\n";

int fail(const std::string& reason) {
  std::fprintf(stderr, "overlayctl: %s\n", reason.c_str());
  return 1;
}

template <class T>
std::string or_none(const std::optional<T>& x) {
  if (!x)
    return "(none)";
  if constexpr (std::is_same_v<T, std::string>)
    return *x;
  else
    return x->to_string();
}

void print_status(const msg::status_snapshot& s) {
  std::printf("interface:     %s\n", or_none(s.interface).c_str());
  std::printf("node IP:       %s\n", or_none(s.node_ip).c_str());
  std::printf("public key:    %s\n", or_none(s.public_key).c_str());
  std::printf("overlay CIDR:  %s\n", or_none(s.overlay_cidr).c_str());
  std::printf("slice CIDR:    %s\n", or_none(s.slice_cidr).c_str());
  std::printf("peers:         %u\n", s.peer_count);
  std::printf("services:      %u\n", s.service_count);
  for (const auto& p : s.peers)
    std::printf("  peer %s endpoint %s allowed %s last handshake %lld\n", p.public_key.c_str(),
                p.endpoint.empty() ? "(none)" : p.endpoint.c_str(), p.allowed_ips.c_str(),
                static_cast<long long>(p.last_handshake_unix_secs));
  for (const auto& d : s.dedicated_services)
    std::printf("  dedicated %s on %s port %u key %s subnet %s peers %u\n", d.service.c_str(),
                d.interface.c_str(), d.listen_port, d.public_key.c_str(), d.subnet.c_str(),
                d.peer_count);
}

void print_nat(const msg::nat_status_wire& s) {
  std::printf("last refresh:  %s\n",
              s.last_refresh == 0 ? "never" : (std::to_string(s.last_refresh) + " (unix)").c_str());
  std::printf("candidates:    %zu\n", s.candidates.size());
  for (const auto& c : s.candidates)
    std::printf("  %-16s %s priority %u\n", c.candidate_type.c_str(), c.address.c_str(),
                c.priority);
  std::printf("peers:         %zu\n", s.peers.size());
  for (const auto& p : s.peers)
    std::printf("  peer %s %s at %s\n", p.node_id.c_str(), p.connection_type.c_str(),
                or_none(p.remote_endpoint).c_str());
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string socket_path;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    if ((args[i] == "--socket" || args[i] == "--data-dir") && i + 1 < args.size()) {
      socket_path = args[i] == "--socket" ? args[i + 1]
                                          : overlayd::app::socket_path_for(args[i + 1]);
      ++i;
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
    return 2;
  }
  if (socket_path.empty())
    socket_path = overlayd::app::socket_path_for(overlayd::app::environment_data_dir());

  const std::string command = args[i];
  msg::request request;
  bool as_json = false;
  if (command == "status" || command == "nat") {
    if (command == "status")
      request = msg::status{};
    else
      request = msg::nat_status{};
    as_json = i + 1 < args.size() && args[i + 1] == "--json";
  } else if (command == "call") {
    if (i + 1 >= args.size())
      return fail("call needs a request, e.g. '{\"op\":\"status\"}'");
    std::string error;
    auto parsed = msg::request_from_json(args[i + 1], error);
    if (!parsed)
      return fail("bad request: " + error);
    request = std::move(*parsed);
    as_json = true;
  } else {
    std::fputs(usage, stderr);
    return 2;
  }

  auto conn = client_connection::connect(socket_path);
  if (!conn)
    return fail("daemon unreachable: " + conn.error_message());
  auto response = conn->call(request);
  if (!response)
    return fail("no answer: " + response.error_message());
  if (auto* err = std::get_if<msg::error_result>(&*response))
    return fail(err->message);
  if (as_json) {
    std::printf("%s\n", msg::response_to_json(*response).c_str());
  } else if (auto* s = std::get_if<msg::status_snapshot>(&*response)) {
    print_status(*s);
  } else if (auto* n = std::get_if<msg::nat_status_wire>(&*response)) {
    print_nat(*n);
  }
  return 0;
}
