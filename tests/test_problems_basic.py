"""The generators of Chapters 1, 2 and 6-8 in lstmbook.problems: first sign, adding, echo,
damped sine, moving line."""

import math

import numpy as np
import pytest

from lstmbook import problems

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

# ---------------------------------------------------------------------------------------------
# First sign (Chapter 1)
# ---------------------------------------------------------------------------------------------


def test_first_sign_sequences_hide_the_answer_at_step_zero():
    X, y = problems.first_sign_sequences(500, seed=0)
    assert X.shape == (500, 30, 1) and y.shape == (500,)
    assert X.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_array_equal(y, (X[:, 0, 0] > 0).astype("float32"))
    assert 0.5 <= np.abs(X[:, 0, 0]).min() and np.abs(X[:, 0, 0]).max() <= 1.5  # the default signal
    assert 0.4 < y.mean() < 0.6
    # The later steps are the noise, and they say nothing about the class.
    assert abs(X[:, 1:].std() - 1.0) < 0.02 and abs(X[:, 1:].mean()) < 0.02
    assert abs(np.corrcoef(X[:, -10:, 0].mean(axis=1), y)[0, 1]) < 0.15
    np.testing.assert_array_equal(X, problems.first_sign_sequences(500, seed=0)[0])
    assert not np.array_equal(X, problems.first_sign_sequences(500, seed=1)[0])


def test_first_sign_sequences_follow_their_settings():
    X, y = problems.first_sign_sequences(400, timesteps=7, noise=0.1, signal=(2.0, 3.0), seed=5)
    assert X.shape == (400, 7, 1)
    assert 2.0 <= np.abs(X[:, 0, 0]).min() and np.abs(X[:, 0, 0]).max() <= 3.0
    assert abs(X[:, 1:].std() - 0.1) < 0.01
    np.testing.assert_array_equal(y, (X[:, 0, 0] > 0).astype("float32"))
    X, _ = problems.first_sign_sequences(3, noise=0.0, seed=0)
    assert not X[:, 1:].any()  # no noise: only step 0 is non-zero


def test_first_sign_sequences_draw_noise_then_signs_then_sizes():
    # The documented order of the draws, so that a seed gives the same data as Chapter 1 always had.
    rng = np.random.default_rng(42)
    noise = rng.normal(0.0, 1.0, size=(6, 30, 1))
    sign = rng.choice([-1.0, 1.0], size=6)
    noise[:, 0, 0] = sign * rng.uniform(0.5, 1.5, size=6)
    X, y = problems.first_sign_sequences(6, seed=42)
    np.testing.assert_array_equal(X, noise.astype("float32"))
    np.testing.assert_array_equal(y, (sign > 0).astype("float32"))


@pytest.mark.parametrize("kwargs, error, name", [
    ({"n": 0}, ValueError, "n="),
    ({"n": 2.0}, TypeError, "n="),
    ({"n": 5, "timesteps": 0}, ValueError, "timesteps="),
    ({"n": 5, "noise": -1.0}, ValueError, "noise="),
    ({"n": 5, "noise": float("nan")}, ValueError, "noise="),
    ({"n": 5, "noise": "1"}, TypeError, "noise="),
    ({"n": 5, "signal": (0.0, 1.0)}, ValueError, "signal="),
    ({"n": 5, "signal": (2.0, 1.0)}, ValueError, "signal="),
    ({"n": 5, "signal": 1.0}, ValueError, "signal="),
    ({"n": 5, "signal": (0.5, "x")}, TypeError, "signal="),
    ({"n": 5, "seed": -1}, ValueError, "seed="),
    ({"n": 5, "seed": 1.5}, TypeError, "seed="),
])
def test_first_sign_sequences_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        problems.first_sign_sequences(**kwargs)


# ---------------------------------------------------------------------------------------------
# The adding problem (Chapter 2)
# ---------------------------------------------------------------------------------------------


def test_adding_problem_marks_one_value_in_the_first_half_and_one_in_the_third_quarter():
    X, y = problems.adding_problem(300, 20, seed=3)
    assert X.shape == (300, 20, 2) and y.shape == (300,)
    assert X.dtype == np.float32 and y.dtype == np.float32
    markers = X[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:, :10].sum(axis=1) == 1).all() and (markers[:, 10:15].sum(axis=1) == 1).all()
    assert (markers[:, 15:] == 0).all()  # the last quarter is never marked
    np.testing.assert_allclose(y, (X[..., 0] * markers).sum(axis=1), rtol=1e-6)
    assert ((X[..., 0] >= 0) & (X[..., 0] < 1)).all()
    np.testing.assert_array_equal(y, problems.adding_problem(300, 20, seed=3)[1])
    assert not np.array_equal(y, problems.adding_problem(300, 20, seed=4)[1])


