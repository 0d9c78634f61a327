"""Chapter 5: Models for Sequence Prediction.

Description: one-to-one, one-to-many, many-to-one and many-to-many, each on a tiny task.

The book names four ways of mapping inputs to outputs in sequence prediction, with a
diagram and an example of each: a single classification, image captioning, the sentiment
of a text, translation. It trains no model. Here each mapping is a small Keras model,
trained on a task where it is the natural fit: a digit in, the next digit out; a digit
in, five digits counting up from it out; 10 bits in, how many are set out; 8 digits in,
the largest so far at every step out. Each must reach 90% accuracy on held-out examples
(they reach 99% or more).
"""

# %% [markdown]
# ## Setup
#
# `book.start(5)` reads the flags (`--quick`, `--seed`, `--verbose`, ...), seeds Python,
# NumPy and Keras, and creates the output folder. The settings are the full run's;
# `run.pick(full, quick)` swaps in a tiny one for the quick run (`--quick`).
# In Jupyter, `book.start(5, ["--quick"])` makes this notebook a quick run.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from chapters import _book as book

run = book.start(5)
SEED = run.seed  # 42 unless --seed
VERBOSE = run.verbose  # Keras's progress bars under --verbose
CALLBACKS = run.callbacks  # a TensorBoard logger under --tensorboard

DIGITS = 10  # one-hot width of a digit 0..9
COUNT_STEPS = 5  # one-to-many: how many digits to count up
BITS = 10  # many-to-one: length of the bit sequence (the count is 0..BITS)
MAX_STEPS = 8  # many-to-many: length of the digit sequence
UNITS = 32  # LSTM units in every model
LEARNING_RATE = 1e-2  # Adam's first step size, decayed to 0 by the last epoch (cosine)
BATCH_SIZE = 32
STEPS_PER_EXECUTION = 50  # batches run per call into the backend: less Python overhead per step
UNROLL = keras.backend.backend() != "jax"  # short loops: written out on TensorFlow, XLA's own loop on JAX
N_TRAIN = run.pick(3_008, 256)  # training examples per task: whole batches of 32
N_TEST = run.pick(1000, 128)  # held-out examples per task
EPOCHS = run.epochs(15, 1)
MAPPINGS = ("one_to_one", "one_to_many", "many_to_one", "many_to_many")
N_CLASSES = {"one_to_one": DIGITS, "one_to_many": DIGITS, "many_to_one": BITS + 1, "many_to_many": DIGITS}
DRAWN_STEPS = 4  # LSTM cells drawn per panel of the mappings figure
N_EXAMPLES = 10  # held-out examples per task kept in metrics.json

# %% [markdown]
# ## Prepare the data
#
# One tiny task per mapping. Each generator returns `X` in the 3-D shape the LSTM takes
# and integer class targets `y` (one per output step). Digits are one-hot encoded; bits
# are a single 0/1 feature. Each task draws its training and then its held-out examples
# from its own generator, seeded with `seed + k` for the k-th mapping.

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


def shown_inputs(mapping: str, x: np.ndarray) -> np.ndarray:
    """An input as integers: the bits themselves, or the one-hot digits decoded."""
    return x[..., 0].astype(int) if mapping == "many_to_one" else np.argmax(x, axis=-1)


TASKS = {"one_to_one": next_digit, "one_to_many": count_up,
         "many_to_one": count_bits, "many_to_many": running_max}
data, examples = {}, {}
for offset, mapping in enumerate(MAPPINGS, start=1):
    rng = np.random.default_rng(SEED + offset)
    X, y = TASKS[mapping](N_TRAIN, rng)
    X_test, y_test = TASKS[mapping](N_TEST, rng)
    data[mapping] = (X, y, X_test, y_test)
    examples[mapping] = {"x": shown_inputs(mapping, X_test[:N_EXAMPLES]).tolist(),
                         "y": y_test[:N_EXAMPLES].tolist()}
    print(f"{mapping:13s} X{X.shape} -> y{y.shape}; held out X{X_test.shape} -> y{y_test.shape}; "
          f"e.g. {shown_inputs(mapping, X_test[0]).tolist()} -> {np.atleast_1d(y_test[0]).tolist()}")

