"""API-semantics tests of fastact: names, parameters, dtypes, shapes, strides,
scalars, ``out=``, aliasing, parameter validation, the numpy-ml style class API,
and accuracy against independent NumPy formulas (evaluated in long double).

The reference formulas below are written from the mathematics, not copied from
fastact; where a textbook formula cancels badly it is rewritten into an
algebraically equal, well-conditioned form (e.g. 1 - tanh(u)^2 = 1 / cosh(u)^2).
"""

import io
import math
import contextlib

import numpy as np
import pytest

import fastact

LD = np.longdouble

SELU_ALPHA = LD("1.6732632423543772848170429916717")
SELU_SCALE = LD("1.0507009873554804934193349852946")
SQRT2 = np.sqrt(LD(2))
SQRT_2_OVER_PI = np.sqrt(LD(2) / LD(np.pi))  # np.pi as double: fine at 1e-16
INV_SQRT_2PI = 1 / np.sqrt(2 * LD(np.pi))
GELU_C = LD("0.044715")

OPS = ("fn", "grad", "grad2")

# name -> ((param, default), ...)
PARAMS = {
    "identity": (),
    "affine": (("slope", 1.0), ("intercept", 0.0)),
    "relu": (),
    "leaky_relu": (("negative_slope", 0.01),),
    "prelu": (("weight", 0.25),),
    "elu": (("alpha", 1.0),),
    "selu": (),
    "celu": (("alpha", 1.0),),
    "gelu": (("approximate", "none"),),
    "sigmoid": (),
    "log_sigmoid": (),
    "tanh": (),
    "arctan": (),
    "softsign": (),
    "softplus": (("beta", 1.0),),
    "silu": (),
    "swish": (("beta", 1.0),),
    "mish": (),
    "exponential": (),
    "hardsigmoid": (),
    "hardtanh": (("min_val", -1.0), ("max_val", 1.0)),
    "relu6": (),
    "hardswish": (),
}
NAMES = tuple(PARAMS)

EXTRA_OPS = {"prelu": ("grad_weight",)}


def ops_of(name):
    return OPS + EXTRA_OPS.get(name, ())


# Non-default (but valid) parameter sets tested besides the defaults.
PARAM_SETS = {
    "affine": [{"slope": 2.5, "intercept": -1.25}, {"slope": -0.3, "intercept": 4.0}],
    "leaky_relu": [{"negative_slope": 0.2}, {"negative_slope": -1.5}],
    "prelu": [{"weight": 0.1}, {"weight": 3.0}],
    "elu": [{"alpha": 0.5}, {"alpha": -2.0}],
    "celu": [{"alpha": 0.5}, {"alpha": 3.0}],
    "gelu": [{"approximate": "none"}, {"approximate": "tanh"}],
    "softplus": [{"beta": 0.5}, {"beta": 4.0}],
    "swish": [{"beta": 0.5}, {"beta": -1.5}],
    "hardtanh": [{"min_val": -2.0, "max_val": 3.0}, {"min_val": -0.5, "max_val": 0.25},
                 {"min_val": 0.5, "max_val": 0.5}],
}


def all_param_sets(name):
    return [{}] + PARAM_SETS.get(name, [])


def full_params(name, params):
    """params with the defaults filled in, in signature order."""
    return {p: params.get(p, d) for p, d in PARAMS[name]}


def op_func(name, op):
    f = getattr(fastact, name)
    return f if op == "fn" else getattr(f, op)


def call(name, op, x, params=None, **kw):
    return op_func(name, op)(x, **(params or {}), **kw)


# Invalid parameter values: (name, params, parameter name expected in message).
BAD_PARAMS = []
for _name, _spec in PARAMS.items():
    for _p, _d in _spec:
        if _p == "approximate":
            continue
        for _v in (math.nan, math.inf, -math.inf):
            BAD_PARAMS.append((_name, {_p: _v}, (_p,)))
BAD_PARAMS += [
    ("celu", {"alpha": 0.0}, ("alpha",)),
    ("celu", {"alpha": -1.0}, ("alpha",)),
    ("softplus", {"beta": 0.0}, ("beta",)),
    ("softplus", {"beta": -1.0}, ("beta",)),
    ("hardtanh", {"min_val": 2.0, "max_val": 1.0}, ("min_val", "max_val")),
    ("hardtanh", {"min_val": 1.5}, ("min_val", "max_val")),   # 1.5 > default max 1
    ("hardtanh", {"max_val": -1.5}, ("min_val", "max_val")),  # -1.5 < default min -1
    ("gelu", {"approximate": "fast"}, ("approximate",)),
    ("gelu", {"approximate": ""}, ("approximate",)),
    ("gelu", {"approximate": "exact"}, ("approximate",)),
    ("gelu", {"approximate": "TANH"}, ("approximate",)),
]


def _bad_id(case):
    name, params, _ = case
    return name + "-" + "-".join(f"{k}={v!r}" for k, v in params.items())


# ---------------------------------------------------------------------------
# Independent reference formulas (long double)
# ---------------------------------------------------------------------------

