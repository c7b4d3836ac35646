// The drivers that run a function's SIMD body over arrays, compiled once per target: whole
// vectors (Sweep) or whole mask units (UnitSweep) with the loads running ahead of the stores, and
// what is left through Walk's zero-padded 64-element copy (one mask word), so nothing reads or
// writes past the end. Per-target header.

#if defined(RECTIFY_ACT_SIMD_DRIVERS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_SIMD_DRIVERS_INL_H_
#undef RECTIFY_ACT_SIMD_DRIVERS_INL_H_
#else
#define RECTIFY_ACT_SIMD_DRIVERS_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <type_traits>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "rectify/act/simd/kernel_call.hpp"
#include "rectify/act/simd/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace rectify {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Runs body(i) for each vector offset i of one 64-element block.
template <class Body>
HWY_INLINE void ForEachVector(D d, const Body& body) {
  const std::size_t n = hn::Lanes(d);
  for (std::size_t j = 0; j < kBlock; j += n) body(j);
}

// Calls block(offset, ptrs...) on every full block of [begin, end), then on a zero-padded copy
// of the last partial block. `Inputs` and `Outputs` are pointer arrays of the call.
struct Buffers {
  HWY_ALIGN float in[3][kBlock];
  HWY_ALIGN float out[2][kBlock];
  std::uint8_t mask[kBlock / 8];
};

template <std::size_t kIn, std::size_t kOut, class Block>
void Walk(const float* const (&in)[3], float* const (&out)[2], std::uint8_t* mask_out,
          const std::uint8_t* mask_in, std::size_t begin, std::size_t end, const Block& block) {
  std::size_t i = begin;
  for (; i + kBlock <= end; i += kBlock) {
    const float* ins[3] = {in[0] ? in[0] + i : nullptr, in[1] ? in[1] + i : nullptr,
                           in[2] ? in[2] + i : nullptr};
    float* outs[2] = {out[0] ? out[0] + i : nullptr, out[1] ? out[1] + i : nullptr};
    block(ins, outs, mask_out ? mask_out + i / 8 : nullptr, mask_in ? mask_in + i / 8 : nullptr);
  }
  if (i == end) return;
  const std::size_t rest = end - i;
  // Only what the block reads is zeroed: a short call's head and tail come here, and clearing
  // all the buffers each time cost more than the block (prelu's 2048-float channels).
  Buffers b;
  const float* ins[3] = {b.in[0], b.in[1], b.in[2]};
  float* outs[2] = {b.out[0], b.out[1]};
  const auto padded = [rest](const float* from, float* to) {
    if (from) std::copy_n(from, rest, to);
    std::fill(to + (from ? rest : 0), to + kBlock, 0.0f);
  };
  for (std::size_t k = 0; k < kIn; ++k) padded(in[k] ? in[k] + i : nullptr, b.in[k]);
  if (mask_in) {
    std::fill_n(b.mask, sizeof b.mask, std::uint8_t{0});
    std::copy_n(mask_in + i / 8, (rest + 7) / 8, b.mask);
  }
  if (kOut > 1) padded(out[1] + i, b.out[1]);  // out2 may be an accumulator
  std::uint8_t mask_tail[kBlock / 8] = {};
  block(ins, outs, mask_out ? mask_tail : nullptr, mask_in ? b.mask : nullptr);
  for (std::size_t k = 0; k < kOut; ++k) std::copy_n(b.out[k], rest, out[k] + i);
  if (mask_out) {
    // Keep the unused bits of the last byte zero.
    if (rest % 8 != 0) mask_tail[rest / 8] &= static_cast<std::uint8_t>((1u << (rest % 8)) - 1);
    std::copy_n(mask_tail, (rest + 7) / 8, mask_out + i / 8);
  }
}

// Outputs far larger than the caches, written out of place to 64-byte aligned memory, use
// streaming (non-temporal) stores: they skip reading each output line before writing it, as
// memcpy does for large copies, which saves a third of the memory traffic of a forward pass.
constexpr std::size_t kStreamElements = std::size_t{1} << 22;  // 16 MiB of output per call

template <bool kStream>
HWY_INLINE void StoreOut(V v, D d, float* HWY_RESTRICT p) {
  if constexpr (kStream) {
    hn::Stream(v, d, p);
  } else {
    hn::StoreU(v, d, p);
  }
}

