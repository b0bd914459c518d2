"""`provguard import git-ai`: git-ai's authorship notes as agent edits, for the lines that are still theirs.

A note names lines of the noted commit's version of a file. Those lines are found today with `git blame`
of the file at HEAD (or in the work tree): a line blame gives to the noted commit, at an original line the
note attributes to a session, is that session's line now, wherever later commits moved it and under
whatever name blame followed the file to (blame's `-M` also follows lines moved within the file). A line
someone rewrote since belongs to their commit and is no longer the session's: it is not recorded. The files
are found at HEAD under the names git's rename detection gives them between the noted commit and HEAD (the
name in the note otherwise).

Each (commit, file, session) with surviving lines becomes one agent edit with evidence `git-ai`: the
session's tool and model, the tool's own session id, the commit's author date, and fingerprints and line
hashes of the surviving lines, so `provguard check`, the editor and the corpus filter find them with the
matcher every recorded edit goes through. Its id is derived from the commit, the file as noted, the session
and the file's path now: importing again stores nothing new, and lines that moved to another file since are
recorded there as well.

Lines whose key has no metadata entry (git-ai pruned it) are recorded as an unnamed agent's (`git_ai.UNNAMED`):
the note still claims them as AI. The import says so once, in one line naming the keys, however many notes
name them.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from provguard.exchange.git_ai import UNNAMED, Agent, NoteProblem, ParsedNote
from provguard.exchange.git_ai_notes import TIMEOUT, Failure, Notes, head_paths, read_notes, renames
from provguard.ledger.model import AgentEdit
from provguard.ledger.store import Ledger
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.git.blame import BlameLine, parse_porcelain
from provguard.provenance.git.commands import GitFailure, run_git
from provguard.provenance.git.commits import CommitCache
from provguard.provenance.origin import Evidence
from provguard.provenance.tools import infer_vendor

CONFIDENCE = 0.9
"""Another tool's claim about individual lines, kept by blame to the lines still as it recorded them: below
what provguard saw itself (1.0), well above a commit trailer's whole-commit claim (0.5)."""
TOOL_IDS: dict[str, str] = {
    "claude": "claude-code",
    "claude-web": "claude-code",
    "cursor-agent": "cursor",
    "github-copilot": "copilot",
    "github-copilot-cli": "copilot",
    "codex-cloud": "codex",
}
"""git-ai's tool names -> provguard's, where they differ; others (gemini, windsurf, amp, ...) are kept."""


FEW_COMMITS = 64
"""Up to this many noted commits, renames are looked for between each and HEAD at once; past it, only for the
commits with a noted path HEAD no longer has (one more git command, a far cheaper rename detection)."""


SHOWN_KEYS = 3
"""Keys without metadata named in the import's one line about them, those in the most notes first."""


@dataclass(frozen=True)
class UnnamedKeys:
    """The keys an import read without their metadata entry, said once (not a problem line per attestation)."""

    keys: tuple[tuple[str, int], ...]
    """(key, notes naming it), the most named first."""
    notes: int
    """Notes naming at least one of them."""

    @property
    def reason(self) -> str:
        keys, named = len(self.keys), self.notes
        shown = ", ".join(f"{key} ({n} note{'' if n == 1 else 's'})" for key, n in self.keys[:SHOWN_KEYS])
        more = f" and {keys - SHOWN_KEYS} more" if keys > SHOWN_KEYS else ""
        return (f"{keys} attestation key{'' if keys == 1 else 's'} with no entry in the note's sessions or prompts "
                f"(git-ai pruned it), in {named} note{'' if named == 1 else 's'}: {shown}{more}; their lines are "
                f"recorded as AI of an unnamed agent ({UNNAMED.tool})")

    def __str__(self) -> str:
        return f"git-ai notes: {self.reason}"


@dataclass
class GitAiReport:
    repository: Path | None = None
    has_notes: bool = True
    """False when the repository has no `refs/notes/ai` at all."""
    commits: int = 0
    notes: int = 0
    files: int = 0
    """Files blamed."""
    lines: int = 0
    """Lines attributed to a session today."""
    edits_found: int = 0
    edits_new: int = 0
    problems: list[NoteProblem | UnnamedKeys] = field(default_factory=list)
    """The notes' problems; first, when some key had no metadata, the one line saying which (`UnnamedKeys`)."""
    unnamed: Counter[str] = field(default_factory=Counter)
    """Key without metadata -> notes naming it."""


