// rectify._rectify: the compiled half of the Python package. Kernels over numpy arrays (zero
// copies for C-contiguous float32, the GIL released while they run), the registry's metadata,
// properties, threads, SIMD targets, the data sets and checkpoints. The pure-Python half
// (python/rectify/) re-exports it and adds rectify.data and rectify.torch.
//
// The kernel entry points are plain METH_FASTCALL functions, not pybind11 functions: at 1K floats
// a relu takes about 100 ns, and pybind11's generic dispatch would cost more than that.
// std::invalid_argument becomes ValueError with the same message, everywhere.
#define RECTIFY_IMPORT_NUMPY
#include "arrays.hpp"
// (arrays.hpp first: Python.h before any standard header)

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "props_json.hpp"
#include "rectify/act/properties.hpp"
#include "rectify/act/stats.hpp"
#include "rectify/data/dataset.hpp"
#include "rectify/data/format_error.hpp"
#include "rectify/rectify.hpp"
#include "rectify/timing/cost.hpp"
#include "rectify/train/checkpoint.hpp"
#include "rectify/train/models.hpp"
#include "rectify/train/trainer.hpp"

namespace pyb = pybind11;

namespace rectify::py {
namespace {

// ----- the activation of a call: an Activation object or a spec string -----------------------

// Parsed specs by text: a call with a string spec parses it once.
const Activation& cached_parse(std::string_view spec) {
  static std::unordered_map<std::string, Activation> cache;
  if (const auto it = cache.find(std::string(spec)); it != cache.end()) return it->second;
  Activation a = Activation::parse(spec);   // std::invalid_argument: not cached
  if (cache.size() >= 1024) cache.clear();  // references are used before the next call
  return cache.emplace(std::string(spec), a).first->second;
}

Activation parse_spec_object(PyObject* spec, const char* what) {
  if (PyUnicode_Check(spec)) {
    Py_ssize_t n = 0;
    const char* text = PyUnicode_AsUTF8AndSize(spec, &n);
    if (!text) throw ErrorSet{};
    return cached_parse({text, static_cast<std::size_t>(n)});
  }
  pyb::detail::make_caster<Activation> caster;
  if (caster.load(pyb::handle(spec), false)) {
    return pyb::detail::cast_op<const Activation&>(caster);
  }
  raise(PyExc_TypeError, std::string(what) + ": spec must be a str (e.g. 'elu:alpha=0.5') or a " +
                             "rectify.Activation, got " + Py_TYPE(spec)->tp_name);
}

// The activation of a call. The last spec object is remembered by identity (a reference is held,
// so the address cannot be reused; str and Activation are immutable): a loop that passes the
// same object pays neither the lookup nor the parse. The GIL serialises access.
Activation activation_of(PyObject* spec, const char* what) {
  static PyObject* last = nullptr;
  static Activation last_activation;
  if (spec == last) return last_activation;
  const Activation a = parse_spec_object(spec, what);
  Py_INCREF(spec);
  Py_XDECREF(last);
  last = spec;
  last_activation = a;
  return a;
}

// ----- arguments of the METH_FASTCALL entry points --------------------------------------------

// An entry point's argument names, in order.
template <std::size_t N>
struct Signature {
  const char* names[N];
  PyObject* interned[N] = {};  // the names as interned strings, made at the first keyword call
};

// Fills slots (nullptr where absent) from positional arguments, then keywords, by the signature's
// names; the first `required` must be present.
template <std::size_t N>
void parse_args(const char* fn, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                Signature<N>& sig, std::size_t required, PyObject* (&slots)[N]) {
  const char* const(&names)[N] = sig.names;
  PyObject*(&interned)[N] = sig.interned;
  for (auto& s : slots) s = nullptr;
  if (static_cast<std::size_t>(nargs) > N) {
    raise(PyExc_TypeError, std::string(fn) + "() takes at most " + std::to_string(N) +
                               " arguments (" + std::to_string(nargs) + " given)");
  }
  for (Py_ssize_t i = 0; i < nargs; ++i) slots[i] = args[i];
  const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  // Keyword names written in the caller's source are interned strings: compared by identity
  // first, by value only when that fails.
  if (nkw > 0 && !interned[0]) {
    for (std::size_t i = 0; i < N; ++i) {
      interned[i] = PyUnicode_InternFromString(names[i]);
      if (!interned[i]) throw ErrorSet{};
    }
  }
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    PyObject* key = PyTuple_GET_ITEM(kwnames, k);
    std::size_t i = 0;
    while (i < N && key != interned[i]) ++i;
    if (i == N) {
      i = 0;
      while (i < N && PyUnicode_CompareWithASCIIString(key, names[i]) != 0) ++i;
    }
    if (i == N) {
      const char* text = PyUnicode_AsUTF8(key);
      if (!text) throw ErrorSet{};
      raise(PyExc_TypeError,
            std::string(fn) + "() got an unexpected keyword argument '" + text + "'");
    }
    if (slots[i]) {
      raise(PyExc_TypeError,
            std::string(fn) + "() got multiple values for argument '" + names[i] + "'");
    }
    slots[i] = args[nargs + k];
  }
  for (std::size_t i = 0; i < required; ++i) {
    if (!slots[i]) {
      raise(PyExc_TypeError, std::string(fn) + "() missing required argument '" + names[i] + "'");
    }
  }
}

// Runs body(), turning C++ exceptions into Python ones; returns nullptr when one is set.
template <class Body>
PyObject* guarded(Body&& body) {
  try {
    return body();
  } catch (const ErrorSet&) {
    return nullptr;
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

void same_size(const Ref& a, const Ref& b, const char* what, const char* an, const char* bn) {
  if (PyArray_SIZE(a.array()) != PyArray_SIZE(b.array())) {
    raise(PyExc_ValueError, std::string(what) + ": " + an + " has " +
                                std::to_string(PyArray_SIZE(a.array())) + " elements and " + bn +
                                " " + std::to_string(PyArray_SIZE(b.array())) +
                                "; expected the same number");
  }
}

// ----- the kernels ----------------------------------------------------------------------------

PyObject* forward(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<3> names{{"spec", "x", "out"}};
    PyObject* a[3];
    parse_args("forward", args, nargs, kwnames, names, 2, a);
    const Activation act = activation_of(a[0], "rectify.forward");
    const Ref x = input_f32(a[1], "rectify.forward: x");
    const int nd = PyArray_NDIM(x.array());
    Ref y;
    if (width_factor(act) == 1) {
      y = output_f32(a[2], nd, PyArray_DIMS(x.array()), "rectify.forward");
    } else {  // crelu: the first axis doubles (a 0-d x gives 2 values)
      std::vector<npy_intp> dims = shape(x);
      if (dims.empty()) dims.push_back(1);
      dims[0] *= 2;
      y = output_f32(a[2], static_cast<int>(dims.size()), dims.data(), "rectify.forward");
    }
    {
      const ReleaseGil nogil(cspan(x).size());
      rectify::forward(act, cspan(x), span(y));
    }
    return y.release();
  });
}

PyObject* backward(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<4> names{{"spec", "x", "dy", "out"}};
    PyObject* a[4];
    parse_args("backward", args, nargs, kwnames, names, 3, a);
    const Activation act = activation_of(a[0], "rectify.backward");
    const Ref x = input_f32(a[1], "rectify.backward: x");
    const Ref dy = input_f32(a[2], "rectify.backward: dy");
    Ref dx = output_f32(a[3], PyArray_NDIM(x.array()), PyArray_DIMS(x.array()), "rectify.backward");
    {
      const ReleaseGil nogil(cspan(dy).size());
      rectify::backward(act, cspan(x), cspan(dy), span(dx));
    }
    return dx.release();
  });
}

