"""Learning curves, the underfit / good fit / overfit diagnosis, and repeated runs (Chapter 12).

The book reads a model's health off its learning curves, the training and validation loss
per epoch:

- **underfit**: the loss is still falling when training stops, or the training loss itself
  stays high (the model lacks the capacity to fit even the training data);
- **overfit**: the validation loss has turned up, and kept rising for a good part of the
  run, while the training loss kept falling;
- **good fit**: both losses have flattened out, close together.

``diagnose`` applies those rules with the thresholds below. Every threshold is a
fraction, so it does not depend on the loss's units: "height" means the height of the
learning-curve plot, the larger of the first training and validation losses, and "the end"
means the last ``TAIL_FRACTION`` of the epochs. They were set halfway between what the
book's five cases look like on nine seeds of real training runs; the patience was then
widened from 25% to 45% on 210 seeds of each backend. How long an LSTM(10) takes to learn
the book's five points depends on its initial weights (its best validation loss falls
anywhere from epoch 548 to 936 on TensorFlow, 586 to 1,043 on JAX), and at 25% one seed in
twenty was called overfit, or still underfit, at the good-fit length. At 45%, with Chapter
12's case lengths (100, 300, 900 and 2,200 epochs), all 840 diagnoses of those runs match
the book on each backend. Chapter 12 repeats the check on five more seeds in every run.

``repeated_evaluation`` trains a model several times with different seeds (in parallel
processes with ``jobs=N``, or on a Dask cluster inside ``on_cluster``) and summarises
the scores; ``plot_boxplots`` compares several configurations' scores side by side.

Introduced in Chapter 12.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from lstmbook import _checks

__all__ = [
    "Diagnosis",
    "curve_measures",
    "diagnose",
    "diagnose_runs",
    "plot_learning_curves",
    "plot_boxplots",
    "RepeatedResult",
    "repeated_evaluation",
    "run_repeats",
    "connect_cluster",
    "on_cluster",
]

#: "The end of training": the last 10% of the epochs (at least 2 of them).
TAIL_FRACTION = 0.10
#: Still falling: a loss drops by more than 0.7% of the plot's height over the end of training.
FALLING_FRACTION = 0.007
#: Training loss still high: above 10% of the first epoch's training loss.
HIGH_TRAIN_FRACTION = 0.10
#: Overfit: the best validation loss lies more than 45% of the epochs before the end
#: (an early stop with that patience would have fired) ...
PATIENCE_FRACTION = 0.45
#: ... and the validation loss has since risen more than 10% above that best.
RISE_FRACTION = 0.10
#: Good fit: the final training and validation losses lie within 2% of the plot's height.
CLOSE_FRACTION = 0.02

LABELS = ("underfit", "good fit", "overfit")


class Diagnosis(NamedTuple):
    """What ``diagnose`` returns: ``label`` ("underfit", "good fit" or "overfit") and ``reason``.

    Introduced in Chapter 12.
    """

    label: str
    reason: str


# ---------------------------------------------------------------------------------------------
# Reading a history
# ---------------------------------------------------------------------------------------------


def _epochs(values, key: str) -> np.ndarray:
    """``history[key]`` as ints, checked: whole numbers, strictly increasing (oldest first)."""
    epochs = _checks.as_numbers(values, f"history[{key!r}]", ndims=(1,))
    if (epochs % 1 != 0).any() or (np.diff(epochs) <= 0).any():
        raise ValueError(f"history[{key!r}] must hold whole epoch numbers in increasing order, one per "
                         f"loss, oldest first. Received: history[{key!r}]={epochs.tolist()[:10]}")
    return epochs.astype(int)


def _curves(history) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(epochs, train_loss, val_loss)`` aligned on the epochs that have a validation loss.

    Accepts a ``keras.callbacks.History``, its ``.history`` dict, or the dict that
    ``lstmbook.training.fit_epochs`` returns (with ``"val_epoch"`` when validation ran
    every few epochs).
    """
    record = getattr(history, "history", history)
    if not isinstance(record, dict):
        raise TypeError(f"history must be a keras History or a dict of per-epoch lists. "
                        f"Received: history of type {type(history).__name__}")
    missing = [key for key in ("loss", "val_loss") if key not in record]
    if missing:
        raise ValueError(f"history must hold 'loss' and 'val_loss' (train with validation data). "
                         f"Received: history with keys {sorted(record)}")
    # NaN or infinity in a loss means the training diverged: refused here, named.
    loss, val = (_checks.as_numbers(record[key], f"history[{key!r}]", ndims=(1,))
                 for key in ("loss", "val_loss"))
    epochs = _epochs(record.get("epoch", np.arange(1, len(loss) + 1)), "epoch")
    if len(epochs) != len(loss):
        raise ValueError(f"history['epoch'] must match history['loss'] in length. Received: "
                         f"{len(epochs)} and {len(loss)}")
    if len(val) != len(loss):
        if "val_epoch" not in record:
            raise ValueError(f"history['val_loss'] ({len(val)} values) must match history['loss'] "
                             f"({len(loss)}), or come with history['val_epoch']. "
                             f"Received: keys {sorted(record)}")
        val_epochs = _epochs(record["val_epoch"], "val_epoch")
        if len(val_epochs) != len(val) or not np.isin(val_epochs, epochs).all():
            raise ValueError("history['val_epoch'] must list an epoch of history['epoch'] for each "
                             "validation loss. Received: mismatched lists")
        loss = loss[np.searchsorted(epochs, val_epochs)]
        epochs = val_epochs
    if len(loss) < 3:
        raise ValueError(f"history must cover at least 3 epochs to be diagnosed. "
                         f"Received: {len(loss)} epoch(s)")
    return epochs, loss, val