_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _sig(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _softplus(z):
    with np.errstate(over="ignore"):
        return np.where(z > 0, z + np.log1p(np.exp(-z)), np.log1p(np.exp(z)))


def _sech2(z):
    with np.errstate(over="ignore"):
        return 1 / np.cosh(z) ** 2


def reference(name, op, x, **params):
    """Exact-math reference in long double; kinks follow the left-hand rule."""
    x = np.asarray(x, dtype=LD)
    p = {k: (v if isinstance(v, str) else LD(v)) for k, v in full_params(name, params).items()}
    one, zero = np.ones_like(x), np.zeros_like(x)
    pos = x > 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if name == "identity":
            return {"fn": x, "grad": one, "grad2": zero}[op]
        if name == "affine":
            return {"fn": p["slope"] * x + p["intercept"], "grad": p["slope"] * one,
                    "grad2": zero}[op]
        if name == "relu":
            return {"fn": np.where(pos, x, 0), "grad": np.where(pos, one, zero),
                    "grad2": zero}[op]
        if name in ("leaky_relu", "prelu"):
            a = p["negative_slope"] if name == "leaky_relu" else p["weight"]
            return {"fn": np.where(pos, x, a * x), "grad": np.where(pos, one, a * one),
                    "grad2": zero, "grad_weight": np.where(pos, zero, x)}[op]
        if name == "elu":
            a = p["alpha"]
            return {"fn": np.where(pos, x, a * np.expm1(x)),
                    "grad": np.where(pos, one, a * np.exp(x)),
                    "grad2": np.where(pos, zero, a * np.exp(x))}[op]
        if name == "selu":
            a, s = SELU_ALPHA, SELU_SCALE
            return {"fn": np.where(pos, s * x, s * a * np.expm1(x)),
                    "grad": np.where(pos, s * one, s * a * np.exp(x)),
                    "grad2": np.where(pos, zero, s * a * np.exp(x))}[op]
        if name == "celu":
            a = p["alpha"]
            return {"fn": np.where(pos, x, a * np.expm1(x / a)),
                    "grad": np.where(pos, one, np.exp(x / a)),
                    "grad2": np.where(pos, zero, np.exp(x / a) / a)}[op]
        if name == "gelu" and p["approximate"] == "none":
            # Phi(x) = erfc(-x/sqrt(2)) / 2 ; phi(x) = exp(-x^2/2) / sqrt(2 pi)
            Phi = LD(0.5) * _erfc(np.asarray(-x / SQRT2, dtype=np.float64)).astype(LD)
            phi = np.exp(-x * x / 2) * INV_SQRT_2PI
            return {"fn": x * Phi, "grad": Phi + x * phi,
                    "grad2": phi * (2 - x * x)}[op]
        if name == "gelu":  # tanh approximation
            u = SQRT_2_OVER_PI * (x + GELU_C * x ** 3)
            du = SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x)
            d2u = SQRT_2_OVER_PI * 6 * GELU_C * x
            half_1p_tanh = _sig(2 * u)  # (1 + tanh u) / 2 without cancellation
            s2 = _sech2(u)
            return {"fn": x * half_1p_tanh,
                    "grad": half_1p_tanh + x * s2 * du / 2,
                    "grad2": s2 * (du - x * np.tanh(u) * du * du + x * d2u / 2)}[op]
        if name == "sigmoid":
            s, sm = _sig(x), _sig(-x)
            return {"fn": s, "grad": s * sm, "grad2": -s * sm * np.tanh(x / 2)}[op]
        if name == "log_sigmoid":
            s, sm = _sig(x), _sig(-x)
            return {"fn": -_softplus(-x), "grad": sm, "grad2": -s * sm}[op]
        if name == "tanh":
            return {"fn": np.tanh(x), "grad": _sech2(x),
                    "grad2": -2 * np.tanh(x) * _sech2(x)}[op]
        if name == "arctan":
            return {"fn": np.arctan(x), "grad": 1 / (1 + x * x),
                    "grad2": -2 * x / (1 + x * x) ** 2}[op]
        if name == "softsign":
            d = 1 + np.abs(x)
            return {"fn": x / d, "grad": 1 / d ** 2,
                    "grad2": np.where(pos, LD(-2), LD(2)) / d ** 3}[op]
        if name in ("softplus", "swish", "silu"):
            b = p.get("beta", LD(1))
            bx = b * x
            s, sm = _sig(bx), _sig(-bx)
            if name == "softplus":
                return {"fn": _softplus(bx) / b, "grad": s, "grad2": b * s * sm}[op]
            return {"fn": x * s, "grad": s * (1 + bx * sm),
                    "grad2": b * s * sm * (2 - bx * np.tanh(bx / 2))}[op]
        if name == "mish":
            # tanh(log(1 + e^x)) = n / (n + 2), n = e^x (e^x + 2); sech^2 = (4n+4)/(n+2)^2
            e = np.exp(x)
            n = e * (e + 2)
            t = np.where(np.isinf(n), LD(1), n / (n + 2))
            s2 = np.where(np.isinf(n), LD(0), (4 * n + 4) / (n + 2) ** 2)
            s = _sig(x)
            return {"fn": x * t, "grad": t + x * s2 * s,
                    "grad2": s2 * s * (2 + x * (1 - s - 2 * t * s))}[op]
        if name == "exponential":
            return np.exp(x)
        if name == "hardsigmoid":
            inside = (x > -3) & (x <= 3)
            return {"fn": np.clip((x + 3) / 6, 0, 1),
                    "grad": np.where(inside, LD(1) / 6, LD(0)), "grad2": zero}[op]
        if name == "hardtanh":
            lo, hi = p["min_val"], p["max_val"]
            return {"fn": np.where(x <= lo, lo, np.where(x >= hi, hi, x)),
                    "grad": np.where((x > lo) & (x <= hi), one, zero), "grad2": zero}[op]
        if name == "relu6":
            return {"fn": np.clip(x, 0, 6),
                    "grad": np.where((x > 0) & (x <= 6), one, zero), "grad2": zero}[op]
        if name == "hardswish":
            return {"fn": np.where(x <= -3, 0, np.where(x >= 3, x, x * (x + 3) / 6)),
                    "grad": np.where(x <= -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6)),
                    "grad2": np.where((x > -3) & (x <= 3), LD(1) / 3, LD(0))}[op]
    raise AssertionError(f"no reference for {name}.{op}")


def assert_close(actual, expected, x, rtol=1e-12, atol=1e-15, what=""):
    """|actual - expected| <= rtol |expected| + atol elementwise (NaN is a failure)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=LD)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    err = np.abs(actual.astype(LD) - expected)
    same_inf = np.isinf(expected) & (actual.astype(LD) == expected)
    bad = ~((err <= rtol * np.abs(expected) + atol) | same_inf)
    if bad.any():
        idx = np.flatnonzero(bad)[:8]
        xs = np.asarray(x).ravel()
        lines = [f"x={xs[i]!r}: got {actual.ravel()[i]!r}, expected {float(expected.ravel()[i])!r}"
                 for i in idx]
        raise AssertionError(f"{what}: {bad.sum()} of {bad.size} elements off "
                             f"(rtol={rtol}, atol={atol}):\n" + "\n".join(lines))


def bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    return np.array_equal(a.view(u), b.view(u))


def assert_same(a, b):
    """Equal values (NaN == NaN), same dtype and shape."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_array_equal(a, b)


def cases(param_sets=True, ops=True):
    out = []
    for name in NAMES:
        for params in (all_param_sets(name) if param_sets else [{}]):
            for op in (ops_of(name) if ops else ("fn",)):
                pid = ",".join(f"{k}={v}" for k, v in params.items())
                out.append(pytest.param(name, params, op, id=f"{name}[{pid}].{op}"))
    return out


def fn_op_cases():
    return [pytest.param(n, op, id=f"{n}.{op}") for n in NAMES for op in ops_of(n)]


_rng = np.random.default_rng(12345)
BENIGN = np.unique(np.concatenate([
    np.linspace(-5, 5, 1001),
    _rng.uniform(-5, 5, 1000),
    [0.0, 1e-3, -1e-3, 1e-8, -1e-8, 1e-200, -1e-200, 5e-324, -5e-324],
    [-3.0, 3.0, -2.5, 2.5, -1.0, 1.0, -2.0, 0.25, -0.5, 0.5, 6.0, -6.0, 6.5, 7.0, -7.0],
]))


# ---------------------------------------------------------------------------
# Existence, names, parameters
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_function_and_ops_exist(name):
    f = getattr(fastact, name)
    assert callable(f)
    for op in ops_of(name)[1:]:
        assert callable(getattr(f, op)), f"{name}.{op} missing"


def test_logsigmoid_alias():
    x = np.linspace(-10, 10, 101)
    for op in OPS:
        assert_same(call("logsigmoid", op, x), call("log_sigmoid", op, x))


@pytest.mark.parametrize("name,op", fn_op_cases())
def test_defaults_positional_and_keyword(name, op):
    x = _rng.uniform(-4, 4, 50)
    f = op_func(name, op)
    base = f(x)
    defaults = full_params(name, {})
    assert_same(f(x, **defaults), base)
    assert_same(f(x, *defaults.values()), base)
    for params in PARAM_SETS.get(name, []):
        fp = full_params(name, params)
        kw = f(x, **fp)
        assert_same(f(x, *fp.values()), kw)
        # the params must actually be used
        assert_close(kw, reference(name, op, x, **fp), x, what=f"{name}.{op}{fp}")


@pytest.mark.parametrize("name", NAMES)
def test_unknown_keyword_and_too_many_args(name):
    x = np.ones(3)
    with pytest.raises(TypeError):
        getattr(fastact, name)(x, no_such_param=1.0)
    extra = [0.5] * (len(PARAMS[name]) + 1)
    if name == "gelu":
        extra = ["none", 0.5]
    with pytest.raises(TypeError):
        getattr(fastact, name)(x, *extra)


