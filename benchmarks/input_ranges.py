#!/usr/bin/env python
"""Does the time per element depend on the input values?  fastact and its peers
on the same op over nine input ranges, side by side in one run.

bench.py times every op on N(0, 3^2) pre-activations.  Branch-free kernels
should take the same time on any input, but floating-point hardware can be
slowed by subnormal numbers (as results, or as intermediates in lanes whose
result is discarded), so this script also times: uniform on [0.1, 5] and
[-5, -0.1], tiny magnitudes (+-[1e-30, 1e-20] in float32, +-[1e-300, 1e-200] in
float64: squares underflow), large ones (+-[100, 200] in float32, +-[750,
1000] in float64: exp underflows or overflows, and in part of the range its
result or an intermediate is subnormal) and huge ones (+-[1e3, 1e30] in
float32, +-[1e4, 1e300] in float64, log-uniform: far past every threshold).

For each op the contenders (fastact, NumPy with out=, torch and its backward
kernels; see peers.py) run once per round in a new random order, each call timed
on its own, 1 thread, out= mode; the median over the rounds is reported in ns
per element.  Columns: fastact per range, its slowest range over its N(0, 3^2)
time ("spread"), the same spread for the fastest peer on N(0, 3^2), and the
ranges where fastact is more than 1.3x its own N(0, 3^2) time.

    python benchmarks/input_ranges.py                    # float32 and float64
    python benchmarks/input_ranges.py --dtype float32 --only sigmoid,elu
"""

import argparse
import os
import platform
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers as P  # noqa: E402
from bench_fused import time_case  # noqa: E402  (interleaved, random order, medians)

import fastact  # noqa: E402


def ranges(dtype, n, seed=0):
    rng = np.random.default_rng(seed)
    f32 = np.dtype(dtype) == np.float32
    tiny = (1e-30, 1e-20) if f32 else (1e-300, 1e-200)
    big = (100.0, 200.0) if f32 else (750.0, 1000.0)
    huge = (1e3, 1e30) if f32 else (1e4, 1e300)

    def logu(lo, hi):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))

    r = {
        "N(0,3^2)": rng.standard_normal(n) * 3.0,
        "[0.1,5]": rng.uniform(0.1, 5.0, n),
        "[-5,-0.1]": -rng.uniform(0.1, 5.0, n),
        "tiny+": logu(*tiny),
        "tiny-": -logu(*tiny),
        "big+": rng.uniform(*big, n),
        "big-": -rng.uniform(*big, n),
        "huge+": logu(*huge),
        "huge-": -logu(*huge),
    }
    return {k: v.astype(dtype) for k, v in r.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dtype", default="float32,float64")
    ap.add_argument("--only", default="", help="case labels, comma-separated (peers.CASES)")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--peers", default="numpy,torch,torch-bw")
    ap.add_argument("--out", default="", help="also write the table to this Markdown file")
    a = ap.parse_args(argv)

    fastact.set_num_threads(1)
    peers = [p for p in P.load_peers(a.peers.split(",")) if p.available]
    for p in peers:
        p.set_threads(1)
    fa = P.Fastact()
    rng = np.random.default_rng(0)
    only = set(filter(None, a.only.split(",")))
    cases = [c for c in P.CASES if not only or c.label in only]

    lines = [
        "# Time per element over input ranges",
        "",
        f"`python benchmarks/input_ranges.py {' '.join(argv if argv is not None else sys.argv[1:])}`"
        f" on {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores;"
        f" fastact SIMD level {fastact._simd.LEVEL}, n = {a.n}, 1 thread, out=, "
        f"median of {a.rounds} rounds (ns per element).",
        f"Peers: {', '.join(p.name for p in peers) or 'none'}.",
        "",
    ]
    flagged = []
    for dt in a.dtype.split(","):
        rs = ranges(dt, a.n)
        head = "| op | " + " | ".join(rs) + " | spread | peer spread |"
        lines += [f"## {dt}", "", head, "|" + "---|" * (len(rs) + 3)]
        print(f"\n{dt}: {' '.join(rs)}  spread  peer-spread", flush=True)
        for case in cases:
            for op in case.ops:
                row, peer_row = {}, {}
                for rname, x in rs.items():
                    bufs = P.Buffers(a.n, dt)
                    bufs.xin[...] = x
                    bufs.restore()
                    calls = {"fastact": fa.bind(case.label, op, "out", bufs)}
                    for p in peers:
                        f = p.bind(case.label, op, "out", bufs)
                        if f is not None:
                            calls[p.name] = f
                    with np.errstate(all="ignore"):
                        for f in calls.values():     # warm up (and compile, for numba)
                            f()
                        t = time_case(calls, a.rounds, 0, rng)
                    row[rname] = t.pop("fastact") / a.n
                    peer_row[rname] = min(t.values()) / a.n if t else float("nan")
                base = row["N(0,3^2)"]
                spread = max(row.values()) / base
                pbase = peer_row["N(0,3^2)"]
                pspread = max(peer_row.values()) / pbase if pbase == pbase else float("nan")
                slow = [k for k, v in row.items() if v > 1.3 * base]
                if slow:
                    flagged.append(f"{case.label}.{op} {dt}: {', '.join(slow)} ({spread:.2f}x)")
                cells = " | ".join(f"{v:.3g}" for v in row.values())
                lines.append(f"| {case.label}.{op} | {cells} | {spread:.2f} | {pspread:.2f} |")
                print(f"{case.label + '.' + op:22s}", " ".join(f"{v:6.3g}" for v in row.values()),
                      f"{spread:6.2f} {pspread:6.2f}", flush=True)
        lines.append("")
    lines += ["## Ranges more than 1.3x fastact's N(0, 3^2) time", ""]
    lines += [f"- {s}" for s in flagged] or ["- none"]
    if a.out:
        with open(a.out, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
