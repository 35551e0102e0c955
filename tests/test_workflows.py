"""The GitHub Actions workflows: valid, audited, pinned, safe, and running what the README says.

- every file in .github/workflows validates against GitHub's workflow schema (check-jsonschema's
  vendored copy, so offline),
- zizmor, offline, in its auditor persona, finds nothing (settings and reasoned exceptions in
  .github/zizmor.yml),
- every action is pinned by a full commit SHA with its release in a `# vX.Y.Z` comment, and no
  checkout leaves the token in the repository,
- the GPU workflow cannot be reached by a fork or a pull request: run by hand or on its schedule
  only, on the default branch only, skipped without a registered runner, behind an environment,
- it runs in the Colab image requirements-colab.txt names (by digest: a strict xfail until the
  colab-image-digest workflow's digest is pinned), each notebook once, with its results records
  kept out of book/results/ and its artifacts uploaded even when a notebook fails,
- scripts/gpu_full_profile.sh, run here on two small notebooks without a GPU: one nbval run per
  notebook gives the verdict, the times and the executed copies; in Colab's mode it refuses an
  image whose versions are not the pins,
- the digest workflow's own script, with a stand-in `docker`, fails until both files pin the digest,
- the weekly workflow runs make test-colab and make test-accelerate over the whole book,
- the hosted workflows keep the Keras datasets between runs,
- the files the workflows name exist (requirements.lock among them),
- the CPU workflow runs `.ci/run` exactly as the README says to.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_notebook, new_output

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
GPU = ROOT / ".github" / "workflows" / "gpu.yml"
BIN = pathlib.Path(sys.executable).parent
COLAB_IMAGE = "us-docker.pkg.dev/colab-images/public/runtime"
GPU_SCRIPT = ROOT / "scripts" / "gpu_full_profile.sh"
# The condition, word for word, that keeps a manual run to the default branch.
DEFAULT_BRANCH = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"


def run(command, **kwargs):
    result = subprocess.run(command, cwd=kwargs.pop("cwd", ROOT), capture_output=True, text=True, **kwargs)
    return result.returncode, (result.stdout + result.stderr).strip()


def load(workflow):
    return yaml.safe_load(workflow.read_text())


def events(workflow):
    """The workflow's `on:` as a dict of events; YAML 1.1 reads the key `on` as True."""
    data = load(workflow)
    found = data.get("on", data.get(True))
    return {found: None} if isinstance(found, str) else dict.fromkeys(found) if isinstance(found, list) else found


def triggers(workflow):
    return set(events(workflow))


def steps(workflow):
    """Every step of every job of a workflow file: dicts with `uses` or `run`."""
    jobs = load(workflow)["jobs"]
    return [step for job in jobs.values() for step in job.get("steps", [])]


def gpu_job():
    jobs = load(GPU)["jobs"]
    assert len(jobs) == 1, "gpu.yml has one job"
    return next(iter(jobs.values()))


def colab_image_line():
    """What requirements-colab.txt's `# image:` line names."""
    named = re.findall(r"^# image: (\S+)$", (ROOT / "requirements-colab.txt").read_text(), re.M)
    assert len(named) == 1, "requirements-colab.txt names Colab's image on one `# image:` line"
    return named[0]


def test_there_are_workflows():
    names = {path.name for path in WORKFLOWS}
    assert names >= {"cpu.yml", "gpu.yml", "pages.yml", "colab-image-digest.yml", "colab-versions.yml"}


def test_workflows_match_githubs_schema():
    code, output = run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)]
    )
    assert code == 0, output


def test_zizmor_auditor_finds_nothing():
    assert (ROOT / ".github" / "zizmor.yml").exists(), "zizmor's settings live in .github/zizmor.yml"
    code, output = run([str(BIN / "zizmor"), "--offline", "--no-progress", "--persona=auditor", "."])
    assert code == 0, output


def test_every_zizmor_exception_says_why():
    """Each `ignore:` entry has a comment just above it: the reason the finding may stand."""
    lines = (ROOT / ".github" / "zizmor.yml").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"\s+- \S+\.ya?ml", line) and lines[number - 1].strip().startswith(("ignore:", "- ")):
            pytest.fail(f"zizmor.yml line {number + 1} ignores a finding without a reason above it: {line.strip()}")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_sha_with_the_release_named(workflow):
    lines = [line.strip() for line in workflow.read_text().splitlines()]
    uses = [line for line in lines if re.match(r"-?\s*uses:", line)]
    assert len(uses) == sum("uses" in step for step in steps(workflow)), "one `uses:` per line"
    for line in uses:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_token(workflow):
    for step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{workflow.name}: persist-credentials"


