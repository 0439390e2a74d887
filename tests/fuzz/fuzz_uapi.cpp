// fuzz_uapi: the UAPI text protocol (net/wireguard/uapi_protocol.hpp) as
// the control socket meets it: the input is what a client writes, cut into
// requests by uapi_request_reader (chunk size from the first byte); each
// set body is parsed and applied to a device_core, whose status goes out
// as a get answer. The same bytes are also read as a get answer
// (parse_get_response, parse_errno_response), as overlayd reads a peer's.
// Beyond "no crash":
//   - framing: a get has an empty body, a set body ends in '\n', nothing
//     exceeds max_request_bytes, and an error is final;
//   - set: an accepted set, written back as set text, parses to the same
//     operations; a rejected one names an errno and its message never
//     quotes a private or preshared key;
//   - get: format_get_response . parse_get_response is a fixed point, and
//     the device's own status survives it (what `wg show` reads is ours).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/wireguard/device_core.hpp"
#include "net/wireguard/uapi_protocol.hpp"

using namespace overlayd;
using namespace overlayd::net::wg;

namespace {

std::string format_set(const uapi_set_request& r) {
  std::string out;
  auto line = [&](const char* key, const std::string& value) {
    out += key;
    out += '=';
    out += value;
    out += '\n';
  };
  if (r.private_key)
    line("private_key", key_to_hex(*r.private_key));
  if (r.listen_port)
    line("listen_port", std::to_string(*r.listen_port));
  if (r.fwmark)
    line("fwmark", std::to_string(*r.fwmark));
  if (r.replace_peers)
    line("replace_peers", "true");
  for (const auto& p : r.peers) {
    line("public_key", key_to_hex(p.public_key));
    if (p.remove) {
      line("remove", "true");
      continue;
    }
    if (p.update_only)
      line("update_only", "true");
    if (p.preshared_key)
      line("preshared_key", key_to_hex(*p.preshared_key));
    if (p.endpoint)
      line("endpoint", p.endpoint->to_string());
    if (p.persistent_keepalive_interval)
      line("persistent_keepalive_interval", std::to_string(*p.persistent_keepalive_interval));
    if (p.replace_allowed_ips)
      line("replace_allowed_ips", "true");
    for (const auto& prefix : p.allowed_ips)
      line("allowed_ip", prefix.to_address_string()); // as written: host bits stay
  }
  return out;
}

bool same_peer(const uapi_peer_config& a, const uapi_peer_config& b) {
  return a.public_key == b.public_key && a.remove == b.remove && a.update_only == b.update_only
         && a.preshared_key == b.preshared_key && a.endpoint == b.endpoint
         && a.persistent_keepalive_interval == b.persistent_keepalive_interval
         && a.replace_allowed_ips == b.replace_allowed_ips && a.allowed_ips == b.allowed_ips;
}

bool same_set(const uapi_set_request& a, const uapi_set_request& b) {
  if (a.private_key != b.private_key || a.listen_port != b.listen_port || a.fwmark != b.fwmark
      || a.replace_peers != b.replace_peers || a.peers.size() != b.peers.size())
    return false;
  for (std::size_t i = 0; i < a.peers.size(); ++i)
    if (!same_peer(a.peers[i], b.peers[i]))
      return false;
  return true;
}

// The values of the body's private_key= and preshared_key= lines must not
// show up in an error message: those of 8 or more hex digits that occur
// once in the body, which could not get there by chance (from another
// line, or the message's own words).
void check_no_secret_in(std::string_view body, const std::string& message) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string_view::npos)
      end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    for (std::string_view key : {std::string_view("private_key="),
                                 std::string_view("preshared_key=")}) {
      if (line.substr(0, key.size()) == key) {
        std::string_view secret = line.substr(key.size());
        if (secret.size() >= 8 && secret.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos
            && body.find(secret) == pos + key.size()
            && body.find(secret, pos + key.size() + 1) == std::string_view::npos)
          FUZZ_CHECK(message.find(secret) == std::string::npos);
      }
    }
    pos = end + 1;
  }
}

void check_get_fixed_point(const uapi_device_status& status) {
  std::string once = format_get_response(status);
  auto reread = parse_get_response(once);
  FUZZ_CHECK(reread.ok());
  FUZZ_CHECK(format_get_response(*reread) == once);
  auto code = parse_errno_response(once);
  FUZZ_CHECK(code && *code == 0);
}

void check_set(const std::string& body) {
  uapi_set_parse parsed = parse_set_request(body);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error.code != uapi_errno::ok);
    check_no_secret_in(body, parsed.error.message);
    return;
  }
  uapi_set_parse again = parse_set_request(format_set(*parsed.request));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(same_set(*parsed.request, *again.request));

  device_core device;
  uapi_error applied = device.apply(*parsed.request, steady_time{});
  check_no_secret_in(body, applied.message);
  check_get_fixed_point(device.status());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  std::size_t chunk = std::size_t{data[0]} + 1;
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  uapi_request_reader reader;
  uapi_request request;
  uapi_error error;
  bool failed = false;
  auto take = [&](uapi_request_reader::status st) {
    if (st == uapi_request_reader::status::error) {
      FUZZ_CHECK(error.code != uapi_errno::ok);
      failed = true;
      return false;
    }
    if (st == uapi_request_reader::status::need_more)
      return false;
    FUZZ_CHECK(request.body.size() <= uapi_request_reader::max_request_bytes);
    if (request.op == uapi_request::kind::get) {
      FUZZ_CHECK(request.body.empty());
    } else {
      FUZZ_CHECK(request.body.empty() || request.body.back() == '\n');
      check_set(request.body);
    }
    return true;
  };
  for (std::size_t fed = 0; fed < stream.size() && !failed;) {
    std::size_t n = std::min(chunk, stream.size() - fed);
    reader.feed(stream.substr(fed, n));
    fed += n;
    while (!failed && take(reader.next(request, error))) {
    }
  }
  if (!failed)
    take(reader.finish(request, error));

  // The same bytes as an answer we read.
  auto get = parse_get_response(stream);
  if (get)
    check_get_fixed_point(*get);
  (void)parse_errno_response(stream);
  return 0;
}
