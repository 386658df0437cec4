"""Class API: a drop-in for ``numpy_ml.neural_nets.activations``.

Same class names, constructor parameters, defaults and ``str()`` as numpy-ml,
with ``fn``, ``grad``, ``grad2`` and ``__call__`` (= ``fn``), each taking
``out=``.  Each class's docstring ends with the formulas of fn, grad and grad2
(from ``fastact/_spec.py``, the same text the functional API shows).

Where numpy-ml is inconsistent or wrong, fastact is right (see the README's
"Differences from numpy-ml"): the kink convention is the left-hand derivative
everywhere, ``__call__`` keeps the input's shape (numpy-ml reshapes 1-d input
to (1, n)), ``ReLU.grad`` returns floats, and the naive formulas that overflow
or underflow (SoftPlus, Sigmoid.grad, ...) are replaced by stable ones.
"""

from fastact import functional as F
from fastact._spec import KERNELS, KINK_CONVENTION


class ActivationBase:
    """Base class: subclasses set ``_function`` and return its arguments from ``_args``."""

    _function = None
    _kernel = None

    def __init__(self, **kwargs):
        # Validate the parameters now, so a bad one fails at construction.
        self._function._bind(*self._args())

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._kernel is not None and "_formulas_added" not in cls.__dict__:
            spec = KERNELS[cls._kernel]
            lines = [(cls.__doc__ or "").rstrip(), "", "    Formulas", "    --------"]
            for op in ("fn", "grad", "grad2"):
                lines.append(f"    {op + '(x)':<9} = {spec[op]}")
            for op, formula in spec.get("extra_ops", {}).items():
                lines.append(f"    {op + '(x)':<9} = {formula}")
            if "kinks" in spec:
                lines += ["", "    " + KINK_CONVENTION]
            cls.__doc__ = "\n".join(lines) + "\n"
            cls._formulas_added = True

    def _args(self):
        return ()

    def __repr__(self):
        return str(self)

    def __call__(self, z, out=None):
        """Apply the activation function to an input (same as ``fn``)."""
        return self.fn(z, out=out)

    def fn(self, z, out=None):
        """The activation function, elementwise."""
        return self._function(z, *self._args(), out=out)

    def grad(self, x, out=None):
        """First derivative with respect to the input, elementwise."""
        return self._function.grad(x, *self._args(), out=out)

    def grad2(self, x, out=None):
        """Second derivative with respect to the input, elementwise."""
        return self._function.grad2(x, *self._args(), out=out)

    def backward(self, x, grad_output, out=None):
        """grad_output * grad(x) in one pass; ``out`` may be ``grad_output``."""
        return self._function.backward(x, grad_output, *self._args(), out=out)

    def fn_and_grad(self, x, out=None):
        """(fn(x), grad(x)) in one pass; ``out``: None or a tuple of two arrays."""
        return self._function.fn_and_grad(x, *self._args(), out=out)


class Sigmoid(ActivationBase):
    """Logistic sigmoid."""

    _function, _kernel = F.sigmoid, "sigmoid"

    def __str__(self):
        return "Sigmoid"


class ReLU(ActivationBase):
    """Rectified linear unit."""

    _function, _kernel = F.relu, "relu"

    def __str__(self):
        return "ReLU"


class LeakyReLU(ActivationBase):
    """Leaky ReLU with slope ``alpha`` for x <= 0 (numpy-ml's default 0.3)."""

    _function, _kernel = F.leaky_relu, "leaky_relu"

    def __init__(self, alpha=0.3):
        self.alpha = alpha
        super().__init__()

    def _args(self):
        return (self.alpha,)

    def __str__(self):
        return "Leaky ReLU(alpha={})".format(self.alpha)


class PReLU(LeakyReLU):
    """Parametric ReLU: a leaky ReLU whose ``alpha`` is learned (``grad_alpha``)."""

    _function, _kernel = F.prelu, "leaky_relu"

    def __init__(self, alpha=0.25):
        super().__init__(alpha=alpha)

    def grad_alpha(self, x, out=None):
        """d fn / d alpha: 0 if x > 0 else x."""
        return F.prelu.grad_weight(x, self.alpha, out=out)

    def __str__(self):
        return "PReLU(alpha={})".format(self.alpha)


class Tanh(ActivationBase):
    """Hyperbolic tangent."""

    _function, _kernel = F.tanh, "tanh"

    def __str__(self):
        return "Tanh"


class Affine(ActivationBase):
    """Affine activation: slope * x + intercept (one fused multiply-add)."""

    _function, _kernel = F.affine, "affine"

    def __init__(self, slope=1, intercept=0):
        self.slope = slope
        self.intercept = intercept
        super().__init__()

    def _args(self):
        return (self.slope, self.intercept)

    def __str__(self):
        return "Affine(slope={}, intercept={})".format(self.slope, self.intercept)


class Identity(Affine):
    """Identity: Affine with slope 1 and intercept 0."""

    _function, _kernel = F.identity, "identity"

    def __init__(self):
        super().__init__(slope=1, intercept=0)

    def _args(self):
        return ()

    def __str__(self):
        return "Identity"


