"""A bad-input sweep of lstmbook's public functions: ``python benchmarks/bad_inputs.py [--json OUT.json]``.

Every public function of ``lstmbook.prep``, ``problems``, ``models``, ``cell``, ``training``,
``diagnostics``, ``persistence`` and ``datasets`` (their ``__all__``) is called with inputs
it should refuse (wrong types, NaN and infinity, empty or misshapen arrays, ints out of
range or too large, mismatched lengths, values whose scaling overflows, ...) and with
inputs it should take (Python lists, NumPy scalars, NumPy arrays for tuple arguments,
pandas objects). Each call is tiny (a few samples, one epoch, two-unit models) and runs in
a thread with a timeout, so the whole sweep takes a few minutes on two CPU cores.

A bad-input case comes out as one of:

- ``clean``: a ValueError or TypeError (or the case's own apt error: FileNotFoundError,
  ConnectionError, IndexError for ``__getitem__``) raised in lstmbook's code, whose message
  names the argument;
- ``raw``: raised in lstmbook's code, but of another type (IndexError, KeyError, ...) or
  with a message that does not name the argument. An error that a NumPy C function raises
  has no Python frame of its own, so it counts as raised by the lstmbook line that called it;
- ``deep``: raised in the Python code of NumPy, Keras, TensorFlow, scikit-learn, pandas, ...
  (the traceback's last frame is outside lstmbook/);
- ``silent``: no error; the report shows what came back;
- ``hang``: still running when the timeout expired.

A should-work case is ``ok`` or ``refused``. The table of cases is :data:`CASES`, built by
``bad(...)``/``good(...)`` calls below, one block per function; :func:`run_case` runs one.

This is a diagnostic, not a test: it never fails on a finding, and it is not part of
``make bench``.
"""

# ruff: noqa: E501 - the case table keeps one case per line, as chapters/ keeps its tables

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

MODULES = ("prep", "problems", "models", "cell", "training", "forecast", "diagnostics", "persistence", "datasets")
DEFAULT_TIMEOUT = 20.0

# ---------------------------------------------------------------------------------------------
# The case table's vocabulary
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One call: ``func`` (``"module.name"`` or ``"module.Class.method"``) with ``build()``'s arguments.

    ``arg`` is the argument the case is about; ``"a|b"`` lets a message name either. ``value``
    describes the input. ``accept`` adds error types that count as clean for this case;
    ``call`` replaces the resolved function (context managers, properties). ``last`` runs
    the case at the end (cases that may run for ever and keep a thread busy).
    """

    func: str
    arg: str
    value: str
    build: Callable[[], tuple[tuple, dict]]
    kind: str = "bad"
    accept: tuple = ()
    call: Callable | None = None
    last: bool = False


CASES: list[Case] = []


def A(*args, **kwargs):
    """The arguments of a call, as a builder returns them."""
    return args, kwargs


def bad(func, arg, value, build, **options):
    CASES.append(Case(func, arg, value, build, "bad", **options))


def good(func, arg, value, build, **options):
    CASES.append(Case(func, arg, value, build, "good", **options))


def sweep(func, arg, values, make, **options):
    """One bad case per ``(label, value)``: ``make(value)`` returns the call's arguments."""
    for label, value in values:
        bad(func, arg, label, functools.partial(make, value), **options)


# Bad values reused across functions.
NOT_INT = [("'3'", "3"), ("None", None), ("2.5", 2.5), ("True", True)]
NOT_POSITIVE = [("0", 0), ("-1", -1)]
HUGE = [("10**15", 10**15), ("2**64", 2**64)]
NOT_ARRAY = [("None", None), ("'abc'", "abc"), ("{'a': 1}", {"a": 1})]

S6 = np.arange(1.0, 7.0)  # a tiny series
DATES6 = np.arange("2020-01-01", "2020-01-07", dtype="datetime64[D]")
COMPLEX6 = S6 + 1j
OBJECT6 = np.array([1, "a", None, 2, 3, 4], dtype=object)
NAN6 = np.array([1.0, np.nan, 3.0, 4.0, 5.0, 6.0])
INF6 = np.array([1.0, np.inf, 3.0, 4.0, 5.0, 6.0])
HUGE6 = np.array([-1e308, 1e308, 0.0, 1.0, 2.0, 3.0])  # max - min overflows to inf
SERIES_BAD = [("None", None), ("'abc'", "abc"), ("{'a': 1}", {"a": 1}), ("complex array", COMPLEX6),
              ("datetime64 array", DATES6), ("object array", OBJECT6), ("NaN", NAN6), ("inf", INF6),
              ("empty", np.array([])), ("3-D", np.zeros((2, 3, 1)))]
#: For the scalers, which take (samples, timesteps, channels) sequences too.
SEQUENCES_BAD = SERIES_BAD[:-1] + [("4-D", np.zeros((2, 3, 1, 1)))]


def pick(value, **fixtures):
    """``fixtures[value]()`` when ``value`` names a fixture (a made-on-demand input), else ``value``."""
    return fixtures[value]() if isinstance(value, str) and value in fixtures else value


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------------------
# Fixtures: made once, on first use, outside the timed call
# ---------------------------------------------------------------------------------------------


def lib(name):
    return importlib.import_module(f"lstmbook.{name}")


@functools.cache
def keras():
    import keras as k

    return k


@functools.cache
def tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="lstmbook_bad_inputs_"))


X4 = rng(1).random((4, 3, 1)).astype("float32")  # 4 samples, 3 steps, 1 feature
Y4 = np.array([[0.0], [1.0], [1.0], [0.0]], dtype="float32")
Y4_ONEHOT = np.eye(3, dtype="float32")[[0, 1, 2, 0]]


def _compiled(model, loss):
    model.compile(loss=loss, optimizer="adam")
    return model


# Models are made afresh for each case: a fit that fails part-way can leave a Keras model unable
# to train again ("Creating variables on a non-first call..."), which would blame the next case.


def sigmoid_model():
    keras().utils.set_random_seed(0)
    return _compiled(lib("models").build_vanilla_lstm((3, 1), 1, units=2, output_activation="sigmoid"),
                     "binary_crossentropy")


def softmax_model():
    keras().utils.set_random_seed(0)
    return _compiled(lib("models").build_vanilla_lstm((3, 1), 3, units=2), "categorical_crossentropy")


def linear_model():
    keras().utils.set_random_seed(0)
    return _compiled(lib("models").build_vanilla_lstm((3, 1), 1, units=2, output_activation=None), "mse")


def uncompiled_model():
    return lib("models").build_vanilla_lstm((3, 1), 1, units=2, output_activation="sigmoid")


def generative_model():
    keras().utils.set_random_seed(0)
    return _compiled(lib("models").build_generative_lstm(units=2), "mse")


@functools.cache
def two_output_model():
    k = keras()
    inputs = k.Input((3, 1))
    h = k.layers.Flatten()(inputs)
    return k.Model(inputs, [k.layers.Dense(1, activation="sigmoid")(h), k.layers.Dense(1)(h)])


def tiny_build():
    """A ``build_fn`` for repeated_evaluation and finalize_model (module level: picklable)."""
    return lib("models").build_vanilla_lstm((3, 1), 1, units=2, output_activation=None)


def named_model(name="a", shape=(3, 1)):
    """A small uncompiled regressor named ``name``: a member for SideBySide."""
    keras().utils.set_random_seed(0)
    return lib("models").build_vanilla_lstm(shape, 1, units=2, output_activation=None, name=name)


def two_members():
    return [named_model("a"), named_model("b")]


def side_by_side():
    return lib("training").SideBySide(two_members(), loss="mse", optimizer="adam")


def compiled_build():
    """A ``build_fn`` for Ensemble: a compiled two-unit regressor."""
    return linear_model()


def clipnorm_build():
    keras().utils.set_random_seed(0)
    model = lib("models").build_vanilla_lstm((3, 1), 1, units=2, output_activation=None)
    model.compile(loss="mse", optimizer=keras().optimizers.Adam(clipnorm=1.0))
    return model


def ensemble():
    return lib("training").Ensemble(compiled_build, [1, 2])


def returns_none():
    return None


def identity(seed):
    return seed


def built_lstm(**kwargs):
    layer = keras().layers.LSTM(2, **kwargs)
    layer(np.zeros((1, 3, 1), dtype="float32"))
    return layer


@functools.cache
def weights():
    return lib("cell").random_weights(features=3, units=2, seed=0)


def weights_with(field_name, gate, value):
    w = weights()
    blocks = dict(getattr(w, field_name))
    if value is None:
        del blocks[gate]
    else:
        blocks[gate] = value
    return w._replace(**{field_name: blocks})


@functools.cache
def scaler():
    return lib("prep").scale(S6)[1]


def unfitted_scaler():
    from sklearn.preprocessing import MinMaxScaler

    return MinMaxScaler()


@functools.cache
def encoder():
    return lib("prep").one_hot_encode([0, 1, 2])[1]


HISTORY = {"loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.1, 0.7, 0.5, 0.45]}


def history_object():
    h = keras().callbacks.History()
    h.history = dict(HISTORY)
    return h


def history(**changes):
    record = dict(HISTORY)
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


@functools.cache
def saved_keras() -> Path:
    return lib("persistence").save_model(linear_model(), tmp() / "m.keras")


@functools.cache
def saved_json() -> Path:
    return lib("persistence").save_architecture_and_weights(linear_model(), tmp() / "a.json")[0]


def written(name: str, text: str, weights_for: bool = False) -> Path:
    path = tmp() / name
    path.write_text(text)
    if weights_for:  # a weights file beside it, so that loading gets as far as the JSON
        shutil.copy(lib("persistence").weights_path_for(saved_json()), lib("persistence").weights_path_for(path))
    return path


def zip_not_model() -> Path:
    path = tmp() / "zip.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a model")
    return path


def other_weights() -> Path:
    other = lib("models").build_vanilla_lstm((3, 1), 3, units=4)
    return lib("persistence").save_architecture_and_weights(other, tmp() / "other.json")[1]


def folder(name: str) -> Path:
    path = tmp() / name
    path.mkdir(exist_ok=True)
    return path


def altered_data_dir() -> Path:
    data = folder("altered_data")
    for name in lib("datasets").REGISTRY:
        source = lib("datasets").data_dir() / name
        (data / name).write_text(source.read_text().replace("1", "2", 1))
    return data


def axes():
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


@functools.cache
def line_dataset():
    return lib("problems").MovingLineDataset(10, batch_size=4, size=4, seed=0)


@functools.cache
def epoch_stream():
    return lib("training").EpochStream(X4, Y4, batch_size=3, epochs=2)


def enter(cm_name):
    """Call a context manager of lstmbook.diagnostics and enter it, as a ``with`` would."""
    def run(*args, **kwargs):
        with getattr(lib("diagnostics"), cm_name)(*args, **kwargs):
            return "entered"
    return run


UNREACHABLE = "tcp://127.0.0.1:1"

# ---------------------------------------------------------------------------------------------
# The cases: lstmbook.prep
# ---------------------------------------------------------------------------------------------

sweep("prep.scale", "data", SEQUENCES_BAD + [("0-d 5.0", 5.0)], lambda v: A(v))
bad("prep.scale", "data", "bool array", lambda: A(np.array([True, False, True])))
bad("prep.scale", "data", "[-1e308, 1e308, ...] (range overflows)", lambda: A(HUGE6))
sweep("prep.scale", "feature_range", [("(1, 0)", (1, 0)), ("(0, 0)", (0, 0)), ("(0, nan)", (0, float("nan"))),
                                      ("(0, inf)", (0, float("inf"))), ("'ab'", "ab"), ("(0, 1, 2)", (0, 1, 2)),
                                      ("None", None), ("(True, 2)", (True, 2)), ("{0: 1}", {0: 1}),
                                      ("(-1e308, 1e308)", (-1e308, 1e308))],
      lambda v: A(S6, feature_range=v))
good("prep.scale", "data", "list", lambda: A([1.0, 2.0, 3.0]))
good("prep.scale", "data", "pd.Series", lambda: A(pd.Series(S6)))
good("prep.scale", "data", "pd.DataFrame", lambda: A(pd.DataFrame({"a": S6, "b": S6 * 2})))
good("prep.scale", "data", "int64 array", lambda: A(np.arange(6)))
good("prep.scale", "data", "(samples, timesteps, channels)", lambda: A(np.arange(12.0).reshape(2, 3, 2)))
good("prep.scale", "feature_range", "np.array([0, 1])", lambda: A(S6, feature_range=np.array([0, 1])))
good("prep.scale", "feature_range", "[-1, 1]", lambda: A(S6, feature_range=[-1, 1]))
good("prep.scale", "feature_range", "(np.int64(0), np.int64(1))",
     lambda: A(S6, feature_range=(np.int64(0), np.int64(1))))

sweep("prep.standardize", "data", SEQUENCES_BAD, lambda v: A(v))
bad("prep.standardize", "data", "[-1e308, 1e308, ...] (variance overflows)", lambda: A(HUGE6))
good("prep.standardize", "data", "list", lambda: A([1.0, 2.0, 4.0]))
good("prep.standardize", "data", "(samples, timesteps, channels)", lambda: A(np.arange(12.0).reshape(2, 3, 2)))
good("prep.standardize", "data", "pd.DataFrame", lambda: A(pd.DataFrame({"a": S6, "b": -S6})))

sweep("prep.unscale", "scaler", [("None", None), ("'minmax'", "minmax"), ("unfitted MinMaxScaler", "UNFITTED"),
                                 ("OneHotEncoder", "ENCODER")],
      lambda v: A(S6, pick(v, UNFITTED=unfitted_scaler, ENCODER=encoder)))
sweep("prep.unscale", "data", [("None", None), ("'abc'", "abc"), ("NaN", NAN6), ("4-D", np.zeros((2, 3, 1, 1))),
                               ("2 columns for a 1-column scaler", np.zeros((3, 2))), ("empty", np.array([]))],
      lambda v: A(v, scaler()))
bad("prep.unscale", "data", "1e308 (unscaling overflows)", lambda: A(np.array([1e308]), scaler()))
good("prep.unscale", "data", "list", lambda: A([0.0, 0.5, 1.0], scaler()))
good("prep.unscale", "data", "pd.Series", lambda: A(pd.Series([0.0, 1.0]), scaler()))
good("prep.unscale", "data", "(samples, timesteps, 1)", lambda: A(np.zeros((2, 3, 1)), scaler()))
good("prep.unscale", "data", "np.float64", lambda: A(np.float64(0.5), scaler()))
sweep("prep.unscale", "columns", [("[1] of a 1-column scaler", [1]), ("[0, 0]", [0, 0]), ("[]", []),
                                  ("0.5", 0.5), ("'a'", "a"), ("[-1]", [-1])],
      lambda v: A([0.5], scaler(), columns=v))
good("prep.unscale", "columns", "np.array([0])", lambda: A([0.5], scaler(), columns=np.array([0])))

