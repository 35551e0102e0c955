"""Write each inline <script> once per page.

Sphinx 7 (the series Jupyter Book 1 requires) writes an inline script that an extension adds
after the builder starts twice (sphinx-doc/sphinx#13402, fixed in Sphinx 8.2); sphinx-thebe's
`const THEBE_JS_URL = ...` then throws "Identifier 'THEBE_JS_URL' has already been declared"
on every page.
"""


def _drop_repeats(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeats)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
