"""rectify for PyTorch: an activation module on rectify's kernels, and ``watch`` for the lab's
diagnostics on any model. Importable only where PyTorch is (Debian's python3-torch).

``Activation(spec)`` is an ``nn.Module``: forward and backward run rectify's C++ kernels on the
tensors' own memory (CPU, float32; no copy for contiguous tensors), through a PyTorch operator
with its autograd in C++ (``torch.ops.rectify.activation``, built where Debian's libtorch-dev is
installed; elsewhere a Python ``autograd.Function`` does the same). Backward uses what the
registry says the function allows, in this order: the 1-bit mask (relu, leaky_relu, relu6,
keras_relu: 1 bit per element is kept between forward and backward, not the tensor), the output
(elu, selu, celu, sigmoid, tanh), else the input. ``prelu`` learns its slopes (``num_parameters``
as ``nn.PReLU``); ``crelu`` doubles the channel axis (dim 1, or 0 for a 1-D input).

``watch(model)`` attaches to every activation module of a model (PyTorch's and rectify's) and
reports, per epoch, what ``rectify train`` reports, by the same definitions (README, "The lab")::

    w = rectify.torch.watch(model, log="run.jsonl")   # JSON lines for `rectify plot --log`
    for epoch in range(1, epochs + 1):
        ...train...
        report = w.end_epoch(epoch=epoch, train_loss=..., test_acc=...)
        print(report.layers[0].dead)
"""

import json
import math
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover (the tests skip where PyTorch is absent)
    raise ImportError("rectify.torch needs PyTorch: Debian's python3-torch, which "
                      "scripts/setup.sh installs") from e

from . import _follow_settings
from . import _rectify as _r

__all__ = ["Activation", "watch", "Watch", "LayerStats", "EpochReport", "TORCH_MODULES"]


def _load_ops():
    """torch.ops.rectify where the C++ operator was built beside this file, else None."""
    library = Path(__file__).with_name("_torch_ops.so")
    if not library.exists():
        return None
    try:
        torch.ops.load_library(str(library))
    except (OSError, RuntimeError) as e:  # built against another PyTorch
        warnings.warn(f"rectify.torch: {library} does not load ({e}); using the Python "
                      "autograd.Function instead")
        return None
    return torch.ops.rectify


_ops = _load_ops()
if _ops is not None:  # its copy of the library takes the package's thread count and SIMD target
    _follow_settings(_ops.set_num_threads, lambda name: _ops.set_simd_target(name or ""))
_SAVED_CODES = {"mask": 0, "output": 1, "input": 2}  # as torch_ops.cpp numbers them
_op_ids = {}  # spec -> the operator's index for it, in this process


def _op_id(activation):
    spec = str(activation)
    index = _op_ids.get(spec)
    if index is None:
        index = _op_ids[spec] = _ops.register_activation(spec)
    return index


def _check_tensor(t, what):
    if type(t) is torch.Tensor and t.dtype is torch.float32 and t.is_cpu:
        return  # the common case, checked cheaply
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{what}: expected a torch.Tensor, got {type(t).__name__}")
    if not t.is_cpu or t.dtype != torch.float32:
        raise TypeError(f"{what}: rectify's kernels run on CPU float32 tensors; got {t.dtype} on "
                        f"{t.device} (convert with .float().cpu())")


def _np(t):
    """A numpy view of a CPU float32 tensor's memory (a contiguous copy when it is strided)."""
    if not t.is_contiguous():
        t = t.contiguous()
    return t.detach().numpy()


def _first_order_only():
    # Backward runs rectify's kernels, which autograd cannot differentiate: a graph of the
    # gradient (create_graph=True, double backward) would be silently wrong, so it is refused.
    if torch.is_grad_enabled():
        raise RuntimeError("rectify.torch: the backward pass is not differentiable (double "
                           "backward, create_graph=True); use PyTorch's module for that")


