"""The benchmarks' own logic: the per-sample references build the same arrays, ratios, Markdown.

The timings themselves are `make bench`'s job; these tests check what the timings rest on.
"""

import numpy as np
import pytest

from benchmarks import __main__ as bench
from benchmarks import book_loops, builders, generators
from benchmarks.common import Spread, paired_ratios
from lstmbook import problems

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent


def test_every_generator_has_a_per_sample_reference():
    names = generators.generator_names(problems)
    assert "echo_sequences" in names and "decode_echo" not in names
    assert sorted(set(names) - set(generators.CASES)) == []


@pytest.mark.parametrize("name", sorted(generators.CASES))
@pytest.mark.parametrize("seed", [0, 123])
def test_per_sample_loop_builds_the_same_arrays(name, seed):
    case = generators.CASES[name]
    n = 7 if name == "moving_line_videos" else 40
    ours = getattr(problems, name)(n, seed=seed)
    loop = case.loop(n, seed=seed)
    for a, b in zip(ours, loop, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b)
    assert generators.check_case(problems, case, n=5, seed=seed)["exact"]


def test_compare_arrays_reports_differences():
    x = np.zeros((3, 2), dtype=np.float32)
    assert generators.compare_arrays((x, x), (x, x)) == {
        "equal": True, "exact": True, "max_abs_diff": 0.0, "detail": ""}
    close = generators.compare_arrays((x,), (x + 1e-8,))
    assert close["equal"] and not close["exact"] and close["max_abs_diff"] == pytest.approx(1e-8)
    assert not generators.compare_arrays((x,), (x + 0.1,))["equal"]
    assert not generators.compare_arrays((x,), (x[:2],))["equal"]
    ints = np.zeros(3, dtype=int)
    assert not generators.compare_arrays((ints,), (ints + 1,))["equal"]


def test_time_case_counts_rows_as_samples():
    result = generators.time_case(problems, generators.CASES["rectangle_sequences"], 10, repeats=2)
    assert result["samples"] == 30  # three corner pairs per rectangle
    assert len(result["speedup"]["values"]) == 2 and result["check"]["exact"]


def test_spread_and_paired_ratios():
    spread = Spread.of([3.0, 1.0, 2.0, None])
    assert (spread.min, spread.median, spread.max) == (1.0, 2.0, 3.0)
    assert spread.text("{:.1f}", " s") == "2.0 s (1.0–3.0)"
    assert Spread.of([]).text() == "—" and Spread.of([5]).text("{:.0f}") == "5"
    ratios = paired_ratios([10.0, 20.0, None, 9.0], [5.0, 4.0, 1.0, 0.0])
    assert ratios.values == (2.0, 5.0)  # a missing or zero repeat is skipped, not guessed


def test_book_generators_match_the_books_shapes():
    import random

    X, y = book_loops.echo_example(random.Random(0), 5, 10, 2)
    assert X.shape == (1, 5, 10) and y.shape == (1, 10)
    assert (X.sum(axis=-1) == 1).all() and np.array_equal(y[0], X[0, 2])
    X, y = book_loops.rectangle_samples(random.Random(0))
    assert X.shape == (3, 1, 2) and y.shape == (3, 2)
    assert X[0, 0].tolist() == [0.0, 0.0] and np.array_equal(X[1:, 0], y[:2])
    with pytest.raises(ValueError, match="chapter must be one of"):
        book_loops.run_book_loop(7, 10, 1)


def test_plain_keras_model_is_the_builders_model():
    case = builders.CASES[0]
    X, y = builders.make_data(case, 6)
    assert X.shape == (6, 5, 10) and y.shape == (6, 10) and (y.sum(axis=1) == 1).all()
    check = builders.same_model(case, X)
    assert check["same"] and check["max_abs_diff"] <= 1e-5, check


def test_every_builder_has_a_plain_keras_twin():
    from lstmbook import models

    builder_names = {name for name in dir(models) if name.startswith("build_")}
    assert builder_names == {case.builder for case in builders.CASES}


def test_arguments_are_checked(capsys):
    args = bench.parse_args(["--quick"])
    assert args.repeats == bench.QUICK["repeats"] and args.output.endswith("BENCHMARKS-quick.md")
    assert args.chapters == [6, 11]
    args = bench.parse_args([])
    assert args.repeats == 3 and args.output == "docs/BENCHMARKS.md" and args.only == [1, 2, 3, 4]
    assert args.chapters == [6, 7, 8, 9, 10, 11]
    for bad in (["--only", "5"], ["--chapters", "3"], ["--backends", "torch"], ["--repeats", "0"],
                ["--only", "x"]):
        with pytest.raises(SystemExit):
            bench.parse_args(bad)


