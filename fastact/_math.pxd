# cython: language_level=3
"""Numerical building blocks shared by the activation kernels.

Everything here is ``cdef inline ... noexcept nogil`` and works in double
precision.  Two tricks keep the kernels within a few ULP everywhere:

* double-double arguments: where an exponential amplifies the rounding error of
  its argument (exp(beta * x) at |beta * x| ~ 700 turns one ULP of the argument
  into ~700 ULP of the result), the argument is carried as ``hi + lo`` with the
  exact rounding error of a product in ``lo`` (from one fused multiply-add), and
  exp(hi + lo) = exp(hi) * (1 + lo) to first order;
* one rounding into the subnormal range: ``mul_exp`` forms f * exp(h) from two
  normal halves exp(h / 2) when exp(h) would be subnormal, so that tiny results
  (silu'(-740), tanh'(360)) are not the product of an already-rounded subnormal.
"""

from libc.math cimport exp, expm1, fabs, fma

cdef extern from "<float.h>":
    const double DBL_MAX


cdef inline double two_prod_lo(double a, double b, double hi) noexcept nogil:
    """The exact rounding error a * b - hi of hi = fl(a * b); 0 if hi overflowed."""
    if fabs(hi) <= DBL_MAX:
        return fma(a, b, -hi)
    return 0.0


cdef inline double mul_exp(double e, double h, double l, double f) noexcept nogil:
    """f * exp(h + l), given e = exp(h) and a small correction |l| << 1.

    When exp(h) is subnormal the result is formed from normal numbers and rounded
    once, at the end.  NaN in h propagates.
    """
    cdef double a
    if h >= -700.0:
        return e * fma(f, l, f)
    a = exp(0.5 * h)
    return (a * fma(f, l, f)) * a


cdef inline double logistic(double p, double pl) noexcept nogil:
    """sigmoid(p + pl) = 1 / (1 + exp(-(p + pl))), pl a small correction to p."""
    cdef double e
    if p >= 0.0:
        # exp(-p) <= 1 only shifts the result by its own size: no amplification.
        return 1.0 / (1.0 + exp(-p))
    e = exp(p)
    if p >= -700.0:
        e = fma(e, pl, e)
        return e / (1.0 + e)
    return mul_exp(e, p, pl, 1.0)


cdef inline double logistic_d1(double p, double pl, double f) noexcept nogil:
    """f * sigmoid'(p + pl) = f * e / (1 + e)^2 with e = exp(-|p + pl|)."""
    cdef double a = fabs(p)
    cdef double al = pl if p >= 0.0 else -pl
    cdef double e = exp(-a)
    cdef double t = 1.0 + e
    cdef double tl = e - (t - 1.0)      # 1 + e = t + tl exactly
    cdef double g = f / (t * t)
    g = fma(-2.0 * g, tl / t, g)        # first-order correction for tl
    return mul_exp(e, -a, -al, g)


cdef inline double logistic_d2(double p, double pl, double f) noexcept nogil:
    """f * sigmoid''(p + pl) = -sign(p) * f * e * (1 - e) / (1 + e)^3, e = exp(-|p|)."""
    cdef double a = fabs(p)
    cdef double al = pl if p >= 0.0 else -pl
    cdef double e = exp(-a)
    cdef double m = fma(e, al, -expm1(-a))   # 1 - exp(-(a + al)) without cancellation
    cdef double t = 1.0 + e
    cdef double tl = e - (t - 1.0)
    cdef double g = (f * m) / (t * t * t)
    g = fma(-3.0 * g, tl / t, g)
    g = mul_exp(e, -a, -al, g)
    return -g if p > 0.0 else g

