"""Type stubs for fastact's public API (see fastact/__init__.py)."""

from typing import Any, TextIO

from fastact._spec import KINK_CONVENTION as KINK_CONVENTION
from fastact.activations import (
    CELU as CELU,
    CLASSES as CLASSES,
    ELU as ELU,
    GELU as GELU,
    SELU as SELU,
    ActivationBase as ActivationBase,
    Affine as Affine,
    Arctan as Arctan,
    Exponential as Exponential,
    HardSigmoid as HardSigmoid,
    HardSwish as HardSwish,
    HardTanh as HardTanh,
    Identity as Identity,
    LeakyReLU as LeakyReLU,
    LogSigmoid as LogSigmoid,
    Mish as Mish,
    PReLU as PReLU,
    ReLU as ReLU,
    ReLU6 as ReLU6,
    Sigmoid as Sigmoid,
    SiLU as SiLU,
    SoftPlus as SoftPlus,
    SoftSign as SoftSign,
    Swish as Swish,
    Tanh as Tanh,
)
from fastact.functional import (
    FUNCTIONS as FUNCTIONS,
    Activation as Activation,
    affine as affine,
    arctan as arctan,
    celu as celu,
    elu as elu,
    exponential as exponential,
    gelu as gelu,
    hardsigmoid as hardsigmoid,
    hardswish as hardswish,
    hardtanh as hardtanh,
    identity as identity,
    leaky_relu as leaky_relu,
    log_sigmoid as log_sigmoid,
    logsigmoid as logsigmoid,
    mish as mish,
    prelu as prelu,
    relu as relu,
    relu6 as relu6,
    selu as selu,
    sigmoid as sigmoid,
    silu as silu,
    softplus as softplus,
    softsign as softsign,
    swish as swish,
    tanh as tanh,
)
from fastact.plotting import plot as plot
from fastact.sampling import sample as sample

__version__: str
#: Names of the functional activations, in a stable order.
ACTIVATIONS: tuple[str, ...]

def num_threads() -> int:
    """Threads the kernels use above the serial threshold."""

def set_num_threads(n: int | None) -> None:
    """Use ``n`` OpenMP threads (None: OpenMP's default, i.e. OMP_NUM_THREADS)."""

def dask_threads() -> int | None:
    """OpenMP threads of each Dask task (None: the worker's own count)."""

def set_dask_threads(n: int | None) -> None:
    """OpenMP threads of fastact's kernels inside each Dask task (default 1)."""

def show_config(file: TextIO | None = None) -> dict[str, Any]:
    """Print (and return as a dict) how this build of fastact runs."""

def get_include() -> str:
    """Directory to put on a downstream Cython build's include path.

    ``from fastact.kernels cimport ...`` resolves with it on the include path.
    """
