"""report.html states exactly the run's verdicts, escapes what it shows, loads nothing."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hanota.conformance.cli import main
from hanota.conformance.report.render import (
    MAX_FRAMES_SHOWN,
    ReportError,
    load_requirements,
    overall_verdict,
    plain_reason,
    render_report,
)
from hanota.conformance.report.spec import render_spec

from . import CATALOGUE, FAILING, HOSTILE, make_report_dir, parse, results, scenario


@pytest.fixture
def rendered(tmp_path):
    d = make_report_dir(tmp_path / "run")
    out = render_report(d, requirements=CATALOGUE, suite_commit="abc123")
    return d, out.read_text(encoding="utf-8")


def test_every_scenario_verdict_is_stated_none_lost_none_invented(rendered):
    d, text = rendered
    data = json.loads((d / "results.json").read_text())
    page = parse(text)
    shown = {a["data-nodeid"]: a["data-verdict"] for t, a in page.with_attr("data-nodeid") if t == "article"}
    assert shown == {s["nodeid"]: s["verdict"] for s in data["scenarios"]}
    assert len([1 for t, a in page.with_attr("data-nodeid") if t == "article"]) == len(data["scenarios"])


def test_every_requirement_verdict_is_stated_and_unexercised_ones_are_not_tested(rendered):
    d, text = rendered
    data = json.loads((d / "results.json").read_text())
    page = parse(text)
    shown = {a["data-req"]: a["data-verdict"] for t, a in page.with_attr("data-req")}
    expected = {r["requirement"]: r["verdict"] for r in data["requirements"]}
    expected["SECMP7-INV-001"] = "not-tested"  # in the catalogue, absent from the results
    assert shown == expected
    assert set(shown) == {r.id for r in CATALOGUE}
    assert shown["SECMP7-OTA-001"] == "pass"  # one pass and one not-tested scenario → pass
    row = re.search(r'<tr [^>]*data-req="SECMP7-INV-001".*?</tr>', text, re.S)
    assert row and "Not tested" in row.group(0) and "no executed scenario" in row.group(0)


def test_counts_and_overall_verdict_match_the_results(rendered):
    d, text = rendered
    data = json.loads((d / "results.json").read_text())
    rows = re.findall(r'<tr><td><span class="badge v-([a-z-]+)">[^<]*</span></td><td>(\d+)</td>'
                      r"<td>(\d+)</td></tr>", text)
    scen = {v: int(n) for v, n, _ in rows}
    reqs = {v: int(m) for v, _, m in rows}
    assert scen == data["scenario_counts"]
    assert reqs == {**data["requirement_counts"],
                    "not-tested": data["requirement_counts"]["not-tested"] + 1}
    assert 'id="overall-verdict">Error<' in text  # an error outranks the failure
    assert "abc123" in text and "0x1234" in text and "wg-2016" in text and "2024-05-01" in text


def test_failing_scenario_shows_the_assertion_in_plain_words_and_its_frames(rendered):
    _, text = rendered
    art = re.search(r'<article [^>]*data-nodeid="steps/test_scenarios.py::test_scenario_2".*?</article>',
                    text, re.S)
    assert art
    block = art.group(0)
    why = re.search(r'<div class="why">(.*?)<details>', block, re.S)
    assert why and "the device accepted an image of 768,001 bytes" in why.group(1)
    assert "AssertionError" not in why.group(1)
    assert "the device refuses the image" in why.group(1)  # the failing step, named
    assert "19 01 02 03 04 aa bb" in block and "image_notify" in block
    assert '<details class="evidence-block" open>' in block


def test_attacker_controlled_text_is_escaped(rendered):
    _, text = rendered
    page = parse(text)
    assert page.scripts == 1  # only the report's own
    assert not any(k.startswith("on") for _, a in page.elements for k in a)
    assert not any(t == "img" for t, _ in page.elements)
    assert HOSTILE in page.text()  # shown, as text


def test_no_external_resource(rendered):
    _, text = rendered
    assert not re.search(r"https?://", text, re.I)
    assert "@import" not in text and "url(" not in text
    for _, a in parse(text).elements:
        assert "src" not in a
        assert a.get("href", "#").startswith("#")


def test_evidence_is_capped_and_says_so(tmp_path):
    frames = [{"time_ms": i, "hex": "00" * 300, "decoded": "x"} for i in range(MAX_FRAMES_SHOWN + 5)]
    d = make_report_dir(tmp_path / "run", results([scenario(1, "fail", ["SECMP7-IMG-001"], evidence=frames)]))
    text = render_report(d, requirements=CATALOGUE).read_text()
    assert "5 of 305 frames are recorded in results.json only" in text
    assert "… 5 frame(s) not shown here (101 to 105)" in text
    # the last frame (often where a failure is) is shown, numbered as in results.json
    assert f"<tr><td>{MAX_FRAMES_SHOWN + 5}</td><td>{MAX_FRAMES_SHOWN + 4}</td>" in text
    assert "(44 more bytes in results.json)" in text


def test_same_results_render_the_same_bytes(tmp_path):
    d = make_report_dir(tmp_path / "run")
    a = render_report(d, requirements=CATALOGUE).read_bytes()
    assert render_report(d, requirements=CATALOGUE).read_bytes() == a


def test_missing_or_malformed_results_are_a_clear_error(tmp_path):
    with pytest.raises(ReportError, match=r"no results\.json"):
        render_report(tmp_path, requirements=CATALOGUE)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(ReportError, match="not valid JSON"):
        render_report(tmp_path, requirements=CATALOGUE)


@pytest.mark.parametrize(("scen", "reqs", "want"), [
    (["pass", "fail", "error"], {}, "error"),
    (["pass", "fail"], {}, "fail"),
    (["pass"], {"A": "not-tested"}, "not-tested"),  # a mandatory requirement left untested
    (["pass"], {"B": "not-tested"}, "pass"),  # an informative one does not count
    (["not-applicable"], {}, "not-applicable"),
    ([], {}, "not-tested"),
])
def test_overall_verdict(scen, reqs, want):
    assert overall_verdict(scen, reqs, {"A": "mandatory", "B": "informative"})[0] == want


def test_plain_reason():
    assert plain_reason("AssertionError: it broke\nassert 1 == 2") == "it broke"
    assert plain_reason("protocol.errors.DeviceViolationError: sent twice") == "sent twice"
    assert plain_reason("TimeoutError: silent") == "TimeoutError: silent"


def test_the_installed_catalogue_fills_the_matrix(tmp_path):
    loaded = load_requirements()
    if loaded is None:
        pytest.skip("no requirement catalogue installed")
    d = make_report_dir(tmp_path / "run")
    text = render_report(d).read_text()
    ids = {a["data-req"] for _, a in parse(text).with_attr("data-req")}
    assert {r.id for r in loaded[0]} <= ids


def test_hanota_report_rerenders_and_resigns(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    loaded = load_requirements()
    if loaded is None:
        pytest.skip("no requirement catalogue installed")
    d = make_report_dir(tmp_path / "run")
    assert main(["report", str(d)]) == 0
    assert (d / "report.html").is_file() and (d / "manifest.json").is_file()
    (d / "report.html").write_text("stale")
    assert main(["report", str(d)]) == 0  # report.html is what it regenerates
    assert main(["verify-report", str(d)]) == 0
    (d / "results.json").write_text(json.dumps(results([FAILING])))
    assert main(["report", str(d)]) == 1  # re-signing must not launder a changed result
    assert "results.json: changed since signing" in capsys.readouterr().err
    assert main(["report", str(d), "--force"]) == 0
    assert main(["report", str(tmp_path / "absent")]) == 2


FEATURE = """\
@side-device
Feature: Image size limit
  Images above 750 kB are never sent as one.

  Rule: No single image above the size limit
    @SECMP7-IMG-002 @pics-fragmentation
    Scenario Outline: An image <delta> byte(s) off the limit
      Given a PPMID with the reference PICS
      When the hub offers an image of <size> bytes
      Then the device refuses the image
        | field | value |
        | size  | <size> |

      Examples:
        | delta | size   |
        | +1    | 768001 |
