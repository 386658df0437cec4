"""Type stubs for fastact._spec, the table of activations (internal)."""

from typing import Any

KINK_CONVENTION: str
#: kernel name -> {"params": ((name, domain), ...), "fn": formula, "grad": ..., ...}
KERNELS: dict[str, dict[str, Any]]
OPS: tuple[str, ...]
MAX_PARAMS: int

def kernel_ops(name: str) -> tuple[str, ...]: ...
