"""The published context pickle depends only on content, not on the history of the process.

Two equal frames can pickle to different bytes: values left under missing entries of masked
(Int64) arrays, and attributes a masked dtype caches once someone asked for them. The build
pickles through ``_canonical_frames`` and ``_CanonicalPickler`` so rebuilds are byte-identical.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass

import pandas as pd

from reportkit.publishing.pipeline import _canonical_frames, _CanonicalPickler


@dataclass
class Holder:
    frame: pd.DataFrame
    extra: dict


def _dump(obj) -> bytes:
    buf = io.BytesIO()
    _CanonicalPickler(buf, protocol=4).dump(_canonical_frames(obj))
    return buf.getvalue()


def _frame(under_na: int) -> pd.DataFrame:
    arr = pd.array([7, None, 3], dtype="Int64")
    arr._data[1] = under_na  # what sits under the missing entry depends on how it was computed
    return pd.DataFrame({"rank": arr, "name": ["a", "b", "c"]})


def test_values_under_missing_entries_do_not_reach_the_bytes():
    a, b = _frame(1), _frame(123456)
    assert pickle.dumps(a) != pickle.dumps(b)  # the plain pickle shows the difference
    assert _dump(Holder(a, {"f": a})) == _dump(Holder(b, {"f": b}))


def test_a_dtype_that_cached_attributes_pickles_the_same():
    fresh = pd.DataFrame({"r": pd.array([1, 2], dtype=pd.Int64Dtype())})
    used = pd.DataFrame({"r": pd.array([1, 2], dtype=pd.Int64Dtype())})
    _ = used["r"].dtype.itemsize  # caches the attribute on this dtype instance
    if used["r"].dtype is not fresh["r"].dtype:
        assert pickle.dumps(fresh) != pickle.dumps(used)
    assert _dump(fresh) == _dump(used)


def test_canonical_pickle_loads_back_equal():
    a = _frame(99)
    back = pickle.loads(_dump({"x": a}))["x"]
    assert back.equals(a) and str(back["rank"].dtype) == "Int64" and back["rank"].isna().tolist() == [False, True, False]