sweep("prep.transform", "scaler", [("None", None), ("unfitted MinMaxScaler", "UNFITTED"), ("OneHotEncoder", "ENCODER")],
      lambda v: A(S6, pick(v, UNFITTED=unfitted_scaler, ENCODER=encoder)))
sweep("prep.transform", "data", [("None", None), ("'abc'", "abc"), ("NaN", NAN6), ("2 columns for a 1-column scaler",
                                 np.zeros((3, 2))), ("empty", np.array([]))],
      lambda v: A(v, scaler()))
good("prep.transform", "data", "list", lambda: A([0.0, 0.5, 1.0], scaler()))
good("prep.transform", "data", "pd.Series", lambda: A(pd.Series([0.0, 1.0]), scaler()))
good("prep.transform", "data", "np.int64", lambda: A(np.int64(3), scaler()))
good("prep.transform", "data", "1e308 (far outside the fitted range, still finite)", lambda: A([1e308], scaler()))

def window_model():
    import keras

    inputs = keras.Input(shape=(3, 1))
    return keras.Model(inputs, inputs[:, -1, :] + 1.0)


sweep("forecast.recursive_forecast", "history", [("None", None), ("'abc'", "abc"), ("[1, 2] (shorter than the window)",
      [1.0, 2.0]), ("NaN", [1.0, float("nan"), 2.0]), ("2 features", np.ones((3, 2))), ("4-D", np.ones((1, 1, 3, 1))),
      ("bools", [True, False, True])], lambda v: A(window_model(), v, 2))
sweep("forecast.recursive_forecast", "n_steps", NOT_POSITIVE + [("2.5", 2.5), ("10**9", 10**9), ("True", True)],
      lambda v: A(window_model(), [1.0, 2.0, 3.0], v))
sweep("forecast.recursive_forecast", "model", [("None", None), ("'model'", "model")], lambda v: A(v, [1.0, 2.0, 3.0], 2))
good("forecast.recursive_forecast", "history", "pd.Series", lambda: A(window_model(), pd.Series(S6), 2))
good("forecast.recursive_forecast", "n_steps", "np.int64(3)", lambda: A(window_model(), S6, np.int64(3)))
sweep("forecast.plot_forecast", "forecast", [("None", None), ("'abc'", "abc"), ("2 columns", np.ones((3, 2))),
      ("NaN", [1.0, float("nan")])], lambda v: A(S6, v))
sweep("forecast.plot_forecast", "actual", [("longer than forecast", [1.0, 2.0, 3.0]), ("'abc'", "abc")],
      lambda v: A(S6, [1.0, 2.0], actual=v))
sweep("forecast.plot_forecast", "index", [("too short", [0, 1])], lambda v: A(S6, [1.0], index=v))
good("forecast.plot_forecast", "history", "pd.Series with dates",
     lambda: A(pd.Series(S6, index=pd.date_range("2020-01-01", periods=6, freq="MS")), [1.0, 2.0]))


sweep("prep.one_hot_encode", "values",
      [("None", None), ("'abc'", "abc"), ("{'a': 1}", {"a": 1}), ("2-D", [[1, 2], [3, 4]]), ("[]", []),
       ("[1.5, 2]", [1.5, 2.0]), ("[nan, 1]", [float("nan"), 1.0]), ("[1, None]", [1, None]),
       ("complex", np.array([1j, 2])), ("datetime64 array", DATES6), ("['a', 1] mixed", ["a", 1]),
       ("[inf, 1]", [float("inf"), 1.0])],
      lambda v: A(v))
good("prep.one_hot_encode", "values", "[2**64, 1] (Python ints past int64)", lambda: A([2**64, 1]))
sweep("prep.one_hot_encode", "categories",
      [("5", 5), ("'abc'", "abc"), ("[]", []), ("[1, 1, 2]", [1, 1, 2]), ("[1, 2] (3 missing)", [1, 2]),
       ("[[1, 2, 3]]", [[1, 2, 3]]), ("[0.5, 1, 2, 3]", [0.5, 1, 2, 3]), ("['a', 'b']", ["a", "b"]),
       ("[None, 1, 2, 3]", [None, 1, 2, 3])],
      lambda v: A([1, 2, 3], categories=v))
good("prep.one_hot_encode", "values", "pd.Series of labels", lambda: A(pd.Series(["cold", "hot", "cold"])))
good("prep.one_hot_encode", "values", "np.int64 array", lambda: A(np.array([3, 0, 9])))
good("prep.one_hot_encode", "categories", "range(10)", lambda: A([3, 0], categories=range(10)))
good("prep.one_hot_encode", "categories", "np.arange(10)", lambda: A([3, 0], categories=np.arange(10)))

sweep("prep.one_hot_decode", "encoded",
      [("None", None), ("'abc'", "abc"), ("{'a': 1}", {"a": 1}), ("NaN", [[np.nan, 1.0]]), ("empty", []),
       ("4-D", np.zeros((1, 1, 1, 2))), ("0-d 3.0", 3.0), ("object array", np.array([[1, "a"]], dtype=object)),
       ("complex", np.array([[1j, 2]])), ("all-zero row", [[0.0, 0.0, 0.0]])],
      lambda v: A(v))
sweep("prep.one_hot_decode", "encoder", [("'enc'", "enc"), ("{}", {})], lambda v: A([[0.0, 1.0, 0.0]], v))
bad("prep.one_hot_decode", "encoded|encoder", "2 columns for 3 labels", lambda: A([[0.0, 1.0]], encoder()))
bad("prep.one_hot_decode", "encoded", "all-zero row with encoder", lambda: A([[0.0, 0.0, 0.0]], encoder()))
good("prep.one_hot_decode", "encoded", "list", lambda: A([[0, 1, 0]]))
good("prep.one_hot_decode", "encoded", "pd.DataFrame", lambda: A(pd.DataFrame([[0, 1, 0]]), encoder()))

SEQS = [[1, 2, 3, 4], [1, 2, 3], [1]]
sweep("prep.pad", "sequences",
      [("None", None), ("'abc'", "abc"), ("[]", []), ("5", 5), ("[[1, 2], 'ab']", [[1, 2], "ab"]),
       ("[[1, None]]", [[1, None]]), ("[[nan]]", [[float("nan")]]), ("{'a': [1]}", {"a": [1]}),
       ("[[1j]]", [[1j]]), ("[[datetime64]]", [DATES6[:2]])],
      lambda v: A(v))
sweep("prep.pad", "maxlen", NOT_POSITIVE + [("2.5", 2.5), ("'3'", "3"), ("True", True)] + HUGE,
      lambda v: A(SEQS, maxlen=v))
sweep("prep.pad", "padding", [("'middle'", "middle"), ("None", None), ("1", 1)], lambda v: A(SEQS, padding=v))
sweep("prep.pad", "value", [("nan", float("nan")), ("'x'", "x"), ("None", None), ("inf", float("inf")),
                            ("1e308 (int32 padding)", 1e308), ("2**40 (int32 padding)", 2**40)],
      lambda v: A(SEQS, value=v))
sweep("prep.pad", "dtype", [("'str'", "str"), ("'object'", "object"), ("'banana'", "banana"),
                            ("'int32' for fractions", "int32")],
      lambda v: A([[1.5, 2.0]], dtype=v))
bad("prep.pad", "sequences", "[[2**40]] into int32", lambda: A([[2**40, 1]]))
good("prep.pad", "sequences", "list of arrays", lambda: A([np.array([1, 2]), np.array([3])]))
good("prep.pad", "sequences", "(timesteps, channels) arrays", lambda: A([np.ones((3, 2)), np.ones((1, 2))]))
bad("prep.pad", "sequences", "channels that differ", lambda: A([np.ones((3, 2)), np.ones((1, 3))]))
bad("prep.pad", "sequences", "1-D beside (timesteps, channels)", lambda: A([np.ones(3), np.ones((1, 3))]))
bad("prep.pad", "sequences", "3-D sequence", lambda: A([np.ones((2, 2, 2))]))
good("prep.pad", "sequences", "tuple of tuples", lambda: A(((1, 2), (3,))))
good("prep.pad", "sequences", "list of pd.Series", lambda: A([pd.Series([1, 2]), pd.Series([3])]))
good("prep.pad", "maxlen", "np.int64(3)", lambda: A(SEQS, maxlen=np.int64(3)))
good("prep.pad", "value", "np.float64(-1.0)", lambda: A(SEQS, value=np.float64(-1.0)))

sweep("prep.truncate", "maxlen", NOT_INT + NOT_POSITIVE + HUGE[:1], lambda v: A(SEQS, v))
sweep("prep.truncate", "truncating", [("'middle'", "middle"), ("None", None)], lambda v: A(SEQS, 2, truncating=v))
sweep("prep.truncate", "sequences", [("None", None), ("[]", []), ("[[nan]]", [[float("nan")]])],
      lambda v: A(v, 2))
bad("prep.truncate", "dtype", "'U'", lambda: A(SEQS, 2, dtype="U"))
good("prep.truncate", "maxlen", "np.int64(2)", lambda: A(SEQS, np.int64(2)))

sweep("prep.series_to_supervised", "data", SERIES_BAD[:2] + SERIES_BAD[4:5] + SERIES_BAD[6:], lambda v: A(v))
sweep("prep.series_to_supervised", "n_in", [("-1", -1), ("2.5", 2.5), ("'1'", "1"), ("True", True), ("10**15", 10**15)],
      lambda v: A(S6, n_in=v))
sweep("prep.series_to_supervised", "n_out", NOT_POSITIVE + [("None", None)], lambda v: A(S6, n_out=v))
sweep("prep.series_to_supervised", "dropnan", [("'yes'", "yes"), ("1", 1), ("None", None)],
      lambda v: A(S6, dropnan=v))
bad("prep.series_to_supervised", "n_in", "longer than the series, dropnan=False", lambda: A(S6, n_in=10, dropnan=False))
bad("prep.series_to_supervised", "n_in", "10**8 (a loop of shifts would hang)", lambda: A(S6, n_in=10**8, dropnan=False))
good("prep.series_to_supervised", "data", "pd.Series with a DatetimeIndex",
     lambda: A(pd.Series(S6, index=pd.date_range("2000-01", periods=len(S6), freq="MS"))))
good("prep.series_to_supervised", "data", "pd.Series", lambda: A(pd.Series(S6)))
good("prep.series_to_supervised", "data", "pd.DataFrame", lambda: A(pd.DataFrame({"a": S6, "b": S6})))
good("prep.series_to_supervised", "n_in", "np.int64(2)", lambda: A([1, 2, 3, 4], n_in=np.int64(2)))
good("prep.series_to_supervised", "dropnan", "np.bool_(True)", lambda: A(S6, dropnan=np.bool_(True)))

sweep("prep.split_sequence", "n_steps", NOT_INT + NOT_POSITIVE + [("len(sequence)", 6)] + HUGE[:1],
      lambda v: A(S6, v))
sweep("prep.split_sequence", "sequence", [("None", None), ("'abc'", "abc"), ("empty", np.array([])),
                                          ("NaN", NAN6), ("3-D", np.zeros((4, 2, 1))), ("[1]", [1.0]),
                                          ("datetime64 array", DATES6)],
      lambda v: A(v, 1))
good("prep.split_sequence", "n_steps", "np.int64(2)", lambda: A(S6, np.int64(2)))
good("prep.split_sequence", "sequence", "pd.Series", lambda: A(pd.Series(S6), 2))
good("prep.split_sequence", "sequence", "pd.DataFrame", lambda: A(pd.DataFrame({"a": S6, "b": S6}), 2))

sweep("prep.tbptt_split", "timesteps", NOT_INT + NOT_POSITIVE + [("4 (does not divide 6)", 4), ("7 (> n)", 7)],
      lambda v: A(S6, v))
sweep("prep.tbptt_split", "drop_remainder", [("'yes'", "yes"), ("1", 1)], lambda v: A(S6, 4, drop_remainder=v))
sweep("prep.tbptt_split", "series", [("None", None), ("NaN", NAN6), ("empty", np.array([])),
                                     ("3-D", np.zeros((2, 3, 1)))],
      lambda v: A(v, 2))
good("prep.tbptt_split", "timesteps", "np.int64(3)", lambda: A(S6, np.int64(3)))
good("prep.tbptt_split", "series", "pd.Series", lambda: A(pd.Series(S6), 3))
good("prep.tbptt_split", "drop_remainder", "np.bool_(True)", lambda: A(S6, 4, drop_remainder=np.bool_(True)))

sweep("prep.difference", "interval", NOT_INT + NOT_POSITIVE + [("len(series)", 6)], lambda v: A(S6, v))
sweep("prep.difference", "series", [("None", None), ("'abc'", "abc"), ("NaN", NAN6), ("inf", INF6),
                                    ("empty", np.array([])), ("[1]", [1.0]), ("3-D", np.zeros((3, 2, 1))),
                                    ("datetime64 array", DATES6)],
      lambda v: A(v))
bad("prep.difference", "series", "[-1e308, 1e308, ...] (difference overflows)", lambda: A(HUGE6))
good("prep.difference", "series", "list", lambda: A([1, 4, 9, 16]))
good("prep.difference", "series", "pd.Series", lambda: A(pd.Series(S6)))
good("prep.difference", "interval", "np.int64(2)", lambda: A(S6, np.int64(2)))

sweep("prep.invert_difference", "initial",
      [("None", None), ("'a'", "a"), ("nan", float("nan")), ("(1, 2) for 1-D diffed", np.zeros((1, 2))), ("{}", {})],
      lambda v: A([3.0, 5.0, 7.0], v))
bad("prep.invert_difference", "initial", "1 value for interval=2", lambda: A([3.0, 5.0, 7.0], 1.0, interval=2))
sweep("prep.invert_difference", "diffed", [("None", None), ("NaN", NAN6), ("empty", []), ("'abc'", "abc")],
      lambda v: A(v, 1.0))
sweep("prep.invert_difference", "interval", [("0", 0), ("2.5", 2.5), ("None", None)],
      lambda v: A([3.0, 5.0], 1.0, interval=v))
bad("prep.invert_difference", "diffed", "[1e308, 1e308] (sum overflows)", lambda: A([1e308, 1e308], 1.0))
good("prep.invert_difference", "initial", "np.float64(1.0)", lambda: A([3, 5, 7], np.float64(1.0)))
good("prep.invert_difference", "initial", "[1.0]", lambda: A([3, 5, 7], [1.0]))
good("prep.invert_difference", "diffed", "pd.Series", lambda: A(pd.Series([3.0, 5.0]), 1.0))
good("prep.invert_difference", "interval", "np.int64(2)", lambda: A([3.0, 5.0], [1.0, 2.0], interval=np.int64(2)))

sweep("prep.to_3d", "data", [("None", None), ("'abc'", "abc"), ("NaN", NAN6), ("empty", np.array([])),
                             ("4-D", np.zeros((1, 2, 2, 1))), ("0-d 5.0", 5.0), ("datetime64 array", DATES6)],
      lambda v: A(v))
