"""The project's vocabulary, defined once: stages, languages, codes and the tidy table columns.

Every layer imports its codes from here, so a status, a grade or a column cannot be spelled two
ways. Their reader-facing texts live in the locales (``status.status.<code>`` …), keyed by these
codes.
"""

from __future__ import annotations

# Evaluation stages and editions.
# `annual` is the yearly monitoring report (年度监测报告): it is built for one year of the plan
# (`--year`), evaluated as an interim report at the end of that year (docs/method-extensions.md `annual`).
STAGES: tuple[str, ...] = ("midterm", "final", "annual")
ANNUAL_STAGE = "annual"
LANGS: tuple[str, ...] = ("zh", "en")

# Catalogue: how a target is read, its attribute in the plan, and where it comes from.
KINDS: tuple[str, ...] = ("cumulative", "level", "stock", "ceiling", "floor", "band", "growth", "qualitative")
# Kinds whose target is a limit to keep (a ceiling, a floor, a band), not a distance to cover:
# they are held or not, never "achieved ahead of time" or "exceeded".
LIMIT_KINDS: tuple[str, ...] = ("ceiling", "floor", "band")
ATTRIBUTES: tuple[str, ...] = ("anticipatory", "binding")
ATTRIBUTE_ZH: dict[str, str] = {"预期性": "anticipatory", "约束性": "binding"}
TIERS: tuple[str, ...] = ("main", "annex", "secondary")
# Units whose values are counts (households, units, rooms, loans, people): shown as whole
# numbers everywhere (never 55,279.5户). A unit counts when, without brackets, it is made of these
# characters only (户, 套（间）, 户（套）; not 万户 or 万笔, which are scaled).
COUNT_UNIT_CHARS: frozenset[str] = frozenset("户套间笔人个处栋")

# District types (catalogue `districts[].type`; `reportkit init` guesses them from the names):
# the whole city, the administrative units
# (区, 县, 县级市) and functional zones (高新区, 经开区), which are not counties, cities or districts.
DISTRICT_TYPES: tuple[str, ...] = ("city", "district", "county", "county_city", "development_zone")
ADMINISTRATIVE_TYPES: tuple[str, ...] = ("district", "county", "county_city")

# Status codes of METHOD.md §5 (plus the extensions `no_target` and the limit statuses `held`,
# `breached`, `above_band`, `below_band` of docs/method-extensions.md `limits`), in display order.
STATUS_CODES: tuple[str, ...] = (
    "achieved", "held", "ahead", "on_track", "lagging", "limited", "deteriorating",
    "breached", "above_band", "below_band", "not_scheduled", "no_target", "no_data",
)
# Statuses of limits (ceilings, floors, bands): held, or a deviation (a risk).
LIMIT_STATUSES: tuple[str, ...] = ("held", "breached", "above_band", "below_band")
# Codes with a progress meaning, worst to best: "more actual never lowers the rank".
STATUS_RANK: dict[str, int] = {
    "deteriorating": 0, "limited": 1, "lagging": 2, "on_track": 3, "ahead": 4, "achieved": 5,
}
# Statuses that need attention (the summary lists them first).
ATTENTION: tuple[str, ...] = ("lagging", "limited", "deteriorating", "breached", "above_band", "below_band")
GRADE_CODES: tuple[str, ...] = ("exceeded", "completed", "basically_completed", "not_completed")
INTERNATIONAL_CODES: tuple[str, ...] = (
    "on_track", "acceleration_needed", "limited_progress", "deterioration",
)
# Qualitative judgements, and the words the form accepts for each.
JUDGEMENTS: tuple[str, ...] = ("met", "partly", "not_met")
JUDGEMENT_WORDS: dict[str, str] = {
    "met": "met", "partly": "partly", "not_met": "not_met", "not met": "not_met",
    "partly met": "partly", "达到": "met", "部分达到": "partly", "未达到": "not_met",
}
# Status of a reported value, and the words the form accepts for each.
VALUE_STATUSES: tuple[str, ...] = ("final", "preliminary")
VALUE_STATUS_WORDS: dict[str, str] = {
    "final": "final", "preliminary": "preliminary", "正式": "final", "最终": "final",
    "终": "final", "初步": "preliminary", "初步数": "preliminary",
}

