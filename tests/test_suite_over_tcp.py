"""The suite over the DUT bridge (issue 6, "What must be shown"), each run a real subprocess:

- the device-side scenarios give the same verdicts against ``hanota serve-device`` over TCP as
  in-process (the @slow size-limit downloads are left out: they alone would take a minute over
  TCP; ``bench/bench_suite.py`` runs the whole device side both ways);
- a device without the CONSUMER control makes consumer refusal *not applicable*, with the reason;
- a wall-time device (``serve-device --wall-clock``) is driven on wall time: short scenarios
  pass, scenarios that let more time pass than the PICS ``max_wall_wait_ms`` are not applicable;
- misbehaving bridges (silent, garbage, oversized, drop, flood, wrong ZCL sequence numbers) give
  the right verdict for the scenario they break, the next scenario reconnects and passes, the run
  ends with a complete results.json and report.html, and nothing hangs;
- ``-n 2`` (pytest-xdist) records every scenario, with the verdicts of a serial run, in-process
  and with one serve-device per worker (``--hanota-dut tcp://A,tcp://B``).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = str(ROOT / "steps" / "test_scenarios.py")
DEVICE_SIDE = ["-p", "tests.harness.side_filter", "--hanota-only-side", "device"]
RUN_TIMEOUT_S = 240


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp / "config"))
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


@contextmanager
def serving(*argv: str, tmp: Path, scheme: str = "tcp") -> Iterator[str]:
    """Run a server process that prints ``listening on SCHEME://...``; yield its URL."""
    proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=_env(tmp))
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, f"{argv} printed no address"
        line = proc.stdout.readline().strip()
        assert line.startswith(f"listening on {scheme}://"), line
        yield line.removeprefix("listening on ")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def serve_device(tmp: Path, *options: str) -> Any:
    return serving("-m", "hanota", "serve-device", "--listen", "127.0.0.1:0", "--kind", "ppmid",
                   *options, tmp=tmp)


def run_suite(tmp: Path, name: str, *args: str, hanota_run: bool = False) -> dict[str, Any]:
    """One suite run in a subprocess; its results.json (with the output, for messages)."""
    out = tmp / name
    out.mkdir(parents=True, exist_ok=True)
    if hanota_run:
        cmd = [sys.executable, "-m", "hanota", "run", "--report-dir", str(out), *args]
    else:
        cmd = [sys.executable, "-m", "pytest", SCENARIOS, f"--rootdir={ROOT}", "-p", "no:cacheprovider",
               "-q", f"--hanota-report-dir={out}", *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          env=_env(tmp))
    path = out / "results.json"
    assert path.is_file(), f"no results.json from {name}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data["_output"] = proc.stdout[-4000:] + proc.stderr[-2000:]
    data["_wall_s"] = time.monotonic() - start
    data["_dir"] = out
    return data


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    return {r["nodeid"].split("::")[-1]: r["verdict"] for r in data["scenarios"]}


def result(data: dict[str, Any], fragment: str) -> dict[str, Any]:
    found = [r for r in data["scenarios"] if fragment in r["nodeid"]]
    assert len(found) == 1, f"{fragment!r} matches {len(found)} scenarios: {verdicts(data)}"
    return found[0]


