#!/usr/bin/env python
"""fastact against the peers, side by side in one run.

For every activation and op (fn, grad, grad2; prelu's grad_weight), float32 and
float64, n = 100, 10^4, 10^6, 10^7 and 1 and 2 threads, it times fastact and what
users write instead (NumPy with and without out=, SciPy, torch CPU and torch's
aten *_backward kernels, numexpr, numba parallel vectorize and prange, jax.jit;
see peers.py) in three modes: in place, out= and allocating.  Repeats are
interleaved (each round calls every contender of a case once, in a new random
order) and the median is reported, in ns per element, with the ratio of fastact
to the fastest peer in the same mode.  The machine's copy bandwidth is measured in
the same run (np.copyto into a preallocated array, the copy-in-place bound, and
an allocating x.copy()) and memory-bound ops are reported against it.

Each thread count runs in its own worker process (XLA reads its thread flags
before jax is imported); the parent merges the results and writes the table.

    python benchmarks/bench.py --quick                    # < 1 minute
    python benchmarks/bench.py --out benchmarks/RESULTS.md    # the full run

Missing peers are skipped (listed in the output); the exit code is 0 unless
fastact itself cannot be imported or no worker produced results.
"""

import argparse
import datetime
import gc
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import peers as P  # noqa: E402

MODES = P.MODES
MODE_TITLE = {"inplace": "in place", "out": "out=", "alloc": "allocating"}
DEFAULT_SIZES = (100, 10_000, 1_000_000, 10_000_000)
# Rounds per size: small sizes are cheap and noisy per call, large ones expensive.
DEFAULT_REPEATS = {100: 61, 10_000: 21, 1_000_000: 5, 10_000_000: 3}
QUICK = dict(sizes=(1_000_000,), dtypes=("float32",), repeats=3,
             only=("relu", "sigmoid", "gelu", "mish"))
VERIFY_N = 1000


def parse_size(s):
    s = s.strip().lower().replace("_", "")
    if "^" in s:                       # 10^6
        b, e = s.split("^")
        return int(b) ** int(e)
    return int(float(s))


def repeats_for(n, spec):
    if isinstance(spec, int):
        return spec
    keys = sorted(spec)
    for k in keys:
        if n <= k:
            return spec[k]
    return spec[keys[-1]]


# ---------------------------------------------------------------------------
# worker: one process per thread count


def timer_overhead():
    """Median ns of timing an empty call the way contenders are timed."""
    f = (lambda: None)
    pc = time.perf_counter_ns
    s = []
    for _ in range(2000):
        t0 = pc()
        f()
        s.append(pc() - t0)
    return float(np.median(s))


def run_once(peer, label, op, mode, bufs):
    """The peer's result on bufs.xin (a fresh array; in place on a fresh copy of
    it, out= into a NaN-filled buffer), or None where the peer has no formula for
    that op and mode.  Floating-point warnings are silenced; errors propagate."""
    f = peer.bind(label, op, mode, bufs)
    if f is None:
        return None
    bufs.restore()
    bufs.o.fill(np.nan)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.array(peer.result(f(), bufs, mode), copy=True)


def verify(peer, label, op, mode, tiny, ref, dtype):
    """Run once on VERIFY_N elements (also compiles jits); None if right, else why."""
    try:
        got = run_once(peer, label, op, mode, tiny)
        if got is None:
            return "n/a"
    except Exception as e:  # noqa: BLE001 - a peer failing is reported, not fatal
        return f"error: {type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
    if got.dtype != dtype:
        return f"wrong dtype {got.dtype}"
    if got.shape != ref.shape:
        return f"wrong shape {got.shape}"
    # Loose enough for the cancellation of plain formulas (1 - tanh^2 in float32),
    # tight enough to catch a wrong formula.
    scale = max(1.0, float(np.max(np.abs(ref))))
    if dtype == np.float32:
        rtol, atol = 1e-2, 1e-4 * scale
    else:
        rtol, atol = 1e-6, 1e-10 * scale
    bad = ~(np.abs(got.astype(np.float64) - ref) <= atol + rtol * np.abs(ref))
    if bad.any():
        i = int(np.argmax(bad))
        return f"wrong values ({int(bad.sum())} of {bad.size}, x={tiny.xin[i]!r}: " \
               f"{got[i]!r} vs {ref[i]!r})"
    return None


def pruning_rule(times, prune):
    """The pruning rule, from {(peer, mode): seconds} of the peers timed (not
    fastact, not the references).  Returns too_slow(peer, mode): the peer's
    best mode is slower than prune x the fastest peer of that mode (in place and
    out= are the same work: one noisy sample of one mode does not drop a mode
    whose twin is the fastest), and the set of peers timed at all."""
    best, own = {}, {}
    for (peer, mode), t in times.items():
        best[mode] = min(best.get(mode, np.inf), t)
        own[peer] = min(own.get(peer, np.inf), t)

    def too_slow(peer, mode):
        return peer in own and own[peer] > prune * best.get(mode, np.inf)

    return too_slow, set(own)


def run_rounds(contenders, rounds, bufs, prune, overhead, settle=0.0, warm=False,
               budget=None):
    """contenders: list of dicts with 'call', 'inplace', 'peer', 'mode', 'ref'.

    Interleaved: every round times every live contender once, in a new random
    order (seeded: runs repeat).  Not a rotation: that keeps the cyclic order,
    so each contender would always follow the same one, and a contender that
    allocates (fresh pages zeroed into the cache, dirty lines to write back) or
    spins would slow whichever follows it in every round.
    settle: seconds of sleep before each contender (the previous one's spinning
    worker threads go idle); warm: one untimed call right before the timed one
    (the contender's own thread pool is awake, as in a loop).  prune: from n = 10^5,
    after the first round, peers whose fastest mode is slower than prune x the
    fastest peer of a mode are not timed again in that mode (but those marked 'keep': within fastact's accuracy bounds).  budget: seconds; no new round starts once the last
    round's duration would take the case past it (the first round always runs).
    Returns [(median seconds, samples)] (samples 0: never timed)."""
    pc = time.perf_counter_ns
    rng = np.random.default_rng(len(contenders))
    samples = [[] for _ in contenders]
    live = list(range(len(contenders)))
    t_start = time.perf_counter()
    for r in range(rounds):
        t_round = time.perf_counter()
        order = [live[j] for j in rng.permutation(len(live))]
        for i in order:
            c = contenders[i]
            f = c["call"]
            if settle:
                time.sleep(settle)
            if warm:
                if c["inplace"]:
                    bufs.restore()
                f()
            if c["inplace"]:
                bufs.restore()
            t0 = pc()
            f()
            t1 = pc()
            samples[i].append(max(t1 - t0 - overhead, 1.0))
        if r == 0 and prune and bufs.n >= 100_000 and rounds > 1:
            too_slow, _ = pruning_rule(
                {(contenders[i]["peer"], contenders[i]["mode"]): samples[i][0] for i in live
                 if contenders[i]["peer"] != "fastact" and not contenders[i]["ref"]}, prune)
            live = [i for i in live
                    if contenders[i]["peer"] == "fastact" or contenders[i]["ref"]
                    or contenders[i].get("keep")
                    or not too_slow(contenders[i]["peer"], contenders[i]["mode"])]
        if budget is not None:
            now = time.perf_counter()
            # the next round costs about what the live contenders took in this one
            frac = sum(samples[i][-1] for i in live) / max(
                1.0, sum(samples[i][-1] for i in order))
            if now - t_start + frac * (now - t_round) > budget:
                break
    return [(float(np.median(s)) * 1e-9 if s else None, len(s)) for s in samples]


