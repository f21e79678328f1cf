"""``report.html``: one self-contained page from ``results.json`` and the requirement catalogue.

The page carries its CSS and its few lines of JS inline and references nothing outside itself,
so it opens from disk, prints to PDF and makes no network request. Everything taken from the
results (names, reasons, evidence decoded from frames a device sent) is HTML-escaped: evidence
is data an attacker can shape. Rendering is deterministic: the same results give the same bytes.
"""

from __future__ import annotations

import enum
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_FRAMES_SHOWN", "MAX_HEX_BYTES_SHOWN", "VERDICTS", "ReportError", "RequirementInfo",
    "load_requirements", "overall_verdict", "page", "render_report", "requirement_family",
]

VERDICTS = ("pass", "fail", "error", "not-applicable", "not-tested")
LABELS = {"pass": "Pass", "fail": "Fail", "error": "Error", "not-applicable": "Not applicable",
          "not-tested": "Not tested"}
#: A scenario's evidence table shows at most this many frames: the first third and the last
#: two thirds (a failure is usually at the end); the rest stay in results.json.
MAX_FRAMES_SHOWN = 300
#: A frame's hex is cut after this many bytes in the page (the whole frame is in results.json).
MAX_HEX_BYTES_SHOWN = 256
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]")
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2}[ :]?)*$")


class ReportError(Exception):
    """The report directory cannot be rendered (missing or malformed results.json)."""


@dataclass(frozen=True)
class RequirementInfo:
    """What the report shows of one catalogue requirement."""

    id: str
    family: str
    level: str = ""
    title: str = ""
    source: str = ""
    statement: str = ""
    quote: str = ""
    side: str = ""
    #: the level under each rule set it belongs to, e.g. {"wg-2016": "mandatory", ...}
    levels: Mapping[str, str] | None = None
    provenance: str = ""
    #: why the level is read into a source that does not say it ("" if the quote says it)
    interpretation: str = ""

    def level_under(self, rules: str) -> str:
        """The level under the run's rule set (``level`` when the catalogue gave none per rule
        set; "not in this rule set" when it does not belong to it)."""
        if not self.levels:
            return self.level
        return self.levels.get(rules, "not in this rule set")

    def levels_text(self) -> str:
        return "; ".join(f"{r}: {lv}" for r, lv in (self.levels or {}).items()) or self.level


def requirement_family(req_id: str) -> str:
    """``SECMP7-IMG-001`` → ``IMG``: the family is the middle part of the ID."""
    parts = req_id.split("-")
    return parts[1] if len(parts) >= 3 else (parts[0] if parts else "")


def load_requirements() -> tuple[list[RequirementInfo], dict[str, str]] | None:
    """The catalogue's requirements and family titles, or None when no catalogue is installed."""
    try:
        from hanota.conformance.catalogue import load_catalogue
    except ImportError:
        return None
    from hanota.protocol.errors import HarnessUsageError

    try:
        cat = load_catalogue()
    except HarnessUsageError as err:  # CatalogueError: the catalogue or a feature is malformed
        raise ReportError(f"the requirement catalogue cannot be loaded: {err}") from None
    reqs = []
    for r in getattr(cat, "requirements", []):
        rid = str(r.id)
        reqs.append(RequirementInfo(
            id=rid, family=str(getattr(r, "family", "") or requirement_family(rid)),
            level=_s(getattr(r, "level", "")), title=_s(getattr(r, "title", "")),
            source=_s(getattr(r, "source", "")), statement=_s(getattr(r, "statement", "")),
            quote=_s(getattr(r, "quote", "")), side=_s(getattr(r, "side", "")),
            levels=_levels(r), provenance=_s(getattr(r, "provenance", "")),
            interpretation=_s(getattr(r, "interpretation", "")),
        ))
    titles: dict[str, str] = {}
    fams = getattr(cat, "families", {}) or {}
    items = fams.items() if isinstance(fams, Mapping) else ((getattr(f, "id", ""), f) for f in fams)
    for key, fam in items:
        title = fam.get("title") if isinstance(fam, Mapping) else getattr(fam, "title", "")
        titles[str(key)] = _s(title)
    return reqs, titles


def _levels(req: object) -> dict[str, str] | None:
    level_under = getattr(req, "level_under", None)
    if level_under is None:
        return None
    from hanota.conformance.catalogue import RULE_SETS

    return {r: str(level_under(r)) for r in RULE_SETS if level_under(r) is not None}


