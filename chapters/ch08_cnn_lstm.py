"""Chapter 8: How to Develop CNN LSTMs.

Description: a CNN reads each frame of a video, an LSTM reads the frames; is the line moving left or right?
Book: ``TimeDistributed(Conv2D(2, (2, 2)) -> MaxPooling2D(2, 2) -> Flatten) -> LSTM(50)
-> Dense(1, sigmoid)``, Adam, one epoch over 5,000 videos of 50 frames of 50x50 pixels
in batches of 32; 100% accuracy on 100 new videos. The book builds all 5,000 videos in
memory as float64: 5,000 x 50 x 50 x 50 x 8 bytes = 5 GB.
Here: the same model (its pooling padded), settings and 5,000 videos, made 32 at a time by
``problems.MovingLineDataset`` (a ``keras.utils.PyDataset``), compact ``bool`` until the
batch is handed to Keras; accuracy >= 0.95 on 500 new videos, with the peak resident
memory of the whole run (the backend included) reported as ``peak_rss_mb``, under 2 GB.

Three kinds of change, for robustness; with the book's settings alone, a run sometimes
learns the task and then falls back to chance before its one epoch ends (seeds 1 and 3 ended
at 0.47 and 0.58 on TensorFlow).

1. The max-pooling pads (``padding="same"``, ``POOL_PADDING``) where the book's drops what
   is left over. The book's 2x2 convolution turns a 50x50 frame into 49x49, and its 2x2
   pooling keeps 24x24 of that: the convolution's last row and column, the only ones that
   read the frame's last row and column of pixels, are dropped, so a pixel there changes
   nothing the LSTM sees (the chapter shows it). A line moving left starts in the last
   column, and one that starts in the bottom row and stays there is invisible for its first
   frames. Trained with the book's pooling (TensorFlow, seed 0, 80 steps), the 5 videos out
   of 3,000 that the model got wrong were all of that kind, each with p = 0.995 for the
   wrong direction (a loss of 5); videos starting in the bottom two rows had a mean loss of
   0.23, the rest 0.004. Each such video in a batch is a burst in the loss. With padding the
   same run has no video with a loss above 0.3. At JAX seed 0 the book's pooling learned the
   task by step 60, took a string of bursts from step 64 and blew up at step 86 (0.49 at the
   end); with padding it ended at 0.998.
2. Four changes to Adam, each found mending a seed that ended at chance: each weight's
   gradient is clipped to norm 1 (``clipnorm=1.0``), ``epsilon`` is 1e-4 (Keras's default
   is 1e-7), ``beta_2`` is 0.99 (the default is 0.999), and the learning rate holds at the
   book's 1e-3 for the first half of the pass, then falls to zero along a cosine (``HOLD``).
   Once the task is learned the loss is near zero and most gradients are tiny; then a burst
   brings a much larger gradient to part of the LSTM's weights. Adam divides each weight's
   step by the root of its running mean squared gradient, which still remembers only the
   tiny ones, so those weights all move by up to a full learning rate at once. Clipping caps
   a gradient's size; a larger ``epsilon`` makes weights whose gradients have been small
   take small steps; a shorter ``beta_2`` lets a burst raise the divisor at once; the
   schedule makes the late steps small. Each lesser set failed at some seed (clipping alone
   at 123, with ``epsilon`` at 16, with a whole-pass cosine at 44, all four at JAX seed 0
   with the book's pooling), and even with padding and all four, JAX seed 8 learned the
   task by step 43 and fell back at step 55 (0.54).
3. So the run keeps what it learned. The one pass is cut into 12 parts of 13 batches
   (``CHECKS_PER_EPOCH``, Keras's ``steps_per_epoch``; ``fit`` draws the 157 batches in a
   random order, so one of them is left out), the model is checked on 100 other new videos
   after each part, and ``keras.callbacks.EarlyStopping(monitor="val_loss",
   restore_best_weights=True)``, with a patience longer than the run, keeps the weights of
   the check with the lowest validation loss. JAX seed 8 now keeps check 4 (validation loss
   0.02, where check 5 had 1.19) and scores 1.0 on the 500 test videos. The checks cost
   about 5% of the training time. The seeds checked are in the README.

The quick run's two short passes (4 checks) learn less than a full run.

The per-frame CNN is one ``keras.Sequential`` (the book wraps each of its three layers in a
``TimeDistributed`` of its own; the model computes the same thing). It is wrapped in
``lstmbook.models.BatchedTimeDistributed``, a ``TimeDistributed`` that runs the CNN on many
frames in one call instead of Keras 3's 50 calls; on this problem that divides memory by
four and training time by three. It reads 10 frames a call (``FRAMES_PER_CALL``), so each
group's convolution, pooling and flattening run together in the CPU's cache: on JAX a
training step takes 0.26 s against 0.42 s for all 50 frames in one call, with the CPU to
itself (beside another busy process, as in ``make all``, about the same either way; on
TensorFlow about the same either way, 0.08 s). The results are the same but for rounding. On JAX,
``lstmbook.training.StepSync`` makes ``fit`` wait for each step before it fetches the next
batch; without it JAX queues dozens of batches ahead and the run peaks at 2.2 GB, not 1.5 GB.

Run it with ``make ch08``, ``python -m chapters.ch08_cnn_lstm [--quick]``, or open it as
a notebook (``LSTMBOOK_QUICK=1`` for the quick run).
"""

