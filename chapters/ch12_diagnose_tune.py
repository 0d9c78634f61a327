"""Chapter 12: How to Diagnose and Tune LSTMs.

Description: read learning curves as underfit, good fit or overfit; then tune cells and batch size.
Book: an LSTM(10) learns X 0.0…0.4 -> y 0.1…0.5, validated on X 0.5…0.9 -> y 0.6…1.0.
Its learning curves show five cases: underfit (100 epochs), underfit by capacity
(LSTM(1), SGD, MAE, 300 epochs), a good fit (800 epochs), overfit (1,200 epochs, plotted
from epoch 500) and five repeated runs of 300 epochs that all underfit. The book then
advises tuning memory cells and batch size with repeated runs compared in box plots.
Here each case is trained for real and diagnosed by ``lstmbook.diagnostics.diagnose``;
all five match the book (``diagnoses_correct`` = 1.0, target 1.0). The same rules on
five more seeds of every case match 23 of 25 (``diagnoses_correct_across_seeds`` = 0.92):
one seed learns slower, is still underfit at 800 epochs and has overfit for only 22% of
the run at 1,200. Tuning, ten runs each, 300 epochs: 1, 5 and 10 cells reach mean final
validation losses 0.208, 0.149 and 0.080, so more cells do lower it
(``more_cells_lower_val_loss`` = true); batch sizes 1, 2 and 3 reach 0.0013, 0.0072 and
0.053, because a smaller batch makes more updates per epoch.

Run it with ``make ch12`` or ``python -m chapters.ch12_diagnose_tune [--quick]``.
"""

# %% [markdown]
# ## Setup

# %%
import functools

import keras
import matplotlib.pyplot as plt
import numpy as np

from lstmbook import diagnostics
from lstmbook.chapter import Chapter
from lstmbook.training import fit_epochs

CHAPTER = Chapter(
    12, "diagnose_tune", "How to Diagnose and Tune LSTMs",
    book="learning curves of 5 cases: underfit, underfit (capacity), good fit, overfit, 5 underfit runs",
    targets={"diagnoses_correct": (">=", 1.0)},
    main_figure="cases.png",
)

UNITS = 10  # the book's LSTM(10)
SMALL_UNITS = 1  # the under-provisioned LSTM(1) of the capacity case
# The book's five cases: (units, optimizer, loss, full epochs, quick epochs, first epoch plotted, book's verdict)
CASES = {
    "underfit": (UNITS, "adam", "mse", 100, 10, 1, "underfit"),
    "underfit_capacity": (SMALL_UNITS, "sgd", "mae", 300, 15, 1, "underfit"),
    "good_fit": (UNITS, "adam", "mse", 800, 40, 1, "good fit"),
    "overfit": (UNITS, "adam", "mse", 1200, 60, 500, "overfit"),
}
REPEATED_RUNS = (5, 2)  # (full, quick) runs of the repeated case
REPEATED_EPOCHS = (300, 15)
REPEATED_VERDICT = "underfit"  # the book: "the general trend of underfitting holds across 5 runs"
QUICK_PLOT_FROM = 25  # the overfit case's first plotted epoch in a quick run

# extra code - not in the book: the same cases on more seeds, to show the rules are not tuned to one
ROBUSTNESS_SEEDS = (5, 1)
ROBUSTNESS_SEED_OFFSET = 100

TUNE_CELLS = ((1, 5, 10), (1, 10))  # (full, quick) memory cells compared
TUNE_BATCH_SIZES = ((1, 2, 3), (1, 2))  # (full, quick) batch sizes compared (5 training samples)
TUNE_REPEATS = (10, 1)  # (full, quick) runs per configuration
TUNE_EPOCHS = (300, 10)  # (full, quick) epochs per run: the book's repeated-run setting
TUNE_SEED_OFFSET = 1000  # seeds of the tuning runs start here (above the cases' seeds) ...
TUNE_CONFIG_STRIDE = 100  # ... and each configuration's runs this far apart
TUNE_BATCH_OFFSET = 5000  # the batch-size runs start this far above the cells runs
JOBS = (2, 1)  # (full, quick) worker processes for repeated runs


