"""Chapter 13: How to Make Predictions with LSTMs.

Description: finalize a model on all the data, save it, load it back and predict on new data.

The book fits the final model on all the data there is, saves it (Keras 2's `model.save` to
`.h5`, or the architecture as JSON or YAML and the weights as HDF5), loads it and predicts on
new data with `predict`, `predict_classes` and `predict_proba`. Here Chapter 12's LSTM(10)
is finalized on all ten of its samples, saved both Keras 3 ways (one `.keras` file; JSON plus
`.weights.h5`), loaded both ways, and the reloaded models must predict what the original does
on new data (`max_abs_diff` <= 1e-6; it is 0). Keras 3 has no `predict_classes` or
`predict_proba`; `lstmbook.training` provides them, shown on a sigmoid and a softmax
classifier of random 5-step sequences, which reach about 0.95 and 0.93 accuracy on 500 new
sequences.
"""

# %% [markdown]
# ## Setup
#
# `book.start(13)` reads the flags (`--quick`, `--seed`, `--verbose`, ...), seeds Python,
# NumPy and Keras, and creates the output folder, where the models are saved. The settings
# are the full run's; `run.pick(full, quick)` and `run.epochs(full, quick)` swap in a tiny
# run's for `--quick`.
# In Jupyter, `book.start(13, ["--quick"])` makes this notebook a quick run.

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from chapters import _book as book
from lstmbook import persistence, training

run = book.start(13)
SEED = run.seed  # 42 unless --seed
VERBOSE = run.verbose  # Keras's progress bars under --verbose
CALLBACKS = run.callbacks  # a TensorBoard logger under --tensorboard
OUTPUT_DIR = run.output_dir  # the models are saved in OUTPUT_DIR / "models"
UNROLL = keras.backend.backend() != "jax"  # short loops: written out on TensorFlow, XLA's own loop on JAX

UNITS = 10  # Chapter 12's LSTM(10)
FINAL_EPOCHS = run.epochs(800, 50)  # Chapter 12's good fit
NEW_X = np.array([0.05, 0.25, 0.45, 0.65, 0.85])  # new inputs, between the training points
STEP = 0.1  # each value predicts the value STEP above it

# extra code - the classifiers: 5 random values in; is the last one above / near / below the first?
CLASS_TIMESTEPS = 5
FLAT_BAND = 0.25  # |last - first| <= FLAT_BAND is "flat"
CLASS_NAMES = ("down", "flat", "up")
RISING_NAMES = ("not rising", "rising")
CLASS_SAMPLES = run.pick(2_016, 192)  # training sequences, in whole batches of 32
CLASS_TEST_SAMPLES = 500
CLASS_EPOCHS = run.epochs(40, 2)
CLASS_BATCH = 32
STEPS_PER_EXECUTION = 50  # batches run per call into the backend: less Python overhead per step
SHOWN = 5  # examples printed

# %% [markdown]
# ## Prepare the data
#
# Chapter 12's series, training and validation halves together: once the model is
# chosen, the final model learns from every sample there is.

# %%
x = np.round(np.arange(0.0, 1.0, STEP), 1)
X_all, y_all = x.reshape(len(x), 1, 1), x + STEP
print(pd.DataFrame({"X": X_all[:, 0, 0], "y": y_all}).T.to_string(header=False))
print(f"X {X_all.shape}, y {y_all.shape}")

# %% [markdown]
# ## Build the model
#
# Chapter 12's `LSTM(10) -> Dense(1)`, unrolled over its single timestep.
# `finalize_model` calls this function after seeding, so looking at one here changes nothing.

# %%
def build_regressor() -> keras.Model:
    inputs = keras.Input(shape=(1, 1), name="inputs")
    hidden = keras.layers.LSTM(UNITS, unroll=True, name="lstm")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, name="output")(hidden), name="final_lstm")


build_regressor().summary()

# %% [markdown]
# ## Train: finalize the model on all the data (section 13.1)
#
# `persistence.finalize_model` seeds with `SEED`, builds, compiles (MSE, Adam) and trains on
# all ten samples: the model that will be saved and used.