def test_adding_problem_targets_have_the_variance_of_two_uniforms():
    # Predicting the mean sum, 1.0, has MSE Var(u1 + u2) = 2 / 12 = 1/6: the bar a model must beat.
    X, y = problems.adding_problem(20_000, seed=0)
    assert X.shape == (20_000, 50, 2)
    assert abs(y.mean() - 1.0) < 0.01 and abs(y.var() - 1 / 6) < 0.005
    first, second = np.argmax(X[:, :25, 1], axis=1), 25 + np.argmax(X[:, 25:, 1], axis=1)
    assert first.min() == 0 and first.max() == 24 and second.min() == 25 and second.max() == 36


def test_adding_problem_with_two_steps_marks_both():
    X, y = problems.adding_problem(5, timesteps=2, seed=1)
    assert (X[..., 1] == 1).all()
    np.testing.assert_allclose(y, X[..., 0].sum(axis=1), rtol=1e-6)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"n": 0}, ValueError, "n="),
    ({"n": "3"}, TypeError, "n="),
    ({"n": 5, "timesteps": 1}, ValueError, "timesteps="),
    ({"n": 5, "timesteps": 10.0}, TypeError, "timesteps="),
    ({"n": 5, "seed": -2}, ValueError, "seed="),
    ({"n": 5, "seed": "a"}, TypeError, "seed="),
])
def test_adding_problem_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        problems.adding_problem(**kwargs)

# ---------------------------------------------------------------------------------------------
# Echo (Chapter 6)
# ---------------------------------------------------------------------------------------------


def test_echo_shapes_one_hot_and_target():
    X, y = problems.echo_sequences(200, length=7, n_features=6, out_index=4, seed=0)
    assert X.shape == (200, 7, 6) and y.shape == (200, 6)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert set(np.unique(X)) == {0.0, 1.0}
    np.testing.assert_array_equal(X.sum(axis=-1), 1.0)  # exactly one hot value per step
    np.testing.assert_array_equal(y, X[:, 4])  # the target is the step at out_index
    values = problems.decode_echo(X)
    assert values.min() == 0 and values.max() == 5  # every value 0..n_features-1 occurs
    np.testing.assert_array_equal(problems.decode_echo(y), values[:, 4])


def test_echo_is_deterministic_per_seed():
    a, b, c = (problems.echo_sequences(50, seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_echo_values_are_roughly_uniform():
    values = problems.decode_echo(problems.echo_sequences(5000, seed=1)[0])
    counts = np.bincount(values.ravel(), minlength=10) / values.size
    assert np.all(np.abs(counts - 0.1) < 0.01)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"n": 0}, ValueError, "n="),
    ({"n": 2.0}, TypeError, "n="),
    ({"n": 5, "length": 0}, ValueError, "length="),
    ({"n": 5, "n_features": 1}, ValueError, "n_features="),
    ({"n": 5, "out_index": 5}, ValueError, "out_index="),
    ({"n": 5, "out_index": -1}, ValueError, "out_index="),
    ({"n": 5, "seed": -3}, ValueError, "seed="),
    ({"n": 5, "seed": "a"}, TypeError, "seed="),
])
def test_echo_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        problems.echo_sequences(**kwargs)


def test_decode_echo_argmax_and_bad_input():
    assert problems.decode_echo([[0.1, 0.7, 0.2], [0, 0, 1]]).tolist() == [1, 2]
    with pytest.raises(ValueError, match="encoded"):
        problems.decode_echo([1.0])  # one feature: nothing to decode
    with pytest.raises(TypeError, match="encoded"):
        problems.decode_echo([["a", "b"]])
    with pytest.raises(ValueError, match="encoded"):
        problems.decode_echo([[0.2, np.nan], [0.1, 0.9]])  # argmax would quietly say 1


# ---------------------------------------------------------------------------------------------
# Damped sine (Chapter 7)
# ---------------------------------------------------------------------------------------------


def test_damped_sine_matches_the_books_formula():
    period, decay, length = 13, 0.04, 30
    expected = [0.5 + 0.5 * math.sin(2 * math.pi * i / period) * math.exp(-decay * i) for i in range(length)]
    np.testing.assert_allclose(problems.damped_sine(length, period, decay), expected, atol=1e-12)


def test_damped_sine_without_decay_is_a_sine_and_broadcasts():
    wave = problems.damped_sine(40, period=4, decay=0.0)
    np.testing.assert_allclose(wave[:20], wave[20:], atol=1e-12)  # periodic, undamped
    assert wave.max() == pytest.approx(1.0) and wave.min() == pytest.approx(0.0)
    assert problems.damped_sine(5, period=[10, 12, 14], decay=0.1).shape == (3, 5)


