"""Property-based tests (hypothesis) of fastact's elementwise semantics:
aliasing, layouts, precision relations between dtypes, error atomicity and the
absence of NaN for finite inputs."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fastact

# database=None: no .hypothesis/ directory is written into the repository.
SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

OPS = ("fn", "grad", "grad2")


def f32(lo, hi):
    """Floats exactly representable in float32 (so float32 and float64 runs use
    the very same parameter value)."""
    return st.floats(lo, hi, width=32)


def _d(**kw):
    return st.fixed_dictionaries(kw)


PARAM_ST = {
    "identity": st.just({}),
    "affine": _d(slope=f32(-1e6, 1e6), intercept=f32(-1e6, 1e6)),
    "relu": st.just({}),
    "leaky_relu": _d(negative_slope=f32(-10, 10)),
    "prelu": _d(weight=f32(-10, 10)),
    "elu": _d(alpha=f32(-10, 10)),
    "selu": st.just({}),
    "celu": _d(alpha=f32(2.0 ** -10, 2.0 ** 10)),
    "gelu": _d(approximate=st.sampled_from(["none", "tanh"])),
    "sigmoid": st.just({}),
    "log_sigmoid": st.just({}),
    "tanh": st.just({}),
    "arctan": st.just({}),
    "softsign": st.just({}),
    "softplus": _d(beta=f32(2.0 ** -10, 2.0 ** 10)),
    "silu": st.just({}),
    "swish": _d(beta=f32(-100, 100)),
    "mish": st.just({}),
    "exponential": st.just({}),
    "hardsigmoid": st.just({}),
    "hardtanh": st.tuples(f32(-1e6, 1e6), f32(-1e6, 1e6)).map(sorted).map(
        lambda t: {"min_val": t[0], "max_val": t[1]}),
    "relu6": st.just({}),
    "hardswish": st.just({}),
}
NAMES = tuple(PARAM_ST)

_nonfinite = st.sampled_from([math.nan, math.inf, -math.inf])
_finite = st.floats(allow_nan=False, allow_infinity=False)
BAD_PARAM_ST = {
    "affine": st.one_of(_d(slope=_nonfinite), _d(intercept=_nonfinite)),
    "leaky_relu": _d(negative_slope=_nonfinite),
    "prelu": _d(weight=_nonfinite),
    "elu": _d(alpha=_nonfinite),
    "celu": _d(alpha=st.one_of(_nonfinite, st.floats(max_value=0.0))),
    "gelu": _d(approximate=st.text(max_size=6).filter(lambda s: s not in ("none", "tanh"))),
    "softplus": _d(beta=st.one_of(_nonfinite, st.floats(max_value=0.0))),
    "swish": _d(beta=_nonfinite),
    "hardtanh": st.one_of(
        _d(min_val=_nonfinite), _d(max_val=_nonfinite),
        st.tuples(_finite, _finite).filter(lambda t: t[0] != t[1]).map(sorted).map(
            lambda t: {"min_val": t[1], "max_val": t[0]})),
}

# (name, op) whose exact value can overflow for finite input (and valid drawn
# parameters): there inf is fine, NaN never is.
ALLOW_INF = {("affine", "fn"), ("leaky_relu", "fn"), ("prelu", "fn"), ("selu", "fn"),
             ("exponential", "fn"), ("exponential", "grad"), ("exponential", "grad2")}


def ops_of(name):
    return OPS + (("grad_weight",) if name == "prelu" else ())


def call(name, op, x, params, **kw):
    f = getattr(fastact, name)
    if op != "fn":
        f = getattr(f, op)
    return f(x, **params, **kw)


UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def assert_bitwise(a, b, what=""):
    """Same dtype, shape and bits (any two NaNs count as equal)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    u = UINT[a.dtype.itemsize]
    same = (a.view(u) == b.view(u)) | (np.isnan(a) & np.isnan(b))
    if not same.all():
        i = np.flatnonzero(~same)[:5]
        raise AssertionError(f"{what}: differ at {i}: {a.ravel()[i]!r} vs {b.ravel()[i]!r}")


