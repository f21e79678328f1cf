"""A pytest plugin for the suite's own tests: keep only the scenarios of one side.

``-p tests.harness.side_filter --hanota-only-side device`` deselects every scenario not tagged
``@side-device`` (pytest's ``-m`` cannot match a marker's argument).
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--hanota-only-side", default=None, choices=("device", "dcc"),
                     help="(suite self-test) keep only the scenarios of this side")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    side = config.getoption("--hanota-only-side")
    if not side:
        return
    keep = [i for i in items if any(str(m.args[0]) == side for m in i.iter_markers("side"))]
    drop = [i for i in items if i not in keep]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
