/* Which SIMD level this CPU (and its OS) supports: 0 baseline, 1 AVX2+FMA,
 * 2 AVX-512 (F, DQ, VL).  GCC and Clang's __builtin_cpu_supports reads CPUID
 * and checks that the OS saves the wider registers; elsewhere: baseline. */
#ifndef FASTACT_CPU_H
#define FASTACT_CPU_H
static int fastact_cpu_level(void)
{
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
#endif
    return 0;
}
#endif
