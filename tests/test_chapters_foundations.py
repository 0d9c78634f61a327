"""Chapters 1, 2, 4 and 5, through their quick runs executed as notebooks.

A chapter is a tutobook: importing it would run it. Its helpers are checked through what
its quick run records (the ``quick_run`` fixture), and the generators the chapters share
with readers live in ``lstmbook.problems`` and ``lstmbook.cell``, tested on their own.
Only the backend-specific ``input_gradients`` of Chapter 2 is also lifted out of the
tutobook's source, to check it on JAX against TensorFlow with the same weights.
"""

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from lstmbook import cell, problems

ROOT = Path(__file__).resolve().parent.parent
CH02 = ROOT / "chapters" / "ch02_training_lstms.py"


def chapter_function(path: Path, name: str, namespace: dict):
    """The top-level function ``name`` of a chapter, defined alone, without running the chapter."""
    source = path.read_text(encoding="utf-8")
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    exec(compile(ast.get_source_segment(source, node), str(path), "exec"), namespace)
    return namespace[name]


# --- Chapter 1 ----------------------------------------------------------------------------------


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
    assert metrics["chance_accuracy"] == 0.5
    assert {"gate_activations.png", "window_vs_lstm.png"} <= set(record["figures"])
    # The notebook runner times each section, the closing Summary's printout included.
    sections = {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate", "Summary"}
    assert sections <= set(record["profile"])


# --- Chapter 2 ----------------------------------------------------------------------------------


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
    sections = {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate", "Summary"}
    assert sections <= set(record["profile"])


@pytest.mark.chapter
def test_ch02_input_gradients_of_a_linear_model_are_its_weights(quick_run):
    # The chapter checks its own helper: d(sum of w * x)/dx = w, for a (4, 3, 2) batch.
    check = quick_run("ch02_training_lstms")["input_gradients_check"]
    assert check["shape"] == [4, 3, 2]
    assert check["max_abs_error"] <= 1e-6


# Run in a fresh process: a Keras process cannot switch backends once Keras is imported.
JAX_GRADIENTS = """
import sys
import keras
import numpy as np
from tests.test_chapters_foundations import CH02, chapter_function
input_gradients = chapter_function(CH02, "input_gradients", {"keras": keras, "np": np})
model = keras.models.load_model(sys.argv[1])
np.save(sys.argv[3], input_gradients(model, np.load(sys.argv[2])))
print(keras.backend.backend())
"""


@pytest.mark.jax
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_ch02_input_gradients_agree_on_jax_and_tensorflow(tmp_path):
    input_gradients = chapter_function(CH02, "input_gradients", {"keras": keras, "np": np})
    # Chapter 2's LSTM regressor with its forget gate held open, so that gradients reach every step.
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None, 2))
    outputs = keras.layers.Dense(1)(keras.layers.LSTM(64, name="recurrent")(inputs))
    model = keras.Model(inputs, outputs)
    cell.set_forget_bias(model.get_layer("recurrent"), 5.0)
    model.save(tmp_path / "lstm.keras")
    x, _ = problems.adding_problem(4, 30, seed=0)
    np.save(tmp_path / "x.npy", x)
    expected = input_gradients(model, x)
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", JAX_GRADIENTS, str(tmp_path / "lstm.keras"),
                           str(tmp_path / "x.npy"), str(tmp_path / "grads.npy")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == "jax"
    grads = np.load(tmp_path / "grads.npy")
    assert grads.shape == x.shape and np.abs(grads[:, 0]).max() > 1e-4
    np.testing.assert_allclose(grads, expected, rtol=1e-3, atol=1e-6)


# --- Chapter 4 ----------------------------------------------------------------------------------


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
    # The notebook runner times each section from the executed cells.
    assert {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate"} <= set(record["profile"])
    assert all(seconds >= 0 for seconds in record["profile"].values())


@pytest.mark.chapter
def test_ch04_framed_sequence_is_the_books_t_minus_1_to_t(quick_run):
    framed = quick_run("ch04_lstms_in_keras")["framed"]
    assert framed["X_shape"] == [9, 1, 1] and framed["y_shape"] == [9]
    np.testing.assert_allclose(framed["x"], np.arange(9) / 10, atol=1e-6)
    np.testing.assert_allclose(framed["y"], np.arange(1, 10) / 10, atol=1e-6)


# --- Chapter 5 ----------------------------------------------------------------------------------

MAPPINGS = ("one_to_one", "one_to_many", "many_to_one", "many_to_many")


@pytest.mark.chapter
def test_ch05_quick(quick_run):
    record = quick_run("ch05_sequence_models")
    metrics = record["metrics"]
    accuracies = [metrics[f"{mapping}_accuracy"] for mapping in MAPPINGS]
    assert metrics["min_accuracy"] == min(accuracies)
    assert all(0.0 <= a <= 1.0 for a in accuracies)
    for mapping in ("one_to_many", "many_to_many"):  # whole sequences right are rarer than steps
        assert metrics[f"{mapping}_whole_accuracy"] <= metrics[f"{mapping}_accuracy"]
    shapes = record["shapes"]
    assert shapes["one_to_one"]["input"][1:] == [1, 10] and shapes["one_to_one"]["output"][1:] == []
    assert shapes["one_to_many"]["input"][1:] == [1, 10]
    assert shapes["one_to_many"]["output"][1:] == [5]
    assert shapes["many_to_one"]["input"][1:] == [10, 1] and shapes["many_to_one"]["output"][1:] == []
    assert shapes["many_to_many"]["input"][1:] == [8, 10]
    assert shapes["many_to_many"]["output"][1:] == [8]


@pytest.mark.chapter
def test_ch05_models_have_the_mappings_shapes(quick_run):
    # One softmax per output step: the model's output is the target's shape plus the classes
    # (10 digits, or 0..10 bits set).
    shapes = quick_run("ch05_sequence_models")["shapes"]
    assert shapes["one_to_one"]["model_output"] == [None, 10]
    assert shapes["one_to_many"]["model_output"] == [None, 5, 10]
    assert shapes["many_to_one"]["model_output"] == [None, 11]
    assert shapes["many_to_many"]["model_output"] == [None, 8, 10]
    for mapping in MAPPINGS:
        assert shapes[mapping]["model_output"][1:-1] == shapes[mapping]["output"][1:]


@pytest.mark.chapter
def test_ch05_tasks_are_the_mappings_they_name(quick_run):
    examples = quick_run("ch05_sequence_models")["examples"]
    x, y = (np.array(examples["one_to_one"][k]) for k in ("x", "y"))  # x (n, 1) digits, y (n,)
    assert x.shape[1:] == (1,) and y.ndim == 1 and ((x[:, 0] + 1) % 10 == y).all()
    x, y = (np.array(examples["one_to_many"][k]) for k in ("x", "y"))  # x (n, 1), y (n, 5)
    assert y.shape[1:] == (5,) and (y[:, 0] == x[:, 0]).all() and ((np.diff(y, axis=1) % 10) == 1).all()
    x, y = (np.array(examples["many_to_one"][k]) for k in ("x", "y"))  # x (n, 10) bits, y (n,)
    assert x.shape[1:] == (10,) and set(np.unique(x)) <= {0, 1} and (y == x.sum(axis=1)).all()
    x, y = (np.array(examples["many_to_many"][k]) for k in ("x", "y"))  # x (n, 8) digits, y (n, 8)
    assert x.shape[1:] == (8,) and y.shape == x.shape
    np.testing.assert_array_equal(y, np.maximum.accumulate(x, axis=1))
    assert all(len(examples[mapping]["y"]) == 10 for mapping in MAPPINGS)
