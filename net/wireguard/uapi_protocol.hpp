// uapi_protocol: the text protocol of a userspace WireGuard device's
// control socket (https://www.wireguard.com/xplatform/), answered the way
// wireguard-go's device/uapi.go answers it, so that the stock `wg` tool
// (wireguard-tools ipc-uapi.h) can show and change our devices. Pure: the
// socket and the device are someone else's.
//
// A connection carries requests one after another:
//   "get=1\n\n"                      -> key=value lines, "errno=0\n\n"
//   "set=1\n" key=value lines "\n"   -> "errno=N\n\n"
// wireguard-go applies a set line by line as it reads; we parse the whole
// set first and hand the device one operation list to apply atomically,
// so a bad line changes nothing.
#pragma once

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/base/cidr.hpp"
#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"
#include "net/wireguard/keys.hpp"

namespace overlayd::net::wg {

using uapi_key = key32;

// -- errors ----------------------------------------------------------------

// The codes wireguard-go answers (ipc/uapi_unix.go). On the wire they are
// written negated, "errno=-22", as wireguard-go does and as wireguard-tools
// expects: it hands the number back as a negative errno, so `wg set` says
// "Invalid argument" (a positive 22 would read "Unknown error -22").
enum class uapi_errno : int {
  ok = 0,
  io = EIO,                 // reading the request failed, or it is too large
  invalid = EINVAL,         // bad key name or value
  protocol = EPROTO,        // a line that is not key=value, an unknown operation
  port_in_use = EADDRINUSE, // binding listen_port or setting fwmark failed (device side)
  unknown = 55,             // wireguard-go's catch-all (ENOANO on Linux)
};

struct uapi_error {
  uapi_errno code = uapi_errno::ok;
  std::string message; // for our log; never contains a private or preshared key
};

// -- request framing ---------------------------------------------------------

struct uapi_request {
  enum class kind : std::uint8_t { get, set };
  kind op = kind::get;
  std::string body; // set: the key=value lines, each ending in '\n'; get: empty
};

// Splits a byte stream into requests. Feed what the socket delivers, then
// call next() until it stops returning `request`; bytes after a request
// stay buffered for the next one.
class uapi_request_reader {
public:
  // Room for `wg setconf` of 10,000 peers (about 200 bytes each) many
  // times over; still a bound on what one client makes us hold.
  static constexpr std::size_t max_request_bytes = std::size_t{16} << 20;

  enum class status : std::uint8_t { need_more, request, error };

  void feed(std::string_view bytes);

  // `request` fills `out`; `error` fills `err`, after which the connection
  // is beyond repair: answer format_errno(err.code) and close. Errors: a
  // first line that is neither get=1 nor set=1 (protocol; wireguard-go just
  // hangs up, an answer tells a hand-typed client what went wrong), bytes
  // after "get=1\n" other than the blank line (invalid, as wireguard-go),
  // a set still unfinished past max_request_bytes (io).
  status next(uapi_request& out, uapi_error& err);

  // The peer closed its side. A set cut short (no blank line yet) is taken
  // as complete, as wireguard-go's line scanner takes EOF; a cut get, or a
  // partial first line, is not a request (need_more: close quietly).
  status finish(uapi_request& out, uapi_error& err);

  std::size_t buffered() const noexcept { return buffer_.size(); }

private:
  status take(uapi_request& out, uapi_error& err, bool at_eof);

  std::string buffer_;
  std::size_t scanned_ = 0; // body bytes already known to hold no blank line
};

// -- set ---------------------------------------------------------------------

struct uapi_peer_config {
  uapi_key public_key{};
  // The peer goes away; nothing else of this block applies.
  bool remove = false;
  // Change the peer only if it exists; never create it.
  bool update_only = false;
  std::optional<uapi_key> preshared_key; // all zeros: no preshared key
  std::optional<net::endpoint> endpoint;
  std::optional<std::uint16_t> persistent_keepalive_interval; // 0: off
  // Drop the peer's allowed IPs before adding `allowed_ips`. Lines before a
  // replace_allowed_ips are already folded away here.
  bool replace_allowed_ips = false;
  std::vector<cidr> allowed_ips; // as written; the table masks them
};

// The operations of one set, in order. Applying it is the device's job:
// the device settings first, then replace_peers, then each peer block in
// order (one key may appear in several blocks). As in wireguard-go, a peer
// block naming the device's own public key is ignored.
struct uapi_set_request {
  std::optional<uapi_key> private_key; // all zeros: remove the key
  std::optional<std::uint16_t> listen_port;
  std::optional<std::uint32_t> fwmark;  // 0: clear the mark
  bool replace_peers = false;
  std::vector<uapi_peer_config> peers;
};

struct uapi_set_parse {
  std::optional<uapi_set_request> request; // set when the whole body is good
  uapi_error error;                        // otherwise why not
  bool ok() const noexcept { return request.has_value(); }
};

// Parses a set body (what uapi_request::body holds: lines without the
// "set=1" line and without the terminating blank line).
uapi_set_parse parse_set_request(std::string_view body);

// -- get ---------------------------------------------------------------------

struct uapi_peer_status {
  uapi_key public_key{};
  uapi_key preshared_key{}; // all zeros: none
  std::optional<net::endpoint> endpoint;
  // Unix time of the last completed handshake; 0 and 0 when never.
  std::int64_t last_handshake_time_sec = 0;
  std::int64_t last_handshake_time_nsec = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_bytes = 0;
  std::uint16_t persistent_keepalive_interval = 0;
  std::vector<cidr> allowed_ips;
};

struct uapi_device_status {
  uapi_key private_key{};        // all zeros: none (the line is left out)
  std::uint16_t listen_port = 0; // 0: left out
  std::uint32_t fwmark = 0;      // 0: left out
  std::vector<uapi_peer_status> peers;
};

// The whole get answer, "errno=0\n\n" included, in wireguard-go's order:
// private_key, listen_port, fwmark; per peer public_key, preshared_key,
// protocol_version=1, endpoint, last_handshake_time_sec/_nsec, tx_bytes,
// rx_bytes, persistent_keepalive_interval, then one allowed_ip per entry
// (printed masked).
std::string format_get_response(const uapi_device_status& device);

// "errno=0\n\n", or "errno=-22\n\n" for invalid.
std::string format_errno(uapi_errno code);

// Reads a get answer back (overlayd's own status, tests). Tolerant: unknown
// keys and unparsable values are skipped, a peer whose public_key does not
// parse is dropped. Fails when the answer has no errno line (cut short) or
// a non-zero one.
result<uapi_device_status> parse_get_response(std::string_view text);

// The errno of a set answer as a positive number (0 = success), accepting
// wireguard-go's "errno=-22" and boringtun's "errno=22"; nullopt when the
// text has no errno line.
std::optional<int> parse_errno_response(std::string_view text);

} // namespace overlayd::net::wg
