"""Certifying a manufacturer's device (issue 14), each run a real subprocess:

- its key: ``serve-device --public-key`` of a key the suite never saw, with the private half as
  PIXIT ``signing_key``, passes; with only supplied signed images: pass or not applicable with
  reasons, never fail; a mismatched pair stops at pre-flight with one line;
- its features: the minimal PICS and each optional item off give no fail, and the scenarios of
  the missing item are not applicable with the key spelled as in the file;
- its identity: a PICS that is not the device stops with one line; without a PICS the report
  shows what the device said;
- a dead device stops at pre-flight, a device killed mid-run stops the run cleanly with the
  affected scenario in error, Ctrl-C exits 130 with the report marked interrupted, and a re-run
  replaces the report directory.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hanota.conformance.pics import OPTIONAL_FEATURES
from hanota.protocol.ota_image import build_gbcs_image
from tests.mutants.runner import pytest_args, run_scenarios, short
from tests.test_suite_over_tcp import ROOT, _env, run_suite, serve_device, verdicts

DEVICE = ('[device]\nkind = "ppmid"\nmanufacturer_code = 0x1234\nimage_type = 0x0101\n'
          "file_version = 0x00000100\n")
#: Scenarios that need images the device accepts and refuses: activation, authenticity.
KEY_REQUIREMENTS = "SECMP7-ACT,SECMP7-AUTH-001"


def _hanota(tmp: Path, *args: str, timeout: int = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hanota", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=_env(tmp))


def _lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return (proc.stdout + proc.stderr).splitlines()


def _keys(tmp: Path, name: str) -> tuple[Path, Path, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = tmp / f"{name}.pem", tmp / f"{name}-pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public, key


def _pics(tmp: Path, text: str, name: str = "device.toml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _results(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "results.json").read_text(encoding="utf-8"))
    return data


# ------------------------------------------------------------------ the device's key
SIGN = ("import sys; from cryptography.hazmat.primitives import hashes, serialization; "
        "from cryptography.hazmat.primitives.asymmetric import ec; "
        "key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None); "
        "sys.stdout.buffer.write(key.sign(sys.stdin.buffer.read(), ec.ECDSA(hashes.SHA256())))")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["signing_key", "signing_command"])
def test_a_device_with_its_own_key_passes_when_the_suite_signs_with_it(tmp_path: Path, how: str) -> None:
    private, public, _ = _keys(tmp_path, "mfr")
    (tmp_path / "sign.py").write_text(SIGN, encoding="utf-8")  # stands for an HSM's client
    pixit = (f'signing_key = "{private.name}"' if how == "signing_key"
             else f"signing_command = '{sys.executable} sign.py {private.name}'")
    pics = _pics(tmp_path, DEVICE + f'public_key = "{public.name}"\n[features]\nfragmentation = true\n'
                 f"[pixit]\n{pixit}\n")
    with serve_device(tmp_path, "--public-key", str(public)) as url:
        data = run_suite(tmp_path, "own-key", f"--dut={url}", f"--pics={pics}", "--requirements",
                         KEY_REQUIREMENTS, "-m", "not slow", hanota_run=True)
    got = verdicts(data)
    assert len(got) >= 15, data["_output"]
    assert set(got.values()) == {"pass"}, f"{got}\n{data['_output']}"
    assert f"pixit.{how}" in data["pics"]["images"]


@pytest.mark.slow
def test_supplied_images_only_give_pass_or_not_applicable_with_reasons(tmp_path: Path) -> None:
    _, public, key = _keys(tmp_path, "mfr")
    for name, version in (("v2.bin", 0x200), ("v0.bin", 0x50)):
        (tmp_path / name).write_bytes(build_gbcs_image(
            manufacturer_code=0x1234, image_type=0x0101, file_version=version,
            manufacturer_image=bytes(range(256)) * 300, private_key=key))
    pics = _pics(tmp_path, DEVICE + f'public_key = "{public.name}"\n[features]\nfragmentation = true\n'
                 'resume = true\nconsumer_refusal = true\n'
                 '[pixit]\nnewer_image = "v2.bin"\nolder_image = "v0.bin"\n')
    with serve_device(tmp_path, "--public-key", str(public)) as url:
        data = run_suite(tmp_path, "supplied", f"--dut={url}", f"--pics={pics}",
                         "-m", "not load and not slow", hanota_run=True)
    got = verdicts(data)
    assert set(got.values()) == {"pass", "not-applicable"}, f"{got}\n{data['_output']}"
    assert sum(v == "pass" for v in got.values()) >= 15, got
    reasons = {r["reason"] for r in data["scenarios"] if r["verdict"] == "not-applicable"}
    assert all(reason for reason in reasons)
    said = "this run has the manufacturer's signed images pixit.newer_image (v2.bin)"
    assert any(said in r for r in reasons)


def test_a_mismatched_key_pair_stops_at_pre_flight_in_one_line(tmp_path: Path) -> None:
    private, _, _ = _keys(tmp_path, "mfr")
    _, other, _ = _keys(tmp_path, "other")
    pics = _pics(tmp_path, DEVICE + f'public_key = "{other.name}"\n[pixit]\nsigning_key = "{private.name}"\n')
    proc = _hanota(tmp_path, "run", "--pics", str(pics), "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == 2, proc.stderr
    assert _lines(proc) == [f"hanota run: pre-flight: an image signed with pixit.signing_key does not verify "
                            f"under the declared public key ([device] public_key in {pics}): the two keys "
                            "are not a pair"]
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------ the device's features
def _features(off: set[str]) -> str:
    return "[features]\n" + "".join(f"{name} = {'false' if name in off else 'true'}\n"
                                    for name in OPTIONAL_FEATURES)


@pytest.mark.slow
@pytest.mark.parametrize("off", ["minimal", *OPTIONAL_FEATURES])
def test_a_device_without_an_optional_feature_gets_not_applicable_never_fail(tmp_path: Path,
                                                                            off: str) -> None:
    """The minimal device runs every scenario; a device without one item runs the scenarios that
    need some item (``@pics-*``): with the full reference run, each scenario meets a device that
    lacks every item, one that lacks just the one, and one that has them all."""
    missing = set(OPTIONAL_FEATURES) if off == "minimal" else {off}
    text = DEVICE if off == "minimal" else DEVICE + _features(missing)
    pics = _pics(tmp_path, text)
    markers = "not load" if off == "minimal" else "pics and not load"
    run = run_scenarios(pytest_args(pics=str(pics), markers=markers))
    assert len(run.verdicts) >= (100 if off == "minimal" else 20), run.output
    bad = {short(n): v for n, v in run.verdicts.items() if v not in ("pass", "not-applicable")}
    assert not bad, f"{bad}\n{run.output}"
    for name in missing:
        spelled = f"PICS item '{name}'"
        assert any(r.startswith("the device does not declare ") and spelled in r
                   for r in run.reasons.values()), (name, run.output)
    if "fragmentation" in missing:
        frag = [n for n, reqs in run.requirements.items() if "SECMP7-FRAG-001" in reqs]
        assert frag and {run.verdicts[n] for n in frag} == {"not-applicable"}, frag


# ------------------------------------------------------------------ the device's identity
def test_a_device_that_is_not_the_one_declared_stops_at_pre_flight(tmp_path: Path) -> None:
    pics = _pics(tmp_path, DEVICE.replace("0x1234", "0x9999"))
    with serve_device(tmp_path) as url:
        proc = _hanota(tmp_path, "run", "--dut", url, "--pics", str(pics),
                       "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == 2, proc.stderr
    assert _lines(proc) == [f"hanota run: pre-flight: the device at {url} is not the one {pics} declares "
                            "(manufacturer_code: PICS 0x9999, device 0x1234)"]


def test_without_a_pics_the_report_shows_what_the_device_said(tmp_path: Path) -> None:
    with serve_device(tmp_path, "--image-type", "0x0101", "--file-version", "0x00000100") as url:
        data = run_suite(tmp_path, "no-pics", f"--dut={url}", "-k", "block_by_block_from_start",
                         hanota_run=True)
    assert data["pics"]["image_type"] == "0x0101" and data["pics"]["file_version"] == "0x00000100"
    assert "handshake" in data["pics"]["source"]
    html = (data["_dir"] / "report.html").read_text(encoding="utf-8")
    assert "PPMID 0x1234/0x0101 firmware 0x00000100" in html


# ------------------------------------------------------------------ a device that is gone
def test_a_dead_device_stops_at_pre_flight_in_one_line(tmp_path: Path) -> None:
    start = time.monotonic()
    proc = _hanota(tmp_path, "run", "--dut", "tcp://127.0.0.1:1", "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == 2
    lines = _lines(proc)
    assert len(lines) == 1 and lines[0].startswith("hanota run: pre-flight: no device under test at "
                                                   "tcp://127.0.0.1:1: cannot connect"), lines
    assert time.monotonic() - start < 30


@pytest.mark.slow
def test_a_device_killed_mid_run_stops_the_run_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "r"
    with serve_device(tmp_path) as url:
        proc = subprocess.Popen([sys.executable, "-m", "hanota", "run", "--dut", url, "--report-dir",
                                 str(out), "-m", "not load and not slow", "-p", "no:randomly"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=_env(tmp_path))
        time.sleep(8)  # some scenarios run; then the device goes away
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, output
    assert "Traceback" not in output and len(output.splitlines()) < 150, output
    data = _results(out)
    assert data["stopped"] and "the device under test is gone" in data["stopped"] and not data["interrupted"]
    errors = [r for r in data["scenarios"] if r["verdict"] == "error"]
    assert errors and all("DutDisconnectedError" in r["reason"] for r in errors), errors
    assert {r["verdict"] for r in data["scenarios"]} <= {"pass", "not-applicable", "error"}
    assert (out / "report.html").is_file() and (out / "manifest.json").is_file()


# ------------------------------------------------------------------ the report directory
def test_a_rerun_into_the_same_directory_replaces_the_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "latest"
    args = ("run", "--report-dir", str(out), "-k", "block_by_block_from_start")
    assert _hanota(tmp_path, *args).returncode == 0
    stale = out / "allure-results" / "stale-result.json"
    stale.write_text("{}", encoding="utf-8")
    proc = _hanota(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    assert "the previous report there is replaced" in proc.stderr
    assert not stale.exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not any("stale" in name for name in manifest["signed"]["files"])
    assert _hanota(tmp_path, "verify-report", str(out)).returncode == 0


def test_a_directory_of_other_files_is_replaced_only_with_force(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    args = ("run", "--report-dir", str(out), "-k", "block_by_block_from_start")
    proc = _hanota(tmp_path, *args)
    assert proc.returncode == 2 and _lines(proc) == [
        f"hanota run: --report-dir: {out} holds files that are not a hanota report; choose an empty "
        "directory, or add --force to replace them"]
    assert (out / "notes.txt").exists()
    assert _hanota(tmp_path, *args, "--force").returncode == 0
    assert not (out / "notes.txt").exists()


# ------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_exits_130_with_the_report_marked_interrupted(tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "hanota", "run", "--report-dir", str(out),
                             "-m", "not load"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=_env(tmp_path))
    assert proc.stdout is not None
    seen = ""
    # Read by character, not by line, so the interrupt comes early in the run; and after the
    # second scenario's mark, when the first one's result is surely recorded (a scenario's mark
    # is printed before the suite records its result).
    progress = "steps/test_scenarios.py "
    while progress not in seen or len(seen.split(progress, 1)[1]) < 2:
        char = proc.stdout.read(1)
        assert char, seen
        seen += char
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, seen + output
    data = _results(out)
    assert data["interrupted"] is True and data["scenarios"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "(interrupted)" in html and "the run was interrupted" in html


def test_not_applicable_scenarios_are_listed_under_their_titles(tmp_path: Path) -> None:
    pics = _pics(tmp_path, DEVICE)
    data = run_suite(tmp_path, "titles", f"--hanota-pics={pics}", "-m", "pics")
    titles = {r["scenario"] for r in data["scenarios"] if r["verdict"] == "not-applicable"}
    assert "The device installs an image sent as 3 fragments in the order 3,1,2" in titles, titles
    assert not any(t.startswith("test_") for t in titles), titles
