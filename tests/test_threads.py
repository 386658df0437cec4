"""Thread safety: many Python threads calling fastact at the same time.

Every thread runs activations (functional and class API, allocating, ``out=``
and in place, float32 and float64, arrays large enough to start OpenMP teams)
while another keeps changing ``set_num_threads``; every result must equal the
serial one to the bit.  On a free-threaded CPython run with ``PYTHON_GIL=0``
(the cp3XXt wheel tests do) this runs with no GIL at all.
"""

import os
import sys
import sysconfig
import threading
import time

import numpy as np
import pytest

import fastact
from fastact import _thresholds

FREE_THREADED_BUILD = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
N_THREADS = 8
ROUNDS = 12
N = _thresholds.EVERY_OP_THREADED + 17          # above every op's thread threshold

CASES = [
    ("gelu", lambda x, **k: fastact.gelu(x, **k), {}),
    ("gelu.grad tanh", lambda x, **k: fastact.gelu.grad(x, "tanh", **k), {}),
    ("softplus beta=2", lambda x, **k: fastact.softplus(x, beta=2.0, **k), {}),
    ("sigmoid.grad", lambda x, **k: fastact.sigmoid.grad(x, **k), {}),
    ("mish.grad2", lambda x, **k: fastact.mish.grad2(x, **k), {}),
    ("elu alpha=0.5", lambda x, **k: fastact.elu(x, alpha=0.5, **k), {}),
    ("hardtanh.grad", lambda x, **k: fastact.hardtanh.grad(x, -2.0, 3.0, **k), {}),
    ("prelu.grad_weight", lambda x, **k: fastact.prelu.grad_weight(x, 0.1, **k), {}),
    ("Swish(1.5).grad", lambda x, **k: fastact.Swish(beta=1.5).grad(x, **k), {}),
    ("GELU(False).grad2", lambda x, **k: fastact.GELU(approximate=False).grad2(x, **k), {}),
]


def _bits_equal(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_many_threads_same_results():
    rng = np.random.default_rng(7)
    xs = {
        np.float64: rng.standard_normal(N) * 30,
        np.float32: (rng.standard_normal(N) * 30).astype(np.float32),
    }
    for x in xs.values():
        x.flags.writeable = False          # shared by every thread: read only
    fastact.set_num_threads(None)
    refs = {(i, dt): CASES[i][1](x) for i in range(len(CASES)) for dt, x in xs.items()}

    errors = []
    stop = threading.Event()
    start = threading.Barrier(N_THREADS + 1)

    def worker(tid):
        try:
            start.wait()
            own = {dt: np.empty(N, dtype=dt) for dt in xs}
            for r in range(ROUNDS):
                for dt, x in xs.items():
                    i = (tid + r) % len(CASES)
                    name, f, _ = CASES[i]
                    ref = refs[(i, dt)]
                    got = f(x)                                   # allocating
                    if not _bits_equal(got, ref):
                        errors.append(f"{name} {dt.__name__}: allocating call differs")
                    f(x, out=own[dt])                            # into own buffer
                    if not _bits_equal(own[dt], ref):
                        errors.append(f"{name} {dt.__name__}: out= differs")
                    buf = x.copy()
                    f(buf, out=buf)                              # in place
                    if not _bits_equal(buf, ref):
                        errors.append(f"{name} {dt.__name__}: in place differs")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"thread {tid}: {e!r}")

    def toggler():
        start.wait()
        k = 0
        while not stop.is_set():
            fastact.set_num_threads((1, 2, None)[k % 3])
            k += 1

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]
    tog = threading.Thread(target=toggler)
    for t in threads + [tog]:
        t.start()
    try:
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads), "a worker thread hung"
    finally:
        stop.set()
        tog.join(timeout=60)
        fastact.set_num_threads(None)
    assert not errors, f"{len(errors)} failures, first: {errors[:5]}"


@pytest.mark.skipif(not FREE_THREADED_BUILD, reason="not a free-threaded CPython build")
def test_free_threaded_run_really_has_no_gil():
    """Under PYTHON_GIL=0 the stress test above ran without the GIL."""
    if os.environ.get("PYTHON_GIL") != "0":
        pytest.skip("PYTHON_GIL=0 is not set: importing fastact may re-enable the GIL")
    assert not sys._is_gil_enabled()