# %% [markdown]
# ## Build the model
#
# * **One-to-one**: one step in, one output. An LSTM adds nothing over an MLP here, as
#   the book says, but the shapes are the ones every other mapping builds on.
# * **One-to-many**: an LSTM reads the single input, `RepeatVector` hands its summary to
#   each output step, and a second LSTM unrolls the output sequence.
# * **Many-to-one**: an LSTM reads the whole sequence; only its last output is used.
# * **Many-to-many**: `return_sequences=True` keeps one output per input step, and the
#   Dense layer is applied to each step.
#
# Each model is built right after seeding with `SEED + k` and trained before the next
# one is seeded, so that its weights and its shuffling depend on nothing else. Here is
# the first; the others are built where they are trained.

# %%
def build_model(mapping: str, input_shape: tuple, n_classes: int) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="inputs")
    if mapping == "one_to_many":
        summary = keras.layers.LSTM(UNITS, unroll=UNROLL, name="encoder_lstm")(inputs)
        repeated = keras.layers.RepeatVector(COUNT_STEPS, name="repeat")(summary)
        hidden = keras.layers.LSTM(UNITS, return_sequences=True, unroll=UNROLL, name="decoder_lstm")(repeated)
    else:
        hidden = keras.layers.LSTM(UNITS, return_sequences=mapping == "many_to_many", unroll=UNROLL,
                                   name="lstm")(inputs)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="output")(hidden)
    return keras.Model(inputs, outputs, name=mapping)


def build_mapping(mapping: str) -> keras.Model:
    """Seed, build and compile the model of ``mapping``; its seed offset is its place in MAPPINGS."""
    keras.utils.set_random_seed(SEED + MAPPINGS.index(mapping) + 1)
    model = build_model(mapping, data[mapping][0].shape[1:], N_CLASSES[mapping])
    # At a constant 1e-2, Adam's loss now and then jumps tenfold for an epoch or two; a jump
    # in the last epochs leaves the model where it landed. Decaying the step to zero over the
    # run keeps the fast start and makes the last epochs settle.
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=EPOCHS * N_TRAIN // BATCH_SIZE)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  steps_per_execution=STEPS_PER_EXECUTION)
    return model


models = {"one_to_one": build_mapping("one_to_one")}
models["one_to_one"].summary()

# %% [markdown]
# ## Train
#
# ### One-to-one

# %%
def fit_mapping(mapping: str) -> None:
    X, y, _, _ = data[mapping]
    history = models[mapping].fit(X, y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=VERBOSE,
                                  callbacks=CALLBACKS)
    losses = np.round(history.history["loss"], 4).tolist()
    print(f"{mapping}: training loss by epoch {losses}")


fit_mapping("one_to_one")

# %% [markdown]
# ### One-to-many: the encoder's summary, repeated for each output step

# %%
models["one_to_many"] = build_mapping("one_to_many")
models["one_to_many"].summary()
fit_mapping("one_to_many")

# %% [markdown]
# ### Many-to-one: only the last output is used

# %%
models["many_to_one"] = build_mapping("many_to_one")
models["many_to_one"].summary()
fit_mapping("many_to_one")

# %% [markdown]
# ### Many-to-many: one output per input step

# %%
models["many_to_many"] = build_mapping("many_to_many")
models["many_to_many"].summary()
fit_mapping("many_to_many")

# %% [markdown]
# ## Evaluate
#
# Accuracy is the fraction of correct output steps. For the sequence outputs we also
# count how many whole sequences are right.

# %%
results = {}
for mapping in MAPPINGS:
    model, (X, y, X_test, y_test) = models[mapping], data[mapping]
    # One batch: with steps_per_execution, a predict of many small batches would trace again.
    predicted = np.argmax(model.predict(X_test, batch_size=len(X_test), verbose=VERBOSE), axis=-1)
    correct = predicted == y_test
    accuracy = float(correct.mean())
    whole = float(correct.reshape(len(y_test), -1).all(axis=1).mean())
    print(f"{mapping:13s} X{X.shape} -> y{y.shape}; model output {model.output.shape}; "
          f"accuracy {accuracy:.3f} (whole outputs right: {whole:.3f})")
    results[mapping] = {"accuracy": accuracy, "whole_accuracy": whole, "input_shape": list(X.shape),
                        "output_shape": list(y.shape), "model_output_shape": list(model.output.shape),
                        "example": (X_test[0], y_test[0], predicted[0])}

