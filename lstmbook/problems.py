"""The book's synthetic sequence problems, one vectorised and seeded generator each.

Every generator returns NumPy arrays ``(X, y)`` already in the shapes the models take:
``X`` is ``[samples, timesteps, features]`` (or ``[samples, frames, rows, cols, channels]``
for videos). Every one is deterministic for a given ``seed``: the same seed gives the
same arrays, and ``seed=None`` draws fresh randomness. Samples are made all at once with
array operations; the only Python loops run over time steps, never over samples.

Where the book decodes outputs (one-hot values, class labels), the decoder sits next to
its generator.

Chapters 1 and 2 bring two problems that the book only describes in prose (a class that
hangs on the first step, and the adding problem of Hochreiter & Schmidhuber, 1997); the
book's own generators start in Chapter 6. Each generator names the chapter that
introduces it.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from lstmbook import _checks
from lstmbook._checks import as_numbers as _as_numbers
from lstmbook._checks import as_tuple as _as_tuple
from lstmbook._checks import check_finite_result as _check_finite_result
from lstmbook._checks import check_int as _check_int
from lstmbook._checks import check_rows_set as _check_rows_set
from lstmbook._checks import check_size as _check_size

__all__ = [
    "first_sign_sequences",
    "adding_problem",
    "echo_sequences",
    "decode_echo",
    "damped_sine",
    "damped_sine_sequences",
    "moving_line_videos",
    "decode_directions",
    "MovingLineDataset",
    "ADDITION_ALPHABET",
    "addition_lengths",
    "addition_sequences",
    "decode_addition",
    "cumulative_sum_sequences",
    "rectangle_sequences",
    "rectangle_shape_error",
]


# ---------------------------------------------------------------------------------------------
# Argument checks shared by every generator
# ---------------------------------------------------------------------------------------------


def _check_seed(seed):
    """None or any int >= 0: NumPy's ``default_rng`` takes both."""
    return None if seed is None else _check_int(seed, "seed", minimum=0)


# ---------------------------------------------------------------------------------------------
# Chapter 1: a class decided by the first step
# ---------------------------------------------------------------------------------------------


def first_sign_sequences(n, timesteps=30, noise=1.0, signal=(0.5, 1.5), seed=None):
    """Noise sequences whose class is the sign of their first step.

    Every step is Gaussian noise of standard deviation ``noise``, except step 0: a random
    sign times a size drawn uniformly from ``signal``, so that it looks like any other
    step. The class is 1 where step 0 is positive. Nothing after step 0 says anything
    about the class, so a model that sees only the last steps (a fixed-window MLP) stays
    at chance, while one that reads the whole sequence and remembers step 0 can be
    perfect: the long-memory claim of Chapter 1, as a task.

    The draws, in order: the noise ``(n, timesteps, 1)``, the signs ``(n,)``, the sizes ``(n,)``.

    Introduced in Chapter 1.

    Args:
        n: number of sequences, >= 1.
        timesteps: steps per sequence, >= 1 (Chapter 1: 30).
        noise: standard deviation of the noise at the steps after the first, >= 0.
        signal: ``(lowest, highest)`` size of step 0, with ``0 < lowest <= highest``.
        seed: int for a reproducible result, or ``None``.

    Returns:
        ``(X, y)``: ``X`` float32 ``(n, timesteps, 1)`` and ``y`` float32 ``(n,)``, 1.0 where
        ``X[:, 0, 0] > 0`` and 0.0 elsewhere.

    Raises:
        TypeError: when an argument is not a number (``seed``: not an int).
        ValueError: when an argument is out of range.

    Examples:
        >>> X, y = first_sign_sequences(4, seed=0)
        >>> X.shape, y.shape
        ((4, 30, 1), (4,))
        >>> bool(((X[:, 0, 0] > 0) == (y == 1)).all())
        True
    """
    n = _check_int(n, "n")
    timesteps = _check_int(timesteps, "timesteps")
    noise = _checks.check_number(noise, "noise", minimum=0.0)
    signal = _as_tuple(signal)
    if not isinstance(signal, (tuple, list)) or len(signal) != 2:
        raise _checks.bad("signal", signal, "(lowest, highest)")
    low, high = (_checks.check_number(v, "signal") for v in signal)
    if not 0 < low <= high:
        raise ValueError(f"signal must be (lowest, highest) with 0 < lowest <= highest, so that the "
                         f"sign of step 0 is never zero. Received: signal={tuple(signal)!r}")
    _check_size(n * timesteps, n=n, timesteps=timesteps)
    rng = np.random.default_rng(_check_seed(seed))
    X = rng.normal(0.0, noise, size=(n, timesteps, 1))
    sign = rng.choice([-1.0, 1.0], size=n)
    X[:, 0, 0] = sign * rng.uniform(low, high, size=n)
    with np.errstate(over="ignore"):
        X = X.astype(np.float32)
    if not np.isfinite(X).all():  # the float32 the models train on tops out at 3.4e38
        raise ValueError(f"noise and signal must keep the values within float32 (3.4e38). "
                         f"Received: noise={noise!r}, signal={tuple(signal)!r}")
    return X, (sign > 0).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Chapter 2: the adding problem
