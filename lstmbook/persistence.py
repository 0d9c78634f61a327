"""Finalize, save and load models: ``.keras`` files, or JSON architecture plus weights (Chapter 13).

Keras 3 saves a whole model (architecture, weights, optimizer state) as one ``.keras``
file, and the architecture alone as JSON (``model.to_json()``) with the weights in a
``.weights.h5`` file. The book's YAML format and Keras 2's ``.h5`` full-model files are gone.

What this module adds is safety:

- :func:`save_model` writes to a temporary file in the same folder and moves it into
  place with ``os.replace``, which is atomic: a crash or an error mid-save leaves the
  previous model as it was, never half a file. The previous version is always kept as a
  numbered backup: ``model.keras`` becomes ``model.backup-1.keras``, the one before that
  ``model.backup-2.keras``, and so on, up to ``backups`` of them. Only files named that
  way are ever rotated or deleted.
- A save is all or nothing. Everything that can fail (writing the model, linking or
  copying the backups, a full disk) happens first, into new temporary files; then a few
  renames move them into place, and if one of those fails the renames done are undone. A
  failure at any step leaves the destination and every backup exactly as they were. A
  process killed mid-save (no code runs to undo) leaves every file loadable and keeps
  every version the save would have kept, though the oldest backup, which it was about to
  drop, may be gone and backup-1 may equal the destination; its temporary files are
  removed by the next save into that folder.
- :func:`save_architecture_and_weights` saves the pair as one unit, with backups of both.
  The JSON records the SHA-256 of the weights saved with it, and :func:`load_model`
  refuses a pair that does not match (a save killed between its two renames) rather
  than load a new architecture with old weights.
- :func:`load_model` loads either form and says clearly what is wrong with a missing
  file, a wrong extension or a corrupt file.
- :func:`write_atomic` writes any file of yours the same way (the book writes its
  figures, records and notebooks with it).

Introduced in Chapter 13 and used in Chapter 14 to save each updated model.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import warnings
import zipfile
from pathlib import Path

from lstmbook import _checks, _files, datasets

__all__ = [
    "finalize_model",
    "save_model",
    "backup_paths",
    "save_architecture_and_weights",
    "load_model",
    "weights_path_for",
    "write_atomic",
]

KERAS_SUFFIX = ".keras"
JSON_SUFFIX = ".json"
WEIGHTS_SUFFIX = ".weights.h5"

#: The most previous versions :func:`save_model` keeps.
MAX_BACKUPS = 100

#: The key under which the architecture JSON records the weights saved with it.
PAIR_KEY = "lstmbook_weights"


def write_atomic(path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically: a reader sees the old file or the new one, never half.

    The bytes (text is written as UTF-8) go to a temporary file beside ``path``, are
    flushed to disk and moved over ``path`` with ``os.replace``. An error leaves the old
    file as it was, and the temporary files of a write that was killed are removed by the
    next write into that folder. ``path``'s folder must exist.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "notes.txt", "one").read_text()
    'one'
    """
    path = _check_path(path)
    if not isinstance(data, (bytes, str)):
        raise TypeError(f"data must be bytes or str. Received: data of type {type(data).__name__}")
    _check_destination(path, "path")
    return _files.write_atomic(path, data)


_check_path = _checks.check_path


_check_model = _checks.check_model


def _check_weights_path(weights_path, json_path: Path) -> Path:
    """``weights_path`` checked, or the default one beside ``json_path``."""
    if weights_path is None:
        weights_path = weights_path_for(json_path)
    weights_path = _check_path(weights_path, "weights_path")
    if not weights_path.name.endswith(WEIGHTS_SUFFIX):
        raise ValueError(f"weights_path must end in {WEIGHTS_SUFFIX}. "
                         f"Received: weights_path={str(weights_path)!r}")
    return weights_path


def _check_folder(path: Path, name: str) -> None:
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{name}'s folder does not exist; create it first. "
                                f"Received: {name}={str(path)!r}")


