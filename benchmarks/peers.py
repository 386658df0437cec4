"""Peer implementations for ``benchmarks/bench.py``: what a user would write instead
of fastact, in NumPy (allocating, and with ``out=``), SciPy special functions,
torch CPU (in place where torch has it, ``out=``, allocating, and the
autograd-free ``torch.ops.aten.*_backward`` kernels for derivatives), numexpr,
numba (a parallel ``@vectorize`` ufunc and an ``@njit(parallel=True)`` prange
loop) and ``jax.jit`` (derivatives by ``jax.vmap(jax.grad(f))``).

Every peer is a :class:`Peer`.  ``peer.bind(label, op, mode, bufs)`` returns a
zero-argument callable computing op (``fn``, ``grad``, ``grad2``, ``grad_weight``)
of the benchmark case ``label`` on the buffers ``bufs`` in ``mode``:

* ``"inplace"``: overwrite ``bufs.xw`` (bench.py restores it before each call);
* ``"out"``: read ``bufs.xin``, write ``bufs.o``;
* ``"alloc"``: read ``bufs.xin``, return a new array.

``None`` means the peer has no sensible formula for that op and mode (skipped).
A peer whose import fails is unavailable (skipped, never fatal).  The formulas are
what a competent user writes (stable where that costs nothing: ``np.logaddexp``
for softplus, ``expm1`` for elu); they need not match fastact's accuracy, but
bench.py checks every one against fastact before timing it.
"""

import functools
import hashlib
import importlib.util
import math
import os
import sys
import tempfile

import numpy as np

# ---------------------------------------------------------------------------
# The cases: (label, fastact activation, parameters, ops, memory-bound)

LEAKY = 0.01                 # leaky_relu's default negative_slope
PRELU_W = 0.25               # prelu's default weight
ELU_A = 1.0
CELU_A = 1.0
SELU_A = 1.6732632423543772848170429916717
SELU_S = 1.0507009873554804934193349852946
SOFTPLUS_B = 1.0
SWISH_B = 1.5                # silu is beta = 1; swish is benchmarked at another beta
AFF_A, AFF_B = 1.5, 0.25     # affine(slope, intercept): the defaults are the identity
HT_LO, HT_HI = -1.0, 1.0
K_GELU = math.sqrt(2.0 / math.pi)
C_GELU = 0.044715
R2 = 1.0 / math.sqrt(2.0)
R2PI = 1.0 / math.sqrt(2.0 * math.pi)

OPS = ("fn", "grad", "grad2")


class Case:
    def __init__(self, label, act, kwargs=None, ops=OPS, memory_bound=False):
        self.label, self.act, self.kwargs = label, act, dict(kwargs or {})
        self.ops, self.memory_bound = ops, memory_bound

    def __repr__(self):
        return f"Case({self.label!r})"


CASES = [
    Case("identity", "identity", memory_bound=True),
    Case("affine", "affine", {"slope": AFF_A, "intercept": AFF_B}, memory_bound=True),
    Case("relu", "relu", memory_bound=True),
    Case("leaky_relu", "leaky_relu", memory_bound=True),
    Case("prelu", "prelu", ops=OPS + ("grad_weight",), memory_bound=True),
    Case("elu", "elu"),
    Case("selu", "selu"),
    Case("celu", "celu"),
    Case("gelu", "gelu"),
    Case("gelu_tanh", "gelu", {"approximate": "tanh"}),
    Case("sigmoid", "sigmoid"),
    Case("log_sigmoid", "log_sigmoid"),
    Case("tanh", "tanh"),
    Case("arctan", "arctan"),
    Case("softsign", "softsign"),
    Case("softplus", "softplus"),
    Case("silu", "silu"),
    Case("swish", "swish", {"beta": SWISH_B}),
    Case("mish", "mish"),
    Case("exponential", "exponential"),
    Case("hardsigmoid", "hardsigmoid", memory_bound=True),
    Case("hardtanh", "hardtanh", memory_bound=True),
    Case("relu6", "relu6", memory_bound=True),
    Case("hardswish", "hardswish"),
]
CASE = {c.label: c for c in CASES}

# Piecewise-linear activations: grad2 is identically 0 (peers fill zeros).
_ZERO_GRAD2 = {"identity", "affine", "relu", "leaky_relu", "prelu", "hardsigmoid",
               "hardtanh", "relu6"}

MODES = ("inplace", "out", "alloc")


class Buffers:
    """The arrays of one (n, dtype): input, in-place work array, output.

    Peers cache their own views (torch tensors, jax arrays) in ``self.cache``.
    """

    def __init__(self, n, dtype, seed=0):
        rng = np.random.default_rng(seed)
        self.n, self.dtype = n, np.dtype(dtype)
        # Pre-activations: normal, both signs, kinks and tails exercised.
        self.xin = (rng.standard_normal(n) * 3.0).astype(self.dtype)
        self.xw = self.xin.copy()
        self.o = np.empty_like(self.xin)
        self.cache = {}

    def restore(self):
        np.copyto(self.xw, self.xin)


class Peer:
    """One competitor.  Subclasses fill ``table(label, op, dtype)``."""

    name = "?"
    modes = MODES

    def __init__(self):
        self.version = None
        self.error = None
        self._tables = {}
        try:
            self.load()
        except Exception as e:  # noqa: BLE001 - any import problem: skip the peer
            self.error = f"{type(e).__name__}: {e}".splitlines()[0][:160]

    @property
    def available(self):
        return self.error is None

    def load(self):
        pass

    def set_threads(self, n):
        pass

    def kernels(self, label, op, dtype):
        """{mode: f} for the numpy-style calling convention (see bind)."""
        return {}

    def args(self, bufs, mode):
        if mode == "inplace":
            return (bufs.xw,)
        if mode == "out":
            return (bufs.xin, bufs.o)
        return (bufs.xin,)

    def bind(self, label, op, mode, bufs):
        if not self.available or mode not in self.modes:
            return None
        key = (label, op, bufs.dtype)
        k = self._tables.get(key)
        if k is None:
            k = self._tables[key] = self.kernels(label, op, bufs.dtype) or {}
        f = k.get(mode)
        if f is None:
            return None
        return functools.partial(f, *self.args(bufs, mode))

    def result(self, value, bufs, mode):
        """The numpy array a bound call produced (for the correctness check)."""
        if mode == "inplace":
            return bufs.xw
        if mode == "out":
            return bufs.o
        return np.asarray(value)


def _modes(alloc=None, out=None, inplace="auto"):
    """{mode: f}: inplace defaults to out(x, x) (the out= formulas are alias-safe)."""
    k = {}
    if alloc is not None:
        k["alloc"] = alloc
    if out is not None:
        k["out"] = out
        if inplace == "auto":
            k["inplace"] = lambda x: out(x, x)
    if inplace not in ("auto", None):
        k["inplace"] = inplace
    return k


# ---------------------------------------------------------------------------
# fastact itself


class Fastact(Peer):
    name = "fastact"

    def load(self):
        import fastact
        self.fa = fastact
        self.version = fastact.__version__

    def set_threads(self, n):
        self.fa.set_num_threads(n)

    def bind(self, label, op, mode, bufs):
        case = CASE[label]
        act = self.fa.FUNCTIONS[case.act]
        f = act if op == "fn" else getattr(act, op)
        kw = case.kwargs
        if mode == "inplace":
            return functools.partial(f, bufs.xw, out=bufs.xw, **kw)
        if mode == "out":
            return functools.partial(f, bufs.xin, out=bufs.o, **kw)
        return functools.partial(f, bufs.xin, **kw)


# ---------------------------------------------------------------------------
# NumPy, as users write it: "alloc" is the plain expression, "out" uses out= and
# in-place operators (alias-safe, so "inplace" is out(x, x)).


def _fill(v):
    def out(x, o):
        o.fill(v)
    return out


def _np_sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_sig_out(x, o):
    np.negative(x, out=o)
    np.exp(o, out=o)
    o += 1.0
    np.reciprocal(o, out=o)
    return o


