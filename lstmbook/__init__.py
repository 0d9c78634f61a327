"""lstmbook: the Keras 3 companion to *Long Short-Term Memory Networks With Python*.

The public API is split by topic, one module each::

    from lstmbook import prep, problems, models, training, diagnostics, persistence, datasets

Submodules load on first use, so ``import lstmbook`` stays cheap and does not start a backend.
"""

import importlib

__version__ = "0.1.0"

__all__ = ["cell", "datasets", "diagnostics", "models", "persistence", "prep", "problems",
           "training", "__version__"]


def __getattr__(name):
    if name in __all__ and name != "__version__":
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
