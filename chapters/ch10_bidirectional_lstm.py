"""Chapter 10: Develop Bidirectional LSTMs.

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
its per-step ``accuracy`` on 1,000 new sequences must reach 0.98. ``<variant>_final_loss``
is each variant's training loss after the last epoch, and one figure plots every learning
curve.

One difference from the book, on purpose: a Keras LSTM with ``go_backwards=True`` and
``return_sequences=True`` returns its outputs last step first. The book's backward model
leaves them so, which scores step ``t``'s output against the label of step ``9 - t``. Here
``build_vanilla_lstm(..., go_backwards=True)`` puts them back in input order (as
``Bidirectional`` does for its backward half), so the backward LSTM is judged fairly: at
step ``t`` it has read ``x[9] ... x[t]`` and must still guess the sum of ``x[0] ... x[t]``.
Since every label depends only on the values up to its step, the forward LSTM does as well
as the Bidirectional ones once trained batched, while the backward LSTM, which never sees
those values in order, stays far behind.

Run it with ``make ch10`` or ``python -m chapters.ch10_bidirectional_lstm [--quick]``.
"""

# %% [markdown]
# ## Setup

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from lstmbook.chapter import Chapter
from lstmbook.models import MERGE_MODES, build_bidirectional_lstm, build_vanilla_lstm
from lstmbook.problems import cumulative_sum_sequences

CHAPTER = Chapter(
    10, "bidirectional_lstm", "Bidirectional LSTMs",
    book="all 10 steps of a new sequence right; Bidirectional loss below forward and backward",
    targets={"accuracy": (">=", 0.98)},
    main_figure="variant_learning_curves.png",
)

N_TIMESTEPS = 10  # values per sequence; the label turns to 1 once the sum passes N_TIMESTEPS / 4
UNITS = 50  # memory cells per direction, as in the book's Bidirectional model
N_TRAIN = 10_000  # training sequences, shared by every variant
BATCH_SIZE = 128
LEARNING_RATE = 3e-3  # Adam's; batches of 128 train faster with a step above Keras's default 1e-3
EPOCHS = 20  # the same for every variant
N_TEST = 1_000  # new sequences for the held-out accuracy
MAIN_VARIANT = "bidirectional_concat"  # the chapter's model: Keras's default merge mode

#: The compared models: forward and backward single LSTMs, then one Bidirectional per merge mode.
VARIANTS = ("forward", "backward", *(f"bidirectional_{mode}" for mode in MERGE_MODES))

# %% [markdown]
# ## Prepare the data

# %%
def describe_sequence(run, X, y) -> None:
    """Log one sequence: its values, running sum and labels, as the book prints them."""
    values = X[0, :, 0].astype(float)  # float64, so that rounding prints short numbers
    run.log(f"X: {np.round(values, 3).tolist()}")
    run.log(f"running sum: {np.round(np.cumsum(values), 3).tolist()}  (limit {N_TIMESTEPS / 4})")
    run.log(f"y: {y[0, :, 0].astype(int).tolist()}")


# %% [markdown]
# ## Build the models
#
# The Bidirectional builder covers the four merge modes; the forward-only and
# backward-only models are the Vanilla LSTM builder with one output per step.

# %%
def build_variant(variant: str):
    """An uncompiled model for one of :data:`VARIANTS`, ``(batch, 10, 1) -> (batch, 10, 1)``."""
    input_shape = (N_TIMESTEPS, 1)
    if variant in ("forward", "backward"):
        return build_vanilla_lstm(input_shape, output_units=1, units=UNITS, output_activation="sigmoid",
                                  return_sequences=True, go_backwards=variant == "backward",
                                  name=variant)
    return build_bidirectional_lstm(input_shape, output_units=1, units=UNITS,
                                    merge_mode=variant.removeprefix("bidirectional_"), name=variant)


# %% [markdown]
# ## Train every variant on identical data and epochs

