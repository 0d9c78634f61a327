"""lstmbook's benchmarks: ``make bench`` (``python -m benchmarks [--quick]``) -> docs/BENCHMARKS.md.

Four comparisons, each measured side by side in one run and reported as ratios with
min/median/max over repeats:

1. the book's per-sample ``fit`` loops (Chapters 6 and 11) vs our full chapter runs
   (:mod:`benchmarks.book_loops`);
2. TensorFlow vs JAX, wall time of each model chapter (6-11) and whether its targets
   were met (:mod:`benchmarks.common`'s ``run_chapter``);
3. our vectorised generators vs per-sample Python loops that build the same arrays
   (:mod:`benchmarks.generators`);
4. the lstmbook builders vs the same models in plain Keras (:mod:`benchmarks.builders`).

The benchmarks are not part of the installed package; run them from the repository root.
"""
