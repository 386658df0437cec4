/* The math the kernels call, chosen per compiled module.
 *
 * fastact/_loops (float64 and the reference float32 loops) uses the C library
 * and, where long double is x87's extended format, extended precision for the
 * kernels whose sums cancel.  The vector modules (FASTACT_VECTOR_MATH, float32
 * loops only) use the branch-free functions of _vecmath.h, which vectorize:
 * their few-ULP double errors are ~2^-29 of a float32 ULP.
 */
#ifndef FASTACT_MATHLIB_H
#define FASTACT_MATHLIB_H
#include <math.h>
#include <float.h>

#ifdef FASTACT_VECTOR_MATH
#include "_vecmath.h"
#define fa_exp fa_vexp
#define fa_expm1 fa_vexpm1
#define fa_log1p fa_vlog1p01
#define fa_erfc fa_verfc
#define fa_tanh fa_vtanh
#define fa_atan fa_vatan
#define FASTACT_USE_EXT 0
#define FASTACT_EXACT_TAILS 0
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
#define fa_log1p log1p
#define fa_erfc erfc
#define fa_tanh tanh
#define fa_atan atan
#define FASTACT_USE_EXT (LDBL_MANT_DIG == 64)
#define FASTACT_EXACT_TAILS 1
#endif
#endif