# The tidy actuals table: one row per value as reported (corrections are rows that name the
# location they replace).
TIDY_COLUMNS: list[str] = ["indicator", "district", "year", "value", "judgement", "source", "status",
                           "note", "replaces", "location", "illustrative"]
# The results table: one row per indicator × district.
RESULT_COLUMNS: list[str] = [
    "indicator", "indicator_zh", "indicator_en", "district", "district_zh", "district_en",
    "is_city", "tier", "kind", "attribute", "unit_zh", "unit_en", "value_unit_zh", "value_unit_en",
    "stage", "as_of", "time_progress", "planned_progress", "baseline", "baseline_year", "baseline_from", "target",
    "annex_target", "target_value", "band_lower", "band_upper", "expected", "actual", "actual_year",
    "actual_partial", "completion", "completion_annex",
    "schedule_ratio", "status", "reason", "warning", "grade", "grade_provisional", "required_pace", "pace_so_far",
    "acceleration", "projection", "projected_completion", "observed_rate", "required_rate",
    "international_ratio", "international_status", "missing_years", "unplanned_output",
    "judgement", "judged_on", "value_status", "sources", "corrections", "district_rank",
]

# The plan's task tree (``tasks.csv``, read by ``reportkit.inputs.tasks``): levels, outermost first.
TASK_LEVELS: tuple[str, ...] = ("chapter", "section", "task", "item")
TASK_COLUMNS: list[str] = ["id", "level", "parent", "title_zh", "title_en", "lead", "quote", "line"]
# Progress of a task or item as evaluators report it (the form's task sheet), best to worst, and
# the words the form accepts for each. `dropped` (不再实施) needs a reason.
TASK_PROGRESS: tuple[str, ...] = ("completed", "on_track", "lagging", "not_started", "dropped")
TASK_PROGRESS_WORDS: dict[str, str] = {
    "已完成": "completed", "按计划推进": "on_track", "进展滞后": "lagging", "尚未启动": "not_started",
    "不再实施": "dropped", "completed": "completed", "on track": "on_track", "on_track": "on_track",
    "lagging": "lagging", "not started": "not_started", "not_started": "not_started",
    "dropped": "dropped",
}
# The form's own word for each code (its drop-down list).
TASK_PROGRESS_ZH: dict[str, str] = {
    "completed": "已完成", "on_track": "按计划推进", "lagging": "进展滞后", "not_started": "尚未启动",
    "dropped": "不再实施",
}
# Progress that needs attention (listed first; feeds the problems and recommendations).
TASK_ATTENTION: tuple[str, ...] = ("lagging", "not_started")
# Tasks and items the form asks progress for.
TASK_REPORTED_LEVELS: tuple[str, ...] = ("task", "item")
# The progress table read from the form's task sheet: one row per reported task or item.
TASK_PROGRESS_COLUMNS: list[str] = ["task", "progress", "evidence", "lead", "as_of", "reason", "note",
                                    "location", "illustrative"]
# A task or item nobody reported on: missing, never counted as not started.
TASK_NO_REPORT = "no_report"

# The annual monitoring report (docs/method-extensions.md `annual`): the year's actual against the
# annex's plan for that year, per programme and district. Display order, best first.
ANNUAL_STATUSES: tuple[str, ...] = ("met", "short", "unplanned", "not_scheduled", "no_plan", "no_data")
# One row per annex indicator × district of the year (reportkit.evaluation.annual).
ANNUAL_COLUMNS: list[str] = [
    "indicator", "indicator_zh", "indicator_en", "annex", "district", "district_zh", "district_en", "is_city",
    "unit_zh", "unit_en", "year", "planned", "actual", "annual_completion", "annual_status",
    "planned_to_date", "actual_to_date", "completion", "schedule_ratio", "status",
]
# What changed since the previous year's report: one row per indicator × district.
CHANGE_COLUMNS: list[str] = [
    "indicator", "indicator_zh", "indicator_en", "district", "district_zh", "district_en", "is_city",
    "previous_status", "status", "status_changed", "previous_completion", "completion", "completion_change",
]
# Whether each indicator was reported for the year: one row per indicator.
REPORTED_COLUMNS: list[str] = [
    "indicator", "indicator_zh", "indicator_en", "tier", "city_reported", "districts_reported",
    "districts_expected", "missing_districts",
]
