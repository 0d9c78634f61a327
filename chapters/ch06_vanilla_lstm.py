"""Chapter 6: How to Develop Vanilla LSTMs.

Description: one LSTM layer remembers the value at step 2 of a 5-step one-hot sequence.
Book: ``LSTM(25) -> Dense(10, softmax)``, Adam, cross-entropy, fitted 10,000 times on one
new random sequence each (``epochs=1, batch_size=1``); 100% accuracy on 100 new sequences.
Here: the same model and the same 10,000 sequences, trained in mini-batches; accuracy
>= 0.99 on 1,000 new sequences (it reaches 1.0), in seconds instead of minutes.

Why batches are the same learning problem: the book's loop shows the model 10,000
independent sequences drawn from one distribution, each once, and takes one Adam step per
sequence. We draw 10,000 independent sequences from the same distribution, with one
vectorised call, and take Adam steps on mini-batches of them. Both minimise the same
expected cross-entropy over the same data distribution; a mini-batch step averages the
gradient of 32 sequences instead of following one, so each step is less noisy and we can
take a larger one (``LEARNING_RATE``). What changes is the cost: the book calls
``fit`` 10,000 times, and every call pays Keras's per-call set-up (data adapter,
callbacks, progress), which dominates a one-sample step; here ``fit`` is called once and
runs ``STEPS_PER_EXECUTION`` steps per call into the backend.

Run it with ``make ch06`` or ``python -m chapters.ch06_vanilla_lstm [--quick]``.
"""

# %% [markdown]
# ## Setup

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from lstmbook import models, problems
from lstmbook.chapter import Chapter

CHAPTER = Chapter(
    6, "vanilla_lstm", "How to Develop Vanilla LSTMs",
    book="100% accuracy on 100 new echo sequences (LSTM(25), 10,000 one-sample fits)",
    targets={"accuracy": (">=", 0.99)},
    main_figure="echo_examples.png",
)

LENGTH = 5  # time steps per sequence
N_FEATURES = 10  # values 0..9, one-hot encoded
OUT_INDEX = 2  # the step whose value the model must echo
UNITS = 25  # LSTM memory cells, as in the book
N_TRAIN = 10_000  # training sequences: the book's 10,000 one-sample fits
N_TEST = 1_000  # new sequences to evaluate on (the book uses 100)
BATCH_SIZE = 32  # sequences per gradient step (the book: 1)
EPOCHS = 4  # passes over the training sequences
LEARNING_RATE = 0.003  # Adam's step; larger than the default 0.001 because batches average out noise
STEPS_PER_EXECUTION = 50  # batches run per call into the backend: less Python overhead per step
N_SHOWN = 5  # test sequences printed and drawn

# Quick run: the same code paths on a few hundred sequences.
QUICK_N_TRAIN, QUICK_N_TEST, QUICK_EPOCHS = 1_000, 200, 3


# %% [markdown]
# ## Prepare the data
#
# Each sequence is 5 random integers in 0..9, one-hot encoded as `(5, 10)`; the target is
# the one-hot value at index 2. `problems.echo_sequences` makes all of them in one call.


# %%
def prepare_data(run):
    n_train = run.pick(N_TRAIN, QUICK_N_TRAIN)
    n_test = run.pick(N_TEST, QUICK_N_TEST)
    common = dict(length=LENGTH, n_features=N_FEATURES, out_index=OUT_INDEX)
    X_train, y_train = problems.echo_sequences(n_train, seed=run.seed, **common)
    X_test, y_test = problems.echo_sequences(n_test, seed=run.seed + 1, **common)
    run.log(f"train X{X_train.shape} y{y_train.shape}, test X{X_test.shape} y{y_test.shape}")
    return X_train, y_train, X_test, y_test


# %% [markdown]
# ## Build the model
#
# `LSTM(25) -> Dense(10, softmax)`, compiled with cross-entropy and Adam. The LSTM is
# unrolled (5 steps only), which trains several times faster on a CPU.


# %%
def build_model(run):
    run.seed_everything()
    model = models.build_vanilla_lstm((LENGTH, N_FEATURES), output_units=N_FEATURES, units=UNITS,
                                      output_activation="softmax", unroll=True)
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
    model.summary(print_fn=run.log)
    return model


# %% [markdown]
# ## Train


# %%
def train(run, model, X_train, y_train):
    history = model.fit(X_train, y_train, epochs=run.epochs(EPOCHS, QUICK_EPOCHS),
                        batch_size=BATCH_SIZE, shuffle=True, verbose=run.fit_verbose,
                        callbacks=run.callbacks("echo"))
    for epoch, (loss, acc) in enumerate(zip(history.history["loss"], history.history["accuracy"], strict=True), 1):
        run.log(f"epoch {epoch}: loss {loss:.4f}, accuracy {acc:.4f}")
    return history


# %% [markdown]
# ## Evaluate
#
# One batched `predict` on the new sequences; the predicted value is the argmax of the
# softmax, as the book's `one_hot_decode`.


# %%
def evaluate(run, model, X_test, y_test):
    probabilities = model.predict(X_test, batch_size=len(X_test), verbose=run.fit_verbose)
    predicted = problems.decode_echo(probabilities)
    expected = problems.decode_echo(y_test)
    sequences = problems.decode_echo(X_test)
    for i in range(N_SHOWN):
        run.log(f"sequence {sequences[i].tolist()}  expected {expected[i]}  predicted {predicted[i]}")
    return float(np.mean(predicted == expected)), sequences, expected, predicted


def plot_examples(run, X_test, expected, predicted, history):
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
    curve = axes[-1]
    curve.plot(range(1, len(history.history["loss"]) + 1), history.history["loss"], marker="o",
               label="loss")
    curve.plot(range(1, len(history.history["accuracy"]) + 1), history.history["accuracy"],
               marker="o", label="accuracy")
    curve.set_xlabel("epoch")
    curve.set_title("training")
    curve.legend()
    fig.suptitle("Echo the value at step 2 (highlighted)")
    fig.tight_layout()
    run.save_figure(fig, "echo_examples.png")


# %% [markdown]
# ## Run the chapter


# %%
def main(argv=None) -> dict:
    run = CHAPTER.start(argv)
    profile = {}
    began = time.perf_counter()
    X_train, y_train, X_test, y_test = prepare_data(run)
    profile["generate_s"] = time.perf_counter() - began

    model = build_model(run)
    began = time.perf_counter()
    history = train(run, model, X_train, y_train)
    profile["fit_s"] = time.perf_counter() - began

    began = time.perf_counter()
    accuracy, _, expected, predicted = evaluate(run, model, X_test, y_test)
    profile["evaluate_s"] = time.perf_counter() - began
    run.log(f"accuracy on {len(X_test)} new sequences: {accuracy:.4f}")
    plot_examples(run, X_test, expected, predicted, history)

    metrics = {
        "accuracy": accuracy,
        "n_test": len(X_test),
        "final_train_loss": history.history["loss"][-1],
    }
    profile = {key: round(value, 2) for key, value in profile.items()}
    run.log(f"profile (seconds): {profile}")
    return run.finish(metrics, profile=profile,
                      settings={"n_train": len(X_train), "epochs": len(history.history["loss"]),
                                "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE})


if __name__ == "__main__":
    main()
