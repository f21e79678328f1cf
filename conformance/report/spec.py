"""``hanota spec``: the requirement catalogue and the feature files as one readable document.

Same look as ``report.html`` (the shell and CSS are shared), no test run: people who never run
Python can read and review the executable specification. Requirement IDs link both ways:
a requirement lists the scenarios that verify it, a scenario's tags link to the requirement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_bdd.gherkin_parser import Scenario, get_gherkin_document

from .render import (
    ReportError,
    RequirementInfo,
    anchor,
    esc,
    filter_controls,
    load_requirements,
    page,
    requirement_family,
)

__all__ = ["render_spec"]

FEATURES_DIR = Path(__file__).resolve().parents[2] / "features"

_SPEC_CSS = """
.feature{border-top:3px solid var(--line);margin-top:2rem}
.rule{margin:1rem 0 1rem .6rem;padding-left:.8rem;border-left:3px solid var(--line)}
.gscenario{margin:.8rem 0;padding:.4rem .7rem;border:1px solid var(--line);border-radius:4px;
break-inside:avoid-page}
.desc{white-space:pre-wrap;color:var(--mute)}
.gsteps{list-style:none;padding-left:.4rem;margin:.3rem 0}
.gsteps .kw{font-weight:600;margin-right:.3em;color:#0550ae}
.level{font-weight:600}
"""


def _tags(names: Iterable[str], known: set[str]) -> str:
    out = []
    for n in sorted(set(names)):
        n = n.lstrip("@")
        if n in known:
            out.append(f'<a class="tag" href="#{anchor("r", n)}">@{esc(n)}</a>')
        else:
            out.append(f'<span class="tag">@{esc(n)}</span>')
    return " ".join(out)


def _table(rows: Sequence[Any]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{esc(c.value)}</td>" for c in r.cells) + "</tr>" for r in rows)
    return f"<table>{cells}</table>"


def _steps(steps: Sequence[Any]) -> str:
    items = []
    for st in steps:
        extra = ""
        if st.datatable is not None:
            extra += _table(st.datatable.rows)
        if st.docstring is not None:
            extra += f"<pre>{esc(st.docstring.content)}</pre>"
        items.append(f'<li><span class="kw">{esc(st.keyword.strip())}</span>{esc(st.text)}{extra}</li>')
    return f'<ul class="gsteps">{"".join(items)}</ul>'


def _scenario(sc: Scenario, inherited: frozenset[str], known: set[str], feature_file: str) -> str:
    names = inherited | {t.name.lstrip("@") for t in sc.tags}
    fams = " ".join(sorted({requirement_family(n) for n in names if n in known}))
    examples = ""
    for ex in sc.examples:
        rows = ([ex.table_header] if ex.table_header else []) + list(ex.table_body or [])
        head = f"<h5>{esc(ex.name or 'Examples')} {_tags((t.name for t in ex.tags), known)}</h5>"
        examples += head + _table(rows)
    desc = f'<div class="desc">{esc(sc.description.strip())}</div>' if sc.description.strip() else ""
    return (f'<div class="gscenario filterable" id="{anchor("sc", feature_file + "::" + sc.name)}" '
            f'data-family="{esc(fams)}"><h4>{esc(sc.keyword)}: {esc(sc.name)}</h4>'
            f"<div>{_tags(names, known)}</div>{desc}{_steps(sc.steps)}{examples}</div>")


def _feature(path: Path, known: set[str]) -> str:
    try:
        doc = get_gherkin_document(str(path))
    except Exception as exc:  # pytest-bdd raises its own parse error family
        raise ReportError(f"{path}: Gherkin does not parse: {exc}") from None
    f = doc.feature
    if f is None:
        return ""
    ftags = frozenset(t.name.lstrip("@") for t in f.tags)
    parts = [f'<section class="feature" id="{anchor("f", path.name)}">'
             f"<h2>{esc(f.keyword)}: {esc(f.name)}</h2>"
             f'<p class="note"><code>features/{esc(path.name)}</code> {_tags(ftags, known)}</p>']
    if f.description.strip():
        parts.append(f'<div class="desc">{esc(f.description.strip())}</div>')
    for child in f.children:
        if child.background is not None:
            parts.append(f"<h3>Background</h3>{_steps(child.background.steps)}")
        elif child.scenario is not None:
            parts.append(_scenario(child.scenario, ftags, known, path.name))
        elif child.rule is not None:
            rule = child.rule
            rtags = ftags | {t.name.lstrip("@") for t in rule.tags}
            parts.append(f'<div class="rule"><h3>{esc(rule.keyword)}: {esc(rule.name)}</h3>'
                         f"<div>{_tags(rtags - ftags, known)}</div>")
            if rule.description.strip():
                parts.append(f'<div class="desc">{esc(rule.description.strip())}</div>')
            for rc in rule.children:
                if rc.background is not None:
                    parts.append(f"<h4>Background</h4>{_steps(rc.background.steps)}")
                elif rc.scenario is not None:
                    parts.append(_scenario(rc.scenario, rtags, known, path.name))
            parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _scenario_links(features_dir: Path, known: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Requirement ID → [(anchor, title)] of the scenarios tagged with it (tags inherited)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(features_dir.glob("*.feature")):
        try:
            f = get_gherkin_document(str(path)).feature
        except Exception:  # noqa: S112 - _feature() reports the parse error with its file
            continue
        if f is None:
            continue
        ftags = {t.name.lstrip("@") for t in f.tags}
        pending: list[tuple[Any, set[str]]] = []
        for child in f.children:
            if child.scenario is not None:
                pending.append((child.scenario, ftags))
            elif child.rule is not None:
                rtags = ftags | {t.name.lstrip("@") for t in child.rule.tags}
                pending += [(rc.scenario, rtags) for rc in child.rule.children if rc.scenario is not None]
        for sc, inherited in pending:
            for tag in inherited | {t.name.lstrip("@") for t in sc.tags}:
                if tag in known:
                    out.setdefault(tag, []).append((anchor("sc", path.name + "::" + sc.name), sc.name))
    return out


def render_spec(out: Path, *, requirements: Sequence[RequirementInfo] | None = None,
                family_titles: Mapping[str, str] | None = None, features_dir: Path | None = None,
                suite_version: str = "", suite_commit: str | None = None) -> Path:
    """Write the specification document to ``out`` and return its path."""
    if requirements is None:
        loaded = load_requirements()
        if loaded is None:
            raise ReportError("no requirement catalogue is installed (conformance/catalogue.py)")
        requirements, titles = loaded
        family_titles = family_titles or titles
    titles = dict(family_titles or {})
    features_dir = features_dir or FEATURES_DIR
    known = {r.id for r in requirements}
    links = _scenario_links(features_dir, known) if features_dir.is_dir() else {}
    families = list(dict.fromkeys(r.family for r in requirements))
    controls, css = filter_controls([(f, titles.get(f, "")) for f in families], verdicts=())
    levels: dict[str, int] = {}
    for r in requirements:
        levels[r.level] = levels.get(r.level, 0) + 1
    minutes_only = sum(1 for r in requirements if r.provenance == "minutes-only")
    toc = "".join(f'<li><a href="#{anchor("fam", f)}">{esc(f)}</a> — {esc(titles.get(f, ""))}</li>'
                  for f in families)
    body = [
        "<header><h1>hanota — the SECMP0007 OTA conformance specification</h1>"
        '<p class="note">The requirement catalogue and the executable Gherkin scenarios that verify it, '
        "rendered for reading. Suite version "
        f"{esc(suite_version or '?')}, commit {esc(suite_commit or 'not recorded')}. "
        f"{len(requirements)} requirements: "
        + ", ".join(f"{n} {esc(lv)}" for lv, n in sorted(levels.items()))
        + f" (level under the working group's rules); {minutes_only} whose only source is the 2016 "
        "minutes. A level not carried by a quoted sentence says why in its interpretation.</p>"
        f"<nav><h2>Families</h2><ul>{toc}</ul></nav></header>",
        controls,
        '<section id="requirements"><h2>Requirements</h2>',
    ]
    for fam in families:
        body.append(f'<h3 class="filterable" data-family="{esc(fam)}" id="{anchor("fam", fam)}">'
                    f"{esc(fam)} — {esc(titles.get(fam, ''))}</h3>")
        rows = []
        for r in (x for x in requirements if x.family == fam):
            sc = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in links.get(r.id, []))
            sc = f"<ul>{sc}</ul>" if sc else '<span class="note">no scenario</span>'
            quote = f'<p class="quote">{esc(r.quote)}</p>' if r.quote else ""
            if r.interpretation:
                quote += f'<p class="note">Interpretation: {esc(r.interpretation)}</p>'
            level = "<br>".join(f"{esc(k)}: {esc(v)}" for k, v in (r.levels or {}).items()) \
                or esc(r.level)
            if r.provenance:
                level += f'<div class="note">from {esc(r.provenance)}</div>'
            rows.append(f'<tr class="filterable req" id="{anchor("r", r.id)}" data-req="{esc(r.id)}" '
                        f'data-family="{esc(fam)}">'
                        f'<td><code>{esc(r.id)}</code></td><td class="level">{level}</td>'
                        f"<td>{esc(r.side)}</td><td>{esc(r.source)}</td>"
                        f'<td><div class="req-title">{esc(r.title)}</div>{esc(r.statement)}{quote}</td>'
                        f"<td>{sc}</td></tr>")
        body.append(f'<table class="filterable" data-family="{esc(fam)}"><thead><tr><th>requirement</th>'
                    "<th>level per rule set</th><th>side</th><th>source</th>"
                    "<th>statement and source text</th>"
                    "<th>scenarios</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    body.append("</section>")
    feats = sorted(features_dir.glob("*.feature")) if features_dir.is_dir() else []
    body.append('<section id="features"><h2>Features</h2>')
    if not feats:
        body.append(f'<p class="note">No feature files found in {esc(features_dir)}.</p>')
    body += [_feature(p, known) for p in feats]
    body.append("</section>")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page("hanota specification", "\n".join(body), extra_css=_SPEC_CSS + css),
                   encoding="utf-8")
    return out