def weights_path_for(json_path) -> Path:
    """The ``.weights.h5`` file that goes with an architecture file: ``m.json`` -> ``m.weights.h5``.

    Introduced in Chapter 13.

    >>> str(weights_path_for("models/final.json"))
    'models/final.weights.h5'
    """
    json_path = _check_path(json_path, "json_path")
    if json_path.suffix != JSON_SUFFIX:
        raise ValueError(f"json_path must end in {JSON_SUFFIX}. Received: json_path={str(json_path)!r}")
    return json_path.with_name(json_path.name[: -len(JSON_SUFFIX)] + WEIGHTS_SUFFIX)


def _split_suffix(path: Path) -> tuple[str, str]:
    """``("model", ".keras")`` for ``model.keras``; the weights suffix counts as one."""
    for suffix in (WEIGHTS_SUFFIX, KERAS_SUFFIX, JSON_SUFFIX):
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return path.name[: -len(suffix)], suffix
    return path.stem, path.suffix


def _numbered(path: Path, number: int) -> Path:
    """The ``number``-th backup of ``path``: ``model.keras`` -> ``model.backup-2.keras``."""
    stem, suffix = _split_suffix(path)
    return path.with_name(f"{stem}.backup-{number}{suffix}")


def backup_paths(path) -> list[Path]:
    """The numbered backups that :func:`save_model` (or the JSON + weights saver) kept, newest first.

    Works for ``.keras``, ``.json`` and ``.weights.h5`` files.

    Introduced in Chapter 13.

    >>> backup_paths("no/such/model.keras")
    []
    """
    return [backup for _, backup in _numbered_backups(_check_path(path))]


def _numbered_backups(path: Path) -> list[tuple[int, Path]]:
    """``(number, backup)`` for each ``.backup-N`` file of ``path``, by number."""
    stem, suffix = _split_suffix(path)
    pattern = re.compile(re.escape(stem) + r"\.backup-([0-9]+)" + re.escape(suffix))
    found = []
    for candidate in path.parent.iterdir() if path.parent.is_dir() else []:
        match = pattern.fullmatch(candidate.name)
        if match and candidate.is_file():
            found.append((int(match.group(1)), candidate))
    return sorted(found)


def _check_backups(backups) -> int:
    return _checks.check_int(backups, "backups", maximum=MAX_BACKUPS)


def _commit(new_files: list[tuple[Path, Path]], backups: int) -> None:
    """Move each ``(tmp, path)`` into place, keeping ``backups`` numbered versions: all or nothing.

    1. Prepare, touching nothing that exists: for every version that moves one place up
       (``path`` -> ``.backup-1``, ``.backup-1`` -> ``.backup-2``, ...), a hard link (or a
       copy) under a temporary name; and a link or copy of every file that a rename below
       will replace, to undo it. A full disk fails here, with nothing changed.
    2. Rename, oldest backup first and ``path`` last, so that a saved version is never
       missing even if the process is killed between two renames. When a rename fails,
       the ones done are undone from step 1's copies.
    3. Delete the backups past ``backups`` (when it was lowered) and the undo copies.
    """
    renames, finals, undo, pruned, created = [], [], [], [], []
    try:
        for tmp, path in new_files:
            existing = dict(_numbered_backups(path))
            if path.exists():
                sources = [path] + [_numbered(path, number) for number in range(1, backups)]
                for number, source in reversed(list(enumerate(sources, start=1))):
                    if number == 1 or number - 1 in existing:  # move `source` up to backup `number`
                        staged = _files.link_or_copy(source, _split_suffix(path)[1])
                        created.append(staged)
                        renames.append((staged, _numbered(path, number)))
            pruned += [old for number, old in existing.items() if number > backups]
            finals.append((tmp, path))
        for _, target in renames + finals:  # the files a rename replaces, kept to undo it
            if target.exists():
                copy = _files.link_or_copy(target, _split_suffix(target)[1])
                created.append(copy)
                undo.append((copy, target))
    except BaseException:
        _files.unlink_quietly(created)
        raise
    done = []
    try:
        for source, target in renames + finals:
            os.replace(source, target)
            done.append(target)
    except BaseException:
        _undo(done, undo)
        _files.unlink_quietly(created)
        raise
    _files.unlink_quietly(pruned + [copy for copy, _ in undo])


