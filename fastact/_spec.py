"""The one description of every activation kernel.

Read at build time by ``setup.py`` (it renders ``_loops.pyx.tp`` from ``KERNELS``)
and at run time by the Python API (validation, docstrings, the CLI).  It must stay
importable without the compiled extension and without NumPy.

Each kernel has scalar formulas ``<name>_fn``, ``<name>_grad`` and ``<name>_grad2``
(and any ``extra_ops``) in ``fastact/kernels.pxd``, taking ``x`` and then the
kernel's parameters, in the order given here.

Kink convention (one rule for every activation): where fn has a kink, ``grad`` and
``grad2`` return the *left-hand* derivative, i.e. the limit from x < kink.
"""

KINK_CONVENTION = (
    "At a kink, grad and grad2 return the left-hand derivative (the limit from "
    "x < kink): relu'(0) = 0, leaky_relu'(0) = negative_slope, elu'(0) = alpha, "
    "hardtanh'(min_val) = 0, hardtanh'(max_val) = 1."
)

# Parameter domains: "finite" (any finite real), "positive" (finite and > 0).
# A kernel parameter is described as (name, domain).
KERNELS = {
    "identity": {
        "params": (),
        "fn": "x",
        "grad": "1",
        "grad2": "0",
    },
    "affine": {
        "params": (("slope", "finite"), ("intercept", "finite")),
        "fn": "slope * x + intercept   (one fused multiply-add: no cancellation)",
        "grad": "slope",
        "grad2": "0",
    },
    "relu": {
        "params": (),
        "fn": "x if x > 0 else 0",
        "grad": "1 if x > 0 else 0",
        "grad2": "0",
        "kinks": "0",
    },
    "leaky_relu": {
        "params": (("alpha", "finite"),),
        "fn": "x if x > 0 else alpha * x",
        "grad": "1 if x > 0 else alpha",
        "grad2": "0",
        "kinks": "0",
        # d fn / d alpha, for PReLU where alpha is learned.
        "extra_ops": {"grad_alpha": "0 if x > 0 else x"},
    },
    "elu": {
        "params": (("alpha", "finite"),),
        "fn": "x if x > 0 else alpha * (exp(x) - 1)",
        "grad": "1 if x > 0 else alpha * exp(x)",
        "grad2": "0 if x > 0 else alpha * exp(x)",
        "kinks": "0",
    },
    "selu": {
        "params": (),
        "fn": "scale * x if x > 0 else scale * alpha * (exp(x) - 1),"
        "  alpha = 1.6732632423543772848170429916717,"
        " scale = 1.0507009873554804934193349852946",
        "grad": "scale if x > 0 else scale * alpha * exp(x)",
        "grad2": "0 if x > 0 else scale * alpha * exp(x)",
        "kinks": "0",
    },
    "celu": {
        "params": (("alpha", "positive"),),
        "fn": "x if x > 0 else alpha * (exp(x / alpha) - 1)",
        "grad": "1 if x > 0 else exp(x / alpha)",
        "grad2": "0 if x > 0 else exp(x / alpha) / alpha",
        "kinks": "0",
    },
    "gelu": {
        "params": (),
        "fn": "x * Phi(x),  Phi(x) = erfc(-x / sqrt(2)) / 2",
        "grad": "Phi(x) + x * phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)",
        "grad2": "phi(x) * (2 - x^2)",
    },
    "gelu_tanh": {
        "params": (),
        "fn": "x * (1 + tanh(u)) / 2,  u = sqrt(2 / pi) * (x + 0.044715 x^3)",
        "grad": "(1 + tanh(u)) / 2 + x * sech(u)^2 * u' / 2,"
        "  u' = sqrt(2 / pi) * (1 + 3 * 0.044715 x^2)",
        "grad2": "sech(u)^2 * (u' - x * tanh(u) * u'^2 + x * u'' / 2),"
        "  u'' = 6 * 0.044715 * sqrt(2 / pi) * x",
    },
    "sigmoid": {
        "params": (),
        "fn": "1 / (1 + exp(-x))",
        "grad": "sigmoid(x) * (1 - sigmoid(x))",
        "grad2": "sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 sigmoid(x))",
    },
    "log_sigmoid": {
        "params": (),
        "fn": "-log(1 + exp(-x))",
        "grad": "sigmoid(-x)",
        "grad2": "-sigmoid(x) * (1 - sigmoid(x))",
    },
    "tanh": {
        "params": (),
        "fn": "tanh(x)",
        "grad": "1 - tanh(x)^2",
        "grad2": "-2 tanh(x) * (1 - tanh(x)^2)",
    },
    "arctan": {
        "params": (),
        "fn": "arctan(x)",
        "grad": "1 / (1 + x^2)",
        "grad2": "-2 x / (1 + x^2)^2",
    },
    "softsign": {
        "params": (),
        "fn": "x / (1 + |x|)",
        "grad": "1 / (1 + |x|)^2",
        "grad2": "-2 sign(x) / (1 + |x|)^3   (at 0: the left-hand value, +2)",
        "kinks": "0 (of grad)",
    },
    "softplus": {
        "params": (("beta", "positive"),),
        "fn": "log(1 + exp(beta x)) / beta",
        "grad": "sigmoid(beta x)",
        "grad2": "beta * sigmoid(beta x) * (1 - sigmoid(beta x))",
    },
    "swish": {
        "params": (("beta", "finite"),),
        "fn": "x * sigmoid(beta x)",
        "grad": "sigmoid(beta x) * (1 + beta x * (1 - sigmoid(beta x)))",
        "grad2": "beta * s * (1 - s) * (2 + beta x * (1 - 2 s)),  s = sigmoid(beta x)",
    },
    # swish with beta = 1, a kernel of its own: the constant folds into its
    # loops, and its float32 loops run in float arithmetic (kernels.pxd).
    "silu": {
        "params": (),
        "fn": "x * sigmoid(x)   (swish with beta = 1)",
        "grad": "sigmoid(x) * (1 + x * (1 - sigmoid(x)))",
        "grad2": "s * (1 - s) * (2 + x * (1 - 2 s)),  s = sigmoid(x)",
    },
    "mish": {
        "params": (),
        "fn": "x * tanh(softplus(x))",
        "grad": "t + x * (1 - t^2) * sigmoid(x),  t = tanh(softplus(x))",
        "grad2": "(1 - t^2) * s * (2 + x * (1 - s - 2 t s)),  s = sigmoid(x)",
    },
    "exponential": {
        "params": (),
        "fn": "exp(x)",
        "grad": "exp(x)",
        "grad2": "exp(x)",
    },
    "hardsigmoid": {
        # half_width = 3 is torch's hardsigmoid (x/6 + 1/2), 2.5 is numpy-ml's and
        # Keras' (0.2 x + 1/2).
        "params": (("half_width", "positive"),),
        "fn": "0 if x <= -h else 1 if x >= h else (x + h) / (2 h),  h = half_width",
        "grad": "1 / (2 h) if -h < x <= h else 0",
        "grad2": "0",
        "kinks": "-h, h",
    },
    "hardtanh": {
        "params": (("min_val", "finite"), ("max_val", "finite")),
        "fn": "min_val if x <= min_val else max_val if x >= max_val else x",
        "grad": "1 if min_val < x <= max_val else 0",
        "grad2": "0",
        "kinks": "min_val, max_val",
    },
    "relu6": {
        "params": (),
        "fn": "min(max(x, 0), 6)",
        "grad": "1 if 0 < x <= 6 else 0",
        "grad2": "0",
        "kinks": "0, 6",
    },
    "hardswish": {
        "params": (),
        "fn": "0 if x <= -3 else x if x >= 3 else x * (x + 3) / 6",
        "grad": "0 if x <= -3 else 1 if x > 3 else (2 x + 3) / 6",
        "grad2": "1 / 3 if -3 < x <= 3 else 0",
        "kinks": "-3, 3",
    },
}

