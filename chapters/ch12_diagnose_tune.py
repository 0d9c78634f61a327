"""Chapter 12: How to Diagnose and Tune LSTMs.

Description: read learning curves as underfit, good fit or overfit; then tune cells and batch size.

The book trains an LSTM(10) to map X 0.0…0.4 to y 0.1…0.5, validated on X 0.5…0.9 -> y
0.6…1.0, and reads its learning curves in five cases: underfit (100 epochs), underfit by
capacity (LSTM(1), SGD, MAE, 300 epochs), a good fit (800 epochs), overfit (1,200 epochs)
and five repeated runs of 300 epochs that all underfit. It tunes memory cells and batch
size with repeated runs, compared in box plots. Here `lstmbook.diagnostics.diagnose` reads
each case's curves and agrees with the book on all five; the good fit trains for 900 epochs
and the overfit case for 2,200. Over ten runs each, 1, 5 and 10 cells reach mean validation
losses of 0.208, 0.149 and 0.080; batch sizes 1, 2 and 3 reach 0.0013, 0.0072 and 0.053.
"""

# %% [markdown]
# ## Setup
#
# `book.start(12)` reads the flags (`--quick`, `--seed`, `--scheduler`, ...), seeds Python,
# NumPy and Keras, and creates the output folder. The settings are the full run's;
# `run.epochs(full, quick)` and `run.pick(full, quick)` swap in a tiny run's for `--quick`
# (a twentieth of the epochs).
# In Jupyter, `book.start(12, ["--quick"])` makes this notebook a quick run.

# %%
import collections
import functools

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from chapters import _book as book
from lstmbook import diagnostics
from lstmbook.training import fit_epochs

run = book.start(12)
SEED = run.seed  # 42 unless --seed
VERBOSE = run.verbose  # Keras's progress bars under --verbose
CALLBACKS = run.callbacks  # a TensorBoard logger under --tensorboard

UNITS = 10  # the book's LSTM(10)
SMALL_UNITS = 1  # the under-provisioned LSTM(1) of the capacity case
# The book's five cases: the model, how it trains, the first epoch plotted and the book's verdict.
Case = collections.namedtuple("Case", "units optimizer loss epochs first_epoch book")
CASES = {
    "underfit": Case(UNITS, "adam", "mse", run.epochs(100, 10), 1, "underfit"),
    "underfit_capacity": Case(SMALL_UNITS, "sgd", "mae", run.epochs(300, 15), 1, "underfit"),
    "good_fit": Case(UNITS, "adam", "mse", run.epochs(900, 45), 1, "good fit"),  # the book: 800
    "overfit": Case(UNITS, "adam", "mse", run.epochs(2200, 110), run.pick(500, 25), "overfit"),  # the book: 1,200
}
REPEATED_RUNS = run.pick(5, 2)  # runs of the fifth case, the LSTM(10) repeated
REPEATED_EPOCHS = run.epochs(300, 15)
REPEATED_VERDICT = "underfit"  # the book: "the general trend of underfitting holds across 5 runs"

# extra code - not in the book: the same cases on more seeds, to show the rules are not tuned to one
ROBUSTNESS_SEEDS = run.pick(5, 1)
ROBUSTNESS_SEED_OFFSET = 100

TUNE_CELLS = run.pick((1, 5, 10), (1, 10))  # memory cells compared
TUNE_BATCH_SIZES = run.pick((1, 2, 3), (1, 2))  # batch sizes compared (5 training samples)
TUNE_REPEATS = run.pick(10, 1)  # runs per configuration
TUNE_EPOCHS = run.epochs(300, 10)  # epochs per run: the book's repeated-run setting
TUNE_SEED_OFFSET = 1000  # seeds of the tuning runs start here (above the cases' seeds) ...
TUNE_CONFIG_STRIDE = 100  # ... and each configuration's runs this far apart
TUNE_BATCH_OFFSET = 5000  # the batch-size runs start this far above the cells runs

# %% [markdown]
# ## Prepare the data
#
# Five training pairs and five validation pairs: each value predicts the value 0.1 above
# it. One timestep and one feature per sample, so `X` is `(5, 1, 1)`.

