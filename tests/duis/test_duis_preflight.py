"""Pre-flight of a DUIS DCC test system: its address must accept a connection before any
scenario runs (no request is sent: every DUIS request is a Service Request with effects)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from hanota.conformance.cli import main
from hanota.conformance.preflight import PreflightError, check_dcc


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_listening_duis_address_passes_and_says_what_was_proven() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"duis+http://127.0.0.1:{server.getsockname()[1]}/duis"
        assert check_dcc(url) == "accepts connections (DUIS: no request sent before the run)"


def test_a_dead_duis_address_stops_the_run_in_one_line(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duis+http://127.0.0.1:{_dead_port()}/duis"
    with pytest.raises(PreflightError, match=re.escape(f"pre-flight: no DCC test system at {url}: ")):
        check_dcc(url)
    assert main(["run", "--dcc", url, "--report-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(f"hanota run: pre-flight: no DCC test system at {url}: "), err
    assert not any("answering" in line or "accepts" in line for line in err), err
    assert not (tmp_path / "r").exists()
