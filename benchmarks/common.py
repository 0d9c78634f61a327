"""What every comparison shares: repeat statistics, ratios, chapter subprocesses, Markdown.

Every comparison is measured side by side: the two things compared run one after the
other inside each repeat (in alternating order), so that a slow patch of the machine
hits both. A ratio is computed within each repeat, and then summarised as
median (min - max) over the repeats.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chapters import _book
from chapters._book import cpu_model  # noqa: F401 - part of this module's toolkit

#: The repository's root: chapters run from here as ``python -m chapters.chNN_slug``.
ROOT = Path(__file__).resolve().parent.parent

#: The model chapters whose full runs the benchmarks time (DESIGN.md's "models" part).
MODEL_CHAPTERS = (6, 7, 8, 9, 10, 11)


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """Min, median and max of a list of repeats."""

    values: tuple

    @classmethod
    def of(cls, values) -> Spread:
        values = tuple(float(v) for v in values if v is not None)
        return cls(values)

    @property
    def ok(self) -> bool:
        return bool(self.values)

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def text(self, fmt: str = "{:.3g}", unit: str = "") -> str:
        """``"1.23 s (1.10 - 1.40)"``: the median, then the range over repeats."""
        if not self.values:
            return "—"
        median = fmt.format(self.median) + unit
        if len(self.values) == 1:
            return median
        return f"{median} ({fmt.format(self.min)}–{fmt.format(self.max)})"

    def as_dict(self) -> dict:
        if not self.values:
            return {"values": [], "min": None, "median": None, "max": None}
        return {"values": list(self.values), "min": self.min, "median": self.median, "max": self.max}


def paired_ratios(numerators, denominators) -> Spread:
    """Ratio within each repeat (``a[i] / b[i]``), skipping repeats where either is missing."""
    return Spread.of(a / b for a, b in zip(numerators, denominators, strict=False)
                     if a is not None and b is not None and b > 0)


def timed(function, *args, **kwargs):
    """``(result, seconds)`` of one call, by ``time.perf_counter``."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# Chapters as subprocesses
# ---------------------------------------------------------------------------------------------


def chapter_module(number: int) -> str | None:
    """``chNN_slug`` for a written chapter, or None while it is not written yet."""
    matches = sorted((ROOT / "chapters").glob(f"ch{number:02d}_*.py"))
    return matches[0].stem if matches else None


class _ChapterRun:
    """Stands in for a chapter's ``run`` while :func:`chapter_settings` reads its settings."""

    def __init__(self, quick: bool):
        self.quick = quick

    def pick(self, full, quick):
        return quick if self.quick else full

    epochs = pick  # without --epochs, ``run.epochs`` is ``run.pick``


def chapter_settings(number: int, *, quick: bool = False) -> dict:
    """Chapter ``number``'s settings, read from its source without running it.

    A chapter states its settings as top-level constants before its first data or model
    (``EPOCHS = run.epochs(8, 2)``, ``CASES = {...}``), and running the module would run
    the chapter. The benchmarks that train what a chapter trains take its sizes, epochs and
    seed offsets from here (see :func:`read_settings`), so a chapter's new setting reaches them.

    >>> chapter_settings(10)["BATCH_SIZE"]
    128
    """
    module = chapter_module(number)
    if module is None:
        raise ValueError(f"number must be a written chapter's number. Received: number={number!r}")
    source = (ROOT / "chapters" / f"{module}.py").read_text(encoding="utf-8")
    return read_settings(source, quick=quick, filename=module)


def read_settings(source: str, *, quick: bool = False, filename: str = "<chapter>") -> dict:
    """The settings a chapter's ``source`` states, by name: its top-level constants.

    Each top-level ``NAME = expression`` (an upper-case name) whose expression needs nothing
    but literals, the settings before it and ``run.pick`` or ``run.epochs`` is evaluated,
    with ``run`` giving the full run's value (``quick``: the quick run's). Every other
    statement is left out, and so is a constant that needs one left out.
    """
    import ast
    import collections

    settings: dict = {}
    for node in ast.parse(source, filename).body:
        # Upper-case constants, and capitalised names such as a settings record
        # (``Case = collections.namedtuple(...)``) that the constants after them use.
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id[:1].isupper()):
            continue
        namespace = {"__builtins__": {}, "run": _ChapterRun(quick), "collections": collections, **settings}
        expression = compile(ast.Expression(node.value), filename, "eval")
        try:
            settings[node.targets[0].id] = eval(expression, namespace)
        except (NameError, AttributeError, TypeError):  # needs the chapter's imports, data or model
            continue
    return settings


def subprocess_env(backend: str | None = None) -> dict:
    """The environment for a child Python: quiet, window-free, on ``backend`` if given."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if backend:
        env["KERAS_BACKEND"] = backend
    if backend == "jax":
        env.setdefault("JAX_PLATFORMS", "cpu")
    return env


def backend_available(backend: str) -> str | None:
    """None when ``backend`` imports in a fresh process, else the reason it does not."""
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module is None:
        return f"unknown backend {backend!r}"
    done = subprocess.run([sys.executable, "-c", f"import {module}"], env=subprocess_env(),
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"import {module} failed"


def run_chapter(number: int, output_dir: Path, *, backend: str, quick: bool, seed: int = 42,
                timeout: float | None = None) -> dict:
    """Run one chapter in a fresh process and read its metrics.json.

    Returns:
        ``{"module", "backend", "wall", "seconds", "passed", "mode", "metrics", "targets",
        "returncode", "error"}``. ``wall`` includes starting Python and the backend;
        ``seconds`` is the chapter's own clock (its first line to its last).
    """
    module = chapter_module(number)
    result = {"chapter": number, "module": module, "backend": backend, "wall": None,
              "seconds": None, "passed": None, "mode": None, "metrics": {}, "targets": {},
              "returncode": None, "error": None}
    if module is None:
        result["error"] = "not written yet"
        return result
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    metrics_path = output_dir / "metrics.json"
    if metrics_path.exists():
        metrics_path.unlink()
    command = [sys.executable, "-m", f"chapters.{module}", "--output-dir", str(output_dir),
               "--seed", str(seed)] + (["--quick"] if quick else [])
    log_path = output_dir / "run.log"
    start = time.perf_counter()
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            done = subprocess.run(command, cwd=ROOT, env=subprocess_env(backend), stdout=log,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        result["returncode"] = done.returncode
    except subprocess.TimeoutExpired:
        result["error"] = f"timed out after {timeout:.0f} s"
    result["wall"] = time.perf_counter() - start
    if metrics_path.is_file():
        record = json.loads(metrics_path.read_text(encoding="utf-8"))
        result.update(seconds=record.get("seconds"), passed=record.get("passed"),
                      mode=record.get("mode"), metrics=record.get("metrics", {}),
                      targets=record.get("targets", {}))
        if record.get("backend") != backend:
            result["error"] = f"ran on {record.get('backend')}, not {backend}"
    elif result["error"] is None:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        result["error"] = f"exit {result['returncode']}, no metrics.json: {' / '.join(tail)}"
    return result


def targets_text(result: dict) -> str:
    """``accuracy=0.998 (>= 0.99)`` for a chapter run's targeted metrics."""
    return _book.targets_text(result) or "—"


# ---------------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------------


def load_average() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def versions() -> dict:
    """Versions of the packages the benchmarks compare, read without importing them."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for name in ("keras", "tensorflow", "jax", "jaxlib", "numpy"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def markdown_table(header, rows) -> list:
    """Lines of a Markdown table; ``|`` inside a cell is escaped."""
    def cell(value):
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines
