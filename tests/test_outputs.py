"""Compared outputs hold on any machine: no core counts, devices, dates, paths, host names or timings.

nbval compares every stored output of a cell that is not tagged ``nbval-ignore-output``
(all MIME types but PNG and JPEG). Text in such an output that depends on the machine
fails nbval on the next machine: a 4-core hosted runner, a GPU runner, a reader's laptop.
This scans every compared output of every chapter and names the cell and the text.
"""

import re
import socket

import nbformat
import pytest
from conftest import NOTEBOOKS

# Each pattern: what it catches, as a reader would name it.
MACHINE_TEXT = {
    "a core count": r"\b\d+\s*(?:CPU\s*)?cores?\b|\bcpu_count\b",
    "a device name": r"\bCPU \(|\b(?:NVIDIA|Tesla|GeForce|Quadro|RTX|A100|H100|H200|V100|T4|L4|P100|TPU v\d)\b",
    "a date": r"\b20\d\d-[01]\d-[0-3]\d\b",
    "a path on a machine": r"(?:/work/|/home/|/root/|/tmp/|/content/|/Users/|[A-Z]:\\\\)",
    "a timing": r"\b\d+(?:\.\d+)?\s*(?:ms|µs|us|s|sec|seconds|minutes|min)\b|\b\d[\d,.]*\s*(?:images?|img|it)/s\b",
}


def compared_texts(cell):
    """The texts nbval compares for ``cell``: stream text and every non-image MIME type."""
    if "nbval-ignore-output" in cell.metadata.get("tags", []):
        return
    for output in cell.get("outputs", []):
        if "text" in output:
            yield output.text
        for mime, value in output.get("data", {}).items():
            if mime not in ("image/png", "image/jpeg"):
                yield value if isinstance(value, str) else str(value)


def machine_text(text):
    """Every (kind, match) of machine-dependent text in ``text``."""
    host = socket.gethostname()
    found = [(kind, m.group(0)) for kind, pattern in MACHINE_TEXT.items() for m in re.finditer(pattern, text)]
    if host and len(host) > 3 and host in text:
        found.append(("a host name", host))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_compared_outputs_hold_no_machine_dependent_text(path):
    problems = {}  # one line per distinct finding, in the order found
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        for text in compared_texts(cell):
            for kind, match in machine_text(text):
                problems[f"cell {index}: {kind}, {match!r}"] = None
    assert not problems, (
        f"{path.name}: compared outputs that depend on the machine; tag the cell nbval-ignore-output "
        "or print something that reads the same everywhere:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    "text",
    [
        "training on CPU (2 cores)",
        "NVIDIA H100 80GB HBM3",
        "saved 2026-11-23",
        "read /home/reader/data",
        "an epoch took 12.5 s",
        "410 images/s",
        "3 cores",
    ],
)
def test_the_scan_catches_machine_text(text):
    assert machine_text(text)


@pytest.mark.parametrize(
    "text",
    ["Total params: 23,587,712", "✓ the residual nets train faster", "(None, 8, 8, 64)", "x_L = x_l + sum F"],
)
def test_the_scan_passes_ordinary_output(text):
    assert not machine_text(text)