class _Elementwise(torch.autograd.Function):
    """y = f(x) on rectify's kernels; backward from the mask, the output or the input."""

    @staticmethod
    def forward(ctx, x, act, saved):
        if not x.is_contiguous():
            x = x.contiguous()
        y = torch.empty_like(x)
        if saved == "mask":
            _, ctx.mask = _r.forward_with_mask(act, x.detach().numpy(), y.numpy())
        else:
            _r.forward(act, x.detach().numpy(), y.numpy())
            ctx.save_for_backward(y if saved == "output" else x)
        ctx.act, ctx.saved = act, saved
        return y

    @staticmethod
    def backward(ctx, dy):
        _first_order_only()
        dyn = _np(dy)
        dx = torch.empty_like(dy, memory_format=torch.contiguous_format)
        if ctx.saved == "mask":
            _r.backward_from_mask(ctx.act, ctx.mask, dyn, dx.numpy())
        elif ctx.saved == "output":
            (y,) = ctx.saved_tensors
            _r.backward_from_output(ctx.act, y.detach().numpy(), dyn, dx.numpy())
        else:
            (x,) = ctx.saved_tensors
            _r.backward(ctx.act, x.detach().numpy(), dyn, dx.numpy())
        return dx, None, None


class _PRelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, slopes, axis):
        x = x.contiguous()
        y = torch.empty_like(x, memory_format=torch.contiguous_format)
        _r.prelu_forward(x.detach().numpy(), _np(slopes), axis=axis, out=y.numpy())
        ctx.save_for_backward(x, slopes)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, dy):
        _first_order_only()
        x, slopes = ctx.saved_tensors
        dx = torch.empty(x.shape, dtype=torch.float32)
        ds = torch.empty(slopes.shape, dtype=torch.float32)
        _r.prelu_backward(x.detach().numpy(), _np(slopes), _np(dy), axis=ctx.axis,
                          out=dx.numpy(), dslopes=ds.numpy())
        return dx, ds, None


class _CRelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, axis):
        x = x.contiguous()
        shape = list(x.shape)
        shape[axis] *= 2
        y = torch.empty(shape, dtype=torch.float32)
        _r.crelu(x.detach().numpy(), axis=axis, out=y.numpy())
        ctx.save_for_backward(x)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, dy):
        _first_order_only()
        (x,) = ctx.saved_tensors
        dx = torch.empty(x.shape, dtype=torch.float32)
        _r.crelu_backward(x.detach().numpy(), _np(dy), axis=ctx.axis, out=dx.numpy())
        return dx, None


def _channel_axis(x):
    return 1 if x.dim() >= 2 else 0  # as nn.PReLU: dim 1, or 0 for an unbatched 1-D input


class Activation(nn.Module):
    """An activation function from rectify's registry as a PyTorch module.

    ``spec`` is a rectify spec ("relu", "leaky_relu:0.2", "elu:alpha=0.5") or a
    ``rectify.Activation``. Input: a CPU float32 tensor of any shape (a ``TypeError`` otherwise).
    For a function with learned slopes (prelu), ``num_parameters`` slopes (1, or the channels of
    dim 1) start at the spec's ``init``.
    """

    def __init__(self, spec="relu", num_parameters=1):
        super().__init__()
        self.activation = spec if isinstance(spec, _r.Activation) else _r.Activation(spec)
        self._what = f"rectify.torch.Activation('{self.activation}')"
        meta = self.activation.metadata
        self._learned = meta["learned_slopes"]
        self._doubles = meta["outputs_per_input"] > 1
        if meta["mask"]:
            self._saved = "mask"
        elif meta["backward_from_output"]:
            self._saved = "output"
        else:
            self._saved = "input"
        if self._learned:
            init = next(iter(self.activation.params.values()))
            self.weight = nn.Parameter(torch.full((num_parameters,), float(init)))
        elif num_parameters != 1:
            raise ValueError(f"rectify.torch.Activation: {self.activation} learns no slopes; "
                             f"num_parameters must be 1, got {num_parameters}")

    def forward(self, x):
        _check_tensor(x, self._what)
        if self._learned:
            return _PRelu.apply(x, self.weight, _channel_axis(x))
        if self._doubles:
            return _CRelu.apply(x, _channel_axis(x))
        if _ops is not None:
            return _ops.activation(x, _op_id(self.activation), _SAVED_CODES[self._saved])
        return _Elementwise.apply(x, self.activation, self._saved)

    def extra_repr(self):
        extra = f", num_parameters={self.weight.numel()}" if self._learned else ""
        return f"'{self.activation}'{extra}"