def curve_measures(history) -> dict:
    """The numbers ``diagnose`` decides on, as fractions of the plot's height.

    Introduced in Chapter 12.

    Args:
        history: a ``keras.callbacks.History`` or a dict with ``"loss"`` and ``"val_loss"``.

    Returns:
        A dict: ``height`` (the larger first loss), ``train_drop`` and ``val_drop`` (how
        much each loss fell over the end of training, divided by the height),
        ``train_remaining`` (final over first training loss), ``since_best`` (the fraction
        of epochs after the best validation loss), ``rise`` (final over best validation
        loss, minus 1), ``train_fell_after_best`` (bool) and ``gap`` (final validation
        minus training loss, over the height).

    The fractions are of the height above zero, so the losses must not be negative (mean
    squared or absolute error, cross-entropy); a loss that can go below zero, such as
    Keras's ``cosine_similarity``, is refused rather than measured wrongly.

    Examples:
        >>> m = curve_measures({"loss": [1.0, 0.5, 0.2, 0.1], "val_loss": [1.0, 0.6, 0.3, 0.2]})
        >>> round(m["gap"], 3), round(m["val_drop"], 3)
        (0.1, 0.1)
    """
    epochs, loss, val = _curves(history)
    for key, values in (("loss", loss), ("val_loss", val)):
        if values.min() < 0:
            raise ValueError(f"history[{key!r}] must not be negative: the measures are fractions of the "
                             f"curves' height above zero. Received: history[{key!r}] with minimum "
                             f"{float(values.min()):.6g}")
    n = len(loss)
    tail = max(2, int(round(TAIL_FRACTION * n)))
    height = max(loss[0], val[0], np.finfo(float).tiny)
    best = int(np.argmin(val))
    return {
        "epochs": int(epochs[-1]),
        "height": float(height),
        "train_drop": float((loss[-tail] - loss[-1]) / height),
        "val_drop": float((val[-tail] - val[-1]) / height),
        "train_remaining": float(loss[-1] / loss[0]) if loss[0] > 0 else 0.0,
        "since_best": float((n - 1 - best) / n),
        "best_epoch": int(epochs[best]),
        "rise": float(val[-1] / val[best] - 1.0) if val[best] > 0 else float(val[-1] > 0),
        "train_fell_after_best": bool(loss[-1] < loss[best]),
        "gap": float((val[-1] - loss[-1]) / height),
    }


def diagnose(history) -> Diagnosis:
    """Underfit, good fit or overfit, from the training and validation learning curves.

    The rules, in order (thresholds are the module's constants, fractions of the plot's
    height or of the run's length):

    1. **overfit** if the best validation loss lies more than ``PATIENCE_FRACTION`` of
       the epochs before the end, the validation loss has risen more than
       ``RISE_FRACTION`` above it, and the training loss kept falling meanwhile;
    2. **underfit** if either loss still falls by more than ``FALLING_FRACTION`` of the
       height over the last ``TAIL_FRACTION`` of the epochs;
    3. **underfit** if the curves are flat but the training loss is still above
       ``HIGH_TRAIN_FRACTION`` of where it started (too little capacity);
    4. **good fit** if the final losses are within ``CLOSE_FRACTION`` of the height;
    5. otherwise **overfit**: flat curves with the validation loss settled well above the
       training loss (or, rarely, below it, which the reason reports).

    Introduced in Chapter 12.

    Args:
        history: a ``keras.callbacks.History``, its ``.history`` dict or the dict returned
            by ``lstmbook.training.fit_epochs``; it needs ``"loss"`` and ``"val_loss"``.

    Returns:
        ``Diagnosis(label, reason)``; it unpacks as ``label, reason = diagnose(history)``.

    Examples:
        >>> falling = {"loss": np.linspace(1.0, 0.5, 50), "val_loss": np.linspace(1.2, 0.7, 50)}
        >>> diagnose(falling).label
        'underfit'
        >>> flat = {"loss": np.r_[1.0, np.full(49, 0.01)], "val_loss": np.r_[1.0, np.full(49, 0.012)]}
        >>> diagnose(flat).label
        'good fit'
    """
    m = curve_measures(history)
    if m["since_best"] > PATIENCE_FRACTION and m["rise"] > RISE_FRACTION and m["train_fell_after_best"]:
        risen = f"{m['rise'] + 1:.0f}-fold" if m["rise"] >= 1 else f"{m['rise']:.0%}"
        return Diagnosis("overfit", (
            f"validation loss bottomed out at epoch {m['best_epoch']} and has risen {risen} since, "
            f"over the last {m['since_best']:.0%} of training, while training loss kept falling"))
    falling = max(m["train_drop"], m["val_drop"])
    if falling > FALLING_FRACTION:
        which = "validation" if m["val_drop"] >= m["train_drop"] else "training"
        return Diagnosis("underfit", (
            f"{which} loss is still falling at the end: down {falling:.1%} of the plot's height "
            f"over the last {TAIL_FRACTION:.0%} of epochs (threshold {FALLING_FRACTION:.1%}); train longer"))
    if m["train_remaining"] > HIGH_TRAIN_FRACTION:
        return Diagnosis("underfit", (
            f"curves are flat but training loss is still {m['train_remaining']:.0%} of its starting "
            f"value (threshold {HIGH_TRAIN_FRACTION:.0%}): the model lacks capacity or a good optimizer"))
    if abs(m["gap"]) <= CLOSE_FRACTION:
        return Diagnosis("good fit", (
            f"both losses are flat and close together: gap {abs(m['gap']):.2%} of the plot's height "
            f"(threshold {CLOSE_FRACTION:.0%})"))
    side = "above" if m["gap"] > 0 else "below"
    return Diagnosis("overfit", (
        f"curves are flat but validation loss settled {abs(m['gap']):.1%} of the plot's height {side} "
        f"training loss (threshold {CLOSE_FRACTION:.0%})"))