def _s(value: object) -> str:
    """Any value from the results as text (None as empty)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return str(value.value) if isinstance(value, enum.Enum) else value
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def esc(value: object) -> str:
    return html.escape(_s(value), quote=True)


def anchor(prefix: str, key: str) -> str:
    """A stable, CSS-safe element id: readable part plus a short hash, never raw input."""
    digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:10]
    return f"{prefix}-{_SAFE_ID.sub('_', key)[:40]}-{digest}"


def badge(verdict: str) -> str:
    v = verdict if verdict in LABELS else "error"
    return f'<span class="badge v-{v}">{esc(LABELS.get(verdict, verdict))}</span>'


# ------------------------------------------------------------------------------------- the shell

CSS = """
:root{--pass:#1a7f37;--fail:#cf222e;--error:#8250df;--na:#6e7781;--nt:#9a6700;--line:#d0d7de;
--bg2:#f6f8fa;--ink:#1f2328;--mute:#57606a}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);margin:0 auto;max-width:1200px;padding:1.2rem 1.5rem 4rem}
h1{font-size:1.6rem;margin:.2rem 0 .8rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;
border-bottom:2px solid var(--line);padding-bottom:.2rem}h3{font-size:1.05rem;margin:.2rem 0}
a{color:#0969da}code,pre,.hex{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-word;margin:.3rem 0}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{border:1px solid var(--line);padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:var(--bg2);font-weight:600}
.badge{display:inline-block;border-radius:.8em;padding:0 .6em;font-size:.85em;font-weight:600;
color:#fff;white-space:nowrap}
.v-pass{background:var(--pass)}.v-fail{background:var(--fail)}.v-error{background:var(--error)}
.v-not-applicable{background:var(--na)}.v-not-tested{background:var(--nt)}
.overall{font-size:1.3rem;padding:.1em .8em}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}
.meta dt{color:var(--mute)}.meta dd{margin:0}
.summary{display:flex;flex-wrap:wrap;gap:2rem;align-items:flex-start}
.summary>div{flex:1 1 320px}
.counts td:last-child{text-align:right;font-variant-numeric:tabular-nums}
.note{color:var(--mute);font-size:.9em}
.filters{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);
padding:.4rem 0;z-index:2;font-size:.9em}
.filters label{margin-right:.8em;white-space:nowrap}
.filters fieldset{border:0;display:inline;margin:0;padding:0}
.scenario{border:1px solid var(--line);border-left:6px solid var(--na);border-radius:4px;
padding:.6rem .8rem;margin:.8rem 0;break-inside:avoid-page}
.scenario[data-verdict=pass]{border-left-color:var(--pass)}
.scenario[data-verdict=fail]{border-left-color:var(--fail)}
.scenario[data-verdict=error]{border-left-color:var(--error)}
.scenario[data-verdict=not-tested]{border-left-color:var(--nt)}
.why{background:#ffebe9;border:1px solid #ffcecb;padding:.4rem .6rem;border-radius:4px;margin:.4rem 0}
.why strong{color:var(--fail)}
.steps{list-style:none;padding-left:0;margin:.3rem 0}
.steps li{padding:.05rem 0}.steps .kw{font-weight:600;margin-right:.3em}
.st-passed::before{content:"\\2713  ";color:var(--pass)}
.st-failed::before{content:"\\2717  ";color:var(--fail)}
.st-other::before{content:"\\2013  ";color:var(--na)}
.hex{word-break:break-all}
.evidence td{font-size:.9em}
.req-title{font-weight:600}
.quote{border-left:3px solid var(--line);margin:.3rem 0;padding:.1rem .6rem;color:var(--mute)}
details>summary{cursor:pointer}
.tag{display:inline-block;background:var(--bg2);border:1px solid var(--line);border-radius:3px;
padding:0 .3em;margin:0 .2em .1em 0;font-size:.85em}
@media print{.filters{display:none}body{max-width:none;padding:0}a{color:inherit}
.scenario{page-break-inside:avoid}h2{page-break-after:avoid}}
"""

JS = """
(function(){
  // Print everything: open every folded part before printing.
  window.addEventListener('beforeprint',function(){
    document.querySelectorAll('details').forEach(function(d){d.open=true;});
  });
  // Keep a count of what the filters show.
  function count(){
    document.querySelectorAll('[data-count]').forEach(function(el){
      var sel=el.getAttribute('data-count'),all=document.querySelectorAll(sel),n=0;
      all.forEach(function(x){if(x.offsetParent!==null)n++;});
      el.textContent='showing '+n+' of '+all.length;
    });
  }
  document.addEventListener('change',count);
  document.addEventListener('DOMContentLoaded',count);
})();
"""


def page(title: str, body: str, *, extra_css: str = "") -> str:
    """The common page shell (report, specification and index share one look)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        # A strict policy: even a hostile string that slipped through could load nothing.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}{extra_css}</style>\n</head>\n<body>\n"
        f"{body}\n<script>{JS}</script>\n</body>\n</html>\n"
    )


def filter_controls(families: Sequence[tuple[str, str]], verdicts: Sequence[str] = VERDICTS,
                    *, count_selector: str = "") -> tuple[str, str]:
    """Verdict and family filters that work by CSS ``:has()`` alone, no JS needed.

    Returns (controls HTML, CSS rules). Elements to filter carry ``class="filterable"``,
    ``data-verdict`` and ``data-family`` (space-separated family codes).
    """
    parts = ['<nav class="filters" aria-label="filters"><fieldset>']
    if verdicts:
        parts.append("<strong>Verdict:</strong> ")
    css = []
    for v in verdicts:
        parts.append(f'<label><input type="checkbox" id="fv-{v}" checked> {badge(v)}</label>')
        css.append(f'body:has(#fv-{v}:not(:checked)) .filterable[data-verdict="{v}"]{{display:none}}')
    parts.append("</fieldset> ")
    if families:
        parts.append('<fieldset><strong>Family:</strong> '
                     '<label><input type="radio" name="ff" id="ff-all" checked> all</label>')
    for code, title in families:
        safe = _SAFE_ID.sub("_", code)
        parts.append(f'<label title="{esc(title)}"><input type="radio" name="ff" id="ff-{safe}"> '
                     f'{esc(code)}</label>')
        css.append(f'body:has(#ff-{safe}:checked) .filterable:not([data-family~="{safe}"]){{display:none}}')
    if families:
        parts.append("</fieldset>")
    if count_selector:
        parts.append(f' <span class="note" data-count="{esc(count_selector)}"></span>')
    parts.append("</nav>")
    return "".join(parts), "\n".join(css)


# ------------------------------------------------------------------------------------ the verdicts

def overall_verdict(scenario_verdicts: Iterable[str],
                    requirement_verdicts: Mapping[str, str],
                    levels: Mapping[str, str]) -> tuple[str, str]:
    """The run's one verdict and a sentence saying why.

    error before fail before pass; a run that passes every scenario it ran but leaves a
    mandatory requirement not tested is *not tested*, never *pass*.
    """
    seen = set(scenario_verdicts)
    untested = sorted(r for r, v in requirement_verdicts.items()
                      if v == "not-tested" and levels.get(r) == "mandatory")
    if "error" in seen:
        return "error", "at least one scenario could not be carried out (harness or device error)"
    if "fail" in seen:
        return "fail", "at least one scenario failed"
    if untested:
        return "not-tested", (f"{len(untested)} mandatory requirement(s) have no executed scenario: "
                              + ", ".join(untested))
    if "pass" in seen:
        return "pass", "every scenario that applies to this device passed"
    if "not-applicable" in seen:
        return "not-applicable", "no scenario applied to this device"
    return "not-tested", "no scenario was executed"


def _tally(values: Iterable[str]) -> dict[str, int]:
    out = dict.fromkeys(VERDICTS, 0)
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _chart(rows: Sequence[tuple[str, Mapping[str, int]]]) -> str:
    """Stacked horizontal bars, one per row, as inline SVG (no script, prints as vector)."""
    width, bar_h, label_w, gap = 560, 22, 140, 12
    height = len(rows) * (bar_h + gap) + 26
    colors = {"pass": "#1a7f37", "fail": "#cf222e", "error": "#8250df",
              "not-applicable": "#6e7781", "not-tested": "#9a6700"}
    out = [f'<svg class="chart" role="img" aria-label="verdict counts" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, tally) in enumerate(rows):
        y = i * (bar_h + gap)
        total = sum(tally.values())
        out.append(f'<text x="0" y="{y + 16}" font-size="13">{esc(label)} ({total})</text>')
        x = float(label_w)
        for v in VERDICTS:
            n = tally.get(v, 0)
            if not n or not total:
                continue
            w = (width - label_w) * n / total
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colors[v]}">'
                       f'<title>{esc(LABELS[v])}: {n}</title></rect>')
            if w > 18:
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + 16}" font-size="12" fill="#fff" '
                           f'text-anchor="middle">{n}</text>')
            x += w
    y = len(rows) * (bar_h + gap) + 12
    x = 0.0
    for v in VERDICTS:
        out.append(f'<rect x="{x:.0f}" y="{y - 10}" width="10" height="10" fill="{colors[v]}"/>'
                   f'<text x="{x + 14:.0f}" y="{y}" font-size="11">{esc(LABELS[v])}</text>')
        x += 24 + 7 * len(LABELS[v])
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------------- evidence cells

