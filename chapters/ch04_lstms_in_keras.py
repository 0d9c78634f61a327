"""Chapter 4: How to Develop LSTMs in Keras.

Description: the 5-step model life cycle, the 3-D input reshape and stateful LSTMs, in Keras 3.
Book: an LSTM(10) learns the sequence 0.0, 0.1, …, 0.9 framed as t-1 → t. It is
defined, compiled, fit for 1,000 epochs, evaluated and used to predict. The
predictions come out close to 0.1 … 0.9, and the book's reshape examples give
``(1, 10, 1)`` and ``(1, 10, 2)``.
Here the same life cycle reaches ``mse`` ≈ 1e-4 (target ≤ 1e-3), with every
prediction within 0.03 of its target (``max_error``, target ≤ 0.05). It also shows
the reshapes, and a stateful LSTM done the Keras 3 way: ``keras.Input(batch_shape=…)``,
``shuffle=False``, ``layer.reset_state()`` between epochs, and ``batch_size`` passed
to ``predict``. On JAX that state is not carried from batch to batch: Keras 3.15's
``fit`` and ``predict`` on JAX leave a stateful layer's state variables out of the
compiled step (calling the model carries it). TensorFlow carries it, as the book says.

Run it with ``make ch04``, ``python -m chapters.ch04_lstms_in_keras [--quick]``, or open it
as a notebook (``LSTMBOOK_QUICK=1`` for the quick run).
"""

# %% [markdown]
# ## Setup
#
# `book.start(4)` reads the flags (`--quick`, `--seed`, ... or `LSTMBOOK_QUICK=1` in a
# notebook), seeds Python, NumPy and Keras, and creates the output folder. Each setting
# below is the full run's; `run.epochs(full, quick)` swaps in a tiny one for the quick run.

# %%
import math

import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters import _book as book
from lstmbook import prep

run = book.start(4)

SEQUENCE = np.round(np.arange(0.0, 1.0, 0.1), 1)  # the book's 0.0, 0.1, ..., 0.9
UNITS = 10  # the book's LSTM(10)
BOOK_EPOCHS = 1000  # the book's full-batch updates
REPEATS = 100  # copies of the 9 samples per epoch: BOOK_EPOCHS // REPEATS epochs, same updates
# --epochs counts the book's epochs (full-batch updates), run REPEATS at a time.
EPOCHS = math.ceil(run.epochs(BOOK_EPOCHS, REPEATS) / REPEATS)
LEARNING_RATE = 1e-3  # Adam's default, as in the book
STATEFUL_EPOCHS = run.epochs(20, 2)  # epochs of the stateful example, one fit call each
STATEFUL_LEARNING_RATE = 1e-2  # larger steps, so that 20 short epochs suffice

# %% [markdown]
# ## Prepare the data
#
# ### The 3-D input every LSTM takes (section 4.2)
#
# A Keras LSTM takes `[samples, timesteps, features]`. The book's two examples: one
# series of 10 steps is one sample of 10 timesteps with 1 feature. Two parallel series
# of 10 steps are one sample of 10 timesteps with 2 features.

# %%
one = prep.to_3d(SEQUENCE)  # same as SEQUENCE.reshape((1, 10, 1))
two_series = np.column_stack([SEQUENCE, SEQUENCE[::-1]])  # (10, 2): one row per time step
two = prep.to_3d(two_series, timesteps=len(SEQUENCE), features=2)  # = two_series.reshape((1, 10, 2))
print(f"one series {SEQUENCE.shape} -> {one.shape}; two parallel series {two_series.shape} -> {two.shape}")
same_as_book = (np.array_equal(one, SEQUENCE.reshape((1, 10, 1)))
                and np.array_equal(two, two_series.reshape((1, 10, 2))))
print(f"the same arrays as the book's NumPy reshape: {same_as_book}")
print(f"two[0, :3] (3 timesteps x 2 features) = {two[0, :3].tolist()}")
shapes = {"one_series_shape": list(one.shape), "two_series_shape": list(two.shape),
          "same_as_numpy_reshape": bool(same_as_book)}

