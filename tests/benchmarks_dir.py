"""The repository's benchmarks/ for the tests that run its scripts: their
modules imported from beside the tests, or the calling test module skipped
where benchmarks/ is not there (an installed wheel tested outside the tree)."""

import importlib
import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


def import_or_skip(*names):
    """The modules benchmarks/NAME.py (one, or a list for several)."""
    if not all(os.path.exists(os.path.join(BENCH, name + ".py")) for name in names):
        pytest.skip("benchmarks/ is not here (installed package)", allow_module_level=True)
    if BENCH not in sys.path:
        sys.path.insert(0, BENCH)
    modules = [importlib.import_module(name) for name in names]
    return modules[0] if len(names) == 1 else modules
