"""Shared test set-up: a quiet, window-free backend and a helper to quick-run a chapter."""

import importlib
import json
import os

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
    on_disk = json.loads((output_dir / "metrics.json").read_text())
    assert on_disk["metrics"] == record["metrics"]
    for key in record["targets"]:
        assert key in record["metrics"], f"target {key} has no metric"
    for name in record["figures"]:
        path = output_dir / name
        assert path.is_file() and path.stat().st_size > 1000, f"figure {name} missing or empty"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def quick_run(tmp_path):
    """``quick_run("ch03_preparing_data")`` runs a chapter's quick mode into tmp_path.

    Returns the metrics record, already checked against the metrics.json contract.
    """

    def _run(module_name: str, *extra_args: str) -> dict:
        module = importlib.import_module(f"chapters.{module_name}")
        record = module.main(["--quick", "--output-dir", str(tmp_path), *extra_args])
        check_record(record, tmp_path, int(module_name[2:4]))
        return record

    _run.output_dir = tmp_path
    return _run
