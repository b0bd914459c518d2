"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, the VS Code SARIF viewer, ...).

One run: the driver lists every rule of the policy plus the built-in marker rules; each finding becomes a
result with its region, a partial fingerprint that survives edits elsewhere in the file, the origin in its
property bag and the same fixes the language server offers. Columns are UTF-16 code units (SARIF's default
`columnKind`), 1-based, end column exclusive. Paths are relative to `%SRCROOT%`, the project root.
Output is deterministic: no timestamps, and absolute paths only when the caller passes `root`.

GitHub code scanning refuses a run with more than 25,000 results, so a larger run keeps the most severe
25,000 and says so (a tool notification in the log, and a warning through `warn`). Every rule has a `name`
and a `helpUri` (built-ins point at their section in rules/README.md), and its `shortDescription` is always
the rule's message as one sentence, `fullDescription` that sentence followed by the rule's note.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from provguard import __version__
from provguard.analysis import BUILTIN_HELP_URI, BUILTIN_RULES
from provguard.check import CheckRun, FileResult
from provguard.documents import Document
from provguard.findings import Finding
from provguard.fixes import Fix
from provguard.policy.model import Rule, Severity
from provguard.policy.policy import Policy
from provguard.positions import Encoding
from provguard.report.json import origin_fields

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/provguard/provguard"
DEFAULT_CATEGORY = "provguard/check/"
"""`automationDetails.id`: code scanning keeps one analysis per category, so runs replace each other."""
MAX_RESULTS = 25_000
"""GitHub code scanning rejects a run with more results than this (its documented hard limit per run)."""
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "provguard/v1"
"""partialFingerprints key; bump the version whenever the hashed text changes meaning."""

LEVELS: dict[Severity, str] = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note",
                               Severity.HINT: "note", Severity.OFF: "none"}
_SKIPPED_NOTIFICATION = "file-skipped"
_CAPPED_NOTIFICATION = "results-capped"
_ACRONYMS = {"ai": "AI", "id": "ID", "url": "URL", "llm": "LLM"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

Json = dict[str, Any]


def render(run: CheckRun, policy: Policy, reviewer: str | None, *, root: Path | None = None,
           category: str | None = None, max_results: int = MAX_RESULTS,
           warn: Callable[[str], None] | None = None) -> str:
    """The run as a SARIF log; `root` (the project root) fills in `originalUriBaseIds` when given, `category`
    the `automationDetails` id; `warn` hears about results left out to stay within `max_results`."""
    log = sarif_log(run, policy, reviewer, root=root, category=category, max_results=max_results, warn=warn)
    return json.dumps(log, indent=2) + "\n"


def sarif_log(run: CheckRun, policy: Policy, reviewer: str | None, *, root: Path | None = None,
              category: str | None = None, max_results: int = MAX_RESULTS,
              warn: Callable[[str], None] | None = None) -> Json:
    reported = run.findings + run.suppressed  # suppressed last: the others keep their fingerprints' counters
    rules = _rule_descriptors(policy, (finding.rule_id for _, finding in reported))
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    kept = _most_severe(reported, max_results)
    artifacts = _Artifacts()
    results = [_result(file, finding, rule_index[finding.rule_id], fingerprint, reviewer, artifacts)
               for i, ((file, finding), fingerprint) in enumerate(zip(reported, fingerprints(reported), strict=True))
               if i in kept]
    driver: Json = {
        "name": "provguard",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": rules,
        "notifications": [{
            "id": _SKIPPED_NOTIFICATION,
            "shortDescription": {"text": "A file was not checked: it is too large, binary or unreadable."},
            "defaultConfiguration": {"level": "note"},
        }, {
            "id": _CAPPED_NOTIFICATION,
            "shortDescription": {"text": "Results were left out to stay within the code scanning upload limit."},
            "defaultConfiguration": {"level": "warning"},
        }],
    }
    invocation: Json = {"executionSuccessful": True}
    overrides = _configuration_overrides(policy, rule_index)
    if overrides:
        invocation["ruleConfigurationOverrides"] = overrides
    notifications: list[Json] = []
    if len(kept) < len(reported):
        message = (f"{len(reported):,} results, more than the {max_results:,} code scanning accepts in one run: "
                   f"kept the {len(kept):,} most severe, left out {len(reported) - len(kept):,}")
        if warn is not None:
            warn(message)
        notifications.append({"descriptor": {"id": _CAPPED_NOTIFICATION, "index": 1}, "level": "warning",
                              "message": {"text": message}})
    notifications += [{
        "descriptor": {"id": _SKIPPED_NOTIFICATION, "index": 0},
        "level": "note",
        "message": {"text": f"skipped {s.path}: {s.reason}"},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(s.path)}}],
    } for s in run.skipped]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    base: Json = ({"uri": root.resolve().as_uri().rstrip("/") + "/"} if root is not None else
                  {"description": {"text": "The project root; result paths are relative to it."}})
    sarif_run: Json = {
        "tool": {"driver": driver},
        "automationDetails": {"id": automation_id(category)},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: base},
        "columnKind": "utf16CodeUnits",
        "properties": {"packs": [{"id": p.id, "version": p.version} for p in policy.packs]},
    }
    if artifacts.entries:
        sarif_run["artifacts"] = artifacts.entries
    sarif_run["results"] = results
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [sarif_run]}


