"""Run-time choice of the vectorized loops (float32, and float64 of some kernels).

The vector loops are compiled once per SIMD level (baseline, AVX2+FMA,
AVX-512): float32 for every kernel in ``fastact._vloops_<level>`` (math at
float32 accuracy), float64 for the kernels of ``_spec.VECTOR_FLOAT64`` in
``fastact._vloops_f64_<level>`` (AVX2 and AVX-512 only: their double-double
corrections need FMA).  At import the best level that both the CPU supports and
the build contains is chosen.  ``FASTACT_SIMD=baseline|avx2|avx512`` caps the level (to
test or compare the lower ones); ``FASTACT_SIMD=none`` uses the scalar loops of
``fastact._loops`` (C library math) for float32 as well.
"""

import importlib
import os

from fastact import _loops
from fastact._spec import VECTOR_FLOAT64

LEVELS = ("baseline", "avx2", "avx512")


def supported_levels(cap=None):
    """The levels this CPU supports and this build contains, up to ``cap`` (tests
    run them all).

    Only modules of supported levels are ever imported: a module compiled for
    AVX2 or AVX-512 uses those instructions already in its import-time code, so
    importing it on an older CPU would kill the process (SIGILL).
    """
    top = _loops.cpu_level()
    if cap is not None:
        top = min(top, LEVELS.index(cap))
    found = []
    for level in LEVELS[: top + 1]:
        try:
            importlib.import_module(f"fastact._vloops_{level}")
        except ImportError:
            continue
        found.append(level)
    return found


def _choose():
    request = os.environ.get("FASTACT_SIMD", "").strip().lower()
    if request == "none":
        return "none", _loops
    if request and request not in LEVELS:
        raise ImportError(
            f"FASTACT_SIMD={request!r}: expected one of none, {', '.join(LEVELS)}"
        )
    usable = supported_levels(request or None)
    if not usable:
        return "none", _loops
    level = usable[-1]
    return level, importlib.import_module(f"fastact._vloops_{level}")


def module(level):
    """The loops module of ``level`` ('none' for the scalar one); the level must be
    one of ``supported_levels()``."""
    return _loops if level == "none" else importlib.import_module(f"fastact._vloops_{level}")


def module_f64(level):
    """The float64 vector loops of ``level`` (a supported level with FMA)."""
    return importlib.import_module(f"fastact._vloops_f64_{level}")


LEVEL, FLOAT32_LOOPS = _choose()


def vector_float64(kernel, level=None):
    """True if float64 KERNEL runs on the vector loops of ``level`` (default:
    the chosen one): the kernels of ``_spec.VECTOR_FLOAT64`` at the levels with
    FMA (AVX2, AVX-512), whose double-double corrections need it."""
    level = LEVEL if level is None else level
    return level in ("avx2", "avx512") and kernel in VECTOR_FLOAT64


# The float64 loops of the kernels of VECTOR_FLOAT64 (None: the scalar ones).
FLOAT64_LOOPS = module_f64(LEVEL) if vector_float64(VECTOR_FLOAT64[0]) else None