# Sizes whose cases time NumPy's cheapest call in their own rounds (the
# per-call comparison of small arrays).
SMALL_N = 10_000


def cheapest_refs(bufs):
    """NumPy's cheapest single ufunc call, with out= and allocating: the per-call
    reference of small arrays."""
    return [{"peer": "maximum_out", "call": lambda b=bufs: np.maximum(b.xin, 0, out=b.o)},
            {"peer": "maximum", "call": lambda b=bufs: np.maximum(b.xin, 0)}]


def copy_refs(bufs, torch_peer):
    """The copy-bandwidth references: into a preallocated array (NumPy, one thread;
    torch's copy_, threaded) and allocating (x.copy(), torch's clone)."""
    refs = [{"peer": "copyto", "call": lambda b=bufs: np.copyto(b.o, b.xin)},
            {"peer": "copy", "call": bufs.xin.copy}]
    if torch_peer is not None:
        v = torch_peer.views(bufs)
        refs += [{"peer": "copyto_torch", "call": lambda v=v: v["o"].copy_(v["xin"])},
                 {"peer": "copy_torch", "call": v["xin"].clone}]
    return refs


def copy_bound(refs, mode):
    """Fastest copy of the kind matching mode (None if none measured)."""
    keys = ("copy", "copy_torch") if mode == "alloc" else ("copyto", "copyto_torch")
    ts = [refs[k] for k in keys if refs.get(k)]
    return min(ts) if ts else None


def worker(args):
    threads = args.threads[0]
    t_start = time.time()
    peers = P.load_peers(args.peers)
    by_name = {p.name: p for p in peers}
    fa = by_name.get("fastact")
    if fa is None or not fa.available:
        print(f"bench: cannot import fastact ({fa.error if fa else 'excluded'}); "
              "set PYTHONPATH to the source tree or install it", file=sys.stderr)
        return 1
    for p in peers:
        if p.available:
            try:
                p.set_threads(threads)
            except Exception as e:  # noqa: BLE001
                print(f"bench: {p.name}: set_threads({threads}) failed: {e}", file=sys.stderr)
    fastact = fa.fa
    torch_peer = by_name.get("torch")
    if torch_peer is not None and not torch_peer.available:
        torch_peer = None
    cfg = io.StringIO()
    fastact.show_config(file=cfg)
    overhead = timer_overhead()
    gc.disable()
    out = {
        "threads": threads,
        "peers": {p.name: {"version": p.version, "error": p.error} for p in peers},
        "fastact_config": cfg.getvalue(),
        "timer_overhead_ns": overhead,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "baseline": [], "results": [], "verify_failures": {},
        "loadavg_start": os.getloadavg(),
    }
    cases = [c for c in P.CASES if not args.only or c.label in args.only]
    acc = load_accuracy(args.accuracy)
    verified = {}
    setup = {}          # seconds each peer spent in checks and compilation
    # Time budget: each case gets a share of the time left proportional to its
    # weight (about its cost: n, plus a floor for per-call overheads).
    deadline = t_start + args.deadline if args.deadline else None
    n_ops = sum(1 for c in cases for op in c.ops if not args.ops or op in args.ops)

    def weight(n):
        return n + 200_000
    w_left = n_ops * len(args.dtypes) * sum(weight(n) for n in args.sizes)
    prev = {}           # (dtype, label, op) -> the record at the previous size >= 10^5
    for dt_name in args.dtypes:
        dtype = np.dtype(dt_name)
        # Check formulas at the first size when it is small (jax then compiles no
        # extra shape), else on VERIFY_N points.
        vn = args.sizes[0] if 100 <= args.sizes[0] <= 10_000 else VERIFY_N
        tiny = P.Buffers(vn, dtype, seed=1)
        for n in args.sizes:
            bufs = P.Buffers(n, dtype)
            bufs.o.fill(0)        # first touch outside the timing
            rounds = repeats_for(n, args.repeats)
            # Multi-threaded: torch's OpenMP threads spin ~5 ms after each call and
            # would steal a core from the next contender; let them go idle, then
            # wake the contender's own pool with an untimed call (n < 5e6).
            multi = threads > 1 and n >= 100_000
            settle = args.settle * 1e-3 if multi else 0.0
            warm = multi and n < 5_000_000 and args.settle > 0
            # The baseline of this (dtype, n): copies and NumPy's cheapest ufunc call.
            refs = copy_refs(bufs, torch_peer) + cheapest_refs(bufs)
            for c in refs:
                c.update(inplace=False, ref=True, mode="ref")
                c["call"]()
            res = run_rounds(refs, max(rounds, 5), bufs, 0, overhead, settle, warm)
            out["baseline"].append({"dtype": dt_name, "n": n, **{
                c["peer"]: t for c, (t, _) in zip(refs, res)}})
            for case in cases:
                for op in case.ops:
                    if args.ops and op not in args.ops:
                        continue
                    t_case = time.time()
                    with np.errstate(all="ignore"):
                        act = fastact.FUNCTIONS[case.act]
                        act = act if op == "fn" else getattr(act, op)
                        ref = np.asarray(act(tiny.xin.astype(np.float64), **case.kwargs))
                    contenders = []
                    for mode in MODES:
                        if args.modes and mode not in args.modes:
                            continue
                        for p in peers:
                            if not p.available:
                                continue
                            key = (p.name, case.label, op, mode, dt_name)
                            t_setup = time.perf_counter()
                            if key not in verified:
                                verified[key] = verify(p, case.label, op, mode, tiny, ref,
                                                       dtype)
                                if verified[key] not in (None, "n/a"):
                                    out["verify_failures"]["|".join(key)] = verified[key]
                                    print(f"  [skip] {p.name} {case.label}.{op} {mode} "
                                          f"{dt_name}: {verified[key]}", file=sys.stderr)
                            if verified[key] is not None:
                                continue
                            try:
                                f = p.bind(case.label, op, mode, bufs)
                            except Exception as e:  # noqa: BLE001
                                print(f"  [skip] {p.name} {case.label}.{op} {mode}: {e}",
                                      file=sys.stderr)
                                continue
                            setup[p.name] = setup.get(p.name, 0.0) + \
                                time.perf_counter() - t_setup
                            if f is None:
                                continue
                            # Peers within fastact's accuracy bounds are never pruned:
                            # they can be the fastest of those.
                            keep = within_bounds(acc, p.name, case.label, op, dt_name, mode)
                            contenders.append({"peer": p.name, "mode": mode, "call": f,
                                               "inplace": mode == "inplace", "ref": False,
                                               "keep": keep})
                    # Peers far behind at the previous size (>= 10^5) are not timed
                    # again: they cannot be the fastest.  A peer is judged by its
                    # best mode there (in place and out= are the same work): one
                    # slow or noisy mode at 10^6 pruned numba's out= loop from a
                    # 10^7 row whose in-place loop was the fastest, leaving
                    # torch's 6x slower one as the fastest out= peer.
                    skipped = []
                    pr = prev.get((dt_name, case.label, op))
                    if pr is not None and args.prune:
                        too_slow, timed = pruning_rule(
                            {tuple(k.split("|")): t for k, t in pr["times"].items()
                             if not k.startswith("fastact|")}, args.prune)
                        keep = []
                        for c in contenders:
                            k = f"{c['peer']}|{c['mode']}"
                            if c["peer"] != "fastact" and not c["keep"] and (
                                    (k in pr["skipped"] and c["peer"] not in timed) or
                                    too_slow(c["peer"], c["mode"])):
                                skipped.append(k)
                            else:
                                keep.append(c)
                        contenders = keep
                    row_refs = copy_refs(bufs, torch_peer) if case.memory_bound else []
                    if n <= SMALL_N:
                        # NumPy's cheapest call timed in this case's own rounds,
                        # cold after the same peers: the per-call reference of
                        # the row (the baseline's, timed among references
                        # only, moved 1.7-3.8 us between sections of one run).
                        row_refs += cheapest_refs(bufs)
                    for c in row_refs:
                        c.update(inplace=False, ref=True, mode="ref")
                        contenders.append(c)
                    budget = None
                    if deadline is not None:
                        left = max(0.0, deadline - time.time())
                        budget = left * weight(n) / max(w_left, 1)
                    w_left -= weight(n)
                    if n < 1_000_000:               # warm-up (caches, first calls)
                        for c in contenders:
                            if c["inplace"]:
                                bufs.restore()
                            with np.errstate(all="ignore"):
                                c["call"]()
                    with np.errstate(all="ignore"):
                        res = run_rounds(contenders, rounds, bufs, args.prune, overhead,
                                         settle, warm, budget)
                    rec = {"dtype": dt_name, "n": n, "label": case.label, "op": op,
                           "memory_bound": case.memory_bound, "times": {}, "refs": {},
                           "samples": {}, "rounds": rounds, "skipped": skipped}
                    for c, (t, k) in zip(contenders, res):
                        if t is None:
                            continue
                        if c["ref"]:
                            rec["refs"][c["peer"]] = t
                        else:
                            rec["times"][f"{c['peer']}|{c['mode']}"] = t
                            rec["samples"][f"{c['peer']}|{c['mode']}"] = k
                    rec["rounds_run"] = max(rec["samples"].values(), default=0)
                    out["results"].append(rec)
                    if n >= 100_000:
                        prev[(dt_name, case.label, op)] = rec
                    gc.collect()
                    if args.verbose:
                        fa_t = {m: rec["times"].get(f"fastact|{m}") for m in MODES}
                        print(f"  {threads}t {dt_name} n={n:<9} {case.label}.{op:<11} "
                              + " ".join(f"{m}={t * 1e9 / n:.3g}" for m, t in fa_t.items()
                                         if t) + f"  ({time.time() - t_case:.1f}s, "
                              f"{rec['rounds_run']}/{rounds} rounds, {len(contenders)} "
                              "timed)",
                              file=sys.stderr)
            del bufs
            gc.collect()
            print(f"[{threads} thread(s)] {dt_name} n={n}: done "
                  f"({time.time() - t_start:.0f}s)", file=sys.stderr)
    out["setup_s"] = setup
    if args.verbose:
        print("  setup (checks, compilation) s: " + ", ".join(
            f"{k} {v:.1f}" for k, v in setup.items()), file=sys.stderr)
    out["loadavg_end"] = os.getloadavg()
    try:   # what fastact's idle-team rule learned (it can make calls serial)
        from fastact import _call
        out["idle_team_wake_ns"] = _call.team_state()[1]
    except Exception:  # noqa: BLE001 (an older fastact)
        out["idle_team_wake_ns"] = None
    out["elapsed_s"] = time.time() - t_start
    with open(args.worker_json, "w") as f:
        json.dump(out, f)
    return 0


