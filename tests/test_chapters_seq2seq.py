"""Quick runs of Chapters 9-11 (encoder-decoder, bidirectional, generative LSTMs)."""

import math

import numpy as np
import pytest

from lstmbook.problems import rectangle_shape_error

pytestmark = pytest.mark.chapter


def test_ch09_encoder_decoder_quick(quick_run):
    record = quick_run("ch09_encoder_decoder_lstm")
    metrics = record["metrics"]
    for key in ("char_accuracy", "sum_accuracy", "hard_char_accuracy", "hard_sum_accuracy"):
        assert 0.0 <= metrics[key] <= 1.0, key
    # A whole sum is right only when all its characters are.
    assert metrics["sum_accuracy"] <= metrics["char_accuracy"]
    assert metrics["hard_sum_accuracy"] <= metrics["hard_char_accuracy"]
    assert math.isfinite(metrics["final_loss"]) and math.isfinite(metrics["hard_final_loss"])
    # Ten printed problems whose expected answers are their true sums (the harder ones are
    # read back to front by the model, but printed the right way round).
    examples = record["examples"]
    assert len(examples) == 10
    for row in examples + record["hard_examples"]:
        terms = [int(t) for t in row["problem"].split("+")]
        assert len(terms) == 3 and int(row["expected"]) == sum(terms)
    assert metrics["shown_sums_wrong"] == sum(row["expected"] != row["predicted"] for row in examples)
    assert max(int(row["problem"].split("+")[0]) for row in record["hard_examples"]) <= 100
    assert "addition_results.png" in record["figures"]


def test_ch10_bidirectional_quick(quick_run):
    from chapters.ch10_bidirectional_lstm import VARIANTS

    record = quick_run("ch10_bidirectional_lstm")
    metrics = record["metrics"]
    assert set(VARIANTS) == {"forward", "backward", "bidirectional_sum", "bidirectional_mul",
                             "bidirectional_ave", "bidirectional_concat"}
    for variant in VARIANTS:
        loss = metrics[f"{variant}_final_loss"]
        assert math.isfinite(loss) and loss > 0, variant
        # The final loss is the last point of the plotted learning curve.
        curve = record["learning_curves"][variant]
        assert len(curve) == record["settings"]["epochs"] and curve[-1] == pytest.approx(loss)
        assert 0.0 <= metrics[f"{variant}_accuracy"] <= 1.0
    assert metrics["accuracy"] == metrics["bidirectional_concat_accuracy"]
    assert 0.5 < metrics["accuracy"] <= 1.0  # even a tiny run beats guessing the labels
    assert {"variant_learning_curves.png", "cumulative_sum_examples.png"} <= set(record["figures"])


def test_ch11_generative_quick(quick_run):
    record = quick_run("ch11_generative_lstm")
    metrics = record["metrics"]
    generated = np.asarray(record["generated_corners"])
    assert generated.shape == (3, 2)
    assert metrics["shape_error"] == pytest.approx(rectangle_shape_error(generated))
    assert metrics["shape_error"] >= 0.0
    assert 0.0 <= metrics["completion_shape_error_median"] <= metrics["completion_shape_error_max"]
    assert metrics["completion_shape_error"] <= metrics["completion_shape_error_max"]
    assert 0.0 <= metrics["completion_failed_fraction"] <= 1.0
    assert record["figures"] == ["rectangles.png"]


def test_ch11_generate_feeds_predictions_back():
    """The generator's loop: each step's input is the previous step's output, for every shape."""
    import keras

    from chapters.ch11_generative_lstm import generate

    inputs = keras.Input(shape=(1, 2))
    # A model that adds [0.1, 0.2] to its input, so that each corner is the last plus a step.
    outputs = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(2, kernel_initializer="identity",
                                 bias_initializer=keras.initializers.Constant([0.1, 0.2]))(outputs)
    model = keras.Model(inputs, outputs)
    starts = np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    corners = generate(model, starts, n_steps=3)
    assert corners.shape == (2, 3, 2)
    expected = starts[:, None] + np.arange(1, 4)[None, :, None] * np.array([0.1, 0.2])
    np.testing.assert_allclose(corners, expected, atol=1e-6)
