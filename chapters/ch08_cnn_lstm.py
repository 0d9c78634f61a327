"""Chapter 8: How to Develop CNN LSTMs.

Description: a CNN reads each frame of a video, an LSTM reads the frames; is the line moving left or right?
Book: ``TimeDistributed(Conv2D(2, (2, 2)) -> MaxPooling2D(2, 2) -> Flatten) -> LSTM(50)
-> Dense(1, sigmoid)``, Adam, one epoch over 5,000 videos of 50 frames of 50x50 pixels
in batches of 32; 100% accuracy on 100 new videos. The book builds all 5,000 videos in
memory as float64: 5,000 x 50 x 50 x 50 x 8 bytes = 5 GB.
Here: the same model, settings and 5,000 videos, made 32 at a time by
``problems.MovingLineDataset`` (a ``keras.utils.PyDataset``), compact ``bool`` until the
batch is handed to Keras; accuracy >= 0.95 on 500 new videos, with the peak resident
memory of the whole run (TensorFlow included) reported as ``peak_rss_mb``, under 2 GB.

The per-frame CNN uses ``lstmbook.models.BatchedTimeDistributed``, a ``TimeDistributed``
that runs the CNN on all 50 frames in one call instead of Keras 3's 50 calls; on this
problem that divides memory by four and training time by three. On JAX,
``lstmbook.training.StepSync`` makes ``fit`` wait for each step before it fetches the next
batch; without it JAX queues dozens of batches ahead and the run peaks at 2.2 GB, not 1.5 GB.

Run it with ``make ch08`` or ``python -m chapters.ch08_cnn_lstm [--quick]``.
"""

# %% [markdown]
# ## Setup

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from lstmbook import models, problems, training
from lstmbook.chapter import Chapter, peak_rss_mb

CHAPTER = Chapter(
    8, "cnn_lstm", "How to Develop CNN LSTMs",
    book="100% accuracy on 100 new moving-line videos (5,000 training videos, one epoch)",
    targets={"accuracy": (">=", 0.95), "peak_rss_mb": ("<", 2048)},
    main_figure="moving_line_frames.png",
)

SIZE = 50  # frames per video, and pixels per side of a frame
N_TRAIN = 5_000  # training videos, as in the book
N_TEST = 500  # new videos to evaluate on (the book: 100)
BATCH_SIZE = 32  # videos per gradient step, as in the book
TEST_BATCH_SIZE = 100  # videos per prediction batch
EPOCHS = 1  # as in the book
FILTERS = 2  # convolution filters, as in the book
UNITS = 50  # LSTM memory cells, as in the book
THRESHOLD = 0.5  # a sigmoid output above it reads as "right"
FRAMES_SHOWN = 10  # frames in the figure's strip
N_PRINTED = 5  # test videos printed with their predictions

# Quick run: 20 frames of 20x20 and a few hundred videos, through the same code.
QUICK_SIZE, QUICK_N_TRAIN, QUICK_N_TEST, QUICK_EPOCHS = 20, 320, 100, 2


# %% [markdown]
# ## Prepare the data
#
# A video starts with one pixel in the first column (moving right) or the last (moving
# left), at a random row; each frame adds the next column's pixel, at a row at most one
# away from the last one. `MovingLineDataset` makes batch `i` from `(seed, i)` when Keras
# asks for it, so the same seed gives the same videos, and only one batch is in memory.


# %%
def prepare_data(run):
    size = run.pick(SIZE, QUICK_SIZE)
    train = problems.MovingLineDataset(run.pick(N_TRAIN, QUICK_N_TRAIN), batch_size=BATCH_SIZE,
                                       size=size, seed=run.seed)
    test = problems.MovingLineDataset(run.pick(N_TEST, QUICK_N_TEST), batch_size=TEST_BATCH_SIZE,
                                      size=size, seed=run.seed + 1)
    as_float64 = train.n * size ** 3 * 8
    as_bool = train.n * size ** 3
    run.log(f"{train.n} training videos of {size} frames of {size}x{size}: "
            f"{as_float64 / 1e9:.2f} GB as float64, {as_bool / 1e9:.2f} GB as bool, "
            f"{BATCH_SIZE * size ** 3 * 4 / 1e6:.1f} MB per float32 batch (all we hold)")
    return train, test, size


