"""High-precision (mpmath) reference values for fastact's accuracy tests.

Everything here is derived from the closed-form definitions of the activations
(not from fastact's kernels).  Each reference op takes an exact ``mpf`` input and
the activation's parameters (exact ``mpf`` values of the Python floats passed to
fastact) and returns the true value at the current ``mp.dps`` (``DPS`` = 50 by
default).  Formulas are written so that they do not cancel catastrophically
anywhere on the real line, e.g. ``sigmoid(x) * (1 - sigmoid(x))`` is evaluated as
``e / (1 + e)**2`` with ``e = exp(-|x|)`` and ``1 - 2 sigmoid(x)`` as
``-tanh(x / 2)``; ``test_reference_precision`` checks this by comparing dps 50
against dps 100, and ``test_reference_derivatives`` checks every grad / grad2
formula against ``mp.diff`` of the fn formula.

Kink convention: at a kink, grad and grad2 are the LEFT-hand derivative (the limit
from x < kink): relu'(0) = 0, leaky_relu'(0) = negative_slope, elu'(0) = elu''(0) =
alpha, celu''(0) = 1/alpha, selu'(0) = scale*alpha, hardtanh'(min_val) = 0,
hardtanh'(max_val) = 1, relu6'(0) = 0, relu6'(6) = 1, hardsigmoid'(-3) = 0,
hardsigmoid'(3) = 1/6, hardswish'(-3) = 0, hardswish'(3) = 3/2, hardswish''(3) = 1/3,
hardswish''(-3) = 0, softsign''(0) = +2.  Second derivatives of piecewise-linear
functions are 0.

ULP error
---------
``ulp(v, dtype)`` is the spacing of |v| rounded to ``dtype`` (the distance to the
next larger representable number), but never less than the smallest subnormal
(2**-1074 for float64, 2**-149 for float32), so a true value of 0 or a subnormal
true value is measured in units of the smallest subnormal.  The error of a
computed value c against the (unrounded) true value t is
``|c - t| / ulp(t)``, evaluated exactly in mpmath.

True values that overflow the dtype (|t| >= max_finite + ulp(max_finite)/2, i.e.
t rounds to +-inf) require the computed value to be the correctly signed inf
(error 0, else error inf).  A NaN (or an inf where the true value is finite) is
an error of inf.

Window rule (zeros that are not representable numbers): when the reference op
has a zero -- a sign change, or the boundary of a region where it is exactly 0 --
within [x - 0.05, x + 0.05] at a point that is NOT a number representable in the
dtype (gelu' near -0.75, silu' near -1.28, mish' near -1.19, gelu'' at +-sqrt(2),
swish'' near +-2.40/beta, ...), the relative accuracy of a floating-point result is
not achievable there, so the error is measured in units of
``ulp(max |true| over the window)`` instead of ``ulp(|true(x)|)``; the maximum is
taken over 41 equally spaced points of the window (plus x itself).  Zeros AT
representable numbers (x = 0 for identity/tanh/gelu/sigmoid''..., the kinks of
relu/hardsigmoid/hardswish/hardtanh, the flat zero regions of relu' etc.) do not
widen the unit: the result must be accurate to ulp(|true(x)|) there, e.g.
tanh(1e-300) = 1e-300 and relu'(x < 0) = 0 exactly.  The zeros are located once
per (activation, params, op) by scanning the reference on [-40, 40] with step
0.05 and bisecting every sign/zero transition to ~1e-35; a zero is
"representable" when it lies within 1e-30 of a number of the dtype.  affine's fn
is exempt from the window rule (the spec promises one fused multiply-add, so it
must be accurate to 1 ULP even next to its root).

Parameters in float32 tests: an explicitly passed float parameter is first
rounded to float32 (and the reference uses that exact value), so the true value
does not depend on whether fastact converts parameters to float32 or keeps them
in double.  Defaults that are not passed (leaky_relu's 0.01) are referenced at
their exact double value.  The selu and gelu(tanh) constants are the exact
decimals of the spec.
"""

import math
import warnings

import numpy as np
from mpmath import mp, mpf

DPS = 50
mp.dps = DPS

OPS = ("fn", "grad", "grad2")
DTYPES = ("float32", "float64")

# ---------------------------------------------------------------------------
# building blocks (exact-input, cancellation-free)
# ---------------------------------------------------------------------------


def _sig(z):
    """logistic sigmoid 1 / (1 + exp(-z)); only ever exponentiates -|z|."""
    if z >= 0:
        return 1 / (1 + mp.exp(-z))
    e = mp.exp(z)
    return e / (1 + e)


def _sigd(z):
    """sigmoid(z) * (1 - sigmoid(z)) = e / (1 + e)^2 with e = exp(-|z|)."""
    e = mp.exp(-abs(z))
    return e / (1 + e) ** 2


