"""Sphinx extension: Chinese search that finds the catalogue's own names.

Sphinx segments the Chinese edition's search index with jieba but sends the query unsegmented,
so a query such as 小区 or 公积金 (one "word" to the browser, several to jieba) found
nothing. Here:

* the index is segmented with the plan's names (indicators, programmes, districts) added to
  jieba's dictionary (``html_search_options["dict"]``, written by ``reportkit build``), so
  每个名称 is also one term of the index;
* a long word of the index also yields the dictionary words and the two-character words inside
  it (a programme name → its words: 改造, 小区, …), so a part of a name finds the name;
* the query is segmented in the browser against the very terms of that index (longest match
  first), so query and index are cut the same way; characters that no term covers are
  dropped rather than making every search fail.
"""

from __future__ import annotations

import html
import re
from typing import Any

from docutils import nodes
from sphinx.search import IndexBuilder, languages
from sphinx.search.zh import JIEBA, SearchChinese

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_TAG = re.compile(r"<[^<]+?>")
_DROP = re.compile(r"<(style|script)\b.*?</\1>", re.I | re.S)

# Replaces Sphinx's default splitQuery (language_data.js is loaded before searchtools.js; the
# index is loaded before any query is parsed).
JS_SPLITTER = r"""
var splitQuery = (query) => {
  const parts = query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter(t => t);
  const index = (typeof Search !== "undefined" && Search._index) || null;
  if (!index) return parts;
  const known = (w) => Object.prototype.hasOwnProperty.call(index.terms, w)
    || Object.prototype.hasOwnProperty.call(index.titleterms, w);
  const out = [];
  for (const part of parts) {
    for (const run of part.split(/(\p{Script=Han}+)/u).filter(t => t)) {
      if (!/\p{Script=Han}/u.test(run)) { out.push(run); continue; }
      let i = 0;
      while (i < run.length) {
        let j = run.length;
        while (j > i + 1 && !known(run.slice(i, j))) j--;
        if (j > i + 1 || known(run.slice(i, j))) out.push(run.slice(i, j));
        i = j;
      }
    }
  }
  return out.length ? out : parts;
};
"""


class SearchChineseNames(SearchChinese):
    """Sphinx's Chinese search with a query splitter that matches the index's segmentation."""

    js_splitter_code = JS_SPLITTER

    def split(self, input: str) -> list[str]:
        words = super().split(input)
        if not JIEBA:
            return words
        import jieba

        freq = jieba.dt.FREQ  # jieba's dictionary, the plan's names included (load_userdict)
        inner = []
        for word in words:
            if len(word) > 2 and _HAN.fullmatch(word):
                for i in range(len(word) - 1):
                    for j in range(i + 2, len(word) + (0 if i == 0 else 1)):
                        if j - i == 2 or freq.get(word[i:j]):
                            inner.append(word[i:j])
        return words + inner


_collect = IndexBuilder._word_collector


def _word_collector(self: IndexBuilder, doctree: Any) -> Any:
    """Sphinx's word collector, given raw HTML whose tags read as spaces (not as nothing).

    A copy of the doctree is indexed: the page itself is already written, and stays as it is.
    """
    copy = doctree.deepcopy()
    for raw in list(copy.findall(nodes.raw)):
        if "html" in raw.get("format", "").split():
            text = html.unescape(_TAG.sub(" ", _DROP.sub(" ", raw.astext()))).replace("<", " ")
            raw.children = []
            raw.append(nodes.Text(text))
    return _collect(self, copy)


def setup(app: Any) -> dict[str, Any]:
    languages["zh"] = SearchChineseNames
    languages["zh_CN"] = SearchChineseNames
    IndexBuilder._word_collector = _word_collector
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
