"""The book's runner: ``python -m chapters COMMAND [flags]``.

Commands:

- ``N`` (1 to 14, or ``chNN``): run chapter N in this process, as ``python -m
  chapters.chNN_slug`` would (``make chNN``).
- ``all``: every chapter in order, each executed as a notebook in its own kernel, so that
  one chapter's memory and backend state never reach the next. The executed notebook is
  kept beside the chapter's metrics (``outputs/BACKEND/chNN_slug/chNN_slug.ipynb``), one line
  is printed per chapter, and a full run then writes ``outputs/BACKEND/REPORT.md`` (``make all``).
  ``--seeds N`` runs every chapter at N seeds (``make all SEEDS=5``): ``--seed`` (42) and the
  next N - 1, each run in a fresh kernel, so that each seed's result is what ``make chNN``
  at that seed gives. The first seed's runs go to ``outputs/BACKEND/chNN_slug/`` as above (the
  site and the figures use them), the others to ``outputs/BACKEND/seeds/SEED/chNN_slug/``; all 14
  chapters run at the first seed, then at the next, and each line names its seed. The
  report then counts, for each chapter, the seeds that passed and shows each metric's
  mean and min–max over the seeds. ``--jobs N`` runs N notebooks at a time (``JOBS=2``;
  default 1, one after the other): on a small machine the runs share its cores, so each
  chapter's own seconds grow while the wall time may shrink.
- ``notebooks``: every chapter executed as a notebook into ``notebooks/`` (``make notebooks``;
  ``--jobs N`` as for ``all``).
- ``report``: ``outputs/BACKEND/REPORT.md`` from the full runs' metrics (``make report``;
  ``--seeds N`` and ``--seed S`` for the runs of ``all --seeds N --seed S``).
- ``publish``: copy a finished multi-seed report and its figures into ``docs/`` (``docs/jax/``
  on JAX), the only command that changes committed files (``make publish``).
- ``site``: the rendered book in ``site/`` (``make site``).
- ``readme``: rewrite the README's chapter table from the registry.

Flags for a chapter, ``all`` and ``notebooks``: ``--quick``, ``--seed N``, ``--epochs N``,
``--verbose``, ``--tensorboard``, ``--scheduler ADDRESS`` (chapter 12's repeats on a
Dask cluster), and for one chapter ``--output-dir DIR``. A quick run
writes to ``outputs/BACKEND/quick/`` (its further seeds to ``outputs/BACKEND/quick/seeds/SEED/``). ``--seeds`` belongs to ``all`` and ``report`` alone, and ``--jobs`` to ``all``
and ``notebooks``: a chapter runs at one seed (``--seed N``).

Exit status: 0 when every chapter run passed (or ran, for a quick run), 1 when one
missed a target or failed, 2 for a bad command line.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from chapters import _book  # noqa: E402


def usage() -> str:
    lines = ["usage: python -m chapters {N | all | notebooks | report | publish | site} [flags]", "", "Chapters:"]
    for chapter in _book.CHAPTERS.values():
        targets = ", ".join(f"{key} {op} {bound:g}" for key, (op, bound) in chapter.targets.items())
        lines.append(f"  {chapter.number:>2}  {chapter.name:<27} {chapter.title}  [{targets}]")
    lines += [
        "",
        "Commands:",
        "  N           run chapter N here (make chNN)",
        "  all         every chapter as an executed notebook, then outputs/BACKEND/REPORT.md (make all)",
        "  notebooks   every chapter executed into notebooks/ (make notebooks)",
        "  report      outputs/BACKEND/REPORT.md from its chNN_slug/metrics.json (make report)",
        "  publish     copy a finished multi-seed report into docs/ (make publish)",
        "  site        the rendered book in site/ (make site)",
        "  readme      rebuild the README's chapter table from the registry",
        "",
        "Flags: --quick  --seed N (42)  --epochs N  --verbose  --tensorboard  --output-dir DIR (one chapter)",
        "       --scheduler tcp://HOST:PORT (chapter 12: repeats on a Dask cluster, docs/CLUSTER.md)",
        "       --seeds N (all, report: every chapter at seeds --seed ... --seed + N - 1; make all SEEDS=5)",
        "       --jobs N (all, notebooks: N notebooks at a time; make all JOBS=2)",
        "In a notebook: LSTMBOOK_QUICK=1, LSTMBOOK_SEED=N, ... (see chapters/_book.py)",
    ]
    return "\n".join(lines)


def run_one(number, argv: list[str]) -> int:
    """Chapter ``number`` in this process, with ``argv`` as its command line."""
    import chapters

    chapter = _book.get(number)
    _book.parse_flags(chapter, argv)  # a bad flag stops here, before the backend starts
    chapters._start_keras_quietly()
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


def take_count(argv: list[str], name: str, *, minimum: int = 1, default: int = 1) -> tuple[int, list[str]]:
    """``name N`` (or ``name=N``) taken out of ``argv``: ``(N, the other flags)``.

    The last one wins when it is given twice; ``default`` when it is not given.

    Raises:
        ValueError: the value is missing, not an int, or below ``minimum``; the message names
            the flag.
    """
    rest, value = [], default
    argv = list(argv)
    while argv:
        flag = argv.pop(0)
        key, equals, inline = flag.partition("=")
        if key != name:
            rest.append(flag)
            continue
        if not equals and not argv:
            raise ValueError(f"{name} needs a value, an int >= {minimum}. Received: argv ending in {flag!r}")
        text = inline if equals else argv.pop(0)
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{name} must be an int >= {minimum}. Received: {name} {text!r}") from None
        if value < minimum:
            raise ValueError(f"{name} must be an int >= {minimum}. Received: {name} {value}")
    return value, rest


def seed_list(argv: list[str], seeds: int) -> list[int]:
    """The seeds ``all --seeds N`` runs: ``--seed`` in ``argv`` (default 42) and the next N - 1."""
    from chapters import _notebooks, _report

    text = _notebooks.flags_to_env(argv).get("LSTMBOOK_SEED", str(_report.BASE_SEED))
    try:
        base = int(text)
    except ValueError:
        raise ValueError(f"--seed must be an int >= 0. Received: --seed {text!r}") from None
    if base < 0:
        raise ValueError(f"--seed must be an int >= 0. Received: --seed {base}")
    return list(range(base, base + seeds))


def expected_seconds(chapter: _book.Chapter, folders: list, backend: str) -> float:
    """How long a run of ``chapter`` should take: the chapter's own clock on its last run in
    the first of ``folders`` that holds a run on ``backend`` (its own folder, then the base
    seed's), else the registry's figure for ``backend``."""
    for folder in folders:
        try:
            record = json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8"))
            if record.get("backend") == backend and float(record["seconds"]) > 0:
                return float(record["seconds"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # no run there yet, or one this runner cannot read
    return chapter.seconds.get(backend, chapter.seconds["tensorflow"])


def _run_indexed(index: int, chapter, flags, path):
    """One worker's run, with its place in the plan (the results come back as they end)."""
    from chapters import _notebooks

    return index, _notebooks.execute_to_disk(chapter, flags, notebook_path=path)


def _run_longest_first(plan: list, jobs: int):
    """The plan's runs, ``jobs`` at a time in worker processes: ``(index in plan, run)`` as
    each ends.

    The longest runs start first, so that no long chapter is left to run alone at the end
    while the other workers wait. Each worker process runs its notebook in a kernel of its
    own and sends back the outcome without the executed notebook, which is on disk (its
    figures would be megabytes to send). Each kernel keeps every thread its backend starts
    (one thread per kernel made chapters 12 and 14 half as slow again on a 2-core CPU).
    """
    from joblib import Parallel, delayed

    backend = os.environ.get("KERAS_BACKEND", "tensorflow")  # what each kernel will use
    return Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(_run_indexed)(i, plan[i][0], plan[i][2], plan[i][3]) for i in longest_first(plan, backend))


