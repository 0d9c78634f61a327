"""chapters._report: REPORT.md from synthetic and real metrics.json files."""

import json
import os

import pytest

from chapters import _book
from chapters import _report as report

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000  # enough of a PNG for a copy


def write_record(outputs, number, *, mode="full", value=1.0, passed=True, figure="main.png",
                 slug=None, **overrides):
    """A metrics.json like a run's finish() writes, with one targeted metric."""
    slug = slug or _book.CHAPTERS[number].slug
    folder = outputs / f"ch{number:02d}_{slug}"
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "chapter": number, "slug": slug, "title": f"Title {number}", "mode": mode, "seed": 42,
        "backend": "tensorflow", "versions": {"keras": "3.15.1", "tensorflow": "2.21.0"},
        "seconds": 10.0 + number, "metrics": {"accuracy": value},
        "targets": {"accuracy": {"op": ">=", "value": 0.99}},
        "passed": None if mode == "quick" else passed,
        "book": f"book figure {number}", "main_figure": figure,
        "figures": [figure] if figure else [],
        "machine": {"platform": "Linux-test", "processor": "x86_64", "cpus": 2},
        "finished": "2025-01-01T00:00:00+0000",
    }
    record.update(overrides)
    (folder / "metrics.json").write_text(json.dumps(record))
    if figure:
        (folder / figure).write_bytes(PNG + bytes([number]))
    return folder


