"""Chapter 10: How to Develop Bidirectional LSTMs.

Description: classify every step of a sequence with a Bidirectional LSTM, then compare it
with forward-only and backward-only LSTMs and with every merge mode.
Book: the cumulative-sum problem (10 values drawn from [0, 1); the label of each step is 1
once the running sum passes 10 / 4 = 2.5), ``Bidirectional(LSTM(50, return_sequences))
-> TimeDistributed(Dense(1, sigmoid))`` with binary cross-entropy and Adam, fitted on 1,000
new random sequences one at a time, and all 10 steps of a new sequence predicted right.
Its comparison fits each variant on 250 sequences, one at a time, and plots their training
loss: the forward and backward LSTMs end alike, the Bidirectional one falls sooner and lower;
a second plot compares the four merge modes.
Here: training is batched. Every variant (forward, backward, and Bidirectional with
``sum``, ``mul``, ``ave`` and ``concat``) is built with the same units and seed and fitted
on the same sequences for the same epochs; the chapter's model is the ``concat`` one, and
its per-step ``accuracy`` on 1,000 new sequences must reach 0.98 (the book fits one
sequence at a time; here 10,000 sequences, batches of 125, 8 epochs, and Adam's step
decaying from 6e-3 to zero along a cosine, which reaches 0.99 or more at every seed tried,
0.9928 the lowest of seven). ``<variant>_final_loss``
is each variant's training loss after the last epoch, and one figure plots every learning
curve. The six variants train at once, side by side in one graph
(``lstmbook.training.SideBySide``), each exactly as it would train alone.

One difference from the book, on purpose: a Keras LSTM with ``go_backwards=True`` and
``return_sequences=True`` returns its outputs last step first. The book's backward model
leaves them so, which scores step ``t``'s output against the label of step ``9 - t``. Here
``build_vanilla_lstm(..., go_backwards=True)`` puts them back in input order (as
``Bidirectional`` does for its backward half), so the backward LSTM is judged fairly: at
step ``t`` it has read ``x[9] ... x[t]`` and must still guess the sum of ``x[0] ... x[t]``.
Since every label depends only on the values up to its step, the forward LSTM does as well
as the Bidirectional ones once trained batched, while the backward LSTM, which never sees
those values in order, stays far behind.

Run it with ``make ch10``, ``python -m chapters.ch10_bidirectional_lstm [--quick]``, or
open it as a notebook (``LSTMBOOK_QUICK=1`` for the quick run).
"""

# %% [markdown]
# ## Setup
#
# `book.start(10)` reads the flags, seeds Python, NumPy and Keras, and creates the output
# folder. Each setting is the full run's; `run.pick(full, quick)` swaps in the quick one.

# %%
import math

import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters import _book as book
from lstmbook import training
from lstmbook.models import MERGE_MODES, build_bidirectional_lstm, build_vanilla_lstm
from lstmbook.problems import cumulative_sum_sequences

run = book.start(10)

N_TIMESTEPS = 10  # values per sequence; the label turns to 1 once the sum passes N_TIMESTEPS / 4
UNITS = 50  # memory cells per direction, as in the book's Bidirectional model
N_TRAIN = run.pick(10_000, 250)  # training sequences, shared by every variant
BATCH_SIZE = 125  # divides the 10,000 sequences: no smaller last batch, no second compiled step
STEPS_PER_EXECUTION = 40  # batches run per call into the backend: the same steps, less overhead
LEARNING_RATE = 6e-3  # Adam's first step, decaying to zero along a cosine over the run
EPOCHS = run.epochs(8, 2)  # the same for every variant
N_TEST = run.pick(1_000, 200)  # new sequences for the held-out accuracy
MAIN_VARIANT = "bidirectional_concat"  # the chapter's model: Keras's default merge mode

# The compared models: forward and backward single LSTMs, then one Bidirectional per merge mode.
VARIANTS = ("forward", "backward", *(f"bidirectional_{mode}" for mode in MERGE_MODES))
print("variants:", ", ".join(VARIANTS))

