# cython: language_level=3, cdivision=True
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

from libc.math cimport copysign, fabs

cdef extern from "<float.h>":
    const double DBL_MAX

# exp_mul's shift of the exponent in the vector modules: 512 ln 2 as hi + lo, and
# the compensating 2^-512.  Verbatim C: a .pxd cannot initialise module variables.
cdef extern from *:
    """
    #include <string.h>
    static const double fastact_TAIL_SHIFT_HI = 354.891356446692;          /* 512 ln 2 */
    static const double fastact_TAIL_SHIFT_LO = 1.1873519686893054e-14;
    static const double fastact_TAIL_SCALE = 7.458340731200207e-155;       /* 2^-512 */
    /* 2^k for an integer-valued double k in [-1022, 1023], from the bits of
     * k + 1.5 * 2^52 + 1023 (no double-to-integer conversion, which AVX2 lacks
     * for vectors). */
    static inline double fastact_pow2(double k) {
        double b = k + (6755399441055744.0 + 1023.0);
        unsigned long long u;
        memcpy(&u, &b, 8);
        u <<= 52;
        memcpy(&b, &u, 8);
        return b;
    }
    /* 2^-512 where d > 0, else 1 (d not NaN), for r * tail_scale(d): the
     * bits of d as an integer, held to [0, 1] by an integer max and min (1 for
     * every d > 0), shifted into the exponent.  Not a select of the two
     * constants: GCC folds a product with such a select into both arms, so
     * that r * 2^-512 is formed in every lane (underflowing where the lane
     * keeps a small r) and what follows is computed for both arms: float64
     * mish (_logistic_parts) took 1.25-1.4x the time on ordinary inputs.
     * gelu's parts keep their select: this cost gelu' 2% (_unshift's k
     * factors of 2^-512 are pow2(-256 k) squared instead).  A 64-bit integer
     * compare vectorizes from AVX2 (SSE4.2) on; elsewhere (the SSE2 baseline
     * module, where it would leave loops scalar, and the scalar module) the
     * select. */
    static inline double fastact_tail_scale(double d) {
    #if defined(__AVX2__) || defined(__SSE4_2__)
        long long b;
        memcpy(&b, &d, 8);
        b = b < 0 ? 0 : b;                                  /* d <= -0 (and +0): 0 */
        b = b > 1 ? 1 : b;                                  /* d > 0: 1 */
        b = 0x3FF0000000000000LL - (b << 61);               /* 1.0 or 2^-512 */
        memcpy(&d, &b, 8);
        return d;
    #else
        return d > 0.0 ? fastact_TAIL_SCALE : 1.0;
    #endif
    }
    """
    const double TAIL_SHIFT_HI "fastact_TAIL_SHIFT_HI"
    const double TAIL_SHIFT_LO "fastact_TAIL_SHIFT_LO"
    const double TAIL_SCALE "fastact_TAIL_SCALE"
    double pow2 "fastact_pow2"(double k) noexcept nogil
    double tail_scale "fastact_tail_scale"(double d) noexcept nogil   # 2^-512 if d > 0, else 1

