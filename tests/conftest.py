"""Test tiers: a plain ``pytest`` runs the fast tier; ``pytest -m slow`` runs the slow one.

The slow tier (``@pytest.mark.slow``: the mutation table, whole-suite runs, the determinism
seeds, subprocess and browser tests) takes most of the time; CONTRIBUTING.md says when to run
it, and CI runs both. Any ``-m`` expression is the user's choice and is left alone
(``-m "slow or not slow"`` runs everything).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest


def pytest_report_header(config: pytest.Config) -> str:
    if config.option.markexpr:
        return f"tier: as selected by -m {config.option.markexpr!r}"
    return "tier: fast (the slow tier runs with: pytest -m slow)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.option.markexpr:
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


class _MutationTable:
    """The mutation table (tests/mutants): each variant's test gives its row (a user property),
    assembled here, where the rows of every pytest-xdist worker arrive."""

    def __init__(self) -> None:
        self.rows: dict[int, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == "mutation_row" and report.when == "call":
                index, row = value
                self.rows[int(index)] = str(row)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        if not self.rows or hasattr(config, "workerinput"):
            return
        from tests.mutants.runner import TABLE_HEADER

        table = "\n".join([TABLE_HEADER, *(self.rows[i] for i in sorted(self.rows))])
        out = Path(tempfile.mkdtemp(prefix="hanota-mutation-")) / "mutation-table.md"
        out.write_text(table + "\n", encoding="utf-8")
        caught = sum("| caught |" in row for row in self.rows.values())
        terminalreporter.section("mutation table")
        if config.option.capture == "no":
            terminalreporter.write_line(table)
        terminalreporter.write_line(f"{caught} of {len(self.rows)} variants caught; the table: {out}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_MutationTable(), "hanota-mutation-table")