def test_render_with_synthetic_results():
    args = bench.parse_args(["--repeats", "2", "--chapters", "6", "--output", "x.md"])
    run = {"seconds": 10.0, "wall": 15.0, "passed": True, "mode": "full", "error": None,
           "metrics": {"accuracy": 1.0}, "targets": {"accuracy": {"op": ">=", "value": 0.99}}}
    slow = dict(run, seconds=20.0, wall=24.0)
    book = {"book_seconds": 400.0, "median_fit_s": 0.04, "first_fit_s": 1.5, "extrapolated": True}
    results = {
        "env": {"date": "today", "cpu": "cpu", "cpus": 2, "platform": "linux",
                "versions": {"keras": "3"}, "load_start": "0"},
        "load_end": "0", "seconds": 60.0, "not_written": [], "backends_skipped": {},
        "chapter_runs": {"6/tensorflow": [run, run], "6/jax": [slow, slow],
                         "11/tensorflow": [run, dict(run, seconds=8.0)]},
        "book": {"6": [book, book], "11": [dict(book, book_seconds=800.0), {"error": "boom"}]},
        "generators": [], "builders": [], "generators_without_loop": [],
    }
    text = bench.render(results, args)
    assert "## 1. The book's training loops vs ours" in text
    assert ("| ch06 | 10,000 fits + 100 predicts | 40.0 ms (40.0–40.0) | 1.50 s (1.50–1.50) | "
            "400 s (400–400) (extrapolated) | 10.0 s (10.0–10.0) | accuracy=1 (>= 0.99): 2/2 ✓ | "
            "40.0× (40.0–40.0) |") in text
    assert "40.0× (40.0–40.0)" in text       # book / ours, per repeat
    assert "80.0×" in text                    # ch11: only the repeat with both numbers counts
    assert "0.50× (0.50–0.50)" in text        # TF / JAX when JAX takes twice as long
    assert "2/2 ✓" in text


def test_flops_are_counted_from_the_matmuls():
    import keras

    from benchmarks import throughput

    inputs = keras.Input(shape=(7, 3))
    hidden = keras.layers.LSTM(4, return_sequences=True)(inputs)
    outputs = keras.layers.TimeDistributed(keras.layers.Dense(2))(hidden)
    model = keras.Model(inputs, outputs)
    lstm = 7 * 2 * (3 * 16 + 4 * 16)  # every step: the input and the recurrent kernel, 4 gates of 4 units
    dense = 7 * 2 * 4 * 2  # the Dense head at every step
    assert throughput.forward_flops(model) == lstm + dense
    assert throughput.train_flops(model) == 3 * (lstm + dense)
    both = keras.Model(inputs, keras.layers.Bidirectional(keras.layers.LSTM(4))(inputs))
    assert throughput.forward_flops(both) == 2 * lstm
    frames = keras.Input(shape=(5, 6, 6, 1))
    conv = keras.layers.TimeDistributed(keras.layers.Conv2D(2, (2, 2)))(frames)  # 5 x 5 x 5 outputs
    assert throughput.forward_flops(keras.Model(frames, conv)) == 2 * (2 * 2 * 1 * 2) * 5 * 5 * 5
    # Chapter 8's per-frame CNN, a model inside the wrapper: its convolution at every frame.
    from lstmbook import models

    cnn = models.build_cnn_lstm((6, 6, 1), units=4, timesteps=5, frames_per_call=2)
    conv_flops = 2 * (2 * 2 * 1 * 2) * 5 * 5 * 5
    lstm_flops = 5 * 2 * (2 * 2 * 2 * 16 + 4 * 16)  # 8 features (2 x 2 x 2) a frame after pooling
    assert throughput.forward_flops(cnn) == conv_flops + lstm_flops + 2 * 4 * 1


def test_throughput_section_replaces_only_its_part(tmp_path):
    from benchmarks import throughput

    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## 1. kept\n")
    results = {"backend": "tensorflow", "seconds": 1.0, "machine": "cpu", "versions": "keras 3",
               "when": "now", "matmul": {256: 5e10, 512: 1e11},
               "cases": [{"chapter": 6, "label": "m", "batch_size": 32, "train_flops_per_sample": 3e6,
                          "samples_per_s": 1000.0, "flops_per_s": 3e9}],
               "ensembles": [{"label": "e", "members": 10, "ensemble_s": 1.0, "one_by_one_s": 8.0,
                              "speedup": 8.0, "max_diff": 0.0, "ensembles": 1,
                              "compared": "weights"}]}
    throughput.write_section(throughput.render(results), path)
    throughput.write_section(throughput.render(results), path)  # a rerun replaces, never repeats
    text = path.read_text()
    assert text.count(throughput.START) == 1 and "## 1. kept" in text
    assert "**100 GFLOP/s**" in text and "3.0%" in text and "8.0x" in text