def automation_id(category: str | None) -> str:
    """`automationDetails.id` for a category: code scanning reads `category/run-id`, so a category gets the
    trailing slash that leaves the run id empty."""
    category = (category or "").strip() or DEFAULT_CATEGORY
    return category if category.endswith("/") else category + "/"


def _most_severe(reported: list[tuple[FileResult, Finding]], limit: int) -> set[int]:
    """Indexes of the results to keep: all of them within the limit, else the most severe (reported findings
    before suppressed ones, earlier before later at the same severity)."""
    if len(reported) <= limit:
        return set(range(len(reported)))
    order = sorted(range(len(reported)),
                   key=lambda i: (reported[i][1].suppressed is not None, -reported[i][1].severity.rank, i))
    return set(order[:max(limit, 0)])


def artifact_location(path: str) -> Json:
    """A checked file's location: relative to %SRCROOT%, or a file URI when it lies outside the root."""
    if PurePath(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


# --- rules -------------------------------------------------------------------------------------------


def _rule_descriptors(policy: Policy, used: Iterable[str]) -> list[Json]:
    """Pack rules in policy order, then the built-in marker rules, then any other id a finding used."""
    pack_of = {rule.id: pack for pack in policy.packs for rule in pack.rules}
    out: list[Json] = []
    seen: set[str] = set()
    for rule in policy.rules:
        pack = pack_of[rule.id]
        out.append(_pack_rule(rule, {"pack": pack.id, "packVersion": pack.version}))
        seen.add(rule.id)
    for rule_id, (severity, description) in BUILTIN_RULES.items():
        if rule_id not in seen:
            full = _sentence(description)
            out.append(_descriptor(rule_id, severity, _first_sentence(full), full, BUILTIN_HELP_URI,
                                   {"builtin": True}))
            seen.add(rule_id)
    for rule_id in used:
        if rule_id not in seen:  # not expected: every finding comes from a policy or marker rule
            out.append({"id": rule_id, "name": rule_name(rule_id)})
            seen.add(rule_id)
    return out


def _pack_rule(rule: Rule, properties: Json) -> Json:
    """What the rule reports (its message, placeholders as <field>), then why and what to do (its note)."""
    short = _sentence(_plain(rule.message))
    full = f"{short} {_sentence(_plain(rule.note))}" if rule.note else short
    if rule.fixes:
        properties["fixes"] = [kind.value for kind in rule.fixes]
    return _descriptor(rule.id, rule.severity, short, full, rule.url, properties)


def rule_name(rule_id: str) -> str:
    """SARIF's readable identifier for a rule, in Pascal case: `ai-output-unreviewed` -> `AIOutputUnreviewed`."""
    words = re.split(r"[^0-9A-Za-z]+", rule_id)
    return "".join(_ACRONYMS.get(w.lower(), w[:1].upper() + w[1:]) for w in words if w) or rule_id


def _descriptor(rule_id: str, severity: Severity, short: str, full: str, url: str | None,
                properties: Json) -> Json:
    help_text, help_markdown = full, f"**{rule_id}**: {full}"
    if url:
        help_text += f"\n\nMore: {url}"
        help_markdown += f"\n\n[More about this rule]({url})"
    descriptor: Json = {
        "id": rule_id,
        "name": rule_name(rule_id),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_markdown},
    }
    if url:
        descriptor["helpUri"] = url
    descriptor["defaultConfiguration"] = _configuration(severity)
    descriptor["properties"] = {**properties, "tags": ["provenance"]}
    return descriptor


def _configuration(severity: Severity) -> Json:
    if severity is Severity.OFF:
        return {"enabled": False}
    return {"level": LEVELS[severity]}


def _configuration_overrides(policy: Policy, rule_index: dict[str, int]) -> list[Json]:
    return [{"descriptor": {"id": rule_id, "index": rule_index[rule_id]}, "configuration": _configuration(sev)}
            for rule_id, sev in policy.severity_overrides.items() if rule_id in rule_index]


