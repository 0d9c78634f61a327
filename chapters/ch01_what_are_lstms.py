"""Chapter 1: What are LSTMs.

Description: the LSTM cell's gate equations run in NumPy, and the long-memory claim tested.
Book: prose only. It explains the memory cell with its forget, input and output gates,
and argues that an MLP sees only a fixed window of the past, while an LSTM learns what
to remember.
Here both claims run. (a) ``lstmbook.cell`` computes the gate equations in NumPy and
matches ``keras.layers.LSTM`` with the same weights to ``max_abs_diff`` ≈ 1e-7 (target
≤ 1e-5). (b) The class of a 30-step noisy sequence is the sign of its first step. An
MLP on the last 10 steps stays at chance (``mlp_accuracy`` ≈ 0.5). An LSTM(32) reaches
``lstm_accuracy`` ≥ 0.95 (0.99 or more with the full settings). A figure shows the
trained LSTM's gates over time for one sequence of each class, as the NumPy cell
computes them.

Run it with ``make ch01`` or ``python -m chapters.ch01_what_are_lstms [--quick]``.
"""

# %% [markdown]
# ## Setup

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from lstmbook import cell
from lstmbook.chapter import Chapter

CHAPTER = Chapter(
    1, "what_are_lstms", "What are LSTMs",
    book="prose only: the gates of the memory cell, and why MLPs need a fixed window",
    targets={"max_abs_diff": ("<=", 1e-5), "lstm_accuracy": (">=", 0.95)},
    main_figure="gate_activations.png",
)

# (a) The NumPy cell against Keras.
COMPARE_SHAPE = (8, 20, 3)  # the random batch: (samples, timesteps, features)
COMPARE_UNITS = 5  # LSTM units of the compared layer
WEIGHT_SCALE = 0.5  # std of the random weights; biases too, so every term is tested

# (b) A dependency longer than the window.
TIMESTEPS = 30  # steps per sequence; the answer is at step 0
WINDOW = 10  # the MLP sees only the last WINDOW steps, as a fixed-window model does
NOISE = 1.0  # std of the Gaussian noise at every step after the first
SIGNAL = (0.5, 1.5)  # |first step| is drawn from this range, so it looks like noise
UNITS = 32  # LSTM units of the classifier
MLP_UNITS = 32  # hidden units of the MLPs
LEARNING_RATE = 3e-3  # Adam
BATCH_SIZE = 64
TRAIN_SAMPLES = (8000, 512)  # (full, quick) training sequences
TEST_SAMPLES = (2000, 256)  # (full, quick) held-out sequences
EPOCHS = (8, 1)  # (full, quick) epochs for each of the three models
EVAL_BATCH_SIZE = 1024  # evaluation only: larger batches, same numbers

# Figures.
GATE_EXAMPLE_POOL = 16  # test sequences to pick one of each class from, for the gate figure
EXAMPLES_SHOWN = 4  # sequences drawn in the window figure


# %% [markdown]
# ## (a) The gate equations in NumPy, checked against Keras
#
# `lstmbook.cell.lstm_step` is the six equations of the memory cell:
#
# ```
# f_t  = sigmoid(x_t W_f + h_{t-1} U_f + b_f)   forget gate: what to keep of c_{t-1}
# i_t  = sigmoid(x_t W_i + h_{t-1} U_i + b_i)   input gate: what to write
# c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c)      candidate: what could be written
# c_t  = f_t * c_{t-1} + i_t * c~_t             the cell state (the memory)
# o_t  = sigmoid(x_t W_o + h_{t-1} U_o + b_o)   output gate: what to show
# h_t  = o_t * tanh(c_t)                        the output
# ```
#
# Keras keeps the four gates side by side in one kernel, in the order i, f, c, o;
# `cell.weights_from_keras` splits them. We give a Keras LSTM random weights (biases
# included), run both on the same random batch, and compare every output step and the
# final cell state.


# %%
def compare_with_keras(run) -> float:
    _, timesteps, features = COMPARE_SHAPE
    rng = np.random.default_rng(run.seed)
    x = rng.normal(size=COMPARE_SHAPE).astype("float32")

    run.seed_everything()
    inputs = keras.Input(shape=(timesteps, features), name="inputs")
    sequence, _, final_c = keras.layers.LSTM(COMPARE_UNITS, return_sequences=True, return_state=True,
                                             name="lstm")(inputs)
    model = keras.Model(inputs, [sequence, final_c], name="keras_lstm")
    layer = model.get_layer("lstm")
    layer.set_weights(cell.random_weights(features, COMPARE_UNITS, scale=WEIGHT_SCALE,
                                          seed=run.seed).to_keras())

    keras_h, keras_c = model.predict(x, verbose=run.fit_verbose)
    trace = cell.lstm_forward(x, cell.weights_from_keras(layer))
    diff = max(np.abs(trace.h - keras_h).max(), np.abs(trace.c[:, -1] - keras_c).max())
    run.log(f"NumPy vs Keras on x{x.shape}: h {trace.h.shape}, max |difference| = {diff:.2e}")
    return float(diff)