# %% [markdown]
# ## Setup
#
# `book.start(8)` reads the flags, seeds Python, NumPy and Keras, and creates the output
# folder. The quick run makes 20 frames of 20x20 and a few hundred videos, through the same
# code. The memory the process holds before any data (Python, TensorFlow and Keras) is
# measured here, so that the data's share of the peak can be told apart.

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters import _book as book
from lstmbook import models, problems, training

run = book.start(8)
rss_at_start = book.peak_rss_mb()

SIZE = run.pick(50, 20)  # frames per video, and pixels per side of a frame
N_TRAIN = run.pick(5_000, 320)  # training videos, as in the book
N_TEST = run.pick(500, 100)  # new videos to evaluate on (the book: 100)
BATCH_SIZE = 32  # videos per gradient step, as in the book
TEST_BATCH_SIZE = 100  # videos per prediction batch
EPOCHS = run.epochs(1, 2)  # one pass, as in the book (two short ones in the quick run)
CHECKS_PER_EPOCH = run.pick(12, 2)  # validation checks per pass; the best check's weights are kept
N_VAL = 100  # new videos the checks are made on (not in the book)
FILTERS = 2  # convolution filters, as in the book
UNITS = 50  # LSTM memory cells, as in the book
FRAMES_PER_CALL = 10  # frames the CNN reads in one call: the same result, faster (see the docstring)
LEARNING_RATE = 1e-3  # Adam's default, as in the book
CLIPNORM = 1.0  # each weight's gradient clipped to this norm (not in the book: see the docstring)
EPSILON = 1e-4  # Adam's epsilon; Keras's default is 1e-7 (not in the book: see the docstring)
BETA_2 = 0.99  # Adam's decay of its mean squared gradient; the default is 0.999 (not in the book)
HOLD = 0.5  # the learning rate holds for this share of the steps, then falls to zero (not in the book)
POOL_PADDING = "same"  # the pooling keeps the frame's last row and column (the book: "valid")
THRESHOLD = 0.5  # a sigmoid output above it reads as "right"
FRAMES_SHOWN = 10  # frames in the figure's strip
N_PRINTED = 5  # test videos printed with their predictions
print(f"peak resident memory before any data: {rss_at_start:.0f} MB")

# %% [markdown]
# ## Prepare the data
#
# A video starts with one pixel in the first column (moving right) or the last (moving
# left), at a random row; each frame adds the next column's pixel, at a row at most one
# away from the last one. `MovingLineDataset` makes batch `i` from `(seed, i)` when Keras
# asks for it, so the same seed gives the same videos, and only one batch is in memory.

# %%
train = problems.MovingLineDataset(N_TRAIN, batch_size=BATCH_SIZE, size=SIZE, seed=run.seed)
test = problems.MovingLineDataset(N_TEST, batch_size=TEST_BATCH_SIZE, size=SIZE, seed=run.seed + 1)
val = problems.MovingLineDataset(N_VAL, batch_size=TEST_BATCH_SIZE, size=SIZE, seed=run.seed + 3)
as_float64 = train.n * SIZE ** 3 * 8
as_bool = train.n * SIZE ** 3
print(f"{train.n} training videos of {SIZE} frames of {SIZE}x{SIZE}: "
      f"{as_float64 / 1e9:.2f} GB as float64, {as_bool / 1e9:.2f} GB as bool, "
      f"{BATCH_SIZE * SIZE ** 3 * 4 / 1e6:.1f} MB per float32 batch (all we hold)")
