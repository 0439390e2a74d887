#include "net/wireguard/uapi_protocol.hpp"

#include <algorithm>
#include <cstdint>

#include "net/base/decimal.hpp"
#include "net/wireguard/keys.hpp"

namespace overlayd::net::wg {

namespace {

constexpr std::string_view get_header = "get=1\n";
constexpr std::string_view set_header = "set=1\n";

// -- small parsers -------------------------------------------------------------

// Go's hex.DecodeString accepts both cases; key_from_hex does too.
std::optional<uapi_key> parse_key(std::string_view text) {
  auto key = key_from_hex(text);
  if (!key)
    return std::nullopt;
  return *key;
}

void append_key(std::string& out, const uapi_key& key) {
  out += key_to_hex(key);
}

// Go's strconv.ParseInt(text, 10, 64).
std::optional<std::int64_t> parse_int(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative)
    text.remove_prefix(1);
  auto magnitude = parse_decimal(text, std::uint64_t{1} << 63);
  if (!magnitude || (!negative && *magnitude > static_cast<std::uint64_t>(INT64_MAX)))
    return std::nullopt;
  if (negative)
    return *magnitude == (std::uint64_t{1} << 63) ? INT64_MIN : -static_cast<std::int64_t>(*magnitude);
  return static_cast<std::int64_t>(*magnitude);
}

// netip.ParsePrefix: the "/bits" is required (unlike cidr::parse).
std::optional<cidr> parse_prefix(std::string_view text) {
  if (text.find('/') == std::string_view::npos)
    return std::nullopt;
  auto c = cidr::parse(text);
  if (!c)
    return std::nullopt;
  return *c;
}

// Splits "key=value" at the first '='.
bool split_line(std::string_view line, std::string_view& key, std::string_view& value) {
  auto eq = line.find('=');
  if (eq == std::string_view::npos)
    return false;
  key = line.substr(0, eq);
  value = line.substr(eq + 1);
  return true;
}

// Walks '\n'-terminated lines; a final unterminated line counts too (Go's
// bufio.Scanner does the same), and a trailing '\r' is dropped like its
// ScanLines does.
class line_walker {
public:
  explicit line_walker(std::string_view text) : text_(text) {}
  bool next(std::string_view& line) {
    if (pos_ >= text_.size())
      return false;
    auto nl = text_.find('\n', pos_);
    std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
    line = text_.substr(pos_, end - pos_);
    pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    ++number_;
    return true;
  }
  unsigned number() const noexcept { return number_; }

private:
  std::string_view text_;
  std::size_t pos_ = 0;
  unsigned number_ = 0;
};

uapi_set_parse fail(uapi_errno code, unsigned line, std::string what) {
  uapi_set_parse r;
  r.error.code = code;
  r.error.message = "uapi set: line " + std::to_string(line) + ": " + std::move(what);
  return r;
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Text echoed in error messages (which get logged) comes from a socket: it
// is cut short, shows control bytes as '?', and never shows what may be
// key material. A mistyped line such as "private_key:<64 hex digits>" must
// not put the key into the log, so every run of 16 or more hex digits is
// replaced; nothing else in the protocol is that long (IPv6 groups are 4).
std::string quoted(std::string_view text) {
  constexpr std::size_t max = 80;
  constexpr std::size_t secret_run = 16;
  std::string shown;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t run = 0;
    while (i + run < text.size() && is_hex_digit(text[i + run]))
      ++run;
    if (run >= secret_run)
      shown += "<hex redacted>";
    else
      shown.append(text.substr(i, run));
    i += run;
    if (run == 0) {
      const auto c = static_cast<unsigned char>(text[i++]);
      shown += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
    }
  }
  return "\"" + shown.substr(0, max) + (shown.size() > max ? "...\"" : "\"");
}

} // namespace

// -- request framing -------------------------------------------------------------

void uapi_request_reader::feed(std::string_view bytes) {
  buffer_.append(bytes.data(), bytes.size());
}

uapi_request_reader::status uapi_request_reader::next(uapi_request& out, uapi_error& err) {
  return take(out, err, false);
}