def test_gpu_workflow_runs_by_hand_or_on_its_schedule_only():
    """No pull_request, pull_request_target or push: no event puts a fork's or a branch's code on the runner."""
    assert triggers(GPU) == {"workflow_dispatch", "schedule"}


def test_gpu_job_runs_on_the_default_branch_with_a_registered_runner_only():
    condition = " ".join(gpu_job()["if"].split())
    assert "vars.GPU_RUNNER == 'true'" in condition, "without a runner the job must be skipped, not queued"
    assert DEFAULT_BRANCH in condition, "a manual run on another branch must be skipped"
    # The schedule's exception: a scheduled run is always the default branch's, and its payload has no repository.
    assert condition.startswith("vars.GPU_RUNNER == 'true' && ("), condition


def test_gpu_job_waits_for_a_maintainer_and_holds_little():
    job = gpu_job()
    environment = job.get("environment")
    assert environment, "gpu.yml's job must use an environment with required reviewers"
    assert (environment if isinstance(environment, str) else environment["name"]) == "gpu"
    assert load(GPU)["permissions"] == {}, "nothing at the workflow's level"
    assert job["permissions"] == {"contents": "read"}
    assert "self-hosted" in job["runs-on"]


def test_only_the_gpu_workflow_asks_for_a_self_hosted_runner():
    for workflow in WORKFLOWS:
        for job in load(workflow)["jobs"].values():
            labels = job.get("runs-on", [])
            if "self-hosted" in (labels if isinstance(labels, list) else [labels]):
                assert workflow == GPU, f"{workflow.name} asks for a self-hosted runner"


def test_gpu_workflow_runs_in_the_colab_image_requirements_colab_names():
    """One source of truth: gpu.yml's container is requirements-colab.txt's `# image:`, character for character."""
    image = gpu_job()["container"]["image"]
    assert image == colab_image_line()
    assert re.fullmatch(re.escape(COLAB_IMAGE) + r":release-colab[\w.-]+(@sha256:[0-9a-f]{64})?", image), image
    assert gpu_job()["env"]["RESNET_BOOK_COLAB_PINS"] == "requirements-colab.txt", "the script checks its versions"
    assert re.search(r"^# python: 3\.\d+$", (ROOT / "requirements-colab.txt").read_text(), re.M)


@pytest.mark.xfail(
    strict=True,
    reason="no digest can be read offline: run the colab-image-digest workflow and pin the IMAGE:TAG@sha256 it prints",
)
def test_gpu_workflow_runs_in_colabs_image_pinned_by_digest():
    images = [job["container"]["image"] for job in load(GPU)["jobs"].values() if "container" in job]
    assert images, "the GPU job runs in no container"
    for image in images:
        assert re.fullmatch(re.escape(COLAB_IMAGE) + r"(:[\w.-]+)?@sha256:[0-9a-f]{64}", image), image


def test_zizmor_lets_the_unpinned_image_pass_only_while_it_has_no_digest():
    settings = yaml.safe_load((ROOT / ".github" / "zizmor.yml").read_text())
    ignored = "unpinned-images" in settings.get("rules", {})
    assert ignored == ("@sha256:" not in gpu_job()["container"]["image"]), (
        "gpu.yml pins a digest: delete unpinned-images from .github/zizmor.yml"
        if ignored
        else "zizmor's unpinned-images exception is gone, yet gpu.yml pins no digest"
    )


def test_gpu_workflow_writes_results_to_scratch_and_uploads_them_always():
    job = gpu_job()
    assert job["env"]["RESNET_BOOK_ACCELERATE"] == "auto"
    assert any("scripts/gpu_full_profile.sh" in step.get("run", "") for step in job["steps"])
    upload = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and upload[0]["if"] == "always()", "upload the run's artifacts even when a notebook fails"
    script = GPU_SCRIPT.read_text()
    assert 'export RESNET_BOOK_RESULTS="$ARTIFACTS/results"' in script, "records go to the artifacts, not book/results"


