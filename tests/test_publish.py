"""Safe publishing: the build lock, leftovers of killed builds, the page check, builds killed mid-way.

The end-to-end test copies the shared e2e build (tests/test_site.py, both editions with PDFs)
as "the last good build", then starts ``reportkit build`` in subprocesses and interrupts them
(SIGINT, SIGTERM, SIGKILL) part-way; the last good site and PDFs must keep every byte, and
data/raw must keep every byte. Then two builds are started at once: the second stops with the
lock message (exit 1), the first publishes and clears what the killed one left.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from reportkit.config import RAW_DIR
from reportkit.errors import ReportkitError, report_problem
from reportkit.publishing import pipeline as build
from reportkit.publishing import publish

STAGE = "midterm"


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob(f".{STAGE}-*"))


# ---- the lock ---------------------------------------------------------------------------------
def test_second_build_of_a_stage_is_refused_with_a_located_message_in_both_languages(tmp_path):
    with publish.build_lock(tmp_path, STAGE, "en"):
        with pytest.raises(ReportkitError) as err:
            with publish.build_lock(tmp_path, STAGE):
                pass
        with publish.build_lock(tmp_path, "final"):   # another stage builds side by side
            pass
    with publish.build_lock(tmp_path, STAGE):   # released on leaving the block
        pass
    (problem,) = err.value.problems
    assert problem.key == "build_running" and problem.location.file == str(tmp_path.resolve() / STAGE)
    zh, en = problem.message("zh"), problem.message("en")
    assert str(os.getpid()) in zh and str(os.getpid()) in en and zh != en
    assert en.startswith("Error") and "another build" in en and zh.startswith("错误") and "另一个" in zh
    with publish.build_lock(tmp_path, STAGE):   # released: free again
        pass


HOLDER = """
import sys, time
from reportkit.publishing import publish
with publish.build_lock(sys.argv[1], "midterm"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_lock_left_by_a_killed_build_does_not_block(tmp_path):
    # A lock file naming a process that is gone (the file stays after a crash): no lock held.
    publish.lock_path(tmp_path, STAGE).write_text(json.dumps({"pid": 999999999, "started": "yesterday"}))
    with publish.build_lock(tmp_path, STAGE):
        pass
    # A process holding the lock is killed with SIGKILL (no clean-up at all): the kernel frees it.
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(ReportkitError) as err:
            with publish.build_lock(tmp_path, STAGE):
                pass
        assert str(proc.pid) in err.value.render("en")
    finally:
        proc.kill()
        proc.wait(10)
    with publish.build_lock(tmp_path, STAGE):   # taken at once (non-blocking flock), no waiting
        pass


WORKERS = """
import multiprocessing, sys, time
from reportkit.publishing import publish
fork = multiprocessing.get_context("fork")
with publish.build_lock(sys.argv[1], "midterm"):
    worker = fork.Process(target=time.sleep, args=(60,))
    worker.start()
    print(worker.pid, flush=True)
    time.sleep(60)
"""


def _running(pid: int) -> bool:
    try:   # a zombie has ended (the container's init may be slow to reap it)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_of_a_sigkilled_build_neither_holds_the_lock_nor_outlives_it(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WORKERS, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(proc.stdout.readline())
        assert _running(worker)
        proc.kill()                      # SIGKILL: no clean-up runs in the build
        proc.wait(10)
        with publish.build_lock(tmp_path, STAGE):   # the worker closed its copy of the lock
            pass
        end = time.monotonic() + 10
        while _running(worker) and time.monotonic() < end:
            time.sleep(0.05)
        assert not _running(worker), "the worker outlived the killed build"
    finally:
        proc.kill()
        proc.wait(10)
        if "worker" in locals() and _running(worker):
            os.kill(worker, signal.SIGKILL)


def test_a_child_forked_while_a_build_holds_the_lock_has_closed_it(tmp_path):
    with publish.build_lock(tmp_path, STAGE):
        (fd,) = publish._LOCK_FDS
        pid = os.fork()
        if pid == 0:   # the child: its copy of the lock's descriptor must be closed already
            try:
                os.fstat(fd)
            except OSError:
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        os.fstat(fd)   # the build's own stays open
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_cache_prune_removes_temporary_copies_a_killed_build_left(tmp_path):
    from reportkit.publishing.cache import STALE_TEMPORARY, Cache

    store = Cache(tmp_path)
    store.put_file("pdf", "k1", _site(tmp_path) / "html" / "en" / "index.html", ".pdf")
    kept = store.path("pdf", "k1", ".pdf")
    old_file, old_dir = tmp_path / "pdf" / ".k2.pdf.ab12", tmp_path / "pdf" / ".k3.cd34"
    new_file = tmp_path / "pdf" / ".k4.pdf.ef56"     # a build storing it right now
    old_file.write_bytes(b"%PDF-1.7 half")
    (old_dir / "sub").mkdir(parents=True)
    new_file.write_bytes(b"%PDF")
    past = time.time() - STALE_TEMPORARY - 60
    for p in (old_file, old_dir):
        os.utime(p, (past, past))
    store.prune()
    assert kept.is_file() and new_file.is_file()
    assert not old_file.exists() and not old_dir.exists()


def test_recover_puts_back_the_last_good_site_and_removes_unfinished_folders(tmp_path):
    # Killed between the two renames of publishing: the site is in .midterm-old-<pid>, none in place.
    old = tmp_path / f".{STAGE}-old-4242"
    (old / "html").mkdir(parents=True)
    (old / "html" / "index.html").write_text("good")
    staging = tmp_path / f".{STAGE}-x1y2z3"
    (staging / "html").mkdir(parents=True)
    (tmp_path / ".final-abc").mkdir()          # another stage's staging is not ours to remove
    removed = publish.recover(tmp_path, STAGE)
    assert (tmp_path / STAGE / "html" / "index.html").read_text() == "good"
    assert [p.name for p in removed] == [staging.name] and _leftovers(tmp_path) == []
    assert (tmp_path / ".final-abc").is_dir()
    # With a site in place, an old copy next to it is only a leftover.
    old.mkdir()
    publish.recover(tmp_path, STAGE)
    assert _leftovers(tmp_path) == [] and (tmp_path / STAGE / "html" / "index.html").read_text() == "good"


# ---- the check of staged pages ------------------------------------------------------------
CLEAN = """<!DOCTYPE html><html><head><script src="_static/vega-bundle.js"></script>
<script>DOCUMENTATION_OPTIONS.pagename = 'index';</script>
<script>let toggleHintShow = '点击显示';</script></head><body>
<figure><div class="rk-vis" id="vis-fig-1"></div><script>{chart}</script></figure>
<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href="data.html#x">ok</a></p></body></html>"""
CHART = ('(function(){var el=document.getElementById("vis-fig-1");vegaEmbed(el,{"title":"<\\/script>\\u003c!--"},'
         '{"renderer": "svg", "actions": false}).catch(function(e){console.error(e);});})();')
INJECTED = [
    '<img src=x onerror="alert(1)">',
    '<a href=" JaVa\tScript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<script>alert(1)</script>',
    '<script src="https://cdn.example/x.js"></script>',
    '<script src="//cdn.example/x.js"></script>',
    '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">x</button></form>',
    '<object data="data:text/html;base64,PHNjcmlwdD4="></object>',
    # a chart script whose spec was broken out of: not one JSON value any more
    "<script>" + CHART.replace('"<\\/script>', '"x"});alert(1);({"y":"') + "</script>",
]


def _site(tmp_path: Path, extra: str = "") -> Path:
    staging = tmp_path / "staging"
    (staging / "html" / "en" / "_static").mkdir(parents=True, exist_ok=True)
    (staging / "html" / "en" / "index.html").write_text(CLEAN.replace("{chart}", CHART).replace(
        "</body>", extra + "</body>"), encoding="utf-8")
    # theme macros under _static are templates, not pages
    (staging / "html" / "en" / "_static" / "macros.html").write_text("{{ x }}<b onclick=y>", encoding="utf-8")
    return staging


def test_check_site_passes_the_sites_own_markup(tmp_path):
    publish.check_site(_site(tmp_path))


@pytest.mark.parametrize("snippet", INJECTED)
def test_check_site_names_the_page_of_injected_markup(tmp_path, hostile, snippet):
    hostile["publish gate: injected markup"] = hostile.get("publish gate: injected markup", 0) + 1
    with pytest.raises(ReportkitError) as err:
        publish.check_site(_site(tmp_path, snippet))
    assert {p.key for p in err.value.problems} == {"markup_injected"}
    assert {p.location.file for p in err.value.problems} == {"html/en/index.html"}
    assert err.value.render("zh") != err.value.render("en")


def test_the_default_site_passes_the_check():
    from conftest import shared_build

    publish.check_site(shared_build())


# ---- builds killed part-way, and two at once ----------------------------------------------
def _args(out: Path) -> list[str]:
    return ["--lang", "en", "build", "--stage", STAGE,
            "--lang", "en", "--no-pdf", "--no-cache", "--jobs", "2", "--out", str(out)]  # slow enough to interrupt


def _cli(out: Path) -> list[str]:
    return [sys.executable, "-m", "reportkit.cli", *_args(out)]


def _start(out: Path) -> subprocess.Popen:
    from conftest import start_cli

    return start_cli(_args(out))


def _staging(out: Path, timeout: float = 120) -> Path:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = [p for p in out.glob(f".{STAGE}-*") if "-old-" not in p.name]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("the build never created its staging folder")


def _kill_part_way(out: Path, sig: signal.Signals, after: float) -> tuple[int, str, Path]:
    proc = _start(out)
    try:
        staging = _staging(out)
        time.sleep(after)
        assert proc.poll() is None, "the build finished before it could be interrupted"
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # the killed build's own workers and kernels
        except ProcessLookupError:
            pass
        proc.wait(10)
    return proc.returncode, err, staging


@pytest.mark.e2e
def test_killed_builds_leave_the_last_good_site_and_a_second_build_is_refused(tmp_path, hostile):
    from conftest import shared_build

    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(shared_build(), out / STAGE)     # the last good build: both editions, PDFs
    good = _hashes(out / STAGE)
    assert any(k.endswith(".pdf") for k in good) and any(k.endswith("index.html") for k in good)
    raw = _hashes(RAW_DIR)

    # Ctrl-C and SIGTERM: the build cleans its staging folder; the published site keeps every byte.
    for sig, after, code in ((signal.SIGINT, 1.0, 130), (signal.SIGTERM, 2.5, 143)):
        rc, err, _ = _kill_part_way(out, sig, after)
        hostile["publish: interrupted builds"] = hostile.get("publish: interrupted builds", 0) + 1
        assert rc == code, (sig, rc, err[-2000:])
        assert _hashes(out / STAGE) == good, sig
        assert _leftovers(out) == [], sig
    # SIGKILL: nothing can clean up; the site is still untouched, the staging folder is left over.
    rc, _, staging = _kill_part_way(out, signal.SIGKILL, 4.0)
    hostile["publish: interrupted builds"] += 1
    assert rc == -signal.SIGKILL and staging.is_dir()
    assert _hashes(out / STAGE) == good

    # Two builds at once: the second is refused at once, the first publishes and clears the leftover.
    first = _start(out)
    try:
        lock = publish.lock_path(out, STAGE)
        end = time.monotonic() + 60
        while time.monotonic() < end and str(first.pid) not in (lock.read_text() if lock.exists() else ""):
            time.sleep(0.05)
        second = subprocess.run(_cli(out), capture_output=True, text=True, timeout=60)
        hostile["publish: concurrent builds"] = hostile.get("publish: concurrent builds", 0) + 1
        assert second.returncode == 1, second.stderr[-2000:]
        assert "another build" in second.stderr and str(first.pid) in second.stderr
        assert "Traceback" not in second.stderr
        _, err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    assert first.returncode == 0, err[-3000:]
    assert not staging.exists() and _leftovers(out) == []
    published = _hashes(out / STAGE)
    assert published != good and "html/en/index.html" in published and "html/zh/index.html" not in published
    assert _hashes(RAW_DIR) == raw   # the raw inputs keep every byte through all these builds


def test_a_failure_mid_build_leaves_the_last_good_site(tmp_path, monkeypatch):
    out = tmp_path / "out"
    (out / STAGE / "html").mkdir(parents=True)
    (out / STAGE / "html" / "index.html").write_text("last good", encoding="utf-8")
    good = _hashes(out / STAGE)
    seen = []

    def broken(run):   # the last step fails after the whole site was staged
        seen.append(run.staging)
        assert (run.staging / "html" / "en" / "index.html").is_file()
        raise ReportkitError(report_problem("nb_failed", None, {"error": "disk full"}))

    steps = tuple(replace(s, run=broken) if s.name == "check" else s for s in build.STEPS)
    monkeypatch.setattr(build, "STEPS", steps)
    with pytest.raises(ReportkitError):
        build.build(build.BuildOptions(stage=STAGE, langs=["en"], out_root=out, pdf=False), log=lambda _m: None)
    assert seen and not seen[0].exists()
    assert _hashes(out / STAGE) == good and _leftovers(out) == []
    # the lock is free again: the next build gets it at once
    with publish.build_lock(out, STAGE):
        pass
