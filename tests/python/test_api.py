"""The package's surface against the C++ side: version, registry, specs, properties, threads."""
import json
import math
import pickle

import numpy as np
import pytest

import rectify
from conftest import cli


def test_version_is_the_libraries():
    assert cli("--version").stdout.split() == ["rectify", rectify.__version__]


def test_functions_come_from_the_registry(registry_list):
    assert rectify.functions() == [f["name"] for f in registry_list]


def test_info_matches_rectify_list(registry_list):
    for row in registry_list:
        info = rectify.info(row["name"])
        assert info["name"] == row["name"]
        assert info["formula"] == row["formula"]
        assert info["derivative"] == row["derivative"]
        assert info["exact"] == row["exact"]
        assert info["max_ulp_forward"] == row["max_ulp_forward"]
        assert info["max_ulp_backward"] == row["max_ulp_backward"]
        assert info["backward_from_output"] == row["backward_from_output"]
        assert info["mask"] == row["mask"]
        assert info["init"] == row["init"]
        for key in set(info) & set(row) - {"params"}:  # whatever else both print
            if not isinstance(row[key], dict):
                assert info[key] == row[key], key
        params = row.get("params", [])
        assert [p["name"] for p in info["params"]] == [p["name"] for p in params]
        for mine, theirs in zip(info["params"], params):
            # JSON has no infinity: the command line writes null (keras_relu's max_value).
            assert mine["default"] == (math.inf if theirs["default"] is None else theirs["default"])
            assert mine["range"] == theirs["range"]
            assert mine["doc"] == theirs["doc"]


def test_activation_parse_str_params():
    a = rectify.Activation("elu:alpha=0.5")
    assert str(a) == "elu:alpha=0.5" and a.name == "elu"
    assert a.params == {"alpha": 0.5} and a.param("alpha") == 0.5
    assert rectify.Activation.parse(str(a)) == a
    assert rectify.Activation() == rectify.Activation("relu")
    assert rectify.Activation(a) == a and hash(rectify.Activation(str(a))) == hash(a)
    assert pickle.loads(pickle.dumps(a)) == a
    assert repr(a) == "rectify.Activation('elu:alpha=0.5')"
    k = rectify.Activation("keras_relu:max_value=6,threshold=0.5")
    assert list(k.params) == [p["name"] for p in rectify.info("keras_relu")["params"]]
    assert k.metadata["name"] == "keras_relu"
    # What backward may use follows the parameters (leaky_relu from the output only if s >= 0).
    assert rectify.Activation("leaky_relu:0.2").has_backward_from_output
    assert not rectify.Activation("leaky_relu:-0.2").has_backward_from_output
    assert a != "elu:alpha=0.5"


def test_every_spec_roundtrips():
    for name in rectify.functions():
        a = rectify.Activation(name)
        assert rectify.Activation(str(a)) == a
        assert set(a.params) == {p["name"] for p in a.metadata["params"]}


@pytest.mark.parametrize("spec", ["relu6", "elu:alpha=0.5", "keras_relu:max_value=6,threshold=0.5"])
def test_props_is_rectify_props_json(spec):
    expected = json.loads(cli("props", spec, "--json", "--no-timing").stdout)
    assert rectify.props(spec, timing=False) == expected


def test_props_all_functions_with_timing_keys():
    for name in rectify.functions():
        p = rectify.props(name, timing=False)
        assert p["name"] == name and p["cost"] is None
    timed = rectify.props("relu")
    assert set(timed["cost"]) == {"target", "size", "ns_per_element", "relu_ns_per_element",
                                  "ratio_to_relu"}


def test_threads_and_simd_target():
    before = rectify.num_threads()
    rectify.set_num_threads(1)
    assert rectify.num_threads() == 1
    rectify.set_num_threads(0)
    assert rectify.num_threads() == before
    info = cli("info").stdout
    assert f"SIMD target: {rectify.simd_target()}" in info
    assert rectify.simd_target() == rectify.simd_targets()[0]
    with pytest.raises(ValueError):
        rectify.set_simd_target("NO_SUCH_TARGET")


def test_mask_bytes():
    assert [rectify.mask_bytes(n) for n in (0, 1, 8, 9)] == [0, 1, 1, 2]


def test_value_stats_against_float64():
    x = np.random.default_rng(1).standard_normal(10_001).astype(np.float32)
    x[::7] = 0
    count, zeros, s, sq = rectify.value_stats(x)
    assert count == x.size and zeros == int((x == 0).sum())
    assert s == pytest.approx(float(x.astype(np.float64).sum()), rel=1e-6, abs=1e-3)
    assert sq == pytest.approx(float((x.astype(np.float64) ** 2).sum()), rel=1e-6)
