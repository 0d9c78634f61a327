"""lstmbook: the Keras 3 companion to *Long Short-Term Memory Networks With Python*."""

__version__ = "0.1.0"
