"""Preparing sequence data for LSTMs (Chapter 3).

Scaling, one-hot encoding, padding and truncating, framing a series as a supervised
problem, sliding windows, truncated-BPTT splitting, differencing and the 3-D
``[samples, timesteps, features]`` reshape that every Keras LSTM expects.

The heavy lifting is done by well-kept libraries: scikit-learn's ``MinMaxScaler``,
``StandardScaler`` and ``OneHotEncoder``, ``keras.utils.pad_sequences`` and pandas'
``shift``. What this module adds is the book's vocabulary and checked inputs: a bad
argument raises ``ValueError``/``TypeError`` that names it and shows what was received.

Introduced in Chapter 3.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lstmbook import _checks
from lstmbook._checks import check_int as _check_int

__all__ = [
    "scale",
    "transform",
    "unscale",
    "standardize",
    "one_hot_encode",
    "one_hot_decode",
    "pad",
    "truncate",
    "series_to_supervised",
    "split_sequence",
    "tbptt_split",
    "difference",
    "invert_difference",
    "to_3d",
    "check_3d",
]


# ---------------------------------------------------------------------------------------------
# Input checks shared by every function
# ---------------------------------------------------------------------------------------------


def _as_numeric(data, name: str, ndims=(1, 2), allow_empty: bool = False) -> np.ndarray:
    """``data`` as a float array, checked: real numbers, of an allowed rank, non-empty, finite."""
    return _checks.as_numbers(data, name, ndims=ndims, allow_empty=allow_empty)


def _as_table(array: np.ndarray) -> np.ndarray:
    """A 2-D ``(rows, features)`` view for scikit-learn: the last axis holds the features. A series
    ``(n,)`` is one feature; ``(samples, timesteps, channels)`` is scaled per channel."""
    return array.reshape(-1, 1) if array.ndim <= 1 else array.reshape(-1, array.shape[-1])


def scale(data, feature_range=(0.0, 1.0)):
    """Normalise each feature to ``feature_range`` with scikit-learn's ``MinMaxScaler``.

    ``y = (x - min) / (max - min) * (hi - lo) + lo``, with min and max taken per feature:
    per column of a table, per channel of ``(samples, timesteps, channels)`` sequences.

    Args:
        data: a series ``(n,)``, a table ``(n, features)`` or sequences
            ``(samples, timesteps, channels)`` of finite numbers.
        feature_range: ``(lo, hi)`` with ``lo < hi``; the book uses ``(0, 1)``, and
            Chapter 14 uses ``(-1, 1)`` to match the LSTM's tanh.

    Returns:
        ``(scaled, scaler)``: the scaled data in the input's shape, and the fitted
        scaler for ``transform`` (new data) and ``unscale`` (its ``data_min_`` and
        ``data_max_`` hold the bounds).

    Examples:
        >>> scaled, scaler = scale([10.0, 55.0, 100.0])
        >>> scaled.tolist(), float(scaler.data_min_[0]), float(scaler.data_max_[0])
        ([0.0, 0.5, 1.0], 10.0, 100.0)
    """
    from sklearn.preprocessing import MinMaxScaler

    array = _as_numeric(data, "data", ndims=(1, 2, 3))
    bounds = _checks.as_tuple(feature_range)
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise _checks.bad("feature_range", feature_range, "(lo, hi)")
    bounds = [_checks.check_number(v, "feature_range") for v in bounds]
    if not bounds[0] < bounds[1] or not math.isfinite(bounds[1] - bounds[0]):
        raise _checks.bad("feature_range", feature_range, "(lo, hi) with lo < hi, and hi - lo finite")
    table = _as_table(array)
    with np.errstate(over="ignore", invalid="ignore"):
        _checks.check_finite_result(table.max(axis=0) - table.min(axis=0), "data", "scale")
        scaler = MinMaxScaler(feature_range=tuple(bounds))
        scaled = _checks.check_finite_result(scaler.fit_transform(table), "data", "scale")
    return scaled.reshape(array.shape), scaler


def standardize(data):
    """Standardise each feature to zero mean and unit variance with ``StandardScaler``.

    ``y = (x - mean) / std``, with the population standard deviation (``ddof=0``), as
    scikit-learn computes it; per column of a table, per channel of sequences.

    Args:
        data: a series ``(n,)``, a table ``(n, features)`` or sequences
            ``(samples, timesteps, channels)`` of finite numbers.

    Returns:
        ``(standardized, scaler)``; ``scaler.mean_`` and ``scaler.scale_`` hold the
        statistics, ``transform`` applies them to new data, and ``unscale`` inverts them.
    """
    from sklearn.preprocessing import StandardScaler

    array = _as_numeric(data, "data", ndims=(1, 2, 3))
    scaler = StandardScaler()
    with np.errstate(over="ignore", invalid="ignore"):
        standardized = scaler.fit_transform(_as_table(array))
    _checks.check_finite_result(scaler.var_, "data", "standardize")
    _checks.check_finite_result(standardized, "data", "standardize")
    return standardized.reshape(array.shape), scaler


def _check_scaler(scaler):
    if (not hasattr(scaler, "inverse_transform") or not hasattr(scaler, "n_features_in_")
            or not hasattr(scaler, "scale_")):  # MinMaxScaler, StandardScaler; not an encoder
        raise _checks.bad("scaler", scaler, "a fitted scikit-learn scaler", TypeError)


def _check_features(array: np.ndarray, n_features: int, what: str) -> None:
    width = 1 if array.ndim <= 1 else array.shape[-1]
    if width != n_features:
        raise ValueError(f"data must have {n_features} feature(s) in its last axis, as {what}. "
                         f"Received: data with shape {array.shape}")


def transform(data, scaler):
    """Scale new data (a test set, a new sequence) with a scaler that ``scale`` or
    ``standardize`` fitted: the same bounds or statistics, not new ones.

    Args:
        data: a number, a series, a table or sequences, with as many features (last
            axis) as the scaler was fitted on.
        scaler: the fitted scaler.

    Returns:
        The scaled values, in ``data``'s shape.

    Examples:
        >>> _, scaler = scale([10.0, 100.0])
        >>> transform([55.0, 190.0], scaler).tolist()
        [0.5, 2.0]
    """
    _check_scaler(scaler)
    array = _as_numeric(data, "data", ndims=(0, 1, 2, 3))
    _check_features(array, scaler.n_features_in_, "the scaler was fitted on")
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = scaler.transform(_as_table(array))
    return _checks.check_finite_result(scaled, "data", "transform").reshape(array.shape)


def unscale(data, scaler, columns=None):
    """Undo ``scale`` or ``standardize`` with the scaler they returned.

    Args:
        data: scaled values: a number, a series, a table or sequences, with as many
            features (last axis) as the scaler was fitted on, or as ``columns`` names.
        scaler: a fitted scikit-learn scaler with ``inverse_transform``.
        columns: which of the scaler's features ``data`` holds, in order (for example
            ``[0]``: forecasts of the first of two scaled columns). ``None``: all of them.

    Returns:
        The values in their original units, in ``data``'s shape.

    Examples:
        >>> _, scaler = scale([[10.0, 0.0], [100.0, 1.0]])
        >>> unscale([0.5, 1.0], scaler, columns=[0]).tolist()
        [55.0, 100.0]
    """
    _check_scaler(scaler)
    array = _as_numeric(data, "data", ndims=(0, 1, 2, 3))
    n_features = scaler.n_features_in_
    if columns is None:
        _check_features(array, n_features, "the scaler was fitted on")
        table = _as_table(array)
    else:
        columns = list(_checks.check_ints(columns, "columns", None, minimum=0))
        if max(columns) >= n_features or len(set(columns)) != len(columns):
            raise _checks.bad("columns", columns, f"distinct feature indices below {n_features}")
        _check_features(array, len(columns), "columns names")
        given = _as_table(array)
        table = np.zeros((len(given), n_features))
        table[:, columns] = given
    with np.errstate(over="ignore", invalid="ignore"):
        restored = scaler.inverse_transform(table)
    _checks.check_finite_result(restored, "data", "unscale")
    return (restored if columns is None else restored[:, columns]).reshape(array.shape)


# ---------------------------------------------------------------------------------------------
# One-hot encoding
# ---------------------------------------------------------------------------------------------


def one_hot_encode(values, categories=None):
    """One-hot encode integers or labels with scikit-learn's ``OneHotEncoder``.

    Args:
        values: 1-D sequence of labels (``["cold", "warm"]``) or integers (``[3, 0, 9]``).
        categories: every possible value, in the column order to use. ``None`` takes the
            sorted distinct values of ``values`` (the book's ``LabelEncoder`` order). Pass it
            explicitly when some values may be absent, e.g. ``range(10)`` for digits.

    Returns:
        ``(encoded, encoder)``: a float array ``(n, n_categories)`` and the fitted encoder,
        which ``one_hot_decode`` uses to map columns back to values.

    Examples:
        >>> encoded, encoder = one_hot_encode(["cold", "hot", "warm", "cold"])
        >>> encoded.astype(int).tolist()
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]
    """
    from sklearn.preprocessing import OneHotEncoder

    if isinstance(values, (str, bytes)) or values is None:
        raise _checks.bad("values", values, "a 1-D sequence", TypeError)
    if _has_strings(values) and not all(isinstance(v, str) or v is None for v in values):
        raise _checks.bad("values", values, "all labels (text) or all integers, not a mix", TypeError)
    array = np.asarray(values, dtype=object if _has_strings(values) else None)
    if array.dtype.kind in "cbmMV":
        raise TypeError(f"values must be integers or labels. Received: values with dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"values must be 1-D. Received: values with shape {array.shape}")
    if array.size == 0:
        raise ValueError("values must not be empty. Received: values=[]")
    if array.dtype == object and any(v is None for v in array.tolist()):
        raise _checks.bad("values", values, "free of None")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or not np.all(array == np.round(array)):
            raise _checks.bad("values", values, "integers or labels, not fractions, NaN or infinity")
        array = array.astype(int)
    if categories is None:
        cats = "auto"
    else:
        cats_array = _check_categories(categories, array.dtype)
        if cats_array.ndim != 1 or cats_array.size == 0 or len(set(cats_array.tolist())) != cats_array.size:
            raise _checks.bad("categories", categories, "a non-empty list of distinct values")
        unknown = sorted(set(array.tolist()) - set(cats_array.tolist()), key=str)
        if unknown:
            missing = f"a list holding every value (missing: {unknown[:5]})"
            raise _checks.bad("categories", list(cats_array), missing)
        cats = [cats_array]
    encoder = OneHotEncoder(categories=cats, sparse_output=False, handle_unknown="error",
                            dtype=np.float32)
    encoded = encoder.fit_transform(array.reshape(-1, 1))
    return encoded, encoder


def _check_categories(categories, dtype) -> np.ndarray:
    """``categories`` as an array of the values' dtype, refusing what the cast would change."""
    if isinstance(categories, (str, bytes)) or not hasattr(categories, "__iter__"):
        raise _checks.bad("categories", categories, "a list of values", TypeError)
    listed = list(categories)
    if dtype.kind == "O":
        return np.asarray(listed, dtype=object)
    try:
        raw = np.asarray(listed)
        cast = raw.astype(dtype)
    except (TypeError, ValueError):
        like = f"numbers like values (dtype {dtype})"
        raise _checks.bad("categories", categories, like, TypeError) from None
    if raw.dtype.kind not in "biuf" or (raw.size and not np.array_equal(cast, raw)):
        raise _checks.bad("categories", categories, f"whole numbers like values (dtype {dtype})", TypeError)
    return cast