# %% [markdown]
# ### The book's framing: each value (t-1) predicts the next (t)
#
# `prep.series_to_supervised` makes the t-1 and t columns; the first row, which has no
# t-1, is dropped. Each sample is one timestep of one feature.

# %%
def framed_sequence():
    """The book's framing: each value (t-1) predicts the next (t); X (9, 1, 1), y (9,)."""
    framed = prep.series_to_supervised(SEQUENCE, n_in=1, n_out=1)
    X = prep.to_3d(framed["var1(t-1)"].to_numpy(), timesteps=1)
    return X.astype("float32"), framed["var1(t)"].to_numpy(dtype="float32")


X, y = framed_sequence()
print(f"framed t-1 -> t: X{X.shape}, y{y.shape}")
for x_value, target in zip(X[:3, 0, 0], y[:3], strict=True):
    print(f"  {x_value:.1f} -> {target:.1f}")
print("  ...")

# %% [markdown]
# ## Build the model
#
# The 5-step life cycle (section 4.1):
#
# 1. **Define** the network: a functional model, the input declared with `keras.Input`.
# 2. **Compile** it: the optimiser and the loss.
# 3. **Fit** it. The book makes 1,000 passes over the 9 samples, each pass one full
#    batch, so 1,000 weight updates. Keras pays a fixed cost for every epoch, which on
#    9 samples is almost all the time. So we stack 100 copies of the data and run 10
#    epochs of 100 full batches each. That is the same 1,000 updates on the same batches,
#    in seconds instead of minutes.
# 4. **Evaluate** it: the loss on the data.
# 5. **Predict** with it.

# %%
def build_model() -> keras.Model:
    inputs = keras.Input(shape=(1, 1), name="inputs")  # 1 timestep (t-1), 1 feature
    hidden = keras.layers.LSTM(UNITS, name="lstm")(inputs)
    outputs = keras.layers.Dense(1, name="output")(hidden)
    return keras.Model(inputs, outputs, name="life_cycle_lstm")


run.seed_everything(1)
model = build_model()  # 1. define
model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")  # 2. compile
model.summary()

# %% [markdown]
# ### A stateful LSTM, the Keras 3 way (section 4.3)
#
# By default Keras resets an LSTM's state after every batch. A *stateful* LSTM keeps
# it, so the last state of sample i in one batch is the first state of sample i in the
# next. Here the batch size is 1, and the LSTM reads the sequence one step per batch,
# carrying its memory along. What the Keras 2 code in the book does differently:
#
# * `keras.Input(batch_shape=(1, 1, 1))`: the state is a variable of shape `(batch, units)`.
#   So the batch size must be fixed when the model is built. (`batch_input_shape=` on
#   a layer is gone in Keras 3.)
# * `shuffle=False` in `fit`: the state only makes sense if batches arrive in order.
# * `layer.reset_state()` after each epoch: the sequence starts over, so its memory must too.
#   (Keras 2's `model.reset_states()` is gone. For many epochs, a callback that calls it
#   in `on_epoch_begin` does the same in one `fit`; Chapter 2 does that.)
# * `batch_size=1` in `predict`: its default is 32, which a model built for batches of 1 rejects.
#
# Both models here train with `shuffle=False` and no dropout, so their fits draw no
# random numbers: building this one before the first is trained changes nothing.

# %%
run.seed_everything(2)
inputs = keras.Input(batch_shape=(1, 1, 1), name="inputs")
hidden = keras.layers.LSTM(UNITS, stateful=True, name="lstm")(inputs)
outputs = keras.layers.Dense(1, name="output")(hidden)
stateful = keras.Model(inputs, outputs, name="stateful_lstm")
stateful.compile(optimizer=keras.optimizers.Adam(STATEFUL_LEARNING_RATE), loss="mse")
stateful_lstm = stateful.get_layer("lstm")
stateful.summary()
print(f"state variables: {[tuple(v.shape) for v in stateful_lstm.states]} = (batch, units) for h and c")

# %% [markdown]
# ## Train
#
# 3\. Fit: 100 stacked copies of the 9 samples per epoch, one full batch of 9 at a time.

