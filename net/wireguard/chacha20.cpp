#include "net/wireguard/chacha20.hpp"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define OVERLAYD_CHACHA20_SIMD 1
#endif

namespace overlayd::net::wg {

#if OVERLAYD_CHACHA20_SIMD
namespace {

// The initial state: constants, key, counter, nonce (RFC 8439 2.3).
void initial_state(const chacha20_input& in, std::uint32_t (&s)[16]) noexcept {
  s[0] = 0x61707865;
  s[1] = 0x3320646e;
  s[2] = 0x79622d32;
  s[3] = 0x6b206574;
  std::memcpy(s + 4, in.key, 32); // little-endian words, as x86 stores them
  s[12] = in.counter;
  std::memcpy(s + 13, in.nonce, 12);
}

// Each vector register holds one state word of every block in the batch
// ("word-sliced"): the rounds need no shuffles, and the batch is
// transposed to block order once, at the end.

// GCC 12's _mm512_rol_epi32 starts from _mm512_undefined_epi32(), which
// -Wuninitialized reports at every use (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"

#define OVERLAYD_AVX512 __attribute__((target("avx512f"), always_inline)) inline

OVERLAYD_AVX512 void quarter_round(__m512i& a, __m512i& b, __m512i& c, __m512i& d) {
  a = _mm512_add_epi32(a, b);
  d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16);
  c = _mm512_add_epi32(c, d);
  b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12);
  a = _mm512_add_epi32(a, b);
  d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8);
  c = _mm512_add_epi32(c, d);
  b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7);
}

// 4x4 transpose of 32-bit words inside each 128-bit chunk of four registers.
OVERLAYD_AVX512 void transpose_within_chunks(__m512i& a, __m512i& b, __m512i& c, __m512i& d) {
  const __m512i t0 = _mm512_unpacklo_epi32(a, b);
  const __m512i t1 = _mm512_unpackhi_epi32(a, b);
  const __m512i t2 = _mm512_unpacklo_epi32(c, d);
  const __m512i t3 = _mm512_unpackhi_epi32(c, d);
  a = _mm512_unpacklo_epi64(t0, t2);
  b = _mm512_unpackhi_epi64(t0, t2);
  c = _mm512_unpacklo_epi64(t1, t3);
  d = _mm512_unpackhi_epi64(t1, t3);
}

// 4x4 transpose of the 128-bit chunks of four registers.
OVERLAYD_AVX512 void transpose_chunks(__m512i& a, __m512i& b, __m512i& c, __m512i& d) {
  const __m512i u0 = _mm512_shuffle_i32x4(a, b, 0x44);
  const __m512i u1 = _mm512_shuffle_i32x4(a, b, 0xee);
  const __m512i u2 = _mm512_shuffle_i32x4(c, d, 0x44);
  const __m512i u3 = _mm512_shuffle_i32x4(c, d, 0xee);
  a = _mm512_shuffle_i32x4(u0, u2, 0x88);
  b = _mm512_shuffle_i32x4(u0, u2, 0xdd);
  c = _mm512_shuffle_i32x4(u1, u3, 0x88);
  d = _mm512_shuffle_i32x4(u1, u3, 0xdd);
}

__attribute__((target("avx512f"))) void keystream_avx512(const std::uint32_t (&s)[16],
                                                         std::uint8_t* out) noexcept {
  __m512i x[16];
  for (int j = 0; j < 16; ++j)
    x[j] = _mm512_set1_epi32(static_cast<int>(s[j]));
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  x[12] = _mm512_add_epi32(x[12], lanes);
  const __m512i counters = x[12];
  for (int round = 0; round < 10; ++round) {
    quarter_round(x[0], x[4], x[8], x[12]);
    quarter_round(x[1], x[5], x[9], x[13]);
    quarter_round(x[2], x[6], x[10], x[14]);
    quarter_round(x[3], x[7], x[11], x[15]);
    quarter_round(x[0], x[5], x[10], x[15]);
    quarter_round(x[1], x[6], x[11], x[12]);
    quarter_round(x[2], x[7], x[8], x[13]);
    quarter_round(x[3], x[4], x[9], x[14]);
  }
  for (int j = 0; j < 16; ++j)
    x[j] = _mm512_add_epi32(x[j], j == 12 ? counters : _mm512_set1_epi32(static_cast<int>(s[j])));
  // x[4g + r], chunk c, now holds words 4g..4g+3 of block 4c + r ...
  for (int g = 0; g < 4; ++g)
    transpose_within_chunks(x[4 * g], x[4 * g + 1], x[4 * g + 2], x[4 * g + 3]);
  // ... and after this x[r + 4g'] holds all 16 words of block 4g' + r.
  for (int r = 0; r < 4; ++r)
    transpose_chunks(x[r], x[r + 4], x[r + 8], x[r + 12]);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      _mm512_storeu_si512(out + 64 * (4 * c + r), x[r + 4 * c]);
}

#pragma GCC diagnostic pop

#define OVERLAYD_AVX2 __attribute__((target("avx2"), always_inline)) inline

