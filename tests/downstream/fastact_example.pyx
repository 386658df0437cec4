# cython: language_level=3, boundscheck=False, wraparound=False
"""fastact's scalar kernels, inlined into this extension's own OpenMP loops."""

from cython cimport floating
from cython.parallel cimport prange

from fastact.kernels cimport gelu_fn, sigmoid_grad, softplus_fn


def gelu(const floating[::1] x, floating[::1] out):
    cdef Py_ssize_t i
    for i in prange(x.shape[0], nogil=True):
        out[i] = <floating> gelu_fn(x[i])


def dsigmoid(const floating[::1] x, floating[::1] out):
    cdef Py_ssize_t i
    for i in prange(x.shape[0], nogil=True):
        out[i] = <floating> sigmoid_grad(x[i])


def softplus(const floating[::1] x, floating[::1] out, double beta):
    cdef Py_ssize_t i
    for i in prange(x.shape[0], nogil=True):
        out[i] = <floating> softplus_fn(x[i], beta)
