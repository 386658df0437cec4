"""fastact's classes as a drop-in for numpy-ml 0.1.2's
``numpy_ml.neural_nets.activations``.

numpy-ml's package ``__init__`` does not import on Python >= 3.10 (it does
``from collections import Hashable``), so its activations module is loaded
directly from the installed file, without executing the package ``__init__``.

Where numpy-ml is right (away from kinks, and where its naive formulas neither
overflow nor lose more than absolute rounding, |x| <= 20) we must agree with
it; where it is inconsistent or inaccurate, the documented differences are
asserted explicitly (both numpy-ml's value and ours).
"""

import importlib.util
import math
import pathlib

import numpy as np
import pytest

import fastact


def _load_numpy_ml_activations():
    spec = importlib.util.find_spec("numpy_ml")  # does not run numpy_ml/__init__.py
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        path = pathlib.Path(loc) / "neural_nets" / "activations" / "activations.py"
        if path.is_file():
            mspec = importlib.util.spec_from_file_location("_numpy_ml_activations", path)
            mod = importlib.util.module_from_spec(mspec)
            mspec.loader.exec_module(mod)
            return mod
    return None


npml = _load_numpy_ml_activations()
if npml is None:
    pytest.skip("numpy-ml (0.1.2) is not installed: pip install numpy-ml==0.1.2 --no-deps",
                allow_module_level=True)

OPS = ("fn", "grad", "grad2")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

PAIRS = [
    ("Affine", {}), ("Affine", {"slope": 2.5, "intercept": -1.0}),
    ("Affine", {"slope": -0.5, "intercept": 3}),
    ("Identity", {}),
    ("ELU", {}), ("ELU", {"alpha": 0.5}), ("ELU", {"alpha": 2.0}),
    ("LeakyReLU", {}), ("LeakyReLU", {"alpha": 0.1}),
    ("SELU", {}), ("Sigmoid", {}), ("Tanh", {}), ("ReLU", {}), ("Exponential", {}),
    ("HardSigmoid", {}), ("SoftPlus", {}),
]


def _pid(p):
    return p[0] + ("" if not p[1] else str(p[1]))


def _x():
    rng = np.random.default_rng(2024)
    x = np.concatenate([rng.uniform(-20, 20, 4000), np.linspace(-20, 20, 801),
                        [1e-12, -1e-12, 1e-300, -1e-300, 2.4999, 2.5001, -2.4999, -2.5001]])
    kinks = (x == 0) | (np.abs(x) == 2.5)
    return np.unique(x[~kinks])


X = _x()


def assert_close(actual, expected, x, rtol=1e-12, atol=1e-15, what=""):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    bad = ~(np.abs(actual - expected) <= rtol * np.abs(expected) + atol)
    if bad.any():
        i = np.flatnonzero(bad)[:8]
        raise AssertionError(f"{what}: {bad.sum()} elements differ: x={x.ravel()[i].tolist()} "
                             f"got={actual.ravel()[i].tolist()} "
                             f"expected={expected.ravel()[i].tolist()}")


def test_numpy_ml_module_loaded():
    assert hasattr(npml, "ActivationBase")
    assert not hasattr(npml, "GELU")  # 0.1.2 has none: see the GELU tests below


@pytest.mark.parametrize("cls,kwargs", PAIRS, ids=[_pid(p) for p in PAIRS])
def test_agrees_with_numpy_ml_away_from_kinks(cls, kwargs):
    ref = getattr(npml, cls)(**kwargs)
    ours = getattr(fastact, cls)(**kwargs)
    for op in OPS:
        with np.errstate(all="ignore"):
            expected = getattr(ref, op)(X)
        got = getattr(ours, op)(X)
        assert got.dtype == np.float64
        assert_close(got, expected, X, what=f"{cls}{kwargs}.{op}")
    # __call__ on 2-D input: same values, same shape
    x2 = X[:600].reshape(20, 30)
    with np.errstate(all="ignore"):
        expected = ref(x2)
    got = ours(x2)
    assert got.shape == expected.shape
    assert_close(got, expected, x2, what=f"{cls}{kwargs}()")


@pytest.mark.parametrize("cls,kwargs", PAIRS, ids=[_pid(p) for p in PAIRS])
def test_str_matches_numpy_ml(cls, kwargs):
    assert str(getattr(fastact, cls)(**kwargs)) == str(getattr(npml, cls)(**kwargs))