def diagnose_runs(histories) -> Diagnosis:
    """The majority diagnosis of several runs of the same model (the book's repeated runs).

    Introduced in Chapter 12.

    Args:
        histories: a list of histories, one per run.

    Returns:
        ``Diagnosis(label, reason)``; the reason counts the votes. A tie goes to the label
        that comes first in ``("underfit", "good fit", "overfit")``.
    """
    if not isinstance(histories, (list, tuple)) or not histories:
        raise _checks.bad("histories", histories, "a non-empty list of histories")
    labels = [diagnose(h).label for h in histories]
    counts = {label: labels.count(label) for label in LABELS}
    label = max(LABELS, key=lambda name: (counts[name], -LABELS.index(name)))
    votes = ", ".join(f"{counts[name]} {name}" for name in LABELS if counts[name])
    return Diagnosis(label, f"{counts[label]} of {len(labels)} runs diagnosed {label} ({votes})")


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------


def _check_label(value, name: str) -> None:
    if value is not None:
        _checks.check_type(value, name, str, "a str or None")


def _figure_and_axes(ax, figsize):
    """A new figure and axes of ``figsize``, or ``ax`` and its figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        return plt.subplots(figsize=figsize)
    if not (hasattr(ax, "figure") and hasattr(ax, "plot")):
        raise _checks.bad("ax", ax, "a matplotlib Axes or None", TypeError)
    return ax.figure, ax


def plot_learning_curves(history, *, title: str | None = None, start_epoch: int = 1,
                         show_diagnosis: bool = True, ax=None):
    """Plot training (blue) and validation (orange) loss per epoch, as the book's figures do.

    Introduced in Chapter 12.

    Args:
        history: one history (``keras.callbacks.History`` or dict with ``"loss"`` and
            ``"val_loss"``), or a list of them (several runs, drawn over each other).
        title: the plot's title; the diagnosis is appended when ``show_diagnosis``.
        start_epoch: first epoch drawn (the book plots its overfit case from epoch 500).
        show_diagnosis: add ``diagnosed: <label>`` (``diagnose``, or the runs' majority
            with ``diagnose_runs``) to the title.
        ax: draw into this matplotlib Axes instead of a new figure.

    Returns:
        The matplotlib Figure drawn on; the caller shows or saves it
        (``fig.savefig("curves.png")``).
    """
    histories = list(history) if isinstance(history, (list, tuple)) else [history]
    if not histories:
        raise ValueError("history must be a history or a non-empty list of them. Received: []")
    _check_label(title, "title")
    _checks.check_bool(show_diagnosis, "show_diagnosis")
    _checks.check_int(start_epoch, "start_epoch", minimum=1)
    curves = [_curves(h) for h in histories]
    for epochs, _, _ in curves:  # checked before any figure is made, so none is left open
        if not (epochs >= start_epoch).any():
            raise ValueError(f"start_epoch is past the last epoch {epochs[-1]}. "
                             f"Received: start_epoch={start_epoch}")
    fig, ax = _figure_and_axes(ax, (7, 4))
    for i, (epochs, loss, val) in enumerate(curves):
        keep = epochs >= start_epoch
        ax.plot(epochs[keep], loss[keep], color="tab:blue", label="train" if i == 0 else None)
        ax.plot(epochs[keep], val[keep], color="tab:orange", label="validation" if i == 0 else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    if show_diagnosis:
        verdict = diagnose(histories[0]) if len(histories) == 1 else diagnose_runs(histories)
        title = f"{title} | diagnosed: {verdict.label}" if title else f"diagnosed: {verdict.label}"
    if title:
        ax.set_title(title)
    return fig


def plot_boxplots(results: dict, *, title: str | None = None, ylabel: str = "validation loss",
                  xlabel: str | None = None, ax=None):
    """Box plots of several configurations' repeated scores, side by side.

    Introduced in Chapter 12 (and used again in Chapter 14).

    Args:
        results: ``{configuration name: scores}``; the scores may be a list, an array or
            a ``RepeatedResult``. Drawn in the dict's order.
        title, ylabel, xlabel: labels.
        ax: draw into this Axes instead of a new figure.

    Returns:
        The matplotlib Figure drawn on; the caller shows or saves it.
    """
    _check_label(title, "title")
    _checks.check_type(ylabel, "ylabel", str, "a str")
    if not isinstance(results, dict) or not results:
        raise _checks.bad("results", results, "a non-empty dict of name -> scores")
    data = [_checks.as_numbers(getattr(scores, "scores", scores), f"results[{key!r}]").ravel()
            for key, scores in results.items()]
    for key, scores in zip(results, data, strict=True):
        with np.errstate(over="ignore"):
            spread = np.ptp(scores)
        if not np.isfinite(spread):
            raise ValueError(f"results[{key!r}] spans more than float64 can hold, so its quartiles "
                             f"overflow. Received: results[{key!r}] from {scores.min():.3g} to "
                             f"{scores.max():.3g}")
    fig, ax = _figure_and_axes(ax, (1.6 * len(data) + 3, 4))
    ax.boxplot(data)
    ax.set_xticks(range(1, len(data) + 1), [str(k) for k in results])
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return fig


# ---------------------------------------------------------------------------------------------
# Repeated evaluation
# ---------------------------------------------------------------------------------------------


@dataclass
class RepeatedResult:
    """The outcome of ``repeated_evaluation``. Introduced in Chapter 12.

    Attributes:
        scores: one final score per repeat, ``(n_repeats,)``, in repeat order.
        seeds: the seed each repeat ran with (``seed + i``).
        histories: each repeat's per-epoch history (see ``lstmbook.training.fit_epochs``).
        seconds: wall-clock time of the whole evaluation.
        models: each repeat's trained model, with ``keep_models=True`` (else None).
    """

    scores: np.ndarray
    seeds: list
    histories: list = field(repr=False)
    seconds: float = 0.0
    models: list | None = field(default=None, repr=False)

    @property
    def summary(self) -> dict:
        """``{"n", "mean", "std", "min", "max"}`` of the scores (``std`` with ddof=0, NumPy's default)."""
        s = _checks.as_numbers(self.scores, "scores", ndims=(1,), allow_empty=True)
        if s.size == 0:
            raise ValueError("scores must not be empty to be summarised. Received: scores=[]")
        return {"n": int(s.size), "mean": float(s.mean()), "std": float(s.std()),
                "min": float(s.min()), "max": float(s.max())}


def _scored(score, model_predict, x, y) -> float:
    """``score(y, predictions)`` as a float: a repeat's score by the caller's measure. The
    predictions come in ``y``'s shape (``(n,)``, not the model's ``(n, 1)``), so that ``y - p``
    in the caller's score cannot broadcast to an ``(n, n)`` table."""
    predictions = np.asarray(model_predict(x))
    if isinstance(y, np.ndarray) and predictions.shape != y.shape and predictions.size == y.size:
        predictions = predictions.reshape(y.shape)
    value = score(y, predictions)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"score must return one number, score(y_true, y_pred). Received: {value!r}") from None


