"""The book's harness: the chapter registry, and what one run of a chapter needs.

This is the book's side of the project, not the library's: ``lstmbook`` never imports it.
A chapter is a tutobook whose first code cell starts a run::

    from chapters import _book as book

    run = book.start(6)                 # flags, seed, output folder, clock, figures
    SEED = run.seed                     # the Setup cell's settings, as plain constants
    VERBOSE = run.verbose               # 0, or "auto" under --verbose
    N_TRAIN = run.pick(10_000, 1_000)   # the full run's setting, or the quick one
    ...                                 # plain Keras, NumPy and matplotlib, top to bottom
    plt.show()                          # every open figure: a PNG in the output folder too
    run.finish({"accuracy": accuracy})  # metrics.json; a missed target stops the run

What a reader does not see is the harness's. ``start`` seeds Python, NumPy and the backend;
``plt.show()`` writes each open figure as ``LABEL.png`` (``plt.subplots(..., num="LABEL")``)
into the output folder, then shows it inline in a notebook or closes it in a script;
``--scheduler`` sends the repeats of the whole run to a Dask cluster; ``finish`` records
the run's seconds and peak memory, and the notebook runner adds each section's seconds
from the executed cells (``profile`` in metrics.json).

The flags come from the command line (``python -m chapters.ch06_vanilla_lstm --quick``)
or, where there is no command line (a notebook), from the environment:

=========================  ==========================  ========================================
flag                       environment                 meaning
=========================  ==========================  ========================================
``--quick``                ``LSTMBOOK_QUICK=1``        tiny sizes, same code paths, seconds
``--seed N``               ``LSTMBOOK_SEED=N``         seed for Python, NumPy and Keras (42)
``--epochs N``             ``LSTMBOOK_EPOCHS=N``       override the chapter's epochs
``--output-dir DIR``       ``LSTMBOOK_OUTPUT_DIR=DIR``  figures and metrics.json
``--verbose``              ``LSTMBOOK_VERBOSE=1``      Keras's progress bars
``--tensorboard``          ``LSTMBOOK_TENSORBOARD=1``  TensorBoard logs in DIR/logs
``--scheduler ADDRESS``    ``LSTMBOOK_SCHEDULER=...``  run the repeats on a Dask cluster (chapter 12)
=========================  ==========================  ========================================

A flag on the command line wins over the environment. A full run writes to
``outputs/BACKEND/chNN_slug/``; a quick run to ``outputs/BACKEND/quick/chNN_slug/``, so that
a quick run never replaces the record of a full one, nor one backend's run another's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the book

__all__ = ["CHAPTERS", "Chapter", "Run", "TargetsMissed", "check_target", "get", "start"]

#: The comparison operators a target may use.
OPS = {
    ">=": lambda value, bound: value >= bound,
    ">": lambda value, bound: value > bound,
    "<=": lambda value, bound: value <= bound,
    "<": lambda value, bound: value < bound,
    "==": lambda value, bound: value == bound,
}

ROOT = Path(__file__).resolve().parent.parent

def backend_name() -> str:
    """The Keras backend this process will use, read as Keras reads it but without importing
    it: ``KERAS_BACKEND``, else ``~/.keras/keras.json`` (``KERAS_HOME`` moves it), else tensorflow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    try:
        backend = json.loads((home / "keras.json").read_text(encoding="utf-8")).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    return backend if isinstance(backend, str) and backend.isidentifier() else "tensorflow"


#: Where runs write by default: the repository's outputs/<backend>/, wherever the run starts
#: (a notebook's kernel starts in the notebook's folder), so that the two backends' runs,
#: reports and site never mix.
OUTPUT_ROOT = ROOT / "outputs" / backend_name()
QUICK_ROOT = OUTPUT_ROOT / "quick"