sweep("prep.to_3d", "timesteps", NOT_POSITIVE + [("2.5", 2.5), ("'5'", "5"), ("4 (10 values)", 4),
                                                 ("10**15", 10**15)],
      lambda v: A(np.arange(10.0), timesteps=v))
sweep("prep.to_3d", "features", NOT_POSITIVE + [("2.5", 2.5), ("3 (10 values)", 3)],
      lambda v: A(np.arange(10.0), features=v))
bad("prep.to_3d", "timesteps", "3-D data, wrong timesteps", lambda: A(np.zeros((2, 5, 1)), timesteps=4))
bad("prep.to_3d", "features", "2-D (2, 5) with features=2", lambda: A(np.zeros((2, 5)), features=2))
good("prep.to_3d", "data", "list", lambda: A([1.0, 2.0, 3.0]))
good("prep.to_3d", "data", "pd.DataFrame", lambda: A(pd.DataFrame(np.zeros((2, 5)))))
good("prep.to_3d", "timesteps", "np.int64(5)", lambda: A(np.arange(10.0), timesteps=np.int64(5)))

sweep("prep.check_3d", "X", [("None", None), ("'abc'", "abc"), ("2-D", np.zeros((2, 3))), ("1-D", np.zeros(3)),
                             ("ragged list", [[[1.0]], [[1.0], [2.0]]]), ("empty (0, 3, 1)", np.zeros((0, 3, 1))),
                             ("NaN", np.full((1, 2, 1), np.nan)), ("object", np.full((1, 2, 1), None, dtype=object)),
                             ("complex", np.zeros((1, 2, 1)) + 1j),
                             ("datetime64", DATES6[:2].reshape(1, 2, 1)), ("{'a': 1}", {"a": 1})],
      lambda v: A(v))
sweep("prep.check_3d", "name", [("5", 5), ("None", None)], lambda v: A(np.zeros((1, 2, 1)), name=v))
sweep("prep.check_3d", "timesteps", [("3 (X has 2)", 3), ("0", 0), ("'2'", "2")],
      lambda v: A(np.zeros((1, 2, 1)), timesteps=v))
sweep("prep.check_3d", "features", [("2 (X has 1)", 2), ("1.0", 1.0)], lambda v: A(np.zeros((1, 2, 1)), features=v))
good("prep.check_3d", "X", "nested list", lambda: A([[[1.0], [2.0]]]))
good("prep.check_3d", "timesteps", "np.int64(2)", lambda: A(np.zeros((1, 2, 1)), timesteps=np.int64(2)))

# ---------------------------------------------------------------------------------------------
# lstmbook.problems
# ---------------------------------------------------------------------------------------------

sweep("problems.first_sign_sequences", "n", NOT_INT + NOT_POSITIVE + HUGE, lambda v: A(v, timesteps=3))
sweep("problems.first_sign_sequences", "timesteps", NOT_POSITIVE + [("2.5", 2.5)], lambda v: A(2, timesteps=v))
sweep("problems.first_sign_sequences", "noise", [("-1", -1), ("nan", float("nan")), ("inf", float("inf")),
                                                 ("'1'", "1"), ("1e308 (float32 overflow)", 1e308)],
      lambda v: A(4, timesteps=5, noise=v, seed=0))
sweep("problems.first_sign_sequences", "signal", [("(1.5, 0.5)", (1.5, 0.5)), ("(0, 1)", (0, 1)), ("(-1, 1)", (-1, 1)),
                                                  ("'ab'", "ab"), ("(1, 2, 3)", (1, 2, 3)), ("(nan, 1)", (float("nan"), 1)),
                                                  ("5", 5), ("(1e39, 1e39) (float32 overflow)", (1e39, 1e39))],
      lambda v: A(2, timesteps=3, signal=v))
sweep("problems.first_sign_sequences", "seed", [("-1", -1), ("2.5", 2.5), ("'1'", "1"), ("True", True)],
      lambda v: A(2, timesteps=3, seed=v))
good("problems.first_sign_sequences", "n", "np.int64(3)", lambda: A(np.int64(3), timesteps=np.int64(4)))
good("problems.first_sign_sequences", "signal", "np.array([0.5, 1.5])",
     lambda: A(2, timesteps=3, signal=np.array([0.5, 1.5])))
good("problems.first_sign_sequences", "signal", "[0.5, 1.5]", lambda: A(2, timesteps=3, signal=[0.5, 1.5]))
good("problems.first_sign_sequences", "seed", "np.int64(0)", lambda: A(2, timesteps=3, seed=np.int64(0)))
good("problems.first_sign_sequences", "noise", "np.float32(0.5)", lambda: A(2, timesteps=3, noise=np.float32(0.5)))

sweep("problems.adding_problem", "n", NOT_INT + NOT_POSITIVE + HUGE[:1], lambda v: A(v, timesteps=4))
sweep("problems.adding_problem", "timesteps", [("1", 1), ("0", 0), ("2.5", 2.5), ("2**64", 2**64)],
      lambda v: A(2, timesteps=v))
sweep("problems.adding_problem", "seed", [("-1", -1), ("'x'", "x"), ("1.5", 1.5)], lambda v: A(2, timesteps=4, seed=v))
good("problems.adding_problem", "n", "np.int64(3)", lambda: A(np.int64(3), timesteps=np.int32(10)))

sweep("problems.echo_sequences", "n", NOT_POSITIVE + [("2.5", 2.5)], lambda v: A(v))
sweep("problems.echo_sequences", "length", [("0", 0), ("'5'", "5")], lambda v: A(2, length=v, out_index=0))
sweep("problems.echo_sequences", "n_features", [("1", 1), ("0", 0), ("10**15", 10**15)], lambda v: A(2, n_features=v))
sweep("problems.echo_sequences", "out_index", [("5 (= length)", 5), ("-1", -1), ("2.5", 2.5)],
      lambda v: A(2, out_index=v))
bad("problems.echo_sequences", "seed", "'a'", lambda: A(2, seed="a"))
good("problems.echo_sequences", "n", "np.int64 everywhere",
     lambda: A(np.int64(2), length=np.int64(4), n_features=np.int64(3), out_index=np.int64(1), seed=np.int64(0)))

sweep("problems.decode_echo", "encoded",
      [("None", None), ("'abc'", "abc"), ("empty", []), ("[[1]] (width 1)", [[1]]), ("NaN", [[np.nan, 1.0]]),
       ("all-zero row", [[0.0, 0.0, 0.0]]), ("complex", np.array([[1j, 2.0]])),
       ("{'a': 1}", {"a": 1}), ("object", np.array([[1, "a"]], dtype=object)),
       ("datetime64", DATES6[:2].reshape(1, 2))],
      lambda v: A(v))
good("problems.decode_echo", "encoded", "list", lambda: A([[0, 0, 1], [0.7, 0.2, 0.1]]))
good("problems.decode_echo", "encoded", "bool one-hot rows", lambda: A(np.array([[True, False]])))

sweep("problems.damped_sine", "length", NOT_POSITIVE + [("2.5", 2.5), ("'5'", "5"), ("10**15", 10**15)],
      lambda v: A(v, 10, 0.1))
sweep("problems.damped_sine", "period", [("0", 0), ("-1", -1), ("nan", float("nan")), ("inf", float("inf")),
                                         ("'5'", "5"), ("None", None), ("True", True), ("[]", []), ("1j", 1j),
                                         ("1e-308 (i / period overflows)", 1e-308)],
      lambda v: A(5, v, 0.1))
sweep("problems.damped_sine", "decay", [("-0.1", -0.1), ("nan", float("nan")), ("'x'", "x"), ("None", None)],
      lambda v: A(5, 10, v))
bad("problems.damped_sine", "period|decay", "shapes (2,) and (3,)", lambda: A(5, [10, 20], [0.1, 0.2, 0.3]))
good("problems.damped_sine", "period", "np.array with np.array decay", lambda: A(4, np.array([10, 20]), np.array([0.0, 0.1])))
good("problems.damped_sine", "period", "list", lambda: A(4, [4, 8], 0.0))
good("problems.damped_sine", "decay", "pd.Series", lambda: A(4, np.array([4, 8]), pd.Series([0.1, 0.2])))
good("problems.damped_sine", "length", "np.int64(4)", lambda: A(np.int64(4), 4, 0.0))

sweep("problems.damped_sine_sequences", "n", [("0", 0), ("2.5", 2.5)], lambda v: A(v, length=5, n_out=2))
sweep("problems.damped_sine_sequences", "length", [("0", 0), ("10**15", 10**15)], lambda v: A(2, length=v, n_out=2))
sweep("problems.damped_sine_sequences", "n_out", NOT_POSITIVE, lambda v: A(2, length=5, n_out=v))
sweep("problems.damped_sine_sequences", "periods", [("(20, 10)", (20, 10)), ("(0, 10)", (0, 10)), ("(1.5, 10)", (1.5, 10)),
                                                    ("'ab'", "ab"), ("None", None), ("(10, 2**64)", (10, 2**64))],
      lambda v: A(2, length=5, n_out=2, periods=v))
sweep("problems.damped_sine_sequences", "decays", [("(0.1, 0.01)", (0.1, 0.01)), ("(-0.1, 0.1)", (-0.1, 0.1)),
                                                   ("(nan, 0.1)", (float("nan"), 0.1)), ("(0, inf)", (0, float("inf")))],
      lambda v: A(2, length=5, n_out=2, decays=v))
bad("problems.damped_sine_sequences", "seed", "-1", lambda: A(2, length=5, n_out=2, seed=-1))
good("problems.damped_sine_sequences", "n", "np.int64(2)", lambda: A(np.int64(2), length=np.int64(5), n_out=np.int64(2)))
good("problems.damped_sine_sequences", "periods", "[10, 20]", lambda: A(2, length=5, periods=[10, 20]))
good("problems.damped_sine_sequences", "periods", "(np.int64(10), np.int64(20))",
     lambda: A(2, length=5, periods=(np.int64(10), np.int64(20))))
good("problems.damped_sine_sequences", "periods", "np.array([10, 20])", lambda: A(2, length=5, periods=np.array([10, 20])))
good("problems.damped_sine_sequences", "decays", "np.array([0.01, 0.1])",
     lambda: A(2, length=5, decays=np.array([0.01, 0.1])))

sweep("problems.moving_line_videos", "n", NOT_POSITIVE + [("2.5", 2.5), ("'2'", "2")], lambda v: A(v, size=4))
sweep("problems.moving_line_videos", "size", [("1", 1), ("0", 0), ("2.5", 2.5), ("10**15", 10**15)],
      lambda v: A(1, size=v))
bad("problems.moving_line_videos", "seed", "-1", lambda: A(1, size=4, seed=-1))
good("problems.moving_line_videos", "n", "np.int64(2)", lambda: A(np.int64(2), size=np.int64(4)))

sweep("problems.decode_directions", "predictions",
      [("None", None), ("'abc'", "abc"), ("(2, 2)", np.zeros((2, 2))), ("0-d 0.7", 0.7), ("empty", []),
       ("NaN", [0.1, np.nan]), ("{}", {}), ("[1j]", [1j]), ("complex array", np.array([0.9 + 1j])),
       ("datetime64", DATES6), ("[2.0, -1.0] (not probabilities)", [2.0, -1.0])],
      lambda v: A(v))
sweep("problems.decode_directions", "threshold", [("2", 2), ("-0.5", -0.5), ("'0.5'", "0.5"), ("nan", float("nan")),
                                                  ("True", True), ("None", None)],
      lambda v: A([0.2, 0.9], threshold=v))
good("problems.decode_directions", "predictions", "pd.Series", lambda: A(pd.Series([0.2, 0.9])))
good("problems.decode_directions", "threshold", "np.float64(0.5)", lambda: A([0.2, 0.9], threshold=np.float64(0.5)))
good("problems.decode_directions", "threshold", "np.float32(0.5)", lambda: A([0.2, 0.9], threshold=np.float32(0.5)))

sweep("problems.MovingLineDataset", "n", [("0", 0), ("2.5", 2.5)], lambda v: A(v, size=4))
sweep("problems.MovingLineDataset", "batch_size", [("0", 0), ("-1", -1), ("'32'", "32")],
      lambda v: A(10, batch_size=v, size=4))
bad("problems.MovingLineDataset", "size", "1", lambda: A(10, size=1))
bad("problems.MovingLineDataset", "seed", "-1", lambda: A(10, size=4, seed=-1))
bad("problems.MovingLineDataset", "workers", "'two'", lambda: A(10, size=4, workers="two"))
sweep("problems.MovingLineDataset.videos", "index", [("-1", -1), ("3 (len 3)", 3), ("1.5", 1.5), ("True", True)],
      lambda v: A(line_dataset(), v), accept=(IndexError,))
sweep("problems.MovingLineDataset.__getitem__", "index", [("3 (len 3)", 3), ("'0'", "0")],
      lambda v: A(line_dataset(), v), accept=(IndexError,))
good("problems.MovingLineDataset", "n", "np.int64(10)", lambda: A(np.int64(10), batch_size=np.int64(4), size=4))
good("problems.MovingLineDataset.__getitem__", "index", "np.int64(1)", lambda: A(line_dataset(), np.int64(1)))

sweep("problems.addition_lengths", "n_terms", NOT_INT[:3] + NOT_POSITIVE, lambda v: A(v))
sweep("problems.addition_lengths", "largest", [("0", 0), ("2.5", 2.5), ("None", None)], lambda v: A(3, v))
good("problems.addition_lengths", "n_terms", "np.int64(3)", lambda: A(np.int64(3), np.int64(10)))

sweep("problems.addition_sequences", "n", [("0", 0), ("2.5", 2.5)], lambda v: A(v))
sweep("problems.addition_sequences", "n_terms", [("0", 0), ("10**15", 10**15)], lambda v: A(2, n_terms=v))
sweep("problems.addition_sequences", "largest", [("0", 0), ("2**63", 2**63)], lambda v: A(2, largest=v))
bad("problems.addition_sequences", "seed", "'x'", lambda: A(2, seed="x"))
good("problems.addition_sequences", "n", "np.int64 everywhere", lambda: A(np.int64(2), np.int64(2), np.int64(10)))

ADD_X = np.eye(12, dtype="float32")[[[1, 11, 2]]]  # one problem "1 2", (1, 3, 12)
sweep("problems.decode_addition", "encoded",
      [("None", None), ("'abc'", "abc"), ("object", np.full((1, 2, 12), None, dtype=object)),
       ("last axis 11", np.zeros((1, 2, 11))), ("4-D", np.zeros((1, 1, 2, 12))), ("1-D", np.zeros(12)),
       ("empty (0, 2, 12)", np.zeros((0, 2, 12))), ("NaN", np.full((1, 2, 12), np.nan)),
       ("all-zero rows", np.zeros((1, 2, 12))), ("complex", np.zeros((1, 2, 12)) + 1j),
       ("{'a': 1}", {"a": 1})],
      lambda v: A(v))
