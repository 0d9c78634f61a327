"""The reproduction report: one table that says whether the companion reproduces the book.

``make all`` runs every chapter at full settings and then calls this module, which reads
each chapter's ``outputs/BACKEND/chNN_slug/metrics.json`` and writes
``outputs/BACKEND/REPORT.md`` beside them:

- a row per chapter: number, title, the book's figure, our metric(s), target(s),
  the result (PASS, FAIL, quick, not run or invalid), seconds and backend;
- the totals, the machine, the library versions and the date;
- each chapter's main figure, copied into ``figures/chNN_<name>.png`` beside the report.

A report shows the runs of one backend; a folder holding two backends' runs is refused.
Only ``make publish`` (:func:`publish`) copies a finished multi-seed report and its
figures into ``docs/`` (``docs/jax/`` for JAX), the committed reports.

Run it alone with ``make report`` or ``python -m chapters report [--outputs DIR] [--docs DIR]``.

A row is PASS only for a **full** run whose targets all hold, re-checked here from the
recorded metrics; a quick run (``--quick``) is never reported as PASS.

Several seeds (``make all SEEDS=5``, ``python -m chapters report --seeds 5 [--seed 42]``): the
base seed's run is read from ``outputs/BACKEND/chNN_slug/`` and each further seed's from
``outputs/BACKEND/seeds/SEED/chNN_slug/``. A seed's run counts only when it is a full run of that seed
(``seed`` in its record) that finished; a chapter is PASS only when it passed at every seed.
The table then says how many seeds passed (``5/5``) and shows each metric as its mean and
its min–max over the seeds' full runs.

Exit status: 0 when all fourteen chapters are present and passed, 1 otherwise (a
chapter missing, failed, quick or unreadable), 2 for bad command-line arguments. The
report is written in every case. ``make all`` counts failures itself, so this status is
informational there; it is meant for scripts that call ``make report`` alone.

The chapters' titles, the book's figures and the targets come from the registry in
``chapters._book``; a row's result is re-checked here from the recorded metrics.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from chapters._book import CHAPTERS, OPS, _int, check_target, write_atomic

__all__ = [
    "ChapterRow",
    "build_report",
    "chapter_row",
    "copy_figure",
    "find_metrics",
    "load_record",
    "main",
    "multi_seed_row",
    "render_report",
    "seed_outputs",
]

#: Keys a metrics.json must have for the report to read it.
REQUIRED_KEYS = ("chapter", "slug", "title", "mode", "metrics", "targets", "passed")

STATUS_PASS, STATUS_FAIL, STATUS_QUICK = "PASS", "FAIL", "quick"
STATUS_MISSING, STATUS_INVALID = "not run", "invalid"

_FOLDER = re.compile(r"^ch(\d{2})_([A-Za-z_][A-Za-z0-9_]*)$")

#: The base seed of a run: the chapters' default ``--seed``.
BASE_SEED = 42

#: What ``python -m chapters all --seeds N`` writes beside the chapters' folders: the runs at
#: the seeds after the base one, ``outputs/seeds/SEED/chNN_slug/``, and ``run.json`` (the
#: seeds, the jobs and the wall time of the last such run).
SEEDS_FOLDER, RUN_FILE = "seeds", "run.json"


def seed_outputs(outputs, seed: int) -> Path:
    """The folder holding the chapters' runs at ``seed`` when it is not the base seed:
    ``outputs/seeds/SEED`` (the base seed's runs are ``outputs/chNN_slug`` themselves).

    >>> seed_outputs("outputs", 43).as_posix()
    'outputs/seeds/43'
    """
    return Path(outputs) / SEEDS_FOLDER / str(seed)


# ---------------------------------------------------------------------------------------------
# Reading one chapter
# ---------------------------------------------------------------------------------------------


@dataclass
class ChapterRow:
    """What the report knows about one chapter.

    Attributes:
        number: the chapter number, 1 to 14.
        title: the chapter's title.
        status: ``"PASS"``, ``"FAIL"``, ``"quick"``, ``"not run"`` or ``"invalid"``.
        record: the parsed metrics.json (None when missing or unreadable).
        folder: the chapter's output folder (None when not run).
        problem: why a row is FAIL or invalid, in words ("" otherwise).
        figure: the copied figure's path relative to the docs folder (None if none).
        failed_targets: the targets the recorded metrics miss.
        seed: the seed the record was checked against (None: not checked).
        runs: in a multi-seed report, the row of each seed's run, in seed order; the
            row's own ``record`` and ``folder`` are the base seed's. Empty otherwise.
    """

    number: int
    title: str
    status: str
    record: dict | None = None
    folder: Path | None = None
    problem: str = ""
    figure: str | None = None
    failed_targets: list = field(default_factory=list)
    seed: int | None = None
    runs: list = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        """The run's seconds; over several seeds, the sum over the runs that recorded them."""
        if self.runs:
            times = [run.seconds for run in self.runs if run.seconds is not None]
            return sum(times) if times else None
        value = (self.record or {}).get("seconds")
        return float(value) if _is_number(value) else None

    @property
    def backend(self) -> str:
        if self.runs:
            return ", ".join(_distinct(self.runs, lambda r: r.get("backend")))
        return str((self.record or {}).get("backend") or "")

    @property
    def seeds_passed(self) -> int:
        """How many of the seeds' runs passed (a single-seed row: 1 or 0)."""
        return sum(run.status == STATUS_PASS for run in self.runs or [self])

    @property
    def counted(self) -> list:
        """The runs whose metrics count: full runs, of the right seed, that finished."""
        return [run for run in self.runs or [self] if run.status in (STATUS_PASS, STATUS_FAIL)]


def _is_number(value) -> bool:
    """A finite int or float (json.loads reads NaN and Infinity, which are not valid bounds)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_record(path) -> dict:
    """Read and check one chapter's ``metrics.json``.

    Args:
        path: the file (str or Path).

    Returns:
        The record as a dict.

    Raises:
        TypeError: ``path`` is not a str or path-like.
        ValueError: the file is missing, is not JSON, is not an object, or lacks one of
            ``chapter, slug, title, mode, metrics, targets, passed`` or has them with the
            wrong types. The message names the file and what is wrong.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like. Received: path={path!r}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"metrics file does not exist. Received: path={str(path)!r}")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path} must hold a JSON object. Received: {type(record).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise ValueError(f"{path} lacks the keys {missing}")
    number = record["chapter"]
    if not isinstance(number, int) or isinstance(number, bool) or number not in CHAPTERS:
        raise ValueError(f"{path}: chapter must be an int in 1..14. Received: chapter={number!r}")
    if record["mode"] not in ("full", "quick"):
        raise ValueError(f"{path}: mode must be 'full' or 'quick'. Received: mode={record['mode']!r}")
    if not isinstance(record["metrics"], dict):
        raise ValueError(f"{path}: metrics must be an object. Received: {record['metrics']!r}")
    targets = record["targets"]
    if not isinstance(targets, dict):
        raise ValueError(f"{path}: targets must be an object. Received: {targets!r}")
    for key, target in targets.items():
        if (not isinstance(target, dict) or target.get("op") not in OPS
                or not _is_number(target.get("value"))):
            raise ValueError(f"{path}: targets[{key!r}] must be {{op, value}} with op in "
                             f"{sorted(OPS)}. Received: {target!r}")
    if record["passed"] not in (True, False, None):
        raise ValueError(f"{path}: passed must be true, false or null. Received: {record['passed']!r}")
    return record


def chapter_row(number: int, folder=None, *, seed: int | None = None) -> ChapterRow:
    """The report's row for chapter ``number`` from its output folder (or None: not run).

    The status is recomputed, not trusted: a full run is PASS only when ``passed`` is true
    *and* every target holds on the recorded metrics; a quick run is ``quick`` whatever
    its ``passed`` says.

    Args:
        number: the chapter number, 1 to 14.
        folder: the chapter's output folder holding ``metrics.json``, or None.
        seed: the seed the run must have been made with; a record of another seed is
            ``invalid``. None (the default) does not check it.

    Returns:
        A :class:`ChapterRow`.

    >>> chapter_row(6).status
    'not run'
    """
    if not isinstance(number, int) or isinstance(number, bool) or number not in CHAPTERS:
        raise ValueError(f"number must be an int in 1..14. Received: number={number!r}")
    title = CHAPTERS[number].title
    if seed is not None and not _is_seed(seed):
        raise ValueError(f"seed must be an int >= 0 or None. Received: seed={seed!r}")
    if folder is None:
        return ChapterRow(number, title, STATUS_MISSING, seed=seed)
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a str, path-like or None. Received: folder={folder!r}")
    folder = Path(folder)
    path = folder / "metrics.json"
    if not path.is_file():
        return ChapterRow(number, title, STATUS_MISSING, folder=folder, seed=seed)
    try:
        record = load_record(path)
    except ValueError as error:
        return ChapterRow(number, title, STATUS_INVALID, folder=folder, problem=str(error), seed=seed)
    if record["chapter"] != number:
        return ChapterRow(number, title, STATUS_INVALID, folder=folder, seed=seed,
                          problem=f"{path} says chapter {record['chapter']}, not {number}")
    if seed is not None and record.get("seed") != seed:
        return ChapterRow(number, title, STATUS_INVALID, folder=folder, seed=seed,
                          problem=f"{path} is a run at seed {record.get('seed')!r}, not {seed}")
    row = ChapterRow(number, title, STATUS_INVALID, record, folder, seed=seed)
    if record.get("superseded"):  # a later run started in this folder and never finished
        row.problem = (f"a run started at {record['superseded']} did not finish; "
                       f"this record is from the run before it")
        return row
    row.failed_targets = [
        key for key, target in record["targets"].items()
        if not check_target(record["metrics"].get(key), target["op"], target["value"])
    ]
    if record["mode"] == "quick":
        row.status = STATUS_QUICK
        row.problem = "quick run: targets are not checked"
    elif not record["targets"]:
        row.status, row.problem = STATUS_FAIL, "no targets recorded"
    elif row.failed_targets:
        row.status = STATUS_FAIL
        row.problem = "target missed: " + ", ".join(row.failed_targets)
    elif record["passed"] is not True:
        row.status, row.problem = STATUS_FAIL, f"the run recorded passed={record['passed']}"
    else:
        row.status = STATUS_PASS
    return row


def _is_seed(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def multi_seed_row(number: int, runs) -> ChapterRow:
    """Chapter ``number``'s row over several seeds, from the row of each seed's run.

    PASS only when every run passed. When at least one run is a full run of its seed
    (PASS or FAIL) but not all passed, FAIL, and the problem names each seed that did not
    pass and why. Otherwise (no full run at any seed) the first run's own status that is
    not "not run": quick, invalid, or not run.

    Args:
        number: the chapter number, 1 to 14.
        runs: a non-empty list of :class:`ChapterRow`, one per seed in seed order, each from
            ``chapter_row(number, folder, seed=seed)``; the first is the base seed's.

    Returns:
        A :class:`ChapterRow` with ``runs`` set and the base seed's record and folder.
    """
    runs = list(runs)
    if not runs or not all(isinstance(run, ChapterRow) and run.number == number for run in runs):
        raise TypeError(f"runs must be a non-empty list of chapter {number}'s ChapterRow. Received: {runs!r}")
    base = runs[0]
    row = ChapterRow(number, base.title, STATUS_MISSING, base.record, base.folder, seed=base.seed,
                     runs=runs)
    statuses = [run.status for run in runs]
    if all(status == STATUS_PASS for status in statuses):
        row.status = STATUS_PASS
    elif any(status in (STATUS_PASS, STATUS_FAIL) for status in statuses):
        row.status = STATUS_FAIL
    else:
        row.status = next((status for status in statuses if status != STATUS_MISSING), STATUS_MISSING)
    row.failed_targets = list(dict.fromkeys(key for run in runs if run.status == STATUS_FAIL
                                            for key in run.failed_targets))
    if row.status != STATUS_MISSING:  # "not run" at every seed says it all
        row.problem = "; ".join(f"seed {run.seed}: {run.problem or run.status}"
                                for run in runs if run.status != STATUS_PASS)
    return row


def find_metrics(outputs) -> dict:
    """Each chapter's output folder under ``outputs``: ``{number: Path}``.

    A folder counts when its name is ``chNN_slug``. If a chapter has several (an old slug
    left behind), the one with the book's slug wins, else the most recently written.

    Args:
        outputs: the outputs folder (str or Path). A folder that does not exist has none.
    """
    if not isinstance(outputs, (str, os.PathLike)):
        raise TypeError(f"outputs must be a str or path-like. Received: outputs={outputs!r}")
    outputs = Path(outputs)
    if outputs.exists() and not outputs.is_dir():
        raise ValueError(f"outputs must be a folder. Received: outputs={str(outputs)!r}")
    found: dict[int, list[Path]] = {}
    if outputs.is_dir():
        for folder in sorted(outputs.iterdir()):
            match = _FOLDER.match(folder.name)
            if folder.is_dir() and match and int(match.group(1)) in CHAPTERS:
                found.setdefault(int(match.group(1)), []).append(folder)
    chosen = {}
    for number, folders in found.items():
        book_slug = CHAPTERS[number].name
        preferred = [f for f in folders if f.name == book_slug and (f / "metrics.json").is_file()]
        with_metrics = [f for f in folders if (f / "metrics.json").is_file()]
        if preferred:
            chosen[number] = preferred[0]
        elif with_metrics:
            chosen[number] = max(with_metrics, key=lambda f: (f / "metrics.json").stat().st_mtime)
        else:
            chosen[number] = folders[0]
    return chosen


def copy_figure(source, destination) -> Path:
    """Copy a figure atomically (a temporary file beside it, then ``os.replace``).

    Args:
        source: the PNG to copy; it must exist.
        destination: where it goes; its folder is created if needed.

    Returns:
        The destination as a Path.
    """
    for name, value in (("source", source), ("destination", destination)):
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"{name} must be a str or path-like. Received: {name}={value!r}")
    source, destination = Path(source), Path(destination)
    if not source.is_file():
        raise ValueError(f"source must be an existing file. Received: source={str(source)!r}")
    if destination.is_dir():
        raise ValueError(f"destination must be a file path, not a folder. "
                         f"Received: destination={str(destination)!r}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(destination, source.read_bytes())
    return destination


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def _format_value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def _metric_keys(number: int, record: dict) -> list:
    """The metrics a row shows: the targeted ones, then the registry's extra ones."""
    metrics, targets = record["metrics"], record["targets"]
    keys = list(targets) + [k for k in CHAPTERS[number].extra_metrics if k in metrics
                            and k not in targets]
    if not keys:  # a chapter without targets: show what it measured, briefly
        keys = [k for k, v in metrics.items() if _is_number(v)][:2]
    return keys


def _targets_cell(record: dict) -> str:
    return ", ".join(f"{k} {t['op']} {_format_value(t['value'])}" for k, t in record["targets"].items()) or "—"


def _spread(values: list, seeds: int) -> str:
    """``0.998 (0.995–1)``: the mean and the min–max of a metric over the seeds' runs, and
    how many seeds gave it when not all did."""
    if not values:
        return "—"
    text = _format_value(sum(values) / len(values))
    notes = [f"{_format_value(min(values))}–{_format_value(max(values))}"] if len(values) > 1 else []
    if len(values) < seeds:
        notes.append(f"{len(values)} of {seeds} seeds")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _metric_cells(row: ChapterRow) -> tuple[str, str]:
    """``(our metrics, targets)`` as Markdown cell text; over several seeds, each metric as
    its mean (min–max) over the runs that count."""
    if row.runs:
        counted = row.counted
        shown = counted[0].record if counted else row.record
        if shown is None:
            return "—", "—"
        if not counted:
            return "—", _targets_cell(shown)
        cells = []
        for key in _metric_keys(row.number, shown):
            values = [float(run.record["metrics"][key]) for run in counted
                      if _is_number(run.record["metrics"].get(key))]
            cells.append(f"{key} = {_spread(values, len(row.runs))}")
        return ", ".join(cells) or "—", _targets_cell(shown)
    if row.record is None:
        return "—", "—"
    metrics = row.record["metrics"]
    ours = ", ".join(f"{k} = {_format_value(metrics.get(k))}" for k in _metric_keys(row.number, row.record))
    return ours or "—", _targets_cell(row.record)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


_BADGE = {STATUS_PASS: "✅ PASS", STATUS_FAIL: "❌ FAIL", STATUS_QUICK: "quick (not checked)",
          STATUS_MISSING: "not run", STATUS_INVALID: "⚠ invalid"}


def _distinct(rows, getter) -> list:
    """The distinct non-empty ``getter(record)`` over the rows' records (every seed's, for a
    multi-seed row), in order."""
    seen = []
    for row in rows:
        for run in row.runs or [row]:
            if run.record is None:
                continue
            value = getter(run.record)
            if value and value not in seen:
                seen.append(value)
    return seen


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"


def _headline(rows, counts) -> str:
    """The report's first line: how many chapters reproduce the book (at every seed)."""
    seeds = [run.seed for run in rows[0].runs]
    others = ((STATUS_FAIL, "did not pass at every seed" if seeds else "failed"),
              (STATUS_QUICK, "quick runs only"), (STATUS_MISSING, "not run"), (STATUS_INVALID, "unreadable"))
    notes = "".join(f"; {counts[status]} {words}" for status, words in others if counts[status])
    if not seeds:
        return (f"**{counts[STATUS_PASS]}/{len(rows)} chapters reproduce the book** "
                f"(full runs whose targets all hold){notes}.")
    runs = [run for row in rows for run in row.runs]
    passed = sum(run.status == STATUS_PASS for run in runs)
    return (f"**{counts[STATUS_PASS]}/{len(rows)} chapters reproduce the book at every one of "
            f"{len(seeds)} seeds ({seeds[0]}–{seeds[-1]})** (full runs whose targets all hold; "
            f"{passed}/{len(runs)} runs passed){notes}.")


def render_report(rows, *, generated: str | None = None, run: dict | None = None) -> str:
    """The Markdown text of ``REPORT.md`` for a list of :class:`ChapterRow`.

    Args:
        rows: one ChapterRow per chapter, in chapter order: each from :func:`chapter_row`, or
            each from :func:`multi_seed_row` with the same seeds (a multi-seed report).
        generated: the date line (default: now, local time).
        run: a multi-seed report's ``outputs/seeds/run.json`` (its wall time is shown), or None.

    Returns:
        The report as a str.
    """
    rows = list(rows)
    if not rows or not all(isinstance(row, ChapterRow) for row in rows):
        raise TypeError(f"rows must be a non-empty list of ChapterRow. Received: {rows!r}")
    seeds = [run_row.seed for run_row in rows[0].runs]
    if any([run_row.seed for run_row in row.runs] != seeds for row in rows):
        raise ValueError("rows must all be single-seed rows or all be over the same seeds. "
                         f"Received: seeds {[[r.seed for r in row.runs] for row in rows]}")
    generated = generated or time.strftime("%Y-%m-%d %H:%M %Z")
    run = run or {}
    counts = {status: sum(row.status == status for row in rows) for status in _BADGE}
    total_seconds = sum(row.seconds or 0.0 for row in rows)
    backends = _distinct(rows, lambda r: r.get("backend"))

    lines = ["# Reproduction report", "", _headline(rows, counts), ""]
    timing = ("counted by each chapter from its first line to its last (Python and backend "
              "start-up excluded)")
    if seeds:
        timed = sum(r.seconds is not None for row in rows for r in row.runs)
        command = f"python -m chapters all --seeds {len(seeds)}" + (
            f" --seed {seeds[0]}" if seeds[0] != BASE_SEED else "")
        wall = run.get("wall_seconds")
        wall = (f" The last `{command}` took {_minutes(wall)} end to end with `--jobs {run.get('jobs', 1)}`."
                if _is_number(wall) and run.get("seeds") == seeds else "")
        lines.append(f"Total chapter time: {_minutes(total_seconds)} over {timed} runs, {timing}."
                     f"{wall} Backend: {', '.join(backends) or '—'}.")
        lines.append("")
        lines.append(f"Written by `{command}` (`make all SEEDS={len(seeds)}`; `report` instead of `all` "
                     f"rewrites it from the runs), "
                     f"which reads seed {seeds[0]}'s runs from `outputs/BACKEND/chNN_slug/metrics.json` "
                     f"and the other seeds' from `outputs/BACKEND/{SEEDS_FOLDER}/SEED/chNN_slug/metrics.json`"
                     f", and copied here by `make publish`. "
                     f"A chapter is PASS only when its full run passed at every seed; \"ours\" is "
                     f"each metric's mean (min–max) over the seeds' full runs. Quick runs "
                     f"(`--quick`) and runs of another seed are never counted.")
        lines.append("")
        lines.append("| ch | chapter | the book | ours: mean (min–max) | target | seeds passed | result "
                     "| seconds (all seeds) | backend |")
        lines.append("| ---: | --- | --- | --- | --- | :---: | --- | ---: | --- |")
    else:
        lines.append(f"Total chapter time: {_minutes(total_seconds)}, {timing}. "
                     f"Backend: {', '.join(backends) or '—'}.")
        lines.append("")
        lines.append("Written by `make all` (or `make report`, which re-reads "
                     "`outputs/BACKEND/chNN_slug/metrics.json`). A row is PASS only for a full run whose "
                     "targets all hold; quick runs (`--quick`) are never counted.")
        lines.append("")
        lines.append("| ch | chapter | the book | ours | target | result | seconds | backend |")
        lines.append("| ---: | --- | --- | --- | --- | --- | ---: | --- |")
    for row in rows:
        ours, wanted = _metric_cells(row)
        book = CHAPTERS[row.number].book
        seconds = f"{row.seconds:.1f}" if row.seconds is not None else "—"
        title = f"[{row.title}]({row.figure})" if row.figure else row.title  # links to its figure
        passed = f" {row.seeds_passed}/{len(seeds)} |" if seeds else ""
        lines.append(f"| {row.number} | {_cell(title)} | {_cell(book)} | {_cell(ours)} | "
                     f"{_cell(wanted)} |{passed} {_BADGE[row.status]} | {seconds} | "
                     f"{_cell(row.backend or '—')} |")
    lines.append("")

    problems = [row for row in rows if row.status in (STATUS_FAIL, STATUS_INVALID) and row.problem]
    if problems:
        lines += ["## Problems", ""]
        lines += [f"- ch{row.number:02d}: {_cell(row.problem)}" for row in problems]
        lines.append("")

    lines += ["## Machine and libraries", ""]
    machines = _distinct(rows, lambda r: json.dumps(r.get("machine"), sort_keys=True)
                         if r.get("machine") else None)
    for text in machines or ["null"]:
        machine = json.loads(text) or {}
        cpu = machine.get("cpu") or machine.get("processor") or "?"
        lines.append(f"- Machine: {machine.get('platform', 'unknown')}, {cpu}, "
                     f"{machine.get('cpus', '?')} CPUs")
    version_sets = _distinct(rows, lambda r: json.dumps(r.get("versions"), sort_keys=True)
                             if r.get("versions") else None)
    for text in version_sets or ["{}"]:
        versions = json.loads(text)
        lines.append("- Versions: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "unknown"))
    if len(version_sets) > 1 or len(machines) > 1:
        lines.append("- Note: the chapters ran on more than one machine or library set.")
    finished = sorted(_distinct(rows, lambda r: str(r["finished"]) if r.get("finished") else None))
    if finished:
        lines.append(f"- Runs finished between {finished[0]} and {finished[-1]}")
    lines.append(f"- Report written {generated}")
    lines.append("")

    with_figures = [row for row in rows if row.figure]
    if with_figures:
        lines += ["## Figures", ""]
        for row in with_figures:
            mode = " (quick run)" if row.status == STATUS_QUICK else ""
            lines.append(f"### Chapter {row.number}: {row.title}{mode}")
            lines.append("")
            lines.append(f"[{Path(row.figure).name}]({row.figure})")
            lines.append("")
            lines.append(f"![Chapter {row.number}: {row.title}]({row.figure})")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# The whole report
# ---------------------------------------------------------------------------------------------


def read_run(outputs) -> dict | None:
    """``outputs/seeds/run.json``, which ``python -m chapters all --seeds N`` writes (the seeds,
    the jobs and the wall time of its last run), or None when absent or unreadable."""
    path = Path(outputs) / SEEDS_FOLDER / RUN_FILE
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return run if isinstance(run, dict) else None


def docs_folder(rows, root="docs") -> Path:
    """Where a report of ``rows`` goes: ``root`` for TensorFlow, Keras's default backend, and
    ``root/<backend>`` (``docs/jax``) when every run that ran used one other backend, so that
    ``make all BACKEND=jax`` keeps the TensorFlow report and figures as they are."""
    records = [run.record for row in rows for run in (row.runs or [row]) if run.record]
    backends = {r.get("backend") for r in records}
    if len(backends) == 1 and None not in backends and backends != {"tensorflow"}:
        (backend,) = backends
        if isinstance(backend, str) and backend.isidentifier():
            return Path(root) / backend
    return Path(root)


def _docs_path(docs) -> Path:
    docs = Path(docs)
    if docs.exists() and not docs.is_dir():
        raise ValueError(f"docs must be a folder. Received: docs={str(docs)!r}")
    return docs


def build_report(outputs="outputs", docs=None, *, generated: str | None = None,
                 seeds: int = 1, seed: int = BASE_SEED) -> list:
    """Read every chapter's metrics, copy the main figures, write ``REPORT.md`` beside them.

    Args:
        outputs: the folder holding ``chNN_slug/metrics.json``, all of one backend
            (``outputs/tensorflow``, say); runs of two backends are refused.
        docs: where ``REPORT.md`` and ``figures/`` go (created if needed); by default
            ``outputs`` itself. :func:`publish` copies a finished report into ``docs/``.
        generated: the date line (default: now).
        seeds: how many seeds each chapter ran at: ``seed``, ``seed + 1``, ... The runs at
            ``seed`` are read from ``outputs/chNN_slug/``, the others from
            ``outputs/seeds/SEED/chNN_slug/``. 1 (the default) is the single-seed report,
            which does not check the records' seed.
        seed: the base seed (default 42).

    Returns:
        The fourteen :class:`ChapterRow`, in chapter order (with ``runs`` when ``seeds > 1``).

    Raises:
        TypeError, ValueError: a bad ``outputs``, ``docs``, ``seeds`` or ``seed`` argument.
    """
    if docs is not None and not isinstance(docs, (str, os.PathLike)):
        raise TypeError(f"docs must be a str or path-like. Received: docs={docs!r}")
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ValueError(f"seeds must be an int >= 1. Received: seeds={seeds!r}")
    if not _is_seed(seed):
        raise ValueError(f"seed must be an int >= 0. Received: seed={seed!r}")
    if docs is not None:
        docs = _docs_path(docs)
    folders = find_metrics(outputs)
    run = None
    if seeds == 1:
        rows = [chapter_row(number, folders.get(number)) for number in CHAPTERS]
    else:
        every = list(range(seed, seed + seeds))
        by_seed = {s: folders if s == seed else find_metrics(seed_outputs(outputs, s)) for s in every}
        rows = [multi_seed_row(number, [chapter_row(number, by_seed[s].get(number), seed=s) for s in every])
                for number in CHAPTERS]
        run = read_run(outputs)
    backends = {run.record.get("backend") for row in rows for run in (row.runs or [row]) if run.record}
    if len(backends) > 1:
        raise ValueError(f"outputs holds runs of several backends ({', '.join(sorted(map(str, backends)))}); "
                         f"a report shows one. Received: outputs={str(outputs)!r}")
    if docs is None:
        docs = _docs_path(outputs)
    docs.mkdir(parents=True, exist_ok=True)
    for row in rows:
        name = (row.record or {}).get("main_figure")
        if not isinstance(name, str) or not name or Path(name).name != name:
            continue
        source = row.folder / name
        if not source.is_file():
            row.problem = (row.problem + "; " if row.problem else "") + f"figure {name} is missing"
            continue
        target = f"ch{row.number:02d}_{name}"
        copy_figure(source, docs / "figures" / target)
        row.figure = f"figures/{target}"
    write_atomic(docs / "REPORT.md", render_report(rows, generated=generated, run=run))
    return rows


def publish(outputs, docs_root="docs") -> Path:
    """Copy a finished multi-seed report and its figures from ``outputs`` into the docs.

    Into ``docs_root`` for TensorFlow, ``docs_root/<backend>`` for another backend
    (:func:`docs_folder`). Only a report written by ``all --seeds N`` (N >= 2) is
    published, rewritten from its runs first; the runs must all be full runs of one backend.
    This is the only command that changes files in ``docs/`` (``make publish``).

    Returns the folder written. Raises ValueError when there is no such report.
    """
    outputs = Path(outputs)
    run = read_run(outputs)
    seeds = run.get("seeds") if run else None
    if not (isinstance(seeds, list) and len(seeds) >= 2 and all(_is_seed(s) for s in seeds)):
        raise ValueError(f"{str(outputs)!r} holds no finished multi-seed run: publish one written by "
                         f"`make all SEEDS=5` (its {SEEDS_FOLDER}/{RUN_FILE} lists the seeds)")
    rows = build_report(outputs, outputs, seeds=len(seeds), seed=seeds[0])
    target = docs_folder(rows, docs_root)
    (target / "figures").mkdir(parents=True, exist_ok=True)
    for row in rows:
        if row.figure:
            copy_figure(outputs / row.figure, target / row.figure)
    write_atomic(target / "REPORT.md", (outputs / "REPORT.md").read_bytes())
    return target


def main(argv=None) -> int:
    """``python -m chapters report [--outputs DIR] [--docs DIR] [--seeds N] [--seed S]``; returns
    the exit status.

    0 when all fourteen chapters are present and passed (at every seed), 1 otherwise, 2 for
    bad arguments.
    """
    if argv is None:
        argv = sys.argv[1:]
    if isinstance(argv, (str, bytes)) or not all(isinstance(a, str) for a in argv):
        raise TypeError(f"argv must be a list of str. Received: argv={argv!r}")
    from chapters import _book

    parser = argparse.ArgumentParser(prog="python -m chapters report",
                                     description="Write REPORT.md from outputs/BACKEND/*/metrics.json.")
    parser.add_argument("--outputs", default=str(_book.OUTPUT_ROOT),
                        help="chapter outputs (default outputs/BACKEND, this process's Keras backend)")
    parser.add_argument("--docs", default=None, help="where REPORT.md goes (default: the outputs folder)")
    parser.add_argument("--seeds", type=_int(1), default=1,
                        help="the chapters ran at SEEDS seeds, --seed and the next ones "
                             f"(outputs/{SEEDS_FOLDER}/SEED/ for all but the first; default 1)")
    parser.add_argument("--seed", type=_int(0), default=BASE_SEED,
                        help=f"the first of those seeds (default {BASE_SEED})")
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as stop:
        return int(stop.code or 0)
    try:
        rows = build_report(args.outputs, args.docs, seeds=args.seeds, seed=args.seed)
    except (TypeError, ValueError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    passed = sum(row.status == STATUS_PASS for row in rows)
    every = (f" at every one of {args.seeds} seeds ({args.seed}–{args.seed + args.seeds - 1})"
             if args.seeds > 1 else "")
    docs = Path(args.docs if args.docs is not None else args.outputs)
    print(f"Wrote {_book.shown_path(docs / 'REPORT.md')}: {passed}/{len(rows)} chapters passed{every}", flush=True)
    for row in rows:
        if row.status != STATUS_PASS:
            print(f"  ch{row.number:02d} {row.title}: {row.status}"
                  + (f" ({row.problem})" if row.problem else ""), flush=True)
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