PyObject* backward_from_output(PyObject*, PyObject* const* args, Py_ssize_t nargs,
                               PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<4> names{{"spec", "y", "dy", "out"}};
    PyObject* a[4];
    parse_args("backward_from_output", args, nargs, kwnames, names, 3, a);
    const Activation act = activation_of(a[0], "rectify.backward_from_output");
    const Ref y = input_f32(a[1], "rectify.backward_from_output: y");
    const Ref dy = input_f32(a[2], "rectify.backward_from_output: dy");
    same_size(y, dy, "rectify.backward_from_output", "y", "dy");
    Ref dx = output_f32(a[3], PyArray_NDIM(dy.array()), PyArray_DIMS(dy.array()),
                        "rectify.backward_from_output");
    {
      const ReleaseGil nogil(cspan(dy).size());
      rectify::backward_from_output(act, cspan(y), cspan(dy), span(dx));
    }
    return dx.release();
  });
}

PyObject* forward_with_mask(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<3> names{{"spec", "x", "out"}};
    PyObject* a[3];
    parse_args("forward_with_mask", args, nargs, kwnames, names, 2, a);
    const Activation act = activation_of(a[0], "rectify.forward_with_mask");
    const Ref x = input_f32(a[1], "rectify.forward_with_mask: x");
    Ref y = output_f32(a[2], PyArray_NDIM(x.array()), PyArray_DIMS(x.array()),
                       "rectify.forward_with_mask");
    Ref mask = new_u8(static_cast<npy_intp>(mask_bytes(cspan(x).size())));
    {
      const ReleaseGil nogil(cspan(x).size());
      rectify::forward_with_mask(act, cspan(x), span(y), span_u8(mask));
    }
    PyObject* pair = PyTuple_Pack(2, y.get(), mask.get());
    if (!pair) throw ErrorSet{};
    return pair;
  });
}

