"""The book's fourteen chapters, one tutobook each (``python -m chapters.ch06_vanilla_lstm``).

``python -m chapters`` lists them with the runner's commands and flags; ``python -m chapters 6
--quick`` runs one; ``python -m chapters all`` runs every chapter as an executed notebook,
then writes ``docs/REPORT.md``. The harness is in ``chapters/_book.py``.

Importing this package starts Keras with its backend's C++ start-up messages (absl, oneDNN,
CUDA probing on a machine without a GPU) kept off the terminal: TensorFlow writes them
straight to file descriptor 2, whatever ``TF_CPP_MIN_LOG_LEVEL`` says. Set
``TF_CPP_MIN_LOG_LEVEL=0`` to see them.
"""

import importlib.util
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


_STARTED = False


def _start_keras_quietly() -> None:
    """Import Keras with fd 2 closed, once a process (later calls return at once)."""
    global _STARTED
    if _STARTED or os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0":
        return
    _STARTED = True
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import keras

        keras.ops.convert_to_numpy(keras.ops.zeros(1))  # the backend probes its devices here
        if keras.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow"):
            import tensorflow  # noqa: F401 - Keras's data utilities import it later on any backend
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _runner() -> bool:
    """``python -m chapters ...``: the runner starts Keras itself, and only when a chapter runs in
    its process, so that ``--help``, the chapter list and a bad flag answer at once."""
    argv = getattr(sys, "orig_argv", [])
    return "-m" in argv and argv[argv.index("-m") + 1:argv.index("-m") + 2] in (["chapters"], ["chapters._lab"])


if not _runner():
    _start_keras_quietly()