def _one_repeat(build_fn, seed, x, y, validation_data, epochs, batch_size, compile_kwargs,
                validation_every, score=None, keep_models=False):
    """Build, train and score one model with its own seed."""
    import keras

    from lstmbook.training import evaluate_loss, fit_epochs

    keras.utils.set_random_seed(seed)
    model = build_fn()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build_fn must return a keras.Model. Received: {type(model).__name__}")
    if not model.compiled:
        model.compile(**compile_kwargs)
    history = fit_epochs(model, x, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data,
                         validation_every=validation_every)
    scored_x, scored_y = validation_data if validation_data is not None else (x, y)
    if score is None:
        value = evaluate_loss(model, scored_x, scored_y)["loss"]
    else:
        value = _scored(score, lambda a: model.predict(a, verbose=0), scored_x, scored_y)
    return value, history, (model if keep_models else None)


def _ensemble_repeats(build_fn, first_seed, sizes, x, y, validation_data, epochs, batch_size, compile_kwargs,
                      validation_every, score=None, keep_models=False):
    """Build, train and score ``sizes[first_seed]`` repeats as one vectorised ensemble."""
    from lstmbook.training import Ensemble, evaluate_loss

    def build():
        model = build_fn()
        if not model.compiled:
            model.compile(**compile_kwargs)
        return model

    seeds = [first_seed + i for i in range(sizes[first_seed])]
    ensemble = Ensemble(build, seeds)
    histories = ensemble.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data,
                             validation_every=validation_every)
    scored_x, scored_y = validation_data if validation_data is not None else (x, y)
    if score is None:
        losses = evaluate_loss(ensemble.model, scored_x, ensemble.targets(scored_y))
        values = [losses[f"member_{k}_loss"] for k in range(len(seeds))]
    else:
        predictions = ensemble.predict(scored_x)
        values = [_scored(score, lambda _, p=p: p, scored_x, scored_y) for p in predictions]
    models = ensemble.unpack() if keep_models else [None] * len(seeds)
    return list(zip(values, histories, models, strict=True))


