"""Chapter 2: How to Train LSTMs.

Description: vanishing gradients measured, truncated BPTT run, and the 1997 adding problem solved.

The book's chapter is prose: it explains backpropagation through time (BPTT), its truncated
form (TBPTT), and vanishing and exploding gradients, and cites Hochreiter & Schmidhuber
(1997): an LSTM bridges long time lags on which other recurrent networks fail.

Here each claim runs. We measure how strongly the output at step T depends on the input
k = 1…100 steps back, for a SimpleRNN and LSTMs, before and after training. Trained,
the LSTM's gradient stays near 0.1 at every lag; the SimpleRNN's falls below 1e-20 by
k = 50 (the figure). A stateful LSTM learns a 1,000-step series by TBPTT. On the adding
problem (T = 50), LSTM(64) must reach an MSE of at most 0.01 (it reaches about 0.002);
a SimpleRNN stays near 0.17, no better than predicting the mean.
"""

# %% [markdown]
# ## Setup
#
# `book.start(2)` reads the flags (`--quick`, `--seed`, `--verbose`, ...), seeds Python,
# NumPy and Keras, and creates the output folder. The settings are the full run's;
# `run.pick(full, quick)` swaps in a tiny one for the quick run.
# In Jupyter, `book.start(2, ["--quick"])` makes this notebook a quick run.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters import _book as book
from lstmbook import cell, models, prep, problems

run = book.start(2)
SEED = run.seed  # 42 unless --seed
VERBOSE = run.verbose  # Keras's progress bars under --verbose
CALLBACKS = run.callbacks  # a TensorBoard logger under --tensorboard

FEATURES = 2  # the adding problem's (value, marker) pairs; the gradient study uses the same inputs
UNITS = 64  # units of both recurrent layers
LEARNING_RATE = 3e-3  # Adam, for every model trained here

# (a) Vanishing gradients.
MAX_LAG = 100  # measure d output_T / d input_{T-k} for k = 1 ... MAX_LAG
GRADIENT_SAMPLES = run.pick(64, 8)  # sequences the gradient norms are averaged over
OPEN_FORGET_BIAS = 5.0  # sigmoid(5) = 0.993: a forget gate held open, the constant error carousel
GRADIENT_FLOOR = 1e-30  # where the log-scale plot draws gradients that are exactly zero

# (b) Truncated BPTT.
SERIES_LENGTH = 1000  # steps in the long series
# subsequence lengths: backpropagation reaches at most this far back
TBPTT_TIMESTEPS = run.pick((25, 50, 100), (25,))
SERIES_PERIOD = 40  # steps per cycle of the series' sine
SERIES_NOISE = 0.05  # std of its noise
TBPTT_UNITS = 16  # units of the stateful LSTM
TBPTT_EPOCHS = run.epochs(10, 1)
PLOTTED_TIMESTEPS = 50  # the split the figure draws

# (c) The adding problem (Hochreiter & Schmidhuber 1997, experiment 4).
ADDING_TIMESTEPS = 50  # T: the two marked values can be up to T - 1 steps apart
CLIPNORM = 1.0  # gradient norm clipping, against exploding gradients (Pascanu et al., 2013)
BATCH_SIZE = 64
N_TRAIN = run.pick(20_032, 512)  # training sequences: 313 whole batches of 64 (a smaller
# last batch would have a new shape, and so a second compiled training step)
N_TEST = run.pick(2000, 256)  # held-out sequences
ADDING_EPOCHS = run.epochs(5, 1)  # the same budget for both models
ADDING_TARGET = run.chapter.targets["lstm_adding_mse"][1]  # the LSTM's held-out MSE must be at most this
EVAL_BATCH_SIZE = 1000  # evaluation and validation only: larger batches, same numbers
STEPS_PER_EXECUTION = 50  # batches run per call into the backend: the same steps, less overhead

# %% [markdown]
# ## Prepare the data
#
# ### The adding problem
#
# Each step carries a pair (value, marker). The values are uniform in [0, 1). Exactly
# two steps are marked, the first in the first half of the sequence and the second in
# its third quarter, and the target is the sum of the two marked values. To succeed, a
# network must carry the first marked value across up to T steps, and the second across
# at least T/4: none sits in the last steps, where a short memory could learn half the sum.
# Always predicting the mean sum (1.0) gives an MSE of Var(u1 + u2) = 1/6 ≈ 0.167.
#
# `problems.adding_problem` makes them. The gradient study feeds the same kind of
# sequences, 101 steps long so that lags 1 to 100 exist.