def _has_strings(values) -> bool:
    return any(isinstance(v, str) for v in values)


def one_hot_decode(encoded, encoder=None):
    """Decode one-hot rows (or predicted probabilities) back to values by their argmax.

    Args:
        encoded: ``(n, n_categories)`` one-hot rows or class probabilities, or
            ``(..., n_categories)`` for sequences, e.g. a model's softmax output.
        encoder: the encoder from ``one_hot_encode``, to map columns back to labels.
            ``None`` returns the column indices (the integers ``to_categorical`` encoded).

    Returns:
        An array of shape ``encoded.shape[:-1]`` of labels, or of integer indices: ``()``
        for one row.

    Examples:
        >>> int(one_hot_decode([0, 1, 0]))
        1
    """
    array = _as_numeric(encoded, "encoded", ndims=(1, 2, 3))
    indices = np.argmax(_checks.check_rows_set(array, "encoded"), axis=-1)
    if encoder is None:
        return indices
    if not hasattr(encoder, "categories_"):
        raise _checks.bad("encoder", encoder, "the fitted encoder from one_hot_encode", TypeError)
    labels = np.asarray(encoder.categories_[0])
    if array.shape[-1] != labels.size:
        raise ValueError(f"encoded must have {labels.size} columns, one per known label "
                         f"{labels.tolist()}. Received: encoded with shape {array.shape}")
    return labels[indices]