# %% [markdown]
# ## Prepare data
#
# Five training pairs and five validation pairs: each value predicts the value 0.1 above
# it. One timestep and one feature per sample, so `X` is `(5, 1, 1)`.


# %%
def get_train():
    seq = np.array([[0.0, 0.1], [0.1, 0.2], [0.2, 0.3], [0.3, 0.4], [0.4, 0.5]])
    return seq[:, 0].reshape(len(seq), 1, 1), seq[:, 1]


def get_val():
    seq = np.array([[0.5, 0.6], [0.6, 0.7], [0.7, 0.8], [0.8, 0.9], [0.9, 1.0]])
    return seq[:, 0].reshape(len(seq), 1, 1), seq[:, 1]


# %% [markdown]
# ## Build the model
#
# The book's `LSTM(10)` and linear `Dense(1)`. With one timestep there is nothing to
# loop over, so the LSTM is unrolled (`unroll=True`): the same equations, without the
# symbolic loop's overhead.


# %%
def build_model(units: int = UNITS) -> keras.Model:
    inputs = keras.Input(shape=(1, 1), name="inputs")
    hidden = keras.layers.LSTM(units, unroll=True, name="lstm")(inputs)
    outputs = keras.layers.Dense(1, activation="linear", name="output")(hidden)
    return keras.Model(inputs, outputs, name=f"lstm_{units}")


# %% [markdown]
# ## Train: the five cases
#
# Each case is one training run with validation data, `shuffle=False` and the book's
# full batch (Keras's default batch of 32 holds all 5 samples). `fit_epochs` makes
# exactly the updates `model.fit(..., epochs=1200)` makes; it just avoids building a new
# data iterator for each of the 1,200 epochs, which is where `fit` spends its time on
# five samples.


# %%
def train_case(run, name: str, offset: int) -> dict:
    units, optimizer, loss, full, quick, _, _ = CASES[name]
    X, y = get_train()
    run.seed_everything(offset)
    model = build_model(units)
    model.compile(optimizer=optimizer, loss=loss)
    return fit_epochs(model, X, y, epochs=run.epochs(full, quick), validation_data=get_val(),
                      verbose=run.fit_verbose, callbacks=run.callbacks(name))


def repeated_case(run, runs: int, epochs: int, seed: int, jobs: int):
    X, y = get_train()
    return diagnostics.repeated_evaluation(build_model, runs, X, y, epochs=epochs, validation_data=get_val(),
                                           seed=seed, jobs=jobs, desc="repeated runs")


# %% [markdown]
# ## Evaluate: diagnose each case
#
# `diagnose` reads the curves the way the chapter does: still falling at the end means
# underfit; flat curves with a high training loss mean underfit by capacity; a
# validation loss that bottomed out long ago and keeps rising while the training loss
# falls means overfit; flat curves close together mean a good fit. Its thresholds are
# documented in `lstmbook.diagnostics`.


# %%
def plot_case(run, name: str, history, book: str, start: int, ax=None):
    return diagnostics.plot_learning_curves(history, None if ax is not None else run, ax=ax,
                                            name=f"case_{name}.png", start_epoch=start,
                                            title=f"{name.replace('_', ' ')} (book: {book})")


