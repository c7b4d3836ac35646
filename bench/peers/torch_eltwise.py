#!/usr/bin/python3
"""PyTorch CPU float32 peer for bench/compare: elementwise activation kernels.

The functions and their PyTorch spelling come from the registry (`rectify list --json`,
peers.torch). Forward calls the kernel torch.nn.functional reaches, with a preallocated output
(out=) where a native out= kernel exists; backward calls the aten backward ops directly (no
autograd). An expression with no such entry here (a function added to the registry since) is
timed generically: forward evaluates it (allocating), backward runs autograd.grad on a graph
built once. Prints one
JSON object per line with --json (same schema as `rectify bench --json`, plus "peer" and "api").

Not measured, because PyTorch has no such kernel (reported on stderr): backward from the input for
sigmoid and tanh (PyTorch differentiates them from the output only), backward from the output for
gelu_*, silu, softplus and prelu, and backward_mask for every function.

Usage: /usr/bin/python3 torch_eltwise.py --fns relu,elu --passes forward,backward \
           --sizes 4096,65536 --threads 1,2 --json
"""
import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path
import time

import torch

aten = torch.ops.aten
nn = torch._C._nn

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
PRELU_N, PRELU_C = 64, 32  # NCHW: the size is N * C * (spatial)

# Bytes moved per element: forward reads x and writes y; backward reads x (or y) and dy, writes dx.
BYTES = {'forward': 8, 'backward': 12, 'backward_output': 12, 'backward_mask': 12}


def _elu_fwd(alpha, scale=1.0):
    return lambda b: lambda: nn.elu(b.x, alpha, scale, 1.0, out=b.y)


def _elu_bwd(alpha, scale, from_output):
    op = aten.elu_backward.grad_input
    return lambda b: lambda: op(b.dy, alpha, scale, 1.0, from_output,
                                b.y if from_output else b.x, grad_input=b.dx)


def _thresh_bwd(src):
    op = aten.threshold_backward.grad_input
    return lambda b: lambda: op(b.dy, getattr(b, src), 0, grad_input=b.dx)


def _leaky_bwd(from_output):
    op = aten.leaky_relu_backward.grad_input
    return lambda b: lambda: op(b.dy, b.y if from_output else b.x, 0.01, from_output,
                                grad_input=b.dx)


def _hardtanh_bwd(src):
    op = aten.hardtanh_backward.grad_input
    return lambda b: lambda: op(b.dy, getattr(b, src), 0.0, 6.0, grad_input=b.dx)


def _gelu_fwd(approximate):
    return lambda b: lambda: nn.gelu(b.x, approximate=approximate, out=b.y)


def _from_output_bwd(op):
    return lambda b: lambda: op(b.dy, b.y, grad_input=b.dx)


def _from_input_bwd(op, **kw):
    return lambda b: lambda: op(b.dy, b.x, grad_input=b.dx, **kw)