sweep("problems.decode_addition", "strip", [("'yes'", "yes"), ("None", None)], lambda v: A(ADD_X, strip=v))
good("problems.decode_addition", "encoded", "nested list", lambda: A(ADD_X.tolist()))
good("problems.decode_addition", "strip", "np.bool_(False)", lambda: A(ADD_X, strip=np.bool_(False)))

sweep("problems.cumulative_sum_sequences", "n", [("0", 0), ("2.5", 2.5), ("'3'", "3")], lambda v: A(v))
sweep("problems.cumulative_sum_sequences", "n_timesteps", NOT_POSITIVE + HUGE, lambda v: A(2, n_timesteps=v))
good("problems.cumulative_sum_sequences", "n", "np.int64(3)", lambda: A(np.int64(3), np.int64(4)))

sweep("problems.rectangle_sequences", "n", NOT_POSITIVE + [("2.5", 2.5), ("None", None), ("10**15", 10**15)],
      lambda v: A(v))
sweep("problems.rectangle_sequences", "seed", [("-1", -1), ("1.5", 1.5)], lambda v: A(2, seed=v))
good("problems.rectangle_sequences", "n", "np.int64(2)", lambda: A(np.int64(2), seed=np.int64(1)))

sweep("problems.rectangle_shape_error", "corners",
      [("None", None), ("'abc'", "abc"), ("(3, 3)", np.zeros((3, 3))), ("(4, 2)", np.zeros((4, 2))),
       ("1-D", np.zeros(6)), ("empty (0, 3, 2)", np.zeros((0, 3, 2))), ("NaN", np.full((3, 2), np.nan)),
       ("inf", np.full((3, 2), np.inf)), ("object", np.full((3, 2), "a", dtype=object)), ("{}", {}),
       ("complex", np.zeros((3, 2)) + 1j), ("±1e308 (difference overflows)", [[1e308, 0], [-1e308, 0], [0, 0]])],
      lambda v: A(v))
good("problems.rectangle_shape_error", "corners", "int64 array", lambda: A(np.array([[1, 0], [1, 1], [0, 1]])))

# ---------------------------------------------------------------------------------------------
# lstmbook.models
# ---------------------------------------------------------------------------------------------

SHAPES_BAD = [("(0, 1)", (0, 1)), ("(3, 0)", (3, 0)), ("(3,)", (3,)), ("(3, 1, 1)", (3, 1, 1)), ("'31'", "31"),
              ("None", None), ("(2.5, 1)", (2.5, 1)), ("(3, -1)", (3, -1)), ("(None, None)", (None, None))]
sweep("models.build_vanilla_lstm", "input_shape", SHAPES_BAD, lambda v: A(v, 2, units=2))
sweep("models.build_vanilla_lstm", "output_units", NOT_POSITIVE + NOT_INT, lambda v: A((3, 1), v, units=2))
sweep("models.build_vanilla_lstm", "units", [("0", 0), ("2.5", 2.5), ("10**15", 10**15)], lambda v: A((3, 1), 2, units=v))
sweep("models.build_vanilla_lstm", "output_activation", [("'bogus'", "bogus"), ("5", 5)],
      lambda v: A((3, 1), 2, units=2, output_activation=v))
bad("models.build_vanilla_lstm", "output_units|output_activation", "1 unit with softmax",
    lambda: A((3, 1), 1, units=2))
sweep("models.build_vanilla_lstm", "return_sequences", [("'yes'", "yes"), ("1", 1)],
      lambda v: A((3, 1), 2, units=2, return_sequences=v))
bad("models.build_vanilla_lstm", "go_backwards", "'no'", lambda: A((3, 1), 2, units=2, go_backwards="no"))
bad("models.build_vanilla_lstm", "unroll", "True with timesteps None", lambda: A((None, 1), 2, units=2, unroll=True))
sweep("models.build_vanilla_lstm", "name", [("''", ""), ("5", 5), ("'a/b'", "a/b")], lambda v: A((3, 1), 2, units=2, name=v))
good("models.build_vanilla_lstm", "input_shape", "np.array([3, 1])", lambda: A(np.array([3, 1]), 2, units=2))
good("models.build_vanilla_lstm", "input_shape", "[3, 1]", lambda: A([3, 1], 2, units=2))
good("models.build_vanilla_lstm", "input_shape", "(np.int64(3), np.int64(1))",
     lambda: A((np.int64(3), np.int64(1)), np.int64(2), units=np.int32(2)))
good("models.build_vanilla_lstm", "output_activation", "a callable",
     lambda: A((3, 1), 1, units=2, output_activation=keras().activations.sigmoid))
good("models.build_vanilla_lstm", "return_sequences", "np.bool_(True)",
     lambda: A((3, 1), 2, units=2, return_sequences=np.bool_(True)))

sweep("models.build_stacked_lstm", "units", [("()", ()), ("[0]", [0]), ("[2.5]", [2.5]), ("'20'", "20"),
                                             ("(2, -1)", (2, -1))],
      lambda v: A((3, 1), 1, units=v))
sweep("models.build_stacked_lstm", "dropout", [("1.0", 1.0), ("-0.1", -0.1), ("nan", float("nan")), ("'0.1'", "0.1"),
                                               ("True", True)],
      lambda v: A((3, 1), 1, units=(2,), dropout=v))
sweep("models.build_stacked_lstm", "output_units", [("0", 0)], lambda v: A((3, 1), v, units=(2,)))
sweep("models.build_stacked_lstm", "input_shape", [("(3,)", (3,))], lambda v: A(v, 1, units=(2,)))
sweep("models.build_stacked_lstm", "name", [("None", None)], lambda v: A((3, 1), 1, units=(2,), name=v))
good("models.build_stacked_lstm", "units", "np.array([2, 2])", lambda: A((3, 1), 1, units=np.array([2, 2])))
good("models.build_stacked_lstm", "units", "[2, 2]", lambda: A((3, 1), 1, units=[2, 2]))
good("models.build_stacked_lstm", "units", "np.int64(2)", lambda: A((3, 1), 1, units=np.int64(2)))
good("models.build_stacked_lstm", "dropout", "np.float64(0.1)", lambda: A((3, 1), 1, units=(2,), dropout=np.float64(0.1)))

CNN = dict(units=2, timesteps=3)
sweep("models.build_cnn_lstm", "frame_shape", [("(4, 4)", (4, 4)), ("(0, 4, 1)", (0, 4, 1)), ("(4, 4, 1.0)", (4, 4, 1.0)),
                                               ("'441'", "441"), ("None", None)],
      lambda v: A(v, **CNN))
sweep("models.build_cnn_lstm", "kernel_size", [("0", 0), ("(5, 5) > frame", (5, 5)), ("(2,)", (2,)), ("2.5", 2.5)],
      lambda v: A((4, 4, 1), kernel_size=v, **CNN))
sweep("models.build_cnn_lstm", "pool_size", [("(4, 4) > convolved", (4, 4)), ("0", 0)],
      lambda v: A((4, 4, 1), pool_size=v, **CNN))
sweep("models.build_cnn_lstm", "filters", [("0", 0), ("2.5", 2.5)], lambda v: A((4, 4, 1), filters=v, **CNN))
sweep("models.build_cnn_lstm", "timesteps", [("0", 0), ("2.5", 2.5)], lambda v: A((4, 4, 1), units=2, timesteps=v))
bad("models.build_cnn_lstm", "unroll", "True with timesteps None", lambda: A((4, 4, 1), units=2, unroll=True))
bad("models.build_cnn_lstm", "output_units", "0", lambda: A((4, 4, 1), output_units=0, **CNN))
good("models.build_cnn_lstm", "frame_shape", "np.array([4, 4, 1])", lambda: A(np.array([4, 4, 1]), **CNN))
good("models.build_cnn_lstm", "kernel_size", "np.array([2, 2])", lambda: A((4, 4, 1), kernel_size=np.array([2, 2]), **CNN))
good("models.build_cnn_lstm", "kernel_size", "np.int64(2)", lambda: A((4, 4, 1), kernel_size=np.int64(2), **CNN))
good("models.build_cnn_lstm", "timesteps", "np.int64(3)", lambda: A([4, 4, 1], units=2, timesteps=np.int64(3)))
sweep("models.build_cnn_lstm", "frames_per_call", [("0", 0), ("2.5", 2.5), ("'2'", "2")],
      lambda v: A((4, 4, 1), frames_per_call=v, **CNN))
sweep("models.build_cnn_lstm", "pool_padding", [("'full'", "full"), ("None", None), ("1", 1)],
      lambda v: A((4, 4, 1), pool_padding=v, **CNN))
good("models.build_cnn_lstm", "pool_padding", "np.str_('same')", lambda: A((4, 4, 1), pool_padding=np.str_("same"), **CNN))
good("models.build_cnn_lstm", "frames_per_call", "np.int64(2)", lambda: A((4, 4, 1), frames_per_call=np.int64(2), **CNN))

ED = dict(encoder_units=2, decoder_units=2)
sweep("models.build_encoder_decoder_lstm", "output_timesteps", [("0", 0), ("2.5", 2.5), ("None", None), ("'2'", "2")],
      lambda v: A((8, 12), v, 12, **ED))
bad("models.build_encoder_decoder_lstm", "encoder_units", "0", lambda: A((8, 12), 2, 12, encoder_units=0, decoder_units=2))
bad("models.build_encoder_decoder_lstm", "decoder_units", "-1", lambda: A((8, 12), 2, 12, encoder_units=2, decoder_units=-1))
bad("models.build_encoder_decoder_lstm", "input_shape", "(8,)", lambda: A((8,), 2, 12, **ED))
bad("models.build_encoder_decoder_lstm", "output_activation", "'nope'", lambda: A((8, 12), 2, 12, output_activation="nope", **ED))
bad("models.build_encoder_decoder_lstm", "output_units", "0", lambda: A((8, 12), 2, 0, **ED))
good("models.build_encoder_decoder_lstm", "input_shape", "np.array([8, 12])", lambda: A(np.array([8, 12]), 2, 12, **ED))
good("models.build_encoder_decoder_lstm", "output_timesteps", "np.int64(2)", lambda: A([8, 12], np.int64(2), np.int64(12), **ED))

sweep("models.build_bidirectional_lstm", "merge_mode", [("'max'", "max"), ("None", None), ("['concat']", ["concat"])],
      lambda v: A((3, 1), units=2, merge_mode=v))
bad("models.build_bidirectional_lstm", "return_sequences", "'no'", lambda: A((3, 1), units=2, return_sequences="no"))
bad("models.build_bidirectional_lstm", "units", "0", lambda: A((3, 1), units=0))
bad("models.build_bidirectional_lstm", "output_units|output_activation", "1 unit with softmax",
    lambda: A((3, 1), units=2, output_activation="softmax"))
bad("models.build_bidirectional_lstm", "input_shape", "(0, 1)", lambda: A((0, 1), units=2))
good("models.build_bidirectional_lstm", "merge_mode", "np.str_('sum')", lambda: A((3, 1), units=2, merge_mode=np.str_("sum")))
good("models.build_bidirectional_lstm", "input_shape", "np.array([3, 1])", lambda: A(np.array([3, 1]), units=2))
good("models.build_bidirectional_lstm", "units", "np.int64(2)", lambda: A((3, 1), units=np.int64(2)))

sweep("models.build_generative_lstm", "input_shape", [("(1,)", (1,)), ("(1, 2.0)", (1, 2.0))], lambda v: A(v, units=2))
bad("models.build_generative_lstm", "output_units", "0", lambda: A(output_units=0, units=2))
bad("models.build_generative_lstm", "units", "2.5", lambda: A(units=2.5))
bad("models.build_generative_lstm", "output_activation", "3", lambda: A(units=2, output_activation=3))
bad("models.build_generative_lstm", "name", "''", lambda: A(units=2, name=""))
good("models.build_generative_lstm", "input_shape", "np.array([1, 2])", lambda: A(np.array([1, 2]), units=2))
good("models.build_generative_lstm", "input_shape", "[1, 2]", lambda: A([1, 2], units=np.int64(2)))

sweep("models.BatchedTimeDistributed", "layer", [("None", None), ("'dense'", "dense"), ("5", 5)], lambda v: A(v))
bad("models.BatchedTimeDistributed", "inputs", "2-D input (no time axis)",
    lambda: A(np.zeros((2, 3), dtype="float32")),
    call=lambda x: lib("models").BatchedTimeDistributed(keras().layers.Dense(2))(x))
sweep("models.BatchedTimeDistributed", "steps_per_call", [("0", 0), ("2.5", 2.5), ("'2'", "2"), ("True", True)],
      lambda v: A(keras().layers.Dense(2), steps_per_call=v))
good("models.BatchedTimeDistributed", "steps_per_call", "np.int64(2) on (2, 5, 4)",
     lambda: A(np.zeros((2, 5, 4), dtype="float32")),
     call=lambda x: lib("models").BatchedTimeDistributed(keras().layers.Dense(2), steps_per_call=np.int64(2))(x))
bad("models.ReverseTime", "inputs", "1-D input", lambda: A(np.zeros(3, dtype="float32")),
    call=lambda x: lib("models").ReverseTime()(x))
good("models.BatchedTimeDistributed", "layer", "Dense(2) on (2, 3, 4)", lambda: A(np.zeros((2, 3, 4), dtype="float32")),
     call=lambda x: lib("models").BatchedTimeDistributed(keras().layers.Dense(2))(x))
good("models.ReverseTime", "inputs", "(1, 3, 1)", lambda: A(np.arange(3.0).reshape(1, 3, 1)),
     call=lambda x: lib("models").ReverseTime()(x))

# ---------------------------------------------------------------------------------------------
# lstmbook.cell
# ---------------------------------------------------------------------------------------------

sweep("cell.sigmoid", "z", [("None", None), ("'abc'", "abc"), ("{}", {}), ("object", OBJECT6), ("[1j]", [1j]),
                            ("complex array", COMPLEX6), ("datetime64", DATES6), ("NaN", NAN6), ("bool", np.array([True]))],
      lambda v: A(v))
good("cell.sigmoid", "z", "empty (an empty result)", lambda: A([]))
good("cell.sigmoid", "z", "list", lambda: A([0.0, 1.0]))
good("cell.sigmoid", "z", "np.float32 scalar", lambda: A(np.float32(0.5)))
good("cell.sigmoid", "z", "pd.Series", lambda: A(pd.Series([0.0, 1.0])))

K, RK, B = np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8)
sweep("cell.split_gates", "kernel", [("None", None), ("1-D", np.zeros(8)), ("(3, 7)", np.zeros((3, 7))),
                                     ("(0, 8)", np.zeros((0, 8))), ("NaN", np.full((3, 8), np.nan)), ("'abc'", "abc")],
      lambda v: A(v, RK, B))
sweep("cell.split_gates", "recurrent_kernel", [("(2, 7)", np.zeros((2, 7))), ("(0, 0)", np.zeros((0, 0))),
                                               ("3-D", np.zeros((2, 8, 1))), ("'abc'", "abc"), ("(3, 12) vs kernel (3, 8)",
                                                                                             np.zeros((3, 12)))],
      lambda v: A(K, v, B))
