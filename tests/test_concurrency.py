"""Concurrency beyond tests/test_threads.py.

test_threads.py runs 10 cases on large arrays (float32/float64; allocating,
out= and in place) in 8 Python threads while set_num_threads toggles.  Here:

* every activation and op, small (serial loop) and large (OpenMP team) arrays
  in the same threads, and the conversion paths (float16, int32, strided
  views, an out= that partly overlaps its input), against results computed
  with one thread beforehand;
* per-thread OpenMP limits (threadpoolctl) in some threads while others run;
* threads writing in place into disjoint slices of one shared array;
* invalid calls interleaved with valid ones: the right exception, ``out``
  untouched, and no effect on the other threads;
* thread churn: short-lived Python threads, each the master of its own
  OpenMP team, leave no OS threads behind;
* NaN in, NaN out in the serial and the threaded loops (the sign and payload of
  a NaN result are unspecified: see test_nan_serial_vs_threaded).

Under free-threaded CPython (PYTHON_GIL=0) all of it runs with no GIL.  A hang
fails the test through join timeouts (and faulthandler, as a last resort).
"""

import faulthandler
import os
import threading

import numpy as np
import pytest

import fastact
from fastact import _loops, _thresholds

N_THREADS = 8
LARGE = _thresholds.EVERY_OP_THREADED + 4099   # OpenMP team (default thread count)
SMALL = 1001                                   # serial loop

# Non-default parameters where an activation has any.
PARAMS = {
    "affine": (1.5, -0.25), "leaky_relu": (0.05,), "prelu": (-0.3,), "elu": (0.7,),
    "celu": (1.9,), "gelu": ("tanh",), "softplus": (2.5,), "swish": (0.75,),
    "hardtanh": (-2.0, 0.5),
}


def _ops():
    """(label, callable(x, out=None)) for every public op of every activation."""
    ops = []
    for name, f in fastact.FUNCTIONS.items():
        params = PARAMS.get(name, ())
        methods = [("fn", f), ("grad", f.grad), ("grad2", f.grad2)]
        if hasattr(f, "grad_weight"):
            methods.append(("grad_weight", f.grad_weight))
        for op, m in methods:
            ops.append((f"{name}.{op}{params}",
                        lambda x, out=None, m=m, p=params: m(x, *p, out=out)))
    return ops


OPS = _ops()


