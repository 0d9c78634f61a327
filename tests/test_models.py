"""The six builders of lstmbook.models: shapes, names, save/load, variable length, bad arguments."""

import keras
import numpy as np
import pytest

from lstmbook import models

# One small case per builder: (builder, args, kwargs, one input sample's shape, output shape
# per sample, the layer names in order). Small units keep the tests fast.
CASES = {
    "vanilla": (models.build_vanilla_lstm, ((5, 10), 10), {"units": 4}, (5, 10), (10,),
                ["inputs", "lstm", "output"]),
    "stacked": (models.build_stacked_lstm, ((12, 1), 5), {"units": (4, 3)}, (12, 1), (5,),
                ["inputs", "lstm_1", "lstm_2", "output"]),
    "cnn": (models.build_cnn_lstm, ((8, 8, 1),), {"units": 4, "timesteps": 6}, (6, 8, 8, 1), (1,),
            ["inputs", "cnn", "lstm", "output"]),
    "encoder_decoder": (models.build_encoder_decoder_lstm, ((8, 12), 2, 12),
                        {"encoder_units": 5, "decoder_units": 4}, (8, 12), (2, 12),
                        ["inputs", "encoder_lstm", "repeat", "decoder_lstm", "output"]),
    "bidirectional": (models.build_bidirectional_lstm, ((10, 1),), {"units": 4}, (10, 1), (10, 1),
                      ["inputs", "bidirectional_lstm", "output"]),
    "generative": (models.build_generative_lstm, (), {"units": 4}, (1, 2), (2,),
                   ["inputs", "lstm", "output"]),
}


def _build(key, **overrides):
    builder, args, kwargs, sample_shape, out_shape, names = CASES[key]
    return builder(*args, **{**kwargs, **overrides}), sample_shape, out_shape, names


def _run(model, x):
    """Call the model eagerly (quicker than predict's compiled function for one small batch)."""
    return keras.ops.convert_to_numpy(model(x))


def _inputs(shape, n=3, seed=0):
    return np.random.default_rng(seed).random((n, *shape)).astype("float32")


@pytest.mark.parametrize("key", list(CASES))
def test_builder_shapes_names_and_uncompiled(key):
    model, sample_shape, out_shape, names = _build(key)
    assert isinstance(model, keras.Model)
    assert [layer.name for layer in model.layers] == names
    assert model.input_shape == (None, *sample_shape)
    assert model.output_shape == (None, *out_shape)
    assert not model.compiled  # returned uncompiled
    assert _run(model, _inputs(sample_shape)).shape == (3, *out_shape)


@pytest.mark.parametrize("key", list(CASES))
def test_builder_takes_a_name(key):
    model, *_ = _build(key, name=f"my_{key}")
    assert model.name == f"my_{key}"


@pytest.mark.parametrize("key", list(CASES))
def test_save_load_round_trip_gives_equal_predictions(key, tmp_path):
    model, sample_shape, *_ = _build(key)
    x = _inputs(sample_shape, seed=1)
    expected = _run(model, x)
    path = tmp_path / f"{key}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(_run(loaded, x), expected)


@pytest.mark.parametrize("key", list(CASES))
def test_timesteps_none_accepts_any_length(key):
    builder, args, kwargs, sample_shape, out_shape, _ = CASES[key]
    if key == "cnn":
        model = builder(*args, **{**kwargs, "timesteps": None})
    else:
        input_shape = (None, sample_shape[-1])
        model = builder(input_shape, *args[1:], **kwargs)
    assert model.input_shape[1] is None
    for length in (3, 7):
        x = _inputs((length, *sample_shape[1:]), n=2)
        y = _run(model, x)
        # Per-step outputs follow the input's length; the others keep their shape.
        expected = (2, length, *out_shape[1:]) if key == "bidirectional" else (2, *out_shape)
        assert y.shape == expected


