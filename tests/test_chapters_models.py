"""Quick runs of Chapters 6-8 (vanilla, stacked and CNN LSTMs): they learn, and report what they should."""

import pytest

pytestmark = pytest.mark.chapter


def test_ch06_quick_run_learns_the_echo(quick_run):
    record = quick_run("ch06_vanilla_lstm")
    metrics = record["metrics"]
    # Chance is 0.1 on ten values; a few hundred sequences already lift it well above.
    assert 0.2 < metrics["accuracy"] <= 1.0
    assert metrics["n_test"] == 200
    assert record["settings"]["n_train"] == 1000
    assert record["figures"] == ["echo_examples.png"]
    assert set(record["profile"]) == {"generate_s", "fit_s", "evaluate_s"}
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


def test_ch08_quick_run_learns_the_direction_in_little_memory(quick_run):
    record = quick_run("ch08_cnn_lstm")
    metrics = record["metrics"]
    assert 0.55 < metrics["accuracy"] <= 1.0  # above chance (0.5) after two short epochs
    assert 0 < metrics["rss_before_data_mb"] <= metrics["peak_rss_mb"]
    # The data adds little: one batch of 32 small videos at a time (the process peak is shared
    # with the tests before this one, so only the growth is checked).
    assert metrics["peak_rss_mb"] - metrics["rss_before_data_mb"] < 1024
    assert record["settings"]["size"] == 20
    assert record["figures"] == ["moving_line_frames.png"]
    assert {"generate_s_estimated", "fit_s", "evaluate_s"} <= set(record["profile"])
