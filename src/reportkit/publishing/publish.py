"""Safe publishing: one build per stage at a time, leftovers cleaned, pages checked before publishing.

:func:`reportkit.publishing.pipeline.build` runs its steps under :func:`build_lock` and
:func:`interruptible`, and :func:`check_site` is its ``check`` step:

* **lock** — an exclusive ``flock`` on ``<out>/.<stage>.lock``. The kernel releases it when the
  holding process ends in any way (also SIGKILL), so a stale lock never blocks: the file may stay,
  the lock does not. A second build of the same stage and output folder stops at once with a
  located message in the user's language (who holds the lock and since when), exit 1. Workers
  a build forks never hold it (they close it at once) and end with the build, also when it was
  SIGKILLed (:func:`die_with_parent`), as does the Jupyter Book each edition runs.
* **leftovers** — under the lock no other build of the stage is running, so staging folders
  (``.<stage>-*``) left by a killed build are removed; if a build was killed between the two
  renames of publishing (old site moved aside, new one not yet in place), the old site is put back.
* **SIGTERM / Ctrl-C** — become ``SystemExit(143)`` / ``KeyboardInterrupt`` during the build, so the build's own clean-up runs
  (staging folder removed, the last good site untouched), as it does for Ctrl-C.
* **no markup from the inputs** — :func:`check_site` runs as the last build step, before the
  staging folder replaces the published one: any event-handler attribute, ``javascript:`` address,
  embedded frame/object, remote script, or inline script that is not one of the site's own stops
  the build with the page named. It is a last line of defence behind escaping, not a substitute.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import functools
import json
import os
import re
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reportkit.errors import Location, Problem, ReportkitError

GROUP = "publish"
_LOCK_FDS: set[int] = set()              # descriptors of the locks this process holds


_FORKED_BY: list[int] = []               # the pid of the process forking, while it forks


def die_with_parent(parent: int | None = None) -> None:
    """Have the kernel SIGKILL this process when its parent ends (Linux ``PR_SET_PDEATHSIG``;
    elsewhere nothing). A build's pool workers and the tools they run would otherwise live on,
    orphaned, after the build was SIGKILLed: idle workers forever, and a Jupyter Book still
    writing into the kept Sphinx folder the next build is using. ``parent``: the expected parent;
    if it is already gone (it died before the call), this process ends at once."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(1, signal.SIGKILL, 0, 0, 0)   # 1 = PR_SET_PDEATHSIG
    if parent is not None and os.getppid() != parent:
        os._exit(1)


