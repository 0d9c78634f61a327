"""Chapter 6: How to Develop Vanilla LSTMs.

Description: one LSTM layer remembers the value at step 2 of a 5-step sequence.

The echo problem: each sequence is 5 random integers in 0..9, one-hot encoded, and the
model must output the value at index 2 once it has read them all. The book fits
`LSTM(25) -> Dense(10, softmax)` with Adam 10,000 times, on one new sequence each time,
and reaches 100% accuracy on 100 new sequences. Here the same model learns from 10,016
sequences in mini-batches of 32, and must reach 99% accuracy on 1,000 new sequences
(it reaches 100%).
"""

# %% [markdown]
# ## Setup
#
# `book.start(6)` reads the flags (`--quick`, `--seed`, `--verbose`, ...), seeds Python,
# NumPy and Keras, and creates the output folder. The settings are the full run's;
# `run.pick(full, quick)` swaps in a tiny one for the quick run (`--quick`).

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters import _book as book
from lstmbook import models, problems

run = book.start(6)
SEED = run.seed  # 42 unless --seed
VERBOSE = run.verbose  # Keras's progress bars under --verbose
CALLBACKS = run.callbacks  # a TensorBoard logger under --tensorboard

LENGTH = 5  # time steps per sequence
N_FEATURES = 10  # values 0..9, one-hot encoded
OUT_INDEX = 2  # the step whose value the model must echo
UNITS = 25  # LSTM memory cells, as in the book
N_TRAIN = run.pick(10_016, 1_024)  # the book's 10,000 one-sample fits, rounded up to whole batches of 32
N_TEST = run.pick(1_000, 200)  # new sequences to evaluate on (the book uses 100)
BATCH_SIZE = 32  # sequences per gradient step (the book: 1)
EPOCHS = run.epochs(4, 3)  # passes over the training sequences
LEARNING_RATE = 0.003  # Adam's step; larger than the default 0.001 because batches average out noise
STEPS_PER_EXECUTION = 50  # batches run per call into the backend: less Python overhead per step
N_SHOWN = 5  # test sequences printed and drawn

# %% [markdown]
# ## Prepare the data
#
# Each sequence is 5 random integers in 0..9, one-hot encoded as `(5, 10)`; the target is
# the one-hot value at index 2. `problems.echo_sequences` makes all of them in one call.

# %%
common = dict(length=LENGTH, n_features=N_FEATURES, out_index=OUT_INDEX)
X_train, y_train = problems.echo_sequences(N_TRAIN, seed=SEED, **common)
X_test, y_test = problems.echo_sequences(N_TEST, seed=SEED + 1, **common)
print(f"train X{X_train.shape} y{y_train.shape}, test X{X_test.shape} y{y_test.shape}")
print("first sequence:", problems.decode_echo(X_train[:1])[0].tolist(),
      "-> target", problems.decode_echo(y_train[:1])[0])

# %% [markdown]
# ## Build the model
#
# `LSTM(25) -> Dense(10, softmax)`, compiled with cross-entropy and Adam. The LSTM is
# unrolled (5 steps only), which trains several times faster on a CPU. Seeding right
# before the build makes the initial weights depend on the seed alone.

# %%
keras.utils.set_random_seed(SEED)
model = models.build_vanilla_lstm((LENGTH, N_FEATURES), output_units=N_FEATURES, units=UNITS,
                                  output_activation="softmax", unroll=True)
