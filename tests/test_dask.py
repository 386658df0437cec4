"""fastact on dask arrays (issue 7): lazy, blockwise, bit for bit the NumPy path.

Every public function and method given a dask array returns a lazy dask array
of x's shape and chunks and the NumPy path's result dtype; computed (threaded
scheduler, and a real dask.distributed LocalCluster of two worker processes on
loopback) it equals, bit for bit, the same call on the NumPy array.  Checked
too: nothing is computed at call time, bad calls fail at call time, ``out=``
is refused, ``import fastact`` does not import dask, and the OpenMP threads of
each Dask task follow ``set_dask_threads`` (1 by default): the loop's thread
argument is recorded inside the tasks, and the team that really ran is counted
from the threads' CPU time (as in test_thread_settings.py).
"""

import os
import subprocess
import sys
import threading
import time

import cloudpickle
import dask
import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster, wait

import fastact
from fastact import _config, _dask, _dispatch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (function, parameters): a spread of kernels, with non-default parameters.
CASES = [
    (fastact.gelu, ()), (fastact.gelu, ("tanh",)), (fastact.elu, (0.5,)),
    (fastact.celu, (2.0,)), (fastact.softplus, (2.0,)), (fastact.leaky_relu, (0.2,)),
    (fastact.hardtanh, (-2.0, 3.0)), (fastact.swish, (1.5,)), (fastact.mish, ()),
    (fastact.sigmoid, ()), (fastact.tanh, ()), (fastact.prelu, (0.1,)),
    (fastact.log_sigmoid, ()),
]
IDS = [f"{f.name}{''.join(f'-{p}' for p in args)}" for f, args in CASES]
OPS = ["fn", "grad", "grad2", "backward", "fn_and_grad"]

# 2-d, irregular chunks, one of them above the kernels' parallel threshold.
CHUNKS = ((3, 250, 1, 46), (17, 150, 33))


def _data(shape=(300, 200), dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 6
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, 40.0, -40.0]
    x.flat[:len(specials)] = specials[:x.size]
    return x.astype(dtype)


def _call(f, op, x, args, grad_output=None):
    if op == "fn":
        return f(x, *args)
    if op == "backward":
        return f.backward(x, grad_output, *args)
    return getattr(f, op)(x, *args)


def _assert_bits(got, want):
    """Same dtype, shape and bits; NaN where NaN, whatever its sign bit (fastact's
    serial and OpenMP loops can give NaNs of either sign, e.g. gelu-tanh's grad)."""
    assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert got[~nan].tobytes() == want[~nan].tobytes()


def _lazy_and_numpy(f, op, x, args, chunks=CHUNKS):
    """(fastact on x as a dask array, fastact on x): results as tuples."""
    with np.errstate(invalid="ignore"):
        g = np.cos(x).astype(x.dtype)
    lazy = _call(f, op, da.from_array(x, chunks=chunks), args, da.from_array(g, chunks=chunks))
    want = _call(f, op, x, args, g)
    lazy, want = (lazy, want) if op == "fn_and_grad" else ((lazy,), (want,))
    for r, w in zip(lazy, want):
        assert isinstance(r, da.Array)
        assert r.chunks == da.from_array(x, chunks=chunks).chunks and r.dtype == w.dtype
    return lazy, want


@pytest.fixture(autouse=True)
def _restore_config():
    saved = _config._dask_threads, _config._num_threads
    yield
    _config._dask_threads, _config._num_threads = saved


# ---------------------------------------------------------------------------
# Import, NumPy path, detection
# ---------------------------------------------------------------------------

