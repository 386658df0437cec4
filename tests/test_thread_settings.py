"""Thread settings are respected: OMP_NUM_THREADS, fastact.set_num_threads,
threadpoolctl.threadpool_limits and OMP_THREAD_LIMIT, also with a second OpenMP
runtime loaded in the same process.

No kernel reports its team size, so it is measured from outside: every
scenario runs in a fresh interpreter (OMP_NUM_THREADS is read once, when the
OpenMP runtime starts), which makes large calls (gelu.grad, float64, 10^6
elements: well above the parallel threshold, on the scalar loops,
FASTACT_SIMD=none), repeated for at least 0.3 s so that the spinning of idle
pool threads stays noise, and reads the CPU time of each of its OS threads from
/proc/self/task/*/schedstat before and after.  The team is
the number of threads that did a comparable share of the work (the static
schedule gives every team member the same number of elements): at least 40% of
the busiest thread's CPU time.  CPU time, not wall time, so it holds on a busy
2-core machine with teams larger than the core count.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("threadpoolctl")

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and os.path.exists("/proc/self/task")),
    reason="measures threads through Linux /proc",
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = r'''
import json, os, sys
import numpy as np

def _cpu_ns():
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except OSError:                    # the thread exited meanwhile
            pass
    return out

X = np.random.default_rng(1).uniform(-10, 10, 1_000_000)

def team():
    """Threads that took part in one large fastact call."""
    import time
    import fastact
    before = _cpu_ns()
    start, calls = time.perf_counter(), 0
    while calls < 5 or time.perf_counter() - start < 0.3:   # idle spinning is noise
        fastact.gelu.grad(X)
        calls += 1
    after = _cpu_ns()
    busy = [after[t] - before.get(t, 0) for t in after]
    top = max(busy)
    return sum(b >= 0.4 * top for b in busy)

RESULT = {}
'''


def _run(body, env_extra=None, drop=("OMP_NUM_THREADS", "OMP_THREAD_LIMIT")):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    # Keep BLAS pools single-threaded: their idle threads are no part of the test.
    env.update(OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    # The scalar loops (float64 gelu' at ~200 ns per element): a few long
    # parallel regions.  The vector loops' ~7 ns made ~100 short ones, between
    # which idle pool threads spin, and a team of 2 of a pool of 3 measured 3.
    env["FASTACT_SIMD"] = "none"
    env.update(env_extra or {})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH")) if p)
    code = PROBE + textwrap.dedent(body) + "\nprint('RESULT=' + json.dumps(RESULT))\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT=")][-1]
    return json.loads(line[len("RESULT="):])


@pytest.fixture(scope="module", autouse=True)
def _needs_schedstat():
    if not os.path.exists(f"/proc/self/task/{os.getpid()}/schedstat"):
        pytest.skip("no per-thread schedstat in /proc")
    import fastact

    if not fastact.show_config(file=open(os.devnull, "w"))["openmp"]:
        pytest.skip("serial build: nothing to count")


def test_omp_num_threads_and_set_num_threads():
    r = _run(
        """
        import fastact
        RESULT["env3"] = (fastact.num_threads(), team())
        fastact.set_num_threads(1); RESULT["set1"] = (fastact.num_threads(), team())
        fastact.set_num_threads(5); RESULT["set5"] = (fastact.num_threads(), team())
        fastact.set_num_threads(None); RESULT["none"] = (fastact.num_threads(), team())
        """,
        {"OMP_NUM_THREADS": "3"},
    )
    assert r == {"env3": [3, 3], "set1": [1, 1], "set5": [5, 5], "none": [3, 3]}


def test_set_num_threads_overrides_omp_num_threads_1():
    r = _run(
        """
        import fastact
        RESULT["env1"] = (fastact.num_threads(), team())
        fastact.set_num_threads(2); RESULT["set2"] = (fastact.num_threads(), team())
        """,
        {"OMP_NUM_THREADS": "1"},
    )
    assert r == {"env1": [1, 1], "set2": [2, 2]}


def test_default_is_the_cpu_count():
    r = _run(
        """
        import fastact
        RESULT["default"] = (fastact.num_threads(), team(), len(os.sched_getaffinity(0)))
        """
    )
    n, measured, cpus = r["default"]
    assert n == cpus and measured == cpus


def test_omp_thread_limit_caps_set_num_threads():
    r = _run(
        """
        import fastact
        fastact.set_num_threads(6); RESULT["limit2"] = team()
        """,
        {"OMP_THREAD_LIMIT": "2"},
    )
    assert r == {"limit2": 2}


def test_threadpool_limits():
    # threadpool_limits(n) with no user_api also gives OpenBLAS n threads, which
    # spin while idle and would be counted: the team is measured under
    # user_api="openmp" limits, the plain ones check num_threads() (and n = 1).
    r = _run(
        """
        import fastact
        from threadpoolctl import threadpool_info, threadpool_limits
        RESULT["openmp_libs"] = [i["filepath"] for i in threadpool_info()
                                 if i["user_api"] == "openmp"]
        RESULT["env4"] = (fastact.num_threads(), team())
        with threadpool_limits(1):
            RESULT["limit1"] = (fastact.num_threads(), team())
        with threadpool_limits(3):
            RESULT["limit3_all_apis"] = fastact.num_threads()
        with threadpool_limits(limits=2, user_api="openmp"):
            RESULT["limit2"] = (fastact.num_threads(), team())
            with threadpool_limits(limits=3, user_api="openmp"):
                RESULT["nested3"] = (fastact.num_threads(), team())
            RESULT["back2"] = (fastact.num_threads(), team())
        with threadpool_limits(limits=6, user_api="openmp"):
            RESULT["limit6"] = (fastact.num_threads(), team())
        RESULT["after"] = (fastact.num_threads(), team())
        # An explicit set_num_threads is capped by a limit, and comes back after it.
        fastact.set_num_threads(5)
        with threadpool_limits(1):
            RESULT["set5_limit1"] = (fastact.num_threads(), team())
        with threadpool_limits(limits=3, user_api="openmp"):
            RESULT["set5_limit3"] = (fastact.num_threads(), team())
        with threadpool_limits(limits=8, user_api="openmp"):
            RESULT["set5_limit8"] = (fastact.num_threads(), team())
        RESULT["set5_after"] = (fastact.num_threads(), team())
        """,
        {"OMP_NUM_THREADS": "4"},
    )
    assert r.pop("openmp_libs"), "threadpoolctl does not see fastact's OpenMP runtime"
    assert r == {
        "env4": [4, 4], "limit1": [1, 1], "limit3_all_apis": 3, "limit2": [2, 2],
        "nested3": [3, 3], "back2": [2, 2], "limit6": [6, 6], "after": [4, 4],
        "set5_limit1": [1, 1], "set5_limit3": [3, 3], "set5_limit8": [5, 5],
        "set5_after": [5, 5],
    }


def _fastact_libgomp():
    """Path of the GNU OpenMP runtime fastact's extension loads, or None."""
    code = (
        "import fastact, fastact._loops\n"
        "for line in open('/proc/self/maps'):\n"
        "    p = line.split()[-1]\n"
        "    if '/' in p and os.path.basename(p).startswith('libgomp'):\n"
        "        print(p); break\n"
    )
    env = dict(os.environ, PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, "-c", "import os\n" + code], env=env,
                         capture_output=True, text=True, timeout=60).stdout.split()
    return out[0] if out else None


