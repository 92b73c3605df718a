"""Sphinx extension: keep the report's pages offline and quiet.

Jupyter Book 1 always loads sphinx-thebe, which puts a CDN address (unpkg) and a Binder
configuration into every page, and registers its inline script twice (a SyntaxError in the
browser console). The report runs no live code, so thebe's files and blocks are removed from
the pages here.
"""

from __future__ import annotations

import re
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


def setup(app) -> dict[str, Any]:
    app.connect("html-page-context", _strip, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