# %%
model, final_history = persistence.finalize_model(
    build_regressor, X_all, y_all, epochs=FINAL_EPOCHS, seed=SEED, callbacks=CALLBACKS, verbose=VERBOSE)
print(f"final model: {len(final_history['loss'])} epochs on all {len(X_all)} samples, "
      f"final training loss {final_history['loss'][-1]:.2e}")

# %% [markdown]
# ## Save and load, both ways (section 13.2)
#
# * One `.keras` file: architecture, weights and optimizer state (`model.save`). `save_model`
#   writes it to a temporary file and renames it into place, so a crash never leaves half a
#   model; a file already there is kept as a numbered backup, `final_lstm.backup-1.keras`.
# * The architecture as JSON (`model.to_json()`) and the weights as `.weights.h5`
#   (`model.save_weights`): the model rebuilt from them predicts the same; `load_model`
#   compiles it again from the loss and optimizer named in the JSON.

# %%
folder = OUTPUT_DIR / "models"
folder.mkdir(exist_ok=True)
keras_path = persistence.save_model(model, folder / "final_lstm.keras")
json_path, weights_path = persistence.save_architecture_and_weights(model, folder / "final_lstm.json")
print(f"saved {keras_path.name} ({keras_path.stat().st_size} bytes), {json_path.name} and "
      f"{weights_path.name}")
from_keras = persistence.load_model(keras_path)
from_json = persistence.load_model(json_path)  # finds final_lstm.weights.h5 beside it
print(f"loaded {from_keras.name} from {keras_path.name} (compiled: {from_keras.compiled}) and "
      f"{from_json.name} from {json_path.name} (compiled: {from_json.compiled})")

# %% [markdown]
# ## Evaluate: predict on new data with the original and the reloaded models

# %%
X_new = NEW_X.reshape(len(NEW_X), 1, 1)
original = model.predict(X_new, verbose=VERBOSE)
reloaded = {"keras": from_keras.predict(X_new, verbose=VERBOSE),
            "json_weights": from_json.predict(X_new, verbose=VERBOSE)}
diffs = {name: float(np.abs(original - p).max()) for name, p in reloaded.items()}
print(pd.DataFrame({"x": NEW_X, "expected": NEW_X + STEP, "original": original[:, 0],
                    "from .keras": reloaded["keras"][:, 0],
                    "from JSON + weights": reloaded["json_weights"][:, 0]}).to_string(
    index=False, float_format=lambda v: f"{v:.4f}"))
print(f"reloaded vs original, largest difference: {diffs}")
metrics = {"max_abs_diff": max(diffs.values()),
           "keras_file_max_abs_diff": diffs["keras"],
           "json_weights_max_abs_diff": diffs["json_weights"],
           "new_data_mae": float(np.abs(original[:, 0] - (NEW_X + STEP)).mean())}
print(f"mean absolute error on the new data: {metrics['new_data_mae']:.4f}")

# %% [markdown]
# ### Clear errors for a wrong path, a wrong extension and a corrupt file
#
# What a reader sees when the path, the extension or the file is wrong.

# %%
(folder / "corrupt.keras").write_bytes(b"not a zip archive")
explained = 0
for path in [folder / "missing.keras", folder / "model.h5", folder / "corrupt.keras"]:
    try:
        persistence.load_model(path)
    except (FileNotFoundError, ValueError) as error:
        explained += 1
        message = str(error).replace(str(folder), "models").replace(os.getcwd(), ".")  # no machine paths
        print(f"  {path.name}: {type(error).__name__}: {message[:110]}...")
(folder / "corrupt.keras").unlink()
metrics["load_errors_explained"] = explained
print(f"{explained} of 3 mistakes explained")

# %% [markdown]
# ## Class predictions and probabilities (section 13.3)
#
# Keras 3 has no `predict_classes` or `predict_proba`. `training.predict_proba` returns
# the checked probabilities; `training.predict_classes` takes the argmax of a softmax,
# or thresholds a sigmoid at 0.5, reading which from the output layer.
#
# ### Prepare the data
#
# Five random values in [0, 1); a sigmoid classifier learns whether the last is above
# the first (rising), a softmax one whether the sequence goes down, stays flat (within
# `FLAT_BAND`) or goes up.

