"""What a rebuild reuses instead of redoing (issue 11): the page check remembers clean pages, the
Word step reuses the PDF step's print HTML and keeps chart pictures, and the print cleaner's own
selector matcher drops exactly what the general CSS selector engine would."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from reportkit.errors import ReportkitError
from reportkit.publishing import pdf_pages, publish

CLEAN_PAGE = "<html><body><article><h1>Report</h1><p>All fine.</p></article></body></html>"
BAD_PAGE = "<html><body><article><h1>Report</h1><img src=x onerror=alert(1)></article></body></html>"


def _staged(tmp_path, html: str):
    staging = tmp_path / "staging"
    (staging / "html" / "en").mkdir(parents=True, exist_ok=True)
    (staging / "html" / "en" / "index.html").write_text(html, encoding="utf-8")
    return staging


def test_the_page_check_remembers_clean_pages_only(tmp_path, monkeypatch):
    known = tmp_path / "checked"
    staging = _staged(tmp_path, CLEAN_PAGE)
    seen: list[str] = []
    real = publish.page_findings
    monkeypatch.setattr(publish, "page_findings", lambda html: seen.append(html) or real(html))
    publish.check_site(staging, known_clean=known, salt="code-1")
    publish.check_site(staging, known_clean=known, salt="code-1")
    assert len(seen) == 1 and len(list(known.iterdir())) == 1    # the same bytes: not read again
    publish.check_site(staging, known_clean=known, salt="code-2")
    assert len(seen) == 2                                          # other checking code: read again
    # A page with injected markup is refused every time and never remembered as clean.
    bad = _staged(tmp_path, BAD_PAGE)
    for _ in range(2):
        with pytest.raises(ReportkitError) as err:
            publish.check_site(bad, known_clean=known, salt="code-1")
        assert {p.key for p in err.value.problems} == {"markup_injected"}
    assert len(list(known.iterdir())) == 2


def test_the_print_cleaner_drops_what_the_selectors_say():
    """The hand matcher against soupsieve, on markup with every dropped kind, nested drops and
    near misses (a class that only starts like a dropped one, one class of a two-class selector)."""
    html = """<article>
      <div class="cell"><div class="cell_input">code</div><div class="cell_output">
        <div class="output stream">log</div><div class="output text_plain">repr</div>
        <div class="output text_html"><table><tr><td>kept</td></tr></table></div>
        <div class="stream">only one class of two: kept</div></div></div>
      <a class="headerlink" href="#x">¶</a><a class="headerlinkish" href="#y">kept</a>
      <details class="above-input"><summary>show</summary>code</details>
      <details class="rk-data"><summary>data</summary><table><tr><td>dup</td></tr></table></details>
      <span class="section-number">3.1</span><button>b</button><noscript>n</noscript>
      <div class="rk-noprint"><div class="rk-banner">nested</div></div><p class="rk-note">kept</p>
    </article>"""
    expected = BeautifulSoup(html, "lxml").select(", ".join(pdf_pages.DROP_SELECTORS))
    soup = BeautifulSoup(html, "lxml")
    mine = [el for el in soup.find_all(True) if pdf_pages._dropped(el)]
    assert [str(e) for e in mine] == [str(e) for e in expected]
    assert len(mine) == 11   # cell_input, 2 outputs, headerlink, 2 details, number, button, noscript, 2 nested
    pdf_pages._clean(soup.article)
    text = soup.get_text(" ", strip=True)
    assert "kept" in text and "only one class of two" in text and "headerlinkish" not in text
    for gone in ("code", "log", "repr", "¶", "dup", "3.1", "nested"):
        assert gone not in text.split(), gone


def test_a_selector_the_matcher_cannot_read_is_refused():
    with pytest.raises(ValueError):
        pdf_pages._compile(["div > p"])


def test_chart_pictures_are_kept_between_word_files(tmp_path, monkeypatch):
    import vl_convert as vlc

    from reportkit.publishing.docx_content import _CHART_SCALE, _Writer

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
           '<rect width="40" height="20" fill="#0b6"/></svg>')
    writer = _Writer.__new__(_Writer)        # only the picture cache is exercised
    writer.png_cache = tmp_path / "png"
    first = writer.svg_png(svg)
    assert first == vlc.svg_to_png(svg, scale=_CHART_SCALE) and first.startswith(b"\x89PNG")
    calls = []
    monkeypatch.setattr(vlc, "svg_to_png", lambda *a, **k: calls.append(a) or b"")
    assert writer.svg_png(svg) == first and calls == []            # read back, not drawn again
    assert writer.svg_png(svg.replace("#0b6", "#c00")) == b"" and len(calls) == 1   # another chart


def test_pdf_page_references_are_built_once_per_page_count_with_the_same_bytes(monkeypatch):
    """pydyf rebuilds the page-reference tuple on every access; the tagger reads it per element.
    The memo must leave the PDF byte for byte as it was, and call the original per page count only."""
    import pydyf
    from weasyprint import HTML

    from reportkit.publishing import pdf

    prop = pydyf.PDF.page_references
    original = getattr(prop.fget, "__wrapped__", prop.fget)
    calls = {"n": 0}

    def counted(self):
        calls["n"] += 1
        return original(self)

    counted.__qualname__ = "PDF.page_references"   # what the memo recognises as pydyf's own
    # a tagged document with links across pages: the tagger and the anchors both read the refs
    body = "".join(f'<h2 id="s{i}">Section {i}</h2><p><a href="#s{(i + 3) % 12}">see {i}</a></p>'
                   f'<table><tr><td>{i}</td><td>x</td></tr></table><p style="break-after: page">{"word " * 40}</p>'
                   for i in range(12))
    html = f"<html lang='en'><body>{body}</body></html>"

    def write() -> bytes:
        return HTML(string=html).render().write_pdf(pdf_tags=True, pdf_identifier=b"0" * 32)

    monkeypatch.setattr(pydyf.PDF, "page_references", property(counted))
    plain = write()
    plain_calls, calls["n"] = calls["n"], 0
    pdf._linear_page_references()
    assert getattr(pydyf.PDF.page_references.fget, "_reportkit", False)
    memo = write()
    assert memo == plain
    assert plain_calls > 5 * 12            # per element: the quadratic cost
    assert 0 < calls["n"] <= 12 + 2        # at most once per page count
    pdf._linear_page_references()          # a second call wraps nothing twice
    assert pydyf.PDF.page_references.fget.__wrapped__ is counted