BAD_ARGUMENTS = [
    # (builder key, override or replacement, the argument the message must name, the value shown)
    ("vanilla", {"units": 0}, "units", "0"),
    ("vanilla", {"units": 2.5}, "units", "2.5"),
    ("vanilla", {"output_activation": "nope"}, "output_activation", "nope"),
    ("vanilla", {"go_backwards": "yes"}, "go_backwards", "yes"),
    ("stacked", {"units": ()}, "units", "()"),
    ("stacked", {"units": (4, -1)}, "units", "-1"),
    ("stacked", {"dropout": 1.5}, "dropout", "1.5"),
    ("stacked", {"output_activation": 3}, "output_activation", "3"),
    ("cnn", {"units": -2}, "units", "-2"),
    ("cnn", {"filters": 0}, "filters", "0"),
    ("cnn", {"kernel_size": (9, 9)}, "kernel_size", "(9, 9)"),
    ("cnn", {"pool_size": 0}, "pool_size", "0"),
    ("cnn", {"timesteps": 0}, "timesteps", "0"),
    ("cnn", {"output_activation": "not_an_activation"}, "output_activation", "not_an_activation"),
    ("encoder_decoder", {"encoder_units": 0}, "encoder_units", "0"),
    ("encoder_decoder", {"decoder_units": None}, "decoder_units", "None"),
    ("encoder_decoder", {"output_activation": "sofmax"}, "output_activation", "sofmax"),
    ("bidirectional", {"merge_mode": "max"}, "merge_mode", "max"),
    ("bidirectional", {"merge_mode": None}, "merge_mode", "None"),
    ("bidirectional", {"units": 0}, "units", "0"),
    ("bidirectional", {"output_activation": "sigmod"}, "output_activation", "sigmod"),
    ("generative", {"units": 0}, "units", "0"),
    ("generative", {"output_activation": "lineal"}, "output_activation", "lineal"),
    ("generative", {"name": ""}, "name", "''"),
    # weights too many to allocate: refused by name before Keras tries
    ("vanilla", {"units": 10**15}, "units", str(10**15)),
    ("stacked", {"units": (4, 10**6)}, "units", str(10**6)),
    ("cnn", {"units": 10**6}, "units", str(10**6)),
    ("encoder_decoder", {"decoder_units": 10**6}, "decoder_units", str(10**6)),
    ("bidirectional", {"units": 2**40}, "units", str(2**40)),
    ("generative", {"units": 10**5}, "units", str(10**5)),
]


#: The rows of BAD_ARGUMENTS whose value has the wrong type (TypeError); the others have a wrong value.
WRONG_TYPES = {"vanilla-units-2.5", "vanilla-go_backwards-yes", "stacked-output_activation-3",
               "encoder_decoder-decoder_units-None"}


@pytest.mark.parametrize("key, override, argument, shown", BAD_ARGUMENTS,
                         ids=[f"{k}-{a}-{s}" for k, _, a, s in BAD_ARGUMENTS])
def test_bad_arguments_raise_clear_errors_naming_them(key, override, argument, shown):
    wrong_type = f"{key}-{argument}-{shown}" in WRONG_TYPES
    with pytest.raises(TypeError if wrong_type else ValueError) as error:
        _build(key, **override)
    message = str(error.value)
    assert f"{argument}=" in message and shown in message


BAD_SHAPES = [(5,), (5, 10, 1), (0, 10), (5, 0), (5, None), "5x10", (5.0, 10), (-1, 3)]


@pytest.mark.parametrize("key", ["vanilla", "stacked", "encoder_decoder", "bidirectional", "generative"])
@pytest.mark.parametrize("shape", BAD_SHAPES, ids=repr)
def test_bad_input_shape_raises_value_error(key, shape):
    builder, args, kwargs, *_ = CASES[key]
    with pytest.raises(ValueError, match="input_shape"):
        builder(shape, *args[1:], **kwargs)


@pytest.mark.parametrize("frame_shape", [(8, 8), (8, 8, 0), (8, 8, 1, 1), None, (8.0, 8, 1)], ids=repr)
def test_bad_frame_shape_raises_value_error(frame_shape):
    with pytest.raises(ValueError, match="frame_shape"):
        models.build_cnn_lstm(frame_shape)


