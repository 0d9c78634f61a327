"""Chapter 1: What are LSTMs.

Description: the LSTM cell's gate equations run in NumPy, and the long-memory claim tested.

The book's chapter is prose, with no code and no result: it explains the memory cell with
its forget, input and output gates, and argues that an MLP sees only a fixed window of the
past, while an LSTM learns what to remember.

Here both claims run. `lstmbook.cell` computes the gate equations in NumPy and matches
`keras.layers.LSTM` with the same weights to about 1e-7 (target: at most 1e-5). Then the
class of a 30-step noisy sequence is the sign of its first step: an MLP on the last 10
steps stays at chance (about 0.5), while an LSTM(32) must reach 95% held-out accuracy (it
reaches 99% or more). A figure shows the trained LSTM's gates, step by step, for one
sequence of each class.
"""

# %% [markdown]
# ## Setup
#
# `book.start(1)` reads the flags (`--quick`, `--seed`, `--verbose`, ...), seeds Python,
# NumPy and Keras, and creates the output folder. The settings are the full run's;
# `run.pick(full, quick)` swaps in a tiny one for the quick run.
# In Jupyter, `book.start(1, ["--quick"])` makes this notebook a quick run.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters import _book as book
from lstmbook import cell, problems

run = book.start(1)
SEED = run.seed  # 42 unless --seed
VERBOSE = run.verbose  # Keras's progress bars under --verbose
CALLBACKS = run.callbacks  # a TensorBoard logger under --tensorboard

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
FORGET_BIAS = 3.0  # the LSTM's initial forget-gate bias (Keras: 1); see "How this differs"
MLP_UNITS = 32  # hidden units of the MLPs
LEARNING_RATE = 3e-3  # Adam's first step size, decayed to 0 by the last epoch (cosine)
BATCH_SIZE = 64
STEPS_PER_EXECUTION = 25  # batches run per call into the backend: the same steps, less overhead
N_TRAIN = run.pick(8000, 512)  # training sequences
N_TEST = run.pick(2000, 256)  # held-out sequences
EPOCHS = run.epochs(8, 1)  # epochs for each of the three models
EVAL_BATCH_SIZE = 1000  # evaluation only: larger batches, same numbers; 1000 divides
# the 2,000 test sequences, so every batch has one shape and one compiled evaluation step

# Figures.
GATE_EXAMPLE_POOL = 16  # test sequences to pick one of each class from, for the gate figure
EXAMPLES_SHOWN = 4  # sequences drawn in the window figure

# %% [markdown]
# ## Prepare the data
#
# ### (a) A random batch, to check the NumPy cell against Keras
#
# Any input will do to compare two implementations of the same equations; random
# numbers exercise every weight.

# %%
_, COMPARE_TIMESTEPS, COMPARE_FEATURES = COMPARE_SHAPE
x_compare = np.random.default_rng(SEED).normal(size=COMPARE_SHAPE).astype("float32")
print(f"x{x_compare.shape} = [samples, timesteps, features]: "
      f"mean {x_compare.mean():.3f}, std {x_compare.std():.3f}")

# %% [markdown]
# ### (b) The answer lies further back than the window
#
# Each sequence is 30 steps of noise. Its class is the sign of the **first** step,
# whose size is drawn so that it looks like any other step. A model that sees only
# the last 10 steps has nothing to go on. A model that reads the whole sequence and
# remembers step 0 can be perfect. `problems.first_sign_sequences` makes them all at once.

# %%
common = dict(timesteps=TIMESTEPS, noise=NOISE, signal=SIGNAL)
X_train, y_train = problems.first_sign_sequences(N_TRAIN, seed=SEED + 1, **common)
X_test, y_test = problems.first_sign_sequences(N_TEST, seed=SEED + 2, **common)
print(f"train X{X_train.shape} y{y_train.shape}, test X{X_test.shape} y{y_test.shape} "
      f"= [samples, timesteps, features]; the MLP sees X[:, -{WINDOW}:, 0]")
print(f"positive class: {y_train.mean():.3f} of the training sequences, {y_test.mean():.3f} of the test ones")
print(f"|step 0| from {np.abs(X_train[:, 0, 0]).min():.2f} to {np.abs(X_train[:, 0, 0]).max():.2f}; "
      f"the later steps: std {X_train[:, 1:].std():.2f}")
for i in range(3):
    print(f"class {int(y_train[i])}: steps 0-4 {np.round(X_train[i, :5, 0], 2).tolist()} ...")

# %% [markdown]
# ## Build the model
#
# ### (a) The gate equations in NumPy, and a Keras LSTM with the same weights
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
# included), so that the comparison below tests every term.

