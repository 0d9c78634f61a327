"""What every chapter shares: flags, seeding, output folder, timing, figures and metrics.json.

Introduced in Chapter 3 and used by every chapter after it.

A chapter module declares one :class:`Chapter` with its number, slug, title, the
book's figure and its targets, and its ``main(argv=None)`` reads like this::

    CHAPTER = Chapter(6, "vanilla_lstm", "Vanilla LSTM",
                      book="100% accuracy on the echo problem",
                      targets={"accuracy": (">=", 0.99)})

    def main(argv=None):
        run = CHAPTER.start(argv)          # flags, seed, output folder, timer
        ...                                # the chapter's work
        run.save_figure(fig, "echo_examples.png")
        return run.finish({"accuracy": accuracy})

``run.finish`` writes ``metrics.json`` atomically, prints a one-line summary
and returns the metrics record as a dict.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the book
os.environ.setdefault("MPLBACKEND", "Agg")  # a run never opens a window

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from lstmbook._checks import check_int  # noqa: E402
from lstmbook._files import replacing, save_png  # noqa: E402

__all__ = [
    "Chapter",
    "ChapterRun",
    "OPS",
    "atomic_write_text",
    "atomic_write_json",
    "check_target",
    "cpu_model",
    "library_versions",
    "parse_args",
    "peak_rss_mb",
    "targets_text",
]

#: The comparison operators a target may use.
OPS = {
    ">=": lambda value, bound: value >= bound,
    ">": lambda value, bound: value > bound,
    "<=": lambda value, bound: value <= bound,
    "<": lambda value, bound: value < bound,
    "==": lambda value, bound: value == bound,
}

#: Where chapter runs write by default, relative to the working directory.
DEFAULT_OUTPUT_ROOT = Path("outputs")


# ---------------------------------------------------------------------------------------------
# Small, reusable pieces
# ---------------------------------------------------------------------------------------------


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically: a temporary file beside it, then ``os.replace``.

    A reader never sees a half-written file, and a crash leaves the old file as it was.

    Args:
        path: destination file (str or Path). Its folder must exist.
        text: the text to write (UTF-8).

    Returns:
        The destination as a ``Path``.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like. Received: path={path!r}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str. Received: text of type {type(text).__name__}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path's folder does not exist. Received: path={str(path)!r}")
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _json_default(value):
    """Turn NumPy scalars and arrays into plain JSON values."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _clean_json(value):
    """Replace NaN and infinities (not valid JSON) with None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_json(v) for v in value]
    return value


def atomic_write_json(path, data: dict) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (see :func:`atomic_write_text`).

    NumPy scalars and arrays are converted; NaN and infinities become ``null``.
    """
    text = json.dumps(to_plain_json(data), indent=2, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def to_plain_json(data: dict) -> dict:
    """``data`` as plain JSON values: NumPy scalars and arrays converted, NaN and inf as None."""
    if not isinstance(data, dict):
        raise TypeError(f"data must be a dict. Received: data of type {type(data).__name__}")
    return _clean_json(json.loads(json.dumps(data, default=_json_default)))


def check_target(value, op: str, bound: float) -> bool:
    """Whether ``value op bound`` holds; a missing or non-finite value never passes.

    >>> check_target(0.995, ">=", 0.99)
    True
    >>> check_target(float("nan"), "<=", 0.03)
    False
    """
    if not isinstance(op, str) or op not in OPS:
        raise ValueError(f"op must be one of {sorted(OPS)}. Received: op={op!r}")
    if isinstance(bound, bool) or not isinstance(bound, Real):
        raise TypeError(f"bound must be a finite number. Received: bound={bound!r}")
    if not math.isfinite(bound):
        raise ValueError(f"bound must be a finite number. Received: bound={bound!r}")
    if value is None or isinstance(value, bool):
        return False
    try:
        value = float(value)
    except (TypeError, ValueError):
        return False
    if not math.isfinite(value):
        return False
    return bool(OPS[op](value, float(bound)))


def library_versions() -> dict:
    """Versions of Python, Keras, the active backend and the numerical stack."""
    import keras
    import numpy

    versions = {"python": platform.python_version(), "keras": keras.__version__,
                "numpy": numpy.__version__}
    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module:
        try:
            versions[backend] = __import__(module).__version__
        except ImportError:  # pragma: no cover - the backend imported, so this is odd
            pass
    return versions


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (0.0 where the OS can't tell)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def targets_text(record: dict, bounds: bool = True) -> str:
    """``accuracy=0.998 (>= 0.99)`` for each targeted metric of a metrics.json record.

    >>> targets_text({"metrics": {"mae": 0.0159}, "targets": {"mae": {"op": "<=", "value": 0.03}}})
    'mae=0.0159 (<= 0.03)'
    """
    parts = []
    for key, target in record.get("targets", {}).items():
        value = record.get("metrics", {}).get(key)
        shown = f"{value:.4g}" if isinstance(value, (int, float)) else str(value)
        parts.append(f"{key}={shown} ({target['op']} {target['value']:g})" if bounds else f"{key}={shown}")
    return ", ".join(parts)


def cpu_model() -> str:
    """The CPU's model name where the OS tells it (Linux), else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_args(argv=None, *, default_output_dir: str | os.PathLike | None = None,
               description: str | None = None) -> argparse.Namespace:
    """Parse the flags every chapter takes.

    ``--quick``, ``--epochs N``, ``--seed N`` (default 42), ``--output-dir DIR``,
    ``--verbose`` (Keras progress bars) and ``--tensorboard`` (TensorBoard logs).

    When ``argv`` is None the command line is read, except inside a Jupyter kernel,
    whose own arguments are ignored so that a chapter opened as a notebook runs as is.
    """
    if argv is None:
        argv = [] if "ipykernel" in sys.modules else sys.argv[1:]
    if isinstance(argv, (str, bytes)) or not all(isinstance(a, str) for a in argv):
        raise TypeError(f"argv must be a list of str. Received: argv={argv!r}")
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes that cover the same code paths in seconds")
    parser.add_argument("--epochs", type=_positive_int, default=None,
                        help="override the number of training epochs")
    parser.add_argument("--seed", type=_non_negative_int, default=42,
                        help="random seed for Python, NumPy and the backend (default 42)")
    parser.add_argument("--output-dir", default=default_output_dir,
                        help="where figures and metrics.json go (default outputs/chNN_slug/)")
    parser.add_argument("--verbose", action="store_true",
                        help="show Keras's progress bars during fit")
    parser.add_argument("--tensorboard", action="store_true",
                        help="write TensorBoard logs to OUTPUT_DIR/logs")
    return parser.parse_args(list(argv))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative int, got {text}")
    return value


# ---------------------------------------------------------------------------------------------
# Chapter and its run
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    """A chapter's identity and its targets.

    Args:
        number: the book's chapter number, 1 to 14.
        slug: the module's name without ``chNN_`` (``"vanilla_lstm"``).
        title: the chapter's title.
        book: the book's own figure, in words, for the report.
        targets: ``{metric: (op, bound)}``, checked on full runs. ``op`` is one of
            ``>=``, ``>``, ``<=``, ``<``, ``==``.
        main_figure: the figure the report links to (a file name in the output folder).
    """

    number: int
    slug: str
    title: str
    book: str = ""
    targets: dict = field(default_factory=dict)
    main_figure: str | None = None

    def __post_init__(self):
        if not isinstance(self.number, int) or isinstance(self.number, bool) \
                or not 1 <= self.number <= 14:
            raise ValueError(f"number must be an int in 1..14. Received: number={self.number!r}")
        if not isinstance(self.slug, str) or not self.slug.isidentifier():
            raise ValueError(f"slug must be a Python identifier. Received: slug={self.slug!r}")
        if not isinstance(self.title, str) or not self.title:
            raise ValueError(f"title must be a non-empty str. Received: title={self.title!r}")
        if not isinstance(self.targets, dict):
            raise TypeError(f"targets must be a dict. Received: targets={self.targets!r}")
        for key, target in self.targets.items():
            if (not isinstance(target, tuple) or len(target) != 2 or target[0] not in OPS
                    or isinstance(target[1], bool) or not isinstance(target[1], (int, float))):
                raise ValueError(
                    f"targets[{key!r}] must be (op, number) with op in {sorted(OPS)}. "
                    f"Received: {target!r}")

    @property
    def name(self) -> str:
        """``chNN_slug``, the module's and the output folder's name."""
        return f"ch{self.number:02d}_{self.slug}"

    def start(self, argv=None) -> ChapterRun:
        """Parse the flags, seed everything, create the output folder and start the clock."""
        args = parse_args(argv, default_output_dir=DEFAULT_OUTPUT_ROOT / self.name,
                          description=f"Chapter {self.number}: {self.title}")
        return ChapterRun(self, args)


class ChapterRun:
    """One run of a chapter: its flags, its output folder, its figures and its clock."""

    def __init__(self, chapter: Chapter, args: argparse.Namespace):
        import keras

        self.chapter = chapter
        self.args = args
        self.quick: bool = bool(args.quick)
        self.seed: int = int(args.seed)
        self.output_dir = Path(args.output_dir)
        if self.output_dir.exists() and not self.output_dir.is_dir():
            raise ValueError(
                f"output_dir exists and is not a folder. Received: output_dir={str(self.output_dir)!r}")
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.figures: list[str] = []
        self._start = time.perf_counter()
        self.seed_everything()
        print(f"Chapter {chapter.number}: {chapter.title} "
              f"({'quick' if self.quick else 'full'} run, seed {self.seed}, "
              f"backend {keras.backend.backend()}) -> {self.output_dir}", flush=True)

    # -- settings ------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    def pick(self, full, quick):
        """The full-run value, or the quick-run one under ``--quick``."""
        return quick if self.quick else full

    def epochs(self, full: int, quick: int) -> int:
        """Epochs to train: ``--epochs`` when given, else the full or quick default."""
        if self.args.epochs is not None:
            return int(self.args.epochs)  # parse_args checked it
        return check_int(self.pick(full, quick), "epochs")

    @property
    def fit_verbose(self):
        """``verbose=`` for ``fit``/``predict``: Keras's progress bars under ``--verbose``."""
        return "auto" if self.args.verbose else 0

    def seed_everything(self, offset: int = 0) -> int:
        """Seed Python, NumPy and the backend with ``seed + offset``; returns that seed.

        Call it again right before building each model, as Hands-On ML does, so that one
        model's randomness does not depend on what ran before it.
        """
        import keras

        seed = self.seed + check_int(offset, "offset", minimum=0)
        keras.utils.set_random_seed(seed)
        return seed

    def callbacks(self, name: str = "fit") -> list:
        """Callbacks every ``fit`` should get: a TensorBoard logger under ``--tensorboard``."""
        import keras

        if not self.args.tensorboard:
            return []
        return [keras.callbacks.TensorBoard(log_dir=str(self.output_dir / "logs" / name))]

    # -- output --------------------------------------------------------------------------------

    def log(self, message: str) -> None:
        """Print a progress line, flushed at once so that ``make`` shows it as it happens."""
        print(message, flush=True)

    def path(self, name: str) -> Path:
        """A file inside the output folder."""
        if not isinstance(name, str) or not name or Path(name).name != name:
            raise ValueError(f"name must be a plain file name. Received: name={name!r}")
        return self.output_dir / name

    def save_figure(self, fig, name: str, *, dpi: int = 100) -> Path:
        """Save a matplotlib figure as PNG in the output folder (atomically) and close it."""
        if not hasattr(fig, "savefig"):
            raise TypeError(f"fig must be a matplotlib Figure. Received: {type(fig).__name__}")
        if not isinstance(name, str) or not name.endswith(".png"):
            raise ValueError(f"name must end in .png. Received: name={name!r}")
        path = save_png(fig, self.path(name), dpi=dpi)
        if name not in self.figures:
            self.figures.append(name)
        return path

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start

    def finish(self, metrics: dict, **extra) -> dict:
        """Check the targets, write ``metrics.json`` atomically, print the summary line.

        Args:
            metrics: ``{name: number}``; every target's metric must be among them.
            **extra: more top-level entries for ``metrics.json`` (tables, settings).

        Returns:
            The record written to ``metrics.json``.
        """
        import keras

        if not isinstance(metrics, dict):
            raise TypeError(f"metrics must be a dict. Received: {type(metrics).__name__}")
        missing = [key for key in self.chapter.targets if key not in metrics]
        if missing:
            raise ValueError(f"metrics lacks the targeted keys {missing}. Received: {sorted(metrics)}")
        checks = {key: check_target(metrics[key], op, bound)
                  for key, (op, bound) in self.chapter.targets.items()}
        passed = None if self.quick else all(checks.values())
        record = {
            "chapter": self.chapter.number,
            "slug": self.chapter.slug,
            "title": self.chapter.title,
            "mode": self.mode,
            "seed": self.seed,
            "backend": keras.backend.backend(),
            "versions": library_versions(),
            "seconds": round(self.seconds, 2),
            "metrics": metrics,
            "targets": {key: {"op": op, "value": bound}
                        for key, (op, bound) in self.chapter.targets.items()},
            "target_met": checks,
            "passed": passed,
            "book": self.chapter.book,
            "main_figure": self.chapter.main_figure if self.chapter.main_figure in self.figures
            else (self.figures[0] if self.figures else None),
            "figures": list(self.figures),
            "machine": {"platform": platform.platform(), "processor": platform.machine(),
                        "cpu": cpu_model(), "cpus": os.cpu_count()},
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        clashes = sorted(set(extra) & set(record))
        if clashes:  # e.g. passed=True would overrule the targets
            raise ValueError(f"finish's extra entries must not replace the record's own {clashes}. "
                             f"Received: {', '.join(f'{key}=...' for key in clashes)}")
        record.update(extra)
        record = to_plain_json(record)  # what metrics.json holds, and what the caller gets back
        atomic_write_json(self.output_dir / "metrics.json", record)
        print(self.summary_line(record), flush=True)
        return record

    @staticmethod
    def summary_line(record: dict) -> str:
        """``ch06 Vanilla LSTM | accuracy=1.0000 (>= 0.99) | PASS | 12.3 s``."""
        status = {True: "PASS", False: "FAIL", None: "quick run, targets not checked"}[record["passed"]]
        return (f"ch{record['chapter']:02d} {record['title']} | {targets_text(record) or 'no targets'}"
                f" | {status} | {record['seconds']:.1f} s")
