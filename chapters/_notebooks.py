"""Chapters as executed notebooks: jupytext reads the tutobook, nbclient runs it in a kernel.

``make all`` runs every chapter this way and keeps the executed notebook beside its
metrics (``outputs/chNN_slug/chNN_slug.ipynb``); ``make notebooks`` writes them to
``notebooks/``; ``make site`` renders them; the tests execute each one in quick mode.

The flags reach the kernel as ``LSTMBOOK_*`` environment variables (see ``_book``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from chapters import _book

__all__ = ["NotebookRun", "execute", "execute_to_disk", "flags_to_env", "read"]

#: Seconds a single cell may run before the kernel is stopped (the slowest full-run cell
#: takes about four minutes on a 2-core CPU).
CELL_TIMEOUT = 1800


def read(chapter: _book.Chapter, source=None):
    """The chapter's tutobook (or the percent-format file ``source``) as an unexecuted notebook."""
    import jupytext
    import nbformat

    notebook = jupytext.read(source or chapter.path, fmt="py:percent")
    first = notebook.cells[0] if notebook.cells else None
    if first is not None and first.cell_type == "code" and first.source.startswith('"""'):
        # The module docstring opens the chapter: in a notebook it is the chapter's heading
        # and introduction, not a string value printed as the first cell's output.
        text = first.source.strip().strip('"').strip()
        title, _, rest = text.partition("\n")
        # A docstring line such as ">= 0.99 on 1,000 sequences" is not a Markdown quote.
        rest = re.sub(r"^(\s*)>", r"\1\\>", rest, flags=re.M)
        notebook.cells[0] = nbformat.v4.new_markdown_cell(f"# {title.rstrip('.')}\n{rest}")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata.setdefault("language_info", {"name": "python"})
    return notebook


def flags_to_env(argv) -> dict:
    """``["--quick", "--seed", "3"]`` as ``{"LSTMBOOK_QUICK": "1", "LSTMBOOK_SEED": "3"}``.

    The same flags a chapter takes on the command line; anything else is a ValueError.
    """
    argv, env = list(argv), {}
    switches = {"--quick": "LSTMBOOK_QUICK", "--verbose": "LSTMBOOK_VERBOSE",
                "--tensorboard": "LSTMBOOK_TENSORBOARD"}
    values = {"--seed": "LSTMBOOK_SEED", "--epochs": "LSTMBOOK_EPOCHS", "--output-dir": "LSTMBOOK_OUTPUT_DIR"}
    while argv:
        flag = argv.pop(0)
        name, _, inline = flag.partition("=")
        if name in switches and not inline:
            env[switches[name]] = "1"
        elif name in values:
            if not inline and not argv:
                raise ValueError(f"{name} needs a value. Received: argv ending in {flag!r}")
            env[values[name]] = inline or argv.pop(0)
        else:
            raise ValueError(f"unknown flag for a chapter. Received: {flag!r}")
    return env


#: What TensorFlow's C++ start-up writes to stderr whatever TF_CPP_MIN_LOG_LEVEL says
#: (absl, oneDNN, CUDA probing on a machine without a GPU): not part of the chapter.
_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IWE]\d{4} \d\d:\d\d:\d\d)")


def _drop_startup_noise(notebook) -> None:
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["text"] = "".join(line for line in output["text"].splitlines(keepends=True)
                                         if not _NOISE.match(line))
                if not output["text"]:
                    continue
            kept.append(output)
        cell["outputs"] = kept


def section_seconds(notebook) -> dict:
    """Seconds each section of an executed notebook took: ``{"Train": 12.3, ...}``.

    A section is the cells under a ``## `` heading (the chapter's Setup, Prepare the data,
    Train, ...); its time is the sum of its code cells' execution times, which nbclient
    records in each cell's metadata.
    """
    from datetime import datetime

    seconds, section = {}, "Setup"
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^## +(.+)$", cell.source, flags=re.M)
            section = heading.group(1).strip() if heading else section
            continue
        timing = cell.get("metadata", {}).get("execution", {})
        began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if cell.cell_type != "code" or not began or not ended:
            continue
        took = (datetime.fromisoformat(ended.replace("Z", "+00:00"))
                - datetime.fromisoformat(began.replace("Z", "+00:00"))).total_seconds()
        seconds[section] = round(seconds.get(section, 0.0) + took, 2)
    return seconds


