// overlayd-aead-bench: how fast the transport data path seals and opens,
// against libsodium's ChaCha20-Poly1305 on the same machine, per packet
// size, on one core. Run by hand; prints figures, asserts nothing.
//
//   overlayd-aead-bench [packets]      (default 300000 per size)
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "net/wireguard/chacha20.hpp"
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
  std::printf("ChaCha20 kernel: %s; Poly1305: %s\n", isa_name(best_chacha20_isa()),
              poly1305::simd_available() ? "AVX-512 IFMA (from 256 bytes)" : "libsodium");
  std::printf("%8s %18s %18s %18s\n", "bytes", "libsodium GB/s", "overlayd seal", "overlayd open");
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
    const double sealing = gigabytes_per_second(size, packets, [&](unsigned i) {
      seal_in_place(key, i, buf.data(), size);
    });
    // Each round seals a fresh packet to open (half the time), so opening
    // alone is twice what the pair achieves.
    std::size_t plain = 0;
    const double pair = gigabytes_per_second(size, packets, [&](unsigned i) {
      seal_in_place(key, i, buf.data(), size);
      if (!open_in_place(key, i, buf.data(), size + aead_tag_size, plain))
        std::abort();
    });
    const double opening = 1.0 / (1.0 / pair - 1.0 / sealing);
    std::printf("%8zu %18.2f %18.2f %18.2f\n", size, sodium, sealing, opening);
  }
}
