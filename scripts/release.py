"""Release the book as tag vX.Y.Z, or go back to main after a release.

    python scripts/release.py X.Y.Z            (or: make release VERSION=X.Y.Z)
    python scripts/release.py --back-to-main

The launch button (``_config.yml``: ``repository: branch:``) and every chapter's Colab bootstrap
name one ref, so that a chapter opened in Colab and the lib it clones come from one commit:
``main`` while the book is developed. A release moves both to the tag: it sets the branch to
``vX.Y.Z``, every bootstrap's REF to ``vX.Y.Z`` and ``lib.__version__`` to ``X.Y.Z``, commits
that, and tags the commit ``vX.Y.Z``. It refuses a version that is not X.Y.Z, a working tree
with changes or untracked files, an existing tag, and a CHANGELOG.md whose first section is not
``## vX.Y.Z (YYYY-MM-DD)`` (still ``(unreleased)``, or missing); it stops, before writing anything,
when a line it rewrites is not where it expects it.

After the release, readers launch the tag until ``--back-to-main``, which commits the branch and
the bootstraps back at ``main`` (``lib.__version__`` stays the last release's).
"""

import re
import subprocess
import sys

import nbformat
from notebook_form import ROOT, bootstrap_source, canonical, repository_ref, repository_setting, repository_url

DEVELOPMENT_BRANCH = "main"
CONFIG = ROOT / "_config.yml"
CHANGELOG = ROOT / "CHANGELOG.md"
LIB_INIT = ROOT / "book" / "lib" / "__init__.py"
VERSION_LINE = re.compile(r'^__version__ = "[^"\n]*"$', re.M)
DATE = r"\d{4}-\d{2}-\d{2}"


def git(*arguments):
    """Run git in the repository; stop with its own message when it fails."""
    result = subprocess.run(["git", "-C", str(ROOT), *arguments], capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"git {' '.join(arguments)} failed:\n{result.stderr.strip()}")
    return result.stdout


def refuse_a_dirty_tree():
    changes = git("status", "--porcelain")
    if changes:
        sys.exit(f"The working tree has changes or untracked files; commit or remove them first:\n{changes}")


def refuse_unless_dated(version):
    """The first section of CHANGELOG.md must be ``## vX.Y.Z (YYYY-MM-DD)``."""
    first = re.search(r"^## (.*)$", CHANGELOG.read_text(), re.M)
    heading = first.group(1).strip() if first else "(none)"
    if re.fullmatch(rf"v{re.escape(version)} \({DATE}\)", heading):
        return
    if heading == f"v{version} (unreleased)":
        sys.exit(f"CHANGELOG.md: '## {heading}': put the release date in place of (unreleased), commit, run again.")
    sys.exit(f"CHANGELOG.md's first section is '## {heading}', not '## v{version} (YYYY-MM-DD)': write that first.")


def moved_to(ref):
    """Every file the ref lives in, with its new text: ``{path: text}``; stops if one is not as expected."""
    config = CONFIG.read_text()
    branch = repository_setting("branch", config)
    files = {CONFIG: config[: branch.start(1)] + ref + config[branch.end(1) :]}
    old, new = (bootstrap_source(repository_url(), r) for r in (repository_ref(), ref))
    notebooks = sorted((ROOT / "book").glob("*.ipynb"))
    if not notebooks:
        sys.exit("book/ has no notebooks")
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        first = next((cell for cell in notebook.cells if cell.cell_type == "code"), None)
        if first is None or first.source != old:
            sys.exit(f"{path.relative_to(ROOT)}: the first code cell is not the bootstrap for {repository_ref()}.")
        first.source = new
        files[path] = canonical(notebook)
    return files


def commit(files, message):
    """Write ``files`` and commit them; on failure, say how to undo (the tree was clean before)."""
    for path, text in files.items():
        path.write_text(text)
    names = [str(path.relative_to(ROOT)) for path in files]
    result = subprocess.run(["git", "-C", str(ROOT), "commit", "--quiet", "-m", message, "--", *names], text=True)
    if result.returncode:
        sys.exit(f"git commit failed (see above); {len(names)} files are rewritten: undo with git checkout -- .")


def release(version):
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        sys.exit(f"{version!r} is not a version X.Y.Z (like 0.2.0)")
    tag = f"v{version}"
    refuse_a_dirty_tree()
    if git("tag", "--list", tag).strip():
        sys.exit(f"The tag {tag} exists already; pick the next version.")
    refuse_unless_dated(version)
    files = moved_to(tag)
    init = LIB_INIT.read_text()
    if len(VERSION_LINE.findall(init)) != 1:
        sys.exit(f'{LIB_INIT.relative_to(ROOT)}: no single line __version__ = "..." to set.')
    files[LIB_INIT] = VERSION_LINE.sub(f'__version__ = "{version}"', init)
    commit(files, f"Release {tag}: the launch button and every Colab bootstrap open {tag}")
    git("tag", "--annotate", "--message", f"Release {tag}", tag)
    print(
        f"Committed and tagged {tag}: the launch button and every bootstrap open {tag}, lib {version}.\n"
        f"Publish both (the site's launch buttons need the tag): git push --atomic origin HEAD {tag}\n"
        f"Back to development at main: python scripts/release.py --back-to-main"
    )


def back_to_main():
    refuse_a_dirty_tree()
    released = repository_ref()
    if released == DEVELOPMENT_BRANCH:
        sys.exit(f"_config.yml's branch is {DEVELOPMENT_BRANCH} already.")
    commit(moved_to(DEVELOPMENT_BRANCH), f"Back to {DEVELOPMENT_BRANCH} after {released}: launch and bootstrap open it")
    print(
        f"Committed: the launch button and every bootstrap open {DEVELOPMENT_BRANCH} again.\n"
        "Start the next CHANGELOG.md section: ## vX.Y.Z (unreleased)"
    )


def main(arguments):
    try:
        if arguments == ["--back-to-main"]:
            back_to_main()
        elif len(arguments) == 1:
            release(arguments[0])
        else:
            sys.exit(__doc__)
    except LookupError as missing:  # _config.yml without its repository url or branch
        sys.exit(str(missing))


if __name__ == "__main__":
    main(sys.argv[1:])
