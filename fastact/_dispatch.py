"""Input validation and dispatch to the generated loops.

Everything that can fail is checked before anything is written, so a bad call
leaves ``out`` untouched.  Then the input is viewed (or, when it must be,
copied) as a flat contiguous buffer of float32 or float64 and handed to the
loop, which writes straight into ``out`` whenever ``out`` can be viewed flat in
the same element order; otherwise into a temporary that is copied into ``out``.
"""

import math

import numpy as np

from fastact import _config, _loops, _simd, _thresholds

_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_FLOAT16 = np.dtype(np.float16)
_SUPPORTED = (
    "float32 and float64 (computed natively), float16 (computed in float32), "
    "bool and integer (converted to float64)"
)


def _specialize(loop, ctype):
    """The ``ctype`` ('float' or 'double') version of a generated loop."""
    return loop[ctype] if hasattr(loop, "__signatures__") else loop


def loop_pair(kernel, op):
    """The (float32, float64) loops of KERNEL_OP as a ``fastact._call.Loop``,
    which also holds their C pointers (unary ops: fn, grad, grad2, extra ops;
    fused ops: backward, fn_and_grad).

    float32: the vectorized loops of the SIMD level chosen at import
    (``fastact._simd``); float64: those too for the kernels of
    ``_spec.VECTOR_FLOAT64`` at the AVX2 and AVX-512 levels, else the accurate
    loops of ``_loops``.
    """
    name = f"{kernel}_{op}"
    vec = _simd.FLOAT32_LOOPS
    f64_module = _simd.FLOAT64_LOOPS if _simd.vector_float64(kernel) else _loops
    pair = (_specialize(getattr(vec, name), "float"),
            _specialize(getattr(f64_module, name), "double"))
    from fastact._call import Loop                     # _call imports this module

    # Fused ops: the thresholds of the kernel's grad (the larger part of the work).
    key = name if name in _loops.POINTERS_DOUBLE else f"{kernel}_grad"
    thresholds = [_thresholds.THRESHOLDS.get(d, {}).get(key, _thresholds.DEFAULT)
                  for d in ("float32", "float64")]
    # Serial ns per element (0: unknown); fn_and_grad's, fn's and grad's.
    parts = [f"{kernel}_fn", key] if op == "fn_and_grad" else [key]
    costs = [sum(_thresholds.COSTS.get(d, {}).get(k, 0.0) for k in parts)
             for d in ("float32", "float64")]
    if name not in _loops.POINTERS_DOUBLE:             # fused ops
        return Loop(pair, vec.FUSED_POINTERS_FLOAT[name], f64_module.FUSED_POINTERS_DOUBLE[name],
                    *thresholds, fused=True, costs=costs)
    return Loop(pair, vec.POINTERS_FLOAT[name], f64_module.POINTERS_DOUBLE[name], *thresholds,
                costs=costs)


