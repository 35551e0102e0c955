"""Move the book to a new release: lib.__version__ and every Colab bootstrap.

    python scripts/release.py 0.2.0     (or: make release VERSION=0.2.0)

Refuses when CHANGELOG.md has no ``## v0.2.0`` section. Then commit and tag
``v0.2.0``; the chapters' bootstraps fetch that tag.
"""

import re
import sys

import nbformat
from notebook_form import ROOT, bootstrap_source, canonical, repository_url


def main(version):
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        sys.exit(f"{version!r} is not a version like 0.2.0")
    if not re.search(rf"^## v{re.escape(version)}\b", (ROOT / "CHANGELOG.md").read_text(), re.M):
        sys.exit(f"CHANGELOG.md has no '## v{version}' section; write it first.")
    init = ROOT / "book" / "lib" / "__init__.py"
    init.write_text(re.sub(r'__version__ = ".*"', f'__version__ = "{version}"', init.read_text()))
    repository = repository_url()
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        first = next(cell for cell in notebook.cells if cell.cell_type == "code")
        first.source = bootstrap_source(repository, f"v{version}")
        path.write_text(canonical(notebook))
    print(f"lib {version}; bootstraps pin v{version}. Commit, then: git tag v{version}")


if __name__ == "__main__":
    main(*sys.argv[1:2] or [""])