# Keras's seeds and session are per process: a Dask worker with several threads must still
# run one repeat at a time, or two repeats would reseed and clear each other.
_ONE_REPEAT_AT_A_TIME = threading.Lock()


def _in_worker(fn, seed, backend):
    """Run ``fn(seed)`` in a worker process, checking its Keras backend and freeing the last run.

    ``fn`` may come as cloudpickle's bytes (the Dask path), so that only the worker unpickles it.
    """
    import keras

    if isinstance(fn, bytes):
        import cloudpickle

        fn = cloudpickle.loads(fn)
    if keras.backend.backend() != backend:
        raise RuntimeError(f"worker runs Keras backend {keras.backend.backend()!r} but the caller uses "
                           f"{backend!r}; set KERAS_BACKEND before starting Python")
    with _ONE_REPEAT_AT_A_TIME:
        keras.backend.clear_session()  # free the previous repeat's graphs in this long-lived worker
        return seed, fn(seed)


@contextlib.contextmanager
def _worker_backend(backend: str):
    """Workers are fresh processes that inherit the environment: pin them to our backend."""
    before = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = backend
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("KERAS_BACKEND", None)
        else:
            os.environ["KERAS_BACKEND"] = before


# ---------------------------------------------------------------------------------------------
# Repeats on a Dask cluster
# ---------------------------------------------------------------------------------------------

#: Sent to each Dask worker as source (run with ``exec``), so that nothing imports lstmbook,
#: and with it Keras, on the worker before its backend is chosen. It also gives Dask's
#: ``sizeof`` a random generator of its own: it samples from Python's global one on the
#: worker's event-loop thread while a repeat runs, which would shift the seeds Keras draws
#: the repeat's initial weights from (``keras.utils.set_random_seed`` seeds that generator),
#: and about one repeat in six would then differ from the same seed run locally.
_PREPARE_WORKER = """
import os, random, sys
if "keras" not in sys.modules:
    os.environ["KERAS_BACKEND"] = {backend!r}
import dask.sizeof
if getattr(dask.sizeof, "random", None) is random:
    dask.sizeof.random = random.Random(0)
"""


def _worker_keras():
    """What a Dask worker runs: its Keras backend and lstmbook version."""
    import keras

    import lstmbook

    return keras.backend.backend(), lstmbook.__version__


def _can_load(fn: bytes) -> bool:
    """A Dask task that only unpickles ``fn`` on a worker: the probe before the repeats."""
    import cloudpickle

    return callable(cloudpickle.loads(fn))


def _dask_client():
    """The ``distributed.Client`` of an active ``parallel_config(backend="dask")``, else None."""
    from joblib.parallel import get_active_backend

    active, _ = get_active_backend()
    return getattr(active, "client", None) if type(active).__name__ == "DaskDistributedBackend" else None