def _np_table(label, op, dt):
    T = dt.type
    one, zero = T(1), T(0)

    def mask_mul(lo, hi, v):      # v where lo < x <= hi else 0
        return _modes(lambda x: ((x > lo) & (x <= hi)) * T(v),
                      lambda x, o: np.multiply((x > lo) & (x <= hi), T(v), out=o))

    def exp_neg_branch(alpha, scale_in, const_pos):
        # where(x > 0, const_pos, alpha * exp(x * scale_in)), alias-safe with out=
        def alloc(x):
            return np.where(x > 0, T(const_pos), alpha * np.exp(x * scale_in))

        def out(x, o):
            m = x > 0
            np.minimum(x, 0.0, out=o)
            if scale_in != 1.0:
                o *= scale_in
            np.exp(o, out=o)
            if alpha != 1.0:
                o *= alpha
            np.copyto(o, T(const_pos), where=m)
        return _modes(alloc, out)

    def elu_like(alpha, scale, inv):
        # scale * (x if x > 0 else alpha * expm1(x * inv))
        def alloc(x):
            return scale * np.where(x > 0, x, alpha * np.expm1(x * inv))

        def out(x, o):
            t = np.minimum(x, 0.0)
            if inv != 1.0:
                t *= inv
            np.expm1(t, out=t)
            t *= alpha
            np.maximum(x, 0.0, out=o)
            o += t
            if scale != 1.0:
                o *= scale
        return _modes(alloc, out)

    if op == "grad2" and label in _ZERO_GRAD2:
        return _modes(np.zeros_like, _fill(0))
    if label == "identity":
        if op == "fn":
            return _modes(np.copy, lambda x, o: np.copyto(o, x), inplace=None)
        return _modes(np.ones_like, _fill(1))
    if label == "affine":
        if op == "fn":
            def out(x, o):
                np.multiply(x, AFF_A, out=o)
                o += AFF_B
            return _modes(lambda x: AFF_A * x + AFF_B, out)
        return _modes(lambda x: np.full_like(x, AFF_A), _fill(AFF_A))
    if label == "relu":
        if op == "fn":
            return _modes(lambda x: np.maximum(x, 0), lambda x, o: np.maximum(x, 0, out=o))
        return _modes(lambda x: (x > 0).astype(dt), lambda x, o: np.greater(x, 0, out=o))
    if label in ("leaky_relu", "prelu"):
        a = LEAKY if label == "leaky_relu" else PRELU_W
        if op == "fn":
            return _modes(lambda x: np.where(x > 0, x, a * x),
                          lambda x, o: np.maximum(x, a * x, out=o))   # 0 < a < 1
        if op == "grad":
            def out(x, o):
                np.greater(x, 0, out=o)
                o *= 1.0 - a
                o += a
            return _modes(lambda x: np.where(x > 0, one, T(a)), out)
        if op == "grad_weight":
            return _modes(lambda x: np.minimum(x, 0), lambda x, o: np.minimum(x, 0, out=o))
    if label == "elu":
        if op == "fn":
            return elu_like(ELU_A, 1.0, 1.0)
        return exp_neg_branch(ELU_A, 1.0, 1.0 if op == "grad" else 0.0)
    if label == "selu":
        if op == "fn":
            return elu_like(SELU_A, SELU_S, 1.0)
        return exp_neg_branch(SELU_A * SELU_S, 1.0, SELU_S if op == "grad" else 0.0)
    if label == "celu":
        if op == "fn":
            return elu_like(CELU_A, 1.0, 1.0 / CELU_A)
        if op == "grad":
            return exp_neg_branch(1.0, 1.0 / CELU_A, 1.0)
        return exp_neg_branch(1.0 / CELU_A, 1.0 / CELU_A, 0.0)
    if label == "gelu_tanh":
        def parts(x):
            t = np.tanh(K_GELU * (x + C_GELU * x**3))
            du = K_GELU * (1.0 + 3.0 * C_GELU * x * x)
            return t, du
        if op == "fn":
            def out(x, o):
                u = x * x
                u *= C_GELU
                u += 1.0
                u *= x
                u *= K_GELU
                np.tanh(u, out=u)
                u += 1.0
                np.multiply(x, u, out=o)
                o *= 0.5
            return _modes(lambda x: 0.5 * x * (1.0 + np.tanh(K_GELU * (x + C_GELU * x**3))),
                          out)
        if op == "grad":
            def alloc(x):
                t, du = parts(x)
                return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du

            def out(x, o):
                t, du = parts(x)
                g = 1.0 - t * t
                g *= du
                g *= x
                g += 1.0 + t
                np.multiply(g, 0.5, out=o)
            return _modes(alloc, out)

        def alloc(x):
            t, du = parts(x)
            d2u = 6.0 * C_GELU * K_GELU * x
            return (1.0 - t * t) * (du - x * t * du * du + 0.5 * x * d2u)

        def out(x, o):
            t, du = parts(x)
            g = x * (3.0 * C_GELU * K_GELU) * x
            g -= x * t * du * du
            g += du
            np.multiply(1.0 - t * t, g, out=o)
        return _modes(alloc, out)
    if label == "sigmoid":
        if op == "fn":
            return _modes(_np_sig, _np_sig_out)
        if op == "grad":
            def alloc(x):
                s = _np_sig(x)
                return s * (1.0 - s)

            def out(x, o):
                _np_sig_out(x, o)
                np.multiply(o, 1.0 - o, out=o)
            return _modes(alloc, out)

        def alloc(x):
            s = _np_sig(x)
            return s * (1.0 - s) * (1.0 - 2.0 * s)

        def out(x, o):
            s = _np_sig(x)
            np.multiply(s, 1.0 - s, out=o)
            o *= 1.0 - 2.0 * s
        return _modes(alloc, out)
    if label == "log_sigmoid":
        if op == "fn":
            def out(x, o):
                np.negative(x, out=o)
                np.logaddexp(0.0, o, out=o)
                np.negative(o, out=o)
            return _modes(lambda x: -np.logaddexp(0.0, -x), out)
        if op == "grad":
            def out(x, o):
                np.exp(x, out=o)
                o += 1.0
                np.reciprocal(o, out=o)
            return _modes(lambda x: 1.0 / (1.0 + np.exp(x)), out)

        def alloc(x):
            s = _np_sig(x)
            return -s * (1.0 - s)

        def out(x, o):
            s = _np_sig(x)
            np.multiply(s, s - 1.0, out=o)
        return _modes(alloc, out)
    if label == "tanh":
        if op == "fn":
            return _modes(np.tanh, lambda x, o: np.tanh(x, out=o))
        if op == "grad":
            def out(x, o):
                np.tanh(x, out=o)
                np.square(o, out=o)
                np.subtract(1.0, o, out=o)
            return _modes(lambda x: 1.0 - np.tanh(x) ** 2, out)

        def alloc(x):
            t = np.tanh(x)
            return -2.0 * t * (1.0 - t * t)

        def out(x, o):
            t = np.tanh(x)
            np.square(t, out=o)
            np.subtract(1.0, o, out=o)
            o *= t
            o *= -2.0
        return _modes(alloc, out)
    if label == "arctan":
        if op == "fn":
            return _modes(np.arctan, lambda x, o: np.arctan(x, out=o))
        if op == "grad":
            def out(x, o):
                np.square(x, out=o)
                o += 1.0
                np.reciprocal(o, out=o)
            return _modes(lambda x: 1.0 / (1.0 + x * x), out)

        def out(x, o):
            d = x * x
            d += 1.0
            np.square(d, out=d)
            np.divide(x, d, out=o)
            o *= -2.0
        return _modes(lambda x: -2.0 * x / (1.0 + x * x) ** 2, out)
    if label == "softsign":
        if op == "fn":
            def out(x, o):
                d = np.abs(x)
                d += 1.0
                np.divide(x, d, out=o)
            return _modes(lambda x: x / (1.0 + np.abs(x)), out)
        if op == "grad":
            def out(x, o):
                np.abs(x, out=o)
                o += 1.0
                np.square(o, out=o)
                np.reciprocal(o, out=o)
            return _modes(lambda x: 1.0 / (1.0 + np.abs(x)) ** 2, out)

        def out(x, o):
            d = np.abs(x)
            d += 1.0
            d3 = d * d
            d3 *= d
            s = np.sign(x)
            s *= -2.0
            np.divide(s, d3, out=o)
        return _modes(lambda x: -2.0 * np.sign(x) / (1.0 + np.abs(x)) ** 3, out)
    if label == "softplus":             # beta = 1
        if op == "fn":
            return _modes(lambda x: np.logaddexp(0.0, x),
                          lambda x, o: np.logaddexp(0.0, x, out=o))
        return _np_table("sigmoid", "fn" if op == "grad" else "grad", dt)
    if label in ("silu", "swish"):
        b = 1.0 if label == "silu" else SWISH_B

        def sig(x):
            return 1.0 / (1.0 + np.exp(-b * x)) if b != 1.0 else _np_sig(x)
        if op == "fn":
            def out(x, o):
                d = np.exp(-b * x) if b != 1.0 else np.exp(-x)
                d += 1.0
                np.divide(x, d, out=o)
            return _modes(lambda x: x / (1.0 + np.exp(-b * x)), out)
        if op == "grad":
            def alloc(x):
                s = sig(x)
                return s * (1.0 + b * x * (1.0 - s))

            def out(x, o):
                s = sig(x)
                t = 1.0 - s
                t *= x
                if b != 1.0:
                    t *= b
                t += 1.0
                np.multiply(s, t, out=o)
            return _modes(alloc, out)

        def alloc(x):
            s = sig(x)
            return b * s * (1.0 - s) * (2.0 + b * x * (1.0 - 2.0 * s))

        def out(x, o):
            s = sig(x)
            t = 1.0 - 2.0 * s
            t *= x
            if b != 1.0:
                t *= b
            t += 2.0
            t *= s
            np.multiply(t, 1.0 - s, out=o)
            if b != 1.0:
                o *= b
        return _modes(alloc, out)
    if label == "mish":
        def tanh_sp(x):
            return np.tanh(np.logaddexp(0.0, x))
        if op == "fn":
            def out(x, o):
                t = np.logaddexp(0.0, x)
                np.tanh(t, out=t)
                np.multiply(x, t, out=o)
            return _modes(lambda x: x * np.tanh(np.logaddexp(0.0, x)), out)
        if op == "grad":
            def alloc(x):
                t, s = tanh_sp(x), _np_sig(x)
                return t + x * (1.0 - t * t) * s

            def out(x, o):
                t, s = tanh_sp(x), _np_sig(x)
                g = 1.0 - t * t
                g *= x
                g *= s
                np.add(t, g, out=o)
            return _modes(alloc, out)

        def alloc(x):
            t, s = tanh_sp(x), _np_sig(x)
            return (1.0 - t * t) * s * (2.0 + x * (1.0 - s - 2.0 * t * s))

        def out(x, o):
            t, s = tanh_sp(x), _np_sig(x)
            g = 1.0 - s - 2.0 * t * s
            g *= x
            g += 2.0
            g *= s
            np.multiply(1.0 - t * t, g, out=o)
        return _modes(alloc, out)
    if label == "exponential":
        return _modes(np.exp, lambda x, o: np.exp(x, out=o))
    if label == "hardsigmoid":
        if op == "fn":
            def out(x, o):
                np.multiply(x, 1.0 / 6.0, out=o)
                o += 0.5
                np.clip(o, 0.0, 1.0, out=o)
            return _modes(lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0), out)
        return mask_mul(-3.0, 3.0, 1.0 / 6.0)
    if label in ("hardtanh", "relu6"):
        lo, hi = (HT_LO, HT_HI) if label == "hardtanh" else (0.0, 6.0)
        if op == "fn":
            return _modes(lambda x: np.clip(x, lo, hi), lambda x, o: np.clip(x, lo, hi, out=o))
        return mask_mul(lo, hi, 1.0)
    if label == "hardswish":
        if op == "fn":
            def out(x, o):
                t = x + 3.0
                np.clip(t, 0.0, 6.0, out=t)
                t *= 1.0 / 6.0
                np.multiply(x, t, out=o)
            return _modes(lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0, out)
        if op == "grad":
            def out(x, o):
                lo, hi = x <= -3.0, x > 3.0
                np.multiply(x, 1.0 / 3.0, out=o)
                o += 0.5
                np.copyto(o, zero, where=lo)
                np.copyto(o, one, where=hi)
            return _modes(lambda x: np.where(x <= -3.0, zero,
                                             np.where(x > 3.0, one, (2.0 * x + 3.0) / 6.0)),
                          out)
        return mask_mul(-3.0, 3.0, 1.0 / 3.0)
    return {}                           # gelu (exact): no erf in NumPy -> the scipy peer