def _undo(done: list[Path], undo: list[tuple[Path, Path]]) -> None:
    """Put back every file a rename in ``done`` replaced, and remove those it created."""
    kept = {target: copy for copy, target in undo}
    for target in reversed(done):
        if target in kept:
            os.replace(kept.pop(target), target)
        else:
            _files.unlink_quietly([target])


def _check_destination(path: Path, name: str) -> None:
    _check_folder(path, name)
    if path.exists() and not path.is_file():
        raise ValueError(f"{name} exists and is not a file. Received: {name}={str(path)!r}")


def save_model(model, path, *, backups: int = 1) -> Path:
    """Save a whole model as ``.keras``, atomically, keeping the previous version as a backup.

    The model is written to a temporary file in the same folder, then moved over ``path``
    with ``os.replace``. If saving fails part-way, the temporary file is removed and
    ``path`` and its backups are untouched. Before the move, the previous file is kept as
    ``<name>.backup-1.keras``; older backups shift to ``.backup-2``, ``.backup-3``, … and
    those past ``backups`` are deleted. ``path`` itself exists at every moment. Other
    files, such as a ``model.2.keras`` of your own, are never touched.

    Introduced in Chapter 13.

    Args:
        model: a ``keras.Model``.
        path: the destination, ending in ``.keras``; its folder must exist.
        backups: how many previous versions to keep, 1 to ``MAX_BACKUPS`` (100).

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: ``path`` does not end in ``.keras``, or ``backups`` is out of range.
        FileNotFoundError: its folder is missing.
    """
    _check_model(model)
    path = _check_path(path)
    if path.suffix != KERAS_SUFFIX:
        raise ValueError(f"path must end in {KERAS_SUFFIX} (Keras 3's whole-model format; use "
                         f"save_architecture_and_weights for JSON + weights). Received: path={str(path)!r}")
    backups = _check_backups(backups)
    _check_destination(path, "path")
    _files.remove_stale(path.parent)
    tmp = _files.create_beside(path, KERAS_SUFFIX)
    try:
        model.save(tmp)  # the slow, fallible part: nothing else has been touched yet
        _files.fsync_file(tmp)  # the new model is on disk before any backup is touched
        _keep_mode(tmp, path)
        _commit([(tmp, path)], backups)
    finally:
        _files.unlink_quietly([tmp])
    return path


