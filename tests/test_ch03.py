"""Chapter 3's quick run, executed as a notebook, reproduces every book output it checks."""

import pytest

#: The printed outputs of the chapter's listings that the chapter recomputes.
BOOK_OUTPUTS = {
    "minmax_min", "minmax_max", "minmax_scaled", "minmax_inverse",  # 3.1.1 normalise
    "standard_mean", "standard_std", "standard_inverse",  # 3.1.2 standardise
    "label_integers", "one_hot_first_rows", "one_hot_decoded_first",  # 3.2 encode
    "pad_pre", "pad_post", "truncate_pre", "truncate_post",  # 3.3 pad and truncate
    "shift_t_minus_1", "shift_t_plus_1",  # 3.4 the shift frame
}


@pytest.mark.chapter
def test_ch03_quick_run_matches_every_book_output(quick_run):
    record = quick_run("ch03_preparing_data")
    assert record["metrics"]["book_outputs_matched"] == 1.0
    assert record["metrics"]["book_outputs_checked"] == len(BOOK_OUTPUTS)
    assert set(record["checks"]) == BOOK_OUTPUTS
    assert all(record["checks"].values())
    assert record["metrics"]["series_to_supervised_agrees_with_shift"] is True
    # The notebook runner times each section from the executed cells (no model: no Build or Train).
    assert {"Setup", "Prepare the data", "Evaluate: every output against the book",
            "Beyond the book: framing a real series"} <= set(record["profile"])
    assert all(seconds >= 0 for seconds in record["profile"].values())


@pytest.mark.chapter
def test_ch03_frames_the_airline_series(quick_run):
    record = quick_run("ch03_preparing_data")
    # Two variables (passengers, month), 3 steps in and 2 out: 2 * (3 + 2) columns. The quick
    # run frames 36 months, which leaves 36 - 3 - (2 - 1) = 32 complete rows.
    assert record["metrics"]["airline_columns"] == 10
    assert record["metrics"]["airline_rows"] == 32
    assert record["figures"] == ["airline_preparation.png"]
