"""Issue 18: form mistakes refused, killed builds harmless, evaluator files contained.

Each case has a good / with-problems pair built in tmp_path from the real template, so a test
fails if the reader either refuses the good file or lets the bad one through.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from reportkit.inputs import workbook
from reportkit.inputs.actuals import current, read_actuals
from reportkit.inputs.form import build_workbook, workbook_bytes
from reportkit.inputs.workbook import is_percent_format

ANNEX2 = "附件2 城镇老旧小区改造规模"
CITY_SHEET = "全市指标 City"


@pytest.fixture(scope="module")
def template_bytes(dazhou_plan) -> bytes:
    return workbook_bytes(build_workbook(dazhou_plan, titles={}))


def _book(template_bytes):
    return load_workbook(io.BytesIO(template_bytes))


def _save(wb, path):
    wb.save(path)
    return path


def _value(table, indicator, district, year):
    rows = current(table)
    rows = rows[(rows.indicator == indicator) & (rows.district == district) & (rows.year == year)]
    return rows


def keys(problems):
    return [(p.key, p.location.render("en")) for p in problems]


# ---- case 1: a blank or merged district cell is never the city -------------------------------

def test_district_filled_is_read_for_that_district(dazhou_plan, template_bytes, tmp_path):
    wb = _book(template_bytes)
    ws = wb[ANNEX2]
    ws["D8"], ws["N8"] = 9715, "市住建局"          # 达川区 2021
    result = read_actuals(_save(wb, tmp_path / "good.xlsx"), dazhou_plan)
    assert result.problems == []
    assert _value(result.table, "old_residential_renovation", "达川区", 2021).iloc[0].value == 9715
    assert _value(result.table, "old_residential_renovation", "达州市", 2021)["value"].isna().all()


@pytest.mark.parametrize("how", ["blank", "merged"])
def test_blank_or_merged_district_is_a_located_error(dazhou_plan, template_bytes, tmp_path, how):
    wb = _book(template_bytes)
    ws = wb[ANNEX2]
    ws["D8"], ws["N8"] = 9715, "市住建局"
    if how == "blank":
        ws["A8"] = None
    else:
        ws.merge_cells("A7:A8")
    result = read_actuals(_save(wb, tmp_path / "bad.xlsx"), dazhou_plan)
    assert ("district_blank", f"bad.xlsx: {ANNEX2}!A8") in keys(result.problems)
    # nothing was given to the city
    assert _value(result.table, "old_residential_renovation", "达州市", 2021)["value"].isna().all()
    for lang in ("zh", "en"):
        assert "A8" in result.problems[0].message(lang)


def test_blank_district_on_a_city_wide_indicator_still_means_the_city(dazhou_plan, template_bytes, tmp_path):
    wb = _book(template_bytes)
    ws = wb[CITY_SHEET]
    ws["D5"], ws["I5"], ws["J5"] = None, 500, "市统计局"
    result = read_actuals(_save(wb, tmp_path / "city.xlsx"), dazhou_plan)
    assert result.problems == []
    assert _value(result.table, "commercial_housing_supply", "达州市", 2021).iloc[0].value == 500


# ---- case 2: real percent formats only; plausibility against the plan -------------------------

def _row_of(ws, indicator, year):
    for row in ws.iter_rows(min_row=1):
        if row[0].value == indicator and row[4].value == year:
            return row[0].row
    raise LookupError(indicator)


@pytest.mark.parametrize("fmt, expected", [('0.00%', True), ('0%', True), ('[Red]0.0%', True),
                                           ('0.00"%"', False), ('0.0\\%', False), ('General', False),
                                           ('0.00', False)])
def test_only_an_unquoted_percent_sign_is_a_percent_format(fmt, expected):
    assert is_percent_format(fmt) is expected


@pytest.mark.parametrize("typed, fmt", [(61.33, '0.00"%"'), (0.6133, "0.00%"), (61.33, "General")])
def test_percent_cells_are_read_as_shown(dazhou_plan, template_bytes, tmp_path, typed, fmt):
    wb = _book(template_bytes)
    ws = wb[CITY_SHEET]
    r = _row_of(ws, "property_management_coverage", 2023)
    ws.cell(r, 9, typed).number_format = fmt
    ws.cell(r, 10, "市住建局")
    result = read_actuals(_save(wb, tmp_path / "pct.xlsx"), dazhou_plan)
    assert result.problems == []
    assert _value(result.table, "property_management_coverage", "达州市", 2023).iloc[0].value == pytest.approx(61.33)


@pytest.mark.parametrize("typed, warning", [(15000, None), (150, None), (12.863, "implausible_low"),
                                            (16004 * 25, "implausible_high"), (1e308, "implausible_high")])
def test_values_far_from_the_plan_are_located_warnings(dazhou_plan, template_bytes, tmp_path, typed, warning):
    wb = _book(template_bytes)
    ws = wb[ANNEX2]
    ws["D7"], ws["N7"] = typed, "市住建局"         # 通川区 2021, plan 16004 户
    result = read_actuals(_save(wb, tmp_path / "mag.xlsx"), dazhou_plan)
    assert result.problems == []                   # a warning, never a refusal
    got = keys(result.warnings)
    if warning is None:
        assert got == []
    else:
        assert got == [(warning, f"mag.xlsx: {ANNEX2}!D7")]
        en, zh = result.warnings[0].message("en"), result.warnings[0].message("zh")
        assert "D7" in en and "D7" in zh
        if warning == "implausible_low":
            assert "万" in en and "128630" in en and "128630" in zh


@pytest.mark.parametrize("text", ["inf", "nan", "-inf", "Infinity", "1e400"])
def test_inf_and_nan_text_are_errors(dazhou_plan, template_bytes, tmp_path, text):
    wb = _book(template_bytes)
    ws = wb[ANNEX2]
    ws["D7"], ws["N7"] = text, "市住建局"
    result = read_actuals(_save(wb, tmp_path / "inf.xlsx"), dazhou_plan)
    assert keys(result.problems) == [("not_a_number", f"inf.xlsx: {ANNEX2}!D7")]


# ---- case 3: a SIGKILLed build never blocks the next one --------------------------------------
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from reportkit.errors import ReportkitError  # noqa: E402
from reportkit.publishing import publish  # noqa: E402

HOLDER_WITH_WORKERS = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp
from reportkit.publishing import publish
with publish.build_lock(sys.argv[1], "midterm"):
    pool = ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("fork"))
    futures = [pool.submit(time.sleep, 120) for _ in range(2)]
    time.sleep(1)
    print("workers", flush=True)
    time.sleep(120)
"""


