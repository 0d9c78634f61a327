"""Repeats on a Dask cluster: a scheduler and two single-thread workers, started as processes.

The cluster is the one the README tells a user to start (``dask scheduler``, ``dask worker
ADDRESS --nthreads 1 --nworkers 2``), on 127.0.0.1. The tests check that repeats run on its
workers, that the same seeds give the same scores as a local run, that chapter 12's quick
run gives exactly the local metrics, and that a wrong address fails fast and clearly.
"""

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import keras
import numpy as np
import pytest

from lstmbook import diagnostics

# The same on every backend: make test BACKEND=jax leaves these to the TensorFlow run.
pytestmark = pytest.mark.backend_independent

pytest.importorskip("distributed", reason="Dask is not installed (pip install -e '.[cluster]')")

# The scheduler and the workers cannot import this test module: send its functions by value,
# as a script's or a notebook's own functions are.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

ROOT = Path(__file__).resolve().parent.parent
SCHEDULER = [sys.executable, "-m", "distributed.cli.dask_scheduler"]  # `dask scheduler`
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]  # `dask worker`


def _start(command, log, env, folder):
    # A process group of its own, so that the nanny's worker processes go with it.
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder,
                            start_new_session=True)


def _stop(process):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2, env=None):
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` as processes; yields the address."""
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    env = {key: value for key, value in env.items() if value is not None}
    with open(folder / "scheduler.log", "w") as scheduler_log, open(folder / "worker.log", "w") as worker_log:
        scheduler = _start([*SCHEDULER, "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                            "--scheduler-file", str(scheduler_file)], scheduler_log, env, folder)
        worker = None
        try:
            deadline = time.monotonic() + 60
            while not scheduler_file.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert scheduler_file.exists(), (folder / "scheduler.log").read_text()[-2000:]
            time.sleep(0.3)  # the file is written in one go, but give the writer a moment
            address = json.loads(scheduler_file.read_text())["address"]
            worker = _start([*WORKER, address, "--nthreads", "1", "--nworkers", str(workers),
                             "--host", "127.0.0.1", "--no-dashboard"], worker_log, env, folder)
            yield address
        finally:
            if worker is not None:
                _stop(worker)
            _stop(scheduler)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask")) as address:
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address


def tiny_model(units):
    inputs = keras.Input(shape=(1, 1), name="inputs")
    hidden = keras.layers.LSTM(units, unroll=True, name="lstm")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, name="output")(hidden))


def data():
    x = np.linspace(0, 0.4, 5).reshape(5, 1, 1)
    return x, x[:, 0, 0] + 0.1


def where(seed):
    """A repeat that reports the process it ran in."""
    return seed * 10, os.getpid()


def test_repeats_run_on_the_workers_with_the_local_scores(cluster):
    x, y = data()
    kwargs = {"epochs": 6, "validation_data": (x + 0.5, y + 0.5), "batch_size": 1, "seed": 1042,
              "progress": False}
    build = functools.partial(tiny_model, 1)
    here = diagnostics.repeated_evaluation(build, 4, x, y, **kwargs)
    for _ in range(2):  # a mismatch was intermittent before Dask's sizeof got its own generator
        with diagnostics.on_cluster(cluster) as client:
            there = diagnostics.repeated_evaluation(build, 4, x, y, **kwargs)
            results = diagnostics.run_repeats(where, list(range(8)), progress=False)
        assert there.seeds == here.seeds
        np.testing.assert_array_equal(there.scores, here.scores)  # exactly, not within a tolerance
        assert client.status == "closed"  # on_cluster closes the client it opened
    assert [value for value, _ in results] == [seed * 10 for seed in range(8)]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids and len(pids) == 2  # both workers, not this process


def test_the_plain_joblib_idiom_runs_on_the_cluster_too(cluster):
    import joblib
    from distributed import Client

    with Client(cluster) as client, joblib.parallel_config(backend="dask"):
        results = diagnostics.run_repeats(where, [1, 2, 3], progress=False, jobs=1)
        workers = client.run(os.getpid)
    assert [value for value, _ in results] == [10, 20, 30]
    assert {pid for _, pid in results} <= set(workers.values())


def test_chapter_12_quick_on_the_cluster_gives_the_local_metrics(cluster, quick_run, tmp_path):
    local = quick_run("ch12_diagnose_tune")
    env = {**os.environ, "LSTMBOOK_SCHEDULER": cluster}  # the environment's twin of --scheduler
    done = subprocess.run([sys.executable, "-m", "chapters.ch12_diagnose_tune", "--quick",
                           "--output-dir", str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"repeats on {cluster}" in done.stdout
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["cluster"] == {"scheduler": cluster, "workers": 2}
    # Everything the chapter computed is the same; only the process's own memory differs.
    record["metrics"].pop("peak_rss_mb"), local["metrics"].pop("peak_rss_mb")
    for key in ("metrics", "cases", "robustness", "tuning"):
        assert record[key] == local[key], key
    assert local["cluster"] is None


def test_an_unreachable_scheduler_fails_fast_before_any_training(tmp_path):
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "chapters.ch12_diagnose_tune", "--quick", "--output-dir",
                           str(tmp_path), "--scheduler", "tcp://127.0.0.1:9"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "--scheduler" in done.stderr and "tcp://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "metrics.json").exists() and not list(tmp_path.glob("*.png"))
    assert time.monotonic() - began < 60  # Python and Keras start-up plus a 10-second connect timeout


def test_cluster_arguments_are_checked():
    with pytest.raises(TypeError, match="scheduler"):
        diagnostics.connect_cluster(8786)
    with pytest.raises(ValueError, match="timeout"):
        diagnostics.connect_cluster("tcp://127.0.0.1:9", timeout=0)
    with pytest.raises(TypeError, match="scheduler"):
        with diagnostics.on_cluster(["tcp://127.0.0.1:9"]):
            pass
    began = time.monotonic()
    with pytest.raises(ConnectionError, match="tcp://127.0.0.1:9"):
        diagnostics.connect_cluster("tcp://127.0.0.1:9", timeout=2)
    assert time.monotonic() - began < 10


def test_a_function_the_cluster_cannot_load_is_an_error_not_a_hang(cluster, tmp_path, monkeypatch):
    (tmp_path / "only_here.py").write_text("def work(seed):\n    return seed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import only_here

    began = time.monotonic()
    with diagnostics.on_cluster(cluster), pytest.raises(RuntimeError, match="workers cannot load fn"):
        diagnostics.run_repeats(only_here.work, [1, 2], progress=False)
    assert time.monotonic() - began < 60


def test_a_chapter_without_repeats_refuses_the_scheduler_flag_and_ignores_the_variable(tmp_path, monkeypatch,
                                                                                       capsys):
    from joblib.parallel import get_active_backend

    from chapters import _book as book

    with pytest.raises(SystemExit) as stop:  # on the command line: a mistake, said at once
        book.start(3, ["--quick", "--output-dir", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9"])
    assert stop.value.code == 2 and "--scheduler" in capsys.readouterr().err
    before = type(get_active_backend()[0])
    monkeypatch.setenv("LSTMBOOK_SCHEDULER", "tcp://127.0.0.1:9")  # set for every chapter of a run
    run = book.start(3, ["--quick", "--output-dir", str(tmp_path)])
    assert run.client is None
    assert type(get_active_backend()[0]) is before  # joblib's backend is left as it was
    assert diagnostics._dask_client() is None  # repeats, if any, would run here


def test_a_run_sends_its_repeats_to_the_scheduler_until_it_finishes(cluster, tmp_path):
    from joblib.parallel import get_active_backend

    from chapters import _book as book

    before = type(get_active_backend()[0])
    run = book.start(12, ["--quick", "--output-dir", str(tmp_path), "--scheduler", cluster])
    assert diagnostics._dask_client() is run.client  # for the whole run, from start to finish
    results = diagnostics.run_repeats(where, [1, 2, 3], progress=False)
    assert [value for value, _ in results] == [10, 20, 30] and os.getpid() not in {pid for _, pid in results}
    record = run.finish({"diagnoses_correct": 1.0})
    assert record["cluster"] == {"scheduler": cluster, "workers": 2}
    assert run.client.status == "closed"
    assert diagnostics._dask_client() is None and type(get_active_backend()[0]) is before


JAX_CALLER = """
import json, sys
import keras
from lstmbook import diagnostics

def backend(seed):
    import keras
    return keras.backend.backend()

with diagnostics.on_cluster(sys.argv[1]):
    print(json.dumps(diagnostics.run_repeats(backend, [1, 2, 3, 4], progress=False)))
"""

@pytest.mark.jax
def test_workers_take_the_callers_keras_backend(tmp_path):
    pytest.importorskip("jax", reason="JAX is not installed")
    pytest.importorskip("tensorflow", reason="the scheduler, started without KERAS_BACKEND, needs TensorFlow")
    # Workers started without KERAS_BACKEND would import Keras on TensorFlow; a JAX caller
    # gets JAX workers, and a TensorFlow caller then gets a clear error, not mixed backends.
    with dask_cluster(tmp_path, env={"KERAS_BACKEND": None}) as address:
        from distributed import Client

        # Both workers first: the backend is given to the workers there are when the repeats
        # start (a worker that joins later refuses them with a RuntimeError, see diagnostics).
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=120)
        env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "2"}
        done = subprocess.run([sys.executable, "-c", JAX_CALLER, address], env=env, capture_output=True,
                              text=True, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout.strip().splitlines()[-1]) == ["jax"] * 4
        env["KERAS_BACKEND"] = "tensorflow"
        done = subprocess.run([sys.executable, "-c", JAX_CALLER, address], env=env, capture_output=True,
                              text=True, timeout=300, cwd=ROOT)
        assert done.returncode != 0
        assert "RuntimeError" in done.stderr and "KERAS_BACKEND=tensorflow" in done.stderr