def _plain(text: str) -> str:
    """Rule text for SARIF, where `{n}` is a placeholder: message templates' {field} become <field>."""
    return _PLACEHOLDER.sub(r"<\1>", " ".join(text.split()))


def _first_sentence(text: str) -> str:
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text


def _sentence(text: str) -> str:
    """`text` as a sentence: whitespace collapsed, a capital first letter and a closing full stop."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "."


# --- results -----------------------------------------------------------------------------------------


class _Artifacts:
    """The run's `artifacts`: one entry per file with results, in first-use order."""

    def __init__(self) -> None:
        self.entries: list[Json] = []
        self._index: dict[str, int] = {}

    def location(self, file: FileResult) -> Json:
        index = self._index.get(file.path)
        if index is None:
            index = self._index[file.path] = len(self.entries)
            doc = file.document
            self.entries.append({
                "location": artifact_location(file.path),
                "length": len(doc.source),
                "sourceLanguage": doc.language.id,
                "hashes": {"sha-256": hashlib.sha256(doc.source).hexdigest()},
            })
        return {**artifact_location(file.path), "index": index}


def _result(file: FileResult, finding: Finding, rule_index: int, fingerprint: str, reviewer: str | None,
            artifacts: _Artifacts) -> Json:
    doc = file.document
    location = artifacts.location(file)
    properties: Json = {"severity": finding.severity.value}
    if finding.origin is not None:
        properties["origin"] = origin_fields(finding.origin)
    result: Json = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": location,
                                            "region": region(doc, finding.start, finding.end)}}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": properties,
    }
    if finding.suppressed is not None:
        why = finding.suppressed
        result["suppressions"] = [{
            "kind": "inSource", "status": "accepted", "justification": why.reason,
            "location": {"physicalLocation": {"artifactLocation": location, "region": region(doc, why.start, why.end)}},
        }]
        return result  # nothing to fix: a person has allowed it
    fixes = file.fixes(finding, reviewer)
    if fixes:
        result["fixes"] = [_fix(doc, fix, location) for fix in fixes]
    return result


def region(doc: Document, start: int, end: int) -> Json:
    """Byte range [start, end) as a SARIF text region: 1-based lines, UTF-16 columns, end exclusive."""
    first = doc.lines.position(start, Encoding.UTF16)
    last = doc.lines.position(end, Encoding.UTF16)
    return {"startLine": first.line + 1, "startColumn": first.character + 1,
            "endLine": last.line + 1, "endColumn": last.character + 1}


def _fix(doc: Document, fix: Fix, location: Json) -> Json:
    replacements: list[Json] = []
    for edit in sorted(fix.edits, key=lambda e: (e.start, e.end)):
        replacement: Json = {"deletedRegion": region(doc, edit.start, edit.end)}
        if edit.new_text:
            replacement["insertedContent"] = {"text": edit.new_text}
        replacements.append(replacement)
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
        "properties": {"kind": fix.kind.value, "safe": fix.safe},
    }


# --- fingerprints ------------------------------------------------------------------------------------


def fingerprints(findings: list[tuple[FileResult, Finding]]) -> list[str]:
    """One per finding, in run order: hash of rule, path and flagged text, then `:n` for the n-th repeat.

    The flagged text is taken without the span's marker comments (so adding `reviewed-by` or `vendor` to a
    marker keeps the other findings' fingerprints) and with whitespace runs collapsed; nothing depends on
    line numbers, so code moving up or down keeps its fingerprint. The GitLab report derives its own from these.
    """
    seen: dict[tuple[str, str], int] = {}
    out: list[str] = []
    for file, finding in findings:
        digest = _digest(file.path, file.document, finding)
        count = seen[file.path, digest] = seen.get((file.path, digest), 0) + 1
        out.append(f"{digest}:{count}")
    return out


def _digest(path: str, doc: Document, finding: Finding) -> str:
    source = doc.source
    pieces: list[bytes] = []
    cursor = finding.start
    markers = finding.span.markers if finding.span is not None else ()
    for marker in sorted(markers, key=lambda m: m.start):
        if cursor <= marker.start and marker.end <= finding.end:
            pieces.append(source[cursor:marker.start])
            cursor = marker.end
    pieces.append(source[cursor:finding.end])
    text = b" ".join(b"".join(pieces).split()) or b" ".join(source[finding.start:finding.end].split())
    if not text:  # an empty range (e.g. at a line end): the text of its line identifies it
        line_start, line_end = doc.lines.line_bounds(doc.lines.line_of(finding.start))
        text = b" ".join(source[line_start:line_end].split())
    hasher = hashlib.sha256()
    for part in (finding.rule_id.encode(), path.encode("utf-8", "surrogateescape"), text):
        hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()[:32]
