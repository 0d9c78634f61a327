"""Run the benchmarks and write docs/BENCHMARKS.md: ``python -m benchmarks [--quick] [options]``.

The full run (``make bench``) needs the machine to itself: it runs chapters 6-11 at full
settings on TensorFlow and on JAX, ``--repeats`` times (default 3), plus the book's loops,
the generators and the builders. On a 2-core CPU with nothing else running that is
roughly 45-60 minutes (``--repeats 2``: about 35). JAX in particular slows down badly
when its threads compete with other work for the CPU, so its numbers from a busy
machine are not worth keeping; the report says when the load average was high.

``--quick`` runs every comparison at tiny sizes (chapters in ``--quick`` mode, a few
book-loop calls, small generator and model sizes) to check that the benchmarks work;
its numbers mean nothing, and it writes ``outputs/benchmarks/BENCHMARKS-quick.md``
instead of ``docs/BENCHMARKS.md`` unless ``--output`` says otherwise.

Every comparison is side by side: within each repeat, the two things compared run one
after the other, in alternating order, and the ratio is taken within the repeat.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

from tqdm.auto import tqdm  # noqa: E402

from benchmarks import book_loops, builders, generators  # noqa: E402
from benchmarks.common import (  # noqa: E402
    MODEL_CHAPTERS,
    ROOT,
    Spread,
    backend_available,
    chapter_module,
    cpu_model,
    load_average,
    markdown_table,
    paired_ratios,
    run_chapter,
    subprocess_env,
    targets_text,
    versions,
)

BACKENDS = ("tensorflow", "jax")
BOOK_CHAPTERS = tuple(sorted(book_loops.BOOK))  # 6 and 11

#: Settings of a full and a quick run.
FULL = {"repeats": 3, "book_calls": 200, "book_eval_calls": 20, "chapter_timeout": 3600,
        "chapters": ",".join(map(str, MODEL_CHAPTERS))}
#: A quick run times only the chapters comparison 1 needs (on JAX a quick chapter is mostly
#: compiling, which takes minutes on a busy 2-core machine); --chapters adds more.
QUICK = {"repeats": 2, "book_calls": 10, "book_eval_calls": 2, "chapter_timeout": 600,
         "chapters": ",".join(map(str, BOOK_CHAPTERS))}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, to check the benchmarks run (numbers mean nothing)")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"repeats of every measurement (default {FULL['repeats']}, "
                             f"quick {QUICK['repeats']})")
    parser.add_argument("--only", default="1,2,3,4", help="comparisons to run, e.g. 1,3 (default all)")
    parser.add_argument("--chapters", default=None,
                        help="model chapters for comparison 2 (default 6-11; quick 6,11)")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="backends for comparison 2 (default tensorflow,jax)")
    parser.add_argument("--book-calls", type=int, default=None,
                        help="book-loop fits timed after the first (default 200; at least 9,999 for "
                             "ch06 runs the whole loop, no extrapolation)")
    parser.add_argument("--book-eval-calls", type=int, default=None,
                        help="book-loop one-sample predictions timed after the first")
    parser.add_argument("--output", default=None,
                        help="the Markdown file (default docs/BENCHMARKS.md; quick: "
                             "outputs/benchmarks/BENCHMARKS-quick.md)")
    parser.add_argument("--work-dir", default="outputs/benchmarks",
                        help="chapter outputs, logs and results.json (default outputs/benchmarks)")
    parser.add_argument("--render", metavar="RESULTS_JSON", default=None,
                        help="only rewrite the Markdown from a results.json an earlier run saved")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    args.repeats = args.repeats if args.repeats is not None else defaults["repeats"]
    args.book_calls = args.book_calls if args.book_calls is not None else defaults["book_calls"]
    args.book_eval_calls = (args.book_eval_calls if args.book_eval_calls is not None
                            else defaults["book_eval_calls"])
    args.chapter_timeout = defaults["chapter_timeout"]
    args.chapters = args.chapters if args.chapters is not None else defaults["chapters"]
    for name in ("repeats", "book_calls", "book_eval_calls"):
        if getattr(args, name) < 1:
            flag = "--" + name.replace("_", "-")
            parser.error(f"{flag} must be a positive int. Received: {getattr(args, name)}")
    try:
        args.only = sorted({int(v) for v in args.only.split(",") if v.strip()})
        args.chapters = sorted({int(v) for v in args.chapters.split(",") if v.strip()})
    except ValueError:
        parser.error(f"--only and --chapters take comma-separated numbers. Received: {args.only!r}, "
                     f"{args.chapters!r}")
    if not args.only or not set(args.only) <= {1, 2, 3, 4}:
        parser.error(f"--only takes numbers from 1 to 4. Received: {args.only}")
    if not set(args.chapters) <= set(MODEL_CHAPTERS):
        parser.error(f"--chapters takes model chapters {list(MODEL_CHAPTERS)}. Received: {args.chapters}")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not args.backends or not set(args.backends) <= set(BACKENDS):
        parser.error(f"--backends takes {list(BACKENDS)}. Received: {args.backends}")
    args.output_given = args.output is not None
    if args.output is None:
        args.output = default_output(args.quick)
    return args


def default_output(quick: bool) -> str:
    return "outputs/benchmarks/BENCHMARKS-quick.md" if quick else "docs/BENCHMARKS.md"


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def run_book_loop(chapter: int, repeat: int, args, work: Path) -> dict:
    """The book's loop for ``chapter`` in a fresh TensorFlow process."""
    out = work / f"repeat{repeat}" / f"book_ch{chapter:02d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "benchmarks.book_loops", "--chapter", str(chapter),
               "--calls", str(args.book_calls), "--eval-calls", str(args.book_eval_calls),
               "--seed", str(repeat), "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=subprocess_env("tensorflow"),
                          capture_output=True, text=True)
    if done.returncode != 0 or not out.is_file():
        return {"chapter": chapter, "error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result = json.loads(out.read_text(encoding="utf-8"))
    result["wall"] = time.perf_counter() - start
    result.pop("fit_s", None)  # keep results.json small; the summary statistics stay
    return result


def plan(args, results: dict, work: Path) -> list:
    """Every measurement as ``(units, label, function)``, in the order they run."""
    steps = []
    chapter_backends = {}
    if 2 in args.only:
        for chapter in args.chapters:
            chapter_backends[chapter] = list(results["backends_ok"])
    if 1 in args.only:  # comparison 1 needs our full TensorFlow runs of chapters 6 and 11
        for chapter in BOOK_CHAPTERS:
            chapter_backends.setdefault(chapter, [])
            if "tensorflow" not in chapter_backends[chapter]:
                chapter_backends[chapter].insert(0, "tensorflow")

    def chapter_step(chapter, backend, repeat):
        def step():
            module = chapter_module(chapter)
            out = work / f"repeat{repeat}" / f"ch{chapter:02d}_{backend}"
            result = run_chapter(chapter, out, backend=backend, quick=args.quick,
                                 timeout=args.chapter_timeout)
            results["chapter_runs"].setdefault(f"{chapter}/{backend}", []).append(result)
            return module
        return step

    def book_step(chapter, repeat):
        def step():
            results["book"].setdefault(str(chapter), []).append(run_book_loop(chapter, repeat, args, work))
        return step

    for repeat in range(args.repeats):
        for index, (chapter, backends) in enumerate(sorted(chapter_backends.items())):
            if chapter_module(chapter) is None:
                if repeat == 0:
                    results["not_written"].append(chapter)
                continue
            order = backends if (repeat + index) % 2 == 0 else backends[::-1]
            for backend in order:
                steps.append((1, f"ch{chapter:02d} on {backend} (repeat {repeat + 1})",
                              chapter_step(chapter, backend, repeat)))
        if 1 in args.only:
            for chapter in BOOK_CHAPTERS:
                steps.append((1, f"book's ch{chapter:02d} loop (repeat {repeat + 1})",
                              book_step(chapter, repeat)))

    if 3 in args.only:
        from lstmbook import problems

        names = generators.generator_names(problems)
        results["generators_without_loop"] = [n for n in names if n not in generators.CASES]
        for name in names:
            if name not in generators.CASES:
                continue
            case = generators.CASES[name]

            def gen_step(case=case, tick=None):
                n = case.n_quick if args.quick else case.n_full
                results["generators"].append(
                    generators.time_case(problems, case, n, args.repeats, tick=tick))
            steps.append((args.repeats, f"generator {name}", gen_step))

    if 4 in args.only:
        for case in builders.CASES:
            def builder_step(case=case, tick=None):
                n = case.n_quick if args.quick else case.n_full
                epochs = 1 if args.quick else case.epochs
                results["builders"].append(builders.time_case(case, n, epochs, args.repeats, tick=tick))
            steps.append((args.repeats, f"builder {case.builder}", builder_step))
    return steps


# ---------------------------------------------------------------------------------------------
# Writing BENCHMARKS.md
# ---------------------------------------------------------------------------------------------


def _runs(results, chapter, backend) -> list:
    return results["chapter_runs"].get(f"{chapter}/{backend}", [])


def _met(runs) -> str:
    """``3/3 ✓`` (full runs whose targets held), or ``quick`` for quick runs."""
    if not runs:
        return "—"
    if any(r.get("error") for r in runs):
        return "error: " + next(r["error"] for r in runs if r.get("error"))
    if all(r.get("mode") == "quick" for r in runs):
        return "quick run"
    held = sum(r.get("passed") is True for r in runs)
    return f"{held}/{len(runs)} {'✓' if held == len(runs) else '✗'}"


def _seconds(runs, key="seconds") -> list:
    return [r.get(key) if not r.get("error") else None for r in runs]


def render(results: dict, args) -> str:
    env = results["env"]
    lines = ["# Benchmarks", ""]
    if args.quick:
        lines += ["> **Quick run** (`python -m benchmarks --quick`): tiny sizes that only check the "
                  "benchmarks work. These numbers mean nothing; `make bench` writes the real ones.", ""]
    lines += [
        f"Written by `{results.get('command', 'python -m benchmarks')}`"
        + ("" if args.quick else " (`make bench`)")
        + f" on {env['date']}, in {results['seconds'] / 60:.1f} min.",
        "",
        f"- Machine: {env['cpu']}, {env['cpus']} CPUs, {env['platform']}; load average "
        f"(1, 5, 15 min) {env['load_start']} at the start and {results['load_end']} at the end.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
    ]
    busiest = max(_first_load(env["load_start"]), _first_load(results["load_end"]))
    if env["cpus"] and busiest > env["cpus"]:
        lines.append(f"- **The machine was busy** (load average up to {busiest:.1f} on {env['cpus']} "
                     "CPUs): other work shared the CPU, so absolute times are inflated; the ratios, "
                     "taken within each repeat, suffer less.")
    lines += [
        f"- Repeats: {args.repeats}. Every comparison is measured side by side: within each repeat "
        "the two contenders run one after the other, in alternating order, and each ratio is "
        "taken within its repeat. Figures are **median (min–max) over the repeats**.",
        "- Chapter times are each chapter's own clock (`seconds` in its metrics.json: from its "
        "first line to its last, so Python and backend start-up are excluded); \"wall\" includes "
        "starting a fresh Python process and importing the backend.",
        "",
    ]
    if results["not_written"]:
        missing = ", ".join(map(str, results["not_written"]))
        lines += [f"Chapters not written yet, so not timed: {missing}.", ""]

    if 1 in args.only:
        lines += _render_book(results, args)
    if 2 in args.only:
        lines += _render_backends(results, args)
    if 3 in args.only:
        lines += _render_generators(results)
    if 4 in args.only:
        lines += _render_builders(results)
    return "\n".join(lines).rstrip("\n") + "\n"


def _first_load(text: str) -> float:
    """The 1-minute load average from ``load_average()``'s text (0.0 when unknown)."""
    try:
        return float(str(text).split(",")[0])
    except ValueError:
        return 0.0


def _render_book(results, args) -> list:
    lines = ["## 1. The book's training loops vs ours", "",
             "The book trains Chapter 6's echo model with 10,000 calls of `model.fit` on one sequence "
             "each, and Chapter 11's rectangle generator with 25,000 calls on one rectangle each, then "
             "evaluates with one `predict` call per sample. `benchmarks/book_loops.py` runs those loops "
             "(the book's per-sample Python generators and `fit`/`predict` calls, in Keras 3 on "
             "TensorFlow, `verbose=0` where the book prints a line per call) and times "
             f"{args.book_calls} fits and {args.book_eval_calls} predictions after the first of each "
             "(which compiles the function and is timed on its own). The whole loop is then "
             "**extrapolated**, not run: first fit + mean fit × (fits − 1) + first predict + "
             "mean predict × (predicts − 1). Each `fit` call costs the same after the first, so the "
             "estimate is fair, and it leaves out the book's per-call printing, which flatters the book. "
             "Ours is the chapter's " + ("quick" if args.quick else "full")
             + " run (`python -m chapters.chNN_slug`), which trains in batches.",
             ""]
    rows = []
    for chapter in BOOK_CHAPTERS:
        book = [r for r in results["book"].get(str(chapter), []) if not r.get("error")]
        errors = [r["error"] for r in results["book"].get(str(chapter), []) if r.get("error")]
        ours = _runs(results, chapter, "tensorflow")
        book_s = [r["book_seconds"] for r in book]
        our_s = _seconds(ours)
        settings = book_loops.BOOK[chapter]
        extrapolated = any(r.get("extrapolated") for r in book)
        rows.append([
            f"ch{chapter:02d}",
            f"{settings['fits']:,} fits + {settings['predicts']} predicts",
            Spread.of([r["median_fit_s"] * 1000 for r in book]).text("{:.1f}", " ms")
            if book else ("error: " + errors[0] if errors else "—"),
            Spread.of([r["first_fit_s"] for r in book]).text("{:.2f}", " s"),
            Spread.of(book_s).text("{:.0f}", " s") + (" (extrapolated)" if extrapolated else " (measured)"),
            Spread.of(our_s).text("{:.1f}", " s") if ours else "not run",
            f"{targets_text(ours[0])}: {_met(ours)}" if ours else "—",
            paired_ratios(book_s, our_s).text("{:.1f}", "×"),
        ])
    lines += markdown_table(["chapter", "the book's loop", "per fit (median)", "first fit (compiles)",
                             "book's loop time", "our full run", "our result: targets met",
                             "speed-up (book / ours)"], rows)
    lines += ["", "Same accuracy: the book reports 100% accuracy for Chapter 6's loop and shows a "
              "generated rectangle for Chapter 11; our runs' metrics, their targets and how many "
              "runs met them are in the table. Pass `--book-calls 9999` to time Chapter 6's whole "
              "loop and measure its accuracy instead of extrapolating.", ""]
    return lines


def _render_backends(results, args) -> list:
    lines = ["## 2. TensorFlow vs JAX", ""]
    skipped = results.get("backends_skipped", {})
    if skipped:
        lines += [f"- {backend} not run: {reason}" for backend, reason in skipped.items()] + [""]
    mode = "in quick mode (`--quick`)" if args.quick else "at full settings"
    lines += [f"Each model chapter {mode} (seed 42) in a fresh process per backend "
              "(`KERAS_BACKEND=...`). A ratio above 1 means JAX is faster.", ""]
    rows, totals, complete = [], {b: [0.0] * args.repeats for b in BACKENDS}, True
    for chapter in args.chapters:
        if chapter_module(chapter) is None:
            rows.append([f"ch{chapter:02d}", "not written yet", "", "", "", "", ""])
            complete = False
            continue
        tf, jx = _runs(results, chapter, "tensorflow"), _runs(results, chapter, "jax")
        for backend, runs in (("tensorflow", tf), ("jax", jx)):
            seconds = _seconds(runs)
            if len(seconds) != args.repeats or None in seconds:
                complete = False
            else:
                totals[backend] = [t + s for t, s in zip(totals[backend], seconds, strict=True)]
        rows.append([
            f"ch{chapter:02d} {chapter_module(chapter).split('_', 1)[1]}",
            Spread.of(_seconds(tf)).text("{:.1f}", " s") + f" ({_met(tf)})" if tf else "not run",
            Spread.of(_seconds(jx)).text("{:.1f}", " s") + f" ({_met(jx)})" if jx else "not run",
            paired_ratios(_seconds(tf), _seconds(jx)).text("{:.2f}", "×"),
            paired_ratios(_seconds(tf, "wall"), _seconds(jx, "wall")).text("{:.2f}", "×"),
            targets_text(tf[0]) if tf else "—",
            targets_text(jx[0]) if jx else "—",
        ])
    lines += markdown_table(["chapter", "TensorFlow (targets met)", "JAX (targets met)",
                             "TF / JAX", "TF / JAX, wall", "TF metrics", "JAX metrics"], rows)
    if complete and rows:
        tf_total = Spread.of(totals["tensorflow"]).text("{:.0f}", " s")
        lines += ["", f"All these chapters together: TensorFlow {tf_total}, "
                  f"JAX {Spread.of(totals['jax']).text('{:.0f}', ' s')}, ratio "
                  f"{paired_ratios(totals['tensorflow'], totals['jax']).text('{:.2f}', '×')}."]
    lines.append("")
    return lines


def _render_generators(results) -> list:
    lines = ["## 3. Vectorised generators vs per-sample loops", "",
             "`lstmbook.problems` makes every sample at once with array operations. Each per-sample "
             "loop in `benchmarks/generators.py` builds the same arrays the book's way (a Python loop "
             "over samples, lists of lists), from the same random draws; the two outputs are compared "
             "before timing. Samples per second, and the speed-up of the vectorised generator.", ""]
    rows = []
    for r in results["generators"]:
        check = r["check"]
        same = ("yes, exactly" if check["exact"] else
                f"yes, within {check['max_abs_diff']:.1g}" if check["equal"] else f"NO {check['detail']}")
        rows.append([f"`{r['generator']}`", f"{r['samples']:,}",
                     Spread(tuple(r["vectorised_sps"]["values"])).text("{:,.0f}"),
                     Spread(tuple(r["loop_sps"]["values"])).text("{:,.0f}"),
                     Spread(tuple(r["speedup"]["values"])).text("{:.1f}", "×"), same])
    lines += markdown_table(["generator", "samples", "vectorised (samples/s)", "per-sample loop (samples/s)",
                             "speed-up", "same arrays"], rows)
    missing = results.get("generators_without_loop", [])
    if missing:
        lines += ["", "No per-sample reference yet for: " + ", ".join(f"`{n}`" for n in missing) + "."]
    lines.append("")
    return lines


def _render_builders(results) -> list:
    lines = ["## 4. lstmbook builders vs plain Keras", "",
             "Each architecture built with `lstmbook.models` and written out in plain Keras layers; "
             "the two are checked to be the same model (same weight count, and the same predictions "
             "once the weights are copied across), then each is built, compiled and fitted on the "
             "same random data (`benchmarks/builders.py`). A ratio of 1.0 means no overhead; "
             "below 1.0 the builder is faster, which happens only where it uses a layer of its own "
             "(named in the last column) in place of the plain Keras one.", ""]
    rows = []
    for r in results["builders"]:
        check = r["check"]
        own = check.get("own_layers") or []
        same = (f"yes ({check['params']:,} weights)"
                + (f"; lstmbook's layers: {', '.join(own)}" if own else "") if check["same"]
                else f"NO: {check['params']} vs {check['plain_params']} weights, "
                     f"diff {check['max_abs_diff']}")
        rows.append([r["model"], f"{r['n']:,} × {r['epochs']} epochs",
                     Spread(tuple(r["lstmbook_s"]["values"])).text("{:.2f}", " s"),
                     Spread(tuple(r["plain_s"]["values"])).text("{:.2f}", " s"),
                     Spread(tuple(r["ratio"]["values"])).text("{:.2f}", "×"), same])
    lines += markdown_table(["model", "data", "lstmbook", "plain Keras", "ratio", "same model"], rows)
    lines.append("")
    return lines


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


def _write(results: dict, args) -> Path:
    from chapters._book import write_atomic

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(output, render(results, args))


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.render:
        results = json.loads(Path(args.render).read_text(encoding="utf-8"))
        saved = results["settings"]
        for key in ("quick", "repeats", "only", "chapters", "backends", "book_calls", "book_eval_calls"):
            setattr(args, key, saved[key])
        if not args.output_given:
            args.output = default_output(args.quick)
        print(f"Wrote {_write(results, args)} from {args.render}", flush=True)
        return 0
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing warnings are expected here
    work = Path(args.work_dir) / ("quick" if args.quick else "full")
    work.mkdir(parents=True, exist_ok=True)
    import platform

    results = {
        "env": {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpu": cpu_model(), "cpus": os.cpu_count(),
                "platform": platform.platform(), "versions": versions(), "load_start": load_average()},
        "settings": dict(vars(args)),
        "command": " ".join(["python -m benchmarks", *argv]),
        "chapter_runs": {}, "book": {}, "generators": [], "builders": [], "not_written": [],
        "backends_ok": [], "backends_skipped": {},
    }
    if 2 in args.only:
        for backend in args.backends:
            reason = backend_available(backend)
            if reason is None:
                results["backends_ok"].append(backend)
            else:
                results["backends_skipped"][backend] = reason
    start = time.perf_counter()
    steps = plan(args, results, work)
    print(f"benchmarks: {len(steps)} measurements, {args.repeats} repeats"
          f"{' (quick)' if args.quick else ''}; results -> {args.output}", flush=True)
    with tqdm(total=sum(units for units, _, _ in steps), unit="run", dynamic_ncols=True) as bar:
        for units, label, step in steps:
            bar.set_description(label)
            if units == 1:
                step()
                bar.update(1)
            else:
                step(tick=lambda: bar.update(1))
    results["seconds"] = time.perf_counter() - start
    results["load_end"] = load_average()

    from chapters._book import write_json

    write_json(work / "results.json", results)
    output = _write(results, args)
    print(f"Wrote {output} (raw numbers in {work / 'results.json'}) in {results['seconds'] / 60:.1f} min",
          flush=True)
    bad = [r for r in results["generators"] if not r["check"]["equal"]] + \
          [r for r in results["builders"] if not r["check"]["same"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
