"""Look at the site built as `make book` builds it, warnings as errors (the `site` fixture, conftest.py)."""

import re

import pytest
from test_book import NOTEBOOKS, REPOSITORY


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_page_has_a_colab_link_to_its_own_notebook(site, path):
    page = (site / "book" / f"{path.stem}.html").read_text()
    owner_repo = REPOSITORY.removeprefix("https://github.com/")
    expected = f"https://colab.research.google.com/github/{owner_repo}/blob/main/book/{path.name}"
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