# %%
x_grad, _ = problems.adding_problem(GRADIENT_SAMPLES, MAX_LAG + 1, seed=SEED + 10)
X_train, y_train = problems.adding_problem(N_TRAIN, ADDING_TIMESTEPS, seed=SEED + 40)
X_test, y_test = problems.adding_problem(N_TEST, ADDING_TIMESTEPS, seed=SEED + 41)
print(f"adding problem: X{X_train.shape}, y{y_train.shape}, T={ADDING_TIMESTEPS}; "
      f"held out X{X_test.shape}; gradient study x{x_grad.shape}")
marked = np.flatnonzero(X_train[0, :, 1])
print(f"sequence 0: steps {marked.tolist()} are marked, values "
      f"{np.round(X_train[0, marked, 0].astype(float), 3).tolist()}, target {y_train[0]:.3f}")
mean_predictor_mse = float(np.mean((y_test - y_train.mean()) ** 2))
print(f"always predicting the mean ({y_train.mean():.3f}): held-out MSE {mean_predictor_mse:.4f} "
      "(1/6 = 0.1667)")

# %% [markdown]
# ### A long series, for truncated BPTT
#
# Backpropagating through all 1,000 steps of a long series is slow and unstable. TBPTT
# cuts the series into subsequences of `timesteps` steps, and `prep.tbptt_split` does
# the cutting: `[samples, timesteps, features]` with the samples in order. The targets
# are the next value at every step.

# %%
def tbptt_series(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(SERIES_LENGTH + 1)  # one extra step, so that inputs and next-step targets are 1,000 long
    return np.sin(2 * np.pi * t / SERIES_PERIOD) + rng.normal(0.0, SERIES_NOISE, size=t.size)


series = tbptt_series(SEED + 20)
tbptt_data = {}
for timesteps in TBPTT_TIMESTEPS:
    X = prep.tbptt_split(series[:-1], timesteps)  # (1000 / timesteps, timesteps, 1)
    y = prep.tbptt_split(series[1:], timesteps)  # the next value at every step
    tbptt_data[timesteps] = (X, y)
    print(f"timesteps={timesteps:3d}: X{X.shape}, y{y.shape}")
print(f"series of {series.size} values, first five {np.round(series[:5], 3).tolist()}")

# %% [markdown]
# ## Build the model
#
# One builder for both recurrent layers, so that the SimpleRNN and the LSTM differ in
# nothing but the layer. The time axis is `None`: the gradient study feeds them 101
# steps, the adding problem 50.
#
# For the gradient study we build three models at initialisation, each from the same
# seed: a SimpleRNN, an LSTM as Keras initialises it (forget-gate bias 1, so
# `f_t ≈ sigmoid(1) = 0.73`), and the same LSTM with its forget gate held open
# (`cell.set_forget_bias`, bias 5, `f_t ≈ 0.993`).

# %%
def build_recurrent_regressor(kind: str) -> keras.Model:
    layers = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM}
    inputs = keras.Input(shape=(None, FEATURES), name="inputs")
    hidden = layers[kind](UNITS, name="recurrent")(inputs)
    outputs = keras.layers.Dense(1, name="output")(hidden)
    return keras.Model(inputs, outputs, name=f"{kind}_regressor")


init_models = {}
for label, kind, opened in (("SimpleRNN", "rnn", False), ("LSTM (Keras init, forget bias 1)", "lstm", False),
                            (f"LSTM (forget gate open, bias {OPEN_FORGET_BIAS:g})", "lstm", True)):
    keras.utils.set_random_seed(SEED + 10)
    model = build_recurrent_regressor(kind)
    if opened:
        cell.set_forget_bias(model.get_layer("recurrent"), OPEN_FORGET_BIAS)
    init_models[label] = model
init_models["LSTM (Keras init, forget bias 1)"].summary()
for label, model in init_models.items():
    if isinstance(model.get_layer("recurrent"), keras.layers.LSTM):
        b_f = cell.weights_from_keras(model.get_layer("recurrent")).b["f"]
        print(f"{label}: forget-gate bias {b_f.mean():g}, so f_t starts near "
              f"sigmoid({b_f.mean():g}) = {cell.sigmoid(b_f.mean()):.3f}")

