"""Chapters 1, 2, 4 and 5: their data generators and helpers, and a quick run of each."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from chapters import ch01_what_are_lstms as ch01
from chapters import ch02_training_lstms as ch02
from chapters import ch04_lstms_in_keras as ch04
from chapters import ch05_sequence_models as ch05

# --- data generators and helpers -----------------------------------------------------------------


def test_first_sign_sequences_hide_the_answer_at_step_zero():
    X, y = ch01.first_sign_sequences(500, seed=0)
    assert X.shape == (500, ch01.TIMESTEPS, 1) and y.shape == (500,)
    np.testing.assert_array_equal(y, (X[:, 0, 0] > 0).astype("float32"))
    assert ch01.SIGNAL[0] <= np.abs(X[:, 0, 0]).min() and np.abs(X[:, 0, 0]).max() <= ch01.SIGNAL[1]
    assert 0.4 < y.mean() < 0.6
    np.testing.assert_array_equal(X, ch01.first_sign_sequences(500, seed=0)[0])


def test_adding_problem_marks_one_value_in_each_half():
    X, y = ch02.adding_problem(300, 20, seed=3)
    assert X.shape == (300, 20, 2) and y.shape == (300,)
    markers = X[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:, :10].sum(axis=1) == 1).all() and (markers[:, 10:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (X[..., 0] * markers).sum(axis=1), rtol=1e-6)
    assert ((X[..., 0] >= 0) & (X[..., 0] < 1)).all()
    np.testing.assert_array_equal(y, ch02.adding_problem(300, 20, seed=3)[1])


def test_input_gradients_of_a_linear_model_are_its_weights():
    inputs = keras.Input(shape=(3, 2))
    dense = keras.layers.Dense(1, use_bias=False, name="dense")
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    weights = np.arange(6, dtype="float32").reshape(6, 1)
    dense.set_weights([weights])
    x = np.random.default_rng(0).normal(size=(4, 3, 2)).astype("float32")
    grads = ch02.input_gradients(model, x)
    assert grads.shape == x.shape
    np.testing.assert_allclose(grads, np.broadcast_to(weights.reshape(1, 3, 2), x.shape), atol=1e-6)


# Run in a fresh process: a Keras process cannot switch backends once Keras is imported.
JAX_GRADIENTS = """
import sys
import keras
import numpy as np
from chapters import ch02_training_lstms as ch02
model = keras.models.load_model(sys.argv[1])
np.save(sys.argv[3], ch02.input_gradients(model, np.load(sys.argv[2])))
print(keras.backend.backend())
"""


@pytest.mark.jax
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_input_gradients_agree_on_jax_and_tensorflow(tmp_path):
    keras.utils.set_random_seed(0)
    model = ch02.open_forget_gate(ch02.build_recurrent_regressor("lstm"))  # gradients reach every step
    model.save(tmp_path / "lstm.keras")
    x, _ = ch02.adding_problem(4, 30, seed=0)
    np.save(tmp_path / "x.npy", x)
    expected = ch02.input_gradients(model, x)
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", JAX_GRADIENTS, str(tmp_path / "lstm.keras"),
                           str(tmp_path / "x.npy"), str(tmp_path / "grads.npy")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == "jax"
    grads = np.load(tmp_path / "grads.npy")
    assert grads.shape == x.shape and np.abs(grads[:, 0]).max() > 1e-4
    np.testing.assert_allclose(grads, expected, rtol=1e-3, atol=1e-6)


def test_open_forget_gate_sets_only_the_forget_bias():
    keras.utils.set_random_seed(0)
    model = ch02.build_recurrent_regressor("lstm")
    kernel, recurrent, bias = model.get_layer("recurrent").get_weights()
    ch02.open_forget_gate(model)
    kernel2, recurrent2, bias2 = model.get_layer("recurrent").get_weights()
    units = ch02.UNITS
    np.testing.assert_array_equal(kernel, kernel2)
    np.testing.assert_array_equal(recurrent, recurrent2)
    assert (bias2[units:2 * units] == ch02.OPEN_FORGET_BIAS).all()
    others = np.s_[units:2 * units]
    np.testing.assert_array_equal(np.delete(bias2, others), np.delete(bias, others))


def test_framed_sequence_is_the_books_t_minus_1_to_t():
    X, y = ch04.framed_sequence()
    assert X.shape == (9, 1, 1) and y.shape == (9,)
    np.testing.assert_allclose(X[:, 0, 0], np.arange(9) / 10, atol=1e-6)
    np.testing.assert_allclose(y, np.arange(1, 10) / 10, atol=1e-6)


def test_sequence_mapping_tasks():
    rng = np.random.default_rng(0)
    X, y = ch05.next_digit(50, rng)
    assert X.shape == (50, 1, 10) and ((X.argmax(-1)[:, 0] + 1) % 10 == y).all()
    X, y = ch05.count_up(50, rng)
    assert X.shape == (50, 1, 10) and y.shape == (50, ch05.COUNT_STEPS)
    assert (y[:, 0] == X.argmax(-1)[:, 0]).all() and ((np.diff(y, axis=1) % 10) == 1).all()
    X, y = ch05.count_bits(50, rng)
    assert X.shape == (50, ch05.BITS, 1) and (y == X[..., 0].sum(axis=1)).all()
    X, y = ch05.running_max(50, rng)
    assert X.shape == (50, ch05.MAX_STEPS, 10) and (np.diff(y, axis=1) >= 0).all()
    assert (y[:, -1] == X.argmax(-1).max(axis=1)).all()


@pytest.mark.parametrize(("mapping", "input_shape", "n_classes", "output_shape"), [
    ("one_to_one", (1, 10), 10, (None, 10)),
    ("one_to_many", (1, 10), 10, (None, ch05.COUNT_STEPS, 10)),
    ("many_to_one", (ch05.BITS, 1), 11, (None, 11)),
    ("many_to_many", (ch05.MAX_STEPS, 10), 10, (None, ch05.MAX_STEPS, 10)),
])
def test_mapping_models_have_the_mappings_shapes(mapping, input_shape, n_classes, output_shape):
    model = ch05.build_model(mapping, input_shape, n_classes)
    assert tuple(model.output.shape) == output_shape


# --- quick runs ------------------------------------------------------------------------------------


@pytest.mark.chapter
def test_ch01_quick(quick_run):
    record = quick_run("ch01_what_are_lstms")
    metrics = record["metrics"]
    # The NumPy cell matches Keras even in quick mode: it does not depend on training.
    assert metrics["max_abs_diff"] <= 1e-5
    assert metrics["trained_max_abs_diff"] <= 1e-5
    # The last window holds nothing about the class, so the window MLP is at chance.
    assert abs(metrics["mlp_accuracy"] - 0.5) < 0.15
    assert 0.0 <= metrics["lstm_accuracy"] <= 1.0
    assert {"gate_activations.png", "window_vs_lstm.png"} <= set(record["figures"])


@pytest.mark.chapter
def test_ch02_quick(quick_run):
    record = quick_run("ch02_training_lstms")
    metrics = record["metrics"]
    assert {"lstm_adding_mse", "rnn_adding_mse", "tbptt_25_mse"} <= set(metrics)
    assert 0.1 < metrics["mean_predictor_mse"] < 0.25  # Var(u1 + u2) = 1/6
    # The constant error carousel, at initialisation: with the forget gate open the
    # gradient 100 steps back is orders of magnitude larger than with Keras's init.
    assert metrics["lstm_open_init_grad_lag100"] > 1e3 * metrics["lstm_init_grad_lag100"]
    assert {"gradient_vs_lag.png", "tbptt.png", "adding_learning_curves.png"} <= set(record["figures"])


@pytest.mark.chapter
def test_ch04_quick(quick_run):
    record = quick_run("ch04_lstms_in_keras")
    assert record["shapes"]["one_series_shape"] == [1, 10, 1]
    assert record["shapes"]["two_series_shape"] == [1, 10, 2]
    assert record["shapes"]["same_as_numpy_reshape"] is True
    metrics = record["metrics"]
    for key in ("mse", "max_error", "stateful_mse", "stateful_max_error"):
        assert np.isfinite(metrics[key]) and metrics[key] >= 0
    assert metrics["mse"] <= metrics["max_error"] ** 2 + 1e-9  # a mean never exceeds the largest


@pytest.mark.chapter
def test_ch05_quick(quick_run):
    record = quick_run("ch05_sequence_models")
    metrics = record["metrics"]
    accuracies = [metrics[f"{mapping}_accuracy"] for mapping in ch05.MAPPINGS]
    assert metrics["min_accuracy"] == min(accuracies)
    assert all(0.0 <= a <= 1.0 for a in accuracies)
    shapes = record["shapes"]
    assert shapes["one_to_many"]["input"][1:] == [1, 10]
    assert shapes["one_to_many"]["output"][1:] == [ch05.COUNT_STEPS]
    assert shapes["many_to_one"]["output"][1:] == []
    assert shapes["many_to_many"]["output"][1:] == [ch05.MAX_STEPS]
