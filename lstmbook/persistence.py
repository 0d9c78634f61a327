"""Finalize, save and load models: ``.keras`` files, or JSON architecture plus weights (Chapter 13).

Keras 3 saves a whole model (architecture, weights, optimizer state) as one ``.keras``
file, and the architecture alone as JSON (``model.to_json()``) with the weights in a
``.weights.h5`` file. The book's YAML format and Keras 2's ``.h5`` full-model files are gone.

What this module adds is safety:

- ``save_model`` writes the new model to a temporary file, then moves it over
  ``path`` with ``os.replace``, which is atomic: a reader sees the old model or the new
  one, never half a file. Before that, the previous version gets a name of its own,
  ``model.backup-N.keras``, where ``N`` counts up with every version kept (a hard link,
  or a copy where the file system has none). No existing file is ever renamed over or
  rewritten; only the oldest backups past ``backups`` are removed, last, once the new
  model is in place. So a failure at any step, repeated or not, or a kill, loses no
  version: at worst a backup is left twice, and the next save tidies it up.
- ``save_architecture_and_weights`` saves a pair the same way, its two backups under
  one number. The JSON records the SHA-256 of the weights saved with it, and
  ``load_model`` checks it for every pair, backups included, so a new architecture
  is never loaded with old weights (a save killed between its two files).
- ``load_model`` loads either form and says clearly what is wrong with a missing
  file, a wrong extension or a corrupt file.
- ``write_atomic`` writes any file of yours the same way (the book writes its
  figures, records and notebooks with it).

Temporary files live in a ``.lstmbook-tmp`` folder beside the destination, and a killed
save's are removed by the next write there; nothing else is ever taken for a leftover.

Introduced in Chapter 13 and used in Chapter 14 to save each updated model.
"""

from __future__ import annotations

import contextlib
import errno
import filecmp
import json
import os
import re
import shutil
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

    Examples:
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

    Examples:
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
    """The numbered backups that ``save_model`` (or the JSON + weights saver) kept, newest first.

    Works for ``.keras``, ``.json`` and ``.weights.h5`` files. A backup's number counts up
    with every version kept: ``model.backup-3.keras`` is newer than ``model.backup-2.keras``.

    Introduced in Chapter 13.

    Examples:
        >>> backup_paths("no/such/model.keras")
        []
    """
    return [backup for _, backup in reversed(_numbered_backups(_check_path(path)))]


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


