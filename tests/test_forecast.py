"""lstmbook.forecast: a window model run recursively past the data, and the forecast plot."""

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from lstmbook import forecast, models, prep


def test_recursive_forecast_is_the_loop_a_reader_would_write():
    keras.utils.set_random_seed(0)
    model = models.build_stacked_lstm((4, 2), output_units=2, units=(5,))
    history = np.random.default_rng(0).normal(size=(9, 2)).astype("float32")
    window, expected = history[-4:].copy(), []
    for _ in range(6):
        step = model.predict(window[None], verbose=0)[0]
        expected.append(step)
        window = np.vstack([window[1:], step])
    got = forecast.recursive_forecast(model, history, n_steps=6)
    assert got.shape == (6, 2)
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-5, atol=1e-6)
    # Several series advance together, each as it would alone.
    both = forecast.recursive_forecast(model, np.stack([history, history[::-1]]), n_steps=6)
    assert both.shape == (2, 6, 2)
    np.testing.assert_allclose(both[0], got, rtol=1e-5, atol=1e-6)
    alone = forecast.recursive_forecast(model, history[::-1], 6)
    np.testing.assert_allclose(both[1], alone, rtol=1e-5, atol=1e-6)


def test_a_univariate_series_forecasts_from_split_sequence_windows():
    inputs = keras.Input(shape=(3, 1))
    model = keras.Model(inputs, 2 * inputs[:, -1, :] - inputs[:, -2, :])  # continues a straight line
    series = pd.Series([10.0, 20.0, 30.0, 40.0])
    X, _ = prep.split_sequence(series, n_steps=3)
    assert X.shape[1:] == (3,)
    np.testing.assert_allclose(forecast.recursive_forecast(model, series, n_steps=3), [50.0, 60.0, 70.0])


@pytest.mark.parametrize("history, n_steps, error, name", [
    ([1.0, 2.0], 2, ValueError, "history"),  # shorter than the window
    ([[1.0, 2.0]] * 3, 2, ValueError, "history"),  # two features for a one-feature model
    ([1.0, 2.0, 3.0], 0, ValueError, "n_steps"),
    ([1.0, 2.0, 3.0], forecast.MAX_STEPS + 1, ValueError, "n_steps"),
    ([1.0, np.nan, 3.0], 2, ValueError, "history"),
    ("abc", 2, TypeError, "history"),
])
def test_bad_arguments_are_refused_by_name(history, n_steps, error, name):
    inputs = keras.Input(shape=(3, 1))
    model = keras.Model(inputs, inputs[:, -1, :])
    with pytest.raises(error, match=name):
        forecast.recursive_forecast(model, history, n_steps)


def test_a_model_that_cannot_be_fed_back_is_refused():
    inputs = keras.Input(shape=(3, 1))
    two_steps = keras.Model(inputs, keras.ops.concatenate([inputs[:, -1, :]] * 2, axis=-1))
    with pytest.raises(ValueError, match="model"):
        forecast.recursive_forecast(two_steps, [1.0, 2.0, 3.0], 2)
    with pytest.raises(ValueError, match="model"):  # windows of any length: which n_in?
        forecast.recursive_forecast(_any_length(), [1.0, 2.0, 3.0], 2)
    with pytest.raises(TypeError, match="model"):
        forecast.recursive_forecast("model", [1.0, 2.0, 3.0], 2)


def _any_length():
    inputs = keras.Input((None, 1))
    return keras.Model(inputs, keras.layers.LSTM(1)(inputs))


def test_plot_forecast_joins_the_forecast_to_the_history_on_its_dates():
    series = pd.Series(np.arange(12.0), index=pd.date_range("2020-01-01", periods=12, freq="MS"))
    ax = forecast.plot_forecast(series, [12.0, 13.0, 14.0], actual=[12.5, 13.0, 13.5])
    history, ahead, actual = ax.get_lines()[:3]
    assert list(history.get_ydata()) == list(series)
    assert list(ahead.get_ydata()) == [11.0, 12.0, 13.0, 14.0]  # starts at the last observation
    assert pd.Timestamp(ahead.get_xdata()[-1]) == pd.Timestamp("2021-03-01")
    assert list(actual.get_ydata())[1:] == [12.5, 13.0, 13.5]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["history", "forecast", "actual"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="actual"):
        forecast.plot_forecast([1.0, 2.0], [3.0], actual=[3.0, 4.0])
    with pytest.raises(ValueError, match="index"):
        forecast.plot_forecast([1.0, 2.0], [3.0], index=[0, 1])
    plt.close("all")
