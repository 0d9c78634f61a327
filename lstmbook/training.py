"""Fit, predict, generate and walk-forward helpers for small LSTMs (Chapters 8, 11 to 14).

Keras 3 removed ``Sequential.predict_classes`` and ``predict_proba``; ``predict_classes``
and ``predict_proba`` are their replacements, for softmax and sigmoid outputs alike.

The book's diagnostic and updating experiments train tiny models on tiny data for
hundreds of epochs. ``model.fit(x, y, epochs=1200)`` spends almost all of that time
building a fresh data iterator for every epoch, not training. ``fit_epochs`` runs
*exactly the same* gradient steps (same batches, same order, no shuffling) from one
stream of batches, so Keras builds one iterator and runs a whole epoch per call of its
compiled train function; on the book's 5-sample problem it is one to two orders of
magnitude faster, and its tests check that the weights it reaches are those that
``model.fit`` reaches.

``generate_closed_loop`` runs a trained one-step model as a generator: each output is
fed back in as the next input, for a whole batch of sequences at once.

``walk_forward_validation`` makes one-step forecasts over a test period, optionally
updating the model after each new observation with one of the Chapter 14 strategies
(``refit_update``); `walk_forward_repeats` repeats that experiment once per seed,
as one vectorised ensemble.

``Ensemble`` trains several copies of one small model as one packed model, and
``SideBySide`` several different models in one graph, each member exactly as it would
train alone.

Introduced in Chapters 8 (``StepSync``), 10 (``SideBySide``), 11 (``generate_closed_loop``),
12 (``fit_epochs``, ``Ensemble``), 13 (``predict_classes``, ``predict_proba``) and 14
(``walk_forward_validation``, ``walk_forward_repeats``, ``refit_update``).
"""

from __future__ import annotations

import math

import keras
import numpy as np

from lstmbook import _checks, models
from lstmbook._checks import check_int as _check_int

__all__ = [
    "ResetStatesCallback",
    "StepSync",
    "fit_epochs",
    "evaluate_loss",
    "predict_proba",
    "predict_classes",
    "classes_from_proba",
    "output_activation",
    "generate_closed_loop",
    "walk_forward_validation",
    "walk_forward_repeats",
    "refit_update",
    "Ensemble",
    "SideBySide",
]

#: Above this many bytes, :func:`fit_epochs` streams batches lazily instead of tiling the arrays.
TILE_LIMIT_BYTES = 64 * 2**20

#: ``fit_epochs(steps_per_execution="auto")`` runs whole epochs per call from this many epochs on.
AUTO_EPOCH_EXECUTION = 30

#: Keras's own default ``batch_size`` in ``fit``.
KERAS_DEFAULT_BATCH_SIZE = 32

#: The most epochs :func:`fit_epochs` trains for: 800 times the book's longest run (1,250).
#: More is a slip (``epochs=10**15`` would run for ever), refused at once.
MAX_EPOCHS = 1_000_000


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


_check_model = _checks.check_model


def _check_compiled(model, name: str = "model"):
    if not getattr(_check_model(model, name), "compiled", False):
        raise ValueError(f"{name} must be compiled before training. Call model.compile(...) first. "
                         f"Received: {name} {model.name!r}, not compiled")
    return model


#: Losses that read probabilities unless told ``from_logits=True``, and the activation each needs.
_PROBABILITY_LOSSES = {"categorical_crossentropy": "softmax", "sparse_categorical_crossentropy": "softmax",
                       "binary_crossentropy": "sigmoid", "categorical_focal_crossentropy": "softmax",
                       "binary_focal_crossentropy": "sigmoid"}


def _check_loss_fits_output(model) -> None:
    """A ValueError before training when a cross-entropy loss reads a linear output as probabilities.

    ``build_stacked_lstm((100, 6), 4)`` compiled with categorical cross-entropy trains its
    linear output as if it were a softmax: no error, a loss that wanders, a poor classifier.
    """
    loss = model.loss
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    name = loss if isinstance(loss, str) else getattr(getattr(loss, "fn", None), "__name__", None)
    needed = _PROBABILITY_LOSSES.get(name)
    if needed is None or config.get("from_logits") or not getattr(model, "outputs", None) \
            or len(model.outputs) != 1:
        return
    found = output_activation(model)
    if found == "linear":
        raise ValueError(f"model {model.name!r} has a linear output, but its loss {name!r} reads {needed} "
                         f"probabilities: build it with output_activation={needed!r}, or compile the loss "
                         f"with from_logits=True. Received: loss={name!r}, output activation 'linear'")


def _as_array(data, name: str) -> np.ndarray:
    """Samples for Keras: real numbers (bools as 0/1 labels), finite, at least one row; dtype kept."""
    array = _checks.as_numbers(data, name, allow_bool=True, keep_dtype=True)
    if array.ndim < 1:
        raise _checks.bad(name, data, "an array of samples, not one number")
    return array


def _input_shape(model) -> tuple | None:
    """A single-input functional model's input shape, batch axis included; None for other models."""
    inputs = getattr(model, "inputs", None)
    return tuple(inputs[0].shape) if inputs and len(inputs) == 1 else None


def _fixed_batch_size(model) -> int | None:
    """The batch size a model was built with (``keras.Input(batch_shape=...)``), or None."""
    shape = _input_shape(model)
    return shape[0] if shape else None


def _same_shape(expected: tuple, received: tuple) -> bool:
    """Whether ``received`` fits ``expected``, where a None in ``expected`` matches any size."""
    return len(expected) == len(received) and all(
        e is None or e == r for e, r in zip(expected, received, strict=True))


def _check_model_input(model, x, name: str = "x") -> None:
    """``x``'s shape after the first axis must match a single-input model's input shape."""
    model_shape = _input_shape(model)
    if model_shape is None:
        return  # subclassed or multi-input models: leave it to Keras
    expected = model_shape[1:]
    received = x.shape[1:]
    if len(received) == len(expected) - 1 and expected[-1] == 1:
        expected = expected[:-1]  # Keras adds a last axis of 1: (n, T) for Input((T, 1)) is fine
    if not _same_shape(expected, received):
        shape = ", ".join(str(e) for e in model_shape[1:])
        raise ValueError(f"{name} must have shape (samples, {shape}) for "
                         f"model {model.name!r}. Received: {name} with shape {x.shape}")


def _check_targets_fit(model, y, name: str = "y") -> None:
    """A single-output model's targets must be able to match its output's shape.

    ``(n,)`` or ``(n, 1)`` targets fit any ``(samples, units)`` output (class labels for a
    sparse loss, or one value); otherwise the axes after the first must equal the output's,
    or all but its last (a class label per step). A sequence output ``(samples, steps, 1)``
    refuses ``(n, 1)`` targets, which Keras would broadcast over every step.
    """
    outputs = getattr(model, "outputs", None)
    if isinstance(y, list) or not outputs or len(outputs) != 1:
        return  # multi-output or subclassed models: leave it to Keras
    expected = tuple(outputs[0].shape)[1:]
    received = y.shape[1:]
    if len(expected) == 1 and received in ((), (1,)):  # class labels for a sparse loss, or one value
        return
    per_step = len(received) == len(expected) - 1  # a class label per step
    if not _same_shape(expected[:-1] if per_step else expected, received):
        shape = ", ".join(str(e) for e in expected)
        raise ValueError(f"{name} cannot match the output of model {model.name!r}, (samples, {shape}). "
                         f"Received: {name} with shape {y.shape}")


def _as_targets(y, n: int, name: str = "y", model=None):
    """``y`` as an array, or a list of arrays for a multi-output model, each with ``n`` rows.

    For a model with one output, a list is the rows of one array (``[[0.0, 1.0], ...]``).
    """
    if isinstance(y, (list, tuple)) and len(getattr(model, "outputs", None) or ()) == 1:
        y = _as_array(y, name)
    if isinstance(y, (list, tuple)):
        arrays = [_as_array(part, f"{name}[{i}]") for i, part in enumerate(y)]
    else:
        arrays = [_as_array(y, name)]
    for i, array in enumerate(arrays):
        if array.shape[0] != n:
            label = name if len(arrays) == 1 and not isinstance(y, (list, tuple)) else f"{name}[{i}]"
            raise ValueError(f"{label} must have as many rows as x ({n}). "
                             f"Received: {label} with shape {array.shape}")
    return arrays if isinstance(y, (list, tuple)) else arrays[0]


def _takes(fn, n: int) -> bool:
    """Whether ``fn`` can be called with ``n`` positional arguments (True when unknowable)."""
    import inspect

    try:
        inspect.signature(fn).bind(*range(n))
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins)
        return True
    return True


def _check_verbose(verbose) -> None:
    """What Keras's ``fit``/``predict`` take: ``"auto"``, 0, 1 or 2."""
    _checks.check_choice(verbose, "verbose", ("auto", 0, 1, 2))


def _sublayers(layer, seen=None) -> list:
    """Every layer inside ``layer``: through nested models and wrappers (TimeDistributed, Bidirectional)."""
    seen = set() if seen is None else seen
    found = []
    children = list(getattr(layer, "layers", None) or [])
    children += [getattr(layer, name, None) for name in ("layer", "forward_layer", "backward_layer")]
    for child in children:
        if isinstance(child, keras.layers.Layer) and child is not layer and id(child) not in seen:
            seen.add(id(child))
            found += [child, *_sublayers(child, seen)]
    return found


