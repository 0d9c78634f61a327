"""The backend-independent subset, run on JAX: builders, save/load round trips, quick chapters.

The rest of the suite runs on TensorFlow (the default backend), and a Keras process
cannot switch backends once Keras is imported, so this subset runs in a subprocess
with ``KERAS_BACKEND=jax``: this file run as a script does the work and writes its
results as JSON, and the tests below check them. JAX is in the ``test`` extra; the tests
are skipped, with the reason, only where JAX cannot be imported.

Run the subset by hand with ``KERAS_BACKEND=jax python tests/test_jax_subset.py OUT.json``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: One small case per builder in lstmbook.models: (kwargs, the input batch's shape).
BUILDER_CASES = {
    "build_vanilla_lstm": ({"input_shape": (5, 10), "output_units": 10}, (4, 5, 10)),
    "build_stacked_lstm": ({"input_shape": (None, 1), "output_units": 5}, (4, 12, 1)),
    "build_cnn_lstm": ({"frame_shape": (10, 10, 1), "timesteps": None}, (2, 4, 10, 10, 1)),
    "build_encoder_decoder_lstm": ({"input_shape": (8, 12), "output_timesteps": 2,
                                    "output_units": 12}, (4, 8, 12)),
    "build_bidirectional_lstm": ({"input_shape": (10, 1), "merge_mode": "sum"}, (4, 10, 1)),
    "build_generative_lstm": ({}, (4, 1, 2)),
}

#: Quick chapter runs in the subset: ch03 (no model) and ch06 (a model trained end to end).
CHAPTERS = ("ch03_preparing_data", "ch06_vanilla_lstm")

#: A hang's limit, not a speed target (benchmarks time things): about 4 min on an idle 2-core
#: machine, and more than 5 when the machine is shared.
TIMEOUT_S = 900


# ---------------------------------------------------------------------------------------------
# The subset itself, run in the subprocess
# ---------------------------------------------------------------------------------------------


def run_subset(out_dir: Path) -> dict:
    """Build every builder, round-trip each through .keras, quick-run the chapters."""
    import keras
    import numpy as np

    import chapters.__main__ as runner
    from lstmbook import models

    results = {"backend": keras.backend.backend(), "builders": {}, "chapters": {}}
    results["builders_found"] = sorted(n for n in dir(models) if n.startswith("build_"))
    rng = np.random.default_rng(0)
    for name, (kwargs, batch_shape) in BUILDER_CASES.items():
        if not hasattr(models, name):
            continue
        keras.utils.set_random_seed(0)
        model = getattr(models, name)(**kwargs)
        x = rng.random(batch_shape).astype("float32")
        before = np.asarray(model.predict(x, verbose=0))
        path = out_dir / f"{name}.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        after = np.asarray(loaded.predict(x, verbose=0))
        results["builders"][name] = {
            "output_shape": list(before.shape),
            "max_abs_diff": float(np.max(np.abs(before - after))),
            "finite": bool(np.isfinite(before).all()),
            "same_layer_names": [layer.name for layer in model.layers]
            == [layer.name for layer in loaded.layers],
        }
    results["ensemble_max_weight_diff"] = _ensemble_against_alone()
    for module_name in CHAPTERS:
        if not (ROOT / "chapters" / f"{module_name}.py").is_file():
            results["chapters"][module_name] = None  # not written yet
            continue
        began = time.perf_counter()
        # As `python -m chapters N --quick` runs it: the tutobook's cells, top to bottom.
        code = runner.run_one(int(module_name[2:4]), ["--quick", "--output-dir", str(out_dir / module_name)])
        assert code == 0, f"{module_name} exited {code}"
        record = json.loads((out_dir / module_name / "metrics.json").read_text())
        results["chapters"][module_name] = {
            "backend": record["backend"], "mode": record["mode"], "passed": record["passed"],
            "metrics": record["metrics"], "targets": record["targets"],
            "figures_present": all((out_dir / module_name / f).is_file() for f in record["figures"]),
            "wall_seconds": time.perf_counter() - began,
        }
    return results


def _ensemble_against_alone() -> float:
    """The largest weight difference between Ensemble members and the same models trained alone."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "tests"))
    from test_ensemble import CASES, SEEDS, alone

    from lstmbook import training

    worst = 0.0
    for build_fn, x, y, fit_args in CASES.values():
        ensemble = training.Ensemble(build_fn, SEEDS)
        ensemble.fit(x, y, epochs=3, **fit_args)
        for k, (seed, member) in enumerate(zip(SEEDS, ensemble.unpack(), strict=True)):
            model, _ = alone(build_fn, k, seed, x, y, fit_args, epochs=3)
            worst = max(worst, max(float(np.abs(a - b).max())
                                   for a, b in zip(model.get_weights(), member.get_weights(), strict=True)))
    return worst


