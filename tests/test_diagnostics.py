"""lstmbook.diagnostics: diagnosis rules on synthetic curves, plots, repeated runs in 2 processes."""

import functools

import keras
import numpy as np
import pytest

from lstmbook import diagnostics

EPOCHS = np.arange(1, 201)


def history(train, val):
    return {"loss": list(np.asarray(train, dtype=float)), "val_loss": list(np.asarray(val, dtype=float))}


def still_falling():  # the book's 100-epoch case: both curves falling when training stops
    return history(0.12 * np.exp(-EPOCHS / 60), 0.7 * np.exp(-EPOCHS / 120))


def flat_but_high():  # LSTM(1), SGD, MAE: flat curves far from zero
    return history(0.12 + 0.2 * np.exp(-EPOCHS / 20), 0.5 + 0.4 * np.exp(-EPOCHS / 20))


def good_fit():
    return history(0.1 * np.exp(-EPOCHS / 15) + 1e-4, 0.6 * np.exp(-EPOCHS / 15) + 2e-4)


def overfit():  # validation bottoms out at epoch 100, then climbs while training falls
    val = 0.6 * np.exp(-EPOCHS / 10) + 1e-4 + 1e-4 * np.clip(EPOCHS - 100, 0, None)
    return history(0.1 * np.exp(-EPOCHS / 15) + 1e-5 * np.exp(-EPOCHS / 100), val)


@pytest.mark.parametrize("make, label, words", [
    (still_falling, "underfit", "still falling"),
    (flat_but_high, "underfit", "capacity"),
    (good_fit, "good fit", "close together"),
    (overfit, "overfit", "bottomed out at epoch 100"),
])
def test_diagnose_each_kind(make, label, words):
    verdict = diagnostics.diagnose(make())
    assert verdict.label == label and words in verdict.reason
    found, reason = verdict  # unpacks as (label, reason)
    assert found == label and isinstance(reason, str)


def test_diagnose_flat_with_a_gap_is_overfit_and_thresholds_matter():
    gap = history(0.1 * np.exp(-EPOCHS / 15) + 1e-4, 0.6 * np.exp(-EPOCHS / 15) + 0.05)
    assert diagnostics.diagnose(gap).label == "overfit"
    # a rise that starts in the last 10% of training is within patience: still a good fit
    late = overfit()
    late["val_loss"] = list(0.6 * np.exp(-EPOCHS / 10) + 1e-4 + 1e-4 * np.clip(EPOCHS - 185, 0, None))
    assert diagnostics.diagnose(late).label == "good fit"
    m = diagnostics.curve_measures(overfit())
    assert m["best_epoch"] == 100 and m["since_best"] == pytest.approx(0.5) and m["train_fell_after_best"]


def test_diagnose_reads_keras_history_and_sparse_validation():
    class FakeHistory:  # keras.callbacks.History keeps its dict in .history
        history = still_falling()

    assert diagnostics.diagnose(FakeHistory()).label == "underfit"
    sparse = good_fit()
    sparse["epoch"] = list(EPOCHS)
    sparse["val_epoch"] = list(EPOCHS[9::10])
    sparse["val_loss"] = sparse["val_loss"][9::10]
    assert diagnostics.diagnose(sparse).label == "good fit"


def test_diagnose_errors():
    with pytest.raises(ValueError, match="val_loss"):
        diagnostics.diagnose({"loss": [1.0, 0.5, 0.2]})
    with pytest.raises(ValueError, match="at least 3"):
        diagnostics.diagnose(history([1.0, 0.5], [1.0, 0.6]))
    with pytest.raises(ValueError, match="loss"):
        diagnostics.diagnose(history([1.0, np.nan, 0.2], [1.0, 0.6, 0.4]))
    with pytest.raises(ValueError, match="match"):
        diagnostics.diagnose(history([1.0, 0.5, 0.2, 0.1], [1.0, 0.6, 0.4]))
    with pytest.raises(TypeError, match="History"):
        diagnostics.diagnose([1.0, 0.5])


def test_diagnose_runs_majority():
    verdict = diagnostics.diagnose_runs([still_falling(), still_falling(), good_fit()])
    assert verdict.label == "underfit" and "2 of 3" in verdict.reason
    with pytest.raises(ValueError, match="histories"):
        diagnostics.diagnose_runs([])


def test_plots_draw_on_a_new_figure_or_the_given_axes():
    import matplotlib.pyplot as plt

    fig = diagnostics.plot_learning_curves(overfit(), title="overfit", start_epoch=50)
    ax = fig.axes[0]
    assert ax.get_title() == "overfit | diagnosed: overfit"
    assert ax.lines[0].get_xdata()[0] == 50  # drawn from start_epoch
    fig = diagnostics.plot_learning_curves([still_falling(), still_falling()])
    assert fig.axes[0].get_title() == "diagnosed: underfit" and len(fig.axes[0].lines) == 4
    own, (left, right) = plt.subplots(1, 2)
    assert diagnostics.plot_learning_curves(good_fit(), ax=left) is own
    assert diagnostics.plot_boxplots({"a": [0.1, 0.2, 0.3], "b": np.array([0.2, 0.25])}, ax=right,
                                     title="t") is own
    assert [t.get_text() for t in right.get_xticklabels()] == ["a", "b"] and right.get_title() == "t"
    plt.close("all")