# %%
keras.utils.set_random_seed(SEED)
inputs = keras.Input(shape=(COMPARE_TIMESTEPS, COMPARE_FEATURES), name="inputs")
sequence, _, final_c = keras.layers.LSTM(COMPARE_UNITS, return_sequences=True, return_state=True,
                                         name="lstm")(inputs)
keras_lstm = keras.Model(inputs, [sequence, final_c], name="keras_lstm")
keras_lstm.get_layer("lstm").set_weights(
    cell.random_weights(COMPARE_FEATURES, COMPARE_UNITS, scale=WEIGHT_SCALE, seed=SEED).to_keras())
keras_lstm.summary()
numpy_weights = cell.weights_from_keras(keras_lstm.get_layer("lstm"))
for name, array in zip(("kernel", "recurrent_kernel", "bias"), keras_lstm.get_layer("lstm").get_weights(),
                       strict=True):
    print(f"Keras {name:16s} {array.shape}")
for gate in cell.GATES:
    print(f"gate {gate}: W {numpy_weights.W[gate].shape}, U {numpy_weights.U[gate].shape}, "
          f"b {numpy_weights.b[gate].shape}")

# %% [markdown]
# ### (b) A window MLP, a full-sequence MLP and an LSTM
#
# The MLP sees the last 10 steps as 10 numbers. The same MLP given all 30 steps is the
# control: if it learns, what fails in the window MLP is the fixed window, not the MLP.
# The LSTM reads the sequence one step at a time and must carry step 0 to the end.
# Its forget gates start nearly open (bias 3, not Keras's 1), so that the error from the
# last step still reaches step 0. Each model is built right after
# `keras.utils.set_random_seed(SEED + k)` and trained before the next one is seeded, so
# that its weights and its shuffling depend on nothing else.

