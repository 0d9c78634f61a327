"""Chapter 11: How to Develop Generative LSTMs.

Description: an LSTM learns to draw rectangles, then draws by feeding its own output back in.

The book's rectangles have a random width and height in [0, 1) and are drawn from `[0, 0]`
through `[w, 0]`, `[w, h]` and `[0, h]`, framed as (corner -> next corner) pairs. It fits
`LSTM(10) -> Dense(2)` with mean absolute error 25,000 times, on one rectangle each. Started
from `[0, 0]`, with each predicted corner fed back in as the next input, the model draws a
shape close to a rectangle (plotted, not measured). Here the same 25,000 rectangles train
the same model in mini-batches for 12 epochs, and the shape drawn from `[0, 0]` is
measured: `shape_error`, its largest distance from an axis-aligned rectangle, must be at
most 0.05. Beyond the book, the model also completes 1,000 rectangles from random first
corners `[w, 0]`.
"""

# %% [markdown]
# ## Setup
#
# `book.start(11)` reads the flags (`--quick`, `--seed`, `--verbose`, ...), seeds Python,
# NumPy and Keras, and creates the output folder. The settings are the full run's;
# `run.pick(full, quick)` swaps in a tiny one for the quick run (`--quick`).
# In Jupyter, `book.start(11, ["--quick"])` makes this notebook a quick run.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from chapters import _book as book
from lstmbook.models import build_generative_lstm
from lstmbook.problems import rectangle_sequences, rectangle_shape_error
from lstmbook.training import generate_closed_loop

run = book.start(11)
SEED = run.seed  # 42 unless --seed
VERBOSE = run.verbose  # Keras's progress bars under --verbose
CALLBACKS = run.callbacks  # a TensorBoard logger under --tensorboard

N_RECTANGLES = run.pick(25_000, 500)  # the book's 25,000 rectangles, three (corner -> next corner) pairs each
UNITS = 10  # the book's LSTM(10)
BATCH_SIZE = 32  # rectangles' pairs per gradient step (the book: one rectangle's three)
EPOCHS = run.epochs(12, 2)  # the book makes one pass, one rectangle per fit call; more epochs shrink the
# band of small widths where completions fail (about 12% of them after 6 epochs, 10% after 12)
N_CORNERS = 3  # corners to generate after the start [0, 0]
STEPS_PER_EXECUTION = 100  # batches run per call into the backend: less Python overhead per step
N_COMPLETIONS = run.pick(1_000, 100)  # extra: shapes completed from random first corners
N_PLOTTED = 6  # rectangles drawn in each panel of the figure
PLOTTED_WIDTHS = (0.1, 0.3, 0.5, 0.7, 0.9)  # first corners [w, 0] of the completions drawn
MAX_SHAPE_ERROR = run.chapter.targets["shape_error"][1]  # a shape off by more than this fails
# A quick run fits a few batches: on TensorFlow, tracing a graph costs more than running them eagerly.
RUN_EAGERLY = run.quick and keras.backend.backend() == "tensorflow"

# %% [markdown]
# ## Prepare the data
#
# Each rectangle gives three samples: `[0, 0] -> [w, 0]`, `[w, 0] -> [w, h]` and
# `[w, h] -> [0, h]`, each one time step of two features. `corners_of` puts a rectangle's
# four corners back together from its three samples.

# %%
def corners_of(X, y) -> np.ndarray:
    """The four corners ``(rectangles, 4, 2)`` of the rectangles behind ``rectangle_sequences``."""
    return np.concatenate([X.reshape(-1, 3, 2)[:, :1], y.reshape(-1, 3, 2)], axis=1)


X, y = rectangle_sequences(N_RECTANGLES, seed=SEED)
print(f"rectangles: X{X.shape}, y{y.shape}")
print(f"the first one's corners: {np.round(corners_of(X[:3], y[:3])[0].astype(float), 3).tolist()}")
print(f"as samples: {np.round(X[:3, 0].astype(float), 3).tolist()} -> {np.round(y[:3].astype(float), 3).tolist()}")

# %% [markdown]
# ## Build the model
#
# One corner `[x, y]` in (one time step, two features), the next corner out. With one
# time step there is nothing to loop over, so the LSTM is unrolled (`unroll=True`: the
# same equations without the symbolic loop), and `steps_per_execution` runs 100 batches
# per call into the backend. Neither changes what is learned; together they make the
# 28,000 small steps of training four times faster on a CPU.