def _erfc(z):
    """erfc that also works for |z| beyond what mpmath.erfc accepts."""
    if z < 0:
        return 2 - _erfc(-z)
    if z > 1000000:
        # asymptotic series; term ratio <= (2n+1)/(2 z^2) < 1e-11
        tot = mpf(0)
        term = mpf(1)
        z2 = 2 * z * z
        for n in range(12):
            tot += term
            term *= -(2 * n + 1) / z2
        return mp.exp(-z * z) / (z * mp.sqrt(mp.pi)) * tot
    return mp.erfc(z)


def _Phi(x):
    """standard normal CDF."""
    return _erfc(-x / mp.sqrt(2)) / 2


def _phi(x):
    """standard normal density."""
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def _selu_alpha():
    return mpf("1.6732632423543772848170429916717")


def _selu_scale():
    return mpf("1.0507009873554804934193349852946")


def _zero(x, **p):
    return mpf(0)


def _one(x, **p):
    return mpf(1)


# ---------------------------------------------------------------------------
# reference ops: REF[name][op](x, **params) with mpf x and mpf params
# ---------------------------------------------------------------------------

REF = {}


def _register(name, fn, grad, grad2, **extra):
    REF[name] = dict(fn=fn, grad=grad, grad2=grad2, **extra)


_register("identity", lambda x: x, _one, _zero)

_register(
    "affine",
    lambda x, slope, intercept: slope * x + intercept,
    lambda x, slope, intercept: slope,
    _zero,
)

_register(
    "relu",
    lambda x: x if x > 0 else mpf(0),
    lambda x: mpf(1) if x > 0 else mpf(0),
    _zero,
)

_register(
    "leaky_relu",
    lambda x, negative_slope: x if x > 0 else negative_slope * x,
    lambda x, negative_slope: mpf(1) if x > 0 else negative_slope,
    _zero,
)

_register(
    "prelu",
    lambda x, weight: x if x > 0 else weight * x,
    lambda x, weight: mpf(1) if x > 0 else weight,
    _zero,
    grad_weight=lambda x, weight: mpf(0) if x > 0 else x,
)

_register(
    "elu",
    lambda x, alpha: x if x > 0 else alpha * mp.expm1(x),
    lambda x, alpha: mpf(1) if x > 0 else alpha * mp.exp(x),
    lambda x, alpha: mpf(0) if x > 0 else alpha * mp.exp(x),
)

_register(
    "selu",
    lambda x: _selu_scale() * x if x > 0 else _selu_scale() * _selu_alpha() * mp.expm1(x),
    lambda x: _selu_scale() if x > 0 else _selu_scale() * _selu_alpha() * mp.exp(x),
    lambda x: mpf(0) if x > 0 else _selu_scale() * _selu_alpha() * mp.exp(x),
)

_register(
    "celu",
    lambda x, alpha: x if x > 0 else alpha * mp.expm1(x / alpha),
    lambda x, alpha: mpf(1) if x > 0 else mp.exp(x / alpha),
    lambda x, alpha: mpf(0) if x > 0 else mp.exp(x / alpha) / alpha,
)

# gelu (exact): x Phi(x); d = Phi + x phi; d2 = phi (2 - x^2)
_register(
    "gelu",
    lambda x: x * _Phi(x),
    lambda x: _Phi(x) + x * _phi(x),
    lambda x: _phi(x) * (2 - x * x),
)


def _gelu_tanh_parts(x):
    k = mp.sqrt(2 / mp.pi)
    c = mpf("0.044715")
    u = k * (x + c * x ** 3)
    up = k * (1 + 3 * c * x * x)
    upp = 6 * c * k * x
    return u, up, upp


def _gelu_tanh_fn(x):
    # 0.5 x (1 + tanh u) = x sigmoid(2u)
    u, _, _ = _gelu_tanh_parts(x)
    return x * _sig(2 * u)


def _gelu_tanh_grad(x):
    # (1 + tanh u)/2 + x sech^2(u) u'/2, sech^2(u) = 4 sigmoid'(2u)
    u, up, _ = _gelu_tanh_parts(x)
    return _sig(2 * u) + 2 * x * up * _sigd(2 * u)


def _gelu_tanh_grad2(x):
    # sech^2(u) (u' + x u''/2 - x u'^2 tanh u)
    u, up, upp = _gelu_tanh_parts(x)
    return 4 * _sigd(2 * u) * (up + x * upp / 2 - x * up * up * mp.tanh(u))


_register("gelu_tanh", _gelu_tanh_fn, _gelu_tanh_grad, _gelu_tanh_grad2)

_register(
    "sigmoid",
    _sig,
    _sigd,
    # s (1-s) (1-2s), 1 - 2s = -tanh(x/2)
    lambda x: -_sigd(x) * mp.tanh(x / 2),
)


def _log_sigmoid_fn(x):
    if x >= 0:
        return -mp.log1p(mp.exp(-x))
    return x - mp.log1p(mp.exp(x))