def _wait_for_a_worker(client, timeout: float, address: str) -> None:
    """A ConnectionError naming ``address`` if the cluster has no worker within ``timeout`` s."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        raise ConnectionError(f"the Dask scheduler at scheduler={address!r} has no workers after "
                              f"{timeout:g} s: start some with `dask worker {address}`") from None


def _prepare_workers(client, backend: str, timeout: float) -> int:
    """Check that the cluster has workers, give them our Keras backend, and return how many."""
    _wait_for_a_worker(client, timeout, client.scheduler.address)
    client.run(exec, _PREPARE_WORKER.format(backend=backend), {})
    try:
        found = client.run(_worker_keras)
    except Exception as error:  # e.g. ModuleNotFoundError raised on a worker without lstmbook
        raise RuntimeError(f"a Dask worker could not import lstmbook and Keras ({type(error).__name__}: "
                           f"{error}): install lstmbook on every worker (pip install lstmbook)") from None
    wrong = {worker: name for worker, (name, _) in found.items() if name != backend}
    if wrong:
        raise RuntimeError(f"Dask worker(s) {sorted(wrong)} imported Keras with backend "
                           f"{sorted(set(wrong.values()))} before this process's {backend!r} could be set: "
                           f"restart them with KERAS_BACKEND={backend} dask worker ...")
    return len(found)


def _pickled_for_workers(client, fn, timeout: float) -> bytes:
    """``fn`` as cloudpickle's bytes, once a worker has shown it can unpickle them.

    Sent as bytes, ``fn`` is unpickled only on the workers: Dask's scheduler unpickles every
    task it receives, and would otherwise need every module ``fn`` comes from. Functions
    defined in a script or notebook (``__main__``) travel by value; others need their
    module installed on the workers. When a worker cannot unpickle a task, a plain
    ``client.submit`` raises but joblib's Dask backend waits for ever: the probe task
    turns that hang into an error.
    """
    import cloudpickle

    payload = cloudpickle.dumps(fn)
    try:
        client.submit(_can_load, payload, pure=False).result(timeout=timeout)
    except Exception as error:
        raise RuntimeError(
            f"the Dask workers cannot load fn={fn!r:.80} ({type(error).__name__}: {str(error)[:200]}). "
            "Define the function in the script or notebook that runs the repeats (it is then sent by "
            "value), or install its module on every worker") from None
    return payload


def connect_cluster(scheduler: str, *, timeout: float = 10):
    """Connect to a running Dask scheduler, failing within ``timeout`` seconds if there is none.

    Args:
        scheduler: its address, ``"tcp://HOST:PORT"`` (``dask scheduler`` prints it).
        timeout: seconds to wait for the scheduler to answer, and for a first worker.

    Returns:
        A ``distributed.Client`` for ``on_cluster``; ``close()`` it when done.

    Raises:
        ImportError: Dask is not installed (``pip install 'lstmbook[cluster]'``).
        ConnectionError: nothing answered at ``scheduler``, or it has no workers.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("running on a Dask cluster needs Dask: pip install 'lstmbook[cluster]' "
                          "(or pip install 'dask[distributed]')") from None
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise _checks.bad("scheduler", scheduler, "an address such as 'tcp://127.0.0.1:8786'", TypeError)
    timeout = _checks.check_number(timeout, "timeout", 0, 3600, include="neither")
    from distributed.comm import parse_address
    from distributed.comm.registry import backends

    if parse_address(scheduler)[0] not in backends:  # refused before a Client is half-built
        raise _checks.bad("scheduler", scheduler, f"an address with a protocol Dask knows "
                          f"({', '.join(sorted(backends))}), such as 'tcp://127.0.0.1:8786'")
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise ConnectionError(f"no Dask scheduler answered at scheduler={scheduler!r} within {timeout:g} s "
                              f"({type(error).__name__}). Start one with `dask scheduler`, or run "
                              "without a scheduler to train here.") from None
    except ValueError as error:  # an address Dask cannot parse
        raise ValueError(f"scheduler must be an address such as 'tcp://127.0.0.1:8786' ({error}). "
                         f"Received: scheduler={scheduler!r}") from None
    try:
        _wait_for_a_worker(client, timeout, scheduler)
    except ConnectionError:
        client.close()
        raise
    return client


@contextlib.contextmanager
def on_cluster(scheduler, *, timeout: float = 10):
    """Send every repeat inside the block to a Dask cluster.

    ``with on_cluster("tcp://HOST:8786"):`` around ``repeated_evaluation`` or
    ``run_repeats`` runs each repeat as a task on the cluster's workers, through joblib's
    Dask backend; outside it they run here (or in ``jobs`` local processes) as before. It is
    the same as ``with distributed.Client(address), joblib.parallel_config(backend="dask"):``,
    which ``run_repeats`` honours too, plus the checks: the scheduler must answer and have
    a worker within ``timeout`` seconds, and the workers get this process's Keras backend.
    Each repeat seeds itself, so the scores equal a local run's.

    Every worker needs lstmbook, Keras and the backend installed, the same versions as here
    (``pip install 'lstmbook[cluster]'``). Start them with one thread each
    (``dask worker ADDRESS --nthreads 1 --nworkers N``): Keras seeds are per process, so a
    worker runs one repeat at a time whatever its threads.

    Args:
        scheduler: the scheduler's address, or a ``distributed.Client`` (left open).
        timeout: seconds to wait for the scheduler and for a first worker.

    Yields:
        The ``distributed.Client``.
    """
    from joblib import parallel_config

    own = isinstance(scheduler, str)
    client = connect_cluster(scheduler, timeout=timeout) if own else scheduler
    if not own and type(client).__name__ != "Client":
        raise TypeError(f"scheduler must be an address or a distributed.Client. "
                        f"Received: scheduler={scheduler!r:.80}")
    try:
        with parallel_config(backend="dask", client=client):
            yield client
    finally:
        if own:
            client.close()