OPS = ("fn", "grad", "grad2")

# Kernels whose float64 loops use the vectorized math of fastact/_vecmath.h in
# the AVX2 and AVX-512 modules (chosen at import, like the float32 loops): those
# that meet their float64 ULP bounds with it (tests/test_accuracy.py runs on the
# chosen module, tests/test_simd.py checks every level); swish/silu, gelu,
# gelu-tanh and mish run their double-double formulas there (kernels.pxd:
# _swish_dd_*, _gelu_dd_*, _gelu_tanh_dd_*, _mish_dd_*).  That is now every
# kernel; the tuple stays explicit so that a new kernel joins it only once its
# float64 accuracy on the vector math is shown.  The baseline module has no
# FMA, which the double-double corrections need, so float64 never uses it.
VECTOR_FLOAT64 = (
    "identity", "affine", "relu", "leaky_relu", "hardtanh", "relu6", "hardsigmoid",
    "hardswish", "softsign", "exponential", "elu", "selu", "celu", "sigmoid",
    "log_sigmoid", "tanh", "arctan", "softplus", "swish", "silu", "gelu", "gelu_tanh",
    "mish",
)

# Largest number of parameters of any kernel: the generated loops all take this
# many parameter slots so that the Python layer dispatches them uniformly.
MAX_PARAMS = max(len(k["params"]) for k in KERNELS.values())


def kernel_ops(name):
    """The ops (fn, grad, grad2 and any extras) of kernel ``name``."""
    return OPS + tuple(KERNELS[name].get("extra_ops", {}))
