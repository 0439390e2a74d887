#include "net/wireguard/handshake.hpp"

#include <cstring>
#include <utility>

#include <sodium.h>

namespace overlayd::net::wg {

namespace {

// Zeroes the listed secrets when a step returns, whichever way it returns.
template <std::size_t N>
class scrub {
public:
  template <class... Arrays>
  explicit scrub(Arrays&... arrays) noexcept : items_{{{arrays.data(), arrays.size()}...}} {}
  ~scrub() {
    for (auto& item : items_)
      sodium_memzero(item.first, item.second);
  }
  scrub(const scrub&) = delete;
  scrub& operator=(const scrub&) = delete;

private:
  std::array<std::pair<std::uint8_t*, std::size_t>, N> items_;
};
template <class... Arrays>
scrub(Arrays&...) -> scrub<sizeof...(Arrays)>;

const std::uint8_t* bytes(const char* s) noexcept {
  return reinterpret_cast<const std::uint8_t*>(s);
}

// Noise MixHash: H = HASH(H || data).
void mix_hash(digest32& h, const std::uint8_t* data, std::size_t len) noexcept {
  h = hash(h.data(), h.size(), data, len);
}

// Noise MixKey as WireGuard writes it: C = KDF1(C, data).
void mix_key(digest32& ck, const std::uint8_t* data, std::size_t len) noexcept {
  kdf1(ck, ck, data, len);
}

// AEAD(key, 0, plain, ad): every handshake AEAD key is used exactly once,
// so the counter (nonce) is always zero.
void aead_seal(std::uint8_t* out, const key32& key, const std::uint8_t* plain, std::size_t len,
               const digest32& ad) noexcept {
  const std::uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {};
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out, &written, plain, len, ad.data(), ad.size(),
                                            nullptr, nonce, key.data());
}

// `len` counts the tag; writes len - 16 bytes of plaintext to `out`.
bool aead_open(std::uint8_t* out, const key32& key, const std::uint8_t* cipher,
               std::size_t len, const digest32& ad) noexcept {
  const std::uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {};
  unsigned long long written = 0;
  return crypto_aead_chacha20poly1305_ietf_decrypt(out, &written, nullptr, cipher, len,
                                                   ad.data(), ad.size(), nonce, key.data())
         == 0;
}

bool is_type(const std::uint8_t* msg, std::size_t len, message_type type) noexcept {
  return read_message_type(msg, len) == static_cast<std::uint32_t>(type);
}

} // namespace

// -- constants --------------------------------------------------------------

const digest32& initial_chaining_key() noexcept {
  static const digest32 c0 = hash(bytes(noise_construction), sizeof noise_construction - 1);
  return c0;
}

const digest32& initial_hash() noexcept {
  static const digest32 h0 = hash(initial_chaining_key().data(), initial_chaining_key().size(),
                                  bytes(wg_identifier), sizeof wg_identifier - 1);
  return h0;
}

// -- TAI64N -----------------------------------------------------------------

