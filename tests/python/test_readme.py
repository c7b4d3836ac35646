"""The README's Python blocks run as written, with the package from the build tree."""
import os
import re
import subprocess
import sys

from conftest import ROOT


def blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"(<!-- python-example -->\n)?```python\n(.*?)```", text, re.S)


def run(code, tmp_path):
    path = os.environ.get("PYTHONPATH", str(ROOT / "build/release/python"))
    path = os.pathsep.join(os.path.abspath(p) for p in path.split(os.pathsep) if p)
    env = dict(os.environ, PYTHONPATH=path)
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)


def test_readme_has_the_training_example():
    assert any(marker for marker, _ in blocks())


def test_every_python_block_runs(tmp_path):
    for marker, code in blocks():
        if marker and "torch" in code:
            try:
                import torch  # noqa: F401
            except ImportError:
                continue  # reported by the next test
        r = run(code, tmp_path)
        assert r.returncode == 0, r.stderr
        if marker:
            lines = r.stdout.splitlines()
            assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"]
            dead = [int(line.split("dead units ")[1].split(" of ")[0]) for line in lines]
            assert all(d >= 16 for d in dead) and lines[0].endswith(" of 128"), r.stdout
            accuracy = float(lines[-1].split("accuracy ")[1].split(",")[0])
            assert accuracy > 0.7
