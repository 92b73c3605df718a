"""Sphinx extension: Chinese search that finds the catalogue's own names.

Sphinx segments the Chinese edition's search index with jieba but sends the query unsegmented,
so a query such as 老旧小区 or 住房公积金 (one "word" to the browser, several to jieba) found
nothing. Here:

* the index is segmented with the plan's names (indicators, programmes, districts) added to
  jieba's dictionary (``html_search_options["dict"]``, written by ``reportkit build``), so
  每个名称 is also one term of the index;
* the query is segmented in the browser against the very terms of that index (longest match
  first), so query and index are cut the same way; characters that no term covers are
  dropped rather than making every search fail.
"""

from __future__ import annotations

from typing import Any

from sphinx.search import languages
from sphinx.search.zh import SearchChinese

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


def setup(app: Any) -> dict[str, Any]:
    languages["zh"] = SearchChineseNames
    languages["zh_CN"] = SearchChineseNames
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
