"""The book's fourteen chapters, one runnable module each (``python -m chapters.ch06_vanilla_lstm``).

``python -m chapters 6 --quick`` runs one chapter by number; ``python -m chapters all``
runs every chapter in order, each in its own process, then writes ``docs/REPORT.md``.
"""
