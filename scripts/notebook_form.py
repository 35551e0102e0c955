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


def repository_url():
    """The repository url of ``_config.yml``, the one every bootstrap clones."""
    config = (ROOT / "_config.yml").read_text()
    return re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, re.M).group(1)


def bootstrap_source(repository, release):
    """The first code cell of every chapter: the Colab bootstrap."""
    return f'''# Colab bootstrap. In Colab, fetch the book at its pinned release and work from
# its book/ folder, so that `import lib` finds the chapter's own version of lib.
# Anywhere else (Jupyter on your machine, CI) this cell does nothing.
import os
import subprocess
import sys

REPOSITORY = os.environ.get("RESNET_BOOK_REPOSITORY", "{repository}")
RELEASE = "{release}"
if ("google.colab" in sys.modules or os.environ.get("RESNET_BOOK_BOOTSTRAP")) and not os.path.isdir("lib"):
    clone = ["git", "clone", "--quiet", "--depth", "1", "--branch", RELEASE, REPOSITORY, "resnet-book"]
    subprocess.run(clone, check=True)
    os.chdir("resnet-book/book")'''


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = pathlib.Path(name)
        path.write_text(canonical(nbformat.read(path, as_version=4)))