# %%
with run.timed("fit_s"):
    history = model.fit(np.tile(X, (REPEATS, 1, 1)), np.tile(y, REPEATS), epochs=EPOCHS,
                        batch_size=len(X), shuffle=False, verbose=run.fit_verbose,
                        callbacks=run.callbacks(model.name))
losses = history.history["loss"]
for epoch, loss in enumerate(losses, 1):
    print(f"after {epoch * REPEATS:4d} full-batch updates: training MSE {loss:.2e}")

# %% [markdown]
# ### The stateful LSTM: one epoch per `fit` call, the state reset between them

# %%
stateful_losses = []
with run.timed("stateful_fit_s"):
    for epoch in range(1, STATEFUL_EPOCHS + 1):
        step = stateful.fit(X, y, epochs=1, batch_size=1, shuffle=False, verbose=run.fit_verbose,
                            callbacks=run.callbacks(stateful.name))
        stateful_lstm.reset_state()
        stateful_losses.append(step.history["loss"][0])
        print(f"stateful epoch {epoch:2d}: training MSE {stateful_losses[-1]:.2e}")

# %% [markdown]
# ## Evaluate
#
# 4\. Evaluate and 5. predict, on the 9 framed samples.

# %%
mse = float(model.evaluate(X, y, verbose=run.fit_verbose))  # 4. evaluate
predictions = model.predict(X, verbose=run.fit_verbose)[:, 0]  # 5. predict
max_error = float(np.abs(predictions - y).max())
print(f"{EPOCHS * REPEATS} full-batch updates; MSE {mse:.2e}; largest error {max_error:.4f}")
for x_value, target, predicted in zip(X[:, 0, 0], y, predictions, strict=True):
    print(f"  {x_value:.1f} -> {predicted:.3f} (expected {target:.1f})")

# %% [markdown]
# The stateful LSTM predicts in order, one step per batch, from a fresh state.

# %%
stateful_predictions = stateful.predict(X, batch_size=1, verbose=run.fit_verbose)[:, 0]
stateful_lstm.reset_state()
stateful_metrics = {"stateful_mse": float(np.mean((stateful_predictions - y) ** 2)),
                    "stateful_max_error": float(np.abs(stateful_predictions - y).max())}
print(f"stateful LSTM: MSE {stateful_metrics['stateful_mse']:.2e}; "
      f"largest error {stateful_metrics['stateful_max_error']:.4f}")
for x_value, target, predicted in zip(X[:, 0, 0], y, stateful_predictions, strict=True):
    print(f"  {x_value:.1f} -> {predicted:.3f} (expected {target:.1f})")

# %% [markdown]
# The predictions against the sequence, and the fit.

# %%
fig, (ax_pred, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.5))
ax_pred.plot(X[:, 0, 0], y, "o-", color="black", label="expected (t)")
ax_pred.plot(X[:, 0, 0], predictions, "x", markersize=10, color="tab:green", label="LSTM(10) prediction")
ax_pred.plot(X[:, 0, 0], stateful_predictions, "+", markersize=10, color="tab:purple",
             label="stateful LSTM(10) prediction")
ax_pred.set(xlabel="input value (t-1)", ylabel="next value (t)", title="Learning 0.0 … 0.9, one step ahead")
ax_pred.legend()
ax_loss.plot(np.arange(1, len(losses) + 1) * REPEATS, losses, marker="o")
ax_loss.set(yscale="log", xlabel="full-batch updates (the book's epochs)", ylabel="training MSE",
            title="Fit")
fig.tight_layout()
run.save_figure(fig, "life_cycle.png")

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the targets, writes `metrics.json`, and stops a full run that missed
# one (a non-zero exit from the command line, an error in a notebook).

# %%
record = run.finish(
    {"mse": mse, "max_error": max_error, **stateful_metrics},
    shapes=shapes,
    framed={"X_shape": list(X.shape), "y_shape": list(y.shape),
            "x": np.round(X[:, 0, 0].astype(float), 6).tolist(), "y": np.round(y.astype(float), 6).tolist()},
)