def _stateful_layers(model) -> list:
    """The model's stateful layers; on JAX, a ValueError for one whose state would not carry."""
    layers = [layer for layer in _sublayers(model)
              if getattr(layer, "stateful", False) and hasattr(layer, "reset_state")]
    if layers and keras.backend.backend() == "jax":
        # JAX's compiled steps thread only the variables Keras tracks; Keras 3.15's RNN
        # leaves its state variables untracked, so fit and predict would drop the state.
        tracked = {id(v) for v in model.non_trainable_variables}
        for layer in layers:
            if any(id(state) not in tracked for state in getattr(layer, "states", None) or ()):
                raise ValueError(f"model {model.name!r} has a stateful layer {layer.name!r} whose state "
                                 f"Keras drops between batches on JAX; build it with "
                                 f"lstmbook.models.StatefulLSTM. Received: a {type(layer).__name__}")
    return layers


# ---------------------------------------------------------------------------------------------
# Fast, exact epochs for tiny data
# ---------------------------------------------------------------------------------------------


class ResetStatesCallback(keras.callbacks.Callback):
    """Reset every stateful layer's state at the start of each epoch.

    The book trains a stateful LSTM with a Python loop of ``fit(epochs=1)`` and
    ``reset_states()`` calls; this callback does the same inside one ``fit(epochs=N,
    shuffle=False)`` call. It also resets once more when training ends, so that the
    model leaves ``fit`` with a clean state, as the book's loop does.

    Introduced in Chapter 14.
    """

    def on_epoch_begin(self, epoch, logs=None):
        for layer in _stateful_layers(self.model):
            layer.reset_state()

    def on_train_end(self, logs=None):
        for layer in _stateful_layers(self.model):
            layer.reset_state()


class StepSync(keras.callbacks.Callback):
    """Make ``fit`` wait for each training step to finish before it queues the next one.

    JAX runs work asynchronously: ``fit`` hands a step to JAX and goes on to fetch the
    next batch at once. When no callback reads the logs, nothing makes it wait, so when
    batches are made faster than they are trained on, steps pile up in JAX's queue, each
    holding its batch. In Chapter 8 (16 MB batches of video, made in 7 ms, trained in
    0.3 s) that queue held about 35 batches: 0.6 GB more memory at the peak.

    A callback that reads the logs after each batch makes Keras wait for that batch's
    step (Keras 3 hands such a callback the logs as plain numbers, which means waiting).
    This one does only that. With TensorFlow, whose ``fit`` loop already waits for each
    step, it changes nothing.

    Introduced in Chapter 8.
    """

    def on_train_batch_end(self, batch, logs=None):
        if logs:  # reading a value waits for the step that computes it
            keras.ops.convert_to_numpy(next(iter(logs.values())))


class EpochStream(keras.utils.PyDataset):
    """The batches of ``epochs`` passes over ``(x, y)``, end to end, in order.

    Batch ``i`` is batch ``i % steps_per_epoch`` of one unshuffled epoch, so the last batch
    of each epoch is short when ``batch_size`` does not divide the number of samples,
    exactly as in ``model.fit(..., shuffle=False)``. Nothing is copied.
    ``fit_epochs`` uses it when ``batch_size`` does not divide the samples.

    Introduced in Chapter 12.

    Args:
        x: inputs, ``(samples, ...)``.
        y: targets, ``(samples, ...)``, or a list of them for a multi-output model.
        batch_size: samples per batch.
        epochs: how many passes the stream holds.

    Examples:
        >>> stream = EpochStream(np.zeros((5, 1, 1)), np.zeros(5), batch_size=2, epochs=3)
        >>> len(stream), stream[2][0].shape, stream[3][0].shape
        (9, (1, 1, 1), (2, 1, 1))
    """

    def __init__(self, x, y, batch_size: int, epochs: int):
        super().__init__()
        self.x = _as_array(x, "x")
        self.y = _as_targets(y, len(self.x))
        self.batch_size = _check_int(batch_size, "batch_size")
        self.epochs = _check_int(epochs, "epochs")
        self.steps_per_epoch = math.ceil(len(self.x) / self.batch_size)

    def __len__(self) -> int:
        return self.steps_per_epoch * self.epochs

    def __getitem__(self, index):
        if not _checks.is_int(index):
            raise TypeError(f"index must be an int. Received: index={index!r}")
        if not 0 <= index < len(self):
            raise IndexError(f"index must be in [0, {len(self)}). Received: index={index}")
        start = (index % self.steps_per_epoch) * self.batch_size
        rows = slice(start, start + self.batch_size)
        y = [part[rows] for part in self.y] if isinstance(self.y, list) else self.y[rows]
        return self.x[rows], y


def evaluate_loss(model, x, y, *, batch_size: int = 1024) -> dict:
    """The compiled loss (and metrics) on ``(x, y)``, without building a data iterator.

    The same numbers as ``model.evaluate(x, y, return_dict=True)``, computed with
    ``test_on_batch`` on batches of ``batch_size``; the book's data sets are a handful of
    samples, where ``evaluate``'s set-up costs more than the evaluation.

    Introduced in Chapter 12.

    Args:
        model: a compiled ``keras.Model``.
        x: inputs ``(samples, ...)``.
        y: targets ``(samples, ...)`` or a list of arrays for a multi-output model.
        batch_size: samples per ``test_on_batch`` call.

    Returns:
        ``{"loss": float, ...}`` averaged over the samples.
    """
    _check_compiled(model)
    x = _as_array(x, "x")
    _check_model_input(model, x)
    y = _as_targets(y, len(x), model=model)
    _check_targets_fit(model, y)
    batch_size = _check_int(batch_size, "batch_size")
    totals, n = {}, len(x)
    for start in range(0, n, batch_size):
        rows = slice(start, start + batch_size)
        part = [a[rows] for a in y] if isinstance(y, list) else y[rows]
        result = model.test_on_batch(x[rows], part, return_dict=True)
        weight = len(x[rows]) / n  # the losses are means, so batches weigh by their size
        for key, value in result.items():
            totals[key] = totals.get(key, 0.0) + weight * float(value)
    return totals


class _SmallValidation(keras.callbacks.Callback):
    """Validation loss every ``every`` epochs with ``test_on_batch`` (no new iterator per epoch)."""

    def __init__(self, x, y, every: int, batch_size: int):
        super().__init__()
        self.x, self.y, self.every, self.batch_size = x, y, every, batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or (epoch + 1) % self.every:
            return
        for key, value in evaluate_loss(self.model, self.x, self.y, batch_size=self.batch_size).items():
            logs[f"val_{key}"] = value


def _steps_per_call(model, steps_per_execution, steps_per_epoch: int, epochs: int) -> int:
    if steps_per_execution == "epoch":
        return steps_per_epoch
    if steps_per_execution == "auto":
        current = model.steps_per_execution
        if epochs < AUTO_EPOCH_EXECUTION and steps_per_epoch % current == 0:
            return current  # keep the compiled function: a retrace would cost more than it saves
        if epochs < AUTO_EPOCH_EXECUTION:
            return 1
        return steps_per_epoch
    per_call = _check_int(steps_per_execution, "steps_per_execution")
    if steps_per_epoch % per_call:
        raise ValueError(f"steps_per_execution must divide the {steps_per_epoch} steps of an epoch. "
                         f"Received: steps_per_execution={per_call}")
    return per_call