# %%
keras.utils.set_random_seed(SEED)
model = build_generative_lstm(input_shape=(1, 2), output_units=2, units=UNITS, unroll=True)
model.compile(loss="mae", optimizer="adam", steps_per_execution=STEPS_PER_EXECUTION, run_eagerly=RUN_EAGERLY)
model.summary()

# %% [markdown]
# ## Train

# %%
history = model.fit(X, y, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True,
                    verbose=VERBOSE, callbacks=CALLBACKS).history
for epoch, loss in enumerate(history["loss"], 1):
    print(f"epoch {epoch}: MAE {loss:.4f}")

# %% [markdown]
# ## Evaluate
#
# ### Generate from [0, 0], as the book does
#
# `generate_closed_loop` predicts the next corner and feeds it back in as the next input,
# three times. A rectangle drawn from `p0 = [0, 0]` through `p1`, `p2` and `p3` has
# `p1.y = 0`, `p2.x = p1.x`, `p3.y = p2.y` and `p3.x = 0`; `rectangle_shape_error` is the
# largest of the four differences, in the corners' own units. The model sees one corner
# and nothing else, so from `[0, 0]` it always draws the same shape: it cannot know the
# width and height, and picks values near their median, 0.5, which mean absolute error
# favours.

# %%
generated = generate_closed_loop(model, np.zeros((1, 2)), N_CORNERS)[0]
shape_error = rectangle_shape_error(generated)
print(f"generated from [0, 0]: {np.round(generated.astype(float), 3).tolist()}, shape_error {shape_error:.4f}")

# %% [markdown]
# ### Beyond the book: complete shapes from random first corners
#
# Each shape starts from a first corner `[w, 0]` with a random width; the generator adds the
# other two corners, for all the shapes in one batch per step. Widths near 0 make `[w, 0]`
# look like the starting corner `[0, 0]`, so the completions that fail start there.

# %%
rng = np.random.default_rng(SEED + 1)
firsts = np.column_stack([rng.random(N_COMPLETIONS), np.zeros(N_COMPLETIONS)]).astype(np.float32)
completed = np.concatenate([firsts[:, None], generate_closed_loop(model, firsts, N_CORNERS - 1)], axis=1)
completion_errors = rectangle_shape_error(completed)
print(f"{N_COMPLETIONS:,} completions: mean shape error {completion_errors.mean():.4f}, "
      f"median {np.median(completion_errors):.4f}, worst {completion_errors.max():.4f}")
failed = completion_errors > MAX_SHAPE_ERROR
if failed.any():
    print(f"{failed.mean():.1%} of completions are off by more than {MAX_SHAPE_ERROR}; "
          f"the widest of them starts at w = {firsts[failed, 0].max():.3f}")
else:
    print(f"no completion is off by more than {MAX_SHAPE_ERROR}")

# %% [markdown]
# Random rectangles from the data beside the generated ones, drawn as closed paths.

# %%
def closed_path(corners) -> Path:
    """A closed matplotlib path from ``[0, 0]`` through the corners ``(3, 2)`` and back."""
    vertices = np.concatenate([[[0.0, 0.0]], corners, [[0.0, 0.0]]])
    codes = [Path.MOVETO] + [Path.LINETO] * len(corners) + [Path.CLOSEPOLY]
    return Path(vertices, codes)