def _hex_cell(value: object) -> str:
    text = _s(value).strip()
    if not text:
        return ""
    if not _HEX.match(text):
        return f'<span class="hex">{esc(text)}</span>'  # not hex: shown as given, escaped
    raw = re.sub(r"[ :]", "", text).lower()
    n = len(raw) // 2
    shown = " ".join(raw[i:i + 2] for i in range(0, min(n, MAX_HEX_BYTES_SHOWN) * 2, 2))
    more = (f' <span class="note">({n - MAX_HEX_BYTES_SHOWN} more bytes in results.json)</span>'
            if n > MAX_HEX_BYTES_SHOWN else "")
    return f'<span class="hex">{shown}</span>{more}'


def _decoded_cell(value: object, depth: int = 0) -> str:
    if isinstance(value, Mapping):
        if depth > 4:
            return f"<code>{esc(json.dumps(value, default=str)[:2000])}</code>"
        items = "".join(f"<tr><th>{esc(k)}</th><td>{_decoded_cell(v, depth + 1)}</td></tr>"
                        for k, v in value.items())
        return f'<table class="decoded">{items}</table>'
    if isinstance(value, list | tuple):
        return f"<code>{esc(json.dumps(value, default=str)[:4000])}</code>"
    return f"<code>{esc(value)}</code>"