# %% [markdown]
# ## Prepare the data
#
# `cumulative_sum_sequences` draws 10 values in [0, 1) per sequence and labels each step 1
# once the running sum has passed 2.5. One sequence, as the book prints it:

# %%
X, y = cumulative_sum_sequences(N_TRAIN, n_timesteps=N_TIMESTEPS, seed=run.seed)
X_test, y_test = cumulative_sum_sequences(N_TEST, n_timesteps=N_TIMESTEPS, seed=run.seed + 1)
print(f"cumulative sum: X{X.shape}, y{y.shape}; test X{X_test.shape}")
values = X[0, :, 0].astype(float)  # float64, so that rounding prints short numbers
print(f"X: {np.round(values, 3).tolist()}")
print(f"running sum: {np.round(np.cumsum(values), 3).tolist()}  (limit {N_TIMESTEPS / 4})")
print(f"y: {y[0, :, 0].astype(int).tolist()}")
print(f"share of steps labelled 1: {y.mean():.3f}")

# %% [markdown]
# ## Build the model
#
# The Bidirectional builder covers the four merge modes; the forward-only and
# backward-only models are the Vanilla LSTM builder with one output per step. Every variant
# maps `(batch, 10, 1)` to `(batch, 10, 1)`; `concat` hands the output layer `2 * 50`
# features per step, the other merge modes 50. On TensorFlow the LSTMs are unrolled over
# the 10 steps (`unroll=run.unroll`: the same equations, without the loop), which is faster
# for short sequences on a CPU; on JAX they loop, which runs as fast and compiles faster.

# %%
def build_variant(variant: str):
    """An uncompiled model for one of ``VARIANTS``, ``(batch, 10, 1) -> (batch, 10, 1)``."""
    input_shape = (N_TIMESTEPS, 1)
    if variant in ("forward", "backward"):
        return build_vanilla_lstm(input_shape, output_units=1, units=UNITS, output_activation="sigmoid",
                                  return_sequences=True, go_backwards=variant == "backward",
                                  unroll=run.unroll, name=variant)
    return build_bidirectional_lstm(input_shape, output_units=1, units=UNITS,
                                    merge_mode=variant.removeprefix("bidirectional_"), unroll=run.unroll,
                                    name=variant)


for variant in VARIANTS:
    built = build_variant(variant)
    features = built.get_layer("output").input.shape[-1]  # what the output layer reads per step
    print(f"{variant:22s} output {built.output_shape}, {features:3d} features per step into the output "
          f"layer, {built.count_params():6,} parameters; layers {[layer.name for layer in built.layers]}")
build_variant(MAIN_VARIANT).summary()

# %% [markdown]
# ## Train
#
# Each variant is built right after the same seed, so it starts from the weights it would
# have alone. `training.SideBySide` then trains all six at once, in one graph: one input
# feeds every variant, each keeps its own output and loss, and the loss minimised is their
# sum. A variant's weights get the gradient of its own loss only, and Adam updates each
# weight on its own, so every variant takes exactly the steps it would take fitted alone,
# on the same batches in the same order; what they share is one call into the backend per
# batch, and one graph to trace instead of six.

# %%
members = []
for variant in VARIANTS:
    run.seed_everything()  # the same seed, hence the same initial weights as alone, for every variant
    members.append(build_variant(variant))
schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, EPOCHS * math.ceil(len(X) / BATCH_SIZE))
# A quick run fits a few batches. On TensorFlow, running them eagerly skips graph tracing,
# which costs more than that training; JAX compiles faster than it runs eagerly.
together = training.SideBySide(members, loss="binary_crossentropy", optimizer=keras.optimizers.Adam(schedule),
                               metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION,
                               run_eagerly=run.quick and keras.backend.backend() == "tensorflow")
run.seed_everything()  # the batches' order: as each variant's own fit would draw it
with run.timed("fit_s"):
    histories = together.fit(X, y, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True,
                             verbose=run.fit_verbose, callbacks=run.callbacks("variants"))