SOURCE = """
import keras
from lstmbook import models
run = book.start(99)
UNITS = 10  # a literal
EPOCHS = run.epochs(300, 15)
N_TRAIN = run.pick(5_000, 320)
CASES = {"long": (UNITS, EPOCHS * 2), "short": (UNITS, 7)}
VARIANTS = tuple(models.MERGE_MODES)  # needs an import
COUNT = len(VARIANTS)  # needs a constant left out
lower = 3
MODEL = keras.Sequential()
"""


def test_read_settings_evaluates_the_constants_alone():
    from benchmarks.common import read_settings

    assert read_settings(SOURCE) == {"UNITS": 10, "EPOCHS": 300, "N_TRAIN": 5000,
                                     "CASES": {"long": (10, 600), "short": (10, 7)}}
    quick = read_settings(SOURCE, quick=True)
    assert (quick["EPOCHS"], quick["N_TRAIN"], quick["CASES"]["long"]) == (15, 320, (10, 30))


def test_chapter_settings_reads_a_chapter_without_running_it():
    from benchmarks.common import chapter_settings

    full, quick = chapter_settings(12), chapter_settings(12, quick=True)
    assert set(full["CASES"]) == {"underfit", "underfit_capacity", "good_fit", "overfit"}
    assert full["CASES"]["overfit"][3] > quick["CASES"]["overfit"][3] > 0
    with pytest.raises(ValueError, match="number"):
        chapter_settings(99)


def test_ensemble_rows_follow_the_chapters_settings(monkeypatch):
    from benchmarks import throughput
    from benchmarks.common import chapter_settings

    ch12, ch14 = chapter_settings(12), chapter_settings(14)
    overfit = ch12["CASES"]["overfit"]
    ch12.update(CASES={**ch12["CASES"], "overfit": (*overfit[:3], 1234, *overfit[4:])}, TUNE_CELLS=(2, 3))
    ch14.update(REPEATS=3, BASE_EPOCHS=250)
    monkeypatch.setattr(throughput, "chapter_settings", {12: ch12, 14: ch14}.get)
    calls, rows = [], []
    monkeypatch.setattr(throughput, "_repeats_case",
                        lambda label, configs, **kw: calls.append((label, configs, kw)))
    monkeypatch.setattr(throughput, "_row", lambda label, members, *args: rows.append((label, members)))
    for case in [*throughput._ch12_cases(quick=False), *throughput._ch14_cases(quick=False)]:
        case()
    repeated, robust, _, cells, _ = calls
    assert "1234 epochs" in robust[0] and robust[2]["epochs"] == 1234
    assert "2 and 3 cells" in cells[0] and [c[0].args for c in cells[1]] == [(2,), (3,)]
    assert repeated[1][0][2] == 42 + len(ch12["CASES"])  # the chapter's seed for the repeated case
    assert [members for _, members in rows] == [3, 3] and "50 of the 250 epochs" in rows[0][0]


def test_throughput_models_are_built_with_the_chapters_settings(monkeypatch):
    from benchmarks import throughput
    from benchmarks.common import chapter_settings

    ch9 = {**chapter_settings(9), "HARD_UNITS": 7, "HARD_BATCH_SIZE": 64}
    monkeypatch.setattr(throughput, "chapter_settings", lambda n: ch9 if n == 9 else chapter_settings(n))
    cases = throughput.model_cases()
    assert [case.chapter for case in cases] == [6, 7, 8, 9, 9, 10, 11]
    ch8 = cases[2].build().get_layer("cnn")
    assert ch8.steps_per_call == chapter_settings(8)["FRAMES_PER_CALL"]
    assert ch8.layer.get_layer("max_pooling2d").padding == chapter_settings(8)["POOL_PADDING"]
    hard = cases[4]
    model = hard.build()
    assert "LSTM(7) -> LSTM(7)" in hard.label and hard.batch_size == 64
    assert model.get_layer("encoder_lstm").units == 7 and model.get_layer("decoder_lstm").units == 7


def test_ensemble_rows_train_the_same_members_both_ways():
    from benchmarks import throughput

    rows = [case() for case in throughput._ch14_cases(quick=True)]
    assert [r["compared"] for r in rows] == ["weights", "forecasts"]
    for row in rows:
        assert row["members"] == 2 and row["ensembles"] == 1
        assert row["one_by_one_s"] > 0 and row["ensemble_s"] > 0
        assert row["max_diff"] <= 1e-5  # each member trained packed as it does alone
