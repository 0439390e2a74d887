// overlayd-aead-bench: how fast ChaCha20-Poly1305 seals and opens packets
// with libsodium, OpenSSL (as the data path calls it) and overlayd's own
// kernels, side by side per packet size, on one core. Run by hand (on a
// quiet machine, e.g. `chrt -f 10 taskset -c 1`); prints figures, asserts nothing.
//
//   overlayd-aead-bench [packets]      (default 300000 per size)
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "net/wireguard/chacha20.hpp"
#include "net/wireguard/chacha20_poly1305.hpp"
#include "net/wireguard/openssl_aead.hpp"
#include "net/wireguard/poly1305.hpp"
#include "net/wireguard/transport_crypto.hpp"

using namespace overlayd::net::wg;

namespace {

template <class Work>
double gigabytes_per_second(std::size_t bytes, unsigned packets, Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < packets; ++i)
    work(i);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return static_cast<double>(bytes) * packets / took.count() / 1e9;
}

const char* isa_name(chacha20_isa isa) {
  return isa == chacha20_isa::avx512 ? "AVX-512" : isa == chacha20_isa::avx2 ? "AVX2" : "none (libsodium)";
}

} // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0)
    return 1;
  const unsigned packets = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 300000;
  std::printf("overlayd kernels: ChaCha20 %s, Poly1305 %s; the data path uses %s\n",
              isa_name(best_chacha20_isa()),
              poly1305::simd_available() ? "AVX-512 IFMA (from 256 bytes)" : "libsodium",
              transport_aead_name());
  if (best_chacha20_isa() == chacha20_isa::none) {
    std::printf("no overlayd kernel runs on this CPU: nothing to compare\n");
    return 0;
  }
  std::printf("%8s %14s %14s %14s %14s %14s\n", "bytes", "libsodium", "openssl seal",
              "openssl open", "overlayd seal", "overlayd open");
  key32 key = generate_private_key();
  for (std::size_t size : {64u, 512u, 1420u, 8192u}) {
    std::vector<std::uint8_t> buf(size + aead_tag_size, 0x5a);
    std::uint8_t nonce[12] = {};
    const double sodium = gigabytes_per_second(size, packets, [&](unsigned) {
      unsigned long long tag_len = 0;
      crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf.data(), buf.data() + size, &tag_len,
                                                         buf.data(), size, nullptr, 0, nullptr,
                                                         nonce, key.data());
    });
    const double ossl_sealing = gigabytes_per_second(size, packets, [&](unsigned i) {
      std::uint8_t n[12] = {};
      std::memcpy(n + 4, &i, sizeof i);
      openssl_seal(key, n, buf.data(), size, buf.data() + size);
    });
    const double ossl_pair = gigabytes_per_second(size, packets, [&](unsigned i) {
      std::uint8_t n[12] = {};
      std::memcpy(n + 4, &i, sizeof i);
      openssl_seal(key, n, buf.data(), size, buf.data() + size);
      if (!openssl_open(key, n, buf.data(), size, buf.data() + size))
        std::abort();
    });
    const double ossl_opening = 1.0 / (1.0 / ossl_pair - 1.0 / ossl_sealing);
    const chacha20_isa isa = best_chacha20_isa();
    const double sealing = gigabytes_per_second(size, packets, [&](unsigned i) {
      std::uint8_t n[12] = {};
      std::memcpy(n + 4, &i, sizeof i);
      chacha20_poly1305_seal(isa, key, n, buf.data(), size, buf.data() + size);
    });
    // Each round seals a fresh packet to open, so opening alone is what
    // the pair takes minus the seal.
    const double pair = gigabytes_per_second(size, packets, [&](unsigned i) {
      std::uint8_t n[12] = {};
      std::memcpy(n + 4, &i, sizeof i);
      chacha20_poly1305_seal(isa, key, n, buf.data(), size, buf.data() + size);
      if (!chacha20_poly1305_open(isa, key, n, buf.data(), size, buf.data() + size))
        std::abort();
    });
    const double opening = 1.0 / (1.0 / pair - 1.0 / sealing);
    std::printf("%8zu %14.2f %14.2f %14.2f %14.2f %14.2f\n", size, sodium, ossl_sealing,
                ossl_opening, sealing, opening);
  }
}