def test_integer_and_numpy_scalar_params():
    x = np.linspace(-3, 3, 61)
    assert_same(fastact.elu(x, alpha=2), fastact.elu(x, alpha=2.0))
    assert_same(fastact.elu(x, alpha=np.float32(0.5)), fastact.elu(x, alpha=0.5))
    assert_same(fastact.hardtanh(x, np.int64(-2), np.float64(2)), fastact.hardtanh(x, -2.0, 2.0))
    assert_same(fastact.affine(x, 3, -1), fastact.affine(x, 3.0, -1.0))


def test_show_config():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ret = fastact.show_config()
    text = (buf.getvalue() + "\n" + ("" if ret is None else str(ret))).lower()
    assert "openmp" in text
    assert "thread" in text
    from fastact import _call

    assert ret["idle_team_wake_ns"] == _call.team_state()[1]
    try:                                   # what the idle-team rule learned, reported
        _call._set_team_state(10**9, 3_000_000)
        buf = io.StringIO()
        assert fastact.show_config(file=buf)["idle_team_wake_ns"] == 3_000_000
        assert "waking it took 3.0 ms" in buf.getvalue()
    finally:
        _call._set_team_state(10**9, 0)


# ---------------------------------------------------------------------------
# Accuracy against the independent formulas
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,params,op", cases())
def test_matches_reference_float64_benign(name, params, op):
    x = BENIGN
    extra = [v for v in params.values() if not isinstance(v, str)]
    if extra:
        x = np.unique(np.concatenate([x, extra]))
    got = call(name, op, x, params)
    assert got.dtype == np.float64
    assert_close(got, reference(name, op, x, **params), x, what=f"{name}.{op}{params}")


# Small values / far tails where a careful implementation keeps full relative
# accuracy (expm1, log1p, sigmoid of large negative arguments...).
TAILS = [
    ("elu", {}, "fn", [-1e-10, -1e-5, -1e-300, -0.3]),
    ("elu", {"alpha": 0.5}, "fn", [-1e-12]),
    ("selu", {}, "fn", [-1e-10, -1e-300]),
    ("celu", {"alpha": 2.0}, "fn", [-1e-10, -1e-300]),
    ("sigmoid", {}, "fn", [-30.0, -100.0, -700.0]),
    ("sigmoid", {}, "grad", [40.0, -40.0, 100.0, -100.0, 700.0]),
    ("sigmoid", {}, "grad2", [40.0, -40.0, 100.0, 1e-10, -1e-10]),
    ("log_sigmoid", {}, "fn", [40.0, 100.0, 700.0, -40.0, -1000.0]),
    ("log_sigmoid", {}, "grad", [40.0, 100.0, 700.0]),
    ("log_sigmoid", {}, "grad2", [40.0, -40.0, 100.0]),
    ("softplus", {}, "fn", [-40.0, -100.0, -700.0, 40.0, 1000.0]),
    ("softplus", {"beta": 2.0}, "fn", [-20.0, -300.0, 500.0]),
    ("softplus", {}, "grad", [-40.0, -700.0]),
    ("softplus", {}, "grad2", [-40.0, 40.0, 100.0]),
    ("silu", {}, "fn", [-40.0, -100.0, -700.0, 1e-300]),
    ("silu", {}, "grad", [-40.0, -100.0, 40.0]),
    ("silu", {}, "grad2", [-40.0, 40.0]),
    ("swish", {"beta": 2.0}, "fn", [-20.0, -300.0]),
    ("mish", {}, "fn", [-40.0, -100.0, -700.0, 1e-300, -1e-300]),
    ("mish", {}, "grad", [-40.0, -100.0]),
    ("mish", {}, "grad2", [-40.0, 40.0]),
    ("gelu", {}, "fn", [-10.0, -20.0, -30.0, 1e-300]),
    ("gelu", {}, "grad", [-10.0, -20.0, 10.0]),
    ("gelu", {}, "grad2", [-10.0, 10.0, -20.0]),
    ("tanh", {}, "fn", [1e-300, -1e-10]),
    ("tanh", {}, "grad", [20.0, -20.0, 300.0]),
    ("tanh", {}, "grad2", [20.0, -20.0, 1e-300]),
    ("arctan", {}, "fn", [1e-300, -1e-10]),
    ("arctan", {}, "grad2", [1e-300, 1e10]),
    ("softsign", {}, "fn", [1e-300, -1e-10]),
    ("exponential", {}, "fn", [-700.0, 700.0, 1e-300]),
]


@pytest.mark.parametrize("name,params,op,xs", [
    pytest.param(*t, id=f"{t[0]}{t[1] or ''}.{t[2]}") for t in TAILS])
def test_relative_accuracy_in_tails(name, params, op, xs):
    x = np.array(xs, dtype=np.float64)
    assert_close(call(name, op, x, params), reference(name, op, x, **params), x,
                 rtol=1e-12, atol=0.0, what=f"{name}.{op}{params} tails")


@pytest.mark.parametrize("op", OPS)
def test_gelu_tanh_relative_accuracy_in_negative_tail(op):
    # (1 + tanh(u)) / 2 computed naively cancels for u << 0; sigma(2u) does not.
    x = np.array([-4.0, -5.0, -6.0, -8.0])
    assert_close(call("gelu", op, x, {"approximate": "tanh"}),
                 reference("gelu", op, x, approximate="tanh"), x,
                 rtol=1e-12, atol=0.0, what=f"gelu(tanh).{op} tail")


# Values at +-inf: the mathematical limits (not spelled out in the contract,
# but NaN here would be a trap for users).
_S = float(SELU_SCALE)
_SA = float(SELU_SCALE * SELU_ALPHA)
INF_LIMITS = {
    # name: {op: (f(+inf), f(-inf))}
    "identity": {"fn": (np.inf, -np.inf), "grad": (1, 1), "grad2": (0, 0)},
    "affine": {"fn": (np.inf, -np.inf), "grad": (1, 1), "grad2": (0, 0)},
    "relu": {"fn": (np.inf, 0), "grad": (1, 0), "grad2": (0, 0)},
    "leaky_relu": {"fn": (np.inf, -np.inf), "grad": (1, 0.01), "grad2": (0, 0)},
    "prelu": {"fn": (np.inf, -np.inf), "grad": (1, 0.25), "grad2": (0, 0),
              "grad_weight": (0, -np.inf)},
    "elu": {"fn": (np.inf, -1), "grad": (1, 0), "grad2": (0, 0)},
    "selu": {"fn": (np.inf, -_SA), "grad": (_S, 0), "grad2": (0, 0)},
    "celu": {"fn": (np.inf, -1), "grad": (1, 0), "grad2": (0, 0)},
    "gelu": {"fn": (np.inf, 0), "grad": (1, 0), "grad2": (0, 0)},
    "sigmoid": {"fn": (1, 0), "grad": (0, 0), "grad2": (0, 0)},
    "log_sigmoid": {"fn": (0, -np.inf), "grad": (0, 1), "grad2": (0, 0)},
    "tanh": {"fn": (1, -1), "grad": (0, 0), "grad2": (0, 0)},
    "arctan": {"fn": (np.pi / 2, -np.pi / 2), "grad": (0, 0), "grad2": (0, 0)},
    "softsign": {"fn": (1, -1), "grad": (0, 0), "grad2": (0, 0)},
    "softplus": {"fn": (np.inf, 0), "grad": (1, 0), "grad2": (0, 0)},
    "silu": {"fn": (np.inf, 0), "grad": (1, 0), "grad2": (0, 0)},
    "swish": {"fn": (np.inf, 0), "grad": (1, 0), "grad2": (0, 0)},
    "mish": {"fn": (np.inf, 0), "grad": (1, 0), "grad2": (0, 0)},
    "exponential": {"fn": (np.inf, 0), "grad": (np.inf, 0), "grad2": (np.inf, 0)},
    "hardsigmoid": {"fn": (1, 0), "grad": (0, 0), "grad2": (0, 0)},
    "hardtanh": {"fn": (1, -1), "grad": (0, 0), "grad2": (0, 0)},
    "relu6": {"fn": (6, 0), "grad": (0, 0), "grad2": (0, 0)},
    "hardswish": {"fn": (np.inf, 0), "grad": (1, 0), "grad2": (0, 0)},
}


