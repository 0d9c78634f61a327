"""Inputs that once gave a silently wrong result, or a raw error: each now refused, naming
the argument, or answered correctly (checked against the right answer)."""

import keras
import numpy as np
import pandas as pd
import pytest

from lstmbook import cell, diagnostics, models, persistence, prep, training

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_a_masked_array_is_refused_unless_nothing_is_masked():
    masked = np.ma.masked_array([1.0, 2.0, 1000.0], mask=[False, False, True])
    with pytest.raises(ValueError, match="data"):
        prep.scale(masked)  # would scale to [0, 0.001, 1], the masked 1000 setting the range
    scaled, _ = prep.scale(np.ma.masked_array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(scaled, [0.0, 0.5, 1.0])


def test_pad_refuses_values_a_small_dtype_would_wrap():
    for sequences in ([np.array([-1, 2])], [[-1, 2]]):
        with pytest.raises(ValueError, match="dtype"):
            prep.pad(sequences, dtype="uint8")  # -1 would become 255
    assert prep.pad([np.array([1, 2])], maxlen=3, dtype="uint8").tolist() == [[0, 1, 2]]


@pytest.mark.parametrize("build, name", [(lambda: models.build_vanilla_lstm(5, 2), "input_shape"),
                                         (lambda: models.build_cnn_lstm(5), "frame_shape")])
def test_a_shape_given_as_a_lone_int_is_refused(build, name):
    with pytest.raises(TypeError, match=name):
        build()  # was (None, 5, 5): 5 taken for both timesteps and features


def test_reverse_time_refuses_an_input_without_a_time_axis():
    with pytest.raises(ValueError, match="min_ndim=3"):
        models.ReverseTime()(np.zeros((2, 3), dtype="float32"))  # would reverse the features


def sequence_model():
    inputs = keras.Input(shape=(3, 1))
    outputs = keras.layers.Dense(1)(keras.layers.LSTM(2, return_sequences=True)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(loss="mse", optimizer="adam")
    return model


def test_fit_epochs_refuses_one_target_per_sample_for_a_sequence_output():
    x = np.zeros((4, 3, 1), dtype="float32")
    with pytest.raises(ValueError, match="y"):
        training.fit_epochs(sequence_model(), x, np.zeros((4, 1)), epochs=1)  # broadcast over the steps
    history = training.fit_epochs(sequence_model(), x, np.zeros((4, 3, 1)), epochs=1)
    assert len(history["loss"]) == 1


def test_class_decoding_of_one_column_and_one_row():
    with pytest.raises(ValueError, match="proba"):
        training.classes_from_proba([[0.3], [0.9]], "softmax")  # was [0, 0]
    assert training.classes_from_proba(np.array([0.9]), "sigmoid").tolist() == [1]  # was a 0-d array
    assert training.classes_from_proba([0.2, 0.7], "sigmoid").tolist() == [0, 1]
    decoded = prep.one_hot_decode([0, 1, 0])
    assert np.shape(decoded) == () and int(decoded) == 1  # was shape (1,)


def test_predict_proba_refuses_an_activation_the_output_layer_contradicts():
    inputs = keras.Input(shape=(3, 1))
    linear = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(2)(inputs)))
    with pytest.raises(ValueError, match="activation"):
        training.predict_proba(linear, np.zeros((2, 3, 1)), activation="sigmoid")


def compiled_build():
    inputs = keras.Input(shape=(3, 1))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(2)(inputs)))
    model.compile(loss="mse", optimizer="adam")
    return model


def test_ensemble_parts_refuse_what_would_build_the_wrong_thing():
    with pytest.raises(TypeError, match="seeds"):
        training.Ensemble(compiled_build, seeds=3)  # was one member, seeded 3
    with pytest.raises(ValueError, match="gates"):
        training.BlockMask(2, [1, 1], gates=0)  # was a (2, 0) mask
    with pytest.raises(ValueError, match="loss"):
        training.MemberSum(None, 2)  # was "'NoneType' object is not callable"
    assert training.BlockMask(2, [1, 2], gates=4)._mask.shape == (2, 12)


@pytest.mark.parametrize("val_epoch", [[6, 4, 2], [2, 2, 4], ["2", "4", "6"]])
def test_diagnose_refuses_validation_epochs_out_of_order(val_epoch):
    history = {"loss": [1.0, 0.8, 0.6, 0.5, 0.4, 0.35], "val_loss": [0.5, 0.7, 1.0], "val_epoch": val_epoch}
    with pytest.raises((ValueError, TypeError), match="val_epoch"):
        diagnostics.diagnose(history)


