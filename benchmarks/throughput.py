"""Training throughput against this machine's matmul limit, and ensembles against one-by-one training.

``python -m benchmarks.throughput [--quick] [--output FILE]`` (part of ``make bench``) measures:

5. **Throughput.** For each model chapter, its model at the chapter's full settings (the
   same builder, shapes and batch size, read from the chapter's source by
   ``benchmarks.common.chapter_settings``) is trained on random data of the chapter's shape
   for a few seconds after a warm-up, and its achieved training FLOP/s is counted from
   the model's matmuls: for every kernel, 2 FLOPs per weight per position it is applied
   at (every timestep of an LSTM, every frame and pixel of a convolution), times 3 for a
   training step (the forward pass, and the backward pass's two matmuls per forward one).
   Beside it, this machine's dense float32 matmul FLOP/s (``keras.ops.matmul`` of square
   matrices, the best size), and the ratio between them: how far from the hardware's
   limit each chapter trains.
6. **Ensembles.** Every ensemble the chapters train: chapter 10's variants side by side
   (``training.SideBySide``), chapter 12's repeats (``repeated_evaluation(ensemble=True)``)
   and chapter 14's (``training.Ensemble``). Each row times the packed run against the same
   members trained one after another (the same epochs, batches and seeds), and gives the
   largest difference between the two in weights, scores or forecasts.
   Their sizes, epochs and seeds come from the chapters' settings too.

The results replace the part of ``docs/BENCHMARKS.md`` between ``<!-- throughput -->`` and
``<!-- /throughput -->`` (added at the end if missing), so this runs on its own in a
couple of minutes without redoing the other comparisons. ``--quick`` times tiny runs into
``outputs/benchmarks/THROUGHPUT-quick.md``; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.common import ROOT, chapter_settings, cpu_model, markdown_table, versions  # noqa: E402
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
        if isinstance(layer.layer, keras.Model):  # a per-step model (chapter 8's CNN): once per step
            return forward_flops(layer.layer) * int(in_shape[1])
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


def model_cases() -> tuple:
    """Each model chapter's model, built with the chapter's settings (read from its source), as
    the chapter builds it (``unroll`` included), and its batch size."""
    from lstmbook.problems import addition_sequences

    ch6, ch7, ch8, ch9, ch10, ch11 = (chapter_settings(n) for n in (6, 7, 8, 9, 10, 11))

    def addition_shapes(largest):
        x, y = addition_sequences(1, n_terms=ch9["N_TERMS"], largest=largest, seed=0)
        return x.shape[1:], y.shape[1]

    (book_steps, characters), book_out = addition_shapes(ch9["LARGEST"])
    (hard_steps, _), hard_out = addition_shapes(ch9["HARD_LARGEST"])
    encoder, decoder, hard = ch9["ENCODER_UNITS"], ch9["DECODER_UNITS"], ch9["HARD_UNITS"]
    length, features, units6 = ch6["LENGTH"], ch6["N_FEATURES"], ch6["UNITS"]
    size, filters, units8, frames_per_call = ch8["SIZE"], ch8["FILTERS"], ch8["UNITS"], ch8["FRAMES_PER_CALL"]
    steps10, units10 = ch10["N_TIMESTEPS"], ch10["UNITS"]
    stacked = " -> ".join(f"LSTM({u})" for u in ch7["UNITS"])
    unroll = keras.backend.backend() != "jax"  # chapter 10's run.unroll
    return (
        Case(6, f"LSTM({units6}) -> Dense({features}), {length} x {features} one-hot",
             lambda: models.build_vanilla_lstm((length, features), output_units=features, units=units6,
                                               unroll=True),
             "categorical_crossentropy", ch6["BATCH_SIZE"]),
        Case(7, f"{stacked} -> Dense({ch7['N_OUT']}), {ch7['LENGTH']} steps",
             lambda: models.build_stacked_lstm((ch7["LENGTH"], 1), output_units=ch7["N_OUT"],
                                               units=ch7["UNITS"]),
             "mae", ch7["BATCH_SIZE"]),
        Case(8, f"TimeDistributed(Conv2D({filters})) -> LSTM({units8}), {size} frames of {size} x {size}",
             lambda: models.build_cnn_lstm((size, size, 1), output_units=1, filters=filters, units=units8,
                                           timesteps=size, pool_padding=ch8["POOL_PADDING"],
                                           frames_per_call=frames_per_call),
             "binary_crossentropy", ch8["BATCH_SIZE"]),
        Case(9, f"encoder LSTM({encoder}) -> decoder LSTM({decoder}), {book_steps} -> {book_out} characters",
             lambda: models.build_encoder_decoder_lstm((book_steps, characters), output_timesteps=book_out,
                                                       output_units=characters, encoder_units=encoder,
                                                       decoder_units=decoder, unroll=True),
             "categorical_crossentropy", ch9["BATCH_SIZE"]),
        Case(9, f"harder setting: LSTM({hard}) -> LSTM({hard}), {hard_steps} -> {hard_out} characters",
             lambda: models.build_encoder_decoder_lstm((hard_steps, characters), output_timesteps=hard_out,
                                                       output_units=characters, encoder_units=hard,
                                                       decoder_units=hard, unroll=True),
             "categorical_crossentropy", ch9["HARD_BATCH_SIZE"]),
        Case(10, f"Bidirectional(LSTM({units10})), {steps10} steps",
             lambda: models.build_bidirectional_lstm((steps10, 1), output_units=1, units=units10,
                                                     unroll=unroll),
             "binary_crossentropy", ch10["BATCH_SIZE"]),
        Case(11, f"LSTM({ch11['UNITS']}) -> Dense(2), 1 step",
             lambda: models.build_generative_lstm((1, 2), output_units=2, units=ch11["UNITS"], unroll=True),
             "mae", ch11["BATCH_SIZE"]),
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


def _ch12_model(units):
    """Chapter 12's LSTM on its one-step inputs (uncompiled, as ``repeated_evaluation`` takes it)."""
    inputs = keras.Input(shape=(1, 1))
    hidden = keras.layers.LSTM(units, unroll=True)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(hidden))


