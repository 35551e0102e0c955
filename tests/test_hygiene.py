"""`make test` must fail on lint errors and non-canonical notebooks: show both on bad fixtures, and the form check."""

import pathlib
import subprocess
import sys

import nbformat
from conftest import REPOSITORY, ROOT
from notebook_form import bootstrap_source, canonical, repository_ref

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


def form_check(*paths):
    script = ROOT / "scripts" / "notebook_form.py"
    return subprocess.run([sys.executable, str(script), "--check", *map(str, paths)], capture_output=True, text=True)


def test_the_form_check_names_a_bad_notebook_and_passes_a_good_one(tmp_path):
    bad = form_check(FIXTURES / "noncanonical.ipynb")
    assert bad.returncode == 1
    assert bad.stdout.strip() == (
        f"{FIXTURES / 'noncanonical.ipynb'}: not in canonical form; "
        f"its first code cell is not the bootstrap for {repository_ref()}"
    )
    good = tmp_path / "good.ipynb"
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(bootstrap_source(REPOSITORY, repository_ref()))]
    )
    good.write_text(canonical(notebook))
    assert form_check(good).returncode == 0
    before = good.read_text()
    good.write_text(before.replace("REF = ", "REF  = "))
    assert form_check(good).stdout.strip() == f"{good}: its first code cell is not the bootstrap for {repository_ref()}"
