r"""The site in a real browser: every page of the built book in headless Chromium.

The site is the one conftest.py's `site` fixture builds (once per test session), served by
Python's http.server on 127.0.0.1. Each page listed by _toc.yml, and Sphinx's own index and
search pages, is loaded in Chromium through Playwright, and fails on

- a request to the site that fails or answers 4xx/5xx (the page, its CSS, JS, fonts, images),
- an image that did not load (naturalWidth 0), or in the page's text takes no room (hidden),
- a link to the site (`<a href>`) that does not answer 200, or whose #fragment names no element
  of the page it points to (each unique link is checked once),
- a console message of type error, or an uncaught JavaScript exception,
- an empty output that takes room on the page (the line lib.train.ProgressLine empties when
  training ends must not leave a blank box: _static/empty-outputs.css hides it),
- math that MathJax did not render: every formula of the page's source (Sphinx's `math`
  elements) must hold an `mjx-container`, and no visible text outside code may still read as TeX
  (`\(`, `\[` or `$$`).

MathJax ships with the site (the Sphinx extension sphinx-mathjax-offline copies it into
_static/mathjax/), so formulas render with no network. Requests to other hosts (Thebe from a CDN,
GitHub, Colab) are blocked, and a console error about a blocked request is not counted: the test
is about the book's own pages, and CI may be offline. A full-page screenshot of each page, taken
after MathJax has typeset it, is saved under _build/screenshots/.

Chromium: the binary the environment variable CHROMIUM names (GitHub's runner: its Google Chrome),
else Debian's /usr/bin/chromium (`apt-get install -y --no-install-recommends chromium`; .ci/run
does it where it is missing); Playwright drives it, no browser is downloaded. Without it the tests
fail under CI (the environment variable CI set, as .ci/run sets it) and are skipped elsewhere,
with the reason.
"""

import functools
import http.server
import os
import pathlib
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml
from conftest import ROOT, SCREENSHOTS

CHROMIUM = pathlib.Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


def toc_pages():
    """The pages _toc.yml lists (root first, then every `file:` at any depth), as paths in the build."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                entries.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    return [f"{entry}.html" for entry in entries]


# Sphinx writes these two besides the toc's pages; index.html only redirects to the root page.
PAGES = toc_pages() + ["genindex.html", "search.html"]


def missing_chromium():
    message = (
        f"no Chromium at {CHROMIUM}: install Debian's package with "
        "`apt-get install -y --no-install-recommends chromium` (as root), "
        "or point the environment variable CHROMIUM at a Chromium binary"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message + " (a failure when CI is set)")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        missing_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def origin(site):
    """http://127.0.0.1:PORT serving the built site, on a free port, in a thread."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def fetch():
    """GET a URL once per module: (status, text)."""
    cache = {}

    def get(url):
        if url not in cache:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    cache[url] = (response.status, response.read().decode("utf-8", "replace"))
            except urllib.error.HTTPError as error:
                cache[url] = (error.code, "")
        return cache[url]

    return get


def has_anchor(html, fragment):
    fragment = urllib.parse.unquote(fragment)
    return f'id="{fragment}"' in html or f'name="{fragment}"' in html


EMPTY_BOXES = """() => {
    // Output boxes with nothing in them that take room, in the light and in the dark theme.
    const root = document.documentElement, theme = root.dataset.theme, found = new Set();
    for (const mode of ["light", "dark"]) {
        root.dataset.theme = mode;
        for (const box of document.querySelectorAll("div.cell_output, div.cell_output .output")) {
            if (box.getBoundingClientRect().height > 0 && !box.innerText.trim()
                && !box.querySelector("img, svg, table, iframe, canvas, video")) found.add(box);
        }
    }
    root.dataset.theme = theme;
    return found.size;
}"""


