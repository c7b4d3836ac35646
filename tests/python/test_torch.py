"""rectify.torch.Activation against PyTorch's own modules: values and gradients on special and
random values, per the README's semantics table (piecewise-linear functions bit for bit; the
others to 1e-5 relative or 1e-6 absolute, as tests/pytorch/parity.py); the documented
differences excepted."""
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: rectify.torch is tested where python3-torch is "
    "(scripts/setup.sh installs it by default)")
from torch import nn  # noqa: E402

import rectify  # noqa: E402
import rectify.torch as rt  # noqa: E402
from conftest import SPECIALS  # noqa: E402

PEERS = [nn.ReLU(), nn.LeakyReLU(0.2), nn.LeakyReLU(), nn.ELU(), nn.ELU(0.5), nn.SELU(),
         nn.CELU(2.0), nn.ReLU6(), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.Tanh(),
         nn.Sigmoid(), nn.Softplus(), nn.Softplus(2.0, 10.0)]

# README, Semantics: where rectify deliberately differs from PyTorch 1.13.
KNOWN = [
    ("relu6", "backward", np.isnan),                       # PyTorch: 0 or 1 depending on path
    ("gelu_tanh", "backward", lambda x: np.abs(x) > 1e13),  # PyTorch overflows to NaN
]


def spec_of(module):
    return rt.TORCH_MODULES[type(module)](module)


def values():
    rng = np.random.default_rng(11)
    x = np.concatenate([np.array(SPECIALS, np.float32),
                        (rng.standard_normal(2000) * 4).astype(np.float32)])
    return torch.from_numpy(x)


def compare(actual, expected, exact, what, skip, scale=1.0):
    """scale: of the absolute tolerance (|dy| for gradients: PyTorch's 1 + tanh(u) and
    exp(x) - 1 lose precision where rectify's do not, README, Semantics)."""
    a, e = actual.detach().numpy().ravel(), expected.detach().numpy().ravel()
    ok = (np.isnan(a) & np.isnan(e)) | skip
    if exact:
        ok |= (a.view(np.uint32) == e.view(np.uint32))
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            ok |= (a == e) | (np.abs(a.astype(np.float64) - e) <= np.maximum(
                1e-6 * scale, 1e-5 * np.abs(e.astype(np.float64))))
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        pytest.fail(f"{what}: {int((~ok).sum())} differ; first x[{i}]: {a[i]!r} vs PyTorch {e[i]!r}")


@pytest.fixture(params=["cpp", "python"])
def path(request, monkeypatch):
    """Each test below runs on both ways rectify.torch runs a function: the C++ operator (where
    it was built) and the Python autograd.Function (where it was not)."""
    if request.param == "cpp" and rt._ops is None:
        pytest.skip("rectify.torch's C++ operator was not built (libtorch-dev absent)")
    if request.param == "python":
        monkeypatch.setattr(rt, "_ops", None)
    return request.param


@pytest.mark.parametrize("peer", PEERS, ids=lambda m: str(m))
def test_values_and_gradients_match_pytorch(peer, path):
    spec = spec_of(peer)
    exact = rectify.info(spec)["exact"]
    mine = rt.Activation(spec)
    x = values()
    dy = torch.from_numpy(np.random.default_rng(2).standard_normal(x.numel()).astype(np.float32))
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = mine(x1), peer(x2)
    compare(y1, y2, exact, f"{spec} forward", np.zeros(x.numel(), bool))
    y1.backward(dy)
    y2.backward(dy)
    skip = np.zeros(x.numel(), bool)
    for name, pass_name, where in KNOWN:
        if spec.startswith(name) and pass_name == "backward":
            skip |= where(x.numpy())
    compare(x1.grad, x2.grad, exact, f"{spec} backward", skip,
            np.maximum(1.0, np.abs(dy.numpy().astype(np.float64))))


def kept_for_backward(spec, x):
    """y, and every tensor autograd keeps for the backward of `spec` (its saved-tensor hooks)."""
    kept = []

    def pack(t):
        kept.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = rt.Activation(spec)(x)
    return y, kept


def test_piecewise_family_keeps_a_one_bit_mask(path):
    x = torch.randn(1000, requires_grad=True)
    for spec in ("relu", "leaky_relu:0.1", "relu6"):
        y, kept = kept_for_backward(spec, x)
        # Neither x nor y: at most the mask, 1 bit per element (the C++ operator saves it as a
        # uint8 tensor; the Python autograd.Function keeps it beside autograd's saved tensors).
        assert all(t.dtype == torch.uint8 for t in kept), spec
        assert sum(t.numel() for t in kept) in (0, 125), spec
    dy = torch.randn(1000)
    (dx,) = torch.autograd.grad(kept_for_backward("relu", x)[0], x, dy)
    assert torch.equal(dx, dy * (x.detach() > 0))  # from the mask alone
    y, kept = kept_for_backward("elu", x)
    assert len(kept) == 1 and torch.equal(kept[0], y)  # the output
    y, kept = kept_for_backward("gelu_erf", x)
    assert len(kept) == 1 and torch.equal(kept[0], x)  # the input


