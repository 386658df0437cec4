# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled call path: the common call validated and dispatched in C.

``f(x)``, ``f(x, out=o)``, ``f.grad(x, alpha, out=x)``, ``f.backward(x, g,
out=g)``, ``f.fn_and_grad(x, out=(a, b))`` ... with ``x`` an exact
``numpy.ndarray`` of float32 or float64 that is C-contiguous, aligned, in native
byte order and at least 1-d (``grad_output`` and every ``out``, when given, the
same, of x's dtype and shape, outputs writeable, each output either an input
itself or not overlapping it, the two outputs of fn_and_grad disjoint) run from
here: a few flag and shape comparisons, then the loop, with no Python-level
step, so a call on a small array costs about what a NumPy ufunc call costs.

Everything else (other dtypes and layouts, subclasses, array-likes, scalars,
Dask arrays, and every error) goes to the Python path (``Activation._run`` and
``fastact._dispatch.apply``), which handles all of it and is the one place
that raises.  Both paths run the same loops, so they give the same bits.
"""

cimport numpy as cnp
from cpython.pycapsule cimport PyCapsule_GetPointer

from fastact import _config, _dispatch

cdef extern from "_clock.h":
    long long perf_counter_ns "fastact_now_ns"() noexcept nogil

cnp.import_array()

ctypedef void (*loop32_t)(const float*, float*, Py_ssize_t, double, double,
                          int) noexcept nogil
ctypedef void (*loop64_t)(const double*, double*, Py_ssize_t, double, double,
                          int) noexcept nogil
ctypedef void (*backward32_t)(const float*, const float*, float*, Py_ssize_t, double,
                              double, int) noexcept nogil
ctypedef void (*backward64_t)(const double*, const double*, double*, Py_ssize_t, double,
                              double, int) noexcept nogil
ctypedef void (*fn_and_grad32_t)(const float*, float*, float*, Py_ssize_t, double,
                                 double, int) noexcept nogil
ctypedef void (*fn_and_grad64_t)(const double*, double*, double*, Py_ssize_t, double,
                                 double, int) noexcept nogil

# Below this many elements the loop keeps the GIL: releasing and taking it back
# costs more than the loop, and no other thread could use the time.
cdef Py_ssize_t _NOGIL_THRESHOLD = 4096
cdef int _PLAIN = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED
cdef int _PLAIN_WRITEABLE = _PLAIN | cnp.NPY_ARRAY_WRITEABLE
# Parameter sets remembered per activation (see CompiledActivation._call).
cdef Py_ssize_t _CACHE_SIZE = 256


# Waking an idle thread team.  After a parallel region OpenMP's worker threads
# spin for a few milliseconds, then sleep; waking a sleeping one can cost far
# more than the loop: on the 2-vCPU virtual machine of fastact's benchmarks the
# first 2-thread call after 30 ms without one took 2-6 ms, 50x a 35 us call
# (the idle vCPU has to be woken by the hypervisor).  So each process learns
# it: a threaded call that found the team idle and took over 4x the serial
# time its size predicts (and 1 ms more) sets _wake_ns to what it took; from
# then on, with the team idle, a call on its own whose serial time is predicted
# below _wake_ns runs serially (it is faster so); a longer one still takes
# threads (the threads that are awake take the chunks of those that are not
# yet), and so does the second of a stream of calls (the team then stays awake
# for the rest).  On a machine whose team wakes fast nothing is learned and
# nothing changes.  A call slowed by something else (page faults of a fresh
# output, a core taken by another process) looks the same, so the cost is
# learned from two such calls in a row, and forgotten when a call that found
# the team idle ran in about its threaded time (1.5x, and 0.5 ms more); once a
# second, a call on its own of 1 ms or more serially takes threads anyway, to
# see that (in one benchmark run every 10^7-element call with 2 threads ran at
# the serial speed while torch's threads helped: what a rule that learns from
# one slow call and never forgets would do).
cdef bint _idle_rule = True
cdef long long _team_end_ns = 0       # when the last threaded loop ended
cdef long long _eligible_end_ns = 0   # when the last call from its threshold on ended
cdef long long _wake_ns = 0           # learned cost of a call that woke the team
cdef int _slow_starts = 0             # slow calls that found the team idle, in a row
cdef long long _probe_ns = 0          # when a call last took threads to test _wake_ns
cdef long long _PROBE_EVERY_NS = 1000000000
# Idle: 15 ms after the last threaded loop.  On that machine a 65536-element
# call took 0.03 ms after a 6 ms gap, 0.06-0.12 ms after 10 ms, 0.13-0.19 ms
# after 15 ms, 4 ms after 20 ms (serial: 0.035 ms).
cdef long long _TEAM_IDLE_NS = 15000000
cdef long long _WAKE_CAP_NS = 20000000
# Only a wake-up that costs milliseconds is learned (on a machine whose team wakes
# in ~0.05 ms nothing changes; an out-of-cache call that the in-cache cost
# per element underestimates 3-5x is not mistaken for one).
cdef double _WAKE_MIN_NS = 1000000.0
# The predicted serial time: n times the op's cost per element measured by
# tools/calibrate_threads.py (_thresholds.COSTS); without one, what the
# calibration's model implies: an op's threshold is where its serial loop takes
# 4 team start-ups (~0.8 us each).
cdef double _SERIAL_NS_AT_THRESHOLD = 3200.0


def team_state():
    """(ns since the last threaded loop ended, or None; the learned wake-up
    cost in ns, 0: none)."""
    return (None if _team_end_ns == 0 else perf_counter_ns() - _team_end_ns), _wake_ns


def set_idle_rule(bint on):
    """Turn the idle-team rule on or off (the tests that count threads turn it
    off: what a process learned would make their counts depend on timing)."""
    global _idle_rule
    _idle_rule = on


def _set_team_state(long long since_end_ns, long long wake_ns, int slow_starts=0):
    """For the tests: the last threaded loop (and the last call from a
    threshold on) ended since_end_ns ago; the learned wake-up cost; the slow
    idle-start calls seen in a row; a probe allowed."""
    global _team_end_ns, _wake_ns, _eligible_end_ns, _slow_starts, _probe_ns
    _team_end_ns, _wake_ns = perf_counter_ns() - since_end_ns, wake_ns
    _eligible_end_ns = _team_end_ns
    _slow_starts, _probe_ns = slow_starts, 0


cdef class Loop:
    """One op of one kernel: its float32 and float64 loops as the Python pair
    (float32, float64) of ``fastact._dispatch``, as C pointers for the compiled
    path (``fused``: the pointers are a backward or fn_and_grad loop; no
    capsules: the Python path only), and the sizes from which each uses threads
    (``fastact/_thresholds.py``)."""

    cdef void* c32
    cdef void* c64
    cdef readonly bint fused
    cdef readonly tuple pair
    cdef readonly Py_ssize_t threshold32, threshold64
    cdef readonly double cost32, cost64
    cdef readonly double seen32, seen64

    def __init__(self, pair, f32_capsule, f64_capsule, Py_ssize_t threshold32,
                 Py_ssize_t threshold64, bint fused=False, costs=(0.0, 0.0)):
        self.pair = tuple(pair)
        self.threshold32, self.threshold64 = threshold32, threshold64
        # serial ns per element: calibrated (unknown, 0: what the threshold
        # implies), and as seen in this process (0: not yet), which wins: the
        # calibration's SIMD level may not be the one in use (FASTACT_SIMD)
        self.cost32 = costs[0] if costs[0] > 0 else _SERIAL_NS_AT_THRESHOLD / threshold32
        self.cost64 = costs[1] if costs[1] > 0 else _SERIAL_NS_AT_THRESHOLD / threshold64
        self.seen32 = self.seen64 = 0.0
        self.fused = fused
        if f32_capsule is not None:
            self.c32 = PyCapsule_GetPointer(f32_capsule, NULL)
            self.c64 = PyCapsule_GetPointer(f64_capsule, NULL)

    def __getitem__(self, i):
        return self.pair[i]

    def num_threads(self, Py_ssize_t n, bint float64):
        """Threads for a loop over n elements: 1 below the op's threshold, and
        below the size that is worth waking an idle team (see _wake_ns)."""
        return self._threads(n, float64)

    def run(self, f, tuple args, Py_ssize_t n, bint float64, int nthreads):
        """f(*args), a loop over n elements given nthreads threads (the Python
        path's calls), timed for the idle-team rule."""
        cdef long long t0 = perf_counter_ns()
        f(*args)
        self._ran(n, float64, nthreads, t0)

    cdef inline double _serial_ns(self, Py_ssize_t n, bint float64):
        """The predicted serial time of n elements."""
        cdef double seen = self.seen64 if float64 else self.seen32
        return n * (seen if seen > 0 else (self.cost64 if float64 else self.cost32))

    cdef int _threads(self, Py_ssize_t n, bint float64):
        global _probe_ns
        if n < (self.threshold64 if float64 else self.threshold32):
            return 1
        cdef int nt = _config.num_threads()
        cdef long long now
        cdef double serial
        if nt > 1 and _idle_rule and _wake_ns > 0:
            serial = self._serial_ns(n, float64)     # only once a cost is learned
            if serial >= _wake_ns:
                return nt
            now = perf_counter_ns()
            # a call on its own after a pause: serial; one of a stream of calls
            # (the previous ended within the idle time): threads, whose team
            # then stays awake for the next ones
            if now - _team_end_ns > _TEAM_IDLE_NS and now - _eligible_end_ns > _TEAM_IDLE_NS:
                if serial >= _WAKE_MIN_NS and now - _probe_ns > _PROBE_EVERY_NS:
                    _probe_ns = now                  # is waking still that slow?
                    return nt
                return 1
        return nt

    cdef void _ran(self, Py_ssize_t n, bint float64, int nthreads, long long t0):
        """After a loop over n elements given nthreads threads that started at
        t0 (ns): what it shows of the cost per element (a serial call from 4096
        elements, a threaded one that found the team awake: its time times the
        threads, an upper bound) and of waking the team (one that found it idle)."""
        global _team_end_ns, _wake_ns, _eligible_end_ns, _slow_starts
        cdef long long t1 = perf_counter_ns()
        cdef double took = t1 - t0
        cdef double serial
        if n >= (self.threshold64 if float64 else self.threshold32):
            _eligible_end_ns = t1
        if nthreads <= 1:
            if n >= _NOGIL_THRESHOLD:
                self._seen(float64, took / n)
            return
        if t0 - _team_end_ns > _TEAM_IDLE_NS:
            serial = self._serial_ns(n, float64)
            if took > 4.0 * serial + _WAKE_MIN_NS:
                _slow_starts += 1
                if _slow_starts >= 2:
                    _wake_ns = min(max(_wake_ns, <long long> took), _WAKE_CAP_NS)
            elif took <= 1.5 * serial / nthreads + 0.5 * _WAKE_MIN_NS:
                _slow_starts = 0                     # the team woke fast
                _wake_ns = 0
        else:
            self._seen(float64, took * nthreads / n)
        _team_end_ns = t1

    cdef inline void _seen(self, bint float64, double per):
        # the mean of the last few (a preempted call weighs 1/4)
        if float64:
            self.seen64 = per if self.seen64 == 0 else 0.75 * self.seen64 + 0.25 * per
        else:
            self.seen32 = per if self.seen32 == 0 else 0.75 * self.seen32 + 0.25 * per


cdef inline bint _plain(cnp.ndarray a, int typenum, int flags):
    return (cnp.PyArray_TYPE(a) == typenum
            and (cnp.PyArray_FLAGS(a) & flags) == flags
            and cnp.PyArray_ISNOTSWAPPED(a)
            and cnp.PyArray_NDIM(a) > 0)


cdef inline int _float_typenum(cnp.ndarray x):
    """x's typenum if x is a plain float32/float64 array (see _plain), else -1."""
    cdef int typenum = cnp.PyArray_TYPE(x)
    if (typenum == cnp.NPY_FLOAT or typenum == cnp.NPY_DOUBLE) and _plain(x, typenum, _PLAIN):
        return typenum
    return -1


cdef inline bint _like(cnp.ndarray a, cnp.ndarray x, int typenum, int flags):
    """a is plain (with flags), of x's dtype (typenum) and shape."""
    cdef int ndim = cnp.PyArray_NDIM(x)
    return (_plain(a, typenum, flags) and cnp.PyArray_NDIM(a) == ndim
            and cnp.PyArray_CompareLists(cnp.PyArray_DIMS(a), cnp.PyArray_DIMS(x), ndim))


cdef inline bint _overlap(cnp.ndarray a, cnp.ndarray b):
    """The memory of a and b (contiguous, of the same size) overlaps."""
    cdef char* ap = cnp.PyArray_BYTES(a)
    cdef char* bp = cnp.PyArray_BYTES(b)
    cdef Py_ssize_t nbytes = cnp.PyArray_NBYTES(a)
    return ap < bp + nbytes and bp < ap + nbytes


cdef inline bint _partial_overlap(cnp.ndarray a, cnp.ndarray b):
    """a and b overlap but do not start at the same element.  In place (the same
    first element) is fine for an elementwise loop; any other overlap would read
    elements already overwritten."""
    return cnp.PyArray_BYTES(a) != cnp.PyArray_BYTES(b) and _overlap(a, b)


cdef inline cnp.ndarray _empty_like(cnp.ndarray x, int typenum):
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(x), cnp.PyArray_DIMS(x), typenum, 0)