# The elementary functions the kernels call, chosen per compiled module (verbatim
# C, so that a downstream Cython build that cimports the kernels needs no extra
# include path):
# * fastact._loops and downstream builds: the C library, and x87 extended
#   precision (where long double is that) for the kernels whose sums cancel;
# * the vector modules (FASTACT_VECTOR_MATH): the branch-free functions of
#   _vecmath.h, which vectorize; a few double ULP in the float64 modules, < 2e-9
#   relative (0.03 float32 ULP) in the float32 ones (FASTACT_FLOAT32_MATH).
cdef extern from * nogil:
    """
    #ifndef FASTACT_MATHLIB_H
    #define FASTACT_MATHLIB_H
    #include <math.h>
    #include <float.h>

    #ifdef FASTACT_VECTOR_MATH
    #include "fastact/_vecmath.h"
    #define fa_exp fa_vexp
    #define fa_expm1 fa_vexpm1
    #define fa_exp_expm1 fa_vexp_expm1
    #define fa_log1p fa_vlog1p01
    #define fa_log1p_hl fa_vlog1p01_hl
    #define fa_tanh fa_vtanh
    #define fa_atan fa_vatan
    #define FASTACT_USE_EXT 0
    #define FASTACT_EXACT_TAILS 0
    #ifdef FASTACT_FLOAT32_MATH
    #define FASTACT_FLOAT32 1
    #define fa_exp_neg fa_vexp
    #else
    #define FASTACT_FLOAT32 0
    /* exp for x <= 0: no overflow branch, one clamp (about 25 fewer operations) */
    #define fa_exp_neg fa_vexp_neg
    #endif
    #if defined(__FMA__) || defined(__aarch64__) || defined(_M_ARM64)
    #define fa_fma fma                  /* one instruction */
    #else
    /* No FMA unit: a libm call would stop vectorization, and float32 results do
     * not need the exact products of the double-double corrections. */
    #define fa_fma(a, b, c) ((a) * (b) + (c))
    #endif
    #else
    #define fa_fma fma
    #define fa_exp exp
    #define fa_expm1 expm1
    static inline double fa_exp_expm1(double x, double *em1) { *em1 = expm1(x); return exp(x); }
    #define fa_log1p log1p
    static inline double fa_log1p_hl(double y, double *lo) { *lo = 0.0; return log1p(y); }
    #define fa_tanh tanh
    #define fa_atan atan
    #define FASTACT_USE_EXT (LDBL_MANT_DIG == 64)
    #define FASTACT_EXACT_TAILS 1
    #define FASTACT_FLOAT32 0
    #define fa_vexp_mul(x, l, f) (x)    /* dead code here: exp_mul_moderate */
    #define fa_vsigmoid_mul(p, pl, f) (p)   /* dead code here (kernels.pxd) */
    #define fa_vsilu_d1(p, pl) (p)
    #define fa_vlogistic_d1_mul(p, pl, f) (p)
    #define fa_exp_neg exp
    #endif
    #if !defined(FASTACT_F32_NATIVE) || !FASTACT_F32_NATIVE
    /* The float-arithmetic kernels exist only in the float32 vector modules
     * with FMA (_vecmath.h); elsewhere FASTACT_F32_NATIVE is 0 and the branches
     * that call these are dead code, which must still compile. */
    #undef FASTACT_F32_NATIVE
    #define FASTACT_F32_NATIVE 0
    #define fa_vexpf(x) (x)
    #define fa_vsigmoidf_mul(p, f) (p)
    #define fa_vsigmoidf_mul_l(p, pl, f) (p)
    #define fa_vsigmoidf_d1(p, f) (p)
    #define fa_vsigmoidf_d2(p, f) (p)
    #define fa_vsiluf(x) (x)
    #define fa_vsiluf_d1(x) (x)
    #define fa_vsiluf_d1_l(x, xl) (x)
    #define fa_vtanhf(x) (x)
    #define fa_vatanf(x) (x)
    #define fa_vgeluf(x) (x)
    #define fa_vgeluf_d1(x) (x)
    #define fa_vgeluf_d2(x) (x)
    #define fa_vgelu_tanhf(x) (x)
    #define fa_vgelu_tanhf_d1(x) (x)
    #define fa_vsoftplusf(x, p, ib) (x)
    #define fa_vexpf_mul(x, ch, cl) (x)
    #define fa_vexpm1f_mul(x, ch, cl) (x)
    #define fa_vexpm1f_mul_c(x, c, ch, cl) (x)
    #define fa_two_sumf_lo(a, b, s) (0.0f)
    #define fa_recipf(d, dl, rem) (d)
    #define fa_umax_bitsf(x, c) (x)
    #endif
    #endif
    """
    double fa_exp(double)
    double fa_expm1(double)
    double fa_exp_expm1(double, double*)    # exp(x), and expm1(x) into the pointer
    double fa_log1p(double)
    double fa_log1p_hl(double, double*)    # log1p(y) = hi + lo[0], y in [0, 1]
    double fa_tanh(double)
    double fa_atan(double)
    double fa_fma(double, double, double)
    double fa_vexp_mul(double, double, double)
    double fa_vsigmoid_mul(double p, double pl, double f)   # f sigmoid(p + pl), float64 vector modules
    double fa_vsilu_d1(double p, double pl)                 # silu'(p + pl), float64 vector modules
    double fa_vlogistic_d1_mul(double p, double pl, double f)  # f sigmoid'(p + pl), same
    double fa_exp_neg(double)               # exp(x) for x <= 0 (and NaN)
    # 1 where long double is x87 extended and the module is not a vector one.
    const int FASTACT_USE_EXT
    # 1: results in the double subnormal range are rounded once, and corrections
    # that only double precision needs are made (0 in the vector modules).
    const int FASTACT_EXACT_TAILS
    # 1 in the float32 vector modules: results are rounded to float32, so the
    # compensations that only a float64 result needs (second divisions, low
    # parts of sums) are left out.
    const int FASTACT_FLOAT32
    # 1 in the float32 vector modules on an ISA with FMA (x86-64 AVX2 and
    # AVX-512, aarch64): the kernels that have a float-arithmetic version in
    # _vecmath.h use it (16 lanes of float, not 8 of double, and shorter series;
    # <= 0.6 float32 ULP from error-free transformations).
    const int FASTACT_F32_NATIVE
    float fa_vexpf(float)
    float fa_vsigmoidf_mul(float p, float f)    # f sigmoid(p), f = 1 or p
    float fa_vsigmoidf_mul_l(float p, float pl, float f)    # f sigmoid(p + pl)
    float fa_vsigmoidf_d1(float p, float f)     # f sigmoid'(p)
    float fa_vsigmoidf_d2(float p, float f)     # f sigmoid''(p), f = 1 or 8
    float fa_vsiluf(float x)                    # silu(x)
    float fa_vsiluf_d1(float x)                 # silu'(x)
    float fa_vsiluf_d1_l(float x, float xl)     # silu'(x + xl)
    float fa_vtanhf(float)
    float fa_vatanf(float)
    float fa_vgeluf(float)                      # gelu, gelu', gelu''
    float fa_vgeluf_d1(float)
    float fa_vgeluf_d2(float)
    float fa_vgelu_tanhf(float)                 # gelu (tanh approximation), its derivative
    float fa_vgelu_tanhf_d1(float)
    float fa_vsoftplusf(float x, float p, float ib)   # softplus, p = beta x exact, ib = 1 / beta
    float fa_vexpf_mul(float x, float ch, float cl)    # (ch + cl) exp(x), x <= 0
    float fa_vexpm1f_mul(float x, float ch, float cl)  # (ch + cl) expm1(x), x <= 0
    float fa_vexpm1f_mul_c(float x, float c, float ch, float cl)  # (ch + cl) expm1(x + c), c small
    float fa_two_sumf_lo(float a, float b, float s)    # a + b - s, s = fl(a + b)
    float fa_recipf(float d, float dl, float* rem)     # 1 / (d + dl) = u (1 + rem[0])
    float fa_umax_bitsf(float x, float c)        # the larger bit pattern: max(|x|, c) for x, c >= 0
    float fmaf(float, float, float)             # one instruction where F32_NATIVE


