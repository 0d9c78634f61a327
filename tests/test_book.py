"""chapters._book and the runner: the registry, flags, seeding, output folder, figures,
metrics.json, and a missed target stopping a full run from every entry point."""

import doctest
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import chapters.__main__ as runner
from chapters import _book, _notebooks, _report

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parent.parent
DEMO = _book.Chapter(6, "demo", "Demo chapter", book="1.0", targets={"accuracy": (">=", 0.99)},
                     main_figure="curve.png")

#: A tutobook whose full run misses its target.
FAILING = '''"""Chapter 6: a demo that misses its target."""

# %%
from chapters import _book as book

run = book.start(book.Chapter(6, "demo", "Demo", book="x", targets={"accuracy": (">=", 0.99)}))
print("training")

# %%
run.finish({"accuracy": 0.5})
print("not reached")
'''


def test_doctests():
    assert doctest.testmod(_book).failed == 0


def test_registry_holds_every_chapter_once():
    assert list(_book.CHAPTERS) == list(range(1, 15))
    files = sorted(p.stem for p in (ROOT / "chapters").glob("ch[0-9][0-9]_*.py"))
    assert [c.name for c in _book.CHAPTERS.values()] == files
    assert len({c.title for c in _book.CHAPTERS.values()}) == 14
    assert all(c.targets and c.book and c.main_figure for c in _book.CHAPTERS.values())
    assert _book.get("ch06") is _book.get(6) is _book.get("6")
    for bad in (0, 15, "x", True):
        with pytest.raises(ValueError, match="number"):
            _book.get(bad)
    with pytest.raises(ValueError, match="targets"):
        _book.Chapter(1, "x", "X", book="", targets={"a": ("~", 1)})


def test_flags_from_the_command_line_and_the_environment(monkeypatch):
    monkeypatch.delenv("LSTMBOOK_QUICK", raising=False)
    args = _book.parse_flags(DEMO, [])
    flags = (args.quick, args.epochs, args.seed, args.verbose, args.tensorboard)
    assert flags == (False, None, 42, False, False)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    assert Path(args.output_dir) == ROOT / "outputs" / backend / "ch06_demo"  # each backend's runs apart
    args = _book.parse_flags(DEMO, ["--quick", "--epochs", "3", "--seed", "7", "--output-dir", "x"])
    assert (args.quick, args.epochs, args.seed, args.output_dir) == (True, 3, 7, "x")
    quick = _book.parse_flags(DEMO, ["--quick"]).output_dir
    assert Path(quick) == ROOT / "outputs" / backend / "quick" / "ch06_demo"
    monkeypatch.setenv("LSTMBOOK_QUICK", "1")
    monkeypatch.setenv("LSTMBOOK_SEED", "5")
    args = _book.parse_flags(DEMO, [])
    assert args.quick and args.seed == 5
    assert _book.parse_flags(DEMO, ["--seed", "6"]).seed == 6  # the command line wins


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--seed", "-1"], ["--seed", "x"], ["--bogus"]])
def test_bad_flags_stop_the_run(argv):
    with pytest.raises(SystemExit):
        _book.parse_flags(DEMO, argv)


def test_argv_must_be_a_list_of_str():
    with pytest.raises(TypeError, match="argv"):
        _book.parse_flags(DEMO, "--quick")


def test_seeding_makes_numpy_and_keras_repeatable(tmp_path):
    import keras

    def draw():
        _book.start(DEMO, ["--quick", "--output-dir", str(tmp_path), "--seed", "3"])
        return np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,)))

    (a, ka), (b, kb) = draw(), draw()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ka, kb)


