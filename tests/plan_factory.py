"""Plan text exports in the official format, for parser tests (see reportkit.inputs.synthetic)."""

from reportkit.inputs.synthetic import annex_block, main_table, plan_text

__all__ = ["annex_block", "main_table", "plan_text"]
