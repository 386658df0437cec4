#!/usr/bin/env bash
# Valgrind memcheck over fastact's kernel tests (issue 6, "Memory").
#
#   tools/memcheck.sh [quick|full] [extra pytest args...]
#
# Runs pytest under `valgrind --tool=memcheck` with PYTHONMALLOC=malloc (so that
# every Python allocation is visible to memcheck) and the suppressions of
# tools/memcheck.supp (CPython's own uninitialised reads, NumPy's, OpenBLAS's and
# the dynamic loader's: noise outside fastact).  Leak checking is off: the RSS,
# tracemalloc and refcount checks of tests/test_memory.py cover leaks, and an
# interpreter's exit leaves many blocks behind by design.  What counts are
# invalid reads and writes, uses of uninitialised values, invalid frees and
# overlapping copies.  Exit status: 0 when memcheck reported no error, 99 when it
# did (its log is $TMPDIR/fastact-memcheck.log, or $MEMCHECK_LOG), 98 when valgrind
# reported nothing (no ERROR SUMMARY), else pytest's status.
#
#   quick  tests/test_simd.py, tests/test_fused.py and two tests of test_api.py:
#          every kernel and op of fastact._loops (float32 and float64) and of
#          each SIMD module valgrind can run, serial and threaded, the fused
#          loops, and out= overlapping the input (about 2 minutes, 5 on a slow
#          2-core machine; what tests/test_memcheck.py runs).  Not
#          test_every_loop_is_vectorized: it parses objdump's text in Python,
#          no fastact code (70 s of the 350 under valgrind)
#   full   quick plus tests/test_api.py (dtypes, shapes, strides, out=, overlap,
#          scalars, errors; not test_large_arrays_equal_small, whose long double
#          NumPy reference takes a third of the time under valgrind) and the
#          test_accuracy.py tests of special values, NaN propagation and the
#          float32 far tails (about 13 minutes on the 2-core development machine)
#
# Environment: PYTHON (default: python3), VALGRIND (default: valgrind),
# FASTACT_SIMD (under valgrind, which has no AVX-512, fastact picks avx2 unless
# capped: run once more with FASTACT_SIMD=baseline or none for those modules).
#
# Under valgrind, x87 long double arithmetic is done in double precision (a
# documented valgrind limitation): float64 silu/swish/mish near x = -710, which
# use it for the range, come out 0 there, so `full` leaves out the float64 far
# tails of test_accuracy.py.  Its FMA emulation gets the sign of an exact zero
# wrong (a C check under valgrind 3.19: fma(-0, 0.5, -0) = +0 and
# fma(-0.5, 2, 1) = -0, natively -0 and +0), so kernels whose zero comes out of
# an FMA give +0 for -0 there (float64 silu, swish, gelu-tanh on the AVX2 module,
# selu on the scalar one, which calls libm's FMA); both modes leave out
# test_zero_keeps_its_sign.  Any other test
# failure gives pytest's status (1).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
mode="${1:-quick}"
[ $# -gt 0 ] && shift
PYTHON="${PYTHON:-python3}"
# The interpreter itself, not a wrapper script (a pyenv shim is bash: valgrind
# would check bash and the tests would run unchecked in its child).
PYTHON="$("$PYTHON" -c 'import sys; print(sys.executable)')" || exit 2
VALGRIND="${VALGRIND:-valgrind}"
log="${MEMCHECK_LOG:-${TMPDIR:-/tmp}/fastact-memcheck.log}"

case "$mode" in
  quick)
    tests=(tests/test_simd.py tests/test_fused.py tests/test_api.py
           -k "not every_loop_is_vectorized and not zero_keeps_its_sign and (not test_api or float_dtypes_native or partial_overlap)") ;;
  full)
    tests=(tests/test_simd.py tests/test_fused.py tests/test_api.py tests/test_accuracy.py
           -k "not every_loop_is_vectorized and not zero_keeps_its_sign and not large_arrays_equal_small and (not test_accuracy or special_values or nan_propagation or (far_derivatives and not float64))") ;;
  *) echo "usage: $0 [quick|full] [pytest args...]" >&2; exit 2 ;;
esac

cd "$root" || exit 2
start=$(date +%s)
PYTHONMALLOC=malloc PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" \
  "$VALGRIND" --tool=memcheck --leak-check=no --track-origins=no \
    --error-exitcode=99 --num-callers=30 \
    --suppressions="$here/memcheck.supp" --log-file="$log" \
    "$PYTHON" -m pytest -q -p no:cacheprovider -p no:randomly "${tests[@]}" "$@"
status=$?
end=$(date +%s)
summary="$(grep -h "ERROR SUMMARY" "$log" | tail -n 1)"
echo "memcheck: $mode, $((end - start)) s; ${summary#==*== }  (log: $log)"
if [ -z "$summary" ]; then
    echo "memcheck: valgrind reported no ERROR SUMMARY: nothing was checked" >&2
    exit 98
fi
exit $status