def _same_content(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _keep(paths: list[Path]) -> tuple[dict[Path, Path], list[Path]]:
    """Give the current version of ``paths`` (one unit: a model, or a pair) the next backup number.

    Returns each path's backup, and the backups made now. When the newest backup already
    holds this version (a save that failed or was killed after this step), it is used as it is.
    """
    paths = [path for path in paths if path.is_file()]
    newest = max((number for path in paths for number, _ in _numbered_backups(path)), default=0)
    if newest and all(_same_content(path, _numbered(path, newest)) for path in paths):
        return {path: _numbered(path, newest) for path in paths}, []
    kept = {}
    try:
        for path in paths:
            _files.link_or_copy(path, _numbered(path, newest + 1))
            kept[path] = _numbered(path, newest + 1)
    except BaseException:
        _files.unlink_quietly(kept.values())
        raise
    return kept, list(kept.values())


def _prune(paths: list[Path], backups: int) -> None:
    """Remove the backups past the newest ``backups`` complete ones (a warning if that fails)."""
    numbers = sorted({number for path in paths for number, _ in _numbered_backups(path)}, reverse=True)
    complete = [n for n in numbers if all(_numbered(path, n).is_file() for path in paths)]
    # The architecture before its weights: a kill in between leaves no pair that looks whole.
    doomed = [_numbered(path, n) for n in numbers if n not in complete[:backups] for path in reversed(paths)]
    for path in doomed:
        try:
            path.unlink(missing_ok=True)
        except OSError as error:  # the save itself is complete; the next one tries again
            warnings.warn(f"The model was saved, but its old backup {str(path)!r} could not be removed "
                          f"({error}); the next save will try again.", RuntimeWarning, stacklevel=3)


def _commit(new_files: list[tuple[Path, Path]], backups: int, keep_current: bool = True) -> None:
    """Move each ``(tmp, path)`` into place, keeping the current versions as a numbered backup.

    1. Keep: the current files get new names, the next backup number (``_keep``).
       Nothing that exists changes. A full disk fails here.
    2. Replace: each new file is moved over its path (the weights before the JSON). If a
       move fails, the moves done are undone from step 1's backups, and step 1's new
       names are removed, as far as the file system lets them be.
    3. Prune: the backups past ``backups`` are removed, oldest first.

    ``keep_current=False`` skips step 1, for a current pair that is not a version: its
    files come from two saves (one killed between its moves, whose old pair is the newest
    backup already).
    """
    paths = [path for _, path in new_files]
    existed = {path: path.is_file() for path in paths}
    kept, made = _keep(paths) if keep_current else ({}, [])
    done = []
    try:
        for tmp, path in new_files:
            os.replace(tmp, path)
            done.append(path)
    except BaseException:
        with contextlib.suppress(OSError):
            _undo(done, kept, existed)
            _files.unlink_quietly(made)
        raise
    _prune(paths, backups)


def _undo(done: list[Path], kept: dict[Path, Path], existed: dict[Path, bool]) -> None:
    """Put back the previous version of every path in ``done``, from its backup."""
    for path in reversed(done):
        if path in kept:
            tmp = _files.staged(kept[path], path)
            try:
                os.replace(tmp, path)
            finally:
                _files.unlink_quietly([tmp])
        elif not existed[path]:
            _files.unlink_quietly([path])


def _check_destination(path: Path, name: str) -> None:
    _check_folder(path, name)
    if path.exists() and not path.is_file():
        raise ValueError(f"{name} exists and is not a file. Received: {name}={str(path)!r}")


def save_model(model, path, *, backups: int = 1) -> Path:
    """Save a whole model as ``.keras``, atomically, keeping the previous version as a backup.

    The model is written to a temporary file, then moved over ``path`` with
    ``os.replace``. If saving fails part-way, ``path`` and its backups are as they were.
    Before the move, the previous file gets a name of its own, ``<name>.backup-N.keras``,
    with ``N`` one more than the newest backup's; once the new model is in place, the
    backups past the newest ``backups`` are removed. ``path`` exists at every moment, and
    other files, such as a ``model.2.keras`` of your own, are never touched. A ``path``
    that is a symbolic link is written through: the file it points to is replaced, and
    the link stays.

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
        OSError: the disk lacks room for the model (checked before writing).
    """
    _check_model(model)
    path = _check_path(path)
    if path.suffix != KERAS_SUFFIX:
        raise ValueError(f"path must end in {KERAS_SUFFIX} (Keras 3's whole-model format; use "
                         f"save_architecture_and_weights for JSON + weights). Received: path={str(path)!r}")
    backups = _check_backups(backups)
    target = _through_link(path)
    _check_destination(target, "path")
    _check_room(model, target.parent)
    _files.remove_stale(target.parent)
    tmp = _files.create_beside(target, KERAS_SUFFIX)
    try:
        model.save(tmp)  # the slow, fallible part: nothing else has been touched yet
        _files.fsync_file(tmp)  # the new model is on disk before any backup is made
        _keep_mode(tmp, target)
        _commit([(tmp, target)], backups)
    finally:
        _files.unlink_quietly([tmp])
        _files.tidy(target.parent)
    return path


def _through_link(path: Path) -> Path:
    """The file a save replaces: ``path``, or the file it links to (a symlink is written through)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _check_room(model, folder: Path) -> None:
    """An OSError before writing, rather than a failure (or h5py's crash) mid-write, on a full disk.

    Needed: the weights and the optimizer's variables twice over (the new file, and a copy
    of the old one where the file system has no hard links), and a megabyte for the rest.
    """
    import numpy as np

    variables = list(model.weights) + list(getattr(getattr(model, "optimizer", None), "variables", []))
    size = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables)
    needed, free = 2 * size + 2**20, shutil.disk_usage(folder).free
    if free < needed:
        raise OSError(errno.ENOSPC, f"No room to save the model in {str(folder)!r}: it needs about "
                      f"{needed / 2**20:.1f} MB and {free / 2**20:.1f} MB are free")


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

    Both files are written in full to temporary files first; only then does the previous
    pair get backup names of its own (``m.backup-N.json`` and ``m.backup-N.weights.h5``,
    one number for both, which load together when the weights file has its default
    name), and the new files are moved into place: a failure at any step leaves the old
    pair and its backups as they were. The JSON records the SHA-256 of its weights (under
    ``"lstmbook_weights"``), so ``load_model`` never pairs an architecture with
    weights saved at another time, backups included. Symbolic links are written through,
    as by ``save_model``.

    Introduced in Chapter 13.

    Args:
        model: a ``keras.Model``.
        json_path: the architecture file, ending in ``.json``.
        weights_path: the weights file, ending in ``.weights.h5``; by default beside the
            JSON file with the same stem (``weights_path_for``).
        backups: how many previous pairs to keep, 1 to ``MAX_BACKUPS``.

    Returns:
        ``(json_path, weights_path)``.
    """
    _check_model(model)
    json_path = _check_path(json_path, "json_path")
    if json_path.suffix != JSON_SUFFIX:
        raise ValueError(f"json_path must end in {JSON_SUFFIX}. Received: json_path={str(json_path)!r}")
    weights_path = _check_weights_path(weights_path, json_path)
    backups = _check_backups(backups)
    json_target, weights_target = _through_link(json_path), _through_link(weights_path)
    _check_destination(json_target, "json_path")
    _check_destination(weights_target, "weights_path")
    _check_room(model, weights_target.parent)
    config = json.loads(model.to_json())
    folders = {json_target.parent, weights_target.parent}
    for folder in folders:
        _files.remove_stale(folder)
    tmp_weights = _files.create_beside(weights_target, WEIGHTS_SUFFIX)
    tmp_json = None
    try:
        model.save_weights(tmp_weights)
        _files.fsync_file(tmp_weights)
        config[PAIR_KEY] = {"file": weights_path.name, "sha256": datasets.sha256(tmp_weights)}
        tmp_json = _files.create_beside(json_target, JSON_SUFFIX)
        tmp_json.write_text(json.dumps(config), encoding="utf-8")
        _files.fsync_file(tmp_json)  # both new files are on disk before any backup is made
        _keep_mode(tmp_weights, weights_target)
        _keep_mode(tmp_json, json_target)
        _commit([(tmp_weights, weights_target), (tmp_json, json_target)], backups,
                keep_current=_pair_matches(json_target, weights_target) is not False)
    finally:
        _files.unlink_quietly([tmp for tmp in (tmp_weights, tmp_json) if tmp is not None])
        for folder in folders:
            _files.tidy(folder)
    return json_path, weights_path


def _recorded_sha256(json_path: Path) -> str | None:
    """The SHA-256 of its weights that an architecture file records, or None."""
    try:
        pair = json.loads(json_path.read_text(encoding="utf-8", errors="replace")).get(PAIR_KEY)
    except (OSError, ValueError, AttributeError):
        return None
    return pair.get("sha256") if isinstance(pair, dict) else None


def _pair_matches(json_path: Path, weights_path: Path) -> bool | None:
    """Whether an architecture and a weights file were saved together; None if unknown
    (a file missing, or an architecture saved without the record)."""
    recorded = _recorded_sha256(json_path) if json_path.is_file() and weights_path.is_file() else None
    return None if recorded is None else recorded == datasets.sha256(weights_path)


def load_model(path, *, weights_path=None, compile: bool = True, custom_objects=None):
    """Load a model saved by ``save_model`` (``.keras``) or ``save_architecture_and_weights``.

    Introduced in Chapter 13.

    Args:
        path: a ``.keras`` file, or a ``.json`` architecture file.
        weights_path: for a ``.json`` file, its ``.weights.h5`` file (default: beside it,
            see ``weights_path_for``).
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
        if weights_path is not None:
            raise ValueError(f"weights_path is for a .json architecture; a .keras file holds its own "
                             f"weights. Received: path={str(path)!r}, weights_path={str(weights_path)!r}")
        if not zipfile.is_zipfile(path):
            raise ValueError(f"path {str(path)!r} is corrupt or not a Keras model: a .keras file is a zip "
                             f"archive and this one is not (truncated or overwritten?). Restore it from "
                             f"its newest backup, backup_paths(path)[0], if there is one.")
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
    if isinstance(pair, dict) and pair.get("sha256") != datasets.sha256(weights_path):
        backups = backup_paths(path)
        previous = f" The newest backup is {str(backups[0])!r}." if backups else ""
        raise ValueError(f"weights_path {str(weights_path)!r} is not the weights file saved with "
                         f"{str(path)!r}: "
                         f"its SHA-256 differs from the one the architecture records (a save interrupted "
                         f"between its two files, or another model's weights?).{previous} To load other "
                         f"weights on purpose, load the architecture with its own, then call "
                         f"model.load_weights.")
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
