"""Every SIMD level of the float32 loops against the scalar reference loops.

The vectorized float32 loops (fastact._vloops_<level>, chosen at import) use the
branch-free math of _vecmath.h; the scalar loops of fastact._loops use the C
library and are checked against mpmath in test_accuracy.py (<= 0.5 ULP in
float32).  Here each level this machine supports must agree with them to within
1 float32 ULP everywhere (so <= 1.5 ULP from the truth, inside the 2-ULP bound),
with NaN exactly where they have NaN and infinities where they have them.
The float64 loops of the kernels in _spec.VECTOR_FLOAT64 (AVX2/AVX-512 levels)
are held to the float64 ULP bounds against mpmath at every such level.
"""

import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fastact
from fastact import _loops, _simd
from fastact._spec import KERNELS, kernel_ops

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mp_reference as R  # noqa: E402

LEVELS = _simd.supported_levels()

# Parameter sets per kernel (p0, p1): defaults and awkward values.
PARAMS = {
    "affine": [(1.0, 0.0), (-1.7, 0.3)],
    "leaky_relu": [(0.01, 0.0), (0.2, 0.0)],
    "elu": [(1.0, 0.0), (2.3, 0.0)],
    "celu": [(1.0, 0.0), (0.3, 0.0)],
    "softplus": [(1.0, 0.0), (10.0, 0.0), (0.5, 0.0)],
    "swish": [(1.0, 0.0), (0.5, 0.0), (1.702, 0.0)],
    "hardsigmoid": [(3.0, 0.0), (2.5, 0.0)],
    "hardtanh": [(-1.0, 1.0), (-2.0, 0.5)],
}


def _grid():
    f32 = np.finfo(np.float32)
    mags = np.concatenate([
        np.logspace(-45, 38.5, 600),
        np.linspace(0, 30, 3001),
        [f32.tiny, f32.smallest_subnormal, f32.max, 88.7, 89.0, 103.9, 104.0, 20.0, 40.0],
    ])
    x = np.concatenate([mags, -mags, [0.0, -0.0, np.inf, -np.inf, np.nan]])
    for k in (-3.0, 3.0, -2.5, 2.5, 6.0, -1.0, 1.0, 0.5, -2.0):      # kinks
        x = np.concatenate([x, [k, np.nextafter(np.float32(k), np.float32(-np.inf)),
                                np.nextafter(np.float32(k), np.float32(np.inf))]])
    return x.astype(np.float32)


GRID = _grid()


def _cases():
    for kernel in KERNELS:
        for op in kernel_ops(kernel):
            for p0, p1 in PARAMS.get(kernel, [(0.0, 0.0)]):
                yield kernel, op, p0, p1


# The mp_reference configuration of each kernel that R.FLOAT32_WINDOW_RULE names.
CONFIG_ID = {"gelu": "gelu", "gelu_tanh": "gelu(approximate=tanh)"}


def _window_unit(kernel, op, p0, p1, x):
    """R.float32_window_unit from the reference loop's values (x itself is the
    middle point of its window)."""
    def values_over(xs):
        xs = xs.astype(np.float32)
        vals = np.empty_like(xs)
        getattr(_loops, f"{kernel}_{op}")["float"](xs, vals, p0, p1, 1)
        return vals
    return R.float32_window_unit(CONFIG_ID.get(kernel), op, x, values_over)


