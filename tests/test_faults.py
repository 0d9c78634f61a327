"""Faults while saving: a failure at every step, repeated failures, no hard links, a full
disk, killed savers.

Whatever fails once, the destination and every backup must be exactly as they were (byte
for byte) and no temporary file may stay behind. Whatever keeps failing, no version that
existed is lost and no load returns a mismatched pair. A killed save's leftovers are
removed by the next save into the folder, and nothing else is.
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

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

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
    assert renames == (1 if kind == SAVE_MODEL else 2)  # only the new files move; backups are new names
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


def versions(kind: str, folder: Path) -> list:
    """The version a reader loads from the file and from each backup, newest first (None: refused)."""
    path = folder / ("model.keras" if kind == SAVE_MODEL else "pair.json")
    found = []
    for candidate in [path, *persistence.backup_paths(path)]:
        try:
            found.append(value_of(candidate))
        except (ValueError, FileNotFoundError):
            found.append(None)
    return found


@pytest.mark.parametrize("kind", [SAVE_MODEL, SAVE_PAIR])
def test_without_hard_links_the_backups_are_copies(kind, tmp_path, models, monkeypatch):
    no_hard_links(monkeypatch)
    three_versions(saver(kind, tmp_path), models)
    saver(kind, tmp_path)(models[3])
    assert versions(kind, tmp_path) == [4.0, 3.0, 2.0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("kind", [SAVE_MODEL, SAVE_PAIR])
@pytest.mark.parametrize("first_failure", [1, 2, 3])
@pytest.mark.filterwarnings("ignore:The model was saved, but its old backup")
def test_a_file_system_that_keeps_failing_loses_no_version(kind, first_failure, tmp_path, models,
                                                           monkeypatch):
    """os.replace and os.link fail from some call on, as on a disk that turned read-only
    mid-save: the undo fails too. Every version is still there, and nothing mismatched loads."""
    save = saver(kind, tmp_path)
    three_versions(save, models)
    assert versions(kind, tmp_path) == [3.0, 2.0, 1.0]
    with monkeypatch.context() as patch:
        for target, name in ((os, "replace"), (os, "link"), (os, "unlink"), (shutil, "copy2")):
            original = getattr(target, name)
            calls = {"n": 0}

            def failing(*args, _original=original, _calls=calls, **kwargs):
                _calls["n"] += 1
                if _calls["n"] >= first_failure:
                    raise OSError(errno.EROFS, "Read-only file system")
                return _original(*args, **kwargs)

            patch.setattr(target, name, failing)
        saved = False
        for _ in range(3):  # and again, while it still fails
            try:
                save(models[3])
                saved = True  # when the first calls went through: then only the clean-up failed
            except OSError:
                pass
    found = versions(kind, tmp_path)
    # Every version that existed is still there (a save that went through keeps 2 backups).
    assert ({4.0, 3.0, 2.0} if saved else {3.0, 2.0, 1.0}) <= set(found)
    assert set(found) <= {1.0, 2.0, 3.0, 4.0, None}  # and what loads is one saved version, whole
    if kind == SAVE_PAIR and found[0] is None:  # a pair left half-moved is refused, not mismatched
        with pytest.raises(ValueError, match="SHA-256"):
            persistence.load_model(tmp_path / "pair.json")
    save(models[3])  # once the file system works again, the next save tidies everything up
    after = versions(kind, tmp_path)  # the new model and 2 backups, all whole
    assert after[0] == 4.0 and len(after) == 3 and None not in after
    if not saved:
        assert after == [4.0, 3.0, 2.0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_pair_from_two_saves_is_refused(tmp_path, models):
    (tmp_path / "new").mkdir()
    persistence.save_architecture_and_weights(models[0], tmp_path / "a.json")
    persistence.save_architecture_and_weights(models[1], tmp_path / "new" / "a.json")
    # What a save killed between its two renames leaves: the new architecture, the old weights.
    shutil.copy(tmp_path / "new" / "a.json", tmp_path / "a.json")
    with pytest.raises(ValueError, match="weights_path"):
        persistence.load_model(tmp_path / "a.json")
    # Another file's weights, passed by name, are checked the same way: backups' pairs too.
    shutil.copy(tmp_path / "a.weights.h5", tmp_path / "other.weights.h5")
    with pytest.raises(ValueError, match="weights_path"):
        persistence.load_model(tmp_path / "new" / "a.json", weights_path=tmp_path / "other.weights.h5")
    assert value_of(tmp_path / "new" / "a.json", weights_path=tmp_path / "new" / "a.weights.h5") == 2.0
    model = persistence.load_model(tmp_path / "new" / "a.json")  # other weights on purpose: load_weights
    model.load_weights(tmp_path / "other.weights.h5")
    assert float(np.asarray(model(X))[0, 0]) / 2 == 1.0


def test_a_symlinked_destination_is_written_through(tmp_path, models):
    (tmp_path / "runs").mkdir()
    persistence.save_model(models[0], tmp_path / "runs" / "model.keras")
    (tmp_path / "latest.keras").symlink_to(tmp_path / "runs" / "model.keras")
    persistence.save_model(models[1], tmp_path / "latest.keras")
    assert (tmp_path / "latest.keras").is_symlink()
    assert value_of(tmp_path / "runs" / "model.keras") == 2.0
    assert [value_of(p) for p in persistence.backup_paths(tmp_path / "runs" / "model.keras")] == [1.0]


def test_a_full_disk_is_refused_before_writing(tmp_path, models, monkeypatch):
    persistence.save_model(models[0], tmp_path / "m.keras")
    before = snapshot(tmp_path)
    full = shutil.disk_usage(tmp_path)._replace(free=4096)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: full)
    for save in (lambda: persistence.save_model(models[1], tmp_path / "m.keras"),
                 lambda: persistence.save_architecture_and_weights(models[1], tmp_path / "m.json")):
        with pytest.raises(OSError) as caught:
            save()
        assert caught.value.errno == errno.ENOSPC
    assert snapshot(tmp_path) == before


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    return int(done.stdout)


def test_the_next_save_removes_what_a_killed_save_left(tmp_path, models):
    pid = dead_pid()
    temp = tmp_path / _files.TEMP_FOLDER
    temp.mkdir()
    left = [temp / f"{pid}-0123abcd.keras", temp / f"{pid}-89abcdef.weights.h5", temp / f"{pid}-00000000.tmp"]
    running = temp / f"{os.getppid()}-0123abcd.keras"  # a save in progress elsewhere
    mine = [tmp_path / ".model.keras.notes", tmp_path / f".model.keras~{pid}-deadbeef.keras"]  # a user's own
    for path in [*left, running, *mine]:
        path.write_bytes(b"partial")
    persistence.save_model(models[0], tmp_path / "model.keras")
    assert not any(path.exists() for path in left)
    assert running.exists() and all(path.exists() for path in mine)
    running.unlink()
    (temp / f"{pid}-00000000.tmp").write_bytes(b"partial")
    _book.write_atomic(tmp_path / "fig.png", b"png")  # a chapter's figures are written the same way
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name for path in mine] + ["fig.png", "model.keras"])


def whole_or_refused(values: list) -> bool:
    """Each file loads as one saved version, or is refused: never a mismatched pair."""
    return all(isinstance(v, float) or v is None or "SHA-256" in v for v in values)


def run_kill_saves(folder: Path, *args: str) -> list:
    env = {**os.environ, "KERAS_BACKEND": "numpy", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "_kill_saves.py"), str(folder), *args],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_save_killed_at_any_step_loses_no_version(tmp_path):
    states = run_kill_saves(tmp_path, "steps")
    assert sum(state["killed"] for state in states) >= 12  # every file operation of both saves was hit
    for state in states:
        for name in ("model.keras", "pair.json"):
            before, after = state["before"][name], state["after_kill"][name]
            assert before == [3.0, 2.0, 1.0] and whole_or_refused(after), state
            done = after[0] == 4.0  # the save got as far as moving the new file in
            kept = {4.0, 3.0, 2.0} if done else {3.0, 2.0, 1.0}
            assert kept <= set(after), (state["step"], name, after)  # no version lost
            assert state["after_next_save"][name] == ([1.0, 4.0, 3.0] if done else [1.0, 3.0, 2.0]), state
        assert state["after_next_save"]["temp_files"] == []  # the next save removed every leftover


def test_savers_killed_at_random_moments_lose_no_version(tmp_path):
    states = run_kill_saves(tmp_path, "20", "7")
    assert len(states) == 21
    for state in states:
        for name in ("model.keras", "pair.json"):
            assert whole_or_refused(state[name]) and len(state[name]) >= 3, state
            assert isinstance(state[name][0], float) or name == "pair.json", state
    last = states[-1]
    assert last["temp_files"] == []  # the save after the kills removed every leftover
    for name in ("model.keras", "pair.json"):
        assert last[name][0] == 1.0 and len(last[name]) == 3, last
        assert all(isinstance(v, float) for v in last[name]), last


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
