"""The NumPy reference LSTM (lstmbook.cell) against the equations and against keras.layers.LSTM."""

import keras
import numpy as np
import pytest

from lstmbook import cell


def keras_lstm(features, units, timesteps, weights=None, use_bias=True, seed=0):
    """A built LSTM layer returning every step and the final state, with the given weights."""
    keras.utils.set_random_seed(seed)
    layer = keras.layers.LSTM(units, return_sequences=True, return_state=True, use_bias=use_bias,
                              name="lstm")
    layer.build((None, timesteps, features))
    if weights is not None:
        arrays = weights.to_keras()
        layer.set_weights(arrays if use_bias else arrays[:2])
    return layer


@pytest.mark.parametrize(("features", "units", "timesteps"),
                         [(1, 1, 7), (3, 4, 10), (5, 16, 12), (2, 8, 1)])
def test_forward_matches_keras(features, units, timesteps):
    weights = cell.random_weights(features, units, seed=features * 100 + units)
    layer = keras_lstm(features, units, timesteps, weights)
    x = np.random.default_rng(1).normal(size=(6, timesteps, features)).astype("float32")
    sequences, h_last, c_last = (keras.ops.convert_to_numpy(a) for a in layer(x))
    trace = cell.lstm_forward(x, cell.weights_from_keras(layer))
    assert trace.h.shape == (6, timesteps, units)
    np.testing.assert_allclose(trace.h, sequences, atol=1e-5)
    np.testing.assert_allclose(trace.h[:, -1], h_last, atol=1e-5)
    np.testing.assert_allclose(trace.c[:, -1], c_last, atol=1e-5)


def test_forward_matches_keras_with_initial_state_and_no_bias():
    weights = cell.random_weights(3, 5, seed=7)
    weights = weights._replace(b={g: np.zeros(5) for g in cell.GATES})
    layer = keras_lstm(3, 5, 4, weights, use_bias=False)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    h0, c0 = (rng.normal(size=(2, 5)).astype("float32") for _ in range(2))
    sequences, _, c_last = (keras.ops.convert_to_numpy(a) for a in layer(x, initial_state=[h0, c0]))
    from_keras = cell.weights_from_keras(layer)
    assert all(not b.any() for b in from_keras.b.values())
    trace = cell.lstm_forward(x, from_keras, h0=h0, c0=c0)
    np.testing.assert_allclose(trace.h, sequences, atol=1e-5)
    np.testing.assert_allclose(trace.c[:, -1], c_last, atol=1e-5)


def test_weights_from_keras_follows_keras_gate_order():
    layer = keras_lstm(2, 3, 1)
    kernel, recurrent, bias = layer.get_weights()
    weights = cell.weights_from_keras(layer)
    np.testing.assert_array_equal(weights.W["i"], kernel[:, 0:3])
    np.testing.assert_array_equal(weights.W["f"], kernel[:, 3:6])
    np.testing.assert_array_equal(weights.U["c"], recurrent[:, 6:9])
    np.testing.assert_array_equal(weights.U["o"], recurrent[:, 9:12])
    # Keras initialises the forget gate's bias to one (unit_forget_bias) and the rest to zero.
    assert weights.b["f"].tolist() == [1.0, 1.0, 1.0]
    assert not np.concatenate([weights.b["i"], weights.b["c"], weights.b["o"]]).any()
    for ours, theirs in zip(weights.to_keras(), (kernel, recurrent, bias), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_step_is_the_written_equations():
    # One unit, one feature, hand-picked weights: every gate computed by hand.
    weights = cell.split_gates(kernel=[[0.5, -1.0, 2.0, 0.25]], recurrent_kernel=[[0.1, 0.2, -0.3, 0.4]],
                               bias=[0.0, 1.0, 0.5, -0.5])
    x, h, c = 0.8, 0.3, -0.6
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    i = sig(0.5 * x + 0.1 * h + 0.0)
    f = sig(-1.0 * x + 0.2 * h + 1.0)
    c_tilde = np.tanh(2.0 * x - 0.3 * h + 0.5)
    o = sig(0.25 * x + 0.4 * h - 0.5)
    c_new = f * c + i * c_tilde
    step = cell.lstm_step([[x]], [[h]], [[c]], weights)
    expected = {"i": i, "f": f, "c_tilde": c_tilde, "o": o, "c": c_new, "h": o * np.tanh(c_new)}
    for name, value in expected.items():
        assert getattr(step, name)[0, 0] == pytest.approx(value, abs=1e-12), name


def test_forward_is_repeated_steps():
    weights = cell.random_weights(2, 3, seed=3)
    x = np.random.default_rng(4).normal(size=(5, 6, 2))
    trace = cell.lstm_forward(x, weights)
    h = c = None
    for t in range(6):
        step = cell.lstm_step(x[:, t], h, c, weights)
        h, c = step.h, step.c
        for name in cell.LSTMStep._fields:
            np.testing.assert_allclose(getattr(trace, name)[:, t], getattr(step, name), atol=1e-12)
    # Gates are squashed into (0, 1), the candidate into (-1, 1), and |h| <= 1.
    for gate in (trace.f, trace.i, trace.o):
        assert ((gate > 0) & (gate < 1)).all()
    assert (np.abs(trace.c_tilde) < 1).all() and (np.abs(trace.h) < 1).all()


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise"):
        values = cell.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert values.tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize(("kernel", "recurrent", "bias", "message"), [
    (np.zeros((3, 8)), np.zeros((2, 7)), None, "recurrent_kernel must be"),
    (np.zeros((3, 12)), np.zeros((2, 8)), None, "kernel must be"),
    (np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(6), "bias must be"),
    (np.zeros(8), np.zeros((2, 8)), None, "kernel"),
    (np.zeros((3, 8)), np.full((2, 8), np.nan), None, "recurrent_kernel"),
])
def test_split_gates_rejects_bad_shapes(kernel, recurrent, bias, message):
    with pytest.raises(ValueError, match=message) as info:
        cell.split_gates(kernel, recurrent, bias)
    assert "Received" in str(info.value)


def test_bad_inputs_raise_clear_errors():
    weights = cell.random_weights(3, 4, seed=0)
    with pytest.raises(ValueError, match=r"features=3.*\(2, 5, 2\)"):
        cell.lstm_forward(np.zeros((2, 5, 2)), weights)
    with pytest.raises(ValueError, match="x"):
        cell.lstm_forward(np.zeros((5, 3)), weights)
    with pytest.raises(ValueError, match=r"h0 must be \(batch, units\) = \(2, 4\)"):
        cell.lstm_forward(np.zeros((2, 5, 3)), weights, h0=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="x_t must be"):
        cell.lstm_step(np.zeros((2, 4)), None, None, weights)
    with pytest.raises(TypeError, match="weights must be an LSTMWeights"):
        cell.lstm_forward(np.zeros((2, 5, 3)), weights.to_keras())
    with pytest.raises(ValueError, match="units"):
        cell.random_weights(3, 0)


def test_weights_from_keras_rejects_what_the_equations_do_not_cover():
    with pytest.raises(TypeError, match="keras.layers.LSTM"):
        cell.weights_from_keras(keras.layers.GRU(3))
    with pytest.raises(ValueError, match="must be built"):
        cell.weights_from_keras(keras.layers.LSTM(3))
    layer = keras.layers.LSTM(3, activation="relu")
    layer.build((None, 2, 1))
    with pytest.raises(ValueError, match="activation='relu'"):
        cell.weights_from_keras(layer)


def test_hand_built_weights_are_checked_gate_by_gate():
    weights = cell.random_weights(3, 4, seed=0)
    x = np.zeros((2, 5, 3))
    wrong_shape = weights._replace(U={**weights.U, "f": np.zeros((4, 5))})
    with pytest.raises(ValueError, match=r"weights.U\['f'\] must be \(units, units\) = \(4, 4\).*\(4, 5\)"):
        cell.lstm_forward(x, wrong_shape)
    missing_gate = weights._replace(b={"i": weights.b["i"]})
    with pytest.raises(ValueError, match=r"weights.b must be a dict with one array per gate.*\['i'\]"):
        cell.lstm_step(x[:, 0], None, None, missing_gate)
    with pytest.raises(TypeError, match=r"weights.W\['o'\]"):
        cell.lstm_forward(x, weights._replace(W={**weights.W, "o": "zeros"}))
    # Lists are fine: they are turned into float64 arrays and give the same trace.
    as_lists = cell.LSTMWeights(*({g: a.tolist() for g, a in blocks.items()} for blocks in weights))
    np.testing.assert_array_equal(cell.lstm_forward(x, as_lists).h, cell.lstm_forward(x, weights).h)


def test_sigmoid_and_random_weights_reject_bad_arguments():
    with pytest.raises(TypeError, match="z"):
        cell.sigmoid("one")
    assert cell.sigmoid([-np.inf, np.inf]).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="scale"):
        cell.random_weights(2, 3, scale=np.inf)
    with pytest.raises(ValueError, match="seed"):
        cell.random_weights(2, 3, seed=-1)
    same = [cell.random_weights(2, 3, scale=np.float32(0.1), seed=5).W["c"] for _ in range(2)]
    np.testing.assert_array_equal(*same)


def test_set_forget_bias_sets_only_the_forget_bias():
    layer = keras_lstm(2, 4, 3)
    kernel, recurrent, bias = layer.get_weights()
    assert cell.set_forget_bias(layer, 5.0) is layer
    kernel2, recurrent2, bias2 = layer.get_weights()
    np.testing.assert_array_equal(kernel, kernel2)
    np.testing.assert_array_equal(recurrent, recurrent2)
    forget = np.s_[4:8]  # Keras's order i, f, c, o
    assert (bias2[forget] == 5.0).all()
    np.testing.assert_array_equal(np.delete(bias2, forget), np.delete(bias, forget))
    # The NumPy cell sees the open gate: f_t = sigmoid(5 + ...) stays near 0.993 on small inputs.
    trace = cell.lstm_forward(np.zeros((1, 3, 2)), cell.weights_from_keras(layer))
    np.testing.assert_allclose(trace.f[:, 0], cell.sigmoid(5.0), rtol=1e-6)


def test_set_forget_bias_per_unit_and_bad_arguments():
    layer = keras_lstm(1, 3, 2)
    cell.set_forget_bias(layer, [1.0, 2.0, 3.0])
    assert cell.weights_from_keras(layer).b["f"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match=r"bias must be a number or an array \(units,\) = \(3,\)"):
        cell.set_forget_bias(layer, [1.0, 2.0])
    with pytest.raises(ValueError, match="bias"):
        cell.set_forget_bias(layer, np.inf)
    with pytest.raises(TypeError, match="bias"):
        cell.set_forget_bias(layer, "open")
    with pytest.raises(TypeError, match="keras.layers.LSTM"):
        cell.set_forget_bias(keras.layers.GRU(3), 5.0)
    with pytest.raises(ValueError, match="must be built"):
        cell.set_forget_bias(keras.layers.LSTM(3), 5.0)
    no_bias = keras_lstm(1, 3, 2, use_bias=False)
    with pytest.raises(ValueError, match="use_bias=False"):
        cell.set_forget_bias(no_bias, 5.0)
    assert cell.weights_from_keras(layer).b["f"].tolist() == [1.0, 2.0, 3.0]  # a refusal changes nothing