tai64n make_tai64n(std::chrono::system_clock::time_point wall) noexcept {
  using namespace std::chrono;
  constexpr std::uint64_t tai64_base = 0x400000000000000aULL;
  constexpr std::uint32_t whitener_mask = 0x1000000u - 1;
  auto since = duration_cast<nanoseconds>(wall.time_since_epoch());
  if (since.count() < 0)
    since = nanoseconds::zero();
  auto secs = duration_cast<seconds>(since);
  auto nanos = static_cast<std::uint32_t>((since - secs).count()) & ~whitener_mask;
  std::uint64_t s = tai64_base + static_cast<std::uint64_t>(secs.count());
  tai64n out;
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<std::uint8_t>(s >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    out[8 + i] = static_cast<std::uint8_t>(nanos >> (24 - 8 * i));
  return out;
}

bool tai64n_after(const tai64n& a, const tai64n& b) noexcept {
  return std::memcmp(a.data(), b.data(), a.size()) > 0;
}

const char* to_string(handshake_error e) noexcept {
  switch (e) {
  case handshake_error::none: return "none";
  case handshake_error::wrong_size: return "wrong message size";
  case handshake_error::wrong_type: return "wrong message type";
  case handshake_error::bad_mac1: return "bad mac1";
  case handshake_error::bad_public_key: return "bad public key";
  case handshake_error::decrypt_failed: return "decryption failed";
  case handshake_error::peer_mismatch: return "peer mismatch";
  case handshake_error::replayed_timestamp: return "replayed timestamp";
  case handshake_error::flood: return "initiation flood";
  case handshake_error::wrong_state: return "no handshake in the needed state";
  case handshake_error::wrong_index: return "wrong receiver index";
  }
  return "unknown";
}

// -- identities and peers ---------------------------------------------------

static_identity static_identity::from_private_key(const key32& private_key) noexcept {
  static_identity id;
  id.private_key = private_key;
  clamp_private_key(id.private_key); // what X25519 uses anyway
  id.public_key = public_key_from_private(id.private_key);
  id.mac1_key = mac1_key_for(id.public_key);
  id.cookie_key = cookie_key_for(id.public_key);
  id.responder_hash = hash(initial_hash().data(), initial_hash().size(), id.public_key.data(),
                           id.public_key.size());
  return id;
}

peer_handshake_state::peer_handshake_state(const static_identity& local,
                                           const key32& remote, const key32& psk) noexcept
    : remote_static(remote), preshared_key(psk), cookies(remote) {
  if (!x25519(static_static, local.private_key, remote_static))
    static_static.fill(0);
}

peer_handshake_state::~peer_handshake_state() {
  clear_handshake();
  sodium_memzero(static_static.data(), static_static.size());
  sodium_memzero(preshared_key.data(), preshared_key.size());
}

void peer_handshake_state::clear_handshake() noexcept {
  sodium_memzero(hash.data(), hash.size());
  sodium_memzero(chaining_key.data(), chaining_key.size());
  sodium_memzero(local_ephemeral.data(), local_ephemeral.size());
  sodium_memzero(remote_ephemeral.data(), remote_ephemeral.size());
  local_index = 0;
  remote_index = 0;
  phase = handshake_phase::zeroed;
}

pending_initiation::~pending_initiation() {
  sodium_memzero(hash.data(), hash.size());
  sodium_memzero(chaining_key.data(), chaining_key.size());
}

// -- initiation -------------------------------------------------------------

handshake_error create_initiation(const static_identity& local, peer_handshake_state& peer,
                                  std::uint32_t local_index, const tai64n& timestamp,
                                  steady_time now, std::uint8_t* out) noexcept {
  if (key_is_zero(peer.static_static))
    return handshake_error::bad_public_key;
  digest32 ck = initial_chaining_key();
  digest32 h = hash(initial_hash().data(), initial_hash().size(), peer.remote_static.data(),
                    peer.remote_static.size());
  key32 ephemeral = generate_private_key();
  key32 ss{};
  key32 key{};
  scrub wipe(ck, h, ephemeral, ss, key);

  std::memset(out, 0, initiation::size);
  write_message_type(out, message_type::handshake_initiation);
  store_le32(out + initiation::sender, local_index);
  key32 ephemeral_public = public_key_from_private(ephemeral);
  std::memcpy(out + initiation::ephemeral, ephemeral_public.data(), ephemeral_public.size());
  mix_hash(h, ephemeral_public.data(), ephemeral_public.size());
  mix_key(ck, ephemeral_public.data(), ephemeral_public.size());

  // es
  if (!x25519(ss, ephemeral, peer.remote_static))
    return handshake_error::bad_public_key;
  kdf2(ck, key, ck, ss.data(), ss.size());
  aead_seal(out + initiation::encrypted_static, key, local.public_key.data(),
            local.public_key.size(), h);
  mix_hash(h, out + initiation::encrypted_static, 32 + aead_tag_size);

  // ss
  kdf2(ck, key, ck, peer.static_static.data(), peer.static_static.size());
  aead_seal(out + initiation::encrypted_timestamp, key, timestamp.data(), timestamp.size(), h);
  mix_hash(h, out + initiation::encrypted_timestamp, tai64n_size + aead_tag_size);

  peer.cookies.add_macs(out, initiation::size, now);

  peer.clear_handshake();
  peer.hash = h;
  peer.chaining_key = ck;
  peer.local_ephemeral = ephemeral;
  peer.local_index = local_index;
  peer.phase = handshake_phase::initiation_created;
  return handshake_error::none;
}

handshake_error consume_initiation(const static_identity& local, const std::uint8_t* msg,
                                   std::size_t len, pending_initiation& out) noexcept {
  if (len != initiation::size)
    return handshake_error::wrong_size;
  if (!is_type(msg, len, message_type::handshake_initiation))
    return handshake_error::wrong_type;
  if (!verify_mac1(local.mac1_key, msg, len))
    return handshake_error::bad_mac1;

  digest32 ck = initial_chaining_key();
  digest32 h = local.responder_hash;
  key32 ephemeral_public;
  key32 ss{};
  key32 key{};
  key32 remote_static{};
  scrub wipe(ck, h, ss, key);

  std::memcpy(ephemeral_public.data(), msg + initiation::ephemeral, ephemeral_public.size());
  mix_hash(h, ephemeral_public.data(), ephemeral_public.size());
  mix_key(ck, ephemeral_public.data(), ephemeral_public.size());

  // es
  if (!x25519(ss, local.private_key, ephemeral_public))
    return handshake_error::bad_public_key;
  kdf2(ck, key, ck, ss.data(), ss.size());
  if (!aead_open(remote_static.data(), key, msg + initiation::encrypted_static,
                 32 + aead_tag_size, h))
    return handshake_error::decrypt_failed;
  mix_hash(h, msg + initiation::encrypted_static, 32 + aead_tag_size);

  out.remote_static = remote_static;
  out.remote_index = load_le32(msg + initiation::sender);
  out.hash = h;
  out.chaining_key = ck;
  out.remote_ephemeral = ephemeral_public;
  std::memcpy(out.encrypted_timestamp.data(), msg + initiation::encrypted_timestamp,
              out.encrypted_timestamp.size());
  return handshake_error::none;
}

handshake_error complete_initiation(peer_handshake_state& peer,
                                    const pending_initiation& pending,
                                    steady_time now) noexcept {
  if (!keys_equal(peer.remote_static, pending.remote_static))
    return handshake_error::peer_mismatch;
  if (key_is_zero(peer.static_static))
    return handshake_error::bad_public_key;

  digest32 ck = pending.chaining_key;
  digest32 h = pending.hash;
  key32 key{};
  tai64n timestamp{};
  scrub wipe(ck, h, key);

  // ss
  kdf2(ck, key, ck, peer.static_static.data(), peer.static_static.size());
  if (!aead_open(timestamp.data(), key, pending.encrypted_timestamp.data(),
                 pending.encrypted_timestamp.size(), h))
    return handshake_error::decrypt_failed;
  mix_hash(h, pending.encrypted_timestamp.data(), pending.encrypted_timestamp.size());

  // Only now is the message known to come from the peer, so only now may
  // it move the replay and flood state.
  if (!tai64n_after(timestamp, peer.last_timestamp))
    return handshake_error::replayed_timestamp;
  if (peer.has_consumed_initiation
      && now - peer.last_initiation_consumed <= initiation_flood_interval)
    return handshake_error::flood;

  peer.last_timestamp = timestamp;
  peer.last_initiation_consumed = now;
  peer.has_consumed_initiation = true;
  peer.clear_handshake();
  peer.hash = h;
  peer.chaining_key = ck;
  peer.remote_ephemeral = pending.remote_ephemeral;
  peer.remote_index = pending.remote_index;
  peer.phase = handshake_phase::initiation_consumed;
  return handshake_error::none;
}

// -- response ---------------------------------------------------------------

namespace {

// KDF2(C, empty) = (T1, T2): the initiator sends with T1, the responder with T2.
void derive_keys(const digest32& ck, bool initiator, std::uint32_t local_index,
                 std::uint32_t remote_index, transport_keys& keys) noexcept {
  digest32 t1, t2;
  kdf2(t1, t2, ck, nullptr, 0);
  keys.send = initiator ? t1 : t2;
  keys.receive = initiator ? t2 : t1;
  keys.local_index = local_index;
  keys.remote_index = remote_index;
  keys.is_initiator = initiator;
  sodium_memzero(t1.data(), t1.size());
  sodium_memzero(t2.data(), t2.size());
}

} // namespace

handshake_error create_response(peer_handshake_state& peer, std::uint32_t local_index,
                                steady_time now, std::uint8_t* out,
                                transport_keys& keys) noexcept {
  if (peer.phase != handshake_phase::initiation_consumed)
    return handshake_error::wrong_state;
  digest32 ck = peer.chaining_key;
  digest32 h = peer.hash;
  key32 ephemeral = generate_private_key();
  key32 ss{};
  digest32 tau{};
  key32 key{};
  scrub wipe(ck, h, ephemeral, ss, tau, key);

  std::memset(out, 0, response::size);
  write_message_type(out, message_type::handshake_response);
  store_le32(out + response::sender, local_index);
  store_le32(out + response::receiver, peer.remote_index);
  key32 ephemeral_public = public_key_from_private(ephemeral);
  std::memcpy(out + response::ephemeral, ephemeral_public.data(), ephemeral_public.size());
  mix_hash(h, ephemeral_public.data(), ephemeral_public.size());
  mix_key(ck, ephemeral_public.data(), ephemeral_public.size());

  // ee, se
  if (!x25519(ss, ephemeral, peer.remote_ephemeral))
    return handshake_error::bad_public_key;
  mix_key(ck, ss.data(), ss.size());
  if (!x25519(ss, ephemeral, peer.remote_static))
    return handshake_error::bad_public_key;
  mix_key(ck, ss.data(), ss.size());

  // psk
  kdf3(ck, tau, key, ck, peer.preshared_key.data(), peer.preshared_key.size());
  mix_hash(h, tau.data(), tau.size());
  aead_seal(out + response::encrypted_nothing, key, nullptr, 0, h);
  mix_hash(h, out + response::encrypted_nothing, aead_tag_size);

  peer.cookies.add_macs(out, response::size, now);

  derive_keys(ck, false, local_index, peer.remote_index, keys);
  peer.clear_handshake();
  return handshake_error::none;
}

handshake_error consume_response(const static_identity& local, peer_handshake_state& peer,
                                 const std::uint8_t* msg, std::size_t len,
                                 transport_keys& keys) noexcept {
  if (len != response::size)
    return handshake_error::wrong_size;
  if (!is_type(msg, len, message_type::handshake_response))
    return handshake_error::wrong_type;
  if (!verify_mac1(local.mac1_key, msg, len))
    return handshake_error::bad_mac1;
  if (peer.phase != handshake_phase::initiation_created)
    return handshake_error::wrong_state;
  if (load_le32(msg + response::receiver) != peer.local_index)
    return handshake_error::wrong_index;

  digest32 ck = peer.chaining_key;
  digest32 h = peer.hash;
  key32 ephemeral_public;
  key32 ss{};
  digest32 tau{};
  key32 key{};
  scrub wipe(ck, h, ss, tau, key);

  std::memcpy(ephemeral_public.data(), msg + response::ephemeral, ephemeral_public.size());
  mix_hash(h, ephemeral_public.data(), ephemeral_public.size());
  mix_key(ck, ephemeral_public.data(), ephemeral_public.size());

  // ee, se
  if (!x25519(ss, peer.local_ephemeral, ephemeral_public))
    return handshake_error::bad_public_key;
  mix_key(ck, ss.data(), ss.size());
  if (!x25519(ss, local.private_key, ephemeral_public))
    return handshake_error::bad_public_key;
  mix_key(ck, ss.data(), ss.size());

  // psk
  kdf3(ck, tau, key, ck, peer.preshared_key.data(), peer.preshared_key.size());
  mix_hash(h, tau.data(), tau.size());
  std::uint8_t nothing[1];
  if (!aead_open(nothing, key, msg + response::encrypted_nothing, aead_tag_size, h))
    return handshake_error::decrypt_failed;
  mix_hash(h, msg + response::encrypted_nothing, aead_tag_size);

  derive_keys(ck, true, peer.local_index, load_le32(msg + response::sender), keys);
  peer.clear_handshake();
  return handshake_error::none;
}

} // namespace overlayd::net::wg
