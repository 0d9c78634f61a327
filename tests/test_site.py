"""``make site``: the rendered book, built from executed notebooks and opened in headless Chromium."""

import re
import shutil

import pytest

from chapters import _book, _site

pytestmark = [pytest.mark.chapter, pytest.mark.backend_independent]


@pytest.fixture(scope="module")
def site(chapter_notebook, tmp_path_factory):
    """A site built from chapter 6's executed quick-run notebook (the others show their code)."""
    root = tmp_path_factory.mktemp("site")
    result = chapter_notebook(6)
    outputs = root / "outputs" / _book.backend_name()
    shutil.copytree(result.output_dir, outputs / "quick" / result.chapter.name)
    return _site.build(outputs, root / "site")


def test_site_has_every_page(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    for chapter in _book.CHAPTERS.values():
        assert (site / "chapters" / f"{chapter.name}.html").is_file()
        assert f"chapters/{chapter.name}.html" in home  # the chapter table links every chapter
    for page in ("report.html", "benchmarks.html", "api.html"):
        assert (site / page).is_file()
    api = (site / "api.html").read_text(encoding="utf-8")
    assert "build_vanilla_lstm" in api and "series_to_supervised" in api  # from the docstrings
    # Markdown, not reST: no raw roles or double backticks; doctests shown as code, not quotes.
    assert ":func:`" not in api and ":class:`" not in api and "``" not in api
    assert "<blockquote>" not in api
    scale = api[api.index('id="lstmbook.prep.scale"'):api.index('id="lstmbook.prep.standardize"')]
    assert 'class="highlight"' in scale and "&gt;&gt;&gt;" in scale
    page = (site / "chapters" / "ch06_vanilla_lstm.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "accuracy on 200 new sequences" in page
    assert "quick run" in page  # a quick run's page says so


@pytest.mark.parametrize("name", ["ch06_vanilla_lstm", "ch07_stacked_lstm"])  # executed, and code only
def test_chapter_page_opens_with_its_introduction_and_lists_the_closing_sections(site, name):
    import html
    import re

    page = (site / "chapters" / f"{name}.html").read_text(encoding="utf-8")
    article = page[page.index("<article"):]
    first_heading = re.search(r"<h1[^>]*>(.*?)</h1>", article, re.S).group(1)
    assert "Chapter" in first_heading
    # The introduction (the docstring's "Description:") comes before the first code cell.
    assert article.index("Description:") < article.index("book.start(")
    toc = page[page.index('class="md-nav md-nav--secondary"'):page.index("<article")]
    for section in ("Setup", "How this differs from the book", "Summary", "Further reading", "Extensions"):
        assert html.escape(section) in toc, f"{section!r} missing from the table of contents"


def _chromium():
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")


def test_chapter_page_renders_in_chromium_offline(site, tmp_path):
    _chromium()
    shot = tmp_path / "ch06.png"
    seen = _site.check_page(site, "chapters/ch06_vanilla_lstm.html", shot)
    assert "Vanilla LSTMs" in seen["title"]
    assert seen["images"], "the page shows no image"
    assert all(loaded for _, loaded in seen["images"]), seen["images"]
    outside = [url for url in seen["requests"] if not url.startswith(("http://127.0.0.1", "data:"))]
    assert not outside, f"the page loads assets from the network: {outside}"
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[0] > 900 and pixels.shape[1] == 1440
    assert pixels.std() > 0.05 and (pixels.mean(axis=2) < 0.9).mean() > 0.01, "the screenshot is blank"


@pytest.mark.parametrize("page", ["index.html", "chapters/ch06_vanilla_lstm.html", "report.html", "api.html"])
def test_no_page_scrolls_sideways_at_1280_pixels(site, page):
    _chromium()
    seen = _site.check_page(site, page, width=1280)
    assert seen["sideways"] <= 0, f"{page} is {seen['sideways']} px wider than the window"
    assert all(loaded for _, loaded in seen["images"]), seen["images"]


def test_home_page_shows_the_results_and_the_chapters_figures(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "ours: mean (min–max)" in home and "accuracy = 1 (1–1)" in home  # the published report's
    shown = re.findall(r'<img src="(figures/[^"]+\.png)"', home)
    assert len(shown) == len(_site.HOME_FIGURES), shown
    assert all((site / name).is_file() for name in shown)


def test_no_page_names_a_path_of_the_machine_that_built_it(site, chapter_notebook):
    import tempfile

    run_folder = str(chapter_notebook(6).output_dir)  # named once by the quick run's first line
    leaked = {}
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8").replace(run_folder, "")
        found = [p for p in (str(_book.ROOT), tempfile.gettempdir(), str(site)) if p in text]
        if found:
            leaked[str(page.relative_to(site))] = found
    assert not leaked