# ---------------------------------------------------------------------------------------------
# Padding and truncating
# ---------------------------------------------------------------------------------------------


def _check_sequences(sequences, name: str = "sequences", channels: bool = False) -> list:
    """``sequences`` as a non-empty list of sequences of numbers (each may be empty): 1-D, or
    with ``channels`` also ``(timesteps, channels)``, every one with the same channels."""
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise _checks.bad(name, sequences, "a list of sequences", TypeError)
    if len(sequences) == 0:
        raise _checks.bad(name, sequences, "non-empty")
    shapes = set()
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise _checks.bad(f"{name}[{i}]", seq, "a sequence", TypeError)
        array = _checks.as_numbers(seq, f"{name}[{i}]", ndims=(1, 2) if channels else (1,), allow_empty=True,
                                   allow_bool=True)
        if array.size:
            shapes.add(array.shape[1:])
    if len(shapes) > 1:
        raise ValueError(f"{name} must all have the same channels (the shape of one step). "
                         f"Received: steps of shapes {sorted(shapes)}")
    return [np.asarray(seq).tolist() for seq in sequences]


def _check_dtype(dtype, sequences: list, value=0) -> str:
    """The result's dtype: ``dtype``, or int32/float32 from the data when it is None.

    An integer dtype for data with fractions would cut them off silently (``1.7`` -> ``1``),
    so that is refused.
    """
    _checks.check_number(value, "value")
    fractional = any(np.any(np.mod(np.asarray(seq, dtype=float), 1) != 0) for seq in sequences if len(seq))
    fractional = fractional or float(value) % 1 != 0
    if dtype is None:
        return "float32" if fractional else "int32"
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        raise TypeError(f"dtype must be a NumPy dtype such as 'int32' or 'float32'. "
                        f"Received: dtype={dtype!r}") from None
    if kind not in "biuf":
        raise TypeError(f"dtype must be numeric. Received: dtype={dtype!r}")
    if kind in "biu" and fractional:
        raise ValueError(f"dtype must be a float dtype for sequences (or a value) with fractions; "
                         f"{np.dtype(dtype).name} would cut them off. Received: dtype={dtype!r} "
                         f"(leave it None to choose from the data)")
    return dtype


