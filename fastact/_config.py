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
"""

import os

from fastact import _loops, _simd

_num_threads = None

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
    n = _num_threads
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
    if n is not None:
        n = int(n)
        if n < 1:
            raise ValueError(f"num_threads must be >= 1, got {n}")
    _num_threads = n


def show_config(file=None):
    """Print (and return as a dict) how this build of fastact runs."""
    import fastact

    info = {
        "version": fastact.__version__,
        "openmp": _loops.openmp_enabled(),
        "simd": _simd.LEVEL,
        "num_threads": num_threads(),
        "parallel_threshold": _loops.PARALLEL_THRESHOLD,
    }
    threads = f"{info['num_threads']}"
    if _forked_child:
        threads += "  (forked child: serial)"
    lines = [
        f"fastact {info['version']}",
        f"  OpenMP: {'on' if info['openmp'] else 'off (serial build)'}",
        f"  threads: {threads}",
        f"  SIMD (float32 loops): {info['simd']}  (FASTACT_SIMD caps it)",
        f"  serial below: {info['parallel_threshold']} elements",
    ]
    print("\n".join(lines), file=file)
    return info