def test_thread_thresholds_cover_every_op():
    """tools/calibrate_threads.py wrote a size for every unary op and dtype (a new
    kernel needs a recalibration), none below the loops' floor."""
    from fastact import _loops, _thresholds
    from fastact._spec import KERNELS, kernel_ops

    ops = {f"{k}_{op}" for k in KERNELS for op in kernel_ops(k)}
    for dtype in ("float32", "float64"):
        table = _thresholds.THRESHOLDS[dtype]
        assert set(table) == ops, f"rerun tools/calibrate_threads.py ({dtype})"
        assert min(table.values()) >= _loops.PARALLEL_THRESHOLD
        costs = _thresholds.COSTS[dtype]                 # ns per element, serial
        assert set(costs) == ops, f"rerun tools/calibrate_threads.py ({dtype})"
        assert all(0 < c < 1000 for c in costs.values())


def test_below_the_threshold_a_call_runs_serially():
    from fastact import _dispatch

    fastact.set_num_threads(2)
    try:
        for kernel, op in (("relu", "fn"), ("gelu", "grad"), ("sigmoid", "backward")):
            loop = _dispatch.loop_pair(kernel, op)
            for float64, limit in ((False, loop.threshold32), (True, loop.threshold64)):
                assert loop.num_threads(limit - 1, float64) == 1
                assert loop.num_threads(limit, float64) == fastact._config.num_threads()
    finally:
        fastact.set_num_threads(None)


def _private_loop(kernel, op):
    """A Loop of its own (what it sees of its costs stays in the test)."""
    from fastact import _dispatch
    from fastact._call import Loop

    real = _dispatch.loop_pair(kernel, op)
    return Loop(real.pair, None, None, real.threshold32, real.threshold64,
                costs=(real.cost32, real.cost64))


def test_idle_team_rule_runs_short_calls_serially():
    """Once a process has learned what waking its idle thread team costs (a
    threaded call that found the team asleep and took far longer than its
    serial time), a call whose predicted serial time is below that cost runs
    serially while the team is idle; a longer one, or any call while the team
    is awake, or with nothing learned, or with the rule off, takes threads."""
    from fastact import _call

    loop = _private_loop("sigmoid", "fn")
    fastact.set_num_threads(2)
    _call.set_idle_rule(True)
    try:
        for float64, thr, cost in ((False, loop.threshold32, loop.cost32),
                                   (True, loop.threshold64, loop.cost64)):
            assert cost > 0
            big = max(thr, int(10_000_000 / cost))           # 10 ms serially
            _call._set_team_state(10**9, 5_000_000)          # idle for 1 s; wake-up 5 ms
            assert loop.num_threads(thr - 1, float64) == 1
            assert loop.num_threads(thr, float64) == 1
            assert loop.num_threads(big, float64) == 2
            _call._set_team_state(0, 5_000_000)              # just used: awake
            assert loop.num_threads(thr, float64) == 2
            _call._set_team_state(10**9, 5_000_000)          # a stream of calls: the
            loop.run(lambda: None, (), thr, float64, 1)      # first ran serially,
            assert loop.num_threads(thr, float64) == 2       # the next wakes the team
            _call._set_team_state(10**9, 0)                  # nothing learned
            assert loop.num_threads(thr, float64) == 2
            _call.set_idle_rule(False)
            _call._set_team_state(10**9, 5_000_000)
            assert loop.num_threads(thr, float64) == 2
            _call.set_idle_rule(True)
    finally:
        _call.set_idle_rule(False)
        _call._set_team_state(10**9, 0)
        fastact.set_num_threads(None)