_KNOWN_EVIDENCE = ("time_ms", "direction", "src", "dst", "cluster", "hex", "decoded")


def _evidence(frames: Sequence[Any]) -> str:
    if not frames:
        return '<p class="note">No frames were recorded for this scenario.</p>'
    rows = []
    head = MAX_FRAMES_SHOWN // 3
    omitted = max(0, len(frames) - MAX_FRAMES_SHOWN)
    shown = list(enumerate(frames)) if not omitted else \
        list(enumerate(frames[:head])) + [(-1, None)] + \
        [(i + head + omitted, f) for i, f in enumerate(frames[head + omitted:])]
    for i, f in shown:
        if f is None:
            rows.append(f'<tr class="omitted"><td colspan="6" class="note">… {omitted} frame(s) '
                        f"not shown here ({head + 1} to {head + omitted}); results.json has them all …"
                        "</td></tr>")
            continue
        if not isinstance(f, Mapping):
            rows.append(f"<tr><td>{i + 1}</td><td colspan=\"5\"><code>{esc(f)}</code></td></tr>")
            continue
        direction = _s(f.get("direction", ""))
        if f.get("src") is not None or f.get("dst") is not None:
            route = f"{_s(f.get('src', '?'))} → {_s(f.get('dst', '?'))}"
            direction = f"{direction} {route}" if direction else route
        extra = {k: v for k, v in f.items() if k not in _KNOWN_EVIDENCE}
        decoded = _decoded_cell(f.get("decoded", ""))
        if extra:
            decoded += _decoded_cell(extra)
        rows.append(f"<tr><td>{i + 1}</td><td>{esc(f.get('time_ms', ''))}</td><td>{esc(direction)}</td>"
                    f"<td>{esc(f.get('cluster', ''))}</td><td>{_hex_cell(f.get('hex', ''))}</td>"
                    f"<td>{decoded}</td></tr>")
    more = ""
    if omitted:
        more = f'<p class="note">{omitted} of {len(frames)} frames are recorded in results.json only.</p>'
    return ('<table class="evidence"><thead><tr><th>#</th><th>time (ms)</th><th>direction</th>'
            "<th>cluster</th><th>frame (hex)</th><th>decoded</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>" + more)


