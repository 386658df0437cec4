"""Run-time choice of the vectorized float32 loops.

The float32 loops are compiled once per SIMD level (baseline, AVX2+FMA,
AVX-512); at import the best level that both the CPU supports and the build
contains is chosen.  ``FASTACT_SIMD=baseline|avx2|avx512`` caps the level (to
test or compare the lower ones); ``FASTACT_SIMD=none`` uses the scalar loops of
``fastact._loops`` (C library math) for float32 as well.
"""

import importlib
import os

from fastact import _loops

LEVELS = ("baseline", "avx2", "avx512")


def _available():
    found = []
    for level in LEVELS:
        try:
            importlib.import_module(f"fastact._vloops_{level}")
        except ImportError:
            continue
        found.append(level)
    return found


def _choose():
    supported = LEVELS[: _loops.cpu_level() + 1]
    usable = [lv for lv in _available() if lv in supported]
    request = os.environ.get("FASTACT_SIMD", "").strip().lower()
    if request == "none":
        return "none", _loops
    if request:
        if request not in LEVELS:
            raise ImportError(
                f"FASTACT_SIMD={request!r}: expected one of none, {', '.join(LEVELS)}"
            )
        usable = [lv for lv in usable if LEVELS.index(lv) <= LEVELS.index(request)]
    if not usable:
        return "none", _loops
    level = usable[-1]
    return level, importlib.import_module(f"fastact._vloops_{level}")


def supported_levels():
    """The levels this CPU supports and this build contains (tests run them all)."""
    supported = LEVELS[: _loops.cpu_level() + 1]
    return [lv for lv in _available() if lv in supported]


def module(level):
    """The loops module of ``level`` ('none' for the scalar one)."""
    return _loops if level == "none" else importlib.import_module(f"fastact._vloops_{level}")


LEVEL, FLOAT32_LOOPS = _choose()
