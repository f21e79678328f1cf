"""Test tiers: a plain ``pytest`` runs the fast tier; ``pytest -m slow`` runs the slow one.

The slow tier (``@pytest.mark.slow``: the mutation table, whole-suite runs, the determinism
seeds, subprocess and browser tests) takes most of the time; CONTRIBUTING.md says when to run
it, and CI runs both. Any ``-m`` expression is the user's choice and is left alone
(``-m "slow or not slow"`` runs everything).
"""

from __future__ import annotations

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