# ---------------------------------------------------------------------------
# parent: run the workers, merge, report


def jax_flags(n):
    return f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={n}"


def probe_xla_flags(flags):
    """True if jax starts with these XLA_FLAGS (some XLA versions abort on unknown
    flags, which would kill the worker); None if jax is not installed."""
    env = dict(os.environ, XLA_FLAGS=flags, TF_CPP_MIN_LOG_LEVEL="2")
    code = "import jax, jax.numpy as jnp; jnp.ones(3).block_until_ready()"
    try:
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           timeout=120)
    except (OSError, subprocess.SubprocessError):
        return False
    if r.returncode != 0 and b"No module named 'jax'" in r.stderr:
        return None
    return r.returncode == 0


def run_worker(args, threads, json_path, deadline=0.0):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker-json", json_path,
           "--deadline", f"{deadline:.1f}",
           "--threads", str(threads), "--dtype", ",".join(args.dtypes),
           "--sizes", ",".join(str(n) for n in args.sizes),
           "--repeats", repeats_arg(args.repeats), "--prune", str(args.prune),
           "--settle", str(args.settle)]
    if args.only:
        cmd += ["--only", ",".join(args.only)]
    if args.ops:
        cmd += ["--ops", ",".join(args.ops)]
    if args.modes:
        cmd += ["--modes", ",".join(args.modes)]
    if args.peers:
        cmd += ["--peers", ",".join(args.peers)]
    if args.accuracy:
        cmd += ["--accuracy", os.path.abspath(args.accuracy)]
    if args.verbose:
        cmd += ["--verbose"]
    env = dict(os.environ)
    if args.xla_ok:
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + jax_flags(threads)).strip()
    env["OMP_NUM_THREADS"] = str(threads)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return subprocess.call(cmd, env=env)


def repeats_arg(spec):
    if isinstance(spec, (int, str)):
        return str(spec)
    return ",".join(f"{k}:{v}" for k, v in sorted(spec.items()))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def lscpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    fl = set(line.split(":", 1)[1].split())
                    return " ".join(x for x in ("avx2", "fma", "avx512f", "avx512bw",
                                                "avx512vl") if x in fl)
    except OSError:
        pass
    return ""


def ns(t, n):
    return t * 1e9 / n


def fmt(v, digits=3):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


MEMORY_TARGET = 1.15
PEER_TARGET = 0.8
SMALL_ALLOC_TARGET = 1.5    # n = 100 allocating, over np.maximum(x, 0, out=o)
SCALING_TARGET = 1.8        # 2 threads over 1 at the largest n (transcendental ops)


def load_accuracy(path):
    """{(peer, label, op, dtype, mode): worst ULP on the benchmark's input range,
    bound} from ``peer_accuracy.py --json``; None without a file."""
    if not path:
        return None
    with open(path) as f:
        data = json.load(f)
    return {(r["peer"], r["label"], r["op"], r["dtype"], r["mode"]):
            (r["worst_ulp_bench"], r["bound"]) for r in data["rows"]}


def within_bounds(acc, peer, label, op, dtype, mode):
    """True if the peer formula meets fastact's ULP bound on the benchmark's inputs
    (False if unmeasured)."""
    w = acc.get((peer, label, op, dtype, mode)) if acc else None
    return w is not None and w[0] <= w[1]


