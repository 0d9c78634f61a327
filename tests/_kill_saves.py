"""Save models in a loop and kill the saver at random moments (run by tests/test_faults.py).

Usage: KERAS_BACKEND=numpy python tests/_kill_saves.py FOLDER KILLS SEED > results.json

The process builds three small models, each with constant weights of its own, then forks a
saver for each kill: the saver saves the models one after another for ever, as a .keras
file and as a JSON + weights pair, each keeping 2 backups; the parent kills it with SIGKILL
after a random delay and then checks what a reader would find. One JSON line per kill.
"""

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import keras
import numpy as np

from lstmbook import persistence

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


def inspect(folder: Path) -> dict:
    found = {"temp_files": sorted(p.name for p in folder.iterdir() if p.name.startswith("."))}
    for name in ("model.keras", "model.backup-1.keras", "model.backup-2.keras",
                 "pair.json", "pair.backup-1.json", "pair.backup-2.json"):
        path = folder / name
        try:
            found[name] = version(persistence.load_model(path, compile=False))
        except ValueError as error:  # e.g. a pair whose save was killed between its two files
            # the folder's path left out: a long temporary path would push the reason past the cut
            found[name] = f"ValueError: {str(error).replace(str(folder), '.')[:300]}"
        except FileNotFoundError:
            found[name] = None
    return found


def main() -> None:
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