# %% [markdown]
# ### Measuring how far back the error reaches
#
# BPTT sends the error at step T back through every earlier step. Each step multiplies
# it by that step's Jacobian. In a SimpleRNN that factor is `W_hh^T diag(tanh')`, so the
# signal shrinks (or grows) geometrically with the lag k. In an LSTM the cell state's path is
# `c_t = f_t * c_{t-1} + ...`, so the factor along it is the forget gate `f_t`. Where
# `f_t ≈ 1` the error flows back unchanged. This is the *constant error carousel*.
#
# We measure `||d output_T / d x_{T-k}||` with the backend's own autodiff, averaged over
# a batch. The one helper below has a branch per backend (Keras 3 has no backend-neutral
# gradient of a model's output with respect to its input). Everything else in the chapter
# is plain Keras. A linear model, whose gradient is its weights, checks the helper.

# %%
def input_gradients(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """d(sum of the model's outputs)/d(inputs), shape of ``x``, with the active backend's autodiff.

    Each sample's output depends only on its own inputs, so row ``i`` of the result is
    exactly ``d output_i / d x_i``.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = tf.reduce_sum(model(inputs, training=False))
        return tape.gradient(total, inputs).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        def total(inputs):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            return jnp.sum(outputs)

        return np.asarray(jax.grad(total)(jnp.asarray(x)))
    raise ValueError(f"input_gradients supports the tensorflow and jax backends. "
                     f"Received: backend={backend!r}")


def gradient_by_lag(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Mean over samples of ``||d output_T / d x_{T-k}||`` for k = 1 … MAX_LAG (index k - 1)."""
    grads = input_gradients(model, x)  # (samples, timesteps, features)
    norms = np.linalg.norm(grads, axis=-1).mean(axis=0)  # (timesteps,)
    return norms[::-1][1:MAX_LAG + 1]  # lag 0 is step T itself


# The check: output = sum of w * x over a (3, 2) input, so d output / d x = w, whatever x is.
linear_inputs = keras.Input(shape=(3, 2))
linear_dense = keras.layers.Dense(1, use_bias=False, name="dense")
linear = keras.Model(linear_inputs, linear_dense(keras.layers.Flatten()(linear_inputs)))
linear_weights = np.arange(6, dtype="float32").reshape(6, 1)
linear_dense.set_weights([linear_weights])
x_check = np.random.default_rng(0).normal(size=(4, 3, 2)).astype("float32")
grads_check = input_gradients(linear, x_check)
check_error = float(np.abs(grads_check - linear_weights.reshape(1, 3, 2)).max())
print(f"input_gradients of a linear model on x{x_check.shape}: shape {grads_check.shape}, "
      f"sample 0 = {grads_check[0].tolist()}; max |gradient - weight| = {check_error:.1e}")

# %% [markdown]
# ## Train
#
# ### Truncated BPTT with a stateful LSTM
#
# The gradient reaches at most `timesteps` steps back. A **stateful** LSTM still
# carries its state (h, c) from the end of one subsequence to the start of the next,
# so the forward pass sees the whole series. This needs three things. Batches stay in
# order (`shuffle=False`). The batch size is fixed in `keras.Input(batch_shape=...)`.
# The state is cleared with `layer.reset_state()` only when the series starts over
# (each epoch).
#
# Shorter subsequences give more weight updates per epoch (40 for 25 steps, 10 for 100),
# so here they learn faster. Longer ones let the gradient reach further back, which
# matters once a dependency is longer than a subsequence.

# %%
def build_stateful_forecaster(timesteps: int) -> keras.Model:
    # batch_shape fixes the batch at 1: sample 0 of each batch continues sample 0 of the last.
    inputs = keras.Input(batch_shape=(1, timesteps, 1), name="inputs")
    # keras.layers.LSTM(stateful=True) whose state carries on JAX too (lstmbook.models)
    hidden = models.StatefulLSTM(TBPTT_UNITS, return_sequences=True, name="lstm")(inputs)
    outputs = keras.layers.Dense(1, name="next_value")(hidden)  # one forecast per step
    return keras.Model(inputs, outputs, name=f"stateful_lstm_{timesteps}")


tbptt_models, tbptt_losses = {}, {}
for offset, timesteps in enumerate(TBPTT_TIMESTEPS):
    X, y = tbptt_data[timesteps]
    keras.utils.set_random_seed(SEED + 30 + offset)
    model = build_stateful_forecaster(timesteps)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")
    layer = model.get_layer("lstm")
    # A new epoch starts the series over, so its state starts from zeros again.
    reset = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs, layer=layer: layer.reset_state())
    history = model.fit(X, y, epochs=TBPTT_EPOCHS, batch_size=1, shuffle=False, verbose=VERBOSE,
                        callbacks=[reset, *CALLBACKS])
    tbptt_models[timesteps], tbptt_losses[timesteps] = model, history.history["loss"]
    print(f"timesteps={timesteps:3d}: {len(X)} updates per epoch; training MSE by epoch "
          f"{np.round(history.history['loss'], 4).tolist()}")

