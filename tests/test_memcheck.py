"""Valgrind memcheck over a subset of the kernel tests (tools/memcheck.sh quick).

Every loop of every activation and op (float32 through the SIMD module valgrind
can run, float64 through the accurate one; serial and OpenMP-threaded sizes,
strided, overlapping and ``out=`` paths) runs under memcheck, which must report
no invalid read or write, no use of an uninitialised value and no bad free.
Slow (a few minutes); skipped where valgrind is not installed.  The full run
(about 15 minutes) is ``tools/memcheck.sh full``.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="valgrind run on Linux"),
]


def test_memcheck_kernel_tests_clean():
    with tempfile.TemporaryDirectory(prefix="fastact-memcheck-") as d:
        log = os.path.join(d, "memcheck.log")
        env = dict(os.environ, PYTHON=sys.executable, MEMCHECK_LOG=log)
        proc = subprocess.run(
            ["bash", os.path.join(ROOT, "tools", "memcheck.sh"), "quick"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        text = open(log).read() if os.path.exists(log) else ""
    summary = re.findall(r"ERROR SUMMARY: (\d+) errors", text)
    assert summary, f"no memcheck summary\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert int(summary[-1]) == 0, f"memcheck errors:\n{text[-20000:]}"
    # the tests themselves ran (and passed: nothing in the subset depends on x87
    # precision, which valgrind does not emulate)
    assert proc.returncode == 0, f"{proc.stdout[-5000:]}\n{proc.stderr[-3000:]}"
    assert re.search(r"\d+ passed", proc.stdout), proc.stdout[-3000:]
