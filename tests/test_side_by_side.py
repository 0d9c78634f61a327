"""lstmbook.training.SideBySide: different models trained in one graph, each exactly as alone."""

import keras
import numpy as np
import pytest

from lstmbook import models, training

RNG = np.random.default_rng(1)
X = RNG.random((24, 5, 1)).astype("float32")
Y = (RNG.random((24, 5, 1)) > 0.5).astype("float32")


def variants():
    """(name, build) for three different architectures with the same input and output shapes."""
    return [
        ("forward", lambda: models.build_vanilla_lstm((5, 1), output_units=1, units=3, return_sequences=True,
                                                      output_activation="sigmoid", name="forward")),
        ("backward", lambda: models.build_vanilla_lstm((5, 1), output_units=1, units=2, return_sequences=True,
                                                       go_backwards=True, output_activation="sigmoid",
                                                       name="backward")),
        ("bidirectional", lambda: models.build_bidirectional_lstm((5, 1), output_units=1, units=2,
                                                                  merge_mode="concat", name="bidirectional")),
    ]


def optimizer():
    schedule = keras.optimizers.schedules.CosineDecay(0.05, decay_steps=12)
    return keras.optimizers.Adam(schedule, clipnorm=1.0)  # clipnorm clips each weight on its own


FIT = {"epochs": 3, "batch_size": 6, "shuffle": False, "verbose": 0}


def test_each_member_trains_exactly_as_alone():
    alone = {}
    for seed, (name, build) in enumerate(variants()):
        keras.utils.set_random_seed(seed)
        model = build()
        model.compile(loss="binary_crossentropy", optimizer=optimizer(), metrics=["accuracy"])
        history = model.fit(X, Y, **FIT).history
        alone[name] = (model.get_weights(), history, model.predict(X, verbose=0))
    members = []
    for seed, (_, build) in enumerate(variants()):
        keras.utils.set_random_seed(seed)  # each member starts from the weights it has alone
        members.append(build())
    together = training.SideBySide(members, loss="binary_crossentropy", optimizer=optimizer(),
                                   metrics=["accuracy"], steps_per_execution=2)
    histories = together.fit(X, Y, **FIT)
    predicted = together.predict(X)
    assert sorted(histories) == sorted(alone)
    for name, (weights, history, prediction) in alone.items():
        trained = together.members[name].get_weights()
        assert len(trained) == len(weights)
        for a, b in zip(trained, weights, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(histories[name]["loss"], history["loss"], rtol=1e-4)
        np.testing.assert_allclose(histories[name]["accuracy"], history["accuracy"], atol=1e-6)
        np.testing.assert_allclose(predicted[name], prediction, rtol=1e-4, atol=1e-5)
        assert predicted[name].shape == (len(X), 5, 1)
    # the members are the trained models themselves
    np.testing.assert_allclose(together.members["forward"].predict(X, verbose=0), predicted["forward"],
                               rtol=1e-5, atol=1e-6)


def test_validation_history_per_member_and_a_loss_per_member():
    members = [build() for _, build in variants()[:2]]
    together = training.SideBySide(members, loss={"forward": "binary_crossentropy", "backward": "mse"},
                                   optimizer="adam")
    histories = together.fit(X, Y, validation_data=(X[:6], Y[:6]), epochs=2, verbose=0)
    assert set(histories["forward"]) == {"loss", "val_loss"} == set(histories["backward"])
    assert len(histories["backward"]["val_loss"]) == 2
    # each loss is that member's own: mse of the backward member, evaluated alone, matches
    mse = float(np.mean((together.members["backward"].predict(X[:6], verbose=0) - Y[:6]) ** 2))
    np.testing.assert_allclose(histories["backward"]["val_loss"][-1], mse, rtol=1e-4)


def test_names_that_prefix_each_other_keep_their_own_histories():
    def build(name, units):
        inputs = keras.Input(shape=(5, 1))
        return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(units)(inputs)), name=name)

    together = training.SideBySide([build("lstm", 1), build("lstm_2", 2)], loss="mse", optimizer="sgd")
    histories = together.fit(X, Y[:, 0], epochs=2, verbose=0)
    assert set(histories["lstm"]) == {"loss"} == set(histories["lstm_2"])
    assert histories["lstm"]["loss"] != histories["lstm_2"]["loss"]


def two():
    return [build() for _, build in variants()[:2]]


@pytest.mark.parametrize("models_, kwargs, error, named", [
    ("not a list", {}, TypeError, "models"),
    ([], {}, ValueError, "models"),
    ([object()], {}, TypeError, "models[0]"),
    (None, {"loss_weights": [1, 2]}, ValueError, "loss_weights"),
    (None, {"loss": {"forward": "mse"}}, ValueError, "loss"),
    (None, {"optimizer": keras.optimizers.Adam(global_clipnorm=1.0)}, ValueError, "global_clipnorm"),
    (None, {"loss": "nope"}, ValueError, "loss"),
    (None, {"loss": None}, ValueError, "loss"),
    (None, {"optimizer": "nope"}, ValueError, "optimizer"),
])
def test_bad_side_by_sides_are_refused_by_name(models_, kwargs, error, named):
    arguments = {"loss": "mse", "optimizer": "adam", **kwargs}
    with pytest.raises(error, match=named.replace("[", r"\[")):
        training.SideBySide(two() if models_ is None else models_, **arguments)


def test_duplicate_names_and_different_inputs_are_refused():
    first, _ = two()
    with pytest.raises(ValueError, match="names"):
        training.SideBySide([first, first], loss="mse", optimizer="adam")
    other = models.build_vanilla_lstm((6, 1), output_units=1, units=2, output_activation=None, name="other")
    with pytest.raises(ValueError, match="input shape"):
        training.SideBySide([first, other], loss="mse", optimizer="adam")
    together = training.SideBySide(two(), loss="mse", optimizer="adam")
    with pytest.raises(ValueError, match="x"):
        together.fit(np.zeros((4, 6, 1)), np.zeros((4, 5, 1)), verbose=0)
    with pytest.raises(ValueError, match="validation_data"):
        together.fit(X, Y, validation_data=X, verbose=0)
    with pytest.raises(ValueError, match="y"):  # one row of y per sample of x
        together.fit(X, Y[:-1], verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[1\]"):
        together.fit(X, Y, validation_data=(X, Y[:-1]), verbose=0)