# %%
train = np.array([[0.0, 0.1], [0.1, 0.2], [0.2, 0.3], [0.3, 0.4], [0.4, 0.5]])
val = np.array([[0.5, 0.6], [0.6, 0.7], [0.7, 0.8], [0.8, 0.9], [0.9, 1.0]])
X_train, y_train = train[:, 0].reshape(len(train), 1, 1), train[:, 1]
X_val, y_val = val[:, 0].reshape(len(val), 1, 1), val[:, 1]
print(pd.DataFrame({"X (train)": X_train[:, 0, 0], "y (train)": y_train,
                    "X (validation)": X_val[:, 0, 0], "y (validation)": y_val}).to_string(index=False))
print(f"X_train {X_train.shape}, y_train {y_train.shape}, X_val {X_val.shape}, y_val {y_val.shape}")

# %% [markdown]
# ## Build the model
#
# The book's `LSTM(10)` and a linear `Dense(1)`. With one timestep there is nothing to
# loop over, so the LSTM is unrolled: the same equations, without the loop's overhead. The
# capacity case uses the same model with one cell. Every run below seeds itself before it
# builds its model, so building these two to look at them changes nothing.

# %%
def build_model(units: int = UNITS) -> keras.Model:
    inputs = keras.Input(shape=(1, 1), name="inputs")
    hidden = keras.layers.LSTM(units, unroll=True, name="lstm")(inputs)
    outputs = keras.layers.Dense(1, activation="linear", name="output")(hidden)
    return keras.Model(inputs, outputs, name=f"lstm_{units}")


build_model(UNITS).summary()
build_model(SMALL_UNITS).summary()

# %% [markdown]
# ## Train: the book's cases
#
# One run of a case: seed, build, compile with the case's optimizer and loss, and train
# with the validation data, `shuffle=False` and the book's full batch (Keras's default
# batch of 32 holds all 5 samples). `fit_epochs` makes exactly the updates
# `model.fit(..., epochs=2200)` makes, without building a new data iterator for each epoch,
# which is where `fit` spends its time on five samples. Its history is the learning curves.

# %%
def train_case(case: Case, seed: int) -> dict:
    keras.utils.set_random_seed(seed)
    model = build_model(case.units)
    model.compile(optimizer=case.optimizer, loss=case.loss)
    return fit_epochs(model, X_train, y_train, epochs=case.epochs, validation_data=(X_val, y_val),
                      verbose=VERBOSE, callbacks=CALLBACKS)


histories = {}
for offset, (name, case) in enumerate(CASES.items()):
    histories[name] = h = train_case(case, SEED + offset)
    print(f"{name:18s} {len(h['loss']):5d} epochs: loss {h['loss'][0]:.4f} -> {h['loss'][-1]:.4f}, "
          f"validation loss {h['val_loss'][0]:.4f} -> {h['val_loss'][-1]:.4f}")

# %% [markdown]
# The fifth case repeats a run several times. One repeat is `train_case` with the
# LSTM(10), Adam, MSE and 300 epochs, and its own seed; its score is its final validation
# loss. `diagnostics.repeated_evaluation` runs the repeats, repeat `i` with seed
# `SEED + 4 + i`, and returns each one's history and score. With `ensemble=True` the
# repeats train side by side in one vectorised model: each takes exactly the steps it
# would take alone, and five cost about the time of one. Under `--scheduler` they run on a
# Dask cluster instead, with the same scores.

# %%
repeated = diagnostics.repeated_evaluation(build_model, REPEATED_RUNS, X_train, y_train,
                                           epochs=REPEATED_EPOCHS, validation_data=(X_val, y_val),
                                           seed=SEED + len(CASES), ensemble=True, desc="repeated runs")
histories["repeated_runs"] = repeated.histories
for run_seed, score in zip(repeated.seeds, repeated.scores, strict=True):
    print(f"repeated run, seed {run_seed}: final validation loss {score:.4f} after {REPEATED_EPOCHS} epochs")

# %% [markdown]
# ## Evaluate: diagnose each case
#
# `diagnose` reads the curves the way the chapter does: still falling at the end means
# underfit; flat curves with a high training loss mean underfit by capacity; a validation
# loss that bottomed out long ago and keeps rising while the training loss falls means
# overfit; flat curves close together mean a good fit. Its thresholds are documented in
# `lstmbook.diagnostics`. `diagnose_runs` takes the runs' majority.

