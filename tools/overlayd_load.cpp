// overlayd-load: N clients, each on its own connection, send M requests of
// one kind and report throughput and latency. Run by hand against a running
// daemon; it prints figures, it asserts nothing.
//
//   overlayd-load --socket ./var/run/zlayer-overlayd.sock --clients 16 --requests 20000
//   overlayd-load --socket ... --kind alloc       (AllocateIp + ReleaseIp pairs)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "app/client_connection.hpp"

namespace {

using overlayd::app::client_connection;
namespace msg = overlayd::msg;
using clock_type = std::chrono::steady_clock;

struct load_options {
  std::string socket_path;
  unsigned clients = 16;
  unsigned requests = 20000; // per client
  std::string kind = "status";
  msg::body_codec codec = msg::body_codec::json;
};

struct client_outcome {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t errors = 0;
  std::uint64_t mismatched_ids = 0;
  std::string failure; // connection-level failure, if any
};

// One request, one answer, with its latency; checks the echoed id.
bool round_trip(client_connection& conn, std::uint64_t id, const msg::request& request,
                msg::body_codec codec, client_outcome& out, msg::response& answer) {
  auto start = clock_type::now();
  auto sent = conn.send_request(id, request, codec);
  if (!sent) {
    out.failure = sent.error_message();
    return false;
  }
  auto response = conn.read_response();
  if (!response) {
    out.failure = response.error_message();
    return false;
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
  out.latencies_us.push_back(static_cast<std::uint32_t>(elapsed.count()));
  if (response->id != id)
    ++out.mismatched_ids;
  if (msg::is_error(response->response))
    ++out.errors;
  answer = std::move(response->response);
  return true;
}

void run_client(const load_options& opts, unsigned index, client_outcome& out) {
  auto conn = client_connection::connect(opts.socket_path);
  if (!conn) {
    out.failure = conn.error_message();
    return;
  }
  out.latencies_us.reserve(opts.requests * 2);
  std::uint64_t id = std::uint64_t{index} << 32;
  msg::response answer;
  for (unsigned i = 0; i < opts.requests; ++i) {
    if (opts.kind == "status") {
      if (!round_trip(*conn, ++id, msg::status{}, opts.codec, out, answer))
        return;
      continue;
    }
    msg::allocate_ip alloc{"load-" + std::to_string(index), false};
    if (!round_trip(*conn, ++id, alloc, opts.codec, out, answer))
      return;
    if (auto* ip = std::get_if<msg::ip_result>(&answer))
      if (!round_trip(*conn, ++id, msg::release_ip{ip->ip}, opts.codec, out, answer))
        return;
  }
}

int usage() {
  std::fputs("usage: overlayd-load --socket PATH [--clients N] [--requests M per client]\n"
             "                     [--kind status|alloc] [--codec json|msgpack]\n",
             stderr);
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  load_options opts;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string v = argv[i + 1];
    if (flag == "--socket")
      opts.socket_path = v;
    else if (flag == "--clients")
      opts.clients = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    else if (flag == "--requests")
      opts.requests = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    else if (flag == "--kind" && (v == "status" || v == "alloc"))
      opts.kind = v;
    else if (flag == "--codec" && (v == "json" || v == "msgpack"))
      opts.codec = v == "json" ? msg::body_codec::json : msg::body_codec::msgpack;
    else
      return usage();
  }
  if (opts.socket_path.empty() || opts.clients == 0 || opts.requests == 0 || argc % 2 == 0)
    return usage();

  std::vector<client_outcome> outcomes(opts.clients);
  std::vector<std::thread> threads;
  auto start = clock_type::now();
  for (unsigned c = 0; c < opts.clients; ++c)
    threads.emplace_back(run_client, std::cref(opts), c, std::ref(outcomes[c]));
  for (auto& t : threads)
    t.join();
  double seconds = std::chrono::duration<double>(clock_type::now() - start).count();

  std::vector<std::uint32_t> all;
  std::uint64_t errors = 0, mismatched = 0, failed_clients = 0;
  for (const auto& o : outcomes) {
    all.insert(all.end(), o.latencies_us.begin(), o.latencies_us.end());
    errors += o.errors;
    mismatched += o.mismatched_ids;
    if (!o.failure.empty()) {
      ++failed_clients;
      std::fprintf(stderr, "client failed: %s\n", o.failure.c_str());
    }
  }
  if (all.empty())
    return 1;
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all[std::min(all.size() - 1, std::size_t(p * all.size()))]; };
  std::printf("kind %s, codec %s, %u clients x %u\n", opts.kind.c_str(),
              opts.codec == msg::body_codec::json ? "json" : "msgpack", opts.clients,
              opts.requests);
  std::printf("requests:       %zu in %.3f s\n", all.size(), seconds);
  std::printf("requests/s:     %.0f\n", static_cast<double>(all.size()) / seconds);
  std::printf("latency p50:    %u us\n", pct(0.50));
  std::printf("latency p99:    %u us\n", pct(0.99));
  std::printf("latency max:    %u us\n", all.back());
  std::printf("errors:         %llu\n", static_cast<unsigned long long>(errors));
  std::printf("mismatched ids: %llu\n", static_cast<unsigned long long>(mismatched));
  std::printf("failed clients: %llu\n", static_cast<unsigned long long>(failed_clients));
  return errors + mismatched + failed_clients == 0 ? 0 : 1;
}
