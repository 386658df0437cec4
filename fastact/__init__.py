"""fastact: neural-network activations, their first and second derivatives.

Two APIs over the same compiled kernels:

* functional, named after ``torch.nn.functional``: ``fastact.gelu(x)``,
  ``fastact.gelu.grad(x)``, ``fastact.gelu.grad2(x, approximate="tanh", out=x)``;
* classes, a drop-in for ``numpy_ml.neural_nets.activations``:
  ``fastact.GELU().grad(x)``.

Both take dask arrays too, and return lazy dask arrays computed blockwise
(dask is imported only then); ``set_dask_threads`` sets the OpenMP threads of
each Dask task (1 by default).

Kink convention: at a kink, grad and grad2 are the left-hand derivative.
"""

__version__ = "0.1.0"

from fastact._config import (
    dask_threads, num_threads, set_dask_threads, set_num_threads, show_config,
)
from fastact._spec import KINK_CONVENTION
from fastact.activations import (
    CLASSES, ActivationBase, Affine, Arctan, CELU, ELU, Exponential, GELU, HardSigmoid,
    HardSwish, HardTanh, Identity, LeakyReLU, LogSigmoid, Mish, PReLU, ReLU, ReLU6, SELU,
    SiLU, Sigmoid, SoftPlus, SoftSign, Swish, Tanh,
)
from fastact.functional import (
    FUNCTIONS, Activation, affine, arctan, celu, elu, exponential, gelu, hardsigmoid,
    hardswish, hardtanh, identity, leaky_relu, log_sigmoid, logsigmoid, mish, prelu, relu,
    relu6, selu, sigmoid, silu, softplus, softsign, swish, tanh,
)
from fastact.plotting import plot
from fastact.sampling import sample

#: Names of the functional activations, in a stable order.
ACTIVATIONS = tuple(FUNCTIONS)


def get_include():
    """Directory to add to a downstream Cython build's include path.

    ``fastact/kernels.pxd`` and its helpers live in the package; with this
    directory's parent on the include path, ``from fastact.kernels cimport ...``
    resolves.
    """
    import os

    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
