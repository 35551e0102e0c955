"""The one canonical form of a stored notebook (checked by tests/test_book.py).

python scripts/notebook_form.py book/*.ipynb    rewrites notebooks in that form
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
    """The first code cell of every chapter: the Colab bootstrap, cloning ``repository`` at ``ref``."""
    return f"""# Colab bootstrap: in Colab, clone the book at REF, the ref this chapter was opened at, and
# work from its book/ folder, so that `import lib` finds the lib written with this chapter
# (after Runtime > Restart the clone is found again). Anywhere else this cell does nothing.
import os
import subprocess
import sys

REPOSITORY = os.environ.get("RESNET_BOOK_REPOSITORY", "{repository}")
REF = "{ref}"
if ("google.colab" in sys.modules or os.environ.get("RESNET_BOOK_BOOTSTRAP")) and not os.path.isdir("lib"):
    if not os.path.isdir("resnet-book"):
        clone = ["git", "clone", "--quiet", "--depth", "1", "--branch", REF, REPOSITORY, "resnet-book"]
        git = subprocess.run(clone, capture_output=True, text=True)
        if git.returncode:
            raise RuntimeError(
                f"git could not clone {{REF}} of {{REPOSITORY}}:\\n{{git.stderr.strip()}}\\n"
                "Check that this runtime is online and that REF is a branch or tag of REPOSITORY (main always is), "
                "then run this cell again."
            )
    os.chdir("resnet-book/book")"""


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = pathlib.Path(name)
        path.write_text(canonical(nbformat.read(path, as_version=4)))
