"""Check that the installed fastact really runs its kernels on OpenMP threads.

Run against an installed wheel (cibuildwheel's test-command, tools/build_wheels.sh),
from outside the source tree::

    OMP_NUM_THREADS=2 python tools/wheels/check_openmp.py

Fails unless the extension was compiled with OpenMP, its default team has more
than one thread, and a large array call really starts more threads: the OpenMP
runtime keeps its worker threads after a parallel region, so the process has
more OS threads afterwards (counted from /proc on Linux, proc_pidinfo on macOS,
a Toolhelp snapshot on Windows; where counting fails, the CPU time of the call
must exceed its wall time instead).
"""

import os
import sys
import time


def _threads_linux():
    return len(os.listdir("/proc/self/task"))


def _threads_macos():
    import ctypes

    class TaskInfo(ctypes.Structure):      # <sys/proc_info.h> struct proc_taskinfo
        _fields_ = [(n, ctypes.c_uint64) for n in (
            "virtual_size", "resident_size", "total_user", "total_system",
            "threads_user", "threads_system")] + [(n, ctypes.c_int32) for n in (
                "policy", "faults", "pageins", "cow_faults", "messages_sent",
                "messages_received", "syscalls_mach", "syscalls_unix", "csw",
                "threadnum", "numrunning", "priority")]

    libc = ctypes.CDLL("/usr/lib/libSystem.B.dylib", use_errno=True)
    info = TaskInfo()
    PROC_PIDTASKINFO = 4
    size = libc.proc_pidinfo(os.getpid(), PROC_PIDTASKINFO, ctypes.c_uint64(0),
                             ctypes.byref(info), ctypes.sizeof(info))
    if size != ctypes.sizeof(info):
        raise OSError(ctypes.get_errno(), "proc_pidinfo failed")
    return info.threadnum


def _threads_windows():
    import ctypes
    from ctypes import wintypes

    class ThreadEntry(ctypes.Structure):   # tlhelp32.h THREADENTRY32
        _fields_ = [
            ("dwSize", wintypes.DWORD), ("cntUsage", wintypes.DWORD),
            ("th32ThreadID", wintypes.DWORD), ("th32OwnerProcessID", wintypes.DWORD),
            ("tpBasePri", wintypes.LONG), ("tpDeltaPri", wintypes.LONG),
            ("dwFlags", wintypes.DWORD),
        ]

    k32 = ctypes.WinDLL("kernel32", use_last_error=True)
    k32.CreateToolhelp32Snapshot.restype = wintypes.HANDLE
    k32.CreateToolhelp32Snapshot.argtypes = [wintypes.DWORD, wintypes.DWORD]
    k32.Thread32First.argtypes = [wintypes.HANDLE, ctypes.POINTER(ThreadEntry)]
    k32.Thread32Next.argtypes = [wintypes.HANDLE, ctypes.POINTER(ThreadEntry)]
    k32.CloseHandle.argtypes = [wintypes.HANDLE]
    snap = k32.CreateToolhelp32Snapshot(0x4, 0)            # TH32CS_SNAPTHREAD
    if snap is None or snap == ctypes.c_void_p(-1).value:
        raise ctypes.WinError(ctypes.get_last_error())
    entry, pid, n = ThreadEntry(), os.getpid(), 0
    try:
        entry.dwSize = ctypes.sizeof(entry)
        ok = k32.Thread32First(snap, ctypes.byref(entry))
        while ok:
            n += entry.th32OwnerProcessID == pid
            entry.dwSize = ctypes.sizeof(entry)
            ok = k32.Thread32Next(snap, ctypes.byref(entry))
    finally:
        k32.CloseHandle(snap)
    return n


def os_threads():
    """OS threads of this process, or None where they cannot be counted."""
    counter = {"linux": _threads_linux, "darwin": _threads_macos,
               "win32": _threads_windows}.get(sys.platform)
    try:
        return counter() if counter else None
    except Exception as e:  # noqa: BLE001 - fall back to CPU time
        print(f"  (cannot count OS threads: {e!r})")
        return None


def main():
    import numpy as np

    import fastact

    info = fastact.show_config()
    print(f"  fastact from {os.path.dirname(fastact.__file__)}")
    assert info["openmp"], "fastact was built WITHOUT OpenMP (serial kernels)"
    assert info["num_threads"] > 1, (
        f"OpenMP's default team has {info['num_threads']} thread(s): set OMP_NUM_THREADS=2"
    )

    fastact.set_num_threads(2)
    x = np.linspace(-8.0, 8.0, 1 << 22)
    out = np.empty_like(x)
    fastact.sigmoid(x[:1000], out=out[:1000])        # serial: below the threshold
    before = os_threads()
    wall, cpu = time.perf_counter(), time.process_time()
    reps = 0
    while reps < 3 or time.perf_counter() - wall < 0.5:
        fastact.gelu(x, out=out)
        reps += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = os_threads()
    assert np.array_equal(out[:5], fastact.gelu(x[:5])), "parallel and serial results differ"

    if before is not None and after is not None:
        print(f"  OS threads: {before} before the parallel calls, {after} after")
        assert after > before, "no OpenMP worker thread was started: the loops ran serially"
    else:
        print(f"  CPU time / wall time of {reps} parallel calls: {cpu / wall:.2f}")
        assert cpu > 1.2 * wall, "the parallel calls used one CPU: the loops ran serially"
    print("OK: OpenMP on, more than one thread runs")


if __name__ == "__main__":
    main()
