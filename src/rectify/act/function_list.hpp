// Every activation function rectify defines, one line each, in the order `rectify list` shows
// them. A function's whole definition is the file of its name in functions/ (definition.hpp says
// what such a file holds); this list is the only other place that names it. The enum Fn, the
// registry, the scalar reference and the SIMD dispatch are all generated from it.
#pragma once

// clang-format off
#define RECTIFY_FUNCTIONS(X) \
  X(relu)                    \
  X(leaky_relu)              \
  X(prelu)                   \
  X(elu)                     \
  X(selu)                    \
  X(celu)                    \
  X(relu6)                   \
  X(keras_relu)              \
  X(crelu)                   \
  X(sigmoid)                 \
  X(tanh)                    \
  X(gelu_erf)                \
  X(gelu_tanh)               \
  X(silu)                    \
  X(softplus)                \
  X(mish)                    \
  X(hardswish)               \
  /* one line per function, above this one */
// clang-format on
