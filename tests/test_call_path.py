"""The compiled call path (fastact/_call.pyx) against the general Python path.

Plain C-contiguous float32/float64 ndarrays run validation and dispatch in C;
everything else goes through fastact._dispatch.apply.  Both must give the same
bits, and the compiled path must never take a case it cannot do right (partial
overlap, foreign byte order, read-only out, ...).
"""

import pickle

import numpy as np
import pytest

import fastact
from fastact import _call, _dispatch

DTYPES = [np.float32, np.float64]


def _general(f, op, x, *args):
    """The same op through the general path (no compiled fast path)."""
    loop, p0, p1 = f._prepare(op, args, {})
    return _dispatch.apply(loop, x, p0, p1, None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args", [("relu", ()), ("elu", (0.7,)), ("gelu", ()),
                                       ("softplus", (2.0,)), ("hardtanh", (-2.0, 0.5)),
                                       ("sigmoid", ())])
@pytest.mark.parametrize("op", ["fn", "grad", "grad2"])
def test_same_bits_as_the_general_path(dtype, name, args, op):
    f = fastact.FUNCTIONS[name]
    x = np.random.default_rng(1).normal(0, 4, (37, 5)).astype(dtype)
    x[0, :3] = [np.nan, np.inf, -np.inf]
    method = f if op == "fn" else getattr(f, op)
    got = method(x, *args)
    assert type(got) is np.ndarray and got.dtype == dtype and got.shape == x.shape
    want = _general(f, op, x, *args)
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
    out = np.full_like(x, 7)
    assert method(x, *args, out=out) is out
    np.testing.assert_array_equal(out.view(np.uint8), want.view(np.uint8))
    y = x.copy()
    assert method(y, *args, out=y) is y                         # in place
    np.testing.assert_array_equal(y.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES)