def fit_epochs(model, x, y, *, epochs: int, batch_size: int | None = None, validation_data=None,
               validation_every: int = 1, reset_state: bool = False, callbacks=None,
               steps_per_execution="auto", verbose=0) -> dict:
    """Train for ``epochs`` epochs, as ``model.fit(..., shuffle=False)`` would, but fast on tiny data.

    The gradient steps are those of ``model.fit(x, y, epochs=epochs, batch_size=batch_size,
    shuffle=False)``: the same batches in the same order. What changes is the bookkeeping:
    all epochs come from one stream of batches (``steps_per_epoch`` set, so Keras builds
    one data iterator for the whole run instead of one per epoch), a whole epoch runs per
    call of the compiled train function (``steps_per_execution``), and the validation loss
    is computed with ``test_on_batch`` instead of a fresh ``evaluate`` per epoch.

    Introduced in Chapter 12.

    Args:
        model: a compiled ``keras.Model``. Its ``steps_per_execution`` is changed as
            ``steps_per_execution`` says, and stays so after the call.
        x: inputs, ``(samples, timesteps, features)`` for an LSTM.
        y: targets, ``(samples, ...)``, or a list of arrays for a multi-output model.
        epochs: number of passes over the data.
        batch_size: samples per gradient step; ``None`` means Keras's default, 32.
        validation_data: ``(x_val, y_val)`` or ``None``. Not allowed with a stateful model,
            whose state a validation pass would disturb.
        validation_every: compute the validation loss every this many epochs (like
            ``validation_freq``); the history holds it only on those epochs.
        reset_state: reset the state of every stateful layer at the start of each epoch
            (``ResetStatesCallback``), as the book's stateful training loop does.
        callbacks: more Keras callbacks (e.g. ``run.callbacks("fit")``).
        steps_per_execution: steps per call of the compiled train function: ``"epoch"``
            (a whole epoch), an int that divides the steps of an epoch (an execution must
            not run on into the next epoch, past a state reset), or ``"auto"``: a whole
            epoch, except for short runs (fewer than ``AUTO_EPOCH_EXECUTION`` epochs)
            of a model whose train function was compiled for another epoch length, which
            keep one step per call. Changing it makes Keras retrace the train function,
            which costs as much as a few hundred small steps; Chapter 14's updates refit
            on a sample more each month, so a whole-epoch execution would retrace each time.
        verbose: passed to ``fit``.

    Returns:
        A history dict: ``"epoch"`` (1-based epoch numbers), ``"loss"`` (one value per epoch,
        the mean over that epoch's batches, as ``fit`` reports it) and, with validation data,
        ``"val_epoch"`` and ``"val_loss"`` (one value per validated epoch). For a multi-output
        model, the per-output losses too.

    Examples:
        >>> inputs = keras.Input(shape=(1, 1))
        >>> model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))
        >>> model.compile(loss="mse", optimizer="sgd")
        >>> history = fit_epochs(model, np.zeros((5, 1, 1)), np.zeros(5), epochs=3)
        >>> history["epoch"], len(history["loss"])
        ([1, 2, 3], 3)
    """
    _check_compiled(model)
    _check_loss_fits_output(model)
    x = _as_array(x, "x")
    _check_model_input(model, x)
    y = _as_targets(y, len(x), model=model)
    _check_targets_fit(model, y)
    epochs = _check_int(epochs, "epochs", maximum=MAX_EPOCHS)
    validation_every = _check_int(validation_every, "validation_every")
    fixed = _fixed_batch_size(model)
    if batch_size is None:
        batch_size = fixed or KERAS_DEFAULT_BATCH_SIZE
    batch_size = _check_int(batch_size, "batch_size")
    if fixed and (batch_size != fixed or len(x) % fixed):
        raise ValueError(f"batch_size must be {fixed}, the batch size model {model.name!r} was built "
                         f"with (a stateful model), and must divide the {len(x)} samples. "
                         f"Received: batch_size={batch_size}")
    batch_size = min(batch_size, len(x))
    reset_state = _checks.check_bool(reset_state, "reset_state")
    if callbacks is not None and (not isinstance(callbacks, (list, tuple)) or not all(
            isinstance(c, keras.callbacks.Callback) for c in callbacks)):
        raise TypeError(f"callbacks must be a list of keras callbacks. Received: callbacks={callbacks!r}")
    _check_verbose(verbose)
    stateful = bool(_stateful_layers(model))
    if reset_state and not stateful:
        raise ValueError(f"reset_state=True needs a model with a stateful layer. "
                         f"Received: model {model.name!r} without one")
    extra = list(callbacks or [])
    if validation_data is not None:
        if stateful:
            raise ValueError("validation_data is not supported for a stateful model: a validation "
                             "pass would change its state. Received: validation_data with a stateful model")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise _checks.bad("validation_data", validation_data, "(x_val, y_val)")
        x_val = _as_array(validation_data[0], "validation_data[0]")
        _check_model_input(model, x_val, "validation_data[0]")
        y_val = _as_targets(validation_data[1], len(x_val), "validation_data[1]", model)
        _check_targets_fit(model, y_val, "validation_data[1]")
        extra.append(_SmallValidation(x_val, y_val, validation_every, max(batch_size, 1024)))
    if reset_state:
        extra.insert(0, ResetStatesCallback())

    steps_per_epoch = math.ceil(len(x) / batch_size)
    per_call = _steps_per_call(model, steps_per_execution, steps_per_epoch, epochs)
    if model.steps_per_execution != per_call:
        # Setting the attribute is how ``compile(steps_per_execution=...)`` stores it; the
        # compiled functions are dropped so that Keras rebuilds them with the new value.
        model.steps_per_execution = per_call
        model.train_function = model.test_function = model.predict_function = None
    targets_nbytes = sum(a.nbytes for a in (y if isinstance(y, list) else [y]))
    if len(x) % batch_size == 0 and (x.nbytes + targets_nbytes) * epochs <= TILE_LIMIT_BYTES:
        # Whole batches: the stream is the arrays repeated, which Keras slices fastest.
        def tile(a):
            return np.concatenate([a] * epochs, axis=0)
        data = {"x": tile(x), "y": [tile(a) for a in y] if isinstance(y, list) else tile(y),
                "batch_size": batch_size}
    else:
        data = {"x": EpochStream(x, y, batch_size, epochs)}
    fitted = model.fit(**data, epochs=epochs, steps_per_epoch=steps_per_epoch, shuffle=False,
                       callbacks=extra, verbose=verbose)
    history = {"epoch": [e + 1 for e in fitted.epoch]}
    for key, values in fitted.history.items():
        if key.startswith("val_"):
            continue
        history[key] = [float(v) for v in values]
    if validation_data is not None:
        history["val_epoch"] = [e for e in history["epoch"] if e % validation_every == 0]
        for key, values in fitted.history.items():
            if key.startswith("val_"):
                history[key] = [float(v) for v in values]
    return history


# ---------------------------------------------------------------------------------------------
# Class predictions: the replacements for Sequential.predict_classes / predict_proba
# ---------------------------------------------------------------------------------------------


def output_activation(model) -> str | None:
    """The name of the activation of a model's (single) output layer, or None if unknown.

    Looks through ``TimeDistributed`` and ``Bidirectional`` wrappers. Introduced in Chapter 13.

    Examples:
        >>> inputs = keras.Input(shape=(4,))
        >>> output_activation(keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs)))
        'softmax'
    """
    _check_model(model)
    if not getattr(model, "outputs", None) or len(model.outputs) != 1:
        count = len(getattr(model, "outputs", None) or [])
        if count == 0:
            raise ValueError(f"model must have one output; it has none yet (an empty or unbuilt model). "
                             f"Received: model {model.name!r}")
        raise ValueError(f"model must have one output. Received: model {model.name!r} with "
                         f"{len(model.outputs)} outputs")
    layer = model.layers[-1]  # a functional model lists its layers in order: the output's is last
    while hasattr(layer, "layer") and not hasattr(layer, "activation"):
        layer = layer.layer
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None)
    if name == "linear":
        return "linear"
    return name if name in ("softmax", "sigmoid") else None


def _resolve_activation(model, activation):
    """``activation``, or the model's output activation when None; softmax or sigmoid only."""
    _checks.check_choice(activation, "activation", (None, "softmax", "sigmoid"))
    found = output_activation(model)
    if activation is not None and found not in (None, activation):  # only for an output it can't read
        raise ValueError(f"activation={activation!r} contradicts the model's output layer, whose activation "
                         f"is {found!r}: its outputs are not {activation} probabilities. Received: "
                         f"model {model.name!r}, activation={activation!r}")
    if activation is not None:
        return activation
    if found not in ("softmax", "sigmoid"):
        raise ValueError(
            f"model's output layer must use a softmax or sigmoid activation for class predictions, "
            f"or pass activation='softmax'/'sigmoid'. Received: model {model.name!r} whose output "
            f"activation is {found!r}")
    return found


def predict_proba(model, x, *, activation: str | None = None, batch_size: int | None = None,
                  verbose=0) -> np.ndarray:
    """Class probabilities from a softmax or sigmoid model: ``model.predict``, checked.

    The replacement for Keras 2's ``Sequential.predict_proba``. It returns the model's
    output unchanged, after checking that it is a probability: softmax rows sum to 1,
    sigmoid values lie in [0, 1].

    Introduced in Chapter 13.

    Args:
        model: a ``keras.Model`` whose output layer ends in softmax or sigmoid.
        x: inputs, e.g. ``(samples, timesteps, features)``.
        activation: ``"softmax"``, ``"sigmoid"``, or None to read it from the output layer;
            given, it must agree with the output layer unless that layer's activation is unknown.
        batch_size, verbose: passed to ``model.predict``.

    Returns:
        ``(samples, classes)`` for softmax, ``(samples, 1)`` (or ``(samples, labels)``) for
        sigmoid; sequence outputs keep their time axis, e.g. ``(samples, timesteps, classes)``.
    """
    activation = _resolve_activation(_check_model(model), activation)
    x = _as_array(x, "x")
    _check_model_input(model, x)
    if batch_size is not None:
        _check_int(batch_size, "batch_size")
    _check_verbose(verbose)
    proba = np.asarray(model.predict(x, batch_size=batch_size, verbose=verbose))
    if activation == "softmax":
        sums = proba.sum(axis=-1)
        if proba.shape[-1] < 2 or not np.allclose(sums, 1.0, atol=1e-3):
            raise ValueError(f"model's outputs are not softmax probabilities (rows must sum to 1 over "
                             f"at least 2 classes). Received: outputs of shape {proba.shape}, row sums "
                             f"from {sums.min():.4g} to {sums.max():.4g}")
    elif proba.min() < 0.0 or proba.max() > 1.0:
        raise ValueError(f"model's outputs are not sigmoid probabilities (must lie in [0, 1]). "
                         f"Received: outputs from {proba.min():.4g} to {proba.max():.4g}")
    return proba


def classes_from_proba(proba, activation: str, threshold: float = 0.5) -> np.ndarray:
    """Class labels from probabilities: argmax for softmax, ``p > threshold`` for sigmoid.

    Introduced in Chapter 13.

    Args:
        proba: softmax ``(..., classes)`` probabilities, or sigmoid ``(..., 1)`` /
            ``(..., labels)`` ones; a 1-D sigmoid ``(samples,)`` holds one per sample.
        activation: ``"softmax"`` or ``"sigmoid"``.
        threshold: the sigmoid cut-off; a probability above it is class 1.

    Returns:
        int32 labels: ``(...)`` for softmax and for a single sigmoid unit (its axis is dropped),
        ``(..., labels)`` for several sigmoid units (multi-label), ``(samples,)`` for 1-D sigmoid.

    Examples:
        >>> classes_from_proba(np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]]), "softmax").tolist()
        [1, 0]
        >>> classes_from_proba(np.array([[0.2], [0.9]]), "sigmoid").tolist()
        [0, 1]
    """
    _checks.check_choice(activation, "activation", ("softmax", "sigmoid"))
    threshold = _checks.check_number(threshold, "threshold", 0.0, 1.0, include="neither")
    proba = _as_array(proba, "proba")
    if proba.min() < 0 or proba.max() > 1:
        raise ValueError(f"proba must hold probabilities in [0, 1]. "
                         f"Received: proba from {proba.min():g} to {proba.max():g}")
    if activation == "softmax":
        if proba.ndim == 0 or proba.shape[-1] < 2:
            raise _checks.bad("proba", proba, "softmax probabilities over 2 or more classes on its last axis")
        return np.argmax(_checks.check_rows_set(proba, "proba"), axis=-1).astype("int32")
    labels = (proba > threshold).astype("int32")
    return labels[..., 0] if labels.ndim > 1 and labels.shape[-1] == 1 else labels


