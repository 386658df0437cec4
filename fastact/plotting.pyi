"""Type stubs for fastact.plotting (matplotlib is optional: the figure is Any)."""

from collections.abc import Sequence
from os import PathLike
from typing import Any

def plot(
    activations: Any = None,
    domain: Sequence[float] = (-5.0, 5.0),
    *,
    ops: str | Sequence[str] = ("fn", "grad", "grad2"),
    params: dict[str, Any] | None = None,
    num: int = 1001,
    ncols: int | None = None,
    path: str | PathLike[str] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    show: bool = False,
) -> Any:
    """Plot activations with their first and second derivatives (a matplotlib Figure)."""
