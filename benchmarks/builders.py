"""Comparison 4: the lstmbook builders against the same models written in plain Keras.

Each case builds one architecture twice, with ``lstmbook.models`` and with plain Keras
layers written out by hand, checks that they are the same model (the same number of
weights and, after copying the weights across, the same predictions), then times
``compile`` + ``fit`` of each on the same data, interleaved within each repeat. A
builder adds nothing at training time, so the ratio lstmbook / plain should be about 1.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.common import Spread, paired_ratios, timed


def _plain_vanilla():
    import keras

    inputs = keras.Input(shape=(5, 10))
    x = keras.layers.LSTM(25)(inputs)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def _plain_stacked():
    import keras

    inputs = keras.Input(shape=(50, 1))
    x = keras.layers.LSTM(20, return_sequences=True)(inputs)
    x = keras.layers.LSTM(20)(x)
    return keras.Model(inputs, keras.layers.Dense(5)(x))


def _plain_cnn_lstm():
    import keras

    inputs = keras.Input(shape=(None, 50, 50, 1))
    x = keras.layers.TimeDistributed(keras.layers.Conv2D(2, (2, 2), activation="relu"))(inputs)
    x = keras.layers.TimeDistributed(keras.layers.MaxPooling2D((2, 2)))(x)
    x = keras.layers.TimeDistributed(keras.layers.Flatten())(x)
    x = keras.layers.LSTM(50)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def _plain_encoder_decoder():
    import keras

    inputs = keras.Input(shape=(8, 12))
    x = keras.layers.LSTM(75)(inputs)
    x = keras.layers.RepeatVector(2)(x)
    x = keras.layers.LSTM(50, return_sequences=True)(x)
    return keras.Model(inputs, keras.layers.TimeDistributed(keras.layers.Dense(12, activation="softmax"))(x))


def _plain_bidirectional():
    import keras

    inputs = keras.Input(shape=(10, 1))
    x = keras.layers.Bidirectional(keras.layers.LSTM(50, return_sequences=True), merge_mode="concat")(inputs)
    return keras.Model(inputs, keras.layers.TimeDistributed(keras.layers.Dense(1, activation="sigmoid"))(x))


def _plain_generative():
    import keras

    inputs = keras.Input(shape=(1, 2))
    x = keras.layers.LSTM(10)(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, activation="linear")(x))


@dataclass(frozen=True)
class Case:
    """One architecture: the builder's call, the plain model, and the data to fit."""

    name: str
    builder: str
    kwargs: dict
    plain: Callable
    x_shape: tuple       # one sample
    y_shape: tuple       # one sample's target
    one_hot: bool        # softmax targets
    loss: str
    n_full: int
    n_quick: int
    epochs: int = 3
    batch_size: int = 32


#: The book's six architectures, at the book's sizes.
CASES = (
    Case("vanilla (ch06)", "build_vanilla_lstm", {"input_shape": (5, 10), "output_units": 10},
         _plain_vanilla, (5, 10), (10,), True, "categorical_crossentropy", 3000, 64),
    Case("stacked (ch07)", "build_stacked_lstm", {"input_shape": (50, 1), "output_units": 5},
         _plain_stacked, (50, 1), (5,), False, "mae", 1000, 32),
    Case("CNN LSTM (ch08)", "build_cnn_lstm", {"frame_shape": (50, 50, 1)},
         _plain_cnn_lstm, (50, 50, 50, 1), (1,), False, "binary_crossentropy", 64, 4, 1, 16),
    Case("encoder-decoder (ch09)", "build_encoder_decoder_lstm",
         {"input_shape": (8, 12), "output_timesteps": 2, "output_units": 12},
         _plain_encoder_decoder, (8, 12), (2, 12), True, "categorical_crossentropy", 3000, 64),
    Case("bidirectional (ch10)", "build_bidirectional_lstm", {"input_shape": (10, 1)},
         _plain_bidirectional, (10, 1), (10, 1), False, "binary_crossentropy", 2000, 64),
    Case("generative (ch11)", "build_generative_lstm", {},
         _plain_generative, (1, 2), (2,), False, "mae", 3000, 64),
)


def make_data(case: Case, n: int, seed: int = 0):
    """Random inputs and targets of the case's shapes (float32)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, *case.x_shape), dtype=np.float32)
    if case.one_hot:
        classes = case.y_shape[-1]
        y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, size=(n, *case.y_shape[:-1]))]
    else:
        y = rng.random((n, *case.y_shape), dtype=np.float32)
    return X, y


def same_model(case: Case, X) -> dict:
    """Check the plain model is the builder's model: weight count and copied-weight predictions."""
    import keras

    from lstmbook import models

    ours = getattr(models, case.builder)(**case.kwargs)
    plain = case.plain()
    same_count = ours.count_params() == plain.count_params()
    diff = None
    if same_count:
        plain.set_weights(ours.get_weights())
        diff = float(np.max(np.abs(ours.predict(X, verbose=0) - plain.predict(X, verbose=0))))
    # Layers the builder uses that plain Keras does not (e.g. a faster TimeDistributed).
    own_layers = sorted({type(layer).__name__ for layer in ours.layers}
                        - {type(layer).__name__ for layer in plain.layers})
    keras.backend.clear_session()
    return {"params": ours.count_params(), "plain_params": plain.count_params(),
            "same_params": same_count, "max_abs_diff": diff, "own_layers": own_layers,
            "same": bool(same_count and diff is not None and diff <= 1e-5)}


def _fit_seconds(make_model, case: Case, X, y, epochs: int, seed: int) -> float:
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)

    def build_and_fit():
        model = make_model()
        model.compile(optimizer="adam", loss=case.loss)
        model.fit(X, y, epochs=epochs, batch_size=case.batch_size, verbose=0, shuffle=False)

    return timed(build_and_fit)[1]


def time_case(case: Case, n: int, epochs: int, repeats: int, tick=None) -> dict:
    """Fit time of the builder's model and of the plain one, interleaved within each repeat."""
    from lstmbook import models

    X, y = make_data(case, n)
    check = same_model(case, X[: min(8, n)])

    def ours():
        return getattr(models, case.builder)(**case.kwargs)

    lstmbook_s, plain_s = [], []
    for repeat in range(repeats):
        order = [("lstmbook", ours), ("plain", case.plain)]
        if repeat % 2:
            order.reverse()
        for label, make in order:
            seconds = _fit_seconds(make, case, X, y, epochs, seed=repeat)
            (lstmbook_s if label == "lstmbook" else plain_s).append(seconds)
        if tick:
            tick()
    return {"model": case.name, "builder": case.builder, "n": n, "epochs": epochs,
            "batch_size": case.batch_size, "check": check,
            "lstmbook_s": Spread.of(lstmbook_s).as_dict(), "plain_s": Spread.of(plain_s).as_dict(),
            "ratio": paired_ratios(lstmbook_s, plain_s).as_dict()}
