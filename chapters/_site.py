"""The rendered book: ``make site`` writes a static HTML site to ``site/``, offline.

The site is built with MkDocs Material, mkdocs-jupyter (the chapters' executed notebooks)
and mkdocstrings (the API reference, from the library's docstrings). Its pages:

- a home page with the report's headline and the chapter table, built from the chapter
  registry;
- one page per chapter: the notebook executed by the last full run
  (``outputs/BACKEND/chNN_slug/chNN_slug.ipynb``), else the last quick run's (marked as
  such), else the chapter's code without outputs;
- the reproduction report of the same backend's runs (``outputs/BACKEND/REPORT.md``), or,
  before ``make all`` has written one, the published one (``docs/``, ``docs/jax/``), and
  the benchmarks (``docs/``);
- the API reference of ``lstmbook``.

Nothing is loaded from the network: web fonts are off and every asset is in the folder,
so the pages open from the folder itself (search needs ``python -m http.server -d site``).

``python -m chapters site [--outputs DIR] [--site DIR]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from chapters import _book

ROOT = _book.ROOT
DOCS = ROOT / "docs"

#: The library's modules, in the order the API reference shows them.
API_MODULES = ("prep", "problems", "models", "cell", "training", "forecast", "diagnostics", "persistence",
               "datasets")


#: Wider pages than Material's default, so that a chapter's code and tables fit; code, outputs
#: and tables scroll inside their own box, never the page; a figure enlarges on a click.
CSS = """.md-grid { max-width: 1600px; }
@media screen and (min-width: 76.25em) { .md-sidebar { width: 10.5rem; } }
.jp-InputPrompt, .jp-OutputPrompt, .jp-InputArea-prompt, .jp-OutputArea-prompt { display: none; }
.jp-InputArea pre, .jp-OutputArea pre, .jp-RenderedText pre { font-size: .6rem; }
.md-typeset pre, .jp-OutputArea-output, .jp-InputArea, .md-typeset__scrollwrap { max-width: 100%; overflow-x: auto; }
.md-typeset table:not([class]) { font-size: .68rem; }
.md-typeset table:not([class]) td { vertical-align: top; }
article img { max-width: 100%; height: auto; cursor: zoom-in; }
article img.lstmbook-zoom { position: fixed; inset: 0; margin: auto; max-width: 96vw; max-height: 96vh;
  width: auto; height: auto; z-index: 10; background: #fff; cursor: zoom-out;
  box-shadow: 0 0 0 100vmax rgba(0, 0, 0, .6); }
.lstmbook-gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1rem; }
.lstmbook-gallery figure { margin: 0; }
.lstmbook-gallery figcaption { font-size: .7rem; }
"""

#: A click on a figure shows it over the page at the window's size; a second click puts it back.
JS = """document.addEventListener("click", function (event) {
  var image = event.target.closest("article img");
  if (image) { image.classList.toggle("lstmbook-zoom"); }
});
"""

#: The pages ``--screenshots`` takes, and their files (``docs/`` holds the published ones).
SCREENSHOTS = (("index.html", "site-home.png"), ("chapters/ch06_vanilla_lstm.html", "site-chapter.png"),
               ("api.html", "site-api.png"))

#: The figures the home page shows, one per line of the book it illustrates.
HOME_FIGURES = (2, 6, 7, 9, 12, 14)


def chapter_source(chapter: _book.Chapter, outputs: Path) -> tuple[Path, str]:
    """The notebook to render for ``chapter`` and what it is: ``"full"``, ``"quick"`` or ``"code"``."""
    for folder, kind in ((outputs / chapter.name, "full"), (outputs / "quick" / chapter.name, "quick")):
        notebook = folder / f"{chapter.name}.ipynb"
        if notebook.is_file():
            return notebook, kind
    return chapter.path, "code"


def report_folder(outputs: Path) -> Path:
    """Where the site's report comes from: the runs' own (``outputs/BACKEND``) when ``make all``
    wrote one, else the published report of that backend (``docs``, or ``docs/jax``)."""
    if (outputs / "REPORT.md").is_file():
        return outputs
    backend = outputs.name if outputs.name.isidentifier() else "tensorflow"
    return DOCS if backend == "tensorflow" else DOCS / backend


def report_rows(text: str) -> dict:
    """``{chapter number: {column: cell}}`` from a report's chapter table (``_report.render_report``)."""
    rows, header = {}, None
    for line in text.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if header is None and cells[:2] == ["ch", "chapter"]:
            header = cells
        elif header and cells and cells[0].isdigit() and len(cells) == len(header):
            rows[int(cells[0])] = dict(zip(header, cells, strict=True))
    return rows


def home_page(outputs: Path) -> str:
    """The home page's Markdown: the headline, the book's results against ours, a few of the
    chapters' figures, and how to run the book."""
    folder = report_folder(outputs)
    report = folder / "REPORT.md"
    text = report.read_text(encoding="utf-8") if report.is_file() else ""
    match = re.search(r"^\*\*(.+?)\*\*(.*)$", text, re.M)
    headline = f"**{match.group(1)}**{match.group(2)}" if match else ""
    rows = report_rows(text)
    ours = next((name for name in next(iter(rows.values()), {}) if name.startswith("ours")), None)
    lines = [
        "---", "hide:", "  - toc", "---", "",  # the page's width goes to the results table
        "# lstmbook",
        "",
        "The Keras 3 code companion to *Long Short-Term Memory Networks With Python* "
        "(Jason Brownlee, 2017): every chapter as a notebook that runs on a laptop's CPU.",
        "",
        headline or "No full run has been reported yet (`make all`).",
        "",
        f"Backend: {outputs.name}. The chapter pages show the runs in `outputs/{outputs.name}/`; "
        + ("the report is theirs." if folder == outputs
           else f"the results are the published report's (`{_book.shown_path(report)}`)."),
        "",
        "## The book's results and ours",
        "",
        f"| ch | chapter | the book | {ours or 'ours'} | seeds passed |",
        "| ---: | --- | --- | --- | :---: |",
    ]
    for chapter in _book.CHAPTERS.values():
        row = rows.get(chapter.number, {})
        lines.append(f"| {chapter.number} | [{chapter.title}](chapters/{chapter.name}.ipynb) | "
                     f"{chapter.book.replace('|', '/')} | {row.get(ours, '—')} | "
                     f"{row.get('seeds passed', row.get('result', '—'))} |")
    figures = [(chapter, name) for chapter in map(_book.get, HOME_FIGURES)
               for name in [_report_figure(rows.get(chapter.number, {}))] if name and (folder / name).is_file()]
    if figures:
        lines += ["", "## From the chapters", "", "Click a figure to enlarge it.", "",
                  '<div class="lstmbook-gallery" markdown>']
        for chapter, name in figures:
            lines += [f'<figure markdown><img src="{name}" alt="{chapter.title}"><figcaption>'
                      f'<a href="chapters/{chapter.name}.html">Chapter {chapter.number}: {chapter.title}</a>'
                      "</figcaption></figure>"]
        lines += ["</div>"]
    lines += ["", "## Run it", "",
              "Run one chapter with `make ch06` (`ARGS=--quick` for a run in seconds), every chapter "
              "with `make all`, the tests with `make test`, and the chapters in JupyterLab with `make lab`.",
              "", "See also the [reproduction report](report.md), the [benchmarks](benchmarks.md) "
              "and the [API reference](api.md)."]
    return "\n".join(lines) + "\n"


def _report_figure(row: dict) -> str | None:
    """The figure a report row links its chapter to (``figures/chNN_name.png``), if any."""
    match = re.search(r"\]\((figures/[^)]+\.png)\)", row.get("chapter", ""))
    return match.group(1) if match else None


def api_page() -> str:
    lines = ["# API reference", "",
             "The library a Keras user imports: `from lstmbook import prep, problems, models, ...`.", ""]
    for name in API_MODULES:
        lines += [f"## lstmbook.{name}", "", f"::: lstmbook.{name}", "    options:",
                  "      show_root_heading: false", "      heading_level: 3", ""]
    return "\n".join(lines)


def _notebook_page(source: Path, kind: str, target: Path) -> None:
    """Copy a chapter's notebook into the site's sources, with a note on a quick run's."""
    import nbformat

    from chapters import _notebooks

    if kind == "code":
        # The chapter's own file, its docstring as the page's heading and introduction.
        notebook = _notebooks.read(_book.get(source.stem[2:4]), source)
        note = "Not run yet: this page shows the chapter's code. <code>make all</code> adds its outputs."
    else:
        notebook = nbformat.read(source, as_version=4)
        note = "From a quick run (<code>--quick</code>): tiny sizes, targets not checked." if kind == "quick" else ""
    if note:  # a notebook's Markdown is not Python-Markdown: the admonition is written in HTML
        notebook.cells.insert(1 if notebook.cells else 0, nbformat.v4.new_markdown_cell(
            f'<div class="admonition note"><p class="admonition-title">Note</p><p>{note}</p></div>'))
    nbformat.write(notebook, target)


def config(src: Path, site: Path) -> dict:
    nav = [{"Home": "index.md"},
           {"Chapters": [{f"{c.number}. {c.title}": f"chapters/{c.name}.ipynb"}
                         for c in _book.CHAPTERS.values()]},
           {"Reproduction report": "report.md"}, {"Benchmarks": "benchmarks.md"},
           {"Repeats on a cluster": "cluster.md"}, {"API reference": "api.md"}]
    return {
        "site_name": "lstmbook",
        "site_description": "Keras 3 companion to Long Short-Term Memory Networks With Python",
        "docs_dir": str(src), "site_dir": str(site), "use_directory_urls": False,
        "nav": nav,
        "theme": {"name": "material", "font": False,  # no web fonts from a CDN
                  "features": ["navigation.sections", "content.code.copy"]},
        "extra_css": ["book.css"], "extra_javascript": ["book.js"],
        "markdown_extensions": ["tables", "admonition", "attr_list", "md_in_html",
                                {"toc": {"permalink": True}}],
        "plugins": [
            # Not Material's "offline" plugin: it loads a search shim from unpkg.com. Without
            # it every page still opens from the folder; search needs http.server.
            "search",
            {"mkdocs-jupyter": {"include_source": True, "execute": False, "ignore_h1_titles": False,
                                "include_requirejs": False}},
            {"mkdocstrings": {"handlers": {"python": {
                "paths": [str(ROOT)],
                "options": {"docstring_style": "google", "show_source": False, "members_order": "source",
                            "filters": ["!^_"],
                            # "Returns:" holds one description, as the library writes it
                            "docstring_options": {"returns_multiple_items": False}}}}}},
        ],
    }