def _check_fits(dtype, sequences: list, value) -> None:
    """Every value and the padding ``value`` must fit ``dtype`` (a cast would wrap them round)."""
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else np.finfo(dtype)
    values = np.concatenate([np.asarray(seq, dtype=float).ravel() for seq in sequences] + [[float(value)]])
    if values.min() < float(info.min) or values.max() > float(info.max):
        raise ValueError(f"sequences and value must fit the dtype {np.dtype(dtype).name} "
                         f"({info.min} to {info.max}); a cast would change them. "
                         f"Received: values from {values.min():g} to {values.max():g}, value={value!r}")


def _check_side(value, name: str) -> str:
    return _checks.check_choice(value, name, ("pre", "post"))


def pad(sequences, maxlen=None, padding="pre", value=0, dtype=None):
    """Pad variable-length sequences to one length with ``keras.utils.pad_sequences``.

    Args:
        sequences: a list of sequences, each 1-D (``[[1, 2, 3, 4], [1, 2, 3], [1]]``) or
            ``(timesteps, channels)`` with the same channels (a recording of a few sensors).
        maxlen: the length to pad to; ``None`` uses the longest sequence. Longer
            sequences are cut from the front (``truncating="pre"``).
        padding: ``"pre"`` (the book's default, zeros in front) or ``"post"``.
        value: the padding value.
        dtype: the result's dtype; ``None``: ``int32`` for whole numbers (Keras's default),
            ``float32`` when any value has a fraction.

    Returns:
        ``(len(sequences), maxlen)``, or ``(len(sequences), maxlen, channels)``. A model
        that should skip the padded steps starts with ``keras.layers.Masking(value)``.

    Examples:
        >>> pad([[1, 2, 3, 4], [1, 2, 3], [1]]).tolist()
        [[1, 2, 3, 4], [0, 1, 2, 3], [0, 0, 0, 1]]
    """
    from keras.utils import pad_sequences

    seqs = _check_sequences(sequences, channels=True)
    if maxlen is not None:
        _check_int(maxlen, "maxlen", minimum=1)
        _checks.check_size(len(seqs) * maxlen, sequences=len(seqs), maxlen=maxlen)
    _check_side(padding, "padding")
    dtype = _check_dtype(dtype, seqs, value)
    _check_fits(dtype, seqs, value)
    return pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating="pre",
                         value=value, dtype=dtype)


