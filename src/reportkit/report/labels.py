"""Identifiers readers' pages share across languages (figure and section ids)."""

from __future__ import annotations

import hashlib
from typing import Any


def figure_id(*parts: Any) -> str:
    """A deterministic, language-independent figure id from ASCII parts."""
    text = "-".join(str(p) for p in parts)
    safe = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "_" for c in text)
    if safe != text:  # non-ASCII parts (a district name): keep ids unique with a short hash
        safe += "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return safe
