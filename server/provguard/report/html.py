"""The report as one self-contained HTML page: inline CSS and SVG charts drawn here, no script, no external asset.

Everything that comes from the tree (paths, rule messages, tool names a marker gave) is hostile input: it is
escaped wherever it lands, and the page's Content-Security-Policy forbids loading anything, so a mistake could
not make the page fetch or run anything. Each chart has a title, a legend and a table beside it with the same
numbers: colour is never the only carrier of meaning. Long tables are cut; the JSON has every row.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from provguard.provenance.names import kind_name
from provguard.provenance.origin import Kind
from provguard.report.summary import CATEGORIES, DRILL_DEPTH, UNRECORDED, Folder, Lines, Summary

COLOURS = {  # Okabe-Ito, distinguishable with the common colour-vision deficiencies; dark text on each
    "human": "#009E73", "ai-completion": "#56B4E9", "ai-agent": "#E69F00", "ai-chat-paste": "#CC79A7",
    "paste": "#F0E442", "external": "#0072B2", "unknown": "#D55E00", UNRECORDED: "#D9D9D9",
}
UNRECORDED_LABEL = "unrecorded (no evidence)"
SEVERITY_COLOURS = {"error": "#B2182B", "warning": "#E08214", "info": "#2166AC", "hint": "#777777"}
MAX_ROWS = 50
MAX_CHILDREN = 25
"""Sub-folders drawn per folder in the drill-down; the JSON has them all."""
CHART_WIDTH = 720
_PERCENT = re.compile(r"\d+(\.\d+)?%")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def esc(text: object) -> str:
    """Text as HTML: markup escaped, control and bidi-override characters shown as U+FFFD (a path must not
    reorder what the reader sees)."""
    return html.escape(_CONTROL.sub("\ufffd", str(text)), quote=True)


def render(summary: Summary) -> str:
    m = summary.measured
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>provguard report: {esc(m.root)}</title><style>{_STYLE}</style></head><body>",
        f"<header><h1>Where the code came from</h1><p>provguard report of <code>{esc(m.root)}</code>, "
        f"{esc(m.generated)}: {m.files_checked} files, {summary.lines.total} lines, "
        f"{summary.findings} findings.</p></header><main>",
        _protected(summary), _origins(summary), _folders(summary), _sources(summary), _findings(summary),
        _history(summary), _measured(summary), "</main></body></html>\n",
    ]
    return "".join(parts)


def _label(category: str) -> str:
    """A line category as the editor names its kind (provenance/names.py)."""
    if category == UNRECORDED:
        return UNRECORDED_LABEL
    try:
        return kind_name(Kind(category))
    except ValueError:
        return category


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "0.0%"


def _legend(categories: Iterable[str]) -> str:
    items = "".join(f"<li><span class=\"swatch\" style=\"background:{COLOURS[c]}\"></span>{esc(_label(c))}</li>"
                    for c in categories)
    return f"<ul class=\"legend\" aria-label=\"legend\">{items}</ul>"


def _stacked(rows: Sequence[tuple[str, Lines]], title: str) -> str:
    """Horizontal 100% bars, one per row, a segment per origin; each segment carries its figures as a tooltip
    and data attributes."""
    label_width, bar_width, height = 280, CHART_WIDTH - 350, 22
    total_height = 30 + height * len(rows)
    out = [f"<svg class=\"chart\" role=\"img\" width=\"{CHART_WIDTH}\" height=\"{total_height}\" "
           f"viewBox=\"0 0 {CHART_WIDTH} {total_height}\" aria-labelledby=\"t-{_id(title)}\">"
           f"<title id=\"t-{_id(title)}\">{esc(title)}</title>",
           f"<text x=\"{label_width}\" y=\"14\" class=\"axis\">0%</text>"
           f"<text x=\"{label_width + bar_width}\" y=\"14\" class=\"axis\" text-anchor=\"end\">100% of lines</text>"]
    for i, (name, lines) in enumerate(rows):
        y = 20 + i * height
        out.append(f"<text x=\"{label_width - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{esc(_short(name))}</text>")
        x = float(label_width)
        for cat in CATEGORIES:
            count = lines.by_origin.get(cat, 0)
            if not count:
                continue
            w = bar_width * count / lines.total
            out.append(f"<rect class=\"seg\" x=\"{x:.2f}\" y=\"{y + 2}\" width=\"{w:.2f}\" height=\"{height - 4}\" "
                       f"fill=\"{COLOURS[cat]}\" data-origin=\"{cat}\" data-lines=\"{count}\">"
                       f"<title>{esc(name)}: {esc(_label(cat))} {count} lines ({_percent(count, lines.total)})"
                       f"</title></rect>")
            x += w
        ai = lines.ai
        out.append(f"<text x=\"{label_width + bar_width + 6}\" y=\"{y + 15}\">AI {_percent(ai, lines.total)}</text>")
    out.append("</svg>")
    return "".join(out)


def _bars(rows: Sequence[tuple[str, int, str]], title: str, unit: str) -> str:
    """Horizontal bars of counts, longest first, each with its number written beside it."""
    label_width, bar_width, height = 280, CHART_WIDTH - 370, 22
    top = max((n for _, n, _ in rows), default=0) or 1
    total_height = 10 + height * len(rows)
    out = [f"<svg class=\"chart\" role=\"img\" width=\"{CHART_WIDTH}\" height=\"{total_height}\" "
           f"viewBox=\"0 0 {CHART_WIDTH} {total_height}\" aria-labelledby=\"t-{_id(title)}\">"
           f"<title id=\"t-{_id(title)}\">{esc(title)}</title>"]
    for i, (name, count, colour) in enumerate(rows):
        y = 5 + i * height
        w = max(bar_width * count / top, 1.0)
        out.append(f"<text x=\"{label_width - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{esc(_short(name))}</text>"
                   f"<rect class=\"bar\" x=\"{label_width}\" y=\"{y + 2}\" width=\"{w:.2f}\" height=\"{height - 4}\" "
                   f"fill=\"{colour}\" data-value=\"{count}\"><title>{esc(name)}: {_count(count, unit)}</title></rect>"
                   f"<text x=\"{label_width + w + 6:.2f}\" y=\"{y + 15}\">{_count(count, unit)}</text>")
    out.append("</svg>")
    return "".join(out)


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) or (isinstance(value, str) and bool(_PERCENT.fullmatch(value)))


def _table(caption: str, head: Sequence[str], rows: Iterable[Sequence[object]], shown: int | None = None) -> str:
    body = []
    for row in rows:
        cells = "".join(f"<td class=\"num\">{esc(v)}</td>" if _numeric(v) else f"<td>{esc(v)}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    more = ""
    if shown is not None and shown > len(body):
        more = f"<p class=\"more\">{shown - len(body)} more rows are in the JSON report (--format json).</p>"
    heads = "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in head)
    return (f"<table><caption>{esc(caption)}</caption><thead><tr>{heads}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{more}")


def _protected(summary: Summary) -> str:
    rows = summary.protected
    flagged = [p for p in rows if p.ai_lines or p.findings]
    intro = (f"<p class=\"alert\"><strong>{len(flagged)} of {len(rows)}</strong> training-data and test-task files "
             f"hold AI output or findings.</p>" if rows else
             "<p>No checked file is on a training-data or test-task path.</p>")
    table = _table("Training-data and test-task files, those with AI lines first",
                   ("File", "Path kind", "Lines", "AI lines", "AI share", "AI lines by vendor", "Findings"),
                   ((p.path, p.category, p.lines, p.ai_lines, _percent(p.ai_lines, p.lines),
                     _vendors(p.by_vendor) or "none",
                     p.findings) for p in rows[:MAX_ROWS]), shown=len(rows)) if rows else ""
    return f"<section id=\"protected\"><h2>Training data and test tasks</h2>{intro}{table}</section>"


def _origins(summary: Summary) -> str:
    lines = summary.lines
    present = [c for c in CATEGORIES if lines.by_origin.get(c)]
    chart = _stacked([("All files", lines)], "Share of lines by origin, all files") if lines.total else ""
    table = _table("Lines by origin", ("Origin", "Lines", "Share"),
                   sorted(((_label(c), lines.by_origin[c], _percent(lines.by_origin[c], lines.total))
                           for c in present), key=lambda r: (-int(str(r[1])), str(r[0]))))
    note = ("<p class=\"note\">Unrecorded lines are lines no source spoke about: no marker, no ledger record, "
            "no git trailer. They are most likely written by people, but nothing says so.</p>")
    return (f"<section id=\"origins\"><h2>Share of lines by origin</h2><p>{lines.total} lines, "
            f"{_percent(lines.ai, lines.total)} from AI tools.</p>{_legend(present)}{chart}{table}{note}</section>")


def _folders(summary: Summary) -> str:
    folders = summary.folders[:MAX_ROWS]
    if not folders:
        return ""
    present = [c for c in CATEGORIES if any(f.lines.by_origin.get(c) for f in folders)]
    chart = _stacked([(f.folder, f.lines) for f in folders if f.lines.total],
                     "Share of lines by origin per top-level folder")
    table = _table("Top-level folders, most AI lines first", ("Folder", "Files", "Lines", "AI lines", "AI share"),
                   ((f.folder, f.files, f.lines.total, f.lines.ai, _percent(f.lines.ai, f.lines.total))
                    for f in folders), shown=len(summary.folders))
    drill = "".join(_drill(f) for f in folders if f.children)
    if drill:
        drill = (f"<h3>Drill down</h3><p class=\"note\">Open a folder to see its sub-folders, {DRILL_DEPTH} levels "
                 f"deep at most (deeper files count in their folder at the last level).</p>{drill}")
    return (f"<section id=\"folders\"><h2>By folder</h2>{_legend(present)}{chart}{table}{drill}</section>")


def _drill(folder: Folder) -> str:
    """A folder as a disclosure widget (no script): its sub-folders' chart and table, and theirs inside."""
    children = folder.children[:MAX_CHILDREN]
    chart = _stacked([(c.folder, c.lines) for c in children if c.lines.total],
                     f"Share of lines by origin in the folders of {folder.folder}")
    table = _table(f"Folders in {folder.folder}, most AI lines first", ("Folder", "Files", "Lines", "AI lines",
                                                                        "AI share"),
                   ((c.folder, c.files, c.lines.total, c.lines.ai, _percent(c.lines.ai, c.lines.total))
                    for c in children), shown=len(folder.children))
    inner = "".join(_drill(c) for c in children if c.children)
    return (f"<details><summary><code>{esc(folder.folder)}</code>: {folder.files} files, {folder.lines.total} "
            f"lines, AI {_percent(folder.lines.ai, folder.lines.total)}</summary><div class=\"drill\">{chart}{table}"
            f"{inner}</div></details>")