# PyTorch's activation modules as rectify specs, from each module's own parameters. (Which
# PyTorch module is which function; the registry decides everything else, and a spec it does not
# know is an error when watch() meets the module.)
TORCH_MODULES = {
    nn.ReLU: lambda m: "relu",
    nn.LeakyReLU: lambda m: f"leaky_relu:negative_slope={m.negative_slope!r}",
    nn.ELU: lambda m: f"elu:alpha={m.alpha!r}",
    nn.SELU: lambda m: "selu",
    nn.CELU: lambda m: f"celu:alpha={m.alpha!r}",
    nn.ReLU6: lambda m: "relu6",
    nn.PReLU: lambda m: "prelu",
    nn.GELU: lambda m: "gelu_tanh" if getattr(m, "approximate", "none") == "tanh" else "gelu_erf",
    nn.SiLU: lambda m: "silu",
    nn.Tanh: lambda m: "tanh",
    nn.Sigmoid: lambda m: "sigmoid",
    nn.Softplus: lambda m: f"softplus:beta={float(m.beta)!r},threshold={float(m.threshold)!r}",
    nn.Mish: lambda m: "mish",
    nn.Hardswish: lambda m: "hardswish",
}


@dataclass
class LayerStats:
    """One activation layer over one epoch; the fields of ``rectify train --json-log``."""
    name: str
    units: int
    dead: int
    dead_fraction: float
    died: int
    revived: int
    sparsity: float
    mean: float
    std: float
    grad_norm: float


@dataclass
class EpochReport:
    epoch: int
    layers: list
    metrics: dict = field(default_factory=dict)

    def to_dict(self):
        d = {"epoch": self.epoch, **self.metrics}
        d["layers"] = [asdict(layer) for layer in self.layers]
        return d

    def to_json(self):
        """The line ``rectify train --json-log`` writes, by the trainer's own C++ code."""
        return _r._epoch_json(self.to_dict())