def _same(a, b):
    """Bit for bit, except that any NaN equals any NaN (the sign and payload of
    a NaN result are unspecified: see test_nan_serial_vs_threaded)."""
    if not (isinstance(a, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape):
        return False
    if a.tobytes() == b.tobytes():
        return True
    na, nb = np.isnan(a), np.isnan(b)
    return bool(np.array_equal(na, nb) and a[~na].tobytes() == b[~nb].tobytes())


@pytest.fixture(autouse=True)
def _watchdog():
    """Last resort against a hang the join timeouts cannot catch."""
    faulthandler.dump_traceback_later(600, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
    fastact.set_num_threads(None)


def _run_threads(target, n=N_THREADS, timeout=300):
    errors = []
    start = threading.Barrier(n)

    def wrap(tid):
        try:
            start.wait()
            target(tid, errors)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            errors.append(f"thread {tid}: {e!r}")

    threads = [threading.Thread(target=wrap, args=(t,)) for t in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def _inputs():
    rng = np.random.default_rng(11)
    base = rng.standard_normal(2 * LARGE + 3) * 12
    base[::97] = 0.0                                  # kinks
    base[5::211] = np.nan
    base[7::307] = np.inf
    base[9::401] = -np.inf
    xs = {}
    for size, tag in ((LARGE, "large"), (SMALL, "small")):
        xs[f"f64 {tag}"] = base[:size].copy()
        xs[f"f32 {tag}"] = base[:size].astype(np.float32)
        xs[f"f16 {tag}"] = base[:size].astype(np.float16)
        xs[f"i32 {tag}"] = np.round(np.nan_to_num(base[:size], posinf=50, neginf=-50)
                                    ).astype(np.int32)
        xs[f"f64 strided {tag}"] = base[: 2 * size : 2]           # a copy is made
        xs[f"f32 reversed {tag}"] = base[:size].astype(np.float32)[::-1]
    for x in xs.values():
        x.flags.writeable = False
    return xs


def test_every_op_small_and_large_concurrently():
    xs = _inputs()
    fastact.set_num_threads(1)
    refs = {(i, k): f(np.ascontiguousarray(x)) for i, (_, f) in enumerate(OPS)
            for k, x in xs.items()}
    fastact.set_num_threads(None)
    keys = list(xs)
    calls = [0] * N_THREADS

    def work(tid, errors):
        for j in range(len(OPS)):
            i = (j * 7 + tid) % len(OPS)             # threads on different ops at a time
            label, f = OPS[i]
            for k in keys[tid % 2::2] if j % 2 else keys:
                x, ref = xs[k], refs[(i, k)]
                got = f(x)
                if not _same(got, ref):
                    errors.append(f"{label} {k}: allocating call differs")
                out = np.empty(x.shape, ref.dtype)
                f(x, out=out)
                if not _same(out, ref):
                    errors.append(f"{label} {k}: out= differs")
                calls[tid] += 2
                if k.startswith(("f64", "f32")) and "strided" not in k:
                    # in place, and an out that overlaps the input shifted by one
                    buf = np.empty(x.size + 1, x.dtype)
                    buf[:-1] = x
                    f(buf[:-1], out=buf[:-1])
                    if not _same(buf[:-1], ref):
                        errors.append(f"{label} {k}: in place differs")
                    buf[:-1] = x
                    f(buf[:-1], out=buf[1:])
                    if not _same(buf[1:], ref):
                        errors.append(f"{label} {k}: overlapping out differs")
                    calls[tid] += 2

    errors = _run_threads(work)
    assert not errors, f"{len(errors)} failures, first: {errors[:5]}"
    assert sum(calls) > 8 * len(OPS) * 20


def test_threadpool_limits_in_some_threads():
    """OpenMP limits are per calling thread: threads under threadpool_limits(1 or 3)
    and threads without, all at once, all exact."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    xs = _inputs()
    x32, x64 = xs["f32 large"], xs["f64 large"]
    chosen = OPS[:: max(1, len(OPS) // 12)]
    fastact.set_num_threads(1)
    refs = [(f(x32), f(x64)) for _, f in chosen]
    fastact.set_num_threads(None)

    def work(tid, errors):
        limit = (None, 1, 3, None)[tid % 4]
        ctx = (threadpoolctl.threadpool_limits(limits=limit, user_api="openmp")
               if limit else threadpoolctl.threadpool_limits(limits=None))
        with ctx:
            if limit is not None and fastact.num_threads() != limit:
                errors.append(f"thread {tid}: num_threads {fastact.num_threads()} "
                              f"under threadpool_limits({limit})")
            for r in range(3):
                for (label, f), (r32, r64) in zip(chosen, refs):
                    if not (_same(f(x32), r32) and _same(f(x64), r64)):
                        errors.append(f"{label} (limit {limit}) differs")

    errors = _run_threads(work)
    assert not errors, f"{len(errors)} failures, first: {errors[:5]}"


def test_disjoint_slices_of_one_array_in_place():
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal(N_THREADS * LARGE) * 8).astype(dtype)
        ref = fastact.mish.grad(x)
        for r in range(2):
            shared = x.copy()

            def work(tid, errors, shared=shared):
                part = shared[tid * LARGE:(tid + 1) * LARGE]
                fastact.mish.grad(part, out=part)

            errors = _run_threads(work)
            assert not errors, errors
            assert _same(shared, ref), f"{np.dtype(dtype).name} round {r}"


def test_invalid_calls_interleaved_with_valid_ones():
    xs = _inputs()
    x64 = xs["f64 large"]
    ref = fastact.gelu(x64)

    def work(tid, errors):
        sentinel = np.full(x64.shape, 7.0)
        bad_shape = np.full(x64.size + 1, 7.0)
        ro = np.full(x64.shape, 7.0)
        ro.flags.writeable = False
        invalid = [
            (TypeError, lambda: fastact.gelu(x64.astype(np.complex128))),
            (TypeError, lambda: fastact.gelu(x64, out=np.empty(x64.shape, np.float32))),
            (ValueError, lambda: fastact.gelu(x64, out=bad_shape)),
            (ValueError, lambda: fastact.gelu(x64, out=ro)),
            (ValueError, lambda: fastact.gelu(x64, "bogus", out=sentinel)),
            (ValueError, lambda: fastact.elu(x64, alpha=np.nan, out=sentinel)),
            (ValueError, lambda: fastact.softplus(x64, beta=0.0, out=sentinel)),
        ]
        for r in range(6):
            exc, call = invalid[(tid + r) % len(invalid)]
            try:
                call()
                errors.append(f"no {exc.__name__} from invalid call {(tid + r) % 7}")
            except exc:
                pass
            if not (np.all(sentinel == 7.0) and np.all(bad_shape == 7.0)
                    and np.all(ro == 7.0)):
                errors.append("an invalid call wrote into out")
            if not _same(fastact.gelu(x64), ref):
                errors.append("valid call differs")

    errors = _run_threads(work)
    assert not errors, f"{len(errors)} failures, first: {errors[:5]}"


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="Linux /proc")
def test_thread_churn_leaves_no_threads():
    """64 short-lived threads, each the master of its own OpenMP team: when they
    are gone, so are their teams' worker threads."""
    x = _inputs()["f64 large"]
    ref = fastact.sigmoid(x)
    fastact.set_num_threads(2)
    fastact.sigmoid(x)                       # the main thread's own team, kept
    base = len(os.listdir("/proc/self/task"))
    errors = []
    for wave in range(8):
        def work(tid, errs):
            if not _same(fastact.sigmoid(x), ref):
                errs.append("differs")
        errors += _run_threads(work, n=8)
    assert not errors, errors[:5]
    # Worker threads are reaped by their exiting masters; give them a moment.
    for _ in range(100):
        now = len(os.listdir("/proc/self/task"))
        if now <= base:
            break
        threading.Event().wait(0.05)
    assert now <= base, f"{now - base} OS threads left behind by 64 finished threads"


def test_class_api_instances_shared_between_threads():
    """One class instance used by every thread; fresh instances in each thread."""
    xs = _inputs()
    x = xs["f32 large"]
    shared = [fastact.GELU(approximate=False), fastact.SoftPlus(beta=3.0),
              fastact.HardTanh(min_val=-0.5, max_val=2.0), fastact.PReLU(alpha=0.1)]
    refs = [(a.fn(x), a.grad(x), a.grad2(x)) for a in shared]

    def work(tid, errors):
        for r in range(4):
            for a, ref in zip(shared, refs):
                mine = type(a)(**_ctor_args(a))
                for inst in (a, mine):
                    got = (inst(x), inst.grad(x), inst.grad2(x))
                    if not all(_same(g, e) for g, e in zip(got, ref)):
                        errors.append(f"{a} differs")

    errors = _run_threads(work)
    assert not errors, f"{len(errors)} failures, first: {errors[:5]}"


def _ctor_args(a):
    return {
        "GELU": {"approximate": False}, "SoftPlus": {"beta": 3.0},
        "HardTanh": {"min_val": -0.5, "max_val": 2.0}, "PReLU": {"alpha": 0.1},
    }[type(a).__name__]


# NaN in gives NaN out; the sign and payload of that NaN are unspecified (README,
# "Semantics").  They follow the compiler's choice of operand order and of
# instructions: x86 returns the first operand's NaN when both are NaN, and the
# kernels combine NaNs of both signs (fabs(x), -|x|, a fresh default NaN from
# inf - inf).  So the vectorized body of a loop and its scalar remainder can give
# NaNs of different signs (float32 gelu''(tanh), silu', swish' did, which made
# serial and threaded runs differ where the split points differ).  Forcing the
# input's NaN through would cost a select in every kernel of both modules.


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("label", [label for label, _ in OPS])
def test_nan_serial_vs_threaded(label, dtype):
    """NaN in: NaN out, whether one thread or a team ran, amid ordinary values
    that stay bit for bit the same."""
    f = dict(OPS)[label]
    x = np.linspace(-5, 5, LARGE).astype(dtype)
    x[::3] = np.nan
    x[1::7] = -np.nan
    nan = np.isnan(x)
    fastact.set_num_threads(1)
    serial = f(x)
    fastact.set_num_threads(2)
    threaded = f(x)
    assert np.isnan(serial[nan]).all() and np.isnan(threaded[nan]).all()
    assert _same(serial, threaded)
