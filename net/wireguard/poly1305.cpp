#include "net/wireguard/poly1305.hpp"

#include <sodium.h>

#include <cstring>

#include "net/wireguard/messages.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#define OVERLAYD_POLY1305_SIMD 1
#endif

namespace overlayd::net::wg {

namespace {

constexpr std::uint64_t mask44 = (std::uint64_t{1} << 44) - 1;
constexpr std::uint64_t mask42 = (std::uint64_t{1} << 42) - 1;
constexpr std::uint64_t high_bit = std::uint64_t{1} << 40; // 2^128 in the top limb

// Carries limb 0 into 1, 1 into 2, 2 around into 0 (2^130 = 5), and 0 into
// 1 once more: every limb back near its width, the value unchanged mod p.
void propagate_carries(std::uint64_t (&h)[3]) noexcept {
  std::uint64_t c = h[0] >> 44;
  h[0] &= mask44;
  h[1] += c;
  c = h[1] >> 44;
  h[1] &= mask44;
  h[2] += c;
  c = h[2] >> 42;
  h[2] &= mask42;
  h[0] += c * 5;
  c = h[0] >> 44;
  h[0] &= mask44;
  h[1] += c;
}

#if OVERLAYD_POLY1305_SIMD

// GCC 12's AVX-512 shift intrinsics trip -Wuninitialized (see chacha20.cpp).
// -Wmaybe-uninitialized is GCC's alone: clang (the fuzz build) would reject
// the unknown group under -Werror.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define OVERLAYD_IFMA __attribute__((target("avx512f,avx512ifma"), always_inline)) inline

// Eight lanes of limbs.
struct lanes {
  __m512i l[3];
};

// Eight multipliers with their wrap-around multiples (20 * limbs 1 and 2).
struct lane_multiplier {
  __m512i r[3];
  __m512i s1, s2;
};

OVERLAYD_IFMA lane_multiplier multiplier_of(const lanes& v) {
  // 20 x = 16 x + 4 x (a 64-bit multiply would need AVX-512 DQ).
  lane_multiplier m{{v.l[0], v.l[1], v.l[2]},
                    _mm512_add_epi64(_mm512_slli_epi64(v.l[1], 4), _mm512_slli_epi64(v.l[1], 2)),
                    _mm512_add_epi64(_mm512_slli_epi64(v.l[2], 4), _mm512_slli_epi64(v.l[2], 2))};
  return m;
}

// h * m per lane, partly reduced, as multiply() does. IFMA multiplies 52-bit
// numbers into a low and a high 52-bit half; a high half at 2^52 is 2^8
// times the next 44-bit limb's unit (2^10 past the 42-bit top limb).
OVERLAYD_IFMA lanes multiply(const lanes& h, const lane_multiplier& m) {
  const __m512i zero = _mm512_setzero_si512();
  __m512i lo0 = _mm512_madd52lo_epu64(zero, h.l[0], m.r[0]);
  __m512i hi0 = _mm512_madd52hi_epu64(zero, h.l[0], m.r[0]);
  lo0 = _mm512_madd52lo_epu64(lo0, h.l[1], m.s2);
  hi0 = _mm512_madd52hi_epu64(hi0, h.l[1], m.s2);
  lo0 = _mm512_madd52lo_epu64(lo0, h.l[2], m.s1);
  hi0 = _mm512_madd52hi_epu64(hi0, h.l[2], m.s1);
  __m512i lo1 = _mm512_madd52lo_epu64(zero, h.l[0], m.r[1]);
  __m512i hi1 = _mm512_madd52hi_epu64(zero, h.l[0], m.r[1]);
  lo1 = _mm512_madd52lo_epu64(lo1, h.l[1], m.r[0]);
  hi1 = _mm512_madd52hi_epu64(hi1, h.l[1], m.r[0]);
  lo1 = _mm512_madd52lo_epu64(lo1, h.l[2], m.s2);
  hi1 = _mm512_madd52hi_epu64(hi1, h.l[2], m.s2);
  __m512i lo2 = _mm512_madd52lo_epu64(zero, h.l[0], m.r[2]);
  __m512i hi2 = _mm512_madd52hi_epu64(zero, h.l[0], m.r[2]);
  lo2 = _mm512_madd52lo_epu64(lo2, h.l[1], m.r[1]);
  hi2 = _mm512_madd52hi_epu64(hi2, h.l[1], m.r[1]);
  lo2 = _mm512_madd52lo_epu64(lo2, h.l[2], m.r[0]);
  hi2 = _mm512_madd52hi_epu64(hi2, h.l[2], m.r[0]);

  const __m512i m44 = _mm512_set1_epi64(static_cast<long long>(mask44));
  const __m512i m42 = _mm512_set1_epi64(static_cast<long long>(mask42));
  lanes out;
  __m512i carry = _mm512_add_epi64(_mm512_srli_epi64(lo0, 44), _mm512_slli_epi64(hi0, 8));
  out.l[0] = _mm512_and_si512(lo0, m44);
  lo1 = _mm512_add_epi64(lo1, carry);
  carry = _mm512_add_epi64(_mm512_srli_epi64(lo1, 44), _mm512_slli_epi64(hi1, 8));
  out.l[1] = _mm512_and_si512(lo1, m44);
  lo2 = _mm512_add_epi64(lo2, carry);
  carry = _mm512_add_epi64(_mm512_srli_epi64(lo2, 42), _mm512_slli_epi64(hi2, 10));
  out.l[2] = _mm512_and_si512(lo2, m42);
  // carry * 5 = carry * 4 + carry
  out.l[0] = _mm512_add_epi64(out.l[0], _mm512_add_epi64(carry, _mm512_slli_epi64(carry, 2)));
  carry = _mm512_srli_epi64(out.l[0], 44);
  out.l[0] = _mm512_and_si512(out.l[0], m44);
  out.l[1] = _mm512_add_epi64(out.l[1], carry);
  return out;
}

// The lanes of a group hold blocks 0, 4, 1, 5, 2, 6, 3, 7: the order
// unpacking two 4-block loads gives.
constexpr long long block_of_lane[8] = {0, 4, 1, 5, 2, 6, 3, 7};

// The lanes holding one of the first `blocks` blocks of a group.
constexpr __mmask8 lanes_with_blocks(std::size_t blocks) {
  __mmask8 mask = 0;
  for (int lane = 0; lane < 8; ++lane)
    if (static_cast<std::size_t>(block_of_lane[lane]) < blocks)
      mask = static_cast<__mmask8>(mask | (1u << lane));
  return mask;
}

// Up to eight blocks as limbs; lanes past `blocks` stay zero (a masked load
// reads nothing there, not even past the end of the input).
OVERLAYD_IFMA lanes load_group(const std::uint8_t* p, std::size_t blocks = 8) {
  const std::size_t words = 2 * blocks;
  const auto first = static_cast<__mmask8>(words >= 8 ? 0xff : (1u << words) - 1);
  const auto second = static_cast<__mmask8>(words <= 8 ? 0 : (1u << (words - 8)) - 1);
  const __m512i a = _mm512_maskz_loadu_epi64(first, p);
  const __m512i b = _mm512_maskz_loadu_epi64(second, p + 64);
  const __m512i low = _mm512_unpacklo_epi64(a, b);
  const __m512i high = _mm512_unpackhi_epi64(a, b);
  const __m512i m44 = _mm512_set1_epi64(static_cast<long long>(mask44));
  const __m512i top = _mm512_srli_epi64(high, 24);
  lanes m;
  m.l[0] = _mm512_and_si512(low, m44);
  m.l[1] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(low, 44), _mm512_slli_epi64(high, 20)), m44);
  m.l[2] = _mm512_mask_or_epi64(top, lanes_with_blocks(blocks), top,
                                _mm512_set1_epi64(static_cast<long long>(high_bit)));
  return m;
}

