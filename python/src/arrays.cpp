#include "arrays.hpp"

#include <string>

namespace rectify::py {
namespace {

std::string dtype_text(PyArray_Descr* d) {
  Ref s(PyObject_Str(reinterpret_cast<PyObject*>(d)));
  if (!s) {
    PyErr_Clear();
    return "?";
  }
  const char* text = PyUnicode_AsUTF8(s.get());
  if (!text) {
    PyErr_Clear();
    return "?";
  }
  return text;
}

std::string shape_text(int ndim, const npy_intp* dims) {
  std::string out = "(";
  for (int i = 0; i < ndim; ++i) {
    out += std::to_string(dims[i]);
    if (ndim == 1 || i + 1 < ndim) out += ndim == 1 ? "," : ", ";
  }
  return out + ")";
}

bool ready(PyArrayObject* a, int type) {
  return PyArray_TYPE(a) == type && PyArray_ISCARRAY_RO(a) && PyArray_ISNOTSWAPPED(a);
}

// `obj` as an ndarray (new reference): itself, or numpy's conversion of an array-like.
Ref as_array(PyObject* obj, const char* what) {
  if (PyArray_Check(obj)) {
    Py_INCREF(obj);
    return Ref(obj);
  }
  Ref a(PyArray_FROM_O(obj));
  if (!a) {
    PyErr_Clear();
    raise(PyExc_TypeError, std::string(what) +
                               ": expected a numpy array or an array-like of numbers, got " +
                               Py_TYPE(obj)->tp_name);
  }
  return a;
}

}  // namespace

void raise(PyObject* type, const std::string& message) {
  PyErr_SetString(type, message.c_str());
  throw ErrorSet{};
}

Ref input_f32(PyObject* obj, const char* what) {
  if (PyArray_Check(obj) && ready(reinterpret_cast<PyArrayObject*>(obj), NPY_FLOAT32)) {
    Py_INCREF(obj);
    return Ref(obj);  // the fast path: no copy
  }
  Ref a = as_array(obj, what);
  PyArray_Descr* f32 = PyArray_DescrFromType(NPY_FLOAT32);  // a static descriptor
  if (!PyArray_CanCastTypeTo(PyArray_DESCR(a.array()), f32, NPY_SAME_KIND_CASTING)) {
    raise(PyExc_TypeError, std::string(what) + ": dtype " + dtype_text(PyArray_DESCR(a.array())) +
                               " cannot be cast to float32 under the 'same_kind' rule; expected "
                               "float32 (float64, float16, integers and bool are converted)");
  }
  if (ready(a.array(), NPY_FLOAT32)) return a;
  Py_INCREF(f32);  // PyArray_FromArray steals it
  Ref c(PyArray_FromArray(
      a.array(), f32,
      NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST | NPY_ARRAY_ENSURECOPY));
  if (!c) throw ErrorSet{};
  return c;
}

Ref input_u8(PyObject* obj, const char* what) {
  Ref a = as_array(obj, what);
  if (PyArray_TYPE(a.array()) != NPY_UINT8) {
    raise(PyExc_TypeError, std::string(what) + ": dtype " + dtype_text(PyArray_DESCR(a.array())) +
                               "; expected uint8 (the packed mask of forward_with_mask)");
  }
  if (ready(a.array(), NPY_UINT8)) return a;
  Ref c(PyArray_FromArray(a.array(), PyArray_DescrFromType(NPY_UINT8),
                          NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED));
  if (!c) throw ErrorSet{};
  return c;
}

Ref output_f32(PyObject* out, int ndim, const npy_intp* dims, const char* what) {
  if (out == nullptr || out == Py_None) {
    Ref a(PyArray_SimpleNew(ndim, const_cast<npy_intp*>(dims), NPY_FLOAT32));
    if (!a) throw ErrorSet{};
    return a;
  }
  // The argument's name for errors, composed only when there is one (no allocation per call).
  const auto name = [what] { return std::string(what) + ": out"; };
  if (!PyArray_Check(out)) {
    raise(PyExc_TypeError,
          name() + " must be a numpy.ndarray of float32, got " + Py_TYPE(out)->tp_name);
  }
  auto* a = reinterpret_cast<PyArrayObject*>(out);
  if (PyArray_TYPE(a) != NPY_FLOAT32 || !PyArray_ISNOTSWAPPED(a)) {
    raise(PyExc_TypeError,
          name() + " has dtype " + dtype_text(PyArray_DESCR(a)) + "; expected float32 (native)");
  }
  if (PyArray_NDIM(a) != ndim || !PyArray_CompareLists(PyArray_DIMS(a), dims, ndim)) {
    raise(PyExc_ValueError, name() + " has shape " + shape_text(PyArray_NDIM(a), PyArray_DIMS(a)) +
                                "; expected " + shape_text(ndim, dims));
  }
  if (!PyArray_ISWRITEABLE(a)) raise(PyExc_ValueError, name() + " is read-only");
  if (!PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a)) {
    raise(PyExc_ValueError, name() + " must be C-contiguous and aligned (it is written in place)");
  }
  Py_INCREF(out);
  return Ref(out);
}

Ref new_u8(npy_intp n) {
  Ref a(PyArray_SimpleNew(1, &n, NPY_UINT8));
  if (!a) throw ErrorSet{};
  return a;
}

std::span<const float> cspan(const Ref& a) {
  return {static_cast<const float*>(PyArray_DATA(a.array())),
          static_cast<std::size_t>(PyArray_SIZE(a.array()))};
}
std::span<float> span(const Ref& a) {
  return {static_cast<float*>(PyArray_DATA(a.array())),
          static_cast<std::size_t>(PyArray_SIZE(a.array()))};
}
std::span<const std::uint8_t> cspan_u8(const Ref& a) {
  return {static_cast<const std::uint8_t*>(PyArray_DATA(a.array())),
          static_cast<std::size_t>(PyArray_SIZE(a.array()))};
}
std::span<std::uint8_t> span_u8(const Ref& a) {
  return {static_cast<std::uint8_t*>(PyArray_DATA(a.array())),
          static_cast<std::size_t>(PyArray_SIZE(a.array()))};
}

std::vector<npy_intp> shape(const Ref& a) {
  const npy_intp* d = PyArray_DIMS(a.array());
  return {d, d + PyArray_NDIM(a.array())};
}

}  // namespace rectify::py