def predict_classes(model, x, *, activation: str | None = None, threshold: float = 0.5,
                    batch_size: int | None = None, verbose=0) -> np.ndarray:
    """Class labels from a softmax or sigmoid model: the replacement for ``predict_classes``.

    Keras 3 removed ``Sequential.predict_classes``. The Keras documentation's advice is
    ``np.argmax(model.predict(x), axis=-1)`` for softmax and
    ``(model.predict(x) > 0.5).astype("int32")`` for sigmoid; this function picks the
    right one from the output layer's activation.

    Introduced in Chapter 13.

    Args:
        model: a ``keras.Model`` whose output layer ends in softmax or sigmoid.
        x: inputs, e.g. ``(samples, timesteps, features)``.
        activation: ``"softmax"``, ``"sigmoid"``, or None to read it from the output layer;
            given, it must agree with the output layer unless that layer's activation is unknown.
        threshold: the sigmoid cut-off (default 0.5).
        batch_size, verbose: passed to ``model.predict``.

    Returns:
        int32 labels, ``(samples,)`` (or ``(samples, timesteps)`` for sequence outputs).
    """
    activation = _resolve_activation(_check_model(model), activation)
    proba = predict_proba(model, x, activation=activation, batch_size=batch_size, verbose=verbose)
    return classes_from_proba(proba, activation, threshold)


# ---------------------------------------------------------------------------------------------
# Closed-loop generation (Chapter 11)
# ---------------------------------------------------------------------------------------------


#: The most steps :func:`generate_closed_loop` takes (each is one call of the model).
MAX_CLOSED_LOOP_STEPS = 100_000


def generate_closed_loop(model, starts, n_steps: int) -> np.ndarray:
    """Run a one-step model as a generator: feed each output back in as the next input.

    The model maps one step, ``(batch, 1, features)``, to the next, ``(batch, features)``.
    Step ``k`` feeds the outputs of step ``k - 1`` (the ``starts`` for the first step) back
    in as one-step sequences. Every sequence of the batch advances together, so generating
    ``n_steps`` steps for any number of sequences takes ``n_steps`` calls of
    ``model.predict_on_batch``, not one per sequence and step.

    Introduced in Chapter 11 (drawing rectangles: start from the corner ``[0, 0]``, and each
    predicted corner is the input for the next one).

    Args:
        model: a trained ``keras.Model`` from ``(batch, 1, features)`` (``timesteps`` 1 or
            ``None``) to ``(batch, features)``, e.g. ``lstmbook.models.build_generative_lstm``.
        starts: ``(sequences, features)``, the first input of each sequence.
        n_steps: how many steps to generate after the start, at most ``MAX_CLOSED_LOOP_STEPS``.

    Returns:
        ``(sequences, n_steps, features)`` the generated steps, in order, as float32 (Keras's
        float type); the starts are not included.

    Examples:
        >>> inputs = keras.Input(shape=(1, 2))
        >>> double = keras.Model(inputs, keras.layers.Flatten()(inputs) * 2.0)
        >>> generate_closed_loop(double, np.array([[1.0, 0.5]]), n_steps=3).tolist()
        [[[2.0, 1.0], [4.0, 2.0], [8.0, 4.0]]]
    """
    _check_model(model)
    starts = _as_array(starts, "starts")
    if starts.ndim != 2:
        raise ValueError(f"starts must be 2-D, (sequences, features). Received: starts with shape "
                         f"{starts.shape}")
    # One model call a step: a million steps would run for an hour, a typo's 10**9 for ever.
    n_steps = _check_int(n_steps, "n_steps", maximum=MAX_CLOSED_LOOP_STEPS)
    _checks.check_size(starts.size * n_steps, starts=len(starts), n_steps=n_steps)
    in_shape = _input_shape(model)
    outputs = getattr(model, "outputs", None)
    out_shape = tuple(outputs[0].shape) if outputs and len(outputs) == 1 else None
    if in_shape is not None:
        if len(in_shape) != 3 or in_shape[1] not in (1, None):
            raise ValueError(f"model must take one step at a time, (batch, 1, features). Received: "
                             f"model {model.name!r} with input shape {in_shape}")
        if in_shape[2] is not None and in_shape[2] != starts.shape[1]:
            raise ValueError(f"starts must have the model's {in_shape[2]} features per row. "
                             f"Received: starts with shape {starts.shape}")
    if out_shape is not None and (len(out_shape) != 2 or out_shape[1] not in (None, starts.shape[1])):
        raise ValueError(f"model's output must be (batch, {starts.shape[1]}), one step shaped like its "
                         f"input, to be fed back in. Received: model {model.name!r} with output "
                         f"shape {out_shape}")
    current = starts.astype(keras.backend.floatx())
    generated = []
    for _ in range(n_steps):
        # Each step needs the last one's output, so the loop is the algorithm; one call a step
        # for the whole batch, and predict_on_batch skips predict's per-call data set-up.
        current = np.asarray(model.predict_on_batch(current[:, None, :]))
        generated.append(current)
    return np.stack(generated, axis=1)


# ---------------------------------------------------------------------------------------------
# Walk-forward validation and the Chapter 14 update strategies
# ---------------------------------------------------------------------------------------------


def refit_update(epochs: int, *, batch_size: int = 1, reset_state: bool = True):
    """The Chapter 14 update strategy "refit for ``epochs`` epochs on all data seen so far".

    Returns a function ``update(model, x_seen, y_seen)`` for ``walk_forward_validation``:
    it trains the model further (its weights and optimizer state carry on) for ``epochs``
    epochs on every observation up to the newest, in order, with ``fit_epochs``.

    Introduced in Chapter 14.

    Args:
        epochs: epochs per update (the published experiment tries 2, 5, 10, 20 and 50).
        batch_size: samples per step; 1 for the stateful model of Chapter 14.
        reset_state: reset the stateful layers' state at each epoch, as in the experiment.

    Examples:
        >>> update = refit_update(5)
        >>> update.epochs, update.__name__
        (5, 'refit_5_epochs')
    """
    epochs = _check_int(epochs, "epochs")
    batch_size = _check_int(batch_size, "batch_size")
    reset_state = _checks.check_bool(reset_state, "reset_state")

    def update(model, x_seen, y_seen):
        stateful = bool(_stateful_layers(model))
        fit_epochs(model, x_seen, y_seen, epochs=epochs, batch_size=batch_size,
                   reset_state=reset_state and stateful)

    update.epochs = epochs
    update.__name__ = f"refit_{epochs}_epochs"
    return update


def walk_forward_validation(model, x_train, y_train, x_test, *, y_test=None, update=None,
                            on_update=None, batch_size: int = 1, horizon: int = 1) -> np.ndarray:
    """Forecasts over a test period, optionally updating the model as it goes.

    For each test row ``i`` in order: if ``i > 0`` and ``update`` is given, the model is
    updated on every observation seen so far (the training rows and test rows ``0 … i-1``);
    then it forecasts row ``i``. For targets that reach ``horizon`` steps ahead (a
    multi-step forecast), test row ``j``'s target is fully observed only at row
    ``j + horizon``, so the update before row ``i`` learns from test rows ``0 … i-horizon``:
    an update never sees a value from row ``i``'s future. Without ``update`` no step depends
    on the previous one, so all forecasts come from one ``predict`` call; a stateful model
    carries its state from row to row exactly as the row-by-row loop would. On JAX, build stateful models with
    ``lstmbook.models.StatefulLSTM``: Keras 3.15's own stateful LSTM drops its state
    between batches there, and this function refuses it.

    Introduced in Chapter 14.

    Args:
        model: a trained ``keras.Model``.
        x_train, y_train: the observations before the test period, ``(n_train, timesteps,
            features)`` and ``(n_train, ...)``.
        x_test: test inputs ``(n_test, timesteps, features)``.
        y_test: test targets ``(n_test, ...)``; needed when ``update`` is given, because an
            update learns from each test row once it has been observed.
        update: ``None`` (a fixed model) or ``update(model, x_seen, y_seen)``, e.g.
            ``refit_update``.
        on_update: optional ``on_update(model, step)`` called after each update, e.g. to
            save the updated model (Chapter 14 saves it through ``lstmbook.persistence``).
        batch_size: the batch size for ``predict``; 1 for a stateful model of batch 1.
        horizon: how many steps ahead a target row reaches: 1 for the book's one-step
            forecasts, 12 for targets of the next 12 months. Needed with ``update`` for
            multi-step targets, which this function cannot tell from several features.

    Returns:
        Forecasts ``(n_test, outputs)`` in the model's (scaled) units.
    """
    _check_model(model)
    x_train = _as_array(x_train, "x_train")
    y_train = _as_targets(y_train, len(x_train), "y_train", model)
    x_test = _as_array(x_test, "x_test")
    _check_model_input(model, x_test, "x_test")
    _stateful_layers(model)  # on JAX, refuses a stateful layer whose state would not carry
    batch_size = _check_int(batch_size, "batch_size")
    horizon = _check_int(horizon, "horizon")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"x_test's rows must be shaped like x_train's {x_train.shape[1:]}. "
                         f"Received: x_test with shape {x_test.shape}")
    if update is not None and not _takes(_checks.check_callable(update, "update"), 3):
        raise TypeError(f"update must take (model, x_seen, y_seen), as refit_update's does. "
                        f"Received: update={update!r}")
    if on_update is not None:
        _checks.check_callable(on_update, "on_update")
    if update is None:
        return np.asarray(model.predict(x_test, batch_size=batch_size, verbose=0))
    if y_test is None:
        raise ValueError("y_test is needed when update is given: each update learns from the test "
                         "rows observed so far. Received: y_test=None")
    y_test = _as_targets(y_test, len(x_test), "y_test", model)
    _check_targets_fit(model, y_train, "y_train")
    if isinstance(y_train, list) or isinstance(y_test, list):
        raise ValueError("walk_forward_validation supports single-output models. "
                         "Received: a list of targets")
    if y_train.shape[1:] != y_test.shape[1:]:
        raise ValueError(f"y_test's rows must be shaped like y_train's {y_train.shape[1:]}. "
                         f"Received: y_test with shape {y_test.shape}")
    forecasts = []
    for i in range(len(x_test)):
        if i > 0:
            seen = max(i - horizon + 1, 0)  # the test rows whose targets are all observed by row i
            x_seen = np.concatenate([x_train, x_test[:seen]], axis=0)
            y_seen = np.concatenate([y_train, y_test[:seen]], axis=0)
            update(model, x_seen, y_seen)
            if on_update is not None:
                on_update(model, i)
        # A forecast depends on the update just made, so this one-row forecast is the algorithm.
        # Calling the model directly skips building a predict function, which the update may
        # just have invalidated; a stateful layer carries its state on as in ``predict``.
        row = x_test[i:i + 1].astype(keras.backend.floatx())
        forecasts.append(keras.ops.convert_to_numpy(model(row, training=False)))
    return np.concatenate(forecasts, axis=0)


