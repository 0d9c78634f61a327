"""Chapter 13: How to Make Predictions with LSTMs.

Description: finalize a model on all the data, save it, load it back and predict on new data.
Book: the final model is fit on all available data; it is saved (Keras 2: ``model.save``
to ``.h5``, or the architecture as JSON/YAML plus HDF5 weights), loaded and used for
``predict``, ``predict_classes`` and ``predict_proba`` on new data.
Here: Chapter 12's LSTM(10) is finalized on all ten of its samples, saved both Keras 3
ways (one ``.keras`` file; JSON plus ``.weights.h5``) atomically through
``lstmbook.persistence``, loaded both ways, and used on new data: the reloaded models
predict exactly what the original does (``max_abs_diff`` = 0, target ≤ 1e-6). Then
``predict_classes`` and ``predict_proba``, which Keras 3 removed, are shown through
``lstmbook.training`` on a small sigmoid and a small softmax classifier (is a random
5-step sequence rising; is it going down, flat or up), which reach about 0.95 and 0.93
accuracy on 500 new sequences.

Run it with ``make ch13`` or ``python -m chapters.ch13_predictions [--quick]``.
"""

# %% [markdown]
# ## Setup

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from lstmbook import persistence, training
from lstmbook.chapter import Chapter

CHAPTER = Chapter(
    13, "predictions", "How to Make Predictions with LSTMs",
    book="finalize, save (model / JSON + weights), load, predict; predict_classes and predict_proba",
    targets={"max_abs_diff": ("<=", 1e-6)},
    main_figure="predictions.png",
)

UNITS = 10  # Chapter 12's LSTM(10)
FINAL_EPOCHS = (800, 50)  # (full, quick): Chapter 12's good fit
NEW_X = np.array([0.05, 0.25, 0.45, 0.65, 0.85])  # new inputs, between the training points
STEP = 0.1  # each value predicts the value STEP above it

# extra code - the classifiers: 5 random values in; is the last one above / near / below the first?
CLASS_TIMESTEPS = 5
FLAT_BAND = 0.25  # |last - first| <= FLAT_BAND is "flat"
CLASS_NAMES = ("down", "flat", "up")
CLASS_SAMPLES = (2000, 200)  # (full, quick) training sequences
CLASS_TEST_SAMPLES = 500
CLASS_EPOCHS = (40, 2)
CLASS_BATCH = 32
SHOWN = 5  # examples printed


# %% [markdown]
# ## Prepare data
#
# Chapter 12's series, training and validation halves together: once the model is
# chosen, the final model learns from every sample there is.


# %%
def all_data():
    x = np.round(np.arange(0.0, 1.0, STEP), 1)
    return x.reshape(len(x), 1, 1), x + STEP


