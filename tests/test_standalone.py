"""Colab, for real: each chapter alone in an empty folder, fetched by its own bootstrap.

The bootstrap runs outside Colab when RESNET_BOOK_BOOTSTRAP is set and clones
RESNET_BOOK_REPOSITORY, here ``origin``: a bare clone of this repository whose
``main`` is this checkout's HEAD (the repository as this commit lands on main; a
CI checkout of a pull request has no ``main`` of its own). A release commit names
its tag in ``_config.yml``, and that tag must already exist here: nothing makes it.
lib comes from the commit, not from uncommitted edits, as in Colab.

Every chapter runs its bootstrap and setup cell twice from the same folder, in two
fresh kernels, as after Colab's Runtime > Restart: the second run must find the
clone (its repository url leads nowhere). One chapter then runs top to bottom.
"""

import asyncio
import os
import re
import shutil
import subprocess

import nbformat
import pytest
from conftest import BOOK, ROOT
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from notebook_form import repository_ref

CHAPTERS = sorted(BOOK.glob("*.ipynb"))
DEVELOPMENT_BRANCH = "main"
RUN_IN_FULL = "06_at_scale.ipynb"  # the cheapest chapter in the quick profile (about 30 s on 2 cores)
PROBE = "import os, sys\nprint(os.getcwd())\nprint(sys.modules['lib'].__file__ if 'lib' in sys.modules else None)"


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    """The repository a reader's Colab clones, with the ref ``_config.yml`` names."""
    origin = tmp_path_factory.mktemp("remote") / "origin"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(origin)], check=True)
    ref = repository_ref()
    if ref == DEVELOPMENT_BRANCH:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
        subprocess.run(["git", "-C", str(origin), "update-ref", f"refs/heads/{ref}", head.stdout.strip()], check=True)
    has_ref = subprocess.run(["git", "-C", str(origin), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
    assert has_ref.returncode == 0, f"_config.yml names {ref!r}, which this repository does not have"
    return origin


def colab(repository, bootstrap="1"):
    """A kernel's environment in Colab, as far as the bootstrap can tell, cloning ``repository``.

    No PYTHONPATH: lib comes from the clone or not at all.
    """
    environment = {**os.environ, "RESNET_BOOK_PROFILE": "quick", "RESNET_BOOK_REPOSITORY": repository}
    environment.pop("PYTHONPATH", None)
    environment.pop("RESNET_BOOK_BOOTSTRAP", None)
    return {**environment, "RESNET_BOOK_BOOTSTRAP": bootstrap} if bootstrap else environment


def client(notebook, folder, timeout=600):
    """A client that runs ``notebook`` in a fresh kernel started in ``folder``, as Jupyter would."""
    resources = {"metadata": {"path": str(folder)}}
    return NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources=resources)


def notebook_of(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def text(cell):
    return "".join(output.get("text", "") for output in cell.outputs)


def alone(chapter, folder):
    """An empty folder holding only ``chapter``: /content after a reader opens it in Colab."""
    content = folder / "content"
    content.mkdir()
    shutil.copy(chapter, content / chapter.name)
    return content, code_cells(nbformat.read(content / chapter.name, as_version=4))


@pytest.fixture(scope="module")
def restarts(origin, tmp_path_factory):
    """Per chapter: its folder and its two runs (or the error that stopped them), every chapter at once.

    A run is the bootstrap, the setup cell and PROBE in a fresh kernel started in the chapter's
    folder: first cloning ``origin``, then, as after Runtime > Restart, with a repository url that
    leads nowhere, so that only a bootstrap that finds its clone gets through. Chapters run side
    by side, as many as there are cores: a kernel spends its seconds importing TensorFlow.
    """
    slots = asyncio.Semaphore(os.cpu_count() or 2)

    async def twice(chapter):
        content, cells = alone(chapter, tmp_path_factory.mktemp(chapter.stem))
        runs = {}
        for run, repository in (("first run", f"file://{origin}"), ("after a restart", f"file://{content}/offline")):
            notebook = notebook_of(cells[0].source, cells[1].source, PROBE)
            try:
                async with slots:
                    # side by side on a GPU machine, each kernel takes the GPU memory it needs, not all of it
                    environment = {**colab(repository), "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
                    await client(notebook, content).async_execute(env=environment)
            except CellExecutionError as error:
                return content, f"{run}: {error}"
            runs[run] = notebook
        return content, runs

    async def every_chapter():
        return await asyncio.gather(*(twice(chapter) for chapter in CHAPTERS))

    return dict(zip(CHAPTERS, asyncio.run(every_chapter())))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_alone_fetches_its_lib_and_finds_it_again_after_a_restart(chapter, restarts):
    content, runs = restarts[chapter]
    assert not isinstance(runs, str), runs
    clone = content / "resnet-book" / "book"
    for run, notebook in runs.items():
        assert text(notebook.cells[1]).startswith("profile quick |"), run
        assert text(notebook.cells[2]).split() == [str(clone), str(clone / "lib" / "__init__.py")], run
    assert sorted(os.listdir(content)) == sorted([chapter.name, "resnet-book"])


@pytest.mark.parametrize("failure", ["no such repository", "no such ref"])
def test_a_failed_clone_says_what_was_tried_and_what_to_do(failure, origin, tmp_path):
    content, cells = alone(CHAPTERS[0], tmp_path)
    repository, ref = f"file://{tmp_path}/nowhere", repository_ref()
    if failure == "no such ref":
        repository, ref = f"file://{origin}", "v0.0.0-missing"
    notebook = notebook_of(cells[0].source.replace(f'REF = "{repository_ref()}"', f'REF = "{ref}"'))
    with pytest.raises(CellExecutionError):
        client(notebook, content).execute(env=colab(repository))
    [error] = notebook.cells[0].outputs
    assert error.ename == "RuntimeError"
    assert repository in error.evalue and ref in error.evalue and "fatal:" in error.evalue  # and what git said
    assert "Check that this runtime is online" in error.evalue and "run this cell again" in error.evalue
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))  # without its colours
    assert traceback.count("Cell In[") == 1 and ".py:" not in traceback, "one frame: the cell's own raise"
    assert os.listdir(content) == [CHAPTERS[0].name], "a failed clone leaves nothing: running again retries"


def test_outside_colab_the_bootstrap_does_nothing(tmp_path):
    content, cells = alone(CHAPTERS[0], tmp_path)
    where = "import os\nprint(os.getcwd())"
    notebook = notebook_of(cells[0].source, where)
    client(notebook, content).execute(env=colab(f"file://{tmp_path}/nowhere", bootstrap=""))
    assert text(notebook.cells[1]).strip() == str(content) and os.listdir(content) == [CHAPTERS[0].name]
    notebook = notebook_of(cells[0].source, where)  # forced, but lib is here: Jupyter started in book/
    client(notebook, BOOK).execute(env=colab(f"file://{tmp_path}/nowhere"))
    assert text(notebook.cells[1]).strip() == str(BOOK)


def test_a_chapter_alone_runs_top_to_bottom_through_its_bootstrap(origin, tmp_path):
    content, _ = alone(BOOK / RUN_IN_FULL, tmp_path)
    notebook = nbformat.read(content / RUN_IN_FULL, as_version=4)
    client(notebook, content, timeout=900).execute(env=colab(f"file://{origin}"))
    assert (content / "resnet-book" / "book" / "lib" / "__init__.py").exists()
    assert text(code_cells(notebook)[1]).startswith("profile quick |")