def diagnose_cases(run) -> tuple[dict, dict]:
    histories, table = {}, {}
    for offset, name in enumerate(CASES):
        histories[name] = train_case(run, name, offset)
        verdict = diagnostics.diagnose(histories[name])
        table[name] = {"book": CASES[name][6], "diagnosed": verdict.label, "reason": verdict.reason,
                       "epochs": len(histories[name]["loss"])}
    runs, epochs = run.pick(*REPEATED_RUNS), run.epochs(*REPEATED_EPOCHS)
    repeated = repeated_case(run, runs, epochs, run.seed + len(CASES), run.pick(*JOBS))
    histories["repeated_runs"] = repeated.histories
    verdict = diagnostics.diagnose_runs(repeated.histories)
    table["repeated_runs"] = {"book": REPEATED_VERDICT, "diagnosed": verdict.label, "reason": verdict.reason,
                              "epochs": epochs}
    for name, row in table.items():
        mark = "ok " if row["diagnosed"] == row["book"] else "MISS"
        run.log(f"{mark} {name:18s} book: {row['book']:8s} diagnosed: {row['diagnosed']:8s} ({row['reason']})")

    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for ax, name in zip(axes.flat, histories, strict=False):
        start = run.pick(CASES[name][5], min(CASES[name][5], QUICK_PLOT_FROM)) if name in CASES else 1
        plot_case(run, name, histories[name], table[name]["book"], start)  # one PNG per case ...
        plot_case(run, name, histories[name], table[name]["book"], start, ax=ax)  # ... and the grid
    axes.flat[-1].axis("off")
    fig.suptitle("Chapter 12: the book's five learning-curve cases, diagnosed")
    fig.tight_layout()
    run.save_figure(fig, "cases.png")
    return table, histories


# %% [markdown]
# ## Beyond the book: the same rules on more seeds
#
# Extra code: one seed could get lucky. Each extra seed trains the LSTM(10) for 1,200
# epochs and the LSTM(1) capacity model for 300. The first 100, 800 and 1,200 epochs of
# a 1,200-epoch run *are* the 100-, 800- and 1,200-epoch runs with that seed (Adam has
# no schedule that depends on the total), so one run gives the underfit, good-fit and
# overfit cases, and its first 300 epochs one of the repeated runs.


# %%
def robustness(run) -> tuple[dict, list]:
    X, y = get_train()
    seeds, jobs = run.pick(*ROBUSTNESS_SEEDS), run.pick(*JOBS)
    seed = run.seed + ROBUSTNESS_SEED_OFFSET
    long_epochs = run.epochs(CASES["overfit"][3], CASES["overfit"][4])
    long_runs = diagnostics.repeated_evaluation(build_model, seeds, X, y, epochs=long_epochs,
                                                validation_data=get_val(), seed=seed, jobs=jobs,
                                                desc="robustness, LSTM(10)")
    _, optimizer, loss, full, quick, _, book = CASES["underfit_capacity"]
    small = functools.partial(build_model, SMALL_UNITS)
    capacity_runs = diagnostics.repeated_evaluation(small, seeds, X, y, epochs=run.epochs(full, quick),
                                                    validation_data=get_val(),
                                                    compile_kwargs={"optimizer": optimizer, "loss": loss},
                                                    seed=seed, jobs=jobs, desc="robustness, LSTM(1)")
    rows = []
    for run_seed, history in zip(long_runs.seeds, long_runs.histories, strict=True):
        cuts = {name: (run.epochs(CASES[name][3], CASES[name][4]), CASES[name][6])
                for name in ("underfit", "good_fit", "overfit")}
        cuts["repeated_runs"] = (run.epochs(*REPEATED_EPOCHS), REPEATED_VERDICT)
        for name, (cut, expected) in cuts.items():
            part = {key: history[key][:cut] for key in ("loss", "val_loss")}
            rows.append({"seed": run_seed, "case": name, "book": expected,
                         "diagnosed": diagnostics.diagnose(part).label})
    rows += [{"seed": s, "case": "underfit_capacity", "book": book, "diagnosed": diagnostics.diagnose(h).label}
             for s, h in zip(capacity_runs.seeds, capacity_runs.histories, strict=True)]
    matched = sum(row["diagnosed"] == row["book"] for row in rows)
    run.log(f"the same rules on {seeds} more seed(s): {matched}/{len(rows)} diagnoses match the book")
    for row in rows:
        if row["diagnosed"] != row["book"]:
            run.log(f"  seed {row['seed']}, {row['case']}: book {row['book']}, diagnosed {row['diagnosed']}")
    return {"diagnoses_correct_across_seeds": matched / len(rows), "robustness_checks": len(rows)}, rows


