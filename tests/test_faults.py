"""Faults while saving: a failure at every step, no hard links, a full disk, killed savers.

Whatever fails, the destination and every backup must be exactly as they were (byte for
byte), no temporary file may stay behind, and a killed save's leftovers are removed by
the next save into the folder.
"""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from _kill_saves import model_with  # a model whose output on ones is 2 * value

from chapters import _book, _report
from lstmbook import _files, persistence

ROOT = Path(__file__).resolve().parent.parent
X = np.ones((1, 2), dtype="float32")


@pytest.fixture(scope="module")
def models():
    return [model_with(value) for value in (1.0, 2.0, 3.0, 4.0)]


def value_of(path, **kwargs) -> float:
    return float(np.asarray(persistence.load_model(path, compile=False, **kwargs)(X))[0, 0]) / 2


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


class Fault(OSError):
    pass


def fail_on_call(monkeypatch, target, name: str, call: int, error=None):
    """Make ``target.name`` raise on its ``call``-th call (1-based); other calls go through."""
    original = getattr(target, name)
    calls = {"n": 0}

    def faulty(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise error or Fault(errno.EIO, f"injected fault in {name}")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, faulty)
    return calls


def count_calls(monkeypatch, target, name: str):
    return fail_on_call(monkeypatch, target, name, call=0)


def no_hard_links(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EPERM, "this file system has no hard links")

    monkeypatch.setattr(os, "link", refuse)


def three_versions(save, models):
    """The destination and two backups, each a different model."""
    for model in models[:3]:
        save(model)


SAVE_MODEL = "save_model"
SAVE_PAIR = "save_architecture_and_weights"


def saver(kind: str, folder: Path):
    if kind == SAVE_MODEL:
        return lambda model: persistence.save_model(model, folder / "model.keras", backups=2)
    return lambda model: persistence.save_architecture_and_weights(model, folder / "pair.json", backups=2)


def renames_in_one_save(kind, folder, models, monkeypatch) -> int:
    """How many os.replace calls a successful save makes (when three versions exist)."""
    three_versions(saver(kind, folder), models)
    with monkeypatch.context() as patch:
        calls = count_calls(patch, os, "replace")
        saver(kind, folder)(models[3])
    for path in folder.iterdir():
        path.unlink()
    return calls["n"]


@pytest.mark.parametrize("kind", [SAVE_MODEL, SAVE_PAIR])
def test_a_failure_at_any_step_leaves_every_file_as_it_was(kind, tmp_path, models, monkeypatch):
    save = saver(kind, tmp_path)
    renames = renames_in_one_save(kind, tmp_path, models, monkeypatch)
    assert renames == (3 if kind == SAVE_MODEL else 6)  # two backups moved up and the file, per file
    steps = [("write", keras.Model, "save" if kind == SAVE_MODEL else "save_weights", 1),
             ("flush to disk", _files, "fsync_file", 1),
             ("link a backup", os, "link", 1), ("link a backup", os, "link", 2),
             ("copy a backup, no hard links, full disk", shutil, "copy2", 1),
             *[("rename", os, "replace", call) for call in range(1, renames + 1)]]
    three_versions(save, models)
    before = snapshot(tmp_path)
    for step, target, name, call in steps:
        with monkeypatch.context() as patch:
            if name == "copy2":
                no_hard_links(patch)
                fail_on_call(patch, target, name, call, OSError(errno.ENOSPC, "No space left on device"))
            else:
                fail_on_call(patch, target, name, call)
            if name == "link":  # a refused link falls back to a copy: the save goes on
                save(models[3])
                assert value_of(tmp_path / ("model.keras" if kind == SAVE_MODEL else "pair.json")) == 4.0
                for path in tmp_path.iterdir():
                    path.unlink()
                for name, data in before.items():  # back to the three versions, byte for byte
                    (tmp_path / name).write_bytes(data)
                continue
            with pytest.raises(OSError):
                save(models[3])
        assert snapshot(tmp_path) == before, f"{step} (call {call} of {name}) changed the files"