Source = tuple[str, str]
"""(commit, path in that commit)."""


def import_git_ai(ledger: Ledger, root: Path, revisions: str | None = None, worktree: bool = False,
                  timeout: float = TIMEOUT) -> GitAiReport | Failure:
    """Records the sessions' surviving lines of the notes on `revisions`' commits (see `read_notes`) in the
    repository holding `root`; edit paths are relative to `root`."""
    notes = read_notes(root, revisions, timeout)
    if isinstance(notes, Failure):
        return notes
    if notes is None:
        return GitAiReport(has_notes=False)
    return record_notes(ledger, notes, root, worktree, timeout)


def record_notes(ledger: Ledger, notes: Notes, root: Path, worktree: bool = False,
                 timeout: float = TIMEOUT) -> GitAiReport | Failure:
    """`worktree`: the lines as they are in the work tree (changes not committed yet are nobody's) instead of
    at HEAD. Notes that cannot be read are problems in the report; the ledger's errors (`LedgerError`)
    propagate."""
    report = GitAiReport(notes.top, True, notes.commits, len(notes.notes))
    for parsed in notes.notes.values():
        report.problems.extend(parsed.problems)
        report.unnamed.update(parsed.note.unnamed if parsed.note else ())
    edits = attributed_edits(notes, root, worktree, timeout, report)
    if isinstance(edits, Failure):
        return edits
    if report.unnamed:
        naming = sum(1 for parsed in notes.notes.values() if parsed.note and parsed.note.unnamed)
        report.problems.insert(0, UnnamedKeys(tuple(report.unnamed.most_common()), naming))
    report.edits_found = len(edits)
    report.lines = sum(edit.lines for edit in edits)
    if edits:
        report.edits_new = ledger.add_agent_edits(edits)
    return report


def attributed_edits(notes: Notes, root: Path, worktree: bool, timeout: float,
                     report: GitAiReport) -> list[AgentEdit] | Failure:
    attributed = _attributed_lines(notes.notes)
    noted = sorted({commit for commit, _ in attributed})
    if len(noted) > FEW_COMMITS:
        # Only a commit with a noted path gone from HEAD can have renamed it: rename detection between each
        # commit's tree and HEAD's is git's slowest step (git-ai's own 3,000 noted commits: over 120 s).
        present = head_paths(notes.top, notes.head, timeout)
        if isinstance(present, Failure):
            return present
        noted = sorted({commit for commit, path in attributed if path not in present})
    moved = renames(notes.top, notes.head, noted, timeout)
    if isinstance(moved, Failure):
        return moved
    files: dict[str, list[Source]] = defaultdict(list)
    for commit, path in attributed:
        files[moved.get(commit, {}).get(path, path)].append((commit, path))
    commits = CommitCache().get(notes.top, {commit for commit, _ in attributed}, timeout)
    if isinstance(commits, GitFailure):
        return Failure(f"cannot read the noted commits: {commits.reason}")
    found: dict[tuple[str, str, str, str], list[bytes]] = defaultdict(list)
    for now, sources in files.items():
        blamed = _blame(notes.top, now, worktree, timeout)
        if isinstance(blamed, GitFailure):
            commit, path = sources[0]
            report.problems.append(NoteProblem(commit, 0, f"{path}: cannot blame {now}: {blamed.reason}"))
            continue
        if blamed is None:
            continue  # deleted since: none of its lines are anyone's now
        report.files += 1
        for line in blamed:
            session = _session(attributed, line)
            if session is not None:
                found[(line.commit, line.path, session, now)].append(line.text)
    edits: list[AgentEdit] = []
    for (commit, path, session, now), texts in found.items():
        note = notes.notes[commit].note
        assert note is not None
        text = b"\n".join(texts).decode("utf-8", "replace") + "\n"
        if "\0" in text:
            report.problems.append(NoteProblem(commit, 0, f"{path}: a binary file, not recorded"))
            continue
        commit_info = commits.get(commit)
        edits.append(_edit(commit, path, session, _relative(notes.top / now, root), note.agents[session], text,
                           len(texts), commit_info.date if commit_info and commit_info.date else ""))
    return edits


