"""Progress lines of long downloads reach the terminal, also from an xdist worker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from hanota.steps.common import _terminal_line


class _Capture:
    def __init__(self) -> None:
        self.suspended = 0
        self.active = False

    @contextmanager
    def global_and_fixture_disabled(self) -> Iterator[None]:
        self.suspended += 1
        self.active = True
        yield
        self.active = False


class _Reporter:
    def __init__(self, capture: _Capture) -> None:
        self.capture, self.lines = capture, []  # type: ignore[var-annotated]

    def write_line(self, text: str) -> None:
        assert self.capture.active, "a progress line written while output capture was on"
        self.lines.append(text)


class _Config:
    def __init__(self, plugins: dict[str, Any], workerinput: dict[str, str] | None = None) -> None:
        self.pluginmanager = self
        self._plugins = plugins
        if workerinput is not None:
            self.workerinput = workerinput

    def getplugin(self, name: str) -> Any:
        return self._plugins.get(name)


def test_in_one_process_the_line_goes_to_the_terminal_reporter() -> None:
    capture = _Capture()
    reporter = _Reporter(capture)
    _terminal_line(_Config({"capturemanager": capture, "terminalreporter": reporter}))("12% of 750 kB")  # type: ignore[arg-type]
    assert reporter.lines == ["hanota: 12% of 750 kB"] and capture.suspended == 1


def test_an_xdist_worker_writes_to_stderr_with_capture_suspended(capsys: pytest.CaptureFixture[str]) -> None:
    capture = _Capture()
    config = _Config({"capturemanager": capture}, workerinput={"workerid": "gw1"})
    _terminal_line(config)("40% of 750 kB")  # type: ignore[arg-type]
    assert capture.suspended == 1  # without it the worker's capture would swallow the line
    assert capsys.readouterr().err == "hanota [gw1]: 40% of 750 kB\n"
