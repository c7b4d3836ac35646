"""rectify.torch.watch against an independent computation: the same batches recorded by hooks
written here, f'(z) from PyTorch's own autograd, statistics in numpy float64; and its JSON lines
read by `rectify plot --log`."""
import copy
import json

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: rectify.torch is tested where python3-torch is "
    "(scripts/setup.sh installs it by default)")
from torch import nn  # noqa: E402

import rectify.torch as rt  # noqa: E402
from conftest import cli  # noqa: E402


class Recorder:
    """Keeps every training batch's z, y, dy and the module's parameters (an oracle independent
    of watch), and computes the epoch's figures from them by the README's definitions."""

    def __init__(self, module, flat):
        self.flat = flat  # a function with a flat region and a 1-bit mask: relu, relu6, ...
        self.batches = []
        module.register_forward_pre_hook(self.pre_forward)
        module.register_forward_hook(self.forward)

    def pre_forward(self, module, inputs):
        if module.training and torch.is_grad_enabled():
            state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            self.batches.append({"z": inputs[0].detach().clone(), "state": state})

    def forward(self, module, inputs, output):
        if module.training and torch.is_grad_enabled():
            b = self.batches[-1]
            b["y"] = output.detach().clone()
            output.register_hook(lambda g: b.__setitem__("dy", g.detach().clone()))

    def epoch(self, module):
        """(dead per unit, sparsity, mean, std, grad_norm). Dead: f'(z) = 0 on every example,
        f' from PyTorch's autograd (dy = 1) for the flat family, whose 1-bit mask the C++ probe
        reads; for the others dz = f'(z) dy = 0, the gradient the C++ probe looks at."""
        if isinstance(module, rt.Activation):  # PyTorch's own module is the oracle
            module = PEER[str(module.activation)]
        module = copy.deepcopy(module)  # without the hooks: neither watch nor this recorder sees it
        module._forward_hooks.clear()
        module._forward_pre_hooks.clear()
        dead = None
        for b in self.batches:
            if b["state"]:
                module.load_state_dict(b["state"])
            # In double, rounded to float once: PyTorch's float gradients underflow in the tails
            # (gelu, silu) where rectify's do not.
            zz = b["z"].double().requires_grad_()
            dy = torch.ones_like(b["y"]) if self.flat else b["dy"]
            (g,) = torch.autograd.grad(module.double()(zz.clone()), zz, dy.double())
            g = g.float()
            alive = (g != 0).transpose(0, 1).reshape(g.shape[1], -1).any(dim=1).numpy()
            dead = ~alive if dead is None else dead & ~alive
        y = np.concatenate([b["y"].numpy().ravel() for b in self.batches]).astype(np.float64)
        sq = [float((b["dy"].numpy().astype(np.float64) ** 2).sum()) for b in self.batches]
        out = dead, float((y == 0).mean()), y.mean(), y.std(), float(np.sqrt(np.mean(sq)))
        self.batches = []
        return out


FLAT = (nn.ReLU, nn.ReLU6)
PEER = {"relu": nn.ReLU(), "elu:alpha=0.5": nn.ELU(0.5)}


def is_flat(act):
    return isinstance(act, FLAT) or (isinstance(act, nn.LeakyReLU) and act.negative_slope == 0) \
        or (isinstance(act, rt.Activation) and act.activation.has_mask
            and float(rt._r.backward(act.activation, np.float32(-np.inf), np.float32(1))) == 0)


def train_epoch(model, batches, lr=0.05):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for x, t in batches:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), t).backward()
        opt.step()
    with torch.no_grad():  # evaluation: not counted
        model.eval()
        model(batches[0][0])
        model.train()


def data(n_batches=6, shape=(32, 20), seed=3):
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randn(*shape, generator=gen), torch.randint(0, 4, (shape[0],), generator=gen))
            for _ in range(n_batches)]


ACTIVATIONS = [lambda: nn.ReLU(), lambda: nn.ReLU(inplace=True), lambda: nn.ReLU6(),
               lambda: nn.LeakyReLU(0.0), lambda: nn.ELU(), lambda: nn.Tanh(), lambda: nn.GELU(),
               lambda: nn.Softplus(), lambda: nn.PReLU(16), lambda: rt.Activation("relu"),
               lambda: rt.Activation("elu:alpha=0.5"), lambda: nn.Sigmoid(), lambda: nn.SiLU()]


