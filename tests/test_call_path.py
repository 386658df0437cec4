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
