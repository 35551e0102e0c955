"""README's Layout names every module of lib and every script, and lib's docstring every module: neither goes stale."""

import ast
import re

import pytest
from conftest import BOOK, ROOT

LIB_MODULES = sorted(path.name for path in (BOOK / "lib").glob("*.py") if path.name != "__init__.py")
SCRIPTS = sorted(path.name for path in (ROOT / "scripts").iterdir() if path.is_file())


def layout():
    """README's section ``## Layout``, up to the next section."""
    section = re.search(r"^## Layout\n(.*?)(?=^## )", (ROOT / "README.md").read_text(), re.M | re.S)
    assert section, "README.md has no '## Layout' section"
    return section.group(1)


def test_there_is_something_to_name():
    assert "models.py" in LIB_MODULES and "notebook_form.py" in SCRIPTS


@pytest.mark.parametrize("name", LIB_MODULES + SCRIPTS)
def test_readme_layout_names_every_lib_module_and_script(name):
    assert re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", layout()), f"README's Layout does not name {name}"


@pytest.mark.parametrize("name", LIB_MODULES)
def test_libs_own_docstring_lists_every_module(name):
    docstring = ast.get_docstring(ast.parse((BOOK / "lib" / "__init__.py").read_text()))
    assert f"``lib.{name.removesuffix('.py')}``" in docstring, f"lib/__init__.py's docstring does not list {name}"