def build(outputs=_book.OUTPUT_ROOT, site="site") -> Path:
    """Assemble the site's sources and run MkDocs. Returns the site folder."""
    import yaml

    outputs, site = Path(outputs).resolve(), Path(site).resolve()
    src = ROOT / "build" / "site-src"
    if src.exists():
        shutil.rmtree(src)
    (src / "chapters").mkdir(parents=True)
    (src / "index.md").write_text(home_page(outputs), encoding="utf-8")
    reports = report_folder(outputs)
    for folder, name, page in ((reports, "REPORT.md", "report.md"), (DOCS, "BENCHMARKS.md", "benchmarks.md"),
                               (DOCS, "CLUSTER.md", "cluster.md")):
        text = (folder / name).read_text(encoding="utf-8") if (folder / name).is_file() \
            else f"# {page[:-3].title()}\n\nNot written yet.\n"
        (src / page).write_text(text, encoding="utf-8")
    if (reports / "figures").is_dir():
        shutil.copytree(reports / "figures", src / "figures")
    (src / "api.md").write_text(api_page(), encoding="utf-8")
    (src / "book.css").write_text(CSS, encoding="utf-8")
    (src / "book.js").write_text(JS, encoding="utf-8")
    for chapter in _book.CHAPTERS.values():
        source, kind = chapter_source(chapter, outputs)
        _notebook_page(source, kind, src / "chapters" / f"{chapter.name}.ipynb")
    config_path = src.parent / "mkdocs.yml"
    config_path.write_text(yaml.safe_dump(config(src, site), sort_keys=False), encoding="utf-8")
    command = [sys.executable, "-m", "mkdocs", "build", "--clean", "-f", str(config_path)]
    done = subprocess.run([*command, "--quiet"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{(done.stderr or '')[-3000:]}")
    return site


def check_page(site, page: str, screenshot=None, *, browser: str | None = None, width: int = 1440,
               full_page: bool = True) -> dict:
    """Open ``page`` of a built site in headless Chromium, served from 127.0.0.1.

    Args:
        site: the site folder.
        page: the page's path in it (``"chapters/ch06_vanilla_lstm.html"``).
        screenshot: where to write a full-page PNG screenshot (optional).
        browser: the Chromium binary (default: ``chromium`` on the PATH).
        width: the window's width in pixels (its height is 900).
        full_page: the screenshot shows the whole page, not only the window.

    Returns:
        ``{"images": [(src, loaded)], "requests": [url], "title": str, "sideways": int}``:
        every ``<img>`` with whether it loaded, every URL the page asked for, and how many
        pixels the page is wider than the window (0 when it never scrolls sideways).
    """
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    browser = browser or shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise FileNotFoundError("Chromium is not installed (Debian: apt-get install chromium)")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=browser, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            tab = chromium.new_page(viewport={"width": width, "height": 900})
            requests = []
            tab.on("request", lambda request: requests.append(request.url))
            tab.goto(f"http://127.0.0.1:{server.server_port}/{page}", wait_until="networkidle")
            images = tab.eval_on_selector_all(
                "img", "els => els.map(e => [e.src.slice(0, 80), e.complete && e.naturalWidth > 0])")
            sideways = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if screenshot is not None:
                tab.screenshot(path=str(screenshot), full_page=full_page)
            title = tab.title()
            chromium.close()
    finally:
        server.shutdown()
    return {"images": [tuple(image) for image in images], "requests": requests, "title": title,
            "sideways": sideways}


class _QuietHandler(__import__("http.server").server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no line per request in the test output
        pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chapters site", description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", default=str(_book.OUTPUT_ROOT),
                        help="chapter outputs (default outputs/BACKEND, this process's Keras backend)")
    parser.add_argument("--site", default="site", help="where the site goes (default site)")
    parser.add_argument("--screenshots", metavar="FOLDER",
                        help="also write site-home.png, site-chapter.png and site-api.png (the first screen "
                             "of the home page, chapter 6 and the API page at 1280 px), taken in headless Chromium")
    args = parser.parse_args(argv)
    site = build(args.outputs, args.site)
    print(f"Wrote {site / 'index.html'} (open it, or: python -m http.server -d {args.site})")
    if args.screenshots:
        folder = Path(args.screenshots)
        for page, name in SCREENSHOTS:
            seen = check_page(site, page, folder / name, width=1280, full_page=False)
            print(f"Wrote {folder / name}: {sum(ok for _, ok in seen['images'])}/{len(seen['images'])} images "
                  f"loaded, {max(seen['sideways'], 0)} px wider than the window")
    return 0