@pytest.mark.parametrize("cls", ["Affine", "ELU", "LeakyReLU"])
def test_positional_constructor_like_numpy_ml(cls):
    args = {"Affine": (3.0, 0.5), "ELU": (0.25,), "LeakyReLU": (0.02,)}[cls]
    ref, ours = getattr(npml, cls)(*args), getattr(fastact, cls)(*args)
    assert str(ours) == str(ref)
    for op in OPS:
        assert_close(getattr(ours, op)(X), getattr(ref, op)(X), X, what=f"{cls}{args}.{op}")


def test_call_keeps_1d_shape_unlike_numpy_ml():
    x = np.linspace(-3, 3, 7)
    assert npml.Sigmoid()(x).shape == (1, 7)         # numpy-ml reshapes 1-D to (1, n)
    assert fastact.Sigmoid()(x).shape == (7,)        # we keep the shape
    assert_close(fastact.Sigmoid()(x), npml.Sigmoid()(x).ravel(), x)


# --- kinks where numpy-ml and fastact agree ---------------------------------

@pytest.mark.parametrize("cls,kwargs,op,x", [
    ("ReLU", {}, "fn", 0.0), ("ReLU", {}, "grad", 0.0), ("ReLU", {}, "grad2", 0.0),
    ("LeakyReLU", {}, "fn", 0.0), ("ELU", {"alpha": 0.5}, "grad", 0.0),
    ("ELU", {"alpha": 0.5}, "fn", 0.0),
    ("SELU", {}, "grad2", 0.0), ("SELU", {}, "fn", 0.0),
    ("HardSigmoid", {}, "fn", -2.5), ("HardSigmoid", {}, "fn", 2.5),
    ("HardSigmoid", {}, "grad", 2.5),
])
def test_kinks_where_numpy_ml_is_consistent(cls, kwargs, op, x):
    a = np.array([x])
    expected = getattr(getattr(npml, cls)(**kwargs), op)(a)[0]
    got = getattr(getattr(fastact, cls)(**kwargs), op)(a)[0]
    assert got == pytest.approx(float(expected), rel=1e-15, abs=0)


# --- documented differences -------------------------------------------------

def test_leaky_relu_grad_at_zero_is_left_hand():
    x = np.array([0.0])
    assert npml.LeakyReLU().grad(x)[0] == 1.0       # numpy-ml: right-hand value
    assert fastact.LeakyReLU().grad(x)[0] == 0.3    # ours: left-hand (alpha)
    assert fastact.LeakyReLU(alpha=0.1).grad(x)[0] == 0.1


def test_elu_grad2_at_zero_is_left_hand():
    x = np.array([0.0])
    assert npml.ELU(alpha=0.5).grad2(x)[0] == 0.0    # numpy-ml (x >= 0 branch)
    assert fastact.ELU(alpha=0.5).grad2(x)[0] == 0.5
    assert fastact.ELU().grad2(x)[0] == 1.0
    # numpy-ml is even inconsistent with its own grad at 0 (which is alpha):
    assert npml.ELU(alpha=0.5).grad(x)[0] == 0.5


def test_selu_grad_at_zero_is_left_hand():
    x = np.array([0.0])
    assert npml.SELU().grad(x)[0] == pytest.approx(SELU_SCALE, rel=1e-15)
    assert fastact.SELU().grad(x)[0] == pytest.approx(SELU_SCALE * SELU_ALPHA, rel=1e-15)


def test_hardsigmoid_grad_at_kinks_is_left_hand():
    x = np.array([-2.5, 2.5])
    np.testing.assert_array_equal(npml.HardSigmoid().grad(x), [0.2, 0.2])
    np.testing.assert_array_equal(fastact.HardSigmoid().grad(x), [0.0, 0.2])


def test_relu_grad_is_float_not_int():
    x = np.array([-1.0, 0.0, 2.0])
    assert npml.ReLU().grad(x).dtype.kind == "i"
    g = fastact.ReLU().grad(x)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, npml.ReLU().grad(x))


def test_softplus_does_not_overflow():
    x = np.array([1000.0, 800.0, -1000.0])
    with np.errstate(over="ignore"):
        assert np.isinf(npml.SoftPlus().fn(x)[0])
    np.testing.assert_array_equal(fastact.SoftPlus().fn(x), [1000.0, 800.0, 0.0])
    assert np.all(np.isfinite(fastact.SoftPlus().grad(x)))
    assert np.all(np.isfinite(fastact.SoftPlus().grad2(x)))