cdef inline double two_prod_lo(double a, double b, double hi) noexcept nogil:
    """The exact rounding error a * b - hi of hi = fl(a * b); 0 if hi overflowed."""
    if fabs(hi) <= DBL_MAX:
        return fa_fma(a, b, -hi)
    return 0.0


cdef inline double _div_correct(double q, bint c, double ah, double al, double bh,
                                double bl, double u) noexcept nogil:
    """q + (ah + al - q (bh + bl)) * u: a quotient q of (ah + al) / (bh + bl)
    corrected by its remainder (exact from one fma but for the low parts'
    products), with u = 1 / bh or its rounding; q itself if it is inf or NaN (no
    remainder to correct).  c: 1 to divide the remainder by bh, 0 to multiply it
    by u (a constant: the branch folds away)."""
    cdef double r = fa_fma(-q, bh, ah) + al - q * bl
    cdef double cq = q + (r / bh if c else r * u)
    return cq if fabs(q) <= DBL_MAX else q


cdef inline double div_dd(double ah, double al, double bh, double bl) noexcept nogil:
    """(ah + al) / (bh + bl) with one rounding error, for |al| << |ah|, |bl| << |bh|.

    Compensated division: q = ah / bh, the exact remainder ah - q * bh from one
    fma, corrected by the low parts.  Straight-line code (a select, no early
    return), so that loops calling it vectorize.
    """
    cdef double q = ah / bh
    if FASTACT_FLOAT32:
        return q
    return _div_correct(q, 1, ah, al, bh, bl, 0.0)


