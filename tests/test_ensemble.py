"""lstmbook.training.Ensemble: many small models trained as one, each exactly as alone."""

import functools

import keras
import numpy as np
import pytest

from lstmbook import diagnostics, models, persistence, training

RNG = np.random.default_rng(0)
X = RNG.random((20, 4, 2))
Y = RNG.random(20)
Y_SEQ = RNG.random((20, 4))
X_STATEFUL = RNG.random((12, 1, 1))
Y_STATEFUL = RNG.random(12)
SEEDS = [3, 4, 5]


def build(member=0, *, units=(1, 3, 2), stacked=True, seq=False, stateful=False, optimizer="adam",
          loss="mse", dropout=0.0):
    """A chain of LSTM layers and a Dense (or TimeDistributed Dense) head; member k gets units[k]."""
    if stateful:
        inputs = keras.Input(batch_shape=(1, 1, 1))
    else:
        inputs = keras.Input(shape=(4, 2))
    lstm = models.StatefulLSTM if stateful else keras.layers.LSTM  # a state that carries on JAX too
    hidden = lstm(units[member], dropout=dropout, return_sequences=seq or stacked)(inputs)
    if stacked:
        hidden = keras.layers.LSTM(2, return_sequences=seq)(hidden)
    dense = keras.layers.Dense(1)
    outputs = keras.layers.TimeDistributed(dense)(hidden) if seq else dense(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(loss=loss, optimizer=optimizer)
    return model


CASES = {  # name: (build_fn, x, y, fit arguments)
    "stacked, units 1/3/2": (build, X, Y, {"batch_size": 5}),
    "sequences, TimeDistributed": (functools.partial(build, units=(3, 3, 3), seq=True), X, Y_SEQ,
                                   {"batch_size": 6}),
    "stateful, reset each epoch": (functools.partial(build, units=(1, 1, 1), stacked=False, stateful=True),
                                   X_STATEFUL, Y_STATEFUL, {"batch_size": 1, "reset_state": True}),
    "sgd and mae": (functools.partial(build, optimizer="sgd", loss="mae"), X, Y, {"batch_size": 20}),
}


def alone(build_fn, k, seed, x, y, fit_args, epochs):
    keras.utils.set_random_seed(seed)
    model = build_fn(k)
    history = training.fit_epochs(model, x, y, epochs=epochs, **fit_args)
    return model, history


@pytest.mark.parametrize("case", list(CASES))
def test_each_member_trains_exactly_as_alone(case):
    build_fn, x, y, fit_args = CASES[case]
    ensemble = training.Ensemble(build_fn, SEEDS)
    histories = ensemble.fit(x, y, epochs=4, **fit_args)
    members = ensemble.unpack()
    predictions = None if fit_args.get("reset_state") else ensemble.predict(x)
    assert len(histories) == len(members) == len(SEEDS)
    for k, seed in enumerate(SEEDS):
        model, history = alone(build_fn, k, seed, x, y, fit_args, epochs=4)
        for own, packed in zip(model.get_weights(), members[k].get_weights(), strict=True):
            np.testing.assert_allclose(packed, own, atol=1e-6)
        np.testing.assert_allclose(histories[k]["loss"], history["loss"], rtol=1e-5, atol=1e-7)
        assert histories[k]["epoch"] == [1, 2, 3, 4]
        if predictions is not None:
            np.testing.assert_allclose(predictions[k], model.predict(x, verbose=0), atol=1e-6)
    # the members really differ: their seeds gave them different starting weights
    assert not np.allclose(members[0].get_weights()[0][:, :1], members[1].get_weights()[0][:, :1])


def test_validation_history_and_scores_per_member():
    ensemble = training.Ensemble(functools.partial(build, units=(2, 2)), [1, 2])
    histories = ensemble.fit(X[:15], Y[:15], epochs=3, batch_size=5, validation_data=(X[15:], Y[15:]),
                             validation_every=1)
    for k, seed in enumerate([1, 2]):
        model, history = alone(functools.partial(build, units=(2, 2)), k, seed, X[:15], Y[:15],
                               {"batch_size": 5, "validation_data": (X[15:], Y[15:])}, epochs=3)
        np.testing.assert_allclose(histories[k]["val_loss"], history["val_loss"], rtol=1e-5)
        assert histories[k]["val_epoch"] == history["val_epoch"] == [1, 2, 3]


def test_targets_and_split_shapes():
    ensemble = training.Ensemble(functools.partial(build, units=(3, 3, 3), seq=True), SEEDS)
    assert ensemble.targets(Y_SEQ).shape == (20, 4, 3)
    assert ensemble.targets(Y_SEQ[..., None]).shape == (20, 4, 3)
    packed = ensemble.model.predict(X, verbose=0)
    assert packed.shape == (20, 4, 3)
    assert ensemble.split(packed).shape == (3, 20, 4, 1)
    assert ensemble.predict(X).shape == (3, 20, 4, 1)
    assert ensemble.seeds == SEEDS


def test_packed_model_saves_and_loads_with_its_loss_and_optimizer(tmp_path):
    build_fn, x, y, fit_args = CASES["stateful, reset each epoch"]
    ensemble = training.Ensemble(build_fn, SEEDS)
    ensemble.fit(x, y, epochs=2, **fit_args)
    path = persistence.save_model(ensemble.model, tmp_path / "ensemble.keras", backups=1)
    loaded = persistence.load_model(path)
    assert isinstance(loaded.loss, training.MemberSum)
    # both carry on from the same weights and optimizer state to the same place
    for model in (ensemble.model, loaded):
        training.fit_epochs(model, x, ensemble.targets(y), epochs=2, **fit_args)
    for a, b in zip(ensemble.model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # Plain Keras reads it too, in a fresh process, after `import lstmbook` alone.
    import os
    import subprocess
    import sys

    code = ("import sys, keras, lstmbook; m = keras.models.load_model(sys.argv[1]); "
            "print(type(m.loss).__name__, m.output.shape[-1])")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["MemberSum", str(len(SEEDS))]


def test_block_mask_keeps_members_apart_after_updates():
    ensemble = training.Ensemble(build, SEEDS)
    ensemble.fit(X, Y, epochs=3, batch_size=5)
    packed = ensemble.model.layers[2]  # the second LSTM: rows are the first LSTM's 1 + 3 + 2 units
    kernel = np.asarray(packed.cell.kernel)
    assert kernel.shape == (6, 4 * 6)
    assert np.all(kernel[1:, 0:2] == 0) and np.all(kernel[:1, 2:6] == 0)  # member 0's input gate block


def test_repeated_evaluation_as_an_ensemble_gives_the_separate_runs_scores():
    def build_uncompiled():
        inputs = keras.Input(shape=(4, 2))
        return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(3)(inputs)))

    kwargs = {"epochs": 5, "validation_data": (X[15:], Y[15:]), "seed": 11, "progress": False}
    separate = diagnostics.repeated_evaluation(build_uncompiled, 3, X[:15], Y[:15], **kwargs)
    packed = diagnostics.repeated_evaluation(build_uncompiled, 3, X[:15], Y[:15], ensemble=True, **kwargs)
    assert packed.seeds == separate.seeds == [11, 12, 13]
    np.testing.assert_allclose(packed.scores, separate.scores, rtol=1e-5)
    for a, b in zip(packed.histories, separate.histories, strict=True):
        np.testing.assert_allclose(a["val_loss"], b["val_loss"], rtol=1e-5)