# ---------------------------------------------------------------------------------------------
# The registry: one place for each chapter's number, slug, title, the book's figure, targets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    """One chapter of the book, as the runner, the report and the README table see it.

    Attributes:
        number: the book's chapter number, 1 to 14.
        slug: the module's name without ``chNN_`` (``"vanilla_lstm"``).
        title: the book's title for the chapter.
        book: the book's own figure, in words.
        targets: ``{metric: (op, bound)}``, checked on full runs.
        main_figure: the figure the report and README show.
        extra_metrics: metrics the report shows beside the targeted ones.
        shows: what the chapter shows, in a line (the README's chapter table).
        repeats: the chapter runs repeated experiments, which ``--scheduler`` sends to a
            Dask cluster.
        seconds: ``{backend: seconds}``, about how long a full run takes on a 2-core CPU
            (the chapter's own clock); ``all --jobs N`` starts the longest first.
    """

    number: int
    slug: str
    title: str
    book: str
    targets: dict = field(default_factory=dict)
    main_figure: str | None = None
    extra_metrics: tuple = ()
    shows: str = ""
    repeats: bool = False
    seconds: dict = field(default_factory=lambda: {"tensorflow": 30.0})

    def __post_init__(self):
        for key, (op, bound) in self.targets.items():
            if op not in OPS or isinstance(bound, bool) or not isinstance(bound, (int, float)):
                raise ValueError(f"targets[{key!r}] must be (op, number) with op in {sorted(OPS)}. "
                                 f"Received: {(op, bound)!r}")

    @property
    def name(self) -> str:
        """``chNN_slug``: the module's, the notebook's and the output folder's name."""
        return f"ch{self.number:02d}_{self.slug}"

    @property
    def module(self) -> str:
        return f"chapters.{self.name}"

    @property
    def path(self) -> Path:
        return ROOT / "chapters" / f"{self.name}.py"


CHAPTERS = {chapter.number: chapter for chapter in (
    Chapter(1, "what_are_lstms", "What are LSTMs",
            book="prose only: the gates of the memory cell, and why MLPs need a fixed window",
            targets={"max_abs_diff": ("<=", 1e-5), "lstm_accuracy": (">=", 0.95)},
            main_figure="gate_activations.png", extra_metrics=("mlp_accuracy",),
            shows="a NumPy LSTM cell that equals `keras.layers.LSTM` with the same weights; an LSTM solving a task a windowed MLP cannot",
            seconds={"tensorflow": 19.8, "jax": 20.3}),
    Chapter(2, "training_lstms", "How to Train LSTMs",
            book="prose only: BPTT, TBPTT, vanishing gradients, LSTM bridges long time lags (1997)",
            targets={"lstm_adding_mse": ("<=", 0.01), "rnn_adding_mse": (">=", 0.1)},
            main_figure="gradient_vs_lag.png",
            shows="vanishing gradients (SimpleRNN vs LSTM, lags 1…100), truncated BPTT, the adding problem of Hochreiter & Schmidhuber (1997)",
            seconds={"tensorflow": 74.3, "jax": 57.5}),
    Chapter(3, "preparing_data", "How to Prepare Data for LSTMs",
            book="the printed outputs of the chapter's listings",
            targets={"book_outputs_matched": (">=", 1.0)},
            main_figure="airline_preparation.png",
            shows="scaling, one-hot encoding, padding, truncation, shift framing; `series_to_supervised` on real data",
            seconds={"tensorflow": 0.7, "jax": 0.6}),
    Chapter(4, "lstms_in_keras", "How to Develop LSTMs in Keras",
            book="LSTM(10) on 0.0…0.9 (t-1 -> t), 1,000 epochs: predictions close to 0.1…0.9",
            targets={"mse": ("<=", 1e-3), "max_error": ("<=", 0.05)},
            main_figure="life_cycle.png",
            shows="the 5-step model life cycle, the 3-D input reshape, stateful LSTMs the Keras 3 way",
            seconds={"tensorflow": 10.2, "jax": 9.5}),
    Chapter(5, "sequence_models", "Models for Sequence Prediction",
            book="diagrams of one-to-one, one-to-many, many-to-one and many-to-many",
            targets={"min_accuracy": (">=", 0.9)},
            main_figure="sequence_mappings.png",
            shows="one-to-one, one-to-many, many-to-one, many-to-many",
            seconds={"tensorflow": 20.5, "jax": 30.8}),
    Chapter(6, "vanilla_lstm", "How to Develop Vanilla LSTMs",
            book="100% accuracy on 100 new echo sequences (LSTM(25), 10,000 one-sample fits)",
            targets={"accuracy": (">=", 0.99)},
            main_figure="echo_examples.png",
            shows="echo the value at index 2 of a random sequence",
            seconds={"tensorflow": 4.9, "jax": 15.5}),
    Chapter(7, "stacked_lstm", "How to Develop Stacked LSTMs",
            book="MAE about 0.02 on 1,000 new damped sine waves (LSTM(20) -> LSTM(20) -> Dense(5))",
            targets={"mae": ("<=", 0.03)},
            main_figure="damped_sine_predictions.png",
            shows="predict the next 5 steps of a damped sine wave",
            seconds={"tensorflow": 28.9, "jax": 22.5}),
    Chapter(8, "cnn_lstm", "How to Develop CNN LSTMs",
            book="100% accuracy on 100 new moving-line videos (5,000 training videos, one epoch)",
            targets={"accuracy": (">=", 0.95), "peak_rss_mb": ("<", 2048)},
            main_figure="moving_line_frames.png",
            shows="classify a moving line's direction from 50×50 video frames",
            seconds={"tensorflow": 45.4, "jax": 155.6}),
    Chapter(9, "encoder_decoder_lstm", "How to Develop Encoder-Decoder LSTMs",
            book="loss 0.128 after one epoch; 100% per-character accuracy on 100 problems, "
                 "1 of 10 sums wrong",
            targets={"char_accuracy": (">=", 0.99)},
            main_figure="addition_results.png", extra_metrics=("sum_accuracy",),
            shows="add three numbers given as characters (seq2seq)",
            seconds={"tensorflow": 98.4, "jax": 112.2}),
    Chapter(10, "bidirectional_lstm", "How to Develop Bidirectional LSTMs",
            book="all 10 steps of a new sequence right; Bidirectional loss below forward and backward",
            targets={"accuracy": (">=", 0.98)},
            main_figure="variant_learning_curves.png",
            shows="label each step once a cumulative sum passes a threshold; forward vs backward vs merge modes",
            seconds={"tensorflow": 70.1, "jax": 67.9}),
    Chapter(11, "generative_lstm", "How to Develop Generative LSTMs",
            book="a generated shape close to a rectangle (plotted, not measured)",
            targets={"shape_error": ("<=", 0.05)},
            main_figure="rectangles.png",
            shows="draw rectangles by feeding predictions back in",
            seconds={"tensorflow": 16.6, "jax": 13.6}),
    Chapter(12, "diagnose_tune", "How to Diagnose and Tune LSTMs",
            book="learning curves of 5 cases: underfit, underfit (capacity), good fit, overfit, "
                 "5 underfit runs",
            targets={"diagnoses_correct": (">=", 1.0)},
            main_figure="cases.png",
            shows="underfit, good fit and overfit learning curves, repeated runs, tuning cells and batch size",
            repeats=True,
            seconds={"tensorflow": 74.9, "jax": 63.7}),
    Chapter(13, "predictions", "How to Make Predictions with LSTMs",
            book="finalize, save (model / JSON + weights), load, predict; predict_classes and predict_proba",
            targets={"max_abs_diff": ("<=", 1e-6)},
            main_figure="predictions.png",
            shows="finalize, save (`.keras`, JSON + weights), load, predict",
            seconds={"tensorflow": 20.2, "jax": 19.0}),
    Chapter(14, "updating_models", "How to Update LSTM Models",
            book="shampoo sales, RMSE: persistence 136.761, fixed 109.565, refit 2/5/10/20/50 epochs "
                 "99.566/101.094/108.806/112.071/110.722",
            # every LSTM must beat the book's persistence RMSE, which ours must reproduce
            targets={"worst_lstm_rmse": ("<", 136.761), "persistence_rmse_error": ("<=", 0.01)},
            main_figure="rmse_boxplot.png", extra_metrics=("rmse_persistence",),
            shows="walk-forward validation on shampoo sales: fixed model vs refitting vs persistence",
            seconds={"tensorflow": 54.9, "jax": 24.5}),
)}


def get(number) -> Chapter:
    """The registry's entry for chapter ``number`` (an int, ``"6"``, ``"ch06"``)."""
    text = str(number).lower().removeprefix("ch")
    if isinstance(number, bool) or not text.isdigit() or int(text) not in CHAPTERS:
        raise ValueError(f"number must be a chapter number from 1 to 14. Received: number={number!r}")
    return CHAPTERS[int(text)]


def chapter_table() -> str:
    """The README's chapter table, in Markdown, from the registry."""
    lines = ["| ch | title | make target | what it shows | target (full run) |",
             "| ---: | --- | --- | --- | --- |"]
    for c in CHAPTERS.values():
        targets = ", ".join(f"`{key} {op} {bound:g}`" for key, (op, bound) in c.targets.items())
        lines.append(f"| {c.number} | [{c.title}](chapters/{c.name}.py) | `make ch{c.number:02d}` | "
                     f"{c.shows} | {targets} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------------------------


def in_notebook() -> bool:
    """Whether this code runs inside a Jupyter kernel (where ``sys.argv`` is the kernel's).

    ``ipykernel`` imported is not enough: a test process that executed a notebook has it too.
    """
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _int(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an int, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return parse


def parse_flags(chapter: Chapter, argv=None) -> argparse.Namespace:
    """The run's flags: ``argv`` (default: the command line, or none in a notebook) over the
    ``LSTMBOOK_*`` environment variables (see the module docstring)."""
    if argv is None:
        argv = [] if in_notebook() else sys.argv[1:]
    if isinstance(argv, (str, bytes)) or not all(isinstance(a, str) for a in argv):
        raise TypeError(f"argv must be a list of str. Received: argv={argv!r}")
    parser = argparse.ArgumentParser(prog=f"python -m {chapter.module}",
                                     description=f"Chapter {chapter.number}: {chapter.title}")
    env = os.environ
    parser.add_argument("--quick", action="store_true", default=_env_flag("LSTMBOOK_QUICK"),
                        help="tiny sizes that cover the same code paths in seconds")
    parser.add_argument("--seed", type=_int(0), default=env.get("LSTMBOOK_SEED", "42"),
                        help="random seed for Python, NumPy and the backend (default 42)")
    parser.add_argument("--epochs", type=_int(1), default=env.get("LSTMBOOK_EPOCHS"),
                        help="override the number of training epochs")
    parser.add_argument("--output-dir", default=env.get("LSTMBOOK_OUTPUT_DIR") or None,
                        help="figures and metrics.json (default outputs/BACKEND/chNN_slug/, "
                             "outputs/BACKEND/quick/chNN_slug/ for a quick run)")
    parser.add_argument("--verbose", action="store_true", default=_env_flag("LSTMBOOK_VERBOSE"),
                        help="show Keras's progress bars during fit")
    parser.add_argument("--tensorboard", action="store_true", default=_env_flag("LSTMBOOK_TENSORBOARD"),
                        help="write TensorBoard logs to OUTPUT_DIR/logs")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=env.get("LSTMBOOK_SCHEDULER") or None,
                        help="run the repeated experiments on the Dask cluster of this scheduler, "
                             "e.g. tcp://10.0.0.5:8786 (chapters with repeats)")
    args = parser.parse_args(list(argv))
    if not chapter.repeats and any(a == "--scheduler" or a.startswith("--scheduler=") for a in argv):
        with_repeats = ", ".join(str(c.number) for c in CHAPTERS.values() if c.repeats)
        parser.error(f"--scheduler runs repeated experiments on a cluster; chapter {chapter.number} has none "
                     f"(chapters with repeats: {with_repeats})")
    if args.output_dir is None:
        args.output_dir = (QUICK_ROOT if args.quick else OUTPUT_ROOT) / chapter.name
    return args


def start(number, argv=None) -> Run:
    """Start a run of chapter ``number``: flags, seed, output folder and clock."""
    chapter = number if isinstance(number, Chapter) else get(number)
    return Run(chapter, parse_flags(chapter, argv))


# ---------------------------------------------------------------------------------------------
# Targets and records
# ---------------------------------------------------------------------------------------------


def check_target(value, op: str, bound: float) -> bool:
    """Whether ``value op bound`` holds; a missing, boolean or non-finite value never passes.

    >>> check_target(0.995, ">=", 0.99)
    True
    >>> check_target(float("nan"), "<=", 0.03)
    False
    """
    if op not in OPS:
        raise ValueError(f"op must be one of {sorted(OPS)}. Received: op={op!r}")
    if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
        raise ValueError(f"bound must be a finite number. Received: bound={bound!r}")
    if value is None or isinstance(value, bool):
        return False
    try:
        value = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(value) and bool(OPS[op](value, float(bound)))


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


def _plain(value):
    """JSON-ready: NumPy scalars and arrays as Python values, NaN and infinities as None."""
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def write_atomic(path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically (``lstmbook.persistence.write_atomic``): a reader
    never sees half a file, an error leaves the previous file as it was, and the temporary
    files of a killed run are removed by the next write into that folder."""
    import chapters

    chapters._start_keras_quietly()  # importing lstmbook starts Keras: keep its backend's lines off
    from lstmbook.persistence import write_atomic as _write

    return _write(path, data)


def write_json(path, record: dict) -> Path:
    return write_atomic(path, json.dumps(_plain(record), indent=2, allow_nan=False) + "\n")


def library_versions() -> dict:
    """Versions of Python, Keras, the active backend and NumPy."""
    import keras
    import numpy

    versions = {"python": platform.python_version(), "keras": keras.__version__, "numpy": numpy.__version__}
    backend = keras.backend.backend()
    with contextlib.suppress(ImportError):
        versions[backend] = __import__(backend).__version__
    return versions


def cpu_model() -> str:
    """The CPU's model name where the OS tells it (Linux), else the architecture."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (0.0 where the OS can't tell)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # macOS: bytes


def shown_path(path) -> str:
    """``path`` relative to the repository when it is inside it (what a reader's clone shows)."""
    path = Path(path).absolute()
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


#: Where JAX keeps the functions it compiled (``outputs/jax/.jax_cache``, see cache_jax_compilations).
JAX_CACHE = OUTPUT_ROOT / ".jax_cache"


def cache_jax_compilations(folder: Path = JAX_CACHE) -> None:
    """Keep JAX's compiled training steps on disk, so that a rerun does not compile them again.

    XLA compiles each model's step once per process: about a second for a small model, a
    good part of a short chapter's time. With JAX's persistent compilation cache, a model
    rebuilt with the same settings (the next seed's run, a rerun after changing another
    setting) loads its compiled step instead: chapter 12 runs in 20 s against 31 s. The
    results are the same. A ``JAX_COMPILATION_CACHE_DIR`` of your own wins.
    """
    import jax

    if os.environ.get("JAX_COMPILATION_CACHE_DIR") or jax.config.jax_compilation_cache_dir:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # outputs/ cannot be written (the run's own folder may be elsewhere): no cache
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)  # default 1 s: most are shorter


class TargetsMissed(SystemExit):
    """A full run missed a target: exits 1 from the command line, fails the notebook's cell."""


# ---------------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------------


class Run:
    """One run of a chapter: its flags, output folder, figures, timings and clock."""

    def __init__(self, chapter: Chapter, args: argparse.Namespace):
        import keras

        self.chapter = chapter
        self.args = args
        self.quick = bool(args.quick)
        self.seed = int(args.seed)
        self.output_dir = Path(args.output_dir)
        self.figures: list[str] = []
        self._start = time.perf_counter()
        self._prepare_output_dir()
        if args.tensorboard:
            try:
                import tensorboard  # noqa: F401
            except ImportError:
                raise SystemExit("--tensorboard needs TensorBoard, which TensorFlow no longer installs: "
                                 "pip install -e '.[tensorboard]' (or pip install tensorboard)") from None
            try:  # Keras's TensorBoard callback writes through tf.summary, on every backend
                import tensorflow  # noqa: F401
            except ImportError:
                raise SystemExit("--tensorboard needs TensorFlow as well on this backend: Keras's "
                                 "TensorBoard callback writes its logs with it (pip install tensorflow)") from None
        self.client = self._connect(args.scheduler)
        self._cluster = contextlib.ExitStack()
        if self.client is not None:  # every repeat of the run goes to the cluster
            from lstmbook import diagnostics

            self._cluster.enter_context(diagnostics.on_cluster(self.client))
        if keras.backend.backend() == "jax":
            cache_jax_compilations()
        self._show_saves_figures()
        self.seed_everything()
        where = f", repeats on {args.scheduler}" if self.client is not None else ""
        print(f"Chapter {chapter.number}: {chapter.title} ({self.mode} run, seed {self.seed}, "
              f"backend {keras.backend.backend()}{where}) -> {shown_path(self.output_dir)}", flush=True)

    def _connect(self, scheduler):
        """A Dask client for ``--scheduler``, connected now so that a wrong address fails before
        any training; None without one, or for a chapter that repeats nothing."""
        if not scheduler:
            return None
        if not self.chapter.repeats:
            print(f"chapter {self.chapter.number} runs no repeated experiments: --scheduler is not used",
                  flush=True)
            return None
        from lstmbook import diagnostics

        try:
            return diagnostics.connect_cluster(scheduler)
        except (ConnectionError, ImportError, TypeError, ValueError) as error:
            raise SystemExit(f"--scheduler: {error}") from None

    def _prepare_output_dir(self) -> None:
        """Create the folder, prove it writable, and mark an earlier record as superseded.

        The earlier run's figures and executed notebook go, so that the folder never shows
        one run's record beside another's notebook. Done before any training, so that an unwritable folder fails at once and an
        interrupted run never leaves the previous run's PASS for the report to show.
        """
        folder = self.output_dir
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"output_dir exists and is not a folder. Received: output_dir={str(folder)!r}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            previous = folder / "metrics.json"
            record = {}
            if previous.is_file():
                with contextlib.suppress(ValueError, UnicodeDecodeError):
                    record = json.loads(previous.read_text(encoding="utf-8"))
            if isinstance(record, dict) and record:
                record["superseded"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
                write_json(previous, record)
                if record.get("chapter") == self.chapter.number:  # this chapter's folder: its last run goes
                    old = [name for name in record.get("figures", []) if isinstance(name, str)]
                    for name in [*old, f"{self.chapter.name}.ipynb"]:
                        if Path(name).name == name:
                            (folder / name).unlink(missing_ok=True)
            else:
                write_atomic(folder / ".writable", b"")
                (folder / ".writable").unlink()
        except OSError as error:
            raise ValueError(f"output_dir cannot be written ({error.strerror}). "
                             f"Received: output_dir={str(folder)!r}") from None

    # -- settings ------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    def pick(self, full, quick):
        """The full run's value, or the quick run's under ``--quick``."""
        return quick if self.quick else full

    def epochs(self, full: int, quick: int) -> int:
        """Epochs to train: ``--epochs`` when given, else the full or the quick default."""
        return int(self.args.epochs) if self.args.epochs is not None else self.pick(full, quick)

    @property
    def unroll(self) -> bool:
        """``unroll=`` for a short recurrent loop (5 to 10 steps): True on TensorFlow, False on JAX.

        An unrolled layer writes its steps out one after another instead of looping over
        them; the equations are the same. On TensorFlow that saves the graph loop's cost per
        step, several times a short loop's arithmetic. On JAX, XLA's compiled loop runs about
        as fast per step, and the written-out steps take seconds longer to compile for each
        model: chapter 10's six models train in 32 s looped against 57 s unrolled.
        """
        import keras

        return keras.backend.backend() != "jax"

    @property
    def verbose(self):
        """``verbose=`` for ``fit``/``predict``/``evaluate``: Keras's progress bars under
        ``--verbose``, else none (a book's page has no room for them)."""
        return "auto" if self.args.verbose else 0

    def seed_everything(self, offset: int = 0) -> int:
        """Seed Python, NumPy and the backend with ``seed + offset``; returns that seed.

        ``start`` calls it once; a chapter seeds again right before each model it builds,
        with ``keras.utils.set_random_seed(SEED + k)``, as Hands-On ML does, so that one
        model's initial weights do not depend on what ran before it.
        """
        import keras

        seed = self.seed + int(offset)
        keras.utils.set_random_seed(seed)
        return seed

    @property
    def callbacks(self) -> list:
        """The callbacks every ``fit`` gets: a TensorBoard logger under ``--tensorboard``."""
        import keras

        if not self.args.tensorboard:
            return []

        class TensorBoardPerModel(keras.callbacks.TensorBoard):
            """Logs each model's fits under ``logs/MODEL_NAME``, so that a chapter's models
            show in TensorBoard as separate runs."""

            def set_model(self, model):
                self.log_dir = os.path.join(root, model.name)
                super().set_model(model)

        root = str(self.output_dir / "logs")
        return [TensorBoardPerModel(log_dir=root)]

    # -- output --------------------------------------------------------------------------------

    def path(self, name: str) -> Path:
        """A file in the output folder."""
        if not isinstance(name, str) or not name or Path(name).name != name:
            raise ValueError(f"name must be a plain file name. Received: name={name!r}")
        return self.output_dir / name

    def _show_saves_figures(self) -> None:
        """Make ``plt.show()`` write every open figure into the output folder first.

        A chapter draws its figures as any matplotlib user does and ends the cell with
        ``plt.show()``. Each figure is written as ``LABEL.png`` (its ``num=``), then shown
        inline in a notebook, or closed in a script, which never opens a window.
        """
        import matplotlib.pyplot as plt

        original = getattr(plt.show, "_shown_by", plt.show)

        def show(*args, **kwargs):
            self.keep_open_figures()
            if in_notebook():
                return original(*args, **kwargs)
            plt.close("all")
            return None

        show._shown_by = original
        plt.show = show

    def keep_open_figures(self) -> list[str]:
        """Write every open matplotlib figure as a PNG in the output folder; their names."""
        import matplotlib.pyplot as plt

        names = []
        for number in plt.get_fignums():
            fig = plt.figure(number)
            label = fig.get_label() or f"figure_{number}"
            names.append(self.save_figure(fig, f"{label}.png", close=False))
        return names

    def save_figure(self, fig, name: str, *, dpi: int = 100, close: bool = True) -> str:
        """Write ``fig`` as the PNG ``name`` in the output folder (atomically); returns ``name``."""
        import io

        import matplotlib.pyplot as plt

        if not hasattr(fig, "savefig"):
            raise TypeError(f"fig must be a matplotlib Figure. Received: {type(fig).__name__}")
        if not isinstance(name, str) or not name.endswith(".png"):
            raise ValueError(f"name must end in .png. Received: name={name!r}")
        buffer = io.BytesIO()
        try:
            fig.savefig(buffer, dpi=dpi, bbox_inches="tight", format="png")
        finally:
            if close:
                plt.close(fig)
        write_atomic(self.path(name), buffer.getvalue())
        if name not in self.figures:
            self.figures.append(name)
        return name

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start

    def finish(self, metrics: dict, **extra) -> dict:
        """Check the targets, write ``metrics.json`` atomically and print the summary line.

        Args:
            metrics: ``{name: number}``; every targeted metric must be among them.
            **extra: more top-level entries for metrics.json (tables, settings).

        Returns:
            The record written.

        Raises:
            TargetsMissed: a full run missed a target (after metrics.json is written).
        """
        import keras

        self.keep_open_figures()  # a script's figures that no plt.show() wrote
        metrics = {"peak_rss_mb": round(peak_rss_mb(), 1), **metrics}
        missing = [key for key in self.chapter.targets if key not in metrics]
        if missing:
            raise ValueError(f"metrics lacks the targeted keys {missing}. Received: {sorted(metrics)}")
        checks = {key: check_target(metrics[key], op, bound)
                  for key, (op, bound) in self.chapter.targets.items()}
        chapter = self.chapter
        record = {
            "chapter": chapter.number, "slug": chapter.slug, "title": chapter.title,
            "mode": self.mode, "seed": self.seed, "backend": keras.backend.backend(),
            "versions": library_versions(), "seconds": round(self.seconds, 2),
            "metrics": metrics,
            "targets": {key: {"op": op, "value": bound} for key, (op, bound) in chapter.targets.items()},
            "target_met": checks,
            "passed": None if self.quick else all(checks.values()),
            "book": chapter.book,
            "main_figure": chapter.main_figure if chapter.main_figure in self.figures
            else (self.figures[0] if self.figures else None),
            "figures": list(self.figures),
            "profile": {},  # seconds per section, from the executed notebook's cells
            "machine": {"platform": platform.platform(), "processor": platform.machine(),
                        "cpu": cpu_model(), "cpus": os.cpu_count()},
            "cluster": None if self.client is None else {
                "scheduler": self.args.scheduler, "workers": len(self.client.nthreads())},
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        clashes = sorted(set(extra) & set(record))
        if clashes:  # e.g. passed=True would overrule the targets
            raise ValueError(f"finish's extra entries must not replace the record's own {clashes}.")
        record = _plain({**record, **extra})
        write_json(self.output_dir / "metrics.json", record)
        self._cluster.close()
        if self.client is not None:
            self.client.close()
        print(summary_line(record), flush=True)
        if record["passed"] is False:
            missed = ", ".join(key for key, ok in checks.items() if not ok)
            raise TargetsMissed(f"ch{chapter.number:02d} missed its targets: {missed} "
                                f"({targets_text(record)})")
        return record


def summary_line(record: dict) -> str:
    """``ch06 How to Develop Vanilla LSTMs | accuracy=1 (>= 0.99) | PASS | 12.3 s``; a quick run's
    numbers come without the targets, which only a full run is held to."""
    status = {True: "PASS", False: "FAIL", None: "quick run, targets not checked"}[record["passed"]]
    numbers = targets_text(record, bounds=record["passed"] is not None)
    return f"ch{record['chapter']:02d} {record['title']} | {numbers or 'no targets'} | {status} | {record['seconds']:.1f} s"