def test_bad_output_counts_raise_value_error():
    with pytest.raises(ValueError, match="output_units=0"):
        models.build_vanilla_lstm((5, 10), 0)
    with pytest.raises(ValueError, match="output_timesteps=0"):
        models.build_encoder_decoder_lstm((8, 12), 0, 12)


@pytest.mark.parametrize("key", list(CASES))
def test_a_softmax_over_one_unit_is_refused(key):
    builder, args, kwargs, *_ = CASES[key]
    if key in ("vanilla", "stacked", "encoder_decoder"):  # output_units is positional there
        args = (*args[:-1], 1)
    else:
        kwargs = {**kwargs, "output_units": 1}
    with pytest.raises(ValueError, match="output_activation"):
        builder(*args, **{**kwargs, "output_activation": "softmax"})
    # the vanilla builder's softmax default too, and a sigmoid over one unit is fine
    with pytest.raises(ValueError, match="output_units"):
        models.build_vanilla_lstm((5, 10), 1)
    assert models.build_vanilla_lstm((5, 10), 1, output_activation="sigmoid").output_shape == (None, 1)


def test_unroll_needs_fixed_timesteps():
    with pytest.raises(ValueError, match="unroll=True"):
        models.build_stacked_lstm((None, 1), 5, unroll=True)
    with pytest.raises(ValueError, match="unroll"):
        models.build_cnn_lstm((8, 8, 1), unroll=True)  # timesteps=None
    model = models.build_stacked_lstm((12, 1), 5, units=(3, 3), unroll=True)
    assert all(model.get_layer(name).unroll for name in ("lstm_1", "lstm_2"))


def test_defaults_are_the_books_settings():
    assert models.build_vanilla_lstm((5, 10), 10).get_layer("lstm").units == 25
    stacked = models.build_stacked_lstm((50, 1), 5)
    assert [stacked.get_layer(n).units for n in ("lstm_1", "lstm_2")] == [20, 20]
    assert stacked.get_layer("lstm_1").return_sequences and not stacked.get_layer("lstm_2").return_sequences
    cnn = models.build_cnn_lstm((50, 50, 1), timesteps=50)
    assert cnn.get_layer("cnn").output.shape == (None, 50, 1152)  # 24 x 24 x 2 per frame
    frame_cnn = cnn.get_layer("cnn").layer
    assert [layer.name for layer in frame_cnn.layers] == ["conv2d", "max_pooling2d", "flatten"]
    assert frame_cnn.get_layer("conv2d").filters == 2
    assert frame_cnn.get_layer("max_pooling2d").pool_size == (2, 2)
    assert cnn.get_layer("cnn").steps_per_call is None  # every frame in one call
    encdec = models.build_encoder_decoder_lstm((8, 12), 2, 12)
    assert (encdec.get_layer("encoder_lstm").units, encdec.get_layer("decoder_lstm").units) == (75, 50)
    assert models.build_generative_lstm().get_layer("lstm").units == 10


@pytest.mark.parametrize("merge_mode, width", [("concat", 8), ("sum", 4), ("mul", 4), ("ave", 4)])
def test_bidirectional_merge_modes(merge_mode, width):
    model = models.build_bidirectional_lstm((10, 1), units=4, merge_mode=merge_mode)
    assert model.get_layer("bidirectional_lstm").output.shape == (None, 10, width)
    assert model.get_layer("bidirectional_lstm").merge_mode == merge_mode
    assert model.output_shape == (None, 10, 1)


def test_bidirectional_without_sequences_gives_one_output():
    model = models.build_bidirectional_lstm((10, 1), units=4, return_sequences=False)
    assert model.output_shape == (None, 1)


def _step_influence(model, length=6, changed_step=0):
    """Which output steps change when only input step ``changed_step`` changes."""
    x = _inputs((length, 1), n=1, seed=3)
    x2 = x.copy()
    x2[0, changed_step, 0] += 1.0
    delta = np.abs(_run(model, x2) - _run(model, x))[0, :, 0]
    return delta > 1e-7