@pytest.mark.parametrize("when", ["before", "after"])
def test_second_openmp_runtime_in_process(tmp_path, when):
    """A second, separate OpenMP runtime (as a torch or scikit-learn wheel vendors
    one) loaded before or after fastact: fastact keeps its own settings, both
    runtimes run thread teams, threadpoolctl limits fastact's."""
    gomp = _fastact_libgomp()
    if gomp is None:
        pytest.skip("fastact does not load GNU libgomp")
    # Another file with another soname, as auditwheel vendors it into a wheel
    # (libgomp-<hash>.so): the dynamic linker never takes one for the other.
    # The soname to rename is the loaded file's name: libgomp.so.1 from the
    # system, libgomp-<hash>.so.1.0.0 inside a repaired wheel.
    data = open(gomp, "rb").read()
    names = [n for n in (os.path.basename(gomp).encode(), b"libgomp.so.1")
             if data.count(b"\0" + n + b"\0") == 1]
    if not names:
        pytest.skip("cannot find libgomp's soname to rename")
    name = names[0]
    other = tmp_path / "libgomp-vendored.so.1"
    other.write_bytes(data.replace(b"\0" + name + b"\0",
                                   b"\0" + name.replace(b"libgomp", b"libgomv", 1) + b"\0"))
    load_other = f"""
        import ctypes
        other = ctypes.CDLL({str(other)!r}, mode=ctypes.RTLD_LOCAL)
        """
    r = _run(
        (load_other if when == "before" else "") + """
        import fastact
        """ + (load_other if when == "after" else "") + """
        import ctypes, threading
        from threadpoolctl import threadpool_info, threadpool_limits
        RESULT["openmp_libs"] = sorted(i["filepath"] for i in threadpool_info()
                                       if i["user_api"] == "openmp")
        RESULT["env3"] = (fastact.num_threads(), team())
        # The other runtime runs a team of its own (GOMP_parallel with a C callback).
        seen = set()
        lock = threading.Lock()
        @ctypes.CFUNCTYPE(None, ctypes.c_void_p)
        def body(_):
            with lock:
                seen.add(threading.get_native_id())
        other.GOMP_parallel.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                        ctypes.c_uint, ctypes.c_uint]
        other.GOMP_parallel(ctypes.cast(body, ctypes.c_void_p), None, 4, 0)
        RESULT["other_team"] = len(seen)
        # Setting the other runtime's count does not change fastact's ...
        other.omp_set_num_threads(1)
        RESULT["other_set1"] = (fastact.num_threads(), team())
        # ... while threadpoolctl limits every runtime, fastact's included.
        with threadpool_limits(limits=2, user_api="openmp"):
            RESULT["limit2"] = (fastact.num_threads(), team())
        with threadpool_limits(1):
            RESULT["limit1"] = (fastact.num_threads(), team())
        fastact.set_num_threads(5)
        RESULT["set5"] = (fastact.num_threads(), team())
        """,
        {"OMP_NUM_THREADS": "3"},
    )
    libs = r.pop("openmp_libs")
    assert len(libs) == 2 and str(other) in libs, libs
    assert r == {
        "env3": [3, 3], "other_team": 4, "other_set1": [3, 3], "limit2": [2, 2],
        "limit1": [1, 1],
        "set5": [5, 5],
    }