def analyse(rec, acc=None):
    """Per mode: fastact time, best peer (name, time), ratio; copy ratios; with
    accuracy data (load_accuracy), also the best peer within fastact's bounds
    ("best_ok", "ratio_ok")."""
    row = {}
    for mode in MODES:
        fa = rec["times"].get(f"fastact|{mode}")
        best = best_ok = None
        for k, t in rec["times"].items():
            peer, m = k.split("|")
            if m != mode or peer == "fastact":
                continue
            if best is None or t < best[1]:
                best = (peer, t)
            if (best_ok is None or t < best_ok[1]) and within_bounds(
                    acc, peer, rec["label"], rec["op"], rec["dtype"], m):
                best_ok = (peer, t)
        ratio = fa / best[1] if fa is not None and best else None
        ratio_ok = fa / best_ok[1] if fa is not None and best_ok else None
        k_fa = rec["samples"].get(f"fastact|{mode}", 0)
        k_best = rec["samples"].get(f"{best[0]}|{mode}", 0) if best else 0
        few = ratio is not None and min(k_fa, k_best) < rec.get("rounds", 0)
        copy = None
        if rec["memory_bound"] and fa is not None:
            ref = copy_bound(rec["refs"], mode)
            copy = fa / ref if ref else None
        row[mode] = {"fa": fa, "best": best, "ratio": ratio, "copy": copy, "few": few,
                     "best_ok": best_ok, "ratio_ok": ratio_ok}
    return row


def small_ref(rec, baseline):
    """np.maximum(x, 0, out=o)'s time for a small-n row: from the row's own
    rounds, or (results of an older bench.py) the baseline table's."""
    return rec["refs"].get("maximum_out", baseline["maximum_out"])


def small_summary(small):
    """The Summary's lines for the n = 100 per-call targets: (threads, rec,
    baseline) rows."""
    out, alloc, warm = [], [], []
    sections = {}
    for th, rec, b in small:
        a = analyse(rec)
        mo = small_ref(rec, b)
        if a["out"]["fa"]:
            out.append(a["out"]["fa"] / mo)
            warm.append(a["out"]["fa"] / b["maximum_out"])
            sections.setdefault((th, rec["dtype"]), []).append(mo)
        if a["alloc"]["fa"]:
            alloc.append(a["alloc"]["fa"] / mo)
    L = []
    if out:
        L.append(f"- n = 100, per call: fastact out= at or below np.maximum(x, 0, out=o) "
                 f"of the same rounds in {sum(r <= 1.0 for r in out)} of {len(out)} rows "
                 f"(median ratio {np.median(out):.2f}); np.maximum's median per section "
                 + ", ".join(f"{th}t {dt} {np.median(v) * 1e6:.2f} µs"
                             for (th, dt), v in sorted(sections.items())) + ".")
        L.append(f"- n = 100, per call, against the baseline table's (warmer) "
                 f"np.maximum(out=): at or below it in {sum(r <= 1.0 for r in warm)} of "
                 f"{len(warm)} rows (median ratio {np.median(warm):.2f}).")
    if alloc:
        L.append(f"- n = 100, allocating: within {SMALL_ALLOC_TARGET}x of it in "
                 f"{sum(r <= SMALL_ALLOC_TARGET for r in alloc)} of {len(alloc)} rows.")
    return L


