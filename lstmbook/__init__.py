"""lstmbook: the Keras 3 companion to *Long Short-Term Memory Networks With Python*.

The public API is split by topic, one module each::

    from lstmbook import prep, problems, models, training, forecast, diagnostics, persistence, datasets

``import lstmbook`` registers the library's custom layers, constraint, loss and metric with
Keras (it imports ``lstmbook.models`` and ``lstmbook.training``, and so Keras), so that
``keras.models.load_model`` reads a ``.keras`` file saved from any builder or ensemble.
The other submodules load on first use.
"""

import importlib

__version__ = "0.1.0"

__all__ = ["cell", "datasets", "diagnostics", "forecast", "models", "persistence", "prep", "problems",
           "training", "__version__"]

try:
    import keras  # noqa: F401 - loads its backend, which lstmbook leaves to you to install
except ModuleNotFoundError as error:
    if error.name not in {"tensorflow", "jax", "torch"}:
        raise
    raise ModuleNotFoundError(
        f"Keras's backend {error.name!r} is not installed: pip install 'lstmbook[tensorflow]' for "
        "the default backend, or pip install 'lstmbook[jax]' and set KERAS_BACKEND=jax",
        name=error.name) from error

# Register the library's layers, constraint, loss and metric with Keras, so that
# keras.models.load_model reads any model saved from the library (an Ensemble's too).
from lstmbook import models, training  # noqa: E402, F401


def __getattr__(name):
    if name in __all__ and name != "__version__":
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