def _script(out_path: str) -> int:
    try:
        import jax  # noqa: F401
    except Exception as error:  # ImportError, or a broken jaxlib
        Path(out_path).write_text(json.dumps({"jax_missing": f"{type(error).__name__}: {error}"}))
        return 0
    results = run_subset(Path(out_path).parent)
    Path(out_path).write_text(json.dumps(results))
    return 0


# ---------------------------------------------------------------------------------------------
# The tests, in the pytest process
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jax_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("jax_subset") / "results.json"
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    try:
        done = subprocess.run([sys.executable, __file__, str(out)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the JAX subset took more than {TIMEOUT_S} s")
    assert done.returncode == 0, f"JAX subset failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    results = json.loads(out.read_text())
    if "jax_missing" in results:
        pytest.skip(f"JAX is not importable here ({results['jax_missing']}); "
                    "install it with pip install -e .[jax]")
    return results


pytestmark = [
    pytest.mark.jax,
    # Under make test BACKEND=jax the whole suite runs on JAX; the subset would repeat it.
    pytest.mark.skipif(os.environ.get("KERAS_BACKEND") == "jax",
                       reason="the whole suite runs on JAX (make test BACKEND=jax)"),
]


def test_subset_really_ran_on_jax(jax_results):
    assert jax_results["backend"] == "jax"


def test_every_builder_has_a_case(jax_results):
    assert jax_results["builders_found"], "lstmbook.models has no build_* functions"
    missing = sorted(set(jax_results["builders_found"]) - set(BUILDER_CASES))
    assert not missing, f"add a case to BUILDER_CASES for {missing}"


@pytest.mark.parametrize("name", sorted(BUILDER_CASES))
def test_builder_round_trips_on_jax(jax_results, name):
    if name not in jax_results["builders_found"]:
        pytest.fail(f"lstmbook.models has no {name}")
    result = jax_results["builders"][name]
    assert result["finite"], result
    assert result["same_layer_names"], result
    assert result["max_abs_diff"] <= 1e-6, result
    assert result["output_shape"][0] == BUILDER_CASES[name][1][0]


EXPECTED_SHAPES = {
    "build_vanilla_lstm": [4, 10],
    "build_stacked_lstm": [4, 5],
    "build_cnn_lstm": [2, 1],
    "build_encoder_decoder_lstm": [4, 2, 12],
    "build_bidirectional_lstm": [4, 10, 1],
    "build_generative_lstm": [4, 2],
}


def test_builder_output_shapes_on_jax(jax_results):
    shapes = {name: r["output_shape"] for name, r in jax_results["builders"].items()}
    assert shapes == {name: EXPECTED_SHAPES[name] for name in shapes}


def test_ensemble_members_train_as_alone_on_jax(jax_results):
    assert jax_results["ensemble_max_weight_diff"] <= 1e-6


def test_ch03_quick_on_jax(jax_results):
    record = jax_results["chapters"]["ch03_preparing_data"]
    assert record["backend"] == "jax" and record["mode"] == "quick" and record["passed"] is None
    assert record["metrics"]["book_outputs_matched"] == 1.0
    assert record["figures_present"]


def test_ch06_quick_on_jax(jax_results):
    record = jax_results["chapters"]["ch06_vanilla_lstm"]
    if record is None:
        pytest.skip("chapters/ch06_vanilla_lstm.py is not written yet")
    assert record["backend"] == "jax" and record["mode"] == "quick" and record["passed"] is None
    accuracy = record["metrics"]["accuracy"]
    assert isinstance(accuracy, float) and math.isfinite(accuracy) and 0.0 <= accuracy <= 1.0
    assert set(record["targets"]) == {"accuracy"}
    assert record["figures_present"]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: KERAS_BACKEND=jax python tests/test_jax_subset.py OUT.json")
    sys.exit(_script(sys.argv[1]))
