"""lstmbook.models.StatefulLSTM: a stateful LSTM whose state carries on every backend.

Each test runs on the backend of the session (make test, make test BACKEND=jax). The
reference for "stateful" is the same weights run statelessly over the whole sequence at
once: step t of that equals batch t of a stateful run that started from zeros.
"""

import subprocess
import sys

import keras
import numpy as np
import pytest

from lstmbook.models import StatefulLSTM

UNITS = 3
ROWS = 6
X = np.linspace(-1.0, 1.0, ROWS).reshape(ROWS, 1, 1).astype("float32")  # one step per row
Y = np.cos(3 * X[:, 0, 0]).reshape(ROWS, 1)


def stateful_model(layer=StatefulLSTM, seed=1, **kwargs):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(batch_shape=(1, 1, 1), name="inputs")
    if layer is keras.layers.LSTM:
        kwargs["stateful"] = True
    hidden = layer(UNITS, name="lstm", **kwargs)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="output")(hidden), name="stateful")
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(0.0))  # fit moves the state only
    return model


def reference(model, x):
    """The model's weights run statelessly over ``x`` as one sequence: (outputs per step, (h, c))."""
    inputs = keras.Input(shape=(len(x), 1))
    lstm = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
    sequence, h, c = lstm(inputs)
    dense = keras.layers.Dense(1)
    unrolled = keras.Model(inputs, [dense(sequence), h, c])
    lstm.set_weights(model.get_layer("lstm").get_weights())
    dense.set_weights(model.get_layer("output").get_weights())
    outputs, h, c = unrolled.predict(x.reshape(1, len(x), 1), verbose=0)
    return outputs.reshape(len(x), 1), (h, c)


def state(model):
    return [keras.ops.convert_to_numpy(v) for v in model.get_layer("lstm").states]


def test_predict_carries_the_state_from_batch_to_batch():
    model = stateful_model()
    expected, (h, c) = reference(model, X)
    np.testing.assert_allclose(model.predict(X, batch_size=1, verbose=0), expected, atol=1e-6)
    np.testing.assert_allclose(state(model)[0], h, atol=1e-6)
    np.testing.assert_allclose(state(model)[1], c, atol=1e-6)
    # The same row twice gives two different answers: the second starts from the first's state.
    model.get_layer("lstm").reset_state()
    first, second = (float(model.predict(X[:1], verbose=0)[0, 0]) for _ in range(2))
    assert first != second


def test_predict_on_batch_and_calls_carry_the_state():
    model = stateful_model()
    expected, _ = reference(model, X)
    by_batch = np.concatenate([model.predict_on_batch(X[i:i + 1]) for i in range(ROWS)])
    np.testing.assert_allclose(by_batch, expected, atol=1e-6)
    model.get_layer("lstm").reset_state()
    by_call = np.concatenate([keras.ops.convert_to_numpy(model(X[i:i + 1])) for i in range(ROWS)])
    np.testing.assert_allclose(by_call, expected, atol=1e-6)


def test_evaluate_and_fit_carry_the_state():
    model = stateful_model()
    expected, (h, c) = reference(model, X)
    loss = model.evaluate(X, Y, batch_size=1, verbose=0)
    assert loss == pytest.approx(float(np.mean((expected - Y) ** 2)), rel=1e-5)
    np.testing.assert_allclose(state(model)[1], c, atol=1e-6)
    model.get_layer("lstm").reset_state()
    history = model.fit(X, Y, batch_size=1, epochs=1, shuffle=False, verbose=0)  # learning rate 0
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(state(model)[0], h, atol=1e-6)
    np.testing.assert_allclose(state(model)[1], c, atol=1e-6)


def test_reset_state_starts_again_from_zeros():
    model = stateful_model()
    first = model.predict(X, batch_size=1, verbose=0)
    assert np.abs(state(model)[1]).sum() > 0
    model.get_layer("lstm").reset_state()
    assert all(np.abs(s).sum() == 0 for s in state(model))
    np.testing.assert_allclose(model.predict(X, batch_size=1, verbose=0), first, atol=1e-7)


def test_the_state_is_tracked_but_is_not_a_weight():
    """Pins the Keras internals the layer rests on: ``states`` and ``Layer._track_variable``."""
    model, plain = stateful_model(), stateful_model(keras.layers.LSTM)
    layer = model.get_layer("lstm")
    assert len(layer.states) == 2  # (h, c), made by keras.layers.RNN at build
    tracked = {id(v) for v in model.non_trainable_variables}
    assert all(id(s) in tracked for s in layer.states)  # what JAX's trainer threads
    assert len(model.get_weights()) == len(plain.get_weights()) == 5
    assert model.count_params() == plain.count_params()
    assert [w.path for w in model.weights] == [w.path for w in plain.weights]


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="Keras's own stateful LSTM carries its "
                    "state on TensorFlow only (the reason for StatefulLSTM)")
def test_the_outputs_equal_keras_stateful_lstm_on_tensorflow():
    ours, keras_own = stateful_model(unroll=True), stateful_model(keras.layers.LSTM, unroll=True)
    for a, b in zip(ours.get_weights(), keras_own.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the same seed, the same initial weights
    np.testing.assert_array_equal(ours.predict(X, batch_size=1, verbose=0),
                                  keras_own.predict(X, batch_size=1, verbose=0))
    ours.compile(loss="mse", optimizer="adam")
    keras_own.compile(loss="mse", optimizer="adam")
    for model in (ours, keras_own):
        model.get_layer("lstm").reset_state()
        model.fit(X, Y, batch_size=1, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), keras_own.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(state(ours)[1], state(keras_own)[1])


def test_a_keras_file_loads_in_plain_keras_after_import_lstmbook(tmp_path):
    model = stateful_model()
    expected = model.predict(X, batch_size=1, verbose=0)
    model.save(tmp_path / "stateful.keras")
    code = ("import keras, numpy as np, lstmbook\n"
            f"model = keras.models.load_model({str(tmp_path / 'stateful.keras')!r})\n"
            "layer = model.get_layer('lstm')\n"
            "assert type(layer).__name__ == 'StatefulLSTM' and layer.stateful\n"
            "assert all(float(np.abs(keras.ops.convert_to_numpy(s)).sum()) == 0 for s in layer.states)\n"
            f"np.save({str(tmp_path / 'loaded.npy')!r}, "
            f"model.predict(np.linspace(-1, 1, {ROWS}).reshape({ROWS}, 1, 1), batch_size=1, verbose=0))\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    np.testing.assert_allclose(np.load(tmp_path / "loaded.npy"), expected, atol=1e-6)


def test_stateful_cannot_be_turned_off():
    with pytest.raises(ValueError, match="stateful"):
        StatefulLSTM(2, stateful=False)
    assert StatefulLSTM.from_config(StatefulLSTM(2).get_config()).stateful