@functools.cache
def _prctl() -> Any:
    """libc's ``prctl`` (Linux), or None. Looked up before forking, so a child does not load libraries."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _before_fork() -> None:
    _FORKED_BY[:] = [os.getpid()]
    if _LOCK_FDS:
        _prctl()


def _forget_locks_in_child() -> None:
    """In a forked child (pool workers of the editions and PDFs): close the inherited lock
    descriptors. A flock belongs to the open file, shared by every process holding a copy of
    the descriptor: a worker outliving a SIGKILLed build would otherwise keep the lock forever.
    A child forked while a build holds its lock (a build's worker) also ends with the build."""
    worker = bool(_LOCK_FDS)
    for fd in list(_LOCK_FDS):
        try:
            os.close(fd)
        except OSError:
            pass
    _LOCK_FDS.clear()
    if worker:
        die_with_parent(_FORKED_BY[0] if _FORKED_BY else None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_forget_locks_in_child)


def _alive(pid: Any) -> bool:
    """True when ``pid`` names a running process (or one we may not signal)."""
    if not isinstance(pid, int) or pid <= 0:
        return True   # unknown holder: assume alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
_SAFE_STAGE = re.compile(r"[a-z][a-z0-9_]*(-[0-9]{4})?")   # annual-2022: the annual edition of a year


def _problem(key: str, where: str | None, **params: Any) -> Problem:
    return Problem(key, Location(where) if where else None, params, group=GROUP)


def lock_path(root: Path | str, stage: str) -> Path:
    """The lock file of one stage's builds in an output root."""
    return Path(root) / f".{stage}.lock"


def _holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


@contextmanager
def build_lock(root: Path | str, stage: str, lang: str = "en") -> Iterator[Path]:
    """Hold the build lock of ``stage`` in ``root``; ReportkitError if another build holds it.

    On entry, leftovers of killed builds of this stage are cleaned (see :func:`recover`).
    """
    root = Path(root).resolve()
    if not _SAFE_STAGE.fullmatch(stage):   # build() reports a bad stage name before locking
        raise ValueError(f"not a stage name: {stage!r}")
    root.mkdir(parents=True, exist_ok=True)
    path = lock_path(root, stage)
    # O_CLOEXEC: no program a build starts (kernels, jupyter-book, fc-list) inherits the lock;
    # forked pool workers close it at once (_forget_locks_in_child).
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            info = _holder(fd)
            if info.get("pid") and not _alive(info.get("pid")):
                # Stale: the build that wrote its pid is dead, yet the lock is held (orphaned
                # children of an older build). Replace the lock file: the orphans keep the old one.
                os.close(fd)
                path.unlink(missing_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    exc = None
                except OSError as again:
                    if again.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                    info = _holder(fd)
            if exc is not None:
                _raise_running(root, stage, path, info, lang)
        _LOCK_FDS.add(fd)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps({"pid": os.getpid(), "stage": stage,
                                 "started": dt.datetime.now().isoformat(timespec="seconds")}).encode())
        try:
            recover(root, stage)
            yield root / stage
        finally:
            os.ftruncate(fd, 0)    # the file stays (removing it races with the next locker)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        _LOCK_FDS.discard(fd)
        os.close(fd)


def _raise_running(root: Path, stage: str, path: Path, info: dict[str, Any], lang: str) -> None:
    from reportkit.i18n import t

    raise ReportkitError(_problem(
        "build_running", str(root / stage), stage=stage, lock=str(path),
        pid=info.get("pid", t("publish.unknown", lang)),
        since=info.get("started", t("publish.unknown", lang)))) from None


def recover(root: Path | str, stage: str) -> list[Path]:
    """Clean what killed builds of ``stage`` left in ``root``; call only while holding its lock.

    A build killed between the two renames of publishing leaves no ``<root>/<stage>`` but an
    old site in ``.<stage>-old-<pid>``: that last good site is moved back first. Every other
    ``.<stage>-*`` folder (unfinished staging, old sites) is removed. Returns what was removed.
    """
    root = Path(root)
    final = root / stage
    olds = sorted((p for p in root.glob(f".{stage}-old-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    if not final.exists() and olds:
        os.replace(olds.pop(), final)
    removed = []
    for p in sorted(root.glob(f".{stage}-*")):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


class Interruption:
    """Which signal interrupted the block of :func:`interruptible`, if any."""

    signum: int | None = None


@contextmanager
def interruptible() -> Iterator[Interruption]:
    """Ctrl-C raises KeyboardInterrupt and SIGTERM SystemExit(143) inside the block (main thread
    only), so clean-up code runs; the signal is also recorded, because a library may swallow the
    exception it raised (openpyxl's parser does) and fail later with an unrelated error: the
    build then reports the interruption, not that error."""
    seen = Interruption()
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return

    def handler(signum: int, frame: Any) -> None:
        seen.signum = signum
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield seen
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def reraise_interruption(seen: Interruption) -> None:
    """Raise the interruption recorded in ``seen`` (called while handling another error)."""
    if seen.signum == signal.SIGINT:
        raise KeyboardInterrupt from None
    if seen.signum is not None:
        raise SystemExit(128 + seen.signum) from None


# ---- the check of the staged site -----------------------------------------------------------
URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
             "srcset", "ping", "cite")
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:application", "data:image/svg")
FOREIGN_TAGS = ("iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal")
# The site's own inline scripts (Sphinx, pydata/book theme, togglebutton, our charts). Anything
# else inside <script> came from somewhere it should not have.
OWN_SCRIPTS = [re.compile(p, re.S) for p in (
    r"\s*document\.documentElement\.dataset\.mode = localStorage\.getItem\(\"mode\"\) \|\| \"\w+\";"
    r"\s*document\.documentElement\.dataset\.theme = localStorage\.getItem\(\"theme\"\) \|\| \"\w+\";\s*",
    r"let toggleHint(?:Show|Hide) = '[^'\\<>]*';",
    r"let toggleOpenOnPrint = '(?:true|false)';",
    r"var togglebuttonSelector = '[^'\\<>]*';",
    r"DOCUMENTATION_OPTIONS\.pagename = '[\w./-]*';",
    r"DOCUMENTATION_OPTIONS\.search_as_you_type = (?:true|false);",
    r"kernelName = '[\w.-]+'",
    r"\s*// Activate the search field on page load\s*let searchInput = document\.querySelector\(\"form\.bd-search input\"\);"
    r"\s*if \(searchInput\) \{\s*searchInput\.focus\(\);\s*searchInput\.select\(\);"
    r"\s*console\.log\(\"\[PST\]: Set focus on search field\.\"\);\s*\}\s*",
)]
# reportkit.report.charts.Figure.html(): the spec in the middle must be one JSON value.
CHART_SCRIPT = re.compile(r'\(function\(\)\{var el=document\.getElementById\("vis-[\w-]+"\);vegaEmbed\(el,'
                          r'(?P<spec>.*),\{"renderer": "svg", "actions": false\}\)'
                          r'\.catch\(function\(e\)\{console\.error\(e\);\}\);\}\)\(\);', re.S)


# Elements that load a resource when the page is shown: it must come from the site itself
# (a remote image is a tracking pixel and breaks the "self-contained" promise).
EMBED_TAGS = ("img", "source", "video", "audio", "track", "input", "image", "picture", "link", "use")
EMBED_ATTRS = ("src", "srcset", "poster", "data-src", "xlink:href", "href")


def _external(url: str) -> bool:
    squeezed = re.sub(r"[\x00-\x20]+", "", url).lower()
    return bool(re.match(r"(https?:|ftp:|//|\\\\)", squeezed))


def _srcset_urls(text: str, attr: str) -> list[str]:
    if attr != "srcset":
        return [text]
    return [part.strip().split(" ")[0] for part in text.split(",") if part.strip()]


def _bad_url(value: str) -> bool:
    squeezed = re.sub(r"[\x00-\x20]+", "", value).lower()
    return squeezed.startswith(BAD_SCHEMES)


def _own_script(text: str) -> bool:
    if any(p.fullmatch(text) for p in OWN_SCRIPTS):
        return True
    m = CHART_SCRIPT.fullmatch(text)
    if not m:
        return False
    try:
        json.loads(m.group("spec"))
    except ValueError:
        return False
    return True


def page_findings(html: str) -> list[str]:
    """What in one HTML page looks like markup injected from the inputs (short descriptions)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    out: list[str] = []
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                out.append(f"<{tag.name} {name}=…>")
            elif name.lower() in URL_ATTRS and _bad_url(text):
                out.append(f"<{tag.name} {name}=\"{text[:40]}\">")
        if tag.name in EMBED_TAGS:
            for name in EMBED_ATTRS:
                value = tag.get(name)
                text = " ".join(value) if isinstance(value, list) else str(value or "")
                if any(_external(u) for u in _srcset_urls(text, name)):
                    out.append(f"<{tag.name} {name}=\"{text[:40]}\"> (external)")
        if tag.name in FOREIGN_TAGS:
            out.append(f"<{tag.name}>")
        elif tag.name == "meta" and str(tag.get("http-equiv", "")).lower() == "refresh":
            out.append("<meta http-equiv=refresh>")
        elif tag.name == "script":
            src = tag.get("src")
            if src is not None:
                if re.match(r"\s*([a-z][a-z0-9+.-]*:|//)", str(src), re.I):
                    out.append(f"<script src=\"{str(src)[:40]}\">")
            elif not _own_script(tag.string or ""):
                out.append(f"<script>{(tag.string or '').strip()[:40]}</script>")
    return out


def check_site(staging: Path, *, known_clean: Path | None = None, salt: str = "") -> None:
    """Refuse to publish a staged site whose pages carry markup from the inputs (a build step).

    ``known_clean``: a folder that remembers pages found clean, by the hash of their bytes and
    ``salt`` (the checking code's fingerprint), so a rebuild checks only the pages that changed:
    on a plan with a hundred districts the check costs seconds per build otherwise.
    """
    import hashlib

    html = Path(staging) / "html"
    problems: list[Problem] = []
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.relative_to(html).parts:
            continue   # theme template macros, not pages
        data = page.read_bytes()
        mark = None
        if known_clean is not None:
            mark = Path(known_clean) / hashlib.sha256(salt.encode() + b"\0" + data).hexdigest()[:40]
            if mark.is_file():
                continue
        found = dict.fromkeys(page_findings(data.decode("utf-8", errors="replace")))
        for what in found:
            problems.append(_problem("markup_injected", str(page.relative_to(staging)), what=what))
            if len(problems) >= 20:
                raise ReportkitError(problems)
        if mark is not None and not found:
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.write_bytes(b"")
    if problems:
        raise ReportkitError(problems)
