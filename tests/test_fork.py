"""Fork safety: a process that has run OpenMP thread teams forks, and the
children run the kernels on arrays above the parallel threshold.

GNU libgomp keeps its idle team across fork(); a child that starts a parallel
region waits for threads that do not exist in it and hangs for ever.  fastact
therefore runs serially in a forked child (``os.register_at_fork`` in
``fastact/_config.py``); these tests hold it to that: every child must finish,
with the parent's results to the bit.

Every scenario runs in its own interpreter, in a new session, under a hard
timeout: a hang kills that process group and fails the test, never pytest.
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "darwin",
    reason="needs the 'fork' start method (Linux)",
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 150          # seconds for a whole scenario (parent and every child)

PRELUDE = r'''
import multiprocessing as mp
import os
import sys
import threading

import numpy as np

import fastact
from fastact import _loops, _thresholds

N = _thresholds.EVERY_OP_THREADED + 7         # above every threshold: thread teams
CASES = [
    ("gelu", lambda x: fastact.gelu(x)),
    ("gelu.grad tanh", lambda x: fastact.gelu.grad(x, "tanh")),
    ("mish.grad2", lambda x: fastact.mish.grad2(x)),
    ("softplus beta=2", lambda x: fastact.softplus(x, beta=2.0)),
    ("sigmoid.grad", lambda x: fastact.sigmoid.grad(x)),
    ("elu.grad alpha=0.5", lambda x: fastact.elu.grad(x, alpha=0.5)),
    ("Swish(1.5).grad", lambda x: fastact.Swish(beta=1.5).grad(x)),
]
rng = np.random.default_rng(3)
XS = [rng.standard_normal(N) * 20, (rng.standard_normal(N) * 20).astype(np.float32)]

def os_threads():
    return len(os.listdir("/proc/self/task"))

def compute():
    return [f(x) for _, f in CASES for x in XS]

def check(results, refs, where):
    for k, (got, ref) in enumerate(zip(results, refs)):
        if got.dtype != ref.dtype or got.tobytes() != ref.tobytes():
            raise AssertionError(f"{where}: case {k} ({CASES[k // len(XS)][0]}) differs")

# The parent runs thread teams first: 2 threads, whatever OMP_NUM_THREADS says.
fastact.set_num_threads(2)
before = os_threads()
REFS = compute()
assert fastact.num_threads() == 2
assert os_threads() > before, "the parent started no OpenMP thread"

def child_work(tag):
    """Run in a forked child: threaded calls requested, results as the parent's."""
    fastact.set_num_threads(2)               # asks for threads again
    check(compute(), REFS, f"child {tag}")
    return fastact.num_threads(), tag

def show_config_text():
    import io
    buf = io.StringIO()
    fastact.show_config(file=buf)
    return buf.getvalue()
'''


def _run(body):
    code = PRELUDE + textwrap.dedent(body) + "\nprint('SCENARIO OK', flush=True)\n"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    hung = False
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        hung = True
        os.killpg(proc.pid, signal.SIGKILL)       # the parent and every child it forked
        out, err = proc.communicate()
    if hung:
        pytest.fail(f"hung: no end within {TIMEOUT} s\nstdout:\n{out[-2000:]}\n"
                    f"stderr:\n{err[-3000:]}", pytrace=False)
    assert proc.returncode == 0 and "SCENARIO OK" in out, (
        f"exit code {proc.returncode}\nstdout:\n{out[-2000:]}\nstderr:\n{err[-3000:]}"
    )
    return out


def test_fork_processes_after_threaded_kernels():
    """4 children forked by multiprocessing ('fork') each run 14 large calls."""
    _run(
        """
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        def target(tag):
            try:
                q.put(("ok",) + child_work(tag))
            except BaseException as e:
                q.put(("error", repr(e), tag))
        procs = [ctx.Process(target=target, args=(i,)) for i in range(4)]
        for p in procs:
            p.start()
        got = [q.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0, f"child exit code {p.exitcode}"
        assert all(g[0] == "ok" for g in got), got
        # Serial in a forked child, whatever set_num_threads asked for.
        assert all(g[1] == 1 for g in got), got
        # The parent still runs its thread team, with the same results.
        check(compute(), REFS, "parent after fork")
        assert fastact.num_threads() == 2
        """
    )


def test_fork_pool_map():
    """A 'fork' Pool of 2 workers maps 8 tasks of large calls; the parent keeps
    threading in between."""
    _run(
        """
        ctx = mp.get_context("fork")
        with ctx.Pool(2) as pool:
            res = pool.map_async(child_work, range(8)).get(timeout=90)
            check(compute(), REFS, "parent while the pool is up")
            res += pool.map_async(child_work, range(8, 12)).get(timeout=90)
        assert sorted(t for _, t in res) == list(range(12))
        assert {n for n, _ in res} == {1}
        """
    )


def test_fork_while_another_thread_runs_kernels():
    """Fork while a Python thread of the parent is inside threaded kernels."""
    _run(
        """
        stop = threading.Event()
        errors = []
        def busy():
            try:
                while not stop.is_set():
                    check(compute(), REFS, "busy thread")
            except BaseException as e:
                errors.append(repr(e))
        t = threading.Thread(target=busy)
        t.start()
        ctx = mp.get_context("fork")
        try:
            for round in range(3):
                procs = [ctx.Process(target=child_work, args=(i,)) for i in range(2)]
                for p in procs:
                    p.start()
                for p in procs:
                    p.join(timeout=60)
                    assert p.exitcode == 0, f"round {round}: child exit code {p.exitcode}"
        finally:
            stop.set()
            t.join(timeout=60)
        assert not t.is_alive() and not errors, errors
        """
    )


def test_grandchild_and_os_fork():
    """os.fork() directly, and a forked child forking again."""
    _run(
        """
        pid = os.fork()
        if pid == 0:                                   # child
            code = 0
            try:
                child_work("child")
                gpid = os.fork()
                if gpid == 0:                          # grandchild
                    try:
                        child_work("grandchild")
                        os._exit(0)
                    except BaseException:
                        os._exit(3)
                _, status = os.waitpid(gpid, 0)
                code = os.waitstatus_to_exitcode(status)
            except BaseException:
                code = 2
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        """
    )


def test_spawned_children_still_thread():
    """Only forked children are serial: a 'spawn' child uses its thread count."""
    _run(
        """
        ctx = mp.get_context("spawn")
        with ctx.Pool(1) as pool:
            n = pool.apply_async(fastact.num_threads).get(timeout=90)
        assert n == _loops.omp_max_threads() and n >= 1, n
        # and a forked child's show_config says why it is serial
        ctx = mp.get_context("fork")
        with ctx.Pool(1) as pool:
            text = pool.apply_async(show_config_text).get(timeout=60)
        assert "forked child" in text, text
        """
    )