_register(
    "log_sigmoid",
    _log_sigmoid_fn,
    lambda x: _sig(-x),
    lambda x: -_sigd(x),
)

_register(
    "tanh",
    mp.tanh,
    # sech^2 x = 4 sigmoid'(2x)
    lambda x: 4 * _sigd(2 * x),
    lambda x: -8 * mp.tanh(x) * _sigd(2 * x),
)

_register(
    "arctan",
    mp.atan,
    lambda x: 1 / (1 + x * x),
    lambda x: -2 * x / (1 + x * x) ** 2,
)

_register(
    "softsign",
    lambda x: x / (1 + abs(x)),
    lambda x: 1 / (1 + abs(x)) ** 2,
    # -2 sign(x) / (1+|x|)^3, left-hand value +2 at 0
    lambda x: -2 / (1 + x) ** 3 if x > 0 else 2 / (1 - x) ** 3,
)


def _softplus_fn(x, beta):
    z = beta * x
    if z > 0:
        return (z + mp.log1p(mp.exp(-z))) / beta
    return mp.log1p(mp.exp(z)) / beta


_register(
    "softplus",
    _softplus_fn,
    lambda x, beta: _sig(beta * x),
    lambda x, beta: beta * _sigd(beta * x),
)


def _swish_fn(x, beta):
    return x * _sig(beta * x)


def _swish_grad(x, beta):
    # s + beta x s (1 - s)
    z = beta * x
    return _sig(z) + z * _sigd(z)


def _swish_grad2(x, beta):
    # beta s (1-s) (2 + z (1 - 2 s)), 1 - 2s = -tanh(z/2)
    z = beta * x
    return beta * _sigd(z) * (2 - z * mp.tanh(z / 2))


_register("swish", _swish_fn, _swish_grad, _swish_grad2)
_register(
    "silu",
    lambda x: _swish_fn(x, mpf(1)),
    lambda x: _swish_grad(x, mpf(1)),
    lambda x: _swish_grad2(x, mpf(1)),
)


def _mish_parts(x):
    """t = tanh(softplus(x)) and 1 - t^2, without cancellation.

    With w = (1 + e^x)^2: t = (w - 1)/(w + 1), 1 - t^2 = 4 w / (w + 1)^2.
    """
    if x > 0:
        e = mp.exp(-x)
        d = 1 + 2 * e + 2 * e * e
        t = (1 + 2 * e) / d
        omt2 = 4 * e * e * (1 + e) ** 2 / (d * d)
    else:
        e = mp.exp(x)
        d = 2 + 2 * e + e * e
        t = e * (2 + e) / d
        omt2 = 4 * (1 + e) ** 2 / (d * d)
    return t, omt2


def _mish_fn(x):
    t, _ = _mish_parts(x)
    return x * t


def _mish_grad(x):
    # t + x (1 - t^2) s
    t, omt2 = _mish_parts(x)
    return t + x * omt2 * _sig(x)


def _mish_grad2(x):
    # (1 - t^2) s (2 + x (1 - s - 2 t s))
    t, omt2 = _mish_parts(x)
    s = _sig(x)
    return omt2 * s * (2 + x * (_sig(-x) - 2 * t * s))


_register("mish", _mish_fn, _mish_grad, _mish_grad2)

_register("exponential", mp.exp, mp.exp, mp.exp)


def _hardsigmoid_fn(x):
    if x <= -3:
        return mpf(0)
    if x >= 3:
        return mpf(1)
    return (x + 3) / 6


_register(
    "hardsigmoid",
    _hardsigmoid_fn,
    lambda x: mpf(1) / 6 if -3 < x <= 3 else mpf(0),
    _zero,
)


def _hardtanh_fn(x, min_val, max_val):
    if x <= min_val:
        return min_val
    if x >= max_val:
        return max_val
    return x


_register(
    "hardtanh",
    _hardtanh_fn,
    lambda x, min_val, max_val: mpf(1) if min_val < x <= max_val else mpf(0),
    _zero,
)

_register(
    "relu6",
    lambda x: min(max(x, mpf(0)), mpf(6)),
    lambda x: mpf(1) if 0 < x <= 6 else mpf(0),
    _zero,
)


def _hardswish_fn(x):
    if x <= -3:
        return mpf(0)
    if x >= 3:
        return x
    return x * (x + 3) / 6


_register(
    "hardswish",
    _hardswish_fn,
    lambda x: mpf(0) if x <= -3 else (mpf(1) if x > 3 else (2 * x + 3) / 6),
    lambda x: mpf(1) / 3 if -3 < x <= 3 else mpf(0),
)

# ---------------------------------------------------------------------------
# test configurations (activation + parameters)
# ---------------------------------------------------------------------------

INF = mp.inf