// Calls run(std::true_type) for streaming stores or run(std::false_type) for plain ones.
// Block pointers advance by 256 bytes from out + begin, so they stay aligned.
template <class Run>
void WithStores(const detail::KernelCall& c, std::size_t begin, std::size_t end, const Run& run) {
  const bool in_place = c.out == c.in0 || c.out == c.in1 || c.out == c.in2;
  const bool aligned = reinterpret_cast<std::uintptr_t>(c.out + begin) % 64 == 0;
  if (end - begin >= kStreamElements && !in_place && aligned) {
    run(std::true_type());
    hwy::FlushStream();  // order the streamed stores before the caller reads them
  } else {
    run(std::false_type());
  }
}

// 4K aliasing: on x86 cores a load waits for an earlier store still in the store buffer whose
// address matches it in the low 12 bits (and on Zen 3, in the same 64-byte line modulo 4 KiB),
// as if it were the same address. Where an output lies d bytes past an input modulo 4 KiB, the
// store of element i matches the loads of element i + d / 4. Sweep avoids the wait two ways:
// its loads run kLead to 2 kLead vectors ahead of the stores, so every load within that lead of
// a store has already been issued; and it walks the arrays backward when an input lies further
// than the lead before the output, so that the matching loads all come before their stores.
// Walking forward from an input that lies before the output, or backward from one after it,
// the matching load comes d bytes of stores later; when two inputs disagree, the direction
// whose nearest such store lies furthest back wins (1 KiB back, the store has drained).
constexpr std::size_t kLead = 4;
constexpr std::size_t kVectorRegisters = HWY_TARGET <= HWY_AVX3 ? 32 : 16;

// lead: how many bytes the loads run ahead of the stores.
HWY_INLINE bool Backwards(const float* const (&in)[3], float* const (&outs)[2],
                          std::size_t lead = kLead * hn::Lanes(D()) * sizeof(float)) {
  std::size_t forward_gap = kPageBytes, backward_gap = kPageBytes;
  for (const float* out : outs) {
    if (out == nullptr) continue;
    for (const float* p : in) {
      if (p == nullptr) continue;
      // out - p modulo 4 KiB, as a distance in [-2048, 2048).
      const std::size_t d =
          (reinterpret_cast<std::uintptr_t>(out) - reinterpret_cast<std::uintptr_t>(p)) %
          kPageBytes;
      if (d < kPageBytes / 2) {
        if (d >= lead) forward_gap = std::min(forward_gap, d);
      } else if (kPageBytes - d >= lead) {
        backward_gap = std::min(backward_gap, kPageBytes - d);
      }
    }
  }
  return forward_gap < backward_gap;
}

// finish(at(k), load(at(k))) for k in [0, vectors), at(k) = first + k step (modulo 2^64: step
// may be minus a vector), the loads kAhead units (vectors, or blocks) ahead. One instantiation for
// both directions, so that both compile to the same arithmetic (the sign of a NaN that meets
// another NaN depends on the operands' order the compiler picks).
template <std::size_t kAhead = kLead, class Load, class Finish>
HWY_INLINE void Pipelined(std::size_t vectors, std::size_t first, std::size_t step, Load load,
                          Finish finish) {
  const auto at = [first, step](std::size_t k) { return first + k * step; };
  using Loaded = decltype(load(std::size_t{0}));
  std::size_t k = 0;
  if (vectors >= 2 * kAhead) {
    Loaded held[kAhead];
    for (std::size_t j = 0; j < kAhead; ++j) held[j] = load(at(j));
    for (; k + 2 * kAhead <= vectors; k += kAhead) {
      Loaded next[kAhead];
      for (std::size_t j = 0; j < kAhead; ++j) next[j] = load(at(k + kAhead + j));
      for (std::size_t j = 0; j < kAhead; ++j) finish(at(k + j), held[j]);
      for (std::size_t j = 0; j < kAhead; ++j) held[j] = next[j];
    }
    for (std::size_t j = 0; j < kAhead; ++j) finish(at(k + j), held[j]);
    k += kAhead;
  }
  for (; k < vectors; ++k) finish(at(k), load(at(k)));
}

// finish(i, load(i)) for every whole vector i of [begin, end), in the direction Backwards
// picks (outs: one or two outputs), and the pieces before and after them. kAlign: the vectors
// start at the first aligned store to outs[0] (one that straddles two cache lines costs two);
// only for functions computed lane by lane, since it moves the vectors' bounds with the
// output's address and with the threads' split, and a function that branches on the whole
// vector (a slow path for a far tail) must see the same neighbours whatever the threads. Such a
// function, out of place, computes each piece as one whole vector overlapping its neighbour
// (the shared lanes are written twice with the same value); otherwise a piece goes through
// Walk's padded copy, which for a call of a few thousand floats (prelu's channels) costs as
// much as all its vectors. kStreamed: finish streams its stores, which must then be aligned.
template <std::size_t kIn, std::size_t kOut, bool kAlign, bool kStreamed = false, class Load,
          class Finish, class Block>