def test_partial_overlap_reads_the_input_before_writing(dtype):
    base = np.linspace(-3, 3, 20).astype(dtype)
    x = base[:-1]
    want = np.tanh(x.astype(np.float64)).astype(dtype)
    out = base[1:]                               # overlaps x shifted by one element
    fastact.tanh(x.copy(), out=out)              # reference for the layout
    base2 = np.linspace(-3, 3, 20).astype(dtype)
    res = fastact.tanh(base2[:-1], out=base2[1:])
    np.testing.assert_allclose(res, want, rtol=4e-7 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("make", [
    lambda x: x.astype(x.dtype.newbyteorder()),            # foreign byte order
    lambda x: x[::2],                                     # strided
    lambda x: np.asfortranarray(x.reshape(6, 10))[:, :5],  # non-contiguous 2-d
    lambda x: x.reshape(6, 10).T,                          # Fortran order
    lambda x: x.view(np.ma.MaskedArray),                  # subclass
    lambda x: x.tolist(),                                 # array-like
    lambda x: x[7],                                       # scalar
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_other_layouts_take_the_general_path_and_agree(make, dtype):
    x = np.linspace(-5, 5, 60).astype(dtype)
    arg = make(x)
    got = np.asarray(fastact.softplus.grad(arg, 1.5))
    want = fastact.softplus.grad(np.ascontiguousarray(np.asarray(arg).astype(got.dtype)), 1.5)
    np.testing.assert_array_equal(got, want)


def test_bad_out_never_taken_by_the_compiled_path():
    x = np.linspace(-1, 1, 10)
    ro = np.zeros(10)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fastact.relu(x, out=ro)
    assert not ro.any()
    with pytest.raises(TypeError, match="dtype"):
        fastact.relu(x, out=np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="shape"):
        fastact.relu(x, out=np.zeros((2, 5)))
    swapped = np.zeros(10, dtype=">f8")
    with pytest.raises(TypeError, match="dtype"):
        fastact.relu(x, out=swapped)


def test_signed_zero_parameters_are_not_confused():
    # -0.0 == 0.0 and hash(-0.0) == hash(0.0): a parameter cache keyed on the
    # values would give the second call the first call's sign.
    x = np.array([-1.0, -2.0])
    for first, second in [(0.0, -0.0), (-0.0, 0.0)]:
        a = fastact.hardtanh(x, first, 1.0)            # clipped to min_val itself
        b = fastact.hardtanh(x, second, 1.0)
        c = fastact.hardtanh(x, min_val=first, max_val=1.0)
        d = fastact.hardtanh(x, min_val=second, max_val=1.0)
        for res, p in ((a, first), (b, second), (c, first), (d, second)):
            assert np.all(np.signbit(res) == np.signbit(p)), (p, res)


def test_many_parameter_values():
    # More distinct parameter sets than the binding cache keeps.
    x = np.linspace(-3, 1, 9)
    for i in range(1, 700):
        alpha = i / 7.0
        want = np.where(x > 0, x, alpha * np.expm1(x))
        np.testing.assert_allclose(fastact.elu(x, alpha), want, rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 10**400, "1", None, [1.0]])
def test_bad_parameters_raise_every_time(bad):
    x = np.ones(4)
    for _ in range(3):
        with pytest.raises((TypeError, ValueError)):
            fastact.elu(x, bad)


def test_equal_parameters_of_other_types_bind_the_same():
    x = np.linspace(-3, 3, 11)
    want = fastact.elu(x, 2.0)
    for alpha in (2, 2.0, np.float64(2.0), np.float32(2.0), True + 1):
        np.testing.assert_array_equal(fastact.elu(x, alpha), want)
        np.testing.assert_array_equal(fastact.elu(x, alpha=alpha), want)


def test_activations_pickle_by_name():
    for f in fastact.FUNCTIONS.values():
        assert pickle.loads(pickle.dumps(f)) is f


def test_loop_holds_the_python_pair():
    loop = _dispatch.loop_pair("relu", "fn")
    assert isinstance(loop, _call.Loop)
    x = np.linspace(-1, 1, 5)
    out = np.empty_like(x)
    loop[1](x, out, 0.0, 0.0, 1)
    np.testing.assert_array_equal(out, np.maximum(x, 0))


# ---------------------------------------------------------------- fused ops
def _general_fused(f, op, inputs, *args, out=None):
    loop, p0, p1 = f._prepare(op, args, {})
    return _dispatch.apply_fused(loop, inputs, p0, p1, out, 1 if op == "backward" else 2)


def _bits(a):
    return np.asarray(a).view(np.uint8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args", [("relu", ()), ("elu", (0.7,)), ("gelu", ()),
                                       ("softplus", (2.0,)), ("sigmoid", ()), ("mish", ())])
def test_fused_ops_same_bits_as_the_general_path(dtype, name, args):
    f = fastact.FUNCTIONS[name]
    rng = np.random.default_rng(2)
    x = rng.normal(0, 4, (41, 3)).astype(dtype)
    x[0] = [np.nan, np.inf, -np.inf]
    g = rng.normal(0, 1, x.shape).astype(dtype)
    want = _general_fused(f, "backward", (x, g), *args)
    got = f.backward(x, g, *args)
    assert type(got) is np.ndarray and got.dtype == dtype and got.shape == x.shape
    np.testing.assert_array_equal(_bits(got), _bits(want))
    out = np.full_like(x, 7)
    assert f.backward(x, g, *args, out=out) is out
    np.testing.assert_array_equal(_bits(out), _bits(want))
    g2 = g.copy()
    assert f.backward(x, g2, *args, out=g2) is g2                  # in place on grad_output
    np.testing.assert_array_equal(_bits(g2), _bits(want))
    x2 = x.copy()
    assert f.backward(x2, g, *args, out=x2) is x2                  # in place on x
    np.testing.assert_array_equal(_bits(x2), _bits(want))

    want_f, want_d = _general_fused(f, "fn_and_grad", (x,), *args)
    got_f, got_d = f.fn_and_grad(x, *args)
    np.testing.assert_array_equal(_bits(got_f), _bits(want_f))
    np.testing.assert_array_equal(_bits(got_d), _bits(want_d))
    outs = (np.full_like(x, 7), np.full_like(x, 7))
    assert f.fn_and_grad(x, *args, out=outs) is outs
    x3 = x.copy()
    d3 = np.empty_like(x)
    r = f.fn_and_grad(x3, *args, out=(x3, d3))                     # fn in place
    assert r[0] is x3 and r[1] is d3
    for a, b in ((outs[0], want_f), (outs[1], want_d), (x3, want_f), (d3, want_d)):
        np.testing.assert_array_equal(_bits(a), _bits(b))


def test_string_parameters_and_extra_ops_are_remembered(monkeypatch):
    """gelu(approximate='tanh') (a str parameter, remembered like numbers) and
    prelu.grad_weight (an extra op) bind their parameters once, then skip the
    Python binding (it cost them 2.3 us per call at n = 100, against 0.35-0.5
    us), with the same bits; a str subclass is bound every time."""
    x = np.random.default_rng(2).normal(0, 3, 100)
    x[:3] = [np.nan, np.inf, -np.inf]
    want_g = _general(fastact.gelu, "fn", x, "tanh")
    want_w = _general(fastact.prelu, "grad_alpha", x, 0.25)
    cls = type(fastact.gelu)
    prepare = cls._prepare
    calls = []

    def counting(self, op, args, kwargs):
        calls.append((self.name, op))
        return prepare(self, op, args, kwargs)

    monkeypatch.setattr(cls, "_prepare", counting)
    gelu_tanh = fastact.gelu.__class__("gelu", (("approximate", "none"),),
                                       fastact.gelu._bind, ("gelu", "gelu_tanh"), "")
    for _ in range(3):
        np.testing.assert_array_equal(_bits(gelu_tanh(x, "tanh")), _bits(want_g))
        out = np.empty_like(x)
        gelu_tanh(x, approximate="tanh", out=out)
        np.testing.assert_array_equal(_bits(out), _bits(want_g))
        np.testing.assert_array_equal(_bits(fastact.prelu.grad_weight(x, 0.25)), _bits(want_w))
    assert calls.count(("gelu", "fn")) == 2            # positional and keyword: two keys
    assert calls.count(("prelu", "grad_alpha")) <= 1   # bound at most once (maybe earlier)
    np.testing.assert_array_equal(_bits(gelu_tanh(x, np.str_("tanh"))), _bits(want_g))
    assert calls.count(("gelu", "fn")) == 3            # a str subclass: bound again
    with pytest.raises(ValueError):
        fastact.gelu(x, "tanh" * 10)                   # validated, never remembered


def test_fused_ops_take_the_compiled_path(monkeypatch):
    """Plain arrays never reach the general path; anything else does."""
    x = np.linspace(-3, 3, 100)
    g = np.ones_like(x)
    want_b = fastact.tanh.backward(x, g)
    want_fd = fastact.tanh.fn_and_grad(x)
    calls = []

    def general(*a, **k):
        calls.append(a)
        raise RuntimeError("general path")

    monkeypatch.setattr(_dispatch, "apply_fused", general)
    np.testing.assert_array_equal(fastact.tanh.backward(x, g), want_b)
    np.testing.assert_array_equal(fastact.tanh.backward(x, g, out=np.empty_like(x)), want_b)
    for a, b in zip(fastact.tanh.fn_and_grad(x), want_fd):
        np.testing.assert_array_equal(a, b)
    x32 = x.astype(np.float32)
    fastact.tanh.fn_and_grad(x32, out=(np.empty_like(x32), np.empty_like(x32)))
    assert calls == []
    for call in (lambda: fastact.tanh.backward(x[::2], g[::2]),              # strided
                 lambda: fastact.tanh.backward(x, g.astype(np.float32)),     # mixed dtypes
                 lambda: fastact.tanh.backward(x.tolist(), g),               # array-like
                 lambda: fastact.tanh.fn_and_grad(x, out=(np.empty(100), np.empty(100, np.float32)))):
        with pytest.raises(RuntimeError, match="general path"):
            call()
    assert len(calls) == 4


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_ops_overlapping_outputs_agree(dtype):
    """Partial overlaps (and fn_and_grad's two outputs in one array) go to the
    general path, which reads every input before writing."""
    base = np.linspace(-3, 3, 41).astype(dtype)
    x, g = base[:-1].copy(), np.cos(base[:-1]).astype(dtype)
    want = fastact.sigmoid.backward(x, g)
    buf = np.concatenate([g, [dtype(0)]])
    res = fastact.sigmoid.backward(x, buf[:-1], out=buf[1:])       # out = g shifted by one
    np.testing.assert_array_equal(res, want)
    buf = np.concatenate([x, [dtype(0)]])
    res = fastact.sigmoid.backward(buf[:-1], g, out=buf[1:])       # out = x shifted by one
    np.testing.assert_array_equal(res, want)
    f_want, d_want = fastact.sigmoid.fn_and_grad(x)
    both = np.empty_like(x)
    r = fastact.sigmoid.fn_and_grad(x, out=(both, both))
    assert r[0] is both and r[1] is both
    np.testing.assert_array_equal(both, d_want)                    # written last
    buf = np.concatenate([x, [dtype(0)]])
    d = np.empty_like(x)
    fastact.sigmoid.fn_and_grad(buf[:-1], out=(buf[1:], d))
    np.testing.assert_array_equal(buf[1:], f_want)
    np.testing.assert_array_equal(d, d_want)


def test_parameter_sets_in_any_order_bind_their_own_values(monkeypatch):
    """Each op remembers its defaults and its last parameter set by value (the
    fast lookup of fastact/_call.pyx); a sequence that switches between sets,
    positional and keyword, floats, ints, zeros, strs and other types, must
    give every call its own parameters' bits, and a set repeated in a row is
    bound (validated) once."""
    x = np.random.default_rng(7).normal(0, 3, 64)
    x[:3] = [np.nan, np.inf, -np.inf]
    seq = [((), {}), ((1.5, 0.25), {}), ((), {"slope": 1.5, "intercept": 0.25}),
           ((2.0, 0.25), {}), ((1.5, 0.25), {}), ((), {"intercept": 0.25, "slope": 1.5}),
           ((), {"slope": 1.5, "intercept": 0.5}), ((-0.0, 1.0), {}), ((0.0, 1.0), {}),
           ((3, 1), {}), ((np.float32(1.5), 0.25), {}), ((), {}), ((1.5,), {}),
           ((), {"slope": 2.0}), ((), {"slope": 2.0}), ((), {"intercept": 2.0}),
           ((), {"intercept": 2.0}), ((2.0,), {}), ((2.0,), {}), ((), {"slope": 2.0})] * 2
    for op in ("fn", "grad", "grad2"):
        f = fastact.affine if op == "fn" else getattr(fastact.affine, op)
        for args, kwargs in seq:
            slope = kwargs.get("slope", args[0] if args else 1.0)
            intercept = kwargs.get("intercept", args[1] if len(args) > 1 else 0.0)
            want = _general(fastact.affine, op, x, slope, intercept)
            np.testing.assert_array_equal(_bits(f(x, *args, **kwargs)), _bits(want),
                                          err_msg=f"{op} {args} {kwargs}")
    g = np.random.default_rng(8).normal(0, 1, 64)
    for beta in (1.5, 2.5, 1.5, 1.5, 2.5, 2.5, 1.0, 1.5):
        lp, p0, p1 = fastact.swish._prepare("backward", (beta,), {})
        want = _dispatch.apply_fused(lp, (x, g), p0, p1, None, 1)
        np.testing.assert_array_equal(_bits(fastact.swish.backward(x, g, beta=beta)),
                                      _bits(want))
        lp, p0, p1 = fastact.swish._prepare("fn_and_grad", (beta,), {})
        want = _dispatch.apply_fused(lp, (x,), p0, p1, None, 2)
        got = fastact.swish.fn_and_grad(x, beta)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(_bits(a), _bits(b))
    for approximate in ("tanh", "none", "tanh"):
        np.testing.assert_array_equal(
            _bits(fastact.gelu(x, approximate=approximate)),
            _bits(_general(fastact.gelu, "fn", x, approximate)))
    # A set repeated in a row: bound once, then found without binding.
    act = fastact.celu.__class__("celu", (("alpha", 1.0),), fastact.celu._bind, ("celu",), "")
    cls = type(act)
    prepare = cls._prepare
    calls = []

    def counting(self, op, args, kwargs):
        calls.append(op)
        return prepare(self, op, args, kwargs)

    monkeypatch.setattr(cls, "_prepare", counting)
    for _ in range(5):
        act.grad(x, alpha=0.75)
        act.grad(x)
    assert calls == ["grad", "grad"]                  # the set and the defaults
    with pytest.raises(ValueError):
        act.grad(x, alpha=-1.0)                       # validated, never remembered
    np.testing.assert_array_equal(_bits(act.grad(x, alpha=0.75)),
                                  _bits(_general(fastact.celu, "grad", x, 0.75)))