@pytest.mark.parametrize("name,op,params", [
    pytest.param(n, op, p, id=f"{n}{p or ''}.{op}") for n in NAMES for op in ops_of(n)
    for p in ([{}, {"approximate": "tanh"}] if n == "gelu" else [{}])])
def test_infinite_inputs_give_limits(name, op, params):
    got = call(name, op, np.array([np.inf, -np.inf]), params)
    exp = np.array(INF_LIMITS[name][op], dtype=np.float64)
    np.testing.assert_allclose(got, exp, rtol=1e-15, atol=0,
                               err_msg=f"{name}.{op}{params} at [+inf, -inf]")


# ---------------------------------------------------------------------------
# Kinks: left-hand derivative
# ---------------------------------------------------------------------------

KINKS = [
    ("relu", {}, "fn", 0.0, 0.0),
    ("relu", {}, "grad", 0.0, 0.0),
    ("relu", {}, "grad2", 0.0, 0.0),
    ("leaky_relu", {}, "grad", 0.0, 0.01),
    ("leaky_relu", {"negative_slope": 0.2}, "grad", 0.0, 0.2),
    ("prelu", {}, "grad", 0.0, 0.25),
    ("prelu", {"weight": 0.1}, "grad", 0.0, 0.1),
    ("prelu", {}, "grad_weight", 0.0, 0.0),
    ("prelu", {}, "grad_weight", -2.0, -2.0),
    ("prelu", {}, "grad_weight", 2.0, 0.0),
    ("elu", {}, "grad", 0.0, 1.0),
    ("elu", {"alpha": 0.5}, "grad", 0.0, 0.5),
    ("elu", {"alpha": 0.5}, "grad2", 0.0, 0.5),
    ("selu", {}, "grad", 0.0, float(SELU_SCALE * SELU_ALPHA)),
    ("selu", {}, "grad2", 0.0, float(SELU_SCALE * SELU_ALPHA)),
    ("celu", {"alpha": 0.5}, "grad", 0.0, 1.0),
    ("celu", {"alpha": 0.5}, "grad2", 0.0, 2.0),
    ("hardtanh", {}, "grad", -1.0, 0.0),
    ("hardtanh", {}, "grad", 1.0, 1.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, "grad", -2.0, 0.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, "grad", 3.0, 1.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, "fn", 3.0, 3.0),
    ("hardsigmoid", {}, "grad", -3.0, 0.0),
    ("hardsigmoid", {}, "grad", 3.0, 1.0 / 6.0),
    ("hardsigmoid", {}, "fn", -3.0, 0.0),
    ("hardsigmoid", {}, "fn", 3.0, 1.0),
    ("relu6", {}, "grad", 0.0, 0.0),
    ("relu6", {}, "grad", 6.0, 1.0),
    ("hardswish", {}, "grad", -3.0, 0.0),
    ("hardswish", {}, "grad", 3.0, 1.5),
    ("hardswish", {}, "grad2", -3.0, 0.0),
    ("hardswish", {}, "grad2", 3.0, 1.0 / 3.0),
    ("softsign", {}, "grad2", 0.0, 2.0),
    ("softsign", {}, "grad2", -0.0, 2.0),
]


@pytest.mark.parametrize("name,params,op,x,expected", [
    pytest.param(*k, id=f"{k[0]}{k[1] or ''}.{k[2]}({k[3]})") for k in KINKS])
def test_kink_values(name, params, op, x, expected):
    got = call(name, op, np.array([x]), params)
    assert got[0] == pytest.approx(expected, rel=1e-15, abs=0), (name, op, x, got)
    # scalar path agrees with the array path
    assert call(name, op, x, params) == got[0]


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------

X_SMALL = np.array([-7.5, -3.0, -2.5, -1.0, -0.25, 0.0, 0.5, 1.0, 2.5, 3.0, 6.0, 9.0])


@pytest.mark.parametrize("name,op", fn_op_cases())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtypes_native(name, op, dtype):
    x = X_SMALL.astype(dtype)
    got = call(name, op, x)
    assert isinstance(got, np.ndarray)
    assert got.dtype == dtype
    ref = reference(name, op, x.astype(np.float64))
    tol = 1e-12 if dtype == np.float64 else 2e-6
    assert_close(got, ref, x, rtol=tol, atol=tol * 1e-3, what=f"{name}.{op} {np.dtype(dtype)}")


@pytest.mark.parametrize("name,op", fn_op_cases())
def test_float16_computed_in_float32(name, op):
    x = np.concatenate([X_SMALL, np.linspace(-20, 20, 97)]).astype(np.float16)
    got = call(name, op, x)
    assert got.dtype == np.float16
    with np.errstate(over="ignore"):
        expected = call(name, op, x.astype(np.float32)).astype(np.float16)
    assert_same(got, expected)


INT_DTYPES = ["?", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8"]


@pytest.mark.parametrize("name,op", fn_op_cases())
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_bool_and_integer_promote_to_float64(name, op, dtype):
    x = (np.array([0, 1, 1, 0, 1]) if dtype == "?" else np.array([0, 1, 2, 3, 5, 7])).astype(dtype)
    if dtype[0] == "i":
        x = np.concatenate([x, -x]).astype(dtype)
    got = call(name, op, x)
    assert got.dtype == np.float64
    assert_same(got, call(name, op, x.astype(np.float64)))


def _rejected_inputs():
    return [
        pytest.param(np.array([1 + 2j, 3j]), id="complex128"),
        pytest.param(np.array([1 + 2j], np.complex64), id="complex64"),
        pytest.param(np.array([1.0, 2.0], dtype=object), id="object"),
        pytest.param(np.array(["a", "bc"]), id="str"),
        pytest.param(np.array([b"a", b"bc"]), id="bytes"),
        pytest.param(np.array(["2020-01-01"], dtype="M8[D]"), id="datetime64"),
        pytest.param(np.array([1, 2], dtype="m8[s]"), id="timedelta64"),
        pytest.param(np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]), id="structured"),
        pytest.param(np.zeros(2, dtype="V8"), id="void"),
        pytest.param(np.ones(3, dtype=np.longdouble), id="longdouble"),
        pytest.param(np.ones(3, dtype=np.clongdouble), id="clongdouble"),
    ]


def _dtype_names(dt):
    dt = np.dtype(dt)
    names = {dt.name, str(dt), dt.str, repr(dt), dt.type.__name__}
    words = {"c": ["complex"], "O": ["object"], "U": ["str", "unicode"], "S": ["bytes"],
             "M": ["datetime"], "m": ["timedelta"], "V": ["void", "structured"],
             "f": ["longdouble", "float128", "float96"]}.get(dt.kind, [])
    return {n.lower() for n in names} | set(words)


