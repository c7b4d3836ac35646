#!/usr/bin/env python3
"""Checks rectify against PyTorch on special and random values, forward and backward.

Usage: parity.py RECTIFY_BINARY. Exits 77 (CTest: skipped) when torch is not importable.
Every function of the registry (`rectify list --json`) with a PyTorch name, at its defaults and
at the parameterisations its definition lists, is checked; the registry also says where rectify
deliberately differs (README, "Semantics"). Exact functions must agree bit for bit (sign of zero
included); the others to 1e-5 relative or 1e-6 absolute (PyTorch computes exp(x) - 1 and
1 + tanh(u), which lose precision where rectify does not). NaN must be NaN on both sides.
"""
import json
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


def rectify_json(*args):
    out = subprocess.run([RECTIFY, *args, "--json"], check=True, capture_output=True, text=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def cases():
    """(spec, parameters, registry entry) for every function PyTorch has; and those it lacks."""
    found, missing = [], []
    for f in rectify_json("list"):
        if not f["peers"]["torch"]:
            missing.append(f["name"])
            continue
        specs = [f["name"]] + f["test_specs"]
        for spec, props in zip(specs, rectify_json("props", *specs, "--no-timing")):
            found.append((spec, props["params"], f))
    return found, missing


def torch_call(expression, params):
    """The registry's PyTorch expression in x and the parameters, as a function of x."""
    names = {"F": F, "torch": torch, "math": math}
    return lambda t: eval(expression, names, {"x": t, **params})  # pylint: disable=eval-used


def main():
    xs = points()
    failures = checked = 0
    found, missing = cases()
    for spec, params, f in found:
        x = torch.tensor(xs, dtype=torch.float32, requires_grad=True)
        y = torch_call(f["peers"]["torch"], params)(x)
        y.sum().backward()
        want = {"forward": y.detach().tolist(), "backward": x.grad.tolist()}
        differs = f["peers"]["torch_differs"] or "False"
        for pass_name in ("forward", "backward"):
            got = rectify_eval(spec, xs, pass_name)
            bad = [(xi, g, w) for xi, g, w in zip(xs, got, want[pass_name])
                   if not same(g, w, f["exact"])
                   and not eval(differs, {"math": math}, {"x": xi, "pass_": pass_name, **params})]
            for xi, g, w in bad[:3]:
                print(f"parity: {spec} {pass_name} at x = {xi!r}: rectify {g!r}, PyTorch {w!r}")
            failures += len(bad)
            checked += len(xs)
    print(f"parity: {checked - failures} passed, {failures} failed "
          f"(PyTorch {torch.__version__}, {len(found)} cases; PyTorch has no "
          f"{', '.join(missing)})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
