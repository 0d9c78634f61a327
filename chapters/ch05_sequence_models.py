"""Chapter 5: Models for Sequence Prediction.

Description: one-to-one, one-to-many, many-to-one and many-to-many, each trained on a tiny task.
Book: prose and diagrams. It names the four ways of mapping inputs to outputs in
sequence prediction, with an example of each (a single classification, image
captioning, sentiment of a text, translation).
Here each mapping is a small Keras model, trained on a task where it is the natural fit.
One-to-one: a digit in, the next digit out. One-to-many: a digit in, the five digits
counting up from it out. Many-to-one: 10 bits in, how many are set out. Many-to-many:
8 digits in, the largest so far at every step out. Each prints its input and output
shapes and reports ``<type>_accuracy`` (per step where the output is a sequence).
With the full settings all four reach 0.99 or more (``min_accuracy`` target ≥ 0.9).

Run it with ``make ch05`` or ``python -m chapters.ch05_sequence_models [--quick]``.
"""

# %% [markdown]
# ## Setup

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from lstmbook.chapter import Chapter

CHAPTER = Chapter(
    5, "sequence_models", "Models for Sequence Prediction",
    book="diagrams of one-to-one, one-to-many, many-to-one and many-to-many",
    targets={"min_accuracy": (">=", 0.9)},
    main_figure="sequence_mappings.png",
)

DIGITS = 10  # one-hot width of a digit 0..9
COUNT_STEPS = 5  # one-to-many: how many digits to count up
BITS = 10  # many-to-one: length of the bit sequence (the count is 0..BITS)
MAX_STEPS = 8  # many-to-many: length of the digit sequence
UNITS = 32  # LSTM units in every model
LEARNING_RATE = 1e-2  # Adam; the tasks are small and clean
BATCH_SIZE = 32
TRAIN_SAMPLES = (3000, 256)  # (full, quick) training examples per task
TEST_SAMPLES = (1000, 128)  # (full, quick) held-out examples per task
EPOCHS = (15, 1)  # (full, quick)
MAPPINGS = ("one_to_one", "one_to_many", "many_to_one", "many_to_many")
DRAWN_STEPS = 4  # LSTM cells drawn per panel of the mappings figure


# %% [markdown]
# ## Prepare data: one tiny task per mapping
#
# Each generator returns `X` in the 3-D shape the LSTM takes and integer class targets
# `y` (one per output step). Digits are one-hot encoded; bits are a single 0/1 feature.


# %%
def one_hot(digits: np.ndarray) -> np.ndarray:
    return np.eye(DIGITS, dtype="float32")[digits]


def next_digit(n: int, rng):
    """One-to-one: X (n, 1, 10), a digit; y (n,), the next digit (9 wraps to 0)."""
    digits = rng.integers(0, DIGITS, size=n)
    return one_hot(digits)[:, None, :], (digits + 1) % DIGITS


def count_up(n: int, rng):
    """One-to-many: X (n, 1, 10), a digit d; y (n, COUNT_STEPS), d, d+1, … (mod 10)."""
    digits = rng.integers(0, DIGITS, size=n)
    return one_hot(digits)[:, None, :], (digits[:, None] + np.arange(COUNT_STEPS)) % DIGITS


def count_bits(n: int, rng):
    """Many-to-one: X (n, BITS, 1), random bits; y (n,), how many are 1."""
    bits = rng.integers(0, 2, size=(n, BITS))
    return bits[..., None].astype("float32"), bits.sum(axis=1)


def running_max(n: int, rng):
    """Many-to-many: X (n, MAX_STEPS, 10), digits; y (n, MAX_STEPS), the largest digit so far."""
    digits = rng.integers(0, DIGITS, size=(n, MAX_STEPS))
    return one_hot(digits), np.maximum.accumulate(digits, axis=1)


TASKS = {"one_to_one": next_digit, "one_to_many": count_up,
         "many_to_one": count_bits, "many_to_many": running_max}


# %% [markdown]
# ## Build the models
#
# * **One-to-one**: one step in, one output. An LSTM adds nothing over an MLP here, as
#   the book says, but the shapes are the ones every other mapping builds on.
# * **One-to-many**: an LSTM reads the single input, `RepeatVector` hands its summary to
#   each output step, and a second LSTM unrolls the output sequence.
# * **Many-to-one**: an LSTM reads the whole sequence; only its last output is used.
# * **Many-to-many**: `return_sequences=True` keeps one output per input step, and the
#   Dense layer is applied to each step.


# %%
def build_model(mapping: str, input_shape: tuple, n_classes: int) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="inputs")
    if mapping == "one_to_many":
        summary = keras.layers.LSTM(UNITS, name="encoder_lstm")(inputs)
        repeated = keras.layers.RepeatVector(COUNT_STEPS, name="repeat")(summary)
        hidden = keras.layers.LSTM(UNITS, return_sequences=True, name="decoder_lstm")(repeated)
    else:
        hidden = keras.layers.LSTM(UNITS, return_sequences=mapping == "many_to_many", name="lstm")(inputs)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="output")(hidden)
    return keras.Model(inputs, outputs, name=mapping)


# %% [markdown]
# ## Train and evaluate each mapping
#
# Accuracy is the fraction of correct output steps. For the sequence outputs we also
# log how many whole sequences are right.


