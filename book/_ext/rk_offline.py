"""Sphinx extension: keep the report's pages offline and quiet.

Jupyter Book 1 always loads sphinx-thebe, which puts a CDN address (unpkg) and a Binder
configuration into every page, and registers its inline script twice (a SyntaxError in the
browser console). The report runs no live code, so thebe's files and blocks are removed from
the pages here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

THEBE_CONFIG = re.compile(r'\s*<script type="text/x-thebe-config">.*?</script>', re.S)


def _is_thebe(asset: Any) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", "")) if hasattr(asset, "attributes") else ""
    return "thebe" in name.lower() or "THEBE" in body


def _strip(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_thebe(a)]
    if "body" in context:
        context["body"] = THEBE_CONFIG.sub("", context["body"])


# Theme template files that the themes copy into _static but no page uses (their placeholders
# are unfilled): not published.
LEFTOVERS = ("webpack-macros.html", "sbt-webpack-macros.html")


def _prune(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    for name in LEFTOVERS:
        for path in static.rglob(name):
            path.unlink()


def _theme_catalogues(app) -> None:
    """The theme interface's texts in the page language (``locales/<lang>/LC_MESSAGES/*.po``,
    written by reportkit from its ``theme`` locale group), added behind the themes' own
    catalogues: they answer only what the themes leave untranslated. Sphinx itself compiles
    only the ``sphinx`` domain of ``locale_dirs``; the book theme's ``booktheme`` is done here."""
    from sphinx.locale import init
    from sphinx.util.i18n import CatalogRepository

    language = app.config.language
    repo = CatalogRepository(app.srcdir, app.config.locale_dirs, language, app.config.source_encoding)
    for catalog in repo.catalogs:
        if catalog.is_outdated():
            catalog.write_mo(language)
        init(list(repo.locale_dirs), language, catalog.domain)


def setup(app) -> dict[str, Any]:
    app.connect("html-page-context", _strip, priority=900)
    app.connect("builder-inited", _theme_catalogues)
    app.connect("build-finished", _prune)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