# ---------------------------------------------------------------------------------------------


def adding_problem(n, timesteps=50, seed=None):
    """The adding problem (Hochreiter & Schmidhuber 1997): add the two marked values.

    Each step holds a pair (value, marker). The values are uniform in ``[0, 1)``. Exactly
    two steps are marked with a 1: the first in the first half of the sequence (uniformly
    among ``0 .. timesteps // 2 - 1``), the second in the third quarter (among
    ``timesteps // 2 .. 3 * timesteps // 4 - 1``), and the target is the sum of the two
    marked values. To solve it a network must carry the first marked value across up to
    ``timesteps - 1`` steps, and the second across at least ``timesteps // 4``: a marked
    value in the last steps would let a network with a short memory learn half the sum.
    Always predicting the mean sum (1.0) gives an MSE of ``Var(u1 + u2) = 1/6``.

    The draws, in order: the values ``(n, timesteps)``, the first marks ``(n,)``, the
    second marks ``(n,)``.

    Introduced in Chapter 2.

    Args:
        n: number of sequences, >= 1.
        timesteps: steps per sequence, >= 2 (Chapter 2: 50).
        seed: int for a reproducible result, or ``None``.

    Returns:
        ``(X, y)``: ``X`` float32 ``(n, timesteps, 2)`` of (value, marker) pairs, and
        ``y`` float32 ``(n,)``, the sum of the two marked values.

    Raises:
        TypeError: when ``n``, ``timesteps`` or ``seed`` is not an int.
        ValueError: when one is out of range.

    Examples:
        >>> X, y = adding_problem(3, timesteps=10, seed=0)
        >>> X.shape, y.shape, X[..., 1].sum(axis=1).tolist()
        ((3, 10, 2), (3,), [2.0, 2.0, 2.0])
        >>> bool(np.allclose(y, (X[..., 0] * X[..., 1]).sum(axis=1)))
        True
    """
    n = _check_int(n, "n")
    timesteps = _check_int(timesteps, "timesteps", minimum=2)
    _check_size(2 * n * timesteps, n=n, timesteps=timesteps)
    rng = np.random.default_rng(_check_seed(seed))
    values = rng.uniform(size=(n, timesteps))
    rows = np.arange(n)
    first = rng.integers(0, timesteps // 2, size=n)
    second = rng.integers(timesteps // 2, max(3 * timesteps // 4, timesteps // 2 + 1), size=n)
    markers = np.zeros((n, timesteps))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return X, y



# ---------------------------------------------------------------------------------------------
# Chapter 6: the echo problem
# ---------------------------------------------------------------------------------------------


def echo_sequences(n, length=5, n_features=10, out_index=2, seed=None):
    """Random one-hot integer sequences; the target is the value at ``out_index``.

    The echo problem of Chapter 6 ("echo sequence prediction"): the model sees the whole
    sequence and must output the value it saw at position ``out_index``, so it has to
    remember that step across the ones after it. Values are uniform in
    ``0 .. n_features - 1``.

    Introduced in Chapter 6.

    Args:
        n: number of sequences.
        length: time steps per sequence.
        n_features: distinct values, so the width of each one-hot vector.
        out_index: the step to echo, ``0 <= out_index < length``.
        seed: int for a reproducible result, or ``None``.

    Returns:
        ``(X, y)``: ``X`` float32 ``(n, length, n_features)`` one-hot, and ``y`` float32
        ``(n, n_features)``, the one-hot value at ``X[:, out_index]``.

    Examples:
        >>> X, y = echo_sequences(3, seed=1)
        >>> X.shape, y.shape
        ((3, 5, 10), (3, 10))
        >>> bool((decode_echo(y) == decode_echo(X)[:, 2]).all())
        True
    """
    n = _check_int(n, "n")
    length = _check_int(length, "length")
    n_features = _check_int(n_features, "n_features", minimum=2)
    out_index = _check_int(out_index, "out_index", minimum=0)
    _check_size(n * length * n_features, n=n, length=length, n_features=n_features)
    if out_index >= length:
        raise ValueError(f"out_index must be < length ({length}). Received: out_index={out_index}")
    rng = np.random.default_rng(_check_seed(seed))
    values = rng.integers(0, n_features, size=(n, length))
    X = np.eye(n_features, dtype=np.float32)[values]
    y = X[:, out_index].copy()
    return X, y


def decode_echo(encoded):
    """Turn one-hot vectors (or predicted probabilities) back into integers: argmax of the last axis.

    Introduced in Chapter 6 (the book's ``one_hot_decode``).

    Args:
        encoded: array ``(..., n_features)``, e.g. ``X`` ``(n, length, n_features)`` or
            ``y``/predictions ``(n, n_features)``.

    Returns:
        int array ``(...)``: ``(n, length)`` for sequences, ``(n,)`` for targets.

    Examples:
        >>> decode_echo([[0, 0, 1], [0.7, 0.2, 0.1]]).tolist()
        [2, 0]
    """
    array = _as_numbers(encoded, "encoded", allow_empty=True, allow_bool=True, keep_dtype=True)
    if array.ndim < 1 or array.shape[-1] < 2:
        raise _checks.bad("encoded", array, "an array (..., n_features) with n_features >= 2")
    return np.argmax(_check_rows_set(array, "encoded"), axis=-1)


# ---------------------------------------------------------------------------------------------
# Chapter 7: the damped sine wave
# ---------------------------------------------------------------------------------------------


def damped_sine(length, period, decay):
    """``0.5 + 0.5 * sin(2 * pi * i / period) * exp(-decay * i)`` for ``i = 0 .. length - 1``.

    A sine wave in ``[0, 1]`` whose swing shrinks by ``exp(-decay)`` every step. ``period``
    and ``decay`` may be arrays of the same shape (one series each); ``decay=0`` gives a
    plain sine.

    Introduced in Chapter 7.

    Args:
        length: steps per series.
        period: steps per cycle, a positive number or an array of them.
        decay: damping per step, a non-negative number or an array of them.

    Returns:
        float array ``(*shape, length)``, where ``shape`` is the broadcast shape of
        ``period`` and ``decay``.

    Examples:
        >>> damped_sine(4, period=4, decay=0.0).round(6).tolist()
        [0.5, 1.0, 0.5, 0.0]
    """
    length = _check_int(length, "length")
    period, decay = _as_numbers(period, "period"), _as_numbers(decay, "decay")
    _check_size(length * max(period.size, decay.size), length=length)
    try:
        np.broadcast_shapes(period.shape, decay.shape)
    except ValueError:
        raise ValueError(f"period and decay must have shapes that broadcast together (the same shape, "
                         f"or one a number). "
                         f"Received: period with shape {period.shape}, decay with shape {decay.shape}"
                         ) from None
    if np.any(period <= 0):
        raise _checks.bad("period", period.tolist(), "positive")
    if np.any(decay < 0):
        raise _checks.bad("decay", decay.tolist(), "non-negative")
    i = np.arange(length, dtype=float)
    period, decay = np.broadcast_arrays(period, decay)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        wave = 0.5 + 0.5 * np.sin(2.0 * math.pi * i / period[..., None]) * np.exp(-decay[..., None] * i)
    return _check_finite_result(wave, "period", "draw a sine wave with")


def damped_sine_sequences(n, length=50, n_out=5, seed=None, *, periods=(10, 20), decays=(0.01, 0.1)):
    """Damped sine waves of random period and decay: ``length`` steps in, the next ``n_out`` out.

    As in the book, each series has an integer period drawn uniformly from
    ``periods[0] .. periods[1]`` (both included) and a decay drawn uniformly from
    ``[decays[0], decays[1])``. The first ``length`` values are the input; the
    ``n_out`` values that follow are the target.

    Introduced in Chapter 7.

    Args:
        n: number of series.
        length: input time steps.
        n_out: steps to predict.
        seed: int for a reproducible result, or ``None``.
        periods: ``(lowest, highest)`` integer period.
        decays: ``(lowest, highest)`` decay per step.

    Returns:
        ``(X, y)``: ``X`` float32 ``(n, length, 1)`` and ``y`` float32 ``(n, n_out)``,
        all values in ``[0, 1]``.

    Examples:
        >>> X, y = damped_sine_sequences(2, seed=0)
        >>> X.shape, y.shape
        ((2, 50, 1), (2, 5))
    """
    n = _check_int(n, "n")
    length = _check_int(length, "length")
    n_out = _check_int(n_out, "n_out")
    _check_size(n * (length + n_out), n=n, length=length, n_out=n_out)
    periods = _checks.check_ints(periods, "periods", 2)
    if not periods[0] <= periods[1] < 2**62:
        raise _checks.bad("periods", periods, "(lowest, highest) with 1 <= lowest <= highest < 2**62")
    decays = _as_numbers(decays, "decays", ndims=(1,))
    if decays.shape != (2,) or not 0 <= decays[0] <= decays[1]:
        raise _checks.bad("decays", decays.tolist(), "(lowest, highest) with 0 <= lowest <= highest")
    rng = np.random.default_rng(_check_seed(seed))
    period = rng.integers(periods[0], periods[1] + 1, size=n)
    decay = rng.uniform(decays[0], decays[1], size=n)
    series = damped_sine(length + n_out, period, decay).astype(np.float32)
    return series[:, :length, None], series[:, length:]


# ---------------------------------------------------------------------------------------------
# Chapter 8: the moving line
# ---------------------------------------------------------------------------------------------


def moving_line_videos(n, size=50, seed=None):
    """Videos of a line drawn one column per frame, left to right or right to left.

    Each video has ``size`` frames of ``size x size`` pixels. Frame 0 marks one pixel in
    the first column (moving right) or the last column (moving left), at a random row.
    Each later frame keeps what was drawn and marks the next column, at a row that moves
    by at most one from the previous row, chosen uniformly among the rows in the frame
    (the book's ``randint(max(0, row - 1), min(size - 1, row + 1))``). The label is 1 for
    a line moving right and 0 for one moving left.

    The videos are ``bool``: 5,000 of the book's 50x50x50 videos take 625 MB this way
    against 5 GB as float64. To train on many, use ``MovingLineDataset``, which makes
    them batch by batch.

    Introduced in Chapter 8.

    Args:
        n: number of videos.
        size: frames per video and pixels per side (at least 2).
        seed: int for a reproducible result, or ``None``.

    Returns:
        ``(X, y)``: ``X`` bool ``(n, size, size, size, 1)`` =
        ``[videos, frames, rows, cols, channels]``, and ``y`` uint8 ``(n,)``, 1 = right.

    Examples:
        >>> X, y = moving_line_videos(4, size=10, seed=0)
        >>> X.shape, X.dtype, y.shape
        ((4, 10, 10, 10, 1), dtype('bool'), (4,))
        >>> X[:, -1].sum(axis=(1, 2, 3)).tolist()  # the last frame has one pixel per column
        [10, 10, 10, 10]
    """
    n = _check_int(n, "n")
    size = _check_int(size, "size", minimum=2)
    _check_size(n * size**3, n=n, size=size)
    rng = np.random.default_rng(_check_seed(seed))
    right = rng.random(n) < 0.5
    rows = np.empty((n, size), dtype=np.int64)
    rows[:, 0] = rng.integers(0, size, size=n)
    draws = rng.random((n, size))
    for step in range(1, size):  # the walk is sequential in time, vectorised over videos
        lower = np.maximum(rows[:, step - 1] - 1, 0)
        upper = np.minimum(rows[:, step - 1] + 1, size - 1)
        rows[:, step] = lower + (draws[:, step] * (upper - lower + 1)).astype(np.int64)
    steps = np.arange(size)
    cols = np.where(right[:, None], steps[None, :], size - 1 - steps[None, :])
    # drawn_at[v, r, c] = the frame at which pixel (r, c) is drawn (size = never).
    drawn_at = np.full((n, size, size), size, dtype=np.int16)
    drawn_at[np.arange(n)[:, None], rows, cols] = steps[None, :]
    X = drawn_at[:, None, :, :] <= steps[None, :, None, None]
    return X[..., None], right.astype(np.uint8)


def decode_directions(predictions, threshold=0.5):
    """Turn predicted probabilities of "right" into the words ``"right"`` and ``"left"``.

    Introduced in Chapter 8.

    Args:
        predictions: probabilities ``(n,)`` or ``(n, 1)`` (a sigmoid output), or 0/1 labels.
        threshold: probabilities above it read as right.

    Returns:
        str array ``(n,)``.

    Examples:
        >>> decode_directions([[0.9], [0.2]]).tolist()
        ['right', 'left']
    """
    array = _as_numbers(predictions, "predictions", ndims=(1, 2))
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise _checks.bad("predictions", array, "of shape (n,) or (n, 1)")
    if array.min() < 0 or array.max() > 1:
        raise ValueError(f"predictions must be probabilities in [0, 1] (a sigmoid output) or 0/1 labels. "
                         f"Received: predictions from {array.min():g} to {array.max():g}")
    threshold = _checks.check_number(threshold, "threshold", 0.0, 1.0)
    return np.where(array > threshold, "right", "left")


class MovingLineDataset(keras.utils.PyDataset):
    """Moving-line videos made batch by batch, for ``model.fit``, ``evaluate`` and ``predict``.

    Nothing is kept between batches: batch ``i`` is made on demand from ``(seed, i)`` by
    ``moving_line_videos`` (compact ``bool``) and handed to Keras as float32, so that
    memory holds one batch (32 videos of 50x50x50 are 16 MB as float32), not the whole
    data set. The same ``seed`` and index always give the same batch, so every epoch sees
    the same videos and a run is reproducible.

    Introduced in Chapter 8.

    Args:
        n: videos in the data set.
        batch_size: videos per batch (the last batch may be smaller).
        size: frames per video and pixels per side.
        seed: int for a reproducible data set, or ``None`` to draw one.
        **kwargs: passed to ``keras.utils.PyDataset`` (``workers``, ``use_multiprocessing``,
            ``max_queue_size``).

    Examples:
        >>> data = MovingLineDataset(100, batch_size=32, size=10, seed=0)
        >>> len(data), data[0][0].shape, data[3][0].shape
        (4, (32, 10, 10, 10, 1), (4, 10, 10, 10, 1))
    """

    def __init__(self, n, batch_size=32, size=50, seed=None, **kwargs):
        for key in ("workers", "max_queue_size"):
            if key in kwargs:
                _check_int(kwargs[key], key)
        if "use_multiprocessing" in kwargs:
            _checks.check_bool(kwargs["use_multiprocessing"], "use_multiprocessing")
        super().__init__(**kwargs)
        self.n = _check_int(n, "n")
        self.batch_size = _check_int(batch_size, "batch_size")
        self.size = _check_int(size, "size", minimum=2)
        seed = _check_seed(seed)
        self.seed = int(np.random.default_rng().integers(2**31)) if seed is None else seed

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def videos(self, index):
        """Batch ``index`` as made by ``moving_line_videos``: ``(X bool, y uint8)``."""
        if not _checks.is_int(index) or not 0 <= index < len(self):
            raise IndexError(f"index must be an int in [0, {len(self)}). Received: index={index!r}")
        count = min(self.batch_size, self.n - index * self.batch_size)
        # One independent stream per (seed, batch): batches never overlap and need no order.
        batch_seed = int(np.random.SeedSequence([self.seed, int(index)]).generate_state(1)[0])
        return moving_line_videos(count, size=self.size, seed=batch_seed)

    def __getitem__(self, index):
        X, y = self.videos(index)
        return X.astype(np.float32), y.astype(np.float32)

    def labels(self):
        """Every label in order, ``uint8 (n,)`` (it makes each batch once to read them)."""
        return np.concatenate([self.videos(i)[1] for i in range(len(self))])


# ---------------------------------------------------------------------------------------------
# Chapters 9-11: addition, cumulative sum and rectangles
# (added by the chapters 9-11 work; keep each generator self-contained below this line)
# ---------------------------------------------------------------------------------------------


#: The addition problem's alphabet (Chapter 9): the ten digits, the plus sign and the padding
#: space, in the book's order, so that one-hot column ``i`` stands for ``ADDITION_ALPHABET[i]``.
ADDITION_ALPHABET = "0123456789+ "


def addition_lengths(n_terms: int = 3, largest: int = 10) -> tuple[int, int]:
    """The padded lengths of an addition problem and of its answer, in characters.

    The input holds ``n_terms`` numbers of up to ``len(str(largest))`` digits and
    ``n_terms - 1`` plus signs; the answer is at most ``n_terms * largest``.

    Introduced in Chapter 9.

    Args:
        n_terms: how many numbers are added, >= 1.
        largest: the largest number drawn, >= 1.

    Returns:
        ``(input_length, output_length)``.

    Examples:
        >>> addition_lengths(3, 10)
        (8, 2)
        >>> addition_lengths(3, 100)
        (11, 3)
    """
    n_terms = _check_int(n_terms, "n_terms")
    largest = _check_int(largest, "largest")
    if n_terms * largest > np.iinfo(np.int64).max:  # the sums would wrap around in int64
        raise ValueError(f"n_terms * largest must fit in a 64-bit integer ({np.iinfo(np.int64).max}). "
                         f"Received: n_terms={n_terms}, largest={largest}")
    return n_terms * len(str(largest)) + n_terms - 1, len(str(n_terms * largest))


def _encode_strings(strings: np.ndarray, length: int) -> np.ndarray:
    """Right-justify strings to ``length`` and one-hot them over ``ADDITION_ALPHABET``."""
    padded = np.char.rjust(strings.astype(f"<U{length}"), length)
    codes = np.ascontiguousarray(padded).view(np.uint32).reshape(len(strings), length)
    lookup = np.full(128, -1, dtype=np.int64)
    lookup[[ord(c) for c in ADDITION_ALPHABET]] = np.arange(len(ADDITION_ALPHABET))
    # NumPy pads short fixed-width strings with NUL (code 0); rjust already filled them.
    return np.eye(len(ADDITION_ALPHABET), dtype=np.float32)[lookup[codes]]


def addition_sequences(n: int, n_terms: int = 3, largest: int = 10, seed=None):
    """The book's addition problem: ``'3+10+7'`` in, ``'20'`` out, one-hot per character.

    Draws ``n_terms`` integers uniformly from ``1 ... largest`` for each of ``n`` problems,
    writes each problem as ``'3+10+7'`` and its sum as ``'20'``, left-pads both with
    spaces to fixed widths (``addition_lengths``: 8 and 2 for the book's defaults)
    and one-hot encodes every character over the 12 symbols of ``ADDITION_ALPHABET``.

    Introduced in Chapter 9.

    Args:
        n: number of problems, >= 1.
        n_terms: numbers added in each problem, >= 1 (the book: 3).
        largest: the largest number drawn, >= 1 (the book: 10).
        seed: int for a reproducible result, or ``None``.

    Returns:
        ``(X, y)``: float32 one-hot arrays ``X (n, input_length, 12)`` and
        ``y (n, output_length, 12)``. ``decode_addition`` turns either back into
        strings.

    Examples:
        >>> X, y = addition_sequences(2, seed=1)
        >>> X.shape, y.shape
        ((2, 8, 12), (2, 2, 12))
        >>> [eval(q) == int(a) for q, a in zip(decode_addition(X), decode_addition(y))]
        [True, True]
    """
    n = _check_int(n, "n")
    in_length, out_length = addition_lengths(n_terms, largest)
    _check_size(n * (in_length + out_length) * len(ADDITION_ALPHABET), n=n, n_terms=n_terms, largest=largest)
    rng = np.random.default_rng(_check_seed(seed))
    terms = rng.integers(1, largest, size=(n, n_terms), endpoint=True)
    problems = terms[:, 0].astype(str)
    for column in range(1, n_terms):  # a loop over the few terms, not over the samples
        problems = np.char.add(np.char.add(problems, "+"), terms[:, column].astype(str))
    answers = terms.sum(axis=1).astype(str)
    return _encode_strings(problems, in_length), _encode_strings(answers, out_length)


def decode_addition(encoded, strip: bool = True):
    """Turn one-hot characters (or a model's softmax output) back into strings.

    Each step's argmax picks a character of ``ADDITION_ALPHABET``.

    Introduced in Chapter 9.

    Args:
        encoded: ``(samples, length, 12)`` one-hot rows or probabilities (``X`` or ``y``
            from ``addition_sequences``, or ``model.predict``'s output), or
            ``(length, 12)`` for one sequence.
        strip: drop the padding spaces (the book's ``invert`` keeps them).

    Returns:
        A NumPy array of ``samples`` strings, or one ``str`` for a 2-D input.

    Examples:
        >>> X, y = addition_sequences(1, seed=0)
        >>> decode_addition(y[0]) == str(eval(decode_addition(X[0])))
        True
    """
    _checks.check_bool(strip, "strip")
    array = _as_numbers(encoded, "encoded", ndims=(2, 3), allow_bool=True, keep_dtype=True)
    if array.shape[-1] != len(ADDITION_ALPHABET):
        raise _checks.bad("encoded", array, f"of shape (samples, length, {len(ADDITION_ALPHABET)}) or "
                                            f"(length, {len(ADDITION_ALPHABET)})")
    _check_rows_set(array, "encoded")
    single = array.ndim == 2
    indices = np.argmax(array.reshape((1,) + array.shape) if single else array, axis=-1)
    length = indices.shape[1]
    chars = np.array(list(ADDITION_ALPHABET), dtype="<U1")[indices]
    strings = np.ascontiguousarray(chars).view(f"<U{length}").reshape(len(indices))
    if strip:
        strings = np.char.strip(strings)
    return str(strings[0]) if single else strings


def cumulative_sum_sequences(n: int, n_timesteps: int = 10, seed=None):
    """The book's cumulative-sum problem: per step, has the running sum passed a limit yet?

    Each of ``n`` sequences holds ``n_timesteps`` values drawn uniformly from ``[0, 1)``.
    The label at step ``t`` is 1 once ``x[0] + ... + x[t] > n_timesteps / 4`` (2.5 for the
    book's 10 steps) and 0 before, so the labels of a sequence are zeros then ones.

    Introduced in Chapter 10.

    Args:
        n: number of sequences, >= 1.
        n_timesteps: values per sequence, >= 1 (the book: 10).
        seed: int for a reproducible result, or ``None``.

    Returns:
        ``(X, y)``: float32 arrays ``X (n, n_timesteps, 1)`` and labels
        ``y (n, n_timesteps, 1)`` of 0.0 and 1.0.

    Examples:
        >>> X, y = cumulative_sum_sequences(3, seed=0)
        >>> X.shape, y.shape
        ((3, 10, 1), (3, 10, 1))
        >>> bool(((X.cumsum(axis=1) > 2.5) == (y == 1)).all())
        True
    """
    n = _check_int(n, "n")
    n_timesteps = _check_int(n_timesteps, "n_timesteps")
    _check_size(2 * n * n_timesteps, n=n, n_timesteps=n_timesteps)
    rng = np.random.default_rng(_check_seed(seed))
    values = rng.random((n, n_timesteps)).astype(np.float32)
    # The float32 running sum is what the model sees, so the labels come from it.
    labels = np.cumsum(values, axis=1, dtype=np.float32) > n_timesteps / 4.0
    return values[..., None], labels.astype(np.float32)[..., None]


def rectangle_sequences(n: int, seed=None):
    """The book's rectangles as (previous corner -> next corner) pairs.

    Each of ``n`` rectangles has width ``w`` and height ``h`` drawn uniformly from
    ``[0, 1)`` and is drawn from ``[0, 0]`` through ``[w, 0]`` and ``[w, h]`` to
    ``[0, h]``. Each rectangle gives three consecutive samples: ``[0, 0] -> [w, 0]``,
    ``[w, 0] -> [w, h]`` and ``[w, h] -> [0, h]``.

    Introduced in Chapter 11.

    Args:
        n: number of rectangles, >= 1.
        seed: int for a reproducible result, or ``None``.

    Returns:
        ``(X, y)``: float32 arrays ``X (3 * n, 1, 2)`` (one timestep of ``[x, y]``) and
        ``y (3 * n, 2)``; rows ``3 i``, ``3 i + 1`` and ``3 i + 2`` belong to rectangle ``i``.

    Examples:
        >>> X, y = rectangle_sequences(2, seed=0)
        >>> X.shape, y.shape
        ((6, 1, 2), (6, 2))
        >>> X[0, 0].tolist(), bool((X[1:3, 0] == y[0:2]).all())
        ([0.0, 0.0], True)
    """
    n = _check_int(n, "n")
    _check_size(8 * n, n=n)
    rng = np.random.default_rng(_check_seed(seed))
    width, height = rng.random((2, n)).astype(np.float32)
    zero = np.zeros(n, dtype=np.float32)
    corners = np.stack([np.stack([zero, zero], axis=1), np.stack([width, zero], axis=1),
                        np.stack([width, height], axis=1), np.stack([zero, height], axis=1)],
                       axis=1)  # (n, 4, 2)
    return corners[:, :3].reshape(3 * n, 1, 2), corners[:, 1:].reshape(3 * n, 2)


def rectangle_shape_error(corners):
    """How far generated corners are from an axis-aligned rectangle anchored at ``[0, 0]``.

    For a shape drawn from ``p0 = [0, 0]`` through ``p1``, ``p2`` and ``p3`` (what
    ``rectangle_sequences`` teaches), a rectangle needs ``p1.y = 0``, ``p2.x = p1.x``,
    ``p3.y = p2.y`` and ``p3.x = 0``. The error of a shape is the largest of
    ``|p1.y|``, ``|p2.x - p1.x|``, ``|p3.y - p2.y|`` and ``|p3.x|``: zero for a perfect
    rectangle, and in the same units as the corners.

    Introduced in Chapter 11.

    Args:
        corners: ``(shapes, 3, 2)`` the generated ``p1, p2, p3`` as ``[x, y]``, or
            ``(3, 2)`` for one shape.

    Returns:
        A float64 array ``(shapes,)`` of errors, or one ``float`` for a 2-D input.

    Examples:
        >>> rectangle_shape_error([[0.5, 0.0], [0.5, 0.3], [0.0, 0.3]])
        0.0
        >>> round(rectangle_shape_error([[0.5, 0.02], [0.45, 0.3], [0.01, 0.3]]), 6)
        0.05
    """
    array = _as_numbers(corners, "corners", ndims=(2, 3))
    if array.shape[-2:] != (3, 2):
        raise _checks.bad("corners", array, "of shape (shapes, 3, 2) or (3, 2)")
    single = array.ndim == 2
    p = array[None] if single else array
    with np.errstate(over="ignore", invalid="ignore"):
        deviations = np.stack([p[:, 0, 1], p[:, 1, 0] - p[:, 0, 0], p[:, 2, 1] - p[:, 1, 1], p[:, 2, 0]],
                              axis=1)
    errors = _check_finite_result(np.abs(deviations).max(axis=1), "corners", "compare")
    return float(errors[0]) if single else errors