@pytest.mark.parametrize("x", _rejected_inputs())
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("op", ["fn", "grad", "grad2"])
def test_rejected_dtypes(name, op, x):
    with pytest.raises(TypeError) as ei:
        call(name, op, x)
    msg = str(ei.value).lower()
    assert any(n in msg for n in _dtype_names(x.dtype)), msg
    assert "float64" in msg and "float32" in msg, msg


@pytest.mark.parametrize("bad", [1j, "abc", b"abc", np.longdouble(1), np.complex128(1),
                                 [1j, 2.0], ["a"]], ids=repr)
def test_rejected_scalars_and_lists(bad):
    with pytest.raises(TypeError):
        fastact.relu(bad)
    with pytest.raises(TypeError):
        fastact.sigmoid.grad(bad)


@pytest.mark.parametrize("name", NAMES)
def test_non_native_byte_order(name):
    x = np.linspace(-6, 6, 41)
    for dt in (np.dtype("f8").newbyteorder(), np.dtype("f4").newbyteorder()):
        xs = x.astype(dt)
        assert not xs.dtype.isnative
        for op in ops_of(name):
            got = call(name, op, xs)
            native = call(name, op, xs.astype(xs.dtype.newbyteorder("=")))
            assert got.dtype.isnative, got.dtype
            assert_same(got, native)


# ---------------------------------------------------------------------------
# Shapes, strides, scalars, lists
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4, 2), (1,), (5,), (2, 3), (2, 3, 4),
                                   (1, 1, 1, 7), (3, 1, 2, 1, 2)])
def test_shapes(name, shape):
    x = _rng.uniform(-5, 5, shape)
    for op in ops_of(name):
        got = call(name, op, x)
        assert isinstance(got, np.ndarray)
        assert got.shape == shape and got.dtype == np.float64
        assert_close(got, reference(name, op, x), x, what=f"{name}.{op} shape {shape}")


def _strided_views():
    base = _rng.uniform(-6, 6, (6, 10, 8))
    return {
        "step2": base[:, ::2, :],
        "negative": base[::-1, :, ::-1],
        "neg_step3": base[:, ::-3, 1::2],
        "fortran": np.asfortranarray(base),
        "transposed": base.transpose(2, 0, 1),
        "1d_neg": base.ravel()[::-7],
        "broadcast": np.broadcast_to(base[0, 0], (5, 3, 8)),
        "broadcast_col": np.broadcast_to(base[:, :1, 0], (6, 9)),
        "scalar_bcast": np.broadcast_to(np.float64(1.5), (4, 4)),
        "float32_step": base.astype(np.float32)[::2, 1::3, ::-1],
    }


_VIEWS = _strided_views()


@pytest.mark.parametrize("view", list(_VIEWS), ids=list(_VIEWS))
@pytest.mark.parametrize("name", NAMES)
def test_strided_inputs(name, view):
    x = _VIEWS[view]
    xc = np.ascontiguousarray(x)
    for op in ops_of(name):
        got = call(name, op, x)
        assert got.shape == x.shape
        assert bits_equal(got, call(name, op, xc)), (name, op, view)


@pytest.mark.parametrize("name", NAMES)
def test_input_not_modified(name):
    x = _rng.uniform(-5, 5, 100)
    x0 = x.copy()
    for op in ops_of(name):
        call(name, op, x)
        call(name, op, x, out=np.empty_like(x))
    assert bits_equal(x, x0)


@pytest.mark.parametrize("name,op", fn_op_cases())
def test_scalars_give_numpy_scalars(name, op):
    for s, t in [(1.5, np.float64), (-2, np.float64), (True, np.float64),
                 (np.float64(0.75), np.float64), (np.float32(0.75), np.float32),
                 (np.float16(0.75), np.float16), (np.int32(3), np.float64),
                 (np.array(-1.25), np.float64), (np.array(0.5, np.float32), np.float32)]:
        got = call(name, op, s)
        assert type(got) is t, (s, type(got))
        arr = call(name, op, np.array([s], dtype=np.asarray(s).dtype))
        assert bits_equal(np.asarray(got), arr[0]), (s, got, arr[0])


def test_scalar_nan():
    for name in NAMES:
        for op in ops_of(name):
            got = call(name, op, math.nan)
            assert type(got) is np.float64 and np.isnan(got), (name, op, got)


@pytest.mark.parametrize("name", NAMES)
def test_lists(name):
    lst = [[-2.0, -0.5, 0.0], [0.5, 1.0, 4.0]]
    ints = [[-2, 0, 3], [1, 2, 7]]
    for op in ops_of(name):
        got = call(name, op, lst)
        assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (2, 3)
        assert_same(got, call(name, op, np.array(lst)))
        got = call(name, op, ints)
        assert got.dtype == np.float64
        assert_same(got, call(name, op, np.array(ints, dtype=np.float64)))
        assert call(name, op, []).shape == (0,)


# ---------------------------------------------------------------------------
# out=
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,op", fn_op_cases())
def test_out_returns_out(name, op):
    x = _rng.uniform(-5, 5, (4, 5))
    expected = call(name, op, x)
    out = np.full_like(x, np.nan)
    r = call(name, op, x, out=out)
    assert r is out
    assert_same(out, expected)
    # None is the default
    assert_same(call(name, op, x, out=None), expected)
    # float32 and float16
    for dt in (np.float32, np.float16):
        xd = x.astype(dt)
        out = np.empty(x.shape, dt)
        assert call(name, op, xd, out=out) is out
        assert_same(out, call(name, op, xd))


@pytest.mark.parametrize("name", NAMES)
def test_out_with_scalars_and_integer_input(name):
    out = np.empty(())
    r = call(name, "fn", 1.5, out=out)
    assert r is out and out.shape == ()
    assert out[()] == call(name, "fn", 1.5)
    out32 = np.empty((), np.float32)
    assert call(name, "grad", np.float32(0.5), out=out32) is out32
    assert out32[()] == call(name, "grad", np.float32(0.5))
    xi = np.arange(-3, 4)
    out = np.empty(7)
    assert call(name, "fn", xi, out=out) is out
    assert_same(out, call(name, "fn", xi.astype(np.float64)))
    out = np.empty((2, 2))
    assert call(name, "fn", [[1, 2], [3, 4]], out=out) is out


@pytest.mark.parametrize("name", NAMES)
def test_out_non_contiguous(name):
    x = _rng.uniform(-6, 6, (5, 7))
    for op in ops_of(name):
        big = np.full((10, 14), 12345.0)
        out = big[::2, ::-2]
        assert call(name, op, x, out=out) is out
        assert_same(out, call(name, op, x))
        # untouched elements of the parent buffer stay untouched
        assert np.all(big[1::2, :] == 12345.0) and np.all(big[::2, ::2] == 12345.0)
        out = np.empty((7, 5)).T
        assert call(name, op, x, out=out) is out
        assert_same(out, call(name, op, x))


def _sentinel(shape, dtype=np.float64):
    return np.full(shape, -777.25, dtype=dtype)