# PyTorch's kernel for a registry expression (`rectify list --json`, peers.torch) at its default
# parameters -> pass -> (api description, builder: Buffers -> zero-argument callable): the native
# out= kernels and the aten backward ops. Any other expression takes the generic path below.
KERNELS = {
    'F.relu(x)': {
        'forward': ('clamp_min(out=)', lambda b: lambda: torch.clamp_min(b.x, 0.0, out=b.y)),
        'backward': ('threshold_backward(dy,x,0)', _thresh_bwd('x')),
        'backward_output': ('threshold_backward(dy,y,0)', _thresh_bwd('y')),
    },
    'F.leaky_relu(x, negative_slope)': {
        'forward': ('leaky_relu(out=)', lambda b: lambda: nn.leaky_relu(b.x, 0.01, out=b.y)),
        'backward': ('leaky_relu_backward', _leaky_bwd(False)),
        'backward_output': ('leaky_relu_backward(is_result)', _leaky_bwd(True)),
    },
    'F.elu(x, alpha)': {
        'forward': ('elu(out=)', _elu_fwd(1.0)),
        'backward': ('elu_backward', _elu_bwd(1.0, 1.0, False)),
        'backward_output': ('elu_backward(is_result)', _elu_bwd(1.0, 1.0, True)),
    },
    'F.selu(x)': {  # F.selu is elu(x, alpha, scale), so the same kernel with out=.
        'forward': ('elu(out=) with selu constants', _elu_fwd(SELU_ALPHA, SELU_SCALE)),
        'backward': ('elu_backward', _elu_bwd(SELU_ALPHA, SELU_SCALE, False)),
        'backward_output': ('elu_backward(is_result)', _elu_bwd(SELU_ALPHA, SELU_SCALE, True)),
    },
    'F.celu(x, alpha)': {  # F.celu(x, 1) is elu(x, 1, 1, 1); celu.out in 1.13 copies.
        'forward': ('elu(out=) with alpha 1', _elu_fwd(1.0)),
        'backward': ('elu_backward', _elu_bwd(1.0, 1.0, False)),
        'backward_output': ('elu_backward(is_result)', _elu_bwd(1.0, 1.0, True)),
    },
    'F.relu6(x)': {  # F.relu6 is hardtanh(x, 0, 6).
        'forward': ('hardtanh(out=)', lambda b: lambda: nn.hardtanh(b.x, 0.0, 6.0, out=b.y)),
        'backward': ('hardtanh_backward(dy,x)', _hardtanh_bwd('x')),
        'backward_output': ('hardtanh_backward(dy,y)', _hardtanh_bwd('y')),
    },
    'torch.sigmoid(x)': {
        'forward': ('sigmoid(out=)', lambda b: lambda: torch.sigmoid(b.x, out=b.y)),
        'backward_output': ('sigmoid_backward', _from_output_bwd(aten.sigmoid_backward.grad_input)),
    },
    'torch.tanh(x)': {
        'forward': ('tanh(out=)', lambda b: lambda: torch.tanh(b.x, out=b.y)),
        'backward_output': ('tanh_backward', _from_output_bwd(aten.tanh_backward.grad_input)),
    },
    'F.gelu(x)': {  # 1.13 with USE_MKLDNN runs oneDNN's eltwise_gelu_erf here (DNNL_VERBOSE=1).
        'forward': ('gelu(out=) via oneDNN', _gelu_fwd('none')),
        'backward': ('gelu_backward via oneDNN', _from_input_bwd(aten.gelu_backward.grad_input,
                                                                 approximate='none')),
    },
    "F.gelu(x, approximate='tanh')": {
        'forward': ('gelu(tanh, out=)', _gelu_fwd('tanh')),
        'backward': ('gelu_backward(tanh)', _from_input_bwd(aten.gelu_backward.grad_input,
                                                            approximate='tanh')),
    },
    'F.silu(x)': {
        'forward': ('silu(out=)', lambda b: lambda: nn.silu(b.x, out=b.y)),
        'backward': ('silu_backward', _from_input_bwd(aten.silu_backward.grad_input)),
    },
    'F.softplus(x, beta, threshold)': {
        'forward': ('softplus(out=)', lambda b: lambda: nn.softplus(b.x, 1.0, 20.0, out=b.y)),
        'backward': ('softplus_backward', lambda b: lambda: aten.softplus_backward.grad_input(
            b.dy, b.x, 1.0, 20.0, grad_input=b.dx)),
    },
    'F.prelu(x, torch.full((1,), init))': {  # prelu.out and prelu_backward.out copy in 1.13.
        'forward': ('F.prelu (allocates)', lambda b: lambda: torch.prelu(b.x, b.w)),
        'backward': ('prelu_backward (allocates, also dweight)',
                     lambda b: lambda: aten.prelu_backward(b.dy, b.x, b.w)),
    },
}


def generic(expression, params):
    """Forward by evaluating the expression (it allocates its output), backward by autograd on a
    graph built once: for the registry's functions that have no entry in KERNELS."""
    names = {'F': torch.nn.functional, 'torch': torch}

    def forward(b):
        return lambda: eval(expression, names, {'x': b.x, **params})  # pylint: disable=eval-used

    def backward(b):
        x = b.x.detach().clone().requires_grad_()
        y = eval(expression, names, {'x': x, **params})  # pylint: disable=eval-used
        return lambda: torch.autograd.grad(y, x, b.dy, retain_graph=True)

    return {'forward': (f'{expression} (allocates)', forward),
            'backward': ('autograd.grad (graph built once)', backward)}


def registry(rectify):
    """name -> (PyTorch expression, default parameters, per-channel?) from `rectify list --json`."""
    out = subprocess.run([rectify, 'list', '--json'], check=True, capture_output=True, text=True)
    functions = {}
    for line in out.stdout.splitlines():
        f = json.loads(line)
        if f['peers']['torch']:
            params = {p['name']: p['default'] for p in f.get('params', [])}
            functions[f['name']] = (f['peers']['torch'], params,
                                    f['layer']['kind'] == 'learned_slope')
    return functions


