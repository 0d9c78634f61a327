"""Quick runs of Chapters 6-8 (vanilla, stacked and CNN LSTMs): they learn, and report what they should.

Each chapter runs once per session as a notebook (the ``quick_run``/``chapter_notebook``
fixtures); the tests read its metrics.json and, where a step's result is shown but not
recorded, the output of the cell that shows it.
"""

import ast
import re

import numpy as np
import pytest

pytestmark = pytest.mark.chapter


def test_ch06_quick_run_learns_the_echo(quick_run):
    record = quick_run("ch06_vanilla_lstm")
    metrics = record["metrics"]
    # Chance is 0.1 on ten values; a few hundred sequences already lift it well above.
    assert 0.2 < metrics["accuracy"] <= 1.0
    assert metrics["n_test"] == 200
    assert record["settings"]["n_train"] == 1024
    assert record["figures"] == ["echo_examples.png"]
    # The notebook runner times each section from the executed cells.
    assert {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate"} <= set(record["profile"])
    assert all(seconds >= 0 for seconds in record["profile"].values())
    assert record["targets"] == {"accuracy": {"op": ">=", "value": 0.99}}


def test_ch07_quick_run_learns_and_shows_return_sequences(quick_run):
    record = quick_run("ch07_stacked_lstm")
    metrics = record["metrics"]
    demo = record["return_sequences_demo"]
    assert demo["return_sequences_true_shape"] == [1, 3, 1]  # one output per step of [0.1, 0.2, 0.3]
    assert demo["return_sequences_false_shape"] == [1, 1]  # one output for the sequence
    curve = record["train_mae_by_epoch"]
    assert curve[-1] < 0.6 * curve[0]  # the training error falls
    assert 0.0 < metrics["mae"] < 0.2 and 0.0 < metrics["baseline_mae"] < 0.1
    assert set(record["figures"]) == {"damped_sine_waves.png", "damped_sine_predictions.png"}
    assert record["main_figure"] == "damped_sine_predictions.png"
    # The notebook runner times each section from the executed cells.
    assert {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate"} <= set(record["profile"])
    assert all(seconds >= 0 for seconds in record["profile"].values())
    assert record["settings"]["n_train"] == 625 and metrics["n_test"] == 100


def test_ch07_notebook_shows_the_demo_and_the_training_it_records(chapter_notebook):
    result = chapter_notebook(7)
    record = result.record
    # The demo cell prints both outputs: three values (one per step) with return_sequences,
    # and one without it, which is the last of the three (the LSTM's final output).
    demo = result.cell_output("return_sequences_demo = {}")
    blocks = re.findall(r"return_sequences=(True|False): output shape (\([\d, ]+\))\n([^r]*)", demo)
    assert [(flag, ast.literal_eval(shape)) for flag, shape, _ in blocks] == [("True", (1, 3, 1)),
                                                                             ("False", (1, 1))]
    per_step, last = ([float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)] for *_, text in blocks)
    assert len(per_step) == 3 and last == pytest.approx(per_step[-1:], abs=1e-6)
    # The training cell shows one MAE per epoch: the curve metrics.json records.
    shown = [float(v) for v in re.findall(r"epoch \d+: MAE (\d+\.\d+)", result.cell_output("model.fit("))]
    assert shown == pytest.approx(record["train_mae_by_epoch"], abs=5e-5)
    assert len(shown) == record["settings"]["epochs"] == 3


def test_ch08_quick_run_learns_the_direction_in_little_memory(quick_run):
    record = quick_run("ch08_cnn_lstm")
    metrics = record["metrics"]
    assert 0.55 < metrics["accuracy"] <= 1.0  # above chance (0.5) after two short epochs
    assert 0 < metrics["rss_before_data_mb"] <= metrics["peak_rss_mb"]
    # The data adds little: one batch of 32 small videos at a time (the process peak is shared
    # with the tests before this one, so only the growth is checked).
    assert metrics["peak_rss_mb"] - metrics["rss_before_data_mb"] < 1024
    assert record["settings"]["size"] == 20
    # Two passes of 10 batches, checked every 5: the kept weights are the lowest validation loss's.
    assert (record["settings"]["checks"], record["settings"]["steps_per_check"]) == (4, 5)
    losses = record["val_loss_by_check"]
    assert len(losses) == 4 and metrics["best_check"] == 1 + int(np.argmin(losses))
    assert record["figures"] == ["moving_line_frames.png"]
    # The notebook runner times each section from the executed cells.
    assert {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate"} <= set(record["profile"])
    assert all(seconds >= 0 for seconds in record["profile"].values())
    assert record["targets"] == {"accuracy": {"op": ">=", "value": 0.95},
                                 "peak_rss_mb": {"op": "<", "value": 2048}}


def test_ch08_notebook_streams_one_float32_batch_of_videos_at_a_time(chapter_notebook):
    result = chapter_notebook(8)
    shown = result.cell_output("train[index]")
    # A batch of 32 videos of 20 frames of 20x20 grey pixels, float32 only when Keras gets it.
    batch = re.search(r"x (\([\d, ]+\)) (\w+), y (\([\d, ]+\))", shown)
    assert batch, shown
    assert ast.literal_eval(batch.group(1)) == (32, 20, 20, 20, 1) and batch.group(2) == "float32"
    assert ast.literal_eval(batch.group(3)) == (32,)
    # The time to make all the batches, estimated from the ones timed, is shown (not recorded).
    assert re.search(r"all 10 batches take about \d+\.\d\d s to make", shown), shown
    # 320 videos in batches of 32: 10 batches; one test batch of 100.
    data = result.cell_output("problems.MovingLineDataset(")
    assert re.search(r"\b10 training batches, 1 test batches", data), data
    # The book's pooling never sees the frame's last row or column; the chapter's padded one does.
    probe = result.cell_output("pixels_seen('valid'")
    for where in ("last row", "last column"):
        assert re.search(rf"{where}\s+lights 0 pooled values with the book's pooling, [1-9]\d* with padding",
                         probe), probe
    assert re.search(r"middle\s+lights [1-9]", probe), probe
    trained = result.cell_output("keep_best = ")
    assert len(re.findall(r"^check +\d+ \(after +\d+ batches\)", trained, flags=re.M)) == 4, trained
    assert re.search(r"kept the weights of check [1-4] of 4", trained), trained
