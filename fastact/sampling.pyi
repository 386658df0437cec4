"""Type stubs for fastact.sampling."""

from collections.abc import Sequence
from typing import Any

def sample(
    activation: Any,
    x: Any,
    *,
    ops: str | Sequence[str] = ("fn", "grad", "grad2"),
    **params: Any,
) -> dict[str, list[Any]]:
    """The values of an activation and its derivatives at x, as plain data."""
