"""A first catalogue drafted from a plan's own tables and text, for a person to review.

:func:`draft_catalogue` reads what the plan states — the main indicator table, the annex
programmes, the districts of the annex tables, the plan years — and guesses what it cannot
read: an indicator's kind from the wording of its target, a district's type from its name,
and candidate targets in the prose from their wording (达到, 控制在, 以内, 年均增长, 累计, 约),
each with its sentence as the quote. Guesses carry ``review: true``; English texts are left to
the user (``reportkit validate`` lists the missing ones).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reportkit.vocab import ATTRIBUTE_ZH, DISTRICT_TYPES

# Wording of a target in the prose, in the order a sentence is searched.
TARGET_WORDS = ("年均增长", "控制在", "以内", "累计", "达到", "约")
NUMBER_UNIT = re.compile(r"([0-9０-９]+(?:[.．][0-9０-９]+)?)\s*([%％‰]|[^\s0-9０-９，。；、,.;:：（）()“”\"]{1,5})?")
SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
UNIT_TAIL = re.compile(r"(以内|以上|以下|左右|的|和|或|及|，).*$")


def district_type(name: str, is_city: bool = False) -> str:
    """A district's type (:data:`reportkit.vocab.DISTRICT_TYPES`) guessed from the end of its
    name: 高新区 / 经开区 / 新区 before 区, then 县 and 市."""
    if is_city:
        return DISTRICT_TYPES[0]
    # Functional zones before 区 (高新区 ends in 区 too); an unknown ending is drafted as a
    # district and, like every guess, marked for review.
    for suffix, kind in (("高新区", "development_zone"), ("高新技术产业开发区", "development_zone"),
                         ("经开区", "development_zone"), ("经济技术开发区", "development_zone"),
                         ("经济开发区", "development_zone"), ("开发区", "development_zone"),
                         ("新区", "development_zone"), ("区", "district"), ("县", "county"),
                         ("市", "county_city")):
        if name.endswith(suffix):
            return kind
    return "district"


def guess_kind(name: str, target_text: str, target: Any) -> str:
    """An indicator's kind from its wording: [ ] totals are cumulative, 以内/控制在 a ceiling …"""
    text = f"{name} {target_text}"
    if target is None or (isinstance(target, float) and target != target):
        return "qualitative"
    if target_text.strip().startswith(("[", "［")) or "累计" in text:
        return "cumulative"
    if any(w in text for w in ("以内", "控制在", "不超过", "≤", "以下")):
        return "ceiling"
    if any(w in text for w in ("不低于", "以上", "≥", "不少于")):
        return "floor"
    if any(w in text for w in ("增长", "增速")):
        return "growth"
    return "level"


def _title(lines: list[str], fallback: str) -> str:
    for line in lines[:80]:
        s = line.strip()
        if "规划" in s and not s.startswith("\t") and 4 <= len(s) <= 60 and not s.endswith(("。", "；")):
            return s
    return fallback


def _prose(lines: list[str]) -> list[str]:
    """The plan's running text: lines that are not table cells."""
    return [line.strip() for line in lines if line.strip() and not line.startswith("\t")]


def candidates(lines: list[str]) -> list[dict[str, Any]]:
    """Sentences of the prose that state a figure with target wording, each verbatim."""
    out, seen = [], set()
    for line in _prose(lines):
        for m in SENTENCE.finditer(line):
            sentence = m.group(0).strip()
            word = next((w for w in TARGET_WORDS if w in sentence), None)
            if word is None or sentence in seen:
                continue
            after = sentence[sentence.index(word):]
            num = NUMBER_UNIT.search(after) or NUMBER_UNIT.search(sentence)
            if num is None:
                continue
            seen.add(sentence)
            value = float(unicodedata.normalize("NFKC", num.group(1)))
            unit = UNIT_TAIL.sub("", num.group(2) or "")
            out.append({"quote": sentence.rstrip("。；;"), "wording": word,
                        "value": int(value) if value.is_integer() else value, "unit": unit,
                        "kind": guess_kind("", sentence, value), "review": True})
    return out


def _sentence_with(lines: list[str], name: str) -> str | None:
    for line in _prose(lines):
        for m in SENTENCE.finditer(line):
            if name in m.group(0):
                return m.group(0).strip().rstrip("。；;")
    return None