class ELU(ActivationBase):
    """Exponential linear unit (Clevert et al. 2016)."""

    _function, _kernel = F.elu, "elu"

    def __init__(self, alpha=1.0):
        self.alpha = alpha
        super().__init__()

    def _args(self):
        return (self.alpha,)

    def __str__(self):
        return "ELU(alpha={})".format(self.alpha)


class CELU(ELU):
    """Continuously differentiable ELU (Barron 2017); alpha > 0."""

    _function, _kernel = F.celu, "celu"

    def __str__(self):
        return "CELU(alpha={})".format(self.alpha)


class SELU(ActivationBase):
    """Scaled exponential linear unit (Klambauer et al. 2017)."""

    _function, _kernel = F.selu, "selu"

    def __init__(self):
        self.alpha = 1.6732632423543772848170429916717
        self.scale = 1.0507009873554804934193349852946
        super().__init__()

    def __str__(self):
        return "SELU"


class Exponential(ActivationBase):
    """Exponential (base e)."""

    _function, _kernel = F.exponential, "exponential"

    def __str__(self):
        return "Exponential"


class HardSigmoid(ActivationBase):
    """numpy-ml's (and Keras') hard sigmoid: clip(0.2 x + 0.5, 0, 1), kinks at +-2.5.

    ``fastact.hardsigmoid`` is torch's, clip(x / 6 + 1/2, 0, 1), kinks at +-3.
    """

    _function = F.Activation(
        "hard_sigmoid_keras", (), lambda: ("hardsigmoid", (2.5,)), ("hardsigmoid",),
        "numpy-ml's hard sigmoid, half_width h = 2.5.",
    )
    _kernel = "hardsigmoid"

    def __str__(self):
        return "Hard Sigmoid"


class SoftPlus(ActivationBase):
    """Softplus, log(1 + exp(beta x)) / beta; numpy-ml's has beta = 1."""

    _function, _kernel = F.softplus, "softplus"

    def __init__(self, beta=1.0):
        self.beta = beta
        super().__init__()

    def _args(self):
        return (self.beta,)

    def __str__(self):
        return "SoftPlus" if self.beta == 1 else "SoftPlus(beta={})".format(self.beta)


class GELU(ActivationBase):
    """Gaussian error linear unit; ``approximate=True`` (numpy-ml's default) is the
    tanh approximation, ``approximate=False`` the exact x * Phi(x).
    """

    _function, _kernel = F.gelu, "gelu"

    def __init__(self, approximate=True):
        self.approximate = approximate
        super().__init__()

    def _args(self):
        return ("tanh" if self.approximate else "none",)

    def __str__(self):
        return "GELU(approximate={})".format(self.approximate)


class LogSigmoid(ActivationBase):
    """Log of the logistic sigmoid."""

    _function, _kernel = F.log_sigmoid, "log_sigmoid"

    def __str__(self):
        return "LogSigmoid"


class Arctan(ActivationBase):
    """Arctangent."""

    _function, _kernel = F.arctan, "arctan"

    def __str__(self):
        return "Arctan"


class SoftSign(ActivationBase):
    """Softsign, x / (1 + |x|)."""

    _function, _kernel = F.softsign, "softsign"

    def __str__(self):
        return "SoftSign"


class Swish(ActivationBase):
    """Swish, x * sigmoid(beta x); x / (1 + exp(-2k x)) is Swish(beta=2k)."""

    _function, _kernel = F.swish, "swish"

    def __init__(self, beta=1.0):
        self.beta = beta
        super().__init__()

    def _args(self):
        return (self.beta,)

    def __str__(self):
        return "Swish(beta={})".format(self.beta)


class SiLU(ActivationBase):
    """Sigmoid linear unit, x * sigmoid(x) (Swish with beta = 1)."""

    _function, _kernel = F.silu, "silu"

    def __str__(self):
        return "SiLU"


class Mish(ActivationBase):
    """Mish, x * tanh(softplus(x)) (Misra 2019)."""

    _function, _kernel = F.mish, "mish"

    def __str__(self):
        return "Mish"


class HardTanh(ActivationBase):
    """Hard tanh: x clipped to [min_val, max_val]."""

    _function, _kernel = F.hardtanh, "hardtanh"

    def __init__(self, min_val=-1.0, max_val=1.0):
        self.min_val = min_val
        self.max_val = max_val
        super().__init__()

    def _args(self):
        return (self.min_val, self.max_val)

    def __str__(self):
        return "HardTanh(min_val={}, max_val={})".format(self.min_val, self.max_val)


class ReLU6(ActivationBase):
    """ReLU6: x clipped to [0, 6]."""

    _function, _kernel = F.relu6, "relu6"

    def __str__(self):
        return "ReLU6"


class HardSwish(ActivationBase):
    """Hard swish, x * relu6(x + 3) / 6 (Howard et al. 2019)."""

    _function, _kernel = F.hardswish, "hardswish"

    def __str__(self):
        return "HardSwish"


CLASSES = {
    cls.__name__: cls
    for cls in (
        Affine, Arctan, CELU, ELU, Exponential, GELU, HardSigmoid, HardSwish, HardTanh,
        Identity, LeakyReLU, LogSigmoid, Mish, PReLU, ReLU, ReLU6, SELU, SiLU, Sigmoid,
        SoftPlus, SoftSign, Swish, Tanh,
    )
}
