"""Run-time configuration: how many OpenMP threads the kernels use.

The count, for each call, in this order:

1. In a child created by ``os.fork()`` (``multiprocessing``'s 'fork' start
   method included) the kernels run serially.  GNU libgomp keeps its idle
   thread team across ``fork()``; the child inherits the team's bookkeeping but
   not its threads, and the next parallel region waits for them for ever.  A
   serial loop never enters the OpenMP runtime, so the child cannot hang.
   Children started with 'spawn' or 'forkserver' (fresh interpreters) thread.
2. ``set_num_threads(n)``: ``n`` threads, but no more than an OpenMP limit set
   after import in the calling thread (``threadpoolctl.threadpool_limits``, or
   ``omp_set_num_threads`` by another library sharing the OpenMP runtime).
3. Otherwise OpenMP's own count for the calling thread, ``omp_get_max_threads()``:
   ``OMP_NUM_THREADS``, else the CPU count, as ``threadpool_limits`` leaves it.

Inside a Dask task, ``threads_in_this_thread(n)`` (set by ``fastact._dask``
around each block) takes the place of ``set_num_threads`` for the calling
thread only; ``set_dask_threads`` chooses that ``n`` (1 by default).
"""

import contextlib
import os
import threading

from fastact import _loops, _simd

_num_threads = None

# Per-thread override of _num_threads (a Dask task's count, see threads_in_this_thread).
_local = threading.local()

# set_dask_threads' count; until it is called, FASTACT_DASK_THREADS (read when
# a dask array arrives, so that a bad value fails there, not at import).
_dask_threads = _UNSET = object()


def _check_count(n, what):
    if n is not None:
        n = int(n)
        if n < 1:
            raise ValueError(f"{what} must be >= 1, got {n}")
    return n


# True in a process created by fork() from one that imported fastact.
_forked_child = False

# OpenMP's count when fastact was imported (OMP_NUM_THREADS or the CPU count).
# omp_get_max_threads() returning anything else later means that someone has
# set a limit since (threadpoolctl does it with omp_set_num_threads).
_omp_default = _loops.omp_max_threads()


def _after_fork_in_child():
    global _forked_child
    _forked_child = True


if hasattr(os, "register_at_fork"):            # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def num_threads():
    """Threads the kernels use above the serial threshold (1 in a forked child)."""
    if _forked_child:
        return 1
    omp = _loops.omp_max_threads()
    n = getattr(_local, "num_threads", None) or _num_threads
    if n is None:
        return omp
    if omp != _omp_default:                    # threadpool_limits or the like
        return min(n, omp)
    return n


def set_num_threads(n):
    """Use ``n`` OpenMP threads (None: OpenMP's default, i.e. OMP_NUM_THREADS).

    ``threadpoolctl.threadpool_limits`` still caps it; in a child forked from
    this process the kernels run serially whatever ``n`` is (GNU libgomp would
    hang there).
    """
    global _num_threads
    _num_threads = _check_count(n, "num_threads")


@contextlib.contextmanager
def threads_in_this_thread(n):
    """Within the block, kernels called from this thread use ``n`` threads
    (None: no override); capped like ``set_num_threads``, serial in a forked child."""
    previous = getattr(_local, "num_threads", None)
    _local.num_threads = _check_count(n, "num_threads")
    try:
        yield
    finally:
        _local.num_threads = previous


def set_dask_threads(n):
    """OpenMP threads of fastact's kernels inside each Dask task (default 1).

    Dask already runs one task per worker thread; one OpenMP thread per task
    keeps the machine at Dask's thread count instead of Dask threads times
    OpenMP threads.  ``n`` is baked into the graph when a dask array is passed
    to fastact (so it reaches distributed workers); ``None`` leaves the count
    to each worker (``set_num_threads``/``OMP_NUM_THREADS`` there; Dask's
    nanny starts workers with OMP_NUM_THREADS=1).  Until this is called, the
    environment variable ``FASTACT_DASK_THREADS`` sets it (an integer, or
    ``auto`` for None).
    """
    global _dask_threads
    _dask_threads = _check_count(n, "dask_threads")


def dask_threads():
    """Threads of each Dask task (None: the worker's own count), see set_dask_threads."""
    if _dask_threads is _UNSET:
        value = os.environ.get("FASTACT_DASK_THREADS", "").strip()
        if not value:
            return 1
        if value.lower() == "auto":
            return None
        try:
            return _check_count(value, "FASTACT_DASK_THREADS")
        except ValueError:
            raise ValueError(
                f"FASTACT_DASK_THREADS must be an integer >= 1 or 'auto', got {value!r}"
            ) from None
    return _dask_threads


def _threshold_range():
    from fastact import _thresholds

    sizes = [n for ops in _thresholds.THRESHOLDS.values() for n in ops.values()]
    sizes.append(_thresholds.DEFAULT)
    return max(min(sizes), _loops.PARALLEL_THRESHOLD), max(sizes)


def show_config(file=None):
    """Print (and return as a dict) how this build of fastact runs."""
    import fastact
    from fastact import _call

    info = {
        "version": fastact.__version__,
        "openmp": _loops.openmp_enabled(),
        "simd": _simd.LEVEL,
        "float32_arithmetic": ("float" if getattr(_simd.FLOAT32_LOOPS, "FLOAT_ARITHMETIC", False)
                               else "double"),
        "num_threads": num_threads(),
        "dask_threads": dask_threads(),
        "parallel_threshold": _loops.PARALLEL_THRESHOLD,
        "thread_thresholds": _threshold_range(),
        "idle_team_wake_ns": _call.team_state()[1],
    }
    threads = f"{info['num_threads']}"
    if _forked_child:
        threads += "  (forked child: serial)"
    lines = [
        f"fastact {info['version']}",
        f"  OpenMP: {'on' if info['openmp'] else 'off (serial build)'}",
        f"  threads: {threads}",
        f"  threads per Dask task: {info['dask_threads'] or 'as outside Dask'}",
        f"  SIMD: {info['simd']}  (float32 loops; float64 for the kernels of "
        f"_spec.VECTOR_FLOAT64 at avx2/avx512; FASTACT_SIMD caps it)",
        f"  float32 kernels computed in: {info['float32_arithmetic']}  (float where the "
        f"level has FMA: twice the lanes)",
        "  serial below: {} to {} elements, per op (fastact/_thresholds.py)".format(
            *info["thread_thresholds"]),
        "  idle thread team: " + (
            f"waking it took {info['idle_team_wake_ns'] / 1e6:.1f} ms: a call on its own "
            "predicted to take less runs serially 15 ms after the last threaded one"
            if info["idle_team_wake_ns"] else "no slow wake-up learned (threads as asked)"),
    ]
    print("\n".join(lines), file=file)
    return info