uapi_request_reader::status uapi_request_reader::finish(uapi_request& out, uapi_error& err) {
  return take(out, err, true);
}

uapi_request_reader::status uapi_request_reader::take(uapi_request& out, uapi_error& err,
                                                      bool at_eof) {
  auto reject = [&](uapi_errno code, std::string message) {
    err.code = code;
    err.message = std::move(message);
    return status::error;
  };
  std::string_view buf = buffer_;
  if (buf.empty())
    return status::need_more;

  // The operation line. Anything that cannot become "get=1\n" or "set=1\n"
  // is rejected at once rather than buffered up to the limit.
  // (wireguard-go drops such a connection without an answer; an errno line
  // costs nothing and tells a confused client what happened.)
  std::string_view head = buf.substr(0, get_header.size());
  bool is_get = get_header.substr(0, head.size()) == head;
  bool is_set = set_header.substr(0, head.size()) == head;
  if (!is_get && !is_set) {
    auto nl = buf.find('\n');
    return reject(uapi_errno::protocol,
                  "uapi: unknown operation " + quoted(buf.substr(0, nl)));
  }
  if (head.size() < get_header.size())
    return status::need_more; // a cut first line at EOF is no request

  if (is_get) {
    // "get=1\n" must be followed by the empty line and nothing else.
    if (buf.size() <= get_header.size())
      return status::need_more;
    if (buf[get_header.size()] != '\n')
      return reject(uapi_errno::invalid, "uapi get: trailing characters after get=1");
    out.op = uapi_request::kind::get;
    out.body.clear();
    buffer_.erase(0, get_header.size() + 1);
    scanned_ = 0;
    return status::request;
  }

  // set: lines up to the first empty one ("\r" alone counts as empty, as in
  // wireguard-go's line scanner).
  std::size_t pos = std::max(scanned_, set_header.size());
  for (;;) {
    auto nl = buf.find('\n', pos);
    if (nl == std::string_view::npos)
      break;
    std::string_view line = buf.substr(pos, nl - pos);
    if (line.empty() || line == "\r") {
      if (nl + 1 > max_request_bytes)
        break;
      out.op = uapi_request::kind::set;
      out.body.assign(buf.substr(set_header.size(), pos - set_header.size()));
      buffer_.erase(0, nl + 1);
      scanned_ = 0;
      return status::request;
    }
    pos = nl + 1;
  }
  scanned_ = pos;
  if (buf.size() > max_request_bytes)
    return reject(uapi_errno::io, "uapi set: request larger than "
                                      + std::to_string(max_request_bytes) + " bytes");
  if (!at_eof)
    return status::need_more;
  // EOF ends the set like a blank line would.
  out.op = uapi_request::kind::set;
  out.body.assign(buf.substr(set_header.size()));
  if (!out.body.empty() && out.body.back() != '\n')
    out.body += '\n';
  buffer_.clear();
  scanned_ = 0;
  return status::request;
}

// -- set ---------------------------------------------------------------------

