"""Forecasting past the data: a window model run recursively, and a plot of the forecast.

A model trained on windows of a series, ``(n_in, features) -> (features,)`` as
``prep.split_sequence`` frames them, forecasts one step. ``recursive_forecast`` runs it
for many: each forecast joins the window, the oldest step leaves it, and the model reads
the window again (closed loop). ``plot_forecast`` draws the history, the forecast and,
when known, what actually came.

Examples:
    >>> import keras
    >>> inputs = keras.Input(shape=(3, 1))
    >>> last_plus_one = keras.Model(inputs, inputs[:, -1, :] + 1.0)  # a stand-in for a trained model
    >>> recursive_forecast(last_plus_one, [1.0, 2.0, 3.0], n_steps=4).tolist()
    [4.0, 5.0, 6.0, 7.0]
"""

from __future__ import annotations

import numpy as np

from lstmbook import _checks, training

__all__ = ["recursive_forecast", "plot_forecast", "MAX_STEPS"]

#: The most steps ``recursive_forecast`` takes: one model call a step (a typo's 10**9 would
#: run for days); the same limit as ``training.generate_closed_loop``'s.
MAX_STEPS = training.MAX_CLOSED_LOOP_STEPS


def recursive_forecast(model, history, n_steps: int) -> np.ndarray:
    """Forecast ``n_steps`` past ``history`` by feeding each forecast back into the window.

    Args:
        model: a trained Keras model from windows ``(batch, n_in, features)`` to the next step,
            ``(batch, features)`` (a univariate model may take ``(batch, n_in)`` or
            ``(batch, n_in, 1)`` and give ``(batch, 1)``).
        history: the last ``n_in`` steps (or more: the last ``n_in`` are used) of one series,
            ``(steps,)`` or ``(steps, features)``, or of several, ``(series, steps, features)``,
            in the model's units (scaled as it was trained).
        n_steps: how many steps to forecast, at most ``MAX_STEPS``.

    Returns:
        The forecasts, one model call a step for every series at once: ``(n_steps,)`` for a
        1-D history, ``(n_steps, features)`` for a 2-D one, ``(series, n_steps, features)``
        for a 3-D one.
    """
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1:
        raise _checks.bad("model", model, "a Keras model with one input, (batch, n_in, features)", TypeError)
    shape = tuple(inputs[0].shape)
    if len(shape) not in (2, 3) or shape[1] is None:
        raise ValueError(f"model must read windows of a fixed length, (batch, n_in, features). Received: "
                         f"model {model.name!r} with input shape {shape}")
    n_in = shape[1]
    n_steps = _checks.check_int(n_steps, "n_steps", maximum=MAX_STEPS)
    array = _checks.as_numbers(history, "history", ndims=(1, 2, 3))
    window = array.reshape(1, -1, 1) if array.ndim == 1 else array[None] if array.ndim == 2 else array
    features = window.shape[2]
    if len(shape) == 3 and shape[2] is not None and shape[2] != features:
        raise ValueError(f"history must have the model's {shape[2]} feature(s) per step. Received: history "
                         f"with shape {array.shape}")
    if len(shape) == 2 and features != 1:
        raise ValueError(f"history must be univariate for model {model.name!r}, which reads (batch, n_in). "
                         f"Received: history with shape {array.shape}")
    if window.shape[1] < n_in:
        raise ValueError(f"history must hold at least the model's window of {n_in} steps. Received: history "
                         f"with shape {array.shape}")
    window = window[:, -n_in:].astype("float32")
    forecasts = np.empty((len(window), n_steps, features), dtype="float32")
    for step in range(n_steps):
        given = window if len(shape) == 3 else window[..., 0]
        predicted = np.asarray(model.predict_on_batch(given), dtype="float32").reshape(len(window), -1)
        if predicted.shape[1] != features:
            raise ValueError(f"model must forecast one step of {features} feature(s), (batch, {features}), "
                             f"to feed it back in. Received: a forecast of shape {predicted.shape}")
        forecasts[:, step] = predicted
        window = np.concatenate([window[:, 1:], predicted[:, None, :]], axis=1)
    if array.ndim == 1:
        return forecasts[0, :, 0]
    return forecasts[0] if array.ndim == 2 else forecasts


def plot_forecast(history, forecast, actual=None, *, index=None, ax=None, label: str = "forecast"):
    """Plot a series' history, a forecast that continues it, and what actually came.

    Args:
        history: the observed series, ``(steps,)``, a pandas Series (its index is the x-axis),
            or ``(steps, 1)``.
        forecast: the forecast steps that follow the history, ``(n_steps,)`` or ``(n_steps, 1)``.
        actual: what was observed over the forecast's steps (optional), as ``forecast``.
        index: the x values of history and forecast together (``len(history) + len(forecast)``
            of them, e.g. a pandas ``DatetimeIndex``); default: a Series' index extended by
            its frequency, else 0, 1, 2, ...
        ax: a matplotlib ``Axes`` to draw on; default: a new figure's.
        label: the forecast's legend label.

    Returns:
        The ``Axes``.
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    past = _checks.as_numbers(history, "history", ndims=(1, 2))
    ahead = _checks.as_numbers(forecast, "forecast", ndims=(1, 2))
    for name, values in (("history", past), ("forecast", ahead)):
        if values.ndim == 2 and values.shape[1] != 1:
            raise _checks.bad(name, values, "one series, (steps,) or (steps, 1)")
    past, ahead = past.reshape(-1), ahead.reshape(-1)
    if index is None and isinstance(history, pd.Series) and getattr(history.index, "freq", None) is not None:
        index = history.index.append(pd.date_range(history.index[-1], periods=len(ahead) + 1,
                                                   freq=history.index.freq)[1:])
    elif index is None and isinstance(history, pd.Series):
        index = list(history.index) + list(range(len(past), len(past) + len(ahead)))
    x = np.arange(len(past) + len(ahead)) if index is None else np.asarray(index)
    if len(x) != len(past) + len(ahead):
        raise ValueError(f"index must have len(history) + len(forecast) = {len(past) + len(ahead)} values. "
                         f"Received: index of length {len(x)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(x[:len(past)], past, color="tab:blue", label="history")
    # The forecast starts from the last observation, so the two lines join.
    ax.plot(x[len(past) - 1:], np.concatenate([past[-1:], ahead]), color="tab:orange", marker=".",
            label=label)
    if actual is not None:
        observed = _checks.as_numbers(actual, "actual", ndims=(1, 2)).reshape(-1)
        if len(observed) != len(ahead):
            raise ValueError(f"actual must have as many steps as forecast ({len(ahead)}). Received: actual "
                             f"with {len(observed)}")
        ax.plot(x[len(past) - 1:], np.concatenate([past[-1:], observed]), color="tab:blue", linestyle="--",
                label="actual")
    ax.axvline(x[len(past) - 1], color="grey", linewidth=0.8)
    ax.legend()
    return ax