def walk_forward_repeats(build_fn, seeds, x_train, y_train, x_test, *, y_test=None, epochs: int,
                         updates=None, batch_size: int = 1, reset_state: bool = True, save_to=None,
                         backups: int = 1, ensemble: bool = True) -> dict:
    """Repeat a walk-forward experiment once per seed: build, fit, then walk forward with each update.

    One repeat is what you would write for one seed, with `copy` a copy of the fitted
    model, optimizer state included:

    ```python
    keras.utils.set_random_seed(seed)
    model = build_fn()
    fit_epochs(model, x_train, y_train, epochs=epochs, batch_size=batch_size,
               reset_state=True)  # for a stateful model
    for name, update in updates.items():  # every strategy starts from the fitted model
        start = model if update is None else copy(model)
        forecasts[name] = walk_forward_validation(start, x_train, y_train, x_test,
                                                  y_test=y_test, update=update)
    ```

    With `ensemble=True` the repeats run together as one `Ensemble`: every repeat's model
    is built right after seeding with its own seed, as above, and takes exactly the steps it
    would take alone, so the forecasts are those of separate runs to float precision. A
    step of the packed model costs about what one small model's step costs: Chapter 14's
    ten repeats of a stateful LSTM(1) run about six times faster than one after another.
    It needs a model `Ensemble` can pack (a chain of LSTM, SimpleRNN and Dense layers, no
    dropout); `ensemble=False` runs the repeats one after another, for any model.

    With `save_to`, the fitted model is saved as `base.keras`, and each updating
    strategy's model, after every update, as `NAME.keras`, through
    `lstmbook.persistence.save_model`: atomically, keeping `backups` previous versions,
    so a crash mid-experiment loses no finished update. As an ensemble, each file holds
    every repeat's model, packed (`Ensemble.split` unpacks its forecasts); one after
    another, each repeat has its own files, `base_seed_SEED.keras` and
    `NAME_seed_SEED.keras`.

    Introduced in Chapter 14.

    Args:
        build_fn: `build_fn()` (or `build_fn(k)` for repeat `k`) returns a new compiled
            `keras.Model`, e.g. a stateful LSTM with `keras.Input(batch_shape=(1, timesteps,
            features))`.
        seeds: one seed per repeat.
        x_train, y_train: the observations before the test period, `(n_train, timesteps,
            features)` and `(n_train, ...)`.
        x_test: test inputs, `(n_test, timesteps, features)`.
        y_test: test targets, `(n_test, ...)`; needed when an update is given.
        epochs: epochs to fit each model on the training data before the walk forward.
        updates: the strategies, `{name: update}`: `None` forecasts with the fitted model
            as it is; an `update(model, x_seen, y_seen)` such as `refit_update(2)` updates
            it after each new observation (see `walk_forward_validation`). As an ensemble,
            an update receives the packed model and every repeat's targets side by side,
            which `refit_update`'s training handles. Default `{"fixed": None}`.
        batch_size: samples per step when fitting, and per forecast; 1 for a stateful model
            of batch 1.
        reset_state: reset a stateful model's state at the start of each fitting epoch
            (ignored for a stateless model).
        save_to: a folder (created if missing) for the saved models, or `None`.
        backups: previous versions kept of each saved model.
        ensemble: run the repeats as one vectorised `Ensemble` (above).

    Returns:
        `{name: forecasts}`, one entry per update, in order; `forecasts[k]` is repeat `k`'s
        `walk_forward_validation` result, so each array is `(repeats, n_test, outputs)`,
        in the model's (scaled) units.

    For example, two repeats of a small stateful LSTM, fixed and refit for one epoch after
    each new observation:

    ```python

    Examples:
        >>> def build():
        ...     inputs = keras.Input(batch_shape=(1, 1, 1))
        ...     outputs = keras.layers.Dense(1)(models.StatefulLSTM(2)(inputs))
        ...     model = keras.Model(inputs, outputs)
        ...     model.compile(loss="mse", optimizer="adam")
        ...     return model
        >>> x, y = np.linspace(0, 1, 8).reshape(8, 1, 1), np.linspace(0.1, 1.1, 8)
        >>> forecasts = walk_forward_repeats(build, [1, 2], x[:6], y[:6], x[6:], y_test=y[6:],
        ...                                  epochs=2, updates={"fixed": None, "refit_1": refit_update(1)})
        >>> {name: f.shape for name, f in forecasts.items()}
        {'fixed': (2, 2, 1), 'refit_1': (2, 2, 1)}

    ```
    """
    import contextlib
    import tempfile
    from pathlib import Path

    from lstmbook import persistence

    _checks.check_callable(build_fn, "build_fn")
    seeds = _checks.as_tuple(seeds)
    if not isinstance(seeds, (list, tuple, range)) or not seeds:
        raise _checks.bad("seeds", seeds, "a non-empty list of ints, one per repeat")
    seeds = [_check_int(s, "seeds", minimum=0, maximum=2**32 - 1) for s in seeds]
    updates = {"fixed": None} if updates is None else updates
    if not isinstance(updates, dict):
        raise _checks.bad("updates", updates, "a dict {name: update or None}", TypeError)
    if not updates:
        raise _checks.bad("updates", updates, "a dict with at least one strategy")
    for name, update in updates.items():
        if not isinstance(name, str) or not name or Path(name).name != name or name == "base":
            raise _checks.bad("updates", updates, "keyed by names that are plain file names, not 'base'")
        if update is not None and not _takes(_checks.check_callable(update, "updates"), 3):
            raise TypeError(f"updates must map names to None or update(model, x_seen, y_seen), as "
                            f"refit_update returns. Received: {name!r}: {update!r}")
    if y_test is None and any(update is not None for update in updates.values()):
        raise ValueError("y_test is needed when an update is given: each update learns from the test "
                         "rows observed so far. Received: y_test=None")
    epochs = _check_int(epochs, "epochs", maximum=MAX_EPOCHS)
    batch_size = _check_int(batch_size, "batch_size")
    reset_state = _checks.check_bool(reset_state, "reset_state")
    backups = _check_int(backups, "backups", maximum=persistence.MAX_BACKUPS)
    ensemble = _checks.check_bool(ensemble, "ensemble")
    settings = {"x_train": _as_array(x_train, "x_train"), "x_test": _as_array(x_test, "x_test"),
                "epochs": epochs, "updates": updates, "batch_size": batch_size,
                "reset_state": reset_state, "backups": backups}
    with contextlib.ExitStack() as stack:
        if save_to is None:  # each updating strategy still starts from a saved copy of the base
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lstmbook-walk-")))
        else:
            folder = _checks.check_path(save_to, "save_to")
            folder.mkdir(parents=True, exist_ok=True)
        if ensemble:
            packed = Ensemble(build_fn, seeds)
            forecasts = _fit_and_walk_forward(
                packed.model, y_train=packed.targets(y_train),
                y_test=None if y_test is None else packed.targets(y_test),
                folder=folder, suffix="", **settings)
            return {name: packed.split(f) for name, f in forecasts.items()}
        takes_index = _takes(build_fn, 1)
        repeats = []
        for k, seed in enumerate(seeds):
            keras.utils.set_random_seed(seed)
            model = _check_compiled(build_fn(k) if takes_index else build_fn(), "build_fn()")
            repeats.append(_fit_and_walk_forward(model, y_train=y_train, y_test=y_test, folder=folder,
                                                 suffix=f"_seed_{seed}", **settings))
        return {name: np.stack([repeat[name] for repeat in repeats]) for name in updates}