# %% [markdown]
# ### The adding problem: LSTM vs SimpleRNN, same budget
#
# Both models get the same data, optimiser, clipping, epochs and seed.

# %%
adding_models, curves = {}, {}
for kind in ("lstm", "rnn"):
    keras.utils.set_random_seed(SEED + 50)
    model = build_recurrent_regressor(kind)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE, clipnorm=CLIPNORM), loss="mse",
                  steps_per_execution=STEPS_PER_EXECUTION)
    history = model.fit(X_train, y_train, epochs=ADDING_EPOCHS, batch_size=BATCH_SIZE,
                        validation_data=(X_test, y_test), validation_batch_size=EVAL_BATCH_SIZE,
                        verbose=VERBOSE, callbacks=CALLBACKS)
    adding_models[kind], curves[kind] = model, history.history
    for epoch, (loss, val_loss) in enumerate(zip(history.history["loss"], history.history["val_loss"],
                                                 strict=True), 1):
        print(f"{model.name} epoch {epoch}: training MSE {loss:.4f}, held-out MSE {val_loss:.4f}")

# %% [markdown]
# ## Evaluate
#
# ### Truncated BPTT: next-step error over the whole series
#
# Predicting in order, with the state carried from one subsequence to the next (and
# `batch_size=1`, the batch the model was built for). All lengths end near the
# series' noise floor, SERIES_NOISE² = 0.0025.

# %%
tbptt_metrics = {}
for timesteps, model in tbptt_models.items():
    X, y = tbptt_data[timesteps]
    model.get_layer("lstm").reset_state()
    predictions = model.predict(X, batch_size=1, verbose=VERBOSE)  # in order, state carried
    tbptt_metrics[f"tbptt_{timesteps}_mse"] = float(np.mean((predictions - y) ** 2))
    print(f"timesteps={timesteps:3d}: X{X.shape}, y{y.shape}; next-step MSE over the series "
          f"{tbptt_metrics[f'tbptt_{timesteps}_mse']:.4f} (noise floor {SERIES_NOISE ** 2:.4f})")

fig, (ax_series, ax_loss) = plt.subplots(2, 1, figsize=(10, 7), num="tbptt")
chunks = prep.tbptt_split(series[:-1], PLOTTED_TIMESTEPS)[..., 0]
for k, chunk in enumerate(chunks):
    ax_series.plot(np.arange(k * PLOTTED_TIMESTEPS, (k + 1) * PLOTTED_TIMESTEPS), chunk,
                   color="tab:blue" if k % 2 == 0 else "tab:orange")
ax_series.set(title=f"{SERIES_LENGTH}-step series cut into {len(chunks)} subsequences of {PLOTTED_TIMESTEPS} "
                    "(the state flows across the cuts, the gradient does not)", xlabel="step")
for timesteps, curve in tbptt_losses.items():
    ax_loss.plot(np.arange(1, len(curve) + 1), curve, marker="o", label=f"timesteps={timesteps}")
ax_loss.axhline(SERIES_NOISE ** 2, color="black", linestyle=":", label="noise floor")
ax_loss.set(yscale="log", xlabel="epoch", ylabel="training MSE", title="Stateful LSTM trained by TBPTT")
ax_loss.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ### The adding problem on held-out sequences

# %%
adding_metrics = {"mean_predictor_mse": mean_predictor_mse}
for kind, model in adding_models.items():
    adding_metrics[f"{kind}_adding_mse"] = float(model.evaluate(X_test, y_test, batch_size=EVAL_BATCH_SIZE,
                                                                verbose=VERBOSE))
    print(f"{model.name}: held-out MSE {adding_metrics[f'{kind}_adding_mse']:.4f} "
          f"after {ADDING_EPOCHS} epochs")
print(f"always predicting the mean: MSE {mean_predictor_mse:.4f}")

fig, ax = plt.subplots(figsize=(8, 5), num="adding_learning_curves")
for kind, label, color in (("lstm", f"LSTM({UNITS})", "tab:green"),
                           ("rnn", f"SimpleRNN({UNITS})", "tab:red")):
    epochs_seen = np.arange(1, len(curves[kind]["loss"]) + 1)
    ax.plot(epochs_seen, curves[kind]["loss"], color=color, linestyle="--", label=f"{label} train")
    ax.plot(epochs_seen, curves[kind]["val_loss"], color=color, marker="o", label=f"{label} held out")