def _attributed_lines(notes: dict[str, ParsedNote]) -> dict[Source, Lines]:
    ranges: dict[Source, list[tuple[int, int, str]]] = defaultdict(list)
    for commit, parsed in notes.items():
        for attestation in parsed.note.attestations if parsed.note else ():
            ranges[(commit, attestation.path)].extend((first, last, attestation.session_key)
                                                      for first, last in attestation.ranges)
    return {source: _disjoint(found) for source, found in ranges.items()}


Lines = tuple[list[int], list[tuple[int, int, str]]]
"""A note's ranges of one file, apart and sorted by first line, with the first lines apart for bisecting."""


def _disjoint(ranges: list[tuple[int, int, str]]) -> Lines:
    """Where two sessions claim a line (git-ai writes no such note, but a note may say anything), the first
    in the note keeps it. One sweep over the ranges' ends with the claims open there in a heap (earliest
    claim on top): O(n log n), as a note of many interleaved claims must not cost the cutting of every piece
    by every claim before it."""
    ordered = sorted(ranges)
    if all(ordered[i][1] < ordered[i + 1][0] for i in range(len(ordered) - 1)):
        return [r[0] for r in ordered], ordered
    by_first = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    ends = sorted({end for first, last, _ in ranges for end in (first, last + 1)})
    open_claims: list[tuple[int, int]] = []  # (place in the note, last line)
    pieces: list[tuple[int, int, str]] = []
    next_claim = 0
    for start, stop in itertools.pairwise(ends):  # lines start..stop-1 have the same claims
        while next_claim < len(by_first) and ranges[by_first[next_claim]][0] <= start:
            index = by_first[next_claim]
            heapq.heappush(open_claims, (index, ranges[index][1]))
            next_claim += 1
        while open_claims and open_claims[0][1] < start:
            heapq.heappop(open_claims)
        if not open_claims:
            continue
        session = ranges[open_claims[0][0]][2]
        if pieces and pieces[-1][2] == session and pieces[-1][1] == start - 1:
            pieces[-1] = (pieces[-1][0], stop - 1, session)
        else:
            pieces.append((start, stop - 1, session))
    return [r[0] for r in pieces], pieces


def _session(attributed: dict[Source, Lines], line: BlameLine) -> str | None:
    """The session the note gives the line to, when blame says the noted commit wrote it."""
    entry = attributed.get((line.commit, line.path))
    if entry is None:
        return None
    firsts, ranges = entry
    index = bisect.bisect_right(firsts, line.original_line) - 1
    if index >= 0 and ranges[index][1] >= line.original_line:
        return ranges[index][2]
    return None


def _blame(top: Path, path: str, worktree: bool, timeout: float) -> list[BlameLine] | GitFailure | None:
    """The file's lines now, with the commit and original line of each; None when it is gone. `-M`: lines
    moved within the file keep the commit that wrote them (moving code is not writing it)."""
    if worktree and not (top / path).is_file():
        return None
    out = run_git(top, ["blame", "--porcelain", "-M", *([] if worktree else ["HEAD"]), "--", path], timeout=timeout)
    if isinstance(out, GitFailure):
        return None if "no such path" in out.reason else out
    return list(parse_porcelain(out).lines)


def _edit(commit: str, noted_path: str, session: str, path: str, agent: Agent, text: str, lines: int,
          time: str) -> AgentEdit:
    tool = TOOL_IDS.get(agent.tool.lower(), agent.tool.lower())
    prints = insertion_prints(text, path)
    key = "\0".join(("git-ai", commit, noted_path, session, path))
    return AgentEdit(
        id=hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest(),
        tool=tool, path=path, time=time, evidence=Evidence.GIT_AI, vendor=infer_vendor(tool, agent.model),
        model=agent.model, session_id=agent.session or session, lines=lines, fingerprints=prints.fingerprints,
        line_hashes=prints.line_hashes, names=prints.names, text=text, source=f"git-ai {commit}", confidence=CONFIDENCE)


def _relative(path: Path, root: Path) -> str:
    """Relative to the project root with forward slashes when inside it, as every agent edit's path."""
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
