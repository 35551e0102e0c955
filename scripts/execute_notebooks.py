"""Execute chapters, the way their stored outputs must be produced.

    python scripts/execute_notebooks.py book/01_degradation.ipynb [--profile full] [--output-dir DIR]

Each notebook runs in a fresh kernel of this Python, from ``book/``, with the
profile set, and TensorFlow's C-level log lines kept out of the outputs
(``capture_fd_output=False``: what the C++ runtime writes to descriptor 2 goes
to this terminal, not into the notebook, as it does under nbval). The result
is written in canonical form, back in place by default, or with
``--output-dir`` as a copy of the same name in that folder (the stored
notebook is left as it is). Each chapter's wall time is printed, also when it
fails; the first failing chapter stops the run.
"""

import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from notebook_form import canonical  # noqa: E402


def execute(path, profile, timeout, target):
    """Run the notebook at ``path`` from its folder; write the result to ``target``; return seconds."""
    notebook = nbformat.read(path, as_version=4)
    os.environ["RESNET_BOOK_PROFILE"] = profile
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        target.write_text(canonical(notebook))  # on failure too, to show what ran
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--profile", default="full", choices=("quick", "full"))
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed for one cell")
    parser.add_argument(
        "--output-dir",
        type=pathlib.Path,
        help="write executed copies into this folder instead of over the notebooks",
    )
    args = parser.parse_args()
    if args.output_dir:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks:
        if not path.exists():
            sys.exit(f"{path} does not exist; name a chapter such as CHAPTER=01_degradation.")
        path = path.resolve()
        target = args.output_dir.resolve() / path.name if args.output_dir else path
        start = time.perf_counter()
        try:
            seconds = execute(path, args.profile, args.timeout, target)
        except BaseException:
            seconds = time.perf_counter() - start
            print(f"{path.name}: failed after {seconds:.0f} s ({args.profile} profile); see {target}", flush=True)
            raise
        print(f"{path.name}: {seconds:.0f} s ({args.profile} profile)", flush=True)


if __name__ == "__main__":
    main()
