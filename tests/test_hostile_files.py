"""Hostile actuals files: a clear located error within bounded memory (time is reported), and fuzzing.

tests/test_actuals.py already covers the small fixtures (a billion-laughs sheet, a zip that is
not a workbook, a file that is not a zip, a NUL byte on line 2, 5,000 columns, size limits with
lowered constants). Here the real-size attacks are measured: each file is read in a forked
child of one probe process, which reports wall time and peak RSS growth (resource.getrusage),
so one case's memory does not hide another's. Then hypothesis fuzzes both readers (CSV and
xlsx, by cell and by byte) with a small synthetic plan: no exception escapes, every problem
names the file and a place in it, and renders in both languages.
"""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from reportkit.inputs import actuals, catalogue, synthetic, workbook
from reportkit.inputs import form as template
from reportkit.inputs import plan as plan_mod
from reportkit.inputs.actuals import read_actuals

MAX_RSS_MB = 300              # peak growth per file (the readers' own limits: 20 MB in, 200 MB unpacked)
LOL = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
       + "".join(f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">' for k in range(1, 10))
       + "]>")


# ---- building hostile files -----------------------------------------------------------------
def _template(plan) -> bytes:
    return template.workbook_bytes(template.build_workbook(plan, titles={}))


def _replace_member(data: bytes, name: str, new: bytes | None, extra: dict[str, bytes] | None = None) -> bytes:
    """The workbook ``data`` with one member replaced (or removed with None) and members added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == name:
                if new is not None:
                    zout.writestr(info.filename, new)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
        for k, v in (extra or {}).items():
            zout.writestr(k, v)
    return out.getvalue()


def _sheet_with_entity(data: bytes, member: str) -> bytes:
    """Prefix one XML part with a billion-laughs DTD and use the entity in it."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(member).decode("utf-8")
    body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    return _replace_member(data, member, (LOL + body.replace("</", "&lol9;</", 1)).encode())


def _zip_bomb(path: Path, declared_small: bool) -> None:
    """A workbook whose sheet inflates to 270 MB (from ~0.3 MB); optionally lying about its size."""
    name = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
        with z.open(name, "w", force_zip64=False) as fh:
            fh.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            chunk = b"<row/>" * (1 << 20)
            for _ in range(43):   # 270 MB, over workbook.MAX_UNZIPPED
                fh.write(chunk)
            fh.write(b"</sheetData></worksheet>")
    if declared_small:   # the local header (offset 22) and central record (offset 24) say 1,000 bytes
        raw = bytearray(path.read_bytes())
        local = raw.rindex(b"PK\x03\x04", 0, raw.index(name.encode()) + 1)
        raw[local + 22: local + 26] = struct.pack("<I", 1000)
        central = raw.rindex(b"PK\x01\x02", 0, raw.rindex(name.encode()) + 1)
        raw[central + 24: central + 28] = struct.pack("<I", 1000)
        path.write_bytes(bytes(raw))


