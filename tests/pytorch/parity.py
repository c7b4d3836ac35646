#!/usr/bin/env python3
"""Checks rectify against PyTorch on special and random values, forward and backward.

Usage: parity.py RECTIFY_BINARY. Exits 77 (CTest: skipped) when torch is not importable.
Piecewise-linear functions must agree bit for bit (sign of zero included); exp-based ones to
1e-5 relative or 1e-6 absolute (PyTorch computes exp(x) - 1 and 1 + tanh(u), which lose
precision where rectify does not). NaN must be NaN on both sides.
"""
import math
import struct
import subprocess
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("parity: torch is not importable; skipped (scripts/setup.sh --peers installs it)")
    sys.exit(77)

RECTIFY = sys.argv[1]

# spec -> (PyTorch function, exact?)
CASES = {
    "relu": (F.relu, True),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.01), True),
    "leaky_relu:0.2": (lambda t: F.leaky_relu(t, 0.2), True),
    "prelu": (lambda t: F.prelu(t, torch.tensor([0.25])), True),
    "relu6": (F.relu6, True),
    "elu": (F.elu, False),
    "elu:0.5": (lambda t: F.elu(t, 0.5), False),
    "selu": (F.selu, False),
    "celu:2": (lambda t: F.celu(t, 2.0), False),
    "sigmoid": (torch.sigmoid, False),
    "tanh": (torch.tanh, False),
    "gelu_erf": (F.gelu, False),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), False),
    "silu": (F.silu, False),
    "softplus": (F.softplus, False),
    "softplus:2,10": (lambda t: F.softplus(t, 2.0, 10.0), False),
}

# Where rectify deliberately differs (README, "Semantics"); (spec prefix, pass, predicate on x).
KNOWN_DIFFERENCES = [
    # PyTorch 1.13 is inconsistent here: its vectorized hardtanh_backward gives 0 at NaN, its
    # scalar path 1; rectify passes dy as relu does (and as the 1-bit mask must).
    ("relu6", "backward", math.isnan),
    # PyTorch's gelu_tanh backward computes x^3 and overflows to NaN above ~1e13; rectify gives
    # the limits 1 and 0.
    ("gelu_tanh", "backward", lambda x: abs(x) > 1e13),
]

SPECIALS = [0.0, -0.0, 1.0, -1.0, 6.0, -6.0, 5.9999995, 6.0000005, math.inf, -math.inf,
            math.nan, 1e-30, -1e-30, 1e-45, -1e-45, 3.4e38, -3.4e38, 20.0, 20.000002, 10.0,
            -10.0, 0.5, -0.5, 88.0, -88.0, -104.0, 1e-5, -1e-5]


def as_float32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def points():
    gen = torch.Generator().manual_seed(7)
    randoms = (torch.randn(400, generator=gen) * 4).tolist()
    return [as_float32(v) for v in SPECIALS + randoms]


def rectify_eval(spec, xs, pass_name):
    out = subprocess.run([RECTIFY, "eval", spec, "--pass", pass_name, "--"] +
                         [repr(x) for x in xs], check=True, capture_output=True, text=True)
    return [as_float32(float(line.split("\t")[1])) for line in out.stdout.splitlines()]


def same(a, b, exact):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b or exact:
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return abs(a - b) <= max(1e-6, 1e-5 * abs(b))


def main():
    xs = points()
    failures = 0
    for spec, (fn, exact) in CASES.items():
        x = torch.tensor(xs, dtype=torch.float32, requires_grad=True)
        y = fn(x)
        y.sum().backward()
        want = {"forward": y.detach().tolist(), "backward": x.grad.tolist()}
        for pass_name in ("forward", "backward"):
            got = rectify_eval(spec, xs, pass_name)
            known = [pred for prefix, p, pred in KNOWN_DIFFERENCES
                     if spec.startswith(prefix) and p == pass_name]
            bad = [(xi, g, w) for xi, g, w in zip(xs, got, want[pass_name])
                   if not same(g, w, exact) and not any(pred(xi) for pred in known)]
            for xi, g, w in bad[:3]:
                print(f"parity: {spec} {pass_name} at x = {xi!r}: rectify {g!r}, PyTorch {w!r}")
            failures += len(bad)
    checked = len(CASES) * 2 * len(xs)
    print(f"parity: {checked - failures} passed, {failures} failed "
          f"(PyTorch {torch.__version__}, {len(CASES)} functions)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
