"""Memory: no leaks of memory or references in long-lived processes.

* RSS: 100,000 calls of every public activation function of the functional
  API, spread evenly over its ops (fn, grad, grad2, prelu.grad_weight, and the
  fused backward/fn_and_grad where the build has them), half allocating and
  half with ``out=``, float32 and float64, tiny arrays (2.3 million calls);
  10,000 calls of the methods of every class; 20,000 calls that fail
  validation.  The resident set size (/proc/self/statm) must stay flat: after
  each function's 100,000 calls it may have grown by at most RSS_SLACK, which
  a leak of 8 bytes per call would exceed.
* tracemalloc: 1,000 further calls of each op leave no allocation alive
  (Python objects and NumPy's array data: a leak of one object per call, or a
  leaked reference to an array, shows at once).
* sys.getrefcount of the input, ``out``, parameter objects and the result is
  unchanged by a call (valid or failing), for every op and input kind.
"""

import gc
import os
import sys
import tracemalloc

import numpy as np
import pytest

import fastact

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="reads RSS from Linux /proc"
)

CALLS = 100_000
CLASS_CALLS = 10_000
RSS_SLACK = 512 * 1024               # bytes; 8 bytes x 100,000 calls = 800 kB
RSS_SLACK_TOTAL = 4 * 1024 * 1024

PARAMS = {
    "affine": (1.5, -0.25), "leaky_relu": (0.05,), "prelu": (-0.3,), "elu": (0.7,),
    "celu": (1.9,), "gelu": ("tanh",), "softplus": (2.5,), "swish": (0.75,),
    "hardtanh": (-2.0, 0.5),
}


def _fused_available():
    try:
        fastact.gelu.backward(np.ones(2), np.ones(2))
        fastact.gelu.fn_and_grad(np.ones(2))
    except AttributeError:
        return False
    return True


def _ops(names=None):
    """(label, call(x, out), make_out(x)) for every public functional op."""
    fused = _fused_available()
    ops = []
    for name, f in fastact.FUNCTIONS.items():
        if names is not None and name not in names:
            continue
        p = PARAMS.get(name, ())
        for op in ("fn", "grad", "grad2", "grad_weight"):
            m = f if op == "fn" else getattr(f, op, None)
            if m is None:
                continue
            ops.append((f"{name}.{op}", lambda x, out, m=m, p=p: m(x, *p, out=out),
                        np.empty_like))
        if fused:
            ops.append((f"{name}.backward",
                        lambda x, out, f=f, p=p: f.backward(x, x, *p, out=out),
                        np.empty_like))
            ops.append((f"{name}.fn_and_grad",
                        lambda x, out, f=f, p=p: f.fn_and_grad(x, *p, out=out),
                        lambda x: (np.empty_like(x), np.empty_like(x))))
    return ops


OPS = _ops()


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
def test_rss_flat_over_100k_calls_of_every_function():
    xs = [np.linspace(-3, 3, 7), np.linspace(-3, 3, 5, dtype=np.float32)]
    # Warm up: caches (loop lookups, NumPy's small-block cache) fill here.
    for _, call, make_out in OPS:
        for x in xs:
            for _ in range(200):
                call(x, None)
                call(x, make_out(x))
    gc.collect()
    start = _rss()
    growth = {}
    ncalls = 0
    for name in fastact.FUNCTIONS:
        ops = _ops({name})
        outs = [[make_out(x) for x in xs] for _, _, make_out in ops]
        rounds = CALLS // (4 * len(ops))
        before = _rss()
        for _ in range(rounds):
            for (_, call, _), (o0, o1) in zip(ops, outs):
                call(xs[0], None)
                call(xs[0], o0)
                call(xs[1], None)
                call(xs[1], o1)
        ncalls += 4 * rounds * len(ops)
        growth[name] = _rss() - before
    gc.collect()
    total = _rss() - start
    worst = max(growth, key=growth.get)
    assert ncalls >= 0.99 * CALLS * len(fastact.FUNCTIONS)
    assert growth[worst] <= RSS_SLACK, (
        f"RSS grew {growth[worst]} bytes over {CALLS} calls of {worst}"
    )
    assert total <= RSS_SLACK_TOTAL, f"RSS grew {total} bytes over {ncalls} calls"


