"""benchmarks/input_ranges.py: its input ranges are what it says, and it writes
a consistent report (no timing is asserted: the machines are shared).  Skipped
where the repository's benchmarks/ is not beside the tests (an installed wheel
tested outside the tree)."""

import numpy as np
import pytest
from benchmarks_dir import import_or_skip

input_ranges = import_or_skip("input_ranges")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ranges(dtype):
    r = input_ranges.ranges(dtype, 5000)
    assert list(r) == ["N(0,3^2)", "[0.1,5]", "[-5,-0.1]", "tiny+", "tiny-", "big+", "big-",
                       "huge+", "huge-"]
    f32 = dtype == "float32"
    tiny, big, huge = ((1e-30, 1e-20), (100, 200), (1e3, 1e30)) if f32 else (
        (1e-300, 1e-200), (750, 1000), (1e4, 1e300))
    for name, lo, hi in (("[0.1,5]", 0.1, 5), ("tiny+", *tiny), ("big+", *big), ("huge+", *huge)):
        pos, neg = r[name], r[name.replace("+", "-") if "+" in name else "[-5,-0.1]"]
        for v, sign in ((pos, 1), (neg, -1)):
            assert v.dtype == dtype and v.shape == (5000,)
            a = sign * v.astype(np.float64)
            assert a.min() >= lo * (1 - 1e-6) and a.max() <= hi * (1 + 1e-6), name
    # tiny squares underflow; huge ones are past every exp threshold
    assert np.all(r["tiny+"].astype(np.float64) ** 2 < (np.finfo(dtype).tiny if f32 else 1e-300))
    assert np.all(np.abs(r["huge-"]) > (120 if f32 else 810))


def test_report(tmp_path, restore_threads):
    out = tmp_path / "ranges.md"
    assert input_ranges.main(["--dtype", "float32", "--only", "relu,sigmoid", "--n", "2000",
                              "--rounds", "2", "--peers", "numpy", "--out", str(out)]) == 0
    text = out.read_text()
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| op")]
    assert [r[0] for r in rows] == ["relu.fn", "relu.grad", "relu.grad2", "sigmoid.fn",
                                    "sigmoid.grad", "sigmoid.grad2"]
    flagged = text.split("## Ranges more than 1.3x")[1]
    for r in rows:
        times = [float(v) for v in r[1:10]]
        assert all(t > 0 for t in times)
        # the spread is the slowest range over N(0, 3^2), as printed
        assert float(r[10]) == pytest.approx(max(times) / times[0], rel=0.02, abs=0.01)
        ratios = [t / times[0] for t in times]
        if all(abs(q - 1.3) > 0.02 for q in ratios):    # the table's times are rounded
            assert (f"- {r[0]} float32:" in flagged) == any(q > 1.3 for q in ratios)