def _keep_mode(tmp: Path, path: Path) -> None:
    """A replaced file keeps the permissions its owner gave it."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp, path.stat().st_mode & 0o777)




def save_architecture_and_weights(model, json_path, weights_path=None, *,
                                  backups: int = 1) -> tuple[Path, Path]:
    """Save the architecture as JSON and the weights as ``.weights.h5``, atomically, with backups.

    The JSON holds ``model.to_json()``: the layers and their settings and, for a compiled
    model, its loss and optimizer settings (Keras 3), but no optimizer state. The weights
    file holds every weight. Together they rebuild the model for prediction; training
    it further starts with a fresh optimizer.

    Both files are written in full to temporary files first; only then are the previous
    versions kept as backups (``m.backup-1.json`` and ``m.backup-1.weights.h5``, which load
    together when the weights file has its default name) and the new ones moved into
    place, as one unit: a failure at any step leaves the old pair and its backups as they
    were. The JSON records the weights file's name and SHA-256 (under ``"lstmbook_weights"``),
    so :func:`load_model` never pairs an architecture with weights saved at another time.

    Introduced in Chapter 13.

    Args:
        model: a ``keras.Model``.
        json_path: the architecture file, ending in ``.json``.
        weights_path: the weights file, ending in ``.weights.h5``; by default beside the
            JSON file with the same stem (:func:`weights_path_for`).
        backups: how many previous versions of each file to keep, 1 to ``MAX_BACKUPS``.

    Returns:
        ``(json_path, weights_path)``.
    """
    _check_model(model)
    json_path = _check_path(json_path, "json_path")
    if json_path.suffix != JSON_SUFFIX:
        raise ValueError(f"json_path must end in {JSON_SUFFIX}. Received: json_path={str(json_path)!r}")
    weights_path = _check_weights_path(weights_path, json_path)
    backups = _check_backups(backups)
    _check_destination(json_path, "json_path")
    _check_destination(weights_path, "weights_path")
    config = json.loads(model.to_json())
    for folder in {json_path.parent, weights_path.parent}:
        _files.remove_stale(folder)
    tmp_weights = _files.create_beside(weights_path, WEIGHTS_SUFFIX)
    tmp_json = None
    try:
        model.save_weights(tmp_weights)
        _files.fsync_file(tmp_weights)
        config[PAIR_KEY] = {"file": weights_path.name, "sha256": datasets.sha256(tmp_weights)}
        tmp_json = _files.create_beside(json_path, JSON_SUFFIX)
        tmp_json.write_text(json.dumps(config), encoding="utf-8")
        _files.fsync_file(tmp_json)  # both new files are on disk before any backup is touched
        _keep_mode(tmp_weights, weights_path)
        _keep_mode(tmp_json, json_path)
        _commit([(tmp_weights, weights_path), (tmp_json, json_path)], backups)
    finally:
        _files.unlink_quietly([tmp for tmp in (tmp_weights, tmp_json) if tmp is not None])
    return json_path, weights_path


def load_model(path, *, weights_path=None, compile: bool = True, custom_objects=None):
    """Load a model saved by :func:`save_model` (``.keras``) or :func:`save_architecture_and_weights`.

    Introduced in Chapter 13.

    Args:
        path: a ``.keras`` file, or a ``.json`` architecture file.
        weights_path: for a ``.json`` file, its ``.weights.h5`` file (default: beside it,
            see :func:`weights_path_for`).
        compile: restore the compiled state: loss and optimizer with its state from a
            ``.keras`` file; loss and a fresh optimizer from JSON. False gives an
            uncompiled model, enough for ``predict``.
        custom_objects: custom layers or functions the model uses, by name.

    Returns:
        The ``keras.Model``.

    Raises:
        FileNotFoundError: the file (or its weights file) does not exist.
        ValueError: the extension is not ``.keras`` or ``.json`` (the message says how to
            handle legacy ``.h5`` files), or the file is corrupt or not a Keras model.
    """
    import keras

    import lstmbook.models  # noqa: F401 - registers the builders' custom layers for deserialisation
    import lstmbook.training  # noqa: F401 - registers the Ensemble constraint, loss and metric

    path = _check_path(path)
    compile = _checks.check_bool(compile, "compile")
    _checks.check_kwargs(custom_objects, "custom_objects")
    if path.suffix not in (KERAS_SUFFIX, JSON_SUFFIX):
        hint = ""
        if path.suffix in (".h5", ".hdf5"):
            hint = (" A full-model .h5 file is Keras 2's legacy format: load it with "
                    "keras.models.load_model in the Keras version that wrote it and re-save it as .keras;"
                    " a .weights.h5 file holds weights only: pass it as weights_path with its .json.")
        elif path.suffix in (".yaml", ".yml"):
            hint = " Keras 3 removed YAML model files; save the architecture as JSON instead."
        raise ValueError(f"path must end in {KERAS_SUFFIX} or {JSON_SUFFIX}.{hint} "
                         f"Received: path={str(path)!r}")
    if not path.exists():
        raise FileNotFoundError(f"No model file at {str(path)!r}: check the path "
                                f"(working directory: {os.getcwd()!r}).")
    if not path.is_file():
        raise ValueError(f"path must be a file. Received: path={str(path)!r} (a folder?)")

    if path.suffix == KERAS_SUFFIX:
        if not zipfile.is_zipfile(path):
            raise ValueError(f"path {str(path)!r} is corrupt or not a Keras model: a .keras file is a zip "
                             f"archive and this one is not (truncated or overwritten?). Restore it from "
                             f"a backup such as {str(_numbered(path, 1))!r} if there is one.")
        try:
            return keras.models.load_model(path, compile=compile, custom_objects=custom_objects)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
            raise ValueError(f"path {str(path)!r} is corrupt or not a Keras model: {error}") from error

    weights_path = _check_weights_path(weights_path, path)
    if not weights_path.is_file():
        raise FileNotFoundError(f"No weights file for the architecture {str(path)!r}: save both with "
                                f"save_architecture_and_weights. "
                                f"Received: weights_path={str(weights_path)!r}")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"path {str(path)!r} is corrupt or not a model architecture: "
                         f"invalid JSON ({error})") from error
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"path {str(path)!r} is not a Keras model architecture: no 'class_name' at its "
                         "top level")
    pair = config.pop(PAIR_KEY, None)
    paired = isinstance(pair, dict) and pair.get("file") == weights_path.name
    if paired and pair.get("sha256") != datasets.sha256(weights_path):
        raise ValueError(f"{str(weights_path)!r} is not the weights file saved with {str(path)!r} (its "
                         f"SHA-256 differs from the one the architecture records; a save interrupted between "
                         f"its two files?). The previous pair is {str(_numbered(path, 1))!r} with "
                         f"{str(_numbered(weights_path, 1))!r}.")
    if not compile:
        config.pop("compile_config", None)
    text = json.dumps(config)
    try:
        model = keras.models.model_from_json(text, custom_objects=custom_objects)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"path {str(path)!r} is not a Keras model architecture: {error}") from error
    try:
        with warnings.catch_warnings():
            # The weights file may hold the saved optimizer's few variables; a rebuilt model
            # starts with a fresh optimizer by design, so Keras's note about skipping them is noise.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(weights_path)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"weights_path {str(weights_path)!r} is corrupt or does not match the architecture "
                         f"in "
                         f"{str(path)!r}: {error}") from error
    return model


def finalize_model(build_fn, x, y, *, epochs: int, batch_size: int | None = None,
                   compile_kwargs: dict | None = None, seed: int | None = None, callbacks=None,
                   verbose=0):
    """Train a final model on all the data (train and validation together), ready to save.

    Once diagnosis and tuning have picked a configuration, the book trains it once more
    on every sample available; that is the model to save and to use on new data.

    Introduced in Chapter 13.

    Args:
        build_fn: ``build_fn()`` returns a new ``keras.Model``, compiled or not.
        x, y: all the data, e.g. ``(samples, timesteps, features)`` and ``(samples, 1)``.
        epochs: epochs to train (the chosen configuration's).
        batch_size: samples per step (``None``: Keras's default, 32).
        compile_kwargs: for an uncompiled model (default ``{"loss": "mse", "optimizer": "adam"}``).
        seed: seed set with ``keras.utils.set_random_seed`` before building, if given.
        callbacks, verbose: passed to ``fit``.

    Returns:
        ``(model, history)``: the trained model and its per-epoch history.
    """
    import keras

    from lstmbook.training import fit_epochs

    _checks.check_callable(build_fn, "build_fn")
    _checks.check_compile_kwargs(compile_kwargs, "compile_kwargs")
    if seed is not None:
        keras.utils.set_random_seed(_checks.check_seed(seed))
    model = _checks.check_model(build_fn(), "build_fn()")
    if not model.compiled:
        model.compile(**({"loss": "mse", "optimizer": "adam"} if compile_kwargs is None else compile_kwargs))
    history = fit_epochs(model, x, y, epochs=epochs, batch_size=batch_size, callbacks=callbacks,
                         verbose=verbose)
    return model, history