// Lane-wise a where `mask` is clear, b where it is set.
OVERLAYD_IFMA lanes blend(__mmask8 mask, const lanes& a, const lanes& b) {
  return lanes{{_mm512_mask_blend_epi64(mask, a.l[0], b.l[0]),
                _mm512_mask_blend_epi64(mask, a.l[1], b.l[1]),
                _mm512_mask_blend_epi64(mask, a.l[2], b.l[2])}};
}

OVERLAYD_IFMA lanes permute(const lanes& v, __m512i order) {
  return lanes{{_mm512_permutexvar_epi64(order, v.l[0]), _mm512_permutexvar_epi64(order, v.l[1]),
                _mm512_permutexvar_epi64(order, v.l[2])}};
}

// r^1 .. r^8 in lanes 0 .. 7, in three rounds of lane-wise multiplies
// (seven scalar ones in a row took as long as the lanes need for a whole
// 1420-byte packet).
__attribute__((target("avx512f,avx512ifma"))) void compute_powers(
  const std::uint64_t (&r)[3], std::uint64_t (&powers)[3][8]) noexcept {
  const lanes one{{_mm512_set1_epi64(1), _mm512_setzero_si512(), _mm512_setzero_si512()}};
  lanes x;
  for (int k = 0; k < 3; ++k)
    x.l[k] = _mm512_set1_epi64(static_cast<long long>(r[k]));
  const lanes r2 = multiply(x, multiplier_of(x));
  const lanes r4 = multiply(r2, multiplier_of(r2));
  // [r, r^2, r, r^2, ...] * [1, 1, r^2, r^2, ...] = [r, r^2, r^3, r^4, r, ...]
  const lanes low = multiply(blend(0xaa, x, r2), multiplier_of(blend(0xcc, one, r2)));
  // ... * [1, 1, 1, 1, r^4, r^4, r^4, r^4]
  const lanes all = multiply(low, multiplier_of(blend(0xf0, one, r4)));
  for (int k = 0; k < 3; ++k)
    _mm512_storeu_si512(powers[k], all.l[k]);
}