void Sweep(const float* const (&in)[3], float* const (&outs)[2], std::size_t begin, std::size_t end,
           Load load, Finish finish, const Block& block) {
  // The loads held and those ahead of them stay in registers: three inputs on a 16-register
  // target (AVX2) get half the lead, so they do not spill to the stack.
  constexpr std::size_t kAhead = std::clamp<std::size_t>(kVectorRegisters / (2 * kIn), 1, kLead);
  const std::size_t n = hn::Lanes(D());
  const std::size_t bytes = n * sizeof(float);
  const std::size_t misaligned = reinterpret_cast<std::uintptr_t>(outs[0] + begin) % bytes;
  const std::size_t first =
      kAlign ? begin + std::min(end - begin, (bytes - misaligned) % bytes / sizeof(float)) : begin;
  const std::size_t vectors = (end - first) / n, whole = first + vectors * n;
  bool overlap = kAlign && end - begin >= n;
  for (const float* out : outs) {
    for (const float* p : in) overlap = overlap && (out == nullptr || out != p);
  }
  const auto head = [&] {
    if (begin == first) return;
    if (overlap) {  // unaligned, so never streamed
      finish(begin, load(begin));
    } else {
      Walk<kIn, kOut>(in, outs, nullptr, nullptr, begin, first, block);
    }
  };
  const auto tail = [&] {
    if (whole == end) return;
    if (overlap && !kStreamed) {
      finish(end - n, load(end - n));
    } else {
      Walk<kIn, kOut>(in, outs, nullptr, nullptr, whole, end, block);
    }
  };
  const bool backwards = Backwards(in, outs, kAhead * bytes);
  if (backwards) {
    tail();
  } else {
    head();
  }
  Pipelined<kAhead>(vectors, backwards ? whole - n : first, backwards ? std::size_t{0} - n : n,
                    load, finish);
  if (backwards) {
    head();
  } else {
    tail();
  }
}

template <class F>
void Forward(const F& f, const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  WithStores(c, begin, end, [&](auto stream) {
    constexpr bool kStream = decltype(stream)::value;
    const float* x = c.in0;  // may be y: in place
    float* y = c.out;
    // Captures by value: a vector store may alias any memory, so a pointer or coefficient read
    // through a reference would be read again after every store.
    Sweep<1, 1, kLaneWise<F>, kStream>(
        {c.in0, nullptr, nullptr}, {c.out, nullptr}, begin, end,
        [x](std::size_t i) { return hn::LoadU(D(), x + i); },
        [y, f](std::size_t i, V v) { StoreOut<kStream>(f.Forward(D(), v), D(), y + i); },
        [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
          ForEachVector(d, [&](std::size_t j) {
            hn::StoreU(f.Forward(d, hn::LoadU(d, in[0] + j)), d, out[0] + j);
          });
        });
  });
}

struct Pair {
  V a, b;
};

// out = g(in0, in1) elementwise, with g(v0, v1) one of the two-input passes.
template <bool kAlign, class G>
void Binary(const detail::KernelCall& c, std::size_t begin, std::size_t end, const G& g) {
  const D d;
  WithStores(c, begin, end, [&](auto stream) {
    constexpr bool kStream = decltype(stream)::value;
    const float* a = c.in0;
    const float* b = c.in1;
    float* o = c.out;
    Sweep<2, 1, kAlign, kStream>(  // captures by value, as in Forward
        {c.in0, c.in1, nullptr}, {c.out, nullptr}, begin, end,
        [a, b](std::size_t i) {
          return Pair{hn::LoadU(D(), a + i), hn::LoadU(D(), b + i)};
        },
        [o, g](std::size_t i, const Pair& p) { StoreOut<kStream>(g(p.a, p.b), D(), o + i); },
        [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t*) {
          ForEachVector(d, [&](std::size_t j) {
            hn::StoreU(g(hn::LoadU(d, in[0] + j), hn::LoadU(d, in[1] + j)), d, out[0] + j);
          });
        });
  });
}

template <class F>
void Backward(const F& f, const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  Binary<kLaneWise<F>>(c, begin, end, [f](V x, V dy) { return f.Backward(D(), x, dy); });
}

template <class F>
void BackwardOutput(const F& f, const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  Binary<kLaneWiseFromOutput<F>>(c, begin, end,
                                 [f](V y, V dy) { return f.BackwardOutput(D(), y, dy); });
}