def test_forward_and_backward_per_step_models_line_up_with_the_input():
    keras.utils.set_random_seed(0)
    forward = models.build_vanilla_lstm((None, 1), 1, units=4, output_activation="sigmoid",
                                        return_sequences=True)
    backward = models.build_vanilla_lstm((None, 1), 1, units=4, output_activation="sigmoid",
                                         return_sequences=True, go_backwards=True)
    assert backward.get_layer("lstm").go_backwards
    assert "reverse_time" in [layer.name for layer in backward.layers]
    # A forward LSTM's output at step t has seen inputs 0..t only; changing the last input
    # changes the last output alone.
    assert _step_influence(forward, changed_step=5).tolist() == [False] * 5 + [True]
    # A backward LSTM's output at step t (in input order) has seen inputs t..end only;
    # changing the first input changes the first output alone.
    assert _step_influence(backward, changed_step=0).tolist() == [True] + [False] * 5


def test_batched_time_distributed_equals_keras_time_distributed():
    keras.utils.set_random_seed(1)
    conv = keras.layers.Conv2D(3, (2, 2), activation="relu")
    inputs = keras.Input(shape=(4, 6, 6, 1))
    ours = keras.Model(inputs, models.BatchedTimeDistributed(conv)(inputs))
    theirs = keras.Model(inputs, keras.layers.TimeDistributed(conv)(inputs))  # same conv, same weights
    x = _inputs((4, 6, 6, 1), n=2, seed=4)
    np.testing.assert_allclose(_run(ours, x), _run(theirs, x), atol=1e-6)
    assert isinstance(models.BatchedTimeDistributed(conv), keras.layers.TimeDistributed)


@pytest.mark.parametrize("steps_per_call", [1, 3, 4, 7, 50])
def test_batched_time_distributed_gives_the_same_values_and_training_in_groups_of_steps(steps_per_call):
    """Groups of 3 steps (7 = 3 + 3 + 1), of 4 (4 + 3), or one group: the same outputs as every
    step in one call (and as Keras's own TimeDistributed), and the same weights after training."""

    def model(steps):
        keras.utils.set_random_seed(2)  # the same initial weights for each model
        cnn = keras.Sequential([keras.Input(shape=(6, 6, 1)),
                                keras.layers.Conv2D(3, (2, 2), activation="relu"),
                                keras.layers.MaxPooling2D(), keras.layers.Flatten()])
        inputs = keras.Input(shape=(7, 6, 6, 1))
        wrapped = (keras.layers.TimeDistributed(cnn) if steps == "keras"
                   else models.BatchedTimeDistributed(cnn, steps_per_call=steps))
        built = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(wrapped(inputs))))
        built.compile(loss="mse", optimizer=keras.optimizers.SGD(0.05))
        return built

    whole, grouped, theirs = model(None), model(steps_per_call), model("keras")
    x, y = _inputs((7, 6, 6, 1), n=4, seed=5), np.arange(4.0).reshape(4, 1)
    np.testing.assert_allclose(_run(grouped, x), _run(whole, x), atol=1e-6)
    np.testing.assert_allclose(_run(grouped, x), _run(theirs, x), atol=1e-6)
    assert grouped.layers[1].get_config()["steps_per_call"] == steps_per_call
    for built in (whole, grouped):
        for _ in range(3):
            built.train_on_batch(x, y)
    moved = [np.abs(a - b).max() for a, b in zip(grouped.get_weights(), theirs.get_weights(), strict=True)]
    assert max(moved) > 1e-3  # training changed the weights (theirs was never trained)
    for ours, reference in zip(grouped.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)


def test_batched_time_distributed_in_groups_round_trips_and_refuses_a_bad_group(tmp_path):
    inputs = keras.Input(shape=(5, 3))
    layer = models.BatchedTimeDistributed(keras.layers.Dense(2), steps_per_call=np.int64(2), name="td")
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "grouped.keras")
    loaded = keras.models.load_model(tmp_path / "grouped.keras")
    assert loaded.get_layer("td").steps_per_call == 2
    x = _inputs((5, 3), n=2, seed=6)
    np.testing.assert_allclose(_run(loaded, x), _run(model, x), atol=1e-6)
    for bad, kind in ((0, ValueError), (2.5, TypeError), ("2", TypeError), (True, TypeError)):
        with pytest.raises(kind, match="steps_per_call"):
            models.BatchedTimeDistributed(keras.layers.Dense(2), steps_per_call=bad)
        with pytest.raises(kind, match="frames_per_call"):
            models.build_cnn_lstm((8, 8, 1), timesteps=4, frames_per_call=bad)