ax.axhline(mean_predictor_mse, color="black", linestyle=":",
           label=f"predict the mean ({mean_predictor_mse:.3f})")
ax.axhline(ADDING_TARGET, color="tab:green", linestyle=":", label=f"target {ADDING_TARGET:g}")
ax.set_xticks(np.arange(1, len(curves["lstm"]["loss"]) + 1))
ax.set(yscale="log", xlabel="epoch", ylabel="MSE",
       title=f"The adding problem, T = {ADDING_TIMESTEPS} (Hochreiter & Schmidhuber 1997)")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ### The gradients, at initialisation and after training
#
# At initialisation the LSTM is no better at remembering than the SimpleRNN; it is
# worse. Its forget gates sit near sigmoid(1) ≈ 0.73, and 0.73^k vanishes fast. The
# SimpleRNN's orthogonal recurrent weights keep its gradient alive for a while on these
# small inputs. The carousel is something the LSTM can *learn* to use. The third curve
# shows what happens when the forget gate is open: the gradient hardly decays over 100
# steps. Trained on the adding problem, the LSTM has learned to hold that path open,
# and its gradient stays flat across all 100 lags. The SimpleRNN has no gate to open.
# Training makes its gradient vanish geometrically, down to exact zeros in float32,
# and it never learns the task.

# %%
at_init = {label: gradient_by_lag(model, x_grad) for label, model in init_models.items()}
for label, curve in at_init.items():
    print(f"at init, {label:38s} |grad| at lag 1: {curve[0]:.2e}, lag {MAX_LAG}: {curve[-1]:.2e}")
trained = {"SimpleRNN (trained)": gradient_by_lag(adding_models["rnn"], x_grad),
           "LSTM (trained)": gradient_by_lag(adding_models["lstm"], x_grad)}
for label, curve in trained.items():
    print(f"{label:47s} |grad| at lag 1: {curve[0]:.2e}, lag {MAX_LAG}: {curve[-1]:.2e}")

lags = np.arange(1, MAX_LAG + 1)
fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True, num="gradient_vs_lag")
colors = ["tab:red", "tab:green", "tab:blue"]
for ax, curves_shown, title in ((axes[0], at_init, "At initialisation"),
                                (axes[1], trained,
                                 f"After training on the adding problem (T = {ADDING_TIMESTEPS})")):
    for (label, curve), color in zip(curves_shown.items(), colors, strict=False):
        ax.plot(lags, np.maximum(curve, GRADIENT_FLOOR), label=label, color=color)
        if (curve < GRADIENT_FLOOR).any():
            ax.text(MAX_LAG, GRADIENT_FLOOR * 10, f"{label}: exact zeros (float32 underflow) "
                    f"drawn at {GRADIENT_FLOOR:g}", ha="right", fontsize=8, color=color)
    ax.set(yscale="log", xlabel="lag k (steps back from the output)", title=title)
    ax.legend()
axes[1].axvline(ADDING_TIMESTEPS, color="gray", linestyle=":")
axes[0].set_ylabel("mean ||d output_T / d x_(T-k)||")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the targets, writes `metrics.json`, and stops a full run that missed
# one (a non-zero exit from the command line, an error in a notebook).

# %%
init_rnn, init_lstm, init_open = at_init.values()
record = run.finish(
    {
        **adding_metrics,
        **tbptt_metrics,
        f"rnn_init_grad_lag{MAX_LAG}": float(init_rnn[-1]),
        f"lstm_init_grad_lag{MAX_LAG}": float(init_lstm[-1]),
        f"lstm_open_init_grad_lag{MAX_LAG}": float(init_open[-1]),
        f"rnn_trained_grad_lag{MAX_LAG}": float(trained["SimpleRNN (trained)"][-1]),
        f"lstm_trained_grad_lag{MAX_LAG}": float(trained["LSTM (trained)"][-1]),
    },
    input_gradients_check={"shape": list(grads_check.shape), "max_abs_error": check_error},
)

