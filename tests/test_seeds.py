"""Several seeds: ``python -m chapters all --seeds N`` and the multi-seed report, from synthetic
metrics.json files (no chapter is run)."""

import doctest
import json
from pathlib import Path

import pytest

import chapters.__main__ as runner
from chapters import _book, _notebooks
from chapters import _report as report
from tests.test_report import table_rows as table

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

SEEDS = [42, 43, 44, 45, 46]


def write_run(outputs, number, seed, *, value=1.0, folder_seed=None, mode="full", **overrides):
    """A chapter's metrics.json at ``seed``, where ``all --seeds`` puts it: the base seed's in
    ``outputs/chNN_slug``, the others' in ``outputs/seeds/SEED/chNN_slug`` (``folder_seed``
    picks the folder when it differs from the record's seed)."""
    folder_seed = seed if folder_seed is None else folder_seed
    chapter = _book.CHAPTERS[number]
    root = outputs if folder_seed == SEEDS[0] else report.seed_outputs(outputs, folder_seed)
    folder = root / chapter.name
    folder.mkdir(parents=True, exist_ok=True)
    target = {"op": ">=", "value": 0.99}
    record = {
        "chapter": number, "slug": chapter.slug, "title": chapter.title, "mode": mode, "seed": seed,
        "backend": "tensorflow", "versions": {"keras": "3.15.1"}, "seconds": 10.0,
        "metrics": {"accuracy": value}, "targets": {"accuracy": target},
        "passed": None if mode == "quick" else value >= 0.99, "main_figure": None, "figures": [],
        "machine": {"platform": "Linux-test", "cpus": 2},
        "finished": f"2025-01-01T00:00:{seed - 40:02d}+0000",
    }
    record.update(overrides)
    (folder / "metrics.json").write_text(json.dumps(record))
    return folder


def every_chapter_at_every_seed(outputs, skip=()):
    for number in _book.CHAPTERS:
        for seed in SEEDS:
            if (number, seed) not in skip:
                write_run(outputs, number, seed, value=0.99 + 0.002 * (seed - 42))  # 0.99 ... 0.998




OURS, SEEDS_PASSED, RESULT, SECONDS = 3, 5, 6, 7


@pytest.fixture
def dirs(tmp_path):
    return tmp_path / "outputs", tmp_path / "docs"


def test_doctests():
    assert doctest.testmod(report).failed == 0


def test_every_seed_passing(dirs):
    outputs, docs = dirs
    every_chapter_at_every_seed(outputs)
    (report.seed_outputs(outputs, 0).parent / report.RUN_FILE).write_text(
        json.dumps({"seeds": SEEDS, "jobs": 2, "wall_seconds": 1500.0}))
    assert report.main(["--outputs", str(outputs), "--docs", str(docs), "--seeds", "5"]) == 0
    text = (docs / "REPORT.md").read_text()
    assert "**14/14 chapters reproduce the book at every one of 5 seeds (42–46)**" in text
    assert "70/70 runs passed" in text
    rows = table(text)
    assert sorted(rows) == list(range(1, 15))
    for number, cells in rows.items():
        assert cells[2] == _book.CHAPTERS[number].book  # the book's figure, beside ours
        assert cells[OURS] == "accuracy = 0.994 (0.99–0.998)", cells
        assert cells[SEEDS_PASSED] == "5/5" and "PASS" in cells[RESULT] and cells[SECONDS] == "50.0"
    assert "Total chapter time: 700 s (11.7 min) over 70 runs" in text  # 14 chapters x 5 seeds x 10 s
    assert "took 1500 s (25.0 min) end to end with `--jobs 2`" in text
    assert "between 2025-01-01T00:00:02+0000 and 2025-01-01T00:00:06+0000" in text  # every seed's runs


