// numpy arrays at the boundary of the Python module: what the kernels accept, what they refuse,
// and the one place that decides it. Zero copies for C-contiguous, aligned, native float32; any
// other array whose dtype numpy would cast to float32 under "same_kind" rules (float64, float16,
// integers, bool) is converted into a new C-contiguous float32 array (a copy); anything else is a
// TypeError saying what was expected. Outputs (`out=`) are never converted: they must be float32
// ndarrays, C-contiguous, aligned, writable and of the result's shape.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>
// One numpy C-API table for the whole module: module.cpp imports it (NO_IMPORT_ARRAY elsewhere).
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL rectify_numpy_api
#ifndef RECTIFY_IMPORT_NUMPY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rectify::py {

// A Python error is already set: unwind to the entry point, which returns nullptr.
struct ErrorSet {};

[[noreturn]] void raise(PyObject* type, const std::string& message);

// An owned reference, released on scope exit.
class Ref {
 public:
  Ref() = default;
  explicit Ref(PyObject* o) : o_(o) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  Ref(Ref&& r) noexcept : o_(r.o_) { r.o_ = nullptr; }
  Ref& operator=(Ref&& r) noexcept {
    std::swap(o_, r.o_);
    return *this;
  }
  ~Ref() { Py_XDECREF(o_); }
  PyObject* get() const { return o_; }
  PyArrayObject* array() const { return reinterpret_cast<PyArrayObject*>(o_); }
  PyObject* release() {
    PyObject* o = o_;
    o_ = nullptr;
    return o;
  }
  explicit operator bool() const { return o_ != nullptr; }

 private:
  PyObject* o_ = nullptr;
};

// An input as float32, C-contiguous: the array itself (a new reference to it) when it already is,
// else a converted copy. `what` names the argument in errors ("rectify.forward: x").
Ref input_f32(PyObject* obj, const char* what);
// A uint8 input (a mask), C-contiguous; other dtypes are a TypeError.
Ref input_u8(PyObject* obj, const char* what);

// The output: `out` checked against (ndim, dims) when given (and not None), else a new array.
Ref output_f32(PyObject* out, int ndim, const npy_intp* dims, const char* what);
Ref new_u8(npy_intp n);

std::span<const float> cspan(const Ref& a);
std::span<float> span(const Ref& a);
std::span<const std::uint8_t> cspan_u8(const Ref& a);
std::span<std::uint8_t> span_u8(const Ref& a);

// The array's shape as a vector (for the few callers that change it).
std::vector<npy_intp> shape(const Ref& a);

// The GIL is released while a kernel runs over kGilThreshold elements or more. Releasing and
// taking it back costs about 100 ns here, as much as a relu over 1K floats: below the threshold a
// kernel runs for less than about 0.5 us (relu) to 4 us (gelu), and keeps it. (numpy's own loops
// keep it below 500 elements, NPY_BEGIN_THREADS_THRESHOLDED.)
inline constexpr std::size_t kGilThreshold = 4096;

class ReleaseGil {
 public:
  explicit ReleaseGil(std::size_t n) : state_(n >= kGilThreshold ? PyEval_SaveThread() : nullptr) {}
  ReleaseGil(const ReleaseGil&) = delete;
  ReleaseGil& operator=(const ReleaseGil&) = delete;
  ~ReleaseGil() {
    if (state_) PyEval_RestoreThread(state_);
  }

 private:
  PyThreadState* state_;
};

}  // namespace rectify::py
