"""The resilience scenarios' parts (features/resilience.feature): the interruption parameter and
the PICS declarations they read."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanota.conformance.harness.resilience import InterruptKind, parse_interruption
from hanota.conformance.pics import REFERENCE_RETRY_GIVE_UP_MS, load_pics, reference_pics
from hanota.protocol.errors import HarnessUsageError

HEAD = '[device]\nkind = "ppmid"\nmanufacturer_code = 1\nimage_type = 1\nfile_version = 1\n'


@pytest.mark.parametrize(("text", "kind"), [
    ("a power cycle of the device", InterruptKind.POWER_CYCLE),
    ("the hub falling silent", InterruptKind.HUB_SILENT),
    ('a restart of the hub lasting "10 seconds"', InterruptKind.HUB_RESTART),
    ('the hub offering image "newer"', InterruptKind.NEWER_OFFER),
])
def test_interruptions(text: str, kind: InterruptKind) -> None:
    got = parse_interruption(text)
    assert got.kind is kind
    if kind is InterruptKind.HUB_RESTART:
        assert got.outage is not None and got.outage.resolve({}) == 10_000
    if kind is InterruptKind.NEWER_OFFER:
        assert got.label == "newer"


@pytest.mark.parametrize("text", ["a power cut", "a restart of the hub", "the hub offering image newer"])
def test_an_unknown_interruption_is_one_usage_error_naming_the_forms(text: str) -> None:
    with pytest.raises(HarnessUsageError, match="is not understood; expected 'a power cycle of the device'"):
        parse_interruption(text)


def test_a_restart_with_no_duration_names_the_duration() -> None:
    with pytest.raises(HarnessUsageError, match=r"^duration 'soon' is not understood"):
        parse_interruption('a restart of the hub lasting "soon"')


def test_the_declarations_are_read_and_the_reference_states_its_own(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text(HEAD + "[features]\nresume = true\nresume_after_power_cycle = true\n"
                    "[timing]\nretry_give_up_ms = 45000\n", encoding="utf-8")
    pics = load_pics(path)
    assert pics.supports("resume-after-power-cycle") and pics.timing.retry_give_up_ms == 45_000
    path.write_text(HEAD, encoding="utf-8")
    assert load_pics(path).timing.retry_give_up_ms is None  # undeclared: RES-005 not applicable
    assert reference_pics().timing.retry_give_up_ms == REFERENCE_RETRY_GIVE_UP_MS == 20_000
    assert reference_pics().supports("resume_after_power_cycle")