def float_arrays(dtype, finite=False, shape=None, max_side=6):
    bits = np.dtype(dtype).itemsize * 8
    elems = st.one_of(
        st.floats(-30, 30, width=bits),
        st.floats(width=bits, allow_nan=not finite, allow_infinity=not finite))
    if shape is None:
        shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=max_side)
    return hnp.arrays(dtype, shape, elements=elems)


FLOAT_DTYPES = st.sampled_from([np.float16, np.float32, np.float64])


# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_in_place_equals_out_of_place(name, data):
    op = data.draw(st.sampled_from(ops_of(name)), label="op")
    params = data.draw(PARAM_ST[name], label="params")
    x = data.draw(float_arrays(data.draw(FLOAT_DTYPES, label="dtype")), label="x")
    expected = np.asarray(call(name, op, x.copy(), params))
    y = x.copy()
    r = call(name, op, y, params, out=y)
    assert r is y
    assert_bitwise(y, expected, f"{name}.{op}{params} in place")


@st.composite
def strided_views(draw, dtype):
    ndim = draw(st.integers(1, 3), label="ndim")
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim), label="shape"))
    base = draw(float_arrays(dtype, shape=shape), label="base")
    if draw(st.booleans(), label="fortran"):
        base = np.asfortranarray(base)
    idx = []
    for s in shape:
        start = draw(st.one_of(st.none(), st.integers(0, s - 1)))
        step = draw(st.sampled_from([1, 2, 3, -1, -2]))
        idx.append(slice(start, None, step))
    v = base[tuple(idx)]
    v = v.transpose(draw(st.permutations(range(ndim)), label="perm"))
    kind = draw(st.sampled_from(["none", "lead", "axis"]), label="broadcast")
    if kind == "lead":
        v = np.broadcast_to(v, (draw(st.integers(1, 3)),) + v.shape)
    elif kind == "axis":
        v = np.broadcast_to(v[..., :1], v.shape[:-1] + (draw(st.integers(1, 4)),))
    if draw(st.booleans(), label="byteswapped"):
        v = v.astype(v.dtype.newbyteorder())[..., ::-1]
    return v


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_any_layout_equals_contiguous(name, data):
    op = data.draw(st.sampled_from(ops_of(name)), label="op")
    params = data.draw(PARAM_ST[name], label="params")
    dtype = data.draw(FLOAT_DTYPES, label="dtype")
    v = data.draw(strided_views(dtype), label="view")
    native = np.ascontiguousarray(v).astype(np.dtype(dtype))  # native byte order
    expected = call(name, op, native, params)
    got = call(name, op, v, params)
    assert got.shape == v.shape
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    assert_bitwise(got, expected, f"{name}.{op}{params} strided")
    # and a strided (possibly reversed) out
    step = data.draw(st.sampled_from([2, -2, -1]), label="out step")
    big = np.full(tuple(2 * s for s in v.shape), 99.0, dtype=dtype)
    out = big[tuple(slice(None, None, step) for _ in v.shape)][tuple(slice(0, s) for s in v.shape)]
    assert out.shape == v.shape
    assert call(name, op, v, params, out=out) is out
    assert_bitwise(out, expected, f"{name}.{op}{params} strided out")