OVERLAYD_IFMA void sum_lanes(const lanes& acc, std::uint64_t (&h)[3]) {
  // Each lane's limbs are below 2^45, so their sums fit easily.
  for (int k = 0; k < 3; ++k)
    h[k] = static_cast<std::uint64_t>(_mm512_reduce_add_epi64(acc.l[k]));
  propagate_carries(h);
}

// Adds h to the lane holding block 0.
OVERLAYD_IFMA void add_to_first_lane(lanes& acc, const std::uint64_t (&h)[3]) {
  for (int k = 0; k < 3; ++k)
    acc.l[k] = _mm512_mask_add_epi64(acc.l[k], 1, acc.l[k],
                                     _mm512_set1_epi64(static_cast<long long>(h[k])));
}

// For a group that ends the input: the lane with block b is multiplied by
// r^(blocks - b), which `power` holds in lane blocks - 1 - b.
OVERLAYD_IFMA lane_multiplier final_multiplier(const lanes& power, std::size_t blocks) {
  const __m512i order = _mm512_maskz_sub_epi64(lanes_with_blocks(blocks),
                                               _mm512_set1_epi64(static_cast<long long>(blocks) - 1),
                                               _mm512_loadu_si512(block_of_lane));
  return multiplier_of(permute(power, order));
}

