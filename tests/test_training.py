"""lstmbook.training: exact fast epochs, class predictions, walk-forward validation."""

import keras
import numpy as np
import pytest

from lstmbook import models, persistence, training

X5 = np.arange(0.0, 0.5, 0.1).reshape(5, 1, 1)
Y5 = X5[:, 0, 0] + 0.1


def lstm_model(units=3, stateful=False, seed=1):
    keras.utils.set_random_seed(seed)
    if stateful:
        inputs = keras.Input(batch_shape=(1, 1, 1), name="inputs")
    else:
        inputs = keras.Input(shape=(1, 1), name="inputs")
    lstm = models.StatefulLSTM if stateful else keras.layers.LSTM  # a state that carries on JAX too
    hidden = lstm(units, name="lstm")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="output")(hidden))
    model.compile(loss="mse", optimizer="adam")
    return model


def max_weight_diff(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(a.get_weights(), b.get_weights(), strict=True))


@pytest.mark.parametrize("batch_size", [5, 2])  # whole batches (tiled arrays) and a short last batch
def test_fit_epochs_matches_model_fit(batch_size):
    reference, fast = lstm_model(), lstm_model()
    fitted = reference.fit(X5, Y5, epochs=3, batch_size=batch_size, shuffle=False, verbose=0,
                           validation_data=(X5 + 0.5, Y5 + 0.5))
    history = training.fit_epochs(fast, X5, Y5, epochs=3, batch_size=batch_size,
                                  validation_data=(X5 + 0.5, Y5 + 0.5))
    assert max_weight_diff(reference, fast) < 1e-6
    np.testing.assert_allclose(history["loss"], fitted.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(history["val_loss"], fitted.history["val_loss"], rtol=1e-5)
    assert history["epoch"] == [1, 2, 3]


def test_fit_epochs_validation_every_steps_per_execution_and_errors():
    model = lstm_model()
    history = training.fit_epochs(model, X5, Y5, epochs=6, batch_size=2, validation_data=(X5, Y5),
                                  validation_every=3)
    assert history["val_epoch"] == [3, 6] and len(history["val_loss"]) == 2 and len(history["loss"]) == 6
    assert model.steps_per_execution == 1  # "auto": a short run keeps the compiled function
    training.fit_epochs(model, X5, Y5, epochs=training.AUTO_EPOCH_EXECUTION, batch_size=2)
    assert model.steps_per_execution == 3  # a long run executes a whole epoch (3 batches) per call
    with pytest.raises(ValueError, match="divide"):
        training.fit_epochs(model, X5, Y5, epochs=1, batch_size=2, steps_per_execution=2)
    with pytest.raises(ValueError, match="epochs"):
        training.fit_epochs(model, X5, Y5, epochs=0)
    with pytest.raises(ValueError, match="rows"):
        training.fit_epochs(model, X5, Y5[:3], epochs=1)
    with pytest.raises(ValueError, match="stateful"):
        training.fit_epochs(model, X5, Y5, epochs=1, reset_state=True)
    uncompiled = keras.Model(model.inputs, model.outputs)
    with pytest.raises(ValueError, match="compiled"):
        training.fit_epochs(uncompiled, X5, Y5, epochs=1)


def test_stateful_fit_epochs_matches_the_books_loop():
    book, fast = lstm_model(stateful=True), lstm_model(stateful=True)
    for _ in range(3):  # the book: one fit per epoch, then reset the state
        book.fit(X5, Y5, epochs=1, batch_size=1, shuffle=False, verbose=0)
        book.get_layer("lstm").reset_state()
    training.fit_epochs(fast, X5, Y5, epochs=3, batch_size=1, reset_state=True)
    assert max_weight_diff(book, fast) < 1e-6
    with pytest.raises(ValueError, match="stateful"):
        training.fit_epochs(fast, X5, Y5, epochs=1, batch_size=1, validation_data=(X5, Y5))


@pytest.mark.parametrize(("x", "error"), [
    (np.full((5, 1, 1), np.nan), ValueError),
    (np.array([[["a"]]] * 5), TypeError),
    (np.zeros((5, 2, 1)), ValueError),
    (np.zeros((5, 2)), ValueError),
])
def test_bad_data_is_refused_before_any_training(x, error):
    model = lstm_model()
    before = model.get_weights()
    with pytest.raises(error, match=r"^x\b"):
        training.fit_epochs(model, x, Y5, epochs=1)
    with pytest.raises(error, match=r"^validation_data\[0\]"):
        training.fit_epochs(model, X5, Y5, epochs=1, validation_data=(x, Y5))
    with pytest.raises(error, match=r"^x_test\b"):
        training.walk_forward_validation(model, X5, Y5, x, y_test=Y5, update=training.refit_update(1))
    assert max(float(np.abs(a - b).max()) for a, b in zip(before, model.get_weights(), strict=True)) == 0


def test_a_stateful_models_batch_size_is_used_and_checked():
    model = lstm_model(stateful=True)  # built with batch_shape=(1, 1, 1)
    history = training.fit_epochs(model, X5, Y5, epochs=2, reset_state=True)  # batch_size None -> 1
    assert len(history["loss"]) == 2
    with pytest.raises(ValueError, match="batch_size"):
        training.fit_epochs(model, X5, Y5, epochs=1, batch_size=5)


def test_inputs_without_the_last_axis_of_one_are_accepted_as_keras_does():
    history = training.fit_epochs(lstm_model(), X5[:, :, 0], Y5, epochs=2)  # (5, 1) for Input((1, 1))
    assert len(history["loss"]) == 2


def test_walk_forward_checks_y_test_against_y_train():
    with pytest.raises(ValueError, match=r"y_test's rows must be shaped like y_train's \(\)"):
        training.walk_forward_validation(lstm_model(), X5, Y5, X5, y_test=Y5.reshape(5, 1),
                                         update=training.refit_update(1))


def test_step_sync_gets_finished_steps_and_leaves_training_unchanged():
    seen = []

    class Recording(training.StepSync):
        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)
            seen.append(float(logs["loss"]))

    plain, synced = lstm_model(), lstm_model()
    plain.fit(X5, Y5, epochs=2, batch_size=2, shuffle=False, verbose=0)
    synced.fit(X5, Y5, epochs=2, batch_size=2, shuffle=False, verbose=0, callbacks=[Recording()])
    assert max_weight_diff(plain, synced) < 1e-7
    assert len(seen) == 6 and all(np.isfinite(seen))  # 3 steps an epoch, each one's loss read