class _Probe:
    """What rectify's C++ ActivationProbe keeps for one layer, by the same definitions.

    Dead unit: f'(z) = 0 for every training example of the epoch. As the C++ probe does, it is
    read from f'(z) itself where the function has a flat region and a 1-bit mask (relu, relu6,
    leaky_relu and keras_relu with a zero slope: rectify's backward kernel with dy = 1 gives the
    mask's bits), otherwise from dz = f'(z) dy in backward (rectify's backward kernel on the
    gradient that reached the module's output; dz = 0 where dy != 0 means f'(z) = 0). Sparsity,
    mean and std: of the outputs, by rectify's value_stats (the C++ probe's own pass). grad_norm:
    the L2 norm of the gradient at the output per batch, root mean square over the epoch's
    batches. A unit seen alive is not looked at again in the epoch.
    """

    def __init__(self, name, module, flat, gradient_at_input, unit_axis):
        self.name, self.module, self.unit_axis = name, module, unit_axis
        self.flat = flat
        self.gradient_at_input = gradient_at_input  # (z, dy) -> dz, numpy float32
        self.units = None
        self.alive = self.was_dead = None
        self.first_epoch = True
        self._z = None
        self._ones = np.ones(0, dtype=np.float32)
        self._reset()

    def _reset(self):
        self.count = self.zeros = 0
        self.sum = self.sum_sq = 0.0
        self.grad_sq = 0.0
        self.batches = 0
        if self.alive is not None:
            self.alive[:] = False

    def active(self):
        return self.module.training and torch.is_grad_enabled()

    def _layout(self, shape):
        if len(shape) <= 1:
            return 1, (shape[0] if shape else 1), 1
        axis = self.unit_axis % len(shape)
        return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])

    def _ones_like(self, n):
        if self._ones.size < n:
            self._ones = np.ones(n, dtype=np.float32)
        return self._ones[:n]

    def _mark_alive(self, g, shape):
        outer, units, inner = self._layout(shape)
        self.alive |= (g.reshape(outer, units, inner) != 0).any(axis=(0, 2))  # NaN is alive

    def pre_forward(self, module, inputs):
        self._z = None
        if not self.active() or not inputs or not isinstance(inputs[0], torch.Tensor):
            return
        z = inputs[0]
        _, units, _ = self._layout(tuple(z.shape))
        if units != self.units:  # a new layout starts over, as the C++ probe does
            self.units = units
            self.alive = np.zeros(units, dtype=bool)
            self.was_dead = np.zeros(units, dtype=bool)
            self.first_epoch = True
        if self.alive.all():
            return
        zn = _np(z.detach().float().cpu())
        if self.flat:  # f'(z) from the forward side (the mask's bits), of the pending units only
            outer, units, inner = self._layout(zn.shape)
            pending = np.flatnonzero(~self.alive)
            z3 = zn.reshape(outer, units, inner)
            if len(pending) < units:
                z3 = np.ascontiguousarray(z3[:, pending, :])
            g = self.gradient_at_input(z3, self._ones_like(z3.size).reshape(z3.shape))
            self.alive[pending] |= (g != 0).any(axis=(0, 2))  # NaN is alive
        else:  # kept for backward (a copy where the module writes over its input)
            self._z = zn.copy() if getattr(module, "inplace", False) else zn

    def post_forward(self, module, inputs, output):
        if not self.active() or not isinstance(output, torch.Tensor):
            return
        count, zeros, s, sq = _r.value_stats(_np(output.detach().float().cpu()))
        self.count += count
        self.zeros += zeros
        self.sum += s
        self.sum_sq += sq
        if output.requires_grad:
            z, self._z = self._z, None
            output.register_hook(lambda dy: self.gradient(dy, z))

    def gradient(self, dy, z):
        dyn = _np(dy.detach().float().cpu())
        self.grad_sq += _r.value_stats(dyn)[3]
        self.batches += 1
        if z is not None and not self.alive.all():
            self._mark_alive(self.gradient_at_input(z, dyn), z.shape)

    def end_epoch(self):
        observed = self.count > 0
        units = self.units or 0
        dead = died = revived = 0
        if observed and self.alive is not None:
            dead_now = ~self.alive
            dead = int(dead_now.sum())
            if not self.first_epoch:
                died = int((dead_now & ~self.was_dead).sum())
                revived = int((~dead_now & self.was_dead).sum())
            self.was_dead = dead_now.copy()
        mean = self.sum / self.count if self.count else 0.0
        var = self.sum_sq / self.count - mean * mean if self.count else 0.0
        stats = LayerStats(
            name=self.name, units=units, dead=dead, dead_fraction=dead / units if units else 0.0,
            died=died, revived=revived,
            sparsity=self.zeros / self.count if self.count else 0.0, mean=mean,
            std=math.sqrt(var) if var > 0 else 0.0,
            grad_norm=math.sqrt(self.grad_sq / self.batches) if self.batches else 0.0)
        if observed:
            self.first_epoch = False
        self._reset()
        return stats


def _is_flat(act):
    """A 1-bit mask whose clear bits mean f' = 0 (relu, relu6, zero-slope leaky and keras relu):
    the gradient below every threshold, at -inf, is then 0."""
    return act.has_mask and float(_r.backward(act, np.float32(-np.inf), np.float32(1))) == 0


