"""The Colab bootstrap pin, lib.__version__ and the changelog agree."""

import re

from conftest import ROOT
from test_book import NOTEBOOKS, code_cells

import lib


def test_version_is_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", lib.__version__)


def test_changelog_has_a_section_for_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## v{re.escape(lib.__version__)}\b", changelog, re.M)


def test_every_bootstrap_pins_this_version():
    for path in NOTEBOOKS:
        pins = re.findall(r'^RELEASE = "(.*)"$', code_cells(path)[0].source, re.M)
        assert pins == [f"v{lib.__version__}"], path.name
