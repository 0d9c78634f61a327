"""One builder per LSTM architecture in the book (Chapters 6 to 11).

Every builder is a plain function that returns an **uncompiled** functional
``keras.Model``, in the style of ``keras.applications``:

- the input is ``keras.Input(shape=..., name="inputs")``;
- every layer has a stable name, so code reaches a layer with
  ``model.get_layer("lstm")`` and never with ``model.layers[1]``; the last layer is
  always named ``"output"``;
- the keyword arguments use Keras's own names (``units``, ``dropout``,
  ``return_sequences``, ``merge_mode``) and default to the book's settings;
- ``timesteps`` may be ``None`` (sequences of any length) in every architecture;
- a bad argument raises ``ValueError`` (or ``TypeError`` for a wrong type) naming the
  argument and the value received.

Compile the model yourself, with the loss and optimizer of your problem::

    model = build_vanilla_lstm((5, 10), output_units=10)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

Each model round-trips through ``model.save("m.keras")`` and
``keras.models.load_model("m.keras")``. The custom layers,
``BatchedTimeDistributed``, ``ReverseTime`` and ``StatefulLSTM``, are
registered with Keras's serialization when this module is imported, so import
``lstmbook.models`` before loading.

``StatefulLSTM`` is ``keras.layers.LSTM(stateful=True)`` with a state that carries
from batch to batch on JAX as well as on TensorFlow (Chapters 2, 4 and 14).

``unroll=True`` (a keyword of every builder, Keras's own LSTM argument) unrolls the loop
over time steps; it needs a fixed ``timesteps`` and pays off for short sequences on a CPU.

Introduced in Chapter 6; each builder names the chapter that introduces it.
"""

from __future__ import annotations

import keras

from lstmbook import _checks

__all__ = [
    "MERGE_MODES",
    "BatchedTimeDistributed",
    "ReverseTime",
    "StatefulLSTM",
    "build_vanilla_lstm",
    "build_stacked_lstm",
    "build_cnn_lstm",
    "build_encoder_decoder_lstm",
    "build_bidirectional_lstm",
    "build_generative_lstm",
]

#: The ``merge_mode`` values :func:`build_bidirectional_lstm` accepts (Chapter 10).
MERGE_MODES = ("sum", "mul", "ave", "concat")


# ---------------------------------------------------------------------------------------------
# Argument checks shared by every builder
# ---------------------------------------------------------------------------------------------


def _check_common(output_units, output_activation, name, unroll, timesteps) -> tuple[int, bool]:
    """The arguments every builder takes, checked: ``(output_units, unroll)``."""
    output_units = _checks.check_int(output_units, "output_units")
    if output_activation is not None and not isinstance(output_activation, str) \
            and not callable(output_activation):
        raise _checks.bad("output_activation", output_activation, "an activation name, a callable or None",
                          TypeError)
    try:
        keras.activations.get(output_activation)
    except (ValueError, TypeError):
        raise _checks.bad("output_activation", output_activation, "an activation Keras knows") from None
    if not isinstance(name, str) or not name or "/" in name:
        raise _checks.bad("name", name, "a non-empty str without '/'")
    if _checks.check_bool(unroll, "unroll") and timesteps is None:
        raise _checks.bad("unroll", unroll, "False for timesteps=None (unrolling needs a fixed number)")
    return output_units, bool(unroll)


def _check_units(units, name: str, features: int) -> int:
    """``units`` for an LSTM reading ``features`` values a step: a positive int whose weights
    (``4 * units * (features + units + 1)`` of them) fit in an array the library may build."""
    units = _checks.check_int(units, name)
    _checks.check_size(4 * units * (features + units + 1), **{name: units})
    return units


def _check_sequence_shape(input_shape) -> tuple:
    """``(timesteps, features)``: positive ints, timesteps None for any length."""
    return _checks.check_ints(input_shape, "input_shape", 2, none_first=True, shape=True)


def _output_layer(x, output_units: int, activation, per_step: bool):
    """``Dense`` on the last state, or ``TimeDistributed(Dense)`` on every step; named "output"."""
    if output_units == 1 and (activation == "softmax" or activation is keras.activations.softmax):
        # A softmax over one unit is 1.0 whatever the input: the model could learn nothing.
        raise ValueError("output_activation='softmax' needs output_units >= 2 (a softmax over one unit "
                         "always outputs 1.0); use 'sigmoid' for one probability or None for a value. "
                         f"Received: output_units={output_units}, output_activation={activation!r}")
    if per_step:
        dense = keras.layers.Dense(output_units, activation=activation, name="dense")
        return BatchedTimeDistributed(dense, name="output")(x)
    return keras.layers.Dense(output_units, activation=activation, name="output")(x)


