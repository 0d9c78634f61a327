"""Input checks shared by the library's modules (private).

Every public function names the argument and the value it received when it refuses an
input, in one wording: ``"{name} must be {what}. Received: {name}={value}"``. Scalars are
checked by scikit-learn's ``check_scalar`` and arrays converted by its ``check_array``;
what this module adds is the argument's name in every message, and the refusals
scikit-learn leaves out (booleans, dates and times taken as numbers, all-zero one-hot
rows, overflow).
"""

from __future__ import annotations

import functools
import os
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd


def short(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters; arrays are shown by their shape, dicts by their keys."""
    if isinstance(value, dict):
        return f"dict with keys {sorted(map(str, value))}"[:limit]
    text = f"array of shape {tuple(value.shape)}" if hasattr(value, "shape") else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def bad(name: str, value, what: str, error: type = ValueError) -> Exception:
    """The error to raise for argument ``name``: ``"{name} must be {what}. Received: {name}=..."``."""
    return error(f"{name} must be {what}. Received: {name}={short(value)}")


def is_int(value) -> bool:
    """An int or NumPy integer, but not a bool."""
    return isinstance(value, Integral) and not is_bool(value)


def is_bool(value) -> bool:
    """``True``/``False``, NumPy's included (``np.True_``)."""
    return isinstance(value, (bool, np.bool_))


def check_bool(value, name: str) -> bool:
    """``value`` as a bool, or a TypeError naming ``name``."""
    if not is_bool(value):
        raise bad(name, value, "True or False", TypeError)
    return bool(value)


def check_type(value, name: str, types, what: str):
    """``value`` unchanged if it is an instance of ``types``, else a TypeError naming ``name``."""
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {what}. "
                        f"Received: {name}={short(value)} of type {type(value).__name__}")
    return value


def check_path(value, name: str = "path") -> Path:
    """``value`` (a str or path-like) as a ``Path``, else a TypeError naming ``name``.

    An int is refused: ``open`` would take it as a file descriptor (0 is stdin).
    """
    if not isinstance(value, (str, os.PathLike)):
        raise bad(name, value, "a str or path-like", TypeError)
    return Path(value)


def check_callable(value, name: str):
    """``value`` unchanged if it can be called, else a TypeError naming ``name``."""
    if not callable(value):
        raise bad(name, value, "callable", TypeError)
    return value


def check_model(value, name: str = "model"):
    """``value`` unchanged if it is a ``keras.Model``, else a TypeError naming ``name``."""
    import keras

    return check_type(value, name, keras.Model, "a keras.Model")


def check_kwargs(value, name: str) -> dict | None:
    """``value`` unchanged if it is a dict of keyword arguments or None, else a TypeError."""
    if value is not None and not isinstance(value, dict):
        raise bad(name, value, "a dict of keyword arguments or None", TypeError)
    return value


def check_loss(value, name: str):
    """``value`` unchanged if Keras knows it as a loss (a name, a ``Loss``, a callable), else a ValueError."""
    import keras

    try:
        known = value is not None and keras.losses.get(value) is not None
    except (ValueError, TypeError):
        known = False
    if not known:
        raise bad(name, value, "a Keras loss: a name such as 'mse', a keras.losses.Loss or a callable")
    return value


def check_optimizer(value, name: str):
    """The optimizer ``keras.optimizers.get(value)`` gives, or a ValueError naming ``name``."""
    import keras

    try:
        return keras.optimizers.get(value)
    except (ValueError, TypeError):
        raise bad(name, value, "a keras.optimizers.Optimizer, its name ('adam') or its config") from None


def check_compile_kwargs(value, name: str) -> dict | None:
    """``check_kwargs``, and a ``loss`` or ``optimizer`` given by name must be one Keras knows."""
    value = check_kwargs(value, name)
    if value and isinstance(value.get("loss"), str):
        check_loss(value["loss"], f"{name}['loss']")
    if value and isinstance(value.get("optimizer"), str):
        check_optimizer(value["optimizer"], f"{name}['optimizer']")
    return value


