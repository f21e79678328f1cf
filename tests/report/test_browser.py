"""report.html in a real headless browser (Debian's chromium): opened from disk, it shows the
matrix and a failing scenario's evidence, its filters work, and the page makes no network request.

Network requests are read from chromium's own net log: a request the page starts carries the
page's origin as initiator (``null`` for file://); the browser's own background traffic carries
none. A control page with one external image proves the detector sees such a request.
Set HANOTA_SCREENSHOT_DIR to keep the screenshot (CI artifact, README picture).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hanota.conformance.report.manifest import write_manifest
from hanota.conformance.report.render import render_report

from . import CATALOGUE, make_report_dir

pytestmark = pytest.mark.slow


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not found: install Debian's 'chromium' package (apt-get install -y chromium)",
)


def browse(page: Path, tmp: Path, *mode: str) -> tuple[str, list[str]]:
    """Run chromium on ``page``; return stdout and the URLs the page itself requested."""
    assert CHROMIUM is not None
    netlog = tmp / f"net-{len(list(tmp.glob('net-*')))}.json"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'profile'}", f"--log-net-log={netlog}",
        # Nothing may leave the machine, whatever the browser itself would like to fetch.
        "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,2200", *mode, page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    raw = netlog.read_text(encoding="utf-8", errors="replace").rstrip()
    if not raw.endswith("}"):  # a log cut short: close the events list
        raw = raw.rstrip(",") + "]}"
    log = json.loads(raw)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page_requests = [
        e["params"]["url"] for e in log["events"]
        if names.get(e["type"]) == "URL_REQUEST_START_JOB"
        and e.get("params", {}).get("initiator", "not an origin") != "not an origin"
    ]
    return proc.stdout, page_requests


@pytest.fixture
def report(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    d = make_report_dir(tmp_path / "run")
    render_report(d, requirements=CATALOGUE, suite_commit="0123abc")
    write_manifest(d, signing_key=Ed25519PrivateKey.generate())
    return d / "report.html"


@needs_chromium
def test_report_opens_from_disk_shows_matrix_and_failing_evidence(report, tmp_path):
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"https?://", text, re.I)  # nothing to fetch, statically

    dom, requested = browse(report, tmp_path, "--dump-dom")
    assert requested == [], requested
    assert 'id="traceability-matrix"' in dom and 'data-req="SECMP7-INV-001"' in dom
    fail = re.search(r'<article [^>]*data-verdict="fail".*?</article>', dom, re.S)
    assert fail and "19 01 02 03 04 aa bb" in fail.group(0) and "768,001 bytes" in fail.group(0)
    assert "showing 6 of 6" in dom  # the inline script ran

    shot = tmp_path / "report.png"
    browse(report, tmp_path, f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    keep = os.environ.get("HANOTA_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report.png")


@needs_chromium
def test_verdict_filter_hides_by_css_alone(report, tmp_path):
    text = report.read_text(encoding="utf-8")
    unticked = report.with_name("filtered.html")
    unticked.write_text(text.replace('id="fv-pass" checked', 'id="fv-pass"'), encoding="utf-8")
    dom, _ = browse(unticked, tmp_path, "--dump-dom")
    # Two of the six scenarios passed; with "pass" unticked only four are laid out.
    assert "showing 4 of 6" in dom


@needs_chromium
def test_the_network_detector_sees_a_request(tmp_path):
    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><img src="http://192.0.2.1/x.png">', encoding="utf-8")
    _, requested = browse(control, tmp_path, "--dump-dom")
    assert requested == ["http://192.0.2.1/x.png"]