@pytest.mark.slow
def test_rss_flat_class_api_and_failing_calls():
    x = np.linspace(-3, 3, 6)
    out = np.empty_like(x)
    instances = [cls() for cls in fastact.CLASSES.values()]
    bad_out = np.empty(6, np.float32)
    ro = np.empty_like(x)
    ro.flags.writeable = False
    failing = [
        lambda: fastact.gelu(x, out=bad_out),            # TypeError: dtype
        lambda: fastact.gelu(x, out=ro),                 # ValueError: read-only
        lambda: fastact.elu(x, alpha=float("nan")),      # ValueError: parameter
        lambda: fastact.gelu(x.astype(complex)),         # TypeError: input dtype
    ]

    def run(n):
        for inst in instances:
            for _ in range(n // 4):
                inst(x)
                inst.grad(x, out=out)
                inst.grad2(x)
                inst.fn(x, out=out)
        for call in failing:
            for _ in range(n * 2 // len(failing)):
                try:
                    call()
                except (TypeError, ValueError):
                    pass

    run(500)
    gc.collect()
    before = _rss()
    run(CLASS_CALLS)
    gc.collect()
    grown = _rss() - before
    assert grown <= RSS_SLACK, f"RSS grew {grown} bytes"


def test_no_python_allocation_survives_calls():
    xs = [np.linspace(-3, 3, 7), np.linspace(-3, 3, 5, dtype=np.float32)]
    for _, call, make_out in OPS:
        for x in xs:
            call(x, None)
            call(x, make_out(x))
    gc.collect()
    # Every object alive now (the whole test session's: mpmath, dask, matplotlib)
    # into the permanent generation, so that the collections below scan only what
    # the calls left: full collections of the session's heap made this test take
    # 300 s in the suite against 12 s alone.
    gc.freeze()
    tracemalloc.start()
    try:
        for label, call, make_out in OPS:
            outs = [make_out(x) for x in xs]
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(250):
                for x, o in zip(xs, outs):
                    call(x, None)
                    call(x, o)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
            # 1,000 calls: even one leaked small object per call is > 16 kB.
            assert grown < 4096, f"{label}: {grown} bytes still allocated after 1000 calls"
    finally:
        tracemalloc.stop()
        gc.unfreeze()


class _ArrayLike:
    def __init__(self, a):
        self.a = a

    def __array__(self, dtype=None, copy=None):
        return self.a if dtype is None else self.a.astype(dtype)


def _inputs():
    base = np.linspace(-3, 3, 12)
    return {
        "f64": base.copy(),
        "f32": base.astype(np.float32),
        "f16": base.astype(np.float16),
        "i64": np.arange(-6, 6),
        "strided": base[::2],
        "2d fortran": np.asfortranarray(base.reshape(3, 4)),
        "0-d": np.array(0.5),
        "list": [0.5, -1.0, 2.0],
        "float": -0.75,
        "array-like": _ArrayLike(base),
    }


def _result_dtype(xa):
    if xa.dtype in (np.float16, np.float32):
        return xa.dtype
    return np.dtype(np.float64)


def test_refcounts_unchanged():
    for kind, x in _inputs().items():
        xa = np.asarray(x)
        for label, call, make_out in OPS:
            outs = make_out(np.empty(xa.shape, _result_dtype(xa)))
            call(x, None)                                  # warm caches
            rx, ro = sys.getrefcount(x), sys.getrefcount(outs)
            ro_items = [sys.getrefcount(o) for o in outs] if isinstance(outs, tuple) else []
            # A fresh object held by one name, as the result will be: the count
            # getrefcount reports for that (2 on CPython up to 3.13).
            fresh = np.empty(3)
            one_name = sys.getrefcount(fresh)
            held = (fresh,)
            del fresh
            in_tuple = sys.getrefcount(held[0])            # held by a tuple only
            del held
            res = call(x, None)
            assert sys.getrefcount(x) == rx, f"{label} {kind}: input refcount"
            if isinstance(res, tuple):
                assert [sys.getrefcount(res[i]) for i in range(len(res))] == (
                    [in_tuple] * len(res)), f"{label} {kind}: result refcounts"
                assert sys.getrefcount(res) == one_name, f"{label} {kind}: result tuple"
            else:
                assert sys.getrefcount(res) == one_name, f"{label} {kind}: result refcount"
            del res
            res = call(x, outs)
            assert res is outs or (isinstance(outs, tuple) and all(
                a is b for a, b in zip(res, outs)))
            del res
            assert sys.getrefcount(x) == rx, f"{label} {kind}: input refcount with out="
            assert sys.getrefcount(outs) == ro, f"{label} {kind}: out refcount"
            if ro_items:
                assert [sys.getrefcount(o) for o in outs] == ro_items, f"{label} {kind}"


def test_refcounts_of_parameters_and_failing_calls():
    x = np.linspace(-3, 3, 8)
    alpha = 0.123456789e-3 + 1.0          # a fresh float object, not a cached one
    beta = np.float32(2.5)
    approx = "tanh"
    out = np.empty_like(x)
    bad = np.empty(8, np.float32)
    objs = [x, alpha, beta, approx, out, bad]
    before = [sys.getrefcount(o) for o in objs]
    for _ in range(100):
        fastact.elu(x, alpha, out=out)
        fastact.elu.grad(x, alpha=alpha)
        fastact.softplus.grad2(x, beta, out=out)
        fastact.gelu(x, approx)
        fastact.ELU(alpha=alpha).grad(x, out=out)
        for call in (lambda: fastact.elu(x, alpha, out=bad),
                     lambda: fastact.softplus(x, beta, out=x[:3]),
                     lambda: fastact.gelu(x, "bogus", out=out)):
            try:
                call()
            except (TypeError, ValueError):
                pass
    gc.collect()
    assert [sys.getrefcount(o) for o in objs] == before