uapi_set_parse parse_set_request(std::string_view body) {
  uapi_set_request req;
  uapi_peer_config* peer = nullptr;
  bool removed = false; // the current block said remove=true: later lines are checked, not kept
  line_walker lines(body);
  std::string_view line;
  while (lines.next(line)) {
    const unsigned n = lines.number();
    if (line.empty())
      break; // the end of the set, as on the socket
    std::string_view key, value;
    if (!split_line(line, key, value))
      return fail(uapi_errno::protocol, n, "not key=value: " + quoted(line));

    if (key == "public_key") {
      auto pk = parse_key(value);
      if (!pk)
        return fail(uapi_errno::invalid, n, "invalid public_key " + quoted(value));
      req.peers.emplace_back();
      peer = &req.peers.back();
      peer->public_key = *pk;
      removed = false;
      continue;
    }

    if (!peer) {
      if (key == "private_key") {
        // Never echo it: a near-miss is still most of a secret.
        auto sk = parse_key(value);
        if (!sk)
          return fail(uapi_errno::invalid, n, "invalid private_key (not 64 hex digits)");
        req.private_key = *sk;
      } else if (key == "listen_port") {
        auto port = parse_decimal(value, 0xffff);
        if (!port)
          return fail(uapi_errno::invalid, n, "invalid listen_port " + quoted(value));
        req.listen_port = static_cast<std::uint16_t>(*port);
      } else if (key == "fwmark") {
        auto mark = parse_decimal(value, 0xffffffffu);
        if (!mark)
          return fail(uapi_errno::invalid, n, "invalid fwmark " + quoted(value));
        req.fwmark = static_cast<std::uint32_t>(*mark);
      } else if (key == "replace_peers") {
        if (value != "true")
          return fail(uapi_errno::invalid, n, "invalid replace_peers value " + quoted(value));
        req.replace_peers = true;
      } else {
        return fail(uapi_errno::invalid, n, "invalid device key " + quoted(key));
      }
      continue;
    }

    if (key == "update_only") {
      if (value != "true")
        return fail(uapi_errno::invalid, n, "invalid update_only value " + quoted(value));
      if (!removed)
        peer->update_only = true;
    } else if (key == "remove") {
      if (value != "true")
        return fail(uapi_errno::invalid, n, "invalid remove value " + quoted(value));
      // Whatever the block said before no longer matters.
      uapi_key pk = peer->public_key;
      *peer = uapi_peer_config{};
      peer->public_key = pk;
      peer->remove = true;
      removed = true;
    } else if (key == "preshared_key") {
      auto psk = parse_key(value);
      if (!psk)
        return fail(uapi_errno::invalid, n, "invalid preshared_key (not 64 hex digits)");
      if (!removed)
        peer->preshared_key = *psk;
    } else if (key == "endpoint") {
      auto ep = parse_endpoint(value);
      if (!ep)
        return fail(uapi_errno::invalid, n, "invalid endpoint " + quoted(value));
      if (!removed)
        peer->endpoint = *ep;
    } else if (key == "persistent_keepalive_interval") {
      auto secs = parse_decimal(value, 0xffff);
      if (!secs)
        return fail(uapi_errno::invalid, n,
                    "invalid persistent_keepalive_interval " + quoted(value));
      if (!removed)
        peer->persistent_keepalive_interval = static_cast<std::uint16_t>(*secs);
    } else if (key == "replace_allowed_ips") {
      if (value != "true")
        return fail(uapi_errno::invalid, n, "invalid replace_allowed_ips value " + quoted(value));
      if (!removed) {
        peer->replace_allowed_ips = true;
        peer->allowed_ips.clear(); // earlier lines are replaced too
      }
    } else if (key == "allowed_ip") {
      // One prefix per line; the comma lists of the contract (DECISIONS.md
      // 15) are split by whoever writes the set.
      auto prefix = parse_prefix(value);
      if (!prefix)
        return fail(uapi_errno::invalid, n, "invalid allowed_ip " + quoted(value));
      if (!removed)
        peer->allowed_ips.push_back(*prefix);
    } else if (key == "protocol_version") {
      if (value != "1")
        return fail(uapi_errno::invalid, n, "invalid protocol_version " + quoted(value));
    } else {
      return fail(uapi_errno::invalid, n, "invalid peer key " + quoted(key));
    }
  }
  uapi_set_parse r;
  r.request = std::move(req);
  return r;
}

// -- get ---------------------------------------------------------------------

std::string format_get_response(const uapi_device_status& device) {
  std::string out;
  out.reserve(128 + device.peers.size() * 512);
  auto line = [&](std::string_view key, const std::string& value) {
    out.append(key.data(), key.size());
    out += '=';
    out += value;
    out += '\n';
  };
  auto key_line = [&](std::string_view key, const uapi_key& k) {
    out.append(key.data(), key.size());
    out += '=';
    append_key(out, k);
    out += '\n';
  };
  if (device.private_key != uapi_key{})
    key_line("private_key", device.private_key);
  if (device.listen_port != 0)
    line("listen_port", std::to_string(device.listen_port));
  if (device.fwmark != 0)
    line("fwmark", std::to_string(device.fwmark));
  for (const auto& peer : device.peers) {
    key_line("public_key", peer.public_key);
    key_line("preshared_key", peer.preshared_key); // always, zeros when none
    out += "protocol_version=1\n";
    if (peer.endpoint)
      line("endpoint", peer.endpoint->to_string());
    line("last_handshake_time_sec", std::to_string(peer.last_handshake_time_sec));
    line("last_handshake_time_nsec", std::to_string(peer.last_handshake_time_nsec));
    line("tx_bytes", std::to_string(peer.tx_bytes));
    line("rx_bytes", std::to_string(peer.rx_bytes));
    line("persistent_keepalive_interval", std::to_string(peer.persistent_keepalive_interval));
    for (const auto& prefix : peer.allowed_ips)
      line("allowed_ip", prefix.to_string());
  }
  out += "errno=0\n\n";
  return out;
}