def test_repeated_evaluation_splits_the_ensemble_over_jobs():
    kwargs = {"epochs": 3, "seed": 20, "progress": False, "ensemble": True}
    one = diagnostics.repeated_evaluation(functools.partial(build, units=(2,) * 5), 5, X, Y, **kwargs)
    two = diagnostics.repeated_evaluation(functools.partial(build, units=(2,) * 5), 5, X, Y, jobs=2, **kwargs)
    assert two.seeds == one.seeds == [20, 21, 22, 23, 24]
    np.testing.assert_allclose(two.scores, one.scores, rtol=1e-5)


@pytest.mark.parametrize("build_fn, seeds, error, named", [
    ("not callable", SEEDS, TypeError, "build_fn"),
    (build, [], ValueError, "seeds"),
    (build, "123", TypeError, "seeds"),
    (build, [1, -2], ValueError, "seeds"),
    (functools.partial(build, dropout=0.2), SEEDS, ValueError, "dropout"),
    (lambda k: build(k, optimizer="adam" if k else "sgd"), SEEDS, ValueError, "optimizer"),
    (lambda k: build(k, loss="mse" if k else "mae"), SEEDS, ValueError, "loss"),
    (lambda k: build(k, stacked=bool(k)), SEEDS, ValueError, "layers"),
    (functools.partial(build, optimizer=keras.optimizers.Adam(clipnorm=1.0)), SEEDS, ValueError, "clipnorm"),
])
def test_bad_ensembles_are_refused_by_name(build_fn, seeds, error, named):
    with pytest.raises(error, match=named):
        training.Ensemble(build_fn, seeds)