def test_gpu_script_runs_each_notebook_once():
    """One `pytest --nbval` per notebook, and nothing else that executes one."""
    code = [line for line in GPU_SCRIPT.read_text().splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(code)
    assert len(re.findall(r"-m pytest --nbval\b", text)) == 1
    assert "execute_notebooks.py" not in text and "nbconvert" not in text and "NotebookClient" not in text


def small_notebooks(folder):
    """Two stored notebooks: one whose outputs nbval will match, one that differs and then raises."""
    good = new_notebook(
        cells=[
            new_code_cell("print('hello')", execution_count=1, outputs=[new_output("stream", text="hello\n")]),
            new_code_cell("6 * 7", execution_count=2, outputs=[new_output("execute_result", {"text/plain": "42"})]),
        ]
    )
    bad = new_notebook(
        cells=[
            new_code_cell("print('ran')", execution_count=1, outputs=[new_output("stream", text="stored\n")]),
            new_code_cell("raise ValueError('boom')", execution_count=2),
            new_code_cell("print('after')", execution_count=3, outputs=[new_output("stream", text="after\n")]),
        ]
    )
    paths = folder / "good.ipynb", folder / "bad.ipynb"
    for notebook, path in zip((good, bad), paths):
        nbformat.write(notebook, path)
    return paths


def this_environment_as_colab_pins(path):
    """A pins file in requirements-colab.txt's form that this environment satisfies."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        tensorflow = version("tensorflow")
    except PackageNotFoundError:
        tensorflow = version("tensorflow-cpu")
    names = ("keras", "tensorboard", "numpy", "pandas", "matplotlib", "ipykernel", "ipython")
    names += ("nbval", "pytest", "nbformat")
    lines = [f"# python: {sys.version_info.major}.{sys.version_info.minor}", f"tensorflow-cpu=={tensorflow}"]
    path.write_text("\n".join(lines + [f"{name}=={version(name)}" for name in names]) + "\n")
    return path


def test_gpu_script_gives_verdicts_times_and_executed_notebooks_from_one_nbval_run(tmp_path):
    good, bad = small_notebooks(tmp_path)
    out = tmp_path / "out"
    env = dict(os.environ, PYTHON=sys.executable, RESNET_BOOK_REQUIRE_GPU="0")
    env["RESNET_BOOK_COLAB_PINS"] = str(this_environment_as_colab_pins(tmp_path / "pins.txt"))
    code, output = run(["bash", str(GPU_SCRIPT), str(out), str(good), str(bad)], env=env, timeout=600)
    assert code == 1, output  # one notebook failed; the other still ran
    assert "Colab's runtime as" in output, output

    rows = [line.split("\t") for line in (out / "times.tsv").read_text().splitlines()]
    assert rows[0] == ["notebook", "seconds", "nbval"]
    assert [(row[0], row[2]) for row in rows[1:]] == [("good", "passed"), ("bad", "failed")]
    assert all(row[1].isdigit() for row in rows[1:])
    for name in ("good", "bad"):
        assert (out / "nbval" / f"{name}.xml").is_file() and (out / "nbval" / f"{name}.log").is_file()
    assert "Cell outputs differ" in (out / "nbval" / "bad.log").read_text()

    # The executed copies hold what the kernel printed in that same run, not the stored outputs.
    executed = {name: nbformat.read(out / "executed" / f"{name}.ipynb", as_version=4) for name in ("good", "bad")}
    outputs = [[cell.outputs for cell in executed[name].cells] for name in ("good", "bad")]
    assert outputs[0][0][0]["text"] == "hello\n" and outputs[0][1][0]["data"]["text/plain"] == "42"
    assert outputs[1][0][0]["text"] == "ran\n", "the kernel's output, not the stored 'stored'"
    assert outputs[1][1][0]["output_type"] == "error" and outputs[1][1][0]["ename"] == "ValueError"
    assert outputs[1][2][0]["text"] == "after\n"
    assert (out / "results").is_dir() and "GPUs: none" in (out / "environment.txt").read_text()


def test_gpu_script_refuses_an_image_that_is_not_the_pinned_colab_runtime(tmp_path):
    pins = tmp_path / "pins.txt"
    pins.write_text("# python: 3.0\ntensorflow-cpu==0.1\nkeras==0.1\ntensorboard==0.1\nnumpy==0.1\n")
    pins.write_text(pins.read_text() + "pandas==0.1\nmatplotlib==0.1\nipykernel==0.1\nipython==0.1\n")
    env = dict(os.environ, PYTHON=sys.executable, RESNET_BOOK_COLAB_PINS=str(pins))
    code, output = run(["bash", str(GPU_SCRIPT), str(tmp_path / "out")], env=env, timeout=120)
    assert code == 2, output
    assert "is not the Colab runtime" in output and "(pinned 3.0)" in output and "numpy" in output, output
    assert not (tmp_path / "out" / "times.tsv").exists(), "it stops before running any notebook"


def digest_script():
    workflow = ROOT / ".github" / "workflows" / "colab-image-digest.yml"
    assert triggers(workflow) == {"workflow_dispatch"}
    (job,) = load(workflow)["jobs"].values()
    assert job["runs-on"] == "ubuntu-24.04", "GitHub's hosted runner, where the registry is in reach"
    (script,) = [step["run"] for step in job["steps"] if "run" in step]
    assert "docker buildx imagetools inspect" in script
    return script


@pytest.mark.skipif(shutil.which("jq") is None, reason="the digest workflow's script reads docker's JSON with jq")
def test_digest_workflow_fails_until_both_files_pin_the_digest(tmp_path):
    digest = "sha256:" + "ab" * 32
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho '{json.dumps({'mediaType': 'index', 'digest': digest, 'size': 1})}'\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake.parent}:{os.environ['PATH']}", GITHUB_STEP_SUMMARY=str(tmp_path / "summary"))
    script = ["bash", "-euo", "pipefail", "-c", digest_script()]
    pinned = colab_image_line().split("@")[0] + "@" + digest

    code, output = run(script, env=env)
    assert code == 1, output
    assert f"image: {pinned}" in output, "it says what to write"

    # A copy of the two files, both pinning the digest the registry gave: it passes.
    (tmp_path / "repo" / ".github" / "workflows").mkdir(parents=True)
    for name in ("requirements-colab.txt", ".github/workflows/gpu.yml"):
        (tmp_path / "repo" / name).write_text((ROOT / name).read_text().replace(colab_image_line(), pinned))
    code, output = run(script, env=env, cwd=tmp_path / "repo")
    assert code == 0, output
    assert pinned in (tmp_path / "summary").read_text()


def test_weekly_workflow_runs_colabs_versions_and_the_gpu_path_over_the_whole_book():
    workflow = ROOT / ".github" / "workflows" / "colab-versions.yml"
    assert triggers(workflow) == {"schedule", "workflow_dispatch"}
    assert re.fullmatch(r"\S+ \S+ \* \* \d", events(workflow)["schedule"][0]["cron"]), "weekly"
    (job,) = load(workflow)["jobs"].values()
    assert set(job["strategy"]["matrix"]["target"]) == {"test-colab", "test-accelerate"}
    commands = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert commands == ['make "$TARGET"'], "make alone, with the Makefile's default NOTEBOOKS=book"
    assert not re.search(r"NOTEBOOKS|\.ci/run", json.dumps(load(workflow))), "the whole book, outside .ci/run"


@pytest.mark.parametrize("name", ["cpu.yml", "colab-versions.yml"])
def test_hosted_runs_keep_the_keras_datasets(name):
    caches = [step for step in steps(ROOT / ".github" / "workflows" / name) if "actions/cache@" in step.get("uses", "")]
    assert caches and caches[0]["with"]["path"] == "~/.keras/datasets", f"{name} downloads CIFAR-10 every run"
    assert "hashFiles('book/lib/data.py')" in caches[0]["with"]["key"]


def test_files_the_workflows_name_exist():
    """The lock file setup-python caches by and the site build installs from, and the scripts run."""
    text = "\n".join(workflow.read_text() for workflow in WORKFLOWS)
    for name in (
        "requirements.txt",
        "requirements.lock",
        "requirements-colab.txt",
        ".ci/run",
        "scripts/gpu_full_profile.sh",
        "book/lib/data.py",
    ):
        assert name in text, f"no workflow names {name}"
        assert (ROOT / name).is_file(), f"a workflow uses {name}, which does not exist"


def readme_ci_commands():
    """The commands the README gives that run .ci/run: code spans and lines of code blocks."""
    readme = (ROOT / "README.md").read_text()
    code = re.findall(r"`([^`\n]+)`", readme) + re.findall(r"^(?:\$ )?(.+)$", readme, re.M)
    pattern = r"(?:bash|sh) (?:\./)?\.ci/run|\./\.ci/run"
    return {text.strip() for text in code if re.fullmatch(pattern, text.strip())}


def test_workflows_run_ci_as_the_readme_says():
    commands = readme_ci_commands()
    assert commands == {"bash .ci/run"}, f"the README should give the one command CI runs, `bash .ci/run`: {commands}"
    cpu = [step["run"].strip() for step in steps(ROOT / ".github" / "workflows" / "cpu.yml") if "run" in step]
    assert "bash .ci/run" in cpu, "cpu.yml must run `bash .ci/run`, as the README says"
    for workflow in WORKFLOWS:
        for step in steps(workflow):
            for line in step.get("run", "").splitlines():
                if ".ci/run" in line:
                    assert line.strip() == "bash .ci/run", f"{workflow.name} runs {line.strip()!r}, not `bash .ci/run`"