"""


def test_spec_renders_catalogue_and_features_with_links(tmp_path):
    feats = tmp_path / "features"
    feats.mkdir()
    (feats / "image_size_limit.feature").write_text(FEATURE)
    (feats / "hostile.feature").write_text(f"Feature: {HOSTILE}\n  Scenario: x\n    Given {HOSTILE}\n")
    text = render_spec(tmp_path / "spec.html", requirements=CATALOGUE, family_titles={"IMG": "Size"},
                       features_dir=feats, suite_version="0.1.0").read_text()
    page = parse(text)
    reqs = {a["data-req"] for _, a in page.with_attr("data-req")}
    assert reqs == {r.id for r in CATALOGUE}
    row = re.search(r'<tr [^>]*data-req="SECMP7-IMG-002".*?</tr>', text, re.S)
    assert row and "An image &lt;delta&gt; byte(s) off the limit" in row.group(0)
    assert "the hub offers an image of &lt;size&gt; bytes" in text and "768001" in text
    assert "limited to 750 kilobytes (kB)" in text
    assert page.scripts == 1 and not re.search(r"https?://", text)
    hrefs = {a["href"] for _, a in page.with_attr("href")}
    ids = {a["id"] for _, a in page.with_attr("id")}
    assert all(h.startswith("#") and h[1:] in ids for h in hrefs)  # every link lands


def test_hanota_spec_command(tmp_path):
    if load_requirements() is None:
        pytest.skip("no requirement catalogue installed")
    out = tmp_path / "spec.html"
    assert main(["spec", "--out", str(out)]) == 0
    assert "traceability" not in out.read_text() and "SECMP7-IMG-001" in out.read_text()


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
_verdict = st.sampled_from(["pass", "fail", "error", "not-applicable", "not-tested"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(st.tuples(_verdict, st.sets(st.sampled_from([r.id for r in CATALOGUE]), max_size=3),
                                _text), max_size=12))
def test_any_results_are_stated_exactly(tmp_path_factory, specs):
    scen = [scenario(i, v, sorted(reqs), scenario=title, reason=title,
                     evidence=[{"hex": "00ff", "decoded": title}])
            for i, (v, reqs, title) in enumerate(specs)]
    payload = results(scen)
    d = make_report_dir(tmp_path_factory.mktemp("run"), payload)
    page = parse(render_report(d, requirements=CATALOGUE).read_text())
    shown = {a["data-nodeid"]: a["data-verdict"] for t, a in page.with_attr("data-nodeid") if t == "article"}
    assert shown == {s["nodeid"]: s["verdict"] for s in scen}
    reqs = {a["data-req"]: a["data-verdict"] for _, a in page.with_attr("data-req")}
    want = {r.id: "not-tested" for r in CATALOGUE} | {r["requirement"]: r["verdict"]
                                                     for r in payload["requirements"]}
    assert reqs == want
    assert page.scripts == 1


def test_the_matrix_shows_the_level_under_the_runs_rule_set_and_every_other(tmp_path):
    """Issue 13: a requirement whose only source is the minutes is not silently mandatory under
    the as-implemented rules; the report and hanota spec show its level under each rule set."""
    data = results()
    data["rules"] = "as-implemented"
    d = tmp_path / "run"
    d.mkdir()
    (d / "results.json").write_text(json.dumps(data), encoding="utf-8")
    html = render_report(d).read_text(encoding="utf-8")  # the installed catalogue
    row = re.search(r'<tr[^>]*data-req="SECMP7-IMG-002".*?</tr>', html, re.S)
    assert row is not None
    assert "<strong>minutes-only</strong>" in row.group(0)
    assert "wg-2016: mandatory; as-implemented: minutes-only" in row.group(0)
    assert "from minutes-only" in row.group(0)
    spec = render_spec(tmp_path / "spec.html").read_text(encoding="utf-8")
    row = re.search(r'<tr[^>]*data-req="SECMP7-ALERT-006".*?</tr>', spec, re.S)
    assert row is not None and "wg-2016: proposed<br>as-implemented: minutes-only" in row.group(0)
    assert "Interpretation:" in re.search(r'<tr[^>]*data-req="SECMP7-IMG-004".*?</tr>', spec, re.S).group(0)
