"""Every chapter is a tutobook: it executes as a notebook and shows its work cell by cell.

Each chapter's quick run is executed with jupytext + nbclient in a fresh kernel (the
``chapter_notebook`` fixture), exactly as ``make notebooks`` and ``make all`` do.
"""

import ast
import base64
import re
import tempfile
from pathlib import Path

import jupytext  # in the test extra: a missing one is an error, not a skip
import nbformat
import pytest

from chapters import _book, _notebooks

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
MODULES = sorted(CHAPTERS.glob("ch[0-9][0-9]_*.py"))
SECTIONS = ["## Setup", "## Prepare the data", "## Build the model", "## Train", "## Evaluate"]

pytestmark = pytest.mark.chapter


def test_every_chapter_in_the_registry_has_its_tutobook():
    assert [path.stem for path in MODULES] == [chapter.name for chapter in _book.CHAPTERS.values()]


@pytest.mark.parametrize("path", MODULES, ids=[path.stem for path in MODULES])
def test_chapter_is_a_tutobook(path):
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    chapter = _book.get(int(path.stem[2:4]))
    # The registry holds the title; the docstring that opens the chapter says the same.
    assert ast.get_docstring(tree).splitlines()[0] == f"Chapter {chapter.number}: {chapter.title}.", path.name
    # The work happens in top-level cells, not inside a main() the notebook only defines.
    assert "main" not in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    notebook = jupytext.reads(text, fmt="py:percent")
    nbformat.validate(notebook)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    # Setup -> Prepare the data -> Build the model -> Train -> Evaluate, in that order
    # (chapters without a model of their own skip the steps they do not have).
    found = [next((i for i, src in enumerate(markdown) if src.startswith(s)), None) for s in SECTIONS]
    assert found[0] is not None, f"{path.name} has no '## Setup' cell"
    present = [i for i in found if i is not None]
    assert present == sorted(present), f"{path.name}: sections out of order {found}"
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    start = f"book.start({int(path.stem[2:4])})"
    assert start in code[1], "the first code cell after the docstring starts the run"


CLOSING = ["## How this differs from the book", "## Summary", "## Further reading", "## Extensions"]
HARNESS = re.compile(r"\b(?:run|book)\.\w+")


@pytest.mark.parametrize("path", MODULES, ids=[path.stem for path in MODULES])
def test_chapter_reads_like_a_keras_io_example_and_ends_like_the_book(path):
    """The chapter contract of DESIGN.md: a short introduction, the harness kept to the
    Setup and Record cells, and the book's closing sections after the result."""
    text = path.read_text(encoding="utf-8")
    assert len(ast.get_docstring(ast.parse(text)).split()) <= 150
    cells = jupytext.reads(text, fmt="py:percent").cells
    code = [i for i, cell in enumerate(cells) if cell.cell_type == "code"]
    record = next(i for i in code if "run.finish(" in cells[i].source)
    lesson = [cells[i].source for i in code[2:] if i != record]  # code[0]: the docstring, code[1]: Setup
    harness = [match for source in lesson for match in HARNESS.findall(source)]
    assert len(harness) <= 2, f"{path.name}: harness in the lesson: {harness}"
    markdown = [(i, cell.source) for i, cell in enumerate(cells) if cell.cell_type == "markdown"]
    found = [next((i for i, source in markdown if source.startswith(heading)), None) for heading in CLOSING]
    assert None not in found and found == sorted(found) and found[0] > record, f"{path.name}: {found}"
    differs = next(source for i, source in markdown if i == found[0])
    assert len(differs.split()) <= 200 + 6, f"{path.name}: 'How this differs' is {len(differs.split())} words"
    summary = "".join(cells[i].source for i in code if found[1] < i < found[2])
    assert 3 <= len(re.findall(r"^- ", summary, flags=re.M)) <= 5, f"{path.name}: summary points"
    reading = next(source for i, source in markdown if i == found[2])
    assert re.search(r"\]\(https://", reading), f"{path.name}: further reading has no links"
    extensions = next(source for i, source in markdown if i == found[3])
    assert len(re.findall(r"^- ", extensions, flags=re.M)) >= 3, f"{path.name}: fewer than 3 extensions"


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    return "".join(output.get("data", {}).get("text/plain", ""))


