"""`make test` must fail on lint errors and non-canonical notebooks: show both on bad fixtures."""

import pathlib
import subprocess
import sys

import nbformat
from conftest import ROOT
from notebook_form import canonical

FIXTURES = ROOT / "tests" / "fixtures"
RUFF = pathlib.Path(sys.executable).parent / "ruff"


def ruff(*args):
    return subprocess.run([str(RUFF), *args], capture_output=True, text=True, cwd=ROOT)


def test_the_tree_is_lint_clean_and_formatted():
    assert ruff("check", ".").returncode == 0
    assert ruff("format", "--check", ".").returncode == 0


def test_lint_catches_a_bad_file():
    result = ruff("check", str(FIXTURES / "bad_lint.py"))
    assert result.returncode != 0
    assert "F821" in result.stdout and "E401" in result.stdout
    assert ruff("format", "--check", str(FIXTURES / "bad_lint.py")).returncode != 0


def test_canonical_form_catches_a_bad_notebook():
    path = FIXTURES / "noncanonical.ipynb"
    text = canonical(nbformat.read(path, as_version=4))
    assert path.read_text() != text
    assert '"name": "python3"' in text and "widgets" not in text and '"scrolled"' not in text
    assert canonical(nbformat.reads(text, as_version=4)) == text  # canonical is a fixed point