// h * r^count + sum of m_i r^(count - i + 1): whole groups of eight, then
// the rest (fewer than eight) as one group with empty lanes. Each lane
// takes every 8th block and is multiplied by r^8 per group, by its
// final_multiplier in the group that ends the input.
__attribute__((target("avx512f,avx512ifma"))) void simd_blocks(
  std::uint64_t (&h)[3], const std::uint64_t (&powers)[3][8], const std::uint8_t* data,
  std::size_t count) noexcept {
  lanes power;
  for (int k = 0; k < 3; ++k)
    power.l[k] = _mm512_loadu_si512(powers[k]);
  if (const std::size_t groups = count / 8; groups > 0) {
    const lane_multiplier by_r8 = multiplier_of(permute(power, _mm512_set1_epi64(7)));
    const lane_multiplier by_last = final_multiplier(power, 8);
    lanes acc{{_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()}};
    add_to_first_lane(acc, h);
    for (std::size_t g = 0; g < groups; ++g, data += 128) {
      const lanes m = load_group(data);
      for (int k = 0; k < 3; ++k)
        acc.l[k] = _mm512_add_epi64(acc.l[k], m.l[k]);
      acc = multiply(acc, g + 1 < groups ? by_r8 : by_last);
    }
    sum_lanes(acc, h);
  }
  if (const std::size_t rest = count % 8; rest > 0) {
    lanes acc = load_group(data, rest);
    add_to_first_lane(acc, h);
    sum_lanes(multiply(acc, final_multiplier(power, rest)), h);
  }
}

#undef OVERLAYD_IFMA
#pragma GCC diagnostic pop

#endif

} // namespace

bool poly1305::simd_available() noexcept {
#if OVERLAYD_POLY1305_SIMD
  static const bool available = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma");
  }();
  return available;
#else
  return false;
#endif
}

poly1305::poly1305(const std::uint8_t* key) noexcept {
  // r, clamped (RFC 8439 2.5), split into 44, 44 and 42 bits.
  const std::uint64_t t0 = load_le64(key), t1 = load_le64(key + 8);
  r_[0] = t0 & 0xffc0fffffffull;
  r_[1] = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffffull;
  r_[2] = (t1 >> 24) & 0x00ffffffc0full;
  pad_[0] = load_le64(key + 16);
  pad_[1] = load_le64(key + 24);
}

poly1305::~poly1305() {
  sodium_memzero(r_, sizeof r_);
  sodium_memzero(powers_, sizeof powers_);
  sodium_memzero(h_, sizeof h_);
  sodium_memzero(pad_, sizeof pad_);
}

void poly1305::blocks(const std::uint8_t* data, std::size_t count) noexcept {
#if OVERLAYD_POLY1305_SIMD
  if (!have_powers_) {
    compute_powers(r_, powers_);
    have_powers_ = true;
  }
  simd_blocks(h_, powers_, data, count);
#else
  (void)data; // never called: simd_available() is false without x86-64
  (void)count;
#endif
}

void poly1305::finish(std::uint8_t* tag) noexcept {
  propagate_carries(h_); // twice: fully carried
  propagate_carries(h_);
  std::uint64_t h0 = h_[0], h1 = h_[1], h2 = h_[2];
  // g = h + 5 - 2^130; if that does not go negative, h >= p and g is h mod p.
  std::uint64_t g0 = h0 + 5;
  std::uint64_t c = g0 >> 44;
  g0 &= mask44;
  std::uint64_t g1 = h1 + c;
  c = g1 >> 44;
  g1 &= mask44;
  std::uint64_t g2 = h2 + c - (std::uint64_t{1} << 42);
  const std::uint64_t take_g = (g2 >> 63) - 1; // all ones when g2 did not go negative
  h0 = (h0 & ~take_g) | (g0 & take_g);
  h1 = (h1 & ~take_g) | (g1 & take_g);
  h2 = (h2 & ~take_g) | (g2 & take_g);
  // tag = (h + s) mod 2^128
  const std::uint64_t s0 = pad_[0], s1 = pad_[1];
  h0 += s0 & mask44;
  c = h0 >> 44;
  h0 &= mask44;
  h1 += (((s0 >> 44) | (s1 << 20)) & mask44) + c;
  c = h1 >> 44;
  h1 &= mask44;
  h2 += (s1 >> 24) + c;
  h2 &= mask42;
  const std::uint64_t out0 = h0 | (h1 << 44);
  const std::uint64_t out1 = (h1 >> 20) | (h2 << 24);
  std::memcpy(tag, &out0, 8);
  std::memcpy(tag + 8, &out1, 8);
}

} // namespace overlayd::net::wg