# %%
def train_mapping(run, mapping: str, offset: int) -> dict:
    rng = np.random.default_rng(run.seed + offset)
    X, y = TASKS[mapping](run.pick(*TRAIN_SAMPLES), rng)
    X_test, y_test = TASKS[mapping](run.pick(*TEST_SAMPLES), rng)
    n_classes = BITS + 1 if mapping == "many_to_one" else DIGITS
    run.seed_everything(offset)
    model = build_model(mapping, X.shape[1:], n_classes)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=run.epochs(*EPOCHS), batch_size=BATCH_SIZE, verbose=run.fit_verbose,
              callbacks=run.callbacks(mapping))
    predicted = np.argmax(model.predict(X_test, verbose=run.fit_verbose), axis=-1)
    correct = predicted == y_test
    accuracy = float(correct.mean())
    whole = float(correct.reshape(len(y_test), -1).all(axis=1).mean())
    run.log(f"{mapping:13s} X{X.shape} -> y{y.shape}; model output {model.output.shape}; "
            f"accuracy {accuracy:.3f} (whole outputs right: {whole:.3f})")
    return {"accuracy": accuracy, "whole_accuracy": whole, "input_shape": list(X.shape),
            "output_shape": list(y.shape), "example": (X_test[0], y_test[0], predicted[0])}


# %% [markdown]
# ## The four mappings, drawn
#
# Each panel unrolls the LSTM over time (boxes in the middle). Inputs enter from below
# and outputs leave from above, at the steps where each mapping has them. Under each
# panel is one held-out example with the model's answer.


# %%
def as_text(values) -> str:
    return " ".join(str(int(v)) for v in np.atleast_1d(values))


def describe_example(mapping: str, example) -> str:
    x, y, predicted = example
    shown_x = x[:, 0] if mapping == "many_to_one" else np.argmax(x, axis=-1)  # bits, or one-hot digits
    return f"in: {as_text(shown_x)}\nexpected: {as_text(y)}\npredicted: {as_text(predicted)}"


def draw_mapping(ax, mapping: str, result: dict) -> None:
    steps = 1 if mapping == "one_to_one" else DRAWN_STEPS
    first = (DRAWN_STEPS - steps) / 2  # centre the unrolled cells in the panel
    cells = [first + t for t in range(steps)]
    inputs = cells if mapping.startswith("many") else cells[:1]
    outputs = cells if mapping.endswith("many") else cells[-1:]
    box = {"boxstyle": "round,pad=0.02", "linewidth": 1.5}
    for t in cells:
        ax.add_patch(FancyBboxPatch((t - 0.3, 0.8), 0.6, 0.5, facecolor="tab:green", alpha=0.5, **box))
        ax.text(t, 1.05, "LSTM", ha="center", va="center", fontsize=8)
        if t < cells[-1]:
            ax.annotate("", (t + 0.7, 1.05), (t + 0.3, 1.05), arrowprops={"arrowstyle": "->"})
    for t in inputs:
        ax.add_patch(FancyBboxPatch((t - 0.2, 0.0), 0.4, 0.4, facecolor="tab:blue", alpha=0.5, **box))
        ax.annotate("", (t, 0.8), (t, 0.4), arrowprops={"arrowstyle": "->"})
    for t in outputs:
        ax.add_patch(FancyBboxPatch((t - 0.2, 1.7), 0.4, 0.4, facecolor="tab:orange", alpha=0.5, **box))
        ax.annotate("", (t, 1.7), (t, 1.3), arrowprops={"arrowstyle": "->"})
    ax.set_xlim(-0.8, DRAWN_STEPS - 0.2)
    ax.set_ylim(-1.6, 2.5)
    ax.axis("off")
    ax.set_title(f"{mapping.replace('_', '-')}: X{tuple(result['input_shape'])} -> "
                 f"y{tuple(result['output_shape'])}\naccuracy {result['accuracy']:.3f}", fontsize=10)
    ax.text((DRAWN_STEPS - 1) / 2, -0.3, describe_example(mapping, result["example"]), ha="center", va="top",
            fontsize=9, family="monospace")


def plot_mappings(run, results: dict) -> None:
    fig, axes = plt.subplots(1, len(MAPPINGS), figsize=(16, 4.8))
    for ax, mapping in zip(axes, MAPPINGS, strict=True):
        draw_mapping(ax, mapping, results[mapping])
    fig.suptitle("Sequence prediction mappings (inputs blue, outputs orange)")
    fig.tight_layout()
    run.save_figure(fig, "sequence_mappings.png")


# %% [markdown]
# ## Run the chapter


# %%
def main(argv=None) -> dict:
    run = CHAPTER.start(argv)
    results = {mapping: train_mapping(run, mapping, offset)
               for offset, mapping in enumerate(MAPPINGS, start=1)}
    plot_mappings(run, results)
    metrics = {f"{mapping}_accuracy": results[mapping]["accuracy"] for mapping in MAPPINGS}
    metrics["min_accuracy"] = min(metrics.values())
    metrics.update({f"{mapping}_whole_accuracy": results[mapping]["whole_accuracy"]
                    for mapping in ("one_to_many", "many_to_many")})
    shapes = {mapping: {"input": results[mapping]["input_shape"], "output": results[mapping]["output_shape"]}
              for mapping in MAPPINGS}
    return run.finish(metrics, shapes=shapes)


if __name__ == "__main__":
    main()