def plain_reason(reason: str) -> str:
    """The first line of a failure without the exception class, as a person would say it."""
    first = reason.strip().splitlines()[0] if reason.strip() else ""
    m = re.match(r"^(?:[\w.]+\.)?(AssertionError|DeviceViolationError|Failed|\w+Error)(?:\(.*?\))?:\s*(.+)$",
                 first)
    if m and m.group(1) in ("AssertionError", "DeviceViolationError", "Failed"):
        return m.group(2)
    return first


# ------------------------------------------------------------------------------------- the report

def _load_results(report_dir: Path) -> dict[str, Any]:
    path = report_dir / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no results.json in the report directory") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenarios", []), list):
        raise ReportError(f"{path}: expected an object with a 'scenarios' list")
    return data


def _summary(data: Mapping[str, Any], suite_commit: str | None, overall: tuple[str, str],
             scen: Mapping[str, int], reqs: Mapping[str, int]) -> str:
    pics = data.get("pics") if isinstance(data.get("pics"), Mapping) else {}
    assert isinstance(pics, Mapping)
    kind = _s(pics.get("kind", "")).upper()
    rows = [
        ("Device", f"{kind} manufacturer {_s(pics.get('manufacturer_code', '?'))}, "
                   f"image type {_s(pics.get('image_type', '?'))}"),
        ("Firmware version", pics.get("file_version", "")),
        ("Hardware version", pics.get("hardware_version", "")),
        ("EUI-64", pics.get("eui64", "")),
        ("Declared features", ", ".join(_s(x) for x in pics.get("features", []) or []) or "none"),
        ("PICS", pics.get("source", "")),
        ("Images", pics.get("images", "")),
        ("System under test", data.get("system_under_test", "")),
        ("Device under test", data.get("dut", "")),
        ("DCC", data.get("dcc", "reference")),
        ("Suite version", data.get("suite_version", "")),
        ("Suite commit", suite_commit or data.get("suite_commit") or "not recorded"),
        ("Date", data.get("finished_at", "")),
        ("Rule set", data.get("rules", "")),
        ("Seed", data.get("seed", "")),
    ]
    local = pics.get("local_upgrade_interfaces")
    if local:
        rows.append(("Declared local upgrade means (not tested)", ", ".join(_s(x) for x in local)))
    if pics.get("image_capacity_bytes") is not None:
        rows.append(("Declared image capacity", f"{_s(pics.get('image_capacity_bytes'))} bytes"))
    dcc_pixit = data.get("dcc_pixit")
    if isinstance(dcc_pixit, Mapping):
        figures = ", ".join(f"{_s(k).removesuffix('_ms').replace('_', ' ')} {_s(v)} ms"
                            for k, v in dcc_pixit.items() if k != "source")
        rows.append(("DCC's declared figures", f"{figures or 'none'} ({_s(dcc_pixit.get('source', ''))})"))
    faults = data.get("faults") or {}
    if isinstance(faults, Mapping) and faults:
        rows.append(("Faults switched on", "; ".join(
            f"{_s(layer)}: {', '.join(_s(f) for f in names)}" for layer, names in sorted(faults.items()))))
    meta = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    ctable = "".join(f"<tr><td>{badge(v)}</td><td>{scen.get(v, 0)}</td><td>{reqs.get(v, 0)}</td></tr>"
                     for v in VERDICTS)
    return (
        f'<section id="summary"><h2>Summary</h2><p>Overall verdict: '
        f'<span class="badge overall v-{overall[0]}" id="overall-verdict">{esc(LABELS[overall[0]])}</span> '
        f'<span class="note">{esc(overall[1])}</span></p>'
        f'<div class="summary"><div><dl class="meta">{meta}</dl></div>'
        f'<div><table class="counts" id="counts"><thead><tr><th>verdict</th><th>scenarios</th>'
        f"<th>requirements</th></tr></thead><tbody>{ctable}</tbody></table>"
        f'{_chart([("requirements", reqs), ("scenarios", scen)])}</div></div></section>'
    )


