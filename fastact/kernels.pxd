# cython: language_level=3, cdivision=True
"""fastact's scalar kernels: fn, grad and grad2 of every activation, written once.

This is the public vendoring API for Cython code (in the manner of
``scipy.special.cython_special``)::

    from fastact.kernels cimport gelu_fn, gelu_grad

Every function is ``cdef inline double NAME_OP(double x, <params>) noexcept nogil``
and inlines into the caller's loop.  float arguments promote to double; the
result, rounded back to float, is then within one float ULP.  The parameters are
those of ``fastact/_spec.py`` in the same order, and are not validated here: the
Python API checks them (finite, and > 0 where the spec says "positive").

Conventions (the same as the Python API):

* kinks: grad and grad2 are the left-hand derivative, the limit from x < kink;
* NaN in gives NaN out; +-inf give the mathematical limits;
* no cancellation and no spurious overflow: tails are computed from exp(-|x|),
  expm1, log1p and erfc, with double-double arguments where an exponential
  amplifies rounding errors (see ``fastact/_math.pxd``).
"""

from libc.math cimport copysign, fabs, fabsf, frexp

from fastact._math cimport (
    DBL_MAX, FASTACT_EXACT_TAILS, FASTACT_F32_NATIVE, FASTACT_FLOAT32, FASTACT_USE_EXT, TAIL_SCALE,
    TAIL_SHIFT_HI, TAIL_SHIFT_LO, _exp_shifted_dd, _unshift, div_dd, div_dd_moderate, exp_dd, exp_mul,
    exp_mul_moderate, logistic, logistic_d1, logistic_d1_tail, logistic_d2, logistic_mul, mul_exp,
    tail_scale, two_prod_lo, two_sum_lo,
)
from fastact._math cimport (
    fa_atan as atan, fa_exp as exp, fa_vsigmoid_mul, fa_vsilu_d1, fa_vlogistic_d1_mul,
    fa_exp_expm1 as exp_expm1,
    fa_expm1 as expm1, fa_fma as fma,
    fa_log1p as log1p, fa_log1p_hl as log1p_hl, fa_tanh as tanh,
    fa_recipf, fa_two_sumf_lo, fa_umax_bitsf, fa_vexpf, fa_vexpf_mul, fa_vexpm1f_mul, fa_vexpm1f_mul_c, fa_vsigmoidf_d1, fa_vsigmoidf_d2,
    fa_vsigmoidf_mul, fa_vsigmoidf_mul_l, fa_vsiluf, fa_vsiluf_d1, fa_vsiluf_d1_l,
    fa_vatanf, fa_vgelu_tanhf, fa_vgelu_tanhf_d1, fa_vgeluf, fa_vgeluf_d1, fa_vgeluf_d2, fa_vsoftplusf, fa_vtanhf, fmaf,
)

cdef extern from "<math.h>" nogil:
    long double coshl(long double)
    long double erfcl(long double)
    long double expl(long double)
    long double log1pl(long double)
    long double tanhl(long double)

# Constants, as double-double pairs (hi + lo) where a product needs more than
# double precision.  Verbatim C: a .pxd cannot initialise module variables.
cdef extern from *:
    """
    static const double fastact_RSQRT2_HI = 0.7071067811865476;  /* 1 / sqrt(2) */
    static const double fastact_RSQRT2_LO = -4.833646656726457e-17;
    static const double fastact_INV_SQRT_2PI = 0.3989422804014327;  /* 1 / sqrt(2 pi) */
    static const double fastact_INV_SQRT_2PI_LO = -2.49232720227773e-17;
    static const double fastact_TWO_OVER_SQRTPI = 1.1283791670955126;  /* 2 / sqrt(pi) */
    static const double fastact_SQRT_8_PI_HI = 1.5957691216057308;  /* sqrt(8 / pi) = 2 sqrt(2 / pi) */
    static const double fastact_SQRT_8_PI_LO = -9.96930880911092e-17;
    static const double fastact_GELU_C_HI = 0.044715;  /* the tanh approximation's cubic */
    static const double fastact_GELU_C_LO = 2.1960211427085595e-18;
    static const double fastact_SELU_SCALE_HI = 1.0507009873554805;
    static const double fastact_SELU_SCALE_LO = 3.9874847667154144e-17;
    static const double fastact_SELU_SA_HI = 1.7580993408473768;  /* scale * alpha */
    static const double fastact_SELU_SA_LO = 1.41535193800845e-17;
    /* gelu (double-double path): 1/3, 1/15, 1/105, the first coefficients of
     * S(u) = sum u^n / (2n+1)!!, and M(a) = a Phi(-a) / phi(a) as a Chebyshev
     * series in y = (7 - a) / (4 + a) for a >= 1.5 (interpolated at 80 nodes
     * with mpmath at 50 digits; terms beyond the 23rd < 2e-18). */
    static const double fastact_THIRD_HI = 0.3333333333333333;
    static const double fastact_THIRD_LO = 1.850371707708594e-17;
    static const double fastact_FIFTEENTH_HI = 0.06666666666666667;
    static const double fastact_FIFTEENTH_LO = 9.251858538542971e-19;
    static const double fastact_INV105_HI = 0.009523809523809525;
    static const double fastact_INV105_LO = -8.591011500075616e-19;
    static const double fastact_GELU_M0_HI = 0.9371041100247333;  /* c0 / 2 */
    static const double fastact_GELU_M0_LO = 3.491508342927506e-17;
    static const double fastact_GELU_M[23] = {
        1.8742082200494665, -0.09807490268842378, -0.046874047939901235,
        -0.014508849951831635, -0.0033092951769623674, -0.0005529868921991582,
        -5.97266936832185e-05, -1.6329926354909593e-06, 6.916509531337449e-07,
        1.0345329310788948e-07, -3.1242514244447747e-09, -2.312403936389095e-09,
        -8.118711794266879e-11, 4.878098843857079e-11, 3.892683462581652e-12,
        -1.1375808924135492e-12, -1.2474565134673964e-13, 3.095090702972159e-14,
        3.604428758529325e-15, -9.789537403228508e-16, -9.51597337617746e-17,
        3.4516110654979724e-17, 2.0035164622792817e-18
    };
    /* The same series in powers of y: m0 (a pair) + sum_{k>=1} MP[k] y^k, converted
     * exactly from M0 and the coefficients above (mpmath at 60 digits; the two
     * agree to 1e-60 on [-0.75, 1]), MP[k] rounded. */
    static const double fastact_GELU_MP0_HI = 0.9807292841713517;
    static const double fastact_GELU_MP0_LO = -5.3070029740424665e-17;
    static const double fastact_GELU_MP[23] = {
        0.0, -0.057300899177632904, -0.06837109774994662, -0.047080051094720014,
        -0.023495640918274906, -0.0086172050910387, -0.002091485555728134,
        -0.00017113453773335638, 9.185314779081774e-05, 3.389572509999692e-05,
        -9.222742697645743e-07, -3.1380580958149374e-06, -3.089587913014637e-07,
        2.8786827822674426e-07, 5.2910757520255294e-08, -3.0235142025894794e-08,
        -6.817397775087912e-09, 3.6749032167602206e-09, 7.76779644846891e-10,
        -4.466388668455125e-10, -7.300033855195385e-11, 3.619276524615602e-11,
        4.20167855590192e-12
    };
    """
    const double RSQRT2_HI "fastact_RSQRT2_HI"
    const double RSQRT2_LO "fastact_RSQRT2_LO"
    const double INV_SQRT_2PI "fastact_INV_SQRT_2PI"
    const double INV_SQRT_2PI_LO "fastact_INV_SQRT_2PI_LO"
    const double TWO_OVER_SQRTPI "fastact_TWO_OVER_SQRTPI"
    const double SQRT_8_PI_HI "fastact_SQRT_8_PI_HI"
    const double SQRT_8_PI_LO "fastact_SQRT_8_PI_LO"
    const double GELU_C_HI "fastact_GELU_C_HI"
    const double GELU_C_LO "fastact_GELU_C_LO"
    const double SELU_SCALE_HI "fastact_SELU_SCALE_HI"
    const double SELU_SCALE_LO "fastact_SELU_SCALE_LO"
    const double SELU_SA_HI "fastact_SELU_SA_HI"
    const double SELU_SA_LO "fastact_SELU_SA_LO"
    const double THIRD_HI "fastact_THIRD_HI"
    const double THIRD_LO "fastact_THIRD_LO"
    const double FIFTEENTH_HI "fastact_FIFTEENTH_HI"
    const double FIFTEENTH_LO "fastact_FIFTEENTH_LO"
    const double INV105_HI "fastact_INV105_HI"
    const double INV105_LO "fastact_INV105_LO"
    const double GELU_M0_HI "fastact_GELU_M0_HI"
    const double GELU_M0_LO "fastact_GELU_M0_LO"
    const double GELU_M "fastact_GELU_M"[23]
    const double GELU_MP "fastact_GELU_MP"[23]


# ---------------------------------------------------------------- identity, affine
cdef inline double identity_fn(double x) noexcept nogil:
    return x

cdef inline double identity_grad(double x) noexcept nogil:
    return x if x != x else 1.0

cdef inline double identity_grad2(double x) noexcept nogil:
    return x if x != x else 0.0

cdef inline double affine_fn(double x, double slope, double intercept) noexcept nogil:
    if slope == 0.0:
        return x if x != x else intercept    # not 0 * inf
    return fma(slope, x, intercept)          # one rounding: no cancellation near the root

cdef inline double affine_grad(double x, double slope, double intercept) noexcept nogil:
    return x if x != x else slope

cdef inline double affine_grad2(double x, double slope, double intercept) noexcept nogil:
    return x if x != x else 0.0


# ---------------------------------------------------------------- relu family
cdef inline double relu_fn(double x) noexcept nogil:
    if (x > 0.0) | (x != x):
        return x
    return 0.0

# The 0/1 grads as a value, then the NaN select (not an early return for NaN):
# so written, GCC forms the grad in a register in the fused float32 loop
# (backward: g * grad, one multiply, x and g loaded once), instead of a select
# between g, g * 0 and g * x with g loaded three times, which in place at 10^7
# elements took 1.4x the time.
cdef inline double relu_grad(double x) noexcept nogil:
    cdef double r = 1.0 if x > 0.0 else 0.0  # relu'(0) = 0: left-hand
    return x if x != x else r

cdef inline double relu_grad2(double x) noexcept nogil:
    return x if x != x else 0.0

cdef inline double leaky_relu_fn(double x, double alpha) noexcept nogil:
    if (x > 0.0) | (x != x):
        return x
    if alpha == 0.0:
        return 0.0                           # not 0 * -inf
    return alpha * x

cdef inline double leaky_relu_grad(double x, double alpha) noexcept nogil:
    cdef double r = 1.0 if x > 0.0 else alpha    # leaky'(0) = alpha: left-hand
    return x if x != x else r                # see relu_grad

cdef inline double leaky_relu_grad2(double x, double alpha) noexcept nogil:
    return x if x != x else 0.0

cdef inline double leaky_relu_grad_alpha(double x, double alpha) noexcept nogil:
    """d fn / d alpha: what PReLU needs to learn alpha."""
    return 0.0 if x > 0.0 else x

cdef inline double _hardtanh_returns(double x, double min_val, double max_val) noexcept nogil:
    if x <= min_val:
        return min_val
    if x >= max_val:
        return max_val
    return x                                 # NaN falls through

cdef inline double hardtanh_fn(double x, double min_val, double max_val) noexcept nogil:
    cdef double r
    if FASTACT_FLOAT32:
        # The float32 loop (bounds that are not floats) as two selects, min_val's
        # last (it wins if min_val > max_val): as early returns GCC 12 vectorized
        # it with a dozen mask-register operations per vector (0.19 ns in place,
        # 0.12 now, in cache or from memory).  Not for relu6's constant bounds
        # nor the float variant (_hardtanh_fn_f32): there the selects load x
        # three times per vector, and in place at 10^7 elements the loop took
        # 0.16 ns, not 0.10.
        r = max_val if x >= max_val else x
        return min_val if x <= min_val else r
    return _hardtanh_returns(x, min_val, max_val)

cdef inline double hardtanh_grad(double x, double min_val, double max_val) noexcept nogil:
    cdef double r = 1.0 if (x > min_val) & (x <= max_val) else 0.0    # see relu_grad
    return x if x != x else r

cdef inline double hardtanh_grad2(double x, double min_val, double max_val) noexcept nogil:
    return x if x != x else 0.0

cdef inline double relu6_fn(double x) noexcept nogil:
    return _hardtanh_returns(x, 0.0, 6.0)

cdef inline double relu6_grad(double x) noexcept nogil:
    return hardtanh_grad(x, 0.0, 6.0)

cdef inline double relu6_grad2(double x) noexcept nogil:
    return hardtanh_grad2(x, 0.0, 6.0)

cdef inline double hardsigmoid_fn(double x, double half_width) noexcept nogil:
    if x <= -half_width:
        return 0.0
    if x >= half_width:
        return 1.0
    # x + h is exact near -h (Sterbenz), so the value near the lower kink keeps
    # full relative precision; 2 h is exact.
    return (x + half_width) / (2.0 * half_width)

cdef inline double hardsigmoid_grad(double x, double half_width) noexcept nogil:
    cdef double r = 0.5 / half_width if (x > -half_width) & (x <= half_width) else 0.0
    return x if x != x else r                # see relu_grad

cdef inline double hardsigmoid_grad2(double x, double half_width) noexcept nogil:
    return x if x != x else 0.0