def test_cnn_lstm_padded_pooling_sees_the_last_row_and_column():
    """The book's 'valid' pooling drops the 2x2 convolution's last row and column, so a pixel in
    the frame's last row gives the same features as a blank frame; with pool_padding='same'
    it does not."""
    keras.utils.set_random_seed(3)
    book = models.build_cnn_lstm((10, 10, 1), units=2, timesteps=1)
    padded = models.build_cnn_lstm((10, 10, 1), units=2, timesteps=1, pool_padding="same")
    assert book.get_layer("cnn").output.shape == (None, 1, 4 * 4 * 2)  # conv 9x9 -> pooled 4x4
    assert padded.get_layer("cnn").output.shape == (None, 1, 5 * 5 * 2)  # conv 9x9 -> pooled 5x5
    for model in (book, padded):
        conv = model.get_layer("cnn").layer.get_layer("conv2d")
        conv.set_weights([np.ones_like(conv.kernel), np.zeros_like(conv.bias)])
    blank = np.zeros((1, 1, 10, 10, 1), dtype="float32")
    last_row, middle = blank.copy(), blank.copy()
    last_row[0, 0, 9, 4] = 1.0
    middle[0, 0, 4, 4] = 1.0

    def features(model, x):
        return keras.ops.convert_to_numpy(model.get_layer("cnn")(x))

    np.testing.assert_array_equal(features(book, last_row), features(book, blank))
    assert features(padded, last_row).sum() > 0 and features(book, middle).sum() > 0
    for bad, kind in (("full", ValueError), (None, TypeError), (1, TypeError)):
        with pytest.raises(kind, match="pool_padding"):
            models.build_cnn_lstm((10, 10, 1), timesteps=1, pool_padding=bad)


def test_a_name_keras_cannot_take_and_a_layer_that_is_not_one_are_refused_by_name():
    with pytest.raises(ValueError, match="name"):
        models.build_vanilla_lstm((3, 1), 1, name="a/b")  # Keras refuses '/' in a name, deep inside
    for layer in (None, "dense", 5):
        with pytest.raises(TypeError, match="layer"):
            models.BatchedTimeDistributed(layer)


def test_reverse_time_flips_the_time_axis():
    x = np.arange(6, dtype="float32").reshape(1, 3, 2)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(models.ReverseTime()(x)), x[:, ::-1])


def test_stacked_dropout_reaches_every_lstm_layer():
    model = models.build_stacked_lstm((12, 1), 5, units=(3, 3, 3), dropout=0.2)
    assert [layer.name for layer in model.layers] == ["inputs", "lstm_1", "lstm_2", "lstm_3", "output"]
    assert all(model.get_layer(f"lstm_{i}").dropout == 0.2 for i in (1, 2, 3))


LOAD_AFTER_IMPORT = """
import sys
import keras
import numpy as np
import lstmbook  # only this: no lstmbook.models
model = keras.models.load_model(sys.argv[1])
print(model.get_layer("output").__class__.__name__, model.predict(np.zeros((1, 8, 12)), verbose=0).shape)
"""


def test_a_saved_model_loads_after_import_lstmbook(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    model = models.build_encoder_decoder_lstm((8, 12), 2, 12, encoder_units=4, decoder_units=3)
    model.save(tmp_path / "seq2seq.keras")  # its output is a BatchedTimeDistributed layer
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", LOAD_AFTER_IMPORT, str(tmp_path / "seq2seq.keras")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-4:] == ["BatchedTimeDistributed", "(1,", "2,", "12)"]


def test_batched_time_distributed_needs_a_time_axis():
    with pytest.raises(ValueError, match="inputs") as error:
        models.BatchedTimeDistributed(keras.layers.Dense(2))(keras.Input(shape=(3,)))
    assert "(None, 3)" in str(error.value)
