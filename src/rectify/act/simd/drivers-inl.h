// The drivers that run a function's SIMD body over arrays, compiled once per target: they walk
// the arrays in blocks of 64 elements (one mask word), and run the last partial block on a
// zero-padded copy so nothing reads or writes past the end. Per-target header.

#if defined(RECTIFY_ACT_SIMD_DRIVERS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFY_ACT_SIMD_DRIVERS_INL_H_
#undef RECTIFY_ACT_SIMD_DRIVERS_INL_H_
#else
#define RECTIFY_ACT_SIMD_DRIVERS_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
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

HWY_INLINE bool Backwards(const float* const (&in)[3], float* const (&outs)[2]) {
  const std::size_t lead = kLead * hn::Lanes(D()) * sizeof(float);
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
// may be minus a vector), the loads kLead vectors ahead. One instantiation for both directions,
// so that both compile to the same arithmetic (the sign of a NaN that meets another NaN depends
// on the operands' order the compiler picks).
template <class Load, class Finish>
HWY_INLINE void Pipelined(std::size_t vectors, std::size_t first, std::size_t step, Load load,
                          Finish finish) {
  const auto at = [first, step](std::size_t k) { return first + k * step; };
  using Loaded = decltype(load(std::size_t{0}));
  std::size_t k = 0;
  if (vectors >= 2 * kLead) {
    Loaded held[kLead];
    for (std::size_t j = 0; j < kLead; ++j) held[j] = load(at(j));
    for (; k + 2 * kLead <= vectors; k += kLead) {
      Loaded next[kLead];
      for (std::size_t j = 0; j < kLead; ++j) next[j] = load(at(k + kLead + j));
      for (std::size_t j = 0; j < kLead; ++j) finish(at(k + j), held[j]);
      for (std::size_t j = 0; j < kLead; ++j) held[j] = next[j];
    }
    for (std::size_t j = 0; j < kLead; ++j) finish(at(k + j), held[j]);
    k += kLead;
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
  const bool backwards = Backwards(in, outs);
  if (backwards) {
    tail();
  } else {
    head();
  }
  Pipelined(vectors, backwards ? whole - n : first, backwards ? std::size_t{0} - n : n, load,
            finish);
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

template <class F>
void ForwardMask(const F& caller_f, const detail::KernelCall& c, std::size_t begin,
                 std::size_t end) {
  const D d;
  // A copy of our own: the body's coefficients are then not read again after every store (a
  // vector store may alias what a reference points at, never a local whose address stays here).
  const F f = caller_f;
  WithStores(c, begin, end, [&](auto stream) {
    Walk<1, 1>(
        {c.in0, nullptr, nullptr}, {c.out, nullptr}, c.mask_out, nullptr, begin, end,
        [&](const float* const* in, float* const* out, std::uint8_t* mask, const std::uint8_t*) {
          // The block's loads first: none waits behind a store that may alias it (4 KiB).
          constexpr std::size_t kMaxVectors = kBlock / HWY_MAX(hn::MaxLanes(D()), 1);
          V xs[kMaxVectors];
          ForEachVector(d, [&](std::size_t j) { xs[j / hn::Lanes(d)] = hn::LoadU(d, in[0] + j); });
          // Each vector's bits join one word in a register, stored once per block: a byte
          // stored per vector measured 1.8x slower (relu, 64K floats).
          using LaneBits =
              std::conditional_t<(hn::MaxLanes(D()) > 16), std::uint64_t, std::uint16_t>;
          std::uint64_t word = 0;
          ForEachVector(d, [&](std::size_t j) {
            const V x = xs[j / hn::Lanes(d)];
            StoreOut<stream()>(f.Forward(d, x), d, out[0] + j);
            LaneBits lane_bits = 0;
            hn::StoreMaskBits(d, f.Pass(d, x), reinterpret_cast<std::uint8_t*>(&lane_bits));
            word |= std::uint64_t{lane_bits} << j;
          });
          std::memcpy(mask, &word, sizeof(word));  // little-endian: bit i of byte i / 8
        });
  });
}

// dx = bit ? dy : (multiply ? dy * slope : 0).
void BackwardMask(const detail::KernelCall& c, std::size_t begin, std::size_t end) {
  const D d;
  const hn::RebindToUnsigned<D> du;
  HWY_ALIGN std::uint32_t powers[hn::MaxLanes(du)];
  for (std::size_t k = 0; k < hn::Lanes(du); ++k) powers[k] = 1u << k;
  const auto lane_bit = hn::Load(du, powers);
  const V slope = hn::Set(d, c.k.c0);
  const bool multiply = c.k.c1 != 0.0f;
  WithStores(c, begin, end, [&](auto stream) {
    Walk<2, 1>(
        {nullptr, c.in1, nullptr}, {c.out, nullptr}, nullptr, c.mask_in, begin, end,
        [&](const float* const* in, float* const* out, std::uint8_t*, const std::uint8_t* mask) {
          std::uint64_t word = 0;
          std::memcpy(&word, mask, sizeof(word));
          ForEachVector(d, [&](std::size_t j) {
            const auto bits = static_cast<std::uint32_t>(word >> j);
            const M pass = hn::RebindMask(d, hn::TestBit(hn::Set(du, bits), lane_bit));
            const V dy = hn::LoadU(d, in[1] + j);
            const V other = multiply ? hn::Mul(dy, slope) : hn::Zero(d);
            StoreOut<stream()>(hn::IfThenElse(pass, dy, other), d, out[0] + j);
          });
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