# %% [markdown]
# ## (b) Prepare data: the answer lies further back than the window
#
# Each sequence is 30 steps of noise. Its class is the sign of the **first** step,
# whose size is drawn so that it looks like any other step. A model that sees only
# the last 10 steps has nothing to go on. A model that reads the whole sequence and
# remembers step 0 can be perfect.


# %%
def first_sign_sequences(n: int, seed: int):
    """``X (n, TIMESTEPS, 1)`` of noise; ``y (n,)`` is 1 where the first step is positive."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, NOISE, size=(n, TIMESTEPS, 1))
    sign = rng.choice([-1.0, 1.0], size=n)
    X[:, 0, 0] = sign * rng.uniform(*SIGNAL, size=n)
    return X.astype("float32"), (sign > 0).astype("float32")


# %% [markdown]
# ## (b) Build the models: a window MLP, a full-sequence MLP and an LSTM


# %%
def build_mlp(n_inputs: int, name: str) -> keras.Model:
    inputs = keras.Input(shape=(n_inputs,), name="inputs")
    hidden = keras.layers.Dense(MLP_UNITS, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(hidden)
    return keras.Model(inputs, outputs, name=name)


def build_lstm_classifier() -> keras.Model:
    inputs = keras.Input(shape=(TIMESTEPS, 1), name="inputs")
    hidden = keras.layers.LSTM(UNITS, name="lstm")(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(hidden)
    return keras.Model(inputs, outputs, name="lstm_classifier")


# %% [markdown]
# ## (b) Train and evaluate


# %%
def train_and_score(run, model, X, y, X_test, y_test, epochs: int) -> float:
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(X, y, epochs=epochs, batch_size=BATCH_SIZE, verbose=run.fit_verbose,
              callbacks=run.callbacks(model.name))
    _, accuracy = model.evaluate(X_test, y_test, batch_size=EVAL_BATCH_SIZE, verbose=run.fit_verbose)
    run.log(f"{model.name:>16s}: held-out accuracy {accuracy:.3f}")
    return float(accuracy)


def window_experiment(run) -> tuple[dict, keras.Model]:
    X, y = first_sign_sequences(run.pick(*TRAIN_SAMPLES), seed=run.seed + 1)
    X_test, y_test = first_sign_sequences(run.pick(*TEST_SAMPLES), seed=run.seed + 2)
    run.log(f"X{X.shape} = [samples, timesteps, features]; the MLP sees X[:, -{WINDOW}:, 0]")
    epochs = run.epochs(*EPOCHS)
    scores = {}
    run.seed_everything(1)
    scores["mlp_accuracy"] = train_and_score(run, build_mlp(WINDOW, "mlp_last_window"),
                                             X[:, -WINDOW:, 0], y, X_test[:, -WINDOW:, 0], y_test, epochs)
    # extra code – the same MLP given the whole sequence as its window solves the task,
    # so what fails above is the fixed window, not the MLP.
    run.seed_everything(2)
    scores["mlp_full_window_accuracy"] = train_and_score(run, build_mlp(TIMESTEPS, "mlp_full_window"),
                                                         X[..., 0], y, X_test[..., 0], y_test, epochs)
    run.seed_everything(3)
    lstm = build_lstm_classifier()
    scores["lstm_accuracy"] = train_and_score(run, lstm, X, y, X_test, y_test, epochs)
    return scores, lstm


# %% [markdown]
# ## Looking inside the trained LSTM
#
# The NumPy cell, given the trained layer's weights, shows every gate at every step
# (and agrees with Keras here too). The figure shows one test sequence of each class
# side by side. Once the first step has pushed the cell state one way or the other,
# the two runs drift apart into near mirror images, and the later noise does not
# bring them back together. What the LSTM remembers of step 0 lives in `c_t`.


# %%
def plot_gates(run, lstm: keras.Model) -> float:
    X, y = first_sign_sequences(GATE_EXAMPLE_POOL, seed=run.seed + 3)
    X = X[[np.argmin(y), np.argmax(y)]]  # one negative, one positive sequence
    trace = cell.lstm_forward(X, cell.weights_from_keras(lstm.get_layer("lstm")))
    last_h = keras.Model(lstm.inputs, lstm.get_layer("lstm").output).predict(X, verbose=run.fit_verbose)
    diff = float(np.abs(trace.h[:, -1] - last_h).max())
    run.log(f"trained LSTM: NumPy vs Keras final h, max |difference| = {diff:.2e}")

    # (title, values, is_gate): gates live in (0, 1), the rest in (-1, 1) or wider.
    panels = [("forget gate f_t", trace.f, True), ("input gate i_t", trace.i, True),
              ("candidate c~_t", trace.c_tilde, False), ("cell state c_t", trace.c, False),
              ("output gate o_t", trace.o, True), ("hidden state h_t", trace.h, False)]
    fig, axes = plt.subplots(len(panels) + 1, 2, figsize=(14, 13), sharex=True,
                             gridspec_kw={"height_ratios": [1] + [2] * len(panels)})
    steps = np.arange(TIMESTEPS)
    for column, label in enumerate(("first step negative", "first step positive")):
        axes[0, column].bar(steps, X[column, :, 0], color=["tab:red"] + ["tab:gray"] * (TIMESTEPS - 1))
        axes[0, column].set_title(f"Test sequence, {label}")
        for ax, (title, values, gate) in zip(axes[1:, column], panels, strict=True):
            limit = max(1.0, float(np.abs(values).max()))
            image = ax.imshow(values[column].T, aspect="auto", interpolation="nearest",
                              cmap="viridis" if gate else "RdBu_r",
                              vmin=0.0 if gate else -limit, vmax=1.0 if gate else limit)
            ax.set_title(title)
            ax.set_ylabel("unit")
            fig.colorbar(image, ax=ax, pad=0.01)
        axes[-1, column].set_xlabel("time step")
    fig.suptitle("Gate activations of the trained LSTM, computed by lstmbook.cell", y=1.0)
    fig.tight_layout()
    run.save_figure(fig, "gate_activations.png")
    return diff


def plot_window_comparison(run, scores: dict) -> None:
    X, y = first_sign_sequences(EXAMPLES_SHOWN, seed=run.seed + 4)
    fig, (ax_seq, ax_bar) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 1]})
    for k in range(len(X)):
        ax_seq.plot(X[k, :, 0] + 4 * k, marker=".", color="tab:blue" if y[k] else "tab:orange")
        ax_seq.plot(0, X[k, 0, 0] + 4 * k, "o", color="black")
    ax_seq.axvspan(TIMESTEPS - WINDOW - 0.5, TIMESTEPS - 0.5, color="tab:gray", alpha=0.2)
    ax_seq.text(TIMESTEPS - WINDOW / 2 - 0.5, 1.01, f"the MLP's window (last {WINDOW} steps)", ha="center",
                va="bottom", transform=ax_seq.get_xaxis_transform())
    ax_seq.set_title("Class = sign of step 0 (black dot); blue positive, orange negative", pad=18)
    ax_seq.set(xlabel="time step", yticks=[])
    names = ["mlp_accuracy", "mlp_full_window_accuracy", "lstm_accuracy"]
    labels = [f"MLP, last {WINDOW}", f"MLP, all {TIMESTEPS}", "LSTM"]
    bars = ax_bar.bar(labels, [scores[n] for n in names], color=["tab:gray", "tab:olive", "tab:green"])
    ax_bar.bar_label(bars, fmt="%.3f")
    ax_bar.axhline(0.5, color="black", linestyle=":", label="chance")
    ax_bar.set(ylim=(0, 1.1), ylabel="held-out accuracy", title="Who can see step 0?")
    ax_bar.legend(loc="lower right")
    fig.tight_layout()
    run.save_figure(fig, "window_vs_lstm.png")


# %% [markdown]
# ## Run the chapter


# %%
def main(argv=None) -> dict:
    run = CHAPTER.start(argv)
    run.log("\n--- (a) the NumPy LSTM cell against keras.layers.LSTM ---")
    max_abs_diff = compare_with_keras(run)
    run.log("\n--- (b) a dependency further back than the MLP's window ---")
    scores, lstm = window_experiment(run)
    trained_diff = plot_gates(run, lstm)
    plot_window_comparison(run, scores)
    metrics = {
        "max_abs_diff": max_abs_diff,
        "trained_max_abs_diff": trained_diff,
        **scores,
        "chance_accuracy": 0.5,
    }
    return run.finish(metrics)


if __name__ == "__main__":
    main()
