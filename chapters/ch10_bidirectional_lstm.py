"""Chapter 10: How to Develop Bidirectional LSTMs.

Description: a Bidirectional LSTM labels every step of a sequence, compared with one-way LSTMs.

The book's cumulative-sum problem draws 10 values in [0, 1) per sequence; a step's label
turns to 1 once the running sum passes 10 / 4 = 2.5. `Bidirectional(LSTM(50,
return_sequences=True)) -> TimeDistributed(Dense(1, sigmoid))`, fitted with Adam on 1,000
sequences one at a time, labels all 10 steps of a new sequence right. Its comparison fits
forward, backward and Bidirectional LSTMs on 250 sequences each and plots their training
loss: the Bidirectional one falls sooner and lower; a second plot compares the merge
modes. Here the forward and backward LSTMs and a Bidirectional LSTM per merge mode train
batched on the same 10,000 sequences for 8 epochs. The `concat` model must label 98% of
the steps of 1,000 new sequences right, and one figure plots every learning curve.
"""

# %% [markdown]
# ## Setup
#
# `book.start(10)` reads the flags (`--quick`, `--seed`, `--verbose`, ...), seeds Python,
# NumPy and Keras, and creates the output folder. The settings are the full run's;
# `run.pick(full, quick)` swaps in a tiny one for the quick run (`--quick`).
# In Jupyter, `book.start(10, ["--quick"])` makes this notebook a quick run.

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
SEED = run.seed  # 42 unless --seed
VERBOSE = run.verbose  # Keras's progress bars under --verbose
CALLBACKS = run.callbacks  # a TensorBoard logger under --tensorboard

N_TIMESTEPS = 10  # values per sequence; the label turns to 1 once the sum passes N_TIMESTEPS / 4
UNITS = 50  # memory cells per direction, as in the book's Bidirectional model
N_TRAIN = run.pick(10_000, 250)  # training sequences, shared by every variant
BATCH_SIZE = 125  # divides the 10,000 sequences: no smaller last batch, no second compiled step
STEPS_PER_EXECUTION = 40  # batches run per call into the backend: the same steps, less overhead
LEARNING_RATE = 6e-3  # Adam's first step, decaying to zero along a cosine over the run
EPOCHS = run.epochs(8, 2)  # the same for every variant
N_TEST = run.pick(1_000, 200)  # new sequences for the held-out accuracy
MAIN_VARIANT = "bidirectional_concat"  # the chapter's model: Keras's default merge mode
N_SHOWN = 3  # new sequences drawn with their true and predicted labels
UNROLL = keras.backend.backend() != "jax"  # short loops: written out on TensorFlow, XLA's own loop on JAX
# A quick run fits a few batches: on TensorFlow, tracing a graph costs more than running them eagerly.
RUN_EAGERLY = run.quick and keras.backend.backend() == "tensorflow"

# The compared models: forward and backward single LSTMs, then one Bidirectional per merge mode.
VARIANTS = ("forward", "backward", *(f"bidirectional_{mode}" for mode in MERGE_MODES))
print("variants:", ", ".join(VARIANTS))

# %% [markdown]
# ## Prepare the data
#
# `cumulative_sum_sequences` draws 10 values in [0, 1) per sequence and labels each step 1
# once the running sum has passed 2.5. One sequence, as the book prints it:

# %%
X, y = cumulative_sum_sequences(N_TRAIN, n_timesteps=N_TIMESTEPS, seed=SEED)
X_test, y_test = cumulative_sum_sequences(N_TEST, n_timesteps=N_TIMESTEPS, seed=SEED + 1)
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
# features per step, the other merge modes 50. The backward LSTM's outputs are put back in
# input order, as `Bidirectional` does for its backward half.

# %%
def build_variant(variant: str):
    """An uncompiled model for one of ``VARIANTS``, ``(batch, 10, 1) -> (batch, 10, 1)``."""
    input_shape = (N_TIMESTEPS, 1)
    if variant in ("forward", "backward"):
        return build_vanilla_lstm(input_shape, output_units=1, units=UNITS, output_activation="sigmoid",
                                  return_sequences=True, go_backwards=variant == "backward",
                                  unroll=UNROLL, name=variant)
    return build_bidirectional_lstm(input_shape, output_units=1, units=UNITS,
                                    merge_mode=variant.removeprefix("bidirectional_"), unroll=UNROLL,
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
# on the same batches in the same order. What they share is one call into the backend per
# batch, and one graph to trace instead of six.

# %%
members = []
for variant in VARIANTS:
    keras.utils.set_random_seed(SEED)  # the same initial weights as alone, for every variant
    members.append(build_variant(variant))
schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, EPOCHS * math.ceil(len(X) / BATCH_SIZE))
together = training.SideBySide(members, loss="binary_crossentropy", optimizer=keras.optimizers.Adam(schedule),
                               metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION,
                               run_eagerly=RUN_EAGERLY)