class NumPy(Peer):
    name = "numpy"

    def load(self):
        self.version = np.__version__

    def kernels(self, label, op, dtype):
        with np.errstate(all="ignore"):
            return _np_table(label, op, dtype)

    def bind(self, label, op, mode, bufs):
        f = super().bind(label, op, mode, bufs)
        if f is None:
            return None

        def call():
            with np.errstate(all="ignore"):
                return f()
        return call


class SciPy(Peer):
    """scipy.special ufuncs where NumPy has no function: erf (gelu), expit."""

    name = "scipy"

    def load(self):
        import scipy
        import scipy.special as sp
        self.sp = sp
        self.version = scipy.__version__

    def kernels(self, label, op, dtype):
        sp = self.sp
        if label == "gelu":
            if op == "fn":
                def out(x, o):
                    p = sp.ndtr(x)
                    np.multiply(x, p, out=o)
                return _modes(lambda x: x * sp.ndtr(x), out)
            if op == "grad":
                def out(x, o):
                    g = np.square(x)
                    g *= -0.5
                    np.exp(g, out=g)
                    g *= R2PI
                    g *= x
                    sp.ndtr(x, out=o)
                    o += g
                return _modes(lambda x: sp.ndtr(x) + x * np.exp(-0.5 * x * x) * R2PI, out)

            def out(x, o):
                q = np.square(x)
                np.multiply(q, -0.5, out=o)
                np.exp(o, out=o)
                o *= R2PI
                np.subtract(2.0, q, out=q)
                o *= q
            return _modes(lambda x: np.exp(-0.5 * x * x) * R2PI * (2.0 - x * x), out)
        if (label, op) in (("sigmoid", "fn"), ("softplus", "grad"), ("silu", "fn")):
            if label == "silu":
                def out(x, o):
                    s = sp.expit(x)
                    np.multiply(x, s, out=o)
                return _modes(lambda x: x * sp.expit(x), out)
            return _modes(sp.expit, lambda x, o: sp.expit(x, out=o))
        if (label, op) in (("sigmoid", "grad"), ("softplus", "grad2")):
            def out(x, o):
                sp.expit(x, out=o)
                np.multiply(o, 1.0 - o, out=o)

            def alloc(x):
                s = sp.expit(x)
                return s * (1.0 - s)
            return _modes(alloc, out)
        if (label, op) == ("log_sigmoid", "fn"):
            return _modes(sp.log_expit, lambda x, o: sp.log_expit(x, out=o))
        if (label, op) == ("log_sigmoid", "grad"):
            def out(x, o):
                np.negative(x, out=o)
                sp.expit(o, out=o)
            return _modes(lambda x: sp.expit(-x), out)
        return {}


# ---------------------------------------------------------------------------
# torch CPU on torch.from_numpy views (no copies).  Expressions take out=None
# (allocate) or a tensor (written last, after every read of the input).