# %%
def build_mlp(n_inputs: int, name: str) -> keras.Model:
    inputs = keras.Input(shape=(n_inputs,), name="inputs")
    hidden = keras.layers.Dense(MLP_UNITS, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(hidden)
    return keras.Model(inputs, outputs, name=name)


def build_lstm_classifier() -> keras.Model:
    inputs = keras.Input(shape=(TIMESTEPS, 1), name="inputs")
    lstm_layer = keras.layers.LSTM(UNITS, name="lstm")
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(lstm_layer(inputs))
    # Hold the forget gates open at the start (sigmoid(3) = 0.95), so that the error at
    # step 29 reaches step 0 through the cell state: the constant error carousel.
    cell.set_forget_bias(lstm_layer, FORGET_BIAS)
    return keras.Model(inputs, outputs, name="lstm_classifier")


def compile_classifier(model: keras.Model) -> keras.Model:
    # A step size that falls to zero lets the last epochs settle instead of jumping out of
    # a minimum that was already found.
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=EPOCHS * -(-N_TRAIN // BATCH_SIZE))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="binary_crossentropy",
                  metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
    return model


keras.utils.set_random_seed(SEED + 1)
mlp_window = compile_classifier(build_mlp(WINDOW, "mlp_last_window"))
mlp_window.summary()

# %% [markdown]
# ## Train
#
# ### The MLP on the last 10 steps

# %%
def fit_classifier(model: keras.Model, X, y):
    history = model.fit(X, y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=VERBOSE, callbacks=CALLBACKS)
    for epoch, (loss, acc) in enumerate(zip(history.history["loss"], history.history["accuracy"],
                                            strict=True), 1):
        print(f"{model.name} epoch {epoch}: loss {loss:.4f}, accuracy {acc:.4f}")
    return history


history_window = fit_classifier(mlp_window, X_train[:, -WINDOW:, 0], y_train)

# %% [markdown]
# ### The same MLP, given all 30 steps

# %%
keras.utils.set_random_seed(SEED + 2)
mlp_full = compile_classifier(build_mlp(TIMESTEPS, "mlp_full_window"))
print(f"{mlp_full.name}: {mlp_full.count_params()} weights (the window MLP: {mlp_window.count_params()})")
history_full = fit_classifier(mlp_full, X_train[..., 0], y_train)

# %% [markdown]
# ### The LSTM, reading the whole sequence

# %%
keras.utils.set_random_seed(SEED + 3)
lstm = compile_classifier(build_lstm_classifier())
lstm.summary()
history_lstm = fit_classifier(lstm, X_train, y_train)

# %% [markdown]
# ## Evaluate
#
# ### (a) The NumPy cell against Keras
#
# Both run the random batch; we compare every output step and the final cell state.

# %%
keras_h, keras_c = keras_lstm.predict(x_compare, verbose=VERBOSE)
trace = cell.lstm_forward(x_compare, numpy_weights)
max_abs_diff = float(max(np.abs(trace.h - keras_h).max(), np.abs(trace.c[:, -1] - keras_c).max()))
print(f"NumPy h {trace.h.shape}, Keras h {keras_h.shape}; NumPy c_T {trace.c[:, -1].shape}, "
      f"Keras c_T {keras_c.shape}")
print(f"NumPy vs Keras on x{x_compare.shape}: max |difference| = {max_abs_diff:.2e}")
print(f"sample 0, unit 0, steps 0-4: NumPy {np.round(trace.h[0, :5, 0], 6).tolist()}")
print(f"                             Keras {np.round(keras_h[0, :5, 0].astype(float), 6).tolist()}")

# %% [markdown]
# ### (b) Who can see step 0?
#
# Accuracy on the held-out sequences; chance is 0.5.

# %%
scores = {}
for name, model, seen in (("mlp_accuracy", mlp_window, X_test[:, -WINDOW:, 0]),
                          ("mlp_full_window_accuracy", mlp_full, X_test[..., 0]),
                          ("lstm_accuracy", lstm, X_test)):
    _, accuracy = model.evaluate(seen, y_test, batch_size=EVAL_BATCH_SIZE, verbose=VERBOSE)
    scores[name] = float(accuracy)
    print(f"{model.name:>16s}: held-out accuracy {accuracy:.3f}")

# %% [markdown]
# ### Looking inside the trained LSTM
#
# The NumPy cell, given the trained layer's weights, shows every gate at every step
# (and agrees with Keras here too). The figure shows one test sequence of each class
# side by side. Once the first step has pushed the cell state one way or the other,
# the two runs drift apart into near mirror images, and the later noise does not
# bring them back together. What the LSTM remembers of step 0 lives in `c_t`.

# %%
X_pool, y_pool = problems.first_sign_sequences(GATE_EXAMPLE_POOL, seed=SEED + 3, **common)
X_pair = X_pool[[np.argmin(y_pool), np.argmax(y_pool)]]  # one negative, one positive sequence
trained = cell.lstm_forward(X_pair, cell.weights_from_keras(lstm.get_layer("lstm")))
last_h = keras.Model(lstm.inputs, lstm.get_layer("lstm").output).predict(X_pair, verbose=VERBOSE)
trained_max_abs_diff = float(np.abs(trained.h[:, -1] - last_h).max())
print(f"trained LSTM: NumPy vs Keras final h, max |difference| = {trained_max_abs_diff:.2e}")
for column, label in enumerate(("negative", "positive")):
    print(f"first step {label} ({X_pair[column, 0, 0]:+.2f}): mean c_t at steps 0, 10, {TIMESTEPS - 1} = "
          f"{trained.c[column, [0, 10, -1]].mean(axis=-1).round(3).tolist()}, "
          f"mean forget gate {trained.f[column].mean():.3f}")

# (title, values, is_gate): gates live in (0, 1), the rest in (-1, 1) or wider.
panels = [("forget gate f_t", trained.f, True), ("input gate i_t", trained.i, True),
          ("candidate c~_t", trained.c_tilde, False), ("cell state c_t", trained.c, False),
          ("output gate o_t", trained.o, True), ("hidden state h_t", trained.h, False)]
fig, axes = plt.subplots(len(panels) + 1, 2, figsize=(14, 13), sharex=True,
                         gridspec_kw={"height_ratios": [1] + [2] * len(panels)}, num="gate_activations")
steps = np.arange(TIMESTEPS)
for column, label in enumerate(("first step negative", "first step positive")):
    axes[0, column].bar(steps, X_pair[column, :, 0], color=["tab:red"] + ["tab:gray"] * (TIMESTEPS - 1))
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
plt.show()

# %% [markdown]
# A few sequences, the window the MLP sees, and the three accuracies.

# %%
X_shown, y_shown = problems.first_sign_sequences(EXAMPLES_SHOWN, seed=SEED + 4, **common)
fig, (ax_seq, ax_bar) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 1]},
                                     num="window_vs_lstm")
for k in range(len(X_shown)):
    ax_seq.plot(X_shown[k, :, 0] + 4 * k, marker=".", color="tab:blue" if y_shown[k] else "tab:orange")
    ax_seq.plot(0, X_shown[k, 0, 0] + 4 * k, "o", color="black")
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
plt.show()

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the targets, writes `metrics.json`, and stops a full run that missed
# one (a non-zero exit from the command line, an error in a notebook).