cdef inline float _div_f32(float s, float sl, float d, float inv_d) noexcept nogil:
    """(s + sl) / d rounded about once (float arithmetic, FMA): s times
    inv_d = fl(1 / d), corrected by the exact remainder."""
    cdef float q = s * inv_d
    return fmaf(fmaf(-q, d, s) + sl, inv_d, q)

cdef inline double hardswish_fn(double x) noexcept nogil:
    cdef float xf = <float> x, t, q
    if FASTACT_F32_NATIVE:
        # x (x + 3) as an exact pair (x + 3 by 2Sum, the product by fmaf); then / 6
        t = xf + <float> 3
        q = _div_f32(xf * t, fmaf(xf, t, -(xf * t)) + xf * fa_two_sumf_lo(xf, 3, t),
                     6, <float> (1.0 / 6.0))
        q = xf if xf == 0 else q                 # -0
        q = xf if xf >= <float> 3 else q         # also inf (q is NaN there)
        return 0 if xf <= <float> -3 else q
    if x <= -3.0:
        return 0.0
    if x >= 3.0:
        return x
    return x * (x + 3.0) / 6.0

cdef inline double hardswish_grad(double x) noexcept nogil:
    cdef float xf = <float> x, t, q
    if FASTACT_F32_NATIVE:
        t = <float> 2 * xf + <float> 3           # 2 x exact; + 3 by 2Sum
        q = _div_f32(t, fa_two_sumf_lo(<float> 2 * xf, 3, t), 6, <float> (1.0 / 6.0))
        q = 1 if xf > <float> 3 else q
        q = 0 if xf <= <float> -3 else q
        return xf if xf != xf else q
    if x != x:
        return x
    if x <= -3.0:
        return 0.0
    if x > 3.0:
        return 1.0
    return (2.0 * x + 3.0) / 6.0             # hardswish'(3) = 1.5: left-hand

cdef inline double hardswish_grad2(double x) noexcept nogil:
    if x != x:
        return x
    return 1.0 / 3.0 if (x > -3.0) & (x <= 3.0) else 0.0