class Torch(Peer):
    name = "torch"

    def load(self):
        import torch
        import torch.nn.functional as F
        self.torch, self.F = torch, F
        self.version = torch.__version__.split("+")[0]

    def set_threads(self, n):
        self.torch.set_num_threads(n)

    def views(self, bufs):
        v = bufs.cache.get("torch")
        if v is None:
            from_numpy = self.torch.from_numpy
            v = bufs.cache["torch"] = {
                "xin": from_numpy(bufs.xin), "xw": from_numpy(bufs.xw),
                "o": from_numpy(bufs.o),
                "ones": self.torch.ones(bufs.n, dtype=from_numpy(bufs.xin[:1]).dtype),
            }
        return v

    def args(self, bufs, mode):
        v = self.views(bufs)
        if mode == "inplace":
            return (v["xw"],)
        if mode == "out":
            return (v["xin"], v["o"])
        return (v["xin"],)

    def kernels(self, label, op, dtype):
        return self._table(label, op, dtype)

    def result(self, value, bufs, mode):
        if mode == "alloc":
            return value.numpy()
        return super().result(value, bufs, mode)

    def _table(self, label, op, dt):
        torch, F = self.torch, self.F
        nn = torch._C._nn
        tdt = torch.from_numpy(np.zeros(1, dt)).dtype

        def c(v):
            return torch.tensor(v, dtype=tdt)

        def std(fn, out_fn=None, inplace=None):
            """alloc fn(t); out out_fn(t, out); inplace given or out_fn(t, t)."""
            k = {"alloc": fn}
            if out_fn is not None:
                k["out"] = out_fn
                k["inplace"] = inplace or (lambda t: out_fn(t, t))
            elif inplace is not None:
                k["inplace"] = inplace
            return k

        def expr(f):
            """f(t, out=None) -> all three modes."""
            return {"alloc": f, "out": f, "inplace": lambda t: f(t, t)}

        def where_mask(lo, hi, v):
            vt = c(v)
            zero = c(0.0)
            return expr(lambda t, out=None: torch.where((t > lo) & (t <= hi), vt, zero,
                                                        out=out))

        if op == "grad2" and label in _ZERO_GRAD2:
            return std(torch.zeros_like, lambda t, o: o.zero_(), lambda t: t.zero_())
        if label == "identity":
            if op == "fn":
                return std(torch.clone, lambda t, o: o.copy_(t))
            return std(torch.ones_like, lambda t, o: o.fill_(1.0), lambda t: t.fill_(1.0))
        if label == "affine":
            if op == "fn":
                b = c(AFF_B)     # 0-d tensor: b + a*t is one fused pass
                return expr(lambda t, out=None: torch.add(b, t, alpha=AFF_A, out=out))
            return std(lambda t: torch.full_like(t, AFF_A), lambda t, o: o.fill_(AFF_A),
                       lambda t: t.fill_(AFF_A))
        if label == "relu":
            if op == "fn":
                return std(torch.relu, lambda t, o: torch.clamp(t, min=0.0, out=o),
                           torch.relu_)
            return std(lambda t: (t > 0).to(tdt), lambda t, o: torch.gt(t, 0.0, out=o),
                       lambda t: t.gt_(0.0))
        if label in ("leaky_relu", "prelu"):
            a = LEAKY if label == "leaky_relu" else PRELU_W
            if op == "fn":
                if label == "prelu":
                    w = c([PRELU_W])
                    alloc = lambda t: F.prelu(t, w)  # noqa: E731
                else:
                    alloc = lambda t: F.leaky_relu(t, a)  # noqa: E731
                return std(alloc, lambda t, o: nn.leaky_relu(t, a, out=o),
                           lambda t: F.leaky_relu_(t, a))
            if op == "grad":
                one, at = c(1.0), c(a)
                return expr(lambda t, out=None: torch.where(t > 0, one, at, out=out))
            if op == "grad_weight":
                return expr(lambda t, out=None: torch.clamp(t, max=0.0, out=out))
        if label in ("elu", "selu", "celu"):
            alpha, scale, inv = {"elu": (ELU_A, 1.0, 1.0), "selu": (SELU_A, SELU_S, 1.0),
                                 "celu": (CELU_A, 1.0, 1.0 / CELU_A)}[label]
            if op == "fn":
                alloc = {"elu": lambda t: F.elu(t, alpha), "selu": torch.selu,
                         "celu": lambda t: torch.celu(t, alpha)}[label]
                inpl = {"elu": lambda t: F.elu_(t, alpha), "selu": torch.selu_,
                        "celu": lambda t: torch.celu_(t, alpha)}[label]
                return std(alloc, lambda t, o: nn.elu(t, alpha, scale, inv, out=o), inpl)
            # grad: where(x > 0, scale, scale*alpha*inv*... ) written from the formulas
            pos = c(scale if op == "grad" else 0.0)
            k = scale * alpha * inv if op == "grad" else scale * alpha * inv * inv

            def f(t, out=None):
                e = torch.clamp(t, max=0.0)
                if inv != 1.0:
                    e.mul_(inv)
                e.exp_()
                if k != 1.0:
                    e.mul_(k)
                return torch.where(t > 0, pos, e, out=out)
            return expr(f)
        if label in ("gelu", "gelu_tanh"):
            approx = "none" if label == "gelu" else "tanh"
            if op == "fn":
                return std(lambda t: F.gelu(t, approximate=approx),
                           lambda t, o: nn.gelu(t, approximate=approx, out=o))
            if label == "gelu":
                if op == "grad":
                    def f(t, out=None):
                        g = torch.square(t).mul_(-0.5).exp_().mul_(R2PI).mul_(t)
                        return torch.add(torch.special.ndtr(t), g, out=out)
                    return expr(f)

                def f(t, out=None):
                    q = torch.square(t)
                    p = torch.mul(q, -0.5).exp_().mul_(R2PI)
                    return torch.mul(p, q.neg_().add_(2.0), out=out)
                return expr(f)

            def parts(t):
                u = torch.mul(t, t).mul_(C_GELU).add_(1.0).mul_(t).mul_(K_GELU)
                th = u.tanh_()
                du = torch.mul(t, t).mul_(3.0 * C_GELU).add_(1.0).mul_(K_GELU)
                return th, du
            if op == "grad":
                def f(t, out=None):
                    th, du = parts(t)
                    g = (1.0 - th * th).mul_(du).mul_(t).add_(th).add_(1.0)
                    return torch.mul(g, 0.5, out=out)
                return expr(f)

            def f(t, out=None):
                th, du = parts(t)
                g = t * (3.0 * C_GELU * K_GELU) * t
                g.sub_(t * th * du * du).add_(du)
                return torch.mul(1.0 - th * th, g, out=out)
            return expr(f)
        if label in ("sigmoid", "softplus") and (label, op) != ("softplus", "fn"):
            if label == "softplus":
                op = {"grad": "fn", "grad2": "grad"}[op]       # beta = 1
            if op == "fn":
                return std(torch.sigmoid, lambda t, o: torch.sigmoid(t, out=o),
                           lambda t: t.sigmoid_())
            if op == "grad":
                def f(t, out=None):
                    s = torch.sigmoid(t)
                    return torch.mul(s, 1.0 - s, out=out)
                return expr(f)

            def f(t, out=None):
                s = torch.sigmoid(t)
                return torch.mul(s * (1.0 - s), 1.0 - 2.0 * s, out=out)
            return expr(f)
        if label == "softplus":
            return std(lambda t: F.softplus(t, SOFTPLUS_B),
                       lambda t, o: nn.softplus(t, SOFTPLUS_B, 20.0, out=o))
        if label == "log_sigmoid":
            if op == "fn":
                return std(F.logsigmoid, lambda t, o: nn.log_sigmoid(t, out=o))
            if op == "grad":
                return std(lambda t: torch.sigmoid(-t),
                           lambda t, o: torch.sigmoid(torch.neg(t, out=o), out=o),
                           lambda t: t.neg_().sigmoid_())

            def f(t, out=None):
                s = torch.sigmoid(t)
                return torch.mul(s, s - 1.0, out=out)
            return expr(f)
        if label == "tanh":
            if op == "fn":
                return std(torch.tanh, lambda t, o: torch.tanh(t, out=o), lambda t: t.tanh_())
            if op == "grad":
                one = c(1.0)

                def f(t, out=None):
                    th = torch.tanh(t).square_()
                    return torch.sub(one, th, out=out)
                return expr(f)

            def f(t, out=None):
                th = torch.tanh(t)
                return torch.mul(th, 1.0 - th * th, out=out).mul_(-2.0)
            return expr(f)
        if label == "arctan":
            if op == "fn":
                return std(torch.atan, lambda t, o: torch.atan(t, out=o), lambda t: t.atan_())
            if op == "grad":
                return std(lambda t: torch.square(t).add_(1.0).reciprocal_(),
                           lambda t, o: torch.square(t, out=o).add_(1.0).reciprocal_())

            def f(t, out=None):
                q = torch.square(t).add_(1.0).square_()
                return torch.div(t, q, out=out).mul_(-2.0)
            return expr(f)
        if label == "softsign":
            if op == "fn":
                return std(F.softsign,
                           lambda t, o: torch.div(t, torch.abs(t).add_(1.0), out=o))
            if op == "grad":
                return std(lambda t: torch.abs(t).add_(1.0).square_().reciprocal_(),
                           lambda t, o: torch.abs(t, out=o).add_(1.0).square_().reciprocal_())

            def f(t, out=None):
                d = torch.abs(t).add_(1.0)
                d3 = d * d * d
                return torch.div(torch.sign(t).mul_(-2.0), d3, out=out)
            return expr(f)
        if label in ("silu", "swish"):
            b = 1.0 if label == "silu" else SWISH_B
            if op == "fn":
                if b == 1.0:
                    return std(F.silu, lambda t, o: nn.silu(t, out=o),
                               lambda t: F.silu(t, inplace=True))
                return expr(lambda t, out=None: torch.mul(t, torch.sigmoid(t * b), out=out))
            if op == "grad":
                def f(t, out=None):
                    s = torch.sigmoid(t * b) if b != 1.0 else torch.sigmoid(t)
                    g = (1.0 - s).mul_(t)
                    if b != 1.0:
                        g.mul_(b)
                    return torch.mul(s, g.add_(1.0), out=out)
                return expr(f)

            def f(t, out=None):
                s = torch.sigmoid(t * b) if b != 1.0 else torch.sigmoid(t)
                g = (1.0 - 2.0 * s).mul_(t)
                if b != 1.0:
                    g.mul_(b)
                g.add_(2.0).mul_(s).mul_(1.0 - s)
                return torch.mul(g, b, out=out)
            return expr(f)
        if label == "mish":
            if op == "fn":
                return std(F.mish, lambda t, o: nn.mish(t, out=o),
                           lambda t: F.mish(t, inplace=True))

            def ts(t):
                return torch.tanh(F.softplus(t)), torch.sigmoid(t)
            if op == "grad":
                def f(t, out=None):
                    th, s = ts(t)
                    g = (1.0 - th * th).mul_(t).mul_(s)
                    return torch.add(th, g, out=out)
                return expr(f)

            def f(t, out=None):
                th, s = ts(t)
                g = (1.0 - s - 2.0 * th * s).mul_(t).add_(2.0).mul_(s)
                return torch.mul(1.0 - th * th, g, out=out)
            return expr(f)
        if label == "exponential":
            return std(torch.exp, lambda t, o: torch.exp(t, out=o), lambda t: t.exp_())
        if label == "hardsigmoid":
            if op == "fn":
                return std(F.hardsigmoid, lambda t, o: nn.hardsigmoid(t, out=o),
                           lambda t: F.hardsigmoid(t, inplace=True))
            return where_mask(-3.0, 3.0, 1.0 / 6.0)
        if label in ("hardtanh", "relu6"):
            lo, hi = (HT_LO, HT_HI) if label == "hardtanh" else (0.0, 6.0)
            if op == "fn":
                alloc = (lambda t: F.hardtanh(t, lo, hi)) if label == "hardtanh" else F.relu6
                return std(alloc, lambda t, o: nn.hardtanh(t, lo, hi, out=o),
                           lambda t: F.hardtanh_(t, lo, hi))
            return where_mask(lo, hi, 1.0)
        if label == "hardswish":
            if op == "fn":
                return std(F.hardswish, lambda t, o: nn.hardswish(t, out=o),
                           lambda t: F.hardswish(t, inplace=True))
            if op == "grad":
                zero, one = c(0.0), c(1.0)

                def f(t, out=None):
                    g = torch.mul(t, 1.0 / 3.0).add_(0.5)
                    g = torch.where(t > 3.0, one, g)
                    return torch.where(t <= -3.0, zero, g, out=out)
                return expr(f)
            return where_mask(-3.0, 3.0, 1.0 / 3.0)
        return {}