def test_epoch_stream_batches():
    stream = training.EpochStream(X5, Y5, batch_size=2, epochs=2)
    assert len(stream) == 6
    assert [stream[i][0].shape[0] for i in range(6)] == [2, 2, 1, 2, 2, 1]
    np.testing.assert_array_equal(stream[3][1], Y5[:2])
    with pytest.raises(IndexError):
        stream[6]


def classifier(activation, units):
    keras.utils.set_random_seed(3)
    inputs = keras.Input(shape=(4, 1), name="inputs")
    hidden = keras.layers.LSTM(4, name="lstm")(inputs)
    return keras.Model(inputs, keras.layers.Dense(units, activation=activation, name="output")(hidden))


def test_predict_classes_softmax_and_sigmoid():
    x = np.random.default_rng(0).random((7, 4, 1))
    softmax = classifier("softmax", 3)
    proba = training.predict_proba(softmax, x)
    assert proba.shape == (7, 3) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    labels = training.predict_classes(softmax, x)
    assert labels.shape == (7,) and labels.dtype == np.int32
    np.testing.assert_array_equal(labels, proba.argmax(axis=1))

    sigmoid = classifier("sigmoid", 1)
    p = training.predict_proba(sigmoid, x)
    assert p.shape == (7, 1) and ((p >= 0) & (p <= 1)).all()
    np.testing.assert_array_equal(training.predict_classes(sigmoid, x), (p[:, 0] > 0.5).astype("int32"))
    threshold = float(np.median(p))
    assert training.predict_classes(sigmoid, x, threshold=threshold).sum() == (p[:, 0] > threshold).sum()
    assert training.output_activation(sigmoid) == "sigmoid"


