"""Training throughput against this machine's matmul limit, and ensembles against one-by-one training.

``python -m benchmarks.throughput [--quick] [--output FILE]`` (part of ``make bench``) measures:

5. **Throughput.** For each model chapter, its model at the chapter's full settings (the
   same builder, shapes and batch size) is trained on random data of the chapter's shape
   for a few seconds after a warm-up, and its achieved training FLOP/s is counted from
   the model's matmuls: for every kernel, 2 FLOPs per weight per position it is applied
   at (every timestep of an LSTM, every frame and pixel of a convolution), times 3 for a
   training step (the forward pass, and the backward pass's two matmuls per forward one).
   Beside it, this machine's dense float32 matmul FLOP/s (``keras.ops.matmul`` of square
   matrices, the best size), and the ratio between them: how far from the hardware's
   limit each chapter trains.
6. **Ensembles.** Chapters 12 and 14 train their repeats as one ``training.Ensemble``;
   each row times the ensemble against the same members trained one after another with
   ``fit_epochs`` (the same epochs, batches and seeds), and checks that both end at the
   same weights.

The results replace the part of ``docs/BENCHMARKS.md`` between ``<!-- throughput -->`` and
``<!-- /throughput -->`` (added at the end if missing), so this runs on its own in a
couple of minutes without redoing the other comparisons. ``--quick`` times tiny runs into
``outputs/benchmarks/THROUGHPUT-quick.md``; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.common import ROOT, cpu_model, markdown_table, versions  # noqa: E402
from lstmbook import models, training  # noqa: E402

START, END = "<!-- throughput -->", "<!-- /throughput -->"


# ---------------------------------------------------------------------------------------------
# Counting FLOPs
# ---------------------------------------------------------------------------------------------


def _positions(shape) -> int:
    """How many times a kernel is applied per sample: every axis between the batch and the features."""
    return int(np.prod([d for d in tuple(shape)[1:-1]], dtype=np.int64)) if len(shape) > 2 else 1


def forward_flops(model) -> int:
    """Matmul FLOPs of one sample's forward pass: 2 per kernel weight per position it is applied at."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        inputs = layer.input[0] if isinstance(layer.input, list) else layer.input
        total += _layer_flops(layer, inputs.shape, layer.output.shape)
    return total


def _layer_flops(layer, in_shape, out_shape) -> int:
    if isinstance(layer, keras.Model):
        return forward_flops(layer)
    if isinstance(layer, keras.layers.Bidirectional):
        halves = (layer.forward_layer, layer.backward_layer)
        return sum(_layer_flops(half, in_shape, out_shape) for half in halves)
    if isinstance(layer, keras.layers.TimeDistributed):
        return _kernel_flops(layer.layer, out_shape)
    if isinstance(layer, keras.layers.RNN):  # LSTM: input and recurrent kernels at every timestep
        cell = layer.cell
        per_step = 2 * (int(np.prod(cell.kernel.shape)) + int(np.prod(cell.recurrent_kernel.shape)))
        return per_step * int(in_shape[1])
    return _kernel_flops(layer, out_shape)


def _kernel_flops(layer, out_shape) -> int:
    kernel = getattr(layer, "kernel", None)
    if kernel is None:
        return 0  # pooling, flattening, repeating: no matmul
    return 2 * int(np.prod(kernel.shape)) * _positions(out_shape)


def train_flops(model) -> int:
    """One sample's training step: the forward matmuls, and twice as many backward."""
    return 3 * forward_flops(model)


# ---------------------------------------------------------------------------------------------
# The machine's limit
# ---------------------------------------------------------------------------------------------


def matmul_flops(sizes=(256, 512, 1024, 2048), seconds: float = 1.0) -> dict:
    """Dense float32 ``keras.ops.matmul`` FLOP/s of ``n x n`` matrices, the best of repeated calls."""
    rng = np.random.default_rng(0)
    out = {}
    for n in sizes:
        a = keras.ops.convert_to_tensor(rng.random((n, n), dtype=np.float32))
        b = keras.ops.convert_to_tensor(rng.random((n, n), dtype=np.float32))
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # warm-up
        best, began = math.inf, time.perf_counter()
        while time.perf_counter() - began < seconds:
            t = time.perf_counter()
            keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
            best = min(best, time.perf_counter() - t)
        out[n] = 2 * n**3 / best
    return out


# ---------------------------------------------------------------------------------------------
# Chapters' models at their full settings
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    chapter: int
    label: str
    build: object  # () -> uncompiled keras.Model
    loss: str
    batch_size: int