cdef inline double div_dd_moderate(double ah, double al, double bh, double bl) noexcept nogil:
    """div_dd for 1 <= bh <= 2^60 (the logistic kernels' (1 + E)^k and the
    like): one division, for 1 / bh, instead of two.  q = ah u is within about
    an ULP of ah / bh, the remainder ah - q bh is still exact from one fma, and
    the correction times u is good to u's rounding: div_dd's result but in
    rare near-ties (float64 sigmoid: ~0.2% of N(0, 3^2) points, the largest
    error unchanged at 0.625 ULP), at 0.94x sigmoid's time and 0.89x
    gelu-tanh''s.  Not where it measured slower (swish'': 1.00-1.04x) or
    where bh is a parameter (softplus's beta, which may be subnormal)."""
    if FASTACT_FLOAT32:
        return ah / bh
    cdef double u = 1.0 / bh
    return _div_correct(ah * u, 0, ah, al, bh, bl, u)


cdef inline double mul_exp(double e, double h, double l, double f) noexcept nogil:
    """f * exp(h + l), given e = exp(h) and a small correction |l| << 1.

    When exp(h) is subnormal the result is formed from normal numbers and rounded
    once, at the end.  NaN in h propagates.
    """
    cdef double a
    cdef double r = e * fa_fma(f, l, f)
    if FASTACT_EXACT_TAILS:
        if h < -700.0:
            a = fa_exp(0.5 * h)
            r = (a * fa_fma(f, l, f)) * a
    # Below -1500 the result underflows for any finite f, and l may be huge there
    # (the rounding error of an enormous argument): it must not be used.
    return copysign(0.0, f) if h < -1500.0 else r