def _killpg(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def test_forked_workers_of_a_killed_build_do_not_keep_the_lock(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER_WITH_WORKERS, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "workers"
        with pytest.raises(ReportkitError):          # the build itself still holds it
            with publish.build_lock(tmp_path, "midterm"):
                pass
        os.kill(proc.pid, signal.SIGKILL)            # only the build; its workers live on
        proc.wait(10)
        orphans = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert orphans, "the test needs the workers to outlive the build"
        with publish.build_lock(tmp_path, "midterm"):   # at once, while the orphans still run
            pass
    finally:
        _killpg(proc)


ORPHAN = """
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, json.dumps({"pid": 999999999, "stage": "midterm", "started": "yesterday"}).encode())
print("held", flush=True)
time.sleep(120)
"""


def test_a_lock_held_for_a_dead_build_is_stale_and_taken_over(tmp_path):
    lock = publish.lock_path(tmp_path, "midterm")
    proc = subprocess.Popen([sys.executable, "-c", ORPHAN, str(lock)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with publish.build_lock(tmp_path, "midterm"):
            assert json.loads(lock.read_text())["pid"] == os.getpid()
    finally:
        _killpg(proc)
    # a live holder is still respected
    with publish.build_lock(tmp_path, "midterm"):
        with pytest.raises(ReportkitError):
            with publish.build_lock(tmp_path, "midterm"):
                pass


def _build_cmd(out):
    return [sys.executable, "-m", "reportkit.cli", "--lang", "en", "build", "--stage", "midterm",
            "--lang", "zh,en", "--no-pdf", "--no-cache", "--jobs", "2", "--out", str(out)]


@pytest.mark.e2e
def test_a_build_sigkilled_while_building_editions_does_not_block_the_next(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(_build_cmd(out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = []
        for line in proc.stdout:                      # wait for the editions step (a worker pool)
            lines.append(line)
            if "Building the site" in line:
                break
        assert proc.poll() is None, "".join(lines)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:            # the pool's workers are running
            kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
            if kids:
                break
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        with publish.build_lock(out, "midterm"):      # the next build may start
            pass
    finally:
        _killpg(proc)


# ---- case 2 (build side) and case 6 (build options): warnings printed and listed; bad --lang,
# relative --out, disk full ---------------------------------------------------------------------
import errno  # noqa: E402
from pathlib import Path  # noqa: E402

from reportkit.publishing import pipeline  # noqa: E402


@pytest.mark.parametrize("langs", [["fr"], ["", ""], ",,", "EN,fr", []])
def test_bad_languages_are_refused_with_a_message_in_both_languages(tmp_path, langs):
    with pytest.raises(ReportkitError) as err:
        pipeline.build(pipeline.BuildOptions(langs=langs, out_root=tmp_path, pdf=False), log=lambda _m: None)
    (problem,) = err.value.problems
    assert problem.key == "bad_lang"
    zh, en = problem.message("zh"), problem.message("en")
    assert "zh, en" in zh and "zh, en" in en and zh != en
    assert not (tmp_path / "midterm").exists()


def test_language_lists_are_normalised_and_out_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    opts = pipeline._checked_options(pipeline.BuildOptions(langs=["EN", " zh ", "", "en"], out_root=Path("rel")))
    assert opts.langs == ["en", "zh"] and opts.out_root == tmp_path / "rel"


def _sample_with(tmp_path, dazhou_plan, cell, value):
    from reportkit.inputs.sample import write_sample

    path, _ = write_sample(dazhou_plan, tmp_path / "sample.xlsx")
    wb = load_workbook(path)
    wb[ANNEX2][cell] = value
    out = tmp_path / "actuals.xlsx"
    wb.save(out)
    return out


def test_disk_full_is_a_located_message_and_the_last_good_site_stays(tmp_path, monkeypatch, dazhou_plan):
    out = tmp_path / "out"
    (out / "midterm" / "html").mkdir(parents=True)
    (out / "midterm" / "html" / "index.html").write_text("last good", encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / ".midterm-x" / "book"))

    monkeypatch.setattr(pipeline, "run_notebooks", full)
    with pytest.raises(ReportkitError) as err:
        pipeline.build(pipeline.BuildOptions(langs=["en"], out_root=out, pdf=False, cache=False),
                       log=lambda _m: None)
    (problem,) = err.value.problems
    assert problem.key == "disk_full" and ".midterm-x" in problem.location.file
    assert "磁盘已满" in problem.message("zh") and "disk is full" in problem.message("en")
    assert (out / "midterm" / "html" / "index.html").read_text(encoding="utf-8") == "last good"
    assert sorted(p.name for p in out.glob(".midterm-*")) == []


@pytest.mark.e2e
def test_warnings_are_printed_by_the_build_and_listed_on_the_data_page(tmp_path, monkeypatch, dazhou_plan):
    actuals = _sample_with(tmp_path, dazhou_plan, "D7", 12.863)   # 通川区 2021 in 户, typed in 万
    monkeypatch.chdir(tmp_path)
    logged: list[str] = []
    result = pipeline.build(pipeline.BuildOptions(langs=["en"], actuals=actuals, out_root=Path("rel-out"),
                                                  pdf=False, cache=False), log=logged.append)
    assert result.out == tmp_path / "rel-out" / "midterm"
    assert any("implausible" not in m and f"{ANNEX2}!D7" in m and "万" in m for m in logged), logged
    page = (result.html / "en" / "data.html").read_text(encoding="utf-8")
    assert f"{ANNEX2}!D7" in page and "128630" in page


# ---- case 4: no font, no PDF: a message naming the package, before typesetting ----------------
from types import SimpleNamespace  # noqa: E402

from reportkit.publishing import pdf  # noqa: E402

FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>{dirs}<cachedir>{cache}</cachedir></fontconfig>
"""


def _fontconfig(tmp_path, monkeypatch, dirs=()):
    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF.format(dirs="".join(f"<dir>{d}</dir>" for d in dirs), cache=tmp_path / "fc-cache"))
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))


def test_fonts_present_pass_the_check():
    pdf.check_fonts(["zh", "en"])          # this machine has fonts-noto-cjk and a Latin font


def test_no_fonts_at_all_stop_the_pdf_step_naming_the_packages(tmp_path, monkeypatch):
    _fontconfig(tmp_path, monkeypatch)
    with pytest.raises(ReportkitError) as err:
        pdf.typeset_editions(tmp_path / "staging", SimpleNamespace(), SimpleNamespace(langs=["zh", "en"], jobs=2))
    got = [(p.key.removeprefix("errors."), p.params["package"]) for p in err.value.problems]
    assert ("font_missing_cjk", "fonts-noto-cjk") in got and ("font_missing_latin", "fonts-liberation") in got
    assert not (tmp_path / "staging").exists()        # nothing was typeset
    for lang in ("zh", "en"):
        text = err.value.render(lang)
        assert "fonts-noto-cjk" in text and "fonts-liberation" in text and "html/zh" in text


def test_latin_fonts_only_refuse_the_chinese_edition_alone(tmp_path, monkeypatch):
    _fontconfig(tmp_path, monkeypatch, ["/usr/share/fonts/truetype"])
    pdf.check_fonts(["en"])
    with pytest.raises(ReportkitError) as err:
        pdf.check_fonts(["zh", "en"])
    assert [p.key for p in err.value.problems] == ["errors.font_missing_cjk"]


# ---- case 5: evaluator files contained ---------------------------------------------------------
import yaml  # noqa: E402

from reportkit.config import DEFAULT_CATALOGUE  # noqa: E402
from reportkit.inputs import catalogue  # noqa: E402
from reportkit.report import narrative  # noqa: E402


def _catalogue_with(tmp_path, edit) -> Path:
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))
    edit(raw)
    raw["plan"]["document"] = str((DEFAULT_CATALOGUE.parent / raw["plan"]["document"]).resolve())
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_the_default_catalogue_ids_are_safe(tmp_path):
    assert catalogue.load(_catalogue_with(tmp_path, lambda raw: None)).id == "dazhou-14fyp-urban-housing"


@pytest.mark.parametrize("where, value", [("plan", "../../x"), ("plan", "a/b"), ("plan", ".hidden"),
                                          ("plan", "x..y"), ("indicator", "../evil"), ("district", "../达州")])
def test_ids_that_would_leave_the_output_folder_are_located_errors(tmp_path, where, value):
    def edit(raw):
        if where == "plan":
            raw["plan"]["id"] = value
        elif where == "indicator":
            raw["indicators"][0]["id"] = value
        else:
            raw["districts"][1]["name"] = value

    with pytest.raises(ReportkitError) as err:
        catalogue.load(_catalogue_with(tmp_path, edit))
    (problem,) = err.value.problems
    assert problem.key == "catalogue_unsafe_id" and problem.location.file.endswith("catalogue.yml")
    assert value in problem.message("zh") and value in problem.message("en")


def _commentary(tmp_path) -> Path:
    root = tmp_path / "commentary"
    (root / "en" / "indicators").mkdir(parents=True)
    (root / "en" / "indicators" / "old_residential_renovation.md").write_text("Good **words**.\n", encoding="utf-8")
    (root / "zh" / "indicators").mkdir(parents=True)
    (root / "zh" / "indicators" / "old_residential_renovation.md").write_bytes("\ufeff进展良好。\n".encode())
    return root


def test_regular_utf8_commentary_files_are_read(tmp_path):
    root = _commentary(tmp_path)
    narrative.check_commentary(root)
    ctx = SimpleNamespace(commentary_dir=root)
    assert "<strong>words</strong>" in narrative.commentary(ctx, "en", "indicators", "old_residential_renovation", "h").text
    assert "进展良好" in narrative.commentary(ctx, "zh", "indicators", "old_residential_renovation", "h").text


@pytest.mark.parametrize("bad", ["symlink_out", "symlink_in", "gbk", "fifo"])
def test_commentary_files_must_be_regular_utf8_files_inside_the_folder(tmp_path, bad):
    root = _commentary(tmp_path)
    target = root / "en" / "indicators" / "shantytown_renovation.md"
    if bad == "symlink_out":
        secret = tmp_path / "passwd"
        secret.write_text("root:x:0:0", encoding="utf-8")
        target.symlink_to(secret)
    elif bad == "symlink_in":
        target.symlink_to(root / "en" / "indicators" / "old_residential_renovation.md")
    elif bad == "gbk":
        target.write_bytes("进展良好，基本完成。".encode("gbk"))
    else:
        os.mkfifo(target)
    with pytest.raises(ReportkitError) as err:
        narrative.check_commentary(root)
    (problem,) = err.value.problems
    assert problem.key == {"gbk": "commentary_encoding", "fifo": "commentary_not_file"}.get(bad, "commentary_outside")
    for lang in ("zh", "en"):
        assert "shantytown_renovation.md" in problem.message(lang)
    ctx = SimpleNamespace(commentary_dir=root)
    if bad != "fifo":
        with pytest.raises(ReportkitError):      # the page never shows it either
            narrative.commentary(ctx, "en", "indicators", "shantytown_renovation", "h")


def test_the_pdf_fetcher_reads_only_the_build_folder(tmp_path):
    site = tmp_path / "html"
    (site / "en").mkdir(parents=True)
    (site / "en" / "chart.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    (site / "en" / "link.svg").symlink_to(outside)
    fetch = pdf.contained_fetcher([site])
    assert fetch((site / "en" / "chart.svg").as_uri()).url.startswith("file:")
    assert fetch("data:text/plain,ok") is not None
    for url in ["http://127.0.0.1:9/track.png", "https://example.org/x.png", "ftp://example.org/x",
                outside.as_uri(), (site / "en" / "link.svg").as_uri(), "file://remotehost/etc/passwd",
                (site / "en" / ".." / ".." / "secret.txt").as_uri()]:
        with pytest.raises(ValueError):
            fetch(url)
    assert len(fetch.refused) == 7


def test_a_pdf_with_a_remote_image_is_typeset_without_fetching_it(tmp_path, monkeypatch):
    import socket

    calls = []

    def no_network(*args, **kwargs):   # WeasyPrint swallows fetch errors: record, then check
        calls.append(args)
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    page = tmp_path / "html" / "en" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text('<html><head><title>T</title></head><body><main><article class="bd-article">'
                    '<h1>T</h1><p>x <img src="http://127.0.0.1:9/track.png"></p></article></main></body></html>',
                    encoding="utf-8")
    out = pdf.build_pdf([page], tmp_path / "out.pdf", lang="en",
                        cover={"title": "T", "stage": "midterm", "as_of": "2023-12"})
    assert out.read_bytes().startswith(b"%PDF")
    assert calls == []


@pytest.mark.parametrize("snippet", ['<img src="http://host/track.png">', '<img src="//host/t.png">',
                                     '<img srcset="a.png 1x, https://host/b.png 2x">',
                                     '<picture><source srcset="https://host/x.webp"></picture>',
                                     '<video poster="https://host/p.png"></video>'])
def test_the_site_check_refuses_external_images(snippet):
    assert any("external" in f for f in publish.page_findings(f"<html><body>{snippet}</body></html>"))


def test_the_site_check_keeps_local_images():
    assert publish.page_findings('<html><body><img src="_static/a.png" srcset="b.png 2x">'
                                 '<img src="data:image/png;base64,AAAA"></body></html>') == []


# ---- case 6: stray sheets, code rows, control characters, CSV separators and encodings ---------
from reportkit.inputs.form import csv_bytes, csv_rows  # noqa: E402


def _count_cells(monkeypatch):
    seen: dict[str, int] = {}
    real = workbook._cells

    def counting(ws):
        for cell in real(ws):
            seen[ws.title] = seen.get(ws.title, 0) + 1
            yield cell

    monkeypatch.setattr(workbook, "_cells", counting)
    return seen


def test_a_stray_big_sheet_is_named_in_a_warning_and_not_read(dazhou_plan, template_bytes, tmp_path, monkeypatch):
    wb = _book(template_bytes)
    wb[ANNEX2]["D7"], wb[ANNEX2]["N7"] = 15000, "市住建局"
    extra = wb.create_sheet("草稿 scratch")
    for r in range(1, 2001):
        extra.append([r * 1.5] * 50)                 # 100,000 cells of someone's working data
    seen = _count_cells(monkeypatch)
    result = read_actuals(_save(wb, tmp_path / "extra.xlsx"), dazhou_plan)
    assert result.problems == []
    assert _value(result.table, "old_residential_renovation", "通川区", 2021).iloc[0].value == 15000
    assert keys(result.warnings) == [("extra_sheet", "extra.xlsx: 草稿 scratch")]
    assert "草稿 scratch" in result.warnings[0].message("zh") and "ignored" in result.warnings[0].message("en")
    # only the rows searched for a code row were parsed, not the 100,000 cells
    assert seen["草稿 scratch"] <= (workbook.KEY_SCAN_ROWS + 1) * 50


def test_the_template_has_no_stray_sheet(dazhou_plan, template_bytes, tmp_path):
    result = read_actuals(_save(_book(template_bytes), tmp_path / "empty.xlsx"), dazhou_plan)
    assert result.problems == [] and result.warnings == []


@pytest.mark.parametrize("how", ["deleted", "translated"])
def test_a_lost_code_row_is_a_located_error(dazhou_plan, template_bytes, tmp_path, how):
    wb = _book(template_bytes)
    ws = wb[ANNEX2]
    ws["D7"], ws["N7"] = 15000, "市住建局"
    if how == "deleted":
        ws.delete_rows(5)
    else:
        for cell in ws[5]:
            if cell.value == "district":
                cell.value = "地区"
    result = read_actuals(_save(wb, tmp_path / "nokeys.xlsx"), dazhou_plan)
    assert ("key_row_missing", f"nokeys.xlsx: {ANNEX2}!A2") in keys(result.problems)
    for lang in ("zh", "en"):
        assert ANNEX2 in result.problems[0].message(lang)


def _csv(dazhou_plan, **changes) -> list[dict]:
    rows = csv_rows(dazhou_plan)
    for row in rows:
        if row["indicator"] == "old_residential_renovation" and row["district"] == "通川区" and row["year"] == 2021:
            row.update(value=15000, source="市住建局", **changes)
    return rows


def test_control_characters_in_a_note_are_removed_with_a_warning(dazhou_plan, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(_csv(dazhou_plan, note="第一批")))
    assert read_actuals(good, dazhou_plan).warnings == []
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(_csv(dazhou_plan, note="第一批\x0b第二批")))
    result = read_actuals(bad, dazhou_plan)
    assert result.problems == [] and [w.key for w in result.warnings] == ["control_chars"]
    assert "line" in result.warnings[0].location.render("en")
    row = _value(result.table, "old_residential_renovation", "通川区", 2021).iloc[0]
    assert row.note == "第一批 第二批"
    from openpyxl import Workbook

    Workbook().active.append(list(result.table.iloc[0]))   # the downloads writer accepts it now


@pytest.mark.parametrize("delimiter, encoding", [(",", "utf-8"), (";", "utf-8"), ("\t", "utf-8-sig"),
                                                 ("\t", "utf-16"), (",", "utf-16"), (";", "gb18030")])
def test_csv_separators_and_utf16_are_read(dazhou_plan, tmp_path, delimiter, encoding):
    import csv as csv_lib

    buf = io.StringIO()
    rows = _csv(dazhou_plan)
    writer = csv_lib.DictWriter(buf, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "sep.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    result = read_actuals(path, dazhou_plan)
    assert result.problems == []
    assert _value(result.table, "old_residential_renovation", "通川区", 2021).iloc[0].value == 15000


def test_utf16_without_a_byte_order_mark_says_why(dazhou_plan, tmp_path):
    path = tmp_path / "nobom.csv"
    path.write_bytes(csv_bytes(_csv(dazhou_plan)).decode("utf-8-sig").encode("utf-16-le"))
    result = read_actuals(path, dazhou_plan)
    assert [p.key for p in result.problems] == ["csv_nul"]
    assert "UTF-16" in result.problems[0].message("en") and "UTF-16" in result.problems[0].message("zh")