# ---------------------------------------------------------------------------------------------
# Two small layers: TimeDistributed that folds time into the batch, and a time reversal
# ---------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="lstmbook")
class BatchedTimeDistributed(keras.layers.TimeDistributed):
    """``keras.layers.TimeDistributed`` that runs its layer on many steps in one call.

    It applies the wrapped layer, with the same weights, to every time step, exactly as
    ``TimeDistributed`` does: ``(batch, timesteps, *step_shape)`` ->
    ``(batch, timesteps, *layer_output_shape)``. The difference is how: it folds the time
    axis into the batch axis, ``(batch * timesteps, *step_shape)``, calls the layer once,
    and unfolds the result, as Keras 2's ``TimeDistributed`` did. Keras 3's version calls
    the layer once per step in a Python loop (or through ``vectorized_map`` when
    ``timesteps`` is None). On Chapter 8's 50-frame videos that costs four times the
    memory (about 2 GB against 0.5 GB for a batch of 32) and three times the training time
    with TensorFlow on a CPU. With a mask it falls back to Keras's own loop.

    ``steps_per_call`` sets how many steps go into one call: all of them (``None``, the
    default), or groups of that many, whose outputs are joined along the time axis. The
    result is the same either way; only the speed differs. Wrap a whole per-step model (a
    ``keras.Sequential`` CNN) and its layers run one group after another, each group small
    enough to stay in the CPU's cache: on Chapter 8's videos, 10 frames a call trains 1.6
    times as fast as 50 with JAX, and about as fast with TensorFlow. Groups need a fixed
    ``timesteps``; with ``timesteps`` None every step goes into one call.

    Introduced in Chapter 8.

    Args:
        layer: the ``keras.layers.Layer`` (or ``keras.Model``) to apply to every step.
        steps_per_call: the most steps the layer reads in one call, an int >= 1, or None
            for all of them.
        **kwargs: ``TimeDistributed``'s own (``name``, ...).

    Examples:
        >>> inputs = keras.Input(shape=(10, 4, 4, 1))
        >>> BatchedTimeDistributed(keras.layers.Flatten())(inputs).shape
        (None, 10, 16)
        >>> BatchedTimeDistributed(keras.layers.Flatten(), steps_per_call=3)(inputs).shape
        (None, 10, 16)
    """

    def __init__(self, layer, steps_per_call=None, **kwargs):
        if not isinstance(layer, keras.layers.Layer):
            raise _checks.bad("layer", layer, "a keras.layers.Layer instance", TypeError)
        if steps_per_call is not None:
            steps_per_call = _checks.check_int(steps_per_call, "steps_per_call")
        self.steps_per_call = steps_per_call
        super().__init__(layer, **kwargs)

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"inputs must be (batch, timesteps, ...): a time axis after the batch axis, "
                             f"so at least 3 dimensions. Received: inputs with shape {tuple(input_shape)}")
        super().build(input_shape)

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            return super().call(inputs, training=training, mask=mask)
        timesteps, group = inputs.shape[1], self.steps_per_call
        if group is None or timesteps is None or group >= timesteps:
            return self._call_folded(inputs, training)
        parts = [self._call_folded(inputs[:, start:start + group], training)
                 for start in range(0, timesteps, group)]
        return keras.ops.concatenate(parts, axis=1)

    def _call_folded(self, inputs, training):
        """The layer on every step of ``inputs`` in one call: time folded into the batch."""
        batch_and_time = keras.ops.shape(inputs)[:2]
        folded = keras.ops.reshape(inputs, (-1, *inputs.shape[2:]))
        kwargs = {"training": training} if self.layer._call_has_training_arg else {}
        outputs = self.layer.call(folded, **kwargs)
        return keras.ops.reshape(outputs, (*batch_and_time, *outputs.shape[1:]))

    def get_config(self):
        return {**super().get_config(), "steps_per_call": self.steps_per_call}


