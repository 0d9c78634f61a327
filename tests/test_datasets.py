"""lstmbook.datasets: hashes, loading, and clear errors for missing or altered files."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from lstmbook import datasets

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

DATA = Path(__file__).resolve().parent.parent / "lstmbook" / "data"


def test_shampoo_sales_loads_with_its_known_values():
    sales = datasets.load_shampoo_sales()
    assert isinstance(sales, pd.Series) and sales.name == "Sales"
    assert len(sales) == 36
    assert str(sales.index[0]) == "1991-01" and str(sales.index[-1]) == "1993-12"
    assert sales.iloc[0] == 266.0 and sales.iloc[-1] == 646.9


def test_airline_passengers_loads_with_its_known_values():
    passengers = datasets.load_airline_passengers()
    assert len(passengers) == 144 and passengers.name == "Passengers"
    assert passengers.iloc[0] == 112 and passengers.iloc[-1] == 432
    assert str(passengers.index[0]) == "1949-01"


def test_registry_matches_the_committed_files_and_readme():
    readme = (DATA.parent.parent / "data" / "README.md").read_text()
    for name, (digest, _, _) in datasets.REGISTRY.items():
        assert datasets.sha256(DATA / name) == digest
        assert digest in readme


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="shampoo_sales.csv"):
        datasets.load_shampoo_sales(directory=tmp_path)


def test_altered_file_is_caught(tmp_path):
    shutil.copy(DATA / "shampoo_sales.csv", tmp_path / "shampoo_sales.csv")
    with open(tmp_path / "shampoo_sales.csv", "a") as handle:
        handle.write("1994-01,1.0\n")
    with pytest.raises(ValueError, match="shampoo_sales.csv.*altered or is corrupt"):
        datasets.load_shampoo_sales(directory=tmp_path)


def test_corrupted_bytes_are_caught(tmp_path):
    raw = bytearray((DATA / "airline_passengers.csv").read_bytes())
    raw[20] ^= 0xFF
    (tmp_path / "airline_passengers.csv").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="airline_passengers.csv"):
        datasets.load_airline_passengers(directory=tmp_path)


def test_environment_variable_points_elsewhere(tmp_path, monkeypatch):
    shutil.copy(DATA / "airline_passengers.csv", tmp_path)
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    assert datasets.data_dir() == tmp_path
    assert len(datasets.load_airline_passengers()) == 144


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: datasets.file_path("iris.csv"), ValueError, "name='iris.csv'"),
    (lambda: datasets.file_path(3), TypeError, "name=3"),
    (lambda: datasets.load_shampoo_sales(directory=42), TypeError, "directory=42"),
])
def test_bad_arguments(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()


def test_an_installed_wheel_carries_the_data(tmp_path):
    """A wheel built from the repository, unpacked away from it, still loads both series."""
    import subprocess
    import sys
    import zipfile

    root = DATA.parent.parent
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
               "-w", str(tmp_path / "dist"), str(root)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("lstmbook-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert {"lstmbook/data/shampoo_sales.csv", "lstmbook/data/airline_passengers.csv"} <= set(names)
        assert not any(name.startswith("chapters/") for name in names)  # the book's harness stays out
        archive.extractall(tmp_path / "site")
    code = ("from lstmbook import datasets; import lstmbook; "
            "assert 'site' in lstmbook.__file__, lstmbook.__file__; "
            "print(len(datasets.load_shampoo_sales()), len(datasets.load_airline_passengers()))")
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("PYTHONPATH", "LSTMBOOK_DATA")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**env, "PYTHONPATH": str(tmp_path / "site")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["36", "144"]
