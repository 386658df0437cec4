"""benchmarks/bench.py's per-call comparison at n = 100: NumPy's cheapest call is
timed in each case's own rounds and the report's ratios and Summary counts come
from those times (no timing is asserted: the machines are shared).  Skipped where
the repository's benchmarks/ is not beside the tests."""

import json

import numpy as np
import pytest
from benchmarks_dir import import_or_skip

bench = import_or_skip("bench")


def test_small_n_rows_carry_their_own_reference(tmp_path, restore_threads):
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    assert bench.main(["--only", "relu,sigmoid", "--ops", "fn,grad", "--threads", "1",
                       "--sizes", "100,1e5", "--dtype", "float32", "--repeats", "5",
                       "--peers", "numpy", "--no-plot", "--out", str(md),
                       "--json", str(js)]) == 0
    workers = json.loads(js.read_text())["workers"]
    recs = [r for w in workers for r in w["results"]]
    small = [r for r in recs if r["n"] == 100]
    assert len(small) == 4
    for r in small:          # both references, timed in the case's rounds
        assert r["refs"]["maximum_out"] > 0 and r["refs"]["maximum"] > 0
    for r in recs:
        if r["n"] > bench.SMALL_N:
            assert "maximum_out" not in r["refs"]
    text = md.read_text()
    sec = text[text.index("## Per call at n = 100"):]
    rows = [line.split("|")[1:-1] for line in sec[:sec.index("\n## ")].splitlines()
            if line.startswith("| 1 |")]
    by_op = {r[2].strip(): [c.strip() for c in r] for r in rows}
    assert set(by_op) == {"relu.fn", "relu.grad", "sigmoid.fn", "sigmoid.grad"}
    base = [b for w in workers for b in w["baseline"] if b["n"] == 100][0]["maximum_out"]
    ratios = []
    for r in small:
        c = by_op[f"{r['label']}.{r['op']}"]
        fa, ref = r["times"]["fastact|out"], r["refs"]["maximum_out"]
        # the row's reference is its own, and the ratios are the quotients
        assert float(c[4]) == pytest.approx(ref * 1e6, rel=0.01)
        assert float(c[5]) == pytest.approx(fa / ref, rel=0.02, abs=0.01)
        assert float(c[6]) == pytest.approx(fa / base, rel=0.02, abs=0.01)
        ratios.append(fa / ref)
    summary = text[text.index("## Summary"):]
    line = [s for s in summary.splitlines() if s.startswith("- n = 100, per call: ")][0]
    assert (f"in {sum(q <= 1.0 for q in ratios)} of 4 rows "
            f"(median ratio {np.median(ratios):.2f})") in line