class TorchBackward(Torch):
    """torch.ops.aten.*_backward with grad_output = ones: torch's own fused
    derivative kernels, no autograd graph (the fastest torch route to a grad)."""

    name = "torch-bw"

    def args(self, bufs, mode):
        v = self.views(bufs)
        if mode == "inplace":
            return (v["ones"], v["xw"])
        if mode == "out":
            return (v["ones"], v["xin"], v["o"])
        return (v["ones"], v["xin"])

    def kernels(self, label, op, dtype):
        if op != "grad" and (label, op) != ("softplus", "grad2"):
            return {}
        torch = self.torch
        A = torch.ops.aten

        def bw(op_, *extra, overload="grad_input", outkw="grad_input"):
            """op_(ones, x, *extra): alloc, out= and in place."""
            ov = getattr(op_, overload, None)
            k = {"alloc": lambda g, t: op_(g, t, *extra)}
            if ov is not None:
                k["out"] = lambda g, t, o: ov(g, t, *extra, **{outkw: o})
                k["inplace"] = lambda g, t: ov(g, t, *extra, **{outkw: t})
            return k

        def on_output(fwd, op_):
            """op_(ones, fwd(x)), e.g. sigmoid_backward(ones, sigmoid(x))."""
            return {
                "alloc": lambda g, t: op_(g, fwd(t)),
                "out": lambda g, t, o: op_.grad_input(g, fwd(t, out=o), grad_input=o),
                "inplace": lambda g, t: op_.grad_input(g, fwd(t, out=t), grad_input=t),
            }

        if label == "relu":
            return bw(A.threshold_backward, 0.0)
        if label in ("leaky_relu", "prelu"):
            a = LEAKY if label == "leaky_relu" else PRELU_W

            def k(g, t, *o):
                return A.leaky_relu_backward(g, t, a, False)
            return {"alloc": k,
                    "out": lambda g, t, o: A.leaky_relu_backward.grad_input(
                        g, t, a, False, grad_input=o),
                    "inplace": lambda g, t: A.leaky_relu_backward.grad_input(
                        g, t, a, False, grad_input=t)}
        if label in ("elu", "selu", "celu"):
            alpha, scale, inv = {"elu": (ELU_A, 1.0, 1.0), "selu": (SELU_A, SELU_S, 1.0),
                                 "celu": (CELU_A, 1.0, 1.0 / CELU_A)}[label]
            return {"alloc": lambda g, t: A.elu_backward(g, alpha, scale, inv, False, t),
                    "out": lambda g, t, o: A.elu_backward.grad_input(
                        g, alpha, scale, inv, False, t, grad_input=o),
                    "inplace": lambda g, t: A.elu_backward.grad_input(
                        g, alpha, scale, inv, False, t, grad_input=t)}
        if label in ("gelu", "gelu_tanh"):
            approx = "none" if label == "gelu" else "tanh"
            return {"alloc": lambda g, t: A.gelu_backward(g, t, approximate=approx),
                    "out": lambda g, t, o: A.gelu_backward.grad_input(
                        g, t, approximate=approx, grad_input=o),
                    "inplace": lambda g, t: A.gelu_backward.grad_input(
                        g, t, approximate=approx, grad_input=t)}
        if label == "sigmoid" or (label, op) == ("softplus", "grad2"):
            return on_output(torch.sigmoid, A.sigmoid_backward)
        if label == "tanh":
            return on_output(torch.tanh, A.tanh_backward)
        if label == "log_sigmoid":
            return {"alloc": lambda g, t: A.log_sigmoid_backward(
                g, t, A.log_sigmoid_forward(t)[1])}
        if label == "softplus":
            return bw(A.softplus_backward, SOFTPLUS_B, 20.0)
        if label == "silu":
            return bw(A.silu_backward)
        if label == "swish":     # swish'(x) = silu'(beta x)
            return {"alloc": lambda g, t: A.silu_backward(g, t * SWISH_B),
                    "out": lambda g, t, o: A.silu_backward.grad_input(
                        g, torch.mul(t, SWISH_B, out=o), grad_input=o),
                    "inplace": lambda g, t: A.silu_backward.grad_input(
                        g, t.mul_(SWISH_B), grad_input=t)}
        if label == "mish":
            return {"alloc": lambda g, t: A.mish_backward(g, t)}
        if label == "hardsigmoid":
            return bw(A.hardsigmoid_backward)
        if label == "hardtanh":
            return bw(A.hardtanh_backward, HT_LO, HT_HI)
        if label == "relu6":
            return bw(A.hardtanh_backward, 0.0, 6.0)
        if label == "hardswish":
            return bw(A.hardswish_backward, overload="out", outkw="out")
        return {}