PyObject* backward_from_mask(PyObject*, PyObject* const* args, Py_ssize_t nargs,
                             PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<4> names{{"spec", "mask", "dy", "out"}};
    PyObject* a[4];
    parse_args("backward_from_mask", args, nargs, kwnames, names, 3, a);
    const Activation act = activation_of(a[0], "rectify.backward_from_mask");
    const Ref mask = input_u8(a[1], "rectify.backward_from_mask: mask");
    const Ref dy = input_f32(a[2], "rectify.backward_from_mask: dy");
    Ref dx = output_f32(a[3], PyArray_NDIM(dy.array()), PyArray_DIMS(dy.array()),
                        "rectify.backward_from_mask");
    {
      const ReleaseGil nogil(cspan(dy).size());
      rectify::backward_from_mask(act, cspan_u8(mask), cspan(dy), span(dx));
    }
    return dx.release();
  });
}

// ----- channel-axis functions: prelu with learned slopes, crelu ---------------------------------

// x's shape seen as (outer, channels, inner) around `axis` (negative counts from the end; None:
// 1, or 0 for a 1-D array, as PyTorch's PReLU).
ChannelLayout layout_of(const Ref& x, PyObject* axis, const char* what, int* axis_out) {
  const int nd = PyArray_NDIM(x.array());
  if (nd == 0) raise(PyExc_ValueError, std::string(what) + ": x is 0-d; it needs a channel axis");
  long ax = nd >= 2 ? 1 : 0;
  if (axis && axis != Py_None) {
    ax = PyLong_AsLong(axis);
    if (ax == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      raise(PyExc_TypeError, std::string(what) + ": axis must be an int");
    }
  }
  if (ax < -nd || ax >= nd) {
    raise(PyExc_ValueError, std::string(what) + ": axis " + std::to_string(ax) +
                                " is out of bounds for an array of dimension " +
                                std::to_string(nd));
  }
  if (ax < 0) ax += nd;
  const npy_intp* d = PyArray_DIMS(x.array());
  ChannelLayout l;
  for (long i = 0; i < ax; ++i) l.outer *= static_cast<std::size_t>(d[i]);
  l.channels = static_cast<std::size_t>(d[ax]);
  for (long i = ax + 1; i < nd; ++i) l.inner *= static_cast<std::size_t>(d[i]);
  *axis_out = static_cast<int>(ax);
  return l;
}

PyObject* prelu_forward(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<4> names{{"x", "slopes", "axis", "out"}};
    PyObject* a[4];
    parse_args("prelu_forward", args, nargs, kwnames, names, 2, a);
    const Ref x = input_f32(a[0], "rectify.prelu_forward: x");
    const Ref slopes = input_f32(a[1], "rectify.prelu_forward: slopes");
    int ax = 0;
    const ChannelLayout l = layout_of(x, a[2], "rectify.prelu_forward", &ax);
    Ref y =
        output_f32(a[3], PyArray_NDIM(x.array()), PyArray_DIMS(x.array()), "rectify.prelu_forward");
    {
      const ReleaseGil nogil(cspan(x).size());
      rectify::prelu_forward(cspan(x), cspan(slopes), l, span(y));
    }
    return y.release();
  });
}