// The mask passes' loop, in units of kUnit elements (a multiple of 8: whole mask bytes): each
// unit's loads are issued before the previous unit's stores, in the direction Backwards picks
// for that lead (see Sweep: 4K aliasing); the last partial unit goes through Walk's padded copy,
// whose block covers 64 / kUnit units. `begin` is a multiple of 64, as the threads split arrays.
template <std::size_t kIn, std::size_t kUnit, class Load, class Finish, class Block>
void UnitSweep(const float* const (&in)[3], float* const (&outs)[2], std::uint8_t* mask_out,
               const std::uint8_t* mask_in, std::size_t begin, std::size_t end, Load load,
               Finish finish, const Block& block) {
  static_assert(kUnit % 8 == 0 && kBlock % kUnit == 0);
  const std::size_t units = (end - begin) / kUnit, whole = begin + units * kUnit;
  const auto tail = [&] { Walk<kIn, 1>(in, outs, mask_out, mask_in, whole, end, block); };
  const bool backwards = Backwards(in, outs, kUnit * sizeof(float));
  if (backwards) tail();
  Pipelined<1>(units, backwards ? whole - kUnit : begin, backwards ? std::size_t{0} - kUnit : kUnit,
               load, finish);
  if (!backwards) tail();
}

// A unit of kLead vectors (at least 8 elements): kLead vectors of loads ahead, as in Sweep, and
// twice that in registers, which AVX2's 16 hold with room for the constants.
constexpr std::size_t kMaskUnit = HWY_MAX(8, hn::MaxLanes(D()) * kLead);
constexpr std::size_t kUnitVectors = kMaskUnit / HWY_MAX(hn::MaxLanes(D()), 1);

// A unit's mask bits as one integer of their exact size: a wider one filled by a narrower copy
// would make its reader wait on two stores.
using UnitBits = std::conditional_t<
    kMaskUnit == 64, std::uint64_t,
    std::conditional_t<kMaskUnit == 32, std::uint32_t,
                       std::conditional_t<kMaskUnit == 16, std::uint16_t, std::uint8_t>>>;
static_assert(sizeof(UnitBits) * 8 == kMaskUnit);

// One unit's vectors, and for the backward its mask bits (bit k: element k of the unit).
struct UnitVectors {
  V v[kUnitVectors];
  UnitBits bits;
};

HWY_INLINE UnitVectors LoadUnit(const float* from, const std::uint8_t* mask) {
  UnitVectors u;
  for (std::size_t j = 0; j < kUnitVectors; ++j) u.v[j] = hn::LoadU(D(), from + j * hn::Lanes(D()));
  u.bits = 0;
  if (mask) std::memcpy(&u.bits, mask, sizeof u.bits);  // little-endian: bit i of byte i / 8
  return u;
}

// Each vector's bits join one word in a register, stored once per unit: a byte stored per vector
// measured 1.8x slower (relu, 64K floats).
template <bool kStream, class F>
HWY_INLINE void FinishForwardMask(const F& f, const UnitVectors& u, float* y, std::uint8_t* mask) {
  const D d;
  using LaneBits = std::conditional_t<(hn::MaxLanes(D()) > 16), std::uint64_t, std::uint16_t>;
  std::uint64_t bits = 0;
  for (std::size_t j = 0; j < kUnitVectors; ++j) {
    StoreOut<kStream>(f.Forward(d, u.v[j]), d, y + j * hn::Lanes(d));
    LaneBits lane_bits = 0;
    hn::StoreMaskBits(d, f.Pass(d, u.v[j]), reinterpret_cast<std::uint8_t*>(&lane_bits));
    bits |= std::uint64_t{lane_bits} << (j * hn::Lanes(d));
  }
  const auto unit_bits = static_cast<UnitBits>(bits);
  std::memcpy(mask, &unit_bits, sizeof unit_bits);
}

template <class F>
void ForwardMask(const F& caller_f, const detail::KernelCall& c, std::size_t begin,
                 std::size_t end) {
  // A copy of our own: the body's coefficients are then not read again after every store (a
  // vector store may alias what a reference points at, never a local whose address stays here).
  const F f = caller_f;
  WithStores(c, begin, end, [&](auto stream) {
    constexpr bool kStream = decltype(stream)::value;
    const float* x = c.in0;
    float* y = c.out;
    std::uint8_t* mask = c.mask_out;
    UnitSweep<1, kMaskUnit>(
        {c.in0, nullptr, nullptr}, {c.out, nullptr}, c.mask_out, nullptr, begin, end,
        [x](std::size_t i) { return LoadUnit(x + i, nullptr); },
        [f, y, mask](std::size_t i, const UnitVectors& u) {
          FinishForwardMask<kStream>(f, u, y + i, mask + i / 8);
        },
        [&](const float* const* in, float* const* out, std::uint8_t* mask_block,
            const std::uint8_t*) {
          for (std::size_t i = 0; i < kBlock; i += kMaskUnit) {
            FinishForwardMask<false>(f, LoadUnit(in[0] + i, nullptr), out[0] + i,
                                     mask_block + i / 8);
          }
        });
  });
}

