"""Quick runs of chapters 12 to 14, with checks on what each one produced."""

import json

import numpy as np
import pytest

from lstmbook import diagnostics, persistence

pytestmark = pytest.mark.chapter


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
    figures = {f"case_{name}.png" for name in cases}
    figures |= {"cases.png", "tuning_cells.png", "tuning_batch_size.png"}
    assert figures <= set(record["figures"])
    assert metrics["robustness_checks"] == 5 and 0.0 <= metrics["diagnoses_correct_across_seeds"] <= 1.0
    rows = record["robustness"]  # one extra seed in a quick run: its four LSTM(10) cases and LSTM(1)
    assert {row["case"] for row in rows} == set(cases)
    assert metrics["diagnoses_correct_across_seeds"] == pytest.approx(
        sum(row["diagnosed"] == row["book"] for row in rows) / len(rows))
    for key in ("cells_1", "cells_10", "batch_size_1", "batch_size_2"):
        summary = record["tuning"][key]
        assert summary["min"] <= summary["mean"] <= summary["max"] and np.isfinite(summary["std"])
    assert isinstance(metrics["more_cells_lower_val_loss"], bool)
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
    reloaded = persistence.load_model(folder / "final_lstm.keras")
    new_x = np.array(record["new_x"]).reshape(-1, 1, 1)
    np.testing.assert_allclose(reloaded.predict(new_x, verbose=0)[:, 0], record["predictions"], atol=1e-6)


def test_ch14_updating_models(quick_run):
    record = quick_run("ch14_updating_models")
    metrics = record["metrics"]
    assert metrics["rmse_persistence"] == pytest.approx(136.761, abs=0.01)  # the published figure
    lstm = [metrics["rmse_fixed"], metrics["rmse_update_2"]]
    assert metrics["worst_lstm_rmse"] == pytest.approx(max(lstm))
    assert all(np.isfinite(lstm)) and all(value > 0 for value in lstm)
    assert record["table"]["update_2"]["published"] == 99.566
    folder = quick_run.output_dir / "models"
    names = sorted(p.name for p in folder.iterdir())
    # 11 updates saved atomically to one file, keeping the 2 previous versions; no temp files
    assert names == ["seed_42_base.keras", "seed_42_update_2.backup-1.keras",
                     "seed_42_update_2.backup-2.keras", "seed_42_update_2.keras"]
    assert {"rmse_boxplot.png", "forecasts.png"} <= set(record["figures"])
    on_disk = json.loads((quick_run.output_dir / "metrics.json").read_text())
    assert on_disk["published"]["fixed"] == 109.565
