"""Bad input to the command line is one line and the documented exit code, never a traceback
(issue 14); private keys the commands write are readable by their owner only."""

from __future__ import annotations

import io
import os
import socket
import stat
import sys
from pathlib import Path

import pytest

from hanota.conformance import __version__
from hanota.conformance.cli import main
from hanota.conformance.report.manifest import load_or_create_installation_key


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"hanota {__version__}"


@pytest.mark.parametrize("argv, words", [
    (["spec", "--out", "{tmp}"], "is a directory"),
    (["publish", "--out", "{tmp}/file", "{tmp}/reports"], "a file, not a directory"),
    (["run", "--pics", "{tmp}"], "cannot read the PICS file: Is a directory"),
])
def test_a_bad_output_or_input_path_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    (tmp_path / "reports").mkdir()
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err


def test_a_negative_max_size_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "x.bin"
    image.write_bytes(b"\x00" * 64)
    with pytest.raises(SystemExit) as done:
        main(["inspect", "--max-size", "-5", str(image)])
    assert done.value.code == 2
    assert "argument --max-size: must be at least 1: '-5'" in capsys.readouterr().err


def test_serve_dcc_on_a_busy_port_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve-dcc", "--listen", f"127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"hanota serve-dcc: cannot listen on 127.0.0.1:{port}: "), err


class _ClosedPipe(io.StringIO):
    """stdout whose reader has gone away (``hanota inspect --json | head -1``)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return os.open(os.devnull, os.O_WRONLY)


@pytest.mark.parametrize("command", ["inspect", "verify-report"])
def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], command: str) -> None:
    payload, image = tmp_path / "payload", tmp_path / "x.bin"
    payload.write_bytes(b"\x01" * 64)
    assert main(["build-image", "--payload", str(payload), "--manufacturer-code", "0x1234", "--image-type",
                 "1", "--file-version", "2", "--out", str(image)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    argv = ["inspect", "--json", str(image)] if command == "inspect" else ["verify-report", str(tmp_path)]
    code = main(argv)
    assert code in (0, 1) and capsys.readouterr().err.count("\n") <= 1


def test_a_new_private_key_is_written_mode_0600(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = tmp_path / "payload"
    payload.write_bytes(b"\x01" * 64)
    key = tmp_path / "test-key.pem"
    assert main(["build-image", "--payload", str(payload), "--manufacturer-code", "0x1234", "--image-type",
                 "1", "--file-version", "2", "--new-key", str(key), "--out", str(tmp_path / "x.bin")]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "new test key written to" in capsys.readouterr().err


def test_the_installation_key_is_created_0600_and_announced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config" / "hanota" / "signing-key.pem"
    load_or_create_installation_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"created this installation's report-signing key {path}" in capsys.readouterr().err
    load_or_create_installation_key(path)
    assert capsys.readouterr().err == ""  # only the first run says so