CASES = (
    Case(6, "LSTM(25) -> Dense(10), 5 x 10 one-hot",
         lambda: models.build_vanilla_lstm((5, 10), output_units=10, units=25),
         "categorical_crossentropy", 32),
    Case(7, "LSTM(20) -> LSTM(20) -> Dense(5), 50 steps",
         lambda: models.build_stacked_lstm((50, 1), output_units=5, units=(20, 20)), "mae", 128),
    Case(8, "TimeDistributed(Conv2D(2)) -> LSTM(50), 50 frames of 50 x 50",
         lambda: models.build_cnn_lstm((50, 50, 1), output_units=1, filters=2, units=50, timesteps=50),
         "binary_crossentropy", 32),
    Case(9, "encoder LSTM(75) -> decoder LSTM(50), 8 -> 2 characters",
         lambda: models.build_encoder_decoder_lstm((8, 12), output_timesteps=2, output_units=12,
                                                   encoder_units=75, decoder_units=50, unroll=True),
         "categorical_crossentropy", 32),
    Case(9, "harder setting: LSTM(128) -> LSTM(128), 11 -> 3 characters",
         lambda: models.build_encoder_decoder_lstm((11, 12), output_timesteps=3, output_units=12,
                                                   encoder_units=128, decoder_units=128),
         "categorical_crossentropy", 256),
    Case(10, "Bidirectional(LSTM(50)), 10 steps",
         lambda: models.build_bidirectional_lstm((10, 1), output_units=1, units=50, unroll=True),
         "binary_crossentropy", 128),
    Case(11, "LSTM(10) -> Dense(2), 1 step",
         lambda: models.build_generative_lstm((1, 2), output_units=2, units=10), "mae", 32),
)


def _random_batch(model, n: int, rng):
    x = rng.random((n, *model.inputs[0].shape[1:]), dtype=np.float32)
    y = rng.random((n, *model.outputs[0].shape[1:]), dtype=np.float32)
    return x, y


def measure_case(case: Case, seconds: float) -> dict:
    """Train ``case``'s model on random data for about ``seconds`` after a warm-up; its FLOP/s."""
    keras.utils.set_random_seed(0)
    model = case.build()
    model.compile(loss=case.loss, optimizer="adam", steps_per_execution=10)
    rng = np.random.default_rng(0)
    x, y = _random_batch(model, case.batch_size * 20, rng)
    model.fit(x, y, batch_size=case.batch_size, epochs=1, verbose=0)  # trace and compile
    samples, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        model.fit(x, y, batch_size=case.batch_size, epochs=1, verbose=0)
        samples += len(x)
    elapsed = time.perf_counter() - began
    flops = train_flops(model)
    return {"chapter": case.chapter, "label": case.label, "batch_size": case.batch_size,
            "train_flops_per_sample": flops, "samples_per_s": samples / elapsed,
            "flops_per_s": flops * samples / elapsed}


# ---------------------------------------------------------------------------------------------
# Ensembles against one-by-one training
# ---------------------------------------------------------------------------------------------


def _ch12_model(units=10, optimizer="adam", loss="mse"):
    inputs = keras.Input(shape=(1, 1))
    hidden = keras.layers.LSTM(units, unroll=True)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(loss=loss, optimizer=optimizer)
    return model


def _ch14_model():
    inputs = keras.Input(batch_shape=(1, 1, 1))
    hidden = keras.layers.LSTM(1, stateful=True, unroll=True)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(loss="mse", optimizer="adam")
    return model