@pytest.mark.parametrize("name", NAMES)
def test_out_errors_leave_out_untouched(name):
    x = _rng.uniform(-5, 5, (3, 4))
    for op in ops_of(name):
        f = op_func(name, op)
        # wrong type
        for bad in ([0.0] * 12, 3.0, np.float64(1.0), memoryview(bytearray(96))):
            with pytest.raises(TypeError):
                f(x, out=bad)
        # wrong dtype
        for dt in (np.float32, np.float16, np.int64, np.complex128, np.longdouble):
            out = _sentinel(x.shape, dt)
            with pytest.raises(TypeError):
                f(x, out=out)
            assert np.all(out == _sentinel(x.shape, dt))
        out = _sentinel(x.shape, np.float64)
        with pytest.raises(TypeError):
            f(x.astype(np.float32), out=out)
        with pytest.raises(TypeError):
            f(x.astype(np.float16), out=out)
        with pytest.raises(TypeError):  # bool/int inputs give float64, not float32
            f(np.ones(x.shape, dtype=np.int32), out=_sentinel(x.shape, np.float32))
        assert bits_equal(out, _sentinel(x.shape))
        # wrong shape (including broadcastable and same-size shapes)
        for shp in [(3, 5), (12,), (4, 3), (1, 3, 4), (2, 3, 4), (3, 1), ()]:
            out = _sentinel(shp)
            with pytest.raises(ValueError):
                f(x, out=out)
            assert bits_equal(out, _sentinel(shp))
        # read-only
        out = _sentinel(x.shape)
        out.flags.writeable = False
        with pytest.raises(ValueError):
            f(x, out=out)
        assert bits_equal(out, _sentinel(x.shape))
        # bad input dtype
        out = _sentinel(x.shape)
        with pytest.raises(TypeError):
            f(x.astype(np.complex128), out=out)
        assert bits_equal(out, _sentinel(x.shape))
        # scalar input, non-0-d out
        out = _sentinel((1,))
        with pytest.raises(ValueError):
            f(1.0, out=out)
        assert bits_equal(out, _sentinel((1,)))


@pytest.mark.parametrize("name,op", fn_op_cases())
def test_in_place(name, op):
    x = _rng.uniform(-6, 6, (3, 50))
    expected = call(name, op, x)
    y = x.copy()
    assert call(name, op, y, out=y) is y
    assert_same(y, expected)
    # in place on a non-contiguous view
    buf = np.repeat(x, 2, axis=1)
    v = buf[:, ::2]
    assert call(name, op, v, out=v) is v
    assert_same(v, expected)
    assert_same(buf[:, 1::2], x)
    # float32 in place
    x32 = x.astype(np.float32)
    e32 = call(name, op, x32)
    assert call(name, op, x32, out=x32) is x32
    assert_same(x32, e32)


@pytest.mark.parametrize("name,op", fn_op_cases())
@pytest.mark.parametrize("n", [1, 7, 1000])
def test_partial_overlap(name, op, n):
    buf0 = _rng.uniform(-6, 6, n + 1)
    # out ahead of the input
    buf = buf0.copy()
    expected = call(name, op, buf[:-1].copy())
    assert call(name, op, buf[:-1], out=buf[1:]) is not None
    assert_same(buf[1:], expected)
    # out behind the input
    buf = buf0.copy()
    expected = call(name, op, buf[1:].copy())
    call(name, op, buf[1:], out=buf[:-1])
    assert_same(buf[:-1], expected)
    # out is the reversed input
    buf = buf0.copy()
    expected = call(name, op, buf.copy())
    call(name, op, buf, out=buf[::-1])
    assert_same(buf[::-1], expected)
    # interleaved: input the even elements, out the first half
    buf = np.concatenate([buf0, buf0])
    x = buf[::2]
    expected = call(name, op, x.copy())
    call(name, op, x, out=buf[: x.size])
    assert_same(buf[: x.size], expected)


# ---------------------------------------------------------------------------
# Parameter validation
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", BAD_PARAMS, ids=[_bad_id(c) for c in BAD_PARAMS])
def test_bad_params_raise_and_leave_out_untouched(case):
    name, params, pnames = case
    x = np.linspace(-3, 3, 9)
    for op in ops_of(name):
        f = op_func(name, op)
        with pytest.raises(ValueError) as ei:
            f(x, **params)
        assert any(p in str(ei.value) for p in pnames), str(ei.value)
        with pytest.raises(ValueError):
            f(1.0, **params)
        with pytest.raises(ValueError):  # positional too
            f(x, *full_params(name, params).values())
        out = _sentinel(x.shape)
        with pytest.raises(ValueError):
            f(x, **params, out=out)
        assert bits_equal(out, _sentinel(x.shape))
        # in place: the input must survive as well
        y = x.copy()
        with pytest.raises(ValueError):
            f(y, **params, out=y)
        assert bits_equal(y, x)


def test_hardtanh_equal_bounds_allowed():
    x = np.linspace(-2, 2, 9)
    np.testing.assert_array_equal(fastact.hardtanh(x, 0.5, 0.5), np.full(9, 0.5))
    np.testing.assert_array_equal(fastact.hardtanh.grad(x, 0.5, 0.5), np.zeros(9))


@pytest.mark.parametrize("name", ["elu", "leaky_relu", "prelu", "swish", "affine"])
def test_negative_and_zero_finite_params_allowed(name):
    x = np.linspace(-3, 3, 13)
    pname = PARAMS[name][0][0]
    for v in (-2.0, 0.0):
        for op in ops_of(name):
            assert_close(call(name, op, x, {pname: v}), reference(name, op, x, **{pname: v}),
                         x, what=f"{name}.{op}({pname}={v})")


# ---------------------------------------------------------------------------
# NaN propagation
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,params,op", cases())
def test_nan_in_nan_out(name, params, op):
    x = np.array([np.nan, -1.0, np.nan, 0.0, 2.0, -np.nan])
    got = call(name, op, x, params)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(x), err_msg=f"{name}.{op}{params}")
    got32 = call(name, op, x.astype(np.float32), params)
    np.testing.assert_array_equal(np.isnan(got32), np.isnan(x), err_msg=f"{name}.{op} f32")


# ---------------------------------------------------------------------------
# Large arrays (threaded path) equal the small-array results
# ---------------------------------------------------------------------------

LARGE = [("relu", {}), ("sigmoid", {}), ("gelu", {"approximate": "tanh"}),
         ("softplus", {"beta": 2.0}), ("hardtanh", {"min_val": -2.0, "max_val": 3.0}),
         ("mish", {}), ("elu", {"alpha": 0.5})]


def _chunked(name, op, x, params, chunk=512):
    return np.concatenate([call(name, op, x[i:i + chunk], params)
                           for i in range(0, x.size, chunk)])


@pytest.fixture(scope="module")
def large_x():
    rng = np.random.default_rng(7)
    return rng.uniform(-8, 8, 3_000_000)


