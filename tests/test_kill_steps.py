"""A build SIGKILLed in each of its steps, then built again at once (issue #18).

One chain of builds of both editions with PDFs, on a cache of its own: the first is killed while
its notebooks run, the next (which reuses the notebooks that had finished) while the site is
built, the next in the PDF step, then in the Word step, then in the check; the last one runs to
the end. Each kill is a SIGKILL of the build's own process alone (as the OOM killer does), and
the next build is started at once, while the kernels, pool workers and Jupyter Books the dead one
had started may still run: it must get the lock at once (workers never hold it), clear the dead
build's staging folder, and leave the published site byte for byte as it was until it publishes
its own. Every process the dead build had started must end on its own within seconds (workers
and Jupyter Book die with the build, kernels when they see their parent gone); then its process
group is killed too, as a crashed machine would leave it.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest

from reportkit.i18n import t

pytestmark = pytest.mark.e2e

STAGE = "midterm"
TIMEOUT = 900            # seconds one build may take to reach a step on a busy 2-core machine
MADE = re.compile(r"Made anew: (?P<notebooks_run>\d+) notebooks, (?P<editions_built>\d+) site editions, "
                  r"(?P<pdfs_built>\d+) PDFs, (?P<docx_built>\d+) Word files; reused from the cache: "
                  r"(?P<notebooks_cached>\d+) notebooks, (?P<editions_cached>\d+) site editions, "
                  r"(?P<pdfs_cached>\d+) PDFs, (?P<docx_cached>\d+) Word files\.")
RUNNING = re.compile(r"Running (\d+) notebooks")
FINISHED_2 = re.compile(r"^\s*\[2/\d+\] ")   # the second notebook has finished (and is cached)


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _staging(out: Path) -> list[Path]:
    return sorted(p for p in out.glob(f".{STAGE}-*") if p.is_dir())


def _procs() -> dict[int, tuple[int, int]]:
    """pid → (parent pid, process group) of every process on the machine (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()   # after "pid (comm) "
        found[int(entry.name)] = (int(fields[1]), int(fields[2]))
    return found


def _started_by(pid: int) -> set[int]:
    """Every process ``pid`` started (children, theirs, …) and every process of its group."""
    procs = _procs()
    tree = {p for p, (_, group) in procs.items() if group == pid and p != pid}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _) in procs.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return tree


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _names(pids: set[int]) -> list[str]:
    """The command names of the processes among ``pids`` still running."""
    names = []
    for pid in sorted(pids):
        try:
            if _alive(pid):
                names.append(Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            pass
    return names


class Build:
    """One ``reportkit build`` subprocess whose output lines are collected as they come."""

    def __init__(self, out: Path, cache: Path):
        from conftest import start_cli

        self.started = time.monotonic()
        self.proc = start_cli(["--lang", "en", "build", "--stage", STAGE, "--lang", "zh,en", "--jobs", "2",
                               "--out", str(out), "--cache-dir", str(cache)], stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, what: str | re.Pattern[str]) -> int:
        """Wait until a line matches ``what``; returns its index. Fails if the build ended first."""
        end = time.monotonic() + TIMEOUT
        seen = 0
        while time.monotonic() < end:
            for i in range(seen, len(self.lines)):
                line = self.lines[i]
                if (what.search(line) if isinstance(what, re.Pattern) else what in line):
                    return i
            seen = len(self.lines)
            if self.proc.poll() is not None and not self.reader.is_alive():
                raise AssertionError(f"the build ended ({self.proc.returncode}) before {what!r}:\n"
                                     + "\n".join(self.lines[-40:]))
            time.sleep(0.02)
        raise AssertionError(f"no {what!r} within {TIMEOUT} s:\n" + "\n".join(self.lines[-40:]))

    def text(self) -> str:
        return "\n".join(self.lines)


def _kill_in(build: Build, step: str, line: str | re.Pattern[str], workers: bool) -> dict[int, str]:
    """SIGKILL the build's own process once ``line`` was printed (with ``workers``: once it has
    started a kernel, a pool worker or a tool too); returns what it had running then (pid → name)."""
    at = build.wait_for(line)
    end, before = time.monotonic() + 60, set()
    while workers and time.monotonic() < end:   # a worker that lasts, not a short-lived tool (fc-list)
        now = _started_by(build.proc.pid)
        if now & before:
            break
        before = now
        time.sleep(0.3)
    left = {pid: name for pid in _started_by(build.proc.pid) for name in _names({pid})}
    assert build.proc.poll() is None, f"the build ended before it could be killed in {step}"
    os.kill(build.proc.pid, signal.SIGKILL)
    build.proc.wait(30)
    time.sleep(0.3)   # output the build had written before the kill reaches the reader
    later = "\n".join(build.lines[at + 1:])
    # still in the step: the next step's line (or the end) was not printed
    for other in ("site", "pdf", "docx", "check", "done"):
        key = t(f"report.log.{other}", "en").split("{")[0].rstrip("(… ")
        if other != step:
            assert key not in later, (step, later[-2000:])
    assert build.proc.returncode == -signal.SIGKILL
    return left


def _bury(pgid: int, orphans: set[int]) -> None:
    """Kill what a killed build left running: its process group, and the processes it had
    started in sessions of their own (kernels)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for pid in orphans:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_build_killed_in_each_step_leaves_the_site_and_the_next_one_starts_at_once(tmp_path, hostile):
    out, cache = tmp_path / "out", tmp_path / "cache"
    (out / STAGE / "html").mkdir(parents=True)
    (out / STAGE / "html" / "index.html").write_text("the last good build", encoding="utf-8")
    (out / STAGE / "build.yml").write_text("stage: midterm\n", encoding="utf-8")
    good = _hashes(out / STAGE)

    kills = (("notebooks", FINISHED_2, True), ("site", t("report.log.site", "en"), True),
             ("pdf", t("report.log.pdf", "en"), True), ("docx", t("report.log.docx", "en"), False),
             ("check", t("report.log.check", "en"), False))
    build = Build(out, cache)
    total = int(RUNNING.search(build.lines[build.wait_for(RUNNING)]).group(1))   # a fresh cache: every notebook runs
    at_kill: dict[str, list[str]] = {}   # step → what the build had running when it was killed
    at_lock: dict[str, list[str]] = {}   # step → what of it still ran when the next build locked
    try:
        for n, (step, line, workers) in enumerate(kills):
            running = _kill_in(build, step, line, workers)
            orphans = set(running)
            if workers:   # kernels (notebooks), pool workers and Jupyter Book (site), pool workers (pdf)
                assert running, f"killed in {step}: it had started no process (the check would prove nothing)"
            at_kill[step] = sorted(running.values())
            hostile["publish: builds SIGKILLed in a step"] = hostile.get("publish: builds SIGKILLed in a step", 0) + 1
            dead, killed_staging = build.proc.pid, _staging(out)
            assert killed_staging, f"killed in {step}: no staging folder was left (was it published?)"
            assert _hashes(out / STAGE) == good, f"killed in {step}: the published site changed"

            # The next build, started at once (the dead one's kernels may still run): it is
            # not refused, and once it holds the lock (its first line), the leftovers are gone.
            build = Build(out, cache)
            build.wait_for(t("report.log.prepare", "en"))
            assert "another build" not in build.text(), (step, build.text())
            assert not any(p in _staging(out) for p in killed_staging), step
            at_lock[step] = _names(orphans)
            # ... and they end on their own: workers and Jupyter Book with the build, kernels
            # when they see their parent gone
            end = time.monotonic() + 20
            while any(_alive(p) for p in orphans) and time.monotonic() < end:
                time.sleep(0.1)
            assert not _names(orphans), (step, _names(orphans))
            _bury(dead, orphans)
            if n == 0:   # the notebooks finished before the kill are reused, the others run
                again = int(RUNNING.search(build.lines[build.wait_for(RUNNING)]).group(1))
                assert again <= total - 2, (total, again)
        final_start = build.started
        build.proc.wait(TIMEOUT)
        build.reader.join(30)
    finally:
        if build.proc.poll() is None:
            _bury(build.proc.pid, _started_by(build.proc.pid))
            build.proc.wait(30)
    seconds = time.monotonic() - final_start
    assert build.proc.returncode == 0, build.text()[-3000:]

    # The last build reused everything the killed ones had finished: nothing was made again.
    made = MADE.search(build.text())
    assert made, build.text()[-2000:]
    stats = {k: int(v) for k, v in made.groupdict().items()}
    assert stats == {"notebooks_run": 0, "editions_built": 0, "pdfs_built": 0, "docx_built": 0,
                     "notebooks_cached": total, "editions_cached": 2, "pdfs_cached": 2, "docx_cached": 2}, stats
    print(f"\nkilled in each step, running at the kill: {at_kill}; still running when the next build "
          f"took the lock: {at_lock}; "
          f"the build after the last kill took {seconds:.1f} s ({stats})")

    # What it published is whole: both editions, PDFs and Word files that open; nothing left over.
    site = out / STAGE
    assert _hashes(site) != good and _staging(out) == []
    for lang in ("zh", "en"):
        assert (site / "html" / lang / "index.html").is_file()
    pdfs, docs = sorted((site / "pdf").glob("*.pdf")), sorted((site / "docx").glob("*.docx"))
    assert len(pdfs) == 2 and len(docs) == 2
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert len(text) > 1000, pdf.name
    for doc in docs:
        with zipfile.ZipFile(doc) as z:
            assert z.testzip() is None and "word/document.xml" in z.namelist()