PyObject* prelu_backward(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<6> names{{"x", "slopes", "dy", "axis", "out", "dslopes"}};
    PyObject* a[6];
    parse_args("prelu_backward", args, nargs, kwnames, names, 3, a);
    const Ref x = input_f32(a[0], "rectify.prelu_backward: x");
    const Ref slopes = input_f32(a[1], "rectify.prelu_backward: slopes");
    const Ref dy = input_f32(a[2], "rectify.prelu_backward: dy");
    int ax = 0;
    const ChannelLayout l = layout_of(x, a[3], "rectify.prelu_backward", &ax);
    Ref dx = output_f32(a[4], PyArray_NDIM(x.array()), PyArray_DIMS(x.array()),
                        "rectify.prelu_backward");
    Ref ds = output_f32(a[5], PyArray_NDIM(slopes.array()), PyArray_DIMS(slopes.array()),
                        "rectify.prelu_backward (dslopes)");
    {
      const ReleaseGil nogil(cspan(x).size());
      rectify::prelu_backward(cspan(x), cspan(slopes), cspan(dy), l, span(dx), span(ds));
    }
    PyObject* pair = PyTuple_Pack(2, dx.get(), ds.get());
    if (!pair) throw ErrorSet{};
    return pair;
  });
}

PyObject* crelu(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<3> names{{"x", "axis", "out"}};
    PyObject* a[3];
    parse_args("crelu", args, nargs, kwnames, names, 1, a);
    const Ref x = input_f32(a[0], "rectify.crelu: x");
    int ax = 0;
    const ChannelLayout l = layout_of(x, a[1], "rectify.crelu", &ax);
    std::vector<npy_intp> dims = shape(x);
    dims[static_cast<std::size_t>(ax)] *= 2;
    Ref y = output_f32(a[2], static_cast<int>(dims.size()), dims.data(), "rectify.crelu");
    {
      const ReleaseGil nogil(cspan(x).size());
      rectify::crelu_forward(cspan(x), l, span(y));
    }
    return y.release();
  });
}

PyObject* crelu_backward(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<4> names{{"x", "dy", "axis", "out"}};
    PyObject* a[4];
    parse_args("crelu_backward", args, nargs, kwnames, names, 2, a);
    const Ref x = input_f32(a[0], "rectify.crelu_backward: x");
    const Ref dy = input_f32(a[1], "rectify.crelu_backward: dy");
    int ax = 0;
    const ChannelLayout l = layout_of(x, a[2], "rectify.crelu_backward", &ax);
    Ref dx = output_f32(a[3], PyArray_NDIM(x.array()), PyArray_DIMS(x.array()),
                        "rectify.crelu_backward");
    {
      const ReleaseGil nogil(cspan(x).size());
      rectify::crelu_backward(cspan(x), cspan(dy), l, span(dx));
    }
    return dx.release();
  });
}

// (count, zeros, sum, sum of squares) of an array in one SIMD pass: what the C++ diagnostics
// take of every output block. rectify.torch.watch uses it.
PyObject* value_stats(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&]() -> PyObject* {
    static Signature<1> names{{"x"}};
    PyObject* a[1];
    parse_args("value_stats", args, nargs, kwnames, names, 1, a);
    const Ref x = input_f32(a[0], "rectify.value_stats: x");
    ValueStats s;
    {
      const ReleaseGil nogil(cspan(x).size());
      s = rectify::value_stats(cspan(x));
    }
    return Py_BuildValue("(KKdd)", static_cast<unsigned long long>(s.count),
                         static_cast<unsigned long long>(s.zeros), s.sum, s.sum_sq);
  });
}

#define RECTIFY_FASTCALL(name, doc)                                               \
  {                                                                               \
#name, reinterpret_cast < PyCFunction>(reinterpret_cast <void (*)()>(&name)), \
        METH_FASTCALL | METH_KEYWORDS, doc                                        \
  }