def test_predict_classes_errors():
    x = np.zeros((2, 4, 1))
    linear = classifier(None, 1)
    with pytest.raises(ValueError, match="softmax or sigmoid"):
        training.predict_classes(linear, x)
    with pytest.raises(ValueError, match="activation"):
        training.predict_classes(linear, x, activation="relu")
    with pytest.raises(ValueError, match="threshold"):
        training.classes_from_proba(np.array([[0.3]]), "sigmoid", threshold=1.5)
    with pytest.raises(TypeError, match="keras.Model"):
        training.predict_proba("model", x)
    multi_label = training.classes_from_proba(np.array([[0.2, 0.9], [0.7, 0.1]]), "sigmoid")
    assert multi_label.tolist() == [[0, 1], [1, 0]]


def test_walk_forward_fixed_equals_the_row_by_row_loop():
    model = lstm_model(stateful=True)
    x_test = np.arange(0.5, 0.9, 0.1).reshape(4, 1, 1)
    batched = training.walk_forward_validation(model, X5, Y5, x_test)
    model.get_layer("lstm").reset_state()
    by_row = np.concatenate([model.predict_on_batch(x_test[i:i + 1]) for i in range(4)])
    np.testing.assert_allclose(batched, by_row, atol=1e-6)
    model.get_layer("lstm").reset_state()  # the update path forecasts row by row with model(x)
    called = training.walk_forward_validation(model, X5, Y5, x_test, y_test=Y5[:4],
                                              update=lambda m, xs, ys: None)
    np.testing.assert_allclose(called, batched, atol=1e-6)


def test_walk_forward_with_updates_sees_each_new_row():
    seen, saved = [], []

    def update(model, x_seen, y_seen):
        seen.append((len(x_seen), float(y_seen[-1])))

    model = lstm_model(stateful=True)
    x_test, y_test = X5[:3] + 0.5, Y5[:3] + 0.5
    forecasts = training.walk_forward_validation(model, X5, Y5, x_test, y_test=y_test, update=update,
                                                 on_update=lambda m, step: saved.append(step))
    assert forecasts.shape == (3, 1)
    assert seen == [(6, pytest.approx(y_test[0])), (7, pytest.approx(y_test[1]))]
    assert saved == [1, 2]
    before = model.get_weights()
    training.walk_forward_validation(model, X5, Y5, x_test, y_test=y_test, update=training.refit_update(1))
    assert max(np.abs(a - b).max() for a, b in zip(before, model.get_weights(), strict=True)) > 0
    with pytest.raises(ValueError, match="y_test"):
        training.walk_forward_validation(model, X5, Y5, x_test, update=update)
    with pytest.raises(ValueError, match="x_test"):
        training.walk_forward_validation(model, X5, Y5, np.zeros((2, 2, 1)))
    with pytest.raises(ValueError, match="epochs"):
        training.refit_update(0)


X_WALK = np.linspace(-1.0, 1.0, 9).reshape(9, 1, 1)  # 6 rows to train on, 3 to walk forward over
Y_WALK = np.sin(3 * X_WALK[:, 0, 0])


def stateful_lstm():
    """A stateful LSTM(2) of batch 1, as Chapter 14's model, seeded by whoever builds it."""
    inputs = keras.Input(batch_shape=(1, 1, 1), name="inputs")
    hidden = models.StatefulLSTM(2, name="lstm")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="output")(hidden))
    model.compile(loss="mse", optimizer="adam")
    return model


