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
#endif