# %% [markdown]
# ## Tune: memory cells and batch size, with repeats
#
# Section 12.3: a single run says little, so every configuration is trained
# `TUNE_REPEATS` times with different seeds and the final validation losses are
# compared as box plots. The runs go to `JOBS` worker processes.


# %%
def tune(run, label: str, values, build_fn_for, batch_size_for, seed: int) -> dict:
    X, y = get_train()
    results = {}
    for i, value in enumerate(values):
        results[value] = diagnostics.repeated_evaluation(
            build_fn_for(value), run.pick(*TUNE_REPEATS), X, y, epochs=run.epochs(*TUNE_EPOCHS),
            validation_data=get_val(), batch_size=batch_size_for(value), seed=seed + TUNE_CONFIG_STRIDE * i,
            jobs=run.pick(*JOBS), desc=f"{label}={value}")
        s = results[value].summary
        run.log(f"{label}={value}: validation loss mean {s['mean']:.5f}, std {s['std']:.5f}, "
                f"min {s['min']:.5f}, max {s['max']:.5f} ({results[value].seconds:.1f} s)")
    return results


def tuning(run) -> tuple[dict, dict]:
    base = run.seed + TUNE_SEED_OFFSET
    cells = tune(run, "cells", run.pick(*TUNE_CELLS), lambda u: functools.partial(build_model, u),
                 lambda u: None, base)
    batches = tune(run, "batch_size", run.pick(*TUNE_BATCH_SIZES), lambda b: build_model,
                   lambda b: b, base + TUNE_BATCH_OFFSET)
    diagnostics.plot_boxplots({f"{u} cell{'s' * (u != 1)}": r for u, r in cells.items()}, run, name="tuning_cells.png",
                              title=f"Memory cells: final validation loss over {run.pick(*TUNE_REPEATS)} runs")
    diagnostics.plot_boxplots({f"batch {b}": r for b, r in batches.items()}, run,
                              name="tuning_batch_size.png",
                              title=f"Batch size: final validation loss over {run.pick(*TUNE_REPEATS)} runs")
    means = [cells[u].summary["mean"] for u in sorted(cells)]
    holds = bool(all(a > b for a, b in zip(means, means[1:], strict=False)))
    run.log(f"more cells lower the validation loss: {'yes' if holds else 'no'} "
            f"(means {', '.join(f'{m:.5f}' for m in means)} for {sorted(cells)} cells)")
    table = {f"cells_{u}": r.summary for u, r in cells.items()}
    table.update({f"batch_size_{b}": r.summary for b, r in batches.items()})
    metrics = {f"cells_{u}_val_loss": r.summary["mean"] for u, r in cells.items()}
    metrics.update({f"batch_size_{b}_val_loss": r.summary["mean"] for b, r in batches.items()})
    metrics["more_cells_lower_val_loss"] = holds
    return metrics, table


# %% [markdown]
# ## Run the chapter


# %%
def main(argv=None) -> dict:
    run = CHAPTER.start(argv)
    run.log("--- the five cases ---")
    cases, _ = diagnose_cases(run)
    correct = sum(row["diagnosed"] == row["book"] for row in cases.values()) / len(cases)
    run.log("--- robustness ---")
    robust, robust_rows = robustness(run)
    run.log("--- tuning ---")
    tuned, tuning_table = tuning(run)
    metrics = {"diagnoses_correct": correct, **robust, **tuned}
    return run.finish(metrics, cases=cases, robustness=robust_rows, tuning=tuning_table,
                      thresholds={name: getattr(diagnostics, name) for name in (
                          "TAIL_FRACTION", "FALLING_FRACTION", "HIGH_TRAIN_FRACTION", "PATIENCE_FRACTION",
                          "RISE_FRACTION", "CLOSE_FRACTION")})


if __name__ == "__main__":
    main()