def truncate(sequences, maxlen, truncating="pre", dtype=None):
    """Truncate sequences to ``maxlen`` steps with ``keras.utils.pad_sequences``.

    Shorter sequences are pre-padded with zeros so the result is rectangular.

    Args:
        sequences: a list of 1-D sequences.
        maxlen: the length to keep, a positive int.
        truncating: ``"pre"`` drops steps from the front (keeps the end), ``"post"`` from the back.
        dtype: the result's dtype; ``None`` chooses ``int32`` or ``float32`` as ``pad`` does.

    Returns:
        A 2-D array ``(len(sequences), maxlen)``.

    Examples:
        >>> truncate([[1, 2, 3, 4], [1, 2, 3], [1]], 2).tolist()
        [[3, 4], [2, 3], [0, 1]]
    """
    from keras.utils import pad_sequences

    seqs = _check_sequences(sequences)
    _check_int(maxlen, "maxlen", minimum=1)
    _checks.check_size(len(seqs) * maxlen, sequences=len(seqs), maxlen=maxlen)
    _check_side(truncating, "truncating")
    dtype = _check_dtype(dtype, seqs)
    _check_fits(dtype, seqs, 0)
    return pad_sequences(seqs, maxlen=maxlen, truncating=truncating, dtype=dtype)


# ---------------------------------------------------------------------------------------------
# Framing a series as supervised learning
# ---------------------------------------------------------------------------------------------


