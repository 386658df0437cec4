"""Dask arrays in, lazy Dask arrays out: fastact's kernels, block by block.

A dask array is recognized by its type alone, so ``import fastact`` never
imports dask; dask is imported when the first dask array arrives.  Everything
that can fail at call time (parameters, dtypes, shapes, ``out=``) fails then,
not later at compute.  Each task runs fastact's NumPy path on its block, so a
block's result is bit-for-bit what the same NumPy array would give.

The graph carries the kernel's name, not the loop function: a distributed
worker picks the loop of its own CPU's SIMD level (``_dispatch.loop_pair``).
Each task runs ``_config.dask_threads()`` OpenMP threads (1 by default), fixed
when the graph is built, so that the setting reaches the workers; see
``fastact.set_dask_threads``.
"""

import operator

import numpy as np

from fastact import _config, _dispatch

# Outputs of the fused ops (the others have one).
_FUSED_OUTPUTS = {"backward": 1, "fn_and_grad": 2}


def is_dask_array(a):
    """True for a dask collection (a dask array, normally); never imports dask."""
    cls = type(a)
    return cls.__module__.startswith("dask.") and hasattr(cls, "__dask_graph__")


def involved(*arrays):
    """True if any of ``arrays`` (x, grad_output, out or a tuple of outs) is a
    dask collection."""
    return any(
        is_dask_array(a) or (type(a) is tuple and any(map(is_dask_array, a))) for a in arrays
    )


def _run_block(*blocks, kernel, op, p0, p1, nthreads):
    """One task: fastact's NumPy path over the blocks (x first), ``nthreads`` threads."""
    loops = _dispatch.loop_pair(kernel, op)
    with _config.threads_in_this_thread(nthreads):
        nout = _FUSED_OUTPUTS.get(op)
        if nout is None:
            res = _dispatch.apply(loops, blocks[0], p0, p1, None)
        else:
            res = _dispatch.apply_fused(loops, blocks, p0, p1, None, nout)
    # The NumPy path gives a NumPy scalar for a 0-d input; a block is an array.
    if isinstance(res, tuple):
        return tuple(np.asarray(r) for r in res)
    return np.asarray(res)


def apply(activation, op, inputs, args, kwargs, out):
    """``activation``'s ``op`` over ``inputs`` (x, then grad_output for backward),
    at least one of them a dask array: a lazy dask array (a tuple of two for
    fn_and_grad) with x's shape and chunks and the NumPy path's result dtype.
    """
    import dask.array as da

    if out is not None:
        raise TypeError(
            "out= cannot be used with dask arrays: a dask array is lazy and immutable, "
            "so there is nothing to write into; use the returned dask array"
        )
    kernel, kparams = activation._bind(*activation._values(args, kwargs))
    p0, p1 = (*kparams, 0.0, 0.0)[:2]

    arrays = []
    for a in inputs:
        if not is_dask_array(a):
            a = np.asarray(a)
        elif not isinstance(a, da.Array):
            raise TypeError(f"fastact takes dask arrays, not {type(a).__module__}.{type(a).__name__}")
        elif type(a._meta) is not np.ndarray:
            raise TypeError(
                f"fastact computes on NumPy blocks; this dask array's blocks are "
                f"{type(a._meta).__module__}.{type(a._meta).__name__}"
            )
        arrays.append(a)
    x = arrays[0]
    _, result_dtype = _dispatch._compute_dtypes(x.dtype)          # TypeError now
    for a in arrays[1:]:
        if a.shape != x.shape:
            raise ValueError(f"grad_output has shape {a.shape}, but x has shape {x.shape}")
        _dispatch._compute_dtypes(a.dtype)
    # Every input in x's chunks (x in grad_output's if x is the NumPy one).
    chunks = x.chunks if isinstance(x, da.Array) else next(
        a.chunks for a in arrays if isinstance(a, da.Array)
    )
    arrays = [
        a.rechunk(chunks) if isinstance(a, da.Array) else da.from_array(a, chunks=chunks)
        for a in arrays
    ]

    params = dict(kernel=kernel, op=op, p0=p0, p1=p1, nthreads=_config.dask_threads())
    token = f"fastact-{activation.name}-{op}"
    meta = np.empty((0,) * x.ndim, dtype=result_dtype)
    if op != "fn_and_grad":
        return da.map_blocks(_run_block, *arrays, **params, dtype=result_dtype, meta=meta,
                             token=token)
    # One task per block computes both results (one pass, as on NumPy) into a
    # tuple; two getitem layers expose them as arrays.
    pairs = da.map_blocks(_run_block, *arrays, **params, dtype=object,
                          meta=np.empty((0,) * x.ndim, dtype=object), token=token)
    return tuple(
        pairs.map_blocks(operator.itemgetter(i), dtype=result_dtype, meta=meta,
                         token=f"{token}-{part}")
        for i, part in enumerate(("fn", "grad"))
    )