def ensemble_cases(quick: bool) -> list:
    rng = np.random.default_rng(0)
    x12 = np.arange(0.0, 0.5, 0.1).reshape(5, 1, 1)
    y12 = x12[:, 0, 0] + 0.1
    x14, y14 = rng.uniform(-1, 1, (23, 1, 1)), rng.uniform(-1, 1, 23)
    scale = 0.05 if quick else 1.0
    ch12_fit = {"epochs": max(2, int(300 * scale))}  # the book's repeated-run setting
    return [
        ("ch12: 10 repeats of LSTM(10), 300 epochs, 5 samples", lambda: _ch12_model(10),
         [1000 + i for i in range(10)],
         x12, y12, ch12_fit),
        ("ch12: 1, 5, 10 cells x 10 repeats, 300 epochs", lambda k: _ch12_model((1, 5, 10)[k // 10]),
         [2000 + i for i in range(30)], x12, y12, ch12_fit),
        ("ch12: 5 repeats of LSTM(1), SGD and MAE (the capacity case), 300 epochs",
         lambda: _ch12_model(1, "sgd", "mae"), [3000 + i for i in range(5)], x12, y12,
         ch12_fit),
        ("ch12: 10 repeats of LSTM(10), batch 1 (the batch-size tuning), 300 epochs",
         lambda: _ch12_model(10), [4000 + i for i in range(10)], x12, y12,
         {**ch12_fit, "batch_size": 1}),
        ("ch14: 10 repeats of stateful LSTM(1), batch 1, 100 of the 500 base epochs", _ch14_model,
         [42 + i for i in range(10)], x14, y14,
         {"epochs": max(2, int(100 * scale)), "batch_size": 1, "reset_state": True}),
    ]


def measure_ensemble(label, build_fn, seeds, x, y, fit_args) -> dict:
    takes_index = training._takes(build_fn, 1)
    began = time.perf_counter()
    ensemble = training.Ensemble(build_fn, seeds)
    ensemble.fit(x, y, **fit_args)
    packed_s = time.perf_counter() - began
    members = ensemble.unpack()
    began = time.perf_counter()
    worst = 0.0
    for k, seed in enumerate(seeds):
        keras.utils.set_random_seed(seed)
        model = build_fn(k) if takes_index else build_fn()
        training.fit_epochs(model, x, y, **fit_args)
        worst = max(worst, max(float(np.abs(a - b).max())
                               for a, b in zip(model.get_weights(), members[k].get_weights(), strict=True)))
    alone_s = time.perf_counter() - began
    return {"label": label, "members": len(seeds), "ensemble_s": packed_s, "one_by_one_s": alone_s,
            "speedup": alone_s / packed_s, "max_weight_diff": worst}


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


def render(results: dict) -> str:
    peak = max(results["matmul"].values())
    sizes = ", ".join(f"{n}: {v / 1e9:.0f}" for n, v in results["matmul"].items())
    lines = [START, "", "## 5. Training throughput against the machine's matmul limit", "",
             f"Each model chapter's model at its full settings, trained on random data of its shapes "
             f"for {results['seconds']:g} s after a warm-up, on {results['backend']}. FLOPs are counted "
             "from the model's matmuls (2 per kernel weight per position it is applied at; a training "
             "step is 3 forward passes' worth). The machine's limit is dense float32 "
             f"`keras.ops.matmul` of square matrices: **{peak / 1e9:.0f} GFLOP/s** at best "
             f"(GFLOP/s by size: {sizes}).", ""]
    rows = [[f"{r['chapter']}", r["label"], f"{r['batch_size']}", f"{r['train_flops_per_sample'] / 1e6:.3g}",
             f"{r['samples_per_s']:,.0f}", f"{r['flops_per_s'] / 1e9:.2f}", f"{r['flops_per_s'] / peak:.1%}"]
            for r in results["cases"]]
    lines += markdown_table(["ch", "model", "batch", "MFLOP per sample (train)", "samples/s",
                             "GFLOP/s", "of the matmul limit"], rows)
    lines += ["", "The small recurrent models run far from the limit: each timestep is a matmul of a few "
              "dozen rows, and a step's time goes to the per-operation overhead of the backend, not to "
              "arithmetic. The wider the matmuls (chapter 9's harder setting, chapter 8's convolutions), "
              "the closer they get.", "",
              "## 6. Ensembles against training the members one by one", "",
              "`training.Ensemble` packs independent copies of a small model into one model with "
              "block-diagonal weights; each member takes exactly the steps it would take alone. Each row "
              "trains the same members (same seeds, epochs and batches) both ways; the last column is the "
              "largest weight difference between the two at the end.", ""]
    rows = [[r["label"], f"{r['members']}", f"{r['one_by_one_s']:.1f}", f"{r['ensemble_s']:.1f}",
             f"{r['speedup']:.1f}x", f"{r['max_weight_diff']:.1e}"] for r in results["ensembles"]]
    lines += markdown_table(["experiment", "members", "one by one (s)", "ensemble (s)", "speed-up",
                             "max weight difference"], rows)
    lines += ["", f"Machine: {results['machine']}. Versions: {results['versions']}. "
              f"Measured {results['when']}.", "", END]
    return "\n".join(lines)


def write_section(text: str, path: Path) -> Path:
    """``path`` with its throughput section replaced by ``text`` (appended if it has none)."""
    from lstmbook.persistence import write_atomic

    old = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    if START in old and END in old:
        new = old[:old.index(START)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, new)
    return path


def main(argv=None) -> int:
    from tqdm.auto import tqdm

    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny runs, to check it works")
    parser.add_argument("--output", default=None, help="the Markdown file (default docs/BENCHMARKS.md)")
    args = parser.parse_args(argv)
    output = Path(args.output) if args.output else ROOT / (
        "outputs/benchmarks/THROUGHPUT-quick.md" if args.quick else "docs/BENCHMARKS.md")
    seconds = 0.3 if args.quick else 3.0
    results = {"backend": keras.backend.backend(), "seconds": seconds, "machine": cpu_model(),
               "versions": ", ".join(f"{k} {v}" for k, v in versions().items()),
               "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    cases = ensemble_cases(args.quick)
    with tqdm(total=1 + len(CASES) + len(cases), desc="throughput") as bar:
        results["matmul"] = matmul_flops(sizes=(256, 512) if args.quick else (256, 512, 1024, 2048),
                                         seconds=0.2 if args.quick else 1.0)
        bar.update()
        results["cases"] = []
        for case in CASES:
            results["cases"].append(measure_case(case, seconds))
            bar.update()
        results["ensembles"] = []
        for case in cases:
            results["ensembles"].append(measure_ensemble(*case))
            bar.update()
    path = write_section(render(results), output)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