def _fit_and_walk_forward(model, *, x_train, y_train, x_test, y_test, epochs, updates, batch_size,
                          reset_state, folder, suffix, backups) -> dict:
    """Fit `model`, save it as the base, and walk forward from it with each update, saving as it goes."""
    from lstmbook import persistence

    fit_epochs(model, x_train, y_train, epochs=epochs, batch_size=batch_size,
               reset_state=reset_state and bool(_stateful_layers(model)))
    base = persistence.save_model(model, folder / f"base{suffix}.keras", backups=backups)
    forecasts = {}
    for name, update in updates.items():
        if update is None:
            forecasts[name] = walk_forward_validation(model, x_train, y_train, x_test, batch_size=batch_size)
            continue
        path = folder / f"{name}{suffix}.keras"
        forecasts[name] = walk_forward_validation(
            persistence.load_model(base), x_train, y_train, x_test, y_test=y_test, update=update,
            on_update=lambda m, step, path=path: persistence.save_model(m, path, backups=backups),
            batch_size=batch_size)
    return forecasts


# ---------------------------------------------------------------------------------------------
# Vectorised ensembles: many small models trained as one
# ---------------------------------------------------------------------------------------------

# The layers an Ensemble packs, and the gate blocks in their kernels' columns.
_GATES = {keras.layers.LSTM: 4, models.StatefulLSTM: 4, keras.layers.SimpleRNN: 1, keras.layers.Dense: 1}


def _block_mask(rows, cols, gates: int, shared_rows: bool) -> np.ndarray:
    """1 where member ``k``'s inputs meet member ``k``'s units, 0 elsewhere; one block per gate."""
    n_rows = rows if shared_rows else sum(rows)
    mask = np.zeros((n_rows, gates * sum(cols)), dtype="float32")
    width = sum(cols)
    row = col = 0
    for k, size in enumerate(cols):
        r = slice(None) if shared_rows else slice(row, row + rows[k])
        for g in range(gates):
            mask[r, g * width + col:g * width + col + size] = 1.0
        row += 0 if shared_rows else rows[k]
        col += size
    return mask


@keras.saving.register_keras_serializable(package="lstmbook")
class BlockMask(keras.constraints.Constraint):
    """Keeps a packed weight block-diagonal: member ``k``'s units see only member ``k``'s inputs.

    Used by ``Ensemble``. ``rows`` are the members' input sizes (or one int, an input
    every member shares), ``cols`` their unit counts, ``gates`` the weight's gate blocks
    (4 for an LSTM's kernels, 1 for a Dense kernel). Keras applies a constraint after each
    update, so the weights the forward pass sees are always block-diagonal, and a member's
    output depends on its own weights only.
    """

    def __init__(self, rows, cols, gates: int = 1):
        shared = _checks.is_int(rows)
        self.rows = _check_int(rows, "rows") if shared else list(_checks.check_ints(rows, "rows", None))
        self.cols = list(_checks.check_ints(cols, "cols", None))
        self.gates = _check_int(gates, "gates")
        if not shared and len(self.rows) != len(self.cols):
            raise ValueError(f"rows and cols must give one size per member, or rows one int. "
                             f"Received: rows={rows!r}, cols={cols!r}")
        self._mask = _block_mask(self.rows, self.cols, self.gates, isinstance(self.rows, int))

    def __call__(self, w):
        return w * keras.ops.cast(self._mask, w.dtype)

    def get_config(self):
        return {"rows": self.rows, "cols": self.cols, "gates": self.gates}


def _per_sample_loss(loss):
    """A loss as a function ``(y_true, y_pred) -> per-sample values`` (the last axis reduced)."""
    fn = keras.losses.get(loss)
    if isinstance(fn, keras.losses.Loss):
        return fn.call  # a Loss object's call() leaves the batch axes; __call__ would average them
    return fn


def _loss_config(loss):
    """A compiled loss as a string or a serialised config, comparable between members."""
    return loss if isinstance(loss, str) else keras.losses.serialize(keras.losses.get(loss))


def _member_loss(loss):
    """A member's loss as ``(its serialisable config, its per-sample function)``."""
    if not isinstance(loss, dict):
        _checks.check_loss(loss, "loss")
    config = loss if isinstance(loss, dict) else _loss_config(loss)
    return config, _per_sample_loss(keras.losses.deserialize(config) if isinstance(config, dict) else config)


def _member_axes(y_true, y_pred, members: int):
    """Packed ``(..., members * size)`` targets and outputs as ``(..., members, size)``."""
    def split(a):  # the losses cast the targets to the outputs' dtype themselves
        return keras.ops.reshape(a, (*keras.ops.shape(a)[:-1], members, -1))
    return split(y_true), split(y_pred)


@keras.saving.register_keras_serializable(package="lstmbook")
class MemberSum(keras.losses.Loss):
    """The sum over an ``Ensemble``'s members of each member's own loss.

    Summing (not averaging) makes the gradient of member ``k``'s weights exactly the gradient
    its own loss would give it alone.
    """

    def __init__(self, loss, members: int, name: str = "member_sum", **kwargs):
        super().__init__(name=name, **kwargs)
        self.loss, self._fn = _member_loss(loss)
        self.members = _check_int(members, "members")

    def call(self, y_true, y_pred):
        y_true, y_pred = _member_axes(y_true, y_pred, self.members)
        return keras.ops.sum(self._fn(y_true, y_pred), axis=-1)

    def get_config(self):
        return {"loss": self.loss, "members": self.members, "name": self.name}