std::string format_errno(uapi_errno code) {
  int value = static_cast<int>(code);
  return "errno=" + std::to_string(-value) + "\n\n";
}

result<uapi_device_status> parse_get_response(std::string_view text) {
  uapi_device_status device;
  uapi_peer_status* peer = nullptr;
  bool in_peers = false; // device keys only count before the first peer
  std::optional<std::int64_t> errno_value;
  line_walker lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (line.empty())
      break;
    std::string_view key, value;
    if (!split_line(line, key, value))
      continue;
    if (key == "errno") {
      errno_value = parse_int(value);
      if (!errno_value)
        return make_error("uapi get: unreadable errno line " + quoted(value));
      continue;
    }
    if (key == "public_key") {
      in_peers = true;
      peer = nullptr;
      if (auto pk = parse_key(value)) {
        device.peers.emplace_back();
        peer = &device.peers.back();
        peer->public_key = *pk;
      }
      continue;
    }
    if (!in_peers) {
      if (key == "private_key") {
        if (auto sk = parse_key(value))
          device.private_key = *sk;
      } else if (key == "listen_port") {
        if (auto v = parse_decimal(value, 0xffff))
          device.listen_port = static_cast<std::uint16_t>(*v);
      } else if (key == "fwmark") {
        if (auto v = parse_decimal(value, 0xffffffffu))
          device.fwmark = static_cast<std::uint32_t>(*v);
      }
      continue;
    }
    if (!peer)
      continue; // the lines of a peer we could not identify
    if (key == "preshared_key") {
      if (auto psk = parse_key(value))
        peer->preshared_key = *psk;
    } else if (key == "endpoint") {
      if (auto ep = parse_endpoint(value))
        peer->endpoint = *ep;
    } else if (key == "last_handshake_time_sec") {
      if (auto v = parse_int(value))
        peer->last_handshake_time_sec = *v;
    } else if (key == "last_handshake_time_nsec") {
      if (auto v = parse_int(value))
        peer->last_handshake_time_nsec = *v;
    } else if (key == "tx_bytes") {
      if (auto v = parse_decimal(value, ~std::uint64_t{0}))
        peer->tx_bytes = *v;
    } else if (key == "rx_bytes") {
      if (auto v = parse_decimal(value, ~std::uint64_t{0}))
        peer->rx_bytes = *v;
    } else if (key == "persistent_keepalive_interval") {
      if (auto v = parse_decimal(value, 0xffff))
        peer->persistent_keepalive_interval = static_cast<std::uint16_t>(*v);
    } else if (key == "allowed_ip") {
      if (auto prefix = parse_prefix(value))
        peer->allowed_ips.push_back(*prefix);
    }
  }
  if (!errno_value)
    return make_error("uapi get: answer has no errno line (cut short)");
  if (*errno_value != 0)
    return make_error("uapi get: errno=" + std::to_string(*errno_value));
  return device;
}

std::optional<int> parse_errno_response(std::string_view text) {
  line_walker lines(text);
  std::string_view line;
  while (lines.next(line)) {
    std::string_view key, value;
    if (!split_line(line, key, value) || key != "errno")
      continue;
    auto v = parse_int(value);
    if (!v || *v > INT32_MAX || *v < -INT32_MAX)
      return std::nullopt;
    return static_cast<int>(*v < 0 ? -*v : *v);
  }
  return std::nullopt;
}

} // namespace overlayd::net::wg