PyMethodDef kernel_methods[] = {
    RECTIFY_FASTCALL(forward, "forward(spec, x, out=None): y = f(x)"),
    RECTIFY_FASTCALL(backward, "backward(spec, x, dy, out=None): dx = dy * f'(x)"),
    RECTIFY_FASTCALL(backward_from_output,
                     "backward_from_output(spec, y, dy, out=None): dx from y = f(x)"),
    RECTIFY_FASTCALL(forward_with_mask,
                     "forward_with_mask(spec, x, out=None) -> (y, mask): the 1-bit mask, uint8"),
    RECTIFY_FASTCALL(backward_from_mask,
                     "backward_from_mask(spec, mask, dy, out=None): dx from the 1-bit mask"),
    RECTIFY_FASTCALL(prelu_forward, "prelu_forward(x, slopes, axis=None, out=None)"),
    RECTIFY_FASTCALL(prelu_backward,
                     "prelu_backward(x, slopes, dy, axis=None, out=None, dslopes=None) -> "
                     "(dx, dslopes)"),
    RECTIFY_FASTCALL(crelu, "crelu(x, axis=None, out=None): [relu(x), relu(-x)] along axis"),
    RECTIFY_FASTCALL(crelu_backward, "crelu_backward(x, dy, axis=None, out=None)"),
    RECTIFY_FASTCALL(value_stats, "value_stats(x) -> (count, zeros, sum, sum_sq)"),
    {nullptr, nullptr, 0, nullptr}};

#undef RECTIFY_FASTCALL

// ----- metadata ---------------------------------------------------------------------------------

pyb::dict param_dict(const ParamInfo& p) {
  pyb::dict d;
  d["name"] = std::string(p.name);
  d["default"] = p.default_value;
  d["min"] = p.min;
  d["max"] = p.max;
  d["min_open"] = p.min_open;
  d["max_open"] = p.max_open;
  d["range"] = p.range_text();
  d["doc"] = std::string(p.doc);
  return d;
}

// A registry row as a dict, with the keys of `rectify list --json` where it has them; `a`
// decides the fields that depend on the parameters. One line per field.
pyb::dict info_dict(const FunctionInfo& f, const Activation& a) {
  pyb::dict d;
  d["name"] = std::string(f.name);
  d["formula"] = std::string(f.formula);
  d["derivative"] = std::string(f.derivative);
  pyb::list params;
  for (const auto& p : f.params) params.append(param_dict(p));
  d["params"] = params;
  d["exact"] = f.exact;
  d["max_ulp_forward"] = f.max_ulp_forward;
  d["max_ulp_backward"] = f.max_ulp_backward;
  d["backward_from_output"] = f.backward_from_output(a);
  d["mask"] = f.mask(a);
  d["init"] = std::string(init_name(f.default_init));
  d["root_window"] = f.root_window;
  d["outputs_per_input"] = width_factor(a);
  d["learned_slopes"] = f.layer.kind == LayerKind::learned_slope;
  d["layer_kind"] = std::string(layer_kind_name(f.layer.kind));
  d["he_gain"] = he_gain(a);
  d["alpha_dropout"] = f.layer.alpha_dropout;
  pyb::list specs;
  for (const auto& spec : f.test_specs) specs.append(std::string(spec));
  d["test_specs"] = specs;
  const auto text = [](std::string_view s) {  // "" where the peer has none: None
    return s.empty() ? pyb::object(pyb::none()) : pyb::object(pyb::str(std::string(s)));
  };
  pyb::dict peers;
  peers["torch"] = text(f.peers.torch);
  peers["torch_differs"] = text(f.peers.torch_differs);
  peers["onednn"] = text(f.peers.onednn);
  peers["onednn_alpha"] = std::string(f.peers.onednn_alpha);
  peers["onednn_beta"] = std::string(f.peers.onednn_beta);
  d["peers"] = peers;
  return d;
}

Activation parse_or_copy(const pyb::handle& spec) {
  return parse_spec_object(spec.ptr(), "rectify.Activation");
}

// ----- data and checkpoints ---------------------------------------------------------------------

// A numpy array that owns `v` (moved, not copied).
template <class T>
pyb::array owning_array(std::vector<T>&& v, std::vector<pyb::ssize_t> shape) {
  auto* heap = new std::vector<T>(std::move(v));
  pyb::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return pyb::array_t<T>(shape, heap->data(), owner);
}

pyb::tuple dataset_tuple(data::Dataset&& d, const std::string& source) {
  const auto n = static_cast<pyb::ssize_t>(d.count);
  auto images = owning_array(std::move(d.images), {n, static_cast<pyb::ssize_t>(d.rows),
                                                   static_cast<pyb::ssize_t>(d.cols)});
  auto labels = owning_array(std::move(d.labels), {n});
  return pyb::make_tuple(images, labels, source);
}

