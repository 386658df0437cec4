"""benchmarks/bench_fused.py runs and writes a consistent report (no timing is
asserted: the machines are shared).  Skipped where the repository's
benchmarks/ is not beside the tests (an installed wheel tested outside the tree)."""

import pytest
from benchmarks_dir import import_or_skip

bench_fused = import_or_skip("bench_fused")


def test_report(tmp_path, restore_threads):
    out = tmp_path / "fused.md"
    assert bench_fused.main(["--only", "relu,elu,gelu_tanh", "--sizes", "3000",
                             "--threads", "1", "--dtype", "float32,float64",
                             "--rounds", "2", "--out", str(out)]) == 0
    text = out.read_text()
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == ["## float32, n = 3,000, 1 thread(s)", "## float64, n = 3,000, 1 thread(s)"]
    rows = [line.split("|")[1:-1] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| op")]
    assert [r[0].strip() for r in rows] == ["relu", "elu", "gelu_tanh"] * 2
    for r in rows:
        c = [v.strip() for v in r]
        # the ratios are the quotients of the printed times (3 significant digits)
        assert float(c[3]) == pytest.approx(float(c[1]) / float(c[2]), rel=0.02, abs=0.01)
        assert float(c[8]) == pytest.approx(float(c[6]) / float(c[7]), rel=0.02, abs=0.01)
        if c[4] != "–":
            assert float(c[5]) == pytest.approx(float(c[1]) / float(c[4]), rel=0.02, abs=0.01)