@pytest.mark.skipif(not LEVELS, reason="no vectorized float32 module in this build")
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("kernel,op,p0,p1", list(_cases()))
def test_level_matches_reference(level, kernel, op, p0, p1):
    name = f"{kernel}_{op}"
    ref = np.empty_like(GRID)
    got = np.empty_like(GRID)
    getattr(_loops, name)["float"](GRID, ref, p0, p1, 1)
    loop = getattr(_simd.module(level), name)
    loop(GRID, got, p0, p1, 1)
    assert np.array_equal(np.isnan(got), np.isnan(ref)), (
        f"{name} {level}: NaN at x={GRID[np.isnan(got) != np.isnan(ref)][:5]}")
    fin = np.isfinite(ref)
    assert np.array_equal(got[~fin & ~np.isnan(ref)], ref[~fin & ~np.isnan(ref)])
    r, g = ref[fin].astype(np.float64), got[fin].astype(np.float64)
    with np.errstate(over="ignore"):        # spacing(float32 max) is inf in float32
        ulp = np.spacing(np.abs(ref[fin]).astype(np.float64).astype(np.float32))
    ulp = np.where(np.isinf(ulp), 2.0**104, ulp).astype(np.float64)
    ulp = np.maximum(ulp, _window_unit(kernel, op, p0, p1, GRID[fin]))
    err = np.abs(g - r) / ulp
    worst = int(np.argmax(err)) if err.size else 0
    assert err.size == 0 or err[worst] <= 1.0, (
        f"{name}(p0={p0}, p1={p1}) at {level}: {err[worst]:.2f} ULP from the reference "
        f"at x={GRID[fin][worst]!r}: {g[worst]!r} vs {r[worst]!r}")


@pytest.mark.skipif(not LEVELS, reason="no vectorized float32 module in this build")
@pytest.mark.parametrize("level", LEVELS)
def test_threaded_equals_serial(level):
    x = np.random.default_rng(1).standard_normal(200_003).astype(np.float32) * 10
    serial, threaded = np.empty_like(x), np.empty_like(x)
    mod = _simd.module(level)
    # p0 = 1: elu_grad and softplus_grad2 run their float variants (_*_f32)
    for name in ("sigmoid_fn", "swish_grad", "gelu_fn", "mish_grad2", "relu_fn", "elu_grad",
                 "softplus_grad2"):
        getattr(mod, name)(x, serial, 1.0, 0.0, 1)
        getattr(mod, name)(x, threaded, 1.0, 0.0, 2)
        assert np.array_equal(serial, threaded), name


@pytest.mark.parametrize("level", ["none"] + LEVELS)
@pytest.mark.parametrize("n", [1024, 1025, 65535, 65536 + 17, 8 * 32768 * 2 + 5, 1_000_003])
def test_threaded_chunks_cover_every_element_once(level, n):
    """A threaded loop cuts the array into one region per thread and each region
    into chunks, which the threads claim (theirs first, then the others'): every
    element is computed, and once (in place, sigmoid applied twice would show),
    for any size and team, more threads than regions (64) too; the fused loops'
    two outputs as well."""
    mod = _simd.module(level)
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 5
    want = np.empty_like(x)
    mod.sigmoid_fn(x, want, 0.0, 0.0, 1)
    fa_ref, d_ref = np.empty_like(x), np.empty_like(x)
    mod.elu_fn_and_grad(x, fa_ref, d_ref, 1.0, 0.0, 1)
    for nt in (2, 3, 5, 64, 70):
        inplace = x.copy()
        mod.sigmoid_fn(inplace, inplace, 0.0, 0.0, nt)
        assert np.array_equal(inplace, want), (n, nt)
        f, d = np.full_like(x, -7.0), np.full_like(x, -7.0)   # elu > -1, elu' > 0
        mod.elu_fn_and_grad(x, f, d, 1.0, 0.0, nt)
        assert np.array_equal(f, fa_ref) and np.array_equal(d, d_ref), (n, nt)


def _config_in_subprocess(level, key="simd"):
    env = dict(os.environ, FASTACT_SIMD=level)
    code = f"import fastact; print(fastact.show_config(file=open('/dev/null', 'w'))[{key!r}])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_env_variable_caps_the_level():
    assert _config_in_subprocess("none") == "none"
    for level in LEVELS:
        assert _config_in_subprocess(level) == level
    if LEVELS:
        assert _simd.LEVEL == LEVELS[-1] or os.environ.get("FASTACT_SIMD")