cdef inline double exp_mul(double h, double l, double f) noexcept nogil:
    """f * exp(h + l), |l| << 1, for any finite f (e.g. a parameter near DBL_MAX).

    For callers that need exp(h) for nothing else, with h <= 0 (h > 0 may
    overflow f * exp(h) before the correction).  The accurate modules:
    ``mul_exp(exp(h), h, l, f)``.  The vector modules, which have no exact tail
    in mul_exp: where exp(h) would be subnormal or 0 (h < -700), exp's argument
    is shifted up by k times 512 ln 2 (k = 1, 2, 3: the shifted exp is normal
    down to h = -1500, below which f * exp(h) underflows for every finite f) and
    the compensating 2^-512 is applied k times last, so that f * exp(h) is not
    the product of an exp(h) already flushed to zero (float64 elu'(-1200) with
    alpha = 1e300 is 7.0e-222; float32 elu'(-750) with alpha = 1e300 is
    1.9e-26).  The float32 modules need k = 1 only: below h = -1100, f * exp(h)
    < 1e-168.  The rounding error of the shifted argument (Fast2Sum, |h| > the
    shift) and the low part of the shift go into l.  Straight-line code with
    selects: loops vectorize.
    """
    cdef double k, sl, r
    cdef bint tail
    if FASTACT_EXACT_TAILS:
        return mul_exp(fa_exp(h), h, l, f)
    if FASTACT_FLOAT32:
        # float32 results: the shift's low part and the rounding error of
        # h + shift change exp by < 2e-13 relative (1e-5 of a float32 ULP), so
        # the one shift is applied plainly (l is kept: callers' first-order terms).
        tail = h < -700.0
        r = fa_exp(h + TAIL_SHIFT_HI if tail else h) * f
        r = fa_fma(r, l, r) * (TAIL_SCALE if tail else 1.0)
        return copysign(0.0, f) if h < -1500.0 else r
    r = _exp_shifted(h, l, &sl, &k) * f     # exp(s) <= 1 here: no overflow, unlike
    return _unshift(fa_fma(r, sl, r), k, h, f)   # f * (1 + sl) for f near DBL_MAX


cdef inline double exp_mul_moderate(double h, double l, double f) noexcept nogil:
    """exp_mul for 2^-60 <= |f| <= 2^60 (h <= 0): the float64 vector modules
    scale f exp(h + l) by 2^k in two factors instead of shifting exp's argument
    (_vecmath.h: fa_vexp_mul; about 25 fewer operations)."""
    if FASTACT_EXACT_TAILS or FASTACT_FLOAT32:
        return exp_mul(h, l, f)
    return fa_vexp_mul(h, l, f)


cdef inline double _shift_arg(double h, double l, double* sl_out, double* k_out) noexcept nogil:
    """s = h + k * 512 ln 2 (k = 0 for h >= -700, else 1, 2 or 3: exp(s) is
    normal down to h = -1500) and sl_out[0] = h + l - s to first order (the
    shift's low part, the rounding error of h + shift, and l)."""
    cdef double k = 0.0 if h >= -700.0 else 1.0
    k = k + (1.0 if h < -700.0 - TAIL_SHIFT_HI else 0.0)
    k = k + (1.0 if h < -700.0 - 2.0 * TAIL_SHIFT_HI else 0.0)
    cdef double sh = k * TAIL_SHIFT_HI
    cdef double shl = fa_fma(k, TAIL_SHIFT_HI, -sh) + k * TAIL_SHIFT_LO
    cdef double s = h + sh
    sl_out[0] = (((h - s) + sh) + shl) + l
    k_out[0] = k
    return s


cdef inline double _exp_shifted(double h, double l, double* sl_out, double* k_out) noexcept nogil:
    """exp(s), s = h + k * 512 ln 2 from _shift_arg, and its sl_out, k_out.
    For the float64 vector modules; _unshift applies 2^-512 k times."""
    return fa_exp_neg(_shift_arg(h, l, sl_out, k_out))   # s <= 0 (h <= 0)


cdef inline double _exp_shifted_dd(double h, double l, double* lo, double* k_out) noexcept nogil:
    """exp(h + l) * 2^(512 k) = hi + lo[0] to ~2^-59 relative (exp_dd of
    _shift_arg's s, its sl folded into lo), for h <= 0; k as in _shift_arg.
    Below h = -1500 (where f * exp(h) underflows for every finite f, and
    _unshift returns 0) h is clamped."""
    cdef double sl, s = _shift_arg(-1500.0 if h < -1500.0 else h, l, &sl, k_out)
    cdef double e = exp_dd(s, lo)
    lo[0] = fa_fma(e, sl, lo[0])
    return e


