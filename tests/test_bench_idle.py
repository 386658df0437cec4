"""benchmarks/bench_idle.py runs and writes a consistent report (no timing is
asserted: the machines are shared).  Skipped where the repository's
benchmarks/ is not beside the tests (an installed wheel tested outside the tree)."""

import pytest
from benchmarks_dir import import_or_skip

bench_idle = import_or_skip("bench_idle")


def test_report(tmp_path, restore_threads):
    out = tmp_path / "idle.md"
    assert bench_idle.main(["--only", "relu,gelu", "--sizes", "3000", "--gaps", "0,1",
                            "--rounds", "1", "--calls", "2", "--out", str(out)]) == 0
    rows = [line.split("|")[1:-1] for line in out.read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| op")]
    assert [(r[0].strip(), r[2].strip()) for r in rows] == [
        ("relu", "0"), ("relu", "1"), ("gelu", "0"), ("gelu", "1")]
    for r in rows:
        c = [v.strip() for v in r]
        assert c[1] == "3,000"
        # the ratios are the quotients of the printed times
        assert float(c[5]) == pytest.approx(float(c[4]) / float(c[3]), rel=0.05, abs=0.01)
        if c[6] != "–":
            assert float(c[8]) == pytest.approx(float(c[7]) / float(c[6]), rel=0.05, abs=0.01)
