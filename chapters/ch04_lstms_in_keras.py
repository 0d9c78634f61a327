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
to ``predict``.

Run it with ``make ch04`` or ``python -m chapters.ch04_lstms_in_keras [--quick]``.
"""

# %% [markdown]
# ## Setup

# %%
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from lstmbook import prep
from lstmbook.chapter import Chapter

CHAPTER = Chapter(
    4, "lstms_in_keras", "How to Develop LSTMs in Keras",
    book="LSTM(10) on 0.0…0.9 (t-1 -> t), 1,000 epochs: predictions close to 0.1…0.9",
    targets={"mse": ("<=", 1e-3), "max_error": ("<=", 0.05)},
    main_figure="life_cycle.png",
)

SEQUENCE = np.round(np.arange(0.0, 1.0, 0.1), 1)  # the book's 0.0, 0.1, ..., 0.9
UNITS = 10  # the book's LSTM(10)
BOOK_EPOCHS = 1000  # the book's full-batch updates
REPEATS = 100  # copies of the 9 samples per epoch: BOOK_EPOCHS // REPEATS epochs, same updates
LEARNING_RATE = 1e-3  # Adam's default, as in the book
STATEFUL_EPOCHS = (20, 2)  # (full, quick) epochs of the stateful example, one fit call each
STATEFUL_LEARNING_RATE = 1e-2  # larger steps, so that 20 short epochs suffice


# %% [markdown]
# ## Prepare data: the 3-D input every LSTM takes (section 4.2)
#
# A Keras LSTM takes `[samples, timesteps, features]`. The book's two examples: one
# series of 10 steps is one sample of 10 timesteps with 1 feature. Two parallel series
# of 10 steps are one sample of 10 timesteps with 2 features.


# %%
def reshape_examples(run) -> dict:
    one = prep.to_3d(SEQUENCE)  # same as SEQUENCE.reshape((1, 10, 1))
    two_series = np.column_stack([SEQUENCE, SEQUENCE[::-1]])  # (10, 2): one row per time step
    two = prep.to_3d(two_series, timesteps=len(SEQUENCE), features=2)  # = two_series.reshape((1, 10, 2))
    run.log(f"one series {SEQUENCE.shape} -> {one.shape}; two parallel series {two_series.shape} -> {two.shape}")
    same_as_book = (np.array_equal(one, SEQUENCE.reshape((1, 10, 1)))
                    and np.array_equal(two, two_series.reshape((1, 10, 2))))
    return {"one_series_shape": list(one.shape), "two_series_shape": list(two.shape),
            "same_as_numpy_reshape": bool(same_as_book)}


def framed_sequence():
    """The book's framing: each value (t-1) predicts the next (t); X (9, 1, 1), y (9,)."""
    framed = prep.series_to_supervised(SEQUENCE, n_in=1, n_out=1)
    X = prep.to_3d(framed["var1(t-1)"].to_numpy(), timesteps=1)
    return X.astype("float32"), framed["var1(t)"].to_numpy(dtype="float32")


# %% [markdown]
# ## The 5-step life cycle (section 4.1)
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


def life_cycle(run, X, y) -> tuple[dict, np.ndarray, list]:
    run.seed_everything(1)
    model = build_model()  # 1. define
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")  # 2. compile
    # --epochs counts the book's epochs (full-batch updates), run REPEATS at a time.
    epochs = math.ceil(run.epochs(BOOK_EPOCHS, REPEATS) / REPEATS)
    history = model.fit(np.tile(X, (REPEATS, 1, 1)), np.tile(y, REPEATS), epochs=epochs,  # 3. fit
                        batch_size=len(X), shuffle=False, verbose=run.fit_verbose,
                        callbacks=run.callbacks(model.name))
    mse = float(model.evaluate(X, y, verbose=run.fit_verbose))  # 4. evaluate
    predictions = model.predict(X, verbose=run.fit_verbose)[:, 0]  # 5. predict
    max_error = float(np.abs(predictions - y).max())
    run.log(f"{epochs * REPEATS} full-batch updates; MSE {mse:.2e}; largest error {max_error:.4f}")
    for x_value, target, predicted in zip(X[:, 0, 0], y, predictions, strict=True):
        run.log(f"  {x_value:.1f} -> {predicted:.3f} (expected {target:.1f})")
    return {"mse": mse, "max_error": max_error}, predictions, history.history["loss"]


# %% [markdown]
# ## Stateful LSTMs the Keras 3 way (section 4.3)
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


# %%
def stateful_example(run, X, y) -> tuple[dict, np.ndarray]:
    run.seed_everything(2)
    inputs = keras.Input(batch_shape=(1, 1, 1), name="inputs")
    hidden = keras.layers.LSTM(UNITS, stateful=True, name="lstm")(inputs)
    outputs = keras.layers.Dense(1, name="output")(hidden)
    model = keras.Model(inputs, outputs, name="stateful_lstm")
    model.compile(optimizer=keras.optimizers.Adam(STATEFUL_LEARNING_RATE), loss="mse")
    lstm = model.get_layer("lstm")
    for _ in tqdm(range(run.epochs(*STATEFUL_EPOCHS)), desc="stateful epochs", disable=run.quick):
        model.fit(X, y, epochs=1, batch_size=1, shuffle=False, verbose=run.fit_verbose,
                  callbacks=run.callbacks(model.name))
        lstm.reset_state()
    predictions = model.predict(X, batch_size=1, verbose=run.fit_verbose)[:, 0]
    lstm.reset_state()
    metrics = {"stateful_mse": float(np.mean((predictions - y) ** 2)),
               "stateful_max_error": float(np.abs(predictions - y).max())}
    run.log(f"stateful LSTM: MSE {metrics['stateful_mse']:.2e}; largest error {metrics['stateful_max_error']:.4f}")
    return metrics, predictions


# %% [markdown]
# ## Evaluate: the predictions against the sequence


# %%
def plot_life_cycle(run, X, y, predictions, stateful_predictions, losses) -> None:
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
# ## Run the chapter


# %%
def main(argv=None) -> dict:
    run = CHAPTER.start(argv)
    run.log("\n--- reshaping to [samples, timesteps, features] ---")
    shapes = reshape_examples(run)
    X, y = framed_sequence()
    run.log(f"framed t-1 -> t: X{X.shape}, y{y.shape}")
    run.log("\n--- the 5-step life cycle ---")
    metrics, predictions, losses = life_cycle(run, X, y)
    run.log("\n--- a stateful LSTM ---")
    stateful_metrics, stateful_predictions = stateful_example(run, X, y)
    plot_life_cycle(run, X, y, predictions, stateful_predictions, losses)
    return run.finish({**metrics, **stateful_metrics}, shapes=shapes)


if __name__ == "__main__":
    main()