def test_sigmoid_grad_no_cancellation():
    x = np.array([40.0, -40.0])
    true = math.exp(-40.0) / (1 + math.exp(-40.0)) ** 2    # ~4.248e-18
    assert npml.Sigmoid().grad(x)[0] == 0.0                  # sigma * (1 - sigma) == 0
    np.testing.assert_allclose(fastact.Sigmoid().grad(x), [true, true], rtol=1e-12, atol=0)
    assert fastact.Sigmoid().grad(x)[0] == pytest.approx(4.248354255291589e-18, rel=1e-12)


# --- GELU ---------------------------------------------------------------------
# numpy-ml 0.1.2 has no GELU class, so ours is tested against the formulas
# directly. (numpy-ml's GitHub master has one, whose grad2 is wrong:
# (1/2*sqrt(2)) * (1 + erf'(s) + erf''(s)/sqrt(2)), s = x/sqrt(2); the true second
# derivative of x*Phi(x) is phi(x) * (2 - x^2).)

_erf = np.vectorize(math.erf, otypes=[np.float64])
XG = np.unique(np.concatenate([np.linspace(-8, 8, 1601),
                               np.random.default_rng(5).uniform(-8, 8, 1000), [0.0]]))


def _gelu_exact(x):
    Phi = 0.5 * (1 + _erf(x / math.sqrt(2)))
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    return x * Phi, Phi + x * phi, phi * (2 - x * x)


def _gelu_tanh(x):
    c = math.sqrt(2 / math.pi)
    u = c * (x + 0.044715 * x ** 3)
    du = c * (1 + 3 * 0.044715 * x ** 2)
    d2u = c * 6 * 0.044715 * x
    t = np.tanh(u)
    sech2 = 1 / np.cosh(u) ** 2
    fn = 0.5 * x * (1 + t)
    grad = 0.5 * (1 + t) + 0.5 * x * sech2 * du
    grad2 = sech2 * du + 0.5 * x * (-2 * t * sech2 * du * du + sech2 * d2u)
    return fn, grad, grad2


def _numpy_ml_master_gelu_grad2(x):
    s = x / np.sqrt(2)
    erf_prime = (2 / np.sqrt(np.pi)) * np.exp(-(s ** 2))
    erf_prime2 = -4 * s * np.exp(-(s ** 2)) / np.sqrt(np.pi)
    return (1 / 2 * np.sqrt(2)) * (1 + erf_prime + (erf_prime2 / np.sqrt(2)))


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_class_against_formulas(approximate):
    g = fastact.GELU(approximate=approximate)
    with np.errstate(over="ignore"):
        refs = (_gelu_tanh if approximate else _gelu_exact)(XG)
    for op, ref in zip(OPS, refs):
        assert_close(getattr(g, op)(XG), ref, XG, rtol=1e-12, atol=1e-15,
                     what=f"GELU(approximate={approximate}).{op}")
    assert_close(g(XG), refs[0], XG, what="GELU()")


def test_gelu_default_is_tanh_approximation():
    assert_close(fastact.GELU().fn(XG), _gelu_tanh(XG)[0], XG)
    assert str(fastact.GELU()) == "GELU(approximate=True)"
    assert str(fastact.GELU(approximate=False)) == "GELU(approximate=False)"
    # the approximation differs measurably from the exact function
    assert np.max(np.abs(fastact.GELU(True).fn(XG) - fastact.GELU(False).fn(XG))) > 1e-4


def test_gelu_grad2_is_the_true_one_not_numpy_ml_masters():
    x = np.linspace(-4, 4, 81)
    ours = fastact.GELU(approximate=False).grad2(x)
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    assert_close(ours, phi * (2 - x * x), x)
    assert ours[40] == pytest.approx(2 / math.sqrt(2 * math.pi), rel=1e-15)  # x = 0
    wrong = _numpy_ml_master_gelu_grad2(x)
    assert np.max(np.abs(ours - wrong)) > 0.5
    # and grad2 is really the derivative of grad (central differences)
    h = 1e-5
    g = fastact.GELU(approximate=False).grad
    fd = (g(x + h) - g(x - h)) / (2 * h)
    np.testing.assert_allclose(ours, fd, rtol=1e-6, atol=1e-8)