# default parameter values of the public API (as Python floats)
DEFAULTS = {
    "affine": {"slope": 1.0, "intercept": 0.0},
    "leaky_relu": {"negative_slope": 0.01},
    "prelu": {"weight": 0.25},
    "elu": {"alpha": 1.0},
    "celu": {"alpha": 1.0},
    "softplus": {"beta": 1.0},
    "swish": {"beta": 1.0},
    "hardtanh": {"min_val": -1.0, "max_val": 1.0},
}


def _limits(name, p):
    """(value at -inf, value at +inf) per op, derived from the math.

    p: dict of mpf params.  Values are mpf, +-mp.inf, or 0.
    """
    z = mpf(0)
    one = mpf(1)
    L = {
        "identity": {"fn": (-INF, INF), "grad": (one, one), "grad2": (z, z)},
        "relu": {"fn": (z, INF), "grad": (z, one), "grad2": (z, z)},
        "selu": {
            "fn": (-_selu_scale() * _selu_alpha(), INF),
            "grad": (z, _selu_scale()),
            "grad2": (z, z),
        },
        "gelu": {"fn": (z, INF), "grad": (z, one), "grad2": (z, z)},
        "gelu_tanh": {"fn": (z, INF), "grad": (z, one), "grad2": (z, z)},
        "sigmoid": {"fn": (z, one), "grad": (z, z), "grad2": (z, z)},
        "log_sigmoid": {"fn": (-INF, z), "grad": (one, z), "grad2": (z, z)},
        "tanh": {"fn": (-one, one), "grad": (z, z), "grad2": (z, z)},
        "arctan": {"fn": (-mp.pi / 2, mp.pi / 2), "grad": (z, z), "grad2": (z, z)},
        "softsign": {"fn": (-one, one), "grad": (z, z), "grad2": (z, z)},
        "silu": {"fn": (z, INF), "grad": (z, one), "grad2": (z, z)},
        "mish": {"fn": (z, INF), "grad": (z, one), "grad2": (z, z)},
        "exponential": {"fn": (z, INF), "grad": (z, INF), "grad2": (z, INF)},
        "hardsigmoid": {"fn": (z, one), "grad": (z, z), "grad2": (z, z)},
        "relu6": {"fn": (z, mpf(6)), "grad": (z, z), "grad2": (z, z)},
        "hardswish": {"fn": (z, INF), "grad": (z, one), "grad2": (z, z)},
    }
    if name in L:
        return L[name]
    if name == "affine":
        s, c = p["slope"], p["intercept"]
        sgn = 1 if s > 0 else -1  # slope != 0 in all configs
        return {"fn": (-sgn * INF, sgn * INF), "grad": (s, s), "grad2": (z, z)}
    if name == "leaky_relu":
        a = p["negative_slope"]  # > 0 in all configs
        return {"fn": (-INF, INF), "grad": (a, one), "grad2": (z, z)}
    if name == "prelu":
        a = p["weight"]  # > 0 in all configs
        return {"fn": (-INF, INF), "grad": (a, one), "grad2": (z, z),
                "grad_weight": (-INF, z)}
    if name == "elu":
        a = p["alpha"]
        return {"fn": (-a, INF), "grad": (z, one), "grad2": (z, z)}
    if name == "celu":
        a = p["alpha"]
        return {"fn": (-a, INF), "grad": (z, one), "grad2": (z, z)}
    if name == "softplus":
        return {"fn": (z, INF), "grad": (z, one), "grad2": (z, z)}
    if name == "swish":  # beta > 0 in all configs
        return {"fn": (z, INF), "grad": (z, one), "grad2": (z, z)}
    if name == "hardtanh":
        return {"fn": (p["min_val"], p["max_val"]), "grad": (z, z), "grad2": (z, z)}
    raise KeyError(name)


class Config:
    """One activation with one parameter set.

    name: fastact function name; ref: key of REF; kwargs: parameters passed to
    fastact (None = use defaults, pass nothing); api_extra: non-numeric kwargs
    (gelu's approximate); kinks: kink locations (added to the grids).
    """

    def __init__(self, id, name, kwargs=None, ref=None, api_extra=None, kinks=(),
                 extra_points=()):
        self.id = id
        self.name = name
        self.ref_name = ref or name
        self.kwargs = kwargs
        self.api_extra = dict(api_extra or {})
        self.kinks = tuple(kinks)
        self.extra_points = tuple(extra_points)
        self.ops = OPS + tuple(k for k in REF[self.ref_name] if k not in OPS)

    def __repr__(self):
        return self.id

    # parameters -----------------------------------------------------------
    def params(self, dtype):
        """Python-float parameter values used for ``dtype`` (see module doc)."""
        p = dict(DEFAULTS.get(self.ref_name, {}))
        if self.kwargs:
            for k, v in self.kwargs.items():
                p[k] = float(np.float32(v)) if dtype == "float32" else float(v)
        return p

    def api_kwargs(self, dtype):
        kw = dict(self.api_extra)
        if self.kwargs:
            for k, v in self.kwargs.items():
                kw[k] = float(np.float32(v)) if dtype == "float32" else float(v)
        return kw

    def mp_params(self, dtype):
        return {k: mpf(v) for k, v in self.params(dtype).items()}

    def param_key(self, dtype):
        return (self.ref_name,) + tuple(sorted(self.params(dtype).items()))

    def ref(self, op, x, dtype):
        """True value (mpf) of ``op`` at mpf ``x`` at the current precision."""
        return REF[self.ref_name][op](x, **self.mp_params(dtype))

    def limits(self, dtype):
        return _limits(self.ref_name, self.mp_params(dtype))

    def window_rule(self, op):
        return not (self.ref_name == "affine" and op == "fn")

    def bound(self, op, dtype):
        if self.ref_name == "affine" and op == "fn":
            return 1.0
        if dtype == "float32":
            return 2.0
        return {"fn": 2.0, "grad": 3.0, "grad2": 4.0, "grad_weight": 2.0}[op]

    def api(self, module, op):
        f = getattr(module, self.name)
        return f if op == "fn" else getattr(f, op)


