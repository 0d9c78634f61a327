"""Input checks shared by the library's modules (private).

Every public function names the argument and the value it received when it refuses an
input; these helpers keep that wording the same everywhere.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np


def short(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters; arrays are shown by their shape."""
    text = f"array of shape {value.shape}" if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_int(value) -> bool:
    """An int or NumPy integer, but not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_int(value, name: str, minimum: int | None = 1) -> int:
    """``value`` as an int, or a TypeError/ValueError that names ``name`` and the value."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int. Received: {name}={short(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}. Received: {name}={value}")
    return int(value)


def check_finite(array: np.ndarray, name: str, why: str = "") -> np.ndarray:
    """``array`` unchanged, or a ValueError if a float array holds NaN or infinity."""
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers{why}. Received: {name} with "
                         f"{int(np.size(array) - np.isfinite(array).sum())} NaN or infinite value(s)")
    return array
