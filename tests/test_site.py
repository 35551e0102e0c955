"""Build the site as `make book` does, warnings as errors, and look at it."""

import pathlib
import re
import subprocess
import sys

import pytest
from conftest import ROOT
from test_book import NOTEBOOKS, REPOSITORY


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    jupyter_book = [
        str(pathlib.Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(ROOT),
        "--path-output",
        str(out),
        "--warningiserror",
        "--keep-going",
        "--quiet",
    ]
    result = subprocess.run(jupyter_book, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out / "_build" / "html"


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
