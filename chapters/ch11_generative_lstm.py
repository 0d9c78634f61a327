"""Chapter 11: How to Develop Generative LSTMs.

Description: teach an LSTM to draw rectangles, then let it draw by feeding its own
output back in.
Book: rectangles of random width and height in [0, 1), drawn from ``[0, 0]`` through
``[w, 0]``, ``[w, h]`` and ``[0, h]`` and framed as (previous corner -> next corner)
pairs; ``LSTM(10) -> Dense(2)`` with mean absolute error, fitted 25,000 times on one
rectangle each (three samples, one epoch). Generation starts from ``[0, 0]``, feeds each
predicted corner back in as the next input, and the plotted shape is close to a rectangle.
Here: the same 25,000 rectangles (75,000 pairs) and model, trained batched for 12
epochs. The shape drawn from ``[0, 0]`` is scored by ``shape_error`` (target <= 0.05):

    For generated corners ``p1, p2, p3`` (after ``p0 = [0, 0]``), an axis-aligned
    rectangle anchored at ``[0, 0]`` has ``p1.y = 0``, ``p2.x = p1.x``, ``p3.y = p2.y``
    and ``p3.x = 0``. A shape's error is the largest of ``|p1.y|``, ``|p2.x - p1.x|``,
    ``|p3.y - p2.y|`` and ``|p3.x|`` (``lstmbook.problems.rectangle_shape_error``), in the
    corners' own units (the rectangles' sides are up to 1 long).

The model sees one corner and nothing else, so the shape it draws from ``[0, 0]`` is
always the same one: it cannot know the width and height, and picks values near their
median, 0.5, which is what mean absolute error favours (about 0.47 and 0.41 in a full run). Beyond the book, to draw many different rectangles, the
generator is also started from 1,000 random first corners ``[w, 0]`` and completes each
shape (the same batched loop, ``lstmbook.training.generate_closed_loop``, one ``predict``
call per step for all shapes at once): ``completion_shape_error`` is the mean of their
errors, ``completion_shape_error_median`` their median and ``completion_failed_fraction``
the share off by more than 0.05. Widths near 0 make ``[w, 0]`` look like the starting
corner ``[0, 0]``, so the completions that fail start there. The figure draws completions
from evenly spaced widths.

Run it with ``make ch11``, ``python -m chapters.ch11_generative_lstm [--quick]``, or open
it as a notebook (``LSTMBOOK_QUICK=1`` for the quick run).
"""

# %% [markdown]
# ## Setup
#
# `book.start(11)` reads the flags, seeds Python, NumPy and Keras, and creates the output
# folder. Each setting is the full run's; `run.pick(full, quick)` swaps in the quick one.

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

N_RECTANGLES = run.pick(25_000, 500)  # the book's 25,000 rectangles, three (corner -> next corner) pairs each
UNITS = 10  # the book's LSTM(10)
BATCH_SIZE = 32
EPOCHS = run.epochs(12, 2)  # the book makes one pass, one rectangle per fit call; more epochs shrink the
# band of small widths where completions fail (about 12% of them after 6 epochs, 10% after 12)
N_CORNERS = 3  # corners to generate after the start [0, 0]
STEPS_PER_EXECUTION = 100  # batches run per call into the backend: less Python overhead per step
N_COMPLETIONS = run.pick(1_000, 100)  # extra: shapes completed from random first corners
N_PLOTTED = 6  # rectangles drawn in each panel of the figure
PLOTTED_WIDTHS = (0.1, 0.3, 0.5, 0.7, 0.9)  # first corners [w, 0] of the completions drawn
MAX_SHAPE_ERROR = run.chapter.targets["shape_error"][1]  # a shape off by more than this fails

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


X, y = rectangle_sequences(N_RECTANGLES, seed=run.seed)
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
run.seed_everything()
model = build_generative_lstm(input_shape=(1, 2), output_units=2, units=UNITS, unroll=True)
# A quick run fits a few batches. On TensorFlow, running them eagerly skips graph tracing,
# which costs more than that training; JAX compiles faster than it runs eagerly.
model.compile(loss="mae", optimizer="adam", steps_per_execution=STEPS_PER_EXECUTION,
              run_eagerly=run.quick and keras.backend.backend() == "tensorflow")
model.summary()

# %% [markdown]
# ## Train

# %%
with run.timed("fit_s"):
    history = model.fit(X, y, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True,
                        verbose=run.fit_verbose, callbacks=run.callbacks("generative")).history
for epoch, loss in enumerate(history["loss"], 1):
    print(f"epoch {epoch}: MAE {loss:.4f}")

# %% [markdown]
# ## Evaluate
#
# ### Generate from [0, 0], as the book does
#
# `generate_closed_loop` predicts the next corner and feeds it back in as the next input,
# three times.

# %%
with run.timed("generate_s"):
    generated = generate_closed_loop(model, np.zeros((1, 2)), N_CORNERS)[0]
shape_error = rectangle_shape_error(generated)
print(f"generated from [0, 0]: {np.round(generated.astype(float), 3).tolist()}, shape_error {shape_error:.4f}")

# %% [markdown]
# ### Beyond the book: complete shapes from random first corners
#
# Each shape starts from a first corner `[w, 0]` with a random width; the generator adds the
# other two corners, for all the shapes in one batch per step.

# %%
rng = np.random.default_rng(run.seed + 1)
firsts = np.column_stack([rng.random(N_COMPLETIONS), np.zeros(N_COMPLETIONS)]).astype(np.float32)
with run.timed("complete_s"):
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


random_corners = corners_of(*rectangle_sequences(N_PLOTTED, seed=run.seed + 2))
widths = np.asarray(PLOTTED_WIDTHS, dtype=np.float32)
shown_firsts = np.column_stack([widths, np.zeros_like(widths)])
shown = np.concatenate([shown_firsts[:, None], generate_closed_loop(model, shown_firsts, N_CORNERS - 1)], axis=1)
for first, error in zip(shown_firsts[:, 0], rectangle_shape_error(shown), strict=True):
    print(f"completed from [{first:.1f}, 0]: shape error {error:.4f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 5.5), sharex=True, sharey=True)
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
run.save_figure(fig, "rectangles.png")

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target (`shape_error` <= 0.05 for the shape drawn from `[0, 0]`),
# writes `metrics.json`, and stops a full run that missed it.

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