def _sources(summary: Summary) -> str:
    def said(table: dict[str, int]) -> str:
        return ", ".join(f"{k or 'not said'}: {n}" for k, n in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])))

    sources = summary.sources[:MAX_ROWS]
    chart = _bars([(f"{s.tool or 'tool not said'} ({s.vendor or 'vendor not said'})", s.lines,
                    COLOURS["ai-agent"]) for s in sources], "AI lines per tool and vendor", "lines") if sources else ""
    table = _table("AI lines per tool and vendor, with the evidence behind them",
                   ("Tool", "Vendor", "AI lines", "Kind", "Evidence", "Model", "Confidence"),
                   ((s.tool or "not said", s.vendor or "not said", s.lines, said(s.by_kind), said(s.by_evidence),
                     said(s.by_model), said(s.by_confidence)) for s in sources),
                   shown=len(summary.sources)) if sources else "<p>No line is attributed to an AI tool.</p>"
    models = summary.models[:MAX_ROWS]
    by_model = (_bars([(f"{m.model or 'model not said'} ({m.vendor or 'vendor not said'})", m.lines,
                        COLOURS["ai-completion"]) for m in models], "AI lines per model", "lines")
                + _table("AI lines per model, whatever tool ran it", ("Model", "Vendor", "AI lines", "By tool"),
                         ((m.model or "not said", m.vendor or "not said", m.lines, said(m.by_tool))
                          for m in models), shown=len(summary.models))) if models else ""
    evidence = _table("Lines per kind of evidence", ("Evidence", "Lines", "By origin"),
                      ((e.evidence, e.lines, ", ".join(f"{_label(k)}: {n}" for k, n in
                                                       sorted(e.by_origin.items(), key=lambda kv: -kv[1])))
                       for e in summary.evidence))
    return f"<section id=\"tools\"><h2>By tool, vendor and model</h2>{chart}{table}{by_model}{evidence}</section>"