def test_unsupported_layers_and_uncompiled_members_are_refused():
    def conv():
        inputs = keras.Input(shape=(4, 2))
        model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Conv1D(2, 2)(inputs)))
        model.compile(loss="mse", optimizer="adam")
        return model

    with pytest.raises(ValueError, match="Conv1D"):
        training.Ensemble(conv, SEEDS)
    with pytest.raises(ValueError, match="build_fn"):
        training.Ensemble(lambda: keras.Sequential([keras.Input((4, 2)), keras.layers.LSTM(2)]), SEEDS)
    with pytest.raises(TypeError, match="build_fn"):
        training.Ensemble(lambda: None, SEEDS)
    ensemble = training.Ensemble(build, SEEDS)
    with pytest.raises(ValueError, match="packed"):
        ensemble.split(np.zeros((4, len(SEEDS) + 1)))
    with pytest.raises(TypeError, match="ensemble"):
        diagnostics.repeated_evaluation(build, 2, X, Y, epochs=1, ensemble="yes")


def test_repeated_evaluation_scores_by_the_callers_measure_and_keeps_the_models():
    def build_uncompiled():
        inputs = keras.Input(shape=(4, 2))
        return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(3)(inputs)))

    def rmse_in_units(y_true, y_pred):  # a scale of 10: the error in the data's units
        return float(np.sqrt(np.mean((y_true - y_pred) ** 2)) * 10)  # y_pred comes as y_true's (n,)

    kwargs = {"epochs": 3, "validation_data": (X[15:], Y[15:]), "seed": 5, "progress": False,
              "score": rmse_in_units, "keep_models": True}
    separate = diagnostics.repeated_evaluation(build_uncompiled, 3, X[:15], Y[:15], **kwargs)
    assert len(separate.models) == 3
    for model, value in zip(separate.models, separate.scores, strict=True):
        assert value == pytest.approx(rmse_in_units(Y[15:], model.predict(X[15:], verbose=0)[:, 0]), rel=1e-6)
    plain = {key: value for key, value in kwargs.items() if key not in ("score", "keep_models")}
    losses = diagnostics.repeated_evaluation(build_uncompiled, 3, X[:15], Y[:15], **plain)
    np.testing.assert_allclose(separate.scores, np.sqrt(losses.scores) * 10, rtol=1e-4)  # the MSE, rescaled
    assert losses.models is None
    packed = diagnostics.repeated_evaluation(build_uncompiled, 3, X[:15], Y[:15], ensemble=True, **kwargs)
    np.testing.assert_allclose(packed.scores, separate.scores, rtol=1e-4)
    np.testing.assert_allclose(packed.models[1].predict(X[15:], verbose=0),
                               separate.models[1].predict(X[15:], verbose=0), rtol=1e-4, atol=1e-6)
    with pytest.raises(TypeError, match="score"):
        diagnostics.repeated_evaluation(build_uncompiled, 1, X, Y, epochs=1, progress=False, score="rmse")
    with pytest.raises(TypeError, match="score"):
        diagnostics.repeated_evaluation(build_uncompiled, 1, X, Y, epochs=1, progress=False,
                                        score=lambda y, p: [1.0, 2.0])