# %%
def trend_sequences(n: int, seed: int):
    """``(X (n, 5, 1), direction in {0: down, 1: flat, 2: up}, rising in {0, 1})``."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, CLASS_TIMESTEPS, 1))
    change = X[:, -1, 0] - X[:, 0, 0]
    direction = np.where(change < -FLAT_BAND, 0, np.where(change > FLAT_BAND, 2, 1))
    return X, direction, (change > 0).astype("int32")


X_class, direction, rising = trend_sequences(CLASS_SAMPLES, seed=SEED)
X_class_new, direction_new, rising_new = trend_sequences(CLASS_TEST_SAMPLES, seed=SEED + 1)
print(f"train X{X_class.shape}, new X{X_class_new.shape}")
print(f"rising: {rising.mean():.0%} of the training sequences; "
      f"down / flat / up: {', '.join(f'{np.mean(direction == k):.0%}' for k in range(3))}")

# %% [markdown]
# ### Build, train and predict
#
# `LSTM(10)` over the 5 steps, then a sigmoid unit or a 3-way softmax. The sigmoid
# classifier is seeded with `SEED + 1`, the softmax one with `SEED + 2`.

# %%
def build_classifier(classes: int, activation: str, name: str) -> keras.Model:
    inputs = keras.Input(shape=(CLASS_TIMESTEPS, 1), name="inputs")
    hidden = keras.layers.LSTM(UNITS, unroll=UNROLL, name="lstm")(inputs)
    outputs = keras.layers.Dense(classes, activation=activation, name="output")(hidden)
    return keras.Model(inputs, outputs, name=name)


def classify(seed: int, activation: str, units: int, loss: str, y, y_new, names) -> tuple:
    """Train one classifier, then ``predict_proba`` and ``predict_classes`` on the new sequences."""
    keras.utils.set_random_seed(seed)
    clf = build_classifier(units, activation, f"{activation}_classifier")
    clf.compile(optimizer="adam", loss=loss, steps_per_execution=STEPS_PER_EXECUTION)
    clf.fit(X_class, y, epochs=CLASS_EPOCHS, batch_size=CLASS_BATCH, verbose=VERBOSE, callbacks=CALLBACKS)
    proba = training.predict_proba(clf, X_class_new, batch_size=len(X_class_new))  # one batch
    classes = training.predict_classes(clf, X_class_new, batch_size=len(X_class_new))
    found = {f"{activation}_accuracy": float((classes == y_new).mean()),
             f"{activation}_classes_match_proba": bool(
                 np.array_equal(classes, training.classes_from_proba(proba, activation)))}
    print(f"{activation} classifier: accuracy {found[f'{activation}_accuracy']:.3f} on "
          f"{CLASS_TEST_SAMPLES} new sequences")
    for p, c, t in zip(proba[:SHOWN], classes[:SHOWN], y_new[:SHOWN], strict=True):
        print(f"  proba {np.round(p.astype(float), 3).tolist()} -> class {c} ({names[c]}), truth {names[t]}")
    return found, (proba[:SHOWN], classes[:SHOWN], y_new[:SHOWN])


shown = {}
found, shown["sigmoid"] = classify(SEED + 1, "sigmoid", 1, "binary_crossentropy", rising, rising_new,
                                   RISING_NAMES)
metrics.update(found)

# %%
found, shown["softmax"] = classify(SEED + 2, "softmax", len(CLASS_NAMES), "sparse_categorical_crossentropy",
                                   direction, direction_new, CLASS_NAMES)
metrics.update(found)

# %% [markdown]
# The final model's predictions on the new inputs, and the classifiers' probabilities
# for the first new sequences, stacked by class, with the predicted class below.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4), num="predictions")
axes[0].plot(X_all[:, 0, 0], y_all, "o", label="training data")
axes[0].plot(NEW_X, NEW_X + STEP, "k+", markersize=12, label="new data, expected")
axes[0].plot(NEW_X, original[:, 0], "x", color="tab:red", label="final model (and reloaded)")
axes[0].set_title("Final LSTM(10) on new data")
axes[0].legend()
for ax, activation in zip(axes[1:], ("sigmoid", "softmax"), strict=True):
    proba, classes, truth = shown[activation]
    names = CLASS_NAMES if activation == "softmax" else RISING_NAMES
    if proba.shape[1] == 1:
        proba = np.column_stack([1 - proba[:, 0], proba[:, 0]])
    bottom = np.zeros(len(proba))
    for k, name in enumerate(names):
        ax.bar(range(len(proba)), proba[:, k], bottom=bottom, label=name)
        bottom += proba[:, k]
    ax.set_xticks(range(len(proba)),
                  [f"{names[c]}\n(truth {names[t]})" for c, t in zip(classes, truth, strict=True)])
    ax.set_title(f"{activation}: predict_proba and predict_classes")
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target, writes `metrics.json`, and stops a full run that missed
# it (a non-zero exit from the command line, an error in a notebook).

# %%
record = run.finish(metrics, new_x=NEW_X.tolist(), predictions=original[:, 0].tolist())

# %% [markdown]
# ## How this differs from the book
#
# The book's Keras 2 saved a whole model as `.h5` and an architecture as JSON or YAML;
# Keras 3 saves a whole model as one `.keras` file, an architecture as JSON only, and
# weights as `.weights.h5`, so we save those, through `lstmbook.persistence`, which writes
# each file atomically and explains a wrong path, extension or corrupt file. Keras 3 also
# removed `predict_classes` and `predict_proba`; `lstmbook.training` provides them, reading
# from the output layer whether to take a softmax's argmax or threshold a sigmoid. The
# final model is Chapter 12's LSTM(10) on its ten samples, the run checks that both reloaded
# models predict exactly what the original does, and two small classifiers give the class
# predictions a trained model behind them.

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
print(f"""\
- A final model learns from all the data: LSTM({UNITS}) on all {len(X_all)} samples for
  {len(final_history['loss'])} epochs, final training loss {final_history['loss'][-1]:.2e}.