@pytest.mark.parametrize("kwargs, name", [
    ({"length": 0, "period": 10, "decay": 0.1}, "length="),
    ({"length": 5, "period": 0, "decay": 0.1}, "period="),
    ({"length": 5, "period": 10, "decay": -0.1}, "decay="),
    ({"length": 5, "period": 10, "decay": float("nan")}, "decay="),
])
def test_damped_sine_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        problems.damped_sine(**kwargs)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"period": "a"}, TypeError, "period.*Received: period='a'"),
    ({"period": []}, ValueError, "period"),
    ({"decay": True}, TypeError, "decay"),
    ({"period": [10, 12], "decay": [0.1, 0.2, 0.3]}, ValueError, "period and decay"),
])
def test_damped_sine_refuses_wrong_types_and_shapes(kwargs, error, message):
    with pytest.raises(error, match=message):
        problems.damped_sine(5, **{"period": 10, "decay": 0.1, **kwargs})


def test_damped_sine_sequences_shapes_range_and_split():
    X, y = problems.damped_sine_sequences(300, length=50, n_out=5, seed=0)
    assert X.shape == (300, 50, 1) and y.shape == (300, 5)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert X.min() >= 0.0 and X.max() <= 1.0 and y.min() >= 0.0 and y.max() <= 1.0
    np.testing.assert_allclose(X[:, 0, 0], 0.5)  # sin(0) = 0 for every wave
    # Not all the same wave: periods and decays differ.
    assert np.std(X[:, 10, 0]) > 0.05


def test_damped_sine_sequences_target_continues_the_input():
    # With one period and one decay every wave is the same; the 5 targets must be the
    # 5 values after the input, from the same formula.
    X, y = problems.damped_sine_sequences(3, length=20, n_out=5, seed=0, periods=(12, 12),
                                          decays=(0.05, 0.05))
    full = problems.damped_sine(25, 12, 0.05)
    np.testing.assert_allclose(X[0, :, 0], full[:20], atol=1e-6)
    np.testing.assert_allclose(y[0], full[20:], atol=1e-6)


def test_damped_sine_sequences_periods_and_decays_stay_in_their_ranges():
    # A wave of integer period p is back at exactly 0.5 at step p: every wave must be so
    # at some step in 10..20.
    X, _ = problems.damped_sine_sequences(500, length=50, n_out=5, seed=3)
    series = X[:, :, 0] - 0.5
    candidates = [np.abs(series[:, p]) < 1e-6 for p in range(10, 21)]
    assert np.all(np.any(candidates, axis=0))
    # The decay is at least 0.01: after 40 steps the swing is at most exp(-0.4) of the first.
    assert np.abs(series[:, 40:]).max() <= 0.5 * math.exp(-0.01 * 40) + 1e-6


def test_damped_sine_sequences_deterministic_and_bad_arguments():
    a = problems.damped_sine_sequences(10, seed=5)
    b = problems.damped_sine_sequences(10, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], problems.damped_sine_sequences(10, seed=6)[0])
    with pytest.raises(ValueError, match="n_out="):
        problems.damped_sine_sequences(10, n_out=0)
    with pytest.raises(ValueError, match="periods="):
        problems.damped_sine_sequences(10, periods=(20, 10))
    with pytest.raises(ValueError, match="decays="):
        problems.damped_sine_sequences(10, decays=(-0.1, 0.1))
    with pytest.raises(ValueError, match="decays="):
        problems.damped_sine_sequences(10, decays=(0, float("inf")))


# ---------------------------------------------------------------------------------------------
# Moving line (Chapter 8)
# ---------------------------------------------------------------------------------------------


def _line_positions(video):
    """(row, col) of the pixel each frame adds, from a video (frames, rows, cols, 1)."""
    frames = video[..., 0].astype(np.int8)
    added = np.diff(np.concatenate([np.zeros_like(frames[:1]), frames]), axis=0)
    assert added.min() == 0  # nothing is ever erased
    assert np.all(added.sum(axis=(1, 2)) == 1)  # exactly one new pixel per frame
    where = np.argwhere(added == 1)  # sorted by frame
    return where[:, 1], where[:, 2]


def test_moving_line_shapes_and_dtypes():
    X, y = problems.moving_line_videos(16, size=12, seed=0)
    assert X.shape == (16, 12, 12, 12, 1) and X.dtype == np.bool_
    assert y.shape == (16,) and y.dtype == np.uint8 and set(np.unique(y)) <= {0, 1}
    # frame t holds t + 1 pixels
    np.testing.assert_array_equal(X.sum(axis=(2, 3, 4)), np.tile(np.arange(1, 13), (16, 1)))