def _spec_gradient(act):
    """dz = f'(z) dy by rectify's backward kernel (crelu: dy covers both halves)."""
    k = act.metadata["outputs_per_input"]

    def gradient_at_input(z, dy):
        if k > 1 and dy.size != k * z.size:
            dy = np.concatenate([dy.ravel()] * k)
        return _r.backward(act, z, dy)
    return gradient_at_input


def _prelu_gradient(weight):
    def gradient_at_input(z, dy):
        slopes = _np(weight.detach().float().cpu())
        return _r.prelu_backward(z, slopes, dy, axis=1 if z.ndim >= 2 else 0)[0]
    return gradient_at_input


class Watch:
    """The probes ``watch`` attached; see ``watch``."""

    def __init__(self, model, log=None, unit_axis=1, modules=None):
        table = dict(TORCH_MODULES)
        table.update(modules or {})
        self.probes = []
        self._handles = []
        for name, module in model.named_modules():
            found = self._gradient(module, table)
            if found is None:
                continue
            probe = _Probe(name or type(module).__name__, module, *found, unit_axis)
            self._handles.append(module.register_forward_pre_hook(probe.pre_forward))
            self._handles.append(module.register_forward_hook(probe.post_forward))
            self.probes.append(probe)
        self.history = []
        self.log = log
        self._epoch = 0
        self._started = time.perf_counter()

    @staticmethod
    def _gradient(module, table):
        """(flat, gradient_at_input) of a module watch knows, else None."""
        if isinstance(module, Activation):
            act = module.activation
            weight = module.weight if module._learned else None
        else:
            cls = next((c for c in type(module).__mro__ if c in table), None)
            if cls is None:
                return None
            act = _r.Activation(table[cls](module))
            weight = getattr(module, "weight", None) if act.metadata["learned_slopes"] else None
        if weight is not None:
            return False, _prelu_gradient(weight)
        return _is_flat(act), _spec_gradient(act)

    @property
    def layers(self):
        return [p.name for p in self.probes]

    def end_epoch(self, epoch=None, **metrics):
        """Ends an epoch: returns its ``EpochReport`` (one ``LayerStats`` per watched module, in
        the model's order) and appends its JSON line to ``log``. ``metrics`` are the line's other
        fields (``train_loss``, ``train_acc``, ``test_loss``, ``test_acc``, ``seconds``,
        ``images_per_s``); one not given is written as null (NaN)."""
        self._epoch = self._epoch + 1 if epoch is None else int(epoch)
        report = EpochReport(self._epoch, [p.end_epoch() for p in self.probes], dict(metrics))
        self.history.append(report)
        if self.log is not None:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(report.to_json() + "\n")
        return report

    def remove(self):
        """Detaches every hook."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def watch(model, log=None, unit_axis=1, modules=None):
    """Attaches rectify's diagnostics to every activation module of ``model``.

    Watched: ``rectify.torch.Activation`` and the PyTorch modules of ``TORCH_MODULES`` (nn.ReLU,
    nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.ReLU6, nn.PReLU, nn.GELU, nn.SiLU, nn.Tanh,
    nn.Sigmoid, nn.Softplus, and their subclasses); ``modules`` adds ``{class: module -> spec}``.
    Statistics are collected in training passes only (``module.training`` and autograd on), from
    hooks: the module's input (dead units), output (sparsity, mean, std) and the gradient at its
    output (grad_norm). A unit is element ``i`` of dim ``unit_axis`` (1: a Linear's feature, a
    Conv2d's channel; a 1-D input: its elements).

    ``log``: a path to which ``end_epoch`` appends one JSON line per epoch, the format of
    ``rectify train --json-log`` (``rectify plot --log FILE`` draws it). Returns a ``Watch``;
    ``remove()`` (or leaving a ``with`` block) detaches it.
    """
    return Watch(model, log=log, unit_axis=unit_axis, modules=modules)