def _deep_xml(depth: int) -> bytes:
    return (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>" + b"<x>" * depth + b"</x>" * depth + b"</sheetData></worksheet>")


def _cases(plan, tmp: Path) -> dict[str, Path]:
    """name → hostile file (written under tmp)."""
    tpl = _template(plan)
    with zipfile.ZipFile(io.BytesIO(tpl)) as z:
        sheets = sorted(n for n in z.namelist() if n.startswith("xl/worksheets/"))
        has_shared = "xl/sharedStrings.xml" in z.namelist()
    files: dict[str, bytes] = {
        "laughs-sheet.xlsx": _sheet_with_entity(tpl, sheets[1]),
        "laughs-workbook.xlsx": _sheet_with_entity(tpl, "xl/workbook.xml"),
        "laughs-content-types.xlsx": _sheet_with_entity(tpl, "[Content_Types].xml"),
        "xxe-sheet.xlsx": _replace_member(tpl, sheets[1], (
            b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row></sheetData></worksheet>')),
        "deep-sheet.xlsx": _replace_member(tpl, sheets[1], _deep_xml(200_000)),
        "deep-workbook.xlsx": _replace_member(tpl, "xl/workbook.xml", _deep_xml(200_000)),
        "tall-sheet.xlsx": _replace_member(tpl, sheets[1], (
            b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>district</t></is></c></row>'
            b'<row r="20001"><c r="A20001"><v>1</v></c></row>'
            b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')),
        "zip-traversal.xlsx": _replace_member(tpl, "xl/workbook.xml", None,
                                              {"../../../../tmp/reportkit-evil.txt": b"x", "xl/workbook.xml": b"<w"}),
        "docx-renamed.xlsx": _replace_member(tpl, "xl/workbook.xml", None, {"word/document.xml": b"<w/>"}),
        "truncated.xlsx": tpl[: len(tpl) // 2],
        "zip-named.csv": _replace_member(tpl, "xl/workbook.xml", None, {"word/document.xml": b"<w/>"}),
        "empty.xlsx": b"",
    }
    if has_shared:
        files["laughs-shared-strings.xlsx"] = _sheet_with_entity(tpl, "xl/sharedStrings.xml")
    out = {}
    for name, data in files.items():
        (tmp / name).write_bytes(data)
        out[name] = tmp / name
    for name, lying in (("bomb.xlsx", False), ("bomb-lying.xlsx", True)):
        _zip_bomb(tmp / name, lying)
        out[name] = tmp / name
    big = tmp / "oversized.xlsx"
    with big.open("wb") as fh:
        fh.truncate(workbook.MAX_BYTES + 1)
    out["oversized.xlsx"] = big
    head = "indicator,district,year,value,source\n"
    row = "programme_1,青山市,2026,1,x\n"
    csvs = {
        "million-columns-header.csv": ",".join(["value"] * 1_000_000) + "\n",
        "million-columns-row.csv": head + "x," * 999_999 + "x\n",
        "nul-deep.csv": head + row * 15_000 + "programme_1,青山市,2026,1\0,x\n",
        "too-many-rows.csv": head + row * 20_001,
        "huge-field.csv": head + 'programme_1,青山市,2026,"' + "9" * 5_000_000 + '",x\n',
        "unclosed-quote.csv": head + 'programme_1,青山市,2026,"1,x\n' + row * 1000,
        "lone-cr.csv": head.replace("\n", "\r") + row.replace("\n", "\r") * 5000,
    }
    for name, text in csvs.items():
        (tmp / name).write_text(text, encoding="utf-8")
        out[name] = tmp / name
    return out


# ---- the probe: one process, one forked child per file -----------------------------------------
PROBE = r"""
import json, os, resource, sys, time
from reportkit.inputs import catalogue, plan as plan_mod
from reportkit.inputs.actuals import read_actuals
plan_path, cat_path, files = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
plan = catalogue.load(cat_path, plan_mod.extract(plan_path))
read_actuals(files[0], plan)          # warm up imports (openpyxl, defusedxml) in the parent
for path in files:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.monotonic()
        try:
            res = read_actuals(path, plan)
            out = {"problems": [[p.key, p.location.render("en") if p.location else None,
                                 p.message("zh"), p.message("en")] for p in res.problems],
                   "rows": len(res.table)}
        except BaseException as exc:
            out = {"escaped": f"{type(exc).__name__}: {exc}"[:300]}
        out["seconds"] = time.monotonic() - start
        out["rss_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
        os.write(w, json.dumps(out).encode())
        os.close(w)
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    res = json.loads(b"".join(chunks) or b'{"escaped": "child died"}')
    res["status"] = status
    print(json.dumps({"file": os.path.basename(path), **res}), flush=True)
"""

def _openpyxl_uses_lxml() -> bool:
    from openpyxl.xml import LXML

    return bool(LXML)


EXPECTED = {   # file → the problem key it must give (first problem)
    "laughs-sheet.xlsx": "xml_entities", "laughs-workbook.xlsx": "xml_entities",
    "laughs-content-types.xlsx": "xml_entities", "laughs-shared-strings.xlsx": "xml_entities",
    "xxe-sheet.xlsx": "xml_entities", "deep-sheet.xlsx": None,
    # 200,000 nested elements: lxml (openpyxl uses it when installed; python-docx brings it) stops
    # at its depth limit, the standard library's parser reads on and finds no form in it
    "deep-workbook.xlsx": "not_workbook" if _openpyxl_uses_lxml() else "not_template",
    "tall-sheet.xlsx": "too_large_sheet", "zip-traversal.xlsx": "not_workbook", "docx-renamed.xlsx": "not_workbook",
    "truncated.xlsx": "not_workbook", "zip-named.csv": "not_workbook", "empty.xlsx": "not_workbook",
    "bomb.xlsx": "too_large", "bomb-lying.xlsx": "not_workbook", "oversized.xlsx": "too_large",
    "million-columns-header.csv": "too_many_columns", "million-columns-row.csv": "too_many_columns",
    "nul-deep.csv": "csv_nul", "too-many-rows.csv": "too_many_rows", "huge-field.csv": "csv_syntax",
    "unclosed-quote.csv": "not_a_number", "lone-cr.csv": None,
}
LOCATED = {"million-columns-row.csv": "line 2", "nul-deep.csv": "line 15002", "too-many-rows.csv": "line 20001",
           "million-columns-header.csv": "line 1", "tall-sheet.xlsx": ": "}


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan")
    plan_path, cat_path = synthetic.write_plan(folder, districts=2, annexes=1)
    return plan_path, cat_path, catalogue.load(cat_path, plan_mod.extract(plan_path))


def test_hostile_files_fail_clearly_in_bounded_memory(small_plan, tmp_path, hostile, record_property):
    plan_path, cat_path, plan = small_plan
    files = _cases(plan, tmp_path)
    proc = subprocess.run([sys.executable, "-c", PROBE, str(plan_path), str(cat_path),
                           json.dumps([str(p) for p in files.values()])],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {r["file"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert set(results) == set(files)
    report = []
    for name, r in results.items():
        hostile["hostile files"] = hostile.get("hostile files", 0) + 1
        report.append(f"{name}: {r['seconds']:.2f}s +{r['rss_mb']:.0f}MB")
        assert r["status"] == 0 and "escaped" not in r, (name, r)
        # memory is bounded here; time is measured and reported (no wall-clock bound in tests:
        # a busy machine would fail it), and `make bench` records it
        assert r["rss_mb"] < MAX_RSS_MB, (name, r)
        want = EXPECTED[name]
        if want is None:   # junk that the reader rightly ignores (nested tags, lone CR line ends)
            continue
        assert r["problems"] and r["problems"][0][0] == want, (name, r["problems"][:2])
        for _key, where, zh, en in r["problems"]:
            assert where and where.startswith(name), (name, where)
            assert zh.startswith("错误") and en.startswith("Error") and zh != en
            assert "Traceback" not in en and "root:x:0:0" not in en + zh   # no /etc/passwd
        if name in LOCATED:
            assert LOCATED[name] in r["problems"][0][1], (name, r["problems"][0])
    assert not Path("/tmp/reportkit-evil.txt").exists()
    record_property("hostile_file_costs", "; ".join(sorted(report)))
    print("\n".join(sorted(report)))


# ---- fuzzing both readers ---------------------------------------------------------------------
def _check(result, file: str) -> None:
    """No traceback got here; every problem names the file and a place, in both languages."""
    assert list(result.table.columns) == actuals.TIDY_COLUMNS
    for p in result.problems + result.warnings:
        loc = p.location
        assert loc is not None and loc.file in (file,) or (loc and Path(loc.file).name == file), p
        assert loc.sheet or loc.cell or loc.line or loc.row or p.key in actuals.FATAL | {"file_missing"}, p
        zh, en = p.message("zh"), p.message("en")
        assert zh and en and zh != en
    vals = result.table["value"]
    assert not (vals.notna() & (vals < 0)).any()          # a negative value is never accepted
    assert all(math.isnan(v) or math.isfinite(v) for v in vals)


KEYS = ["indicator", "district", "year", "value", "source", "status", "note", "replaces"]
FIELD = st.one_of(
    st.sampled_from(["programme_1", "floor_area", "housing_supply", "青山市", "第1区", "2026", "2027年", "２０２８",
                     "1,234", "-5", "1e308", "1e999", "nan", "inf", "45%", "0.5‰", "约700", "=1+1", "@x",
                     "final", "初步", "met", "line 2", "'", '"', "\u3000", "", "0x10", "１２３", "Ⅻ"]),
    st.text(max_size=12),
)


@settings(max_examples=550, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(KEYS + ["", "Value", "x"]), min_size=0, max_size=9),
       rows=st.lists(st.lists(FIELD, max_size=9), max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
       newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_fuzzed_csv_is_read_or_refused_with_located_problems(small_plan, tmp_path, hostile, header, rows,
                                                              encoding, newline):
    hostile["fuzz: actuals csv"] = hostile.get("fuzz: actuals csv", 0) + 1
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "fz.csv"
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    _check(read_actuals(path, small_plan[2]), "fz.csv")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), prefix=st.sampled_from([b"", b"indicator,year,value\n", b"PK\x03\x04"]))
def test_fuzzed_bytes_are_read_or_refused_with_located_problems(small_plan, tmp_path, hostile, data, prefix):
    hostile["fuzz: actuals bytes"] = hostile.get("fuzz: actuals bytes", 0) + 2
    for name in ("fz.csv", "fz.xlsx"):
        path = tmp_path / name
        path.write_bytes(prefix + data)
        _check(read_actuals(path, small_plan[2]), name)


@pytest.fixture(scope="module")
def small_template(small_plan) -> bytes:
    return _template(small_plan[2])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(st.integers(1, 40), st.integers(1, 20),
                                st.one_of(FIELD, st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                                          st.booleans(), st.dates())), min_size=1, max_size=8),
       sheet=st.integers(0, 3))
def test_fuzzed_workbook_cells_are_read_or_refused_with_located_problems(small_plan, small_template, tmp_path,
                                                                          hostile, cells, sheet):
    hostile["fuzz: actuals xlsx cells"] = hostile.get("fuzz: actuals xlsx cells", 0) + 1
    wb = load_workbook(io.BytesIO(small_template))
    ws = wb.worksheets[sheet % len(wb.worksheets)]
    for r, c, v in cells:
        if isinstance(v, str):   # control characters cannot be stored in a workbook at all
            v = ILLEGAL_CHARACTERS_RE.sub("", v)
        ws.cell(r, c).value = v
        if isinstance(v, str):
            ws.cell(r, c).data_type = "s"   # text, even if it starts with "="
    path = tmp_path / "fz.xlsx"
    wb.save(path)
    _check(read_actuals(path, small_plan[2]), "fz.xlsx")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(member=st.integers(0, 30), at=st.integers(0, 10**6), junk=st.binary(min_size=1, max_size=40),
       mode=st.sampled_from(["replace", "insert", "truncate"]))
def test_fuzzed_workbook_parts_are_read_or_refused_with_located_problems(small_plan, small_template, tmp_path,
                                                                          hostile, member, at, junk, mode):
    """A part of a valid workbook is corrupted (bytes replaced, inserted or cut), then re-zipped."""
    hostile["fuzz: actuals xlsx parts"] = hostile.get("fuzz: actuals xlsx parts", 0) + 1
    with zipfile.ZipFile(io.BytesIO(small_template)) as z:
        names = z.namelist()
        name = names[member % len(names)]
        xml = z.read(name)
    k = at % (len(xml) + 1)
    new = {"replace": xml[:k] + junk + xml[k + len(junk):], "insert": xml[:k] + junk + xml[k:],
           "truncate": xml[:k]}[mode]
    path = tmp_path / "fz.xlsx"
    path.write_bytes(_replace_member(small_template, name, new))
    _check(read_actuals(path, small_plan[2]), "fz.xlsx")