def _cfg(id, name, kwargs=None, **kw):
    return Config(id, name, kwargs, **kw)


CONFIGS = [
    _cfg("identity", "identity"),
    _cfg("affine", "affine"),
    _cfg("affine(slope=-1.7,intercept=0.3)", "affine", {"slope": -1.7, "intercept": 0.3},
         extra_points=(0.3 / 1.7,)),
    _cfg("affine(slope=3.0,intercept=-3*0.1)", "affine",
         {"slope": 3.0, "intercept": -3 * 0.1}, extra_points=(0.1,)),
    _cfg("relu", "relu", kinks=(0.0,)),
    _cfg("leaky_relu", "leaky_relu", kinks=(0.0,)),
    _cfg("leaky_relu(negative_slope=0.2)", "leaky_relu", {"negative_slope": 0.2}, kinks=(0.0,)),
    _cfg("prelu", "prelu", kinks=(0.0,)),
    _cfg("elu", "elu", kinks=(0.0,)),
    _cfg("elu(alpha=0.5)", "elu", {"alpha": 0.5}, kinks=(0.0,)),
    _cfg("elu(alpha=2.3)", "elu", {"alpha": 2.3}, kinks=(0.0,)),
    _cfg("selu", "selu", kinks=(0.0,)),
    _cfg("celu", "celu", kinks=(0.0,)),
    _cfg("celu(alpha=0.3)", "celu", {"alpha": 0.3}, kinks=(0.0,)),
    _cfg("celu(alpha=2.0)", "celu", {"alpha": 2.0}, kinks=(0.0,)),
    _cfg("gelu", "gelu"),
    _cfg("gelu(approximate=tanh)", "gelu", ref="gelu_tanh", api_extra={"approximate": "tanh"}),
    _cfg("sigmoid", "sigmoid"),
    _cfg("log_sigmoid", "log_sigmoid"),
    _cfg("tanh", "tanh"),
    _cfg("arctan", "arctan"),
    _cfg("softsign", "softsign", kinks=(0.0,)),
    _cfg("softplus", "softplus"),
    _cfg("softplus(beta=0.5)", "softplus", {"beta": 0.5}),
    _cfg("softplus(beta=2.0)", "softplus", {"beta": 2.0}),
    _cfg("softplus(beta=10.0)", "softplus", {"beta": 10.0}),
    _cfg("silu", "silu"),
    _cfg("swish", "swish"),
    _cfg("swish(beta=0.5)", "swish", {"beta": 0.5}),
    _cfg("swish(beta=1.702)", "swish", {"beta": 1.702}),
    _cfg("mish", "mish"),
    _cfg("exponential", "exponential"),
    _cfg("hardsigmoid", "hardsigmoid", kinks=(-3.0, 3.0)),
    _cfg("hardtanh", "hardtanh", kinks=(-1.0, 1.0)),
    _cfg("hardtanh(min_val=-2.0,max_val=0.5)", "hardtanh", {"min_val": -2.0, "max_val": 0.5},
         kinks=(-2.0, 0.5)),
    _cfg("relu6", "relu6", kinks=(0.0, 6.0)),
    _cfg("hardswish", "hardswish", kinks=(-3.0, 3.0)),
]

CONFIG_BY_ID = {c.id: c for c in CONFIGS}
ALL_KINKS = sorted({k for c in CONFIGS for k in c.kinks} | {0.0})


def config_ops():
    """(config, op) pairs, including extra ops such as prelu.grad_weight."""
    return [(c, op) for c in CONFIGS for op in c.ops]


# ---------------------------------------------------------------------------
# ULP machinery
# ---------------------------------------------------------------------------

_FMT = {"float64": (53, -1022, 1023), "float32": (24, -126, 127)}


def smallest_subnormal(dtype):
    p, emin, _ = _FMT[dtype]
    return mp.ldexp(mpf(1), emin - p + 1)