trained = {variant: (together.members[variant], histories[variant]) for variant in VARIANTS}
for variant, (_, history) in trained.items():
    print(f"{variant:22s} final training loss {history['loss'][-1]:.4f}")

# %% [markdown]
# ## Evaluate
#
# A step is labelled 1 where the sigmoid output passes 0.5; accuracy counts every step of
# every new sequence.

# %%
def per_step_accuracy(model, X, y) -> tuple[float, np.ndarray]:
    """Fraction of steps labelled right, and the predicted labels ``(sequences, steps)``."""
    predicted = (model.predict(X, batch_size=len(X), verbose=run.fit_verbose)[..., 0] > 0.5).astype(int)
    return float((predicted == y[..., 0]).mean()), predicted


accuracies, predictions = {}, {}
with run.timed("evaluate_s"):
    for variant, (model, _) in trained.items():
        accuracies[variant], predictions[variant] = per_step_accuracy(model, X_test, y_test)
print(f"{'variant':22s} {'final loss':>10s} {'accuracy':>9s}")
for variant, (_, history) in trained.items():
    print(f"{variant:22s} {history['loss'][-1]:10.4f} {accuracies[variant]:9.4f}")
print(f"\n{MAIN_VARIANT}: per-step accuracy {accuracies[MAIN_VARIANT]:.4f} on {len(X_test):,} new sequences")
print(f"predicted {predictions[MAIN_VARIANT][0].tolist()}\nexpected  {y_test[0, :, 0].astype(int).tolist()}")

# %% [markdown]
# Every variant's learning curve (same data, same epochs): forward and backward dashed.

# %%
fig, ax = plt.subplots(figsize=(8, 5))
for variant, (_, history) in trained.items():
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label=variant, linestyle="--" if "bidirectional" not in variant
            else "-")
ax.set(title="Cumulative sum: training loss of each variant (same data, same epochs)",
       xlabel="epoch", ylabel="binary cross-entropy", yscale="log")
ax.legend()
fig.tight_layout()
run.save_figure(fig, "variant_learning_curves.png")

# %% [markdown]
# A few new sequences: the running sum against the limit, with the true and the predicted
# labels of the chapter's model.

# %%
count = 3
fig, axes = plt.subplots(1, count, figsize=(4 * count, 3.5), sharey=True)
steps = np.arange(N_TIMESTEPS)
for i, ax in enumerate(np.atleast_1d(axes)):
    ax.plot(steps, np.cumsum(X_test[i, :, 0]), marker="o", label="running sum")
    ax.axhline(N_TIMESTEPS / 4, color="grey", linestyle=":", label="limit")
    ax.step(steps, y_test[i, :, 0] * N_TIMESTEPS / 4, where="mid", label="true label (scaled)")
    ax.scatter(steps, predictions[MAIN_VARIANT][i] * N_TIMESTEPS / 4, marker="x", color="red", zorder=3,
               label="predicted label (scaled)")
    ax.set(title=f"test sequence {i}", xlabel="step")
np.atleast_1d(axes)[0].legend(fontsize=8)
fig.tight_layout()
run.save_figure(fig, "cumulative_sum_examples.png")

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target (the `concat` model's per-step accuracy >= 0.98), writes
# `metrics.json` with every variant's learning curve, and stops a full run that missed it.

# %%
metrics = {"accuracy": accuracies[MAIN_VARIANT]}
metrics.update({f"{variant}_final_loss": history["loss"][-1] for variant, (_, history) in trained.items()})
metrics.update({f"{variant}_accuracy": accuracies[variant] for variant in VARIANTS})
record = run.finish(metrics, learning_curves={v: h["loss"] for v, (_, h) in trained.items()},
                    settings={"n_train": len(X), "n_test": len(X_test), "units": UNITS,
                              "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE,
                              "epochs": len(trained[MAIN_VARIANT][1]["loss"])})
