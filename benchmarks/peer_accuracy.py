"""The accuracy of every benchmark peer, measured as fastact's own is.

    python benchmarks/peer_accuracy.py --out benchmarks/ACCURACY.md --json benchmarks/peer_accuracy.json
    python benchmarks/peer_accuracy.py --only sigmoid,gelu --dtype float32

Every peer formula of ``peers.py`` (each case, op, dtype and calling mode) is run on
the input grid of ``tests/test_accuracy.py`` (``tests/mp_reference.py``: the whole
range of the dtype, tails, overflow thresholds, subnormals, kinks) and its worst
error is measured in ULP against the mpmath reference, with the same ULP rule and
the same bounds that fastact's accuracy tests assert (float64 fn 2, grad 3, grad2 4
ULP; float32 2 ULP).  A peer *meets the bounds* when its worst error on that grid is
within them: it would pass fastact's accuracy test.  The worst error on the
benchmark's own inputs' range (|x| <= 20: N(0, 3^2) pre-activations) is reported
beside it, as is fastact's own.

``bench.py --accuracy FILE`` reads the JSON written here: it then also reports
fastact's time over the fastest peer that meets the bounds, and keeps timing those
peers when it prunes slow ones.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, HERE)

import bench as B  # noqa: E402
import mp_reference as R  # noqa: E402
import peers as P  # noqa: E402

BENCH_RANGE = 20.0      # the benchmark's inputs: N(0, 3^2), |x| < 20 at n = 10^7
BENCH_POINTS = 4000     # extra points drawn as the benchmark draws its inputs


def config_for(case):
    """The mp_reference Config of a benchmark case (its parameters, its kinks)."""
    base = {"gelu_tanh": "gelu(approximate=tanh)"}.get(case.label, case.label)
    cfg = R.CONFIG_BY_ID.get(base)
    if cfg is None:
        raise KeyError(f"no reference config for {case.label}")
    if not case.kwargs or case.label == "gelu_tanh":
        return cfg
    # the case's own parameters (affine 1.5 x + 0.25, swish beta = 1.5)
    extra = ()
    if case.act == "affine":
        extra = (-case.kwargs["intercept"] / case.kwargs["slope"],)
    return R.Config(f"{case.label}({case.kwargs})", cfg.name, dict(case.kwargs),
                    ref=cfg.ref_name, api_extra=cfg.api_extra, kinks=cfg.kinks,
                    extra_points=extra)


def grid_buffers(dtype, xs):
    """peers.Buffers holding the grid xs instead of random inputs."""
    bufs = P.Buffers(1, dtype)
    bufs.n = len(xs)
    bufs.xin = np.ascontiguousarray(xs, dtype=dtype)
    bufs.xw = bufs.xin.copy()
    bufs.o = np.empty_like(bufs.xin)
    bufs.cache = {}
    return bufs


def run_peer(peer, label, op, mode, bufs):
    """The peer's result on bufs.xin (bench.run_once), or (None, why)."""
    got = B.run_once(peer, label, op, mode, bufs)
    if got is None:
        return None, "n/a"
    if got.dtype != bufs.dtype or got.shape != bufs.xin.shape:
        return None, f"returned {got.dtype} {got.shape}"
    return got, None


def measure_case(case, dtypes, peers, ops=None):
    rows = []
    cfg = config_for(case)
    for dt in dtypes:
        # the test grid, plus points drawn as the benchmark's inputs are
        grid = R.grid(dt, cfg)
        drawn = (np.random.default_rng(7).standard_normal(BENCH_POINTS) * 3.0).astype(dt)
        xs = np.concatenate([grid, np.unique(drawn[~np.isin(drawn, grid)])])   # keeps -0.0
        bench = np.abs(xs.astype(np.float64)) <= BENCH_RANGE
        bufs = grid_buffers(dt, xs)
        for op in case.ops:
            if ops and op not in ops:
                continue
            bound = cfg.bound(op, dt)
            seen = {}           # (peer, bytes hash) -> measurement: modes often agree
            for peer in peers:
                if not peer.available:
                    continue
                for mode in P.MODES:
                    try:
                        got, why = run_peer(peer, case.label, op, mode, bufs)
                    except Exception as e:  # noqa: BLE001 - a failing peer is reported
                        got, why = None, f"error: {type(e).__name__}"
                    if got is None:
                        continue
                    key = hashlib.sha1(got.tobytes()).hexdigest()
                    m = seen.get(key)
                    if m is None:
                        m = seen[key] = R.measure(cfg, op, dt, xs, got)
                    errs = m.errs
                    wb = float(np.max(errs[bench])) if bench.any() else 0.0
                    rows.append({
                        "label": case.label, "op": op, "dtype": dt, "peer": peer.name,
                        "mode": mode, "worst_ulp": float(f"{m.worst:.6g}"),
                        "worst_x": float(m.worst_x), "worst_ulp_bench": float(f"{wb:.6g}"),
                        "bound": bound,
                        "within": bool(m.worst <= bound),
                        "nonfinite": int(np.count_nonzero(~np.isfinite(errs))),
                    })
    return rows