def series_to_supervised(data, n_in: int = 1, n_out: int = 1, dropnan: bool = True) -> pd.DataFrame:
    """Frame a time series as a supervised-learning table with pandas ``shift``.

    Each row holds ``n_in`` lagged observations ``var1(t-n_in) … var1(t-1)`` of every
    variable, then ``n_out`` steps ``var1(t) … var1(t+n_out-1)``.

    Args:
        data: a 1-D series ``(n,)`` (one variable) or a 2-D table ``(n, variables)``;
            a pandas Series or DataFrame works too.
        n_in: number of lag steps as input (``>= 0``).
        n_out: number of steps to forecast as output (``>= 1``).
        dropnan: drop the rows that the shifts left incomplete.

    Returns:
        A ``DataFrame`` with columns named in the ``var1(t-1)``, ``var1(t)``,
        ``var1(t+1)`` style. Row ``t`` keeps the index of ``data``'s row ``t`` (a pandas
        ``DatetimeIndex`` carries over).

    Examples:
        >>> series_to_supervised([1, 2, 3, 4], n_in=1).values.tolist()
        [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]]
    """
    index = data.index if isinstance(data, (pd.Series, pd.DataFrame)) else None
    array = _as_numeric(data, "data")
    n_in = _check_int(n_in, "n_in", minimum=0)
    n_out = _check_int(n_out, "n_out", minimum=1)
    dropnan = _checks.check_bool(dropnan, "dropnan")
    column = _as_table(array)
    n_rows, n_vars = column.shape
    if n_in >= n_rows or n_out > n_rows or (dropnan and n_in + n_out > n_rows):
        raise ValueError(f"n_in + n_out must be <= the series length {n_rows}, or no row is left (and "
                         f"with dropnan=False, n_in < {n_rows} and n_out <= {n_rows}, or a column holds "
                         f"nothing but NaN). Received: n_in={n_in}, n_out={n_out}")
    # Row t of the frame is the window t - n_in ... t + n_out - 1 of the series, NaN outside it.
    gap_before, gap_after = np.full((n_in, n_vars), np.nan), np.full((n_out - 1, n_vars), np.nan)
    padded = np.concatenate([gap_before, column, gap_after])
    windows = np.lib.stride_tricks.sliding_window_view(padded, n_in + n_out, axis=0)  # (rows, vars, window)
    names = [f"var{j + 1}(t-{i})" for i in range(n_in, 0, -1) for j in range(n_vars)]
    names += [f"var{j + 1}(t)" if i == 0 else f"var{j + 1}(t+{i})"
              for i in range(n_out) for j in range(n_vars)]
    framed = pd.DataFrame(windows.transpose(0, 2, 1).reshape(n_rows, -1), columns=names, index=index)
    if dropnan:
        framed = framed.dropna()
    return framed


def split_sequence(sequence, n_steps: int, n_out: int = 1):
    """Sliding windows: each ``n_steps`` observations predict the next one, or the next ``n_out``.

    Args:
        sequence: 1-D ``(n,)`` or multivariate 2-D ``(n, features)``.
        n_steps: window length, ``1 <= n_steps``.
        n_out: how many steps each window predicts (a multi-step target); ``n_steps + n_out``
            must not exceed ``n``.

    Returns:
        ``(X, y)`` with ``m = n - n_steps - n_out + 1`` windows: for 1-D input
        ``X (m, n_steps)`` and ``y (m,)`` (``(m, n_out)`` when ``n_out > 1``); for 2-D input
        ``X (m, n_steps, features)`` and ``y (m, features)`` (``(m, n_out, features)``).

    Examples:
        >>> X, y = split_sequence([10, 20, 30, 40, 50], 3)
        >>> X.tolist(), y.tolist()
        ([[10.0, 20.0, 30.0], [20.0, 30.0, 40.0]], [40.0, 50.0])
        >>> X, y = split_sequence([10, 20, 30, 40, 50], 2, n_out=2)
        >>> X.tolist(), y.tolist()
        ([[10.0, 20.0], [20.0, 30.0]], [[30.0, 40.0], [40.0, 50.0]])
    """
    array = _as_numeric(sequence, "sequence")
    n_steps = _check_int(n_steps, "n_steps", minimum=1)
    n_out = _check_int(n_out, "n_out", minimum=1)
    if n_steps + n_out > len(array):
        raise ValueError(f"n_steps + n_out must be at most the sequence length {len(array)}. "
                         f"Received: n_steps={n_steps}, n_out={n_out}")
    windows = np.lib.stride_tricks.sliding_window_view(array, n_steps + n_out, axis=0)
    if array.ndim == 2:  # sliding_window_view puts the window axis last
        windows = np.moveaxis(windows, -1, 1)
    x, y = windows[:, :n_steps], windows[:, n_steps:]
    return np.ascontiguousarray(x), np.ascontiguousarray(y[:, 0] if n_out == 1 else y)


