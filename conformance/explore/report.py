"""The *Exploration* section of a report: ``exploration.json`` (what was run, which invariants
were checked, the counterexample with its transcript) and its HTML rendering.

``hanota explore --report-dir DIR`` writes ``exploration.json``, ``exploration.html`` and, with
a counterexample, ``counterexample.json`` (the replay file), then signs the directory like
``hanota run`` does (``manifest.json``). When DIR also holds a ``hanota run`` report,
``report.html`` shows the same section (``conformance.report.render``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .invariants import INVARIANTS

__all__ = ["EXPLORATION_JSON", "exploration_section", "load_exploration", "write_exploration"]

EXPLORATION_JSON = "exploration.json"
EXPLORATION_HTML = "exploration.html"
#: A transcript longer than this is cut in the HTML (the replay file keeps it whole).
MAX_LINES_SHOWN = 400


def write_exploration(report_dir: Path, doc: dict[str, Any]) -> Path:
    """Write ``exploration.json`` and ``exploration.html`` into ``report_dir``."""
    from hanota.conformance.report.render import page

    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / EXPLORATION_JSON).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    out = report_dir / EXPLORATION_HTML
    title = "Exploration report"
    out.write_text(page(title, f"<header><h1>{title}</h1></header>" + exploration_section(doc)),
                   encoding="utf-8")
    return out


def load_exploration(report_dir: Path) -> dict[str, Any] | None:
    """The exploration results of ``report_dir``, or None when it has none (or they are unreadable)."""
    try:
        doc = json.loads((report_dir / EXPLORATION_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def exploration_section(doc: Mapping[str, Any]) -> str:
    """The *Exploration* section as HTML (every value escaped)."""
    from hanota.conformance.report.render import esc

    found = doc.get("counterexample")
    verdict = "fail" if found else "pass"
    label = "Counterexample found" if found else "No counterexample"
    rows = [
        ("Device under test", doc.get("dut", "")),
        ("Seed", doc.get("seed", "")),
        ("Examples run", doc.get("examples", "")),
        ("Hub actions", doc.get("steps", "")),
        ("Device frames checked", doc.get("frames_checked", "")),
        ("Transcript digest (same seed, same digest)", doc.get("transcript_digest", "")),
        ("Time", f"{doc.get('seconds', '')} s"),
        ("Faults switched on", ", ".join(str(f) for f in doc.get("faults", []) or []) or "none"),
    ]
    meta = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    checked = doc.get("invariants") or list(INVARIANTS)
    inv_rows = "".join(
        f"<tr><td><code>{esc(i)}</code></td><td>{esc(INVARIANTS[i].source if i in INVARIANTS else '')}</td>"
        f"<td>{esc(INVARIANTS[i].text if i in INVARIANTS else '')}</td></tr>" for i in checked)
    parts = [
        '<section id="exploration"><h2>Exploration</h2>',
        f'<p>Verdict: <span class="badge v-{verdict}" id="exploration-verdict">{esc(label)}</span> '
        '<span class="note">property-based: a hypothesis state machine played the hub; every '
        "invariant was checked after every step (docs/explore.md).</span></p>",
        f'<dl class="meta">{meta}</dl>',
    ]
    if isinstance(found, Mapping):
        lines = [str(x) for x in found.get("transcript", []) or []]
        shown = lines[:MAX_LINES_SHOWN]
        cut = len(lines) - len(shown)
        more = f"\n… {cut} more lines in the replay file" if cut else ""
        parts.append(
            f'<div class="why" id="counterexample"><strong>{esc(found.get("invariant"))}</strong> '
            f"({esc(found.get('source'))}): {esc(found.get('message'))}<br>"
            f"Shrunk to {esc(found.get('actions'))} hub action(s); replay file "
            f"<code>{esc(found.get('replay_file'))}</code> "
            f"({'reproduced on replay' if found.get('reproduced') else 'did NOT reproduce on replay'})."
            f"<pre>{esc(chr(10).join(shown) + more)}</pre></div>")
    parts.append(f"<details><summary>{len(checked)} invariants checked</summary>"
                 "<table><thead><tr><th>invariant</th><th>source</th><th>what</th></tr></thead>"
                 f"<tbody>{inv_rows}</tbody></table></details></section>")
    return "".join(parts)
