"""The Chapter 9-11 generators: addition, cumulative sum and rectangles."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmbook.problems import (
    ADDITION_ALPHABET,
    addition_lengths,
    addition_sequences,
    cumulative_sum_sequences,
    decode_addition,
    rectangle_sequences,
    rectangle_shape_error,
)

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent


def terms_of(X) -> np.ndarray:
    """The integers of each decoded problem, ``(n, n_terms)``."""
    return np.array([[int(t) for t in problem.split("+")] for problem in decode_addition(X)])


# ---------------------------------------------------------------------------------------------
# addition_sequences and decode_addition (Chapter 9)
# ---------------------------------------------------------------------------------------------


def test_addition_book_shapes_and_one_hot():
    X, y = addition_sequences(500, seed=0)
    assert X.shape == (500, 8, 12) and y.shape == (500, 2, 12)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert set(np.unique(X)) == {0.0, 1.0} and set(np.unique(y)) == {0.0, 1.0}
    np.testing.assert_array_equal(X.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(y.sum(axis=-1), 1.0)
    assert ADDITION_ALPHABET == "0123456789+ "


@pytest.mark.parametrize("n_terms, largest, lengths", [
    (3, 10, (8, 2)), (3, 100, (11, 3)), (1, 1, (1, 1)), (2, 9, (3, 2)), (4, 25, (11, 3)), (5, 99, (14, 3)),
])
def test_addition_lengths(n_terms, largest, lengths):
    assert addition_lengths(n_terms, largest) == lengths
    X, y = addition_sequences(3, n_terms=n_terms, largest=largest, seed=1)
    assert (X.shape[1], y.shape[1]) == lengths


def test_decoded_targets_are_the_true_sums():
    X, y = addition_sequences(2_000, seed=3)
    terms = terms_of(X)
    assert terms.shape == (2_000, 3)
    assert terms.min() == 1 and terms.max() == 10  # 1..10 inclusive, both ends drawn
    np.testing.assert_array_equal(decode_addition(y).astype(int), terms.sum(axis=1))


@settings(max_examples=25, deadline=None)
@given(n_terms=st.integers(1, 5), largest=st.integers(1, 500), seed=st.integers(0, 2**31))
def test_round_trip_any_setting(n_terms, largest, seed):
    X, y = addition_sequences(20, n_terms=n_terms, largest=largest, seed=seed)
    terms = terms_of(X)
    assert terms.shape == (20, n_terms)
    assert ((terms >= 1) & (terms <= largest)).all()
    np.testing.assert_array_equal(decode_addition(y).astype(int), terms.sum(axis=1))


def test_padding_is_leading_spaces():
    X, y = addition_sequences(50, seed=4)
    problems, answers = decode_addition(X, strip=False), decode_addition(y, strip=False)
    assert all(len(p) == 8 and p.lstrip() == p.strip() for p in problems)
    assert all(len(a) == 2 and not a.endswith(" ") for a in answers)
    assert all(" " not in p.strip() for p in problems)
    # The same strings, stripped, are what the default returns.
    assert list(np.char.strip(problems)) == list(decode_addition(X))


def test_decode_addition_single_sequence_and_probabilities():
    X, y = addition_sequences(1, seed=5)
    assert isinstance(decode_addition(y[0]), str)
    assert decode_addition(y[0]) == decode_addition(y)[0]
    # A softmax-like output decodes by its argmax.
    noisy = 0.6 * y + 0.4 / 12 + np.random.default_rng(0).uniform(0, 0.01, y.shape)
    assert decode_addition(noisy)[0] == decode_addition(y)[0]


def test_addition_deterministic_per_seed():
    first, second = addition_sequences(100, seed=7), addition_sequences(100, seed=7)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], addition_sequences(100, seed=8)[0])


@pytest.mark.parametrize("kwargs, error, name", [
    ({"n": 0}, ValueError, "n"),
    ({"n": 10, "n_terms": 0}, ValueError, "n_terms"),
    ({"n": 10, "largest": 0}, ValueError, "largest"),
    ({"n": 10, "largest": -5}, ValueError, "largest"),
    ({"n": 10, "n_terms": 1.5}, TypeError, "n_terms"),
    ({"n": 10, "largest": True}, TypeError, "largest"),
    ({"n": "10"}, TypeError, "n"),
    ({"n": 10, "seed": -1}, ValueError, "seed"),
])
def test_addition_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=rf"{name}=") as info:
        addition_sequences(**kwargs)
    assert "Received" in str(info.value)


def test_decode_addition_bad_input():
    with pytest.raises(ValueError, match="shape"):
        decode_addition(np.zeros((4, 2, 10)))
    with pytest.raises(ValueError, match="shape"):
        decode_addition(np.zeros(12))
    with pytest.raises(TypeError):
        decode_addition("12")
    with pytest.raises(TypeError):
        decode_addition(np.array([["a"] * 12]))
    with pytest.raises(ValueError, match="encoded"):
        decode_addition(np.full((1, 2, 12), np.nan))


# ---------------------------------------------------------------------------------------------
# cumulative_sum_sequences (Chapter 10)
# ---------------------------------------------------------------------------------------------


def test_cumulative_sum_shapes_values_and_labels():
    X, y = cumulative_sum_sequences(1_000, seed=0)
    assert X.shape == (1_000, 10, 1) and y.shape == (1_000, 10, 1)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert X.min() >= 0.0 and X.max() < 1.0
    running = np.cumsum(X[..., 0], axis=1, dtype=np.float32)
    np.testing.assert_array_equal(y[..., 0], (running > 2.5).astype(np.float32))
    # Zeros then ones: once the sum has passed the limit it stays past it.
    assert (np.diff(y[..., 0], axis=1) >= 0).all()
    # Both labels occur, and the switch happens at different steps.
    assert 0.2 < y.mean() < 0.8
    assert len(np.unique(y[..., 0].sum(axis=1))) > 3


@pytest.mark.parametrize("n_timesteps", [1, 4, 20])
def test_cumulative_sum_limit_follows_length(n_timesteps):
    X, y = cumulative_sum_sequences(300, n_timesteps=n_timesteps, seed=1)
    assert X.shape == (300, n_timesteps, 1)
    running = np.cumsum(X[..., 0], axis=1, dtype=np.float32)
    np.testing.assert_array_equal(y[..., 0] == 1, running > n_timesteps / 4)


def test_cumulative_sum_deterministic_and_bad_arguments():
    first, again, other = (cumulative_sum_sequences(5, seed=s)[0] for s in (2, 2, 3))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    with pytest.raises(ValueError, match="n_timesteps=0"):
        cumulative_sum_sequences(5, n_timesteps=0)
    with pytest.raises(ValueError, match="n=-1"):
        cumulative_sum_sequences(-1)
    with pytest.raises(TypeError, match="n_timesteps"):
        cumulative_sum_sequences(5, n_timesteps=2.0)


# ---------------------------------------------------------------------------------------------
# rectangle_sequences and rectangle_shape_error (Chapter 11)
# ---------------------------------------------------------------------------------------------


def test_rectangle_pairs_chain_corners():
    X, y = rectangle_sequences(400, seed=0)
    assert X.shape == (1_200, 1, 2) and y.shape == (1_200, 2)
    assert X.dtype == np.float32 and y.dtype == np.float32
    inputs, targets = X[:, 0].reshape(400, 3, 2), y.reshape(400, 3, 2)
    np.testing.assert_array_equal(inputs[:, 0], 0.0)  # every rectangle starts at [0, 0]
    np.testing.assert_array_equal(inputs[:, 1:], targets[:, :2])  # each target is the next input
    width, height = targets[:, 1, 0], targets[:, 1, 1]
    assert (width >= 0).all() and (width < 1).all() and (height >= 0).all() and (height < 1).all()
    np.testing.assert_array_equal(targets[:, 0], np.column_stack([width, np.zeros(400)]))
    np.testing.assert_array_equal(targets[:, 2], np.column_stack([np.zeros(400), height]))
    assert width.std() > 0.2 and height.std() > 0.2  # uniform on [0, 1) has std 0.29
    # The true corners form exact rectangles.
    np.testing.assert_array_equal(rectangle_shape_error(targets), 0.0)


def test_rectangle_deterministic_and_bad_arguments():
    np.testing.assert_array_equal(rectangle_sequences(3, seed=4)[1], rectangle_sequences(3, seed=4)[1])
    assert not np.array_equal(rectangle_sequences(3, seed=4)[1], rectangle_sequences(3, seed=5)[1])
    with pytest.raises(ValueError, match="n=0"):
        rectangle_sequences(0)
    with pytest.raises(TypeError, match="n="):
        rectangle_sequences(None)


def test_rectangle_shape_error_values():
    perfect = [[0.5, 0.0], [0.5, 0.3], [0.0, 0.3]]
    assert rectangle_shape_error(perfect) == 0.0
    # Each condition on its own: p1.y = 0, p2.x = p1.x, p3.y = p2.y, p3.x = 0.
    for index, value in [((0, 1), 0.1), ((1, 0), 0.45), ((2, 1), 0.2), ((2, 0), -0.07)]:
        shape = np.array(perfect)
        shape[index] = value
        expected = abs(value - np.array(perfect)[index])
        assert rectangle_shape_error(shape) == pytest.approx(expected)
    batch = np.array([perfect, [[0.5, 0.02], [0.45, 0.3], [0.01, 0.3]]])
    np.testing.assert_allclose(rectangle_shape_error(batch), [0.0, 0.05])


def test_rectangle_shape_error_bad_input():
    with pytest.raises(ValueError, match="shape"):
        rectangle_shape_error(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="corners"):
        rectangle_shape_error([[np.nan, 0.0], [0.5, 0.3], [0.0, 0.3]])
    with pytest.raises(TypeError):
        rectangle_shape_error("corners")