def test_full_run_writes_metrics_json_atomically_and_passes(tmp_path, capsys):
    run = _book.start(DEMO, ["--output-dir", str(tmp_path / "out"), "--epochs", "5"])
    assert run.epochs(full=100, quick=2) == 5 and run.pick("full", "quick") == "full"
    fig, ax = plt.subplots(num="curve")
    ax.plot([0, 1], [1, 0])
    plt.show()  # the harness writes curve.png; a script closes it and opens no window
    assert plt.get_fignums() == []
    plt.subplots(num="left_open")  # a figure no plt.show() wrote: finish writes it
    record = run.finish({"accuracy": np.float32(0.995), "loss": float("nan")}, table=[1, 2])
    on_disk = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert on_disk == record
    assert record["passed"] is True and record["mode"] == "full"
    assert record["metrics"]["accuracy"] == pytest.approx(0.995) and record["metrics"]["loss"] is None
    assert record["targets"] == {"accuracy": {"op": ">=", "value": 0.99}}
    assert record["figures"] == ["curve.png", "left_open.png"] and record["main_figure"] == "curve.png"
    assert record["profile"] == {}  # a script's run: only the notebook runner times sections
    assert record["metrics"]["peak_rss_mb"] > 10  # the harness measures memory itself
    assert record["backend"] in {"tensorflow", "jax", "torch"} and "keras" in record["versions"]
    assert record["table"] == [1, 2]
    assert (tmp_path / "out" / "curve.png").read_bytes()[:4] == b"\x89PNG"
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["curve.png", "left_open.png", "metrics.json"]
    assert "accuracy=0.995 (>= 0.99) | PASS" in capsys.readouterr().out


def test_missed_target_stops_a_full_run_after_writing_its_record(tmp_path):
    run = _book.start(DEMO, ["--output-dir", str(tmp_path)])
    with pytest.raises(_book.TargetsMissed, match="accuracy") as stop:
        run.finish({"accuracy": 0.5})
    assert stop.value.code  # a non-zero exit status
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["passed"] is False and record["target_met"] == {"accuracy": False}
    record = _book.start(DEMO, ["--quick", "--output-dir", str(tmp_path)]).finish({"accuracy": 0.5})
    assert record["passed"] is None and record["mode"] == "quick"


def test_finish_needs_the_targeted_metrics_and_extras_cannot_overrule_it(tmp_path):
    run = _book.start(DEMO, ["--output-dir", str(tmp_path)])
    with pytest.raises(ValueError, match="accuracy"):
        run.finish({"loss": 1.0})
    with pytest.raises(ValueError, match="passed"):
        run.finish({"accuracy": 0.5}, passed=True)
    assert not (tmp_path / "metrics.json").exists()  # nothing written


def test_save_figure_rejects_bad_names(tmp_path):
    run = _book.start(DEMO, ["--quick", "--output-dir", str(tmp_path)])
    fig = plt.figure()
    for name in ("x.jpg", "../x.png", ""):
        with pytest.raises(ValueError, match="name"):
            run.save_figure(fig, name)
    with pytest.raises(TypeError, match="fig"):
        run.save_figure("not a figure", "x.png")
    plt.close(fig)


def test_an_unusable_output_dir_is_refused_before_any_work(tmp_path):
    target = tmp_path / "file"
    target.write_text("keep me")
    for folder in (target, target / "below"):
        with pytest.raises(ValueError, match="output_dir"):
            _book.start(DEMO, ["--output-dir", str(folder)])
    assert target.read_text() == "keep me"


def test_a_new_run_supersedes_the_old_record_until_it_finishes(tmp_path):
    folder = tmp_path / "ch06_vanilla_lstm"
    chapter = _book.get(6)
    _book.start(chapter, ["--output-dir", str(folder)]).finish({"accuracy": 1.0})
    assert _report.chapter_row(6, folder).status == "PASS"
    _book.start(chapter, ["--output-dir", str(folder)])  # ... and is interrupted before finish
    row = _report.chapter_row(6, folder)
    assert row.status != "PASS" and "did not finish" in row.problem
    _book.start(chapter, ["--output-dir", str(folder)]).finish({"accuracy": 1.0})
    assert _report.chapter_row(6, folder).status == "PASS"