def plot_frames(run, size):
    candidates, directions = problems.moving_line_videos(20, size=size, seed=run.seed + 2)
    shown = [int(np.argmax(directions == 1)), int(np.argmax(directions == 0))]  # one right, one left
    videos, labels = candidates[shown], directions[shown]
    frames = np.linspace(0, size - 1, FRAMES_SHOWN).round().astype(int)
    fig, axes = plt.subplots(2, FRAMES_SHOWN, figsize=(1.6 * FRAMES_SHOWN, 3.8))
    for row, (video, label) in enumerate(zip(videos, labels, strict=True)):
        for ax, frame in zip(axes[row], frames, strict=True):
            ax.imshow(video[frame, :, :, 0], cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"frame {frame}", fontsize=8)
        axes[row, 0].set_ylabel(problems.decode_directions([label])[0], fontsize=11)
    fig.suptitle(f"Two moving-line videos ({size} frames of {size}x{size}), one frame in "
                 f"{max(1, size // FRAMES_SHOWN)}")
    fig.tight_layout()
    run.save_figure(fig, "moving_line_frames.png")


# %% [markdown]
# ## Build the model
#
# The CNN (`Conv2D(2, (2, 2))`, `MaxPooling2D`, `Flatten`) is applied to every frame with
# the same weights; the LSTM reads the 50 feature vectors; a sigmoid says left or right.


# %%
def build_model(run, size):
    run.seed_everything()
    model = models.build_cnn_lstm((size, size, 1), output_units=1, filters=FILTERS, units=UNITS,
                                  output_activation="sigmoid", timesteps=size)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.summary(print_fn=run.log)
    return model


# %% [markdown]
# ## Train


# %%
def train_model(run, model, train):
    # StepSync: on JAX, fit would otherwise queue dozens of 16 MB batches ahead of training.
    history = model.fit(train, epochs=run.epochs(EPOCHS, QUICK_EPOCHS), verbose=run.fit_verbose,
                        callbacks=[training.StepSync(), *run.callbacks("moving_line")])
    for epoch, (loss, acc) in enumerate(zip(history.history["loss"], history.history["accuracy"], strict=True), 1):
        run.log(f"epoch {epoch}: loss {loss:.4f}, accuracy {acc:.4f}")
    return history


# %% [markdown]
# ## Evaluate


# %%
def evaluate(run, model, test):
    probabilities = model.predict(test, verbose=run.fit_verbose)[:, 0]
    labels = test.labels()
    predicted = probabilities > THRESHOLD
    words, expected = problems.decode_directions(probabilities, THRESHOLD), problems.decode_directions(labels)
    for i in range(N_PRINTED):
        run.log(f"video {i}: expected {expected[i]:5s}  predicted {words[i]:5s} (p(right) = {probabilities[i]:.3f})")
    return float(np.mean(predicted == labels.astype(bool)))


# %% [markdown]
# ## Run the chapter


# %%
def main(argv=None) -> dict:
    run = CHAPTER.start(argv)
    rss_at_start = peak_rss_mb()
    profile = {}
    train, test, size = prepare_data(run)
    plot_frames(run, size)
    # The batches are made inside fit; time a few here to show their share of it.
    began = time.perf_counter()
    sample = min(10, len(train))
    for index in range(sample):
        train[index]
    profile["generate_s_estimated"] = (time.perf_counter() - began) * len(train) / sample

    model = build_model(run, size)
    began = time.perf_counter()
    train_model(run, model, train)
    profile["fit_s"] = time.perf_counter() - began

    began = time.perf_counter()
    accuracy = evaluate(run, model, test)
    profile["evaluate_s"] = time.perf_counter() - began
    peak = peak_rss_mb()
    run.log(f"accuracy on {test.n} new videos: {accuracy:.4f}; peak resident memory {peak:.0f} MB "
            f"({rss_at_start:.0f} MB of it before any data: Python, TensorFlow and Keras)")

    metrics = {"accuracy": accuracy, "n_test": test.n, "peak_rss_mb": peak,
               "rss_before_data_mb": rss_at_start}
    profile = {key: round(value, 2) for key, value in profile.items()}
    run.log(f"profile (seconds): {profile}")
    return run.finish(metrics, profile=profile,
                      settings={"n_train": train.n, "size": size, "epochs": run.epochs(EPOCHS, QUICK_EPOCHS),
                                "batch_size": BATCH_SIZE})


if __name__ == "__main__":
    main()
