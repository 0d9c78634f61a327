"""Input checks shared by the library's modules (private).

Every public function names the argument and the value it received when it refuses an
input; these helpers keep that wording the same everywhere.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd


def short(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters; arrays are shown by their shape, dicts by their keys."""
    if isinstance(value, dict):
        return f"dict with keys {sorted(map(str, value))}"[:limit]
    text = f"array of shape {tuple(value.shape)}" if hasattr(value, "shape") else repr(value)
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


def as_numbers(data, name: str, ndims=None, allow_empty: bool = False) -> np.ndarray:
    """``data`` (array-like, list, pandas) as a float array of finite numbers, or a clear error.

    Refused, rather than quietly converted: text, booleans (``True`` is not the number 1
    here; pass ``.astype(float)`` if that is what you mean), complex numbers (the imaginary
    part would be dropped), dates and times, ragged lists, NaN and infinity.
    """
    if data is None or isinstance(data, (str, bytes)):
        raise TypeError(f"{name} must be array-like of numbers. Received: {name}={short(data)}")
    if isinstance(data, (pd.Series, pd.DataFrame)):
        data = data.to_numpy()
    try:
        array = np.asarray(data)
    except ValueError:  # a ragged nested list
        raise ValueError(f"{name} must be a rectangular array; its rows differ in length. "
                         f"Received: {name}={short(data)}") from None
    kind = array.dtype.kind
    if kind == "O":  # e.g. a pandas column of mixed objects: numbers only
        def is_number(v):
            numeric = isinstance(v, (int, float, np.integer, np.floating))
            return numeric and not isinstance(v, (bool, np.bool_))

        bad = [v for v in array.ravel().tolist() if not is_number(v)][:1]
        if bad:
            bad = bad[0]
            raise TypeError(f"{name} must hold numbers only. Received: {name} holding {short(bad)} "
                            f"of type {type(bad).__name__}")
        kind = "f"
    elif kind not in "iuf":
        what = {"b": "booleans", "c": "complex numbers", "M": "dates", "m": "time spans",
                "U": "text", "S": "bytes"}.get(kind, f"dtype {array.dtype}")
        raise TypeError(f"{name} must hold real numbers, not {what}. "
                        f"Received: {name} with dtype {array.dtype}")
    array = array.astype(float)
    if ndims is not None and array.ndim not in ndims:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndims))} dimension(s). "
                         f"Received: {name} with shape {array.shape}")
    if array.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty. Received: {name} with shape {array.shape}")
    if np.isnan(array).any():
        where = np.argwhere(np.isnan(array))[0].tolist()
        raise ValueError(f"{name} contains NaN (first at index {where}). Received: {name}={short(data)}")
    if np.isinf(array).any():
        raise ValueError(f"{name} contains infinite values. Received: {name}={short(data)}")
    return array


def check_rows_set(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` unchanged, or a ValueError if a row along the last axis is all zeros.

    An all-zero one-hot row encodes no class; its argmax, 0, would decode it as the first.
    """
    empty = ~np.any(array != 0, axis=-1)
    if empty.any():
        where = np.argwhere(empty)[0].tolist()
        raise ValueError(f"{name} has an all-zero row at index {where}: it encodes no class, and "
                         f"decoding it as class 0 would be wrong. Received: {name} with shape {array.shape}")
    return array


def check_finite_result(array: np.ndarray, name: str, what: str) -> np.ndarray:
    """``array`` (a result computed from ``name``) unchanged, or a ValueError if it overflowed."""
    if not np.isfinite(array).all():
        raise ValueError(f"{name} is too large to {what}: the result overflows float64 to infinity or "
                         f"NaN. Divide it by a power of ten first. Received: {name} with "
                         f"{int(np.size(array) - np.isfinite(array).sum())} value(s) that overflow")
    return array


def as_tuple(value):
    """A 1-D NumPy array or pandas Series as a tuple of Python numbers; anything else unchanged.

    So that ``np.array([10, 1])`` or ``pd.Series([0.5, 1.5])`` works wherever a tuple does.
    """
    if isinstance(value, (np.ndarray, pd.Series)) and np.ndim(value) == 1:
        return tuple(np.asarray(value).tolist())
    return value


def is_bool(value) -> bool:
    """``True``/``False``, NumPy's included (``np.True_``)."""
    return isinstance(value, (bool, np.bool_))


#: The most values one array the library builds may hold (2**31: 8 GB of float32). A larger
#: request is a mistake (``n=10**15``), refused before NumPy tries to allocate it.
MAX_VALUES = 2**31


def check_size(n_values: int, **sizes) -> None:
    """A ValueError naming the sizes if an array of ``n_values`` values would exceed MAX_VALUES."""
    if n_values > MAX_VALUES:
        given = ", ".join(f"{name}={value}" for name, value in sizes.items())
        raise ValueError(f"{' * '.join(sizes)} asks for an array of {n_values:.3g} values, more than "
                         f"the {MAX_VALUES:.3g} this library builds at once. Received: {given}")