sweep("cell.split_gates", "bias", [("length 7", np.zeros(7)), ("2-D", np.zeros((1, 8))), ("NaN", np.full(8, np.nan)),
                                   ("'x'", "x")],
      lambda v: A(K, RK, v))
good("cell.split_gates", "kernel", "lists", lambda: A(K.tolist(), RK.tolist(), B.tolist()))
good("cell.split_gates", "kernel", "pd.DataFrame", lambda: A(pd.DataFrame(K), RK))

sweep("cell.random_weights", "features", NOT_POSITIVE + NOT_INT + HUGE, lambda v: A(v, 2))
sweep("cell.random_weights", "units", [("0", 0), ("2.5", 2.5)], lambda v: A(3, v))
sweep("cell.random_weights", "scale", [("0", 0), ("-1", -1), ("inf", float("inf")), ("nan", float("nan")),
                                       ("'0.5'", "0.5"), ("True", True), ("1e308 (draws overflow)", 1e308)],
      lambda v: A(3, 2, scale=v, seed=0))
sweep("cell.random_weights", "seed", [("-1", -1), ("2.5", 2.5), ("'0'", "0")], lambda v: A(3, 2, seed=v))
good("cell.random_weights", "features", "NumPy scalars",
     lambda: A(np.int64(2), np.int32(3), scale=np.float32(0.5), seed=np.int64(1)))

sweep("cell.weights_from_keras", "layer", [("None", None), ("'lstm'", "lstm"), ("Dense", "DENSE"), ("unbuilt LSTM", "UNBUILT"),
                                           ("LSTM(activation='relu')", "RELU"), ("GRU", "GRU"), ("a Model", "MODEL")],
      lambda v: A(pick(v, DENSE=lambda: keras().layers.Dense(2), UNBUILT=lambda: keras().layers.LSTM(2),
                       RELU=lambda: built_lstm(activation="relu"), GRU=lambda: keras().layers.GRU(2),
                       MODEL=linear_model)))
good("cell.weights_from_keras", "layer", "built LSTM", lambda: A(built_lstm()))

sweep("cell.set_forget_bias", "bias", [("nan", float("nan")), ("inf", float("inf")), ("shape (3,)", np.zeros(3)),
                                       ("2-D", np.zeros((1, 2))), ("'x'", "x"), ("None", None), ("1j", 1j),
                                       ("1e308 (float32 overflow)", 1e308)],
      lambda v: A(built_lstm(), v))
sweep("cell.set_forget_bias", "layer", [("unbuilt LSTM", "UNBUILT"), ("Dense", "DENSE"), ("use_bias=False", "NOBIAS")],
      lambda v: A(pick(v, UNBUILT=lambda: keras().layers.LSTM(2), DENSE=lambda: keras().layers.Dense(2),
                       NOBIAS=lambda: built_lstm(use_bias=False)), 1.0))
good("cell.set_forget_bias", "bias", "np.float32(2.0)", lambda: A(built_lstm(), np.float32(2.0)))
good("cell.set_forget_bias", "bias", "list [1, 2]", lambda: A(built_lstm(), [1.0, 2.0]))
good("cell.set_forget_bias", "bias", "np.int64(3)", lambda: A(built_lstm(), np.int64(3)))

sweep("cell.lstm_step", "weights", [("None", None), ("{}", {}), ("a plain tuple", "TUPLE"), ("gate 'f' missing", "MISSING"),
                                    ("W['f'] (2, 2)", "SHAPE"), ("U['c'] NaN", "NAN")],
      lambda v: A(np.ones((2, 3)), None, None, pick(
          v, TUPLE=lambda: tuple(weights()), MISSING=lambda: weights_with("W", "f", None),
          SHAPE=lambda: weights_with("W", "f", np.zeros((2, 2))),
          NAN=lambda: weights_with("U", "c", np.full((2, 2), np.nan)))))
sweep("cell.lstm_step", "x_t", [("1-D", np.ones(3)), ("features 2", np.ones((2, 2))), ("NaN", np.full((2, 3), np.nan)),
                                ("'abc'", "abc"), ("empty (0, 3)", np.zeros((0, 3)))],
      lambda v: A(v, None, None, weights()))
sweep("cell.lstm_step", "h_prev", [("(2, 3)", np.zeros((2, 3))), ("NaN", np.full((2, 2), np.nan))],
      lambda v: A(np.ones((2, 3)), v, None, weights()))
sweep("cell.lstm_step", "c_prev", [("(1, 2)", np.zeros((1, 2))), ("'c'", "c")],
      lambda v: A(np.ones((2, 3)), None, v, weights()))
good("cell.lstm_step", "x_t", "lists", lambda: A([[1.0, 2.0, 3.0]], [[0.0, 0.0]], [[0.0, 0.0]], weights()))
good("cell.lstm_step", "x_t", "pd.DataFrame", lambda: A(pd.DataFrame(np.ones((2, 3))), None, None, weights()))

sweep("cell.lstm_forward", "x", [("2-D", np.ones((2, 3))), ("features 2", np.ones((1, 4, 2))),
                                 ("NaN", np.full((1, 4, 3), np.nan)), ("empty (0, 5, 3)", np.zeros((0, 5, 3))),
                                 ("no timesteps (1, 0, 3)", np.zeros((1, 0, 3))), ("'abc'", "abc")],
      lambda v: A(v, weights()))
bad("cell.lstm_forward", "x", "x W overflows ([1e308] * 2 + [-1e308] * 3, unit weights)",
    lambda: A(np.array([[[1e308] * 2 + [-1e308] * 3]]), lib("cell").split_gates(np.ones((5, 8)), np.zeros((2, 8)))))
good("cell.lstm_forward", "x", "1e308 everywhere (the gates saturate)", lambda: A(np.full((1, 2, 3), 1e308), weights()))
bad("cell.lstm_forward", "h0", "(3, 2) for batch 1", lambda: A(np.ones((1, 4, 3)), weights(), h0=np.zeros((3, 2))))
bad("cell.lstm_forward", "c0", "NaN", lambda: A(np.ones((1, 4, 3)), weights(), c0=np.full((1, 2), np.nan)))
bad("cell.lstm_forward", "weights", "None", lambda: A(np.ones((1, 4, 3)), None))
good("cell.lstm_forward", "x", "nested list", lambda: A(np.ones((1, 2, 3)).tolist(), weights(), h0=[[0.0, 0.0]]))

sweep("cell.LSTMWeights.to_keras", "self|weights", [("empty dicts", ({}, {}, {})), ("None fields", (None, None, None))],
      lambda v: A(lib("cell").LSTMWeights(*v)))

# ---------------------------------------------------------------------------------------------
# lstmbook.training
# ---------------------------------------------------------------------------------------------

sweep("training.EpochStream", "x", [("None", None), ("'x'", "x"), ("NaN", np.full((4, 3, 1), np.nan)),
                                    ("empty", np.zeros((0, 3, 1)))],
      lambda v: A(v, Y4, 2, 1))
sweep("training.EpochStream", "y", [("3 rows for 4", Y4[:3]), ("NaN", np.full((4, 1), np.nan)), ("None", None)],
      lambda v: A(X4, v, 2, 1))
sweep("training.EpochStream", "batch_size", [("0", 0), ("2.5", 2.5), ("'2'", "2")], lambda v: A(X4, Y4, v, 1))
sweep("training.EpochStream", "epochs", NOT_POSITIVE, lambda v: A(X4, Y4, 2, v))
sweep("training.EpochStream.__getitem__", "index", [("-1", -1), ("4 (len 4)", 4), ("1.5", 1.5), ("'0'", "0")],
      lambda v: A(epoch_stream(), v), accept=(IndexError,))
good("training.EpochStream", "x", "lists, pd.Series, NumPy ints",
     lambda: A(X4.tolist(), pd.Series(Y4[:, 0]), np.int64(2), np.int64(2)))

FIT = dict(epochs=1, batch_size=4)
sweep("training.fit_epochs", "model", [("None", None), ("'model'", "model"), ("uncompiled", "UNCOMPILED")],
      lambda v: A(pick(v, UNCOMPILED=uncompiled_model), X4, Y4, **FIT))
sweep("training.fit_epochs", "x", [("(4, 5, 1) for input (3, 1)", np.zeros((4, 5, 1))), ("NaN", np.full((4, 3, 1), np.nan)),
                                   ("'x'", "x"), ("None", None), ("empty", np.zeros((0, 3, 1))),
                                   ("(4, 3, 2) features", np.zeros((4, 3, 2))), ("complex", X4 + 1j),
                                   ("object", np.full((4, 3, 1), None, dtype=object)),
                                   ("datetime64", np.full((4, 3, 1), DATES6[0]))],
      lambda v: A(sigmoid_model(), v, Y4, **FIT))
sweep("training.fit_epochs", "y", [("3 rows for 4", Y4[:3]), ("NaN", np.full((4, 1), np.nan)), ("'y'", "y"),
                                   ("(4, 2) for 1 output", np.zeros((4, 2))), ("list of 2 for 1 output", [Y4, Y4])],
      lambda v: A(sigmoid_model(), X4, v, **FIT))
sweep("training.fit_epochs", "epochs", NOT_POSITIVE + [("2.5", 2.5), ("'2'", "2"), ("None", None)],
      lambda v: A(sigmoid_model(), X4, Y4, epochs=v))
sweep("training.fit_epochs", "batch_size", NOT_POSITIVE + [("2.5", 2.5), ("'4'", "4")],
      lambda v: A(sigmoid_model(), X4, Y4, epochs=1, batch_size=v))
bad("training.fit_epochs", "validation_every", "0", lambda: A(sigmoid_model(), X4, Y4, validation_every=0, **FIT))
sweep("training.fit_epochs", "reset_state", [("'yes'", "yes"), ("True without a stateful layer", True)],
      lambda v: A(sigmoid_model(), X4, Y4, reset_state=v, **FIT))
sweep("training.fit_epochs", "callbacks", [("'cb'", "cb"), ("[5]", [5]), ("a callback, not a list", "ONE")],
      lambda v: A(sigmoid_model(), X4, Y4, callbacks=pick(v, ONE=lambda: lib("training").StepSync()), **FIT))
sweep("training.fit_epochs", "steps_per_execution", [("3 (epoch has 1 step)", 3), ("'fast'", "fast"), ("0", 0)],
      lambda v: A(sigmoid_model(), X4, Y4, steps_per_execution=v, **FIT))
sweep("training.fit_epochs", "validation_data", [("(x,)", (X4,)), ("'xy'", "xy"), ("x of (4, 5, 1)", (np.zeros((4, 5, 1)), Y4)),
                                                 ("y of 3 rows", (X4, Y4[:3])), ("(x, None)", (X4, None))],
      lambda v: A(sigmoid_model(), X4, Y4, validation_data=v, **FIT))
bad("training.fit_epochs", "verbose", "'loud'", lambda: A(sigmoid_model(), X4, Y4, verbose="loud", **FIT))
bad("training.fit_epochs", "epochs", "10**15 (runs for ever)", lambda: A(sigmoid_model(), X4, Y4, epochs=10**15, batch_size=4),
    last=True)
SIDE = dict(loss="mse", optimizer="adam")
sweep("training.SideBySide", "models", [("None", None), ("a model, not a list", "ONE"), ("[]", []), ("['a']", ["a"]),
                                        ("two named 'a'", "SAME"), ("inputs (3, 1) and (4, 1)", "SHAPES"),
                                        ("a model with two outputs", "TWO")],
      lambda v: A(pick(v, ONE=named_model, SAME=lambda: [named_model("a"), named_model("a")],
                       SHAPES=lambda: [named_model("a"), named_model("b", (4, 1))], TWO=lambda: [two_output_model()]), **SIDE))
sweep("training.SideBySide", "loss", [("keys ['a'] for members a, b", {"a": "mse"}), ("'nope'", "nope"), ("None", None)],
      lambda v: A(two_members(), loss=v, optimizer="adam"))
sweep("training.SideBySide", "optimizer", [("'nope'", "nope"), ("Adam(global_clipnorm=1)", "GLOBAL")],
      lambda v: A(two_members(), loss="mse", optimizer=pick(v, GLOBAL=lambda: keras().optimizers.Adam(global_clipnorm=1.0))))
bad("training.SideBySide", "loss_weights", "{'a': 2, 'b': 1}", lambda: A(two_members(), loss_weights={"a": 2, "b": 1}, **SIDE))
sweep("training.SideBySide.fit", "x", [("(4, 5, 1) for input (3, 1)", np.zeros((4, 5, 1))), ("NaN", np.full((4, 3, 1), np.nan)),
                                       ("'x'", "x"), ("None", None)],
      lambda v: A(side_by_side(), v, Y4, epochs=1, verbose=0))
sweep("training.SideBySide.fit", "y", [("3 rows for 4", Y4[:3]), ("'y'", "y"), ("NaN", np.full((4, 1), np.nan))],
      lambda v: A(side_by_side(), X4, v, epochs=1, verbose=0))
sweep("training.SideBySide.fit", "validation_data", [("(x,)", (X4,)), ("'xy'", "xy")],
      lambda v: A(side_by_side(), X4, Y4, validation_data=v, epochs=1, verbose=0))
sweep("training.SideBySide.predict", "x", [("(4, 5, 1) for input (3, 1)", np.zeros((4, 5, 1))), ("'x'", "x")],
      lambda v: A(side_by_side(), v))
good("training.SideBySide", "models", "a tuple of models", lambda: A(tuple(two_members()), **SIDE))
good("training.SideBySide.fit", "x", "nested lists and a pd.Series",
     lambda: A(side_by_side(), X4.tolist(), pd.Series(Y4[:, 0]), epochs=np.int64(1), verbose=0))
sweep("training.Ensemble", "build_fn", [("None", None), ("'build'", "build"), ("returns None", "NONE"),
                                        ("returns an uncompiled model", "UNCOMPILED"), ("clipnorm", "CLIP")],
      lambda v: A(pick(v, NONE=lambda: returns_none, UNCOMPILED=lambda: uncompiled_model, CLIP=lambda: clipnorm_build), [1, 2]))
sweep("training.Ensemble", "seeds", [("None", None), ("[]", []), ("'12'", "12"), ("['a']", ["a"]), ("[-1]", [-1]),
                                     ("[1.5]", [1.5]), ("{'a': 1}", {"a": 1})],
      lambda v: A(compiled_build, v))
sweep("training.Ensemble.fit", "x", [("(4, 5, 1) for input (3, 1)", np.zeros((4, 5, 1))), ("NaN", np.full((4, 3, 1), np.nan)),
                                     ("'x'", "x")],
      lambda v: A(ensemble(), v, Y4, epochs=1))
sweep("training.Ensemble.fit", "y", [("3 rows for 4", Y4[:3]), ("'y'", "y")], lambda v: A(ensemble(), X4, v, epochs=1))
sweep("training.Ensemble.split", "packed", [("'p'", "p"), ("(4, 3) for 2 members", np.zeros((4, 3)))],
      lambda v: A(ensemble(), v))