def _record_profile(notebook, output_dir: Path, began: float) -> None:
    """Add the sections' seconds to the metrics.json this execution wrote (if it wrote one)."""
    import json

    path = output_dir / "metrics.json"
    if not path.is_file() or path.stat().st_mtime < began:
        return
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return
    record["profile"] = section_seconds(notebook)
    _book.write_json(path, record)


@dataclass
class NotebookRun:
    """What executing one chapter as a notebook gave."""

    chapter: _book.Chapter
    notebook: object  # nbformat.NotebookNode, with its outputs (None from execute_to_disk)
    path: Path | None  # where the executed notebook was written
    output_dir: Path
    error: str | None  # the failing cell's error, or None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None

    def cell_output(self, needle: str) -> str:
        """The text the first code cell whose source holds ``needle`` showed."""
        for cell in self.notebook.cells:
            if cell.cell_type == "code" and needle in cell.source:
                return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        raise ValueError(f"no code cell holds needle. Received: needle={needle!r}")


def execute(number, argv=(), *, notebook_path=None, env=None, source=None) -> NotebookRun:
    """Execute chapter ``number`` as a notebook in a fresh kernel, with its outputs kept.

    Args:
        number: the chapter (1..14, ``"ch06"`` or a registry entry).
        argv: chapter flags (``["--quick", "--seed", "3"]``), passed as ``LSTMBOOK_*``.
        notebook_path: where to write the executed notebook (default: the run's output
            folder, ``chNN_slug.ipynb``). Written even when a cell fails, so that the
            error can be read where it happened.
        env: more environment variables for the kernel.
        source: run this percent-format file instead of the chapter's own (for tests).

    Returns:
        A :class:`NotebookRun`; ``error`` holds the failing cell's error, if any.
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    chapter = number if isinstance(number, _book.Chapter) else _book.get(number)
    kernel_env = dict(os.environ)
    # Only the flags given here reach the kernel: none leak in from the caller's environment.
    kernel_env = {k: v for k, v in kernel_env.items() if not k.startswith("LSTMBOOK_")}
    kernel_env.update(flags_to_env(argv))
    kernel_env.update(env or {})
    kernel_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    kernel_env.pop("MPLBACKEND", None)  # the kernel's inline backend shows figures in the notebook
    # The kernel runs in the repository's root, so `from chapters import _book` works and
    # relative output folders mean what they mean on the command line.
    kernel_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_book.ROOT), os.environ.get("PYTHONPATH")]))
    flags = _book.parse_flags(chapter, argv)
    output_dir = Path(flags.output_dir)
    if not output_dir.is_absolute():
        output_dir = Path.cwd() / output_dir
    kernel_env["LSTMBOOK_OUTPUT_DIR"] = str(output_dir)

    notebook = read(chapter, source)
    # IPC sockets, not TCP: private to this machine, and the kernel says nothing about them.
    kernel = KernelManager(kernel_name="python3", transport="ipc",
                           ip=str(Path(tempfile.mkdtemp(prefix="lstmbook-kernel-")) / "kernel"))
    client = NotebookClient(notebook, km=kernel, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(_book.ROOT)}})
    began, started, error = time.perf_counter(), time.time(), None
    try:
        # The kernel's own stdout/stderr are not the notebook's: its cells' outputs are
        # captured for the notebook, and what is left is TensorFlow's C++ start-up chatter.
        client.execute(env=kernel_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except CellExecutionError as failure:
        error = str(failure)
    finally:
        # nbclient leaves a kernel manager it was given running: without this, every
        # chapter's kernel (1 GB or more, and its threads) would live until the runner exits.
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)
        shutil.rmtree(Path(kernel.ip).parent, ignore_errors=True)
    seconds = time.perf_counter() - began
    _drop_startup_noise(notebook)
    _record_profile(notebook, output_dir, started)
    path = Path(notebook_path) if notebook_path is not None else output_dir / f"{chapter.name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    _book.write_atomic(path, nbformat.writes(notebook))
    return NotebookRun(chapter, notebook, path, output_dir, error, seconds)


def execute_to_disk(number, argv=(), *, notebook_path=None) -> NotebookRun:
    """:func:`execute`, returning the run without its executed notebook, which is on disk at
    ``path``: what a worker process of ``python -m chapters all --jobs N`` sends back (a
    notebook with its figures is megabytes; the runner needs only the outcome)."""
    return dataclasses.replace(execute(number, argv, notebook_path=notebook_path), notebook=None)