def _ch14_model(units, batch_size):
    inputs = keras.Input(batch_shape=(batch_size, 1, 1))
    hidden = models.StatefulLSTM(units, unroll=True)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(loss="mse", optimizer="adam")
    return model


def _largest_difference(a_arrays, b_arrays) -> float:
    return max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
               for a, b in zip(a_arrays, b_arrays, strict=True))


def _timed(fn):
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def _row(label, members, ensembles, alone, packed, compared) -> dict:
    """Time ``packed()`` then ``alone()`` (the first run of a process pays for its warm-up, so the
    speed-up errs low), and compare what they return: lists of arrays."""
    packed_s, packed_out = _timed(packed)
    alone_s, alone_out = _timed(alone)
    return {"label": label, "members": members, "ensembles": ensembles, "one_by_one_s": alone_s,
            "ensemble_s": packed_s, "speedup": alone_s / packed_s,
            "max_diff": _largest_difference(alone_out, packed_out), "compared": compared}


def _repeats_case(label, configs, *, epochs, x, y, validation_data, compile_kwargs=None,
                  validation_every=1) -> dict:
    """Chapter 12: ``repeated_evaluation`` of each ``(build_fn, n_repeats, seed, batch_size)``
    configuration, one run after another and as one ensemble per configuration, as the chapter
    trains them. Compared: every run's score (its final validation loss), the chapter's result."""
    from lstmbook import diagnostics

    def scores(ensemble):
        return np.concatenate([diagnostics.repeated_evaluation(
            build_fn, n, x, y, epochs=epochs, validation_data=validation_data, batch_size=batch,
            compile_kwargs=compile_kwargs, validation_every=validation_every, seed=seed,
            progress=False, ensemble=ensemble).scores for build_fn, n, seed, batch in configs])

    return _row(label, sum(c[1] for c in configs), len(configs), lambda: [scores(False)],
                lambda: [scores(True)], "validation loss")