def _findings(summary: Summary) -> str:
    if not summary.findings:
        return (f"<section id=\"findings\"><h2>Findings</h2><p>No findings ({summary.suppressed} suppressed by "
                f"comments).</p></section>")
    severities = ", ".join(f"{n} {s}" for s, n in summary.by_severity.items() if n)
    chart = _bars([(f"{r.rule} ({r.severity})", r.findings, SEVERITY_COLOURS.get(r.severity, "#777777"))
                   for r in summary.by_rule[:MAX_ROWS]], "Findings per rule", "findings")
    rules = _table("Findings per rule and severity", ("Rule", "Severity", "Findings"),
                   ((r.rule, r.severity, r.findings) for r in summary.by_rule[:MAX_ROWS]),
                   shown=len(summary.by_rule))
    files = _table(f"Files with the most findings ({summary.files_with_findings} files have any)",
                   ("File", "Findings", "By severity"),
                   ((f.path, f.findings, ", ".join(f"{n} {s}" for s, n in f.by_severity.items()))
                    for f in summary.top_files))
    return (f"<section id=\"findings\"><h2>Findings</h2><p>{summary.findings} findings: {severities} "
            f"({summary.suppressed} more suppressed by comments).</p>{chart}{rules}{files}</section>")


def _columns(rows: Sequence[tuple[str, float, str]], title: str, unit: str, top: float | None = None) -> str:
    """Vertical columns, one per week, each with its value written above it."""
    step, height, base = 56, 160, 210
    width = max(CHART_WIDTH, 60 + step * len(rows))
    top = top or max((v for _, v, _ in rows), default=0.0) or 1.0
    out = [f"<svg class=\"chart\" role=\"img\" width=\"{width}\" height=\"{base + 40}\" "
           f"viewBox=\"0 0 {width} {base + 40}\" aria-labelledby=\"t-{_id(title)}\">"
           f"<title id=\"t-{_id(title)}\">{esc(title)}</title>"
           f"<line x1=\"40\" y1=\"{base}\" x2=\"{width - 10}\" y2=\"{base}\" stroke=\"#1a1a1a\"/>"
           f"<text x=\"4\" y=\"14\" class=\"axis\">{esc(unit)}</text>"]
    for i, (label, value, text) in enumerate(rows):
        x, h = 48 + i * step, height * value / top
        out.append(f"<rect class=\"bar\" x=\"{x}\" y=\"{base - h:.2f}\" width=\"{step - 14}\" height=\"{h:.2f}\" "
                   f"fill=\"#0072B2\" data-value=\"{value:g}\"><title>{esc(label)}: {esc(text)}</title></rect>"
                   f"<text x=\"{x + (step - 14) / 2:.1f}\" y=\"{base - h - 4:.2f}\" text-anchor=\"middle\">"
                   f"{esc(text)}</text><text x=\"{x + (step - 14) / 2:.1f}\" y=\"{base + 16}\" "
                   f"text-anchor=\"middle\" class=\"axis\">{esc(label[5:])}</text>")
    out.append("</svg>")
    return "".join(out)