RAW_TEX = r"""async () => {
    // Wait for MathJax's first typesetting; then list formulas it left as TeX.
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    const formulas = document.querySelectorAll(".math");
    const unrendered = Array.from(formulas).filter((formula) => !formula.querySelector("mjx-container"));
    const visibleTeX = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, parent = node.parentElement;
        if (!parent || parent.closest("pre, code, script, style, textarea, mjx-container")) continue;
        if (!parent.checkVisibility()) continue;
        if (["\\(", "\\[", "$$"].some((token) => node.nodeValue.includes(token)))
            visibleTeX.push(node.nodeValue.trim().slice(0, 80));
    }
    return {
        formulas: formulas.length,
        unrendered: unrendered.map((formula) => formula.textContent.trim().slice(0, 80)),
        visibleTeX,
    };
}"""


LOAD_IMAGES = """async () => {
    const images = Array.from(document.images);
    for (const image of images) image.loading = "eager";
    await Promise.all(images.map((image) => image.complete ? null : new Promise((done) => {
        image.addEventListener("load", done);
        image.addEventListener("error", done);
    })));
    return images
        .filter((image) => new URL(image.currentSrc || image.src, location.href).origin === location.origin)
        .map((image) => ({
            src: image.currentSrc || image.src,
            width: image.naturalWidth,
            // In the page's text (not a closed menu of the header), an image must take room.
            shown: !image.closest("article") || image.getBoundingClientRect().height > 0,
        }));
}"""


def visit(browser, url, screenshot):
    """Load url; return (problems, blocked URLs, same-origin images, same-origin link URLs)."""
    host = urllib.parse.urlsplit(url).netloc
    problems, blocked, answered_with_error = [], set(), set()

    def ours(address):
        return urllib.parse.urlsplit(address).netloc == host

    def route(route):
        if ours(route.request.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.add(route.request.url)
            route.abort("blockedbyclient")

    def on_console(message):
        if message.type != "error":
            return
        source = message.location.get("url", "")
        if source in blocked or (message.text.startswith("Failed to load resource") and source and not ours(source)):
            return  # the browser reporting a request this test blocked
        problems.append(f"console error: {message.text} ({source}:{message.location.get('lineNumber')})")

    def on_response(response):
        if ours(response.url) and response.status >= 400:
            answered_with_error.add(response.url)
            problems.append(f"HTTP {response.status}: {response.url}")

    def on_request_failed(request):
        if ours(request.url) and request.url not in answered_with_error:
            problems.append(f"request failed ({request.failure}): {request.url}")

    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.route("**/*", route)
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
        page.wait_for_load_state("networkidle")
        images = page.evaluate(LOAD_IMAGES)
        empty_boxes = page.evaluate(EMPTY_BOXES)
        if empty_boxes:
            problems.append(f"{empty_boxes} empty output box(es) take room on the page")
        math = page.evaluate(RAW_TEX)
        problems += [f"formula not rendered by MathJax: {tex}" for tex in math["unrendered"]]
        problems += [f"raw TeX shown on the page: {text}" for text in math["visibleTeX"]]
        links = page.eval_on_selector_all("a[href]", "links => links.map((link) => link.href)")
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return problems, blocked, images, [link for link in links if ours(link)]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.removesuffix(".html"))
def test_page_loads_in_chromium_without_errors(browser, origin, fetch, path):
    url = f"{origin}/{path}"
    screenshot = SCREENSHOTS / (path.removesuffix(".html").replace("/", "-") + ".png")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    problems, blocked, images, links = visit(browser, url, screenshot)

    problems += [f"image did not load: {image['src']}" for image in images if image["width"] == 0]
    problems += [f"image not shown (hidden by CSS?): {image['src']}" for image in images if not image["shown"]]
    for link in sorted(set(links)):
        target, _, fragment = link.partition("#")
        status, html = fetch(target)
        if status != 200:
            problems.append(f"link answers HTTP {status}: {link}")
        elif fragment and target.endswith(".html") and not has_anchor(html, fragment):
            problems.append(f"link to a missing anchor: {link}")
    assert not problems, f"{path} (screenshot {screenshot}):\n" + "\n".join(problems)


def test_every_built_page_is_visited(site):
    built = {
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if page.relative_to(site).parts[0] not in {"_static", "_sources", "_images"}
    }
    assert built - {"index.html"} == set(PAGES)


def test_index_redirects_to_the_first_page(browser, origin):
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{origin}/index.html")
        page.wait_for_url(f"{origin}/{PAGES[0]}", timeout=10_000)
    finally:
        context.close()
