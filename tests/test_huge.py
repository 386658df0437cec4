"""Arrays of more than 2^31 elements: no 32-bit index anywhere.

One float32 array of 2^31 + 17 elements (8.6 GB), computed in place (out=x, so
no second array and no copy), three times, through each loop of the float32
path: the dispatched (SIMD) loop with the OpenMP team, the same loop serially,
and the scalar C-library loop of ``fastact._loops`` with the team.  The values
around index 2^31 and at the very end are distinct and checked one by one; the
rest of the array is checked in chunks.  A 32-bit index would stop short of
the end, wrap to negative offsets (a crash) or write one region twice.

Skipped unless /proc/meminfo's MemAvailable is at least MIN_AVAILABLE.
"""

import numpy as np
import pytest

import fastact
from fastact import _dispatch, _simd

N = 2**31 + 17
MIN_AVAILABLE = 20 * 10**9            # bytes: the array is 8.6 GB
CHUNK = 2**26                         # elements checked at a time (a 64 MB bool temp)


def _mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        _mem_available() < MIN_AVAILABLE,
        reason=f"needs MemAvailable >= {MIN_AVAILABLE / 1e9:.0f} GB "
               f"(have {_mem_available() / 1e9:.1f} GB)",
    ),
]

# Indices with their own values: both sides of 2^31 and 2^31 - 1, and the end.
SPECIAL = np.array(  # distinct, increasing
    [0, 1, 2**31 - 9, 2**31 - 2, 2**31 - 1, 2**31, 2**31 + 1, 2**31 + 3]
    + list(range(N - 12, N)),
    dtype=np.int64,
)


def _check(x, bulk_value, special_expected, label):
    got = x[SPECIAL]
    assert np.array_equal(got, special_expected), (
        f"{label}: at indices {SPECIAL.tolist()}\n got {got}\n expected {special_expected}"
    )
    special_set = set(SPECIAL.tolist())
    for start in range(0, N, CHUNK):
        stop = min(start + CHUNK, N)
        chunk = x[start:stop]
        bad = np.flatnonzero(chunk != bulk_value) + start
        bad = [i for i in bad.tolist() if i not in special_set]
        assert not bad, f"{label}: {len(bad)} wrong elements from index {bad[0]}: " \
                        f"{x[bad[0]]} != {bulk_value}"


def _ulps32(a, b):
    a = np.asarray(a, np.float32).view(np.int32).astype(np.int64)
    b = np.asarray(b, np.float32).view(np.int32).astype(np.int64)
    return np.abs(a - b)


def test_float32_array_longer_than_2_to_31():
    if _mem_available() < MIN_AVAILABLE:             # again: the machine is shared
        pytest.skip(f"MemAvailable fell below {MIN_AVAILABLE / 1e9:.0f} GB")
    x = np.empty(N, dtype=np.float32)
    try:
        x.fill(0.5)
        specials = np.linspace(-4, 4, SPECIAL.size).astype(np.float32)
        x[SPECIAL] = specials
        bulk = np.array([0.5], np.float32)

        # 1. dispatched (SIMD) float32 loop, OpenMP team, in place.  Expected: the
        # same activation on small arrays, which is within 1 ULP of float64.
        fastact.set_num_threads(2)
        fastact.sigmoid(x, out=x)
        bulk, want = fastact.sigmoid(bulk), fastact.sigmoid(specials)
        assert _ulps32(want, fastact.sigmoid(specials.astype(np.float64))).max() <= 1
        _check(x, bulk[0], want, f"sigmoid ({_simd.LEVEL}, 2 threads)")

        # 2. the same loop on the calling thread only
        fastact.set_num_threads(1)
        fastact.affine(x, 2.0, -1.0, out=x)
        bulk, want = fastact.affine(bulk, 2.0, -1.0), fastact.affine(want, 2.0, -1.0)
        _check(x, bulk[0], want, f"affine ({_simd.LEVEL}, serial)")

        # 3. the scalar C-library float32 loop of fastact._loops, OpenMP team
        loop = _simd.module("none").softsign_fn["float"]
        loop(x, x, 0.0, 0.0, 2)
        prev = want
        bulk, want = bulk.copy(), want.copy()
        loop(bulk, bulk, 0.0, 0.0, 1)
        loop(want, want, 0.0, 0.0, 1)
        assert _ulps32(want, fastact.softsign(prev.astype(np.float64))).max() <= 1
        _check(x, bulk[0], want, "softsign (scalar loops, 2 threads)")
    finally:
        fastact.set_num_threads(None)
        del x


def test_special_indices_are_distinct():
    assert np.unique(SPECIAL).size == SPECIAL.size and SPECIAL.max() == N - 1
