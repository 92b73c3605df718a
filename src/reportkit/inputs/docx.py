"""A plan's Word file (.docx) read into the text-export format that :mod:`reportkit.inputs.plan` parses.

Only the standard library is used: a .docx is a zip holding ``word/document.xml``. The body is
walked in order; a paragraph becomes one line, a table becomes the export's cell lines (each
cell a line that starts with a tab, rows separated by blank lines). So a Word file and the text
export of the same plan go through one parser and give the same tables.

Word facts handled here:

* merged cells — a cell spanning columns (``gridSpan``) is followed by empty cells, so every
  row keeps the table's column positions; a cell continuing a vertical merge (``vMerge``) is
  empty, as in the text export;
* a cell of several paragraphs is one cell (its paragraphs joined), as the export joins a
  header cell written on two lines;
* content controls (``sdt``) and tracked insertions are read through; deleted text is not;
* numbers are left as written (thousands separators, full-width digits, blank cells are the
  parser's business: :func:`reportkit.inputs.plan.parse_number`).
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree as ET

from reportkit.errors import Location, Problem, ReportkitError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_XML_BYTES = 64 * 1024 * 1024   # document.xml of a long plan is a few MB; more is not a plan


def _fail(file: str, reason: str) -> ReportkitError:
    return ReportkitError(Problem("plan_bad_docx", Location(file), {"reason": reason}))


def _document(data: bytes, file: str) -> ET.Element:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            try:
                info = zf.getinfo("word/document.xml")
            except KeyError:
                raise _fail(file, "no word/document.xml (not a Word document)") from None
            if info.file_size > MAX_XML_BYTES:
                raise _fail(file, f"word/document.xml is {info.file_size} bytes")
            xml = zf.read(info)
    except zipfile.BadZipFile as exc:
        raise _fail(file, str(exc)) from None
    if b"<!DOCTYPE" in xml[:4096] or b"<!ENTITY" in xml:   # Word never writes these; entity bombs do
        raise _fail(file, "document.xml declares entities")
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise _fail(file, f"document.xml: {exc}") from None


def _text(node: ET.Element, cell: bool) -> str:
    """The visible text of a paragraph (runs, tabs, breaks), in document order."""
    out: list[str] = []
    for el in node.iter():
        tag = el.tag
        if tag == f"{W}t":
            out.append(el.text or "")
        elif tag in (f"{W}tab", f"{W}ptab"):
            out.append(" ")   # a tab inside text must not look like the start of a cell
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("" if cell else "\n")
        elif tag == f"{W}noBreakHyphen":
            out.append("-")
    return "".join(out)


def _blocks(parent: ET.Element):
    """Paragraphs and tables of a body or cell, in order, through content controls."""
    for child in parent:
        if child.tag in (f"{W}p", f"{W}tbl"):
            yield child
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _blocks(content)


def _cell_text(tc: ET.Element) -> str:
    parts = []
    for block in _blocks(tc):
        if block.tag == f"{W}p":
            parts.append(_text(block, cell=True))
        else:   # a table inside a cell: its cells' text, in order
            parts += [_cell_text(inner) for inner in block.iter(f"{W}tc")]
    return "".join(parts).replace("\t", " ").replace("\n", "")


def _rows(tbl: ET.Element) -> list[list[str]]:
    """The rows of this table (a nested table's rows are part of its cell's text)."""
    rows = []
    for tr in (child for child in tbl if child.tag == f"{W}tr"):
        cells: list[str] = []
        for tc in _row_cells(tr):
            props = tc.find(f"{W}tcPr")
            span, continued = 1, False
            if props is not None:
                gs = props.find(f"{W}gridSpan")
                if gs is not None:
                    try:
                        span = max(1, min(64, int(gs.get(f"{W}val", "1"))))
                    except ValueError:
                        span = 1
                vm = props.find(f"{W}vMerge")
                continued = vm is not None and vm.get(f"{W}val", "continue") != "restart"
            cells.append("" if continued else _cell_text(tc))
            cells += [""] * (span - 1)
        rows.append(cells)
    return rows


def _row_cells(tr: ET.Element):
    for child in tr:
        if child.tag == f"{W}tc":
            yield child
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from (c for c in content if c.tag == f"{W}tc")


def docx_text(data: bytes, file: str) -> str:
    """The plan's text in the export format: paragraphs as lines, table cells as tab-led lines."""
    root = _document(data, file)
    body = root.find(f"{W}body")
    if body is None:
        raise _fail(file, "no document body")
    lines: list[str] = []
    for block in _blocks(body):
        if block.tag == f"{W}p":
            lines += _text(block, cell=False).split("\n")
            continue
        lines.append("")   # a table starts on a fresh row
        for cells in _rows(block):
            lines += [f"\t{c}" for c in cells]
            lines.append("")
    return "\n".join(lines) + "\n"

