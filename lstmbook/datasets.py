"""The book's real data sets, shipped inside the package and checked against their SHA-256.

Like d2l's ``DATA_HUB`` and pooch's ``known_hash``, every file is registered with its
hash, so a truncated, edited or corrupt copy is caught before it reaches a model.

Introduced in Chapter 3 (the airline series) and used in Chapter 14 (shampoo sales).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from lstmbook import _checks

__all__ = ["REGISTRY", "data_dir", "file_path", "load_airline_passengers", "load_shampoo_sales"]

#: file name -> (SHA-256, value column, description). The files are package data
#: (``lstmbook/data/``), so an installed wheel has them; their provenance is in the
#: repository's data/README.md.
REGISTRY = {
    "shampoo_sales.csv": (
        "dbf2adba68e2f6bae7956ca65771d7dee20cb58b6eb8261c2513d536ac690774",
        "Sales",
        "monthly shampoo sales, 1991-01 to 1993-12 (36 rows)",
    ),
    "airline_passengers.csv": (
        "28af0eb869db6d9fbd31d5af03993a0cbf36c0857c3eb046a068c094b60da851",
        "Passengers",
        "monthly international airline passengers in thousands, 1949-01 to 1960-12 (144 rows)",
    ),
}

#: Environment variable that points at another data folder.
DATA_ENV = "LSTMBOOK_DATA"


def data_dir(directory=None) -> Path:
    """The folder the data sets are read from.

    In order: ``directory`` if given, ``$LSTMBOOK_DATA`` if set, else the copies shipped
    inside the package (``lstmbook/data/``).
    """
    if directory is not None:
        return _checks.check_path(directory, "directory")
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(__file__).resolve().parent / "data"


def sha256(path) -> str:
    """The SHA-256 hex digest of a file, read in chunks.

    Examples:
        >>> sha256(True)
        Traceback (most recent call last):
        ...
        TypeError: path must be a str or path-like. Received: path=True
    """
    # open() takes an int as a file descriptor: sha256(0) would read, then close, stdin.
    if not _checks.check_path(path).is_file():
        raise FileNotFoundError(f"path must be an existing file. Received: path={str(path)!r}")
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_path(name: str, directory=None) -> Path:
    """The checked path of a registered data file.

    Raises:
        ValueError: ``name`` is not registered, or the file's hash is wrong (altered or corrupt).
        FileNotFoundError: the file is missing; the message says where it was looked for.
    """
    _checks.check_choice(_checks.check_type(name, "name", str, "a str"), "name", sorted(REGISTRY))
    path = data_dir(directory) / name
    if not path.is_file():
        raise FileNotFoundError(
            f"Data file {name!r} is missing: looked for {path}. Reinstall lstmbook, or point "
            f"${DATA_ENV} (or directory=) at a folder that has it.")
    expected = REGISTRY[name][0]
    actual = sha256(path)
    if actual != expected:
        raise ValueError(
            f"Data file {name!r} at {path} has been altered or is corrupt: its SHA-256 is "
            f"{actual}, expected {expected}. Reinstall lstmbook to restore the original, or point "
            f"directory= (or ${DATA_ENV}) at a folder with the original. "
            f"Received: directory={str(path.parent)!r}")
    return path


def _load_monthly(name: str, directory=None) -> pd.Series:
    path = file_path(name, directory)
    value_column = REGISTRY[name][1]
    frame = pd.read_csv(path)
    if list(frame.columns) != [frame.columns[0], value_column] or frame[value_column].isna().any():
        raise ValueError(f"Data file {name!r} at {path} does not have the expected columns "
                         f"[time, {value_column}] without gaps. Received: {list(frame.columns)}")
    index = pd.PeriodIndex(frame.iloc[:, 0], freq="M", name="month")
    return pd.Series(frame[value_column].to_numpy(dtype=float), index=index, name=value_column)


def load_shampoo_sales(directory=None) -> pd.Series:
    """Monthly shampoo sales over three years, 1991-01 … 1993-12 (36 values).

    Makridakis, Wheelwright and Hyndman (1998). Used in Chapter 14.

    Args:
        directory: another folder holding ``shampoo_sales.csv`` (see ``data_dir``).

    Returns:
        A float ``pd.Series`` named ``"Sales"`` with a monthly ``PeriodIndex``.

    Raises:
        FileNotFoundError: the file is missing. ValueError: its SHA-256 is wrong.
    """
    return _load_monthly("shampoo_sales.csv", directory)


def load_airline_passengers(directory=None) -> pd.Series:
    """Monthly international airline passengers (thousands), 1949-01 … 1960-12 (144 values).

    Box, Jenkins and Reinsel, series G. Used in Chapter 3.

    Args:
        directory: another folder holding ``airline_passengers.csv`` (see ``data_dir``).

    Returns:
        A float ``pd.Series`` named ``"Passengers"`` with a monthly ``PeriodIndex``.

    Raises:
        FileNotFoundError: the file is missing. ValueError: its SHA-256 is wrong.
    """
    return _load_monthly("airline_passengers.csv", directory)
