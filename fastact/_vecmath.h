/* Branch-free, inlinable double-precision math for vectorized loops.
 *
 * GCC and Clang vectorize a loop only when it calls no libm function; these
 * replacements are straight-line arithmetic, integer bit operations on the
 * exponent, and selects (ternaries) that the compiler if-converts (with
 * -fno-trapping-math, which keeps NaN and infinity semantics, unlike
 * -ffast-math).  Two accuracy tiers, one per kind of vector module:
 *
 * - float64 loops (fastact._vloops_f64_*): a few double ULP (exp, expm1, log1p
 *   on [0, 1], tanh, atan; within the float64 ULP bounds of the kernels of
 *   _spec.VECTOR_FLOAT64);
 * - float32 loops (fastact._vloops_*, FASTACT_FLOAT32_MATH): the same functions
 *   with shorter series and no compensated divisions, < 2e-9 relative, i.e.
 *   < 0.03 of a float32 ULP, at about half the cost.  The kernels still run in
 *   double, so their range handling (tails, extreme parameters) is unchanged.
 */
#ifndef FASTACT_VECMATH_H
#define FASTACT_VECMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* For the large kernels: GCC would not inline them, and a loop that calls a
 * function does not vectorize. */
#if defined(__GNUC__) || defined(__clang__)
#define FA_ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define FA_ALWAYS_INLINE static __forceinline
#else
#define FA_ALWAYS_INLINE static inline
#endif

/* a * b + c: one instruction where the ISA has FMA; without it (baseline
 * x86-64) the plain expression, since a libm fma() call would stop the loop
 * from vectorizing (only the float32 loops run there, which do not need the
 * exact remainders). */
#if defined(__FMA__) || defined(__aarch64__) || defined(_M_ARM64)
#define FA_FMA(a, b, c) fma(a, b, c)
#else
#define FA_FMA(a, b, c) ((a) * (b) + (c))
#endif

/* (nh + nl) / (dh + dl) with compensation (~0.5 ULP beyond the inputs' own
 * errors), for |nl| << |nh|, |dl| << |dh|, dh != 0 finite. */
static inline double fa_div2(double nh, double nl, double dh, double dl)
{
    double q = nh / dh;
    return q + ((FA_FMA(-q, dh, nh) + nl) - q * dl) / dh;
}

