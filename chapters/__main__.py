"""Run chapters by number: ``python -m chapters 6 [--quick ...]`` or ``python -m chapters all``.

``make chNN`` and ``make all`` call this. A chapter's exit status is 0 when its targets
hold (or on a quick run), 1 when a target is missed, and 2 when the chapter is not
written yet. ``all`` runs each chapter in its own process, so that one chapter's memory
and backend state never leak into the next, prints one line per chapter as it finishes,
writes the report, and exits non-zero if any chapter failed.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from lstmbook.chapter import targets_text  # noqa: E402 - after the log level is set

CHAPTERS_DIR = Path(__file__).resolve().parent


def find_module(number: int) -> str | None:
    """The module name ``chapters.chNN_slug`` for a chapter number, or None if not written."""
    matches = sorted(CHAPTERS_DIR.glob(f"ch{number:02d}_*.py"))
    return f"chapters.{matches[0].stem}" if matches else None


def parse_number(text: str) -> int:
    digits = text.lower().removeprefix("ch")
    if not digits.isdigit() or not 1 <= int(digits) <= 14:
        raise SystemExit(f"chapter must be a number from 1 to 14 (or 'all'). Received: {text!r}")
    return int(digits)


def run_one(number: int, argv: list[str]) -> int:
    module_name = find_module(number)
    if module_name is None:
        print(f"Chapter {number} is not written yet (no chapters/ch{number:02d}_*.py).", file=sys.stderr)
        return 2
    record = importlib.import_module(module_name).main(argv)
    return 1 if record.get("passed") is False else 0


def output_dir_for(number: int, argv: list[str]) -> Path | None:
    module_name = find_module(number)
    if module_name is None:
        return None
    if "--output-dir" in argv:
        return Path(argv[argv.index("--output-dir") + 1])
    return Path("outputs") / module_name.split(".", 1)[1]


def run_all(argv: list[str], report: bool = True) -> int:
    """Every chapter in order, each in a fresh process; then the report."""
    if "--output-dir" in argv:
        raise SystemExit("--output-dir names one chapter's folder; 'all' writes to outputs/chNN_slug/")
    failures, start = 0, time.perf_counter()
    log_dir = Path("outputs") / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for number in range(1, 15):
        module_name = find_module(number)
        if module_name is None:
            print(f"✗ ch{number:02d} not written yet", flush=True)
            failures += 1
            continue
        log_path = log_dir / f"ch{number:02d}.log"
        began = time.perf_counter()
        with open(log_path, "w", encoding="utf-8") as log:
            code = subprocess.call([sys.executable, "-m", module_name, *argv],
                                   stdout=log, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - began
        metrics_path = output_dir_for(number, argv) / "metrics.json"
        summary = ""
        if metrics_path.is_file():
            record = json.loads(metrics_path.read_text(encoding="utf-8"))
            summary = targets_text(record, bounds=False)
            passed = record.get("passed")
            if record.get("mode") == "full" and passed is not True:
                code = code or 1
        ok = code == 0
        failures += not ok
        mark = "✓" if ok else "✗"
        detail = summary if metrics_path.is_file() else f"exit {code}, see {log_path}"
        print(f"{mark} ch{number:02d} {module_name.split('_', 1)[1]:<22} {detail} | {seconds:.1f} s",
              flush=True)
        if not ok:
            print(f"  log: {log_path}", flush=True)
    print(f"{14 - failures}/14 chapters passed in {time.perf_counter() - start:.0f} s", flush=True)
    if report:
        from lstmbook import report as report_module

        report_module.main([])
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    target, rest = argv[0], argv[1:]
    if target == "all":
        return run_all(rest)
    return run_one(parse_number(target), rest)


if __name__ == "__main__":
    sys.exit(main())
