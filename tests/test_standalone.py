"""Colab, for real: one chapter alone in an empty folder, fetched by its own bootstrap.

The bootstrap runs outside Colab when RESNET_BOOK_BOOTSTRAP is set, and clones
RESNET_BOOK_REPOSITORY (here a local clone of this repository, tagged with the
release the chapter pins) exactly as it clones GitHub in Colab.
"""

import shutil
import subprocess

import nbformat
from conftest import BOOK, ROOT
from nbclient import NotebookClient

import lib

CHAPTER = "01_degradation.ipynb"


def test_a_chapter_alone_fetches_its_lib_and_runs(tmp_path, monkeypatch):
    origin = tmp_path / "origin"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(origin)], check=True)
    subprocess.run(["git", "-C", str(origin), "tag", "--force", f"v{lib.__version__}"], check=True)
    work = tmp_path / "colab"
    work.mkdir()
    shutil.copy(BOOK / CHAPTER, work / CHAPTER)
    monkeypatch.setenv("RESNET_BOOK_BOOTSTRAP", "1")
    monkeypatch.setenv("RESNET_BOOK_REPOSITORY", f"file://{origin}")
    monkeypatch.setenv("RESNET_BOOK_PROFILE", "quick")
    notebook = nbformat.read(work / CHAPTER, as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    assert (work / "resnet-book" / "book" / "lib" / "__init__.py").exists()
    setup_output = "".join(output.get("text", "") for output in notebook.cells[2].outputs)
    assert setup_output.startswith("profile quick |")
