"""Image Notify, query jitter, periodic queries and hardware ranges (SECMP7-NTFY, issue 16): the
statistical bounds, the feature's parameters, and every scenario of features/image_notify.feature
against the reference device in process and over TCP (``hanota serve-device``) with a PICS that
declares the periodic query, with the same verdicts.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hanota.conformance import params as p
from hanota.conformance.harness.notify import ALPHA, binomial_bounds
from hanota.conformance.pics import PicsError, load_pics, reference_pics
from hanota.protocol.errors import HarnessUsageError
from tests.test_suite_over_tcp import run_suite, serve_device, verdicts

DAY_MS = 86_400_000
PICS = f"""[device]
kind = "ppmid"
manufacturer_code = 0x1234
image_type = 0x0101
file_version = 0x00000100

[features]
fragmentation = true
resume = true
consumer_refusal = true
periodic_query = true

[timing]
query_interval_ms = {DAY_MS}
"""


@pytest.mark.parametrize(("n", "p"), [(200, 0.2), (200, 0.5), (200, 0.8), (50, 0.1)])
def test_binomial_bounds_leave_a_conforming_device_out_only_rarely(n: int, p: float) -> None:
    lo, hi = binomial_bounds(n, p)
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    assert sum(pmf[:lo]) <= ALPHA and sum(pmf[hi + 1:]) <= ALPHA
    assert sum(pmf[:lo + 1]) > ALPHA and sum(pmf[hi:]) > ALPHA  # the tightest such bounds
    assert lo <= n * p <= hi


def test_the_scenarios_bounds_fail_a_device_that_ignores_the_jitter_or_never_answers() -> None:
    for jitter in (20, 50, 80):
        lo, hi = binomial_bounds(200, jitter / 100)
        assert 0 < lo and hi < 200, (jitter, lo, hi)


def test_notify_fields_parse_in_order_and_say_what_is_wrong() -> None:
    fields = p.parse_notify_fields("the device's manufacturer code, the wildcard image type, "
                                   "an older file version")
    assert fields == p.NotifyFields(p.NotifyField.OWN, p.NotifyField.WILDCARD, p.NotifyVersion.OLDER)
    assert fields.payload_type == 3
    assert p.parse_notify_fields("nothing").payload_type == 0
    for bad in ("another image type", "the device's manufacturer code, the device's manufacturer code",
                "a newer manufacturer code", "the device's manufacturer code; another image type"):
        with pytest.raises(HarnessUsageError, match="is not understood"):
            p.parse_notify_fields(bad)
    assert p.parse_addressing("unicasts") is False
    with pytest.raises(HarnessUsageError, match="'broadcasts' or 'unicasts'"):
        p.parse_addressing("multicasts")


def test_the_query_interval_is_declared_in_the_pics_up_to_a_month(tmp_path: Path) -> None:
    path = tmp_path / "pics.toml"
    path.write_text(PICS.replace(str(DAY_MS), str(7 * DAY_MS)), encoding="utf-8")
    pics = load_pics(path)
    assert pics.supports("periodic_query") and pics.timing.query_interval_ms == 7 * DAY_MS
    path.write_text(PICS.replace(str(DAY_MS), str(32 * DAY_MS)), encoding="utf-8")
    with pytest.raises(PicsError, match=r"\[timing\] query_interval_ms: 2764800000 is outside"):
        load_pics(path)
    # the built-in reference device queries only when notified: it declares no periodic query
    assert not reference_pics().supports("periodic_query")


@pytest.mark.slow
def test_every_notify_scenario_passes_in_process_and_over_tcp_alike(tmp_path: Path) -> None:
    pics = tmp_path / "periodic.toml"
    pics.write_text(PICS, encoding="utf-8")
    select = ["--hanota-requirements", "SECMP7-NTFY", f"--hanota-pics={pics}"]
    with serve_device(tmp_path, "--query-interval-ms", str(DAY_MS)) as url, \
            ThreadPoolExecutor(max_workers=2) as pool:
        over_tcp = pool.submit(run_suite, tmp_path, "tcp", *select, f"--hanota-dut={url}")
        in_process = pool.submit(run_suite, tmp_path, "in-process", *select)
        tcp, ref = over_tcp.result(), in_process.result()
    want, got = verdicts(ref), verdicts(tcp)
    assert len(want) == 26, ref["_output"]
    assert set(want.values()) == {"pass"}, f"{want}\n{ref['_output']}"
    assert got == want, f"over TCP: {got}\n{tcp['_output']}"
