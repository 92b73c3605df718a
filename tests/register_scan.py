"""The register scan of issue 13: what a reader of a filed report must never see, per language.

Each check takes plain text and returns what it found (an empty list when the text is clean), so
the same checks run on the site's pages, the PDF's text and the Word file's text, and a unit test
can prove each one fails on a small bad string. What may legitimately appear in the other
language's script is derived from the plan's data (:func:`allowances`), never typed here.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import reportkit
from reportkit.i18n import t
from reportkit.report.formatting import is_count

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*")

# code identifiers: snake_case, the engine's fields and English words the code uses as keys
# (boundaries by ASCII: Chinese characters count as word characters for \b)
_B, _E = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
CODE = re.compile(_B + r"[a-z]+_[a-z0-9_]+" + _E)
ZH_CODE_WORDS = re.compile(_B + r"(?:values_from|as_of|total|replaces|true|false|True|False)" + _E)
SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d")                      # 2.706e+04
RAW_FRACTION = re.compile(r"(?<![\d.,])\d+\.\d{4,}(?![\d.])")             # 0.7207, 1.0775: unrounded
NOT_A_NUMBER = re.compile(r"(?<![A-Za-z])(?:nan|NaN|NAN|inf|Infinity|NaT|None(?!\s+(?:of|is|was|has|have)\b))"
                          r"(?![A-Za-z])|<NA>")
# half-width punctuation between Chinese characters (，not ,)
HALF_WIDTH = re.compile(f"(?<=[{CJK}])\\s*[,;:!?()]\\s*(?=[{CJK}])")
# ... and after a Chinese word before a number or a Latin word ("综合绩效得分: 0.77" → 得分：0.77,
# "无计划 (10)" → 无计划（10）)
HALF_AFTER = re.compile(f"(?<=[{CJK}）])[,;:!?](?=\\s|\\d)|(?<=[{CJK}])\\s*\\((?=\\d)")
# file names (downloads, data files): their words are not prose
# file names and paths, and places in the evaluators' workbooks ("form.xlsx: 附件4 …!F7"): their
# words are the files' own, not prose
FILE_NAME = re.compile(r"[\w./<>-]+\.(?:pdf|docx|xlsx|csv|txt|yml|yaml|md|zip|ipynb)\b"
                       r"(?:\s*[:：]\s*[^!\n]{0,60}?![A-Z]{1,3}\d+)?", re.I)
# long hexadecimal fingerprints (SHA-256): not numbers
HEX = re.compile(r"\b[0-9a-f]{16,}\b")
# formats and tools a reader is pointed to by name (the downloads), the same in every language
FORMATS = frozenset({"PDF", "Excel", "Word", "CSV", "WPS", "XLSX", "xlsx", "docx", "A4", "UTF-8", "SHA-256"})


@dataclass
class Allowances:
    """What may appear in the other language's script, derived from a plan's data."""

    latin_in_zh: set[str] = field(default_factory=set)     # Latin words the zh texts of the data use
    cjk_in_en: set[str] = field(default_factory=set)       # names the data give only in Chinese
    count_units: dict[str, set[str]] = field(default_factory=dict)   # lang → units of counts


def _latin_words(text: str) -> set[str]:
    return set(LATIN_WORD.findall(str(text or "")))


READER_GROUPS = ("report.", "status.", "method.", "pdf.", "docx.", "theme.")


def _shared_latin() -> set[str]:
    """Latin words that a reader-facing text's zh and en versions both use: names given in both
    languages (Open SDG, SHA-256) and the method's symbols (E, T, R; ln, max as functions:
    "ln(" in the formula). Lower-case words are English, not names, and never pass."""
    from reportkit.i18n import catalogue

    zh, en = catalogue("zh"), catalogue("en")
    shared: set[str] = set()
    functions: set[str] = set()
    for key, text in zh.items():
        if key.startswith(READER_GROUPS) and key in en:
            for w in _latin_words(text) & _latin_words(en[key]):
                if w.islower() and re.search(re.escape(w) + r"\(", text):   # a formula's function: ln(x)
                    functions.add(w)
                elif len(w) == 1 or not w.islower():
                    shared.add(w)
    names = {w for w in shared if not CODE.fullmatch(w) and not ZH_CODE_WORDS.fullmatch(w) and w not in _codes()}
    return names | functions   # "max(" in a formula is the function, whatever codes share the name


def _codes() -> set[str]:
    """Every code of the vocabulary (stages, statuses, kinds…): codes, never names."""
    from reportkit import vocab

    out: set[str] = set()
    for value in vars(vocab).values():
        if isinstance(value, tuple | list | set | frozenset | dict):
            out |= {str(x) for x in value if isinstance(x, str)}
    return out


def allowances(plan, given_in_chinese: Iterable[str] = ()) -> Allowances:
    """The allow-lists of one plan (a loaded :class:`reportkit.inputs.catalogue.Plan`).

    zh pages may show Latin words that the plan's own Chinese texts use (units such as m², the
    plan id, names written in Latin letters in the catalogue's zh fields) and the download
    formats. en pages may show Chinese only for names the catalogue gives in Chinese alone (a
    district or task without an English name, free text the evaluators wrote in Chinese only:
    ``given_in_chinese``)."""
    allow = Allowances()
    allow.latin_in_zh |= set(FORMATS) | _latin_words(plan.id.replace("-", " ")) | _shared_latin()
    allow.latin_in_zh.add(reportkit.__name__)   # the tool named in the provenance annex
    # the input files' names and folders (the provenance annex lists them; the PDF may break a
    # long path across lines, so its words are allowed one by one)
    for path in (getattr(plan, "document", None), getattr(plan, "source", None)):
        if path:
            allow.latin_in_zh |= set(re.split(r"[-/\\._\s]+", str(path))) - {""}
    # the languages' own names on the links to each edition (中文 · English)
    allow.latin_in_zh |= _latin_words(t("report.switch_to", "en"))
    allow.cjk_in_en.add(t("report.switch_to", "zh"))
    zh_texts = [plan.name.get("zh", ""), plan.region.get("zh", "")] if isinstance(plan.name, dict) else []
    for ind in plan.indicators:
        zh_texts += [ind.label("zh"), ind.unit.get("zh", "")]
    for text in zh_texts:
        allow.latin_in_zh |= _latin_words(text)
    # English names given for districts; what has none is given only in Chinese
    for d in plan.districts:
        en = plan.district_label(d, "en") if hasattr(plan, "district_label") else ""
        if not en or CJK_RUN.search(en):
            allow.cjk_in_en.add(d)
    if plan.tasks is not None:   # tasks the catalogue gives no English title: the plan's own shown
        for zh, en in zip(plan.tasks["title_zh"], plan.tasks["title_en"], strict=True):
            if not en or CJK_RUN.search(str(en)):
                allow.cjk_in_en.add(str(zh))
    allow.cjk_in_en |= {str(x) for x in given_in_chinese if CJK_RUN.search(str(x))}
    for ind in plan.indicators:
        if CJK_RUN.search(ind.label("en")):
            allow.cjk_in_en |= set(CJK_RUN.findall(ind.label("en")))
    allow.count_units = {"zh": set(), "en": set()}
    for ind in plan.indicators:
        if is_count(ind.unit.get("zh", "")):
            allow.count_units["zh"].add(ind.unit["zh"])
            allow.count_units["en"].add(ind.unit["en"])
    return allow


def fractional_counts(text: str, lang: str, allow: Allowances) -> list[str]:
    """Counts written with decimals: 55,279.5户 / 5,731.5 households (units); 户/年 rates are not counts."""
    found = re.findall(r"\d\.\d+\s*(?:户|套|间|笔|栋)(?![/每])", text) if lang == "zh" else []
    for unit in allow.count_units.get(lang, ()):
        if lang == "en" and unit:
            found += re.findall(r"\d\.\d+\s*\(?" + re.escape(unit) + r"(?!\s*(?:per|a|/)\b)", text)
    return found


def scan(text: str, lang: str, allow: Allowances) -> list[str]:
    """Everything in ``text`` a reader of the ``lang`` edition must not see, as short excerpts."""
    found: list[str] = []
    plain = HEX.sub(" ", FILE_NAME.sub(" ", text))
    if lang == "zh":
        found += [f"code: {m}" for m in CODE.findall(plain)]
        found += [f"code: {m}" for m in ZH_CODE_WORDS.findall(plain)]
        found += [f"latin: {w}" for w in LATIN_WORD.findall(plain) if not _allowed_latin(w, allow)]
        found += [f"half-width: {plain[max(0, m.start() - 4):m.end() + 4]!r}"
                  for pattern in (HALF_WIDTH, HALF_AFTER) for m in pattern.finditer(plain)]
    else:
        found += [f"cjk: {r}" for r in CJK_RUN.findall(plain) if not _allowed_cjk(r, allow)]
    found += [f"scientific: {m}" for m in SCIENTIFIC.findall(plain)]
    found += [f"raw fraction: {m}" for m in RAW_FRACTION.findall(plain)]
    found += [f"not a number: {m}" for m in NOT_A_NUMBER.findall(plain)]
    found += [f"fractional count: {m}" for m in fractional_counts(plain, lang, allow)]
    return found


def _allowed_latin(word: str, allow: Allowances) -> bool:
    """A Latin word the data allow on a zh page (a hyphenated one when each part is allowed:
    a file name the PDF broke across lines)."""
    if word in allow.latin_in_zh or _unit_letters(word):
        return True
    parts = re.split(r"[-'’]", word)
    return len(parts) > 1 and all(p in allow.latin_in_zh for p in parts)


def _unit_letters(word: str) -> bool:
    """SI unit symbols (m, km, m² written m2 by text extraction): not words."""
    return word in {"m", "km", "m2", "m3", "kg", "t"}


def _allowed_cjk(run: str, allow: Allowances) -> bool:
    return any(run in name for name in allow.cjk_in_en)


# ---- text of each format --------------------------------------------------------------------
SKIP_PAGES = ("search.html", "genindex.html")


def page_texts(html_dir: Path) -> Iterator[tuple[str, str]]:
    """(file name, article text) of each page of one edition; code cells and scripts left out."""
    from bs4 import BeautifulSoup

    for path in sorted(html_dir.glob("*.html")):
        if path.name in SKIP_PAGES:
            continue
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        article = soup.select_one("article.bd-article") or soup.body or soup
        for el in article.select("script, style, code"):
            el.decompose()
        # attributes a reader sees too: tooltips and the cell labels of narrow screens
        titles = " ".join(str(el.get("title", "")) for el in article.select("[title]"))
        yield path.name, article.get_text(" ") + " " + titles


def pdf_text(path: Path) -> str:
    """The PDF's text as pdftotext lays it out."""
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def docx_text(path: Path) -> str:
    """The Word file's text: its paragraphs and every table cell."""
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    for section in doc.sections:
        parts += [p.text for p in section.footer.paragraphs] + [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


def texts_of_build(root: Path, lang: str) -> Iterable[tuple[str, str]]:
    """(where, text) for one edition of a build: every page, the PDF, the Word file."""
    yield from ((f"html/{lang}/{name}", text) for name, text in page_texts(root / "html" / lang))
    for pdf in sorted((root / "pdf").glob(f"*-{lang}.pdf")):
        yield f"pdf/{pdf.name}", pdf_text(pdf)
    for doc in sorted((root / "docx").glob(f"*-{lang}.docx")):
        yield f"docx/{doc.name}", docx_text(doc)