@pytest.mark.parametrize("name,params", LARGE, ids=[n for n, _ in LARGE])
def test_large_arrays_equal_small(name, params, large_x):
    x = large_x
    for op in OPS:
        full = call(name, op, x, params)
        assert bits_equal(full, _chunked(name, op, x, params)), (name, op)
        assert bits_equal(call(name, op, x, params), full), "not deterministic"
    # float32, non-contiguous and out= on the big path
    x32 = x.astype(np.float32)
    assert bits_equal(call(name, "grad", x32, params), _chunked(name, "grad", x32, params))
    xs = x[::-2]
    assert bits_equal(call(name, "fn", xs, params),
                      _chunked(name, "fn", np.ascontiguousarray(xs), params))
    out = np.empty((x.size // 3, 3)).T
    assert call(name, "fn", x.reshape(3, -1), params, out=out) is out
    assert bits_equal(out, call(name, "fn", x, params).reshape(3, -1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identity_keeps_every_bit(dtype):
    # identity in place does nothing at all (the loop returns at once): the
    # array must come back bit for bit, NaN payloads, signed zeros and
    # subnormals included, in place and with out=.
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, tiny, -tiny, 1.5, -3.25],
                 dtype=dtype)
    x[0] = np.frombuffer(np.array([0x7FC12345 if dtype == np.float32 else
                                   0x7FF8000000012345],
                                  dtype=np.uint32 if dtype == np.float32 else np.uint64
                                  ).tobytes(), dtype=dtype)[0]      # a NaN with a payload
    x = np.tile(x, 500)                 # past the threshold of the threads
    y = x.copy()
    assert fastact.identity(y, out=y) is y
    assert bits_equal(y, x)
    out = np.full_like(x, 7.0)
    assert bits_equal(fastact.identity(x, out=out), x)


@pytest.mark.parametrize("name", ["sigmoid", "hardtanh"])
def test_large_in_place_and_overlap(name, large_x):
    x = large_x
    expected = call(name, "fn", x)
    y = x.copy()
    call(name, "fn", y, out=y)
    assert bits_equal(y, expected)
    buf = np.concatenate([x, [0.5]])
    call(name, "fn", buf[:-1], out=buf[1:])
    assert bits_equal(buf[1:], expected)
    buf = np.concatenate([[0.5], x])
    call(name, "fn", buf[1:], out=buf[:-1])
    assert bits_equal(buf[:-1], expected)
    buf = x.copy()
    call(name, "fn", buf, out=buf[::-1])
    assert bits_equal(buf[::-1], expected)


# ---------------------------------------------------------------------------
# Class API
# ---------------------------------------------------------------------------

# (class name, ctor args, ctor kwargs, functional name, functional params)
CLASS_MAP = [
    ("Affine", (), {}, "affine", {"slope": 1.0, "intercept": 0.0}),
    ("Affine", (2.5, -1.0), {}, "affine", {"slope": 2.5, "intercept": -1.0}),
    ("Affine", (), {"slope": -0.5, "intercept": 3.0}, "affine", {"slope": -0.5, "intercept": 3.0}),
    ("Identity", (), {}, "identity", {}),
    ("ELU", (), {}, "elu", {"alpha": 1.0}),
    ("ELU", (0.5,), {}, "elu", {"alpha": 0.5}),
    ("ELU", (), {"alpha": 2.0}, "elu", {"alpha": 2.0}),
    ("LeakyReLU", (), {}, "leaky_relu", {"negative_slope": 0.3}),
    ("LeakyReLU", (0.1,), {}, "leaky_relu", {"negative_slope": 0.1}),
    ("LeakyReLU", (), {"alpha": 0.05}, "leaky_relu", {"negative_slope": 0.05}),
    ("PReLU", (), {}, "prelu", {"weight": 0.25}),
    ("PReLU", (), {"alpha": 0.7}, "prelu", {"weight": 0.7}),
    ("GELU", (), {}, "gelu", {"approximate": "tanh"}),
    ("GELU", (True,), {}, "gelu", {"approximate": "tanh"}),
    ("GELU", (), {"approximate": False}, "gelu", {"approximate": "none"}),
    ("SELU", (), {}, "selu", {}),
    ("CELU", (), {}, "celu", {"alpha": 1.0}),
    ("CELU", (), {"alpha": 0.5}, "celu", {"alpha": 0.5}),
    ("Sigmoid", (), {}, "sigmoid", {}),
    ("LogSigmoid", (), {}, "log_sigmoid", {}),
    ("Tanh", (), {}, "tanh", {}),
    ("Arctan", (), {}, "arctan", {}),
    ("SoftSign", (), {}, "softsign", {}),
    ("ReLU", (), {}, "relu", {}),
    ("Exponential", (), {}, "exponential", {}),
    ("SoftPlus", (), {}, "softplus", {"beta": 1.0}),
    ("SiLU", (), {}, "silu", {}),
    ("Swish", (), {}, "swish", {"beta": 1.0}),
    ("Swish", (), {"beta": 2.0}, "swish", {"beta": 2.0}),
    ("Mish", (), {}, "mish", {}),
    ("HardTanh", (), {}, "hardtanh", {"min_val": -1.0, "max_val": 1.0}),
    ("HardTanh", (-2.0, 3.0), {}, "hardtanh", {"min_val": -2.0, "max_val": 3.0}),
    ("HardTanh", (), {"min_val": -0.5, "max_val": 0.5}, "hardtanh", {"min_val": -0.5, "max_val": 0.5}),
    ("ReLU6", (), {}, "relu6", {}),
    ("HardSwish", (), {}, "hardswish", {}),
]

X_CLASS = np.unique(np.concatenate([
    _rng.uniform(-30, 30, 500), np.linspace(-8, 8, 321),
    [0.0, -1.0, 1.0, -2.5, 2.5, -3.0, 3.0, 6.0, -2.0, 0.5, -0.5]]))


def _cm_id(c):
    return f"{c[0]}{c[1] or ''}{c[2] or ''}"


@pytest.mark.parametrize("cls,args,kwargs,fname,fparams", CLASS_MAP,
                         ids=[_cm_id(c) for c in CLASS_MAP])
def test_class_equals_functional(cls, args, kwargs, fname, fparams):
    obj = getattr(fastact, cls)(*args, **kwargs)
    x = X_CLASS
    for op in OPS:
        expected = call(fname, op, x, fparams)
        got = getattr(obj, op)(x)
        assert_same(got, expected)
        out = np.empty_like(x)
        assert getattr(obj, op)(x, out=out) is out
        assert_same(out, expected)
        x32 = x.astype(np.float32)
        assert_same(getattr(obj, op)(x32), call(fname, op, x32, fparams))
    assert_same(obj(x), call(fname, "fn", x, fparams))
    out = np.empty_like(x)
    assert obj(x, out=out) is out
    assert_same(out, call(fname, "fn", x, fparams))
    x2 = x[:300].reshape(3, 100)
    assert_same(obj(x2), call(fname, "fn", x2, fparams))
    if cls == "PReLU":
        assert_same(obj.grad_alpha(x), call("prelu", "grad_weight", x, fparams))


def test_class_call_keeps_1d_shape():
    x = np.linspace(-2, 2, 5)
    for cls in ("ReLU", "Sigmoid", "Affine", "Identity", "HardSigmoid", "GELU"):
        assert getattr(fastact, cls)()(x).shape == (5,)


@pytest.mark.parametrize("args,kwargs", [((), {})])
def test_class_hardsigmoid_numpy_ml_flavour(args, kwargs):
    hs = fastact.HardSigmoid(*args, **kwargs)
    x = X_CLASS
    xl = x.astype(LD)
    inside = (xl > -2.5) & (xl <= 2.5)
    assert_close(hs.fn(x), np.clip((xl + LD(2.5)) / 5, 0, 1), x, what="HardSigmoid.fn")
    assert_close(hs(x), np.clip((xl + LD(2.5)) / 5, 0, 1), x, what="HardSigmoid()")
    assert_same(hs.grad(x), np.where(inside, 0.2, 0.0))
    assert_same(hs.grad2(x), np.zeros_like(x))
    assert hs.grad(np.array([-2.5]))[0] == 0.0
    assert hs.grad(np.array([2.5]))[0] == 0.2
    assert hs.fn(np.array([-2.5]))[0] == 0.0
    assert hs.fn(np.array([2.5]))[0] == 1.0


def test_class_hardsigmoid_out():
    x = np.linspace(-4, 4, 17)
    out = np.empty_like(x)
    for op in OPS:
        r = getattr(fastact.HardSigmoid(), op)(x, out=out)
        assert r is out
        assert_same(out, getattr(fastact.HardSigmoid(), op)(x))


STRS = [
    (("Affine", (), {}), "Affine(slope=1, intercept=0)"),
    (("Affine", (), {"slope": 2.5, "intercept": -1.5}), "Affine(slope=2.5, intercept=-1.5)"),
    (("ELU", (), {}), "ELU(alpha=1.0)"),
    (("ELU", (), {"alpha": 0.5}), "ELU(alpha=0.5)"),
    (("LeakyReLU", (), {}), "Leaky ReLU(alpha=0.3)"),
    (("LeakyReLU", (0.1,), {}), "Leaky ReLU(alpha=0.1)"),
    (("GELU", (), {}), "GELU(approximate=True)"),
    (("GELU", (False,), {}), "GELU(approximate=False)"),
    (("SELU", (), {}), "SELU"),
    (("Sigmoid", (), {}), "Sigmoid"),
    (("Tanh", (), {}), "Tanh"),
    (("ReLU", (), {}), "ReLU"),
    (("Exponential", (), {}), "Exponential"),
    (("HardSigmoid", (), {}), "Hard Sigmoid"),
    (("SoftPlus", (), {}), "SoftPlus"),
    (("Identity", (), {}), "Identity"),
]


@pytest.mark.parametrize("ctor,expected", STRS, ids=[s for _, s in STRS])
def test_class_str(ctor, expected):
    cls, args, kwargs = ctor
    assert str(getattr(fastact, cls)(*args, **kwargs)) == expected


@pytest.mark.parametrize("cls", sorted({c[0] for c in CLASS_MAP} | {"HardSigmoid"}))
def test_class_str_exists(cls):
    s = str(getattr(fastact, cls)())
    assert isinstance(s, str) and s


CLASS_KINKS = [
    ("LeakyReLU", {}, "grad", 0.0, 0.3),
    ("LeakyReLU", {"alpha": 0.1}, "grad", 0.0, 0.1),
    ("ReLU", {}, "grad", 0.0, 0.0),
    ("ELU", {"alpha": 0.5}, "grad", 0.0, 0.5),
    ("ELU", {"alpha": 0.5}, "grad2", 0.0, 0.5),
    ("SELU", {}, "grad", 0.0, float(SELU_SCALE * SELU_ALPHA)),
    ("SELU", {}, "grad2", 0.0, float(SELU_SCALE * SELU_ALPHA)),
    ("HardSigmoid", {}, "grad", -2.5, 0.0),
    ("HardSigmoid", {}, "grad", 2.5, 0.2),
    ("HardTanh", {}, "grad", -1.0, 0.0),
    ("HardTanh", {}, "grad", 1.0, 1.0),
    ("PReLU", {}, "grad", 0.0, 0.25),
    ("ReLU6", {}, "grad", 6.0, 1.0),
    ("HardSwish", {}, "grad", 3.0, 1.5),
]


@pytest.mark.parametrize("cls,kwargs,op,x,expected", CLASS_KINKS,
                         ids=[f"{c[0]}{c[1] or ''}.{c[2]}({c[3]})" for c in CLASS_KINKS])
def test_class_kinks(cls, kwargs, op, x, expected):
    got = getattr(getattr(fastact, cls)(**kwargs), op)(np.array([x]))
    assert got[0] == pytest.approx(expected, rel=1e-15, abs=0)


def test_class_relu_grad_is_float():
    g = fastact.ReLU().grad(np.array([-1.0, 0.0, 2.0]))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    g32 = fastact.ReLU().grad(np.array([-1.0, 0.0, 2.0], np.float32))
    assert g32.dtype == np.float32


# ---------------------------------------------------------------------------
# grad and grad2 are the derivatives of fn and grad (central differences)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,params,op", [
    c for c in cases() if c.values[2] in ("grad", "grad2")])