def overflow_threshold(dtype):
    """|t| >= this rounds to inf (max finite + half its ulp)."""
    p, _, emax = _FMT[dtype]
    return (2 - mp.ldexp(mpf(1), -p)) * mp.ldexp(mpf(1), emax)


def ulp(v, dtype):
    """Spacing of |v| rounded to dtype, at least the smallest subnormal."""
    p, emin, _ = _FMT[dtype]
    sub = smallest_subnormal(dtype)
    v = abs(mpf(v))
    if v == 0:
        return sub
    _, e = mp.frexp(v)  # v = m 2^e, 1/2 <= m < 1
    k = int(e) - 1  # floor(log2 v)
    if k < emin:
        return sub
    u = mp.ldexp(mpf(1), k - p + 1)
    if v + u / 2 >= mp.ldexp(mpf(1), k + 1):  # rounds up into the next binade
        u *= 2
    return u


_SUB = {}
_OVF = {}
_MAXF = {"float64": float(np.finfo(np.float64).max), "float32": float(np.finfo(np.float32).max)}


def fast_ulp(v, dtype):
    """Same as ``ulp`` (checked by test_fast_ulp), using float arithmetic where
    v lies inside the double range."""
    a = abs(v)
    if a == 0:
        return _SUB[dtype]
    if mpf("1e-300") < a < mpf("1e300"):
        f = float(a)
        if dtype == "float32":
            if f >= _MAXF["float32"]:
                return ulp(a, dtype)
            return max(mpf(float(np.spacing(np.float32(f)))), _SUB[dtype])
        return max(mpf(float(np.spacing(f))), _SUB[dtype])
    return ulp(a, dtype)


for _d in DTYPES:
    _SUB[_d] = smallest_subnormal(_d)
    _OVF[_d] = overflow_threshold(_d)


def round_to(v, dtype):
    """Python float of mpf v rounded to dtype (via double; for display)."""
    f = float(v)
    return float(np.asarray(f).astype(dtype))


def fmt_mp(v, digits=20):
    """Readable string of an mpf, also for astronomically large / small ones."""
    if v == 0 or not mp.isfinite(v):
        return mp.nstr(v, digits)
    if abs(v) < mpf("1e-1000"):
        return ("-" if v < 0 else "") + "(below 1e-1000; rounds to 0)"
    if abs(v) > mpf("1e1000"):
        return ("-" if v < 0 else "") + "(above 1e1000; overflows)"
    return mp.nstr(v, digits)


def to_mpf(v):
    """Exact mpf of a NumPy/Python float (finite)."""
    return mpf(float(v))


# ---------------------------------------------------------------------------
# caches: reference values and non-representable zeros
# ---------------------------------------------------------------------------

_REF_CACHE = {}
_ROOT_CACHE = {}

SCAN_LO, SCAN_HI, SCAN_STEP = -40, 40, mpf("0.05")
WINDOW = mpf("0.05")
WINDOW_POINTS = 41


def true_value(cfg, op, xf, dtype):
    """Cached true value at the float xf (exactly representable in dtype)."""
    key = (cfg.param_key(dtype), op, xf)
    v = _REF_CACHE.get(key)
    if v is None:
        with mp.workdps(DPS):
            v = cfg.ref(op, mpf(xf), dtype)
        _REF_CACHE[key] = v
    return v


def _sgn(v):
    return 0 if v == 0 else (1 if v > 0 else -1)


def transitions(cfg, op, dtype):
    """Locations of sign / zero transitions of the reference op (mpf list)."""
    key = (cfg.param_key(dtype), op)
    if key in _ROOT_CACHE:
        return _ROOT_CACHE[key]
    out = []
    with mp.workdps(DPS):
        f = lambda t: _sgn(cfg.ref(op, t, dtype))  # noqa: E731
        n = int((SCAN_HI - SCAN_LO) / SCAN_STEP)
        prev_x = mpf(SCAN_LO)
        prev_s = f(prev_x)
        for i in range(1, n + 1):
            x = SCAN_LO + i * SCAN_STEP
            s = f(x)
            if s != prev_s:
                a, b, sa = prev_x, x, prev_s
                for _ in range(115):
                    m = (a + b) / 2
                    if f(m) == sa:
                        a = m
                    else:
                        b = m
                out.append((a + b) / 2)
            prev_x, prev_s = x, s
    _ROOT_CACHE[key] = out
    return out


_NONREP_CACHE = {}


def nonrepresentable_roots(cfg, op, dtype):
    key = (cfg.param_key(dtype), op, dtype)
    if key not in _NONREP_CACHE:
        _NONREP_CACHE[key] = _nonrepresentable_roots(cfg, op, dtype)
    return _NONREP_CACHE[key]