def _vendors(by_vendor: dict[str, int]) -> str:
    return ", ".join(f"{v or 'vendor not said'} {n}" for v, n in by_vendor.items())


def _history(summary: Summary) -> str:
    weeks = summary.history
    if not weeks:
        return ""
    share = _columns([(w.start, w.ai_percent, f"{w.ai_percent:.1f}%") for w in weeks],
                     "Share of lines from AI tools per week", "% of lines (week starting MM-DD)", top=100.0)
    findings = _columns([(w.start, float(w.findings), str(w.findings)) for w in weeks], "Findings per week",
                        "findings (week starting MM-DD)")
    table = _table("Per week: the tree at the week's last commit, newest first",
                   ("Week from", "Commit", "Lines", "AI lines", "AI share", "Findings", "AI lines in protected paths",
                    "AI output entered"),
                   ((w.start, w.commit[:12] or "no commit yet", w.lines, w.ai_lines, _percent(w.ai_lines, w.lines),
                     w.findings, w.protected_ai_lines,
                     "; ".join(f"{e.path} ({e.category}: {_vendors(e.by_vendor)})" for e in w.entered) or "-")
                    for w in reversed(weeks)))
    entered = [(w, e) for w in weeks for e in w.entered]
    alert = ("<p class=\"alert\">AI output entered protected paths: " + "; ".join(
        f"<strong>{esc(e.path)}</strong> in the week from {esc(w.start)}" for w, e in entered) + ".</p>"
             if entered else "<p>No AI output entered a training-data or test-task path in these weeks.</p>")
    return (f"<section id=\"history\"><h2>Over time</h2><p>Each week's figures are those of the tree at its last "
            f"commit, judged by today's packs and ledger.</p>{alert}{share}{findings}{table}</section>")