#: The chapters whose notebooks make test-oldest runs too: the inline figures (ch06, and the site
#: built from it), the repeats in worker processes (ch12), pandas and the stateful LSTM (ch14).
FLOORS = (6, 12, 14)


@pytest.mark.parametrize("number", [pytest.param(n, marks=pytest.mark.floors) if n in FLOORS else n
                                    for n in _book.CHAPTERS], ids=[c.name for c in _book.CHAPTERS.values()])
def test_chapter_executes_as_a_notebook_and_shows_its_work(number, chapter_notebook):
    result = chapter_notebook(number)
    cells = [cell for cell in result.notebook.cells if cell.cell_type == "code"]
    with_output = [cell for cell in cells if any(_text(o).strip() or "image/png" in o.get("data", {})
                                                  for o in cell.outputs)]
    # Most cells show their result (a cell that only defines a helper may not).
    assert len(with_output) >= 0.75 * len(cells), \
        f"{len(with_output)} of {len(cells)} code cells show output"
    images = [o for cell in cells for o in cell.outputs if "image/png" in o.get("data", {})]
    assert images, "no figure is shown inline"
    for image in images:
        assert base64.b64decode(image.data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(images) >= len(result.record["figures"])  # every saved figure is shown too
    # The executed notebook is written beside the metrics, and it is valid.
    assert result.path == result.output_dir / f"{result.chapter.name}.ipynb"
    nbformat.validate(nbformat.read(result.path, as_version=4))
    errors = [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    assert not errors
    noise = [o.text for cell in cells for o in cell.outputs
             if o.output_type == "stream" and "absl::InitializeLog" in o.text]
    assert not noise
    # No path of the machine that ran it: the first line names the output folder, and nothing else does.
    shown = "\n".join(_text(o) for cell in cells for o in cell.outputs)
    rest = shown.replace(str(result.output_dir), "<output folder>")
    leaked = [p for p in (str(ROOT), tempfile.gettempdir(), str(Path.home()) + "/") if p in rest]
    named = shown.count(str(result.output_dir))
    assert named <= 1 and not leaked, (named, leaked)


def test_flags_reach_the_kernel_as_environment_variables():
    env = _notebooks.flags_to_env(["--quick", "--seed", "3", "--epochs=2", "--output-dir", "x"])
    assert env == {"LSTMBOOK_QUICK": "1", "LSTMBOOK_SEED": "3", "LSTMBOOK_EPOCHS": "2",
                   "LSTMBOOK_OUTPUT_DIR": "x"}
    with pytest.raises(ValueError, match="--nope"):
        _notebooks.flags_to_env(["--nope"])
    with pytest.raises(ValueError, match="--seed"):
        _notebooks.flags_to_env(["--seed"])


def test_section_seconds_sums_the_executed_cells_under_each_heading():
    cells = [nbformat.v4.new_markdown_cell("## Setup"), nbformat.v4.new_code_cell("a = 1"),
             nbformat.v4.new_markdown_cell("## Train\n\nText."), nbformat.v4.new_code_cell("fit()"),
             nbformat.v4.new_markdown_cell("More text, no heading."), nbformat.v4.new_code_cell("fit()"),
             nbformat.v4.new_code_cell("never ran")]
    timings = [("2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:01.500000Z"),
               ("2026-01-01T00:00:02Z", "2026-01-01T00:00:12Z"),
               ("2026-01-01T00:00:12Z", "2026-01-01T00:00:14.25Z")]
    for cell, (began, ended) in zip([cells[1], cells[3], cells[5]], timings, strict=True):
        cell.metadata["execution"] = {"iopub.execute_input": began, "shell.execute_reply": ended}
    assert _notebooks.section_seconds(nbformat.v4.new_notebook(cells=cells)) == {"Setup": 1.5, "Train": 12.25}