def check_param(name, value, domain):
    """``value`` as a float, or TypeError/ValueError naming the parameter."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"parameter {name!r} must be a real number, got {type(value).__name__}")
    try:
        v = float(value)
    except OverflowError:                    # e.g. the Python int 10**400
        raise ValueError(f"parameter {name!r} must be finite, got {value!r}") from None
    except (TypeError, ValueError):
        raise TypeError(
            f"parameter {name!r} must be a real number, got {type(value).__name__}"
        ) from None
    if not math.isfinite(v):
        raise ValueError(f"parameter {name!r} must be finite, got {v!r}")
    if domain == "positive" and not v > 0.0:
        raise ValueError(f"parameter {name!r} must be > 0, got {v!r}")
    return v


def _compute_dtypes(dtype):
    """(compute dtype, result dtype) for an input dtype, or TypeError."""
    kind = dtype.kind
    if kind == "f":
        if dtype.itemsize == 4:
            return _FLOAT32, _FLOAT32
        if dtype.itemsize == 8:
            return _FLOAT64, _FLOAT64
        if dtype.itemsize == 2:
            return _FLOAT32, _FLOAT16
    elif kind in "biu":
        return _FLOAT64, _FLOAT64
    raise TypeError(
        f"fastact does not support input dtype {dtype} ({dtype.name}); supported: {_SUPPORTED}"
    )


def _same_flat_order(a, b):
    """True if a and b are both contiguous with the same element order."""
    fa, fb = a.flags, b.flags
    return (fa.c_contiguous and fb.c_contiguous) or (fa.f_contiguous and fb.f_contiguous)


def _flat(a):
    """1-d view of a C- or Fortran-contiguous array in memory order.

    Viewed as a plain ndarray first: an ``np.matrix`` stays 2-d when reshaped.
    """
    if type(a) is not np.ndarray:
        a = a.view(np.ndarray)
    return a.reshape(-1, order="F" if not a.flags.c_contiguous else "C")


def apply(loops, x, p0, p1, out):
    """Run one of the (float32, float64) ``loops`` elementwise over ``x``.

    ``x`` is anything np.asarray takes; ``out`` is None or an ndarray.  Returns
    the result array (``out`` when given), or a NumPy scalar for scalar input.
    """
    xa = x if type(x) is np.ndarray else np.asarray(x)
    cdt, rdt = _compute_dtypes(xa.dtype)

    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
        if out.dtype != rdt:
            raise TypeError(
                f"out has dtype {out.dtype}, but the result of a {xa.dtype} input is {rdt}"
            )
        if out.shape != xa.shape:
            raise ValueError(f"out has shape {out.shape}, but the input has shape {xa.shape}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")

    # The source: a contiguous buffer of the compute dtype (a view when possible).
    if xa.dtype == cdt and (xa.flags.c_contiguous or xa.flags.f_contiguous):
        src = xa
    else:
        src = np.array(xa, dtype=cdt, order="K", copy=True)
        if not (src.flags.c_contiguous or src.flags.f_contiguous):
            src = np.ascontiguousarray(src)
    loop = loops[1] if cdt is _FLOAT64 else loops[0]
    f64 = cdt is _FLOAT64
    nthreads = loops.num_threads(src.size, f64)

    if out is None:
        res = np.empty_like(src, dtype=cdt, order="K")
        loops.run(loop, (_flat(src), _flat(res), p0, p1, nthreads), src.size, f64, nthreads)
        if rdt is not cdt:
            with np.errstate(over="ignore"):      # overflow to inf is the true rounding
                res = res.astype(rdt)
        # Like NumPy's ufuncs: a scalar or 0-d input gives a NumPy scalar.
        return res[()] if res.ndim == 0 else res

    direct = (
        out.dtype == cdt
        and _same_flat_order(src, out)
        and (
            not np.may_share_memory(src, out)
            # Exactly the same elements (in place) is fine for an elementwise loop;
            # any other overlap would read elements already overwritten.
            or (
                src.__array_interface__["data"][0] == out.__array_interface__["data"][0]
                and src.strides == out.strides
            )
        )
    )
    if direct:
        loops.run(loop, (_flat(src), _flat(out), p0, p1, nthreads), src.size, f64, nthreads)
    else:
        tmp = np.empty(src.shape, dtype=cdt)
        loops.run(loop, (_flat(np.ascontiguousarray(src)), tmp.reshape(-1), p0, p1, nthreads),
                  src.size, f64, nthreads)
        with np.errstate(over="ignore"):
            np.copyto(out, tmp, casting="unsafe")
    return out


def _as_compute(a, cdt, order):
    """``a`` as a contiguous array of dtype ``cdt`` in memory order ``order``."""
    if a.dtype == cdt and (a.flags.c_contiguous if order == "C" else a.flags.f_contiguous):
        return a
    return np.array(a, dtype=cdt, order=order, copy=True)


def _check_out(out, shape, rdt, what):
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{what} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != rdt:
        raise TypeError(f"{what} has dtype {out.dtype}, but the result dtype is {rdt}")
    if out.shape != shape:
        raise ValueError(f"{what} has shape {out.shape}, but the input has shape {shape}")
    if not out.flags.writeable:
        raise ValueError(f"{what} is read-only")


def apply_fused(loops, inputs, p0, p1, outs, nout):
    """Run a fused (float32, float64) loop over several inputs into ``nout`` outputs.

    ``inputs[0]`` (x) decides the dtype and shape; the other inputs (e.g.
    grad_output) must have x's shape and are converted to x's compute dtype.
    ``outs`` is None or a tuple of ``nout`` arrays, validated before anything is
    written.  The loop writes into fresh contiguous buffers, which are then copied
    into ``outs`` (so any overlap between outs and inputs is harmless).
    """
    arrays = [a if type(a) is np.ndarray else np.asarray(a) for a in inputs]
    x = arrays[0]
    cdt, rdt = _compute_dtypes(x.dtype)
    for name, a in zip(("grad_output",), arrays[1:]):
        if a.shape != x.shape:
            raise ValueError(f"{name} has shape {a.shape}, but x has shape {x.shape}")
        _compute_dtypes(a.dtype)                  # TypeError for unsupported dtypes
    if outs is not None:
        if nout == 1 and isinstance(outs, np.ndarray):
            outs = (outs,)
        if not isinstance(outs, tuple) or len(outs) != nout:
            raise TypeError(f"out must be a tuple of {nout} arrays")
        for i, o in enumerate(outs):
            _check_out(o, x.shape, rdt, f"out[{i}]" if nout > 1 else "out")
    order = "F" if (x.flags.f_contiguous and not x.flags.c_contiguous) else "C"
    srcs = [_as_compute(a, cdt, order) for a in arrays]
    res = [np.empty(x.shape, dtype=cdt, order=order) for _ in range(nout)]
    loop = loops[1] if cdt is _FLOAT64 else loops[0]
    f64 = cdt is _FLOAT64
    nthreads = loops.num_threads(x.size, f64)
    loops.run(loop, (*[_flat(a) for a in srcs], *[_flat(r) for r in res], p0, p1, nthreads),
              x.size, f64, nthreads)
    if outs is not None:
        with np.errstate(over="ignore"):
            for o, r in zip(outs, res):
                np.copyto(o, r, casting="unsafe")
        return outs[0] if nout == 1 else outs
    if rdt is not cdt:
        with np.errstate(over="ignore"):
            res = [r.astype(rdt) for r in res]
    res = [r[()] if r.ndim == 0 else r for r in res]
    return res[0] if nout == 1 else tuple(res)
