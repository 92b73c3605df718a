"""Translations: one catalogue per language, keys ``group.key`` (group = file name).

Labels for plan content (indicator and district names) live in the plan's catalogue; this
module holds every other string readers see. A missing key is an error, never a fallback.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from reportkit.config import LOCALES_DIR
from reportkit.vocab import LANGS


class MissingTranslation(KeyError):
    """A label has no text in the requested language."""


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = str(node)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All labels of one language, flattened to ``group.key`` → text."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    out: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        _flatten(path.stem, data, out)
    return out


def t(key: str, lang: str, **params: Any) -> str:
    """The text of ``key`` in ``lang``, formatted with ``params`` (str.format syntax)."""
    try:
        text = catalogue(lang)[key]
    except KeyError:
        raise MissingTranslation(f"no {lang} text for {key!r}") from None
    return text.format(**params) if params else text


def has(key: str, lang: str) -> bool:
    """Whether ``key`` has a text in ``lang``."""
    return key in catalogue(lang)