def check_choice(value, name: str, choices):
    """``value`` unchanged if it is one of ``choices``, else a ValueError naming ``name``."""
    def equal(choice) -> bool:
        try:
            return isinstance(value, str) == isinstance(choice, str) and bool(value == choice)
        except (TypeError, ValueError):  # an array, say
            return False

    if is_bool(value) or not any(map(equal, choices)):
        raise bad(name, value, "one of " + ", ".join(map(repr, choices)))
    return value


def _scalar(value, name: str, kind, minimum, maximum, include) -> None:
    """scikit-learn's ``check_scalar``, with bools refused and the value in the message."""
    from sklearn.utils import check_scalar

    if is_bool(value):
        raise bad(name, value, "a number, not a bool" if kind is Real else "an int, not a bool", TypeError)
    try:
        check_scalar(value, name, kind, min_val=minimum, max_val=maximum, include_boundaries=include)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{error} Received: {name}={short(value)}") from None


def check_int(value, name: str, minimum: int | None = 1, maximum: int | None = None) -> int:
    """``value`` (an int or NumPy integer) as an int in ``[minimum, maximum]``, or a clear error."""
    _scalar(value, name, Integral, minimum, maximum, "both")
    return int(value)


def check_number(value, name: str, minimum: float | None = None, maximum: float | None = None,
                 include: str = "both") -> float:
    """``value`` (any real number but a bool) as a finite float in range, or a clear error.

    ``include`` is scikit-learn's ``include_boundaries``: "both", "left", "right" or "neither".
    """
    _scalar(value, name, Real, minimum, maximum, include)
    if not np.isfinite(value):
        raise bad(name, value, "a finite number")
    return float(value)


def check_seed(value, name: str = "seed") -> int | None:
    """None, or an int in ``[0, 2**32)``: what ``keras.utils.set_random_seed`` (NumPy) takes."""
    return None if value is None else check_int(value, name, minimum=0, maximum=2**32 - 1)


def check_ints(value, name: str, length: int | None, minimum: int = 1, none_first: bool = False,
               shape: bool = False) -> tuple:
    """``value`` as a tuple of ``length`` ints ``>= minimum`` (any length >= 1 for None).

    A NumPy array or a list works too. ``none_first`` lets the first be None (a sequence's
    timesteps). A lone int stands for ``length`` copies of it (``pool_size=2`` means
    ``(2, 2)``), or for a 1-tuple when ``length`` is None; not for a ``shape``, where
    ``5`` could mean 5 timesteps or 5 features.
    """
    if shape and is_int(value):
        raise bad(name, value, f"a tuple of {length} ints, not a lone int", TypeError)
    if is_int(value) and length != 1:
        value = (value,) * (length or 1)
    value = as_tuple(value)
    def fits(i, v) -> bool:
        return (v is None and i == 0 and none_first) or (is_int(v) and v >= minimum)

    sized = isinstance(value, (tuple, list)) and len(value) == (length or max(len(value), 1))
    if not sized or not all(fits(i, v) for i, v in enumerate(value)):
        first = " (the first may be None)" if none_first else ""
        raise bad(name, value, f"a tuple of {length or 'one or more'} int(s) >= {minimum}{first}")
    return tuple(None if v is None else int(v) for v in value)


def as_tuple(value):
    """A 1-D NumPy array or pandas Series as a tuple of Python numbers; anything else unchanged.

    So that ``np.array([10, 1])`` or ``pd.Series([0.5, 1.5])`` works wherever a tuple does.
    """
    if isinstance(value, (np.ndarray, pd.Series)) and np.ndim(value) == 1:
        return tuple(np.asarray(value).tolist())
    return value


#: NumPy dtype kinds that are not real numbers, by what they hold.
NOT_NUMBERS = {"b": "booleans", "c": "complex numbers", "M": "dates", "m": "time spans",
               "U": "text", "S": "bytes", "V": "raw bytes"}


def _kind(raw: np.ndarray, name: str) -> str:
    """``raw``'s dtype kind; for an object array, "b" if it holds a bool, "f" if numbers only."""
    if raw.dtype.kind != "O":
        return raw.dtype.kind
    values = raw.ravel().tolist()
    odd = next((v for v in values if is_bool(v) or not isinstance(v, Real)), None)
    if odd is not None and not is_bool(odd):
        raise TypeError(f"{name} must hold numbers only. Received: {name} holding {short(odd)} "
                        f"of type {type(odd).__name__}")
    return "f" if odd is None else "b"


