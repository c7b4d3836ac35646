"""Wrong dtypes, shapes, strides, read-only arrays, 0-d and empty arrays, overlapping views:
converted as documented, or refused with a clear error. Never a crash or silent garbage."""
import sys
import threading

import numpy as np
import pytest

import rectify
from conftest import assert_same_bits, cli

X = np.linspace(-3, 3, 1001, dtype=np.float32)


def test_float32_c_contiguous_is_not_copied():
    x = X.copy()
    y = rectify.forward("relu", x, out=x)
    assert y is x  # in place, the same object back
    np.testing.assert_array_equal(x, np.maximum(X, 0))
    out = np.empty_like(X)
    assert rectify.forward("elu", X, out=out) is out


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.int64, np.uint8, bool])
def test_castable_dtypes_are_converted(dtype):
    x = X.astype(dtype)
    y = rectify.forward("relu", x)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_array_equal(y, np.maximum(x.astype(np.float32), 0))
    np.testing.assert_array_equal(x, X.astype(dtype))  # the input is left alone


@pytest.mark.parametrize("bad", [X.astype(np.complex64), X.astype(object),
                                 np.array(["1", "2"]), np.array([b"x"])])
def test_other_dtypes_are_a_type_error(bad):
    with pytest.raises(TypeError, match="float32"):
        rectify.forward("relu", bad)


def test_not_array_like_is_a_type_error():
    for bad in (object(), {"a": 1}, None):
        with pytest.raises(TypeError):
            rectify.forward("relu", bad)
    with pytest.raises(TypeError, match="spec"):
        rectify.forward(3, X)


def test_array_likes_are_converted():
    assert rectify.forward("relu", [-1, 2.5]).tolist() == [0.0, 2.5]
    assert rectify.forward("relu", 3.0).shape == ()


def test_strided_and_byteswapped_inputs_are_copied():
    x = np.arange(-10, 10, dtype=np.float32).reshape(4, 5)
    for view in (x[:, ::2], x.T, x[::-1], x.astype(">f4")):
        y = rectify.forward("leaky_relu:0.5", view)
        assert y.flags.c_contiguous and y.shape == view.shape
        v = np.asarray(view, dtype=np.float64)
        np.testing.assert_array_equal(y, np.where(v > 0, v, 0.5 * v).astype(np.float32))


def test_fortran_order_is_copied():
    x = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4) - 6)
    np.testing.assert_array_equal(rectify.forward("relu", x), np.maximum(x, 0))


def test_any_shape_and_0d_and_empty():
    for shape in [(), (0,), (3, 0, 2), (2, 3, 4, 5), (1,)]:
        x = np.full(shape, -1.5, dtype=np.float32)
        y = rectify.forward("elu", x)
        assert y.shape == shape and y.dtype == np.float32
        dx = rectify.backward("elu", x, np.ones(shape, np.float32))
        assert dx.shape == shape
        y2, mask = rectify.forward_with_mask("relu", x)
        assert y2.shape == shape and mask.size == rectify.mask_bytes(x.size)
        assert rectify.backward_from_mask("relu", mask, np.ones(shape, np.float32)).shape == shape
    assert rectify.forward("crelu", np.float32(-2)).tolist() == [0.0, 2.0]


def test_read_only_input_is_fine_read_only_out_is_not():
    x = X.copy()
    x.flags.writeable = False
    rectify.forward("relu", x)  # only read
    with pytest.raises(ValueError, match="read-only"):
        rectify.forward("relu", X, out=x)