class Buffers:
    """Inputs and preallocated outputs for one size (x in [-5, 5), dy in [-1, 1))."""

    def __init__(self, kernels, size, per_channel):
        gen = torch.Generator().manual_seed(1234)
        shape = (size,)
        if per_channel:
            shape = (PRELU_N, PRELU_C, size // (PRELU_N * PRELU_C))
        self.x = torch.rand(shape, generator=gen) * 10 - 5
        self.dy = torch.rand(shape, generator=gen) * 2 - 1
        self.w = torch.full((PRELU_C,), 0.25)
        self.dx = torch.empty(shape)
        self.y = torch.empty(shape)
        forward = kernels['forward'][1](self)
        out = forward()  # y for the from-output passes
        if out is not None and out.data_ptr() != self.y.data_ptr():
            self.y.copy_(out)


def time_call(call, min_time, reps):
    """Median seconds per call over `reps` repetitions of >= min_time seconds each."""
    for _ in range(3):
        call()
    n, elapsed = 1, 0.0
    while True:  # calibrate n so that one repetition takes about min_time
        start = time.perf_counter()
        for _ in range(n):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / 4:
            break
        n *= 4
    n = max(1, int(n * min_time / elapsed))
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(n):
            call()
        samples.append((time.perf_counter() - start) / n)
    return statistics.median(samples)


def csv(text, kind=str):
    return [kind(v) for v in text.split(',') if v]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rectify', help='the rectify CLI whose registry names the functions',
                        default=str(Path(__file__).resolve().parents[2] /
                                    'build/release/tools/rectify/rectify'))
    parser.add_argument('--fns', help='comma-separated (default: every function PyTorch has)')
    parser.add_argument('--passes', default='forward,backward,backward_output')
    parser.add_argument('--sizes', default='4096,65536,1048576,16777216')
    parser.add_argument('--threads', default='1')
    parser.add_argument('--min-time-ms', type=float, default=50.0)
    parser.add_argument('--reps', type=int, default=7)
    parser.add_argument('--json', action='store_true', help='one JSON object per line')
    args = parser.parse_args()

    found = re.search(r'CPU capability usage: (\w+)', torch.__config__.show())
    target = found.group(1) if found else 'unknown'
    functions = registry(args.rectify)
    fns = csv(args.fns) if args.fns else list(functions)
    for threads in csv(args.threads, int):
        torch.set_num_threads(threads)
        for pass_ in csv(args.passes):
            for fn in fns:
                if fn not in functions:
                    print(f'torch_eltwise: skip {fn}: PyTorch has no such function',
                          file=sys.stderr)
                    continue
                expression, params, per_channel = functions[fn]
                kernels = KERNELS.get(expression) or generic(expression, params)
                if pass_ not in kernels:
                    print(f'torch_eltwise: skip {fn} {pass_}: PyTorch has no such kernel',
                          file=sys.stderr)
                    continue
                api, build = kernels[pass_]
                for size in csv(args.sizes, int):
                    if per_channel and size % (PRELU_N * PRELU_C):
                        print(f'torch_eltwise: skip prelu {size}: not a multiple of '
                              f'{PRELU_N * PRELU_C} (NCHW, N={PRELU_N}, C={PRELU_C})',
                              file=sys.stderr)
                        continue
                    seconds = time_call(build(Buffers(kernels, size, per_channel)),
                                        args.min_time_ms / 1e3,
                                        args.reps)
                    row = {'peer': 'pytorch', 'fn': fn, 'spec': fn, 'pass': pass_,
                           'size': size, 'threads': threads, 'target': target,
                           'gelem_per_s': round(size / seconds / 1e9, 4),
                           'gb_per_s': round(size * BYTES[pass_] / seconds / 1e9, 3),
                           'api': api}
                    if args.json:
                        print(json.dumps(row), flush=True)
                    else:
                        print(f'{fn:>10} {pass_:>15} {size:>9} T={threads} '
                              f'{row["gelem_per_s"]:8.3f} Gelem/s  {row["gb_per_s"]:8.2f} GB/s'
                              f'  [{api}]', flush=True)


if __name__ == '__main__':
    main()
