"""Chapters 12 to 14: their quick runs, executed as notebooks, and what each one produced.

The chapters are tutobooks (importing one would run it), so these tests read what the
quick run left behind: ``metrics.json``, the figures and the saved models (the
``quick_run`` fixture executes each chapter once per session). Chapters 12 and 14 hand
top-level functions of the tutobook to worker processes; the last test checks that this
works from a script and from a notebook kernel, as their full runs do it.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from lstmbook import diagnostics, persistence

pytestmark = pytest.mark.chapter

ROOT = Path(__file__).resolve().parent.parent


def test_ch12_diagnose_tune(quick_run):
    record = quick_run("ch12_diagnose_tune")
    metrics = record["metrics"]
    assert 0.0 <= metrics["diagnoses_correct"] <= 1.0
    cases = record["cases"]
    assert list(cases) == ["underfit", "underfit_capacity", "good_fit", "overfit", "repeated_runs"]
    assert all(row["diagnosed"] in diagnostics.LABELS and row["reason"] for row in cases.values())
    assert metrics["diagnoses_correct"] == pytest.approx(
        sum(row["diagnosed"] == row["book"] for row in cases.values()) / 5)
    books = [row["book"] for row in cases.values()]
    assert books == ["underfit", "underfit", "good fit", "overfit", "underfit"]
    # the quick run's epochs: a twentieth of the full run's 100, 300, 900, 2,200 and 300
    assert [row["epochs"] for row in cases.values()] == [10, 15, 45, 110, 15]
    figures = {f"case_{name}.png" for name in cases}
    figures |= {"cases.png", "tuning_cells.png", "tuning_batch_size.png"}
    assert figures <= set(record["figures"])
    assert record["main_figure"] == "cases.png"
    assert metrics["robustness_checks"] == 5 and 0.0 <= metrics["diagnoses_correct_across_seeds"] <= 1.0
    rows = record["robustness"]  # one extra seed in a quick run: its four LSTM(10) cases and LSTM(1)
    assert {row["case"] for row in rows} == set(cases)
    assert {row["seed"] for row in rows} == {record["seed"] + 100}
    assert metrics["diagnoses_correct_across_seeds"] == pytest.approx(
        sum(row["diagnosed"] == row["book"] for row in rows) / len(rows))
    for key in ("cells_1", "cells_10", "batch_size_1", "batch_size_2"):
        summary = record["tuning"][key]
        assert summary["min"] <= summary["mean"] <= summary["max"] and np.isfinite(summary["std"])
        assert metrics[f"{key}_val_loss"] == pytest.approx(summary["mean"])
    assert isinstance(metrics["more_cells_lower_val_loss"], bool)
    lower = metrics["cells_1_val_loss"] > metrics["cells_10_val_loss"]  # the quick run's 1 and 10 cells
    assert metrics["more_cells_lower_val_loss"] == lower
    assert record["thresholds"]["PATIENCE_FRACTION"] == diagnostics.PATIENCE_FRACTION


def test_ch13_predictions(quick_run):
    record = quick_run("ch13_predictions")
    metrics = record["metrics"]
    assert metrics["max_abs_diff"] <= 1e-6  # reloading is exact even after a short training
    assert metrics["load_errors_explained"] == 3
    assert metrics["sigmoid_classes_match_proba"] and metrics["softmax_classes_match_proba"]
    assert 0.0 <= metrics["sigmoid_accuracy"] <= 1.0 and 0.0 <= metrics["softmax_accuracy"] <= 1.0
    folder = quick_run.output_dir / "models"
    assert sorted(p.name for p in folder.iterdir()) == [
        "final_lstm.json", "final_lstm.keras", "final_lstm.weights.h5"]
    new_x = np.array(record["new_x"])
    predictions = np.array(record["predictions"])
    assert predictions.shape == new_x.shape == (5,)
    assert metrics["new_data_mae"] == pytest.approx(np.abs(predictions - (new_x + 0.1)).mean())
    for path in (folder / "final_lstm.keras", folder / "final_lstm.json"):  # both ways load the same model
        reloaded = persistence.load_model(path)
        np.testing.assert_allclose(reloaded.predict(new_x.reshape(-1, 1, 1), verbose=0)[:, 0], predictions,
                                   atol=1e-6)


def test_ch14_updating_models(quick_run, chapter_notebook):
    record = quick_run("ch14_updating_models")
    metrics = record["metrics"]
    assert metrics["rmse_persistence"] == pytest.approx(136.761, abs=0.01)  # the published figure
    lstm = [metrics["rmse_fixed"], metrics["rmse_update_2"]]
    assert metrics["worst_lstm_rmse"] == pytest.approx(max(lstm))
    assert all(np.isfinite(lstm)) and all(value > 0 for value in lstm)
    assert record["table"]["update_2"]["published"] == 99.566
    assert record["table"]["persistence"]["mean"] == pytest.approx(metrics["rmse_persistence"])
    # two repeats in a quick run (one ensemble), of the fixed model and the 2-epoch update
    assert {name: len(runs) for name, runs in record["scores"].items()} == {"fixed": 2, "update_2": 2}
    assert metrics["repeats"] == 2
    assert record["scores"]["fixed"][0] != record["scores"]["fixed"][1]  # the repeats start apart
    assert metrics["rmse_fixed"] == pytest.approx(np.mean(record["scores"]["fixed"]))
    assert metrics["worst_single_run_rmse"] == pytest.approx(max(max(s) for s in record["scores"].values()))
    folder = quick_run.output_dir / "models"
    names = sorted(p.name for p in folder.iterdir())
    # 11 updates saved atomically to one file, keeping the 2 previous versions; no temp files
    backups = persistence.backup_paths(folder / "update_2.keras")
    assert names == sorted(["base.keras", "update_2.keras", *(p.name for p in backups)]) and len(backups) == 2
    assert backups[0].name == "update_2.backup-10.keras"  # numbered in the order kept: 10 of 11 saves
    reloaded = persistence.load_model(folder / "update_2.keras")  # the packed ensemble, loss and all
    assert reloaded.output.shape[-1] == 2
    assert {"rmse_boxplot.png", "forecasts.png"} <= set(record["figures"])
    on_disk = json.loads((quick_run.output_dir / "metrics.json").read_text())
    assert on_disk["published"]["fixed"] == 109.565
    # the lesson's one repeat, run alone, forecasts as the same repeat inside the library's ensemble
    shown = chapter_notebook(14).cell_output("training.walk_forward_repeats(")
    assert float(shown.split("differ by at most ")[1].split()[0]) <= 1e-3


# A tutobook's worker function, as in chapters 12 and 14: defined at the top level, so it
# lives in __main__ (a script) or in the kernel's namespace (a notebook), and loky's
# cloudpickle sends it to the workers by value, with the helper and constant it uses.
# Nothing guards the cells with `if __name__ == "__main__"`: the workers must not run them.
TUTOBOOK = '''\
# %%
import os

from lstmbook import diagnostics

print("CELLS RAN", flush=True)
OFFSET = 1000


def shifted(seed):
    return seed + OFFSET


def work(seed):
    return shifted(seed), os.getpid()


# %%
results = diagnostics.run_repeats(work, [1, 2, 3], jobs=2, progress=False)
print("RESULTS", [value for value, _ in results], all(pid != os.getpid() for _, pid in results))
'''


def _check_worker_output(text: str) -> None:
    assert text.count("CELLS RAN") == 1, text[-2000:]  # the workers did not re-run the cells
    assert "RESULTS [1001, 1002, 1003] True" in text, text[-2000:]


@pytest.mark.backend_independent
def test_top_level_functions_reach_worker_processes_from_a_script_and_a_notebook(tmp_path):
    script = tmp_path / "tutobook.py"
    script.write_text(TUTOBOOK, encoding="utf-8")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    _check_worker_output(done.stdout)

    import jupytext
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook = jupytext.read(script, fmt="py:percent")
    kernel = KernelManager(kernel_name="python3", transport="ipc",
                           ip=str(Path(tempfile.mkdtemp(prefix="lstmbook-kernel-")) / "kernel"))
    NotebookClient(notebook, km=kernel, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute(env=env)
    _check_worker_output("".join(output.get("text", "") for cell in notebook.cells
                                 for output in cell.get("outputs", [])))
