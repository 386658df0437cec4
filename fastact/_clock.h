/* A monotonic clock in nanoseconds, for the idle-team rule of _call.pyx
 * (a few ns: clock_gettime through the vDSO, QueryPerformanceCounter). */
#ifndef FASTACT_CLOCK_H
#define FASTACT_CLOCK_H
#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
static long long fastact_now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER count;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&count);
    return (long long)((double)count.QuadPart * (1e9 / (double)freq.QuadPart));
}
#else
#include <time.h>
static long long fastact_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
#endif
#endif
