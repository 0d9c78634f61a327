"""No silent wrong answers: each bad input gets a ValueError/TypeError naming the argument,
and what should work (lists, NumPy scalars and arrays, pandas) works. Property-based tests
(hypothesis) check "a clear error or a correct result" for the data functions."""

import datetime

import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lstmbook import diagnostics, models, prep, problems, training


def tiny_model():
    inputs = keras.Input(shape=(3, 1), name="inputs")
    model = keras.Model(inputs, keras.layers.Dense(2, name="output")(keras.layers.LSTM(2)(inputs)))
    model.compile(loss="mse", optimizer="sgd")
    return model


BAD = [
    # (call, error, argument named)
    (lambda: prep.to_3d(np.zeros((4, 3)), timesteps=2), ValueError, "data"),  # samples from two rows
    (lambda: problems.addition_sequences(2, n_terms=3, largest=2**62), ValueError, "largest"),  # int64 wraps
    (lambda: problems.addition_lengths(2, 2**63), ValueError, "largest"),
    (lambda: prep.scale([1e308, -1e308]), ValueError, "data"),  # max - min overflows
    (lambda: prep.standardize([1e200, -1e200, 0.0]), ValueError, "data"),  # the variance overflows
    (lambda: prep.scale(["1", "2"]), TypeError, "data"),
    (lambda: prep.scale([1 + 2j, 3]), TypeError, "data"),
    (lambda: prep.scale([True, False, True]), TypeError, "data"),
    (lambda: prep.scale(np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]")), TypeError, "data"),
    (lambda: prep.scale(pd.Series([datetime.date(2020, 1, 1), 3.0])), TypeError, "data"),
    (lambda: prep.difference(np.array([1, 2, 3], dtype=complex)), TypeError, "series"),
    (lambda: prep.one_hot_decode([[0, 1, 0], [0, 0, 0]]), ValueError, "encoded"),  # no class set
    (lambda: problems.decode_echo([[0.0, 0.0, 0.0]]), ValueError, "encoded"),
    (lambda: problems.decode_addition(np.zeros((1, 2, 12))), ValueError, "encoded"),
    (lambda: training.fit_epochs(tiny_model(), np.zeros((4, 3, 1)), np.zeros((4, 5)), epochs=1),
     ValueError, "y"),  # (4, 5) targets for a (None, 2) output
    (lambda: training.evaluate_loss(tiny_model(), np.zeros((4, 3, 1)), np.zeros((4, 2, 2))), ValueError, "y"),
    (lambda: training.fit_epochs(tiny_model(), np.zeros((4, 3, 1)), np.zeros(4, dtype=complex), epochs=1),
     TypeError, "y"),
    (lambda: training.fit_epochs(tiny_model(), np.zeros((4, 3)), np.zeros(4), epochs=1, validation_data=(
        np.zeros((2, 3, 1)), np.zeros((2, 7)))), ValueError, "validation_data[1]"),
    (lambda: prep.scale([1.0, 2.0], feature_range=np.array([1, 0])), ValueError, "feature_range"),
    (lambda: prep.difference([-1e308, 1e308]), ValueError, "series"),
    (lambda: prep.invert_difference([1e308, 1e308], initial=1e308), ValueError, "diffed"),
]


@pytest.mark.parametrize("call, error, argument", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_gets_a_clear_error_naming_the_argument(call, error, argument):
    with pytest.raises(error) as info:
        call()
    assert argument in str(info.value)
    assert info.traceback[-1].path.parent.name == "lstmbook", "raised by lstmbook, not deep inside"


def test_what_should_work_works():
    scaled, _ = prep.scale(pd.Series([1, 2, 3]), feature_range=np.array([-1, 1]))
    np.testing.assert_array_equal(scaled, [-1.0, 0.0, 1.0])
    assert prep.scale(pd.DataFrame({"a": [1.0, 3.0], "b": [2, 4]}))[0].tolist() == [[0, 0], [1, 1]]
    assert prep.scale([[1], [3]], feature_range=[0, np.float32(2)])[0].ravel().tolist() == [0, 2]
    table = np.arange(20.0).reshape(10, 2)
    assert prep.to_3d(table, timesteps=np.int64(10), features=np.int64(2)).shape == (1, 10, 2)
    assert prep.to_3d(np.zeros((4, 6)), timesteps=3).shape == (8, 3, 1)  # each row is two samples
    model = models.build_vanilla_lstm(np.array([3, 1]), np.int64(2), output_activation="linear")
    assert model.input_shape == (None, 3, 1) and model.output_shape == (None, 2)
    model.compile(loss="mse", optimizer="sgd")
    history = training.fit_epochs(model, np.zeros((4, 3, 1)).tolist(), [[0.0, 1.0]] * 4, epochs=np.int64(2))
    assert len(history["loss"]) == 2
    assert training.evaluate_loss(model, np.zeros((4, 3, 1)), pd.DataFrame(np.zeros((4, 2))))["loss"] >= 0
    assert diagnostics.run_repeats(lambda seed: seed * 2, np.arange(3), progress=False) == [0, 2, 4]
    labels = problems.decode_echo(np.eye(3)[[2, 0]])
    assert labels.tolist() == [2, 0]
    assert diagnostics.run_repeats(lambda seed: seed, pd.Series([4, 5]), progress=False) == [4, 5]
    assert models.build_stacked_lstm((3, 1), 1, units=np.array([2, 2])).count_params() > 0
    cnn_lstm = models.build_cnn_lstm(np.array([4, 4, 1]), timesteps=2, output_units=1)
    assert cnn_lstm.input_shape == (None, 2, 4, 4, 1)
    X, _ = problems.damped_sine_sequences(2, periods=np.array([10, 20]), decays=np.array([0.01, 0.1]), seed=0)
    assert X.shape == (2, 50, 1)
    assert problems.first_sign_sequences(2, signal=np.array([0.5, 1.5]), seed=0)[0].shape[0] == 2
    assert prep.tbptt_split(np.arange(6.0), 3, drop_remainder=np.False_).shape[0] == 2
    assert prep.series_to_supervised([1.0, 2.0, 3.0], dropnan=np.True_).shape == (2, 2)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
anything = st.one_of(finite, st.floats(), st.booleans(), st.text(max_size=3), st.none(),
                     st.complex_numbers(max_magnitude=10), st.integers(-10**20, 10**20))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(anything, min_size=0, max_size=6))
def test_scale_gives_a_clear_error_or_a_correct_result(values):
    try:
        scaled, scaler = prep.scale(values)
    except (ValueError, TypeError):
        return
    data = np.asarray(values, dtype=float)
    assert np.isfinite(scaled).all() and scaled.shape == data.shape
    assert scaled.min() >= -1e-9 and scaled.max() <= 1 + 1e-9
    np.testing.assert_allclose(prep.unscale(scaled, scaler), data, rtol=1e-6, atol=1e-6 * np.ptp(data) + 1e-9)


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=st.floats()),
       st.one_of(st.none(), st.integers(-2, 8)), st.one_of(st.none(), st.integers(-2, 4)))
