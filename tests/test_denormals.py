"""Subnormal numbers: results in the subnormal range are right, subnormal inputs
are not flushed, and no flush-to-zero / denormals-are-zero mode is switched on.

References are closed forms evaluated in mpmath (60 digits) in this file,
independent of fastact's kernels and of tests/mp_reference.py, and rounded to
the dtype exactly (subnormals included).  Bounds: the README's (float64 fn 2,
grad 3, grad2 4 ULP; float32 2 ULP), and correctly rounded (0.5 ULP) for the
operations that are one IEEE operation or none (identity, relu, leaky_relu,
affine, hardtanh, relu6, prelu.grad_weight).  In the subnormal range one ULP is
the smallest subnormal (2^-1074, 2^-149).

Every case runs on a small array (serial loop) and, tiled to above the parallel
threshold, with 2 threads (OpenMP worker threads: their floating-point control
state matters too); float32 cases run through every SIMD level this CPU and
build have, and the scalar loops.  A fresh interpreter checks that importing
fastact (every loop module) leaves subnormal arithmetic on.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from mpmath import mp, mpf

import fastact
from fastact import _loops, _simd

mp.dps = 60
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FMT = {"float64": (53, -1022), "float32": (24, -126)}
OP_BOUND = {"float64": {"fn": 2, "grad": 3, "grad2": 4, "grad_alpha": 2},
            "float32": {"fn": 2, "grad": 2, "grad2": 2, "grad_alpha": 2}}
EXACT = 0.5


def tiny(dtype):
    p, emin = FMT[dtype]
    return mp.ldexp(1, emin)


def quantum(dtype):
    p, emin = FMT[dtype]
    return mp.ldexp(1, emin - p + 1)             # the smallest subnormal


def round_exact(v, dtype):
    """v rounded to nearest (even) in dtype, subnormals and 0 included."""
    p, emin = FMT[dtype]
    if v == 0:
        return 0.0
    if abs(v) < tiny(dtype):
        q = quantum(dtype)
        return float(mp.nint(v / q) * q)
    with mp.workprec(p):
        return float(+v)


# --- closed forms (mpf in, mpf out) ------------------------------------------

def sig(x):
    return 1 / (1 + mp.exp(-x)) if x >= 0 else mp.exp(x) / (1 + mp.exp(x))


def sigd(x):
    e = mp.exp(-abs(x))
    return e / (1 + e) ** 2


def one_minus_2sig(x):
    return -mp.tanh(x / 2)


def softplus(x):
    return mp.log1p(mp.exp(x)) if x < 0 else x + mp.log1p(mp.exp(-x))


def Phi(x):
    return mp.erfc(-x / mp.sqrt(2)) / 2


def phi(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


GK, GC = mp.sqrt(2 / mp.pi), mpf("0.044715")


def gelu_tanh_parts(x):
    u = GK * (x + GC * x**3)
    du = GK * (1 + 3 * GC * x * x)
    d2u = GK * 6 * GC * x
    # (1 + tanh u) / 2 = sigmoid(2u), without cancellation for u << 0
    s = sig(2 * u)
    return u, du, d2u, s, sigd(2 * u)


def gelu_tanh_fn(x):
    return x * gelu_tanh_parts(x)[3]


def gelu_tanh_grad(x):
    u, du, _, s, sd = gelu_tanh_parts(x)
    return s + x * 2 * sd * du


def gelu_tanh_grad2(x):
    u, du, d2u, s, sd = gelu_tanh_parts(x)
    sdd = sd * one_minus_2sig(2 * u)           # sigmoid''(2u)
    return 4 * sd * du + x * (4 * sdd * du * du + 2 * sd * d2u)


def mish_parts(x):
    t = mp.tanh(softplus(x))
    return t, 1 - t * t, sig(x)


def mish_fn(x):
    return x * mish_parts(x)[0]


def mish_grad(x):
    t, sech2, s = mish_parts(x)
    return t + x * sech2 * s


def mish_grad2(x):
    t, sech2, s = mish_parts(x)
    return sech2 * s * (2 + x * (1 - s) - 2 * x * t * s)


def swish(beta):
    return (lambda x: x * sig(beta * x),
            lambda x: sig(beta * x) + x * beta * sigd(beta * x),
            lambda x: beta * sigd(beta * x) * (2 + beta * x * one_minus_2sig(beta * x)))


SELU_A = mpf("1.6732632423543772848170429916717")
SELU_S = mpf("1.0507009873554804934193349852946")

# --- inputs -------------------------------------------------------------------

SUB = {
    "float64": [5e-324, 1e-323, 3e-323, 4.9e-322, 1e-315, 1.5e-310, 2.2250738585072e-308],
    "float32": [1.4e-45, 2.8e-45, 7e-45, 1e-42, 3.3e-40, 1e-39, 1.1754942e-38],
}
SUB = {dt: [float(np.asarray(v, dt)) for v in vs] for dt, vs in SUB.items()}
PM_SUB = {dt: vs + [-v for v in vs] for dt, vs in SUB.items()}
NEG_SUB = {dt: [-v for v in vs] for dt, vs in SUB.items()}
# exp(x) subnormal: x in (log(smallest subnormal / 2), log(tiny))
EXP_X = {"float64": [-709.5, -715.0, -730.25, -740.0, -744.0, -745.0],
         "float32": [-88.5, -90.0, -95.5, -100.0, -103.0]}
NEG_EXP_X = {dt: [-v for v in vs] for dt, vs in EXP_X.items()}
XEXP_X = {"float64": [-716.0, -725.5, -738.0, -741.0],        # x exp(x) subnormal
          "float32": [-92.5, -95.0, -98.5, -100.0]}
GELU_X = {"float64": [-37.75, -38.0, -38.25, -38.5], "float32": [-13.5, -13.75, -14.0, -14.25]}
GELU2_X = {"float64": [-38.0, -38.25, -38.5, -38.75], "float32": [-13.75, -14.0, -14.25, -14.5]}
GELU_T_X = {"float64": [-21.3, -21.4, -21.5, -21.7], "float32": [-10.5, -10.75, -11.0]}


def half(d):
    """Halved inputs, except those that halve to 0 (or, in float32, to another
    float32 than v / 2)."""
    return {dt: [float(np.asarray(v / 2, dt)) for v in vs
                 if float(np.asarray(v / 2, dt)) == v / 2 != 0] for dt, vs in d.items()}


def twice(d):
    return {dt: [v * 2 for v in vs] for dt, vs in d.items()}


# (label, public call, (kernel, op, p0, p1), reference, inputs, bound or None = OP_BOUND)
CASES = [
    ("identity", fastact.identity, ("identity", "fn", 0, 0), lambda x: x, PM_SUB, EXACT),
    ("relu", fastact.relu, ("relu", "fn", 0, 0), lambda x: max(x, 0), PM_SUB, EXACT),
    ("relu6", fastact.relu6, ("relu6", "fn", 0, 0), lambda x: min(max(x, 0), 6), PM_SUB, EXACT),
    ("hardtanh", fastact.hardtanh, ("hardtanh", "fn", -1, 1), lambda x: x, PM_SUB, EXACT),
    ("leaky_relu", fastact.leaky_relu, ("leaky_relu", "fn", 0.01, 0),
     lambda x: x if x > 0 else mpf(0.01) * x,
     {"float64": NEG_SUB["float64"] + [-1e-306, -2.2e-306],
      "float32": NEG_SUB["float32"] + [-1e-36, -2e-37]}, EXACT),
    ("prelu.grad_weight", lambda x: fastact.prelu.grad_weight(x, 0.3),
     ("leaky_relu", "grad_alpha", 0.3, 0), lambda x: x if x < 0 else mpf(0), PM_SUB, EXACT),
    ("affine(0.5, 0)", lambda x: fastact.affine(x, 0.5, 0.0), ("affine", "fn", 0.5, 0),
     lambda x: x / 2, PM_SUB, EXACT),
    ("affine(-3, 0)", lambda x: fastact.affine(x, -3.0, 0.0), ("affine", "fn", -3.0, 0),
     lambda x: -3 * x, half(PM_SUB), EXACT),
    # tiny inputs: results about x, x/2, -x/8 ...
    ("tanh", fastact.tanh, ("tanh", "fn", 0, 0), mp.tanh, PM_SUB, None),
    ("tanh.grad2", fastact.tanh.grad2, ("tanh", "grad2", 0, 0),
     lambda x: -2 * mp.tanh(x) * (1 - mp.tanh(x) ** 2), half(PM_SUB), None),
    ("arctan", fastact.arctan, ("arctan", "fn", 0, 0), mp.atan, PM_SUB, None),
    ("arctan.grad2", fastact.arctan.grad2, ("arctan", "grad2", 0, 0),
     lambda x: -2 * x / (1 + x * x) ** 2, half(PM_SUB), None),
    ("softsign", fastact.softsign, ("softsign", "fn", 0, 0), lambda x: x / (1 + abs(x)),
     PM_SUB, None),
    ("hardswish", fastact.hardswish, ("hardswish", "fn", 0, 0),
     lambda x: x * min(max(x + 3, 0), 6) / 6, PM_SUB, None),
    ("sigmoid.grad2 (tiny x)", fastact.sigmoid.grad2, ("sigmoid", "grad2", 0, 0),
     lambda x: sigd(x) * one_minus_2sig(x), PM_SUB, None),
    ("silu", fastact.silu, ("swish", "fn", 1, 0), swish(1)[0], PM_SUB, None),
    ("swish(2)", lambda x: fastact.swish(x, 2.0), ("swish", "fn", 2, 0), swish(2)[0],
     PM_SUB, None),
    ("mish", fastact.mish, ("mish", "fn", 0, 0), mish_fn, PM_SUB, None),
    ("gelu (tiny x)", fastact.gelu, ("gelu", "fn", 0, 0), lambda x: x * Phi(x), PM_SUB, None),
    ("gelu tanh (tiny x)", lambda x: fastact.gelu(x, "tanh"), ("gelu_tanh", "fn", 0, 0),
     gelu_tanh_fn, PM_SUB, None),
    ("elu (tiny x)", fastact.elu, ("elu", "fn", 1, 0), lambda x: x if x > 0 else mp.expm1(x),
     PM_SUB, None),
    ("selu (tiny x)", fastact.selu, ("selu", "fn", 0, 0),
     lambda x: SELU_S * x if x > 0 else SELU_S * SELU_A * mp.expm1(x), half(PM_SUB), None),
    ("celu(2) (tiny x)", lambda x: fastact.celu(x, 2.0), ("celu", "fn", 2, 0),
     lambda x: x if x > 0 else 2 * mp.expm1(x / 2), PM_SUB, None),
    # tails: exp(x) in the subnormal range
    ("exponential", fastact.exponential, ("exponential", "fn", 0, 0), mp.exp, EXP_X, None),
    ("exponential.grad", fastact.exponential.grad, ("exponential", "grad", 0, 0), mp.exp,
     EXP_X, None),
    ("exponential.grad2", fastact.exponential.grad2, ("exponential", "grad2", 0, 0), mp.exp,
     EXP_X, None),
    ("sigmoid", fastact.sigmoid, ("sigmoid", "fn", 0, 0), sig, EXP_X, None),
    ("sigmoid.grad (x < 0)", fastact.sigmoid.grad, ("sigmoid", "grad", 0, 0), sigd, EXP_X,
     None),
    ("sigmoid.grad (x > 0)", fastact.sigmoid.grad, ("sigmoid", "grad", 0, 0), sigd,
     NEG_EXP_X, None),
    ("sigmoid.grad2 (x < 0)", fastact.sigmoid.grad2, ("sigmoid", "grad2", 0, 0),
     lambda x: sigd(x) * one_minus_2sig(x), EXP_X, None),
    ("sigmoid.grad2 (x > 0)", fastact.sigmoid.grad2, ("sigmoid", "grad2", 0, 0),
     lambda x: sigd(x) * one_minus_2sig(x), NEG_EXP_X, None),
    ("log_sigmoid", fastact.log_sigmoid, ("log_sigmoid", "fn", 0, 0),
     lambda x: -softplus(-x), NEG_EXP_X, None),
    ("log_sigmoid.grad", fastact.log_sigmoid.grad, ("log_sigmoid", "grad", 0, 0),
     lambda x: sig(-x), NEG_EXP_X, None),
    ("log_sigmoid.grad2", fastact.log_sigmoid.grad2, ("log_sigmoid", "grad2", 0, 0),
     lambda x: -sigd(x), NEG_EXP_X, None),
    ("softplus", fastact.softplus, ("softplus", "fn", 1, 0), softplus, EXP_X, None),
    ("softplus.grad", fastact.softplus.grad, ("softplus", "grad", 1, 0), sig, EXP_X, None),
    ("softplus.grad2", fastact.softplus.grad2, ("softplus", "grad2", 1, 0), sigd, EXP_X, None),
    ("softplus(2)", lambda x: fastact.softplus(x, 2.0), ("softplus", "fn", 2, 0),
     lambda x: softplus(2 * x) / 2, half(EXP_X), None),
    ("elu.grad", fastact.elu.grad, ("elu", "grad", 1, 0), mp.exp, EXP_X, None),
    ("elu.grad2", fastact.elu.grad2, ("elu", "grad2", 1, 0), mp.exp, EXP_X, None),
    ("elu(alpha=tiny)", lambda x: fastact.elu(x, 1e-310 if x.dtype == np.float64 else 1e-40),
     None, None, {"float64": [-0.5, -1.0, -3.0], "float32": [-0.5, -1.0, -3.0]}, None),
    ("selu.grad", fastact.selu.grad, ("selu", "grad", 0, 0),
     lambda x: SELU_S * SELU_A * mp.exp(x), EXP_X, None),
    ("celu(2).grad", lambda x: fastact.celu.grad(x, 2.0), ("celu", "grad", 2, 0),
     lambda x: mp.exp(x / 2), twice(EXP_X), None),
    ("celu(2).grad2", lambda x: fastact.celu.grad2(x, 2.0), ("celu", "grad2", 2, 0),
     lambda x: mp.exp(x / 2) / 2, twice(EXP_X), None),
    ("silu (x << 0)", fastact.silu, ("swish", "fn", 1, 0), swish(1)[0], XEXP_X, None),
    ("silu.grad (x << 0)", fastact.silu.grad, ("swish", "grad", 1, 0), swish(1)[1], XEXP_X,
     None),
    ("silu.grad2 (x << 0)", fastact.silu.grad2, ("swish", "grad2", 1, 0), swish(1)[2], XEXP_X,
     None),
    ("swish(2) (x << 0)", lambda x: fastact.swish(x, 2.0), ("swish", "fn", 2, 0),
     swish(2)[0], half(XEXP_X), None),
    ("mish (x << 0)", fastact.mish, ("mish", "fn", 0, 0), mish_fn, XEXP_X, None),
    ("mish.grad (x << 0)", fastact.mish.grad, ("mish", "grad", 0, 0), mish_grad, XEXP_X, None),
    ("mish.grad2 (x << 0)", fastact.mish.grad2, ("mish", "grad2", 0, 0), mish_grad2, XEXP_X,
     None),
    ("gelu", fastact.gelu, ("gelu", "fn", 0, 0), lambda x: x * Phi(x), GELU_X, None),
    ("gelu.grad", fastact.gelu.grad, ("gelu", "grad", 0, 0), lambda x: Phi(x) + x * phi(x),
     GELU_X, None),
    ("gelu.grad2", fastact.gelu.grad2, ("gelu", "grad2", 0, 0),
     lambda x: phi(x) * (2 - x * x), GELU2_X, None),
    ("gelu tanh", lambda x: fastact.gelu(x, "tanh"), ("gelu_tanh", "fn", 0, 0), gelu_tanh_fn,
     GELU_T_X, None),
    ("gelu tanh.grad", lambda x: fastact.gelu.grad(x, "tanh"), ("gelu_tanh", "grad", 0, 0),
     gelu_tanh_grad, GELU_T_X, None),
    ("gelu tanh.grad2", lambda x: fastact.gelu.grad2(x, "tanh"), ("gelu_tanh", "grad2", 0, 0),
     gelu_tanh_grad2, GELU_T_X, None),
]

# elu with a subnormal alpha: the reference needs the parameter itself.
_ELU_TINY = {"float64": 1e-310, "float32": 1e-40}


def _reference(case, dtype):
    label, _, kernel, ref, _, _ = case
    if label == "elu(alpha=tiny)":
        a = mpf(_ELU_TINY[dtype])
        return lambda x: a * mp.expm1(x)
    return ref


def _op(case):
    kernel = case[2]
    return "fn" if kernel is None else kernel[1]


def _check_values(label, dtype, xs, got, ref, bound):
    q = quantum(dtype)
    bad = []
    for x, g in zip(xs, got):
        t = ref(mpf(x))
        g = mpf(float(g))
        unit = q if abs(t) < tiny(dtype) else mpf(float(np.spacing(np.asarray(
            round_exact(t, dtype), dtype))))
        err = abs(g - t) / unit
        if not err <= bound:
            bad.append(f"x={x!r}: got {float(g)!r}, true {mp.nstr(t, 17)} "
                       f"(correctly rounded {round_exact(t, dtype)!r}), {mp.nstr(err, 3)} ULP")
    assert not bad, f"{label} {dtype}: " + "; ".join(bad)


CASE_IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_subnormal_results(case, dtype):
    label, call, kernel, _, inputs, bound = case
    ref = _reference(case, dtype)
    xs = [float(np.asarray(v, dtype)) for v in inputs[dtype]]
    # Every case is about subnormal numbers: the input or the true result is one.
    for x in xs:
        t = ref(mpf(x))
        assert 0 < abs(mpf(x)) < tiny(dtype) or 0 < abs(t) < tiny(dtype), (
            f"{label} {dtype}: neither x={x!r} nor f(x)={mp.nstr(t, 5)} is subnormal"
        )
    if bound is None:
        bound = OP_BOUND[dtype][_op(case)]
    x = np.array(xs, dtype=dtype)
    small = call(x)
    _check_values(label, dtype, xs, small, ref, bound)
    # The same values from the thread team: tiled above the parallel threshold.
    reps = _loops.PARALLEL_THRESHOLD // len(xs) + 3
    big = np.tile(x, reps)
    fastact.set_num_threads(2)
    try:
        got = call(big).reshape(reps, len(xs))
    finally:
        fastact.set_num_threads(None)
    assert (got == small).all() and (np.signbit(got) == np.signbit(small)).all(), (
        f"{label} {dtype}: the threaded loop differs from the serial one"
    )


def _levels():
    return ["none"] + _simd.supported_levels()


@pytest.mark.parametrize("level", _levels())
def test_subnormal_results_float32_every_simd_level(level):
    mod = _simd.module(level)
    failures = []
    for case in CASES:
        label, _, kernel, _, inputs, bound = case
        if kernel is None:
            continue
        name, op, p0, p1 = kernel
        loop = getattr(mod, f"{name}_{op}")
        if mod is _loops:
            loop = loop["float"]
        xs = [float(np.asarray(v, np.float32)) for v in inputs["float32"]]
        x = np.array(xs, dtype=np.float32)
        for nthreads, arr in ((1, x), (2, np.tile(x, _loops.PARALLEL_THRESHOLD // len(xs) + 3))):
            out = np.empty_like(arr)
            loop(arr, out, float(p0), float(p1), nthreads)
            try:
                _check_values(f"{label} [{level}, {nthreads} thread(s)]", "float32", xs,
                              out[: len(xs)], _reference(case, "float32"),
                              OP_BOUND["float32"][op] if bound is None else bound)
                if not (out.reshape(-1, len(xs)) == out[: len(xs)]).all():
                    failures.append(f"{label} [{level}]: elements differ along the array")
            except AssertionError as e:
                failures.append(str(e))
    assert not failures, "\n".join(failures)


def _subnormal_arithmetic_ok():
    """Subnormal results and operands survive in this thread (no FTZ, no DAZ)."""
    t64 = np.finfo(np.float64).tiny
    t32 = np.finfo(np.float32).tiny
    checks = {
        "python float / 4": 2.2250738585072014e-308 / 4 == 5.562684646268003e-309,
        "python 5e-324 * 3": 5e-324 * 3 == 1.5e-323,
        "python 5e-324 + 5e-324": 5e-324 + 5e-324 == 1e-323,
        "numpy f64 tiny / 4": (np.array([t64]) / 4)[0] == t64 / 4 != 0,
        "numpy f64 subnormal * 1": (np.array([5e-324]) * 1.0)[0] == 5e-324,
        "numpy f32 tiny / 4": (np.array([t32], np.float32) / np.float32(4))[0] != 0,
        "numpy f32 subnormal * 1": (np.array([1e-45], np.float32) * np.float32(1))[0] != 0,
    }
    return [k for k, ok in checks.items() if not ok]


def test_no_flush_to_zero_after_calls():
    assert _subnormal_arithmetic_ok() == []
    x32 = np.full(_loops.PARALLEL_THRESHOLD + 5, 1e-45, np.float32)
    x64 = np.full(_loops.PARALLEL_THRESHOLD + 5, 5e-324)
    for f in (fastact.gelu, fastact.sigmoid.grad, fastact.mish, fastact.exponential,
              fastact.softplus, fastact.tanh, fastact.identity):
        for x in (x32, x64, x32[:7], x64[:7]):
            f(x)
    assert _subnormal_arithmetic_ok() == []
    # and in fastact's OpenMP worker threads: identity passes subnormals through,
    # affine halves them, both with 2 threads
    fastact.set_num_threads(2)
    try:
        for x, q in ((x64, 5e-324), (x32, np.float32(1e-45))):
            assert (fastact.identity(x) == q).all()
            assert (fastact.affine(x * 4, 0.5, 0.0) == 2 * q).all()
    finally:
        fastact.set_num_threads(None)


def test_importing_fastact_keeps_subnormals():
    """Loading the extension modules (every SIMD level) turns on no FTZ/DAZ, as
    -ffast-math's crtfastmath.o would at load time."""
    code = (
        "import numpy as np\n"
        "from test_denormals import _subnormal_arithmetic_ok\n"
        "import fastact\n"
        "from fastact import _simd\n"
        "for level in ['none'] + _simd.supported_levels():\n"
        "    _simd.module(level)\n"
        "fastact.gelu(np.ones(3, np.float32))\n"
        "print(_subnormal_arithmetic_ok())\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (REPO, os.path.join(REPO, "tests"), env.get("PYTHONPATH")) if p)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
