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

The bootstrap's edges run it as a plain script against a small remote, in seconds: an
interrupted clone (left behind, or interrupted now), a ``resnet-book`` that is not a clone,
``RESNET_BOOK_BOOTSTRAP`` off in any spelling, a stray ``lib`` in the working folder.
"""

import asyncio
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import BOOK, REPOSITORY, ROOT, code_cells
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from notebook_form import bootstrap_source, repository_ref

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


# The bootstrap's edges, run as a plain script (no kernel) against a small remote: a book of two files.
BOOK_LIB = ("book/lib/__init__.py", "book/lib/signals.py")
OFF = ["0", "false", "no", "off", "Off", "FALSE", " no "]
IN_COLAB = "import sys\nsys.modules['google.colab'] = sys  # what the bootstrap looks for\n"


@pytest.fixture(scope="module")
def small_origin(tmp_path_factory):
    """A repository holding only the book's lib markers, at the ref of ``_config.yml``: quick to clone."""
    origin = tmp_path_factory.mktemp("small") / "origin"
    for name in BOOK_LIB:
        (origin / name).parent.mkdir(parents=True, exist_ok=True)
        (origin / name).write_text("")
    git = ["git", "-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@t"]
    for command in (["init", "--quiet"], ["checkout", "--quiet", "-b", repository_ref()], ["add", "."]):
        subprocess.run(git + command, check=True)
    subprocess.run(git + ["commit", "--quiet", "-m", "book"], check=True)
    return f"file://{origin}"


def bootstrap(folder, repository, switch="1", before="", path=None):
    """The bootstrap run by Python in ``folder`` (``before`` first); its result, with the folder it ended in."""
    source = before + bootstrap_source(REPOSITORY, repository_ref()) + "\nprint('ended in', os.getcwd())"
    environment = colab(repository, switch)
    if path:
        environment["PATH"] = f"{path}{os.pathsep}{environment['PATH']}"
    result = subprocess.run([sys.executable, "-c", source], cwd=folder, env=environment, capture_output=True, text=True)
    ended = re.search(r"^ended in (.*)$", result.stdout, re.M)
    return result, ended and ended.group(1)


def cloned(folder):
    """Whether ``folder`` holds a whole clone, and nothing half-made beside it."""
    return all((folder / "resnet-book" / name).is_file() for name in BOOK_LIB) and not list(
        folder.glob(".resnet-book-*")
    )


@pytest.mark.parametrize("leftover", ["empty folder", "partial checkout"])
def test_an_interrupted_clone_left_behind_is_cloned_again(small_origin, tmp_path, leftover):
    (tmp_path / "resnet-book").mkdir()
    if leftover == "partial checkout":  # what git leaves when it is killed halfway
        (tmp_path / "resnet-book" / ".git").mkdir()
        (tmp_path / "resnet-book" / "book").mkdir()
    result, ended = bootstrap(tmp_path, small_origin)
    assert result.returncode == 0, result.stderr
    assert ended == str(tmp_path / "resnet-book" / "book") and cloned(tmp_path)


def test_a_clone_interrupted_now_leaves_nothing_and_the_next_run_clones(small_origin, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text(  # git that writes half a book into its last argument, then the reader interrupts
        '#!/bin/sh\nfor last; do :; done\nmkdir -p "$last/book"\nkill -INT "$PPID"\nsleep 30\n'
    )
    (fake / "git").chmod(0o755)
    content = tmp_path / "content"
    content.mkdir()
    result, ended = bootstrap(content, small_origin, path=fake)
    assert "KeyboardInterrupt" in result.stderr and ended is None
    assert os.listdir(content) == [], "neither resnet-book nor the folder git was writing is left"
    result, ended = bootstrap(content, small_origin)
    assert result.returncode == 0 and ended == str(content / "resnet-book" / "book") and cloned(content)


def test_a_resnet_book_folder_that_is_not_a_clone_is_left_alone_with_advice(small_origin, tmp_path):
    (tmp_path / "resnet-book").mkdir()
    (tmp_path / "resnet-book" / "notes.txt").write_text("a reader's own")
    result, ended = bootstrap(tmp_path, small_origin)
    assert result.returncode != 0 and ended is None
    [line] = [line for line in result.stderr.splitlines() if line.startswith("RuntimeError")]
    assert line == (
        f"RuntimeError: {tmp_path / 'resnet-book'} is not a clone of the book: "
        "rename or delete it, then run this cell again."
    )
    assert os.listdir(tmp_path / "resnet-book") == ["notes.txt"]


@pytest.mark.parametrize("switch", OFF)
@pytest.mark.parametrize("where", ["outside Colab", "in Colab"])
def test_the_switch_off_in_any_spelling_turns_the_bootstrap_off(small_origin, tmp_path, switch, where):
    result, ended = bootstrap(tmp_path, small_origin, switch, before=IN_COLAB if where == "in Colab" else "")
    assert result.returncode == 0 and ended == str(tmp_path) and os.listdir(tmp_path) == []


@pytest.mark.parametrize("switch, before", [("1", ""), ("yes", ""), ("True", ""), ("", IN_COLAB)])
def test_the_switch_on_or_unset_in_colab_clones(small_origin, tmp_path, switch, before):
    result, ended = bootstrap(tmp_path, small_origin, switch, before=before)
    assert result.returncode == 0 and ended == str(tmp_path / "resnet-book" / "book") and cloned(tmp_path)


def test_a_stray_lib_in_the_working_folder_is_named_and_passed_over(small_origin, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")  # someone else's package called lib
    result, ended = bootstrap(tmp_path, small_origin)
    assert result.returncode == 0 and ended == str(tmp_path / "resnet-book" / "book") and cloned(tmp_path)
    assert f"Warning: {tmp_path / 'lib'} is not the book's lib (no signals.py); using the clone's." in result.stdout