# %% [markdown]
# ## How this differs from the book
#
# The book's chapter is prose; we turn each of its claims into a measurement. The gradient
# figure is ours: the backend's autodiff gives `d output_T / d x_(T-k)` directly, so the
# vanishing gradient is watched, not argued. The adding problem is an experiment of
# Hochreiter & Schmidhuber (1997), here with T = 50, Adam and gradient clipping. The paper
# puts both marks in the first half, where LSTM(64) can sit on the 1/6 plateau for more
# than 12 epochs; here the second mark is in the third quarter. Keras has no
# switch for truncated BPTT (its recurrent layers backpropagate through the whole input), so
# TBPTT here is the series cut into subsequences with `prep.tbptt_split` and a stateful LSTM
# that carries its state across the cuts (`models.StatefulLSTM`: Keras's own stateful
# LSTM drops its state between batches on JAX, see `docs/STATEFUL.md`).

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
tbptt_text = ", ".join(f"{tbptt_metrics[f'tbptt_{timesteps}_mse']:.4f} ({timesteps}-step subsequences)"
                       for timesteps in TBPTT_TIMESTEPS)
print(f"""\
- At initialisation, the gradient {MAX_LAG} steps back is {init_rnn[-1]:.1e} for the SimpleRNN,
  {init_lstm[-1]:.1e} for the LSTM with Keras's forget-gate bias 1, and {init_open[-1]:.1e} with the gate held open.
- After training on the adding problem, it is {trained['LSTM (trained)'][-1]:.1e} for the LSTM and
  {trained['SimpleRNN (trained)'][-1]:.1e} for the SimpleRNN.
- Truncated BPTT: a stateful LSTM's next-step MSE over the {SERIES_LENGTH:,}-step series is {tbptt_text};
  the noise floor is {SERIES_NOISE ** 2:.4f}.
- The adding problem (T = {ADDING_TIMESTEPS}): held-out MSE {adding_metrics['lstm_adding_mse']:.4f} for LSTM({UNITS}),
  {adding_metrics['rnn_adding_mse']:.4f} for SimpleRNN({UNITS}), {mean_predictor_mse:.4f} for always predicting the mean.""")

# %% [markdown]
# ## Further reading
#
# - Paul J. Werbos,
#   [Backpropagation Through Time: What It Does and How to Do It](https://doi.org/10.1109/5.58337),
#   Proceedings of the IEEE 78(10), 1990.
# - Ronald J. Williams and Jing Peng,
#   [An Efficient Gradient-Based Algorithm for On-Line Training of Recurrent Network Trajectories](https://doi.org/10.1162/neco.1990.2.4.490),
#   Neural Computation 2(4), 1990: truncated BPTT.
# - Yoshua Bengio, Patrice Simard and Paolo Frasconi,
#   [Learning Long-Term Dependencies with Gradient Descent is Difficult](https://doi.org/10.1109/72.279181),
#   IEEE Transactions on Neural Networks 5(2), 1994.
# - Razvan Pascanu, Tomas Mikolov and Yoshua Bengio,
#   [On the Difficulty of Training Recurrent Neural Networks](https://arxiv.org/abs/1211.5063),
#   ICML 2013: vanishing and exploding gradients, and gradient norm clipping.
# - Sepp Hochreiter and Jürgen Schmidhuber,
#   [Long Short-Term Memory](https://doi.org/10.1162/neco.1997.9.8.1735),
#   Neural Computation 9(8), 1997: the constant error carousel and the adding problem.
# - Keras API: [`SimpleRNN`](https://keras.io/api/layers/recurrent_layers/simple_rnn/),
#   [`LSTM`](https://keras.io/api/layers/recurrent_layers/lstm/) (`stateful=True`),
#   [`LambdaCallback`](https://keras.io/api/callbacks/lambda_callback/),
#   [`Adam`](https://keras.io/api/optimizers/adam/) (`clipnorm`),
#   [`Model.fit` and `Model.predict`](https://keras.io/api/models/model_training_apis/).

# %% [markdown]
# ## Extensions
#
# - Make the adding problem longer (T = 100, then 200). Does LSTM(64) still reach an MSE of
#   0.01 in 5 epochs, and what happens to its gradient curve?
# - Start the adding problem's LSTM with its forget gate open (`cell.set_forget_bias`, bias 5).
#   Does it learn in fewer epochs than with Keras's bias 1?
# - Give the TBPTT series a dependency longer than a subsequence (a period of 200 steps, say).
#   Which subsequence length, 25 or 100, learns it?
# - Train both adding-problem models without `clipnorm`. Does either loss jump, and which?
# - Add a `keras.layers.GRU` to `build_recurrent_regressor`. Where does its gradient curve lie,
#   at initialisation and after training?