# ---------------------------------------------------------------------------
# Scalar formulas for numba (Python/`math`; C(v) is a constant of the array's
# dtype, so float32 stays float32).  ";" separates statements; the last one is
# returned.

_NUMBA = {
    ("identity", "fn"): "x",
    ("identity", "grad"): "C(1.0)",
    ("affine", "fn"): f"C({AFF_A!r}) * x + C({AFF_B!r})",
    ("affine", "grad"): f"C({AFF_A!r})",
    ("relu", "fn"): "x if x > C(0.0) else C(0.0)",
    ("relu", "grad"): "C(1.0) if x > C(0.0) else C(0.0)",
    ("leaky_relu", "fn"): f"x if x > C(0.0) else C({LEAKY!r}) * x",
    ("leaky_relu", "grad"): f"C(1.0) if x > C(0.0) else C({LEAKY!r})",
    ("prelu", "fn"): f"x if x > C(0.0) else C({PRELU_W!r}) * x",
    ("prelu", "grad"): f"C(1.0) if x > C(0.0) else C({PRELU_W!r})",
    ("prelu", "grad_weight"): "C(0.0) if x > C(0.0) else x",
    ("elu", "fn"): f"x if x > C(0.0) else C({ELU_A!r}) * math.expm1(x)",
    ("elu", "grad"): f"C(1.0) if x > C(0.0) else C({ELU_A!r}) * math.exp(x)",
    ("elu", "grad2"): f"C(0.0) if x > C(0.0) else C({ELU_A!r}) * math.exp(x)",
    ("selu", "fn"): f"C({SELU_S!r}) * x if x > C(0.0) else "
                    f"C({SELU_S * SELU_A!r}) * math.expm1(x)",
    ("selu", "grad"): f"C({SELU_S!r}) if x > C(0.0) else C({SELU_S * SELU_A!r}) * math.exp(x)",
    ("selu", "grad2"): f"C(0.0) if x > C(0.0) else C({SELU_S * SELU_A!r}) * math.exp(x)",
    ("celu", "fn"): f"x if x > C(0.0) else C({CELU_A!r}) * math.expm1(x / C({CELU_A!r}))",
    ("celu", "grad"): f"C(1.0) if x > C(0.0) else math.exp(x / C({CELU_A!r}))",
    ("celu", "grad2"): f"C(0.0) if x > C(0.0) else "
                       f"math.exp(x / C({CELU_A!r})) / C({CELU_A!r})",
    ("gelu", "fn"): f"C(0.5) * x * math.erfc(-x * C({R2!r}))",
    ("gelu", "grad"): f"C(0.5) * math.erfc(-x * C({R2!r})) + "
                      f"x * C({R2PI!r}) * math.exp(C(-0.5) * x * x)",
    ("gelu", "grad2"): f"C({R2PI!r}) * math.exp(C(-0.5) * x * x) * (C(2.0) - x * x)",
    ("gelu_tanh", "fn"): f"C(0.5) * x * (C(1.0) + math.tanh(C({K_GELU!r}) * "
                         f"(x + C({C_GELU!r}) * x * x * x)))",
    ("gelu_tanh", "grad"): f"t = math.tanh(C({K_GELU!r}) * (x + C({C_GELU!r}) * x * x * x));"
                           f"du = C({K_GELU!r}) * (C(1.0) + C({3 * C_GELU!r}) * x * x);"
                           "C(0.5) * (C(1.0) + t) + C(0.5) * x * (C(1.0) - t * t) * du",
    ("gelu_tanh", "grad2"): f"t = math.tanh(C({K_GELU!r}) * (x + C({C_GELU!r}) * x * x * x));"
                            f"du = C({K_GELU!r}) * (C(1.0) + C({3 * C_GELU!r}) * x * x);"
                            "(C(1.0) - t * t) * (du - x * t * du * du + "
                            f"C({3 * C_GELU * K_GELU!r}) * x * x)",
    ("sigmoid", "fn"): "C(1.0) / (C(1.0) + math.exp(-x))",
    ("sigmoid", "grad"): "s = C(1.0) / (C(1.0) + math.exp(-x)); s * (C(1.0) - s)",
    ("sigmoid", "grad2"): "s = C(1.0) / (C(1.0) + math.exp(-x));"
                          "s * (C(1.0) - s) * (C(1.0) - C(2.0) * s)",
    ("log_sigmoid", "fn"): "-(math.log1p(math.exp(-abs(x))) + (-x if x < C(0.0) else C(0.0)))",
    ("log_sigmoid", "grad"): "C(1.0) / (C(1.0) + math.exp(x))",
    ("log_sigmoid", "grad2"): "s = C(1.0) / (C(1.0) + math.exp(-x)); s * (s - C(1.0))",
    ("tanh", "fn"): "math.tanh(x)",
    ("tanh", "grad"): "t = math.tanh(x); C(1.0) - t * t",
    ("tanh", "grad2"): "t = math.tanh(x); C(-2.0) * t * (C(1.0) - t * t)",
    ("arctan", "fn"): "math.atan(x)",
    ("arctan", "grad"): "C(1.0) / (C(1.0) + x * x)",
    ("arctan", "grad2"): "d = C(1.0) + x * x; C(-2.0) * x / (d * d)",
    ("softsign", "fn"): "x / (C(1.0) + abs(x))",
    ("softsign", "grad"): "d = C(1.0) + abs(x); C(1.0) / (d * d)",
    ("softsign", "grad2"): "d = C(1.0) + abs(x); (C(-2.0) if x > C(0.0) else C(2.0)) / (d * d * d)",
    ("softplus", "fn"): "math.log1p(math.exp(-abs(x))) + (x if x > C(0.0) else C(0.0))",
    ("softplus", "grad"): "C(1.0) / (C(1.0) + math.exp(-x))",
    ("softplus", "grad2"): "s = C(1.0) / (C(1.0) + math.exp(-x)); s * (C(1.0) - s)",
    ("silu", "fn"): "x / (C(1.0) + math.exp(-x))",
    ("silu", "grad"): "s = C(1.0) / (C(1.0) + math.exp(-x)); s * (C(1.0) + x * (C(1.0) - s))",
    ("silu", "grad2"): "s = C(1.0) / (C(1.0) + math.exp(-x));"
                       "s * (C(1.0) - s) * (C(2.0) + x * (C(1.0) - C(2.0) * s))",
    ("swish", "fn"): f"x / (C(1.0) + math.exp(-C({SWISH_B!r}) * x))",
    ("swish", "grad"): f"bx = C({SWISH_B!r}) * x; s = C(1.0) / (C(1.0) + math.exp(-bx));"
                       "s * (C(1.0) + bx * (C(1.0) - s))",
    ("swish", "grad2"): f"bx = C({SWISH_B!r}) * x; s = C(1.0) / (C(1.0) + math.exp(-bx));"
                        f"C({SWISH_B!r}) * s * (C(1.0) - s) * "
                        "(C(2.0) + bx * (C(1.0) - C(2.0) * s))",
    ("mish", "fn"): "x * math.tanh(math.log1p(math.exp(-abs(x))) + (x if x > C(0.0) else C(0.0)))",
    ("mish", "grad"): "t = math.tanh(math.log1p(math.exp(-abs(x))) + "
                      "(x if x > C(0.0) else C(0.0)));"
                      "s = C(1.0) / (C(1.0) + math.exp(-x)); t + x * (C(1.0) - t * t) * s",
    ("mish", "grad2"): "t = math.tanh(math.log1p(math.exp(-abs(x))) + "
                       "(x if x > C(0.0) else C(0.0)));"
                       "s = C(1.0) / (C(1.0) + math.exp(-x));"
                       "(C(1.0) - t * t) * s * (C(2.0) + x * (C(1.0) - s - C(2.0) * t * s))",
    ("exponential", "fn"): "math.exp(x)",
    ("exponential", "grad"): "math.exp(x)",
    ("exponential", "grad2"): "math.exp(x)",
    ("hardsigmoid", "fn"): "C(0.0) if x <= C(-3.0) else (C(1.0) if x >= C(3.0) "
                           "else x * C(1.0 / 6.0) + C(0.5))",
    ("hardsigmoid", "grad"): "C(1.0 / 6.0) if (x > C(-3.0) and x <= C(3.0)) else C(0.0)",
    ("hardtanh", "fn"): f"min(max(x, C({HT_LO!r})), C({HT_HI!r}))",
    ("hardtanh", "grad"): f"C(1.0) if (x > C({HT_LO!r}) and x <= C({HT_HI!r})) else C(0.0)",
    ("relu6", "fn"): "min(max(x, C(0.0)), C(6.0))",
    ("relu6", "grad"): "C(1.0) if (x > C(0.0) and x <= C(6.0)) else C(0.0)",
    ("hardswish", "fn"): "C(0.0) if x <= C(-3.0) else (x if x >= C(3.0) "
                         "else x * (x + C(3.0)) * C(1.0 / 6.0))",
    ("hardswish", "grad"): "C(0.0) if x <= C(-3.0) else (C(1.0) if x > C(3.0) "
                           "else x * C(1.0 / 3.0) + C(0.5))",
    ("hardswish", "grad2"): "C(1.0 / 3.0) if (x > C(-3.0) and x <= C(3.0)) else C(0.0)",
}
for _label in _ZERO_GRAD2:
    _NUMBA[(_label, "grad2")] = "C(0.0)"

