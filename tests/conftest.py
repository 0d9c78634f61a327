"""Shared test set-up: a quiet, window-free backend, and each chapter's quick run as a notebook.

Every chapter is executed once per test session, as a notebook in its own kernel (the way
``make all`` and ``make notebooks`` run it), and the tests of that chapter read what the
run left: the executed notebook, ``metrics.json`` and the figures.

``make test`` runs the test files in two pytest-xdist workers (``-n 2 --dist loadfile``).
The workers share the chapters' runs: the first to ask for a chapter runs it, holding a
file lock, and a worker that asks later reads what that run left.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

REQUIRED_KEYS = {"chapter", "slug", "title", "mode", "seed", "backend", "versions", "seconds",
                 "metrics", "targets", "passed", "figures"}


def check_record(record: dict, output_dir, number: int) -> None:
    """The metrics.json contract from DESIGN.md, for a quick run."""
    assert REQUIRED_KEYS <= set(record), sorted(REQUIRED_KEYS - set(record))
    assert record["chapter"] == number
    assert record["mode"] == "quick" and record["passed"] is None
    for key in record["targets"]:
        assert key in record["metrics"], f"target {key} has no metric"
    for name in record["figures"]:
        path = output_dir / name
        assert path.is_file() and path.stat().st_size > 1000, f"figure {name} missing or empty"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _shared_folder(tmp_path_factory) -> Path:
    """A temporary folder of this test session's, the same for every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def chapter_notebook(tmp_path_factory):
    """``chapter_notebook(6)``: chapter 6's quick run, executed as a notebook (once a session).

    Returns the :class:`chapters._notebooks.NotebookRun`; its ``record`` attribute is the
    metrics.json the run wrote, checked against the contract.
    """
    import nbformat
    from filelock import FileLock

    from chapters import _book, _notebooks

    shared = _shared_folder(tmp_path_factory) / "chapter_runs"
    shared.mkdir(exist_ok=True)
    done = {}

    def _execute(number: int, output_dir: Path) -> _notebooks.NotebookRun:
        summary = output_dir.with_suffix(".json")
        with FileLock(output_dir.with_suffix(".lock")):
            if summary.is_file():  # another worker ran it
                run = json.loads(summary.read_text())
                return _notebooks.NotebookRun(_book.get(number), nbformat.read(run["path"], as_version=4),
                                              Path(run["path"]), output_dir, run["error"], run["seconds"])
            result = _notebooks.execute(number, ["--quick", "--output-dir", str(output_dir)])
            summary.write_text(json.dumps({"path": str(result.path), "error": result.error,
                                           "seconds": result.seconds}))
            return result

    def _run(number: int):
        if number not in done:
            output_dir = shared / f"ch{number:02d}"
            result = _execute(number, output_dir)
            assert result.ok, f"chapter {number} failed as a notebook:\n{result.error[-4000:]}"
            result.record = json.loads((output_dir / "metrics.json").read_text())
            check_record(result.record, output_dir, number)
            done[number] = result
        return done[number]

    return _run


@pytest.fixture
def quick_run(chapter_notebook):
    """``quick_run("ch06_vanilla_lstm")``: that chapter's quick-run record (see chapter_notebook).

    ``quick_run.output_dir`` is the folder the last chapter asked for wrote to.
    """

    def _run(module_name: str) -> dict:
        result = chapter_notebook(int(module_name[2:4]))
        _run.output_dir = result.output_dir
        return result.record

    return _run
