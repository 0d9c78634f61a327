"""Quick runs of Chapters 9-11 (encoder-decoder, bidirectional, generative LSTMs).

Each chapter runs once per session as a notebook (the ``quick_run``/``chapter_notebook``
fixtures); the tests read its metrics.json and, where a step's result is shown but not
recorded, the output of the cell that shows it. The closed-loop generator of Chapter 11 is
``lstmbook.training.generate_closed_loop``, tested in tests/test_training.py.
"""

import ast
import math
import re

import numpy as np
import pytest

from lstmbook.problems import rectangle_shape_error

pytestmark = pytest.mark.chapter

VARIANTS = {"forward", "backward", "bidirectional_sum", "bidirectional_mul", "bidirectional_ave",
            "bidirectional_concat"}


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
    assert record["settings"] == {"n_train": 1024, "n_test": 200, "epochs": 1, "batch_size": 32,
                                  "hard_largest": 100, "hard_epochs": 1}
    # The notebook runner times each section, the harder setting's own among them.
    sections = {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate",
                "Beyond the book: numbers up to 100"}
    assert sections <= set(record["profile"])
    assert all(seconds >= 0 for seconds in record["profile"].values())


def test_ch09_notebook_shows_the_harder_problems_read_back_to_front(chapter_notebook):
    shown = chapter_notebook(9).cell_output("HARD_REVERSE_INPUT:")
    assert "X(1024, 11, 12), y(1024, 3, 12)" in shown  # 11 characters in, 3 out
    read, problem, answer = re.search(r"reads '([^']*)' for '([^']*)' -> '([^']*)'", shown).groups()
    assert len(read) == 11 and read[::-1].strip() == problem  # the padded problem, reversed
    assert int(answer) == sum(int(term) for term in problem.split("+"))


def test_ch10_bidirectional_quick(quick_run):
    record = quick_run("ch10_bidirectional_lstm")
    metrics = record["metrics"]
    assert set(record["learning_curves"]) == VARIANTS
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
    assert record["settings"]["n_train"] == 250 and record["settings"]["n_test"] == 200
    assert {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate"} <= set(record["profile"])


def test_ch10_notebook_builds_every_variant_with_one_output_per_step(chapter_notebook):
    shown = chapter_notebook(10).cell_output("def build_variant(")
    row = re.compile(r"^(\w+)\s+output (\([^)]*\)),\s+(\d+) features.*?layers (\[.*\])$", re.MULTILINE)
    rows = row.findall(shown)
    built = {name: (shape, int(features), ast.literal_eval(layers)) for name, shape, features, layers in rows}
    assert set(built) == VARIANTS
    for name, (shape, features, layers) in built.items():
        assert shape == "(None, 10, 1)", name  # one sigmoid per step, in input order
        # concat hands the output layer both directions' 50 cells; the other merges combine them.
        assert features == (100 if name == "bidirectional_concat" else 50), name
        assert layers[0] == "inputs" and layers[-1] == "output"
    # The backward LSTM's outputs are put back in input order before the output layer.
    assert built["backward"][2] == ["inputs", "lstm", "reverse_time", "output"]
    assert built["forward"][2] == ["inputs", "lstm", "output"]


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
    assert record["settings"] == {"n_rectangles": 500, "epochs": 2, "batch_size": 32}
    assert {"Setup", "Prepare the data", "Build the model", "Train", "Evaluate"} <= set(record["profile"])


def test_ch11_notebook_rebuilds_each_rectangle_from_its_samples(chapter_notebook):
    shown = chapter_notebook(11).cell_output("def corners_of(")
    corners = np.array(ast.literal_eval(re.search(r"corners: (\[\[.*\]\])", shown).group(1)))
    # [0, 0] -> [w, 0] -> [w, h] -> [0, h]: an axis-aligned rectangle anchored at the origin.
    assert corners.shape == (4, 2)
    (x0, y0), (w, y1), (x2, h), (x3, y3) = corners
    assert (x0, y0, y1, x3) == (0.0, 0.0, 0.0, 0.0) and x2 == w and y3 == h
    assert 0.0 < w < 1.0 and 0.0 < h < 1.0
    assert rectangle_shape_error(corners[1:]) == 0.0