def test_repeated_evaluation_names_seed_and_takes_a_list_of_targets():
    x = np.random.default_rng(0).random((4, 3, 1)).astype("float32")
    with pytest.raises(ValueError, match="seed"):
        diagnostics.repeated_evaluation(compiled_build, 3, x, [0.0, 1.0, 1.0, 0.0], epochs=1,
                                        seed=2**32 - 1, progress=False)
    result = diagnostics.repeated_evaluation(compiled_build, 1, x, [0.0, 1.0, 1.0, 0.0], epochs=1,
                                             progress=False)
    assert result.scores.shape == (1,) and np.isfinite(result.scores).all()


def test_load_model_checks_weights_path(tmp_path):
    folder = tmp_path
    persistence.save_model(compiled_build(), folder / "m.keras")
    with pytest.raises(ValueError, match="weights_path"):
        persistence.load_model(folder / "m.keras", weights_path=folder / "x.weights.h5")  # was ignored
    persistence.save_architecture_and_weights(compiled_build(), folder / "a.json")
    _, other = persistence.save_architecture_and_weights(compiled_build(), folder / "b.json")
    with pytest.raises(ValueError, match="weights_path"):
        persistence.load_model(folder / "a.json", weights_path=other)  # was a's architecture, b's weights


def test_lstm_forward_refuses_inputs_whose_projection_overflows():
    weights = cell.split_gates(np.ones((5, 8)), np.zeros((2, 8)))
    x = np.array([[[1e308] * 2 + [-1e308] * 3]])  # x W sums to -1e308, but overflows on the way
    with pytest.raises(ValueError, match="x"):
        cell.lstm_forward(x, weights)
    trace = cell.lstm_forward(np.full((1, 2, 5), 1e300), weights)  # large, no overflow: the gates saturate
    np.testing.assert_allclose(trace.f, 1.0)


def test_series_to_supervised_is_fast_for_any_lag_and_keeps_the_dates():
    with pytest.raises(ValueError, match="n_in"):
        prep.series_to_supervised(np.arange(6.0), n_in=10**8, dropnan=False)  # was a loop of 10**8 shifts
    index = pd.date_range("2000-01", periods=5, freq="MS")
    framed = prep.series_to_supervised(pd.Series(np.arange(5.0), index=index), n_in=2)
    assert list(framed.index) == list(index[2:])
    assert framed.values.tolist() == [[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]]


def test_closed_loop_generation_has_a_step_limit():
    inputs = keras.Input(shape=(1, 2))
    model = keras.Model(inputs, keras.layers.Flatten()(inputs))
    with pytest.raises(ValueError, match="n_steps"):
        training.generate_closed_loop(model, np.zeros((1, 2)), 10**9)


def test_a_scheduler_address_dask_cannot_read_is_refused_at_once():
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="scheduler"):
        diagnostics.connect_cluster("nonsense://x", timeout=1)


def test_walk_forward_updates_learn_only_from_targets_already_observed():
    seen = []

    def update(model, x_seen, y_seen):
        seen.append(len(x_seen))

    x = np.zeros((10, 3, 1), dtype="float32")
    y = np.zeros((10, 3), dtype="float32")  # each row's target: the next 3 steps
    inputs = keras.Input(shape=(3, 1))
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.LSTM(2)(inputs)))
    training.walk_forward_validation(model, x[:6], y[:6], x[6:], y_test=y[6:], update=update, horizon=3)
    # Before test row i, test rows 0 .. i-3 have been observed in full: none before row 3.
    assert seen == [6 + 0, 6 + 0, 6 + 1]
    seen.clear()
    training.walk_forward_validation(model, x[:6], y[:6], x[6:], y_test=y[6:], update=update)
    assert seen == [6 + 1, 6 + 2, 6 + 3]  # one-step targets: every earlier row


@pytest.mark.parametrize("loss", ["categorical_crossentropy", keras.losses.BinaryCrossentropy()])
def test_fit_epochs_refuses_a_cross_entropy_on_a_linear_output(loss):
    model = models.build_stacked_lstm((5, 2), 3, units=(2, 2))  # output_activation None: linear
    model.compile(loss=loss, optimizer="adam")
    x, y = np.zeros((4, 5, 2), dtype="float32"), np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    with pytest.raises(ValueError, match="output_activation"):
        training.fit_epochs(model, x, y, epochs=1)
    model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True), optimizer="adam")
    assert len(training.fit_epochs(model, x, y, epochs=1)["loss"]) == 1  # logits, on purpose
    softmax = models.build_stacked_lstm((5, 2), 3, units=(2, 2), output_activation="softmax")
    softmax.compile(loss="categorical_crossentropy", optimizer="adam")
    assert len(training.fit_epochs(softmax, x, y, epochs=1)["loss"]) == 1