# ---------------------------------------------------------------- exponential family
cdef inline double exponential_fn(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return fa_vexpf(<float> x)
    return exp(x)

cdef inline double exponential_grad(double x) noexcept nogil:
    return exponential_fn(x)

cdef inline double exponential_grad2(double x) noexcept nogil:
    return exponential_fn(x)

# The exponential side of elu, selu and celu, written straight-line (both sides
# computed, one selected: the loops vectorize without moving masks through
# general registers, as an early return made GCC do); xn = min(x, 0) (NaN stays
# NaN) so that the unused side never overflows.
cdef inline double _expm1_side(double x) noexcept nogil:
    """expm1(x) for x <= 0 (and NaN), for elu and selu, whose other side is
    selected.  The argument is x * 0 for x > 0 (NaN at +inf, not used): a product,
    not a select, because GCC, once it knows expm1's argument is <= 0, folds the
    vector expm1 into a form that does not vectorize (the loops ran 7x slower)."""
    return expm1(x * (0.0 if x > 0.0 else 1.0))

cdef inline double elu_fn(double x, double alpha) noexcept nogil:
    cdef double r = alpha * _expm1_side(x)
    return x if x > 0.0 else r

cdef inline double elu_grad(double x, double alpha) noexcept nogil:
    cdef double xn = 0.0 if x > 0.0 else x
    cdef double r = exp_mul(xn, 0.0, alpha)  # elu'(0) = alpha: left-hand
    return 1.0 if x > 0.0 else r

cdef inline double elu_grad2(double x, double alpha) noexcept nogil:
    cdef double xn = 0.0 if x > 0.0 else x
    cdef double r = exp_mul(xn, 0.0, alpha)
    return 0.0 if x > 0.0 else r

cdef inline float _f32_lo(double hi, double lo) noexcept nogil:
    """The low float of the float pair <float> hi + this for hi + lo."""
    return <float> ((hi - <double> <float> hi) + lo)

cdef inline float _pos_else(double x, float at_pos, float exp_side) noexcept nogil:
    """at_pos for x > 0, else exp_side: the float32 elu/selu/celu kernels.  The
    exp side is an argument so that it is computed before the select: written in
    the select's else branch, GCC knew x <= 0 there, dropped the zeroing of x > 0
    and merged those lanes with exp's x < -120 clamp, whose subnormal products
    ran the loops up to 2x as long on positive inputs.  A float select (not a
    double one): GCC then narrows selu.backward's double product g * grad to a
    float one (1.5x as long with a double select)."""
    return at_pos if x > 0.0 else exp_side

cdef inline float _exp_side_f32(double x, float ch, float cl) noexcept nogil:
    """(ch + cl) exp(x) in float arithmetic, for x <= 0 (the other side is
    selected through _pos_else; the float32 loops of elu and celu)."""
    cdef float xf = <float> x
    return fa_vexpf_mul(xf * (0 if xf > 0 else 1), ch, cl)   # see _expm1_side

cdef inline double selu_fn(double x) noexcept nogil:
    cdef float xf = <float> x
    cdef float sah = <float> SELU_SA_HI, sch = <float> SELU_SCALE_HI
    cdef float sal = <float> ((SELU_SA_HI - <double> sah) + SELU_SA_LO)
    cdef float scl = <float> ((SELU_SCALE_HI - <double> sch) + SELU_SCALE_LO)
    cdef float pos = fmaf(sch, xf, scl * xf)
    if FASTACT_F32_NATIVE:
        pos = xf if xf > <float> 3.4028234663852886e38 else pos   # inf, not inf - inf
        return _pos_else(x, pos, fa_vexpm1f_mul(xf * (0 if xf > 0 else 1), sah, sal))
    cdef double m = _expm1_side(x)
    cdef double r = fma(SELU_SA_HI, m, SELU_SA_LO * m)
    return fma(SELU_SCALE_HI, x, SELU_SCALE_LO * x) if x > 0.0 else r

cdef inline float _selu_exp_side_f32(double x) noexcept nogil:
    """scale alpha exp(x) in float arithmetic (x <= 0 used; the float32 loops)."""
    cdef float xf = <float> x
    cdef float sah = <float> SELU_SA_HI
    cdef float sal = <float> ((SELU_SA_HI - <double> sah) + SELU_SA_LO)
    return fa_vexpf_mul(xf * (0 if xf > 0 else 1), sah, sal)   # see _expm1_side

cdef inline double selu_grad(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return _pos_else(x, <float> SELU_SCALE_HI, _selu_exp_side_f32(x))
    cdef double xn = 0.0 if x > 0.0 else x
    cdef double r = exp_mul_moderate(xn, SELU_SA_LO / SELU_SA_HI, SELU_SA_HI)
    return SELU_SCALE_HI if x > 0.0 else r

cdef inline double selu_grad2(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return _pos_else(x, 0.0, _selu_exp_side_f32(x))
    cdef double xn = 0.0 if x > 0.0 else x
    cdef double r = exp_mul_moderate(xn, SELU_SA_LO / SELU_SA_HI, SELU_SA_HI)
    return 0.0 if x > 0.0 else r

cdef inline double _celu_residual(double x, double alpha, double q) noexcept nogil:
    # x / alpha = q + r / alpha exactly, with r = x - q * alpha from one fma.
    return fma(-q, alpha, x) if fabs(q) <= DBL_MAX else 0.0

cdef inline double _celu_exp_side(double q, double r, double alpha) noexcept nogil:
    """alpha expm1(q + r / alpha) = alpha expm1(q) + exp(q) r to first order,
    with exp(q) as 1 + expm1(q): the correction is below 2^-52 of the result,
    so its own rounding errors do not show, and one exp is saved."""
    cdef double m = expm1(q)
    return fma(alpha, m, (1.0 + m) * r)

cdef inline double celu_fn(double x, double alpha) noexcept nogil:
    cdef double xn = 0.0 if x > 0.0 else x
    cdef double q = xn / alpha
    cdef double r = _celu_residual(xn, alpha, q)
    return x if x > 0.0 else _celu_exp_side(q, r, alpha)

cdef inline double celu_grad(double x, double alpha) noexcept nogil:
    cdef double xn = 0.0 if x > 0.0 else x
    cdef double q = xn / alpha
    cdef double r = exp_mul_moderate(q, _celu_residual(xn, alpha, q) / alpha, 1.0)
    return 1.0 if x > 0.0 else r

cdef inline double celu_grad2(double x, double alpha) noexcept nogil:
    cdef double xn = 0.0 if x > 0.0 else x
    cdef double q = xn / alpha
    # 1 / alpha overflows for alpha < 1 / DBL_MAX (subnormal alphas): below 1e-307
    # the factor is carried as 2^-64 / alpha (alpha * 2^64 is exact) and 2^64 is
    # applied last, exactly unless the result is below 2^-958.  (Not 1 / alpha =
    # inf: inf * 0 in mul_exp's correction made celu''(0) NaN, not inf.)
    cdef double s = 18446744073709551616.0 if alpha < 1e-307 else 1.0
    cdef double r = exp_mul(q, _celu_residual(xn, alpha, q) / alpha, 1.0 / (alpha * s)) * s
    return 0.0 if x > 0.0 else r


# ---------------------------------------------------------------- float variants
# Float-arithmetic versions of ops with a parameter, for the float32 vector
# modules (FASTACT_F32_NATIVE): their loops call _NAME_OP_f32 instead of NAME_OP
# when _NAME_f32_params(params) holds, chosen once per call (setup.py finds the
# _*_f32 functions here and the template generates both loops: a branch on the
# parameter inside one loop would stop it vectorizing).  Same conventions.

cdef inline bint _is_power_of_two(double v) noexcept nogil:
    cdef int e
    return frexp(fabs(v), &e) == 0.5

cdef inline bint _is_float(double v) noexcept nogil:
    return <double> <float> v == v          # not NaN

# leaky_relu (and prelu): alpha x from alpha as a float pair ah + al with
# 2^-60 <= |alpha| <= 2^60 (both floats normal), rounded once where the result is
# above 2^-100 (below, al x underflows: <= 1 ULP).  ah is alpha rounded
# toward zero, one float nearer zero when alpha is a float, so al is never 0 and
# has alpha's sign: the two products of fmaf(ah, x, al x) then have one sign,
# and x = -inf gives -inf alpha (not inf - inf) and x = -0 gives alpha * -0 with
# no select (65536 elements in cache: 0.069-0.086 -> 0.041-0.060 ns, as relu).
cdef inline bint _leaky_relu_f32_params(double alpha) noexcept nogil:
    return FASTACT_F32_NATIVE and (alpha == 0.0 or 8.7e-19 <= fabs(alpha) <= 1.1e18)

cdef inline float _toward_zero_below_f32(double v) noexcept nogil:
    """The float nearest v with |float| < |v| (v normal as a float, not 0)."""
    cdef float f = <float> v
    # one float step toward zero: |f| (1 - 2^-24) rounds to it (for a power of
    # two it is that float exactly; otherwise it lies within (ulp/2, ulp) of f)
    return <float> (<double> f * (1.0 - 5.9604644775390625e-08)) if fabs(<double> f) >= fabs(v) else f

cdef inline double _leaky_relu_fn_f32(double x, double alpha) noexcept nogil:
    cdef float xf = <float> x
    cdef float ah = _toward_zero_below_f32(alpha)
    cdef float r = fmaf(ah, xf, <float> (alpha - <double> ah) * xf)
    r = 0 if alpha == 0.0 else r                                     # not 0 * -inf
    return xf if not (xf <= 0) else r                                # x > 0 or NaN

cdef inline double _leaky_relu_grad_f32(double x, double alpha) noexcept nogil:
    cdef float xf = <float> x
    cdef float r = 1 if xf > <float> 0 else <float> alpha
    return xf if xf != xf else r

cdef inline double _leaky_relu_grad_alpha_f32(double x, double alpha) noexcept nogil:
    cdef float xf = <float> x
    return 0 if xf > <float> 0 else xf

# affine with slope and intercept floats: one fmaf, rounded once (the double
# fma rounded to float rounds twice), and twice the lanes of the double loop.
cdef inline bint _affine_f32_params(double slope, double intercept) noexcept nogil:
    return FASTACT_F32_NATIVE and _is_float(slope) and _is_float(intercept)

cdef inline double _affine_fn_f32(double x, double slope, double intercept) noexcept nogil:
    cdef float xf = <float> x, b = <float> intercept
    if slope == 0.0:
        return xf if xf != xf else b     # not 0 * inf
    return fmaf(<float> slope, xf, b)

cdef inline double _affine_grad_f32(double x, double slope, double intercept) noexcept nogil:
    cdef float xf = <float> x
    return xf if xf != xf else <float> slope

# hardtanh with bounds that are floats: float comparisons and results are exact.
cdef inline bint _hardtanh_f32_params(double min_val, double max_val) noexcept nogil:
    return _is_float(min_val) and _is_float(max_val)

cdef inline double _hardtanh_fn_f32(double x, double min_val, double max_val) noexcept nogil:
    cdef float xf = <float> x, lo = <float> min_val, hi = <float> max_val
    # early returns, not two selects (see hardtanh_fn)
    if xf <= lo:
        return lo
    if xf >= hi:
        return hi
    return xf                                # NaN falls through

cdef inline double _hardtanh_grad_f32(double x, double min_val, double max_val) noexcept nogil:
    cdef float xf = <float> x
    cdef float r = 1 if (xf > <float> min_val) & (xf <= <float> max_val) else 0
    return xf if xf != xf else r

# hardsigmoid with h a float (2 h and 1 / (2 h) normal): (x + h) / (2 h) from
# x + h as an exact pair, times the rounded 1 / (2 h), corrected by the exact
# remainder.
cdef inline bint _hardsigmoid_f32_params(double half_width) noexcept nogil:
    return FASTACT_F32_NATIVE and _is_float(half_width) and 7.9e-31 <= half_width <= 1.2e30

cdef inline double _hardsigmoid_fn_f32(double x, double half_width) noexcept nogil:
    cdef float xf = <float> x, h = <float> half_width
    cdef float t = xf + h
    cdef float q = _div_f32(t, fa_two_sumf_lo(xf, h, t), <float> 2 * h, <float> (0.5 / half_width))
    q = 1 if xf >= h else q                  # also inf (q is NaN there)
    return 0 if xf <= -h else q

cdef inline double _hardsigmoid_grad_f32(double x, double half_width) noexcept nogil:
    cdef float xf = <float> x, h = <float> half_width
    cdef float r = <float> (0.5 / half_width) if (xf > -h) & (xf <= h) else 0
    return xf if xf != xf else r

cdef inline bint _elu_f32_params(double alpha) noexcept nogil:
    # alpha as a float pair (hi + lo: normal floats); alpha exp(-120) underflows
    return FASTACT_F32_NATIVE and (alpha == 0.0 or 7.9e-31 <= fabs(alpha) <= 1048576.0)

cdef inline double _elu_fn_f32(double x, double alpha) noexcept nogil:
    cdef float xf = <float> x
    return _pos_else(x, x, fa_vexpm1f_mul(xf * (0 if xf > 0 else 1), <float> alpha,
                                          _f32_lo(alpha, 0.0)))

cdef inline double _elu_grad_f32(double x, double alpha) noexcept nogil:
    return _pos_else(x, 1.0, _exp_side_f32(x, <float> alpha, _f32_lo(alpha, 0.0)))

cdef inline double _elu_grad2_f32(double x, double alpha) noexcept nogil:
    return _pos_else(x, 0.0, _exp_side_f32(x, <float> alpha, _f32_lo(alpha, 0.0)))

cdef inline bint _celu_f32_params(double alpha) noexcept nogil:
    # alpha in [2^-8, 2^20]: exp(-120) / alpha underflows
    return FASTACT_F32_NATIVE and 0.00390625 <= alpha <= 1048576.0

cdef inline float _celu_quotient_f32(float xf, double alpha, float* c) noexcept nogil:
    """q = fl(x fl(1 / alpha)), and c[0] with x / alpha = q + c[0] to ~2^-46
    relative, alpha taken as the float pair ah + al (its double value): the
    residual r = x - q ah - q al from two fmaf (the first exact), c = r / alpha
    as r fl(1 / alpha).  c = 0 for alpha a power of two (q exact) and beyond
    |q| = 256, where exp(q) underflows and |c| (up to 2^-23 |q|) would no
    longer be small: the underflowed results keep their sign (and x = -inf
    gives no inf - inf)."""
    cdef float ia = <float> (1.0 / alpha)
    cdef float q = xf * ia
    cdef float r = fmaf(-q, _f32_lo(alpha, 0.0), fmaf(-q, <float> alpha, xf))
    c[0] = <float> 0 if fabsf(q) > <float> 256 else r * ia
    return q

cdef inline float _celu_exp_side_f32(double x, double alpha, float fh, float fl) noexcept nogil:
    # (fh + fl) exp(x / alpha) = (fh + fl) exp(q) (1 + c) for x <= 0
    cdef float c, q = _celu_quotient_f32(<float> x, alpha, &c)
    return _exp_side_f32(q, fh, fmaf(fh, c, fl))

cdef inline double _celu_fn_f32(double x, double alpha) noexcept nogil:
    # (ah + al) expm1(q + c) for x <= 0 (x / alpha = q + c); below |q| = 2^-12,
    # x + x q / 2 from x itself
    cdef float xf = <float> x
    cdef float c, qf = _celu_quotient_f32(xf, alpha, &c)
    cdef float r = fa_vexpm1f_mul_c(qf * (0 if qf > 0 else 1), c, <float> alpha,
                                    _f32_lo(alpha, 0.0))
    r = fmaf(qf / <float> 2, xf, xf) if qf > <float> -2.44140625e-4 else r
    return _pos_else(x, x, r)

cdef inline double _celu_grad_f32(double x, double alpha) noexcept nogil:
    return _pos_else(x, 1.0, _celu_exp_side_f32(x, alpha, 1, 0))

cdef inline double _celu_grad2_f32(double x, double alpha) noexcept nogil:
    return _pos_else(x, 0.0, _celu_exp_side_f32(x, alpha, <float> (1.0 / alpha),
                                                _f32_lo(1.0 / alpha, 0.0)))

cdef inline bint _softplus_f32_params(double beta) noexcept nogil:
    # beta x exact in float: beta a power of two; beta sigmoid'(-120) underflows
    return FASTACT_F32_NATIVE and 0.00390625 <= beta <= 1048576.0 and _is_power_of_two(beta)

cdef inline double _softplus_fn_f32(double x, double beta) noexcept nogil:
    cdef float bf = <float> beta, xf = <float> x
    return fa_vsoftplusf(xf, bf * xf, <float> (1.0 / beta))

cdef inline double _softplus_grad_f32(double x, double beta) noexcept nogil:
    cdef float bf = <float> beta
    return fa_vsigmoidf_mul(bf * <float> x, 1)

cdef inline double _softplus_grad2_f32(double x, double beta) noexcept nogil:
    cdef float bf = <float> beta
    return fa_vsigmoidf_d1(bf * <float> x, bf)

cdef inline bint _swish_f32_params(double beta) noexcept nogil:
    # below beta x = -120, x sigmoid(beta x) underflows
    return FASTACT_F32_NATIVE and 0.00390625 <= fabs(beta) <= 1048576.0

cdef inline float _swish_p_f32(float xf, double beta, float* pl) noexcept nogil:
    """p = beta x in float and pl[0] its rounding error (to first order), with
    beta = bh + bl a float pair: exact for a float beta (1.5), and for one that
    is not (1.702) the error of bh is in pl too."""
    cdef float bh = <float> beta
    cdef float bl = <float> (beta - <double> bh)
    cdef float p = bh * xf
    pl[0] = fmaf(bh, xf, -p) + bl * xf
    return p

cdef inline double _swish_fn_f32(double x, double beta) noexcept nogil:
    cdef float xf = <float> x
    cdef float pl
    cdef float p = _swish_p_f32(xf, beta, &pl)
    return fa_vsigmoidf_mul_l(p, pl, xf)

cdef inline double _swish_grad_f32(double x, double beta) noexcept nogil:
    # swish'(x) = silu'(beta x), with beta x's rounding error
    cdef float pl
    cdef float p = _swish_p_f32(<float> x, beta, &pl)
    return fa_vsiluf_d1_l(p, pl)


# float64 variants, for the float64 vector modules: their loops call
# _NAME_OP_f64 when _NAME_f64_params(params) holds (the same mechanism).

cdef inline double _div_by(double s, double d, double inv_d) noexcept nogil:
    """s / d from inv_d = fl(1 / d): s inv_d corrected by the exact remainder
    s - q d, rounded about once (Markstein's correction; it needs FMA, which the
    float64 vector modules have).  With d a constant or a parameter, 1 / d
    leaves the loop: no division per element."""
    cdef double q = s * inv_d
    return fma(fma(-q, d, s), inv_d, q)

# hardswish, hardswish' and hardsigmoid: the division bounded the loops (vdivpd:
# about one element per cycle); AVX-512, 1 thread, 65536 elements: 0.148 ->
# 0.138, 0.187 -> 0.138, 0.143 -> 0.126 ns.  Same accuracy (worst 1.82, 1, 1
# ULP).  Carrying the sums' rounding errors into the quotient as well gives 0.5
# ULP but cost hardswish 0.148 -> 0.20 ns.
cdef inline bint _hardswish_f64_params() noexcept nogil:
    return True

cdef inline double _hardswish_fn_f64(double x) noexcept nogil:
    cdef double r = _div_by(x * (x + 3.0), 6.0, 1.0 / 6.0)
    r = x if x == 0.0 else r                # -0 (the remainder's sum gives +0)
    r = x if x >= 3.0 else r                # also inf (r is NaN there)
    return 0.0 if x <= -3.0 else r

cdef inline double _hardswish_grad_f64(double x) noexcept nogil:
    cdef double r = _div_by(2.0 * x + 3.0, 6.0, 1.0 / 6.0)
    r = 1.0 if x > 3.0 else r               # hardswish'(3) = 1.5: left-hand
    r = 0.0 if x <= -3.0 else r
    return x if x != x else r

# softplus'': beta sigmoid'(beta x) with beta's scaling moderate, one exp
# (fa_vlogistic_d1_mul) instead of logistic_d1_tail's shifted one.
cdef inline bint _softplus_f64_params(double beta) noexcept nogil:
    return 8.673617379884035e-19 <= beta <= 1.152921504606847e18     # 2^-60, 2^60

cdef inline double _softplus_grad2_f64(double x, double beta) noexcept nogil:
    # p's rounding error from a bare fma: where p overflows, the kernel's
    # |p| > 810 select gives 0 without it
    cdef double p = beta * x
    return fa_vlogistic_d1_mul(p, fma(beta, x, -p), beta)

# hardsigmoid: for h where 2 h and 1 / (2 h) are finite and normal.
cdef inline bint _hardsigmoid_f64_params(double half_width) noexcept nogil:
    return 9.332636185032189e-302 <= half_width <= 1.0715086071862673e301  # 2^-1000, 2^1000

cdef inline double _hardsigmoid_fn_f64(double x, double half_width) noexcept nogil:
    cdef double w = 2.0 * half_width
    cdef double r = _div_by(x + half_width, w, 1.0 / w)
    r = 0.0 if x <= -half_width else r
    return 1.0 if x >= half_width else r

# elu' and elu'', celu'': f exp(h) with 2^-60 <= |f| <= 2^60 scales exp by 2^k
# in two factors (exp_mul_moderate) instead of shifting exp's argument, which
# only a factor beyond that range needs.
cdef inline bint _elu_f64_params(double alpha) noexcept nogil:
    return 8.673617379884035e-19 <= fabs(alpha) <= 1.152921504606847e18     # 2^-60, 2^60

cdef inline double _elu_grad_f64(double x, double alpha) noexcept nogil:
    cdef double r = exp_mul_moderate(0.0 if x > 0.0 else x, 0.0, alpha)
    return 1.0 if x > 0.0 else r

cdef inline double _elu_grad2_f64(double x, double alpha) noexcept nogil:
    cdef double r = exp_mul_moderate(0.0 if x > 0.0 else x, 0.0, alpha)
    return 0.0 if x > 0.0 else r

# celu: also x / alpha as q + r / alpha from 1 / alpha, which the loop computes
# once, instead of two divisions per element (1.85 -> 1.12 ns for celu, AVX-512).
# q = x (1 / alpha) is then within 1.5 ulp of x / alpha, not its rounding, so
# r = x - q alpha may need 55 bits: the fma rounds it, an error of 2^-53 r in a
# correction that is itself below 2^-51 of the result.
cdef inline bint _celu_f64_params(double alpha) noexcept nogil:
    return 8.673617379884035e-19 <= alpha <= 1.152921504606847e18

cdef inline double _celu_q_f64(double xn, double alpha, double* r) noexcept nogil:
    """q + r / alpha = xn / alpha (r: the residual of _celu_residual)."""
    cdef double q = xn * (1.0 / alpha)
    r[0] = _celu_residual(xn, alpha, q)
    return q

cdef inline double _celu_fn_f64(double x, double alpha) noexcept nogil:
    cdef double r, q = _celu_q_f64(0.0 if x > 0.0 else x, alpha, &r)
    return x if x > 0.0 else _celu_exp_side(q, r, alpha)

cdef inline double _celu_grad_f64(double x, double alpha) noexcept nogil:
    cdef double r, q = _celu_q_f64(0.0 if x > 0.0 else x, alpha, &r)
    cdef double res = exp_mul_moderate(q, r * (1.0 / alpha), 1.0)
    return 1.0 if x > 0.0 else res

cdef inline double _celu_grad2_f64(double x, double alpha) noexcept nogil:
    cdef double r, q = _celu_q_f64(0.0 if x > 0.0 else x, alpha, &r)
    cdef double res = exp_mul_moderate(q, r * (1.0 / alpha), 1.0 / alpha)
    return 0.0 if x > 0.0 else res


# ---------------------------------------------------------------- sigmoid family
cdef inline double sigmoid_fn(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return fa_vsigmoidf_mul(<float> x, 1)
    return logistic(x, 0.0)

cdef inline double sigmoid_grad(double x) noexcept nogil:
    # e / (1 + e)^2 with e = exp(-|x|): even in x, and never 0 where it is normal
    # (sigma * (1 - sigma) is 0 from x = 37 on).
    if FASTACT_F32_NATIVE:
        return fa_vsigmoidf_d1(<float> x, 1)
    return logistic_d1(x, 0.0, 1.0)

cdef inline double sigmoid_grad2(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return fa_vsigmoidf_d2(<float> x, 1)
    return logistic_d2(x, 0.0, 1.0)

cdef inline double log_sigmoid_fn(double x) noexcept nogil:
    # -log1p(exp(-x)) for x >= 0, x - log1p(exp(x)) below (both terms negative:
    # no cancellation); one straight-line path, min(x, 0) - log1p(exp(-|x|)).
    cdef double l = log1p(exp(-fabs(x)))
    return -l if x >= 0.0 else x - l

cdef inline double log_sigmoid_grad(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return fa_vsigmoidf_mul(-<float> x, 1)
    return logistic(-x, 0.0)

cdef inline double log_sigmoid_grad2(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return -fa_vsigmoidf_d1(<float> x, 1)
    return -logistic_d1(x, 0.0, 1.0)

cdef inline double tanh_fn(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return fa_vtanhf(<float> x)
    return tanh(x)

cdef inline double tanh_grad(double x) noexcept nogil:
    # sech(x)^2 = 4 sigmoid'(2x); 2x is exact.  1 - tanh^2 would be 0 from x = 19.
    if FASTACT_F32_NATIVE:
        return fa_vsigmoidf_d1(<float> 2 * <float> x, 4)
    return logistic_d1(2.0 * x, 0.0, 4.0)

cdef inline double tanh_grad2(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return fa_vsigmoidf_d2(<float> 2 * <float> x, 8)
    return logistic_d2(2.0 * x, 0.0, 8.0)

cdef inline double softplus_fn(double x, double beta) noexcept nogil:
    if have_ext() & (fabs(beta * x) <= 800.0):
        return _softplus_ext(x, beta)
    # Straight-line: both signs computed, one selected (vectorizes).
    cdef double p = beta * x
    cdef double pl = two_prod_lo(beta, x, p)
    cdef double l = -pl if p > 0.0 else pl   # exp(-|p + pl|) = exp(-|p| + l)
    cdef double e, ib, ll, lh, eh, el, k, r
    if FASTACT_FLOAT32:
        # e = exp(-|p + pl|) (never exp(+p): no overflow), one exp for both
        # signs; float32 results: times 1 / beta, which the loop computes once,
        # for two divisions per element (within a double ULP of the quotients).
        # For a subnormal beta 1 / beta is clamped to DBL_MAX: the float32
        # result is inf either way, and 0 * DBL_MAX is 0 (x = inf: log1p(e) =
        # 0), not NaN.
        e = exp_mul(-fabs(p), l, 1.0)
        ib = 1.0 / beta
        ib = DBL_MAX if ib > DBL_MAX else ib
        lh = log1p_hl(e, &ll)
        r = (lh + ll) * ib
        r = x + r if p > 0.0 else r
        r = e * ib if p < -700.0 else r      # log1p(e) = e below -700
        return x if x != x else r
    # float64: exp(-|p + pl|) as a double-double, log1p of it as hi + lo, and
    # one rounding for the quotient by beta.  With exp and the quotient rounded
    # apart, float64 softplus with beta = 10 was up to 2.5 ULP off: exp's ~0.9
    # ULP of e can be 1.8 ULP of e / beta.  The exp's argument shifted by
    # k 512 ln 2 below -700 (k = 1..3), 2^-512 applied k times last: the tail
    # log1p(e) = e, e / beta, from the same exp (one exp per element, not two).
    eh = _exp_shifted_dd(-fabs(p), l, &el, &k)
    lh = log1p_hl(eh, &ll)                   # for k = 0; not used otherwise
    r = div_dd(lh, ll + el / (1.0 + eh), beta, 0.0)
    r = x + r if p > 0.0 else r
    r = _unshift(div_dd(eh, el, beta, 0.0), k, -fabs(p), 1.0) if p < -700.0 else r
    return x if x != x else r

cdef inline double softplus_grad(double x, double beta) noexcept nogil:
    cdef double p = beta * x
    return logistic(p, two_prod_lo(beta, x, p))

cdef inline double softplus_grad2(double x, double beta) noexcept nogil:
    cdef double p = beta * x
    cdef double pl = two_prod_lo(beta, x, p)
    return logistic_d1_tail(p, pl, beta)


# ---------------------------------------------------------------- swish, silu, mish

# sigmoid-based kernels (swish, gelu-tanh) in double-double arithmetic where
# their sums cancel: the float64 path without x87 extended precision (vector
# modules, MSVC, aarch64).  Straight-line (loops vectorize), and one function
# per op over common parts rather than one large one: GCC does not inline a
# function that large into the loops.
#
# With the sigmoid's argument p (+ pl), a = |p|, E = exp(-a) (hi + lo) and
# T = 1 + E:  sigmoid(p) = 1 / T (p >= 0) or E / T (p < 0), sigmoid'(p) = E / T^2,
# 1 - 2 sigmoid(p) = -+(1 - E) / T.  For a > 700, E is formed as exp(354.9 - a)
# times 2^-512 applied last (results near the subnormal range rounded once).
ctypedef struct _LogisticParts:
    double p, pl, a, al        # the argument p + pl, a + al = |p + pl|
    double eh, el, scale       # E = (eh + el) * scale
    double es, t, tl           # es = E rounded; T = t + tl
    double d, dl               # T^2 = d + dl
    bint neg

cdef inline _LogisticParts _logistic_parts(double p, double pl) noexcept nogil:
    cdef _LogisticParts s
    s.p = p
    s.pl = pl
    s.a = fabs(p)
    s.al = pl if p >= 0.0 else -pl
    s.neg = p < 0.0
    cdef bint tail = s.a > 700.0
    cdef double ac = 1100.0 if s.a > 1100.0 else s.a     # also a = inf
    cdef double h = TAIL_SHIFT_HI - ac if tail else -ac   # exp argument
    cdef double hl = two_sum_lo(TAIL_SHIFT_HI, -ac, h) + TAIL_SHIFT_LO if tail else 0.0
    h = -708.0 if h < -708.0 else h                       # a > 1062: the result underflows
    s.scale = tail_scale(s.a - 700.0)         # 2^-512 where tail (not a select: _math.pxd)
    s.eh = exp_dd(h, &s.el)
    s.el = fma(s.eh, hl - s.al, s.el)                     # exp(h + hl - al), first order
    s.es = s.eh * s.scale
    s.t = 1.0 + s.es
    s.tl = (s.es - (s.t - 1.0)) + s.el * s.scale
    s.d = s.t * s.t
    s.dl = fma(s.t, s.t, -s.d) + 2.0 * s.t * s.tl
    return s

cdef inline double _x_sigmoid_dd(double x, double p, double pl) noexcept nogil:
    """x sigmoid(p + pl) = x / T or x E / T (p < 0), E = exp(-|p + pl|) in
    double-double, T = 1 + E, from one division: with u = 1 / t, 1 / T = u (1 + rho)
    and rho from the reciprocal's exact remainder.  Rounded about once.  E is
    exp's argument shifted by k 512 ln 2 where it would be subnormal (k = 0..3,
    _exp_shifted_dd), 2^-512 applied k times last: x near DBL_MAX times exp(p)
    is nonzero down to p = -1454.  x = +-inf enters as +-DBL_MAX (callers set
    the limits); NaN stays NaN."""
    cdef double xc = copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x
    cdef double a = fabs(p)
    cdef double el, k
    cdef double e = _exp_shifted_dd(-a, pl if p < 0.0 else -pl, &el, &k)   # exp(-|p + pl|)
    # beyond |p| = 700 (k > 0) E < 2^-1000: T = 1
    cdef double es = e if k == 0.0 else 0.0
    cdef double t = 1.0 + es
    cdef double tl = (es - (t - 1.0)) + (el if k == 0.0 else 0.0)
    cdef double u = 1.0 / t
    cdef double rho = fma(-u, t, 1.0) - u * tl
    cdef double nh = e if p < 0.0 else 1.0
    cdef double nl = el if p < 0.0 else 0.0
    cdef double m = xc * nh
    cdef double ml = fma(xc, nh, -m) + xc * nl
    cdef double q = m * u
    cdef double r = q + ((fma(m, u, -q) + ml * u) + q * rho)
    return _unshift(r, k if p < 0.0 else 0.0, -a if p < 0.0 else 0.0, x)

cdef inline double _x_sigmoid(double x, double p, double pl) noexcept nogil:
    """x sigmoid(p + pl) for |x| <= 2^60 |p| (gelu-tanh; silu and swish call
    fa_vsigmoid_mul themselves): the float64 vector modules' fa_vsigmoid_mul
    (_vecmath.h: the same accuracy from an exp pair and one reciprocal, at
    about 0.65x the cost), _x_sigmoid_dd elsewhere."""
    if FASTACT_FLOAT32 or FASTACT_EXACT_TAILS:
        return _x_sigmoid_dd(x, p, pl)
    return fa_vsigmoid_mul(p, pl, copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x)

cdef inline double _sigmoid_plus_g_dsigmoid_dd(_LogisticParts s, double g, double gl) noexcept nogil:
    """sigmoid(p) + (g + gl) sigmoid'(p) = (T + g E) / T^2 (p >= 0) or
    E (1 + E + g) / T^2 (p < 0), which cancels where g is near -1 - E."""
    cdef double w = 1.0 + g
    cdef double wl = two_sum_lo(1.0, g, w) + gl
    cdef double nh = w + s.es
    cdef double nl = two_sum_lo(w, s.es, nh) + wl + s.el * s.scale
    cdef double m = nh + nl                                # 1 + g + E
    cdef double ml = nl - (m - nh)
    cdef double q = s.eh * m                               # times scale, below
    cdef double ql = fma(s.eh, m, -q) + s.eh * ml + s.el * m
    cdef double ge = g * s.es                              # p >= 0: T + g E
    cdef double gel = fma(g, s.es, -ge) + (g * s.el + gl * s.eh) * s.scale
    cdef double u = s.t + ge
    cdef double ul = two_sum_lo(s.t, ge, u) + s.tl + gel
    cdef double r = div_dd_moderate(q if s.neg else u, ql if s.neg else ul, s.d, s.dl)
    return r * (s.scale if s.neg else 1.0)

cdef inline _LogisticParts _swish_parts(double x, double beta) noexcept nogil:
    # x = +-inf enters as +-DBL_MAX so that beta = 0 gives p = 0, not 0 * inf.
    cdef double xc = copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x
    cdef double p = beta * xc
    return _logistic_parts(p, two_prod_lo(beta, xc, p))

# swish = x sigmoid(p), p = beta x;  swish' = sigmoid(p) + p sigmoid'(p), which
# cancels next to its zero p = -1.2785;  swish'' = beta E (2 T - a (1 - E)) / T^3,
# which cancels next to p = +-2.3994.
cdef inline double _swish_dd_fn(double x, double beta) noexcept nogil:
    cdef double xc = copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x
    cdef double p = beta * xc
    cdef double r = _x_sigmoid_dd(x, p, two_prod_lo(beta, xc, p))
    # x = +-inf: x (beta x > 0) or 0 with x's sign (beta x < 0), also for tiny beta
    r = (x if beta * x > 0.0 else copysign(0.0, x)) if fabs(x) > DBL_MAX else r
    return 0.5 * x if beta == 0.0 else r

cdef inline double _swish_dd_grad(double x, double beta) noexcept nogil:
    cdef _LogisticParts s = _swish_parts(x, beta)
    cdef double r = _sigmoid_plus_g_dsigmoid_dd(s, s.p, s.pl)
    return (1.0 if s.p > 0.0 else -0.0) if s.a > 800.0 else r  # the limits

cdef inline double _swish_dd_grad2(double x, double beta) noexcept nogil:
    cdef _LogisticParts s = _swish_parts(x, beta)
    # 2 T - a M, M = 1 - E
    cdef double m = 1.0 - s.es
    cdef double ml = two_sum_lo(1.0, -s.es, m) - s.el * s.scale
    cdef double am = s.a * m
    cdef double aml = fma(s.a, m, -am) + s.a * ml + s.al * m
    cdef double w = 2.0 * s.t - am
    cdef double wl = two_sum_lo(2.0 * s.t, -am, w) + 2.0 * s.tl - aml
    cdef double q = s.eh * w
    cdef double d3 = s.d * s.t
    cdef double r = div_dd(q, fma(s.eh, w, -q) + s.eh * wl + s.el * w,
                            d3, fma(s.d, s.t, -d3) + s.dl * s.t + s.d * s.tl)
    # beta * (...): not (beta * ...) / T^3, which overflows for beta near DBL_MAX
    r = (beta * r) * s.scale
    # the limits: beta times -0 (2 T - a M < 0 there); 0 for beta = 0
    r = (-0.0 if beta > 0.0 else 0.0) if (s.a > 800.0) | (fabs(x) > DBL_MAX) else r
    return x if x != x else (0.0 if beta == 0.0 else r)


cdef inline double swish_fn(double x, double beta) noexcept nogil:
    if beta == 0.0:
        return 0.5 * x                       # x sigmoid(0), also at +-inf (not inf * 0)
    if have_ext() & (fabs(beta * x) <= 800.0):
        return _swish_ext(x, beta, 0)
    if not FASTACT_FLOAT32:
        return _swish_dd_fn(x, beta)
    # Straight-line with a select (an early return here made GCC juggle masks
    # through general registers: 60% slower).
    cdef double p = beta * x
    cdef double r = logistic_mul(p, two_prod_lo(beta, x, p), x)
    return copysign(0.0, x) if p < -DBL_MAX else r   # x * sigmoid(-inf): not inf * 0

cdef inline double _swish_grad_plain(double x, double beta) noexcept nogil:
    # The float32 vector modules: plain double is ample.  swish' = s (1 + p c)
    # with s = sigmoid(p), c = 1 - s; e = exp(-|p|), u = 1 / (1 + e): s = u and
    # c = e u for p >= 0, the other way round for p < 0.  1 + p c cancels next
    # to p = -1.2785, so p's rounding error pl is added there.  Straight-line
    # with selects only (an if block here made GCC move masks through general
    # registers).  x = +-inf enters as +-DBL_MAX (swish_grad sets the limits);
    # NaN stays NaN.
    cdef double xc = copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x
    cdef double p = beta * xc
    cdef double pl = two_prod_lo(beta, xc, p)
    cdef double e = exp(-fabs(p))
    cdef double u = 1.0 / (1.0 + e)          # one division (the slowest vector op)
    cdef double eu = e * u
    cdef double s = u if p >= 0.0 else eu
    cdef double c = eu if p >= 0.0 else u
    cdef double r = s * (fma(p, c, 1.0) + pl * c)
    # the limits (-0: negative below the zero), which also keep inf * 0 out
    return (1.0 if p > 0.0 else -0.0) if fabs(p) > 800.0 else r

cdef inline double swish_grad(double x, double beta) noexcept nogil:
    # sigmoid(p) * (1 + p * (1 - sigmoid(p))), p = beta x
    if have_ext() & (fabs(beta * x) <= 800.0):
        return _swish_ext(x, beta, 1)
    cdef double xc, p, r
    if FASTACT_FLOAT32:
        r = _swish_grad_plain(x, beta)
    elif FASTACT_EXACT_TAILS:
        r = _swish_dd_grad(x, beta)
    else:
        # the float64 vector modules: silu'(beta x) from an exp pair and one
        # reciprocal (_vecmath.h), about half the double-double path's cost.
        # p's rounding error from a bare fma (two_prod_lo's branch with the
        # selects below stopped GCC 12 vectorizing): where p overflows, the
        # kernel selects its limits and the low part is not used.
        xc = copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x
        p = beta * xc
        r = fa_vsilu_d1(p, fma(beta, xc, -p))
    # x = +-inf: the limits 1 (beta x > 0) and -0 (beta x < 0), also for tiny
    # beta; 1/2 for beta = 0 (sigmoid(0))
    return (0.5 if beta == 0.0 else (1.0 if beta * x > 0.0 else -0.0)) if fabs(x) > DBL_MAX else r

cdef inline double swish_grad2(double x, double beta) noexcept nogil:
    # beta * sigmoid'(p) * (2 + p * (1 - 2 sigmoid(p))), an even function of p:
    # beta * e * (2 (1 + e) - |p| (1 - e)) / (1 + e)^3 with e = exp(-|p|)
    if have_ext() & (fabs(beta * x) <= 800.0):
        return _swish_ext(x, beta, 2)
    if not FASTACT_FLOAT32:
        return _swish_dd_grad2(x, beta)
    cdef double p = beta * x, a, al, e, m, t
    # the limits: beta times -0 (see _swish_dd_grad2); +0 for beta = 0
    cdef double limit = -0.0 if beta > 0.0 else 0.0
    if (fabs(p) > 800.0) | (beta == 0.0):
        return x if x != x else limit
    a = fabs(p)
    al = two_prod_lo(beta, x, p)
    if p < 0.0:
        al = -al
    e = exp_expm1(-a, &m)
    m = -m
    t = 1.0 + e
    # beta * (...): not (beta * ...) / t^3, which overflows for beta near DBL_MAX
    # where the result is finite (and then inf * 0 in mul_exp: NaN at x = 0)
    return mul_exp(e, -a, -al, beta * ((2.0 * t - a * m) / (t * t * t)))

# The float64 vector modules' swish for 2^-60 <= |beta| <= 2^60 (the loops'
# variant mechanism, below): fa_vsigmoid_mul, whose f = x is within 2^60 of p.
cdef inline bint _swish_f64_params(double beta) noexcept nogil:
    return 8.673617379884035e-19 <= fabs(beta) <= 1.152921504606847e18     # 2^-60, 2^60

cdef inline double _swish_fn_f64(double x, double beta) noexcept nogil:
    # beta is not 0 here; p's rounding error from a bare fma (where p
    # overflows, the kernel selects its limits without it): through
    # _swish_dd_fn's checks and two_prod_lo's branch the loop ran 25% slower.
    cdef double xc = copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x
    cdef double p = beta * xc
    cdef double r = fa_vsigmoid_mul(p, fma(beta, xc, -p), xc)
    return (x if beta * x > 0.0 else copysign(0.0, x)) if fabs(x) > DBL_MAX else r

# silu = swish with beta = 1 (its own kernel, so that the constant folds).
cdef inline double silu_fn(double x) noexcept nogil:
    cdef double r, xc
    if FASTACT_F32_NATIVE:
        return fa_vsiluf(<float> x)
    if not (FASTACT_FLOAT32 or FASTACT_EXACT_TAILS):
        # x sigmoid(x); x = +-inf enters as +-DBL_MAX (inf * 0 otherwise), and
        # gives the limits inf and -0.  p = x, as in silu_grad: the fused loop
        # (fn_and_grad) computes their common exp and reciprocal once (p = xc
        # here was 25% slower).
        xc = copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x
        r = fa_vsigmoid_mul(x, 0.0, xc)
        return (x if x > 0.0 else -0.0) if fabs(x) > DBL_MAX else r
    return swish_fn(x, 1.0)

cdef inline double silu_grad(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return fa_vsiluf_d1(<float> x)       # a series about its zero x = -1.2785
    if not (FASTACT_FLOAT32 or FASTACT_EXACT_TAILS):
        # swish_grad's vector path with p = x exact (x = +-inf: the kernel's
        # limits 1 and -0, selected over its inf * 0): the same parts as silu_fn's
        return fa_vsilu_d1(x, 0.0)
    return swish_grad(x, 1.0)

cdef inline double silu_grad2(double x) noexcept nogil:
    return swish_grad2(x, 1.0)

# mish in double-double arithmetic where it cancels (the float64 path without
# x87: vector modules, MSVC, aarch64).  With w = exp(-|x|) (hi + lo, from
# _logistic_parts; scaled by 2^-512 for x < -700), every op is a ratio of
# polynomials in w with x entering linearly:
#   mish   = x (w^2 + 2w) / U                  (x <= 0)   x (2w + 1) / D          (x > 0)
#   mish'  = w (A + x B) / U^2, A = w^3 + 4w^2 + 6w + 4, B = 4w + 4            (x <= 0)
#            (A + x B) / D^2,   A = 4w^3 + 6w^2 + 4w + 1, B = 4w^3 + 4w^2     (x > 0)
#   mish'' = 4w (A + x B) / U^3, A = 2w^3 + 6w^2 + 8w + 4, B = -2w^3 - 3w^2 + 2w + 2
#            4w^2 (A + x B) / D^3, A = 4w^3 + 8w^2 + 6w + 2, B = 2w^3 + 2w^2 - 3w - 2
# with U = w^2 + 2w + 2 and D = 2w^2 + 2w + 1.  A + x B cancels next to the
# zeros of mish' (x = -1.19) and mish'' (x = -2.3, 1.5); it is summed in
# double-double, the rest multiplied and divided with compensation.
cdef inline double _dd_cubic(double c3, double c2, double c1, double c0, double w, double wl,
                             double* lo) noexcept nogil:
    """((c3 w + c2) w + c1) w + c0 in double-double, w = w + wl, small integer c."""
    cdef double hl, h = _dd_mul(c3, 0.0, w, wl, &hl)
    cdef double g = h + c2
    cdef double gl = two_sum_lo(h, c2, g) + hl
    h = _dd_mul(g, gl, w, wl, &hl)
    g = h + c1
    gl = two_sum_lo(h, c1, g) + hl
    h = _dd_mul(g, gl, w, wl, &hl)
    g = h + c0
    lo[0] = two_sum_lo(h, c0, g) + hl
    return g

cdef inline double _dd_a_plus_xb(double a, double al, double b, double bl, double x,
                                 double* lo) noexcept nogil:
    """(a + al) + x (b + bl) in double-double."""
    cdef double xb = x * b
    cdef double xbl = fma(x, b, -xb) + x * bl
    cdef double s = a + xb
    lo[0] = two_sum_lo(a, xb, s) + al + xbl
    return s

cdef inline _LogisticParts _mish_parts(double x) noexcept nogil:
    return _logistic_parts(x, 0.0)          # E = w = exp(-|x|)

cdef inline double _mish_den(_LogisticParts s, double* lo) noexcept nogil:
    """U (x <= 0) or D (x > 0) in double-double."""
    cdef double w = s.es, wl = s.el * s.scale
    cdef double ql, q = _dd_mul(w, wl, w, wl, &ql)             # w^2
    q = q if s.neg else 2.0 * q
    ql = ql if s.neg else 2.0 * ql
    cdef double c = 2.0 if s.neg else 1.0
    cdef double t = 2.0 * w + c
    cdef double tl = two_sum_lo(2.0 * w, c, t) + 2.0 * wl
    cdef double u = q + t
    lo[0] = two_sum_lo(q, t, u) + ql + tl
    return u

cdef inline double _mish_dd_fn(double x) noexcept nogil:
    cdef _LogisticParts s = _mish_parts(x)
    cdef double w = s.es, wl = s.el * s.scale
    cdef double gl, g = _mish_den(s, &gl)
    # x <= 0: w (w + 2) / U, the factor w unscaled (scale applied last);
    # x > 0: (2w + 1) / D
    cdef double n = w + 2.0 if s.neg else 2.0 * w + 1.0
    cdef double nl = (two_sum_lo(w, 2.0, n) + wl) if s.neg else (two_sum_lo(2.0 * w, 1.0, n) + 2.0 * wl)
    cdef double ml, m = _dd_mul(s.eh, s.el, n, nl, &ml)
    m = m if s.neg else n
    ml = ml if s.neg else nl
    cdef double q = m / g
    cdef double ql = ((fma(-q, g, m) + ml) - q * gl) / g
    cdef double xc = copysign(DBL_MAX, x) if fabs(x) > DBL_MAX else x
    cdef double r = x * q
    r = (r + (fma(xc, q, -(xc * q)) + xc * ql)) * (s.scale if s.neg else 1.0)
    r = x if x == 0.0 else r                 # -0.0 + 0.0 would be +0.0
    return -0.0 if x < -800.0 else r         # x exp(x) underflows; also x = -inf

cdef inline double _mish_dd_grad(double x) noexcept nogil:
    cdef _LogisticParts s = _mish_parts(x)
    cdef double w = s.es, wl = s.el * s.scale
    cdef double al, a = _dd_cubic(1.0 if s.neg else 4.0, 4.0 if s.neg else 6.0, 6.0 if s.neg else 4.0,
                                  4.0 if s.neg else 1.0, w, wl, &al)
    cdef double bl, b = _dd_cubic(0.0 if s.neg else 4.0, 0.0 if s.neg else 4.0, 4.0 if s.neg else 0.0,
                                  4.0 if s.neg else 0.0, w, wl, &bl)
    cdef double zl, z = _dd_a_plus_xb(a, al, b, bl, x, &zl)
    cdef double gl, g = _mish_den(s, &gl)
    cdef double g2l, g2 = _dd_mul(g, gl, g, gl, &g2l)
    cdef double ml, m = _dd_mul(s.eh, s.el, z, zl, &ml)        # x <= 0: w (A + x B)
    m = m if s.neg else z
    ml = ml if s.neg else zl
    cdef double r = div_dd(m, ml, g2, g2l) * (s.scale if s.neg else 1.0)
    r = 1.0 if x > 40.0 else r               # 1 + (4x - 2) exp(-2x) rounds to 1
    return -0.0 if x < -800.0 else r         # exp(x) (1 + x) < 0 underflows

cdef inline double _mish_dd_grad2(double x) noexcept nogil:
    cdef _LogisticParts s = _mish_parts(x)
    cdef double w = s.es, wl = s.el * s.scale
    cdef double al, a = _dd_cubic(2.0 if s.neg else 4.0, 6.0 if s.neg else 8.0, 8.0 if s.neg else 6.0,
                                  4.0 if s.neg else 2.0, w, wl, &al)
    cdef double bl, b = _dd_cubic(-2.0 if s.neg else 2.0, -3.0 if s.neg else 2.0,
                                  2.0 if s.neg else -3.0, 2.0 if s.neg else -2.0, w, wl, &bl)
    cdef double zl, z = _dd_a_plus_xb(a, al, b, bl, x, &zl)
    cdef double gl, g = _mish_den(s, &gl)
    cdef double g2l, g2 = _dd_mul(g, gl, g, gl, &g2l)
    cdef double g3l, g3 = _dd_mul(g2, g2l, g, gl, &g3l)
    # x <= 0: 4 w (A + x B), w unscaled; x > 0: 4 w^2 (A + x B), w^2 formed
    # as (2^256 w)^2 and 2^-512 applied last from x = 300 on (w^2 < 1e-260:
    # results near the subnormal range rounded once)
    cdef bint big = x > 300.0
    cdef double ws = w * (1.157920892373162e77 if big else 1.0)        # 2^256
    cdef double wsl = wl * (1.157920892373162e77 if big else 1.0)
    cdef double fl, f = _dd_mul(ws, wsl, ws, wsl, &fl)
    f = 4.0 * s.eh if s.neg else 4.0 * f
    fl = 4.0 * s.el if s.neg else 4.0 * fl
    cdef double ml, m = _dd_mul(f, fl, z, zl, &ml)
    cdef double r = div_dd(m, ml, g3, g3l) * (s.scale if s.neg else tail_scale(x - 300.0))
    if (x > 400.0) | (x < -800.0):
        r = -0.0                             # -8 x exp(-2x) and 4 x exp(x) underflow
    return r


cdef inline double mish_fn(double x) noexcept nogil:
    # tanh(softplus(x)) = n / (n + 2), n = w (w + 2), w = exp(x)  (x <= 0)
    #                   = (1 + 2w) / (1 + 2w + 2w^2), w = exp(-x)  (x > 0)
    # Sums and products are carried exactly (hi + lo) and divided with
    # compensation: the error left is exp's and the final rounding.
    if have_ext() & (fabs(x) <= 800.0):
        return _mish_ext(x, 0)
    if not FASTACT_FLOAT32:
        return _mish_dd_fn(x)
    # Straight-line: both signs computed from w = exp(-|x|), one selected
    # (vectorizes).
    cdef double w = exp(-fabs(x))
    # x > 0
    cdef double a = 1.0 + 2.0 * w            # 1 + 2w = a + al
    cdef double al = 2.0 * w - (a - 1.0)
    cdef double n = 2.0 * w * w              # D = a + 2w^2 = d + dl
    cdef double d = a + n
    cdef double dl = (n - (d - a)) + al + fma(2.0 * w, w, -n)
    cdef double q_pos = div_dd(a, al, d, dl)
    # x <= 0
    cdef double b = w + 2.0                  # w + 2 = b + bl
    cdef double bl = w - (b - 2.0)
    cdef double m = w * b                    # w (w + 2) = m + ml
    cdef double ml = fma(w, b, -m) + w * bl
    cdef double u = m + 2.0                  # m + 2 = u + ul
    cdef double ul = (m - (u - 2.0)) + ml
    cdef double q_neg = div_dd(m, ml, u, ul)  # tanh(softplus(x))
    cdef double r = x * (q_pos if x > 0.0 else q_neg)
    if FASTACT_EXACT_TAILS:
        if x < -700.0:
            r = mul_exp(w, x, 0.0, x * div_dd(b, bl, u, ul))
    return -0.0 if x < -800.0 else r         # x exp(x) underflows; also x = -inf

cdef inline double mish_grad(double x) noexcept nogil:
    # t + x * sech(sp)^2 * sigmoid(x), sp = softplus(x), t = tanh(sp)
    if have_ext() & (fabs(x) <= 800.0):
        return _mish_ext(x, 1)
    if not FASTACT_FLOAT32:
        return _mish_dd_grad(x)
    # Straight-line: both signs from w = exp(-|x|), one selected (vectorizes).
    cdef double w = exp(-fabs(x))
    cdef double d = fma(2.0 * w, w, 1.0 + 2.0 * w)                    # x > 0
    cdef double r_pos = (1.0 + 2.0 * w) / d + 4.0 * x * w * w * (1.0 + w) / (d * d)
    cdef double n = w * (w + 2.0)                                     # x <= 0
    cdef double u = n + 2.0
    cdef double num = (w + 2.0) * u * (1.0 + w) + 4.0 * x * (n + 1.0)
    cdef double r_neg = mul_exp(w, x, 0.0, num / ((1.0 + w) * u * u))
    cdef double r = r_pos if x > 0.0 else r_neg
    r = 1.0 if x > 40.0 else r               # 1 + (4x - 2) exp(-2x) rounds to 1
    return -0.0 if x < -800.0 else r         # exp(x) (1 + x) < 0 underflows

cdef inline double mish_grad2(double x) noexcept nogil:
    # sech(sp)^2 * s * (2 + x * (1 - s - 2 t s)), s = sigmoid(x)
    if have_ext() & (fabs(x) <= 800.0):
        return _mish_ext(x, 2)
    if not FASTACT_FLOAT32:
        return _mish_dd_grad2(x)
    # Straight-line: both signs from w = exp(-|x|), one selected (vectorizes).
    cdef double w = exp(-fabs(x))
    cdef double d = fma(2.0 * w, w, 1.0 + 2.0 * w)                    # x > 0
    cdef double br = 2.0 + x * (w * d - 2.0 - 4.0 * w) / (d * (1.0 + w))
    cdef double r_pos = mul_exp(w * w, -2.0 * x, 0.0, 4.0 * (1.0 + w) * br / (d * d))
    cdef double n = w * (w + 2.0)                                     # x <= 0
    cdef double u = n + 2.0
    cdef double br_neg = 2.0 + x * (u - 2.0 * w * n) / (u * (1.0 + w))
    cdef double r_neg = mul_exp(w, x, 0.0, 4.0 * (n + 1.0) * br_neg / (u * u * (1.0 + w)))
    cdef double r = r_pos if x > 0.0 else r_neg
    if (x > 400.0) | (x < -800.0):
        r = -0.0                             # -8 x exp(-2x) and 4 x exp(x) underflow
    return r


# ---------------------------------------------------------------- gelu
# gelu = x Phi(x), gelu' = Phi(x) + x phi(x), gelu'' = phi(x) (2 - x^2), with
# phi(x) = exp(-x^2/2) / sqrt(2 pi).  Three paths: x87 extended precision (the
# accurate scalar loops where long double is that), double-double (the float64
# vector loops, MSVC, aarch64) and plain double (float32 results).
#
# The double-double path, with a = |x| and phi from exp_dd of the exact -x^2/2
# (for x^2/2 > 700, exp(354.9 - x^2/2) with 2^-512 applied last):
# * a <= 1.5: Phi(x) = 1/2 + Q, Q = x phi S(x^2), S(u) = sum u^n / (2n+1)!! (all
#   terms positive: nothing cancels inside S).  1/2 + Q cancels up to 7.5-fold
#   (Phi(-1.5) = 0.067) and gelu' = 1/2 + Q + x phi to zero next to x = -0.7518,
#   so Q, x phi and S's first four terms are double-doubles;
# * a > 1.5: Phi(-a) = phi M / a with M(a) = a Phi(-a) / phi(a) in [0.77, 1), the
#   scaled Mills ratio (a Chebyshev series): gelu = -phi M (x < 0) or x - phi M,
#   gelu' = -G (x < 0) or 1 + G with G = phi (a^2 - M) / a.  Nothing cancels.
cdef extern from *:
    """
    /* M(a) = a Phi(-a) / phi(a) as hi + *lo for a >= 1.5, unrolled (an inner
     * loop would stop the caller's loop from vectorizing). */
    static inline double fastact_gelu_mills(double a, double* lo)
    {
        /* y = (7 - a) / (4 + a) + yl: its rounding error would cost M ~0.6 ULP
         * (|dM/dy| < 0.3), so the remainder yl is kept and applied to first order
         * (dM/dy from the first four terms, ample for a correction of 1e-16). */
        double nh = 7.0 - a, nb = nh - 7.0, nl = (7.0 - (nh - nb)) - (a + nb);   /* 2Sum */
        double dh = 4.0 + a, db = dh - 4.0, dl = (4.0 - (dh - db)) + (a - db);
        double y = nh / dh;
        double yl = ((fma(-y, dh, nh) + nl) - y * dl) / dh;
        const double *c = fastact_GELU_M;
        double dm = (c[1] - 3.0 * c[3]) + y * ((4.0 * c[2] - 16.0 * c[4]) + y * (12.0 * c[3] + y * (32.0 * c[4])));
        /* The series in powers of y, M = m0 + y Q(y) (fastact_GELU_MP: exactly
         * the Chebyshev series; |y| <= 1 and the coefficients of Q sum to 0.21,
         * so its rounding errors stay ~2^-53 of y Q), by Estrin's scheme: a
         * dependency chain of 7 operations where Clenshaw's recurrence had 44,
         * which bounded the loop's speed. */
        const double *q = fastact_GELU_MP;
        double w2 = y * y, w4 = w2 * w2, w8 = w4 * w4, w16 = w8 * w8;
        double a0 = fma(q[2], y, q[1]), a1 = fma(q[4], y, q[3]), a2 = fma(q[6], y, q[5]);
        double a3 = fma(q[8], y, q[7]), a4 = fma(q[10], y, q[9]), a5 = fma(q[12], y, q[11]);
        double a6 = fma(q[14], y, q[13]), a7 = fma(q[16], y, q[15]), a8 = fma(q[18], y, q[17]);
        double a9 = fma(q[20], y, q[19]), a10 = fma(q[22], y, q[21]);
        double b0 = fma(a1, w2, a0), b1 = fma(a3, w2, a2), b2 = fma(a5, w2, a4);
        double b3 = fma(a7, w2, a6), b4 = fma(a9, w2, a8);
        double e0 = fma(b1, w4, b0), e1 = fma(b3, w4, b2), e2 = fma(a10, w4, b4);
        double qy = fma(e2, w16, fma(e1, w8, e0));
        double t = y * qy;
        double m = fastact_GELU_MP0_HI + t;            /* Fast2Sum: |y Q| < 0.21 */
        *lo = ((fastact_GELU_MP0_HI - m) + t) + ((fma(y, qy, -t) + fastact_GELU_MP0_LO) + yl * dm);
        return m;
    }
    """
    double _gelu_mills "fastact_gelu_mills"(double a, double* lo) noexcept nogil

ctypedef struct _GeluParts:
    double ph, pl, scale       # phi = (ph + pl) * scale
    double s, sl               # x^2 = s + sl, |x| clamped to 40
    double ab                  # |x| clamped to [1.5, 40]: the Mills ratio's argument

cdef inline _GeluParts _gelu_parts(double x) noexcept nogil:
    cdef _GeluParts g
    cdef double a = fabs(x)
    a = 40.0 if a > 40.0 else a              # beyond, the limits are selected
    g.ab = 1.5 if a < 1.5 else a
    g.s = a * a
    g.sl = fma(a, a, -g.s)
    cdef double h = 0.5 * g.s
    cdef double hl = 0.5 * g.sl
    cdef bint tail = h > 700.0
    cdef double e = TAIL_SHIFT_HI - h if tail else -h
    cdef double el = two_sum_lo(TAIL_SHIFT_HI, -h, e) + TAIL_SHIFT_LO - hl if tail else -hl
    cdef double eh, elo
    eh = exp_dd(e, &elo)
    elo = fma(eh, el, elo)                   # exp(e + el), first order
    g.ph = eh * INV_SQRT_2PI
    g.pl = fma(eh, INV_SQRT_2PI, -g.ph) + (eh * INV_SQRT_2PI_LO + elo * INV_SQRT_2PI)
    # a select (not tail_scale, which cost gelu' 2% on ordinary inputs, for
    # 1.3x its speed on |x| > 37)
    g.scale = TAIL_SCALE if tail else 1.0
    return g

ctypedef struct _GeluSmall:
    double fh, fl              # Phi(x) = 1/2 + Q
    double xh, xl              # x phi(x)

cdef inline _GeluSmall _gelu_small(double x, _GeluParts g) noexcept nogil:
    """The a <= 1.5 parts (x clamped to +-1.5 elsewhere; NaN stays NaN)."""
    cdef _GeluSmall r
    cdef bint big = g.s > 2.25
    cdef double xa = copysign(1.5, x) if big else x
    cdef double u = 2.25 if big else g.s
    cdef double ul = 0.0 if big else g.sl
    # D = sum_{n >= 4} u^(n-4) / (2n+1)!!, to n = 20 (the rest < 1e-19 of S), by
    # Estrin's scheme (a dependency chain of 6 operations, not 16; all terms
    # positive, u <= 2.25)
    cdef double u2 = u * u
    cdef double u4 = u2 * u2
    cdef double u8 = u4 * u4
    cdef double d01 = fma(9.62000962000962e-05, u, 0.0010582010582010583)
    cdef double d23 = fma(4.9333382666716e-07, u, 7.4000074000074e-06)
    cdef double d45 = fma(1.5273493085670588e-09, u, 2.901963686277412e-08)
    cdef double d67 = fma(3.1622138893727926e-12, u, 7.273091945557423e-11)
    cdef double d89 = fma(4.684761317589322e-15, u, 1.264885555749117e-13)
    cdef double d1011 = fma(5.211080442257311e-18, u, 1.6154349370997664e-16)
    cdef double d1213 = fma(4.5117579586643385e-21, u, 1.5791152855325184e-19)
    cdef double d1415 = fma(3.1266513920057783e-24, u, 1.2193940428822536e-22)
    cdef double d = fma(fma(fma(d1415, u2, d1213), u4, fma(d1011, u2, d89)), u8,
                        fma(fma(d67, u2, d45), u4, fma(d23, u2, d01)))
    d = fma(7.625979004892143e-26, u8 * u8, d)
    # S = 1 + u (1/3 + u (1/15 + u (1/105 + u D))) in double-double
    cdef double ml, m = _dd_a_plus_xb(INV105_HI, INV105_LO, u, ul, d, &ml)
    cdef double ph, pl
    ph = _dd_mul(u, ul, m, ml, &pl)
    m = FIFTEENTH_HI + ph
    ml = two_sum_lo(FIFTEENTH_HI, ph, m) + pl + FIFTEENTH_LO
    ph = _dd_mul(u, ul, m, ml, &pl)
    m = THIRD_HI + ph
    ml = two_sum_lo(THIRD_HI, ph, m) + pl + THIRD_LO
    ph = _dd_mul(u, ul, m, ml, &pl)
    m = 1.0 + ph
    ml = (1.0 - m) + ph + pl                 # Fast2Sum: u (...) < 1.3
    r.xh = xa * g.ph
    r.xl = fma(xa, g.ph, -r.xh) + xa * g.pl
    ph = _dd_mul(r.xh, r.xl, m, ml, &pl)     # Q
    r.fh = 0.5 + ph
    r.fl = two_sum_lo(0.5, ph, r.fh) + pl
    return r

cdef inline double _gelu_phi_mills(_GeluParts g, double* mh, double* ml,
                                   double* lo) noexcept nogil:
    """phi M(g.ab) (unscaled) as hi + lo[0]; M = mh[0] + ml[0]."""
    mh[0] = _gelu_mills(g.ab, ml)
    cdef double f = g.ph * mh[0]
    lo[0] = fma(g.ph, mh[0], -f) + (g.ph * ml[0] + g.pl * mh[0])
    return f

cdef inline double _gelu_dd_fn(double x) noexcept nogil:
    cdef _GeluParts g = _gelu_parts(x)
    cdef _GeluSmall m = _gelu_small(x, g)
    cdef double a = fabs(x)
    cdef double r = x * m.fh
    r = r + (fma(x, m.fh, -r) + x * m.fl)    # x Phi(x), a <= 1.5
    r = x if x == 0.0 else r                 # -0 + 0 would be +0
    cdef double mh, ml, fl, fh = _gelu_phi_mills(g, &mh, &ml, &fl)
    fh = fh * g.scale
    fl = fl * g.scale
    cdef double rp = x - fh                  # x - phi M
    rp = rp + (two_sum_lo(x, -fh, rp) - fl)
    cdef double rn = -((fh + fl))            # -phi M
    r = r if a <= 1.5 else (rp if x > 0.0 else rn)
    r = x if x > 40.0 else r                 # Phi(x) = 1 to 1e-350; also +inf
    r = -0.0 if x < -40.0 else r             # |x| phi(x) < 1e-340; also -inf
    return x if x != x else r

cdef inline double _gelu_dd_grad(double x) noexcept nogil:
    cdef _GeluParts g = _gelu_parts(x)
    cdef _GeluSmall m = _gelu_small(x, g)
    cdef double a = fabs(x)
    cdef double r = m.fh + m.xh              # Phi(x) + x phi(x), a <= 1.5
    r = r + ((two_sum_lo(m.fh, m.xh, r) + m.fl) + m.xl)
    cdef double mh, ml, fl, fh = _gelu_phi_mills(g, &mh, &ml, &fl)
    cdef double dh = g.s - mh                # a^2 - M
    cdef double dl = (two_sum_lo(g.s, -mh, dh) + g.sl) - ml
    cdef double nh = g.ph * dh
    cdef double nl = fma(g.ph, dh, -nh) + (g.ph * dl + g.pl * dh)
    cdef double G = div_dd(nh, nl, g.ab, 0.0) * g.scale
    r = r if a <= 1.5 else (1.0 + G if x > 0.0 else -G)
    r = 1.0 if x > 40.0 else r
    r = -0.0 if x < -40.0 else r             # x phi(x) < 0 underflows; also -inf
    return x if x != x else r

cdef inline double _gelu_dd_grad2(double x) noexcept nogil:
    cdef _GeluParts g = _gelu_parts(x)
    cdef double wh = 2.0 - g.s               # 2 - x^2, exact next to its zeros
    cdef double wl = two_sum_lo(2.0, -g.s, wh) - g.sl
    cdef double r = g.ph * wh
    r = (r + (fma(g.ph, wh, -r) + (g.ph * wl + g.pl * wh))) * g.scale
    r = -0.0 if fabs(x) > 40.0 else r       # (2 - x^2) phi(x) < 0 underflows
    return x if x != x else r

# The float32 path where the module has no FMA (the x86-64 baseline; with FMA,
# _vecmath.h's fa_vgeluf* in float arithmetic): plain double, with phi(x) from
# the exact -x^2/2 and, for Phi, the Mills ratio R(a) = Phi(-a) / phi(a),
# a = |x| (one exp, no erfc):
#   gelu = x - a phi R (x >= 0) or -a phi R;  gelu' = 1 + D or -D, D = phi (a - R).
# Every rounding error is relative to the product, except R's in a - R, which
# cancels ~1000-fold next to gelu's zero x = -0.7518; R is good to 6e-13.
cdef inline double _neg_half_square(double x, double* lo) noexcept nogil:
    """-x^2 / 2 as hi + lo (exact)."""
    cdef double s = x * x
    lo[0] = -0.5 * two_prod_lo(x, x, s)
    return -0.5 * s

cdef inline double _std_normal_pdf_mul(double x, double f) noexcept nogil:
    """f * phi(x) = f * exp(-x^2 / 2) / sqrt(2 pi), with -x^2/2 exact.  For the
    float32 gelu kernels (|f| < 41 where the result is used): exp needs no
    shifted tail (exp_mul's), since below -x^2/2 = -708 the product is far
    below float32's range."""
    cdef double lo, h, r
    h = _neg_half_square(x, &lo)
    if FASTACT_FLOAT32:
        r = exp(h) * (f * INV_SQRT_2PI)
        return fma(r, lo, r)
    return exp_mul(h, lo, f * INV_SQRT_2PI)

cdef inline double _gelu_mills32(double a) noexcept nogil:
    """R(a) = Phi(-a) / phi(a) for 0 <= a <= 16 (a clamped to 16 beyond, where
    phi(a) < 1e-55 makes R's value irrelevant to a float32 result; NaN stays NaN):
    t Q(y), t = 4 / (4 + a), y = 2.5 t - 1.5 in [-1, 1], Q of degree 14 (the
    Chebyshev interpolant at 50 nodes, mpmath at 40 digits, in powers of y: their
    absolute values sum to 1.26, so Horner's rounding errors stay ~1e-16).
    Relative error < 6e-13.  Refit: ``python tools/fit_gelu_mills32.py``."""
    cdef double t = 4.0 / (4.0 + (16.0 if a > 16.0 else a))
    cdef double y = fma(t, 2.5, -1.5)
    # by Estrin's scheme: a dependency chain of 5 operations, not 14
    cdef double y2 = y * y
    cdef double y4 = y2 * y2
    cdef double q01 = fma(0.39460337152182, y, 0.560194405233299)
    cdef double q23 = fma(0.076108688135744, y, 0.20616707987311386)
    cdef double q45 = fma(0.000431185266796013, y, 0.016790998615090723)
    cdef double q67 = fma(-0.00014512455449969063, y, -0.0008975710415797916)
    cdef double q89 = fma(1.3230149537547117e-05, y, 5.279918551764283e-05)
    cdef double q1011 = fma(-9.98922266651621e-07, y, -4.391990358025292e-06)
    cdef double q1213 = fma(5.207310913586408e-08, y, 4.4989729755239287e-07)
    cdef double q = fma(fma(fma(-3.6127180151881366e-08, y2, q1213), y4, fma(q1011, y2, q89)), y4 * y4,
                        fma(fma(q67, y2, q45), y4, fma(q23, y2, q01)))
    return t * q

cdef inline double gelu_fn(double x) noexcept nogil:
    cdef double r
    if have_ext() & (fabs(x) <= 40.0):
        return _gelu_ext(x, 0)
    if FASTACT_F32_NATIVE:
        return fa_vgeluf(<float> x)               # float arithmetic: _vecmath.h
    if not FASTACT_FLOAT32:
        return _gelu_dd_fn(x)
    cdef double a = fabs(x)                  # straight-line with selects
    cdef double p = a * _std_normal_pdf_mul(x, _gelu_mills32(a))     # a Phi(-a)
    r = -p if x < 0.0 else x - p             # -0.0 - 0.0 is -0.0
    r = x if x > 40.0 else r
    return -0.0 if x < -40.0 else r

cdef inline double gelu_grad(double x) noexcept nogil:
    cdef double r
    if have_ext() & (fabs(x) <= 40.0):
        return _gelu_ext(x, 1)
    if FASTACT_F32_NATIVE:
        return fa_vgeluf_d1(<float> x)
    if not FASTACT_FLOAT32:
        return _gelu_dd_grad(x)
    cdef double a = fabs(x)
    cdef double d = _std_normal_pdf_mul(x, a - _gelu_mills32(a))
    r = -d if x < 0.0 else 1.0 + d
    r = 1.0 if x > 40.0 else r
    return -0.0 if x < -40.0 else r          # x phi(x) < 0 underflows; also -inf

cdef inline double gelu_grad2(double x) noexcept nogil:
    cdef double s
    if have_ext() & (fabs(x) <= 40.0):
        return _gelu_ext(x, 2)
    if FASTACT_F32_NATIVE:
        return fa_vgeluf_d2(<float> x)
    if not FASTACT_FLOAT32:
        return _gelu_dd_grad2(x)
    if fabs(x) > 40.0:
        return -0.0 if x == x else x         # (2 - x^2) phi(x) < 0 underflows
    s = x * x                                # 2 - x^2 from the exact square
    return _std_normal_pdf_mul(x, (2.0 - s) - two_prod_lo(x, x, s))


# gelu, tanh approximation: x * (1 + tanh(u)) / 2 = x * sigmoid(v) with
# v = 2u = sqrt(8/pi) * x * (1 + c x^2).  v is formed as a double-double: its
# rounding error is amplified by |v| (up to ~750) in the negative tail.
cdef inline double _gelu_tanh_v(double x, double* vl) noexcept nogil:
    cdef double s, sl, q, ql, w, bb, wl, u, ul, v
    s = x * x
    sl = fma(x, x, -s)
    q = GELU_C_HI * s
    ql = fma(GELU_C_HI, s, -q) + GELU_C_HI * sl + GELU_C_LO * s
    w = 1.0 + q                              # two-sum of 1 + q
    bb = w - 1.0
    wl = ((1.0 - (w - bb)) + (q - bb)) + ql
    u = x * w
    ul = fma(x, w, -u) + x * wl
    v = SQRT_8_PI_HI * u
    vl[0] = fma(SQRT_8_PI_HI, u, -v) + SQRT_8_PI_HI * ul + SQRT_8_PI_LO * u
    return v

cdef inline double _dd_mul(double ah, double al, double bh, double bl, double* lo) noexcept nogil:
    """(ah + al)(bh + bl) = hi + lo[0] (double-double product)."""
    cdef double h = ah * bh
    lo[0] = fma(ah, bh, -h) + (ah * bl + al * bh)
    return h

cdef inline double _dd_one_plus(double c, double cl, double x, double* lo) noexcept nogil:
    """1 + (c + cl) x^2 = hi + lo[0], for c >= 0."""
    cdef double s = x * x
    cdef double sl = fma(x, x, -s)
    cdef double ql, q = _dd_mul(c, cl, s, sl, &ql)
    cdef double w = 1.0 + q
    lo[0] = two_sum_lo(1.0, q, w) + ql
    return w

# gelu-tanh = x sigmoid(v), v = sqrt(8/pi) (x + c x^3);  gelu-tanh' = sigmoid(v) +
# x v' sigmoid'(v), v' = sqrt(8/pi) (1 + 3 c x^2), which cancels next to its zero
# x = -0.7518;  gelu-tanh'' = sigmoid'(v) (A T -+ x v'^2 (1 - E)) / T with
# A = 2 v' + x v'' = 2 sqrt(8/pi) (1 + 6 c x^2), which cancels next to x = +-1.42.
cdef inline double _gelu_tanh_dd_fn(double x) noexcept nogil:
    cdef double vl, v = _gelu_tanh_v(x, &vl)
    cdef double r = _x_sigmoid(x, v, vl)     # |x| < |v|
    r = x if x > 25.0 else r
    return -0.0 if x < -25.0 else r          # x exp(v) < 1e-470

cdef inline double _gelu_tanh_dd_dv(double x, double* lo) noexcept nogil:
    """v' = sqrt(8/pi) (1 + 3 c x^2) = hi + lo[0]."""
    cdef double c3 = 3.0 * GELU_C_HI
    cdef double wl, w = _dd_one_plus(c3, fma(3.0, GELU_C_HI, -c3) + 3.0 * GELU_C_LO, x, &wl)
    return _dd_mul(SQRT_8_PI_HI, SQRT_8_PI_LO, w, wl, lo)

cdef inline double _gelu_tanh_dd_grad(double x) noexcept nogil:
    cdef double vl, v = _gelu_tanh_v(x, &vl)
    cdef double dvl, dv = _gelu_tanh_dd_dv(x, &dvl)
    cdef double g = x * dv
    cdef double r = _sigmoid_plus_g_dsigmoid_dd(_logistic_parts(v, vl), g,
                                                 fma(x, dv, -g) + x * dvl)
    r = 1.0 if x > 25.0 else r
    return 0.0 if x < -25.0 else r

cdef inline double _gelu_tanh_dd_grad2(double x) noexcept nogil:
    cdef double vl, v = _gelu_tanh_v(x, &vl)
    cdef _LogisticParts s = _logistic_parts(v, vl)
    cdef double dvl, dv = _gelu_tanh_dd_dv(x, &dvl)
    # A T, A = 2 sqrt(8/pi) (1 + 6 c x^2)
    cdef double c6 = 6.0 * GELU_C_HI
    cdef double wl, w = _dd_one_plus(c6, fma(6.0, GELU_C_HI, -c6) + 6.0 * GELU_C_LO, x, &wl)
    cdef double al, a = _dd_mul(2.0 * SQRT_8_PI_HI, 2.0 * SQRT_8_PI_LO, w, wl, &al)
    cdef double atl, at = _dd_mul(a, al, s.t, s.tl, &atl)
    # B = x v'^2 (1 - E), subtracted for v >= 0
    cdef double d2l, d2 = _dd_mul(dv, dvl, dv, dvl, &d2l)
    cdef double m = 1.0 - s.es
    cdef double ml = two_sum_lo(1.0, -s.es, m) - s.el * s.scale
    cdef double bl, b = _dd_mul(x * d2, fma(x, d2, -(x * d2)) + x * d2l, m, ml, &bl)
    b = b if s.neg else -b
    bl = bl if s.neg else -bl
    cdef double u = at + b
    cdef double ul = two_sum_lo(at, b, u) + atl + bl
    # E (A T -+ B) / T^3
    cdef double q = s.eh * u
    cdef double d3 = s.d * s.t
    cdef double r = div_dd_moderate(q, fma(s.eh, u, -q) + s.eh * ul + s.el * u,
                            d3, fma(s.d, s.t, -d3) + s.dl * s.t + s.d * s.tl) * s.scale
    return 0.0 if fabs(x) > 25.0 else r


cdef inline double gelu_tanh_fn(double x) noexcept nogil:
    if have_ext() & (fabs(x) <= 25.0):
        return _gelu_tanh_ext(x, 0)
    if FASTACT_F32_NATIVE:
        return fa_vgelu_tanhf(<float> x)     # float arithmetic: _vecmath.h
    if not FASTACT_FLOAT32:
        return _gelu_tanh_dd_fn(x)
    # Straight-line with selects (vectorizes).
    cdef double vl
    cdef double v = _gelu_tanh_v(x, &vl)
    cdef double r = logistic_mul(v, vl, x)
    r = x if x > 25.0 else r
    return -0.0 if x < -25.0 else r          # x exp(v) < 1e-470

cdef inline double gelu_tanh_grad(double x) noexcept nogil:
    # sigmoid(v) + x sigmoid'(v) v',  v' = sqrt(8/pi) (1 + 3 c x^2)
    if have_ext() & (fabs(x) <= 25.0):
        return _gelu_tanh_ext(x, 1)
    if FASTACT_F32_NATIVE:
        return fa_vgelu_tanhf_d1(<float> x)
    if not FASTACT_FLOAT32:
        return _gelu_tanh_dd_grad(x)
    # Straight-line: both signs computed, one selected (vectorizes).
    cdef double vl
    cdef double v = _gelu_tanh_v(x, &vl)
    cdef double dv = SQRT_8_PI_HI * fma(3.0 * GELU_C_HI, x * x, 1.0)
    cdef double e = exp(-fabs(v))
    cdef double t = 1.0 + e
    cdef double r_pos = 1.0 / t + x * dv * e / (t * t)
    cdef double r_neg = mul_exp(e, v, vl, (t + x * dv) / (t * t))
    cdef double r = r_pos if v >= 0.0 else r_neg
    r = 1.0 if x > 25.0 else r
    return 0.0 if x < -25.0 else r

cdef inline double gelu_tanh_grad2(double x) noexcept nogil:
    # sigmoid'(v) (2 v' + x v'') + x sigmoid''(v) v'^2,
    # sigmoid''(v) = sigmoid'(v) (1 - 2 sigmoid(v)),  v'' = 6 c sqrt(8/pi) x
    if have_ext() & (fabs(x) <= 25.0):
        return _gelu_tanh_ext(x, 2)
    if not FASTACT_FLOAT32:
        return _gelu_tanh_dd_grad2(x)
    # Straight-line with selects (vectorizes).
    cdef double v, vl, a, al, e, m, t, dv, d2v, one_m2s, r
    v = _gelu_tanh_v(x, &vl)
    dv = SQRT_8_PI_HI * fma(3.0 * GELU_C_HI, x * x, 1.0)
    d2v = 6.0 * GELU_C_HI * SQRT_8_PI_HI * x
    a = fabs(v)
    al = vl if v >= 0.0 else -vl
    e = exp_expm1(-a, &m)
    m = -m
    t = 1.0 + e
    one_m2s = -m / t if v > 0.0 else m / t
    r = mul_exp(e, -a, -al, (2.0 * dv + x * d2v + x * one_m2s * dv * dv) / (t * t))
    return 0.0 if fabs(x) > 25.0 else r


# ---------------------------------------------------------------- extended precision
# Where a sum cancels near a zero of a derivative (gelu' near -0.75, silu' near
# -1.28, mish' near -1.19, ...), double precision's own exp/erfc errors (0.5-2
# ULP) are amplified ten- to fifty-fold just outside the zero.  Where the C
# long double is x87's extended format (64-bit mantissa, 15-bit exponent: x86-64
# Linux and macOS), those kernels run in it instead, on the ranges where it
# matters, and round once at the end; its exponent range also keeps tails such as
# x exp(x) at x = -745 away from subnormal intermediates.  Elsewhere (MSVC,
# aarch64) the double-double code below them runs: see README "Accuracy".
ctypedef long double ext

cdef inline bint have_ext() noexcept nogil:
    return FASTACT_USE_EXT                   # a compile-time constant

cdef inline ext _ext_sum(double hi, double lo, ext* rest) noexcept nogil:
    """hi + lo (exact double-double) as an ext value plus its (tiny) remainder."""
    cdef ext v = <ext> hi + <ext> lo
    rest[0] = (<ext> hi - v) + <ext> lo
    return v

cdef inline ext _ext_const(double hi, double lo) noexcept nogil:
    """A double-double constant in ext precision."""
    return <ext> hi + <ext> lo

cdef inline ext _ext_logistic(ext v, ext vl) noexcept nogil:
    """sigmoid(v + vl), |v| <= 1200 (no overflow in ext)."""
    return 1 / (1 + expl(-v) * (1 - vl))

cdef inline double _swish_ext(double x, double beta, int op) noexcept nogil:
    cdef ext pl, p = _ext_sum(beta * x, two_prod_lo(beta, x, beta * x), &pl)
    cdef ext s = _ext_logistic(p, pl), c = _ext_logistic(-p, -pl)   # c = 1 - s
    if op == 0:
        return <double> (x * s)
    if op == 1:
        return <double> (s * (1 + (p + pl) * c))
    return <double> (beta * s * c * (2 + (p + pl) * (c - s)))

cdef inline double _mish_ext(double x, int op) noexcept nogil:
    cdef ext sp = log1pl(expl(<ext> x))      # softplus(x)
    cdef ext t = tanhl(sp)
    cdef ext ch, sech2, s, c
    if op == 0:
        return <double> (x * t)
    ch = coshl(sp)
    sech2 = 1 / (ch * ch)
    s = _ext_logistic(<ext> x, 0)
    if op == 1:
        return <double> (t + x * sech2 * s)
    c = _ext_logistic(-(<ext> x), 0)
    return <double> (sech2 * s * (2 + x * (c - 2 * t * s)))

cdef inline double _gelu_ext(double x, int op) noexcept nogil:
    cdef double zh = -x * RSQRT2_HI
    cdef ext zl, z = _ext_sum(zh, fma(-x, RSQRT2_HI, -zh) - x * RSQRT2_LO, &zl)
    cdef double sq = x * x
    cdef ext hl, h = _ext_sum(sq, fma(x, x, -sq), &hl)          # x^2 = h + hl
    # Phi(x) = erfc(z) / 2 with erfc's argument corrected to first order.
    cdef ext cdf = (erfcl(z) - zl * <ext> TWO_OVER_SQRTPI * expl(-z * z)) / 2
    cdef ext pdf = expl(-h / 2) * (1 - hl / 2) * _ext_const(INV_SQRT_2PI, INV_SQRT_2PI_LO)
    if op == 0:
        return <double> (x * cdf)
    if op == 1:
        return <double> (cdf + x * pdf)
    return <double> (pdf * ((2 - h) - hl))

cdef inline double _gelu_tanh_ext(double x, int op) noexcept nogil:
    cdef double vhi, vlo
    vhi = _gelu_tanh_v(x, &vlo)
    cdef ext vl, v = _ext_sum(vhi, vlo, &vl)
    cdef ext s = _ext_logistic(v, vl), c = _ext_logistic(-v, -vl)
    cdef ext xe = x
    cdef ext k = _ext_const(SQRT_8_PI_HI, SQRT_8_PI_LO)
    cdef ext c3 = _ext_const(GELU_C_HI, GELU_C_LO)
    cdef ext dv = k * (1 + 3 * c3 * xe * xe)
    cdef ext d2v = 6 * c3 * k * xe
    if op == 0:
        return <double> (xe * s)
    if op == 1:
        return <double> (s + xe * s * c * dv)
    return <double> (s * c * (2 * dv + xe * d2v + xe * (c - s) * dv * dv))

cdef inline double _softplus_ext(double x, double beta) noexcept nogil:
    cdef ext pl, p = _ext_sum(beta * x, two_prod_lo(beta, x, beta * x), &pl)
    if p > 0:
        return <double> (x + log1pl(expl(-p) * (1 - pl)) / beta)
    return <double> (log1pl(expl(p) * (1 + pl)) / beta)


# ---------------------------------------------------------------- arctan, softsign
cdef inline double arctan_fn(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return fa_vatanf(<float> x)          # one division, 16 float lanes
    return atan(x)

cdef inline float _arctan_grad_f32(float x, float* lo) noexcept nogil:
    """1 / (1 + x^2) = return + lo[0] in float arithmetic (the float32 vector
    modules with FMA), from one reciprocal with its remainder: of 1 + x^2 (an
    exact pair), or beyond |x| = 2^60, where x^2 nears overflow and x^-2 <
    2^-120 of 1, of x, squared as a pair.  |x| held >= 2^-30 (an integer max:
    NaN stays NaN), where the result rounds to 1 either way: x^2 and the
    remainder's products were subnormal or underflowed (2.7x the time over
    |x| in [1e-30, 1e-20], AVX-512)."""
    x = fa_umax_bitsf(fabsf(x), <float> 9.313225746154785e-10)
    cdef float s = x * x, rem
    cdef bint big = x > <float> 1.152921504606847e18
    cdef float d = <float> 1 + s
    cdef float dl = fa_two_sumf_lo(1, s, d) + fmaf(x, x, -s)
    cdef float u = fa_recipf(x if big else d, <float> 0 if big else dl, &rem)
    cdef float uu = u * u
    cdef float g = uu if big else u
    cdef float gl = fmaf(u, u, -uu) + <float> 2 * rem * uu if big else u * rem
    lo[0] = <float> 0 if x > <float> 3.4028234663852886e38 else gl   # inf: not NaN
    return g

cdef inline double arctan_grad(double x) noexcept nogil:
    cdef double s, sl, d, dl, r
    cdef float gl
    if FASTACT_F32_NATIVE:
        return _arctan_grad_f32(<float> x, &gl) + gl
    if fabs(x) > 1e150:
        r = 1.0 / x                          # 1 / (1 + x^2) = r^2 here
        return r * r
    s = x * x
    sl = fma(x, x, -s)
    d = 1.0 + s                              # two-sum: 1 + x^2 = d + dl
    dl = (1.0 - (d - (d - 1.0))) + (s - (d - 1.0)) + sl
    r = 1.0 / d
    return fma(-r, dl * r, r)

cdef inline double arctan_grad2(double x) noexcept nogil:
    cdef double r, g
    cdef float xf, xc, gh, gl, p, pl
    if FASTACT_F32_NATIVE:
        # -2 x g^2, g = 1 / (1 + x^2) as a pair, rounded once (-2 inside the
        # fmaf: doubling a rounded subnormal would double its error).  Below
        # |x| = 2^-30 it is -2 x (exact), and the arithmetic runs on +-2^-30
        # (x g's low parts underflowed there: 2.3x the time)
        xf = <float> x
        xc = fa_umax_bitsf(fabsf(xf), <float> 9.313225746154785e-10)
        xc = -xc if xf < 0 else xc
        gh = _arctan_grad_f32(xc, &gl)
        p = xc * gh
        pl = fmaf(xc, gh, -p) + xc * gl
        p = fmaf(<float> -2 * p, gh, <float> -2 * fmaf(p, gl, pl * gh))
        p = <float> -2 * xf if fabsf(xf) < <float> 9.313225746154785e-10 else p
        pl = <float> -0.0 if xf > <float> 0 else <float> 0                 # the limits at +-inf
        return pl if fabsf(xf) > <float> 3.4028234663852886e38 else p
    if fabs(x) > 1e100:
        r = 1.0 / x                          # -2x / (1 + x^2)^2 = -2 r^3 here
        return (-2.0 * r * r) * r
    g = arctan_grad(x)
    return (-2.0 * x * g) * g

cdef inline double softsign_fn(double x) noexcept nogil:
    if fabs(x) > 1e300:
        return copysign(1.0, x)              # also x = +-inf
    return x / (1.0 + fabs(x))

cdef inline double _one_plus_abs_pow(double x, int k) noexcept nogil:
    """(1 + |x|)^-k for k = 2, 3, with the rounding error of 1 + |x| corrected."""
    cdef double a = fabs(x), d, dl, r, g
    d = 1.0 + a
    if d > 1e100:
        r = 1.0 / d                          # 1 + |x| = |x| exactly here
        g = r * r
        return g if k == 2 else g * r
    dl = (1.0 - (d - (d - 1.0))) + (a - (d - 1.0))
    g = 1.0 / (d * d) if k == 2 else 1.0 / (d * d * d)
    return fma(-k * g, dl / d, g)

cdef inline float _one_plus_abs_pow_f32(double x, int k) noexcept nogil:
    """(1 + |x|)^-k for k = 2, 3 in float arithmetic (the float32 vector
    modules with FMA): 1 + |x| as an exact pair, one reciprocal with its
    remainder, u^k as a pair; about one rounding."""
    cdef float a = fabsf(<float> x), rem, t, tl
    cdef float d = <float> 1 + a
    cdef float u = fa_recipf(d, fa_two_sumf_lo(1, a, d), &rem)
    cdef float uu = u * u
    cdef float uul = fmaf(u, u, -uu)
    if k == 3:
        t = uu * u
        tl = fmaf(uu, u, -t) + uul * u
    else:
        t = uu
        tl = uul
    t = fmaf(k * rem, t, tl) + t
    return <float> 0 if a > <float> 3.4028234663852886e38 else t   # inf: not NaN (inf - inf)

cdef inline double softsign_grad(double x) noexcept nogil:
    if FASTACT_F32_NATIVE:
        return _one_plus_abs_pow_f32(x, 2)
    return _one_plus_abs_pow(x, 2)

cdef inline double softsign_grad2(double x) noexcept nogil:
    cdef float gf
    if FASTACT_F32_NATIVE:
        gf = <float> 2 * _one_plus_abs_pow_f32(x, 3)
        return -gf if <float> x > <float> 0 else gf
    cdef double g = 2.0 * _one_plus_abs_pow(x, 3)
    return -g if x > 0.0 else g             # softsign''(0) = +2: left-hand