_DT = {"float32": "f32", "float64": "f64"}


def _numba_source():
    """One module: a scalar function and a prange loop per (case, op, dtype)."""
    lines = ["# Generated by fastact benchmarks/peers.py: numba kernels (cached).",
             "import math", "import numpy as np", "from numba import njit, prange", ""]
    for (label, op), body in sorted(_NUMBA.items()):
        stmts = [s.strip() for s in body.split(";") if s.strip()]
        for dt, short in _DT.items():
            name = f"{label}_{op}_{short}"
            code = [s.replace("C(", f"np.{dt}(") for s in stmts]
            lines.append(f"def {name}(x):")
            lines += [f"    {s}" for s in code[:-1]]
            lines.append(f"    return {code[-1]}")
            lines.append(f"{name}_j = njit(cache=True)({name})")
            lines.append("@njit(parallel=True, cache=True)")
            lines.append(f"def {name}_loop(x, out):")
            lines.append("    for i in prange(x.shape[0]):")
            lines.append(f"        out[i] = {name}_j(x[i])")
            lines.append("")
    return "\n".join(lines) + "\n"


def _numba_module():
    src = _numba_source()
    import numba
    tag = hashlib.sha1((src + numba.__version__).encode()).hexdigest()[:12]
    d = os.path.join(tempfile.gettempdir(), f"fastact-bench-numba-{tag}")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "fastact_bench_numba_kernels.py")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(src)
        os.replace(tmp, path)
    name = "fastact_bench_numba_kernels"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod          # numba's cache looks the module up by name
    spec.loader.exec_module(mod)
    return mod


class _NumbaBase(Peer):
    def load(self):
        import numba
        self.numba = numba
        self.version = numba.__version__
        self.mod = _numba_module()

    def set_threads(self, n):
        self.numba.set_num_threads(min(n, self.numba.config.NUMBA_NUM_THREADS))


class NumbaVectorize(_NumbaBase):
    """@vectorize([...], target='parallel'): a ufunc (out= and in place work)."""

    name = "numba-vec"

    def kernels(self, label, op, dtype):
        if (label, op) not in _NUMBA:
            return {}
        short = _DT[dtype.name]
        scalar = getattr(self.mod, f"{label}_{op}_{short}")
        uf = self.numba.vectorize([f"{dtype.name}({dtype.name})"], target="parallel")(scalar)
        return _modes(uf, lambda x, o: uf(x, out=o))


class NumbaPrange(_NumbaBase):
    """@njit(parallel=True) loop over prange calling the scalar formula."""

    name = "numba-prange"

    def kernels(self, label, op, dtype):
        if (label, op) not in _NUMBA:
            return {}
        loop = getattr(self.mod, f"{label}_{op}_{_DT[dtype.name]}_loop")

        def alloc(x):
            o = np.empty_like(x)
            loop(x, o)
            return o
        return _modes(alloc, loop)


# ---------------------------------------------------------------------------
# numexpr: one expression per op; non-integer constants are passed as variables
# of the array's dtype (a float literal would upcast float32 to float64).

