"""The book's own training loops, as it wrote them: one ``fit`` call per sample.

Chapter 6 of the book trains its echo model with ``model.fit(X, y, epochs=1)`` on one
freshly generated sequence, 10,000 times, then evaluates it with 100 one-sample
``predict`` calls. Chapter 11 trains its rectangle generator with 25,000 calls of
``fit`` on one rectangle (three input/output pairs) each, then generates a rectangle by
feeding three ``predict`` calls back into the model. This module reproduces those loops
in Keras 3 (the model is written with ``keras.Input``; the loop, its per-sample Python
data generation and its ``fit``/``predict`` calls are the book's) and times them.

Timing all 10,000 or 25,000 calls is what the companion sets out to avoid, so by default
a sample of the calls is timed and the whole loop extrapolated:

    book time ~= first fit + mean(sampled fits) * (fits - 1)
                 + first predict + mean(sampled predicts) * (predicts - 1)

The first call of each kind is timed on its own because it builds and compiles the
training (or prediction) function; every later call reuses it, so its cost per call is
flat. The loop uses ``verbose=0``; the book prints a line per ``fit`` (``verbose=2``),
which would only make it slower, so the extrapolation flatters the book.
Passing ``--calls`` at least the book's count runs the whole loop instead, with no
extrapolation, and then also measures the accuracy the book's evaluation reports.

Run: ``python -m benchmarks.book_loops --chapter 6 --calls 200 --out result.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: The book's loops: fits, predictions in its evaluation, and its model's settings.
BOOK = {
    6: {"fits": 10_000, "predicts": 100, "length": 5, "n_features": 10, "out_index": 2, "units": 25},
    11: {"fits": 25_000, "predicts": 3, "units": 10},
}


# -- Chapter 6: the echo problem, the book's generator and model -------------------------------


def echo_example(rng: random.Random, length: int, n_features: int, out_index: int):
    """The book's ``generate_example``: one sequence, one-hot encoded list by list."""
    from benchmarks.generators import book_one_hot

    sequence = [rng.randint(0, n_features - 1) for _ in range(length)]
    encoded = book_one_hot(sequence, n_features)
    X = encoded.reshape((1, length, n_features))
    y = encoded[out_index].reshape(1, n_features)
    return X, y


def echo_model(settings: dict):
    import keras

    inputs = keras.Input(shape=(settings["length"], settings["n_features"]), name="inputs")
    x = keras.layers.LSTM(settings["units"], name="lstm")(inputs)
    outputs = keras.layers.Dense(settings["n_features"], activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs, name="book_ch06")
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# -- Chapter 11: rectangles, the book's generator and model -------------------------------------


def rectangle_samples(rng: random.Random):
    """The book's ``get_samples``: one random rectangle as three (corner -> next corner) pairs."""
    import numpy as np

    width, height = rng.random(), rng.random()
    rect = [[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]]
    X, y = [], []
    for i in range(1, len(rect)):
        X.append(rect[i - 1])
        y.append(rect[i])
    X, y = np.array(X), np.array(y)
    return X.reshape((X.shape[0], 1, 2)), y


def rectangle_model(settings: dict):
    import keras

    inputs = keras.Input(shape=(1, 2), name="inputs")
    x = keras.layers.LSTM(settings["units"], name="lstm")(inputs)
    outputs = keras.layers.Dense(2, activation="linear", name="output")(x)
    model = keras.Model(inputs, outputs, name="book_ch11")
    model.compile(loss="mae", optimizer="adam")
    return model


# -- The loops ---------------------------------------------------------------------------------


