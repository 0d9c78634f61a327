"""Chapters as notebooks: every chapter module is jupytext percent format; one converts to a valid notebook.

``make notebooks`` writes ``notebooks/chNN_slug.ipynb`` with jupytext. These tests use
jupytext's Python API on the same files, so a chapter that would not convert fails here.
"""

import ast
from pathlib import Path

import jupytext  # in the test extra: a missing one is an error, not a skip
import nbformat
import pytest

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
MODULES = sorted(CHAPTERS.glob("ch[0-9][0-9]_*.py"))
MIN_CODE_CELLS = 3


def test_chapter_modules_are_found():
    names = [path.stem for path in MODULES]
    assert "ch03_preparing_data" in names, names


def test_ch03_converts_to_a_valid_notebook(tmp_path):
    notebook = jupytext.read(CHAPTERS / "ch03_preparing_data.py", fmt="py:percent")
    nbformat.validate(notebook)
    # Through the file format make notebooks writes, and back.
    path = tmp_path / "ch03_preparing_data.ipynb"
    jupytext.write(notebook, path, fmt="ipynb")
    reread = nbformat.read(path, as_version=4)
    nbformat.validate(reread)
    assert reread.nbformat == 4
    kinds = [cell.cell_type for cell in reread.cells]
    assert kinds.count("code") >= MIN_CODE_CELLS and "markdown" in kinds
    sources = [cell.source for cell in reread.cells]
    assert sources[0].startswith('"""Chapter 3'), sources[0][:60]  # the docstring opens it
    assert any(src.startswith("## Setup") for src in sources)     # markdown cells kept as markdown
    assert any("def main(" in src for src in sources)
    # Round trip: the notebook turns back into the same percent-format code cells.
    back = jupytext.reads(jupytext.writes(reread, fmt="py:percent"), fmt="py:percent")
    assert [c.source for c in back.cells if c.cell_type == "code"] == \
        [c.source for c in notebook.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", MODULES, ids=[path.stem for path in MODULES])
def test_chapter_is_percent_format_with_docstring(path):
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)  # valid Python
    assert tree.body and isinstance(tree.body[0], ast.Expr) \
        and isinstance(tree.body[0].value, ast.Constant) and isinstance(tree.body[0].value.value, str), \
        f"{path.name} must start with its module docstring"
    assert ast.get_docstring(tree).startswith(f"Chapter {int(path.stem[2:4])}"), \
        f"{path.name}'s docstring must start with 'Chapter {int(path.stem[2:4])}'"
    assert any(line.startswith("# %%") for line in text.splitlines()), f"{path.name} has no # %% cells"
    notebook = jupytext.reads(text, fmt="py:percent")
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code_cells) >= MIN_CODE_CELLS, f"{path.name} has {len(code_cells)} code cells"
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "main" in functions, f"{path.name} must define main(argv=None)"