def test_float_arithmetic_where_the_level_has_fma():
    """The float32 kernels with a float-arithmetic form use it exactly where the
    module was built with FMA (AVX2, AVX-512; aarch64): a build that lost the
    flag would pass every accuracy test on the double path, only slower.  The
    scalar loops and the baseline x86-64 module compute in double; show_config
    reports the chosen module's arithmetic."""
    assert _simd.module("none").FLOAT_ARITHMETIC is False
    for level in LEVELS:
        expected = level != "baseline" or platform.machine().lower() in ("aarch64", "arm64")
        assert _simd.module(level).FLOAT_ARITHMETIC is expected, level
    reported = fastact.show_config(file=open(os.devnull, "w"))["float32_arithmetic"]
    chosen = _simd.module(_simd.LEVEL).FLOAT_ARITHMETIC
    assert reported == ("float" if chosen else "double")
    if "avx2" in LEVELS:
        assert _config_in_subprocess("avx2", "float32_arithmetic") == "float"
    assert _config_in_subprocess("none", "float32_arithmetic") == "double"


def test_bad_env_variable_is_a_clear_error():
    env = dict(os.environ, FASTACT_SIMD="sse9")
    proc = subprocess.run([sys.executable, "-c", "import fastact"], env=env,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "FASTACT_SIMD" in proc.stderr


def test_modules_above_the_level_are_never_imported():
    """A module built for AVX2/AVX-512 executes those instructions at import, so
    an unsupported (or capped) level must not even be imported."""
    code = ("import sys, fastact; "
            "print(sorted(m for m in sys.modules if m.startswith('fastact._vloops_')))")
    for cap, allowed in (("baseline", {"baseline"}), ("avx2", {"baseline", "avx2"})):
        env = dict(os.environ, FASTACT_SIMD=cap)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout
        imported = {m.rsplit("_", 1)[1] for m in eval(out)}
        assert imported <= allowed, (cap, imported)


# ---------------------------------------------------------------- float64 loops
# The kernels of _spec.VECTOR_FLOAT64 run float64 on the vector modules of the
# levels with FMA.  test_accuracy.py checks them against mpmath on the chosen
# level; the other levels run the same float64 accuracy tests in a subprocess.
F64_LEVELS = [lv for lv in LEVELS if _simd.vector_float64("sigmoid", lv)]


@pytest.mark.parametrize("level", ["none", *LEVELS])
def test_float64_loop_choice(level):
    code = (
        "from fastact import _dispatch, _loops, _simd\n"
        "for k, op in (('sigmoid', 'fn'), ('gelu', 'grad')):\n"
        "    f64 = _dispatch.loop_pair(k, op)[1]\n"
        "    print(k, f64.__module__ if hasattr(f64, '__module__') else '?', _simd.LEVEL)\n"
    )
    env = dict(os.environ, FASTACT_SIMD=level)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split("\n")
    vector = level in ("avx2", "avx512")
    for line in out[:2]:
        assert line.split()[1] == (f"fastact._vloops_f64_{level}" if vector else "fastact._loops"), out


# Far past exp's underflow the vector kernels compute a benign argument and
# scale it by 0 (_vecmath.h: no subnormal products in those lanes); the zero
# must still carry the true value's sign, also where a rounding error that
# rides along (celu's x / alpha, softplus'' beta x) is huge or NaN.
_FAR_BELOW = {
    "float32": [-120.5, -121.0, -150.0, -1e3, -1e15, -1.5e15, -1e30, -3.4e38, -np.inf],
    "float64": [-760.0, -800.0, -811.0, -900.0, -1e4, -1e15, -1.5e15, -1e300, -np.inf],
}
_UNDERFLOW_CASES = [
    ("exponential", "fn", 0.0, 0.0), ("exponential", "grad2", 0.0, 0.0),
    ("elu", "grad", 1.0, 0.0), ("elu", "grad2", 2.3, 0.0), ("selu", "grad", 0.0, 0.0),
    ("selu", "grad2", 0.0, 0.0), ("celu", "grad", 1.0, 0.0), ("celu", "grad", 1.7, 0.0),
    ("celu", "grad2", 0.3, 0.0), ("celu", "grad", 1e-20, 0.0), ("sigmoid", "fn", 0.0, 0.0),
    ("sigmoid", "grad", 0.0, 0.0), ("sigmoid", "grad2", 0.0, 0.0), ("tanh", "grad", 0.0, 0.0),
    ("tanh", "grad2", 0.0, 0.0), ("softplus", "grad", 1.0, 0.0), ("softplus", "grad2", 3.0, 0.0),
    ("softplus", "grad", 2.0, 0.0), ("silu", "fn", 0.0, 0.0), ("silu", "grad", 0.0, 0.0),
    ("silu", "grad2", 0.0, 0.0), ("swish", "fn", 1.702, 0.0), ("swish", "grad", 1.702, 0.0),
    ("swish", "grad2", 1.702, 0.0), ("log_sigmoid", "grad", 0.0, 0.0),
]


@pytest.mark.parametrize("level,dtype", [(lv, "float32") for lv in LEVELS]
                         + [(lv, "float64") for lv in F64_LEVELS])
@pytest.mark.parametrize("kernel,op,p0,p1", _UNDERFLOW_CASES)
def test_far_below_underflow_gives_the_signed_zero(level, dtype, kernel, op, p0, p1):
    """Where the true value underflows (|value| < half the smallest subnormal;
    celu's points are scaled by alpha > 1), the result is 0, and +0 where the
    true value is positive; silu and swish and their grads and grad2s (x
    sigmoid(x), sigmoid(x) (1 + x (1 - sigmoid(x))), ...: negative there): -0,
    also at -inf (the limit).  log_sigmoid' is sigmoid(-x): the inputs are
    negated for it."""
    mod = _simd.module(level) if dtype == "float32" else _simd.module_f64(level)
    x = np.array(_FAR_BELOW[dtype], dtype=np.float64)
    if kernel == "celu" and p0 > 1.0:
        x = x * p0
    if kernel == "log_sigmoid":
        x = -x
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    got = np.empty_like(x)
    getattr(mod, f"{kernel}_{op}")(x, got, p0, p1, 1)
    assert np.array_equal(got, np.zeros_like(got)), f"{kernel}.{op}(p0={p0})({x}) = {got}"
    negative = kernel in ("silu", "swish")
    assert np.all(np.signbit(got) == negative), (
        f"{kernel}.{op}(p0={p0}) at {level}, {dtype}: signs {np.signbit(got)} for x = {x}")


# The other zero limits of silu and swish, p = beta x: swish -> 0 with x's sign
# where p -> -inf; swish' = silu'(p) -> -0 there (negative below its zero);
# swish'' = beta silu''(p) -> beta (-0) where |p| -> inf on either side (silu''
# is negative beyond +-2.3994); gelu' and mish' (x < 0), gelu'' and mish''
# (both sides): negative where they underflow, -0.  Every loop: the scalar
# C-library loops, the float32 vector modules, and the float64 loops of every
# level.
_ZERO_LIMITS = [  # (kernel, op, beta, x, signbit of the result)
    ("silu", "grad2", 1.0, "big", True), ("swish", "grad2", 1.5, "big", True),
    ("swish", "grad2", -1.5, "big", False), ("swish", "grad2", -1.5, "-big", False),
    ("swish", "grad2", 1.5, "-big", True), ("swish", "fn", -1.5, "big", False),
    ("swish", "grad", -1.5, "big", True), ("swish", "grad", -1e-300, "inf", True),
    ("swish", "fn", -1e-300, "inf", False), ("swish", "grad2", 1e-300, "inf", True),
    ("gelu", "grad", 0.0, "-big", True), ("gelu", "grad2", 0.0, "-big", True),
    ("gelu", "grad2", 0.0, "big", True), ("mish", "grad", 0.0, "-big", True),
    ("mish", "grad2", 0.0, "-big", True), ("mish", "grad2", 0.0, "big", True),
]
_BIG = {"float32": [150.0, 1e3, 1e30, 3.4e38, np.inf],
        "float64": [900.0, 1e4, 1e300, np.inf]}


def _loop_modules():
    mods = [("float32", lv, _simd.module(lv)) for lv in LEVELS]
    mods += [("float64", "none", _simd.module("none"))]
    mods += [("float64", lv, _simd.module_f64(lv)) for lv in F64_LEVELS]
    return mods


@pytest.mark.parametrize("dtype,level,mod", _loop_modules(), ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("kernel,op,beta,where,negative", _ZERO_LIMITS)
def test_silu_swish_zero_limits_carry_the_true_sign(dtype, level, mod, kernel, op, beta, where,
                                                    negative):
    if where == "inf":
        x = np.array([np.inf], dtype)
    else:
        x = np.array(_BIG[dtype], dtype) * (-1.0 if where == "-big" else 1.0)
    if abs(beta) < 1e-30 and dtype == "float32":
        beta = np.copysign(1e-30, beta)        # float32 x: beta x must still reach inf
    got = np.empty_like(x)
    args = (x, got, beta, 0.0, 1) if kernel == "swish" else (x, got, 0.0, 0.0, 1)
    getattr(mod, f"{kernel}_{op}")(*args)
    assert np.array_equal(got, np.zeros_like(got)), f"{kernel}.{op}({beta}) at {level}: {got}"
    assert np.all(np.signbit(got) == negative), (
        f"{kernel}.{op}(beta={beta}) at {level}, {dtype}: signs {np.signbit(got)} for x = {x}")


# f(-0) = -0 and f(+0) = +0 where f is 0 at 0 with a finite slope (x times a
# factor, or an odd function): the sign of the zero, on every loop.  (The
# float32 AVX2 silu/swish gave +0 for -0, arctan on the baseline module, float64
# tanh and mish on the vector levels too, while the other loops gave -0.)
_SIGNED_ZERO_FN = [  # (kernel, p0, p1)
    ("identity", 0.0, 0.0), ("leaky_relu", 0.01, 0.0), ("elu", 1.0, 0.0), ("selu", 0.0, 0.0),
    ("tanh", 0.0, 0.0), ("arctan", 0.0, 0.0), ("softsign", 0.0, 0.0), ("silu", 0.0, 0.0),
    ("swish", 1.5, 0.0), ("swish", -1.5, 0.0), ("gelu", 0.0, 0.0), ("gelu_tanh", 0.0, 0.0),
    ("mish", 0.0, 0.0), ("hardtanh", -1.0, 1.0), ("hardswish", 0.0, 0.0),
]


@pytest.mark.parametrize("dtype,level,mod", _loop_modules(), ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("kernel,p0,p1", _SIGNED_ZERO_FN)
def test_zero_keeps_its_sign(dtype, level, mod, kernel, p0, p1):
    x = np.array([-0.0, 0.0, -0.0, 0.0] * 5, dtype)     # a vector body, and the tail
    got = np.full_like(x, np.nan)
    getattr(mod, f"{kernel}_fn")(x, got, p0, p1, 1)
    assert np.array_equal(got, np.zeros_like(got)), f"{kernel}({x[:2]}) at {level}: {got[:2]}"
    assert np.array_equal(np.signbit(got), np.signbit(x)), (
        f"{kernel}(+-0) at {level}, {dtype}: signs {np.signbit(got[:2])} for x = {x[:2]}")


@pytest.mark.slow
@pytest.mark.parametrize("level", [lv for lv in F64_LEVELS if lv != _simd.LEVEL])
def test_float64_accuracy_at_other_levels(level):
    env = dict(os.environ, FASTACT_SIMD=level)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         os.path.join(os.path.dirname(__file__), "test_accuracy.py"),
         "-k", "float64"],
        env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert " passed" in proc.stdout



# ---------------------------------------------------------------------------
# Every loop is vectorized (read from the disassembly)
# ---------------------------------------------------------------------------

# What a vectorized loop body must contain at each level: an instruction on the
# level's vector registers; at the baseline (SSE2, whose xmm registers scalar
# code uses too), a packed compare, arithmetic, float/double conversion or
# unaligned packed move (identity's copy is nothing else).
_VECTOR_EVIDENCE = {
    "avx512": re.compile(r"%zmm"),
    "avx2": re.compile(r"%ymm"),
    "baseline": re.compile(r"\s(cmp\w*p[sd]|(add|sub|mul|div|max|min|sqrt)p[sd]|cvtps2pd|cvtpd2ps|movup[sd])\s"),
}
_VECTOR_MODULES = [
    name for level in _simd.LEVELS
    for name in (f"fastact._vloops_{level}", f"fastact._vloops_f64_{level}")
    if importlib.util.find_spec(name) is not None
]


def _disassembly(path):
    """{function symbol: its disassembly lines}, from objdump."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    funcs, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if m:
            cur = funcs.setdefault(m.group(1), [])
        elif cur is not None:
            cur.append(line)
    return funcs


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("objdump") is None,
                    reason="reads the ELF disassembly with objdump")
@pytest.mark.parametrize("module", _VECTOR_MODULES)
def test_every_loop_is_vectorized(module):
    """The serial loop of every kernel and op (fn, grad, grad2, backward,
    fn_and_grad) in each vector module holds vector instructions of its level,
    and its threaded loop runs that serial loop (on chunks) and calls nothing
    else but the OpenMP runtime.
    A loop GCC fails to vectorize gives the same results 5-10x slower, which no
    other test sees (an argument clamped by a select before the vector expm1 did
    that to elu and selu)."""
    level = module.rsplit("_", 1)[1]
    funcs = _disassembly(importlib.util.find_spec(module).origin)
    loops, threaded = {}, {}
    for sym, lines in funcs.items():
        m = re.search(r"_vloops_(?:f64_)?[a-z0-9]+__(\w+?)_serial(?:\.|$)", sym)
        if m:
            loops.setdefault(m.group(1), []).extend(lines)
        m = re.search(r"_vloops_(?:f64_)?[a-z0-9]+__(\w+?)_threads\._omp_fn\.\d+$", sym)
        if m:
            threaded.setdefault(m.group(1), []).extend(lines)
    if not loops:
        pytest.skip(f"{module} has no symbol table (stripped)")
    # A kernel whose variant holds for every parameter (hardswish in float64)
    # keeps only the variant's loop, NAME_fn_f64.
    present = {re.sub(r"_f(32|64)$", "", name) for name in loops}
    assert {f"{k}_fn" for k in KERNELS} <= present, sorted(loops)
    evidence = _VECTOR_EVIDENCE[level]
    scalar = sorted(name for name, lines in loops.items()
                    if not any(evidence.search(line) for line in lines))
    assert not scalar, f"{module}: not vectorized: {scalar}"
    # The threaded loops (their parallel regions, which GCC outlines into
    # NAME_threads._omp_fn.N) call the OpenMP runtime and a serial loop checked
    # above (their op's, or an identical one GCC folded it into: exponential's
    # grad2 and fn), or hold that loop inlined (vector instructions then).  An
    # element loop inside the parallel region was compiled apart from the serial
    # one, and a call GCC left in it (to a kernel or a _vecmath.h helper it
    # declined to inline) made it scalar: 2 threads ran 10-30x slower than 1
    # (float32 silu.fn_and_grad: 9.3 ns per element against 0.6).
    assert set(threaded) >= set(loops), sorted(set(loops) - set(threaded))
    called = re.compile(r"\scall\s+[0-9a-f]+ <(?!GOMP_|omp_)([^>@]+)")
    serial = re.compile(r"_vloops_(?:f64_)?[a-z0-9]+__(\w+?)_serial(?:\.[\w.]+)?$")
    bad, scalar = [], []
    for name, lines in threaded.items():
        callees = [m.group(1) for line in lines for m in [called.search(line)] if m]
        bad += [(name, c) for c in callees
                if not (serial.search(c) and serial.search(c).group(1) in loops)]
        if not callees and not any(evidence.search(line) for line in lines):
            scalar.append(name)
    assert not bad, f"{module}: threaded loops calling out: {bad[:12]} ({len(bad)} calls)"
    assert not scalar, f"{module}: threaded loops not vectorized: {scalar}"