# %%
def train_variants(run, X, y, epochs: int) -> dict:
    """Fit every variant from the same seed on ``X``/``y``; returns ``{variant: (model, history)}``."""
    trained = {}
    for variant in tqdm(VARIANTS, desc="variants", unit="model"):
        run.seed_everything()  # the same seed, hence the same batches, for every variant
        model = build_variant(variant)
        # A quick run fits a few batches. On TensorFlow, running them eagerly skips graph tracing,
        # which costs more than that training; JAX compiles faster than it runs eagerly.
        model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(LEARNING_RATE),
                      metrics=["accuracy"], run_eagerly=run.quick and keras.backend.backend() == "tensorflow")
        history = model.fit(X, y, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True,
                            verbose=run.fit_verbose, callbacks=run.callbacks(variant))
        trained[variant] = (model, history.history)
    for variant, (_, history) in trained.items():  # after the loop, so the progress bar stays whole
        run.log(f"{variant:22s} final training loss {history['loss'][-1]:.4f}")
    return trained


# %% [markdown]
# ## Evaluate

# %%
def per_step_accuracy(model, X, y, verbose) -> tuple[float, np.ndarray]:
    """Fraction of steps labelled right, and the predicted labels ``(sequences, steps)``."""
    predicted = (model.predict(X, batch_size=len(X), verbose=verbose)[..., 0] > 0.5).astype(int)
    return float((predicted == y[..., 0]).mean()), predicted


def plot_learning_curves(trained):
    fig, ax = plt.subplots(figsize=(8, 5))
    for variant, (_, history) in trained.items():
        epochs = np.arange(1, len(history["loss"]) + 1)
        ax.plot(epochs, history["loss"], label=variant, linestyle="--" if "bidirectional" not in variant
                else "-")
    ax.set(title="Cumulative sum: training loss of each variant (same data, same epochs)",
           xlabel="epoch", ylabel="binary cross-entropy", yscale="log")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_example(X, y, predicted, count: int = 3):
    """A few test sequences: the running sum against the limit, true and predicted labels."""
    fig, axes = plt.subplots(1, count, figsize=(4 * count, 3.5), sharey=True)
    steps = np.arange(N_TIMESTEPS)
    for i, ax in enumerate(np.atleast_1d(axes)):
        ax.plot(steps, np.cumsum(X[i, :, 0]), marker="o", label="running sum")
        ax.axhline(N_TIMESTEPS / 4, color="grey", linestyle=":", label="limit")
        ax.step(steps, y[i, :, 0] * N_TIMESTEPS / 4, where="mid", label="true label (scaled)")
        ax.scatter(steps, predicted[i] * N_TIMESTEPS / 4, marker="x", color="red", zorder=3,
                   label="predicted label (scaled)")
        ax.set(title=f"test sequence {i}", xlabel="step")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


# %% [markdown]
# ## Run the chapter


# %%
def main(argv=None) -> dict:
    run = CHAPTER.start(argv)
    X, y = cumulative_sum_sequences(run.pick(N_TRAIN, 256), n_timesteps=N_TIMESTEPS, seed=run.seed)
    X_test, y_test = cumulative_sum_sequences(run.pick(N_TEST, 200), n_timesteps=N_TIMESTEPS,
                                              seed=run.seed + 1)
    run.log(f"cumulative sum: X{X.shape}, y{y.shape}")
    describe_sequence(run, X, y)

    trained = train_variants(run, X, y, epochs=run.epochs(EPOCHS, 2))
    accuracies, predictions = {}, {}
    for variant, (model, _) in trained.items():
        accuracies[variant], predictions[variant] = per_step_accuracy(model, X_test, y_test, run.fit_verbose)
    run.log(f"\n{MAIN_VARIANT}: per-step accuracy {accuracies[MAIN_VARIANT]:.4f} on {len(X_test):,} new sequences")
    run.log(f"predicted {predictions[MAIN_VARIANT][0].tolist()}\nexpected  {y_test[0, :, 0].astype(int).tolist()}")

    run.save_figure(plot_learning_curves(trained), "variant_learning_curves.png")
    run.save_figure(plot_example(X_test, y_test, predictions[MAIN_VARIANT]), "cumulative_sum_examples.png")
    metrics = {"accuracy": accuracies[MAIN_VARIANT]}
    metrics.update({f"{variant}_final_loss": history["loss"][-1] for variant, (_, history) in trained.items()})
    metrics.update({f"{variant}_accuracy": accuracies[variant] for variant in VARIANTS})
    return run.finish(metrics, learning_curves={v: h["loss"] for v, (_, h) in trained.items()},
                      settings={"n_train": len(X), "n_test": len(X_test), "units": UNITS,
                                "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE, "epochs": len(trained[MAIN_VARIANT][1]["loss"])})


if __name__ == "__main__":
    main()
