#!/usr/bin/env python3
"""Fits the rational in tanh's SIMD body (src/rectify/act/functions/tanh.hpp) and prints it.

tanh(x) = 4u / (4 + u^2) with u = 2 tanh(x/2) = x (1 + t R(t)), t = x^2, R = P / Q of degree
2/2 with Q(0) = 1. An error e in u reaches tanh as e sech(x), so R minimises
max |x t / u sech(x) (R - R_true)| on [0, 9.5] (Loeb's linearisation with Lawson's weights),
with a floor on the weight above x = 8 so that x = 9.5 still gives exactly 1 in float.
Needs only numpy. Prints the coefficients as C hex floats and the sampled error in float.
"""
import numpy as np

CLAMP = 9.5
FLOOR = 1e-4


def fit(m=2, k=2, iters=400):
    x = np.unique(np.concatenate([np.linspace(1e-3, CLAMP, 8000),
                                  CLAMP / 2 * (1 - np.cos(np.linspace(0, np.pi, 8000)))]))
    x = x[x > 0]
    t = x * x
    u = 2 * np.tanh(x / 2)
    f = (u / x - 1) / t
    weight = np.maximum(x * t / u / np.cosh(x), FLOOR * x * t * (x > 8.0))
    scale = t.max()
    s = t / scale
    cols = [s**j for j in range(m + 1)] + [-f * s**j for j in range(1, k + 1)]
    a = np.stack(cols, 1)
    lawson = np.ones_like(s)
    q_prev = np.ones_like(s)
    best = None
    for _ in range(iters):
        w = lawson * weight / q_prev
        c, *_ = np.linalg.lstsq(a * w[:, None], f * w, rcond=None)
        p, q = c[:m + 1], np.concatenate([[1.0], c[m + 1:]])
        q_prev = np.polyval(q[::-1], s)
        err = (np.polyval(p[::-1], s) / q_prev - f) * weight
        if best is None or np.abs(err).max() < best[0]:
            best = (np.abs(err).max(), p, q)
        lawson = np.maximum(lawson * np.abs(err) / (lawson * np.abs(err)).sum(), 1e-300)
    _, p, q = best
    return ((p / scale**np.arange(m + 1)).astype(np.float32),
            (q / scale**np.arange(k + 1)).astype(np.float32))


def fma(a, b, c):
    return (np.float64(a) * np.float64(b) + np.float64(c)).astype(np.float32)


def tanh_f32(x, p, q):
    """The body's arithmetic, in float with FMA."""
    xc = np.clip(x, -CLAMP, CLAMP).astype(np.float32)
    t = xc * xc
    pv = fma(fma(p[2], t, p[1]), t, p[0])
    qv = fma(fma(q[2], t, q[1]), t, np.float32(1))
    u = xc * fma(t, pv / qv, np.float32(1))
    return (u * np.float32(4)) / fma(u, u, np.float32(4))


def main():
    p, q = fit()
    print('P:', ', '.join(float(c).hex() for c in p))
    print('Q:', ', '.join(float(c).hex() for c in q))
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0, 10, 2_000_000), rng.uniform(0, 1, 1_000_000)])
    x = x.astype(np.float32)
    y = tanh_f32(x, p, q).astype(np.float64)
    ref = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(ref.astype(np.float32))).astype(np.float64)
    err = np.abs(y - ref) / ulp
    print(f'sampled error: {err.max():.2f} ULP at x = {x[err.argmax()]!r}; '
          f'tanh({CLAMP}) = {tanh_f32(np.float32([CLAMP]), p, q)[0]!r}')


if __name__ == '__main__':
    main()