def test_the_cpp_operator_is_in_use_where_it_was_built():
    built = (Path(rt.__file__).with_name("_torch_ops.so")).exists()
    y = rt.Activation("relu")(torch.randn(10, requires_grad=True))
    # The C++ operator's node is a CppFunction; the Python fallback's, _ElementwiseBackward.
    assert type(y.grad_fn).__name__ == ("CppFunction" if built else "_ElementwiseBackward")


@pytest.mark.skipif(not Path(rt.__file__).with_name("_torch_ops.so").exists(),
                    reason="rectify.torch's C++ operator was not built (libtorch-dev absent)")
def test_the_operator_takes_the_packages_threads_and_simd_target():
    # The operator links its own copy of the library: the package's settings must reach it.
    ops = torch.ops.rectify
    try:
        for n in (1, 2, 3):  # one of them differs from OpenMP's default, which both start on
            rectify.set_num_threads(n)
            assert ops.num_threads() == n
        rectify.set_num_threads(0)
        assert ops.num_threads() == rectify.num_threads()
        x = torch.linspace(-6, 6, 200_001)
        outputs = {}
        for target in rectify.simd_targets():
            rectify.set_simd_target(target)
            outputs[target] = rectify.forward("tanh", x.numpy())
            assert np.array_equal(rt.Activation("tanh")(x).numpy(), outputs[target]), target
        # Some target rounds differently (with or without FMA), or the check saw nothing.
        assert len({o.tobytes() for o in outputs.values()}) > 1
    finally:
        rectify.set_simd_target(None)
        rectify.set_num_threads(0)


def test_prelu_learns_per_channel_slopes_like_nn_prelu():
    x = torch.randn(8, 3, 5)
    x[0, 0, :3] = torch.tensor([0.0, -0.0, -2.0])
    mine, peer = rt.Activation("prelu", num_parameters=3), nn.PReLU(3)
    assert torch.equal(mine.weight.detach(), peer.weight.detach())
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = mine(x1), peer(x2)
    assert torch.equal(y1, y2)
    dy = torch.randn_like(x)
    y1.backward(dy)
    y2.backward(dy)
    assert torch.equal(x1.grad, x2.grad)
    torch.testing.assert_close(mine.weight.grad, peer.weight.grad, rtol=1e-5, atol=1e-6)


def test_crelu_doubles_the_channels():
    x = torch.randn(4, 3, 2, requires_grad=True)
    y = rt.Activation("crelu")(x)
    assert y.shape == (4, 6, 2)
    x2 = x.detach().clone().requires_grad_()
    ref = torch.cat([torch.relu(x2), torch.relu(-x2)], dim=1)
    assert torch.equal(y, ref)
    dy = torch.randn_like(ref)
    y.backward(dy)
    ref.backward(dy)
    assert torch.equal(x.grad, x2.grad)


def test_strided_input_and_expanded_gradient(path):
    x = torch.randn(6, 8)[:, ::2].requires_grad_()
    y = rt.Activation("elu")(x)
    y.sum().backward()  # dy is an expanded (stride-0) tensor
    x2 = x.detach().clone().requires_grad_()
    torch.nn.functional.elu(x2).sum().backward()
    torch.testing.assert_close(x.grad, x2.grad, rtol=1e-5, atol=1e-6)


def test_wrong_tensors_are_type_errors(path):
    m = rt.Activation("relu")
    with pytest.raises(TypeError, match="float32"):
        m(torch.randn(3, dtype=torch.float64))
    with pytest.raises(TypeError, match="Tensor"):
        m(np.ones(3, np.float32))
    with pytest.raises(ValueError):
        rt.Activation("nope")
    with pytest.raises(ValueError, match="num_parameters"):
        rt.Activation("relu", num_parameters=3)


def test_training_with_rectify_relu_gives_pytorchs_bits():
    """relu's values and gradients are PyTorch's bit for bit, so training is too."""
    def run(act):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 32), act, nn.Linear(32, 4))
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        gen = torch.Generator().manual_seed(1)
        for _ in range(20):
            x = torch.randn(16, 20, generator=gen)
            t = torch.randint(0, 4, (16,), generator=gen)
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), t).backward()
            opt.step()
        return [p.detach().clone() for p in model.parameters()]

    for a, b in zip(run(nn.ReLU()), run(rt.Activation("relu"))):
        assert torch.equal(a, b)


def test_module_repr_and_state_dict():
    m = rt.Activation("prelu", num_parameters=2)
    assert "prelu" in repr(m) and list(m.state_dict()) == ["weight"]
    assert "leaky_relu:negative_slope=0.2" in repr(rt.Activation("leaky_relu:0.2"))
    assert math.isclose(float(m.weight[0]), rectify.Activation("prelu").params["init"])


def test_double_backward_is_refused_not_silently_wrong(path):
    x = torch.randn(5, requires_grad=True)
    y = rt.Activation("elu")(x)
    with pytest.raises(RuntimeError, match="not differentiable"):
        torch.autograd.grad(rt.Activation("elu")(x).sum(), x, create_graph=True)
    y.sum().backward()  # first order is fine
    assert x.grad is not None