cdef enum _Kind:
    _UNARY, _BACKWARD, _FN_AND_GRAD


cdef void _run(void* fn, _Kind kind, bint float64, void* a, void* b, void* c, Py_ssize_t n,
               double p0, double p1, int nthreads) noexcept nogil:
    """One loop over raw pointers: a = x; then b = out (unary), grad_output
    (backward) or f (fn_and_grad); c = -, out or d."""
    if kind == _UNARY:
        if float64:
            (<loop64_t> fn)(<const double*> a, <double*> b, n, p0, p1, nthreads)
        else:
            (<loop32_t> fn)(<const float*> a, <float*> b, n, p0, p1, nthreads)
    elif kind == _BACKWARD:
        if float64:
            (<backward64_t> fn)(<const double*> a, <const double*> b, <double*> c, n, p0, p1,
                                nthreads)
        else:
            (<backward32_t> fn)(<const float*> a, <const float*> b, <float*> c, n, p0, p1,
                                nthreads)
    else:
        if float64:
            (<fn_and_grad64_t> fn)(<const double*> a, <double*> b, <double*> c, n, p0, p1,
                                   nthreads)
        else:
            (<fn_and_grad32_t> fn)(<const float*> a, <float*> b, <float*> c, n, p0, p1,
                                   nthreads)


