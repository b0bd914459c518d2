"""Diagnostics in rule packs and project configuration files, as they are typed.

When a pack file (`rules/team.yaml`, a file it includes or extends) or the project configuration
(`provguard.toml`, `pyproject.toml` with `[tool.provguard]`) is open, its errors appear at their exact line and
column: schema errors, unknown keys with a did-you-mean, bad globs, invalid tree-sitter queries (at the
query's error), duplicate rule ids, unknown extended packs. The check reads the editor's unsaved text of every
open file of the pack family (open_texts.py) and changes nothing: the policy in force is reloaded only when
a file is saved, and a broken one leaves the last good policy in force (configuration.py).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from provguard.lsp.convert import SOURCE
from provguard.lsp.server import ProvguardServer
from provguard.policy.confinement import reach
from provguard.policy.errors import SourceError
from provguard.policy.loader import parse_pack
from provguard.policy.open_texts import editing
from provguard.policy.project import CONFIG_FILES, load_project_policy, read_project_config
from provguard.positions import Encoding, LineIndex, Position
from provguard.session import OpenDocument

log = logging.getLogger(__name__)

PACK_SUFFIXES = (".yaml", ".yml")
PACK_ERROR, CONFIG_ERROR = "pack-error", "config-error"
_LOOKS_LIKE_PACK = re.compile(rb"^(pack|extends)[ \t]*:", re.MULTILINE)


def is_policy_file(ls: ProvguardServer, opened: OpenDocument) -> bool:
    """The project configuration, a file of the packs in force or selected, or a YAML file that is a pack."""
    path = Path(ls.uri_path(opened.uri))
    if path.name in CONFIG_FILES:
        return path.name != "pyproject.toml" or b"provguard" in opened.document.source
    if path.suffix.lower() not in PACK_SUFFIXES:
        return False
    return ls.session.is_pack_file(path) or _LOOKS_LIKE_PACK.search(opened.document.source[:65536]) is not None


def refresh_others(ls: ProvguardServer, changed: OpenDocument) -> None:
    """After an unsaved edit of one policy file: the other open ones may have gained or lost errors (a
    derived pack using a parameter the edited base pack no longer has)."""
    from provguard.lsp import diagnostics as published  # that module builds on this one

    others = [o.uri for o in ls.session.documents.values() if o is not changed and is_policy_file(ls, o)]
    if ls.pull_diagnostics and others:
        published.refresh(ls, others[0])  # a pulling client is asked to pull everything again
        return
    for uri in others:
        published.publish(ls, uri)


def diagnostics(ls: ProvguardServer, opened: OpenDocument) -> list[dict[str, Any]]:
    """The errors of one open pack or configuration file, as plain JSON diagnostics (like convert.diagnostic)."""
    if not is_policy_file(ls, opened):
        return []
    path = Path(ls.uri_path(opened.uri))
    try:
        errors = _errors(ls, opened, path)
    except Exception:  # a bug in the check must not take the editor's diagnostics down with it
        log.exception("checking %s failed", path)
        return []
    code = CONFIG_ERROR if path.name in CONFIG_FILES else PACK_ERROR
    lines, enc = opened.document.lines, ls.position_encoding
    return [_diagnostic(error, code, lines, opened.document.source, enc) for error in errors]


def _errors(ls: ProvguardServer, opened: OpenDocument, path: Path) -> list[SourceError]:
    session, project = ls.session, opened.project
    paths = {Path(ls.uri_path(o.uri)): o for o in session.documents.values()}
    texts = {p: o.document.text for p, o in paths.items()  # an oversized buffer is left to the file on disk
             if (p.suffix.lower() in PACK_SUFFIXES or p.name in CONFIG_FILES) and not o.oversized}
    found: list[SourceError] = []
    with editing(texts):
        loaded = load_project_policy(project.root, project.settings, explicit=project.explicit,
                                     editor_base=project.base)
        found.extend(loaded.errors)
        loaded_files = {_same(f) for f in loaded.policy.pack_files}
        if path.suffix.lower() in PACK_SUFFIXES and _same(path) not in loaded_files and _is_pack(opened):
            root = reach(loaded.config.root if loaded.config is not None else project.root)
            found.extend(parse_pack(opened.document.text, str(path), root).errors)  # a pack no one selected (yet)
        in_force = loaded.config.file if loaded.config is not None else None
        if path.name in CONFIG_FILES and (in_force is None or _same(in_force) != _same(path)):
            config = read_project_config(path)  # another folder's configuration: its own errors
            found.extend(config.errors if config is not None else ())
    mine = _same(path)
    return sorted(dict.fromkeys(e for e in found if _same(Path(e.file)) == mine),
                  key=lambda e: (e.line, e.column))


def _is_pack(opened: OpenDocument) -> bool:
    """A pack of its own (an included file is a list of rules: the pack that includes it checks it)."""
    return _LOOKS_LIKE_PACK.search(opened.document.source[:65536]) is not None


def _same(path: Path | str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)


def _diagnostic(error: SourceError, code: str, lines: LineIndex, source: bytes, enc: Encoding) -> dict[str, Any]:
    start = _offset(lines, error.line, error.column)
    if error.end_line is not None and error.end_column is not None:
        end = max(start, _offset(lines, error.end_line, error.end_column))
    else:
        end = _token_end(lines, source, start)
    r = lines.range(start, end, enc)
    return {
        "range": {"start": {"line": r.start.line, "character": r.start.character},
                  "end": {"line": r.end.line, "character": r.end.character}},
        "message": error.message,
        "severity": types.DiagnosticSeverity.Error.value,
        "code": code,
        "source": SOURCE,
    }


def _offset(lines: LineIndex, line: int, column: int) -> int:
    """Byte offset of a 1-based line and character column, clamped to the text."""
    row = min(max(line - 1, 0), lines.line_count - 1)
    return lines.offset(Position(row, max(column - 1, 0)), Encoding.UTF32)


def _token_end(lines: LineIndex, source: bytes, start: int) -> int:
    """The end of the word an error without an end points at, within its line."""
    _, line_end = lines.line_bounds(lines.line_of(start))
    end = start
    while end < line_end and source[end:end + 1] not in b" \t,]}#":
        end += 1
    return end