def longest_first(plan: list, backend: str) -> list[int]:
    """The plan's indices, the run expected to take longest first (ties in the plan's order).

    A run at a further seed with no record of its own is expected to take what the same
    chapter took at the first seed (``plan[0]``'s seed, in ``outputs/chNN_slug``).
    """
    first = {chapter.number: folder for chapter, seed, _, _, folder in plan if seed == plan[0][1]}
    return sorted(range(len(plan)), key=lambda i: -expected_seconds(
        plan[i][0], [plan[i][4], first.get(plan[i][0].number, plan[i][4])], backend))


def run_notebooks(argv: list[str], *, notebooks_dir: Path | None = None, seeds: int = 1,
                  jobs: int = 1) -> int:
    """Every chapter as an executed notebook, at each of ``seeds`` seeds; one line per run.

    The first seed's runs are what ``argv`` asks for (``outputs/chNN_slug/``); each further
    seed's run gets ``--seed SEED --output-dir outputs/seeds/SEED/chNN_slug`` on top of it
    (``outputs/quick/seeds/...`` for a quick run). ``jobs`` notebooks run at a time, each in
    its own kernel. Returns the number of runs that failed.
    """
    from chapters import _notebooks, _report

    if any(flag.startswith("--output-dir") for flag in argv):
        raise SystemExit("--output-dir names one chapter's folder; each chapter writes to its own")
    if notebooks_dir is not None and seeds > 1:
        raise SystemExit("--seeds is for `all`: notebooks/ holds one notebook per chapter")
    env = _notebooks.flags_to_env(argv)  # a bad flag stops here, before the first chapter runs
    quick = env.get("LSTMBOOK_QUICK") == "1"
    every = seed_list(argv, seeds)
    root = _book.QUICK_ROOT if quick else _book.OUTPUT_ROOT
    plan = []  # (chapter, seed, its flags, where its notebook goes, its output folder), in order
    for index, seed in enumerate(every):
        for chapter in _book.CHAPTERS.values():
            if index == 0:
                path = notebooks_dir / f"{chapter.name}.ipynb" if notebooks_dir else None
                plan.append((chapter, seed, argv, path, root / chapter.name))
            else:  # the later --seed and --output-dir win over any in argv
                folder = _report.seed_outputs(root, seed) / chapter.name
                plan.append((chapter, seed, [*argv, "--seed", str(seed), "--output-dir", str(folder)], None,
                             folder))
    began = time.perf_counter()
    if jobs == 1:  # one after the other, in this process: what `make all` has always done
        results = ((i, _notebooks.execute(chapter, flags, notebook_path=path))
                   for i, (chapter, _, flags, path, _) in enumerate(plan))
    else:
        results = _run_longest_first(plan, jobs)
    failures, missed = 0, set()
    for index, result in results:  # as each run ends
        chapter, seed, *_ = plan[index]
        metrics = result.output_dir / "metrics.json"
        record = json.loads(metrics.read_text(encoding="utf-8")) if metrics.is_file() else {}
        fresh = bool(record) and not record.get("superseded") and (seeds == 1 or record.get("seed") == seed)
        ok = result.ok and fresh and record.get("passed") is not False
        failures += not ok
        if not ok:
            missed.add(chapter.number)
        detail = _book.targets_text(record, bounds=False) if fresh else "no metrics written"
        if not result.ok:
            last = (result.error.strip().splitlines() or ["failed"])[-1]
            detail += " | " + re.sub(r"\x1b\[[0-9;]*m", "", last)[:200]  # without the traceback's colours
        which = f" seed {seed} |" if seeds > 1 else ""
        print(f"{'✓' if ok else '✗'} ch{chapter.number:02d} {chapter.slug:<22}{which} {detail} | "
              f"{result.seconds:.1f} s | {_book.shown_path(result.path)}", flush=True)
    verb = "ran (quick: targets not checked)" if quick else "passed"
    wall = time.perf_counter() - began
    if seeds == 1:
        print(f"{14 - failures}/14 chapters {verb} in {wall:.0f} s", flush=True)
        return failures
    print(f"{len(plan) - failures}/{len(plan)} runs {verb} ({14 - len(missed)}/14 chapters at every one "
          f"of {seeds} seeds, {every[0]}–{every[-1]}) in {wall:.0f} s", flush=True)
    if not quick and notebooks_dir is None:  # the report shows the wall time of this run
        _book.write_json(root / _report.SEEDS_FOLDER / _report.RUN_FILE, {
            "seeds": every, "jobs": jobs, "wall_seconds": round(wall, 1), "runs": len(plan),
            "passed": len(plan) - failures, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
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
    given = {flag.partition("=")[0] for flag in rest}
    if command == "all":
        try:
            seeds, rest = take_count(rest, "--seeds")
            jobs, rest = take_count(rest, "--jobs")
            every = seed_list(rest, seeds)
        except ValueError as error:
            print(f"all: {error}", file=sys.stderr)
            return 2
        failures = run_notebooks(rest, seeds=seeds, jobs=jobs)
        if "--quick" not in rest:  # the report goes beside the runs; only `publish` writes docs/
            from chapters import _report

            _report.main(["--seeds", str(seeds), "--seed", str(every[0])] if seeds > 1 else [])
        return 1 if failures else 0
    if command == "publish":
        from chapters import _report

        if rest:
            print(f"publish takes no flags (it publishes outputs/{_book.backend_name()}; BACKEND=jax for JAX's). "
                  f"Received: {' '.join(rest)}", file=sys.stderr)
            return 2
        try:
            folder = _report.publish(_book.OUTPUT_ROOT)
        except ValueError as error:
            print(f"publish: {error}", file=sys.stderr)
            return 1
        print(f"Published {_book.shown_path(_book.OUTPUT_ROOT / 'REPORT.md')} and its figures to "
              f"{_book.shown_path(folder)}/")
        return 0
    if command == "notebooks":
        if "--seeds" in given:
            print("notebooks: --seeds is a flag of `all` and `report`; notebooks/ holds one run per "
                  "chapter (--seed N picks its seed)", file=sys.stderr)
            return 2
        try:
            jobs, rest = take_count(rest, "--jobs")
        except ValueError as error:
            print(f"notebooks: {error}", file=sys.stderr)
            return 2
        return 1 if run_notebooks(rest, notebooks_dir=Path("notebooks"), jobs=jobs) else 0
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
    for flag, why in (("--seeds", "`all` and `report`: a chapter runs at one seed (--seed N)"),
                      ("--jobs", "`all` and `notebooks`: a chapter is one run")):
        if flag in given:
            print(f"{flag} is a flag of {why}. Received: {command} {flag}", file=sys.stderr)
            return 2
    return run_one(command, rest)


if __name__ == "__main__":
    sys.exit(main())