model.compile(loss="categorical_crossentropy",
              optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
              metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
model.summary()

# %% [markdown]
# ## Train

# %%
history = model.fit(X_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True,
                    verbose=VERBOSE, callbacks=CALLBACKS)
for epoch, (loss, acc) in enumerate(zip(history.history["loss"], history.history["accuracy"], strict=True), 1):
    print(f"epoch {epoch}: loss {loss:.4f}, accuracy {acc:.4f}")

# %% [markdown]
# ## Evaluate
#
# One batched `predict` on the new sequences; the predicted value is the argmax of the
# softmax, as the book's `one_hot_decode`.

# %%
probabilities = model.predict(X_test, batch_size=len(X_test), verbose=VERBOSE)
predicted = problems.decode_echo(probabilities)
expected = problems.decode_echo(y_test)
sequences = problems.decode_echo(X_test)
for i in range(N_SHOWN):
    print(f"sequence {sequences[i].tolist()}  expected {expected[i]}  predicted {predicted[i]}")
accuracy = float(np.mean(predicted == expected))
print(f"accuracy on {len(X_test)} new sequences: {accuracy:.4f}")

# %% [markdown]
# The first test sequences as images (value against time step), with the step to echo
# highlighted, and the training curve.

# %%
fig, axes = plt.subplots(1, N_SHOWN + 1, figsize=(3 * (N_SHOWN + 1), 3.2), num="echo_examples")
for i, ax in enumerate(axes[:N_SHOWN]):
    ax.imshow(X_test[i].T, cmap="Greys", aspect="auto", origin="lower")
    ax.axvspan(OUT_INDEX - 0.5, OUT_INDEX + 0.5, color="tab:orange", alpha=0.3)
    ax.set_title(f"expected {expected[i]}, predicted {predicted[i]}",
                 color="black" if expected[i] == predicted[i] else "red", fontsize=10)
    ax.set_xlabel("time step")
    ax.set_ylabel("value (one-hot)")
    ax.set_xticks(range(LENGTH))
    ax.set_yticks(range(N_FEATURES))
epochs_seen = range(1, len(history.history["loss"]) + 1)
axes[-1].plot(epochs_seen, history.history["loss"], marker="o", label="loss")
axes[-1].plot(epochs_seen, history.history["accuracy"], marker="o", label="accuracy")
axes[-1].set_xlabel("epoch")
axes[-1].set_title("training")
axes[-1].legend()
fig.suptitle("Echo the value at step 2 (highlighted)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target, writes `metrics.json`, and stops a full run that missed
# it (a non-zero exit from the command line, an error in a notebook).

# %%
record = run.finish(
    {"accuracy": accuracy, "n_test": len(X_test), "final_train_loss": history.history["loss"][-1]},
    settings={"n_train": len(X_train), "epochs": len(history.history["loss"]),
              "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE},
)

# %% [markdown]
# ## How this differs from the book
#
# The book calls `fit` 10,000 times, each on one new sequence for one epoch. We draw
# 10,016 sequences from the same distribution in one vectorised call (the book's 10,000
# rounded up to whole batches of 32) and fit them in mini-batches. Both minimise the same
# expected cross-entropy; a step on a batch averages 32 gradients instead of following
# one, so it is less noisy and can be larger (Adam at 0.003 instead of 0.001). One `fit`
# call also pays Keras's per-call set-up once, not 10,000 times, and `steps_per_execution`
# runs 50 batches per call into the backend: seconds instead of minutes. We test on 1,000
# new sequences, not 100.

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
print(f"""\
- The echo problem needs memory: the value to output went past 2 steps before the end.
- A vanilla LSTM is one LSTM layer and an output layer: LSTM({UNITS}) -> Dense({N_FEATURES}, softmax),
  {model.count_params():,} weights.
- It learned the problem from {len(X_train):,} sequences in {len(history.history['loss'])} epochs:
  training loss {history.history['loss'][0]:.3f} -> {history.history['loss'][-1]:.4f}.
- It echoed the right value for {accuracy:.1%} of {len(X_test):,} sequences it had never seen.""")

# %% [markdown]
# ## Further reading
#
# - Sepp Hochreiter and Jürgen Schmidhuber,
#   [Long Short-Term Memory](https://doi.org/10.1162/neco.1997.9.8.1735),
#   Neural Computation 9(8), 1997.
# - Felix A. Gers, Jürgen Schmidhuber and Fred Cummins,
#   [Learning to Forget: Continual Prediction with LSTM](https://doi.org/10.1162/089976600300015015),
#   Neural Computation 12(10), 2000.
# - Keras API: [`LSTM`](https://keras.io/api/layers/recurrent_layers/lstm/),
#   [`Dense`](https://keras.io/api/layers/core_layers/dense/),
#   [`Model.fit`](https://keras.io/api/models/model_training_apis/).

# %% [markdown]
# ## Extensions
#
# - Make the sequences longer (10, 20, 50 steps) and echo a step further back. When does
#   LSTM(25) stop reaching 99%?
# - Echo the value at the first step, or the values at two steps at once (two outputs).
# - Fit one sequence at a time, as the book does (`batch_size=1`): how much slower, and
#   is the accuracy the same?