def _ulp32(a):
    """ulp, in float32, of the binade of |a| (float64 values); 2**-149 floor."""
    a = np.abs(a)
    _, e = np.frexp(a)
    ulp = np.ldexp(1.0, e - 24)
    return np.maximum(ulp, 2.0 ** -149)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_float32_within_2ulp_of_float64(name, data):
    op = data.draw(st.sampled_from(ops_of(name)), label="op")
    params = data.draw(PARAM_ST[name], label="params")
    x32 = data.draw(float_arrays(np.float32, finite=True,
                                 shape=hnp.array_shapes(min_dims=1, max_dims=1, max_side=30)),
                    label="x")
    r32 = call(name, op, x32, params)
    r64 = call(name, op, x32.astype(np.float64), params)
    assert r32.dtype == np.float32
    nan64 = np.isnan(r64)
    assert np.array_equal(np.isnan(r32), nan64), (x32, r32, r64)
    inf64 = np.isinf(r64)
    assert np.array_equal(r32[inf64], r64[inf64].astype(np.float32)), (x32, r32, r64)
    check = ~nan64 & ~inf64 & (np.abs(r64) <= np.finfo(np.float32).max)
    with np.errstate(invalid="ignore"):
        err = np.abs(r32.astype(np.float64) - r64)
        ulps = np.where(check, err / _ulp32(r64), 0.0)
    bad = ulps > 2
    if bad.any():
        i = np.flatnonzero(bad)[:5]
        raise AssertionError(
            f"{name}.{op}{params}: float32 off by > 2 ulp at x={x32[i].tolist()!r}: "
            f"f32={r32[i].tolist()!r} f64={r64[i].tolist()!r} ulps={ulps[i].tolist()!r}")


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_float16_equals_float32_cast(name, data):
    op = data.draw(st.sampled_from(ops_of(name)), label="op")
    params = data.draw(PARAM_ST[name], label="params")
    x16 = data.draw(float_arrays(np.float16), label="x")
    got = np.asarray(call(name, op, x16, params))
    assert got.dtype == np.float16
    with np.errstate(over="ignore"):
        expected = np.asarray(call(name, op, x16.astype(np.float32), params)).astype(np.float16)
    assert_bitwise(got, expected, f"{name}.{op}{params} float16")


@st.composite
def bad_calls(draw, name):
    """(x, out, kwargs, expected exception) for a call that must fail."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = draw(float_arrays(dtype, shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=5)))
    kinds = ["out_dtype", "out_shape", "out_readonly", "in_dtype"]
    if name in BAD_PARAM_ST:
        kinds.append("param")
    kind = draw(st.sampled_from(kinds), label="kind")
    out_dtype, out_shape, params, exc = dtype, x.shape, draw(PARAM_ST[name]), None
    readonly = False
    if kind == "out_dtype":
        out_dtype = draw(st.sampled_from([t for t in (np.float16, np.float32, np.float64,
                                                      np.int64, np.complex128) if t != dtype]))
        exc = TypeError
    elif kind == "out_shape":
        out_shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
                         .filter(lambda s: s != x.shape))
        exc = ValueError
    elif kind == "out_readonly":
        readonly = True
        exc = ValueError
    elif kind == "in_dtype":
        with np.errstate(over="ignore"):
            x = x.astype(draw(st.sampled_from([np.complex128, np.complex64, np.longdouble,
                                               object])))
        exc = TypeError
    else:
        params = dict(params, **draw(BAD_PARAM_ST[name]))
        exc = ValueError
    sentinel = draw(hnp.arrays(out_dtype, out_shape), label="sentinel")
    if readonly:
        sentinel.flags.writeable = False
    return x, sentinel, params, exc


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_errors_leave_out_untouched(name, data):
    op = data.draw(st.sampled_from(ops_of(name)), label="op")
    x, out, params, exc = data.draw(bad_calls(name), label="call")
    before = out.copy()
    with pytest.raises(exc):
        call(name, op, x, params, out=out)
    assert out.tobytes() == before.tobytes()


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_finite_in_no_nan_out(name, data):
    op = data.draw(st.sampled_from(ops_of(name)), label="op")
    params = data.draw(PARAM_ST[name], label="params")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    x = data.draw(float_arrays(dtype, finite=True,
                               shape=hnp.array_shapes(min_dims=1, max_dims=1, max_side=30)),
                  label="x")
    r = call(name, op, x, params)
    if (name, op) in ALLOW_INF:
        ok = ~np.isnan(r)
    else:
        ok = np.isfinite(r)
    if not ok.all():
        i = np.flatnonzero(~ok)[:5]
        raise AssertionError(f"{name}.{op}{params} {np.dtype(dtype)}: x={x[i].tolist()!r} "
                             f"-> {r[i].tolist()!r}")


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_nan_in_nan_out(name, data):
    op = data.draw(st.sampled_from(ops_of(name)), label="op")
    params = data.draw(PARAM_ST[name], label="params")
    x = data.draw(float_arrays(data.draw(FLOAT_DTYPES, label="dtype")), label="x")
    r = np.asarray(call(name, op, x, params))
    nan_in = np.isnan(x)
    assert np.isnan(r[nan_in]).all(), (x, r)
    assert not np.isnan(r[np.isfinite(x)]).any(), (x, r)
