"""Refit the coefficients of float32 gelu's Mills ratio (``_gelu_mills32`` in
``fastact/kernels.pxd``) and report their error against mpmath.

R(a) = Phi(-a) / phi(a) = t Q(y) on 0 <= a <= 16, t = 4 / (4 + a),
y = 2.5 t - 1.5 (t in [0.2, 1] mapped to [-1, 1]).  Q is the Chebyshev
interpolant at NODES nodes, truncated to TERMS terms and converted to powers of
y (in mpmath, then rounded to double).  Prints the coefficients from the
highest power down (the kernel evaluates them by Estrin's scheme), and the
largest relative error of the double-precision evaluation on a grid of a.

    python tools/fit_gelu_mills32.py
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40
K, A_MAX, NODES, TERMS = mp.mpf(4), mp.mpf(16), 50, 15
T0 = K / (K + A_MAX)


def mills(a):
    return mp.erfc(a / mp.sqrt(2)) / 2 / (mp.exp(-a * a / 2) / mp.sqrt(2 * mp.pi))


def q_of_y(y):
    t = T0 + (y + 1) / 2 * (1 - T0)
    return mills(K * (1 - t) / t) / t


def chebyshev_coefficients():
    ks = [(j + mp.mpf(1) / 2) / NODES for j in range(NODES)]
    vals = [q_of_y(mp.cos(mp.pi * k)) for k in ks]
    return [2 * sum(v * mp.cos(mp.pi * m * k) for k, v in zip(ks, vals)) / NODES
            for m in range(NODES)]


def to_powers(c):
    """sum' c_n T_n(y) (first term halved) as coefficients of y^0, y^1, ..."""
    out = [mp.mpf(0)] * len(c)
    t_prev, t_cur = [mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]
    out[0] += c[0] / 2
    if len(c) > 1:
        out[1] += c[1]
    for n in range(2, len(c)):
        t_next = [mp.mpf(0)] * (n + 1)
        for i, v in enumerate(t_cur):
            t_next[i + 1] += 2 * v
        for i, v in enumerate(t_prev):
            t_next[i] -= v
        for i, v in enumerate(t_next):
            out[i] += c[n] * v
        t_prev, t_cur = t_cur, t_next
    return out


def main():
    c = chebyshev_coefficients()
    print(f"first dropped Chebyshev term: {mp.nstr(c[TERMS], 3)}")
    powers = [float(v) for v in to_powers(c[:TERMS])]
    print(f"sum of |coefficients|: {sum(abs(v) for v in powers):.3f}")
    for v in reversed(powers):
        print(repr(v))
    a = np.linspace(0.0, 16.0, 4001)
    t = 4.0 / (4.0 + a)
    y = t * 2.5 - 1.5
    q = np.zeros_like(y)
    for v in reversed(powers):
        q = q * y + v
    err = max(abs(mp.mpf(float(ti * qi)) / mills(mp.mpf(float(ai))) - 1)
              for ai, ti, qi in zip(a, t, q))
    print(f"largest relative error of t Q(y) on [0, 16]: {mp.nstr(err, 3)}")


if __name__ == "__main__":
    main()
