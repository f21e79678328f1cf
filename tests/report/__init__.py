"""Tests of the published report. Fixtures are small synthetic results.json files, so these
tests never depend on the whole suite running."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hanota.conformance.report.render import RequirementInfo

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'

CATALOGUE = [
    RequirementInfo("SECMP7-IMG-001", "IMG", "mandatory", "At the limit", "minutes §1.2", "Accept 750 kB.",
                    "limited to 750 kilobytes (kB)"),
    RequirementInfo("SECMP7-IMG-002", "IMG", "mandatory", "Above the limit", "minutes §1.2", "Refuse more."),
    RequirementInfo("SECMP7-FRAG-001", "FRAG", "optional", "Fragments", "minutes §1.2", "Reassemble."),
    RequirementInfo("SECMP7-AUTH-001", "AUTH", "mandatory", "Signed", "domain.md §3", "Verify it."),
    RequirementInfo("SECMP7-OTA-001", "OTA", "mandatory", "Query", "domain.md §3", "Ask for the image."),
    # Never exercised by any scenario: must be shown not tested.
    RequirementInfo("SECMP7-INV-001", "INV", "mandatory", "Inventory", "minutes §1.2", "Record it."),
]


def scenario(n: int, verdict: str, reqs: list[str], **kw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "nodeid": f"steps/test_scenarios.py::test_scenario_{n}", "feature": "Image size limit",
        "scenario": f"Scenario number {n}", "requirements": reqs, "verdict": verdict, "reason": "",
        "duration_s": 0.01, "steps": [{"keyword": "Given", "text": "a device", "status": "passed"}],
        "evidence": [],
    }
    s.update(kw)
    return s


FAILING = scenario(
    2, "fail", ["SECMP7-IMG-002"],
    scenario="An image one byte above the limit is refused",
    reason="AssertionError: the device accepted an image of 768,001 bytes\nassert True is False",
    steps=[{"keyword": "Given", "text": "a PPMID", "status": "passed"},
           {"keyword": "Then", "text": "the device refuses the image", "status": "failed",
            "error": "the device accepted an image of 768,001 bytes"}],
    evidence=[
        {"time_ms": 0, "direction": "hub→device", "cluster": "0x0019", "hex": "1901020304aabb",
         "decoded": {"command": "image_notify", "payload_type": 0}},
        {"time_ms": 12, "src": "0011223344556601", "dst": "hub", "cluster": "0x0019",
         "hex": HOSTILE, "decoded": HOSTILE},
    ],
)


def results(scenarios: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A results.json payload shaped as conformance/verdicts.py writes it."""
    from hanota.conformance.verdicts import ScenarioResult, Verdict, counts, requirement_verdicts

    scen = scenarios if scenarios is not None else [
        scenario(1, "pass", ["SECMP7-IMG-001"]),
        FAILING,
        scenario(3, "not-applicable", ["SECMP7-FRAG-001"], reason="no fragmentation"),
        scenario(4, "error", ["SECMP7-AUTH-001"], reason="TimeoutError: the device did not answer"),
        scenario(5, "not-tested", ["SECMP7-OTA-001"], reason="deselected"),
        scenario(6, "pass", ["SECMP7-OTA-001", "SECMP7-IMG-001"], scenario=HOSTILE,
                 steps=[{"keyword": "When", "text": HOSTILE, "status": "passed"}]),
    ]
    objs = [ScenarioResult(s["nodeid"], s["feature"], s["scenario"], s["requirements"], Verdict(s["verdict"]))
            for s in scen]
    reqs = requirement_verdicts([r.id for r in CATALOGUE if r.id != "SECMP7-INV-001"], objs)
    return {
        "suite_version": "0.1.0", "finished_at": "2024-05-01T10:00:00Z", "dut": "reference",
        "rules": "wg-2016", "seed": 0,
        "pics": {"kind": "ppmid", "manufacturer_code": "0x1234", "image_type": "0x0101",
                 "file_version": "0x00000100", "hardware_version": 1, "eui64": "0011223344556601",
                 "features": [], "max_image_bytes": 768000, "source": "test PICS"},
        "scenarios": scen,
        "requirements": [{"requirement": r.requirement, "verdict": r.verdict.value, "scenarios": r.scenarios}
                         for r in reqs],
        "scenario_counts": dict(counts(Verdict(s["verdict"]) for s in scen)),
        "requirement_counts": dict(counts(r.verdict for r in reqs)),
    }


def make_report_dir(path: Path, payload: dict[str, Any] | None = None) -> Path:
    """A report directory as `hanota run` leaves it, before rendering and signing."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "results.json").write_text(json.dumps(payload or results(), indent=2), encoding="utf-8")
    (path / "junit.xml").write_text('<?xml version="1.0"?><testsuites tests="6"/>\n', encoding="utf-8")
    allure = path / "allure-results"
    allure.mkdir(exist_ok=True)
    (allure / "0a1b-result.json").write_text('{"name": "Scenario number 1", "status": "passed"}')
    (allure / "0a1b-attachment.txt").write_bytes(bytes(range(256)))
    return path


class Page(HTMLParser):
    """Collects the report's machine-checkable parts: elements with their attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.stack: list[dict[str, Any]] = []
        self.texts: dict[int, list[str]] = {}
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "script":
            self.scripts += 1

    def handle_data(self, data: str) -> None:
        self.texts.setdefault(len(self.elements) - 1, []).append(data)

    def with_attr(self, name: str) -> list[tuple[str, dict[str, str]]]:
        return [(t, a) for t, a in self.elements if name in a]

    def text(self) -> str:
        return " ".join(x for v in self.texts.values() for x in v)


def parse(html_text: str) -> Page:
    p = Page()
    p.feed(html_text)
    p.close()
    return p