def run_repeats(fn, seeds, *, jobs: int = 1, progress: bool = True, desc: str | None = None) -> list:
    """Call ``fn(seed)`` for every seed, here or in ``jobs`` worker processes, with a progress bar.

    The engine under ``repeated_evaluation``, for repeated experiments of any shape
    (Chapter 14 runs a whole walk-forward evaluation per seed). Inside ``on_cluster``
    (or any ``joblib.parallel_config(backend="dask")``) every call is a task on the Dask
    cluster and ``jobs`` is not used. Otherwise, with ``jobs > 1`` the calls go to joblib's
    ``loky`` worker processes. Each worker imports Keras with this process's
    backend (``KERAS_BACKEND`` is set for them), clears its Keras session before each
    call, and exits 10 seconds after the last one, so memory stays at one small model per
    worker. ``fn`` and its results must be picklable (a module-level function or a
    ``functools.partial`` of one is safest); ``fn`` should seed itself from ``seed``.

    Introduced in Chapter 12.

    Args:
        fn: ``fn(seed)`` -> any picklable result.
        seeds: the seeds, one call each.
        jobs: local worker processes; 1 calls ``fn`` here, one seed after another.
        progress: show a tqdm progress bar (in a notebook it stays, finished, in the output).
        desc: the progress bar's label.

    Returns:
        The results, in the order of ``seeds``.
    """
    import keras

    with warnings.catch_warnings():
        # Without ipywidgets, tqdm.auto warns once and draws a text bar, which is what an
        # executed notebook can keep anyway: the warning is noise in the notebook's output.
        warnings.filterwarnings("ignore", message="IProgress not found")
        from tqdm.auto import tqdm

    _checks.check_callable(fn, "fn")
    seeds = _checks.as_tuple(seeds)  # np.arange(3) or a pandas Series works like range(3)
    seeds = list(seeds) if isinstance(seeds, (list, tuple, range)) else seeds
    if not isinstance(seeds, list) or not seeds:
        raise _checks.bad("seeds", seeds, "a non-empty list of ints")
    seeds = [_checks.check_seed(s, "seeds") for s in seeds]  # each in [0, 2**32), as Keras takes
    _checks.check_bool(progress, "progress")
    _check_label(desc, "desc")
    if len(set(seeds)) != len(seeds):  # results are kept by seed: a repeat would overwrite another
        raise _checks.bad("seeds", seeds, "distinct")
    _checks.check_int(jobs, "jobs", minimum=1)
    backend = keras.backend.backend()
    client = _dask_client()
    if client is not None:
        _prepare_workers(client, backend, timeout=10)
        payload = _pickled_for_workers(client, fn, timeout=120)
    results = {}
    # A notebook keeps the finished bar as the cell's record of the repeats; a terminal's
    # log (make all) is tidier without it.
    bar = tqdm(total=len(seeds), desc=desc or "repeats", disable=not progress,
               leave="ipykernel" in sys.modules)
    try:
        if client is not None:  # the active parallel_config sends each task to the cluster
            from joblib import Parallel, delayed

            tasks = (delayed(_in_worker)(payload, seed, backend) for seed in seeds)
            for seed, result in Parallel(n_jobs=-1, return_as="generator_unordered")(tasks):
                results[seed] = result
                bar.update()
        elif jobs == 1:
            for seed in seeds:
                results[seed] = fn(seed)
                bar.update()
        else:
            from joblib import Parallel, delayed, parallel_config

            with _worker_backend(backend), parallel_config(backend="loky", idle_worker_timeout=10):
                tasks = (delayed(_in_worker)(fn, seed, backend) for seed in seeds)
                for seed, result in Parallel(n_jobs=min(jobs, len(seeds)),
                                             return_as="generator_unordered")(tasks):
                    results[seed] = result
                    bar.update()
    finally:
        bar.close()
    return [results[seed] for seed in seeds]