good("training.Ensemble", "seeds", "a NumPy array of seeds", lambda: A(compiled_build, np.array([1, 2])))
good("training.Ensemble.fit", "x", "nested lists and NumPy ints", lambda: A(ensemble(), X4.tolist(), Y4.tolist(), epochs=np.int64(1)))

good("training.fit_epochs", "x", "nested list", lambda: A(sigmoid_model(), X4.tolist(), Y4.tolist(), **FIT))
good("training.fit_epochs", "y", "pd.Series", lambda: A(sigmoid_model(), X4, pd.Series(Y4[:, 0]), **FIT))
good("training.fit_epochs", "x", "2-D pd.DataFrame for input (3, 1)",
     lambda: A(sigmoid_model(), pd.DataFrame(X4[..., 0]), Y4, **FIT))
good("training.fit_epochs", "epochs", "NumPy ints",
     lambda: A(sigmoid_model(), X4, Y4, epochs=np.int64(1), batch_size=np.int64(2), steps_per_execution=np.int64(1)))
good("training.fit_epochs", "validation_data", "[x, y] list", lambda: A(sigmoid_model(), X4, Y4, validation_data=[X4, Y4], **FIT))
good("training.fit_epochs", "callbacks", "[ResetStatesCallback(), StepSync()]",
     lambda: A(sigmoid_model(), X4, Y4, callbacks=[lib("training").ResetStatesCallback(), lib("training").StepSync()], **FIT))

sweep("training.evaluate_loss", "model", [("uncompiled", "U"), ("None", None)],
      lambda v: A(pick(v, U=uncompiled_model), X4, Y4))
sweep("training.evaluate_loss", "x", [("(4, 5, 1)", np.zeros((4, 5, 1))), ("NaN", np.full((4, 3, 1), np.nan))],
      lambda v: A(sigmoid_model(), v, Y4))
sweep("training.evaluate_loss", "y", [("3 rows", Y4[:3]), ("NaN", np.full((4, 1), np.nan))], lambda v: A(sigmoid_model(), X4, v))
sweep("training.evaluate_loss", "batch_size", [("0", 0), ("2.5", 2.5)], lambda v: A(sigmoid_model(), X4, Y4, batch_size=v))
good("training.evaluate_loss", "x", "list, NumPy batch_size", lambda: A(sigmoid_model(), X4.tolist(), Y4, batch_size=np.int64(2)))

sweep("training.predict_proba", "model", [("linear output", "LIN"), ("None", None), ("'m'", "m")],
      lambda v: A(pick(v, LIN=linear_model), X4))
sweep("training.predict_proba", "activation", [("'relu'", "relu"), ("5", 5)], lambda v: A(sigmoid_model(), X4, activation=v))
bad("training.predict_proba", "activation|model", "'softmax' on a 1-unit sigmoid model",
    lambda: A(sigmoid_model(), X4, activation="softmax"))
bad("training.predict_proba", "activation|model", "'sigmoid' forced on a linear model",
    lambda: A(linear_model(), X4 * 100, activation="sigmoid"))
sweep("training.predict_proba", "x", [("(4, 5, 1)", np.zeros((4, 5, 1))), ("NaN", np.full((4, 3, 1), np.nan)),
                                      ("'x'", "x"), ("None", None), ("empty", np.zeros((0, 3, 1)))],
      lambda v: A(sigmoid_model(), v))
sweep("training.predict_proba", "batch_size", [("0", 0), ("'x'", "x"), ("-1", -1), ("2.5", 2.5)],
      lambda v: A(sigmoid_model(), X4, batch_size=v))
bad("training.predict_proba", "verbose", "'x'", lambda: A(sigmoid_model(), X4, verbose="x"))
good("training.predict_proba", "x", "list, NumPy batch_size", lambda: A(softmax_model(), X4.tolist(), batch_size=np.int64(2)))

sweep("training.predict_classes", "threshold", [("1.5", 1.5), ("nan", float("nan")), ("'0.5'", "0.5")],
      lambda v: A(sigmoid_model(), X4, threshold=v))
sweep("training.predict_classes", "activation", [("'tanh'", "tanh")], lambda v: A(sigmoid_model(), X4, activation=v))
sweep("training.predict_classes", "x", [("(4, 5, 1)", np.zeros((4, 5, 1)))], lambda v: A(sigmoid_model(), v))
sweep("training.predict_classes", "model", [("None", None), ("linear output", "LIN")],
      lambda v: A(pick(v, LIN=linear_model), X4))
good("training.predict_classes", "threshold", "np.float64(0.5)", lambda: A(sigmoid_model(), X4.tolist(), threshold=np.float64(0.5)))
good("training.predict_classes", "threshold", "np.float32(0.5)", lambda: A(sigmoid_model(), X4, threshold=np.float32(0.5)))

P = np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]])
sweep("training.classes_from_proba", "activation", [("None", None), ("'relu'", "relu"), ("5", 5)], lambda v: A(P, v))
sweep("training.classes_from_proba", "threshold", [("0", 0), ("1", 1), ("1.5", 1.5), ("nan", float("nan")),
                                                   ("'0.5'", "0.5"), ("True", True)],
      lambda v: A([[0.2], [0.9]], "sigmoid", threshold=v))
sweep("training.classes_from_proba", "proba", [("None", None), ("'p'", "p"), ("NaN", [[np.nan, 1.0]]), ("empty", []),
                                               ("0-d 0.7", 0.7), ("[[2.0, -1.0]] (not probabilities)", [[2.0, -1.0]]),
                                               ("all-zero rows", np.zeros((2, 3)))],
      lambda v: A(v, "softmax"))
good("training.classes_from_proba", "proba", "list, np.float32 threshold", lambda: A([[0.2], [0.9]], "sigmoid",
                                                                                     threshold=np.float32(0.5)))
good("training.classes_from_proba", "activation", "np.str_('softmax')", lambda: A(P, np.str_("softmax")))

sweep("training.output_activation", "model", [("None", None), ("'model'", "model"), ("Dense layer", "DENSE"),
                                              ("two outputs", "TWO"), ("empty Sequential", "SEQ")],
      lambda v: A(pick(v, DENSE=lambda: keras().layers.Dense(2), TWO=two_output_model,
                       SEQ=lambda: keras().Sequential())))
good("training.output_activation", "model", "a Sequential",
     lambda: A(keras().Sequential([keras().Input((3,)), keras().layers.Dense(2, activation="softmax")])))

START = np.array([[0.0, 0.0]])
sweep("training.generate_closed_loop", "starts", [("1-D", np.zeros(2)), ("3-D", np.zeros((1, 1, 2))), ("NaN", [[np.nan, 0.0]]),
                                                  ("'s'", "s"), ("3 features for 2", np.zeros((1, 3))),
                                                  ("empty", np.zeros((0, 2)))],
      lambda v: A(generative_model(), v, 2))
sweep("training.generate_closed_loop", "n_steps", NOT_POSITIVE + [("2.5", 2.5), ("'3'", "3")],
      lambda v: A(generative_model(), START, v))
sweep("training.generate_closed_loop", "model", [("None", None), ("3 timesteps in", "T3"), ("3 outputs for 2 features", "OUT3")],
      lambda v: A(pick(v, T3=lambda: lib("models").build_vanilla_lstm((3, 2), 2, units=2, output_activation=None),
                       OUT3=lambda: lib("models").build_generative_lstm(output_units=3, units=2)), START, 2))
bad("training.generate_closed_loop", "n_steps", "10**15 (runs for ever)", lambda: A(generative_model(), START, 10**15),
    last=True)
good("training.generate_closed_loop", "starts", "list, np.int64 n_steps", lambda: A(generative_model(), [[0.0, 0.0]], np.int64(2)))
good("training.generate_closed_loop", "starts", "pd.DataFrame", lambda: A(generative_model(), pd.DataFrame(START), 1))

WF = lambda **kw: A(linear_model(), X4[:3], Y4[:3], X4[3:], **kw)  # noqa: E731
sweep("training.walk_forward_validation", "update", [("'refit'", "refit"), ("a lambda taking 1 argument", "ONEARG")],
      lambda v: A(linear_model(), X4[:2], Y4[:2], X4[2:], y_test=Y4[2:],
                  update=pick(v, ONEARG=lambda: lambda model: None)))
bad("training.walk_forward_validation", "y_test", "None with update", lambda: WF(update=lib("training").refit_update(1)))
bad("training.walk_forward_validation", "x_test", "(1, 5, 1)", lambda: A(linear_model(), X4[:3], Y4[:3], np.zeros((1, 5, 1))))
bad("training.walk_forward_validation", "y_train", "2 rows for 3", lambda: A(linear_model(), X4[:3], Y4[:2], X4[3:]))
bad("training.walk_forward_validation", "batch_size", "0", lambda: WF(batch_size=0))
bad("training.walk_forward_validation", "on_update", "5",
    lambda: WF(y_test=Y4[3:], update=lib("training").refit_update(1), on_update=5))
bad("training.walk_forward_validation", "y_test", "2 rows for 1", lambda: WF(y_test=Y4[:2], update=lib("training").refit_update(1)))
bad("training.walk_forward_validation", "y_test", "(1, 2) for y_train (3, 1)",
    lambda: WF(y_test=np.zeros((1, 2)), update=lib("training").refit_update(1)))
bad("training.walk_forward_validation", "x_train", "NaN", lambda: A(linear_model(), np.full((3, 3, 1), np.nan), Y4[:3], X4[3:]))
bad("training.walk_forward_validation", "x_train|x_test", "x_train (3, 3, 2), x_test (1, 3, 1)",
    lambda: A(linear_model(), np.zeros((3, 3, 2)), Y4[:3], X4[3:]))
good("training.walk_forward_validation", "x_train", "lists, np.int64 batch_size",
     lambda: A(linear_model(), X4[:3].tolist(), Y4[:3].tolist(), X4[3:].tolist(), batch_size=np.int64(1)))
good("training.walk_forward_validation", "update", "refit_update(1) with y_test",
     lambda: A(linear_model(), X4[:2], Y4[:2], X4[2:], y_test=pd.Series(Y4[2:, 0]).to_frame(),
               update=lib("training").refit_update(np.int64(1))))

sweep("training.refit_update", "epochs", NOT_POSITIVE[:1] + [("2.5", 2.5), ("'5'", "5"), ("None", None)], lambda v: A(v))
bad("training.refit_update", "batch_size", "0", lambda: A(2, batch_size=0))
bad("training.refit_update", "reset_state", "'yes'", lambda: A(2, reset_state="yes"))
good("training.refit_update", "epochs", "np.int64(2)", lambda: A(np.int64(2), batch_size=np.int64(1)))

good("training.ResetStatesCallback", "-", "no arguments", lambda: A())
good("training.StepSync", "-", "no arguments", lambda: A())

# ---------------------------------------------------------------------------------------------
# lstmbook.diagnostics
# ---------------------------------------------------------------------------------------------

HISTORY_BAD = [("None", None), ("'h'", "h"), ("{}", {}), ("no val_loss", {"loss": [1.0, 0.5, 0.2]}),
               ("2 epochs", {"loss": [1.0, 0.5], "val_loss": [1.0, 0.6]}), ("NaN losses", history(loss=[1.0, np.nan, 0.4, 0.3])),
               ("non-numeric losses", history(loss=["a", "b", "c", "d"])),
               ("val_loss shorter, no val_epoch", history(val_loss=[1.0, 0.5])),
               ("val_epoch not in epochs", history(val_loss=[1.0, 0.5], val_epoch=[7, 9])),
               ("2-D loss", history(loss=[[1.0], [0.6], [0.4], [0.3]])), ("[1, 2, 3]", [1, 2, 3]),
               ("epoch list too short", history(epoch=[1, 2])), ("negative losses", history(loss=[-1.0, -2.0, -3.0, -4.0])),
               ("unsorted epochs", history(epoch=[4, 3, 2, 1], val_loss=[1.0, 0.5], val_epoch=[2, 4])),
               ("inf losses", history(val_loss=[1.0, np.inf, 0.5, 0.4]))]
sweep("diagnostics.curve_measures", "history", HISTORY_BAD, lambda v: A(v))
sweep("diagnostics.diagnose", "history", HISTORY_BAD[:8], lambda v: A(v))
good("diagnostics.diagnose", "history", "arrays", lambda: A({k: np.asarray(v) for k, v in HISTORY.items()}))
good("diagnostics.diagnose", "history", "pd.Series values", lambda: A({k: pd.Series(v) for k, v in HISTORY.items()}))
good("diagnostics.diagnose", "history", "keras History", lambda: A(history_object()))
good("diagnostics.curve_measures", "history", "fit_epochs dict with val_epoch",
     lambda: A(history(epoch=[1, 2, 3, 4], val_loss=[1.0, 0.5, 0.45], val_epoch=[2, 3, 4])))


sweep("diagnostics.diagnose_runs", "histories|history", [("[]", []), ("None", None), ("'abc'", "abc"), ("[None]", [None]),
                                                         ("a dict (one history)", HISTORY), ("[{}]", [{}])],
      lambda v: A(v))
good("diagnostics.diagnose_runs", "histories", "tuple", lambda: A((HISTORY, HISTORY)))

sweep("diagnostics.plot_learning_curves", "start_epoch", [("0", 0), ("2.5", 2.5), ("100 (past the end)", 100), ("'1'", "1")],
      lambda v: A(HISTORY, start_epoch=v))
sweep("diagnostics.plot_learning_curves", "history", [("[]", []), ("None", None), ("{}", {})], lambda v: A(v))
sweep("diagnostics.plot_learning_curves", "ax", [("'ax'", "ax"), ("5", 5)], lambda v: A(HISTORY, ax=v))
bad("diagnostics.plot_learning_curves", "title", "5", lambda: A(HISTORY, title=5))
bad("diagnostics.plot_learning_curves", "show_diagnosis", "'no'", lambda: A(HISTORY, show_diagnosis="no"))
good("diagnostics.plot_learning_curves", "start_epoch", "np.int64(2)", lambda: A(HISTORY, start_epoch=np.int64(2)))
good("diagnostics.plot_learning_curves", "history", "list of histories, ax", lambda: A([HISTORY, HISTORY], ax=axes()))

sweep("diagnostics.plot_boxplots", "results", [("[]", []), ("{}", {}), ("{'a': []}", {"a": []}), ("{'a': [nan]}", {"a": [np.nan]}),
                                               ("{'a': ['x']}", {"a": ["x"]}), ("{'a': None}", {"a": None}),
                                               ("[[1, 2]]", [[1, 2]]), ("{'a': [1e308, -1e308]}", {"a": [1e308, -1e308]})],
      lambda v: A(v))