OVERLAYD_AVX2 __m256i rotate_left(__m256i v, int bits) {
  return _mm256_or_si256(_mm256_slli_epi32(v, bits), _mm256_srli_epi32(v, 32 - bits));
}

OVERLAYD_AVX2 void quarter_round(__m256i& a, __m256i& b, __m256i& c, __m256i& d, __m256i rot16,
                                 __m256i rot8) {
  a = _mm256_add_epi32(a, b);
  d = _mm256_shuffle_epi8(_mm256_xor_si256(d, a), rot16);
  c = _mm256_add_epi32(c, d);
  b = rotate_left(_mm256_xor_si256(b, c), 12);
  a = _mm256_add_epi32(a, b);
  d = _mm256_shuffle_epi8(_mm256_xor_si256(d, a), rot8);
  c = _mm256_add_epi32(c, d);
  b = rotate_left(_mm256_xor_si256(b, c), 7);
}

OVERLAYD_AVX2 void transpose_within_chunks(__m256i& a, __m256i& b, __m256i& c, __m256i& d) {
  const __m256i t0 = _mm256_unpacklo_epi32(a, b);
  const __m256i t1 = _mm256_unpackhi_epi32(a, b);
  const __m256i t2 = _mm256_unpacklo_epi32(c, d);
  const __m256i t3 = _mm256_unpackhi_epi32(c, d);
  a = _mm256_unpacklo_epi64(t0, t2);
  b = _mm256_unpackhi_epi64(t0, t2);
  c = _mm256_unpacklo_epi64(t1, t3);
  d = _mm256_unpackhi_epi64(t1, t3);
}

__attribute__((target("avx2"))) void keystream_avx2(const std::uint32_t (&s)[16],
                                                    std::uint8_t* out) noexcept {
  // Byte shuffles rotating each 32-bit word left by 16 and by 8.
  const __m256i rot16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                                         2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  const __m256i rot8 = _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
                                        3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
  __m256i x[16];
  for (int j = 0; j < 16; ++j)
    x[j] = _mm256_set1_epi32(static_cast<int>(s[j]));
  x[12] = _mm256_add_epi32(x[12], _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i counters = x[12];
  for (int round = 0; round < 10; ++round) {
    quarter_round(x[0], x[4], x[8], x[12], rot16, rot8);
    quarter_round(x[1], x[5], x[9], x[13], rot16, rot8);
    quarter_round(x[2], x[6], x[10], x[14], rot16, rot8);
    quarter_round(x[3], x[7], x[11], x[15], rot16, rot8);
    quarter_round(x[0], x[5], x[10], x[15], rot16, rot8);
    quarter_round(x[1], x[6], x[11], x[12], rot16, rot8);
    quarter_round(x[2], x[7], x[8], x[13], rot16, rot8);
    quarter_round(x[3], x[4], x[9], x[14], rot16, rot8);
  }
  for (int j = 0; j < 16; ++j)
    x[j] = _mm256_add_epi32(x[j], j == 12 ? counters : _mm256_set1_epi32(static_cast<int>(s[j])));
  for (int g = 0; g < 4; ++g)
    transpose_within_chunks(x[4 * g], x[4 * g + 1], x[4 * g + 2], x[4 * g + 3]);
  // x[4g + r], chunk c, holds words 4g..4g+3 of block 4c + r: a block is
  // chunk c of x[r], x[4 + r], x[8 + r], x[12 + r].
  for (int r = 0; r < 4; ++r) {
    auto* low = reinterpret_cast<__m256i*>(out + 64 * r);        // chunk 0: block r
    auto* high = reinterpret_cast<__m256i*>(out + 64 * (4 + r)); // chunk 1: block 4 + r
    _mm256_storeu_si256(low, _mm256_permute2x128_si256(x[r], x[4 + r], 0x20));
    _mm256_storeu_si256(low + 1, _mm256_permute2x128_si256(x[8 + r], x[12 + r], 0x20));
    _mm256_storeu_si256(high, _mm256_permute2x128_si256(x[r], x[4 + r], 0x31));
    _mm256_storeu_si256(high + 1, _mm256_permute2x128_si256(x[8 + r], x[12 + r], 0x31));
  }
}

#undef OVERLAYD_AVX512
#undef OVERLAYD_AVX2

} // namespace
#endif

chacha20_isa best_chacha20_isa() noexcept {
#if OVERLAYD_CHACHA20_SIMD
  static const chacha20_isa best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
      return chacha20_isa::avx512;
    if (__builtin_cpu_supports("avx2"))
      return chacha20_isa::avx2;
    return chacha20_isa::none;
  }();
  return best;
#else
  return chacha20_isa::none;
#endif
}

void chacha20_keystream([[maybe_unused]] chacha20_isa isa, [[maybe_unused]] const chacha20_input& in,
                        [[maybe_unused]] std::uint8_t* out) noexcept {
#if OVERLAYD_CHACHA20_SIMD
  std::uint32_t s[16];
  initial_state(in, s);
  if (isa == chacha20_isa::avx512)
    keystream_avx512(s, out);
  else if (isa == chacha20_isa::avx2)
    keystream_avx2(s, out);
#endif
}

} // namespace overlayd::net::wg
