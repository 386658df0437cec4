#!/usr/bin/env python
"""fastact on Dask arrays: a few GB through a Dask pipeline, 1 and 2 workers.

The pipeline is what a user runs on an array larger than memory would allow
in one piece: a float32 array generated blockwise (``da.random``, uniform on
[-6, 6]), an activation, and a reduction (the sum) so that nothing large comes
back to the client.  The activation is either fastact called on the dask array
(``fastact.gelu(x)``: fastact's kernels blockwise, one OpenMP thread per task)
or the NumPy/SciPy expression a user would put in ``x.map_blocks(...)``.  The
same pipeline without the activation is timed too (the baseline: generating
and summing), so the activation's own time is the difference.

For each worker count (a ``dask.distributed.LocalCluster`` of 1 or 2 worker
processes with one thread each, or the threaded scheduler with 1 or 2 threads),
the pipelines run interleaved (each round runs every contender once, in a
rotating order) and the median of the rounds is reported, with the ratios
fastact / NumPy (< 1: fastact faster) and the scaling from 1 to 2 workers.

    python benchmarks/bench_dask.py              # 2 GiB, 3 rounds, LocalCluster
    python benchmarks/bench_dask.py --quick      # 256 MiB, 1 round, under a minute
    python benchmarks/bench_dask.py --scheduler threads --gib 1
"""

import argparse
import contextlib
import logging
import os
import platform
import statistics
import time

import dask
import dask.array as da
import numpy as np
import scipy.special

import fastact


def numpy_gelu(x):
    return 0.5 * x * (1 + scipy.special.erf(x / np.float32(np.sqrt(2))))


def numpy_gelu_grad(x):
    cdf = 0.5 * (1 + scipy.special.erf(x / np.float32(np.sqrt(2))))
    return cdf + x * np.exp(-0.5 * x * x) / np.float32(np.sqrt(2 * np.pi))


def numpy_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def numpy_softplus(x):
    return np.logaddexp(np.float32(0), x)


# name: (fastact on a dask array, the NumPy expression for map_blocks)
CONTENDERS = {
    "gelu": (fastact.gelu, numpy_gelu),
    "gelu.grad": (fastact.gelu.grad, numpy_gelu_grad),
    "sigmoid": (fastact.sigmoid, numpy_sigmoid),
    "tanh": (fastact.tanh, np.tanh),
    "softplus": (fastact.softplus, numpy_softplus),
}


def source(n, chunk):
    """float32, uniform on [-6, 6], generated blockwise (the same every time)."""
    x = da.random.default_rng(0).random(n, chunks=chunk, dtype=np.float32)
    return x * np.float32(12) - np.float32(6)


def pipelines(n, chunk, names):
    """{(name, 'fastact' | 'numpy' | 'baseline'): the lazy sum}."""
    x = source(n, chunk)
    out = {("-", "baseline"): x.sum(dtype=np.float64)}
    for name in names:
        fa, np_expr = CONTENDERS[name]
        out[(name, "fastact")] = fa(x).sum(dtype=np.float64)
        out[(name, "numpy")] = x.map_blocks(np_expr, dtype=np.float32).sum(dtype=np.float64)
    return out


@contextlib.contextmanager
def scheduler(kind, workers):
    """A dask scheduler with ``workers`` single-threaded workers."""
    if kind == "threads":
        with dask.config.set(scheduler="threads", num_workers=workers):
            yield
        return
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None,
                      memory_limit=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers, timeout=120)
        yield


def run(kind, workers, n, chunk, names, rounds):
    """{key: [seconds of each round]} and {key: the computed sum}."""
    graphs = pipelines(n, chunk, names)
    keys = list(graphs)
    times = {k: [] for k in keys}
    sums = {}
    with scheduler(kind, workers):
        graphs[keys[0]].compute()                   # warm-up: imports, worker start
        for r in range(rounds):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                t0 = time.perf_counter()
                sums[k] = float(graphs[k].compute())
                times[k].append(time.perf_counter() - t0)
    return times, sums


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gib", type=float, default=2.0, help="array size in GiB (float32)")
    ap.add_argument("--chunk-mib", type=float, default=64.0, help="chunk size in MiB")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2")
    ap.add_argument("--scheduler", choices=("distributed", "threads"), default="distributed")
    ap.add_argument("--only", help="comma-separated subset of " + ",".join(CONTENDERS))
    ap.add_argument("--quick", action="store_true",
                    help="256 MiB, 16 MiB chunks, 1 round, gelu and sigmoid")
    args = ap.parse_args()
    names = args.only.split(",") if args.only else list(CONTENDERS)
    if args.quick:
        args.gib, args.chunk_mib, args.rounds = 0.25, 16.0, 1
        names = names if args.only else ["gelu", "sigmoid"]
    n = int(args.gib * 2**30) // 4
    chunk = int(args.chunk_mib * 2**20) // 4
    workers = [int(w) for w in args.workers.split(",")]

    print(f"fastact {fastact.__version__}, dask {dask.__version__}, numpy {np.__version__}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"float32, {n:,} elements ({args.gib:g} GiB) in {-(-n // chunk)} chunks of "
          f"{args.chunk_mib:g} MiB; scheduler {args.scheduler}, single-threaded workers "
          f"{workers}; fastact's OpenMP threads per task: {fastact.dask_threads()}; "
          f"median of {args.rounds} round(s)\n")

    medians = {}
    for w in workers:
        times, sums = run(args.scheduler, w, n, chunk, names, args.rounds)
        for k, ts in times.items():
            medians[(w, *k)] = statistics.median(ts)
        for name in names:                     # the two agree (float32 rounding apart)
            a, b = sums[(name, "fastact")], sums[(name, "numpy")]
            assert abs(a - b) <= 1e-5 * max(abs(a), abs(b), 1.0), (name, a, b)

    base = {w: medians[(w, "-", "baseline")] for w in workers}
    print("seconds (median); ratio = fastact / NumPy (< 1: fastact faster), whole pipeline "
          "and activation only (baseline = generate + sum subtracted)")
    head = f"{'activation':<11}{'workers':>8}{'NumPy s':>9}{'fastact s':>10}{'ratio':>7}{'act. only':>10}"
    print(head)
    for w in workers:
        print(f"{'(baseline)':<11}{w:>8}{base[w]:>9.2f}   (generate + sum, no activation)")
    for name in names:
        for w in workers:
            t_np, t_fa = medians[(w, name, "numpy")], medians[(w, name, "fastact")]
            act = (t_fa - base[w]) / (t_np - base[w]) if t_np > base[w] else float("nan")
            print(f"{name:<11}{w:>8}{t_np:>9.2f}{t_fa:>10.2f}{t_fa / t_np:>7.2f}{act:>10.2f}")
    if len(workers) > 1:
        lo, hi = workers[0], workers[-1]
        print(f"\nscaling {lo} -> {hi} workers (time at {lo} / time at {hi}; "
              f"ideal {hi / lo:g}):")
        print(f"  {'(baseline)':<11}{base[lo] / base[hi]:>6.2f}")
        for name in names:
            s = [medians[(lo, name, c)] / medians[(hi, name, c)] for c in ("numpy", "fastact")]
            print(f"  {name:<11} NumPy {s[0]:.2f}, fastact {s[1]:.2f}")


if __name__ == "__main__":
    main()
