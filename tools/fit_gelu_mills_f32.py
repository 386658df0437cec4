"""Refit the coefficients of float32 gelu's Mills ratio in float arithmetic
(``fa_vgeluf_mills`` in ``fastact/_vecmath.h``) and report their error.

R(a) = Phi(-a) / phi(a) = 1 / (a + g(a)) on 0 <= a <= 16, with
g(a) = sqrt(2/pi) - w P(y), w = a / (4 + a) in [0, 0.8], y = 2.5 w - 1.
An error in g moves R by g / (a + g) of it, so P is fitted to
|w (P - P*)| / (a + g) (weighted least squares on Chebyshev points, reweighted
toward minimax, Lawson's iteration); then rounded to float one coefficient at a
time, the others refitted after each (c0 kept as a float pair: it alone moved
the error from 2^-29.3 to 2^-27.4).  Prints the coefficients, c0 as hi + lo,
and the largest weighted error before and after rounding.

    python tools/fit_gelu_mills_f32.py
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40
C, DEG, A_MAX, N = 4.0, 10, 16.0, 1500
W_MAX = A_MAX / (C + A_MAX)
G0 = mp.sqrt(2 / mp.pi)


def g_ref(a):
    a = mp.mpf(a)
    mills = mp.erfc(a / mp.sqrt(2)) / 2 / (mp.exp(-a * a / 2) / mp.sqrt(2 * mp.pi))
    return 1 / mills - a


def main():
    y = np.cos(np.pi * (np.arange(N) + 0.5) / N)
    w = (y + 1) / 2 * W_MAX
    a = C * w / (1 - w)
    g = np.array([float(g_ref(v)) for v in a])
    target = np.array([float((G0 - g_ref(v)) / mp.mpf(wi)) for v, wi in zip(a, w)])
    weight = w / (a + g)
    V = np.vander(y, DEG + 1, increasing=True)

    def fit(fixed, wt):
        k = len(fixed)
        rest = target - (V[:, :k] @ np.array(fixed) if k else 0.0)
        c, *_ = np.linalg.lstsq(V[:, k:] * wt[:, None], rest * wt, rcond=None)
        return list(fixed) + list(c)

    def worst(c):
        return np.log2(np.abs((V @ np.array(c) - target) * weight).max())

    wt = weight.copy()
    for _ in range(30):
        e = np.abs(V @ np.array(fit([], wt)) - target) * weight
        wt = wt * np.sqrt(e / e.max()) + 1e-30
        wt /= wt.max()
    print(f"largest weighted error, double coefficients: 2^{worst(fit([], wt)):.2f}")
    fixed = []
    for i in range(DEG + 1):
        c = fit(fixed, wt)[i]
        if i == 0:
            hi = float(np.float32(c))
            lo = float(np.float32(c - hi))
            print(f"c0 = {hi!r}f + {lo!r}f")
            fixed.append(hi + lo)
        else:
            fixed.append(float(np.float32(c)))
            print(f"c{i} = {fixed[-1]!r}f")
    print(f"largest weighted error, float coefficients: 2^{worst(fixed):.2f}")


if __name__ == "__main__":
    main()
