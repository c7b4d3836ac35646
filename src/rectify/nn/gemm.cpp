#include "rectify/nn/gemm.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <stdexcept>

#include "rectify/act/parallel.hpp"

namespace rectify::nn {
namespace {

// Columns (or rows) of C per block: OpenBLAS's single-thread kernels reach their speed on
// blocks of this width, and a 64 x 128 product still makes two blocks.
constexpr std::size_t kBlock = 64;
// FLOPs per thread below which a product stays on one thread: about 8 us of work here, several
// times what starting a region on waiting threads costs. The RNN's recurrent 64 x 128 x 128
// product (2 MFLOP per time step) gains from two threads.
constexpr std::size_t kGrainFlops = std::size_t{1} << 19;

// OpenBLAS's OpenMP build takes its thread count from the calling thread's OpenMP setting on
// every call (and runs on one thread inside a parallel region): 1 while this lives.
class OneBlasThread {
 public:
  OneBlasThread() : saved_(omp_in_parallel() ? 0 : omp_get_max_threads()) {
    if (saved_ > 1) omp_set_num_threads(1);
  }
  ~OneBlasThread() {
    if (saved_ > 1) omp_set_num_threads(saved_);
  }
  OneBlasThread(const OneBlasThread&) = delete;
  OneBlasThread& operator=(const OneBlasThread&) = delete;

 private:
  int saved_;
};

int blas_int(std::size_t v) {
  if (v > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::invalid_argument("gemm: a dimension exceeds the BLAS's 32-bit integers");
  }
  return static_cast<int>(v);
}

CBLAS_TRANSPOSE op(Trans t) {
  return t == Trans::yes ? CblasTrans : CblasNoTrans;
}

}  // namespace

void gemm_on_this_thread(Trans ta, Trans tb, std::size_t m, std::size_t n, std::size_t k,
                         float alpha, const float* a, std::size_t lda, const float* b,
                         std::size_t ldb, float beta, float* c, std::size_t ldc) {
  const OneBlasThread one;
  if (beta == 0.0f) {
    // OpenBLAS meets beta 0 with a pass that zeroes C one float at a time: zeroing C here
    // (memset) and asking for beta 1 is faster on every layer shape `bench/sgemm_shapes` times,
    // and C's old contents (NaN included) still never show. The bench calls it the same way.
    for (std::size_t row = 0; row < m; ++row) std::fill_n(c + row * ldc, n, 0.0f);
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, op(ta), op(tb), blas_int(m), blas_int(n), blas_int(k), alpha, a,
              blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
}

void gemm(Trans ta, Trans tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
          const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
          std::size_t ldc) {
  for (const std::size_t d : {m, n, k, lda, ldb, ldc}) blas_int(d);  // before any thread starts
  const bool by_columns = n >= m;
  const std::size_t extent = by_columns ? n : m;
  const std::size_t blocks = (extent + kBlock - 1) / kBlock;
  const std::size_t threads = detail::threads_for(2 * m * n * k, kGrainFlops);
  detail::for_each_task(blocks, threads, [&](std::size_t block, std::size_t) {
    const std::size_t first = block * kBlock, size = std::min(kBlock, extent - first);
    if (by_columns) {  // columns [first, first + size) of C from the same columns of op(B)
      const float* b_part = tb == Trans::yes ? b + first * ldb : b + first;
      gemm_on_this_thread(ta, tb, m, size, k, alpha, a, lda, b_part, ldb, beta, c + first, ldc);
    } else {  // rows [first, first + size) of C from the same rows of op(A)
      const float* a_part = ta == Trans::yes ? a + first : a + first * lda;
      gemm_on_this_thread(ta, tb, size, n, k, alpha, a_part, lda, b, ldb, beta, c + first * ldc,
                          ldc);
    }
  });
}

void gemv_on_this_thread(Trans ta, std::size_t m, std::size_t n, float alpha, const float* a,
                         std::size_t lda, const float* x, float beta, float* y) {
  const OneBlasThread one;
  cblas_sgemv(CblasRowMajor, op(ta), blas_int(m), blas_int(n), alpha, a, blas_int(lda), x, 1, beta,
              y, 1);
}

}  // namespace rectify::nn