random_corners = corners_of(*rectangle_sequences(N_PLOTTED, seed=SEED + 2))
widths = np.asarray(PLOTTED_WIDTHS, dtype=np.float32)
shown_firsts = np.column_stack([widths, np.zeros_like(widths)])
shown = np.concatenate([shown_firsts[:, None], generate_closed_loop(model, shown_firsts, N_CORNERS - 1)], axis=1)
for first, error in zip(shown_firsts[:, 0], rectangle_shape_error(shown), strict=True):
    print(f"completed from [{first:.1f}, 0]: shape error {error:.4f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 5.5), sharex=True, sharey=True, num="rectangles")
colors = plt.cm.tab10(np.arange(10))
for i, corners in enumerate(random_corners):
    axes[0].add_patch(PathPatch(closed_path(corners[1:]), fill=False, lw=2, edgecolor=colors[i % 10]))
axes[0].set_title(f"{len(random_corners)} random rectangles (training data)")
for i, corners in enumerate(shown):
    axes[1].add_patch(PathPatch(closed_path(corners), fill=False, lw=1.5, linestyle="--",
                                edgecolor=colors[(i + 1) % 10]))
axes[1].add_patch(PathPatch(closed_path(generated), fill=False, lw=3, edgecolor="black",
                            label="generated from [0, 0]"))
shown_widths = ", ".join(f"{w:.1f}" for w in shown[:, 0, 0])
axes[1].set_title(f"Generated from [0, 0] (black); completed from [w, 0], w = {shown_widths}")
axes[1].legend(loc="upper right")
for ax in axes:
    ax.set(xlim=(-0.05, 1.05), ylim=(-0.05, 1.05), aspect="equal", xlabel="x", ylabel="y")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target (`shape_error` <= 0.05 for the shape drawn from `[0, 0]`),
# writes `metrics.json`, and stops a full run that missed it (a non-zero exit from the
# command line, an error in a notebook).

# %%
metrics = {
    "shape_error": shape_error,
    "final_loss": history["loss"][-1],
    "completion_shape_error": float(completion_errors.mean()),
    "completion_shape_error_median": float(np.median(completion_errors)),
    "completion_shape_error_max": float(completion_errors.max()),
    "completion_failed_fraction": float(failed.mean()),
}
record = run.finish(metrics, generated_corners=generated,
                    settings={"n_rectangles": len(X) // 3, "epochs": len(history["loss"]),
                              "batch_size": BATCH_SIZE})

# %% [markdown]
# ## How this differs from the book
#
# The book calls `fit` 25,000 times, each time on one rectangle's three pairs for one
# epoch. We fit the same 25,000 rectangles in one call, in mini-batches of 32 for 12
# epochs: Keras's set-up is paid once rather than 25,000 times, and the extra epochs
# shrink the band of small widths where completions fail. The LSTM is unrolled and
# `steps_per_execution` runs 100 batches per call into the backend, which makes training
# several times faster on a CPU without changing what is learned. The book judges its
# shape by eye; here `shape_error` measures it, and a full run fails when it passes 0.05.
# Completing shapes from random first corners is an extra that shows what one corner of
# input can and cannot tell the model.

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
print(f"""\
- An LSTM({UNITS}) learned the next corner from the last one: {len(X):,} pairs, {len(history['loss'])} epochs,
  mean absolute error {history['loss'][0]:.3f} -> {history['loss'][-1]:.4f}.
- Fed its own output back in from [0, 0], it drew {np.round(generated.astype(float), 2).tolist()},
  {shape_error:.4f} away from a rectangle (a full run must stay within {MAX_SHAPE_ERROR}).
- One corner cannot tell the model which rectangle to draw, so from [0, 0] it always draws
  this one shape, {generated[0, 0]:.2f} wide and {generated[1, 1]:.2f} high (the median width and height: 0.5).
- From {N_COMPLETIONS:,} random first corners it completed shapes with a median error of
  {np.median(completion_errors):.4f}; {failed.mean():.1%} were off by more than {MAX_SHAPE_ERROR}.""")

# %% [markdown]
# ## Further reading
#
# - Alex Graves,
#   [Generating Sequences With Recurrent Neural Networks](https://arxiv.org/abs/1308.0850),
#   arXiv 2013: LSTMs that write text and handwriting one point at a time, each prediction
#   fed back in as the next input.
# - Keras API: [`LSTM`](https://keras.io/api/layers/recurrent_layers/lstm/),
#   [`Dense`](https://keras.io/api/layers/core_layers/dense/),
#   [`Model.predict`](https://keras.io/api/models/model_training_apis/).

# %% [markdown]
# ## Extensions
#
# - Train with mean squared error instead of mean absolute error: which width and height
#   does the model draw from `[0, 0]` now?
# - Give the model the last two corners (two time steps) instead of one: do the
#   completions from small widths stop failing?
# - Teach it triangles, or rectangles drawn clockwise and anticlockwise: what must the
#   input say for the generator to know which shape it is drawing?
# - Add the wanted width and height to every input as two more features: can the model
#   then draw any rectangle it is asked for?