def test_a_missing_quick_wrong_seed_or_failing_run_is_not_a_pass(dirs, capsys):
    outputs, docs = dirs
    every_chapter_at_every_seed(outputs, skip={(6, 45), (7, 44), (8, 43), (9, 46), (10, 42), (11, 44)})
    write_run(outputs, 7, 44, value=0.5, mode="quick")       # a quick run: not counted, not in the mean
    write_run(outputs, 8, 42, value=0.5, folder_seed=43)      # seed 42's record in seed 43's folder
    write_run(outputs, 9, 46, value=0.9)                      # a full run that misses its target
    write_run(outputs, 10, 42, value=0.5, superseded="2025")  # a run that never finished
    write_run(outputs, 11, 44, value=0.5)
    write_run(outputs, 11, 44, value=1.0, folder_seed=45)     # ... and 45's folder holds seed 44's
    assert report.main(["--outputs", str(outputs), "--docs", str(docs), "--seeds", "5"]) == 1
    text = (docs / "REPORT.md").read_text()
    rows = table(text)
    assert "**8/14 chapters reproduce the book at every one of 5 seeds (42–46)**" in text
    assert "63/70 runs passed" in text and "6 did not pass at every seed" in text
    for number in (6, 7, 8, 9, 10):
        assert rows[number][SEEDS_PASSED] == "4/5" and "FAIL" in rows[number][RESULT], rows[number]
    assert rows[11][SEEDS_PASSED] == "3/5"
    # the mean and range are over the full runs of the right seed only (0.99, 0.992, 0.996, 0.998)
    assert rows[6][OURS] == "accuracy = 0.9935 (0.99–0.998; 4 of 5 seeds)"  # without 0.996
    assert rows[7][OURS] == "accuracy = 0.994 (0.99–0.998; 4 of 5 seeds)"   # without 0.994 (nor 0.5)
    assert rows[8][OURS] == "accuracy = 0.9945 (0.99–0.998; 4 of 5 seeds)"  # without 0.992 (nor 0.5)
    assert rows[9][OURS] == "accuracy = 0.9744 (0.9–0.996)"  # a failed full run of its seed counts
    assert rows[10][OURS] == "accuracy = 0.995 (0.992–0.998; 4 of 5 seeds)"  # without 0.99 (nor 0.5)
    assert rows[11][OURS] == "accuracy = 0.87 (0.5–0.998; 4 of 5 seeds)"  # seed 44's 0.5, not 45's 1
    assert rows[6][SECONDS] == "40.0" and "5/5" in rows[1][SEEDS_PASSED]
    assert "- ch06: seed 45: not run" in text
    assert "- ch07: seed 44: quick run: targets are not checked" in text
    assert "- ch08: seed 43:" in text and "is a run at seed 42, not 43" in text
    assert "- ch09: seed 46: target missed: accuracy" in text
    assert "- ch10: seed 42: a run started at 2025 did not finish" in text
    assert "not run" not in rows[6][RESULT]
    out = capsys.readouterr().out
    assert "8/14 chapters passed at every one of 5 seeds (42–46)" in out and "ch06" in out


def test_rows_over_seeds():
    def row(status):
        return report.ChapterRow(6, "T", status, seed=42)

    pass_, fail, quick, missing = (row(s) for s in ("PASS", "FAIL", "quick", "not run"))
    assert report.multi_seed_row(6, [pass_, pass_]).status == "PASS"
    assert report.multi_seed_row(6, [pass_, missing]).status == "FAIL"
    assert report.multi_seed_row(6, [missing, fail]).status == "FAIL"
    assert report.multi_seed_row(6, [missing, missing]).status == "not run"
    assert report.multi_seed_row(6, [missing, quick]).status == "quick"
    assert report.multi_seed_row(6, [pass_, missing]).seeds_passed == 1
    for bad in ([], [report.ChapterRow(7, "T", "PASS")], ["PASS"]):
        with pytest.raises(TypeError, match="runs"):
            report.multi_seed_row(6, bad)


def test_the_base_seed_and_one_seed(dirs):
    outputs, docs = dirs
    for number in _book.CHAPTERS:
        for seed in (7, 8):
            write_run(outputs, number, seed, folder_seed=42 if seed == 7 else seed)
    rows = report.build_report(outputs, docs, seeds=2, seed=7)
    assert all(row.status == "PASS" and row.seeds_passed == 2 for row in rows)
    # at the default base, 42, the base folders hold the wrong seed and 43 was never run
    rows = report.build_report(outputs, docs, seeds=2)
    assert all(row.status == "invalid" and row.seeds_passed == 0 for row in rows)
    # one seed: the report of today, which reads outputs/chNN_slug only and checks no seed
    rows = report.build_report(outputs, docs)
    assert all(row.status == "PASS" and not row.runs for row in rows)
    text = (docs / "REPORT.md").read_text()
    assert "seeds passed" not in text and "**14/14 chapters reproduce the book** (full runs" in text
    with pytest.raises(ValueError, match="seeds"):
        report.build_report(outputs, docs, seeds=0)
    with pytest.raises(ValueError, match="seed"):
        report.build_report(outputs, docs, seeds=2, seed=-1)
    with pytest.raises(ValueError, match="seed"):
        report.chapter_row(6, seed="42")


@pytest.mark.parametrize("argv", [["--seeds", "0"], ["--seeds", "x"], ["--seeds"], ["--seed", "-1"]])
def test_report_refuses_bad_seeds(argv, dirs, capsys):
    outputs, docs = dirs
    assert report.main(["--outputs", str(outputs), "--docs", str(docs), *argv]) == 2
    assert argv[0] in capsys.readouterr().err
    assert not docs.exists()