def test_out_must_be_float32_right_shape_contiguous():
    with pytest.raises(TypeError, match="float32"):
        rectify.forward("relu", X, out=np.empty(X.shape, np.float64))
    with pytest.raises(TypeError, match="ndarray"):
        rectify.forward("relu", X, out=[0.0] * X.size)
    with pytest.raises(ValueError, match=r"shape \(1000,\); expected \(1001,\)"):
        rectify.forward("relu", X, out=np.empty(1000, np.float32))
    with pytest.raises(ValueError, match="shape"):
        rectify.forward("relu", X, out=np.empty((1, 1001), np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        rectify.forward("relu", X, out=np.empty(2002, np.float32)[::2])
    with pytest.raises(TypeError, match="float32"):
        rectify.forward("relu", X, out=np.empty(X.shape, ">f4"))


def test_partial_overlap_is_refused_and_nothing_written():
    buf = np.linspace(-1, 1, 2000, dtype=np.float32)
    before = buf.copy()
    with pytest.raises(ValueError, match="overlap"):
        rectify.forward("relu", buf[:1500], out=buf[500:])
    np.testing.assert_array_equal(buf, before)
    with pytest.raises(ValueError, match="overlap"):
        rectify.backward("relu", buf[:1000], buf[1000:], out=buf[1:1001])
    # The very same memory through another view object is in place.
    y = buf[:1000]
    rectify.forward("relu", buf[:1000], out=y)
    np.testing.assert_array_equal(y, np.maximum(before[:1000], 0))


def test_sizes_must_match():
    with pytest.raises(ValueError, match="dy"):
        rectify.backward("relu", X, np.ones(10, np.float32))
    with pytest.raises(ValueError):
        rectify.backward_from_output("elu", X, np.ones(10, np.float32))
    _, mask = rectify.forward_with_mask("relu", X)
    with pytest.raises(ValueError):
        rectify.backward_from_mask("relu", mask[:-1], np.ones_like(X))
    with pytest.raises(TypeError, match="uint8"):
        rectify.backward_from_mask("relu", mask.astype(np.int16), np.ones_like(X))
    with pytest.raises(ValueError):
        rectify.prelu_forward(np.ones((2, 3), np.float32), np.ones(2, np.float32))
    with pytest.raises(ValueError, match="out of bounds"):
        rectify.crelu(np.ones((2, 3), np.float32), axis=2)
    with pytest.raises(ValueError, match="0-d"):
        rectify.crelu(np.float32(1))


def test_a_pass_the_function_does_not_have_is_a_value_error():
    with pytest.raises(ValueError):
        rectify.backward_from_output("gelu_erf", X, X)
    with pytest.raises(ValueError):
        rectify.forward_with_mask("elu", X)


@pytest.mark.parametrize("spec", ["nope", "elu:alpha=-1", "leaky_relu:1,2", "relu:x=1",
                                  "softplus:beta=1e-320"])
def test_bad_spec_is_value_error_with_the_cpp_message(spec):
    with pytest.raises(ValueError) as e:
        rectify.forward(spec, X)
    r = cli("eval", spec, "--", "1", check=False)
    assert r.returncode == 2
    assert r.stderr.strip() == f"rectify: error: {e.value}"
    with pytest.raises(ValueError, match=str(e.value).split(":")[0]):
        rectify.Activation(spec)


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError, match="missing"):
        rectify.forward("relu")
    with pytest.raises(TypeError, match="unexpected keyword"):
        rectify.forward("relu", X, output=X)
    with pytest.raises(TypeError, match="multiple values"):
        rectify.forward("relu", X, x=X)
    with pytest.raises(TypeError, match="at most"):
        rectify.forward("relu", X, None, None)
    with pytest.raises(TypeError, match="axis"):
        rectify.crelu(np.ones((2, 2), np.float32), axis="1")


def test_no_reference_leaks():
    x = X.copy()
    out = np.empty_like(x)
    before = sys.getrefcount(x), sys.getrefcount(out)
    for _ in range(100):
        rectify.forward("relu", x, out=out)
        rectify.backward("relu", x, x, out=out)
        with pytest.raises(ValueError):
            rectify.forward("relu", x, out=np.empty(3, np.float32))
    assert (sys.getrefcount(x), sys.getrefcount(out)) == before


def test_the_gil_is_released_while_a_kernel_runs():
    """Another Python thread runs inside the time one long kernel call takes: with the GIL held
    it could not run at all until the call returned."""
    import time
    x = np.random.default_rng(0).standard_normal(1 << 23).astype(np.float32)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    t = threading.Thread(target=ticker)
    rectify.set_num_threads(1)
    inside = 0
    try:
        t.start()
        for _ in range(3):
            start = time.perf_counter()
            rectify.forward("gelu_erf", x)  # several ms
            end = time.perf_counter()
            margin = (end - start) / 4
            inside += sum(start + margin < tick < end - margin for tick in list(ticks))
    finally:
        stop.set()
        t.join()
        rectify.set_num_threads(0)
    assert inside > 0


def test_results_do_not_alias_inputs():
    x = X.copy()
    y = rectify.forward("relu", x)
    assert not np.shares_memory(x, y)
    assert_same_bits(rectify.forward("relu", x), y)
