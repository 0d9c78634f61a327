"""``make lab``: JupyterLab at the repository's root, the chapters opened as notebooks.

``python -m chapters._lab`` sets up the virtual environment it runs in (``sys.prefix``), and
nothing outside it:

- jupytext's notebook view becomes the default for ``.py`` files, so ``chapters/chNN_*.py``
  opens as a notebook, and saving writes the same file;
- the ``python3`` kernel gets the repository on its path (``from chapters import _book``)
  and starts Keras before the first cell, with the backend's start-up lines (absl, oneDNN,
  CUDA probing) kept out of the notebook.

A notebook is a full run unless its Setup cell says ``book.start(N, ["--quick"])``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The kernel's first line, run before any cell: importing ``chapters`` starts Keras quietly.
STARTUP = "import chapters"


def setup(prefix=sys.prefix) -> Path:
    """Write the default viewer and the kernel into ``prefix``. Returns the kernel's folder."""
    from ipykernel.kernelspec import install
    from jupytext_config.labconfig import LabConfig

    prefix = Path(prefix)
    settings = prefix / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.json"
    LabConfig(settings_file=settings).read().set_default_viewers(["python"]).write()
    env = {"PYTHONPATH": str(ROOT), "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    folder = Path(install(kernel_name="python3", display_name="Python 3 (lstmbook)", prefix=str(prefix), env=env))
    spec = json.loads((folder / "kernel.json").read_text())
    spec["argv"] = [a for a in spec["argv"] if not a.startswith("--IPKernelApp.exec_lines")]
    spec["argv"].append(f"--IPKernelApp.exec_lines={STARTUP}")
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


if __name__ == "__main__":
    print(f"JupyterLab's kernel: {setup()}")
