"""A NumPy reference LSTM: the gate equations of Chapter 1, checked against Keras.

The book describes the LSTM memory cell in words (Chapter 1, "What are LSTMs"):
a *forget gate* decides what to drop from the cell state, an *input gate* what to
write into it, a *candidate* proposes the new content and an *output gate* what
to show as the hidden state. This module writes those words as code, one line per
equation, in float64 NumPy, so that a reader can step through a cell and look at
every gate. For input ``x_t`` of shape ``(batch, features)`` and the previous state
``h_{t-1}``, ``c_{t-1}`` of shape ``(batch, units)``::

    f_t  = sigmoid(x_t W_f + h_{t-1} U_f + b_f)     forget gate
    i_t  = sigmoid(x_t W_i + h_{t-1} U_i + b_i)     input gate
    c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c)        candidate cell state
    c_t  = f_t * c_{t-1} + i_t * c~_t               new cell state (the constant error carousel)
    o_t  = sigmoid(x_t W_o + h_{t-1} U_o + b_o)     output gate
    h_t  = o_t * tanh(c_t)                          hidden state (the layer's output)

``*`` is the element-wise product. ``W_g`` is ``(features, units)``, ``U_g`` is
``(units, units)`` and ``b_g`` is ``(units,)`` for each gate ``g``.

``keras.layers.LSTM`` computes exactly this with ``activation="tanh"`` and
``recurrent_activation="sigmoid"`` (its defaults). It stores the four gates side by
side in three arrays, in the order **i, f, c, o**: ``kernel`` ``(features, 4 * units)``,
``recurrent_kernel`` ``(units, 4 * units)`` and ``bias`` ``(4 * units,)``.
``weights_from_keras`` splits them into the per-gate matrices above.

Introduced in Chapter 1.

Examples:
    >>> import numpy as np
    >>> weights = random_weights(features=3, units=4, seed=0)
    >>> trace = lstm_forward(np.zeros((2, 5, 3)), weights)
    >>> trace.h.shape, trace.f.shape
    ((2, 5, 4), (2, 5, 4))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstmbook import _checks
from lstmbook._checks import check_size

__all__ = [
    "GATES",
    "LSTMWeights",
    "LSTMStep",
    "LSTMTrace",
    "sigmoid",
    "split_gates",
    "random_weights",
    "weights_from_keras",
    "set_forget_bias",
    "lstm_step",
    "lstm_forward",
]

#: Keras's gate order inside ``kernel``, ``recurrent_kernel`` and ``bias``:
#: input, forget, candidate ("cell"), output.
GATES = ("i", "f", "c", "o")


def _as_float_array(value, name: str, ndim: int | None = None) -> np.ndarray:
    """``value`` as a non-empty float64 array of finite numbers, of ``ndim`` dimensions if given."""
    return _checks.as_numbers(value, name, None if ndim is None else (ndim,))


def sigmoid(z):
    """The logistic function ``1 / (1 + exp(-z))``, the gates' squashing function.

    Written as ``0.5 * (1 + tanh(z / 2))``, which is the same function but never
    overflows for large ``|z|`` (``exp(-z)`` does, for ``z < -709`` in float64).

    Args:
        z: a number or an array of any shape; ``±inf`` give 0 and 1.

    Returns:
        A float64 array of the shape of ``z``, with values in ``[0, 1]``.

    Raises:
        TypeError: when ``z`` is not numeric.

    Examples:
        >>> sigmoid(np.array([0.0, 100.0, -100.0])).round(6).tolist()
        [0.5, 1.0, 0.0]
    """
    z = _checks.as_numbers(z, "z", allow_empty=True, allow_inf=True)
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class LSTMWeights(NamedTuple):
    """One LSTM layer's weights, split per gate.

    Attributes:
        W: ``{gate: (features, units)}`` input weights for gates ``"i"``, ``"f"``, ``"c"``, ``"o"``.
        U: ``{gate: (units, units)}`` recurrent weights.
        b: ``{gate: (units,)}`` biases (zeros for a layer built with ``use_bias=False``).
    """

    W: dict
    U: dict
    b: dict

    @property
    def features(self) -> int:
        """Input features per step."""
        return int(self.W["i"].shape[0])

    @property
    def units(self) -> int:
        """Number of LSTM units (the size of ``h`` and ``c``)."""
        return int(self.W["i"].shape[1])

    def to_keras(self) -> list:
        """The ``[kernel, recurrent_kernel, bias]`` list that ``keras.layers.LSTM.set_weights`` takes.

        Concatenates the gates in Keras's order (i, f, c, o), as float32. This is the
        inverse of ``weights_from_keras`` for a layer with a bias.

        Examples:
            >>> [w.shape for w in random_weights(features=3, units=4, seed=0).to_keras()]
            [(3, 16), (4, 16), (16,)]
        """
        self = _check_weights(self)  # it may have been built by hand
        return [
            np.concatenate([self.W[g] for g in GATES], axis=1).astype(np.float32),
            np.concatenate([self.U[g] for g in GATES], axis=1).astype(np.float32),
            np.concatenate([self.b[g] for g in GATES], axis=0).astype(np.float32),
        ]


class LSTMStep(NamedTuple):
    """Every activation of one LSTM step; each is ``(batch, units)``.

    Attributes:
        f: forget gate ``f_t``.
        i: input gate ``i_t``.
        c_tilde: candidate cell state ``c~_t``.
        c: new cell state ``c_t``.
        o: output gate ``o_t``.
        h: new hidden state ``h_t``.
    """

    f: np.ndarray
    i: np.ndarray
    c_tilde: np.ndarray
    c: np.ndarray
    o: np.ndarray
    h: np.ndarray


class LSTMTrace(NamedTuple):
    """Every activation over a whole sequence; each is ``(batch, timesteps, units)``.

    ``h`` is what ``keras.layers.LSTM(return_sequences=True)`` returns, ``h[:, -1]``
    what it returns by default, and ``(h[:, -1], c[:, -1])`` its final state.
    """

    f: np.ndarray
    i: np.ndarray
    c_tilde: np.ndarray
    c: np.ndarray
    o: np.ndarray
    h: np.ndarray


def split_gates(kernel, recurrent_kernel, bias=None) -> LSTMWeights:
    """Split Keras-layout LSTM weights into per-gate matrices.

    Keras stacks the four gates along the last axis in the order i, f, c, o, so the
    columns ``[k * units:(k + 1) * units]`` of each array belong to gate ``GATES[k]``.

    Args:
        kernel: ``(features, 4 * units)``, the input weights ``[W_i | W_f | W_c | W_o]``.
        recurrent_kernel: ``(units, 4 * units)``, the recurrent weights ``[U_i | U_f | U_c | U_o]``.
        bias: ``(4 * units,)``, ``[b_i | b_f | b_c | b_o]``; ``None`` means no bias (zeros).

    Returns:
        An ``LSTMWeights`` with ``W[g]`` ``(features, units)``, ``U[g]`` ``(units, units)``
        and ``b[g]`` ``(units,)`` for each gate ``g`` in ``GATES``.

    Raises:
        ValueError: when the shapes do not fit together as an LSTM's weights.

    Examples:
        >>> w = split_gates(np.zeros((3, 8)), np.zeros((2, 8)), np.arange(8.0))
        >>> w.features, w.units, w.b["f"].tolist()
        (3, 2, [2.0, 3.0])
    """
    kernel = _as_float_array(kernel, "kernel", 2)
    recurrent_kernel = _as_float_array(recurrent_kernel, "recurrent_kernel", 2)
    units = recurrent_kernel.shape[0]
    if recurrent_kernel.shape[1] != 4 * units:
        raise ValueError(
            "recurrent_kernel must be (units, 4 * units): one (units, units) block per gate i, f, c, o. "
            f"Received: recurrent_kernel with shape {recurrent_kernel.shape}")
    if kernel.shape[1] != 4 * units:
        raise ValueError(
            f"kernel must be (features, 4 * units) = (features, {4 * units}) to match "
            f"recurrent_kernel's {units} units. Received: kernel with shape {kernel.shape}")
    if bias is None:
        bias = np.zeros(4 * units)
    bias = _as_float_array(bias, "bias", 1)
    if bias.shape != (4 * units,):
        raise ValueError(f"bias must be (4 * units,) = ({4 * units},). "
                         f"Received: bias with shape {bias.shape}")
    blocks = {name: np.split(array, 4, axis=-1) for name, array in
              (("W", kernel), ("U", recurrent_kernel), ("b", bias))}
    return LSTMWeights(*({g: block[k].copy() for k, g in enumerate(GATES)}
                         for block in (blocks["W"], blocks["U"], blocks["b"])))


def random_weights(features: int, units: int, scale: float = 0.5, seed=None) -> LSTMWeights:
    """Random per-gate weights drawn from ``N(0, scale**2)``, biases included.

    Useful to compare this cell with Keras on weights that are not Keras's own
    initialisation (whose biases are all zero except the forget gate's ones).

    Args:
        features: input features per step (positive int).
        units: LSTM units (positive int).
        scale: standard deviation of the normal draws (a positive, finite number).
        seed: a non-negative int for ``np.random.default_rng``, so that the same seed
            gives the same weights; ``None`` draws fresh ones.

    Returns:
        An ``LSTMWeights``.

    Raises:
        ValueError: when an argument is out of range or of the wrong type.

    Examples:
        >>> w = random_weights(features=2, units=3, seed=1)
        >>> w.W["o"].shape, w.U["o"].shape, w.b["o"].shape
        ((2, 3), (3, 3), (3,))
    """
    features, units = _checks.check_int(features, "features"), _checks.check_int(units, "units")
    scale = _checks.check_number(scale, "scale", 0.0, include="neither")
    seed = None if seed is None else _checks.check_int(seed, "seed", minimum=0)
    check_size(4 * units * (features + units + 1), features=features, units=units)
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore", invalid="ignore"):
        drawn = [rng.normal(0.0, scale, (features, 4 * units)), rng.normal(0.0, scale, (units, 4 * units)),
                 rng.normal(0.0, scale, 4 * units)]
    if not all(np.isfinite(part).all() for part in drawn):
        raise ValueError(f"scale is too large: the draws overflow float64. Received: scale={scale!r}")
    return split_gates(*drawn)


def weights_from_keras(layer) -> LSTMWeights:
    """Read a built ``keras.layers.LSTM``'s weights, split per gate (Keras order i, f, c, o).

    ``kernel[:, :units]`` is ``W_i``, ``kernel[:, units:2 * units]`` is ``W_f``, then
    ``W_c`` and ``W_o``; the same for ``recurrent_kernel`` (``U``) and ``bias`` (``b``).

    Args:
        layer: a built ``keras.layers.LSTM`` with the default activations
            (``activation="tanh"``, ``recurrent_activation="sigmoid"``), which are the
            ones this module's equations use.

    Returns:
        An ``LSTMWeights`` (float64 copies; changing them leaves the layer alone).

    Raises:
        TypeError: when ``layer`` is not a ``keras.layers.LSTM``.
        ValueError: when it is not built yet, or uses other activations.

    Examples:
        >>> import keras
        >>> inputs = keras.Input(shape=(5, 3))
        >>> layer = keras.layers.LSTM(4, name="lstm")
        >>> _ = layer(inputs)
        >>> w = weights_from_keras(layer)
        >>> w.features, w.units, w.b["f"].tolist()  # Keras starts the forget gate's bias at 1
        (3, 4, [1.0, 1.0, 1.0, 1.0])
    """
    # Imported here, not at the top, so that the NumPy cell alone never starts a backend.
    import keras

    if not isinstance(layer, keras.layers.LSTM):
        raise TypeError(f"layer must be a keras.layers.LSTM. Received: layer of type {type(layer).__name__}")
    if not layer.built:
        raise ValueError(f"layer must be built (call it on an input first). Received: unbuilt layer "
                         f"{layer.name!r}")
    cell = layer.cell
    names = (keras.activations.serialize(cell.activation),
             keras.activations.serialize(cell.recurrent_activation))
    if names != ("tanh", "sigmoid"):
        raise ValueError("layer must use activation='tanh' and recurrent_activation='sigmoid', the "
                         f"equations of this module. Received: activation={names[0]!r}, "
                         f"recurrent_activation={names[1]!r}")
    kernel = keras.ops.convert_to_numpy(cell.kernel.value)
    recurrent_kernel = keras.ops.convert_to_numpy(cell.recurrent_kernel.value)
    bias = keras.ops.convert_to_numpy(cell.bias.value) if cell.use_bias else None
    return split_gates(kernel, recurrent_kernel, bias)


def set_forget_bias(layer, bias):
    """Set a built ``keras.layers.LSTM``'s forget-gate bias ``b_f``; every other weight stays.

    The forget gate decides how much of ``c_{t-1}`` the cell keeps: ``c_t = f_t * c_{t-1}
    + i_t * c~_t``. Along the cell state, the error that backpropagation sends one step
    back is multiplied by ``f_t``, so a gate held near 1 passes it back nearly unchanged
    (the *constant error carousel*). A large bias holds it open whatever the input:
    ``sigmoid(5) = 0.993``, so 100 steps keep ``0.993**100 = 0.51`` of the error, where
    Keras's initial bias of 1 (``unit_forget_bias=True``, ``sigmoid(1) = 0.73``) keeps
    ``0.73**100 = 2e-14``.

    The weights are read and written through ``weights_from_keras`` and
    ``LSTMWeights.to_keras``, so that ``b_f`` is found by gate, not by index.

    Introduced in Chapter 2.

    Args:
        layer: a built ``keras.layers.LSTM`` with a bias (``use_bias=True``, the default)
            and the default activations.
        bias: the new ``b_f``, a finite number (every unit) or an array ``(units,)``.

    Returns:
        The layer, changed in place.

    Raises:
        TypeError: when ``layer`` is not a ``keras.layers.LSTM``, or ``bias`` not numeric.
        ValueError: when the layer is not built, has no bias or other activations, or
            ``bias`` has the wrong shape or is not finite.

    Examples:
        >>> import keras
        >>> layer = keras.layers.LSTM(2)
        >>> _ = layer(np.zeros((1, 3, 1)))
        >>> set_forget_bias(layer, 5.0).get_weights()[2].tolist()  # gates i, f, c, o
        [0.0, 0.0, 5.0, 5.0, 0.0, 0.0, 0.0, 0.0]
    """
    weights = weights_from_keras(layer)  # checks the layer's type, that it is built, its activations
    if not layer.cell.use_bias:
        raise ValueError(f"layer must have a bias (use_bias=True) for its forget-gate bias to be set. "
                         f"Received: layer {layer.name!r} with use_bias=False")
    value = _as_float_array(bias, "bias")
    if np.abs(value).max(initial=0.0) > np.finfo(np.float32).max:
        raise ValueError(f"bias must fit in float32, the layer's weights (|bias| <= 3.4e38). "
                         f"Received: bias={_checks.short(bias)}")
    if value.shape not in ((), (weights.units,)):
        raise ValueError(f"bias must be a number or an array (units,) = ({weights.units},). "
                         f"Received: bias with shape {value.shape}")
    weights.b["f"][:] = value
    layer.set_weights(weights.to_keras())
    return layer


def _check_weights(weights) -> LSTMWeights:
    """``weights`` checked gate by gate, as float64 arrays (they may have been built by hand)."""
    if not isinstance(weights, LSTMWeights):
        raise TypeError("weights must be an LSTMWeights (from split_gates, weights_from_keras or "
                        f"random_weights). Received: weights of type {type(weights).__name__}")
    arrays = {}
    for field_name, blocks, ndim in zip(LSTMWeights._fields, weights, (2, 2, 1), strict=True):
        if not isinstance(blocks, dict) or set(blocks) != set(GATES):
            raise ValueError(f"weights.{field_name} must be a dict with one array per gate {GATES}. "
                             f"Received: weights.{field_name}={_checks.short(blocks)}")
        arrays[field_name] = {g: _as_float_array(blocks[g], f"weights.{field_name}[{g!r}]", ndim)
                              for g in GATES}
    features, units = arrays["W"]["i"].shape
    shapes = {"W": ((features, units), "(features, units)"),
              "U": ((units, units), "(units, units)"),
              "b": ((units,), "(units,)")}
    for field_name, (shape, text) in shapes.items():
        for g, array in arrays[field_name].items():
            if array.shape != shape:
                raise ValueError(f"weights.{field_name}[{g!r}] must be {text} = {shape}, as weights.W['i'] "
                                 f"implies. Received: shape {array.shape}")
    return LSTMWeights(**arrays)


def _check_state(state, name: str, batch: int, units: int) -> np.ndarray:
    if state is None:
        return np.zeros((batch, units))
    array = _as_float_array(state, name, 2)
    if array.shape != (batch, units):
        raise ValueError(f"{name} must be (batch, units) = ({batch}, {units}). "
                         f"Received: {name} with shape {array.shape}")
    return array


def _projections(x, weights: LSTMWeights, name: str) -> dict:
    """``x W_g + b_g`` for each gate, or a ValueError naming ``name`` if a sum overflows float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        projections = {g: x @ weights.W[g] + weights.b[g] for g in GATES}
    for p in projections.values():
        _checks.check_finite_result(p, name, "multiply by the weights")
    return projections


def _step(x_proj: dict, h_prev: np.ndarray, c_prev: np.ndarray, weights: LSTMWeights) -> LSTMStep:
    """The six equations, given the input projections ``x_t W_g + b_g`` already computed."""
    f = sigmoid(x_proj["f"] + h_prev @ weights.U["f"])
    i = sigmoid(x_proj["i"] + h_prev @ weights.U["i"])
    c_tilde = np.tanh(x_proj["c"] + h_prev @ weights.U["c"])
    c = f * c_prev + i * c_tilde
    o = sigmoid(x_proj["o"] + h_prev @ weights.U["o"])
    h = o * np.tanh(c)
    return LSTMStep(f=f, i=i, c_tilde=c_tilde, c=c, o=o, h=h)


def lstm_step(x_t, h_prev, c_prev, weights: LSTMWeights) -> LSTMStep:
    """One step of the LSTM cell: the gate equations, in the order the book explains them.

    ::

        f_t  = sigmoid(x_t W_f + h_{t-1} U_f + b_f)
        i_t  = sigmoid(x_t W_i + h_{t-1} U_i + b_i)
        c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c)
        c_t  = f_t * c_{t-1} + i_t * c~_t
        o_t  = sigmoid(x_t W_o + h_{t-1} U_o + b_o)
        h_t  = o_t * tanh(c_t)

    Args:
        x_t: the inputs at step t, ``(batch, features)``.
        h_prev: the hidden state ``h_{t-1}``, ``(batch, units)``; ``None`` means zeros.
        c_prev: the cell state ``c_{t-1}``, ``(batch, units)``; ``None`` means zeros.
        weights: an ``LSTMWeights``.

    Returns:
        An ``LSTMStep`` ``(f, i, c_tilde, c, o, h)``, each ``(batch, units)``.
        Feed ``step.h`` and ``step.c`` back in as the next step's ``h_prev`` and ``c_prev``.

    Examples:
        >>> w = random_weights(features=3, units=2, seed=0)
        >>> step = lstm_step(np.ones((4, 3)), None, None, w)
        >>> step.h.shape, bool((step.f > 0).all() and (step.f < 1).all())
        ((4, 2), True)
    """
    weights = _check_weights(weights)
    x_t = _as_float_array(x_t, "x_t", 2)
    if x_t.shape[1] != weights.features:
        raise ValueError(f"x_t must be (batch, features) with features={weights.features}, as the "
                         f"weights expect. Received: x_t with shape {x_t.shape}")
    h_prev = _check_state(h_prev, "h_prev", x_t.shape[0], weights.units)
    c_prev = _check_state(c_prev, "c_prev", x_t.shape[0], weights.units)
    x_proj = _projections(x_t, weights, "x_t")
    return _step(x_proj, h_prev, c_prev, weights)


def lstm_forward(x, weights: LSTMWeights, h0=None, c0=None) -> LSTMTrace:
    """Run the cell over whole sequences and keep every gate's activation at every step.

    Applies ``lstm_step`` for ``t = 0 … timesteps - 1``, starting from ``h_{-1} = h0``
    and ``c_{-1} = c0`` (zeros by default, as Keras starts). The input projections
    ``x_t W_g + b_g`` of all steps are computed at once; only the recurrence loops over time.

    Args:
        x: inputs ``(batch, timesteps, features)``, the 3-D shape Keras LSTMs take.
        weights: an ``LSTMWeights``, e.g. from ``weights_from_keras``.
        h0: initial hidden state ``(batch, units)`` or ``None``.
        c0: initial cell state ``(batch, units)`` or ``None``.

    Returns:
        An ``LSTMTrace`` ``(f, i, c_tilde, c, o, h)``, each ``(batch, timesteps, units)``.
        ``trace.h`` equals ``keras.layers.LSTM(units, return_sequences=True)`` on ``x``
        with the same weights.

    Examples:
        >>> w = random_weights(features=1, units=3, seed=0)
        >>> trace = lstm_forward(np.ones((2, 4, 1)), w)
        >>> trace.h.shape, trace.c[:, -1].shape
        ((2, 4, 3), (2, 3))
    """
    weights = _check_weights(weights)
    x = _as_float_array(x, "x", 3)
    batch, timesteps, features = x.shape
    if features != weights.features:
        raise ValueError(f"x must be (batch, timesteps, features) with features={weights.features}, as "
                         f"the weights expect. Received: x with shape {x.shape}")
    h = _check_state(h0, "h0", batch, weights.units)
    c = _check_state(c0, "c0", batch, weights.units)
    projections = _projections(x, weights, "x")  # (batch, timesteps, units)
    steps = []
    for t in range(timesteps):  # the recurrence itself is sequential by nature
        step = _step({g: p[:, t] for g, p in projections.items()}, h, c, weights)
        h, c = step.h, step.c
        steps.append(step)
    return LSTMTrace(*(np.stack(arrays, axis=1) for arrays in zip(*steps, strict=True)))
