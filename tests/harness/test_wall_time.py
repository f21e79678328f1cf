"""A wall-time device through the harness: the clock follows the wall clock, waits are bounded by
the PICS timing, and a wait beyond ``max_wall_wait_ms`` is not applicable (never a hang)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hanota.conformance import params as p
from hanota.conformance.adapters import WallClockAdapter, WallTimeBoundError
from hanota.conformance.adapters.server import BridgeServer
from hanota.conformance.harness import Harness
from hanota.conformance.pics import PicsError, Timing, load_pics, reference_pics

TIMING = Timing(response_timeout_ms=1_500, max_wall_wait_ms=1_000, max_download_ms=20_000)


@pytest.fixture
def harness() -> Iterator[Harness]:
    with BridgeServer(WallClockAdapter(), poll_s=0.01) as srv:
        pics = dataclasses.replace(reference_pics(), timing=TIMING)
        h = Harness(pics=pics, dut=srv.url)
        h.premises("Supplier A", "Supplier B")
        h.pair(None)
        yield h
        h.close()


def test_the_clock_follows_the_wall_and_short_waits_are_waited(harness: Harness) -> None:
    assert harness.wall_time
    start, wall = harness.clock.now_ms, time.monotonic()
    harness.advance(300)
    assert harness.clock.now_ms - start >= 300
    assert 0.29 <= time.monotonic() - wall < 1.0


def test_a_wait_beyond_the_pics_bound_is_not_applicable_at_once(harness: Harness) -> None:
    wall = time.monotonic()
    with pytest.raises(WallTimeBoundError, match="max_wall_wait_ms"):
        harness.advance(86_400_000)
    assert time.monotonic() - wall < 0.5


def test_a_download_on_wall_time_runs_to_its_end_showing_progress(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hanota.conformance.harness.clock.PROGRESS_EVERY_S", 0.05)
    lines: list[str] = []
    harness.progress = lines.append
    harness.make_image("new", p.parse_size("4 kB"), p.Relation.NEWER)
    harness.set_upgrade_time(p.parse_upgrade_time("now"))  # not the GB hub's "wait", then activate
    harness.offer("new")
    harness.run_download_to_end()
    assert lines and "download of image 'new'" in lines[-1] and "of 4,096 bytes served" in lines[-1]
    assert harness.check_block_requests("new") is None
    assert harness.current_file_version() == harness.version_of("new")


def test_pics_timing_bounds_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    head = '[device]\nkind = "ppmid"\nmanufacturer_code = 1\nimage_type = 1\nfile_version = 1\n'
    path.write_text(head + "[timing]\nmax_wall_wait_ms = 0\n", encoding="utf-8")
    with pytest.raises(PicsError, match=r"\[timing\] max_wall_wait_ms must be at least 1 ms"):
        load_pics(path)
    path.write_text(head + "[timing]\nmax_download_ms = 90000000\n", encoding="utf-8")
    with pytest.raises(PicsError, match="max_download_ms"):
        load_pics(path)
    path.write_text(head + "[timing]\nmax_wall_wait_ms = 5000\n", encoding="utf-8")
    assert load_pics(path).timing.max_wall_wait_ms == 5_000


def test_a_wall_time_wait_is_never_silent(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hanota.conformance.harness.clock.PROGRESS_EVERY_S", 0.1)
    lines: list[str] = []
    harness.progress = lines.append
    harness.advance(700)
    assert len(lines) >= 2, lines  # one every PROGRESS_EVERY_S, though no frame comes
    assert all(line.startswith("waiting for 0.7 s to pass on the device's wall clock: ") for line in lines)
    assert "s elapsed" in lines[-1] and "s to go" in lines[-1]


def test_a_progress_line_says_when_the_frame_count_does_not_move(harness: Harness) -> None:
    seen = [len(harness.network.log)]
    line = harness.time.progress_line(None, 12.0, seen, quiet_ms=1_500, max_ms=20_000)
    assert "no new frame since the last line" in line and "after 12 s" in line
    assert "ends after 1.5 s without a frame, fails after 20 s" in line