std::string split_name(const std::string& split) {
  if (split == "train") return "train";
  if (split == "test" || split == "t10k") return "t10k";
  throw std::invalid_argument("fashion_mnist: split '" + split +
                              "' is unknown; expected 'train' or 'test' (or 't10k')");
}

pyb::tuple load_split(const std::string& split, const std::optional<std::string>& path) {
  const std::string s = split_name(split);
  std::string source;
  data::Dataset d;
  {
    pyb::gil_scoped_release nogil;
    if (path) {
      d = data::load_split(*path, s);
      source = *path;
    } else if (std::filesystem::is_directory(data::kDebianFashionMnistDir)) {
      source = std::string(data::kDebianFashionMnistDir);
      d = data::load_split(source, s);
    } else {
      auto sample = data::load_fashion_mnist_sample();
      d = s == "train" ? std::move(sample.train) : std::move(sample.test);
      source = sample.source;
    }
  }
  return dataset_tuple(std::move(d), source);
}

// Reads a rectify checkpoint and checks it as `rectify train --resume` does: the file's layout,
// the run's options, and every tensor against the model and optimizer those options build.
pyb::tuple load_checkpoint(const std::string& path) {
  train::SafetensorsFile file;
  {
    pyb::gil_scoped_release nogil;
    file = train::load_safetensors(path);
    const train::RunState run = train::read_run_state(file, path);
    const train::TrainOptions& o = run.options;
    std::mt19937_64 rng(o.seed);
    nn::Sequential model = train::make_model(o.model, Activation::parse(o.activation), rng,
                                             o.identity_init, o.dropout);
    auto optimizer = train::make_optimizer(o.optimizer, o.lr, o.momentum, o.weight_decay);
    train::restore_checkpoint(file, path, model.params(), *optimizer);
  }
  pyb::dict tensors;
  for (auto& [name, t] : file.tensors) {
    std::vector<pyb::ssize_t> shape(t.shape.begin(), t.shape.end());
    tensors[pyb::str(name)] = owning_array(std::move(t.data), shape);
  }
  pyb::dict metadata;
  for (const auto& [k, v] : file.metadata) metadata[pyb::str(k)] = v;
  return pyb::make_tuple(tensors, metadata);
}

// One line of `rectify train --json-log`, written by the trainer's own code.
std::string epoch_json(pyb::dict m) {
  train::EpochMetrics e;
  auto number = [&](const char* key) {
    return m.contains(key) && !m[key].is_none() ? m[key].cast<double>()
                                                : std::numeric_limits<double>::quiet_NaN();
  };
  e.epoch = m["epoch"].cast<int>();
  e.train_loss = number("train_loss");
  e.train_acc = number("train_acc");
  e.test_loss = number("test_loss");
  e.test_acc = number("test_acc");
  e.seconds = number("seconds");
  e.images_per_s = number("images_per_s");
  if (m.contains("layers")) {
    for (const auto& item : m["layers"]) {
      const auto l = item.cast<pyb::dict>();
      diag::LayerStats s;
      s.layer = l["name"].cast<std::string>();
      s.units = l["units"].cast<std::size_t>();
      s.dead = l["dead"].cast<std::size_t>();
      s.died = l["died"].cast<std::size_t>();
      s.revived = l["revived"].cast<std::size_t>();
      s.sparsity = l["sparsity"].cast<double>();
      s.mean = l["mean"].cast<double>();
      s.stddev = l["std"].cast<double>();
      s.grad_norm = l["grad_norm"].cast<double>();
      e.layers.push_back(std::move(s));
    }
  }
  return train::to_json(e);
}

}  // namespace
}  // namespace rectify::py

