"""Fused ops: backward(x, grad_output) = grad_output * grad(x), and fn_and_grad(x).

Checked against the separate fn/grad calls (which test_accuracy.py checks against
mpmath): float64 bit for bit (one rounding of the same double product), float32
within 1 ULP of the float64 value (the fused loop may round differently).
"""

import os
import sys

import numpy as np
import pytest

import fastact

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mp_reference as R  # noqa: E402

PARAMS = {"leaky_relu": (0.2,), "prelu": (0.3,), "elu": (0.7,), "celu": (0.4,),
          "softplus": (2.0,), "swish": (1.5,), "affine": (-1.5, 0.25),
          "hardtanh": (-2.0, 0.5), "gelu": ("tanh",)}
NAMES = list(fastact.ACTIVATIONS) + ["gelu-exact"]


def _func(name):
    if name == "gelu-exact":
        return fastact.gelu, ()
    return fastact.FUNCTIONS[name], PARAMS.get(name, ())


def _grid(dtype):
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.standard_normal(5000) * 6, np.linspace(-40, 40, 801),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 3.0, -3.0, 6.0]])
    return x.astype(dtype)


def _ulp32(v):
    with np.errstate(over="ignore"):
        u = np.spacing(np.abs(v).astype(np.float32)).astype(np.float64)
    return np.maximum(u, 2.0**-149)


# The mp_reference configuration of each name that R.FLOAT32_WINDOW_RULE names
# (with PARAMS' arguments): there backward is allowed |grad_output| times the
# window rule's unit more.
CONFIG_ID = {"gelu-exact": "gelu", "gelu": "gelu(approximate=tanh)"}


def _grad_window_unit(name, f, args, x):
    return R.float32_window_unit(CONFIG_ID.get(name), "grad", x, lambda xs: f.grad(xs, *args))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backward_is_grad_output_times_grad(name, dtype):
    f, args = _func(name)
    x = _grid(dtype)
    g = np.random.default_rng(3).standard_normal(x.size).astype(dtype)
    got = f.backward(x, g, *args)
    assert got.dtype == dtype and got.shape == x.shape
    if dtype == np.float64:
        want = g * f.grad(x, *args)
        np.testing.assert_array_equal(got, want)
    else:
        want = g.astype(np.float64) * f.grad(x.astype(np.float64), *args)
        fin = np.isfinite(want)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        extra = np.abs(g.astype(np.float64)) * _grad_window_unit(name, f, args, x)
        assert np.all(np.abs(got[fin] - want[fin])
                      <= 1.0 * _ulp32(want[fin]) + 0.5 * _ulp32(want[fin]) + extra[fin])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fn_and_grad_equal_the_separate_calls(name, dtype):
    f, args = _func(name)
    x = _grid(dtype)
    fn, gr = f.fn_and_grad(x, *args)
    for got, want in ((fn, f(x, *args)), (gr, f.grad(x, *args))):
        assert got.dtype == dtype
        if dtype == np.float64:
            np.testing.assert_array_equal(got, want)
        else:
            fin = np.isfinite(want)
            assert np.array_equal(np.isnan(got), np.isnan(want))
            assert np.array_equal(got[~fin], want[~fin], equal_nan=True)
            assert np.all(np.abs(got[fin].astype(np.float64) - want[fin]) <= _ulp32(want[fin]))


def test_out_arguments_and_in_place():
    x = np.linspace(-4, 4, 50_001)            # above the threaded threshold too
    g = np.cos(x)
    want = g * fastact.sigmoid.grad(x)
    r = fastact.sigmoid.backward(x, g, out=g)  # in place on grad_output
    assert r is g
    np.testing.assert_array_equal(g, want)
    a, b = np.empty_like(x), np.empty_like(x)
    ra, rb = fastact.tanh.fn_and_grad(x, out=(a, b))
    assert ra is a and rb is b
    np.testing.assert_array_equal(a, fastact.tanh(x))
    np.testing.assert_array_equal(b, fastact.tanh.grad(x))
    y = np.linspace(-3, 3, 7).reshape(7, 1)[::-1]   # non-contiguous, 2-d
    np.testing.assert_array_equal(fastact.mish.backward(y, np.ones_like(y)), fastact.mish.grad(y))


def test_class_api_has_the_fused_ops():
    x = np.linspace(-3, 3, 13)
    g = np.full_like(x, 2.0)
    act = fastact.LeakyReLU(alpha=0.1)
    np.testing.assert_array_equal(act.backward(x, g), 2.0 * act.grad(x))
    fn, gr = fastact.GELU(approximate=False).fn_and_grad(x)
    np.testing.assert_array_equal(fn, fastact.gelu(x))
    np.testing.assert_array_equal(gr, fastact.gelu.grad(x))


def test_bad_fused_calls_raise_and_write_nothing():
    x = np.linspace(-1, 1, 10)
    out = np.full(10, 7.0)
    with pytest.raises(ValueError, match="grad_output"):
        fastact.relu.backward(x, np.ones(9), out=out)
    with pytest.raises(TypeError):
        fastact.relu.backward(x, np.ones(10, dtype=complex), out=out)
    with pytest.raises(ValueError, match="alpha"):
        fastact.elu.backward(x, np.ones(10), float("nan"), out=out)
    with pytest.raises(TypeError, match="tuple of 2"):
        fastact.relu.fn_and_grad(x, out=out)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros(10)
        ro.flags.writeable = False
        fastact.relu.fn_and_grad(x, out=(np.zeros(10), ro))
    assert np.all(out == 7.0)
