"""The README's promises: the two commands come first, and its library example runs."""

import re
from pathlib import Path

import pytest

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_two_commands_come_first():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make all", "make test"]


def test_chapter_table_is_built_from_the_registry():
    from chapters import _book
    from chapters.__main__ import replace_chapter_table

    assert replace_chapter_table(README) == README, "run: python -m chapters readme"
    for chapter in _book.CHAPTERS.values():
        assert f"`make ch{chapter.number:02d}`" in README and chapter.title in README
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert "CHAPTERS := $(shell seq -f \"ch%02g\" 1 14)" in makefile


def test_library_example_runs():
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["X"].shape == (1000, 8, 12) and namespace["y"].shape == (1000, 2, 12)
    assert namespace["seq2seq"].output_shape == (None, 2, 12)
    assert namespace["model"].get_layer("lstm_1").units == 20
    assert namespace["ensemble"].predict(namespace["series_x"]).shape == (10, 6, 1)
    assert len(namespace["histories"]) == 10 and len(namespace["histories"][0]["loss"]) == 50
    assert len(namespace["repeats"]) == 10


def test_version_is_defined_once():
    import lstmbook

    setup = (Path(__file__).resolve().parent.parent / "setup.cfg").read_text()
    assert "version = attr: lstmbook.__version__" in setup
    assert re.fullmatch(r"\d+\.\d+\.\d+", lstmbook.__version__)


def test_without_its_backend_importing_lstmbook_says_which_extra_to_install(tmp_path):
    """lstmbook installs no backend (lstmbook[tensorflow] or lstmbook[jax] does); a missing one
    is named, with the pip command, rather than left as Keras's bare ModuleNotFoundError."""
    import os
    import subprocess
    import sys

    hidden = tmp_path / "tensorflow"  # a TensorFlow that is not there, first on the path
    hidden.mkdir()
    (hidden / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'tensorflow'\", name='tensorflow')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path), KERAS_BACKEND="tensorflow")
    done = subprocess.run([sys.executable, "-c", "import lstmbook"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError") and "'tensorflow'" in last
    assert "lstmbook[tensorflow]" in last and "lstmbook[jax]" in last


def test_the_front_page_is_short():
    assert len(README.split()) <= 1500
