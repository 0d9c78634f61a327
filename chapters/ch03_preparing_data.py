"""Chapter 3: How to Prepare Data for LSTMs.

Description: scale, encode, pad, truncate and frame sequences as the book's listings do.

The book's listings print their results: 10 to 100 normalised to [0, 1] and back, nine
values standardised, the labels cold, warm and hot one-hot encoded, three sequences
padded and truncated at either end, and a series shifted into t-1, t and t+1 columns.
Here each of those 16 printed outputs is recomputed with scikit-learn,
`keras.utils.pad_sequences` and pandas `shift` (through `lstmbook.prep`) and checked
against the book's numbers: all 16 match. Beyond the book, the airline passengers series
is framed as a two-variable problem, three months in and two months out.
"""

# %% [markdown]
# ## Setup
#
# `book.start(3)` reads the flags (`--quick`, `--output-dir`, ...) and creates the output
# folder. Nothing in this chapter is random or trained; the quick run only frames a
# shorter stretch of the airline series.
# In Jupyter, `book.start(3, ["--quick"])` makes this notebook a quick run.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from chapters import _book as book
from lstmbook import datasets, prep

run = book.start(3)

DECIMALS = 6  # the book prints to six decimals; we compare at that precision
AIRLINE_MONTHS = run.pick(None, 36)  # months of the airline series framed (None: all 144)

# The inputs of the book's listings.
TEMPERATURES = "cold cold warm cold hot hot warm cold warm hot".split()
SEQUENCES = [[1, 2, 3, 4], [1, 2, 3], [1]]
STANDARDIZE_DATA = [1.0, 5.5, 9.0, 2.6, 8.8, 3.0, 4.1, 7.9, 6.3]

# %% [markdown]
# ## Prepare the data
#
# Each listing of the book, in its order. `ours` collects every printed value, to compare
# with the book's at the end.
#
# ### Scaling: normalise and standardise (sections 3.1.1 and 3.1.2)
#
# `MinMaxScaler` maps the smallest value to 0 and the largest to 1; `StandardScaler`
# subtracts the mean and divides by the standard deviation. Both keep what they learned,
# so that predictions can be put back into the original units.

# %%
ours = {}
data = np.arange(10.0, 101.0, 10.0)
scaled, scaler = prep.scale(data)
print(f"Min: {scaler.data_min_[0]:f}, Max: {scaler.data_max_[0]:f}")
print(f"normalised: {np.round(scaled, 8).tolist()}")
restored = prep.unscale(scaled, scaler)
print(f"inverted:   {np.round(restored, DECIMALS).tolist()}")

standardized, standard = prep.standardize(STANDARDIZE_DATA)
print(f"Mean: {standard.mean_[0]:f}, StandardDeviation: {standard.scale_[0]:f}")
print(f"standardised: {np.round(standardized, 6).tolist()}")
ours.update({
    "minmax_min": scaler.data_min_[0],
    "minmax_max": scaler.data_max_[0],
    "minmax_scaled": scaled,
    "minmax_inverse": restored,
    "standard_mean": standard.mean_[0],
    "standard_std": standard.scale_[0],
    "standard_inverse": prep.unscale(standardized, standard),
})

# %% [markdown]
# ### Categorical data: integer and one-hot encoding (section 3.2)
#
# `OneHotEncoder` sorts the labels (cold, hot, warm) and gives each a column; a row's
# column index is the integer the book's `LabelEncoder` prints.

# %%
encoded, encoder = prep.one_hot_encode(TEMPERATURES)
integers = prep.one_hot_decode(encoded)  # column indices = the book's LabelEncoder integers
decoded = prep.one_hot_decode(encoded[:1], encoder)[0]
print(f"labels:   {TEMPERATURES}")
print(f"integers: {integers.tolist()}")
print(f"one-hot (first 3 rows): {encoded[:3].astype(int).tolist()}")
print(f"decoded first row: {decoded!r}")
ours.update({
    "label_integers": integers,
    "one_hot_first_rows": encoded[:3],
    "one_hot_decoded_first": decoded,
})

# %% [markdown]
# ### Variable-length sequences: pad and truncate (section 3.3)
#
# An LSTM trained in batches needs sequences of one length. `pad_sequences` adds zeros
# in front (`"pre"`) or behind (`"post"`), and cuts long sequences from the front or the
# back.

# %%
padded = {
    "pad_pre": prep.pad(SEQUENCES, padding="pre"),
    "pad_post": prep.pad(SEQUENCES, padding="post"),
    "truncate_pre": prep.truncate(SEQUENCES, maxlen=2, truncating="pre"),
    "truncate_post": prep.truncate(SEQUENCES, maxlen=2, truncating="post"),
}
for key, value in padded.items():
    print(f"{key:14s} {value.tolist()}")
