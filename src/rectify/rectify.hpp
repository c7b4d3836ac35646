// rectify: the rectified-linear family of activation functions. Include this for everything.
#pragma once

#include "rectify/act/activation.hpp"
#include "rectify/act/channels.hpp"
#include "rectify/act/crelu.hpp"
#include "rectify/act/kernels.hpp"
#include "rectify/act/prelu.hpp"
#include "rectify/act/reference.hpp"
#include "rectify/act/registry.hpp"
#include "rectify/act/simd_target.hpp"
#include "rectify/act/threads.hpp"
