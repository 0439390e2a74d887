#include "app/metrics_scrape.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "net/base/endpoint.hpp"

namespace overlayd::app {

namespace {

std::string address_of(std::string at) {
  if (at.rfind("http://", 0) == 0)
    at = at.substr(7);
  return at.substr(0, at.find('/'));
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char out[32];
  std::snprintf(out, sizeof out, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return out;
}

} // namespace

result<std::string> fetch_metrics(const std::string& at) {
  auto where = net::parse_endpoint(address_of(at));
  if (!where)
    return make_error("metrics address must be ADDR:PORT, not '" + at + "'");
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string host = where->address.to_string();
  if (where->address.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    in->sin_family = AF_INET;
    in->sin_port = htons(where->port);
    ::inet_pton(AF_INET, host.c_str(), &in->sin_addr);
    len = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(where->port);
    ::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr);
    len = sizeof(sockaddr_in6);
  }
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (fd >= 0)
      ::close(fd);
    return make_error("cannot reach metrics at " + where->to_string()
                      + " (is the daemon started with --metrics-listen?)");
  }
  std::string request = "GET /metrics HTTP/1.0\r\nHost: " + where->to_string() + "\r\n\r\n";
  std::string answer;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[65536];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 5000) > 0) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0)
        break;
      answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  auto body = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos)
    return make_error("metrics at " + where->to_string() + " answered: "
                      + answer.substr(0, answer.find('\r')));
  return answer.substr(body + 4);
}

std::vector<sample> parse_samples(const std::string& text) {
  std::vector<sample> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    sample s;
    std::size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (i != std::string::npos && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        auto eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size())
          break;
        std::string key = line.substr(i, eq - i);
        std::string value;
        for (i = eq + 2; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\' && i + 1 < line.size()) {
            ++i;
            value += line[i] == 'n' ? '\n' : line[i];
          } else {
            value += line[i];
          }
        }
        s.labels[key] = value;
        i += line[i + 1] == ',' ? 2 : 1;
      }
      ++i;
    }
    s.value = std::strtod(line.c_str() + std::min(i, line.size()), nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

std::string summarize(const std::vector<sample>& samples) {
  std::ostringstream out;
  auto label = [](const sample& s, const char* key) {
    auto it = s.labels.find(key);
    return it == s.labels.end() ? std::string() : it->second;
  };
  out << "requests:\n";
  for (const auto& s : samples)
    if (s.name == "overlayd_ipc_requests_total" && s.value > 0)
      out << "  " << label(s, "op") << " " << label(s, "result") << ": "
          << static_cast<std::uint64_t>(s.value) << "\n";
  for (const auto& s : samples) {
    if (s.name == "overlayd_ipc_connections")
      out << "connections: " << s.value << " open\n";
    else if (s.name == "overlayd_ipc_connections_closed_total" && s.value > 0)
      out << "  closed (" << label(s, "reason") << "): " << s.value << "\n";
  }
  out << "peers:\n";
  for (const auto& s : samples) {
    if (s.name == "overlayd_wg_peer_receive_bytes_total")
      out << "  " << label(s, "device") << " " << label(s, "peer") << " received "
          << human_bytes(s.value) << "\n";
    else if (s.name == "overlayd_wg_peer_transmit_bytes_total")
      out << "  " << label(s, "device") << " " << label(s, "peer") << " sent "
          << human_bytes(s.value) << "\n";
    else if (s.name == "overlayd_wg_peer_last_handshake_age_seconds")
      out << "  " << label(s, "device") << " " << label(s, "peer") << " handshake "
          << static_cast<long>(s.value) << " s ago\n";
    else if (s.name == "overlayd_peer_connection_type")
      out << "  " << label(s, "device") << " " << label(s, "peer") << " "
          << label(s, "type") << "\n";
  }
  out << "drops:\n";
  for (const auto& s : samples)
    if (s.name == "overlayd_wg_dropped_packets_total" && s.value > 0)
      out << "  " << label(s, "device") << " " << label(s, "reason") << ": "
          << static_cast<std::uint64_t>(s.value) << "\n";
  out << "pools:\n";
  for (const auto& s : samples)
    if (s.name == "overlayd_ipam_pool_free_addresses")
      out << "  " << label(s, "pool") << ": " << s.value << " free\n";
  return out.str();
}

} // namespace overlayd::app
