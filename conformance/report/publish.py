"""``hanota publish``: a static site listing many devices' reports, each signature checked.

Each report directory is copied under ``SITE_DIR/reports/<name>/`` and the *copy* is verified
against its manifest, so the page states the integrity of exactly what it publishes. With
trusted public keys given, a report signed by any other key is shown as untrusted.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .manifest import fingerprint, verify_manifest
from .render import LABELS, badge, esc, filter_controls, load_requirements, overall_verdict, page

__all__ = ["PublishedReport", "publish", "requirement_pass_rate"]

_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class PublishedReport:
    source: Path
    name: str
    device: str
    suite_version: str
    date: str
    verdict: str
    passed: int
    counted: int
    #: "valid", "untrusted" or "invalid".
    status: str
    status_text: str
    has_html: bool

    @property
    def pass_rate(self) -> str:
        if not self.counted:
            return "n/a"
        return f"{self.passed}/{self.counted} ({100 * self.passed / self.counted:.0f}%)"


def requirement_pass_rate(requirements: Sequence[Mapping[str, Any]],
                          levels: Mapping[str, str]) -> tuple[int, int]:
    """(passed, counted): requirements that apply to the device and call for a test.

    Not-applicable requirements and informative ones (nothing to test) are left out of the
    count; a not-tested requirement counts against the rate.
    """
    passed = counted = 0
    for r in requirements:
        v = str(r.get("verdict", ""))
        if v == "not-applicable" or levels.get(str(r.get("requirement")), "") == "informative":
            continue
        counted += 1
        passed += v == "pass"
    return passed, counted


def _unique(name: str, used: set[str]) -> str:
    base = _NAME.sub("_", name) or "report"
    out, i = base, 2
    while out in used:
        out, i = f"{base}-{i}", i + 1
    used.add(out)
    return out


def _status(copy: Path, trusted: Sequence[Ed25519PublicKey]) -> tuple[str, str]:
    res = verify_manifest(copy)
    if not res.valid:
        return "invalid", res.message()
    if not trusted:
        return "valid", f"signature valid; key recorded in the manifest {res.key_fingerprint}"
    for key in trusted:
        if verify_manifest(copy, key).valid:
            return "valid", f"signature valid; trusted key {fingerprint(key)}"
    return "untrusted", f"signed by a key that is not trusted here: {res.key_fingerprint}"


def publish(report_dirs: Sequence[Path], out: Path, *,
            trusted_keys: Sequence[Ed25519PublicKey] = ()) -> list[PublishedReport]:
    """Copy the reports under ``out/reports/``, verify each copy, write ``out/index.html``."""
    out = Path(out)
    (out / "reports").mkdir(parents=True, exist_ok=True)
    loaded = load_requirements()
    levels = {r.id: r.level for r in loaded[0]} if loaded else {}
    used: set[str] = set()
    listed: list[PublishedReport] = []
    for src in report_dirs:
        src = Path(src)
        name = _unique(src.resolve().name, used)
        dest = out / "reports" / name
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, symlinks=True)  # links are copied as links, and then refused
        try:
            data = json.loads((dest / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        pics = data.get("pics") if isinstance(data.get("pics"), dict) else {}
        assert isinstance(pics, dict)
        scen = [s for s in data.get("scenarios", []) or [] if isinstance(s, dict)]
        reqs = [r for r in data.get("requirements", []) or [] if isinstance(r, dict)]
        req_verdicts = {str(r.get("requirement")): str(r.get("verdict")) for r in reqs}
        for rid, level in levels.items():
            if level == "mandatory":
                req_verdicts.setdefault(rid, "not-tested")
        verdict = overall_verdict((str(s.get("verdict")) for s in scen), req_verdicts, levels)[0] \
            if data else "error"
        passed, counted = requirement_pass_rate(reqs, levels)
        status, text = _status(dest, trusted_keys)
        if not data:
            text = "no readable results.json; " + text
        listed.append(PublishedReport(
            source=src, name=name,
            device=(f"{str(pics.get('kind', '?')).upper()} manufacturer {pics.get('manufacturer_code', '?')}"
                    f", image type {pics.get('image_type', '?')}, firmware {pics.get('file_version', '?')}"),
            suite_version=str(data.get("suite_version", "")), date=str(data.get("finished_at", "")),
            verdict=verdict, passed=passed, counted=counted, status=status, status_text=text,
            has_html=(dest / "report.html").is_file(),
        ))
    _write_index(out / "index.html", listed, trusted_keys)
    return listed


_STATUS_CSS = """
.sig-valid{color:var(--pass);font-weight:600}.sig-invalid{color:var(--fail);font-weight:600}
.sig-untrusted{color:var(--nt);font-weight:600}
"""


def _write_index(path: Path, listed: Sequence[PublishedReport], trusted: Sequence[Ed25519PublicKey]) -> None:
    controls, css = filter_controls([])
    rows = []
    for r in listed:
        base = f"reports/{r.name}/"
        link = (f'<a href="{esc(base)}report.html">report</a>' if r.has_html
                else '<span class="note">no report.html</span>')
        rows.append(
            f'<tr class="filterable published" data-verdict="{esc(r.verdict)}" data-status="{esc(r.status)}">'
            f"<td>{esc(r.device)}</td><td>{esc(r.suite_version)}</td><td>{esc(r.date)}</td>"
            f"<td>{badge(r.verdict)}</td><td>{esc(r.pass_rate)}</td>"
            f'<td><span class="sig-{esc(r.status)}">{esc(r.status)}</span> '
            f'<span class="note">{esc(r.status_text)}</span></td>'
            f'<td>{link} · <a href="{esc(base)}manifest.json">manifest</a> · '
            f'<a href="{esc(base)}results.json">results</a></td></tr>')
    keys = ", ".join(fingerprint(k) for k in trusted) or "none given (each report's own recorded key)"
    body = (
        "<header><h1>Published conformance reports</h1>"
        f'<p class="note">{len(listed)} report(s). Trusted signing keys: {esc(keys)}. Each signature '
        "and every file's SHA-256 was checked when this page was built; check again with "
        "<code>hanota verify-report reports/NAME</code>. The requirement pass rate counts the "
        "requirements that apply to the device and call for a test (not informative, not "
        f"{esc(LABELS['not-applicable'].lower())}); one not tested counts against it.</p></header>"
        + controls
        + '<table id="published"><thead><tr><th>device</th><th>suite version</th><th>date</th>'
        "<th>verdict</th><th>requirement pass rate</th><th>signature</th><th>files</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>")
    path.write_text(page("Published conformance reports", body, extra_css=_STATUS_CSS + css),
                    encoding="utf-8")