bad("diagnostics.plot_boxplots", "ax", "5", lambda: A({"a": [1.0, 2.0]}, ax=5))
bad("diagnostics.plot_boxplots", "ylabel", "5", lambda: A({"a": [1.0, 2.0]}, ylabel=5))
good("diagnostics.plot_boxplots", "results", "arrays, pd.Series, RepeatedResult",
     lambda: A({"a": np.array([1.0, 2.0]), "b": pd.Series([1.5, 2.5]),
                "c": lib("diagnostics").RepeatedResult(np.array([1.0, 3.0]), [0, 1], [])}))

sweep("diagnostics.RepeatedResult.summary", "scores", [("[]", []), ("None", None), ("'abc'", "abc"), ("[nan]", [np.nan])],
      lambda v: A(lib("diagnostics").RepeatedResult(v, [], [])), call=lambda r: r.summary)
good("diagnostics.RepeatedResult.summary", "scores", "list", lambda: A(lib("diagnostics").RepeatedResult([1.0, 2.0], [0, 1], [])),
     call=lambda r: r.summary)

RE = dict(epochs=1, batch_size=4, progress=False)
sweep("diagnostics.repeated_evaluation", "build_fn", [("None", None), ("'model'", "model"), ("returns None", returns_none)],
      lambda v: A(v, 1, X4, Y4, **RE))
sweep("diagnostics.repeated_evaluation", "n_repeats", [("0", 0), ("2.5", 2.5), ("'2'", "2")],
      lambda v: A(tiny_build, v, X4, Y4, **RE))
sweep("diagnostics.repeated_evaluation", "epochs", [("0", 0), ("None", None)],
      lambda v: A(tiny_build, 1, X4, Y4, epochs=v, progress=False))
sweep("diagnostics.repeated_evaluation", "jobs", [("0", 0)], lambda v: A(tiny_build, 1, X4, Y4, jobs=v, **RE))
sweep("diagnostics.repeated_evaluation", "seed", [("-1", -1)], lambda v: A(tiny_build, 1, X4, Y4, seed=v, **RE))
sweep("diagnostics.repeated_evaluation", "validation_every", [("0", 0)],
      lambda v: A(tiny_build, 1, X4, Y4, validation_every=v, **RE))
sweep("diagnostics.repeated_evaluation", "compile_kwargs", [("'mse'", "mse"), ("optimizer instance", "OPT"),
                                                             ("{'loss': 'bogus'}", {"loss": "bogus", "optimizer": "adam"})],
      lambda v: A(tiny_build, 1, X4, Y4, compile_kwargs=pick(v, OPT=lambda: {"loss": "mse", "optimizer": keras().optimizers.Adam()}), **RE))
sweep("diagnostics.repeated_evaluation", "x|y", [("y of 3 rows", Y4[:3])], lambda v: A(tiny_build, 1, X4, v, **RE))
sweep("diagnostics.repeated_evaluation", "x", [("None", None), ("'abc'", "abc"), ("NaN", np.full((4, 3, 1), np.nan))],
      lambda v: A(tiny_build, 1, v, Y4, **RE))
sweep("diagnostics.repeated_evaluation", "validation_data", [("(x,)", (X4,)), ("x of (4, 5, 1)", (np.zeros((4, 5, 1)), Y4))],
      lambda v: A(tiny_build, 1, X4, Y4, validation_data=v, **RE))
sweep("diagnostics.repeated_evaluation", "batch_size", [("0", 0)], lambda v: A(tiny_build, 1, X4, Y4, epochs=1, batch_size=v,
                                                                              progress=False))
sweep("diagnostics.repeated_evaluation", "progress", [("'no'", "no")], lambda v: A(tiny_build, 1, X4, Y4, epochs=1,
                                                                                    batch_size=4, progress=v))
good("diagnostics.repeated_evaluation", "n_repeats", "NumPy ints, lists, pd.Series",
     lambda: A(tiny_build, np.int64(1), X4.tolist(), pd.Series(Y4[:, 0]), epochs=np.int64(1), seed=np.int64(0),
               jobs=np.int64(1), progress=False))

sweep("diagnostics.run_repeats", "fn", [("None", None), ("'f'", "f")], lambda v: A(v, [0], progress=False))
sweep("diagnostics.run_repeats", "seeds", [("[]", []), ("[1, 1]", [1, 1]), ("[1.5]", [1.5]), ("'abc'", "abc"), ("5", 5),
                                           ("None", None), ("[True]", [True]), ("[-1]", [-1]), ("[2**64]", [2**64]),
                                           ("{1, 2}", {1, 2})],
      lambda v: A(identity, v, progress=False))
sweep("diagnostics.run_repeats", "jobs", [("0", 0), ("2.5", 2.5), ("True", True)], lambda v: A(identity, [0], jobs=v, progress=False))
good("diagnostics.run_repeats", "seeds", "np.arange(3)", lambda: A(identity, np.arange(3), progress=False))
good("diagnostics.run_repeats", "seeds", "range(3)", lambda: A(identity, range(3), progress=False))
good("diagnostics.run_repeats", "seeds", "[np.int64(1), np.int64(2)]", lambda: A(identity, [np.int64(1), np.int64(2)],
                                                                                 progress=False))
good("diagnostics.run_repeats", "seeds", "pd.Series", lambda: A(identity, pd.Series([1, 2]), progress=False))
good("diagnostics.run_repeats", "jobs", "np.int64(1)", lambda: A(identity, (1, 2), jobs=np.int64(1), progress=False))

sweep("diagnostics.connect_cluster", "scheduler", [("None", None), ("5", 5), ("''", ""), ("'not an address'", "not an address")],
      lambda v: A(v, timeout=1))
bad("diagnostics.connect_cluster", "scheduler", "unreachable tcp://127.0.0.1:1", lambda: A(UNREACHABLE, timeout=1),
    accept=(ConnectionError,))
sweep("diagnostics.connect_cluster", "timeout", [("0", 0), ("-1", -1), ("'10'", "10"), ("nan", float("nan")), ("1e9", 1e9),
                                                 ("True", True)],
      lambda v: A(UNREACHABLE, timeout=v))
good("diagnostics.connect_cluster", "timeout", "np.float64(1.0) (then no scheduler)", lambda: A(UNREACHABLE, timeout=np.float64(1.0)),
     accept=(ConnectionError,))
good("diagnostics.connect_cluster", "timeout", "np.float32(1.0) (then no scheduler)", lambda: A(UNREACHABLE, timeout=np.float32(1.0)),
     accept=(ConnectionError,))
good("diagnostics.connect_cluster", "timeout", "np.int64(1) (then no scheduler)", lambda: A(UNREACHABLE, timeout=np.int64(1)),
     accept=(ConnectionError,))

sweep("diagnostics.on_cluster", "scheduler", [("5", 5), ("None", None)], lambda v: A(v), call=enter("on_cluster"))
bad("diagnostics.on_cluster", "scheduler", "unreachable tcp://127.0.0.1:1", lambda: A(UNREACHABLE, timeout=1),
    call=enter("on_cluster"), accept=(ConnectionError,))
bad("diagnostics.on_cluster", "timeout", "'x'", lambda: A(UNREACHABLE, timeout="x"), call=enter("on_cluster"))

# ---------------------------------------------------------------------------------------------
# lstmbook.persistence
# ---------------------------------------------------------------------------------------------

FM = dict(epochs=1, batch_size=4)
sweep("persistence.finalize_model", "build_fn", [("None", None), ("'x'", "x"), ("returns None", returns_none)],
      lambda v: A(v, X4, Y4, **FM))
sweep("persistence.finalize_model", "seed", [("-1", -1), ("2.5", 2.5), ("'0'", "0")], lambda v: A(tiny_build, X4, Y4, seed=v, **FM))
sweep("persistence.finalize_model", "epochs", [("0", 0)], lambda v: A(tiny_build, X4, Y4, epochs=v))
sweep("persistence.finalize_model", "x", [("NaN", np.full((4, 3, 1), np.nan))], lambda v: A(tiny_build, v, Y4, **FM))
sweep("persistence.finalize_model", "compile_kwargs", [("'mse'", "mse"), ("{'loss': 'bogus'}", {"loss": "bogus"})],
      lambda v: A(tiny_build, X4, Y4, compile_kwargs=v, **FM))
sweep("persistence.finalize_model", "batch_size", [("0", 0)], lambda v: A(tiny_build, X4, Y4, epochs=1, batch_size=v))
sweep("persistence.finalize_model", "callbacks", [("'x'", "x")], lambda v: A(tiny_build, X4, Y4, callbacks=v, **FM))
good("persistence.finalize_model", "epochs", "NumPy ints, lists", lambda: A(tiny_build, X4.tolist(), Y4.tolist(),
                                                                            epochs=np.int64(1), seed=np.int64(0)))

sweep("persistence.save_model", "model", [("None", None), ("'m'", "m")], lambda v: A(v, tmp() / "s.keras"))
sweep("persistence.save_model", "path", [("5", 5), ("None", None), ("'m.h5'", "H5"), ("missing folder", "MISSING"),
                                         ("an existing folder named x.keras", "DIR"), ("no suffix", "NOSUFFIX"),
                                         ("b'm.keras'", b"m.keras")],
      lambda v: A(linear_model(), pick(v, H5=lambda: tmp() / "m.h5", MISSING=lambda: tmp() / "no" / "m.keras",
                                       DIR=lambda: folder("dir.keras"), NOSUFFIX=lambda: tmp() / "m")),
      accept=(FileNotFoundError,))
sweep("persistence.save_model", "backups", [("0", 0), ("101", 101), ("2.5", 2.5), ("'1'", "1"), ("-1", -1)],
      lambda v: A(linear_model(), tmp() / "b.keras", backups=v))
good("persistence.save_model", "path", "str path, np.int64 backups", lambda: A(linear_model(), str(tmp() / "g.keras"),
                                                                               backups=np.int64(2)))

sweep("persistence.backup_paths", "path", [("None", None), ("5", 5), ("b'x'", b"x")], lambda v: A(v))
good("persistence.backup_paths", "path", "Path", lambda: A(saved_keras()))

sweep("persistence.save_architecture_and_weights", "json_path", [("'m.keras'", "KERAS"), ("missing folder", "MISSING"),
                                                                 ("None", None)],
      lambda v: A(linear_model(), pick(v, KERAS=lambda: tmp() / "j.keras", MISSING=lambda: tmp() / "no" / "j.json")),
      accept=(FileNotFoundError,))
sweep("persistence.save_architecture_and_weights", "weights_path", [("'w.h5'", "H5"), ("5", 5)],
      lambda v: A(linear_model(), tmp() / "j.json", pick(v, H5=lambda: tmp() / "w.h5")))
bad("persistence.save_architecture_and_weights", "backups", "0", lambda: A(linear_model(), tmp() / "j.json", backups=0))
bad("persistence.save_architecture_and_weights", "model", "None", lambda: A(None, tmp() / "j.json"))
good("persistence.save_architecture_and_weights", "json_path", "str paths, np.int64 backups",
     lambda: A(linear_model(), str(tmp() / "g.json"), str(tmp() / "g2.weights.h5"), backups=np.int64(1)))

sweep("persistence.load_model", "path",
      [("None", None), ("5", 5), ("missing .keras", "MISSING"), ("'m.h5'", "H5"), ("'m.yaml'", "YAML"),
       ("corrupt .keras (text)", "CORRUPT"), ("a zip that is not a model", "ZIP"), ("a folder named x.keras", "DIR"),
       ("corrupt .json", "BADJSON"), ("JSON that is not a model", "NOTMODEL")],
      lambda v: A(pick(v, MISSING=lambda: tmp() / "missing.keras", H5=lambda: tmp() / "m.h5",
                       YAML=lambda: tmp() / "m.yaml", CORRUPT=lambda: written("corrupt.keras", "not a zip"),
                       ZIP=zip_not_model, DIR=lambda: folder("dir.keras"),
                       BADJSON=lambda: written("bad.json", "{not json", weights_for=True),
                       NOTMODEL=lambda: written("notmodel.json", '{"a": 1}', weights_for=True))),
      accept=(FileNotFoundError,))
sweep("persistence.load_model", "weights_path", [("missing", "MISSING"), ("'w.h5'", "H5"), ("5", 5),
                                                 ("another model's weights", "OTHER")],
      lambda v: A(saved_json(), weights_path=pick(v, MISSING=lambda: tmp() / "missing.weights.h5",
                                                  H5=lambda: tmp() / "w.h5", OTHER=other_weights)),
      accept=(FileNotFoundError,))
bad("persistence.load_model", "compile", "'yes'", lambda: A(saved_keras(), compile="yes"))
bad("persistence.load_model", "custom_objects", "[]", lambda: A(saved_keras(), custom_objects=[]))
good("persistence.load_model", "path", "str path", lambda: A(str(saved_keras())))
good("persistence.load_model", "compile", "np.bool_(False)", lambda: A(saved_keras(), compile=np.bool_(False)))


sweep("persistence.weights_path_for", "json_path", [("None", None), ("5", 5), ("'m.keras'", "m.keras"), ("''", ""),
                                                    ("'.json'", ".json")],
      lambda v: A(v))
good("persistence.weights_path_for", "json_path", "Path", lambda: A(Path("m.json")))

sweep("persistence.write_atomic", "path", [("None", None), ("5", 5), ("missing folder", "MISSING"), ("a folder", "DIR")],
      lambda v: A(pick(v, MISSING=lambda: tmp() / "no" / "w.txt", DIR=lambda: folder("a_folder")), "text"),
      accept=(FileNotFoundError,))
sweep("persistence.write_atomic", "data", [("None", None), ("5", 5), ("{'a': 1}", {"a": 1}), ("['x']", ["x"])],
      lambda v: A(tmp() / "w.txt", v))
good("persistence.write_atomic", "path", "str path, str data", lambda: A(str(tmp() / "w1.txt"), "one"))
good("persistence.write_atomic", "path", "Path, bytes", lambda: A(tmp() / "w2.bin", b"\x00\x01"))

# ---------------------------------------------------------------------------------------------
# lstmbook.datasets
# ---------------------------------------------------------------------------------------------

sweep("datasets.data_dir", "directory", [("5", 5), ("b'x'", b"x"), ("['a']", ["a"])], lambda v: A(v))
good("datasets.data_dir", "directory", "Path", lambda: A(Path("/tmp")))

sweep("datasets.file_path", "name", [("None", None), ("5", 5), ("'missing.csv'", "missing.csv"),
                                     ("'SHAMPOO_SALES.csv'", "SHAMPOO_SALES.csv"), ("'../README.md'", "../README.md")],
      lambda v: A(v))
sweep("datasets.file_path", "directory", [("5", 5), ("a missing folder", "MISSING"), ("a folder with altered files", "ALTERED")],
      lambda v: A("shampoo_sales.csv", pick(v, MISSING=lambda: tmp() / "nowhere", ALTERED=altered_data_dir)),
      accept=(FileNotFoundError,))
good("datasets.file_path", "directory", "str folder", lambda: A("shampoo_sales.csv", str(lib("datasets").data_dir())))