def test_idle_team_rule_learns_the_wake_up_cost():
    """What the rule learns: the time of threaded calls that found the team
    idle and took over 4x their predicted serial time and 1 ms more (a
    stand-in loop that sleeps 10 ms), two in a row (one may have been slowed by
    something else), capped at 20 ms; nothing from a call that found the team
    awake, a serial call, a call as long as its size predicts, or a wait below
    1 ms."""
    from fastact import _call

    loop = _private_loop("sigmoid", "fn")
    n = loop.threshold32
    _call.set_idle_rule(True)
    try:
        _call._set_team_state(10**9, 0)
        loop.run(time.sleep, (0.01,), n, False, 2)
        assert _call.team_state()[1] == 0                    # one slow call: not yet
        _call._set_team_state(10**9, 0, slow_starts=1)       # idle again
        loop.run(time.sleep, (0.01,), n, False, 2)
        since, wake = _call.team_state()
        assert 10_000_000 <= wake <= 20_000_000
        assert since < 10**9                                 # the team's last use: now
        _call._set_team_state(0, 0)                          # awake
        loop.run(time.sleep, (0.01,), n, False, 2)
        assert _call.team_state()[1] == 0
        _call._set_team_state(10**9, 0)                      # serial
        loop.run(time.sleep, (0.01,), n, False, 1)
        assert _call.team_state()[1] == 0
        loop = _private_loop("sigmoid", "fn")
        _call._set_team_state(10**9, 0)                      # as long as predicted
        loop.run(time.sleep, (0.01,), int(0.02e9 / loop.cost32), False, 2)
        assert _call.team_state()[1] == 0
        _call._set_team_state(10**9, 0)                      # under 1 ms
        loop.run(time.sleep, (0.0002,), n, False, 2)
        assert _call.team_state()[1] == 0
    finally:
        _call.set_idle_rule(False)
        _call._set_team_state(10**9, 0)


def test_idle_team_rule_forgets_and_probes():
    """A learned wake-up cost is forgotten when a threaded call that found the
    team idle ran in about its threaded time; and once a second a call on its
    own of 1 ms or more serially (below the learned cost) takes threads to see
    that, so that a cost learned from calls slowed by something else does not
    keep later calls serial.  Calls under 1 ms serially do not probe."""
    from fastact import _call

    loop = _private_loop("sigmoid", "fn")
    fastact.set_num_threads(2)
    _call.set_idle_rule(True)
    try:
        n10 = int(10_000_000 / loop.cost32)                  # 10 ms serially
        _call._set_team_state(10**9, 20_000_000)
        loop.run(time.sleep, (0.002,), n10, False, 2)         # 2 ms: woke fast
        assert _call.team_state()[1] == 0
        _call._set_team_state(10**9, 20_000_000)
        loop.run(time.sleep, (0.009,), n10, False, 2)         # 9 ms: neither
        assert _call.team_state()[1] == 20_000_000
        n5 = int(5_000_000 / loop.cost32)                    # 5 ms serially
        small = max(loop.threshold32, int(200_000 / loop.cost32))   # 0.2 ms
        _call._set_team_state(10**9, 20_000_000)
        assert loop.num_threads(small, False) == 1            # too short to probe
        assert loop.num_threads(n5, False) == 2               # the probe
        assert loop.num_threads(n5, False) == 1               # one a second
    finally:
        _call.set_idle_rule(False)
        _call._set_team_state(10**9, 0)
        fastact.set_num_threads(None)


def test_idle_team_rule_predicts_from_the_costs_it_sees():
    """The serial time is predicted from the calibrated cost per element until
    the process has seen the loop's own: a serial call from 4096 elements, or a
    threaded call with the team awake (its time times the threads).  (With
    FASTACT_SIMD capping the level, the calibrated costs are another level's.)"""
    from fastact import _call

    loop = _private_loop("sigmoid", "fn")
    assert loop.seen32 == 0 and loop.seen64 == 0
    try:
        loop.run(time.sleep, (0.002,), 2048, False, 1)      # too small to count
        assert loop.seen32 == 0
        loop.run(time.sleep, (0.01,), 10_000, False, 1)
        assert 1000 <= loop.seen32 <= 10_000                 # 10 ms / 10^4, ns
        _call._set_team_state(0, 0)                          # awake
        loop.run(time.sleep, (0.01,), 10_000, True, 2)
        assert 2000 <= loop.seen64 <= 20_000                 # 2 threads x 10 ms / 10^4
        assert loop.seen32 > 0 and loop.num_threads(10**6, False) >= 1
        # with a wake-up cost learned, the prediction from the seen cost (10^6
        # elements: about 1 s serially) keeps the threads
        fastact.set_num_threads(2)
        _call.set_idle_rule(True)
        _call._set_team_state(10**9, 5_000_000)
        assert loop.num_threads(10**6, False) == 2
    finally:
        _call.set_idle_rule(False)
        _call._set_team_state(10**9, 0)
        fastact.set_num_threads(None)