- It was saved as one {keras_path.suffix} file of {keras_path.stat().st_size:,} bytes, and as
  {json_path.name} plus {weights_path.name}; both loaded back, and {explained} of 3 loading mistakes
  were explained.
- The reloaded models predicted the new data as the original did (largest difference
  {metrics['max_abs_diff']:.1e}), with a mean absolute error of {metrics['new_data_mae']:.4f}.
- predict_proba and predict_classes, which Keras 3 removed, classified {CLASS_TEST_SAMPLES} new
  sequences with accuracy {metrics['sigmoid_accuracy']:.3f} (sigmoid, rising or not) and
  {metrics['softmax_accuracy']:.3f} (softmax, down, flat or up).""")

# %% [markdown]
# ## Further reading
#
# - Keras API: [whole model saving and loading](https://keras.io/api/models/model_saving_apis/model_saving_and_loading/)
#   (`model.save`, `keras.models.load_model`),
#   [weights-only saving and loading](https://keras.io/api/models/model_saving_apis/weights_saving_and_loading/)
#   (`save_weights`, `load_weights`),
#   [model config serialization](https://keras.io/api/models/model_saving_apis/model_config_serialization/)
#   (`keras.models.model_from_json`, the reverse of `model.to_json()`),
#   [`Model.predict`](https://keras.io/api/models/model_training_apis/).

# %% [markdown]
# ## Extensions
#
# - Save only the weights (`model.save_weights("final.weights.h5")`), rebuild the model with
#   `build_regressor()` and `load_weights`. Do its predictions equal the original's?
# - Load the `.keras` file and train it for 100 more epochs on the ten samples, once as
#   loaded and once recompiled with a fresh Adam. Does the saved optimizer state change
#   the first epochs' losses?
# - Give the sigmoid classifier three outputs, one per question (rising? ends above 0.5?
#   ends flat?), trained with binary cross-entropy. What should `predict_classes` return
#   for several sigmoids, and how would you threshold them?
# - Export the final model for serving with `model.export(...)` and reload it with
#   `keras.layers.TFSMLayer`. Are its predictions on `NEW_X` the same?