def repeated_evaluation(build_fn, n_repeats: int, x, y, *, epochs: int, validation_data=None,
                        batch_size: int | None = None, compile_kwargs: dict | None = None,
                        validation_every: int = 1, seed: int = 0, jobs: int = 1,
                        progress: bool = True, desc: str | None = None,
                        ensemble: bool = False, score=None, keep_models: bool = False) -> RepeatedResult:
    """Train and score a model ``n_repeats`` times, each with its own seed, and summarise.

    A single run of a neural network is one draw from a distribution of outcomes; the
    book repeats each configuration and compares the distributions. Repeat ``i`` seeds
    Python, NumPy and the backend with ``seed + i`` (``keras.utils.set_random_seed``)
    right before calling ``build_fn``, so it gets the same result whether it runs here or
    in a worker, first or last.

    ``jobs > 1`` runs repeats in that many worker processes (joblib's ``loky`` backend);
    inside ``on_cluster`` they run on a Dask cluster instead. Each worker imports Keras
    with this process's backend (``KERAS_BACKEND`` is set for
    them), clears its Keras session between repeats, and exits shortly after the last
    one, so memory stays at one small model per worker. ``build_fn`` must be picklable
    by cloudpickle (a module-level function or ``functools.partial`` is safest).

    ``ensemble=True`` trains the repeats together as one vectorised model
    (``lstmbook.training.Ensemble``): each repeat starts from the weights its seed
    gives it and takes exactly the steps it would take alone, so the scores are those of
    separate runs to float precision, but a step costs about one small model's step, not
    ``n_repeats`` of them. With ``jobs > 1`` the repeats are split into ``jobs`` ensembles,
    one per worker; on a cluster the whole ensemble is one task. It needs a model the
    ensemble can pack (a chain of LSTM/SimpleRNN/Dense layers, no dropout), one output,
    and ``x``, ``y`` as arrays.

    Introduced in Chapter 12.

    Args:
        build_fn: ``build_fn()`` returns a new ``keras.Model``, compiled or not.
        n_repeats: how many runs.
        x, y: training data, e.g. ``(samples, timesteps, features)`` and ``(samples, 1)``;
            ``y`` may be a list of arrays, one per output of a multi-output model.
        epochs: epochs per run.
        validation_data: ``(x_val, y_val)``; the score is the final validation loss. Without
            it, the score is the final training loss.
        batch_size: samples per step (``None``: Keras's default, 32).
        compile_kwargs: ``model.compile`` arguments for an uncompiled model
            (default ``{"loss": "mse", "optimizer": "adam"}``); pass optimizer names, not
            instances, so that each run gets a fresh optimizer.
        validation_every: record the validation loss every this many epochs.
        seed: repeat ``i`` uses ``seed + i``.
        jobs: worker processes; 1 runs the repeats here, one after another.
        progress: show a tqdm progress bar.
        desc: the progress bar's label.
        ensemble: train the repeats as one vectorised ensemble (above).
        score: ``score(y_true, y_pred) -> float``, a repeat's score in place of the loss,
            on the validation data (else the training data), as scikit-learn's metrics
            take it, with ``y_pred`` in ``y_true``'s shape: for example
            ``sklearn.metrics.mean_absolute_error``, or ``lambda y, p: ((y - p) ** 2).mean()
            ** 0.5 * scale`` for an RMSE in the data's units.
        keep_models: keep each repeat's trained model in ``result.models`` (from worker
            processes they come back pickled, one ``.keras`` archive each).

    Returns:
        A ``RepeatedResult``: ``scores`` ``(n_repeats,)``, ``seeds``, ``histories``,
        ``models`` and ``summary`` (``mean``, ``std``, ``min``, ``max``).
    """
    _checks.check_callable(build_fn, "build_fn")
    for name, value, low in (("n_repeats", n_repeats, 1), ("epochs", epochs, 1), ("jobs", jobs, 1),
                             ("validation_every", validation_every, 1)):
        _checks.check_int(value, name, minimum=low)
    _checks.check_int(seed, "seed", minimum=0, maximum=2**32 - n_repeats)  # seed + i is a Keras seed
    _checks.check_compile_kwargs(compile_kwargs, "compile_kwargs")
    compile_kwargs = {"loss": "mse", "optimizer": "adam"} if compile_kwargs is None else dict(compile_kwargs)
    if not isinstance(compile_kwargs.get("optimizer", "adam"), (str, dict)):
        raise TypeError("compile_kwargs['optimizer'] must be a name or a config dict, so that each run "
                        f"gets a fresh optimizer. Received: {compile_kwargs['optimizer']!r}")
    x = np.asarray(x)
    # A list of arrays is one target per output, as Keras takes it; a list of numbers is one array.
    several = isinstance(y, (list, tuple)) and all(hasattr(a, "shape") for a in y) and len(y) > 0
    y = [np.asarray(a) for a in y] if several else np.asarray(y)
    y_rows = [a.shape[0] if a.ndim else 0 for a in (y if isinstance(y, list) else [y])]
    if x.ndim < 1 or len(x) == 0 or any(rows != len(x) for rows in y_rows):
        raise ValueError(f"x and y must be non-empty arrays with as many rows. "
                         f"Received: x with shape {x.shape}, y with {y_rows} rows")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise _checks.bad("validation_data", validation_data, "(x_val, y_val)")
        validation_data = tuple(np.asarray(a) for a in validation_data)
    _checks.check_bool(ensemble, "ensemble")
    _checks.check_bool(keep_models, "keep_models")
    if score is not None:
        _checks.check_callable(score, "score")
    seeds = [int(seed) + i for i in range(n_repeats)]
    settings = {"x": x, "y": y, "validation_data": validation_data, "epochs": epochs,
                "batch_size": batch_size, "compile_kwargs": compile_kwargs,
                "validation_every": validation_every, "score": score, "keep_models": keep_models}
    start = time.perf_counter()
    if ensemble:
        if isinstance(y, list):
            raise ValueError("ensemble=True needs a single-output model's y, not a list of arrays. "
                             "Received: y as a list")
        groups = [list(g) for g in np.array_split(seeds, min(jobs, n_repeats))]
        sizes = {int(g[0]): len(g) for g in groups}
        one = functools.partial(_ensemble_repeats, build_fn, sizes=sizes, **settings)
        parts = run_repeats(one, list(sizes), jobs=jobs, progress=progress, desc=desc)
        results = [member for part in parts for member in part]
    else:
        one = functools.partial(_one_repeat, build_fn, **settings)
        results = run_repeats(one, seeds, jobs=jobs, progress=progress, desc=desc)
    return RepeatedResult(scores=np.array([value for value, _, _ in results]), seeds=seeds,
                          histories=[history for _, history, _ in results],
                          seconds=time.perf_counter() - start,
                          models=[model for _, _, model in results] if keep_models else None)