PYBIND11_MODULE(_rectify, m) {
  using namespace rectify;
  using namespace rectify::py;
  if (_import_array() < 0) throw pyb::error_already_set();

  m.attr("__version__") = RECTIFY_VERSION;
  pyb::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ErrorSet&) {
      // the Python error is already set
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  // A data file or a checkpoint that is missing, unreadable or malformed: ValueError's subclasses.
  pyb::register_exception<data::FormatError>(m, "FormatError", PyExc_ValueError);
  pyb::register_exception<train::CheckpointError>(m, "CheckpointError", PyExc_ValueError);

  pyb::class_<Activation>(m, "Activation",
                          "An activation function with validated parameters, from a spec such "
                          "as 'relu', 'leaky_relu:0.2' or 'elu:alpha=0.5'.")
      .def(pyb::init([](const pyb::handle& spec) { return parse_or_copy(spec); }),
           pyb::arg("spec") = "relu")
      .def_static(
          "parse", [](std::string_view spec) { return Activation::parse(spec); }, pyb::arg("spec"))
      .def_property_readonly("name", [](const Activation& a) { return std::string(a.name()); })
      .def_property_readonly(
          "params",
          [](const Activation& a) {
            pyb::dict d;
            const auto& f = info(a.fn());
            for (std::size_t i = 0; i < f.params.size(); ++i) {
              d[pyb::str(std::string(f.params[i].name))] = a.param(i);
            }
            return d;
          },
          "The parameters' values by name, in the registry's order.")
      .def(
          "param", [](const Activation& a, std::string_view name) { return a.param(name); },
          pyb::arg("name"))
      .def_property_readonly(
          "metadata", [](const Activation& a) { return info_dict(info(a.fn()), a); },
          "The registry's row, with what depends on the parameters decided.")
      .def_property_readonly("has_backward_from_output", &Activation::has_backward_from_output)
      .def_property_readonly("has_mask", &Activation::has_mask)
      .def("__str__", &Activation::to_string)
      .def("__repr__",
           [](const Activation& a) { return "rectify.Activation('" + a.to_string() + "')"; })
      .def("__eq__",
           [](const Activation& a, const pyb::object& o) {
             pyb::detail::make_caster<Activation> c;
             return c.load(o, false) && a == pyb::detail::cast_op<const Activation&>(c);
           })
      .def("__hash__", [](const Activation& a) { return pyb::hash(pyb::str(a.to_string())); })
      .def(pyb::pickle([](const Activation& a) { return a.to_string(); },
                       [](const std::string& s) { return Activation::parse(s); }));

  m.def(
      "functions",
      [] {
        pyb::list names;
        for (const auto& f : registry()) names.append(std::string(f.name));
        return names;
      },
      "The name of every function in the registry, in its order.");
  m.def(
      "info",
      [](const pyb::handle& spec) {
        const Activation a = parse_or_copy(spec);
        return info_dict(info(a.fn()), a);
      },
      pyb::arg("spec"), "The registry's row of a function (name or spec) as a dict.");
  m.def(
      "props",
      [](const pyb::handle& spec, bool timing) {
        const Activation a = parse_or_copy(spec);
        const PropertyOptions options{.cost = timing ? timing::cost_probe() : nullptr};
        std::string text;
        {
          pyb::gil_scoped_release nogil;
          text = cli::to_json(measure_properties(a, options)).dump();
        }
        return pyb::module_::import("json").attr("loads")(text);
      },
      pyb::arg("spec"), pyb::arg("timing") = true,
      "The properties `rectify props --json` prints, as a dict (timing=False: --no-timing).");
  m.def("mask_bytes", &mask_bytes, pyb::arg("n"));
  m.def("set_num_threads", &set_num_threads, pyb::arg("n"),
        "Threads of rectify's pool; n < 1 restores the default (OMP_NUM_THREADS, else the cores).");
  m.def("num_threads", &num_threads);
  m.def("simd_target", &simd::current_target, "The SIMD target the kernels run on, e.g. 'AVX2'.");
  m.def("simd_targets", &simd::available_targets,
        "Every compiled target this CPU runs, best first.");
  m.def(
      "set_simd_target",
      [](const std::optional<std::string>& name) {
        if (name) {
          simd::force_target(*name);
        } else {
          simd::reset_target();
        }
      },
      pyb::arg("name"), "Pins the kernels to one of simd_targets(); None: back to the best.");

  m.def("_load_split", &load_split, pyb::arg("split"), pyb::arg("path") = pyb::none());
  m.def("_load_checkpoint", &load_checkpoint, pyb::arg("path"));
  m.def("_epoch_json", &epoch_json, pyb::arg("metrics"));

  if (PyModule_AddFunctions(m.ptr(), kernel_methods) < 0) throw pyb::error_already_set();
}