def peer_summary(rows):
    """{(label, op, dtype, peer): row of its worst mode}."""
    out = {}
    for r in rows:
        k = (r["label"], r["op"], r["dtype"], r["peer"])
        if k not in out or r["worst_ulp"] > out[k]["worst_ulp"]:
            out[k] = r
    return out


def fmt_ulp(v):
    if v == float("inf"):
        return "inf"
    if v >= 1e4:
        return f"{v:.1e}"
    return f"{v:.3g}"


def markdown(rows, versions, cmdline, elapsed):
    summ = peer_summary(rows)
    names = []
    for r in rows:
        if r["peer"] not in names:
            names.append(r["peer"])
    L = ["# Accuracy of fastact and its benchmark peers\n",
         f"Generated by `{cmdline}` on {datetime.datetime.now():%Y-%m-%d %H:%M}, "
         f"{elapsed / 60:.1f} minutes; {platform.platform()}, Python "
         f"{platform.python_version()}; " + ", ".join(f"{k} {v}" for k, v in versions.items())
         + ".\n",
         "Worst error in ULP against mpmath (50 digits) on the input grid of fastact's "
         "accuracy tests (`tests/mp_reference.py`: the whole range of the dtype, "
         "overflow thresholds, subnormals, kinks; the same ULP rule), per peer formula "
         "of `benchmarks/peers.py` (the worst of its calling modes), plus "
         f"{BENCH_POINTS} points drawn as the benchmark draws its inputs (N(0, 3²)). A cell "
         "reads *whole grid / |x| ≤ 20* (the benchmark's input range). **Bold**: beyond the bound "
         "that fastact's tests assert (float64 fn 2, grad 3, grad2 4 ULP; float32 2 "
         "ULP): that formula would fail fastact's accuracy test. `inf`: a NaN, an inf "
         "where the true value is finite, or a wrong-signed overflow.\n"]
    for dt in ("float32", "float64"):
        keys = sorted({(r["label"], r["op"]) for r in rows if r["dtype"] == dt},
                      key=lambda k: ([c.label for c in P.CASES].index(k[0]), k[1]))
        if not keys:
            continue
        cols = [n for n in names if any((k[0], k[1], dt, n) in summ for k in keys)]
        L.append(f"## {dt}\n")
        L.append("| op | bound | " + " | ".join(cols) + " |")
        L.append("|---|---|" + "---|" * len(cols))
        for lab, op in keys:
            cells = [f"{lab}.{op}"]
            bound = None
            for n in cols:
                r = summ.get((lab, op, dt, n))
                if r is None:
                    cells.append("–")
                    continue
                bound = r["bound"]
                c = f"{fmt_ulp(r['worst_ulp'])} / {fmt_ulp(r['worst_ulp_bench'])}"
                cells.append(c if r["within"] else f"**{c}**")
            cells.insert(1, f"{bound:g}" if bound is not None else "–")
            L.append("| " + " | ".join(cells) + " |")
        L.append("")
    # headline counts
    L.append("## Summary\n")
    for dt in ("float32", "float64"):
        per = {}
        for (lab, op, d, n), r in summ.items():
            if d == dt:
                t = per.setdefault(n, [0, 0])
                t[0] += 1
                t[1] += r["within"]
        if per:
            L.append(f"- {dt}: ops within the bounds, per peer: " + ", ".join(
                f"{n} {ok} of {k}" for n, (k, ok) in per.items()) + ".")
    L.append("")
    return "\n".join(L)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated case labels")
    ap.add_argument("--ops", help="comma-separated ops")
    ap.add_argument("--dtype", default="float32,float64")
    ap.add_argument("--peers", help="comma-separated peer names (fastact always)")
    ap.add_argument("--out", help="write the markdown table here")
    ap.add_argument("--json", help="write the measurements here (for bench.py --accuracy)")
    args = ap.parse_args(argv)
    t0 = time.time()
    names = None
    if args.peers:
        names = set(args.peers.split(",")) | {"fastact"}
    peers = P.load_peers(names)
    for p in peers:
        if p.available:
            p.set_threads(1)
        else:
            print(f"peer_accuracy: {p.name} unavailable: {p.error}", file=sys.stderr)
    only = set(args.only.split(",")) if args.only else None
    ops = set(args.ops.split(",")) if args.ops else None
    dtypes = args.dtype.split(",")
    rows = []
    for case in P.CASES:
        if only and case.label not in only:
            continue
        t = time.time()
        rows += measure_case(case, dtypes, peers, ops)
        print(f"  {case.label}: {time.time() - t:.1f}s", file=sys.stderr)
    versions = {p.name: p.version for p in peers if p.available and p.version
                and p.name not in ("torch-bw", "numba-prange")}
    elapsed = time.time() - t0
    cmd = "python benchmarks/peer_accuracy.py " + " ".join(argv if argv is not None
                                                           else sys.argv[1:])
    md = markdown(rows, versions, cmd.strip(), elapsed)
    if args.out:
        with open(args.out, "w") as f:
            f.write(md)
    else:
        print(md)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions, "bench_range": BENCH_RANGE, "rows": rows}, f,
                      separators=(",", ":"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
