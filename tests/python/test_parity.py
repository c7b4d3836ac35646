"""The numpy API returns the C++ API's bits: every registry function, every pass, against
`rectify eval` (the same kernels through the command line), on special and random values."""
import numpy as np
import pytest

import rectify
from conftest import assert_same_bits, cli_eval, points


def specs():
    """Every function at its defaults, and at a second value of each parameter (from the
    registry's ranges, not from a list written here)."""
    out = []
    for name in rectify.functions():
        out.append(name)
        for p in rectify.info(name)["params"]:
            v = p["default"] * 0.5 if p["default"] not in (0.0, float("inf")) else 0.5
            try:
                out.append(str(rectify.Activation(f"{name}:{p['name']}={v!r}")))
            except ValueError:
                pass  # outside the range, or in conflict with another parameter
    return out


SPECS = specs()
X = points()


@pytest.mark.parametrize("spec", SPECS)
def test_forward(spec):
    y = rectify.forward(spec, X)
    expected = cli_eval(spec, X, "forward")
    if y.size == 2 * X.size:  # two outputs per input: [f1(x)..., f2(x)...]
        expected = np.concatenate([expected[:, 0], expected[:, 1]])
    assert_same_bits(y, expected, f"{spec} forward")


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("dy", [1.0, -2.5])
def test_backward(spec, dy):
    k = rectify.info(spec)["outputs_per_input"]
    dx = rectify.backward(spec, X, np.full(k * X.size, dy, dtype=np.float32))
    assert_same_bits(dx, cli_eval(spec, X, "backward", dy)[:, 0], f"{spec} backward")


@pytest.mark.parametrize("spec", [s for s in SPECS if rectify.Activation(s).has_backward_from_output])
@pytest.mark.parametrize("dy", [1.0, -2.5])
def test_backward_from_output(spec, dy):
    y = rectify.forward(spec, X)
    dx = rectify.backward_from_output(spec, y, np.full(X.size, dy, dtype=np.float32))
    assert_same_bits(dx, cli_eval(spec, X, "backward_output", dy)[:, 0], f"{spec} from output")


@pytest.mark.parametrize("spec", [s for s in SPECS if rectify.Activation(s).has_mask])
@pytest.mark.parametrize("dy", [1.0, -2.5])
def test_mask_passes(spec, dy):
    y, mask = rectify.forward_with_mask(spec, X)
    assert mask.dtype == np.uint8 and mask.shape == (rectify.mask_bytes(X.size),)
    assert_same_bits(y, cli_eval(spec, X, "forward")[:, 0], f"{spec} forward_with_mask")
    dx = rectify.backward_from_mask(spec, mask, np.full(X.size, dy, dtype=np.float32))
    # The mask's gradient is the input's, NaN included (README, Semantics).
    assert_same_bits(dx, cli_eval(spec, X, "backward", dy)[:, 0], f"{spec} backward_from_mask")
    # The bits themselves: set where f'(x) = 1, clear where f' is the other slope.
    one = rectify.backward(spec, X, np.ones_like(X))
    unpacked = np.unpackbits(mask, bitorder="little")
    assert np.array_equal(unpacked[:X.size].astype(bool), one == 1)
    assert not unpacked[X.size:].any()  # the unused bits of the last byte are zero


@pytest.mark.parametrize("target", rectify.simd_targets())
def test_piecewise_linear_bits_on_every_target(target):
    """Piecewise-linear functions are bit-exact on every SIMD target (README, Accuracy)."""
    exact = [s for s in SPECS if rectify.info(s)["exact"]]
    try:
        rectify.set_simd_target(target)
        for spec in exact:
            k = rectify.info(spec)["outputs_per_input"]
            y = rectify.forward(spec, X)
            dx = rectify.backward(spec, X, np.full(k * X.size, -2.5, np.float32))
            rectify.set_simd_target(None)
            assert_same_bits(y, rectify.forward(spec, X), f"{spec} forward on {target}")
            assert_same_bits(dx, rectify.backward(spec, X, np.full(k * X.size, -2.5, np.float32)),
                             f"{spec} backward on {target}")
            rectify.set_simd_target(target)
    finally:
        rectify.set_simd_target(None)


def test_large_arrays_split_over_threads_give_the_same_bits():
    x = np.random.default_rng(3).standard_normal(300_000).astype(np.float32) * 5
    for spec in ("relu", "elu", "gelu_tanh"):
        rectify.set_num_threads(1)
        one = rectify.forward(spec, x)
        rectify.set_num_threads(2)
        two = rectify.forward(spec, x)
        rectify.set_num_threads(0)
        assert_same_bits(one, two, spec)
        assert_same_bits(one[:len(X)], rectify.forward(spec, x[:len(X)]), spec)


# ----- prelu and crelu with a channel axis, against numpy in float64 ----------------------------

def test_prelu_per_channel_against_float64():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((4, 3, 5, 2)) * 3).astype(np.float32)
    x.flat[:len(X)] = X[:x.size]
    slopes = np.array([0.25, -0.5, 0.0], dtype=np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    a = slopes.astype(np.float64).reshape(1, 3, 1, 1)
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        y_ref = np.where(x64 > 0, x64, a * x64).astype(np.float32)
        dx_ref = np.where(x64 > 0, dy64, a * dy64).astype(np.float32)
        ds_ref = np.where(x64 > 0, 0, x64 * dy64).sum(axis=(0, 2, 3))
    y = rectify.prelu_forward(x, slopes, axis=1)
    assert_same_bits(y, y_ref, "prelu forward")
    dx, ds = rectify.prelu_backward(x, slopes, dy, axis=1)
    assert_same_bits(dx, dx_ref, "prelu dx")
    fin = np.isfinite(ds_ref)
    np.testing.assert_allclose(ds[fin], ds_ref[fin], rtol=1e-6)
    # The last axis as channels, and a shared slope.
    y_last = rectify.prelu_forward(x.transpose(0, 2, 3, 1).copy(), slopes, axis=-1)
    assert_same_bits(y_last, y_ref.transpose(0, 2, 3, 1), "prelu axis=-1")
    shared = rectify.prelu_forward(x, np.array([0.25], np.float32))
    assert_same_bits(shared, rectify.forward("prelu:0.25", x), "prelu shared slope")


def test_crelu_axis_against_float64():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x[0, 0, :3] = [0.0, -0.0, np.nan]
    for axis in (0, 1, 2, -1):
        y = rectify.crelu(x, axis=axis)
        # relu(v) = v where v > 0, and keeps a zero's sign and NaN (README, Semantics); else +0.
        def relu(v):
            return np.where((v > 0) | (v == 0) | np.isnan(v), v, np.float32(0))

        ref = np.concatenate([relu(x), relu(-x)], axis=axis)
        np.testing.assert_array_equal(np.signbit(y), np.signbit(ref))
        np.testing.assert_array_equal(y, ref)
        dy = rng.standard_normal(y.shape).astype(np.float32)
        dx = rectify.crelu_backward(x, dy, axis=axis)
        first, second = np.split(dy.astype(np.float64), 2, axis=axis)
        nan = np.isnan(x)  # relu'(NaN) = 1: dy passes (README, Semantics), on both halves
        ref_dx = (np.where((x > 0) | nan, first, 0) -
                  np.where((x < 0) | nan, second, 0)).astype(np.float32)
        np.testing.assert_array_equal(dx, ref_dx)
    # forward("crelu", x) doubles the first axis: crelu(x, axis=0).
    assert_same_bits(rectify.forward("crelu", x), rectify.crelu(x, axis=0), "crelu flat")
