// The layers' GEMMs (OpenBLAS's CBLAS, row-major) with results that never depend on the thread
// count: every OpenBLAS call runs on one thread, and a large product is cut into blocks whose
// shapes depend on the product's shape alone, the blocks split over rectify's pool. OpenBLAS's
// own threading splits a product by the thread count, and its rounding follows the split.
// Internal; not installed.
#pragma once

#include <cstddef>

namespace rectify::nn {

enum class Trans : bool { no = false, yes = true };

// C (m, n) = alpha op(A) op(B) + beta C with CBLAS's leading dimensions, on the calling thread.
void gemm_on_this_thread(Trans ta, Trans tb, std::size_t m, std::size_t n, std::size_t k,
                         float alpha, const float* a, std::size_t lda, const float* b,
                         std::size_t ldb, float beta, float* c, std::size_t ldc);

// The same product as blocks of 64 columns of C (of 64 rows when C has more rows than columns),
// split over the pool when there is work enough.
void gemm(Trans ta, Trans tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
          const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
          std::size_t ldc);

// y (op(A) rows) = alpha op(A) x + beta y, A (m, n) row-major, on the calling thread.
void gemv_on_this_thread(Trans ta, std::size_t m, std::size_t n, float alpha, const float* a,
                         std::size_t lda, const float* x, float beta, float* y);

}  // namespace rectify::nn
