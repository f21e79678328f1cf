"""Root conftest: loads the step definitions (pytest-bdd registers steps only where they are
defined, so shared steps load through ``pytest_plugins``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance import plugin

pytest_plugins = ["steps.common", "steps.device_steps", "steps.dcc_steps"]


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Callable[..., object]) -> bool | None:
    # pytest-bdd's own implementation (getattr(pytest.mark, tag)) is registered before the
    # hanota plugin's and, the hook being firstresult, would win and trip --strict-markers.
    return plugin.pytest_bdd_apply_tag(tag, function)