def _ch12_cases(quick: bool, seed: int = 42) -> list:
    """Every ensemble Chapter 12 trains, with its settings and its seeds at ``seed`` (``quick``:
    a few epochs each).

    At seed 42: the repeated case 46 on, robustness 142 on, the tuning runs 1042 on (cells)
    and 6042 on (batch sizes), 100 apart per configuration."""
    ch = chapter_settings(12)
    x = np.arange(0.0, 0.5, 0.1).reshape(5, 1, 1)
    x_val = np.arange(0.5, 1.0, 0.1).reshape(5, 1, 1)
    data = {"x": x, "y": x[:, 0, 0] + 0.1, "validation_data": (x_val, x_val[:, 0, 0] + 0.1)}
    units, small_units, cases = ch["UNITS"], ch["SMALL_UNITS"], ch["CASES"]
    repeats, long_ = (ch["REPEATED_EPOCHS"], cases["overfit"][3]) if not quick else (6, 12)
    capacity, tuning = (cases["underfit_capacity"][3], ch["TUNE_EPOCHS"]) if not quick else (6, 6)
    _, optimizer, loss, *_ = cases["underfit_capacity"]
    runs, robust, tune_runs = ch["REPEATED_RUNS"], ch["ROBUSTNESS_SEEDS"], ch["TUNE_REPEATS"]
    robust_seed, tune_seed = seed + ch["ROBUSTNESS_SEED_OFFSET"], seed + ch["TUNE_SEED_OFFSET"]
    stride, batch_seed = ch["TUNE_CONFIG_STRIDE"], tune_seed + ch["TUNE_BATCH_OFFSET"]
    model = functools.partial(_ch12_model, units)
    cells = [(functools.partial(_ch12_model, u), tune_runs, tune_seed + stride * i, None)
             for i, u in enumerate(ch["TUNE_CELLS"])]
    batches = [(model, tune_runs, batch_seed + stride * i, b) for i, b in enumerate(ch["TUNE_BATCH_SIZES"])]

    def listed(values):
        return ", ".join(map(str, values[:-1])) + f" and {values[-1]}"

    return [
        lambda: _repeats_case(f"ch12: the repeated case, {runs} runs of LSTM({units}), {repeats} epochs",
                              [(model, runs, seed + len(cases), None)], epochs=repeats, **data),
        lambda: _repeats_case(f"ch12: robustness, {robust} runs of LSTM({units}), {long_} epochs",
                              [(model, robust, robust_seed, None)], epochs=long_, **data),
        lambda: _repeats_case(f"ch12: robustness, {robust} runs of LSTM({small_units}) with "
                              f"{optimizer.upper()} and {loss.upper()}, {capacity} epochs",
                              [(functools.partial(_ch12_model, small_units), robust, robust_seed, None)],
                              epochs=capacity, compile_kwargs={"optimizer": optimizer, "loss": loss}, **data),
        lambda: _repeats_case(f"ch12: tuning {listed(ch['TUNE_CELLS'])} cells, {tune_runs} runs each, "
                              f"{tuning} epochs", cells, epochs=tuning, validation_every=tuning, **data),
        lambda: _repeats_case(f"ch12: tuning batch {listed(ch['TUNE_BATCH_SIZES'])}, {tune_runs} runs each, "
                              f"{tuning} epochs", batches, epochs=tuning, validation_every=tuning, **data),
    ]


def _ch10_case(quick: bool) -> dict:
    """Chapter 10's six variants, ``SideBySide`` against each fitted alone (same seed, batches)."""
    from lstmbook.models import MERGE_MODES
    from lstmbook.problems import cumulative_sum_sequences

    ch = chapter_settings(10)
    timesteps, units, batch, rate = ch["N_TIMESTEPS"], ch["UNITS"], ch["BATCH_SIZE"], ch["LEARNING_RATE"]
    n, epochs, per_call = (256, 1, 1) if quick else (ch["N_TRAIN"], 2, ch["STEPS_PER_EXECUTION"])
    x, y = cumulative_sum_sequences(n, n_timesteps=timesteps, seed=42)
    unroll = keras.backend.backend() != "jax"  # as the chapter's run.unroll

    def build(variant):
        if variant in ("forward", "backward"):
            return models.build_vanilla_lstm((timesteps, 1), output_units=1, units=units,
                                             output_activation="sigmoid",
                                             return_sequences=True, go_backwards=variant == "backward",
                                             unroll=unroll, name=variant)
        mode = variant.removeprefix("bidirectional_")
        return models.build_bidirectional_lstm((timesteps, 1), output_units=1, units=units, unroll=unroll,
                                               merge_mode=mode, name=variant)

    variants = ("forward", "backward", *(f"bidirectional_{mode}" for mode in MERGE_MODES))
    decay_steps = epochs * math.ceil(n / batch)  # the chapter's cosine decay, over this row's epochs

    def optimizer():
        return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(rate, decay_steps))

    fit = {"epochs": epochs, "batch_size": batch, "shuffle": False, "verbose": 0}

    def alone():
        weights = []
        for variant in variants:
            keras.utils.set_random_seed(42)
            model = build(variant)
            model.compile(loss="binary_crossentropy", optimizer=optimizer(), steps_per_execution=per_call)
            model.fit(x, y, **fit)
            weights += model.get_weights()
        return weights

    def together():
        members = []
        for variant in variants:
            keras.utils.set_random_seed(42)
            members.append(build(variant))
        packed = training.SideBySide(members, loss="binary_crossentropy", optimizer=optimizer(),
                                     steps_per_execution=per_call)
        packed.fit(x, y, **fit)
        return [w for variant in variants for w in packed.members[variant].get_weights()]

    return _row(f"ch10: the {len(variants)} variants, LSTM({units}) or Bidirectional, {n:,} sequences, "
                f"batch {batch}, {epochs} of the {ch['EPOCHS']} epochs", len(variants), 1, alone, together,
                "weights")