@keras.saving.register_keras_serializable(package="lstmbook")
class ReverseTime(keras.layers.Layer):
    """Reverse a sequence along its time axis: ``(batch, timesteps, ...)`` -> same shape.

    A Keras LSTM built with ``go_backwards=True`` and ``return_sequences=True`` returns its
    outputs in the order it read them, last input step first. ``build_vanilla_lstm``
    puts this layer after such an LSTM so that output step ``t`` lines up with input step
    ``t``, as ``keras.layers.Bidirectional`` does for its backward half. (The book's
    Chapter 10 listing leaves the outputs reversed.)

    Introduced in Chapter 10.

    Examples:
        >>> import numpy as np
        >>> ReverseTime()(np.arange(3.0).reshape(1, 3, 1)).numpy().ravel().tolist()  # doctest: +SKIP
        [2.0, 1.0, 0.0]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # (batch, timesteps, ...): on a 2-D input, axis 1 would be the features.
        self.input_spec = keras.InputSpec(min_ndim=3)

    def call(self, inputs):
        return keras.ops.flip(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="lstmbook")
class StatefulLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM(stateful=True)`` that carries its state on every backend.

    A stateful LSTM keeps its last state ``(h, c)`` and starts the next batch from it, until
    ``reset_state()``. Keras 3.15 keeps that state in variables that ``RNN`` creates
    outside Keras's variable tracking, so they are not among the model's
    ``non_trainable_variables``. TensorFlow assigns to them in place and the state carries.
    JAX's ``fit``, ``predict`` and ``evaluate`` thread only the tracked variables through
    their compiled steps, so the new state is dropped and every batch starts from zeros: the
    layer is stateless under a stateful name.

    This layer tracks Keras's own state variables, once ``build`` has made them, as
    non-trainable variables, so every backend threads them. We chose this over rewriting
    the state handling because it changes nothing in how the state is made, read, written
    or reset: the outputs are those of ``keras.layers.LSTM(stateful=True)`` to the last
    digit. As with Keras's layer, the state is not a weight: ``get_weights()``,
    ``count_params()`` and the saved file leave it out, and a loaded model starts from
    zeros. It rests on two Keras internals, the ``states`` attribute and
    ``Layer._track_variable``; the tests pin both, so that a Keras release that changes
    them fails loudly rather than making the layer stateless again.

    Takes every argument of ``keras.layers.LSTM``; ``stateful`` is always ``True``, and the
    input needs a fixed batch size, ``keras.Input(batch_shape=(batch, timesteps, features))``.

    Introduced in Chapter 4; used in Chapters 2 and 14.

    Examples:
        >>> import numpy as np
        >>> inputs = keras.Input(batch_shape=(1, 1, 1))
        >>> model = keras.Model(inputs, StatefulLSTM(4, name="lstm")(inputs))
        >>> x = np.ones((1, 1, 1))
        >>> bool((model.predict(x, verbose=0) != model.predict(x, verbose=0)).all())  # doctest: +SKIP
        True
    """

    def __init__(self, units, stateful=True, **kwargs):
        if stateful is not True:
            raise ValueError(f"StatefulLSTM is always stateful; for a stateless layer use "
                             f"keras.layers.LSTM. Received: stateful={stateful!r}")
        super().__init__(units, stateful=True, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        super().build(sequences_shape, initial_state_shape)
        # Keras made self.states untracked; track them so that JAX threads them. (On a
        # rebuild they are already tracked.)
        tracked = {id(v) for v in self._non_trainable_variables}
        for state in self.states:
            if id(state) not in tracked:
                self._track_variable(state)

    def _state_ids(self) -> set:
        return {id(v) for v in self.states or ()}

    @property
    def weights(self):
        # The state is a variable, not a weight, as in keras.layers.LSTM.
        states = self._state_ids()
        return [w for w in super().weights if id(w) not in states]

    def save_own_variables(self, store):
        states = self._state_ids()
        own = [v for v in self._trainable_variables + self._non_trainable_variables if id(v) not in states]
        for i, variable in enumerate(own):
            store[f"{i}"] = variable

    def load_own_variables(self, store):
        states = self._state_ids()
        own = [v for v in self._trainable_variables + self._non_trainable_variables if id(v) not in states]
        if len(store.keys()) != len(own):
            raise ValueError(f"Layer {self.name!r} expected {len(own)} variables, but the file has "
                             f"{len(store.keys())}")
        for i, variable in enumerate(own):
            variable.assign(store[f"{i}"])


# ---------------------------------------------------------------------------------------------
# The builders
# ---------------------------------------------------------------------------------------------


def build_vanilla_lstm(input_shape, output_units, units=25, output_activation="softmax", *,
                       return_sequences=False, go_backwards=False, unroll=False, name="vanilla_lstm"):
    """A Vanilla LSTM: one LSTM layer and a dense output layer.

    Architecture: ``inputs (timesteps, features) -> LSTM(units) "lstm" ->
    Dense(output_units, output_activation) "output"``. With ``return_sequences=True`` the
    LSTM returns every step and the output is ``TimeDistributed(Dense)`` "output", one
    prediction per step. With ``go_backwards=True`` the LSTM reads the sequence from its
    last step to its first (Chapter 10's backward LSTM); when it also returns sequences,
    a ``ReverseTime`` layer "reverse_time" puts its outputs back in input order, so
    that prediction ``t`` belongs to input step ``t``.

    Introduced in Chapter 6 (the echo problem: ``LSTM(25) -> Dense(10, softmax)``). The
    per-step and backward options are used in Chapter 10.

    Args:
        input_shape: ``(timesteps, features)``; ``timesteps`` may be ``None``.
        output_units: size of the output, e.g. 10 classes for one-hot digits.
        units: LSTM memory cells (the book uses 25).
        output_activation: activation of the output layer (name, callable or ``None``).
        return_sequences: predict at every step instead of once at the end.
        go_backwards: read the input sequence in reverse.
        unroll: unroll the LSTM's loop over time (Keras's ``unroll``). Needs a fixed
            ``timesteps``; on a CPU it makes short sequences train several times faster,
            at the cost of memory and a longer first compile.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping ``(batch, timesteps, features)`` to
        ``(batch, output_units)``, or to ``(batch, timesteps, output_units)`` with
        ``return_sequences=True``.

    Examples:
        >>> model = build_vanilla_lstm((5, 10), output_units=10)
        >>> model.output_shape
        (None, 10)
        >>> build_vanilla_lstm((None, 1), 1, output_activation="sigmoid", return_sequences=True,
        ...                    go_backwards=True).output_shape
        (None, None, 1)
    """
    input_shape = _check_sequence_shape(input_shape)
    output_units, unroll = _check_common(output_units, output_activation, name, unroll, input_shape[0])
    units = _check_units(units, "units", input_shape[1])
    return_sequences = _checks.check_bool(return_sequences, "return_sequences")
    go_backwards = _checks.check_bool(go_backwards, "go_backwards")

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.LSTM(units, return_sequences=return_sequences, go_backwards=go_backwards,
                          unroll=unroll, name="lstm")(inputs)
    if go_backwards and return_sequences:
        x = ReverseTime(name="reverse_time")(x)
    outputs = _output_layer(x, output_units, output_activation, per_step=return_sequences)
    return keras.Model(inputs, outputs, name=name)


def build_stacked_lstm(input_shape, output_units, units=(20, 20), output_activation=None,
                       dropout=0.0, *, unroll=False, name="stacked_lstm"):
    """A Stacked LSTM: several LSTM layers, each feeding its whole sequence to the next.

    Architecture: ``inputs (timesteps, features) -> LSTM(units[0], return_sequences=True)
    "lstm_1" -> ... -> LSTM(units[-1]) "lstm_N" -> Dense(output_units) "output"``. Every
    LSTM but the last returns sequences, because an LSTM layer needs a 3-D input.

    Introduced in Chapter 7 (the damped sine wave: ``LSTM(20) -> LSTM(20) -> Dense(5)``).

    Args:
        input_shape: ``(timesteps, features)``; ``timesteps`` may be ``None``.
        output_units: size of the output, e.g. the 5 next values of a series.
        units: one positive int per LSTM layer (at least one), bottom layer first.
        output_activation: activation of the output layer; ``None`` is linear, as the
            book's regression uses.
        dropout: fraction of each LSTM layer's inputs dropped during training, in [0, 1).
        unroll: unroll the LSTM's loop over time (Keras's ``unroll``). Needs a fixed
            ``timesteps``; on a CPU it makes short sequences train several times faster,
            at the cost of memory and a longer first compile.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping ``(batch, timesteps, features)`` to
        ``(batch, output_units)``.

    Examples:
        >>> model = build_stacked_lstm((50, 1), output_units=5)
        >>> model.output_shape, [layer.name for layer in model.layers]
        ((None, 5), ['inputs', 'lstm_1', 'lstm_2', 'output'])
    """
    input_shape = _check_sequence_shape(input_shape)
    output_units, unroll = _check_common(output_units, output_activation, name, unroll, input_shape[0])
    units = _checks.check_ints(units, "units", None)
    for width, layer_units in zip((input_shape[1], *units), units, strict=False):
        _check_units(layer_units, "units", width)
    dropout = _checks.check_number(dropout, "dropout", 0.0, 1.0, include="left")

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    for i, size in enumerate(units, start=1):
        x = keras.layers.LSTM(int(size), return_sequences=i < len(units), dropout=dropout,
                              unroll=unroll, name=f"lstm_{i}")(x)
    outputs = _output_layer(x, output_units, output_activation, per_step=False)
    return keras.Model(inputs, outputs, name=name)


def build_cnn_lstm(frame_shape, output_units=1, filters=2, kernel_size=(2, 2), pool_size=(2, 2),
                   units=50, output_activation="sigmoid", timesteps=None, *, pool_padding="valid",
                   unroll=False, frames_per_call=None, name="cnn_lstm"):
    """A CNN LSTM: a small CNN reads each frame, an LSTM reads the sequence of features.

    Architecture, for a video ``(timesteps, rows, cols, channels)``: a per-frame CNN,
    ``keras.Sequential`` "frame_cnn" of ``Conv2D(filters, kernel_size, relu) "conv2d" ->
    MaxPooling2D(pool_size) "max_pooling2d" -> Flatten "flatten"``, wrapped in
    ``TimeDistributed`` "cnn", then ``LSTM(units) "lstm" -> Dense(output_units,
    output_activation) "output"``. ``TimeDistributed`` applies the same CNN, with the same
    weights, to every frame; the builder uses ``BatchedTimeDistributed``, which does
    so on many frames in one call. The book wraps each of the three layers in a
    ``TimeDistributed`` of its own; one wrapper around the whole CNN computes the same
    thing and lets a group of frames go through all three layers together. Reach the
    layers with ``model.get_layer("cnn").layer.get_layer("conv2d")``.

    Introduced in Chapter 8 (the moving line: ``Conv2D(2, (2, 2)) -> MaxPooling2D(2, 2)
    -> Flatten -> LSTM(50) -> Dense(1, sigmoid)`` on 50 frames of 50x50x1).

    Args:
        frame_shape: one frame, ``(rows, cols, channels)``.
        output_units: size of the output (1 for a binary label).
        filters: convolution filters.
        kernel_size: convolution window, an int or ``(rows, cols)``.
        pool_size: max-pooling window, an int or ``(rows, cols)``.
        pool_padding: the pooling's ``padding``, ``"valid"`` (the book's, and Keras's
            default) or ``"same"``. With ``"valid"``, rows and columns left over after the
            last whole window are dropped: on a 50x50 frame, the 2x2 convolution's 49x49
            output pools to 24x24 and the frame's last row and column are never seen.
            ``"same"`` pools them too (25x25). Chapter 8 uses ``"same"``.
        units: LSTM memory cells.
        output_activation: activation of the output layer.
        timesteps: frames per video, or ``None`` for videos of any length.
        unroll: unroll the LSTM's loop over time (Keras's ``unroll``). Needs a fixed
            ``timesteps``; on a CPU it makes short sequences train several times faster,
            at the cost of memory and a longer first compile.
        frames_per_call: the most frames the CNN reads in one call (``steps_per_call`` of
            ``BatchedTimeDistributed``), or None for all of them. The model computes
            the same either way; Chapter 8's 50 frames train fastest 10 at a time on JAX.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping ``(batch, timesteps, rows, cols, channels)``
        to ``(batch, output_units)``.

    Examples:
        >>> model = build_cnn_lstm((50, 50, 1), timesteps=50)
        >>> model.input_shape, model.get_layer("cnn").output.shape
        ((None, 50, 50, 50, 1), (None, 50, 1152))
    """
    frame_shape = _checks.check_ints(frame_shape, "frame_shape", 3, shape=True)
    timesteps = None if timesteps is None else _checks.check_int(timesteps, "timesteps")
    output_units, unroll = _check_common(output_units, output_activation, name, unroll, timesteps)
    filters = _checks.check_int(filters, "filters")
    kernel_size = _checks.check_ints(kernel_size, "kernel_size", 2)
    pool_size = _checks.check_ints(pool_size, "pool_size", 2)
    units = _check_units(units, "units", 1)
    if frames_per_call is not None:
        frames_per_call = _checks.check_int(frames_per_call, "frames_per_call")
    if not isinstance(pool_padding, str) or pool_padding not in ("valid", "same"):
        raise _checks.bad("pool_padding", pool_padding, "'valid' or 'same'",
                          ValueError if isinstance(pool_padding, str) else TypeError)
    conv_rows, conv_cols = (frame_shape[0] - kernel_size[0] + 1, frame_shape[1] - kernel_size[1] + 1)
    if conv_rows < 1 or conv_cols < 1:
        raise ValueError(f"kernel_size must fit in a frame. Received: kernel_size={kernel_size!r} "
                         f"for frame_shape={frame_shape!r}")
    if conv_rows < pool_size[0] or conv_cols < pool_size[1]:
        raise ValueError(f"pool_size must fit in the convolved frame ({conv_rows}, {conv_cols}). "
                         f"Received: pool_size={pool_size!r}")

    frame_cnn = keras.Sequential([
        keras.Input(shape=frame_shape, name="frame"),
        keras.layers.Conv2D(filters, kernel_size, activation="relu", name="conv2d"),
        keras.layers.MaxPooling2D(pool_size, padding=pool_padding, name="max_pooling2d"),
        keras.layers.Flatten(name="flatten"),
    ], name="frame_cnn")
    inputs = keras.Input(shape=(timesteps, *frame_shape), name="inputs")
    x = BatchedTimeDistributed(frame_cnn, steps_per_call=frames_per_call, name="cnn")(inputs)
    x = keras.layers.LSTM(units, unroll=unroll, name="lstm")(x)
    outputs = _output_layer(x, output_units, output_activation, per_step=False)
    return keras.Model(inputs, outputs, name=name)


def build_encoder_decoder_lstm(input_shape, output_timesteps, output_units, encoder_units=75,
                               decoder_units=50, output_activation="softmax", *, unroll=False,
                               name="encoder_decoder_lstm"):
    """An Encoder-Decoder LSTM: read a whole input sequence, then write an output sequence.

    Architecture: ``inputs (timesteps, features) -> LSTM(encoder_units) "encoder_lstm"``
    (one fixed-size vector for the whole input) ``-> RepeatVector(output_timesteps)
    "repeat" -> LSTM(decoder_units, return_sequences=True) "decoder_lstm" ->
    TimeDistributed(Dense(output_units, output_activation)) "output"``. Input and output
    lengths are independent.

    Introduced in Chapter 9 (adding numbers as characters: 8 characters in, 2 out,
    ``LSTM(75) -> RepeatVector(2) -> LSTM(50) -> TimeDistributed(Dense(12, softmax))``).

    Args:
        input_shape: ``(timesteps, features)``; ``timesteps`` may be ``None``.
        output_timesteps: length of the output sequence.
        output_units: size of each output step, e.g. 12 one-hot characters.
        encoder_units: memory cells of the encoder LSTM.
        decoder_units: memory cells of the decoder LSTM.
        output_activation: activation of the per-step output layer.
        unroll: unroll the LSTM's loop over time (Keras's ``unroll``). Needs a fixed
            ``timesteps``; on a CPU it makes short sequences train several times faster,
            at the cost of memory and a longer first compile.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping ``(batch, timesteps, features)`` to
        ``(batch, output_timesteps, output_units)``.

    Examples:
        >>> build_encoder_decoder_lstm((8, 12), output_timesteps=2, output_units=12).output_shape
        (None, 2, 12)
    """
    input_shape = _check_sequence_shape(input_shape)
    output_units, unroll = _check_common(output_units, output_activation, name, unroll, input_shape[0])
    output_timesteps = _checks.check_int(output_timesteps, "output_timesteps")
    encoder_units = _check_units(encoder_units, "encoder_units", input_shape[1])
    decoder_units = _check_units(decoder_units, "decoder_units", encoder_units)

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.LSTM(encoder_units, unroll=unroll, name="encoder_lstm")(inputs)
    x = keras.layers.RepeatVector(output_timesteps, name="repeat")(x)
    x = keras.layers.LSTM(decoder_units, return_sequences=True, unroll=unroll,
                          name="decoder_lstm")(x)
    outputs = _output_layer(x, output_units, output_activation, per_step=True)
    return keras.Model(inputs, outputs, name=name)


def build_bidirectional_lstm(input_shape, output_units=1, units=50, merge_mode="concat",
                             return_sequences=True, output_activation="sigmoid", *, unroll=False,
                             name="bidirectional_lstm"):
    """A Bidirectional LSTM: one LSTM reads forwards, a second reads backwards.

    Architecture: ``inputs (timesteps, features) -> Bidirectional(LSTM(units),
    merge_mode) "bidirectional_lstm" -> TimeDistributed(Dense(output_units,
    output_activation)) "output"`` (or a plain ``Dense`` "output" with
    ``return_sequences=False``). At each step the two LSTMs' outputs are merged by
    ``merge_mode``: ``"concat"`` (``2 * units`` features), ``"sum"``, ``"mul"`` or
    ``"ave"`` (``units`` features). For a forward-only or backward-only comparison model,
    use ``build_vanilla_lstm`` with ``return_sequences=True`` and ``go_backwards``.

    Introduced in Chapter 10 (cumulative sum: 10 steps in, one 0/1 per step,
    ``Bidirectional(LSTM(50)) -> TimeDistributed(Dense(1, sigmoid))``).

    Args:
        input_shape: ``(timesteps, features)``; ``timesteps`` may be ``None``.
        output_units: size of each output.
        units: memory cells in each direction.
        merge_mode: one of ``MERGE_MODES``.
        return_sequences: predict at every step (the book) or once at the end.
        output_activation: activation of the output layer.
        unroll: unroll the LSTM's loop over time (Keras's ``unroll``). Needs a fixed
            ``timesteps``; on a CPU it makes short sequences train several times faster,
            at the cost of memory and a longer first compile.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping ``(batch, timesteps, features)`` to
        ``(batch, timesteps, output_units)``, or ``(batch, output_units)`` with
        ``return_sequences=False``.

    Examples:
        >>> build_bidirectional_lstm((10, 1)).output_shape
        (None, 10, 1)
        >>> build_bidirectional_lstm((None, 1), merge_mode="sum").get_layer("bidirectional_lstm").output.shape
        (None, None, 50)
    """
    input_shape = _check_sequence_shape(input_shape)
    output_units, unroll = _check_common(output_units, output_activation, name, unroll, input_shape[0])
    units = _check_units(units, "units", input_shape[1])
    return_sequences = _checks.check_bool(return_sequences, "return_sequences")
    _checks.check_choice(merge_mode, "merge_mode", MERGE_MODES)

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Bidirectional(
        keras.layers.LSTM(units, return_sequences=return_sequences, unroll=unroll, name="lstm"),
        merge_mode=merge_mode, name="bidirectional_lstm")(inputs)
    outputs = _output_layer(x, output_units, output_activation, per_step=return_sequences)
    return keras.Model(inputs, outputs, name=name)


def build_generative_lstm(input_shape=(1, 2), output_units=2, units=10, output_activation="linear", *,
                          unroll=False, name="generative_lstm"):
    """A Generative LSTM: predict the next step, then feed the prediction back in.

    Architecture: ``inputs (timesteps, features) -> LSTM(units) "lstm" ->
    Dense(output_units, output_activation) "output"``. The same layers as a vanilla LSTM;
    what makes it generative is how it is used: trained to predict step ``t + 1`` from
    step ``t``, then run in a loop that feeds each output back as the next input.

    Introduced in Chapter 11 (drawing rectangles: one ``[x, y]`` corner in, the next
    corner out, ``LSTM(10) -> Dense(2)``).

    Args:
        input_shape: ``(timesteps, features)``; the book uses one step of two
            coordinates. ``timesteps`` may be ``None``.
        output_units: size of the output (2 coordinates).
        units: LSTM memory cells.
        output_activation: activation of the output layer (linear for coordinates).
        unroll: unroll the LSTM's loop over time (Keras's ``unroll``). Needs a fixed
            ``timesteps``; on a CPU it makes short sequences train several times faster,
            at the cost of memory and a longer first compile.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping ``(batch, timesteps, features)`` to
        ``(batch, output_units)``.

    Examples:
        >>> build_generative_lstm().output_shape
        (None, 2)
    """
    input_shape = _check_sequence_shape(input_shape)
    output_units, unroll = _check_common(output_units, output_activation, name, unroll, input_shape[0])
    units = _check_units(units, "units", input_shape[1])

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.LSTM(units, unroll=unroll, name="lstm")(inputs)
    outputs = _output_layer(x, output_units, output_activation, per_step=False)
    return keras.Model(inputs, outputs, name=name)
