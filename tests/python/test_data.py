"""rectify.data and rectify.load_checkpoint against files parsed here by hand (gzip, struct,
json), and their errors against the command line's."""
import gzip
import json
import os
import pathlib
import struct

import numpy as np
import pytest

import rectify
from conftest import SAMPLE, cli


def read_idx(path):
    raw = gzip.open(path).read() if str(path).endswith(".gz") else open(path, "rb").read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype == 0x08
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


@pytest.mark.parametrize("split,prefix", [("train", "train"), ("test", "t10k"), ("t10k", "t10k")])
def test_sample_split_matches_the_files(split, prefix):
    s = rectify.data.fashion_mnist(split, path=SAMPLE)
    images = read_idx(SAMPLE / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(SAMPLE / f"{prefix}-labels-idx1-ubyte.gz")
    assert s.images.dtype == np.uint8 and s.labels.dtype == np.uint8
    np.testing.assert_array_equal(s.images, images)
    np.testing.assert_array_equal(s.labels, labels)
    assert s.source == str(SAMPLE)
    assert s.images.flags.writeable and s.images.flags.c_contiguous


def test_default_is_debians_data_set_or_the_embedded_sample():
    s = rectify.data.fashion_mnist("test")
    debian = pathlib.Path("/usr/share/datasets/fashion-mnist")
    if debian.is_dir():
        assert s.source == str(debian) and s.images.shape == (10000, 28, 28)
    else:
        assert "embedded sample" in s.source
        np.testing.assert_array_equal(s.images, read_idx(SAMPLE / "t10k-images-idx3-ubyte.gz"))
    assert s.labels.max() < len(rectify.data.CLASSES)


def test_bad_split_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="split"):
        rectify.data.fashion_mnist("validation", path=SAMPLE)
    with pytest.raises(rectify.FormatError, match=str(tmp_path)):
        rectify.data.fashion_mnist("train", path=tmp_path)
    # A damaged header: the message names the file and the field, as the C++ reader says.
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes((SAMPLE / name).read_bytes())
    raw = bytearray(gzip.decompress((SAMPLE / "train-images-idx3-ubyte.gz").read_bytes()))
    raw[2] = 0x0D
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(rectify.FormatError, match="type code") as e:
        rectify.data.fashion_mnist("train", path=tmp_path)
    assert isinstance(e.value, ValueError)


def read_safetensors(path):
    raw = pathlib.Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        assert t["dtype"] == "F32"
        lo, hi = t["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + lo:8 + n + hi], dtype="<f4").reshape(t["shape"])
    return out, meta


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ck") / "mlp.safetensors"
    cli("train", "--epochs", 1, "--data", SAMPLE, "--threads", 1, "--save", path)
    return path


def test_load_checkpoint_matches_the_file(checkpoint):
    tensors, meta = rectify.load_checkpoint(checkpoint, metadata=True)
    expected, expected_meta = read_safetensors(checkpoint)
    assert set(tensors) == set(expected) and "fc1.weight" in tensors
    for name in expected:
        assert tensors[name].dtype == np.float32
        np.testing.assert_array_equal(tensors[name], expected[name])
    assert meta == expected_meta
    assert tensors["fc1.weight"].shape == (128, 784)
    assert isinstance(rectify.load_checkpoint(str(checkpoint)), dict)


def resume_error(path):
    r = cli("train", "--resume", path, "--epochs", 2, "--data", SAMPLE, check=False)
    assert r.returncode != 0
    return r.stderr.strip().removeprefix("rectify: error: ")


def test_damaged_checkpoints_fail_as_in_cpp(checkpoint, tmp_path):
    raw = checkpoint.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    cases = {
        "truncated": raw[:-4],
        "huge_header": struct.pack("<Q", 1 << 40) + raw[8:],
        "not_json": raw[:8] + b"{" * n + raw[8 + n:],
    }
    # A tensor of another shape than the model's (same byte count): caught only against the model.
    bad = dict(header)
    bad["fc1.weight"] = dict(bad["fc1.weight"], shape=[784, 128])
    text = json.dumps(bad, separators=(",", ":")).encode()
    text += b" " * (n - len(text)) if len(text) <= n else b""
    if len(text) == n:
        cases["transposed"] = struct.pack("<Q", n) + text + raw[8 + n:]
    # Not a rectify checkpoint (no run state).
    plain = {k: v for k, v in header.items() if k != "__metadata__"}
    text = json.dumps(plain).encode()
    cases["plain"] = struct.pack("<Q", len(text)) + text + raw[8 + n:]
    for name, data in cases.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(data)
        with pytest.raises(rectify.CheckpointError) as e:
            rectify.load_checkpoint(path)
        assert str(e.value) == resume_error(path), name
        assert str(path) in str(e.value)
    with pytest.raises(rectify.CheckpointError):
        rectify.load_checkpoint(tmp_path)  # a directory
    with pytest.raises(rectify.CheckpointError):
        rectify.load_checkpoint(tmp_path / "missing.safetensors")