# ---------------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--seeds", "0"], ["--seeds", "x"], ["--seeds"], ["--seeds=-1"],
                                  ["--seeds", "1.5"]])
def test_take_count_names_the_flag(argv):
    with pytest.raises(ValueError, match="--seeds"):
        runner.take_count(argv, "--seeds")


def test_take_count():
    argv = ["--quick", "--seeds", "5", "--seed", "7"]
    assert runner.take_count(argv, "--seeds") == (5, ["--quick", "--seed", "7"])
    assert runner.take_count(["--seeds=3", "--seeds", "2"], "--seeds") == (2, [])
    assert runner.take_count(["--quick"], "--seeds") == (1, ["--quick"])
    assert runner.seed_list(["--seed", "7"], 3) == [7, 8, 9] and runner.seed_list([], 2) == [42, 43]


@pytest.mark.parametrize("argv, flag", [
    (["all", "--seeds", "0"], "--seeds"), (["all", "--seeds"], "--seeds"), (["all", "--jobs", "0"], "--jobs"),
    (["all", "--seeds", "2", "--seed", "x"], "--seed"), (["6", "--seeds", "5"], "--seeds"),
    (["ch06", "--jobs=2"], "--jobs"), (["notebooks", "--seeds", "2"], "--seeds"),
    (["notebooks", "--jobs", "x"], "--jobs"),
])
def test_the_runner_refuses_bad_seeds_and_jobs_before_any_run(argv, flag, monkeypatch, capsys):
    monkeypatch.setattr(runner, "run_notebooks", lambda *a, **k: pytest.fail("a chapter ran"))
    monkeypatch.setattr(runner, "run_one", lambda *a, **k: pytest.fail("a chapter ran"))
    assert runner.main(argv) == 2
    assert flag in capsys.readouterr().err


def test_all_passes_the_seeds_to_the_runs_and_the_report(monkeypatch):
    calls = []
    monkeypatch.setattr(runner, "run_notebooks", lambda argv, **kw: calls.append((argv, kw)) or 0)
    monkeypatch.setattr(report, "main", lambda argv: calls.append(argv) or 0)
    assert runner.main(["all", "--seeds", "5", "--seed", "7", "--jobs", "2"]) == 0
    assert calls == [(["--seed", "7"], {"seeds": 5, "jobs": 2}), ["--seeds", "5", "--seed", "7"]]
    calls.clear()
    assert runner.main(["all", "--seeds", "1", "--jobs", "1"]) == 0  # make all: as it always was
    assert calls == [([], {"seeds": 1, "jobs": 1}), []]


