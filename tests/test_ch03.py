"""Chapter 3's quick run reproduces every book output it checks."""


def test_ch03_quick_run_matches_every_book_output(quick_run):
    record = quick_run("ch03_preparing_data")
    assert record["metrics"]["book_outputs_matched"] == 1.0
    assert record["metrics"]["book_outputs_checked"] >= 15
    assert all(record["checks"].values())
    assert record["metrics"]["series_to_supervised_agrees_with_shift"] is True
    assert record["metrics"]["airline_columns"] == 10
    assert record["figures"] == ["airline_preparation.png"]