// dx = bit ? dy : (multiply ? dy * slope : 0).
struct MaskSelect {
  using DU = hn::RebindToUnsigned<D>;
  // Up to 32 bits a unit, all lanes get the unit's bits at once and vector j tests lane k
  // against bit j * lanes + k (one broadcast a unit, not one a vector: AVX2 1.1x); AVX-512's 64
  // bits are shifted down for each vector (faster there than a mask register made from them).
  static constexpr bool kBroadcast = kMaskUnit <= 32;
  hn::Vec<DU> lane_bit[kBroadcast ? kUnitVectors : 1];  // shifted bits test the same lanes
  V slope;
  bool multiply;

  explicit MaskSelect(const detail::KernelCall& c)
      : slope(hn::Set(D(), c.k.c0)), multiply(c.k.c1 != 0.0f) {
    const DU du;
    HWY_ALIGN std::uint32_t powers[hn::MaxLanes(du)];
    for (std::size_t j = 0; j < std::size(lane_bit); ++j) {
      for (std::size_t k = 0; k < hn::Lanes(du); ++k) powers[k] = 1u << (j * hn::Lanes(du) + k);
      lane_bit[j] = hn::Load(du, powers);
    }
  }

  template <bool kStream>
  HWY_INLINE void Finish(const UnitVectors& u, float* dx) const {
    const D d;
    const DU du;
    const auto all = hn::Set(du, static_cast<std::uint32_t>(u.bits));
    for (std::size_t j = 0; j < kUnitVectors; ++j) {
      const auto bits = kBroadcast ? all
                                   : hn::Set(du, static_cast<std::uint32_t>(std::uint64_t{u.bits} >>
                                                                            (j * hn::Lanes(d))));
      const M pass = hn::RebindMask(d, hn::TestBit(bits, lane_bit[kBroadcast ? j : 0]));
      const V other = multiply ? hn::Mul(u.v[j], slope) : hn::Zero(d);
      StoreOut<kStream>(hn::IfThenElse(pass, u.v[j], other), d, dx + j * hn::Lanes(d));
    }
  }
};

void BackwardMask(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const MaskSelect select(c);
  WithStores(c, begin, end, [&](auto stream) {
    constexpr bool kStream = decltype(stream)::value;
    const float* dy = c.in1;
    const std::uint8_t* mask = c.mask_in;
    float* dx = c.out;
    UnitSweep<2, kMaskUnit>(
        {nullptr, c.in1, nullptr}, {c.out, nullptr}, nullptr, c.mask_in, begin, end,
        [dy, mask](std::size_t i) { return LoadUnit(dy + i, mask + i / 8); },
        [select, dx](std::size_t i, const UnitVectors& u) { select.Finish<kStream>(u, dx + i); },
        [&](const float* const* in, float* const* out, std::uint8_t*,
            const std::uint8_t* mask_block) {
          for (std::size_t i = 0; i < kBlock; i += kMaskUnit) {
            select.Finish<false>(LoadUnit(in[1] + i, mask_block + i / 8), out[0] + i);
          }
        });
  });
}

template <class F>
void RunPasses(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const F f(D(), c.k);
  using detail::Pass;
  if (c.pass == Pass::forward) return Forward(f, c, begin, end);
  if (c.pass == Pass::backward) return Backward(f, c, begin, end);
  if constexpr (requires(const F& g, D d, V v) { g.BackwardOutput(d, v, v); }) {
    if (c.pass == Pass::backward_output) return BackwardOutput(f, c, begin, end);
  }
  if constexpr (requires(const F& g, D d, V v) { g.Pass(d, v); }) {
    if (c.pass == Pass::forward_mask) return ForwardMask(f, c, begin, end);
  }
}

// Runs body B's passes; a body with passes of its own (or a variant to pick) runs them itself.
template <class B>
void RunBody(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  if constexpr (requires { B::Run(c, begin, end); }) {
    B::Run(c, begin, end);
  } else {
    RunPasses<B>(c, begin, end);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace rectify
HWY_AFTER_NAMESPACE();

#endif  // RECTIFY_ACT_SIMD_DRIVERS_INL_H_