def test_moving_line_moves_in_the_labelled_direction():
    X, y = problems.moving_line_videos(60, size=15, seed=1)
    assert 0 < y.sum() < 60  # both directions occur
    for video, label in zip(X, y, strict=True):
        rows, cols = _line_positions(video)
        expected_cols = np.arange(15) if label == 1 else np.arange(15)[::-1]
        np.testing.assert_array_equal(cols, expected_cols)
        assert np.all(np.abs(np.diff(rows)) <= 1)  # the row drifts by at most one


def test_moving_line_row_steps_are_uniform_over_the_valid_rows_as_in_the_book():
    # With 3 rows, from the edge rows the next row is one of 2 (each 1/2), from the
    # middle one of 3 (each 1/3): the book's randint(max(0, r - 1), min(size - 1, r + 1)).
    X, _ = problems.moving_line_videos(3000, size=3, seed=2)
    rows = np.stack([_line_positions(v)[0] for v in X])
    previous, following = rows[:, :-1].ravel(), rows[:, 1:].ravel()
    assert abs(np.mean(following[previous == 0] == 0) - 1 / 2) < 0.03
    assert abs(np.mean(following[previous == 1] == 1) - 1 / 3) < 0.03
    assert abs(np.mean(rows[:, 0] == 2) - 1 / 3) < 0.03  # the first row is uniform


def test_moving_line_deterministic_and_bad_arguments():
    a, b = problems.moving_line_videos(5, size=8, seed=9), problems.moving_line_videos(5, size=8, seed=9)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], problems.moving_line_videos(5, size=8, seed=10)[0])
    with pytest.raises(ValueError, match="size="):
        problems.moving_line_videos(5, size=1)
    with pytest.raises(ValueError, match="n="):
        problems.moving_line_videos(0)
    with pytest.raises(TypeError, match="size="):
        problems.moving_line_videos(5, size=7.5)


def test_decode_directions():
    assert problems.decode_directions([0.9, 0.1, 0.5]).tolist() == ["right", "left", "left"]
    assert problems.decode_directions(np.array([[0.7], [0.2]])).tolist() == ["right", "left"]
    assert problems.decode_directions([1, 0]).tolist() == ["right", "left"]
    with pytest.raises(ValueError, match="predictions"):
        problems.decode_directions(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="threshold="):
        problems.decode_directions([0.5], threshold=2)
    with pytest.raises(ValueError, match="predictions"):
        problems.decode_directions([0.9, np.nan])  # NaN > 0.5 is False: it would read as "left"
    with pytest.raises(TypeError, match="predictions"):
        problems.decode_directions(["x"])


def test_moving_line_dataset_batches():
    data = problems.MovingLineDataset(70, batch_size=32, size=10, seed=4)
    assert len(data) == 3
    X, y = data[0]
    assert X.shape == (32, 10, 10, 10, 1) and X.dtype == np.float32
    assert y.shape == (32,) and y.dtype == np.float32
    assert data[2][0].shape == (6, 10, 10, 10, 1)  # the last batch holds what is left
    # The same index gives the same batch, made from the compact bool videos.
    videos, labels = data.videos(1)
    assert videos.dtype == np.bool_
    np.testing.assert_array_equal(data[1][0], videos.astype(np.float32))
    np.testing.assert_array_equal(data[1][1], labels)
    assert not np.array_equal(data[0][0][:6], data[2][0])  # batches are independent draws
    np.testing.assert_array_equal(data.labels(), np.concatenate([data[i][1] for i in range(3)]))
    # Labels agree with the videos inside a batch too.
    for video, label in zip(videos, labels, strict=True):
        cols = _line_positions(video)[1]
        assert (cols[-1] > cols[0]) == bool(label)


def test_moving_line_dataset_is_deterministic_per_seed_and_checks_arguments():
    a = problems.MovingLineDataset(10, batch_size=4, size=6, seed=1)
    b = problems.MovingLineDataset(10, batch_size=4, size=6, seed=1)
    np.testing.assert_array_equal(a[2][0], b[2][0])
    assert not np.array_equal(a[0][0], problems.MovingLineDataset(10, batch_size=4, size=6, seed=2)[0][0])
    with pytest.raises(IndexError, match="index"):
        a[3]
    with pytest.raises(ValueError, match="batch_size="):
        problems.MovingLineDataset(10, batch_size=0)
    with pytest.raises(ValueError, match="n="):
        problems.MovingLineDataset(0)
    with pytest.raises(ValueError, match="seed="):
        problems.MovingLineDataset(10, seed=-1)
    with pytest.raises(TypeError, match="seed=1.5"):
        problems.MovingLineDataset(10, seed=1.5)