def draft_catalogue(tables: Any, document: str, fallback_title: str) -> dict[str, Any]:
    """The catalogue's data drafted from a plan (:class:`reportkit.inputs.plan.PlanTables`)."""
    lines = tables.text.split("\n")
    annex = tables.annex_targets
    main = tables.main_indicators
    years = sorted({int(y) for y in annex["year"]}) if len(annex) else []
    if not years and len(main) and main["target_year"].notna().any():
        last = int(main["target_year"].dropna().iloc[0])
        years = list(range(last - 4, last + 1))
    cities = annex[annex["is_city"]]["district"] if len(annex) else []
    city = str(cities.mode().iloc[0]) if len(cities) else fallback_title
    names: list[str] = [city]
    for name in (annex["district"] if len(annex) else []):
        if str(name) not in names:
            names.append(str(name))
    title = _title(lines, fallback_title)
    first, last = (years[0], years[-1]) if years else (0, 0)
    indicators: list[dict[str, Any]] = []
    linked: set[int] = set()
    titles = {int(a): str(t) for a, t in zip(annex["annex"], annex["title"], strict=True)} if len(annex) else {}
    units = {int(a): str(u) for a, u in zip(annex["annex"], annex["unit"], strict=True)} if len(annex) else {}
    for k, row in enumerate(main.itertuples(index=False), start=1):
        name, unit = str(row.name), str(row.unit or "")
        target = None if row.target is None or row.target != row.target else row.target
        entry: dict[str, Any] = {
            "id": f"main_{k}", "tier": "main", "name": {"zh": name}, "unit": {"zh": unit or "—"},
            "kind": guess_kind(name, str(row.target_text), target),
            "attribute": ATTRIBUTE_ZH.get(str(row.attribute), "anticipatory"), "main_row": name,
        }
        match = next((a for a, t in titles.items() if name and name in t and a not in linked), None)
        if match is not None:   # the annex holds this indicator's schedule by district and year
            linked.add(match)
            entry["annex"] = match
            if unit.startswith("万") and not units[match].startswith("万"):
                entry["main_scale"] = 10000
        if entry["kind"] == "qualitative":
            entry["target_text"] = {"zh": str(row.target_text)}
        entry["baseline"] = None
        entry["quote"] = _sentence_with(lines, name) or name
        entry["review"] = True
        indicators.append(entry)
    for number, atitle in titles.items():
        if number in linked:
            continue
        short = atitle.removeprefix(city).strip("“”\"")
        short = re.sub(r"^“?[^”]*”", "", short) or atitle   # drop the period (“十五五”)
        short = re.sub(r"(计划|规划)?(表|一览表)$", "", short) or atitle
        indicators.append({
            "id": f"annex_{number}", "tier": "annex", "name": {"zh": short}, "unit": {"zh": units[number] or "—"},
            "kind": "cumulative", "attribute": "anticipatory", "annex": number, "baseline": None,
            "quote": atitle, "review": True,
        })
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(document).stem).strip("-.")
    plan_id = slug if slug and slug[0].isalnum() and len(slug) <= 80 else f"plan-{first}-{last}"
    return {
        "schema_version": 1,
        "plan": {"id": plan_id, "name": {"zh": title}, "region": {"zh": city}, "city": city,
                 "baseline_year": first - 1, "first_year": first, "last_year": last,
                 "document": document, "commentary": "commentary"},
        "districts": [{"name": n, "type": district_type(n, n == city)} for n in names],
        "indicators": indicators,
        "candidates": candidates(lines),
    }


# ---- writing it, with the comments a reviewer needs ----------------------------------------
def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(str(value), ensure_ascii=False)   # a JSON string is a YAML double-quoted scalar


def _pair(value: dict[str, str]) -> str:
    return "{zh: " + _scalar(value["zh"]) + ", en: " + _scalar(value.get("en")) + "}"


def _entry(item: dict[str, Any], indent: str) -> Iterable[str]:
    first = True
    for key, value in item.items():
        lead = f"{indent}- " if first else f"{indent}  "
        first = False
        text = _pair(value) if isinstance(value, dict) and "zh" in value else _scalar(value)
        note = "    # English text to write" if isinstance(value, dict) and "zh" in value and not value.get("en") else ""
        yield f"{lead}{key}: {text}{note}"


def catalogue_yaml(data: dict[str, Any], header: str) -> str:
    """The drafted catalogue as commented YAML (every key of the schema, in the usual order)."""
    out = [header.rstrip(), "", "schema_version: 1", "", "plan:"]
    for key, value in data["plan"].items():
        text = _pair(value) if isinstance(value, dict) else _scalar(value)
        out.append(f"  {key}: {text}")
    out += ["", "districts:                # name exactly as the annex tables write it; type guessed from the name"]
    for d in data["districts"]:
        out.append("  - {name: " + _scalar(d["name"]) + ", en: null, type: " + d["type"] + "}")
    out += ["", "indicators:"]
    for item in data["indicators"]:
        out += list(_entry(item, "  "))
        out.append("")
    out += ["# Targets found in the plan's prose by their wording. Move the real ones into `indicators`",
            "# (with an id, names, unit, kind, attribute and `target`), delete the rest.",
            "candidates:" + (" []" if not data["candidates"] else "")]
    for item in data["candidates"]:
        out += list(_entry(item, "  "))
    return "\n".join(out) + "\n"

