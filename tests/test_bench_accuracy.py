"""benchmarks/peer_accuracy.py: the peers' accuracy, measured as fastact's own is.

The benchmark compares fastact with the fastest peer *within fastact's accuracy
bounds*; these tests check the machinery that decides "within" on formulas whose
accuracy is known independently (NumPy's naive float32 sigmoid underflows to 0
where the true value is a subnormal; NumPy's relu is exact), and the report's
ratio against a hand-made benchmark record.  NumPy is the only peer used, so the
tests need no optional peer.  Skipped where the repository's benchmarks/ is not
beside the tests (an installed wheel tested outside the tree).
"""

import numpy as np
import pytest
from benchmarks_dir import import_or_skip

B, A = import_or_skip("bench", "peer_accuracy")
import peers as P  # noqa: E402


@pytest.fixture(scope="module")
def peers():
    return [p for p in P.load_peers({"fastact", "numpy"}) if p.available]


def test_every_case_has_a_reference():
    for case in P.CASES:
        cfg = A.config_for(case)
        assert cfg.ref_name in {"gelu_tanh", case.act}
        for op in case.ops:
            assert op in cfg.ops
    # the benchmark's own parameters, not the defaults
    assert A.config_for(P.CASE["swish"]).params("float64")["beta"] == P.SWISH_B
    assert A.config_for(P.CASE["affine"]).params("float64") == {
        "slope": P.AFF_A, "intercept": P.AFF_B}


def test_within_bounds_is_decided_on_the_test_grid(peers):
    rows = A.measure_case(P.CASE["sigmoid"], ["float32"], peers, ops={"fn"}) + \
        A.measure_case(P.CASE["relu"], ["float32"], peers, ops={"fn"})
    got = {(r["label"], r["peer"], r["mode"]): r for r in rows}
    # fastact meets its own bounds in every mode
    for mode in P.MODES:
        assert got[("sigmoid", "fastact", mode)]["within"]
        assert got[("sigmoid", "fastact", mode)]["worst_ulp"] <= 2.0
    # 1 / (1 + exp(-x)) in float32: exp(-x) overflows for x < -88.7, where the
    # true value is a subnormal (sigmoid(-100) = 3.7e-44): millions of ULP
    numpy_sig = got[("sigmoid", "numpy", "alloc")]
    assert not numpy_sig["within"]
    assert numpy_sig["worst_ulp"] > 1e5 and numpy_sig["worst_x"] < -80
    # on the benchmark's input range (|x| <= 20) it is a few ULP at most
    assert numpy_sig["worst_ulp_bench"] < 4
    # np.maximum(x, 0) is exact
    assert got[("relu", "numpy", "alloc")]["worst_ulp"] == 0.0
    assert got[("relu", "numpy", "alloc")]["within"]


def test_report_ratio_against_the_fastest_peer_within_bounds():
    acc = {("torch", "sigmoid", "fn", "float32", "out"): (2.5, 2.0),      # too inaccurate
           ("numpy", "sigmoid", "fn", "float32", "out"): (1.9, 2.0),
           ("numpy", "gelu", "fn", "float32", "out"): (80.0, 2.0)}
    rec = {"label": "sigmoid", "op": "fn", "dtype": "float32", "n": 10**6,
           "memory_bound": False, "rounds": 1, "refs": {},
           "times": {"fastact|out": 3.0, "torch|out": 1.0, "numpy|out": 6.0},
           "samples": {"fastact|out": 1, "torch|out": 1, "numpy|out": 1}}
    a = B.analyse(rec, acc)["out"]
    assert a["best"] == ("torch", 1.0) and a["ratio"] == 3.0
    assert a["best_ok"] == ("numpy", 6.0) and a["ratio_ok"] == 0.5
    # unmeasured peers never count as within the bounds
    rec2 = dict(rec, label="gelu")
    assert B.analyse(rec2, acc)["out"]["ratio_ok"] is None
    assert B.analyse(rec, None)["out"]["ratio_ok"] is None
    section = "\n".join(B.accuracy_section([{"threads": 1, "results": [rec, rec2]}], acc))
    assert "| sigmoid.fn | 0.5 numpy |" in section
    assert "| gelu.fn | none |" in section
    assert "within the bounds in 1 of 1 rows; in 1 more rows no peer" in section