keras.utils.set_random_seed(SEED)  # the batches' order: as each variant's own fit would draw it
histories = together.fit(X, y, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True,
                         verbose=VERBOSE, callbacks=CALLBACKS)
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
    predicted = (model.predict(X, batch_size=len(X), verbose=VERBOSE)[..., 0] > 0.5).astype(int)
    return float((predicted == y[..., 0]).mean()), predicted


accuracies, predictions = {}, {}
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
fig, ax = plt.subplots(figsize=(8, 5), num="variant_learning_curves")
for variant, (_, history) in trained.items():
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label=variant, linestyle="--" if "bidirectional" not in variant
            else "-")
ax.set(title="Cumulative sum: training loss of each variant (same data, same epochs)",
       xlabel="epoch", ylabel="binary cross-entropy", yscale="log")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# A few new sequences: the running sum against the limit, with the true and the predicted
# labels of the chapter's model.

# %%
fig, axes = plt.subplots(1, N_SHOWN, figsize=(4 * N_SHOWN, 3.5), sharey=True, num="cumulative_sum_examples")
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
plt.show()

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target (the `concat` model's per-step accuracy >= 0.98), writes
# `metrics.json` with every variant's learning curve, and stops a full run that missed it
# (a non-zero exit from the command line, an error in a notebook).

# %%
metrics = {"accuracy": accuracies[MAIN_VARIANT]}
metrics.update({f"{variant}_final_loss": history["loss"][-1] for variant, (_, history) in trained.items()})
metrics.update({f"{variant}_accuracy": accuracies[variant] for variant in VARIANTS})
record = run.finish(metrics, learning_curves={v: h["loss"] for v, (_, h) in trained.items()},
                    settings={"n_train": len(X), "n_test": len(X_test), "units": UNITS,
                              "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE,
                              "epochs": len(trained[MAIN_VARIANT][1]["loss"])})

# %% [markdown]
# ## How this differs from the book
#
# The book fits one sequence at a time; here every model trains on 10,000 sequences in
# batches of 125 for 8 epochs, with Adam's step decaying from 6e-3 to zero along a cosine,
# and the six models train at once, each taking exactly the steps it would take alone. A
# Keras LSTM with `go_backwards=True` and `return_sequences=True` returns its outputs last
# step first, and the book's backward model leaves them so, which scores the output of
# step t against the label of step 9 - t; ours puts them back in input order, as
# `Bidirectional` does for its backward half, so it is judged against the same labels as
# the others. Since every label depends only on the values up to its step, the forward
# LSTM, trained batched, does as well as the Bidirectional ones, while the backward LSTM,
# which at step t has not yet read the values before it, stays far behind. The LSTMs are
# unrolled over the 10 steps on TensorFlow, which is faster on a CPU, and loop on JAX,
# which compiles faster.

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
main_model = trained[MAIN_VARIANT][0]
merge_losses = [metrics[f"bidirectional_{mode}_final_loss"] for mode in MERGE_MODES]
print(f"""\
- A Bidirectional LSTM reads the sequence both ways; with 'concat' the output layer reads
  {main_model.get_layer("output").input.shape[-1]} features per step ({main_model.count_params():,} weights).
- It labelled {accuracies[MAIN_VARIANT]:.1%} of the steps of {len(X_test):,} new sequences right.
- The forward LSTM, which has read every value a label depends on, labelled {accuracies['forward']:.1%};
  the backward LSTM, which has not, {accuracies['backward']:.1%}.
- The four merge modes ended at training losses from {min(merge_losses):.4f} to {max(merge_losses):.4f}.""")

# %% [markdown]
# ## Further reading
#
# - Mike Schuster and Kuldip K. Paliwal,
#   [Bidirectional Recurrent Neural Networks](https://doi.org/10.1109/78.650093),
#   IEEE Transactions on Signal Processing 45(11), 1997.
# - Alex Graves and Jürgen Schmidhuber,
#   [Framewise Phoneme Classification with Bidirectional LSTM and Other Neural Network Architectures](https://doi.org/10.1016/j.neunet.2005.06.042),
#   Neural Networks 18(5–6), 2005.
# - Keras API: [`Bidirectional`](https://keras.io/api/layers/recurrent_layers/bidirectional/),
#   [`LSTM`](https://keras.io/api/layers/recurrent_layers/lstm/),
#   [`TimeDistributed`](https://keras.io/api/layers/recurrent_layers/time_distributed/),
#   [`CosineDecay`](https://keras.io/api/optimizers/learning_rate_schedules/cosine_decay/).

# %% [markdown]
# ## Extensions
#
# - Label each step by whether the sum of the values from that step to the end passes
#   the limit. Which of the forward and backward LSTMs does well now?
# - Label each step by whether the sum of all 10 values passes 5: can any one-way LSTM
#   label the first steps right?
# - Make the sequences longer (20, 50 steps, the limit a quarter of the length): does the
#   forward LSTM still keep up with the Bidirectional ones?
# - Fit one sequence at a time, as the book does (`batch_size=1`, 250 sequences): do the
#   learning curves order the variants as the book's figure does?