def _nonrepresentable_roots(cfg, op, dtype):
    tol = mpf("1e-30")
    res = []
    for r in transitions(cfg, op, dtype):
        rd = mpf(round_to(r, dtype))
        if abs(r - rd) > tol:
            res.append(r)
    return res


def unit(cfg, op, dtype, xf, t):
    """The ULP unit used to measure the error at x = xf with true value t."""
    if cfg.window_rule(op):
        x = mpf(xf)
        roots = nonrepresentable_roots(cfg, op, dtype)
        if any(abs(x - r) <= WINDOW for r in roots):
            m = abs(t)
            with mp.workdps(DPS):
                for i in range(WINDOW_POINTS):
                    xi = x - WINDOW + 2 * WINDOW * i / (WINDOW_POINTS - 1)
                    m = max(m, abs(cfg.ref(op, xi, dtype)))
            return fast_ulp(m, dtype)
    return fast_ulp(t, dtype)


# float32 ops whose float-arithmetic loops are accurate next to a zero that is
# not a float32 number in the unit of the window rule above (the ulp of the
# largest |value| within +-WINDOW), not in that of the vanishing value: gelu' =
# -phi(x) (|x| - R(|x|)) next to x = -0.7518 carries the Mills ratio R to
# ~2^-29 relative; gelu-tanh' = E U (1 + m U) next to x = -0.7522 carries E to
# ~2^-30.  test_simd and test_fused, which compare float32 loops with each other
# or with float64 products value by value, apply the rule to these (config id,
# op) pairs only: a new kernel that cancels next to a zero is added here.
FLOAT32_WINDOW_RULE = {("gelu", "grad"), ("gelu(approximate=tanh)", "grad")}


def float32_window_unit(config_id, op, x, values_over):
    """The window rule's float32 unit at each point of array ``x`` (0 where it
    does not apply): the ulp of the largest |value| over the WINDOW_POINTS
    points within +-WINDOW of x, ``values_over(xs)`` giving the values at a
    float64 array ``xs``.  0 everywhere unless (config_id, op) is in
    FLOAT32_WINDOW_RULE."""
    unit = np.zeros(np.shape(x))
    if (config_id, op) not in FLOAT32_WINDOW_RULE:
        return unit
    roots = np.array([float(r) for r in
                      nonrepresentable_roots(CONFIG_BY_ID[config_id], op, "float32")])
    assert roots.size, (config_id, op)
    w = float(WINDOW)
    x = np.asarray(x, dtype=np.float64)
    for i in np.flatnonzero(np.any(np.abs(x[:, None] - roots) <= w, axis=1)):
        vals = np.asarray(values_over(x[i] + np.linspace(-w, w, WINDOW_POINTS)))
        unit[i] = max(float(np.spacing(np.float32(np.abs(vals).max()))), 2.0**-149)
    return unit


def ulp_error(computed, t, u, dtype):
    """Error of float ``computed`` vs true mpf ``t`` in units ``u``.

    Returns 0.0 / inf for the overflow case (see module doc)."""
    c = float(computed)
    if abs(t) >= _OVF[dtype]:
        want = math.inf if t > 0 else -math.inf
        return 0.0 if c == want else math.inf
    if not math.isfinite(c):
        return math.inf
    return float(abs(mpf(c) - t) / u)


class Measurement:
    def __init__(self, cfg, op, dtype, xs, ys, errs, trues):
        self.cfg, self.op, self.dtype = cfg, op, dtype
        self.xs, self.ys, self.errs, self.trues = xs, ys, errs, trues
        self.iworst = int(np.argmax(errs)) if len(errs) else 0

    @property
    def worst(self):
        return float(self.errs[self.iworst]) if len(self.errs) else 0.0

    @property
    def worst_x(self):
        return self.xs[self.iworst]

    def describe(self, i=None):
        i = self.iworst if i is None else i
        return (f"{self.cfg.id} {self.op} {self.dtype}: x={float(self.xs[i])!r} "
                f"computed={float(self.ys[i])!r} true={fmt_mp(self.trues[i])} "
                f"ulp_error={self.errs[i]:.4g}")


def measure(cfg, op, dtype, xs, ys):
    """ULP errors of computed ys (array, same dtype) at xs vs the reference."""
    xs = np.asarray(xs)
    ys = np.asarray(ys)
    errs = np.empty(len(xs))
    trues = []
    for i, (x, y) in enumerate(zip(xs.tolist(), ys.tolist())):
        t = true_value(cfg, op, float(x), dtype)
        trues.append(t)
        if math.isnan(y):
            errs[i] = math.inf
            continue
        u = unit(cfg, op, dtype, float(x), t)
        errs[i] = ulp_error(y, t, u, dtype)
    return Measurement(cfg, op, dtype, xs, ys, errs, trues)


# ---------------------------------------------------------------------------
# grids
# ---------------------------------------------------------------------------