ours.update(padded)

# %% [markdown]
# ### Sequence prediction as supervised learning: the shift frame (section 3.4)
#
# Shifting a column down by one step puts the previous value (t-1) beside each value
# (t); shifting it up puts the next one (t+1). The rows the shift leaves empty hold NaN.
# `prep.series_to_supervised` builds the same columns for any number of steps and
# variables.

# %%
frame = pd.DataFrame({"t": range(10)})
frame["t-1"] = frame["t"].shift(1)
frame["t+1"] = frame["t"].shift(-1)
print(frame[["t-1", "t", "t+1"]].to_string())
framed = prep.series_to_supervised(np.arange(10), n_in=1, n_out=2, dropnan=False)
print(f"series_to_supervised columns: {list(framed.columns)}")
framed_agrees = framed["var1(t-1)"].equals(frame["t-1"].astype(float))
print(f"series_to_supervised's var1(t-1) is the shift(1) column: {framed_agrees}")
ours.update({"shift_t_minus_1": frame["t-1"].to_numpy(), "shift_t_plus_1": frame["t+1"].to_numpy()})

# %% [markdown]
# ## Evaluate: every output against the book
#
# What each listing of the book prints, copied from the book.

# %%
BOOK = {
    "minmax_min": 10.0,
    "minmax_max": 100.0,
    "minmax_scaled": [0.0, 0.11111111, 0.22222222, 0.33333333, 0.44444444,
                      0.55555556, 0.66666667, 0.77777778, 0.88888889, 1.0],
    "minmax_inverse": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0],
    "standard_mean": 5.355556,
    "standard_std": 2.712568,
    "standard_inverse": [1.0, 5.5, 9.0, 2.6, 8.8, 3.0, 4.1, 7.9, 6.3],
    "label_integers": [0, 0, 2, 0, 1, 1, 2, 0, 2, 1],
    "one_hot_first_rows": [[1, 0, 0], [1, 0, 0], [0, 0, 1]],
    "one_hot_decoded_first": "cold",
    "pad_pre": [[1, 2, 3, 4], [0, 1, 2, 3], [0, 0, 0, 1]],
    "pad_post": [[1, 2, 3, 4], [1, 2, 3, 0], [1, 0, 0, 0]],
    "truncate_pre": [[3, 4], [2, 3], [0, 1]],
    "truncate_post": [[1, 2], [1, 2], [0, 1]],
    "shift_t_minus_1": [np.nan, 0, 1, 2, 3, 4, 5, 6, 7, 8],
    "shift_t_plus_1": [1, 2, 3, 4, 5, 6, 7, 8, 9, np.nan],
}
print(f"{len(BOOK)} printed outputs to reproduce: {', '.join(BOOK)}")

# %% [markdown]
# Numbers must be equal at the book's printed precision (six decimals), NaN must match
# NaN, and strings must be identical.

# %%
def matches(ours, printed) -> bool:
    """Equal at the book's printed precision; NaN matches NaN; strings must be identical."""
    if isinstance(printed, str):
        return str(ours) == printed
    ours, printed = np.asarray(ours, dtype=float), np.asarray(printed, dtype=float)
    if ours.shape != printed.shape:
        return False
    return bool(np.array_equal(np.isnan(ours), np.isnan(printed))
                and np.allclose(np.nan_to_num(ours), np.nan_to_num(printed), atol=0.5 * 10 ** -(DECIMALS - 1)))


checks = {key: matches(ours[key], BOOK[key]) for key in BOOK}
for key, ok in checks.items():
    shown = np.asarray(ours[key])
    shown = np.round(shown, DECIMALS).tolist() if shown.dtype.kind == "f" else shown.tolist()
    print(f"{'match' if ok else 'MISMATCH':8s} {key:22s} {str(shown)[:70]}")
    if not ok:
        print(f"{'':8s} {'the book prints':22s} {BOOK[key]}")
book_outputs_matched = sum(checks.values()) / len(checks)
print(f"{sum(checks.values())} of {len(checks)} printed outputs reproduced")

# %% [markdown]
# ## Beyond the book: framing a real series
#
# The airline passengers series as a two-variable problem (passengers and month of
# year), three months in and two months out: the table a multi-step forecaster trains on,
# and the `[samples, timesteps, features]` array an LSTM reads.

# %%
series = datasets.load_airline_passengers()
if AIRLINE_MONTHS is not None:
    series = series.iloc[:AIRLINE_MONTHS]