def test_check_target():
    assert _book.check_target(0.99, ">=", 0.99) and not _book.check_target(None, ">=", 0)
    assert not _book.check_target(float("inf"), "<=", 1) and _book.check_target(1, "==", 1)
    assert not _book.check_target(True, "==", 1) and not _book.check_target("abc", ">=", 0)
    with pytest.raises(ValueError, match="op"):
        _book.check_target(1, "=>", 1)
    for bound in ("abc", float("nan"), True):
        with pytest.raises(ValueError, match="bound"):
            _book.check_target(0.5, ">=", bound)


def test_write_atomic_keeps_the_old_file_when_the_replace_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    _book.write_json(path, {"a": 1})
    monkeypatch.setattr(_book.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        _book.write_json(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_peak_rss_is_positive():
    assert _book.peak_rss_mb() > 10


def test_runner_lists_the_chapters_and_refuses_unknown_commands(capsys):
    assert runner.main([]) == 0
    listing = capsys.readouterr().out
    assert all(c.name in listing and c.title in listing for c in _book.CHAPTERS.values())
    assert "--quick" in listing and "LSTMBOOK_QUICK" in listing
    assert runner.main(["15"]) == 2 and runner.main(["bogus"]) == 2
    with pytest.raises(SystemExit, match="output-dir"):
        runner.run_notebooks(["--output-dir", "x"])


def test_runner_returns_a_chapters_exit_status(monkeypatch):
    def missed(*args, **kwargs):
        raise _book.TargetsMissed("ch06 missed its targets: accuracy")

    monkeypatch.setattr(runner.runpy, "run_module", missed)
    assert runner.run_one(6, []) == 1
    monkeypatch.setattr(runner.runpy, "run_module", lambda *a, **k: None)
    assert runner.run_one(6, []) == 0


def test_a_missed_target_fails_on_the_command_line_and_in_a_notebook(tmp_path):
    source = tmp_path / "failing.py"
    source.write_text(FAILING)
    done = subprocess.run([sys.executable, str(source), "--output-dir", str(tmp_path / "cli")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1, done.stderr[-2000:]
    assert "accuracy" in done.stderr and "not reached" not in done.stdout
    assert json.loads((tmp_path / "cli" / "metrics.json").read_text())["passed"] is False
    result = _notebooks.execute(DEMO, ["--output-dir", str(tmp_path / "nb")], source=source)
    assert not result.ok and "TargetsMissed" in result.error
    assert result.path.is_file()  # the executed notebook is kept, with the failing cell's error
    assert json.loads((tmp_path / "nb" / "metrics.json").read_text())["passed"] is False


def test_chapter_3_through_the_runner(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "chapters", "3", "--output-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert any(line.startswith("ch03 ") and line.endswith(" s") and "| PASS |" in line
               for line in proc.stdout.splitlines())  # the summary line, before the closing sections
    assert proc.stdout.startswith("Chapter 3:")  # the chapter's first line comes first ...
    assert "absl" not in proc.stderr and "oneDNN" not in proc.stderr  # ... and start-up is quiet
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["passed"] is True and record["metrics"]["book_outputs_matched"] == 1.0


def test_tensorboard_flag_names_the_extra_when_tensorboard_is_missing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # `import tensorboard` raises ImportError
    with pytest.raises(SystemExit, match=r"\[tensorboard\]"):
        _book.start(DEMO, ["--tensorboard", "--output-dir", str(tmp_path)])
    assert not (tmp_path / "metrics.json").exists()


def test_a_quick_all_never_writes_the_report(monkeypatch):
    calls = []
    monkeypatch.setattr(runner, "run_notebooks", lambda argv, **kw: calls.append(argv) or 0)
    monkeypatch.setattr(_report, "main", lambda argv: pytest.fail("a quick run wrote docs/REPORT.md"))
    assert runner.main(["all", "--quick"]) == 0 and calls == [["--quick"]]
    monkeypatch.setattr(_report, "main", lambda argv: calls.append("report") or 0)
    assert runner.main(["all"]) == 0 and calls[-1] == "report"


def test_a_notebook_run_leaves_no_kernel_behind(tmp_path):
    import psutil

    def kernels():  # this process's own: another xdist worker's chapter runs start kernels too
        return {p.pid for p in psutil.Process().children(recursive=True)
                if "ipykernel_launcher" in " ".join(p.cmdline() or [])}

    before = kernels()
    source = tmp_path / "tiny.py"
    source.write_text('"""Chapter 6: tiny."""\n\n# %%\nprint("hello")\n')
    result = _notebooks.execute(DEMO, ["--quick", "--output-dir", str(tmp_path / "out")], source=source)
    assert result.ok and "hello" in result.cell_output('print("hello")')
    assert kernels() <= before


def test_tensorboard_logs_each_model_under_its_name(tmp_path, monkeypatch):
    import types

    import keras

    monkeypatch.setitem(sys.modules, "tensorboard", types.ModuleType("tensorboard"))
    assert _book.start(DEMO, ["--output-dir", str(tmp_path)]).callbacks == []
    pytest.importorskip("tensorflow", reason="Keras's TensorBoard callback writes through TensorFlow")
    run = _book.start(DEMO, ["--tensorboard", "--output-dir", str(tmp_path)])
    (logger,) = run.callbacks
    assert isinstance(logger, keras.callbacks.TensorBoard)
    for name in ("encoder", "decoder"):
        inputs = keras.Input((2,))
        logger.set_model(keras.Model(inputs, keras.layers.Dense(1)(inputs), name=name))
        assert Path(logger.log_dir) == tmp_path / "logs" / name


def test_tensorboard_without_tensorflow_stops_before_the_run(tmp_path, monkeypatch):
    """On JAX without TensorFlow, Keras's TensorBoard callback would fail at the first fit."""
    import types

    monkeypatch.setitem(sys.modules, "tensorboard", types.ModuleType("tensorboard"))
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # import tensorflow raises ImportError
    with pytest.raises(SystemExit, match="tensorflow"):
        _book.start(DEMO, ["--tensorboard", "--output-dir", str(tmp_path)])


def test_the_runner_answers_help_and_bad_flags_before_the_backend_starts():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    for argv, status in ((["--help"], 0), (["6", "--bogus"], 2), (["6", "--scheduler", "tcp://x:1"], 2)):
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "chapters", *argv], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == status, (argv, done.stderr[-2000:])
        imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
        assert not imported & {"keras", "tensorflow", "jax"}, argv
    assert "--scheduler" in done.stderr and "12" in done.stderr  # names the chapters it is for


def test_make_lab_opens_the_chapters_as_notebooks_in_a_quiet_kernel(tmp_path, monkeypatch):
    """``make lab``'s set-up: jupytext's notebook view for ``.py``, and a kernel that imports the
    chapters from anywhere and keeps the backend's start-up lines out of the first cell."""
    from jupyter_client.manager import start_new_kernel

    from chapters import _lab

    folder = _lab.setup(tmp_path)
    overrides = json.loads((tmp_path / "etc/jupyter/labconfig/default_setting_overrides.json").read_text())
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"
    assert folder == tmp_path / "share/jupyter/kernels/python3"
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share/jupyter"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    kernel, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    streams = []
    try:
        client.execute_interactive(
            "import keras\nfrom chapters import _book\nprint(keras.backend.backend(), _book.ROOT.name)",
            timeout=120, output_hook=lambda msg: streams.append((msg["msg_type"], msg["content"])))
    finally:
        kernel.shutdown_kernel(now=True)
    printed = [(c["name"], c["text"]) for kind, c in streams if kind == "stream"]
    assert printed == [("stdout", f"{keras_backend()} {ROOT.name}\n")], printed


def keras_backend() -> str:
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def test_a_quick_runs_line_shows_its_numbers_without_the_targets():
    record = {"chapter": 6, "title": "Demo", "seconds": 1.0, "metrics": {"accuracy": 0.335},
              "targets": {"accuracy": {"op": ">=", "value": 0.99}}, "passed": None}
    assert _book.summary_line(record) == "ch06 Demo | accuracy=0.335 | quick run, targets not checked | 1.0 s"
    full = _book.summary_line({**record, "passed": False})
    assert "accuracy=0.335 (>= 0.99) | FAIL" in full