# %%
cases = {}
for name, history in histories.items():
    if name in CASES:
        verdict, book_says, start = diagnostics.diagnose(history), CASES[name].book, CASES[name].first_epoch
    else:
        verdict, book_says, start = diagnostics.diagnose_runs(history), REPEATED_VERDICT, 1
    cases[name] = {"book": book_says, "diagnosed": verdict.label, "reason": verdict.reason,
                   "epochs": len(history["loss"]) if name in CASES else REPEATED_EPOCHS}
    mark = "ok " if verdict.label == book_says else "MISS"
    print(f"{mark} {name:18s} book: {book_says:8s} diagnosed: {verdict.label:8s} ({verdict.reason})")
    fig, ax = plt.subplots(figsize=(7, 4), num=f"case_{name}")
    diagnostics.plot_learning_curves(history, start_epoch=start, ax=ax,
                                     title=f"{name.replace('_', ' ')} (book: {book_says})")
diagnoses_correct = sum(row["diagnosed"] == row["book"] for row in cases.values()) / len(cases)
print(f"diagnoses that match the book: {diagnoses_correct:.0%}")
plt.show()

# %% [markdown]
# All five cases side by side, as the book shows them one after another.

# %%
fig, axes = plt.subplots(2, 3, figsize=(15, 8), num="cases")
for ax, name in zip(axes.flat, histories, strict=False):
    start = CASES[name].first_epoch if name in CASES else 1
    diagnostics.plot_learning_curves(histories[name], start_epoch=start, ax=ax,
                                     title=f"{name.replace('_', ' ')} (book: {cases[name]['book']})")
axes.flat[-1].axis("off")
fig.suptitle("Chapter 12: the book's five learning-curve cases, diagnosed")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Beyond the book: the same rules on more seeds
#
# Extra code: one seed could get lucky. Each extra seed trains the LSTM(10) for 2,200
# epochs and the LSTM(1) capacity model for 300. The first 100, 900 and 2,200 epochs of a
# 2,200-epoch run *are* the 100-, 900- and 2,200-epoch runs with that seed (Adam has no
# schedule that depends on the total), so one run gives the underfit, good-fit and overfit
# cases, and its first 300 epochs one of the repeated runs.
#
# ### Train

# %%
robustness_seed = SEED + ROBUSTNESS_SEED_OFFSET
long_runs = diagnostics.repeated_evaluation(build_model, ROBUSTNESS_SEEDS, X_train, y_train,
                                            epochs=CASES["overfit"].epochs, validation_data=(X_val, y_val),
                                            seed=robustness_seed, ensemble=True, desc="robustness, LSTM(10)")
capacity = CASES["underfit_capacity"]
capacity_runs = diagnostics.repeated_evaluation(
    functools.partial(build_model, capacity.units), ROBUSTNESS_SEEDS, X_train, y_train,
    epochs=capacity.epochs, validation_data=(X_val, y_val),
    compile_kwargs={"optimizer": capacity.optimizer, "loss": capacity.loss},
    seed=robustness_seed, ensemble=True, desc="robustness, LSTM(1)")
print(f"LSTM(10): {len(long_runs.histories)} run(s) of {CASES['overfit'].epochs} epochs, "
      f"LSTM(1): {len(capacity_runs.histories)} run(s) of {capacity.epochs} epochs; "
      f"seeds {long_runs.seeds}")

# %% [markdown]
# ### Evaluate
#
# Each LSTM(10) run is cut at each case's length and diagnosed; each LSTM(1) run is the
# capacity case.

# %%
cuts = {name: (CASES[name].epochs, CASES[name].book) for name in ("underfit", "good_fit", "overfit")}
cuts["repeated_runs"] = (REPEATED_EPOCHS, REPEATED_VERDICT)
robustness = []
for run_seed, history in zip(long_runs.seeds, long_runs.histories, strict=True):
    for name, (cut, expected) in cuts.items():
        part = {key: history[key][:cut] for key in ("loss", "val_loss")}
        robustness.append({"seed": run_seed, "case": name, "book": expected,
                           "diagnosed": diagnostics.diagnose(part).label})