@keras.saving.register_keras_serializable(package="lstmbook")
class MemberLosses(keras.metrics.Metric):
    """Each ``Ensemble`` member's own loss, as ``fit`` would report it for that member alone.

    Its result is a dict, ``{"member_0_loss": ..., "member_1_loss": ..., ...}``, so the
    history of a packed fit holds one learning curve per member.
    """

    def __init__(self, loss, members: int, name: str = "member_losses", **kwargs):
        super().__init__(name=name, **kwargs)
        self.loss, self._fn = _member_loss(loss)
        self.members = _check_int(members, "members")
        self.total = self.add_variable(shape=(self.members,), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _member_axes(y_true, y_pred, self.members)
        values = self._fn(y_true, y_pred)  # (batch, ..., members)
        flat = keras.ops.reshape(values, (-1, self.members))
        batch = keras.ops.cast(keras.ops.shape(y_pred)[0], "float32")
        # Keras weighs each batch's mean loss by its batch size; so does this.
        self.total.assign_add(keras.ops.cast(keras.ops.mean(flat, axis=0), "float32") * batch)
        self.count.assign_add(batch)

    def result(self):
        means = self.total / keras.ops.maximum(self.count, 1.0)
        return {f"member_{k}_loss": means[k] for k in range(self.members)}

    def reset_state(self):
        self.total.assign(keras.ops.zeros((self.members,)))
        self.count.assign(0.0)

    def get_config(self):
        return {"loss": self.loss, "members": self.members, "name": self.name}


def _chain(model) -> list:
    """The layers of a single-input, single-output model that is a plain chain, or a ValueError."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(model.inputs) != 1 or len(model.outputs) != 1 or not layers:
        raise ValueError(f"build_fn must return a model with one input and one output. Received: "
                         f"model {model.name!r} with {len(model.inputs)} input(s), "
                         f"{len(model.outputs)} output(s)")
    previous = model.inputs[0]
    for layer in layers:
        inner = layer.layer if isinstance(layer, keras.layers.TimeDistributed) else layer
        if type(inner) not in _GATES:
            raise ValueError(f"Ensemble packs chains of LSTM, SimpleRNN, Dense and "
                             f"TimeDistributed(Dense) layers. Received: model {model.name!r} with a "
                             f"{type(layer).__name__} layer {layer.name!r}")
        try:
            if layer.input is not previous:
                raise ValueError
        except (AttributeError, ValueError):
            raise ValueError(f"build_fn must return a chain of layers, each fed by the one before. "
                             f"Received: model {model.name!r}, where {layer.name!r} is not") from None
        for key in ("dropout", "recurrent_dropout"):
            if getattr(inner, key, 0):
                raise ValueError(f"Ensemble cannot pack a layer with {key}: its members would draw other "
                                 f"dropout masks than alone. Received: {layer.name!r} with {key}="
                                 f"{getattr(inner, key)}")
        for key in ("kernel_constraint", "recurrent_constraint"):
            if getattr(inner, key, None) is not None:
                raise ValueError(f"Ensemble cannot pack a layer with a {key}. Received: {layer.name!r}")
        previous = layer.output
    return layers


def _settings(layer) -> dict:
    """A layer's configuration without the parts members may differ in (name, units, initializers)."""
    config = dict(layer.get_config())
    if "layer" in config:  # TimeDistributed
        config = dict(layer.layer.get_config())
    for key in ("name", "units", "seed", "trainable", "dtype"):
        config.pop(key, None)
    return {k: v for k, v in config.items() if not k.endswith("_initializer")}


def _weight_kind(weight) -> str:
    """``"kernel"``, ``"recurrent_kernel"`` or ``"bias"``, from a weight's path."""
    return weight.path.split("/")[-1]


def _member_blocks(kind: str, k: int, rows, cols, gates: int, shared: bool) -> list:
    """Where member ``k``'s part of one packed weight lies: ``(packed_index, member_index)`` per gate.

    A packed layer's columns hold each gate's block of all members' units side by side
    (``[gate 0: member 0, member 1, ...][gate 1: ...]``), the layout Keras gives a layer
    of ``sum(cols)`` units; its kernel's rows are the shared input, or the previous packed
    layer's units.
    """
    width, col, size = sum(cols), sum(cols[:k]), cols[k]
    if kind == "recurrent_kernel":
        in_rows, own_rows = slice(col, col + size), slice(None)
    elif shared:
        in_rows, own_rows = slice(None), slice(None)
    else:
        row = sum(rows[:k])
        in_rows, own_rows = slice(row, row + rows[k]), slice(None)
    blocks = []
    for g in range(gates):
        packed_cols = slice(g * width + col, g * width + col + size)
        own_cols = slice(g * size, (g + 1) * size)
        if kind == "bias":
            blocks.append(((packed_cols,), (own_cols,)))
        else:
            blocks.append(((in_rows, packed_cols), (own_rows, own_cols)))
    return blocks


def _inner(layer):
    return layer.layer if isinstance(layer, keras.layers.TimeDistributed) else layer


class Ensemble:
    """Several independent copies of a small model, trained as one vectorised model.

    Each member is ``build_fn()`` built right after ``keras.utils.set_random_seed(seed)``, so
    it starts from the weights it would have alone. The members are then packed into one
    model: each layer becomes one layer with the members' units side by side, and its
    weights are block-diagonal (``BlockMask``), so a member's units read only that
    member's inputs. The packed loss is the sum of the members' own losses
    (``MemberSum``), which gives each member's weights exactly the gradient they would
    get alone; the optimizers the book uses (Adam, SGD, RMSprop) update every weight on its
    own, so each member takes the steps it would take alone. On a CPU a step of the packed
    model costs about as much as a step of one member for the book's tiny models, so ten
    repeats train in the time of one.

    The members may differ in their number of units (Chapter 12 compares 1, 5 and 10
    cells), but not in anything else: the same layers, settings, loss and optimizer, and the
    same number of outputs. They share the input, the batch size and the data, and see the
    same batches in the same order. Supported layers: ``LSTM``, ``SimpleRNN``
    (stateful or not, with or without ``return_sequences``), ``Dense`` and
    ``TimeDistributed(Dense)``, in a chain; no dropout.

    Introduced in Chapter 12; Chapter 14 trains its repeats this way.

    Args:
        build_fn: ``build_fn()`` or ``build_fn(member_index)`` returns a compiled model.
        seeds: one seed per member.

    Attributes:
        model: the packed, compiled ``keras.Model``. Its output is ``(batch, ..., members *
            outputs)``; ``targets`` packs targets for it, ``split`` unpacks its output.
        seeds: the members' seeds.

    Examples:
        >>> def build():
        ...     inputs = keras.Input(shape=(3, 1))
        ...     outputs = keras.layers.Dense(1)(keras.layers.LSTM(2)(inputs))
        ...     model = keras.Model(inputs, outputs)
        ...     model.compile(loss="mse", optimizer="adam")
        ...     return model
        >>> ensemble = Ensemble(build, seeds=[1, 2, 3])
        >>> histories = ensemble.fit(np.zeros((4, 3, 1)), np.zeros(4), epochs=2)
        >>> len(histories), len(histories[0]["loss"]), ensemble.predict(np.zeros((4, 3, 1))).shape
        (3, 2, (3, 4, 1))
    """

    def __init__(self, build_fn, seeds):
        _checks.check_callable(build_fn, "build_fn")
        if _checks.is_int(seeds):  # Ensemble(build, 3) would be one member, seeded 3
            raise _checks.bad("seeds", seeds, "a list of seeds, one per member, such as range(3)", TypeError)
        try:
            seeds = list(np.asarray(seeds).ravel()) if not isinstance(seeds, (str, bytes, dict)) else None
        except (TypeError, ValueError):
            seeds = None
        if seeds is None:
            raise _checks.bad("seeds", seeds, "a list of ints, one per member", TypeError)
        if not seeds:
            raise ValueError("seeds must hold one seed per member. Received: seeds=[]")
        self.seeds = [_check_int(s, "seeds", minimum=0) for s in seeds]
        takes_index = _takes(build_fn, 1)
        self.members = []
        for k, seed in enumerate(self.seeds):
            keras.utils.set_random_seed(seed)
            member = build_fn(k) if takes_index else build_fn()
            self.members.append(_check_compiled(member, "build_fn()"))
        self.model = self._pack()

    def _check_alike(self, chains) -> None:
        first = self.members[0]
        for key in ("clipnorm", "global_clipnorm"):
            if getattr(first.optimizer, key, None) is not None:
                raise ValueError(f"build_fn's models cannot be packed with an optimizer that clips by "
                                 f"norm: one packed weight holds every member's, so its norm would couple "
                                 f"them (clipvalue is fine). Received: optimizer with "
                                 f"{key}={getattr(first.optimizer, key)}")
        for m, chain in zip(self.members[1:], chains[1:], strict=True):
            if (len(chain) != len(chains[0]) or tuple(m.inputs[0].shape) != tuple(first.inputs[0].shape)
                    or any(type(a) is not type(b) or _settings(a) != _settings(b)
                           for a, b in zip(chain, chains[0], strict=True))):
                raise ValueError(f"every member must have the same layers and settings but their units. "
                                 f"Received: {m.name!r} differs from {first.name!r}")
            if tuple(m.outputs[0].shape) != tuple(first.outputs[0].shape):
                raise ValueError(f"every member must have the same output shape. Received: "
                                 f"{tuple(m.outputs[0].shape)} for {m.name!r}, "
                                 f"{tuple(first.outputs[0].shape)} for {first.name!r}")
            if _loss_config(m.loss) != _loss_config(first.loss):
                raise ValueError(f"every member must be compiled with the same loss. Received: "
                                 f"{m.loss!r} for {m.name!r}, {first.loss!r} for {first.name!r}")
            if {**m.optimizer.get_config(), "name": None} != {**first.optimizer.get_config(), "name": None}:
                raise ValueError(f"every member must be compiled with the same optimizer settings. "
                                 f"Received: {m.name!r} differs from {first.name!r}")

    def _layouts(self):
        """For each layer position: the members' layers, gates, input sizes and units."""
        chains = [_chain(m) for m in self.members]
        self._check_alike(chains)
        rows, shared = int(self.members[0].inputs[0].shape[-1]), True
        for position in range(len(chains[0])):
            inners = [_inner(c[position]) for c in chains]
            cols = [inner.units for inner in inners]
            yield chains[0][position], inners, _GATES[type(inners[0])], rows, cols, shared
            rows, shared = cols, False

    def _pack(self) -> keras.Model:
        first = self.members[0]
        inputs = keras.Input(batch_shape=tuple(first.inputs[0].shape), name="inputs")
        hidden = inputs
        for position, (layer, inners, gates, rows, cols, shared) in enumerate(self._layouts()):
            config = dict(inners[0].get_config())
            config.update(units=sum(cols), name=f"packed_{position}_{inners[0].name}",
                          kernel_constraint=keras.constraints.serialize(BlockMask(rows, cols, gates)))
            if "recurrent_constraint" in config:
                config["recurrent_constraint"] = keras.constraints.serialize(BlockMask(cols, cols, gates))
            packed = type(inners[0]).from_config(config)
            if isinstance(layer, keras.layers.TimeDistributed):
                packed = keras.layers.TimeDistributed(packed, name=f"packed_{position}_{layer.name}")
            hidden = packed(hidden)
            weights = []
            for w_index, weight in enumerate(_inner(packed).weights):
                big = np.zeros(weight.shape, dtype=weight.dtype)
                kind = _weight_kind(weight)
                for k, inner in enumerate(inners):
                    own = inner.get_weights()[w_index]
                    for packed_index, own_index in _member_blocks(kind, k, rows, cols, gates, shared):
                        big[packed_index] = own[own_index]
                weights.append(big)
            _inner(packed).set_weights(weights)
        model = keras.Model(inputs, hidden, name=f"ensemble_of_{len(self.members)}_{first.name}")
        loss = _loss_config(first.loss)
        model.compile(loss=MemberSum(loss, len(self.members)),
                      optimizer=type(first.optimizer).from_config(first.optimizer.get_config()),
                      metrics=[MemberLosses(loss, len(self.members))])
        return model

    def targets(self, y):
        """Targets for every member: ``y`` (``(n, ...)``, one member's targets) tiled along the last axis."""
        y = _as_array(y, "y")
        outputs = tuple(self.members[0].outputs[0].shape)
        if y.ndim == len(outputs) - 1:
            y = y[..., None]  # (n,) targets for (n, 1) outputs, or a class label per step
        return np.concatenate([y] * len(self.members), axis=-1)

    def split(self, packed) -> np.ndarray:
        """The packed model's output ``(n, ..., members * outputs)`` as ``(members, n, ..., outputs)``."""
        packed = _as_array(packed, "packed")
        width = len(self.members) * self.members[0].outputs[0].shape[-1]
        if packed.ndim < 2 or packed.shape[-1] != width:
            raise ValueError(f"packed must be the packed model's output, (n, ..., {width}): "
                             f"{len(self.members)} members' outputs side by side. "
                             f"Received: packed of shape {packed.shape}")
        per_member = packed.reshape(*packed.shape[:-1], len(self.members), -1)
        return np.moveaxis(per_member, -2, 0)

    def fit(self, x, y, *, validation_data=None, **kwargs) -> list:
        """Train every member at once with ``fit_epochs``; one history dict per member.

        ``x`` and ``y`` are one member's data (every member trains on them); the other
        arguments are ``fit_epochs``'s. Each history holds ``"epoch"`` and ``"loss"``
        (and ``"val_epoch"``, ``"val_loss"``) as that member's own fit would report them.
        """
        x = _as_array(x, "x")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise _checks.bad("validation_data", validation_data, "(x_val, y_val)")
            validation_data = (validation_data[0], self.targets(validation_data[1]))
        history = fit_epochs(self.model, x, self.targets(y), validation_data=validation_data, **kwargs)
        return self.split_history(history)

    def split_history(self, history: dict) -> list:
        """A packed fit's history as one dict per member (``loss``, ``val_loss``, epochs)."""
        histories = []
        for k in range(len(self.members)):
            own = {key: history[key] for key in ("epoch", "val_epoch") if key in history}
            own["loss"] = history[f"member_{k}_loss"]
            if f"val_member_{k}_loss" in history:
                own["val_loss"] = history[f"val_member_{k}_loss"]
            histories.append(own)
        return histories

    def predict(self, x, *, batch_size: int | None = None) -> np.ndarray:
        """Every member's predictions, ``(members, n, ...)``."""
        x = _as_array(x, "x")
        _check_model_input(self.model, x)
        return self.split(self.model.predict(x, batch_size=batch_size, verbose=0))

    def unpack(self) -> list:
        """The members as separate models, holding the packed model's current (trained) weights.

        They are the models ``build_fn`` returned, so they keep their own compile settings
        (not the packed optimizer's state).
        """
        packed_layers = [layer for layer in self.model.layers
                         if not isinstance(layer, keras.layers.InputLayer)]
        layouts = self._layouts()
        for packed, (_, inners, gates, rows, cols, shared) in zip(packed_layers, layouts, strict=True):
            big = [(_weight_kind(w), np.asarray(w)) for w in _inner(packed).weights]
            for k, inner in enumerate(inners):
                weights = []
                for (kind, source), own in zip(big, inner.get_weights(), strict=True):
                    own = own.copy()
                    for packed_index, own_index in _member_blocks(kind, k, rows, cols, gates, shared):
                        own[own_index] = source[packed_index]
                    weights.append(own)
                inner.set_weights(weights)
        return list(self.members)


class SideBySide:
    """Different models trained at once, side by side in one graph, each as it would train alone.

    ``Ensemble`` packs copies of one model into shared layers; ``SideBySide`` takes
    models of any architectures and places them next to each other: one input feeds every
    member, each member keeps its own output, and the loss is the sum of the members'
    losses. Each member's weights therefore get exactly the gradient of that member's own
    loss, and the optimizers the book uses (Adam, SGD, RMSprop) update every weight on its
    own, so each member takes the steps it would take alone, from the weights it was built
    with. What the members share is one call into the backend per batch instead of one per
    member and batch, and one graph to trace instead of one per member.

    The members see the same data, batches and batch order, and share the optimizer's
    settings (a learning-rate schedule included: every member takes the same number of
    steps). An optimizer with ``global_clipnorm`` is refused, since one norm over every
    member's gradients would couple them; ``clipnorm`` and ``clipvalue`` clip each weight's
    gradient on its own and are fine.

    Introduced in Chapter 10, which compares forward, backward and Bidirectional LSTMs.

    Args:
        models: the members, ``keras.Model`` objects with distinct names, each with one
            input (all of the same shape) and one output. Build each one where it would be
            built alone (after ``keras.utils.set_random_seed``) to start it from the same
            weights. Any compile settings they have are not used.
        loss: each member's loss: one loss for all, or ``{member name: loss}``.
        optimizer: a ``keras.optimizers.Optimizer`` (or its name), shared as described above.
        metrics: metrics for every member's output (``["accuracy"]``), or None.
        **compile_kwargs: more of ``Model.compile``'s arguments (``steps_per_execution``,
            ``jit_compile``); not ``loss_weights``, which would change a member's gradient.

    Attributes:
        members: ``{name: model}``; training the combined model trains these models' own
            weights, so after ``fit`` each one predicts as it was trained.
        model: the combined, compiled ``keras.Model``, with an output named after each member.

    Examples:
        >>> def build(units, name):
        ...     inputs = keras.Input(shape=(3, 1))
        ...     return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(units)(inputs)), name=name)
        >>> together = SideBySide([build(2, "small"), build(4, "large")], loss="mse", optimizer="adam")
        >>> histories = together.fit(np.zeros((4, 3, 1)), np.zeros((4, 1)), epochs=2, verbose=0)
        >>> predicted = together.predict(np.zeros((4, 3, 1)))
        >>> sorted(histories), len(histories["small"]["loss"]), predicted["large"].shape
        (['large', 'small'], 2, (4, 1))
    """

    def __init__(self, models, *, loss, optimizer, metrics=None, **compile_kwargs):
        if isinstance(models, keras.Model) or not isinstance(models, (list, tuple)):
            raise _checks.bad("models", models, "a list of keras.Model, the members", TypeError)
        if not models:
            raise ValueError("models must hold at least one member. Received: models=[]")
        for index, member in enumerate(models):
            _check_model(member, f"models[{index}]")
            if len(member.inputs) != 1 or len(member.outputs) != 1:
                raise ValueError(f"models[{index}] must have one input and one output. Received: "
                                 f"{len(member.inputs)} inputs, {len(member.outputs)} outputs "
                                 f"for {member.name!r}")
        names = [member.name for member in models]
        if len(set(names)) != len(names):
            raise ValueError(f"models must have distinct names: each names its output. "
                             f"Received: names={names}")
        shapes = {tuple(member.inputs[0].shape) for member in models}
        if len(shapes) != 1:
            raise ValueError(f"models must all take the same input shape. "
                             f"Received: {sorted(map(str, shapes))}")
        if "loss_weights" in compile_kwargs:
            raise ValueError("loss_weights would scale a member's gradient, so it would not train as it "
                             f"would alone. Received: loss_weights={compile_kwargs['loss_weights']!r}")
        if isinstance(loss, dict):
            if set(loss) != set(names):
                raise ValueError(f"loss must name every member, and only those. "
                                 f"Received: keys {sorted(loss)} for members {sorted(names)}")
            losses = dict(loss)
        else:
            losses = dict.fromkeys(names, loss)
        for name, member_loss in losses.items():
            _checks.check_loss(member_loss, "loss" if not isinstance(loss, dict) else f"loss[{name!r}]")
        optimizer = _checks.check_optimizer(optimizer, "optimizer")
        if getattr(optimizer, "global_clipnorm", None) is not None:
            raise ValueError(f"SideBySide cannot train members with an optimizer that clips by the global "
                             f"norm: one norm over every member's gradients would couple them (clipnorm "
                             f"is fine). Received: global_clipnorm={optimizer.global_clipnorm}")
        self.members = dict(zip(names, models, strict=True))
        shape = models[0].inputs[0].shape
        inputs = keras.Input(shape=tuple(shape[1:]), name="inputs")
        outputs = {name: member(inputs) for name, member in self.members.items()}
        self.model = keras.Model(inputs, outputs, name="side_by_side")
        per_member = None if metrics is None else dict.fromkeys(names, metrics)
        self.model.compile(loss=losses, optimizer=optimizer, metrics=per_member, **compile_kwargs)

    def targets(self, y) -> dict:
        """``{member name: y}``: every member learns the same targets."""
        y = _as_array(y, "y")
        return dict.fromkeys(self.members, y)

    def fit(self, x, y, *, validation_data=None, **kwargs) -> dict:
        """Train every member at once with ``Model.fit``; ``{member name: its history dict}``.

        ``x`` and ``y`` are one member's data (every member trains on them); the other
        arguments are ``Model.fit``'s. Each member's history holds its own ``loss`` and
        metrics (and ``val_`` ones), as its own ``fit`` would report them.
        """
        x = _as_array(x, "x")
        _check_model_input(self.model, x)
        y = self._targets_for(x, y, "y")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise _checks.bad("validation_data", validation_data, "(x_val, y_val)")
            x_val = _as_array(validation_data[0], "validation_data[0]")
            _check_model_input(self.model, x_val)
            validation_data = (x_val, self._targets_for(x_val, validation_data[1], "validation_data[1]"))
        history = self.model.fit(x, y, validation_data=validation_data, **kwargs)
        return self.split_history(history.history)

    def _targets_for(self, x, y, name: str) -> dict:
        """``targets``, for ``y`` checked to have one row per sample of ``x``."""
        y = _as_array(y, name)
        if len(y) != len(x):
            raise ValueError(f"{name} must have one row per sample: {len(x)}. Received: {name} of "
                             f"shape {y.shape}")
        return dict.fromkeys(self.members, y)

    def split_history(self, history: dict) -> dict:
        """The combined fit's history as ``{member name: {"loss": [...], metric: [...]}}``."""
        split = {name: {} for name in self.members}
        longest_first = sorted(self.members, key=len, reverse=True)  # "lstm_2_loss" is lstm_2's, not lstm's
        for key, values in history.items():
            prefix = "val_" if key.startswith("val_") else ""
            bare = key.removeprefix(prefix)
            name = next((name for name in longest_first if bare.startswith(f"{name}_")), None)
            if name is not None:
                split[name][prefix + bare.removeprefix(f"{name}_")] = values
        if len(self.members) == 1:  # Keras names a single output's loss "loss"
            only = split[next(iter(self.members))]
            for key in ("loss", "val_loss"):
                if key in history and key not in only:
                    only[key] = history[key]
        return split

    def predict(self, x, *, batch_size: int | None = None) -> dict:
        """Every member's predictions, ``{member name: array}``."""
        x = _as_array(x, "x")
        _check_model_input(self.model, x)
        predicted = self.model.predict(x, batch_size=batch_size, verbose=0)
        return {name: np.asarray(predicted[name]) for name in self.members}
