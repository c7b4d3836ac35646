"""rectify for PyTorch: an activation module on rectify's kernels, and ``watch`` for the lab's
diagnostics on any model. Importable only where PyTorch is (Debian's python3-torch).

``Activation(spec)`` is an ``nn.Module``: forward and backward run rectify's C++ kernels on the
tensors' own memory (CPU, float32; no copy for contiguous tensors). Backward uses what the
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
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from . import _rectify as _r

__all__ = ["Activation", "watch", "Watch", "LayerStats", "EpochReport", "TORCH_MODULES"]


def _check_tensor(t, what):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{what}: expected a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu" or t.dtype != torch.float32:
        raise TypeError(f"{what}: rectify's kernels run on CPU float32 tensors; got {t.dtype} on "
                        f"{t.device} (convert with .float().cpu())")


def _np(t):
    """A numpy view of a CPU float32 tensor's memory (a contiguous copy when it is strided)."""
    if not t.is_contiguous():
        t = t.contiguous()
    return t.detach().numpy()


class _Elementwise(torch.autograd.Function):
    """y = f(x) on rectify's kernels; backward from the mask, the output or the input."""

    @staticmethod
    def forward(ctx, x, act, saved):
        x = x.contiguous()
        y = torch.empty_like(x, memory_format=torch.contiguous_format)
        if saved == "mask":
            _, ctx.mask = _r.forward_with_mask(act, x.detach().numpy(), out=y.numpy())
        else:
            _r.forward(act, x.detach().numpy(), out=y.numpy())
            ctx.save_for_backward(y if saved == "output" else x)
        ctx.act, ctx.saved = act, saved
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dy):
        dyn = _np(dy)
        dx = torch.empty(dy.shape, dtype=torch.float32)
        if ctx.saved == "mask":
            _r.backward_from_mask(ctx.act, ctx.mask, dyn, out=dx.numpy())
        elif ctx.saved == "output":
            (y,) = ctx.saved_tensors
            _r.backward_from_output(ctx.act, y.detach().numpy(), dyn, out=dx.numpy())
        else:
            (x,) = ctx.saved_tensors
            _r.backward(ctx.act, x.detach().numpy(), dyn, out=dx.numpy())
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
    @torch.autograd.function.once_differentiable
    def backward(ctx, dy):
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
    @torch.autograd.function.once_differentiable
    def backward(ctx, dy):
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
        _check_tensor(x, f"rectify.torch.Activation('{self.activation}')")
        if self._learned:
            return _PRelu.apply(x, self.weight, _channel_axis(x))
        if self._doubles:
            return _CRelu.apply(x, _channel_axis(x))
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

    Dead unit: f'(z) = 0 for every training example of the epoch, f' computed by rectify's
    backward kernel with dy = 1 (the C++ probe reads the same from the 1-bit mask where the
    function has a flat region, else from dz = f'(z) dy). Sparsity, mean and std: of the outputs,
    from rectify's value_stats (the C++ probe's own pass). grad_norm: the L2 norm of the gradient
    at the output per batch, root mean square over the epoch's batches.
    """

    def __init__(self, name, module, derivative, unit_axis):
        self.name, self.module, self.derivative, self.unit_axis = name, module, derivative, unit_axis
        self.units = None
        self.alive = self.was_dead = None
        self.first_epoch = True
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

    def _layout(self, z):
        if z.dim() <= 1:
            return 1, (z.shape[0] if z.dim() == 1 else 1), 1
        axis = self.unit_axis % z.dim()
        shape = tuple(z.shape)
        return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])

    def ones(self, n):
        if self._ones.size < n:
            self._ones = np.ones(n, dtype=np.float32)
        return self._ones[:n]

    def pre_forward(self, module, inputs):
        if not self.active() or not inputs or not isinstance(inputs[0], torch.Tensor):
            return
        z = inputs[0]
        outer, units, inner = self._layout(z)
        if units != self.units:  # a new layout starts over, as the C++ probe does
            self.units = units
            self.alive = np.zeros(units, dtype=bool)
            self.was_dead = np.zeros(units, dtype=bool)
            self.first_epoch = True
        if self.alive.all():
            return  # a unit seen alive is not looked at again this epoch
        zn = _np(z.detach().float().cpu())
        g = self.derivative(zn, self)
        self.alive |= (g.reshape(outer, units, inner) != 0).any(axis=(0, 2))

    def post_forward(self, module, inputs, output):
        if not self.active() or not isinstance(output, torch.Tensor):
            return
        count, zeros, s, sq = _r.value_stats(_np(output.detach().float().cpu()))
        self.count += count
        self.zeros += zeros
        self.sum += s
        self.sum_sq += sq
        if output.requires_grad:
            output.register_hook(self.gradient)

    def gradient(self, dy):
        self.grad_sq += _r.value_stats(_np(dy.detach().float().cpu()))[3]
        self.batches += 1

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


def _spec_derivative(act):
    """f'(z) by rectify's backward kernel, dy = 1 (crelu: dy = 1 on both halves)."""
    k = act.metadata["outputs_per_input"]

    def derivative(z, probe):
        return _r.backward(act, z, probe.ones(z.size * k))
    return derivative


def _prelu_derivative(weight):
    def derivative(z, probe):
        slopes = _np(weight.detach().float().cpu())
        axis = 1 if z.ndim >= 2 else 0
        return _r.prelu_backward(z, slopes, probe.ones(z.size).reshape(z.shape), axis=axis)[0]
    return derivative


class Watch:
    """The probes ``watch`` attached; see ``watch``."""

    def __init__(self, model, log=None, unit_axis=1, modules=None):
        table = dict(TORCH_MODULES)
        table.update(modules or {})
        self.probes = []
        self._handles = []
        for name, module in model.named_modules():
            derivative = self._derivative(module, table)
            if derivative is None:
                continue
            probe = _Probe(name or type(module).__name__, module, derivative, unit_axis)
            self._handles.append(module.register_forward_pre_hook(probe.pre_forward))
            self._handles.append(module.register_forward_hook(probe.post_forward))
            self.probes.append(probe)
        self.history = []
        self.log = log
        self._epoch = 0
        self._started = time.perf_counter()

    @staticmethod
    def _derivative(module, table):
        if isinstance(module, Activation):
            if module._learned:
                return _prelu_derivative(module.weight)
            return _spec_derivative(module.activation)
        for cls in type(module).__mro__:
            if cls in table:
                act = _r.Activation(table[cls](module))
                if act.metadata["learned_slopes"] and hasattr(module, "weight"):
                    return _prelu_derivative(module.weight)
                return _spec_derivative(act)
        return None

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