# %% [markdown]
# ### The four mappings, drawn
#
# Each panel unrolls the LSTM over time (boxes in the middle). Inputs enter from below
# and outputs leave from above, at the steps where each mapping has them. Under each
# panel is one held-out example with the model's answer.

# %%
def as_text(values) -> str:
    return " ".join(str(int(v)) for v in np.atleast_1d(values))


def describe_example(mapping: str, example) -> str:
    x, y, predicted = example
    return f"in: {as_text(shown_inputs(mapping, x))}\nexpected: {as_text(y)}\npredicted: {as_text(predicted)}"


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


for mapping in MAPPINGS:
    print(f"{mapping}:", describe_example(mapping, results[mapping]["example"]).replace("\n", "; "))
fig, axes = plt.subplots(1, len(MAPPINGS), figsize=(16, 4.8), num="sequence_mappings")
for ax, mapping in zip(axes, MAPPINGS, strict=True):
    draw_mapping(ax, mapping, results[mapping])
fig.suptitle("Sequence prediction mappings (inputs blue, outputs orange)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target (every mapping learned), writes `metrics.json` with the
# shapes and a few held-out examples of each task, and stops a full run that missed it.

# %%
metrics = {f"{mapping}_accuracy": results[mapping]["accuracy"] for mapping in MAPPINGS}
metrics["min_accuracy"] = min(metrics.values())
metrics.update({f"{mapping}_whole_accuracy": results[mapping]["whole_accuracy"]
                for mapping in ("one_to_many", "many_to_many")})
shapes = {mapping: {"input": results[mapping]["input_shape"], "output": results[mapping]["output_shape"],
                    "model_output": results[mapping]["model_output_shape"]}
          for mapping in MAPPINGS}
record = run.finish(metrics, shapes=shapes, examples=examples)

# %% [markdown]
# ## How this differs from the book
#
# The book describes the four mappings in prose and diagrams and trains no model. We
# give each one a task of its own, small enough to learn in seconds, and measure it. The
# book's examples (captioning, sentiment, translation) need large data sets and models;
# the shapes of inputs and outputs, which are the lesson, are the same. One-to-many is
# built as an encoder and a decoder joined by `RepeatVector`, the pattern of chapter 9.
# Adam's learning rate decays from 0.01 to zero over the run (cosine): at a constant
# 0.01 the loss sometimes jumps late in training, and many-to-one then missed 90%.

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
print(f"""\
- One-to-one maps one step to one output, X{tuple(results['one_to_one']['input_shape'])} -> \
y{tuple(results['one_to_one']['output_shape'])}: accuracy {metrics['one_to_one_accuracy']:.3f}.
- One-to-many repeats one input's summary over {COUNT_STEPS} output steps: \
{metrics['one_to_many_accuracy']:.3f} per step, {metrics['one_to_many_whole_accuracy']:.3f} whole sequences.
- Many-to-one keeps only the LSTM's last output: counting the set bits of {BITS}, \
accuracy {metrics['many_to_one_accuracy']:.3f}.
- Many-to-many keeps one output per step (return_sequences=True): \
{metrics['many_to_many_accuracy']:.3f} per step, {metrics['many_to_many_whole_accuracy']:.3f} whole sequences.""")

# %% [markdown]
# ## Further reading
#
# - Andrej Karpathy, [The Unreasonable Effectiveness of Recurrent Neural
#   Networks](https://karpathy.github.io/2015/05/21/rnn-effectiveness/), 2015: the
#   one-to-many, many-to-one and many-to-many diagrams.
# - Ilya Sutskever, Oriol Vinyals and Quoc V. Le, [Sequence to Sequence Learning with
#   Neural Networks](https://arxiv.org/abs/1409.3215), NeurIPS 2014.
# - Keras API: [`LSTM`](https://keras.io/api/layers/recurrent_layers/lstm/) and its
#   `return_sequences`, [`RepeatVector`](https://keras.io/api/layers/reshaping_layers/repeat_vector/),
#   [`Dense`](https://keras.io/api/layers/core_layers/dense/).

# %% [markdown]
# ## Extensions
#
# - Count the set bits of 20 or 50 bits. Does many-to-one still reach 99% with 32 units?
# - Make one-to-many count up 10 steps instead of 5, or count down. Which output steps
#   go wrong first?
# - Solve the running maximum with many-to-one (predict only the final maximum). Is it
#   easier or harder than predicting it at every step?