table = np.column_stack([series.to_numpy(), series.index.month.to_numpy(dtype=float)])
airline = prep.series_to_supervised(table, n_in=3, n_out=2)
print(f"airline framed: {airline.shape[0]} rows x {airline.shape[1]} columns")
print(airline.head(3).to_string())
X = prep.to_3d(airline.iloc[:, :6].to_numpy(), timesteps=3, features=2)
print(f"LSTM input from the first six columns: X{X.shape} = [samples, timesteps, features]")

# %% [markdown]
# The same series scaled to [-1, 1] (the range of the LSTM's tanh) and seasonally
# differenced (the trend and the yearly cycle taken out).

# %%
airline_scaled, airline_scaler = prep.scale(series.to_numpy(), feature_range=(-1, 1))
diffed = prep.difference(series.to_numpy(), interval=12)
print(f"scaled: from {airline_scaled.min():.2f} to {airline_scaled.max():.2f}; differenced: "
      f"{diffed.size} values from {diffed.min():.0f} to {diffed.max():.0f}")
fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True, num="airline_preparation")
months = series.index.to_timestamp()
axes[0].plot(months, series.to_numpy())
axes[0].set_title("Airline passengers (thousands)")
axes[1].plot(months, airline_scaled, color="tab:orange")
axes[1].set_title("Scaled to [-1, 1] (MinMaxScaler)")
axes[2].plot(months[12:], diffed, color="tab:green")
axes[2].set_title("Seasonally differenced (interval 12)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Record the result
#
# `run.finish` checks the target (every printed output reproduced), writes
# `metrics.json`, and stops a full run that missed it.

# %%
record = run.finish(
    {
        "book_outputs_matched": book_outputs_matched,
        "book_outputs_checked": len(checks),
        "series_to_supervised_agrees_with_shift": bool(framed_agrees),
        "airline_rows": int(airline.shape[0]),
        "airline_columns": int(airline.shape[1]),
    },
    checks=checks,
)

# %% [markdown]
# ## How this differs from the book
#
# The book prints each listing's output and leaves the comparison to the reader; here
# every printed value is checked against the book's at its printed precision, and a full
# run fails if one differs. The book encodes labels with `LabelEncoder` and then
# `OneHotEncoder`; one `OneHotEncoder` does both here, since its sorted columns are the
# `LabelEncoder` integers. The book imports `pad_sequences` from
# `keras.preprocessing.sequence`; Keras 3 keeps it as `keras.utils.pad_sequences`. The
# airline framing, the scaling to [-1, 1] and the seasonal differencing go beyond the
# chapter: they are what the later forecasting chapters need.

# %% [markdown]
# ## Summary
#
# In this chapter you saw, with the numbers of this run:

# %%
print(f"""\
- MinMaxScaler mapped {data.min():g}..{data.max():g} onto 0..1 and back; StandardScaler found mean
  {standard.mean_[0]:.6f} and standard deviation {standard.scale_[0]:.6f} for the book's nine values.
- One-hot encoding turned {len(TEMPERATURES)} labels into a {encoded.shape[0]} x {encoded.shape[1]} array,
  one column per label in sorted order: {encoder.categories_[0].tolist()}.
- pad_sequences made {len(SEQUENCES)} sequences of lengths {[len(s) for s in SEQUENCES]} into one
  {padded['pad_pre'].shape} array, and truncating kept {padded['truncate_pre'].shape[1]} steps of each.
- Shifting a series by one step frames it as supervised learning; on the airline series
  ({len(series)} months, 3 in, 2 out) that gave {airline.shape[0]} rows and an LSTM input X{X.shape}.
- {sum(checks.values())} of the book's {len(checks)} printed outputs were reproduced.""")

# %% [markdown]
# ## Further reading
#
# - scikit-learn:
#   [`MinMaxScaler`](https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.MinMaxScaler.html),
#   [`StandardScaler`](https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.StandardScaler.html),
#   [`OneHotEncoder`](https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.OneHotEncoder.html).
# - Keras API: [`keras.utils.pad_sequences`](https://keras.io/api/data_loading/timeseries/)
#   (on the "Timeseries data loading" page).
# - pandas: [`DataFrame.shift`](https://pandas.pydata.org/docs/reference/api/pandas.DataFrame.shift.html).

# %% [markdown]
# ## Extensions
#
# - Scale the airline series with a scaler fitted on the first 10 years only, then
#   transform the last 2. Which values fall outside [-1, 1], and why does that matter for
#   a tanh layer?
# - Encode the words of a short sentence as integers, then one-hot, and decode a model's
#   softmax output back to words with `prep.one_hot_decode`.
# - Pad the sequences with `-1` instead of 0 and add a `keras.layers.Masking(mask_value=-1)`
#   layer in front of an LSTM: do the padded steps change its output?
# - Frame the airline series with 12 months in and 1 out. How many rows are left, and
#   what is the shape of the LSTM input?
