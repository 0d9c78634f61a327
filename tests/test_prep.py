"""lstmbook.prep: the book's exact outputs, round trips, and bad inputs for every function."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstmbook import prep

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
SERIES = arrays(np.float64, st.integers(2, 40), elements=FINITE)

# ------------------------------------------------------------------------------------------------
# The book's examples, exactly
# ------------------------------------------------------------------------------------------------


def test_minmax_of_10_to_100_matches_book():
    data = np.arange(10.0, 101.0, 10.0)
    scaled, scaler = prep.scale(data)
    assert scaler.data_min_[0] == 10.0 and scaler.data_max_[0] == 100.0
    np.testing.assert_allclose(scaled, np.arange(10) / 9.0)
    np.testing.assert_allclose(prep.unscale(scaled, scaler), data)


def test_standardize_matches_book_mean_and_std():
    data = [1.0, 5.5, 9.0, 2.6, 8.8, 3.0, 4.1, 7.9, 6.3]
    standardized, scaler = prep.standardize(data)
    assert round(scaler.mean_[0], 6) == 5.355556
    assert round(scaler.scale_[0], 6) == 2.712568
    assert abs(standardized.mean()) < 1e-12 and abs(standardized.std() - 1) < 1e-12
    np.testing.assert_allclose(prep.unscale(standardized, scaler), data)


def test_one_hot_of_temperatures_matches_book():
    labels = "cold cold warm cold hot hot warm cold warm hot".split()
    encoded, encoder = prep.one_hot_encode(labels)
    assert encoded.shape == (10, 3)
    assert prep.one_hot_decode(encoded).tolist() == [0, 0, 2, 0, 1, 1, 2, 0, 2, 1]
    assert encoded[:3].tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 1]]
    assert prep.one_hot_decode(encoded, encoder).tolist() == labels


def test_one_hot_with_explicit_integer_categories_keeps_absent_columns():
    encoded, encoder = prep.one_hot_encode([3, 0, 9], categories=range(10))
    assert encoded.shape == (3, 10)
    assert prep.one_hot_decode(encoded, encoder).tolist() == [3, 0, 9]


def test_one_hot_decode_takes_probabilities_and_sequences():
    probs = np.array([[[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]])
    assert prep.one_hot_decode(probs).tolist() == [[1, 0]]


def test_pad_and_truncate_match_book():
    seqs = [[1, 2, 3, 4], [1, 2, 3], [1]]
    assert prep.pad(seqs).tolist() == [[1, 2, 3, 4], [0, 1, 2, 3], [0, 0, 0, 1]]
    assert prep.pad(seqs, padding="post").tolist() == [[1, 2, 3, 4], [1, 2, 3, 0], [1, 0, 0, 0]]
    assert prep.truncate(seqs, 2).tolist() == [[3, 4], [2, 3], [0, 1]]
    assert prep.truncate(seqs, 2, truncating="post").tolist() == [[1, 2], [1, 2], [0, 1]]
    assert prep.pad(seqs, maxlen=6, value=-1).shape == (3, 6)
    assert prep.pad(seqs).dtype == np.int32  # whole numbers: Keras's default dtype


def test_pad_keeps_fractions_and_refuses_to_cut_them_off():
    padded = prep.pad([[0.5, 1.7], [2.9]])
    assert padded.dtype == np.float32
    np.testing.assert_allclose(padded, [[0.5, 1.7], [0.0, 2.9]], rtol=1e-6)
    assert prep.pad([[1, 2], [3]], value=0.5).dtype == np.float32
    np.testing.assert_allclose(prep.truncate([[0.25, 0.5, 0.75]], 2), [[0.5, 0.75]])
    with pytest.raises(ValueError, match="dtype"):
        prep.pad([[0.5, 1.7], [2.9]], dtype="int32")
    with pytest.raises(TypeError, match="dtype"):
        prep.pad([[1]], dtype="foo")
    with pytest.raises(ValueError, match="value"):
        prep.pad([[1]], value=float("inf"))
    with pytest.raises(ValueError, match=r"sequences\[0\]"):
        prep.truncate([[1.0, float("inf")]], 1)


def test_series_to_supervised_univariate_names_and_values():
    framed = prep.series_to_supervised(np.arange(10), n_in=1, n_out=1)
    assert list(framed.columns) == ["var1(t-1)", "var1(t)"]
    assert framed.shape == (9, 2)
    assert framed.iloc[0].tolist() == [0.0, 1.0]
    kept = prep.series_to_supervised(np.arange(10), n_in=1, n_out=2, dropnan=False)
    assert list(kept.columns) == ["var1(t-1)", "var1(t)", "var1(t+1)"]
    assert np.isnan(kept.iloc[0, 0]) and np.isnan(kept.iloc[-1, 2])


def test_series_to_supervised_multivariate_multistep():
    data = np.column_stack([np.arange(10), np.arange(10) * 10])
    framed = prep.series_to_supervised(data, n_in=2, n_out=2)
    assert list(framed.columns) == ["var1(t-2)", "var2(t-2)", "var1(t-1)", "var2(t-1)",
                                    "var1(t)", "var2(t)", "var1(t+1)", "var2(t+1)"]
    assert framed.shape == (7, 8)
    assert framed.iloc[0].tolist() == [0, 0, 1, 10, 2, 20, 3, 30]


def test_series_to_supervised_accepts_pandas():
    series = pd.Series([1.0, 2.0, 3.0])
    assert prep.series_to_supervised(series).values.tolist() == [[1.0, 2.0], [2.0, 3.0]]


def test_split_sequence_univariate_and_multivariate():
    X, y = prep.split_sequence([10, 20, 30, 40, 50, 60], 3)
    assert X.tolist() == [[10, 20, 30], [20, 30, 40], [30, 40, 50]]
    assert y.tolist() == [40, 50, 60]
    data = np.column_stack([np.arange(6), -np.arange(6)])
    X, y = prep.split_sequence(data, 2)
    assert X.shape == (4, 2, 2) and y.shape == (4, 2)
    assert X[1].tolist() == [[1, -1], [2, -2]] and y[1].tolist() == [3, -3]
    X, y = prep.split_sequence(data, 2, n_out=3)  # multi-step targets: the next 3 rows
    assert X.shape == (2, 2, 2) and y.shape == (2, 3, 2)
    assert X[1].tolist() == [[1, -1], [2, -2]] and y[1].tolist() == [[3, -3], [4, -4], [5, -5]]
    with pytest.raises(ValueError, match="n_out"):
        prep.split_sequence(np.arange(6.0), 4, n_out=3)


def test_tbptt_split_shapes_and_order():
    series = np.arange(1000.0)
    for timesteps in (25, 50, 100):
        X = prep.tbptt_split(series, timesteps)
        assert X.shape == (1000 // timesteps, timesteps, 1)
        np.testing.assert_array_equal(X.ravel(), series)  # consecutive, nothing lost or reordered
    assert prep.tbptt_split(np.arange(10.0), 3, drop_remainder=True).shape == (3, 3, 1)


def test_difference_and_seasonal_inverse():
    series = np.array([1.0, 4, 9, 16, 25])
    np.testing.assert_array_equal(prep.difference(series), [3, 5, 7, 9])
    np.testing.assert_array_equal(prep.invert_difference([3, 5, 7, 9], initial=1.0), series)
    seasonal = np.arange(24.0) ** 1.5
    d = prep.difference(seasonal, interval=12)
    np.testing.assert_allclose(prep.invert_difference(d, seasonal[:12], interval=12), seasonal)


def test_to_3d_book_reshapes():
    assert prep.to_3d(np.arange(10.0)).shape == (1, 10, 1)
    two = np.column_stack([np.arange(10.0), np.arange(10.0)])
    X = prep.to_3d(two, timesteps=10, features=2)
    assert X.shape == (1, 10, 2) and X[0, 3].tolist() == [3, 3]
    assert prep.to_3d(np.zeros((4, 5))).shape == (4, 5, 1)
    assert prep.check_3d(np.zeros((4, 5, 2)), features=2).shape == (4, 5, 2)


# ------------------------------------------------------------------------------------------------
# Round trips (hypothesis)
# ------------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(SERIES, st.sampled_from([(0.0, 1.0), (-1.0, 1.0)]))
def test_scale_round_trip(data, feature_range):
    scaled, scaler = prep.scale(data, feature_range=feature_range)
    assert scaled.shape == data.shape
    assert scaled.min() >= feature_range[0] - 1e-9 and scaled.max() <= feature_range[1] + 1e-9
    np.testing.assert_allclose(prep.unscale(scaled, scaler), data, rtol=1e-6, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 20), st.integers(1, 4)), elements=FINITE))
def test_standardize_round_trip(data):
    standardized, scaler = prep.standardize(data)
    np.testing.assert_allclose(prep.unscale(standardized, scaler), data, rtol=1e-6, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["cold", "warm", "hot", "mild"]), min_size=1, max_size=30))
def test_one_hot_round_trip(labels):
    encoded, encoder = prep.one_hot_encode(labels)
    assert encoded.sum(axis=1).tolist() == [1.0] * len(labels)
    assert prep.one_hot_decode(encoded, encoder).tolist() == labels


@settings(max_examples=40, deadline=None)
@given(SERIES, st.integers(1, 3))
def test_difference_round_trip(data, interval):
    if interval >= len(data):
        interval = 1
    d = prep.difference(data, interval)
    restored = prep.invert_difference(d, data[:interval], interval)
    np.testing.assert_allclose(restored, data, rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.integers(1, 3), st.integers(0, 3), st.integers(1, 3))
def test_series_to_supervised_shapes_and_values(n, n_vars, n_in, n_out):
    if n_in + n_out > n:
        return
    data = np.arange(n * n_vars, dtype=float).reshape(n, n_vars)
    framed = prep.series_to_supervised(data, n_in=n_in, n_out=n_out)
    assert framed.shape == (n - n_in - n_out + 1, n_vars * (n_in + n_out))
    first = framed.iloc[0].to_numpy().reshape(n_in + n_out, n_vars)
    np.testing.assert_array_equal(first, data[: n_in + n_out])  # row 0 is the first window, in order


@settings(max_examples=30, deadline=None)
@given(SERIES, st.integers(1, 5))
def test_split_sequence_windows_match_source(data, n_steps):
    if n_steps >= len(data):
        return
    X, y = prep.split_sequence(data, n_steps)
    assert X.shape == (len(data) - n_steps, n_steps) and y.shape == (len(data) - n_steps,)
    for i in (0, len(y) - 1):
        np.testing.assert_array_equal(X[i], data[i:i + n_steps])
        assert y[i] == data[i + n_steps]


# ------------------------------------------------------------------------------------------------
# Bad inputs: every function names the argument and the value received
# ------------------------------------------------------------------------------------------------

BAD_CALLS = [
    (prep.scale, ([],), {}, ValueError, "data"),
    (prep.scale, ([1.0, np.nan],), {}, ValueError, "NaN"),
    (prep.scale, ("abc",), {}, TypeError, "data"),
    (prep.scale, ([1.0, 2.0],), {"feature_range": (1, 0)}, ValueError, "feature_range"),
    (prep.standardize, ([[[[1.0]]]],), {}, ValueError, "data"),  # 4-D
    (prep.transform, ([1.0, 2.0],), {"scaler": "nope"}, TypeError, "scaler"),
    (prep.standardize, ([],), {}, ValueError, "empty"),
    (prep.unscale, ([1.0],), {"scaler": "nope"}, TypeError, "scaler"),
    (prep.one_hot_encode, ([],), {}, ValueError, "values"),
    (prep.one_hot_encode, ("cold",), {}, TypeError, "values"),
    (prep.one_hot_encode, (["cold", "tepid"],), {"categories": ["cold", "hot"]}, ValueError, "tepid"),
    (prep.one_hot_encode, ([1.5, 2.0],), {}, ValueError, "values"),
    (prep.one_hot_decode, ([[np.nan, 1.0]],), {}, ValueError, "encoded"),
    (prep.pad, ([],), {}, ValueError, "sequences"),
    (prep.pad, ([[1, 2]],), {"padding": "middle"}, ValueError, "padding='middle'"),
    (prep.pad, ([[1, 2]],), {"maxlen": -1}, ValueError, "maxlen=-1"),
    (prep.pad, ([["a", "b"]],), {}, TypeError, "sequences[0]"),
    (prep.truncate, ([[1, 2]], 0), {}, ValueError, "maxlen=0"),
    (prep.truncate, ([[1, 2]], 2), {"truncating": "both"}, ValueError, "truncating"),
    (prep.series_to_supervised, ([1.0, 2.0, 3.0],), {"n_in": -1}, ValueError, "n_in=-1"),
    (prep.series_to_supervised, ([],), {}, ValueError, "data"),
    (prep.series_to_supervised, ([1.0, 2.0],), {"n_in": 2}, ValueError, "n_in"),
    (prep.series_to_supervised, ([1.0, 2.0],), {"n_out": 0}, ValueError, "n_out=0"),
    (prep.series_to_supervised, ([1.0, 2.0],), {"n_in": 1.5}, TypeError, "n_in=1.5"),
    (prep.split_sequence, ([1.0, 2.0],), {"n_steps": 2}, ValueError, "n_steps=2"),
    (prep.split_sequence, ([1.0, np.nan, 3.0],), {"n_steps": 1}, ValueError, "NaN"),
    (prep.tbptt_split, (np.arange(10.0), 3), {}, ValueError, "timesteps=3"),
    (prep.tbptt_split, (np.arange(10.0), 0), {}, ValueError, "timesteps=0"),
    (prep.difference, ([1.0],), {}, ValueError, "interval=1"),
    (prep.difference, ([1.0, 2.0],), {"interval": 0}, ValueError, "interval=0"),
    (prep.invert_difference, ([1.0, 2.0],), {"initial": [0.0, 1.0]}, ValueError, "initial"),
    (prep.to_3d, (np.arange(10.0),), {"timesteps": 3}, ValueError, "samples, timesteps, features"),
    (prep.to_3d, (np.zeros((2, 3, 4)),), {"features": 2}, ValueError, "features"),
    (prep.check_3d, (np.zeros((4, 5)),), {}, ValueError, "reshape(4, 5, 1)"),
    (prep.check_3d, (np.zeros(5),), {}, ValueError, "shape (5,)"),
]


@pytest.mark.parametrize("func, args, kwargs, error, fragment", BAD_CALLS,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(BAD_CALLS)])
def test_bad_inputs_raise_clear_errors(func, args, kwargs, error, fragment):
    with pytest.raises(error) as info:
        func(*args, **kwargs)
    assert fragment in str(info.value)
    assert info.traceback[-1].path.parent.name == "lstmbook", "the error must come from lstmbook itself"


def test_decode_with_wrong_encoder_width_names_labels():
    _, encoder = prep.one_hot_encode(["cold", "hot"])
    with pytest.raises(ValueError, match="2 columns"):
        prep.one_hot_decode(np.eye(3), encoder)


def test_unscale_with_wrong_width():
    _, scaler = prep.scale([1.0, 2.0])
    with pytest.raises(ValueError, match="1 feature"):
        prep.unscale(np.zeros((2, 2)), scaler)


def test_every_public_function_is_covered():
    covered = {c[0].__name__ for c in BAD_CALLS}
    assert set(prep.__all__) - covered <= {"one_hot_decode", "unscale"} | covered
    assert set(prep.__all__) <= covered | {"one_hot_decode", "unscale"}


def test_one_hot_encode_refuses_what_it_would_change_silently():
    with pytest.raises(TypeError, match=r"categories must be whole numbers .* categories=\[0.5, 1.5\]"):
        prep.one_hot_encode([1, 2], categories=[0.5, 1.5])  # the cast to int would make them [0, 1]
    with pytest.raises(TypeError, match="categories must be numbers"):
        prep.one_hot_encode([1, 2], categories=["a", "b"])
    with pytest.raises(TypeError, match="categories"):
        prep.one_hot_encode([1, 2], categories=5)
    with pytest.raises(ValueError, match="values"):
        prep.one_hot_encode(["a", None])
    with pytest.raises(ValueError, match="NaN or infinity"):
        prep.one_hot_encode([1.0, np.inf])
    encoded, _ = prep.one_hot_encode([1, 2], categories=range(4))
    assert encoded.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0]]


def test_scale_needs_a_finite_range():
    with pytest.raises(ValueError, match="feature_range"):
        prep.scale([1.0, 2.0], feature_range=(0, np.inf))


@pytest.mark.parametrize(("X", "kwargs", "error", "message"), [
    ([[[1], [2]], [[3]]], {}, ValueError, "^X "),
    (np.array([[["a"]]]), {}, TypeError, "^X "),
    (np.zeros((0, 2, 1)), {}, ValueError, "^X "),
    (np.full((1, 2, 1), np.nan), {}, ValueError, "^X "),
    (np.zeros((1, 2, 1)), {"timesteps": True}, TypeError, "Received: timesteps=True"),
    (np.zeros((1, 2, 1)), {"features": 0}, ValueError, "^features"),
    (None, {}, TypeError, "^X "),
])
def test_check_3d_bad_inputs(X, kwargs, error, message):
    with pytest.raises(error, match=message):
        prep.check_3d(X, **kwargs)


def test_text_is_not_read_as_numbers_and_flags_are_bools():
    with pytest.raises(TypeError, match="initial"):
        prep.invert_difference([3, 5, 7], initial="1")
    with pytest.raises(TypeError, match="drop_remainder"):
        prep.tbptt_split(np.arange(10.0), 3, drop_remainder="no")


# ---------------------------------------------------------------------------------------------
# Your own data: sequences with channels, new data, and one column of several
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fit", [prep.scale, prep.standardize])
def test_sequences_are_scaled_per_channel_and_new_data_with_the_same_scaler(fit):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 5, 3)) * [1.0, 10.0, 1000.0] + [0.0, 5.0, -300.0]
    scaled, scaler = fit(X)
    assert scaled.shape == X.shape and scaler.n_features_in_ == 3
    table = scaled.reshape(-1, 3)  # over every sample and step of each channel
    if fit is prep.scale:
        np.testing.assert_allclose(table.min(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(table.max(axis=0), 1.0)
    else:
        np.testing.assert_allclose(table.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(table.std(axis=0), 1.0)
    np.testing.assert_allclose(prep.unscale(scaled, scaler), X)
    np.testing.assert_allclose(prep.transform(X, scaler), scaled)
    new = X[:2] * 2  # new data keeps the fitted statistics: not scaled to 0..1 again
    np.testing.assert_allclose(prep.unscale(prep.transform(new, scaler), scaler), new)
    assert not np.allclose(prep.transform(new, scaler), fit(new)[0])
    with pytest.raises(ValueError, match="data"):
        prep.transform(X[..., :2], scaler)


def test_unscale_inverts_the_columns_a_forecast_holds():
    rng = np.random.default_rng(1)
    table = np.column_stack([rng.uniform(100, 700, 36), rng.uniform(-1, 1, 36)])
    scaled, scaler = prep.scale(table, feature_range=(-1, 1))
    np.testing.assert_allclose(prep.unscale(scaled[:, 0], scaler, columns=[0]), table[:, 0])
    np.testing.assert_allclose(prep.unscale(scaled[:, [1, 0]], scaler, columns=[1, 0]), table[:, [1, 0]])
    assert prep.unscale(scaled[3, 0], scaler, columns=[0]) == pytest.approx(table[3, 0])  # a lone forecast
    for columns in ([2], [0, 0], [], -1):
        with pytest.raises(ValueError, match="columns"):
            prep.unscale(scaled[:, :1], scaler, columns=columns)
    with pytest.raises(ValueError, match="data"):
        prep.unscale(scaled, scaler, columns=[0])  # two columns of data for one named


def test_pad_takes_sequences_of_steps_with_channels():
    rng = np.random.default_rng(2)
    sequences = [rng.normal(size=(n, 3)) for n in (4, 2, 6)]
    padded = prep.pad(sequences)
    assert padded.shape == (3, 6, 3) and padded.dtype == np.float32
    np.testing.assert_allclose(padded[1, -2:], sequences[1], rtol=1e-6)
    assert (padded[1, :4] == 0).all()
    assert prep.pad(sequences, maxlen=3, padding="post", value=-1.0).shape == (3, 3, 3)
    with pytest.raises(ValueError, match="sequences"):
        prep.pad([rng.normal(size=(3, 2)), rng.normal(size=(2, 3))])