cdef inline double _unshift(double r, double k, double h, double f) noexcept nogil:
    """r * 2^(-512 k), the result of f * exp(h + l) from _exp_shifted's parts."""
    # Twice 2^(-256 k) (normal for k <= 3), not three selects of 2^-512:
    # GCC folds each product with a select into both arms, so r * 2^-512 was
    # formed in every lane, underflowing (slow) where the lane keeps r.  The
    # bits are the selects': for k = 1 an inexact r 2^-256 (r < 2^-766) gives
    # 0 either way, for k = 3 r 2^-768 is exact wherever r 2^-1536 is not 0.
    cdef double s = pow2(-256.0 * k)
    r = (r * s) * s
    # Below -1500 the result underflows for any finite f (and l may be huge).
    return copysign(0.0, f) if h < -1500.0 else r


cdef inline double logistic_mul(double p, double pl, double f) noexcept nogil:
    """f * sigmoid(p + pl) = f / (1 + exp(-(p + pl))), pl a small correction to p.

    With e = exp(-|p|): f / (1 + e) for p >= 0, f e / (1 + e) for p < 0.  1 + e is
    carried exactly (t + tl) and divided with compensation, so the only errors
    left are exp's own and one final rounding.  Both signs are computed in
    straight-line code and selected, so that loops calling it vectorize.
    """
    cdef bint neg = p < 0.0
    cdef double e = fa_exp_neg(-fabs(p))
    if FASTACT_FLOAT32:
        return (f * e if neg else f) / (1.0 + e)
    # p >= 0: e <= 1 moves the result by less than its own size, pl is irrelevant
    cdef double el = e * pl if neg else 0.0
    cdef double t = 1.0 + e
    cdef double tl = (e - (t - 1.0)) + el
    cdef double nh = f * e if neg else f
    cdef double nl = fa_fma(f, e, -nh) + f * el if neg else 0.0
    cdef double r = div_dd_moderate(nh, nl, t, tl)   # 1 <= t <= 2
    if FASTACT_EXACT_TAILS:
        if p < -700.0:
            r = mul_exp(e, p, pl, f)            # 1 + e == 1; e may be subnormal
    return r


cdef inline double logistic(double p, double pl) noexcept nogil:
    """sigmoid(p + pl)."""
    return logistic_mul(p, pl, 1.0)


cdef inline double logistic_d1(double p, double pl, double f) noexcept nogil:
    """f * sigmoid'(p + pl) = f * e / (1 + e)^2 with e = exp(-|p + pl|).

    For f a power of two (or a float32 result): beyond |p| = 708 the float64
    vector modules multiply f by an e already rounded to a subnormal.  Any f:
    logistic_d1_tail.
    """
    return _logistic_d1(p, pl, f, False)


cdef inline double logistic_d1_tail(double p, double pl, double f) noexcept nogil:
    """logistic_d1 for any f: the float64 vector modules take e from
    _exp_shifted, so that f * e is not the product of an e already rounded to a
    subnormal (beyond |p| = 700, where 1 + e == 1).  One exp either way, at
    about 1.6x the cost of logistic_d1 (AVX-512: 2.1 against 1.35 ns)."""
    return _logistic_d1(p, pl, f, True)


cdef inline double _logistic_d1(double p, double pl, double f, bint tail) noexcept nogil:
    # tail is a constant in every caller: the branches on it fold.
    cdef double a = fabs(p)
    cdef double al = pl if p >= 0.0 else -pl
    cdef double e, es, sl, k, t, tl, g
    cdef bint shifted = tail and not (FASTACT_FLOAT32 or FASTACT_EXACT_TAILS)
    if shifted:
        es = _exp_shifted(-a, -al, &sl, &k)
        e = es if k == 0.0 else 0.0
    else:
        e = fa_exp_neg(-a)
    t = 1.0 + e
    tl = e - (t - 1.0)      # 1 + e = t + tl exactly
    g = f / (t * t)
    if not FASTACT_FLOAT32:
        g = fa_fma(-2.0 * g, tl / t, g)    # first-order correction for tl
    if shifted:
        es = es * g
        return _unshift(fa_fma(es, sl, es), k, -a, g)
    return mul_exp(e, -a, -al, g)


