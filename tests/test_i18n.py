"""Every label exists in both languages; a missing translation is an error, never a fallback."""

from __future__ import annotations

import re

import pytest

from reportkit import i18n
from reportkit.config import LOCALES_DIR
from reportkit.vocab import LANGS


def test_every_key_in_both_languages():
    zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_same_groups_in_both_languages():
    assert sorted(p.name for p in (LOCALES_DIR / "zh").glob("*.yml")) == sorted(
        p.name for p in (LOCALES_DIR / "en").glob("*.yml"))


def test_placeholders_agree_between_languages():
    zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
    for key in zh:
        assert set(re.findall(r"{(\w+)", zh[key])) == set(re.findall(r"{(\w+)", en[key])), key


def test_no_empty_text():
    for lang in LANGS:
        assert [k for k, v in i18n.catalogue(lang).items() if not v.strip()] == []


def test_missing_key_raises():
    with pytest.raises(i18n.MissingTranslation):
        i18n.t("errors.no_such_key", "en")


def test_chinese_catalogue_is_chinese():
    # a copy-paste of English into zh files would pass the key checks; most zh texts contain CJK
    zh = i18n.catalogue("zh")
    cjk = [k for k, v in zh.items() if re.search(r"[\u4e00-\u9fff]", v)]
    assert len(cjk) >= 0.8 * len(zh)


def test_plan_catalogue_names_in_both_languages(dazhou_plan):
    for ind in dazhou_plan.indicators:
        assert ind.name["zh"] and ind.name["en"] and ind.unit["zh"] and ind.unit["en"]
        assert re.search(r"[\u4e00-\u9fff]", ind.name["zh"]) and not re.search(r"[\u4e00-\u9fff]", ind.name["en"])
    for name, labels in dazhou_plan.districts.items():
        assert labels["zh"] == name and labels["en"] and not re.search(r"[\u4e00-\u9fff]", labels["en"])
