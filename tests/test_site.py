"""Look at the site built as `make book` builds it, warnings as errors (the `site` fixture, conftest.py)."""

import re
import urllib.parse

import pytest
from conftest import NOTEBOOKS, REPOSITORY
from notebook_form import repository_ref


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_page_has_a_colab_link_to_its_own_notebook(site, path):
    page = (site / "book" / f"{path.stem}.html").read_text()
    owner_repo = REPOSITORY.removeprefix("https://github.com/")
    expected = f"https://colab.research.google.com/github/{owner_repo}/blob/{repository_ref()}/book/{path.name}"
    assert expected in page


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_page_shows_stored_figures(site, path):
    page = (site / "book" / f"{path.stem}.html").read_text()
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', page)
    assert images, "no figure on the page"
    for src in images:
        assert (site / "book" / src).exists(), src


def test_bibliography_page_lists_he_et_al(site):
    page = (site / "book" / "bibliography.html").read_text()
    assert "deep residual learning for image recognition" in page.lower()


def script_sources(page):
    return re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', page)


def test_mathjax_ships_with_the_site_and_loads_from_it(site):
    """Pages with math load MathJax from the site's own _static/ (sphinx-mathjax-offline), never a CDN."""
    pages_with_math, problems = 0, []
    for path in sorted(site.rglob("*.html")):
        page, name = path.read_text(), path.relative_to(site)
        mathjax = [src for src in script_sources(page) if "mathjax" in src.lower()]
        for src in mathjax:
            if urllib.parse.urlsplit(src).netloc:
                problems.append(f"{name}: MathJax from another host: {src}")
            elif not (path.parent / urllib.parse.urlsplit(src).path).is_file():
                problems.append(f"{name}: MathJax script missing from the build: {src}")
        if 'class="math notranslate' in page:
            pages_with_math += 1
            if not mathjax:
                problems.append(f"{name}: has math but loads no MathJax")
    assert pages_with_math, "no page has math: the check checks nothing"
    assert not problems, "\n".join(problems)