def fake_execute(chapter, argv, *, notebook_path=None):
    """What a run at these flags writes, without running the chapter: seed 44 misses."""
    flags = _book.parse_flags(chapter, argv)
    folder = Path(flags.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    value = 0.5 if flags.seed == 44 and chapter.number == 6 else 1.0
    _book.write_json(folder / "metrics.json", {
        "chapter": chapter.number, "mode": "quick" if flags.quick else "full", "seed": flags.seed,
        "metrics": {"accuracy": value}, "targets": {"accuracy": {"op": ">=", "value": 0.99}},
        "passed": None if flags.quick else value >= 0.99})
    path = Path(notebook_path) if notebook_path else folder / f"{chapter.name}.ipynb"
    return _notebooks.NotebookRun(chapter, None, path, folder, None, 0.5)


@pytest.mark.parametrize("jobs", [1, 2])
def test_all_runs_every_chapter_at_every_seed_in_its_folder(jobs, tmp_path, monkeypatch, capsys):
    from joblib import parallel_config

    monkeypatch.setattr(_book, "OUTPUT_ROOT", tmp_path / "outputs")
    monkeypatch.setattr(_book, "QUICK_ROOT", tmp_path / "outputs" / "quick")
    monkeypatch.setattr(_notebooks, "execute", fake_execute)
    with parallel_config(backend="threading"):  # the fake execute reaches the workers
        failures = runner.run_notebooks([], seeds=3, jobs=jobs)
    assert failures == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 * 14 + 1
    runs = [(int(line.split(" seed ")[1].split(" ")[0]), line[2:6]) for line in lines[:-1]]
    plan = [(seed, f"ch{number:02d}") for seed in (42, 43, 44) for number in range(1, 15)]
    if jobs == 1:  # in the plan's order: every chapter at a seed, then the next
        assert runs == plan
    else:  # as each ends, the longest started first
        assert sorted(runs) == sorted(plan)
    missed = [line for line in lines if line.startswith("✗")]
    assert len(missed) == 1 and missed[0].startswith("✗ ch06")
    assert "outputs/seeds/44/ch06_vanilla_lstm" in missed[0]
    assert lines[-1].startswith("41/42 runs passed (13/14 chapters at every one of 3 seeds, 42–44)")
    outputs = tmp_path / "outputs"
    for number, chapter in _book.CHAPTERS.items():
        assert json.loads((outputs / chapter.name / "metrics.json").read_text())["seed"] == 42
        for seed in (43, 44):
            record = json.loads((outputs / "seeds" / str(seed) / chapter.name / "metrics.json").read_text())
            assert record["seed"] == seed and record["chapter"] == number
    run = json.loads((outputs / "seeds" / "run.json").read_text())
    assert run["seeds"] == [42, 43, 44] and run["jobs"] == jobs and run["runs"] == 42 and run["passed"] == 41


def test_a_quick_run_at_several_seeds_stays_in_quick(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_book, "OUTPUT_ROOT", tmp_path / "outputs")
    monkeypatch.setattr(_book, "QUICK_ROOT", tmp_path / "outputs" / "quick")
    monkeypatch.setattr(_notebooks, "execute", fake_execute)
    assert runner.run_notebooks(["--quick", "--seed", "3"], seeds=2) == 0
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["quick"]
    quick = tmp_path / "outputs" / "quick"
    assert json.loads((quick / "ch06_vanilla_lstm" / "metrics.json").read_text())["seed"] == 3
    assert json.loads((quick / "seeds" / "4" / "ch06_vanilla_lstm" / "metrics.json").read_text())["seed"] == 4
    assert not (quick / "seeds" / "run.json").exists()
    assert "28/28 runs ran (quick: targets not checked)" in capsys.readouterr().out


def test_the_longest_runs_start_first_and_the_last_run_of_the_backend_counts(tmp_path):
    slow = _book.CHAPTERS[3]  # the registry's quickest chapter, made the slowest by its last run
    plan = [(chapter, 42, [], None, tmp_path / chapter.name) for chapter in _book.CHAPTERS.values()]
    by_registry = runner.longest_first(plan, "tensorflow")
    assert [plan[i][0].seconds["tensorflow"] for i in by_registry] == sorted(
        (c.seconds["tensorflow"] for c in _book.CHAPTERS.values()), reverse=True)
    folder = tmp_path / slow.name
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps({"backend": "tensorflow", "seconds": 1e4}))
    assert runner.expected_seconds(slow, [folder], "tensorflow") == 1e4
    assert runner.longest_first(plan, "tensorflow")[0] == 2  # ch03's place in the plan
    # another backend's run, an unreadable record, no record: the registry's figure
    assert runner.expected_seconds(slow, [folder], "jax") == slow.seconds["jax"]
    (folder / "metrics.json").write_text("{not json")
    assert runner.expected_seconds(slow, [folder], "tensorflow") == slow.seconds["tensorflow"]
    assert runner.expected_seconds(slow, [tmp_path / "none"], "torch") == slow.seconds["tensorflow"]
    # a further seed's run with no record of its own: what the chapter took at the first seed
    (folder / "metrics.json").write_text(json.dumps({"backend": "tensorflow", "seconds": 1e4}))
    later = [(c, 43, [], None, tmp_path / "seeds" / c.name) for c in _book.CHAPTERS.values()]
    order = runner.longest_first(plan + later, "tensorflow")
    assert order[:2] == [2, 14 + 2]



@pytest.mark.parametrize("backend, folder", [("tensorflow", "docs"), ("jax", "docs/jax")])
def test_publish_copies_a_finished_multi_seed_report_into_the_docs(backend, folder, tmp_path):
    outputs = tmp_path / "outputs" / backend
    for number in _book.CHAPTERS:
        for seed in SEEDS:
            write_run(outputs, number, seed, backend=backend)
    with pytest.raises(ValueError, match="multi-seed"):
        report.publish(outputs, tmp_path / "docs")  # no run.json: not a finished `all --seeds` run
    assert not (tmp_path / "docs").exists()
    (report.seed_outputs(outputs, 0).parent / report.RUN_FILE).write_text(
        json.dumps({"seeds": SEEDS, "jobs": 2, "wall_seconds": 100.0}))
    assert report.publish(outputs, tmp_path / "docs") == tmp_path / folder
    text = (tmp_path / folder / "REPORT.md").read_text()
    assert text == (outputs / "REPORT.md").read_text()
    assert "**14/14 chapters reproduce the book at every one of 5 seeds (42–46)**" in text
    assert f"Backend: {backend}" in text