@functools.cache
def _no_finite_check() -> dict:
    """``check_array``'s switch for its own NaN/infinity check, which was renamed in scikit-learn 1.6."""
    import inspect

    from sklearn.utils import check_array

    new = "ensure_all_finite" in inspect.signature(check_array).parameters
    return {"ensure_all_finite" if new else "force_all_finite": False}


def as_numbers(data, name: str, ndims=None, *, allow_empty: bool = False, allow_inf: bool = False,
               allow_bool: bool = False, keep_dtype: bool = False) -> np.ndarray:
    """``data`` (array-like, list, pandas) as an array of real numbers, or a clear error naming ``name``.

    Converted by scikit-learn's ``check_array`` (to float64 unless ``keep_dtype``). Refused,
    rather than quietly converted: text, booleans (``True`` is not the number 1 here, unless
    ``allow_bool``; pass ``.astype(float)`` if that is what you mean), complex numbers (the
    imaginary part would be dropped), dates and times, ragged lists, NaN, and infinity
    unless ``allow_inf``. ``ndims`` lists the ranks allowed.
    """
    from sklearn.utils import check_array

    if data is None or isinstance(data, (str, bytes)):
        raise bad(name, data, "array-like of numbers", TypeError)
    if isinstance(data, (pd.Series, pd.DataFrame)):
        data = data.to_numpy()
    if np.ma.isMaskedArray(data):  # NumPy and scikit-learn would use the hidden values
        if np.ma.getmaskarray(data).any():
            raise ValueError(f"{name} is a masked array with masked values, which would be used as if "
                             f"they were not masked. Drop them (.compressed()) or fill them (.filled()). "
                             f"Received: {name} with {int(np.ma.count_masked(data))} masked value(s)")
        data = np.ma.getdata(data)
    try:
        raw = np.asarray(data)
    except ValueError:  # a ragged nested list
        raise bad(name, data, "a rectangular array (its rows differ in length)") from None
    kind = _kind(raw, name)
    if kind in NOT_NUMBERS and not (kind == "b" and allow_bool):
        raise TypeError(f"{name} must hold real numbers, not {NOT_NUMBERS[kind]}. "
                        f"Received: {name} with dtype {raw.dtype}")
    if ndims is not None and raw.ndim not in ndims:
        raise bad(name, raw, f"{' or '.join(map(str, ndims))}-dimensional")
    if raw.size == 0 and not allow_empty:
        raise bad(name, raw, "non-empty")
    dtype = None if keep_dtype and raw.dtype.kind != "O" else np.float64
    if raw.ndim == 0 or raw.size == 0:  # check_array takes neither
        array = raw.astype(dtype or raw.dtype)
    else:
        try:
            array = check_array(raw, dtype=dtype, ensure_2d=False, allow_nd=True, **_no_finite_check())
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}: {error} Received: {name}={short(data)}") from None
    if array.dtype.kind == "f":
        nan = np.isnan(array)
        refused = nan if allow_inf or nan.any() else np.isinf(array)
        if refused.any():
            where = f" (first at index {np.argwhere(refused)[0].tolist()})" if array.ndim else ""
            raise ValueError(f"{name} contains {'NaN' if nan.any() else 'infinity'}{where}. "
                             f"Received: {name}={short(data)}")
    return array


def check_finite(array: np.ndarray, name: str, why: str = "") -> np.ndarray:
    """``array`` unchanged, or a ValueError if a float array holds NaN or infinity."""
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers{why}. Received: {name} with "
                         f"{int(np.size(array) - np.isfinite(array).sum())} NaN or infinite value(s)")
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


#: The most values one array the library builds may hold (2**31: 8 GB of float32). A larger
#: request is a mistake (``n=10**15``), refused before NumPy tries to allocate it.
MAX_VALUES = 2**31


def check_size(n_values: int, **sizes) -> None:
    """A ValueError naming the sizes if an array of ``n_values`` values would exceed MAX_VALUES."""
    if n_values > MAX_VALUES:
        given = ", ".join(f"{name}={value}" for name, value in sizes.items())
        raise ValueError(f"{' * '.join(sizes)} asks for an array of {n_values:.3g} values, more than "
                         f"the {MAX_VALUES:.3g} this library builds at once. Received: {given}")
