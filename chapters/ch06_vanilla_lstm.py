"""Chapter 6: How to Develop Vanilla LSTMs.

Description: one LSTM layer remembers the value at step 2 of a 5-step one-hot sequence.
Book: ``LSTM(25) -> Dense(10, softmax)``, Adam, cross-entropy, fitted 10,000 times on one
new random sequence each (``epochs=1, batch_size=1``); 100% accuracy on 100 new sequences.
Here: the same model and as many sequences (10,016: the book's 10,000 rounded up to whole
batches of 32), trained in mini-batches; accuracy >= 0.99 on 1,000 new sequences (it
reaches 1.0), in seconds instead of minutes.

Why batches are the same learning problem: the book's loop shows the model 10,000
independent sequences drawn from one distribution, each once, and takes one Adam step per
sequence. We draw 10,016 independent sequences from the same distribution, with one
vectorised call, and take Adam steps on mini-batches of them. Both minimise the same
expected cross-entropy over the same data distribution; a mini-batch step averages the
gradient of 32 sequences instead of following one, so each step is less noisy and we can
take a larger one (``LEARNING_RATE``). What changes is the cost: the book calls
``fit`` 10,000 times, and every call pays Keras's per-call set-up (data adapter,
callbacks, progress), which dominates a one-sample step; here ``fit`` is called once and
runs ``STEPS_PER_EXECUTION`` steps per call into the backend.

Run it with ``make ch06``, ``python -m chapters.ch06_vanilla_lstm [--quick]``, or open it
as a notebook (``LSTMBOOK_QUICK=1`` for the quick run).
"""

# %% [markdown]
# ## Setup
#
# `book.start(6)` reads the flags (`--quick`, `--seed`, ... or `LSTMBOOK_QUICK=1` in a
# notebook), seeds Python, NumPy and Keras, and creates the output folder. Each setting
# below is the full run's; `run.pick(full, quick)` swaps in a tiny one for the quick run.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters import _book as book
from lstmbook import models, problems

run = book.start(6)

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
with run.timed("generate_s"):
    common = dict(length=LENGTH, n_features=N_FEATURES, out_index=OUT_INDEX)
    X_train, y_train = problems.echo_sequences(N_TRAIN, seed=run.seed, **common)
    X_test, y_test = problems.echo_sequences(N_TEST, seed=run.seed + 1, **common)
print(f"train X{X_train.shape} y{y_train.shape}, test X{X_test.shape} y{y_test.shape}")
print("first sequence:", problems.decode_echo(X_train[:1])[0].tolist(),
      "-> target", problems.decode_echo(y_train[:1])[0])

# %% [markdown]
# ## Build the model
#
# `LSTM(25) -> Dense(10, softmax)`, compiled with cross-entropy and Adam. The LSTM is
# unrolled (5 steps only), which trains several times faster on a CPU.

# %%
run.seed_everything()
model = models.build_vanilla_lstm((LENGTH, N_FEATURES), output_units=N_FEATURES, units=UNITS,
                                  output_activation="softmax", unroll=True)
model.compile(loss="categorical_crossentropy",
              optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
              metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
model.summary()

# %% [markdown]
# ## Train

# %%
with run.timed("fit_s"):
    history = model.fit(X_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True,
                        verbose=run.fit_verbose, callbacks=run.callbacks("echo"))
for epoch, (loss, acc) in enumerate(zip(history.history["loss"], history.history["accuracy"], strict=True), 1):
    print(f"epoch {epoch}: loss {loss:.4f}, accuracy {acc:.4f}")

# %% [markdown]
# ## Evaluate
#
# One batched `predict` on the new sequences; the predicted value is the argmax of the
# softmax, as the book's `one_hot_decode`.

# %%
with run.timed("evaluate_s"):
    probabilities = model.predict(X_test, batch_size=len(X_test), verbose=run.fit_verbose)
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
fig, axes = plt.subplots(1, N_SHOWN + 1, figsize=(3 * (N_SHOWN + 1), 3.2))
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
run.save_figure(fig, "echo_examples.png")

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the targets, writes `metrics.json`, and stops a full run that missed
# one (a non-zero exit from the command line, an error in a notebook).

# %%
record = run.finish(
    {"accuracy": accuracy, "n_test": len(X_test), "final_train_loss": history.history["loss"][-1]},
    settings={"n_train": len(X_train), "epochs": len(history.history["loss"]),
              "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE},
)
