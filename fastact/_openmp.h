/* OpenMP when the compiler has it, a serial stand-in when it does not. */
#ifndef FASTACT_OPENMP_H
#define FASTACT_OPENMP_H
#ifdef _OPENMP
#include <omp.h>
static int fastact_openmp_enabled(void) { return 1; }
static int fastact_omp_max_threads(void) { return omp_get_max_threads(); }
#else
static int fastact_openmp_enabled(void) { return 0; }
static int fastact_omp_max_threads(void) { return 1; }
#endif

/* Claims the next chunk of a threaded loop (_loops.pyx.tp): returns *counter
 * and adds 1, atomically (the threads of a team share the counters).  Included
 * from Cython's C, after Python.h (Py_ssize_t). */
#if defined(_MSC_VER)
#include <intrin.h>
static __inline Py_ssize_t fastact_claim(Py_ssize_t *counter)
{
#if defined(_WIN64)
    return (Py_ssize_t)_InterlockedExchangeAdd64((volatile __int64 *)counter, 1);
#else
    return (Py_ssize_t)_InterlockedExchangeAdd((volatile long *)counter, 1);
#endif
}
#else
static inline Py_ssize_t fastact_claim(Py_ssize_t *counter)
{
    return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}
#endif
#endif