def _pics(tmp: Path, **timing: int) -> str:
    path = tmp / "device.toml"
    lines = ["[device]", 'kind = "ppmid"', "manufacturer_code = 0x1234", "image_type = 0x0101",
             "file_version = 0x00000100", "", "[features]", "fragmentation = true", "resume = true",
             "consumer_refusal = true", "", "[timing]", *(f"{k} = {v}" for k, v in timing.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ same verdicts over TCP
@pytest.mark.slow
def test_the_device_side_gives_the_same_verdicts_over_tcp_as_in_process(tmp_path: Path) -> None:
    select_ = [*DEVICE_SIDE, "-m", "not load and not slow"]
    with serve_device(tmp_path) as url, ThreadPoolExecutor(max_workers=2) as pool:
        over_tcp = pool.submit(run_suite, tmp_path, "tcp", *select_, f"--hanota-dut={url}")
        in_process = pool.submit(run_suite, tmp_path, "in-process", *select_)
        tcp, ref = over_tcp.result(), in_process.result()
    want, got = verdicts(ref), verdicts(tcp)
    assert len(want) >= 45, f"too few device-side scenarios ran:\n{ref['_output']}"
    differ = {n: (want.get(n), got.get(n)) for n in set(want) | set(got) if want.get(n) != got.get(n)}
    assert not differ, f"verdicts differ (in-process, over TCP): {differ}\n{tcp['_output']}"
    assert set(want.values()) <= {"pass", "not-applicable"}, want
    print(f"\n{len(want)} device-side scenarios: in-process {ref['_wall_s']:.1f} s, "
          f"over TCP {tcp['_wall_s']:.1f} s (run side by side)")


@pytest.mark.slow
def test_consumer_refusal_is_not_applicable_without_the_consumer_control(tmp_path: Path) -> None:
    with serve_device(tmp_path, "--no-consumer-refusal") as url:
        data = run_suite(tmp_path, "no-consumer", f"--hanota-dut={url}", "-k", "refused_upgrade")
    r = result(data, "refused_upgrade_is_not_activated")
    assert r["verdict"] == "not-applicable", r
    assert "consumer control" in r["reason"], r["reason"]


# ------------------------------------------------------------------ a device on wall time
WALL_SCENARIOS = ("image_notify_with_a_query_next or block_by_block_from_start or "
                  "not_running_before_its_upgrade or waits_for_the_hubs_command_before_activating")


@pytest.mark.slow
def test_a_wall_time_device_is_driven_on_wall_time_within_the_pics_bounds(tmp_path: Path) -> None:
    pics = _pics(tmp_path, response_timeout_ms=2_000, max_wall_wait_ms=3_000, max_download_ms=60_000)
    with serve_device(tmp_path, "--wall-clock") as url:
        data = run_suite(tmp_path, "wall", f"--hanota-dut={url}", f"--hanota-pics={pics}",
                         "-k", WALL_SCENARIOS)
    got = verdicts(data)
    assert len(got) == 4, data["_output"]
    for name in ("image_notify_with_a_query_next", "block_by_block_from_start",
                 "not_running_before_its_upgrade"):
        assert result(data, name)["verdict"] == "pass", (name, data["_output"])
    waits = result(data, "waits_for_the_hubs_command_before_activating")  # "24 hours" pass
    assert waits["verdict"] == "not-applicable", waits
    assert "86400000 ms" in waits["reason"] and "max_wall_wait_ms" in waits["reason"]
    assert data["_wall_s"] < 60


# ------------------------------------------------------------------ misbehaving devices
#: The first scenario downloads 20 kB and is broken mid-download; the two after it must pass.
MISBEHAVING_SCENARIOS = ("not_running_before_its_upgrade or image_notify_with_a_query_next or "
                         "block_by_block_from_start")
BROKEN = "not_running_before_its_upgrade"
EXPECTED = {  # mode -> (verdict of the broken scenario, words its reason must contain)
    "silent": ("fail", "DutSilentError"),
    "garbage": ("fail", "DutProtocolError"),
    "oversized": ("fail", "DutProtocolError"),
    "flood": ("fail", "flood"),
    "wrong-tsn": ("fail", "instead of"),
    "drop": ("error", "DutDisconnectedError"),
}


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(EXPECTED))
def test_a_misbehaving_device_gives_the_right_verdicts_and_a_complete_report(
        tmp_path: Path, mode: str) -> None:
    pics = _pics(tmp_path, response_timeout_ms=1_500)  # the reference device queries within 1 s
    with serving("-m", "tests.bridge.misbehaving_server", mode, tmp=tmp_path) as url:
        data = run_suite(tmp_path, mode, f"--dut={url}", f"--pics={pics}", "-k", MISBEHAVING_SCENARIOS,
                         hanota_run=True)
    got = verdicts(data)
    assert len(got) == 3, data["_output"]
    broken = result(data, BROKEN)
    verdict, words = EXPECTED[mode]
    assert broken["verdict"] == verdict and words in broken["reason"], (broken["verdict"], broken["reason"])
    assert any(e.get("kind") == "frame" for e in broken["evidence"]), "no evidence with the verdict"
    others = {n: v for n, v in got.items() if BROKEN not in n}
    assert set(others.values()) == {"pass"}, f"the next scenarios did not recover: {others}"
    assert (data["_dir"] / "report.html").is_file(), data["_output"]
    assert data["_wall_s"] < 60, f"the run took {data['_wall_s']:.0f} s"


# ------------------------------------------------------------------ parallel runs
QUICK = ("SECMP7-OTA", "SECMP7-AUTH", "SECMP7-ACT")


@pytest.mark.slow
def test_xdist_workers_report_every_scenario_with_the_serial_verdicts(tmp_path: Path) -> None:
    select_ = [*DEVICE_SIDE, "-m", "not load and not slow", f"--hanota-requirements={','.join(QUICK)}"]
    serial = run_suite(tmp_path, "serial", *select_)
    parallel = run_suite(tmp_path, "parallel", *select_, "-n", "2")
    assert len(verdicts(serial)) >= 20, serial["_output"]
    assert verdicts(parallel) == verdicts(serial), parallel["_output"]
    assert [r["verdict"] for r in parallel["requirements"]] == [r["verdict"] for r in serial["requirements"]]


@pytest.mark.slow
def test_one_device_per_xdist_worker_over_tcp(tmp_path: Path) -> None:
    select_ = [*DEVICE_SIDE, "-m", "not load and not slow", "--hanota-requirements=SECMP7-OTA,SECMP7-ACT"]
    serial = run_suite(tmp_path, "serial", *select_)
    with serve_device(tmp_path) as first, serve_device(tmp_path) as second:
        parallel = run_suite(tmp_path, "parallel", *select_, "-n", "2", f"--hanota-dut={first},{second}")
    assert verdicts(parallel) == verdicts(serial), parallel["_output"]


def test_more_workers_than_devices_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pytest", SCENARIOS, "-p", "no:cacheprovider", "-n", "3",
                           "--hanota-dut=tcp://127.0.0.1:1,tcp://127.0.0.1:2", "--co", "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env=_env(tmp_path))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "each worker needs its own device" in proc.stderr


# ------------------------------------------------- raw frames name the device's own image
@pytest.mark.slow
def test_raw_frames_name_the_image_offered_to_this_device(tmp_path: Path) -> None:
    """The raw Image Block Responses of SECMP7-OTA-002 name image "new" as built for the device
    under test, so on a device with another manufacturer code and image type they still test the
    offset and the size, not a foreign identity: a device that takes a misplaced or oversize block
    is caught, and the same device without the fault passes."""
    pics = tmp_path / "other.toml"
    pics.write_text("\n".join(["[device]", 'kind = "ppmid"', "manufacturer_code = 0x5678",
                               "image_type = 0x0A0B", "file_version = 0x00000100", ""]), encoding="utf-8")
    select_ = ("-k", "offset_it_did_not_ask_for or larger_than_it_asked_for", "-p", "no:xdist")
    identity = ("--manufacturer-code", "0x5678", "--image-type", "0x0A0B")
    with serve_device(tmp_path, *identity) as url:
        clean = run_suite(tmp_path, "clean", f"--hanota-dut={url}", f"--hanota-pics={pics}", *select_)
    assert sorted(verdicts(clean).values()) == ["pass", "pass"], clean["_output"]
    for fault, fragment in (("accept-misplaced-block", "offset_it_did_not_ask_for"),
                            ("accept-oversize-block", "larger_than_it_asked_for")):
        with serve_device(tmp_path, *identity, "--fault", fault) as url:
            data = run_suite(tmp_path, fault, f"--hanota-dut={url}", f"--hanota-pics={pics}", *select_)
        assert result(data, fragment)["verdict"] == "fail", (fault, data["_output"])