@pytest.mark.parametrize("make", ACTIVATIONS, ids=lambda f: repr(f()))
def test_watch_matches_an_independent_computation(make, tmp_path):
    torch.manual_seed(0)
    act = make()
    model = nn.Sequential(nn.Linear(20, 16), act, nn.Linear(16, 4))
    # Units 0-4 dead by construction for the flat functions (f' = 0 below 0). The others' f' is
    # 0 only where it underflows, where PyTorch's and rectify's roundings may differ (tanh'(-20):
    # PyTorch's 1 - y^2 gives 0, rectify's 4e / (1 + e)^2 1.7e-17): -8 keeps them out of it.
    with torch.no_grad():
        low = -100.0 if is_flat(act) else -8.0
        model[0].bias[:5] = low
    if isinstance(act, nn.PReLU):
        with torch.no_grad():
            act.weight[:3] = 0.0  # a zero slope: dead below 0, like relu
    rec = Recorder(act, is_flat(act))
    log = tmp_path / "run.jsonl"
    w = rt.watch(model, log=log)
    assert w.layers == ["1"]
    batches = data()
    reports = []
    for epoch in (1, 2):
        if epoch == 2:
            with torch.no_grad():
                model[0].bias[0] = 3.0     # revives (inside relu6's (0, 6) too)
                model[0].bias[5] = low     # dies
        train_epoch(model, batches)
        reports.append(w.end_epoch(epoch=epoch, train_loss=1.0, test_acc=0.5))
        dead, sparsity, mean, std, grad_norm = rec.epoch(act)
        s = reports[-1].layers[0]
        assert s.units == 16
        assert s.dead == int(dead.sum()), f"epoch {epoch}: dead units {np.flatnonzero(dead)}"
        assert s.sparsity == pytest.approx(sparsity, abs=1e-12)
        assert s.mean == pytest.approx(mean, rel=1e-5, abs=1e-6)
        assert s.std == pytest.approx(std, rel=1e-5, abs=1e-6)
        assert s.grad_norm == pytest.approx(grad_norm, rel=1e-5)
        if epoch == 1:
            prev = dead
            assert s.died == 0 and s.revived == 0  # no previous epoch to compare with
        else:
            assert s.died == int((dead & ~prev).sum())
            assert s.revived == int((~dead & prev).sum())
    if is_flat(act):  # dead by construction, reported exactly
        assert reports[0].layers[0].dead >= 5
        assert reports[1].layers[0].died >= 1 and reports[1].layers[0].revived >= 1
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]
    assert lines[0]["train_loss"] == 1.0 and lines[0]["test_loss"] is None
    layer = lines[1]["layers"][0]
    assert set(layer) == {"name", "units", "dead", "dead_fraction", "died", "revived", "sparsity",
                          "mean", "std", "grad_norm"}
    assert layer["dead"] == reports[1].layers[0].dead
    w.remove()


def test_conv_units_are_channels_and_rectify_plot_draws_the_log(tmp_path):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 6 * 6, 4))
    with torch.no_grad():
        model[0].bias[:2] = -50.0
    rec = Recorder(model[1], True)
    log = tmp_path / "conv.jsonl"
    with rt.watch(model, log=log) as w:
        batches = data(4, (8, 1, 8, 8))
        for epoch in (1, 2):
            train_epoch(model, batches)
            r = w.end_epoch(train_loss=0.5, train_acc=0.9, test_loss=0.6, test_acc=0.8)
            dead, sparsity, *_ = rec.epoch(model[1])
            assert r.epoch == epoch and r.layers[0].units == 6
            assert r.layers[0].dead == int(dead.sum()) >= 2
            assert r.layers[0].sparsity == pytest.approx(sparsity, abs=1e-12)
    out = tmp_path / "charts"
    cli("plot", "--log", log, "--out", out)
    for chart in ("loss", "accuracy", "dead", "sparsity"):
        assert (out / f"{chart}.svg").stat().st_size > 0


def test_watch_finds_every_activation_module_and_ignores_the_rest():
    model = nn.Sequential(
        nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.LeakyReLU(), nn.ELU(), nn.SELU(),
        nn.CELU(), nn.ReLU6(), nn.PReLU(), nn.GELU(), nn.SiLU(), nn.Tanh(), nn.Sigmoid(),
        nn.Softplus(), rt.Activation("selu"), nn.Dropout(0.0), nn.Linear(4, 2))
    w = rt.watch(model)
    assert w.layers == [str(i) for i in (1, *range(3, 15))]
    model(torch.randn(5, 4)).sum().backward()
    r = w.end_epoch()
    assert len(r.layers) == 13 and all(s.units == 4 for s in r.layers)
    w.remove()
    model(torch.randn(5, 4)).sum().backward()
    assert all(s.units == 4 and s.sparsity == 0 and s.grad_norm == 0 for s in w.end_epoch().layers)
