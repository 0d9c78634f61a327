"""lstmbook.persistence: atomic, versioned saves; both formats; clear errors."""

import keras
import numpy as np
import pytest

from lstmbook import persistence

X = np.linspace(0.0, 0.9, 6).reshape(6, 1, 1)


def small_model(seed=0, compiled=False):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(1, 1), name="inputs")
    hidden = keras.layers.LSTM(3, name="lstm")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="output")(hidden), name="small")
    if compiled:
        model.compile(loss="mse", optimizer="adam")
    return model


@pytest.fixture(scope="module")
def models():
    return small_model(0), small_model(1), small_model(2)


def predict(model):
    return keras.ops.convert_to_numpy(model(X))  # a direct call: no predict function to compile


def test_keras_round_trip_and_numbered_backups(tmp_path, models):
    first, second, third = models
    path = tmp_path / "model.keras"
    assert persistence.save_model(first, path, backups=2) == path
    assert persistence.backup_paths(path) == []
    persistence.save_model(second, path, backups=2)
    persistence.save_model(third, path, backups=2)
    # Each version keeps the name it got, numbered in the order kept; newest first here.
    assert persistence.backup_paths(path) == [tmp_path / "model.backup-2.keras",
                                              tmp_path / "model.backup-1.keras"]
    np.testing.assert_array_equal(predict(persistence.load_model(path)), predict(third))
    for number, expected in ((2, second), (1, first)):
        backup = persistence.load_model(tmp_path / f"model.backup-{number}.keras")
        np.testing.assert_array_equal(predict(backup), predict(expected))
    persistence.save_model(first, path, backups=1)  # fewer backups prunes the older ones
    assert persistence.backup_paths(path) == [tmp_path / "model.backup-3.keras"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.backup-3.keras", "model.keras"]  # no temp
    np.testing.assert_array_equal(predict(persistence.load_model(path)), predict(first))
    np.testing.assert_array_equal(predict(persistence.load_model(tmp_path / "model.backup-3.keras")),
                                  predict(third))


def test_save_model_never_touches_files_that_are_not_its_backups(tmp_path, models):
    first, second, third = models
    path = tmp_path / "ckpt.keras"
    for name in ("ckpt.1.keras", "ckpt.5.keras", "ckpt.backup-x.keras", "other.backup-1.keras"):
        (tmp_path / name).write_bytes(name.encode())  # a user's own files with similar names
    for model in models:
        persistence.save_model(model, path, backups=1)
    for name in ("ckpt.1.keras", "ckpt.5.keras", "ckpt.backup-x.keras", "other.backup-1.keras"):
        assert (tmp_path / name).read_bytes() == name.encode()
    assert persistence.backup_paths(path) == [tmp_path / "ckpt.backup-2.keras"]
    np.testing.assert_array_equal(predict(persistence.load_model(path)), predict(third))
    np.testing.assert_array_equal(predict(persistence.load_model(persistence.backup_paths(path)[0])),
                                  predict(second))


def test_saved_files_get_normal_permissions(tmp_path, models):
    import os
    import stat

    path = persistence.save_model(models[0], tmp_path / "model.keras")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's owner-only 0o600
    json_path, weights_path = persistence.save_architecture_and_weights(models[0], tmp_path / "a.json")
    assert stat.S_IMODE(weights_path.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(json_path.stat().st_mode) == 0o666 & ~umask
    os.chmod(path, 0o640)  # a replaced file keeps the permissions its owner gave it
    persistence.save_model(models[1], path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_interrupted_save_leaves_the_previous_model_intact(tmp_path, models, monkeypatch):
    first, second, _ = models
    path = tmp_path / "model.keras"
    persistence.save_model(first, path)
    before = path.read_bytes()

    def crash_midway(filepath, *args, **kwargs):
        with open(filepath, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip")  # the start of an archive, then the failure
        raise OSError("disk full")

    monkeypatch.setattr(second, "save", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        persistence.save_model(second, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no temp file, no backup rotated
    np.testing.assert_array_equal(predict(persistence.load_model(path)), predict(first))


def test_architecture_and_weights_round_trip(tmp_path):
    model = small_model(3, compiled=True)
    json_path, weights_path = persistence.save_architecture_and_weights(model, tmp_path / "arch.json")
    assert weights_path == tmp_path / "arch.weights.h5" and json_path.read_text().startswith("{")
    loaded = persistence.load_model(json_path)
    np.testing.assert_array_equal(predict(loaded), predict(model))
    assert loaded.compiled and loaded.loss == "mse"  # Keras 3's JSON keeps the compile settings
    assert not persistence.load_model(json_path, compile=False).compiled
    other = tmp_path / "elsewhere.weights.h5"
    persistence.save_architecture_and_weights(model, tmp_path / "b.json", other)
    np.testing.assert_array_equal(predict(persistence.load_model(tmp_path / "b.json", weights_path=other)),
                                  predict(model))


def test_architecture_and_weights_keep_the_previous_pair(tmp_path, models):
    first, second, third = models
    json_path = tmp_path / "arch.json"
    for model in models:
        persistence.save_architecture_and_weights(model, json_path, backups=2)
    assert persistence.backup_paths(json_path) == [tmp_path / "arch.backup-2.json",
                                                   tmp_path / "arch.backup-1.json"]
    assert persistence.backup_paths(tmp_path / "arch.weights.h5") == [tmp_path / "arch.backup-2.weights.h5",
                                                                      tmp_path / "arch.backup-1.weights.h5"]
    for loaded_from, expected in ((json_path, third), (tmp_path / "arch.backup-2.json", second),
                                  (tmp_path / "arch.backup-1.json", first)):
        np.testing.assert_array_equal(predict(persistence.load_model(loaded_from)), predict(expected))


def test_failed_weights_write_leaves_the_previous_pair_intact(tmp_path, models, monkeypatch):
    first, second, _ = models
    json_path, weights_path = persistence.save_architecture_and_weights(first, tmp_path / "arch.json")
    before = json_path.read_bytes(), weights_path.read_bytes()

    def crash(filepath, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(second, "save_weights", crash)
    with pytest.raises(OSError, match="disk full"):
        persistence.save_architecture_and_weights(second, json_path)
    assert (json_path.read_bytes(), weights_path.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arch.json", "arch.weights.h5"]


def test_clear_errors(tmp_path, models):
    model = models[0]
    with pytest.raises(FileNotFoundError, match="No model file"):
        persistence.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="legacy"):
        persistence.load_model(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"\.keras or \.json"):
        persistence.load_model(tmp_path / "model.txt")
    (tmp_path / "corrupt.keras").write_bytes(b"\x00garbage")
    with pytest.raises(ValueError, match="corrupt"):
        persistence.load_model(tmp_path / "corrupt.keras")
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "bad.weights.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="invalid JSON"):
        persistence.load_model(tmp_path / "bad.json")
    (tmp_path / "lonely.json").write_text(model.to_json())
    with pytest.raises(FileNotFoundError, match="weights"):
        persistence.load_model(tmp_path / "lonely.json")
    with pytest.raises(ValueError, match=r"\.keras"):
        persistence.save_model(model, tmp_path / "model.h5")
    with pytest.raises(FileNotFoundError, match="folder"):
        persistence.save_model(model, tmp_path / "no" / "model.keras")
    with pytest.raises(TypeError, match="keras.Model"):
        persistence.save_model("model", tmp_path / "m.keras")
    with pytest.raises(ValueError, match="backups"):
        persistence.save_model(model, tmp_path / "m.keras", backups=0)  # the previous model is always kept
    with pytest.raises(ValueError, match="backups"):
        persistence.save_model(model, tmp_path / "m.keras", backups=10**9)
    persistence.save_model(model, tmp_path / "ok.keras")
    with pytest.raises(TypeError, match="compile"):
        persistence.load_model(tmp_path / "ok.keras", compile="no")
    with pytest.raises(TypeError, match="custom_objects must be a dict"):
        persistence.load_model(tmp_path / "ok.keras", custom_objects=["Layer"])
    with pytest.raises(TypeError, match="backups"):
        persistence.save_model(model, tmp_path / "m.keras", backups=1.5)
    assert not list(tmp_path.glob("m*.keras"))


def test_finalize_model_trains_on_all_data(tmp_path):
    y = X[:, 0, 0] + 0.1
    model, history = persistence.finalize_model(lambda: small_model(5), X, y, epochs=3, seed=5)
    reloaded = persistence.load_model(persistence.save_model(model, tmp_path / "final.keras"))
    assert reloaded.compiled and reloaded.optimizer.iterations.numpy() == 3  # optimizer state kept
    assert len(history["loss"]) == 3 and model.compiled
    with pytest.raises(TypeError, match="build_fn"):
        persistence.finalize_model(None, X, y, epochs=1)
    with pytest.raises(ValueError, match="compile_kwargs"):
        persistence.finalize_model(lambda: small_model(5), X, y, epochs=1, compile_kwargs={"loss": "bogus"})


def test_load_model_in_a_fresh_process_knows_the_builders_custom_layers(tmp_path):
    """A user who only imports lstmbook.persistence can load a saved CNN-LSTM (custom layers)."""
    import subprocess
    import sys
    import textwrap

    from lstmbook import models, persistence

    model = models.build_cnn_lstm((8, 8, 1), timesteps=3)
    persistence.save_model(model, tmp_path / "cnn.keras")
    code = textwrap.dedent(f"""
        from lstmbook import persistence
        model = persistence.load_model({str(tmp_path / "cnn.keras")!r}, compile=False)
        print(model.get_layer("cnn").__class__.__name__, model.output_shape)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == "1)" and "(None," in proc.stdout