def busy_warning(workers):
    """A note when other processes competed for the cores during the run."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)
    # the benchmark itself accounts for about one unit of load
    load = max(max(w["loadavg_start"][0], w["loadavg_end"][0]) for w in workers)
    if load - 1.0 > 0.25 * cores:
        return (f"load average up to {load:.1f} on {cores} cores: other processes were "
                "competing for the cores, so multi-threaded timings (fastact's and the "
                "peers') can include stalls while a thread waits for a core; rerun on an "
                "idle machine before trusting 2-thread rows.")
    return None


def accuracy_section(workers, acc):
    """Markdown: fastact / the fastest peer within fastact's accuracy bounds, out=,
    n >= 10^6, per op and (dtype, n, threads); and the counts per mode."""
    cols, table, counts = [], {}, {}
    for w in workers:
        for rec in w["results"]:
            if rec["n"] < 1_000_000:
                continue
            a = analyse(rec, acc)
            col = (rec["dtype"], rec["n"], w["threads"])
            if col not in cols:
                cols.append(col)
            table.setdefault(f"{rec['label']}.{rec['op']}", {})[col] = a["out"]
            for m in MODES:
                if a[m]["fa"] is None or a[m]["best"] is None:
                    continue
                c = counts.setdefault(m, [0, 0, 0])    # rows, met, no peer within bounds
                c[0] += 1
                if a[m]["ratio_ok"] is None:
                    c[2] += 1
                else:
                    c[1] += a[m]["ratio_ok"] <= PEER_TARGET
    if not cols:
        return []
    cols.sort()
    L = ["## Against the fastest peer within fastact's accuracy bounds\n",
         "The peers' accuracy comes from `benchmarks/peer_accuracy.py` (see "
         "`benchmarks/ACCURACY.md`): a peer formula is *within the bounds* when its "
         "worst error on the benchmark's input range (|x| ≤ 20: the accuracy tests' "
         "grid there, plus 4,000 points drawn as the inputs are) is within the ULP "
         "bound that fastact's accuracy tests assert over the whole range (float64 fn "
         "2, grad 3, grad2 4 ULP; float32 2 ULP). Those peers were never pruned. "
         "Cells: fastact time / that peer's time, `out=`, n ≥ 10^6, and the peer; "
         "*none*: no peer formula is within the bounds (the plain ratio is in the "
         f"tables above). Bold: above {PEER_TARGET}.\n"]
    L.append("| op | " + " | ".join(f"{d} {n:.0e} {t}t".replace("e+0", "e") for d, n, t in cols)
             + " |")
    L.append("|---|" + "---|" * len(cols))
    for op, cells in table.items():
        row = [op]
        for col in cols:
            r = cells.get(col)
            if r is None or r["fa"] is None:
                row.append("–")
            elif r["ratio_ok"] is None:
                row.append("none")
            else:
                v = f"{fmt(r['ratio_ok'], 2)} {r['best_ok'][0]}"
                row.append(f"**{v}**" if r["ratio_ok"] > PEER_TARGET else v)
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    for m, (k, ok, none) in counts.items():
        L.append(f"- {MODE_TITLE[m]}, n ≥ 10^6: fastact ≤ {PEER_TARGET}x the fastest peer "
                 f"within the bounds in {ok} of {k - none} rows; in {none} more rows no "
                 "peer is within the bounds.")
    L.append("")
    return L


def markdown(workers, args, cmdline, t_total, plot_name=None):
    acc = load_accuracy(getattr(args, "accuracy", None))
    L = []
    peers = {}
    for w in workers:
        peers.update({k: v for k, v in w["peers"].items()})
    L.append("# fastact benchmark results\n")
    L.append(f"Generated by `{cmdline}` on {datetime.datetime.now():%Y-%m-%d %H:%M}, "
             f"{t_total / 60:.1f} minutes.\n")
    L.append("## Machine\n")
    L.append(f"- CPU: {cpu_model()} ({os.cpu_count()} logical cores; "
             f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}"
             f" usable; {lscpu_flags()})")
    L.append(f"- {platform.platform()}, Python {platform.python_version()}")
    L.append("- load average (1 min) at start/end of each worker: " + "; ".join(
        f"{w['threads']} thread(s): {w['loadavg_start'][0]:.2f}/{w['loadavg_end'][0]:.2f}"
        for w in workers) + " (the machine may be shared)")
    wakes = [(w["threads"], w.get("idle_team_wake_ns")) for w in workers if w["threads"] > 1]
    if any(v is not None for _, v in wakes):
        L.append("- fastact's idle-team rule at the end of each multi-threaded worker "
                 "(README, Threads): " + "; ".join(
                     f"{t} thread(s): " + ("nothing learned" if not v else
                                           f"wake-up cost {v / 1e6:.1f} ms learned")
                     for t, v in wakes if v is not None))
    busy = busy_warning(workers)
    if busy:
        L.append(f"- **warning**: {busy}")
    vers = ", ".join(f"{k} {v['version']}" for k, v in peers.items() if v["version"]
                     and k not in ("torch-bw", "numba-prange"))
    L.append(f"- versions: {vers.replace('numba-vec', 'numba')}")
    missing = [f"{k} ({v['error']})" for k, v in peers.items() if v["error"]]
    if missing:
        L.append(f"- missing peers (skipped): {'; '.join(missing)}")
    xla = ("each thread count runs in its own worker process with `XLA_FLAGS=" +
           jax_flags("N") + "`") if args.xla_ok else (
           "this jax rejected `XLA_FLAGS=" + jax_flags("N") + "`, so jax ran with "
           "XLA's default thread pool in every worker")
    L.append("- jax: XLA reads its thread settings when jax initialises (they cannot "
             f"change after import): {xla}; jax arrays are immutable, so jax appears in "
             "the allocating mode only (input already on the device, result awaited "
             "with `block_until_ready`).")
    L.append("- `fastact.show_config()` (in the worker of each thread count):\n")
    for w in workers:
        L.append("```\n" + w["fastact_config"].rstrip() + "\n```")
    L.append("")
    L.append("## Method\n")
    overheads = ", ".join(f"{w['timer_overhead_ns']:.0f}" for w in workers)
    L.append(
        "Every contender of a case (one activation op, dtype and n; every peer in every "
        "mode, plus the copy references for memory-bound ops) is called once per round, "
        "in a new random order each round (so that no contender always follows the same "
        "one), for several rounds; each call is timed on its own "
        "(`time.perf_counter_ns`, minus the measured overhead of timing an empty call, "
        f"{overheads} ns) "
        "and the median is reported. In-place calls get a fresh copy of the input "
        "before each call (not timed). With 2+ threads and n ≥ 10^5, each contender "
        f"is preceded by {args.settle:g} ms of sleep (torch's OpenMP threads spin for "
        "about 5 ms after a call and would take a core from the next contender) and, "
        "below n = 5·10^6, by one untimed call that wakes its own thread pool. "
        "Rounds per size: "
        f"{repeats_arg(args.repeats)}; from n = 10^5, peers whose fastest mode was slower than "
        f"{args.prune:g}x the fastest peer of a mode in the first round, or at the previous "
        "size, are not timed again in that mode (they cannot be the fastest). The run has a time budget "
        f"({args.max_minutes:g} minutes, shared by the thread counts; each case gets a "
        "share proportional to n + 2·10^5): a case stops adding rounds when the next "
        "one would exceed its share. Input: N(0, 3²) "
        "pre-activations. Every peer's formula is checked against fastact (on the "
        "first size's points, or 1000) before it is timed; failures are listed at the "
        "end.\n")
    L.append(
        "Modes: **in place** `f(x, out=x)` (torch's `relu_`-style ops or `out=t`; NumPy "
        "and numexpr with out=x; numba ufunc with out=x), **out=** into a preallocated "
        "array, **allocating** a new result. *ratio* = fastact time / fastest peer time "
        "in the same mode (< 1: fastact faster); cells give ns per element and, for the "
        "fastest peer, its name. *vs copy* (memory-bound ops) = fastact / the "
        "copy-bandwidth bound measured in the same case (interleaved with it): the "
        "faster of `np.copyto(o, x)` and torch's threaded `o.copy_(x)` for in place and "
        "out=, of `x.copy()` and `x.clone()` for allocating.\n")
    # copy bandwidth
    L.append("## Copy bandwidth and NumPy's cheapest call (same run)\n")
    L.append("ns per element (µs per call for NumPy's cheapest ufunc). The copy bound of "
             "a mode is the faster of the NumPy and torch copies (torch's is threaded); "
             "GB/s counts the bytes read and written by that bound.\n")
    L.append("| threads | dtype | n | np.copyto(o, x) | torch o.copy_(x) | GB/s | x.copy() "
             "| torch x.clone() | np.maximum(x, 0, out=o) | np.maximum(x, 0) |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for w in workers:
        for b in w["baseline"]:
            n, isz = b["n"], np.dtype(b["dtype"]).itemsize
            gbs = 2 * n * isz / copy_bound(b, "out") / 1e9

            def cell(k):
                return fmt(ns(b[k], n)) if b.get(k) else "–"
            L.append(f"| {w['threads']} | {b['dtype']} | {n:,} | {cell('copyto')} | "
                     f"{cell('copyto_torch')} | {gbs:.1f} | {cell('copy')} | "
                     f"{cell('copy_torch')} | {b['maximum_out'] * 1e6:.2f} µs | "
                     f"{b['maximum'] * 1e6:.2f} µs |")
    L.append("")
    # main tables
    L.append("## Results (ns per element; ratio = fastact / fastest peer, same mode)\n")
    L.append(f"Bold: ratio above {PEER_TARGET} (n ≥ 10^6) or above 1 (smaller n). "
             "†: fastact or the fastest peer has fewer samples than the rounds requested "
             "(the time budget ran short, or that peer was pruned after its first round "
             "and still came out fastest).\n")
    misses = []
    n_few = 0
    for w in workers:
        groups = {}
        for rec in w["results"]:
            groups.setdefault((rec["dtype"], rec["n"]), []).append(rec)
        for (dt, n), recs in groups.items():
            L.append(f"### {dt}, n = {n:,}, {w['threads']} thread(s)\n")
            hdr = ["op"]
            for m in MODES:
                hdr += [f"{MODE_TITLE[m]}: fastact", "fastest peer", "ratio"]
            hdr.append("vs copy (ip/out/alloc)")
            L.append("| " + " | ".join(hdr) + " |")
            L.append("|" + "---|" * len(hdr))
            for rec in recs:
                a = analyse(rec)
                cells = [f"{rec['label']}.{rec['op']}"]
                for m in MODES:
                    r = a[m]
                    cells.append(fmt(ns(r["fa"], n)) if r["fa"] else "–")
                    cells.append(f"{fmt(ns(r['best'][1], n))} {r['best'][0]}"
                                 if r["best"] else "–")
                    rt = r["ratio"]
                    cell = fmt(rt, 2) + ("†" if r["few"] else "")
                    cells.append(("**" + cell + "**") if rt is not None and rt >
                                 (PEER_TARGET if n >= 1_000_000 else 1.0) else cell)
                    n_few += bool(r["few"])
                    if rt is not None and n >= 1_000_000 and rt > PEER_TARGET:
                        misses.append((rec["label"], rec["op"], dt, n, w["threads"], m,
                                       rt, r["best"][0]))
                if rec["memory_bound"]:
                    cells.append("/".join(fmt(a[m]["copy"], 3) for m in MODES))
                else:
                    cells.append("")
                L.append("| " + " | ".join(cells) + " |")
            L.append("")
    if acc:
        L += accuracy_section(workers, acc)
    # n = 100 per call
    small = [(w["threads"], rec, b) for w in workers for rec in w["results"]
             for b in w["baseline"] if rec["n"] == b["n"] == 100 and rec["dtype"] == b["dtype"]]
    if small:
        L.append("## Per call at n = 100 (µs) against `np.maximum(x, 0, out=o)`\n")
        L.append("*np.maximum(out=)*: timed in the row's own rounds, cold after the same "
                 "peers as fastact (older runs: the baseline table's); *ratio* = fastact "
                 "out= over it. */ baseline*: fastact out= over the baseline table's "
                 "np.maximum(out=), timed among the copy references only (warmer: "
                 "NumPy's own code stays in the caches).\n")
        L.append("| threads | dtype | op | fastact out= | np.maximum(out=) | ratio | "
                 "/ baseline | fastact alloc | / maximum(out=) | fastest peer out= | "
                 "fastest peer alloc |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for th, rec, b in small:
            a = analyse(rec)
            mo = small_ref(rec, b)
            fo, fa_ = a["out"]["fa"], a["alloc"]["fa"]
            L.append(f"| {th} | {rec['dtype']} | {rec['label']}.{rec['op']} | "
                     f"{fmt(fo * 1e6) if fo else '–'} | {fmt(mo * 1e6)} | "
                     f"{fmt(fo / mo, 2) if fo else '–'} | "
                     f"{fmt(fo / b['maximum_out'], 2) if fo else '–'} | "
                     f"{fmt(fa_ * 1e6) if fa_ else '–'} | {fmt(fa_ / mo, 2) if fa_ else '–'} | "
                     + (f"{fmt(a['out']['best'][1] * 1e6)} {a['out']['best'][0]}"
                        if a["out"]["best"] else "–") + " | "
                     + (f"{fmt(a['alloc']['best'][1] * 1e6)} {a['alloc']['best'][0]}"
                        if a["alloc"]["best"] else "–") + " |")
        L.append("")
    # threads scaling
    by_t = {w["threads"]: w for w in workers}
    speedups = []       # out= speed-ups, for the Summary
    if 1 in by_t and len(by_t) > 1:
        tmax = max(by_t)
        big = max(args.sizes)
        one = {(r["dtype"], r["label"], r["op"]): r for r in by_t[1]["results"]
               if r["n"] == big}
        rows = []
        for r in by_t[tmax]["results"]:
            k = (r["dtype"], r["label"], r["op"])
            if r["n"] != big or k not in one or r["memory_bound"]:
                continue
            cells = []
            for m in MODES:
                t1 = one[k]["times"].get(f"fastact|{m}")
                t2 = r["times"].get(f"fastact|{m}")
                if m == "out" and t1 and t2:
                    speedups.append(t1 / t2)
                cells.append(fmt(t1 / t2, 3) if t1 and t2 else "–")
            rows.append(f"| {r['dtype']} | {r['label']}.{r['op']} | " + " | ".join(cells) + " |")
        if rows:
            L.append(f"## fastact speed-up, {tmax} threads over 1, n = {big:,} "
                     "(non-memory-bound ops)\n")
            L.append("| dtype | op | " + " | ".join(MODE_TITLE[m] for m in MODES) + " |")
            L.append("|---|---|---|---|---|")
            L += rows
            L.append("")
    # summary
    L.append("## Summary\n")
    if plot_name:
        L.append(f"![fastact time / fastest peer time, log2 scale]({plot_name})\n")
    tot = {}
    for w in workers:
        for rec in w["results"]:
            if rec["n"] < 1_000_000:
                continue
            a = analyse(rec)
            for m in MODES:
                if a[m]["ratio"] is not None:
                    t = tot.setdefault(m, [0, 0])
                    t[0] += 1
                    t[1] += a[m]["ratio"] <= PEER_TARGET
    for m, (k, ok) in tot.items():
        L.append(f"- {MODE_TITLE[m]}, n ≥ 10^6: fastact ≤ {PEER_TARGET}x the fastest peer in "
                 f"{ok} of {k} rows.")
    mem = [(w["threads"], rec, analyse(rec)) for w in workers for rec in w["results"]
           if rec["memory_bound"] and rec["n"] >= 1_000_000]
    if mem:
        k = sum(1 for _, _, a in mem for m in MODES if a[m]["copy"] is not None)
        ok = sum(1 for _, _, a in mem for m in MODES
                 if a[m]["copy"] is not None and a[m]["copy"] <= MEMORY_TARGET)
        L.append(f"- memory-bound ops, n ≥ 10^6: within {MEMORY_TARGET}x of the copy bound "
                 f"in {ok} of {k} rows.")
    if small:
        L += small_summary(small)
    if speedups:
        L.append(f"- {tmax} threads over 1, n = {big:,}, out= (non-memory-bound ops): "
                 f"≥ {SCALING_TARGET}x in {sum(v >= SCALING_TARGET for v in speedups)} of "
                 f"{len(speedups)} rows, median {np.median(speedups):.2f}x "
                 f"({min(speedups):.2f}-{max(speedups):.2f}).")
    if n_few:
        L.append(f"- {n_few} ratios (marked †) rest on fewer samples than the rounds "
                 f"requested (time budget --max-minutes {args.max_minutes:g}, or pruning).")
    if misses:
        L.append(f"\n<details><summary>{len(misses)} rows above {PEER_TARGET}x the fastest "
                 "peer (n ≥ 10^6)</summary>\n")
        L.append("| op | dtype | n | threads | mode | ratio | fastest peer |")
        L.append("|---|---|---|---|---|---|---|")
        for lab, op, dt, n, th, m, rt, bp in sorted(misses, key=lambda x: -x[6]):
            L.append(f"| {lab}.{op} | {dt} | {n:,} | {th} | {MODE_TITLE[m]} | {rt:.2f} | {bp} |")
        L.append("\n</details>")
    fails = {}
    for w in workers:
        fails.update(w["verify_failures"])
    if fails:
        L.append("\n<details><summary>peer formulas skipped after the correctness check "
                 f"({len(fails)})</summary>\n")
        for k, v in sorted(fails.items()):
            L.append(f"- {k.replace('|', ' ')}: {v}")
        L.append("\n</details>")
    L.append("")
    return "\n".join(L)


def terminal(workers):
    for w in workers:
        groups = {}
        for rec in w["results"]:
            groups.setdefault((rec["dtype"], rec["n"]), []).append(rec)
        for b in w["baseline"]:
            print(f"\n== {b['dtype']}, n = {b['n']:,}, {w['threads']} thread(s): "
                  f"copy bound {ns(copy_bound(b, 'out'), b['n']):.3g} ns/el, allocating "
                  f"copy {ns(copy_bound(b, 'alloc'), b['n']):.3g}, np.maximum(out=) "
                  f"{b['maximum_out'] * 1e6:.2f} µs/call")
            recs = groups.get((b["dtype"], b["n"]), [])
            if not recs:
                continue
            n = b["n"]
            print(f"{'op':<22}" + "".join(f"{MODE_TITLE[m]:>36}" for m in MODES)
                  + "   vs copy")
            for rec in recs:
                a = analyse(rec)
                line = f"{rec['label'] + '.' + rec['op']:<22}"
                for m in MODES:
                    r = a[m]
                    if r["fa"] is None:
                        line += f"{'–':>36}"
                        continue
                    bp = f"{fmt(ns(r['best'][1], n))} {r['best'][0]}" if r["best"] else "–"
                    rt = fmt(r["ratio"], 2) + ("x†" if r["few"] else "x ")
                    line += f"{fmt(ns(r['fa'], n)):>9} {bp:>17} {rt:>9}"
                if rec["memory_bound"]:
                    line += "   " + "/".join(fmt(a[m]["copy"], 3) for m in MODES)
                print(line)


def plot(workers, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.colors import TwoSlopeNorm
    except Exception as e:  # noqa: BLE001
        print(f"bench: no plot ({e})", file=sys.stderr)
        return False
    cols, rows = [], []
    data = {}
    for w in workers:
        for rec in w["results"]:
            a = analyse(rec)
            r = f"{rec['label']}.{rec['op']}"
            if r not in rows:
                rows.append(r)
            for m in MODES:
                if a[m]["ratio"] is None:
                    continue
                c = (rec["dtype"], rec["n"], w["threads"], m)
                if c not in cols:
                    cols.append(c)
                data[(r, c)] = a[m]["ratio"]
    if not data:
        return False
    cols.sort(key=lambda c: (c[0], c[1], c[2], MODES.index(c[3])))
    M = np.full((len(rows), len(cols)), np.nan)
    for (r, c), v in data.items():
        M[rows.index(r), cols.index(c)] = np.log2(v)
    fig, ax = plt.subplots(figsize=(max(6, 0.32 * len(cols) + 3), max(4, 0.22 * len(rows) + 2)))
    lim = max(1.0, min(4.0, np.nanmax(np.abs(M))))
    im = ax.imshow(M, aspect="auto", cmap="RdYlGn_r",
                   norm=TwoSlopeNorm(vmin=-lim, vcenter=0.0, vmax=lim))
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    short = {"inplace": "in place", "out": "out=", "alloc": "alloc"}

    def size(n):
        e = round(np.log10(n))
        return f"10^{e}" if 10 ** e == n else f"{n:,}"
    ax.set_xticks(range(len(cols)), [
        f"{'f32' if c[0] == 'float32' else 'f64'} n={size(c[1])} {c[2]}t {short[c[3]]}"
        for c in cols], rotation=90, fontsize=7)
    if M.size <= 400:
        for i in range(M.shape[0]):
            for j in range(M.shape[1]):
                if np.isfinite(M[i, j]):
                    v = 2 ** M[i, j]
                    ax.text(j, i, f"{v:.2f}" if v < 10 else f"{v:.0f}", ha="center",
                            va="center", fontsize=6)
    cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    ticks = np.arange(-np.floor(lim), np.floor(lim) + 1)
    cb.set_ticks(ticks, labels=[f"{2 ** t:g}x" for t in ticks])
    cb.set_label("fastact time / fastest peer time (log scale)")
    ax.set_title("fastact vs the fastest peer, same mode (green: fastact faster)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---------------------------------------------------------------------------
# --denormals: inputs whose results are subnormal, against normal inputs

# (label, fastact call, NumPy call, (lo, hi) of x for subnormal results per dtype).
# The NumPy formulas are right on both ranges (x <= 0, no overflow).
DENORMAL_N = 1_000_000
DENORMAL_RANGES = {"float64": (-744.0, -709.0), "float32": (-103.0, -88.0)}
NORMAL_RANGE = (-5.0, 0.0)


def _np_sigmoid_neg(x, o):
    np.exp(x, out=o)                  # x <= 0: e^x / (1 + e^x) without overflow
    np.divide(o, 1.0 + o, out=o)


def _np_elu_grad(x, o):
    np.exp(x, out=o)                  # x <= 0: alpha e^x, alpha = 1
    np.multiply(o, P.ELU_A, out=o)


def denormal_cases():
    import fastact
    return [
        ("exponential fn", lambda x, o: fastact.exponential(x, out=o),
         lambda x, o: np.exp(x, out=o)),
        ("sigmoid fn", lambda x, o: fastact.sigmoid(x, out=o), _np_sigmoid_neg),
        ("elu grad", lambda x, o: fastact.elu.grad(x, P.ELU_A, out=o), _np_elu_grad),
        ("softplus fn", lambda x, o: fastact.softplus(x, out=o),
         lambda x, o: np.logaddexp(0.0, x, out=o)),
    ]


def _median_ns(f, x, o, rounds):
    f(x, o)                           # warm: page faults, thread start
    ts = []
    for _ in range(rounds):
        t = time.perf_counter_ns()
        f(x, o)
        ts.append(time.perf_counter_ns() - t)
    return float(np.median(ts)) / x.size


def denormals(rounds=7, threads=(1, 2)):
    """Time fastact and NumPy on inputs giving subnormal results and on normal ones.

    Prints a markdown table: ns per element (median of ``rounds``) for x in
    NORMAL_RANGE and x in DENORMAL_RANGES[dtype] (every result subnormal), and the
    slowdown ratio subnormal / normal.  Results are checked to be subnormal.
    """
    import fastact
    rng = np.random.default_rng(0)
    rows = []
    old = fastact._config._num_threads
    try:
        for dt_name in ("float64", "float32"):
            dt = np.dtype(dt_name)
            tiny = np.finfo(dt).smallest_normal
            xs = {"normal": rng.uniform(*NORMAL_RANGE, DENORMAL_N).astype(dt),
                  "subnormal": rng.uniform(*DENORMAL_RANGES[dt_name], DENORMAL_N).astype(dt)}
            o = np.empty(DENORMAL_N, dt)
            for label, fa, fnp in denormal_cases():
                fa(xs["subnormal"], o)
                sub = (o > 0) & (o < tiny)
                if not sub.all():
                    raise AssertionError(f"{label} {dt_name}: {np.count_nonzero(~sub)} "
                                         "results not subnormal")
                for th in threads:
                    fastact.set_num_threads(th)
                    r = {"case": label, "dtype": dt_name, "threads": th}
                    for who, f in (("fastact", fa), ("numpy", fnp)):
                        if who == "numpy" and th != threads[0]:
                            r[who] = None            # NumPy is single-threaded
                            continue
                        with np.errstate(all="ignore"):
                            r[who] = {k: _median_ns(f, x, o, rounds) for k, x in xs.items()}
                    rows.append(r)
    finally:
        fastact.set_num_threads(old)
    return rows


def denormals_markdown(rows):
    def cell(d):
        if d is None:
            return " | "
        return f"{d['normal']:.2f} / {d['subnormal']:.2f} | {d['subnormal'] / d['normal']:.2f}x"
    lines = [
        f"n = {DENORMAL_N:,}, `out=`, median of the rounds, ns per element: normal "
        f"results (x in {list(NORMAL_RANGE)}) / subnormal results (x in "
        f"{list(DENORMAL_RANGES['float64'])} for float64, "
        f"{list(DENORMAL_RANGES['float32'])} for float32: every result subnormal), and "
        "the slowdown subnormal / normal.",
        "",
        "| case | dtype | threads | fastact normal / subnormal | slowdown "
        "| NumPy normal / subnormal | slowdown |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['case']} | {r['dtype']} | {r['threads']} | {cell(r['fastact'])} | "
                     f"{cell(r['numpy'])} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="n = 10^6, float32, relu/sigmoid/gelu/mish, 3 rounds (< 1 min)")
    ap.add_argument("--only", help="comma-separated case labels (e.g. gelu,gelu_tanh,relu)")
    ap.add_argument("--ops", help="comma-separated ops (fn,grad,grad2,grad_weight)")
    ap.add_argument("--modes", help="comma-separated modes (inplace,out,alloc)")
    ap.add_argument("--dtype", default=None, help="float32,float64 (default both)")
    ap.add_argument("--threads", default=None, help="thread counts, default 1,2")
    ap.add_argument("--sizes", default=None, help="e.g. 100,1e4,1e6,1e7 (the default)")
    ap.add_argument("--repeats", default=None,
                    help="rounds: one number, or size:rounds pairs "
                         f"(default {repeats_arg(DEFAULT_REPEATS)})")
    ap.add_argument("--peers", default=None,
                    help="comma-separated peers to run (default all): " +
                    ",".join(c.name for c in P.PEER_CLASSES))
    ap.add_argument("--prune", type=float, default=2.0,
                    help="from n = 10^5, stop timing peers slower than this x the fastest "
                         "peer of their mode (after the first round, and at the next "
                         "size); 0: never (default 2)")
    ap.add_argument("--max-minutes", type=float, default=22.0,
                    help="time budget of the whole run: cases get fewer rounds (at least "
                         "one) when it runs short; 0: no limit (default 22)")
    ap.add_argument("--settle", type=float, default=6.0,
                    help="with 2+ threads and n >= 10^5: ms of sleep before each "
                         "contender (other libraries' spinning threads go idle), then "
                         "one untimed call when n < 5e6 (default 6; 0: neither)")
    ap.add_argument("--out", default=None, help="write the markdown report here")
    ap.add_argument("--plot", default=None,
                    help="plot path (default results.png next to --out)")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--json", default=None, help="also write the raw results as JSON")
    ap.add_argument("--accuracy", default=None,
                    help="peer_accuracy.py --json output: also compare with the fastest "
                         "peer within fastact's accuracy bounds (and never prune those)")
    ap.add_argument("--report-from", default=None, metavar="JSON",
                    help="write the report (--out) from a --json file of an earlier run "
                         "instead of timing")
    ap.add_argument("--verbose", "-v", action="store_true", help="one line per case")
    ap.add_argument("--denormals", action="store_true",
                    help="only time inputs whose results are subnormal against normal "
                         "ones (fastact and NumPy, float64 and float32, n = 10^6, 1 and 2 "
                         "threads; < 1 minute) and print a markdown table")
    ap.add_argument("--worker-json", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--deadline", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.report_from:
        # Re-render an earlier run (e.g. with new accuracy data): the stored
        # arguments describe how it was timed.
        with open(args.report_from) as f:
            data = json.load(f)
        old = argparse.Namespace(**data["args"])
        old.repeats = data["args"]["repeats"]
        old.accuracy = args.accuracy
        t_total = sum(w.get("elapsed_s", 0.0) for w in data["workers"])
        text = markdown(data["workers"], old, f"(report of {args.report_from})", t_total)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text)
        else:
            print(text)
        return 0
    if args.denormals:
        t0 = time.time()
        rounds = int(args.repeats) if args.repeats and args.repeats.isdigit() else 7
        threads = [int(t) for t in args.threads.split(",")] if args.threads else [1, 2]
        text = denormals_markdown(denormals(rounds, threads))
        print(text)
        print(f"\nbench: {time.time() - t0:.0f} s; load average "
              f"{os.getloadavg()[0]:.2f}", file=sys.stderr)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text + "\n")
        return 0

    labels = [c.label for c in P.CASES]
    args.only = [s.strip() for s in args.only.split(",")] if args.only else None
    if args.only:
        unknown = [s for s in args.only if s not in labels]
        if unknown:
            ap.error(f"unknown --only {unknown}; known: {', '.join(labels)}")
    elif args.quick:
        args.only = list(QUICK["only"])
    args.ops = args.ops.split(",") if args.ops else None
    args.modes = args.modes.split(",") if args.modes else None
    args.peers = args.peers.split(",") if args.peers else None
    if args.peers and "fastact" not in args.peers:
        args.peers.append("fastact")
    args.dtypes = args.dtype.split(",") if args.dtype else (
        list(QUICK["dtypes"]) if args.quick else ["float32", "float64"])
    args.sizes = [parse_size(s) for s in args.sizes.split(",")] if args.sizes else list(
        QUICK["sizes"] if args.quick else DEFAULT_SIZES)
    args.threads = [int(s) for s in args.threads.split(",")] if args.threads else [1, 2]
    if args.repeats is None:
        args.repeats = QUICK["repeats"] if args.quick else dict(DEFAULT_REPEATS)
    elif ":" in args.repeats:
        args.repeats = {parse_size(k): int(v) for k, v in
                        (p.split(":") for p in args.repeats.split(","))}
    else:
        args.repeats = int(args.repeats)

    if args.worker_json:
        return worker(args)

    t0 = time.time()
    args.xla_ok = True
    if not args.peers or "jax" in args.peers:
        ok = probe_xla_flags((os.environ.get("XLA_FLAGS", "") + " " +
                              jax_flags(max(args.threads))).strip())
        if ok is False:
            args.xla_ok = False
            print("bench: jax rejects XLA_FLAGS=" + jax_flags("N") + "; jax runs with "
                  "XLA's default threads", file=sys.stderr)
    cmdline = "python benchmarks/bench.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]))
    workers = []
    with tempfile.TemporaryDirectory(prefix="fastact-bench-") as tmp:
        for i, th in enumerate(args.threads):
            path = os.path.join(tmp, f"w{th}.json")
            deadline = 0.0
            if args.max_minutes:      # the time left, shared by the workers still to run
                left = args.max_minutes * 60 - (time.time() - t0) - 10
                deadline = max(left / (len(args.threads) - i), 1.0)
            print(f"bench: {th} thread(s) ..." + (
                f" (time budget {deadline / 60:.1f} min)" if deadline else ""),
                file=sys.stderr)
            rc = run_worker(args, th, path, deadline)
            if rc != 0 or not os.path.exists(path):
                print(f"bench: the {th}-thread worker failed (exit {rc})", file=sys.stderr)
                continue
            with open(path) as f:
                workers.append(json.load(f))
    if not workers:
        return 1
    for k, v in workers[0]["peers"].items():
        if v["error"]:
            print(f"bench: peer {k} unavailable: {v['error']}", file=sys.stderr)
    terminal(workers)
    busy = busy_warning(workers)
    if busy:
        print(f"\nbench: warning: {busy}", file=sys.stderr)
    t_total = time.time() - t0
    print(f"\nbench: {t_total:.0f} s in all", file=sys.stderr)
    if args.json:
        if os.path.dirname(os.path.abspath(args.json)):
            os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"args": vars(args) | {"repeats": repeats_arg(args.repeats)},
                       "workers": workers}, f, indent=1, default=str)
    plot_name = None
    for path in (args.out, args.plot, args.json):
        if path and os.path.dirname(os.path.abspath(path)):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if not args.no_plot and (args.out or args.plot):
        path = args.plot or os.path.join(os.path.dirname(os.path.abspath(args.out)),
                                         "results.png")
        try:
            plotted = plot(workers, path)
        except Exception as e:  # noqa: BLE001 - the plot is optional
            print(f"bench: no plot ({type(e).__name__}: {e})", file=sys.stderr)
            plotted = False
        if plotted:
            print(f"bench: wrote {path}", file=sys.stderr)
            if args.out:
                plot_name = os.path.relpath(path, os.path.dirname(os.path.abspath(args.out)))
    if args.out:
        with open(args.out, "w") as f:
            f.write(markdown(workers, args, cmdline.strip(), t_total, plot_name))
        print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
