"""lstmbook.chapter: flags, seeding, output folder, figures, metrics.json, and the runner."""

import json
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lstmbook import chapter as ch

ROOT = Path(__file__).resolve().parent.parent
DEMO = ch.Chapter(6, "demo", "Demo chapter", book="1.0", targets={"accuracy": (">=", 0.99)},
                  main_figure="curve.png")


def test_parse_args_defaults_and_flags():
    args = ch.parse_args([])
    assert (args.quick, args.epochs, args.seed, args.verbose, args.tensorboard) == (False, None, 42, False,
                                                                                     False)
    args = ch.parse_args(["--quick", "--epochs", "3", "--seed", "7", "--output-dir", "x"])
    assert (args.quick, args.epochs, args.seed, args.output_dir) == (True, 3, 7, "x")


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--seed", "-1"], ["--bogus"]])
def test_parse_args_rejects_bad_flags(argv):
    with pytest.raises(SystemExit):
        ch.parse_args(argv)


def test_parse_args_rejects_non_list():
    with pytest.raises(TypeError, match="argv"):
        ch.parse_args("--quick")


def test_chapter_validates_its_fields():
    with pytest.raises(ValueError, match="number=15"):
        ch.Chapter(15, "x", "X")
    with pytest.raises(ValueError, match="slug='no good'"):
        ch.Chapter(1, "no good", "X")
    with pytest.raises(ValueError, match="targets\\['a'\\]"):
        ch.Chapter(1, "x", "X", targets={"a": ("~", 1)})
    assert DEMO.name == "ch06_demo"


def test_seeding_makes_numpy_and_keras_repeatable(tmp_path):
    import keras

    def draw():
        DEMO.start(["--quick", "--output-dir", str(tmp_path), "--seed", "3"])
        return np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,)))

    (a, ka), (b, kb) = draw(), draw()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ka, kb)


def test_full_run_writes_metrics_json_atomically_and_passes(tmp_path, capsys):
    run = DEMO.start(["--output-dir", str(tmp_path / "out"), "--epochs", "5"])
    assert run.epochs(full=100, quick=2) == 5 and run.pick("full", "quick") == "full"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    run.save_figure(fig, "curve.png")
    record = run.finish({"accuracy": np.float32(0.995), "loss": float("nan")}, table=[1, 2])
    on_disk = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert on_disk == record
    assert record["passed"] is True and record["mode"] == "full"
    assert record["metrics"]["accuracy"] == pytest.approx(0.995) and record["metrics"]["loss"] is None
    assert record["targets"] == {"accuracy": {"op": ">=", "value": 0.99}}
    assert record["figures"] == ["curve.png"] and record["main_figure"] == "curve.png"
    assert record["backend"] in {"tensorflow", "jax", "torch"} and "keras" in record["versions"]
    assert record["table"] == [1, 2]
    assert (tmp_path / "out" / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")], "temp files left"
    out = capsys.readouterr().out
    assert "accuracy=0.995 (>= 0.99) | PASS" in out


def test_missed_target_fails_and_quick_is_not_judged(tmp_path):
    record = DEMO.start(["--output-dir", str(tmp_path)]).finish({"accuracy": 0.5})
    assert record["passed"] is False and record["target_met"] == {"accuracy": False}
    record = DEMO.start(["--quick", "--output-dir", str(tmp_path)]).finish({"accuracy": 0.5})
    assert record["passed"] is None and record["mode"] == "quick"


def test_finish_requires_targeted_metrics(tmp_path):
    run = DEMO.start(["--quick", "--output-dir", str(tmp_path)])
    with pytest.raises(ValueError, match="accuracy"):
        run.finish({"loss": 1.0})


def test_finish_extras_cannot_overrule_the_verdict(tmp_path):
    run = DEMO.start(["--output-dir", str(tmp_path)])
    with pytest.raises(ValueError, match=r"must not replace the record's own \['passed'\]"):
        run.finish({"accuracy": 0.5}, passed=True)
    assert not (tmp_path / "metrics.json").exists()  # nothing written
    record = run.finish({"accuracy": 0.5}, table={"rows": 1})
    assert record["passed"] is False and record["table"] == {"rows": 1}
    with pytest.raises(TypeError, match="offset must be an int. Received: offset=1.5"):
        run.seed_everything(1.5)
    with pytest.raises(TypeError, match="epochs must be an int. Received: epochs=2.5"):
        run.epochs(2.5, 1)


def test_save_figure_rejects_bad_names(tmp_path):
    run = DEMO.start(["--quick", "--output-dir", str(tmp_path)])
    fig = plt.figure()
    with pytest.raises(ValueError, match="name='x.jpg'"):
        run.save_figure(fig, "x.jpg")
    with pytest.raises(ValueError, match="plain file name"):
        run.save_figure(fig, "../x.png")
    with pytest.raises(TypeError, match="Figure"):
        run.save_figure("not a figure", "x.png")
    plt.close(fig)


def test_output_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("keep me")
    with pytest.raises(ValueError, match="output_dir"):
        DEMO.start(["--output-dir", str(target)])
    assert target.read_text() == "keep me"


def test_check_target_refuses_a_bad_bound_or_op():
    with pytest.raises(TypeError, match="bound must be a finite number. Received: bound='abc'"):
        ch.check_target(0.5, ">=", "abc")
    with pytest.raises(ValueError, match="bound must be a finite number. Received: bound=nan"):
        ch.check_target(0.5, ">=", float("nan"))
    with pytest.raises(ValueError, match=r"op must be one of .* Received: op=\['>='\]"):
        ch.check_target(0.5, [">="], 0.1)


def test_check_target_and_ops():
    assert ch.check_target(0.99, ">=", 0.99) and not ch.check_target(None, ">=", 0)
    assert not ch.check_target(float("inf"), "<=", 1) and ch.check_target(1, "==", 1)
    with pytest.raises(ValueError, match="op='=>'"):
        ch.check_target(1, "=>", 1)


def test_atomic_write_keeps_old_file_when_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    ch.atomic_write_json(path, {"a": 1})
    monkeypatch.setattr(ch.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        ch.atomic_write_json(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_atomic_write_bad_inputs(tmp_path):
    with pytest.raises(TypeError, match="data"):
        ch.atomic_write_json(tmp_path / "x.json", [1])
    with pytest.raises(ValueError, match="folder does not exist"):
        ch.atomic_write_text(tmp_path / "nope" / "x.txt", "hi")
    with pytest.raises(TypeError, match="path"):
        ch.atomic_write_text(3, "hi")


def test_peak_rss_is_positive():
    assert ch.peak_rss_mb() > 10


def test_runner_says_when_a_chapter_is_not_written(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT))
    import chapters.__main__ as runner

    monkeypatch.setattr(runner, "find_module", lambda number: None)
    assert runner.run_one(9, []) == 2
    with pytest.raises(SystemExit, match="1 to 14"):
        runner.parse_number("15")


def test_chapter_3_through_the_runner(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "chapters", "3", "--output-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "PASS" in proc.stdout.splitlines()[-1]
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["passed"] is True and record["metrics"]["book_outputs_matched"] == 1.0