cdef inline double logistic_d2(double p, double pl, double f) noexcept nogil:
    """f * sigmoid''(p + pl) = -sign(p) * f * e * (1 - e) / (1 + e)^3, e = exp(-|p|)."""
    cdef double a = fabs(p)
    cdef double al = pl if p >= 0.0 else -pl
    cdef double em
    cdef double e = fa_exp_expm1(-a, &em)
    cdef double m = fa_fma(e, al, -em)  # 1 - exp(-(a + al)) without cancellation
    cdef double t = 1.0 + e
    cdef double tl = e - (t - 1.0)
    cdef double g = (f * m) / (t * t * t)
    if not FASTACT_FLOAT32:
        g = fa_fma(-3.0 * g, tl / t, g)
    g = mul_exp(e, -a, -al, g)
    return -g if p > 0.0 else g



# ---------------------------------------------------------------- double-double
# For the float64 formulas whose sums cancel (swish' and swish'' next to their
# zeros) where no x87 extended precision is at hand: the vector modules, MSVC,
# aarch64.  Straight-line, so that loops calling them vectorize.

cdef inline double two_sum_lo(double a, double b, double s) noexcept nogil:
    """The exact rounding error a + b - s of s = fl(a + b) (Knuth's 2Sum)."""
    cdef double bb = s - a
    return (a - (s - bb)) + (b - bb)


cdef inline double exp_dd(double x, double* lo) noexcept nogil:
    """exp(x) = hi + lo[0] to ~2^-59 relative, for -708 <= x <= 0.

    x = k ln 2 + r + rl (Cody-Waite with ln 2 in two parts, the low product's
    error kept), exp(r) = 1 + r + r^2/2 + r^3 P(r) with the first three terms
    summed exactly (P: Taylor to r^14, |r| <= 0.35).
    """
    cdef double k = (x * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0
    cdef double r1 = x - k * 0.6931471803691238           # exact: 32-bit ln 2
    cdef double t = k * 1.9082149292705877e-10
    cdef double tl = fa_fma(k, 1.9082149292705877e-10, -t)
    cdef double r = r1 - t
    cdef double rl = two_sum_lo(r1, -t, r) - tl
    # P by Estrin's scheme (a dependency chain of 5 operations, not 11: more of
    # the loop's iterations overlap)
    cdef double r2 = r * r
    cdef double r4 = r2 * r2
    cdef double s0 = fa_fma(fa_fma(1.0 / 720.0, r, 1.0 / 120.0), r2, fa_fma(1.0 / 24.0, r, 1.0 / 6.0))
    cdef double s1 = fa_fma(fa_fma(1.0 / 3628800.0, r, 1.0 / 362880.0), r2,
                            fa_fma(1.0 / 40320.0, r, 1.0 / 5040.0))
    cdef double s2 = fa_fma(fa_fma(1.0 / 87178291200.0, r, 1.0 / 6227020800.0), r2,
                            fa_fma(1.0 / 479001600.0, r, 1.0 / 39916800.0))
    cdef double p = fa_fma(fa_fma(s2, r4, s1), r4, s0)
    cdef double s = 1.0 + r
    cdef double sl = (1.0 - s) + r                      # |r| < 1: Fast2Sum
    cdef double h2 = 0.5 * r * r
    cdef double h2l = fa_fma(0.5 * r, r, -h2)
    cdef double u = s + h2
    cdef double ul = two_sum_lo(s, h2, u)
    cdef double l = ((sl + h2l) + ul) + (r * r * r * p + rl * (1.0 + r))
    cdef double hi = u + l
    cdef double scale = pow2(k)
    lo[0] = (l - (hi - u)) * scale
    return hi * scale