@pytest.mark.parametrize("kind", [SAVE_MODEL, SAVE_PAIR])
def test_without_hard_links_the_backups_are_copies(kind, tmp_path, models, monkeypatch):
    no_hard_links(monkeypatch)
    three_versions(saver(kind, tmp_path), models)
    saver(kind, tmp_path)(models[3])
    name = "model" if kind == SAVE_MODEL else "pair"
    suffix = ".keras" if kind == SAVE_MODEL else ".json"
    values = [value_of(tmp_path / f"{name}{part}{suffix}") for part in ("", ".backup-1", ".backup-2")]
    assert values == [4.0, 3.0, 2.0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_pair_from_two_saves_is_refused(tmp_path, models):
    (tmp_path / "new").mkdir()
    persistence.save_architecture_and_weights(models[0], tmp_path / "a.json")
    persistence.save_architecture_and_weights(models[1], tmp_path / "new" / "a.json")
    # What a save killed between its two renames leaves: the new architecture, the old weights.
    shutil.copy(tmp_path / "new" / "a.json", tmp_path / "a.json")
    with pytest.raises(ValueError, match="a.weights.h5"):
        persistence.load_model(tmp_path / "a.json")
    # Weights passed under another name on purpose are the caller's choice.
    shutil.copy(tmp_path / "a.weights.h5", tmp_path / "other.weights.h5")
    assert value_of(tmp_path / "a.json", weights_path=tmp_path / "other.weights.h5") == 1.0


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    return int(done.stdout)


def test_the_next_save_removes_what_a_killed_save_left(tmp_path, models):
    pid = dead_pid()
    left = [tmp_path / f".model.keras~{pid}-0123abcd.keras",
            tmp_path / f".model.backup-1.keras~{pid}-89abcdef.keras",
            tmp_path / f".fig.png~{pid}-00000000.tmp"]
    running = tmp_path / f".model.keras~{os.getppid()}-0123abcd.keras"  # a save in progress elsewhere
    mine = tmp_path / ".model.keras.notes"  # not a temporary file's name
    for path in [*left, running, mine]:
        path.write_bytes(b"partial")
    persistence.save_model(models[0], tmp_path / "model.keras")
    assert not any(path.exists() for path in left)
    assert running.exists() and mine.exists()
    running.unlink()
    (tmp_path / f".fig.png~{pid}-00000000.tmp").write_bytes(b"partial")
    _book.write_atomic(tmp_path / "fig.png", b"png")  # a chapter's figures are written the same way
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.keras.notes", "fig.png", "model.keras"]


def test_savers_killed_at_random_moments_lose_no_version(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "numpy", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "_kill_saves.py"), str(tmp_path), "20", "7"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    states = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(states) == 21
    for state in states:
        for name in ("model.keras", "model.backup-1.keras", "model.backup-2.keras"):
            assert state[name] in (1.0, 2.0, 3.0), (state["kill"], name, state[name])
        for name in ("pair.json", "pair.backup-1.json", "pair.backup-2.json"):
            # a kill between the pair's two renames is caught by the SHA-256, never loaded
            assert state[name] in (1.0, 2.0, 3.0) or "SHA-256" in str(state[name]), (state["kill"], state)
    last = states[-1]
    assert last["temp_files"] == []  # the save after the kills removed every leftover
    assert last["model.keras"] == last["pair.json"] == 1.0


def test_a_killed_chapter_run_never_leaves_its_old_pass_for_the_report(tmp_path):
    folder = tmp_path / "ch03_preparing_data"
    command = [sys.executable, "-m", "chapters.ch03_preparing_data", "--output-dir", str(folder)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    assert _report.chapter_row(3, folder).status == "PASS"
    run = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
    assert run.stdout.readline().startswith("Chapter 3:")  # it has started, and marked the old record
    time.sleep(0.2)
    run.send_signal(signal.SIGKILL)
    run.wait()
    row = _report.chapter_row(3, folder)
    assert row.status != "PASS" and "did not finish" in row.problem
