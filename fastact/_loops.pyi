"""Type stubs for the compiled loops (generated from _loops.pyx.tp): internal."""

from typing import Any

PARALLEL_THRESHOLD: int

def openmp_enabled() -> bool: ...
def omp_max_threads() -> int: ...

# NAME_OP(x, out, p0, p1, num_threads) for every kernel and op: fused
# float32/float64 functions, indexable by "float" and "double".
def __getattr__(name: str) -> Any: ...
