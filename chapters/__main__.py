"""The book's runner: ``python -m chapters COMMAND [flags]``.

Commands:

- ``N`` (1 to 14, or ``chNN``): run chapter N in this process, as ``python -m
  chapters.chNN_slug`` would (``make chNN``).
- ``all``: every chapter in order, each executed as a notebook in its own kernel, so that
  one chapter's memory and backend state never reach the next. The executed notebook is
  kept beside the chapter's metrics (``outputs/chNN_slug/chNN_slug.ipynb``), one line is
  printed per chapter, and a full run then writes ``docs/REPORT.md`` (``make all``).
- ``notebooks``: every chapter executed as a notebook into ``notebooks/`` (``make notebooks``).
- ``report``: ``docs/REPORT.md`` from the full runs' metrics (``make report``).
- ``site``: the rendered book in ``site/`` (``make site``).
- ``readme``: rewrite the README's chapter table from the registry.

Flags for a chapter, ``all`` and ``notebooks``: ``--quick``, ``--seed N``, ``--epochs N``,
``--verbose``, ``--tensorboard``, ``--scheduler ADDRESS`` (chapters 12 and 14's repeats on a
Dask cluster), and for one chapter ``--output-dir DIR``. A quick run
writes to ``outputs/quick/`` and never to ``docs/``.

Exit status: 0 when every chapter run passed (or ran, for a quick run), 1 when one
missed a target or failed, 2 for a bad command line.
"""

from __future__ import annotations

import os
import re
import runpy
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from chapters import _book  # noqa: E402


def usage() -> str:
    lines = ["usage: python -m chapters {N | all | notebooks | report | site} [flags]", "", "Chapters:"]
    for chapter in _book.CHAPTERS.values():
        targets = ", ".join(f"{key} {op} {bound:g}" for key, (op, bound) in chapter.targets.items())
        lines.append(f"  {chapter.number:>2}  {chapter.name:<27} {chapter.title}  [{targets}]")
    lines += [
        "",
        "Commands:",
        "  N           run chapter N here (make chNN)",
        "  all         every chapter as an executed notebook, then docs/REPORT.md (make all)",
        "  notebooks   every chapter executed into notebooks/ (make notebooks)",
        "  report      docs/REPORT.md from outputs/chNN_slug/metrics.json (make report)",
        "  site        the rendered book in site/ (make site)",
        "  readme      rebuild the README's chapter table from the registry",
        "",
        "Flags: --quick  --seed N (42)  --epochs N  --verbose  --tensorboard  --output-dir DIR (one chapter)",
        "       --scheduler tcp://HOST:PORT (chapters 12 and 14: repeats on a Dask cluster, docs/CLUSTER.md)",
        "In a notebook: LSTMBOOK_QUICK=1, LSTMBOOK_SEED=N, ... (see chapters/_book.py)",
    ]
    return "\n".join(lines)


def run_one(number, argv: list[str]) -> int:
    """Chapter ``number`` in this process, with ``argv`` as its command line."""
    chapter = _book.get(number)
    saved = sys.argv
    sys.argv = [str(chapter.path), *argv]
    try:
        runpy.run_module(chapter.module, run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        if stop.code not in (None, 0):
            if not isinstance(stop.code, int):
                print(stop.code, file=sys.stderr)
            return stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = saved
    return 0


def run_notebooks(argv: list[str], *, notebooks_dir: Path | None = None) -> int:
    """Every chapter as an executed notebook; one line each. Returns the number that failed."""
    import json

    from chapters import _notebooks

    if any(flag.startswith("--output-dir") for flag in argv):
        raise SystemExit("--output-dir names one chapter's folder; each chapter writes to its own")
    _notebooks.flags_to_env(argv)  # a bad flag stops here, before the first chapter runs
    failures, began = 0, time.perf_counter()
    for chapter in _book.CHAPTERS.values():
        path = notebooks_dir / f"{chapter.name}.ipynb" if notebooks_dir else None
        result = _notebooks.execute(chapter, argv, notebook_path=path)
        metrics = result.output_dir / "metrics.json"
        record = json.loads(metrics.read_text(encoding="utf-8")) if metrics.is_file() else {}
        fresh = bool(record) and not record.get("superseded")
        ok = result.ok and fresh and record.get("passed") is not False
        failures += not ok
        detail = _book.targets_text(record, bounds=False) if fresh else "no metrics written"
        if not result.ok:
            last = (result.error.strip().splitlines() or ["failed"])[-1]
            detail += " | " + re.sub(r"\x1b\[[0-9;]*m", "", last)[:200]  # without the traceback's colours
        print(f"{'✓' if ok else '✗'} ch{chapter.number:02d} {chapter.slug:<22} {detail} | "
              f"{result.seconds:.1f} s | {_book.shown_path(result.path)}", flush=True)
    quick = "--quick" in argv
    verb = "ran (quick: targets not checked)" if quick else "passed"
    print(f"{14 - failures}/14 chapters {verb} in {time.perf_counter() - began:.0f} s", flush=True)
    return failures


TABLE_START, TABLE_END = "<!-- chapters: python -m chapters readme -->", "<!-- /chapters -->"


def replace_chapter_table(text: str) -> str:
    """``text`` (the README) with the table between the markers rebuilt from the registry."""
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    return text[:start] + "\n" + _book.chapter_table() + text[end:]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "list"):
        print(usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command == "all":
        failures = run_notebooks(rest)
        if "--quick" not in rest:  # a quick run never writes docs/
            from chapters import _report

            _report.main([])
        return 1 if failures else 0
    if command == "notebooks":
        return 1 if run_notebooks(rest, notebooks_dir=Path("notebooks")) else 0
    if command == "report":
        from chapters import _report

        return _report.main(rest)
    if command == "readme":
        readme = _book.ROOT / "README.md"
        _book.write_atomic(readme, replace_chapter_table(readme.read_text(encoding="utf-8")))
        print(f"Wrote the chapter table in {readme}")
        return 0
    if command == "site":
        from chapters import _site

        return _site.main(rest)
    try:
        _book.get(command)
    except ValueError:
        print(f"unknown command or chapter {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    return run_one(command, rest)


if __name__ == "__main__":
    sys.exit(main())