print(f"{len(train)} training batches, {len(test)} test batches of up to {TEST_BATCH_SIZE}")

# %% [markdown]
# The batches are made inside `fit`; timing a few here shows their share of it.

# %%
began = time.perf_counter()
sample = min(10, len(train))
for index in range(sample):
    batch_x, batch_y = train[index]
run.profile["generate_s_estimated"] = round((time.perf_counter() - began) * len(train) / sample, 2)
print(f"one batch: x {batch_x.shape} {batch_x.dtype}, y {batch_y.shape}; all {len(train)} batches "
      f"take about {run.profile['generate_s_estimated']:.2f} s to make")
del batch_x, batch_y  # only the batch fit is training on should be in memory

# %% [markdown]
# Two videos, one moving right and one moving left, a frame in every few.

# %%
candidates, directions = problems.moving_line_videos(20, size=SIZE, seed=run.seed + 2)
shown = [int(np.argmax(directions == 1)), int(np.argmax(directions == 0))]  # one right, one left
videos, labels = candidates[shown], directions[shown]
frames = np.linspace(0, SIZE - 1, FRAMES_SHOWN).round().astype(int)
fig, axes = plt.subplots(2, FRAMES_SHOWN, figsize=(1.6 * FRAMES_SHOWN, 3.8))
for row, (video, label) in enumerate(zip(videos, labels, strict=True)):
    for ax, frame in zip(axes[row], frames, strict=True):
        ax.imshow(video[frame, :, :, 0], cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"frame {frame}", fontsize=8)
    axes[row, 0].set_ylabel(problems.decode_directions([label])[0], fontsize=11)
fig.suptitle(f"Two moving-line videos ({SIZE} frames of {SIZE}x{SIZE}), one frame in "
             f"{max(1, SIZE // FRAMES_SHOWN)}")
fig.tight_layout()
run.save_figure(fig, "moving_line_frames.png")

# %% [markdown]
# ## What the book's pooling never sees
#
# The book's `Conv2D(2, (2, 2))` turns a 50x50 frame into 49x49, and its `MaxPooling2D(2, 2)`
# keeps 24x24 of that, dropping the convolution's last row and column: the only ones that
# read the frame's last row and column. A probe with all-positive weights shows it: one pixel
# in the middle of a frame reaches the LSTM, one in the last row or column does not, unless
# the pooling pads (`padding="same"`). A line moving left starts in the last column, so its
# first frame is blank to the book's model, and a line that keeps to the bottom row stays
# blank for longer. Those videos are the ones the book's model gets wrong with confidence,
# and the bursts in the loss that can knock its training off course (the docstring has the
# numbers), so this chapter pads.

# %%
def pixels_seen(pool_padding: str, row: int, col: int) -> float:
    """What a one-pixel frame adds up to after a 2x2 convolution of ones and 2x2 pooling."""
    frame = np.zeros((1, SIZE, SIZE, 1), dtype="float32")
    frame[0, row, col] = 1.0
    probe = keras.Sequential([keras.Input(shape=(SIZE, SIZE, 1)),
                              keras.layers.Conv2D(1, (2, 2), kernel_initializer="ones"),
                              keras.layers.MaxPooling2D((2, 2), padding=pool_padding)])
    return float(keras.ops.convert_to_numpy(keras.ops.sum(probe(frame))))


for where, (row, col) in {"middle": (SIZE // 2, SIZE // 2), "last row": (SIZE - 1, SIZE // 2),
                          "last column": (SIZE // 2, SIZE - 1)}.items():
    print(f"a pixel in the {where:<11} lights {pixels_seen('valid', row, col):.0f} pooled values with the "
          f"book's pooling, {pixels_seen('same', row, col):.0f} with padding")

# %% [markdown]
# ## Build the model
#
# The CNN (`Conv2D(2, (2, 2))`, `MaxPooling2D` with padding, `Flatten`) is applied to every
# frame with the same weights, 10 frames at a time; the LSTM reads the 50 feature vectors; a
# sigmoid says left or right.
# Adam at the book's learning rate for the first half of the epoch, then falling to zero
# along a cosine, with each weight's gradient clipped to norm 1 (`clipnorm`), a larger
# `epsilon` and a shorter `beta_2`: without them, a run can learn the task and then blow up
# before its one epoch ends (the docstring says why, and at which seeds).

# %%
steps_per_check = len(train) // CHECKS_PER_EPOCH
checks = EPOCHS * CHECKS_PER_EPOCH
steps = checks * steps_per_check
held = round(HOLD * steps)
schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps - held,
                                                  warmup_target=LEARNING_RATE, warmup_steps=held)
run.seed_everything()
model = models.build_cnn_lstm((SIZE, SIZE, 1), output_units=1, filters=FILTERS, units=UNITS,
                              output_activation="sigmoid", timesteps=SIZE, pool_padding=POOL_PADDING,
                              frames_per_call=FRAMES_PER_CALL)
model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(
                  schedule, beta_2=BETA_2, epsilon=EPSILON, clipnorm=CLIPNORM),
              metrics=["accuracy"])
model.summary()
model.get_layer("cnn").layer.summary()  # the CNN each frame goes through

# %% [markdown]
# ## Train
#
# The pass over the training videos is cut into 12 parts of 13 batches (`steps_per_epoch`:
# Keras carries on where the last part stopped, so it is still one pass: `fit` draws the
# 157 batches in a random order, and the 12 parts of 13 take 156 of them). After each part
# the model is checked on 100 other new videos, and `EarlyStopping(restore_best_weights=True)`,
# with a patience longer than the run, keeps the weights of the check with the lowest
# validation loss: a run that learns the task and then falls back ends with what it had
# learned. `StepSync`: on JAX, `fit` would otherwise queue dozens of 16 MB batches ahead of
# training.

# %%
keep_best = keras.callbacks.EarlyStopping(monitor="val_loss", patience=checks, restore_best_weights=True)
with run.timed("fit_s"):
    history = model.fit(train, epochs=checks, steps_per_epoch=steps_per_check, validation_data=val,
                        verbose=run.fit_verbose,
                        callbacks=[training.StepSync(), keep_best, *run.callbacks("moving_line")])
for check, (loss, acc, val_loss, val_acc) in enumerate(zip(
        *(history.history[key] for key in ("loss", "accuracy", "val_loss", "val_accuracy")), strict=True), 1):
    print(f"check {check:2d} (after {check * steps_per_check:3d} batches): loss {loss:.4f}, accuracy {acc:.4f}; "
          f"on the {val.n} check videos loss {val_loss:.4f}, accuracy {val_acc:.4f}")
best_check = keep_best.best_epoch + 1
print(f"kept the weights of check {best_check} of {checks} (lowest validation loss, {keep_best.best:.4f})")

# %% [markdown]
# ## Evaluate
#
# `predict` streams the new videos batch by batch too; `test.labels()` gives their
# directions without making the videos.

# %%
with run.timed("evaluate_s"):
    probabilities = model.predict(test, verbose=run.fit_verbose)[:, 0]
    test_labels = test.labels()
    predicted = probabilities > THRESHOLD
    words = problems.decode_directions(probabilities, THRESHOLD)
    expected = problems.decode_directions(test_labels)
    for i in range(N_PRINTED):
        print(f"video {i}: expected {expected[i]:5s}  predicted {words[i]:5s} "
              f"(p(right) = {probabilities[i]:.3f})")
    accuracy = float(np.mean(predicted == test_labels.astype(bool)))
peak = book.peak_rss_mb()
print(f"accuracy on {test.n} new videos: {accuracy:.4f}; peak resident memory {peak:.0f} MB "
      f"({rss_at_start:.0f} MB of it before any data: Python, TensorFlow and Keras)")

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the targets (accuracy >= 0.95, peak memory under 2 GB), writes
# `metrics.json` with the timings, and stops a full run that missed one.

# %%
print(f"profile (seconds): {run.profile}")
record = run.finish(
    {"accuracy": accuracy, "n_test": test.n, "peak_rss_mb": peak, "rss_before_data_mb": rss_at_start,
     "best_check": best_check},
    settings={"n_train": train.n, "size": SIZE, "epochs": EPOCHS, "batch_size": BATCH_SIZE,
              "checks": checks, "steps_per_check": steps_per_check, "n_val": val.n},
    val_loss_by_check=history.history["val_loss"],
)
