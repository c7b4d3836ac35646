"""Shared helpers of the Python package's tests (run by CTest: `ctest --preset release -L python`,
or by hand: PYTHONPATH=build/release/python python3 -m pytest tests/python).

Oracles come from elsewhere than the code under test: the C++ library's bits through the
`rectify` command line, PyTorch's own functions, numpy in float64, files parsed by hand."""
import json
import math
import os
import pathlib
import struct
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = os.environ.get("RECTIFY_CLI", str(ROOT / "build/release/tools/rectify/rectify"))
SAMPLE = ROOT / "data/fashion-mnist-sample"

# Special values of the README's semantics table, and points either side of the clip points.
SPECIALS = [0.0, -0.0, 1.0, -1.0, 6.0, -6.0, 5.9999995, 6.0000005, math.inf, -math.inf, math.nan,
            1e-30, -1e-30, 1e-45, -1e-45, 3.4e38, -3.4e38, 20.0, 20.000002, 10.0, -10.0, 0.5,
            -0.5, 88.0, -88.0, -104.0, 1e-5, -1e-5, -0.75, 2.0, -2.0]


def points(n=300, seed=7):
    rng = np.random.default_rng(seed)
    return np.concatenate([np.array(SPECIALS, dtype=np.float32),
                           (rng.standard_normal(n) * 4).astype(np.float32)])


def cli(*args, check=True):
    return subprocess.run([CLI, *map(str, args)], check=check, capture_output=True, text=True)


def cli_eval(spec, xs, pass_name="forward", dy=1.0):
    """The C++ kernels' values through `rectify eval` (fmt prints the shortest exact digits)."""
    out = cli("eval", spec, "--pass", pass_name, "--dy", repr(float(dy)), "--",
              *[repr(float(x)) for x in xs]).stdout
    rows = [line.split("\t")[1:] for line in out.splitlines()]
    return np.array([[float(v) for v in r] for r in rows], dtype=np.float32)


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def assert_same_bits(actual, expected, what=""):
    """Bit for bit, sign of zero included; any NaN equals any NaN."""
    a, e = np.asarray(actual, dtype=np.float32).ravel(), np.asarray(expected, np.float32).ravel()
    assert a.shape == e.shape, what
    both_nan = np.isnan(a) & np.isnan(e)
    bad = ~both_nan & (bits(a) != bits(e))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        pytest.fail(f"{what}: {int(bad.sum())} differ; first at {i}: got {a[i]!r}, expected {e[i]!r}")


@pytest.fixture(scope="session")
def registry_list():
    """`rectify list --json`: the registry as the command line prints it."""
    return [json.loads(line) for line in cli("list", "--json").stdout.splitlines()]


def as_float32(v):
    return struct.unpack("f", struct.pack("f", v))[0]