def render_report(report_dir: Path, *, suite_commit: str | None = None,
                  requirements: Sequence[RequirementInfo] | None = None,
                  family_titles: Mapping[str, str] | None = None) -> Path:
    """Write ``report_dir/report.html`` from ``results.json`` and the catalogue; return its path.

    ``requirements`` defaults to the installed catalogue. Verdicts are taken from results.json
    exactly as the run wrote them; a catalogue requirement the results do not mention is shown
    *not tested*.
    """
    report_dir = Path(report_dir)
    data = _load_results(report_dir)
    if requirements is None:
        loaded = load_requirements()
        if loaded is not None:
            requirements, titles = loaded
            family_titles = family_titles or titles
    catalogue = list(requirements or [])
    family_titles = dict(family_titles or {})
    scenarios = [s for s in data.get("scenarios", []) if isinstance(s, Mapping)]
    stored = {_s(r.get("requirement")): r for r in data.get("requirements", []) or []
              if isinstance(r, Mapping)}

    # The matrix: every catalogue requirement, then any requirement the run names beyond it.
    infos = {r.id: r for r in catalogue}
    for rid in stored:
        infos.setdefault(rid, RequirementInfo(id=rid, family=requirement_family(rid),
                                              level="not in catalogue"))
    for s in scenarios:
        for rid in s.get("requirements", []) or []:
            infos.setdefault(_s(rid), RequirementInfo(id=_s(rid), family=requirement_family(_s(rid)),
                                                      level="not in catalogue"))
    req_verdict = {rid: _s(stored[rid].get("verdict")) if rid in stored else "not-tested" for rid in infos}
    scen_ids = {_s(s.get("nodeid")): anchor("s", _s(s.get("nodeid"))) for s in scenarios}
    scen_by_req: dict[str, list[Mapping[str, Any]]] = {}
    for s in scenarios:
        for rid in s.get("requirements", []) or []:
            scen_by_req.setdefault(_s(rid), []).append(s)

    rules = _s(data.get("rules")) or "wg-2016"
    overall = overall_verdict((_s(s.get("verdict")) for s in scenarios), req_verdict,
                              {r.id: r.level_under(rules) for r in infos.values()})
    if data.get("interrupted"):  # Ctrl-C: what did not run is not a pass
        verdict = overall[0] if overall[0] in ("fail", "error") else "not-tested"
        overall = (verdict, "the run was interrupted (Ctrl-C); the scenarios it had not reached did not "
                   f"run. {overall[1]}")
    scen_tally = _tally(_s(s.get("verdict")) for s in scenarios)
    req_tally = _tally(req_verdict.values())
    families = list(dict.fromkeys(r.family for r in infos.values()))
    controls, filter_css = filter_controls([(f, family_titles.get(f, "")) for f in families])

    body = [f"<header><h1>{esc(_title(data))}</h1>"
            '<p class="note">hanota: over-the-air firmware update conformance of GB smart-metering HAN '
            "devices (SECMP0007). Generated from results.json; the signed manifest.json beside this "
            "file lets anyone check it was not altered (<code>hanota verify-report DIR</code>).</p>"
            "</header>",
            _summary(data, suite_commit, overall, scen_tally, req_tally), controls]

    # ---- traceability matrix
    rows = []
    for r in infos.values():
        v = req_verdict[r.id]
        linked = scen_by_req.get(r.id, [])
        links = "".join(
            f'<li><a href="#{scen_ids[_s(s.get("nodeid"))]}">{esc(s.get("scenario") or s.get("nodeid"))}</a> '
            f"{badge(_s(s.get('verdict')))}</li>" for s in linked)
        links = f"<ul>{links}</ul>" if links else '<span class="note">no executed scenario</span>'
        quote = f'<details><summary>source text</summary><p class="quote">{esc(r.quote)}</p></details>' \
            if r.quote else ""
        title = f'<div class="req-title">{esc(r.title)}</div>' if r.title else ""
        if r.interpretation:
            quote += (f'<details><summary>interpretation</summary><p>{esc(r.interpretation)}</p>'
                      "</details>")
        level = (f'<strong>{esc(r.level_under(rules))}</strong><div class="note">{esc(r.levels_text())}'
                 f'{"; from " + esc(r.provenance) if r.provenance else ""}</div>')
        rows.append(
            f'<tr class="filterable req" id="{anchor("r", r.id)}" data-req="{esc(r.id)}" '
            f'data-verdict="{esc(v)}" data-family="{esc(_SAFE_ID.sub("_", r.family))}">'
            f"<td><code>{esc(r.id)}</code></td><td>{level}</td><td>{esc(r.source)}</td>"
            f"<td>{title}{esc(r.statement)}{quote}</td><td>{badge(v)}</td><td>{links}</td></tr>")
    body.append(
        '<section id="matrix"><h2>Requirement traceability matrix</h2>'
        f'<p class="note">{len(infos)} requirements. A requirement\'s verdict combines its scenarios\' '
        "(error, then fail, then pass, then not applicable); with no executed scenario it is "
        '<em>not tested</em>. <span data-count="#matrix tr.req"></span></p>'
        '<table id="traceability-matrix"><thead><tr><th>requirement</th><th>level (this run\'s rules; '
        "every rule set; provenance)</th><th>source</th>"
        "<th>statement</th><th>verdict</th><th>scenarios</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></section>")

    # ---- exploration (hanota explore into the same directory), when there is one
    from hanota.conformance.explore.report import exploration_section, load_exploration

    exploration = load_exploration(report_dir)
    if exploration is not None:
        body.append(exploration_section(exploration))

    # ---- scenarios
    arts = []
    for s in scenarios:
        nodeid = _s(s.get("nodeid"))
        v = _s(s.get("verdict"))
        reqs = [_s(x) for x in s.get("requirements", []) or []]
        fams = " ".join(dict.fromkeys(_SAFE_ID.sub("_", requirement_family(x)) for x in reqs))
        req_links = " ".join(f'<a class="tag" href="#{anchor("r", x)}">{esc(x)}</a>' for x in reqs)
        steps = s.get("steps", []) or []
        step_items = []
        failed_step = None
        for st in steps:
            if not isinstance(st, Mapping):
                continue
            status = _s(st.get("status"))
            cls = {"passed": "st-passed", "failed": "st-failed"}.get(status, "st-other")
            if status == "failed" and failed_step is None:
                failed_step = st
            err = f"<pre>{esc(st.get('error'))}</pre>" if st.get("error") else ""
            step_items.append(f'<li class="{cls}" data-status="{esc(status)}"><span class="kw">'
                              f'{esc(st.get("keyword"))}</span>{esc(st.get("text"))}{err}</li>')
        reason = _s(s.get("reason"))
        why = ""
        if v in ("fail", "error"):
            at = ""
            if failed_step is not None:
                at = f" at step <em>{esc(failed_step.get('keyword'))} {esc(failed_step.get('text'))}</em>"
            why = (f'<div class="why"><strong>{"Failed" if v == "fail" else "Error"}</strong>{at}: '
                   f"{esc(plain_reason(reason))}<details><summary>full message</summary>"
                   f"<pre>{esc(reason)}</pre></details></div>")
        elif reason:
            why = f'<p class="note">{esc(LABELS.get(v, v))}: {esc(reason)}</p>'
        evidence = s.get("evidence", []) or []
        open_attr = " open" if v in ("fail", "error") else ""
        arts.append(
            f'<article class="scenario filterable" id="{scen_ids[nodeid]}" data-nodeid="{esc(nodeid)}" '
            f'data-verdict="{esc(v)}" data-family="{esc(fams)}"><h3>{badge(v)} {esc(s.get("scenario"))}</h3>'
            f'<div class="note">Feature: {esc(s.get("feature"))} · {req_links} · '
            f"{esc(s.get('duration_s', ''))} s · <code>{esc(nodeid)}</code></div>{why}"
            f'<ol class="steps">{"".join(step_items)}</ol>'
            f'<details class="evidence-block"{open_attr}><summary>Evidence: {len(evidence)} frame(s) '
            f"exchanged</summary>{_evidence(evidence)}</details></article>")
    body.append('<section id="scenarios"><h2>Scenarios</h2>'
                f'<p class="note">{len(scenarios)} scenarios. '
                '<span data-count="#scenarios article.scenario"></span></p>' + "".join(arts) + "</section>")

    out = report_dir / "report.html"
    out.write_text(page(_title(data), "\n".join(body),
                        extra_css=filter_css), encoding="utf-8")
    return out


def _title(data: Mapping[str, Any]) -> str:
    """A DCC acceptance report names the DCC under test; any other run, the device."""
    mark = " (interrupted)" if data.get("interrupted") else ""
    if data.get("system_under_test") == "dcc":
        return f"DCC acceptance report — {_s(data.get('dcc', ''))}{mark}"
    return f"Conformance report — {_device_title(data)}{mark}"


def _device_title(data: Mapping[str, Any]) -> str:
    pics = data.get("pics") if isinstance(data.get("pics"), Mapping) else {}
    assert isinstance(pics, Mapping)
    kind = _s(pics.get("kind", "device")).upper()
    return f"{kind} {_s(pics.get('manufacturer_code', ''))}/{_s(pics.get('image_type', ''))} " \
           f"firmware {_s(pics.get('file_version', ''))}".strip()
