"""Functional API, named after ``torch.nn.functional``.

Each activation is an object: call it for the value, and use its ``grad`` and
``grad2`` methods for the first and second derivative, with the same parameters::

    fastact.elu(x, alpha=0.5)
    fastact.elu.grad(x, alpha=0.5)
    fastact.elu.grad2(x, 0.5, out=buf)
"""

import inspect

from fastact import _call, _dask, _dispatch
from fastact._spec import KERNELS, KINK_CONVENTION

_ABSENT = object()


class Activation(_call.CompiledActivation):
    """One activation of the functional API (fn by calling it, ``grad``, ``grad2``).

    ``__call__``, ``grad``, ``grad2``, ``backward`` and ``fn_and_grad`` come from
    the compiled base class, which runs plain float32/float64 ndarrays in C and
    hands everything else to ``_run`` and ``_run_fused``.

    ``params`` are the public (name, default) pairs; ``bind(values)`` maps their
    validated values to (kernel name, kernel parameter tuple).
    """

    def __init__(self, name, params, bind, kernels, summary, extra_ops=None):
        self.__name__ = self.name = name
        self._param_names = tuple(p for p, _ in params)
        self._defaults = tuple(d for _, d in params)
        self._bind = bind
        self._loops = {}
        self.__doc__ = _docstring(name, params, kernels, summary)
        sig = [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        sig += [
            inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d)
            for p, d in params
        ]
        sig.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
        self.__signature__ = inspect.Signature(sig)
        # extra_ops: {method name: kernel op}, e.g. prelu.grad_weight -> grad_alpha.
        for method, op in (extra_ops or {}).items():
            setattr(self, method, self._op_method(method, op))

    def __repr__(self):
        return f"<fastact activation {self.name}{self.__signature__}>"

    def _values(self, args, kwargs):
        names = self._param_names
        if len(args) > len(names):
            raise TypeError(
                f"{self.name}() takes at most {len(names) + 1} positional arguments "
                f"({len(args) + 1} given)"
            )
        values = list(args) + [_ABSENT] * (len(names) - len(args))
        for key, v in kwargs.items():
            try:
                i = names.index(key)
            except ValueError:
                raise TypeError(
                    f"{self.name}() got an unexpected keyword argument {key!r}"
                ) from None
            if values[i] is not _ABSENT:
                raise TypeError(f"{self.name}() got multiple values for argument {key!r}")
            values[i] = v
        return [d if v is _ABSENT else v for v, d in zip(values, self._defaults)]

    def _prepare(self, op, args, kwargs):
        """(loops, p0, p1) of ``op`` for these parameter arguments."""
        kernel, kparams = self._bind(*self._values(args, kwargs))
        key = (kernel, op)
        loops = self._loops.get(key)
        if loops is None:
            loops = self._loops[key] = _dispatch.loop_pair(kernel, op)
        p0 = kparams[0] if len(kparams) > 0 else 0.0
        p1 = kparams[1] if len(kparams) > 1 else 0.0
        return loops, p0, p1

    def _run(self, op, x, args, kwargs, out):
        """The general path of every unary op (any input; all errors raised here)."""
        if _dask.involved(x, out):
            return _dask.apply(self, op, (x,), args, kwargs, out)
        loop, p0, p1 = self._prepare(op, args, kwargs)
        return _call.call(loop, x, p0, p1, out)

    def __reduce__(self):
        # Pickled by name (Dask and multiprocessing ship activations to workers).
        return _by_name, (self.name,)

    def _run_fused(self, op, inputs, args, kwargs, out):
        """The general path of ``backward`` and ``fn_and_grad`` (any inputs; all
        errors raised here)."""
        if _dask.involved(*inputs, out):
            return _dask.apply(self, op, inputs, args, kwargs, out)
        loops, p0, p1 = self._prepare(op, args, kwargs)
        return _dispatch.apply_fused(loops, inputs, p0, p1, out, 1 if op == "backward" else 2)

    def _op_method(self, name, op):
        def method(x, *args, out=None, **kwargs):
            return self._op(op, x, args, kwargs, out)

        method.__name__ = name
        return method


def _docstring(name, params, kernels, summary):
    lines = [summary, ""]
    for kernel in kernels:
        spec = KERNELS[kernel]
        if len(kernels) > 1:
            lines.append(f"{kernel}:")
        for op in ("fn", "grad", "grad2"):
            lines.append(f"    {op + '(x)':<9} = {spec[op]}")
        for op, formula in spec.get("extra_ops", {}).items():
            lines.append(f"    {op + '(x)':<9} = {formula}")
    if params:
        lines += ["", "Parameters: " + ", ".join(f"{p}={d!r}" for p, d in params) + "."]
    if any("kinks" in KERNELS[k] for k in kernels):
        lines += ["", KINK_CONVENTION]
    lines += [
        "",
        "x: array-like of float32/float64 (computed natively), float16 (in float32),",
        "bool or integers (as float64).  out: optional array of the result dtype and",
        "x's shape (may be x itself).  A scalar input gives a NumPy scalar.  A dask",
        "array gives a lazy dask array, computed blockwise (fastact.set_dask_threads).",
    ]
    return "\n".join(lines)