def run_book_loop(chapter: int, calls: int, eval_calls: int, seed: int = 0, progress=None) -> dict:
    """Time the book's per-sample loop for ``chapter`` (6 or 11) on a sample of its calls.

    Args:
        chapter: 6 or 11.
        calls: fits to time after the first (compiling) one. At least the book's count
            minus one runs the whole loop, and then the book's accuracy is measured too.
        eval_calls: one-sample predictions to time after the first one.
        seed: seeds the per-sample Python generator and Keras.
        progress: an optional callable ``progress(done, total)`` called as fits finish.

    Returns:
        A dict of the per-call times, the extrapolation and (for a whole loop) the accuracy.
    """
    import keras
    import numpy as np

    if chapter not in BOOK:
        raise ValueError(f"chapter must be one of {sorted(BOOK)}. Received: chapter={chapter!r}")
    for name, value in (("calls", calls), ("eval_calls", eval_calls)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int. Received: {name}={value!r}")
    settings = BOOK[chapter]
    rng = random.Random(seed)
    keras.utils.set_random_seed(seed)
    if chapter == 6:
        model = echo_model(settings)

        def sample():
            return echo_example(rng, settings["length"], settings["n_features"], settings["out_index"])
    else:
        model = rectangle_model(settings)

        def sample():
            return rectangle_samples(rng)

    whole = calls >= settings["fits"] - 1
    calls = min(calls, settings["fits"] - 1)

    def one_fit():
        X, y = sample()
        model.fit(X, y, epochs=1, verbose=0, shuffle=False)

    start = time.perf_counter()
    one_fit()
    first_fit = time.perf_counter() - start
    fit_times = []
    for i in range(calls):
        start = time.perf_counter()
        one_fit()
        fit_times.append(time.perf_counter() - start)
        if progress is not None and (i + 1) % 50 == 0:
            progress(i + 1, calls)

    # The book's evaluation: one predict per sample (ch06), or outputs fed back (ch11).
    correct, predict_times = 0, []
    eval_calls = min(eval_calls, settings["predicts"] - 1)
    if chapter == 6:
        for _ in range(1 + (settings["predicts"] - 1 if whole else eval_calls)):
            X, y = sample()
            start = time.perf_counter()
            yhat = model.predict(X, verbose=0)
            elapsed = time.perf_counter() - start
            correct += int(np.argmax(yhat) == np.argmax(y))
            predict_times.append(elapsed)
    else:
        for i in range(1 + (settings["predicts"] - 1 if whole else eval_calls)):
            X = np.array([0.0, 0.0]).reshape((1, 1, 2)) if i == 0 else yhat.reshape((1, 1, 2))
            start = time.perf_counter()
            yhat = model.predict(X, verbose=0)
            predict_times.append(time.perf_counter() - start)
    first_predict, predict_times = predict_times[0], predict_times[1:]

    mean_fit = float(np.mean(fit_times))
    mean_predict = float(np.mean(predict_times)) if predict_times else first_predict
    extrapolated = (first_fit + mean_fit * (settings["fits"] - 1)
                    + first_predict + mean_predict * (settings["predicts"] - 1))
    result = {
        "chapter": chapter,
        "backend": keras.backend.backend(),
        "book_fits": settings["fits"],
        "book_predicts": settings["predicts"],
        "timed_fits": 1 + calls,
        "timed_predicts": 1 + len(predict_times),
        "whole_loop": whole,
        "first_fit_s": first_fit,
        "fit_s": fit_times,
        "mean_fit_s": mean_fit,
        "median_fit_s": float(np.median(fit_times)),
        "first_predict_s": first_predict,
        "mean_predict_s": mean_predict,
        "book_seconds": (first_fit + float(np.sum(fit_times)) + first_predict
                         + float(np.sum(predict_times))) if whole else extrapolated,
        "extrapolated": not whole,
        "accuracy": correct / settings["predicts"] if whole and chapter == 6 else None,
    }
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.book_loops",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--chapter", type=int, choices=sorted(BOOK), required=True)
    parser.add_argument("--calls", type=int, default=200, help="fits timed after the first (default 200)")
    parser.add_argument("--eval-calls", type=int, default=20, help="predictions timed after the first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="where the JSON result goes")
    args = parser.parse_args(argv)
    result = run_book_loop(args.chapter, args.calls, args.eval_calls, args.seed)
    Path(args.out).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