def tbptt_split(series, timesteps: int, drop_remainder: bool = False) -> np.ndarray:
    """Split one long series into consecutive subsequences for truncated BPTT.

    A 1,000-step series with ``timesteps=50`` becomes ``(20, 50, features)``. Backpropagation
    then runs through at most 50 steps, while a stateful LSTM carries its state from one
    subsequence to the next (Chapter 2).

    Args:
        series: 1-D ``(n,)`` or 2-D ``(n, features)``.
        timesteps: subsequence length; must divide ``n`` unless ``drop_remainder``.
        drop_remainder: drop the last ``n % timesteps`` steps instead of raising.

    Returns:
        An array ``(n // timesteps, timesteps, features)``.
    """
    array = _as_numeric(series, "series")
    timesteps = _check_int(timesteps, "timesteps", minimum=1)
    drop_remainder = _checks.check_bool(drop_remainder, "drop_remainder")
    column = _as_table(array)
    n = len(column)
    if timesteps > n:
        raise ValueError(f"timesteps must be <= the series length {n}. Received: timesteps={timesteps}")
    if n % timesteps and not drop_remainder:
        raise ValueError(
            f"timesteps must divide the series length {n} (it leaves {n % timesteps} steps over); "
            f"pass drop_remainder=True to drop them. Received: timesteps={timesteps}")
    usable = n - n % timesteps
    return column[:usable].reshape(usable // timesteps, timesteps, column.shape[1]).copy()


# ---------------------------------------------------------------------------------------------
# Differencing
# ---------------------------------------------------------------------------------------------


def difference(series, interval: int = 1) -> np.ndarray:
    """Remove a trend (``interval=1``) or a season (``interval=12``) by differencing.

    ``d[t] = x[t + interval] - x[t]``; the result is ``interval`` steps shorter.

    Examples:
        >>> difference([1, 4, 9, 16]).tolist()
        [3.0, 5.0, 7.0]
    """
    array = _as_numeric(series, "series")
    interval = _check_int(interval, "interval", minimum=1)
    if interval >= len(array):
        raise ValueError(f"interval must be smaller than the series length {len(array)}. "
                         f"Received: interval={interval}")
    with np.errstate(over="ignore", invalid="ignore"):
        diffed = array[interval:] - array[:-interval]
    return _checks.check_finite_result(diffed, "series", "difference")


def invert_difference(diffed, initial, interval: int = 1) -> np.ndarray:
    """Undo ``difference`` given the first ``interval`` values of the original series.

    ``x[t + interval] = x[t] + d[t]``, accumulated with a cumulative sum per season.

    Args:
        diffed: the differenced series ``(m,)`` or ``(m, features)``.
        initial: the original series' first ``interval`` values (a scalar for ``interval=1``).
        interval: the lag used by ``difference``.

    Returns:
        The original series, ``interval + m`` long.

    Examples:
        >>> invert_difference([3, 5, 7], initial=1).tolist()
        [1.0, 4.0, 9.0, 16.0]
    """
    d = _as_numeric(diffed, "diffed")
    interval = _check_int(interval, "interval", minimum=1)
    start = _as_numeric(np.atleast_1d(initial) if np.ndim(initial) == 0 else initial, "initial")
    if start.shape[0] != interval or start.shape[1:] != d.shape[1:]:
        raise ValueError(f"initial must hold the first {interval} value(s) of the original series, "
                         f"shaped like one row of diffed. Received: initial with shape {start.shape}")
    out = np.concatenate([start, d], axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        for phase in range(interval):  # each season accumulates on its own
            out[phase::interval] = np.cumsum(out[phase::interval], axis=0)
    return _checks.check_finite_result(out, "diffed", "invert")


# ---------------------------------------------------------------------------------------------
# The 3-D shape LSTMs expect
# ---------------------------------------------------------------------------------------------

_SHAPE_HELP = ("A Keras LSTM takes 3-D input [samples, timesteps, features]: samples are the "
               "independent sequences, timesteps the steps in each sequence, features the values "
               "observed at each step.")


def to_3d(data, timesteps: int | None = None, features: int | None = None) -> np.ndarray:
    """Reshape data to the ``[samples, timesteps, features]`` an LSTM takes, with checks.

    Args:
        data: 1-D ``(n,)`` (one long sequence), 2-D ``(samples, timesteps)`` (one feature
            per step) or already 3-D (then only checked).
        timesteps: steps per sample. ``None`` keeps a 2-D input's columns as timesteps and
            makes a 1-D input a single sample.
        features: values per step; ``None`` means 1 for 1-D and 2-D input.

    Returns:
        A 3-D array ``(samples, timesteps, features)``.

    Examples:
        >>> to_3d(np.arange(10.0)).shape
        (1, 10, 1)
        >>> to_3d(np.arange(20.0).reshape(10, 2), timesteps=10, features=2).shape
        (1, 10, 2)
    """
    array = _as_numeric(data, "data", ndims=(1, 2, 3))
    if features is not None:
        features = _check_int(features, "features", minimum=1)
    if timesteps is not None:
        timesteps = _check_int(timesteps, "timesteps", minimum=1)
    if array.ndim == 3:
        return check_3d(array, "data", timesteps=timesteps, features=features)
    features = 1 if features is None else features
    if timesteps is None:
        timesteps = (array.size if array.ndim == 1 else array.shape[1]) // features
    per_sample = timesteps * features
    if per_sample == 0 or array.size % per_sample:
        raise ValueError(
            f"{_SHAPE_HELP} data has {array.size} values, which do not divide into samples of "
            f"timesteps={timesteps} x features={features} = {per_sample} values. "
            f"Received: data with shape {array.shape}")
    row = array.shape[1] if array.ndim == 2 else per_sample
    if row % per_sample and per_sample % row:
        # A sample must be whole rows (rows are steps) or a row whole samples (rows are
        # sequences): (n, 3) in samples of 2 values would splice row 0's last value to row
        # 1's first.
        raise ValueError(
            f"{_SHAPE_HELP} Each row of data holds {row} values, and samples of timesteps={timesteps} x "
            f"features={features} = {per_sample} values would mix pieces of different rows. "
            f"Received: data with shape {array.shape}")
    return array.reshape(array.size // per_sample, timesteps, features)


def check_3d(X, name: str = "X", timesteps: int | None = None, features: int | None = None) -> np.ndarray:
    """Return ``X`` as an array if it is ``[samples, timesteps, features]``; explain otherwise.

    Examples:
        >>> check_3d(np.zeros((4, 5, 1))).shape
        (4, 5, 1)
    """
    _checks.check_type(name, "name", str, "a str")
    if timesteps is not None:
        _check_int(timesteps, "timesteps", minimum=1)
    if features is not None:
        _check_int(features, "features", minimum=1)
    array = _checks.as_numbers(X, name, allow_bool=True, keep_dtype=True)
    if array.ndim != 3:
        hint = ""
        if array.ndim == 2:
            hint = (f" For one feature per step use {name}.reshape({array.shape[0]}, "
                    f"{array.shape[1]}, 1).")
        elif array.ndim == 1:
            hint = f" For one sequence of one feature use {name}.reshape(1, {array.shape[0]}, 1)."
        raise ValueError(f"{_SHAPE_HELP} Received: {name} with shape {array.shape}.{hint}")
    if timesteps is not None and array.shape[1] != timesteps:
        raise ValueError(f"{name} must have {timesteps} timesteps (axis 1). Received: shape {array.shape}")
    if features is not None and array.shape[2] != features:
        raise ValueError(f"{name} must have {features} features (axis 2). Received: shape {array.shape}")
    return array