def _ch14_cases(quick: bool) -> list:
    """Chapter 14's base ensemble (a fifth of its epochs) and one update strategy's walk forward,
    on random data of its shapes: 36 months of sales make 35 differences, the last months the test."""
    ch = chapter_settings(14)
    months, batch = ch["TEST_MONTHS"], ch["BATCH_SIZE"]
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, (35 - months, 1, 1)), rng.uniform(-1, 1, 35 - months)
    x_test, y_test = rng.uniform(-1, 1, (months, 1, 1)), rng.uniform(-1, 1, months)
    seeds = [42 + i for i in range(2 if quick else ch["REPEATS"])]
    total = ch["BASE_EPOCHS"]
    base_epochs, update_epochs = (3, 2) if quick else (total // 5, ch["UPDATE_EPOCHS"][1])
    fit = {"epochs": base_epochs, "batch_size": batch, "reset_state": True}
    build = functools.partial(_ch14_model, ch["UNITS"], batch)

    def base_alone():
        weights = []
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            model = build()
            training.fit_epochs(model, x, y, **fit)
            weights += model.get_weights()
        return weights

    def base_together():
        ensemble = training.Ensemble(build, seeds)
        ensemble.fit(x, y, **fit)
        return [w for member in ensemble.unpack() for w in member.get_weights()]

    update = training.refit_update(update_epochs, batch_size=batch)

    def walk_alone():
        forecasts = []
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            forecasts.append(training.walk_forward_validation(build(), x, y, x_test, y_test=y_test,
                                                              update=update))
        return [np.ravel(f) for f in forecasts]

    def walk_together():
        ensemble = training.Ensemble(build, seeds)
        packed = training.walk_forward_validation(ensemble.model, x, ensemble.targets(y), x_test,
                                                  y_test=ensemble.targets(y_test), update=update)
        return [np.ravel(f) for f in ensemble.split(packed)]

    n = len(seeds)
    return [
        lambda: _row(f"ch14: the base models, {n} repeats of stateful LSTM({ch['UNITS']}), batch {batch}, "
                     f"{base_epochs} of the {total} epochs", n, 1, base_alone, base_together, "weights"),
        lambda: _row(f"ch14: one update strategy, {n} repeats walking forward over {months} months, refit "
                     f"{update_epochs} epochs after each", n, 1, walk_alone, walk_together,
                     "forecasts"),
    ]


def ensemble_cases(quick: bool) -> list:
    """Every ensemble the chapters train: each a function that returns its row."""
    return [lambda: _ch10_case(quick), *_ch12_cases(quick), *_ch14_cases(quick)]


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
              "Every ensemble the chapters train, at the chapter's settings (where a row says so, a part "
              "of its epochs): chapter 10's six variants in one `training.SideBySide`, chapter 12's "
              "repeats with `repeated_evaluation(..., ensemble=True)` (one `training.Ensemble` per "
              "configuration, as the chapter does) and chapter 14's repeats as one `training.Ensemble`. "
              "Each row trains the same members, with the same seeds, epochs and batches, one after "
              "another and packed; the last column is the largest difference between the two in what "
              "the row compares: the weights at the end, the runs' final validation losses, or the "
              "forecasts. Chapter 14's walk forward starts from untrained models here.", ""]
    rows = [[r["label"], f"{r['members']}", f"{r['ensembles']}", f"{r['one_by_one_s']:.1f}",
             f"{r['ensemble_s']:.1f}", f"{r['speedup']:.1f}x", r["compared"], f"{r['max_diff']:.1e}"]
            for r in results["ensembles"]]
    lines += markdown_table(["experiment", "members", "ensembles", "one by one (s)", "packed (s)",
                             "speed-up", "compared", "largest difference"], rows)
    alone = sum(r["one_by_one_s"] for r in results["ensembles"])
    packed = sum(r["ensemble_s"] for r in results["ensembles"])
    if packed:
        lines += ["", f"All these together: {alone:.0f} s one by one, {packed:.0f} s packed, "
                  f"{alone / packed:.1f}x."]
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
    models_ = model_cases()
    with tqdm(total=1 + len(models_) + len(cases), desc="throughput") as bar:
        results["matmul"] = matmul_flops(sizes=(256, 512) if args.quick else (256, 512, 1024, 2048),
                                         seconds=0.2 if args.quick else 1.0)
        bar.update()
        results["cases"] = []
        for case in models_:
            results["cases"].append(measure_case(case, seconds))
            bar.update()
        results["ensembles"] = []
        for case in cases:
            results["ensembles"].append(case())
            bar.update()
    path = write_section(render(results), output)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