# %%
record = run.finish({
    "max_abs_diff": max_abs_diff,
    "trained_max_abs_diff": trained_max_abs_diff,
    **scores,
    "chance_accuracy": 0.5,
})

# %% [markdown]
# ## How this differs from the book
#
# The book's chapter has no code: it states that an LSTM's gates decide what to keep, and
# that a fixed-window MLP cannot see past its window. We run both claims: the equations
# against Keras, and a task built so that the answer lies outside the window. The control
# MLP on all 30 steps and the gate figure are ours. One setting goes beyond the book: the
# LSTM starts with a forget-gate bias of 3, not Keras's 1. The error from step 29 reaches
# step 0 through 29 forget gates; at sigmoid(1) = 0.73 each it keeps 0.73^29 ≈ 1e-4 of its
# size, and in about two runs of three the LSTM never learns the task. At sigmoid(3) = 0.95
# it keeps about a quarter, and every seed we tried passes. Chapter 2 measures this decay.

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
full_window_accuracy = scores["mlp_full_window_accuracy"]
print(f"""\
- The six gate equations in NumPy (`lstmbook.cell`) compute what `keras.layers.LSTM` computes: with
  the same weights the outputs differ by at most {max_abs_diff:.1e} (random weights), {trained_max_abs_diff:.1e} (trained).
- An MLP that sees only the last {WINDOW} steps cannot find the class: held-out accuracy
  {scores['mlp_accuracy']:.3f}, where chance is 0.5.
- The same MLP given all {TIMESTEPS} steps reaches {full_window_accuracy:.3f}: \
{"the window is what fails" if full_window_accuracy > 0.6 else "with this budget it cannot single out step 0 either"}.
- An LSTM({UNITS}) with {lstm.count_params():,} weights, reading one step at a time, reaches {scores['lstm_accuracy']:.3f}
  (the target: 0.95).
- Its trained forget gates stay open, {trained.f.mean():.3f} on average: each step keeps most of the cell state.""")

# %% [markdown]
# ## Further reading
#
# - Sepp Hochreiter and Jürgen Schmidhuber,
#   [Long Short-Term Memory](https://doi.org/10.1162/neco.1997.9.8.1735),
#   Neural Computation 9(8), 1997.
# - Felix A. Gers, Jürgen Schmidhuber and Fred Cummins,
#   [Learning to Forget: Continual Prediction with LSTM](https://doi.org/10.1162/089976600300015015),
#   Neural Computation 12(10), 2000: the forget gate.
# - Felix A. Gers, Douglas Eck and Jürgen Schmidhuber,
#   [Applying LSTM to Time Series Predictable through Time-Window Approaches](https://doi.org/10.1007/3-540-44668-0_93),
#   ICANN 2001: an LSTM against time-window models.
# - Yoshua Bengio, Patrice Simard and Paolo Frasconi,
#   [Learning Long-Term Dependencies with Gradient Descent is Difficult](https://doi.org/10.1109/72.279181),
#   IEEE Transactions on Neural Networks 5(2), 1994.
# - Alex Graves and Jürgen Schmidhuber,
#   [Framewise Phoneme Classification with Bidirectional LSTM and Other Neural Network Architectures](https://doi.org/10.1016/j.neunet.2005.06.042),
#   Neural Networks 18(5–6), 2005.
# - Ilya Sutskever, Oriol Vinyals and Quoc V. Le,
#   [Sequence to Sequence Learning with Neural Networks](https://arxiv.org/abs/1409.3215), 2014.
# - Christopher Olah, [Understanding LSTM Networks](https://colah.github.io/posts/2015-08-Understanding-LSTMs/),
#   2015: the gates, drawn.
# - Keras API: [`LSTM`](https://keras.io/api/layers/recurrent_layers/lstm/),
#   [`Dense`](https://keras.io/api/layers/core_layers/dense/),
#   [`Model.fit` and `Model.evaluate`](https://keras.io/api/models/model_training_apis/).

# %% [markdown]
# ## Extensions
#
# - Put the answer inside the window: make the class the sign of step 25 instead of step 0.
#   Does the window MLP now learn, and as fast as the LSTM?
# - Lengthen the sequences to 100 or 200 steps. At what length does LSTM(32) stop reaching
#   95%, with a forget-gate bias of 3, and with Keras's 1?
# - Replace the LSTM with a `keras.layers.GRU` or a `keras.layers.SimpleRNN` of the same size.
#   Which of them learns the task in 8 epochs?
# - Add peephole connections (Gers and Schmidhuber, 2000) to `lstmbook.cell.lstm_step`, and
#   check that with zero peephole weights it still equals Keras.
