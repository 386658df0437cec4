"""Calibrate the per-op sizes above which the kernels use OpenMP threads.

Writes fastact/_thresholds.py: THRESHOLDS, and COSTS, each op's serial time per
element (the idle-team rule of fastact/_call.pyx predicts a call's serial time
from it).  Model: a loop of n elements costs n*c serially
and n*c/T + O with T threads, where c is the op's serial cost per element and O
the cost of waking the thread team and joining it.  Threads pay off from
n = O / (c (1 - 1/T)) elements; the threshold is twice that (so that threads are
never slower than serial even when O is underestimated), clamped to
[fastact._loops.PARALLEL_THRESHOLD (the loops' floor), 2^22].  c is measured per
op and dtype on an array in cache (n = 2^16), O with the cheapest op at the
floor size; both are medians of interleaved repeats, O the lower quartile (the
machine may be shared: stalls only inflate it).

    python tools/calibrate_threads.py            # measure and write the table
    python tools/calibrate_threads.py --dry-run  # print it only
    python tools/calibrate_threads.py --check    # time the table in use

--check times every op at its threshold (the smallest size that uses threads)
with THREADS threads against serial (medians of interleaved repeats) and prints
the ratios, worst first: above 1, threads start too early for that op on this
machine.
"""

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import fastact  # noqa: E402
from fastact import _dispatch, _loops, _thresholds  # noqa: E402
from fastact._spec import KERNELS, kernel_ops  # noqa: E402

THREADS = 2
CEILING = 2**22


def _time(f, *args, repeats=9):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        f(*args)
        ts.append(time.perf_counter_ns() - t)
    return ts


def _params(kernel):
    return {"hardtanh": (-1.0, 1.0), "hardsigmoid": (3.0, 0.0)}.get(
        kernel, tuple(1.0 for _ in KERNELS[kernel]["params"]) + (0.0, 0.0))[:2] or (0.0, 0.0)


def _serial_and_threaded(loop, x, o, p0, p1, rounds):
    """Times of rounds calls with 1 thread and with THREADS, interleaved."""
    one, two = [], []
    for _ in range(rounds):
        one += _time(loop, x, o, p0, p1, 1, repeats=1)
        two += _time(loop, x, o, p0, p1, THREADS, repeats=1)
    return one, two


def _op_loops():
    """(dtype, its name, kernel, op, p0, p1, the op's loop) for every unary op."""
    for dtype in (np.float32, np.float64):
        for kernel in KERNELS:
            p0, p1 = _params(kernel)
            for op in kernel_ops(kernel):
                loop = _dispatch.loop_pair(kernel, op)[0 if dtype == np.float32 else 1]
                yield dtype, np.dtype(dtype).name, kernel, op, p0, p1, loop


def team_overhead_ns(dtype):
    n = _loops.PARALLEL_THRESHOLD
    x = np.linspace(-3, 3, n).astype(dtype)
    o = np.empty_like(x)
    loop = _dispatch.loop_pair("identity", "fn")[0 if dtype == np.float32 else 1]
    one, two = _serial_and_threaded(loop, x, o, 0.0, 0.0, 41)
    return max(statistics.quantiles(two, n=4)[0] - statistics.quantiles(one, n=4)[0], 500.0)


def cost_per_element_ns(loop, dtype, p0, p1):
    n = 2**16
    x = np.random.default_rng(0).normal(0, 3, n).astype(dtype)
    o = np.empty_like(x)
    loop(x, o, p0, p1, 1)                                  # warm up
    return statistics.median(_time(loop, x, o, p0, p1, 1)) / n


def calibrate():
    table, costs = {}, {}
    overhead = {}
    for dtype, dname, kernel, op, p0, p1, loop in _op_loops():
        if dname not in table:
            overhead[dname] = team_overhead_ns(dtype)
            table[dname], costs[dname] = {}, {}
            print(f"{dname}: team overhead {overhead[dname] / 1000:.1f} us", file=sys.stderr)
        c = cost_per_element_ns(loop, dtype, p0, p1)
        n = 2 * overhead[dname] / (c * (1 - 1 / THREADS))
        n = int(min(max(n, _loops.PARALLEL_THRESHOLD), CEILING))
        table[dname][f"{kernel}_{op}"] = 1 << (n - 1).bit_length()   # a power of 2
        costs[dname][f"{kernel}_{op}"] = float(f"{c:.3g}")
    return table, costs


def check():
    """Ratios (THREADS threads / serial) at each op's threshold, worst first."""
    rows = []
    for dtype, dname, kernel, op, p0, p1, loop in _op_loops():
        n = _thresholds.THRESHOLDS[dname][f"{kernel}_{op}"]
        x = np.random.default_rng(0).normal(0, 3, n).astype(dtype)
        o = np.empty_like(x)
        one, two = _serial_and_threaded(loop, x, o, p0, p1, 31)
        rows.append((statistics.median(two) / statistics.median(one), dname,
                     f"{kernel}_{op}", n, statistics.median(one) / 1000))
    rows.sort(reverse=True)
    print(f"{THREADS} threads / serial at each op's threshold (fastact/_thresholds.py), worst first:")
    for r, dname, name, n, serial_us in rows:
        print(f"  {r:5.2f}  {dname} {name}  n = {n}  (serial {serial_us:.1f} us)")
    ratios = [r[0] for r in rows]
    print(f"median {statistics.median(ratios):.2f}, worst {max(ratios):.2f}; "
          f"{sum(r > 1 for r in ratios)} of {len(ratios)} above 1")
    return rows


def _dict_lines(name, table):
    """``name = {dtype: {op: value}}`` as Python source lines."""
    lines = [f"{name} = {{"]
    for dname, ops in table.items():
        lines.append(f"    {dname!r}: {{")
        lines += [f"        {op!r}: {v!r}," for op, v in ops.items()]
        lines.append("    },")
    return lines + ["}"]


def render(table, costs):
    cpu = platform.processor() or platform.machine()
    lines = [
        '"""Per-op sizes from which the kernels use OpenMP threads (fewer elements:',
        "serial).  Generated by tools/calibrate_threads.py (see its docstring for the",
        "model); rerun it on a new kind of machine.  Ops missing here (fused ops) use",
        'DEFAULT."""',
        "",
        f"# Calibrated on {cpu}, {os.cpu_count()} CPUs, SIMD level "
        f"{fastact.show_config(file=open(os.devnull, 'w'))['simd']}, "
        f"{time.strftime('%Y-%m-%d')}.",
        "DEFAULT = 32768",
        "",
    ]
    lines += _dict_lines("THRESHOLDS", table)
    lines += [
        "",
        "# The serial loops' time per element (ns, in cache): the threaded calls'",
        "# rule for an idle thread team predicts a call's serial time from it",
        "# (fastact/_call.pyx, _wake_ns).",
    ]
    lines += _dict_lines("COSTS", costs)
    lines += [
        "",
        "# The smallest size from which every op uses threads (the tests use it).",
        "EVERY_OP_THREADED = max([DEFAULT] + [n for ops in THRESHOLDS.values() for n in ops.values()])",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the table, write nothing")
    ap.add_argument("--check", action="store_true",
                    help="time the table in use at each threshold, write nothing")
    args = ap.parse_args()
    fastact.set_num_threads(THREADS)
    if args.check:
        check()
        return
    text = render(*calibrate())
    if args.dry_run:
        print(text)
        return
    path = os.path.join(os.path.dirname(HERE), "fastact", "_thresholds.py")
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