cdef void _launch(Loop loop, _Kind kind, int typenum, cnp.ndarray a, cnp.ndarray b,
                  cnp.ndarray c, double p0, double p1):
    """_run over the arrays' data, with the GIL released from _NOGIL_THRESHOLD
    elements on (and threads from the op's threshold on)."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(a)
    cdef bint float64 = typenum == cnp.NPY_DOUBLE
    cdef void* fn = loop.c64 if float64 else loop.c32
    cdef void* ap = cnp.PyArray_DATA(a)
    cdef void* bp = cnp.PyArray_DATA(b)
    cdef void* cp = NULL if c is None else cnp.PyArray_DATA(c)
    cdef int nthreads
    cdef long long t0
    if n < _NOGIL_THRESHOLD:
        _run(fn, kind, float64, ap, bp, cp, n, p0, p1, 1)
    else:
        nthreads = loop._threads(n, float64)
        t0 = perf_counter_ns()
        with nogil:
            _run(fn, kind, float64, ap, bp, cp, n, p0, p1, nthreads)
        loop._ran(n, float64, nthreads, t0)


cpdef object call(Loop loop, object x, double p0, double p1, object out):
    """``loop`` over ``x`` into ``out`` (None: a new array); the compiled path
    when the arrays allow it, else ``fastact._dispatch.apply``."""
    cdef cnp.ndarray xa, oa
    cdef int typenum
    if type(x) is not cnp.ndarray or loop.c64 == NULL or loop.fused:
        return _dispatch.apply(loop, x, p0, p1, out)
    xa = <cnp.ndarray> x
    typenum = _float_typenum(xa)
    if typenum < 0:
        return _dispatch.apply(loop, x, p0, p1, out)
    if out is None:
        oa = _empty_like(xa, typenum)
    else:
        if type(out) is not cnp.ndarray:
            return _dispatch.apply(loop, x, p0, p1, out)
        oa = <cnp.ndarray> out
        if not _like(oa, xa, typenum, _PLAIN_WRITEABLE) or _partial_overlap(oa, xa):
            return _dispatch.apply(loop, x, p0, p1, out)
    _launch(loop, _UNARY, typenum, xa, oa, None, p0, p1)
    return oa


cpdef object call_backward(Loop loop, object x, object g, double p0, double p1, object out):
    """``grad_output * f'(x)`` (``loop``: a backward loop) into ``out``; the
    compiled path when the arrays allow it, else ``fastact._dispatch.apply_fused``."""
    cdef cnp.ndarray xa, ga, oa
    cdef int typenum
    if (type(x) is not cnp.ndarray or type(g) is not cnp.ndarray or loop.c64 == NULL
            or not loop.fused):
        return _dispatch.apply_fused(loop, (x, g), p0, p1, out, 1)
    xa = <cnp.ndarray> x
    ga = <cnp.ndarray> g
    typenum = _float_typenum(xa)
    if typenum < 0 or not _like(ga, xa, typenum, _PLAIN):
        return _dispatch.apply_fused(loop, (x, g), p0, p1, out, 1)
    if out is None:
        oa = _empty_like(xa, typenum)
    else:
        if type(out) is not cnp.ndarray:
            return _dispatch.apply_fused(loop, (x, g), p0, p1, out, 1)
        oa = <cnp.ndarray> out
        if (not _like(oa, xa, typenum, _PLAIN_WRITEABLE) or _partial_overlap(oa, xa)
                or _partial_overlap(oa, ga)):
            return _dispatch.apply_fused(loop, (x, g), p0, p1, out, 1)
    _launch(loop, _BACKWARD, typenum, xa, ga, oa, p0, p1)
    return oa


cdef inline bint _array_pair(object out):
    """out is a tuple of two exact ndarrays (what the compiled fn_and_grad takes)."""
    return (type(out) is tuple and len(<tuple> out) == 2
            and type((<tuple> out)[0]) is cnp.ndarray
            and type((<tuple> out)[1]) is cnp.ndarray)


cpdef object call_fn_and_grad(Loop loop, object x, double p0, double p1, object out):
    """``(f(x), f'(x))`` (``loop``: a fn_and_grad loop) into ``out`` (None or a
    tuple of two arrays); the compiled path when the arrays allow it, else
    ``fastact._dispatch.apply_fused``."""
    cdef cnp.ndarray xa, fa, da
    cdef int typenum
    if type(x) is not cnp.ndarray or loop.c64 == NULL or not loop.fused:
        return _dispatch.apply_fused(loop, (x,), p0, p1, out, 2)
    xa = <cnp.ndarray> x
    typenum = _float_typenum(xa)
    if typenum < 0:
        return _dispatch.apply_fused(loop, (x,), p0, p1, out, 2)
    if out is None:
        fa = _empty_like(xa, typenum)
        da = _empty_like(xa, typenum)
    else:
        if not _array_pair(out):
            return _dispatch.apply_fused(loop, (x,), p0, p1, out, 2)
        fa = <cnp.ndarray> (<tuple> out)[0]
        da = <cnp.ndarray> (<tuple> out)[1]
        if (not _like(fa, xa, typenum, _PLAIN_WRITEABLE) or not _like(da, xa, typenum, _PLAIN_WRITEABLE)
                or _partial_overlap(fa, xa) or _partial_overlap(da, xa) or _overlap(fa, da)):
            return _dispatch.apply_fused(loop, (x,), p0, p1, out, 2)
    _launch(loop, _FN_AND_GRAD, typenum, xa, fa, da, p0, p1)
    return (fa, da) if out is None else out


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


# strs remembered as parameters (gelu's approximate='tanh'): up to this length.
cdef enum:
    _STR_MAX = 32


cdef inline bint _short_str(object v):
    """v is an exact str that bindings are remembered for (both caches)."""
    return type(v) is str and len(<str> v) <= _STR_MAX


cdef inline object _value_key(object v, bint own):
    """_number_key, or for a short exact str (gelu's approximate='tanh') the str
    itself to look up and, to remember (own), a new copy of it."""
    if type(v) is str:
        if not _short_str(v):
            return None
        return (<str> v).encode("utf-8").decode("utf-8") if own else v
    return _number_key(v)


cdef object _key(str op, tuple args, dict kwargs, bint own=False):
    """The key under which a parameter set's binding is remembered, or None when
    it is not remembered.  Only plain numbers and short strings; the key that is
    remembered (own) holds new objects only, never the caller's (remembering
    must not keep a reference to them)."""
    cdef list key = [op]
    cdef object k
    for v in args:
        k = _value_key(v, own)
        if k is None:
            return None
        key.append(k)
    if kwargs:
        for name, v in kwargs.items():
            k = _value_key(v, own)
            if k is None:
                return None
            key.append(name)
            key.append(k)
    return tuple(key)


# Parameter sets compared by value (_Recent): up to this many parameters.
cdef enum:
    _RECENT_MAX = 4
# The ops with a slot of their own (an extra op such as prelu.grad_weight: the
# keyed cache only).
cdef enum _Slot:
    _SLOT_FN, _SLOT_GRAD, _SLOT_GRAD2, _SLOT_BACKWARD, _SLOT_FN_AND_GRAD, _NO_SLOT


cdef class _Recent:
    """The last parameter set an op was called with and its binding, compared by
    value without building a key: the parameters as doubles (Python floats,
    never zero: -0.0 == 0.0) or own copies of strs, the keyword names as own
    copies (nothing the caller passed is kept)."""

    cdef _Bound bound
    cdef Py_ssize_t nargs
    cdef tuple names        # keyword names, in the call's order
    cdef tuple strs         # per parameter: None (a float) or the str
    cdef double values[_RECENT_MAX]

    cdef bint matches(self, tuple args, dict kwargs):
        cdef Py_ssize_t i = 0, j = 0
        if len(args) != self.nargs or len(kwargs) != len(self.names):
            return False
        for v in args:
            if not self._same(i, v):
                return False
            i += 1
        for name, v in kwargs.items():
            if not (name == self.names[j] and self._same(i, v)):
                return False
            i += 1
            j += 1
        return True

    cdef inline bint _same(self, Py_ssize_t i, object v):
        cdef object s = self.strs[i]
        if type(v) is float:
            return s is None and <double> v == self.values[i]
        if type(v) is str:
            return s is not None and v == s
        return False


cdef inline bint _by_value(object v):
    """v can be remembered by value in a _Recent."""
    if type(v) is float:
        return <double> v != 0.0
    return _short_str(v)


cdef _Recent _recent(tuple args, dict kwargs, _Bound bound):
    """A _Recent for this parameter set, or None where it cannot be compared by
    value (other types, a zero, too many parameters, long strs)."""
    cdef _Recent r
    cdef Py_ssize_t i = 0
    if len(args) + len(kwargs) > _RECENT_MAX:
        return None
    for v in args:
        if not _by_value(v):
            return None
    for v in kwargs.values():
        if not _by_value(v):
            return None
    r = _Recent()
    strs = []
    for v in args + tuple(kwargs.values()):
        if type(v) is float:
            r.values[i] = v
            strs.append(None)
        else:
            strs.append((<str> v).encode("utf-8").decode("utf-8"))
        i += 1
    r.strs = tuple(strs)
    r.names = tuple([(<str> name).encode("utf-8").decode("utf-8") for name in kwargs])
    r.nargs = len(args)
    r.bound = bound
    return r


cdef class CompiledActivation:
    """Base of ``fastact.functional.Activation``: ``__call__``, ``grad``,
    ``grad2``, ``backward`` and ``fn_and_grad`` in C.

    The subclass provides ``_prepare(op, args, kwargs) -> (Loop, p0, p1)`` (the
    parameters bound and validated), ``_run(op, x, args, kwargs, out)`` and
    ``_run_fused(op, inputs, args, kwargs, out)`` (the general paths).  For
    ndarray inputs the bound parameters of each argument set are remembered, so
    a repeated call skips the binding.

    What a call on a small array costs is mostly what it touches when the caches
    are cold (after calls into other libraries): on the 2-vCPU benchmark machine
    a few hundred ns per function and object on the way.  So each op keeps the
    binding of its defaults (a call without parameters, the common one) in an
    attribute of its own, read inline by the op's method (a key built and
    hashed for it cost about as much as the rest of the call; the same lookup
    through a shared method and a list, 0.3-0.6 us more), and the last
    parameter set it was called with (_Recent), compared by value before the
    keyed cache.
    """

    cdef dict _bound
    cdef _Bound _default_fn, _default_grad, _default_grad2
    cdef _Bound _default_backward, _default_fn_and_grad
    cdef list _last                    # per _Slot: its _Recent (only calls with parameters read it)
    cdef int _misses[<int> _NO_SLOT]   # per _Slot: calls in a row that its _Recent missed

    def __cinit__(self, *args, **kwargs):
        self._bound = {}
        self._last = [None] * <int> _NO_SLOT

    cdef _Bound _binding(self, str op, tuple args, dict kwargs):
        """The remembered binding of op and these parameters, made on first use;
        None for parameters that are not remembered (see _key)."""
        cdef object key = _key(op, args, kwargs)
        cdef object entry
        if key is None:
            return None
        entry = self._bound.get(key)
        if entry is None:
            # Bind (and validate) first: a bad parameter raises before anything
            # is remembered or written.
            entry = _Bound(*self._prepare(op, args, kwargs))
            if len(self._bound) >= _CACHE_SIZE:
                self._bound.clear()
            self._bound[_key(op, args, kwargs, True)] = entry
        return <_Bound> entry

    cdef _Bound _lookup(self, _Slot slot, str op, tuple args, dict kwargs):
        """The binding of op and these parameters (None: not remembered, take
        the general path), made on first use: without parameters the op's
        default binding; else its _Recent, then the keyed cache."""
        cdef _Bound bound
        cdef _Recent last
        if not args and not kwargs:
            bound = _Bound(*self._prepare(op, args, kwargs))
            if slot == _SLOT_FN:
                self._default_fn = bound
            elif slot == _SLOT_GRAD:
                self._default_grad = bound
            elif slot == _SLOT_GRAD2:
                self._default_grad2 = bound
            elif slot == _SLOT_BACKWARD:
                self._default_backward = bound
            elif slot == _SLOT_FN_AND_GRAD:
                self._default_fn_and_grad = bound
            return bound
        if slot == _NO_SLOT:
            return self._binding(op, args, kwargs)
        last = <_Recent> self._last[<int> slot]
        if last is not None and last.matches(args, kwargs):
            self._misses[<int> slot] = 0
            return last.bound
        bound = self._binding(op, args, kwargs)
        # Replaced after two misses in a row: calls alternating between two
        # parameter sets keep one of them here instead of rebuilding it each time.
        self._misses[<int> slot] += 1
        if bound is not None and (last is None or self._misses[<int> slot] >= 2):
            self._misses[<int> slot] = 0
            self._last[<int> slot] = _recent(args, kwargs, bound)
        return bound

    cdef object _call(self, _Slot slot, str op, object x, tuple args, dict kwargs,
                      object out):
        cdef _Bound bound
        if type(x) is cnp.ndarray and (out is None or type(out) is cnp.ndarray):
            bound = self._lookup(slot, op, args, kwargs)
            if bound is not None:
                return call(bound.loop, x, bound.p0, bound.p1, out)
        return self._run(op, x, args, kwargs, out)

    # The methods read their default binding inline (see the class docstring).

    def __call__(self, x, *args, out=None, **kwargs):
        cdef _Bound bound = self._default_fn
        if (bound is not None and not args and not kwargs and type(x) is cnp.ndarray
                and (out is None or type(out) is cnp.ndarray)):
            return call(bound.loop, x, bound.p0, bound.p1, out)
        return self._call(_SLOT_FN, "fn", x, args, kwargs, out)

    def _op(self, str op, x, tuple args, dict kwargs, out):
        """An extra op of the kernel (prelu.grad_weight) by the same path."""
        return self._call(_NO_SLOT, op, x, args, kwargs, out)

    def grad(self, x, *args, out=None, **kwargs):
        """First derivative with respect to x (same parameters as the call)."""
        cdef _Bound bound = self._default_grad
        if (bound is not None and not args and not kwargs and type(x) is cnp.ndarray
                and (out is None or type(out) is cnp.ndarray)):
            return call(bound.loop, x, bound.p0, bound.p1, out)
        return self._call(_SLOT_GRAD, "grad", x, args, kwargs, out)

    def grad2(self, x, *args, out=None, **kwargs):
        """Second derivative with respect to x (same parameters as the call)."""
        cdef _Bound bound = self._default_grad2
        if (bound is not None and not args and not kwargs and type(x) is cnp.ndarray
                and (out is None or type(out) is cnp.ndarray)):
            return call(bound.loop, x, bound.p0, bound.p1, out)
        return self._call(_SLOT_GRAD2, "grad2", x, args, kwargs, out)

    def backward(self, x, grad_output, *args, out=None, **kwargs):
        """grad_output * grad(x) in one pass (the chain rule of a training loop).

        ``grad_output`` has x's shape; the result has x's dtype.  ``out`` may be
        ``grad_output`` itself (in place).
        """
        cdef _Bound bound
        if (type(x) is cnp.ndarray and type(grad_output) is cnp.ndarray
                and (out is None or type(out) is cnp.ndarray)):
            bound = self._default_backward
            if bound is None or args or kwargs:
                bound = self._lookup(_SLOT_BACKWARD, "backward", args, kwargs)
            if bound is not None:
                return call_backward(bound.loop, x, grad_output, bound.p0, bound.p1, out)
        return self._run_fused("backward", (x, grad_output), args, kwargs, out)

    def fn_and_grad(self, x, *args, out=None, **kwargs):
        """(fn(x), grad(x)) in one pass; ``out``: None or a tuple of two arrays."""
        cdef _Bound bound
        if type(x) is cnp.ndarray and (out is None or _array_pair(out)):
            bound = self._default_fn_and_grad
            if bound is None or args or kwargs:
                bound = self._lookup(_SLOT_FN_AND_GRAD, "fn_and_grad", args, kwargs)
            if bound is not None:
                return call_fn_and_grad(bound.loop, x, bound.p0, bound.p1, out)
        return self._run_fused("fn_and_grad", (x,), args, kwargs, out)