robustness += [{"seed": s, "case": "underfit_capacity", "book": capacity.book,
                "diagnosed": diagnostics.diagnose(h).label}
               for s, h in zip(capacity_runs.seeds, capacity_runs.histories, strict=True)]
matched = sum(row["diagnosed"] == row["book"] for row in robustness)
robust = {"diagnoses_correct_across_seeds": matched / len(robustness), "robustness_checks": len(robustness)}
print(pd.DataFrame(robustness).to_string(index=False))
print(f"the same rules on {ROBUSTNESS_SEEDS} more seed(s): {matched}/{len(robustness)} diagnoses "
      "match the book")
for row in robustness:
    if row["diagnosed"] != row["book"]:
        print(f"  seed {row['seed']}, {row['case']}: book {row['book']}, diagnosed {row['diagnosed']}")

# %% [markdown]
# ## Tune: memory cells and batch size, with repeats
#
# Section 12.3: a single run says little, so every configuration is trained
# `TUNE_REPEATS` times with different seeds, and the final validation losses are compared
# as box plots. Configuration `i` of a comparison starts its seeds
# `TUNE_CONFIG_STRIDE * i` above the comparison's first seed.

# %%
def tune(label: str, values, build_fn_for, batch_size_for, seed: int) -> dict:
    results = {}
    for i, value in enumerate(values):
        results[value] = diagnostics.repeated_evaluation(
            build_fn_for(value), TUNE_REPEATS, X_train, y_train, epochs=TUNE_EPOCHS,
            validation_data=(X_val, y_val), batch_size=batch_size_for(value),
            validation_every=TUNE_EPOCHS,  # only the final validation loss is compared
            seed=seed + TUNE_CONFIG_STRIDE * i, ensemble=True, desc=f"{label}={value}")
        s = results[value].summary
        print(f"{label}={value}: validation loss mean {s['mean']:.5f}, std {s['std']:.5f}, "
              f"min {s['min']:.5f}, max {s['max']:.5f} ({results[value].seconds:.1f} s)")
    return results


tune_seed = SEED + TUNE_SEED_OFFSET

# %% [markdown]
# ### Memory cells
#
# The same LSTM with 1, 5 or 10 cells, Keras's default batch (all 5 samples).

# %%
cells = tune("cells", TUNE_CELLS, lambda u: functools.partial(build_model, u), lambda u: None, tune_seed)
fig, ax = plt.subplots(figsize=(1.6 * len(cells) + 3, 4), num="tuning_cells")
diagnostics.plot_boxplots({f"{u} cell{'s' * (u != 1)}": r for u, r in cells.items()}, ax=ax,
                          title=f"Memory cells: final validation loss over {TUNE_REPEATS} runs")
plt.show()

# %% [markdown]
# ### Batch size
#
# The LSTM(10) with batches of 1, 2 or 3 of the 5 samples: a smaller batch makes more
# updates per epoch.

# %%
batches = tune("batch_size", TUNE_BATCH_SIZES, lambda b: build_model, lambda b: b,
               tune_seed + TUNE_BATCH_OFFSET)
fig, ax = plt.subplots(figsize=(1.6 * len(batches) + 3, 4), num="tuning_batch_size")
diagnostics.plot_boxplots({f"batch {b}": r for b, r in batches.items()}, ax=ax,
                          title=f"Batch size: final validation loss over {TUNE_REPEATS} runs")
plt.show()

# %% [markdown]
# ### Do more cells lower the validation loss?

# %%
means = [cells[u].summary["mean"] for u in sorted(cells)]
holds = bool(all(a > b for a, b in zip(means, means[1:], strict=False)))
print(f"more cells lower the validation loss: {'yes' if holds else 'no'} "
      f"(means {', '.join(f'{m:.5f}' for m in means)} for {sorted(cells)} cells)")
tuning_table = {f"cells_{u}": r.summary for u, r in cells.items()}
tuning_table.update({f"batch_size_{b}": r.summary for b, r in batches.items()})
tuned = {f"cells_{u}_val_loss": r.summary["mean"] for u, r in cells.items()}
tuned.update({f"batch_size_{b}_val_loss": r.summary["mean"] for b, r in batches.items()})
tuned["more_cells_lower_val_loss"] = holds
print(pd.DataFrame.from_dict(tuning_table, orient="index").to_string(float_format=lambda v: f"{v:.5f}"))

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target, writes `metrics.json`, and stops a full run that missed
# it (a non-zero exit from the command line, an error in a notebook).

