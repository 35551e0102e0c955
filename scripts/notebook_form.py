"""The one canonical form of a stored notebook, and the Colab bootstrap every chapter starts with.

python scripts/notebook_form.py book/*.ipynb            rewrites notebooks in that form
python scripts/notebook_form.py --check book/*.ipynb    writes nothing; names each notebook not in
                                                        that form or not starting with the bootstrap
                                                        (exit status 1 if any)
tests/test_book.py checks both for every notebook of the book.
"""

import json
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
KEPT_CELL_METADATA = ("tags",)


def canonical(notebook):
    """The notebook as text: stable JSON, python3 kernel, no stray metadata."""
    notebook = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    notebook.metadata = nbformat.from_dict(
        {
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python"},
        }
    )
    count = 0
    for cell in notebook.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA})
        cell.pop("id", None)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output.execution_count = cell.execution_count
                if "metadata" in output:
                    output.metadata = {}
    notebook.nbformat, notebook.nbformat_minor = 4, 4
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def repository_setting(key, config=None):
    """The match of ``repository:`` / ``key: VALUE`` in ``_config.yml`` (group 1: VALUE); LookupError if absent.

    The one reader of the repository block: ``repository_url`` and ``repository_ref`` read
    through it, and scripts/release.py rewrites the branch at the span it finds.
    """
    config = (ROOT / "_config.yml").read_text() if config is None else config
    block = re.search(r"^repository:[ \t]*\n(?:[ \t]+.*\n?)+", config, re.M)
    value = re.compile(rf"^[ \t]+{re.escape(key)}:[ \t]*(\S+)[ \t]*$", re.M)
    setting = block and value.search(config, block.start(), block.end())
    if not setting:
        raise LookupError(f"_config.yml has no 'repository: {key}:' setting")
    return setting


def repository_url():
    """The repository url of ``_config.yml``, the one every bootstrap clones."""
    return repository_setting("url").group(1)


def repository_ref():
    """The ref of ``_config.yml`` (``repository: branch:``), one for the launch button and the bootstrap.

    Jupyter Book's launch button opens ``.../blob/REF/book/NN.ipynb`` and every bootstrap clones
    REF, so a chapter and its lib come from one commit: ``main`` while the book is developed,
    ``vX.Y.Z`` from a release (scripts/release.py) until development goes back to main.
    """
    return repository_setting("branch").group(1)


def bootstrap_source(repository, ref):
    """The first code cell of every chapter: the Colab bootstrap, cloning ``repository`` at ``ref``.

    It clones into a hidden temporary folder and renames it ``resnet-book`` only when git has
    finished, so an interrupted clone leaves no half a book; a ``resnet-book`` without the book's
    lib (an interrupted clone by an older bootstrap) is cloned again if it is empty or a git
    checkout, and otherwise left alone with advice. The book's lib is a ``lib`` folder with
    ``signals.py``; any other ``lib`` in the working folder is named in a warning and passed over.
    """
    return f"""# Colab bootstrap: in Colab, clone the book at REF, the ref this chapter was opened at, and
# work from its book/ folder, so that `import lib` finds the lib written with this chapter
# (after Runtime > Restart the clone is found again). Anywhere else this cell does nothing.
# RESNET_BOOK_BOOTSTRAP=1 runs it anywhere; 0, false, no or off never, not even in Colab.
import os
import shutil
import subprocess
import sys
import tempfile

REPOSITORY = os.environ.get("RESNET_BOOK_REPOSITORY", "{repository}")
REF = "{ref}"
SWITCH = os.environ.get("RESNET_BOOK_BOOTSTRAP", "").strip().lower()
ON = SWITCH not in ("0", "false", "no", "off") if SWITCH else "google.colab" in sys.modules
if ON and not os.path.isfile("lib/signals.py"):  # not started in the book's own book/ folder
    if os.path.isdir("lib"):
        print(f"Warning: {{os.path.abspath('lib')}} is not the book's lib (no signals.py); using the clone's.")
    if os.path.isdir("resnet-book") and not os.path.isfile("resnet-book/book/lib/signals.py"):
        if os.listdir("resnet-book") and not os.path.isdir("resnet-book/.git"):
            raise RuntimeError(
                f"{{os.path.abspath('resnet-book')}} is not a clone of the book: "
                "rename or delete it, then run this cell again."
            )
        shutil.rmtree("resnet-book")  # an interrupted clone: clone again
    if not os.path.isdir("resnet-book"):
        partial = tempfile.mkdtemp(prefix=".resnet-book-", dir=".")  # renamed once git has finished
        clone = ["git", "clone", "--quiet", "--depth", "1", "--branch", REF, REPOSITORY, partial]
        try:
            git = subprocess.run(clone, capture_output=True, text=True)
            if not git.returncode:
                os.rename(partial, "resnet-book")
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        if git.returncode:
            raise RuntimeError(
                f"git could not clone {{REF}} of {{REPOSITORY}}:\\n{{git.stderr.strip()}}\\n"
                "Check that this runtime is online and that REF is a branch or tag of REPOSITORY (main always is), "
                "then run this cell again."
            )
    os.chdir("resnet-book/book")"""


def problems(path):
    """What keeps the notebook at ``path`` from its canonical form and from the bootstrap; empty if nothing."""
    notebook = nbformat.read(path, as_version=4)
    found = [] if path.read_text() == canonical(notebook) else ["not in canonical form"]
    first = next((cell for cell in notebook.cells if cell.cell_type == "code"), None)
    if first is None or first.source != bootstrap_source(repository_url(), repository_ref()):
        found.append(f"its first code cell is not the bootstrap for {repository_ref()}")
    return found


if __name__ == "__main__":
    check = "--check" in sys.argv[1:]
    paths = [pathlib.Path(name) for name in sys.argv[1:] if name != "--check"]
    if check:
        failed = [f"{path}: {'; '.join(found)}" for path in paths if (found := problems(path))]
        print("\n".join(failed) or f"{len(paths)} notebooks in canonical form, each starting with the bootstrap")
        sys.exit(1 if failed else 0)
    for path in paths:
        path.write_text(canonical(nbformat.read(path, as_version=4)))
