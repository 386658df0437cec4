# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled call path: the common call validated and dispatched in C.

``f(x)``, ``f(x, out=o)``, ``f.grad(x, alpha, out=x)`` ... with ``x`` an exact
``numpy.ndarray`` of float32 or float64 that is C-contiguous, aligned, in native
byte order and at least 1-d (and ``out``, when given, the same, writeable, of
x's shape, either ``x`` itself or not overlapping it) run from here: a few
flag and shape comparisons, then the loop, with no Python-level step, so a
call on a small array costs about what a NumPy ufunc call costs.

Everything else (other dtypes and layouts, subclasses, array-likes, scalars,
Dask arrays, and every error) goes to the Python path (``Activation._run`` and
``fastact._dispatch.apply``), which handles all of it and is the one place
that raises.  Both paths run the same loops, so they give the same bits.
"""

cimport numpy as cnp
from cpython.pycapsule cimport PyCapsule_GetPointer

from fastact import _config, _dispatch

cnp.import_array()

ctypedef void (*loop32_t)(const float*, float*, Py_ssize_t, double, double,
                          int) noexcept nogil
ctypedef void (*loop64_t)(const double*, double*, Py_ssize_t, double, double,
                          int) noexcept nogil

# Below this many elements the loop keeps the GIL: releasing and taking it back
# costs more than the loop, and no other thread could use the time.
cdef Py_ssize_t _NOGIL_THRESHOLD = 4096
cdef int _PLAIN = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED
cdef int _PLAIN_WRITEABLE = _PLAIN | cnp.NPY_ARRAY_WRITEABLE
# Parameter sets remembered per activation (see CompiledActivation._call).
cdef Py_ssize_t _CACHE_SIZE = 256


cdef class Loop:
    """One op of one kernel: its float32 and float64 loops as the Python pair
    (float32, float64) of ``fastact._dispatch``, as C pointers for the compiled
    path (unary ops only; NULL for the fused ones), and the sizes from which
    each uses threads (``fastact/_thresholds.py``)."""

    cdef loop32_t f32
    cdef loop64_t f64
    cdef readonly tuple pair
    cdef readonly Py_ssize_t threshold32, threshold64

    def __init__(self, pair, f32_capsule, f64_capsule, Py_ssize_t threshold32,
                 Py_ssize_t threshold64):
        self.pair = tuple(pair)
        self.threshold32, self.threshold64 = threshold32, threshold64
        if f32_capsule is not None:
            self.f32 = <loop32_t> PyCapsule_GetPointer(f32_capsule, NULL)
            self.f64 = <loop64_t> PyCapsule_GetPointer(f64_capsule, NULL)

    def __getitem__(self, i):
        return self.pair[i]

    def num_threads(self, Py_ssize_t n, bint float64):
        """Threads for a loop over n elements: 1 below the op's threshold."""
        return 1 if n < (self.threshold64 if float64 else self.threshold32) else _config.num_threads()


cdef inline bint _plain(cnp.ndarray a, int typenum, int flags):
    return (cnp.PyArray_TYPE(a) == typenum
            and (cnp.PyArray_FLAGS(a) & flags) == flags
            and cnp.PyArray_ISNOTSWAPPED(a)
            and cnp.PyArray_NDIM(a) > 0)


cpdef object call(Loop loop, object x, double p0, double p1, object out):
    """``loop`` over ``x`` into ``out`` (None: a new array); the compiled path
    when the arrays allow it, else ``fastact._dispatch.apply``."""
    cdef cnp.ndarray xa, oa
    cdef int typenum, ndim, nthreads
    cdef Py_ssize_t n, nbytes
    cdef char* xp
    cdef char* op
    if type(x) is not cnp.ndarray or loop.f64 == NULL:
        return _dispatch.apply(loop, x, p0, p1, out)
    xa = <cnp.ndarray> x
    typenum = cnp.PyArray_TYPE(xa)
    if (typenum != cnp.NPY_FLOAT and typenum != cnp.NPY_DOUBLE) or not _plain(xa, typenum, _PLAIN):
        return _dispatch.apply(loop, x, p0, p1, out)
    ndim = cnp.PyArray_NDIM(xa)
    if out is None:
        oa = cnp.PyArray_EMPTY(ndim, cnp.PyArray_DIMS(xa), typenum, 0)
    else:
        if type(out) is not cnp.ndarray:
            return _dispatch.apply(loop, x, p0, p1, out)
        oa = <cnp.ndarray> out
        if (not _plain(oa, typenum, _PLAIN_WRITEABLE) or cnp.PyArray_NDIM(oa) != ndim
                or not cnp.PyArray_CompareLists(cnp.PyArray_DIMS(oa), cnp.PyArray_DIMS(xa), ndim)):
            return _dispatch.apply(loop, x, p0, p1, out)
        # In place (the same first element) is fine for an elementwise loop; any
        # other overlap would read elements already overwritten.
        xp = cnp.PyArray_BYTES(xa)
        op = cnp.PyArray_BYTES(oa)
        nbytes = cnp.PyArray_NBYTES(xa)
        if xp != op and xp < op + nbytes and op < xp + nbytes:
            return _dispatch.apply(loop, x, p0, p1, out)
    n = cnp.PyArray_SIZE(xa)
    if n < (loop.threshold32 if typenum == cnp.NPY_FLOAT else loop.threshold64):
        nthreads = 1
    else:
        nthreads = _config.num_threads()
    if typenum == cnp.NPY_FLOAT:
        if n < _NOGIL_THRESHOLD:
            loop.f32(<const float*> cnp.PyArray_DATA(xa), <float*> cnp.PyArray_DATA(oa), n,
                     p0, p1, 1)
        else:
            with nogil:
                loop.f32(<const float*> cnp.PyArray_DATA(xa), <float*> cnp.PyArray_DATA(oa),
                         n, p0, p1, nthreads)
    else:
        if n < _NOGIL_THRESHOLD:
            loop.f64(<const double*> cnp.PyArray_DATA(xa), <double*> cnp.PyArray_DATA(oa), n,
                     p0, p1, 1)
        else:
            with nogil:
                loop.f64(<const double*> cnp.PyArray_DATA(xa), <double*> cnp.PyArray_DATA(oa),
                         n, p0, p1, nthreads)
    return oa


cdef class _Bound:
    """A remembered binding: the loop and its parameters as C doubles (holding
    no reference to the caller's parameter objects)."""

    cdef Loop loop
    cdef double p0, p1

    def __init__(self, Loop loop, double p0, double p1):
        self.loop, self.p0, self.p1 = loop, p0, p1


cdef inline object _number_key(object v):
    """A new float equal to the Python float or int ``v``; None for anything else
    and for zero (-0.0 == 0.0 with the same hash, but they bind differently:
    the sign of a zero result)."""
    cdef double d
    if type(v) is not float and type(v) is not int:
        return None
    try:
        d = v
    except OverflowError:
        return None
    return None if d == 0.0 else d


cdef object _key(str op, tuple args, dict kwargs):
    """The key under which a parameter set's binding is remembered, or None when
    it is not remembered.  The key holds new objects only, never the caller's
    (remembering must not keep a reference to them), and only plain numbers."""
    cdef list key = [op]
    cdef object k
    for v in args:
        k = _number_key(v)
        if k is None:
            return None
        key.append(k)
    if kwargs:
        for name, v in kwargs.items():
            k = _number_key(v)
            if k is None:
                return None
            key.append(name)
            key.append(k)
    return tuple(key)


cdef class CompiledActivation:
    """Base of ``fastact.functional.Activation``: ``__call__``, ``grad`` and
    ``grad2`` in C.

    The subclass provides ``_prepare(op, args, kwargs) -> (Loop, p0, p1)`` (the
    parameters bound and validated) and ``_run(op, x, args, kwargs, out)`` (the
    general path).  For an ndarray input the bound parameters of each argument
    set are remembered, so a repeated call skips the binding.
    """

    cdef dict _bound

    def __cinit__(self, *args, **kwargs):
        self._bound = {}

    cdef object _call(self, str op, object x, tuple args, dict kwargs, object out):
        cdef object key, entry
        cdef _Bound bound
        if type(x) is not cnp.ndarray or (out is not None and type(out) is not cnp.ndarray):
            return self._run(op, x, args, kwargs, out)
        key = _key(op, args, kwargs)
        if key is None:
            return self._run(op, x, args, kwargs, out)
        entry = self._bound.get(key)
        if entry is None:
            # Bind (and validate) first: a bad parameter raises before anything
            # is remembered or written.
            entry = _Bound(*self._prepare(op, args, kwargs))
            if len(self._bound) >= _CACHE_SIZE:
                self._bound.clear()
            self._bound[key] = entry
        bound = <_Bound> entry
        return call(bound.loop, x, bound.p0, bound.p1, out)

    def __call__(self, x, *args, out=None, **kwargs):
        return self._call("fn", x, args, kwargs, out)

    def grad(self, x, *args, out=None, **kwargs):
        """First derivative with respect to x (same parameters as the call)."""
        return self._call("grad", x, args, kwargs, out)

    def grad2(self, x, *args, out=None, **kwargs):
        """Second derivative with respect to x (same parameters as the call)."""
        return self._call("grad2", x, args, kwargs, out)