# %%
record = run.finish(
    {"diagnoses_correct": diagnoses_correct, **robust, **tuned},
    cases=cases, robustness=robustness, tuning=tuning_table,
    thresholds={name: getattr(diagnostics, name) for name in (
        "TAIL_FRACTION", "FALLING_FRACTION", "HIGH_TRAIN_FRACTION", "PATIENCE_FRACTION",
        "RISE_FRACTION", "CLOSE_FRACTION")},
)

# %% [markdown]
# ## How this differs from the book
#
# The book reads each case's curves by eye; here `diagnostics.diagnose` reads them with
# written-down rules, so that a run can check its verdicts against the book's. How soon the
# LSTM(10) learns the five points depends on its initial weights, and at the book's 800
# and 1,200 epochs some seeds had already started to overfit, or had not yet, so the good
# fit trains for 900 epochs and the overfit case for 2,200, still plotted from epoch 500.
# Training uses `fit_epochs`, the same updates as `model.fit` without its per-epoch set-up,
# and repeated runs train as one vectorised ensemble, each taking the steps it would take
# alone. Beyond the book, the rules are checked again on five more seeds, and each tuning
# configuration runs ten times, not five.

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
overfit_curve = histories["overfit"]["val_loss"]
cell_means = ", ".join(f"{r.summary['mean']:.4f}" for r in cells.values())
batch_means = ", ".join(f"{r.summary['mean']:.4f}" for r in batches.values())
print(f"""\
- Learning curves tell a model's health: {diagnoses_correct:.0%} of the book's {len(cases)} cases
  were diagnosed as the book reads them.
- Overfitting shows as a validation loss that turns up: the overfit case's was lowest at epoch
  {np.argmin(overfit_curve) + 1} ({min(overfit_curve):.4f}) and {overfit_curve[-1]:.4f} at epoch {len(overfit_curve)}.
- One run is one draw: {REPEATED_RUNS} runs of the same LSTM({UNITS}) ended with validation losses
  from {repeated.scores.min():.4f} to {repeated.scores.max():.4f}.
- The same rules held for {matched} of {len(robustness)} diagnoses on {ROBUSTNESS_SEEDS} more seed(s).
- Over {TUNE_REPEATS} run(s) each, the mean validation loss was {cell_means} for {list(cells)} cells
  and {batch_means} for batch sizes {list(batches)}.""")

# %% [markdown]
# ## Further reading
#
# - Yoshua Bengio,
#   [Practical Recommendations for Gradient-Based Training of Deep Architectures](https://arxiv.org/abs/1206.5533),
#   in Neural Networks: Tricks of the Trade, 2nd edition, Springer LNCS 7700, 2012.
# - Klaus Greff, Rupesh K. Srivastava, Jan Koutník, Bas R. Steunebrink and Jürgen Schmidhuber,
#   [LSTM: A Search Space Odyssey](https://arxiv.org/abs/1503.04069),
#   IEEE Transactions on Neural Networks and Learning Systems, 2017 (arXiv 2015).
# - Keras API: [Callbacks](https://keras.io/api/callbacks/) (`fit` records the learning
#   curves in the `History` it returns), [`Model.fit`](https://keras.io/api/models/model_training_apis/).

# %% [markdown]
# ## Extensions
#
# - Stop the overfit case early with `keras.callbacks.EarlyStopping(monitor="val_loss",
#   patience=100, restore_best_weights=True)`. At which epoch does it stop, and how far is
#   that from the epoch of the lowest validation loss?
# - Add `dropout=0.2` or `recurrent_dropout=0.2` to the overfit case's LSTM(10). Does its
#   validation loss still turn up within 2,200 epochs, and what does `diagnose` say?
# - Tune a third setting with ten repeats per value: Adam's learning rate (0.0003, 0.001,
#   0.003) or the number of epochs (100, 300, 900). Which box plots overlap?
# - Diagnose another chapter's training: fit Chapter 7's stacked LSTM with
#   `validation_split=0.2` and pass its `history.history` to `diagnostics.diagnose`.