def _direct(kernel):
    """bind for an activation whose public parameters are its kernel's parameters."""
    domains = KERNELS[kernel]["params"]

    def bind(*values):
        return kernel, tuple(
            _dispatch.check_param(pname, v, dom)
            for (_, dom), pname, v in zip(domains, _public_names.get(kernel, ()), values)
        )

    return bind


# Public parameter names where they differ from the kernel's (torch's names).
_public_names = {
    "affine": ("slope", "intercept"),
    "leaky_relu": ("negative_slope",),
    "elu": ("alpha",),
    "celu": ("alpha",),
    "softplus": ("beta",),
    "swish": ("beta",),
    "hardtanh": ("min_val", "max_val"),
}


def _simple(name, summary, kernel=None, defaults=()):
    kernel = kernel or name
    names = _public_names.get(kernel, ())
    params = tuple(zip(names, defaults))
    return Activation(name, params, _direct(kernel), (kernel,), summary)


identity = _simple("identity", "Identity: x.")
affine = _simple("affine", "Affine map: slope * x + intercept.", defaults=(1.0, 0.0))
relu = _simple("relu", "Rectified linear unit.")
leaky_relu = _simple("leaky_relu", "Leaky ReLU (torch's default slope 0.01).", defaults=(0.01,))
elu = _simple("elu", "Exponential linear unit.", defaults=(1.0,))
selu = _simple("selu", "Scaled exponential linear unit (Klambauer et al. 2017).")
celu = _simple("celu", "Continuously differentiable ELU.", defaults=(1.0,))
sigmoid = _simple("sigmoid", "Logistic sigmoid.")
log_sigmoid = _simple("log_sigmoid", "Log of the logistic sigmoid.")
logsigmoid = log_sigmoid                     # torch.nn.functional's spelling
tanh = _simple("tanh", "Hyperbolic tangent.")
arctan = _simple("arctan", "Arctangent.")
softsign = _simple("softsign", "Softsign: x / (1 + |x|).")
softplus = _simple("softplus", "Softplus, log(1 + exp(beta x)) / beta (exact: no threshold).",
                   defaults=(1.0,))
swish = _simple("swish", "Swish: x * sigmoid(beta x); x / (1 + exp(-2k x)) is beta = 2k.",
                defaults=(1.0,))
mish = _simple("mish", "Mish: x * tanh(softplus(x)).")
exponential = _simple("exponential", "Exponential: exp(x).")
hardtanh = _simple("hardtanh", "Hard tanh: x clipped to [min_val, max_val].",
                   defaults=(-1.0, 1.0))
relu6 = _simple("relu6", "ReLU6: x clipped to [0, 6].")
hardswish = _simple("hardswish", "Hard swish: x * relu6(x + 3) / 6.")


def _hardtanh_bind(min_val, max_val):
    kernel, (lo, hi) = _direct("hardtanh")(min_val, max_val)
    if lo > hi:
        raise ValueError(f"parameter 'min_val' ({lo}) must be <= 'max_val' ({hi})")
    return kernel, (lo, hi)


hardtanh._bind = _hardtanh_bind

silu = _simple("silu", "SiLU: x * sigmoid(x) (swish with beta = 1).")


def _swish_bind(beta):
    kernel, params = _direct("swish")(beta)
    # beta = 1 runs silu's loops (the same results; float32: faster)
    return ("silu", ()) if params == (1.0,) else (kernel, params)


swish._bind = _swish_bind


def _prelu_bind(weight):
    return "leaky_relu", (_dispatch.check_param("weight", weight, "finite"),)


prelu = Activation(
    "prelu", (("weight", 0.25),), _prelu_bind, ("leaky_relu",),
    "Parametric ReLU with one shared weight: x if x > 0 else weight * x.\n"
    "grad_weight(x) = d fn / d weight (0 if x > 0 else x), to learn the weight.",
    extra_ops={"grad_weight": "grad_alpha"},
)


def _hardsigmoid_bind():
    return "hardsigmoid", (3.0,)


hardsigmoid = Activation(
    "hardsigmoid", (), _hardsigmoid_bind, ("hardsigmoid",),
    "Hard sigmoid as torch defines it: clip(x / 6 + 1/2, 0, 1) (half_width h = 3).",
)

_GELU_KERNELS = {"none": "gelu", "tanh": "gelu_tanh"}


def _gelu_bind(approximate):
    try:
        return _GELU_KERNELS[approximate], ()
    except (KeyError, TypeError):
        raise ValueError(
            f"parameter 'approximate' must be 'none' or 'tanh', got {approximate!r}"
        ) from None


gelu = Activation(
    "gelu", (("approximate", "none"),), _gelu_bind, ("gelu", "gelu_tanh"),
    "Gaussian error linear unit: exact (approximate='none', with erfc) or the tanh\n"
    "approximation (approximate='tanh').",
)

def _by_name(name):
    return FUNCTIONS[name]


FUNCTIONS = {
    f.name: f
    for f in (
        identity, affine, relu, leaky_relu, prelu, elu, selu, celu, gelu, sigmoid,
        log_sigmoid, tanh, arctan, softsign, softplus, silu, swish, mish, exponential,
        hardsigmoid, hardtanh, relu6, hardswish,
    )
}