def test_to_3d_gives_a_clear_error_or_the_same_values_in_order(data, timesteps, features):
    try:
        shaped = prep.to_3d(data, timesteps=timesteps, features=features)
    except (ValueError, TypeError):
        return
    assert shaped.ndim == 3 and np.isfinite(shaped).all()
    np.testing.assert_array_equal(shaped.ravel(), data.ravel())  # nothing lost, nothing reordered
    if data.ndim == 2:  # a sample never splices two rows
        row, per_sample = data.shape[1], shaped.shape[1] * shaped.shape[2]
        assert row % per_sample == 0 or per_sample % row == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=8))
def test_one_hot_round_trips(values):
    encoded, encoder = prep.one_hot_encode(values)
    assert prep.one_hot_decode(encoded, encoder).tolist() == values


@settings(max_examples=100, deadline=None)
@given(st.lists(anything, min_size=0, max_size=8), st.integers(-1, 4))
def test_difference_gives_a_clear_error_or_inverts(values, interval):
    try:
        diffed = prep.difference(values, interval)
    except (ValueError, TypeError):
        return
    data = np.asarray(values, dtype=float)
    np.testing.assert_allclose(diffed, data[interval:] - data[:-interval])
    restored = prep.invert_difference(diffed, data[:interval], interval)
    scale = float(np.abs(data).max()) * len(data)  # float64 rounding grows with the values' size
    np.testing.assert_allclose(restored, data, rtol=1e-9, atol=1e-6 + 1e-15 * scale)  # the whole series


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 10**6), st.integers(0, 2**32 - 1))
def test_addition_labels_are_the_sums(n, n_terms, largest, seed):
    X, y = problems.addition_sequences(n, n_terms=n_terms, largest=largest, seed=seed)
    for question, answer in zip(problems.decode_addition(X), problems.decode_addition(y), strict=True):
        assert sum(int(t) for t in question.split("+")) == int(answer)
