"""Comparison 3: lstmbook's vectorised generators vs per-sample Python loops that build the same arrays.

The book makes its data one sample at a time: a Python loop over samples, and inside
it lists of lists (one-hot vectors, sine values, video frames). ``lstmbook.problems``
makes all samples at once with array operations. For each generator this module has a
per-sample loop written the book's way that builds **the same arrays**: it takes the same
random draws from the same ``np.random.default_rng(seed)`` (drawing them is a few bulk
NumPy calls and is timed in both), then builds each sample in Python as the book does.
Both outputs are compared before any timing is reported.

A generator in ``lstmbook.problems`` with no loop here is listed in the report as
"no per-sample reference yet", so nothing is dropped silently.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.common import Spread, paired_ratios, timed

# ---------------------------------------------------------------------------------------------
# The per-sample loops, the book's way
# ---------------------------------------------------------------------------------------------


def book_one_hot(sequence, n_features: int) -> np.ndarray:
    """The book's ``one_hot_encode``: one list of zeros per value, with a 1 at the value."""
    encoding = []
    for value in sequence:
        vector = [0 for _ in range(n_features)]
        vector[value] = 1
        encoding.append(vector)
    return np.array(encoding)


def echo_loop(n, length=5, n_features=10, out_index=2, seed=None):
    """Chapter 6's echo data, one sequence at a time (the book's ``generate_example``)."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, n_features, size=(n, length))  # the draws echo_sequences makes
    X, y = [], []
    for sequence in values.tolist():
        encoded = book_one_hot(sequence, n_features)
        X.append(encoded.reshape((length, n_features)))
        y.append(encoded[out_index])
    return np.array(X, dtype=np.float32), np.array(y, dtype=np.float32)


def damped_sine_loop(n, length=50, n_out=5, seed=None, periods=(10, 20), decays=(0.01, 0.1)):
    """Chapter 7's damped sine waves, one series at a time (the book's ``generate_sequence``)."""
    rng = np.random.default_rng(seed)
    period = rng.integers(periods[0], periods[1] + 1, size=n)  # the draws damped_sine_sequences makes
    decay = rng.uniform(decays[0], decays[1], size=n)
    X, y = [], []
    for p, d in zip(period.tolist(), decay.tolist(), strict=True):
        series = [0.5 + 0.5 * math.sin(2.0 * math.pi * i / p) * math.exp(-d * i)
                  for i in range(length + n_out)]
        X.append(series[:length])
        y.append(series[length:])
    return np.array(X, dtype=np.float32).reshape((n, length, 1)), np.array(y, dtype=np.float32)


def moving_line_loop(n, size=50, seed=None):
    """Chapter 8's moving-line videos, frame by frame (the book's ``build_frames``)."""
    rng = np.random.default_rng(seed)
    right = rng.random(n) < 0.5  # the draws moving_line_videos makes, in its order
    first_rows = rng.integers(0, size, size=n)
    draws = rng.random((n, size))
    videos = []
    for video in range(n):
        frames = []
        frame = np.zeros((size, size), dtype=bool)
        row = int(first_rows[video])
        frame[row, 0 if right[video] else size - 1] = True
        frames.append(frame)
        for i in range(1, size):
            column = i if right[video] else size - 1 - i
            lower, upper = max(0, row - 1), min(size - 1, row + 1)
            row = lower + int(draws[video, i] * (upper - lower + 1))
            frame = frame.copy()
            frame[row, column] = True
            frames.append(frame)
        videos.append(frames)
    return np.array(videos, dtype=bool)[..., None], right.astype(np.uint8)


def addition_loop(n, n_terms=3, largest=10, seed=None):
    """Chapter 9's addition problems, one at a time (the book's ``random_sum_pairs``,
    ``to_string``, ``integer_encode`` and ``one_hot_encode``)."""
    rng = np.random.default_rng(seed)
    terms = rng.integers(1, largest + 1, size=(n, n_terms))  # the draws addition_sequences makes
    alphabet = "0123456789+ "
    char_to_int = {char: i for i, char in enumerate(alphabet)}
    in_length = n_terms * math.ceil(math.log10(largest + 1)) + n_terms - 1
    out_length = math.ceil(math.log10(n_terms * (largest + 1)))
    X, y = [], []
    for pattern in terms.tolist():
        question = "+".join(str(number) for number in pattern)
        answer = str(sum(pattern))
        question = " " * (in_length - len(question)) + question
        answer = " " * (out_length - len(answer)) + answer
        for text, out in ((question, X), (answer, y)):
            encoded = []
            for char in text:
                vector = [0 for _ in range(len(alphabet))]
                vector[char_to_int[char]] = 1
                encoded.append(vector)
            out.append(encoded)
    return np.array(X, dtype=np.float32), np.array(y, dtype=np.float32)


def cumulative_sum_loop(n, n_timesteps=10, seed=None):
    """Chapter 10's cumulative-sum sequences, one at a time (the book's ``get_sequence``).

    The book labels a step 1 when the running sum is ``>=`` the limit; lstmbook uses ``>``
    (equal only with probability zero), and so does this loop, to build the same arrays.
    """
    rng = np.random.default_rng(seed)
    values = rng.random((n, n_timesteps)).astype(np.float32)  # the draws cumulative_sum_sequences makes
    limit = n_timesteps / 4.0
    X, y = [], []
    for row in values:
        X.append([[value] for value in row])
        y.append([[0 if total <= limit else 1] for total in np.cumsum(row, dtype=np.float32)])
    return np.array(X, dtype=np.float32), np.array(y, dtype=np.float32)


def first_sign_loop(n, timesteps=30, noise=1.0, signal=(0.5, 1.5), seed=None):
    """Chapter 1's first-sign task, one sequence at a time (the chapter's own, not a book listing).

    The random draws are the ones ``first_sign_sequences`` makes, so that both build the same arrays.
    """
    rng = np.random.default_rng(seed)
    noise_draws = rng.normal(0.0, noise, size=(n, timesteps, 1))
    signs = rng.choice([-1.0, 1.0], size=n)
    firsts = rng.uniform(*signal, size=n)
    X, y = [], []
    for steps, sign, first in zip(noise_draws, signs, firsts, strict=True):
        sequence = [[float(value)] for value in steps[:, 0]]
        sequence[0] = [sign * first]
        X.append(sequence)
        y.append(1.0 if sign > 0 else 0.0)
    return np.array(X, dtype=np.float32), np.array(y, dtype=np.float32)


def adding_loop(n, timesteps=50, seed=None):
    """Chapter 2's adding problem (Hochreiter & Schmidhuber, 1997), one sequence at a time."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(size=(n, timesteps))
    firsts = rng.integers(0, timesteps // 2, size=n)
    seconds = rng.integers(timesteps // 2, max(3 * timesteps // 4, timesteps // 2 + 1), size=n)
    X, y = [], []
    for row, first, second in zip(values, firsts, seconds, strict=True):
        X.append([[value, 1.0 if step in (first, second) else 0.0] for step, value in enumerate(row)])
        y.append(row[first] + row[second])
    return np.array(X, dtype=np.float32), np.array(y, dtype=np.float32)


def rectangle_loop(n, seed=None):
    """Chapter 11's rectangles, one at a time (the book's ``get_samples``), corner by corner."""
    rng = np.random.default_rng(seed)
    width, height = rng.random((2, n)).astype(np.float32)  # the draws rectangle_sequences makes
    X, y = [], []
    for w, h in zip(width.tolist(), height.tolist(), strict=True):
        rect = [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]]
        for i in range(1, len(rect)):
            X.append([rect[i - 1]])
            y.append(rect[i])
    return np.array(X, dtype=np.float32), np.array(y, dtype=np.float32)


@dataclass(frozen=True)
class Case:
    """One generator and its per-sample loop, with the sample counts to time."""

    name: str
    loop: Callable
    n_full: int
    n_quick: int
    kwargs: dict


#: lstmbook.problems generator name -> its per-sample loop.
CASES = {
    "first_sign_sequences": Case("first_sign_sequences", first_sign_loop, 20_000, 500, {}),
    "adding_problem": Case("adding_problem", adding_loop, 20_000, 500, {}),
    "echo_sequences": Case("echo_sequences", echo_loop, 100_000, 2_000, {}),
    "damped_sine_sequences": Case("damped_sine_sequences", damped_sine_loop, 20_000, 500, {}),
    "moving_line_videos": Case("moving_line_videos", moving_line_loop, 200, 10, {}),
    "addition_sequences": Case("addition_sequences", addition_loop, 20_000, 500, {}),
    "cumulative_sum_sequences": Case("cumulative_sum_sequences", cumulative_sum_loop, 100_000, 2_000, {}),
    "rectangle_sequences": Case("rectangle_sequences", rectangle_loop, 100_000, 2_000, {}),
}


# ---------------------------------------------------------------------------------------------
# Comparing them
# ---------------------------------------------------------------------------------------------


def generator_names(problems) -> list:
    """The data generators ``lstmbook.problems`` exports: public functions whose first argument is ``n``."""
    names = []
    for name in getattr(problems, "__all__", dir(problems)):
        obj = getattr(problems, name, None)
        if not inspect.isfunction(obj) or name.startswith(("_", "decode")):
            continue
        params = list(inspect.signature(obj).parameters)
        if params and params[0] == "n":
            names.append(name)
    return names


def compare_arrays(ours, loop) -> dict:
    """Whether two ``(X, y)`` pairs are equal: exactly, or else by how much floats differ."""
    equal, max_diff = True, 0.0
    for a, b in zip(ours, loop, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return {"equal": False, "exact": False, "max_abs_diff": None,
                    "detail": f"shapes {a.shape} vs {b.shape}"}
        if not np.array_equal(a, b):
            equal = False
            if np.issubdtype(a.dtype, np.floating) or np.issubdtype(b.dtype, np.floating):
                max_diff = max(max_diff, float(np.max(np.abs(a.astype(float) - b.astype(float)))))
            else:
                max_diff = float("inf")
    # float32 data built with math.sin (the loop) vs np.sin (vectorised) may differ by one
    # rounding step; that is still "the same arrays" for training, and the report says so.
    close = equal or max_diff <= 1e-6
    return {"equal": close, "exact": equal, "max_abs_diff": 0.0 if equal else max_diff, "detail": ""}


def check_case(problems, case: Case, n: int = 50, seed: int = 7) -> dict:
    """Run both versions once on a few samples and compare them (before any timing)."""
    vectorised = getattr(problems, case.name)
    return compare_arrays(vectorised(n, seed=seed, **case.kwargs), case.loop(n, seed=seed, **case.kwargs))


def time_case(problems, case: Case, n: int, repeats: int, seed: int = 0, tick=None) -> dict:
    """Samples per second of both versions, interleaved within each repeat."""
    vectorised = getattr(problems, case.name)
    check = check_case(problems, case)
    fast, slow, samples = [], [], n
    for repeat in range(repeats):
        order = [("vectorised", vectorised), ("loop", case.loop)]
        if repeat % 2:
            order.reverse()  # alternate who goes first
        for label, function in order:
            (X, _), seconds = timed(function, n, seed=seed + repeat, **case.kwargs)
            # A sample is a row of X (rectangle_sequences makes three per rectangle).
            (fast if label == "vectorised" else slow).append(X.shape[0] / seconds)
            samples = X.shape[0]
        if tick:
            tick()
    return {
        "generator": case.name,
        "n": n,
        "samples": samples,
        "check": check,
        "vectorised_sps": Spread.of(fast).as_dict(),
        "loop_sps": Spread.of(slow).as_dict(),
        "speedup": paired_ratios(fast, slow).as_dict(),
    }
