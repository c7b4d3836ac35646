"""rectify: the rectified-linear family of activation functions, for numpy and PyTorch.

The kernels are the C++ library's own (SIMD, runtime dispatch, OpenMP), named as in C++::

    import numpy as np, rectify
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    y = rectify.forward("elu:alpha=0.5", x)           # a new float32 array
    rectify.forward("relu", x, out=x)                 # in place
    dx = rectify.backward("elu:alpha=0.5", x, np.ones_like(x))
    y, mask = rectify.forward_with_mask("relu", x)    # the 1-bit mask, packed into uint8
    dx = rectify.backward_from_mask("relu", mask, np.ones_like(x))

Arrays. Any shape; the result has the input's shape (crelu through ``forward`` doubles the first
axis; ``crelu(x, axis)`` doubles ``axis``). A C-contiguous, aligned, native float32 array is used
as it is, without a copy. Any other array or array-like whose dtype numpy casts to float32 under
the "same_kind" rule (float64, float16, integers, bool; strided views, byte-swapped float32) is
first converted into a new float32 array: a copy, and the result is float32. Other dtypes
(complex, object, strings) are a ``TypeError`` saying what was expected. ``out=`` is never
converted: it must be a float32 ndarray, C-contiguous, aligned, writable, of the result's shape
(``TypeError`` for the type or dtype, ``ValueError`` otherwise), and may be the input itself (in
place); a partial overlap of input and output is a ``ValueError``. Calls on 4096 elements or
more release the GIL while the kernel runs (below that a kernel takes less time than releasing
and retaking it).

Errors. The C++ library's ``std::invalid_argument`` (a bad spec, a pass the function does not
have, sizes that do not match) is a ``ValueError`` with the same message. A malformed data file
is ``rectify.FormatError``, a malformed checkpoint ``rectify.CheckpointError``, both ValueErrors.

A function is named by a spec, ``name``, ``name:v1,v2`` or ``name:p=v,q=w``, or by an
``Activation``; ``functions()`` lists the registry's names, ``info(spec)`` a registry row.
"""

from ._rectify import (
    Activation,
    CheckpointError,
    FormatError,
    __version__,
    backward,
    backward_from_mask,
    backward_from_output,
    crelu,
    crelu_backward,
    forward,
    forward_with_mask,
    functions,
    info,
    mask_bytes,
    num_threads,
    prelu_backward,
    prelu_forward,
    props,
    simd_target,
    simd_targets,
    value_stats,
)
from . import _rectify
from . import data
from .checkpoint import load_checkpoint

# Other copies of the C++ library in this process (rectify.torch's operator links its own), which
# take the same settings: (set_num_threads, set_simd_target) of each, and the settings so far.
_library_copies = []
_settings = {"threads": 0, "target": None}


def set_num_threads(n):
    """Threads of rectify's pool; n < 1 restores the default (OMP_NUM_THREADS, else the cores).
    Applies to every rectify kernel in the process, rectify.torch's included."""
    _rectify.set_num_threads(n)
    _settings["threads"] = n
    for set_threads, _ in _library_copies:
        set_threads(n)


def set_simd_target(name):
    """Pins the kernels to one of simd_targets(); None: back to the best. Applies to every
    rectify kernel in the process, rectify.torch's included."""
    _rectify.set_simd_target(name)
    _settings["target"] = name
    for _, set_target in _library_copies:
        set_target(name)


def _follow_settings(set_threads, set_target):
    """Registers another copy of the library: it takes the settings made so far and later ones."""
    set_threads(_settings["threads"])
    set_target(_settings["target"])
    _library_copies.append((set_threads, set_target))


__all__ = [
    "Activation",
    "CheckpointError",
    "FormatError",
    "__version__",
    "backward",
    "backward_from_mask",
    "backward_from_output",
    "crelu",
    "crelu_backward",
    "data",
    "forward",
    "forward_with_mask",
    "functions",
    "info",
    "load_checkpoint",
    "mask_bytes",
    "num_threads",
    "prelu_backward",
    "prelu_forward",
    "props",
    "set_num_threads",
    "set_simd_target",
    "simd_target",
    "simd_targets",
    "value_stats",
]