def test_import_fastact_does_not_import_dask():
    code = (
        "import sys, numpy as np, fastact\n"
        "x = np.linspace(-3, 3, 7)\n"
        "fastact.gelu(x); fastact.mish.backward(x, x); fastact.elu.fn_and_grad(x)\n"
        "fastact.ReLU().grad(x); fastact.show_config(file=open('/dev/null', 'w'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_numpy_path_unchanged():
    x = _data((40, 30))
    for f, args in CASES:
        assert type(f(x, *args)) is np.ndarray
        assert type(f.grad(x.tolist(), *args)) is np.ndarray
        assert isinstance(f.grad2(np.float32(1.5), *args), np.float32)
        fn, d = f.fn_and_grad(x, *args)
        _assert_bits(fn, f(x, *args))
    out = np.empty_like(x)
    assert fastact.mish(x, out=out) is out


def test_detection():
    assert _dask.is_dask_array(da.ones(3))
    for a in (np.ones(3), [1.0], 1.5, None, np.float32(1), (da.ones(3),)):
        assert not _dask.is_dask_array(a)
    assert _dask.involved(np.ones(3), (np.ones(3), da.ones(3)))
    assert not _dask.involved(np.ones(3), None, (np.ones(3), np.ones(3)))


# ---------------------------------------------------------------------------
# Results: the NumPy path bit for bit (threaded scheduler)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threaded_scheduler_equals_numpy(case, op, dtype):
    f, args = CASES[case]
    lazy, want = _lazy_and_numpy(f, op, _data(dtype=dtype), args)
    got = dask.compute(*lazy, scheduler="threads", num_workers=2)
    for g, w in zip(got, want):
        _assert_bits(g, w)


@pytest.mark.parametrize("dtype,result", [
    (np.float16, np.float16), (np.int32, np.float64), (np.uint8, np.float64),
    (np.bool_, np.float64),
])
@pytest.mark.parametrize("op", OPS)
def test_result_dtype_as_numpy(dtype, result, op):
    x = (np.arange(600).reshape(30, 20) % 13 - 6).astype(dtype)
    lazy, want = _lazy_and_numpy(fastact.softplus, op, x, (0.5,), chunks=((7, 23), (5, 15)))
    assert all(w.dtype == result for w in want)
    for g, w in zip(dask.compute(*lazy, scheduler="threads"), want):
        _assert_bits(g, w)


@pytest.mark.parametrize("shape,chunks", [((), ()), ((0, 5), (0, 2)), ((7,), 7),
                                          ((4, 1, 6), (3, 1, 4))])
def test_shapes(shape, chunks):
    x = _data(shape, seed=2) if shape else np.float64(0.75)
    for op in OPS:
        lazy, want = _lazy_and_numpy(fastact.gelu, op, np.asarray(x), (), chunks=chunks)
        for g, w in zip(dask.compute(*lazy, scheduler="sync"), want):
            _assert_bits(np.asarray(g), np.asarray(w))


def test_class_api():
    x = _data((60, 50), np.float32)
    g = np.sin(np.nan_to_num(x))
    dx, dg = da.from_array(x, chunks=(25, 20)), da.from_array(g, chunks=(25, 20))
    for obj in (fastact.GELU(), fastact.GELU(approximate=False), fastact.ELU(0.3),
                fastact.SoftPlus(beta=3.0), fastact.HardSigmoid(), fastact.PReLU(0.2),
                fastact.Swish(0.5), fastact.Mish(), fastact.HardTanh(-0.5, 2.0)):
        pairs = [(obj(dx), obj(x)), (obj.fn(dx), obj.fn(x)), (obj.grad(dx), obj.grad(x)),
                 (obj.grad2(dx), obj.grad2(x)), (obj.backward(dx, dg), obj.backward(x, g)),
                 (obj.backward(dx, g), obj.backward(x, g))]
        pairs += list(zip(obj.fn_and_grad(dx), obj.fn_and_grad(x)))
        if isinstance(obj, fastact.PReLU):
            pairs.append((obj.grad_alpha(dx), obj.grad_alpha(x)))
            pairs.append((fastact.prelu.grad_weight(dx, 0.2), fastact.prelu.grad_weight(x, 0.2)))
        got = dask.compute(*[p[0] for p in pairs], scheduler="threads")
        for r, (lazy, want) in zip(got, pairs):
            assert isinstance(lazy, da.Array) and lazy.chunks == dx.chunks, obj
            _assert_bits(r, want)


def test_backward_aligns_grad_output_to_x_chunks():
    x = _data((90, 40))
    g = np.tanh(x)
    dx = da.from_array(x, chunks=((10, 80), (33, 7)))
    want = fastact.mish.backward(x, g)
    for grad_output in (g, da.from_array(g, chunks=(45, 13)), g.tolist()):
        r = fastact.mish.backward(dx, grad_output)
        assert r.chunks == dx.chunks
        _assert_bits(r.compute(scheduler="threads"), want)
    # NumPy x with a dask grad_output: a dask result in grad_output's chunks.
    dg = da.from_array(g, chunks=(45, 13))
    r = fastact.mish.backward(x, dg)
    assert r.chunks == dg.chunks
    _assert_bits(r.compute(scheduler="threads"), want)


# ---------------------------------------------------------------------------
# Lazy; errors at call time
# ---------------------------------------------------------------------------

def _fail(block):
    raise RuntimeError("this graph was computed")


def test_nothing_is_computed_at_call_time():
    x = da.ones((100, 10), chunks=30).map_blocks(_fail, dtype=np.float64)
    results = [fastact.gelu(x), fastact.elu.grad(x, 0.5), fastact.mish.grad2(x),
               fastact.softplus.backward(x, x, beta=2.0), *fastact.silu.fn_and_grad(x),
               fastact.prelu.grad_weight(x), fastact.GELU()(x), fastact.ELU().grad(x)]
    for r in results:
        assert isinstance(r, da.Array) and r.shape == x.shape and r.chunks == x.chunks
        with pytest.raises(RuntimeError, match="was computed"):
            r.compute(scheduler="sync")


def test_bad_calls_fail_at_call_time():
    x = da.ones((10, 4), chunks=3)
    with pytest.raises(ValueError, match="alpha"):
        fastact.celu(x, alpha=-1.0)
    with pytest.raises(TypeError, match="alpha"):
        fastact.elu.grad(x, "one")
    with pytest.raises(ValueError, match="approximate"):
        fastact.gelu.fn_and_grad(x, approximate="erf")
    with pytest.raises(ValueError, match="min_val"):
        fastact.hardtanh.grad2(x, 2.0, 1.0)
    with pytest.raises(ValueError, match="beta"):
        fastact.softplus.backward(x, x, beta=0.0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        fastact.relu(x, alpha=1.0)
    with pytest.raises(ValueError, match="finite"):
        fastact.ELU(alpha=float("nan")).grad(x)
    for dtype in (np.complex128, "datetime64[s]", object, np.longdouble):
        with pytest.raises(TypeError, match="dtype"):
            fastact.sigmoid(x.astype(dtype))
    with pytest.raises(TypeError, match="dtype"):
        fastact.sigmoid.backward(x, x.astype(np.complex64))
    with pytest.raises(ValueError, match="shape"):
        fastact.sigmoid.backward(x, np.ones((10, 3)))
    # Blocks that are not NumPy arrays (a masked array would lose its mask).
    with pytest.raises(TypeError, match="NumPy blocks"):
        fastact.relu(da.ma.masked_greater(x, 0.5))


def test_out_is_refused():
    x = da.ones((10, 4), chunks=3)
    a = np.ones((10, 4))
    calls = [
        lambda: fastact.relu(x, out=a), lambda: fastact.relu(a, out=x),
        lambda: fastact.relu(x, out=x), lambda: fastact.mish.grad(x, out=x),
        lambda: fastact.gelu.grad2(a, out=x), lambda: fastact.prelu.grad_weight(x, out=a),
        lambda: fastact.elu.backward(x, a, out=a), lambda: fastact.elu.backward(a, a, out=x),
        lambda: fastact.elu.fn_and_grad(x, out=(a, a.copy())),
        lambda: fastact.elu.fn_and_grad(a, out=(x, x)), lambda: fastact.ELU().fn(x, out=a),
        lambda: fastact.Tanh().grad(a, out=x),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="out= cannot be used with dask arrays"):
            call()
    assert np.all(a == 1.0)


# ---------------------------------------------------------------------------
# Threads inside Dask tasks
# ---------------------------------------------------------------------------

def _cpu_ns():
    """CPU time (ns) of each thread of this process, from Linux /proc."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except OSError:                       # the thread exited meanwhile
            pass
    return out


def _install_spy(measure_team):
    """Wrap every loop that fastact's dask tasks look up so that it records the
    thread count it is given and, with ``measure_team``, the team that really
    ran: the threads of this process with at least 40% of the busiest one's CPU
    time, as in test_thread_settings.py (so one task at a time per process),
    over repeated calls of at least 0.1 s (one call of a vector loop can be too
    short for the idle threads' CPU time to be noise).

    The records live on the spy in ``fastact._dispatch``: in a worker process,
    where this module's functions arrive pickled by value, that is the one
    place they all share."""
    real_loop_pair = _dispatch.loop_pair

    def measure(loop, args):
        before = _cpu_ns()
        start = time.perf_counter()
        while time.perf_counter() - start < 0.1:
            loop(*args)                    # the same output again: x is not out here
        after = _cpu_ns()
        busy = [after[t] - before.get(t, 0) for t in after]
        return sum(b >= 0.4 * max(busy) for b in busy)

    def spy(loop):
        def run(*args):
            loop(*args)
            team = None
            if measure_team:
                # Up to 3 windows, stopping at the first that shows the team
                # asked for: two worker processes with 2-thread teams on 2
                # cores oversubscribe the machine, and a primary thread that
                # spins at the barrier while its partner waits for a core can
                # outrun the partner 2.5-fold in one window (CI saw that once).
                # A team of the wrong size shows in all three windows.
                for _ in range(3):
                    team = measure(loop, args)
                    if team == args[-1]:   # args[-1]: the thread count
                        break
            loop_pair.records.append((args[-1], team))
        return run

    def loop_pair(kernel, op):
        from fastact._call import Loop

        real = real_loop_pair(kernel, op)
        # The spied Python pair, the real thread thresholds, no C pointers.
        return Loop([spy(loop) for loop in real.pair], None, None,
                    real.threshold32, real.threshold64, costs=(real.cost32, real.cost64))

    loop_pair.records, loop_pair.real = [], real_loop_pair
    _dispatch.loop_pair = loop_pair
    # The thread counts asked for, whatever this process learned about waking
    # its team (fastact/_call.pyx: a worker's calls after a pause ran serially).
    from fastact import _call
    _call.set_idle_rule(False)


def _records():
    """The distinct (thread count, team) records since the last call."""
    records = _dispatch.loop_pair.records
    out = sorted(set(records))
    records.clear()
    return out


def _remove_spy():
    from fastact import _call

    _dispatch.loop_pair = _dispatch.loop_pair.real
    _call.set_idle_rule(True)


@pytest.fixture
def spy():
    _install_spy(measure_team=False)
    yield
    _remove_spy()


def _threaded(r):
    dask.compute(r, scheduler="threads", num_workers=2)
    return _records()


def test_dask_threads_policy_threaded_scheduler(spy, monkeypatch):
    monkeypatch.delenv("FASTACT_DASK_THREADS", raising=False)
    x = da.from_array(_data((200, 200)), chunks=100)
    fastact.set_num_threads(3)
    assert _threaded(fastact.mish.grad(x)) == [(1, None)]          # default: 1 per task
    fastact.set_dask_threads(2)
    assert _threaded(fastact.mish.backward(x, x)) == [(2, None)]
    fastact.set_dask_threads(None)                                 # the worker's own count
    assert _threaded(fastact.mish.fn_and_grad(x)) == [(3, None)]
    # The count is fixed when the graph is built (so that it reaches workers).
    fastact.set_dask_threads(1)
    r = fastact.gelu(x)
    fastact.set_dask_threads(2)
    assert _threaded(r) == [(1, None)]
    # The override is for the task's thread only: outside, num_threads() is as set.
    assert fastact.num_threads() == 3
    dask.compute(fastact.gelu(x), scheduler="sync")               # in this very thread
    assert fastact.num_threads() == 3
    with pytest.raises(ValueError, match="dask_threads"):
        fastact.set_dask_threads(0)


def test_dask_threads_environment_variable(spy, monkeypatch):
    x = da.from_array(_data((200, 200)), chunks=100)
    _config._dask_threads = _config._UNSET                          # as at import
    for value, want in (("2", 2), ("auto", fastact.num_threads()), ("", 1)):
        monkeypatch.setenv("FASTACT_DASK_THREADS", value)
        assert _threaded(fastact.tanh.grad(x)) == [(want, None)]
    monkeypatch.setenv("FASTACT_DASK_THREADS", "two")
    with pytest.raises(ValueError, match="FASTACT_DASK_THREADS"):
        fastact.tanh(x)                                            # at call time
    fastact.set_dask_threads(1)                                    # set_dask_threads wins
    fastact.tanh(x)


def test_threads_in_this_thread_is_per_thread():
    seen = {}
    fastact.set_num_threads(3)
    entered, release = threading.Event(), threading.Event()

    def task():
        with _config.threads_in_this_thread(1):
            seen["inside"] = _config.num_threads()
            entered.set()
            release.wait(10)
        seen["after"] = _config.num_threads()

    t = threading.Thread(target=task)
    t.start()
    entered.wait(10)
    seen["other thread"] = _config.num_threads()
    release.set()
    t.join(10)
    assert seen == {"inside": 1, "other thread": 3, "after": 3}


@pytest.mark.skipif(not os.path.exists(f"/proc/self/task/{os.getpid()}/schedstat"),
                    reason="counts threads through Linux /proc")
def test_team_inside_a_task_measured(monkeypatch):
    """The OpenMP team that really runs inside a task (sync scheduler, so the
    task runs in this thread alone): 1 thread by default although OpenMP would
    use 2, 2 with set_dask_threads(2) and with set_dask_threads(None)."""
    if not fastact.show_config(file=open(os.devnull, "w"))["openmp"]:
        pytest.skip("serial build: nothing to count")
    x = da.from_array(_data((4000, 1000)), chunks=(2000, 1000))    # 2e6 elements a block
    monkeypatch.delenv("FASTACT_DASK_THREADS", raising=False)
    fastact.set_num_threads(2)
    _install_spy(measure_team=True)
    try:
        teams = {}
        for setting in ("default", 2, None):
            if setting != "default":
                fastact.set_dask_threads(setting)
            dask.compute(fastact.gelu.grad(x), scheduler="sync")
            teams[setting] = _records()
    finally:
        _remove_spy()
    assert teams == {"default": [(1, 1)], 2: [(2, 2)], None: [(2, 2)]}


# ---------------------------------------------------------------------------
# A real dask.distributed cluster: two worker processes on loopback
# ---------------------------------------------------------------------------

TIMEOUT = 60


@pytest.fixture(scope="module")
def client():
    # The spy functions of this module run in the workers: pickle them by value
    # (the workers cannot import this test module).
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None, timeout=TIMEOUT)
    client = Client(cluster, timeout=TIMEOUT)
    try:
        client.wait_for_workers(2, timeout=TIMEOUT)
        yield client
    finally:
        client.close(timeout=TIMEOUT)
        cluster.close(timeout=TIMEOUT)
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def _compute(client, arrays):
    futures = client.compute(list(arrays))
    wait(futures, timeout=TIMEOUT)
    return client.gather(futures)


def test_distributed_equals_numpy(client):
    """A few kernels with parameters, every op, on two worker processes (the
    threaded scheduler test covers all the CASES)."""
    lazy, want = [], []
    for dtype in (np.float64, np.float32):
        x = _data(dtype=dtype, seed=5)
        for f, args in CASES[::3]:
            for op in OPS:
                r, w = _lazy_and_numpy(f, op, x, args, chunks=((120, 180), (77, 123)))
                lazy += r
                want += w
    got = _compute(client, lazy)
    for g, w in zip(got, want):
        _assert_bits(g, w)


def test_distributed_threads_per_task(client):
    """In each worker, the loop gets 1 thread by default and set_dask_threads(2)
    gives 2, and the measured team agrees (the nanny starts workers with
    OMP_NUM_THREADS=1; set_dask_threads(2) overrides it)."""
    x = da.from_array(_data((1000, 1000), seed=6), chunks=(250, 1000))
    if not client.run(lambda: os.path.exists("/proc/self/task")).popitem()[1]:
        pytest.skip("counts threads through Linux /proc")
    client.run(_install_spy, True)
    try:
        _compute(client, [fastact.gelu.grad(x)])
        default = client.run(_records)
        fastact.set_dask_threads(2)
        _compute(client, [fastact.gelu.backward(x, x)])
        two = client.run(_records)
    finally:
        client.run(_remove_spy)
    # Both worker processes ran tasks (4 blocks), each with the count asked for.
    openmp = fastact.show_config(file=open(os.devnull, "w"))["openmp"]
    assert len(default) == 2 and all(r == [(1, 1)] for r in default.values()), default
    assert len(two) == 2 and all(r == [(2, 2 if openmp else 1)] for r in two.values()), two