def test_bad_plot_arguments_leave_no_figure_open():
    import matplotlib.pyplot as plt

    plt.close("all")
    with pytest.raises(ValueError, match="start_epoch"):
        diagnostics.plot_learning_curves(overfit(), start_epoch=500)
    with pytest.raises(TypeError, match="ax"):
        diagnostics.plot_learning_curves(overfit(), ax="left")
    with pytest.raises(TypeError, match=r"results\['a'\]"):
        diagnostics.plot_boxplots({"a": ["x"]})
    with pytest.raises(ValueError, match="results"):
        diagnostics.plot_boxplots({"a": [np.nan]})
    with pytest.raises(ValueError, match=r"results\['b'\]"):  # quartiles that overflow
        diagnostics.plot_boxplots({"a": [1.0, 2.0], "b": [1e308, -1e308]})
    assert plt.get_fignums() == []
    with pytest.raises(ValueError, match="scores must not be empty"):
        _ = diagnostics.RepeatedResult(scores=np.array([]), seeds=[], histories=[], seconds=0.0).summary


def tiny_model(units):
    inputs = keras.Input(shape=(2,), name="inputs")
    hidden = keras.layers.Dense(units, activation="tanh", name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, name="output")(hidden))


def test_repeated_evaluation_in_two_processes_matches_one():
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 2)), rng.random(8)
    build = functools.partial(tiny_model, 3)
    kwargs = {"epochs": 4, "validation_data": (x, y), "seed": 7, "progress": False}
    here = diagnostics.repeated_evaluation(build, 3, x, y, jobs=1, **kwargs)
    there = diagnostics.repeated_evaluation(build, 3, x, y, jobs=2, **kwargs)
    assert here.seeds == there.seeds == [7, 8, 9]
    np.testing.assert_allclose(there.scores, here.scores, rtol=1e-5)
    assert len(set(np.round(here.scores, 8))) == 3  # each repeat has its own seed
    summary = here.summary
    assert summary["n"] == 3 and summary["min"] <= summary["mean"] <= summary["max"]
    assert summary["std"] == pytest.approx(float(np.std(here.scores)))
    assert [len(h["val_loss"]) for h in there.histories] == [4, 4, 4]
    np.testing.assert_allclose(here.scores, [h["val_loss"][-1] for h in here.histories], rtol=1e-5)


def test_repeated_evaluation_errors():
    x, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match="n_repeats"):
        diagnostics.repeated_evaluation(tiny_model, 0, x, y, epochs=1)
    with pytest.raises(ValueError, match="as many rows"):
        diagnostics.repeated_evaluation(tiny_model, 1, x, y[:2], epochs=1)
    with pytest.raises(ValueError, match="jobs"):
        diagnostics.repeated_evaluation(tiny_model, 1, x, y, epochs=1, jobs=0)
    with pytest.raises(TypeError, match="build_fn"):
        diagnostics.repeated_evaluation("model", 1, x, y, epochs=1)
    with pytest.raises(TypeError, match="optimizer"):
        diagnostics.repeated_evaluation(tiny_model, 1, x, y, epochs=1,
                                        compile_kwargs={"loss": "mse", "optimizer": keras.optimizers.Adam()})
    with pytest.raises(TypeError, match="keras.Model"):
        diagnostics.repeated_evaluation(lambda: "not a model", 1, x, y, epochs=1, progress=False)
    with pytest.raises(ValueError, match="seeds"):
        diagnostics.run_repeats(print, [])
    with pytest.raises(ValueError, match=r"seeds"):
        diagnostics.run_repeats(print, [1, 1])
    with pytest.raises(TypeError, match="compile_kwargs"):
        diagnostics.repeated_evaluation(tiny_model, 1, x, y, epochs=1, compile_kwargs=5)
    for bogus in ({"loss": "bogus"}, {"loss": "mse", "optimizer": "bogus"}):
        with pytest.raises(ValueError, match="compile_kwargs"):  # before any run, not in Keras
            diagnostics.repeated_evaluation(tiny_model, 1, x, y, epochs=1, compile_kwargs=bogus)


@pytest.mark.parametrize("key", ["loss", "val_loss"])
def test_negative_losses_are_refused_not_measured(key):
    curves = {"loss": [1.0, 0.5, 0.2, 0.1], "val_loss": [1.0, 0.6, 0.3, 0.2]}
    curves[key] = [0.5, -0.5, -1.0, -2.0]  # e.g. keras's cosine_similarity loss
    for measure in (diagnostics.curve_measures, diagnostics.diagnose):
        with pytest.raises(ValueError, match=rf"history\['{key}'\]"):
            measure(curves)