def _measured(summary: Summary) -> str:
    m = summary.measured
    packs = "".join(f"<li><code>{esc(p.id)}</code> {esc(p.version)} from <code>{esc(p.source)}</code></li>"
                    for p in m.packs) or "<li>none</li>"
    ledgers = "".join(f"<li>{esc(x)}</li>" for x in m.ledgers) or "<li>none</li>"
    sources = ", ".join(m.sources) or "none spoke about any line"
    paths = "".join(f"<li>{esc(name)}: <code>{esc(' '.join(globs) or 'none (the rule is not in the policy)')}"
                    f"</code></li>" for name, globs in summary.protected_paths.items())
    return (
        "<section id=\"measured\"><h2>How this was measured</h2><dl>"
        f"<dt>Tool</dt><dd>provguard {esc(m.provguard)}, run {esc(m.generated)} on <code>{esc(m.root)}</code></dd>"
        f"<dt>Files</dt><dd>{m.files_checked} checked, {m.files_skipped} skipped (binary, too large, unreadable), "
        f"{m.files_failed} failed</dd>"
        "<dt>Unit</dt><dd>Lines of text. Each line counts once, for the first source that speaks about it: "
        "provenance markers in the code, then ledger records (editor capture, agent hooks, transcripts, "
        "fingerprints of recorded agent edits, imported Agent Trace and git-ai records), then git commits whose "
        "trailers name an AI tool (confidence 0.5: the tool took part in the commit).</dd>"
        f"<dt>Evidence found</dt><dd>{esc(sources)}</dd>"
        f"<dt>Git history</dt><dd>{'read' if m.git else 'not read (--no-git)'}</dd>"
        f"<dt>Ledger</dt><dd><ul>{ledgers}</ul></dd>"
        f"<dt>Rule packs</dt><dd><ul>{packs}</ul></dd>"
        f"<dt>Protected paths</dt><dd>From the paths of the rules that guard them:<ul>{paths}</ul></dd>"
        "</dl></section>"
    )


def _count(count: int, unit: str) -> str:
    """"1 finding", "2 findings": `unit` is the plural."""
    return f"{count} {esc(unit[:-1] if count == 1 and unit.endswith('s') else unit)}"


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else "\u2026" + name[-(width - 1):]


def _id(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


_STYLE = """
body{font-family:system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0 auto;max-width:72rem;padding:1rem 2rem;
line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.3rem;border-bottom:1px solid #bbb;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.92rem}caption{text-align:left;font-weight:600;
padding:.3rem 0}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}
td{overflow-wrap:break-word}code{background:#f3f3f3;padding:0 .2rem}
.chart{display:block;max-width:100%;height:auto;margin:.5rem 0;font-size:12px}.chart text{fill:#1a1a1a}
.chart .axis{fill:#444}.seg,.bar{stroke:#1a1a1a;stroke-width:.5}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}.legend li{display:flex;align-items:center}
.swatch{display:inline-block;width:1rem;height:1rem;border:1px solid #1a1a1a;margin-right:.35rem}
.alert{border-left:4px solid #B2182B;padding:.3rem .7rem;background:#fbeaea}.note,.more{color:#444}
dt{font-weight:600;margin-top:.5rem}dd{margin-left:1rem}
details{margin:.3rem 0}summary{cursor:pointer}.drill{margin-left:1.2rem;border-left:2px solid #ddd;padding-left:.8rem}
"""
