"""One ref for the launch button and every Colab bootstrap; scripts/release.py moves them together.

The release runs against a temporary clone of this repository that carries this working tree's
version of every file it reads or writes, never against this checkout.
"""

import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT
from notebook_form import bootstrap_source, canonical, repository_ref, repository_setting, repository_url

import lib

RELEASE_FILES = [
    "_config.yml",
    "CHANGELOG.md",
    "book/lib/__init__.py",
    "scripts/release.py",
    "scripts/notebook_form.py",
]
VERSION = "9.9.9"  # a version this repository will not reach


def first_code_cell(path):
    return next(cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")


def test_version_is_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", lib.__version__)


def test_every_bootstrap_clones_the_ref_of_the_launch_button():
    ref = repository_ref()
    for path in NOTEBOOKS:
        assert re.findall(r'^REF = "(.*)"$', first_code_cell(path).source, re.M) == [ref], path.name


def test_the_ref_is_main_or_this_release():
    """Between releases main; on a release commit its tag, with lib's version and a dated changelog section."""
    ref = repository_ref()
    assert ref in ("main", f"v{lib.__version__}"), f"_config.yml's branch {ref!r}: main, or v + lib.__version__"
    if ref != "main":
        changelog = (ROOT / "CHANGELOG.md").read_text()
        assert re.search(rf"^## {re.escape(ref)} \(\d{{4}}-\d{{2}}-\d{{2}}\)$", changelog, re.M)


def test_changelog_headings_are_versions_with_a_date_or_a_state():
    headings = re.findall(r"^## (.*)$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert headings and all(re.fullmatch(r"v\d+\.\d+\.\d+ \(.+\)", heading) for heading in headings), headings


def git(repository, *arguments):
    return subprocess.run(["git", "-C", str(repository), *arguments], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repository(tmp_path):
    """A clone of this repository, its release files and notebooks as in this working tree, committed."""
    clone = tmp_path / "book"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    for name in RELEASE_FILES + [str(path.relative_to(ROOT)) for path in NOTEBOOKS]:
        shutil.copy(ROOT / name, clone / name)
    identity = {
        "user.name": "Release Test",
        "user.email": "release@test",
        "commit.gpgsign": "false",
        "tag.gpgsign": "false",
    }
    for name, value in identity.items():
        git(clone, "config", name, value)
    commit_all(clone, "this working tree")
    return clone


def commit_all(clone, message):
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "--allow-empty", "-m", message)


def with_changelog_heading(clone, heading):
    """Put ``## heading`` first in the clone's CHANGELOG.md and commit it."""
    changelog = clone / "CHANGELOG.md"
    text = changelog.read_text()
    first = text.index("\n## ") + 1
    changelog.write_text(f"{text[:first]}## {heading}\n\n- What changed.\n\n{text[first:]}")
    commit_all(clone, f"changelog: {heading}")


def release(clone, *arguments):
    return subprocess.run(
        [sys.executable, str(clone / "scripts" / "release.py"), *arguments], capture_output=True, text=True
    )


def state(clone):
    """What a release moves: the branch of _config.yml, every bootstrap, lib's version; and HEAD."""
    try:
        branch = repository_setting("branch", (clone / "_config.yml").read_text()).group(1)
    except LookupError:
        branch = None
    version = re.search(r'^__version__ = "(.*)"$', (clone / "book/lib/__init__.py").read_text(), re.M)
    return {
        "branch": branch,
        "bootstraps": {first_code_cell(path).source for path in sorted((clone / "book").glob("*.ipynb"))},
        "version": version and version.group(1),
        "head": git(clone, "rev-parse", "HEAD").strip(),
    }


def refused(clone, *arguments, says):
    before = state(clone), git(clone, "status", "--porcelain"), git(clone, "tag", "--list")
    result = release(clone, *arguments)
    assert result.returncode != 0 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, "a refusal is a sentence, not a traceback"
    after = state(clone), git(clone, "status", "--porcelain"), git(clone, "tag", "--list")
    assert after == before, "a refused release writes, commits and tags nothing"


@pytest.mark.parametrize("version", ["9.9", "v9.9.9", "9.9.9-rc1", "09.9.9x", ""])
def test_release_refuses_a_version_that_is_not_x_y_z(repository, version):
    with_changelog_heading(repository, f"v{VERSION} (2026-01-01)")
    refused(repository, version, says="is not a version X.Y.Z")


def test_release_refuses_a_dirty_tree(repository):
    with_changelog_heading(repository, f"v{VERSION} (2026-01-01)")
    init = repository / "book" / "lib" / "__init__.py"
    init.write_text(init.read_text() + "# edited\n")
    refused(repository, VERSION, says="working tree has changes")
    git(repository, "checkout", "--", ".")
    (repository / "book" / "notes.md").write_text("untracked\n")
    refused(repository, VERSION, says="untracked files")


def test_release_refuses_an_existing_tag(repository):
    with_changelog_heading(repository, f"v{VERSION} (2026-01-01)")
    git(repository, "tag", f"v{VERSION}")
    refused(repository, VERSION, says=f"tag v{VERSION} exists")


@pytest.mark.parametrize(
    "heading, says",
    [
        (f"v{VERSION} (unreleased)", "put the release date in place of (unreleased)"),
        (None, f"not '## v{VERSION} (YYYY-MM-DD)'"),  # no section for it
        ("v9.9.8 (2026-01-01)", f"not '## v{VERSION} (YYYY-MM-DD)'"),  # another version's
        (f"v{VERSION} (soon)", f"not '## v{VERSION} (YYYY-MM-DD)'"),
    ],
)
def test_release_refuses_a_changelog_without_a_dated_section_first(repository, heading, says):
    if heading:
        with_changelog_heading(repository, heading)
    refused(repository, VERSION, says=says)


@pytest.mark.parametrize(
    "name, pattern, says",
    [
        ("book/lib/__init__.py", r'^__version__ = ".*"$', "__version__"),
        ("_config.yml", r"^  branch: .*$", "repository: branch:"),
        ("book/01_degradation.ipynb", r'REF = \\"[^"\\]*\\"', "not the bootstrap for"),
    ],
)
def test_release_stops_before_writing_when_a_line_it_rewrites_is_missing(repository, name, pattern, says):
    path = repository / name
    text, count = re.subn(pattern, "", path.read_text(), flags=re.M)
    assert count == 1, f"the test's pattern must find the line in {name}"
    path.write_text(text)
    with_changelog_heading(repository, f"v{VERSION} (2026-01-01)")
    refused(repository, VERSION, says=says)


def test_release_moves_branch_bootstraps_and_version_together_commits_and_tags(repository):
    with_changelog_heading(repository, f"v{VERSION} (2026-01-01)")
    before = state(repository)
    assert before["branch"] == "main" and before["bootstraps"] == {bootstrap_source(repository_url(), "main")}
    result = release(repository, VERSION)
    assert result.returncode == 0, result.stderr
    assert "--back-to-main" in result.stdout, "the release says how to go back to main"
    after = state(repository)
    assert after["branch"] == f"v{VERSION}" and after["version"] == VERSION
    assert after["bootstraps"] == {bootstrap_source(repository_url(), f"v{VERSION}")}
    assert git(repository, "rev-parse", f"v{VERSION}^{{commit}}").strip() == after["head"] != before["head"]
    assert not git(repository, "status", "--porcelain"), "everything it wrote is committed"
    changed = set(git(repository, "diff", "--name-only", before["head"], after["head"]).split())
    assert changed == {"_config.yml", "book/lib/__init__.py"} | {f"book/{path.name}" for path in NOTEBOOKS}
    for path in NOTEBOOKS:  # in a notebook, the bootstrap's ref is all that changed
        expected = nbformat.read(path, as_version=4)
        next(cell for cell in expected.cells if cell.cell_type == "code").source = bootstrap_source(
            repository_url(), f"v{VERSION}"
        )
        assert (repository / "book" / path.name).read_text() == canonical(expected), path.name

    back = release(repository, "--back-to-main")
    assert back.returncode == 0, back.stderr
    main = state(repository)
    assert main["branch"] == "main" and main["bootstraps"] == before["bootstraps"] and main["version"] == VERSION
    assert git(repository, "rev-parse", "HEAD~1").strip() == after["head"] and not git(
        repository, "status", "--porcelain"
    )
    refused(repository, "--back-to-main", says="is main already")
