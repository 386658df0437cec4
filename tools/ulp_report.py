"""Print a markdown table of fastact's worst ULP error per activation, op and dtype.

    python tools/ulp_report.py [--dense] [--only SUBSTRING]

Uses the mpmath references, the ULP definition (incl. the window rule near
non-representable zeros) and the input grids of ``tests/mp_reference.py`` -- the
same ones ``tests/test_accuracy.py`` asserts on.  ``--dense`` uses ~10x more grid
points.  A cell is marked with ``!`` when it exceeds the bound of the issue
(float64: fn 2, grad 3, grad2 4 ULP; float32: 2 ULP; affine fn: 1 ULP).  Warnings
and floating-point errors raised during a call are reported in the "notes"
column (the call is then repeated with them silenced to still measure it).
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)

import mp_reference as R  # noqa: E402


def _fmt_x(x):
    return f"{float(x):.17g}" if isinstance(x, (float, np.floating)) else str(x)


def measure_one(fastact, cfg, op, dtype, dense):
    xs = R.grid(dtype, cfg, dense=dense)
    note = ""
    try:
        ys = R.call(fastact, cfg, op, xs, dtype, strict=True)
    except Exception as exc:  # noqa: BLE001 - report, then measure anyway
        note = f"{type(exc).__name__}: {exc}"
        try:
            ys = R.call(fastact, cfg, op, xs, dtype, strict=False)
        except Exception as exc2:  # noqa: BLE001
            return None, f"call failed: {type(exc2).__name__}: {exc2}"
    ys = np.asarray(ys)
    if ys.dtype != np.dtype(dtype):
        note += f" returned {ys.dtype}"
        ys = ys.astype(dtype)
    m = R.measure(cfg, op, dtype, xs, ys)
    return m, note.strip()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dense", action="store_true", help="~10x denser grids")
    ap.add_argument("--only", default="", help="only activations whose id contains this")
    args = ap.parse_args(argv)

    import fastact

    t0 = time.time()
    rows = []
    n_bad = 0
    for cfg, op in R.config_ops():
        if args.only and args.only not in cfg.id:
            continue
        cells = []
        notes = []
        for dtype in ("float32", "float64"):
            m, note = measure_one(fastact, cfg, op, dtype, args.dense)
            if note:
                notes.append(f"{dtype}: {note}")
            if m is None:
                cells += ["error", "", ""]
                continue
            bound = cfg.bound(op, dtype)
            w = m.worst
            flag = "" if w <= bound else " !"
            n_bad += w > bound
            ws = "inf" if not np.isfinite(w) else f"{w:.3g}"
            cells += [f"{ws}{flag}", _fmt_x(m.worst_x), f"{float(m.ys[m.iworst]):.17g}"]
        rows.append([cfg.id, op] + cells + ["; ".join(notes)])

    head = ["activation", "op", "f32 worst ULP", "f32 at x", "f32 computed",
            "f64 worst ULP", "f64 at x", "f64 computed", "notes"]
    print(f"Worst ULP error vs mpmath (dps {R.DPS}); grids: "
          f"{'dense' if args.dense else 'default'}; bounds: f64 fn/grad/grad2 = 2/3/4, "
          f"f32 = 2, affine fn = 1; '!' = over the bound.\n")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    print(f"\n{n_bad} cell(s) over the bound; {time.time() - t0:.1f} s")
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main())