_NE_CONST = {
    "aA": AFF_A, "aB": AFF_B, "lk": LEAKY, "pw": PRELU_W, "ea": ELU_A, "ss": SELU_S,
    "ssa": SELU_S * SELU_A, "ca": CELU_A, "ica": 1.0 / CELU_A, "h": 0.5, "k": K_GELU,
    "cg": C_GELU, "c3": 3.0 * C_GELU, "c3k": 3.0 * C_GELU * K_GELU, "sb": SWISH_B,
    "sixth": 1.0 / 6.0, "third": 1.0 / 3.0, "lo": HT_LO, "hi": HT_HI, "z": 0.0, "one": 1.0,
}
_SP = "(log1p(exp(-abs(x))) + where(x > z, x, z))"           # softplus, stable
_SIG = "(one / (one + exp(-x)))"
_TH_SP = f"tanh({_SP})"
_GT = "tanh(k * (x + cg * x * x * x))"
_NUMEXPR = {
    ("identity", "fn"): "x",
    ("identity", "grad"): "x * z + one",
    ("affine", "fn"): "aA * x + aB",
    ("affine", "grad"): "x * z + aA",
    ("relu", "fn"): "where(x > z, x, z)",
    ("relu", "grad"): "where(x > z, one, z)",
    ("leaky_relu", "fn"): "where(x > z, x, lk * x)",
    ("leaky_relu", "grad"): "where(x > z, one, lk)",
    ("prelu", "fn"): "where(x > z, x, pw * x)",
    ("prelu", "grad"): "where(x > z, one, pw)",
    ("prelu", "grad_weight"): "where(x > z, z, x)",
    ("elu", "fn"): "where(x > z, x, ea * expm1(x))",
    ("elu", "grad"): "where(x > z, one, ea * exp(x))",
    ("elu", "grad2"): "where(x > z, z, ea * exp(x))",
    ("selu", "fn"): "where(x > z, ss * x, ssa * expm1(x))",
    ("selu", "grad"): "where(x > z, ss, ssa * exp(x))",
    ("selu", "grad2"): "where(x > z, z, ssa * exp(x))",
    ("celu", "fn"): "where(x > z, x, ca * expm1(x * ica))",
    ("celu", "grad"): "where(x > z, one, exp(x * ica))",
    ("celu", "grad2"): "where(x > z, z, exp(x * ica) * ica)",
    ("gelu_tanh", "fn"): f"h * x * (one + {_GT})",
    ("gelu_tanh", "grad"): f"h * (one + {_GT}) + h * x * (one - {_GT}**2) * "
                           "k * (one + c3 * x * x)",
    ("gelu_tanh", "grad2"): f"(one - {_GT}**2) * (k * (one + c3 * x * x) - x * {_GT} * "
                            "(k * (one + c3 * x * x))**2 + c3k * x * x)",
    ("sigmoid", "fn"): _SIG,
    ("sigmoid", "grad"): "h * h / cosh(h * x)**2",
    ("sigmoid", "grad2"): f"h * h / cosh(h * x)**2 * (one - 2 * {_SIG})",
    ("log_sigmoid", "fn"): "-(log1p(exp(-abs(x))) + where(x < z, -x, z))",
    ("log_sigmoid", "grad"): "one / (one + exp(x))",
    ("log_sigmoid", "grad2"): "-h * h / cosh(h * x)**2",
    ("tanh", "fn"): "tanh(x)",
    ("tanh", "grad"): "one - tanh(x)**2",
    ("tanh", "grad2"): "-2 * tanh(x) * (one - tanh(x)**2)",
    ("arctan", "fn"): "arctan(x)",
    ("arctan", "grad"): "one / (one + x * x)",
    ("arctan", "grad2"): "-2 * x / (one + x * x)**2",
    ("softsign", "fn"): "x / (one + abs(x))",
    ("softsign", "grad"): "one / (one + abs(x))**2",
    ("softsign", "grad2"): "where(x > z, -2 * one, 2 * one) / (one + abs(x))**3",
    ("softplus", "fn"): _SP,
    ("softplus", "grad"): _SIG,
    ("softplus", "grad2"): "h * h / cosh(h * x)**2",
    ("silu", "fn"): "x / (one + exp(-x))",
    ("silu", "grad"): f"{_SIG} * (one + x * (one - {_SIG}))",
    ("silu", "grad2"): f"h * h / cosh(h * x)**2 * (2 + x * (one - 2 * {_SIG}))",
    ("swish", "fn"): "x / (one + exp(-sb * x))",
    ("swish", "grad"): "(one + sb * x * (one - one / (one + exp(-sb * x)))) / "
                       "(one + exp(-sb * x))",
    ("swish", "grad2"): "sb * h * h / cosh(h * sb * x)**2 * "
                        "(2 + sb * x * (one - 2 / (one + exp(-sb * x))))",
    ("mish", "fn"): f"x * {_TH_SP}",
    ("mish", "grad"): f"{_TH_SP} + x * (one - {_TH_SP}**2) * {_SIG}",
    ("mish", "grad2"): f"(one - {_TH_SP}**2) * {_SIG} * "
                       f"(2 + x * (one - {_SIG} - 2 * {_TH_SP} * {_SIG}))",
    ("exponential", "fn"): "exp(x)",
    ("exponential", "grad"): "exp(x)",
    ("exponential", "grad2"): "exp(x)",
    ("hardsigmoid", "fn"): "where(x <= -3, z, where(x >= 3, one, x * sixth + h))",
    ("hardsigmoid", "grad"): "where((x > -3) & (x <= 3), sixth, z)",
    ("hardtanh", "fn"): "where(x <= lo, lo, where(x >= hi, hi, x))",
    ("hardtanh", "grad"): "where((x > lo) & (x <= hi), one, z)",
    ("relu6", "fn"): "where(x <= z, z, where(x >= 6, 6 * one, x))",
    ("relu6", "grad"): "where((x > z) & (x <= 6), one, z)",
    ("hardswish", "fn"): "where(x <= -3, z, where(x >= 3, x, x * (x + 3) * sixth))",
    ("hardswish", "grad"): "where(x <= -3, z, where(x > 3, one, x * third + h))",
    ("hardswish", "grad2"): "where((x > -3) & (x <= 3), third, z)",
}
for _label in _ZERO_GRAD2:
    _NUMEXPR[(_label, "grad2")] = "x * z"


class Numexpr(Peer):
    name = "numexpr"

    def load(self):
        import numexpr
        self.ne = numexpr
        self.version = numexpr.__version__

    def set_threads(self, n):
        self.ne.set_num_threads(n)

    def kernels(self, label, op, dtype):
        expr = _NUMEXPR.get((label, op))
        if expr is None:
            return {}
        ne = self.ne
        consts = {k: dtype.type(v) for k, v in _NE_CONST.items()}

        def alloc(x):
            return ne.evaluate(expr, local_dict={"x": x, **consts})

        def out(x, o):
            return ne.evaluate(expr, local_dict={"x": x, **consts}, out=o)
        return _modes(alloc, out)


# ---------------------------------------------------------------------------
# jax.jit (allocating only: jax arrays are immutable).  Input already on the
# device (jax.device_put once); the call blocks until the result is ready.
# Derivatives: jax.vmap(jax.grad(f)) of the scalar function, jitted.


class Jax(Peer):
    name = "jax"
    modes = ("alloc",)

    def load(self):
        import jax
        jax.config.update("jax_enable_x64", True)   # float64 is float64
        import jax.numpy as jnp
        self.jax, self.jnp = jax, jnp
        self.version = jax.__version__
        self._compiled = {}

    def _fn(self, label):
        jax, jnp = self.jax, self.jnp
        nn = jax.nn
        return {
            "affine": lambda x: AFF_A * x + AFF_B,
            "relu": nn.relu,
            "leaky_relu": lambda x: nn.leaky_relu(x, LEAKY),
            "prelu": lambda x: nn.leaky_relu(x, PRELU_W),
            "elu": lambda x: nn.elu(x, ELU_A),
            "selu": nn.selu,
            "celu": lambda x: nn.celu(x, CELU_A),
            "gelu": lambda x: nn.gelu(x, approximate=False),
            "gelu_tanh": lambda x: nn.gelu(x, approximate=True),
            "sigmoid": nn.sigmoid,
            "log_sigmoid": nn.log_sigmoid,
            "tanh": jnp.tanh,
            "arctan": jnp.arctan,
            "softsign": nn.soft_sign,
            "softplus": nn.softplus,
            "silu": nn.silu,
            "swish": lambda x: x * nn.sigmoid(SWISH_B * x),
            "mish": nn.mish,
            "exponential": jnp.exp,
            "hardsigmoid": nn.hard_sigmoid,
            "hardtanh": nn.hard_tanh,
            "relu6": nn.relu6,
            "hardswish": nn.hard_swish,
            "identity": lambda x: x,
        }.get(label)

    def kernels(self, label, op, dtype):
        jax, jnp = self.jax, self.jnp
        f = self._fn(label)
        if f is None or (label, op) == ("identity", "fn"):   # jit(x -> x) may alias
            return {}
        if op == "grad_weight":
            g = lambda x: jnp.minimum(x, 0)  # noqa: E731
        elif op == "fn":
            g = f
        elif op == "grad":
            g = jax.vmap(jax.grad(f))
        else:
            g = jax.vmap(jax.grad(jax.grad(f)))
        return {"alloc": jax.jit(g)}

    def bind(self, label, op, mode, bufs):
        if not self.available or mode != "alloc":
            return None
        key = (label, op, bufs.dtype)
        k = self._tables.get(key)
        if k is None:
            k = self._tables[key] = self.kernels(label, op, bufs.dtype)
        if not k:
            return None
        xj = bufs.cache.get("jax")
        if xj is None:
            xj = bufs.cache["jax"] = self.jax.device_put(bufs.xin)
        ckey = (label, op, bufs.dtype, bufs.n)
        compiled = self._compiled.get(ckey)
        if compiled is None:       # compile ahead of time: never inside the timing
            compiled = self._compiled[ckey] = k["alloc"].lower(xj).compile()

        def call():
            return compiled(xj).block_until_ready()
        return call


# ---------------------------------------------------------------------------

PEER_CLASSES = (Fastact, NumPy, SciPy, Torch, TorchBackward, Numexpr, NumbaVectorize,
                NumbaPrange, Jax)


def load_peers(names=None):
    """Instantiate every peer (unavailable ones carry .error)."""
    return [cls() for cls in PEER_CLASSES if names is None or cls.name in names]