def one_repeat_alone(seed, folder):
    """One repeat written out: build, fit, walk forward fixed and, from a copy, refitting for 1 epoch."""
    keras.utils.set_random_seed(seed)
    model = stateful_lstm()
    training.fit_epochs(model, X_WALK[:6], Y_WALK[:6], epochs=3, batch_size=1, reset_state=True)
    model.save(folder / f"alone_{seed}.keras")
    fixed = training.walk_forward_validation(model, X_WALK[:6], Y_WALK[:6], X_WALK[6:])
    copy = keras.models.load_model(folder / f"alone_{seed}.keras")  # weights and optimizer state
    refit = training.walk_forward_validation(copy, X_WALK[:6], Y_WALK[:6], X_WALK[6:], y_test=Y_WALK[6:],
                                             update=training.refit_update(1))
    return {"fixed": fixed, "refit_1": refit}


@pytest.mark.parametrize("ensemble", [True, False])
def test_walk_forward_repeats_gives_each_repeat_the_forecasts_it_makes_alone(tmp_path, ensemble):
    seeds = [3, 4]
    forecasts = training.walk_forward_repeats(
        stateful_lstm, seeds, X_WALK[:6], Y_WALK[:6], X_WALK[6:], y_test=Y_WALK[6:], epochs=3,
        updates={"fixed": None, "refit_1": training.refit_update(1)}, save_to=tmp_path / "models",
        backups=2, ensemble=ensemble)
    assert list(forecasts) == ["fixed", "refit_1"]
    assert {name: f.shape for name, f in forecasts.items()} == {"fixed": (2, 3, 1), "refit_1": (2, 3, 1)}
    for k, seed in enumerate(seeds):
        alone = one_repeat_alone(seed, tmp_path)
        for name, own in alone.items():
            np.testing.assert_allclose(forecasts[name][k], own, atol=1e-6)
    assert not np.allclose(forecasts["fixed"][0], forecasts["fixed"][1])  # each repeat has its seed
    assert not np.allclose(forecasts["fixed"][:, 1:], forecasts["refit_1"][:, 1:])  # the updates count
    # the base after fitting, and each update as it is made: 2 updates, so 1 previous version kept
    names = sorted(p.name for p in (tmp_path / "models").iterdir())
    if ensemble:  # one file holds every repeat, packed
        assert names == ["base.keras", "refit_1.backup-1.keras", "refit_1.keras"]
        assert persistence.load_model(tmp_path / "models" / "refit_1.keras").output.shape[-1] == len(seeds)
    else:
        assert names == sorted(f"{stem}_seed_{seed}{suffix}" for seed in seeds for stem, suffix in
                               [("base", ".keras"), ("refit_1", ".keras"), ("refit_1", ".backup-1.keras")])


def test_walk_forward_repeats_without_a_folder_forecasts_the_fixed_model():
    forecasts = training.walk_forward_repeats(stateful_lstm, [5], X_WALK[:6], Y_WALK[:6], X_WALK[6:],
                                              epochs=1)
    assert list(forecasts) == ["fixed"] and forecasts["fixed"].shape == (1, 3, 1)


@pytest.mark.parametrize("kwargs, error, named", [
    ({"updates": [None]}, TypeError, "updates"),
    ({"updates": {}}, ValueError, "updates"),
    ({"updates": {"base": None}}, ValueError, "updates"),
    ({"updates": {"a/b": None}}, ValueError, "updates"),
    ({"updates": {"refit": lambda model: None}}, TypeError, "updates"),
    ({"updates": {"refit": training.refit_update(1)}, "y_test": None}, ValueError, "y_test"),
    ({"seeds": []}, ValueError, "seeds"),
    ({"seeds": [1, -1]}, ValueError, "seeds"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"backups": 0}, ValueError, "backups"),
    ({"save_to": 3}, TypeError, "save_to"),
])
def test_walk_forward_repeats_refuses_bad_arguments_by_name(tmp_path, kwargs, error, named):
    arguments = {"seeds": [1], "y_test": Y_WALK[6:], "epochs": 1, "save_to": tmp_path, **kwargs}
    with pytest.raises(error, match=named):
        training.walk_forward_repeats(stateful_lstm, arguments.pop("seeds"), X_WALK[:6], Y_WALK[:6],
                                      X_WALK[6:], **arguments)
    assert list(tmp_path.iterdir()) == []  # refused before anything was trained or saved


