"""Run-time configuration: how many OpenMP threads the kernels use."""

from fastact import _loops, _simd

_num_threads = None


def num_threads():
    """Threads the kernels use above the serial threshold."""
    if _num_threads is not None:
        return _num_threads
    return _loops.omp_max_threads()


def set_num_threads(n):
    """Use ``n`` OpenMP threads (None: OpenMP's default, i.e. OMP_NUM_THREADS)."""
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
    lines = [
        f"fastact {info['version']}",
        f"  OpenMP: {'on' if info['openmp'] else 'off (serial build)'}",
        f"  threads: {info['num_threads']}",
        f"  SIMD (float32 loops): {info['simd']}  (FASTACT_SIMD caps it)",
        f"  serial below: {info['parallel_threshold']} elements",
    ]
    print("\n".join(lines), file=file)
    return info