def table_rows(text):
    """{chapter number: the row's cells} from REPORT.md's table."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if line.startswith("| ") and cells[0].isdigit():
            rows[int(cells[0])] = cells
    return rows


RESULT = 5  # the result column


@pytest.fixture
def dirs(tmp_path):
    return tmp_path / "outputs", tmp_path / "docs"


def test_all_chapters_passing_exit_zero_and_copy_figures(dirs):
    outputs, docs = dirs
    for number in range(1, 15):
        write_record(outputs, number)
    assert report.main(["--outputs", str(outputs), "--docs", str(docs)]) == 0
    text = (docs / "REPORT.md").read_text()
    rows = table_rows(text)
    assert sorted(rows) == list(range(1, 15))
    assert all("PASS" in cells[RESULT] for cells in rows.values())
    assert "**14/14 chapters reproduce the book**" in text
    chapter = _book.get(6)  # titles and the book's figures come from the registry
    assert rows[6][1] == f"[{chapter.title}](figures/ch06_main.png)" and rows[6][2] == chapter.book
    assert rows[6][3] == "accuracy = 1" and rows[6][4] == "accuracy >= 0.99"
    assert rows[6][6] == "16.0" and rows[6][7] == "tensorflow"
    # totals: 10*14 + (1+...+14) seconds
    assert "Total chapter time: 245 s" in text
    assert "keras 3.15.1" in text and "Linux-test" in text and "2 CPUs" in text
    for number in range(1, 15):
        copied = docs / "figures" / f"ch{number:02d}_main.png"
        assert copied.read_bytes() == PNG + bytes([number])
        assert f"](figures/ch{number:02d}_main.png)" in text


def test_pass_fail_missing_quick_rows(dirs):
    outputs, docs = dirs
    write_record(outputs, 3)                              # PASS
    write_record(outputs, 6, value=0.5, passed=False)     # FAIL, as recorded
    write_record(outputs, 7, value=0.5, passed=True)      # says passed, but the target fails
    write_record(outputs, 8, passed=None)                 # full run with passed=null
    write_record(outputs, 9, mode="quick")                # quick: never PASS
    write_record(outputs, 10, mode="quick", passed=True)  # even if it claims so
    assert report.main(["--outputs", str(outputs), "--docs", str(docs)]) == 1
    text = (docs / "REPORT.md").read_text()
    rows = table_rows(text)
    assert "PASS" in rows[3][RESULT]
    for number in (6, 7, 8):
        assert "FAIL" in rows[number][RESULT], rows[number]
    for number in (9, 10):
        assert rows[number][RESULT] == "quick (not checked)"
    for number in (1, 2, 4, 5, 11, 12, 13, 14):
        assert rows[number][RESULT] == "not run" and rows[number][6] == "—"
    assert rows[1][1] == "What are LSTMs"  # the book's title for a chapter not run
    assert "**1/14 chapters reproduce the book**" in text
    assert "3 failed" in text and "2 quick runs only" in text and "8 not run" in text
    assert "- ch07: target missed: accuracy" in text
    assert "(quick run)" in text  # the quick chapter's figure is labelled


def test_rows_api_recomputes_status(tmp_path):
    folder = write_record(tmp_path, 12, value=float("nan"), passed=True)
    row = report.chapter_row(12, folder)
    assert row.status == "FAIL" and row.failed_targets == ["accuracy"]
    assert report.chapter_row(12, tmp_path / "nowhere").status == "not run"
    assert report.chapter_row(12).status == "not run"


def test_real_finish_records_are_read(tmp_path):
    """The records a run really writes are understood (the contract, both ways)."""
    chapter = _book.get(6)
    outputs = tmp_path / "outputs"
    full = _book.start(chapter, ["--output-dir", str(outputs / "ch06_vanilla_lstm")])
    full.finish({"accuracy": 0.995})
    assert report.chapter_row(6, outputs / "ch06_vanilla_lstm").status == "PASS"
    quick = _book.start(chapter, ["--quick", "--output-dir", str(outputs / "ch06_vanilla_lstm")])
    quick.finish({"accuracy": 1.0})
    row = report.chapter_row(6, outputs / "ch06_vanilla_lstm")
    assert row.status == "quick" and row.title == chapter.title  # the title comes from the registry


def test_invalid_inputs_become_invalid_rows(dirs):
    outputs, docs = dirs
    write_record(outputs, 3)
    bad_json = outputs / "ch04_lstms_in_keras"
    bad_json.mkdir(parents=True)
    (bad_json / "metrics.json").write_text('{"chapter": 4, "metr')       # truncated
    write_record(outputs, 5, targets={"accuracy": {"op": "~", "value": 1}})  # unknown op
    write_record(outputs, 6, chapter=7)                                  # wrong folder
    not_object = outputs / "ch07_stacked_lstm"
    not_object.mkdir()
    (not_object / "metrics.json").write_text("[1, 2]")
    write_record(outputs, 8, passed="yes")
    assert report.main(["--outputs", str(outputs), "--docs", str(docs)]) == 1
    rows = table_rows((docs / "REPORT.md").read_text())
    assert "PASS" in rows[3][RESULT]
    for number in (4, 5, 6, 7, 8):
        assert "invalid" in rows[number][RESULT], rows[number]
    text = (docs / "REPORT.md").read_text()
    assert "ch06_vanilla_lstm/metrics.json says chapter 7, not 6" in text
    assert "not valid JSON" in text


def test_load_record_errors_name_the_problem(tmp_path):
    with pytest.raises(TypeError, match="path must be"):
        report.load_record(42)
    with pytest.raises(ValueError, match="does not exist"):
        report.load_record(tmp_path / "missing.json")
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"chapter": 3}))
    with pytest.raises(ValueError, match=r"lacks the keys \['slug'"):
        report.load_record(path)
    path.write_text(json.dumps({"chapter": 15, "slug": "x", "title": "x", "mode": "full",
                                "metrics": {}, "targets": {}, "passed": True}))
    with pytest.raises(ValueError, match="chapter"):
        report.load_record(path)


def test_bad_arguments(tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert report.main(["--outputs", str(a_file), "--docs", str(tmp_path / "d")]) == 2
    assert "outputs must be a folder" in capsys.readouterr().err
    assert report.main(["--outputs", str(tmp_path), "--docs", str(a_file)]) == 2
    assert report.main(["--no-such-flag"]) == 2
    with pytest.raises(TypeError, match="argv must be a list of str"):
        report.main("--docs x")
    with pytest.raises(ValueError, match="number"):
        report.chapter_row(0)
    with pytest.raises(TypeError, match="rows must be a non-empty list"):
        report.render_report([])
    with pytest.raises(ValueError, match="source must be an existing file"):
        report.copy_figure(tmp_path / "none.png", tmp_path / "out.png")
    (tmp_path / "fig.png").write_bytes(b"png")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValueError, match="destination must be a file path, not a folder"):
        report.copy_figure(tmp_path / "fig.png", tmp_path / "folder")


def test_outputs_folder_absent_reports_every_chapter_not_run(dirs):
    outputs, docs = dirs
    assert report.main(["--outputs", str(outputs), "--docs", str(docs)]) == 1
    rows = table_rows((docs / "REPORT.md").read_text())
    assert [cells[RESULT] for cells in rows.values()] == ["not run"] * 14


def test_figure_missing_or_unsafe_name_is_not_copied(dirs):
    outputs, docs = dirs
    folder = write_record(outputs, 3)
    (folder / "main.png").unlink()
    write_record(outputs, 4, figure=None, main_figure="../../escape.png")
    report.build_report(outputs, docs)
    text = (docs / "REPORT.md").read_text()
    assert not (docs / "figures").exists() or not any((docs / "figures").iterdir())
    assert "figures/" not in text and "## Figures" not in text
    assert table_rows(text)[3][1] == _book.get(3).title  # no link to a figure that is not there


def test_book_slug_preferred_over_a_stale_folder(dirs):
    outputs, docs = dirs
    write_record(outputs, 6, slug="old_name", value=0.1, passed=False)
    write_record(outputs, 6)
    rows = report.build_report(outputs, docs)
    assert rows[5].status == "PASS" and rows[5].folder.name == "ch06_vanilla_lstm"


def test_report_is_written_atomically(dirs, monkeypatch):
    outputs, docs = dirs
    write_record(outputs, 3)
    report.build_report(outputs, docs, generated="first")
    before = (docs / "REPORT.md").read_text()
    assert "Report written first" in before

    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("REPORT.md"):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    write_record(outputs, 4)
    with pytest.raises(OSError, match="disk full"):
        report.build_report(outputs, docs, generated="second")
    assert (docs / "REPORT.md").read_text() == before  # the old report, whole
    leftovers = [p.name for p in docs.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_report_goes_beside_its_runs_and_refuses_two_backends(tmp_path, monkeypatch, capsys):
    outputs = tmp_path / "outputs" / "jax"
    monkeypatch.chdir(tmp_path)
    for number in range(1, 15):
        write_record(outputs, number, backend="jax")
    assert report.main(["--outputs", str(outputs)]) == 0
    assert table_rows((outputs / "REPORT.md").read_text())[1][RESULT].endswith("PASS")
    assert (outputs / "figures" / "ch01_main.png").is_file()
    assert not (tmp_path / "docs").exists()  # a report never writes the committed docs
    write_record(outputs, 3)  # a TensorFlow run among JAX's: refused, not mixed
    assert report.main(["--outputs", str(outputs)]) == 2
    assert "several backends" in capsys.readouterr().err