def step_model(features=2, timesteps=1):
    """A model that adds [0.1, 0.2, ...] to its one-step input: each output is the last plus a step."""
    inputs = keras.Input(shape=(timesteps, features))
    outputs = keras.layers.Flatten()(inputs)
    bias = keras.initializers.Constant([0.1 * (i + 1) for i in range(features)])
    outputs = keras.layers.Dense(features, kernel_initializer="identity", bias_initializer=bias)(outputs)
    return keras.Model(inputs, outputs)


def test_generate_closed_loop_feeds_each_output_back_in():
    starts = np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    corners = training.generate_closed_loop(step_model(), starts, n_steps=3)
    assert corners.shape == (2, 3, 2) and corners.dtype == np.float32
    expected = starts[:, None] + np.arange(1, 4)[None, :, None] * np.array([0.1, 0.2])
    np.testing.assert_allclose(corners, expected, atol=1e-6)
    # One step is one prediction from the starts.
    np.testing.assert_allclose(training.generate_closed_loop(step_model(), starts, 1)[:, 0],
                               starts + [0.1, 0.2], atol=1e-6)


def test_generate_closed_loop_matches_the_one_shape_at_a_time_loop():
    keras.utils.set_random_seed(3)
    inputs = keras.Input(shape=(1, 2))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.LSTM(4)(inputs)))
    starts = np.random.default_rng(0).random((3, 2)).astype(np.float32)
    batched = training.generate_closed_loop(model, starts, n_steps=4)
    for start, row in zip(starts, batched, strict=True):
        current, steps = start[None, None, :], []
        for _ in range(4):
            current = np.asarray(model.predict(current, verbose=0))
            steps.append(current[0])
            current = current[:, None, :]
        np.testing.assert_allclose(row, np.stack(steps), atol=1e-6)


@pytest.mark.parametrize("model, starts, n_steps, error, message", [
    ("not a model", np.zeros((1, 2)), 3, TypeError, "model must be a keras.Model"),
    (None, np.zeros(2), 3, ValueError, "starts must be 2-D"),
    (None, [[0.0, np.nan]], 3, ValueError, "starts"),
    (None, "0,0", 3, TypeError, "starts"),
    (None, np.zeros((1, 2)), 0, ValueError, "n_steps"),
    (None, np.zeros((1, 2)), 2.0, TypeError, "n_steps"),
    (None, np.zeros((1, 3)), 3, ValueError, "starts must have the model's 2 features"),
    ("window", np.zeros((1, 2)), 3, ValueError, "model must take one step at a time"),
    ("wide", np.zeros((1, 2)), 3, ValueError, "model's output must be"),
])
def test_generate_closed_loop_refuses_bad_inputs(model, starts, n_steps, error, message):
    if model is None:
        model = step_model()
    elif model == "window":
        model = step_model(timesteps=3)
    elif model == "wide":
        inputs = keras.Input(shape=(1, 2))
        model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))
    with pytest.raises(error, match=message):
        training.generate_closed_loop(model, starts, n_steps)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="Keras's own stateful LSTM carries its state "
                    "on TensorFlow; on JAX it drops it between batches")
def test_keras_own_stateful_lstm_is_refused_on_jax_before_any_training():
    keras.utils.set_random_seed(1)
    inputs = keras.Input(batch_shape=(1, 1, 1))
    hidden = keras.layers.LSTM(2, stateful=True, name="lstm")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(loss="mse", optimizer="adam")
    before = model.get_weights()
    with pytest.raises(ValueError, match="StatefulLSTM"):
        training.fit_epochs(model, X5, Y5, epochs=1, reset_state=True)
    with pytest.raises(ValueError, match="StatefulLSTM"):
        training.walk_forward_validation(model, X5, Y5, X5)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