def test_derivatives_by_central_differences(name, params, op):
    prev = {"grad": "fn", "grad2": "grad"}[op]
    fp = full_params(name, params)
    kinks = [0.0, -3.0, 3.0, 6.0] + [v for v in fp.values() if not isinstance(v, str)]
    x = np.linspace(-4.9, 4.9, 199)
    x = x[np.min(np.abs(x[:, None] - np.array(kinks)[None, :]), axis=1) > 1e-3]
    h = 1e-5
    fd = (call(name, prev, x + h, params) - call(name, prev, x - h, params)) / (2 * h)
    np.testing.assert_allclose(call(name, op, x, params), fd, rtol=1e-6, atol=1e-7,
                               err_msg=f"{name}.{op}{params} vs d/dx {name}.{prev}")


# ---------------------------------------------------------------------------
# Extreme finite inputs and parameters: never NaN (deterministic grid)
# ---------------------------------------------------------------------------

_BIG = [np.finfo(np.float64).max, 1e308, 3.3e303, 1e300, 1.2345e250, 1e200, 1.1e164, 1e155,
        1e154, 1e103, 1e20,
        1000.0, 710.0, 40.0, 1.0, 1e-10, 1e-300, 5e-324]
X_EXTREME = np.array(sorted(_BIG + [-v for v in _BIG] + [0.0]))

EXTREME_PARAMS = {
    "affine": [{"slope": 1e300, "intercept": -1e300}, {"slope": -1e-300, "intercept": 1e300}],
    "leaky_relu": [{"negative_slope": 100.0}, {"negative_slope": -1e-300}],
    "prelu": [{"weight": -100.0}],
    "elu": [{"alpha": 1e300}, {"alpha": -1e300}, {"alpha": 1e-300}],
    "celu": [{"alpha": 1e-300}, {"alpha": 1e-20}, {"alpha": 1e300}],
    "softplus": [{"beta": 1e-300}, {"beta": 1e300}, {"beta": 1e20}, {"beta": 25.0}],
    "swish": [{"beta": 1.5}, {"beta": -1.5}, {"beta": 25.0}, {"beta": -25.0}, {"beta": 1e300}, {"beta": -1e-300}, {"beta": 0.0}],
    "gelu": [{"approximate": "tanh"}],
    "hardtanh": [{"min_val": -1e308, "max_val": 1e308}, {"min_val": 1e300, "max_val": 1e300}],
}
# (name, op) whose exact value may overflow for finite x: inf fine, NaN never.
MAY_OVERFLOW = {("affine", "fn"), ("leaky_relu", "fn"), ("prelu", "fn"), ("selu", "fn"),
                ("exponential", "fn"), ("exponential", "grad"), ("exponential", "grad2")}


@pytest.mark.parametrize("name,params,op", [
    pytest.param(n, p, op, id=f"{n}{p or ''}.{op}")
    for n in NAMES for p in [{}] + EXTREME_PARAMS.get(n, []) for op in ops_of(n)])
def test_extreme_finite_inputs_no_nan(name, params, op):
    for dt in (np.float64, np.float32):
        x = X_EXTREME.astype(dt) if dt == np.float64 else np.unique(
            np.clip(X_EXTREME, -3e38, 3e38).astype(np.float32))
        if dt == np.float32 and any(v != 0 and not 1e-30 < abs(v) < 1e30
                                    for v in params.values() if not isinstance(v, str)):
            continue  # e.g. softplus(x, beta=1e-300) ~ log(2)/beta overflows float32
        got = call(name, op, x, params)
        ok = ~np.isnan(got) if (name, op) in MAY_OVERFLOW else np.isfinite(got)
        assert ok.all(), (f"{name}.{op}{params} {np.dtype(dt)}: x={x[~ok].tolist()} "
                          f"-> {got[~ok].tolist()}")
