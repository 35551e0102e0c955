"""Checks of the book itself: table of contents, bootstrap, stored outputs, form."""

import ast
import json
import re

import nbformat
import pytest
from conftest import BOOK, NOTEBOOKS, REPOSITORY, ROOT, code_cells
from notebook_form import bootstrap_source, canonical, repository_ref


def ignored(cell):
    return "nbval-ignore-output" in cell.metadata.get("tags", [])


def test_every_notebook_is_in_the_table_of_contents_and_back():
    toc = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    listed = {entry for entry in toc if (ROOT / f"{entry}.ipynb").exists()}
    assert listed == {f"book/{path.stem}" for path in NOTEBOOKS}
    for entry in toc:
        assert (ROOT / f"{entry}.ipynb").exists() or (ROOT / f"{entry}.md").exists(), entry
    assert NOTEBOOKS, "the book has no chapters"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cell_is_the_colab_bootstrap_at_the_configured_ref(path):
    first = code_cells(path)[0]
    assert first.source == bootstrap_source(REPOSITORY, repository_ref()), "scripts/release.py writes it"
    assert REPOSITORY in first.source and not first.outputs
    assert first.metadata.get("tags") == ["hide-input"], "the site folds the bootstrap away"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_second_cell_imports_lib_and_sets_up(path):
    second = code_cells(path)[1]
    assert "import lib" in second.source and "lib.setup(" in second.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_come_from_a_clean_full_run(path):
    cells = code_cells(path)
    setup_text = "".join(o.get("text", "") for o in cells[1].outputs)
    assert setup_text.startswith("profile full |"), "store outputs from a full-profile run (make outputs)"
    for index, cell in enumerate(cells):
        for output in cell.outputs:
            assert output.output_type != "error", f"cell {index} stored an error"
            text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
            if output.output_type == "execute_result":
                assert not re.search(r"<Figure size| at 0x[0-9a-f]+>", text), (
                    f"cell {index}: end plot cells with plt.show()"
                )
            assert not re.search(r"(/work/|/home/|/root/|/tmp/|/content/)", text), f"cell {index}: a machine's path"
            if not ignored(cell):
                assert not (output.output_type == "stream" and output.name == "stderr"), f"cell {index}: stderr"
                assert "image/svg+xml" not in output.get("data", {}), f"cell {index}: SVG is compared by nbval"
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_in_canonical_form(path):
    assert path.read_text() == canonical(nbformat.read(path, as_version=4)), "run scripts/execute_notebooks.py"
    assert json.loads(path.read_text())["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_lambda_layers_or_backend_calls(path):
    source = "\n".join(cell.source for cell in code_cells(path))
    assert "layers.Lambda" not in source and "keras.backend" not in source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbval_markers_are_cell_tags_not_comments_a_reader_sees(path):
    for index, cell in enumerate(code_cells(path)):
        assert "NBVAL" not in cell.source, f"code cell {index}: use the cell tag nbval-ignore-output"


def defined_names(path):
    """The names a module of lib defines at its top level: functions, classes, constants, imports."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_lib_name_a_notebook_uses_is_where_it_says(path):
    """``lib.MODULE.NAME`` in any cell names something MODULE defines (a net moved to lib.writeups, say)."""
    modules = {module.stem: module for module in (BOOK / "lib").glob("*.py")}
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        for module, name in re.findall(r"\blib\.(\w+)\.(\w+)", cell.source):
            if module in modules:
                assert name in defined_names(modules[module]), f"cell {index}: lib.{module} has no {name}"