def trend_sequences(n: int, seed: int):
    """``(X (n, 5, 1), direction in {0: down, 1: flat, 2: up}, rising in {0, 1})``."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, CLASS_TIMESTEPS, 1))
    change = X[:, -1, 0] - X[:, 0, 0]
    direction = np.where(change < -FLAT_BAND, 0, np.where(change > FLAT_BAND, 2, 1))
    return X, direction, (change > 0).astype("int32")


# %% [markdown]
# ## Build the model


# %%
def build_regressor() -> keras.Model:
    inputs = keras.Input(shape=(1, 1), name="inputs")
    hidden = keras.layers.LSTM(UNITS, unroll=True, name="lstm")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, name="output")(hidden), name="final_lstm")


def build_classifier(classes: int, activation: str, name: str) -> keras.Model:
    inputs = keras.Input(shape=(CLASS_TIMESTEPS, 1), name="inputs")
    hidden = keras.layers.LSTM(UNITS, name="lstm")(inputs)
    outputs = keras.layers.Dense(classes, activation=activation, name="output")(hidden)
    return keras.Model(inputs, outputs, name=name)


# %% [markdown]
# ## Train: finalize the model on all the data (section 13.1)


# %%
def finalize(run):
    X, y = all_data()
    model, history = persistence.finalize_model(build_regressor, X, y, epochs=run.epochs(*FINAL_EPOCHS),
                                                seed=run.seed_everything(0), callbacks=run.callbacks("final"),
                                                verbose=run.fit_verbose)
    run.log(f"final model: {len(history['loss'])} epochs on all {len(X)} samples, "
            f"final training loss {history['loss'][-1]:.2e}")
    return model


# %% [markdown]
# ## Save and load, both ways (section 13.2)
#
# * One `.keras` file: architecture, weights and optimizer state. `save_model` writes it
#   to a temporary file and renames it into place, so a crash never leaves half a model;
#   a file already there is kept as `final_lstm.backup-1.keras`.
# * The architecture as JSON and the weights as `.weights.h5`: the model rebuilt from
#   them predicts the same, but must be compiled again before more training.


# %%
def save_and_load(run, model):
    folder = run.output_dir / "models"
    folder.mkdir(exist_ok=True)
    keras_path = persistence.save_model(model, folder / "final_lstm.keras")
    json_path, weights_path = persistence.save_architecture_and_weights(model, folder / "final_lstm.json")
    run.log(f"saved {keras_path.name} ({keras_path.stat().st_size} bytes), {json_path.name} and "
            f"{weights_path.name}")
    from_keras = persistence.load_model(keras_path)
    from_json = persistence.load_model(json_path)  # finds final_lstm.weights.h5 beside it
    return from_keras, from_json, folder


def clear_errors(run, folder) -> int:
    """What a reader sees when the path, the extension or the file is wrong."""
    (folder / "corrupt.keras").write_bytes(b"not a zip archive")
    cases = [folder / "missing.keras", folder / "model.h5", folder / "corrupt.keras"]
    explained = 0
    for path in cases:
        try:
            persistence.load_model(path)
        except (FileNotFoundError, ValueError) as error:
            explained += 1
            run.log(f"  {path.name}: {type(error).__name__}: {str(error)[:110]}...")
    (folder / "corrupt.keras").unlink()
    return explained


# %% [markdown]
# ## Evaluate: predict on new data with the original and the reloaded models


# %%
def compare_predictions(run, model, from_keras, from_json) -> dict:
    X_new = NEW_X.reshape(len(NEW_X), 1, 1)
    original = model.predict(X_new, verbose=run.fit_verbose)
    reloaded = {"keras": from_keras.predict(X_new, verbose=run.fit_verbose),
                "json_weights": from_json.predict(X_new, verbose=run.fit_verbose)}
    diffs = {name: float(np.abs(original - p).max()) for name, p in reloaded.items()}
    for x, yhat in zip(NEW_X, original[:, 0], strict=True):
        run.log(f"  x={x:.2f} -> {yhat:.4f} (expected {x + STEP:.2f})")
    run.log(f"reloaded vs original, largest difference: {diffs}")
    return {"max_abs_diff": max(diffs.values()),
            "keras_file_max_abs_diff": diffs["keras"],
            "json_weights_max_abs_diff": diffs["json_weights"],
            "new_data_mae": float(np.abs(original[:, 0] - (NEW_X + STEP)).mean())}, original


# %% [markdown]
# ## Class predictions and probabilities (section 13.3)
#
# Keras 3 has no `predict_classes` or `predict_proba`. `training.predict_proba` returns
# the checked probabilities; `training.predict_classes` takes the argmax of a softmax,
# or thresholds a sigmoid at 0.5, reading which from the output layer.


# %%
def classifiers(run) -> tuple[dict, dict]:
    X, direction, rising = trend_sequences(run.pick(*CLASS_SAMPLES), seed=run.seed)
    X_new, direction_new, rising_new = trend_sequences(CLASS_TEST_SAMPLES, seed=run.seed + 1)
    specs = {"sigmoid": (1, "binary_crossentropy", rising, rising_new),
             "softmax": (len(CLASS_NAMES), "sparse_categorical_crossentropy", direction, direction_new)}
    metrics, shown = {}, {}
    for offset, (activation, (units, loss, y, y_new)) in enumerate(specs.items(), start=1):
        run.seed_everything(offset)
        model = build_classifier(units, activation, f"{activation}_classifier")
        model.compile(optimizer="adam", loss=loss)
        model.fit(X, y, epochs=run.epochs(*CLASS_EPOCHS), batch_size=CLASS_BATCH, verbose=run.fit_verbose,
                  callbacks=run.callbacks(model.name))
        proba = training.predict_proba(model, X_new)
        classes = training.predict_classes(model, X_new)
        metrics[f"{activation}_accuracy"] = float((classes == y_new).mean())
        metrics[f"{activation}_classes_match_proba"] = bool(
            np.array_equal(classes, training.classes_from_proba(proba, activation)))
        shown[activation] = (proba[:SHOWN], classes[:SHOWN], y_new[:SHOWN])
        run.log(f"{activation} classifier: accuracy {metrics[f'{activation}_accuracy']:.3f} on "
                f"{CLASS_TEST_SAMPLES} new sequences")
        for p, c, t in zip(*shown[activation], strict=True):
            names = CLASS_NAMES if activation == "softmax" else ("not rising", "rising")
            run.log(f"  proba {np.round(p.astype(float), 3).tolist()} -> class {c} ({names[c]}), truth {names[t]}")
    return metrics, shown


def plot_predictions(run, original, shown) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    X, y = all_data()
    axes[0].plot(X[:, 0, 0], y, "o", label="training data")
    axes[0].plot(NEW_X, NEW_X + STEP, "k+", markersize=12, label="new data, expected")
    axes[0].plot(NEW_X, original[:, 0], "x", color="tab:red", label="final model (and reloaded)")
    axes[0].set_title("Final LSTM(10) on new data")
    axes[0].legend()
    for ax, activation in zip(axes[1:], ("sigmoid", "softmax"), strict=True):
        proba, classes, truth = shown[activation]
        names = CLASS_NAMES if activation == "softmax" else ("not rising", "rising")
        if proba.shape[1] == 1:
            proba = np.column_stack([1 - proba[:, 0], proba[:, 0]])
        bottom = np.zeros(len(proba))
        for k, name in enumerate(names):
            ax.bar(range(len(proba)), proba[:, k], bottom=bottom, label=name)
            bottom += proba[:, k]
        ax.set_xticks(range(len(proba)), [f"{names[c]}\n(truth {names[t]})" for c, t in zip(classes, truth, strict=True)])
        ax.set_title(f"{activation}: predict_proba and predict_classes")
        ax.legend(fontsize=8)
    fig.tight_layout()
    run.save_figure(fig, "predictions.png")


# %% [markdown]
# ## Run the chapter


# %%
def main(argv=None) -> dict:
    run = CHAPTER.start(argv)
    model = finalize(run)
    from_keras, from_json, folder = save_and_load(run, model)
    metrics, original = compare_predictions(run, model, from_keras, from_json)
    run.log("clear errors for a wrong path, a wrong extension and a corrupt file:")
    metrics["load_errors_explained"] = clear_errors(run, folder)
    class_metrics, shown = classifiers(run)
    metrics.update(class_metrics)
    plot_predictions(run, original, shown)
    return run.finish(metrics, new_x=NEW_X.tolist(), predictions=original[:, 0].tolist())


if __name__ == "__main__":
    main()