for loader in ("datasets.load_shampoo_sales", "datasets.load_airline_passengers"):
    sweep(loader, "directory", [("5", 5), ("a missing folder", "MISSING"), ("a folder with altered files", "ALTERED")],
          lambda v: A(pick(v, MISSING=lambda: tmp() / "nowhere", ALTERED=altered_data_dir)),
          accept=(FileNotFoundError,))
    good(loader, "directory", "Path", lambda: A(lib("datasets").data_dir()))

sweep("datasets.sha256", "path", [("None", None), ("5", 5), ("True", True), ("missing", "MISSING"), ("a folder", "DIR")],
      lambda v: A(pick(v, MISSING=lambda: tmp() / "missing.bin", DIR=tmp)),
      accept=(FileNotFoundError,))
good("datasets.sha256", "path", "str path", lambda: A(str(lib("datasets").data_dir() / "shampoo_sales.csv")))



# ---------------------------------------------------------------------------------------------
# An independent red team's findings (issue 36), written from their descriptions
# ---------------------------------------------------------------------------------------------


def seq_model():
    """(None, 3, 1) inputs to (None, 3, 1) outputs: one value per step."""
    k = keras()
    inputs = k.Input(shape=(3, 1))
    x = k.layers.LSTM(2, return_sequences=True)(inputs)
    return _compiled(k.Model(inputs, k.layers.Dense(1)(x)), "mse")


def saved_json_pair(name: str) -> Path:
    """A second architecture + weights pair, of another model, in its own files."""
    other = lib("models").build_vanilla_lstm((3, 1), 3, units=4)
    return lib("persistence").save_architecture_and_weights(other, tmp() / name)[1]


bad("prep.scale", "data", "masked array [1, 2, (1000 masked)]",
    lambda: A(np.ma.masked_array([1.0, 2.0, 1000.0], mask=[False, False, True])))
good("prep.scale", "data", "masked array with nothing masked", lambda: A(np.ma.masked_array([1.0, 2.0, 3.0])))
bad("prep.pad", "sequences|dtype", "np.array([-1, 2]) into uint8", lambda: A([np.array([-1, 2])], dtype="uint8"))
bad("models.build_vanilla_lstm", "input_shape", "bare int 5", lambda: A(5, 2))
bad("models.build_cnn_lstm", "frame_shape", "bare int 5", lambda: A(5))
bad("models.ReverseTime", "inputs", "2-D input (would reverse the features)", lambda: A(np.zeros((2, 3), dtype="float32")),
    call=lambda *a: lib("models").ReverseTime()(*a))
bad("training.fit_epochs", "y", "(4, 1) for a (None, 3, 1) sequence output (would broadcast)",
    lambda: A(seq_model(), X4, Y4, epochs=1))
good("training.fit_epochs", "y", "(4, 3, 1) for a (None, 3, 1) sequence output", lambda: A(seq_model(), X4, np.zeros((4, 3, 1)), epochs=1))
bad("training.classes_from_proba", "proba", "[[0.3], [0.9]] as softmax (one class)", lambda: A([[0.3], [0.9]], "softmax"))
good("training.classes_from_proba", "proba", "np.array([0.9]) sigmoid, 1-D", lambda: A(np.array([0.9]), "sigmoid"))
good("prep.one_hot_decode", "encoded", "[0, 1, 0], one row", lambda: A([0, 1, 0]))
bad("training.Ensemble", "seeds", "3 (an int, not a list)", lambda: A(compiled_build, 3))
bad("training.BlockMask", "gates", "0", lambda: A(2, [1, 1], gates=0))
bad("training.BlockMask", "rows|cols", "3 rows for 2 members", lambda: A([1, 1, 1], [1, 1]))
good("training.BlockMask", "rows", "an int (a shared input)", lambda: A(2, [1, 1], gates=4))
bad("training.MemberSum", "loss", "None", lambda: A(None, 2))
bad("training.MemberSum", "members", "0", lambda: A("mse", 0))
good("training.MemberSum", "loss", "'mse'", lambda: A("mse", 2))
bad("training.MemberLosses", "loss", "None", lambda: A(None, 2))
good("training.MemberLosses", "loss", "'mse'", lambda: A("mse", 2))
bad("diagnostics.diagnose", "history", "val_epoch newest first",
    lambda: A({"loss": [1.0, 0.8, 0.6, 0.5, 0.4, 0.35], "val_loss": [0.5, 0.7, 1.0], "val_epoch": [6, 4, 2]}))
bad("diagnostics.diagnose", "history", "val_epoch [2, 2, 4]",
    lambda: A({"loss": [1.0, 0.8, 0.6, 0.5], "val_loss": [0.9, 0.7, 0.6], "val_epoch": [2, 2, 4]}))
bad("diagnostics.diagnose", "history", "epoch as text", lambda: A(history(epoch=["1", "2", "3", "4"])))
bad("diagnostics.repeated_evaluation", "seed", "2**32 - 1 with 3 repeats (seed + 2 is past Keras's range)",
    lambda: A(tiny_build, 3, X4, Y4, epochs=1, seed=2**32 - 1, progress=False))
good("diagnostics.repeated_evaluation", "y", "a list of numbers", lambda: A(tiny_build, 1, X4, [0.0, 1.0, 1.0, 0.0], epochs=1, progress=False))
bad("diagnostics.connect_cluster", "scheduler", "'nonsense://x'", lambda: A("nonsense://x", timeout=1))
bad("persistence.load_model", "weights_path", "given for a .keras file", lambda: A(saved_keras(), weights_path=tmp() / "x.weights.h5"))
bad("persistence.load_model", "weights_path", "another pair's weights", lambda: A(saved_json(), weights_path=saved_json_pair("b.json")))
bad("training.generate_closed_loop", "n_steps", "10**9 (one call a step: for ever)",
    lambda: A(generative_model(), np.zeros((1, 2)), 10**9))

# ---------------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    func: str
    arg: str
    value: str
    kind: str
    outcome: str
    error: str = ""
    message: str = ""
    where: str = ""
    returned: str = ""
    warning: str = ""
    seconds: float = 0.0
    shows_value: bool = False

    def line(self) -> str:
        detail = f"{self.error}: {self.message[:120]}" if self.error else self.returned
        if self.outcome == "raw" and self.shows_value:
            detail += "  [names the value received, not the argument]"
        if self.warning and not self.error:
            detail += f"  [warned: {self.warning[:80]}]"
        where = f"  @ {self.where}" if self.where and self.outcome in ("deep", "raw") else ""
        return f"{self.func}  {self.arg}={self.value}  -> {self.outcome}  {detail}{where}"


def resolve(dotted: str):
    module, *attrs = dotted.split(".")
    obj = lib(module)
    for attr in attrs:
        obj = getattr(obj, attr)
    return obj


def describe(value, depth: int = 0) -> str:
    """A short account of what a call returned."""
    if isinstance(value, np.ndarray):
        text = f"ndarray{value.shape} {value.dtype}"
        if value.dtype.kind in "fc" and value.size and not np.isfinite(value).all():
            text += f" with {int(np.size(value) - np.isfinite(value).sum())} NaN/inf"
        elif value.size and value.size <= 6 and value.dtype.kind in "biufUS":
            text += f" {value.ravel().tolist()}"
        return text
    if isinstance(value, pd.DataFrame):
        return f"DataFrame{value.shape}" + (" with NaN" if value.isna().any().any() else "")
    if isinstance(value, pd.Series):
        return f"Series({len(value)})"
    if depth < 2 and isinstance(value, tuple) and not hasattr(value, "_fields"):
        return "(" + ", ".join(describe(v, depth + 1) for v in value[:4]) + ")"
    if depth < 2 and hasattr(value, "_fields"):  # NamedTuples: LSTMWeights, LSTMTrace, Diagnosis
        return f"{type(value).__name__}(" + ", ".join(describe(v, depth + 1) for v in list(value)[:3]) + ")"
    if depth < 2 and isinstance(value, dict) and len(value) <= 8:
        return "{" + ", ".join(f"{k}: {describe(v, depth + 1)}" for k, v in list(value.items())[:6]) + "}"
    if "keras" in type(value).__module__ and hasattr(value, "output_shape"):
        return f"{type(value).__name__} {value.name!r} output {value.output_shape}"
    if type(value).__name__ == "Figure":
        return "Figure"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def last_frame(error: BaseException) -> str:
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return "" if tb is None else f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


def short_path(where: str) -> str:
    for marker in ("site-packages/", "lib/python3", str(ROOT) + "/"):
        if marker in where:
            return where.split(marker, 1)[1]
    return where


def names_argument(message: str, arg: str) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) for name in arg.split("|"))


_WARNINGS: list[str] = []


def _capture_warning(message, category, filename, lineno, file=None, line=None):
    _WARNINGS.append(f"{category.__name__}: {str(message).strip().splitlines()[0] if str(message).strip() else ''}")


def run_case(case: Case, timeout: float) -> Result:
    result = Result(case.func, case.arg, case.value, case.kind, "")
    try:
        fn = case.call or resolve(case.func)
        args, kwargs = case.build()
    except Exception as error:  # the case itself is broken (or the function is gone): say so
        result.outcome, result.error, result.message = "setup-error", type(error).__name__, str(error)
        return result
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as error:  # noqa: B036 - a case may raise anything, SystemExit included
            box["error"] = error

    _WARNINGS.clear()
    start = time.perf_counter()
    thread = threading.Thread(target=target, daemon=True, name=f"case {case.func}")
    thread.start()
    thread.join(timeout)
    result.seconds = round(time.perf_counter() - start, 3)
    # The first warning about the data (overflow, a cast), not a library's deprecation notice.
    telling = [w for w in _WARNINGS if not w.startswith(("DeprecationWarning", "FutureWarning", "UserWarning"))]
    result.warning = (telling or _WARNINGS or [""])[0]
    if thread.is_alive():
        result.outcome = "hang"
        result.returned = f"still running after {timeout:g} s"
        return result
    if "error" not in box:
        result.outcome = "ok" if case.kind == "good" else "silent"
        try:
            result.returned = describe(box.get("value"))
        except Exception as error:  # describing must never end the sweep
            result.returned = f"<{type(error).__name__} while describing>"
        return result
    error = box["error"]
    result.error = type(error).__name__
    result.message = " ".join(str(error).split())
    where = last_frame(error)
    result.where = short_path(where)
    if case.kind == "good":
        ok = case.accept and isinstance(error, case.accept)
        result.outcome = "ok" if ok else "refused"
        return result
    result.shows_value = any(isinstance(a, (str, Path)) and len(str(a)) > 3 and str(a) in result.message
                             for a in list(args) + list(kwargs.values()))
    in_library = os.path.realpath(where.rsplit(":", 1)[0]).startswith(LIB_DIR + os.sep)
    apt = isinstance(error, (ValueError, TypeError) + tuple(case.accept))
    if not in_library:
        result.outcome = "deep"
    elif apt and names_argument(result.message, case.arg):
        result.outcome = "clean"
    else:
        result.outcome = "raw"
    return result


LIB_DIR = ""


def public_callables() -> list[str]:
    names = []
    for module in MODULES:
        mod = lib(module)
        for name in mod.__all__:
            obj = getattr(mod, name, None)
            container = isinstance(obj, type) and issubclass(obj, tuple) and name not in ("LSTMWeights",)
            if callable(obj) and not container:  # NamedTuple records (Diagnosis, LSTMStep, ...) check nothing
                names.append(f"{module}.{name}")
    return names


def close_figures():
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def summarise(results: list[Result], seconds: float) -> str:
    bad_counts = Counter(r.outcome for r in results if r.kind == "bad")
    good_counts = Counter(r.outcome for r in results if r.kind == "good")
    covered = {r.func.split(".")[0] + "." + r.func.split(".")[1] for r in results}
    public = public_callables()
    missing = [name for name in public if name not in covered]
    lines = [f"lstmbook bad-input sweep: {len(results)} cases over {len(covered & set(public))} of "
             f"{len(public)} public callables in {seconds:.0f} s", ""]
    lines.append(f"{'bad inputs':<14}{sum(bad_counts.values()):>5}")
    for outcome in ("clean", "deep", "raw", "silent", "hang", "setup-error"):
        if outcome in ("clean", "deep", "raw", "silent", "hang") or bad_counts[outcome]:
            lines.append(f"  {outcome:<12}{bad_counts[outcome]:>5}")
    lines.append(f"{'should work':<14}{sum(good_counts.values()):>5}")
    for outcome in ("ok", "refused", "hang", "setup-error"):
        if outcome in ("ok", "refused") or good_counts[outcome]:
            lines.append(f"  {outcome:<12}{good_counts[outcome]:>5}")
    lines.append("")
    per_module = Counter((r.func.split(".")[0], r.outcome) for r in results if r.kind == "bad")
    header = f"{'module':<13}" + "".join(f"{o:>8}" for o in ("clean", "deep", "raw", "silent", "hang"))
    lines += [header] + [f"{m:<13}" + "".join(f"{per_module[(m, o)]:>8}" for o in ("clean", "deep", "raw", "silent", "hang"))
                         for m in MODULES]
    if missing:
        lines += ["", "public callables without a case: " + ", ".join(missing)]
    for title, keep in (("Bad inputs not refused cleanly", lambda r: r.kind == "bad" and r.outcome != "clean"),
                        ("Should-work inputs refused", lambda r: r.kind == "good" and r.outcome != "ok")):
        chosen = [r for r in results if keep(r)]
        lines += ["", f"{title} ({len(chosen)}):"]
        order = {"deep": 0, "raw": 1, "silent": 2, "hang": 3}
        lines += [f"  {r.line()}" for r in sorted(chosen, key=lambda r: (order.get(r.outcome, 4), r.func))]
    return "\n".join(lines)


def main(argv=None) -> int:
    global LIB_DIR
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write every case and its outcome to this file")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per case (default 20)")
    parser.add_argument("--only", default="", help="run only the cases whose function contains this text")
    args = parser.parse_args(argv)

    warnings.simplefilter("always")
    warnings.showwarning = _capture_warning
    import logging

    logging.getLogger("distributed").setLevel(logging.CRITICAL)  # connect_cluster's retries are noise here
    import lstmbook

    LIB_DIR = os.path.realpath(os.path.dirname(lstmbook.__file__))
    cases = [c for c in CASES if args.only in c.func]
    cases.sort(key=lambda c: c.last)  # cases that may run for ever go last: their threads keep going
    start = time.perf_counter()
    results = []
    for i, case in enumerate(cases, 1):
        result = run_case(case, args.timeout)
        close_figures()
        results.append(result)
        print(f"[{i:>3}/{len(cases)}] {result.outcome:<8} {result.func} {result.arg}={result.value}"[:150],
              file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start
    print(summarise(results, seconds))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"seconds": round(seconds, 1), "cases": [r.__dict__ for r in results]},
                                        indent=1, default=str))
        print(f"\nwrote {args.json}")
    shutil.rmtree(tmp(), ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # A hung case's thread may still be running inside Keras; do not wait for it.
    os._exit(0)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        os._exit(1)
