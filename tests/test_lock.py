"""requirements.lock pins every package with the SHA-256 of its files, agrees with the short list in
requirements.txt and installs alone with pip's --require-hashes; requirements-colab.txt (Colab's runtime,
`make test-colab`) pins every line too; `make install` refuses a Python older than 3.11 in one line."""

import os
import re
import shutil
import subprocess
import venv

import pytest
from conftest import ROOT


def pins(path):
    """{normalised name: version} of every `name==version` line of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#\\]+)", line.strip())
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def test_every_pin_of_requirements_txt_is_in_the_lock_at_the_same_version():
    wanted, locked = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements.lock")
    assert wanted, "requirements.txt pins nothing"
    missing = sorted(set(wanted) - set(locked))
    assert not missing, f"requirements.txt names what requirements.lock lacks (run `make lock`): {missing}"
    different = {name: (version, locked[name]) for name, version in wanted.items() if locked[name] != version}
    assert not different, f"requirements.txt vs requirements.lock (run `make lock`): {different}"


def requirements(path):
    """The requirements of a pip requirements file, one string each: lines continued by a backslash joined,
    comments, annotations and blank lines dropped."""
    text = "\n".join(line.split("#", 1)[0].rstrip() for line in path.read_text().splitlines())
    logical = re.sub(r"\\\n", " ", text).splitlines()
    return [" ".join(line.split()) for line in logical if line.strip()]


def test_every_line_of_the_lock_and_of_the_colab_list_is_an_exact_pin():
    for name in ("requirements.lock", "requirements-colab.txt"):
        loose = [line for line in requirements(ROOT / name) if "==" not in line.split()[0] or line.startswith("-")]
        assert not loose, f"{name}: every requirement must be name==version: {loose}"
        assert len(pins(ROOT / name)) == len(requirements(ROOT / name)), f"{name} names a package twice"


def test_every_package_of_the_lock_carries_the_sha256_of_its_files():
    """`make lock` writes them (pip-compile --generate-hashes); `make install` insists (--require-hashes)."""
    locked = requirements(ROOT / "requirements.lock")
    assert len(locked) == len(pins(ROOT / "requirements.lock")) > 100
    for requirement in locked:
        words = requirement.split()
        assert words[1:], f"requirements.lock: {words[0]} has no --hash (run `make lock`)"
        bad = [word for word in words[1:] if not re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", word)]
        assert not bad, f"requirements.lock: {words[0]} has more than SHA-256 hashes: {bad}"
    makefile = (ROOT / "Makefile").read_text()
    assert "pip-compile --quiet --generate-hashes" in makefile
    assert "pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock" in makefile


def test_the_colab_list_runs_the_same_nbval_and_xdist_as_the_main_env():
    colab, main = pins(ROOT / "requirements-colab.txt"), pins(ROOT / "requirements.txt")
    for tool in ("nbval", "pytest-xdist"):
        assert colab[tool] == main[tool], f"{tool}: {colab[tool]} for Colab, {main[tool]} in requirements.txt"


def test_the_lock_installs_alone_with_its_hashes_and_is_consistent(tmp_path):
    """Into an empty venv, every file checked against its hash, with --no-deps: a package the lock forgot
    makes `pip check` fail."""
    venv.create(tmp_path / "venv", with_pip=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    install = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    lock = str(ROOT / "requirements.lock")
    result = subprocess.run([*install, "--require-hashes", "-r", lock], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    check = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, f"the lock misses packages:\n{check.stdout}{check.stderr}"


STUB_PYTHON = """#!/bin/sh
# A Python 3.10 as make sees one: fails the version check, names its version, runs nothing else.
case "$*" in
  *version_info*) exit 1 ;;
  *python_version*) echo 3.10.13 ;;
  *) echo "make ran this Python for more than its version: $*" >&2; exit 99 ;;
esac
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["install", "install-colab"])
def test_make_install_refuses_an_older_python_in_one_line(tmp_path, target):
    """Before any venv is made: one line that names the Python and its version, and what to set instead."""
    for name in ("Makefile", "requirements.lock", "requirements-colab.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    stub = tmp_path / "python3"
    stub.write_text(STUB_PYTHON)
    stub.chmod(0o755)
    variable, advice = ("PYTHON", "python3.11") if target == "install" else ("COLAB_PYTHON", "python3.13")
    result = subprocess.run(
        ["make", "--no-print-directory", target, f"{variable}={stub}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "MAKEFLAGS": ""},
        timeout=60,
    )
    assert result.returncode != 0
    # make's own closing line: "make: ***", or "make[1]: ***" when make test runs the tests (MAKELEVEL is set).
    ours = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", line)]
    assert ours == [
        f"make {target}: the book needs Python 3.11 or newer; {stub} is 3.10.13. "
        f"Set {variable}={advice}: make {target} {variable}={advice}."
    ], result.stderr
    assert not (tmp_path / ".venv").exists() and not (tmp_path / "_build").exists()
