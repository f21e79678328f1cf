"""The suite through a man in the middle that appends three octets to every frame the suite sends
the device (issue 16, "What must be shown"): against ``hanota serve-device`` it gives the same
verdicts as in-process, because the reference device ignores octets beyond the fields it knows as
the ZCL asks. The proxy is ``tests/bridge/mitm_proxy.py``.

The selection keeps it cheap and still carries every command the played hub sends the device:
SECMP7-OTA (Image Notify; Query Next Image Response SUCCESS, NO_IMAGE_AVAILABLE and raw; Image
Block Response SUCCESS, WAIT_FOR_DATA, ABORT and raw; Default Response to an Upgrade End Request
that is not SUCCESS; Read Attributes), SECMP7-ACT (Upgrade End Response: now, later, as an offset,
wait, and the further one) and SECMP7-ZCL (frames cut short, manufacturer-specific, undefined
command ids, Read Attributes of every attribute). And a device that refuses appended octets
(fault ``refuse-trailing-octets``) is failed through the proxy where it passes without it, so
the octets do reach the device.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_suite_over_tcp import DEVICE_SIDE, result, run_suite, serve_device, serving, verdicts

SELECTION = [*DEVICE_SIDE, "-m", "not load and not slow",
             "--hanota-requirements=SECMP7-OTA,SECMP7-ACT,SECMP7-ZCL", "-p", "no:xdist"]
#: passes against a device that refuses appended octets when nothing appends them
PLAIN_DOWNLOAD = "block_by_block_from_start"


def _through_mitm(tmp: Path, name: str, *select: str, fault: tuple[str, ...] = ()) -> dict[str, object]:
    with serve_device(tmp, *fault) as device, \
            serving("-m", "tests.bridge.mitm_proxy", device, tmp=tmp) as proxy:
        return run_suite(tmp, name, *select, f"--hanota-dut={proxy}")


@pytest.mark.slow
def test_three_octets_appended_to_every_frame_to_the_device_change_no_verdict(tmp_path: Path) -> None:
    ref = run_suite(tmp_path, "in-process", *SELECTION)
    mitm = _through_mitm(tmp_path, "mitm", *SELECTION)
    want, got = verdicts(ref), verdicts(mitm)
    assert len(want) >= 40, f"too few scenarios ran:\n{ref['_output']}"
    differ = {n: (want.get(n), got.get(n)) for n in set(want) | set(got) if want.get(n) != got.get(n)}
    assert not differ, f"verdicts differ (in-process, through the proxy): {differ}\n{mitm['_output']}"
    assert set(want.values()) <= {"pass", "not-applicable"}, want


@pytest.mark.slow
def test_a_device_that_refuses_appended_octets_is_failed_through_the_proxy(tmp_path: Path) -> None:
    fault = ("--fault", "refuse-trailing-octets")
    select = ("-k", PLAIN_DOWNLOAD, "-p", "no:xdist")
    with serve_device(tmp_path, *fault) as device:
        plain = run_suite(tmp_path, "plain", *select, f"--hanota-dut={device}")
    assert result(plain, PLAIN_DOWNLOAD)["verdict"] == "pass", plain["_output"]
    mitm = _through_mitm(tmp_path, "mitm", *select, fault=fault)
    assert result(mitm, PLAIN_DOWNLOAD)["verdict"] == "fail", mitm["_output"]