static inline uint64_t fa_asuint(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double fa_asdouble(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* Round to the nearest integer (ties to even), as a double: |x| < 2^51. */
#define FA_SHIFT 6755399441055744.0 /* 1.5 * 2^52 */
static inline double fa_round(double x) { return (x + FA_SHIFT) - FA_SHIFT; }

/* 2^k for an integer-valued double k in [-1022, 1023]. */
static inline double fa_pow2(double k)
{
    return fa_asdouble(fa_asuint(k + (FA_SHIFT + 1023.0)) << 52);
}

/* exp(r) - 1 - r = r^2 P(r) for |r| <= ln2/2 + tiny: P of degree 10 (error <
 * 3e-18); for float32 results the Taylor series to r^9 (< 1e-11 relative: gelu' and
 * silu' cancel a few hundredfold next to their zeros).  fa_expm1_reduced adds
 * r; callers that carry e^r as a pair keep the two apart. */
static inline double fa_exp_series_p(double r)
{
#ifdef FASTACT_FLOAT32_MATH
    /* 1/2 + r/6 + ... + r^7/9! by Estrin's scheme (a chain of 3, not 7) */
    double r2 = r * r;
    double p = FA_FMA(FA_FMA(FA_FMA(1.0 / 362880.0, r, 1.0 / 40320.0), r2,
                             FA_FMA(1.0 / 5040.0, r, 1.0 / 720.0)), r2 * r2,
                      FA_FMA(FA_FMA(1.0 / 120.0, r, 1.0 / 24.0), r2, FA_FMA(1.0 / 6.0, r, 0.5)));
#else
    /* A near-minimax fit of degree 10 (the Chebyshev interpolant on |r| <=
     * 0.3467, mpmath at 50 digits): error < 2.6e-18 with the coefficients in
     * double, as the Taylor series to r^12/14! it replaced (< 4e-18, mostly
     * 1/6's rounding), with two terms fewer.  Estrin's scheme: a dependency
     * chain of 4 operations where Horner's has 10 (AVX-512 float64 exp 0.92 ->
     * 0.84 ns per element for Estrin's, 0.80 -> 0.76 for the shorter fit). */
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double q0 = FA_FMA(0.1666666666666667, r, 0.5);
    double q1 = FA_FMA(0.00833333333332612, r, 0.04166666666666667);
    double q2 = FA_FMA(0.00019841269874873975, r, 0.0013888888888883737);
    double q3 = FA_FMA(2.755725533255441e-06, r, 2.480158732558584e-05);
    double q4 = FA_FMA(2.510524515390137e-08, r, 2.7557273594799413e-07);
    double s0 = FA_FMA(q1, r2, q0), s1 = FA_FMA(q3, r2, q2);
    double s2 = FA_FMA(2.0914707069612355e-09, r2, q4);
    double p = FA_FMA(s2, r8, FA_FMA(s1, r4, s0));
#endif
    return p;
}

static inline double fa_exp_series_tail(double r)
{
    return (r * r) * fa_exp_series_p(r);
}

static inline double fa_expm1_reduced(double r)
{
    return r + fa_exp_series_tail(r);
}

/* x = k ln2 + r, |r| <= ln2/2 (Cody-Waite: ln2 in two parts).  x is clamped
 * to [-1500, 1500] by the caller so that k fits the exponent arithmetic. */
static inline double fa_reduce(double x, double *k)
{
    const double LOG2E = 1.4426950408889634;
    const double LN2_HI = 0.6931471803691238;       /* 32 significant bits */
    const double LN2_LO = 1.9082149292705877e-10;
    double kk = fa_round(x * LOG2E);
    *k = kk;
    return (x - kk * LN2_HI) - kk * LN2_LO;
}

#ifdef FASTACT_FLOAT32_MATH
/* The float32 tier's exp and expm1 share their argument's clamp, reduction and
 * series; these finish each from em = e^r - 1 and k. */
static inline double fa_vexp_finish(double x, double k, double em)
{
    /* float32 results: double's subnormal range (x < -708) is flushed to 0,
     * which leaves 2^k one factor.  It matters only for a product with a factor
     * above 1e262, and the kernels form those through exp_mul (_math.pxd), whose
     * argument stays above -708 here.  2^k = 2 * 2^(k - 1): k = 1024 near the
     * overflow threshold. */
    double y = ((1.0 + em) * 2.0) * fa_pow2(k - 1.0);
    y = x > 709.782712893384 ? 1.0 / 0.0 : y;
    y = x < -708.0 ? 0.0 : y;
    return x != x ? x : y;
}

static inline double fa_vexp_reduce32(double x, double *k)
{
    double xc = x < -708.0 ? -708.0 : (x > 710.0 ? 710.0 : x);
    return fa_expm1_reduced(fa_reduce(xc, k));
}
#else
/* The float64 tier: exp's clamp and reduction (k up to +-2164, for subnormal
 * results), and its finish from em = e^r - 1 and k. */
static inline double fa_vexp_reduce64(double x, double *k)
{
    /* below -745.2 exp underflows: the lane reduces -700 instead, and the
     * finish scales it by 0 (computed at a clamp and replaced by 0 after, its
     * products underflowed: 2.8x the time over such inputs, AVX2) */
    double xc = x < -745.2 ? -700.0 : (x > 1500.0 ? 1500.0 : x);
    return fa_expm1_reduced(fa_reduce(xc, k));
}

static inline double fa_vexp_finish(double x, double k, double em)
{
    double p = 1.0 + em;
    /* 2^k in two factors, each a normal number, so that subnormal results are
     * rounded once, by the last product. */
    double k1 = fa_round(0.5 * k);
    double k2 = k - k1;
    k2 = k2 > 1023.0 ? 1023.0 : k2;
    double s2 = x < -745.2 ? 0.0 : fa_pow2(k2);
    double y = (p * fa_pow2(k1)) * s2;
    y = x > 709.782712893384 ? 1.0 / 0.0 : y;
    return x != x ? x : y;
}
#endif

static inline double fa_vexpm1_finish(double x, double k, double em);

static inline double fa_vexp(double x)
{
    double k;
#ifdef FASTACT_FLOAT32_MATH
    double em = fa_vexp_reduce32(x, &k);
#else
    double em = fa_vexp_reduce64(x, &k);
#endif
    return fa_vexp_finish(x, k, em);
}

/* f sigmoid'(p + pl) = f E / (1 + E)^2, E = exp(-|p + pl|), for 2^-60 <= |f| <=
 * 2^60 (float64 softplus'' = beta sigmoid'(beta x)): one reduction and series,
 * E = (1 + em) 2^k; the quotient g = f / (1 + E)^2 (with 1 + E's rounding
 * error to first order) times (1 + em)(1 - al) is rounded once, then scaled by
 * 2^k in two normal factors, so that a subnormal result is rounded once more
 * at most (f times an E already rounded to a subnormal would round twice; the
 * shifted exp that any f needs cost 1.6x).  Beyond |p| = 810 the result
 * underflows: 0, from exp(-700) scaled by 0 (no subnormal products). */
static inline double fa_vlogistic_d1_mul(double p, double pl, double f)
{
    double a = fabs(p), al = p >= 0.0 ? pl : -pl;
    int under = a > 810.0;                          /* as in fa_vexp_mul: exp(-700), */
    double xc = under ? -700.0 : -a;                /* scaled by 0 */
    double k, em = fa_expm1_reduced(fa_reduce(xc, &k));
    double e = fa_vexp_finish(xc, k, em);
    double t = 1.0 + e, tl = e - (t - 1.0);         /* 1 + E = t + tl exactly */
    double g = f / (t * t);
    g = FA_FMA(-2.0 * g, tl / t, g);
    double y = FA_FMA(g, FA_FMA(-al, 1.0 + em, em), g);
    double k1 = fa_round(0.5 * k);
    y = (y * fa_pow2(k1)) * (under ? 0.0 : fa_pow2(k - k1));
    y = a > 1e15 ? 0.0 * f : y;                     /* pl may flip y's sign there, or */
                                                    /* be NaN (p = +-inf): fa_vexp_mul */
    return p != p ? p : y;
}

/* f exp(x + l) for x <= 0 (and NaN), |l| << 1 and 2^-60 <= |f| <= 2^60
 * (exp_mul_moderate in _math.pxd; any f: exp_mul's shifted argument).  f e^r
 * (1 + l) is rounded once, then scaled by 2^k in two normal factors (f's
 * range keeps the first product normal and exact): one more rounding only
 * where the result is subnormal.  Below x = -810 the result underflows: the
 * lane computes f exp(-700) and scales it by 0 (a signed 0, f's sign), so
 * that no product in it is subnormal (computed at the clamp, -810, and 0
 * selected after, its last product underflowed: AVX2 loops over such inputs
 * took 1.7-2.8x as long). */
static inline double fa_vexp_mul_(double x, double l, double f, int l_zero)
{
    int under = x < -810.0;
    double xc = under ? -700.0 : x;
    double k, em = fa_expm1_reduced(fa_reduce(xc, &k));
    double y = FA_FMA(f, FA_FMA(l, 1.0 + em, em), f);
    double k1 = fa_round(0.5 * k);
    double s2 = under ? 0.0 : fa_pow2(k - k1);
    y = (y * fa_pow2(k1)) * s2;
    /* Far below, l (a rounding error of x's) may be as large as 1 or NaN (x =
     * -inf) and flip y's sign or make it NaN: below -1e15 (|l| < 0.2 above) 0
     * is selected (a select of l instead cost float64 selu' 14%) */
    if (!l_zero)
        y = x < -1e15 ? 0.0 * f : y;
    return x != x ? x : y;
}

static inline double fa_vexp_mul(double x, double l, double f) { return fa_vexp_mul_(x, l, f, 0); }

/* exp(x) for x <= 0 (and NaN) in the float64 modules: l = 0 needs no guard */
static inline double fa_vexp_neg(double x) { return fa_vexp_mul_(x, 0.0, 1.0, 1); }

/* The common step of the float64 vector modules' logistic kernels (sigmoid
 * times a factor, silu'): with E = exp(-|p + pl|), pl a small correction (p's
 * rounding error), E = (*y + *yl) * *s1 * *s2, and 1 / (1 + E) = u (1 + *rho)
 * to ~2^-100; returns u.  *y + *yl carries the reduction's rounding error, pl
 * and the series' tail r^2 P apart from 1 + r; 1 + E is exact; one
 * reciprocal with its remainder.  2^k in two normal factors *s1 * *s2 (k >=
 * -1169), for the caller to apply last, so that a subnormal result is
 * rounded about once.  Beyond |p| = 810 (also inf; NaN stays NaN) E is
 * exp(-700) times *s2 = 0: 0, with no subnormal product (at a clamp to 810
 * they underflowed, and AVX2 loops over such inputs took ~2x as long). */
FA_ALWAYS_INLINE double fa_vlogistic_parts(double p, double pl, double *y, double *yl,
                                           double *s1, double *s2, double *rho)
{
    const double LOG2E = 1.4426950408889634;
    const double LN2_HI = 0.6931471803691238;       /* 32 significant bits */
    const double LN2_LO = 1.9082149292705877e-10;
    double a = p < 0.0 ? -p : p;
    double al = p < 0.0 ? -pl : pl;                 /* |p + pl| = a + al */
    int under = a > 810.0;                          /* E underflows: as in fa_vexp_mul, */
    double ac = under ? 700.0 : a;                  /* exp(-700) scaled by 0 */
    /* -(a + al) = k ln 2 + r1 + d: k ln2_hi and r1 exact (Cody-Waite), d the
     * rest (|d| < 2^-22), r = r1 + d rounded with its error re (2Sum: r1 may be
     * below d).  e^(r + re) = 1 + r1 + d + r^2/2 + r re + r^3 Q(r): y + yl,
     * with 1 + r1 and (1 + r1) + r^2/2 by Fast2Sum, r^2 as an exact pair, and
     * r^3 Q = r^2 (P - 1/2) (P - 1/2 exact): what a rounded tail r^2 P lost,
     * 0.3 ULP of the results. */
    double k = fa_round(-ac * LOG2E);
    double r1 = -ac - k * LN2_HI;
    double t = k * LN2_LO;
    double d = (-t - FA_FMA(k, LN2_LO, -t)) - al;
    double r = r1 + d;
    double rr = r * r, rrl = FA_FMA(r, r, -rr);
    double q = rr * (fa_exp_series_p(r) - 0.5) + 0.5 * rrl;
    double h = 1.0 + r1;
    double hh = 0.5 * rr;
    double yh = h + hh;
    double ylo = ((((1.0 - h) + r1) + d) + ((h - yh) + hh)) + q;
    *y = yh + ylo;                                  /* normalized: u below is */
    *yl = (yh - *y) + ylo;                          /* then within 2^-53 of 1 / (1 + E) */
    double k1 = fa_round(0.5 * k);
    *s1 = fa_pow2(k1);
    *s2 = under ? 0.0 : fa_pow2(k - k1);
    double e = (*y * *s1) * *s2, el = (*yl * *s1) * *s2;   /* E = e + el */
    double tt = 1.0 + e;
    double ttl = ((1.0 - tt) + e) + el;             /* Fast2Sum: 1 >= E */
    double u = 1.0 / tt;
    *rho = FA_FMA(-u, tt, 1.0) - u * ttl;
    return u;
}

/* f sigmoid(p + pl) = f / (1 + E) (p >= 0) or f E / (1 + E) (p < 0), for
 * |f| <= 2^60 |p| (silu, swish with 2^-60 <= |beta| <= 2^60, gelu-tanh):
 * rounded about once, like the double-double path it replaces (exp_dd and
 * two divisions: AVX-512 silu 2.4 -> 1.55 ns per element).  Beyond
 * |p| = 800, f E underflows for every such f: the limits f (p > 0) and a
 * signed 0 (p < 0).  f = +-inf: callers set the limits (inf * 0 here). */
static inline double fa_vsigmoid_mul(double p, double pl, double f)
{
    double y, yl, s1, s2, rho, u = fa_vlogistic_parts(p, pl, &y, &yl, &s1, &s2, &rho);
    double fu = f * u;
    double pos = FA_FMA(f, u, fu * rho);
    double m = f * y;                               /* f E / 2^k = m + ml */
    double ml = FA_FMA(f, y, -m) + f * yl;
    double mu = m * u;
    double neg = FA_FMA(m, u, FA_FMA(mu, rho, ml * u));
    neg = (neg * s1) * s2;
    double res = p < 0.0 ? neg : pos;
    res = (p < 0.0 ? -p : p) > 800.0 ? (p < 0.0 ? copysign(0.0, f) : f) : res;
    return p != p ? p : res;
}

/* silu'(p + pl) = sigmoid(p) (1 + p (1 - sigmoid(p))), also swish'(x) with
 * p + pl = beta x.  With E and U = 1 / (1 + E) from fa_vlogistic_parts:
 * p >= 0: U (1 + g), g = p E U (nothing cancels); p < 0: E U q, q = 1 + p U,
 * which cancels next to the zero p0 = -1.2785: p U (with pl) and 1 + p U as
 * exact pairs; within 2^-5 of p0, where E's own error would show, the Taylor
 * series about p0 to d^10 in d = p + pl - p0 (p0 in two parts; coefficients
 * from mpmath at 60 digits).  The limits beyond |p| = 800: 1 and -0 (below
 * p0 the value is negative). */
FA_ALWAYS_INLINE double fa_vsilu_d1(double p, double pl)
{
    const double P0_HI = -1.2784645427610737, P0_LO = -1.0946994183093437e-16;
    const double C1_HI = 0.2178117057198001, C1_LO = -3.974332795880862e-18;
    double y, yl, s1, s2, rho, u = fa_vlogistic_parts(p, pl, &y, &yl, &s1, &s2, &rho);
    /* p >= 0: U (1 + G), U = u (1 + rho), G = p E U = p (1 - U) as a pair from
     * 1 - u (exact: u in [1/2, 1]) and u rho (G U is up to 0.22 of the result:
     * p E u rounded plainly cost it 0.5 ULP) */
    double cu = 1.0 - u;
    double gh = p * cu;
    double gl = FA_FMA(p, cu, -gh) + (pl * cu - p * (u * rho));
    double pos = FA_FMA(u, FA_FMA(gh, 1.0 + rho, rho + gl), u);
    /* p < 0: E U q */
    double pu = p * u;
    double pul = FA_FMA(p, u, -pu) + (pu * rho + pl * u);
    double qh = 1.0 + pu;
    double qb = qh - 1.0;
    double ql = ((1.0 - (qh - qb)) + (pu - qb)) + pul;   /* 2Sum */
    double yu = y * u;
    double yul = FA_FMA(y, u, -yu) + (yl * u + yu * rho);
    double neg = FA_FMA(yu, qh, FA_FMA(yu, ql, yul * qh));
    neg = (neg * s1) * s2;
    /* near p0 */
    double a0 = p - P0_HI;                          /* exact (Sterbenz) there */
    double dh = a0 - P0_LO;
    double db = dh - a0;
    double dl = ((a0 - (dh - db)) + (-P0_LO - db)) + pl;  /* 2Sum: a0 may be 0 */
    /* c2 + c3 d + ... + c10 d^8 by Estrin's scheme (a chain of 4, not 8) */
    double d2 = dh * dh, d4 = d2 * d2;
    double q = FA_FMA(FA_FMA(FA_FMA(-2.9733542213263917e-05, dh, -4.090534237428612e-05), d2,
                             FA_FMA(0.00018570724361186496, dh, 0.0007985218818397998)), d4,
                      FA_FMA(FA_FMA(0.000126627410081122, dh, -0.006606589138356696), d2,
                             FA_FMA(-0.015222655223188032, dh, 0.018874814223782312)));
    q = FA_FMA(q, dh, 0.1466487969969469);
    /* (dh + dl)^2 to first order: dl carries pl, up to ~100 ULP of the result */
    double near = FA_FMA(C1_HI, dh, FA_FMA(C1_HI, dl, C1_LO * dh) + (dh * FA_FMA(2.0, dl, dh)) * q);
    double res = p < 0.0 ? neg : pos;
    res = fabs(dh) < 0.03125 ? near : res;
    res = p > 800.0 ? 1.0 : res;        /* two selects: one that picks between two */
    res = p < -800.0 ? -0.0 : res;      /* constants became a bool conversion, which */
    return p != p ? p : res;            /* GCC 12 did not vectorize */
}

static inline double fa_vexpm1(double x)
{
#ifdef FASTACT_FLOAT32_MATH
    double k, em = fa_vexp_reduce32(x, &k);           /* fa_vexp's clamp */
#else
    double xc = x < -60.0 ? -60.0 : (x > 710.0 ? 710.0 : x);
    double k, em = fa_expm1_reduced(fa_reduce(xc, &k));
#endif
    return fa_vexpm1_finish(x, k, em);
}

/* exp(x), and exp(x) - 1 in *em1, for kernels that need both of one argument
 * (sigmoid'', tanh'', swish'', celu): one reduction and one series in the
 * float32 tier.  (GCC does not merge separate fa_vexp and fa_vexpm1 calls: the
 * clamps' selects become PHI nodes in different blocks, which its value
 * numbering does not equate, so the whole series was computed twice.) */
static inline double fa_vexp_expm1(double x, double *em1)
{
    double k;
#ifdef FASTACT_FLOAT32_MATH
    double em = fa_vexp_reduce32(x, &k);
    *em1 = fa_vexpm1_finish(x, k, em);
#else
    /* exp's wider clamp: expm1 is -1 below x = -60 (selected), so its finish
     * may take k clamped (fa_pow2 needs k >= -1022); for x in [-60, 710] the
     * reduction is fa_vexpm1's, so both results keep their bits (float64
     * sigmoid'' and tanh'', AVX-512, 1 thread: 1.75 -> 1.44 and 1.77 -> 1.49 ns). */
    double em = fa_vexp_reduce64(x, &k);
    *em1 = fa_vexpm1_finish(x, k < -100.0 ? -100.0 : k, em);
#endif
    return fa_vexp_finish(x, k, em);
}

static inline double fa_vexpm1_finish(double x, double k, double em)
{
    /* exp(x) - 1 = 2^k (e^r - 1) + (2^k - 1): no cancellation for any x. */
    double k1 = k > 1000.0 ? 1000.0 : k;            /* 2^k = 2^k1 * 2^(k - k1) */
    double s1 = fa_pow2(k1), s2 = fa_pow2(k - k1);
    double y = k > 1000.0 ? (s1 * (em + 1.0)) * s2 : (s1 * em + (s1 - 1.0));
    y = x > 709.782712893384 ? 1.0 / 0.0 : y;
    y = x < -60.0 ? -1.0 : y;
    y = (x < 1e-300 && x > -1e-300) ? x : y;        /* keeps -0.0 and subnormals */
    return x != x ? x : y;
}

/* log(1 + y) for y in [0, 1] (the only range the kernels need: y = exp(-|p|)).
 * 2 atanh(s), s = y / (2 + y) in [0, 1/3]: odd series to s^41, with s carried
 * as s + sl (its rounding error would otherwise pass into the result whole);
 * for float32 results to s^15 and s alone (< 1e-9 relative).  The result is
 * hi = 2s plus *lo (|lo| < 0.05 hi), so that a caller that divides it rounds
 * once (softplus: log1p(e) / beta); fa_vlog1p01 returns hi + lo. */
static inline double fa_vlog1p01_hl(double y, double *lo)
{
#ifdef FASTACT_FLOAT32_MATH
    double s = y / (2.0 + y), s2 = s * s, s4 = s2 * s2;
    /* 1/3 + s2/5 + ... + s2^6/15 by Estrin's scheme (a chain of 3, not 6) */
    double p = FA_FMA(FA_FMA(1.0 / 15.0, s4, FA_FMA(1.0 / 13.0, s2, 1.0 / 11.0)), s4 * s4,
                      FA_FMA(FA_FMA(1.0 / 9.0, s2, 1.0 / 7.0), s4, FA_FMA(1.0 / 5.0, s2, 1.0 / 3.0)));
    *lo = 2.0 * s * (s2 * p);
#else
    double t = 2.0 + y, tl = y - (t - 2.0);         /* 2 + y = t + tl exactly */
    double s = y / t, s2 = s * s;
    double sl = (FA_FMA(-s, t, y) - s * tl) / t;
    /* 1/3 + s2/5 + ... + s2^19/41 by Estrin's scheme: a dependency chain of 6
     * operations, not 19 (the loops' iterations overlap more) */
    double z = s2, z2 = z * z, z4 = z2 * z2, z8 = z4 * z4, z16 = z8 * z8;
    double w0 = FA_FMA(FA_FMA(1.0 / 9.0, z, 1.0 / 7.0), z2, FA_FMA(1.0 / 5.0, z, 1.0 / 3.0));
    double w1 = FA_FMA(FA_FMA(1.0 / 17.0, z, 1.0 / 15.0), z2, FA_FMA(1.0 / 13.0, z, 1.0 / 11.0));
    double w2 = FA_FMA(FA_FMA(1.0 / 25.0, z, 1.0 / 23.0), z2, FA_FMA(1.0 / 21.0, z, 1.0 / 19.0));
    double w3 = FA_FMA(FA_FMA(1.0 / 33.0, z, 1.0 / 31.0), z2, FA_FMA(1.0 / 29.0, z, 1.0 / 27.0));
    double w4 = FA_FMA(FA_FMA(1.0 / 41.0, z, 1.0 / 39.0), z2, FA_FMA(1.0 / 37.0, z, 1.0 / 35.0));
    double p = FA_FMA(FA_FMA(w3, z4, w2), z8, FA_FMA(w1, z4, w0));
    p = FA_FMA(w4, z16, p);
    *lo = 2.0 * sl + 2.0 * s * (s2 * p);
#endif
    return 2.0 * s;
}

static inline double fa_vlog1p01(double y)
{
    double lo, hi = fa_vlog1p01_hl(y, &lo);
    return hi + lo;
}

/* tanh |x| = -m / (2 + m), m = expm1(-2|x|), below 0.55 (no cancellation);
 * above, 1 - 2e / (1 + e), e = exp(-2|x|) <= 1/3.  The division compensated
 * (float64). */
static inline double fa_vtanh(double x)
{
    double a = x < 0.0 ? -x : x;
#ifdef FASTACT_FLOAT32_MATH
    double em = fa_vexpm1(-2.0 * a);                /* in (-1, 0] */
    /* float32: -m / (2 + m) for every |x|; its double rounding errors are
     * ~2^-29 of a float32 ULP. */
    double t = -em / (2.0 + em);
#else
    /* e and m from one reduction and series: e = 2^k (1 + p), m = 2^k p + (2^k - 1)
     * (p = e^r - 1; 2^k - 1 exact for k >= -53, below it m rounds to -1), each
     * rounded once; the two quotients' numerators and denominators selected
     * before one compensated division. */
    double k, p = fa_expm1_reduced(fa_reduce(-2.0 * (a > 30.0 ? 30.0 : a), &k));
    double sc = fa_pow2(k);
    double e = FA_FMA(sc, p, sc), m = FA_FMA(sc, p, sc - 1.0);
    int small = a < 0.55;
    double n = small ? -m : 2.0 * e;
    double d = small ? 2.0 + m : 1.0 + e;
    double dl = small ? m - (d - 2.0) : e - (d - 1.0);
    double q = fa_div2(n, 0.0, d, dl);
    double t = small ? q : 1.0 - q;
#endif
    t = a > 20.0 ? 1.0 : t;
    t = copysign(t, x);                             /* tanh(-0) = -0 */
    return x != x ? x : t;
}

static inline double fa_vatan(double x)
{
    const double PI_2 = 1.5707963267948966, PI_6 = 0.5235987755982989;
    const double SQRT3 = 1.7320508075688772, TAN_PI_12 = 0.2679491924311227;
    double a = x < 0.0 ? -x : x;
    int big = a > 1.0;
    double u = big ? 1.0 / a : a;                   /* atan(a) = pi/2 - atan(1/a) */
    int mid = u > TAN_PI_12;                        /* atan(u) = pi/6 + atan(w) */
#ifdef FASTACT_FLOAT32_MATH
    double w = mid ? (u * SQRT3 - 1.0) / (u + SQRT3) : u;
#else
    /* float64: 1/a, sqrt(3), pi/6 and pi/2 carry their rounding errors (low
     * parts), and u sqrt(3) - 1 is one fma: rounded apart, they added up to
     * 2.04 ULP (x = -1.4725).  ul: 1/a's remainder; wl: what w misses. */
    const double PI_2_LO = 6.123233995736766e-17, PI_6_LO = -5.360408832255455e-17;
    const double SQRT3_LO = 1.0035084221806903e-16;
    double ul = big ? u * FA_FMA(-u, a, 1.0) : 0.0;   /* (1 - u a) / a to ~2^-52 */
    ul = ul == ul ? ul : 0.0;                       /* a = inf: 0 * inf */
    /* u sqrt(3) - 1 as nh + nl with the rounding errors of the product and the
     * difference (Fast2Sum for u sqrt(3) <= 1, exact above): one fma lost the
     * difference's, 0.5 ULP of w, and arctan was 0.99 ULP off at x = 0.27925 */
    double us = u * SQRT3, usl = FA_FMA(u, SQRT3, -us);
    double nh = us - 1.0;
    double nl = ((us - (nh + 1.0)) + usl) + (u * SQRT3_LO + ul * SQRT3);
    double dh = u + SQRT3;
    /* two divisions, not four: the quotient from a reciprocal (~1.5 ULP) and its
     * remainder, whose rounding error is ~2^-52 of a term already ~2^-52 of w. */
    double rdh = 1.0 / dh;
    double wm = (nh + nl) * rdh;
    double dl = (u - (dh - SQRT3)) + (SQRT3_LO + ul);  /* Fast2Sum: sqrt(3) > u */
    double wml = ((FA_FMA(-wm, dh, nh) + nl) - wm * dl) * rdh;
    double w = mid ? wm : u;
    double wl = mid ? wml : ul;
#endif
    double w2 = w * w;
    /* |w| <= tan(pi/12): series to w^27; for float32 results to w^13 (< 1e-9).
     * p = -1/3 + w2/5 - w2^2/7 + ... by Estrin's scheme: a dependency chain of
     * 4 operations where Horner's had 12 (float64 arctan 1.38 -> 1.29 ns). */
    double z2 = w2 * w2, z4 = z2 * z2;
    double p01 = FA_FMA(1.0 / 5.0, w2, -(1.0 / 3.0));
    double p23 = FA_FMA(1.0 / 9.0, w2, -(1.0 / 7.0));
    double p45 = FA_FMA(1.0 / 13.0, w2, -(1.0 / 11.0));
#ifdef FASTACT_FLOAT32_MATH
    double p = FA_FMA(p45, z4, FA_FMA(p23, z2, p01));
#else
    double p67 = FA_FMA(1.0 / 17.0, w2, -(1.0 / 15.0));
    double p89 = FA_FMA(1.0 / 21.0, w2, -(1.0 / 19.0));
    double p1011 = FA_FMA(1.0 / 25.0, w2, -(1.0 / 23.0));
    double p0 = FA_FMA(FA_FMA(p67, z2, p45), z4, FA_FMA(p23, z2, p01));
    double p1 = FA_FMA(-(1.0 / 27.0), z4, FA_FMA(p1011, z2, p89));
    double p = FA_FMA(p1, z4 * z4, p0);
#endif
#ifdef FASTACT_FLOAT32_MATH
    double r = w + w * (w2 * p);
    r = mid ? PI_6 + r : r;
    r = big ? PI_2 - r : r;
#else
    /* atan(w + wl) = w + (w^3 p + wl (1 - w^2)), then the constants' sums with
     * their low parts (Fast2Sum: pi/6 > |atan(w)|, pi/2 > the pi/6 sum) */
    double rl = w * (w2 * p) + wl * (1.0 - w2);
    double rh = w;
    double sh = PI_6 + rh;
    double sl = ((PI_6 - sh) + rh) + (rl + PI_6_LO);
    rh = mid ? sh : rh;
    rl = mid ? sl : rl;
    double th = PI_2 - rh;
    double tl = ((PI_2 - th) - rh) + (PI_2_LO - rl);
    rh = big ? th : rh;
    rl = big ? tl : rl;
    double r = rh + rl;
#endif
    r = x == 0.0 ? x : r;                           /* -0.0 + 0.0 would be +0.0 */
    r = x < 0.0 ? -r : r;
    return x != x ? x : r;
}

/* ------------------------------------------------------------------------
 * The float32 tier in float arithmetic (FASTACT_F32_NATIVE: float32 modules
 * on an ISA with FMA).  Twice the lanes of double and a shorter series; the
 * accuracy comes from error-free transformations (exact 1 + E, the remainder
 * of a reciprocal, exact products from fmaf), so that each result is rounded
 * about once: <= 0.6 float32 ULP measured where it is normal, <= 0.75 where it
 * is subnormal (2^k applied in two factors: a second rounding).  Without FMA
 * those remainders are not exact, and the baseline x86-64 module keeps the
 * double path.
 */
#if defined(FASTACT_FLOAT32_MATH) && (defined(__FMA__) || defined(__aarch64__) || defined(_M_ARM64))
#define FASTACT_F32_NATIVE 1

static inline uint32_t fa_asuintf(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float fa_asfloat(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

#define FA_SHIFTF 12582912.0f /* 1.5 * 2^23 */
static inline float fa_roundf(float x) { return (x + FA_SHIFTF) - FA_SHIFTF; }

/* The exact rounding error a + b - s of s = fl(a + b) (Knuth's 2Sum). */
static inline float fa_two_sumf_lo(float a, float b, float s)
{
    float bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

/* 2^k for an integer-valued float k in [-126, 127]. */
static inline float fa_pow2f(float k)
{
    return fa_asfloat(fa_asuintf(k + (FA_SHIFTF + 127.0f)) << 23);
}

/* Clamps that are not selects.  After vectorizing, GCC folds operations into a
 * select with a constant arm ((vec_cond m C x) op y -> (vec_cond m (C op y)
 * (x op y))), so that a clamp written as a select did not hold for what was
 * computed from it: the clamped lanes' exp scales came from the unclamped x,
 * and their products underflowed, a microcode assist per vector (float32 tanh
 * on |x| in [60, 160] ran 2x as long).  Integer min and max are not folded. */

/* The smaller and the larger of x and c as unsigned bit patterns: for x and c
 * of one sign, the one of smaller (larger) magnitude; NaN above +-inf. */
static inline float fa_umin_bitsf(float x, float c)
{
    uint32_t xu = fa_asuintf(x), cu = fa_asuintf(c);
    return fa_asfloat(xu > cu ? cu : xu);
}

static inline float fa_umax_bitsf(float x, float c)
{
    uint32_t xu = fa_asuintf(x), cu = fa_asuintf(c);
    return fa_asfloat(xu < cu ? cu : xu);
}

/* x, or 0 with x's sign where |x| < c (c > 0, not NaN): the bits masked by
 * an arithmetic shift of their difference, not a select GCC could fold a
 * product into (above). */
static inline float fa_zero_below_bitsf(float x, float c)
{
    uint32_t xu = fa_asuintf(x);
    int32_t d = (int32_t)(xu & 0x7fffffffu) - (int32_t)fa_asuintf(c);
    return fa_asfloat(xu & ~(uint32_t)(d >> 31));   /* d < 0: sign bit only */
}

/* 2^(k + bias) for integer-valued k and bias (a constant, folded into the
 * shift) with k + bias <= 127, and 0 for k + bias <= -127: the exponent field
 * held >= 0 by an integer max (above), not a subnormal power. */
static inline float fa_pow2f_or_zero(float k, float bias)
{
    int32_t b = (int32_t)fa_asuintf(k + (FA_SHIFTF + 127.0f + bias));
    b = b < 0x4B400000 ? 0x4B400000 : b;            /* FA_SHIFTF's bits: field 0 */
    return fa_asfloat((uint32_t)b << 23);
}

/* max(|x|, 2^-26) (NaN stays NaN).  The logistic
 * kernels (sigmoid and its derivatives, silu, swish, softplus, tanh fn and
 * grad) take exp(-|p|) of it: below |p| = 2^-24 their results round to those
 * of p = 0 either way (sigmoid 1/2, f sigmoid(p) f/2, sigmoid' 1/4, silu' 1/2,
 * softplus ln 2; tanh selects x itself there), and the products of a tiny
 * |p|'s parts underflowed: 1.8-2.3x the time over such inputs (tanh, silu,
 * swish fn). */
static inline float fa_abs_floorf(float x)
{
    return fa_umax_bitsf(fabsf(x), 1.49011612e-08f);
}

/* u = fl(1 / d) and *rem with 1 / (d + dl) = u (1 + *rem) to ~2^-46: the
 * reciprocal's exact remainder from one fmaf. */
static inline float fa_recipf(float d, float dl, float *rem)
{
    float u = 1.0f / d;
    *rem = fmaf(-u, d, 1.0f) - u * dl;
    return u;
}

/* exp(x) = (hi + *lo) * *s1 * *s2 for x in [-120, 89]: hi in [0.7, 1.42] with
 * |*lo| <= 2^-24 hi, hi + lo within ~2^-30 relative of exp(x) / 2^k; *s1 * *s2
 * = 2^k, two normal powers of two, so that a caller multiplies them in last and
 * a subnormal result is rounded about once.  Below x = -120 (exp underflows
 * there, also times 2^20; without clamp_above from x = -119.58) the scale is 0
 * and, below -132.5, the parts are those of exp(-132.5): the products a caller
 * forms stay normal until one with the scale, which is 0.  (The parts of
 * exp(-120) made subnormal intermediates, and AVX2 loops over inputs beyond
 * -120 ran 2-2.5x as long; a select of *s2 would cost 8% of exp_mul and
 * sigmoid, where GCC folds the constant 2^-64.)
 * precise (a constant): r^2 exact and the low part of 1 + r kept out of the
 * rounded sum, ~2^-32, for expm1 = E - 1, which cancels near 0 (its error near
 * x = -0.3 falls from 0.81 to 0.71 ULP); hi + lo is not normalized then.
 * clamp_above (a constant): 1 for exp itself (x up to 89, 2^k split in two
 * halves); 0 where x <= 0 (or NaN, or a lane whose result is discarded):
 * no upper clamp, and 2^k = 2^(k + 64) 2^-64 (k >= -172: both normal, the
 * constant 2^-64 last, so a subnormal result is still rounded once).  6 fewer
 * operations and no select: float32 elu/selu/celu grad and grad2 (exp_mul)
 * 0.70-0.78x the time, fn (expm1) 0.80-0.85x; sigmoid, tanh' and softplus'
 * 0.88-0.92x (AVX2, same bits). */
static inline float fa_vexpf_parts_(float x, float *lo, float *s1, float *s2, int precise,
                                    int clamp_above)
{
    int under = x < -120.0f;
    /* Without clamp_above: x clamped to -132.5 by fa_umin_bitsf (x <= 0 here,
     * or NaN in a lane the caller discards) and *s1 held at 0 below x =
     * -119.58 by fa_pow2f_or_zero: not selects, which GCC folded (above). */
    float xc = clamp_above ? (under ? -132.5f : (x > 89.0f ? 89.0f : x))
                           : fa_umin_bitsf(x, -132.5f);
    float k = fa_roundf(xc * 1.44269504088896341f);
    float r1 = fmaf(k, -0.693145751953125f, xc);              /* exact: 16-bit ln 2 */
    float r = fmaf(k, -1.428606765330187045e-06f, r1);
    float rl = fmaf(k, -1.428606765330187045e-06f, r1 - r);   /* r's rounding error */
    /* e^r = 1 + r + r^2 P(r), P: Taylor to r^6 (|r| <= 0.35: < 2^-28 relative):
     * P = 1/2 + r Q, Q by Estrin's scheme (a dependency chain of 4 operations,
     * not 6; Estrin's to the end rounded P three times, and float32 tanh's
     * worst error rose from 0.56 to 0.73 ULP) */
    /* r^2 + 2^-60, not r^2: for tiny r (tiny x), r^2 and r^4 were subnormal
     * or underflowed, and AVX2 loops over such inputs ran 1.8-2.5x as long (a
     * select that zeroed tiny r GCC moved past the squares; a mask it could
     * not move cost 17-28%).  2^-60 is below lo's rounding where r^2 counts;
     * the precise pair below subtracts it again. */
    float r2 = fmaf(r, r, 8.67361737988403547e-19f);
    float q = fmaf(fmaf(1.0f / 40320.0f, r, 1.0f / 5040.0f), r2 * r2,
                   fmaf(fmaf(1.0f / 720.0f, r, 1.0f / 120.0f), r2, fmaf(1.0f / 24.0f, r, 1.0f / 6.0f)));
    float p = fmaf(q, r, 0.5f);
    float h = 1.0f + r, hl = (1.0f - h) + r;                  /* Fast2Sum: |r| < 1 */
    float y, l;
    if (precise) {
        float rr = r2, rrl = fmaf(r, r, -rr);                 /* r^2 = rr + rrl (to 2^-84) */
        l = fmaf(rr, p, fmaf(rrl, p, rl * h));
        y = h + l;
        *lo = ((h - y) + l) + hl;
    } else {
        l = hl + fmaf(r2, p, rl * h);
        y = h + l;
        *lo = (h - y) + l;
    }
    if (clamp_above) {
        float k1 = fa_roundf(0.5f * k);
        *s1 = fa_pow2f(k1);
        *s2 = under ? 0.0f : fa_pow2f(k - k1);
    } else {
        /* 2^(k + 64), and 0 for k <= -173 (x < -119.58, where the results
         * underflow: 2^20 e^x < 2^-152): 2^(k + 46) or 0, times 2^18 */
        *s1 = fa_pow2f_or_zero(k, 46.0f) * 262144.0f;
        *s2 = 5.42101086242752217e-20f;                       /* 2^-64 */
    }
    return y;
}

/* exp's parts for x <= 0 (or NaN) */
static inline float fa_vexpf_parts(float x, float *lo, float *s1, float *s2)
{
    return fa_vexpf_parts_(x, lo, s1, s2, 0, 0);
}

static inline float fa_vexpf(float x)
{
    float lo, s1, s2, y = fa_vexpf_parts_(x, &lo, &s1, &s2, 0, 1);
    y = (y * s1) * s2;
    y = x > 88.72283935546875f ? INFINITY : y;
    return x != x ? x : y;
}

/* (ch + cl) exp(x) for x <= 0 (and NaN), ch + cl a constant or a parameter
 * split into a float pair; |ch| <= 2^20 so that below exp's clamp (-120) the
 * result underflows.  Rounded about once, subnormal results too.  A caller
 * computes it before selecting its other side (r = exp_mul(..); x > 0 ? .. : r),
 * not in the select's else branch: there GCC knows x <= 0, drops the zeroing
 * of positive x, and gave those lanes the clamp's constants (exp(-120) then),
 * whose subnormal products ran float32 elu fn_and_grad 1.9x as long on
 * positive inputs. */
static inline float fa_vexpf_mul(float x, float ch, float cl)
{
    float lo, s1, s2, h = fa_vexpf_parts_(x, &lo, &s1, &s2, 0, 0);
    float r = fmaf(ch, h, ch * lo + cl * h);
    r = (r * s1) * s2;
    return x != x ? x : r;
}

/* (ch + cl) expm1(x + c) for x <= 0 (and NaN), ch + cl as in fa_vexpf_mul,
 * c a small correction to x (|c| <= 2^-23 |x|: celu's x / alpha = q + c),
 * taken to first order: expm1(x + c) = expm1(x) + (1 + expm1(x)) c; has_c a
 * constant (0: c ignored).  expm1 = E - 1 as an exact pair: E = (hi + lo) 2^k,
 * and E - 1 by 2Sum (for k = 0, hi - 1 is exact and lo carries the rest, down
 * to subnormal x); then renormalized, so that the product is rounded about
 * once.  expm1(-0) = -0. */
static inline float fa_vexpm1f_mul_(float x, float c, int has_c, float ch, float cl)
{
    float lo, s1, s2, h = fa_vexpf_parts_(x, &lo, &s1, &s2, 1, 0);
    float e = (h * s1) * s2, el = (lo * s1) * s2;
    float m1 = e - 1.0f;
    float m2 = fa_two_sumf_lo(e, -1.0f, m1) + el;
    float mh = m1 + m2, ml = fa_two_sumf_lo(m1, m2, mh);
    int tiny = x > -2.44140625e-4f;                           /* 2^-12: x + x^2/2 */
    /* (x^3/6 < 2^-26 x); x^2 / 2 < 2^-41 |x| is 0 below |x| = 2^-40, where
     * x^2 and its products were subnormal or underflowed (elu fn over x in
     * -[1e-30, 1e-20]: 3.6x the time, AVX-512) */
    ml = tiny ? 0.5f * x * fa_zero_below_bitsf(x, 9.09494701772928238e-13f) : ml;
    mh = tiny ? x : mh;
    float rl = ch * ml + cl * mh;
    if (has_c)
        rl = fmaf(ch * c, 1.0f + mh, rl);
    float r = fmaf(ch, mh, rl);
    r = x == 0.0f ? ch * x : r;                               /* keeps -0 */
    return x != x ? x : r;
}

static inline float fa_vexpm1f_mul(float x, float ch, float cl)
{
    return fa_vexpm1f_mul_(x, 0.0f, 0, ch, cl);
}

static inline float fa_vexpm1f_mul_c(float x, float c, float ch, float cl)
{
    return fa_vexpm1f_mul_(x, c, 1, ch, cl);
}

/* The common step of the logistic kernels: with E = exp(-|p + pl|) = (h + *lo) S,
 * S = *s1 * *s2, returns u = fl(1 / (1 + E)) and *rem with
 * 1 / (1 + E) = u (1 + *rem) to ~2^-46 (1 + E carried exactly as t + tl).
 * has_pl (a constant): pl, the rounding error of p = beta x, is applied to
 * first order (|pl| <= 2^-24 |p| <= 2^-17: its square is below 2^-34). */
static inline float fa_vlogisticf_parts(float p, float pl, int has_pl, float *h, float *lo,
                                        float *s1, float *s2, float *rem)
{
    *h = fa_vexpf_parts(-fa_abs_floorf(p), lo, s1, s2);
    if (has_pl) {
        float al = p < 0.0f ? -pl : pl;                       /* |p + pl| = |p| + al */
        al = fabsf(p) > 120.0f ? 0.0f : al;                   /* exp's clamp; p = inf: pl NaN */
        *lo = fmaf(-*h, al, *lo);
    }
    float e = (*h * *s1) * *s2, el = (*lo * *s1) * *s2;
    float t = 1.0f + e;
    float tl = ((1.0f - t) + e) + el;
    return fa_recipf(t, tl, rem);
}

/* f * sigmoid(p + pl), for f = 1, or f = x with p + pl = beta x, 2^-8 <= |beta|
 * (swish, silu): below p = -120, |f| e^p underflows then.  f = +-inf gives the
 * limits f (p > 0) and 0 with f's sign (p < 0).  has_pl a constant
 * (fa_vsigmoidf_mul: pl = 0).  f_is_x (a constant): f = x, so that the limits
 * follow from p alone (p = +-inf where x is): two selects on p, which GCC
 * compiled into fewer operations (swish 0.96x the time); for f = 1 the test of
 * |f| folds away instead (sigmoid 1.08x the time with the selects on p). */
static inline float fa_vsigmoidf_mul_(float p, float pl, int has_pl, float f, int f_is_x)
{
    float h, lo, s1, s2, rem, u = fa_vlogisticf_parts(p, pl, has_pl, &h, &lo, &s1, &s2, &rem);
    float pos = fmaf(f, u, (f * u) * rem);                    /* f / (1 + E) */
    float fh = f * h, fhl = fmaf(f, h, -fh);                  /* f E = (fh + fhl + f lo) S */
    float neg = fmaf(fh, u, u * ((fhl + f * lo) + fh * rem));
    neg = (neg * s1) * s2;
    float r = p < 0.0f ? neg : pos;
    if (f_is_x)
        r = p > 120.0f ? f : r;                               /* sigmoid(p) = 1; f = inf: not inf * 0 */
    r = p < -120.0f ? copysignf(0.0f, f) : r;                 /* exp's clamp: |f| e^p underflows */
    if (!f_is_x)
        r = fabsf(f) > 3.40282347e38f ? (p > 0.0f ? f : copysignf(0.0f, f)) : r;
    return p != p ? p : r;
}

static inline float fa_vsigmoidf_mul(float p, float f) { return fa_vsigmoidf_mul_(p, 0.0f, 0, f, 0); }

/* silu(x) = x sigmoid(x) (0.93x the time of fa_vsigmoidf_mul(x, x)) */
static inline float fa_vsiluf(float x) { return fa_vsigmoidf_mul_(x, 0.0f, 0, x, 1); }

static inline float fa_vsigmoidf_mul_l(float p, float pl, float f)
{
    return fa_vsigmoidf_mul_(p, pl, 1, f, 1);
}

/* f * sigmoid'(p) = f E / (1 + E)^2, for f = 1, 4 (tanh'(x) = 4 sigmoid'(2x)) or
 * a power of two up to 2^20 (softplus''). */
static inline float fa_vsigmoidf_d1(float p, float f)
{
    float h, lo, s1, s2, rem, u = fa_vlogisticf_parts(p, 0.0f, 0, &h, &lo, &s1, &s2, &rem);
    float uu = u * u, uul = fmaf(u, u, -uu);                  /* 1 / (1 + E)^2 ~ (uu + uul)(1 + 2 rem) */
    float fh = f * h;                                         /* exact: f a power of two */
    float r = fmaf(fh, uu, fh * fmaf(2.0f * rem, uu, uul) + (f * lo) * uu);
    r = (r * s1) * s2;
    return p != p ? p : r;
}

/* f * sigmoid''(p) = -sign(p) f E (1 - E) / (1 + E)^3, E = exp(-|p|), for f a
 * power of two up to 8 (sigmoid'': 1, tanh''(x) = 8 sigmoid''(2x)).  exp's
 * precise parts, so that 1 - E keeps its relative accuracy near p = 0 (the
 * parts' error scales with r^2 there); 1 - E by 2Sum (exact for E >= 1/2), the
 * products as exact pairs, one reciprocal with its remainder. */
static inline float fa_vsigmoidf_d2(float p, float f)
{
    float lo, s1, s2, h = fa_vexpf_parts_(-fabsf(p), &lo, &s1, &s2, 1, 0);
    float e = (h * s1) * s2, el = (lo * s1) * s2;
    float t = 1.0f + e;
    float tl = ((1.0f - t) + e) + el;                         /* Fast2Sum: 1 >= E */
    float rem, u = fa_recipf(t, tl, &rem);                    /* 1 / (1 + E) = u (1 + rem) */
    float mh = 1.0f - e;
    float ml = fa_two_sumf_lo(1.0f, -e, mh) - el;             /* 1 - E = mh + ml */
    float nh = h * mh;                                        /* E (1 - E) / S = nh + nl */
    float nl = fmaf(h, mh, -nh) + (h * ml + lo * mh);
    float uu = u * u, uul = fmaf(u, u, -uu);
    float u3 = uu * u, u3l = fmaf(uu, u, -u3) + uul * u;      /* u^3 = u3 + u3l */
    float fn = f * nh;
    float r = fmaf(fn, u3, fn * fmaf(3.0f * rem, u3, u3l) + (f * nl) * u3);
    r = (r * s1) * s2;
    r = p > 0.0f ? -r : r;
    /* below |p| = 2^-12, -p f / 8 to p^2 / 3 relative (1 - E has too few bits
     * left in its high part there) */
    r = fabsf(p) < 2.44140625e-4f ? -p * (0.125f * f) : r;
    return p != p ? p : r;
}

/* silu'(x) = sigmoid(x) (1 + x (1 - sigmoid(x))) in float arithmetic.  With
 * E = exp(-|x|) (hi + lo) and u = 1 / (1 + E) (one reciprocal, remainder rem):
 * x >= 0: u (1 + g), g = x E u (no cancellation); x < 0: E u q, q = 1 + x u,
 * which cancels next to the zero x0 = -1.2785: x u and 1 + x u as exact pairs,
 * and within 2^-5 of x0 (where the error of E would show) the Taylor series
 * about x0 to d^5, d = x - x0 from x0 as a sum of three floats (mpmath at 60
 * digits).  Large (GCC would not inline it: the loop would not vectorize).
 * has_xl (a constant): silu'(x + xl), xl the rounding error of x = beta x'
 * (swish'), applied to first order, also in d^2 of the series (where it is
 * up to 2 ULP). */
FA_ALWAYS_INLINE float fa_vsiluf_d1_(float x, float xl, int has_xl)
{
    float lo, s1, s2, h = fa_vexpf_parts_(-fa_abs_floorf(x), &lo, &s1, &s2, 1, 0);
    if (has_xl) {
        float al = x < 0.0f ? -xl : xl;
        al = fabsf(x) > 120.0f ? 0.0f : al;                   /* exp's clamp; x = inf: xl NaN */
        lo = fmaf(-h, al, lo);
    }
    float e = (h * s1) * s2, el = (lo * s1) * s2;
    float t = 1.0f + e;
    float tl = ((1.0f - t) + e) + el;                         /* Fast2Sum: 1 >= E */
    float rem, u = fa_recipf(t, tl, &rem);                    /* 1 / (1 + E) = u (1 + rem) */
    /* x >= 0 */
    float xe = x * e, xel = fmaf(x, e, -xe) + (has_xl ? fmaf(xl, e, x * el) : x * el);
    float g = xe * u, gl = fmaf(xe, u, -g) + xel * u;         /* g = x E u, pair */
    float pos = fmaf(u, g + (gl + fmaf(2.0f * rem, g, rem)), u);   /* U (1 + g U / u), U = u (1 + rem) */
    /* x < 0: E u (1 + x u (1 + rem)) */
    float xu = x * u, xul = fmaf(x, u, -xu) + (has_xl ? fmaf(xl, u, xu * rem) : xu * rem);
    float qh = 1.0f + xu, ql = fa_two_sumf_lo(1.0f, xu, qh) + xul;
    float hu = h * u;                                         /* E u / S, pair */
    float hul = fmaf(h, u, -hu) + (lo * u + hu * rem);
    float neg = fmaf(hu, qh, hu * ql + hul * qh);
    neg = (neg * s1) * s2;
    /* near x0 */
    float a0 = x + 1.27846456f;                               /* exact (Sterbenz) */
    float dh = a0 - 1.29792825e-08f;
    float dl = fa_two_sumf_lo(a0, -1.29792825e-08f, dh) - 1.13e-16f;
    dl = has_xl ? dl + xl : dl;
    float p = -0.0066065891f;
    p = fmaf(p, dh, -0.015222655f);
    p = fmaf(p, dh, 0.018874814f);
    p = fmaf(p, dh, 0.14664880f);
    float dd = has_xl ? dh * fmaf(2.0f, dl, dh) : dh * dh;  /* (dh + dl)^2 */
    float near = fmaf(0.21781171f, dh, fmaf(0.21781171f, dl, 2.0378543e-09f * dh) + dd * p);
    float r = x < 0.0f ? neg : pos;
    r = fabsf(dh) < 0.03125f ? near : r;
    r = x > 120.0f ? 1.0f : r;                                /* the limits (inf * 0 beyond) */
    r = x < -120.0f ? -0.0f : r;
    return x != x ? x : r;
}

FA_ALWAYS_INLINE float fa_vsiluf_d1(float x) { return fa_vsiluf_d1_(x, 0.0f, 0); }

FA_ALWAYS_INLINE float fa_vsiluf_d1_l(float x, float xl) { return fa_vsiluf_d1_(x, xl, 1); }

/* tanh(x) = n / d, with m = expm1(-2|x|) = E - 1:  n = -m, d = 2 + m below
 * |x| = 0.34 (E >= 1/2: m = hS - 1 is exact), n = 1 - E, d = 1 + E above; both
 * carried as hi + lo pairs, then one reciprocal with its remainder. */
static inline float fa_vtanhf(float x)
{
    float a = fabsf(x);
    /* -|2x| (= -2|x|), written as tanh'(x) = 4 sigmoid'(2x) forms it, so that
     * in fn_and_grad GCC computes the reduction and series once for both */
    float lo, s1, s2, h = fa_vexpf_parts_(-fa_abs_floorf(2.0f * x), &lo, &s1, &s2, 1, 0);
    float s = s1 * s2;                      /* 0 below E = 2^-149, where tanh = 1 anyway */
    float e = h * s, el = lo * s;
    float m1 = e - 1.0f;                                      /* exact for E >= 1/2 */
    float mh = m1 + el, ml = fa_two_sumf_lo(m1, el, mh);     /* |el| may exceed |m1| */
    int small = a < 0.34f;
    float nh = small ? -mh : 1.0f - e;
    float nl = small ? -ml : ((1.0f - nh) - e) - el;          /* Fast2Sum: 1 >= E */
    float dh = small ? 2.0f + mh : 1.0f + e;
    float dl = small ? ((2.0f - dh) + mh) + ml : ((1.0f - dh) + e) + el;
    float rem, u = fa_recipf(dh, dl, &rem);
    float t = fmaf(nh, u, u * fmaf(nh, rem, nl));
    t = a < 1.220703125e-4f ? a : t;                          /* 2^-13: tanh x = x to 2^-26 x */
    t = copysignf(t, x);
    return x != x ? x : t;
}

/* atan(x) in float arithmetic: a = |x|, u = a or, above 1, 1/a with its
 * remainder (atan a = pi/2 - atan(1/a)), then atan(u) = u + u^3 P(u^2) on [0, 1]
 * with no further reduction, so one division (the double path divides twice for
 * a pi/6 reduction): P a minimax fit of degree 8 in u^2 (relative error of the
 * result < 2^-28.5) by Estrin's scheme but its last step, which is carried as a
 * pair like u^3 and the product; then u + u^3 P, or pi/2 (a float pair) minus
 * it, summed by Fast2Sum and rounded once.  <= 0.73 ULP on a sample of every
 * 11th float (the double path: 0.5); AVX-512, 1 thread: 0.70 -> 0.41 ns. */
FA_ALWAYS_INLINE float fa_vatanf(float x)
{
    const float PIO2_HI = 1.57079637f, PIO2_LO = -4.37113883e-08f;
    const float C0 = -0.333332986f;
    float a = fabsf(x);
    int big = a > 1.0f;
    float q = 1.0f / a;
    float u = big ? q : a;
    float ul = q * fmaf(-q, a, 1.0f);                         /* 1/a - q */
    ul = (big & (a <= 3.40282347e38f)) ? ul : 0.0f;           /* inf: 0 * inf */
    float t = u * u, tl = fmaf(u, u, -t);
    /* p = C1 + C2 t + ... + C8 t^7, a dependency chain of 4 operations, not 7 */
    float t2 = t * t, t4 = t2 * t2;
    float e0 = fmaf(-0.142641023f, t, 0.19998534f);
    float e1 = fmaf(-0.0840158165f, t, 0.109515063f);
    float e2 = fmaf(-0.0311489366f, t, 0.0579272285f);
    float e3 = fmaf(-0.00179040583f, t, 0.0108996965f);
    float p = fmaf(fmaf(e3, t2, e2), t4, fmaf(e1, t2, e0));
    float pt = t * p;                                         /* P = C0 + t p = ph + pl */
    float ph = C0 + pt;
    float pl = ((C0 - ph) + pt) + (fmaf(t, p, -pt) + tl * p); /* Fast2Sum: |C0| > |t p| */
    float ut = u * t;
    float utl = fmaf(u, t, -ut) + u * tl;
    float c = ut * ph;                                        /* u^3 P = c + cl */
    float cl = fmaf(ut, ph, -c) + (ut * pl + utl * ph);
    /* |x| <= 1: a + c + cl */
    float h0 = a + c;
    float small = h0 + (((a - h0) + c) + cl);                 /* Fast2Sum: a > |c| */
    /* |x| > 1: (PIO2_HI - u) - (c + cl) + PIO2_LO - ul / (1 + u^2); 1 / (1 + t)
     * to a few percent is plenty for ul (< 2^-24 u) */
    float s = PIO2_HI - u;
    float se = (PIO2_HI - s) - u;                             /* Fast2Sum: pi/2 > u */
    float h = s - c;
    float hl = (s - h) - c;                                   /* Fast2Sum: s > |c| */
    float rinv = fmaf(t, fmaf(0.5f, t, -1.0f), 1.0f);
    float large = h + (hl + ((se + PIO2_LO) - fmaf(ul, rinv, cl)));
    float r = copysignf(big ? large : small, x);
    return x != x ? x : r;
}

/* softplus(x) = (max(p, 0) + log1p(E)) ib, E = exp(-|p|), for p = beta x exact
 * (beta a power of two, ib = 1 / beta in [2^-20, 2^8]), in float arithmetic
 * (the double path does two divisions in 8 lanes).  1 + E = th + tl exactly;
 * th = 2^j m, m in [sqrt(2)/2, sqrt(2)); log1p(E) = j ln 2 + log1p(u), u =
 * m - 1 + tl / 2^j as a pair, and log1p(u) = 2 atanh(s), s = u / (2 + u) in
 * [-0.172, 0.172] as a pair (one reciprocal with its remainder): 2s + 2s^3 P(s^2),
 * P to s^6 (the next term is 2^-43 of the result).  The leading sums carried as
 * pairs, one rounding at the end.  Below p = -17 (E < 2^-24.5), log1p(E) =
 * E (1 - E / 2), with 2^k and ib applied last in two normal factors (a
 * subnormal result is rounded once; E alone may be subnormal there).  Above
 * p = 40 the result is x (log1p(E) / beta < 2^-57 x), also for p = inf. */
static inline float fa_vsoftplusf(float x, float p, float ib)
{
    const float LN2_HI = 0.693145751953125f, LN2_LO = 1.428606765330187045e-06f;
    float lo, s1, s2, h = fa_vexpf_parts(-fa_abs_floorf(p), &lo, &s1, &s2);
    float e = (h * s1) * s2, el = (lo * s1) * s2;
    float th = 1.0f + e, tl = (1.0f - th) + e;               /* Fast2Sum: 1 >= E */
    int big = th >= 1.41421356f;                              /* 1 + E = th + tl + el */
    float m = big ? 0.5f * th : th, ml = big ? 0.5f * tl : tl;
    float mll = big ? 0.5f * el : el;
    float f = m - 1.0f;                                       /* exact (Sterbenz) */
    /* u = nh + nl; el kept apart from tl: where E < 2^-24, th = 1 and tl = e */
    float nh = f + ml, nl = fa_two_sumf_lo(f, ml, nh) + mll;
    float dh = 2.0f + nh, dl = ((2.0f - dh) + nh) + nl;       /* Fast2Sum: 2 > |u| */
    float rem, r = fa_recipf(dh, dl, &rem);
    float sh = nh * r;
    float sl = fmaf(nh, r, -sh) + (nl * r + sh * rem);        /* s = sh + sl */
    float z = sh * sh;
    float q = fmaf(fmaf(fmaf(1.0f / 9.0f, z, 1.0f / 7.0f), z, 1.0f / 5.0f), z, 1.0f / 3.0f);
    float jh = big ? LN2_HI : 0.0f, jl = big ? LN2_LO : 0.0f;
    float ah = jh + 2.0f * sh;                                /* |jh| >= |2 sh| or jh = 0 */
    float al = ((jh - ah) + 2.0f * sh) + (jl + 2.0f * fmaf(sh * z, q, sl));
    /* p > 0: p + log1p(E), p >= 0 > ... both terms positive */
    float bh = p + ah, bl = fa_two_sumf_lo(p, ah, bh) + al;
    float main = (p > 0.0f ? bh + bl : ah + al) * ib;
    /* p < -17: E (1 - E / 2) ib, 2^k ib applied last */
    float y = h + fmaf(-h, 0.5f * e, lo);
    float tail = (y * s1) * (s2 * ib);
    float res = p < -17.0f ? tail : main;
    res = p > 40.0f ? x : res;
    return p != p ? p : res;
}
/* gelu = x Phi(x), gelu' = Phi(x) + x phi(x), gelu'' = phi(x) (2 - x^2), with
 * Phi from the Mills ratio R(a) = Phi(-a) / phi(a), a = |x| (Phi(x) = phi R
 * for x < 0, 1 - phi R for x >= 0), in float arithmetic.
 * R = 1 / (a + g(a)), g = sqrt(2/pi) - w P(2.5 w - 1), w = a / (4 + a) in
 * [0, 0.8] (a clamped to 16, beyond which phi(a) R(a) < 2^-190): an error in
 * g moves R by g / (a + g) of it, which is < 1/2 from a = 0.8 on, and g, a + g
 * and the reciprocal are carried as float pairs, so that R (pair) is good to
 * ~2^-29 relative, also where gelu' = -phi (a - R) cancels next to its zero
 * x = -0.7518 (there w's rounding error alone gave 3.2 ULP).  P: degree 10,
 * weighted least squares toward minimax with float coefficients and c0 a float
 * pair (tools/fit_gelu_mills_f32.py); c0 + c1 y is exact and the rest of P,
 * |y^2 T| < 0.05, is rounded alone.  phi(x) = exp(-x^2/2) / sqrt(2 pi) from the
 * exact square and exp's parts, its scale 2^k applied last (subnormal results
 * rounded about once).  Measured on every 37th float of [-16, 16]: fn <= 0.62
 * ULP where normal (0.77 subnormal), gelu' <= 0.89 ULP (next to its zero, in
 * the unit of the accuracy tests' window rule), gelu'' <= 0.75; 0.74x, 0.81x
 * and 0.52x the time of the double path (AVX2, 1 thread, N(0, 3^2); the tiny
 * clamp above costs 3-6% of it). */
/* |x| held >= 2^-27 (NaN stays NaN) for the gelu kernels' arithmetic: below,
 * x^2 and the products of a tiny |x| were subnormal or underflowed (AVX2 loops
 * over |x| in [1e-30, 1e-20] ran 2.3x as long), and the results round to
 * their limits there: gelu x / 2 (x Phi(x) = x (1/2 + 0.4 x), within 0.25
 * ULP), gelu' 1/2, gelu'' sqrt(2/pi); gelu-tanh and its derivative alike
 * (sqrt(8/pi) / 4 = 0.4). */
#define FA_GELU_TINY 7.450580596923828125e-09f  /* 2^-27 */
static inline float fa_gelu_abs_floorf(float x) { return fa_umax_bitsf(fabsf(x), FA_GELU_TINY); }

#define FA_GELU_G0H 0.797884583473205566f     /* sqrt(2/pi) = G0H + G0L */
#define FA_GELU_G0L -2.26703402717021160e-08f
#define FA_INV_SQRT_2PI_H 0.398942291736602783f   /* 1/sqrt(2 pi) = H + L */
#define FA_INV_SQRT_2PI_L -1.13351701358510580e-08f

static inline float fa_vgeluf_mills(float a, float *lo)
{
    float ac = fa_umin_bitsf(a, 16.0f);                       /* NaN: 16 (discarded) */
    float d = 4.0f + ac;
    float dl = ac - (d - 4.0f);                               /* exact: d - 4 is */
    float rem, u = fa_recipf(d, dl, &rem);
    float w = ac * u;
    float wl = fmaf(ac, u, -w) + w * rem;                     /* a / (4 + a) = w + wl */
    float y = fmaf(w, 2.5f, -1.0f);
    float y2 = y * y, y4 = y2 * y2;
    float p23 = fmaf(0.05077036842703819f, y, -0.03415021300315857f);
    float p45 = fmaf(-0.008581055328249931f, y, -0.004306011367589235f);
    float p67 = fmaf(0.0013810135424137115f, y, 0.0021073927637189627f);
    float p89 = fmaf(-0.00016253070498351008f, y, -0.0005412559257820249f);
    float T = fmaf(fmaf(fmaf(8.147019252646714e-05f, y2, p89), y2, p67), y4, fmaf(p45, y2, p23));
    float m = -0.31025370955467224f * y, ml = fmaf(-0.31025370955467224f, y, -m);
    float ch = 1.223483920097351f + m;                        /* Fast2Sum: |m| < c0 */
    float cl = ((1.223483920097351f - ch) + m) + (ml + 4.5557833061593556e-08f);
    float tail = fmaf(y2, T, cl);
    float P = ch + tail, Pl = (ch - P) + tail;                /* Fast2Sum */
    float p = w * P;
    float pl = fmaf(w, P, -p) + fmaf(w, Pl, wl * P);
    float gh = FA_GELU_G0H - p;                               /* Fast2Sum: 0 <= p < G0 */
    float gl = ((FA_GELU_G0H - gh) - p) + (FA_GELU_G0L - pl);
    float s = ac + gh;
    float sl = fa_two_sumf_lo(ac, gh, s) + gl;
    float rr, r = fa_recipf(s, sl, &rr);
    *lo = r * rr;
    return r;
}

/* phi(x) = (hi + *lo) *s1 *s2 (the scale applied last by the caller) */
static inline float fa_vgeluf_phi(float x, float *lo, float *s1, float *s2)
{
    float q = x * x, ql = fmaf(x, x, -q);
    float el, h = fa_vexpf_parts(-0.5f * q, &el, s1, s2);    /* |x| > 15.5: scale 0 */
    el = fmaf(h, -0.5f * ql, el);                             /* e^(e + l) = e^e (1 + l) */
    float ph = h * FA_INV_SQRT_2PI_H;
    *lo = fmaf(h, FA_INV_SQRT_2PI_H, -ph) + fmaf(h, FA_INV_SQRT_2PI_L, el * FA_INV_SQRT_2PI_H);
    return ph;
}

/* gelu: -a phi R (x < 0) or x - a phi R (x >= 0, a Fast2Sum: a phi R <= x / 2) */
static inline float fa_vgeluf(float x)
{
    float a = fa_gelu_abs_floorf(x);
    float rl, r = fa_vgeluf_mills(a, &rl);
    float fl, s1, s2, f = fa_vgeluf_phi(a, &fl, &s1, &s2);
    float m = a * r, ml = fmaf(a, r, -m) + a * rl;            /* a R */
    float z = m * f, zl = fmaf(m, f, -z) + fmaf(m, fl, ml * f);
    float neg = -((z + zl) * s1) * s2;
    float ph = (z * s1) * s2, pl = (zl * s1) * s2;
    float sh = a - ph;                                        /* pos: x = a */
    float pos = sh + (((a - sh) - ph) - pl);
    float res = x < 0.0f ? neg : pos;
    res = fabsf(x) < FA_GELU_TINY ? 0.5f * x : res;          /* gelu(-0) = -0 */
    res = x > 40.0f ? x : res;
    res = x < -40.0f ? -0.0f : res;                           /* x phi R < 0 underflows; -inf */
    return x != x ? x : res;
}

/* gelu' = -phi (a - R) (x < 0) or 1 + phi (a - R) (x >= 0); a - R exact by 2Sum */
static inline float fa_vgeluf_d1(float x)
{
    float a = fa_gelu_abs_floorf(x);
    float rl, r = fa_vgeluf_mills(a, &rl);
    float fl, s1, s2, f = fa_vgeluf_phi(a, &fl, &s1, &s2);
    float dh = a - r, dl = fa_two_sumf_lo(a, -r, dh) - rl;
    float z = dh * f, zl = fmaf(dh, f, -z) + fmaf(dh, fl, dl * f);
    float neg = -((z + zl) * s1) * s2;
    float ph = (z * s1) * s2, pl = (zl * s1) * s2;
    float sh = 1.0f + ph;
    float pos = sh + (fa_two_sumf_lo(1.0f, ph, sh) + pl);
    float res = x < 0.0f ? neg : pos;
    res = fabsf(x) < FA_GELU_TINY ? 0.5f : res;
    res = x > 40.0f ? 1.0f : res;
    res = x < -40.0f ? -0.0f : res;                           /* -x phi < 0 underflows */
    return x != x ? x : res;
}

/* gelu'' = phi(x) (2 - x^2), 2 - x^2 as an exact pair (zeros at +-sqrt 2) */
static inline float fa_vgeluf_d2(float x)
{
    float a = fa_gelu_abs_floorf(x);
    float fl, s1, s2, f = fa_vgeluf_phi(a, &fl, &s1, &s2);
    float q = a * a, ql = fmaf(a, a, -q);
    float th = 2.0f - q, tl = fa_two_sumf_lo(2.0f, -q, th) - ql;
    float z = th * f, zl = fmaf(th, f, -z) + fmaf(th, fl, tl * f);
    float res = ((z + zl) * s1) * s2;
    res = fabsf(x) < FA_GELU_TINY ? FA_GELU_G0H : res;       /* 2 phi(0) = sqrt(2/pi) */
    res = fabsf(x) > 40.0f ? -0.0f : res;                     /* < 0 and underflows */
    return x != x ? x : res;
}

/* gelu, tanh approximation: x sigmoid(v), v = sqrt(8/pi) x (1 + c x^2), c =
 * 0.044715 (x (1 + tanh(v / 2)) / 2), in float arithmetic.  v as a float pair
 * (*vl to ~2^-44 relative): its rounding error is amplified by |v| in
 * sigmoid(v) for v < 0 (|v| up to 120 where the results are normal). */
#define FA_GT_KH 1.59576916694641113f          /* sqrt(8/pi) = KH + KL */
#define FA_GT_KL -4.53406805434042323e-08f
#define FA_GT_CH 0.0447149984538555145f        /* 0.044715 = CH + CL */
#define FA_GT_CL 1.54614443470535435e-09f
#define FA_GT_C3H 0.134145006537437439f        /* 3 * 0.044715 = C3H + C3L */
#define FA_GT_C3L -6.53743725820277166e-09f

static inline float fa_vgelu_tanhf_v(float x, float s, float sl, float *vl)
{
    float q = FA_GT_CH * s, ql = fmaf(FA_GT_CH, s, -q) + fmaf(FA_GT_CH, sl, FA_GT_CL * s);
    float w = 1.0f + q, wl = fa_two_sumf_lo(1.0f, q, w) + ql;           /* 1 + c x^2 */
    float u = x * w, ul = fmaf(x, w, -u) + x * wl;
    float v = FA_GT_KH * u;
    *vl = fmaf(FA_GT_KH, u, -v) + fmaf(FA_GT_KH, ul, FA_GT_KL * u);
    return v;
}

static inline float fa_vgelu_tanhf(float x)
{
    /* from a = |x| (v(a) >= 0: sigmoid(v(x)) = U or E U by x's sign), with
     * fa_vsigmoidf_mul_l's formulas but only the limits' selects on x below:
     * 0.81x the time of the double path (0.72-0.74x before the tiny clamp,
     * 2.6x faster over |x| in [1e-30, 1e-20]; through fa_vsigmoidf_mul_l, with
     * its own limits' selects as well, 0.87-0.92x) */
    float a = fa_gelu_abs_floorf(x);
    float s = a * a, vl, v = fa_vgelu_tanhf_v(a, s, fmaf(a, a, -s), &vl);
    float h, lo, s1, s2, rem, u = fa_vlogisticf_parts(v, vl, 1, &h, &lo, &s1, &s2, &rem);
    float pos = fmaf(a, u, (a * u) * rem);                    /* a / (1 + E) */
    float ah = a * h, ahl = fmaf(a, h, -ah);                  /* a E = (ah + ahl + a lo) S */
    float neg = fmaf(ah, u, u * ((ahl + a * lo) + ah * rem));
    neg = -((neg * s1) * s2);
    float r = x < 0.0f ? neg : pos;
    r = fabsf(x) < FA_GELU_TINY ? 0.5f * x : r;              /* -0 too */
    r = x > 25.0f ? x : r;                                    /* sigmoid(v) = 1; inf */
    r = x < -25.0f ? -0.0f : r;                               /* x e^v < 2^-1600 */
    return x != x ? x : r;
}

/* gelu-tanh' = sigmoid(v) + m sigmoid'(v), m = x v' = sqrt(8/pi) x (1 + 3 c x^2)
 * (a pair; m has v's sign).  With E = exp(-|v|) and U = 1 / (1 + E) = u (1 +
 * rem): v >= 0: U (1 + m E U), no cancellation; v < 0: E U (1 + m U), where 1 +
 * m U cancels next to the zero x = -0.7522: m U and 1 + m U as exact pairs (the
 * errors of E and v reach it only through U, times E U).  <= 0.69 ULP measured
 * (every 37th float of [-26, 26]; 0.76 subnormal), at 0.71-0.79x the time of
 * the double path. */
static inline float fa_vgelu_tanhf_d1(float x_in)
{
    float x = copysignf(fa_gelu_abs_floorf(x_in), x_in);
    float s = x * x, sl = fmaf(x, x, -s);
    float vl, v = fa_vgelu_tanhf_v(x, s, sl, &vl);
    float d = FA_GT_C3H * s, dl = fmaf(FA_GT_C3H, s, -d) + fmaf(FA_GT_C3H, sl, FA_GT_C3L * s);
    float z = 1.0f + d, zl = fa_two_sumf_lo(1.0f, d, z) + dl;           /* 1 + 3 c x^2 */
    float xz = x * z, xzl = fmaf(x, z, -xz) + x * zl;
    float m = FA_GT_KH * xz, ml = fmaf(FA_GT_KH, xz, -m) + fmaf(FA_GT_KH, xzl, FA_GT_KL * xz);
    float h, lo, s1, s2, rem, u = fa_vlogisticf_parts(v, vl, 1, &h, &lo, &s1, &s2, &rem);
    float e = (h * s1) * s2, el = (lo * s1) * s2;
    /* v >= 0: U (1 + g U / u), g = m E u (pair) */
    float me = m * e, mel = fmaf(m, e, -me) + fmaf(ml, e, m * el);
    float g = me * u, gl = fmaf(me, u, -g) + mel * u;
    float pos = fmaf(u, g + (gl + fmaf(2.0f * rem, g, rem)), u);
    /* v < 0: E U (1 + m U) */
    float mu = m * u, mul = fmaf(m, u, -mu) + fmaf(ml, u, mu * rem);
    float qh = 1.0f + mu, ql = fa_two_sumf_lo(1.0f, mu, qh) + mul;
    float hu = h * u, hul = fmaf(h, u, -hu) + (lo * u + hu * rem);       /* E U / S */
    float neg = fmaf(hu, qh, hu * ql + hul * qh);
    neg = (neg * s1) * s2;
    float r = v < 0.0f ? neg : pos;
    r = fabsf(x_in) < FA_GELU_TINY ? 0.5f : r;
    r = x > 25.0f ? 1.0f : r;
    r = x < -25.0f ? 0.0f : r;                                /* underflows (the double path's 0) */
    return x != x ? x : r;
}
#else
#define FASTACT_F32_NATIVE 0
#endif

#endif