def _neighbours(v, dt, n=3):
    """v and n successive nextafter steps both ways, in dtype dt (past the
    largest finite value a step gives inf, without NumPy's overflow warning)."""
    v = dt(v)
    out = [v]
    with np.errstate(over="ignore"):
        for d in (dt(np.inf), dt(-np.inf)):
            cur = v
            for _ in range(n):
                cur = np.nextafter(cur, d)
                out.append(cur)
    return out


_REGIONS = {
    "float64": [20.0, 40.0, 88.0, 88.5, 89.0, 89.5, 90.0, 708.3964185322641,
                709.782712893384, 710.0, 744.4400719213812, 745.1332191019411,
                746.0, 1e3, 1e154, 1.3407807929942596e154, 1e300],
    "float32": [9.0, 17.0, 20.0, 40.0, 87.33654, 88.72284, 89.4159, 103.27893,
                103.97208, 104.0, 105.0, 1e19, 1.8446743e19, 1e38, 3.4e38],
}


def grid(dtype, cfg=None, dense=False, seed=1234):
    """Test inputs for dtype (sorted, unique, finite, incl. both zeros).

    dense=True gives ~10x more points (for tools/ulp_report.py --dense)."""
    dt = np.dtype(dtype).type
    fi = np.finfo(dtype)
    rng = np.random.default_rng(seed)
    mult = 10 if dense else 1
    pts = []
    # dense linear grid
    pts.append(np.linspace(-10, 10, 800 * mult + 1))
    # log-spaced magnitudes, both signs, smallest subnormal .. largest finite
    if dtype == "float64":
        ks = np.arange(-323, 309, 1 if dense else 2)
        pts.append(np.array([float(mpf(10) ** int(k)) for k in ks]))
        lo, hi = math.log10(5e-324), math.log10(fi.max)
    else:
        ks = np.arange(-45, 39)
        pts.append(np.array([float(mpf(10) ** int(k)) for k in ks]).astype(np.float32))
        lo, hi = math.log10(1.4e-45), math.log10(float(fi.max))
    pts.append(10.0 ** rng.uniform(lo, hi - 1e-9, 200 * mult))
    # extremes of the format
    sub = dt(np.finfo(dtype).smallest_subnormal)
    for v in (sub, dt(2) * sub, dt(fi.smallest_normal), fi.max, np.nextafter(fi.max, dt(0)),
              np.nextafter(dt(fi.smallest_normal), dt(0))):
        pts.append(np.array([v], dtype=dtype))
    # overflow / underflow regions
    for c in _REGIONS[dtype]:
        c = float(dt(c))
        vs = [c * (1 + f) for f in (0, 1e-3, -1e-3, 1e-6, -1e-6)]
        if c < 1e4:
            vs += [c + d for d in (-1.0, -0.5, -0.25, 0.25, 0.5, 1.0)]
        pts.append(np.array(vs))
        pts.append(np.array(_neighbours(c, dt, 2), dtype=dtype))
    if dtype == "float64":
        pts.append(np.linspace(700, 750, 51 * mult))
    else:
        pts.append(np.linspace(80, 105, 51 * mult))
    # kinks and neighbours (all kinks of all activations, plus this one's)
    kinks = set(ALL_KINKS) | set(cfg.kinks if cfg else ())
    for k in sorted(kinks):
        pts.append(np.array(_neighbours(k, dt, 4), dtype=dtype))
        pts.append(np.array([k + d for d in (1e-6, -1e-6, 1e-3, -1e-3)]))
    tiny = [1e-300, 5e-324, 1e-310, 1e-200] if dtype == "float64" else [1e-38, 1.4e-45, 1e-40, 1e-30]
    pts.append(np.array(tiny))
    # extra points of the config (e.g. affine roots) with neighbours
    if cfg is not None:
        for v in cfg.extra_points:
            pts.append(np.array(_neighbours(v, dt, 20), dtype=dtype))
    # random points concentrated in [-50, 50]
    pts.append(rng.uniform(-50, 50, 300 * mult))
    pts.append(rng.normal(0, 4, 200 * mult))
    with np.errstate(over="ignore"):
        allp = np.concatenate([np.asarray(p, dtype=np.float64).astype(dtype) for p in pts])
    allp = np.concatenate([allp, -allp])
    allp = allp[np.isfinite(allp)]
    allp = np.unique(allp)
    allp = allp[allp != 0]
    return np.concatenate([np.array([0.0, -0.0], dtype=dtype), allp])


# ---------------------------------------------------------------------------
# calling fastact
# ---------------------------------------------------------------------------


def call(module, cfg, op, x, dtype, strict=True):
    """fastact.<name>[.<op>](x, **params) on an array of dtype.

    strict: any warning (RuntimeWarning, ...) or floating-point error raised
    under np.errstate(all='raise') propagates as an exception."""
    x = np.asarray(x, dtype=dtype)
    f = cfg.api(module, op)
    kw = cfg.api_kwargs(dtype)
    if strict:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise"):
                return f(x, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return f(x, **kw)
