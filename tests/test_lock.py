"""requirements.lock pins every package, and agrees with the short list in requirements.txt;
requirements-colab.txt (Colab's runtime, `make test-colab`) pins every line too."""

import re
import subprocess
import venv

from conftest import ROOT


def pins(path):
    """{normalised name: version} of every `name==version` line of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def test_every_pin_of_requirements_txt_is_in_the_lock_at_the_same_version():
    wanted, locked = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements.lock")
    assert wanted, "requirements.txt pins nothing"
    different = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}
    assert not different, f"requirements.txt vs requirements.lock (run `make lock`): {different}"


def requirement_lines(path):
    """The requirement lines of a pip requirements file: comments, annotations and blank lines dropped."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def test_every_line_of_the_lock_and_of_the_colab_list_is_an_exact_pin():
    for name in ("requirements.lock", "requirements-colab.txt"):
        loose = [line for line in requirement_lines(ROOT / name) if "==" not in line or line.startswith("-")]
        assert not loose, f"{name}: every line must be name==version: {loose}"
        assert len(pins(ROOT / name)) == len(requirement_lines(ROOT / name)), f"{name} names a package twice"


def test_the_colab_list_runs_the_same_nbval_as_the_main_env():
    assert pins(ROOT / "requirements-colab.txt")["nbval"] == pins(ROOT / "requirements.txt")["nbval"]


def test_the_lock_installs_alone_and_is_consistent(tmp_path):
    """Into an empty venv with --no-deps: a package the lock forgot makes `pip check` fail."""
    venv.create(tmp_path / "venv", with_pip=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    install = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    result = subprocess.run([*install, "-r", str(ROOT / "requirements.lock")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    check = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, f"the lock misses packages:\n{check.stdout}{check.stderr}"
