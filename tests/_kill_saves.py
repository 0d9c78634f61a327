"""Save models in a loop and kill the saver at random moments (run by tests/test_faults.py).

Usage: KERAS_BACKEND=numpy python tests/_kill_saves.py FOLDER KILLS SEED > results.json
       KERAS_BACKEND=numpy python tests/_kill_saves.py FOLDER steps > results.json

The process builds three small models, each with constant weights of its own, then forks a
saver for each kill: the saver saves the models one after another for ever, as a .keras
file and as a JSON + weights pair, each keeping 2 backups; the parent kills it with SIGKILL
after a random delay and then checks what a reader would find: the version in each file
and in each of its backups, newest first. One JSON line per kill.
"""

import json
import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path

import keras
import numpy as np

from lstmbook import _files, persistence

X = np.ones((1, 2), dtype="float32")


def model_with(value: float) -> keras.Model:
    inputs = keras.Input(shape=(2,), name="inputs")
    model = keras.Model(inputs, keras.layers.Dense(1, name="output")(inputs), name="m")
    model.set_weights([np.full((2, 1), value, "float32"), np.zeros(1, "float32")])
    return model


def version(model) -> float:
    """Which of the models this is: its output on ones is 2 * value."""
    return float(np.asarray(model(X))[0, 0]) / 2


def saver(folder: Path, models) -> None:
    for i in range(10**9):
        model = models[i % len(models)]
        persistence.save_model(model, folder / "model.keras", backups=2)
        persistence.save_architecture_and_weights(model, folder / "pair.json", backups=2)


def load_value(path: Path):
    try:
        return version(persistence.load_model(path, compile=False))
    except ValueError as error:  # e.g. a pair whose save was killed between its two files
        # the folder's path left out: a long temporary path would push the reason past the cut
        return f"ValueError: {str(error).replace(str(path.parent), '.')[:300]}"
    except FileNotFoundError:
        return None


def inspect(folder: Path) -> dict:
    """What a reader finds: each file's version, newest first, and any temporary files left."""
    temp = folder / _files.TEMP_FOLDER
    found = {"temp_files": sorted(p.name for p in temp.iterdir()) if temp.exists() else []}
    for name in ("model.keras", "pair.json"):
        found[name] = [load_value(path) for path in [folder / name, *persistence.backup_paths(folder / name)]]
    return found


FILE_CALLS = ((os, "replace"), (os, "link"), (os, "unlink"), (os, "rename"), (os, "fsync"))


def die_at_call(step: int) -> None:
    """Make this process die (no clean-up runs) at its ``step``-th call of a file operation."""
    calls = {"n": 0}
    for module, name in FILE_CALLS:
        original = getattr(module, name)

        def dying(*args, _original=original, **kwargs):
            calls["n"] += 1
            if calls["n"] == step:
                os._exit(9)
            return _original(*args, **kwargs)

        setattr(module, name, dying)


def steps(folder: Path) -> None:
    """Kill a save at each of its file operations in turn, from 3 saved versions each time.

    One JSON line per step: the versions before, and what a reader finds after the kill
    and after the next save.
    """
    models = [model_with(value) for value in (1.0, 2.0, 3.0, 4.0)]
    for step in range(1, 40):
        for path in folder.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        for model in models[:3]:
            persistence.save_model(model, folder / "model.keras", backups=2)
            persistence.save_architecture_and_weights(model, folder / "pair.json", backups=2)
        before = inspect(folder)
        pid = os.fork()
        if pid == 0:
            die_at_call(step)
            persistence.save_model(models[3], folder / "model.keras", backups=2)
            persistence.save_architecture_and_weights(models[3], folder / "pair.json", backups=2)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        killed = inspect(folder)
        persistence.save_model(models[0], folder / "model.keras", backups=2)
        persistence.save_architecture_and_weights(models[0], folder / "pair.json", backups=2)
        print(json.dumps({"step": step, "killed": os.waitstatus_to_exitcode(status) == 9, "before": before,
                          "after_kill": killed, "after_next_save": inspect(folder)}), flush=True)


def main() -> None:
    if sys.argv[2] == "steps":
        steps(Path(sys.argv[1]))
        return
    folder, kills, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    models = [model_with(value) for value in (1.0, 2.0, 3.0)]
    rng = random.Random(seed)
    for model in models:  # a full set of versions and backups to start from
        persistence.save_model(model, folder / "model.keras", backups=2)
        persistence.save_architecture_and_weights(model, folder / "pair.json", backups=2)
    for kill in range(kills):
        pid = os.fork()
        if pid == 0:
            try:
                saver(folder, models)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.01, 0.6))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        print(json.dumps({"kill": kill, **inspect(folder)}), flush=True)
    persistence.save_model(models[0], folder / "model.keras", backups=2)  # one more save, not killed
    persistence.save_architecture_and_weights(models[0], folder / "pair.json", backups=2)
    print(json.dumps({"kill": "after", **inspect(folder)}), flush=True)


if __name__ == "__main__":
    main()
